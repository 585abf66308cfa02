/*
 * fuzz_mh.c - the Mobility Header decoder, with a round trip through the
 * encoder.
 *
 * Input: 16 bytes of source address, 16 bytes of destination address
 * (the pseudo-header of the checksum), then the Mobility Header.
 *
 * The message is decoded twice: as given, and with its checksum
 * recomputed, because random bytes almost never carry a valid checksum
 * and the checks after it would stay unreached.
 *
 * Oracle, for each decode that returns MH_OK: the message length lies
 * inside the input, Binding Authorization Data lies inside the message,
 * and encoding the decoded message with mh_encode and decoding the result
 * gives MH_OK and the same fields.  A BU or BA with Binding Authorization
 * Data also goes through mh_encode_auth.  When the authenticator length
 * is 4 modulo 8, decoding that encoding gives the same fields and the
 * same authenticator.  With any other length the encoder rejects it.
 * The decode of the fixed copy never returns MH_BAD_CHECKSUM.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "mh.h"

#define ADDRESSES_LEN (2 * MH_ADDR_LEN)

static void
check_same_bu(const struct mh_bu *a, const struct mh_bu *b)
{
    FUZZ_ASSERT(a->seq == b->seq);
    FUZZ_ASSERT(a->flags == b->flags);
    FUZZ_ASSERT(a->lifetime == b->lifetime);
    FUZZ_ASSERT(a->has_alt_coa == b->has_alt_coa);
    if (a->has_alt_coa)
        FUZZ_ASSERT(memcmp(a->alt_coa, b->alt_coa, MH_ADDR_LEN) == 0);
    FUZZ_ASSERT(a->has_nonce_indices == b->has_nonce_indices);
    if (a->has_nonce_indices) {
        FUZZ_ASSERT(a->home_nonce_index == b->home_nonce_index);
        FUZZ_ASSERT(a->coa_nonce_index == b->coa_nonce_index);
    }
}

static void
check_same_ba(const struct mh_ba *a, const struct mh_ba *b)
{
    FUZZ_ASSERT(a->status == b->status);
    FUZZ_ASSERT(a->flags == b->flags);
    FUZZ_ASSERT(a->seq == b->seq);
    FUZZ_ASSERT(a->lifetime == b->lifetime);
    FUZZ_ASSERT(a->has_refresh == b->has_refresh);
    if (a->has_refresh)
        FUZZ_ASSERT(a->refresh == b->refresh);
}

/* Compare the message fields; Binding Authorization Data is checked by the callers. */
static void
check_same_fields(const struct mh_msg *a, const struct mh_msg *b)
{
    FUZZ_ASSERT(a->type == b->type);

    switch (a->type) {
    case MH_BU:
        check_same_bu(&a->bu, &b->bu);
        break;
    case MH_BA:
        check_same_ba(&a->ba, &b->ba);
        break;
    case MH_BE:
        FUZZ_ASSERT(a->be.status == b->be.status);
        FUZZ_ASSERT(memcmp(a->be.home, b->be.home, MH_ADDR_LEN) == 0);
        break;
    case MH_HOTI:
    case MH_COTI:
        FUZZ_ASSERT(a->test_init.cookie == b->test_init.cookie);
        break;
    case MH_HOT:
    case MH_COT:
        FUZZ_ASSERT(a->test.nonce_index == b->test.nonce_index);
        FUZZ_ASSERT(a->test.cookie == b->test.cookie);
        FUZZ_ASSERT(a->test.keygen_token == b->test.keygen_token);
        break;
    default:
        break;
    }
}

/* The largest encoding: a BU with both options (40 bytes) and a 255-byte authenticator. */
#define ENCODE_CAP 512

static void
check_round_trip(const struct mh_msg *msg, const uint8_t *src, const uint8_t *dst)
{
    uint8_t buf[ENCODE_CAP];
    struct wr w = wr_init(buf, sizeof buf);

    FUZZ_ASSERT(mh_encode(&w, msg, src, dst) == MH_OK);
    FUZZ_ASSERT(w.pos % 8 == 0);

    struct mh_msg again;
    FUZZ_ASSERT(mh_decode(buf, w.pos, src, dst, &again) == MH_OK);
    FUZZ_ASSERT(again.len == w.pos);
    FUZZ_ASSERT(!again.has_auth_data);
    check_same_fields(msg, &again);
}

/* Encode msg with the authenticator found in the original message mh. */
static void
check_auth_round_trip(const struct mh_msg *msg, const uint8_t *mh, const uint8_t *src,
                      const uint8_t *dst)
{
    uint8_t buf[ENCODE_CAP];
    struct wr w = wr_init(buf, sizeof buf);
    size_t auth_offset = 0;

    enum mh_status status = mh_encode_auth(&w, msg, msg->auth_len, &auth_offset);
    if (msg->auth_len % 8 != 4) {
        FUZZ_ASSERT(status == MH_BAD_AUTH_LENGTH);
        FUZZ_ASSERT(w.pos == 0);
        return;
    }
    FUZZ_ASSERT(status == MH_OK);
    FUZZ_ASSERT(w.pos % 8 == 0);
    FUZZ_ASSERT(auth_offset + msg->auth_len == w.pos);
    memcpy(buf + auth_offset, mh + msg->auth_offset, msg->auth_len);
    mh_set_checksum(buf, w.pos, src, dst);

    struct mh_msg again;
    FUZZ_ASSERT(mh_decode(buf, w.pos, src, dst, &again) == MH_OK);
    FUZZ_ASSERT(again.len == w.pos);
    check_same_fields(msg, &again);
    FUZZ_ASSERT(again.has_auth_data);
    FUZZ_ASSERT(again.auth_offset == auth_offset);
    FUZZ_ASSERT(again.auth_len == msg->auth_len);
    FUZZ_ASSERT(memcmp(buf + auth_offset, mh + msg->auth_offset, msg->auth_len) == 0);
}

static enum mh_status
decode_and_check(const uint8_t *mh, size_t len, const uint8_t *src, const uint8_t *dst)
{
    struct mh_msg msg;

    enum mh_status status = mh_decode(mh, len, src, dst, &msg);
    FUZZ_ASSERT(status <= MH_OPTION_AFTER_AUTH);
    if (status != MH_OK)
        return status;

    FUZZ_ASSERT(msg.type <= MH_BE);
    FUZZ_ASSERT(msg.len >= 8 && msg.len % 8 == 0);
    FUZZ_ASSERT(msg.len <= len);
    if (msg.has_auth_data) {
        FUZZ_ASSERT(msg.auth_offset >= 8);
        FUZZ_ASSERT(msg.auth_offset + msg.auth_len <= msg.len);
    }
    check_round_trip(&msg, src, dst);
    if (msg.has_auth_data)
        check_auth_round_trip(&msg, mh, src, dst);
    return status;
}

/* Write the checksum that makes mh[0..len) verify, when Header Len fits in len. */
static void
fix_checksum(uint8_t *mh, size_t len, const uint8_t *src, const uint8_t *dst)
{
    if (len < 8)
        return;
    size_t msg_len = ((size_t)mh[1] + 1) * 8;
    if (msg_len <= len)
        mh_set_checksum(mh, msg_len, src, dst);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < ADDRESSES_LEN)
        return 0;
    const uint8_t *src = data;
    const uint8_t *dst = data + MH_ADDR_LEN;
    const uint8_t *mh = data + ADDRESSES_LEN;
    size_t len = size - ADDRESSES_LEN;

    decode_and_check(mh, len, src, dst);

    uint8_t *fixed = malloc(len ? len : 1);
    FUZZ_ASSERT(fixed != NULL);
    memcpy(fixed, mh, len);
    fix_checksum(fixed, len, src, dst);
    FUZZ_ASSERT(decode_and_check(fixed, len, src, dst) != MH_BAD_CHECKSUM);
    free(fixed);
    return 0;
}
