/*
 * ipv6.c - IPv6 packet parsing, Mobile IPv6 extension header encoders,
 * the upper-layer checksum and address utilities.
 */
#define _POSIX_C_SOURCE 200112L

#include "ipv6.h"

#include <arpa/inet.h>
#include <string.h>

#include "cursor.h"

static bool
is_extension_header(uint8_t next_header)
{
    return next_header == IP6_NH_HOP_BY_HOP || next_header == IP6_NH_ROUTING ||
           next_header == IP6_NH_FRAGMENT || next_header == IP6_NH_DEST_OPTS;
}

static enum ip6_status
parse_fixed_header(struct rd *r, struct ip6_header *hdr)
{
    uint32_t first_word = rd_u32(r);
    hdr->payload_len = rd_u16(r);
    hdr->next_header = rd_u8(r);
    hdr->hop_limit = rd_u8(r);
    rd_bytes(r, hdr->src, IP6_ADDR_LEN);
    rd_bytes(r, hdr->dst, IP6_ADDR_LEN);
    if (!rd_ok(r))
        return IP6_TRUNCATED;

    hdr->traffic_class = (uint8_t)(first_word >> 20);
    hdr->flow_label = first_word & 0xfffff;

    /* RFC 8200 §3: Version = 6. */
    if (first_word >> 28 != 6)
        return IP6_BAD_VERSION;
    /* RFC 8200 §3: Payload Length counts the bytes after the fixed header. */
    if (hdr->payload_len > rd_left(r))
        return IP6_BAD_PAYLOAD_LENGTH;
    return IP6_OK;
}

static enum ip6_status
record_hao(struct rd *data, size_t data_offset, struct ip6_packet *pkt)
{
    /* RFC 6275 §6.3: Option Length 16, one home address. */
    if (data->len != IP6_HAO_DATA_LEN)
        return IP6_BAD_HAO_LENGTH;
    /* RFC 6275 §6.3: at most one Home Address option per packet. */
    if (pkt->has_hao)
        return IP6_DUPLICATE_HAO;

    rd_bytes(data, pkt->hao, IP6_ADDR_LEN);
    pkt->has_hao = true;
    pkt->hao_offset = data_offset;
    return IP6_OK;
}

/*
 * Walk the TLV options of a Hop-by-Hop or Destination Options header.
 * opts covers the bytes after Next Header and Hdr Ext Len, which start
 * at opts_offset in the packet.
 */
static enum ip6_status
walk_options(struct rd *opts, size_t opts_offset, bool dest_opts, struct ip6_packet *pkt)
{
    while (rd_left(opts) > 0) {
        uint8_t type = rd_u8(opts);
        /* RFC 8200 §4.2: Pad1 is a single byte without length or data. */
        if (type == IP6_OPT_PAD1)
            continue;

        uint8_t data_len = rd_u8(opts);
        size_t data_offset = opts_offset + opts->pos;
        struct rd data = rd_sub(opts, data_len);
        if (!rd_ok(opts))
            return IP6_OPTION_TRUNCATED;

        if (dest_opts && type == IP6_OPT_HOME_ADDRESS) {
            enum ip6_status status = record_hao(&data, data_offset, pkt);
            if (status != IP6_OK)
                return status;
        } else if (type != IP6_OPT_PADN && (type & 0xc0) != 0) {
            /* RFC 8200 §4.2: the two high bits of an unrecognized type
             * select skip (00) or discard (01, 10 and 11). */
            return IP6_UNKNOWN_OPTION;
        }
    }
    return IP6_OK;
}

/* rest covers the routing header after Next Header and Hdr Ext Len. */
static enum ip6_status
parse_routing(struct rd *rest, uint8_t ext_len, size_t header_offset, struct ip6_packet *pkt)
{
    uint8_t routing_type = rd_u8(rest);
    uint8_t segments_left = rd_u8(rest);

    if (routing_type != IP6_ROUTING_TYPE2) {
        /* RFC 8200 §4.4: an unrecognized type with Segments Left 0 is
         * ignored.  With any other value the packet is discarded. */
        return segments_left == 0 ? IP6_OK : IP6_BAD_ROUTING_HEADER;
    }

    /* RFC 6275 §6.4: Hdr Ext Len 2, Segments Left 1, one address. */
    if (ext_len != 2)
        return IP6_BAD_RH2_LENGTH;
    if (segments_left != 1)
        return IP6_BAD_RH2_SEGMENTS;
    /* NOTE: RFC 6275 gives a packet one home address and does not say
     * which of two would win, so the model rejects a second type 2 header. */
    if (pkt->has_rh2)
        return IP6_DUPLICATE_RH2;

    rd_skip(rest, 4); /* Reserved */
    rd_bytes(rest, pkt->rh2_addr, IP6_ADDR_LEN);
    pkt->has_rh2 = true;
    pkt->rh2_offset = header_offset;
    return IP6_OK;
}

/*
 * Step over one extension header at the front of body.  Sets *next to
 * its Next Header field and *stop when the walk cannot continue past it
 * (a non-atomic fragment).
 */
static enum ip6_status
parse_extension(struct rd *body, uint8_t type, struct ip6_packet *pkt, uint8_t *next, bool *stop)
{
    size_t header_offset = IP6_HEADER_LEN + body->pos;

    /* RFC 8200 §4.1: Hop-by-Hop Options only right after the IPv6 header. */
    if (type == IP6_NH_HOP_BY_HOP && header_offset != IP6_HEADER_LEN)
        return IP6_BAD_HOP_BY_HOP;

    *next = rd_u8(body);
    uint8_t ext_len = rd_u8(body);
    /* RFC 8200 §4.5: the Fragment header is always 8 bytes and its second
     * byte is reserved.  The others count 8-byte units after the first 8. */
    size_t total = type == IP6_NH_FRAGMENT ? 8 : ((size_t)ext_len + 1) * 8;
    struct rd rest = rd_sub(body, total - 2);
    if (!rd_ok(body))
        return IP6_TRUNCATED;

    switch (type) {
    case IP6_NH_HOP_BY_HOP:
    case IP6_NH_DEST_OPTS:
        return walk_options(&rest, header_offset + 2, type == IP6_NH_DEST_OPTS, pkt);
    case IP6_NH_ROUTING:
        return parse_routing(&rest, ext_len, header_offset, pkt);
    default: {
        /* RFC 8200 §4.5 and RFC 6946: offset 0 with M clear is an atomic
         * fragment whose payload is a whole packet. */
        uint16_t offset_flags = rd_u16(&rest);
        if ((offset_flags >> 3) != 0 || (offset_flags & 1) != 0) {
            pkt->fragmented = true;
            *stop = true;
        }
        return IP6_OK;
    }
    }
}

enum ip6_status
ip6_parse(const uint8_t *buf, size_t len, struct ip6_packet *pkt)
{
    memset(pkt, 0, sizeof *pkt);
    struct rd r = rd_init(buf, len);

    enum ip6_status status = parse_fixed_header(&r, &pkt->hdr);
    if (status != IP6_OK)
        return status;

    struct rd body = rd_sub(&r, pkt->hdr.payload_len);
    uint8_t type = pkt->hdr.next_header;
    size_t offset = IP6_HEADER_LEN;
    bool stop = false;
    while (is_extension_header(type) && !stop) {
        uint8_t next = 0;
        offset = IP6_HEADER_LEN + body.pos;
        status = parse_extension(&body, type, pkt, &next, &stop);
        if (status != IP6_OK)
            return status;
        if (!stop)
            type = next;
    }
    if (!stop)
        offset = IP6_HEADER_LEN + body.pos;

    pkt->upper_proto = type;
    pkt->upper_offset = offset;
    pkt->upper_len = IP6_HEADER_LEN + pkt->hdr.payload_len - offset;
    return IP6_OK;
}

enum ip6_status
ip6_write_header(struct wr *w, const struct ip6_header *hdr)
{
    if (hdr->flow_label > 0xfffff || hdr->payload_len > IP6_MAX_PAYLOAD)
        return IP6_BAD_FIELD;
    uint8_t *p = wr_reserve(w, IP6_HEADER_LEN);
    if (p == NULL)
        return IP6_NO_SPACE;

    struct wr h = wr_init(p, IP6_HEADER_LEN);
    wr_u32(&h, (uint32_t)6 << 28 | (uint32_t)hdr->traffic_class << 20 | hdr->flow_label);
    wr_u16(&h, (uint16_t)hdr->payload_len);
    wr_u8(&h, hdr->next_header);
    wr_u8(&h, hdr->hop_limit);
    wr_bytes(&h, hdr->src, IP6_ADDR_LEN);
    wr_bytes(&h, hdr->dst, IP6_ADDR_LEN);
    return IP6_OK;
}

enum ip6_status
ip6_write_dest_opts_hao(struct wr *w, uint8_t next_header, const uint8_t home[IP6_ADDR_LEN])
{
    uint8_t *p = wr_reserve(w, IP6_DO_HAO_LEN);
    if (p == NULL)
        return IP6_NO_SPACE;

    struct wr h = wr_init(p, IP6_DO_HAO_LEN);
    wr_u8(&h, next_header);
    wr_u8(&h, IP6_DO_HAO_LEN / 8 - 1);
    /* PadN of 4 bytes puts the option at offset 6 (RFC 6275 §6.3: 8n+6). */
    wr_u8(&h, IP6_OPT_PADN);
    wr_u8(&h, 2);
    wr_zeros(&h, 2);
    wr_u8(&h, IP6_OPT_HOME_ADDRESS);
    wr_u8(&h, IP6_HAO_DATA_LEN);
    wr_bytes(&h, home, IP6_ADDR_LEN);
    return IP6_OK;
}

enum ip6_status
ip6_write_rh2(struct wr *w, uint8_t next_header, const uint8_t home[IP6_ADDR_LEN])
{
    uint8_t *p = wr_reserve(w, IP6_RH2_LEN);
    if (p == NULL)
        return IP6_NO_SPACE;

    /* RFC 6275 §6.4: Hdr Ext Len 2, Routing Type 2, Segments Left 1. */
    struct wr h = wr_init(p, IP6_RH2_LEN);
    wr_u8(&h, next_header);
    wr_u8(&h, IP6_RH2_LEN / 8 - 1);
    wr_u8(&h, IP6_ROUTING_TYPE2);
    wr_u8(&h, 1);
    wr_zeros(&h, 4);
    wr_bytes(&h, home, IP6_ADDR_LEN);
    return IP6_OK;
}

/* Add n bytes to a ones' complement sum as big-endian 16-bit words. */
static uint64_t
sum_words(uint64_t sum, const uint8_t *data, size_t n)
{
    size_t i = 0;
    for (; i + 1 < n; i += 2)
        sum += (uint32_t)data[i] << 8 | data[i + 1];
    if (i < n)
        sum += (uint32_t)data[i] << 8;
    return sum;
}

uint16_t
ip6_checksum(const uint8_t src[IP6_ADDR_LEN], const uint8_t dst[IP6_ADDR_LEN], uint8_t next_header,
             const uint8_t *data, size_t len)
{
    /* RFC 8200 §8.1 pseudo-header. */
    uint64_t sum = 0;
    sum = sum_words(sum, src, IP6_ADDR_LEN);
    sum = sum_words(sum, dst, IP6_ADDR_LEN);
    sum += (uint32_t)len >> 16;
    sum += (uint32_t)len & 0xffff;
    sum += next_header;

    sum = sum_words(sum, data, len);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

enum ip6_status
ip6_addr_from_text(const char *text, uint8_t out[IP6_ADDR_LEN])
{
    return inet_pton(AF_INET6, text, out) == 1 ? IP6_OK : IP6_BAD_ADDRESS_TEXT;
}

const char *
ip6_addr_to_text(const uint8_t addr[IP6_ADDR_LEN], char *out, size_t out_len)
{
    if (out_len < IP6_ADDR_TEXT_LEN)
        return NULL;
    return inet_ntop(AF_INET6, addr, out, (socklen_t)out_len);
}

bool
ip6_prefix_match(const uint8_t a[IP6_ADDR_LEN], const uint8_t b[IP6_ADDR_LEN], unsigned prefix_len)
{
    if (prefix_len > 128)
        return false;

    size_t whole_bytes = prefix_len / 8;
    unsigned rest_bits = prefix_len % 8;
    if (memcmp(a, b, whole_bytes) != 0)
        return false;
    if (rest_bits == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest_bits));
    return ((a[whole_bytes] ^ b[whole_bytes]) & mask) == 0;
}

void
ip6_addr_from_prefix_mac(uint8_t out[IP6_ADDR_LEN], const uint8_t prefix[IP6_ADDR_LEN],
                         const uint8_t mac[6])
{
    memcpy(out, prefix, 8);
    /* RFC 4291 Appendix A: invert the universal/local bit (0x02 of the
     * first byte) and put ff:fe between the OUI and the rest. */
    out[8] = mac[0] ^ 0x02;
    out[9] = mac[1];
    out[10] = mac[2];
    out[11] = 0xff;
    out[12] = 0xfe;
    out[13] = mac[3];
    out[14] = mac[4];
    out[15] = mac[5];
}

bool
ip6_addr_is_unicast_routable(const uint8_t addr[IP6_ADDR_LEN])
{
    static const uint8_t zero[IP6_ADDR_LEN - 1];

    /* RFC 4291 §2.7: ff00::/8 is multicast. */
    if (addr[0] == 0xff)
        return false;
    /* RFC 4291 §2.5.6: fe80::/10 is link-local. */
    if (addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80)
        return false;
    /* RFC 4291 §2.5.2 and §2.5.3: :: is unspecified and ::1 is loopback. */
    if (memcmp(addr, zero, sizeof zero) == 0 && addr[15] <= 1)
        return false;
    return true;
}
