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
#define REC_SCHEMA_VERSION 1

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

/* ---------------------------------------------------------------- schema */

static const char schema_sql[] =
    "CREATE TABLE run ("
    " run_id TEXT PRIMARY KEY,"
    " seed INTEGER,"
    " run_number INTEGER,"
    " ns3_version TEXT,"
    " project_version TEXT,"
    " wall_start TEXT NOT NULL,"
    " wall_end TEXT,"
    " status TEXT NOT NULL"
    "  CHECK (status IN ('running', 'complete', 'interrupted', 'failed')),"
    " events_lost INTEGER);"
    "CREATE TABLE param (name TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE node (id INTEGER PRIMARY KEY, name TEXT);"
    "CREATE TABLE event_kind (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " description TEXT NOT NULL);"
    "CREATE TABLE drop_reason (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " description TEXT NOT NULL);"
    "CREATE TABLE mobility_kind (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " description TEXT NOT NULL);"
    "CREATE TABLE address (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);"
    "CREATE TABLE chain (id INTEGER PRIMARY KEY, text TEXT NOT NULL);"
    "CREATE TABLE packet_event ("
    " time_ns INTEGER NOT NULL,"
    " node INTEGER NOT NULL,"
    " iface INTEGER NOT NULL,"
    " kind INTEGER NOT NULL,"
    " uid INTEGER NOT NULL,"
    " parent_uid INTEGER,"
    " src INTEGER,"
    " dst INTEGER,"
    " protocol INTEGER,"
    " chain INTEGER,"
    " mh_type INTEGER,"
    " icmp_type INTEGER,"
    " spi INTEGER,"
    " esp_seq INTEGER,"
    " hoa INTEGER,"
    " rh2 INTEGER,"
    " inner_src INTEGER,"
    " inner_dst INTEGER,"
    " inner_protocol INTEGER,"
    " app_seq INTEGER,"
    " size INTEGER NOT NULL,"
    " drop_reason INTEGER,"
    " partial INTEGER NOT NULL);"
    "CREATE TABLE mobility_event ("
    " time_ns INTEGER NOT NULL,"
    " node INTEGER NOT NULL,"
    " iface INTEGER NOT NULL,"
    " kind INTEGER NOT NULL,"
    " address INTEGER,"
    " value INTEGER NOT NULL,"
    " value2 INTEGER NOT NULL);"
    "CREATE INDEX mobility_event_node_time ON mobility_event(node, time_ns);"
    "CREATE VIEW packet_events_v AS SELECT"
    " e.time_ns, e.time_ns / 1e9 AS time_s, e.node, n.name AS node_name, e.iface,"
    " k.name AS kind, e.uid, e.parent_uid, s.text AS src, d.text AS dst, e.protocol,"
    " c.text AS chain, e.mh_type, e.icmp_type, e.spi, e.esp_seq, h.text AS hoa,"
    " r2.text AS rh2, isrc.text AS inner_src, idst.text AS inner_dst, e.inner_protocol,"
    " e.app_seq, e.size, dr.name AS drop_reason, e.partial"
    " FROM packet_event e"
    " LEFT JOIN node n ON n.id = e.node"
    " LEFT JOIN event_kind k ON k.id = e.kind"
    " LEFT JOIN address s ON s.id = e.src"
    " LEFT JOIN address d ON d.id = e.dst"
    " LEFT JOIN chain c ON c.id = e.chain"
    " LEFT JOIN address h ON h.id = e.hoa"
    " LEFT JOIN address r2 ON r2.id = e.rh2"
    " LEFT JOIN address isrc ON isrc.id = e.inner_src"
    " LEFT JOIN address idst ON idst.id = e.inner_dst"
    " LEFT JOIN drop_reason dr ON dr.id = e.drop_reason;"
    "CREATE VIEW mobility_events_v AS SELECT"
    " m.time_ns, m.time_ns / 1e9 AS time_s, m.node, n.name AS node_name, m.iface,"
    " k.name AS kind, a.text AS address, m.value, m.value2"
    " FROM mobility_event m"
    " LEFT JOIN node n ON n.id = m.node"
    " LEFT JOIN mobility_kind k ON k.id = m.kind"
    " LEFT JOIN address a ON a.id = m.address;";

/*
 * Indexes for the analysis, built by rec_close.  Maintained row by row,
 * the first halves the insert rate and the second costs about 10% (raw
 * SQLite 3.40 inserts, 2 cores).  Built once at the end, they take about
 * 0.6 s per million events (bench/rec_bench.c).  mip6sec-analysis builds them when a killed
 * run left them out.
 */
static const char analysis_index_sql[] =
    "CREATE INDEX IF NOT EXISTS packet_event_node_kind_time"
    " ON packet_event(node, kind, time_ns);"
    "CREATE INDEX IF NOT EXISTS packet_event_delivered ON packet_event(node, app_seq)"
    " WHERE kind = 4 AND app_seq IS NOT NULL;";

struct label {
    const char *name;
    const char *description;
};

/*
 * The switches have no default case, so -Wswitch warns here when an
 * enumerator is added to rec.h without a name for the lookup table.
 */
static struct label
kind_label(enum rec_kind kind)
{
    switch (kind) {
    case REC_SEND:
        return (struct label){"send", "the IPv6 layer sends a packet the node originated"};
    case REC_RECEIVE:
        return (struct label){"receive", "a packet arrives at an interface"};
    case REC_FORWARD:
        return (struct label){"forward", "a router forwards a packet"};
    case REC_DELIVER:
        return (struct label){"deliver", "a packet is handed to a local upper layer"};
    case REC_DROP:
        return (struct label){"drop", "a packet is discarded; drop_reason says why"};
    case REC_TX:
        return (struct label){"tx", "a packet leaves an interface"};
    case REC_ENCAP:
        return (struct label){"encap", "the packet was put into an IPv6-in-IPv6 tunnel"};
    case REC_DECAP:
        return (struct label){"decap", "the packet was taken out of an IPv6-in-IPv6 tunnel"};
    case REC_ESP_PROTECT:
        return (struct label){"esp_protect", "ESP applied on output"};
    case REC_ESP_VERIFY:
        return (struct label){"esp_verify", "ESP integrity check passed, payload decrypted"};
    }
    return (struct label){NULL, NULL};
}

static struct label
drop_label(enum rec_drop drop)
{
    switch (drop) {
    case REC_DROP_NONE:
        return (struct label){"none", "not dropped"};
    case REC_DROP_NS3_TTL_EXPIRED:
        return (struct label){"ns3_ttl_expired", "ns-3 Ipv6L3Protocol: hop limit expired"};
    case REC_DROP_NS3_NO_ROUTE:
        return (struct label){"ns3_no_route", "ns-3 Ipv6L3Protocol: no route"};
    case REC_DROP_NS3_INTERFACE_DOWN:
        return (struct label){"ns3_interface_down", "ns-3 Ipv6L3Protocol: interface down"};
    case REC_DROP_NS3_ROUTE_ERROR:
        return (struct label){"ns3_route_error", "ns-3 Ipv6L3Protocol: route error"};
    case REC_DROP_NS3_UNKNOWN_PROTOCOL:
        return (struct label){"ns3_unknown_protocol", "ns-3 Ipv6L3Protocol: unknown protocol"};
    case REC_DROP_NS3_UNKNOWN_OPTION:
        return (struct label){"ns3_unknown_option", "ns-3 Ipv6L3Protocol: unknown option"};
    case REC_DROP_NS3_MALFORMED:
        return (struct label){"ns3_malformed", "ns-3 Ipv6L3Protocol: malformed header"};
    case REC_DROP_NS3_FRAGMENT_TIMEOUT:
        return (struct label){"ns3_fragment_timeout", "ns-3 Ipv6L3Protocol: reassembly timeout"};
    case REC_DROP_MALFORMED:
        return (struct label){"malformed", "a header failed to parse"};
    case REC_DROP_ESP_NO_SA:
        return (struct label){"esp_no_sa", "no inbound SA with that SPI"};
    case REC_DROP_ESP_ICV:
        return (struct label){"esp_icv", "ESP integrity check failed"};
    case REC_DROP_ESP_PADDING:
        return (struct label){"esp_padding", "ESP padding or trailer invalid after decryption"};
    case REC_DROP_POLICY:
        return (struct label){"policy", "selectors of the SA or SPD entry do not match"};
    case REC_DROP_CLEAR_TEXT:
        return (struct label){"clear_text", "policy requires protection but the packet was clear"};
    case REC_DROP_MH_CHECKSUM:
        return (struct label){"mh_checksum", "Mobility Header checksum wrong"};
    case REC_DROP_MH_INVALID:
        return (struct label){"mh_invalid", "Mobility Header fields violate RFC 6275"};
    case REC_DROP_NO_BINDING:
        return (struct label){"no_binding", "no binding for the home address"};
    case REC_DROP_TUNNEL_SOURCE:
        return (struct label){"tunnel_source", "tunnel packet from an unexpected outer source"};
    case REC_DROP_BA_UNEXPECTED:
        return (struct label){"ba_unexpected", "BA matches no outstanding BU"};
    case REC_DROP_RH2_INVALID:
        return (struct label){"rh2_invalid", "type 2 routing header checks failed"};
    case REC_DROP_HAO_INVALID:
        return (struct label){"hao_invalid", "Home Address option checks failed"};
    case REC_DROP_SEND_FAILED:
        return (struct label){"send_failed", "the simulator could not send (no route)"};
    case REC_DROP_SEQ_OUT_OF_WINDOW:
        return (struct label){"seq_out_of_window", "BU sequence number not newer than binding's"};
    case REC_DROP_NOT_TUNNELLED:
        return (struct label){"not_tunnelled", "routed into the tunnel but not eligible"};
    case REC_DROP_NOT_AWAY:
        return (struct label){"not_away", "tunnel packet while the mobile node has no CoA"};
    case REC_DROP_RR_NONCE_EXPIRED:
        return (struct label){"rr_nonce_expired", "BU nonce index no longer valid"};
    case REC_DROP_RR_AUTH_FAILED:
        return (struct label){"rr_auth_failed", "BU Binding Authorization Data wrong"};
    case REC_DROP_CRYPTO_FAILED:
        return (struct label){"crypto_failed", "OpenSSL failed to compute a token or MAC"};
    case REC_DROP_ESP_TUNNEL_OUTER:
        return (struct label){"esp_tunnel_outer", "outer header does not fit the tunnel-mode SA"};
    case REC_DROP_ESP_NEXT_HEADER:
        return (struct label){"esp_next_header", "ESP payload of a tunnel-mode SA is not IPv6"};
    case REC_DROP_MPA_UNEXPECTED:
        return (struct label){"mpa_unexpected", "MPA not from the home agent, without a type 2 "
                                                "routing header or matching no MPS"};
    }
    return (struct label){NULL, NULL};
}

static struct label
mob_label(enum rec_mob mob)
{
    switch (mob) {
    case REC_MOB_LINK_DOWN:
        return (struct label){"link_down", "layer-2 link lost"};
    case REC_MOB_LINK_UP:
        return (struct label){"link_up", "layer-2 link attached to a new access network"};
    case REC_MOB_MOVEMENT:
        return (struct label){"movement", "router advertisement with a new prefix"};
    case REC_MOB_COA_READY:
        return (struct label){"coa_ready", "care-of address usable; address = CoA"};
    case REC_MOB_BU_SENT:
        return (struct label){"bu_sent", "value = BU sequence number"};
    case REC_MOB_BA_RECEIVED:
        return (struct label){"ba_received", "value = status, value2 = sequence number"};
    case REC_MOB_BU_RECEIVED:
        return (struct label){"bu_received", "at the home agent; value = sequence number"};
    case REC_MOB_BA_SENT:
        return (struct label){"ba_sent", "at the home agent; value = status, value2 = sequence"};
    case REC_MOB_BINDING_ADD:
        return (struct label){"binding_add", "home agent created a binding cache entry"};
    case REC_MOB_BINDING_UPDATE:
        return (struct label){"binding_update", "home agent changed an entry's care-of address"};
    case REC_MOB_BINDING_DELETE:
        return (struct label){"binding_delete", "binding deleted or expired"};
    case REC_MOB_RETURNED_HOME:
        return (struct label){"returned_home", "mobile node is back on its home link"};
    case REC_MOB_BU_TIMEOUT:
        return (struct label){"bu_timeout", "no BA in time; value = next timeout in ms"};
    case REC_MOB_REGISTERED:
        return (struct label){"registered", "home registration complete at the mobile node"};
    case REC_MOB_HOTI_RECEIVED:
        return (struct label){"hoti_received", "correspondent node received a Home Test Init"};
    case REC_MOB_HOT_SENT:
        return (struct label){"hot_sent", "correspondent node sent a Home Test"};
    case REC_MOB_COTI_RECEIVED:
        return (struct label){"coti_received", "correspondent node received a Care-of Test Init"};
    case REC_MOB_COT_SENT:
        return (struct label){"cot_sent", "correspondent node sent a Care-of Test"};
    case REC_MOB_CN_BU_RECEIVED:
        return (struct label){"cn_bu_received", "at a correspondent node; value = sequence number"};
    case REC_MOB_CN_BA_SENT:
        return (struct label){"cn_ba_sent", "at a correspondent node; value = status"};
    case REC_MOB_CN_BINDING_ADD:
        return (struct label){"cn_binding_add", "correspondent node created a binding"};
    case REC_MOB_CN_BINDING_UPDATE:
        return (struct label){"cn_binding_update", "correspondent node refreshed a binding"};
    case REC_MOB_CN_BINDING_DELETE:
        return (struct label){"cn_binding_delete", "correspondent binding deleted or expired"};
    case REC_MOB_BRR_SENT:
        return (struct label){"brr_sent", "correspondent node sent a Binding Refresh Request"};
    case REC_MOB_BE_SENT:
        return (struct label){"be_sent", "correspondent node sent a Binding Error"};
    case REC_MOB_HOTI_SENT:
        return (struct label){"hoti_sent", "mobile node sent a HoTI; address = correspondent"};
    case REC_MOB_COTI_SENT:
        return (struct label){"coti_sent", "mobile node sent a CoTI; address = correspondent"};
    case REC_MOB_HOT_RECEIVED:
        return (struct label){"hot_received", "mobile node got a HoT; value = home nonce index"};
    case REC_MOB_COT_RECEIVED:
        return (struct label){"cot_received", "mobile node got a CoT; value = care-of nonce index"};
    case REC_MOB_CN_BU_SENT:
        return (struct label){"cn_bu_sent", "mobile node sent a BU to a correspondent; value = "
                                            "sequence number"};
    case REC_MOB_CN_BA_RECEIVED:
        return (struct label){"cn_ba_received", "mobile node got a correspondent's BA; value = "
                                                "status, value2 = sequence number"};
    case REC_MOB_MPS_SENT:
        return (struct label){"mps_sent", "mobile node sent a Mobile Prefix Solicitation; value = "
                                          "Identifier, value2 = attempt"};
    case REC_MOB_MPA_RECEIVED:
        return (struct label){"mpa_received", "mobile node accepted a Mobile Prefix Advertisement; "
                                              "value = Identifier, value2 = 1 when unsolicited"};
    case REC_MOB_MPA_SENT:
        return (struct label){"mpa_sent", "home agent sent a Mobile Prefix Advertisement; value = "
                                          "Identifier, value2 = 1 when unsolicited"};
    case REC_MOB_MPS_RECEIVED:
        return (struct label){"mps_received", "home agent got a Mobile Prefix Solicitation; value "
                                              "= Identifier"};
    }
    return (struct label){NULL, NULL};
}

/* Fill one lookup table with every value 0-255 that has a label. */
static bool
fill_lookup(sqlite3 *db, const char *table, struct label (*label)(int))
{
    char sql[96];
    snprintf(sql, sizeof sql, "INSERT INTO %s(id, name, description) VALUES(?,?,?)", table);
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK;
    for (int v = 0; ok && v < 256; v++) {
        struct label l = label(v);
        if (!l.name)
            continue;
        sqlite3_bind_int(st, 1, v);
        sqlite3_bind_text(st, 2, l.name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, l.description, -1, SQLITE_STATIC);
        ok = sqlite3_step(st) == SQLITE_DONE;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return ok;
}

static struct label
kind_label_int(int v)
{
    return kind_label((enum rec_kind)v);
}

static struct label
drop_label_int(int v)
{
    return drop_label((enum rec_drop)v);
}

static struct label
mob_label_int(int v)
{
    return mob_label((enum rec_mob)v);
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
    ok = ok && sqlite3_exec(r->db, schema_sql, NULL, NULL, NULL) == SQLITE_OK;
    ok = ok && fill_lookup(r->db, "event_kind", kind_label_int);
    ok = ok && fill_lookup(r->db, "drop_reason", drop_label_int);
    ok = ok && fill_lookup(r->db, "mobility_kind", mob_label_int);

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
    if (sqlite3_exec(r->db, analysis_index_sql, NULL, NULL, NULL) != SQLITE_OK)
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
