/*
 * attack.c - attacks on the signalling between a mobile node and its
 * home agent, and how RFC 3776 IPsec stops them, in real ns-3.
 *
 *            cn
 *             | 2001:1:0:100::/64
 *            r0 (backbone router)
 *      ______|______
 *     |             |
 *     ha           ar1                point-to-point links
 *     |             |
 *   home link    foreign link         CSMA links
 *   2001:1:0:1::/64  2001:1:0:2::/64
 *
 *   victim    mobile node 0.  It leaves the home link for the foreign
 *             link at 1 s and registers there.  It exchanges UDP with cn
 *             through the home agent.
 *   attacker  mobile node 1 of the same home agent, with its own home
 *             address and SAs.  It follows to the foreign link at 1.5 s
 *             and registers too.  It receives copies of the victim's
 *             packets on that link, which the scenario takes from the
 *             victim's trace.
 *
 * At --attackAt the attacker sends one crafted packet to the home agent
 * (replay-esp sends a second one at --replayOldAt).  docs/attacks.md
 * lists the attacks, the rule that stops each and the queries that show
 * it in the database.  At the end the program reads the database back
 * and prints what the home agent did with the attacker's packets and
 * whether its binding for the victim kept the victim's care-of address.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attack.h"
#include "cmdline.h"
#include "esp.h"
#include "ipv6.h"
#include "mip6sec-ns3.h"
#include "mip6sec.h"
#include "rec.h"
#include "sim.h"

#define MS 1000000ull
#define S 1000000000ull

#ifndef MIP6SEC_VERSION
#define MIP6SEC_VERSION "unknown"
#endif

/* Both mobile nodes move to the foreign link at these times. */
#define VICTIM_MOVE_NS (1 * S)
#define ATTACKER_MOVE_NS (1500 * MS)
/* The attacker keeps its one registration for the whole run, so it sends
 * no BU of its own after the first. */
#define ATTACKER_LIFETIME_S 420

const char *const ATTACK_NAMES[N_ATTACKS] = {
    [ATTACK_FOREIGN_HOA] = "foreign-hoa", [ATTACK_CLEAR_BU] = "clear-bu",
    [ATTACK_UNKNOWN_SPI] = "unknown-spi", [ATTACK_BAD_ICV] = "bad-icv",
    [ATTACK_REPLAY_ESP] = "replay-esp",   [ATTACK_REPLAY_BU_OLD_SEQ] = "replay-bu-old-seq",
};

#define ATTACK_LIST "foreign-hoa, clear-bu, unknown-spi, bad-icv, replay-esp, replay-bu-old-seq"

struct params P = {
    .attack = "",
    .keying = "manual",
    .tunnel_esp = "all",
    .seed = 1,
    .run = 1,
    .duration_s = 12,
    .attack_at_s = 7,
    .replay_old_at_s = 10,
    .lifetime_s = 4,
    .interval_ms = 50,
    .uplink_interval_ms = 20,
    .output = "attack.db",
    .pcap = false,
};

static const struct cmdline_option OPTIONS[] = {
    {"attack", CMDLINE_STRING, &P.attack, NULL, 0, 0,
     "the attack (required): foreign-hoa (a BU for the victim's home address under the "
     "attacker's own SA), clear-bu (a BU without ESP), unknown-spi (a BU under an SPI the home "
     "agent does not have), bad-icv (the victim's last BU with one byte changed), replay-esp "
     "(the victim's last BU again at --attackAt, its first tunnel ESP packet at --replayOldAt), "
     "replay-bu-old-seq (the victim's first BU after a newer one was accepted)"},
    {"keying", CMDLINE_STRING, &P.keying, NULL, 0, 0,
     "how both mobile nodes get their SAs with the home agent: manual (RFC 3776 section 5.2, "
     "no anti-replay) or ikev2 (RFC 4877, anti-replay window of 64 packets)"},
    {"tunnelEsp", CMDLINE_STRING, &P.tunnel_esp, NULL, 0, 0,
     "ESP tunnel mode between mobile nodes and home agent: all (payload, HoTI and HoT), rr "
     "(HoTI and HoT) or none; replay-esp needs all"},
    {"seed", CMDLINE_UINT, &P.seed, NULL, 1, 4294967295.0,
     "seed of ns-3's random number generator (RngSeed); also derives the manual keys"},
    {"run", CMDLINE_UINT, &P.run, NULL, 1, 1e15, "run number (ns-3 RngRun): one replication"},
    {"duration", CMDLINE_DOUBLE, &P.duration_s, "s", 3, 1e5, "simulated time"},
    {"attackAt", CMDLINE_DOUBLE, &P.attack_at_s, "s", 0.1, 1e5,
     "simulated time of the attack; at least 1 s before --duration"},
    {"replayOldAt", CMDLINE_DOUBLE, &P.replay_old_at_s, "s", 0.1, 1e5,
     "replay-esp only: time of the second replay, which must come after the victim has sent "
     "more tunnel packets than the replay window since the first one"},
    {"lifetime", CMDLINE_UINT, &P.lifetime_s, "s", 4, 262140,
     "binding lifetime the victim requests; it refreshes at 90% of it, and "
     "replay-bu-old-seq needs a second BU before --attackAt"},
    {"interval", CMDLINE_DOUBLE, &P.interval_ms, "ms", 1, 1e6,
     "gap between UDP packets from cn to the victim's home address"},
    {"uplinkInterval", CMDLINE_DOUBLE, &P.uplink_interval_ms, "ms", 0, 1e6,
     "gap between UDP packets from the victim to cn; 0 sends none (replay-esp needs them)"},
    {"output", CMDLINE_STRING, &P.output, NULL, 0, 0,
     "SQLite database to write (replaced if it exists); foreign-hoa with --keying=ikev2 also "
     "writes the attacker's negotiated keys to <output without .db>-attacker-esp_sa"},
    {"pcap", CMDLINE_BOOL, &P.pcap, NULL, 0, 1,
     "write pcap files of both mobile nodes and the home agent next to the database, with the "
     "ESP keys for Wireshark in <output without .db>-esp_sa (with --keying=ikev2 the victim's "
     "only)"},
};

#define N_OPTIONS (sizeof OPTIONS / sizeof OPTIONS[0])

struct world W;
struct rec *rec;
static volatile sig_atomic_t stop_requested;

static void
request_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/*
 * Stop after an error before the simulation ran, without ns-3's
 * teardown, because before the first run ns-3.37's Radvd::DoDispose
 * dereferences a socket that only StartApplication creates.
 */
static void
stop_before_run(int status)
{
    rec_close(rec, REC_FAILED);
    fflush(NULL);
    _exit(status);
}

static void
check(int status, const char *what)
{
    if (status == 0)
        return;
    fprintf(stderr, PROGRAM ": %s failed: %s\n", what, mip6sec_last_error());
    stop_before_run(1);
}

/* ----- options ----- */

static bool
validate(void)
{
    W.attack = N_ATTACKS;
    for (int i = 0; i < N_ATTACKS; i++)
        if (strcmp(P.attack, ATTACK_NAMES[i]) == 0)
            W.attack = (enum attack)i;
    if (W.attack == N_ATTACKS && !P.attack[0]) {
        fprintf(stderr, PROGRAM ": missing --attack: give --attack=NAME with NAME one of %s\n",
                ATTACK_LIST);
        return false;
    }
    if (W.attack == N_ATTACKS) {
        fprintf(stderr, PROGRAM ": invalid value '%s' for --attack: use one of %s\n", P.attack,
                ATTACK_LIST);
        return false;
    }
    W.ikev2 = strcmp(P.keying, "ikev2") == 0;
    if (!W.ikev2 && strcmp(P.keying, "manual") != 0) {
        fprintf(stderr, PROGRAM ": invalid value '%s' for --keying: use manual or ikev2\n",
                P.keying);
        return false;
    }
    if (strcmp(P.tunnel_esp, "none") != 0 && strcmp(P.tunnel_esp, "rr") != 0 &&
        strcmp(P.tunnel_esp, "all") != 0) {
        fprintf(stderr, PROGRAM ": invalid value '%s' for --tunnelEsp: use none, rr or all\n",
                P.tunnel_esp);
        return false;
    }
    /* The attack packet needs time to reach the home agent and its BA to return. */
    if (P.attack_at_s + 1 > P.duration_s) {
        fprintf(stderr,
                PROGRAM ": --attackAt=%g is less than 1 s before the end of the run at "
                        "--duration=%g; lower attackAt or raise duration\n",
                P.attack_at_s, P.duration_s);
        return false;
    }
    if (W.attack != ATTACK_REPLAY_ESP)
        return true;

    if (strcmp(P.tunnel_esp, "all") != 0) {
        fprintf(stderr,
                PROGRAM ": replay-esp replays a tunnel ESP packet of the victim's UDP, which "
                        "needs --tunnelEsp=all, not '%s'\n",
                P.tunnel_esp);
        return false;
    }
    if (P.uplink_interval_ms <= 0) {
        fprintf(stderr,
                PROGRAM ": replay-esp replays a tunnel ESP packet of the victim's UDP, which "
                        "needs --uplinkInterval above 0, not %g\n",
                P.uplink_interval_ms);
        return false;
    }
    if (P.replay_old_at_s <= P.attack_at_s || P.replay_old_at_s + 1 > P.duration_s) {
        fprintf(stderr,
                PROGRAM ": --replayOldAt=%g must lie after --attackAt=%g and at least 1 s "
                        "before --duration=%g\n",
                P.replay_old_at_s, P.attack_at_s, P.duration_s);
        return false;
    }
    return true;
}

static enum mip6_tunnel_esp
tunnel_protection(void)
{
    if (strcmp(P.tunnel_esp, "all") == 0)
        return MIP6_TUNNEL_ESP_ALL;
    return strcmp(P.tunnel_esp, "rr") == 0 ? MIP6_TUNNEL_ESP_RR : MIP6_TUNNEL_ESP_NONE;
}

/* ----- setup ----- */

/* The output path without a trailing ".db", for pcap and key files. */
static void
output_stem(char *out, size_t out_len)
{
    snprintf(out, out_len, "%s", P.output);
    size_t n = strlen(out);
    if (n > 3 && strcmp(out + n - 3, ".db") == 0)
        out[n - 3] = '\0';
}

/* Give a mobile node its SAs with the home agent.  The index selects keys and SPIs. */
static void
install_keys(struct mip6_mn *mn, struct mip6_ha *ha, uint32_t index)
{
    char err[512];

    if (W.ikev2) {
        struct mip6_ike_config cfg;
        mip6_ike_config_default(&cfg);
        cfg.keying = MIP6_KEYING_IKEV2;
        cfg.tunnel = tunnel_protection();
        mip6_ike_identity_derive(&cfg, P.seed, index);
        W.replay_window = cfg.replay_window;
        if (mip6_dynamic_sas(mn, ha, &cfg, err, sizeof err) < 0) {
            fprintf(stderr, PROGRAM ": %s\n", err);
            stop_before_run(1);
        }
        return;
    }
    struct mip6_keys keys;
    mip6_keys_derive(&keys, P.seed, index, ESP_ENC_AES_128_CBC, ESP_AUTH_HMAC_SHA1_96);
    struct mip6_tunnel_keys tunnel_keys = {
        .protect = tunnel_protection(),
        .seed = P.seed,
        .mn_index = index,
        .enc = ESP_ENC_AES_128_CBC,
        .auth = ESP_AUTH_HMAC_SHA1_96,
    };
    if (mip6_manual_sas(mn, ha, &keys, err, sizeof err) < 0 ||
        mip6_tunnel_sas(mn, ha, &tunnel_keys, err, sizeof err) < 0) {
        fprintf(stderr, PROGRAM ": security associations: %s\n", err);
        stop_before_run(1);
    }
}

static struct mip6_mn *
install_mobile_node(uint32_t node, uint32_t ifindex, const struct mip6_ha_config *hc,
                    uint32_t lifetime_s, uint8_t hoa[16], uint8_t coa[16])
{
    char err[512];
    struct mip6_mn_config mc;
    uint8_t mac[6], foreign_prefix[16];

    mip6_mn_config_default(&mc);
    mc.ifindex = ifindex;
    mc.lifetime_s = lifetime_s;
    memcpy(mc.home_prefix, hc->home_prefix, 16);
    memcpy(mc.home_agent, hc->address, 16);
    sim_iface_mac48(node, ifindex, mac);
    ip6_addr_from_prefix_mac(mc.home_address, mc.home_prefix, mac);
    memcpy(hoa, mc.home_address, 16);
    /* The care-of address the model forms from the foreign prefix. */
    ip6_addr_from_text("2001:1:0:2::", foreign_prefix);
    ip6_addr_from_prefix_mac(coa, foreign_prefix, mac);

    struct mip6_mn *mn = mip6_mn_install(node, &mc, rec, err, sizeof err);
    if (!mn) {
        fprintf(stderr, PROGRAM ": mobile node: %s\n", err);
        stop_before_run(1);
    }
    return mn;
}

static void
record_attack_params(void)
{
    char text[64];

    rec_param(rec, "attack.name", ATTACK_NAMES[W.attack]);
    snprintf(text, sizeof text, "%llu", (unsigned long long)W.attack_ns[0]);
    rec_param(rec, "attack.time_ns", text);
    if (W.attack_ns[1]) {
        snprintf(text, sizeof text, "%llu", (unsigned long long)W.attack_ns[1]);
        rec_param(rec, "attack.old_replay_time_ns", text);
    }
    ip6_addr_to_text(W.victim_hoa, text, sizeof text);
    rec_param(rec, "attack.victim_hoa", text);
    ip6_addr_to_text(W.victim_coa, text, sizeof text);
    rec_param(rec, "attack.victim_coa", text);
    ip6_addr_to_text(W.attacker_coa, text, sizeof text);
    rec_param(rec, "attack.attacker_coa", text);
}

static void
write_pcaps(struct mip6_mn *victim, struct mip6_mn *attacker, uint32_t ha_home, uint32_t ha_up)
{
    char stem[1024], path[1100], err[512];

    output_stem(stem, sizeof stem);
    check(mip6sec_pcap(W.victim, W.victim_if, stem), "pcap");
    check(mip6sec_pcap(W.attacker, W.attacker_if, stem), "pcap");
    check(mip6sec_pcap(W.ha, ha_home, stem), "pcap");
    check(mip6sec_pcap(W.ha, ha_up, stem), "pcap");
    snprintf(path, sizeof path, "%s-esp_sa", stem);
    /* Negotiated SAs do not exist yet, so they are logged as they come. */
    int rc = W.ikev2 ? mip6_mn_log_esp_sas(victim, path, err, sizeof err)
                     : mip6_export_esp_sas(victim, path, 0, err, sizeof err);
    if (rc == 0 && !W.ikev2)
        rc = mip6_export_esp_sas(attacker, path, 1, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, PROGRAM ": %s\n", err);
}

int
main(int argc, char **argv)
{
    char err[512];

    enum cmdline_result parsed = cmdline_parse(
        argc, argv, PROGRAM,
        "a mobile node of the victim's home agent, on the victim's foreign link, attacks the "
        "victim's binding; every packet and mobility event is recorded in SQLite",
        OPTIONS, N_OPTIONS);
    if (parsed != CMDLINE_OK)
        return parsed == CMDLINE_HELP ? 0 : 2;
    if (!validate())
        return 2;

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

    /* ----- topology ----- */
    check(mip6sec_init((uint32_t)P.seed, P.run), "ns-3 setup");
    uint32_t cn, r0, ar1;
    check(mip6sec_node_create(&W.victim), "node");
    check(mip6sec_node_create(&cn), "node");
    check(mip6sec_node_create(&r0), "node");
    check(mip6sec_node_create(&W.ha), "node");
    check(mip6sec_node_create(&ar1), "node");
    check(mip6sec_node_create(&W.attacker), "node");
    uint32_t routers[] = {r0, W.ha, ar1};
    for (size_t i = 0; i < 3; i++)
        check(mip6sec_node_set_router(routers[i]), "router");

    uint32_t cn_if, r0_cn, r0_ha, ha_up, r0_ar1, ar1_up;
    check(mip6sec_p2p_link(cn, r0, 100000000, 5 * MS, &cn_if, &r0_cn), "link");
    check(mip6sec_p2p_link(r0, W.ha, 100000000, 5 * MS, &r0_ha, &ha_up), "link");
    check(mip6sec_p2p_link(r0, ar1, 100000000, 5 * MS, &r0_ar1, &ar1_up), "link");
    uint32_t home, foreign, ha_home, ar1_down;
    check(mip6sec_csma_channel(100000000, 1000, &home), "channel");
    check(mip6sec_csma_channel(100000000, 1000, &foreign), "channel");
    check(mip6sec_csma_attach(home, W.ha, &ha_home), "attach");
    check(mip6sec_csma_attach(foreign, ar1, &ar1_down), "attach");
    check(mip6sec_csma_attach(home, W.victim, &W.victim_if), "attach");
    check(mip6sec_csma_attach(home, W.attacker, &W.attacker_if), "attach");

    check(mip6sec_addr_assign(cn, cn_if, "2001:1:0:100::2/64"), "address");
    check(mip6sec_addr_assign(r0, r0_cn, "2001:1:0:100::1/64"), "address");
    check(mip6sec_addr_assign(r0, r0_ha, "2001:1:0:101::1/64"), "address");
    check(mip6sec_addr_assign(W.ha, ha_up, "2001:1:0:101::2/64"), "address");
    check(mip6sec_addr_assign(r0, r0_ar1, "2001:1:0:102::1/64"), "address");
    check(mip6sec_addr_assign(ar1, ar1_up, "2001:1:0:102::2/64"), "address");
    check(mip6sec_addr_assign(W.ha, ha_home, "2001:1:0:1::1/64"), "address");
    check(mip6sec_addr_assign(ar1, ar1_down, "2001:1:0:2::1/64"), "address");
    check(mip6sec_route_static(cn, "::/0", "2001:1:0:100::1", cn_if), "route");
    check(mip6sec_route_static(r0, "2001:1:0:1::/64", "2001:1:0:101::2", r0_ha), "route");
    check(mip6sec_route_static(r0, "2001:1:0:2::/64", "2001:1:0:102::2", r0_ar1), "route");
    check(mip6sec_route_static(W.ha, "::/0", "2001:1:0:101::1", ha_up), "route");
    check(mip6sec_route_static(ar1, "::/0", "2001:1:0:102::1", ar1_up), "route");
    check(mip6sec_radvd(W.ha, ha_home, "2001:1:0:1::/64", 30, 70, MIP6SEC_RA_HOME_AGENT),
          "router advertisements");
    check(mip6sec_radvd(ar1, ar1_down, "2001:1:0:2::/64", 30, 70, 0), "router advertisements");
    check(mip6sec_attach_move(W.victim, W.victim_if, foreign, VICTIM_MOVE_NS), "movement");
    check(mip6sec_attach_move(W.attacker, W.attacker_if, foreign, ATTACKER_MOVE_NS), "movement");

    /* ----- Mobile IPv6 with IPsec ----- */
    struct mip6_ha_config hc;
    mip6_ha_config_default(&hc);
    hc.home_ifindex = ha_home;
    ip6_addr_from_text("2001:1:0:1::1", hc.address);
    ip6_addr_from_text("2001:1:0:1::", hc.home_prefix);
    memcpy(W.ha_addr, hc.address, 16);
    struct mip6_ha *home_agent = mip6_ha_install(W.ha, &hc, rec, err, sizeof err);
    if (!home_agent) {
        fprintf(stderr, PROGRAM ": home agent: %s\n", err);
        stop_before_run(1);
    }
    struct mip6_mn *victim = install_mobile_node(W.victim, W.victim_if, &hc, (uint32_t)P.lifetime_s,
                                                 W.victim_hoa, W.victim_coa);
    struct mip6_mn *attacker = install_mobile_node(
        W.attacker, W.attacker_if, &hc, ATTACKER_LIFETIME_S, W.attacker_hoa, W.attacker_coa);
    install_keys(victim, home_agent, 0);
    install_keys(attacker, home_agent, ATTACKER_INDEX);
    if (W.ikev2 && W.attack == ATTACK_FOREIGN_HOA) {
        char stem[1024];
        output_stem(stem, sizeof stem);
        snprintf(W.attacker_sa_log, sizeof W.attacker_sa_log, "%s-attacker-esp_sa", stem);
        if (mip6_mn_log_esp_sas(attacker, W.attacker_sa_log, err, sizeof err) < 0) {
            fprintf(stderr, PROGRAM ": %s\n", err);
            stop_before_run(1);
        }
    }

    /* ----- recording of every node ----- */
    W.attack_ns[0] = (uint64_t)(P.attack_at_s * 1e9);
    if (W.attack == ATTACK_REPLAY_ESP)
        W.attack_ns[1] = (uint64_t)(P.replay_old_at_s * 1e9);
    record_attack_params();
    rec_begin(rec, P.seed, P.run, mip6sec_ns3_version(), MIP6SEC_VERSION);
    const struct {
        uint32_t id;
        const char *name;
    } names[] = {{W.victim, "victim"}, {cn, "cn"},   {r0, "r0"},
                 {W.ha, "ha"},         {ar1, "ar1"}, {W.attacker, "attacker"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        rec_node(rec, names[i].id, names[i].name);
        check(mip6sec_trace_node(names[i].id, attack_observe_packet, NULL), "tracing");
    }

    /* ----- traffic and the attack ----- */
    char hoa[IP6_ADDR_TEXT_LEN];
    ip6_addr_to_text(W.victim_hoa, hoa, sizeof hoa);
    uint64_t stop_ns = (uint64_t)(P.duration_s * 1e9);
    uint32_t sink, cbr, uplink, cn_sink;
    check(mip6sec_udp_sink(W.victim, hoa, 5000, &sink), "UDP sink");
    check(mip6sec_udp_cbr(cn, hoa, 5000, UDP_PAYLOAD, (uint64_t)(P.interval_ms * 1e6), 1 * S,
                          stop_ns, &cbr),
          "UDP sender");
    if (P.uplink_interval_ms > 0) {
        check(mip6sec_udp_sink(cn, "2001:1:0:100::2", 5001, &cn_sink), "UDP sink");
        check(mip6sec_udp_cbr(W.victim, "2001:1:0:100::2", 5001, UDP_PAYLOAD,
                              (uint64_t)(P.uplink_interval_ms * 1e6), 1 * S, stop_ns, &uplink),
              "UDP sender");
    }
    attack_schedule();
    if (P.pcap)
        write_pcaps(victim, attacker, ha_home, ha_up);

    /* ----- run, one simulated second at a time so a signal stops it ----- */
    enum rec_status status = REC_COMPLETE;
    uint64_t t = 0;
    while (t < stop_ns) {
        t = t + S < stop_ns ? t + S : stop_ns;
        check(mip6sec_run_until(t), "simulation");
        if (stop_requested) {
            status = REC_INTERRUPTED;
            fprintf(stderr, PROGRAM ": stopped by a signal at %.1f s simulated\n", (double)t / 1e9);
            break;
        }
    }
    if (status == REC_COMPLETE && W.attack_failed)
        status = REC_FAILED;

    uint64_t received = 0, sent = 0;
    mip6sec_app_counts(sink, &received, NULL);
    mip6sec_app_counts(cbr, &sent, NULL);
    int rc = rec_close(rec, status);
    mip6sec_destroy();
    if (status == REC_INTERRUPTED)
        return 130; /* the shell's convention for a run ended by SIGINT */
    if (!attack_print_summary(received, sent) || rc != 0 || status != REC_COMPLETE)
        return 1;
    return 0;
}
