/*
 * nd.c - Neighbor Discovery messages: Router Advertisement parsing for
 * movement detection, Neighbor Solicitation and Advertisement encoding and
 * parsing for duplicate address detection and proxy Neighbor Discovery.
 */
#include "nd.h"

#include <string.h>

#include "cursor.h"
#include "ipv6.h"

#define OPT_SOURCE_LINK_ADDR 1 /* RFC 4861 §4.6.1 */
#define OPT_TARGET_LINK_ADDR 2 /* RFC 4861 §4.6.1 */
#define OPT_PREFIX_INFO 3      /* RFC 4861 §4.6.2 */
#define OPT_ADV_INTERVAL 7     /* RFC 6275 §7.3 */
#define OPT_HA_INFO 8          /* RFC 6275 §7.4 */

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

/* ----- Neighbor Solicitation and Advertisement ----- */

#define NEIGHBOR_CHECKSUM_OFF 2
#define NEIGHBOR_TARGET_OFF 8
#define NA_FLAGS (ND_NA_FLAG_ROUTER | ND_NA_FLAG_SOLICITED | ND_NA_FLAG_OVERRIDE)

static const uint8_t unspecified[16];

static bool
is_multicast(const uint8_t addr[16])
{
    return addr[0] == 0xff;
}

static bool
is_solicited_node(const uint8_t addr[16])
{
    uint8_t rebuilt[16];

    nd_solicited_node(rebuilt, addr);
    return memcmp(rebuilt, addr, 16) == 0;
}

void
nd_solicited_node(uint8_t out[16], const uint8_t addr[16])
{
    static const uint8_t prefix[13] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};

    memcpy(out, prefix, sizeof prefix);
    memcpy(out + 13, addr + 13, 3);
}

static bool
neighbor_fields_valid(const struct nd_neighbor *msg, const uint8_t src[16])
{
    if (msg->type == ND_NEIGHBOR_SOLICIT)
        return msg->flags == 0 && !(msg->has_link_addr && memcmp(src, unspecified, 16) == 0);
    return msg->type == ND_NEIGHBOR_ADVERT && (msg->flags & ~NA_FLAGS) == 0;
}

enum nd_status
nd_encode_neighbor(struct wr *w, const struct nd_neighbor *msg, const uint8_t src[16],
                   const uint8_t dst[16])
{
    size_t start = w->pos;

    if (!neighbor_fields_valid(msg, src) || is_multicast(msg->target))
        return ND_BAD_FIELD;

    wr_u8(w, msg->type);
    wr_u8(w, 0);  /* Code */
    wr_u16(w, 0); /* Checksum, filled below */
    wr_u8(w, msg->flags);
    wr_zeros(w, 3); /* Reserved */
    wr_bytes(w, msg->target, 16);
    if (msg->has_link_addr) {
        wr_u8(w, msg->type == ND_NEIGHBOR_SOLICIT ? OPT_SOURCE_LINK_ADDR : OPT_TARGET_LINK_ADDR);
        wr_u8(w, ND_LINK_ADDR_OPTION_LEN / 8);
        wr_bytes(w, msg->link_addr, 6);
    }
    if (!wr_ok(w))
        return ND_NO_SPACE;

    /* RFC 4443 §2.3: the checksum field is zero while the sum is taken. */
    uint8_t *icmp = w->buf + start;
    size_t len = w->pos - start;
    put_u16(icmp + NEIGHBOR_CHECKSUM_OFF, ip6_checksum(src, dst, IP6_NH_ICMPV6, icmp, len));
    return ND_OK;
}

bool
nd_peek_neighbor(const uint8_t *icmp, size_t len, uint8_t *type, uint8_t target[16])
{
    if (len < ND_NEIGHBOR_FIXED_LEN ||
        (icmp[0] != ND_NEIGHBOR_SOLICIT && icmp[0] != ND_NEIGHBOR_ADVERT))
        return false;
    *type = icmp[0];
    memcpy(target, icmp + NEIGHBOR_TARGET_OFF, 16);
    return true;
}

/* Walk the options after the fixed part; RFC 4861 §7.1.1 and §7.1.2 make
 * a zero Length invalid and leave options of other types to be skipped. */
static enum nd_status
parse_neighbor_options(struct rd *r, struct nd_neighbor *out)
{
    uint8_t wanted = out->type == ND_NEIGHBOR_SOLICIT ? OPT_SOURCE_LINK_ADDR : OPT_TARGET_LINK_ADDR;

    while (rd_left(r) > 0) {
        uint8_t opt_type = rd_u8(r);
        uint8_t opt_len = rd_u8(r); /* in units of 8 octets, Type and Length included */
        if (!rd_ok(r))
            return ND_TRUNCATED;
        if (opt_len == 0)
            return ND_BAD_OPTION;
        struct rd opt = rd_sub(r, (size_t)opt_len * 8 - 2);
        if (!rd_ok(r))
            return ND_BAD_OPTION;

        if (opt_type == wanted && opt_len == ND_LINK_ADDR_OPTION_LEN / 8 && !out->has_link_addr) {
            rd_bytes(&opt, out->link_addr, 6);
            out->has_link_addr = true;
        }
    }
    return ND_OK;
}

enum nd_status
nd_parse_neighbor(const uint8_t *icmp, size_t len, uint8_t hop_limit, const uint8_t src[16],
                  const uint8_t dst[16], struct nd_neighbor *out)
{
    struct rd r = rd_init(icmp, len);
    uint8_t code;

    memset(out, 0, sizeof *out);
    out->type = rd_u8(&r);
    code = rd_u8(&r);
    rd_skip(&r, 2); /* Checksum */
    out->flags = rd_u8(&r);
    rd_skip(&r, 3); /* Reserved */
    rd_bytes(&r, out->target, 16);
    if (!rd_ok(&r))
        return ND_TRUNCATED;
    if (out->type != ND_NEIGHBOR_SOLICIT && out->type != ND_NEIGHBOR_ADVERT)
        return ND_NOT_NEIGHBOR;
    if (out->type == ND_NEIGHBOR_SOLICIT)
        out->flags = 0; /* Reserved in a Solicitation */
    else
        out->flags &= NA_FLAGS;

    /* RFC 4861 §7.1.1 and §7.1.2, in order: hop limit 255, a valid
     * checksum, code 0, a target that is not multicast, options with a
     * non-zero Length. */
    if (hop_limit != ND_HOP_LIMIT)
        return ND_BAD_HOP_LIMIT;
    if (ip6_checksum(src, dst, IP6_NH_ICMPV6, icmp, len) != 0)
        return ND_BAD_CHECKSUM;
    if (code != 0)
        return ND_BAD_CODE;
    if (is_multicast(out->target))
        return ND_BAD_TARGET;
    enum nd_status st = parse_neighbor_options(&r, out);
    if (st != ND_OK)
        return st;

    /* RFC 4861 §7.1.1: a Solicitation from the unspecified address is a
     * duplicate address detection probe, sent to a solicited-node address.
     * NOTE: the RFC also discards a probe with a Source Link-Layer Address
     * option, but ns-3.37 puts one into every probe it sends (seen in
     * captures of the handoff scenario).  The parser accepts such a probe
     * and drops the option, so that the home agent processes ns-3 nodes'
     * probes. */
    if (out->type == ND_NEIGHBOR_SOLICIT && memcmp(src, unspecified, 16) == 0) {
        if (!is_solicited_node(dst))
            return ND_BAD_DAD;
        out->has_link_addr = false;
    }
    /* RFC 4861 §7.1.2: an Advertisement to a multicast address is unsolicited. */
    if (out->type == ND_NEIGHBOR_ADVERT && is_multicast(dst) && (out->flags & ND_NA_FLAG_SOLICITED))
        return ND_BAD_SOLICITED;
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
    case ND_NOT_NEIGHBOR:
        return "not a neighbor solicitation or advertisement";
    case ND_BAD_CHECKSUM:
        return "invalid checksum";
    case ND_BAD_TARGET:
        return "multicast target address";
    case ND_NOT_RS:
        return "not a router solicitation";
    case ND_BAD_UNSPECIFIED:
        return "link-layer address option from the unspecified address";
    case ND_BAD_DAD:
        return "invalid duplicate address detection probe";
    case ND_BAD_SOLICITED:
        return "solicited flag on a multicast advertisement";
    case ND_NO_SPACE:
        return "output buffer full";
    case ND_BAD_FIELD:
        return "field breaks RFC 4861";
    }
    return "unknown";
}
