/*
 * test_router_nud.c - the mobile node's watch on its default router
 * (model/mn_nud.c).  Advertisements with the Advertisement Interval option
 * (RFC 6275 §7.3) keep it quiet.  A silence of ra_loss_intervals
 * intervals starts Neighbor Unreachability Detection of the router (RFC
 * 4861 §7.3.3).  A solicited advertisement, three unanswered probes or a
 * new router advertisement end it.
 *
 * The mobile node is alone on the test simulator: advertisements and
 * neighbor advertisements are injected, and its probes are read from the
 * log of sent packets.
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
/* fe80::ff:fe00:1 and fe80::ff:fe00:10, derived from the MAC addresses. */
static const uint8_t router_ll[16] = {0xfe, 0x80, [11] = 0xff, [12] = 0xfe, [15] = 0x01};
static const uint8_t host_ll[16] = {0xfe, 0x80, [11] = 0xff, [12] = 0xfe, [15] = 0x10};
static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 0x01};

struct world {
    uint32_t node, ifindex;
    struct mip6_mn *mn;
};

static void
setup(struct world *w, uint32_t loss_intervals, bool solicit)
{
    struct mip6_mn_config mc;
    char err[256];

    testsim_reset();
    w->node = testsim_add_node();
    w->ifindex = testsim_add_iface(w->node, mac_host);
    mip6_mn_config_default(&mc);
    mc.ifindex = w->ifindex;
    testnet_addr(mc.home_prefix, "2001:1:0:1::");
    testnet_addr(mc.home_address, "2001:1:0:1::10");
    testnet_addr(mc.home_agent, "2001:1:0:1::1");
    mc.ra_loss_intervals = loss_intervals;
    mc.router_solicitation = solicit;
    mc.rs_max_delay_ms = 0;
    w->mn = mip6_mn_install(w->node, &mc, NULL, err, sizeof err);
    CHECK(w->mn != NULL);
}

/* Inject an advertisement of the home prefix from the router, with an
 * Advertisement Interval option of interval_ms (none when 0). */
static void
inject_advert(const struct world *w, uint32_t interval_ms)
{
    uint8_t pkt[40 + ND_RA_MAX_LEN];
    struct nd_ra ra = {.router_lifetime_s = 1, .n_prefixes = 1};
    struct wr w_msg = wr_init(pkt + 40, ND_RA_MAX_LEN);

    testnet_addr(ra.prefixes[0].prefix, "2001:1:0:1::");
    ra.prefixes[0].prefix_len = 64;
    ra.prefixes[0].on_link = true;
    ra.prefixes[0].autonomous = true;
    ra.prefixes[0].valid_lifetime_s = 7200;
    ra.prefixes[0].preferred_lifetime_s = 3600;
    ra.has_adv_interval = interval_ms != 0;
    ra.adv_interval_ms = interval_ms;
    CHECK_EQ_INT(nd_encode_ra(&w_msg, &ra, mac_router, router_ll, all_nodes), ND_OK);

    struct ip6_header h = {.next_header = IP6_NH_ICMPV6, .hop_limit = 255};
    h.payload_len = w_msg.pos;
    memcpy(h.src, router_ll, 16);
    memcpy(h.dst, all_nodes, 16);
    struct wr w_hdr = wr_init(pkt, 40);
    CHECK_EQ_INT(ip6_write_header(&w_hdr, &h), IP6_OK);
    testsim_inject(w->node, w->ifindex, pkt, 40 + w_msg.pos);
}

/* Inject the router's Neighbor Advertisement for itself, S set or not. */
static void
inject_router_na(const struct world *w, bool solicited)
{
    uint8_t pkt[40 + ND_NEIGHBOR_MAX_LEN];
    struct nd_neighbor na = {.type = ND_NEIGHBOR_ADVERT,
                             .flags = ND_NA_FLAG_ROUTER | (solicited ? ND_NA_FLAG_SOLICITED : 0),
                             .has_link_addr = true};
    memcpy(na.target, router_ll, 16);
    memcpy(na.link_addr, mac_router, 6);
    struct wr w_msg = wr_init(pkt + 40, ND_NEIGHBOR_MAX_LEN);
    CHECK_EQ_INT(nd_encode_neighbor(&w_msg, &na, router_ll, host_ll), ND_OK);

    struct ip6_header h = {.next_header = IP6_NH_ICMPV6, .hop_limit = 255};
    h.payload_len = w_msg.pos;
    memcpy(h.src, router_ll, 16);
    memcpy(h.dst, host_ll, 16);
    struct wr w_hdr = wr_init(pkt, 40);
    CHECK_EQ_INT(ip6_write_header(&w_hdr, &h), IP6_OK);
    testsim_inject(w->node, w->ifindex, pkt, 40 + w_msg.pos);
}

/* Count the sent ICMPv6 messages of a type, and return the time of the
 * index-th one in *at when there is one. */
static size_t
count_sent(uint8_t type, size_t index, uint64_t *at)
{
    size_t n = 0;
    for (size_t i = 0; i < testsim_sent_count(); i++) {
        const struct testsim_packet *p = testsim_sent(i);
        if (p->len > 40 && p->bytes[6] == IP6_NH_ICMPV6 && p->bytes[40] == type) {
            if (n == index && at)
                *at = p->time_ns;
            n++;
        }
    }
    return n;
}

static void
test_adverts_keep_quiet(void)
{
    struct world w;
    setup(&w, 3, false);

    /* Advertisements 90 ms apart, each with a 90 ms interval. */
    for (int i = 0; i < 20; i++) {
        inject_advert(&w, 90);
        testsim_run_until(sim_now_ns() + 90 * MS);
    }
    CHECK(!w.mn->nud_running);
    CHECK_EQ_INT(count_sent(ND_NEIGHBOR_SOLICIT, 0, NULL), 0);

    /* Without the option there is nothing to watch. */
    inject_advert(&w, 0);
    testsim_run_until(sim_now_ns() + 5 * S);
    CHECK(!w.mn->nud_running);
    CHECK_EQ_INT(count_sent(ND_NEIGHBOR_SOLICIT, 0, NULL), 0);
    mip6_mn_free(w.mn);
}

static void
test_silence_probes_then_unreachable(void)
{
    struct world w;
    uint64_t at = 0;
    setup(&w, 3, false);

    uint64_t last = sim_now_ns();
    inject_advert(&w, 90);
    testsim_run_until(last + 269 * MS);
    CHECK(!w.mn->nud_running);

    /* Three intervals (270 ms) after the advertisement the first probe goes
     * to the router's own address, hop limit 255, with the node's
     * link-layer address. */
    testsim_run_until(last + 272 * MS);
    CHECK(w.mn->nud_running);
    CHECK_EQ_INT(count_sent(ND_NEIGHBOR_SOLICIT, 0, &at), 1);
    CHECK(at >= last + 270 * MS);
    CHECK(at <= last + 272 * MS);
    const struct testsim_packet *p = testsim_sent(testsim_sent_count() - 1);
    struct nd_neighbor ns;
    CHECK_EQ_INT(p->bytes[7], 255);
    CHECK_EQ_MEM(p->bytes + 8, host_ll, 16);
    CHECK_EQ_MEM(p->bytes + 24, router_ll, 16);
    CHECK_EQ_INT(
        nd_parse_neighbor(p->bytes + 40, p->len - 40, 255, p->bytes + 8, p->bytes + 24, &ns),
        ND_OK);
    CHECK_EQ_MEM(ns.target, router_ll, 16);
    CHECK(ns.has_link_addr);
    CHECK_EQ_MEM(ns.link_addr, mac_host, 6);

    /* Two more probes, RetransTimer (1 s) apart; after the third goes
     * unanswered the router is unreachable and probing stops. */
    testsim_run_until(at + 2 * S + 1 * MS);
    CHECK_EQ_INT(count_sent(ND_NEIGHBOR_SOLICIT, 0, NULL), 3);
    uint64_t third = 0;
    count_sent(ND_NEIGHBOR_SOLICIT, 2, &third);
    CHECK_EQ_INT(third - at, 2 * S);
    CHECK(w.mn->nud_running);
    testsim_run_until(at + 3 * S + 1 * MS);
    CHECK(!w.mn->nud_running);
    CHECK_EQ_INT(w.mn->nud_probes, 3);
    testsim_run_until(at + 10 * S);
    CHECK_EQ_INT(count_sent(ND_NEIGHBOR_SOLICIT, 0, NULL), 3);
    mip6_mn_free(w.mn);
}

static void
test_solicited_answer_ends_probing(void)
{
    struct world w;
    setup(&w, 2, false);

    inject_advert(&w, 100);
    testsim_run_until(sim_now_ns() + 201 * MS);
    CHECK(w.mn->nud_running);
    CHECK_EQ_INT(count_sent(ND_NEIGHBOR_SOLICIT, 0, NULL), 1);

    /* An unsolicited advertisement does not confirm reachability (RFC 4861
     * §7.3.3); a solicited one does. */
    inject_router_na(&w, false);
    testsim_run_until(sim_now_ns() + 2 * MS);
    CHECK(w.mn->nud_running);
    inject_router_na(&w, true);
    testsim_run_until(sim_now_ns() + 2 * MS);
    CHECK(!w.mn->nud_running);
    testsim_run_until(sim_now_ns() + 5 * S);
    CHECK_EQ_INT(count_sent(ND_NEIGHBOR_SOLICIT, 0, NULL), 1);
    mip6_mn_free(w.mn);
}

static void
test_advert_abandons_probing_and_solicits(void)
{
    struct world w;
    setup(&w, 3, true);

    inject_advert(&w, 90);
    testsim_run_until(sim_now_ns() + 280 * MS);
    CHECK(w.mn->nud_running);
    /* With router solicitation on, the loss also sends a solicitation. */
    CHECK_EQ_INT(count_sent(ND_ROUTER_SOLICIT, 0, NULL), 1);

    inject_advert(&w, 90);
    testsim_run_until(sim_now_ns() + 2 * MS);
    CHECK(!w.mn->nud_running);
    testsim_run_until(sim_now_ns() + 100 * MS);
    CHECK_EQ_INT(count_sent(ND_NEIGHBOR_SOLICIT, 0, NULL), 1);
    mip6_mn_free(w.mn);
}

static void
test_off_by_default(void)
{
    struct mip6_mn_config mc;
    mip6_mn_config_default(&mc);
    CHECK_EQ_INT(mc.ra_loss_intervals, 0);

    struct world w;
    setup(&w, 0, false);
    inject_advert(&w, 90);
    testsim_run_until(sim_now_ns() + 5 * S);
    CHECK(!w.mn->nud_running);
    CHECK_EQ_INT(count_sent(ND_NEIGHBOR_SOLICIT, 0, NULL), 0);
    mip6_mn_free(w.mn);
}

CHECK_MAIN(TEST(test_adverts_keep_quiet), TEST(test_silence_probes_then_unreachable),
           TEST(test_solicited_answer_ends_probing),
           TEST(test_advert_abandons_probing_and_solicits), TEST(test_off_by_default))
