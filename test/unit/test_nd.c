/*
 * test_nd.c - Router Advertisement parsing for movement detection:
 * a known message byte by byte, the RFC 4861 §6.1.2 validity checks, and
 * every truncation.
 */
#include <string.h>

#include "check.h"
#include "nd.h"

static const uint8_t router[16] = {0xfe, 0x80, [15] = 1};
static const uint8_t global[16] = {0x20, 0x01, [15] = 1};

/* ICMPv6 RA with H set, a Prefix Information option and an Advertisement
 * Interval option. */
static const uint8_t ra[] = {
    134,
    0,
    0x12,
    0x34, /* type, code, checksum */
    64,
    0x20,
    0x07,
    0x08, /* cur hop limit, flags (H), router lifetime 1800 s */
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0, /* reachable time, retrans timer */
    /* Prefix Information: type 3, length 4, /64, L+A, valid 2592000 s, preferred 604800 s */
    3,
    4,
    64,
    0xc0,
    0x00,
    0x27,
    0x8d,
    0x00,
    0x00,
    0x09,
    0x3a,
    0x80,
    0,
    0,
    0,
    0,
    0x20,
    0x01,
    0x00,
    0x01,
    0x00,
    0x00,
    0x00,
    0x02,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    /* Advertisement Interval: type 7, length 1, reserved, 90 ms */
    7,
    1,
    0,
    0,
    0,
    0,
    0,
    90,
};

static void
test_known_ra(void)
{
    struct nd_ra out;
    CHECK_EQ_INT(nd_parse_ra(ra, sizeof ra, 255, router, &out), ND_OK);
    CHECK(out.home_agent);
    CHECK_EQ_INT(out.router_lifetime_s, 1800);
    CHECK_EQ_INT(out.n_prefixes, 1);
    CHECK_EQ_INT(out.prefixes[0].prefix_len, 64);
    CHECK(out.prefixes[0].on_link);
    CHECK(out.prefixes[0].autonomous);
    CHECK(!out.prefixes[0].router_addr);
    CHECK_EQ_INT(out.prefixes[0].valid_lifetime_s, 2592000);
    CHECK_EQ_INT(out.prefixes[0].preferred_lifetime_s, 604800);
    static const uint8_t prefix[16] = {0x20, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02};
    CHECK_EQ_MEM(out.prefixes[0].prefix, prefix, 16);
    CHECK(out.has_adv_interval);
    CHECK_EQ_INT(out.adv_interval_ms, 90);
}

static void
test_validity_checks(void)
{
    struct nd_ra out;
    uint8_t copy[sizeof ra];

    CHECK_EQ_INT(nd_parse_ra(ra, sizeof ra, 254, router, &out), ND_BAD_HOP_LIMIT);
    CHECK_EQ_INT(nd_parse_ra(ra, sizeof ra, 255, global, &out), ND_BAD_SOURCE);
    memcpy(copy, ra, sizeof ra);
    copy[1] = 1;
    CHECK_EQ_INT(nd_parse_ra(copy, sizeof copy, 255, router, &out), ND_BAD_CODE);
    copy[1] = 0;
    copy[0] = 133;
    CHECK_EQ_INT(nd_parse_ra(copy, sizeof copy, 255, router, &out), ND_NOT_RA);
    copy[0] = 134;
    copy[17] = 0; /* option length 0 */
    CHECK_EQ_INT(nd_parse_ra(copy, sizeof copy, 255, router, &out), ND_BAD_OPTION);
    copy[17] = 9; /* option runs past the end */
    CHECK_EQ_INT(nd_parse_ra(copy, sizeof copy, 255, router, &out), ND_BAD_OPTION);
}

static void
test_every_truncation(void)
{
    struct nd_ra out;
    for (size_t len = 0; len < sizeof ra; len++) {
        enum nd_status st = nd_parse_ra(ra, len, 255, router, &out);
        /* Cutting inside the fixed part or inside an option is an error;
         * cutting between options leaves a valid, shorter message. */
        if (len == 16 || len == 48)
            CHECK_EQ_INT(st, ND_OK);
        else
            CHECK(st == ND_TRUNCATED || st == ND_BAD_OPTION);
    }
}

CHECK_MAIN(TEST(test_known_ra), TEST(test_validity_checks), TEST(test_every_truncation))
