/*
 * analysis.c - wall time of mip6sec-analysis on a big run database, for the
 * target "a database of 10 million events is analysed in seconds".
 *
 * Without a database argument it first records one: the default handoff
 * scenario with 10000 datagrams/s, IKEv2 and ESP on the tunnel, for as many
 * simulated seconds as the requested event count needs (about 200000 events
 * per simulated second).  Then it times, each in its own process and after
 * one warm-up run:
 *   scan      one pass of SQLite over packet_event (the floor that any
 *             analysis reading every event pays);
 *   handoffs  mip6sec-analysis RUN.db, the handoff table and statistics;
 *   rekeys    mip6sec-analysis --rekeys RUN.db;
 *   overhead  mip6sec-analysis --overhead RUN.db.
 * It prints each one's wall time, the time scaled to 10 million events and
 * the ratio to the scan.
 *
 * Usage: analysis_bench [million events, default 10] [database path,
 * default /tmp/analysis_bench.db; recorded when it does not exist]
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Events per simulated second that the recording scenario writes, measured at 12.5 million. */
#define EVENTS_PER_SIM_SECOND 200000.0

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run argv with its output discarded and return the wall time, or exit on failure. */
static double
run_timed(char *const argv[])
{
    double start = now_s();
    pid_t pid = fork();
    if (pid < 0) {
        perror("analysis_bench: fork");
        exit(1);
    }
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, STDOUT_FILENO);
            dup2(null, STDERR_FILENO);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "analysis_bench: %s failed (status %d); run it by hand to see why\n",
                argv[0], WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        exit(1);
    }
    return now_s() - start;
}

static sqlite3 *
open_db(const char *path)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "analysis_bench: failed to open %s: %s\n", path, sqlite3_errmsg(db));
        exit(1);
    }
    return db;
}

static double
query_number(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    double value = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "analysis_bench: %s: %s\n", sql, sqlite3_errmsg(db));
        exit(1);
    }
    if (sqlite3_step(st) == SQLITE_ROW)
        value = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return value;
}

/* One pass over packet_event that reads every row, as a reading analysis must. */
static double
time_scan(const char *path)
{
    sqlite3 *db = open_db(path);
    double start = now_s();
    query_number(db, "SELECT sum(size) + sum(time_ns % 7) FROM packet_event");
    double elapsed = now_s() - start;
    sqlite3_close(db);
    return elapsed;
}

int
main(int argc, char **argv)
{
    double millions = argc > 1 ? strtod(argv[1], NULL) : 10;
    const char *path = argc > 2 ? argv[2] : "/tmp/analysis_bench.db";
    if (!(millions > 0 && millions <= 1000)) {
        fprintf(stderr,
                "analysis_bench: invalid event count '%s': expected millions from 0 to "
                "1000\n",
                argv[1]);
        return 2;
    }

    struct stat st;
    if (stat(path, &st) != 0) {
        char duration[64], output[4200];
        snprintf(duration, sizeof duration, "--duration=%.0f",
                 millions * 1e6 / EVENTS_PER_SIM_SECOND + 2);
        snprintf(output, sizeof output, "--output=%s", path);
        char *record[] = {MIP6SEC_HANDOFF_PATH,
                          "--interval=0.1",
                          "--keying=ikev2",
                          "--tunnelEsp=all",
                          "--saSoftLifetime=8",
                          "--saHardLifetime=10",
                          duration,
                          output,
                          NULL};
        printf("recording %s with %s %s ...\n", path, record[0], duration);
        fflush(stdout);
        double seconds = run_timed(record);
        printf("recorded in %.1f s\n", seconds);
    }

    sqlite3 *db = open_db(path);
    double events = query_number(db, "SELECT (SELECT count(*) FROM packet_event) + (SELECT "
                                     "count(*) FROM mobility_event) + (SELECT count(*) FROM "
                                     "sa_event)");
    sqlite3_close(db);
    if (events < 1) {
        fprintf(stderr, "analysis_bench: %s has no events; remove it to record a new one\n", path);
        return 1;
    }

    char *handoffs[] = {MIP6SEC_ANALYSIS_PATH, (char *)path, NULL};
    char *rekeys[] = {MIP6SEC_ANALYSIS_PATH, "--rekeys", (char *)path, NULL};
    char *overhead[] = {MIP6SEC_ANALYSIS_PATH, "--overhead", (char *)path, NULL};
    struct {
        const char *name;
        char **argv;
    } modes[] = {{"handoffs", handoffs}, {"rekeys", rekeys}, {"overhead", overhead}};

    /* Warm the page cache, and let the analysis add any missing index or view. */
    time_scan(path);
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        run_timed(modes[i].argv);

    double scan = time_scan(path);
    printf("%.2f million events in %s (2 cores; machine noise about 30%%)\n", events / 1e6, path);
    printf("%-10s %10s %16s %10s\n", "step", "wall [s]", "per 10M ev [s]", "ratio");
    printf("%-10s %10.3f %16.3f %10.2f\n", "scan", scan, scan * 1e7 / events, 1.0);
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        double t = run_timed(modes[i].argv);
        printf("%-10s %10.3f %16.3f %10.2f\n", modes[i].name, t, t * 1e7 / events, t / scan);
    }
    return 0;
}
