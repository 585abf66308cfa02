/*
 * test_optimistic_dad.c - the mobile node's optimistic duplicate address
 * detection for its care-of address (RFC 4429): the BU leaves while the
 * address is still tentative, the BA and tunnelled data arrive on it,
 * the end of DAD is recorded, and a duplicate found during the
 * optimistic period stops the node using the address.
 *
 *   mn --(foreign link 2001:1:0:2::/64)--+
 *                                        +-- ha (home link 2001:1:0:1::/64) -- cn
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"
#include "esp.h"
#include "ha.h"
#include "mn.h"
#include "nd.h"
#include "testnet.h"
#include "testsim.h"

#define MS 1000000ull
#define S 1000000000ull
#define DAD_NS (1 * S)    /* the test simulator's default DAD timeout */
#define ATTACH_NS (1 * S) /* when the tests move the node to the foreign link */

static const uint8_t mac_mn[6] = {0x02, 0, 0, 0, 0, 0x10};
static const uint8_t mac_ha[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t mac_cn[6] = {0x02, 0, 0, 0, 0, 0x09};
static const uint8_t mac_duplicate[6] = {0x02, 0, 0, 0, 0, 0x77};

static char dir[64];

static void
remove_dir(void)
{
    rmdir(dir);
}

struct world {
    uint32_t ha_node, cn_node, mn_node;
    struct mip6_ha *ha;
    struct mip6_mn *mn;
    struct rec *rec;
    char db[96];
    uint8_t ha_addr[16], home_prefix[16], foreign_prefix[16], cn_addr[16];
    uint8_t router_home[16], router_foreign[16], hoa[16], all_nodes[16];
};

static void
setup(struct world *w, bool optimistic)
{
    char err[256];

    memset(w, 0, sizeof *w);
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/test_optimistic_dad.XXXXXX");
        if (!mkdtemp(dir))
            abort();
        atexit(remove_dir);
    }
    snprintf(w->db, sizeof w->db, "%s/run.db", dir);
    w->rec = rec_open(w->db, err, sizeof err);
    CHECK(w->rec != NULL);
    rec_begin(w->rec, 1, 1, "testsim", "test");

    testsim_reset();
    w->ha_node = testsim_add_node();
    w->cn_node = testsim_add_node();
    w->mn_node = testsim_add_node();
    testsim_add_iface(w->ha_node, mac_ha);
    testsim_add_iface(w->cn_node, mac_cn);
    testsim_add_iface(w->mn_node, mac_mn);

    testnet_addr(w->ha_addr, "2001:1:0:1::1");
    testnet_addr(w->home_prefix, "2001:1:0:1::");
    testnet_addr(w->foreign_prefix, "2001:1:0:2::");
    testnet_addr(w->cn_addr, "2001:1:0:9::9");
    testnet_addr(w->router_home, "fe80::1");
    testnet_addr(w->router_foreign, "fe80::2");
    testnet_addr(w->all_nodes, "ff02::1");
    sim_addr_add(w->ha_node, 0, w->ha_addr, 64);
    sim_addr_add(w->cn_node, 0, w->cn_addr, 64);

    struct mip6_ha_config hc;
    mip6_ha_config_default(&hc);
    memcpy(hc.address, w->ha_addr, 16);
    memcpy(hc.home_prefix, w->home_prefix, 16);
    w->ha = mip6_ha_install(w->ha_node, &hc, w->rec, err, sizeof err);

    struct mip6_mn_config mc;
    mip6_mn_config_default(&mc);
    ip6_addr_from_prefix_mac(w->hoa, w->home_prefix, mac_mn);
    memcpy(mc.home_address, w->hoa, 16);
    memcpy(mc.home_prefix, w->home_prefix, 16);
    memcpy(mc.home_agent, w->ha_addr, 16);
    mc.optimistic_dad = optimistic;
    w->mn = mip6_mn_install(w->mn_node, &mc, w->rec, err, sizeof err);
    if (!w->ha || !w->mn)
        abort();

    struct mip6_keys keys;
    mip6_keys_derive(&keys, 11, 0, ESP_ENC_AES_128_CBC, ESP_AUTH_HMAC_SHA1_96);
    CHECK_EQ_INT(mip6_manual_sas(w->mn, w->ha, &keys, err, sizeof err), 0);

    /* The node starts at home: the home advertisement moves nothing. */
    uint8_t pkt[TESTNET_RA_LEN];
    testsim_inject(w->mn_node, 0, pkt, testnet_build_ra(pkt, w->router_home, w->home_prefix));
}

static void
teardown(struct world *w)
{
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    char name[128];

    testsim_reset();
    mip6_mn_free(w->mn);
    mip6_ha_free(w->ha);
    rec_close(w->rec, REC_COMPLETE);
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%s%s", w->db, suffixes[i]);
        unlink(name);
    }
}

/* The first column of a query on the run's database, or -999 on error or no row. */
static long long
query_int(struct world *w, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -999;

    rec_flush(w->rec);
    if (sqlite3_open_v2(w->db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "query failed: %s: %s\n", sql, sqlite3_errmsg(db));
        check_failures++;
    } else if (sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* A column of the first mobility event of a kind at the mobile node, or -999. */
static long long
first_event(struct world *w, enum rec_mob kind, const char *column)
{
    char sql[192];
    snprintf(sql, sizeof sql,
             "SELECT %s FROM mobility_event WHERE node = %u AND kind = %d"
             " ORDER BY time_ns, rowid LIMIT 1",
             column, w->mn_node, (int)kind);
    return query_int(w, sql);
}

static long long
count_events(struct world *w, enum rec_mob kind)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM mobility_event WHERE node = %u AND kind = %d",
             w->mn_node, (int)kind);
    return query_int(w, sql);
}

/* Packets the mobile node sent at or after sent-log position from. */
static size_t
count_sent_by_mn(struct world *w, size_t from)
{
    size_t n = 0;
    for (size_t i = from; i < testsim_sent_count(); i++)
        if (testsim_sent(i)->node == w->mn_node)
            n++;
    return n;
}

/* Packets delivered to the home address (after decapsulation) from position from on. */
static size_t
count_delivered_to_hoa(struct world *w, size_t from)
{
    size_t n = 0;
    for (size_t i = from; i < testsim_delivered_count(); i++) {
        const struct testsim_packet *d = testsim_delivered(i);
        struct ip6_packet p;
        if (d->node == w->mn_node && ip6_parse(d->bytes, d->len, &p) == IP6_OK &&
            memcmp(p.hdr.dst, w->hoa, 16) == 0)
            n++;
    }
    return n;
}

static size_t
build_udp(uint8_t *pkt, const uint8_t src[16], const uint8_t dst[16])
{
    uint8_t udp[16] = {0x30, 0x39, 0x04, 0xd2, 0, 16, 0, 0};

    struct wr w = wr_init(pkt, 128);
    struct ip6_header h = {.payload_len = sizeof udp, .next_header = 17, .hop_limit = 63};
    memcpy(h.src, src, 16);
    memcpy(h.dst, dst, 16);
    ip6_write_header(&w, &h);
    wr_bytes(&w, udp, sizeof udp);
    return w.pos;
}

/*
 * Inject at the mobile node the reply of another node that has the
 * care-of address: an unsolicited Neighbor Advertisement to all nodes
 * (RFC 4861 §7.2.4).  The test simulator has no ICMPv6, so the test also
 * marks the address invalid, as ns-3.37's Icmpv6L4Protocol::HandleNA does.
 */
static void
inject_duplicate_advert(struct world *w)
{
    uint8_t msg[ND_NEIGHBOR_MAX_LEN], pkt[128], src[16];
    struct wr mw = wr_init(msg, sizeof msg);
    struct nd_neighbor na = {
        .type = ND_NEIGHBOR_ADVERT, .flags = ND_NA_FLAG_OVERRIDE, .has_link_addr = true};

    ip6_addr_from_prefix_mac(src, w->foreign_prefix, mac_duplicate);
    memcpy(na.target, w->mn->coa, 16);
    memcpy(na.link_addr, mac_duplicate, 6);
    CHECK_EQ_INT(nd_encode_neighbor(&mw, &na, w->mn->coa, w->all_nodes), ND_OK);

    struct wr pw = wr_init(pkt, sizeof pkt);
    struct ip6_header h = {.payload_len = (uint16_t)mw.pos, .next_header = 58, .hop_limit = 255};
    memcpy(h.src, w->mn->coa, 16);
    memcpy(h.dst, w->all_nodes, 16);
    ip6_write_header(&pw, &h);
    wr_bytes(&pw, msg, mw.pos);

    CHECK_EQ_INT(testsim_fail_dad(w->mn_node, 0, w->mn->coa), SIM_OK);
    testsim_inject(w->mn_node, 0, pkt, pw.pos);
}

static void
test_off_by_default(void)
{
    struct mip6_mn_config mc;

    mip6_mn_config_default(&mc);
    CHECK(!mc.optimistic_dad);
}

static void
test_bu_before_dad_ends(void)
{
    struct world w;
    setup(&w, true);

    testsim_run_until(ATTACH_NS);
    testnet_move(w.mn_node, 0, mac_mn, w.router_foreign, w.foreign_prefix, true);
    testsim_run_until(ATTACH_NS + 50 * MS);

    /* Registered through the tentative address, well before DAD ends. */
    CHECK_EQ_INT(w.mn->state, MN_REGISTERED);
    CHECK_EQ_INT(sim_addr_state(w.mn_node, 0, w.mn->coa), SIM_ADDR_TENTATIVE);
    CHECK(w.mn->coa_optimistic);
    CHECK_EQ_INT(count_events(&w, REC_MOB_COA_OPTIMISTIC), 1);
    CHECK(first_event(&w, REC_MOB_COA_OPTIMISTIC, "time_ns") < (long long)(ATTACH_NS + MS));
    CHECK_EQ_INT(first_event(&w, REC_MOB_COA_OPTIMISTIC, "value2"), DAD_NS / MS);
    CHECK(first_event(&w, REC_MOB_BU_SENT, "time_ns") < (long long)(ATTACH_NS + MS));
    CHECK(first_event(&w, REC_MOB_REGISTERED, "time_ns") < (long long)(ATTACH_NS + 10 * MS));
    CHECK_EQ_INT(count_events(&w, REC_MOB_COA_READY), 0);
    CHECK_EQ_INT(count_events(&w, REC_MOB_COA_DAD_DONE), 0);

    /* Tunnelled data arrives on the tentative address. */
    uint8_t pkt[128];
    size_t delivered = testsim_delivered_count();
    testsim_inject(w.ha_node, 0, pkt, build_udp(pkt, w.cn_addr, w.hoa));
    testsim_run_until(ATTACH_NS + 100 * MS);
    CHECK_EQ_INT(count_delivered_to_hoa(&w, delivered), 1);
    CHECK_EQ_INT(sim_addr_state(w.mn_node, 0, w.mn->coa), SIM_ADDR_TENTATIVE);

    /* DAD ends one DAD time after the move and is recorded as unique. */
    testsim_run_until(ATTACH_NS + DAD_NS + 100 * MS);
    CHECK(!w.mn->coa_optimistic);
    CHECK_EQ_INT(count_events(&w, REC_MOB_COA_DAD_DONE), 1);
    CHECK_EQ_INT(first_event(&w, REC_MOB_COA_DAD_DONE, "value"), MIP6_COA_DAD_UNIQUE);
    long long done = first_event(&w, REC_MOB_COA_DAD_DONE, "time_ns");
    CHECK(done >= (long long)(ATTACH_NS + DAD_NS));
    CHECK(done < (long long)(ATTACH_NS + DAD_NS + 2 * MS));
    CHECK_EQ_INT(w.mn->state, MN_REGISTERED);
    CHECK_EQ_INT(w.mn->node.drops, 0);
    teardown(&w);
}

static void
test_without_optimism_bu_waits(void)
{
    struct world w;
    setup(&w, false);

    testsim_run_until(ATTACH_NS);
    testnet_move(w.mn_node, 0, mac_mn, w.router_foreign, w.foreign_prefix, true);
    testsim_run_until(ATTACH_NS + DAD_NS - MS);
    CHECK_EQ_INT(w.mn->state, MN_WAIT_COA);
    CHECK_EQ_INT(count_events(&w, REC_MOB_BU_SENT), 0);
    testsim_run_until(ATTACH_NS + DAD_NS + 50 * MS);
    CHECK_EQ_INT(w.mn->state, MN_REGISTERED);
    CHECK(first_event(&w, REC_MOB_BU_SENT, "time_ns") >= (long long)(ATTACH_NS + DAD_NS));
    CHECK_EQ_INT(count_events(&w, REC_MOB_COA_OPTIMISTIC), 0);
    CHECK_EQ_INT(count_events(&w, REC_MOB_COA_DAD_DONE), 0);
    teardown(&w);
}

static void
test_duplicate_stops_use(void)
{
    struct world w;
    setup(&w, true);
    uint8_t pkt[128];

    testsim_run_until(ATTACH_NS);
    testnet_move(w.mn_node, 0, mac_mn, w.router_foreign, w.foreign_prefix, true);
    testsim_run_until(ATTACH_NS + 200 * MS);
    CHECK_EQ_INT(w.mn->state, MN_REGISTERED);

    /* Another node claims the address during the optimistic period. */
    inject_duplicate_advert(&w);
    uint64_t found_ns = sim_now_ns();
    testsim_run_until(found_ns + MS);
    CHECK_EQ_INT(count_events(&w, REC_MOB_COA_DAD_DONE), 1);
    CHECK_EQ_INT(first_event(&w, REC_MOB_COA_DAD_DONE, "value"), MIP6_COA_DAD_DUPLICATE);
    CHECK_EQ_INT(first_event(&w, REC_MOB_COA_DAD_DONE, "value2"), SIM_ADDR_INVALID);
    CHECK(first_event(&w, REC_MOB_COA_DAD_DONE, "time_ns") < (long long)(found_ns + MS));
    CHECK(!w.mn->coa_optimistic);
    CHECK_EQ_INT(w.mn->state, MN_WAIT_COA);
    CHECK(!w.mn->tunnel_up);

    /* No traffic through the address any more: tunnelled data is not
     * decapsulated, and uplink data is not tunnelled from it. */
    size_t delivered = testsim_delivered_count();
    size_t sent = testsim_sent_count();
    testsim_inject(w.ha_node, 0, pkt, build_udp(pkt, w.cn_addr, w.hoa));
    testsim_send_local(w.mn_node, pkt, build_udp(pkt, w.hoa, w.cn_addr));
    testsim_run_until(sim_now_ns() + 100 * MS);
    CHECK_EQ_INT(count_delivered_to_hoa(&w, delivered), 0);
    CHECK_EQ_INT(count_sent_by_mn(&w, sent), 0);

    /* No BU from it either: not when DAD would have ended, and not when
     * the binding would have been refreshed (90% of 420 s). */
    testsim_run_until(400 * S);
    CHECK_EQ_INT(count_sent_by_mn(&w, sent), 0);
    CHECK_EQ_INT(count_events(&w, REC_MOB_BU_SENT), 1);
    CHECK_EQ_INT(count_events(&w, REC_MOB_BU_TIMEOUT), 0);
    CHECK_EQ_INT(count_events(&w, REC_MOB_COA_DAD_DONE), 1);
    CHECK_EQ_INT(w.mn->state, MN_WAIT_COA);
    teardown(&w);
}

static void
test_duplicate_found_at_dad_end(void)
{
    struct world w;
    setup(&w, true);

    testsim_run_until(ATTACH_NS);
    testnet_move(w.mn_node, 0, mac_mn, w.router_foreign, w.foreign_prefix, true);
    testsim_run_until(ATTACH_NS + 200 * MS);
    CHECK_EQ_INT(w.mn->state, MN_REGISTERED);

    /* The stack marks the address invalid without the node seeing the
     * advertisement: the check at the end of DAD finds it. */
    CHECK_EQ_INT(testsim_fail_dad(w.mn_node, 0, w.mn->coa), SIM_OK);
    testsim_run_until(ATTACH_NS + DAD_NS - MS);
    CHECK_EQ_INT(count_events(&w, REC_MOB_COA_DAD_DONE), 0);
    testsim_run_until(ATTACH_NS + DAD_NS + 10 * MS);
    CHECK_EQ_INT(first_event(&w, REC_MOB_COA_DAD_DONE, "value"), MIP6_COA_DAD_DUPLICATE);
    CHECK_EQ_INT(w.mn->state, MN_WAIT_COA);
    CHECK(!w.mn->tunnel_up);
    teardown(&w);
}

static void
test_next_move_uses_new_address(void)
{
    struct world w;
    uint8_t foreign2[16], router2[16];
    setup(&w, true);
    testnet_addr(foreign2, "2001:1:0:3::");
    testnet_addr(router2, "fe80::3");

    testsim_run_until(ATTACH_NS);
    testnet_move(w.mn_node, 0, mac_mn, w.router_foreign, w.foreign_prefix, true);
    testsim_run_until(ATTACH_NS + 200 * MS);
    inject_duplicate_advert(&w);
    testsim_run_until(ATTACH_NS + 300 * MS);
    CHECK_EQ_INT(w.mn->state, MN_WAIT_COA);

    /* After the next link change the node registers its new address at once. */
    testnet_move(w.mn_node, 0, mac_mn, router2, foreign2, true);
    testsim_run_until(ATTACH_NS + 350 * MS);
    CHECK_EQ_INT(w.mn->state, MN_REGISTERED);
    CHECK(!w.mn->coa_duplicate);
    CHECK_EQ_INT(count_events(&w, REC_MOB_COA_OPTIMISTIC), 2);
    struct mip6_binding *b = mip6_ha_binding(w.ha, w.hoa);
    CHECK(b != NULL);
    if (b)
        CHECK_EQ_MEM(b->coa, w.mn->coa, 16);
    teardown(&w);
}

CHECK_MAIN(TEST(test_off_by_default), TEST(test_bu_before_dad_ends),
           TEST(test_without_optimism_bu_waits), TEST(test_duplicate_stops_use),
           TEST(test_duplicate_found_at_dad_end), TEST(test_next_move_uses_new_address))
