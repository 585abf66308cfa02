/*
 * rec_writer.c - the recorder's writer thread (see rec_writer.h): it binds
 * the queued rows and inserts them in order.
 *
 * Each address gets its id here, in the order the rows arrive, so the ids
 * do not depend on thread timing.  The first row that names an address, a
 * header chain or a node inserts its lookup row in the same transaction,
 * so a committed event never refers to a missing row.  Rows go into a
 * transaction that commits every REC_BATCH_ROWS rows and after each chunk
 * flagged CHUNK_COMMIT.
 */
#define _POSIX_C_SOURCE 200809L

#include "rec_writer.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec_schema.h"

/* Node ids above this are recorded but not added to the node table automatically. */
#define NODE_AUTO_MAX (1u << 20)

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

/* ---------------------------------------------------------------- errors */

/* Print an SQLite error naming the database; after REC_REPORT_MAX errors only count them. */
static void
report(struct rec *r, const char *what)
{
    r->errors++;
    if (r->errors <= REC_REPORT_MAX)
        fprintf(stderr, "mip6sec recorder: %s: %s failed: %s (SQLite error %d)\n", r->path, what,
                sqlite3_errmsg(r->db), sqlite3_extended_errcode(r->db));
    if (r->errors == REC_REPORT_MAX)
        fprintf(stderr, "mip6sec recorder: %s: further errors are counted, not printed\n", r->path);
}

/* -------------------------------------------------------------- interning */

uint64_t
rec_mix(uint64_t hi, uint64_t lo)
{
    uint64_t h = hi * 0x9e3779b97f4a7c15u ^ lo * 0xc2b2ae3d27d4eb4fu;
    return h ^ h >> 29;
}

static bool
intern_grow(struct rec_intern *t)
{
    size_t cap = t->cap ? t->cap * 2 : 256;
    struct rec_slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < t->cap; i++) {
        if (t->slots[i].id == 0)
            continue;
        size_t j = rec_mix(t->slots[i].hi, t->slots[i].lo) & (cap - 1);
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
static struct rec_slot *
intern_find(struct rec_intern *t, uint64_t hi, uint64_t lo)
{
    if ((t->used + 1) * 2 > t->cap && !intern_grow(t))
        return NULL;
    size_t j = rec_mix(hi, lo) & (t->cap - 1);
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
intern_clear(struct rec_intern *t)
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

/* Grow a byte array indexed by id so that index i fits; new entries are 0. */
static bool
reserve_flags(uint8_t **flags, size_t *cap, size_t i)
{
    if (i < *cap)
        return true;
    size_t n = *cap ? *cap : 64;
    while (n <= i)
        n *= 2;
    uint8_t *grown = realloc(*flags, n);
    if (!grown)
        return false;
    memset(grown + *cap, 0, n - *cap);
    *flags = grown;
    *cap = n;
    return true;
}

/* ------------------------------------------------------------ statements */

bool
rec_writer_prepare(struct rec *r)
{
    bool ok = true;
    for (int i = 0; ok && i < ST_COUNT; i++)
        ok = sqlite3_prepare_v3(r->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &r->stmt[i],
                                NULL) == SQLITE_OK;
    return ok;
}

/* Step a prepared statement once and reset it; reports and returns false on error. */
static bool
step(struct rec *r, enum rec_stmt_id id, const char *what)
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
 * gone, and so are the address, chain and node rows it inserted, so the
 * record of which lookup rows exist is rebuilt from what was committed.
 * Address ids stay as they are: an address whose row was rolled back gets
 * it again, with the same id, from the next row that names it.
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

/*
 * Return the address table id of a 16-byte address.  A new address takes
 * the next id, and its row is inserted when no committed or pending row
 * has it.  Returns 0 when the address has no row (the insert failed).
 */
static int64_t
address_id(struct rec *r, const uint8_t addr[16])
{
    uint64_t hi = load_be64(addr), lo = load_be64(addr + 8);
    struct rec_slot *s = intern_find(&r->addrs, hi, lo);
    if (!s)
        return 0;
    if (s->id == 0) {
        if (!reserve_flags(&r->addr_written, &r->addr_cap, (size_t)r->addrs.next_id))
            return 0; /* the slot keeps id 0, so it still reads as empty */
        s->id = r->addrs.next_id++;
        r->addrs.used++;
    }
    int64_t id = s->id;
    if (r->addr_written[id])
        return id;

    char text[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, addr, text, sizeof text);
    sqlite3_bind_int64(r->stmt[ST_ADDRESS], 1, id);
    sqlite3_bind_text(r->stmt[ST_ADDRESS], 2, text, -1, SQLITE_TRANSIENT);
    if (!step(r, ST_ADDRESS, "inserting an address")) {
        check_rollback(r);
        return 0;
    }
    r->addr_written[id] = 1;
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
    struct rec_slot *s = intern_find(&r->chains, chain, 0);
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
    if (node >= NODE_AUTO_MAX || !reserve_flags(&r->node_seen, &r->node_cap, node))
        return;
    sqlite3_bind_int64(r->stmt[ST_NODE_SEEN], 1, node);
    if (step(r, ST_NODE_SEEN, "inserting a node"))
        r->node_seen[node] = 1;
    else
        check_rollback(r);
}

/* Rebuild the record of which address, chain and node rows exist from the committed rows. */
static bool
reload_lookups(struct rec *r)
{
    intern_clear(&r->chains);
    if (r->addr_written)
        memset(r->addr_written, 0, r->addr_cap);
    if (r->node_seen)
        memset(r->node_seen, 0, r->node_cap);

    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(r->db, "SELECT id FROM address", -1, &st, NULL) == SQLITE_OK;
    while (ok && sqlite3_step(st) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        if (id > 0 && (uint64_t)id < r->addr_cap)
            r->addr_written[id] = 1;
    }
    sqlite3_finalize(st);
    if (!ok)
        report(r, "reloading the address table");
    return ok;
}

/* ------------------------------------------------------------------ rows */

static void
bind_text_or_null(sqlite3_stmt *st, int col, const char *text)
{
    if (text)
        sqlite3_bind_text(st, col, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, col);
}

static inline void
bind_opt(sqlite3_stmt *st, int col, bool present, int64_t value)
{
    if (present)
        sqlite3_bind_int64(st, col, value);
    else
        sqlite3_bind_null(st, col);
}

/* Bind an address id, where 0 (absent or without a row) becomes NULL. */
static inline void
bind_addr(sqlite3_stmt *st, int col, int64_t id)
{
    bind_opt(st, col, id != 0, id);
}

static void
insert_param(struct rec *r, const struct rec_row *row)
{
    sqlite3_stmt *st = r->stmt[ST_PARAM];
    sqlite3_bind_text(st, 1, row->u.param.name, -1, SQLITE_STATIC);
    bind_text_or_null(st, 2, row->u.param.value);
    count_row(r, step(r, ST_PARAM, "inserting a parameter"));
    sqlite3_clear_bindings(st);
}

static void
insert_run_begin(struct rec *r, const struct rec_row *row)
{
    sqlite3_stmt *st = r->stmt[ST_RUN_BEGIN];
    sqlite3_bind_int64(st, 1, (int64_t)row->u.begin.seed);
    sqlite3_bind_int64(st, 2, (int64_t)row->u.begin.run);
    bind_text_or_null(st, 3, row->u.begin.ns3_version);
    bind_text_or_null(st, 4, row->u.begin.project_version);
    count_row(r, step(r, ST_RUN_BEGIN, "writing the run row"));
    sqlite3_clear_bindings(st);
    commit(r);
}

static void
insert_node(struct rec *r, const struct rec_row *row)
{
    uint32_t node = row->u.node.node;
    sqlite3_stmt *st = r->stmt[ST_NODE_NAME];
    sqlite3_bind_int64(st, 1, node);
    bind_text_or_null(st, 2, row->u.node.name);
    bool ok = step(r, ST_NODE_NAME, "naming a node");
    sqlite3_clear_bindings(st);
    if (ok && node < r->node_cap)
        r->node_seen[node] = 1;
    count_row(r, ok);
}

static void
insert_packet(struct rec *r, const struct rec_row *row)
{
    const struct pktinfo *pi = &row->u.packet.info;
    unsigned long rollbacks = r->rollbacks;
    note_node(r, row->u.packet.node);

    uint32_t f = pi->flags;
    bool ipv6 = f & PKTINFO_IPV6;
    bool inner = f & PKTINFO_INNER;
    int64_t src = ipv6 ? address_id(r, pi->src) : 0;
    int64_t dst = ipv6 ? address_id(r, pi->dst) : 0;
    int64_t hoa = (f & PKTINFO_HOA) ? address_id(r, pi->hoa) : 0;
    int64_t rh2 = (f & PKTINFO_RH2) ? address_id(r, pi->rh2) : 0;
    int64_t inner_src = inner ? address_id(r, pi->inner_src) : 0;
    int64_t inner_dst = inner ? address_id(r, pi->inner_dst) : 0;
    bool partial = (f & (PKTINFO_TRUNCATED | PKTINFO_BAD_VERSION | PKTINFO_CHAIN_CUT)) || !ipv6;
    if (r->rollbacks != rollbacks) {
        /* An address row inserted before the rollback is gone again. */
        r->rows_lost++;
        return;
    }

    sqlite3_stmt *st = r->stmt[ST_PACKET];
    sqlite3_bind_int64(st, 1, (int64_t)row->u.packet.time_ns);
    sqlite3_bind_int64(st, 2, row->u.packet.node);
    sqlite3_bind_int64(st, 3, row->u.packet.ifindex);
    sqlite3_bind_int(st, 4, (int)row->u.packet.kind);
    sqlite3_bind_int64(st, 5, (int64_t)row->u.packet.uid);
    bind_opt(st, 6, row->u.packet.parent_uid != 0, (int64_t)row->u.packet.parent_uid);
    bind_addr(st, 7, src);
    bind_addr(st, 8, dst);
    bind_opt(st, 9, ipv6, pi->protocol);
    bind_opt(st, 10, pi->chain != 0, pi->chain ? chain_id(r, pi->chain) : 0);
    bind_opt(st, 11, f & PKTINFO_MH, pi->mh_type);
    bind_opt(st, 12, f & PKTINFO_ICMP, pi->icmp_type);
    bind_opt(st, 13, f & PKTINFO_ESP, pi->spi);
    bind_opt(st, 14, f & PKTINFO_ESP, pi->esp_seq);
    bind_addr(st, 15, hoa);
    bind_addr(st, 16, rh2);
    bind_addr(st, 17, inner_src);
    bind_addr(st, 18, inner_dst);
    bind_opt(st, 19, inner, pi->inner_protocol);
    bind_opt(st, 20, f & PKTINFO_APP_SEQ, pi->app_seq);
    sqlite3_bind_int64(st, 21, (int64_t)row->u.packet.wire_len);
    bind_opt(st, 22, row->u.packet.drop != REC_DROP_NONE, (int64_t)row->u.packet.drop);
    sqlite3_bind_int(st, 23, partial);
    count_row(r, step(r, ST_PACKET, "inserting a packet event"));
}

static void
insert_mobility(struct rec *r, const struct rec_row *row)
{
    unsigned long rollbacks = r->rollbacks;
    note_node(r, row->u.mobility.node);
    int64_t address = row->u.mobility.has_addr ? address_id(r, row->u.mobility.addr) : 0;
    if (r->rollbacks != rollbacks) {
        r->rows_lost++;
        return;
    }

    sqlite3_stmt *st = r->stmt[ST_MOBILITY];
    sqlite3_bind_int64(st, 1, (int64_t)row->u.mobility.time_ns);
    sqlite3_bind_int64(st, 2, row->u.mobility.node);
    sqlite3_bind_int64(st, 3, row->u.mobility.ifindex);
    sqlite3_bind_int(st, 4, (int)row->u.mobility.kind);
    bind_addr(st, 5, address);
    sqlite3_bind_int64(st, 6, row->u.mobility.value);
    sqlite3_bind_int64(st, 7, row->u.mobility.value2);
    count_row(r, step(r, ST_MOBILITY, "inserting a mobility event"));
}

static void
insert_sa(struct rec *r, const struct rec_row *row)
{
    unsigned long rollbacks = r->rollbacks;
    note_node(r, row->u.sa.node);
    int64_t peer = row->u.sa.has_peer ? address_id(r, row->u.sa.peer) : 0;
    if (r->rollbacks != rollbacks) {
        r->rows_lost++;
        return;
    }

    sqlite3_stmt *st = r->stmt[ST_SA];
    sqlite3_bind_int64(st, 1, (int64_t)row->u.sa.time_ns);
    sqlite3_bind_int64(st, 2, row->u.sa.node);
    sqlite3_bind_int(st, 3, (int)row->u.sa.event);
    sqlite3_bind_int64(st, 4, row->u.sa.spi);
    sqlite3_bind_text(st, 5, row->u.sa.inbound ? "in" : "out", -1, SQLITE_STATIC);
    bind_text_or_null(st, 6, row->u.sa.name);
    bind_text_or_null(st, 7, row->u.sa.keying);
    bind_addr(st, 8, peer);
    sqlite3_bind_int64(st, 9, (int64_t)row->u.sa.packets);
    sqlite3_bind_int64(st, 10, (int64_t)row->u.sa.bytes);
    count_row(r, step(r, ST_SA, "inserting an SA event"));
    sqlite3_clear_bindings(st);
}

static void
free_row_text(struct rec_row *row)
{
    switch (row->type) {
    case ROW_SA:
        free(row->u.sa.name);
        free(row->u.sa.keying);
        break;
    case ROW_PARAM:
        free(row->u.param.name);
        free(row->u.param.value);
        break;
    case ROW_NODE:
        free(row->u.node.name);
        break;
    case ROW_RUN_BEGIN:
        free(row->u.begin.ns3_version);
        free(row->u.begin.project_version);
        break;
    case ROW_PACKET:
    case ROW_MOBILITY:
        break;
    }
}

/* Insert one queued row; a row that finds no transaction open is counted as lost. */
static void
insert_row(struct rec *r, struct rec_row *row)
{
    if (!open_batch(r)) {
        r->rows_lost++;
        free_row_text(row);
        return;
    }

    switch (row->type) {
    case ROW_PACKET:
        insert_packet(r, row);
        break;
    case ROW_MOBILITY:
        insert_mobility(r, row);
        break;
    case ROW_SA:
        insert_sa(r, row);
        break;
    case ROW_PARAM:
        insert_param(r, row);
        break;
    case ROW_NODE:
        insert_node(r, row);
        break;
    case ROW_RUN_BEGIN:
        insert_run_begin(r, row);
        break;
    }
    free_row_text(row);
}

/* ---------------------------------------------------------------- thread */

void *
rec_writer_run(void *arg)
{
    struct rec *r = arg;
    bool stop = false;

    while (!stop) {
        pthread_mutex_lock(&r->lock);
        while (r->done == r->published)
            pthread_cond_wait(&r->work, &r->lock);
        struct rec_chunk *c = &r->chunks[r->done % REC_QUEUE_CHUNKS];
        pthread_mutex_unlock(&r->lock);

        for (unsigned i = 0; i < c->count; i++)
            insert_row(r, &c->rows[i]);
        if (c->flags & CHUNK_COMMIT)
            commit(r);
        stop = c->flags & CHUNK_STOP;

        /* From here on the caller may refill the chunk. */
        pthread_mutex_lock(&r->lock);
        r->done++;
        pthread_cond_signal(&r->space);
        pthread_mutex_unlock(&r->lock);
    }
    return NULL;
}

void
rec_writer_finish(struct rec *r, const char *status, const char *wall_end)
{
    commit(r);
    if (sqlite3_exec(r->db, rec_analysis_index_sql, NULL, NULL, NULL) != SQLITE_OK)
        report(r, "creating the analysis indexes");

    sqlite3_stmt *st = r->stmt[ST_RUN_END];
    sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, wall_end, -1, SQLITE_STATIC);
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
}

void
rec_writer_free(struct rec *r)
{
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(r->stmt[i]);
    sqlite3_close(r->db);
    r->db = NULL;
    free(r->addrs.slots);
    free(r->chains.slots);
    free(r->addr_written);
    free(r->node_seen);
}
