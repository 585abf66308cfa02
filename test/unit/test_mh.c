/*
 * test_mh.c - Mobility Header encoder, decoder and sequence comparison.
 *
 * Expected messages are written out by hand from RFC 6275 §6.1-§6.2.
 * Their checksums come from a separate Python script that sums the
 * pseudo-header and message as 16-bit words.  The first test rechecks
 * them with the naive reference below.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cursor.h"
#include "mh.h"

/* 2001:db8:1::1, the home agent. */
#define HA_BYTES 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x01
/* 2001:db8:1::100, the mobile node's home address. */
#define HOA_BYTES 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00
/* 2001:db8:2::100, the mobile node's care-of address. */
#define COA_BYTES 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00

static const uint8_t ha[16] = {HA_BYTES};
static const uint8_t hoa[16] = {HOA_BYTES};
static const uint8_t coa[16] = {COA_BYTES};

/*
 * RFC 3776 §3.1 Binding Update from a care-of address: A=1, H=1 and an
 * Alternate Care-of Address.  The packet has a Home Address option, so
 * the pseudo-header source is the home address: HoA -> HA.
 */
static const uint8_t bu_with_acoa[32] = {
    59,              /* Payload Proto: no next header */
    3,               /* Header Len: (3 + 1) * 8 = 32 bytes */
    5,               /* MH Type: Binding Update */
    0,               /* Reserved */
    0x6f,      0x77, /* Checksum */
    0x00,      0x07, /* Sequence # 7 */
    0xc0,            /* flags A (0x80) and H (0x40) */
    0,               /* Reserved */
    0x00,      0x96, /* Lifetime 150 units = 600 s */
    1,         0,    /* PadN with no data, puts the next option at 8n+6 */
    3,         16,   /* Alternate Care-of Address option, length 16, offset 14 */
    COA_BYTES,       /* care-of address */
};

/*
 * RFC 3776 §3.1 Binding Acknowledgement to a care-of address, status 0.
 * The packet has a type 2 routing header, so the pseudo-header
 * destination is the home address: HA -> HoA.
 */
static const uint8_t ba_accepted[16] = {
    59,               /* Payload Proto */
    1,                /* Header Len: 16 bytes */
    6,                /* MH Type: Binding Acknowledgement */
    0,                /* Reserved */
    0x60, 0x53,       /* Checksum */
    0,                /* Status 0: accepted */
    0,                /* flags: K clear */
    0x00, 0x07,       /* Sequence # copied from the BU */
    0x00, 0x96,       /* Lifetime 150 units */
    1,    2,    0, 0, /* PadN of 4 bytes to reach 16 */
};

/* BA with K set and a Binding Refresh Advice of 75 units; HA -> HoA. */
static const uint8_t ba_with_refresh[16] = {
    59,   1,    6, 0, /* Payload Proto, Header Len 1, BA, Reserved */
    0x5e, 0x88,       /* Checksum */
    0,                /* Status 0 */
    0x80,             /* flags: K */
    0x00, 0x07,       /* Sequence # 7 */
    0x00, 0x96,       /* Lifetime 150 */
    2,    2,          /* Binding Refresh Advice, length 2, offset 12 = 2n */
    0x00, 0x4b,       /* Refresh Interval 75 units */
};

/* RFC 3776 §3.1 de-registration BU sent from the home link; HoA -> HA. */
static const uint8_t bu_from_home[16] = {
    59,   1,    5, 0, /* Payload Proto, Header Len 1, BU, Reserved */
    0xa1, 0xe7,       /* Checksum */
    0x00, 0x08,       /* Sequence # 8 */
    0xc0, 0,          /* flags A and H, Reserved */
    0x00, 0x00,       /* Lifetime 0: delete the binding */
    1,    2,    0, 0, /* PadN of 4 bytes */
};

/* BU with Nonce Indices and an Alternate Care-of Address; HoA -> HA. */
static const uint8_t bu_nonce_and_acoa[40] = {
    59,   4,    5,         0,       /* Payload Proto, Header Len 4 (40 bytes), BU, Reserved */
    0x98, 0xce,                     /* Checksum */
    0x12, 0x34,                     /* Sequence # 0x1234 */
    0x80, 0,                        /* flags A, Reserved */
    0x01, 0x00,                     /* Lifetime 256 */
    4,    4,    0,         1, 0, 2, /* Nonce Indices at offset 12 = 2n: home 1, care-of 2 */
    1,    2,    0,         0,       /* PadN of 4 bytes */
    3,    16,   COA_BYTES,          /* Alternate Care-of Address at offset 22 = 8n+6 */
};

/* Binding Error status 1 for the home address; HA -> CoA. */
static const uint8_t be_unknown_binding[24] = {
    59,        2,    7, 0, /* Payload Proto, Header Len 2 (24 bytes), BE, Reserved */
    0x31,      0x2e,       /* Checksum */
    1,                     /* Status 1: unknown binding for Home Address option */
    0,                     /* Reserved */
    HOA_BYTES,             /* Home Address */
};

/* Binding Refresh Request; HA -> HoA. */
static const uint8_t brr[8] = {
    59,   0,    0, 0, /* Payload Proto, Header Len 0 (8 bytes), BRR, Reserved */
    0x67, 0xfb,       /* Checksum */
    0,    0,          /* Reserved */
};

/* Home Test Init with cookie 0x0102030405060708; HoA -> HA. */
static const uint8_t hoti[16] = {
    59,   1,    1, 0,             /* Payload Proto, Header Len 1, HoTI, Reserved */
    0x56, 0xde,                   /* Checksum */
    0,    0,                      /* Reserved */
    1,    2,    3, 4, 5, 6, 7, 8, /* Home Init Cookie */
};

/* Home Test with nonce index 5; HA -> HoA. */
static const uint8_t hot[24] = {
    59,   2,    3,    0,                            /* Payload Proto, Header Len 2, HoT, Reserved */
    0x43, 0x7b,                                     /* Checksum */
    0x00, 0x05,                                     /* Home Nonce Index */
    1,    2,    3,    4,    5,    6,    7,    8,    /* Home Init Cookie */
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, /* Home Keygen Token */
};

/* Naive checksum: sum high and low bytes apart, reduce modulo 0xffff. */
static uint16_t
reference_checksum(const uint8_t *src, const uint8_t *dst, const uint8_t *msg, size_t len)
{
    unsigned long long high = 0, low = 0;
    for (int i = 0; i < 16; i += 2) {
        high += (unsigned)src[i] + dst[i];
        low += (unsigned)src[i + 1] + dst[i + 1];
    }
    high += ((len >> 24) & 0xff) + (len & 0xff00) / 256;
    low += ((len >> 16) & 0xff) + (len & 0xff) + 135;
    for (size_t i = 0; i < len; i++) {
        if (i % 2 == 0)
            high += msg[i];
        else
            low += msg[i];
    }
    unsigned long long total = high * 256 + low;
    unsigned long long folded = total % 0xffff;
    if (folded == 0 && total != 0)
        folded = 0xffff;
    return (uint16_t)(~folded & 0xffff);
}

/* Rewrite the checksum of msg[0..len) with the naive reference. */
static void
fix_checksum(uint8_t *msg, size_t len, const uint8_t *src, const uint8_t *dst)
{
    msg[4] = msg[5] = 0;
    put_u16(msg + 4, reference_checksum(src, dst, msg, len));
}

/* Decode a copy in a heap block of exactly len bytes for AddressSanitizer. */
static enum mh_status
decode_exact(const uint8_t *buf, size_t len, const uint8_t *src, const uint8_t *dst,
             struct mh_msg *msg)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, buf, len);
    enum mh_status status = mh_decode(copy, len, src, dst, msg);
    free(copy);
    return status;
}

/* Encode msg and compare with the expected bytes. */
static void
check_encoding(const struct mh_msg *msg, const uint8_t *src, const uint8_t *dst,
               const uint8_t *expected, size_t expected_len)
{
    uint8_t buf[64];
    memset(buf, 0xee, sizeof buf);
    struct wr w = wr_init(buf, sizeof buf);
    CHECK_EQ_INT(mh_encode(&w, msg, src, dst), MH_OK);
    CHECK_EQ_INT(w.pos, expected_len);
    CHECK_EQ_MEM(buf, expected, expected_len);
}

static void
hand_checksums_match_reference(void)
{
    CHECK_EQ_INT(reference_checksum(hoa, ha, bu_with_acoa, 32), 0);
    CHECK_EQ_INT(reference_checksum(ha, hoa, ba_accepted, 16), 0);
    CHECK_EQ_INT(reference_checksum(ha, hoa, ba_with_refresh, 16), 0);
    CHECK_EQ_INT(reference_checksum(hoa, ha, bu_from_home, 16), 0);
    CHECK_EQ_INT(reference_checksum(hoa, ha, bu_nonce_and_acoa, 40), 0);
    CHECK_EQ_INT(reference_checksum(ha, coa, be_unknown_binding, 24), 0);
    CHECK_EQ_INT(reference_checksum(ha, hoa, brr, 8), 0);
    CHECK_EQ_INT(reference_checksum(hoa, ha, hoti, 16), 0);
    CHECK_EQ_INT(reference_checksum(ha, hoa, hot, 24), 0);
}

static void
encode_bu_with_acoa(void)
{
    struct mh_msg msg = {.type = MH_BU};
    msg.bu.seq = 7;
    msg.bu.flags = MH_BU_FLAG_A | MH_BU_FLAG_H;
    msg.bu.lifetime = 150;
    msg.bu.has_alt_coa = true;
    memcpy(msg.bu.alt_coa, coa, 16);
    check_encoding(&msg, hoa, ha, bu_with_acoa, sizeof bu_with_acoa);
}

static void
encode_ba_accepted(void)
{
    struct mh_msg msg = {.type = MH_BA};
    msg.ba.status = MH_BA_ACCEPTED;
    msg.ba.seq = 7;
    msg.ba.lifetime = 150;
    check_encoding(&msg, ha, hoa, ba_accepted, sizeof ba_accepted);
}

static void
encode_ba_with_refresh(void)
{
    struct mh_msg msg = {.type = MH_BA};
    msg.ba.flags = MH_BA_FLAG_K;
    msg.ba.seq = 7;
    msg.ba.lifetime = 150;
    msg.ba.has_refresh = true;
    msg.ba.refresh = 75;
    check_encoding(&msg, ha, hoa, ba_with_refresh, sizeof ba_with_refresh);
}

static void
encode_bu_from_home(void)
{
    struct mh_msg msg = {.type = MH_BU};
    msg.bu.seq = 8;
    msg.bu.flags = MH_BU_FLAG_A | MH_BU_FLAG_H;
    check_encoding(&msg, hoa, ha, bu_from_home, sizeof bu_from_home);
}

static void
encode_bu_nonce_and_acoa(void)
{
    struct mh_msg msg = {.type = MH_BU};
    msg.bu.seq = 0x1234;
    msg.bu.flags = MH_BU_FLAG_A;
    msg.bu.lifetime = 256;
    msg.bu.has_nonce_indices = true;
    msg.bu.home_nonce_index = 1;
    msg.bu.coa_nonce_index = 2;
    msg.bu.has_alt_coa = true;
    memcpy(msg.bu.alt_coa, coa, 16);
    check_encoding(&msg, hoa, ha, bu_nonce_and_acoa, sizeof bu_nonce_and_acoa);
}

static void
encode_other_types(void)
{
    struct mh_msg msg = {.type = MH_BE};
    msg.be.status = MH_BE_UNKNOWN_BINDING_HAO;
    memcpy(msg.be.home, hoa, 16);
    check_encoding(&msg, ha, coa, be_unknown_binding, sizeof be_unknown_binding);

    msg = (struct mh_msg){.type = MH_BRR};
    check_encoding(&msg, ha, hoa, brr, sizeof brr);

    msg = (struct mh_msg){.type = MH_HOTI};
    msg.test_init.cookie = 0x0102030405060708;
    check_encoding(&msg, hoa, ha, hoti, sizeof hoti);

    msg = (struct mh_msg){.type = MH_HOT};
    msg.test.nonce_index = 5;
    msg.test.cookie = 0x0102030405060708;
    msg.test.keygen_token = 0x1122334455667788;
    check_encoding(&msg, ha, hoa, hot, sizeof hot);
}

static void
encode_clears_reserved_flags(void)
{
    struct mh_msg msg = {.type = MH_BU};
    msg.bu.flags = 0xff;
    uint8_t buf[16];
    struct wr w = wr_init(buf, sizeof buf);
    CHECK_EQ_INT(mh_encode(&w, &msg, hoa, ha), MH_OK);
    CHECK_EQ_INT(buf[8], 0xf0);

    msg = (struct mh_msg){.type = MH_BA};
    msg.ba.flags = 0xff;
    w = wr_init(buf, sizeof buf);
    CHECK_EQ_INT(mh_encode(&w, &msg, ha, hoa), MH_OK);
    CHECK_EQ_INT(buf[7], 0x80);
}

static void
encode_rejects_short_buffer_and_type(void)
{
    struct mh_msg msg = {.type = MH_BU};
    msg.bu.has_alt_coa = true;
    uint8_t buf[32];
    for (size_t cap = 0; cap < 32; cap++) {
        struct wr w = wr_init(buf, cap);
        CHECK_EQ_INT(mh_encode(&w, &msg, hoa, ha), MH_NO_SPACE);
        CHECK(!wr_ok(&w));
    }

    msg.type = 8;
    struct wr w = wr_init(buf, sizeof buf);
    CHECK_EQ_INT(mh_encode(&w, &msg, hoa, ha), MH_ENCODE_UNSUPPORTED);
}

/* The encoder appends at the writer's position and sums only its own bytes. */
static void
encode_after_other_bytes(void)
{
    uint8_t buf[8 + 32];
    struct wr w = wr_init(buf, sizeof buf);
    wr_u64(&w, 0xfeedfacecafebeef);
    struct mh_msg msg = {.type = MH_BU};
    msg.bu.seq = 7;
    msg.bu.flags = MH_BU_FLAG_A | MH_BU_FLAG_H;
    msg.bu.lifetime = 150;
    msg.bu.has_alt_coa = true;
    memcpy(msg.bu.alt_coa, coa, 16);
    CHECK_EQ_INT(mh_encode(&w, &msg, hoa, ha), MH_OK);
    CHECK_EQ_MEM(buf + 8, bu_with_acoa, 32);
}

static void
decode_bu_with_acoa(void)
{
    struct mh_msg msg;
    CHECK_EQ_INT(decode_exact(bu_with_acoa, sizeof bu_with_acoa, hoa, ha, &msg), MH_OK);
    CHECK_EQ_INT(msg.type, MH_BU);
    CHECK_EQ_INT(msg.len, 32);
    CHECK_EQ_INT(msg.bu.seq, 7);
    CHECK_EQ_INT(msg.bu.flags, MH_BU_FLAG_A | MH_BU_FLAG_H);
    CHECK_EQ_INT(msg.bu.lifetime, 150);
    CHECK(msg.bu.has_alt_coa);
    CHECK_EQ_MEM(msg.bu.alt_coa, coa, 16);
    CHECK(!msg.bu.has_nonce_indices);
    CHECK(!msg.has_auth_data);
}

static void
decode_ba_messages(void)
{
    struct mh_msg msg;
    CHECK_EQ_INT(decode_exact(ba_accepted, sizeof ba_accepted, ha, hoa, &msg), MH_OK);
    CHECK_EQ_INT(msg.type, MH_BA);
    CHECK_EQ_INT(msg.ba.status, MH_BA_ACCEPTED);
    CHECK_EQ_INT(msg.ba.flags, 0);
    CHECK_EQ_INT(msg.ba.seq, 7);
    CHECK_EQ_INT(msg.ba.lifetime, 150);
    CHECK(!msg.ba.has_refresh);

    CHECK_EQ_INT(decode_exact(ba_with_refresh, sizeof ba_with_refresh, ha, hoa, &msg), MH_OK);
    CHECK_EQ_INT(msg.ba.flags, MH_BA_FLAG_K);
    CHECK(msg.ba.has_refresh);
    CHECK_EQ_INT(msg.ba.refresh, 75);
}

static void
decode_other_messages(void)
{
    struct mh_msg msg;
    CHECK_EQ_INT(decode_exact(bu_from_home, sizeof bu_from_home, hoa, ha, &msg), MH_OK);
    CHECK_EQ_INT(msg.bu.seq, 8);
    CHECK_EQ_INT(msg.bu.lifetime, 0);
    CHECK(!msg.bu.has_alt_coa);

    CHECK_EQ_INT(decode_exact(bu_nonce_and_acoa, sizeof bu_nonce_and_acoa, hoa, ha, &msg), MH_OK);
    CHECK(msg.bu.has_nonce_indices);
    CHECK_EQ_INT(msg.bu.home_nonce_index, 1);
    CHECK_EQ_INT(msg.bu.coa_nonce_index, 2);
    CHECK(msg.bu.has_alt_coa);
    CHECK_EQ_MEM(msg.bu.alt_coa, coa, 16);

    CHECK_EQ_INT(decode_exact(be_unknown_binding, sizeof be_unknown_binding, ha, coa, &msg), MH_OK);
    CHECK_EQ_INT(msg.type, MH_BE);
    CHECK_EQ_INT(msg.be.status, MH_BE_UNKNOWN_BINDING_HAO);
    CHECK_EQ_MEM(msg.be.home, hoa, 16);

    CHECK_EQ_INT(decode_exact(brr, sizeof brr, ha, hoa, &msg), MH_OK);
    CHECK_EQ_INT(msg.type, MH_BRR);
    CHECK_EQ_INT(msg.len, 8);

    CHECK_EQ_INT(decode_exact(hoti, sizeof hoti, hoa, ha, &msg), MH_OK);
    CHECK_EQ_INT(msg.type, MH_HOTI);
    CHECK(msg.test_init.cookie == 0x0102030405060708);

    CHECK_EQ_INT(decode_exact(hot, sizeof hot, ha, hoa, &msg), MH_OK);
    CHECK_EQ_INT(msg.type, MH_HOT);
    CHECK_EQ_INT(msg.test.nonce_index, 5);
    CHECK(msg.test.cookie == 0x0102030405060708);
    CHECK(msg.test.keygen_token == 0x1122334455667788);
}

static void
decode_ignores_bytes_after_message(void)
{
    uint8_t buf[sizeof ba_accepted + 5];
    memcpy(buf, ba_accepted, sizeof ba_accepted);
    memset(buf + sizeof ba_accepted, 0x77, 5);
    struct mh_msg msg;
    CHECK_EQ_INT(decode_exact(buf, sizeof buf, ha, hoa, &msg), MH_OK);
    CHECK_EQ_INT(msg.len, 16);
}

static void
decode_rejects_each_flipped_bit(void)
{
    for (size_t bit = 0; bit < sizeof bu_with_acoa * 8; bit++) {
        uint8_t buf[sizeof bu_with_acoa];
        memcpy(buf, bu_with_acoa, sizeof buf);
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));

        struct mh_msg msg;
        enum mh_status status = decode_exact(buf, sizeof buf, hoa, ha, &msg);
        CHECK(status != MH_OK);
        /* Header Len bits change the length; every other bit breaks the sum. */
        if (bit / 8 != 1)
            CHECK_EQ_INT(status, MH_BAD_CHECKSUM);
    }
}

/* RFC 6275 §6.1.1: with a Home Address option the sum uses the home
 * address; a receiver that sums over the care-of address rejects it. */
static void
decode_checksum_needs_home_address(void)
{
    struct mh_msg msg;
    CHECK_EQ_INT(decode_exact(bu_with_acoa, sizeof bu_with_acoa, coa, ha, &msg), MH_BAD_CHECKSUM);
    CHECK_EQ_INT(decode_exact(ba_accepted, sizeof ba_accepted, ha, coa, &msg), MH_BAD_CHECKSUM);
}

static void
decode_rejects_every_truncation(void)
{
    for (size_t len = 0; len < sizeof bu_with_acoa; len++) {
        struct mh_msg msg;
        CHECK_EQ_INT(decode_exact(bu_with_acoa, len, hoa, ha, &msg), MH_TRUNCATED);
    }
    for (size_t len = 0; len < sizeof hot; len++) {
        struct mh_msg msg;
        CHECK_EQ_INT(decode_exact(hot, len, ha, hoa, &msg), MH_TRUNCATED);
    }
}

/* Malformed messages with a correct checksum, so each reaches its own check. */
static void
decode_rejects_malformed(void)
{
    static const struct {
        const char *name;
        uint8_t bytes[56];
        size_t len;
        enum mh_status expected;
    } cases[] = {
        {"payload proto 58",
         {58, 1, 6, 0, 0, 0, 0, 0, 0, 7, 0, 1, 1, 2, 0, 0},
         16,
         MH_BAD_PAYLOAD_PROTO},
        {"MH type 8", {59, 1, 8, 0, 0, 0, 0, 0, 0, 7, 0, 1, 1, 2, 0, 0}, 16, MH_UNKNOWN_TYPE},
        {"MH type 255", {59, 0, 255, 0, 0, 0, 0, 0}, 8, MH_UNKNOWN_TYPE},
        {"BU with Header Len 0", {59, 0, 5, 0, 0, 0, 0, 7}, 8, MH_BAD_HEADER_LEN},
        {"BA with Header Len 0", {59, 0, 6, 0, 0, 0, 0, 7}, 8, MH_BAD_HEADER_LEN},
        {"HoTI with Header Len 0", {59, 0, 1, 0, 0, 0, 0, 0}, 8, MH_BAD_HEADER_LEN},
        {"HoT with Header Len 1",
         {59, 1, 3, 0, 0, 0, 0, 5, 1, 2, 3, 4, 5, 6, 7, 8},
         16,
         MH_BAD_HEADER_LEN},
        {"BE with Header Len 1", {59, 1, 7, 0, 0, 0, 1, 0, HOA_BYTES}, 16, MH_BAD_HEADER_LEN},
        {"Header Len past buffer",
         {59, 4, 5, 0, 0, 0, 0, 7, 0xc0, 0, 0, 1, 1, 2, 0, 0},
         16,
         MH_TRUNCATED},
        {"PadN past end",
         {59, 1, 5, 0, 0, 0, 0, 7, 0xc0, 0, 0, 1, 1, 3, 0, 0},
         16,
         MH_OPTION_TRUNCATED},
        {"option type without length",
         {59, 1, 5, 0, 0, 0, 0, 7, 0xc0, 0, 0, 1, 0, 0, 0, 3},
         16,
         MH_OPTION_TRUNCATED},
        {"ACoA past end",
         {59, 1, 5, 0, 0, 0, 0, 7, 0xc0, 0, 0, 1, 3, 16, 0, 0},
         16,
         MH_OPTION_TRUNCATED},
        {"ACoA length 15",
         {59, 3, 5, 0, 0, 0, 0, 7, 0xc0, 0, 0, 1, 1, 0, 3, 15, HOA_BYTES},
         32,
         MH_BAD_OPTION_LENGTH},
        {"Nonce Indices length 2",
         {59, 1, 5, 0, 0, 0, 0, 7, 0x80, 0, 0, 1, 4, 2, 0, 1},
         16,
         MH_BAD_OPTION_LENGTH},
        {"Refresh Advice length 3",
         {59, 2, 6, 0, 0, 0, 0, 0, 0, 7, 0, 1, 2, 3, 0, 75, 0, 1, 5, 0, 0, 0, 0, 0},
         24,
         MH_BAD_OPTION_LENGTH},
        {"ACoA twice",
         {59, 6, 5,  0,         0, 0, 0, 7,  0xc0,      0, 0, 1, 1,
          0,  3, 16, COA_BYTES, 1, 0, 3, 16, HOA_BYTES, 1, 2, 0, 0},
         56,
         MH_DUPLICATE_OPTION},
        {"Pad1 after authorization data",
         {59, 1, 5, 0, 0, 0, 0, 7, 0, 0, 0, 1, 5, 0, 0, 0},
         16,
         MH_OPTION_AFTER_AUTH},
        {"PadN after authorization data",
         {59, 1, 5, 0, 0, 0, 0, 7, 0, 0, 0, 1, 5, 0, 1, 0},
         16,
         MH_OPTION_AFTER_AUTH},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t buf[56];
        memcpy(buf, cases[i].bytes, cases[i].len);
        size_t sum_len = cases[i].expected == MH_TRUNCATED ? cases[i].len : (buf[1] + 1u) * 8;
        fix_checksum(buf, sum_len, hoa, ha);

        struct mh_msg msg;
        enum mh_status status = decode_exact(buf, cases[i].len, hoa, ha, &msg);
        if (status != cases[i].expected)
            fprintf(stderr, "failing case: %s\n", cases[i].name);
        CHECK_EQ_INT(status, cases[i].expected);
    }
}

static void
decode_reports_type_of_unknown_message(void)
{
    uint8_t buf[8] = {59, 0, 42, 0, 0, 0, 0, 0};
    fix_checksum(buf, sizeof buf, hoa, ha);
    struct mh_msg msg;
    CHECK_EQ_INT(decode_exact(buf, sizeof buf, hoa, ha, &msg), MH_UNKNOWN_TYPE);
    CHECK_EQ_INT(msg.type, 42);
    CHECK_EQ_INT(msg.len, 8);
}

static void
decode_accepts_tolerated_options(void)
{
    static const struct {
        const char *name;
        uint8_t bytes[32];
        size_t len;
    } cases[] = {
        /* RFC 6275 §6.2.1: unknown option types are skipped. */
        {"unknown option 0x20", {59, 1, 5, 0, 0, 0, 0, 7, 0xc0, 0, 0, 1, 0x20, 2, 9, 9}, 16},
        {"unknown option 0xff", {59, 1, 5, 0, 0, 0, 0, 7, 0xc0, 0, 0, 1, 0xff, 0, 0, 0}, 16},
        {"only Pad1", {59, 1, 5, 0, 0, 0, 0, 7, 0xc0, 0, 0, 1, 0, 0, 0, 0}, 16},
        /* An option valid only in a BU is checked and ignored in a BA. */
        {"ACoA in a BA", {59, 3, 6, 0, 0, 0, 0, 0, 0, 7, 0, 1, 1, 0, 3, 16, COA_BYTES}, 32},
        /* Reserved flag bits are ignored on receipt. */
        {"reserved BU flags", {59, 1, 5, 0, 0, 0, 0, 7, 0xcf, 0xff, 0, 1, 1, 2, 0, 0}, 16},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t buf[32];
        memcpy(buf, cases[i].bytes, cases[i].len);
        fix_checksum(buf, cases[i].len, hoa, ha);

        struct mh_msg msg;
        enum mh_status status = decode_exact(buf, cases[i].len, hoa, ha, &msg);
        if (status != MH_OK)
            fprintf(stderr, "failing case: %s\n", cases[i].name);
        CHECK_EQ_INT(status, MH_OK);
        if (msg.type == MH_BA)
            CHECK(!msg.ba.has_refresh);
        if (msg.type == MH_BU)
            CHECK_EQ_INT(msg.bu.flags, 0xc0);
    }
}

/* A Binding Refresh Advice is valid only in a BA; in a BU it changes nothing. */
static void
decode_ignores_refresh_advice_in_bu(void)
{
    uint8_t buf[16] = {59, 1, 5, 0, 0, 0, 0, 7, 0xc0, 0, 0, 1, 2, 2, 0, 75};
    fix_checksum(buf, sizeof buf, hoa, ha);
    struct mh_msg msg;
    CHECK_EQ_INT(decode_exact(buf, sizeof buf, hoa, ha, &msg), MH_OK);
    CHECK_EQ_INT(msg.bu.seq, 7);
    CHECK_EQ_INT(msg.bu.flags, 0xc0);
    CHECK_EQ_INT(msg.bu.lifetime, 1);
    CHECK(!msg.bu.has_alt_coa);
    CHECK(!msg.bu.has_nonce_indices);
}

static void
decode_records_authorization_data(void)
{
    /* Binding Authorization Data with a 2-byte authenticator at offset 14. */
    uint8_t buf[16] = {59, 1, 5, 0, 0, 0, 0, 7, 0, 0, 0, 1, 5, 2, 0xaa, 0xbb};
    fix_checksum(buf, sizeof buf, hoa, ha);
    struct mh_msg msg;
    CHECK_EQ_INT(decode_exact(buf, sizeof buf, hoa, ha, &msg), MH_OK);
    CHECK(msg.has_auth_data);
    CHECK_EQ_INT(msg.auth_offset, 14);
    CHECK_EQ_INT(msg.auth_len, 2);
}

/* Random edits with the checksum repaired: accepted messages stay in bounds. */
static void
decode_random_edits_stay_in_bounds(void)
{
    uint32_t state = 99;
    for (int round = 0; round < 50000; round++) {
        uint8_t buf[sizeof bu_nonce_and_acoa];
        memcpy(buf, bu_nonce_and_acoa, sizeof buf);
        for (int edits = 0; edits < 2; edits++) {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            size_t at = 6 + state % (sizeof buf - 6);
            buf[at] = (uint8_t)(state >> 9);
        }
        if (state & 0x10000)
            buf[1] = (uint8_t)(state >> 24) % 5;
        fix_checksum(buf, (buf[1] + 1u) * 8 <= sizeof buf ? (buf[1] + 1u) * 8 : sizeof buf, hoa,
                     ha);

        struct mh_msg msg;
        if (decode_exact(buf, sizeof buf, hoa, ha, &msg) != MH_OK)
            continue;
        CHECK(msg.len <= sizeof buf);
        CHECK(!msg.has_auth_data || msg.auth_offset + msg.auth_len <= msg.len);
    }
}

static void
round_trip_every_type(void)
{
    for (uint8_t type = MH_BRR; type <= MH_BE; type++) {
        struct mh_msg in = {.type = type};
        switch (type) {
        case MH_BU:
            in.bu = (struct mh_bu){.seq = 65535,
                                   .flags = 0xf0,
                                   .lifetime = 65535,
                                   .has_alt_coa = true,
                                   .has_nonce_indices = true,
                                   .home_nonce_index = 9,
                                   .coa_nonce_index = 10};
            memcpy(in.bu.alt_coa, coa, 16);
            break;
        case MH_BA:
            in.ba = (struct mh_ba){.status = MH_BA_INVALID_COA,
                                   .flags = MH_BA_FLAG_K,
                                   .seq = 1,
                                   .lifetime = 2,
                                   .has_refresh = true,
                                   .refresh = 1};
            break;
        case MH_BE:
            in.be.status = MH_BE_UNKNOWN_MH_TYPE;
            memcpy(in.be.home, hoa, 16);
            break;
        case MH_COTI:
            in.test_init.cookie = UINT64_MAX;
            break;
        case MH_COT:
            in.test = (struct mh_test){.nonce_index = 3, .cookie = 4, .keygen_token = 5};
            break;
        default:
            break;
        }

        uint8_t buf[64];
        struct wr w = wr_init(buf, sizeof buf);
        CHECK_EQ_INT(mh_encode(&w, &in, coa, ha), MH_OK);
        CHECK_EQ_INT(w.pos % 8, 0);

        struct mh_msg out;
        CHECK_EQ_INT(decode_exact(buf, w.pos, coa, ha, &out), MH_OK);
        CHECK_EQ_INT(out.type, type);
        CHECK_EQ_INT(out.len, w.pos);
        if (type == MH_BU) {
            CHECK_EQ_INT(out.bu.seq, 65535);
            CHECK_EQ_INT(out.bu.flags, 0xf0);
            CHECK_EQ_INT(out.bu.lifetime, 65535);
            CHECK(out.bu.has_alt_coa);
            CHECK_EQ_MEM(out.bu.alt_coa, coa, 16);
            CHECK(out.bu.has_nonce_indices);
            CHECK_EQ_INT(out.bu.home_nonce_index, 9);
            CHECK_EQ_INT(out.bu.coa_nonce_index, 10);
        }
        if (type == MH_BA) {
            CHECK_EQ_INT(out.ba.status, MH_BA_INVALID_COA);
            CHECK_EQ_INT(out.ba.flags, MH_BA_FLAG_K);
            CHECK_EQ_INT(out.ba.seq, 1);
            CHECK_EQ_INT(out.ba.lifetime, 2);
            CHECK(out.ba.has_refresh);
            CHECK_EQ_INT(out.ba.refresh, 1);
        }
        if (type == MH_BE) {
            CHECK_EQ_INT(out.be.status, MH_BE_UNKNOWN_MH_TYPE);
            CHECK_EQ_MEM(out.be.home, hoa, 16);
        }
        if (type == MH_COTI)
            CHECK(out.test_init.cookie == UINT64_MAX);
        if (type == MH_COT) {
            CHECK_EQ_INT(out.test.nonce_index, 3);
            CHECK(out.test.cookie == 4);
            CHECK(out.test.keygen_token == 5);
        }
    }
}

static void
seq_newer_table(void)
{
    static const struct {
        uint16_t received;
        uint16_t last;
        bool newer;
    } cases[] = {
        {1, 0, true},          {0, 0, false},     /* equal is not newer */
        {65535, 65535, false},                    /* equal is not newer */
        {0, 65535, true},                         /* wrap-around: 65535 -> 0 */
        {65535, 0, false},                        /* 0 -> 65535 goes backwards */
        {16, 15, true},        {32782, 15, true}, /* RFC 6275 §9.5.1 example: last 15 */
        {32783, 15, false},                       /* ... 32783..65535 are not newer */
        {65535, 15, false},    {0, 15, false},    /* ... nor 0..15 */
        {15, 15, false},       {32767, 0, true},  /* largest step forward */
        {32768, 0, false},     {5, 65000, true},  /* forward across the wrap */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (mh_seq_newer(cases[i].received, cases[i].last) != cases[i].newer)
            fprintf(stderr, "failing case: received %u last %u\n", cases[i].received,
                    cases[i].last);
        CHECK_EQ_INT(mh_seq_newer(cases[i].received, cases[i].last), cases[i].newer);
    }
}

/* RFC 6275 §9.5.1 example over every value: last = 15. */
static void
seq_newer_rfc_example_exhaustive(void)
{
    for (long received = 0; received <= 65535; received++) {
        bool expected = received >= 16 && received <= 32782;
        CHECK_EQ_INT(mh_seq_newer((uint16_t)received, 15), expected);
    }
}

/* Naive reference in plain int arithmetic. */
static bool
reference_newer(long received, long last)
{
    long distance = received - last;
    if (distance < 0)
        distance += 65536;
    return distance >= 1 && distance < 32768;
}

static void
seq_newer_matches_reference(void)
{
    static const long lasts[] = {0, 1, 2, 15, 16, 32766, 32767, 32768, 32769, 65534, 65535};
    for (size_t i = 0; i < sizeof lasts / sizeof lasts[0]; i++) {
        for (long received = 0; received <= 65535; received++) {
            bool got = mh_seq_newer((uint16_t)received, (uint16_t)lasts[i]);
            if (got != reference_newer(received, lasts[i]))
                CHECK_EQ_INT(got, reference_newer(received, lasts[i]));
        }
    }

    uint32_t state = 7;
    for (int round = 0; round < 1000000; round++) {
        state = state * 1664525u + 1013904223u;
        long received = state >> 16;
        long last = state & 0xffff;
        bool got = mh_seq_newer((uint16_t)received, (uint16_t)last);
        if (got != reference_newer(received, last))
            CHECK_EQ_INT(got, reference_newer(received, last));
        /* Exactly one of a-newer-than-b, b-newer-than-a, equal, or
         * half-way apart holds. */
        bool forward = mh_seq_newer((uint16_t)received, (uint16_t)last);
        bool backward = mh_seq_newer((uint16_t)last, (uint16_t)received);
        bool half = ((received - last) & 0xffff) == 32768;
        CHECK_EQ_INT(forward + backward + (received == last) + half, 1);
    }
}

/*
 * Binding Authorization Data written by mh_encode_auth (RFC 6275 §6.2.7):
 * last option, at 8n+2, no padding after it.  Checksum and authenticator
 * stay zero for the caller to fill.
 */
// clang-format off
static const uint8_t bu_nonce_auth[32] = {
    59, 3, 5, 0,                  /* Payload Proto, Header Len 3 (32 bytes), BU, Reserved */
    0, 0,                         /* Checksum, left zero */
    0x00, 0x09, 0x80, 0,          /* Sequence # 9, flags A, Reserved */
    0x00, 0x10,                   /* Lifetime 16 units */
    4, 4, 0x01, 0x02, 0x03, 0x04, /* Nonce Indices at offset 12 */
    5, 12,                        /* Binding Authorization Data at offset 18 = 8n+2 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* authenticator, offset 20 */
};

static const uint8_t ba_auth[32] = {
    59, 3, 6, 0, 0, 0,            /* Payload Proto, Header Len 3, BA, Reserved, Checksum */
    0, 0, 0x00, 0x09, 0x00, 0x69, /* Status 0, flags, Sequence # 9, Lifetime 105 */
    1, 4, 0, 0, 0, 0,             /* PadN of 6 bytes to reach 8n+2 */
    5, 12,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

static const uint8_t bu_nonce_acoa_auth[56] = {
    59, 6, 5, 0, 0, 0,            /* Header Len 6 (56 bytes) */
    0x00, 0x09, 0x80, 0, 0x00, 0x10,
    4, 4, 0x01, 0x02, 0x03, 0x04, /* Nonce Indices at 12 */
    1, 2, 0, 0,                   /* PadN of 4 bytes */
    3, 16, COA_BYTES,             /* Alternate Care-of Address at 22 = 8n+6 */
    1, 0,                         /* PadN of 2 bytes */
    5, 12,                        /* Binding Authorization Data at 42 = 8n+2 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};
// clang-format on

static struct mh_msg
bu_for_auth(bool with_acoa)
{
    struct mh_msg msg = {.type = MH_BU};
    msg.bu.seq = 9;
    msg.bu.flags = MH_BU_FLAG_A;
    msg.bu.lifetime = 16;
    msg.bu.has_nonce_indices = true;
    msg.bu.home_nonce_index = 0x0102;
    msg.bu.coa_nonce_index = 0x0304;
    msg.bu.has_alt_coa = with_acoa;
    memcpy(msg.bu.alt_coa, coa, 16);
    return msg;
}

/* Encode with authorization data and compare with the expected bytes. */
static void
check_auth_encoding(const struct mh_msg *msg, const uint8_t *expected, size_t expected_len,
                    size_t expected_offset)
{
    uint8_t buf[64];
    size_t offset = 0;
    memset(buf, 0xee, sizeof buf);
    struct wr w = wr_init(buf, sizeof buf);
    CHECK_EQ_INT(mh_encode_auth(&w, msg, 12, &offset), MH_OK);
    CHECK_EQ_INT(w.pos, expected_len);
    CHECK_EQ_INT(offset, expected_offset);
    CHECK_EQ_MEM(buf, expected, expected_len);
}

static void
encode_auth_bu_with_nonce_indices(void)
{
    struct mh_msg msg = bu_for_auth(false);
    check_auth_encoding(&msg, bu_nonce_auth, sizeof bu_nonce_auth, 20);
}

static void
encode_auth_ba(void)
{
    struct mh_msg msg = {.type = MH_BA};
    msg.ba.seq = 9;
    msg.ba.lifetime = 105;
    check_auth_encoding(&msg, ba_auth, sizeof ba_auth, 20);
}

static void
encode_auth_bu_with_acoa(void)
{
    struct mh_msg msg = bu_for_auth(true);
    check_auth_encoding(&msg, bu_nonce_acoa_auth, sizeof bu_nonce_acoa_auth, 44);
}

static void
encode_auth_rejects_type_length_and_space(void)
{
    struct mh_msg msg = bu_for_auth(false);
    uint8_t buf[64];
    size_t offset = 99;

    static const size_t bad_lengths[] = {0, 8, 11, 13, 260};
    for (size_t i = 0; i < sizeof bad_lengths / sizeof bad_lengths[0]; i++) {
        struct wr w = wr_init(buf, sizeof buf);
        CHECK_EQ_INT(mh_encode_auth(&w, &msg, bad_lengths[i], &offset), MH_BAD_AUTH_LENGTH);
        CHECK_EQ_INT(w.pos, 0);
    }

    struct mh_msg hoti_msg = {.type = MH_HOTI};
    struct wr w = wr_init(buf, sizeof buf);
    CHECK_EQ_INT(mh_encode_auth(&w, &hoti_msg, 12, &offset), MH_ENCODE_UNSUPPORTED);
    CHECK_EQ_INT(w.pos, 0);

    for (size_t cap = 0; cap < 32; cap++) {
        w = wr_init(buf, cap);
        CHECK_EQ_INT(mh_encode_auth(&w, &msg, 12, &offset), MH_NO_SPACE);
        CHECK(!wr_ok(&w));
    }
    CHECK_EQ_INT(offset, 99);
}

/* A 4-byte authenticator also ends the message on 8 bytes: 12 + 6 fields,
 * option at 18, 2 + 4 bytes, total 24. */
static void
encode_auth_other_length(void)
{
    struct mh_msg msg = bu_for_auth(false);
    uint8_t buf[64];
    size_t offset = 0;
    struct wr w = wr_init(buf, sizeof buf);
    CHECK_EQ_INT(mh_encode_auth(&w, &msg, 4, &offset), MH_OK);
    CHECK_EQ_INT(w.pos, 24);
    CHECK_EQ_INT(offset, 20);
    CHECK_EQ_INT(buf[1], 2);
    CHECK_EQ_INT(buf[18], MH_OPT_AUTH_DATA);
    CHECK_EQ_INT(buf[19], 4);
}

static void
set_checksum_then_decode(void)
{
    struct mh_msg msg = bu_for_auth(true), got;
    uint8_t buf[64];
    size_t offset = 0;
    struct wr w = wr_init(buf, sizeof buf);
    CHECK_EQ_INT(mh_encode_auth(&w, &msg, 12, &offset), MH_OK);
    memset(buf + offset, 0xa5, 12);
    buf[4] = 0x12; /* whatever the field holds is ignored */
    buf[5] = 0x34;
    mh_set_checksum(buf, w.pos, hoa, ha);
    CHECK_EQ_INT(reference_checksum(hoa, ha, buf, w.pos), 0);

    CHECK_EQ_INT(decode_exact(buf, w.pos, hoa, ha, &got), MH_OK);
    CHECK(got.has_auth_data);
    CHECK_EQ_INT(got.auth_offset, offset);
    CHECK_EQ_INT(got.auth_len, 12);
    CHECK_EQ_INT(got.bu.seq, 9);
    CHECK(got.bu.has_nonce_indices);
    CHECK_EQ_INT(got.bu.home_nonce_index, 0x0102);
    CHECK_EQ_INT(got.bu.coa_nonce_index, 0x0304);
    CHECK(got.bu.has_alt_coa);
    CHECK_EQ_MEM(got.bu.alt_coa, coa, 16);
}

/* mh_encode writes no authorization data, even when asked. */
static void
encode_ignores_auth_flag(void)
{
    struct mh_msg msg = {.type = MH_BA};
    msg.ba.status = MH_BA_ACCEPTED;
    msg.ba.seq = 7;
    msg.ba.lifetime = 150;
    msg.has_auth_data = true;
    msg.auth_len = 12;
    check_encoding(&msg, ha, hoa, ba_accepted, sizeof ba_accepted);
}

CHECK_MAIN(TEST(hand_checksums_match_reference), TEST(encode_bu_with_acoa),
           TEST(encode_ba_accepted), TEST(encode_ba_with_refresh), TEST(encode_bu_from_home),
           TEST(encode_bu_nonce_and_acoa), TEST(encode_other_types),
           TEST(encode_clears_reserved_flags), TEST(encode_rejects_short_buffer_and_type),
           TEST(encode_after_other_bytes), TEST(decode_bu_with_acoa), TEST(decode_ba_messages),
           TEST(decode_other_messages), TEST(decode_ignores_bytes_after_message),
           TEST(decode_rejects_each_flipped_bit), TEST(decode_checksum_needs_home_address),
           TEST(decode_rejects_every_truncation), TEST(decode_rejects_malformed),
           TEST(decode_reports_type_of_unknown_message), TEST(decode_accepts_tolerated_options),
           TEST(decode_ignores_refresh_advice_in_bu), TEST(decode_records_authorization_data),
           TEST(decode_random_edits_stay_in_bounds), TEST(round_trip_every_type),
           TEST(seq_newer_table), TEST(seq_newer_rfc_example_exhaustive),
           TEST(seq_newer_matches_reference), TEST(encode_auth_bu_with_nonce_indices),
           TEST(encode_auth_ba), TEST(encode_auth_bu_with_acoa),
           TEST(encode_auth_rejects_type_length_and_space), TEST(encode_auth_other_length),
           TEST(set_checksum_then_decode), TEST(encode_ignores_auth_flag))
