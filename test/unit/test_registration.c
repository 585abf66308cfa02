/*
 * test_registration.c - mobile node and home agent models against each
 * other over the test simulator: movement detection, protected home
 * registration, retransmission, tunnelling both ways, the home agent's
 * checks on BUs, and the return home.
 *
 *   mn0, mn1 --(foreign links)--+
 *                               +-- ha (home link 2001:1:0:1::/64) -- cn
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "esp.h"
#include "ha.h"
#include "mh.h"
#include "mn.h"
#include "testnet.h"
#include "testsim.h"

#define MS 1000000ull
#define S 1000000000ull

static const uint8_t mac0[6] = {0x02, 0, 0, 0, 0, 0x10};
static const uint8_t mac1[6] = {0x02, 0, 0, 0, 0, 0x11};
static const uint8_t mac_ha[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t mac_cn[6] = {0x02, 0, 0, 0, 0, 0x09};

struct world {
    uint32_t ha_node, cn_node, mn_node[2];
    struct mip6_ha *ha;
    struct mip6_mn *mn[2];
    struct mip6_keys keys[2];
    uint8_t ha_addr[16], home_prefix[16], foreign_prefix[16], foreign2_prefix[16], cn_addr[16];
    uint8_t router_home[16], router_foreign[16], router_foreign2[16];
    uint8_t hoa[2][16];
};

static void
teardown(struct world *w)
{
    testsim_reset();
    mip6_mn_free(w->mn[0]);
    mip6_mn_free(w->mn[1]);
    mip6_ha_free(w->ha);
}

static void
setup(struct world *w)
{
    char err[256];

    memset(w, 0, sizeof *w);
    testsim_reset();
    w->ha_node = testsim_add_node();
    w->cn_node = testsim_add_node();
    w->mn_node[0] = testsim_add_node();
    w->mn_node[1] = testsim_add_node();
    testsim_add_iface(w->ha_node, mac_ha);
    testsim_add_iface(w->cn_node, mac_cn);
    testsim_add_iface(w->mn_node[0], mac0);
    testsim_add_iface(w->mn_node[1], mac1);

    testnet_addr(w->ha_addr, "2001:1:0:1::1");
    testnet_addr(w->home_prefix, "2001:1:0:1::");
    testnet_addr(w->foreign_prefix, "2001:1:0:2::");
    testnet_addr(w->foreign2_prefix, "2001:1:0:3::");
    testnet_addr(w->cn_addr, "2001:1:0:9::9");
    testnet_addr(w->router_home, "fe80::1");
    testnet_addr(w->router_foreign, "fe80::2");
    testnet_addr(w->router_foreign2, "fe80::3");
    sim_addr_add(w->ha_node, 0, w->ha_addr, 64);
    sim_addr_add(w->cn_node, 0, w->cn_addr, 64);

    struct mip6_ha_config hc;
    mip6_ha_config_default(&hc);
    memcpy(hc.address, w->ha_addr, 16);
    memcpy(hc.home_prefix, w->home_prefix, 16);
    w->ha = mip6_ha_install(w->ha_node, &hc, NULL, err, sizeof err);
    CHECK(w->ha != NULL);

    for (int i = 0; i < 2; i++) {
        struct mip6_mn_config mc;
        mip6_mn_config_default(&mc);
        ip6_addr_from_prefix_mac(w->hoa[i], w->home_prefix, i ? mac1 : mac0);
        memcpy(mc.home_address, w->hoa[i], 16);
        memcpy(mc.home_prefix, w->home_prefix, 16);
        memcpy(mc.home_agent, w->ha_addr, 16);
        w->mn[i] = mip6_mn_install(w->mn_node[i], &mc, NULL, err, sizeof err);
        CHECK(w->mn[i] != NULL);
        mip6_keys_derive(&w->keys[i], 7, (uint32_t)i, ESP_ENC_AES_128_CBC, ESP_AUTH_HMAC_SHA1_96);
        CHECK_EQ_INT(mip6_manual_sas(w->mn[i], w->ha, &w->keys[i], err, sizeof err), 0);
    }
}

/* Attach mobile node i to a foreign link. */
static void
attach(struct world *w, int i, const uint8_t router[16], const uint8_t prefix[16])
{
    testnet_move(w->mn_node[i], 0, i ? mac1 : mac0, router, prefix, true);
}

static size_t
build_udp(uint8_t *pkt, const uint8_t src[16], const uint8_t dst[16], uint32_t seq)
{
    uint8_t udp[20] = {0x30, 0x39, 0x04, 0xd2, 0, 20, 0, 0};
    udp[8] = (uint8_t)(seq >> 24);
    udp[9] = (uint8_t)(seq >> 16);
    udp[10] = (uint8_t)(seq >> 8);
    udp[11] = (uint8_t)seq;

    struct wr w = wr_init(pkt, 128);
    struct ip6_header h = {.payload_len = sizeof udp, .next_header = 17, .hop_limit = 63};
    memcpy(h.src, src, 16);
    memcpy(h.dst, dst, 16);
    ip6_write_header(&w, &h);
    wr_bytes(&w, udp, sizeof udp);
    return w.pos;
}

/* The last packet sent by node, or NULL. */
static const struct testsim_packet *
last_sent_by(uint32_t node)
{
    for (size_t i = testsim_sent_count(); i > 0; i--)
        if (testsim_sent(i - 1)->node == node)
            return testsim_sent(i - 1);
    return NULL;
}

static void
test_first_registration(void)
{
    struct world w;
    setup(&w);
    uint8_t pkt[128];

    /* The node starts at home: the home advertisement moves nothing. */
    size_t len = testnet_build_ra(pkt, w.router_home, w.home_prefix);
    testsim_inject(w.mn_node[0], 0, pkt, len);
    CHECK_EQ_INT(w.mn[0]->state, MN_AT_HOME);
    CHECK_EQ_INT(testsim_sent_count(), 0);

    testsim_run_until(1 * S);
    attach(&w, 0, w.router_foreign, w.foreign_prefix);
    CHECK_EQ_INT(w.mn[0]->state, MN_WAIT_COA);

    /* No BU before duplicate address detection ends (1 s). */
    testsim_run_until(1 * S + 999 * MS);
    CHECK_EQ_INT(testsim_sent_count(), 0);
    testsim_run_until(2 * S + 10 * MS);
    CHECK_EQ_INT(w.mn[0]->state, MN_REGISTERED);

    /* BU on the wire: IPv6(src CoA, dst HA) -> DO(HAO = HoA) -> ESP(SA1). */
    const struct testsim_packet *bu = testsim_sent(0);
    CHECK(bu != NULL);
    CHECK_EQ_INT(bu->node, w.mn_node[0]);
    struct ip6_packet p;
    CHECK_EQ_INT(ip6_parse(bu->bytes, bu->len, &p), IP6_OK);
    CHECK_EQ_INT(p.hdr.next_header, IP6_NH_DEST_OPTS);
    CHECK_EQ_MEM(p.hdr.src, w.mn[0]->coa, 16);
    CHECK_EQ_MEM(p.hdr.dst, w.ha_addr, 16);
    CHECK(p.has_hao);
    CHECK_EQ_MEM(p.hao, w.hoa[0], 16);
    CHECK_EQ_INT(p.upper_proto, IP6_NH_ESP);
    uint32_t spi = 0, seq = 0;
    esp_read_header(bu->bytes + p.upper_offset, p.upper_len, &spi, &seq);
    CHECK_EQ_INT(spi, w.keys[0].spi_mn_to_ha);
    CHECK_EQ_INT(seq, 1);

    /* BA on the wire: IPv6(src HA, dst CoA) -> RH2(HoA) -> ESP(SA2). */
    const struct testsim_packet *ba = last_sent_by(w.ha_node);
    CHECK(ba != NULL);
    CHECK_EQ_INT(ip6_parse(ba->bytes, ba->len, &p), IP6_OK);
    CHECK_EQ_INT(p.hdr.next_header, IP6_NH_ROUTING);
    CHECK_EQ_MEM(p.hdr.dst, w.mn[0]->coa, 16);
    CHECK(p.has_rh2);
    CHECK_EQ_MEM(p.rh2_addr, w.hoa[0], 16);
    esp_read_header(ba->bytes + p.upper_offset, p.upper_len, &spi, &seq);
    CHECK_EQ_INT(spi, w.keys[0].spi_ha_to_mn);

    struct mip6_binding *b = mip6_ha_binding(w.ha, w.hoa[0]);
    CHECK(b != NULL);
    if (b)
        CHECK_EQ_MEM(b->coa, w.mn[0]->coa, 16);
    CHECK_EQ_INT(w.ha->node.drops, 0);
    CHECK_EQ_INT(w.mn[0]->node.drops, 0);
    teardown(&w);
}

static void
test_tunnel_both_ways(void)
{
    struct world w;
    setup(&w);
    uint8_t pkt[128];

    attach(&w, 0, w.router_foreign, w.foreign_prefix);
    testsim_run_until(3 * S);
    CHECK_EQ_INT(w.mn[0]->state, MN_REGISTERED);
    size_t delivered = testsim_delivered_count();

    /* Correspondent -> home address arrives at the home agent, which
     * tunnels it to the care-of address; the mobile node decapsulates. */
    size_t len = build_udp(pkt, w.cn_addr, w.hoa[0], 42);
    testsim_inject(w.ha_node, 0, pkt, len);
    testsim_run_until(4 * S);
    CHECK_EQ_INT(testsim_delivered_count(), delivered + 1);
    const struct testsim_packet *d = testsim_delivered(delivered);
    CHECK(d != NULL);
    if (d) {
        CHECK_EQ_INT(d->node, w.mn_node[0]);
        CHECK_EQ_INT(d->len, len);
    }
    if (d)
        CHECK_EQ_MEM(d->bytes, pkt, len);

    /* Mobile node -> correspondent goes through the reverse tunnel with
     * the care-of address as outer source. */
    len = build_udp(pkt, w.hoa[0], w.cn_addr, 43);
    testsim_send_local(w.mn_node[0], pkt, len);
    const struct testsim_packet *outer = last_sent_by(w.mn_node[0]);
    struct ip6_packet p;
    CHECK(outer != NULL);
    CHECK_EQ_INT(ip6_parse(outer->bytes, outer->len, &p), IP6_OK);
    CHECK_EQ_INT(p.upper_proto, IP6_NH_IPV6);
    CHECK_EQ_MEM(p.hdr.src, w.mn[0]->coa, 16);
    testsim_run_until(5 * S);
    CHECK_EQ_INT(testsim_delivered_count(), delivered + 2);
    d = testsim_delivered(delivered + 1);
    CHECK(d != NULL);
    if (d)
        CHECK_EQ_INT(d->node, w.cn_node);

    /* A tunnelled packet from any other outer source is dropped. */
    uint64_t drops = w.ha->node.drops;
    uint8_t bad[256];
    struct wr wr = wr_init(bad, sizeof bad);
    struct ip6_header h = {.payload_len = len, .next_header = 41, .hop_limit = 64};
    memcpy(h.src, w.cn_addr, 16);
    memcpy(h.dst, w.ha_addr, 16);
    ip6_write_header(&wr, &h);
    wr_bytes(&wr, pkt, len);
    testsim_inject(w.ha_node, 0, bad, wr.pos);
    CHECK_EQ_INT(w.ha->node.drops, drops + 1);
    teardown(&w);
}

static bool
lose_everything_from_ha(const uint8_t *pkt, size_t len)
{
    static const uint8_t ha[16] = {0x20, 0x01, 0, 1, 0, 0, 0, 1, [15] = 1};
    (void)len;
    return memcmp(pkt + 8, ha, 16) == 0;
}

static void
test_retransmission_schedule(void)
{
    struct world w;
    setup(&w);

    testsim_set_loss(lose_everything_from_ha);
    attach(&w, 0, w.router_foreign, w.foreign_prefix);
    testsim_run_until(200 * S);

    /* RFC 6275 §11.8: the first timeout is 1.5 s on a first registration,
     * then it doubles up to 32 s and stays there.  Each BU has a new
     * sequence number. */
    static const uint64_t gaps_ms[] = {1500, 3000, 6000, 12000, 24000, 32000, 32000, 32000};
    size_t n = 0;
    uint64_t prev_time = 0;
    uint16_t prev_seq = 0;
    for (size_t i = 0; i < testsim_sent_count(); i++) {
        const struct testsim_packet *s = testsim_sent(i);
        if (s->node != w.mn_node[0])
            continue;
        struct ip6_packet p;
        uint32_t spi, seq;
        ip6_parse(s->bytes, s->len, &p);
        esp_read_header(s->bytes + p.upper_offset, p.upper_len, &spi, &seq);
        if (n > 0 && n - 1 < sizeof gaps_ms / sizeof gaps_ms[0])
            CHECK_EQ_INT(s->time_ns - prev_time, gaps_ms[n - 1] * MS);
        /* ESP sequence numbers count packets on the SA: 1, 2, 3, ... */
        CHECK_EQ_INT(seq, n + 1);
        (void)prev_seq;
        prev_time = s->time_ns;
        n++;
    }
    /* 1.5+3+6+12+24 = 46.5 s, then every 32 s until 199 s: 5 more. */
    CHECK_EQ_INT(n, 1 + 5 + 4);
    CHECK_EQ_INT(w.mn[0]->state, MN_REGISTERING);
    testsim_set_loss(NULL);
    teardown(&w);
}

/* Build a BU for hoa with care-of address coa, protected with the keys of
 * the given mobile-node-to-home-agent SA, and send it from coa.  This is
 * what a node that has (or stole) those keys could put on the wire. */
static void
send_forged_bu(struct world *w, uint32_t from_node, const uint8_t hoa[16], const uint8_t coa[16],
               const struct mip6_keys *k, uint16_t seq, bool protect, bool corrupt)
{
    uint8_t mh[64], payload[256];
    struct wr mw = wr_init(mh, sizeof mh);
    struct mh_msg msg = {.type = MH_BU};
    msg.bu.seq = seq;
    msg.bu.flags = MH_BU_FLAG_A | MH_BU_FLAG_H;
    msg.bu.lifetime = 100;
    msg.bu.has_alt_coa = true;
    memcpy(msg.bu.alt_coa, coa, 16);
    CHECK_EQ_INT(mh_encode(&mw, &msg, hoa, w->ha_addr), MH_OK);

    struct wr pw = wr_init(payload, sizeof payload);
    ip6_write_dest_opts_hao(&pw, protect ? IP6_NH_ESP : IP6_NH_MOBILITY, hoa);
    if (protect) {
        struct esp_sa sa;
        CHECK_EQ_INT(esp_sa_init(&sa, k->spi_mn_to_ha, k->enc, k->enc_key_mn_to_ha, ESP_AES_KEY_LEN,
                                 k->auth, k->auth_key_mn_to_ha, ESP_HMAC_SHA1_KEY_LEN),
                     ESP_OK);
        sa.seq = 1000;
        size_t start = pw.pos;
        CHECK_EQ_INT(esp_protect(&sa, IP6_NH_MOBILITY, mh, mw.pos, &pw), ESP_OK);
        if (corrupt)
            payload[start + 30] ^= 0x01;
        esp_sa_free(&sa);
    } else {
        wr_bytes(&pw, mh, mw.pos);
    }
    sim_ipv6_send(from_node, 0, coa, w->ha_addr, IP6_NH_DEST_OPTS, payload, pw.pos, NULL);
}

static void
test_home_agent_rejects(void)
{
    struct world w;
    setup(&w);

    attach(&w, 0, w.router_foreign, w.foreign_prefix);
    attach(&w, 1, w.router_foreign, w.foreign_prefix);
    testsim_run_until(3 * S);
    CHECK_EQ_INT(w.mn[0]->state, MN_REGISTERED);
    CHECK_EQ_INT(w.mn[1]->state, MN_REGISTERED);
    struct mip6_binding *a = mip6_ha_binding(w.ha, w.hoa[0]);
    CHECK(a != NULL);
    if (!a) {
        teardown(&w);
        return;
    }
    uint8_t coa_a[16];
    memcpy(coa_a, a->coa, 16);
    uint16_t seq_a = a->last_seq;
    uint8_t *coa_b = w.mn[1]->coa;

    /* RFC 3776 §4.2: mobile node 1 uses its own valid SA for node 0's home
     * address. ESP verifies, the selectors do not match, the BU is dropped. */
    uint64_t drops = w.ha->node.drops;
    send_forged_bu(&w, w.mn_node[1], w.hoa[0], coa_b, &w.keys[1], seq_a + 1, true, false);
    testsim_run_until(4 * S);
    CHECK_EQ_INT(w.ha->node.drops, drops + 1);
    CHECK_EQ_MEM(a->coa, coa_a, 16);
    CHECK_EQ_INT(a->last_seq, seq_a);

    /* RFC 3776 §4.1: a BU in clear text is dropped. */
    send_forged_bu(&w, w.mn_node[1], w.hoa[0], coa_b, &w.keys[0], seq_a + 1, false, false);
    testsim_run_until(5 * S);
    CHECK_EQ_INT(w.ha->node.drops, drops + 2);
    CHECK_EQ_MEM(a->coa, coa_a, 16);

    /* A BU under node 0's SA with a flipped ciphertext bit fails the ICV. */
    send_forged_bu(&w, w.mn_node[1], w.hoa[0], coa_b, &w.keys[0], seq_a + 1, true, true);
    testsim_run_until(6 * S);
    CHECK_EQ_INT(w.ha->node.drops, drops + 3);
    CHECK_EQ_MEM(a->coa, coa_a, 16);

    /* A BU under an SPI the home agent does not know. */
    struct mip6_keys unknown = w.keys[0];
    unknown.spi_mn_to_ha = 0xdead;
    send_forged_bu(&w, w.mn_node[1], w.hoa[0], coa_b, &unknown, seq_a + 1, true, false);
    testsim_run_until(7 * S);
    CHECK_EQ_INT(w.ha->node.drops, drops + 4);
    CHECK_EQ_MEM(a->coa, coa_a, 16);

    /* With node 0's keys and an old sequence number the BU is refused
     * with status 135 (manual keys have no anti-replay, RFC 3776 §4.4). */
    size_t sent = testsim_sent_count();
    send_forged_bu(&w, w.mn_node[1], w.hoa[0], coa_b, &w.keys[0], seq_a, true, false);
    testsim_run_until(8 * S);
    CHECK_EQ_MEM(a->coa, coa_a, 16);
    const struct testsim_packet *reply = last_sent_by(w.ha_node);
    CHECK(reply != NULL);
    CHECK(testsim_sent_count() > sent);
    CHECK_EQ_INT(w.mn[0]->state, MN_REGISTERED);
    teardown(&w);
}

static void
test_handoff_and_return_home(void)
{
    struct world w;
    setup(&w);
    uint8_t pkt[128];

    attach(&w, 0, w.router_foreign, w.foreign_prefix);
    testsim_run_until(3 * S);
    CHECK_EQ_INT(w.mn[0]->state, MN_REGISTERED);
    uint8_t first_coa[16];
    memcpy(first_coa, w.mn[0]->coa, 16);

    /* Second foreign link: a new care-of address and a new registration. */
    attach(&w, 0, w.router_foreign2, w.foreign2_prefix);
    testsim_run_until(6 * S);
    CHECK_EQ_INT(w.mn[0]->state, MN_REGISTERED);
    CHECK(memcmp(first_coa, w.mn[0]->coa, 16) != 0);
    struct mip6_binding *b = mip6_ha_binding(w.ha, w.hoa[0]);
    CHECK(b != NULL);
    if (b)
        CHECK_EQ_MEM(b->coa, w.mn[0]->coa, 16);

    /* Home again: the de-registration BU leaves from the home address with
     * ESP directly after the IPv6 header (RFC 3776 §3.1). */
    size_t sent = testsim_sent_count();
    testsim_link(w.mn_node[0], 0, 0);
    testsim_link(w.mn_node[0], 0, 1);
    size_t len = testnet_build_ra(pkt, w.router_home, w.home_prefix);
    testsim_inject(w.mn_node[0], 0, pkt, len);
    CHECK_EQ_INT(w.mn[0]->state, MN_DEREGISTERING);
    CHECK(testsim_sent_count() > sent);
    const struct testsim_packet *bu = testsim_sent(sent);
    struct ip6_packet p;
    CHECK_EQ_INT(ip6_parse(bu->bytes, bu->len, &p), IP6_OK);
    CHECK_EQ_INT(p.hdr.next_header, IP6_NH_ESP);
    CHECK_EQ_MEM(p.hdr.src, w.hoa[0], 16);
    CHECK(!p.has_hao);

    testsim_run_until(7 * S);
    CHECK_EQ_INT(w.mn[0]->state, MN_AT_HOME);
    CHECK(mip6_ha_binding(w.ha, w.hoa[0]) == NULL);
    const struct testsim_packet *ba = last_sent_by(w.ha_node);
    CHECK(ba != NULL);
    if (ba) {
        CHECK_EQ_INT(ip6_parse(ba->bytes, ba->len, &p), IP6_OK);
        CHECK(!p.has_rh2);
        CHECK_EQ_MEM(p.hdr.dst, w.hoa[0], 16);
    }
    teardown(&w);
}

static void
test_refresh_before_expiry(void)
{
    struct world w;
    setup(&w);

    attach(&w, 0, w.router_foreign, w.foreign_prefix);
    testsim_run_until(3 * S);
    CHECK_EQ_INT(w.mn[0]->state, MN_REGISTERED);
    uint16_t seq = mip6_ha_binding(w.ha, w.hoa[0])->last_seq;

    /* Lifetime 420 s is granted; the refresh goes out at 90% (378 s) and
     * the binding never lapses. */
    testsim_run_until(2 * S + 377 * S);
    CHECK_EQ_INT(mip6_ha_binding(w.ha, w.hoa[0])->last_seq, seq);
    testsim_run_until(2 * S + 380 * S);
    CHECK(mip6_ha_binding(w.ha, w.hoa[0]) != NULL);
    CHECK_EQ_INT(mip6_ha_binding(w.ha, w.hoa[0])->last_seq, (uint16_t)(seq + 1));
    testsim_run_until(1000 * S);
    CHECK(mip6_ha_binding(w.ha, w.hoa[0]) != NULL);
    teardown(&w);
}

/* RFC 3776 §4.3: the home agent binds the Alternate Care-of Address from
 * inside ESP, not the unprotected IPv6 source, so a source rewritten in
 * transit cannot redirect the binding. */
static void
test_binds_alternate_care_of(void)
{
    struct world w;
    setup(&w);

    attach(&w, 0, w.router_foreign, w.foreign_prefix);
    testsim_run_until(3 * S);
    struct mip6_binding *b = mip6_ha_binding(w.ha, w.hoa[0]);
    CHECK(b != NULL);
    if (!b) {
        teardown(&w);
        return;
    }

    /* A valid BU under node 0's SA whose outer source is node 1's CoA
     * (as if rewritten) and whose ACoA is a third address. */
    uint8_t acoa[16];
    testnet_addr(acoa, "2001:1:0:7::77");
    uint8_t mh[64], payload[256];
    struct wr mw = wr_init(mh, sizeof mh);
    struct mh_msg msg = {.type = MH_BU};
    msg.bu.seq = (uint16_t)(b->last_seq + 1);
    msg.bu.flags = MH_BU_FLAG_A | MH_BU_FLAG_H;
    msg.bu.lifetime = 100;
    msg.bu.has_alt_coa = true;
    memcpy(msg.bu.alt_coa, acoa, 16);
    CHECK_EQ_INT(mh_encode(&mw, &msg, w.hoa[0], w.ha_addr), MH_OK);
    struct wr pw = wr_init(payload, sizeof payload);
    ip6_write_dest_opts_hao(&pw, IP6_NH_ESP, w.hoa[0]);
    struct esp_sa sa;
    const struct mip6_keys *k = &w.keys[0];
    CHECK_EQ_INT(esp_sa_init(&sa, k->spi_mn_to_ha, k->enc, k->enc_key_mn_to_ha, ESP_AES_KEY_LEN,
                             k->auth, k->auth_key_mn_to_ha, ESP_HMAC_SHA1_KEY_LEN),
                 ESP_OK);
    sa.seq = 500;
    CHECK_EQ_INT(esp_protect(&sa, IP6_NH_MOBILITY, mh, mw.pos, &pw), ESP_OK);
    esp_sa_free(&sa);
    uint8_t other_source[16];
    testnet_addr(other_source, "2001:1:0:2::99");
    sim_addr_add(w.mn_node[1], 0, other_source, 64);
    sim_ipv6_send(w.mn_node[1], 0, other_source, w.ha_addr, IP6_NH_DEST_OPTS, payload, pw.pos,
                  NULL);
    testsim_run_until(4 * S);

    CHECK_EQ_MEM(b->coa, acoa, 16);
    teardown(&w);
}

static void
test_null_auth_rejected(void)
{
    struct world w;
    char err[256];
    setup(&w);
    struct mip6_keys k;
    mip6_keys_derive(&k, 1, 5, ESP_ENC_AES_128_CBC, ESP_AUTH_NULL);
    CHECK_EQ_INT(mip6_manual_sas(w.mn[0], w.ha, &k, err, sizeof err), -1);
    CHECK(strstr(err, "authentication") != NULL);
    teardown(&w);
}

CHECK_MAIN(TEST(test_first_registration), TEST(test_tunnel_both_ways),
           TEST(test_retransmission_schedule), TEST(test_home_agent_rejects),
           TEST(test_handoff_and_return_home), TEST(test_refresh_before_expiry),
           TEST(test_binds_alternate_care_of), TEST(test_null_auth_rejected))
