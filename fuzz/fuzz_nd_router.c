/*
 * fuzz_nd_router.c - the router side of Neighbor Discovery: nd_parse_rs
 * against a naive reference parser, and nd_encode_rs and nd_encode_ra
 * from structured inputs, checked by parsing their output back.
 *
 * The first input byte modulo 3 selects the check (enum
 * fuzz_nd_router_mode in fuzz.h), and the rest is its input:
 *
 *   0  parse a Router Solicitation: the IPv6 hop limit (1 byte), source
 *      and destination addresses (16 bytes each), then the ICMPv6
 *      message.
 *   1  encode a Router Advertisement from the fields that ra_input reads.
 *   2  encode a Router Solicitation from the fields that check_encode_rs
 *      reads.
 *
 * Oracle for nd_parse_rs: it returns the same status as the reference
 * below, which indexes the buffer directly and follows RFC 4861 §6.1.1,
 * and on ND_OK the same link-layer address.  The message is parsed as
 * given and with its checksum recomputed, because random bytes almost
 * never carry a valid checksum.  A parsed message encodes with
 * nd_encode_rs and parses back to the same fields, and when the input is
 * already in the encoder's form the encoding equals it byte for byte.
 *
 * Oracle for the encoders: ND_BAD_FIELD exactly when the input breaks a
 * rule that nd.h lists, and then the buffer and the cursor are unchanged.
 * Otherwise ND_NO_SPACE exactly when the message does not fit, and
 * nothing is written past the buffer's capacity.  On ND_OK the message
 * has the length and the fixed bytes that nd.h documents, its ICMPv6
 * checksum verifies, and nd_parse_ra or nd_parse_rs returns ND_OK with the
 * same fields.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "fuzz.h"
#include "ipv6.h"
#include "nd.h"

#define SOURCE_LINK_ADDR_TYPE 1 /* RFC 4861 §4.6.1 */
#define PREFIX_INFO_TYPE 3      /* RFC 4861 §4.6.2 */
#define ADV_INTERVAL_TYPE 7     /* RFC 6275 §7.3 */
#define HA_INFO_TYPE 8          /* RFC 6275 §7.4 */
#define ICMPV6_NEXT_HEADER 58

#define RS_FIXED_LEN 8      /* RFC 4861 §4.1: Type to the end of Reserved */
#define RA_FIXED_LEN 16     /* RFC 4861 §4.2: Type to the end of Retrans Timer */
#define PREFIX_INFO_LEN 32  /* RFC 4861 §4.6.2 */
#define MIP6_OPTION_LEN 8   /* both options of RFC 6275 §7.3 and §7.4 */
#define RA_CUR_HOP_LIMIT 64 /* Cur Hop Limit of nd_encode_ra (nd.h) */
#define RA_FLAG_HOME_AGENT 0x20

#define RS_HEADERS_LEN (1 + 16 + 16) /* hop limit, source and destination */

/* The encoders write at an offset of up to MAX_START into a buffer with
 * GUARD_LEN more bytes than the capacity they are given. */
#define MAX_START 8
#define GUARD_LEN 16
#define FILL 0xa5

static const uint8_t unspecified[16];

static bool
is_unspecified(const uint8_t addr[16])
{
    return memcmp(addr, unspecified, 16) == 0;
}

static bool
is_link_local(const uint8_t addr[16])
{
    return addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80;
}

static uint32_t
be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
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

/* ----- nd_parse_rs against the reference ----- */

/* Validate a Router Solicitation with the checks of RFC 4861 §6.1.1, in
 * the order that nd.h documents.  Like the parser, keep the first Source
 * Link-Layer Address option of Length 1.  From the unspecified address
 * any Source Link-Layer Address option makes the message invalid,
 * whatever its Length. */
static enum nd_status
reference_parse_rs(const uint8_t *icmp, size_t len, uint8_t hop_limit, const uint8_t src[16],
                   const uint8_t dst[16], struct nd_rs *out)
{
    bool any_link_addr = false;

    memset(out, 0, sizeof *out);
    if (len < RS_FIXED_LEN)
        return ND_TRUNCATED;
    if (icmp[0] != ND_ROUTER_SOLICIT)
        return ND_NOT_RS;
    if (hop_limit != ND_HOP_LIMIT)
        return ND_BAD_HOP_LIMIT;
    if (reference_checksum(src, dst, icmp, len) != 0)
        return ND_BAD_CHECKSUM;
    if (icmp[1] != 0)
        return ND_BAD_CODE;

    size_t at = RS_FIXED_LEN;
    while (at < len) {
        if (len - at < 2)
            return ND_TRUNCATED;
        size_t opt_len = (size_t)icmp[at + 1] * 8;
        if (opt_len == 0 || opt_len > len - at)
            return ND_BAD_OPTION;
        if (icmp[at] == SOURCE_LINK_ADDR_TYPE) {
            any_link_addr = true;
            if (opt_len == ND_LINK_ADDR_OPTION_LEN && !out->has_link_addr) {
                memcpy(out->link_addr, icmp + at + 2, 6);
                out->has_link_addr = true;
            }
        }
        at += opt_len;
    }
    if (any_link_addr && is_unspecified(src))
        return ND_BAD_UNSPECIFIED;
    return ND_OK;
}

static void
check_same_rs(const struct nd_rs *a, const struct nd_rs *b)
{
    FUZZ_ASSERT(a->has_link_addr == b->has_link_addr);
    if (a->has_link_addr)
        FUZZ_ASSERT(memcmp(a->link_addr, b->link_addr, 6) == 0);
}

/* Whether nd_encode_rs writes exactly these bytes for msg, apart from the
 * checksum: Reserved is 0 and the only option is the one that msg holds. */
static bool
is_rs_encoder_form(const uint8_t *icmp, size_t len, const struct nd_rs *msg)
{
    static const uint8_t reserved_zero[4];

    if (memcmp(icmp + 4, reserved_zero, 4) != 0)
        return false;
    if (!msg->has_link_addr)
        return len == RS_FIXED_LEN;
    return len == ND_RS_MAX_LEN && icmp[RS_FIXED_LEN] == SOURCE_LINK_ADDR_TYPE &&
           icmp[RS_FIXED_LEN + 1] == ND_LINK_ADDR_OPTION_LEN / 8;
}

/* Encode a parsed message, parse the encoding and compare. */
static void
check_rs_round_trip(const uint8_t *icmp, size_t len, const struct nd_rs *msg, const uint8_t src[16],
                    const uint8_t dst[16])
{
    uint8_t buf[ND_RS_MAX_LEN];
    struct wr w = wr_init(buf, sizeof buf);
    struct nd_rs again;

    FUZZ_ASSERT(nd_encode_rs(&w, msg, src, dst) == ND_OK);
    FUZZ_ASSERT(w.pos == RS_FIXED_LEN + (msg->has_link_addr ? ND_LINK_ADDR_OPTION_LEN : 0));
    FUZZ_ASSERT(nd_parse_rs(buf, w.pos, ND_HOP_LIMIT, src, dst, &again) == ND_OK);
    check_same_rs(msg, &again);

    if (!is_rs_encoder_form(icmp, len, msg))
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
parse_and_check_rs(const uint8_t *icmp, size_t len, uint8_t hop_limit, const uint8_t src[16],
                   const uint8_t dst[16])
{
    struct nd_rs got, want;

    enum nd_status status = nd_parse_rs(icmp, len, hop_limit, src, dst, &got);
    FUZZ_ASSERT(status == reference_parse_rs(icmp, len, hop_limit, src, dst, &want));
    FUZZ_ASSERT(strcmp(nd_status_name(status), "unknown") != 0);
    if (status != ND_OK)
        return status;

    check_same_rs(&got, &want);
    check_rs_round_trip(icmp, len, &got, src, dst);
    return status;
}

static void
check_parse_rs(const uint8_t *data, size_t size)
{
    if (size < RS_HEADERS_LEN)
        return;
    uint8_t hop_limit = data[0];
    const uint8_t *src = data + 1;
    const uint8_t *dst = data + 17;
    const uint8_t *icmp = data + RS_HEADERS_LEN;
    size_t len = size - RS_HEADERS_LEN;

    parse_and_check_rs(icmp, len, hop_limit, src, dst);

    /* Parse again with the checksum that makes the message verify. */
    uint8_t *fixed = malloc(len ? len : 1);
    FUZZ_ASSERT(fixed != NULL);
    memcpy(fixed, icmp, len);
    if (len >= 4) {
        put_u16(fixed + 2, 0);
        put_u16(fixed + 2, ip6_checksum(src, dst, IP6_NH_ICMPV6, fixed, len));
    }
    FUZZ_ASSERT(parse_and_check_rs(fixed, len, hop_limit, src, dst) != ND_BAD_CHECKSUM);
    free(fixed);
}

/* ----- the encoders' output buffer ----- */

/* A buffer filled with FILL, and a writer that starts at offset start and
 * may write up to start + room. */
struct out_buf {
    uint8_t bytes[MAX_START + ND_RA_MAX_LEN + GUARD_LEN];
    size_t start;
    size_t cap;
    struct wr w;
};

static void
out_buf_init(struct out_buf *out, struct rd *in, size_t max_room)
{
    size_t start = rd_u8(in) % MAX_START;
    size_t room = rd_u8(in);

    /* Bytes above max_room all give the full buffer, so that more inputs
     * reach the encoder's success path. */
    if (room > max_room)
        room = max_room;
    memset(out->bytes, FILL, sizeof out->bytes);
    out->start = start;
    out->cap = start + room;
    out->w = wr_init(out->bytes, out->cap);
    out->w.pos = start;
}

/* Whether bytes[from..to) still hold FILL. */
static bool
is_untouched(const struct out_buf *out, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        if (out->bytes[i] != FILL)
            return false;
    }
    return true;
}

/* Check the outcome that every encoder call shares, given whether the
 * input breaks a rule and how long the message is.  Returns true when the
 * encoder wrote a message at out->start. */
static bool
check_encode_status(const struct out_buf *out, enum nd_status status, bool breaks_rule,
                    size_t want_len)
{
    FUZZ_ASSERT(is_untouched(out, 0, out->start));
    FUZZ_ASSERT(is_untouched(out, out->cap, sizeof out->bytes));
    if (breaks_rule) {
        FUZZ_ASSERT(status == ND_BAD_FIELD);
        FUZZ_ASSERT(out->w.pos == out->start);
        FUZZ_ASSERT(wr_ok(&out->w));
        FUZZ_ASSERT(is_untouched(out, 0, sizeof out->bytes));
        return false;
    }
    if (out->cap - out->start < want_len) {
        FUZZ_ASSERT(status == ND_NO_SPACE);
        FUZZ_ASSERT(!wr_ok(&out->w));
        return false;
    }
    FUZZ_ASSERT(status == ND_OK);
    FUZZ_ASSERT(wr_ok(&out->w));
    FUZZ_ASSERT(out->w.pos == out->start + want_len);
    FUZZ_ASSERT(is_untouched(out, out->w.pos, sizeof out->bytes));
    return true;
}

/* ----- nd_encode_ra from structured input ----- */

struct ra_input {
    struct nd_ra ra;
    size_t n_prefixes; /* may exceed ND_MAX_PREFIXES; ra.n_prefixes is the same */
    bool has_link_addr;
    uint8_t link_addr[6];
    uint8_t src[16];
    uint8_t dst[16];
};

static void
read_prefix(struct rd *in, bool clamp, struct nd_prefix *p)
{
    uint8_t flags;

    p->prefix_len = rd_u8(in);
    flags = rd_u8(in);
    p->on_link = flags & 0x01;
    p->autonomous = flags & 0x02;
    p->router_addr = flags & 0x04;
    p->valid_lifetime_s = rd_u32(in);
    p->preferred_lifetime_s = rd_u32(in);
    rd_bytes(in, p->prefix, 16);
    if (clamp) {
        p->prefix_len %= 129;
        if (p->preferred_lifetime_s > p->valid_lifetime_s)
            p->preferred_lifetime_s = p->valid_lifetime_s;
    }
}

/*
 * Read, in this order: a control byte (enum fuzz_ra_control), the prefix
 * count modulo ND_MAX_PREFIXES + 3, Router Lifetime (2 bytes),
 * Advertisement Interval (4), Home Agent Preference (2), Home Agent
 * Lifetime (2), the source, destination and link-layer addresses (16, 16
 * and 6 bytes), then for each prefix that fits struct nd_ra its length,
 * flags (1 byte each), valid and preferred lifetimes (4 bytes each) and
 * the 16-byte prefix.  Missing bytes read as 0.
 */
static void
ra_input(struct rd *in, struct ra_input *out)
{
    memset(out, 0, sizeof *out);
    uint8_t control = rd_u8(in);
    out->n_prefixes = rd_u8(in) % (ND_MAX_PREFIXES + 3);
    out->ra.n_prefixes = out->n_prefixes;
    out->ra.home_agent = control & FUZZ_RA_HOME_AGENT;
    out->ra.has_adv_interval = control & FUZZ_RA_ADV_INTERVAL;
    out->ra.has_ha_info = control & FUZZ_RA_HA_INFO;
    out->ra.ha_info_invalid = control & FUZZ_RA_HA_INFO_INVALID;
    out->has_link_addr = control & FUZZ_RA_LINK_ADDR;
    out->ra.router_lifetime_s = rd_u16(in);
    out->ra.adv_interval_ms = rd_u32(in);
    out->ra.ha_info.preference = (int16_t)rd_u16(in);
    out->ra.ha_info.lifetime_s = rd_u16(in);
    rd_bytes(in, out->src, 16);
    rd_bytes(in, out->dst, 16);
    rd_bytes(in, out->link_addr, 6);
    if (control & FUZZ_RA_SOURCE_LINK_LOCAL) {
        out->src[0] = 0xfe;
        out->src[1] = 0x80;
    }
    for (size_t i = 0; i < out->n_prefixes && i < ND_MAX_PREFIXES; i++)
        read_prefix(in, control & FUZZ_RA_PREFIXES_VALID, &out->ra.prefixes[i]);
}

/* Whether the input breaks one of the rules that nd.h lists for nd_encode_ra. */
static bool
ra_breaks_rule(const struct ra_input *in)
{
    const struct nd_ra *ra = &in->ra;

    if (!is_link_local(in->src) || in->n_prefixes > ND_MAX_PREFIXES)
        return true;
    if (ra->has_ha_info && (!ra->home_agent || ra->ha_info.lifetime_s == 0))
        return true;
    for (size_t i = 0; i < in->n_prefixes; i++) {
        const struct nd_prefix *p = &ra->prefixes[i];
        if (p->prefix_len > 128 || p->preferred_lifetime_s > p->valid_lifetime_s)
            return true;
    }
    return false;
}

static size_t
ra_length(const struct ra_input *in)
{
    return RA_FIXED_LEN + (in->has_link_addr ? ND_LINK_ADDR_OPTION_LEN : 0) +
           PREFIX_INFO_LEN * in->n_prefixes + (in->ra.has_adv_interval ? MIP6_OPTION_LEN : 0) +
           (in->ra.has_ha_info ? MIP6_OPTION_LEN : 0);
}

/* Check the bytes that nd_parse_ra skips or does not return: the fixed
 * fields, each option's Type, Length and Reserved fields, and the
 * link-layer address. */
static void
check_ra_bytes(const uint8_t *msg, size_t len, const struct ra_input *in)
{
    static const uint8_t zeros[8];
    size_t at = RA_FIXED_LEN;

    FUZZ_ASSERT(msg[0] == ND_ROUTER_ADVERT);
    FUZZ_ASSERT(msg[1] == 0);
    FUZZ_ASSERT(msg[4] == RA_CUR_HOP_LIMIT);
    FUZZ_ASSERT(msg[5] == (in->ra.home_agent ? RA_FLAG_HOME_AGENT : 0));
    FUZZ_ASSERT(get_u16(msg + 6) == in->ra.router_lifetime_s);
    FUZZ_ASSERT(memcmp(msg + 8, zeros, 8) == 0);
    if (in->has_link_addr) {
        FUZZ_ASSERT(msg[at] == SOURCE_LINK_ADDR_TYPE);
        FUZZ_ASSERT(msg[at + 1] == ND_LINK_ADDR_OPTION_LEN / 8);
        FUZZ_ASSERT(memcmp(msg + at + 2, in->link_addr, 6) == 0);
        at += ND_LINK_ADDR_OPTION_LEN;
    }
    for (size_t i = 0; i < in->n_prefixes; i++) {
        FUZZ_ASSERT(msg[at] == PREFIX_INFO_TYPE);
        FUZZ_ASSERT(msg[at + 1] == PREFIX_INFO_LEN / 8);
        FUZZ_ASSERT((msg[at + 3] & 0x1f) == 0); /* Reserved1 */
        FUZZ_ASSERT(memcmp(msg + at + 12, zeros, 4) == 0);
        at += PREFIX_INFO_LEN;
    }
    if (in->ra.has_adv_interval) {
        FUZZ_ASSERT(msg[at] == ADV_INTERVAL_TYPE);
        FUZZ_ASSERT(msg[at + 1] == MIP6_OPTION_LEN / 8);
        FUZZ_ASSERT(memcmp(msg + at + 2, zeros, 2) == 0);
        FUZZ_ASSERT(be32(msg + at + 4) == in->ra.adv_interval_ms);
        at += MIP6_OPTION_LEN;
    }
    if (in->ra.has_ha_info) {
        FUZZ_ASSERT(msg[at] == HA_INFO_TYPE);
        FUZZ_ASSERT(msg[at + 1] == MIP6_OPTION_LEN / 8);
        FUZZ_ASSERT(memcmp(msg + at + 2, zeros, 2) == 0);
        at += MIP6_OPTION_LEN;
    }
    FUZZ_ASSERT(at == len);
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

/* Parse an encoded RA as a host would and compare with what was encoded. */
static void
check_ra_parses_back(const uint8_t *msg, size_t len, const struct ra_input *in)
{
    const struct nd_ra *want = &in->ra;
    struct nd_ra got;

    FUZZ_ASSERT(nd_parse_ra(msg, len, ND_HOP_LIMIT, in->src, &got) == ND_OK);
    FUZZ_ASSERT(got.router_lifetime_s == want->router_lifetime_s);
    FUZZ_ASSERT(got.home_agent == want->home_agent);
    FUZZ_ASSERT(got.has_adv_interval == want->has_adv_interval);
    if (got.has_adv_interval)
        FUZZ_ASSERT(got.adv_interval_ms == want->adv_interval_ms);
    FUZZ_ASSERT(got.has_ha_info == want->has_ha_info);
    if (got.has_ha_info) {
        FUZZ_ASSERT(got.ha_info.preference == want->ha_info.preference);
        FUZZ_ASSERT(got.ha_info.lifetime_s == want->ha_info.lifetime_s);
    }
    FUZZ_ASSERT(!got.ha_info_invalid);
    FUZZ_ASSERT(got.n_prefixes == want->n_prefixes);
    for (size_t i = 0; i < got.n_prefixes; i++)
        check_same_prefix(&got.prefixes[i], &want->prefixes[i]);
}

static void
check_encode_ra(const uint8_t *data, size_t size)
{
    struct rd in = rd_init(data, size);
    struct ra_input ra;
    struct out_buf out;

    ra_input(&in, &ra);
    out_buf_init(&out, &in, ND_RA_MAX_LEN);

    enum nd_status status =
        nd_encode_ra(&out.w, &ra.ra, ra.has_link_addr ? ra.link_addr : NULL, ra.src, ra.dst);
    size_t len = ra_length(&ra);
    if (!check_encode_status(&out, status, ra_breaks_rule(&ra), len))
        return;

    const uint8_t *msg = out.bytes + out.start;
    FUZZ_ASSERT(reference_checksum(ra.src, ra.dst, msg, len) == 0);
    check_ra_bytes(msg, len, &ra);
    check_ra_parses_back(msg, len, &ra);
}

/* ----- nd_encode_rs from structured input ----- */

/*
 * Read a control byte (enum fuzz_rs_control), the source, destination and
 * link-layer addresses (16, 16 and 6 bytes), then the output buffer as
 * out_buf_init reads it.  Encode, check and parse back.
 */
static void
check_encode_rs(const uint8_t *data, size_t size)
{
    struct rd in = rd_init(data, size);
    struct nd_rs rs, again;
    uint8_t src[16], dst[16];
    struct out_buf out;

    memset(&rs, 0, sizeof rs);
    uint8_t control = rd_u8(&in);
    rs.has_link_addr = control & FUZZ_RS_LINK_ADDR;
    rd_bytes(&in, src, 16);
    rd_bytes(&in, dst, 16);
    rd_bytes(&in, rs.link_addr, 6);
    if (control & FUZZ_RS_SOURCE_UNSPECIFIED)
        memset(src, 0, 16);
    /* Room beyond the longest RS shows that the encoder stops at its end. */
    out_buf_init(&out, &in, ND_RS_MAX_LEN + GUARD_LEN / 2);

    enum nd_status status = nd_encode_rs(&out.w, &rs, src, dst);
    /* RFC 4861 §4.1: no link-layer address option from the unspecified address. */
    bool breaks_rule = rs.has_link_addr && is_unspecified(src);
    size_t len = RS_FIXED_LEN + (rs.has_link_addr ? ND_LINK_ADDR_OPTION_LEN : 0);
    if (!check_encode_status(&out, status, breaks_rule, len))
        return;

    const uint8_t *msg = out.bytes + out.start;
    static const uint8_t zeros[4];
    FUZZ_ASSERT(reference_checksum(src, dst, msg, len) == 0);
    FUZZ_ASSERT(msg[0] == ND_ROUTER_SOLICIT);
    FUZZ_ASSERT(msg[1] == 0);
    FUZZ_ASSERT(memcmp(msg + 4, zeros, 4) == 0);
    FUZZ_ASSERT(nd_parse_rs(msg, len, ND_HOP_LIMIT, src, dst, &again) == ND_OK);
    check_same_rs(&rs, &again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    switch (data[0] % FUZZ_ND_ROUTER_MODES) {
    case FUZZ_ND_ROUTER_PARSE_RS:
        check_parse_rs(data + 1, size - 1);
        break;
    case FUZZ_ND_ROUTER_ENCODE_RA:
        check_encode_ra(data + 1, size - 1);
        break;
    case FUZZ_ND_ROUTER_ENCODE_RS:
        check_encode_rs(data + 1, size - 1);
        break;
    }
    return 0;
}
