/*
 * ikev1_crypto.c - IKEv1 key derivation, hashes and IVs (RFC 2409) over
 * OpenSSL 3 EVP.
 */
#include "ikev1_crypto.h"

#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

/* One piece of a concatenated prf or hash input. */
struct chunk {
    const uint8_t *data;
    size_t len;
};

static const char *
digest_name(uint16_t hash)
{
    switch (hash) {
    case IKEV1_HASH_SHA:
        return "SHA1";
    case IKEV1_HASH_SHA2_256:
        return "SHA2-256";
    default:
        return NULL;
    }
}

size_t
ikev1_hash_len(uint16_t hash)
{
    switch (hash) {
    case IKEV1_HASH_SHA:
        return 20;
    case IKEV1_HASH_SHA2_256:
        return 32;
    default:
        return 0;
    }
}

/* prf(key, chunks[0] | chunks[1] | ...): HMAC with the hash. */
static enum ikev1_status
prf_chunks(uint16_t hash, const uint8_t *key, size_t key_len, const struct chunk *chunks,
           size_t n_chunks, uint8_t out[IKEV1_MAX_PRF_LEN])
{
    const char *name = digest_name(hash);
    if (name == NULL)
        return IKEV1_BAD_ALGORITHM;

    char digest[16];
    snprintf(digest, sizeof digest, "%s", name);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    enum ikev1_status status = IKEV1_CRYPTO_FAILED;
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
    size_t out_len = 0;
    /* OpenSSL refuses a NULL key even with length 0; an empty PSK is still a key. */
    static const uint8_t empty_key[1];

    if (ctx == NULL || !EVP_MAC_init(ctx, key_len ? key : empty_key, key_len, params))
        goto out;
    for (size_t i = 0; i < n_chunks; i++) {
        if (chunks[i].len != 0 && !EVP_MAC_update(ctx, chunks[i].data, chunks[i].len))
            goto out;
    }
    if (!EVP_MAC_final(ctx, out, &out_len, IKEV1_MAX_PRF_LEN) || out_len != ikev1_hash_len(hash))
        goto out;
    status = IKEV1_OK;

out:
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return status;
}

/* hash(chunks...) truncated to one AES block. */
static enum ikev1_status
hash_to_iv(uint16_t hash, const struct chunk *chunks, size_t n_chunks, uint8_t iv[IKEV1_BLOCK_LEN])
{
    const char *name = digest_name(hash);
    if (name == NULL)
        return IKEV1_BAD_ALGORITHM;

    enum ikev1_status status = IKEV1_CRYPTO_FAILED;
    EVP_MD *md = EVP_MD_fetch(NULL, name, NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned digest_len = 0;

    if (md == NULL || ctx == NULL || !EVP_DigestInit_ex(ctx, md, NULL))
        goto out;
    for (size_t i = 0; i < n_chunks; i++) {
        if (!EVP_DigestUpdate(ctx, chunks[i].data, chunks[i].len))
            goto out;
    }
    if (!EVP_DigestFinal_ex(ctx, digest, &digest_len) || digest_len < IKEV1_BLOCK_LEN)
        goto out;
    memcpy(iv, digest, IKEV1_BLOCK_LEN);
    status = IKEV1_OK;

out:
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
    return status;
}

static void
put_u64(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)v;
        v >>= 8;
    }
}

static void
put_u32(uint8_t out[4], uint32_t v)
{
    out[0] = (uint8_t)(v >> 24);
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
}

enum ikev1_status
ikev1_prf(uint16_t hash, const uint8_t *key, size_t key_len, const uint8_t *data, size_t data_len,
          uint8_t out[IKEV1_MAX_PRF_LEN])
{
    struct chunk c = {data, data_len};
    return prf_chunks(hash, key, key_len, &c, 1, out);
}

enum ikev1_status
ikev1_expand_enc_key(uint16_t hash, const uint8_t *skeyid_e, size_t key_len, uint8_t *out)
{
    size_t prf_len = ikev1_hash_len(hash);
    if (prf_len == 0 || key_len > IKEV1_MAX_ENC_KEY_LEN)
        return IKEV1_BAD_ALGORITHM;

    /* RFC 2409 Appendix B: SKEYID_e itself when it is long enough. */
    if (key_len <= prf_len) {
        memcpy(out, skeyid_e, key_len);
        return IKEV1_OK;
    }

    /* Otherwise K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, Kn-1), Ka = K1 | K2 | ... */
    uint8_t block[IKEV1_MAX_PRF_LEN];
    static const uint8_t zero = 0;
    struct chunk input = {&zero, 1};
    enum ikev1_status status = IKEV1_OK;
    for (size_t done = 0; done < key_len && status == IKEV1_OK; done += prf_len) {
        status = prf_chunks(hash, skeyid_e, prf_len, &input, 1, block);
        size_t n = key_len - done < prf_len ? key_len - done : prf_len;
        memcpy(out + done, block, n);
        input.data = block;
        input.len = prf_len;
    }
    OPENSSL_cleanse(block, sizeof block);
    return status;
}

enum ikev1_status
ikev1_derive_keys(uint16_t hash, const uint8_t *psk, size_t psk_len, const uint8_t *ni_b,
                  size_t ni_len, const uint8_t *nr_b, size_t nr_len, const uint8_t *gxy,
                  size_t gxy_len, uint64_t cky_i, uint64_t cky_r, size_t enc_key_len,
                  struct ikev1_keys *keys)
{
    memset(keys, 0, sizeof *keys);
    size_t prf_len = ikev1_hash_len(hash);
    if (prf_len == 0 || (enc_key_len != 16 && enc_key_len != 24 && enc_key_len != 32))
        return IKEV1_BAD_ALGORITHM;
    keys->hash = hash;
    keys->prf_len = (uint8_t)prf_len;
    keys->enc_key_len = (uint8_t)enc_key_len;

    uint8_t cookies[16];
    put_u64(cookies, cky_i);
    put_u64(cookies + 8, cky_r);
    static const uint8_t index[3] = {0, 1, 2};

    /* RFC 2409 §5.4: SKEYID = prf(pre-shared-key, Ni_b | Nr_b). */
    struct chunk nonces[] = {{ni_b, ni_len}, {nr_b, nr_len}};
    enum ikev1_status status = prf_chunks(hash, psk, psk_len, nonces, 2, keys->skeyid);

    /* RFC 2409 §5: SKEYID_d, _a, _e, each keyed with SKEYID and chained on the previous. */
    struct chunk d[] = {{gxy, gxy_len}, {cookies, 16}, {&index[0], 1}};
    if (status == IKEV1_OK)
        status = prf_chunks(hash, keys->skeyid, prf_len, d, 3, keys->skeyid_d);
    struct chunk a[] = {{keys->skeyid_d, prf_len}, {gxy, gxy_len}, {cookies, 16}, {&index[1], 1}};
    if (status == IKEV1_OK)
        status = prf_chunks(hash, keys->skeyid, prf_len, a, 4, keys->skeyid_a);
    struct chunk e[] = {{keys->skeyid_a, prf_len}, {gxy, gxy_len}, {cookies, 16}, {&index[2], 1}};
    if (status == IKEV1_OK)
        status = prf_chunks(hash, keys->skeyid, prf_len, e, 4, keys->skeyid_e);

    if (status == IKEV1_OK)
        status = ikev1_expand_enc_key(hash, keys->skeyid_e, enc_key_len, keys->enc_key);
    if (status != IKEV1_OK)
        OPENSSL_cleanse(keys, sizeof *keys);
    return status;
}

struct ikev1_cipher
ikev1_cipher_for(const struct ikev1_keys *keys, const uint8_t iv[IKEV1_BLOCK_LEN])
{
    struct ikev1_cipher cipher;
    memset(&cipher, 0, sizeof cipher);
    memcpy(cipher.key, keys->enc_key, keys->enc_key_len);
    cipher.key_len = keys->enc_key_len;
    memcpy(cipher.iv, iv, IKEV1_BLOCK_LEN);
    return cipher;
}

/* The ID payload body: ID Type, Protocol ID, Port, data (RFC 2407 §4.6.2). */
static size_t
id_body(const struct ikev1_id *id, uint8_t out[4 + IKEV1_MAX_ID_LEN])
{
    size_t len = id->len <= IKEV1_MAX_ID_LEN ? id->len : IKEV1_MAX_ID_LEN;
    out[0] = id->type;
    out[1] = id->protocol;
    put_u16(out + 2, id->port);
    memcpy(out + 4, id->data, len);
    return 4 + len;
}

/* prf(SKEYID, g_first | g_second | cky_first | cky_second | SAi_b | ID_b), RFC 2409 §5. */
static enum ikev1_status
phase1_hash(const struct ikev1_keys *keys, const uint8_t *g_first, size_t g_first_len,
            const uint8_t *g_second, size_t g_second_len, uint64_t cky_first, uint64_t cky_second,
            const uint8_t *sai_b, size_t sai_b_len, const struct ikev1_id *id,
            uint8_t out[IKEV1_MAX_PRF_LEN])
{
    uint8_t cookies[16];
    uint8_t id_b[4 + IKEV1_MAX_ID_LEN];
    put_u64(cookies, cky_first);
    put_u64(cookies + 8, cky_second);
    size_t id_len = id_body(id, id_b);

    struct chunk parts[] = {
        {g_first, g_first_len}, {g_second, g_second_len}, {cookies, 16},
        {sai_b, sai_b_len},     {id_b, id_len},
    };
    return prf_chunks(keys->hash, keys->skeyid, keys->prf_len, parts, 5, out);
}

enum ikev1_status
ikev1_hash_i(const struct ikev1_keys *keys, const uint8_t *gxi, size_t gxi_len, const uint8_t *gxr,
             size_t gxr_len, uint64_t cky_i, uint64_t cky_r, const uint8_t *sai_b, size_t sai_b_len,
             const struct ikev1_id *idii, uint8_t out[IKEV1_MAX_PRF_LEN])
{
    return phase1_hash(keys, gxi, gxi_len, gxr, gxr_len, cky_i, cky_r, sai_b, sai_b_len, idii, out);
}

enum ikev1_status
ikev1_hash_r(const struct ikev1_keys *keys, const uint8_t *gxi, size_t gxi_len, const uint8_t *gxr,
             size_t gxr_len, uint64_t cky_i, uint64_t cky_r, const uint8_t *sai_b, size_t sai_b_len,
             const struct ikev1_id *idir, uint8_t out[IKEV1_MAX_PRF_LEN])
{
    /* RFC 2409 §5: the responder's hash swaps the public values and the cookies. */
    return phase1_hash(keys, gxr, gxr_len, gxi, gxi_len, cky_r, cky_i, sai_b, sai_b_len, idir, out);
}

enum ikev1_status
ikev1_qm_hash1(const struct ikev1_keys *keys, uint32_t message_id, const uint8_t *after_hash,
               size_t after_hash_len, uint8_t out[IKEV1_MAX_PRF_LEN])
{
    uint8_t mid[4];
    put_u32(mid, message_id);
    struct chunk parts[] = {{mid, 4}, {after_hash, after_hash_len}};
    return prf_chunks(keys->hash, keys->skeyid_a, keys->prf_len, parts, 2, out);
}

enum ikev1_status
ikev1_qm_hash2(const struct ikev1_keys *keys, uint32_t message_id, const uint8_t *ni_b,
               size_t ni_len, const uint8_t *after_hash, size_t after_hash_len,
               uint8_t out[IKEV1_MAX_PRF_LEN])
{
    uint8_t mid[4];
    put_u32(mid, message_id);
    struct chunk parts[] = {{mid, 4}, {ni_b, ni_len}, {after_hash, after_hash_len}};
    return prf_chunks(keys->hash, keys->skeyid_a, keys->prf_len, parts, 3, out);
}

enum ikev1_status
ikev1_qm_hash3(const struct ikev1_keys *keys, uint32_t message_id, const uint8_t *ni_b,
               size_t ni_len, const uint8_t *nr_b, size_t nr_len, uint8_t out[IKEV1_MAX_PRF_LEN])
{
    static const uint8_t zero = 0;
    uint8_t mid[4];
    put_u32(mid, message_id);
    struct chunk parts[] = {{&zero, 1}, {mid, 4}, {ni_b, ni_len}, {nr_b, nr_len}};
    return prf_chunks(keys->hash, keys->skeyid_a, keys->prf_len, parts, 4, out);
}

/* HASH(1) or, with ni_b, HASH(2) over after_hash. */
static enum ikev1_status
message_hash(const struct ikev1_keys *keys, uint32_t message_id, const uint8_t *ni_b, size_t ni_len,
             const uint8_t *after_hash, size_t after_hash_len, uint8_t out[IKEV1_MAX_PRF_LEN])
{
    if (ni_b == NULL)
        return ikev1_qm_hash1(keys, message_id, after_hash, after_hash_len, out);
    return ikev1_qm_hash2(keys, message_id, ni_b, ni_len, after_hash, after_hash_len, out);
}

enum ikev1_status
ikev1_encode_hashed(struct ikev1_msg *msg, const struct ikev1_keys *keys, const uint8_t *ni_b,
                    size_t ni_len, const struct ikev1_cipher *cipher, struct wr *out,
                    struct ikev1_parts *parts)
{
    if (!msg->has_hash)
        return IKEV1_BAD_PAYLOAD;
    if (ikev1_hash_len(keys->hash) == 0)
        return IKEV1_BAD_ALGORITHM;

    /* Pass 1: in clear with a zero hash of the final length, at the end of out. */
    size_t start = out->pos;
    struct ikev1_parts clear_parts;
    msg->hash_len = keys->prf_len;
    memset(msg->hash, 0, sizeof msg->hash);
    enum ikev1_status status = ikev1_encode(msg, NULL, out, &clear_parts);
    if (status != IKEV1_OK)
        return status;

    /* The hash covers the bytes after the HASH payload, which do not depend on its value. */
    uint8_t hash[IKEV1_MAX_PRF_LEN];
    status = message_hash(keys, msg->hdr.message_id, ni_b, ni_len,
                          out->buf + start + clear_parts.after_hash.offset,
                          clear_parts.after_hash.len, hash);
    if (status != IKEV1_OK)
        return status;
    memcpy(msg->hash, hash, keys->prf_len);

    /* Pass 2 overwrites pass 1. */
    out->pos = start;
    return ikev1_encode(msg, cipher, out, parts);
}

enum ikev1_status
ikev1_check_hash(const struct ikev1_msg *msg, const struct ikev1_keys *keys, const uint8_t *ni_b,
                 size_t ni_len)
{
    /* RFC 2409 §5.5: the HASH payload must immediately follow the ISAKMP header. */
    if (!msg->has_hash || msg->n_order == 0 || msg->order[0] != IKEV1_PL_HASH ||
        msg->hash_len != keys->prf_len)
        return IKEV1_HASH_MISMATCH;

    uint8_t expected[IKEV1_MAX_PRF_LEN];
    enum ikev1_status status = message_hash(keys, msg->hdr.message_id, ni_b, ni_len,
                                            ikev1_span_ptr(msg, msg->parts.after_hash),
                                            msg->parts.after_hash.len, expected);
    if (status != IKEV1_OK)
        return status;
    return CRYPTO_memcmp(expected, msg->hash, keys->prf_len) == 0 ? IKEV1_OK : IKEV1_HASH_MISMATCH;
}

enum ikev1_status
ikev1_keymat(const struct ikev1_keys *keys, const uint8_t *gqm_xy, size_t gqm_xy_len,
             uint8_t protocol, uint32_t spi, const uint8_t *ni_b, size_t ni_len,
             const uint8_t *nr_b, size_t nr_len, uint8_t *out, size_t out_len)
{
    size_t prf_len = ikev1_hash_len(keys->hash);
    if (prf_len == 0 || out_len > 255 * prf_len)
        return IKEV1_BAD_ALGORITHM;

    uint8_t spi_bytes[4];
    put_u32(spi_bytes, spi);
    uint8_t block[IKEV1_MAX_PRF_LEN];
    /* RFC 2409 §5.5: K1 has no previous block; Kn starts with Kn-1.  Without
     * PFS the g(qm)^xy chunk is empty. */
    struct chunk parts[] = {
        {block, 0},     {gqm_xy, gqm_xy != NULL ? gqm_xy_len : 0},
        {&protocol, 1}, {spi_bytes, 4},
        {ni_b, ni_len}, {nr_b, nr_len},
    };
    enum ikev1_status status = IKEV1_OK;
    for (size_t done = 0; done < out_len && status == IKEV1_OK; done += prf_len) {
        status = prf_chunks(keys->hash, keys->skeyid_d, prf_len, parts, 6, block);
        size_t n = out_len - done < prf_len ? out_len - done : prf_len;
        memcpy(out + done, block, n);
        parts[0].len = prf_len;
    }
    OPENSSL_cleanse(block, sizeof block);
    return status;
}

enum ikev1_status
ikev1_derive_esp_keys(const struct ikev1_keys *keys, const uint8_t *gqm_xy, size_t gqm_xy_len,
                      uint32_t spi, const uint8_t *ni_b, size_t ni_len, const uint8_t *nr_b,
                      size_t nr_len, struct ikev1_esp_keys *esp)
{
    uint8_t keymat[IKEV1_ESP_ENC_KEY_LEN + IKEV1_ESP_AUTH_KEY_LEN];
    enum ikev1_status status = ikev1_keymat(keys, gqm_xy, gqm_xy_len, IKEV1_PROTO_ESP, spi, ni_b,
                                            ni_len, nr_b, nr_len, keymat, sizeof keymat);
    if (status == IKEV1_OK) {
        memcpy(esp->enc_key, keymat, IKEV1_ESP_ENC_KEY_LEN);
        memcpy(esp->auth_key, keymat + IKEV1_ESP_ENC_KEY_LEN, IKEV1_ESP_AUTH_KEY_LEN);
    }
    OPENSSL_cleanse(keymat, sizeof keymat);
    return status;
}

enum ikev1_status
ikev1_phase1_iv(uint16_t hash, const uint8_t *gxi, size_t gxi_len, const uint8_t *gxr,
                size_t gxr_len, uint8_t iv[IKEV1_BLOCK_LEN])
{
    struct chunk parts[] = {{gxi, gxi_len}, {gxr, gxr_len}};
    return hash_to_iv(hash, parts, 2, iv);
}

enum ikev1_status
ikev1_phase2_iv(uint16_t hash, const uint8_t last_phase1_block[IKEV1_BLOCK_LEN],
                uint32_t message_id, uint8_t iv[IKEV1_BLOCK_LEN])
{
    uint8_t mid[4];
    put_u32(mid, message_id);
    struct chunk parts[] = {{last_phase1_block, IKEV1_BLOCK_LEN}, {mid, 4}};
    return hash_to_iv(hash, parts, 2, iv);
}
