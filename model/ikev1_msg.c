/*
 * ikev1_msg.c - ISAKMP message encoding and decoding (RFC 2408 §3, RFC
 * 2407 §4) with AES-CBC encryption of the body (RFC 2409 Appendix B).
 */
#include "ikev1_msg.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define GENERIC_HEADER_LEN 4 /* Next Payload, RESERVED, Payload Length (RFC 2408 §3.2) */
#define ATTR_AF_BIT 0x8000   /* Attribute Format: 1 = TV (RFC 2408 §3.3) */

static void
put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Data length of an address identity (RFC 2407 §4.6.2), 0 for other types. */
static size_t
id_address_len(uint8_t type)
{
    switch (type) {
    case IKEV1_ID_IPV4_ADDR:
        return 4;
    case IKEV1_ID_IPV4_ADDR_SUBNET:
    case IKEV1_ID_IPV4_ADDR_RANGE:
        return 8;
    case IKEV1_ID_IPV6_ADDR:
        return 16;
    case IKEV1_ID_IPV6_ADDR_SUBNET:
    case IKEV1_ID_IPV6_ADDR_RANGE:
        return 32;
    default:
        return 0;
    }
}

static enum ikev1_status
check_id(const struct ikev1_id *id)
{
    if (id->len > IKEV1_MAX_ID_LEN)
        return IKEV1_TOO_MANY;
    size_t want = id_address_len(id->type);
    if (id->len == 0 || (want != 0 && id->len != want))
        return IKEV1_BAD_PAYLOAD;
    return IKEV1_OK;
}

/* Payloads that mip6sec does not use but that a valid message may carry. */
static bool
is_skipped_type(uint8_t type)
{
    switch (type) {
    case IKEV1_PL_CERT:
    case IKEV1_PL_CR:
    case IKEV1_PL_SIG:
    case IKEV1_PL_VENDOR:
    case IKEV1_PL_NAT_D:
    case IKEV1_PL_NAT_OA:
        return true;
    default:
        return type >= IKEV1_PL_PRIVATE_MIN;
    }
}

static const EVP_CIPHER *
aes_cbc(uint8_t key_len)
{
    switch (key_len) {
    case 16:
        return EVP_aes_128_cbc();
    case 24:
        return EVP_aes_192_cbc();
    case 32:
        return EVP_aes_256_cbc();
    default:
        return NULL;
    }
}

/* AES-CBC over whole blocks, without padding; in and out may be the same buffer. */
static enum ikev1_status
cbc_crypt(const struct ikev1_cipher *cipher, int encrypt, const uint8_t *in, size_t len,
          uint8_t *out)
{
    const EVP_CIPHER *alg = aes_cbc(cipher->key_len);
    if (alg == NULL)
        return IKEV1_BAD_ALGORITHM;

    enum ikev1_status status = IKEV1_CRYPTO_FAILED;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int out_len = 0;
    if (ctx == NULL || !EVP_CipherInit_ex(ctx, alg, NULL, cipher->key, cipher->iv, encrypt))
        goto out;
    /* The codec pads the body itself, so OpenSSL must not add PKCS#7 padding. */
    if (!EVP_CIPHER_CTX_set_padding(ctx, 0))
        goto out;
    if (!EVP_CipherUpdate(ctx, out, &out_len, in, (int)len) || (size_t)out_len != len)
        goto out;
    status = IKEV1_OK;

out:
    EVP_CIPHER_CTX_free(ctx);
    return status;
}

/* ---- encoding ---- */

/* Write a generic payload header; the length is patched by end_payload. */
static size_t
begin_payload(struct wr *w, uint8_t next)
{
    size_t start = w->pos;
    wr_u8(w, next);
    wr_u8(w, 0);
    wr_u16(w, 0);
    return start;
}

static void
end_payload(struct wr *w, size_t start)
{
    if (wr_ok(w))
        put_u16(w->buf + start + 2, (uint16_t)(w->pos - start));
}

static enum ikev1_status
encode_attr(const struct ikev1_attr *a, struct wr *w)
{
    if (a->type & ATTR_AF_BIT)
        return IKEV1_BAD_PAYLOAD;
    if (a->tv) {
        if (a->value > 0xffff)
            return IKEV1_BAD_PAYLOAD;
        wr_u16(w, (uint16_t)(ATTR_AF_BIT | a->type));
        wr_u16(w, (uint16_t)a->value);
        return IKEV1_OK;
    }
    if (a->len > IKEV1_MAX_ATTR_LEN)
        return IKEV1_TOO_MANY;
    if (a->len < IKEV1_MAX_ATTR_LEN && (a->value >> (8 * a->len)) != 0)
        return IKEV1_BAD_PAYLOAD;
    wr_u16(w, a->type);
    wr_u16(w, a->len);
    for (int i = a->len - 1; i >= 0; i--)
        wr_u8(w, (uint8_t)(a->value >> (8 * i)));
    return IKEV1_OK;
}

static enum ikev1_status
encode_transform(const struct ikev1_transform *t, bool last, struct wr *w)
{
    if (t->n_attrs > IKEV1_MAX_ATTRS)
        return IKEV1_TOO_MANY;

    size_t start = begin_payload(w, last ? IKEV1_PL_NONE : IKEV1_PL_TRANSFORM);
    wr_u8(w, t->number);
    wr_u8(w, t->id);
    wr_u16(w, 0);
    for (uint8_t i = 0; i < t->n_attrs; i++) {
        enum ikev1_status status = encode_attr(&t->attrs[i], w);
        if (status != IKEV1_OK)
            return status;
    }
    end_payload(w, start);
    return IKEV1_OK;
}

static enum ikev1_status
encode_proposal(const struct ikev1_proposal *p, bool last, struct wr *w)
{
    if (p->spi_len > IKEV1_MAX_SPI_LEN || p->n_transforms > IKEV1_MAX_TRANSFORMS)
        return IKEV1_TOO_MANY;
    if (p->n_transforms == 0)
        return IKEV1_BAD_PAYLOAD;

    size_t start = begin_payload(w, last ? IKEV1_PL_NONE : IKEV1_PL_PROPOSAL);
    wr_u8(w, p->number);
    wr_u8(w, p->protocol);
    wr_u8(w, p->spi_len);
    wr_u8(w, p->n_transforms);
    wr_bytes(w, p->spi, p->spi_len);
    for (uint8_t i = 0; i < p->n_transforms; i++) {
        enum ikev1_status status = encode_transform(&p->transforms[i], i + 1 == p->n_transforms, w);
        if (status != IKEV1_OK)
            return status;
    }
    end_payload(w, start);
    return IKEV1_OK;
}

/* SA payload body (RFC 2408 §3.4): DOI, situation, proposals. */
static enum ikev1_status
encode_sa_body(const struct ikev1_sa *sa, struct wr *w)
{
    if (sa->n_proposals > IKEV1_MAX_PROPOSALS)
        return IKEV1_TOO_MANY;
    if (sa->n_proposals == 0)
        return IKEV1_BAD_PAYLOAD;

    wr_u32(w, IKEV1_DOI_IPSEC);
    wr_u32(w, IKEV1_SIT_IDENTITY_ONLY);
    for (uint8_t i = 0; i < sa->n_proposals; i++) {
        enum ikev1_status status = encode_proposal(&sa->proposals[i], i + 1 == sa->n_proposals, w);
        if (status != IKEV1_OK)
            return status;
    }
    return IKEV1_OK;
}

static enum ikev1_status
encode_id_body(const struct ikev1_id *id, struct wr *w)
{
    enum ikev1_status status = check_id(id);
    if (status != IKEV1_OK)
        return status;
    wr_u8(w, id->type);
    wr_u8(w, id->protocol);
    wr_u16(w, id->port);
    wr_bytes(w, id->data, id->len);
    return IKEV1_OK;
}

static enum ikev1_status
encode_notify_body(const struct ikev1_notify *n, struct wr *w)
{
    if (n->spi_len > IKEV1_MAX_SPI_LEN || n->data_len > IKEV1_MAX_NOTIFY_DATA)
        return IKEV1_TOO_MANY;
    wr_u32(w, n->doi);
    wr_u8(w, n->protocol);
    wr_u8(w, n->spi_len);
    wr_u16(w, n->type);
    wr_bytes(w, n->spi, n->spi_len);
    wr_bytes(w, n->data, n->data_len);
    return IKEV1_OK;
}

static enum ikev1_status
encode_delete_body(const struct ikev1_delete *d, struct wr *w)
{
    if (d->spi_len > IKEV1_MAX_SPI_LEN || d->n_spis > IKEV1_MAX_DELETE_SPIS)
        return IKEV1_TOO_MANY;
    if (d->spi_len == 0)
        return IKEV1_BAD_PAYLOAD;
    wr_u32(w, d->doi);
    wr_u8(w, d->protocol);
    wr_u8(w, d->spi_len);
    wr_u16(w, d->n_spis);
    for (uint16_t i = 0; i < d->n_spis; i++)
        wr_bytes(w, d->spis[i], d->spi_len);
    return IKEV1_OK;
}

/* Check the counts and lengths that do not depend on the payload order. */
static enum ikev1_status
check_counts(const struct ikev1_msg *msg)
{
    if (msg->n_ids > IKEV1_MAX_IDS || msg->n_notifies > IKEV1_MAX_NOTIFIES ||
        msg->n_deletes > IKEV1_MAX_DELETES || msg->n_order > IKEV1_MAX_PAYLOADS)
        return IKEV1_TOO_MANY;
    if (msg->has_ke && (msg->ke.len == 0 || msg->ke.len > IKEV1_MAX_KE_LEN))
        return msg->ke.len == 0 ? IKEV1_BAD_PAYLOAD : IKEV1_TOO_MANY;
    /* RFC 2409 §5: nonces are 8 to 256 bytes long. */
    if (msg->has_nonce &&
        (msg->nonce_len < IKEV1_MIN_NONCE_LEN || msg->nonce_len > IKEV1_MAX_NONCE_LEN))
        return IKEV1_BAD_PAYLOAD;
    if (msg->has_hash && (msg->hash_len == 0 || msg->hash_len > IKEV1_MAX_HASH_LEN))
        return msg->hash_len == 0 ? IKEV1_BAD_PAYLOAD : IKEV1_TOO_MANY;
    return IKEV1_OK;
}

/* The payload order to encode: msg->order, checked, or the default of ikev1_msg.h. */
static enum ikev1_status
payload_order(const struct ikev1_msg *msg, uint8_t order[IKEV1_MAX_PAYLOADS], uint8_t *n_order)
{
    uint8_t n = 0;
    bool hash_first =
        msg->hdr.exchange == IKEV1_QUICK_MODE || msg->hdr.exchange == IKEV1_INFORMATIONAL;

    if (msg->has_hash && hash_first)
        order[n++] = IKEV1_PL_HASH;
    if (msg->has_sa)
        order[n++] = IKEV1_PL_SA;
    if (msg->has_ke && !hash_first)
        order[n++] = IKEV1_PL_KE;
    if (msg->has_nonce)
        order[n++] = IKEV1_PL_NONCE;
    if (msg->has_ke && hash_first)
        order[n++] = IKEV1_PL_KE;
    for (uint8_t i = 0; i < msg->n_ids; i++)
        order[n++] = IKEV1_PL_ID;
    if (msg->has_hash && !hash_first)
        order[n++] = IKEV1_PL_HASH;
    for (uint8_t i = 0; i < msg->n_notifies; i++)
        order[n++] = IKEV1_PL_NOTIFY;
    for (uint8_t i = 0; i < msg->n_deletes; i++)
        order[n++] = IKEV1_PL_DELETE;

    if (msg->n_order == 0) {
        *n_order = n;
        return IKEV1_OK;
    }

    /* The given order must hold the same payloads: compare the counts per type. */
    unsigned given[256] = {0}, present[256] = {0};
    for (uint8_t i = 0; i < msg->n_order; i++)
        given[msg->order[i]]++;
    for (uint8_t i = 0; i < n; i++)
        present[order[i]]++;
    if (memcmp(given, present, sizeof given) != 0)
        return IKEV1_BAD_PAYLOAD;
    memcpy(order, msg->order, msg->n_order);
    *n_order = msg->n_order;
    return IKEV1_OK;
}

/* Encode the payload chain; records the hashed spans relative to msg_start. */
static enum ikev1_status
encode_payloads(const struct ikev1_msg *msg, const uint8_t *order, uint8_t n_order,
                size_t msg_start, struct wr *w, struct ikev1_parts *parts)
{
    uint8_t id_index = 0, notify_index = 0, delete_index = 0;
    size_t after_hash_start = 0;

    for (uint8_t i = 0; i < n_order; i++) {
        uint8_t next = i + 1 < n_order ? order[i + 1] : IKEV1_PL_NONE;
        size_t start = begin_payload(w, next);
        enum ikev1_status status = IKEV1_OK;

        switch (order[i]) {
        case IKEV1_PL_SA:
            status = encode_sa_body(&msg->sa, w);
            parts->sa_body.offset = (uint16_t)(start + GENERIC_HEADER_LEN - msg_start);
            parts->sa_body.len = (uint16_t)(w->pos - start - GENERIC_HEADER_LEN);
            break;
        case IKEV1_PL_KE:
            wr_bytes(w, msg->ke.data, msg->ke.len);
            break;
        case IKEV1_PL_NONCE:
            wr_bytes(w, msg->nonce, msg->nonce_len);
            break;
        case IKEV1_PL_ID:
            status = encode_id_body(&msg->ids[id_index++], w);
            break;
        case IKEV1_PL_HASH:
            wr_bytes(w, msg->hash, msg->hash_len);
            parts->hash_data.offset = (uint16_t)(start + GENERIC_HEADER_LEN - msg_start);
            parts->hash_data.len = msg->hash_len;
            after_hash_start = w->pos;
            break;
        case IKEV1_PL_NOTIFY:
            status = encode_notify_body(&msg->notifies[notify_index++], w);
            break;
        case IKEV1_PL_DELETE:
            status = encode_delete_body(&msg->deletes[delete_index++], w);
            break;
        default:
            status = IKEV1_BAD_PAYLOAD;
        }
        if (status != IKEV1_OK)
            return status;
        end_payload(w, start);
    }

    if (!wr_ok(w))
        return IKEV1_NO_SPACE;
    if (msg->has_hash) {
        parts->after_hash.offset = (uint16_t)(after_hash_start - msg_start);
        parts->after_hash.len = (uint16_t)(w->pos - after_hash_start);
    }
    return IKEV1_OK;
}

/* Pad the body with zero bytes to whole blocks and encrypt it in place (RFC 2409 Appendix B). */
static enum ikev1_status
encrypt_body(const struct ikev1_cipher *cipher, size_t msg_start, struct wr *w,
             struct ikev1_parts *parts)
{
    size_t body_len = w->pos - msg_start - IKEV1_HEADER_LEN;
    size_t pad = IKEV1_BLOCK_LEN - body_len % IKEV1_BLOCK_LEN;
    /* A body that already fills whole blocks needs no padding, unless it is empty. */
    if (pad == IKEV1_BLOCK_LEN && body_len != 0)
        pad = 0;
    wr_zeros(w, pad);
    if (!wr_ok(w))
        return IKEV1_NO_SPACE;

    uint8_t *body = w->buf + msg_start + IKEV1_HEADER_LEN;
    body_len += pad;
    enum ikev1_status status = cbc_crypt(cipher, 1, body, body_len, body);
    if (status != IKEV1_OK)
        return status;
    memcpy(parts->last_block, body + body_len - IKEV1_BLOCK_LEN, IKEV1_BLOCK_LEN);
    return IKEV1_OK;
}

enum ikev1_status
ikev1_encode(const struct ikev1_msg *msg, const struct ikev1_cipher *cipher, struct wr *out,
             struct ikev1_parts *parts)
{
    struct ikev1_parts local_parts;
    uint8_t order[IKEV1_MAX_PAYLOADS];
    uint8_t n_order = 0;
    size_t start = out->pos;

    if (parts == NULL)
        parts = &local_parts;
    memset(parts, 0, sizeof *parts);
    if (cipher != NULL && aes_cbc(cipher->key_len) == NULL)
        return IKEV1_BAD_ALGORITHM;
    enum ikev1_status status = check_counts(msg);
    if (status == IKEV1_OK)
        status = payload_order(msg, order, &n_order);
    if (status != IKEV1_OK)
        return status;

    /* Header (RFC 2408 §3.1); Length is patched at the end. */
    uint8_t flags = (uint8_t)(msg->hdr.flags & ~IKEV1_FLAG_ENCRYPTION);
    if (cipher != NULL)
        flags |= IKEV1_FLAG_ENCRYPTION;
    wr_u64(out, msg->hdr.cky_i);
    wr_u64(out, msg->hdr.cky_r);
    wr_u8(out, n_order > 0 ? order[0] : IKEV1_PL_NONE);
    wr_u8(out, IKEV1_VERSION);
    wr_u8(out, msg->hdr.exchange);
    wr_u8(out, flags);
    wr_u32(out, msg->hdr.message_id);
    wr_u32(out, 0);

    status = encode_payloads(msg, order, n_order, start, out, parts);
    if (status == IKEV1_OK && cipher != NULL)
        status = encrypt_body(cipher, start, out, parts);
    if (status == IKEV1_OK && out->pos - start > IKEV1_MAX_MSG_LEN)
        status = IKEV1_TOO_LONG;
    if (status != IKEV1_OK) {
        memset(parts, 0, sizeof *parts);
        return status;
    }
    put_u32(out->buf + start + 24, (uint32_t)(out->pos - start));
    return IKEV1_OK;
}

/* ---- decoding ---- */

enum ikev1_status
ikev1_read_header(const uint8_t *pkt, size_t len, struct ikev1_header *hdr)
{
    struct rd r = rd_init(pkt, len);
    hdr->cky_i = rd_u64(&r);
    hdr->cky_r = rd_u64(&r);
    hdr->next_payload = rd_u8(&r);
    hdr->version = rd_u8(&r);
    hdr->exchange = rd_u8(&r);
    hdr->flags = rd_u8(&r);
    hdr->message_id = rd_u32(&r);
    hdr->length = rd_u32(&r);
    if (!rd_ok(&r))
        return IKEV1_TRUNCATED;

    /* RFC 2408 §5.2: a message with a version this code does not implement is rejected. */
    if (hdr->version != IKEV1_VERSION)
        return IKEV1_BAD_VERSION;
    /* RFC 2408 §5.1: the header Length must equal the message length. */
    if (hdr->length != len)
        return IKEV1_BAD_LENGTH;
    if (len > IKEV1_MAX_MSG_LEN)
        return IKEV1_TOO_LONG;
    return IKEV1_OK;
}

static enum ikev1_status
decode_attrs(struct rd *r, struct ikev1_transform *t)
{
    while (rd_left(r) > 0) {
        if (t->n_attrs == IKEV1_MAX_ATTRS)
            return IKEV1_TOO_MANY;
        struct ikev1_attr *a = &t->attrs[t->n_attrs++];
        uint16_t af_type = rd_u16(r);
        uint16_t length_or_value = rd_u16(r);
        a->type = af_type & ~ATTR_AF_BIT;
        a->tv = (af_type & ATTR_AF_BIT) != 0;
        if (a->tv) {
            a->value = length_or_value;
        } else {
            if (length_or_value > IKEV1_MAX_ATTR_LEN)
                return IKEV1_TOO_MANY;
            a->len = (uint8_t)length_or_value;
            for (uint8_t i = 0; i < a->len; i++)
                a->value = a->value << 8 | rd_u8(r);
        }
        if (!rd_ok(r))
            return IKEV1_TRUNCATED;
    }
    return IKEV1_OK;
}

/*
 * Read the generic header of a Proposal or Transform inside an SA and
 * return a reader over its body.  The Next Payload of a substructure is
 * 0 for the last one and its own type otherwise (RFC 2408 §3.5, §3.6).
 */
static enum ikev1_status
open_substructure(struct rd *r, uint8_t type, bool *last, struct rd *body)
{
    uint8_t next = rd_u8(r);
    rd_skip(r, 1);
    uint16_t len = rd_u16(r);
    if (!rd_ok(r))
        return IKEV1_TRUNCATED;
    if ((next != IKEV1_PL_NONE && next != type) || len < GENERIC_HEADER_LEN + 4)
        return IKEV1_BAD_PROPOSAL;
    *body = rd_sub(r, len - GENERIC_HEADER_LEN);
    if (!rd_ok(r))
        return IKEV1_TRUNCATED;
    *last = next == IKEV1_PL_NONE;
    return IKEV1_OK;
}

static enum ikev1_status
decode_proposal(struct rd *r, struct ikev1_proposal *p)
{
    p->number = rd_u8(r);
    p->protocol = rd_u8(r);
    p->spi_len = rd_u8(r);
    p->n_transforms = rd_u8(r);
    if (p->spi_len > IKEV1_MAX_SPI_LEN || p->n_transforms > IKEV1_MAX_TRANSFORMS)
        return IKEV1_TOO_MANY;
    if (p->n_transforms == 0)
        return IKEV1_BAD_PROPOSAL;
    rd_bytes(r, p->spi, p->spi_len);
    if (!rd_ok(r))
        return IKEV1_TRUNCATED;

    /* RFC 2408 §3.5: # of Transforms counts the Transform payloads that follow. */
    for (uint8_t i = 0; i < p->n_transforms; i++) {
        struct ikev1_transform *t = &p->transforms[i];
        struct rd body;
        bool last = false;
        enum ikev1_status status = open_substructure(r, IKEV1_PL_TRANSFORM, &last, &body);
        if (status != IKEV1_OK)
            return status;
        if (last != (i + 1 == p->n_transforms))
            return IKEV1_BAD_PROPOSAL;
        t->number = rd_u8(&body);
        t->id = rd_u8(&body);
        rd_skip(&body, 2);
        status = decode_attrs(&body, t);
        if (status != IKEV1_OK)
            return status;
    }
    return rd_left(r) == 0 ? IKEV1_OK : IKEV1_BAD_PROPOSAL;
}

static enum ikev1_status
decode_sa(struct rd *r, struct ikev1_sa *sa)
{
    uint32_t doi = rd_u32(r);
    uint32_t situation = rd_u32(r);
    if (!rd_ok(r))
        return IKEV1_TRUNCATED;
    /* mip6sec negotiates only IPsec DOI SAs (RFC 2407 §4.2), and of its
     * situations only SIT_IDENTITY_ONLY, which adds no fields (§4.2.1, §4.6.1). */
    if (doi != IKEV1_DOI_IPSEC)
        return IKEV1_BAD_DOI;
    if (situation != IKEV1_SIT_IDENTITY_ONLY)
        return IKEV1_BAD_SITUATION;

    bool last = false;
    while (!last) {
        struct rd body;
        enum ikev1_status status = open_substructure(r, IKEV1_PL_PROPOSAL, &last, &body);
        if (status != IKEV1_OK)
            return status;
        if (sa->n_proposals == IKEV1_MAX_PROPOSALS)
            return IKEV1_TOO_MANY;
        status = decode_proposal(&body, &sa->proposals[sa->n_proposals++]);
        if (status != IKEV1_OK)
            return status;
    }
    /* Nothing may follow the last proposal inside the SA payload. */
    return rd_left(r) == 0 ? IKEV1_OK : IKEV1_BAD_PROPOSAL;
}

static enum ikev1_status
decode_id(struct rd *r, struct ikev1_id *id)
{
    id->type = rd_u8(r);
    id->protocol = rd_u8(r);
    id->port = rd_u16(r);
    if (!rd_ok(r))
        return IKEV1_TRUNCATED;
    if (rd_left(r) > IKEV1_MAX_ID_LEN)
        return IKEV1_TOO_MANY;
    id->len = (uint16_t)rd_left(r);
    rd_bytes(r, id->data, id->len);
    return check_id(id);
}

static enum ikev1_status
decode_notify(struct rd *r, struct ikev1_notify *n)
{
    n->doi = rd_u32(r);
    n->protocol = rd_u8(r);
    n->spi_len = rd_u8(r);
    n->type = rd_u16(r);
    if (n->spi_len > IKEV1_MAX_SPI_LEN)
        return IKEV1_TOO_MANY;
    rd_bytes(r, n->spi, n->spi_len);
    if (!rd_ok(r))
        return IKEV1_TRUNCATED;
    if (rd_left(r) > IKEV1_MAX_NOTIFY_DATA)
        return IKEV1_TOO_MANY;
    n->data_len = (uint16_t)rd_left(r);
    rd_bytes(r, n->data, n->data_len);
    return IKEV1_OK;
}

static enum ikev1_status
decode_delete(struct rd *r, struct ikev1_delete *d)
{
    d->doi = rd_u32(r);
    d->protocol = rd_u8(r);
    d->spi_len = rd_u8(r);
    d->n_spis = rd_u16(r);
    if (!rd_ok(r))
        return IKEV1_TRUNCATED;
    if (d->spi_len > IKEV1_MAX_SPI_LEN || d->n_spis > IKEV1_MAX_DELETE_SPIS)
        return IKEV1_TOO_MANY;
    if (d->spi_len == 0)
        return IKEV1_BAD_PAYLOAD;
    /* RFC 2408 §3.15: the SPIs, n_spis of spi_len bytes each, fill the rest. */
    if (rd_left(r) < (size_t)d->n_spis * d->spi_len)
        return IKEV1_TRUNCATED;
    if (rd_left(r) > (size_t)d->n_spis * d->spi_len)
        return IKEV1_BAD_PAYLOAD;
    for (uint16_t i = 0; i < d->n_spis; i++)
        rd_bytes(r, d->spis[i], d->spi_len);
    return IKEV1_OK;
}

/* Copy a variable-length payload body of min_len..cap bytes into out. */
static enum ikev1_status
decode_bytes(struct rd *r, size_t min_len, size_t cap, uint8_t *out, size_t *len)
{
    size_t n = rd_left(r);
    if (n < min_len)
        return IKEV1_BAD_PAYLOAD;
    if (n > cap)
        return IKEV1_TOO_MANY;
    rd_bytes(r, out, n);
    *len = n;
    return IKEV1_OK;
}

/* Decode one payload body of the given type that starts at offset start of msg->plain. */
static enum ikev1_status
decode_payload(uint8_t type, struct rd *body, size_t start, struct ikev1_msg *msg)
{
    size_t len = 0;
    enum ikev1_status status;

    switch (type) {
    case IKEV1_PL_SA:
        if (msg->has_sa)
            return IKEV1_TOO_MANY;
        msg->has_sa = true;
        msg->parts.sa_body.offset = (uint16_t)(start + GENERIC_HEADER_LEN);
        msg->parts.sa_body.len = (uint16_t)body->len;
        return decode_sa(body, &msg->sa);
    case IKEV1_PL_KE:
        if (msg->has_ke)
            return IKEV1_TOO_MANY;
        msg->has_ke = true;
        status = decode_bytes(body, 1, IKEV1_MAX_KE_LEN, msg->ke.data, &len);
        msg->ke.len = (uint16_t)len;
        return status;
    case IKEV1_PL_NONCE:
        if (msg->has_nonce)
            return IKEV1_TOO_MANY;
        msg->has_nonce = true;
        /* RFC 2409 §5: a nonce is 8 to 256 bytes long; longer is malformed, not too many. */
        if (body->len > IKEV1_MAX_NONCE_LEN)
            return IKEV1_BAD_PAYLOAD;
        status = decode_bytes(body, IKEV1_MIN_NONCE_LEN, IKEV1_MAX_NONCE_LEN, msg->nonce, &len);
        msg->nonce_len = (uint16_t)len;
        return status;
    case IKEV1_PL_ID:
        if (msg->n_ids == IKEV1_MAX_IDS)
            return IKEV1_TOO_MANY;
        return decode_id(body, &msg->ids[msg->n_ids++]);
    case IKEV1_PL_HASH:
        if (msg->has_hash)
            return IKEV1_TOO_MANY;
        msg->has_hash = true;
        msg->parts.hash_data.offset = (uint16_t)(start + GENERIC_HEADER_LEN);
        msg->parts.hash_data.len = (uint16_t)body->len;
        msg->parts.after_hash.offset = (uint16_t)(start + GENERIC_HEADER_LEN + body->len);
        status = decode_bytes(body, 1, IKEV1_MAX_HASH_LEN, msg->hash, &len);
        msg->hash_len = (uint8_t)len;
        return status;
    case IKEV1_PL_NOTIFY:
        if (msg->n_notifies == IKEV1_MAX_NOTIFIES)
            return IKEV1_TOO_MANY;
        return decode_notify(body, &msg->notifies[msg->n_notifies++]);
    case IKEV1_PL_DELETE:
        if (msg->n_deletes == IKEV1_MAX_DELETES)
            return IKEV1_TOO_MANY;
        return decode_delete(body, &msg->deletes[msg->n_deletes++]);
    default:
        /* RFC 2408 §5.2 and §5.3: an unknown payload type gets INVALID-PAYLOAD-TYPE. */
        return IKEV1_BAD_PAYLOAD_TYPE;
    }
}

/* Walk the payload chain of msg->plain, which contains plain_len bytes with the header. */
static enum ikev1_status
decode_chain(struct ikev1_msg *msg)
{
    struct rd r = rd_init(msg->plain, msg->plain_len);
    uint8_t type = msg->hdr.next_payload;

    rd_skip(&r, IKEV1_HEADER_LEN);
    while (type != IKEV1_PL_NONE) {
        size_t start = r.pos;
        uint8_t next = rd_u8(&r);
        rd_skip(&r, 1);
        uint16_t len = rd_u16(&r);
        if (!rd_ok(&r))
            return IKEV1_TRUNCATED;
        if (len < GENERIC_HEADER_LEN)
            return IKEV1_BAD_PAYLOAD;
        struct rd body = rd_sub(&r, len - GENERIC_HEADER_LEN);
        if (!rd_ok(&r))
            return IKEV1_TRUNCATED;

        if (is_skipped_type(type)) {
            if (msg->n_skipped < UINT8_MAX)
                msg->n_skipped++;
        } else {
            enum ikev1_status status = decode_payload(type, &body, start, msg);
            if (status != IKEV1_OK)
                return status;
            /* decode_payload caps each count, so the order always fits. */
            msg->order[msg->n_order++] = type;
        }
        type = next;
    }

    if (msg->has_hash)
        msg->parts.after_hash.len = (uint16_t)(r.pos - msg->parts.after_hash.offset);
    /* Only an encrypted body may have bytes after the last payload: its padding. */
    if (!msg->encrypted && rd_left(&r) != 0)
        return IKEV1_BAD_LENGTH;
    return IKEV1_OK;
}

enum ikev1_status
ikev1_decode(const uint8_t *pkt, size_t len, const struct ikev1_cipher *cipher,
             struct ikev1_msg *msg)
{
    memset(msg, 0, sizeof *msg);
    enum ikev1_status status = ikev1_read_header(pkt, len, &msg->hdr);
    if (status != IKEV1_OK)
        return status;

    msg->encrypted = (msg->hdr.flags & IKEV1_FLAG_ENCRYPTION) != 0;
    msg->plain_len = (uint16_t)len;
    memcpy(msg->plain, pkt, IKEV1_HEADER_LEN);
    size_t body_len = len - IKEV1_HEADER_LEN;

    if (!msg->encrypted) {
        memcpy(msg->plain + IKEV1_HEADER_LEN, pkt + IKEV1_HEADER_LEN, body_len);
        return decode_chain(msg);
    }

    if (cipher == NULL)
        return IKEV1_NO_KEYS;
    /* RFC 2409 Appendix B: the ciphertext is padded to whole blocks. */
    if (body_len == 0 || body_len % IKEV1_BLOCK_LEN != 0)
        return IKEV1_BAD_LENGTH;
    status = cbc_crypt(cipher, 0, pkt + IKEV1_HEADER_LEN, body_len, msg->plain + IKEV1_HEADER_LEN);
    if (status != IKEV1_OK)
        return status;
    memcpy(msg->parts.last_block, pkt + len - IKEV1_BLOCK_LEN, IKEV1_BLOCK_LEN);
    return decode_chain(msg);
}

/* ---- helpers ---- */

bool
ikev1_find_attr(const struct ikev1_transform *t, uint16_t type, uint64_t *value)
{
    for (uint8_t i = 0; i < t->n_attrs && i < IKEV1_MAX_ATTRS; i++) {
        if (t->attrs[i].type == type) {
            *value = t->attrs[i].value;
            return true;
        }
    }
    return false;
}

static const char *const status_names[] = {
    [IKEV1_OK] = "ok",
    [IKEV1_TRUNCATED] = "truncated",
    [IKEV1_TOO_LONG] = "too long",
    [IKEV1_BAD_VERSION] = "bad version",
    [IKEV1_BAD_LENGTH] = "bad length",
    [IKEV1_BAD_PAYLOAD_TYPE] = "bad payload type",
    [IKEV1_BAD_PAYLOAD] = "bad payload",
    [IKEV1_BAD_PROPOSAL] = "bad proposal syntax",
    [IKEV1_BAD_DOI] = "DOI not supported",
    [IKEV1_BAD_SITUATION] = "situation not supported",
    [IKEV1_TOO_MANY] = "too many",
    [IKEV1_NO_KEYS] = "no keys",
    [IKEV1_BAD_ALGORITHM] = "bad algorithm",
    [IKEV1_HASH_MISMATCH] = "hash mismatch",
    [IKEV1_CRYPTO_FAILED] = "crypto failed",
    [IKEV1_NO_SPACE] = "no space",
};

const char *
ikev1_status_name(enum ikev1_status st)
{
    if ((unsigned)st >= sizeof status_names / sizeof status_names[0] || status_names[st] == NULL)
        return "unknown";
    return status_names[st];
}

const char *
ikev1_exchange_name(uint8_t exchange)
{
    switch (exchange) {
    case IKEV1_IDENTITY_PROTECTION:
        return "Identity Protection";
    case IKEV1_AGGRESSIVE:
        return "Aggressive";
    case IKEV1_INFORMATIONAL:
        return "Informational";
    case IKEV1_QUICK_MODE:
        return "Quick Mode";
    default:
        return "unknown";
    }
}
