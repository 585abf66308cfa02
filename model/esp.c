/*
 * esp.c - ESP protect and unprotect (RFC 4303) over OpenSSL 3 EVP.
 */
#include "esp.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cursor.h"

#define SHA1_DIGEST_LEN 20
#define ESN_HIGH_LEN 4   /* high 32 bits of an ESN, covered by the ICV but not sent */
#define NULL_ENC_ALIGN 4 /* RFC 4303 §2.4: the ICV starts on a 4-byte boundary */

static size_t
iv_len(enum esp_enc_alg enc)
{
    return enc == ESP_ENC_AES_128_CBC ? ESP_AES_IV_LEN : 0;
}

static size_t
block_len(enum esp_enc_alg enc)
{
    return enc == ESP_ENC_AES_128_CBC ? ESP_AES_BLOCK_LEN : NULL_ENC_ALIGN;
}

static size_t
icv_len(enum esp_auth_alg auth)
{
    return auth == ESP_AUTH_HMAC_SHA1_96 ? ESP_ICV_LEN : 0;
}

/* Bytes of payload, padding and trailer: a whole number of blocks. */
static size_t
ciphertext_len(enum esp_enc_alg enc, size_t payload_len)
{
    size_t block = block_len(enc);
    return (payload_len + ESP_TRAILER_LEN + block - 1) / block * block;
}

size_t
esp_overhead(enum esp_enc_alg enc, enum esp_auth_alg auth, size_t payload_len)
{
    return ESP_HEADER_LEN + iv_len(enc) + ciphertext_len(enc, payload_len) - payload_len +
           icv_len(auth);
}

static enum esp_status
check_parameters(uint32_t spi, enum esp_enc_alg enc, size_t enc_key_len, enum esp_auth_alg auth,
                 size_t auth_key_len)
{
    if (enc != ESP_ENC_NULL && enc != ESP_ENC_AES_128_CBC)
        return ESP_BAD_ALGORITHMS;
    if (auth != ESP_AUTH_NULL && auth != ESP_AUTH_HMAC_SHA1_96)
        return ESP_BAD_ALGORITHMS;
    /* RFC 4303 §3.2: encryption and integrity must not both be NULL. */
    if (enc == ESP_ENC_NULL && auth == ESP_AUTH_NULL)
        return ESP_BAD_ALGORITHMS;
    /* RFC 4303 §2.1: SPI 0 never goes on the wire and 1-255 are reserved. */
    if (spi < ESP_MIN_SPI)
        return ESP_BAD_SPI;

    size_t want_enc = enc == ESP_ENC_AES_128_CBC ? ESP_AES_KEY_LEN : 0;
    /* RFC 2404 §3: HMAC-SHA1-96 takes 160-bit keys and no other length. */
    size_t want_auth = auth == ESP_AUTH_HMAC_SHA1_96 ? ESP_HMAC_SHA1_KEY_LEN : 0;
    if (enc_key_len != want_enc || auth_key_len != want_auth)
        return ESP_BAD_KEY_LENGTH;
    return ESP_OK;
}

/* Create one AES-128 context keyed with key, padding off. */
static EVP_CIPHER_CTX *
new_cipher_ctx(const char *name, const uint8_t *key, int encrypt)
{
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, name, NULL);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (cipher == NULL || ctx == NULL)
        goto failed;
    if (!EVP_CipherInit_ex2(ctx, cipher, key, NULL, encrypt, NULL))
        goto failed;
    /* ESP pads by itself (RFC 4303 §2.4), never with PKCS#7. */
    if (!EVP_CIPHER_CTX_set_padding(ctx, 0))
        goto failed;
    EVP_CIPHER_free(cipher);
    return ctx;

failed:
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(cipher);
    return NULL;
}

static EVP_MAC_CTX *
new_hmac_sha1_ctx(const uint8_t *key, size_t key_len)
{
    char digest[] = "SHA1";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
    EVP_MAC_free(mac); /* the context keeps its own reference */
    if (ctx != NULL && !EVP_MAC_init(ctx, key, key_len, params)) {
        EVP_MAC_CTX_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

enum esp_status
esp_sa_init(struct esp_sa *sa, uint32_t spi, enum esp_enc_alg enc, const uint8_t *enc_key,
            size_t enc_key_len, enum esp_auth_alg auth, const uint8_t *auth_key,
            size_t auth_key_len)
{
    memset(sa, 0, sizeof *sa);
    enum esp_status status = check_parameters(spi, enc, enc_key_len, auth, auth_key_len);
    if (status != ESP_OK)
        return status;

    sa->spi = spi;
    sa->enc = enc;
    sa->auth = auth;
    if (enc == ESP_ENC_AES_128_CBC) {
        memcpy(sa->enc_key, enc_key, ESP_AES_KEY_LEN);
        sa->encrypt_ctx = new_cipher_ctx("AES-128-CBC", enc_key, 1);
        sa->decrypt_ctx = new_cipher_ctx("AES-128-CBC", enc_key, 0);
        sa->iv_ctx = new_cipher_ctx("AES-128-ECB", enc_key, 1);
        if (sa->encrypt_ctx == NULL || sa->decrypt_ctx == NULL || sa->iv_ctx == NULL)
            goto failed;
    }
    if (auth == ESP_AUTH_HMAC_SHA1_96) {
        memcpy(sa->auth_key, auth_key, ESP_HMAC_SHA1_KEY_LEN);
        sa->mac_ctx = new_hmac_sha1_ctx(auth_key, auth_key_len);
        if (sa->mac_ctx == NULL)
            goto failed;
    }
    return ESP_OK;

failed:
    esp_sa_free(sa);
    return ESP_CRYPTO_FAILED;
}

void
esp_sa_free(struct esp_sa *sa)
{
    EVP_CIPHER_CTX_free(sa->encrypt_ctx);
    EVP_CIPHER_CTX_free(sa->decrypt_ctx);
    EVP_CIPHER_CTX_free(sa->iv_ctx);
    EVP_MAC_CTX_free(sa->mac_ctx);
    OPENSSL_cleanse(sa, sizeof *sa); /* zeroes keys and pointers */
}

void
esp_sa_set_esn(struct esp_sa *sa, bool esn)
{
    sa->esn = esn;
}

uint64_t
esp_seq_limit(const struct esp_sa *sa)
{
    return sa->esn ? UINT64_MAX : UINT32_MAX;
}

enum esp_status
esp_derive_iv(struct esp_sa *sa, uint64_t seq, uint8_t iv[ESP_AES_IV_LEN])
{
    if (sa->iv_ctx == NULL)
        return ESP_BAD_ALGORITHMS;

    /* NIST SP 800-38A Appendix C: encrypting a nonce under the data key
     * gives an unpredictable IV.  SPI and sequence number make the nonce
     * unique for the life of the SA.
     * NOTE: RFC 3602 §3 requires the IV to be chosen at random.  This
     * derivation departs from that to keep runs reproducible from the seed. */
    uint8_t nonce[ESP_AES_BLOCK_LEN];
    struct wr w = wr_init(nonce, sizeof nonce);
    wr_u32(&w, sa->spi);
    wr_u32(&w, 0);
    wr_u64(&w, seq);

    int out_len = 0;
    if (!EVP_EncryptUpdate(sa->iv_ctx, iv, &out_len, nonce, (int)sizeof nonce) ||
        out_len != ESP_AES_IV_LEN)
        return ESP_CRYPTO_FAILED;
    return ESP_OK;
}

/* Compute the ICV of data[0..len) followed by tail[0..tail_len). */
static enum esp_status
compute_icv(struct esp_sa *sa, const uint8_t *data, size_t len, const uint8_t *tail,
            size_t tail_len, uint8_t icv[ESP_ICV_LEN])
{
    if (sa->mac_ctx == NULL)
        return ESP_BAD_ALGORITHMS;

    uint8_t digest[SHA1_DIGEST_LEN];
    size_t digest_len = 0;
    /* A NULL key restarts HMAC with the key set in esp_sa_init. */
    if (!EVP_MAC_init(sa->mac_ctx, NULL, 0, NULL) || !EVP_MAC_update(sa->mac_ctx, data, len) ||
        (tail_len != 0 && !EVP_MAC_update(sa->mac_ctx, tail, tail_len)) ||
        !EVP_MAC_final(sa->mac_ctx, digest, &digest_len, sizeof digest) ||
        digest_len != SHA1_DIGEST_LEN)
        return ESP_CRYPTO_FAILED;

    /* RFC 2404 §2: keep the leftmost 96 bits. */
    memcpy(icv, digest, ESP_ICV_LEN);
    OPENSSL_cleanse(digest, sizeof digest);
    return ESP_OK;
}

enum esp_status
esp_compute_icv(struct esp_sa *sa, const uint8_t *data, size_t len, uint8_t icv[ESP_ICV_LEN])
{
    return compute_icv(sa, data, len, NULL, 0, icv);
}

/*
 * Compute the ICV of a packet whose bytes from SPI through Next Header are
 * pkt[0..len).  RFC 4303 §3.3.2.1 step 4: with ESN the high 32 bits of
 * the sequence number are appended after Next Header for the ICV only.
 */
static enum esp_status
packet_icv(struct esp_sa *sa, const uint8_t *pkt, size_t len, uint32_t seq_hi,
           uint8_t icv[ESP_ICV_LEN])
{
    uint8_t high[ESN_HIGH_LEN];
    struct wr w = wr_init(high, sizeof high);
    wr_u32(&w, seq_hi);
    return compute_icv(sa, pkt, len, high, sa->esn ? sizeof high : 0, icv);
}

static enum esp_status
cbc_crypt(EVP_CIPHER_CTX *ctx, int encrypt, const uint8_t *iv, const uint8_t *in, uint8_t *out,
          size_t len)
{
    int update_len = 0;
    int final_len = 0;
    if (!EVP_CipherInit_ex2(ctx, NULL, NULL, iv, encrypt, NULL))
        return ESP_CRYPTO_FAILED;
    if (!EVP_CipherUpdate(ctx, out, &update_len, in, (int)len))
        return ESP_CRYPTO_FAILED;
    if (!EVP_CipherFinal_ex(ctx, out + update_len, &final_len))
        return ESP_CRYPTO_FAILED;
    if ((size_t)update_len + (size_t)final_len != len)
        return ESP_CRYPTO_FAILED;
    return ESP_OK;
}

/* Write payload, the padding 1, 2, 3, ... and the trailer (RFC 4303 §2.4-§2.6). */
static void
write_plaintext(struct wr *w, const uint8_t *payload, size_t payload_len, size_t pad_len,
                uint8_t next_header)
{
    wr_bytes(w, payload, payload_len);
    for (size_t i = 1; i <= pad_len; i++)
        wr_u8(w, (uint8_t)i);
    wr_u8(w, (uint8_t)pad_len);
    wr_u8(w, next_header);
}

/* Protect with iv, or with the derived IV when iv is NULL. */
static enum esp_status
seal(struct esp_sa *sa, const uint8_t *iv, uint8_t next_header, const uint8_t *payload,
     size_t payload_len, struct wr *out)
{
    if (payload_len > ESP_MAX_PAYLOAD_LEN)
        return ESP_TOO_LONG;
    /* RFC 4303 §3.3.3: the sequence number, 32-bit or ESN, must never cycle. */
    if (sa->seq >= esp_seq_limit(sa))
        return ESP_SEQ_EXHAUSTED;
    uint64_t seq = sa->seq + 1;

    size_t ivl = iv_len(sa->enc);
    size_t ct_len = ciphertext_len(sa->enc, payload_len);
    size_t signed_len = ESP_HEADER_LEN + ivl + ct_len;
    size_t total = signed_len + icv_len(sa->auth);
    uint8_t *pkt = wr_reserve(out, total);
    if (pkt == NULL)
        return ESP_NO_SPACE;

    enum esp_status status = ESP_OK;
    uint8_t derived[ESP_AES_IV_LEN];
    if (ivl != 0 && iv == NULL) {
        status = esp_derive_iv(sa, seq, derived);
        if (status != ESP_OK)
            goto failed;
        iv = derived;
    }

    struct wr w = wr_init(pkt, total);
    wr_u32(&w, sa->spi);
    /* RFC 4303 §3.3.3: only the low 32 bits go on the wire, with ESN too. */
    wr_u32(&w, (uint32_t)seq);
    uint8_t *iv_field = pkt + w.pos;
    wr_bytes(&w, iv, ivl);
    uint8_t *plaintext = pkt + w.pos;
    write_plaintext(&w, payload, payload_len, ct_len - payload_len - ESP_TRAILER_LEN, next_header);

    if (sa->enc == ESP_ENC_AES_128_CBC) {
        status = cbc_crypt(sa->encrypt_ctx, 1, iv_field, plaintext, plaintext, ct_len);
        if (status != ESP_OK)
            goto failed;
    }
    /* RFC 4303 §2.8: the ICV covers SPI through Next Header, encrypted,
     * and the high sequence number bits with ESN. */
    if (sa->auth == ESP_AUTH_HMAC_SHA1_96) {
        status = packet_icv(sa, pkt, signed_len, (uint32_t)(seq >> 32), pkt + signed_len);
        if (status != ESP_OK)
            goto failed;
    }

    sa->seq = seq;
    return ESP_OK;

failed:
    out->failed = true;
    return status;
}

enum esp_status
esp_protect(struct esp_sa *sa, uint8_t next_header, const uint8_t *payload, size_t payload_len,
            struct wr *out)
{
    return seal(sa, NULL, next_header, payload, payload_len, out);
}

enum esp_status
esp_protect_with_iv(struct esp_sa *sa, const uint8_t iv[ESP_AES_IV_LEN], uint8_t next_header,
                    const uint8_t *payload, size_t payload_len, struct wr *out)
{
    return seal(sa, iv, next_header, payload, payload_len, out);
}

enum esp_status
esp_read_header(const uint8_t *pkt, size_t len, uint32_t *spi, uint32_t *seq)
{
    struct rd r = rd_init(pkt, len);
    *spi = rd_u32(&r);
    *seq = rd_u32(&r);
    return rd_ok(&r) ? ESP_OK : ESP_TRUNCATED;
}

/* Check the decrypted trailer and padding of plaintext[0..len). */
static enum esp_status
check_trailer(const uint8_t *plaintext, size_t len, struct esp_inbound *result)
{
    struct rd trailer = rd_init(plaintext, len);
    rd_skip(&trailer, len - ESP_TRAILER_LEN);
    size_t pad_len = rd_u8(&trailer);
    uint8_t next_header = rd_u8(&trailer);

    /* RFC 4303 §2.5: Pad Length counts padding bytes before the trailer. */
    if (pad_len > len - ESP_TRAILER_LEN)
        return ESP_BAD_PAD_LENGTH;
    size_t payload_len = len - ESP_TRAILER_LEN - pad_len;

    /* RFC 4303 §2.4: the receiver SHOULD check the default 1, 2, 3, ...
     * padding. */
    struct rd padding = rd_init(plaintext, len);
    rd_skip(&padding, payload_len);
    for (size_t i = 1; i <= pad_len; i++) {
        if (rd_u8(&padding) != (uint8_t)i)
            return ESP_BAD_PADDING;
    }

    result->payload_len = payload_len;
    result->next_header = next_header;
    return ESP_OK;
}

/* Verify and decrypt pkt with seq_hi as the high ESN bits.  Callers check the ESN setting. */
static enum esp_status
open_packet(struct esp_sa *sa, const uint8_t *pkt, size_t len, uint32_t seq_hi, uint8_t *payload,
            size_t payload_cap, struct esp_inbound *result)
{
    if (len > ESP_MAX_PAYLOAD_LEN)
        return ESP_TOO_LONG;
    size_t icvl = icv_len(sa->auth);
    struct rd r = rd_init(pkt, len);
    result->spi = rd_u32(&r);
    result->seq = rd_u32(&r);
    result->full_seq = (uint64_t)seq_hi << 32 | result->seq;
    const uint8_t *iv = rd_take(&r, iv_len(sa->enc));
    if (!rd_ok(&r) || rd_left(&r) < icvl)
        return ESP_TRUNCATED;
    size_t ct_len = rd_left(&r) - icvl;
    const uint8_t *ciphertext = rd_take(&r, ct_len);
    const uint8_t *icv = rd_take(&r, icvl);

    if (result->spi != sa->spi)
        return ESP_SPI_MISMATCH;

    /* RFC 4303 §3.4.4: verify the ICV before decrypting. */
    if (sa->auth == ESP_AUTH_HMAC_SHA1_96) {
        uint8_t expected[ESP_ICV_LEN];
        enum esp_status status = packet_icv(sa, pkt, len - icvl, seq_hi, expected);
        if (status != ESP_OK)
            return status;
        if (CRYPTO_memcmp(expected, icv, ESP_ICV_LEN) != 0)
            return ESP_ICV_MISMATCH;
    }

    /* RFC 4303 §2.4 and RFC 3602 §2.4: whole blocks, trailer included. */
    if (ct_len < ESP_TRAILER_LEN || ct_len % block_len(sa->enc) != 0)
        return ESP_BAD_LENGTH;
    if (ct_len > payload_cap)
        return ESP_NO_SPACE;

    if (sa->enc == ESP_ENC_AES_128_CBC) {
        enum esp_status status = cbc_crypt(sa->decrypt_ctx, 0, iv, ciphertext, payload, ct_len);
        if (status != ESP_OK)
            return status;
    } else {
        memcpy(payload, ciphertext, ct_len);
    }

    return check_trailer(payload, ct_len, result);
}

enum esp_status
esp_unprotect(struct esp_sa *sa, const uint8_t *pkt, size_t len, uint8_t *payload,
              size_t payload_cap, struct esp_inbound *result)
{
    memset(result, 0, sizeof *result);
    /* With ESN the ICV needs the high bits that only the receiver's
     * anti-replay window can supply (RFC 4303 §3.4.3). */
    if (sa->esn)
        return ESP_ESN_MISMATCH;
    return open_packet(sa, pkt, len, 0, payload, payload_cap, result);
}

enum esp_status
esp_unprotect_esn(struct esp_sa *sa, const uint8_t *pkt, size_t len, uint32_t seq_hi,
                  uint8_t *payload, size_t payload_cap, struct esp_inbound *result)
{
    memset(result, 0, sizeof *result);
    if (!sa->esn && seq_hi != 0)
        return ESP_ESN_MISMATCH;
    return open_packet(sa, pkt, len, seq_hi, payload, payload_cap, result);
}
