/*
 * rec.c - the SQLite event recorder (see rec.h and docs/database.md).
 *
 * Hot path: rec_packet parses the packet into a struct pktinfo, turns each
 * address and header chain into a small integer through open-addressing
 * hash tables in memory, and steps one prepared INSERT.  Rows go into a
 * transaction that commits every REC_BATCH_ROWS rows.  A new address or
 * chain gets its lookup row in the same transaction as the first event
 * that uses it, so a committed event never refers to a missing row.
 *
 * The indexes that the analysis needs slow inserts down when SQLite
 * maintains them row by row, so rec_close builds them once at the end.
 */
#define _POSIX_C_SOURCE 200809L

#include "rec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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

/* Errors printed in full before the rest are only counted. */
#define REPORT_MAX 10

/* Node ids above this are recorded but not added to the node table automatically. */
#define NODE_AUTO_MAX (1u << 20)

/*
 * How long a statement waits for another connection's write lock before
 * it fails and the row is counted as lost.  In WAL mode readers do not
 * block the recorder, but another writer does.
 */
#define BUSY_TIMEOUT_MS 100

/* "mip6" in ASCII; PRAGMA application_id marks a mip6sec database. */
#define REC_APPLICATION_ID 0x6d697036
#define REC_SCHEMA_VERSION 2

/* One slot of an interning table: a 128-bit key and its row id (0 = empty). */
struct slot {
    uint64_t hi;
    uint64_t lo;
    int64_t id;
};

/* Open-addressing hash table with linear probing; capacity is a power of two. */
struct intern {
    struct slot *slots;
    size_t cap;
    size_t used;
    int64_t next_id;
};

enum stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_PACKET,
    ST_MOBILITY,
    ST_ADDRESS,
    ST_CHAIN,
    ST_PARAM,
    ST_NODE_NAME,
    ST_NODE_SEEN,
    ST_RUN_BEGIN,
    ST_RUN_END,
    ST_SA,
    ST_COUNT,
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN",
    [ST_COMMIT] = "COMMIT",
    [ST_PACKET] = "INSERT INTO packet_event VALUES"
                  "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_MOBILITY] = "INSERT INTO mobility_event VALUES(?,?,?,?,?,?,?)",
    [ST_ADDRESS] = "INSERT INTO address(id, text) VALUES(?,?)",
    [ST_CHAIN] = "INSERT OR IGNORE INTO chain(id, text) VALUES(?,?)",
    [ST_PARAM] = "INSERT OR REPLACE INTO param(name, value) VALUES(?,?)",
    [ST_NODE_NAME] = "INSERT INTO node(id, name) VALUES(?,?)"
                     " ON CONFLICT(id) DO UPDATE SET name = excluded.name",
    [ST_NODE_SEEN] = "INSERT OR IGNORE INTO node(id) VALUES(?)",
    [ST_RUN_BEGIN] = "UPDATE run SET seed = ?, run_number = ?, ns3_version = ?,"
                     " project_version = ?",
    [ST_RUN_END] = "UPDATE run SET status = ?, wall_end = ?, events_lost = ?",
    [ST_SA] = "INSERT INTO sa_event VALUES(?,?,?,?,?,?,?,?,?,?)",
};

struct rec {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *stmt[ST_COUNT];
    bool in_txn;
    unsigned pending; /* rows inserted since BEGIN */
    struct intern addrs;
    struct intern chains;
    uint8_t *node_seen; /* 1 when node id i is in the node table */
    size_t node_cap;
    unsigned long errors;
    unsigned long rollbacks; /* transactions that SQLite rolled back after an error */
    uint64_t rows_lost;      /* rows that a failed statement or rollback discarded */
};

/* ---------------------------------------------------------------- errors */

/* Print an SQLite error naming the database; after REPORT_MAX errors only count them. */
static void
report(struct rec *r, const char *what)
{
    r->errors++;
    if (r->errors <= REPORT_MAX)
        fprintf(stderr, "mip6sec recorder: %s: %s failed: %s (SQLite error %d)\n", r->path, what,
                sqlite3_errmsg(r->db), sqlite3_extended_errcode(r->db));
    if (r->errors == REPORT_MAX)
        fprintf(stderr, "mip6sec recorder: %s: further errors are counted, not printed\n", r->path);
}

static void
set_err(char *err, size_t err_len, const char *fmt, const char *a, const char *b, const char *c)
{
    if (err && err_len > 0)
        snprintf(err, err_len, fmt, a, b, c);
}

/* -------------------------------------------------------------- interning */

static uint64_t
mix(uint64_t hi, uint64_t lo)
{
    uint64_t h = hi * 0x9e3779b97f4a7c15u ^ lo * 0xc2b2ae3d27d4eb4fu;
    return h ^ h >> 29;
}

static bool
intern_grow(struct intern *t)
{
    size_t cap = t->cap ? t->cap * 2 : 256;
    struct slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < t->cap; i++) {
        if (t->slots[i].id == 0)
            continue;
        size_t j = mix(t->slots[i].hi, t->slots[i].lo) & (cap - 1);
        while (slots[j].id != 0)
            j = (j + 1) & (cap - 1);
        slots[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return true;
}

/*
 * Find the key; when absent, return its empty slot with id 0 so the caller
 * can fill it.  Returns NULL only when the table cannot grow.
 */
static struct slot *
intern_find(struct intern *t, uint64_t hi, uint64_t lo)
{
    if ((t->used + 1) * 2 > t->cap && !intern_grow(t))
        return NULL;
    size_t j = mix(hi, lo) & (t->cap - 1);
    while (t->slots[j].id != 0) {
        if (t->slots[j].hi == hi && t->slots[j].lo == lo)
            return &t->slots[j];
        j = (j + 1) & (t->cap - 1);
    }
    t->slots[j].hi = hi;
    t->slots[j].lo = lo;
    return &t->slots[j];
}

static void
intern_clear(struct intern *t)
{
    if (t->slots)
        memset(t->slots, 0, t->cap * sizeof *t->slots);
    t->used = 0;
}

static uint64_t
load_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* ------------------------------------------------------------ statements */

/* Step a prepared statement once and reset it; reports and returns false on error. */
static bool
step(struct rec *r, enum stmt_id id, const char *what)
{
    sqlite3_stmt *st = r->stmt[id];
    int rc = sqlite3_step(st);
    bool ok = rc == SQLITE_DONE || rc == SQLITE_ROW;
    if (!ok)
        report(r, what);
    sqlite3_reset(st);
    return ok;
}

static bool reload_lookups(struct rec *r);

/*
 * After a failed statement, SQLite may have rolled back the whole
 * transaction (disk full, I/O error).  Then the rows of the batch are
 * gone, and so are the address and chain rows the in-memory tables point
 * to, so those tables are rebuilt from what was committed.
 */
static void
check_rollback(struct rec *r)
{
    if (!r->in_txn || !sqlite3_get_autocommit(r->db))
        return;
    r->rows_lost += r->pending;
    r->pending = 0;
    r->in_txn = false;
    r->rollbacks++;
    reload_lookups(r);
}

static bool
open_batch(struct rec *r)
{
    if (r->in_txn)
        return true;
    if (!step(r, ST_BEGIN, "BEGIN"))
        return false;
    r->in_txn = true;
    r->pending = 0;
    return true;
}

static void
commit(struct rec *r)
{
    if (!r->in_txn)
        return;
    if (!step(r, ST_COMMIT, "COMMIT")) {
        /* The transaction stays open when COMMIT fails with SQLITE_BUSY; retry next batch. */
        check_rollback(r);
        return;
    }
    r->in_txn = false;
    r->pending = 0;
}

static void
count_row(struct rec *r, bool inserted)
{
    if (!inserted) {
        r->rows_lost++;
        check_rollback(r);
        return;
    }
    if (++r->pending >= REC_BATCH_ROWS)
        commit(r);
}

/* --------------------------------------------------------- lookup tables */

/* Return the address table id of a 16-byte address, inserting its row on first use; 0 on error. */
static int64_t
address_id(struct rec *r, const uint8_t addr[16])
{
    uint64_t hi = load_be64(addr), lo = load_be64(addr + 8);
    struct slot *s = intern_find(&r->addrs, hi, lo);
    if (!s)
        return 0;
    if (s->id != 0)
        return s->id;

    char text[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, addr, text, sizeof text);
    int64_t id = r->addrs.next_id;
    sqlite3_bind_int64(r->stmt[ST_ADDRESS], 1, id);
    sqlite3_bind_text(r->stmt[ST_ADDRESS], 2, text, -1, SQLITE_TRANSIENT);
    if (!step(r, ST_ADDRESS, "inserting an address")) {
        /* The slot keeps id 0, so it still reads as empty. */
        check_rollback(r);
        return 0;
    }
    s->id = id;
    r->addrs.next_id++;
    r->addrs.used++;
    return id;
}

/*
 * Return the chain column value, which is the packed chain itself, and
 * insert its text into the chain table on first use.  The table in memory
 * only records which chains have a row.
 */
static int64_t
chain_id(struct rec *r, uint64_t chain)
{
    struct slot *s = intern_find(&r->chains, chain, 0);
    if (!s || s->id != 0)
        return (int64_t)chain;

    char text[PKTINFO_CHAIN_TEXT_MAX];
    pktinfo_chain_text(chain, text, sizeof text);
    sqlite3_bind_int64(r->stmt[ST_CHAIN], 1, (int64_t)chain);
    sqlite3_bind_text(r->stmt[ST_CHAIN], 2, text, -1, SQLITE_TRANSIENT);
    if (!step(r, ST_CHAIN, "inserting a header chain")) {
        check_rollback(r);
        return (int64_t)chain;
    }
    s->id = 1;
    r->chains.used++;
    return (int64_t)chain;
}

/* Add the node id to the node table the first time an event names it. */
static void
note_node(struct rec *r, uint32_t node)
{
    if (node < r->node_cap && r->node_seen[node])
        return;
    if (node >= NODE_AUTO_MAX)
        return;
    if (node >= r->node_cap) {
        size_t cap = r->node_cap ? r->node_cap : 64;
        while (cap <= node)
            cap *= 2;
        uint8_t *seen = realloc(r->node_seen, cap);
        if (!seen)
            return;
        memset(seen + r->node_cap, 0, cap - r->node_cap);
        r->node_seen = seen;
        r->node_cap = cap;
    }
    sqlite3_bind_int64(r->stmt[ST_NODE_SEEN], 1, node);
    if (step(r, ST_NODE_SEEN, "inserting a node"))
        r->node_seen[node] = 1;
    else
        check_rollback(r);
}

/* Rebuild the in-memory address and chain tables from the committed rows. */
static bool
reload_lookups(struct rec *r)
{
    intern_clear(&r->addrs);
    intern_clear(&r->chains);
    r->addrs.next_id = 1;
    if (r->node_seen)
        memset(r->node_seen, 0, r->node_cap);

    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(r->db, "SELECT id, text FROM address", -1, &st, NULL) == SQLITE_OK;
    while (ok && sqlite3_step(st) == SQLITE_ROW) {
        uint8_t addr[16];
        const char *text = (const char *)sqlite3_column_text(st, 1);
        int64_t id = sqlite3_column_int64(st, 0);
        if (!text || inet_pton(AF_INET6, text, addr) != 1)
            continue;
        struct slot *s = intern_find(&r->addrs, load_be64(addr), load_be64(addr + 8));
        if (!s)
            break;
        s->id = id;
        r->addrs.used++;
        if (id >= r->addrs.next_id)
            r->addrs.next_id = id + 1;
    }
    sqlite3_finalize(st);
    if (!ok)
        report(r, "reloading the address table");
    return ok;
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
        uint64_t a = mix((uint64_t)ts.tv_sec, (uint64_t)ts.tv_nsec);
        uint64_t b = mix((uint64_t)getpid(), a);
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

    for (int i = 0; ok && i < ST_COUNT; i++)
        ok = sqlite3_prepare_v3(r->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &r->stmt[i],
                                NULL) == SQLITE_OK;
    return ok;
}

static void
destroy(struct rec *r)
{
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(r->stmt[i]);
    sqlite3_close(r->db);
    free(r->addrs.slots);
    free(r->chains.slots);
    free(r->node_seen);
    free(r->path);
    free(r);
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
    return r;
}

/* ------------------------------------------------------------- recording */

void
rec_param(struct rec *r, const char *name, const char *value)
{
    if (!r || !name || !open_batch(r))
        return;
    sqlite3_stmt *st = r->stmt[ST_PARAM];
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    count_row(r, step(r, ST_PARAM, "inserting a parameter"));
    sqlite3_clear_bindings(st);
}

static void
bind_text_or_null(sqlite3_stmt *st, int col, const char *text)
{
    if (text)
        sqlite3_bind_text(st, col, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, col);
}

void
rec_begin(struct rec *r, uint64_t seed, uint64_t run, const char *ns3_version,
          const char *project_version)
{
    if (!r || !open_batch(r))
        return;
    sqlite3_stmt *st = r->stmt[ST_RUN_BEGIN];
    sqlite3_bind_int64(st, 1, (int64_t)seed);
    sqlite3_bind_int64(st, 2, (int64_t)run);
    bind_text_or_null(st, 3, ns3_version);
    bind_text_or_null(st, 4, project_version);
    count_row(r, step(r, ST_RUN_BEGIN, "writing the run row"));
    sqlite3_clear_bindings(st);
    commit(r);
}

void
rec_node(struct rec *r, uint32_t node, const char *name)
{
    if (!r || !open_batch(r))
        return;
    sqlite3_stmt *st = r->stmt[ST_NODE_NAME];
    sqlite3_bind_int64(st, 1, node);
    bind_text_or_null(st, 2, name);
    bool ok = step(r, ST_NODE_NAME, "naming a node");
    sqlite3_clear_bindings(st);
    if (ok && node < r->node_cap)
        r->node_seen[node] = 1;
    count_row(r, ok);
}

static inline void
bind_opt(sqlite3_stmt *st, int col, bool present, int64_t value)
{
    if (present)
        sqlite3_bind_int64(st, col, value);
    else
        sqlite3_bind_null(st, col);
}

/* Bind an address id, where 0 (absent or failed to intern) becomes NULL. */
static inline void
bind_addr(sqlite3_stmt *st, int col, int64_t id)
{
    bind_opt(st, col, id != 0, id);
}

void
rec_packet(struct rec *r, uint64_t time_ns, uint32_t node, uint32_t ifindex, enum rec_kind kind,
           const uint8_t *pkt, size_t caplen, size_t wire_len, uint64_t uid, uint64_t parent_uid,
           enum rec_drop drop)
{
    if (!r || !open_batch(r))
        return;

    struct pktinfo pi;
    pktinfo_parse(&pi, pkt, caplen);
    unsigned long rollbacks = r->rollbacks;
    note_node(r, node);

    uint32_t f = pi.flags;
    bool ipv6 = f & PKTINFO_IPV6;
    bool inner = f & PKTINFO_INNER;
    int64_t src = ipv6 ? address_id(r, pi.src) : 0;
    int64_t dst = ipv6 ? address_id(r, pi.dst) : 0;
    int64_t hoa = (f & PKTINFO_HOA) ? address_id(r, pi.hoa) : 0;
    int64_t rh2 = (f & PKTINFO_RH2) ? address_id(r, pi.rh2) : 0;
    int64_t inner_src = inner ? address_id(r, pi.inner_src) : 0;
    int64_t inner_dst = inner ? address_id(r, pi.inner_dst) : 0;
    bool partial = (f & (PKTINFO_TRUNCATED | PKTINFO_BAD_VERSION | PKTINFO_CHAIN_CUT)) || !ipv6;
    if (r->rollbacks != rollbacks) {
        /* An address id taken before the rollback may now belong to no row. */
        r->rows_lost++;
        return;
    }

    sqlite3_stmt *st = r->stmt[ST_PACKET];
    sqlite3_bind_int64(st, 1, (int64_t)time_ns);
    sqlite3_bind_int64(st, 2, node);
    sqlite3_bind_int64(st, 3, ifindex);
    sqlite3_bind_int(st, 4, (int)kind);
    sqlite3_bind_int64(st, 5, (int64_t)uid);
    bind_opt(st, 6, parent_uid != 0, (int64_t)parent_uid);
    bind_addr(st, 7, src);
    bind_addr(st, 8, dst);
    bind_opt(st, 9, ipv6, pi.protocol);
    bind_opt(st, 10, pi.chain != 0, pi.chain ? chain_id(r, pi.chain) : 0);
    bind_opt(st, 11, f & PKTINFO_MH, pi.mh_type);
    bind_opt(st, 12, f & PKTINFO_ICMP, pi.icmp_type);
    bind_opt(st, 13, f & PKTINFO_ESP, pi.spi);
    bind_opt(st, 14, f & PKTINFO_ESP, pi.esp_seq);
    bind_addr(st, 15, hoa);
    bind_addr(st, 16, rh2);
    bind_addr(st, 17, inner_src);
    bind_addr(st, 18, inner_dst);
    bind_opt(st, 19, inner, pi.inner_protocol);
    bind_opt(st, 20, f & PKTINFO_APP_SEQ, pi.app_seq);
    sqlite3_bind_int64(st, 21, (int64_t)wire_len);
    bind_opt(st, 22, drop != REC_DROP_NONE, (int64_t)drop);
    sqlite3_bind_int(st, 23, partial);
    count_row(r, step(r, ST_PACKET, "inserting a packet event"));
}

void
rec_mobility(struct rec *r, uint64_t time_ns, uint32_t node, uint32_t ifindex, enum rec_mob kind,
             const uint8_t *addr, int64_t value, int64_t value2)
{
    if (!r || !open_batch(r))
        return;
    unsigned long rollbacks = r->rollbacks;
    note_node(r, node);
    int64_t address = addr ? address_id(r, addr) : 0;
    if (r->rollbacks != rollbacks) {
        r->rows_lost++;
        return;
    }

    sqlite3_stmt *st = r->stmt[ST_MOBILITY];
    sqlite3_bind_int64(st, 1, (int64_t)time_ns);
    sqlite3_bind_int64(st, 2, node);
    sqlite3_bind_int64(st, 3, ifindex);
    sqlite3_bind_int(st, 4, (int)kind);
    bind_addr(st, 5, address);
    sqlite3_bind_int64(st, 6, value);
    sqlite3_bind_int64(st, 7, value2);
    count_row(r, step(r, ST_MOBILITY, "inserting a mobility event"));
}

void
rec_sa(struct rec *r, uint64_t time_ns, uint32_t node, enum rec_sa_event event,
       const struct rec_sa_info *sa)
{
    if (!r || !open_batch(r))
        return;
    unsigned long rollbacks = r->rollbacks;
    note_node(r, node);
    int64_t peer = sa->peer ? address_id(r, sa->peer) : 0;
    if (r->rollbacks != rollbacks) {
        r->rows_lost++;
        return;
    }

    sqlite3_stmt *st = r->stmt[ST_SA];
    sqlite3_bind_int64(st, 1, (int64_t)time_ns);
    sqlite3_bind_int64(st, 2, node);
    sqlite3_bind_int(st, 3, (int)event);
    sqlite3_bind_int64(st, 4, sa->spi);
    sqlite3_bind_text(st, 5, sa->inbound ? "in" : "out", -1, SQLITE_STATIC);
    bind_text_or_null(st, 6, sa->name);
    bind_text_or_null(st, 7, sa->keying);
    bind_addr(st, 8, peer);
    sqlite3_bind_int64(st, 9, (int64_t)sa->packets);
    sqlite3_bind_int64(st, 10, (int64_t)sa->bytes);
    count_row(r, step(r, ST_SA, "inserting an SA event"));
}

void
rec_flush(struct rec *r)
{
    if (r)
        commit(r);
}

int
rec_close(struct rec *r, enum rec_status status)
{
    if (!r)
        return 0;

    char wall[32];
    commit(r);
    if (sqlite3_exec(r->db, rec_analysis_index_sql, NULL, NULL, NULL) != SQLITE_OK)
        report(r, "creating the analysis indexes");

    wall_now(wall);
    sqlite3_stmt *st = r->stmt[ST_RUN_END];
    sqlite3_bind_text(st, 1, status_text(status), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, wall, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)r->rows_lost);
    step(r, ST_RUN_END, "writing the run status");
    sqlite3_clear_bindings(st);
    commit(r);

    for (int i = 0; i < ST_COUNT; i++) {
        sqlite3_finalize(r->stmt[i]);
        r->stmt[i] = NULL;
    }
    if (sqlite3_close(r->db) != SQLITE_OK)
        report(r, "closing the database");
    r->db = NULL;

    if (r->errors > 0)
        fprintf(stderr, "mip6sec recorder: %s: %lu errors, %llu events lost\n", r->path, r->errors,
                (unsigned long long)r->rows_lost);
    int result = r->errors ? -1 : 0;
    destroy(r);
    return result;
}
