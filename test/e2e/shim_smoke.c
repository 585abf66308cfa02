/*
 * shim_smoke.c - end-to-end checks of the ns-3 shim (sim.h and
 * mip6sec-ns3.h) on real ns-3.  Each test builds this network, runs it
 * and destroys it:
 *
 *            ch1 2001:1:0:1::/64          p2p 2001:1:0:12::/64       ch2 2001:1:0:2::/64
 *   host H ----(CSMA)---- R1 ::1 ========================= ::2 R2 ----(CSMA)---- (empty)
 *          SLAAC         radvd                                  radvd
 *
 * R1 and R2 advertise their CSMA prefixes every 30..70 ms and route the
 * other's prefix over the point-to-point link.  H learns its address from
 * R1's advertisements and can be moved to ch2.
 */
#include "mip6sec-ns3.h"
#include "sim.h"

#include "check.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MS 1000000ull
#define SECOND 1000000000ull

struct topo {
    uint32_t h, r1, r2;
    uint32_t ch1, ch2;
    uint32_t h_if;
    uint32_t r1_ch1, r1_p2p, r2_p2p, r2_ch2;
    uint8_t h_coa1[16]; /* H's autoconfigured address on ch1 */
    uint8_t h_coa2[16]; /* the same on ch2 */
    uint8_t r1_ll[16];  /* R1's link-local address on ch1 */
    uint8_t r2_ll[16];  /* R2's link-local address on ch2 */
};

static void
addr(const char *text, uint8_t out[16])
{
    if (inet_pton(AF_INET6, text, out) != 1) {
        fprintf(stderr, "bad address in test: %s\n", text);
        exit(2);
    }
}

/* prefix (first 8 bytes) + modified EUI-64 interface identifier (RFC 4291 appendix A). */
static void
eui64_address(const char *prefix, const uint8_t mac[6], uint8_t out[16])
{
    addr(prefix, out);
    out[8] = mac[0] ^ 0x02;
    out[9] = mac[1];
    out[10] = mac[2];
    out[11] = 0xff;
    out[12] = 0xfe;
    out[13] = mac[3];
    out[14] = mac[4];
    out[15] = mac[5];
}

static void
build(struct topo *t)
{
    memset(t, 0, sizeof *t);
    CHECK_EQ_INT(mip6sec_init(1, 1), SIM_OK);
    CHECK_EQ_INT(mip6sec_node_create(&t->h), SIM_OK);
    CHECK_EQ_INT(mip6sec_node_create(&t->r1), SIM_OK);
    CHECK_EQ_INT(mip6sec_node_create(&t->r2), SIM_OK);
    CHECK_EQ_INT(mip6sec_node_set_router(t->r1), SIM_OK);
    CHECK_EQ_INT(mip6sec_node_set_router(t->r2), SIM_OK);

    CHECK_EQ_INT(mip6sec_csma_channel(100000000, 1000, &t->ch1), SIM_OK);
    CHECK_EQ_INT(mip6sec_csma_channel(100000000, 1000, &t->ch2), SIM_OK);
    CHECK_EQ_INT(mip6sec_csma_attach(t->ch1, t->r1, &t->r1_ch1), SIM_OK);
    CHECK_EQ_INT(mip6sec_csma_attach(t->ch2, t->r2, &t->r2_ch2), SIM_OK);
    CHECK_EQ_INT(mip6sec_csma_attach(t->ch1, t->h, &t->h_if), SIM_OK);
    CHECK_EQ_INT(mip6sec_p2p_link(t->r1, t->r2, 10000000, 2 * MS, &t->r1_p2p, &t->r2_p2p), SIM_OK);

    CHECK_EQ_INT(mip6sec_addr_assign(t->r1, t->r1_ch1, "2001:1:0:1::1/64"), SIM_OK);
    CHECK_EQ_INT(mip6sec_addr_assign(t->r1, t->r1_p2p, "2001:1:0:12::1/64"), SIM_OK);
    CHECK_EQ_INT(mip6sec_addr_assign(t->r2, t->r2_p2p, "2001:1:0:12::2/64"), SIM_OK);
    CHECK_EQ_INT(mip6sec_addr_assign(t->r2, t->r2_ch2, "2001:1:0:2::1/64"), SIM_OK);
    CHECK_EQ_INT(mip6sec_route_static(t->r1, "2001:1:0:2::/64", "2001:1:0:12::2", t->r1_p2p),
                 SIM_OK);
    CHECK_EQ_INT(mip6sec_route_static(t->r2, "2001:1:0:1::/64", "2001:1:0:12::1", t->r2_p2p),
                 SIM_OK);
    CHECK_EQ_INT(mip6sec_radvd(t->r1, t->r1_ch1, "2001:1:0:1::/64", 30, 70, 0), SIM_OK);
    CHECK_EQ_INT(mip6sec_radvd(t->r2, t->r2_ch2, "2001:1:0:2::/64", 30, 70, 0), SIM_OK);

    uint8_t mac[6];
    CHECK_EQ_INT(sim_iface_mac48(t->h, t->h_if, mac), SIM_OK);
    eui64_address("2001:1:0:1::", mac, t->h_coa1);
    eui64_address("2001:1:0:2::", mac, t->h_coa2);
    CHECK_EQ_INT(sim_iface_mac48(t->r1, t->r1_ch1, mac), SIM_OK);
    eui64_address("fe80::", mac, t->r1_ll);
    CHECK_EQ_INT(sim_iface_mac48(t->r2, t->r2_ch2, mac), SIM_OK);
    eui64_address("fe80::", mac, t->r2_ll);
}

static int
is_udp_to_port(const uint8_t *pkt, size_t len, uint16_t port)
{
    return len >= 48 && pkt[6] == 17 && ((pkt[42] << 8) | pkt[43]) == port;
}

/* ----- router advertisements and SLAAC ----- */

static struct {
    uint64_t count;
    uint8_t min_hop_limit, max_hop_limit;
} adverts;

static enum sim_verdict
note_advert(void *ctx, uint32_t ifindex, const uint8_t *pkt, size_t len, uint64_t uid)
{
    (void)ctx;
    (void)ifindex;
    (void)uid;
    if (len > 40 && pkt[6] == 58 && pkt[40] == 134) {
        adverts.count++;
        adverts.min_hop_limit = pkt[7] < adverts.min_hop_limit ? pkt[7] : adverts.min_hop_limit;
        adverts.max_hop_limit = pkt[7] > adverts.max_hop_limit ? pkt[7] : adverts.max_hop_limit;
    }
    return SIM_PASS;
}

static void
test_radvd_slaac(void)
{
    struct topo t;
    build(&t);
    memset(&adverts, 0, sizeof adverts);
    adverts.min_hop_limit = 255;
    CHECK_EQ_INT(sim_set_ingress_hook(t.h, note_advert, NULL), SIM_OK);

    CHECK_EQ_INT(sim_dad_timeout_ns(t.h), 1 * SECOND);
    CHECK_EQ_INT(mip6sec_run_until(500 * MS), SIM_OK);
    CHECK_EQ_INT(sim_addr_state(t.h, t.h_if, t.h_coa1), SIM_ADDR_TENTATIVE);
    CHECK_EQ_INT(mip6sec_run_until(1500 * MS), SIM_OK);
    CHECK_EQ_INT(sim_addr_state(t.h, t.h_if, t.h_coa1), SIM_ADDR_PREFERRED);
    CHECK_EQ_INT(sim_addr_state(t.h, t.h_if, t.h_coa2), SIM_ADDR_ABSENT);
    /* One advertisement every 30..70 ms, with hop limit 255 (RFC 4861 section 6.1.2). */
    CHECK(adverts.count >= 1500 / 70);
    CHECK(adverts.count <= 1500 / 30 + 2);
    CHECK_EQ_INT(adverts.min_hop_limit, 255);
    CHECK_EQ_INT(adverts.max_hop_limit, 255);
    mip6sec_destroy();
}

/* ----- ingress hook ----- */

static struct {
    uint64_t seen, consumed, seen_second, wrong_iface;
    uint32_t iface, second_iface;
} ingress;

static enum sim_verdict
count_and_consume(void *ctx, uint32_t ifindex, const uint8_t *pkt, size_t len, uint64_t uid)
{
    (void)ctx;
    (void)uid;
    if (ifindex == ingress.second_iface) {
        ingress.seen_second++;
        return SIM_PASS;
    }
    ingress.seen++;
    if (ifindex != ingress.iface) {
        ingress.wrong_iface++;
    }
    if (is_udp_to_port(pkt, len, 7001)) {
        ingress.consumed++;
        return SIM_CONSUMED;
    }
    return SIM_PASS;
}

static void
test_ingress_hook(void)
{
    struct topo t;
    build(&t);
    memset(&ingress, 0, sizeof ingress);
    ingress.iface = t.h_if;

    char coa[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, t.h_coa1, coa, sizeof coa);
    uint32_t sink_pass, sink_consumed, cbr_pass, cbr_consumed;
    CHECK_EQ_INT(mip6sec_udp_sink(t.h, coa, 7000, &sink_pass), SIM_OK);
    CHECK_EQ_INT(mip6sec_udp_sink(t.h, coa, 7001, &sink_consumed), SIM_OK);
    CHECK_EQ_INT(mip6sec_udp_cbr(t.r2, coa, 7000, 100, 10 * MS, 1500 * MS, 2500 * MS, &cbr_pass),
                 SIM_OK);
    CHECK_EQ_INT(
        mip6sec_udp_cbr(t.r2, coa, 7001, 100, 10 * MS, 1500 * MS, 2500 * MS, &cbr_consumed),
        SIM_OK);
    CHECK_EQ_INT(sim_set_ingress_hook(t.h, count_and_consume, NULL), SIM_OK);
    /* A device added after the hook is covered too: H also joins ch2. */
    CHECK_EQ_INT(mip6sec_csma_attach(t.ch2, t.h, &ingress.second_iface), SIM_OK);

    CHECK_EQ_INT(mip6sec_run_until(3 * SECOND), SIM_OK);

    uint64_t sent_pass = 0, sent_consumed = 0, got_pass = 0, got_consumed = 0, bytes = 0;
    CHECK_EQ_INT(mip6sec_app_counts(cbr_pass, &sent_pass, NULL), SIM_OK);
    CHECK_EQ_INT(mip6sec_app_counts(cbr_consumed, &sent_consumed, NULL), SIM_OK);
    CHECK_EQ_INT(mip6sec_app_counts(sink_pass, &got_pass, &bytes), SIM_OK);
    CHECK_EQ_INT(mip6sec_app_counts(sink_consumed, &got_consumed, NULL), SIM_OK);
    CHECK_EQ_INT(sent_pass, 100);
    CHECK_EQ_INT(sent_consumed, 100);
    CHECK_EQ_INT(got_pass, 100);
    CHECK_EQ_INT(bytes, 100 * 100);
    CHECK_EQ_INT(got_consumed, 0);
    CHECK_EQ_INT(ingress.consumed, 100);
    CHECK(ingress.seen > 200); /* the two flows, router advertisements, neighbor discovery */
    CHECK(ingress.seen_second >= 3000 / 70); /* R2's router advertisements */
    CHECK_EQ_INT(ingress.wrong_iface, 0);
    mip6sec_destroy();
}

/* ----- sim_ipv6_send and the trace callback ----- */

#define MAX_EVENTS 4096

struct event {
    uint32_t node, ifindex;
    enum rec_kind kind;
    enum rec_drop drop;
    uint64_t uid;
    size_t caplen, wire_len;
    uint8_t pkt[64];
};

static struct {
    struct event ev[MAX_EVENTS];
    size_t n;
    int oversize; /* caplen over 256 or over wire_len */
} traced;

static void
record_event(void *ctx, uint32_t node, uint32_t ifindex, enum rec_kind kind, const uint8_t *pkt,
             size_t caplen, size_t wire_len, uint64_t uid, enum rec_drop drop)
{
    (void)ctx;
    if (caplen > 256 || caplen > wire_len) {
        traced.oversize++;
    }
    if (traced.n == MAX_EVENTS) {
        return;
    }
    struct event *e = &traced.ev[traced.n++];
    e->node = node;
    e->ifindex = ifindex;
    e->kind = kind;
    e->drop = drop;
    e->uid = uid;
    e->caplen = caplen;
    e->wire_len = wire_len;
    memcpy(e->pkt, pkt, caplen < sizeof e->pkt ? caplen : sizeof e->pkt);
}

static const struct event *
find_event(uint32_t node, enum rec_kind kind, uint64_t uid)
{
    for (size_t i = 0; i < traced.n; i++) {
        const struct event *e = &traced.ev[i];
        if (e->node == node && e->kind == kind && e->uid == uid) {
            return e;
        }
    }
    return NULL;
}

static struct {
    struct topo *t;
    int status, status_dropped;
    uint64_t uid, uid_dropped;
} sent;

/* 16-bit one's complement sum for the UDP checksum (RFC 8200 section 8.1). */
static uint32_t
sum16(const uint8_t *p, size_t n, uint32_t sum)
{
    for (size_t i = 0; i + 1 < n; i += 2) {
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    }
    if (n & 1) {
        sum += (uint32_t)(p[n - 1] << 8);
    }
    return sum;
}

/*
 * Destination options header (next header UDP, one PadN option) in front
 * of a UDP datagram with 20 bytes of data; returns the payload length.
 */
static size_t
build_destopt_udp(const uint8_t src[16], const uint8_t dst[16], uint8_t *out)
{
    static const uint8_t destopt[8] = {17, 0, 1, 4, 0, 0, 0, 0};
    memcpy(out, destopt, 8);
    uint8_t *udp = out + 8;
    size_t udp_len = 8 + 20;
    udp[0] = 0x9c; /* source port 40000 */
    udp[1] = 0x40;
    udp[2] = 9000 >> 8;
    udp[3] = 9000 & 0xff;
    udp[4] = 0;
    udp[5] = (uint8_t)udp_len;
    udp[6] = udp[7] = 0;
    for (size_t i = 0; i < 20; i++) {
        udp[8 + i] = (uint8_t)i;
    }
    uint8_t pseudo[40] = {0};
    memcpy(pseudo, src, 16);
    memcpy(pseudo + 16, dst, 16);
    pseudo[35] = (uint8_t)udp_len;
    pseudo[39] = 17;
    uint32_t sum = sum16(udp, udp_len, sum16(pseudo, sizeof pseudo, 0));
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    uint16_t check = (uint16_t)~sum;
    udp[6] = check >> 8;
    udp[7] = check & 0xff;
    return 8 + udp_len;
}

static void
send_destopt(void *arg)
{
    (void)arg;
    struct topo *t = sent.t;
    uint8_t r2[16], documentation[16], payload[64];
    addr("2001:1:0:12::2", r2);
    addr("2001:db8::1", documentation);
    size_t len = build_destopt_udp(t->h_coa1, r2, payload);
    sent.status = sim_ipv6_send(t->h, SIM_IFINDEX_ANY, t->h_coa1, r2, 60, payload, len, &sent.uid);
    /* R1 has a route for this one but drops documentation addresses. */
    sent.status_dropped =
        sim_ipv6_send(t->h, t->h_if, t->h_coa1, documentation, 60, payload, len, &sent.uid_dropped);
}

static void
test_send_and_trace(void)
{
    struct topo t;
    build(&t);
    memset(&traced, 0, sizeof traced);
    memset(&sent, 0, sizeof sent);
    sent.t = &t;
    sent.status = sent.status_dropped = 1;
    CHECK_EQ_INT(mip6sec_route_static(t.r1, "2001:db8::/32", "2001:1:0:12::2", t.r1_p2p), SIM_OK);

    uint32_t sink;
    CHECK_EQ_INT(mip6sec_udp_sink(t.r2, "2001:1:0:12::2", 9000, &sink), SIM_OK);
    CHECK_EQ_INT(mip6sec_trace_node(t.h, record_event, NULL), SIM_OK);
    CHECK_EQ_INT(mip6sec_trace_node(t.r1, record_event, NULL), SIM_OK);
    CHECK_EQ_INT(mip6sec_trace_node(t.r2, record_event, NULL), SIM_OK);
    CHECK_EQ_INT(mip6sec_pcap(t.h, t.h_if, "shim_smoke"), SIM_OK);
    CHECK_EQ_INT(mip6sec_pcap(t.r2, t.r2_p2p, "shim_smoke"), SIM_OK);
    sim_schedule(t.h, 1500 * MS, send_destopt, NULL);

    /* Routing failures are reported, not dropped silently. */
    uint8_t r2[16], nowhere[16], payload[8] = {0};
    addr("2001:1:0:12::2", r2);
    addr("2001:1:0:99::1", nowhere);
    CHECK_EQ_INT(sim_ipv6_send(t.r2, SIM_IFINDEX_ANY, r2, nowhere, 59, payload, 0, NULL),
                 SIM_ERR_NO_ROUTE);
    CHECK_EQ_INT(sim_ipv6_send(t.r2, 0, r2, r2, 59, payload, 0, NULL), SIM_ERR_NO_ROUTE);
    CHECK_EQ_INT(sim_ipv6_send(99, SIM_IFINDEX_ANY, r2, r2, 59, payload, 0, NULL), SIM_ERR_NO_NODE);
    CHECK_EQ_INT(sim_ipv6_send(t.r2, 42, r2, r2, 59, payload, 0, NULL), SIM_ERR_NO_IFACE);
    CHECK_EQ_INT(sim_ipv6_send(t.r2, SIM_IFINDEX_ANY, NULL, r2, 59, payload, 0, NULL),
                 SIM_ERR_INVALID);

    CHECK_EQ_INT(mip6sec_run_until(2 * SECOND), SIM_OK);

    CHECK_EQ_INT(sent.status, SIM_OK);
    CHECK_EQ_INT(sent.status_dropped, SIM_OK);
    uint64_t got = 0, bytes = 0;
    CHECK_EQ_INT(mip6sec_app_counts(sink, &got, &bytes), SIM_OK);
    CHECK_EQ_INT(got, 1);
    CHECK_EQ_INT(bytes, 20);

    CHECK_EQ_INT(traced.oversize, 0);
    CHECK(traced.n < MAX_EVENTS);
    const struct event *send = find_event(t.h, REC_SEND, sent.uid);
    const struct event *tx = find_event(t.h, REC_TX, sent.uid);
    const struct event *forward = find_event(t.r1, REC_FORWARD, sent.uid);
    const struct event *receive = find_event(t.r2, REC_RECEIVE, sent.uid);
    const struct event *deliver = find_event(t.r2, REC_DELIVER, sent.uid);
    CHECK(send != NULL);
    CHECK(tx != NULL);
    CHECK(forward != NULL);
    CHECK(receive != NULL);
    CHECK(deliver != NULL);
    if (send != NULL) {
        CHECK_EQ_INT(send->ifindex, t.h_if);
        CHECK_EQ_INT(send->wire_len, 40 + 36);
        CHECK_EQ_INT(send->pkt[6], 60);
        CHECK_EQ_MEM(send->pkt + 8, t.h_coa1, 16);
    }
    if (forward != NULL) {
        CHECK_EQ_INT(forward->ifindex, t.r1_p2p);
        CHECK_EQ_INT(forward->pkt[7], 63); /* hop limit 64, less one */
    }
    if (deliver != NULL) {
        /* The destination options header that ns-3 strips is put back. */
        CHECK_EQ_INT(deliver->wire_len, 40 + 36);
        CHECK_EQ_INT(deliver->caplen, 40 + 36);
        CHECK_EQ_INT(deliver->pkt[6], 60);
        CHECK_EQ_INT(deliver->pkt[40], 17);
        CHECK_EQ_INT((deliver->pkt[50] << 8) | deliver->pkt[51], 9000);
    }
    const struct event *drop = find_event(t.r1, REC_DROP, sent.uid_dropped);
    CHECK(drop != NULL);
    if (drop != NULL) {
        CHECK_EQ_INT(drop->drop, REC_DROP_NS3_ROUTE_ERROR);
        CHECK_EQ_INT(drop->ifindex, 0); /* ns-3 names no interface for forwarding drops */
        CHECK_EQ_INT(drop->pkt[24], 0x20);
    }
    CHECK(find_event(t.r1, REC_FORWARD, sent.uid_dropped) == NULL);
    mip6sec_destroy();

    /* The pcap files exist: Ethernet for CSMA, raw IP for point-to-point. */
    char name[64];
    uint8_t header[24];
    snprintf(name, sizeof name, "shim_smoke-%u-%u.pcap", t.h, t.h_if);
    FILE *f = fopen(name, "rb");
    CHECK(f != NULL);
    if (f != NULL) {
        CHECK_EQ_INT(fread(header, 1, sizeof header, f), sizeof header);
        CHECK_EQ_INT(header[20], 1);
        fclose(f);
        unlink(name);
    }
    snprintf(name, sizeof name, "shim_smoke-%u-%u.pcap", t.r2, t.r2_p2p);
    f = fopen(name, "rb");
    CHECK(f != NULL);
    if (f != NULL) {
        CHECK_EQ_INT(fread(header, 1, sizeof header, f), sizeof header);
        CHECK_EQ_INT(header[20], 101);
        fclose(f);
        unlink(name);
    }
}

/* ----- a tunnel pair ----- */

/*
 * One end of an IPv6-in-IPv6 tunnel: the outer addresses, the interface
 * that outer packets must leave by (SIM_IFINDEX_ANY: routing decides),
 * and counters.
 */
struct tunnel_end {
    uint32_t node, tunnel_if, outer_if;
    uint8_t local[16], remote[16];
    uint64_t encapsulated, decapsulated, link_scope, send_errors;
    int nested_create; /* sim_tunnel_create from inside the callback; 1 = not tried */
};

static void
encapsulate(void *ctx, const uint8_t *pkt, size_t len, uint64_t uid)
{
    struct tunnel_end *end = ctx;
    (void)uid;
    if (end->nested_create == 1) {
        uint32_t ignored;
        end->nested_create = sim_tunnel_create(end->node, encapsulate, end, &ignored);
    }
    if (len >= 40 && pkt[24] == 0xff && (pkt[25] & 0x0f) <= 2) {
        end->link_scope++;
    }
    if (sim_ipv6_send(end->node, end->outer_if, end->local, end->remote, 41, pkt, len, NULL) ==
        SIM_OK) {
        end->encapsulated++;
    } else {
        end->send_errors++;
    }
}

static enum sim_verdict
decapsulate(void *ctx, uint32_t ifindex, const uint8_t *pkt, size_t len, uint64_t uid)
{
    struct tunnel_end *end = ctx;
    (void)ifindex;
    (void)uid;
    if (len < 80 || pkt[6] != 41 || memcmp(pkt + 24, end->local, 16) != 0) {
        return SIM_PASS;
    }
    if (sim_tunnel_receive(end->node, end->tunnel_if, pkt + 40, len - 40, NULL) == SIM_OK) {
        end->decapsulated++;
    }
    return SIM_CONSUMED;
}

static void
test_tunnel_pair(void)
{
    struct topo t;
    build(&t);
    struct tunnel_end mn = {0}, ha = {0};
    mn.nested_create = ha.nested_create = 1;
    uint8_t home[16], r2_p2p[16];
    addr("2001:1:0:99::2", home);
    addr("2001:1:0:12::2", r2_p2p);

    /* H: tunnel to R2 with the home address; all traffic into the tunnel. */
    mn.node = t.h;
    mn.outer_if = t.h_if; /* outer packets must not follow the /1 routes into the tunnel */
    memcpy(mn.local, t.h_coa1, 16);
    memcpy(mn.remote, r2_p2p, 16);
    CHECK_EQ_INT(sim_tunnel_create(t.h, encapsulate, &mn, &mn.tunnel_if), SIM_OK);
    CHECK_EQ_INT(sim_addr_add(t.h, mn.tunnel_if, home, 128), SIM_OK);
    uint8_t half[16] = {0};
    CHECK_EQ_INT(sim_route_add(t.h, half, 1, mn.tunnel_if, NULL, 0), SIM_OK);
    half[0] = 0x80;
    CHECK_EQ_INT(sim_route_add(t.h, half, 1, mn.tunnel_if, NULL, 0), SIM_OK);
    CHECK_EQ_INT(sim_set_ingress_hook(t.h, decapsulate, &mn), SIM_OK);

    /* R2: tunnel to H's address on ch1; the home address is behind it. */
    ha.node = t.r2;
    ha.outer_if = SIM_IFINDEX_ANY;
    memcpy(ha.local, r2_p2p, 16);
    memcpy(ha.remote, t.h_coa1, 16);
    CHECK_EQ_INT(sim_tunnel_create(t.r2, encapsulate, &ha, &ha.tunnel_if), SIM_OK);
    CHECK_EQ_INT(sim_route_add(t.r2, home, 128, ha.tunnel_if, NULL, 0), SIM_OK);
    CHECK_EQ_INT(sim_set_ingress_hook(t.r2, decapsulate, &ha), SIM_OK);
    CHECK_EQ_INT(mip6sec_route_static(t.r1, "2001:1:0:99::/64", "2001:1:0:12::2", t.r1_p2p),
                 SIM_OK);

    /* Flow to the home address (R1 -> R2 -> tunnel -> H) and back out
     * through the tunnel (H -> tunnel -> R2, which forwards to R1). */
    uint32_t sink_home, sink_r1, cbr_in, cbr_out;
    CHECK_EQ_INT(mip6sec_udp_sink(t.h, "2001:1:0:99::2", 5000, &sink_home), SIM_OK);
    CHECK_EQ_INT(mip6sec_udp_sink(t.r1, "2001:1:0:12::1", 5001, &sink_r1), SIM_OK);
    CHECK_EQ_INT(
        mip6sec_udp_cbr(t.r1, "2001:1:0:99::2", 5000, 200, 20 * MS, 1500 * MS, 2500 * MS, &cbr_in),
        SIM_OK);
    CHECK_EQ_INT(
        mip6sec_udp_cbr(t.h, "2001:1:0:12::1", 5001, 200, 20 * MS, 1500 * MS, 2500 * MS, &cbr_out),
        SIM_OK);

    CHECK_EQ_INT(mip6sec_run_until(3 * SECOND), SIM_OK);

    uint64_t sent_in = 0, sent_out = 0, got_home = 0, got_r1 = 0;
    CHECK_EQ_INT(mip6sec_app_counts(cbr_in, &sent_in, NULL), SIM_OK);
    CHECK_EQ_INT(mip6sec_app_counts(cbr_out, &sent_out, NULL), SIM_OK);
    CHECK_EQ_INT(mip6sec_app_counts(sink_home, &got_home, NULL), SIM_OK);
    CHECK_EQ_INT(mip6sec_app_counts(sink_r1, &got_r1, NULL), SIM_OK);
    CHECK_EQ_INT(sent_in, 50);
    CHECK_EQ_INT(sent_out, 50);
    CHECK_EQ_INT(got_home, 50);
    CHECK_EQ_INT(got_r1, 50);
    CHECK_EQ_INT(ha.encapsulated, 50);
    CHECK_EQ_INT(mn.decapsulated, 50);
    CHECK_EQ_INT(mn.encapsulated, 50);
    CHECK_EQ_INT(ha.decapsulated, 50);
    CHECK_EQ_INT(mn.send_errors + ha.send_errors, 0);
    CHECK_EQ_INT(mn.link_scope + ha.link_scope, 0); /* the tunnels' own DAD and RS stay inside */
    /* Creating a tunnel inside ns-3's packet processing is refused. */
    CHECK_EQ_INT(mn.nested_create, SIM_ERR_INVALID);
    CHECK_EQ_INT(ha.nested_create, SIM_ERR_INVALID);

    /* H is a host: a packet for elsewhere that comes out of its tunnel is dropped. */
    memset(&traced, 0, sizeof traced);
    CHECK_EQ_INT(mip6sec_trace_node(t.h, record_event, NULL), SIM_OK);
    uint8_t stray[48] = {0x60, 0, 0, 0, 0, 8, 17, 64};
    memcpy(stray + 8, home, 16);
    addr("2001:1:0:12::1", stray + 24);
    uint64_t uid = 0;
    CHECK_EQ_INT(sim_tunnel_receive(t.h, mn.tunnel_if, stray, sizeof stray, &uid), SIM_OK);
    CHECK_EQ_INT(sim_tunnel_receive(t.h, t.h_if, stray, sizeof stray, NULL), SIM_ERR_INVALID);
    const struct event *in = find_event(t.h, REC_RECEIVE, uid);
    CHECK(in != NULL);
    if (in != NULL) {
        CHECK_EQ_INT(in->ifindex, mn.tunnel_if);
    }
    CHECK(find_event(t.h, REC_DROP, uid) != NULL);
    CHECK(find_event(t.h, REC_FORWARD, uid) == NULL);
    mip6sec_destroy();
}

/* ----- moving H between channels ----- */

#define MAX_LINK_EVENTS 8

static struct {
    uint64_t t_ns[MAX_LINK_EVENTS];
    uint32_t ifindex[MAX_LINK_EVENTS];
    int up[MAX_LINK_EVENTS];
    size_t n;
    uint32_t attach_channel[MAX_LINK_EVENTS];
    int attach_up[MAX_LINK_EVENTS];
    size_t attach_n;
    const struct topo *t;
    uint64_t last_from_r1, first_from_r2;
} moved;

static void
record_link(void *ctx, uint32_t ifindex, int up)
{
    (void)ctx;
    if (moved.n < MAX_LINK_EVENTS) {
        moved.t_ns[moved.n] = sim_now_ns();
        moved.ifindex[moved.n] = ifindex;
        moved.up[moved.n] = up;
    }
    moved.n++;
}

static void
record_attach(void *ctx, uint32_t node, uint32_t ifindex, uint32_t channel, int up)
{
    (void)ctx;
    (void)node;
    (void)ifindex;
    if (moved.attach_n < MAX_LINK_EVENTS) {
        moved.attach_channel[moved.attach_n] = channel;
        moved.attach_up[moved.attach_n] = up;
    }
    moved.attach_n++;
}

static enum sim_verdict
note_router(void *ctx, uint32_t ifindex, const uint8_t *pkt, size_t len, uint64_t uid)
{
    (void)ctx;
    (void)ifindex;
    (void)uid;
    if (len < 40) {
        return SIM_PASS;
    }
    if (memcmp(pkt + 8, moved.t->r1_ll, 16) == 0) {
        moved.last_from_r1 = sim_now_ns();
    } else if (memcmp(pkt + 8, moved.t->r2_ll, 16) == 0 && moved.first_from_r2 == 0) {
        moved.first_from_r2 = sim_now_ns();
    }
    return SIM_PASS;
}

static void
watch_moves(const struct topo *t)
{
    memset(&moved, 0, sizeof moved);
    moved.t = t;
    CHECK_EQ_INT(sim_set_link_hook(t->h, record_link, NULL), SIM_OK);
    CHECK_EQ_INT(sim_set_ingress_hook(t->h, note_router, NULL), SIM_OK);
    mip6sec_attach_callback(record_attach, NULL);
}

/* One move: link down then up within 1 ms of at_ns, off ch1 onto ch2. */
static void
check_one_move(const struct topo *t, uint64_t at_ns)
{
    CHECK_EQ_INT(moved.n, 2);
    CHECK_EQ_INT(moved.attach_n, 2);
    if (moved.n == 2) {
        CHECK_EQ_INT(moved.up[0], 0);
        CHECK_EQ_INT(moved.up[1], 1);
        CHECK_EQ_INT(moved.ifindex[0], t->h_if);
        CHECK_EQ_INT(moved.t_ns[0], at_ns);
        CHECK(moved.t_ns[1] >= at_ns);
        CHECK(moved.t_ns[1] < at_ns + 1 * MS);
    }
    if (moved.attach_n == 2) {
        CHECK_EQ_INT(moved.attach_channel[0], t->ch1);
        CHECK_EQ_INT(moved.attach_up[0], 0);
        CHECK_EQ_INT(moved.attach_channel[1], t->ch2);
        CHECK_EQ_INT(moved.attach_up[1], 1);
    }
    /* Nothing from R1 arrives after the move; R2's advertisements do. */
    CHECK(moved.last_from_r1 > 0);
    CHECK(moved.last_from_r1 <= at_ns + 1 * MS);
    CHECK(moved.first_from_r2 > at_ns);
    CHECK(moved.first_from_r2 < at_ns + 100 * MS);
}

static void
test_csma_move(void)
{
    struct topo t;
    build(&t);
    watch_moves(&t);
    CHECK_EQ_INT(mip6sec_attach_move(t.h, t.h_if, t.ch2, 2 * SECOND), SIM_OK);
    CHECK_EQ_INT(mip6sec_run_until(3200 * MS), SIM_OK);

    check_one_move(&t, 2 * SECOND);
    CHECK_EQ_INT(sim_addr_state(t.h, t.h_if, t.h_coa2), SIM_ADDR_PREFERRED);
    CHECK_EQ_INT(sim_addr_state(t.h, t.h_if, t.h_coa1), SIM_ADDR_PREFERRED);

    /* The old address stays until the model removes it. */
    uint8_t prefix1[16];
    addr("2001:1:0:1::", prefix1);
    CHECK_EQ_INT(sim_autoconf_remove(t.h, t.h_if, prefix1, 64, t.r1_ll), SIM_OK);
    CHECK_EQ_INT(sim_addr_state(t.h, t.h_if, t.h_coa1), SIM_ADDR_ABSENT);
    CHECK_EQ_INT(sim_autoconf_remove(t.h, t.h_if, prefix1, 64, t.r1_ll), SIM_ERR_NOT_FOUND);
    mip6sec_destroy();
}

static void
test_nearest_attachment(void)
{
    struct topo t;
    build(&t);
    watch_moves(&t);
    CHECK_EQ_INT(mip6sec_channel_position(t.ch1, 0, 0, 0), SIM_OK);
    CHECK_EQ_INT(mip6sec_channel_position(t.ch2, 100, 0, 0), SIM_OK);
    CHECK_EQ_INT(mip6sec_velocity(t.h, 0, 0, 0, 20, 0, 0), SIM_OK);
    CHECK_EQ_INT(mip6sec_attach_nearest(t.h, t.h_if, 0, 5.0), SIM_OK);
    CHECK_EQ_INT(mip6sec_run_until(4 * SECOND), SIM_OK);

    /* ch2 is 5 m nearer at x = 52.5 m, t = 2.625 s; checks run every 10 ms. */
    check_one_move(&t, 2630 * MS);
    CHECK_EQ_INT(sim_addr_state(t.h, t.h_if, t.h_coa2), SIM_ADDR_PREFERRED);
    mip6sec_destroy();
}

static void
test_ns2_trace(void)
{
    struct topo t;
    build(&t);
    watch_moves(&t);
    CHECK_EQ_INT(mip6sec_ns2_trace(t.h, "/nonexistent/mip6sec.ns2", 0), SIM_ERR_NOT_FOUND);
    CHECK(strstr(mip6sec_last_error(), "/nonexistent/mip6sec.ns2") != NULL);

    char path[] = "/tmp/shim_smoke_ns2_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) {
        mip6sec_destroy();
        return;
    }
    static const char trace[] = "$node_(0) set X_ 0.0\n"
                                "$node_(0) set Y_ 0.0\n"
                                "$node_(0) set Z_ 0.0\n"
                                "$ns_ at 1.0 \"$node_(0) setdest 100.0 0.0 20.0\"\n";
    CHECK_EQ_INT(write(fd, trace, sizeof trace - 1), (long long)(sizeof trace - 1));
    close(fd);

    CHECK_EQ_INT(mip6sec_ns2_trace(t.h, path, 3), SIM_ERR_NOT_FOUND);
    CHECK(strstr(mip6sec_last_error(), "$node_(3)") != NULL);
    CHECK_EQ_INT(mip6sec_ns2_trace(t.h, path, 0), SIM_OK);
    CHECK_EQ_INT(mip6sec_channel_position(t.ch1, 0, 0, 0), SIM_OK);
    CHECK_EQ_INT(mip6sec_channel_position(t.ch2, 100, 0, 0), SIM_OK);
    CHECK_EQ_INT(mip6sec_attach_nearest(t.h, t.h_if, 10 * MS, 5.0), SIM_OK);
    CHECK_EQ_INT(mip6sec_run_until(4 * SECOND), SIM_OK);
    unlink(path);

    /* Moving from t = 1 s at 20 m/s, H passes x = 52.5 m at 3.625 s. */
    check_one_move(&t, 3630 * MS);
    mip6sec_destroy();
}

/* ----- argument checks and reproducibility ----- */

static void
test_argument_checks(void)
{
    struct topo t;
    build(&t);
    uint8_t a[16], mac[6];
    addr("2001:1:0:1::5", a);

    CHECK(strcmp(mip6sec_ns3_version(), "3.37") == 0);
    CHECK_EQ_INT(mip6sec_init(1, 1), SIM_ERR_INVALID); /* nodes exist already */
    CHECK_EQ_INT(sim_addr_add(99, 1, a, 64), SIM_ERR_NO_NODE);
    CHECK_EQ_INT(sim_addr_add(t.h, 17, a, 64), SIM_ERR_NO_IFACE);
    CHECK_EQ_INT(sim_addr_add(t.h, t.h_if, a, 129), SIM_ERR_INVALID);
    CHECK_EQ_INT(sim_addr_add(t.h, t.h_if, NULL, 64), SIM_ERR_INVALID);
    CHECK_EQ_INT(sim_addr_add(t.h, t.h_if, a, 64), SIM_OK);
    CHECK_EQ_INT(sim_addr_add(t.h, t.h_if, a, 64), SIM_ERR_INVALID);
    CHECK_EQ_INT(sim_addr_state(t.h, t.h_if, a), SIM_ADDR_TENTATIVE);
    CHECK_EQ_INT(sim_addr_remove(t.h, t.h_if, a), SIM_OK);
    CHECK_EQ_INT(sim_addr_remove(t.h, t.h_if, a), SIM_ERR_NOT_FOUND);
    CHECK_EQ_INT(sim_route_remove(t.h, a, 64, t.h_if), SIM_ERR_NOT_FOUND);
    CHECK_EQ_INT(sim_route_add(t.h, a, 64, 17, NULL, 0), SIM_ERR_NO_IFACE);
    CHECK_EQ_INT(sim_route_add(t.h, a, 64, t.h_if, NULL, 0), SIM_OK);
    CHECK_EQ_INT(sim_route_remove(t.h, a, 64, t.h_if), SIM_OK);
    CHECK_EQ_INT(sim_iface_mac48(t.h, t.h_if, NULL), SIM_ERR_INVALID);
    CHECK_EQ_INT(sim_iface_mac48(t.h, t.h_if, mac), SIM_OK);
    CHECK_EQ_INT(sim_set_ingress_hook(99, NULL, NULL), SIM_ERR_NO_NODE);
    CHECK_EQ_INT(sim_tunnel_create(t.h, NULL, NULL, NULL), SIM_ERR_INVALID);
    CHECK_EQ_INT(sim_tunnel_receive(t.h, t.h_if, a, 16, NULL), SIM_ERR_INVALID);

    CHECK_EQ_INT(mip6sec_addr_assign(t.h, t.h_if, "2001:1:0:1::5"), SIM_ERR_INVALID);
    CHECK_EQ_INT(mip6sec_addr_assign(t.h, t.h_if, "2001:1:0:1::5/129"), SIM_ERR_INVALID);
    CHECK_EQ_INT(mip6sec_addr_assign(t.h, t.h_if, "not-an-address/64"), SIM_ERR_INVALID);
    CHECK_EQ_INT(mip6sec_radvd(t.r1, t.r1_p2p, "2001:1:0:12::/64", 20, 70, 0), SIM_ERR_INVALID);
    CHECK_EQ_INT(mip6sec_radvd(t.r1, t.r1_p2p, "2001:1:0:12::/64", 60, 70, 0), SIM_ERR_INVALID);
    CHECK_EQ_INT(mip6sec_radvd(t.h, t.h_if, "2001:1:0:1::/64", 30, 70, 0), SIM_ERR_INVALID);
    CHECK_EQ_INT(mip6sec_radvd(t.r1, t.r1_ch1, "2001:1:0:1::/64", 30, 70, 0), SIM_ERR_INVALID);
    CHECK_EQ_INT(mip6sec_set_default("ns3::NoSuchClass::NoSuchAttribute", "1"), SIM_ERR_INVALID);
    CHECK_EQ_INT(mip6sec_p2p_link(t.r1, t.r1, 1000, 0, NULL, NULL), SIM_ERR_INVALID);
    CHECK_EQ_INT(mip6sec_csma_attach(99, t.h, NULL), SIM_ERR_INVALID);
    CHECK_EQ_INT(mip6sec_attach_move(t.r1, t.r1_p2p, t.ch2, 0), SIM_ERR_INVALID);
    CHECK_EQ_INT(mip6sec_attach_nearest(t.h, t.h_if, 0, 1.0), SIM_ERR_INVALID); /* no position */
    uint32_t app;
    CHECK_EQ_INT(mip6sec_udp_cbr(t.h, "2001:1:0:12::1", 9, 11, MS, 0, SECOND, &app),
                 SIM_ERR_INVALID); /* below the 12-byte SeqTsHeader */
    CHECK_EQ_INT(mip6sec_app_counts(1000, NULL, NULL), SIM_ERR_INVALID);
    CHECK_EQ_INT(mip6sec_run_until(SECOND), SIM_OK);
    CHECK_EQ_INT(mip6sec_run_until(SECOND / 2), SIM_ERR_INVALID);
    mip6sec_destroy();
}

static void
draw(uint32_t seed, uint64_t run, uint32_t out[4])
{
    uint32_t a, b;
    CHECK_EQ_INT(mip6sec_init(seed, run), SIM_OK);
    CHECK_EQ_INT(mip6sec_node_create(&a), SIM_OK);
    CHECK_EQ_INT(mip6sec_node_create(&b), SIM_OK);
    out[0] = sim_random_u32(a);
    out[1] = sim_random_u32(a);
    out[2] = sim_random_u32(b);
    out[3] = sim_random_u32(b);
    mip6sec_destroy();
}

static void
test_random_reproducible(void)
{
    uint32_t first[4], again[4], other_run[4];
    draw(1, 1, first);
    draw(1, 1, again);
    draw(1, 2, other_run);
    CHECK_EQ_MEM(first, again, sizeof first);
    CHECK(memcmp(first, other_run, sizeof first) != 0);
    CHECK(first[0] != first[1]);
    CHECK(first[0] != first[2]); /* nodes draw from streams of their own */
}

CHECK_MAIN(TEST(test_radvd_slaac), TEST(test_ingress_hook), TEST(test_send_and_trace),
           TEST(test_tunnel_pair), TEST(test_csma_move), TEST(test_nearest_attachment),
           TEST(test_ns2_trace), TEST(test_argument_checks), TEST(test_random_reproducible))
