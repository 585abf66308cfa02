/*
 * world.c - the home agent, mobile node and correspondent of world.h.
 */
#include "world.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipv6.h"
#include "testsim.h"

#define NS_PER_S 1000000000ull

/* Duplicate address detection takes 1 s.  IKE_SA_INIT, IKE_AUTH, the BU and
 * two CREATE_CHILD_SA exchanges take about 10 ms more with the default cost
 * table, and the rest is slack for slower tables. */
#define WORLD_IKE_SETUP_NS (4 * NS_PER_S)

static const uint8_t mac_mn[6] = {0x02, 0, 0, 0, 0, 0x10};
static const uint8_t mac_ha[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t mac_cn[6] = {0x02, 0, 0, 0, 0, 0x09};

/* The home agent's address, for the loss function that has no context. */
static uint8_t lost_source[16];

static void
fail(const char *what)
{
    fprintf(stderr, "world: %s\n", what);
    abort();
}

static void
addr(uint8_t out[16], const char *text)
{
    if (ip6_addr_from_text(text, out) != IP6_OK)
        fail("invalid address text");
}

static bool
lose_from_home_agent(const uint8_t *pkt, size_t len)
{
    return len >= IP6_HEADER_LEN && memcmp(pkt + 8, lost_source, 16) == 0;
}

size_t
world_ra(uint8_t *pkt, const uint8_t router[16], const uint8_t prefix[16])
{
    static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
    /* RFC 4861 §4.2 header: hop limit 64, router lifetime 1800 s. */
    uint8_t icmp[48] = {134, 0, 0, 0, 64, 0, 0x07, 0x08};
    uint8_t *pio = icmp + 16;

    /* RFC 4861 §4.6.2 Prefix Information: length 4, /64, L and A set. */
    pio[0] = 3;
    pio[1] = 4;
    pio[2] = 64;
    pio[3] = 0xc0;
    memset(pio + 4, 0xff, 8);
    memcpy(pio + 16, prefix, 16);

    struct wr w = wr_init(pkt, WORLD_RA_LEN);
    struct ip6_header h = {
        .payload_len = sizeof icmp, .next_header = IP6_NH_ICMPV6, .hop_limit = 255};
    memcpy(h.src, router, 16);
    memcpy(h.dst, all_nodes, 16);
    ip6_write_header(&w, &h);
    wr_bytes(&w, icmp, sizeof icmp);
    return w.pos;
}

/* Move the mobile node to the link of router and prefix, as ns-3 would. */
static void
attach(struct world *w, const uint8_t router[16], const uint8_t prefix[16], bool home)
{
    uint8_t pkt[WORLD_RA_LEN];

    testsim_link(w->mn_node, 0, 0);
    testsim_link(w->mn_node, 0, 1);
    testsim_inject(w->mn_node, 0, pkt, world_ra(pkt, router, prefix));
    if (!home)
        sim_addr_add(w->mn_node, 0, w->coa, 64);
}

/* Install the home agent and the mobile node models, without SAs. */
static void
install_home_agent_and_mobile_node(struct world *w)
{
    char err[256];

    struct mip6_ha_config hc;
    mip6_ha_config_default(&hc);
    memcpy(hc.address, w->ha_addr, 16);
    memcpy(hc.home_prefix, w->home_prefix, 16);
    w->ha = mip6_ha_install(w->ha_node, &hc, NULL, err, sizeof err);
    if (!w->ha)
        fail(err);

    struct mip6_mn_config mc;
    mip6_mn_config_default(&mc);
    memcpy(mc.home_address, w->hoa, 16);
    memcpy(mc.home_prefix, w->home_prefix, 16);
    memcpy(mc.home_agent, w->ha_addr, 16);
    w->mn = mip6_mn_install(w->mn_node, &mc, NULL, err, sizeof err);
    if (!w->mn)
        fail(err);
}

static void
install(struct world *w)
{
    char err[256];

    install_home_agent_and_mobile_node(w);
    mip6_keys_derive(&w->keys, WORLD_KEY_SEED, 0, ESP_ENC_AES_128_CBC, ESP_AUTH_HMAC_SHA1_96);
    if (mip6_manual_sas(w->mn, w->ha, &w->keys, err, sizeof err) != 0)
        fail(err);
    /* The scenario's default: HoTI and HoT in ESP tunnel mode, so the
     * tunnel-interface policies and tunnel SAs take part in every input. */
    struct mip6_tunnel_keys tunnel = {
        .protect = MIP6_TUNNEL_ESP_RR,
        .seed = WORLD_KEY_SEED,
        .mn_index = 0,
        .enc = ESP_ENC_AES_128_CBC,
        .auth = ESP_AUTH_HMAC_SHA1_96,
    };
    if (mip6_tunnel_sas(w->mn, w->ha, &tunnel, err, sizeof err) != 0)
        fail(err);

    /* The correspondent runs the route optimization model, so inputs reach
     * return routability and correspondent registration on both sides. */
    struct mip6_cn_config cc;
    mip6_cn_config_default(&cc);
    cc.ifindex = 0;
    memcpy(cc.address, w->cn_addr, 16);
    w->cn = mip6_cn_install(w->cn_node, &cc, NULL, err, sizeof err);
    if (!w->cn || mip6_mn_route_optimize(w->mn, w->cn_addr, err, sizeof err) != 0)
        fail(err);
}

/* Run the mobile node to stage; the BA of a stage that ends waiting is lost. */
static void
advance(struct world *w, enum world_stage stage)
{
    if (stage == WORLD_AT_HOME)
        return;

    memcpy(lost_source, w->ha_addr, 16);
    testsim_set_loss(stage == WORLD_REGISTERING ? lose_from_home_agent : NULL);
    attach(w, w->router_foreign, w->foreign_prefix, false);
    /* Duplicate address detection takes 1 s and the first retransmission
     * would follow 1.5 s after the BU, so by 2.2 s exactly one BU is sent. */
    testsim_run_until(sim_now_ns() + 2200 * NS_PER_S / 1000);

    if (stage == WORLD_DEREGISTERING) {
        testsim_set_loss(lose_from_home_agent);
        attach(w, w->router_home, w->home_prefix, true);
        testsim_run_until(sim_now_ns() + NS_PER_S / 2);
    }
    testsim_set_loss(NULL);
}

static enum mip6_mn_state
expected_state(enum world_stage stage)
{
    switch (stage) {
    case WORLD_REGISTERING:
        return MN_REGISTERING;
    case WORLD_REGISTERED:
        return MN_REGISTERED;
    case WORLD_DEREGISTERING:
        return MN_DEREGISTERING;
    default:
        return MN_AT_HOME;
    }
}

/* Reset the simulator and create the three nodes with their addresses. */
static void
create_nodes(struct world *w)
{
    memset(w, 0, sizeof *w);
    testsim_reset();
    w->ha_node = testsim_add_node();
    w->cn_node = testsim_add_node();
    w->mn_node = testsim_add_node();
    testsim_add_iface(w->ha_node, mac_ha);
    testsim_add_iface(w->cn_node, mac_cn);
    testsim_add_iface(w->mn_node, mac_mn);

    addr(w->ha_addr, "2001:1:0:1::1");
    addr(w->cn_addr, "2001:1:0:9::9");
    addr(w->home_prefix, "2001:1:0:1::");
    addr(w->foreign_prefix, "2001:1:0:2::");
    addr(w->router_home, "fe80::1");
    addr(w->router_foreign, "fe80::2");
    ip6_addr_from_prefix_mac(w->hoa, w->home_prefix, mac_mn);
    ip6_addr_from_prefix_mac(w->coa, w->foreign_prefix, mac_mn);
    sim_addr_add(w->ha_node, 0, w->ha_addr, 64);
    sim_addr_add(w->cn_node, 0, w->cn_addr, 64);
}

void
world_build(struct world *w, enum world_stage stage)
{
    create_nodes(w);
    install(w);
    advance(w, stage);
    if (w->mn->state != expected_state(stage))
        fail("the mobile node did not reach the requested stage; check the registration tests");
}

void
world_build_ike(struct world *w, const struct mip6_ike_config *cfg)
{
    char err[512];

    create_nodes(w);
    install_home_agent_and_mobile_node(w);
    if (mip6_dynamic_sas(w->mn, w->ha, cfg, err, sizeof err) != 0)
        fail(err);

    attach(w, w->router_foreign, w->foreign_prefix, false);
    testsim_run_until(sim_now_ns() + WORLD_IKE_SETUP_NS);
    if (w->mn->state != MN_REGISTERED)
        fail("the mobile node did not register with IKEv2 keys within 4 s; run test_ike to "
             "check the IKE model");
}

void
world_free(struct world *w)
{
    /* Pending events point into the nodes, so they go first. */
    testsim_reset();
    mip6_mn_free(w->mn);
    mip6_ha_free(w->ha);
    mip6_cn_free(w->cn);
    w->mn = NULL;
    w->ha = NULL;
    w->cn = NULL;
}
