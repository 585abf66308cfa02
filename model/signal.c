/*
 * signal.c - the protected signalling path shared by mobile node and home
 * agent: outbound policy, ESP, Home Address option and type 2 routing
 * header in the order RFC 3776 §6 gives, and the reverse on input.
 */
#include <string.h>

#include "cursor.h"
#include "esp.h"
#include "mip6.h"
#include "sim.h"

void
mip6_record_drop(struct mip6_node *n, uint32_t ifindex, const uint8_t *pkt, size_t len,
                 uint64_t uid, enum rec_drop why)
{
    n->drops++;
    rec_packet(n->rec, sim_now_ns(), n->id, ifindex, REC_DROP, pkt, len < 256 ? len : 256, len, uid,
               0, why);
}

void
mip6_record_built(struct mip6_node *n, uint32_t ifindex, enum rec_kind kind, const uint8_t src[16],
                  const uint8_t dst[16], uint8_t next_header, const uint8_t *payload, size_t len,
                  uint64_t uid, uint64_t parent_uid, enum rec_drop why)
{
    uint8_t buf[256];
    struct wr w = wr_init(buf, sizeof buf);
    struct ip6_header h = {0};
    size_t copy = len < sizeof buf - IP6_HEADER_LEN ? len : sizeof buf - IP6_HEADER_LEN;

    if (!n->rec)
        return;
    h.payload_len = len;
    h.next_header = next_header;
    h.hop_limit = 64;
    memcpy(h.src, src, 16);
    memcpy(h.dst, dst, 16);
    ip6_write_header(&w, &h);
    wr_bytes(&w, payload, copy);
    rec_packet(n->rec, sim_now_ns(), n->id, ifindex, kind, buf, w.pos, IP6_HEADER_LEN + len, uid,
               parent_uid, why);
}

/* The policy view of a message in home form, with the RFC 4877 fields
 * (MH type, ICMPv6 type and code) read from the message itself. */
static struct ipsec_packet
policy_view(const uint8_t *src, const uint8_t *dst, uint8_t proto, const uint8_t *msg,
            size_t msg_len)
{
    struct ipsec_packet p = {.src = src, .dst = dst, .proto = proto};

    if (proto == IP6_NH_MOBILITY && msg_len > 2) {
        p.mh_type_known = true;
        p.mh_type = msg[2];
    } else if (proto == IP6_NH_ICMPV6 && msg_len > 1) {
        p.icmp_known = true;
        p.icmp_type = msg[0];
        p.icmp_code = msg[1];
    }
    return p;
}

/* Build the packet that mip6_send_signal sends into w; returns the drop reason. */
static enum rec_drop
build_signal(struct mip6_node *n, const struct mip6_out *out, struct wr *w, struct ipsec_sa **used)
{
    /* RFC 3776 §6.1 step 2 / §6.3 step 2: outbound SPD lookup in home form. */
    struct ipsec_packet sel = policy_view(out->src, out->dst, out->proto, out->msg, out->msg_len);
    struct ipsec_policy *policy = ipsec_policy_lookup(&n->ipsec, IPSEC_OUT, &sel);
    uint8_t next = out->proto;

    *used = NULL;
    if (policy && policy->action == IPSEC_DISCARD)
        return REC_DROP_POLICY;
    if (policy && policy->action == IPSEC_PROTECT)
        next = IP6_NH_ESP;

    /* Step 3: the Home Address option or type 2 routing header goes in
     * front of ESP, which does not cover it (RFC 3776 §3.1). */
    if (out->care_of_src)
        ip6_write_dest_opts_hao(w, next, out->src);
    else if (out->care_of_dst)
        ip6_write_rh2(w, next, out->dst);

    /* Step 4: ESP in transport mode around the message.  With dynamic
     * keying the entry has no SA until key management installs one. */
    if (next == IP6_NH_ESP) {
        if (!policy->sa)
            return REC_DROP_ESP_NO_OUTBOUND_SA;
        enum rec_drop why = mip6_esp_outbound(policy->sa, out->proto, out->msg, out->msg_len, w);
        if (why != REC_DROP_NONE)
            return why;
        *used = policy->sa;
    } else {
        wr_bytes(w, out->msg, out->msg_len);
    }
    return wr_ok(w) ? REC_DROP_NONE : REC_DROP_SEND_FAILED;
}

enum rec_drop
mip6_send_signal(struct mip6_node *n, const struct mip6_out *out)
{
    uint8_t buf[MIP6_MAX_PACKET];
    struct wr w = wr_init(buf, sizeof buf);
    struct ipsec_sa *sa;
    uint64_t uid = 0;

    /* Step 5: the addresses on the wire are the care-of ones. */
    const uint8_t *wire_src = out->care_of_src ? out->care_of_src : out->src;
    const uint8_t *wire_dst = out->care_of_dst ? out->care_of_dst : out->dst;
    uint8_t first = out->care_of_src   ? IP6_NH_DEST_OPTS
                    : out->care_of_dst ? IP6_NH_ROUTING
                                       : out->proto;

    enum rec_drop why = build_signal(n, out, &w, &sa);
    if (why == REC_DROP_NONE && sa && !out->care_of_src && !out->care_of_dst)
        first = IP6_NH_ESP;
    /* A protected message leaves once the node's CPU has done the ESP work. */
    if (why == REC_DROP_NONE && sa) {
        struct mip6_emit e = {
            .ifindex = out->ifindex,
            .record_ifindex = out->ifindex,
            .src = wire_src,
            .dst = wire_dst,
            .next_header = first,
            .payload = buf,
            .len = w.pos,
        };
        return mip6_emit(n, mip6_esp_work(n, sa, MIP6_COST_OUTBOUND, out->msg_len), &e);
    }
    if (why == REC_DROP_NONE &&
        sim_ipv6_send(n->id, out->ifindex, wire_src, wire_dst, first, buf, w.pos, &uid) != SIM_OK)
        why = REC_DROP_SEND_FAILED;

    if (why != REC_DROP_NONE) {
        n->drops++;
        mip6_record_built(n, out->ifindex, REC_DROP, wire_src, wire_dst, first, buf, w.pos, 0, 0,
                          why);
        return why;
    }
    return REC_DROP_NONE;
}

static enum rec_drop
esp_drop_reason(enum esp_status st)
{
    switch (st) {
    case ESP_ICV_MISMATCH:
        return REC_DROP_ESP_ICV;
    case ESP_BAD_PADDING:
    case ESP_BAD_PAD_LENGTH:
        return REC_DROP_ESP_PADDING;
    default:
        return REC_DROP_MALFORMED;
    }
}

enum rec_drop
mip6_esp_outbound(struct ipsec_sa *sa, uint8_t next_header, const uint8_t *payload, size_t len,
                  struct wr *w)
{
    if (sa->expired == IPSEC_EXPIRY_HARD)
        return REC_DROP_ESP_SA_EXPIRED;
    enum esp_status st = esp_protect(&sa->esp, next_header, payload, len, w);
    if (st == ESP_SEQ_EXHAUSTED) {
        /* RFC 4303 §3.3.3: the counter must not cycle; the SA is done. */
        sa->expired = IPSEC_EXPIRY_HARD;
        if (sa->on_expire)
            sa->on_expire(sa->expire_ctx, sa, IPSEC_EXPIRY_HARD);
        return REC_DROP_ESP_SEQ_EXHAUSTED;
    }
    if (st != ESP_OK)
        return REC_DROP_SEND_FAILED;
    ipsec_sa_count(sa, len);
    return REC_DROP_NONE;
}

enum rec_drop
mip6_esp_inbound(struct ipsec_sa *sa, const uint8_t *esp, size_t len, uint8_t *out, size_t out_cap,
                 struct esp_inbound *result)
{
    uint32_t spi = 0, seq_lo = 0;
    uint64_t seq = 0;

    if (sa->expired == IPSEC_EXPIRY_HARD)
        return REC_DROP_ESP_SA_EXPIRED;
    if (esp_read_header(esp, len, &spi, &seq_lo) != ESP_OK)
        return REC_DROP_MALFORMED;

    /* RFC 4303 §3.4.3: the duplicate check comes first after the SA
     * lookup, so that replayed packets cost no cryptography. */
    if (sa->replay_on) {
        enum esp_replay_verdict v = esp_replay_check(&sa->replay, seq_lo, sa->esp.esn, &seq);
        if (v == ESP_REPLAY_DUPLICATE)
            return REC_DROP_ESP_REPLAY;
        if (v == ESP_REPLAY_TOO_OLD)
            return REC_DROP_ESP_REPLAY_OLD;
    }
    enum esp_status st = sa->esp.esn ? esp_unprotect_esn(&sa->esp, esp, len, (uint32_t)(seq >> 32),
                                                         out, out_cap, result)
                                     : esp_unprotect(&sa->esp, esp, len, out, out_cap, result);
    if (st != ESP_OK)
        return esp_drop_reason(st);
    /* The window advances only for a packet whose ICV verified. */
    if (sa->replay_on && esp_replay_update(&sa->replay, seq) != ESP_REPLAY_OK)
        return REC_DROP_ESP_REPLAY;
    ipsec_sa_count(sa, result->payload_len);
    return REC_DROP_NONE;
}

/* Fill the home-form addresses of *in from the parsed packet. */
static void
swap_to_home_form(const struct ip6_packet *p, struct mip6_in *in)
{
    memcpy(in->src, p->hdr.src, 16);
    memcpy(in->dst, p->hdr.dst, 16);
    in->has_hao = p->has_hao;
    in->has_rh2 = p->has_rh2;
    /* RFC 3776 §6.2 step 2: the home address replaces the source. */
    if (p->has_hao) {
        memcpy(in->care_of, p->hdr.src, 16);
        memcpy(in->src, p->hao, 16);
    }
    /* RFC 3776 §6.4 step 2: the home address replaces the destination. */
    if (p->has_rh2) {
        memcpy(in->care_of, p->hdr.dst, 16);
        memcpy(in->dst, p->rh2_addr, 16);
    }
}

enum rec_drop
mip6_receive_signal(struct mip6_node *n, uint32_t ifindex, const uint8_t *pkt, size_t len,
                    uint64_t uid, const struct ip6_packet *parsed, uint8_t *scratch,
                    size_t scratch_len, struct mip6_in *in)
{
    enum rec_drop why = REC_DROP_NONE;

    memset(in, 0, sizeof *in);
    swap_to_home_form(parsed, in);
    in->proto = parsed->upper_proto;
    in->msg = pkt + parsed->upper_offset;
    in->msg_len = parsed->upper_len;

    if (parsed->upper_proto == IP6_NH_ESP) {
        /* Step 3: SA by SPI, integrity check, decryption. */
        uint32_t spi = 0, seq = 0;
        if (esp_read_header(in->msg, in->msg_len, &spi, &seq) != ESP_OK) {
            why = REC_DROP_MALFORMED;
            goto drop;
        }
        struct ipsec_sa *sa = ipsec_sa_by_spi(&n->ipsec, spi);
        if (!sa) {
            why = REC_DROP_ESP_NO_SA;
            goto drop;
        }
        struct esp_inbound result;
        why = mip6_esp_inbound(sa, in->msg, in->msg_len, scratch, scratch_len, &result);
        if (why != REC_DROP_NONE)
            goto drop;
        in->sa = sa;
        in->proto = result.next_header;
        in->msg = scratch;
        in->msg_len = result.payload_len;
        rec_packet(n->rec, sim_now_ns(), n->id, ifindex, REC_ESP_VERIFY, pkt, len < 256 ? len : 256,
                   len, uid, 0, REC_DROP_NONE);

        /* Step 4: the home-form packet must match the SA's selectors; this
         * is what ties the home address to the SA (RFC 3776 §4.2). */
        struct ipsec_packet sel = policy_view(in->src, in->dst, in->proto, in->msg, in->msg_len);
        if (!ipsec_selector_match(&sa->sel, &sel)) {
            why = REC_DROP_POLICY;
            goto drop;
        }
        return REC_DROP_NONE;
    }

    /* A message in clear is dropped when policy says it must be protected
     * (RFC 3776 §4.1: BU and BA MUST use ESP). */
    struct ipsec_packet sel = policy_view(in->src, in->dst, in->proto, in->msg, in->msg_len);
    struct ipsec_policy *policy = ipsec_policy_lookup(&n->ipsec, IPSEC_IN, &sel);
    if (policy && policy->action != IPSEC_BYPASS) {
        why = policy->action == IPSEC_PROTECT ? REC_DROP_CLEAR_TEXT : REC_DROP_POLICY;
        goto drop;
    }
    return REC_DROP_NONE;

drop:
    mip6_record_drop(n, ifindex, pkt, len, uid, why);
    return why;
}
