/*
 * rec.c - the SQLite event recorder (see rec.h and docs/database.md):
 * creating the database, the recording functions and closing.
 *
 * The recording functions run on the caller's thread.  rec_packet parses
 * the packet into a struct pktinfo and appends it with the other arguments
 * as one row to the chunk being filled.  Full chunks go to the writer
 * thread (model/rec_writer.c), which does all the SQLite work, so that
 * recording overlaps the simulation on a second core.
 *
 * The indexes that the analysis needs slow inserts down when SQLite
 * maintains them row by row, so rec_close builds them once at the end.
 */
#define _POSIX_C_SOURCE 200809L

#include "rec.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pktinfo.h"
#include "rec_schema.h"
#include "rec_writer.h"

/*
 * How long a statement waits for another connection's write lock before
 * it fails and the row is counted as lost.  In WAL mode readers do not
 * block the recorder, but another writer does.
 */
#define BUSY_TIMEOUT_MS 100

/* "mip6" in ASCII; PRAGMA application_id marks a mip6sec database. */
#define REC_APPLICATION_ID 0x6d697036
#define REC_SCHEMA_VERSION 2

_Static_assert(REC_QUEUE_ROWS % REC_CHUNK_ROWS == 0 && REC_QUEUE_CHUNKS >= 2,
               "the queue holds whole chunks, at least two");

static void
set_err(char *err, size_t err_len, const char *fmt, const char *a, const char *b, const char *c)
{
    if (err && err_len > 0)
        snprintf(err, err_len, fmt, a, b, c);
}

static const char *
status_text(enum rec_status status)
{
    switch (status) {
    case REC_RUNNING:
        return "running";
    case REC_COMPLETE:
        return "complete";
    case REC_INTERRUPTED:
        return "interrupted";
    case REC_FAILED:
        return "failed";
    }
    return "failed";
}

/* Current wall-clock time as ISO 8601 UTC text with milliseconds. */
static void
wall_now(char out[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* A 128-bit random run id in hex, so databases of many runs can be merged. */
static void
make_run_id(char out[33])
{
    uint8_t bytes[16] = {0};
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    bool ok = fd >= 0 && read(fd, bytes, sizeof bytes) == (ssize_t)sizeof bytes;
    if (fd >= 0)
        close(fd);
    if (!ok) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t a = rec_mix((uint64_t)ts.tv_sec, (uint64_t)ts.tv_nsec);
        uint64_t b = rec_mix((uint64_t)getpid(), a);
        memcpy(bytes, &a, 8);
        memcpy(bytes + 8, &b, 8);
    }
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", bytes[i]);
}

/* ------------------------------------------------------------------ open */

/* Check that the directory of path exists and is writable, so the error can name the fix. */
static bool
check_directory(const char *path, char *err, size_t err_len)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(dir, sizeof dir, ".");
    } else if (slash == path) {
        snprintf(dir, sizeof dir, "/");
    } else {
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    }

    struct stat st;
    if (stat(dir, &st) != 0) {
        set_err(err, err_len,
                "cannot create database %s: directory %s does not exist; create it first "
                "(mkdir -p %s) or choose a path in an existing directory",
                path, dir, dir);
        return false;
    }
    if (!S_ISDIR(st.st_mode)) {
        set_err(err, err_len, "cannot create database %s: %s is not a directory%s", path, dir,
                "; choose a path in an existing directory");
        return false;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        set_err(err, err_len,
                "cannot create database %s: directory %s is not writable (%s); choose a "
                "writable directory",
                path, dir, strerror(errno));
        return false;
    }
    return true;
}

/* Remove an earlier database at path with its WAL and shared-memory files. */
static bool
remove_old(const char *path, char *err, size_t err_len)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char name[4096];
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(name, sizeof name, "%s%s", path, suffixes[i]);
        if (unlink(name) != 0 && errno != ENOENT) {
            set_err(err, err_len, "cannot replace existing file %s: %s%s", name, strerror(errno),
                    "; remove it or choose another path");
            return false;
        }
    }
    return true;
}

/*
 * Warn when the file system refused WAL mode: the database still works,
 * but a killed run may then leave a hot rollback journal behind.
 */
static bool
check_wal(struct rec *r)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db, "PRAGMA journal_mode", -1, &st, NULL) != SQLITE_OK)
        return false;
    bool ok = sqlite3_step(st) == SQLITE_ROW;
    const char *mode = ok ? (const char *)sqlite3_column_text(st, 0) : NULL;
    if (ok && (!mode || strcmp(mode, "wal") != 0))
        fprintf(stderr,
                "mip6sec recorder: %s: journal mode is %s, not wal; the file system "
                "may not support WAL\n",
                r->path, mode ? mode : "unknown");
    sqlite3_finalize(st);
    return ok;
}

/* PRAGMAs, schema, lookup tables and the run row, in one transaction. */
static bool
create_schema(struct rec *r)
{
    char sql[512];
    char wall[32];
    char run_id[33];
    sqlite3_stmt *st = NULL;
    bool ok = true;

    /*
     * page_size must be set before the first table is created.  64 KiB
     * pages insert about 20% faster than 4 KiB ones (bench/rec_bench.c on
     * 2 cores), and a checkpoint every 256 pages keeps the WAL near 16 MiB.
     */
    snprintf(sql, sizeof sql,
             "PRAGMA page_size = 65536; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
             " PRAGMA wal_autocheckpoint = 256; PRAGMA cache_size = -32768;"
             " PRAGMA application_id = %d; PRAGMA user_version = %d",
             REC_APPLICATION_ID, REC_SCHEMA_VERSION);
    ok = sqlite3_exec(r->db, sql, NULL, NULL, NULL) == SQLITE_OK;
    ok = ok && check_wal(r);
    sqlite3_busy_timeout(r->db, BUSY_TIMEOUT_MS);
    ok = ok && sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
    ok = ok && sqlite3_exec(r->db, rec_schema_sql, NULL, NULL, NULL) == SQLITE_OK;
    ok = ok && rec_fill_lookups(r->db);

    wall_now(wall);
    make_run_id(run_id);
    ok = ok && sqlite3_prepare_v2(r->db,
                                  "INSERT INTO run(run_id, wall_start, status)"
                                  " VALUES(?, ?, 'running')",
                                  -1, &st, NULL) == SQLITE_OK;
    if (ok) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, wall, -1, SQLITE_STATIC);
        ok = sqlite3_step(st) == SQLITE_DONE;
    }
    sqlite3_finalize(st);
    ok = ok && sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;

    return ok && rec_writer_prepare(r);
}

static void
destroy(struct rec *r)
{
    rec_writer_free(r);
    if (r->lock_ready) {
        pthread_mutex_destroy(&r->lock);
        pthread_cond_destroy(&r->work);
        pthread_cond_destroy(&r->space);
    }
    free(r->chunks);
    free(r->path);
    free(r);
}

/*
 * Start the writer thread with every signal blocked, so that signals such
 * as SIGINT still reach the thread that runs the simulation.
 */
static int
start_writer(struct rec *r)
{
    r->chunks = calloc(REC_QUEUE_CHUNKS, sizeof *r->chunks);
    if (!r->chunks)
        return ENOMEM;
    r->filling = &r->chunks[0];

    int rc = pthread_mutex_init(&r->lock, NULL);
    if (rc != 0)
        return rc;
    if ((rc = pthread_cond_init(&r->work, NULL)) != 0) {
        pthread_mutex_destroy(&r->lock);
        return rc;
    }
    if ((rc = pthread_cond_init(&r->space, NULL)) != 0) {
        pthread_cond_destroy(&r->work);
        pthread_mutex_destroy(&r->lock);
        return rc;
    }
    r->lock_ready = true;

    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&r->thread, NULL, rec_writer_run, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    r->thread_started = rc == 0;
    return rc;
}

struct rec *
rec_open(const char *path, char *err, size_t err_len)
{
    if (!path || !*path) {
        set_err(err, err_len, "%s%s%s", "database path is empty; pass a file name", "", "");
        return NULL;
    }
    if (!check_directory(path, err, err_len) || !remove_old(path, err, err_len))
        return NULL;

    struct rec *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        free(r);
        set_err(err, err_len, "cannot create database %s: %s%s", path, "out of memory", "");
        return NULL;
    }
    r->addrs.next_id = 1;

    int rc = sqlite3_open_v2(
        path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK || !create_schema(r)) {
        set_err(err, err_len, "cannot create database %s: %s%s", path,
                r->db ? sqlite3_errmsg(r->db) : sqlite3_errstr(rc), "");
        destroy(r);
        return NULL;
    }

    rc = start_writer(r);
    if (rc != 0) {
        set_err(err, err_len, "cannot start the writer thread of database %s: %s%s", path,
                strerror(rc), "");
        destroy(r);
        return NULL;
    }
    return r;
}

/* ------------------------------------------------------------- the queue */

/*
 * Hand the chunk being filled to the writer thread, then wait until the
 * next chunk is free to fill: the caller blocks while REC_QUEUE_CHUNKS
 * chunks are queued or being written.
 */
static void
hand_off(struct rec *r, unsigned flags)
{
    pthread_mutex_lock(&r->lock);
    r->filling->flags = flags;
    r->published++;
    pthread_cond_signal(&r->work);
    while (r->published - r->done >= REC_QUEUE_CHUNKS)
        pthread_cond_wait(&r->space, &r->lock);
    r->filling = &r->chunks[r->published % REC_QUEUE_CHUNKS];
    pthread_mutex_unlock(&r->lock);
    r->filling->count = 0;
    r->filling->flags = 0;
}

/* Hand off the chunk being filled with a commit and wait until the writer has done it. */
static void
hand_off_and_wait(struct rec *r, unsigned flags)
{
    hand_off(r, flags | CHUNK_COMMIT);
    pthread_mutex_lock(&r->lock);
    while (r->done != r->published)
        pthread_cond_wait(&r->space, &r->lock);
    pthread_mutex_unlock(&r->lock);
}

/* The next free row of the chunk being filled; a full chunk goes to the writer first. */
static struct rec_row *
next_row(struct rec *r, enum rec_row_type type)
{
    if (r->filling->count == REC_CHUNK_ROWS)
        hand_off(r, 0);
    struct rec_row *row = &r->filling->rows[r->filling->count++];
    row->type = type;
    return row;
}

/*
 * Copy text for a queued row; NULL stays NULL.  Returns false when memory
 * runs out: then the row is counted as lost, which rec_close reports.
 */
static bool
copy_text(struct rec *r, char **out, const char *text)
{
    *out = NULL;
    if (!text)
        return true;
    *out = strdup(text);
    if (*out)
        return true;
    if (r->copy_failures++ == 0)
        fprintf(stderr,
                "mip6sec recorder: %s: out of memory copying a text column; "
                "the row and any further such rows are lost\n",
                r->path);
    return false;
}

/* ------------------------------------------------------------- recording */

void
rec_param(struct rec *r, const char *name, const char *value)
{
    if (!r || !name)
        return;
    char *name_copy, *value_copy;
    if (!copy_text(r, &name_copy, name))
        return;
    if (!copy_text(r, &value_copy, value)) {
        free(name_copy);
        return;
    }
    struct rec_row *row = next_row(r, ROW_PARAM);
    row->u.param.name = name_copy;
    row->u.param.value = value_copy;
}

void
rec_begin(struct rec *r, uint64_t seed, uint64_t run, const char *ns3_version,
          const char *project_version)
{
    if (!r)
        return;
    char *ns3_copy, *project_copy;
    if (!copy_text(r, &ns3_copy, ns3_version))
        return;
    if (!copy_text(r, &project_copy, project_version)) {
        free(ns3_copy);
        return;
    }
    struct rec_row *row = next_row(r, ROW_RUN_BEGIN);
    row->u.begin.seed = seed;
    row->u.begin.run = run;
    row->u.begin.ns3_version = ns3_copy;
    row->u.begin.project_version = project_copy;

    /* rec.h: the run row is committed when rec_begin returns. */
    hand_off_and_wait(r, 0);
}

void
rec_node(struct rec *r, uint32_t node, const char *name)
{
    if (!r)
        return;
    char *name_copy;
    if (!copy_text(r, &name_copy, name))
        return;
    struct rec_row *row = next_row(r, ROW_NODE);
    row->u.node.node = node;
    row->u.node.name = name_copy;
}

void
rec_packet(struct rec *r, uint64_t time_ns, uint32_t node, uint32_t ifindex, enum rec_kind kind,
           const uint8_t *pkt, size_t caplen, size_t wire_len, uint64_t uid, uint64_t parent_uid,
           enum rec_drop drop)
{
    if (!r)
        return;
    struct rec_row *row = next_row(r, ROW_PACKET);
    row->u.packet.time_ns = time_ns;
    row->u.packet.uid = uid;
    row->u.packet.parent_uid = parent_uid;
    row->u.packet.wire_len = wire_len;
    row->u.packet.node = node;
    row->u.packet.ifindex = ifindex;
    row->u.packet.kind = kind;
    row->u.packet.drop = drop;
    pktinfo_parse(&row->u.packet.info, pkt, caplen);
}

void
rec_mobility(struct rec *r, uint64_t time_ns, uint32_t node, uint32_t ifindex, enum rec_mob kind,
             const uint8_t *addr, int64_t value, int64_t value2)
{
    if (!r)
        return;
    struct rec_row *row = next_row(r, ROW_MOBILITY);
    row->u.mobility.time_ns = time_ns;
    row->u.mobility.node = node;
    row->u.mobility.ifindex = ifindex;
    row->u.mobility.kind = kind;
    row->u.mobility.has_addr = addr != NULL;
    if (addr)
        memcpy(row->u.mobility.addr, addr, 16);
    row->u.mobility.value = value;
    row->u.mobility.value2 = value2;
}

void
rec_sa(struct rec *r, uint64_t time_ns, uint32_t node, enum rec_sa_event event,
       const struct rec_sa_info *sa)
{
    if (!r || !sa)
        return;
    char *name_copy, *keying_copy;
    if (!copy_text(r, &name_copy, sa->name))
        return;
    if (!copy_text(r, &keying_copy, sa->keying)) {
        free(name_copy);
        return;
    }
    struct rec_row *row = next_row(r, ROW_SA);
    row->u.sa.time_ns = time_ns;
    row->u.sa.packets = sa->packets;
    row->u.sa.bytes = sa->bytes;
    row->u.sa.node = node;
    row->u.sa.spi = sa->spi;
    row->u.sa.event = event;
    row->u.sa.inbound = sa->inbound;
    row->u.sa.has_peer = sa->peer != NULL;
    if (sa->peer)
        memcpy(row->u.sa.peer, sa->peer, 16);
    row->u.sa.name = name_copy;
    row->u.sa.keying = keying_copy;
}

void
rec_flush(struct rec *r)
{
    if (r)
        hand_off_and_wait(r, 0);
}

int
rec_close(struct rec *r, enum rec_status status)
{
    if (!r)
        return 0;

    hand_off_and_wait(r, CHUNK_STOP);
    pthread_join(r->thread, NULL);
    r->thread_started = false;
    r->rows_lost += r->copy_failures;
    r->errors += r->copy_failures;

    char wall[32];
    wall_now(wall);
    rec_writer_finish(r, status_text(status), wall);

    if (r->errors > 0)
        fprintf(stderr, "mip6sec recorder: %s: %lu errors, %llu events lost\n", r->path, r->errors,
                (unsigned long long)r->rows_lost);
    int result = r->errors ? -1 : 0;
    destroy(r);
    return result;
}
