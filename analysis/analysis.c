/*
 * analysis.c - mip6sec-analysis: handoff latencies from one run database.
 *
 * Usage: mip6sec-analysis [--csv] RUN.db
 *
 * For each mobile node (a node with mobility events that only a mobile
 * node records) every REC_MOB_LINK_DOWN starts a handoff, which lasts
 * until the node's next link down.  Within it the program looks up the
 * milestones: link up, movement detected, care-of address ready, the
 * first BU after that and the BA.  The first data packet is the first
 * decap event at the mobile node whose outer destination is the new
 * care-of address and whose inner protocol is UDP.  After a return home
 * it is the first UDP delivery after link up.  The program also counts
 * the data packets lost.  docs/database.md documents the schema and these
 * rules.
 *
 * Exit status: 0 on success, 2 when the database cannot be analysed.
 */
#define _POSIX_C_SOURCE 200809L

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/*
 * Values of enum rec_mob (model/rec.h) stored in the database.  The SQL
 * below uses the enum rec_kind values as literals: 1 send, 4 deliver,
 * 8 decap, and protocol 17 is UDP.
 */
enum {
    MOB_LINK_DOWN = 1,
    MOB_LINK_UP = 2,
    MOB_MOVEMENT = 3,
    MOB_COA_READY = 4,
    MOB_BU_SENT = 5,
    MOB_BA_RECEIVED = 6,
    MOB_RETURNED_HOME = 12,
    MOB_COA_OPTIMISTIC = 53,
    MOB_COA_FAILED = -4, /* internal: coa_ready with value -1, the address never became usable */
    BA_STATUS_REJECTED = 128, /* RFC 6275 section 6.1.8: status >= 128 rejects the BU */
};

#define REC_APPLICATION_ID 0x6d697036 /* PRAGMA application_id of a mip6sec database */
#define NONE INT64_MIN                /* a time or value that was not recorded */
#define EXIT_UNUSABLE 2

/* Milestones of one handoff, in nanoseconds of simulated time. */
enum milestone {
    M_DOWN,
    M_UP,
    M_MOVEMENT,
    M_COA,
    M_BU,
    M_BA,
    M_DATA,
    M_COUNT,
};

static const char *const milestone_names[M_COUNT] = {
    "link down", "link up", "movement", "CoA ready", "BU sent", "BA received", "first data",
};

struct handoff {
    uint32_t node;
    int number;
    int64_t t[M_COUNT];
    int64_t end;    /* next link down of the node, or INT64_MAX */
    int64_t coa;    /* address id of the new care-of address, or NONE */
    int64_t status; /* BA status, or NONE */
    int64_t lost;   /* data packets lost, or NONE */
    bool home;      /* the handoff ended on the home link */
    bool included;  /* counted in the statistics */
    char note[160];
};

struct mob_event {
    int64_t time;
    int kind;
    int64_t address;
    int64_t value;
};

struct ctx {
    sqlite3 *db;
    const char *path;
    bool csv;
    /* The run sent no UDP stream (--traffic without udp), so no handoff
     * has a first data packet, lost count or latency. */
    bool no_udp_stream;
    struct handoff *handoffs;
    size_t count;
    size_t cap;
};

/* ------------------------------------------------------------- database */

/* Print an SQLite error with the database path and exit with status 2. */
_Noreturn static void
fail(struct ctx *c, const char *what)
{
    fprintf(stderr, "mip6sec-analysis: %s: %s failed: %s\n", c->path, what, sqlite3_errmsg(c->db));
    sqlite3_close(c->db);
    exit(EXIT_UNUSABLE);
}

static sqlite3_stmt *
prepare(struct ctx *c, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        fail(c, "preparing a query");
    return st;
}

/* Run a query that returns at most one integer; NONE when it returns no row or NULL. */
static int64_t
query_int(struct ctx *c, sqlite3_stmt *st)
{
    int64_t v = NONE;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        fail(c, "a query");
    sqlite3_reset(st);
    return v;
}

static void
open_database(struct ctx *c)
{
    struct stat st;
    if (stat(c->path, &st) != 0) {
        fprintf(stderr,
                "mip6sec-analysis: %s: file not found; pass the database that a mip6sec run "
                "wrote (mip6sec-handoff --output=FILE)\n",
                c->path);
        exit(EXIT_UNUSABLE);
    }

    /* Read-write, so SQLite can recover the WAL of a killed run and build a missing index. */
    int rc = sqlite3_open_v2(c->path, &c->db, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_close(c->db);
        rc = sqlite3_open_v2(c->path, &c->db, SQLITE_OPEN_READONLY, NULL);
    }
    if (rc != SQLITE_OK) {
        fprintf(stderr, "mip6sec-analysis: %s: cannot open: %s\n", c->path,
                c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        exit(EXIT_UNUSABLE);
    }

    sqlite3_stmt *q = NULL;
    int64_t app_id = NONE;
    if (sqlite3_prepare_v2(c->db, "PRAGMA application_id", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        app_id = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    if (app_id != REC_APPLICATION_ID) {
        fprintf(stderr,
                "mip6sec-analysis: %s: not a mip6sec database (%s); pass a database that "
                "the mip6sec recorder wrote\n",
                c->path,
                app_id == NONE ? sqlite3_errmsg(c->db) : "its SQLite application_id differs");
        sqlite3_close(c->db);
        exit(EXIT_UNUSABLE);
    }
}

/* Print the run line and warn when the run did not complete. */
static void
check_run(struct ctx *c)
{
    sqlite3_stmt *st = prepare(c, "SELECT run_id, seed, run_number, status FROM run");
    /* Warnings go with the report in table mode and to stderr in CSV mode. */
    FILE *out = c->csv ? stderr : stdout;
    if (sqlite3_step(st) != SQLITE_ROW) {
        fprintf(out,
                "warning: %s has no run row: the run is incomplete; results cover what "
                "was recorded\n",
                c->path);
        sqlite3_finalize(st);
        return;
    }
    const char *status = (const char *)sqlite3_column_text(st, 3);
    if (!c->csv)
        fprintf(out, "run %s, seed %lld, run number %lld, status %s\n",
                (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
                sqlite3_column_int64(st, 2), status ? status : "?");
    if (!status || strcmp(status, "complete") != 0)
        fprintf(out,
                "warning: run status is '%s', not 'complete': the run is incomplete; results "
                "cover what was recorded\n",
                status ? status : "?");
    sqlite3_finalize(st);
}

/* The indexes that rec_close builds; the queries below rely on them. */
static const struct {
    const char *name;
    const char *sql;
} indexes[] = {
    {"packet_event_node_kind_time",
     "CREATE INDEX packet_event_node_kind_time ON packet_event(node, kind, time_ns)"},
    {"packet_event_delivered", "CREATE INDEX packet_event_delivered ON packet_event(node, app_seq)"
                               " WHERE kind = 4 AND app_seq IS NOT NULL"},
};

/*
 * A run that was killed never reached rec_close, which builds the indexes
 * the queries need; build them here so the queries take seconds, not
 * minutes.
 */
static void
ensure_indexes(struct ctx *c)
{
    sqlite3_stmt *st = prepare(c, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
                                  " AND name = ?");
    for (size_t i = 0; i < sizeof indexes / sizeof indexes[0]; i++) {
        sqlite3_bind_text(st, 1, indexes[i].name, -1, SQLITE_STATIC);
        if (query_int(c, st) > 0)
            continue;
        fprintf(stderr, "note: building index %s (the run did not close its database)\n",
                indexes[i].name);
        if (sqlite3_exec(c->db, indexes[i].sql, NULL, NULL, NULL) != SQLITE_OK)
            fprintf(stderr, "warning: cannot build index %s (%s); the analysis will be slow\n",
                    indexes[i].name, sqlite3_errmsg(c->db));
    }
    sqlite3_finalize(st);
}

/* ------------------------------------------------------------- handoffs */

static struct handoff *
new_handoff(struct ctx *c, uint32_t node, int number, int64_t down)
{
    if (c->count == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->handoffs = realloc(c->handoffs, c->cap * sizeof *c->handoffs);
        if (!c->handoffs) {
            fprintf(stderr, "mip6sec-analysis: out of memory\n");
            exit(EXIT_UNUSABLE);
        }
    }
    struct handoff *h = &c->handoffs[c->count++];
    memset(h, 0, sizeof *h);
    for (int m = 0; m < M_COUNT; m++)
        h->t[m] = NONE;
    h->node = node;
    h->number = number;
    h->t[M_DOWN] = down;
    h->end = INT64_MAX;
    h->coa = NONE;
    h->status = NONE;
    h->lost = NONE;
    return h;
}

/* First event of a kind in [from, end) among the node's events; NULL when none. */
static const struct mob_event *
first_after(const struct mob_event *ev, size_t n, int kind, int64_t from, int64_t end)
{
    for (size_t i = 0; i < n; i++)
        if (ev[i].kind == kind && ev[i].time >= from && ev[i].time < end)
            return &ev[i];
    return NULL;
}

/* Fill the mobility milestones of handoff h from the node's events. */
static void
find_milestones(struct handoff *h, const struct mob_event *ev, size_t n)
{
    int64_t down = h->t[M_DOWN];
    const struct mob_event *e;

    if ((e = first_after(ev, n, MOB_LINK_UP, down, h->end)))
        h->t[M_UP] = e->time;
    if ((e = first_after(ev, n, MOB_MOVEMENT, down, h->end)))
        h->t[M_MOVEMENT] = e->time;
    h->home = first_after(ev, n, MOB_RETURNED_HOME, down, h->end) != NULL;
    if (!h->home && (e = first_after(ev, n, MOB_COA_READY, down, h->end))) {
        h->t[M_COA] = e->time;
        h->coa = e->address;
    }

    int64_t bu_from = h->t[M_COA] != NONE ? h->t[M_COA] : down;
    if ((e = first_after(ev, n, MOB_BU_SENT, bu_from, h->end)))
        h->t[M_BU] = e->time;
    if (h->t[M_BU] == NONE)
        return;

    /*
     * The first accepting BA; a rejected BU (status 135, sequence number
     * out of window, say) is retried, and the retry's BA completes the
     * handoff.  With no accepting BA, the first rejection is reported.
     */
    const struct mob_event *rejected = NULL;
    e = NULL;
    for (size_t i = 0; i < n && !e; i++) {
        if (ev[i].kind != MOB_BA_RECEIVED || ev[i].time < h->t[M_BU] || ev[i].time >= h->end)
            continue;
        if (ev[i].value < BA_STATUS_REJECTED)
            e = &ev[i];
        else if (!rejected)
            rejected = &ev[i];
    }
    if (!e)
        e = rejected;
    if (e) {
        h->t[M_BA] = e->time;
        h->status = e->value;
    }
}

/* Load a mobile node's mobility events and split them into handoffs. */
static void
load_node(struct ctx *c, uint32_t node)
{
    sqlite3_stmt *st = prepare(c, "SELECT time_ns, kind, address, value FROM mobility_event"
                                  " WHERE node = ? ORDER BY time_ns, rowid");
    sqlite3_bind_int64(st, 1, node);
    struct mob_event *ev = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            ev = realloc(ev, cap * sizeof *ev);
            if (!ev) {
                fprintf(stderr, "mip6sec-analysis: out of memory\n");
                exit(EXIT_UNUSABLE);
            }
        }
        ev[n].time = sqlite3_column_int64(st, 0);
        ev[n].kind = sqlite3_column_int(st, 1);
        ev[n].address =
            sqlite3_column_type(st, 2) == SQLITE_NULL ? NONE : sqlite3_column_int64(st, 2);
        ev[n].value = sqlite3_column_int64(st, 3);
        /* The model records coa_ready with value -1 when duplicate address detection failed. */
        if (ev[n].kind == MOB_COA_READY && ev[n].value < 0)
            ev[n].kind = MOB_COA_FAILED;
        /* With optimistic DAD (RFC 4429) the care-of address is usable
         * when coa_optimistic is recorded, and no coa_ready follows. */
        if (ev[n].kind == MOB_COA_OPTIMISTIC)
            ev[n].kind = MOB_COA_READY;
        n++;
    }
    if (rc != SQLITE_DONE)
        fail(c, "reading mobility events");
    sqlite3_finalize(st);

    /*
     * The events are sorted by time, so each handoff's events are the
     * slice from its link down to the next one.  Scanning only that slice
     * keeps the work linear in the number of events.
     */
    struct handoff *h = NULL;
    size_t start = 0;
    int number = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && ev[i].kind != MOB_LINK_DOWN)
            continue;
        if (h) {
            h->end = i < n ? ev[i].time : INT64_MAX;
            find_milestones(h, ev + start, i - start);
        }
        if (i < n) {
            h = new_handoff(c, node, ++number, ev[i].time);
            start = i;
        }
    }
    free(ev);
}

/*
 * The home address: the destination of the UDP data that the mobile node
 * receives, or else the Home Address option of its BUs.
 */
static int64_t
home_address(struct ctx *c, uint32_t node)
{
    sqlite3_stmt *st = prepare(c, "SELECT dst FROM (SELECT dst FROM packet_event"
                                  " WHERE node = ?1 AND kind = 4 AND protocol = 17"
                                  " AND app_seq IS NOT NULL LIMIT 1000)"
                                  " GROUP BY dst ORDER BY count(*) DESC LIMIT 1");
    sqlite3_bind_int64(st, 1, node);
    int64_t hoa = query_int(c, st);
    sqlite3_finalize(st);
    if (hoa != NONE)
        return hoa;

    st = prepare(c, "SELECT hoa FROM packet_event WHERE node = ?1 AND hoa IS NOT NULL LIMIT 1");
    sqlite3_bind_int64(st, 1, node);
    hoa = query_int(c, st);
    sqlite3_finalize(st);
    return hoa;
}

struct queries {
    sqlite3_stmt *data_away;  /* first decap through the new CoA */
    sqlite3_stmt *data_home;  /* first UDP delivery after link up */
    sqlite3_stmt *data_seq;   /* app_seq of the data packet found by data_away/data_home */
    sqlite3_stmt *last_deliv; /* app_seq of the last UDP delivery before a time */
    sqlite3_stmt *lost;       /* correspondent sends in a sequence range never delivered */
};

static void
prepare_queries(struct ctx *c, struct queries *q)
{
    /* Data reaches the new care-of address through the home agent's tunnel
     * (decap, kind 8) or, with route optimization, directly with a type 2
     * routing header (receive, kind 2, recorded by the model). */
    q->data_away = prepare(c, "SELECT time_ns FROM packet_event"
                              " WHERE node = ?1 AND time_ns > ?2 AND time_ns < ?3 AND dst = ?4"
                              " AND ((kind = 8 AND inner_protocol = 17)"
                              "  OR (kind = 2 AND protocol = 17 AND rh2 IS NOT NULL))"
                              " ORDER BY time_ns LIMIT 1");
    q->data_home = prepare(c, "SELECT time_ns FROM packet_event"
                              " WHERE node = ?1 AND kind = 4 AND time_ns > ?2 AND time_ns < ?3"
                              " AND protocol = 17 ORDER BY time_ns LIMIT 1");
    q->data_seq = prepare(c, "SELECT app_seq FROM packet_event"
                             " WHERE node = ?1 AND time_ns = ?2 AND kind IN (2, 4, 8)"
                             " AND app_seq IS NOT NULL LIMIT 1");
    q->last_deliv = prepare(c, "SELECT app_seq FROM packet_event"
                               " WHERE node = ?1 AND kind = 4 AND time_ns < ?2"
                               " AND protocol = 17 AND app_seq IS NOT NULL"
                               " ORDER BY time_ns DESC LIMIT 1");
    q->lost = prepare(c, "SELECT count(*) FROM packet_event s"
                         " WHERE s.node IN (SELECT id FROM node WHERE id <> ?1)"
                         " AND s.kind = 1 AND s.app_seq > ?2 AND s.app_seq < ?3"
                         " AND s.protocol = 17 AND s.app_seq IS NOT NULL AND s.dst = ?4"
                         " AND NOT EXISTS (SELECT 1 FROM packet_event d"
                         "  WHERE d.node = ?1 AND d.kind = 4 AND d.app_seq IS NOT NULL"
                         "  AND d.app_seq = s.app_seq AND d.src IS s.src)");
}

static void
finalize_queries(struct queries *q)
{
    sqlite3_finalize(q->data_away);
    sqlite3_finalize(q->data_home);
    sqlite3_finalize(q->data_seq);
    sqlite3_finalize(q->last_deliv);
    sqlite3_finalize(q->lost);
}

/* Find the first data packet after the handoff and count the packets lost in it. */
static void
find_data(struct ctx *c, struct queries *q, struct handoff *h, int64_t hoa)
{
    int64_t down = h->t[M_DOWN];
    if (h->home) {
        sqlite3_bind_int64(q->data_home, 1, h->node);
        sqlite3_bind_int64(q->data_home, 2, h->t[M_UP] != NONE ? h->t[M_UP] : down);
        sqlite3_bind_int64(q->data_home, 3, h->end);
        h->t[M_DATA] = query_int(c, q->data_home);
    } else if (h->coa != NONE) {
        sqlite3_bind_int64(q->data_away, 1, h->node);
        sqlite3_bind_int64(q->data_away, 2, down);
        sqlite3_bind_int64(q->data_away, 3, h->end);
        sqlite3_bind_int64(q->data_away, 4, h->coa);
        h->t[M_DATA] = query_int(c, q->data_away);
    }
    if (h->t[M_DATA] == NONE || hoa == NONE)
        return;

    /* The loss window is a range of sequence numbers, not of times, so
     * that packets still in flight when the link went down count.  It runs
     * from the last one delivered before link down to the first one
     * delivered after the handoff. */
    sqlite3_bind_int64(q->data_seq, 1, h->node);
    sqlite3_bind_int64(q->data_seq, 2, h->t[M_DATA]);
    int64_t to = query_int(c, q->data_seq);
    sqlite3_bind_int64(q->last_deliv, 1, h->node);
    sqlite3_bind_int64(q->last_deliv, 2, down);
    int64_t from = query_int(c, q->last_deliv);
    if (to == NONE)
        return;
    sqlite3_bind_int64(q->lost, 1, h->node);
    sqlite3_bind_int64(q->lost, 2, from == NONE ? -1 : from);
    sqlite3_bind_int64(q->lost, 3, to);
    sqlite3_bind_int64(q->lost, 4, hoa);
    h->lost = query_int(c, q->lost);
}

/* Decide whether the handoff counts in the statistics, and store the reason when not. */
static void
judge(const struct ctx *c, struct handoff *h)
{
    if (h->t[M_BA] == NONE && h->t[M_DATA] != NONE)
        snprintf(h->note, sizeof h->note, "no BA received, although data arrived");
    else if (h->t[M_BA] == NONE)
        snprintf(h->note, sizeof h->note, "no BA received");
    else if (h->status >= BA_STATUS_REJECTED)
        snprintf(h->note, sizeof h->note, "BA rejected the binding (status %" PRId64 ")",
                 h->status);
    else if (h->t[M_DATA] == NONE && !c->no_udp_stream)
        snprintf(h->note, sizeof h->note, "no data received after the handoff");
    else
        h->included = true;
}

/* Whether the run's --traffic parameter leaves out udp.  Runs without the
 * parameter (older databases, other scenarios) stream UDP. */
static bool
run_without_udp_stream(struct ctx *c)
{
    sqlite3_stmt *st = prepare(c, "SELECT value FROM param WHERE name = 'traffic'");
    bool without = false;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        without = !strstr((const char *)sqlite3_column_text(st, 0), "udp");
    sqlite3_finalize(st);
    return without;
}

static void
analyse(struct ctx *c)
{
    /* Kinds that only a mobile node records: 1-6 and 12-14 of enum rec_mob. */
    sqlite3_stmt *st = prepare(c, "SELECT DISTINCT node FROM mobility_event"
                                  " WHERE kind IN (1, 2, 3, 4, 5, 6, 12, 13, 14) ORDER BY node");
    uint32_t *nodes = NULL;
    size_t n_nodes = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n_nodes == cap) {
            cap = cap ? cap * 2 : 16;
            nodes = realloc(nodes, cap * sizeof *nodes);
            if (!nodes) {
                fprintf(stderr, "mip6sec-analysis: out of memory\n");
                exit(EXIT_UNUSABLE);
            }
        }
        nodes[n_nodes++] = (uint32_t)sqlite3_column_int64(st, 0);
    }
    if (rc != SQLITE_DONE)
        fail(c, "finding mobile nodes");
    sqlite3_finalize(st);
    /* A run in which no mobile node moved (speed 0, or stopped early) has
     * no mobility events; that is an empty result, not an error, so that
     * a parameter sweep can include such runs. */
    if (n_nodes == 0)
        printf("no mobility events: no mobile node moved in this run\n");

    struct queries q;
    prepare_queries(c, &q);
    for (size_t i = 0; i < n_nodes; i++) {
        size_t first = c->count;
        load_node(c, nodes[i]);
        int64_t hoa = home_address(c, nodes[i]);
        for (size_t k = first; k < c->count; k++) {
            find_data(c, &q, &c->handoffs[k], hoa);
            judge(c, &c->handoffs[k]);
        }
    }
    finalize_queries(&q);
    free(nodes);
}

/* --------------------------------------------------------------- output */

static void
put_time(FILE *out, int64_t ns, int width)
{
    if (ns == NONE)
        fprintf(out, "%*s", width, "-");
    else
        fprintf(out, "%*.3f", width, (double)ns / 1e9);
}

static void
put_int(FILE *out, int64_t v, int width)
{
    if (v == NONE)
        fprintf(out, "%*s", width, "-");
    else
        fprintf(out, "%*" PRId64, width, v);
}

static int64_t
latency(const struct handoff *h)
{
    if (h->t[M_DATA] == NONE)
        return NONE;
    return h->t[M_DATA] - h->t[M_DOWN];
}

/* Text of an address id, or "-"; the result lives until the next call. */
static const char *
address_text(struct ctx *c, int64_t id)
{
    static char text[64];
    snprintf(text, sizeof text, "-");
    if (id == NONE)
        return text;
    sqlite3_stmt *st = prepare(c, "SELECT text FROM address WHERE id = ?");
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(text, sizeof text, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return text;
}

static const char *
node_name(struct ctx *c, uint32_t node)
{
    static char name[64];
    name[0] = '\0';
    sqlite3_stmt *st = prepare(c, "SELECT name FROM node WHERE id = ?");
    sqlite3_bind_int64(st, 1, node);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(name, sizeof name, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return name;
}

/* Write text as one CSV field, quoted (RFC 4180) when it contains a comma or quote. */
static void
put_csv_text(FILE *out, const char *text)
{
    if (!strpbrk(text, ",\"\n")) {
        fputs(text, out);
        return;
    }
    putc('"', out);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            putc('"', out);
        putc(*p, out);
    }
    putc('"', out);
}

static void
print_csv(struct ctx *c)
{
    printf("node,node_name,handoff,link_down_s,link_up_s,movement_s,coa_ready_s,bu_sent_s,"
           "ba_received_s,ba_status,first_data_s,latency_s,lost_packets,care_of_address,"
           "returned_home,included,note\n");
    for (size_t i = 0; i < c->count; i++) {
        const struct handoff *h = &c->handoffs[i];
        printf("%" PRIu32 ",%s,%d", h->node, node_name(c, h->node), h->number);
        for (int m = 0; m < M_COUNT; m++) {
            putchar(',');
            if (m == M_DATA) {
                put_int(stdout, h->status, 0);
                putchar(',');
            }
            put_time(stdout, h->t[m], 0);
        }
        putchar(',');
        put_time(stdout, latency(h), 0);
        putchar(',');
        put_int(stdout, h->lost, 0);
        printf(",%s,%d,%d,", h->home ? "" : address_text(c, h->coa), h->home, h->included);
        put_csv_text(stdout, h->note);
        putchar('\n');
    }
}

static void
print_table(struct ctx *c)
{
    if (c->no_udp_stream)
        printf("\nnote: the run sent no UDP stream (its --traffic has no udp), and the analysis "
               "follows UDP only, so data, latency and lost stay empty\n");
    if (c->count == 0)
        printf("\nno handoffs: no mobile node recorded a link_down event\n");
    uint32_t last_node = UINT32_MAX;
    for (size_t i = 0; i < c->count; i++) {
        const struct handoff *h = &c->handoffs[i];
        if (h->node != last_node) {
            last_node = h->node;
            printf("\nmobile node %" PRIu32 " (%s)\n", h->node, node_name(c, h->node));
            printf("%3s %10s %10s %10s %10s %10s %10s %6s %10s %10s %7s  %s\n", "#", "down[s]",
                   "up[s]", "move[s]", "coa[s]", "bu[s]", "ba[s]", "status", "data[s]",
                   "latency[s]", "lost", "care-of address");
        }
        printf("%3d", h->number);
        for (int m = 0; m < M_COUNT; m++) {
            putchar(' ');
            if (m == M_DATA) {
                put_int(stdout, h->status, 6);
                putchar(' ');
            }
            put_time(stdout, h->t[m], 10);
        }
        putchar(' ');
        put_time(stdout, latency(h), 10);
        putchar(' ');
        put_int(stdout, h->lost, 7);
        printf("  %s\n", h->home ? "(home link)" : address_text(c, h->coa));
    }

    bool any_note = false;
    for (size_t i = 0; i < c->count; i++) {
        const struct handoff *h = &c->handoffs[i];
        if (h->included)
            continue;
        if (!any_note)
            printf("\n");
        any_note = true;
        printf("note: node %" PRIu32 " handoff %d: %s; excluded from the statistics\n", h->node,
               h->number, h->note);
    }
}

/* Print n, mean, median and standard deviation of the values (seconds). */
static void
print_stat_row(const char *name, double *v, size_t n)
{
    printf("%-26s %4zu", name, n);
    if (n == 0) {
        printf(" %10s %10s %10s\n", "-", "-", "-");
        return;
    }
    gsl_sort(v, 1, n);
    printf(" %10.3f %10.3f", gsl_stats_mean(v, 1, n), gsl_stats_median_from_sorted_data(v, 1, n));
    if (n >= 2)
        printf(" %10.3f\n", gsl_stats_sd(v, 1, n));
    else
        printf(" %10s\n", "-");
}

static void
print_statistics(struct ctx *c)
{
    double *v = malloc((c->count ? c->count : 1) * sizeof *v);
    if (!v) {
        fprintf(stderr, "mip6sec-analysis: out of memory\n");
        exit(EXIT_UNUSABLE);
    }
    size_t included = 0;
    for (size_t i = 0; i < c->count; i++)
        included += c->handoffs[i].included;
    printf("\nstatistics over %zu of %zu handoffs (seconds; sd is the sample standard "
           "deviation)\n",
           included, c->count);
    printf("%-26s %4s %10s %10s %10s\n", "quantity", "n", "mean", "median", "sd");

    size_t n = 0;
    for (size_t i = 0; i < c->count; i++)
        if (c->handoffs[i].included && latency(&c->handoffs[i]) != NONE)
            v[n++] = (double)latency(&c->handoffs[i]) / 1e9;
    print_stat_row("latency (down to data)", v, n);

    /* Components: the time between consecutive milestones, where both were recorded. */
    for (int m = M_UP; m < M_COUNT; m++) {
        char name[64];
        snprintf(name, sizeof name, "%s to %s", milestone_names[m - 1], milestone_names[m]);
        n = 0;
        for (size_t i = 0; i < c->count; i++) {
            const struct handoff *h = &c->handoffs[i];
            if (h->included && h->t[m] != NONE && h->t[m - 1] != NONE)
                v[n++] = (double)(h->t[m] - h->t[m - 1]) / 1e9;
        }
        print_stat_row(name, v, n);
    }

    n = 0;
    for (size_t i = 0; i < c->count; i++)
        if (c->handoffs[i].included && c->handoffs[i].lost != NONE)
            v[n++] = (double)c->handoffs[i].lost;
    printf("%-26s %4zu", "lost packets (count)", n);
    if (n > 0) {
        gsl_sort(v, 1, n);
        printf(" %10.1f %10.1f", gsl_stats_mean(v, 1, n),
               gsl_stats_median_from_sorted_data(v, 1, n));
        if (n >= 2)
            printf(" %10.2f\n", gsl_stats_sd(v, 1, n));
        else
            printf(" %10s\n", "-");
    } else {
        printf(" %10s %10s %10s\n", "-", "-", "-");
    }
    free(v);
}

static void
usage(FILE *out)
{
    fprintf(out, "usage: mip6sec-analysis [--csv] RUN.db\n"
                 "Print the handoff latencies and losses of one mip6sec run database.\n"
                 "  --csv   print one CSV row per handoff instead of the table and statistics\n");
}

int
main(int argc, char **argv)
{
    struct ctx c = {0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--csv") == 0) {
            c.csv = true;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' || c.path) {
            fprintf(stderr, "mip6sec-analysis: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return EXIT_UNUSABLE;
        } else {
            c.path = argv[i];
        }
    }
    if (!c.path) {
        usage(stderr);
        return EXIT_UNUSABLE;
    }

    open_database(&c);
    check_run(&c);
    c.no_udp_stream = run_without_udp_stream(&c);
    ensure_indexes(&c);
    analyse(&c);
    if (c.csv) {
        print_csv(&c);
    } else {
        print_table(&c);
        print_statistics(&c);
    }
    free(c.handoffs);
    sqlite3_close(c.db);
    return 0;
}
