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
 * Copy this file to write another scenario: it uses only the public C
 * API of the model (model/mip6sec.h) and of the ns-3 shim
 * (shim/mip6sec-ns3.h).
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdline.h"
#include "cn.h"
#include "ipv6.h"
#include "mip6sec-ns3.h"
#include "mip6sec.h"
#include "rec.h"
#include "sim.h"
#include "traffic.h"

#define MS 1000000ull
#define S 1000000000ull

/* Largest UDP payload whose ESP tunnel packet fits the 1500-byte access
 * links: 1500 - 40 (outer IPv6) - 8 (SPI, sequence) - 16 (AES IV)
 * - 12 (ICV) leaves 1424 bytes of ciphertext for the inner packet and
 * the 2-byte ESP trailer, and 1424 - 2 - 40 (inner IPv6) - 8 (UDP) = 1374.
 * A larger packet is fragmented, and the model's ingress hooks do not
 * reassemble fragments. */
#define MAX_PACKET_SIZE_ESP_PAYLOAD 1374

/* Home prefix lifetimes that --prefixChangeAt switches to.  They differ
 * from the defaults (2592000 s and 604800 s), so the change makes the
 * home agent send unsolicited Mobile Prefix Advertisements. */
#define CHANGED_PREFIX_VALID_S 7200
#define CHANGED_PREFIX_PREFERRED_S 3600

#ifndef MIP6SEC_VERSION
#define MIP6SEC_VERSION "unknown"
#endif

/* The SSID of every access point with --access=wifi, so the station roams. */
#define WIFI_SSID "mip6sec"

/* Most access routers --accessRouters may ask for.  Their access prefixes
 * 2001:1:0:2::/64 upward and backbone prefixes 2001:1:0:102::/64 upward
 * must not meet. */
#define MAX_ACCESS_ROUTERS 64

struct params {
    uint64_t seed;
    uint64_t run;
    double duration_s;
    double speed;
    double spacing;
    uint64_t access_routers;
    const char *trace;
    uint64_t ra_min_ms;
    uint64_t ra_max_ms;
    double backbone_delay_ms;
    double backbone_rate_mbps;
    double access_delay_us;
    double access_rate_mbps;
    double interval_ms;
    uint64_t packet_size;
    double uplink_interval_ms;
    struct traffic_options traffic;
    double dad_timeout_ms;
    bool optimistic_dad;
    uint64_t lifetime_s;
    double check_interval_ms;
    double hysteresis;
    const char *access;
    bool active_probing;
    bool router_solicitation;
    double rs_max_delay_ms;
    const char *radvd;
    double min_delay_between_ras_ms;
    double max_ra_delay_ms;
    bool adv_interval_option;
    uint64_t ra_loss_intervals;
    double prefix_change_s;
    const char *encryption;
    const char *tunnel_esp;
    const char *output;
    bool pcap;
    bool route_optimization;
    bool strict_tunnel_source;
    const char *spd_mobile_node;
    const char *spd_home_agent;
    const char *spd_write;
    const char *keying;
    const char *ike_auth;
    bool k_bit;
    bool pfs;
    uint64_t dh_group;
    double ike_lifetime_s;
    double sa_soft_lifetime_s;
    double sa_hard_lifetime_s;
    uint64_t sa_soft_bytes;
    uint64_t sa_hard_bytes;
    uint64_t replay_window;
    bool esn;
    double ike_retransmit_ms;
    uint64_t ike_retries;
    double dh_cost_us;
    double auth_cost_us;
    bool cpu_model;
    double mn_slowdown;
    double ha_slowdown;
    const char *costs;
};

static struct params P = {
    .seed = 1,
    .run = 1,
    .duration_s = 25,
    .speed = 10,
    .spacing = 100,
    .access_routers = 2,
    .trace = "",
    .ra_min_ms = 30,
    .ra_max_ms = 70,
    .backbone_delay_ms = 5,
    .backbone_rate_mbps = 100,
    .access_delay_us = 1,
    .access_rate_mbps = 100,
    .interval_ms = 10,
    .packet_size = 200,
    .uplink_interval_ms = 0,
    .traffic =
        {
            .kinds = "udp",
            .tcp_variant = "NewReno",
            .tcp_segment_size = TRAFFIC_DEFAULT_SEGMENT_SIZE,
            .tcp_uplink = false,
            .ping_interval_ms = 100,
        },
    .dad_timeout_ms = 1000,
    .optimistic_dad = false,
    .lifetime_s = 420,
    .check_interval_ms = 10,
    .hysteresis = 5,
    .access = "csma",
    .active_probing = false,
    .router_solicitation = false,
    .rs_max_delay_ms = 1000,
    .radvd = "ns3",
    .min_delay_between_ras_ms = 3000,
    .max_ra_delay_ms = 500,
    .adv_interval_option = true,
    .ra_loss_intervals = 0,
    .prefix_change_s = 0,
    .encryption = "aes-cbc",
    .tunnel_esp = "rr",
    .output = "handoff.db",
    .pcap = false,
    .route_optimization = false,
    .strict_tunnel_source = false,
    .spd_mobile_node = "",
    .spd_home_agent = "",
    .spd_write = "",
    .keying = "manual",
    .ike_auth = "psk",
    .k_bit = true,
    .pfs = false,
    .dh_group = 0,
    .ike_lifetime_s = 0,
    .sa_soft_lifetime_s = 0,
    .sa_hard_lifetime_s = 0,
    .sa_soft_bytes = 0,
    .sa_hard_bytes = 0,
    .replay_window = 64,
    .esn = false,
    .ike_retransmit_ms = 1000,
    .ike_retries = 5,
    .dh_cost_us = -1,
    .auth_cost_us = -1,
    .cpu_model = false,
    .mn_slowdown = 1,
    .ha_slowdown = 1,
    .costs = "",
};

/* The cost table of --costs, loaded by validate(). */
static struct mip6_cost_table cost_table;

/* The TRAFFIC_* bits of --traffic, parsed by validate(). */
static unsigned traffic_kinds;

static const struct cmdline_option OPTIONS[] = {
    {"seed", CMDLINE_UINT, &P.seed, NULL, 1, 4294967295.0,
     "seed of ns-3's random number generator (RngSeed); also derives the SA keys"},
    {"run", CMDLINE_UINT, &P.run, NULL, 1, 1e15, "run number (ns-3 RngRun): one replication"},
    {"duration", CMDLINE_DOUBLE, &P.duration_s, "s", 3, 1e6, "simulated time"},
    {"speed", CMDLINE_DOUBLE, &P.speed, "m/s", 0, 1000,
     "mobile node speed along x from x = 0 (ignored with --trace)"},
    {"spacing", CMDLINE_DOUBLE, &P.spacing, "m", 1, 1e6,
     "distance between neighbouring access points"},
    {"accessRouters", CMDLINE_UINT, &P.access_routers, NULL, 1, MAX_ACCESS_ROUTERS,
     "access routers in a row after the home link (ar1, ar2, ...), --spacing apart"},
    {"trace", CMDLINE_STRING, &P.trace, NULL, 0, 0,
     "ns-2 mobility trace whose $node_(0) is the mobile node (BonnMotion's ns-2 format)"},
    {"raMin", CMDLINE_UINT, &P.ra_min_ms, "ms", 30, 1800000,
     "MinRtrAdvInterval of the access routers (RFC 6275 section 7.5 allows 30 ms)"},
    {"raMax", CMDLINE_UINT, &P.ra_max_ms, "ms", 70, 1800000,
     "MaxRtrAdvInterval of the access routers (RFC 6275 section 7.5 allows 70 ms)"},
    {"backboneDelay", CMDLINE_DOUBLE, &P.backbone_delay_ms, "ms", 0, 10000,
     "one-way delay of each backbone point-to-point link"},
    {"backboneRate", CMDLINE_DOUBLE, &P.backbone_rate_mbps, "Mbit/s", 0.001, 1e5,
     "rate of each backbone link"},
    {"accessDelay", CMDLINE_DOUBLE, &P.access_delay_us, "us", 0, 1e7,
     "propagation delay of each access (CSMA) link"},
    {"accessRate", CMDLINE_DOUBLE, &P.access_rate_mbps, "Mbit/s", 0.001, 1e5,
     "rate of each access link"},
    {"interval", CMDLINE_DOUBLE, &P.interval_ms, "ms", 0.01, 1e6,
     "gap between UDP packets from the correspondent to the home address"},
    {"packetSize", CMDLINE_UINT, &P.packet_size, "bytes", 12, 1400, "UDP payload size"},
    {"uplinkInterval", CMDLINE_DOUBLE, &P.uplink_interval_ms, "ms", 0, 1e6,
     "gap between UDP packets from the mobile node to the correspondent; 0 sends none"},
    {"traffic", CMDLINE_STRING, &P.traffic.kinds, NULL, 0, 0,
     "what the correspondent sends to the home address: udp (the options above), tcp (a bulk "
     "transfer) or ping (ICMPv6 echo requests), or a comma-separated list such as udp,ping"},
    {"tcpVariant", CMDLINE_STRING, &P.traffic.tcp_variant, NULL, 0, 0,
     "with tcp traffic, the congestion control (ns-3 TcpL4Protocol::SocketType without "
     "\"ns3::Tcp\"): NewReno, LinuxReno, Bic, Cubic, HighSpeed, Htcp, Hybla, Illinois, Ledbat, "
     "Lp, Scalable, Vegas, Veno, Westwood, Yeah, Bbr or Dctcp"},
    {"tcpSegmentSize", CMDLINE_UINT, &P.traffic.tcp_segment_size, "bytes", 16, 65535,
     "with tcp traffic, the TCP maximum segment size (ns-3 TcpSocket::SegmentSize); at most "
     "1360, or 1322 with --tunnelEsp=all, so that segments fit the tunnel"},
    {"tcpUplink", CMDLINE_BOOL, &P.traffic.tcp_uplink, NULL, 0, 1,
     "with tcp traffic, the mobile node also sends a bulk transfer from its home address to "
     "the correspondent"},
    {"pingInterval", CMDLINE_DOUBLE, &P.traffic.ping_interval_ms, "ms", 0.01, 1e6,
     "with ping traffic, the gap between echo requests from the correspondent to the home "
     "address"},
    {"dadTimeout", CMDLINE_DOUBLE, &P.dad_timeout_ms, "ms", 0, 1e5,
     "how long a new address stays tentative (ns-3 Icmpv6L4Protocol::DadTimeout)"},
    {"optimisticDad", CMDLINE_BOOL, &P.optimistic_dad, NULL, 0, 1,
     "the mobile node uses each care-of address while duplicate address detection still runs "
     "(RFC 4429) and sends its BU at once; false waits --dadTimeout first"},
    {"lifetime", CMDLINE_UINT, &P.lifetime_s, "s", 4, 262140,
     "binding lifetime the mobile node requests"},
    {"checkInterval", CMDLINE_DOUBLE, &P.check_interval_ms, "ms", 0.1, 1e5,
     "how often the layer-2 model compares positions to pick the nearest access point"},
    {"hysteresis", CMDLINE_DOUBLE, &P.hysteresis, "m", 0, 1e6,
     "how much nearer another access point must be before the node moves to it"},
    {"access", CMDLINE_STRING, &P.access, NULL, 0, 0,
     "layer 2 of the access links: csma moves the mobile node's CSMA device to the nearest "
     "access point's link; wifi gives the routers 802.11a access points and the mobile node a "
     "station that re-associates after missing 10 beacons (about 1 s)"},
    {"activeProbing", CMDLINE_BOOL, &P.active_probing, NULL, 0, 1,
     "with --access=wifi, the station sends probe requests when it scans for an access point; "
     "false waits for beacons"},
    {"routerSolicitation", CMDLINE_BOOL, &P.router_solicitation, NULL, 0, 1,
     "the mobile node sends a Router Solicitation after each link up (a CSMA link change or a "
     "WiFi association), after a random delay of up to --rsMaxDelay"},
    {"rsMaxDelay", CMDLINE_DOUBLE, &P.rs_max_delay_ms, "ms", 0, 1000,
     "with --routerSolicitation, the longest random delay before the first solicitation "
     "(RFC 4861 MAX_RTR_SOLICITATION_DELAY is 1000 ms; 0 sends at once)"},
    {"radvd", CMDLINE_STRING, &P.radvd, NULL, 0, 0,
     "router advertisement daemon of the home agent and access routers: ns3 (ns-3's Radvd) or "
     "model (mip6sec's, with the Advertisement Interval and Home Agent Information options of "
     "RFC 6275 and fast responses to solicitations)"},
    {"minDelayBetweenRas", CMDLINE_DOUBLE, &P.min_delay_between_ras_ms, "ms", 30, 1e6,
     "with --radvd=model, the shortest gap between two advertisements, also in response to a "
     "solicitation (RFC 4861: 3000 ms; RFC 6275 section 7.5 allows 30 ms)"},
    {"maxRaDelay", CMDLINE_DOUBLE, &P.max_ra_delay_ms, "ms", 0, 1e6,
     "with --radvd=model, the longest random delay of the response to a solicitation (RFC 4861 "
     "MAX_RA_DELAY_TIME: 500 ms)"},
    {"advIntervalOption", CMDLINE_BOOL, &P.adv_interval_option, NULL, 0, 1,
     "with --radvd=model, advertisements carry the Advertisement Interval option (RFC 6275 "
     "section 7.3)"},
    {"raLossIntervals", CMDLINE_UINT, &P.ra_loss_intervals, NULL, 0, 100,
     "with --radvd=model, the mobile node takes its router for lost after this many "
     "Advertisement Intervals without an advertisement, probes it with neighbor "
     "unreachability detection and, with --routerSolicitation, solicits; 0 never does"},
    {"prefixChangeAt", CMDLINE_DOUBLE, &P.prefix_change_s, "s", 0, 1e6,
     "simulated time at which the home agent changes its home prefix lifetimes to valid 7200 s "
     "and preferred 3600 s and sends unsolicited Mobile Prefix Advertisements; 0 never changes "
     "them"},
    {"encryption", CMDLINE_STRING, &P.encryption, NULL, 0, 0,
     "ESP encryption of the BU/BA SAs: aes-cbc (AES-128-CBC) or null; "
     "authentication is always HMAC-SHA1-96"},
    {"tunnelEsp", CMDLINE_STRING, &P.tunnel_esp, NULL, 0, 0,
     "ESP tunnel mode (AES-128-CBC, HMAC-SHA1-96) in the tunnel between mobile node and home "
     "agent: rr protects HoTI and HoT and leaves payload in plain IPv6-in-IPv6, all protects "
     "payload too (then --packetSize is at most 1374), none protects nothing (RFC 3776 "
     "sections 3.2, 3.4, 5.2.2, 5.2.4)"},
    {"output", CMDLINE_STRING, &P.output, NULL, 0, 0,
     "SQLite database to write (replaced if it exists)"},
    {"strictTunnelSource", CMDLINE_BOOL, &P.strict_tunnel_source, NULL, 0, 1,
     "the home agent takes tunnel-mode ESP only from the care-of address of the last accepted "
     "BU (RFC 3776 section 4.3 read strictly); false lets the SA's keys identify the mobile "
     "node from any source (RFC 6275 section 10.4.5)"},
    {"routeOptimization", CMDLINE_BOOL, &P.route_optimization, NULL, 0, 1,
     "run return routability after every home registration and exchange traffic directly "
     "between correspondent and mobile node (RFC 6275 route optimization)"},
    {"spdMobileNode", CMDLINE_STRING, &P.spd_mobile_node, NULL, 0, 0,
     "load the mobile node's SAs and SPD from this file (docs/spd-format.md) instead of the "
     "RFC 3776 section 5.2 presets; needs --spdHomeAgent too"},
    {"spdHomeAgent", CMDLINE_STRING, &P.spd_home_agent, NULL, 0, 0,
     "load the home agent's SAs and SPD from this file; needs --spdMobileNode too"},
    {"spdWrite", CMDLINE_STRING, &P.spd_write, NULL, 0, 0,
     "write both nodes' SAs and SPD as installed to <spdWrite>-mn.spd and <spdWrite>-ha.spd, "
     "to edit and load with --spdMobileNode and --spdHomeAgent"},
    {"keying", CMDLINE_STRING, &P.keying, NULL, 0, 0,
     "how the SAs between mobile node and home agent get keys: manual (RFC 3776 section 5.2), "
     "ikev2 (RFC 4877: IKEv2 from the care-of address before the first BU) or ikev1 (RFC 3776 "
     "section 4.4: IKEv1 aggressive mode with a pre-shared key, then quick mode)"},
    {"ikeAuth", CMDLINE_STRING, &P.ike_auth, NULL, 0, 0,
     "how IKE_AUTH proves each end's identity with --keying=ikev2: psk (a shared key, RFC 7296 "
     "section 2.15) or ed25519 (Ed25519 signatures, RFC 8420); --keying=ikev1 uses psk"},
    {"kBit", CMDLINE_BOOL, &P.k_bit, NULL, 0, 1,
     "with --keying=ikev2 or ikev1, set the K bit in BU and BA so the IKE SA moves with the "
     "care-of address; false runs IKE again after every move (RFC 6275 section 11.7.1)"},
    {"pfs", CMDLINE_BOOL, &P.pfs, NULL, 0, 1,
     "with --keying=ikev2 or ikev1, a Diffie-Hellman exchange in every CREATE_CHILD_SA or "
     "quick mode"},
    {"dhGroup", CMDLINE_UINT, &P.dh_group, NULL, 0, 65535,
     "Diffie-Hellman group: 31 (Curve25519, IKEv2 only) or 14 (MODP-2048); 0 picks 31 for "
     "ikev2 and 14 for ikev1"},
    {"ikeLifetime", CMDLINE_DOUBLE, &P.ike_lifetime_s, "s", 0, 1e7,
     "with --keying=ikev2, the IKE SA's age at which the mobile node rekeys it; 0 never"},
    {"saSoftLifetime", CMDLINE_DOUBLE, &P.sa_soft_lifetime_s, "s", 0, 1e7,
     "child SA age at which the mobile node rekeys; 0 never"},
    {"saHardLifetime", CMDLINE_DOUBLE, &P.sa_hard_lifetime_s, "s", 0, 1e7,
     "child SA age at which both ends remove it; 0 never"},
    {"saSoftBytes", CMDLINE_UINT, &P.sa_soft_bytes, "bytes", 0, 1.8e19,
     "bytes through a child SA after which the mobile node rekeys; 0 no limit"},
    {"saHardBytes", CMDLINE_UINT, &P.sa_hard_bytes, "bytes", 0, 1.8e19,
     "bytes through a child SA after which it is removed; 0 no limit"},
    {"replayWindow", CMDLINE_UINT, &P.replay_window, "packets", 0, 1024,
     "anti-replay window of negotiated SAs (RFC 4303 section 3.4.3): 0 (off) or a multiple "
     "of 32 from 32 to 1024"},
    {"esn", CMDLINE_BOOL, &P.esn, NULL, 0, 1,
     "negotiate 64-bit extended sequence numbers (RFC 4303 section 2.2.1)"},
    {"ikeRetransmit", CMDLINE_DOUBLE, &P.ike_retransmit_ms, "ms", 1, 1e6,
     "first IKE retransmission timeout; it doubles with each retry"},
    {"ikeRetries", CMDLINE_UINT, &P.ike_retries, NULL, 0, 20,
     "IKE retransmissions before an exchange fails"},
    {"dhCost", CMDLINE_DOUBLE, &P.dh_cost_us, "us", -1, 1e8,
     "computation time of one Diffie-Hellman key pair and shared secret at each end; -1 takes "
     "it from the built-in cost table for --dhGroup (docs/crypto-costs.md)"},
    {"authCost", CMDLINE_DOUBLE, &P.auth_cost_us, "us", -1, 1e8,
     "computation time of one IKE AUTH value or check; -1 takes it from the cost table"},
    {"cpuModel", CMDLINE_BOOL, &P.cpu_model, NULL, 0, 1,
     "give the mobile node and the home agent a CPU that does their crypto one job at a time, "
     "so ESP and IKE work delays packets (costs: docs/crypto-costs.md)"},
    {"mnSlowdown", CMDLINE_DOUBLE, &P.mn_slowdown, NULL, 0.001, 1e6,
     "with --cpuModel, how many times slower the mobile node's CPU is than the one the cost "
     "table was measured on"},
    {"haSlowdown", CMDLINE_DOUBLE, &P.ha_slowdown, NULL, 0.001, 1e6,
     "with --cpuModel, the same factor for the home agent"},
    {"costs", CMDLINE_STRING, &P.costs, NULL, 0, 0,
     "cost table file written by crypto_cost --output=FILE; empty uses the built-in table"},
    {"pcap", CMDLINE_BOOL, &P.pcap, NULL, 0, 1,
     "write pcap files of the mobile node, home agent and correspondent next to the database, "
     "and the ESP keys for Wireshark in <output>-esp_sa (with --keying=ikev2 or ikev1 also the "
     "IKE keys in <output>-ikev2_decryption_table or <output>-ikev1_decryption_table)"},
};

#define N_OPTIONS (sizeof OPTIONS / sizeof OPTIONS[0])

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

/* The model's router advertisement daemon configuration for a router. */
static void
radvd_config(struct mip6_radvd_config *cfg, uint32_t ifindex, bool home_agent)
{
    mip6_radvd_config_default(cfg);
    cfg->ifindex = ifindex;
    cfg->min_interval_ms = (uint32_t)P.ra_min_ms;
    cfg->max_interval_ms = (uint32_t)P.ra_max_ms;
    cfg->min_delay_between_ras_ms = (uint32_t)P.min_delay_between_ras_ms;
    cfg->max_ra_delay_ms = (uint32_t)P.max_ra_delay_ms;
    cfg->adv_interval_option = P.adv_interval_option;
    cfg->home_agent = home_agent;
}

/* Check the router discovery options: which daemon, and options that
 * would have no effect with the choices made. */
static bool
validate_router_discovery(void)
{
    bool model = strcmp(P.radvd, "model") == 0;
    if (!model && strcmp(P.radvd, "ns3") != 0) {
        fprintf(stderr, "mip6sec-handoff: invalid value '%s' for --radvd: use ns3 or model\n",
                P.radvd);
        return false;
    }
    const char *unused = NULL;
    if (!model && P.min_delay_between_ras_ms != 3000)
        unused = "--minDelayBetweenRas";
    else if (!model && P.max_ra_delay_ms != 500)
        unused = "--maxRaDelay";
    else if (!model && !P.adv_interval_option)
        unused = "--advIntervalOption";
    else if (!model && P.ra_loss_intervals != 0)
        unused = "--raLossIntervals";
    if (unused) {
        fprintf(stderr,
                "mip6sec-handoff: %s acts only with --radvd=model; add it or leave %s out\n",
                unused, unused);
        return false;
    }
    if (!P.router_solicitation && P.rs_max_delay_ms != 1000) {
        fprintf(stderr, "mip6sec-handoff: --rsMaxDelay acts only with --routerSolicitation=true; "
                        "add it or leave --rsMaxDelay out\n");
        return false;
    }
    if (P.ra_loss_intervals != 0 && !P.adv_interval_option) {
        fprintf(stderr, "mip6sec-handoff: --raLossIntervals needs the Advertisement Interval "
                        "option; leave out --advIntervalOption=false\n");
        return false;
    }
    if (model) {
        struct mip6_radvd_config cfg;
        char err[256];
        radvd_config(&cfg, 0, false);
        if (!mip6_radvd_config_check(&cfg, err, sizeof err)) {
            fprintf(stderr, "mip6sec-handoff: %s\n", err);
            return false;
        }
    }
    return true;
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

static bool
validate(void)
{
    /* RFC 4861 §6.2.1: MinRtrAdvInterval is at most 0.75 MaxRtrAdvInterval. */
    if (4 * P.ra_min_ms > 3 * P.ra_max_ms) {
        fprintf(stderr,
                "mip6sec-handoff: --raMin=%llu is above 0.75 x --raMax=%llu (RFC 4861 section "
                "6.2.1); lower raMin or raise raMax\n",
                (unsigned long long)P.ra_min_ms, (unsigned long long)P.ra_max_ms);
        return false;
    }
    if (!P.spd_mobile_node[0] != !P.spd_home_agent[0]) {
        fprintf(stderr, "mip6sec-handoff: --spdMobileNode and --spdHomeAgent go together; "
                        "give both files or neither\n");
        return false;
    }
    if (strcmp(P.encryption, "aes-cbc") != 0 && strcmp(P.encryption, "null") != 0) {
        fprintf(stderr,
                "mip6sec-handoff: invalid value '%s' for --encryption: use aes-cbc or null\n",
                P.encryption);
        return false;
    }
    if (strcmp(P.tunnel_esp, "none") != 0 && strcmp(P.tunnel_esp, "rr") != 0 &&
        strcmp(P.tunnel_esp, "all") != 0) {
        fprintf(stderr,
                "mip6sec-handoff: invalid value '%s' for --tunnelEsp: use none, rr or all\n",
                P.tunnel_esp);
        return false;
    }
    P.traffic.esp_tunnel = strcmp(P.tunnel_esp, "all") == 0;
    if (!traffic_validate("mip6sec-handoff", &P.traffic, &traffic_kinds))
        return false;
    if (!(traffic_kinds & TRAFFIC_UDP)) {
        const char *unused = P.interval_ms != 10         ? "--interval"
                             : P.packet_size != 200      ? "--packetSize"
                             : P.uplink_interval_ms != 0 ? "--uplinkInterval"
                                                         : NULL;
        if (unused) {
            fprintf(stderr,
                    "mip6sec-handoff: %s acts only with UDP traffic; add udp to --traffic "
                    "(--traffic=%s,udp) or leave it out\n",
                    unused, P.traffic.kinds);
            return false;
        }
    }
    if (strcmp(P.tunnel_esp, "all") == 0 && P.packet_size > MAX_PACKET_SIZE_ESP_PAYLOAD) {
        fprintf(stderr,
                "mip6sec-handoff: --packetSize=%llu is too large for --tunnelEsp=all: the ESP "
                "tunnel packets would exceed the 1500-byte link MTU; use --packetSize=%d or "
                "less, or --tunnelEsp=rr\n",
                (unsigned long long)P.packet_size, MAX_PACKET_SIZE_ESP_PAYLOAD);
        return false;
    }
    bool ikev1 = strcmp(P.keying, "ikev1") == 0;
    bool dynamic = ikev1 || strcmp(P.keying, "ikev2") == 0;
    if (!dynamic && strcmp(P.keying, "manual") != 0) {
        fprintf(stderr,
                "mip6sec-handoff: invalid value '%s' for --keying: use manual, ikev2 or ikev1\n",
                P.keying);
        return false;
    }
    if (P.dh_group == 0)
        P.dh_group = ikev1 ? 14 : 31;
    bool ed25519 = strcmp(P.ike_auth, "ed25519") == 0;
    if (!ed25519 && strcmp(P.ike_auth, "psk") != 0) {
        fprintf(stderr, "mip6sec-handoff: invalid value '%s' for --ikeAuth: use psk or ed25519\n",
                P.ike_auth);
        return false;
    }
    if (ikev1 && P.ike_lifetime_s > 0) {
        fprintf(stderr, "mip6sec-handoff: --ikeLifetime needs --keying=ikev2; IKE SA rekeying "
                        "is modelled for IKEv2 only\n");
        return false;
    }
    if (ikev1 && ed25519) {
        fprintf(stderr, "mip6sec-handoff: --ikeAuth=ed25519 needs --keying=ikev2; IKEv1 "
                        "authenticates with the shared key only (RFC 3776 section 4.4)\n");
        return false;
    }
    /* The IKEv1 code derives keys over MODP groups only. */
    if (ikev1 && P.dh_group != 14) {
        fprintf(stderr,
                "mip6sec-handoff: invalid value %llu for --dhGroup with --keying=ikev1: IKEv1 "
                "runs MODP groups only; use --dhGroup=14 (MODP-2048)\n",
                (unsigned long long)P.dh_group);
        return false;
    }
    /* The IKE options are checked with any --keying, before the database
     * is replaced. */
    if (P.dh_group != 14 && P.dh_group != 31) {
        fprintf(stderr,
                "mip6sec-handoff: invalid value %llu for --dhGroup: use 31 (Curve25519) "
                "or 14 (MODP-2048)\n",
                (unsigned long long)P.dh_group);
        return false;
    }
    if (P.replay_window != 0 && (P.replay_window < 32 || P.replay_window % 32 != 0)) {
        fprintf(stderr,
                "mip6sec-handoff: invalid value %llu for --replayWindow: use 0 (off) or a "
                "multiple of 32 from 32 to 1024\n",
                (unsigned long long)P.replay_window);
        return false;
    }
    if (P.esn && P.replay_window == 0) {
        fprintf(stderr, "mip6sec-handoff: --esn=true needs the anti-replay window, which infers "
                        "the high half of each sequence number; give --replayWindow\n");
        return false;
    }
    if (P.sa_soft_lifetime_s > 0 && P.sa_hard_lifetime_s > 0 &&
        P.sa_soft_lifetime_s >= P.sa_hard_lifetime_s) {
        fprintf(stderr,
                "mip6sec-handoff: --saSoftLifetime=%g s is not below --saHardLifetime=%g s; "
                "lower saSoftLifetime so that the rekey starts before the SA ends\n",
                P.sa_soft_lifetime_s, P.sa_hard_lifetime_s);
        return false;
    }
    if (P.sa_soft_bytes > 0 && P.sa_hard_bytes > 0 && P.sa_soft_bytes >= P.sa_hard_bytes) {
        fprintf(stderr,
                "mip6sec-handoff: --saSoftBytes=%llu is not below --saHardBytes=%llu; lower "
                "saSoftBytes so that the rekey starts before the SA ends\n",
                (unsigned long long)P.sa_soft_bytes, (unsigned long long)P.sa_hard_bytes);
        return false;
    }
    /* Options that act only with dynamic keying or the CPU model: naming
     * one without them is a mistake, not a request to ignore it. */
    if (!dynamic) {
        const char *unused = P.ike_lifetime_s > 0          ? "--ikeLifetime"
                             : P.sa_soft_lifetime_s > 0    ? "--saSoftLifetime"
                             : P.sa_hard_lifetime_s > 0    ? "--saHardLifetime"
                             : P.sa_soft_bytes > 0         ? "--saSoftBytes"
                             : P.sa_hard_bytes > 0         ? "--saHardBytes"
                             : !P.k_bit                    ? "--kBit"
                             : P.pfs                       ? "--pfs"
                             : P.esn                       ? "--esn"
                             : P.replay_window != 64       ? "--replayWindow"
                             : ed25519                     ? "--ikeAuth"
                             : P.ike_retransmit_ms != 1000 ? "--ikeRetransmit"
                             : P.ike_retries != 5          ? "--ikeRetries"
                             : P.dh_cost_us >= 0           ? "--dhCost"
                             : P.auth_cost_us >= 0         ? "--authCost"
                                                           : NULL;
        if (unused) {
            fprintf(stderr,
                    "mip6sec-handoff: %s acts only with dynamic keying; add --keying=ikev2 or "
                    "--keying=ikev1, or leave it out\n",
                    unused);
            return false;
        }
    }
    if (!P.cpu_model && (P.mn_slowdown != 1 || P.ha_slowdown != 1 || P.costs[0])) {
        fprintf(stderr, "mip6sec-handoff: --mnSlowdown, --haSlowdown and --costs act only with "
                        "the CPU model; add --cpuModel=true or leave them out\n");
        return false;
    }
    bool wifi = strcmp(P.access, "wifi") == 0;
    if (!wifi && strcmp(P.access, "csma") != 0) {
        fprintf(stderr, "mip6sec-handoff: invalid value '%s' for --access: use csma or wifi\n",
                P.access);
        return false;
    }
    if (!wifi && P.active_probing) {
        fprintf(stderr, "mip6sec-handoff: --activeProbing acts only with WiFi; add "
                        "--access=wifi or leave it out\n");
        return false;
    }
    if (!validate_router_discovery())
        return false;
    if (wifi) {
        const char *unused = P.check_interval_ms != 10   ? "--checkInterval"
                             : P.hysteresis != 5         ? "--hysteresis"
                             : P.access_delay_us != 1    ? "--accessDelay"
                             : P.access_rate_mbps != 100 ? "--accessRate"
                                                         : NULL;
        if (unused) {
            fprintf(stderr,
                    "mip6sec-handoff: %s sets the CSMA access links; leave it out with "
                    "--access=wifi, where ns-3's 802.11a model decides rates and handoffs\n",
                    unused);
            return false;
        }
    }
    if (!P.output[0]) {
        fprintf(stderr, "mip6sec-handoff: --output is empty; give the path of the database to "
                        "write\n");
        return false;
    }
    if (P.costs[0]) {
        struct mip6_cost_error e;
        cost_table = mip6_cost_defaults;
        if (mip6_cost_load_file(&cost_table, P.costs, &e) != MIP6_COST_OK) {
            fprintf(stderr,
                    "mip6sec-handoff: invalid --costs file: %s (docs/crypto-costs.md gives the "
                    "format)\n",
                    e.message);
            return false;
        }
    }
    if (dynamic && P.spd_mobile_node[0]) {
        fprintf(stderr,
                "mip6sec-handoff: --spdMobileNode loads manual keys; it cannot go with "
                "--keying=%s\n",
                P.keying);
        return false;
    }
    if (P.prefix_change_s >= P.duration_s) {
        fprintf(stderr,
                "mip6sec-handoff: --prefixChangeAt=%g s is not before the end of the run "
                "(--duration=%g s); use a smaller prefixChangeAt, 0 for no change\n",
                P.prefix_change_s, P.duration_s);
        return false;
    }
    if (P.trace[0]) {
        struct stat st;
        FILE *f = stat(P.trace, &st) == 0 && S_ISREG(st.st_mode) ? fopen(P.trace, "r") : NULL;
        if (!f) {
            fprintf(stderr,
                    "mip6sec-handoff: cannot read --trace=%s: not a readable file; give the "
                    "path of an ns-2 mobility trace file\n",
                    P.trace);
            return false;
        }
        fclose(f);
    }
    return true;
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
    if (!validate())
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
