/*
 * ikev2_msg.c - IKEv2 message encoding and decoding (RFC 7296 §3) and the
 * Encrypted and Authenticated payload (RFC 7296 §3.14).
 *
 * The encoder and the decoder share one set of field checks, so every
 * message that decodes also encodes, and the fuzz target can test the
 * round trip.
 */
#include "ikev2_msg.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ikev2_crypto.h"

#define GENERIC_HEADER_LEN 4
#define CRITICAL_BIT 0x80

/* Last Substruc values (RFC 7296 §3.3.1, §3.3.2). */
#define LAST_SUBSTRUCTURE 0
#define MORE_PROPOSALS 2
#define MORE_TRANSFORMS 3

#define PROPOSAL_HEADER_LEN 8
#define TRANSFORM_HEADER_LEN 8
#define ATTRIBUTE_TV 0x8000     /* AF bit: Type/Value format (RFC 7296 §3.3.5) */
#define ATTRIBUTE_KEY_LENGTH 14 /* RFC 7296 §3.3.5 */
#define KEY_LENGTH_ATTRIBUTE_LEN 4

#define TS_IPV6_LEN 40 /* Selector Length of TS_IPV6_ADDR_RANGE (RFC 7296 §3.13.1) */

#define AES_BLOCK_LEN 16
#define AES_128_KEY_LEN 16
#define SHA1_96_ICV_LEN 12
#define SHA2_256_128_ICV_LEN 16
#define PAD_LENGTH_LEN 1

/* ---- the SK payload's algorithms ---- */

static size_t
icv_len(uint16_t integ)
{
    switch (integ) {
    case IKEV2_INTEG_HMAC_SHA1_96:
        return SHA1_96_ICV_LEN;
    case IKEV2_INTEG_HMAC_SHA2_256_128:
        return SHA2_256_128_ICV_LEN;
    default:
        return 0;
    }
}

/* The HMAC behind an integrity algorithm, named by its prf id. */
static uint16_t
integ_prf(uint16_t integ)
{
    return integ == IKEV2_INTEG_HMAC_SHA1_96 ? IKEV2_PRF_HMAC_SHA1 : IKEV2_PRF_HMAC_SHA2_256;
}

static enum ikev2_status
check_keys(const struct ikev2_sk_keys *keys)
{
    if (keys->encr != IKEV2_ENCR_AES_CBC || keys->enc_key_len != AES_128_KEY_LEN)
        return IKEV2_BAD_ALGORITHM;
    if (icv_len(keys->integ) == 0)
        return IKEV2_BAD_ALGORITHM;
    /* RFC 2404 §3 and RFC 4868 §2.1.1: the key is as long as the HMAC output. */
    if (keys->auth_key_len != ikev2_prf_len(integ_prf(keys->integ)))
        return IKEV2_BAD_ALGORITHM;
    return IKEV2_OK;
}

static size_t
padding_len(size_t plain_len)
{
    return (AES_BLOCK_LEN - (plain_len + PAD_LENGTH_LEN) % AES_BLOCK_LEN) % AES_BLOCK_LEN;
}

size_t
ikev2_sk_overhead(const struct ikev2_sk_keys *keys, size_t plain_len)
{
    if (check_keys(keys) != IKEV2_OK)
        return 0;
    return GENERIC_HEADER_LEN + AES_BLOCK_LEN + padding_len(plain_len) + PAD_LENGTH_LEN +
           icv_len(keys->integ);
}

/* The truncated HMAC of data[0..len) into icv[0..icv_len(keys->integ)). */
static enum ikev2_status
compute_icv(const struct ikev2_sk_keys *keys, const uint8_t *data, size_t len, uint8_t *icv)
{
    uint8_t digest[IKEV2_MAX_PRF_LEN];
    enum ikev2_status status =
        ikev2_prf(integ_prf(keys->integ), keys->auth_key, keys->auth_key_len, data, len, digest);
    if (status == IKEV2_OK)
        memcpy(icv, digest, icv_len(keys->integ));
    OPENSSL_cleanse(digest, sizeof digest);
    return status;
}

/* AES-128-CBC over whole blocks, without padding of its own. */
static enum ikev2_status
cbc_crypt(const struct ikev2_sk_keys *keys, int encrypt, const uint8_t *iv, const uint8_t *in,
          uint8_t *out, size_t len)
{
    enum ikev2_status status = IKEV2_CRYPTO_FAILED;
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, "AES-128-CBC", NULL);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int update_len = 0;
    int final_len = 0;

    if (cipher == NULL || ctx == NULL)
        goto out;
    if (!EVP_CipherInit_ex2(ctx, cipher, keys->enc_key, iv, encrypt, NULL))
        goto out;
    /* RFC 7296 §3.14: the SK payload carries its own padding and Pad Length. */
    if (!EVP_CIPHER_CTX_set_padding(ctx, 0))
        goto out;
    if (!EVP_CipherUpdate(ctx, out, &update_len, in, (int)len))
        goto out;
    if (!EVP_CipherFinal_ex(ctx, out + update_len, &final_len))
        goto out;
    if ((size_t)update_len + (size_t)final_len == len)
        status = IKEV2_OK;

out:
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(cipher);
    return status;
}

/* ---- field checks shared by the encoder and the decoder ---- */

/* RFC 7296 §3.3.1: SPI Size is 0 or 8 for IKE and 4 for AH and ESP. */
static bool
valid_proposal_spi(uint8_t protocol, uint8_t spi_len)
{
    switch (protocol) {
    case IKEV2_PROTO_IKE:
        return spi_len == 0 || spi_len == 8;
    case IKEV2_PROTO_AH:
    case IKEV2_PROTO_ESP:
        return spi_len == 4;
    default:
        return false;
    }
}

/* RFC 7296 §3.11: an IKE SA is deleted by the header's SPIs, an AH or ESP
 * SA by 4-byte SPIs in the payload. */
static bool
valid_delete(uint8_t protocol, size_t n_spis)
{
    switch (protocol) {
    case IKEV2_PROTO_IKE:
        return n_spis == 0;
    case IKEV2_PROTO_AH:
    case IKEV2_PROTO_ESP:
        return true;
    default:
        return false;
    }
}

/* RFC 7296 §3.9: Nonce Data is 16 to 256 bytes. */
static bool
valid_nonce_len(size_t len)
{
    return len >= IKEV2_MIN_NONCE_LEN && len <= IKEV2_MAX_NONCE_LEN;
}

static enum ikev2_status
check_counts(const struct ikev2_msg *msg)
{
    if (msg->n_proposals > IKEV2_MAX_PROPOSALS || msg->n_notifies > IKEV2_MAX_NOTIFIES ||
        msg->n_deletes > IKEV2_MAX_DELETES || msg->n_tsi > IKEV2_MAX_TS ||
        msg->n_tsr > IKEV2_MAX_TS)
        return IKEV2_TOO_MANY;
    for (size_t i = 0; i < msg->n_proposals; i++) {
        if (msg->proposals[i].n_transforms > IKEV2_MAX_TRANSFORMS)
            return IKEV2_TOO_MANY;
    }
    for (size_t i = 0; i < msg->n_deletes; i++) {
        if (msg->deletes[i].n_spis > IKEV2_MAX_DELETE_SPIS)
            return IKEV2_TOO_MANY;
    }
    return IKEV2_OK;
}

static bool
valid_ts_list(const struct ikev2_ts *ts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (ts[i].type != IKEV2_TS_IPV6_ADDR_RANGE)
            return false;
    }
    return true;
}

/* Check every length and field, after check_counts has passed. */
static enum ikev2_status
check_fields(const struct ikev2_msg *msg)
{
    for (size_t i = 0; i < msg->n_proposals; i++) {
        const struct ikev2_proposal *p = &msg->proposals[i];
        if (!valid_proposal_spi(p->protocol, p->spi_len))
            return IKEV2_BAD_PAYLOAD;
    }
    if (msg->has_ke && msg->ke.len > IKEV2_MAX_KE_LEN)
        return IKEV2_BAD_PAYLOAD;
    if (msg->has_nonce && !valid_nonce_len(msg->nonce_len))
        return IKEV2_BAD_PAYLOAD;
    if ((msg->has_idi && msg->idi.len > IKEV2_MAX_ID_LEN) ||
        (msg->has_idr && msg->idr.len > IKEV2_MAX_ID_LEN))
        return IKEV2_BAD_PAYLOAD;
    if (msg->has_auth && msg->auth.len > IKEV2_MAX_AUTH_LEN)
        return IKEV2_BAD_PAYLOAD;
    for (size_t i = 0; i < msg->n_notifies; i++) {
        const struct ikev2_notify *n = &msg->notifies[i];
        if (n->spi_len > IKEV2_MAX_SPI_LEN || n->data_len > IKEV2_MAX_NOTIFY_DATA)
            return IKEV2_BAD_PAYLOAD;
    }
    for (size_t i = 0; i < msg->n_deletes; i++) {
        if (!valid_delete(msg->deletes[i].protocol, msg->deletes[i].n_spis))
            return IKEV2_BAD_PAYLOAD;
    }
    if (!valid_ts_list(msg->tsi, msg->n_tsi) || !valid_ts_list(msg->tsr, msg->n_tsr))
        return IKEV2_BAD_PAYLOAD;
    return IKEV2_OK;
}

/* ---- encoding ---- */

/*
 * The payload chain being written: prev_next is the Next Payload field of
 * the IKE header, of the SK payload or of the payload written last, which
 * begin_payload sets to the type of the payload that follows.
 */
struct chain {
    struct wr *w;
    uint8_t *prev_next;
};

/* Write a generic payload header (RFC 7296 §3.2) with Next Payload 0,
 * the critical bit clear and the length left for end_payload. */
static uint8_t *
begin_payload(struct chain *c, uint8_t type)
{
    uint8_t *p = wr_reserve(c->w, GENERIC_HEADER_LEN);
    if (p == NULL)
        return NULL;
    memset(p, 0, GENERIC_HEADER_LEN);
    *c->prev_next = type;
    c->prev_next = p;
    return p;
}

static void
end_payload(struct chain *c, uint8_t *start)
{
    if (start != NULL && wr_ok(c->w))
        put_u16(start + 2, (uint16_t)(c->w->buf + c->w->pos - start));
}

static void
write_transform(struct wr *w, const struct ikev2_transform *t, bool last)
{
    size_t len = TRANSFORM_HEADER_LEN + (t->key_bits != 0 ? KEY_LENGTH_ATTRIBUTE_LEN : 0);
    wr_u8(w, last ? LAST_SUBSTRUCTURE : MORE_TRANSFORMS);
    wr_u8(w, 0);
    wr_u16(w, (uint16_t)len);
    wr_u8(w, t->type);
    wr_u8(w, 0);
    wr_u16(w, t->id);
    /* RFC 7296 §3.3.5: Key Length is the one attribute, in TV format. */
    if (t->key_bits != 0) {
        wr_u16(w, ATTRIBUTE_TV | ATTRIBUTE_KEY_LENGTH);
        wr_u16(w, t->key_bits);
    }
}

static void
write_proposal(struct wr *w, const struct ikev2_proposal *p, bool last)
{
    size_t start = w->pos;
    wr_u8(w, last ? LAST_SUBSTRUCTURE : MORE_PROPOSALS);
    wr_u8(w, 0);
    wr_u16(w, 0); /* Proposal Length, set below */
    wr_u8(w, p->number);
    wr_u8(w, p->protocol);
    wr_u8(w, p->spi_len);
    wr_u8(w, p->n_transforms);
    wr_bytes(w, p->spi, p->spi_len);
    for (size_t i = 0; i < p->n_transforms; i++)
        write_transform(w, &p->transforms[i], i + 1 == p->n_transforms);
    if (wr_ok(w))
        put_u16(w->buf + start + 2, (uint16_t)(w->pos - start));
}

static void
write_sa(struct chain *c, const struct ikev2_msg *msg)
{
    if (msg->n_proposals == 0)
        return;
    uint8_t *start = begin_payload(c, IKEV2_PL_SA);
    for (size_t i = 0; i < msg->n_proposals; i++)
        write_proposal(c->w, &msg->proposals[i], i + 1 == msg->n_proposals);
    end_payload(c, start);
}

static void
write_ke(struct chain *c, const struct ikev2_msg *msg)
{
    if (!msg->has_ke)
        return;
    uint8_t *start = begin_payload(c, IKEV2_PL_KE);
    wr_u16(c->w, msg->ke.group);
    wr_u16(c->w, 0);
    wr_bytes(c->w, msg->ke.data, msg->ke.len);
    end_payload(c, start);
}

static void
write_nonce(struct chain *c, const struct ikev2_msg *msg)
{
    if (!msg->has_nonce)
        return;
    uint8_t *start = begin_payload(c, IKEV2_PL_NONCE);
    wr_bytes(c->w, msg->nonce, msg->nonce_len);
    end_payload(c, start);
}

static void
write_id(struct chain *c, bool present, uint8_t type, const struct ikev2_id *id)
{
    if (!present)
        return;
    uint8_t *start = begin_payload(c, type);
    wr_u8(c->w, id->type);
    wr_zeros(c->w, 3);
    wr_bytes(c->w, id->data, id->len);
    end_payload(c, start);
}

static void
write_auth(struct chain *c, const struct ikev2_msg *msg)
{
    if (!msg->has_auth)
        return;
    uint8_t *start = begin_payload(c, IKEV2_PL_AUTH);
    wr_u8(c->w, msg->auth.method);
    wr_zeros(c->w, 3);
    wr_bytes(c->w, msg->auth.data, msg->auth.len);
    end_payload(c, start);
}

static void
write_notifies(struct chain *c, const struct ikev2_msg *msg)
{
    for (size_t i = 0; i < msg->n_notifies; i++) {
        const struct ikev2_notify *n = &msg->notifies[i];
        uint8_t *start = begin_payload(c, IKEV2_PL_NOTIFY);
        wr_u8(c->w, n->protocol);
        wr_u8(c->w, n->spi_len);
        wr_u16(c->w, n->type);
        wr_bytes(c->w, n->spi, n->spi_len);
        wr_bytes(c->w, n->data, n->data_len);
        end_payload(c, start);
    }
}

static void
write_deletes(struct chain *c, const struct ikev2_msg *msg)
{
    for (size_t i = 0; i < msg->n_deletes; i++) {
        const struct ikev2_delete *d = &msg->deletes[i];
        uint8_t *start = begin_payload(c, IKEV2_PL_DELETE);
        wr_u8(c->w, d->protocol);
        wr_u8(c->w, d->protocol == IKEV2_PROTO_IKE ? 0 : 4);
        wr_u16(c->w, d->n_spis);
        for (size_t j = 0; j < d->n_spis; j++)
            wr_u32(c->w, d->spis[j]);
        end_payload(c, start);
    }
}

static void
write_ts(struct chain *c, uint8_t type, const struct ikev2_ts *ts, size_t n)
{
    if (n == 0)
        return;
    uint8_t *start = begin_payload(c, type);
    wr_u8(c->w, (uint8_t)n);
    wr_zeros(c->w, 3);
    for (size_t i = 0; i < n; i++) {
        wr_u8(c->w, ts[i].type);
        wr_u8(c->w, ts[i].proto);
        wr_u16(c->w, TS_IPV6_LEN);
        wr_u16(c->w, ts[i].start_port);
        wr_u16(c->w, ts[i].end_port);
        wr_bytes(c->w, ts[i].start, sizeof ts[i].start);
        wr_bytes(c->w, ts[i].end, sizeof ts[i].end);
    }
    end_payload(c, start);
}

/* Every payload of msg, in the order of RFC 7296 §1.2-§1.4. */
static void
write_payloads(struct chain *c, const struct ikev2_msg *msg)
{
    if (msg->hdr.exchange == IKEV2_IKE_SA_INIT) {
        /* RFC 7296 §1.2: HDR, SAi1, KEi, Ni, then notifications. */
        write_sa(c, msg);
        write_ke(c, msg);
        write_nonce(c, msg);
        write_notifies(c, msg);
        write_id(c, msg->has_idi, IKEV2_PL_IDI, &msg->idi);
        write_id(c, msg->has_idr, IKEV2_PL_IDR, &msg->idr);
        write_auth(c, msg);
    } else {
        /* RFC 7296 §1.2-§1.4: IDi, [IDr,] AUTH, notifications, SA, Ni,
         * [KEi,] TSi, TSr.  An INFORMATIONAL has notifications, then deletes. */
        write_id(c, msg->has_idi, IKEV2_PL_IDI, &msg->idi);
        write_id(c, msg->has_idr, IKEV2_PL_IDR, &msg->idr);
        write_auth(c, msg);
        write_notifies(c, msg);
        write_sa(c, msg);
        write_nonce(c, msg);
        write_ke(c, msg);
    }
    write_ts(c, IKEV2_PL_TSI, msg->tsi, msg->n_tsi);
    write_ts(c, IKEV2_PL_TSR, msg->tsr, msg->n_tsr);
    write_deletes(c, msg);
}

/*
 * Write the SK payload after the header at out->buf + start (RFC 7296
 * §3.14): IV | encrypted [payloads | padding | Pad Length] | ICV.  Fills
 * the header Length before computing the ICV, which covers it.
 */
static enum ikev2_status
write_sk(struct chain *c, const struct ikev2_msg *msg, const struct ikev2_sk_keys *keys,
         const uint8_t iv[16], size_t start, uint8_t *length_field)
{
    struct wr *w = c->w;
    uint8_t *sk = begin_payload(c, IKEV2_PL_SK);
    wr_bytes(w, iv, AES_BLOCK_LEN);
    size_t plain_start = w->pos;

    write_payloads(c, msg);
    /* RFC 7296 §3.14: pad to a whole block.  The sender chooses the padding bytes. */
    size_t pad = padding_len(w->pos - plain_start);
    wr_zeros(w, pad);
    wr_u8(w, (uint8_t)pad);
    size_t plain_len = w->pos - plain_start;
    uint8_t *icv = wr_reserve(w, icv_len(keys->integ));
    if (!wr_ok(w))
        return IKEV2_NO_SPACE;

    uint8_t *plain = w->buf + plain_start;
    enum ikev2_status status = cbc_crypt(keys, 1, iv, plain, plain, plain_len);
    if (status != IKEV2_OK)
        return status;

    put_u16(sk + 2, (uint16_t)(w->buf + w->pos - sk));
    struct wr length = wr_init(length_field, 4);
    wr_u32(&length, (uint32_t)(w->pos - start));
    return compute_icv(keys, w->buf + start, (size_t)(icv - (w->buf + start)), icv);
}

enum ikev2_status
ikev2_encode(const struct ikev2_msg *msg, const struct ikev2_sk_keys *keys, const uint8_t iv[16],
             struct wr *out)
{
    enum ikev2_status status = check_counts(msg);
    if (status == IKEV2_OK)
        status = check_fields(msg);
    if (status == IKEV2_OK && keys != NULL)
        status = check_keys(keys);
    if (status != IKEV2_OK)
        return status;

    /* RFC 7296 §3.1: the header, with Next Payload and Length filled in last. */
    size_t start = out->pos;
    wr_u64(out, msg->hdr.spi_i);
    wr_u64(out, msg->hdr.spi_r);
    uint8_t *next_field = out->buf + out->pos;
    wr_u8(out, IKEV2_PL_NONE);
    wr_u8(out, msg->hdr.version);
    wr_u8(out, msg->hdr.exchange);
    wr_u8(out, msg->hdr.flags);
    wr_u32(out, msg->hdr.message_id);
    uint8_t *length_field = out->buf + out->pos;
    wr_u32(out, 0);
    if (!wr_ok(out))
        return IKEV2_NO_SPACE;

    struct chain chain = {out, next_field};
    if (keys == NULL) {
        write_payloads(&chain, msg);
        if (!wr_ok(out))
            return IKEV2_NO_SPACE;
        struct wr length = wr_init(length_field, 4);
        wr_u32(&length, (uint32_t)(out->pos - start));
        return IKEV2_OK;
    }
    status = write_sk(&chain, msg, keys, iv, start, length_field);
    if (status != IKEV2_OK)
        out->failed = true;
    return status;
}

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
    if (!valid_proposal_spi(p->protocol, p->spi_len))
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
    if (!valid_nonce_len(rd_left(r)))
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
    if (!rd_ok(r) || !valid_delete(d->protocol, d->n_spis))
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
    enum ikev2_status status = check_keys(keys);
    if (status != IKEV2_OK)
        return status;

    size_t icvl = icv_len(keys->integ);
    if (rd_left(body) < AES_BLOCK_LEN + icvl)
        return IKEV2_BAD_PAYLOAD;
    size_t ct_len = rd_left(body) - AES_BLOCK_LEN - icvl;
    const uint8_t *iv = rd_take(body, AES_BLOCK_LEN);
    const uint8_t *ciphertext = rd_take(body, ct_len);
    const uint8_t *icv = rd_take(body, icvl);

    uint8_t expected[SHA2_256_128_ICV_LEN];
    status = compute_icv(keys, pkt, len - icvl, expected);
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
    status = cbc_crypt(keys, 0, iv, ciphertext, plain, ct_len);
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
