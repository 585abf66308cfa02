/*
 * ipv6.h - IPv6 wire helpers: packet parsing, the Mobile IPv6 extension
 * headers, the upper-layer checksum and address utilities.
 *
 * The parser reads a packet as it is on the wire and walks the extension
 * header chain (RFC 8200 §4) until the first header that is not
 * Hop-by-Hop Options, Routing, Fragment or Destination Options.  It
 * records where the Home Address option (RFC 6275 §6.3) and the type 2
 * routing header (RFC 6275 §6.4) sit, so the caller can swap addresses
 * in place as RFC 3776 §6.2 and §6.4 describe.  It never swaps anything
 * itself.
 *
 * All addresses are 16-byte arrays in network order.
 */
#ifndef MIP6SEC_IPV6_H
#define MIP6SEC_IPV6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IP6_ADDR_LEN 16
#define IP6_HEADER_LEN 40
#define IP6_MAX_PAYLOAD 65535u /* jumbograms (RFC 2675) are not supported */
#define IP6_ADDR_TEXT_LEN 46   /* INET6_ADDRSTRLEN, including the NUL */

/* Next Header values (IANA protocol numbers). */
enum ip6_proto {
    IP6_NH_HOP_BY_HOP = 0,
    IP6_NH_TCP = 6,
    IP6_NH_UDP = 17,
    IP6_NH_IPV6 = 41,
    IP6_NH_ROUTING = 43,
    IP6_NH_FRAGMENT = 44,
    IP6_NH_ESP = 50,
    IP6_NH_AH = 51,
    IP6_NH_ICMPV6 = 58,
    IP6_NH_NONE = 59,
    IP6_NH_DEST_OPTS = 60,
    IP6_NH_MOBILITY = 135,
};

/* Option types inside Hop-by-Hop and Destination Options headers. */
enum ip6_option {
    IP6_OPT_PAD1 = 0,
    IP6_OPT_PADN = 1,
    IP6_OPT_HOME_ADDRESS = 201, /* RFC 6275 §6.3 */
};

#define IP6_HAO_DATA_LEN 16 /* Option Length of the Home Address option */
#define IP6_DO_HAO_LEN 24   /* Destination Options header from ip6_write_dest_opts_hao */
#define IP6_RH2_LEN 24      /* type 2 routing header, Hdr Ext Len 2 */
#define IP6_RH2_ADDR_OFF 8  /* offset of the home address inside the RH2 */
#define IP6_ROUTING_TYPE2 2

enum ip6_status {
    IP6_OK = 0,
    IP6_TRUNCATED,          /* the buffer ends inside a header */
    IP6_BAD_VERSION,        /* version field is not 6 */
    IP6_BAD_PAYLOAD_LENGTH, /* Payload Length runs past the buffer */
    IP6_BAD_HOP_BY_HOP,     /* Hop-by-Hop Options header not right after the fixed header */
    IP6_OPTION_TRUNCATED,   /* an option runs past the end of its header */
    IP6_UNKNOWN_OPTION,     /* unrecognized option whose type bits demand a discard */
    IP6_BAD_HAO_LENGTH,     /* Home Address option with Option Length other than 16 */
    IP6_DUPLICATE_HAO,      /* more than one Home Address option */
    IP6_BAD_ROUTING_HEADER, /* unrecognized routing type with Segments Left above 0 */
    IP6_BAD_RH2_LENGTH,     /* type 2 routing header with Hdr Ext Len other than 2 */
    IP6_BAD_RH2_SEGMENTS,   /* type 2 routing header with Segments Left other than 1 */
    IP6_DUPLICATE_RH2,      /* more than one type 2 routing header */
    IP6_NO_SPACE,           /* an encoder's output buffer is full */
    IP6_BAD_FIELD,          /* an encoder input does not fit its wire field */
    IP6_BAD_ADDRESS_TEXT,   /* text is not an IPv6 address */
};

/* The fixed IPv6 header (RFC 8200 §3). */
struct ip6_header {
    uint8_t traffic_class;
    uint32_t flow_label; /* 20 bits */
    size_t payload_len;  /* bytes after the fixed header, at most IP6_MAX_PAYLOAD */
    uint8_t next_header;
    uint8_t hop_limit;
    uint8_t src[IP6_ADDR_LEN];
    uint8_t dst[IP6_ADDR_LEN];
};

/*
 * A parsed packet.  Offsets count from the first byte of the IPv6
 * header, so they index the buffer given to ip6_parse.
 */
struct ip6_packet {
    struct ip6_header hdr;

    /* First header after the extension chain and its extent. */
    uint8_t upper_proto;
    size_t upper_offset;
    size_t upper_len; /* IP6_HEADER_LEN + payload_len - upper_offset */

    /*
     * True when the chain contains the Fragment header of a non-atomic
     * fragment.  The walk stops there, so upper_proto is IP6_NH_FRAGMENT
     * and upper_offset points at the Fragment header.
     */
    bool fragmented;

    bool has_hao;
    uint8_t hao[IP6_ADDR_LEN]; /* home address from the option */
    size_t hao_offset;         /* offset of the 16 address bytes */

    bool has_rh2;
    uint8_t rh2_addr[IP6_ADDR_LEN]; /* home address from the routing header */
    size_t rh2_offset;              /* the address is at rh2_offset + IP6_RH2_ADDR_OFF */
};

/*
 * Parse the IPv6 packet in buf[0..len).  Bytes after IP6_HEADER_LEN +
 * Payload Length (link-layer padding) are ignored.  On success fills
 * *pkt and returns IP6_OK.  On failure returns the status that names the
 * first problem and leaves *pkt partly filled.  No byte past buf[len) is
 * read in either case.
 */
enum ip6_status ip6_parse(const uint8_t *buf, size_t len, struct ip6_packet *pkt);

/*
 * Write the 40-byte fixed header.  Returns IP6_BAD_FIELD when the flow
 * label needs more than 20 bits or payload_len exceeds IP6_MAX_PAYLOAD.
 * Returns IP6_NO_SPACE when w is full.  Nothing is written in either case.
 */
enum ip6_status ip6_write_header(struct wr *w, const struct ip6_header *hdr);

/*
 * Write a 24-byte Destination Options header that carries one Home
 * Address option: Next Header, Hdr Ext Len 2, a 4-byte PadN, then option
 * 201 with length 16 at offset 6, which meets its 8n+6 alignment.
 * Returns IP6_OK or IP6_NO_SPACE.
 */
enum ip6_status ip6_write_dest_opts_hao(struct wr *w, uint8_t next_header,
                                        const uint8_t home[IP6_ADDR_LEN]);

/*
 * Write a 24-byte type 2 routing header with Segments Left 1 and the
 * given home address.  Returns IP6_OK or IP6_NO_SPACE.
 */
enum ip6_status ip6_write_rh2(struct wr *w, uint8_t next_header, const uint8_t home[IP6_ADDR_LEN]);

/*
 * Compute the upper-layer checksum of RFC 8200 §8.1: the ones'
 * complement of the ones' complement sum over the pseudo-header (src,
 * dst, 32-bit upper-layer length, three zero bytes, next_header) and
 * data[0..len).  An odd trailing byte is padded with a zero byte.
 *
 * To fill a checksum field, zero it, call this and store the result.
 * To verify, call this over data with the received field in place: the
 * result is 0 exactly when the checksum is correct.  The UDP rule that
 * turns 0 into 0xffff is the caller's business.
 *
 * Precondition: len fits in 32 bits.  With a Home Address option src is
 * the home address, and with a routing header dst is the final
 * destination.
 */
uint16_t ip6_checksum(const uint8_t src[IP6_ADDR_LEN], const uint8_t dst[IP6_ADDR_LEN],
                      uint8_t next_header, const uint8_t *data, size_t len);

/* Parse text such as "2001:db8::1" into out.  Returns IP6_OK or IP6_BAD_ADDRESS_TEXT. */
enum ip6_status ip6_addr_from_text(const char *text, uint8_t out[IP6_ADDR_LEN]);

/*
 * Format addr into out (out_len >= IP6_ADDR_TEXT_LEN) in the compressed
 * form of RFC 5952 as inet_ntop writes it.  Returns out, or NULL when
 * out_len is too small.
 */
const char *ip6_addr_to_text(const uint8_t addr[IP6_ADDR_LEN], char *out, size_t out_len);

/*
 * Return whether the first prefix_len bits of a and b are equal.
 * prefix_len 0 matches everything, and a prefix_len above 128 never
 * matches.
 */
bool ip6_prefix_match(const uint8_t a[IP6_ADDR_LEN], const uint8_t b[IP6_ADDR_LEN],
                      unsigned prefix_len);

/*
 * Build the address made of the first 64 bits of prefix and the
 * modified EUI-64 interface identifier of a 48-bit MAC address (RFC 4291
 * Appendix A: insert ff:fe in the middle and invert the universal/local
 * bit).
 */
void ip6_addr_from_prefix_mac(uint8_t out[IP6_ADDR_LEN], const uint8_t prefix[IP6_ADDR_LEN],
                              const uint8_t mac[6]);

/*
 * Return whether addr may serve as a home or care-of address: not
 * multicast (ff00::/8), not unspecified (::), not loopback (::1), not
 * link-local (fe80::/10).
 */
bool ip6_addr_is_unicast_routable(const uint8_t addr[IP6_ADDR_LEN]);

#ifdef __cplusplus
}
#endif

#endif /* MIP6SEC_IPV6_H */
