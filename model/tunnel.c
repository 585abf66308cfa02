/*
 * tunnel.c - encapsulation and decapsulation between mobile node and home
 * agent, plain or in ESP tunnel mode as the tunnel interface's SPD
 * entries decide (RFC 3776 §4.2, §6.5-§6.8, §6.13-§6.16).
 */
#include "tunnel.h"

#include <string.h>

#include "cursor.h"
#include "esp.h"
#include "sim.h"

#define RECORD_CAPLEN 256 /* bytes of a packet stored with an event */

/*
 * The policy view of an inner packet: its own addresses, its upper-layer
 * protocol and MH or ICMPv6 type, on the tunnel interface (RFC 3776 §4.2,
 * §5.2.2).  The view points into *p, which must outlive it.
 */
static struct ipsec_packet
inner_view(const uint8_t *inner, const struct ip6_packet *p)
{
    struct ipsec_packet view = {
        .src = p->hdr.src,
        .dst = p->hdr.dst,
        .proto = p->upper_proto,
        .tunnel_iface = true,
    };

    ipsec_packet_read_next_layer(&view, inner + p->upper_offset, p->upper_len);
    return view;
}

/* ----- output ----- */

/* RFC 6275 §10.4.1, §11.3.1: plain IPv6-in-IPv6 between the caller's addresses. */
static enum rec_drop
send_plain(struct mip6_node *n, const struct mip6_tunnel_out *out)
{
    uint64_t outer_uid = 0;

    if (sim_ipv6_send(n->id, out->ifindex, out->outer_src, out->outer_dst, IP6_NH_IPV6, out->inner,
                      out->inner_len, &outer_uid) != SIM_OK)
        return REC_DROP_SEND_FAILED;
    mip6_record_built(n, out->record_ifindex, REC_ENCAP, out->outer_src, out->outer_dst,
                      IP6_NH_IPV6, out->inner, out->inner_len, outer_uid, out->inner_uid,
                      REC_DROP_NONE);
    return REC_DROP_NONE;
}

/*
 * RFC 3776 §3.2, §3.4: outer IPv6 between the SA's endpoints, then ESP
 * with Next Header 41 around the whole inner packet.  Neither a Home
 * Address option nor a type 2 routing header goes on the outer header
 * (§6.5 step 5).
 */
static enum rec_drop
send_esp(struct mip6_node *n, const struct mip6_tunnel_out *out, struct ipsec_sa *sa)
{
    uint8_t buf[MIP6_MAX_PACKET];
    struct wr w = wr_init(buf, sizeof buf);

    /* With dynamic keying the entry has no SA until key management
     * installs one; otherwise it needs a tunnel-mode SA. */
    if (!sa)
        return REC_DROP_ESP_NO_OUTBOUND_SA;
    if (sa->mode != IPSEC_TUNNEL)
        return REC_DROP_POLICY;
    /* An SA that was never given outer addresses cannot carry a tunnel. */
    if (!ip6_addr_is_unicast_routable(sa->tunnel_src) ||
        !ip6_addr_is_unicast_routable(sa->tunnel_dst))
        return REC_DROP_ESP_TUNNEL_OUTER;

    /* NOTE: ESP adds up to 53 bytes, but the ns-3 shim's tunnel MTU of 1460
     * leaves room for the outer header only.  An inner packet above 1422
     * bytes is fragmented on the link, and the receiver's ingress hook
     * does not reassemble, so ns-3 drops it as an unknown protocol. */
    enum rec_drop why = mip6_esp_outbound(sa, IP6_NH_IPV6, out->inner, out->inner_len, &w);
    if (why != REC_DROP_NONE)
        return why;

    /* The packet leaves once the node's CPU has done the ESP work. */
    struct mip6_emit e = {
        .ifindex = out->ifindex,
        .record_ifindex = out->record_ifindex,
        .src = sa->tunnel_src,
        .dst = sa->tunnel_dst,
        .next_header = IP6_NH_ESP,
        .payload = buf,
        .len = w.pos,
        .inner = out->inner,
        .inner_len = out->inner_len,
        .inner_uid = out->inner_uid,
    };
    /* mip6_emit records a failure to send itself, on the outer packet. */
    mip6_emit(n, mip6_esp_work(n, sa, MIP6_COST_OUTBOUND, out->inner_len), &e);
    return REC_DROP_NONE;
}

enum rec_drop
mip6_tunnel_send(struct mip6_node *n, const struct mip6_tunnel_out *out)
{
    struct ip6_packet p;
    enum rec_drop why = REC_DROP_MALFORMED;

    if (ip6_parse(out->inner, out->inner_len, &p) == IP6_OK) {
        /* RFC 3776 §6.5 step 3, §6.7 step 3: the outbound SPD lookup on
         * the inner packet, as it enters the tunnel interface. */
        struct ipsec_packet view = inner_view(out->inner, &p);
        struct ipsec_policy *policy = ipsec_policy_lookup(&n->ipsec, IPSEC_OUT, &view);

        if (policy && policy->action == IPSEC_DISCARD)
            why = REC_DROP_POLICY;
        else if (policy && policy->action == IPSEC_PROTECT)
            why = send_esp(n, out, policy->sa);
        else
            why = send_plain(n, out);
    }

    if (why != REC_DROP_NONE)
        mip6_record_drop(n, out->tunnel_ifindex, out->inner, out->inner_len, out->inner_uid, why);
    return why;
}

/* ----- input ----- */

struct ipsec_sa *
mip6_tunnel_esp_sa(const struct mip6_node *n, const uint8_t *pkt, const struct ip6_packet *outer)
{
    uint32_t spi = 0, seq = 0;

    if (outer->upper_proto != IP6_NH_ESP ||
        esp_read_header(pkt + outer->upper_offset, outer->upper_len, &spi, &seq) != ESP_OK)
        return NULL;
    struct ipsec_sa *sa = ipsec_sa_by_spi(&n->ipsec, spi);
    return sa && sa->mode == IPSEC_TUNNEL ? sa : NULL;
}

/* RFC 3776 §6.6 step 2, §6.8 step 2: SA by SPI, ICV, decryption. */
static enum rec_drop
open_esp(struct mip6_node *n, uint32_t ifindex, const uint8_t *pkt, size_t len, uint64_t uid,
         const struct ip6_packet *outer, uint8_t *scratch, size_t scratch_len,
         struct mip6_tunnel_in *in)
{
    struct ipsec_sa *sa = mip6_tunnel_esp_sa(n, pkt, outer);
    struct esp_inbound result;

    if (!sa)
        return REC_DROP_ESP_NO_SA;
    /* RFC 3776 §3.2: the outer header runs between care-of address and
     * home agent and carries neither option nor routing header.  Its
     * destination must be this end of the SA, so a mobile node takes only
     * its current care-of address once the BU for it is out (§4.3). */
    if (outer->has_hao || outer->has_rh2 || memcmp(outer->hdr.dst, sa->tunnel_dst, 16) != 0)
        return REC_DROP_ESP_TUNNEL_OUTER;

    enum rec_drop why = mip6_esp_inbound(sa, pkt + outer->upper_offset, outer->upper_len, scratch,
                                         scratch_len, &result);
    if (why != REC_DROP_NONE)
        return why;
    rec_packet(n->rec, sim_now_ns(), n->id, ifindex, REC_ESP_VERIFY, pkt,
               len < RECORD_CAPLEN ? len : RECORD_CAPLEN, len, uid, 0, REC_DROP_NONE);

    /* A tunnel-mode SA carries whole IPv6 packets.  This also discards the
     * dummy packets of RFC 4303 §2.6 (Next Header 59). */
    if (result.next_header != IP6_NH_IPV6)
        return REC_DROP_ESP_NEXT_HEADER;
    in->sa = sa;
    in->inner = scratch;
    in->inner_len = result.payload_len;
    return REC_DROP_NONE;
}

/*
 * RFC 3776 §6.6 step 3, §6.8 step 3 (RFC 4301 §5.2 step 4): a decrypted
 * inner packet must match its SA's selectors.  A plain one must not be
 * one that inbound policy requires protected (RFC 3776 §4.1, §4.2).
 */
static enum rec_drop
check_inner(struct mip6_node *n, const struct mip6_tunnel_in *in)
{
    struct ipsec_packet view = inner_view(in->inner, &in->parsed);

    if (in->sa)
        return ipsec_selector_match(&in->sa->sel, &view) ? REC_DROP_NONE : REC_DROP_POLICY;

    struct ipsec_policy *policy = ipsec_policy_lookup(&n->ipsec, IPSEC_IN, &view);
    if (policy && policy->action == IPSEC_PROTECT)
        return REC_DROP_CLEAR_TEXT;
    if (policy && policy->action == IPSEC_DISCARD)
        return REC_DROP_POLICY;
    return REC_DROP_NONE;
}

enum rec_drop
mip6_tunnel_receive(struct mip6_node *n, uint32_t ifindex, const uint8_t *pkt, size_t len,
                    uint64_t uid, const struct ip6_packet *outer, uint8_t *scratch,
                    size_t scratch_len, struct mip6_tunnel_in *in)
{
    enum rec_drop why = REC_DROP_NONE;

    memset(in, 0, sizeof *in);
    if (outer->upper_proto == IP6_NH_ESP) {
        why = open_esp(n, ifindex, pkt, len, uid, outer, scratch, scratch_len, in);
    } else if (outer->upper_proto == IP6_NH_IPV6) {
        in->inner = pkt + outer->upper_offset;
        in->inner_len = outer->upper_len;
    } else {
        why = REC_DROP_MALFORMED;
    }

    if (why == REC_DROP_NONE && ip6_parse(in->inner, in->inner_len, &in->parsed) != IP6_OK)
        why = REC_DROP_MALFORMED;
    if (why == REC_DROP_NONE)
        why = check_inner(n, in);

    if (why != REC_DROP_NONE)
        mip6_record_drop(n, ifindex, pkt, len, uid, why);
    return why;
}

void
mip6_tunnel_record_decap(struct mip6_node *n, uint32_t ifindex, const uint8_t *pkt, size_t len,
                         uint64_t uid, const struct ip6_packet *outer,
                         const struct mip6_tunnel_in *in, uint64_t inner_uid)
{
    if (!in->sa) {
        rec_packet(n->rec, sim_now_ns(), n->id, ifindex, REC_DECAP, pkt,
                   len < RECORD_CAPLEN ? len : RECORD_CAPLEN, len, uid, inner_uid, REC_DROP_NONE);
        return;
    }
    mip6_record_built(n, ifindex, REC_DECAP, outer->hdr.src, outer->hdr.dst, IP6_NH_IPV6, in->inner,
                      in->inner_len, uid, inner_uid, REC_DROP_NONE);
}
