/*
 * nd.h - the parts of Neighbor Discovery (RFC 4861) that the model needs.
 * Movement detection parses Router Advertisements.  The home agent's
 * duplicate address detection and proxy Neighbor Discovery (RFC 6275
 * §10.3.1, §10.4.1) and the mobile node's return home (§11.5.5) encode
 * and parse Neighbor Solicitations and Advertisements.
 *
 * Neighbor Solicitation (type 135) and Advertisement (type 136) share one
 * layout: Type, Code 0, Checksum, 32 bits of flags and Reserved, the
 * 16-byte Target Address, then options.  Only an Advertisement has flags
 * (R, S, O in the first byte).  The one option used here is the Source
 * (in a Solicitation) or Target (in an Advertisement) Link-Layer Address
 * option with a 48-bit address: Type 1 or 2, Length 1, six bytes
 * (RFC 4861 §4.6.1, RFC 2464 §6).
 */
#ifndef MIP6SEC_ND_H
#define MIP6SEC_ND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ND_ROUTER_SOLICIT 133   /* ICMPv6 type, RFC 4861 §4.1 */
#define ND_ROUTER_ADVERT 134    /* ICMPv6 type, RFC 4861 §4.2 */
#define ND_NEIGHBOR_SOLICIT 135 /* ICMPv6 type, RFC 4861 §4.3 */
#define ND_NEIGHBOR_ADVERT 136  /* ICMPv6 type, RFC 4861 §4.4 */
#define ND_MAX_PREFIXES 4

/* IPv6 Hop Limit of every Neighbor Discovery message (RFC 4861 §7.1). */
#define ND_HOP_LIMIT 255

#define ND_NEIGHBOR_FIXED_LEN 24  /* Type to the end of the Target Address */
#define ND_LINK_ADDR_OPTION_LEN 8 /* link-layer address option with a 48-bit address */
/* Maximum length of a message that nd_encode_neighbor writes. */
#define ND_NEIGHBOR_MAX_LEN (ND_NEIGHBOR_FIXED_LEN + ND_LINK_ADDR_OPTION_LEN)

/* Neighbor Advertisement flags, the first byte after the checksum (RFC 4861 §4.4). */
enum nd_na_flag {
    ND_NA_FLAG_ROUTER = 0x80,    /* R: the sender is a router */
    ND_NA_FLAG_SOLICITED = 0x40, /* S: sent in response to a Neighbor Solicitation */
    ND_NA_FLAG_OVERRIDE = 0x20,  /* O: replace a cached link-layer address */
};

enum nd_status {
    ND_OK = 0,
    ND_TRUNCATED,     /* message or option shorter than its fixed part */
    ND_NOT_RA,        /* ICMPv6 type is not 134 */
    ND_BAD_CODE,      /* code is not 0 (RFC 4861 §6.1.2) */
    ND_BAD_OPTION,    /* an option with length 0 or running past the end */
    ND_BAD_HOP_LIMIT, /* IPv6 hop limit is not 255 (RFC 4861 §6.1.2) */
    ND_BAD_SOURCE,    /* source is not link-local (RFC 4861 §6.1.2) */
    ND_NOT_NEIGHBOR,  /* ICMPv6 type is neither 135 nor 136 */
    ND_BAD_CHECKSUM,  /* ICMPv6 checksum over the pseudo-header and message is wrong */
    ND_BAD_TARGET,    /* Target Address is multicast (RFC 4861 §7.1.1, §7.1.2) */
    /* A Solicitation from the unspecified address that is not sent to a
     * solicited-node multicast address (RFC 4861 §7.1.1). */
    ND_BAD_DAD,
    ND_BAD_SOLICITED, /* Advertisement to a multicast address with S set (RFC 4861 §7.1.2) */
    ND_NO_SPACE,      /* the encoder's output buffer is full */
    ND_BAD_FIELD,     /* an encoder input breaks RFC 4861 */
    ND_NOT_RS,        /* ICMPv6 type is not 133 */
    /* A Solicitation from the unspecified address with a Source
     * Link-Layer Address option (RFC 4861 §6.1.1). */
    ND_BAD_UNSPECIFIED,
};

struct nd_prefix {
    uint8_t prefix[16];
    uint8_t prefix_len;
    bool on_link;     /* L flag */
    bool autonomous;  /* A flag */
    bool router_addr; /* R flag, RFC 6275 §7.2 */
    uint32_t valid_lifetime_s;
    uint32_t preferred_lifetime_s;
};

/* Home Agent Information option (RFC 6275 §7.4). */
struct nd_ha_info {
    int16_t preference;  /* Home Agent Preference, higher is preferred */
    uint16_t lifetime_s; /* Home Agent Lifetime, 1 to 65535 s */
};

struct nd_ra {
    uint16_t router_lifetime_s;
    bool home_agent; /* H flag, RFC 6275 §7.1 */
    bool has_adv_interval;
    uint32_t adv_interval_ms; /* Advertisement Interval option, RFC 6275 §7.3 */
    /*
     * The first valid Home Agent Information option.  Read only when the
     * H flag is set, because RFC 6275 §7.4 allows the option only then.
     * An option with Home Agent Lifetime 0 is invalid (RFC 6275 §7.4): it
     * is not stored and sets ha_info_invalid.  Without a valid option
     * the defaults of RFC 6275 §7.4 apply: preference 0 and the Router
     * Lifetime.
     */
    bool has_ha_info;
    struct nd_ha_info ha_info;
    bool ha_info_invalid;
    size_t n_prefixes; /* Prefix Information options kept, at most ND_MAX_PREFIXES */
    struct nd_prefix prefixes[ND_MAX_PREFIXES];
};

/*
 * Parse a Router Advertisement.  icmp points at the ICMPv6 header; the
 * IPv6 hop limit and source come from the enclosing header because RFC
 * 4861 §6.1.2 makes them part of the validity checks.  The ICMPv6
 * checksum is not verified here: the simulator's ICMPv6 layer checks it.
 */
enum nd_status nd_parse_ra(const uint8_t *icmp, size_t len, uint8_t hop_limit,
                           const uint8_t src[16], struct nd_ra *out);

/* A Neighbor Solicitation or Advertisement (RFC 4861 §4.3, §4.4). */
struct nd_neighbor {
    uint8_t type;  /* ND_NEIGHBOR_SOLICIT or ND_NEIGHBOR_ADVERT */
    uint8_t flags; /* enum nd_na_flag bits of an Advertisement; 0 in a Solicitation */
    uint8_t target[16];
    /* Source (Solicitation) or Target (Advertisement) Link-Layer Address
     * option.  The parser stores the first one of Length 1 and skips any
     * other option. */
    bool has_link_addr;
    uint8_t link_addr[6];
};

/*
 * Write msg at the current position of w with Code 0, Reserved bits 0 and
 * the ICMPv6 checksum over the pseudo-header with src and dst (RFC 4443
 * §2.3).  The message is 24 bytes, 32 with the link-layer address option.
 *
 * Returns ND_OK, ND_BAD_FIELD or ND_NO_SPACE.  ND_BAD_FIELD means that
 * msg breaks RFC 4861, and nothing is written: a type other than 135 or
 * 136, a multicast target, flags in a Solicitation or other than R, S and
 * O, or a link-layer address option in a Solicitation from the
 * unspecified address.  After ND_NO_SPACE w is marked failed.
 */
enum nd_status nd_encode_neighbor(struct wr *w, const struct nd_neighbor *msg,
                                  const uint8_t src[16], const uint8_t dst[16]);

/*
 * Parse and validate a Neighbor Solicitation or Advertisement as RFC 4861
 * §7.1.1 and §7.1.2 require: icmp[0..len) is the whole ICMPv6 message,
 * and the hop limit, source and destination come from the IPv6 header.
 * Checks run in this order: length, type, hop limit, checksum, code,
 * target, options, then the rules for a Solicitation from the
 * unspecified address and an Advertisement to a multicast address.
 * Reserved bits are ignored.  A Source Link-Layer Address option in a
 * Solicitation from the unspecified address is ignored instead of making
 * the message invalid, because ns-3.37 sends one (see nd.c).
 *
 * On success fills *out and returns ND_OK.  On failure returns the first
 * problem found: ND_TRUNCATED, ND_NOT_NEIGHBOR, ND_BAD_HOP_LIMIT,
 * ND_BAD_CHECKSUM, ND_BAD_CODE, ND_BAD_TARGET, ND_BAD_OPTION, ND_BAD_DAD
 * or ND_BAD_SOLICITED.
 */
enum nd_status nd_parse_neighbor(const uint8_t *icmp, size_t len, uint8_t hop_limit,
                                 const uint8_t src[16], const uint8_t dst[16],
                                 struct nd_neighbor *out);

/*
 * Read the Type and Target Address of a Neighbor Solicitation or
 * Advertisement without validating anything else.  Returns false when
 * icmp is shorter than the 24-byte fixed part or the type is neither 135
 * nor 136.
 */
bool nd_peek_neighbor(const uint8_t *icmp, size_t len, uint8_t *type, uint8_t target[16]);

/* Write the solicited-node multicast address of addr, ff02::1:ff00:0/104
 * with the low 24 bits of addr (RFC 4291 §2.7.1). */
void nd_solicited_node(uint8_t out[16], const uint8_t addr[16]);

/* ----- router side (nd_router.c) ----- */

/* Maximum length of a message that nd_encode_ra writes: the 16-byte fixed
 * part, a link-layer address option, ND_MAX_PREFIXES Prefix Information
 * options of 32 bytes, and the two 8-byte Mobile IPv6 options. */
#define ND_RA_MAX_LEN (16 + ND_LINK_ADDR_OPTION_LEN + ND_MAX_PREFIXES * 32 + 16)
#define ND_RS_MAX_LEN (8 + ND_LINK_ADDR_OPTION_LEN)

/*
 * Write a Router Advertisement at the current position of w, with the
 * checksum over the pseudo-header with src and dst.  Cur Hop Limit is 64,
 * M, O, Reachable Time and Retrans Timer are 0, and the H flag is
 * ra->home_agent.  The options come in this order: Source Link-Layer
 * Address (when link_addr is not NULL), each Prefix Information option,
 * the Advertisement Interval option (ra->has_adv_interval) and the Home
 * Agent Information option (ra->has_ha_info).  ns-3.37 stops reading an
 * RA at the first option type it does not know, so the two Mobile IPv6
 * options come last.
 *
 * Returns ND_OK, ND_BAD_FIELD (nothing written: src not link-local, a
 * prefix length above 128, a preferred lifetime above the valid one, a
 * Home Agent Information option without the H flag or with lifetime 0,
 * or more than ND_MAX_PREFIXES prefixes) or ND_NO_SPACE.
 */
enum nd_status nd_encode_ra(struct wr *w, const struct nd_ra *ra, const uint8_t *link_addr,
                            const uint8_t src[16], const uint8_t dst[16]);

/* A Router Solicitation (RFC 4861 §4.1). */
struct nd_rs {
    bool has_link_addr; /* Source Link-Layer Address option */
    uint8_t link_addr[6];
};

/*
 * Write a Router Solicitation with its checksum.  Returns ND_OK,
 * ND_BAD_FIELD (a link-layer address option from the unspecified address,
 * RFC 4861 §4.1) or ND_NO_SPACE.
 */
enum nd_status nd_encode_rs(struct wr *w, const struct nd_rs *rs, const uint8_t src[16],
                            const uint8_t dst[16]);

/*
 * Parse and validate a Router Solicitation as RFC 4861 §6.1.1 requires, in
 * this order: length, type, hop limit 255, checksum, code 0, options with
 * a non-zero Length, and no Source Link-Layer Address option from the
 * unspecified address.  Returns ND_OK or the first problem.
 */
enum nd_status nd_parse_rs(const uint8_t *icmp, size_t len, uint8_t hop_limit,
                           const uint8_t src[16], const uint8_t dst[16], struct nd_rs *out);

const char *nd_status_name(enum nd_status s);

#ifdef __cplusplus
}
#endif

#endif /* MIP6SEC_ND_H */
