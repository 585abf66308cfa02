/*
 * test_pktinfo.c - the packet summary parser on hand-written packets,
 * on every truncation of them, and on random and mutated bytes.
 *
 * Addresses: CN fd00:3::1, home address fd00:1::64, HA fd00:1::1,
 * care-of address fd00:2::64, router fe80::1.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "check.h"
#include "pktinfo.h"

#define ADDR(net, host) 0xfd, 0x00, 0x00, net, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, host
#define CN ADDR(3, 0x01)
#define HOA ADDR(1, 0x64)
#define HA ADDR(1, 0x01)
#define COA ADDR(2, 0x64)
#define ROUTER_LL 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01
#define ALL_NODES 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01

static const uint8_t cn[16] = {CN}, hoa[16] = {HOA}, ha[16] = {HA}, coa[16] = {COA};

/* Packet bytes are laid out by header, so the formatter must not reflow them. */
// clang-format off
/* CN -> home address, UDP with ns-3's 12-byte SeqTsHeader, sequence 300. */
static const uint8_t udp_plain[] = {
    0x60, 0, 0, 0, 0x00, 0x14, 17, 64, /* version 6, payload 20, next header UDP */
    CN, HOA,
    0xc0, 0x01, 0x00, 0x09, 0x00, 0x14, 0xab, 0xcd, /* ports 49153 -> 9, length 20 */
    0x00, 0x00, 0x01, 0x2c,                         /* SeqTs sequence number 300 */
    0, 0, 0, 0, 0x3b, 0x9a, 0xca, 0x00,             /* SeqTs timestamp */
};

/* BU, care-of address -> HA: destination options with Home Address option, then ESP. */
static const uint8_t bu_hao_esp[] = {
    0x60, 0, 0, 0, 0x00, 0x30, 60, 64, /* payload 48, next header destination options */
    COA, HA,
    50, 2,                   /* next header ESP, Hdr Ext Len 2 (24 bytes) */
    1, 2, 0, 0,              /* PadN, 2 bytes of padding */
    201, 16, HOA,            /* Home Address option */
    0x00, 0x00, 0x10, 0x01,  /* SPI 0x1001 */
    0x00, 0x00, 0x00, 0x05,  /* sequence number 5 */
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, /* IV and ciphertext */
    0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00,
};

/* The same BU with Pad1 and a 3-byte PadN aligning the Home Address option at 8n+6. */
static const uint8_t bu_pad1_hao[] = {
    0x60, 0, 0, 0, 0x00, 0x20, 60, 64, COA, HA,
    50, 2, 0, 1, 1, 0, 201, 16, HOA,
    0x00, 0x00, 0x10, 0x01, 0x00, 0x00, 0x00, 0x06,
};

/* BA, HA -> care-of address: type 2 routing header with the home address, then ESP. */
static const uint8_t ba_rh2_esp[] = {
    0x60, 0, 0, 0, 0x00, 0x30, 43, 64, /* payload 48, next header routing */
    HA, COA,
    50, 2, 2, 1,             /* next header ESP, Hdr Ext Len 2, type 2, segments left 1 */
    0, 0, 0, 0,              /* reserved */
    HOA,
    0x00, 0x00, 0x20, 0x02,  /* SPI 0x2002 */
    0x00, 0x00, 0x00, 0x09,  /* sequence number 9 */
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
    0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00,
};

/* HA -> care-of address, IPv6-in-IPv6 carrying the CN's UDP datagram (sequence 301). */
static const uint8_t tunnel_udp[] = {
    0x60, 0, 0, 0, 0x00, 0x3c, 41, 64, /* payload 60, next header IPv6 */
    HA, COA,
    0x60, 0, 0, 0, 0x00, 0x14, 17, 63, /* inner header, payload 20, UDP */
    CN, HOA,
    0xc0, 0x01, 0x00, 0x09, 0x00, 0x14, 0xab, 0xcd,
    0x00, 0x00, 0x01, 0x2d, /* SeqTs sequence number 301 */
    0, 0, 0, 0, 0x3b, 0x9a, 0xca, 0x00,
};

/* Router advertisement, fe80::1 -> ff02::1, with the home agent (H) flag. */
static const uint8_t icmp_ra[] = {
    0x60, 0, 0, 0, 0x00, 0x10, 58, 255, /* payload 16, next header ICMPv6 */
    ROUTER_LL, ALL_NODES,
    134, 0, 0x12, 0x34,     /* type 134 router advertisement, code 0, checksum */
    64, 0x20, 0x07, 0x08,   /* hop limit 64, flags H, router lifetime 1800 s */
    0, 0, 0, 0, 0, 0, 0, 0, /* reachable time, retransmission timer */
};

/* HoTI in clear, HA -> CN: Mobility Header type 1. */
static const uint8_t mh_hoti[] = {
    0x60, 0, 0, 0, 0x00, 0x10, 135, 64, /* payload 16, next header Mobility Header */
    HOA, CN,
    59, 1, 1, 0,            /* payload proto none, Header Len 1, MH type 1 (HoTI), reserved */
    0xbe, 0xef, 0, 0,       /* checksum, reserved */
    1, 2, 3, 4, 5, 6, 7, 8, /* home init cookie */
};

/* Hop-by-hop options, destination options without HAO, then a BU in clear. */
static const uint8_t hbh_dstopt_mh[] = {
    0x60, 0, 0, 0, 0x00, 0x20, 0, 64, /* payload 32, next header hop-by-hop */
    HOA, HA,
    60, 0, 1, 4, 0, 0, 0, 0, /* next header dstopt, 8 bytes, PadN */
    135, 0, 0, 0, 1, 2, 0, 0, /* next header MH, 8 bytes, Pad1, Pad1, PadN */
    59, 1, 5, 0, 0, 0, 0, 7, /* MH type 5 (BU), sequence 7 */
    0xc0, 0, 0, 0x10, 1, 2, 0, 0,
};

/* UDP whose payload is 4 bytes: too short for a SeqTsHeader. */
static const uint8_t udp_short[] = {
    0x60, 0, 0, 0, 0x00, 0x0c, 17, 64, CN, HOA,
    0xc0, 0x01, 0x00, 0x09, 0x00, 0x0c, 0, 0, 0x00, 0x00, 0x01, 0x2c,
};

/* A non-first fragment of a UDP datagram: offset 168 bytes, no upper-layer header. */
static const uint8_t frag_later[] = {
    0x60, 0, 0, 0, 0x00, 0x18, 44, 64, CN, HOA,
    17, 0, 0x00, 0xa8, 0, 0, 0, 42, /* next header UDP, offset 21 * 8, id 42 */
    0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef,
};

/* The first fragment of a UDP datagram, captured to 20 bytes of its 1508-byte payload. */
static const uint8_t frag_first[] = {
    0x60, 0, 0, 0, 0x05, 0xe4, 44, 64, CN, HOA, /* payload 1508 */
    17, 0, 0x00, 0x01, 0, 0, 0, 42,
    0xc0, 0x01, 0x00, 0x09, 0x05, 0xdc, 0, 0, /* UDP length 1500 */
    0x00, 0x00, 0x00, 0x07,                   /* SeqTs sequence number 7 */
};

/* A tunnel whose inner packet is a non-first fragment. */
static const uint8_t tunnel_frag_later[] = {
    0x60, 0, 0, 0, 0x00, 0x38, 41, 64, HA, COA,
    0x60, 0, 0, 0, 0x00, 0x10, 44, 64, CN, HOA,
    17, 0, 0x00, 0xa8, 0, 0, 0, 42,
    0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef,
};

/* Version 4 in the first nibble. */
static const uint8_t not_ipv6[] = {
    0x45, 0, 0, 0, 0x00, 0x00, 17, 64, CN, HOA,
};

/* A tunnel inside a tunnel: only the first inner header is read. */
static const uint8_t tunnel_twice[] = {
    0x60, 0, 0, 0, 0x00, 0x50, 41, 64, HA, COA,
    0x60, 0, 0, 0, 0x00, 0x28, 41, 64, CN, HOA,
    0x60, 0, 0, 0, 0x00, 0x00, 59, 64, CN, HOA,
};

// clang-format on

struct known {
    const char *name;
    const uint8_t *bytes;
    size_t len;
};

#define KNOWN(array)                                                                               \
    {                                                                                              \
#array, array, sizeof array                                                                \
    }

static const struct known samples[] = {
    KNOWN(udp_plain),   KNOWN(bu_hao_esp),        KNOWN(ba_rh2_esp),    KNOWN(tunnel_udp),
    KNOWN(icmp_ra),     KNOWN(mh_hoti),           KNOWN(hbh_dstopt_mh), KNOWN(udp_short),
    KNOWN(frag_later),  KNOWN(frag_first),        KNOWN(not_ipv6),      KNOWN(tunnel_twice),
    KNOWN(bu_pad1_hao), KNOWN(tunnel_frag_later),
};

static void
check_chain(const struct pktinfo *pi, const char *expected)
{
    char text[PKTINFO_CHAIN_TEXT_MAX];
    pktinfo_chain_text(pi->chain, text, sizeof text);
    if (strcmp(text, expected) != 0) {
        fprintf(stderr, "%s:%d: chain is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, text,
                expected);
        check_failures++;
    }
}

static void
parse_udp_plain(void)
{
    struct pktinfo pi;
    pktinfo_parse(&pi, udp_plain, sizeof udp_plain);
    CHECK_EQ_INT(pi.flags, PKTINFO_IPV6 | PKTINFO_APP_SEQ);
    CHECK_EQ_MEM(pi.src, cn, 16);
    CHECK_EQ_MEM(pi.dst, hoa, 16);
    CHECK_EQ_INT(pi.protocol, 17);
    CHECK_EQ_INT(pi.app_seq, 300);
    CHECK_EQ_INT(pi.chain_len, 2);
    check_chain(&pi, "ipv6>udp");
}

static void
parse_bu_hao_esp(void)
{
    struct pktinfo pi;
    pktinfo_parse(&pi, bu_hao_esp, sizeof bu_hao_esp);
    CHECK_EQ_INT(pi.flags, PKTINFO_IPV6 | PKTINFO_HOA | PKTINFO_ESP);
    CHECK_EQ_MEM(pi.src, coa, 16);
    CHECK_EQ_MEM(pi.dst, ha, 16);
    CHECK_EQ_MEM(pi.hoa, hoa, 16);
    CHECK_EQ_INT(pi.protocol, 50);
    CHECK_EQ_INT(pi.spi, 0x1001);
    CHECK_EQ_INT(pi.esp_seq, 5);
    check_chain(&pi, "ipv6>dstopt>esp");

    pktinfo_parse(&pi, bu_pad1_hao, sizeof bu_pad1_hao);
    CHECK_EQ_INT(pi.flags, PKTINFO_IPV6 | PKTINFO_HOA | PKTINFO_ESP);
    CHECK_EQ_MEM(pi.hoa, hoa, 16);
    CHECK_EQ_INT(pi.esp_seq, 6);
}

static void
parse_ba_rh2_esp(void)
{
    struct pktinfo pi;
    pktinfo_parse(&pi, ba_rh2_esp, sizeof ba_rh2_esp);
    CHECK_EQ_INT(pi.flags, PKTINFO_IPV6 | PKTINFO_RH2 | PKTINFO_ESP);
    CHECK_EQ_MEM(pi.src, ha, 16);
    CHECK_EQ_MEM(pi.dst, coa, 16);
    CHECK_EQ_MEM(pi.rh2, hoa, 16);
    CHECK_EQ_INT(pi.protocol, 50);
    CHECK_EQ_INT(pi.spi, 0x2002);
    CHECK_EQ_INT(pi.esp_seq, 9);
    check_chain(&pi, "ipv6>rh2>esp");
}

static void
parse_tunnel_udp(void)
{
    struct pktinfo pi;
    pktinfo_parse(&pi, tunnel_udp, sizeof tunnel_udp);
    CHECK_EQ_INT(pi.flags, PKTINFO_IPV6 | PKTINFO_INNER | PKTINFO_APP_SEQ);
    CHECK_EQ_MEM(pi.src, ha, 16);
    CHECK_EQ_MEM(pi.dst, coa, 16);
    CHECK_EQ_INT(pi.protocol, 41);
    CHECK_EQ_MEM(pi.inner_src, cn, 16);
    CHECK_EQ_MEM(pi.inner_dst, hoa, 16);
    CHECK_EQ_INT(pi.inner_protocol, 17);
    CHECK_EQ_INT(pi.app_seq, 301);
    check_chain(&pi, "ipv6>ipv6>udp");
}

static void
parse_icmp_ra(void)
{
    struct pktinfo pi;
    pktinfo_parse(&pi, icmp_ra, sizeof icmp_ra);
    CHECK_EQ_INT(pi.flags, PKTINFO_IPV6 | PKTINFO_ICMP);
    CHECK_EQ_INT(pi.protocol, 58);
    CHECK_EQ_INT(pi.icmp_type, 134);
    CHECK_EQ_INT(pi.src[0], 0xfe);
    CHECK_EQ_INT(pi.dst[0], 0xff);
    check_chain(&pi, "ipv6>icmp6");
}

static void
parse_mh_in_clear(void)
{
    struct pktinfo pi;
    pktinfo_parse(&pi, mh_hoti, sizeof mh_hoti);
    CHECK_EQ_INT(pi.flags, PKTINFO_IPV6 | PKTINFO_MH);
    CHECK_EQ_INT(pi.protocol, 135);
    CHECK_EQ_INT(pi.mh_type, 1);
    check_chain(&pi, "ipv6>mh");

    pktinfo_parse(&pi, hbh_dstopt_mh, sizeof hbh_dstopt_mh);
    CHECK_EQ_INT(pi.flags, PKTINFO_IPV6 | PKTINFO_MH);
    CHECK_EQ_INT(pi.protocol, 135);
    CHECK_EQ_INT(pi.mh_type, 5);
    check_chain(&pi, "ipv6>hbh>dstopt>mh");
}

static void
parse_udp_short_payload(void)
{
    struct pktinfo pi;
    pktinfo_parse(&pi, udp_short, sizeof udp_short);
    CHECK_EQ_INT(pi.flags, PKTINFO_IPV6);
    CHECK_EQ_INT(pi.protocol, 17);
    CHECK_EQ_INT(pi.app_seq, 0);
}

static void
parse_fragments(void)
{
    struct pktinfo pi;
    pktinfo_parse(&pi, frag_later, sizeof frag_later);
    CHECK_EQ_INT(pi.flags, PKTINFO_IPV6 | PKTINFO_FRAGMENT);
    CHECK_EQ_INT(pi.protocol, 17);
    check_chain(&pi, "ipv6>frag");

    pktinfo_parse(&pi, frag_first, sizeof frag_first);
    CHECK_EQ_INT(pi.flags, PKTINFO_IPV6 | PKTINFO_APP_SEQ);
    CHECK_EQ_INT(pi.protocol, 17);
    CHECK_EQ_INT(pi.app_seq, 7);
    check_chain(&pi, "ipv6>frag>udp");

    /* PKTINFO_FRAGMENT describes the outer packet only. */
    pktinfo_parse(&pi, tunnel_frag_later, sizeof tunnel_frag_later);
    CHECK_EQ_INT(pi.flags, PKTINFO_IPV6 | PKTINFO_INNER);
    CHECK_EQ_INT(pi.protocol, 41);
    CHECK_EQ_INT(pi.inner_protocol, 17);
    check_chain(&pi, "ipv6>ipv6>frag");
}

static void
parse_bad_version_and_empty(void)
{
    struct pktinfo pi;
    pktinfo_parse(&pi, not_ipv6, sizeof not_ipv6);
    CHECK_EQ_INT(pi.flags, PKTINFO_BAD_VERSION);
    CHECK_EQ_INT(pi.chain, 0);

    pktinfo_parse(&pi, NULL, 0);
    CHECK_EQ_INT(pi.flags, PKTINFO_TRUNCATED);
    pktinfo_parse(&pi, NULL, 100);
    CHECK_EQ_INT(pi.flags, PKTINFO_TRUNCATED);
}

static void
parse_tunnel_in_tunnel(void)
{
    struct pktinfo pi;
    pktinfo_parse(&pi, tunnel_twice, sizeof tunnel_twice);
    CHECK_EQ_INT(pi.flags, PKTINFO_IPV6 | PKTINFO_INNER);
    CHECK_EQ_INT(pi.protocol, 41);
    CHECK_EQ_INT(pi.inner_protocol, 41);
    CHECK_EQ_MEM(pi.inner_src, cn, 16);
    check_chain(&pi, "ipv6>ipv6>ipv6");
}

static void
parse_trailing_bytes_ignored(void)
{
    /* Link-layer padding after the datagram lies outside Payload Length. */
    uint8_t padded[sizeof udp_short + 16];
    memcpy(padded, udp_short, sizeof udp_short);
    memset(padded + sizeof udp_short, 0xee, 16);
    struct pktinfo pi;
    pktinfo_parse(&pi, padded, sizeof padded);
    CHECK_EQ_INT(pi.flags, PKTINFO_IPV6);
    CHECK_EQ_INT(pi.app_seq, 0);
}

static void
parse_long_chain_is_cut(void)
{
    /* 20 destination options headers of 8 bytes each, then UDP. */
    uint8_t pkt[40 + 20 * 8 + 20] = {0x60, 0, 0, 0, 0, 20 * 8 + 20, 60, 64, CN, HOA};
    for (int i = 0; i < 20; i++) {
        uint8_t *h = pkt + 40 + 8 * i;
        h[0] = i == 19 ? 17 : 60;
        h[2] = 1; /* PadN, 4 bytes */
        h[3] = 4;
    }
    struct pktinfo pi;
    pktinfo_parse(&pi, pkt, sizeof pkt);
    CHECK(pi.flags & PKTINFO_CHAIN_CUT);
    CHECK_EQ_INT(pi.chain_len, PKTINFO_CHAIN_MAX);
    CHECK(!(pi.flags & PKTINFO_APP_SEQ));

    char text[PKTINFO_CHAIN_TEXT_MAX];
    size_t n = pktinfo_chain_text(pi.chain, text, sizeof text);
    CHECK_EQ_INT(n, strlen(text));
    CHECK_EQ_INT(n, 4 + 15 * 7); /* "ipv6" and 15 times ">dstopt" */
}

static void
chain_text_small_buffer(void)
{
    struct pktinfo pi;
    pktinfo_parse(&pi, bu_hao_esp, sizeof bu_hao_esp);
    char text[6];
    size_t n = pktinfo_chain_text(pi.chain, text, sizeof text);
    CHECK_EQ_INT(n, strlen("ipv6>dstopt>esp"));
    CHECK(strcmp(text, "ipv6>") == 0);
    CHECK_EQ_INT(pktinfo_chain_text(pi.chain, NULL, 0), n);
    CHECK(strcmp(pktinfo_hdr_name(PKTINFO_H_RH2), "rh2") == 0);
    CHECK(strcmp(pktinfo_hdr_name((enum pktinfo_hdr)15), "?") == 0);
}

/*
 * A summary of a prefix of a packet must agree with the full summary on
 * every field it marks valid.  It must set PKTINFO_TRUNCATED whenever it
 * marks fewer fields valid than the full summary does.
 */
static void
check_prefix_consistent(const struct known *k, size_t len, const struct pktinfo *full,
                        const struct pktinfo *part)
{
    uint32_t pf = part->flags & ~(uint32_t)PKTINFO_TRUNCATED;
    uint32_t ff = full->flags & ~(uint32_t)PKTINFO_TRUNCATED;
    int before = check_failures;

    CHECK((pf & ~ff) == 0);
    CHECK(pf == ff || (part->flags & PKTINFO_TRUNCATED));
    CHECK(part->chain_len <= full->chain_len);
    uint64_t mask = part->chain_len == 16 ? ~0ull : (1ull << (4 * part->chain_len)) - 1;
    CHECK(part->chain == (full->chain & mask));
    if (pf & PKTINFO_IPV6) {
        CHECK_EQ_MEM(part->src, full->src, 16);
        CHECK_EQ_MEM(part->dst, full->dst, 16);
    }
    if (!(part->flags & PKTINFO_TRUNCATED))
        CHECK_EQ_INT(part->protocol, full->protocol);
    if (pf & PKTINFO_HOA)
        CHECK_EQ_MEM(part->hoa, full->hoa, 16);
    if (pf & PKTINFO_RH2)
        CHECK_EQ_MEM(part->rh2, full->rh2, 16);
    if (pf & PKTINFO_INNER) {
        CHECK_EQ_MEM(part->inner_src, full->inner_src, 16);
        CHECK_EQ_MEM(part->inner_dst, full->inner_dst, 16);
    }
    if (pf & PKTINFO_MH)
        CHECK_EQ_INT(part->mh_type, full->mh_type);
    if (pf & PKTINFO_ICMP)
        CHECK_EQ_INT(part->icmp_type, full->icmp_type);
    if (pf & PKTINFO_ESP) {
        CHECK_EQ_INT(part->spi, full->spi);
        CHECK_EQ_INT(part->esp_seq, full->esp_seq);
    }
    if (pf & PKTINFO_APP_SEQ)
        CHECK_EQ_INT(part->app_seq, full->app_seq);
    if (check_failures != before)
        fprintf(stderr, "  in %s cut to %zu of %zu bytes\n", k->name, len, k->len);
}

static void
truncation_at_every_length(void)
{
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        const struct known *k = &samples[i];
        struct pktinfo full, part;
        pktinfo_parse(&full, k->bytes, k->len);
        CHECK(!(full.flags & PKTINFO_TRUNCATED));
        for (size_t len = 0; len < k->len; len++) {
            /* An exact-size heap copy lets AddressSanitizer catch any over-read. */
            uint8_t *copy = malloc(len ? len : 1);
            memcpy(copy, k->bytes, len);
            pktinfo_parse(&part, copy, len);
            free(copy);
            check_prefix_consistent(k, len, &full, &part);
            if (len < 40)
                CHECK_EQ_INT(part.flags, PKTINFO_TRUNCATED);
        }
    }
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t
rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static void
check_invariants(const struct pktinfo *pi)
{
    CHECK(pi->chain_len <= PKTINFO_CHAIN_MAX);
    char text[PKTINFO_CHAIN_TEXT_MAX];
    CHECK(pktinfo_chain_text(pi->chain, text, sizeof text) < sizeof text);
    if (!(pi->flags & PKTINFO_IPV6))
        CHECK((pi->flags & ~(uint32_t)(PKTINFO_TRUNCATED | PKTINFO_BAD_VERSION)) == 0);
}

static void
random_bytes_are_safe(void)
{
    static const uint8_t next_headers[] = {0, 43, 44, 60, 41, 50, 135, 17, 58, 59, 51, 6, 255};
    for (int round = 0; round < 200000; round++) {
        size_t len = rng() % 256;
        uint8_t *buf = malloc(len ? len : 1);
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)rng();
        /* Most rounds look like IPv6 with an interesting chain, so parsing goes deep. */
        if (len > 0 && round % 4 != 0)
            buf[0] = (uint8_t)(0x60 | (buf[0] & 0x0f));
        for (size_t at = 6; at < len && round % 2 == 0; at += 8 * (1 + rng() % 3))
            buf[at] = next_headers[rng() % sizeof next_headers];
        struct pktinfo pi;
        pktinfo_parse(&pi, buf, len);
        check_invariants(&pi);
        free(buf);
    }
}

static void
mutated_samples_are_safe(void)
{
    for (int round = 0; round < 100000; round++) {
        const struct known *k = &samples[rng() % (sizeof samples / sizeof samples[0])];
        uint8_t *buf = malloc(k->len);
        memcpy(buf, k->bytes, k->len);
        int flips = 1 + rng() % 4;
        for (int f = 0; f < flips; f++)
            buf[rng() % k->len] = (uint8_t)rng();
        struct pktinfo pi;
        pktinfo_parse(&pi, buf, k->len);
        check_invariants(&pi);
        free(buf);
    }
}

CHECK_MAIN(TEST(parse_udp_plain), TEST(parse_bu_hao_esp), TEST(parse_ba_rh2_esp),
           TEST(parse_tunnel_udp), TEST(parse_icmp_ra), TEST(parse_mh_in_clear),
           TEST(parse_udp_short_payload), TEST(parse_fragments), TEST(parse_bad_version_and_empty),
           TEST(parse_tunnel_in_tunnel), TEST(parse_trailing_bytes_ignored),
           TEST(parse_long_chain_is_cut), TEST(chain_text_small_buffer),
           TEST(truncation_at_every_length), TEST(random_bytes_are_safe),
           TEST(mutated_samples_are_safe))
