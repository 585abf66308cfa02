/*
 * fuzz_icmp6.c - icmp6_decode against a naive reference decoder, with a
 * round trip through icmp6_encode.
 *
 * Input: 16 bytes of source address, 16 bytes of destination address
 * (the pseudo-header of the checksum), then the ICMPv6 message.
 *
 * The message is decoded twice: as given, and with its checksum
 * recomputed, because random bytes almost never carry a valid checksum
 * and the checks after it would stay unreached.
 *
 * Oracle, for each decode: icmp6_decode returns the same status as the
 * reference below, which indexes the buffer directly instead of using
 * the cursor.  On ICMP6_OK both agree on every field, and encoding the
 * decoded message (when nothing was left unstored) and decoding the
 * result gives ICMP6_OK and the same fields.  The decode of the fixed
 * copy never returns ICMP6_BAD_CHECKSUM.
 */
#include <stdbool.h>
#include <string.h>

#include "cursor.h"
#include "fuzz.h"
#include "icmp6.h"
#include "ipv6.h"

#define ADDRESSES_LEN (2 * ICMP6_ADDR_LEN)

static uint32_t
be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Ones' complement sum of the pseudo-header and message, complemented. */
static uint16_t
reference_checksum(const uint8_t *src, const uint8_t *dst, const uint8_t *msg, size_t len)
{
    uint64_t sum = 0;
    for (int i = 0; i < 16; i += 2)
        sum += (uint32_t)(src[i] << 8 | src[i + 1]) + (uint32_t)(dst[i] << 8 | dst[i + 1]);
    sum += (len >> 16) + (len & 0xffff) + 58;
    for (size_t i = 0; i < len; i++)
        sum += i % 2 == 0 ? (uint32_t)msg[i] << 8 : msg[i];
    while (sum > 0xffff)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Store the 32-byte Prefix Information option at opt, or return its problem. */
static enum icmp6_status
reference_prefix(const uint8_t *opt, struct icmp6_mpa *mpa)
{
    if (opt[2] > 128)
        return ICMP6_BAD_PREFIX_LENGTH;
    if (mpa->n_prefixes == ICMP6_MAX_PREFIXES) {
        mpa->n_not_stored++;
        return ICMP6_OK;
    }
    struct nd_prefix *p = &mpa->prefixes[mpa->n_prefixes++];
    p->prefix_len = opt[2];
    p->on_link = opt[3] & 0x80;
    p->autonomous = opt[3] & 0x40;
    p->router_addr = opt[3] & 0x20;
    p->valid_lifetime_s = be32(opt + 4);
    p->preferred_lifetime_s = be32(opt + 8);
    memcpy(p->prefix, opt + 16, 16);
    return ICMP6_OK;
}

/* Walk the options from offset 8, storing Prefix Information in mpa when it is not NULL. */
static enum icmp6_status
reference_options(const uint8_t *msg, size_t len, struct icmp6_mpa *mpa)
{
    size_t at = ICMP6_FIXED_LEN;
    while (at < len) {
        if (len - at < 2)
            return ICMP6_OPTION_TRUNCATED;
        size_t opt_len = (size_t)msg[at + 1] * 8;
        if (opt_len == 0)
            return ICMP6_ZERO_OPTION_LENGTH;
        if (opt_len > len - at)
            return ICMP6_OPTION_TRUNCATED;
        if (mpa && msg[at] == 3) {
            if (opt_len != 32)
                return ICMP6_BAD_PREFIX_OPTION_LENGTH;
            enum icmp6_status status = reference_prefix(msg + at, mpa);
            if (status != ICMP6_OK)
                return status;
        }
        at += opt_len;
    }
    return ICMP6_OK;
}

static enum icmp6_status
reference_decode(const uint8_t *msg, size_t len, const uint8_t *src, const uint8_t *dst,
                 struct icmp6_msg *out)
{
    memset(out, 0, sizeof *out);
    if (len > 65535)
        return ICMP6_TOO_LONG;
    if (len < ICMP6_FIXED_LEN)
        return ICMP6_TRUNCATED;
    out->type = msg[0];
    out->id = get_u16(msg + 4);
    if (reference_checksum(src, dst, msg, len) != 0)
        return ICMP6_BAD_CHECKSUM;
    if (msg[0] < 144 || msg[0] > 147)
        return ICMP6_UNKNOWN_TYPE;
    if (msg[1] != 0)
        return ICMP6_BAD_CODE;

    if (msg[0] == ICMP6_DHAAD_REPLY) {
        if ((len - ICMP6_FIXED_LEN) % 16 != 0)
            return ICMP6_BAD_ADDRESS_LIST;
        for (size_t at = ICMP6_FIXED_LEN; at < len; at += 16) {
            struct icmp6_dhaad_reply *r = &out->dhaad_reply;
            if (r->n_addresses < ICMP6_MAX_HA_ADDRESSES)
                memcpy(r->addresses[r->n_addresses++], msg + at, 16);
            else
                r->n_not_stored++;
        }
    } else if (msg[0] == ICMP6_MPS) {
        return reference_options(msg, len, NULL);
    } else if (msg[0] == ICMP6_MPA) {
        out->mpa.managed = msg[6] & 0x80;
        out->mpa.other = msg[6] & 0x40;
        enum icmp6_status status = reference_options(msg, len, &out->mpa);
        if (status != ICMP6_OK)
            return status;
        if (out->mpa.n_prefixes == 0)
            return ICMP6_NO_PREFIX;
    }
    return ICMP6_OK;
}

static void
check_same_prefix(const struct nd_prefix *a, const struct nd_prefix *b)
{
    FUZZ_ASSERT(memcmp(a->prefix, b->prefix, 16) == 0);
    FUZZ_ASSERT(a->prefix_len == b->prefix_len);
    FUZZ_ASSERT(a->on_link == b->on_link);
    FUZZ_ASSERT(a->autonomous == b->autonomous);
    FUZZ_ASSERT(a->router_addr == b->router_addr);
    FUZZ_ASSERT(a->valid_lifetime_s == b->valid_lifetime_s);
    FUZZ_ASSERT(a->preferred_lifetime_s == b->preferred_lifetime_s);
}

/* Compare the fields of two decoded messages of the same type. */
static void
check_same_fields(const struct icmp6_msg *a, const struct icmp6_msg *b)
{
    FUZZ_ASSERT(a->type == b->type);
    FUZZ_ASSERT(a->id == b->id);

    if (a->type == ICMP6_DHAAD_REPLY) {
        const struct icmp6_dhaad_reply *ra = &a->dhaad_reply, *rb = &b->dhaad_reply;
        FUZZ_ASSERT(ra->n_addresses == rb->n_addresses);
        FUZZ_ASSERT(ra->n_not_stored == rb->n_not_stored);
        FUZZ_ASSERT(ra->n_addresses <= ICMP6_MAX_HA_ADDRESSES);
        for (size_t i = 0; i < ra->n_addresses; i++)
            FUZZ_ASSERT(memcmp(ra->addresses[i], rb->addresses[i], 16) == 0);
    } else if (a->type == ICMP6_MPA) {
        FUZZ_ASSERT(a->mpa.managed == b->mpa.managed);
        FUZZ_ASSERT(a->mpa.other == b->mpa.other);
        FUZZ_ASSERT(a->mpa.n_prefixes == b->mpa.n_prefixes);
        FUZZ_ASSERT(a->mpa.n_not_stored == b->mpa.n_not_stored);
        FUZZ_ASSERT(a->mpa.n_prefixes <= ICMP6_MAX_PREFIXES);
        for (size_t i = 0; i < a->mpa.n_prefixes; i++)
            check_same_prefix(&a->mpa.prefixes[i], &b->mpa.prefixes[i]);
    }
}

static void
check_round_trip(const struct icmp6_msg *msg, const uint8_t *src, const uint8_t *dst)
{
    /* The largest encoding is an Advertisement with the most prefixes. */
    uint8_t buf[ICMP6_FIXED_LEN + ICMP6_MAX_PREFIXES * ICMP6_PREFIX_OPTION_LEN];
    struct wr w = wr_init(buf, sizeof buf);

    FUZZ_ASSERT(icmp6_encode(&w, msg, src, dst) == ICMP6_OK);
    FUZZ_ASSERT(reference_checksum(src, dst, buf, w.pos) == 0);

    struct icmp6_msg again;
    FUZZ_ASSERT(icmp6_decode(buf, w.pos, src, dst, &again) == ICMP6_OK);
    FUZZ_ASSERT(again.len == w.pos);
    check_same_fields(msg, &again);
}

static enum icmp6_status
decode_and_check(const uint8_t *msg, size_t len, const uint8_t *src, const uint8_t *dst)
{
    struct icmp6_msg got, want;

    enum icmp6_status status = icmp6_decode(msg, len, src, dst, &got);
    FUZZ_ASSERT(status == reference_decode(msg, len, src, dst, &want));
    FUZZ_ASSERT(strcmp(icmp6_status_name(status), "unknown") != 0);
    if (status != ICMP6_OK)
        return status;

    FUZZ_ASSERT(got.len == len);
    check_same_fields(&got, &want);
    bool all_stored = (got.type != ICMP6_DHAAD_REPLY || got.dhaad_reply.n_not_stored == 0) &&
                      (got.type != ICMP6_MPA || got.mpa.n_not_stored == 0);
    if (all_stored)
        check_round_trip(&got, src, dst);
    return status;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < ADDRESSES_LEN)
        return 0;
    const uint8_t *src = data;
    const uint8_t *dst = data + ICMP6_ADDR_LEN;
    const uint8_t *msg = data + ADDRESSES_LEN;
    size_t len = size - ADDRESSES_LEN;

    decode_and_check(msg, len, src, dst);

    if (len < ICMP6_FIXED_LEN || len > IP6_MAX_PAYLOAD)
        return 0;
    uint8_t *fixed = malloc(len);
    FUZZ_ASSERT(fixed != NULL);
    memcpy(fixed, msg, len);
    put_u16(fixed + 2, 0);
    put_u16(fixed + 2, ip6_checksum(src, dst, IP6_NH_ICMPV6, fixed, len));
    FUZZ_ASSERT(decode_and_check(fixed, len, src, dst) != ICMP6_BAD_CHECKSUM);
    free(fixed);
    return 0;
}
