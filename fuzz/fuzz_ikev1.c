/*
 * fuzz_ikev1.c - ikev1_decode on arbitrary bytes, and encode/decode
 * round trips, in clear and under a fixed AES-128-CBC key and IV.
 *
 * The input is used three ways:
 *   1. as a message, decoded without a cipher;
 *   2. as a message, decoded with the fixed cipher, so that a message
 *      with the E flag is decrypted;
 *   3. as a body: the first byte is the header's Next Payload and the
 *      rest the payloads.  It is decoded once in clear and once padded
 *      with zeros and encrypted under the fixed cipher.  Random
 *      ciphertext almost never decrypts to valid payloads, and this
 *      lets the fuzzer reach the payload decoders behind decryption.
 *
 * Oracle: decoding returns only statuses that input can cause.  A
 * message that decodes re-encodes without error (with the cipher when
 * it came encrypted), the result decodes to the same fields, and
 * encoding those fields again gives the same bytes.  In (3) a body that
 * decodes in clear also decodes encrypted, to the same fields.
 * ikev1_check_hash on any decoded message returns OK or a mismatch.
 *
 * The encrypted seeds in fuzz/corpus/ikev1/ were encrypted with
 * fuzz_key and fuzz_iv below.
 */
#include <stdbool.h>
#include <string.h>

#include <openssl/evp.h>

#include "fuzz.h"
#include "ikev1_crypto.h"
#include "ikev1_msg.h"

static const uint8_t fuzz_key[16] = {
    0x49, 0x4b, 0x45, 0x76, 0x31, 0x20, 0x66, 0x75, 0x7a, 0x7a, 0x20, 0x6b, 0x65, 0x79, 0x21, 0x00,
};
static const uint8_t fuzz_iv[16] = {
    0x0f, 0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 0x09, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x00,
};

static struct ikev1_msg decoded, again;
static uint8_t encoded[IKEV1_MAX_MSG_LEN + 64], encoded_again[IKEV1_MAX_MSG_LEN + 64];
static uint8_t body_message[IKEV1_MAX_MSG_LEN + 64];

static struct ikev1_cipher
fixed_cipher(void)
{
    struct ikev1_cipher c;
    memset(&c, 0, sizeof c);
    memcpy(c.key, fuzz_key, sizeof fuzz_key);
    c.key_len = sizeof fuzz_key;
    memcpy(c.iv, fuzz_iv, sizeof fuzz_iv);
    return c;
}

static const struct ikev1_keys *
fixed_keys(void)
{
    static struct ikev1_keys keys;
    static bool ready;
    if (!ready) {
        static const uint8_t nonce[8] = {1, 2, 3, 4, 5, 6, 7, 8};
        FUZZ_ASSERT(ikev1_derive_keys(IKEV1_HASH_SHA, fuzz_key, 16, nonce, 8, nonce, 8, fuzz_iv, 16,
                                      1, 2, 16, &keys) == IKEV1_OK);
        ready = true;
    }
    return &keys;
}

static bool
is_decode_status(enum ikev1_status s)
{
    switch (s) {
    case IKEV1_OK:
    case IKEV1_TRUNCATED:
    case IKEV1_TOO_LONG:
    case IKEV1_BAD_VERSION:
    case IKEV1_BAD_LENGTH:
    case IKEV1_BAD_PAYLOAD_TYPE:
    case IKEV1_BAD_PAYLOAD:
    case IKEV1_BAD_PROPOSAL:
    case IKEV1_BAD_DOI:
    case IKEV1_BAD_SITUATION:
    case IKEV1_TOO_MANY:
    case IKEV1_NO_KEYS:
        return true;
    default:
        return false;
    }
}

/* Whether two decoded messages carry the same fields, ignoring how they were carried. */
static bool
same_fields(const struct ikev1_msg *a, const struct ikev1_msg *b)
{
    static struct ikev1_msg x, y;
    memcpy(&x, a, sizeof x);
    memcpy(&y, b, sizeof y);
    struct ikev1_msg *m[2] = {&x, &y};
    for (int i = 0; i < 2; i++) {
        /* The order array records the payloads; skipped ones may have come first. */
        m[i]->hdr.next_payload = 0;
        m[i]->hdr.length = 0;
        m[i]->hdr.flags &= (uint8_t)~IKEV1_FLAG_ENCRYPTION;
        m[i]->encrypted = false;
        m[i]->n_skipped = 0;
        m[i]->plain_len = 0;
        memset(m[i]->plain, 0, sizeof m[i]->plain);
        memset(&m[i]->parts, 0, sizeof m[i]->parts);
    }
    return memcmp(&x, &y, sizeof x) == 0;
}

/* Checks on a message that decoded: hash check, re-encoding, decoding again. */
static void
check_decoded(const struct ikev1_cipher *cipher)
{
    enum ikev1_status hash_status = ikev1_check_hash(&decoded, fixed_keys(), NULL, 0);
    FUZZ_ASSERT(hash_status == IKEV1_OK || hash_status == IKEV1_HASH_MISMATCH);
    FUZZ_ASSERT(decoded.parts.sa_body.offset + decoded.parts.sa_body.len <= decoded.plain_len);
    FUZZ_ASSERT(decoded.parts.after_hash.offset + decoded.parts.after_hash.len <=
                decoded.plain_len);

    const struct ikev1_cipher *c = decoded.encrypted ? cipher : NULL;
    struct wr w = wr_init(encoded, sizeof encoded);
    FUZZ_ASSERT(ikev1_encode(&decoded, c, &w, NULL) == IKEV1_OK);
    size_t len = w.pos;
    FUZZ_ASSERT(ikev1_decode(encoded, len, c, &again) == IKEV1_OK);
    FUZZ_ASSERT(same_fields(&decoded, &again));

    w = wr_init(encoded_again, sizeof encoded_again);
    FUZZ_ASSERT(ikev1_encode(&again, c, &w, NULL) == IKEV1_OK);
    FUZZ_ASSERT(w.pos == len);
    FUZZ_ASSERT(memcmp(encoded, encoded_again, len) == 0);
}

/* Uses (1) and (2). */
static void
check_message(const uint8_t *data, size_t size, const struct ikev1_cipher *cipher)
{
    enum ikev1_status status = ikev1_decode(data, size, cipher, &decoded);
    FUZZ_ASSERT(is_decode_status(status));
    if (cipher != NULL)
        FUZZ_ASSERT(status != IKEV1_NO_KEYS);
    if (status == IKEV1_OK)
        check_decoded(cipher);
}

/* Write the 28-byte header of a use (3) message of body_len body bytes. */
static void
write_header(uint8_t *out, uint8_t next_payload, uint8_t flags, size_t body_len)
{
    struct wr w = wr_init(out, IKEV1_HEADER_LEN);
    wr_u64(&w, 0x1122334455667788ull);
    wr_u64(&w, 0x99aabbccddeeff00ull);
    wr_u8(&w, next_payload);
    wr_u8(&w, IKEV1_VERSION);
    wr_u8(&w, IKEV1_QUICK_MODE);
    wr_u8(&w, flags);
    wr_u32(&w, 0x01020304);
    wr_u32(&w, (uint32_t)(IKEV1_HEADER_LEN + body_len));
}

/* Use (3): the input as a body, in clear and encrypted. */
static void
check_body(const uint8_t *data, size_t size)
{
    if (size == 0 || size - 1 > IKEV1_MAX_MSG_LEN - IKEV1_HEADER_LEN - IKEV1_BLOCK_LEN)
        return;
    struct ikev1_cipher cipher = fixed_cipher();
    size_t body_len = size - 1;

    write_header(body_message, data[0], 0, body_len);
    memcpy(body_message + IKEV1_HEADER_LEN, data + 1, body_len);
    enum ikev1_status clear_status =
        ikev1_decode(body_message, IKEV1_HEADER_LEN + body_len, NULL, &decoded);
    FUZZ_ASSERT(is_decode_status(clear_status));
    static struct ikev1_msg clear;
    memcpy(&clear, &decoded, sizeof clear);

    /* Zero padding to whole blocks, at least one block (RFC 2409 Appendix B). */
    size_t padded = (body_len + IKEV1_BLOCK_LEN - 1) / IKEV1_BLOCK_LEN * IKEV1_BLOCK_LEN;
    if (padded == 0)
        padded = IKEV1_BLOCK_LEN;
    memset(body_message + IKEV1_HEADER_LEN + body_len, 0, padded - body_len);
    write_header(body_message, data[0], IKEV1_FLAG_ENCRYPTION, padded);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int out_len = 0;
    FUZZ_ASSERT(ctx != NULL);
    FUZZ_ASSERT(EVP_EncryptInit_ex(ctx, EVP_aes_128_cbc(), NULL, fuzz_key, fuzz_iv) == 1);
    FUZZ_ASSERT(EVP_CIPHER_CTX_set_padding(ctx, 0) == 1);
    uint8_t *ciphertext = body_message + IKEV1_HEADER_LEN;
    FUZZ_ASSERT(EVP_EncryptUpdate(ctx, ciphertext, &out_len, ciphertext, (int)padded) == 1);
    FUZZ_ASSERT((size_t)out_len == padded);
    EVP_CIPHER_CTX_free(ctx);

    enum ikev1_status status =
        ikev1_decode(body_message, IKEV1_HEADER_LEN + padded, &cipher, &decoded);
    FUZZ_ASSERT(is_decode_status(status));
    if (clear_status == IKEV1_OK) {
        FUZZ_ASSERT(status == IKEV1_OK);
        FUZZ_ASSERT(same_fields(&clear, &decoded));
    }
    if (status == IKEV1_OK)
        check_decoded(&cipher);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ikev1_cipher cipher = fixed_cipher();
    check_message(data, size, NULL);
    check_message(data, size, &cipher);
    check_body(data, size);
    return 0;
}
