/*
 * ikev2_msg.c - IKEv2 message encoding (RFC 7296 §3), the Encrypted and
 * Authenticated payload's algorithms (RFC 7296 §3.14), and the field
 * checks that the encoder shares with the decoder in ikev2_decode.c, so
 * that every message that decodes also encodes, and the fuzz target can
 * test the round trip.
 */
#include "ikev2_msg.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ikev2_crypto.h"
#include "ikev2_msg_int.h"

/* ---- the SK payload's algorithms ---- */

size_t
ikev2_sk_icv_len(uint16_t integ)
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

enum ikev2_status
ikev2_sk_check_keys(const struct ikev2_sk_keys *keys)
{
    if (keys->encr != IKEV2_ENCR_AES_CBC || keys->enc_key_len != AES_128_KEY_LEN)
        return IKEV2_BAD_ALGORITHM;
    if (ikev2_sk_icv_len(keys->integ) == 0)
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
    if (ikev2_sk_check_keys(keys) != IKEV2_OK)
        return 0;
    return GENERIC_HEADER_LEN + AES_BLOCK_LEN + padding_len(plain_len) + PAD_LENGTH_LEN +
           ikev2_sk_icv_len(keys->integ);
}

/* The truncated HMAC of data[0..len) into icv[0..ikev2_sk_icv_len(keys->integ)). */
enum ikev2_status
ikev2_sk_icv(const struct ikev2_sk_keys *keys, const uint8_t *data, size_t len, uint8_t *icv)
{
    uint8_t digest[IKEV2_MAX_PRF_LEN];
    enum ikev2_status status =
        ikev2_prf(integ_prf(keys->integ), keys->auth_key, keys->auth_key_len, data, len, digest);
    if (status == IKEV2_OK)
        memcpy(icv, digest, ikev2_sk_icv_len(keys->integ));
    OPENSSL_cleanse(digest, sizeof digest);
    return status;
}

/* AES-128-CBC over whole blocks, without padding of its own. */
enum ikev2_status
ikev2_sk_cbc(const struct ikev2_sk_keys *keys, int encrypt, const uint8_t *iv, const uint8_t *in,
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
bool
ikev2_valid_proposal_spi(uint8_t protocol, uint8_t spi_len)
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
bool
ikev2_valid_delete(uint8_t protocol, size_t n_spis)
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
bool
ikev2_valid_nonce_len(size_t len)
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
        if (!ikev2_valid_proposal_spi(p->protocol, p->spi_len))
            return IKEV2_BAD_PAYLOAD;
    }
    if (msg->has_ke && msg->ke.len > IKEV2_MAX_KE_LEN)
        return IKEV2_BAD_PAYLOAD;
    if (msg->has_nonce && !ikev2_valid_nonce_len(msg->nonce_len))
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
        if (!ikev2_valid_delete(msg->deletes[i].protocol, msg->deletes[i].n_spis))
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
    uint8_t *icv = wr_reserve(w, ikev2_sk_icv_len(keys->integ));
    if (!wr_ok(w))
        return IKEV2_NO_SPACE;

    uint8_t *plain = w->buf + plain_start;
    enum ikev2_status status = ikev2_sk_cbc(keys, 1, iv, plain, plain, plain_len);
    if (status != IKEV2_OK)
        return status;

    put_u16(sk + 2, (uint16_t)(w->buf + w->pos - sk));
    struct wr length = wr_init(length_field, 4);
    wr_u32(&length, (uint32_t)(w->pos - start));
    return ikev2_sk_icv(keys, w->buf + start, (size_t)(icv - (w->buf + start)), icv);
}

enum ikev2_status
ikev2_encode(const struct ikev2_msg *msg, const struct ikev2_sk_keys *keys, const uint8_t iv[16],
             struct wr *out)
{
    enum ikev2_status status = check_counts(msg);
    if (status == IKEV2_OK)
        status = check_fields(msg);
    if (status == IKEV2_OK && keys != NULL)
        status = ikev2_sk_check_keys(keys);
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
