/*
 * handoff.c - the default mip6sec experiment: a mobile node drives along
 * a road of access routers while a correspondent node streams UDP to its
 * home address.  With the default two access routers it hands off twice.
 *
 *            cn
 *             | 2001:1:0:100::/64
 *            r0 (backbone router)
 *      ______|_______________________________
 *     |            |             |           |
 *     ha          ar1           ar2   ...   arN     point-to-point links
 *     |            |             |           |     2001:1:0:101::/64,
 *   home link   foreign 1     foreign 2    foreign N   :102::/64, ...
 *   2001:1:0:1::/64  2001:1:0:2::/64  2001:1:0:3::/64  ...
 *   x = 0       x = spacing   x = 2 spacing  x = N spacing  (access points, m)
 *
 *   mn  starts on the home link and moves along x: at --speed m/s from
 *       x = 0, or as an ns-2 mobility trace (--trace) describes.  Its CSMA
 *       device always sits on the nearest access point's link.
 *
 * N is --accessRouters (default 2).  Node ids: mn 0, cn 1, r0 2, ha 3,
 * ar1 4, ar2 5, and so on.
 *
 * With --access=wifi the access links are 802.11a access points of one
 * SSID on one channel, at the same positions.  The mobile node has a WiFi
 * station, which moves to another access point only after it has missed
 * 10 beacons of its current one (ns-3's StaWifiMac).
 *
 * The options and their checks are in handoff_options.c.  Copy the two
 * files (and handoff.h) to write another scenario: they use only the
 * public C API of the model (model/mip6sec.h) and of the ns-3 shim
 * (shim/mip6sec-ns3.h).
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "cn.h"
#include "handoff.h"
#include "ipv6.h"
#include "mip6sec-ns3.h"
#include "mip6sec.h"
#include "rec.h"
#include "sim.h"
#include "traffic.h"

#ifndef MIP6SEC_VERSION
#define MIP6SEC_VERSION "unknown"
#endif

static volatile sig_atomic_t stop_requested;

static void
request_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/*
 * Stop after an error before the simulation ran: mark the run failed and
 * leave without ns-3's teardown, because before the first run ns-3.37's
 * Radvd::DoDispose dereferences a socket that only StartApplication
 * creates.  The database keeps what it has.
 */
static void
stop_before_run(struct rec *rec, int status)
{
    rec_close(rec, REC_FAILED);
    fflush(NULL);
    _exit(status);
}

/* Report a failed shim call and stop. */
static void
check(int status, const char *what, struct rec *rec)
{
    if (status == 0)
        return;
    fprintf(stderr, "mip6sec-handoff: %s failed: %s\n", what, mip6sec_last_error());
    stop_before_run(rec, 1);
}

static struct rec *rec;

static void
record_packet(void *ctx, uint32_t node, uint32_t ifindex, enum rec_kind kind, const uint8_t *pkt,
              size_t caplen, size_t wire_len, uint64_t uid, enum rec_drop drop)
{
    (void)ctx;
    rec_packet(rec, sim_now_ns(), node, ifindex, kind, pkt, caplen, wire_len, uid, 0, drop);
}

/* The access routers, to name them in recorded WiFi events: home agent,
 * ar1, ar2, ..., each with its address on its access link. */
static struct {
    uint32_t node;
    uint8_t address[16];
} access_routers[MAX_ACCESS_ROUTERS + 1];

/* Record a WiFi station's association or disassociation. */
static void
record_wifi_event(void *ctx, uint32_t node, uint32_t ifindex, const struct mip6sec_wifi_info *info)
{
    (void)ctx;
    const uint8_t *router = NULL;
    for (size_t i = 0; i <= P.access_routers; i++) {
        if (access_routers[i].node == info->ap_node)
            router = access_routers[i].address;
    }
    int64_t bssid = 0;
    for (size_t i = 0; i < 6; i++)
        bssid = bssid << 8 | info->bssid[i];

    if (info->event == MIP6SEC_WIFI_DISASSOCIATED) {
        rec_mobility(rec, sim_now_ns(), node, ifindex, REC_MOB_WIFI_DISASSOC, router, bssid,
                     info->last_beacon_ns);
        return;
    }
    int64_t ap_node = info->ap_node == MIP6SEC_NO_NODE ? -1 : (int64_t)info->ap_node;
    rec_mobility(rec, sim_now_ns(), node, ifindex, REC_MOB_WIFI_ASSOC, router, bssid, ap_node);
}

/* Build the access links of --access=wifi: on one channel, an access point
 * on each router at the position the CSMA links have, then the mobile
 * node's station.  router_if receives the routers' interfaces. */
static void
build_wifi_access(const uint32_t *routers, size_t n, uint32_t mn, uint32_t *router_if,
                  uint32_t *mn_if, struct rec *rec)
{
    uint32_t channel;
    check(mip6sec_wifi_channel(&channel), "WiFi channel", rec);
    for (size_t i = 0; i < n; i++)
        check(mip6sec_wifi_ap(channel, routers[i], WIFI_SSID, (double)i * P.spacing, 0, 0,
                              &router_if[i]),
              "WiFi access point", rec);
    check(mip6sec_wifi_station(channel, mn, WIFI_SSID, P.active_probing, mn_if), "WiFi station",
          rec);
}

/* Start router advertisements of prefix/64 on the router's interface, from
 * ns-3's Radvd or from the model's daemon (--radvd). */
static void
start_router_advertisements(uint32_t router, uint32_t ifindex, const char *prefix, bool home_agent)
{
    if (strcmp(P.radvd, "ns3") == 0) {
        char text[64];
        snprintf(text, sizeof text, "%s/64", prefix);
        check(mip6sec_radvd(router, ifindex, text, (uint32_t)P.ra_min_ms, (uint32_t)P.ra_max_ms,
                            home_agent ? MIP6SEC_RA_HOME_AGENT : 0),
              "router advertisements", rec);
        return;
    }
    struct mip6_radvd_config cfg;
    char err[256];
    radvd_config(&cfg, ifindex, home_agent);
    ip6_addr_from_text(prefix, cfg.prefix);
    if (!mip6_radvd_install(router, &cfg, rec, err, sizeof err)) {
        fprintf(stderr, "mip6sec-handoff: router advertisements of node %u: %s\n", router, err);
        stop_before_run(rec, 1);
    }
}

/* Change the home prefix lifetimes (the sim_schedule event of --prefixChangeAt). */
static void
change_home_prefix_lifetimes(void *arg)
{
    struct mip6_ha *home_agent = arg;
    char err[256];

    if (mip6_ha_set_home_prefix_lifetimes(home_agent, CHANGED_PREFIX_VALID_S,
                                          CHANGED_PREFIX_PREFERRED_S, err, sizeof err) < 0)
        fprintf(stderr, "mip6sec-handoff: changing the home prefix lifetimes failed: %s\n", err);
}

/* Install the RFC 3776 section 5.2 configurations: BU/BA and prefix
 * discovery SAs, and the tunnel SAs that --tunnelEsp selects. */
static void
install_presets(struct mip6_mn *mobile, struct mip6_ha *home_agent, struct rec *rec)
{
    char err[512];

    struct mip6_keys keys;
    enum esp_enc_alg enc = strcmp(P.encryption, "null") ? ESP_ENC_AES_128_CBC : ESP_ENC_NULL;
    mip6_keys_derive(&keys, P.seed, 0, enc, ESP_AUTH_HMAC_SHA1_96);
    if (mip6_manual_sas(mobile, home_agent, &keys, err, sizeof err) < 0) {
        fprintf(stderr, "mip6sec-handoff: security associations: %s\n", err);
        stop_before_run(rec, 1);
    }
    /* RFC 3776 §4.1: ESP for HoTI and HoT MUST be supported and SHOULD be
     * used; for payload it MAY be. */
    struct mip6_tunnel_keys tunnel_keys = {
        .protect = strcmp(P.tunnel_esp, "all") == 0  ? MIP6_TUNNEL_ESP_ALL
                   : strcmp(P.tunnel_esp, "rr") == 0 ? MIP6_TUNNEL_ESP_RR
                                                     : MIP6_TUNNEL_ESP_NONE,
        .seed = P.seed,
        .mn_index = 0,
        .enc = ESP_ENC_AES_128_CBC,
        .auth = ESP_AUTH_HMAC_SHA1_96,
    };
    if (mip6_tunnel_sas(mobile, home_agent, &tunnel_keys, err, sizeof err) < 0) {
        fprintf(stderr, "mip6sec-handoff: tunnel security associations: %s\n", err);
        stop_before_run(rec, 1);
    }
}

/* Set up IKEv2 or IKEv1 between mobile node and home agent (--keying=ikev2 or ikev1). */
static void
install_dynamic(struct mip6_mn *mobile, struct mip6_ha *home_agent, struct rec *rec)
{
    char err[512];
    struct mip6_ike_config cfg;

    mip6_ike_config_default(&cfg);
    cfg.keying = strcmp(P.keying, "ikev1") == 0 ? MIP6_KEYING_IKEV1 : MIP6_KEYING_IKEV2;
    cfg.tunnel = strcmp(P.tunnel_esp, "all") == 0  ? MIP6_TUNNEL_ESP_ALL
                 : strcmp(P.tunnel_esp, "rr") == 0 ? MIP6_TUNNEL_ESP_RR
                                                   : MIP6_TUNNEL_ESP_NONE;
    cfg.k_bit = P.k_bit;
    cfg.pfs = P.pfs;
    cfg.dh_group = (uint16_t)P.dh_group;
    cfg.ike_lifetime_ns = (uint64_t)(P.ike_lifetime_s * 1e9);
    cfg.soft_lifetime_ns = (uint64_t)(P.sa_soft_lifetime_s * 1e9);
    cfg.hard_lifetime_ns = (uint64_t)(P.sa_hard_lifetime_s * 1e9);
    cfg.soft_bytes = P.sa_soft_bytes;
    cfg.hard_bytes = P.sa_hard_bytes;
    cfg.replay_window = (uint32_t)P.replay_window;
    cfg.esn = P.esn;
    cfg.retransmit_timeout_ns = (uint64_t)(P.ike_retransmit_ms * 1e6);
    cfg.retransmit_tries = (uint32_t)P.ike_retries;
    if (P.dh_cost_us >= 0)
        cfg.dh_cost_ns = (uint64_t)(P.dh_cost_us * 1e3);
    if (P.auth_cost_us >= 0)
        cfg.auth_cost_ns = (uint64_t)(P.auth_cost_us * 1e3);
    mip6_ike_identity_derive(&cfg, P.seed, 0);
    cfg.auth = strcmp(P.ike_auth, "ed25519") == 0 ? MIP6_IKE_AUTH_ED25519 : MIP6_IKE_AUTH_PSK;
    if (mip6_dynamic_sas(mobile, home_agent, &cfg, err, sizeof err) < 0) {
        fprintf(stderr, "mip6sec-handoff: %s; check the IKE options (--help)\n", err);
        stop_before_run(rec, 2);
    }
}

/* The output path without a trailing ".db", for pcap and key files. */
static void
output_stem(char *out, size_t out_len)
{
    snprintf(out, out_len, "%s", P.output);
    size_t n = strlen(out);
    if (n > 3 && strcmp(out + n - 3, ".db") == 0)
        out[n - 3] = '\0';
}

int
main(int argc, char **argv)
{
    char err[512], text[64];

    enum cmdline_result parsed =
        cmdline_parse(argc, argv, "mip6sec-handoff",
                      "a mobile node drives past a row of access routers while a correspondent "
                      "streams UDP to its home address; every packet event is recorded in SQLite",
                      OPTIONS, N_OPTIONS);
    if (parsed != CMDLINE_OK)
        return parsed == CMDLINE_HELP ? 0 : 2;
    if (!handoff_validate())
        return 2;

    /* ----- recording ----- */
    rec = rec_open(P.output, err, sizeof err);
    if (!rec) {
        fprintf(stderr, "mip6sec-handoff: %s\n", err);
        return 1;
    }
    for (size_t i = 0; i < N_OPTIONS; i++) {
        char value[1024];
        cmdline_format(&OPTIONS[i], value, sizeof value);
        rec_param(rec, OPTIONS[i].name, value);
    }
    signal(SIGINT, request_stop);
    signal(SIGTERM, request_stop);

    /* ----- topology ----- */
    check(mip6sec_init((uint32_t)P.seed, P.run), "ns-3 setup", rec);
    snprintf(text, sizeof text, "%.0fns", P.dad_timeout_ms * 1e6);
    check(mip6sec_set_default("ns3::Icmpv6L4Protocol::DadTimeout", text), "DAD timeout", rec);
    snprintf(text, sizeof text, "%u", (unsigned)P.nd_queue);
    check(mip6sec_set_default("ns3::NdiscCache::UnresolvedQueueSize", text),
          "address resolution queue", rec);
    if (traffic_kinds & TRAFFIC_TCP)
        check(traffic_tcp_defaults(&P.traffic), "TCP defaults", rec);
    /* The correspondent hands route-optimized packets, swapped back to the
     * home address, to its stack through a tunnel interface.  So it must
     * accept packets for its address on any interface, which is the weak
     * host model of RFC 1122 §3.3.4.2 that Linux uses too. */
    if (P.route_optimization)
        check(mip6sec_set_default("ns3::Ipv6L3Protocol::StrongEndSystemModel", "false"),
              "weak host model", rec);

    /* Node ids: mn 0 ($node_(0) in a trace), cn 1, r0 2, ha 3, then the
     * access routers ar1, ar2, ... from 4 on. */
    size_t n_ar = P.access_routers;
    uint32_t mn, cn, r0, ha, ar[MAX_ACCESS_ROUTERS];
    check(mip6sec_node_create(&mn), "node", rec);
    check(mip6sec_node_create(&cn), "node", rec);
    check(mip6sec_node_create(&r0), "node", rec);
    check(mip6sec_node_create(&ha), "node", rec);
    for (size_t i = 0; i < n_ar; i++)
        check(mip6sec_node_create(&ar[i]), "node", rec);
    check(mip6sec_node_set_router(r0), "router", rec);
    check(mip6sec_node_set_router(ha), "router", rec);
    for (size_t i = 0; i < n_ar; i++)
        check(mip6sec_node_set_router(ar[i]), "router", rec);

    uint64_t bb_rate = (uint64_t)(P.backbone_rate_mbps * 1e6);
    uint64_t bb_delay = (uint64_t)(P.backbone_delay_ms * 1e6);
    uint32_t cn_if, r0_cn, r0_ha, ha_up, r0_ar[MAX_ACCESS_ROUTERS], ar_up[MAX_ACCESS_ROUTERS];
    check(mip6sec_p2p_link(cn, r0, bb_rate, bb_delay, &cn_if, &r0_cn), "link", rec);
    check(mip6sec_p2p_link(r0, ha, bb_rate, bb_delay, &r0_ha, &ha_up), "link", rec);
    for (size_t i = 0; i < n_ar; i++)
        check(mip6sec_p2p_link(r0, ar[i], bb_rate, bb_delay, &r0_ar[i], &ar_up[i]), "link", rec);

    /* The home link and one access link per access router, in a row
     * P.spacing apart from x = 0. */
    bool wifi = strcmp(P.access, "wifi") == 0;
    uint32_t access[MAX_ACCESS_ROUTERS + 1], access_if[MAX_ACCESS_ROUTERS + 1];
    uint32_t channel[MAX_ACCESS_ROUTERS + 1] = {0}, mn_if;
    access[0] = ha;
    for (size_t i = 0; i < n_ar; i++)
        access[i + 1] = ar[i];
    if (wifi) {
        build_wifi_access(access, n_ar + 1, mn, access_if, &mn_if, rec);
    } else {
        uint64_t ac_rate = (uint64_t)(P.access_rate_mbps * 1e6);
        uint64_t ac_delay = (uint64_t)(P.access_delay_us * 1e3);
        for (size_t i = 0; i <= n_ar; i++)
            check(mip6sec_csma_channel(ac_rate, ac_delay, &channel[i]), "channel", rec);
        for (size_t i = 0; i <= n_ar; i++)
            check(mip6sec_csma_attach(channel[i], access[i], &access_if[i]), "attach", rec);
        check(mip6sec_csma_attach(channel[0], mn, &mn_if), "attach", rec);
    }
    uint32_t ha_home = access_if[0];

    /* Backbone prefixes 2001:1:0:100::/64 (cn), :101 (ha), :102, :103, ...
     * (access routers); access prefixes :1 (home), :2, :3, ... */
    char next_hop[64];
    check(mip6sec_addr_assign(cn, cn_if, "2001:1:0:100::2/64"), "address", rec);
    check(mip6sec_addr_assign(r0, r0_cn, "2001:1:0:100::1/64"), "address", rec);
    check(mip6sec_addr_assign(r0, r0_ha, "2001:1:0:101::1/64"), "address", rec);
    check(mip6sec_addr_assign(ha, ha_up, "2001:1:0:101::2/64"), "address", rec);
    for (size_t i = 0; i < n_ar; i++) {
        snprintf(text, sizeof text, "2001:1:0:%zx::1/64", 0x102 + i);
        check(mip6sec_addr_assign(r0, r0_ar[i], text), "address", rec);
        snprintf(text, sizeof text, "2001:1:0:%zx::2/64", 0x102 + i);
        check(mip6sec_addr_assign(ar[i], ar_up[i], text), "address", rec);
    }
    check(mip6sec_addr_assign(ha, ha_home, "2001:1:0:1::1/64"), "address", rec);
    for (size_t i = 0; i < n_ar; i++) {
        snprintf(text, sizeof text, "2001:1:0:%zx::1/64", 2 + i);
        check(mip6sec_addr_assign(ar[i], access_if[i + 1], text), "address", rec);
    }

    check(mip6sec_route_static(cn, "::/0", "2001:1:0:100::1", cn_if), "route", rec);
    check(mip6sec_route_static(r0, "2001:1:0:1::/64", "2001:1:0:101::2", r0_ha), "route", rec);
    for (size_t i = 0; i < n_ar; i++) {
        snprintf(text, sizeof text, "2001:1:0:%zx::/64", 2 + i);
        snprintf(next_hop, sizeof next_hop, "2001:1:0:%zx::2", 0x102 + i);
        check(mip6sec_route_static(r0, text, next_hop, r0_ar[i]), "route", rec);
    }
    check(mip6sec_route_static(ha, "::/0", "2001:1:0:101::1", ha_up), "route", rec);
    for (size_t i = 0; i < n_ar; i++) {
        snprintf(next_hop, sizeof next_hop, "2001:1:0:%zx::1", 0x102 + i);
        check(mip6sec_route_static(ar[i], "::/0", next_hop, ar_up[i]), "route", rec);
    }

    start_router_advertisements(ha, ha_home, "2001:1:0:1::", true);
    for (size_t i = 0; i < n_ar; i++) {
        snprintf(text, sizeof text, "2001:1:0:%zx::", 2 + i);
        start_router_advertisements(ar[i], access_if[i + 1], text, false);
    }

    /* ----- movement ----- */
    if (!wifi) {
        /* WiFi access points got their positions when they were created. */
        for (size_t i = 0; i <= n_ar; i++)
            check(mip6sec_channel_position(channel[i], (double)i * P.spacing, 0, 0), "position",
                  rec);
    }
    if (P.trace[0])
        check(mip6sec_ns2_trace(mn, P.trace, 0), "mobility trace", rec);
    else
        check(mip6sec_velocity(mn, 0, 0, 0, P.speed, 0, 0), "mobility", rec);
    if (wifi) {
        for (size_t i = 0; i <= n_ar; i++) {
            access_routers[i].node = access[i];
            snprintf(text, sizeof text, "2001:1:0:%zx::1", 1 + i);
            ip6_addr_from_text(text, access_routers[i].address);
        }
        check(mip6sec_wifi_station_callback(mn, mn_if, record_wifi_event, NULL), "WiFi events",
              rec);
    } else {
        check(
            mip6sec_attach_nearest(mn, mn_if, (uint64_t)(P.check_interval_ms * 1e6), P.hysteresis),
            "attachment", rec);
    }

    /* ----- recording of every node ----- */
    rec_begin(rec, P.seed, P.run, mip6sec_ns3_version(), MIP6SEC_VERSION);
    const struct {
        uint32_t id;
        const char *name;
    } names[] = {{mn, "mn"}, {cn, "cn"}, {r0, "r0"}, {ha, "ha"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        rec_node(rec, names[i].id, names[i].name);
        check(mip6sec_trace_node(names[i].id, record_packet, NULL), "tracing", rec);
    }
    for (size_t i = 0; i < n_ar; i++) {
        snprintf(text, sizeof text, "ar%zu", i + 1);
        rec_node(rec, ar[i], text);
        check(mip6sec_trace_node(ar[i], record_packet, NULL), "tracing", rec);
    }

    /* ----- Mobile IPv6 with IPsec ----- */
    struct mip6_ha_config hc;
    mip6_ha_config_default(&hc);
    hc.home_ifindex = ha_home;
    hc.strict_tunnel_source = P.strict_tunnel_source;
    ip6_addr_from_text("2001:1:0:1::1", hc.address);
    ip6_addr_from_text("2001:1:0:1::", hc.home_prefix);
    struct mip6_ha *home_agent = mip6_ha_install(ha, &hc, rec, err, sizeof err);
    if (!home_agent) {
        fprintf(stderr, "mip6sec-handoff: home agent: %s\n", err);
        stop_before_run(rec, 1);
    }

    struct mip6_mn_config mc;
    uint8_t mac[6];
    mip6_mn_config_default(&mc);
    mc.ifindex = mn_if;
    mc.lifetime_s = (uint32_t)P.lifetime_s;
    mc.router_solicitation = P.router_solicitation;
    mc.rs_max_delay_ms = (uint32_t)P.rs_max_delay_ms;
    mc.ra_loss_intervals = (uint32_t)P.ra_loss_intervals;
    mc.optimistic_dad = P.optimistic_dad;
    memcpy(mc.home_prefix, hc.home_prefix, 16);
    memcpy(mc.home_agent, hc.address, 16);
    sim_iface_mac48(mn, mn_if, mac);
    ip6_addr_from_prefix_mac(mc.home_address, mc.home_prefix, mac);
    struct mip6_mn *mobile = mip6_mn_install(mn, &mc, rec, err, sizeof err);
    if (!mobile) {
        fprintf(stderr, "mip6sec-handoff: mobile node: %s\n", err);
        stop_before_run(rec, 1);
    }

    if (P.spd_mobile_node[0]) {
        if (mip6_mn_load_spd(mobile, P.spd_mobile_node, err, sizeof err) < 0 ||
            mip6_ha_load_spd(home_agent, P.spd_home_agent, err, sizeof err) < 0) {
            fprintf(stderr,
                    "mip6sec-handoff: invalid SPD file: %s (docs/spd-format.md gives the format)\n",
                    err);
            stop_before_run(rec, 2);
        }
    } else {
        if (strcmp(P.keying, "manual") != 0)
            install_dynamic(mobile, home_agent, rec);
        else
            install_presets(mobile, home_agent, rec);
    }
    if (P.cpu_model) {
        const struct mip6_cost_table *costs = P.costs[0] ? &cost_table : NULL;
        if (mip6_mn_set_cpu(mobile, costs, P.mn_slowdown, err, sizeof err) < 0 ||
            mip6_ha_set_cpu(home_agent, costs, P.ha_slowdown, err, sizeof err) < 0) {
            fprintf(stderr, "mip6sec-handoff: %s\n", err);
            stop_before_run(rec, 2);
        }
    }
    if (P.spd_write[0]) {
        char path[1100];
        snprintf(path, sizeof path, "%s-mn.spd", P.spd_write);
        int rc = mip6_mn_write_spd(mobile, path, err, sizeof err);
        snprintf(path, sizeof path, "%s-ha.spd", P.spd_write);
        if (rc < 0 || mip6_ha_write_spd(home_agent, path, err, sizeof err) < 0) {
            fprintf(stderr, "mip6sec-handoff: %s\n", err);
            stop_before_run(rec, 1);
        }
    }

    if (P.route_optimization) {
        struct mip6_cn_config cc;
        mip6_cn_config_default(&cc);
        cc.ifindex = cn_if;
        ip6_addr_from_text("2001:1:0:100::2", cc.address);
        if (!mip6_cn_install(cn, &cc, rec, err, sizeof err) ||
            mip6_mn_route_optimize(mobile, cc.address, err, sizeof err) < 0) {
            fprintf(stderr, "mip6sec-handoff: route optimization: %s\n", err);
            stop_before_run(rec, 1);
        }
    }

    if (P.prefix_change_s > 0)
        sim_schedule(ha, (uint64_t)(P.prefix_change_s * 1e9), change_home_prefix_lifetimes,
                     home_agent);

    /* ----- traffic ----- */
    char hoa[IP6_ADDR_TEXT_LEN];
    ip6_addr_to_text(mc.home_address, hoa, sizeof hoa);
    uint64_t stop_ns = (uint64_t)(P.duration_s * 1e9);
    uint32_t sink = 0, cbr = 0, uplink;
    bool udp = traffic_kinds & TRAFFIC_UDP;
    if (udp) {
        check(mip6sec_udp_sink(mn, hoa, 5000, &sink), "UDP sink", rec);
        check(mip6sec_udp_cbr(cn, hoa, 5000, (uint32_t)P.packet_size,
                              (uint64_t)(P.interval_ms * 1e6), 1 * S, stop_ns - 1 * S, &cbr),
              "UDP sender", rec);
    }
    if (udp && P.uplink_interval_ms > 0) {
        uint32_t cn_sink;
        check(mip6sec_udp_sink(cn, "2001:1:0:100::2", 5001, &cn_sink), "UDP sink", rec);
        check(mip6sec_udp_cbr(mn, "2001:1:0:100::2", 5001, (uint32_t)P.packet_size,
                              (uint64_t)(P.uplink_interval_ms * 1e6), 1 * S, stop_ns - 1 * S,
                              &uplink),
              "UDP sender", rec);
    }
    struct traffic_apps apps;
    const char *failed_traffic = "";
    check(traffic_install(&P.traffic, traffic_kinds, mn, cn, hoa, "2001:1:0:100::2", 1 * S,
                          stop_ns - 1 * S, &apps, &failed_traffic),
          failed_traffic, rec);

    if (P.pcap) {
        char stem[1024], path[1100];
        output_stem(stem, sizeof stem);
        check(wifi ? mip6sec_wifi_pcap(mn, mn_if, stem) : mip6sec_pcap(mn, mn_if, stem), "pcap",
              rec);
        check(wifi ? mip6sec_wifi_pcap(ha, ha_home, stem) : mip6sec_pcap(ha, ha_home, stem), "pcap",
              rec);
        check(mip6sec_pcap(ha, ha_up, stem), "pcap", rec);
        check(mip6sec_pcap(cn, cn_if, stem), "pcap", rec);
        snprintf(path, sizeof path, "%s-esp_sa", stem);
        /* Negotiated SAs do not exist yet: they are logged as they come. */
        bool dynamic = strcmp(P.keying, "manual") != 0;
        int rc = dynamic ? mip6_mn_log_esp_sas(mobile, path, err, sizeof err)
                         : mip6_export_esp_sas(mobile, path, 0, err, sizeof err);
        if (rc == 0 && dynamic) {
            /* The table Wireshark reads: ikev1_ or ikev2_decryption_table. */
            snprintf(path, sizeof path, "%s-%s_decryption_table", stem, P.keying);
            rc = mip6_mn_log_ike_keys(mobile, path, err, sizeof err);
        }
        if (rc < 0)
            fprintf(stderr, "mip6sec-handoff: %s\n", err);
    }

    /* ----- run, one simulated second at a time so a signal stops it ----- */
    enum rec_status status = REC_COMPLETE;
    uint64_t t = 0;
    while (t < stop_ns) {
        t = t + S < stop_ns ? t + S : stop_ns;
        check(mip6sec_run_until(t), "simulation", rec);
        if (stop_requested) {
            status = REC_INTERRUPTED;
            fprintf(stderr,
                    "mip6sec-handoff: stopped by a signal at %.1f s simulated; writing the "
                    "database indexes, which takes a while after a long run\n",
                    (double)t / 1e9);
            break;
        }
    }

    char counts[1024] = "";
    if (udp) {
        uint64_t received = 0, sent = 0;
        mip6sec_app_counts(sink, &received, NULL);
        mip6sec_app_counts(cbr, &sent, NULL);
        snprintf(counts, sizeof counts, "UDP to the home address: %llu sent, %llu received",
                 (unsigned long long)sent, (unsigned long long)received);
    }
    traffic_summary(&apps, counts, sizeof counts);
    printf("mip6sec-handoff: %.1f s simulated, %s; events in %s\n", (double)t / 1e9, counts,
           P.output);
    if (P.cpu_model)
        printf("mip6sec-handoff: CPU busy %.3f%% at the mobile node, %.3f%% at the home agent\n",
               100 * mip6_mn_cpu_utilization(mobile), 100 * mip6_ha_cpu_utilization(home_agent));

    int rc = rec_close(rec, status);
    mip6sec_destroy();
    if (status == REC_INTERRUPTED)
        return 130; /* the shell's convention for a run ended by SIGINT */
    return rc == 0 ? 0 : 1;
}
