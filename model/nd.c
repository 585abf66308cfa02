/*
 * nd.c - Router Advertisement parsing for movement detection.
 */
#include "nd.h"

#include <string.h>

#include "cursor.h"

#define OPT_PREFIX_INFO 3  /* RFC 4861 §4.6.2 */
#define OPT_ADV_INTERVAL 7 /* RFC 6275 §7.3 */
#define OPT_HA_INFO 8      /* RFC 6275 §7.4 */

static void
parse_prefix(struct rd *opt, struct nd_ra *out)
{
    struct nd_prefix p;
    uint8_t flags;

    p.prefix_len = rd_u8(opt);
    flags = rd_u8(opt);
    p.on_link = flags & 0x80;
    p.autonomous = flags & 0x40;
    p.router_addr = flags & 0x20;
    p.valid_lifetime_s = rd_u32(opt);
    p.preferred_lifetime_s = rd_u32(opt);
    rd_skip(opt, 4); /* reserved */
    rd_bytes(opt, p.prefix, 16);
    if (rd_ok(opt) && p.prefix_len <= 128 && out->n_prefixes < ND_MAX_PREFIXES)
        out->prefixes[out->n_prefixes++] = p;
}

/* Read the 6 bytes after Type and Length of a Home Agent Information option. */
static void
parse_ha_info(struct rd *opt, struct nd_ra *out)
{
    struct nd_ha_info info;

    rd_skip(opt, 2); /* Reserved */
    info.preference = (int16_t)rd_u16(opt);
    info.lifetime_s = rd_u16(opt);
    if (!rd_ok(opt))
        return;

    /* RFC 6275 §7.4: a Home Agent Lifetime of 0 is not allowed. */
    if (info.lifetime_s == 0) {
        out->ha_info_invalid = true;
        return;
    }
    if (!out->has_ha_info) {
        out->ha_info = info;
        out->has_ha_info = true;
    }
}

enum nd_status
nd_parse_ra(const uint8_t *icmp, size_t len, uint8_t hop_limit, const uint8_t src[16],
            struct nd_ra *out)
{
    struct rd r = rd_init(icmp, len);
    uint8_t type, code, flags;

    memset(out, 0, sizeof *out);
    type = rd_u8(&r);
    code = rd_u8(&r);
    rd_skip(&r, 2); /* checksum */
    rd_skip(&r, 1); /* current hop limit */
    flags = rd_u8(&r);
    out->router_lifetime_s = rd_u16(&r);
    rd_skip(&r, 8); /* reachable time, retransmission timer */
    if (!rd_ok(&r))
        return ND_TRUNCATED;
    if (type != ND_ROUTER_ADVERT)
        return ND_NOT_RA;

    /* RFC 4861 §6.1.2: hop limit 255, link-local source, code 0. */
    if (hop_limit != 255)
        return ND_BAD_HOP_LIMIT;
    if (!(src[0] == 0xfe && (src[1] & 0xc0) == 0x80))
        return ND_BAD_SOURCE;
    if (code != 0)
        return ND_BAD_CODE;
    out->home_agent = flags & 0x20;

    while (rd_left(&r) > 0) {
        uint8_t opt_type = rd_u8(&r);
        uint8_t opt_len = rd_u8(&r); /* in units of 8 octets, type and length included */
        if (!rd_ok(&r))
            return ND_TRUNCATED;
        if (opt_len == 0) /* RFC 4861 §4.6: a zero length MUST make the receiver discard */
            return ND_BAD_OPTION;
        struct rd opt = rd_sub(&r, (size_t)opt_len * 8 - 2);
        if (!rd_ok(&r))
            return ND_BAD_OPTION;

        if (opt_type == OPT_PREFIX_INFO && opt_len == 4) {
            parse_prefix(&opt, out);
        } else if (opt_type == OPT_ADV_INTERVAL && opt_len == 1) {
            rd_skip(&opt, 2);
            out->adv_interval_ms = rd_u32(&opt);
            out->has_adv_interval = rd_ok(&opt);
        } else if (opt_type == OPT_HA_INFO && opt_len == 1 && out->home_agent) {
            parse_ha_info(&opt, out);
        }
    }
    return ND_OK;
}

const char *
nd_status_name(enum nd_status s)
{
    switch (s) {
    case ND_OK:
        return "ok";
    case ND_TRUNCATED:
        return "truncated";
    case ND_NOT_RA:
        return "not a router advertisement";
    case ND_BAD_CODE:
        return "code not 0";
    case ND_BAD_OPTION:
        return "invalid option length";
    case ND_BAD_HOP_LIMIT:
        return "hop limit not 255";
    case ND_BAD_SOURCE:
        return "source not link-local";
    }
    return "unknown";
}
