/*
 * test_cpu.c - the CPU model of mobile node and home agent over the test
 * simulator.  A protected BU leaves only after the mobile node's CPU has
 * done the ESP work, and the home agent processes it only after
 * verifying it.  Costs come from the built-in table, scaled by a
 * slowdown large enough to see.
 *
 *   mn --(foreign link 2001:1:0:2::/64)-- ha (home link 2001:1:0:1::/64)
 */
#define _POSIX_C_SOURCE 200809L

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cost.h"
#include "esp.h"
#include "ha.h"
#include "mn.h"
#include "testnet.h"
#include "testsim.h"

#define S 1000000000ull
#define SLOWDOWN 1000.0

static const uint8_t mac_mn[6] = {0x02, 0, 0, 0, 0, 0x10};
static const uint8_t mac_ha[6] = {0x02, 0, 0, 0, 0, 0x01};

struct world {
    uint32_t mn_node, ha_node;
    struct mip6_mn *mn;
    struct mip6_ha *ha;
    struct mip6_keys keys;
    struct rec *rec;
    char db[96];
    uint8_t hoa[16], ha_addr[16], home_prefix[16];
};

static char dir[64];

static void
remove_dir(void)
{
    rmdir(dir);
}

static void
setup(struct world *w, bool cpu)
{
    char err[512];
    struct mip6_ha_config hc;
    struct mip6_mn_config mc;

    memset(w, 0, sizeof *w);
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/test_cpu.XXXXXX");
        if (!mkdtemp(dir))
            abort();
        atexit(remove_dir);
    }
    snprintf(w->db, sizeof w->db, "%s/run.db", dir);
    w->rec = rec_open(w->db, err, sizeof err);
    CHECK(w->rec != NULL);
    rec_begin(w->rec, 1, 1, "testsim", "test");

    testsim_reset();
    w->mn_node = testsim_add_node();
    w->ha_node = testsim_add_node();
    testsim_add_iface(w->mn_node, mac_mn);
    testsim_add_iface(w->ha_node, mac_ha);
    testnet_addr(w->ha_addr, "2001:1:0:1::1");
    testnet_addr(w->home_prefix, "2001:1:0:1::");
    sim_addr_add(w->ha_node, 0, w->ha_addr, 64);

    mip6_ha_config_default(&hc);
    memcpy(hc.address, w->ha_addr, 16);
    memcpy(hc.home_prefix, w->home_prefix, 16);
    w->ha = mip6_ha_install(w->ha_node, &hc, w->rec, err, sizeof err);
    mip6_mn_config_default(&mc);
    ip6_addr_from_prefix_mac(w->hoa, w->home_prefix, mac_mn);
    memcpy(mc.home_address, w->hoa, 16);
    memcpy(mc.home_prefix, w->home_prefix, 16);
    memcpy(mc.home_agent, w->ha_addr, 16);
    w->mn = mip6_mn_install(w->mn_node, &mc, w->rec, err, sizeof err);
    if (!w->ha || !w->mn)
        abort();
    mip6_keys_derive(&w->keys, 3, 0, ESP_ENC_AES_128_CBC, ESP_AUTH_HMAC_SHA1_96);
    CHECK_EQ_INT(mip6_manual_sas(w->mn, w->ha, &w->keys, err, sizeof err), 0);
    if (cpu) {
        CHECK_EQ_INT(mip6_mn_set_cpu(w->mn, NULL, SLOWDOWN, err, sizeof err), 0);
        CHECK_EQ_INT(mip6_ha_set_cpu(w->ha, NULL, SLOWDOWN, err, sizeof err), 0);
    }
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

/* The time of the first mobility event of a kind at a node, or -1. */
static long long
first_event_ns(struct world *w, uint32_t node, enum rec_mob kind)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -1;
    char sql[160];

    rec_flush(w->rec);
    snprintf(sql, sizeof sql,
             "SELECT min(time_ns) FROM mobility_event WHERE node = %u AND kind = %d", node,
             (int)kind);
    if (sqlite3_open_v2(w->db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* The first ESP packet that node sent with a Home Address option (a BU), or NULL. */
static const struct testsim_packet *
first_bu(uint32_t node, struct ip6_packet *p)
{
    for (size_t i = 0; i < testsim_sent_count(); i++) {
        const struct testsim_packet *s = testsim_sent(i);
        if (s->node == node && ip6_parse(s->bytes, s->len, p) == IP6_OK && p->has_hao &&
            p->upper_proto == IP6_NH_ESP)
            return s;
    }
    return NULL;
}

/* The delay an idle CPU with the test's slowdown gives one job. */
static uint64_t
idle_delay(uint64_t cost_ns)
{
    struct mip6_cpu cpu;
    CHECK(mip6_cpu_init(&cpu, SLOWDOWN));
    return mip6_cpu_submit(&cpu, 0, cost_ns);
}

static void
register_away(struct world *w)
{
    uint8_t r[16], p[16];
    testnet_addr(r, "fe80::2");
    testnet_addr(p, "2001:1:0:2::");
    testnet_move(w->mn_node, 0, mac_mn, r, p, true);
    testsim_run_until(sim_now_ns() + 4 * S);
}

/* The BU's payload length, from the home agent's SA1. */
static size_t
bu_payload_len(struct world *w, const struct testsim_packet *s, const struct ip6_packet *p)
{
    uint8_t out[256];
    struct esp_inbound in;
    uint32_t spi = 0, seq = 0;

    esp_read_header(s->bytes + p->upper_offset, p->upper_len, &spi, &seq);
    struct ipsec_sa *sa = ipsec_sa_by_spi(&w->ha->node.ipsec, spi);
    CHECK(sa != NULL);
    if (!sa || esp_unprotect(&sa->esp, s->bytes + p->upper_offset, p->upper_len, out, sizeof out,
                             &in) != ESP_OK)
        return 0;
    return in.payload_len;
}

static void
test_bu_leaves_after_esp_work(void)
{
    struct world w;
    struct ip6_packet p;
    setup(&w, true);
    register_away(&w);

    const struct testsim_packet *s = first_bu(w.mn_node, &p);
    CHECK(s != NULL);
    if (!s) {
        teardown(&w);
        return;
    }
    size_t len = bu_payload_len(&w, s, &p);
    CHECK(len > 0);
    uint64_t cost = mip6_cost_esp_ns(&mip6_cost_defaults, ESP_ENC_AES_128_CBC,
                                     ESP_AUTH_HMAC_SHA1_96, MIP6_COST_OUTBOUND, len);
    long long sent_event = first_event_ns(&w, w.mn_node, REC_MOB_BU_SENT);
    CHECK(sent_event > 0);
    CHECK_EQ_INT((long long)s->time_ns - sent_event, idle_delay(cost));
    CHECK_EQ_INT(first_event_ns(&w, w.mn_node, REC_MOB_REGISTERED) > 0, 1);
    CHECK(mip6_mn_cpu_utilization(w.mn) > 0);
    teardown(&w);
}

static void
test_home_agent_verifies_before_processing(void)
{
    struct world w;
    struct ip6_packet p;
    setup(&w, true);
    register_away(&w);

    const struct testsim_packet *s = first_bu(w.mn_node, &p);
    CHECK(s != NULL);
    if (!s) {
        teardown(&w);
        return;
    }
    uint64_t cost = mip6_cost_esp_ns(&mip6_cost_defaults, ESP_ENC_AES_128_CBC,
                                     ESP_AUTH_HMAC_SHA1_96, MIP6_COST_INBOUND, p.upper_len);
    /* The test simulator delivers 1 ms after sending. */
    long long arrived = (long long)s->time_ns + 1000000;
    CHECK_EQ_INT(first_event_ns(&w, w.ha_node, REC_MOB_BU_RECEIVED) - arrived, idle_delay(cost));
    CHECK(mip6_ha_cpu_utilization(w.ha) > 0);
    teardown(&w);
}

static void
test_without_cpu_model_no_delay(void)
{
    struct world w;
    struct ip6_packet p;
    setup(&w, false);
    register_away(&w);

    const struct testsim_packet *s = first_bu(w.mn_node, &p);
    CHECK(s != NULL);
    if (s)
        CHECK_EQ_INT((long long)s->time_ns, first_event_ns(&w, w.mn_node, REC_MOB_BU_SENT));
    CHECK_EQ_INT(first_event_ns(&w, w.ha_node, REC_MOB_BU_RECEIVED),
                 s ? (long long)s->time_ns + 1000000 : -2);
    CHECK(mip6_mn_cpu_utilization(w.mn) == 0);
    teardown(&w);
}

static void
test_invalid_slowdown_rejected(void)
{
    struct world w;
    char err[512];
    setup(&w, false);

    CHECK_EQ_INT(mip6_mn_set_cpu(w.mn, NULL, 0, err, sizeof err), -1);
    CHECK(strstr(err, "slowdown 0") != NULL);
    CHECK_EQ_INT(mip6_ha_set_cpu(w.ha, NULL, -2, err, sizeof err), -1);
    CHECK(strstr(err, "slowdown -2") != NULL);
    struct mip6_cost_table bad = mip6_cost_defaults;
    bad.aes128cbc_encrypt.fixed_ns = -1;
    CHECK_EQ_INT(mip6_mn_set_cpu(w.mn, &bad, 1, err, sizeof err), -1);
    teardown(&w);
}

CHECK_MAIN(TEST(test_bu_leaves_after_esp_work), TEST(test_home_agent_verifies_before_processing),
           TEST(test_without_cpu_model_no_delay), TEST(test_invalid_slowdown_rejected))
