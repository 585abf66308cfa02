/*
 * campus.c - many mobile nodes share one home agent while they move over
 * a campus of access networks, and a correspondent streams UDP to every
 * home address.
 *
 *                  cn
 *                   | 2001:1:0:100::/64
 *                  r0 (backbone router)
 *      _____________|______________________
 *     |          |          |              |
 *     ha        ar0        ar1    ...     arM-1    point-to-point links,
 *     |          |          |              |       2001:1:1:<k>::/64 to ar<k>
 *   home link  foreign 0  foreign 1  ...  foreign M-1
 *   2001:1:0:1::/64        2001:1:2:<k>::/64 (k in hex)
 *
 *   mn0 .. mnN-1  have home addresses on the home link and start there, at
 *   the home access point (0, 0), or with --start=random at random points
 *   of the campus.  Each one's CSMA device always sits on
 *   the link of the nearest access point.
 *
 * With --mobility=random-waypoint the access points of ar0..arM-1 are
 * at the centres of the cells of a grid over the square campus (0..area
 * on x and y), and each node walks between random waypoints in that
 * square.  With --mobility=line they stand on the x axis at area/M,
 * 2 area/M, ..., area, and each node moves along x at its own constant
 * speed.
 */
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "ipv6.h"
#include "mip6sec-ns3.h"
#include "mip6sec.h"
#include "rec.h"
#include "sim.h"

#define S 1000000000ull

#ifndef MIP6SEC_VERSION
#define MIP6SEC_VERSION "unknown"
#endif

#define PROGRAM "mip6sec-campus"

/* Router advertisement intervals of every access router, the fastest that
 * RFC 6275 section 7.5 allows, as in mip6sec-handoff. */
#define RA_MIN_MS 30
#define RA_MAX_MS 70

/* The layer-2 model and link parameters, the defaults of mip6sec-handoff. */
#define CHECK_INTERVAL_NS 10000000ull /* 10 ms between nearest-access-point checks */
#define HYSTERESIS_M 5.0
#define BACKBONE_RATE_BPS 100000000ull
#define BACKBONE_DELAY_NS 5000000ull
#define ACCESS_RATE_BPS 100000000ull
#define ACCESS_DELAY_NS 1000ull
#define BINDING_LIFETIME_S 420

/* The default of --pause, which --mobility=line rejects any other value of. */
#define DEFAULT_PAUSE_S 2.0

#define MAX_NODES 1000
#define MAX_ACCESS_ROUTERS 256

#define DOWNLINK_PORT 5000
#define UPLINK_PORT 5001
#define CN_ADDRESS "2001:1:0:100::2"

struct params {
    uint64_t nodes;
    uint64_t access_routers;
    double area_m;
    double speed_min;
    double speed_max;
    double pause_s;
    const char *mobility;
    const char *start;
    uint64_t seed;
    uint64_t run;
    double duration_s;
    double interval_ms;
    double uplink_interval_ms;
    uint64_t packet_size;
    const char *keying;
    const char *output;
    bool pcap;
};

static struct params P = {
    .nodes = 10,
    .access_routers = 4,
    .area_m = 400,
    .speed_min = 1,
    .speed_max = 10,
    .pause_s = DEFAULT_PAUSE_S,
    .mobility = "random-waypoint",
    .start = "home",
    .seed = 1,
    .run = 1,
    .duration_s = 30,
    .interval_ms = 100,
    .uplink_interval_ms = 0,
    .packet_size = 200,
    .keying = "manual",
    .output = "campus.db",
    .pcap = false,
};

static const struct cmdline_option OPTIONS[] = {
    {"nodes", CMDLINE_UINT, &P.nodes, NULL, 1, MAX_NODES,
     "number of mobile nodes, all with home addresses on the one home link"},
    {"accessRouters", CMDLINE_UINT, &P.access_routers, NULL, 1, MAX_ACCESS_ROUTERS,
     "number of access routers, each with its own access link (foreign network)"},
    {"area", CMDLINE_DOUBLE, &P.area_m, "m", 1, 1e6,
     "side of the square campus (random-waypoint), or length of the line of access points"},
    {"speedMin", CMDLINE_DOUBLE, &P.speed_min, "m/s", 0.001, 1000,
     "lowest speed of a node: of each random waypoint leg, or of a node on the line"},
    {"speedMax", CMDLINE_DOUBLE, &P.speed_max, "m/s", 0.001, 1000,
     "highest speed; speeds are drawn uniformly between speedMin and speedMax"},
    {"pause", CMDLINE_DOUBLE, &P.pause_s, "s", 0, 1e6,
     "with --mobility=random-waypoint, the pause at the start and at each waypoint"},
    {"mobility", CMDLINE_STRING, &P.mobility, NULL, 0, 0,
     "random-waypoint (ns-3 RandomWaypointMobilityModel over the square, access points on a "
     "grid) or line (constant velocity along x, access points on the x axis)"},
    {"start", CMDLINE_STRING, &P.start, NULL, 0, 0,
     "where the mobile nodes start: home (all at the home access point, so the first handoff "
     "leaves home) or random (uniformly over the campus, or along the line, so most start "
     "away from home and register from there)"},
    {"seed", CMDLINE_UINT, &P.seed, NULL, 1, 4294967295.0,
     "seed of ns-3's random number generator (RngSeed); also derives the SA keys and IKE "
     "identities"},
    {"run", CMDLINE_UINT, &P.run, NULL, 1, 1e15, "run number (ns-3 RngRun): one replication"},
    {"duration", CMDLINE_DOUBLE, &P.duration_s, "s", 3, 1e6, "simulated time"},
    {"interval", CMDLINE_DOUBLE, &P.interval_ms, "ms", 0.01, 1e6,
     "gap between UDP packets from the correspondent to each home address"},
    {"uplinkInterval", CMDLINE_DOUBLE, &P.uplink_interval_ms, "ms", 0, 1e6,
     "gap between UDP packets from each mobile node to the correspondent; 0 sends none"},
    {"packetSize", CMDLINE_UINT, &P.packet_size, "bytes", 12, 1400, "UDP payload size"},
    {"keying", CMDLINE_STRING, &P.keying, NULL, 0, 0,
     "how each mobile node's SAs with the home agent get keys: manual (RFC 3776 section 5.2, "
     "keys derived from --seed and the node's index) or ikev2 (RFC 4877: IKEv2 from the "
     "care-of address before the first BU, identity mn<index>.home.example)"},
    {"output", CMDLINE_STRING, &P.output, NULL, 0, 0,
     "SQLite database to write (replaced if it exists)"},
    {"pcap", CMDLINE_BOOL, &P.pcap, NULL, 0, 1,
     "write pcap files of every mobile node, the home agent and the correspondent next to the "
     "database, and the ESP keys for Wireshark: <output>-esp_sa with manual keys, or "
     "<output>-mn<index>-esp_sa and <output>-mn<index>-ikev2_decryption_table per node with "
     "ikev2 (concatenate them into one profile)"},
};

#define N_OPTIONS (sizeof OPTIONS / sizeof OPTIONS[0])

static volatile sig_atomic_t stop_requested;
static struct rec *rec;

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
 * creates.
 */
static void
stop_before_run(int status)
{
    rec_close(rec, REC_FAILED);
    fflush(NULL);
    _exit(status);
}

/* Report a failed shim call and stop. */
static void
check(int status, const char *what)
{
    if (status == 0)
        return;
    fprintf(stderr, PROGRAM ": %s failed: %s\n", what, mip6sec_last_error());
    stop_before_run(1);
}

static void
record_packet(void *ctx, uint32_t node, uint32_t ifindex, enum rec_kind kind, const uint8_t *pkt,
              size_t caplen, size_t wire_len, uint64_t uid, enum rec_drop drop)
{
    (void)ctx;
    rec_packet(rec, sim_now_ns(), node, ifindex, kind, pkt, caplen, wire_len, uid, 0, drop);
}

static bool
validate(void)
{
    if (strcmp(P.mobility, "random-waypoint") != 0 && strcmp(P.mobility, "line") != 0) {
        fprintf(stderr,
                PROGRAM ": invalid value '%s' for --mobility: use random-waypoint or line\n",
                P.mobility);
        return false;
    }
    if (strcmp(P.start, "home") != 0 && strcmp(P.start, "random") != 0) {
        fprintf(stderr, PROGRAM ": invalid value '%s' for --start: use home or random\n", P.start);
        return false;
    }
    if (strcmp(P.keying, "manual") != 0 && strcmp(P.keying, "ikev2") != 0) {
        fprintf(stderr, PROGRAM ": invalid value '%s' for --keying: use manual or ikev2\n",
                P.keying);
        return false;
    }
    if (P.speed_min > P.speed_max) {
        fprintf(stderr,
                PROGRAM ": --speedMin=%g m/s is above --speedMax=%g m/s; lower speedMin or raise "
                        "speedMax\n",
                P.speed_min, P.speed_max);
        return false;
    }
    if (strcmp(P.mobility, "line") == 0 && P.pause_s != DEFAULT_PAUSE_S) {
        fprintf(stderr, PROGRAM ": --pause acts only with --mobility=random-waypoint; nodes on "
                                "the line never stop, so leave it out\n");
        return false;
    }
    if (!P.output[0]) {
        fprintf(stderr, PROGRAM ": --output is empty; give the path of the database to write\n");
        return false;
    }
    return true;
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

/* Scramble x with the SplitMix64 finalizer, so that nearby inputs such as
 * consecutive node indexes give unrelated, uniformly distributed outputs. */
static uint64_t
mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* A number uniform in [0, 1) fixed by seed, run, mobile node i and what
 * it is for (0 speed, 1 and 2 start coordinates). */
static double
node_uniform(uint32_t i, uint64_t what)
{
    uint64_t h = mix64(mix64(mix64(mix64(P.seed) ^ P.run) ^ i) ^ what);
    return (double)(h >> 11) / (double)(1ull << 53);
}

/* The constant speed of mobile node i with --mobility=line, uniform in
 * speedMin..speedMax. */
static double
line_speed(uint32_t i)
{
    return P.speed_min + node_uniform(i, 0) * (P.speed_max - P.speed_min);
}

/* The position of access router k's access point (see the file header). */
static void
access_point_position(uint32_t k, double *x, double *y)
{
    uint32_t m = (uint32_t)P.access_routers;
    if (strcmp(P.mobility, "line") == 0) {
        *x = (double)(k + 1) * P.area_m / m;
        *y = 0;
        return;
    }
    uint32_t columns = 1;
    while (columns * columns < m)
        columns++;
    uint32_t rows = (m + columns - 1) / columns;
    *x = ((double)(k % columns) + 0.5) * P.area_m / columns;
    *y = ((double)(k / columns) + 0.5) * P.area_m / rows;
}

/* The nodes and interfaces of the fixed part of the network. */
struct campus {
    uint32_t cn, r0, ha;
    uint32_t cn_if, ha_up, ha_home;
    uint32_t home_channel;
    uint32_t *ar;         /* access routers, P.access_routers of them */
    uint32_t *mn, *mn_if; /* mobile nodes and their moving interfaces */
};

/* Create the nodes: mobile nodes first, so mn<i> is ns-3 node i. */
static void
create_nodes(struct campus *c)
{
    for (uint32_t i = 0; i < P.nodes; i++)
        check(mip6sec_node_create(&c->mn[i]), "node");
    check(mip6sec_node_create(&c->cn), "node");
    check(mip6sec_node_create(&c->r0), "node");
    check(mip6sec_node_create(&c->ha), "node");
    for (uint32_t k = 0; k < P.access_routers; k++)
        check(mip6sec_node_create(&c->ar[k]), "node");

    check(mip6sec_node_set_router(c->r0), "router");
    check(mip6sec_node_set_router(c->ha), "router");
    for (uint32_t k = 0; k < P.access_routers; k++)
        check(mip6sec_node_set_router(c->ar[k]), "router");
}

/* Build links, addresses, routes and router advertisements. */
static void
build_network(struct campus *c)
{
    char text[64], next_hop[64];
    uint32_t r0_cn, r0_ha, r0_ar, ar_up, ar_down, channel;

    check(mip6sec_p2p_link(c->cn, c->r0, BACKBONE_RATE_BPS, BACKBONE_DELAY_NS, &c->cn_if, &r0_cn),
          "link");
    check(mip6sec_p2p_link(c->r0, c->ha, BACKBONE_RATE_BPS, BACKBONE_DELAY_NS, &r0_ha, &c->ha_up),
          "link");
    check(mip6sec_addr_assign(c->cn, c->cn_if, CN_ADDRESS "/64"), "address");
    check(mip6sec_addr_assign(c->r0, r0_cn, "2001:1:0:100::1/64"), "address");
    check(mip6sec_addr_assign(c->r0, r0_ha, "2001:1:0:101::1/64"), "address");
    check(mip6sec_addr_assign(c->ha, c->ha_up, "2001:1:0:101::2/64"), "address");
    check(mip6sec_route_static(c->cn, "::/0", "2001:1:0:100::1", c->cn_if), "route");
    check(mip6sec_route_static(c->r0, "2001:1:0:1::/64", "2001:1:0:101::2", r0_ha), "route");
    check(mip6sec_route_static(c->ha, "::/0", "2001:1:0:101::1", c->ha_up), "route");

    check(mip6sec_csma_channel(ACCESS_RATE_BPS, ACCESS_DELAY_NS, &c->home_channel), "channel");
    check(mip6sec_csma_attach(c->home_channel, c->ha, &c->ha_home), "attach");
    check(mip6sec_addr_assign(c->ha, c->ha_home, "2001:1:0:1::1/64"), "address");
    check(mip6sec_radvd(c->ha, c->ha_home, "2001:1:0:1::/64", RA_MIN_MS, RA_MAX_MS,
                        MIP6SEC_RA_HOME_AGENT),
          "router advertisements");
    check(mip6sec_channel_position(c->home_channel, 0, 0, 0), "position");

    for (uint32_t k = 0; k < P.access_routers; k++) {
        uint32_t ar = c->ar[k];
        check(mip6sec_p2p_link(c->r0, ar, BACKBONE_RATE_BPS, BACKBONE_DELAY_NS, &r0_ar, &ar_up),
              "link");
        snprintf(text, sizeof text, "2001:1:1:%x::1/64", k);
        check(mip6sec_addr_assign(c->r0, r0_ar, text), "address");
        snprintf(text, sizeof text, "2001:1:1:%x::2/64", k);
        check(mip6sec_addr_assign(ar, ar_up, text), "address");
        snprintf(next_hop, sizeof next_hop, "2001:1:1:%x::1", k);
        check(mip6sec_route_static(ar, "::/0", next_hop, ar_up), "route");

        check(mip6sec_csma_channel(ACCESS_RATE_BPS, ACCESS_DELAY_NS, &channel), "channel");
        check(mip6sec_csma_attach(channel, ar, &ar_down), "attach");
        snprintf(text, sizeof text, "2001:1:2:%x::1/64", k);
        check(mip6sec_addr_assign(ar, ar_down, text), "address");
        snprintf(text, sizeof text, "2001:1:2:%x::/64", k);
        snprintf(next_hop, sizeof next_hop, "2001:1:1:%x::2", k);
        check(mip6sec_route_static(c->r0, text, next_hop, r0_ar), "route");
        check(mip6sec_radvd(ar, ar_down, text, RA_MIN_MS, RA_MAX_MS, 0), "router advertisements");

        double x, y;
        access_point_position(k, &x, &y);
        check(mip6sec_channel_position(channel, x, y, 0), "position");
    }
}

/* Put every mobile node on the home link, at its start position, and start it moving. */
static void
start_mobile_nodes(struct campus *c)
{
    bool line = strcmp(P.mobility, "line") == 0;

    for (uint32_t i = 0; i < P.nodes; i++) {
        check(mip6sec_csma_attach(c->home_channel, c->mn[i], &c->mn_if[i]), "attach");
        /* With --start=random the first attachment check, 10 ms in, moves
         * the node to the access point nearest its start. */
        double x = 0, y = 0;
        if (strcmp(P.start, "random") == 0) {
            x = node_uniform(i, 1) * P.area_m;
            y = line ? 0 : node_uniform(i, 2) * P.area_m;
        }
        if (line) {
            check(mip6sec_velocity(c->mn[i], x, 0, 0, line_speed(i), 0, 0), "mobility");
        } else {
            struct mip6sec_waypoint walk = {
                .x = x,
                .y = y,
                .x_min = 0,
                .x_max = P.area_m,
                .y_min = 0,
                .y_max = P.area_m,
                .speed_min_mps = P.speed_min,
                .speed_max_mps = P.speed_max,
                .pause_s = P.pause_s,
            };
            check(mip6sec_random_waypoint(c->mn[i], &walk), "mobility");
        }
        check(mip6sec_attach_nearest(c->mn[i], c->mn_if[i], CHECK_INTERVAL_NS, HYSTERESIS_M),
              "attachment");
    }
}

/* Name every node in the database and trace its IPv6 layer. */
static void
record_nodes(const struct campus *c)
{
    char name[32];

    for (uint32_t i = 0; i < P.nodes; i++) {
        snprintf(name, sizeof name, "mn%u", i);
        rec_node(rec, c->mn[i], name);
    }
    rec_node(rec, c->ha, "ha");
    rec_node(rec, c->cn, "cn");
    rec_node(rec, c->r0, "r0");
    for (uint32_t k = 0; k < P.access_routers; k++) {
        snprintf(name, sizeof name, "ar%u", k);
        rec_node(rec, c->ar[k], name);
    }
    for (uint32_t i = 0; i < P.nodes; i++)
        check(mip6sec_trace_node(c->mn[i], record_packet, NULL), "tracing");
    const uint32_t fixed[] = {c->ha, c->cn, c->r0};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        check(mip6sec_trace_node(fixed[i], record_packet, NULL), "tracing");
    for (uint32_t k = 0; k < P.access_routers; k++)
        check(mip6sec_trace_node(c->ar[k], record_packet, NULL), "tracing");
}

/* Give mobile node i its SAs with the home agent, or the IKEv2 setup
 * that negotiates them.  No tunnel-mode SAs: without route optimization
 * no HoTI or HoT flows, and the payload stays in plain IPv6-in-IPv6. */
static void
install_keys(struct mip6_mn *mobile, struct mip6_ha *home_agent, uint32_t i)
{
    char err[512];

    if (strcmp(P.keying, "manual") == 0) {
        struct mip6_keys keys;
        mip6_keys_derive(&keys, P.seed, i, ESP_ENC_AES_128_CBC, ESP_AUTH_HMAC_SHA1_96);
        if (mip6_manual_sas(mobile, home_agent, &keys, err, sizeof err) < 0) {
            fprintf(stderr, PROGRAM ": security associations of mn%u: %s\n", i, err);
            stop_before_run(1);
        }
        return;
    }
    struct mip6_ike_config cfg;
    mip6_ike_config_default(&cfg);
    cfg.keying = MIP6_KEYING_IKEV2;
    cfg.tunnel = MIP6_TUNNEL_ESP_NONE;
    mip6_ike_identity_derive(&cfg, P.seed, i);
    if (mip6_dynamic_sas(mobile, home_agent, &cfg, err, sizeof err) < 0) {
        fprintf(stderr, PROGRAM ": IKEv2 setup of mn%u: %s\n", i, err);
        stop_before_run(1);
    }
}

/* Write the ESP (and IKE) keys of mobile node i for Wireshark (--pcap). */
static void
export_keys(struct mip6_mn *mobile, uint32_t i, const char *stem)
{
    char err[512], path[1200];
    int rc;

    if (strcmp(P.keying, "manual") == 0) {
        snprintf(path, sizeof path, "%s-esp_sa", stem);
        rc = mip6_export_esp_sas(mobile, path, i > 0, err, sizeof err);
    } else {
        snprintf(path, sizeof path, "%s-mn%u-esp_sa", stem, i);
        rc = mip6_mn_log_esp_sas(mobile, path, err, sizeof err);
        if (rc == 0) {
            snprintf(path, sizeof path, "%s-mn%u-ikev2_decryption_table", stem, i);
            rc = mip6_mn_log_ike_keys(mobile, path, err, sizeof err);
        }
    }
    if (rc < 0)
        fprintf(stderr, PROGRAM ": %s\n", err);
}

/* Install the home agent and the mobile nodes.  home_addresses receives
 * each node's home address; stem, when not NULL, names the key files. */
static void
install_mobile_ipv6(const struct campus *c, uint8_t (*home_addresses)[16], const char *stem)
{
    char err[512];

    struct mip6_ha_config hc;
    mip6_ha_config_default(&hc);
    hc.home_ifindex = c->ha_home;
    ip6_addr_from_text("2001:1:0:1::1", hc.address);
    ip6_addr_from_text("2001:1:0:1::", hc.home_prefix);
    struct mip6_ha *home_agent = mip6_ha_install(c->ha, &hc, rec, err, sizeof err);
    if (!home_agent) {
        fprintf(stderr, PROGRAM ": home agent: %s\n", err);
        stop_before_run(1);
    }

    for (uint32_t i = 0; i < P.nodes; i++) {
        struct mip6_mn_config mc;
        uint8_t mac[6];
        mip6_mn_config_default(&mc);
        mc.ifindex = c->mn_if[i];
        mc.lifetime_s = BINDING_LIFETIME_S;
        memcpy(mc.home_prefix, hc.home_prefix, 16);
        memcpy(mc.home_agent, hc.address, 16);
        sim_iface_mac48(c->mn[i], c->mn_if[i], mac);
        ip6_addr_from_prefix_mac(mc.home_address, mc.home_prefix, mac);
        memcpy(home_addresses[i], mc.home_address, 16);
        struct mip6_mn *mobile = mip6_mn_install(c->mn[i], &mc, rec, err, sizeof err);
        if (!mobile) {
            fprintf(stderr, PROGRAM ": mobile node mn%u: %s\n", i, err);
            stop_before_run(1);
        }
        install_keys(mobile, home_agent, i);
        if (stem)
            export_keys(mobile, i, stem);
    }
}

/* The applications of the run, for the summary counts. */
struct traffic {
    uint32_t *downlink_sink, *downlink_cbr; /* one per mobile node */
    uint32_t *uplink_cbr;
    uint32_t uplink_sink;
};

/*
 * Start a UDP stream from the correspondent to every home address and,
 * with --uplinkInterval, from every mobile node to the correspondent.
 * The streams start staggered over one interval, so the correspondent
 * does not send to all nodes at the same instant.
 */
static void
start_traffic(const struct campus *c, uint8_t (*home_addresses)[16], struct traffic *t)
{
    uint64_t stop_ns = (uint64_t)(P.duration_s * 1e9) - 1 * S;
    uint64_t interval_ns = (uint64_t)(P.interval_ms * 1e6);
    uint64_t uplink_ns = (uint64_t)(P.uplink_interval_ms * 1e6);
    char hoa[IP6_ADDR_TEXT_LEN];

    if (uplink_ns > 0)
        check(mip6sec_udp_sink(c->cn, CN_ADDRESS, UPLINK_PORT, &t->uplink_sink), "UDP sink");
    for (uint32_t i = 0; i < P.nodes; i++) {
        ip6_addr_to_text(home_addresses[i], hoa, sizeof hoa);
        check(mip6sec_udp_sink(c->mn[i], hoa, DOWNLINK_PORT, &t->downlink_sink[i]), "UDP sink");
        uint64_t start_ns = 1 * S + interval_ns * i / P.nodes;
        check(mip6sec_udp_cbr(c->cn, hoa, DOWNLINK_PORT, (uint32_t)P.packet_size, interval_ns,
                              start_ns, stop_ns, &t->downlink_cbr[i]),
              "UDP sender");
        if (uplink_ns == 0)
            continue;
        start_ns = 1 * S + uplink_ns * i / P.nodes;
        check(mip6sec_udp_cbr(c->mn[i], CN_ADDRESS, UPLINK_PORT, (uint32_t)P.packet_size, uplink_ns,
                              start_ns, stop_ns, &t->uplink_cbr[i]),
              "UDP sender");
    }
}

/* Write pcap files of every mobile node, the home agent and the correspondent. */
static void
start_pcap(const struct campus *c, const char *stem)
{
    for (uint32_t i = 0; i < P.nodes; i++)
        check(mip6sec_pcap(c->mn[i], c->mn_if[i], stem), "pcap");
    check(mip6sec_pcap(c->ha, c->ha_home, stem), "pcap");
    check(mip6sec_pcap(c->ha, c->ha_up, stem), "pcap");
    check(mip6sec_pcap(c->cn, c->cn_if, stem), "pcap");
}

/* Run one simulated second at a time, so that a signal stops the run; returns the end time. */
static uint64_t
run(enum rec_status *status)
{
    uint64_t stop_ns = (uint64_t)(P.duration_s * 1e9);
    uint64_t t = 0;

    *status = REC_COMPLETE;
    while (t < stop_ns) {
        t = t + S < stop_ns ? t + S : stop_ns;
        check(mip6sec_run_until(t), "simulation");
        if (stop_requested) {
            *status = REC_INTERRUPTED;
            fprintf(stderr,
                    PROGRAM ": stopped by a signal at %.1f s simulated; writing the database "
                            "indexes, which takes a while after a long run\n",
                    (double)t / 1e9);
            break;
        }
    }
    return t;
}

/* The number of completed home registrations (`registered` events) in
 * the closed database, or -1 when it cannot be read. */
static long long
count_registrations(void)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long n = -1;

    /* Read-write, because only a connection that may write removes the
     * -wal and -shm files when it closes. */
    if (sqlite3_open_v2(P.output, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT count(*) FROM mobility_event WHERE kind = ?", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_int(st, 1, REC_MOB_REGISTERED);
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
    }
    if (n < 0)
        fprintf(stderr, PROGRAM ": counting handoffs in %s failed: %s\n", P.output,
                db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* Sum the packet counts of the applications. */
static uint64_t
sum_counts(const uint32_t *apps, size_t n)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t packets = 0;
        mip6sec_app_counts(apps[i], &packets, NULL);
        total += packets;
    }
    return total;
}

int
main(int argc, char **argv)
{
    char err[512];

    enum cmdline_result parsed = cmdline_parse(
        argc, argv, PROGRAM,
        "many mobile nodes with one home agent move over a campus of access networks while a "
        "correspondent streams UDP to every home address; every packet event is recorded in "
        "SQLite",
        OPTIONS, N_OPTIONS);
    if (parsed != CMDLINE_OK)
        return parsed == CMDLINE_HELP ? 0 : 2;
    if (!validate())
        return 2;

    struct campus c = {0};
    struct traffic t = {0};
    uint32_t n = (uint32_t)P.nodes;
    c.ar = calloc(P.access_routers, sizeof *c.ar);
    c.mn = calloc(n, sizeof *c.mn);
    c.mn_if = calloc(n, sizeof *c.mn_if);
    t.downlink_sink = calloc(n, sizeof *t.downlink_sink);
    t.downlink_cbr = calloc(n, sizeof *t.downlink_cbr);
    t.uplink_cbr = calloc(n, sizeof *t.uplink_cbr);
    uint8_t(*home_addresses)[16] = calloc(n, sizeof *home_addresses);
    if (!c.ar || !c.mn || !c.mn_if || !t.downlink_sink || !t.downlink_cbr || !t.uplink_cbr ||
        !home_addresses) {
        fprintf(stderr, PROGRAM ": out of memory for %u mobile nodes\n", n);
        return 1;
    }

    /* ----- recording ----- */
    rec = rec_open(P.output, err, sizeof err);
    if (!rec) {
        fprintf(stderr, PROGRAM ": %s\n", err);
        return 1;
    }
    for (size_t i = 0; i < N_OPTIONS; i++) {
        char value[1024];
        cmdline_format(&OPTIONS[i], value, sizeof value);
        rec_param(rec, OPTIONS[i].name, value);
    }
    signal(SIGINT, request_stop);
    signal(SIGTERM, request_stop);

    /* ----- topology and movement ----- */
    check(mip6sec_init((uint32_t)P.seed, P.run), "ns-3 setup");
    create_nodes(&c);
    build_network(&c);
    start_mobile_nodes(&c);

    rec_begin(rec, P.seed, P.run, mip6sec_ns3_version(), MIP6SEC_VERSION);
    record_nodes(&c);

    /* ----- Mobile IPv6 with IPsec, traffic ----- */
    char stem[1024];
    output_stem(stem, sizeof stem);
    install_mobile_ipv6(&c, home_addresses, P.pcap ? stem : NULL);
    start_traffic(&c, home_addresses, &t);
    if (P.pcap)
        start_pcap(&c, stem);

    enum rec_status status;
    uint64_t end_ns = run(&status);

    uint64_t sent = sum_counts(t.downlink_cbr, n);
    uint64_t received = sum_counts(t.downlink_sink, n);
    uint64_t up_sent = 0, up_received = 0;
    if (P.uplink_interval_ms > 0) {
        up_sent = sum_counts(t.uplink_cbr, n);
        up_received = sum_counts(&t.uplink_sink, 1);
    }

    int rc = rec_close(rec, status);
    mip6sec_destroy();
    long long handoffs = count_registrations();
    printf(PROGRAM ": %.1f s simulated, %u mobile nodes, %lld home registrations, "
                   "UDP to the home addresses: %llu sent, %llu received",
           (double)end_ns / 1e9, n, handoffs, (unsigned long long)sent,
           (unsigned long long)received);
    if (P.uplink_interval_ms > 0)
        printf(", uplink: %llu sent, %llu received", (unsigned long long)up_sent,
               (unsigned long long)up_received);
    printf("; events in %s\n", P.output);

    free(c.ar);
    free(c.mn);
    free(c.mn_if);
    free(t.downlink_sink);
    free(t.downlink_cbr);
    free(t.uplink_cbr);
    free(home_addresses);
    if (status == REC_INTERRUPTED)
        return 130; /* the shell's convention for a run ended by SIGINT */
    return rc == 0 && handoffs >= 0 ? 0 : 1;
}
