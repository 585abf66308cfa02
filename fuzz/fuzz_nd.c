/*
 * fuzz_nd.c - nd_parse_ra against a naive reference parser.
 *
 * Input: the IPv6 hop limit (1 byte), the IPv6 source address (16
 * bytes), then the ICMPv6 message.
 *
 * Oracle: nd_parse_ra returns the same status as the reference below,
 * which indexes the buffer directly instead of using the cursor.  On
 * ND_OK both agree on the router lifetime, the H flag, the Advertisement
 * Interval, the Home Agent Information option and every Prefix
 * Information option kept.
 */
#include <stdbool.h>
#include <string.h>

#include "cursor.h"
#include "fuzz.h"
#include "nd.h"

#define RA_FIXED_LEN 16     /* RFC 4861 §4.2: type to retransmission timer */
#define PREFIX_INFO_TYPE 3  /* RFC 4861 §4.6.2 */
#define ADV_INTERVAL_TYPE 7 /* RFC 6275 §7.3 */
#define HA_INFO_TYPE 8      /* RFC 6275 §7.4 */

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 + 16)
        return 0;
    uint8_t hop_limit = data[0];
    const uint8_t *src = data + 1;
    const uint8_t *icmp = data + 17;
    size_t len = size - 17;
    struct nd_ra got, want;

    enum nd_status status = nd_parse_ra(icmp, len, hop_limit, src, &got);
    FUZZ_ASSERT(status == reference_parse(icmp, len, hop_limit, src, &want));
    FUZZ_ASSERT(strcmp(nd_status_name(status), "unknown") != 0);
    if (status != ND_OK)
        return 0;

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
    return 0;
}
