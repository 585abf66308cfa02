/*
 * test_ipv6.c - IPv6 parser, extension header encoders, checksum and
 * address helpers.  Expected bytes are written out by hand from RFC 8200
 * §3-§4 and RFC 6275 §6.3-§6.4, never produced by the encoders.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cursor.h"
#include "ipv6.h"

/* 2001:db8:1::1, the home agent. */
#define HA_BYTES 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x01
/* 2001:db8:1::100, the mobile node's home address. */
#define HOA_BYTES 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00
/* 2001:db8:2::100, the mobile node's care-of address. */
#define COA_BYTES 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00

static const uint8_t ha[16] = {HA_BYTES};
static const uint8_t hoa[16] = {HOA_BYTES};
static const uint8_t coa[16] = {COA_BYTES};

/* RFC 3776 §3.1: BU from a care-of address; the ESP part is a stand-in. */
static const uint8_t bu_packet[] = {
    /* IPv6 header */
    0x60, 0x00, 0x00, 0x00, /* version 6, traffic class 0, flow label 0 */
    0x00, 0x28,             /* payload length 40 */
    60,                     /* next header: Destination Options */
    64,                     /* hop limit */
    COA_BYTES,              /* source: care-of address */
    HA_BYTES,               /* destination: home agent */
    /* Destination Options header, offset 40 */
    50,         /* next header: ESP */
    2,          /* Hdr Ext Len: 24 bytes */
    1, 2, 0, 0, /* PadN, 2 data bytes */
    201, 16,    /* Home Address option, length 16, at offset 46 = 8n+6 */
    HOA_BYTES,  /* home address, offset 48 */
    /* ESP, offset 64: SPI 0x1001, sequence 1, 8 bytes of stand-in data */
    0x00, 0x00, 0x10, 0x01, 0x00, 0x00, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef};

/* RFC 3776 §3.1: BA to a care-of address; the ESP part is a stand-in. */
static const uint8_t ba_packet[] = {
    /* IPv6 header */
    0x60, 0x00, 0x00, 0x00, /* version 6, traffic class 0, flow label 0 */
    0x00, 0x28,             /* payload length 40 */
    43,                     /* next header: Routing */
    255,                    /* hop limit */
    HA_BYTES,               /* source: home agent */
    COA_BYTES,              /* destination: care-of address */
    /* type 2 routing header, offset 40 */
    50,         /* next header: ESP */
    2,          /* Hdr Ext Len */
    2,          /* Routing Type 2 */
    1,          /* Segments Left */
    0, 0, 0, 0, /* Reserved */
    HOA_BYTES,  /* home address, offset 48 */
    /* ESP, offset 64 */
    0x00, 0x00, 0x20, 0x02, 0x00, 0x00, 0x00, 0x07, 0xca, 0xfe, 0xca, 0xfe, 0xca, 0xfe, 0xca, 0xfe};

/*
 * Every extension header the parser walks, in RFC 8200 §4.1 order, with
 * a Binding Refresh Request at the end.  Offsets are noted per header.
 */
static const uint8_t chain_packet[] = {
    /* IPv6 header, offset 0 */
    0x60, 0x00, 0x00, 0x00, /* version 6 */
    0x00, 0x50,             /* payload length 80 */
    0,                      /* next header: Hop-by-Hop Options */
    1,                      /* hop limit */
    COA_BYTES, HA_BYTES,
    /* Hop-by-Hop Options, offset 40 */
    60,         /* next header: Destination Options */
    0,          /* Hdr Ext Len: 8 bytes */
    0,          /* Pad1, offset 42 */
    5, 2, 0, 0, /* Router Alert (type 5, length 2), offset 43 */
    0,          /* Pad1 */
    /* Destination Options before the routing header, offset 48 */
    43,      /* next header: Routing */
    0,       /* Hdr Ext Len: 8 bytes */
    4, 1, 4, /* Tunnel Encapsulation Limit (type 4, length 1), skipped */
    1, 1, 0, /* PadN with 1 data byte */
    /* type 2 routing header, offset 56 */
    60, 2, 2, 1, 0, 0, 0, 0, HOA_BYTES,
    /* Destination Options with the Home Address option, offset 80 */
    44, 2, 1, 2, 0, 0, 201, 16, HOA_BYTES,
    /* Fragment header, offset 104: offset 0, M clear (atomic) */
    135,                    /* next header: Mobility Header */
    0,                      /* Reserved */
    0x00, 0x00,             /* Fragment Offset 0, M 0 */
    0x12, 0x34, 0x56, 0x78, /* Identification */
    /* Mobility Header BRR, offset 112 (checksum not checked here) */
    59, 0, 0, 0, 0x00, 0x00, 0, 0};

/* Offsets of fields in chain_packet that the malformed-input cases edit. */
enum {
    CHAIN_PAYLOAD_LEN_LO = 5,
    CHAIN_RA_TYPE = 43,
    CHAIN_RA_LEN = 44,
    CHAIN_DO1_NEXT = 48,
    CHAIN_RH2_EXT_LEN = 57,
    CHAIN_RH2_TYPE = 58,
    CHAIN_RH2_SEGMENTS = 59,
    CHAIN_DO2_EXT_LEN = 81,
    CHAIN_HAO_LEN = 87,
    CHAIN_FRAG_OFFSET_HI = 106,
    CHAIN_FRAG_OFFSET_LO = 107,
    CHAIN_END_OF_HEADERS = 112,
};

/* Parse a copy of buf in a heap block of exactly len bytes, so that
 * AddressSanitizer reports any read past the end. */
static enum ip6_status
parse_exact(const uint8_t *buf, size_t len, struct ip6_packet *pkt)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, buf, len);
    enum ip6_status status = ip6_parse(copy, len, pkt);
    free(copy);
    return status;
}

static void
parse_bu_from_care_of_address(void)
{
    struct ip6_packet pkt;
    CHECK_EQ_INT(parse_exact(bu_packet, sizeof bu_packet, &pkt), IP6_OK);
    CHECK_EQ_MEM(pkt.hdr.src, coa, 16);
    CHECK_EQ_MEM(pkt.hdr.dst, ha, 16);
    CHECK_EQ_INT(pkt.hdr.hop_limit, 64);
    CHECK_EQ_INT(pkt.hdr.payload_len, 40);
    CHECK_EQ_INT(pkt.hdr.next_header, IP6_NH_DEST_OPTS);
    CHECK(pkt.has_hao);
    CHECK_EQ_MEM(pkt.hao, hoa, 16);
    CHECK_EQ_INT(pkt.hao_offset, 48);
    CHECK(!pkt.has_rh2);
    CHECK(!pkt.fragmented);
    CHECK_EQ_INT(pkt.upper_proto, IP6_NH_ESP);
    CHECK_EQ_INT(pkt.upper_offset, 64);
    CHECK_EQ_INT(pkt.upper_len, 16);
}

static void
parse_ba_to_care_of_address(void)
{
    struct ip6_packet pkt;
    CHECK_EQ_INT(parse_exact(ba_packet, sizeof ba_packet, &pkt), IP6_OK);
    CHECK_EQ_MEM(pkt.hdr.src, ha, 16);
    CHECK_EQ_MEM(pkt.hdr.dst, coa, 16);
    CHECK_EQ_INT(pkt.hdr.hop_limit, 255);
    CHECK(pkt.has_rh2);
    CHECK_EQ_MEM(pkt.rh2_addr, hoa, 16);
    CHECK_EQ_INT(pkt.rh2_offset, 40);
    CHECK(!pkt.has_hao);
    CHECK_EQ_INT(pkt.upper_proto, IP6_NH_ESP);
    CHECK_EQ_INT(pkt.upper_offset, 64);
    CHECK_EQ_INT(pkt.upper_len, 16);
}

static void
parse_full_extension_chain(void)
{
    struct ip6_packet pkt;
    CHECK_EQ_INT(parse_exact(chain_packet, sizeof chain_packet, &pkt), IP6_OK);
    CHECK(pkt.has_rh2);
    CHECK_EQ_INT(pkt.rh2_offset, 56);
    CHECK_EQ_MEM(pkt.rh2_addr, hoa, 16);
    CHECK(pkt.has_hao);
    CHECK_EQ_INT(pkt.hao_offset, 88);
    CHECK_EQ_MEM(pkt.hao, hoa, 16);
    CHECK(!pkt.fragmented);
    CHECK_EQ_INT(pkt.upper_proto, IP6_NH_MOBILITY);
    CHECK_EQ_INT(pkt.upper_offset, CHAIN_END_OF_HEADERS);
    CHECK_EQ_INT(pkt.upper_len, 8);
}

static void
parse_ignores_link_padding(void)
{
    uint8_t padded[sizeof bu_packet + 6];
    memcpy(padded, bu_packet, sizeof bu_packet);
    memset(padded + sizeof bu_packet, 0xee, 6);

    struct ip6_packet pkt;
    CHECK_EQ_INT(parse_exact(padded, sizeof padded, &pkt), IP6_OK);
    CHECK_EQ_INT(pkt.upper_len, 16);
}

static void
parse_non_atomic_fragment_stops(void)
{
    struct {
        size_t offset;
        uint8_t value;
    } cases[] = {
        {CHAIN_FRAG_OFFSET_LO, 0x01}, /* M set */
        {CHAIN_FRAG_OFFSET_HI, 0x01}, /* Fragment Offset 32 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t buf[sizeof chain_packet];
        memcpy(buf, chain_packet, sizeof buf);
        buf[cases[i].offset] = cases[i].value;

        struct ip6_packet pkt;
        CHECK_EQ_INT(parse_exact(buf, sizeof buf, &pkt), IP6_OK);
        CHECK(pkt.fragmented);
        CHECK_EQ_INT(pkt.upper_proto, IP6_NH_FRAGMENT);
        CHECK_EQ_INT(pkt.upper_offset, 104);
        CHECK_EQ_INT(pkt.upper_len, 16);
    }
}

static void
parse_unknown_routing_type_without_segments(void)
{
    uint8_t buf[sizeof chain_packet];
    memcpy(buf, chain_packet, sizeof buf);
    buf[CHAIN_RH2_TYPE] = 3;
    buf[CHAIN_RH2_SEGMENTS] = 0;

    struct ip6_packet pkt;
    CHECK_EQ_INT(parse_exact(buf, sizeof buf, &pkt), IP6_OK);
    CHECK(!pkt.has_rh2);
    CHECK_EQ_INT(pkt.upper_proto, IP6_NH_MOBILITY);
}

/* One-byte edits of chain_packet and the status each must produce. */
static void
parse_rejects_malformed_chain(void)
{
    static const struct {
        const char *name;
        size_t offset;
        uint8_t value;
        enum ip6_status expected;
    } cases[] = {
        {"version 5", 0, 0x50, IP6_BAD_VERSION},
        {"payload length past buffer", CHAIN_PAYLOAD_LEN_LO, 81, IP6_BAD_PAYLOAD_LENGTH},
        {"hop-by-hop after dest opts", CHAIN_DO1_NEXT, IP6_NH_HOP_BY_HOP, IP6_BAD_HOP_BY_HOP},
        {"option past header end", CHAIN_RA_LEN, 4, IP6_OPTION_TRUNCATED},
        {"unknown option, skip bits 01", CHAIN_RA_TYPE, 0x45, IP6_UNKNOWN_OPTION},
        {"unknown option, skip bits 10", CHAIN_RA_TYPE, 0x85, IP6_UNKNOWN_OPTION},
        {"unknown option, skip bits 11", CHAIN_RA_TYPE, 0xc5, IP6_UNKNOWN_OPTION},
        {"home address option length 15", CHAIN_HAO_LEN, 15, IP6_BAD_HAO_LENGTH},
        {"home address option length 17", CHAIN_HAO_LEN, 17, IP6_OPTION_TRUNCATED},
        {"RH2 Hdr Ext Len 1", CHAIN_RH2_EXT_LEN, 1, IP6_BAD_RH2_LENGTH},
        {"RH2 Hdr Ext Len 4", CHAIN_RH2_EXT_LEN, 4, IP6_BAD_RH2_LENGTH},
        {"RH2 Segments Left 0", CHAIN_RH2_SEGMENTS, 0, IP6_BAD_RH2_SEGMENTS},
        {"RH2 Segments Left 2", CHAIN_RH2_SEGMENTS, 2, IP6_BAD_RH2_SEGMENTS},
        {"routing type 0 with segments", CHAIN_RH2_TYPE, 0, IP6_BAD_ROUTING_HEADER},
        {"header longer than payload", CHAIN_DO2_EXT_LEN, 10, IP6_TRUNCATED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t buf[sizeof chain_packet];
        memcpy(buf, chain_packet, sizeof buf);
        buf[cases[i].offset] = cases[i].value;

        struct ip6_packet pkt;
        enum ip6_status status = parse_exact(buf, sizeof buf, &pkt);
        if (status != cases[i].expected)
            fprintf(stderr, "failing case: %s\n", cases[i].name);
        CHECK_EQ_INT(status, cases[i].expected);
    }
}

static void
parse_rejects_second_home_address_option(void)
{
    static const uint8_t packet[] = {0x60, 0, 0, 0, /* version 6 */
                                     0x00, 0x30,    /* payload length 48 */
                                     60, 64, COA_BYTES, HA_BYTES,
                                     /* Destination Options, 48 bytes, two Home Address options */
                                     59, 5, 1, 2, 0, 0, 201, 16, HOA_BYTES, 1, 4, 0, 0, 0, 0, 201,
                                     16, HOA_BYTES};
    struct ip6_packet pkt;
    CHECK_EQ_INT(parse_exact(packet, sizeof packet, &pkt), IP6_DUPLICATE_HAO);
}

static void
parse_rejects_second_rh2(void)
{
    static const uint8_t packet[] = {0x60, 0, 0, 0, /* version 6 */
                                     0x00, 0x30,    /* payload length 48 */
                                     43, 64, HA_BYTES, COA_BYTES,
                                     /* two type 2 routing headers */
                                     43, 2, 2, 1, 0, 0, 0, 0, HOA_BYTES, 59, 2, 2, 1, 0, 0, 0, 0,
                                     HOA_BYTES};
    struct ip6_packet pkt;
    CHECK_EQ_INT(parse_exact(packet, sizeof packet, &pkt), IP6_DUPLICATE_RH2);
}

static void
parse_rejects_every_truncation(void)
{
    struct ip6_packet pkt;
    for (size_t len = 0; len < sizeof chain_packet; len++) {
        enum ip6_status status = parse_exact(chain_packet, len, &pkt);
        CHECK_EQ_INT(status, len < IP6_HEADER_LEN ? IP6_TRUNCATED : IP6_BAD_PAYLOAD_LENGTH);
    }
}

/* Shrink Payload Length and the buffer together so that the buffer ends
 * inside each extension header in turn. */
static void
parse_rejects_every_short_payload(void)
{
    for (size_t payload = 0; payload <= 80; payload++) {
        uint8_t buf[sizeof chain_packet];
        memcpy(buf, chain_packet, sizeof buf);
        buf[CHAIN_PAYLOAD_LEN_LO] = (uint8_t)payload;

        struct ip6_packet pkt;
        enum ip6_status status = parse_exact(buf, IP6_HEADER_LEN + payload, &pkt);
        if (IP6_HEADER_LEN + payload < CHAIN_END_OF_HEADERS) {
            CHECK_EQ_INT(status, IP6_TRUNCATED);
        } else {
            CHECK_EQ_INT(status, IP6_OK);
            CHECK_EQ_INT(pkt.upper_len, IP6_HEADER_LEN + payload - CHAIN_END_OF_HEADERS);
        }
    }
}

/* Random byte edits: whatever the parser accepts must point inside the buffer. */
static void
parse_random_edits_stay_in_bounds(void)
{
    uint32_t state = 0x1234567;
    for (int round = 0; round < 20000; round++) {
        uint8_t buf[sizeof chain_packet];
        memcpy(buf, chain_packet, sizeof buf);
        for (int edits = 0; edits < 3; edits++) {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            buf[state % sizeof buf] = (uint8_t)(state >> 8);
        }

        struct ip6_packet pkt;
        if (parse_exact(buf, sizeof buf, &pkt) != IP6_OK)
            continue;
        CHECK(pkt.upper_offset + pkt.upper_len <= sizeof buf);
        CHECK(!pkt.has_hao || pkt.hao_offset + 16 <= sizeof buf);
        CHECK(!pkt.has_rh2 || pkt.rh2_offset + IP6_RH2_LEN <= sizeof buf);
    }
}

static void
write_header_known_bytes(void)
{
    static const uint8_t expected[] = {
        0x6a,      0xb1, 0x23, 0x45, /* version 6, traffic class 0xab, flow label 0x12345 */
        0x00,      0x18,             /* payload length 24 */
        60,                          /* next header: Destination Options */
        64,                          /* hop limit */
        COA_BYTES,                   /* source */
        HA_BYTES,                    /* destination */
    };
    struct ip6_header hdr = {.traffic_class = 0xab,
                             .flow_label = 0x12345,
                             .payload_len = 24,
                             .next_header = IP6_NH_DEST_OPTS,
                             .hop_limit = 64};
    memcpy(hdr.src, coa, 16);
    memcpy(hdr.dst, ha, 16);

    uint8_t buf[64];
    struct wr w = wr_init(buf, sizeof buf);
    CHECK_EQ_INT(ip6_write_header(&w, &hdr), IP6_OK);
    CHECK_EQ_INT(w.pos, sizeof expected);
    CHECK_EQ_MEM(buf, expected, sizeof expected);
}

static void
write_header_rejects_bad_fields(void)
{
    uint8_t buf[64];
    struct ip6_header hdr = {.flow_label = 0x100000};
    struct wr w = wr_init(buf, sizeof buf);
    CHECK_EQ_INT(ip6_write_header(&w, &hdr), IP6_BAD_FIELD);
    CHECK_EQ_INT(w.pos, 0);

    hdr.flow_label = 0;
    hdr.payload_len = IP6_MAX_PAYLOAD + 1;
    CHECK_EQ_INT(ip6_write_header(&w, &hdr), IP6_BAD_FIELD);
    CHECK_EQ_INT(w.pos, 0);

    struct wr small = wr_init(buf, IP6_HEADER_LEN - 1);
    hdr.payload_len = 0;
    CHECK_EQ_INT(ip6_write_header(&small, &hdr), IP6_NO_SPACE);
    CHECK_EQ_INT(small.pos, 0);
    CHECK(!wr_ok(&small));
}

static void
write_dest_opts_hao_known_bytes(void)
{
    static const uint8_t expected[] = {
        50,                 /* next header: ESP */
        2,                  /* Hdr Ext Len: (2 + 1) * 8 = 24 bytes */
        1,         2, 0, 0, /* PadN: type 1, length 2, two zero bytes */
        201,                /* Home Address option type, offset 6 = 8n+6 */
        16,                 /* Option Length */
        HOA_BYTES,          /* home address */
    };
    uint8_t buf[IP6_DO_HAO_LEN];
    struct wr w = wr_init(buf, sizeof buf);
    CHECK_EQ_INT(ip6_write_dest_opts_hao(&w, IP6_NH_ESP, hoa), IP6_OK);
    CHECK_EQ_INT(w.pos, IP6_DO_HAO_LEN);
    CHECK_EQ_MEM(buf, expected, sizeof expected);

    struct wr small = wr_init(buf, IP6_DO_HAO_LEN - 1);
    CHECK_EQ_INT(ip6_write_dest_opts_hao(&small, IP6_NH_ESP, hoa), IP6_NO_SPACE);
}

static void
write_rh2_known_bytes(void)
{
    static const uint8_t expected[] = {
        50,                 /* next header: ESP */
        2,                  /* Hdr Ext Len */
        2,                  /* Routing Type 2 */
        1,                  /* Segments Left */
        0,         0, 0, 0, /* Reserved */
        HOA_BYTES,          /* home address */
    };
    uint8_t buf[IP6_RH2_LEN];
    struct wr w = wr_init(buf, sizeof buf);
    CHECK_EQ_INT(ip6_write_rh2(&w, IP6_NH_ESP, hoa), IP6_OK);
    CHECK_EQ_INT(w.pos, IP6_RH2_LEN);
    CHECK_EQ_MEM(buf, expected, sizeof expected);

    struct wr small = wr_init(buf, IP6_RH2_LEN - 1);
    CHECK_EQ_INT(ip6_write_rh2(&small, IP6_NH_ESP, hoa), IP6_NO_SPACE);
}

/* The encoders together rebuild bu_packet and ba_packet minus the ESP part. */
static void
encoders_rebuild_rfc3776_packets(void)
{
    uint8_t buf[64];
    struct ip6_header hdr = {.payload_len = 40, .next_header = IP6_NH_DEST_OPTS, .hop_limit = 64};
    memcpy(hdr.src, coa, 16);
    memcpy(hdr.dst, ha, 16);
    struct wr w = wr_init(buf, sizeof buf);
    CHECK_EQ_INT(ip6_write_header(&w, &hdr), IP6_OK);
    CHECK_EQ_INT(ip6_write_dest_opts_hao(&w, IP6_NH_ESP, hoa), IP6_OK);
    CHECK_EQ_INT(w.pos, 64);
    CHECK_EQ_MEM(buf, bu_packet, 64);

    hdr.next_header = IP6_NH_ROUTING;
    hdr.hop_limit = 255;
    memcpy(hdr.src, ha, 16);
    memcpy(hdr.dst, coa, 16);
    w = wr_init(buf, sizeof buf);
    CHECK_EQ_INT(ip6_write_header(&w, &hdr), IP6_OK);
    CHECK_EQ_INT(ip6_write_rh2(&w, IP6_NH_ESP, hoa), IP6_OK);
    CHECK_EQ_MEM(buf, ba_packet, 64);
}

/*
 * Binding Refresh Request from 2001:db8::1 to 2001:db8::2, summed by hand:
 *   source      0x2001 + 0x0db8 + 0x0001      = 0x2dba
 *   destination 0x2001 + 0x0db8 + 0x0002      = 0x2dbb
 *   length 8, next header 135                 = 0x0008 + 0x0087
 *   message     0x3b00 (Payload Proto 59) + 0 = 0x3b00
 *   total 0x9704, no carry; checksum ~0x9704  = 0x68fb
 */
static void
checksum_known_value(void)
{
    static const uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x01};
    static const uint8_t dst[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x02};
    uint8_t brr[8] = {59, 0, 0, 0, 0x00, 0x00, 0, 0};

    CHECK_EQ_INT(ip6_checksum(src, dst, IP6_NH_MOBILITY, brr, sizeof brr), 0x68fb);

    brr[4] = 0x68;
    brr[5] = 0xfb;
    CHECK_EQ_INT(ip6_checksum(src, dst, IP6_NH_MOBILITY, brr, sizeof brr), 0);
}

/*
 * Naive reference: lay out pseudo-header and data in one array, add the
 * high bytes and the low bytes of all 16-bit words separately, and reduce
 * modulo 0xffff, which equals end-around-carry folding.
 */
static uint16_t
reference_checksum(const uint8_t *src, const uint8_t *dst, uint8_t next_header, const uint8_t *data,
                   size_t len)
{
    static uint8_t all[40 + 2048];
    size_t n = 0;
    memcpy(all, src, 16);
    memcpy(all + 16, dst, 16);
    all[32] = (uint8_t)(len >> 24);
    all[33] = (uint8_t)(len >> 16);
    all[34] = (uint8_t)(len >> 8);
    all[35] = (uint8_t)len;
    all[36] = all[37] = all[38] = 0;
    all[39] = next_header;
    memcpy(all + 40, data, len);
    n = 40 + len;
    if (n % 2)
        all[n++] = 0;

    unsigned long long high = 0, low = 0;
    for (size_t i = 0; i < n; i += 2) {
        high += all[i];
        low += all[i + 1];
    }
    unsigned long long total = high * 256 + low;
    unsigned long long folded = total % 0xffff;
    if (folded == 0 && total != 0)
        folded = 0xffff;
    return (uint16_t)(~folded & 0xffff);
}

static void
checksum_matches_reference(void)
{
    uint32_t state = 42;
    uint8_t src[16], dst[16], data[2048];
    for (int round = 0; round < 2000; round++) {
        for (size_t i = 0; i < sizeof data; i++) {
            state = state * 1103515245u + 12345u;
            data[i] = (uint8_t)(state >> 16);
        }
        memcpy(src, data + 100, 16);
        memcpy(dst, data + 200, 16);
        size_t len = (size_t)(state >> 8) % sizeof data;
        uint8_t next_header = data[7];

        CHECK_EQ_INT(ip6_checksum(src, dst, next_header, data, len),
                     reference_checksum(src, dst, next_header, data, len));
    }

    /* All-0xff data drives many carries through the fold. */
    memset(data, 0xff, sizeof data);
    memset(src, 0xff, 16);
    memset(dst, 0xff, 16);
    CHECK_EQ_INT(ip6_checksum(src, dst, 0xff, data, sizeof data),
                 reference_checksum(src, dst, 0xff, data, sizeof data));
}

static void
checksum_detects_each_flipped_bit(void)
{
    uint8_t msg[24];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 37 + 1);
    msg[4] = msg[5] = 0;
    uint16_t sum = ip6_checksum(hoa, ha, IP6_NH_MOBILITY, msg, sizeof msg);
    put_u16(msg + 4, sum);
    CHECK_EQ_INT(ip6_checksum(hoa, ha, IP6_NH_MOBILITY, msg, sizeof msg), 0);

    for (size_t bit = 0; bit < sizeof msg * 8; bit++) {
        msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        CHECK(ip6_checksum(hoa, ha, IP6_NH_MOBILITY, msg, sizeof msg) != 0);
        msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    /* The pseudo-header counts too: the care-of address as source fails. */
    CHECK(ip6_checksum(coa, ha, IP6_NH_MOBILITY, msg, sizeof msg) != 0);
}

static void
address_text_round_trip(void)
{
    static const struct {
        const char *text;
        const char *canonical;
    } cases[] = {
        {"2001:db8::1", "2001:db8::1"},
        {"2001:0DB8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"},
        {"::", "::"},
        {"::1", "::1"},
        {"fe80::211:22ff:fe33:4455", "fe80::211:22ff:fe33:4455"},
        {"ff02::1", "ff02::1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t addr[16];
        char text[IP6_ADDR_TEXT_LEN];
        CHECK_EQ_INT(ip6_addr_from_text(cases[i].text, addr), IP6_OK);
        CHECK(ip6_addr_to_text(addr, text, sizeof text) == text);
        CHECK(strcmp(text, cases[i].canonical) == 0);
    }

    uint8_t addr[16];
    CHECK_EQ_INT(ip6_addr_from_text("2001:db8::1", addr), IP6_OK);
    CHECK_EQ_MEM(addr, ((const uint8_t[16]){0x20, 0x01, 0x0d, 0xb8, [15] = 1}), 16);
}

static void
address_text_rejects_invalid(void)
{
    static const char *bad[] = {
        "", "2001:db8::g", "192.0.2.1", ":::", "2001:db8:1:2:3:4:5:6:7", "1::2::3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t addr[16];
        CHECK_EQ_INT(ip6_addr_from_text(bad[i], addr), IP6_BAD_ADDRESS_TEXT);
    }

    char small[IP6_ADDR_TEXT_LEN - 1];
    CHECK(ip6_addr_to_text(ha, small, sizeof small) == NULL);
}

static void
prefix_match_table(void)
{
    /* b differs from a only in bit 64 (the first interface-identifier bit). */
    static const uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0x00, [15] = 1};
    static const uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0x80, [15] = 1};
    static const struct {
        unsigned prefix_len;
        bool expected;
    } cases[] = {
        {0, true},   {1, true},    {48, true},   {63, true},   {64, true},
        {65, false}, {127, false}, {128, false}, {129, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_EQ_INT(ip6_prefix_match(a, b, cases[i].prefix_len), cases[i].expected);

    CHECK(ip6_prefix_match(a, a, 128));
    CHECK(!ip6_prefix_match(a, a, 129));
    CHECK(!ip6_prefix_match(ha, coa, 47)); /* 2001:db8:1:: against 2001:db8:2:: */
    CHECK(ip6_prefix_match(ha, coa, 46));
}

static void
eui64_from_mac(void)
{
    static const uint8_t prefix[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x02,
                                       0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};
    static const uint8_t mac[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
    static const uint8_t expected[16] = {
        0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x02, /* prefix 2001:db8:1:2::/64 */
        0x02, 0x11, 0x22,                               /* OUI with U/L bit inverted */
        0xff, 0xfe,                                     /* inserted ff:fe */
        0x33, 0x44, 0x55,                               /* rest of the MAC */
    };
    uint8_t out[16];
    ip6_addr_from_prefix_mac(out, prefix, mac);
    CHECK_EQ_MEM(out, expected, 16);

    /* A locally administered MAC gets the bit cleared. */
    static const uint8_t local_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
    uint8_t want[16];
    CHECK_EQ_INT(ip6_addr_from_text("2001:db8:1:2:0:ff:fe00:1", want), IP6_OK);
    ip6_addr_from_prefix_mac(out, prefix, local_mac);
    CHECK_EQ_MEM(out, want, 16);
}

static void
unicast_routable_table(void)
{
    static const struct {
        const char *text;
        bool expected;
    } cases[] = {
        {"2001:db8:1::100", true}, {"::2", true},      {"fec0::1", true},
        {"fe7f::1", true},         {"::", false},      {"::1", false},
        {"fe80::1", false},        {"febf::1", false}, {"ff02::1", false},
        {"ff0e::1", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t addr[16];
        CHECK_EQ_INT(ip6_addr_from_text(cases[i].text, addr), IP6_OK);
        if (ip6_addr_is_unicast_routable(addr) != cases[i].expected)
            fprintf(stderr, "failing case: %s\n", cases[i].text);
        CHECK_EQ_INT(ip6_addr_is_unicast_routable(addr), cases[i].expected);
    }
}

CHECK_MAIN(TEST(parse_bu_from_care_of_address), TEST(parse_ba_to_care_of_address),
           TEST(parse_full_extension_chain), TEST(parse_ignores_link_padding),
           TEST(parse_non_atomic_fragment_stops), TEST(parse_unknown_routing_type_without_segments),
           TEST(parse_rejects_malformed_chain), TEST(parse_rejects_second_home_address_option),
           TEST(parse_rejects_second_rh2), TEST(parse_rejects_every_truncation),
           TEST(parse_rejects_every_short_payload), TEST(parse_random_edits_stay_in_bounds),
           TEST(write_header_known_bytes), TEST(write_header_rejects_bad_fields),
           TEST(write_dest_opts_hao_known_bytes), TEST(write_rh2_known_bytes),
           TEST(encoders_rebuild_rfc3776_packets), TEST(checksum_known_value),
           TEST(checksum_matches_reference), TEST(checksum_detects_each_flipped_bit),
           TEST(address_text_round_trip), TEST(address_text_rejects_invalid),
           TEST(prefix_match_table), TEST(eui64_from_mac), TEST(unicast_routable_table))
