/*
 * rec_bench.c - events per second through rec_packet against raw SQLite.
 *
 * Usage: rec_bench [EVENTS [DIRECTORY]]   (defaults: 2000000 events, /tmp)
 *
 * Both runs write EVENTS rows into a fresh database in DIRECTORY with the
 * same open flags, PRAGMAs and commit interval (REC_BATCH_ROWS):
 *   - rec: rec_packet on a rotating mix of realistic packets, so the time
 *     includes parsing, address interning and binding every column.  The
 *     mix has UDP data in clear and tunnelled, a BU with Home Address
 *     option and ESP, a BA with a type 2 routing header and ESP, and
 *     router advertisements;
 *   - raw: one prepared INSERT of precomputed integer rows into a table
 *     with the same 23 columns and no index, which is the cost floor that
 *     SQLite itself sets.
 * The rate is rows divided by wall time from the first insert to the last
 * commit.  rec_close's index build is timed separately, because a real run
 * pays it once at the end.
 */
#define _POSIX_C_SOURCE 200809L

#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rec.h"

#define SNAP_LEN 128 /* bytes captured per packet, as a recorder hook would pass */

struct sample {
    uint8_t bytes[SNAP_LEN];
    size_t caplen;
    size_t wire_len;
    enum rec_kind kind;
    uint32_t node;
    size_t seq_offset; /* where the SeqTs sequence number sits, 0 when none */
};

static double
seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
addr(uint8_t out[16], uint8_t net, uint8_t host)
{
    memset(out, 0, 16);
    out[0] = 0x20;
    out[1] = 0x01;
    out[2] = 0x0d;
    out[3] = net;
    out[15] = host;
}

/* Fixed IPv6 header at p; returns 40. */
static size_t
ipv6(uint8_t *p, uint16_t payload_len, uint8_t next, const uint8_t src[16], const uint8_t dst[16])
{
    memset(p, 0, 40);
    p[0] = 0x60;
    p[4] = (uint8_t)(payload_len >> 8);
    p[5] = (uint8_t)payload_len;
    p[6] = next;
    p[7] = 64;
    memcpy(p + 8, src, 16);
    memcpy(p + 24, dst, 16);
    return 40;
}

static size_t
udp(uint8_t *p, uint16_t payload_len)
{
    memset(p, 0, 8 + 12);
    p[1] = 9;
    p[3] = 9;
    p[4] = (uint8_t)((payload_len + 8) >> 8);
    p[5] = (uint8_t)(payload_len + 8);
    return 8 + 12;
}

static void
build_samples(struct sample s[6])
{
    uint8_t cn[16], hoa[16], ha[16], coa[16], ar[16], ll[16];
    addr(cn, 3, 1);
    addr(hoa, 1, 100);
    addr(ha, 1, 1);
    addr(coa, 2, 100);
    addr(ar, 2, 1);
    addr(ll, 0, 1);
    ll[0] = 0xfe;
    ll[1] = 0x80;
    ll[2] = ll[3] = 0;
    memset(s, 0, 6 * sizeof *s);

    /* CN -> HoA UDP data, 1024-byte payload, seen at CN (send). */
    size_t n = ipv6(s[0].bytes, 8 + 1024, 17, cn, hoa);
    s[0].seq_offset = n + 8;
    n += udp(s[0].bytes + n, 1024);
    s[0].caplen = n;
    s[0].wire_len = 40 + 8 + 1024;
    s[0].kind = REC_SEND;
    s[0].node = 3;

    /* HA -> CoA tunnel carrying the same datagram, seen at MN (decap). */
    n = ipv6(s[1].bytes, 40 + 8 + 1024, 41, ha, coa);
    n += ipv6(s[1].bytes + n, 8 + 1024, 17, cn, hoa);
    s[1].seq_offset = n + 8;
    n += udp(s[1].bytes + n, 1024);
    s[1].caplen = n;
    s[1].wire_len = 80 + 8 + 1024;
    s[1].kind = REC_DECAP;
    s[1].node = 0;

    /* Delivered datagram at MN. */
    s[2] = s[0];
    s[2].kind = REC_DELIVER;
    s[2].node = 0;

    /* BU: CoA -> HA, dstopt with HAO, ESP. */
    uint8_t *p = s[3].bytes;
    n = ipv6(p, 24 + 84, 60, coa, ha);
    p[n] = 50;
    p[n + 1] = 2;
    p[n + 2] = 1; /* PadN, 4 bytes */
    p[n + 3] = 2;
    p[n + 6] = 201;
    p[n + 7] = 16;
    memcpy(p + n + 8, hoa, 16);
    n += 24;
    p[n + 2] = 0x10; /* SPI 0x1000, sequence number 7 */
    p[n + 7] = 7;
    s[3].caplen = n + 8 + 16;
    s[3].wire_len = 148;
    s[3].kind = REC_TX;
    s[3].node = 0;

    /* BA: HA -> CoA, RH2 with HoA, ESP. */
    p = s[4].bytes;
    n = ipv6(p, 24 + 68, 43, ha, coa);
    p[n] = 50;
    p[n + 1] = 2;
    p[n + 2] = 2;
    p[n + 3] = 1;
    memcpy(p + n + 8, hoa, 16);
    n += 24;
    p[n + 2] = 0x20; /* SPI 0x2000, sequence number 7 */
    p[n + 7] = 7;
    s[4].caplen = n + 8 + 16;
    s[4].wire_len = 132;
    s[4].kind = REC_RECEIVE;
    s[4].node = 0;

    /* Router advertisement from the access router. */
    uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
    p = s[5].bytes;
    n = ipv6(p, 56, 58, ll, all_nodes);
    p[n] = 134;
    s[5].caplen = n + 56;
    s[5].wire_len = n + 56;
    s[5].kind = REC_RECEIVE;
    s[5].node = 0;
}

/* The mix: 3 of every 4 events carry data, the rest signalling and RAs. */
static const int mix_order[8] = {0, 1, 2, 0, 1, 2, 3, 4};

static double
run_rec(const char *path, long events, double *close_seconds)
{
    char err[512];
    struct rec *r = rec_open(path, err, sizeof err);
    if (!r) {
        fprintf(stderr, "rec_bench: %s\n", err);
        exit(1);
    }
    rec_begin(r, 1, 1, "bench", "bench");

    struct sample s[6];
    build_samples(s);
    double start = seconds();
    for (long i = 0; i < events; i++) {
        struct sample *x = &s[(i % 97 == 0) ? 5 : mix_order[i & 7]];
        uint32_t seq = (uint32_t)(i / 3);
        if (x->seq_offset) {
            x->bytes[x->seq_offset] = (uint8_t)(seq >> 24);
            x->bytes[x->seq_offset + 1] = (uint8_t)(seq >> 16);
            x->bytes[x->seq_offset + 2] = (uint8_t)(seq >> 8);
            x->bytes[x->seq_offset + 3] = (uint8_t)seq;
        }
        rec_packet(r, (uint64_t)i * 1000, x->node, 1, x->kind, x->bytes, x->caplen, x->wire_len,
                   (uint64_t)i, 0, REC_DROP_NONE);
    }
    rec_flush(r);
    double elapsed = seconds() - start;

    double close_start = seconds();
    if (rec_close(r, REC_COMPLETE) != 0)
        fprintf(stderr, "rec_bench: rec_close reported errors\n");
    *close_seconds = seconds() - close_start;
    return elapsed;
}

static void
must(sqlite3 *db, int rc, const char *what)
{
    if (rc != SQLITE_OK && rc != SQLITE_DONE) {
        fprintf(stderr, "rec_bench: raw SQLite: %s failed: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

static double
run_raw(const char *path, long events)
{
    sqlite3 *db = NULL;
    unlink(path);
    must(db,
         sqlite3_open_v2(path, &db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL),
         "open");
    must(db,
         sqlite3_exec(db,
                      "PRAGMA page_size = 65536; PRAGMA journal_mode = WAL;"
                      " PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 256;"
                      " PRAGMA cache_size = -32768;"
                      "CREATE TABLE packet_event (time_ns INTEGER NOT NULL, node INTEGER NOT NULL,"
                      " iface INTEGER NOT NULL, kind INTEGER NOT NULL, uid INTEGER NOT NULL,"
                      " parent_uid INTEGER, src INTEGER, dst INTEGER, protocol INTEGER,"
                      " chain INTEGER, mh_type INTEGER, icmp_type INTEGER, spi INTEGER,"
                      " esp_seq INTEGER, hoa INTEGER, rh2 INTEGER, inner_src INTEGER,"
                      " inner_dst INTEGER, inner_protocol INTEGER, app_seq INTEGER,"
                      " size INTEGER NOT NULL, drop_reason INTEGER, partial INTEGER NOT NULL);",
                      NULL, NULL, NULL),
         "schema");
    sqlite3_stmt *st = NULL;
    must(db,
         sqlite3_prepare_v2(db,
                            "INSERT INTO packet_event VALUES"
                            "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                            -1, &st, NULL),
         "prepare");

    double start = seconds();
    must(db, sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), "BEGIN");
    for (long i = 0; i < events; i++) {
        int which = (i % 97 == 0) ? 5 : mix_order[i & 7];
        bool tunnel = which == 1;
        bool data = which <= 2;
        for (int col = 1; col <= 23; col++)
            sqlite3_bind_null(st, col);
        sqlite3_bind_int64(st, 1, (int64_t)i * 1000);
        sqlite3_bind_int(st, 2, which == 0 ? 3 : 0);
        sqlite3_bind_int(st, 3, 1);
        sqlite3_bind_int(st, 4, which == 2 ? 4 : 1);
        sqlite3_bind_int64(st, 5, i);
        sqlite3_bind_int(st, 7, 1 + which);
        sqlite3_bind_int(st, 8, 2 + which);
        int protocol = 50;
        if (tunnel)
            protocol = 41;
        else if (data)
            protocol = 17;
        sqlite3_bind_int(st, 9, protocol);
        sqlite3_bind_int(st, 10, tunnel ? 0xa11 : 0xa1);
        if (tunnel) {
            sqlite3_bind_int(st, 17, 4);
            sqlite3_bind_int(st, 18, 5);
            sqlite3_bind_int(st, 19, 17);
        }
        if (data)
            sqlite3_bind_int64(st, 20, i / 3);
        sqlite3_bind_int(st, 21, 1072);
        sqlite3_bind_int(st, 23, 0);
        must(db, sqlite3_step(st), "INSERT");
        sqlite3_reset(st);
        if ((i + 1) % REC_BATCH_ROWS == 0) {
            must(db, sqlite3_exec(db, "COMMIT; BEGIN", NULL, NULL, NULL), "COMMIT");
        }
    }
    must(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "COMMIT");
    double elapsed = seconds() - start;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return elapsed;
}

int
main(int argc, char **argv)
{
    long events = argc > 1 ? strtol(argv[1], NULL, 10) : 2000000;
    const char *dir = argc > 2 ? argv[2] : "/tmp";
    if (events <= 0) {
        fprintf(stderr, "usage: rec_bench [EVENTS [DIRECTORY]]\n");
        return 2;
    }

    char rec_path[4096], raw_path[4096];
    snprintf(rec_path, sizeof rec_path, "%s/rec_bench_rec.db", dir);
    snprintf(raw_path, sizeof raw_path, "%s/rec_bench_raw.db", dir);

    double close_seconds = 0;
    double rec_s = run_rec(rec_path, events, &close_seconds);
    double raw_s = run_raw(raw_path, events);
    double rec_rate = events / rec_s, raw_rate = events / raw_s;
    printf("events:          %ld\n", events);
    printf("rec_packet:      %.0f events/s (%.3f s)\n", rec_rate, rec_s);
    printf("raw SQLite:      %.0f rows/s (%.3f s)\n", raw_rate, raw_s);
    printf("ratio rec/raw:   %.2f\n", rec_rate / raw_rate);
    printf("rec_close:       %.3f s (builds the analysis indexes)\n", close_seconds);

    unlink(rec_path);
    unlink(raw_path);
    return 0;
}
