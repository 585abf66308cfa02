/*
 * test_icmp6.c - the ICMPv6 codec of home agent and prefix discovery
 * (RFC 6275 §6.5-§6.8), and the Home Agent Information option that
 * nd_parse_ra reads (RFC 6275 §7.4).
 *
 * Expected messages are written out by hand from RFC 6275 §6.5-§6.8 and
 * RFC 4861 §4.6.2.  Their checksums come from a separate Python script
 * that sums the pseudo-header and message as 16-bit words.  tshark 4.0.17
 * dissected the same five messages inside IPv6 packets, with the Home
 * Address option and type 2 routing header where the comments name them,
 * and marked every checksum correct.  The first test rechecks them with
 * the naive reference below.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cursor.h"
#include "icmp6.h"
#include "nd.h"

/* 2001:db8:1::1, the home agent. */
#define HA_BYTES 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x01
/* 2001:db8:1::2, a second home agent on the home link. */
#define HA2_BYTES 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x02
/* 2001:db8:1::, the home prefix. */
#define HOME_PREFIX_BYTES 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0

static const uint8_t ha[16] = {HA_BYTES};
static const uint8_t ha2[16] = {HA2_BYTES};
static const uint8_t home_prefix[16] = {HOME_PREFIX_BYTES};
/* 2001:db8:1::100, the mobile node's home address. */
static const uint8_t hoa[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, [14] = 0x01, [15] = 0x00};
/* 2001:db8:2::100, the mobile node's care-of address. */
static const uint8_t coa[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, [14] = 0x01, [15] = 0x00};
/* 2001:db8:1::fdff:ffff:ffff:fffe, the home agents' subnet anycast address
 * (RFC 2526 anycast ID 126 in a prefix with 64-bit interface IDs). */
static const uint8_t ha_anycast[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0,    0,
                                       0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe};

// clang-format off

/* Home Agent Address Discovery Request from the care-of address to the
 * anycast address, without a Home Address option: CoA -> anycast. */
static const uint8_t dhaad_request[8] = {
    144,        /* Type */
    0,          /* Code */
    0x03, 0x15, /* Checksum */
    0x12, 0x34, /* Identifier */
    0,    0,    /* Reserved */
};

/* Home Agent Address Discovery Reply listing two home agents, sent to
 * the care-of address without a routing header: HA -> CoA. */
static const uint8_t dhaad_reply[40] = {
    145,  0,    /* Type, Code */
    0xa4, 0x7b, /* Checksum */
    0x12, 0x34, /* Identifier copied from the Request */
    0,    0,    /* Reserved */
    HA_BYTES,   /* first home agent */
    HA2_BYTES,  /* second home agent */
};

/* RFC 3776 §3.3 Mobile Prefix Solicitation from the care-of address.  It
 * carries a Home Address option, so the pseudo-header source is the home
 * address: HoA -> HA. */
static const uint8_t mps[8] = {
    146,  0,    /* Type, Code */
    0x52, 0x58, /* Checksum */
    0xbe, 0xef, /* Identifier */
    0,    0,    /* Reserved */
};

/* RFC 3776 §3.3 Mobile Prefix Advertisement in reply to that Solicitation,
 * with two Prefix Information options.  It carries a type 2 routing
 * header, so the pseudo-header destination is the home address:
 * HA -> HoA. */
static const uint8_t mpa_two_prefixes[72] = {
    147,  0,                /* Type, Code */
    0x1c, 0x88,             /* Checksum */
    0xbe, 0xef,             /* Identifier copied from the Solicitation */
    0x00, 0x00,             /* M and O clear, Reserved */
    /* Prefix Information at offset 8: 2001:db8:1::/64, L and A, valid
     * 2592000 s, preferred 604800 s. */
    3,    4,                /* Type 3, Length 4 (32 bytes) */
    64,                     /* Prefix Length */
    0xc0,                   /* flags L (0x80) and A (0x40) */
    0x00, 0x27, 0x8d, 0x00, /* Valid Lifetime */
    0x00, 0x09, 0x3a, 0x80, /* Preferred Lifetime */
    0,    0,    0,    0,    /* Reserved2 */
    HOME_PREFIX_BYTES,      /* Prefix */
    /* Prefix Information at offset 40 with the R flag of RFC 6275 §7.2:
     * the home agent's full address, valid 86400 s, preferred 14400 s. */
    3,    4,                /* Type 3, Length 4 */
    64,                     /* Prefix Length */
    0xe0,                   /* flags L, A and R (0x20) */
    0x00, 0x01, 0x51, 0x80, /* Valid Lifetime */
    0x00, 0x00, 0x38, 0x40, /* Preferred Lifetime */
    0,    0,    0,    0,    /* Reserved2 */
    HA_BYTES,               /* the home agent's address */
};

/* Mobile Prefix Advertisement with M and O set and one /48 prefix with
 * infinite lifetimes: HA -> HoA. */
static const uint8_t mpa_managed_other[40] = {
    147,  0,                /* Type, Code */
    0xef, 0x21,             /* Checksum */
    0x00, 0x07,             /* Identifier */
    0xc0, 0x00,             /* flags M (0x80) and O (0x40), Reserved */
    3,    4,                /* Prefix Information, Length 4 */
    48,                     /* Prefix Length */
    0x40,                   /* flag A only */
    0xff, 0xff, 0xff, 0xff, /* Valid Lifetime: infinity */
    0xff, 0xff, 0xff, 0xff, /* Preferred Lifetime: infinity */
    0,    0,    0,    0,    /* Reserved2 */
    HOME_PREFIX_BYTES,      /* Prefix */
};

// clang-format on

/*
 * Naive reference for the ICMPv6 checksum (RFC 4443 §2.3): copy the
 * pseudo-header and the message into one array, add it up as big-endian
 * 16-bit words, fold the carries and complement.
 */
static uint16_t
reference_checksum(const uint8_t *src, const uint8_t *dst, const uint8_t *msg, size_t len)
{
    uint8_t *all = calloc(40 + len + 1, 1);
    memcpy(all, src, 16);
    memcpy(all + 16, dst, 16);
    all[32] = (uint8_t)(len >> 24);
    all[33] = (uint8_t)(len >> 16);
    all[34] = (uint8_t)(len >> 8);
    all[35] = (uint8_t)len;
    all[39] = 58; /* Next Header: ICMPv6 */
    memcpy(all + 40, msg, len);

    uint64_t sum = 0;
    for (size_t i = 0; i < 40 + len; i += 2)
        sum += (uint64_t)all[i] << 8 | all[i + 1];
    while (sum > 0xffff)
        sum = (sum & 0xffff) + (sum >> 16);
    free(all);
    return (uint16_t)~sum;
}

/* Rewrite the checksum of msg[0..len) with the naive reference. */
static void
fix_checksum(uint8_t *msg, size_t len, const uint8_t *src, const uint8_t *dst)
{
    msg[2] = msg[3] = 0;
    put_u16(msg + 2, reference_checksum(src, dst, msg, len));
}

/* Decode a copy in a heap block of exactly len bytes for AddressSanitizer. */
static enum icmp6_status
decode_exact(const uint8_t *buf, size_t len, const uint8_t *src, const uint8_t *dst,
             struct icmp6_msg *msg)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, buf, len);
    enum icmp6_status status = icmp6_decode(copy, len, src, dst, msg);
    free(copy);
    return status;
}

/* Encode msg and compare with the expected bytes. */
static void
check_encoding(const struct icmp6_msg *msg, const uint8_t *src, const uint8_t *dst,
               const uint8_t *expected, size_t expected_len)
{
    uint8_t buf[512];
    memset(buf, 0xee, sizeof buf);
    struct wr w = wr_init(buf, sizeof buf);
    CHECK_EQ_INT(icmp6_encode(&w, msg, src, dst), ICMP6_OK);
    CHECK_EQ_INT(w.pos, expected_len);
    CHECK_EQ_MEM(buf, expected, expected_len);
}

static struct nd_prefix
make_prefix(const uint8_t *prefix, uint8_t prefix_len, bool l, bool a, bool r, uint32_t valid,
            uint32_t preferred)
{
    struct nd_prefix p = {.prefix_len = prefix_len,
                          .on_link = l,
                          .autonomous = a,
                          .router_addr = r,
                          .valid_lifetime_s = valid,
                          .preferred_lifetime_s = preferred};
    memcpy(p.prefix, prefix, 16);
    return p;
}

static void
check_same_prefix(const struct nd_prefix *got, const struct nd_prefix *want)
{
    CHECK_EQ_MEM(got->prefix, want->prefix, 16);
    CHECK_EQ_INT(got->prefix_len, want->prefix_len);
    CHECK_EQ_INT(got->on_link, want->on_link);
    CHECK_EQ_INT(got->autonomous, want->autonomous);
    CHECK_EQ_INT(got->router_addr, want->router_addr);
    CHECK_EQ_INT(got->valid_lifetime_s, want->valid_lifetime_s);
    CHECK_EQ_INT(got->preferred_lifetime_s, want->preferred_lifetime_s);
}

/* The two prefixes of mpa_two_prefixes. */
static struct icmp6_msg
mpa_two_prefixes_msg(void)
{
    struct icmp6_msg msg = {.type = ICMP6_MPA, .id = 0xbeef};
    msg.mpa.n_prefixes = 2;
    msg.mpa.prefixes[0] = make_prefix(home_prefix, 64, true, true, false, 2592000, 604800);
    msg.mpa.prefixes[1] = make_prefix(ha, 64, true, true, true, 86400, 14400);
    return msg;
}

/* ---- known-answer tests ---- */

static void
hand_checksums_match_reference(void)
{
    CHECK_EQ_INT(reference_checksum(coa, ha_anycast, dhaad_request, 8), 0);
    CHECK_EQ_INT(reference_checksum(ha, coa, dhaad_reply, 40), 0);
    CHECK_EQ_INT(reference_checksum(hoa, ha, mps, 8), 0);
    CHECK_EQ_INT(reference_checksum(ha, hoa, mpa_two_prefixes, 72), 0);
    CHECK_EQ_INT(reference_checksum(ha, hoa, mpa_managed_other, 40), 0);

    /* The stored value is what the reference computes with the field zeroed. */
    uint8_t copy[72];
    memcpy(copy, mpa_two_prefixes, sizeof copy);
    copy[2] = copy[3] = 0;
    CHECK_EQ_INT(reference_checksum(ha, hoa, copy, sizeof copy), 0x1c88);
    memcpy(copy, dhaad_request, 8);
    copy[2] = copy[3] = 0;
    CHECK_EQ_INT(reference_checksum(coa, ha_anycast, copy, 8), 0x0315);
}

static void
encode_dhaad_request(void)
{
    struct icmp6_msg msg = {.type = ICMP6_DHAAD_REQUEST, .id = 0x1234};
    check_encoding(&msg, coa, ha_anycast, dhaad_request, sizeof dhaad_request);
}

static void
encode_dhaad_reply(void)
{
    struct icmp6_msg msg = {.type = ICMP6_DHAAD_REPLY, .id = 0x1234};
    msg.dhaad_reply.n_addresses = 2;
    memcpy(msg.dhaad_reply.addresses[0], ha, 16);
    memcpy(msg.dhaad_reply.addresses[1], ha2, 16);
    check_encoding(&msg, ha, coa, dhaad_reply, sizeof dhaad_reply);
}

static void
encode_mps(void)
{
    struct icmp6_msg msg = {.type = ICMP6_MPS, .id = 0xbeef};
    check_encoding(&msg, hoa, ha, mps, sizeof mps);
}

static void
encode_mpa_two_prefixes(void)
{
    struct icmp6_msg msg = mpa_two_prefixes_msg();
    check_encoding(&msg, ha, hoa, mpa_two_prefixes, sizeof mpa_two_prefixes);
}

static void
encode_mpa_managed_other(void)
{
    struct icmp6_msg msg = {.type = ICMP6_MPA, .id = 7};
    msg.mpa.managed = true;
    msg.mpa.other = true;
    msg.mpa.n_prefixes = 1;
    msg.mpa.prefixes[0] =
        make_prefix(home_prefix, 48, false, true, false, 0xffffffffu, 0xffffffffu);
    check_encoding(&msg, ha, hoa, mpa_managed_other, sizeof mpa_managed_other);
}

static void
decode_dhaad_request(void)
{
    struct icmp6_msg msg;
    CHECK_EQ_INT(decode_exact(dhaad_request, 8, coa, ha_anycast, &msg), ICMP6_OK);
    CHECK_EQ_INT(msg.type, ICMP6_DHAAD_REQUEST);
    CHECK_EQ_INT(msg.id, 0x1234);
    CHECK_EQ_INT(msg.len, 8);
}

static void
decode_dhaad_reply(void)
{
    struct icmp6_msg msg;
    CHECK_EQ_INT(decode_exact(dhaad_reply, 40, ha, coa, &msg), ICMP6_OK);
    CHECK_EQ_INT(msg.type, ICMP6_DHAAD_REPLY);
    CHECK_EQ_INT(msg.id, 0x1234);
    CHECK_EQ_INT(msg.dhaad_reply.n_addresses, 2);
    CHECK_EQ_INT(msg.dhaad_reply.n_not_stored, 0);
    CHECK_EQ_MEM(msg.dhaad_reply.addresses[0], ha, 16);
    CHECK_EQ_MEM(msg.dhaad_reply.addresses[1], ha2, 16);
}

static void
decode_mps(void)
{
    struct icmp6_msg msg;
    CHECK_EQ_INT(decode_exact(mps, 8, hoa, ha, &msg), ICMP6_OK);
    CHECK_EQ_INT(msg.type, ICMP6_MPS);
    CHECK_EQ_INT(msg.id, 0xbeef);
}

static void
decode_mpa_two_prefixes(void)
{
    struct icmp6_msg msg;
    struct icmp6_msg want = mpa_two_prefixes_msg();
    CHECK_EQ_INT(decode_exact(mpa_two_prefixes, 72, ha, hoa, &msg), ICMP6_OK);
    CHECK_EQ_INT(msg.type, ICMP6_MPA);
    CHECK_EQ_INT(msg.id, 0xbeef);
    CHECK(!msg.mpa.managed);
    CHECK(!msg.mpa.other);
    CHECK_EQ_INT(msg.mpa.n_prefixes, 2);
    CHECK_EQ_INT(msg.mpa.n_not_stored, 0);
    check_same_prefix(&msg.mpa.prefixes[0], &want.mpa.prefixes[0]);
    check_same_prefix(&msg.mpa.prefixes[1], &want.mpa.prefixes[1]);
    CHECK(!msg.mpa.prefixes[0].router_addr);
    CHECK(msg.mpa.prefixes[1].router_addr);
}

static void
decode_mpa_managed_other(void)
{
    struct icmp6_msg msg;
    CHECK_EQ_INT(decode_exact(mpa_managed_other, 40, ha, hoa, &msg), ICMP6_OK);
    CHECK(msg.mpa.managed);
    CHECK(msg.mpa.other);
    CHECK_EQ_INT(msg.mpa.n_prefixes, 1);
    CHECK_EQ_INT(msg.mpa.prefixes[0].prefix_len, 48);
    CHECK(!msg.mpa.prefixes[0].on_link);
    CHECK(msg.mpa.prefixes[0].autonomous);
    CHECK_EQ_INT(msg.mpa.prefixes[0].valid_lifetime_s, 0xffffffffu);
    CHECK_EQ_INT(msg.mpa.prefixes[0].preferred_lifetime_s, 0xffffffffu);
}

/* ---- pseudo-header addresses ---- */

static void
mps_checksum_uses_home_address(void)
{
    struct icmp6_msg msg;
    /* With a Home Address option the receiver sums over the home address.
     * The care-of address from the IPv6 header gives a bad checksum. */
    CHECK_EQ_INT(decode_exact(mps, 8, hoa, ha, &msg), ICMP6_OK);
    CHECK_EQ_INT(decode_exact(mps, 8, coa, ha, &msg), ICMP6_BAD_CHECKSUM);
}

static void
mpa_checksum_uses_home_address(void)
{
    struct icmp6_msg msg;
    /* With a type 2 routing header the final destination is the home address. */
    CHECK_EQ_INT(decode_exact(mpa_two_prefixes, 72, ha, hoa, &msg), ICMP6_OK);
    CHECK_EQ_INT(decode_exact(mpa_two_prefixes, 72, ha, coa, &msg), ICMP6_BAD_CHECKSUM);
}

static void
checksum_detects_each_flipped_bit(void)
{
    struct icmp6_msg msg;
    uint8_t copy[sizeof mpa_two_prefixes];
    for (size_t bit = 0; bit < 8 * sizeof copy; bit++) {
        memcpy(copy, mpa_two_prefixes, sizeof copy);
        copy[bit / 8] ^= (uint8_t)(0x80 >> bit % 8);
        CHECK_EQ_INT(decode_exact(copy, sizeof copy, ha, hoa, &msg), ICMP6_BAD_CHECKSUM);
    }
}

/* Small deterministic generator for the differential test. */
static uint32_t
next_random(uint32_t *state)
{
    *state = *state * 1103515245u + 12345u;
    return *state >> 8;
}

static void
encoder_checksum_matches_reference(void)
{
    uint32_t state = 1;
    for (int round = 0; round < 500; round++) {
        struct icmp6_msg msg = {.type = ICMP6_MPA, .id = (uint16_t)next_random(&state)};
        uint8_t src[16], dst[16];
        for (int i = 0; i < 16; i++) {
            src[i] = (uint8_t)next_random(&state);
            dst[i] = (uint8_t)next_random(&state);
        }
        msg.mpa.managed = next_random(&state) & 1;
        msg.mpa.other = next_random(&state) & 1;
        msg.mpa.n_prefixes = 1 + next_random(&state) % ICMP6_MAX_PREFIXES;
        for (size_t k = 0; k < msg.mpa.n_prefixes; k++) {
            struct nd_prefix *p = &msg.mpa.prefixes[k];
            for (int i = 0; i < 16; i++)
                p->prefix[i] = (uint8_t)next_random(&state);
            p->prefix_len = (uint8_t)(next_random(&state) % 129);
            p->on_link = next_random(&state) & 1;
            p->autonomous = next_random(&state) & 1;
            p->router_addr = next_random(&state) & 1;
            p->valid_lifetime_s = next_random(&state);
            p->preferred_lifetime_s = next_random(&state);
        }

        uint8_t buf[512];
        struct wr w = wr_init(buf, sizeof buf);
        CHECK_EQ_INT(icmp6_encode(&w, &msg, src, dst), ICMP6_OK);
        uint16_t stored = get_u16(buf + 2);
        buf[2] = buf[3] = 0;
        CHECK_EQ_INT(reference_checksum(src, dst, buf, w.pos), stored);
    }
}

/* ---- truncation ---- */

static void
every_truncation_of_fixed_part(void)
{
    const struct {
        const uint8_t *bytes;
        const uint8_t *src, *dst;
    } cases[] = {
        {dhaad_request, coa, ha_anycast},
        {dhaad_reply, ha, coa},
        {mps, hoa, ha},
        {mpa_two_prefixes, ha, hoa},
    };
    struct icmp6_msg msg;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (size_t len = 0; len < ICMP6_FIXED_LEN; len++)
            CHECK_EQ_INT(decode_exact(cases[c].bytes, len, cases[c].src, cases[c].dst, &msg),
                         ICMP6_TRUNCATED);
    }
}

static void
every_truncation_of_reply(void)
{
    struct icmp6_msg msg;
    uint8_t copy[sizeof dhaad_reply];
    for (size_t len = ICMP6_FIXED_LEN; len < sizeof dhaad_reply; len++) {
        /* Cut without fixing the checksum: always detected. */
        CHECK_EQ_INT(decode_exact(dhaad_reply, len, ha, coa, &msg), ICMP6_BAD_CHECKSUM);

        /* Cut and re-checksummed: only whole addresses are valid. */
        memcpy(copy, dhaad_reply, len);
        fix_checksum(copy, len, ha, coa);
        enum icmp6_status status = decode_exact(copy, len, ha, coa, &msg);
        if ((len - ICMP6_FIXED_LEN) % 16 == 0) {
            CHECK_EQ_INT(status, ICMP6_OK);
            CHECK_EQ_INT(msg.dhaad_reply.n_addresses, (len - ICMP6_FIXED_LEN) / 16);
        } else {
            CHECK_EQ_INT(status, ICMP6_BAD_ADDRESS_LIST);
        }
    }
}

static void
every_truncation_of_mpa(void)
{
    struct icmp6_msg msg;
    uint8_t copy[sizeof mpa_two_prefixes];
    for (size_t len = ICMP6_FIXED_LEN; len < sizeof mpa_two_prefixes; len++) {
        CHECK_EQ_INT(decode_exact(mpa_two_prefixes, len, ha, hoa, &msg), ICMP6_BAD_CHECKSUM);

        memcpy(copy, mpa_two_prefixes, len);
        fix_checksum(copy, len, ha, hoa);
        enum icmp6_status status = decode_exact(copy, len, ha, hoa, &msg);
        if (len == ICMP6_FIXED_LEN) {
            CHECK_EQ_INT(status, ICMP6_NO_PREFIX);
        } else if (len == ICMP6_FIXED_LEN + ICMP6_PREFIX_OPTION_LEN) {
            CHECK_EQ_INT(status, ICMP6_OK); /* the first option alone */
            CHECK_EQ_INT(msg.mpa.n_prefixes, 1);
        } else {
            CHECK_EQ_INT(status, ICMP6_OPTION_TRUNCATED);
        }
    }
}

/* ---- malformed input ---- */

struct byte_change {
    size_t at;
    uint8_t value;
};

/* One row of the malformed-input table: start from a known message, change bytes, decode. */
struct malformed_case {
    const char *name;
    const uint8_t *base;
    size_t base_len;
    size_t n_changes;
    struct byte_change changes[2];
    size_t len;         /* length to decode, 0 for base_len */
    bool keep_checksum; /* leave the checksum as it was instead of recomputing it */
    enum icmp6_status want;
};

static const struct malformed_case malformed[] = {
    {"type 1, an error message", mps, 8, 1, {{0, 1}}, 0, false, ICMP6_UNKNOWN_TYPE},
    {"type 134, a router advertisement", mps, 8, 1, {{0, 134}}, 0, false, ICMP6_UNKNOWN_TYPE},
    {"type 143", mps, 8, 1, {{0, 143}}, 0, false, ICMP6_UNKNOWN_TYPE},
    {"type 148", mps, 8, 1, {{0, 148}}, 0, false, ICMP6_UNKNOWN_TYPE},
    {"code 1 in a request", dhaad_request, 8, 1, {{1, 1}}, 0, false, ICMP6_BAD_CODE},
    {"code 255 in an advertisement", mpa_two_prefixes, 72, 1, {{1, 255}}, 0, false, ICMP6_BAD_CODE},
    {"checksum off by one", mps, 8, 1, {{3, 0x59}}, 0, true, ICMP6_BAD_CHECKSUM},
    {"reply with a partial address", dhaad_reply, 40, 0, {{0}}, 39, false, ICMP6_BAD_ADDRESS_LIST},
    {"option length 0", mpa_two_prefixes, 72, 1, {{9, 0}}, 0, false, ICMP6_ZERO_OPTION_LENGTH},
    {"second option length 0",
     mpa_two_prefixes,
     72,
     1,
     {{41, 0}},
     0,
     false,
     ICMP6_ZERO_OPTION_LENGTH},
    {"last option runs past the end",
     mpa_two_prefixes,
     72,
     1,
     {{41, 5}},
     0,
     false,
     ICMP6_OPTION_TRUNCATED},
    {"option length 255", mpa_two_prefixes, 72, 1, {{9, 255}}, 0, false, ICMP6_OPTION_TRUNCATED},
    {"prefix option length 3",
     mpa_two_prefixes,
     72,
     1,
     {{9, 3}},
     0,
     false,
     ICMP6_BAD_PREFIX_OPTION_LENGTH},
    {"prefix option length 5",
     mpa_two_prefixes,
     72,
     1,
     {{9, 5}},
     0,
     false,
     ICMP6_BAD_PREFIX_OPTION_LENGTH},
    {"prefix length 129", mpa_two_prefixes, 72, 1, {{10, 129}}, 0, false, ICMP6_BAD_PREFIX_LENGTH},
    {"second prefix length 255",
     mpa_two_prefixes,
     72,
     1,
     {{42, 255}},
     0,
     false,
     ICMP6_BAD_PREFIX_LENGTH},
    {"advertisement without options", mpa_two_prefixes, 72, 0, {{0}}, 8, false, ICMP6_NO_PREFIX},
    {"advertisement with only unknown options",
     mpa_two_prefixes,
     72,
     2,
     {{8, 200}, {40, 201}},
     0,
     false,
     ICMP6_NO_PREFIX},
    {"unknown option before a prefix", mpa_two_prefixes, 72, 1, {{8, 200}}, 0, false, ICMP6_OK},
    {"prefix length 128 is valid", mpa_two_prefixes, 72, 1, {{10, 128}}, 0, false, ICMP6_OK},
    {"advertisement reserved bits ignored",
     mpa_two_prefixes,
     72,
     2,
     {{6, 0x3f}, {7, 0xff}},
     0,
     false,
     ICMP6_OK},
    {"request reserved bits ignored",
     dhaad_request,
     8,
     2,
     {{6, 0xff}, {7, 0xff}},
     0,
     false,
     ICMP6_OK},
};

static void
malformed_input_table(void)
{
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        const struct malformed_case *c = &malformed[i];
        uint8_t buf[128];
        size_t len = c->len ? c->len : c->base_len;

        memcpy(buf, c->base, c->base_len);
        for (size_t k = 0; k < c->n_changes; k++)
            buf[c->changes[k].at] = c->changes[k].value;
        if (!c->keep_checksum)
            fix_checksum(buf, len, ha, hoa);

        struct icmp6_msg msg;
        enum icmp6_status got = decode_exact(buf, len, ha, hoa, &msg);
        if (got != c->want)
            fprintf(stderr, "malformed case \"%s\": got \"%s\", expected \"%s\"\n", c->name,
                    icmp6_status_name(got), icmp6_status_name(c->want));
        CHECK_EQ_INT(got, c->want);
    }
}

/* Build an MPS of 8 bytes plus the given options, with a correct checksum. */
static size_t
build_mps_with_options(uint8_t *buf, const uint8_t *options, size_t options_len)
{
    memcpy(buf, mps, 8);
    memcpy(buf + 8, options, options_len);
    fix_checksum(buf, 8 + options_len, hoa, ha);
    return 8 + options_len;
}

static void
mps_options_are_checked_and_skipped(void)
{
    uint8_t buf[64];
    struct icmp6_msg msg;

    /* RFC 6275 §6.7: unknown options are ignored, even a Prefix
     * Information option with a bad Prefix Length. */
    static const uint8_t unknown[] = {200, 1, 1, 2, 3, 4, 5, 6};
    size_t len = build_mps_with_options(buf, unknown, sizeof unknown);
    CHECK_EQ_INT(decode_exact(buf, len, hoa, ha, &msg), ICMP6_OK);
    uint8_t prefix[32] = {3, 4, 200};
    len = build_mps_with_options(buf, prefix, sizeof prefix);
    CHECK_EQ_INT(decode_exact(buf, len, hoa, ha, &msg), ICMP6_OK);

    /* The option format itself is still checked. */
    static const uint8_t zero[] = {200, 0, 0, 0, 0, 0, 0, 0};
    len = build_mps_with_options(buf, zero, sizeof zero);
    CHECK_EQ_INT(decode_exact(buf, len, hoa, ha, &msg), ICMP6_ZERO_OPTION_LENGTH);
    static const uint8_t long_option[] = {200, 2, 0, 0, 0, 0, 0, 0};
    len = build_mps_with_options(buf, long_option, sizeof long_option);
    CHECK_EQ_INT(decode_exact(buf, len, hoa, ha, &msg), ICMP6_OPTION_TRUNCATED);
    static const uint8_t lone_byte[] = {200};
    len = build_mps_with_options(buf, lone_byte, sizeof lone_byte);
    CHECK_EQ_INT(decode_exact(buf, len, hoa, ha, &msg), ICMP6_OPTION_TRUNCATED);
}

static void
request_ignores_trailing_bytes(void)
{
    uint8_t buf[16] = {0};
    struct icmp6_msg msg;
    memcpy(buf, dhaad_request, 8);
    buf[8] = 0xaa;
    fix_checksum(buf, sizeof buf, coa, ha_anycast);
    CHECK_EQ_INT(decode_exact(buf, sizeof buf, coa, ha_anycast, &msg), ICMP6_OK);
    CHECK_EQ_INT(msg.id, 0x1234);
    CHECK_EQ_INT(msg.len, 16);
}

static void
longer_than_ipv6_payload_rejected(void)
{
    size_t len = 65536;
    uint8_t *buf = calloc(len, 1);
    struct icmp6_msg msg;
    memcpy(buf, mps, 8);
    CHECK_EQ_INT(icmp6_decode(buf, len, hoa, ha, &msg), ICMP6_TOO_LONG);
    CHECK_EQ_INT(icmp6_decode(buf, len - 1, hoa, ha, &msg), ICMP6_BAD_CHECKSUM);
    free(buf);
}

/* ---- storage limits ---- */

static void
mpa_beyond_storage_limit_counted(void)
{
    size_t n = ICMP6_MAX_PREFIXES + 1;
    size_t len = 8 + n * ICMP6_PREFIX_OPTION_LEN;
    uint8_t *buf = calloc(len, 1);
    struct icmp6_msg msg;

    memcpy(buf, mpa_two_prefixes, 8);
    for (size_t i = 0; i < n; i++) {
        uint8_t *opt = buf + 8 + i * ICMP6_PREFIX_OPTION_LEN;
        memcpy(opt, mpa_two_prefixes + 8, ICMP6_PREFIX_OPTION_LEN);
        opt[2] = (uint8_t)(64 + i); /* a distinct Prefix Length per option */
    }
    fix_checksum(buf, len, ha, hoa);
    CHECK_EQ_INT(decode_exact(buf, len, ha, hoa, &msg), ICMP6_OK);
    CHECK_EQ_INT(msg.mpa.n_prefixes, ICMP6_MAX_PREFIXES);
    CHECK_EQ_INT(msg.mpa.n_not_stored, 1);
    CHECK_EQ_INT(msg.mpa.prefixes[ICMP6_MAX_PREFIXES - 1].prefix_len, 64 + ICMP6_MAX_PREFIXES - 1);

    /* An option past the limit is still validated. */
    buf[8 + (n - 1) * ICMP6_PREFIX_OPTION_LEN + 2] = 129;
    fix_checksum(buf, len, ha, hoa);
    CHECK_EQ_INT(decode_exact(buf, len, ha, hoa, &msg), ICMP6_BAD_PREFIX_LENGTH);
    free(buf);
}

static void
reply_beyond_storage_limit_counted(void)
{
    size_t n = ICMP6_MAX_HA_ADDRESSES + 2;
    size_t len = 8 + n * 16;
    uint8_t *buf = calloc(len, 1);
    struct icmp6_msg msg;

    memcpy(buf, dhaad_reply, 8);
    for (size_t i = 0; i < n; i++) {
        memcpy(buf + 8 + i * 16, ha, 16);
        buf[8 + i * 16 + 15] = (uint8_t)(i + 1);
    }
    fix_checksum(buf, len, ha, hoa);
    CHECK_EQ_INT(decode_exact(buf, len, ha, hoa, &msg), ICMP6_OK);
    CHECK_EQ_INT(msg.dhaad_reply.n_addresses, ICMP6_MAX_HA_ADDRESSES);
    CHECK_EQ_INT(msg.dhaad_reply.n_not_stored, 2);
    CHECK_EQ_INT(msg.dhaad_reply.addresses[0][15], 1);
    CHECK_EQ_INT(msg.dhaad_reply.addresses[ICMP6_MAX_HA_ADDRESSES - 1][15], ICMP6_MAX_HA_ADDRESSES);
    free(buf);
}

/* ---- encoder input checks ---- */

static void
check_encoder_rejects(const struct icmp6_msg *msg, enum icmp6_status want)
{
    uint8_t buf[512];
    struct wr w = wr_init(buf, sizeof buf);
    CHECK_EQ_INT(icmp6_encode(&w, msg, ha, hoa), want);
    CHECK_EQ_INT(w.pos, 0);
    CHECK(wr_ok(&w));
}

static void
encoder_rejects_invalid_input(void)
{
    struct icmp6_msg msg = mpa_two_prefixes_msg();
    msg.mpa.n_prefixes = 0;
    check_encoder_rejects(&msg, ICMP6_BAD_FIELD);
    msg.mpa.n_prefixes = ICMP6_MAX_PREFIXES + 1;
    check_encoder_rejects(&msg, ICMP6_BAD_FIELD);

    msg = mpa_two_prefixes_msg();
    msg.mpa.prefixes[1].prefix_len = 129;
    check_encoder_rejects(&msg, ICMP6_BAD_FIELD);

    struct icmp6_msg reply = {.type = ICMP6_DHAAD_REPLY};
    reply.dhaad_reply.n_addresses = ICMP6_MAX_HA_ADDRESSES + 1;
    check_encoder_rejects(&reply, ICMP6_BAD_FIELD);

    struct icmp6_msg other = {.type = 143};
    check_encoder_rejects(&other, ICMP6_UNKNOWN_TYPE);
    other.type = 148;
    check_encoder_rejects(&other, ICMP6_UNKNOWN_TYPE);
}

static void
encoder_reports_full_buffer(void)
{
    struct icmp6_msg msg = mpa_two_prefixes_msg();
    uint8_t buf[sizeof mpa_two_prefixes];
    for (size_t cap = 0; cap < sizeof mpa_two_prefixes; cap++) {
        struct wr w = wr_init(buf, cap);
        CHECK_EQ_INT(icmp6_encode(&w, &msg, ha, hoa), ICMP6_NO_SPACE);
        CHECK(!wr_ok(&w));
    }
    struct wr exact = wr_init(buf, sizeof buf);
    CHECK_EQ_INT(icmp6_encode(&exact, &msg, ha, hoa), ICMP6_OK);

    /* A writer that already failed stays failed. */
    struct wr failed = wr_init(buf, sizeof buf);
    failed.failed = true;
    CHECK_EQ_INT(icmp6_encode(&failed, &msg, ha, hoa), ICMP6_NO_SPACE);
}

static void
encoder_appends_after_existing_bytes(void)
{
    uint8_t buf[64];
    struct wr w = wr_init(buf, sizeof buf);
    wr_zeros(&w, 24); /* room for a type 2 routing header in front */
    struct icmp6_msg msg = {.type = ICMP6_MPS, .id = 0xbeef};
    CHECK_EQ_INT(icmp6_encode(&w, &msg, hoa, ha), ICMP6_OK);
    CHECK_EQ_INT(w.pos, 32);
    CHECK_EQ_MEM(buf + 24, mps, sizeof mps);
}

/* ---- round trips ---- */

static void
round_trip(const struct icmp6_msg *msg, struct icmp6_msg *out)
{
    uint8_t buf[512];
    struct wr w = wr_init(buf, sizeof buf);
    CHECK_EQ_INT(icmp6_encode(&w, msg, hoa, ha), ICMP6_OK);
    CHECK_EQ_INT(decode_exact(buf, w.pos, hoa, ha, out), ICMP6_OK);
    CHECK_EQ_INT(out->type, msg->type);
    CHECK_EQ_INT(out->id, msg->id);
    CHECK_EQ_INT(out->len, w.pos);
}

static void
round_trip_every_type(void)
{
    struct icmp6_msg out;

    struct icmp6_msg request = {.type = ICMP6_DHAAD_REQUEST, .id = 0xffff};
    round_trip(&request, &out);
    struct icmp6_msg solicitation = {.type = ICMP6_MPS, .id = 0};
    round_trip(&solicitation, &out);

    struct icmp6_msg empty_reply = {.type = ICMP6_DHAAD_REPLY, .id = 9};
    round_trip(&empty_reply, &out);
    CHECK_EQ_INT(out.dhaad_reply.n_addresses, 0);

    struct icmp6_msg full_reply = {.type = ICMP6_DHAAD_REPLY, .id = 10};
    full_reply.dhaad_reply.n_addresses = ICMP6_MAX_HA_ADDRESSES;
    for (size_t i = 0; i < ICMP6_MAX_HA_ADDRESSES; i++) {
        memcpy(full_reply.dhaad_reply.addresses[i], ha, 16);
        full_reply.dhaad_reply.addresses[i][15] = (uint8_t)(0xf0 + i);
    }
    round_trip(&full_reply, &out);
    CHECK_EQ_INT(out.dhaad_reply.n_addresses, ICMP6_MAX_HA_ADDRESSES);
    CHECK_EQ_INT(out.dhaad_reply.n_not_stored, 0);
    CHECK_EQ_MEM(out.dhaad_reply.addresses, full_reply.dhaad_reply.addresses,
                 sizeof out.dhaad_reply.addresses);
}

static void
round_trip_mpa_flags_and_prefixes(void)
{
    for (int flags = 0; flags < 4; flags++) {
        struct icmp6_msg msg = {.type = ICMP6_MPA, .id = (uint16_t)(0x100 + flags)};
        msg.mpa.managed = flags & 1;
        msg.mpa.other = flags & 2;
        msg.mpa.n_prefixes = ICMP6_MAX_PREFIXES;
        for (size_t i = 0; i < ICMP6_MAX_PREFIXES; i++) {
            uint8_t prefix[16];
            memcpy(prefix, home_prefix, 16);
            prefix[7] = (uint8_t)i;
            msg.mpa.prefixes[i] = make_prefix(prefix, (uint8_t)(i * 16), i & 1, i & 2, i & 4,
                                              (uint32_t)(1000 * i), (uint32_t)(500 * i));
        }

        struct icmp6_msg out;
        round_trip(&msg, &out);
        CHECK_EQ_INT(out.mpa.managed, msg.mpa.managed);
        CHECK_EQ_INT(out.mpa.other, msg.mpa.other);
        CHECK_EQ_INT(out.mpa.n_prefixes, msg.mpa.n_prefixes);
        CHECK_EQ_INT(out.mpa.n_not_stored, 0);
        for (size_t i = 0; i < ICMP6_MAX_PREFIXES; i++)
            check_same_prefix(&out.mpa.prefixes[i], &msg.mpa.prefixes[i]);
    }
}

static void
status_names_distinct(void)
{
    for (int a = ICMP6_OK; a <= ICMP6_BAD_FIELD; a++) {
        const char *name = icmp6_status_name((enum icmp6_status)a);
        CHECK(strcmp(name, "unknown") != 0);
        for (int b = ICMP6_OK; b < a; b++)
            CHECK(strcmp(name, icmp6_status_name((enum icmp6_status)b)) != 0);
    }
    CHECK(strcmp(icmp6_status_name((enum icmp6_status)(ICMP6_BAD_FIELD + 1)), "unknown") == 0);
}

/* ---- Home Agent Information option in a Router Advertisement (RFC 6275 §7.4) ---- */

static const uint8_t router_link_local[16] = {0xfe, 0x80, [15] = 1};

// clang-format off

/* RA with the H flag, a Home Agent Information option (preference -5,
 * lifetime 600 s) and a Prefix Information option with the R flag. */
static const uint8_t ra_with_ha_info[56] = {
    134,  0,    0,    0,    /* Type, Code, Checksum (nd_parse_ra does not check it) */
    64,   0x20,             /* Cur Hop Limit, flags: H (0x20) */
    0x07, 0x08,             /* Router Lifetime 1800 s */
    0,    0,    0,    0,    /* Reachable Time */
    0,    0,    0,    0,    /* Retrans Timer */
    8,    1,                /* Home Agent Information at offset 16: Type 8, Length 1 */
    0,    0,                /* Reserved */
    0xff, 0xfb,             /* Home Agent Preference -5 */
    0x02, 0x58,             /* Home Agent Lifetime 600 s */
    3,    4,                /* Prefix Information at offset 24, Length 4 */
    64,   0xe0,             /* Prefix Length 64, flags L, A and R */
    0x00, 0x00, 0x0e, 0x10, /* Valid Lifetime 3600 s */
    0x00, 0x00, 0x07, 0x08, /* Preferred Lifetime 1800 s */
    0,    0,    0,    0,    /* Reserved2 */
    HA_BYTES,               /* the home agent's full address */
};

// clang-format on

static void
nd_ha_info_parsed(void)
{
    struct nd_ra ra;
    CHECK_EQ_INT(nd_parse_ra(ra_with_ha_info, sizeof ra_with_ha_info, 255, router_link_local, &ra),
                 ND_OK);
    CHECK(ra.home_agent);
    CHECK(ra.has_ha_info);
    CHECK(!ra.ha_info_invalid);
    CHECK_EQ_INT(ra.ha_info.preference, -5);
    CHECK_EQ_INT(ra.ha_info.lifetime_s, 600);
    CHECK_EQ_INT(ra.n_prefixes, 1);
    CHECK(ra.prefixes[0].router_addr);
    CHECK_EQ_MEM(ra.prefixes[0].prefix, ha, 16);
}

static void
nd_ha_info_extreme_values(void)
{
    uint8_t copy[sizeof ra_with_ha_info];
    struct nd_ra ra;

    memcpy(copy, ra_with_ha_info, sizeof copy);
    copy[20] = 0x7f; /* preference 32767 */
    copy[21] = 0xff;
    copy[22] = 0xff; /* lifetime 65535 s */
    copy[23] = 0xff;
    CHECK_EQ_INT(nd_parse_ra(copy, sizeof copy, 255, router_link_local, &ra), ND_OK);
    CHECK_EQ_INT(ra.ha_info.preference, 32767);
    CHECK_EQ_INT(ra.ha_info.lifetime_s, 65535);

    copy[20] = 0x80; /* preference -32768 */
    copy[21] = 0x00;
    copy[22] = 0x00; /* lifetime 1 s, the smallest valid value */
    copy[23] = 0x01;
    CHECK_EQ_INT(nd_parse_ra(copy, sizeof copy, 255, router_link_local, &ra), ND_OK);
    CHECK_EQ_INT(ra.ha_info.preference, -32768);
    CHECK_EQ_INT(ra.ha_info.lifetime_s, 1);
}

static void
nd_ha_info_zero_lifetime_invalid(void)
{
    uint8_t copy[sizeof ra_with_ha_info];
    struct nd_ra ra;

    memcpy(copy, ra_with_ha_info, sizeof copy);
    copy[22] = copy[23] = 0;
    /* The option is dropped, but the rest of the advertisement still counts. */
    CHECK_EQ_INT(nd_parse_ra(copy, sizeof copy, 255, router_link_local, &ra), ND_OK);
    CHECK(!ra.has_ha_info);
    CHECK(ra.ha_info_invalid);
    CHECK_EQ_INT(ra.n_prefixes, 1);
}

static void
nd_ha_info_ignored_without_h_flag(void)
{
    uint8_t copy[sizeof ra_with_ha_info];
    struct nd_ra ra;

    memcpy(copy, ra_with_ha_info, sizeof copy);
    copy[5] = 0; /* H clear */
    CHECK_EQ_INT(nd_parse_ra(copy, sizeof copy, 255, router_link_local, &ra), ND_OK);
    CHECK(!ra.home_agent);
    CHECK(!ra.has_ha_info);
    CHECK(!ra.ha_info_invalid);
}

static void
nd_ha_info_wrong_length_ignored(void)
{
    /* A type 8 option of Length 2 does not have the RFC 6275 §7.4 layout. */
    uint8_t buf[32] = {0};
    struct nd_ra ra;

    memcpy(buf, ra_with_ha_info, 24);
    buf[17] = 2;
    CHECK_EQ_INT(nd_parse_ra(buf, sizeof buf, 255, router_link_local, &ra), ND_OK);
    CHECK(!ra.has_ha_info);
    CHECK(!ra.ha_info_invalid);
}

static void
nd_ha_info_first_valid_option_kept(void)
{
    uint8_t buf[32];
    struct nd_ra ra;

    memcpy(buf, ra_with_ha_info, 24);
    memcpy(buf + 24, ra_with_ha_info + 16, 8);
    buf[22] = buf[23] = 0; /* first option: lifetime 0 */
    buf[30] = 0x00;        /* second option: lifetime 30 s */
    buf[31] = 30;
    CHECK_EQ_INT(nd_parse_ra(buf, sizeof buf, 255, router_link_local, &ra), ND_OK);
    CHECK(ra.has_ha_info);
    CHECK(ra.ha_info_invalid);
    CHECK_EQ_INT(ra.ha_info.lifetime_s, 30);

    buf[22] = 0x01; /* first option valid again: lifetime 256 s wins */
    CHECK_EQ_INT(nd_parse_ra(buf, sizeof buf, 255, router_link_local, &ra), ND_OK);
    CHECK_EQ_INT(ra.ha_info.lifetime_s, 256);
    CHECK(!ra.ha_info_invalid);
}

static void
nd_ha_info_every_truncation(void)
{
    struct nd_ra ra;
    for (size_t len = 0; len < sizeof ra_with_ha_info; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, ra_with_ha_info, len);
        enum nd_status status = nd_parse_ra(copy, len, 255, router_link_local, &ra);
        free(copy);
        /* Cuts between options leave a valid, shorter advertisement. */
        if (len == 16 || len == 24) {
            CHECK_EQ_INT(status, ND_OK);
            CHECK_EQ_INT(ra.has_ha_info, len == 24);
        } else {
            CHECK(status == ND_TRUNCATED || status == ND_BAD_OPTION);
        }
    }
}

CHECK_MAIN(TEST(hand_checksums_match_reference), TEST(encode_dhaad_request),
           TEST(encode_dhaad_reply), TEST(encode_mps), TEST(encode_mpa_two_prefixes),
           TEST(encode_mpa_managed_other), TEST(decode_dhaad_request), TEST(decode_dhaad_reply),
           TEST(decode_mps), TEST(decode_mpa_two_prefixes), TEST(decode_mpa_managed_other),
           TEST(mps_checksum_uses_home_address), TEST(mpa_checksum_uses_home_address),
           TEST(checksum_detects_each_flipped_bit), TEST(encoder_checksum_matches_reference),
           TEST(every_truncation_of_fixed_part), TEST(every_truncation_of_reply),
           TEST(every_truncation_of_mpa), TEST(malformed_input_table),
           TEST(mps_options_are_checked_and_skipped), TEST(request_ignores_trailing_bytes),
           TEST(longer_than_ipv6_payload_rejected), TEST(mpa_beyond_storage_limit_counted),
           TEST(reply_beyond_storage_limit_counted), TEST(encoder_rejects_invalid_input),
           TEST(encoder_reports_full_buffer), TEST(encoder_appends_after_existing_bytes),
           TEST(round_trip_every_type), TEST(round_trip_mpa_flags_and_prefixes),
           TEST(status_names_distinct), TEST(nd_ha_info_parsed), TEST(nd_ha_info_extreme_values),
           TEST(nd_ha_info_zero_lifetime_invalid), TEST(nd_ha_info_ignored_without_h_flag),
           TEST(nd_ha_info_wrong_length_ignored), TEST(nd_ha_info_first_valid_option_kept),
           TEST(nd_ha_info_every_truncation))
