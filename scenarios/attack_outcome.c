/*
 * attack_outcome.c - what the home agent of mip6sec-attack did with the
 * attack packets, read back from the run's database, and the summary
 * line that reports it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "attack.h"
#include "ipv6.h"
#include "mh.h"
#include "rec.h"

struct outcome {
    unsigned seen;       /* attack packets with an event at the home agent */
    unsigned dropped;    /* attack packets the home agent dropped */
    char reasons[256];   /* "name count, ..." of those drops */
    unsigned ba_135;     /* BAs with status 135 the home agent sent after the attack */
    char coa_before[64]; /* the victim's binding before the attack, "" for none */
    unsigned moved;      /* victim binding events after the attack with another care-of address */
    unsigned deleted;    /* deletions of the victim's binding after the attack */
};

static int64_t
query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static bool
read_drops(sqlite3 *db, const char *uids, struct outcome *o)
{
    char sql[512];
    sqlite3_stmt *st = NULL;
    size_t pos = 0;

    snprintf(sql, sizeof sql,
             "SELECT r.name, count(*) FROM packet_event p JOIN drop_reason r ON r.id = "
             "p.drop_reason WHERE p.node = %u AND p.kind = %d AND p.uid IN (%s) GROUP BY r.name "
             "ORDER BY r.name",
             W.ha, REC_DROP, uids);
    o->reasons[0] = '\0';
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return false;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && pos < sizeof o->reasons) {
        int n = sqlite3_column_int(st, 1);
        pos += (size_t)snprintf(o->reasons + pos, sizeof o->reasons - pos, "%s%s %d",
                                pos ? ", " : "", (const char *)sqlite3_column_text(st, 0), n);
        o->dropped += (unsigned)n;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW;
}

/* The home agent's binding events for the victim, found through the
 * bu_received event (address = home address) of the same BU. */
static bool
read_binding(sqlite3 *db, struct outcome *o)
{
    char hoa[IP6_ADDR_TEXT_LEN], coa[IP6_ADDR_TEXT_LEN], sql[1200];
    sqlite3_stmt *st = NULL;

    ip6_addr_to_text(W.victim_hoa, hoa, sizeof hoa);
    ip6_addr_to_text(W.victim_coa, coa, sizeof coa);
    snprintf(sql, sizeof sql,
             "WITH victim_binding AS (SELECT b.time_ns, a.text AS coa FROM mobility_event b "
             "JOIN mobility_event r ON r.node = b.node AND r.time_ns = b.time_ns AND r.kind = %d "
             "AND r.value = b.value JOIN address h ON h.id = r.address JOIN address a ON a.id = "
             "b.address WHERE b.node = %u AND b.kind IN (%d, %d) AND h.text = ?1) "
             "SELECT (SELECT coa FROM victim_binding WHERE time_ns < ?2 ORDER BY time_ns DESC "
             "LIMIT 1), (SELECT count(*) FROM victim_binding WHERE time_ns >= ?2 AND coa <> ?3), "
             "(SELECT count(*) FROM mobility_event m JOIN address d ON d.id = m.address WHERE "
             "m.node = %u AND m.kind = %d AND d.text = ?1 AND m.time_ns >= ?2)",
             REC_MOB_BU_RECEIVED, W.ha, REC_MOB_BINDING_ADD, REC_MOB_BINDING_UPDATE, W.ha,
             REC_MOB_BINDING_DELETE);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, hoa, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)W.attack_ns[0]);
    sqlite3_bind_text(st, 3, coa, -1, SQLITE_STATIC);
    bool ok = sqlite3_step(st) == SQLITE_ROW;
    if (ok) {
        const unsigned char *before = sqlite3_column_text(st, 0);
        snprintf(o->coa_before, sizeof o->coa_before, "%s", before ? (const char *)before : "");
        o->moved = (unsigned)sqlite3_column_int(st, 1);
        o->deleted = (unsigned)sqlite3_column_int(st, 2);
    }
    sqlite3_finalize(st);
    return ok;
}

/* Read what the home agent did with the attack; false when the
 * database cannot be read. */
static bool
read_outcome(struct outcome *o)
{
    sqlite3 *db = NULL;
    char uids[64] = "-1", sql[512];

    memset(o, 0, sizeof *o);
    if (sqlite3_open_v2(P.output, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fprintf(stderr, PROGRAM ": reading %s back failed: %s\n", P.output, sqlite3_errmsg(db));
        sqlite3_close(db);
        return false;
    }
    if (W.n_sent == 1)
        snprintf(uids, sizeof uids, "%llu", (unsigned long long)W.uids[0]);
    else if (W.n_sent == 2)
        snprintf(uids, sizeof uids, "%llu,%llu", (unsigned long long)W.uids[0],
                 (unsigned long long)W.uids[1]);

    snprintf(sql, sizeof sql,
             "SELECT count(DISTINCT uid) FROM packet_event WHERE node = %u AND uid IN (%s)", W.ha,
             uids);
    int64_t seen = query_int(db, sql);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM mobility_event WHERE node = %u AND kind = %d AND value = %d "
             "AND time_ns >= %llu",
             W.ha, REC_MOB_BA_SENT, MH_BA_SEQ_OUT_OF_WINDOW, (unsigned long long)W.attack_ns[0]);
    int64_t ba_135 = query_int(db, sql);
    bool ok = seen >= 0 && ba_135 >= 0 && read_drops(db, uids, o) && read_binding(db, o);
    if (!ok)
        fprintf(stderr, PROGRAM ": reading the outcome from %s failed: %s\n", P.output,
                sqlite3_errmsg(db));
    o->seen = (unsigned)seen;
    o->ba_135 = (unsigned)ba_135;
    sqlite3_close(db);
    return ok;
}

bool
attack_print_summary(uint64_t victim_received, uint64_t victim_sent)
{
    struct outcome o;
    char coa[IP6_ADDR_TEXT_LEN], binding[160];

    if (!read_outcome(&o))
        return false;
    ip6_addr_to_text(W.victim_coa, coa, sizeof coa);
    if (strcmp(o.coa_before, coa) != 0)
        snprintf(binding, sizeof binding,
                 "not at the victim's care-of address %s before the attack", coa);
    else if (o.moved == 0 && o.deleted == 0)
        snprintf(binding, sizeof binding, "unchanged at care-of address %s", coa);
    else
        snprintf(binding, sizeof binding,
                 "CHANGED: %u updates to another care-of address, %u deletions", o.moved,
                 o.deleted);

    printf(PROGRAM ": %s with %s keys: %u of %u attack packets reached the home agent, %u "
                   "dropped there (%s), %u BA with status 135 sent after the attack; victim "
                   "binding %s; victim received %llu of %llu UDP datagrams; events in %s\n",
           ATTACK_NAMES[W.attack], P.keying, o.seen, W.n_sent, o.dropped,
           o.reasons[0] ? o.reasons : "none", o.ba_135, binding,
           (unsigned long long)victim_received, (unsigned long long)victim_sent, P.output);
    return true;
}
