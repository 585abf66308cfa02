/*
 * icmp6.h - the ICMPv6 messages of Mobile IPv6 home agent and prefix
 * discovery (RFC 6275 §6.5-§6.8):
 *
 *   type 144  Home Agent Address Discovery Request  Identifier
 *   type 145  Home Agent Address Discovery Reply    Identifier, home agent addresses
 *   type 146  Mobile Prefix Solicitation            Identifier, ND options (ignored)
 *   type 147  Mobile Prefix Advertisement           Identifier, M and O flags, ND options
 *                                                   with at least one Prefix Information
 *
 * All four start with an 8-byte fixed part: Type, Code 0, Checksum,
 * Identifier (16 bits), then 16 bits of flags and Reserved.  Options use
 * the Neighbor Discovery format (RFC 4861 §4.6).
 *
 * The encoder computes the ICMPv6 checksum (RFC 4443 §2.3) and the
 * decoder verifies it, so both take the two addresses of the IPv6
 * pseudo-header:
 *   - src is the home address when the packet carries a Home Address
 *     option (a Mobile Prefix Solicitation sent from a care-of address,
 *     RFC 3776 §3.3), else the IPv6 source.  The receiver swaps the home
 *     address into the source before upper-layer processing (RFC 6275
 *     §9.3.1).
 *   - dst is the home address when the packet carries a type 2 routing
 *     header (a Mobile Prefix Advertisement sent to a care-of address),
 *     else the IPv6 destination.  With a routing header the pseudo-header
 *     holds the final destination (RFC 8200 §8.1), and the type 2
 *     routing header names the home address as that destination.
 * Home Agent Address Discovery uses neither header (RFC 6275 §11.4.1),
 * so its pseudo-header holds the IPv6 addresses as sent.
 */
#ifndef MIP6SEC_ICMP6_H
#define MIP6SEC_ICMP6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "nd.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ICMP6_ADDR_LEN 16
#define ICMP6_FIXED_LEN 8          /* Type to Reserved, the same in all four messages */
#define ICMP6_PREFIX_OPTION_LEN 32 /* Prefix Information option, Length 4 (RFC 4861 §4.6.2) */

/*
 * How many home agent addresses and prefixes a decoded message keeps.
 * Further entries are validated and counted in n_not_stored.
 * NOTE: a model limit, not an RFC one.  A Reply in a 1280-byte packet
 * without extension headers can list up to 77 addresses.
 */
#define ICMP6_MAX_HA_ADDRESSES 8
#define ICMP6_MAX_PREFIXES 8

/* ICMPv6 Type values (RFC 6275 §6.5-§6.8). */
enum icmp6_type {
    ICMP6_DHAAD_REQUEST = 144, /* Home Agent Address Discovery Request */
    ICMP6_DHAAD_REPLY = 145,   /* Home Agent Address Discovery Reply */
    ICMP6_MPS = 146,           /* Mobile Prefix Solicitation */
    ICMP6_MPA = 147,           /* Mobile Prefix Advertisement */
};

/* Mobile Prefix Advertisement flags, byte 6 of the message (RFC 6275 §6.8). */
enum icmp6_mpa_flag {
    ICMP6_MPA_FLAG_M = 0x80, /* Managed Address Configuration */
    ICMP6_MPA_FLAG_O = 0x40, /* Other Stateful Configuration */
};

enum icmp6_status {
    ICMP6_OK = 0,
    ICMP6_TRUNCATED,                /* shorter than the 8-byte fixed part */
    ICMP6_TOO_LONG,                 /* longer than an IPv6 payload can be (65535 bytes) */
    ICMP6_BAD_CHECKSUM,             /* checksum over the pseudo-header and message is wrong */
    ICMP6_UNKNOWN_TYPE,             /* Type is not 144, 145, 146 or 147 */
    ICMP6_BAD_CODE,                 /* Code is not 0 */
    ICMP6_BAD_ADDRESS_LIST,         /* Reply whose address list is not a multiple of 16 bytes */
    ICMP6_OPTION_TRUNCATED,         /* an option runs past the end of the message */
    ICMP6_ZERO_OPTION_LENGTH,       /* an option with Length 0 (RFC 4861 §4.6) */
    ICMP6_BAD_PREFIX_OPTION_LENGTH, /* Prefix Information option with Length other than 4 */
    ICMP6_BAD_PREFIX_LENGTH,        /* Prefix Length above 128 */
    ICMP6_NO_PREFIX,                /* Mobile Prefix Advertisement without Prefix Information */
    ICMP6_NO_SPACE,                 /* the encoder's output buffer is full */
    ICMP6_BAD_FIELD,                /* an encoder input does not fit its wire field */
};

/* Home Agent Address Discovery Reply (RFC 6275 §6.6). */
struct icmp6_dhaad_reply {
    size_t n_addresses; /* addresses stored, in the order of the message */
    uint8_t addresses[ICMP6_MAX_HA_ADDRESSES][ICMP6_ADDR_LEN];
    size_t n_not_stored; /* set by the decoder: addresses beyond ICMP6_MAX_HA_ADDRESSES */
};

/* Mobile Prefix Advertisement (RFC 6275 §6.8). */
struct icmp6_mpa {
    bool managed; /* M flag */
    bool other;   /* O flag */
    size_t n_prefixes;
    /* Prefix Information options in message order.  router_addr is the
     * R flag of RFC 6275 §7.2: prefix then holds the home agent's full
     * address. */
    struct nd_prefix prefixes[ICMP6_MAX_PREFIXES];
    size_t n_not_stored; /* set by the decoder: options beyond ICMP6_MAX_PREFIXES */
};

/*
 * One message.  type selects the union member: dhaad_reply for 145 and
 * mpa for 147.  A Request (144) and a Solicitation (146) carry only the
 * Identifier.
 */
struct icmp6_msg {
    uint8_t type; /* enum icmp6_type */
    uint16_t id;  /* Identifier */
    union {
        struct icmp6_dhaad_reply dhaad_reply;
        struct icmp6_mpa mpa;
    };

    size_t len; /* set by the decoder: the message length it was given */
};

/*
 * Write msg at the current position of w, with Code 0, Reserved bits 0
 * and the checksum over the pseudo-header with src and dst as described
 * at the top of this file.  A Request or a Solicitation is 8 bytes, a
 * Reply 8 + 16 per address, an Advertisement 8 + 32 per prefix.  The
 * encoder writes no options in a Solicitation.
 *
 * Returns ICMP6_OK, ICMP6_UNKNOWN_TYPE for a type outside 144-147,
 * ICMP6_BAD_FIELD for a count above its ICMP6_MAX_* limit, an
 * Advertisement without a prefix or a prefix_len above 128 (nothing is
 * written in these cases), or ICMP6_NO_SPACE (w is marked failed).
 */
enum icmp6_status icmp6_encode(struct wr *w, const struct icmp6_msg *msg,
                               const uint8_t src[ICMP6_ADDR_LEN],
                               const uint8_t dst[ICMP6_ADDR_LEN]);

/*
 * Decode and validate the ICMPv6 message in buf[0..len), where len is
 * the whole upper-layer length: ICMPv6 has no length field, so the
 * checksum covers every byte given.  Checks run in this order: length,
 * checksum, Type, Code, then the body.  Reserved bits are ignored.
 * Options that the message type does not define are skipped (RFC 6275
 * §6.7, §6.8), but every option must have a non-zero Length and fit in
 * the message.  Bytes after the fixed part of a Request are ignored.
 *
 * On success fills *msg and returns ICMP6_OK.  On failure returns the
 * first problem found, with msg->type and msg->id set once the fixed
 * part has been read.
 */
enum icmp6_status icmp6_decode(const uint8_t *buf, size_t len, const uint8_t src[ICMP6_ADDR_LEN],
                               const uint8_t dst[ICMP6_ADDR_LEN], struct icmp6_msg *msg);

/* Return a short English description of s, or "unknown" for a value outside the enum. */
const char *icmp6_status_name(enum icmp6_status s);

#ifdef __cplusplus
}
#endif

#endif /* MIP6SEC_ICMP6_H */
