/*
 * test_rec.c - the recorder against a real SQLite database in a temporary
 * directory: every column read back with SQL, a writer killed mid-run,
 * flushes visible to a reader, a locked database, NULL and bad paths.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "rec.h"

#define ADDR(net, host) 0xfd, 0x00, 0x00, net, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, host
#define CN ADDR(3, 0x01)
#define HOA ADDR(1, 0x64)
#define HA ADDR(1, 0x01)
#define COA ADDR(2, 0x64)

static const uint8_t coa[16] = {COA};

/* Packet bytes are laid out by header, so the formatter must not reflow them. */
// clang-format off
/* BU, care-of address -> HA, with Home Address option and ESP (SPI 0x1001, sequence 5). */
static const uint8_t bu[] = {
    0x60, 0, 0, 0, 0x00, 0x20, 60, 64, COA, HA,
    50, 2, 1, 2, 0, 0, 201, 16, HOA,
    0x00, 0x00, 0x10, 0x01, 0x00, 0x00, 0x00, 0x05,
};

/* BA, HA -> care-of address, type 2 routing header, ESP (SPI 0x2002, sequence 9). */
static const uint8_t ba[] = {
    0x60, 0, 0, 0, 0x00, 0x20, 43, 64, HA, COA,
    50, 2, 2, 1, 0, 0, 0, 0, HOA,
    0x00, 0x00, 0x20, 0x02, 0x00, 0x00, 0x00, 0x09,
};

/* HA -> care-of address tunnel with the CN's UDP datagram, SeqTs sequence 77. */
static const uint8_t tunnel[] = {
    0x60, 0, 0, 0, 0x00, 0x3c, 41, 64, HA, COA,
    0x60, 0, 0, 0, 0x00, 0x14, 17, 63, CN, HOA,
    0xc0, 0x01, 0x00, 0x09, 0x00, 0x14, 0, 0, 0, 0, 0, 77, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* CN -> home address UDP datagram, SeqTs sequence n (bytes 48-51). */
static uint8_t udp[] = {
    0x60, 0, 0, 0, 0x00, 0x14, 17, 64, CN, HOA,
    0xc0, 0x01, 0x00, 0x09, 0x00, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* Router solicitation in clear from the care-of address. */
static const uint8_t rs[] = {
    0x60, 0, 0, 0, 0x00, 0x08, 58, 255, COA,
    0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
    133, 0, 0, 0, 0, 0, 0, 0,
};

// clang-format on

static char dir[64];

static void
remove_dir(void)
{
    rmdir(dir);
}

static void
make_dir(void)
{
    if (dir[0])
        return;
    snprintf(dir, sizeof dir, "/tmp/test_rec.XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(1);
    }
    atexit(remove_dir);
}

static void
db_path(char *out, size_t len, const char *name)
{
    make_dir();
    snprintf(out, len, "%s/%s", dir, name);
}

static void
remove_db(const char *path)
{
    char name[256];
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%s%s", path, suffixes[i]);
        unlink(name);
    }
}

static void
set_udp_seq(uint32_t seq)
{
    udp[48] = (uint8_t)(seq >> 24);
    udp[49] = (uint8_t)(seq >> 16);
    udp[50] = (uint8_t)(seq >> 8);
    udp[51] = (uint8_t)seq;
}

static sqlite3 *
open_reader(const char *path)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fprintf(stderr, "cannot open %s: %s\n", path, sqlite3_errmsg(db));
        check_failures++;
    }
    return db;
}

/* The first column of the first row as an integer; -999 when no row or an error. */
static long long
query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long v = -999;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "query failed: %s: %s\n", sql, sqlite3_errmsg(db));
        check_failures++;
    } else if (sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

/* All columns of the first row joined with '|', NULL written as "NULL". */
static void
query_row(sqlite3 *db, const char *sql, char *out, size_t len)
{
    sqlite3_stmt *st = NULL;
    out[0] = '\0';
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "query failed: %s: %s\n", sql, sqlite3_errmsg(db));
        check_failures++;
        return;
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        size_t n = 0;
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const char *v = (const char *)sqlite3_column_text(st, i);
            n += (size_t)snprintf(out + n, len - n, "%s%s", i ? "|" : "", v ? v : "NULL");
            if (n >= len)
                break;
        }
    }
    sqlite3_finalize(st);
}

#define CHECK_ROW(db, sql, expected)                                                               \
    do {                                                                                           \
        char row_[1024];                                                                           \
        query_row((db), (sql), row_, sizeof row_);                                                 \
        if (strcmp(row_, (expected)) != 0) {                                                       \
            fprintf(stderr, "%s:%d: %s\n  returned %s\n  expected %s\n", __FILE__, __LINE__,       \
                    (sql), row_, (expected));                                                      \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

static void
record_sample_run(const char *path)
{
    char err[512];
    struct rec *r = rec_open(path, err, sizeof err);
    CHECK(r != NULL);
    if (!r) {
        fprintf(stderr, "rec_open: %s\n", err);
        return;
    }
    rec_param(r, "link.delay_ms", "5");
    rec_param(r, "mn.speed_mps", "20.5");
    rec_begin(r, 42, 7, "3.37", "0.1.0");
    rec_node(r, 0, "mn");
    rec_node(r, 1, "ha");

    rec_packet(r, 1500000000, 0, 1, REC_TX, bu, sizeof bu, 148, 11, 0, REC_DROP_NONE);
    rec_packet(r, 1520000000, 1, 2, REC_ESP_VERIFY, ba, sizeof ba, 132, 12, 0, REC_DROP_NONE);
    rec_packet(r, 1530000000, 0, 1, REC_DECAP, tunnel, sizeof tunnel, 1112, 13, 14, REC_DROP_NONE);
    set_udp_seq(78);
    /* Captured only to the UDP length field: a partial summary. */
    rec_packet(r, 1540000000, 3, 1, REC_DROP, udp, 46, 1072, 15, 0, REC_DROP_NS3_NO_ROUTE);
    rec_packet(r, 1550000000, 0, 1, REC_SEND, rs, sizeof rs, sizeof rs, 16, 0, REC_DROP_NONE);
    rec_mobility(r, 1400000000, 0, 1, REC_MOB_COA_READY, coa, 0, 0);
    rec_mobility(r, 1530000000, 0, 1, REC_MOB_BA_RECEIVED, NULL, 0, 5);
    CHECK_EQ_INT(rec_close(r, REC_COMPLETE), 0);
}

static void
events_read_back(void)
{
    char path[256];
    db_path(path, sizeof path, "events.db");
    record_sample_run(path);
    sqlite3 *db = open_reader(path);

    const char *v = "SELECT * FROM packet_events_v WHERE uid = ";
    char sql[256];
    snprintf(sql, sizeof sql, "%s11", v);
    CHECK_ROW(db, sql,
              "1500000000|1.5|0|mn|1|tx|11|NULL|fd00:2::64|fd00:1::1|50|ipv6>dstopt>esp|NULL|NULL|"
              "4097|5|fd00:1::64|NULL|NULL|NULL|NULL|NULL|148|NULL|0");
    snprintf(sql, sizeof sql, "%s12", v);
    CHECK_ROW(db, sql,
              "1520000000|1.52|1|ha|2|esp_verify|12|NULL|fd00:1::1|fd00:2::64|50|ipv6>rh2>esp|"
              "NULL|NULL|8194|9|NULL|fd00:1::64|NULL|NULL|NULL|NULL|132|NULL|0");
    snprintf(sql, sizeof sql, "%s13", v);
    CHECK_ROW(db, sql,
              "1530000000|1.53|0|mn|1|decap|13|14|fd00:1::1|fd00:2::64|41|ipv6>ipv6>udp|NULL|NULL|"
              "NULL|NULL|NULL|NULL|fd00:3::1|fd00:1::64|17|77|1112|NULL|0");
    snprintf(sql, sizeof sql, "%s15", v);
    CHECK_ROW(db, sql,
              "1540000000|1.54|3|NULL|1|drop|15|NULL|fd00:3::1|fd00:1::64|17|ipv6>udp|NULL|NULL|"
              "NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|1072|ns3_no_route|1");
    snprintf(sql, sizeof sql, "%s16", v);
    CHECK_ROW(db, sql,
              "1550000000|1.55|0|mn|1|send|16|NULL|fd00:2::64|ff02::2|58|ipv6>icmp6|NULL|133|"
              "NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|48|NULL|0");

    /* The base table stores small integers that the lookup tables resolve. */
    CHECK_ROW(db, "SELECT kind, drop_reason, chain FROM packet_event WHERE uid = 15", "5|102|161");
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM address"), 5);
    CHECK_EQ_INT(query_int(db, "SELECT max(src) <= 5 FROM packet_event"), 1);
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM packet_event"), 5);

    CHECK_ROW(db, "SELECT * FROM mobility_events_v ORDER BY time_ns LIMIT 1",
              "1400000000|1.4|0|mn|1|coa_ready|fd00:2::64|0|0");
    CHECK_ROW(db, "SELECT * FROM mobility_events_v ORDER BY time_ns LIMIT 1 OFFSET 1",
              "1530000000|1.53|0|mn|1|ba_received|NULL|0|5");

    CHECK_ROW(db,
              "SELECT seed, run_number, ns3_version, project_version, status, events_lost"
              " FROM run",
              "42|7|3.37|0.1.0|complete|0");
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM run"), 1);
    CHECK_EQ_INT(query_int(db, "SELECT length(run_id) FROM run"), 32);
    const char *iso = "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:"
                      "[0-9][0-9].[0-9][0-9][0-9]Z'";
    snprintf(sql, sizeof sql, "SELECT wall_start GLOB %s AND wall_end GLOB %s FROM run", iso, iso);
    CHECK_EQ_INT(query_int(db, sql), 1);
    CHECK_EQ_INT(query_int(db, "SELECT wall_end >= wall_start FROM run"), 1);

    CHECK_ROW(db,
              "SELECT group_concat(name || '=' || value, ',') FROM"
              " (SELECT * FROM param ORDER BY name)",
              "link.delay_ms=5,mn.speed_mps=20.5");
    CHECK_ROW(db,
              "SELECT group_concat(id || ':' || coalesce(name, '-'), ',') FROM"
              " (SELECT * FROM node ORDER BY id)",
              "0:mn,1:ha,3:-");

    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM event_kind"), 10);
    CHECK_ROW(db, "SELECT name FROM event_kind WHERE id = 8", "decap");
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM drop_reason"), 47);
    CHECK_ROW(db, "SELECT name FROM drop_reason WHERE id = 17", "not_away");
    CHECK_ROW(db, "SELECT name FROM drop_reason WHERE id = 120", "ns3_nd_queue_full");
    CHECK_ROW(db, "SELECT name FROM drop_reason WHERE id = 21", "esp_tunnel_outer");
    CHECK_ROW(db, "SELECT name FROM drop_reason WHERE id = 22", "esp_next_header");
    CHECK_ROW(db, "SELECT name FROM drop_reason WHERE id = 23", "mpa_unexpected");
    CHECK_ROW(db, "SELECT name FROM drop_reason WHERE id = 24", "esp_replay");
    CHECK_ROW(db, "SELECT name FROM drop_reason WHERE id = 35", "ike_no_proposal");
    CHECK_ROW(db, "SELECT name FROM drop_reason WHERE id = 36", "home_address_defended");
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM mobility_kind"), 58);
    CHECK_ROW(db, "SELECT name FROM mobility_kind WHERE id = 41", "ike_sa_up");
    CHECK_ROW(db, "SELECT name FROM mobility_kind WHERE id = 46", "rekey_done");
    CHECK_ROW(db, "SELECT name FROM mobility_kind WHERE id = 48", "wifi_assoc");
    CHECK_ROW(db, "SELECT name FROM mobility_kind WHERE id = 49", "wifi_disassoc");
    CHECK_ROW(db, "SELECT name FROM mobility_kind WHERE id = 50", "rs_sent");
    CHECK_ROW(db, "SELECT name FROM mobility_kind WHERE id = 51", "home_dad_start");
    CHECK_ROW(db, "SELECT name FROM mobility_kind WHERE id = 52", "home_dad_done");
    CHECK_ROW(db, "SELECT name FROM mobility_kind WHERE id = 53", "coa_optimistic");
    CHECK_ROW(db, "SELECT name FROM mobility_kind WHERE id = 54", "coa_dad_done");
    CHECK_ROW(db, "SELECT name FROM mobility_kind WHERE id = 55", "ra_solicited");
    CHECK_ROW(db, "SELECT name FROM mobility_kind WHERE id = 56", "ra_lost");
    CHECK_ROW(db, "SELECT name FROM mobility_kind WHERE id = 57", "router_nud");
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM sa_event_kind"), 5);
    CHECK_ROW(db, "SELECT name FROM mobility_kind WHERE id = 32", "mps_sent");
    CHECK_ROW(db, "SELECT name FROM mobility_kind WHERE id = 35", "mps_received");
    CHECK_ROW(db, "SELECT name FROM mobility_kind WHERE id = 12", "returned_home");
    CHECK_ROW(db, "SELECT text FROM chain WHERE id = 161", "ipv6>udp");

    CHECK_EQ_INT(query_int(db, "PRAGMA application_id"), 0x6d697036);
    CHECK_EQ_INT(query_int(db, "PRAGMA user_version"), 2);
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND"
                               " name IN ('packet_event_node_kind_time', 'packet_event_delivered',"
                               " 'mobility_event_node_time')"),
                 3);
    CHECK_ROW(db, "PRAGMA journal_mode", "wal");
    sqlite3_close(db);
    remove_db(path);
}

static void
killed_writer_leaves_readable_db(void)
{
    char path[256];
    db_path(path, sizeof path, "killed.db");
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        char err[512];
        struct rec *r = rec_open(path, err, sizeof err);
        if (!r)
            _exit(3);
        rec_begin(r, 1, 1, "3.37", "0.1.0");
        for (uint32_t i = 0; i < 45000; i++) {
            set_udp_seq(i);
            rec_packet(r, (uint64_t)i * 1000000, 2, 1, REC_SEND, udp, sizeof udp, 1072, i, 0,
                       REC_DROP_NONE);
        }
        abort();
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status));
    CHECK_EQ_INT(WTERMSIG(status), SIGABRT);

    sqlite3 *db = open_reader(path);
    CHECK_ROW(db, "PRAGMA integrity_check", "ok");
    CHECK_ROW(db, "SELECT status, wall_end IS NULL FROM run", "running|1");
    long long rows = query_int(db, "SELECT count(*) FROM packet_event");
    /* rec.h: at most REC_QUEUE_ROWS queued rows and one batch are lost. */
    CHECK(rows >= 45000 - REC_QUEUE_ROWS - REC_BATCH_ROWS);
    CHECK(rows <= 45000);
    CHECK_EQ_INT(rows % REC_BATCH_ROWS, 0);
    /* Whole batches survive in order: the rows are uids 0 .. rows - 1. */
    CHECK_EQ_INT(query_int(db, "SELECT max(uid) + 1 FROM packet_event"), rows);
    CHECK_EQ_INT(query_int(db, "SELECT count(DISTINCT app_seq) FROM packet_event"), rows);
    CHECK_ROW(db, "SELECT DISTINCT chain FROM packet_events_v", "ipv6>udp");
    /* rec_close builds the analysis indexes; a killed run has none. */
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
                               " AND name LIKE 'packet_event_%'"),
                 0);
    sqlite3_close(db);
    remove_db(path);
}

static void
flush_is_visible_to_reader(void)
{
    char path[256];
    db_path(path, sizeof path, "flush.db");
    struct rec *r = rec_open(path, NULL, 0);
    CHECK(r != NULL);
    rec_begin(r, 3, 4, "3.37", "0.1.0");
    for (uint32_t i = 0; i < 5; i++)
        rec_packet(r, i, 2, 1, REC_SEND, udp, sizeof udp, 1072, i, 0, REC_DROP_NONE);

    sqlite3 *db = open_reader(path);
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM packet_event"), 0);
    CHECK_ROW(db, "SELECT status FROM run", "running");
    rec_flush(r);
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM packet_event"), 5);
    CHECK_EQ_INT(rec_close(r, REC_INTERRUPTED), 0);
    CHECK_ROW(db, "SELECT status, seed, run_number FROM run", "interrupted|3|4");
    sqlite3_close(db);
    remove_db(path);
}

/*
 * Another connection holding the write lock makes inserts fail with
 * SQLITE_BUSY after the busy timeout: the recorder reports each error
 * (rate-limited), counts the lost rows and keeps going.
 */
static void
locked_database_counts_lost_rows(void)
{
    char path[256], log_path[256];
    db_path(path, sizeof path, "locked.db");
    db_path(log_path, sizeof log_path, "locked.log");
    struct rec *r = rec_open(path, NULL, 0);
    CHECK(r != NULL);
    rec_begin(r, 1, 1, "3.37", "0.1.0");
    rec_flush(r);

    sqlite3 *db = open_reader(path);
    CHECK_EQ_INT(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);

    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    FILE *log = freopen(log_path, "w", stderr);
    CHECK(log != NULL);
    for (uint32_t i = 0; i < 3; i++)
        rec_packet(r, i, 5, 1, REC_SEND, udp, sizeof udp, 1072, i, 0, REC_DROP_NONE);
    /* The writer thread inserts queued rows later; the flush makes it try them now. */
    rec_flush(r);
    CHECK_EQ_INT(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    rec_packet(r, 9, 5, 1, REC_SEND, udp, sizeof udp, 1072, 9, 0, REC_DROP_NONE);
    int closed = rec_close(r, REC_COMPLETE);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);

    CHECK_EQ_INT(closed, -1);
    CHECK_ROW(db, "SELECT status, events_lost FROM run", "complete|3");
    CHECK_ROW(db, "SELECT count(*), min(uid) FROM packet_event", "1|9");
    CHECK_ROW(db, "SELECT src, dst FROM packet_events_v", "fd00:3::1|fd00:1::64");
    CHECK_ROW(db, "SELECT id FROM node", "5");
    sqlite3_close(db);

    /* The log names the database and the SQLite error, and stops after 10 errors. */
    char text[8192] = "";
    FILE *f = fopen(log_path, "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[n] = '\0';
    if (f)
        fclose(f);
    CHECK(strstr(text, path) != NULL);
    CHECK(strstr(text, "database is locked") != NULL);
    char *notice = strstr(text, "further errors are counted, not printed");
    CHECK(notice != NULL);
    int before_notice = 0;
    for (char *p = text; notice && p < notice; p++)
        before_notice += *p == '\n';
    CHECK_EQ_INT(before_notice, 10);
    CHECK(strstr(text, "events lost") != NULL);
    int lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    CHECK_EQ_INT(lines, 12); /* 10 errors, the rate-limit notice, the summary at close */
    unlink(log_path);
    remove_db(path);
}

/*
 * A file size limit makes SQLite's writes fail part-way through the run,
 * as a full disk would, and SQLite rolls those batches back.  When the
 * limit is lifted, recording resumes.  The recorder must not crash and
 * must never commit an event whose address row was rolled back, so events
 * after the failure reuse the same source addresses.
 */
static void
record_varied_sources(struct rec *r, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++) {
        uint32_t host = i % 20011; /* 20011 source addresses, reused in order */
        udp[22] = (uint8_t)(host >> 8);
        udp[23] = (uint8_t)host;
        rec_packet(r, i, 2, 1, REC_SEND, udp, sizeof udp, 1072, i, 0, REC_DROP_NONE);
    }
    udp[22] = 0;
    udp[23] = 1;
}

static void
full_disk_keeps_db_consistent(void)
{
    char path[256];
    db_path(path, sizeof path, "full.db");
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit limit = {4 << 20, RLIM_INFINITY};
        signal(SIGXFSZ, SIG_IGN);
        if (!freopen("/dev/null", "w", stderr))
            _exit(4);
        struct rec *r = rec_open(path, NULL, 0);
        if (!r)
            _exit(3);
        rec_begin(r, 1, 1, "3.37", "0.1.0");
        setrlimit(RLIMIT_FSIZE, &limit);
        record_varied_sources(r, 0, 60000);
        rec_flush(r); /* the writer thread must reach every row while the limit is in force */
        limit.rlim_cur = RLIM_INFINITY;
        setrlimit(RLIMIT_FSIZE, &limit);
        record_varied_sources(r, 60000, 100000);
        _exit(rec_close(r, REC_COMPLETE) == -1 ? 0 : 1);
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ_INT(WEXITSTATUS(status), 0);

    sqlite3 *db = open_reader(path);
    CHECK_ROW(db, "PRAGMA integrity_check", "ok");
    long long lost = query_int(db, "SELECT events_lost FROM run");
    long long rows = query_int(db, "SELECT count(*) FROM packet_event");
    CHECK(lost >= REC_BATCH_ROWS);
    CHECK_EQ_INT(rows + lost, 100000);
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM packet_event WHERE uid >= 60000"), 40000);
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM packet_event e"
                               " LEFT JOIN address a ON a.id = e.src WHERE a.id IS NULL"),
                 0);
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM packet_events_v"
                               " WHERE src NOT LIKE 'fd00:3:%'"),
                 0);
    CHECK_ROW(db, "SELECT status FROM run", "complete");
    sqlite3_close(db);
    remove_db(path);
}

/* A run killed with SIGKILL after rec_flush keeps exactly the rows recorded before the flush. */
static void
sigkill_keeps_flushed_rows(void)
{
    char path[256];
    db_path(path, sizeof path, "sigkill.db");
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct rec *r = rec_open(path, NULL, 0);
        if (!r)
            _exit(3);
        rec_begin(r, 1, 1, "3.37", "0.1.0");
        for (uint32_t i = 0; i < 15000; i++) {
            if (i == 12345)
                rec_flush(r);
            set_udp_seq(i);
            rec_packet(r, i, 2, 1, REC_SEND, udp, sizeof udp, 1072, i, 0, REC_DROP_NONE);
        }
        kill(getpid(), SIGKILL);
        _exit(5);
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status));
    CHECK_EQ_INT(WTERMSIG(status), SIGKILL);

    sqlite3 *db = open_reader(path);
    CHECK_ROW(db, "PRAGMA integrity_check", "ok");
    CHECK_ROW(db, "SELECT status, wall_end IS NULL, seed FROM run", "running|1|1");
    /* The 2655 rows after the flush are fewer than a batch, so none of them were committed. */
    CHECK_ROW(db, "SELECT count(*), min(uid), max(uid) FROM packet_event", "12345|0|12344");
    sqlite3_close(db);
    remove_db(path);
}

/*
 * Address ids follow the order in which rows first name each address,
 * across many chunks and both kinds of rows that carry addresses.  The
 * naive reference is a list of addresses in order of first use.
 */
static void
address_ids_follow_call_order(void)
{
    enum { EVENTS = 30000, HOSTS = 503 };
    static uint8_t order[2 * HOSTS + 1][16];
    size_t known = 0;
    char path[256];
    db_path(path, sizeof path, "ids.db");
    struct rec *r = rec_open(path, NULL, 0);
    CHECK(r != NULL);
    rec_begin(r, 1, 1, "3.37", "0.1.0");

    for (uint32_t i = 0; i < EVENTS; i++) {
        uint32_t host = (i * 7919u) % HOSTS + 1;
        uint8_t addr[16] = {0xfd, 0, 0, 3};
        const uint8_t *named[2];
        size_t n = 0;
        if (i % 5 == 0) {
            addr[3] = 2; /* fd00:2::host, a care-of address */
            addr[14] = (uint8_t)(host >> 8);
            addr[15] = (uint8_t)host;
            rec_mobility(r, i, 0, 1, REC_MOB_COA_READY, addr, i, 0);
            named[n++] = addr;
        } else {
            udp[22] = (uint8_t)(host >> 8);
            udp[23] = (uint8_t)host;
            rec_packet(r, i, 2, 1, REC_SEND, udp, sizeof udp, 1072, i, 0, REC_DROP_NONE);
            named[n++] = udp + 8;  /* source */
            named[n++] = udp + 24; /* destination */
        }
        for (size_t k = 0; k < n; k++) {
            size_t j = 0;
            while (j < known && memcmp(order[j], named[k], 16) != 0)
                j++;
            if (j == known && known < sizeof order / sizeof order[0])
                memcpy(order[known++], named[k], 16);
        }
    }
    udp[22] = 0;
    udp[23] = 1;
    CHECK_EQ_INT(rec_close(r, REC_COMPLETE), 0);

    sqlite3 *db = open_reader(path);
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM address"), (long long)known);
    sqlite3_stmt *st = NULL;
    CHECK_EQ_INT(sqlite3_prepare_v2(db, "SELECT id, text FROM address ORDER BY id", -1, &st, NULL),
                 SQLITE_OK);
    size_t mismatches = 0;
    for (size_t j = 0; st && sqlite3_step(st) == SQLITE_ROW; j++) {
        char expected[INET6_ADDRSTRLEN] = "";
        if (j < known)
            inet_ntop(AF_INET6, order[j], expected, sizeof expected);
        const char *text = (const char *)sqlite3_column_text(st, 1);
        if (sqlite3_column_int64(st, 0) != (long long)j + 1 || !text || strcmp(text, expected)) {
            if (mismatches++ == 0)
                fprintf(stderr, "address id %lld is %s, expected %zu %s\n",
                        sqlite3_column_int64(st, 0), text ? text : "NULL", j + 1, expected);
        }
    }
    sqlite3_finalize(st);
    CHECK_EQ_INT(mismatches, 0);

    /* Rows keep the order of the calls. */
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM packet_event a JOIN packet_event b"
                               " ON b.rowid = a.rowid + 1 WHERE b.uid <= a.uid"),
                 0);
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM packet_event"), EVENTS - EVENTS / 5);
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM mobility_event a JOIN mobility_event b"
                               " ON b.rowid = a.rowid + 1 WHERE b.value <= a.value"),
                 0);
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM mobility_event"), EVENTS / 5);
    sqlite3_close(db);
    remove_db(path);
}

/* The recorder copies text arguments, so the caller may reuse its buffers at once. */
static void
text_arguments_are_copied(void)
{
    char path[256];
    db_path(path, sizeof path, "copies.db");
    struct rec *r = rec_open(path, NULL, 0);
    CHECK(r != NULL);
    char name[32], value[32];
    strcpy(name, "p.one");
    strcpy(value, "1");
    rec_param(r, name, value);
    strcpy(name, "p.two");
    strcpy(value, "2");
    rec_param(r, name, value);
    strcpy(name, "overwritten");
    strcpy(value, "overwritten");
    char version[16] = "3.37";
    rec_begin(r, 5, 6, version, NULL);
    strcpy(version, "x");
    char node_name[16] = "ar1";
    rec_node(r, 4, node_name);
    strcpy(node_name, "x");
    char sa_name[16] = "bu", keying[16] = "ikev2";
    struct rec_sa_info sa = {.spi = 0x1234, .name = sa_name, .keying = keying, .peer = coa};
    rec_sa(r, 7, 4, REC_SA_INSTALL, &sa);
    strcpy(sa_name, "x");
    strcpy(keying, "x");
    CHECK_EQ_INT(rec_close(r, REC_COMPLETE), 0);

    sqlite3 *db = open_reader(path);
    CHECK_ROW(db, "SELECT group_concat(name || '=' || value, ',') FROM param", "p.one=1,p.two=2");
    CHECK_ROW(db, "SELECT seed, run_number, ns3_version, project_version FROM run",
              "5|6|3.37|NULL");
    CHECK_ROW(db, "SELECT name FROM node WHERE id = 4", "ar1");
    CHECK_ROW(db, "SELECT name, keying, peer, direction FROM sa_events_v",
              "bu|ikev2|fd00:2::64|out");
    sqlite3_close(db);
    remove_db(path);
}

static void
null_recorder_is_harmless(void)
{
    struct rec *r = NULL;
    rec_param(r, "a", "b");
    rec_begin(r, 1, 2, "3.37", "0.1.0");
    rec_node(r, 0, "mn");
    rec_packet(r, 0, 0, 0, REC_SEND, udp, sizeof udp, sizeof udp, 1, 0, REC_DROP_NONE);
    rec_mobility(r, 0, 0, 0, REC_MOB_LINK_DOWN, coa, 0, 0);
    rec_flush(r);
    CHECK_EQ_INT(rec_close(r, REC_COMPLETE), 0);
}

static void
bad_path_names_path_and_fix(void)
{
    char err[512] = "";
    const char *path = "/nonexistent-mip6sec-dir/runs/run.db";
    CHECK(rec_open(path, err, sizeof err) == NULL);
    CHECK(strstr(err, path) != NULL);
    CHECK(strstr(err, "does not exist") != NULL);
    CHECK(strstr(err, "mkdir -p /nonexistent-mip6sec-dir/runs") != NULL);

    CHECK(rec_open("", err, sizeof err) == NULL);
    CHECK(strstr(err, "empty") != NULL);
    CHECK(rec_open(path, NULL, 0) == NULL);

    /* A directory where the file should be cannot be replaced. */
    make_dir();
    CHECK(rec_open(dir, err, sizeof err) == NULL);
    CHECK(strstr(err, dir) != NULL);
}

static void
existing_file_is_replaced(void)
{
    char path[256];
    db_path(path, sizeof path, "replace.db");
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("not a database\n", f);
        fclose(f);
    }
    struct rec *r = rec_open(path, NULL, 0);
    CHECK(r != NULL);
    rec_packet(r, 1, 2, 1, REC_SEND, udp, sizeof udp, 1072, 1, 0, REC_DROP_NONE);
    CHECK_EQ_INT(rec_close(r, REC_FAILED), 0);

    sqlite3 *db = open_reader(path);
    CHECK_ROW(db, "SELECT status, seed FROM run", "failed|NULL");
    CHECK_EQ_INT(query_int(db, "SELECT count(*) FROM packet_event"), 1);
    sqlite3_close(db);
    remove_db(path);
}

/* An SA's install and delete come back through sa_events_v and sa_lifetimes_v. */
static void
sa_events_read_back(void)
{
    char path[256], err[512];
    db_path(path, sizeof path, "sa.db");
    struct rec *r = rec_open(path, err, sizeof err);
    CHECK(r != NULL);
    if (!r)
        return;
    rec_begin(r, 1, 1, "3.37", "0.1.0");
    rec_node(r, 3, "ha");
    struct rec_sa_info in = {
        .spi = 0xc0000101, .inbound = 1, .name = "bu", .keying = "ikev2", .peer = coa};
    rec_sa(r, 2000000000, 3, REC_SA_INSTALL, &in);
    struct rec_sa_info out = in;
    out.inbound = 0;
    out.spi = 0xc0000102;
    rec_sa(r, 2000000000, 3, REC_SA_INSTALL, &out);
    in.packets = 4;
    in.bytes = 320;
    rec_sa(r, 5500000000, 3, REC_SA_DELETE, &in);
    CHECK_EQ_INT(rec_close(r, REC_COMPLETE), 0);

    sqlite3 *db = open_reader(path);
    CHECK_ROW(db, "SELECT * FROM sa_events_v ORDER BY time_ns DESC LIMIT 1",
              "5500000000|5.5|3|ha|delete|3221225729|0xc0000101|in|bu|ikev2|fd00:2::64|4|320");
    CHECK_ROW(db, "SELECT installed_ns, removed_ns FROM sa_lifetimes_v WHERE direction = 'in'",
              "2000000000|5500000000");
    CHECK_ROW(db, "SELECT installed_ns, removed_ns FROM sa_lifetimes_v WHERE direction = 'out'",
              "2000000000|NULL");
    sqlite3_close(db);
    remove_db(path);
}

CHECK_MAIN(TEST(events_read_back), TEST(sa_events_read_back),
           TEST(killed_writer_leaves_readable_db), TEST(flush_is_visible_to_reader),
           TEST(locked_database_counts_lost_rows), TEST(full_disk_keeps_db_consistent),
           TEST(null_recorder_is_harmless), TEST(bad_path_names_path_and_fix),
           TEST(existing_file_is_replaced), TEST(sigkill_keeps_flushed_rows),
           TEST(address_ids_follow_call_order), TEST(text_arguments_are_copied))
