/*
 * test_radvd.c - the router side of Neighbor Discovery: the Router
 * Advertisement and Solicitation codec (RFC 4861 §4.1, §4.2, §6.1.1, RFC
 * 6275 §7), the router advertisement daemon's schedule and its responses to
 * solicitations (RFC 4861 §6.2.4, §6.2.6), and the mobile node's
 * solicitations after a link up (§6.3.7).
 *
 * The test simulator delivers no multicast, so what the daemon and the
 * mobile node send is read from its log of sent packets, and
 * solicitations are injected into the router.
 */
#include <string.h>

#include "check.h"
#include "cursor.h"
#include "ipv6.h"
#include "mip6sec.h"
#include "mn.h"
#include "nd.h"
#include "testnet.h"
#include "testsim.h"

#define MS 1000000ull
#define S 1000000000ull

static const uint8_t mac_router[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t mac_host[6] = {0x02, 0, 0, 0, 0, 0x10};

/* fe80::ff:fe00:1, the link-local address ns-3 derives from mac_router. */
static const uint8_t router_ll[16] = {0xfe, 0x80, [11] = 0xff, [12] = 0xfe, [15] = 0x01};
static const uint8_t host_ll[16] = {0xfe, 0x80, [11] = 0xff, [12] = 0xfe, [15] = 0x10};
static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 0x01};
static const uint8_t all_routers[16] = {0xff, 0x02, [15] = 0x02};
static const uint8_t unspecified[16];

static void
sample_ra(struct nd_ra *ra)
{
    memset(ra, 0, sizeof *ra);
    ra->router_lifetime_s = 1800;
    ra->home_agent = true;
    ra->n_prefixes = 1;
    testnet_addr(ra->prefixes[0].prefix, "2001:1:0:1::");
    ra->prefixes[0].prefix_len = 64;
    ra->prefixes[0].on_link = true;
    ra->prefixes[0].autonomous = true;
    ra->prefixes[0].valid_lifetime_s = 7200;
    ra->prefixes[0].preferred_lifetime_s = 3600;
    ra->has_adv_interval = true;
    ra->adv_interval_ms = 90;
    ra->has_ha_info = true;
    ra->ha_info.preference = -5;
    ra->ha_info.lifetime_s = 600;
}

static void
test_ra_round_trip(void)
{
    struct nd_ra ra, back;
    uint8_t msg[ND_RA_MAX_LEN];
    struct wr w = wr_init(msg, sizeof msg);

    sample_ra(&ra);
    CHECK_EQ_INT(nd_encode_ra(&w, &ra, mac_router, router_ll, all_nodes), ND_OK);
    /* 16 fixed, 8 link-layer address, 32 prefix, 8 + 8 Mobile IPv6 options */
    CHECK_EQ_INT(w.pos, 72);
    CHECK_EQ_INT(ip6_checksum(router_ll, all_nodes, IP6_NH_ICMPV6, msg, w.pos), 0);
    CHECK_EQ_INT(msg[4], 64);   /* Cur Hop Limit */
    CHECK_EQ_INT(msg[5], 0x20); /* H only */
    CHECK_EQ_INT(msg[16], 1);   /* the link-layer address option comes first */
    CHECK_EQ_MEM(msg + 18, mac_router, 6);
    CHECK_EQ_INT(msg[24], 3); /* then the prefix */
    CHECK_EQ_INT(msg[56], 7); /* then the Advertisement Interval */
    CHECK_EQ_INT(msg[64], 8); /* and the Home Agent Information option last */

    CHECK_EQ_INT(nd_parse_ra(msg, w.pos, 255, router_ll, &back), ND_OK);
    CHECK_EQ_INT(back.router_lifetime_s, 1800);
    CHECK(back.home_agent);
    CHECK_EQ_INT(back.n_prefixes, 1);
    CHECK_EQ_MEM(back.prefixes[0].prefix, ra.prefixes[0].prefix, 16);
    CHECK_EQ_INT(back.prefixes[0].prefix_len, 64);
    CHECK(back.prefixes[0].on_link && back.prefixes[0].autonomous);
    CHECK(!back.prefixes[0].router_addr);
    CHECK_EQ_INT(back.prefixes[0].valid_lifetime_s, 7200);
    CHECK_EQ_INT(back.prefixes[0].preferred_lifetime_s, 3600);
    CHECK(back.has_adv_interval);
    CHECK_EQ_INT(back.adv_interval_ms, 90);
    CHECK(back.has_ha_info);
    CHECK_EQ_INT(back.ha_info.preference, -5);
    CHECK_EQ_INT(back.ha_info.lifetime_s, 600);
}

static void
test_ra_encoder_rejects(void)
{
    static const struct {
        const char *name;
        int field;
    } cases[] = {
        {"global source", 0},     {"prefix length 129", 1}, {"preferred above valid", 2},
        {"HA info without H", 3}, {"HA lifetime 0", 4},     {"too many prefixes", 5},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nd_ra ra;
        uint8_t msg[ND_RA_MAX_LEN], src[16];
        struct wr w = wr_init(msg, sizeof msg);

        sample_ra(&ra);
        memcpy(src, router_ll, 16);
        switch (cases[i].field) {
        case 0:
            testnet_addr(src, "2001:1:0:1::1");
            break;
        case 1:
            ra.prefixes[0].prefix_len = 129;
            break;
        case 2:
            ra.prefixes[0].preferred_lifetime_s = 7201;
            break;
        case 3:
            ra.home_agent = false;
            break;
        case 4:
            ra.ha_info.lifetime_s = 0;
            break;
        case 5:
            ra.n_prefixes = ND_MAX_PREFIXES + 1;
            break;
        }
        enum nd_status st = nd_encode_ra(&w, &ra, mac_router, src, all_nodes);
        if (st != ND_BAD_FIELD)
            fprintf(stderr, "case '%s': %s\n", cases[i].name, nd_status_name(st));
        CHECK_EQ_INT(st, ND_BAD_FIELD);
        CHECK_EQ_INT(w.pos, 0);
    }

    struct nd_ra ra;
    uint8_t small[40];
    struct wr w = wr_init(small, sizeof small);
    sample_ra(&ra);
    CHECK_EQ_INT(nd_encode_ra(&w, &ra, mac_router, router_ll, all_nodes), ND_NO_SPACE);
}

/* Encode a solicitation from src with the host's link-layer address. */
static size_t
build_rs(uint8_t *msg, size_t cap, const uint8_t src[16], bool link_addr)
{
    struct wr w = wr_init(msg, cap);
    struct nd_rs rs = {.has_link_addr = link_addr};

    memcpy(rs.link_addr, mac_host, 6);
    CHECK_EQ_INT(nd_encode_rs(&w, &rs, src, all_routers), ND_OK);
    return w.pos;
}

static void
test_rs_codec(void)
{
    uint8_t msg[ND_RS_MAX_LEN + 8];
    struct nd_rs out;
    size_t len = build_rs(msg, sizeof msg, host_ll, true);

    CHECK_EQ_INT(len, 16);
    CHECK_EQ_INT(nd_parse_rs(msg, len, 255, host_ll, all_routers, &out), ND_OK);
    CHECK(out.has_link_addr);
    CHECK_EQ_MEM(out.link_addr, mac_host, 6);

    /* RFC 4861 §6.1.1, one rule at a time. */
    CHECK_EQ_INT(nd_parse_rs(msg, 7, 255, host_ll, all_routers, &out), ND_TRUNCATED);
    CHECK_EQ_INT(nd_parse_rs(msg, len, 64, host_ll, all_routers, &out), ND_BAD_HOP_LIMIT);
    CHECK_EQ_INT(nd_parse_rs(msg, len, 255, router_ll, all_routers, &out), ND_BAD_CHECKSUM);
    msg[0] = ND_ROUTER_ADVERT;
    CHECK_EQ_INT(nd_parse_rs(msg, len, 255, host_ll, all_routers, &out), ND_NOT_RS);
    msg[0] = ND_ROUTER_SOLICIT;

    uint8_t bad[16];
    memcpy(bad, msg, len);
    bad[1] = 1; /* code 1, with a checksum that matches */
    put_u16(bad + 2, 0);
    put_u16(bad + 2, ip6_checksum(host_ll, all_routers, IP6_NH_ICMPV6, bad, len));
    CHECK_EQ_INT(nd_parse_rs(bad, len, 255, host_ll, all_routers, &out), ND_BAD_CODE);

    memcpy(bad, msg, len);
    bad[9] = 0; /* option length 0 */
    put_u16(bad + 2, 0);
    put_u16(bad + 2, ip6_checksum(host_ll, all_routers, IP6_NH_ICMPV6, bad, len));
    CHECK_EQ_INT(nd_parse_rs(bad, len, 255, host_ll, all_routers, &out), ND_BAD_OPTION);

    /* No link-layer address option from the unspecified address. */
    struct wr w = wr_init(bad, sizeof bad);
    struct nd_rs with_addr = {.has_link_addr = true};
    CHECK_EQ_INT(nd_encode_rs(&w, &with_addr, unspecified, all_routers), ND_BAD_FIELD);
    len = build_rs(msg, sizeof msg, unspecified, false);
    CHECK_EQ_INT(nd_parse_rs(msg, len, 255, unspecified, all_routers, &out), ND_OK);
    msg[8] = 1;
    msg[9] = 1;
    memcpy(msg + 10, mac_host, 6);
    put_u16(msg + 2, 0);
    put_u16(msg + 2, ip6_checksum(unspecified, all_routers, IP6_NH_ICMPV6, msg, 16));
    CHECK_EQ_INT(nd_parse_rs(msg, 16, 255, unspecified, all_routers, &out), ND_BAD_UNSPECIFIED);

    /* The rule holds for an option of any Length, here 2 (16 bytes). */
    msg[9] = 2;
    memset(msg + 16, 0, 8);
    put_u16(msg + 2, 0);
    put_u16(msg + 2, ip6_checksum(unspecified, all_routers, IP6_NH_ICMPV6, msg, 24));
    CHECK_EQ_INT(nd_parse_rs(msg, 24, 255, unspecified, all_routers, &out), ND_BAD_UNSPECIFIED);
}

static void
test_config_check(void)
{
    struct mip6_radvd_config cfg;
    char err[256];

    mip6_radvd_config_default(&cfg);
    CHECK(mip6_radvd_config_check(&cfg, err, sizeof err));
    cfg.min_interval_ms = 20;
    CHECK(!mip6_radvd_config_check(&cfg, err, sizeof err));
    CHECK(strstr(err, "20-70 ms") != NULL);

    mip6_radvd_config_default(&cfg);
    cfg.min_interval_ms = 60; /* above 0.75 x 70 */
    CHECK(!mip6_radvd_config_check(&cfg, err, sizeof err));

    mip6_radvd_config_default(&cfg);
    cfg.router_lifetime_s = 9001;
    CHECK(!mip6_radvd_config_check(&cfg, err, sizeof err));

    mip6_radvd_config_default(&cfg);
    cfg.min_delay_between_ras_ms = 29;
    CHECK(!mip6_radvd_config_check(&cfg, err, sizeof err));
    CHECK(strstr(err, "29 ms") != NULL);
}

struct router {
    uint32_t node, ifindex;
    struct mip6_radvd *radvd;
};

static void
start_router(struct router *r, const struct mip6_radvd_config *base)
{
    struct mip6_radvd_config cfg = *base;
    char err[256];

    testsim_reset();
    r->node = testsim_add_node();
    r->ifindex = testsim_add_iface(r->node, mac_router);
    cfg.ifindex = r->ifindex;
    testnet_addr(cfg.prefix, "2001:1:0:2::");
    r->radvd = mip6_radvd_install(r->node, &cfg, NULL, err, sizeof err);
    CHECK(r->radvd != NULL);
}

/* Times of the advertisements in the send log, from index *from on. */
static size_t
advert_times(size_t from, uint64_t *times, size_t cap)
{
    size_t n = 0;
    for (size_t i = from; i < testsim_sent_count() && n < cap; i++) {
        const struct testsim_packet *p = testsim_sent(i);
        if (p->len > 40 && p->bytes[6] == IP6_NH_ICMPV6 && p->bytes[40] == ND_ROUTER_ADVERT)
            times[n++] = p->time_ns;
    }
    return n;
}

static void
test_periodic_schedule(void)
{
    struct mip6_radvd_config cfg;
    struct router r;
    uint64_t times[400];

    mip6_radvd_config_default(&cfg);
    cfg.home_agent = true;
    start_router(&r, &cfg);
    testsim_run_until(10 * S);

    size_t n = advert_times(0, times, 400);
    /* 10 s at 30-70 ms apart: between 142 and 334 advertisements. */
    CHECK(n >= 142 && n <= 334);
    CHECK(times[0] <= 70 * MS);
    for (size_t i = 1; i < n; i++) {
        uint64_t gap = times[i] - times[i - 1];
        CHECK(gap >= 30 * MS && gap <= 70 * MS);
    }

    /* Every one is a valid advertisement from the link-local address,
     * with hop limit 255 and both Mobile IPv6 options. */
    const struct testsim_packet *p = testsim_sent(0);
    struct nd_ra ra;
    CHECK_EQ_INT(p->bytes[7], 255);
    CHECK_EQ_MEM(p->bytes + 8, router_ll, 16);
    CHECK_EQ_MEM(p->bytes + 24, all_nodes, 16);
    CHECK_EQ_INT(nd_parse_ra(p->bytes + 40, p->len - 40, p->bytes[7], p->bytes + 8, &ra), ND_OK);
    CHECK_EQ_INT(
        ip6_checksum(p->bytes + 8, p->bytes + 24, IP6_NH_ICMPV6, p->bytes + 40, p->len - 40), 0);
    CHECK(ra.home_agent);
    CHECK(ra.has_adv_interval);
    CHECK_EQ_INT(ra.adv_interval_ms, 90); /* 70 ms + 20 ms, RFC 6275 §7.5 */
    CHECK(ra.has_ha_info);
    CHECK_EQ_INT(ra.ha_info.lifetime_s, 1); /* the router lifetime: 3 x 70 ms, rounded up */
    CHECK_EQ_INT(ra.router_lifetime_s, 1);

    struct mip6_radvd_stats st;
    mip6_radvd_stats(r.radvd, &st);
    CHECK_EQ_INT(st.unsolicited, n);
    CHECK_EQ_INT(st.solicited, 0);
    mip6_radvd_free(r.radvd);
}

static void
test_options_off(void)
{
    struct mip6_radvd_config cfg;
    struct router r;
    struct nd_ra ra;

    mip6_radvd_config_default(&cfg);
    cfg.adv_interval_option = false;
    cfg.min_interval_ms = 3000;
    cfg.max_interval_ms = 5000;
    start_router(&r, &cfg);
    testsim_run_until(6 * S);
    CHECK(testsim_sent_count() >= 1);
    const struct testsim_packet *p = testsim_sent(0);
    CHECK_EQ_INT(nd_parse_ra(p->bytes + 40, p->len - 40, 255, p->bytes + 8, &ra), ND_OK);
    CHECK(!ra.home_agent);
    CHECK(!ra.has_adv_interval);
    CHECK(!ra.has_ha_info);
    CHECK_EQ_INT(ra.router_lifetime_s, 15);
    mip6_radvd_free(r.radvd);
}

/* Inject a solicitation from the host into the router now. */
static void
inject_rs(const struct router *r, uint8_t hop_limit)
{
    uint8_t pkt[40 + ND_RS_MAX_LEN];
    size_t len = build_rs(pkt + 40, ND_RS_MAX_LEN, host_ll, true);
    struct ip6_header h = {.next_header = IP6_NH_ICMPV6, .hop_limit = hop_limit};

    h.payload_len = len;
    memcpy(h.src, host_ll, 16);
    memcpy(h.dst, all_routers, 16);
    struct wr w = wr_init(pkt, 40);
    CHECK_EQ_INT(ip6_write_header(&w, &h), IP6_OK);
    testsim_inject(r->node, r->ifindex, pkt, 40 + len);
}

static void
test_responds_to_solicitation(void)
{
    struct mip6_radvd_config cfg;
    struct router r;
    uint64_t times[16];

    /* Slow periodic advertisements and the fastest responses RFC 6275 §7.5
     * allows: the response comes within MAX_RA_DELAY_TIME. */
    mip6_radvd_config_default(&cfg);
    cfg.min_interval_ms = 3000;
    cfg.max_interval_ms = 4000;
    cfg.min_delay_between_ras_ms = 30;
    cfg.max_ra_delay_ms = 100;
    start_router(&r, &cfg);
    testsim_run_until(5 * S);
    size_t before = testsim_sent_count();
    uint64_t t = sim_now_ns();
    inject_rs(&r, 255);
    testsim_run_until(t + 200 * MS);
    size_t n = advert_times(before, times, 16);
    CHECK_EQ_INT(n, 1);
    CHECK(n == 1 && times[0] >= t && times[0] <= t + 100 * MS);

    struct mip6_radvd_stats st;
    mip6_radvd_stats(r.radvd, &st);
    CHECK_EQ_INT(st.rs_received, 1);
    CHECK_EQ_INT(st.solicited, 1);

    /* A solicitation with hop limit 64 is invalid and gets no response. */
    before = testsim_sent_count();
    t = sim_now_ns();
    inject_rs(&r, 64);
    testsim_run_until(t + 200 * MS);
    mip6_radvd_stats(r.radvd, &st);
    CHECK_EQ_INT(st.rs_invalid, 1);
    CHECK_EQ_INT(advert_times(before, times, 16), 0);
    mip6_radvd_free(r.radvd);
}

static void
test_response_waits_min_delay(void)
{
    struct mip6_radvd_config cfg;
    struct router r;
    uint64_t times[16];

    /* RFC 4861 §6.2.6: no sooner than MIN_DELAY_BETWEEN_RAS (3 s) after
     * the last advertisement, plus the random delay. */
    mip6_radvd_config_default(&cfg);
    cfg.min_interval_ms = 6000;
    cfg.max_interval_ms = 8000;
    start_router(&r, &cfg);
    while (advert_times(0, times, 16) == 0 && sim_now_ns() < 10 * S)
        testsim_run_until(sim_now_ns() + 10 * MS);
    CHECK_EQ_INT(advert_times(0, times, 16), 1);
    uint64_t last = times[0];
    testsim_run_until(last + 100 * MS);
    size_t before = testsim_sent_count();
    inject_rs(&r, 255);
    testsim_run_until(last + 3600 * MS);
    CHECK_EQ_INT(advert_times(before, times, 16), 1);
    CHECK(times[0] >= last + 3000 * MS && times[0] <= last + 3500 * MS);
    mip6_radvd_free(r.radvd);
}

/* A mobile node with its interface on a foreign link. */
static struct mip6_mn *
start_mobile_node(uint32_t *node, uint32_t *ifindex, uint32_t rs_max_delay_ms)
{
    struct mip6_mn_config mc;
    char err[256];

    testsim_reset();
    *node = testsim_add_node();
    *ifindex = testsim_add_iface(*node, mac_host);
    mip6_mn_config_default(&mc);
    mc.ifindex = *ifindex;
    testnet_addr(mc.home_prefix, "2001:1:0:1::");
    testnet_addr(mc.home_address, "2001:1:0:1::10");
    testnet_addr(mc.home_agent, "2001:1:0:1::1");
    mc.router_solicitation = true;
    mc.rs_max_delay_ms = rs_max_delay_ms;
    struct mip6_mn *mn = mip6_mn_install(*node, &mc, NULL, err, sizeof err);
    CHECK(mn != NULL);
    return mn;
}

/* Times of the solicitations in the send log. */
static size_t
solicitation_times(uint64_t *times, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < testsim_sent_count() && n < cap; i++) {
        const struct testsim_packet *p = testsim_sent(i);
        if (p->len > 40 && p->bytes[6] == IP6_NH_ICMPV6 && p->bytes[40] == ND_ROUTER_SOLICIT)
            times[n++] = p->time_ns;
    }
    return n;
}

static void
test_mobile_node_solicits(void)
{
    uint32_t node, ifindex;
    uint64_t times[8];
    struct mip6_mn *mn = start_mobile_node(&node, &ifindex, 1000);

    testsim_run_until(2 * S);
    testsim_link(node, ifindex, 0);
    testsim_link(node, ifindex, 1);
    testsim_run_until(20 * S);

    /* The first within MAX_RTR_SOLICITATION_DELAY of the link up, then two
     * more RTR_SOLICITATION_INTERVAL (4 s) apart, as no advertisement came. */
    size_t n = solicitation_times(times, 8);
    CHECK_EQ_INT(n, 3);
    CHECK(times[0] >= 2 * S && times[0] <= 3 * S);
    CHECK(n == 3 && times[1] - times[0] == 4 * S && times[2] - times[1] == 4 * S);

    const struct testsim_packet *p = testsim_sent(0);
    struct nd_rs rs;
    CHECK_EQ_INT(p->bytes[7], 255);
    CHECK_EQ_MEM(p->bytes + 8, host_ll, 16);
    CHECK_EQ_MEM(p->bytes + 24, all_routers, 16);
    CHECK_EQ_INT(nd_parse_rs(p->bytes + 40, p->len - 40, 255, p->bytes + 8, p->bytes + 24, &rs),
                 ND_OK);
    CHECK(rs.has_link_addr);
    CHECK_EQ_MEM(rs.link_addr, mac_host, 6);
    mip6_mn_free(mn);
}

static void
test_advert_stops_solicitations(void)
{
    uint32_t node, ifindex;
    uint64_t times[8];
    uint8_t ra[TESTNET_RA_LEN], prefix[16];
    struct mip6_mn *mn = start_mobile_node(&node, &ifindex, 0);

    testsim_run_until(1 * S);
    testsim_link(node, ifindex, 1);
    testsim_run_until(1 * S + 1 * MS);
    /* With no delay allowed, the solicitation leaves at the link up. */
    CHECK_EQ_INT(solicitation_times(times, 8), 1);
    CHECK(times[0] - 1 * S < 1 * MS);

    testnet_addr(prefix, "2001:1:0:2::");
    size_t len = testnet_build_ra(ra, router_ll, prefix);
    testsim_inject(node, ifindex, ra, len);
    testsim_run_until(20 * S);
    CHECK_EQ_INT(solicitation_times(times, 8), 1);
    mip6_mn_free(mn);
}

CHECK_MAIN(TEST(test_ra_round_trip), TEST(test_ra_encoder_rejects), TEST(test_rs_codec),
           TEST(test_config_check), TEST(test_periodic_schedule), TEST(test_options_off),
           TEST(test_responds_to_solicitation), TEST(test_response_waits_min_delay),
           TEST(test_mobile_node_solicits), TEST(test_advert_stops_solicitations))
