/*
 * pktinfo.c - one pass over an IPv6 packet's header chain, for recording.
 *
 * Layouts: the IPv6 header is RFC 8200 section 3.  Extension headers are
 * (Hdr Ext Len + 1) * 8 bytes long (RFC 8200 section 4).  The Home Address
 * option (type 201) and the type 2 routing header are RFC 6275 sections
 * 6.3 and 6.4, and the Mobility Header type is its byte 2 (section 6.1.1).
 * ESP starts with the SPI and the sequence number (RFC 4303 section 2).
 */
#include "pktinfo.h"

#include <stdbool.h>
#include <string.h>

#include "cursor.h"

enum {
    IPV6_HEADER_LEN = 40,
    NH_HOP_BY_HOP = 0,
    NH_TCP = 6,
    NH_UDP = 17,
    NH_IPV6 = 41,
    NH_ROUTING = 43,
    NH_FRAGMENT = 44,
    NH_ESP = 50,
    NH_AH = 51,
    NH_ICMPV6 = 58,
    NH_NONE = 59,
    NH_DSTOPT = 60,
    NH_MH = 135,
    OPT_PAD1 = 0,
    OPT_HOME_ADDRESS = 201,
    HOME_ADDRESS_OPT_LEN = 16,
    RH_TYPE_2 = 2,
    RH2_EXT_LEN = 2,
    UDP_HEADER_LEN = 8,
    SEQTS_HEADER_LEN = 12, /* ns-3 SeqTsHeader: 32-bit sequence, 64-bit timestamp */
};

static const char *const hdr_names[] = {
    [PKTINFO_H_END] = "",          [PKTINFO_H_IPV6] = "ipv6", [PKTINFO_H_HBH] = "hbh",
    [PKTINFO_H_RH] = "rh",         [PKTINFO_H_RH2] = "rh2",   [PKTINFO_H_FRAG] = "frag",
    [PKTINFO_H_DSTOPT] = "dstopt", [PKTINFO_H_ESP] = "esp",   [PKTINFO_H_AH] = "ah",
    [PKTINFO_H_MH] = "mh",         [PKTINFO_H_UDP] = "udp",   [PKTINFO_H_TCP] = "tcp",
    [PKTINFO_H_ICMP6] = "icmp6",   [PKTINFO_H_NONE] = "none", [PKTINFO_H_OTHER] = "other",
};

/* Append a header kind; returns false and sets PKTINFO_CHAIN_CUT when the chain is full. */
static bool
push(struct pktinfo *pi, enum pktinfo_hdr hdr)
{
    if (pi->chain_len >= PKTINFO_CHAIN_MAX) {
        pi->flags |= PKTINFO_CHAIN_CUT;
        return false;
    }
    pi->chain |= (uint64_t)hdr << (4 * pi->chain_len);
    pi->chain_len++;
    return true;
}

static enum pktinfo_hdr
classify(uint8_t next_header)
{
    switch (next_header) {
    case NH_HOP_BY_HOP:
        return PKTINFO_H_HBH;
    case NH_TCP:
        return PKTINFO_H_TCP;
    case NH_UDP:
        return PKTINFO_H_UDP;
    case NH_IPV6:
        return PKTINFO_H_IPV6;
    case NH_ROUTING:
        return PKTINFO_H_RH;
    case NH_FRAGMENT:
        return PKTINFO_H_FRAG;
    case NH_ESP:
        return PKTINFO_H_ESP;
    case NH_AH:
        return PKTINFO_H_AH;
    case NH_ICMPV6:
        return PKTINFO_H_ICMP6;
    case NH_NONE:
        return PKTINFO_H_NONE;
    case NH_DSTOPT:
        return PKTINFO_H_DSTOPT;
    case NH_MH:
        return PKTINFO_H_MH;
    default:
        return PKTINFO_H_OTHER;
    }
}

/* Look for the Home Address option among a destination options header's options. */
static void
scan_options(struct pktinfo *pi, struct rd opts)
{
    while (rd_left(&opts) > 0) {
        uint8_t type = rd_u8(&opts);
        if (type == OPT_PAD1)
            continue;
        uint8_t len = rd_u8(&opts);
        const uint8_t *data = rd_take(&opts, len);
        if (!data)
            return;
        if (type == OPT_HOME_ADDRESS && len == HOME_ADDRESS_OPT_LEN && !(pi->flags & PKTINFO_HOA)) {
            memcpy(pi->hoa, data, 16);
            pi->flags |= PKTINFO_HOA;
        }
    }
}

/* How a step or a whole walk over the extension headers ended. */
enum walk_end {
    WALK_NEXT,           /* step only: go on with the next header */
    WALK_UPPER,          /* walk only: reached the upper-layer header or ESP */
    WALK_STOPPED,        /* the header is cut off or the chain is full */
    WALK_LATER_FRAGMENT, /* a non-first fragment: no upper-layer header follows */
};

/*
 * Read one extension header of the walk (hop-by-hop, routing, fragment or
 * destination options) and return its next header value in *next.
 */
static enum walk_end
step_over(struct pktinfo *pi, struct rd *r, uint8_t nh, uint8_t *next)
{
    if (nh == NH_FRAGMENT) {
        struct rd frag = rd_sub(r, 8);
        *next = rd_u8(&frag);
        rd_skip(&frag, 1);
        uint16_t offset = rd_u16(&frag) >> 3;
        if (!rd_ok(&frag) || !push(pi, PKTINFO_H_FRAG))
            return WALK_STOPPED;
        return offset != 0 ? WALK_LATER_FRAGMENT : WALK_NEXT;
    }

    /* Hop-by-hop, routing and destination options share the length rule. */
    const uint8_t *head = rd_take(r, 2);
    if (!head)
        return WALK_STOPPED;
    size_t total = ((size_t)head[1] + 1) * 8;
    struct rd body = rd_sub(r, total - 2);
    if (!rd_ok(&body))
        return WALK_STOPPED;
    *next = head[0];

    if (nh == NH_ROUTING) {
        uint8_t routing_type = rd_u8(&body);
        bool is_rh2 = routing_type == RH_TYPE_2;
        if (!push(pi, is_rh2 ? PKTINFO_H_RH2 : PKTINFO_H_RH))
            return WALK_STOPPED;
        /* RFC 6275 section 6.4: Hdr Ext Len 2, one address after 4 reserved bytes. */
        if (is_rh2 && head[1] == RH2_EXT_LEN && !(pi->flags & PKTINFO_RH2)) {
            rd_skip(&body, 1 + 4);
            rd_bytes(&body, pi->rh2, 16);
            pi->flags |= PKTINFO_RH2;
        }
        return WALK_NEXT;
    }

    if (!push(pi, nh == NH_DSTOPT ? PKTINFO_H_DSTOPT : PKTINFO_H_HBH))
        return WALK_STOPPED;
    if (nh == NH_DSTOPT)
        scan_options(pi, body);
    return WALK_NEXT;
}

/*
 * Walk the extension headers that start with next header nh and return
 * the next header value where the walk ended: the upper-layer protocol,
 * or for a non-first fragment the fragment's next header.  The final kind
 * is pushed on the chain.  Every step consumes at least 8 bytes and
 * pushes one kind, so the walk ends after at most PKTINFO_CHAIN_MAX steps.
 */
static uint8_t
walk(struct pktinfo *pi, struct rd *r, uint8_t nh, enum walk_end *end)
{
    while (nh == NH_HOP_BY_HOP || nh == NH_ROUTING || nh == NH_FRAGMENT || nh == NH_DSTOPT) {
        uint8_t next = 0;
        *end = step_over(pi, r, nh, &next);
        if (!rd_ok(r))
            pi->flags |= PKTINFO_TRUNCATED;
        if (*end == WALK_LATER_FRAGMENT)
            return next;
        if (*end == WALK_STOPPED)
            return nh;
        nh = next;
    }
    *end = push(pi, classify(nh)) ? WALK_UPPER : WALK_STOPPED;
    return nh;
}

/* Read the fields of the upper-layer header that the walk reached. */
static void
read_upper(struct pktinfo *pi, struct rd *r, uint8_t protocol)
{
    switch (protocol) {
    case NH_ESP: {
        uint32_t spi = rd_u32(r);
        uint32_t seq = rd_u32(r);
        if (rd_ok(r)) {
            pi->spi = spi;
            pi->esp_seq = seq;
            pi->flags |= PKTINFO_ESP;
        }
        break;
    }
    case NH_MH: {
        const uint8_t *mh = rd_take(r, 3);
        if (mh) {
            pi->mh_type = mh[2];
            pi->flags |= PKTINFO_MH;
        }
        break;
    }
    case NH_ICMPV6: {
        uint8_t type = rd_u8(r);
        if (rd_ok(r)) {
            pi->icmp_type = type;
            pi->flags |= PKTINFO_ICMP;
        }
        break;
    }
    case NH_UDP: {
        rd_skip(r, 4);
        uint16_t udp_len = rd_u16(r);
        rd_skip(r, 2);
        if (!rd_ok(r) || udp_len < UDP_HEADER_LEN + SEQTS_HEADER_LEN)
            break;
        uint32_t seq = rd_u32(r);
        if (rd_ok(r)) {
            pi->app_seq = seq;
            pi->flags |= PKTINFO_APP_SEQ;
        }
        break;
    }
    default:
        return;
    }
    if (!rd_ok(r))
        pi->flags |= PKTINFO_TRUNCATED;
}

/*
 * Read a fixed IPv6 header into src and dst and return a reader over its
 * payload, limited by Payload Length when that is non-zero and smaller
 * than what was captured.  Returns false when the header is cut off or
 * is not version 6.
 */
static bool
read_ipv6(struct pktinfo *pi, struct rd *r, uint8_t src[16], uint8_t dst[16], uint8_t *nh,
          struct rd *payload)
{
    const uint8_t *h = rd_take(r, IPV6_HEADER_LEN);
    if (!h) {
        pi->flags |= PKTINFO_TRUNCATED;
        return false;
    }
    if (h[0] >> 4 != 6) {
        pi->flags |= PKTINFO_BAD_VERSION;
        return false;
    }

    size_t payload_len = get_u16(h + 4);
    size_t captured = rd_left(r);
    if (payload_len == 0 || payload_len > captured)
        payload_len = captured;
    *payload = rd_sub(r, payload_len);
    *nh = h[6];
    memcpy(src, h + 8, 16);
    memcpy(dst, h + 24, 16);
    return true;
}

void
pktinfo_parse(struct pktinfo *out, const uint8_t *pkt, size_t caplen)
{
    memset(out, 0, sizeof *out);
    struct rd whole = rd_init(pkt, pkt ? caplen : 0);
    struct rd r;
    uint8_t nh = 0;
    enum walk_end end;

    if (!read_ipv6(out, &whole, out->src, out->dst, &nh, &r))
        return;
    out->flags |= PKTINFO_IPV6;
    push(out, PKTINFO_H_IPV6);
    out->protocol = walk(out, &r, nh, &end);
    if (end == WALK_LATER_FRAGMENT)
        out->flags |= PKTINFO_FRAGMENT;
    if (end != WALK_UPPER)
        return;
    if (out->protocol != NH_IPV6) {
        read_upper(out, &r, out->protocol);
        return;
    }

    /*
     * IPv6-in-IPv6 (RFC 2473): open one inner level; walk() already pushed
     * its kind.  A non-first inner fragment only ends the summary, because
     * PKTINFO_FRAGMENT describes the outer packet.
     */
    struct rd inner;
    if (!read_ipv6(out, &r, out->inner_src, out->inner_dst, &nh, &inner))
        return;
    out->flags |= PKTINFO_INNER;
    out->inner_protocol = walk(out, &inner, nh, &end);
    if (end != WALK_UPPER || out->inner_protocol == NH_IPV6)
        return;
    read_upper(out, &inner, out->inner_protocol);
}

const char *
pktinfo_hdr_name(enum pktinfo_hdr hdr)
{
    if ((unsigned)hdr >= sizeof hdr_names / sizeof hdr_names[0])
        return "?";
    return hdr_names[hdr];
}

/* Append s to buf as far as it fits, keeping room for the NUL; *n counts the full text. */
static void
append(char *buf, size_t len, size_t *n, const char *s)
{
    for (; *s; s++) {
        if (*n + 1 < len)
            buf[*n] = *s;
        (*n)++;
    }
}

size_t
pktinfo_chain_text(uint64_t chain, char *buf, size_t len)
{
    size_t n = 0;
    for (int i = 0; i < PKTINFO_CHAIN_MAX; i++) {
        enum pktinfo_hdr hdr = (enum pktinfo_hdr)((chain >> (4 * i)) & 0xf);
        if (hdr == PKTINFO_H_END)
            break;
        if (i > 0)
            append(buf, len, &n, ">");
        append(buf, len, &n, pktinfo_hdr_name(hdr));
    }
    if (len > 0)
        buf[n < len ? n : len - 1] = '\0';
    return n;
}
