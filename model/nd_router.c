/*
 * nd_router.c - the router side of Neighbor Discovery: Router
 * Advertisements with the Mobile IPv6 options (RFC 4861 §4.2, RFC 6275
 * §7.1-§7.4) and Router Solicitations (RFC 4861 §4.1, §6.1.1).
 */
#include <string.h>

#include "cursor.h"
#include "ipv6.h"
#include "nd.h"

#define OPT_SOURCE_LINK_ADDR 1 /* RFC 4861 §4.6.1 */
#define OPT_PREFIX_INFO 3      /* RFC 4861 §4.6.2 */
#define OPT_ADV_INTERVAL 7     /* RFC 6275 §7.3 */
#define OPT_HA_INFO 8          /* RFC 6275 §7.4 */

#define CHECKSUM_OFF 2
#define RA_CUR_HOP_LIMIT 64     /* AdvCurHopLimit: the IANA default hop limit (RFC 4861 §6.2.1) */
#define RA_FLAG_HOME_AGENT 0x20 /* H, RFC 6275 §7.1 */
#define PREFIX_FLAG_ON_LINK 0x80
#define PREFIX_FLAG_AUTONOMOUS 0x40
#define PREFIX_FLAG_ROUTER_ADDR 0x20 /* R, RFC 6275 §7.2 */

static const uint8_t unspecified[16];

static bool
is_link_local(const uint8_t addr[16])
{
    return addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80;
}

static bool
ra_fields_valid(const struct nd_ra *ra, const uint8_t src[16])
{
    /* RFC 4861 §4.2: a router sends advertisements from its link-local address. */
    if (!is_link_local(src) || ra->n_prefixes > ND_MAX_PREFIXES)
        return false;
    for (size_t i = 0; i < ra->n_prefixes; i++) {
        const struct nd_prefix *p = &ra->prefixes[i];
        /* RFC 4862 §5.5.3 c): a host ignores a prefix whose preferred
         * lifetime exceeds its valid lifetime. */
        if (p->prefix_len > 128 || p->preferred_lifetime_s > p->valid_lifetime_s)
            return false;
    }
    /* RFC 6275 §7.4: only a home agent sends the option, and its lifetime
     * must not be 0. */
    if (ra->has_ha_info && (!ra->home_agent || ra->ha_info.lifetime_s == 0))
        return false;
    return true;
}

static void
write_checksum(struct wr *w, size_t start, const uint8_t src[16], const uint8_t dst[16])
{
    uint8_t *icmp = w->buf + start;
    size_t len = w->pos - start;

    /* RFC 4443 §2.3: the checksum field is zero while the sum is taken. */
    put_u16(icmp + CHECKSUM_OFF, ip6_checksum(src, dst, IP6_NH_ICMPV6, icmp, len));
}

static void
write_link_addr(struct wr *w, const uint8_t link_addr[6])
{
    wr_u8(w, OPT_SOURCE_LINK_ADDR);
    wr_u8(w, ND_LINK_ADDR_OPTION_LEN / 8);
    wr_bytes(w, link_addr, 6);
}

enum nd_status
nd_encode_ra(struct wr *w, const struct nd_ra *ra, const uint8_t *link_addr, const uint8_t src[16],
             const uint8_t dst[16])
{
    size_t start = w->pos;

    if (!ra_fields_valid(ra, src))
        return ND_BAD_FIELD;

    wr_u8(w, ND_ROUTER_ADVERT);
    wr_u8(w, 0);  /* Code */
    wr_u16(w, 0); /* Checksum, filled below */
    wr_u8(w, RA_CUR_HOP_LIMIT);
    wr_u8(w, ra->home_agent ? RA_FLAG_HOME_AGENT : 0);
    wr_u16(w, ra->router_lifetime_s);
    wr_u32(w, 0); /* Reachable Time: unspecified */
    wr_u32(w, 0); /* Retrans Timer: unspecified */
    if (link_addr)
        write_link_addr(w, link_addr);
    for (size_t i = 0; i < ra->n_prefixes; i++) {
        const struct nd_prefix *p = &ra->prefixes[i];
        uint8_t flags = (p->on_link ? PREFIX_FLAG_ON_LINK : 0) |
                        (p->autonomous ? PREFIX_FLAG_AUTONOMOUS : 0) |
                        (p->router_addr ? PREFIX_FLAG_ROUTER_ADDR : 0);
        wr_u8(w, OPT_PREFIX_INFO);
        wr_u8(w, 4);
        wr_u8(w, p->prefix_len);
        wr_u8(w, flags);
        wr_u32(w, p->valid_lifetime_s);
        wr_u32(w, p->preferred_lifetime_s);
        wr_zeros(w, 4); /* Reserved2 */
        wr_bytes(w, p->prefix, 16);
    }
    if (ra->has_adv_interval) {
        wr_u8(w, OPT_ADV_INTERVAL);
        wr_u8(w, 1);
        wr_u16(w, 0); /* Reserved */
        wr_u32(w, ra->adv_interval_ms);
    }
    if (ra->has_ha_info) {
        wr_u8(w, OPT_HA_INFO);
        wr_u8(w, 1);
        wr_u16(w, 0); /* Reserved */
        wr_u16(w, (uint16_t)ra->ha_info.preference);
        wr_u16(w, ra->ha_info.lifetime_s);
    }
    if (!wr_ok(w))
        return ND_NO_SPACE;
    write_checksum(w, start, src, dst);
    return ND_OK;
}

enum nd_status
nd_encode_rs(struct wr *w, const struct nd_rs *rs, const uint8_t src[16], const uint8_t dst[16])
{
    size_t start = w->pos;

    /* RFC 4861 §4.1: no link-layer address option from the unspecified address. */
    if (rs->has_link_addr && memcmp(src, unspecified, 16) == 0)
        return ND_BAD_FIELD;
    wr_u8(w, ND_ROUTER_SOLICIT);
    wr_u8(w, 0);  /* Code */
    wr_u16(w, 0); /* Checksum, filled below */
    wr_u32(w, 0); /* Reserved */
    if (rs->has_link_addr)
        write_link_addr(w, rs->link_addr);
    if (!wr_ok(w))
        return ND_NO_SPACE;
    write_checksum(w, start, src, dst);
    return ND_OK;
}

enum nd_status
nd_parse_rs(const uint8_t *icmp, size_t len, uint8_t hop_limit, const uint8_t src[16],
            const uint8_t dst[16], struct nd_rs *out)
{
    struct rd r = rd_init(icmp, len);
    uint8_t type, code;
    bool any_link_addr = false; /* a Source Link-Layer Address option of any Length */

    memset(out, 0, sizeof *out);
    type = rd_u8(&r);
    code = rd_u8(&r);
    rd_skip(&r, 2); /* Checksum */
    rd_skip(&r, 4); /* Reserved */
    if (!rd_ok(&r))
        return ND_TRUNCATED;
    if (type != ND_ROUTER_SOLICIT)
        return ND_NOT_RS;

    /* RFC 4861 §6.1.1, in order. */
    if (hop_limit != ND_HOP_LIMIT)
        return ND_BAD_HOP_LIMIT;
    if (ip6_checksum(src, dst, IP6_NH_ICMPV6, icmp, len) != 0)
        return ND_BAD_CHECKSUM;
    if (code != 0)
        return ND_BAD_CODE;
    while (rd_left(&r) > 0) {
        uint8_t opt_type = rd_u8(&r);
        uint8_t opt_len = rd_u8(&r); /* in units of 8 octets, Type and Length included */
        if (!rd_ok(&r))
            return ND_TRUNCATED;
        if (opt_len == 0)
            return ND_BAD_OPTION;
        struct rd opt = rd_sub(&r, (size_t)opt_len * 8 - 2);
        if (!rd_ok(&r))
            return ND_BAD_OPTION;
        if (opt_type == OPT_SOURCE_LINK_ADDR)
            any_link_addr = true;
        if (opt_type == OPT_SOURCE_LINK_ADDR && opt_len == ND_LINK_ADDR_OPTION_LEN / 8 &&
            !out->has_link_addr) {
            rd_bytes(&opt, out->link_addr, 6);
            out->has_link_addr = true;
        }
    }
    /* RFC 4861 §6.1.1: a solicitation from the unspecified address has no
     * Source Link-Layer Address option of any Length. */
    if (any_link_addr && memcmp(src, unspecified, 16) == 0)
        return ND_BAD_UNSPECIFIED;
    return ND_OK;
}
