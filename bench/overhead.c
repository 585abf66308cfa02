/*
 * overhead.c - wall time of the mip6sec model against plain ns-3 carrying
 * the same traffic, for the speed target "the full model costs at most
 * 1.5x plain ns-3".
 *
 *   cn -- r0 -- ha (home link)
 *          \--- ar (foreign link) -- mn
 *
 * The mobile node sits on the foreign link for the whole run, and the
 * correspondent sends UDP to it at a constant rate from 3 s on.  Each
 * variant runs in its own process (ns-3 keeps global state):
 *   plain  ns-3 alone: traffic to the mobile node's own address on the
 *          foreign link, routed directly;
 *   model  Mobile IPv6 with ESP-protected registration: traffic to the
 *          home address through the home agent's tunnel, no recording;
 *   full   as model, with every packet event of every node recorded in
 *          SQLite.
 * It prints each variant's wall time and its ratio to plain.
 *
 * Usage: overhead [seconds simulated, default 20] [packets per second,
 * default 10000] [database path for "full", default /tmp/overhead.db]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipv6.h"
#include "mip6sec-ns3.h"
#include "mip6sec.h"

enum variant { PLAIN, MODEL, FULL };

static struct rec *recorder;

static void
record_packet(void *ctx, uint32_t node, uint32_t ifindex, enum rec_kind kind, const uint8_t *pkt,
              size_t caplen, size_t wire_len, uint64_t uid, enum rec_drop drop)
{
    (void)ctx;
    rec_packet(recorder, sim_now_ns(), node, ifindex, kind, pkt, caplen, wire_len, uid, 0, drop);
}

static void
must(int status, const char *what)
{
    if (status != 0) {
        fprintf(stderr, "overhead: %s failed: %s\n", what, mip6sec_last_error());
        exit(1);
    }
}

/* Build the topology, run one variant and return its received packet count. */
static uint64_t
run_variant(enum variant v, double seconds, double rate, const char *db)
{
    char err[512];
    uint32_t mn, cn, r0, ha, ar;
    uint32_t cn_if, r0_cn, r0_ha, ha_up, r0_ar, ar_up, ha_home, ar_down, mn_if;
    uint32_t home, foreign;

    must(mip6sec_init(1, 1), "init");
    must(mip6sec_node_create(&mn), "node");
    must(mip6sec_node_create(&cn), "node");
    must(mip6sec_node_create(&r0), "node");
    must(mip6sec_node_create(&ha), "node");
    must(mip6sec_node_create(&ar), "node");
    must(mip6sec_node_set_router(r0), "router");
    must(mip6sec_node_set_router(ha), "router");
    must(mip6sec_node_set_router(ar), "router");
    must(mip6sec_p2p_link(cn, r0, 1000000000, 1000000, &cn_if, &r0_cn), "link");
    must(mip6sec_p2p_link(r0, ha, 1000000000, 1000000, &r0_ha, &ha_up), "link");
    must(mip6sec_p2p_link(r0, ar, 1000000000, 1000000, &r0_ar, &ar_up), "link");
    must(mip6sec_csma_channel(1000000000, 1000, &home), "channel");
    must(mip6sec_csma_channel(1000000000, 1000, &foreign), "channel");
    must(mip6sec_csma_attach(home, ha, &ha_home), "attach");
    must(mip6sec_csma_attach(foreign, ar, &ar_down), "attach");
    must(mip6sec_csma_attach(foreign, mn, &mn_if), "attach");

    must(mip6sec_addr_assign(cn, cn_if, "2001:1:0:100::2/64"), "address");
    must(mip6sec_addr_assign(r0, r0_cn, "2001:1:0:100::1/64"), "address");
    must(mip6sec_addr_assign(r0, r0_ha, "2001:1:0:101::1/64"), "address");
    must(mip6sec_addr_assign(ha, ha_up, "2001:1:0:101::2/64"), "address");
    must(mip6sec_addr_assign(r0, r0_ar, "2001:1:0:102::1/64"), "address");
    must(mip6sec_addr_assign(ar, ar_up, "2001:1:0:102::2/64"), "address");
    must(mip6sec_addr_assign(ha, ha_home, "2001:1:0:1::1/64"), "address");
    must(mip6sec_addr_assign(ar, ar_down, "2001:1:0:2::1/64"), "address");
    must(mip6sec_route_static(cn, "::/0", "2001:1:0:100::1", cn_if), "route");
    must(mip6sec_route_static(r0, "2001:1:0:1::/64", "2001:1:0:101::2", r0_ha), "route");
    must(mip6sec_route_static(r0, "2001:1:0:2::/64", "2001:1:0:102::2", r0_ar), "route");
    must(mip6sec_route_static(ha, "::/0", "2001:1:0:101::1", ha_up), "route");
    must(mip6sec_route_static(ar, "::/0", "2001:1:0:102::1", ar_up), "route");
    must(mip6sec_radvd(ha, ha_home, "2001:1:0:1::/64", 30, 70, MIP6SEC_RA_HOME_AGENT), "radvd");
    must(mip6sec_radvd(ar, ar_down, "2001:1:0:2::/64", 30, 70, 0), "radvd");

    uint8_t mac[6], home_prefix[16], foreign_prefix[16], hoa[16], coa[16];
    char dst[IP6_ADDR_TEXT_LEN];
    sim_iface_mac48(mn, mn_if, mac);
    ip6_addr_from_text("2001:1:0:1::", home_prefix);
    ip6_addr_from_text("2001:1:0:2::", foreign_prefix);
    ip6_addr_from_prefix_mac(hoa, home_prefix, mac);
    ip6_addr_from_prefix_mac(coa, foreign_prefix, mac);
    ip6_addr_to_text(v == PLAIN ? coa : hoa, dst, sizeof dst);

    if (v == FULL) {
        recorder = rec_open(db, err, sizeof err);
        if (!recorder) {
            fprintf(stderr, "overhead: %s\n", err);
            exit(1);
        }
        rec_begin(recorder, 1, 1, mip6sec_ns3_version(), "bench");
        uint32_t nodes[] = {mn, cn, r0, ha, ar};
        for (size_t i = 0; i < 5; i++)
            must(mip6sec_trace_node(nodes[i], record_packet, NULL), "tracing");
    }
    if (v != PLAIN) {
        struct mip6_ha_config hc;
        struct mip6_mn_config mc;
        struct mip6_keys keys;
        mip6_ha_config_default(&hc);
        hc.home_ifindex = ha_home;
        ip6_addr_from_text("2001:1:0:1::1", hc.address);
        memcpy(hc.home_prefix, home_prefix, 16);
        struct mip6_ha *h = mip6_ha_install(ha, &hc, recorder, err, sizeof err);
        mip6_mn_config_default(&mc);
        mc.ifindex = mn_if;
        memcpy(mc.home_address, hoa, 16);
        memcpy(mc.home_prefix, home_prefix, 16);
        memcpy(mc.home_agent, hc.address, 16);
        struct mip6_mn *m = h ? mip6_mn_install(mn, &mc, recorder, err, sizeof err) : NULL;
        mip6_keys_derive(&keys, 1, 0, ESP_ENC_AES_128_CBC, ESP_AUTH_HMAC_SHA1_96);
        if (!m || mip6_manual_sas(m, h, &keys, err, sizeof err) < 0) {
            fprintf(stderr, "overhead: %s\n", err);
            exit(1);
        }
    }

    uint32_t sink, cbr;
    uint64_t stop = (uint64_t)(seconds * 1e9);
    must(mip6sec_udp_sink(mn, dst, 5000, &sink), "sink");
    must(mip6sec_udp_cbr(cn, dst, 5000, 200, (uint64_t)(1e9 / rate), 3000000000ull, stop, &cbr),
         "sender");
    must(mip6sec_run_until(stop + 100000000), "run");

    uint64_t received = 0;
    mip6sec_app_counts(sink, &received, NULL);
    rec_close(recorder, REC_COMPLETE);
    mip6sec_destroy();
    return received;
}

/* Run a variant in a child process; returns the wall time in seconds. */
static double
measure(enum variant v, double seconds, double rate, const char *db, uint64_t *received)
{
    int fds[2];
    struct timespec t0, t1;

    if (pipe(fds) != 0)
        exit(1);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        uint64_t n = run_variant(v, seconds, rate, db);
        if (write(fds[1], &n, sizeof n) != sizeof n)
            _exit(1);
        _exit(0);
    }
    close(fds[1]);
    int status = 0;
    if (read(fds[0], received, sizeof *received) != sizeof *received)
        *received = 0;
    waitpid(pid, &status, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    close(fds[0]);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "overhead: variant %d failed\n", (int)v);
        exit(1);
    }
    return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

int
main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 20;
    double rate = argc > 2 ? atof(argv[2]) : 10000;
    const char *db = argc > 3 ? argv[3] : "/tmp/overhead.db";
    static const char *names[] = {"plain ns-3", "model", "model + recording"};
    double wall[3];
    uint64_t received[3];

    if (seconds <= 3 || rate <= 0 || rate > 1e6) {
        fprintf(stderr, "usage: overhead [seconds > 3] [packets per second, up to 1e6] [db]\n");
        return 2;
    }
    for (int v = PLAIN; v <= FULL; v++)
        wall[v] = measure((enum variant)v, seconds, rate, db, &received[v]);

    printf("%.0f s simulated, %.0f UDP packets/s from 3 s on (2 cores; machine noise about 30%%)\n",
           seconds, rate);
    printf("%-20s %10s %10s %12s\n", "variant", "wall [s]", "ratio", "received");
    for (int v = PLAIN; v <= FULL; v++)
        printf("%-20s %10.3f %10.2f %12llu\n", names[v], wall[v], wall[v] / wall[PLAIN],
               (unsigned long long)received[v]);
    return 0;
}
