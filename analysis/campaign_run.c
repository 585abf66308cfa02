/*
 * campaign_run.c - a pool of scenario processes started with fork and
 * exec, one per campaign run; see campaign_run.h.
 *
 * SIGINT, SIGTERM and SIGCHLD stay blocked in the campaign process and
 * are taken with sigtimedwait, which also wakes the loop once a second to
 * redraw the progress line.  Each scenario runs in its own process group,
 * so a Ctrl-C at the terminal reaches only the campaign, which forwards
 * SIGINT once to every scenario.  A second SIGINT or SIGTERM sends SIGKILL.
 */
#define _GNU_SOURCE /* strsignal */

#include "campaign_run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROGRAM "mip6sec-campaign"

struct slot {
    pid_t pid; /* 0 when free */
    size_t config;
    unsigned long replication;
    char name[64];
};

struct pool {
    const struct campaign *c;
    const char *dir;
    struct slot *slots;
    unsigned jobs;
    size_t total, skipped, completed, failed, running;
    size_t remaining; /* runs not yet skipped, completed or failed */
    size_t ended;     /* scenario processes reaped, stopped ones included */
    int stop_signal;  /* 0, SIGINT or SIGTERM */
    /* Per configuration: a run exited with status 2 before it created its database, so the
     * scenario rejected the configuration's options and its other runs would fail alike. */
    bool *rejected;
    bool tty;
    bool line_shown; /* a progress line without newline is on the terminal */
    struct timespec start;
    sigset_t old_mask;
};

bool
campaign_run_path(const char *dir, size_t config, unsigned long replication, const char *suffix,
                  char *buf, size_t size)
{
    char name[64];
    campaign_run_name(config, replication, name, sizeof name);
    int n = snprintf(buf, size, "%s/%s%s", dir, name, suffix);
    return n > 0 && (size_t)n < size;
}

void
campaign_db_status(const char *path, char *status, size_t size)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(status, size, "missing");
        return;
    }
    snprintf(status, size, "unreadable");
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    /* Read-write when allowed, so that closing checkpoints the WAL and leaves no -wal and
     * -shm files behind, as mip6sec-analysis does. */
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_close(db);
        db = NULL;
        rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    }
    if (rc == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT status FROM run LIMIT 1", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
        snprintf(status, size, "%s", (const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    sqlite3_close(db);
}

static double
elapsed_seconds(const struct pool *p)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - p->start.tv_sec) + (double)(now.tv_nsec - p->start.tv_nsec) / 1e9;
}

static void
format_duration(double seconds, char *buf, size_t size)
{
    long s = (long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(buf, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, size, "%ld:%02ld", s / 60, s % 60);
}

/* Print the progress line: in place on a terminal, as a new line otherwise. */
static void
show_progress(struct pool *p)
{
    double elapsed = elapsed_seconds(p);
    char elapsed_text[32], eta_text[32] = "?";
    format_duration(elapsed, elapsed_text, sizeof elapsed_text);
    /* Runs finished in this invocation give the rate; skipped runs cost nothing. */
    size_t finished = p->completed + p->failed;
    if (finished > 0)
        format_duration(elapsed / (double)finished * (double)p->remaining, eta_text,
                        sizeof eta_text);
    else if (p->remaining == 0)
        snprintf(eta_text, sizeof eta_text, "0:00");
    size_t done = p->skipped + p->completed;
    fprintf(stderr, "%s%zu/%zu done (%zu skipped), %zu failed, %zu running, elapsed %s, ETA %s%s",
            p->tty ? "\r" : "", done, p->total, p->skipped, p->failed, p->running, elapsed_text,
            eta_text, p->tty ? "\033[K" : "\n");
    p->line_shown = p->tty;
}

/* Print a message line, above the progress line on a terminal. */
static void message(struct pool *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
message(struct pool *p, const char *fmt, ...)
{
    if (p->line_shown)
        fputs("\r\033[K", stderr);
    p->line_shown = false;
    va_list ap;
    va_start(ap, fmt);
    fputs(PROGRAM ": ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Delete a leftover database and its SQLite side files before a run writes it again. */
static bool
remove_leftovers(struct pool *p, const char *db)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char path[4096];
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(path, sizeof path, "%s%s", db, suffixes[i]);
        if (unlink(path) != 0 && errno != ENOENT) {
            message(p, "cannot delete the leftover %s: %s; delete it by hand", path,
                    strerror(errno));
            return false;
        }
    }
    return true;
}

/* In the child: connect stdout and stderr to the log, restore signals, exec. */
_Noreturn static void
exec_scenario(struct pool *p, char **argv, int log_fd)
{
    setpgid(0, 0);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0)
        dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    sigprocmask(SIG_SETMASK, &p->old_mask, NULL);
    if (strchr(argv[0], '/'))
        execv(argv[0], argv);
    else
        execvp(argv[0], argv);
    fprintf(stderr, PROGRAM ": cannot execute %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Start run index in a free slot.  Returns false on a setup error (counted as failed). */
static bool
launch(struct pool *p, struct slot *slot, size_t index)
{
    char db[4096], log[4096];
    campaign_run_at(p->c, index, &slot->config, &slot->replication);
    campaign_run_name(slot->config, slot->replication, slot->name, sizeof slot->name);
    if (!campaign_run_path(p->dir, slot->config, slot->replication, ".db", db, sizeof db) ||
        !campaign_run_path(p->dir, slot->config, slot->replication, ".log", log, sizeof log)) {
        message(p, "%s: the path in --dir=%s is too long; use a shorter directory", slot->name,
                p->dir);
        return false;
    }
    if (!remove_leftovers(p, db))
        return false;

    char **argv = campaign_argv(p->c, slot->config, slot->replication, db);
    int log_fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_t pid = -1;
    if (!argv)
        message(p, "%s: out of memory", slot->name);
    else if (log_fd < 0)
        message(p, "%s: cannot create the log %s: %s", slot->name, log, strerror(errno));
    else if ((pid = fork()) < 0)
        message(p, "%s: fork failed: %s", slot->name, strerror(errno));
    else if (pid == 0)
        exec_scenario(p, argv, log_fd);

    if (pid > 0) {
        setpgid(pid, pid); /* also in the child; whichever runs first wins the race */
        slot->pid = pid;
        p->running++;
    }
    if (log_fd >= 0)
        close(log_fd);
    campaign_free_argv(argv);
    return pid > 0;
}

/* Judge a finished scenario by its exit status and its database. */
/* A run whose scenario exited with status 2 without a database rejected its options. */
static bool
rejects_options(int wait_status, const char *db_status)
{
    return WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 2 &&
           strcmp(db_status, "missing") == 0;
}

/*
 * Copy the last line of the log that is not empty, which is where a scenario
 * prints why it stopped, into out.  Return false when there is none.
 */
static bool
last_line(const char *path, char *out, size_t len)
{
    char tail[1024];
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    long from = size > (long)sizeof tail - 1 ? size - (long)sizeof tail + 1 : 0;
    size_t n = size >= 0 && fseek(f, from, SEEK_SET) == 0 ? fread(tail, 1, sizeof tail - 1, f) : 0;
    fclose(f);
    while (n > 0 && (tail[n - 1] == '\n' || tail[n - 1] == '\r' || tail[n - 1] == ' '))
        n--;
    if (n == 0)
        return false;
    tail[n] = '\0';
    char *start = strrchr(tail, '\n');
    start = start ? start + 1 : tail;
    size_t copy = strlen(start) < len - 1 ? strlen(start) : len - 1;
    memcpy(out, start, copy);
    out[copy] = '\0';
    /* Control bytes, such as those of a line that a killed run cut off, print as spaces. */
    for (char *c = out; *c; c++)
        if ((unsigned char)*c < 0x20)
            *c = ' ';
    return true;
}

static void
finish(struct pool *p, struct slot *slot, int wait_status)
{
    char db[4096], log[4096], status[64];
    campaign_run_path(p->dir, slot->config, slot->replication, ".db", db, sizeof db);
    campaign_run_path(p->dir, slot->config, slot->replication, ".log", log, sizeof log);
    campaign_db_status(db, status, sizeof status);
    slot->pid = 0;
    p->running--;
    p->ended++;

    bool exited_ok = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
    if (exited_ok && strcmp(status, "complete") == 0) {
        p->completed++;
        p->remaining--;
        return;
    }
    /* A run stopped by the forwarded signal is not a failure: it stays to do. */
    if (!p->stop_signal) {
        p->failed++;
        p->remaining--;
    }
    char how[96], cause[256];
    if (WIFEXITED(wait_status))
        snprintf(how, sizeof how, "exit status %d", WEXITSTATUS(wait_status));
    else if (WIFSIGNALED(wait_status))
        snprintf(how, sizeof how, "killed by signal %d (%s)", WTERMSIG(wait_status),
                 strsignal(WTERMSIG(wait_status)));
    else
        snprintf(how, sizeof how, "wait status %d", wait_status);
    if (p->stop_signal)
        message(p, "%s stopped: %s, run.status '%s'; it runs again on resume", slot->name, how,
                status);
    else if (rejects_options(wait_status, status) && !p->rejected[slot->config] &&
             last_line(log, cause, sizeof cause)) {
        p->rejected[slot->config] = true;
        message(p,
                "%s failed: %s, run.status '%s': %s (log: %s); the scenario rejected the options "
                "of config%zu, so its other runs are not started",
                slot->name, how, status, cause, log, slot->config);
    } else if (last_line(log, cause, sizeof cause))
        message(p, "%s failed: %s, run.status '%s': %s (log: %s)", slot->name, how, status, cause,
                log);
    else
        message(p, "%s failed: %s, run.status '%s'; log: %s", slot->name, how, status, log);
}

static void
reap(struct pool *p)
{
    int wait_status;
    pid_t pid;
    while ((pid = waitpid(-1, &wait_status, WNOHANG)) > 0) {
        for (unsigned i = 0; i < p->jobs; i++) {
            if (p->slots[i].pid == pid) {
                finish(p, &p->slots[i], wait_status);
                if (!p->tty)
                    show_progress(p);
                break;
            }
        }
    }
}

static void
forward(struct pool *p, int sig)
{
    for (unsigned i = 0; i < p->jobs; i++)
        if (p->slots[i].pid > 0)
            kill(p->slots[i].pid, sig);
}

static void
ignore_signal(int sig)
{
    (void)sig;
}

/* Wait up to a second for a signal and act on it. */
static void
wait_for_event(struct pool *p, const sigset_t *set)
{
    struct timespec second = {1, 0};
    int sig = sigtimedwait(set, NULL, &second);
    if (sig == SIGINT || sig == SIGTERM) {
        if (p->stop_signal) {
            message(p, "second stop signal: killing the running scenarios");
            forward(p, SIGKILL);
        } else {
            p->stop_signal = sig;
            message(p, "%s: launching no more runs; waiting for %zu running scenarios to stop",
                    sig == SIGINT ? "interrupted" : "terminated", p->running);
            forward(p, sig);
        }
    }
    reap(p);
}

/* The runs of [first, last) whose database is not complete yet. */
static size_t
count_remaining(const struct campaign *c, const char *dir, size_t first, size_t last)
{
    size_t remaining = 0;
    for (size_t i = first; i < last; i++) {
        size_t config;
        unsigned long replication;
        char db[4096], status[64];
        campaign_run_at(c, i, &config, &replication);
        campaign_run_path(dir, config, replication, ".db", db, sizeof db);
        campaign_db_status(db, status, sizeof status);
        remaining += strcmp(status, "complete") != 0;
    }
    return remaining;
}

int
campaign_run_range(const struct campaign *c, const char *dir, size_t first, size_t last,
                   unsigned jobs)
{
    struct pool p = {.c = c, .dir = dir, .jobs = jobs ? jobs : 1, .total = last - first};
    p.slots = calloc(p.jobs, sizeof *p.slots);
    p.rejected = calloc(c->config_count ? c->config_count : 1, sizeof *p.rejected);
    if (!p.slots || !p.rejected) {
        free(p.slots);
        free(p.rejected);
        fprintf(stderr, PROGRAM ": out of memory\n");
        return CAMPAIGN_EXIT_USAGE;
    }
    p.tty = isatty(STDERR_FILENO);
    clock_gettime(CLOCK_MONOTONIC, &p.start);
    p.remaining = count_remaining(c, dir, first, last);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, &p.old_mask);
    /* Handlers, so that no signal is discarded as ignored (SIGCHLD's default,
     * or SIGINT when a non-interactive shell started us in the background). */
    struct sigaction sa = {.sa_handler = ignore_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGCHLD, &sa, NULL);

    fprintf(stderr, PROGRAM ": %zu runs, %zu to do, up to %u at a time, in %s\n", p.total,
            p.remaining, p.jobs, dir);
    size_t next = first;
    for (;;) {
        while (!p.stop_signal && p.running < p.jobs && next < last) {
            size_t config;
            unsigned long replication;
            char db[4096], status[64];
            campaign_run_at(c, next, &config, &replication);
            campaign_run_path(dir, config, replication, ".db", db, sizeof db);
            campaign_db_status(db, status, sizeof status);
            if (strcmp(status, "complete") == 0) {
                p.skipped++;
                next++;
                continue;
            }
            if (p.rejected[config]) {
                p.failed++;
                p.remaining--;
                next++;
                continue;
            }
            struct slot *slot = p.slots;
            while (slot->pid > 0)
                slot++;
            if (!launch(&p, slot, next)) {
                p.failed++;
                p.remaining--;
            }
            next++;
        }
        if (p.running == 0)
            break;
        if (p.tty)
            show_progress(&p);
        wait_for_event(&p, &set);
    }
    /* A signal may still be pending when the last scenario ended. */
    struct timespec zero = {0, 0};
    int late = sigtimedwait(&set, NULL, &zero);
    if (!p.stop_signal && (late == SIGINT || late == SIGTERM))
        p.stop_signal = late;

    /* Without a terminal, each finished run already printed its line. */
    if (p.tty || p.ended == 0)
        show_progress(&p);
    if (p.tty)
        fputc('\n', stderr);
    sigprocmask(SIG_SETMASK, &p.old_mask, NULL);
    free(p.slots);
    free(p.rejected);

    if (p.stop_signal == SIGINT)
        return CAMPAIGN_EXIT_INTERRUPTED;
    if (p.stop_signal == SIGTERM)
        return CAMPAIGN_EXIT_TERMINATED;
    if (p.failed > 0) {
        fprintf(stderr,
                PROGRAM ": %zu of %zu runs failed; fix the cause and run the same "
                        "command again to repeat only the incomplete runs\n",
                p.failed, p.total);
        return CAMPAIGN_EXIT_RUN_FAILED;
    }
    return CAMPAIGN_EXIT_OK;
}
