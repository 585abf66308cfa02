/*
 * test_route_optimization.c - the mobile node's route optimization
 * against the correspondent node model over the test simulator: return
 * routability through the home agent, the correspondent registration,
 * traffic in both directions without the home agent, and a new
 * registration after a move.
 *
 *   mn --(foreign link)-- ... -- ha (home link 2001:1:0:1::/64)
 *                          \--- cn 2001:1:0:9::9
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cn.h"
#include "ha.h"
#include "mn.h"
#include "testnet.h"
#include "testsim.h"

#define MS 1000000ull
#define S 1000000000ull

static const uint8_t mac_mn[6] = {0x02, 0, 0, 0, 0, 0x10};
static const uint8_t mac_ha[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t mac_cn[6] = {0x02, 0, 0, 0, 0, 0x09};

struct world {
    uint32_t mn_node, ha_node, cn_node;
    struct mip6_mn *mn;
    struct mip6_ha *ha;
    struct mip6_cn *cn;
    uint8_t hoa[16], ha_addr[16], cn_addr[16], home_prefix[16];
};

static void
setup(struct world *w)
{
    char err[256];
    struct mip6_ha_config hc;
    struct mip6_mn_config mc;
    struct mip6_cn_config cc;
    struct mip6_keys keys;

    memset(w, 0, sizeof *w);
    testsim_reset();
    w->mn_node = testsim_add_node();
    w->ha_node = testsim_add_node();
    w->cn_node = testsim_add_node();
    testsim_add_iface(w->mn_node, mac_mn);
    testsim_add_iface(w->ha_node, mac_ha);
    testsim_add_iface(w->cn_node, mac_cn);
    testnet_addr(w->ha_addr, "2001:1:0:1::1");
    testnet_addr(w->cn_addr, "2001:1:0:9::9");
    testnet_addr(w->home_prefix, "2001:1:0:1::");
    sim_addr_add(w->ha_node, 0, w->ha_addr, 64);
    sim_addr_add(w->cn_node, 0, w->cn_addr, 64);

    mip6_ha_config_default(&hc);
    memcpy(hc.address, w->ha_addr, 16);
    memcpy(hc.home_prefix, w->home_prefix, 16);
    w->ha = mip6_ha_install(w->ha_node, &hc, NULL, err, sizeof err);

    mip6_mn_config_default(&mc);
    ip6_addr_from_prefix_mac(w->hoa, w->home_prefix, mac_mn);
    memcpy(mc.home_address, w->hoa, 16);
    memcpy(mc.home_prefix, w->home_prefix, 16);
    memcpy(mc.home_agent, w->ha_addr, 16);
    w->mn = mip6_mn_install(w->mn_node, &mc, NULL, err, sizeof err);
    mip6_keys_derive(&keys, 3, 0, ESP_ENC_AES_128_CBC, ESP_AUTH_HMAC_SHA1_96);
    CHECK(w->ha != NULL);
    CHECK(w->mn != NULL);
    CHECK_EQ_INT(mip6_manual_sas(w->mn, w->ha, &keys, err, sizeof err), 0);

    mip6_cn_config_default(&cc);
    cc.ifindex = 0;
    memcpy(cc.address, w->cn_addr, 16);
    w->cn = mip6_cn_install(w->cn_node, &cc, NULL, err, sizeof err);
    CHECK(w->cn != NULL);
    CHECK_EQ_INT(mip6_mn_route_optimize(w->mn, w->cn_addr, err, sizeof err), 0);
}

/* The mobile node's entry for the correspondent; every test has one. */
static struct mip6_mn_cn *
correspondent(struct world *w)
{
    struct mip6_mn_cn *c = mip6_mn_ro_find(w->mn, w->cn_addr);
    if (!c) {
        fprintf(stderr, "mobile node has no entry for the correspondent\n");
        abort();
    }
    return c;
}

static void
teardown(struct world *w)
{
    testsim_reset();
    mip6_mn_free(w->mn);
    mip6_ha_free(w->ha);
    mip6_cn_free(w->cn);
}

/* A router advertisement, with the addresses as text. */
static size_t
build_ra(uint8_t *pkt, const char *router, const char *prefix)
{
    uint8_t r[16], p[16];
    testnet_addr(r, router);
    testnet_addr(p, prefix);
    return testnet_build_ra(pkt, r, p);
}

/* Move the mobile node to a foreign link. */
static void
attach(struct world *w, const char *router, const char *prefix)
{
    uint8_t r[16], p[16];
    testnet_addr(r, router);
    testnet_addr(p, prefix);
    testnet_move(w->mn_node, 0, mac_mn, r, p, true);
}

static size_t
build_udp(uint8_t *pkt, const uint8_t src[16], const uint8_t dst[16])
{
    uint8_t udp[20] = {0x30, 0x39, 0x13, 0x88, 0, 20, 0, 0, 0, 0, 0, 7};
    struct ip6_header h = {.payload_len = sizeof udp, .next_header = 17, .hop_limit = 64};
    struct wr w = wr_init(pkt, 128);

    memcpy(h.src, src, 16);
    memcpy(h.dst, dst, 16);
    ip6_write_header(&w, &h);
    wr_bytes(&w, udp, sizeof udp);
    return w.pos;
}

/* The last packet node sent, parsed. */
static bool
last_sent(uint32_t node, struct ip6_packet *p, const struct testsim_packet **out)
{
    for (size_t i = testsim_sent_count(); i > 0; i--) {
        const struct testsim_packet *s = testsim_sent(i - 1);
        if (s->node == node) {
            *out = s;
            return ip6_parse(s->bytes, s->len, p) == IP6_OK;
        }
    }
    return false;
}

static void
test_return_routability_then_binding(void)
{
    struct world w;
    setup(&w);

    attach(&w, "fe80::2", "2001:1:0:2::");
    testsim_run_until(3 * S);
    CHECK_EQ_INT(w.mn->state, MN_REGISTERED);

    /* HoTI went through the home agent, CoTI directly; both answers came
     * back, the BU was accepted and the correspondent holds the CoA. */
    struct mip6_mn_cn *c = correspondent(&w);
    CHECK(c != NULL);
    if (!c) {
        teardown(&w);
        return;
    }
    CHECK(c->have_home_token);
    CHECK(c->have_care_of_token);
    CHECK(c->bound);
    const struct mip6_cn_binding *b = mip6_cn_binding(w.cn, w.hoa);
    CHECK(b != NULL);
    if (b)
        CHECK_EQ_MEM(b->coa, w.mn->coa, 16);
    CHECK_EQ_INT(w.mn->node.drops, 0);
    CHECK_EQ_INT(w.ha->node.drops, 0);
    teardown(&w);
}

static void
test_traffic_skips_home_agent(void)
{
    struct world w;
    uint8_t pkt[128];
    struct ip6_packet p;
    const struct testsim_packet *s = NULL;
    setup(&w);

    attach(&w, "fe80::2", "2001:1:0:2::");
    testsim_run_until(3 * S);

    /* Correspondent to home address: straight to the CoA with an RH2. */
    size_t delivered = testsim_delivered_count();
    size_t len = build_udp(pkt, w.cn_addr, w.hoa);
    testsim_send_local(w.cn_node, pkt, len);
    CHECK(last_sent(w.cn_node, &p, &s));
    CHECK_EQ_INT(p.hdr.next_header, IP6_NH_ROUTING);
    CHECK_EQ_MEM(p.hdr.dst, w.mn->coa, 16);
    CHECK(p.has_rh2);
    CHECK_EQ_MEM(p.rh2_addr, w.hoa, 16);
    testsim_run_until(4 * S);
    CHECK_EQ_INT(testsim_delivered_count(), delivered + 1);
    const struct testsim_packet *d = testsim_delivered(delivered);
    CHECK(d != NULL);
    if (d)
        CHECK_EQ_INT(d->node, w.mn_node);
    if (d)
        CHECK_EQ_MEM(d->bytes, pkt, len); /* the original packet, home address restored */

    /* Home address to correspondent: from the CoA with a Home Address
     * option, not through the tunnel, and delivered from the home address. */
    len = build_udp(pkt, w.hoa, w.cn_addr);
    testsim_send_local(w.mn_node, pkt, len);
    CHECK(last_sent(w.mn_node, &p, &s));
    CHECK_EQ_INT(p.hdr.next_header, IP6_NH_DEST_OPTS);
    CHECK_EQ_MEM(p.hdr.src, w.mn->coa, 16);
    CHECK(p.has_hao);
    CHECK_EQ_INT(p.upper_proto, 17);
    testsim_run_until(5 * S);
    CHECK_EQ_INT(testsim_delivered_count(), delivered + 2);
    d = testsim_delivered(delivered + 1);
    CHECK(d != NULL);
    if (d)
        CHECK_EQ_INT(d->node, w.cn_node);
    if (d)
        CHECK_EQ_MEM(d->bytes + 8, w.hoa, 16);
    teardown(&w);
}

static void
test_new_registration_after_move(void)
{
    struct world w;
    setup(&w);

    attach(&w, "fe80::2", "2001:1:0:2::");
    testsim_run_until(3 * S);
    struct mip6_mn_cn *c = correspondent(&w);
    uint16_t first_seq = c ? c->seq : 0;

    /* On the move route optimization stops until the new BU is accepted. */
    attach(&w, "fe80::3", "2001:1:0:3::");
    CHECK(!c->bound);
    testsim_run_until(6 * S);
    CHECK(c->bound);
    CHECK(c->seq == (uint16_t)(first_seq + 1));

    const struct mip6_cn_binding *b = mip6_cn_binding(w.cn, w.hoa);
    CHECK(b != NULL);
    if (b)
        CHECK_EQ_MEM(b->coa, w.mn->coa, 16);
    teardown(&w);
}

/* ns-3 sends from "::" through the correspondent's tunnel interface; the
 * correspondent fills in its address and keeps the UDP checksum valid. */
static void
test_unspecified_source_filled(void)
{
    struct world w;
    uint8_t pkt[128];
    static const uint8_t unspecified[16];
    struct ip6_packet p;
    const struct testsim_packet *s = NULL;
    setup(&w);

    attach(&w, "fe80::2", "2001:1:0:2::");
    testsim_run_until(3 * S);

    size_t len = build_udp(pkt, unspecified, w.hoa);
    uint16_t sum = ip6_checksum(unspecified, w.hoa, 17, pkt + 40, len - 40);
    put_u16(pkt + 46, sum);
    testsim_send_local(w.cn_node, pkt, len);
    CHECK(last_sent(w.cn_node, &p, &s));
    CHECK_EQ_MEM(p.hdr.src, w.cn_addr, 16);
    CHECK_EQ_INT(p.upper_proto, 17);
    /* Verified over the final destination, the home address. */
    if (s)
        CHECK_EQ_INT(ip6_checksum(w.cn_addr, w.hoa, 17, s->bytes + p.upper_offset, p.upper_len), 0);
    teardown(&w);
}

/* Back home, the mobile node deletes the correspondent's binding with a
 * BU from the home address authorized by the home token alone. */
static void
test_deregistration_from_home(void)
{
    struct world w;
    uint8_t pkt[128];
    setup(&w);

    attach(&w, "fe80::2", "2001:1:0:2::");
    testsim_run_until(3 * S);
    struct mip6_mn_cn *c = correspondent(&w);
    CHECK(c->bound);
    CHECK(mip6_cn_binding(w.cn, w.hoa) != NULL);

    testsim_link(w.mn_node, 0, 0);
    testsim_link(w.mn_node, 0, 1);
    testsim_inject(w.mn_node, 0, pkt, build_ra(pkt, "fe80::1", "2001:1:0:1::"));
    testsim_run_until(5 * S);
    CHECK_EQ_INT(w.mn->state, MN_AT_HOME);
    CHECK(!c->bound);
    CHECK(!c->registered);
    CHECK(!c->deregistering);
    CHECK(mip6_cn_binding(w.cn, w.hoa) == NULL);
    CHECK_EQ_INT(w.mn->node.drops, 0);
    teardown(&w);
}

/* With reuse_home_token a fresh home token survives a move (RFC 6275
 * §5.2.7), so only a CoTI runs; without it both tests run again. */
static void
test_home_token_reuse(void)
{
    for (int reuse = 0; reuse <= 1; reuse++) {
        struct world w;
        setup(&w);
        w.mn->cfg.reuse_home_token = reuse;

        attach(&w, "fe80::2", "2001:1:0:2::");
        testsim_run_until(3 * S);
        struct mip6_mn_cn *c = correspondent(&w);
        uint64_t home_token_at = c ? c->home_token_ns : 0;
        attach(&w, "fe80::3", "2001:1:0:3::");
        testsim_run_until(6 * S);
        CHECK(c->bound);
        if (reuse)
            CHECK(c->home_token_ns == home_token_at);
        else
            CHECK(c->home_token_ns > home_token_at);
        teardown(&w);
    }
}

/* The correspondent binding is renewed before it expires, and a home
 * token older than MAX_TOKEN_LIFETIME (210 s) is fetched again. */
static void
test_correspondent_binding_refreshed(void)
{
    struct world w;
    setup(&w);
    /* A home binding of 1000 s is refreshed at 900 s, so the correspondent
     * binding (capped at 420 s) must renew itself. */
    w.mn->cfg.lifetime_s = 1000;

    attach(&w, "fe80::2", "2001:1:0:2::");
    testsim_run_until(3 * S);
    struct mip6_mn_cn *c = correspondent(&w);
    CHECK(c->bound);
    if (!c) {
        teardown(&w);
        return;
    }
    uint16_t seq = c->seq;
    uint64_t home_token_at = c->home_token_ns;

    /* Granted 420 s: the refresh runs at 378 s, well before expiry. */
    testsim_run_until(3 * S + 420 * S);
    CHECK(c->bound);
    CHECK(c->seq != seq);
    CHECK(c->home_token_ns > home_token_at);
    const struct mip6_cn_binding *b = mip6_cn_binding(w.cn, w.hoa);
    CHECK(b != NULL);
    teardown(&w);
}

static bool
lose_cot(const uint8_t *pkt, size_t len)
{
    /* A CoT: Mobility Header type 4 right after the fixed header. */
    return len > 42 && pkt[6] == 135 && pkt[42] == 4;
}

static void
test_lost_cot_retried(void)
{
    struct world w;
    setup(&w);

    testsim_set_loss(lose_cot);
    attach(&w, "fe80::2", "2001:1:0:2::");
    testsim_run_until(3 * S);
    struct mip6_mn_cn *c = correspondent(&w);
    CHECK(c->have_home_token);
    CHECK(!c->have_care_of_token);
    CHECK(!c->bound);

    /* Once the CoT gets through, the retry (1 s, then 2 s) completes it. */
    testsim_set_loss(NULL);
    testsim_run_until(8 * S);
    CHECK(c->bound);
    teardown(&w);
}

/* Send times of the CoTIs (Mobility Header type 2, sent directly) of the mobile node. */
static size_t
coti_times(const struct world *w, uint64_t *times, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < testsim_sent_count() && n < max; i++) {
        const struct testsim_packet *s = testsim_sent(i);
        if (s->node == w->mn_node && s->len > 42 && s->bytes[6] == 135 && s->bytes[42] == 2)
            times[n++] = s->time_ns;
    }
    return n;
}

/*
 * RFC 6275 §11.8: moves every 200 ms restart return routability each
 * time, but no more than MAX_UPDATE_RATE (3) CoTIs go to the correspondent
 * within any second.  The held-back CoTI leaves when the limit allows, and
 * the binding follows the last care-of address.
 */
static void
test_update_rate_limited(void)
{
    struct world w;
    setup(&w);
    /* Registration right after each move, so every move restarts return routability. */
    w.mn->cfg.optimistic_dad = true;

    attach(&w, "fe80::2", "2001:1:0:2::");
    testsim_run_until(3 * S);
    struct mip6_mn_cn *c = correspondent(&w);
    CHECK(c->bound);
    for (int i = 0; i < 6; i++) {
        if (i % 2 == 0)
            attach(&w, "fe80::3", "2001:1:0:3::");
        else
            attach(&w, "fe80::2", "2001:1:0:2::");
        testsim_run_until(3 * S + (uint64_t)(i + 1) * S / 5);
    }
    testsim_run_until(8 * S);

    uint64_t times[64];
    size_t n = coti_times(&w, times, 64);
    /* CoTIs at 3.002, 3.202 and 3.402 s, then the moves at 3.6 and 3.8 s
     * wait, and one CoTI for the last move leaves at 4.002 s. */
    CHECK_EQ_INT(n, 5);
    for (size_t i = 3; i < n; i++)
        if (times[i] - times[i - 3] < S)
            CHECK_EQ_INT((int64_t)(times[i] - times[i - 3]), (int64_t)S);
    CHECK(c->bound);
    CHECK_EQ_MEM(c->coa, w.mn->coa, 16);
    teardown(&w);
}

CHECK_MAIN(TEST(test_return_routability_then_binding), TEST(test_traffic_skips_home_agent),
           TEST(test_new_registration_after_move), TEST(test_lost_cot_retried),
           TEST(test_unspecified_source_filled), TEST(test_correspondent_binding_refreshed),
           TEST(test_home_token_reuse), TEST(test_deregistration_from_home),
           TEST(test_update_rate_limited))
