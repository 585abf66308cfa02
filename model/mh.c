/*
 * mh.c - Mobility Header encoder and decoder (RFC 6275 §6.1, §6.2).
 */
#include "mh.h"

#include <string.h>

#include "cursor.h"
#include "ipv6.h"

#define MH_COMMON_LEN 6 /* Payload Proto, Header Len, MH Type, Reserved, Checksum */

/* Defined flag bits.  The others are reserved: zero on send, ignored on receipt. */
#define BU_FLAGS_DEFINED (MH_BU_FLAG_A | MH_BU_FLAG_H | MH_BU_FLAG_L | MH_BU_FLAG_K)
#define BA_FLAGS_DEFINED MH_BA_FLAG_K

/* Option Length of the options whose length is fixed (RFC 6275 §6.2.4-§6.2.6). */
#define REFRESH_ADVICE_LEN 2
#define ALT_COA_LEN 16
#define NONCE_INDICES_LEN 4

/*
 * Minimum Header Len per MH Type: the fixed fields rounded up to 8-byte
 * units, minus the first unit (RFC 6275 §6.1.2-§6.1.9).
 */
static const uint8_t min_header_len[] = {
    [MH_BRR] = 0, [MH_HOTI] = 1, [MH_COTI] = 1, [MH_HOT] = 2,
    [MH_COT] = 2, [MH_BU] = 1,   [MH_BA] = 1,   [MH_BE] = 2,
};

/*
 * Write Pad1 or PadN (RFC 6275 §6.2.2, §6.2.3) so that the next byte
 * lands at an offset from start that is rem modulo align.
 */
static void
pad_to(struct wr *w, size_t start, size_t align, size_t rem)
{
    size_t at = (w->pos - start) % align;
    size_t n = (rem + align - at) % align;
    if (n == 1) {
        wr_u8(w, MH_OPT_PAD1);
    } else if (n >= 2) {
        wr_u8(w, MH_OPT_PADN);
        wr_u8(w, (uint8_t)(n - 2));
        wr_zeros(w, n - 2);
    }
}

static void
write_fields(struct wr *w, const struct mh_msg *msg)
{
    switch (msg->type) {
    case MH_BRR:
        wr_zeros(w, 2);
        break;
    case MH_HOTI:
    case MH_COTI:
        wr_zeros(w, 2);
        wr_u64(w, msg->test_init.cookie);
        break;
    case MH_HOT:
    case MH_COT:
        wr_u16(w, msg->test.nonce_index);
        wr_u64(w, msg->test.cookie);
        wr_u64(w, msg->test.keygen_token);
        break;
    case MH_BU:
        wr_u16(w, msg->bu.seq);
        wr_u8(w, msg->bu.flags & BU_FLAGS_DEFINED);
        wr_u8(w, 0);
        wr_u16(w, msg->bu.lifetime);
        break;
    case MH_BA:
        wr_u8(w, msg->ba.status);
        wr_u8(w, msg->ba.flags & BA_FLAGS_DEFINED);
        wr_u16(w, msg->ba.seq);
        wr_u16(w, msg->ba.lifetime);
        break;
    case MH_BE:
        wr_u8(w, msg->be.status);
        wr_u8(w, 0);
        wr_bytes(w, msg->be.home, MH_ADDR_LEN);
        break;
    }
}

/* Write the options of msg, each on the alignment RFC 6275 §6.2 gives it. */
static void
write_options(struct wr *w, size_t start, const struct mh_msg *msg)
{
    if (msg->type == MH_BU && msg->bu.has_nonce_indices) {
        pad_to(w, start, 2, 0); /* §6.2.6: 2n */
        wr_u8(w, MH_OPT_NONCE_INDICES);
        wr_u8(w, NONCE_INDICES_LEN);
        wr_u16(w, msg->bu.home_nonce_index);
        wr_u16(w, msg->bu.coa_nonce_index);
    }
    if (msg->type == MH_BU && msg->bu.has_alt_coa) {
        pad_to(w, start, 8, 6); /* §6.2.5: 8n+6 */
        wr_u8(w, MH_OPT_ALT_COA);
        wr_u8(w, ALT_COA_LEN);
        wr_bytes(w, msg->bu.alt_coa, MH_ADDR_LEN);
    }
    if (msg->type == MH_BA && msg->ba.has_refresh) {
        pad_to(w, start, 2, 0); /* §6.2.4: 2n */
        wr_u8(w, MH_OPT_REFRESH_ADVICE);
        wr_u8(w, REFRESH_ADVICE_LEN);
        wr_u16(w, msg->ba.refresh);
    }
}

/*
 * Write msg with its Header Len set and its Checksum zero.  With auth_len
 * above 0 a Binding Authorization Data option of that length ends the
 * message, and *auth_offset receives the offset of its zeroed
 * authenticator.  Returns false when w ran out of space.
 */
static bool
write_message(struct wr *w, const struct mh_msg *msg, size_t auth_len, size_t *auth_offset)
{
    size_t start = w->pos;

    wr_u8(w, MH_PAYLOAD_PROTO_NONE);
    wr_u8(w, 0); /* Header Len, filled in below */
    wr_u8(w, msg->type);
    wr_u8(w, 0);  /* Reserved */
    wr_u16(w, 0); /* Checksum, filled in by the caller */
    write_fields(w, msg);
    write_options(w, start, msg);
    if (auth_len > 0) {
        /* RFC 6275 §6.2.7: Binding Authorization Data is the last option,
         * with no padding after it, hence its implicit 8n+2 alignment. */
        pad_to(w, start, 8, 2);
        wr_u8(w, MH_OPT_AUTH_DATA);
        wr_u8(w, (uint8_t)auth_len);
        *auth_offset = w->pos - start;
        wr_zeros(w, auth_len);
    }
    /* RFC 6275 §6.1.1: the length is a multiple of 8 bytes. */
    pad_to(w, start, 8, 0);
    if (!wr_ok(w))
        return false;

    w->buf[start + 1] = (uint8_t)((w->pos - start) / 8 - 1);
    return true;
}

void
mh_set_checksum(uint8_t *mh, size_t len, const uint8_t src[MH_ADDR_LEN],
                const uint8_t dst[MH_ADDR_LEN])
{
    put_u16(mh + 4, 0);
    put_u16(mh + 4, ip6_checksum(src, dst, IP6_NH_MOBILITY, mh, len));
}

enum mh_status
mh_encode(struct wr *w, const struct mh_msg *msg, const uint8_t src[MH_ADDR_LEN],
          const uint8_t dst[MH_ADDR_LEN])
{
    if (msg->type > MH_BE)
        return MH_ENCODE_UNSUPPORTED;
    if (!wr_ok(w))
        return MH_NO_SPACE;

    size_t start = w->pos;
    if (!write_message(w, msg, 0, NULL))
        return MH_NO_SPACE;
    mh_set_checksum(w->buf + start, w->pos - start, src, dst);
    return MH_OK;
}

enum mh_status
mh_encode_auth(struct wr *w, const struct mh_msg *msg, size_t auth_len, size_t *auth_offset)
{
    /* RFC 6275 §6.1.7 and §6.1.8: only BU and BA carry this option. */
    if (msg->type != MH_BU && msg->type != MH_BA)
        return MH_ENCODE_UNSUPPORTED;
    /* The option starts at 8n+2, so its 2 + auth_len bytes end the
     * message on a multiple of 8 only when auth_len is 4 modulo 8. */
    if (auth_len % 8 != 4 || auth_len > UINT8_MAX)
        return MH_BAD_AUTH_LENGTH;
    if (!wr_ok(w))
        return MH_NO_SPACE;

    size_t offset = 0;
    if (!write_message(w, msg, auth_len, &offset))
        return MH_NO_SPACE;
    *auth_offset = offset;
    return MH_OK;
}

static void
read_fields(struct rd *r, struct mh_msg *msg)
{
    switch (msg->type) {
    case MH_BRR:
        rd_skip(r, 2);
        break;
    case MH_HOTI:
    case MH_COTI:
        rd_skip(r, 2);
        msg->test_init.cookie = rd_u64(r);
        break;
    case MH_HOT:
    case MH_COT:
        msg->test.nonce_index = rd_u16(r);
        msg->test.cookie = rd_u64(r);
        msg->test.keygen_token = rd_u64(r);
        break;
    case MH_BU:
        msg->bu.seq = rd_u16(r);
        msg->bu.flags = rd_u8(r) & BU_FLAGS_DEFINED;
        rd_skip(r, 1);
        msg->bu.lifetime = rd_u16(r);
        break;
    case MH_BA:
        msg->ba.status = rd_u8(r);
        msg->ba.flags = rd_u8(r) & BA_FLAGS_DEFINED;
        msg->ba.seq = rd_u16(r);
        msg->ba.lifetime = rd_u16(r);
        break;
    case MH_BE:
        msg->be.status = rd_u8(r);
        rd_skip(r, 1);
        rd_bytes(r, msg->be.home, MH_ADDR_LEN);
        break;
    }
}

/* Return the Option Length a known option must have, or 0 when it varies. */
static size_t
fixed_option_len(uint8_t type)
{
    switch (type) {
    case MH_OPT_REFRESH_ADVICE:
        return REFRESH_ADVICE_LEN;
    case MH_OPT_ALT_COA:
        return ALT_COA_LEN;
    case MH_OPT_NONCE_INDICES:
        return NONCE_INDICES_LEN;
    default:
        return 0;
    }
}

/* Store one known option into msg when the message type allows it. */
static void
store_option(uint8_t type, struct rd *data, size_t data_offset, struct mh_msg *msg)
{
    bool bu = msg->type == MH_BU;
    bool ba = msg->type == MH_BA;

    if (type == MH_OPT_REFRESH_ADVICE && ba) {
        msg->ba.has_refresh = true;
        msg->ba.refresh = rd_u16(data);
    } else if (type == MH_OPT_ALT_COA && bu) {
        msg->bu.has_alt_coa = true;
        rd_bytes(data, msg->bu.alt_coa, MH_ADDR_LEN);
    } else if (type == MH_OPT_NONCE_INDICES && bu) {
        msg->bu.has_nonce_indices = true;
        msg->bu.home_nonce_index = rd_u16(data);
        msg->bu.coa_nonce_index = rd_u16(data);
    } else if (type == MH_OPT_AUTH_DATA && (bu || ba)) {
        msg->has_auth_data = true;
        msg->auth_offset = data_offset;
        msg->auth_len = data->len;
    }
}

/* Walk the options left in opts, whose first byte sits at offset base in the message. */
static enum mh_status
walk_options(struct rd *opts, size_t base, struct mh_msg *msg)
{
    bool seen[MH_OPT_AUTH_DATA + 1] = {false};

    while (rd_left(opts) > 0) {
        /* RFC 6275 §6.2.7: Binding Authorization Data is the last option. */
        if (msg->has_auth_data)
            return MH_OPTION_AFTER_AUTH;

        uint8_t type = rd_u8(opts);
        if (type == MH_OPT_PAD1)
            continue;
        uint8_t data_len = rd_u8(opts);
        size_t data_offset = base + opts->pos;
        struct rd data = rd_sub(opts, data_len);
        if (!rd_ok(opts))
            return MH_OPTION_TRUNCATED;

        /* RFC 6275 §6.2.1: skip options this node does not understand. */
        if (type == MH_OPT_PADN || type > MH_OPT_AUTH_DATA)
            continue;

        size_t want_len = fixed_option_len(type);
        if (want_len != 0 && data_len != want_len)
            return MH_BAD_OPTION_LENGTH;
        /* NOTE: RFC 6275 does not say how to treat a repeated option; the
         * model rejects it rather than let one copy silently win. */
        if (seen[type])
            return MH_DUPLICATE_OPTION;
        seen[type] = true;

        store_option(type, &data, data_offset, msg);
    }
    return MH_OK;
}

enum mh_status
mh_decode(const uint8_t *buf, size_t len, const uint8_t src[MH_ADDR_LEN],
          const uint8_t dst[MH_ADDR_LEN], struct mh_msg *msg)
{
    memset(msg, 0, sizeof *msg);
    struct rd r = rd_init(buf, len);

    uint8_t payload_proto = rd_u8(&r);
    uint8_t header_len = rd_u8(&r);
    uint8_t type = rd_u8(&r);
    rd_skip(&r, 1); /* Reserved */
    rd_skip(&r, 2); /* Checksum, verified over the whole message below */
    /* RFC 6275 §6.1.1: Header Len counts 8-byte units after the first 8. */
    size_t msg_len = ((size_t)header_len + 1) * 8;
    if (!rd_ok(&r) || len < 8)
        return MH_TRUNCATED;
    msg->type = type;
    msg->len = msg_len;
    if (msg_len > len)
        return MH_TRUNCATED;

    /* RFC 6275 §9.2 sanity checks: checksum, MH Type, Payload Proto,
     * Header Len. */
    if (ip6_checksum(src, dst, IP6_NH_MOBILITY, buf, msg_len) != 0)
        return MH_BAD_CHECKSUM;
    if (type > MH_BE)
        return MH_UNKNOWN_TYPE;
    if (payload_proto != MH_PAYLOAD_PROTO_NONE)
        return MH_BAD_PAYLOAD_PROTO;
    if (header_len < min_header_len[type])
        return MH_BAD_HEADER_LEN;

    struct rd body = rd_sub(&r, msg_len - MH_COMMON_LEN);
    read_fields(&body, msg);
    if (!rd_ok(&body))
        return MH_TRUNCATED; /* unreachable once Header Len passed its minimum */

    return walk_options(&body, MH_COMMON_LEN, msg);
}

bool
mh_seq_newer(uint16_t received, uint16_t last)
{
    /* RFC 6275 §9.5.1: compare modulo 2^16; a number is not newer when it
     * equals last or lies within the 32768 numbers before it. */
    uint16_t ahead = (uint16_t)(received - last);
    return ahead >= 1 && ahead <= 32767;
}
