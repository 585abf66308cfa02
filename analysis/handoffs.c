/*
 * handoffs.c - per-handoff milestones, latency and losses from one run
 * database; handoffs.h documents the rules and the error handling.
 */
#define _POSIX_C_SOURCE 200809L

#include "handoffs.h"

#include <inttypes.h>
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
    MOB_HOT_RECEIVED = 28,
    MOB_COT_RECEIVED = 29,
    MOB_CN_BA_RECEIVED = 31,
    MOB_IKE_REQUEST_SENT = 36,
    MOB_IKE_SA_UP = 41,
    MOB_IKE_SA_MOVED = 44,
    MOB_COA_OPTIMISTIC = 53,
    MOB_COA_FAILED = -4, /* internal: coa_ready with value -1, the address never became usable */
    BA_STATUS_REJECTED = 128, /* RFC 6275 section 6.1.8: status >= 128 rejects the BU */
    IKEV2_IKE_SA_INIT = 34,   /* exchange type, RFC 7296 section 3.1 */
    IKEV1_AGGRESSIVE = 4,     /* exchange type, RFC 2408 section 3.1 */
};

#define REC_APPLICATION_ID 0x6d697036 /* PRAGMA application_id of a mip6sec database */
#define NONE HANDOFF_NONE
#define EXIT_UNUSABLE HANDOFF_EXIT_UNUSABLE

const char *const milestone_names[M_COUNT] = {
    "link down", "link up", "movement", "CoA ready", "BU sent", "BA received", "first data",
};

struct mob_event {
    int64_t time;
    int kind;
    int64_t address;
    int64_t value;
};

/* ------------------------------------------------------------- database */

/* Print an SQLite error with the database path and exit with status 2. */
_Noreturn static void
fail(struct handoff_db *c, const char *what)
{
    fprintf(stderr, "%s: %s: %s failed: %s\n", c->program, c->path, what, sqlite3_errmsg(c->db));
    sqlite3_close(c->db);
    exit(EXIT_UNUSABLE);
}

sqlite3_stmt *
handoff_db_prepare(struct handoff_db *c, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        fail(c, "preparing a query");
    return st;
}

/* Run a query that returns at most one integer; NONE when it returns no row or NULL. */
static int64_t
query_int(struct handoff_db *c, sqlite3_stmt *st)
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

void
handoff_db_open(struct handoff_db *c)
{
    struct stat st;
    if (stat(c->path, &st) != 0) {
        fprintf(stderr,
                "%s: %s: file not found; pass the database that a mip6sec run "
                "wrote (mip6sec-handoff --output=FILE)\n",
                c->program, c->path);
        exit(EXIT_UNUSABLE);
    }

    /* Read-write, so SQLite can recover the WAL of a killed run and build a missing index. */
    int rc = sqlite3_open_v2(c->path, &c->db, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_close(c->db);
        rc = sqlite3_open_v2(c->path, &c->db, SQLITE_OPEN_READONLY, NULL);
    }
    if (rc != SQLITE_OK) {
        fprintf(stderr, "%s: %s: cannot open: %s\n", c->program, c->path,
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
                "%s: %s: not a mip6sec database (%s); pass a database that "
                "the mip6sec recorder wrote\n",
                c->program, c->path,
                app_id == NONE ? sqlite3_errmsg(c->db) : "its SQLite application_id differs");
        sqlite3_close(c->db);
        exit(EXIT_UNUSABLE);
    }
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
void
handoff_db_ensure_indexes(struct handoff_db *c)
{
    sqlite3_stmt *st =
        handoff_db_prepare(c, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
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
new_handoff(struct handoff_db *c, uint32_t node, int number, int64_t down)
{
    if (c->count == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->handoffs = realloc(c->handoffs, c->cap * sizeof *c->handoffs);
        if (!c->handoffs) {
            fprintf(stderr, "%s: out of memory\n", c->program);
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
    h->duplicates = h->reordered = NONE;
    h->tokens = h->cn_ba = h->ro_data = NONE;
    h->ike_start = h->ike_up = h->sas_ready = h->ike_moved = NONE;
    h->tcp_recovery = NONE;
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

/*
 * Return routability after an accepting home BA: both tokens (the later of
 * the first HoT and the first CoT) and then the first accepting
 * correspondent BA (RFC 6275 sections 5.2.5 and 11.7.2).
 */
static void
find_route_optimization(struct handoff *h, const struct mob_event *ev, size_t n)
{
    if (h->t[M_BA] == NONE || h->status >= BA_STATUS_REJECTED)
        return;
    const struct mob_event *hot = first_after(ev, n, MOB_HOT_RECEIVED, h->t[M_BA], h->end);
    const struct mob_event *cot = first_after(ev, n, MOB_COT_RECEIVED, h->t[M_BA], h->end);
    if (!hot || !cot)
        return;
    h->tokens = hot->time > cot->time ? hot->time : cot->time;
    for (size_t i = 0; i < n; i++) {
        if (ev[i].kind == MOB_CN_BA_RECEIVED && ev[i].time >= h->tokens && ev[i].time < h->end &&
            ev[i].value < BA_STATUS_REJECTED) {
            h->cn_ba = ev[i].time;
            break;
        }
    }
}

/*
 * IKE in the handoff: the first IKE_SA_INIT (IKEv2) or aggressive mode
 * (IKEv1) request after the care-of address was ready, that IKE SA's
 * ike_sa_up, and an ike_sa_moved when the K bit moved the old IKE SA.
 */
static void
find_keying(struct handoff *h, const struct mob_event *ev, size_t n)
{
    const struct mob_event *e;
    if ((e = first_after(ev, n, MOB_IKE_SA_MOVED, h->t[M_DOWN], h->end)))
        h->ike_moved = e->time;

    /* IKE for this move starts before the BU, or at the BA when the K bit is off.  A later
     * one, or one after the K bit moved the IKE SA, replaces an IKE SA at its lifetime. */
    int64_t from = h->t[M_COA] != NONE ? h->t[M_COA] : h->t[M_DOWN];
    int64_t until = h->t[M_BA] != NONE ? h->t[M_BA] + HANDOFF_IKE_AFTER_BA_NS : h->end;
    if (h->ike_moved != NONE && h->ike_moved < until)
        until = h->ike_moved;
    if (until > h->end)
        until = h->end;
    for (size_t i = 0; i < n && h->ike_start == NONE; i++)
        if (ev[i].kind == MOB_IKE_REQUEST_SENT && ev[i].time >= from && ev[i].time < until &&
            (ev[i].value == IKEV2_IKE_SA_INIT || ev[i].value == IKEV1_AGGRESSIVE))
            h->ike_start = ev[i].time;
    if (h->ike_start != NONE && (e = first_after(ev, n, MOB_IKE_SA_UP, h->ike_start, h->end)))
        h->ike_up = e->time;
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

/* Fill the milestones and the route optimization and keying times of handoff h. */
static void
find_mobility(struct handoff *h, const struct mob_event *ev, size_t n)
{
    find_milestones(h, ev, n);
    find_route_optimization(h, ev, n);
    find_keying(h, ev, n);
}

/* Load a mobile node's mobility events and split them into handoffs. */
static void
load_node(struct handoff_db *c, uint32_t node)
{
    sqlite3_stmt *st =
        handoff_db_prepare(c, "SELECT time_ns, kind, address, value FROM mobility_event"
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
                fprintf(stderr, "%s: out of memory\n", c->program);
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
            find_mobility(h, ev + start, i - start);
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
home_address(struct handoff_db *c, uint32_t node)
{
    sqlite3_stmt *st = handoff_db_prepare(c, "SELECT dst FROM (SELECT dst FROM packet_event"
                                             " WHERE node = ?1 AND kind = 4 AND protocol = 17"
                                             " AND app_seq IS NOT NULL LIMIT 1000)"
                                             " GROUP BY dst ORDER BY count(*) DESC LIMIT 1");
    sqlite3_bind_int64(st, 1, node);
    int64_t hoa = query_int(c, st);
    sqlite3_finalize(st);
    if (hoa != NONE)
        return hoa;

    st = handoff_db_prepare(
        c, "SELECT hoa FROM packet_event WHERE node = ?1 AND hoa IS NOT NULL LIMIT 1");
    sqlite3_bind_int64(st, 1, node);
    hoa = query_int(c, st);
    sqlite3_finalize(st);
    return hoa;
}

struct queries {
    sqlite3_stmt *data_away;     /* first decap through the new CoA */
    sqlite3_stmt *data_home;     /* first UDP delivery after link up */
    sqlite3_stmt *data_seq;      /* app_seq of the data packet found by data_away/data_home */
    sqlite3_stmt *last_deliv;    /* app_seq of the last UDP delivery before a time */
    sqlite3_stmt *lost;          /* correspondent sends in a sequence range never delivered */
    sqlite3_stmt *stream_source; /* most common source of UDP deliveries to the home address */
    sqlite3_stmt *last_time; /* time of the last UDP delivery to the home address before a time */
    sqlite3_stmt *order;     /* UDP deliveries in a time range, each with a duplicate flag */
    sqlite3_stmt *ro_data;   /* first data packet received with a type 2 routing header */
    sqlite3_stmt *sas_ready; /* last child SA installed before the IKE SA's next exchange */
    sqlite3_stmt *tcp_bytes; /* TCP bytes delivered in a time range */
    sqlite3_stmt *tcp_scan;  /* TCP deliveries in a time range */
};

static void
prepare_queries(struct handoff_db *c, struct queries *q)
{
    /* Data reaches the new care-of address through the home agent's tunnel
     * (decap, kind 8) or, with route optimization, directly with a type 2
     * routing header (receive, kind 2, recorded by the model). */
    q->data_away =
        handoff_db_prepare(c, "SELECT time_ns FROM packet_event"
                              " WHERE node = ?1 AND time_ns > ?2 AND time_ns < ?3 AND dst = ?4"
                              " AND ((kind = 8 AND inner_protocol = 17)"
                              "  OR (kind = 2 AND protocol = 17 AND rh2 IS NOT NULL))"
                              " ORDER BY time_ns LIMIT 1");
    q->data_home =
        handoff_db_prepare(c, "SELECT time_ns FROM packet_event"
                              " WHERE node = ?1 AND kind = 4 AND time_ns > ?2 AND time_ns < ?3"
                              " AND protocol = 17 ORDER BY time_ns LIMIT 1");
    q->data_seq = handoff_db_prepare(c, "SELECT app_seq FROM packet_event"
                                        " WHERE node = ?1 AND time_ns = ?2 AND kind IN (2, 4, 8)"
                                        " AND app_seq IS NOT NULL LIMIT 1");
    q->last_deliv = handoff_db_prepare(c, "SELECT app_seq FROM packet_event"
                                          " WHERE node = ?1 AND kind = 4 AND time_ns < ?2"
                                          " AND protocol = 17 AND app_seq IS NOT NULL"
                                          " ORDER BY time_ns DESC LIMIT 1");
    q->lost = handoff_db_prepare(c, "SELECT count(*) FROM packet_event s"
                                    " WHERE s.node IN (SELECT id FROM node WHERE id <> ?1)"
                                    " AND s.kind = 1 AND s.app_seq > ?2 AND s.app_seq < ?3"
                                    " AND s.protocol = 17 AND s.app_seq IS NOT NULL AND s.dst = ?4"
                                    " AND NOT EXISTS (SELECT 1 FROM packet_event d"
                                    "  WHERE d.node = ?1 AND d.kind = 4 AND d.app_seq IS NOT NULL"
                                    "  AND d.app_seq = s.app_seq AND d.src IS s.src)");

    q->stream_source = handoff_db_prepare(c, "SELECT src FROM (SELECT src FROM packet_event"
                                             " WHERE node = ?1 AND kind = 4 AND protocol = 17"
                                             " AND app_seq IS NOT NULL AND dst = ?2 LIMIT 1000)"
                                             " GROUP BY src ORDER BY count(*) DESC LIMIT 1");
    q->last_time = handoff_db_prepare(c, "SELECT time_ns FROM packet_event"
                                         " WHERE node = ?1 AND kind = 4 AND time_ns < ?2"
                                         " AND protocol = 17 AND app_seq IS NOT NULL AND dst = ?3"
                                         " AND src = ?4 ORDER BY time_ns DESC LIMIT 1");
    q->order = handoff_db_prepare(c, "SELECT d.app_seq, EXISTS (SELECT 1 FROM packet_event e"
                                     "  WHERE e.node = d.node AND e.kind = 4"
                                     "  AND e.app_seq IS NOT NULL AND e.app_seq = d.app_seq"
                                     "  AND e.protocol = 17 AND e.dst = d.dst AND e.src = d.src"
                                     "  AND (e.time_ns < d.time_ns"
                                     "   OR (e.time_ns = d.time_ns AND e.rowid < d.rowid)))"
                                     " FROM packet_event d"
                                     " WHERE d.node = ?1 AND d.kind = 4 AND d.time_ns >= ?2"
                                     " AND d.time_ns < ?3 AND d.protocol = 17"
                                     " AND d.app_seq IS NOT NULL AND d.dst = ?4 AND d.src = ?5"
                                     " ORDER BY d.time_ns, d.rowid");
    /* The model records route-optimized packets at the mobile node as
     * receive (kind 2) with the type 2 routing header; ESP (50) and the
     * Mobility Header (135) are signalling, not data. */
    q->ro_data = handoff_db_prepare(c, "SELECT time_ns FROM packet_event"
                                       " WHERE node = ?1 AND kind = 2 AND time_ns >= ?2"
                                       " AND time_ns < ?3 AND dst = ?4 AND rh2 IS NOT NULL"
                                       " AND protocol NOT IN (50, 135)"
                                       " ORDER BY time_ns LIMIT 1");
    /* The child SAs of a new IKE SA are installed by its IKE_AUTH and the
     * CREATE_CHILD_SA or quick mode exchanges that follow at once.  An
     * INFORMATIONAL or Informational request (the Delete of the old IKE
     * SA), a request from the home agent or a rekey_start ends that
     * series.  The last pair is installed at the same time as the Delete
     * leaves, so an install at that time still counts. */
    if (c->has_sa_event)
        q->sas_ready = handoff_db_prepare(
            c, "SELECT max(time_ns) FROM sa_event WHERE node = ?1 AND event = 1"
               " AND time_ns >= ?2 AND time_ns <= (SELECT coalesce(min(time_ns), ?3 - 1)"
               "  FROM mobility_event WHERE node = ?1 AND time_ns > ?2 AND time_ns < ?3"
               "  AND (kind IN (37, 45) OR (kind = 36 AND value IN (5, 37))))");
    else
        q->sas_ready = NULL;
    q->tcp_bytes = handoff_db_prepare(c, "SELECT coalesce(sum(size), 0) FROM packet_event"
                                         " WHERE node = ?1 AND kind = 4 AND protocol = 6"
                                         " AND time_ns >= ?2 AND time_ns < ?3");
    q->tcp_scan = handoff_db_prepare(c, "SELECT time_ns, size FROM packet_event"
                                        " WHERE node = ?1 AND kind = 4 AND protocol = 6"
                                        " AND time_ns >= ?2 AND time_ns < ?3"
                                        " ORDER BY time_ns, rowid");
}

static void
finalize_queries(struct queries *q)
{
    sqlite3_finalize(q->data_away);
    sqlite3_finalize(q->data_home);
    sqlite3_finalize(q->data_seq);
    sqlite3_finalize(q->last_deliv);
    sqlite3_finalize(q->lost);
    sqlite3_finalize(q->stream_source);
    sqlite3_finalize(q->last_time);
    sqlite3_finalize(q->order);
    sqlite3_finalize(q->ro_data);
    sqlite3_finalize(q->sas_ready);
    sqlite3_finalize(q->tcp_bytes);
    sqlite3_finalize(q->tcp_scan);
}

/* Find the first data packet after the handoff and count the packets lost in it. */
static void
find_data(struct handoff_db *c, struct queries *q, struct handoff *h, int64_t hoa)
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

/* Find the first route-optimized data packet at the new care-of address. */
static void
find_ro_data(struct handoff_db *c, struct queries *q, struct handoff *h)
{
    if (h->coa == NONE)
        return;
    sqlite3_bind_int64(q->ro_data, 1, h->node);
    sqlite3_bind_int64(q->ro_data, 2, h->t[M_DOWN]);
    sqlite3_bind_int64(q->ro_data, 3, h->end);
    sqlite3_bind_int64(q->ro_data, 4, h->coa);
    h->ro_data = query_int(c, q->ro_data);
}

/*
 * Count duplicated and reordered UDP datagrams of the stream from source
 * to the home address (handoffs.h gives the window).  The last delivery before the link went down
 * only sets the highest sequence number so far.  A delivery of an app_seq that was delivered
 * before, at any time, is a duplicate.  Any other delivery whose app_seq is below the highest one
 * delivered before it in the window counts as reordered.
 */
static void
find_order(struct handoff_db *c, struct queries *q, struct handoff *h, int64_t hoa, int64_t source)
{
    if (h->t[M_DATA] == NONE || hoa == NONE || source == NONE)
        return;
    int64_t tail = h->ro_data > h->t[M_DATA] ? h->ro_data : h->t[M_DATA];
    int64_t to = tail < h->end - HANDOFF_ORDER_TAIL_NS ? tail + HANDOFF_ORDER_TAIL_NS : h->end;

    sqlite3_bind_int64(q->last_time, 1, h->node);
    sqlite3_bind_int64(q->last_time, 2, h->t[M_DOWN]);
    sqlite3_bind_int64(q->last_time, 3, hoa);
    sqlite3_bind_int64(q->last_time, 4, source);
    int64_t from = query_int(c, q->last_time);
    bool reference = from != NONE;
    if (!reference)
        from = h->t[M_DOWN];

    sqlite3_bind_int64(q->order, 1, h->node);
    sqlite3_bind_int64(q->order, 2, from);
    sqlite3_bind_int64(q->order, 3, to);
    sqlite3_bind_int64(q->order, 4, hoa);
    sqlite3_bind_int64(q->order, 5, source);
    int64_t highest = INT64_MIN, duplicates = 0, reordered = 0;
    int rc;
    while ((rc = sqlite3_step(q->order)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(q->order, 0);
        bool duplicate = sqlite3_column_int(q->order, 1) != 0;
        if (reference)
            reference = false;
        else if (duplicate)
            duplicates++;
        else if (seq < highest)
            reordered++;
        if (seq > highest)
            highest = seq;
    }
    if (rc != SQLITE_DONE)
        fail(c, "reading UDP deliveries");
    sqlite3_reset(q->order);
    h->duplicates = duplicates;
    h->reordered = reordered;
}

/* Find when the child SAs of the IKE SA set up in the handoff were all installed. */
static void
find_sas_ready(struct handoff_db *c, struct queries *q, struct handoff *h)
{
    if (h->ike_up == NONE || !q->sas_ready)
        return;
    sqlite3_bind_int64(q->sas_ready, 1, h->node);
    sqlite3_bind_int64(q->sas_ready, 2, h->ike_up);
    sqlite3_bind_int64(q->sas_ready, 3, h->end);
    h->sas_ready = query_int(c, q->sas_ready);
}

/*
 * Find the TCP recovery time and store t - BA in h->tcp_recovery, or leave
 * it HANDOFF_NONE.  t is the first time at or after the BA, and before the
 * next link down, at which the TCP bytes delivered at the mobile node in
 * (t - W, t] reach the fraction F of those delivered in the W before the
 * link went down.  Only bytes after the link went down count in the window.
 */
static void
find_tcp_recovery(struct handoff_db *c, struct queries *q, struct handoff *h)
{
    if (!c->tcp_stream || h->t[M_BA] == NONE || h->status >= BA_STATUS_REJECTED)
        return;
    int64_t window = c->tcp_window_ns > 0 ? c->tcp_window_ns : HANDOFF_TCP_WINDOW_NS;
    double fraction = c->tcp_fraction > 0 ? c->tcp_fraction : HANDOFF_TCP_FRACTION;
    int64_t down = h->t[M_DOWN];

    sqlite3_bind_int64(q->tcp_bytes, 1, h->node);
    sqlite3_bind_int64(q->tcp_bytes, 2, down - window);
    sqlite3_bind_int64(q->tcp_bytes, 3, down);
    int64_t before = query_int(c, q->tcp_bytes);
    if (before == NONE || before <= 0)
        return;
    double target = fraction * (double)before;

    /* Two passes over the same rows: the outer one adds each delivery at
     * time t, the inner one drops the deliveries at or before t - W. */
    sqlite3_stmt *tail = NULL;
    if (sqlite3_prepare_v2(c->db, sqlite3_sql(q->tcp_scan), -1, &tail, NULL) != SQLITE_OK)
        fail(c, "preparing a query");
    sqlite3_stmt *both[] = {q->tcp_scan, tail};
    for (int k = 0; k < 2; k++) {
        sqlite3_bind_int64(both[k], 1, h->node);
        sqlite3_bind_int64(both[k], 2, down);
        sqlite3_bind_int64(both[k], 3, h->end);
    }
    int64_t in_window = 0;
    int rc, rc_tail = SQLITE_ROW;
    bool tail_row = false;
    while ((rc = sqlite3_step(q->tcp_scan)) == SQLITE_ROW) {
        int64_t t = sqlite3_column_int64(q->tcp_scan, 0);
        in_window += sqlite3_column_int64(q->tcp_scan, 1);
        for (;;) {
            if (!tail_row) {
                rc_tail = sqlite3_step(tail);
                tail_row = rc_tail == SQLITE_ROW;
                if (!tail_row)
                    break;
            }
            if (sqlite3_column_int64(tail, 0) > t - window)
                break;
            in_window -= sqlite3_column_int64(tail, 1);
            tail_row = false;
        }
        if (t >= h->t[M_BA] && (double)in_window >= target) {
            h->tcp_recovery = t - h->t[M_BA];
            break;
        }
    }
    if ((rc != SQLITE_ROW && rc != SQLITE_DONE) ||
        (rc_tail != SQLITE_ROW && rc_tail != SQLITE_DONE))
        fail(c, "reading TCP deliveries");
    sqlite3_reset(q->tcp_scan);
    sqlite3_finalize(tail);
}

/* Decide whether the handoff counts in the statistics, and store the reason when not. */
static void
judge(const struct handoff_db *c, struct handoff *h)
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

/* The run streams no UDP when its --traffic parameter leaves out udp.  Runs
 * without the parameter (older databases, other scenarios) stream UDP. */
void
handoff_db_read_traffic(struct handoff_db *c)
{
    sqlite3_stmt *st = handoff_db_prepare(c, "SELECT value FROM param WHERE name = 'traffic'");
    bool without = false, tcp = false;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
        without = !strstr((const char *)sqlite3_column_text(st, 0), "udp");
        tcp = strstr((const char *)sqlite3_column_text(st, 0), "tcp") != NULL;
    }
    sqlite3_finalize(st);
    c->no_udp_stream = without;
    c->tcp_stream = tcp;
}

size_t
handoff_db_extract(struct handoff_db *c)
{
    /* Kinds that only a mobile node records: 1-6 and 12-14 of enum rec_mob. */
    sqlite3_stmt *st =
        handoff_db_prepare(c, "SELECT DISTINCT node FROM mobility_event"
                              " WHERE kind IN (1, 2, 3, 4, 5, 6, 12, 13, 14) ORDER BY node");
    uint32_t *nodes = NULL;
    size_t n_nodes = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n_nodes == cap) {
            cap = cap ? cap * 2 : 16;
            nodes = realloc(nodes, cap * sizeof *nodes);
            if (!nodes) {
                fprintf(stderr, "%s: out of memory\n", c->program);
                exit(EXIT_UNUSABLE);
            }
        }
        nodes[n_nodes++] = (uint32_t)sqlite3_column_int64(st, 0);
    }
    if (rc != SQLITE_DONE)
        fail(c, "finding mobile nodes");
    sqlite3_finalize(st);

    /* Version 1 databases have no sa_event table. */
    st = handoff_db_prepare(c, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                               " AND name = 'sa_event'");
    c->has_sa_event = query_int(c, st) > 0;
    sqlite3_finalize(st);

    struct queries q;
    prepare_queries(c, &q);
    for (size_t i = 0; i < n_nodes; i++) {
        size_t first = c->count;
        load_node(c, nodes[i]);
        int64_t hoa = home_address(c, nodes[i]);
        sqlite3_bind_int64(q.stream_source, 1, nodes[i]);
        sqlite3_bind_int64(q.stream_source, 2, hoa);
        int64_t source = hoa == NONE ? NONE : query_int(c, q.stream_source);
        for (size_t k = first; k < c->count; k++) {
            struct handoff *h = &c->handoffs[k];
            find_data(c, &q, h, hoa);
            find_ro_data(c, &q, h);
            find_order(c, &q, h, hoa, source);
            find_sas_ready(c, &q, h);
            find_tcp_recovery(c, &q, h);
            judge(c, h);
        }
    }
    finalize_queries(&q);
    free(nodes);
    return n_nodes;
}

void
handoff_db_close(struct handoff_db *c)
{
    free(c->handoffs);
    c->handoffs = NULL;
    c->count = c->cap = 0;
    sqlite3_close(c->db);
    c->db = NULL;
}

int64_t
handoff_latency(const struct handoff *h)
{
    if (h->t[M_DATA] == NONE)
        return NONE;
    return h->t[M_DATA] - h->t[M_DOWN];
}

/* Milestone m, or the first data when that came earlier. */
static int64_t
clipped_milestone(const struct handoff *h, int m)
{
    int64_t t = h->t[m];
    if (t != NONE && h->t[M_DATA] != NONE && t > h->t[M_DATA])
        return h->t[M_DATA];
    return t;
}

int64_t
handoff_component(const struct handoff *h, int m)
{
    return handoff_interval(clipped_milestone(h, m - 1), clipped_milestone(h, m));
}

int64_t
handoff_interval(int64_t a, int64_t b)
{
    if (a == NONE || b == NONE)
        return NONE;
    return b - a;
}

/* Text of an address id, or "-"; the result lives until the next call. */
const char *
handoff_db_address_text(struct handoff_db *c, int64_t id)
{
    static char text[64];
    snprintf(text, sizeof text, "-");
    if (id == NONE)
        return text;
    sqlite3_stmt *st = handoff_db_prepare(c, "SELECT text FROM address WHERE id = ?");
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(text, sizeof text, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return text;
}

const char *
handoff_db_node_name(struct handoff_db *c, uint32_t node)
{
    static char name[64];
    name[0] = '\0';
    sqlite3_stmt *st = handoff_db_prepare(c, "SELECT name FROM node WHERE id = ?");
    sqlite3_bind_int64(st, 1, node);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(name, sizeof name, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return name;
}
