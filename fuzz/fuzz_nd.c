/*
 * fuzz_nd.c - the Neighbor Discovery parsers: nd_parse_ra against a naive
 * reference parser, and nd_parse_neighbor against a reference parser and
 * a round trip through nd_encode_neighbor.
 *
 * Input: the IPv6 hop limit (1 byte), the IPv6 source address (16
 * bytes), then the ICMPv6 message for nd_parse_ra.  nd_parse_neighbor
 * reads the same bytes as the hop limit, the source, the IPv6
 * destination address (16 bytes) and then the ICMPv6 message, so every
 * input goes to both parsers.  The neighbor message is parsed twice: as
 * given, and with its checksum recomputed, because random bytes almost
 * never carry a valid checksum and the checks after it would stay
 * unreached.
 *
 * Oracle for nd_parse_ra: it returns the same status as the reference
 * below, which indexes the buffer directly instead of using the cursor.
 * On ND_OK both agree on the router lifetime, the H flag, the
 * Advertisement Interval, the Home Agent Information option and every
 * Prefix Information option kept.
 *
 * Oracle for nd_parse_neighbor: it returns the same status as its
 * reference, and on ND_OK the same type, flags, target and link-layer
 * address.  nd_peek_neighbor agrees with the fixed part.  A parsed
 * message encodes with nd_encode_neighbor, and parsing the encoding gives
 * the same fields.  When the input is already in the encoder's form (no
 * reserved bits, no option but the one link-layer address option), the
 * encoding equals the input byte for byte.  The parse of the copy with
 * the recomputed checksum never returns ND_BAD_CHECKSUM.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "fuzz.h"
#include "ipv6.h"
#include "nd.h"

#define RA_FIXED_LEN 16     /* RFC 4861 §4.2: type to retransmission timer */
#define PREFIX_INFO_TYPE 3  /* RFC 4861 §4.6.2 */
#define ADV_INTERVAL_TYPE 7 /* RFC 6275 §7.3 */
#define HA_INFO_TYPE 8      /* RFC 6275 §7.4 */

#define SOURCE_LINK_ADDR_TYPE 1 /* RFC 4861 §4.6.1 */
#define TARGET_LINK_ADDR_TYPE 2 /* RFC 4861 §4.6.1 */
#define NA_FLAGS_MASK 0xe0      /* R, S and O of an Advertisement (RFC 4861 §4.4) */
#define ICMPV6_NEXT_HEADER 58

#define RA_HEADERS_LEN (1 + 16)            /* hop limit and source before an RA */
#define NEIGHBOR_HEADERS_LEN (1 + 16 + 16) /* hop limit, source and destination */

static uint32_t
be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Store a 32-byte Prefix Information option that starts at opt. */
static void
reference_prefix(const uint8_t *opt, struct nd_ra *out)
{
    struct nd_prefix p;

    p.prefix_len = opt[2];
    p.on_link = opt[3] & 0x80;
    p.autonomous = opt[3] & 0x40;
    p.router_addr = opt[3] & 0x20;
    p.valid_lifetime_s = be32(opt + 4);
    p.preferred_lifetime_s = be32(opt + 8);
    memcpy(p.prefix, opt + 16, 16);
    if (p.prefix_len <= 128 && out->n_prefixes < ND_MAX_PREFIXES)
        out->prefixes[out->n_prefixes++] = p;
}

/* Store an 8-byte Home Agent Information option that starts at opt. */
static void
reference_ha_info(const uint8_t *opt, struct nd_ra *out)
{
    uint16_t lifetime_s = get_u16(opt + 6);

    if (lifetime_s == 0) {
        out->ha_info_invalid = true;
    } else if (!out->has_ha_info) {
        out->has_ha_info = true;
        out->ha_info.preference = (int16_t)get_u16(opt + 4);
        out->ha_info.lifetime_s = lifetime_s;
    }
}

static enum nd_status
reference_parse(const uint8_t *icmp, size_t len, uint8_t hop_limit, const uint8_t src[16],
                struct nd_ra *out)
{
    memset(out, 0, sizeof *out);
    if (len < RA_FIXED_LEN)
        return ND_TRUNCATED;
    if (icmp[0] != ND_ROUTER_ADVERT)
        return ND_NOT_RA;
    if (hop_limit != 255)
        return ND_BAD_HOP_LIMIT;
    if (src[0] != 0xfe || (src[1] & 0xc0) != 0x80)
        return ND_BAD_SOURCE;
    if (icmp[1] != 0)
        return ND_BAD_CODE;
    out->router_lifetime_s = get_u16(icmp + 6);
    out->home_agent = icmp[5] & 0x20;

    size_t at = RA_FIXED_LEN;
    while (at < len) {
        if (len - at < 2)
            return ND_TRUNCATED;
        size_t opt_len = (size_t)icmp[at + 1] * 8;
        if (opt_len == 0 || opt_len > len - at)
            return ND_BAD_OPTION;
        if (icmp[at] == PREFIX_INFO_TYPE && opt_len == 32)
            reference_prefix(icmp + at, out);
        if (icmp[at] == ADV_INTERVAL_TYPE && opt_len == 8) {
            out->has_adv_interval = true;
            out->adv_interval_ms = be32(icmp + at + 4);
        }
        if (icmp[at] == HA_INFO_TYPE && opt_len == 8 && out->home_agent)
            reference_ha_info(icmp + at, out);
        at += opt_len;
    }
    return ND_OK;
}

static void
check_same_prefix(const struct nd_prefix *a, const struct nd_prefix *b)
{
    FUZZ_ASSERT(memcmp(a->prefix, b->prefix, 16) == 0);
    FUZZ_ASSERT(a->prefix_len == b->prefix_len);
    FUZZ_ASSERT(a->on_link == b->on_link);
    FUZZ_ASSERT(a->autonomous == b->autonomous);
    FUZZ_ASSERT(a->router_addr == b->router_addr);
    FUZZ_ASSERT(a->valid_lifetime_s == b->valid_lifetime_s);
    FUZZ_ASSERT(a->preferred_lifetime_s == b->preferred_lifetime_s);
}

static void
check_ra(const uint8_t *data, size_t size)
{
    if (size < RA_HEADERS_LEN)
        return;
    uint8_t hop_limit = data[0];
    const uint8_t *src = data + 1;
    const uint8_t *icmp = data + RA_HEADERS_LEN;
    size_t len = size - RA_HEADERS_LEN;
    struct nd_ra got, want;

    enum nd_status status = nd_parse_ra(icmp, len, hop_limit, src, &got);
    FUZZ_ASSERT(status == reference_parse(icmp, len, hop_limit, src, &want));
    FUZZ_ASSERT(strcmp(nd_status_name(status), "unknown") != 0);
    if (status != ND_OK)
        return;

    FUZZ_ASSERT(got.router_lifetime_s == want.router_lifetime_s);
    FUZZ_ASSERT(got.home_agent == want.home_agent);
    FUZZ_ASSERT(got.has_adv_interval == want.has_adv_interval);
    if (got.has_adv_interval)
        FUZZ_ASSERT(got.adv_interval_ms == want.adv_interval_ms);
    FUZZ_ASSERT(got.has_ha_info == want.has_ha_info);
    if (got.has_ha_info) {
        FUZZ_ASSERT(got.ha_info.preference == want.ha_info.preference);
        FUZZ_ASSERT(got.ha_info.lifetime_s == want.ha_info.lifetime_s);
    }
    FUZZ_ASSERT(got.ha_info_invalid == want.ha_info_invalid);
    FUZZ_ASSERT(got.n_prefixes <= ND_MAX_PREFIXES);
    FUZZ_ASSERT(got.n_prefixes == want.n_prefixes);
    for (size_t i = 0; i < got.n_prefixes; i++)
        check_same_prefix(&got.prefixes[i], &want.prefixes[i]);
}

/* ----- Neighbor Solicitation and Advertisement ----- */

static bool
is_unspecified(const uint8_t addr[16])
{
    static const uint8_t zeros[16];
    return memcmp(addr, zeros, 16) == 0;
}

/* Whether addr lies in ff02::1:ff00:0/104 (RFC 4291 §2.7.1). */
static bool
is_solicited_node(const uint8_t addr[16])
{
    static const uint8_t prefix[13] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};
    return memcmp(addr, prefix, sizeof prefix) == 0;
}

/* Compute the ICMPv6 checksum of RFC 4443 §2.3 over the pseudo-header of
 * RFC 8200 §8.1 one byte at a time.  Returns 0 when icmp[0..len) verifies. */
static uint16_t
reference_checksum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *icmp, size_t len)
{
    uint64_t sum = 0;

    for (size_t i = 0; i < 16; i += 2) {
        sum += (uint32_t)src[i] << 8 | src[i + 1];
        sum += (uint32_t)dst[i] << 8 | dst[i + 1];
    }
    sum += (uint32_t)len >> 16;
    sum += (uint32_t)len & 0xffff;
    sum += ICMPV6_NEXT_HEADER;
    for (size_t i = 0; i < len; i++)
        sum += i % 2 == 0 ? (uint32_t)icmp[i] << 8 : icmp[i];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Walk the options after the 24-byte fixed part and keep the first
 * link-layer address option of Length 1 and the type that fits out->type. */
static enum nd_status
reference_neighbor_options(const uint8_t *icmp, size_t len, struct nd_neighbor *out)
{
    uint8_t wanted =
        out->type == ND_NEIGHBOR_SOLICIT ? SOURCE_LINK_ADDR_TYPE : TARGET_LINK_ADDR_TYPE;
    size_t at = ND_NEIGHBOR_FIXED_LEN;

    while (at < len) {
        if (len - at < 2)
            return ND_TRUNCATED;
        size_t opt_len = (size_t)icmp[at + 1] * 8;
        if (opt_len == 0 || opt_len > len - at)
            return ND_BAD_OPTION;
        if (icmp[at] == wanted && opt_len == ND_LINK_ADDR_OPTION_LEN && !out->has_link_addr) {
            memcpy(out->link_addr, icmp + at + 2, 6);
            out->has_link_addr = true;
        }
        at += opt_len;
    }
    return ND_OK;
}

/* Parse with the checks of RFC 4861 §7.1.1 and §7.1.2, in the order that nd.h documents. */
static enum nd_status
reference_parse_neighbor(const uint8_t *icmp, size_t len, uint8_t hop_limit, const uint8_t src[16],
                         const uint8_t dst[16], struct nd_neighbor *out)
{
    memset(out, 0, sizeof *out);
    if (len < ND_NEIGHBOR_FIXED_LEN)
        return ND_TRUNCATED;
    if (icmp[0] != ND_NEIGHBOR_SOLICIT && icmp[0] != ND_NEIGHBOR_ADVERT)
        return ND_NOT_NEIGHBOR;
    out->type = icmp[0];
    out->flags = out->type == ND_NEIGHBOR_ADVERT ? icmp[4] & NA_FLAGS_MASK : 0;
    memcpy(out->target, icmp + 8, 16);

    if (hop_limit != ND_HOP_LIMIT)
        return ND_BAD_HOP_LIMIT;
    if (reference_checksum(src, dst, icmp, len) != 0)
        return ND_BAD_CHECKSUM;
    if (icmp[1] != 0)
        return ND_BAD_CODE;
    if (out->target[0] == 0xff)
        return ND_BAD_TARGET;
    enum nd_status status = reference_neighbor_options(icmp, len, out);
    if (status != ND_OK)
        return status;

    /* The parser drops the option of a duplicate address detection probe
     * instead of rejecting the probe, as nd.h documents. */
    if (out->type == ND_NEIGHBOR_SOLICIT && is_unspecified(src)) {
        if (!is_solicited_node(dst))
            return ND_BAD_DAD;
        out->has_link_addr = false;
    }
    if (out->type == ND_NEIGHBOR_ADVERT && dst[0] == 0xff && (out->flags & ND_NA_FLAG_SOLICITED))
        return ND_BAD_SOLICITED;
    return ND_OK;
}

static void
check_same_neighbor(const struct nd_neighbor *a, const struct nd_neighbor *b)
{
    FUZZ_ASSERT(a->type == b->type);
    FUZZ_ASSERT(a->flags == b->flags);
    FUZZ_ASSERT(memcmp(a->target, b->target, 16) == 0);
    FUZZ_ASSERT(a->has_link_addr == b->has_link_addr);
    if (a->has_link_addr)
        FUZZ_ASSERT(memcmp(a->link_addr, b->link_addr, 6) == 0);
}

/* Whether nd_encode_neighbor writes exactly these bytes for msg, apart
 * from the checksum.  That needs clear Reserved bits and no option except
 * the one that msg holds. */
static bool
is_encoder_form(const uint8_t *icmp, size_t len, const struct nd_neighbor *msg)
{
    static const uint8_t reserved_zero[3];
    uint8_t option_type =
        msg->type == ND_NEIGHBOR_SOLICIT ? SOURCE_LINK_ADDR_TYPE : TARGET_LINK_ADDR_TYPE;

    if (icmp[4] != msg->flags || memcmp(icmp + 5, reserved_zero, 3) != 0)
        return false;
    if (!msg->has_link_addr)
        return len == ND_NEIGHBOR_FIXED_LEN;
    return len == ND_NEIGHBOR_MAX_LEN && icmp[ND_NEIGHBOR_FIXED_LEN] == option_type &&
           icmp[ND_NEIGHBOR_FIXED_LEN + 1] == ND_LINK_ADDR_OPTION_LEN / 8;
}

/* Encode a parsed message, parse the encoding and compare. */
static void
check_neighbor_round_trip(const uint8_t *icmp, size_t len, const struct nd_neighbor *msg,
                          uint8_t hop_limit, const uint8_t src[16], const uint8_t dst[16])
{
    uint8_t buf[ND_NEIGHBOR_MAX_LEN];
    struct wr w = wr_init(buf, sizeof buf);
    struct nd_neighbor again;

    FUZZ_ASSERT(nd_encode_neighbor(&w, msg, src, dst) == ND_OK);
    FUZZ_ASSERT(w.pos ==
                ND_NEIGHBOR_FIXED_LEN + (msg->has_link_addr ? ND_LINK_ADDR_OPTION_LEN : 0));
    FUZZ_ASSERT(nd_parse_neighbor(buf, w.pos, hop_limit, src, dst, &again) == ND_OK);
    check_same_neighbor(msg, &again);

    if (!is_encoder_form(icmp, len, msg))
        return;
    FUZZ_ASSERT(memcmp(buf, icmp, 2) == 0);
    FUZZ_ASSERT(memcmp(buf + 4, icmp + 4, len - 4) == 0);
    /* In ones' complement 0x0000 and 0xffff are both zero, so an input
     * checksum of 0xffff verifies where the encoder writes 0x0000. */
    uint16_t input_checksum = get_u16(icmp + 2);
    uint16_t encoded_checksum = get_u16(buf + 2);
    FUZZ_ASSERT(input_checksum == encoded_checksum ||
                (input_checksum == 0xffff && encoded_checksum == 0));
}

static enum nd_status
parse_and_check_neighbor(const uint8_t *icmp, size_t len, uint8_t hop_limit, const uint8_t src[16],
                         const uint8_t dst[16])
{
    struct nd_neighbor got, want;
    uint8_t peek_type, peek_target[16];

    enum nd_status status = nd_parse_neighbor(icmp, len, hop_limit, src, dst, &got);
    FUZZ_ASSERT(status == reference_parse_neighbor(icmp, len, hop_limit, src, dst, &want));
    FUZZ_ASSERT(strcmp(nd_status_name(status), "unknown") != 0);

    bool peeked = nd_peek_neighbor(icmp, len, &peek_type, peek_target);
    FUZZ_ASSERT(peeked == (len >= ND_NEIGHBOR_FIXED_LEN &&
                           (icmp[0] == ND_NEIGHBOR_SOLICIT || icmp[0] == ND_NEIGHBOR_ADVERT)));
    if (peeked) {
        FUZZ_ASSERT(peek_type == icmp[0]);
        FUZZ_ASSERT(memcmp(peek_target, icmp + 8, 16) == 0);
    }
    if (status != ND_OK)
        return status;

    check_same_neighbor(&got, &want);
    check_neighbor_round_trip(icmp, len, &got, hop_limit, src, dst);
    return status;
}

static void
check_neighbor(const uint8_t *data, size_t size)
{
    if (size < NEIGHBOR_HEADERS_LEN)
        return;
    uint8_t hop_limit = data[0];
    const uint8_t *src = data + 1;
    const uint8_t *dst = data + 17;
    const uint8_t *icmp = data + NEIGHBOR_HEADERS_LEN;
    size_t len = size - NEIGHBOR_HEADERS_LEN;

    parse_and_check_neighbor(icmp, len, hop_limit, src, dst);

    /* Parse again with the checksum that makes the message verify. */
    uint8_t *fixed = malloc(len ? len : 1);
    FUZZ_ASSERT(fixed != NULL);
    memcpy(fixed, icmp, len);
    if (len >= 4) {
        put_u16(fixed + 2, 0);
        put_u16(fixed + 2, ip6_checksum(src, dst, IP6_NH_ICMPV6, fixed, len));
    }
    FUZZ_ASSERT(parse_and_check_neighbor(fixed, len, hop_limit, src, dst) != ND_BAD_CHECKSUM);
    free(fixed);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_ra(data, size);
    check_neighbor(data, size);
    return 0;
}
