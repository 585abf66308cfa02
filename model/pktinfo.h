/*
 * pktinfo.h - a flat summary of an IPv6 packet's headers for the recorder.
 *
 * pktinfo_parse() reads the captured bytes of a packet once, through the
 * bounds-checked cursor, and fills a struct pktinfo.  The summary has the
 * addresses, the chain of headers and the final protocol.  It also has the
 * Home Address option, the type 2 routing header address, the Mobility
 * Header type, the ESP SPI and sequence number, the inner header of an
 * IPv6-in-IPv6 packet, the UDP payload's first 32-bit word and the ICMPv6
 * type.
 *
 * Any byte string is valid input.  The parser never reads outside the
 * buffer, allocates nothing, formats nothing and runs in time linear in
 * the captured length: every extension header it steps over is at least
 * 8 bytes long, and it stops after PKTINFO_CHAIN_MAX headers.  Input that
 * ends early gives a partial summary with PKTINFO_TRUNCATED set.
 */
#ifndef MIP6SEC_PKTINFO_H
#define MIP6SEC_PKTINFO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bits of pktinfo.flags; a field is valid only when its bit is set. */
enum pktinfo_flag {
    PKTINFO_IPV6 = 1u << 0,        /* src, dst and protocol are valid */
    PKTINFO_TRUNCATED = 1u << 1,   /* the captured bytes ended before the summary was complete */
    PKTINFO_BAD_VERSION = 1u << 2, /* an IPv6 header (outer or inner) had a version other than 6 */
    PKTINFO_CHAIN_CUT = 1u << 3,   /* more than PKTINFO_CHAIN_MAX headers; parsing stopped */
    PKTINFO_FRAGMENT = 1u << 4,    /* the outer packet is a non-first fragment */
    PKTINFO_HOA = 1u << 5,         /* hoa contains a Home Address option address */
    PKTINFO_RH2 = 1u << 6,         /* rh2 contains a type 2 routing header address */
    PKTINFO_MH = 1u << 7,          /* mh_type is valid (Mobility Header in clear) */
    PKTINFO_ESP = 1u << 8,         /* spi and esp_seq are valid */
    PKTINFO_INNER = 1u << 9,       /* inner_src, inner_dst, inner_protocol are valid */
    PKTINFO_APP_SEQ = 1u << 10,    /* app_seq is valid (UDP payload of at least 12 bytes) */
    PKTINFO_ICMP = 1u << 11,       /* icmp_type is valid */
};

/*
 * Header kinds in the chain.  Each takes 4 bits of pktinfo.chain, the
 * first header in the lowest bits; 0 ends the chain.
 */
enum pktinfo_hdr {
    PKTINFO_H_END = 0,
    PKTINFO_H_IPV6 = 1,   /* fixed IPv6 header, outer or inner (next header 41) */
    PKTINFO_H_HBH = 2,    /* hop-by-hop options, next header 0 */
    PKTINFO_H_RH = 3,     /* routing header of a type other than 2, next header 43 */
    PKTINFO_H_RH2 = 4,    /* type 2 routing header, next header 43 */
    PKTINFO_H_FRAG = 5,   /* fragment header, next header 44 */
    PKTINFO_H_DSTOPT = 6, /* destination options, next header 60 */
    PKTINFO_H_ESP = 7,    /* next header 50 */
    PKTINFO_H_AH = 8,     /* next header 51; the walk stops there */
    PKTINFO_H_MH = 9,     /* Mobility Header, next header 135 */
    PKTINFO_H_UDP = 10,   /* next header 17 */
    PKTINFO_H_TCP = 11,   /* next header 6 */
    PKTINFO_H_ICMP6 = 12, /* next header 58 */
    PKTINFO_H_NONE = 13,  /* no next header, 59 */
    PKTINFO_H_OTHER = 14, /* any other next header value; protocol contains it */
};

/* Maximum number of headers in the chain (16 kinds of 4 bits in 64 bits). */
#define PKTINFO_CHAIN_MAX 16

/* Maximum length of the text pktinfo_chain_text() writes, terminating NUL included. */
#define PKTINFO_CHAIN_TEXT_MAX (PKTINFO_CHAIN_MAX * 7 + 1)

struct pktinfo {
    uint32_t flags; /* enum pktinfo_flag bits */
    uint8_t src[16];
    uint8_t dst[16];
    uint8_t hoa[16];       /* Home Address option (RFC 6275 section 6.3), first one seen */
    uint8_t rh2[16];       /* type 2 routing header address (RFC 6275 section 6.4) */
    uint8_t inner_src[16]; /* inner header of IPv6-in-IPv6 (next header 41) */
    uint8_t inner_dst[16];
    uint64_t chain;         /* enum pktinfo_hdr kinds, 4 bits each, first in bits 0-3 */
    uint8_t chain_len;      /* number of kinds in chain */
    uint8_t protocol;       /* outer next header after hop-by-hop, routing, fragment, dstopt */
    uint8_t inner_protocol; /* the same for the inner packet */
    uint8_t mh_type;        /* Mobility Header type (byte 2 of the MH) */
    uint8_t icmp_type;      /* ICMPv6 type */
    uint32_t spi;           /* ESP Security Parameters Index */
    uint32_t esp_seq;       /* ESP sequence number (low 32 bits) */
    uint32_t app_seq;       /* first 32-bit word of the UDP payload, big-endian */
};

/*
 * Parse the first caplen bytes of an IPv6 packet into *out, which is
 * overwritten completely.  A NULL pkt reads as empty.  Only one level of
 * IPv6-in-IPv6 is opened: an inner packet's own inner header is counted
 * in the chain and in inner_protocol but not read.  The Mobility Header,
 * UDP and ICMPv6 fields come from whichever level reaches them in clear.
 * Nothing after an ESP header is read, because it is encrypted.
 */
void pktinfo_parse(struct pktinfo *out, const uint8_t *pkt, size_t caplen);

/*
 * Write the chain as text such as "ipv6>dstopt>esp" into buf (at most
 * len bytes, always NUL-terminated when len > 0).  Returns the length of
 * the full text, which may exceed len - 1.
 */
size_t pktinfo_chain_text(uint64_t chain, char *buf, size_t len);

/* Name of one header kind ("ipv6", "rh2", "mh", ...); "?" for an unknown value. */
const char *pktinfo_hdr_name(enum pktinfo_hdr hdr);

#ifdef __cplusplus
}
#endif

#endif /* MIP6SEC_PKTINFO_H */
