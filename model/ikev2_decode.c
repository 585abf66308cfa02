/*
 * ikev2_decode.c - IKEv2 message decoding (RFC 7296 §3), with the
 * Encrypted and Authenticated payload verified and decrypted (§3.14).
 * Every read goes through struct rd, and every length is checked against
 * the bytes present and the capacities of struct ikev2_msg.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "ikev2_crypto.h"
#include "ikev2_msg.h"
#include "ikev2_msg_int.h"

/* ---- decoding ---- */

enum ikev2_status
ikev2_read_header(const uint8_t *pkt, size_t len, struct ikev2_header *hdr)
{
    struct rd r = rd_init(pkt, len);
    hdr->spi_i = rd_u64(&r);
    hdr->spi_r = rd_u64(&r);
    hdr->next_payload = rd_u8(&r);
    hdr->version = rd_u8(&r);
    hdr->exchange = rd_u8(&r);
    hdr->flags = rd_u8(&r);
    hdr->message_id = rd_u32(&r);
    hdr->length = rd_u32(&r);
    if (!rd_ok(&r))
        return IKEV2_TRUNCATED;

    /* RFC 7296 §3.1 and §2.5: drop another major version, ignore the minor one. */
    if (hdr->version >> 4 != IKEV2_VERSION >> 4)
        return IKEV2_BAD_VERSION;
    /* RFC 7296 §3.1: Length is the whole message, header and payloads. */
    if (hdr->length != len)
        return IKEV2_BAD_LENGTH;
    return IKEV2_OK;
}

/* Read the Key Length attribute, the only one RFC 7296 §3.3.5 defines. */
static enum ikev2_status
read_attributes(struct rd *r, struct ikev2_transform *t)
{
    t->key_bits = 0;
    if (rd_left(r) == 0)
        return IKEV2_OK;
    uint16_t type = rd_u16(r);
    uint16_t value = rd_u16(r);
    /* NOTE: other attributes would be dropped by a re-encode, so a
     * transform that carries one is rejected with its message. */
    if (!rd_ok(r) || type != (ATTRIBUTE_TV | ATTRIBUTE_KEY_LENGTH) || rd_left(r) != 0)
        return IKEV2_BAD_PAYLOAD;
    /* A Key Length of 0 would read back as no attribute. */
    if (value == 0)
        return IKEV2_BAD_PAYLOAD;
    t->key_bits = value;
    return IKEV2_OK;
}

static enum ikev2_status
read_transforms(struct rd *r, struct ikev2_proposal *p, size_t count)
{
    if (count > IKEV2_MAX_TRANSFORMS)
        return IKEV2_TOO_MANY;
    for (size_t i = 0; i < count; i++) {
        uint8_t last = rd_u8(r);
        rd_skip(r, 1);
        uint16_t len = rd_u16(r);
        struct ikev2_transform *t = &p->transforms[i];
        t->type = rd_u8(r);
        rd_skip(r, 1);
        t->id = rd_u16(r);
        if (!rd_ok(r) || len < TRANSFORM_HEADER_LEN)
            return IKEV2_BAD_PAYLOAD;
        /* RFC 7296 §3.3.2: 3 before every transform but the last, which has 0. */
        if (last != (i + 1 == count ? LAST_SUBSTRUCTURE : MORE_TRANSFORMS))
            return IKEV2_BAD_PAYLOAD;
        struct rd attributes = rd_sub(r, len - TRANSFORM_HEADER_LEN);
        if (!rd_ok(r))
            return IKEV2_BAD_PAYLOAD;
        enum ikev2_status status = read_attributes(&attributes, t);
        if (status != IKEV2_OK)
            return status;
    }
    p->n_transforms = (uint8_t)count;
    return IKEV2_OK;
}

/* Read one proposal substructure (RFC 7296 §3.3.1) and its Last Substruc into *last. */
static enum ikev2_status
read_proposal(struct rd *r, struct ikev2_proposal *p, uint8_t *last)
{
    *last = rd_u8(r);
    rd_skip(r, 1);
    uint16_t len = rd_u16(r);
    if (!rd_ok(r) || len < PROPOSAL_HEADER_LEN || len - 4u > rd_left(r))
        return IKEV2_BAD_PAYLOAD;
    if (*last != LAST_SUBSTRUCTURE && *last != MORE_PROPOSALS)
        return IKEV2_BAD_PAYLOAD;

    struct rd body = rd_sub(r, len - 4u);
    p->number = rd_u8(&body);
    p->protocol = rd_u8(&body);
    p->spi_len = rd_u8(&body);
    uint8_t n_transforms = rd_u8(&body);
    if (!ikev2_valid_proposal_spi(p->protocol, p->spi_len))
        return IKEV2_BAD_PAYLOAD;
    rd_bytes(&body, p->spi, p->spi_len);
    if (!rd_ok(&body))
        return IKEV2_BAD_PAYLOAD;

    enum ikev2_status status = read_transforms(&body, p, n_transforms);
    if (status != IKEV2_OK)
        return status;
    /* Num Transforms must account for every byte of the proposal. */
    return rd_left(&body) == 0 ? IKEV2_OK : IKEV2_BAD_PAYLOAD;
}

static enum ikev2_status
read_sa(struct rd *r, struct ikev2_msg *msg)
{
    /* RFC 7296 §3.3: one or more proposals, the last one marked 0. */
    uint8_t last = MORE_PROPOSALS;
    while (last != LAST_SUBSTRUCTURE) {
        if (rd_left(r) == 0)
            return IKEV2_BAD_PAYLOAD;
        if (msg->n_proposals == IKEV2_MAX_PROPOSALS)
            return IKEV2_TOO_MANY;
        enum ikev2_status status = read_proposal(r, &msg->proposals[msg->n_proposals], &last);
        if (status != IKEV2_OK)
            return status;
        msg->n_proposals++;
    }
    return rd_left(r) == 0 ? IKEV2_OK : IKEV2_BAD_PAYLOAD;
}

static enum ikev2_status
read_ke(struct rd *r, struct ikev2_ke *ke)
{
    ke->group = rd_u16(r);
    rd_skip(r, 2);
    if (!rd_ok(r))
        return IKEV2_BAD_PAYLOAD;
    if (rd_left(r) > IKEV2_MAX_KE_LEN)
        return IKEV2_TOO_MANY;
    ke->len = (uint16_t)rd_left(r);
    rd_bytes(r, ke->data, ke->len);
    return IKEV2_OK;
}

static enum ikev2_status
read_nonce(struct rd *r, struct ikev2_msg *msg)
{
    if (!ikev2_valid_nonce_len(rd_left(r)))
        return IKEV2_BAD_PAYLOAD;
    msg->nonce_len = (uint16_t)rd_left(r);
    rd_bytes(r, msg->nonce, msg->nonce_len);
    return IKEV2_OK;
}

static enum ikev2_status
read_id(struct rd *r, struct ikev2_id *id)
{
    id->type = rd_u8(r);
    rd_skip(r, 3);
    if (!rd_ok(r))
        return IKEV2_BAD_PAYLOAD;
    if (rd_left(r) > IKEV2_MAX_ID_LEN)
        return IKEV2_TOO_MANY;
    id->len = (uint16_t)rd_left(r);
    rd_bytes(r, id->data, id->len);
    return IKEV2_OK;
}

static enum ikev2_status
read_auth(struct rd *r, struct ikev2_auth *auth)
{
    auth->method = rd_u8(r);
    rd_skip(r, 3);
    if (!rd_ok(r))
        return IKEV2_BAD_PAYLOAD;
    if (rd_left(r) > IKEV2_MAX_AUTH_LEN)
        return IKEV2_TOO_MANY;
    auth->len = (uint16_t)rd_left(r);
    rd_bytes(r, auth->data, auth->len);
    return IKEV2_OK;
}

static enum ikev2_status
read_notify(struct rd *r, struct ikev2_msg *msg)
{
    if (msg->n_notifies == IKEV2_MAX_NOTIFIES)
        return IKEV2_TOO_MANY;
    struct ikev2_notify *n = &msg->notifies[msg->n_notifies];
    n->protocol = rd_u8(r);
    n->spi_len = rd_u8(r);
    n->type = rd_u16(r);
    if (!rd_ok(r) || n->spi_len > rd_left(r))
        return IKEV2_BAD_PAYLOAD;
    if (n->spi_len > IKEV2_MAX_SPI_LEN || rd_left(r) - n->spi_len > IKEV2_MAX_NOTIFY_DATA)
        return IKEV2_TOO_MANY;
    rd_bytes(r, n->spi, n->spi_len);
    n->data_len = (uint16_t)rd_left(r);
    rd_bytes(r, n->data, n->data_len);
    msg->n_notifies++;
    return IKEV2_OK;
}

static enum ikev2_status
read_delete(struct rd *r, struct ikev2_msg *msg)
{
    if (msg->n_deletes == IKEV2_MAX_DELETES)
        return IKEV2_TOO_MANY;
    struct ikev2_delete *d = &msg->deletes[msg->n_deletes];
    d->protocol = rd_u8(r);
    uint8_t spi_len = rd_u8(r);
    d->n_spis = rd_u16(r);
    if (!rd_ok(r) || !ikev2_valid_delete(d->protocol, d->n_spis))
        return IKEV2_BAD_PAYLOAD;
    /* RFC 7296 §3.11: SPI Size is 0 for IKE and 4 for AH and ESP. */
    if (spi_len != (d->protocol == IKEV2_PROTO_IKE ? 0 : 4))
        return IKEV2_BAD_PAYLOAD;
    if ((size_t)d->n_spis * 4 != rd_left(r))
        return IKEV2_BAD_PAYLOAD;
    if (d->n_spis > IKEV2_MAX_DELETE_SPIS)
        return IKEV2_TOO_MANY;
    for (size_t i = 0; i < d->n_spis; i++)
        d->spis[i] = rd_u32(r);
    msg->n_deletes++;
    return IKEV2_OK;
}

static enum ikev2_status
read_ts(struct rd *r, struct ikev2_ts *ts, uint8_t *n_ts)
{
    uint8_t count = rd_u8(r);
    rd_skip(r, 3);
    /* The decoded form marks a TS payload present by a non-zero count. */
    if (!rd_ok(r) || count == 0)
        return IKEV2_BAD_PAYLOAD;
    if (count > IKEV2_MAX_TS)
        return IKEV2_TOO_MANY;
    for (size_t i = 0; i < count; i++) {
        ts[i].type = rd_u8(r);
        ts[i].proto = rd_u8(r);
        uint16_t len = rd_u16(r);
        ts[i].start_port = rd_u16(r);
        ts[i].end_port = rd_u16(r);
        rd_bytes(r, ts[i].start, sizeof ts[i].start);
        rd_bytes(r, ts[i].end, sizeof ts[i].end);
        /* RFC 7296 §3.13.1: a TS_IPV6_ADDR_RANGE selector is 40 bytes.
         * NOTE: other selector types, IPv4 among them, are rejected. */
        if (!rd_ok(r) || ts[i].type != IKEV2_TS_IPV6_ADDR_RANGE || len != TS_IPV6_LEN)
            return IKEV2_BAD_PAYLOAD;
    }
    *n_ts = count;
    return rd_left(r) == 0 ? IKEV2_OK : IKEV2_BAD_PAYLOAD;
}

static void
count_skipped(struct ikev2_msg *msg)
{
    if (msg->n_skipped < UINT8_MAX)
        msg->n_skipped++;
}

/* Decode the body of one payload other than SK into msg. */
static enum ikev2_status
read_payload(uint8_t type, bool critical, struct rd *body, struct ikev2_msg *msg)
{
    /* A second SA, KE, Nonce, ID, AUTH or TS payload has no place in msg. */
    switch (type) {
    case IKEV2_PL_SA:
        return msg->n_proposals != 0 ? IKEV2_TOO_MANY : read_sa(body, msg);
    case IKEV2_PL_KE:
        if (msg->has_ke)
            return IKEV2_TOO_MANY;
        msg->has_ke = true;
        return read_ke(body, &msg->ke);
    case IKEV2_PL_NONCE:
        if (msg->has_nonce)
            return IKEV2_TOO_MANY;
        msg->has_nonce = true;
        return read_nonce(body, msg);
    case IKEV2_PL_IDI:
        if (msg->has_idi)
            return IKEV2_TOO_MANY;
        msg->has_idi = true;
        return read_id(body, &msg->idi);
    case IKEV2_PL_IDR:
        if (msg->has_idr)
            return IKEV2_TOO_MANY;
        msg->has_idr = true;
        return read_id(body, &msg->idr);
    case IKEV2_PL_AUTH:
        if (msg->has_auth)
            return IKEV2_TOO_MANY;
        msg->has_auth = true;
        return read_auth(body, &msg->auth);
    case IKEV2_PL_NOTIFY:
        return read_notify(body, msg);
    case IKEV2_PL_DELETE:
        return read_delete(body, msg);
    case IKEV2_PL_TSI:
        return msg->n_tsi != 0 ? IKEV2_TOO_MANY : read_ts(body, msg->tsi, &msg->n_tsi);
    case IKEV2_PL_TSR:
        return msg->n_tsr != 0 ? IKEV2_TOO_MANY : read_ts(body, msg->tsr, &msg->n_tsr);
    case IKEV2_PL_CERT:
    case IKEV2_PL_CERTREQ:
    case IKEV2_PL_VENDOR:
    case IKEV2_PL_CP:
        count_skipped(msg);
        return IKEV2_OK;
    default:
        /* RFC 7296 §2.5 and §3.2: skip an unknown payload unless it is critical. */
        if (critical)
            return IKEV2_UNSUPPORTED_CRITICAL;
        count_skipped(msg);
        return IKEV2_OK;
    }
}

static enum ikev2_status read_chain(struct rd *r, uint8_t first, const uint8_t *pkt, size_t len,
                                    const struct ikev2_sk_keys *keys, struct ikev2_msg *msg);

/*
 * Verify and decrypt the SK payload body (RFC 7296 §3.14), the last
 * bytes of pkt[0..len), and decode the payloads inside.  The ICV is
 * checked first, in constant time, and covers pkt up to the ICV.
 */
static enum ikev2_status
read_sk(struct rd *body, uint8_t first_inner, const uint8_t *pkt, size_t len,
        const struct ikev2_sk_keys *keys, struct ikev2_msg *msg)
{
    if (keys == NULL)
        return IKEV2_NO_KEYS;
    enum ikev2_status status = ikev2_sk_check_keys(keys);
    if (status != IKEV2_OK)
        return status;

    size_t icvl = ikev2_sk_icv_len(keys->integ);
    if (rd_left(body) < AES_BLOCK_LEN + icvl)
        return IKEV2_BAD_PAYLOAD;
    size_t ct_len = rd_left(body) - AES_BLOCK_LEN - icvl;
    const uint8_t *iv = rd_take(body, AES_BLOCK_LEN);
    const uint8_t *ciphertext = rd_take(body, ct_len);
    const uint8_t *icv = rd_take(body, icvl);

    uint8_t expected[SHA2_256_128_ICV_LEN];
    status = ikev2_sk_icv(keys, pkt, len - icvl, expected);
    if (status != IKEV2_OK)
        return status;
    if (CRYPTO_memcmp(expected, icv, icvl) != 0)
        return IKEV2_ICV_MISMATCH;

    /* RFC 7296 §3.14: whole blocks, at least the Pad Length byte. */
    if (ct_len == 0 || ct_len % AES_BLOCK_LEN != 0)
        return IKEV2_BAD_PAYLOAD;
    if (ct_len > IKEV2_MAX_SK_PLAINTEXT)
        return IKEV2_TOO_MANY;

    uint8_t plain[IKEV2_MAX_SK_PLAINTEXT];
    status = ikev2_sk_cbc(keys, 0, iv, ciphertext, plain, ct_len);
    if (status == IKEV2_OK) {
        size_t pad = plain[ct_len - 1];
        if (pad + PAD_LENGTH_LEN > ct_len) {
            status = IKEV2_BAD_PADDING;
        } else {
            struct rd inner = rd_init(plain, ct_len - PAD_LENGTH_LEN - pad);
            msg->encrypted = true;
            status = read_chain(&inner, first_inner, NULL, 0, NULL, msg);
        }
    }
    OPENSSL_cleanse(plain, ct_len);
    return status;
}

/*
 * Decode the payload chain in r that starts with type first.  pkt and len
 * are the whole message, for an SK payload to verify.  Inside an SK
 * payload they are NULL and 0, and another SK payload is invalid.
 */
static enum ikev2_status
read_chain(struct rd *r, uint8_t first, const uint8_t *pkt, size_t len,
           const struct ikev2_sk_keys *keys, struct ikev2_msg *msg)
{
    uint8_t type = first;
    for (size_t index = 0; type != IKEV2_PL_NONE; index++) {
        /* RFC 7296 §3.2: the generic payload header. */
        uint8_t next = rd_u8(r);
        bool critical = (rd_u8(r) & CRITICAL_BIT) != 0;
        uint16_t payload_len = rd_u16(r);
        if (!rd_ok(r))
            return IKEV2_TRUNCATED;
        if (payload_len < GENERIC_HEADER_LEN)
            return IKEV2_BAD_PAYLOAD;
        struct rd body = rd_sub(r, payload_len - GENERIC_HEADER_LEN);
        if (!rd_ok(r))
            return IKEV2_TRUNCATED;

        if (type == IKEV2_PL_SK) {
            /* RFC 7296 §3.14: SK is the last payload.  It must also be the
             * first, because msg cannot mark payloads sent in clear beside it. */
            if (pkt == NULL || index != 0 || rd_left(r) != 0)
                return IKEV2_BAD_PAYLOAD;
            return read_sk(&body, next, pkt, len, keys, msg);
        }
        enum ikev2_status status = read_payload(type, critical, &body, msg);
        if (status != IKEV2_OK)
            return status;
        type = next;
    }
    /* Bytes after the last payload belong to no payload. */
    return rd_left(r) == 0 ? IKEV2_OK : IKEV2_BAD_PAYLOAD;
}

enum ikev2_status
ikev2_decode(const uint8_t *pkt, size_t len, const struct ikev2_sk_keys *keys,
             struct ikev2_msg *msg)
{
    memset(msg, 0, sizeof *msg);
    enum ikev2_status status = ikev2_read_header(pkt, len, &msg->hdr);
    if (status != IKEV2_OK)
        return status;

    struct rd r = rd_init(pkt, len);
    rd_skip(&r, IKEV2_HEADER_LEN);
    return read_chain(&r, msg->hdr.next_payload, pkt, len, keys, msg);
}

const char *
ikev2_status_name(enum ikev2_status st)
{
    switch (st) {
    case IKEV2_OK:
        return "ok";
    case IKEV2_TRUNCATED:
        return "truncated";
    case IKEV2_BAD_VERSION:
        return "bad version";
    case IKEV2_BAD_LENGTH:
        return "bad length";
    case IKEV2_BAD_PAYLOAD:
        return "bad payload";
    case IKEV2_TOO_MANY:
        return "too many";
    case IKEV2_UNSUPPORTED_CRITICAL:
        return "unsupported critical payload";
    case IKEV2_NO_KEYS:
        return "no keys";
    case IKEV2_ICV_MISMATCH:
        return "ICV mismatch";
    case IKEV2_BAD_PADDING:
        return "bad padding";
    case IKEV2_BAD_ALGORITHM:
        return "bad algorithm";
    case IKEV2_CRYPTO_FAILED:
        return "crypto failed";
    case IKEV2_NO_SPACE:
        return "no space";
    }
    return "unknown status";
}

const char *
ikev2_exchange_name(uint8_t exchange)
{
    switch (exchange) {
    case IKEV2_IKE_SA_INIT:
        return "IKE_SA_INIT";
    case IKEV2_IKE_AUTH:
        return "IKE_AUTH";
    case IKEV2_CREATE_CHILD_SA:
        return "CREATE_CHILD_SA";
    case IKEV2_INFORMATIONAL:
        return "INFORMATIONAL";
    default:
        return "unknown";
    }
}
