/*
 * handoff_options.c - the handoff scenario's command line: every option
 * with its default, unit, range and help, and the checks of the options
 * together that run before the database is created.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmdline.h"
#include "handoff.h"
#include "mip6sec.h"
#include "ns2_trace.h"
#include "traffic.h"

struct params P = {
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
    .nd_queue = 3,
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

struct mip6_cost_table cost_table;

unsigned traffic_kinds;

const struct cmdline_option OPTIONS[] = {
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
    {"ndQueue", CMDLINE_UINT, &P.nd_queue, "packets", 1, 100000,
     "packets that a node holds per neighbor while it resolves the neighbor's link-layer "
     "address, the oldest replaced when full (RFC 4861 section 7.2.2; ns-3 "
     "NdiscCache::UnresolvedQueueSize). A BA that meets a full queue is lost"},
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
     "the IKE SA's age at which the mobile node rekeys it (IKEv2), or replaces it with a new "
     "phase 1 and new quick modes (IKEv1, which cannot rekey an ISAKMP SA); 0 never"},
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

const size_t N_OPTIONS = sizeof OPTIONS / sizeof OPTIONS[0];

/* The model's router advertisement daemon configuration for a router. */
void
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

bool
handoff_validate(void)
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
        char err[512];
        if (stat(P.trace, &st) != 0 || !S_ISREG(st.st_mode)) {
            fprintf(stderr,
                    "mip6sec-handoff: cannot read --trace=%s: not a readable file; give the "
                    "path of an ns-2 mobility trace file\n",
                    P.trace);
            return false;
        }
        /* The mobile node is $node_(0) of the trace. */
        if (ns2_trace_check_file(P.trace, 0, err, sizeof err) != NS2_TRACE_OK) {
            fprintf(stderr, "mip6sec-handoff: invalid --trace: %s\n", err);
            return false;
        }
    }
    return true;
}
