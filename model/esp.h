/*
 * esp.h - Encapsulating Security Payload (RFC 4303) with real crypto
 * from OpenSSL 3.
 *
 * Algorithms: AES-128-CBC (RFC 3602) or NULL encryption (RFC 2410), and
 * HMAC-SHA1-96 (RFC 2404) or NULL integrity, but never both NULL.
 * Sequence numbers are 32-bit or, when the SA uses extended sequence
 * numbers (ESN, RFC 4303 §2.2.1), 64-bit with the low 32 bits on the wire.
 * The receiver runs the anti-replay check of esp_replay.h, which also
 * infers the high 32 bits of a received ESN.
 *
 * A protected packet, from the byte after the IPv6 header chain:
 *   SPI (4) | Sequence Number (4) | IV (16, AES only) |
 *   ciphertext of [payload | padding 1, 2, 3, ... | Pad Length | Next Header] |
 *   ICV (12, HMAC only)
 * The ciphertext fills whole AES blocks, or ends on a 4-byte boundary
 * with NULL encryption (RFC 4303 §2.4).  With ESN the ICV also covers the
 * high 32 bits of the sequence number, appended after Next Header but not
 * sent (RFC 4303 §3.3.2.1 step 4).
 */
#ifndef MIP6SEC_ESP_H
#define MIP6SEC_ESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ESP_HEADER_LEN 8   /* SPI and Sequence Number */
#define ESP_TRAILER_LEN 2  /* Pad Length and Next Header */
#define ESP_AES_KEY_LEN 16 /* AES-128 */
#define ESP_AES_BLOCK_LEN 16
#define ESP_AES_IV_LEN 16
#define ESP_HMAC_SHA1_KEY_LEN 20  /* RFC 2404 §3: 160-bit keys only */
#define ESP_ICV_LEN 12            /* HMAC-SHA1-96 */
#define ESP_MIN_SPI 256           /* RFC 4303 §2.1: 0 is local-only, 1-255 reserved */
#define ESP_MAX_PAYLOAD_LEN 65535 /* an IPv6 payload without jumbograms */

enum esp_enc_alg {
    ESP_ENC_NULL = 0,
    ESP_ENC_AES_128_CBC = 1,
};

enum esp_auth_alg {
    ESP_AUTH_NULL = 0,
    ESP_AUTH_HMAC_SHA1_96 = 1,
};

enum esp_status {
    ESP_OK = 0,
    ESP_BAD_ALGORITHMS, /* unknown algorithm, or NULL encryption with NULL integrity */
    ESP_BAD_KEY_LENGTH, /* key length does not match the algorithm */
    ESP_BAD_SPI,        /* SPI below ESP_MIN_SPI */
    ESP_CRYPTO_FAILED,  /* an OpenSSL call failed */
    ESP_NO_SPACE,       /* output buffer too small */
    ESP_TOO_LONG,       /* payload or packet longer than ESP_MAX_PAYLOAD_LEN */
    ESP_SEQ_EXHAUSTED,  /* the SA has sent its last sequence number (esp_seq_limit): rekey */
    ESP_TRUNCATED,      /* packet too short to hold header, IV and ICV */
    ESP_SPI_MISMATCH,   /* packet SPI differs from the SA's */
    ESP_ICV_MISMATCH,   /* integrity check failed */
    ESP_BAD_LENGTH,     /* ciphertext empty or not a multiple of the block size */
    ESP_BAD_PAD_LENGTH, /* Pad Length larger than the decrypted data allows */
    ESP_BAD_PADDING,    /* padding bytes are not 1, 2, 3, ... */
    ESP_ESN_MISMATCH,   /* esp_unprotect on an ESN SA, or a nonzero seq_hi without ESN */
};

/*
 * One security association, used in one direction.  Fields are public so
 * that tests and trace exporters can read them.  Change seq only to test
 * wrap-around.
 */
struct esp_sa {
    uint32_t spi;
    enum esp_enc_alg enc;
    enum esp_auth_alg auth;
    uint8_t enc_key[ESP_AES_KEY_LEN];        /* zero with NULL encryption */
    uint8_t auth_key[ESP_HMAC_SHA1_KEY_LEN]; /* zero with NULL integrity */
    bool esn;     /* extended sequence numbers; set with esp_sa_set_esn */
    uint64_t seq; /* last sequence number sent: 0 before the first packet */

    /* OpenSSL state from esp_sa_init, NULL for a NULL algorithm. */
    struct evp_cipher_ctx_st *encrypt_ctx; /* AES-128-CBC */
    struct evp_cipher_ctx_st *decrypt_ctx; /* AES-128-CBC */
    struct evp_cipher_ctx_st *iv_ctx;      /* AES-128-ECB, derives IVs */
    struct evp_mac_ctx_st *mac_ctx;        /* HMAC-SHA1 */
};

/* Result of esp_unprotect and esp_unprotect_esn. */
struct esp_inbound {
    uint32_t spi;
    uint32_t seq;        /* the Sequence Number field: the low 32 bits */
    uint64_t full_seq;   /* seq with the seq_hi used for the ICV; equal to seq without ESN */
    uint8_t next_header; /* 59 marks a dummy packet to discard (RFC 4303 §2.6) */
    size_t payload_len;
};

/*
 * Set up *sa and create its OpenSSL contexts.  Keys are copied.
 * enc_key must be ESP_AES_KEY_LEN bytes for AES-128-CBC and auth_key
 * ESP_HMAC_SHA1_KEY_LEN bytes for HMAC-SHA1-96.  A key for a NULL
 * algorithm must have length 0, and its pointer may be NULL.
 *
 * Returns ESP_OK, ESP_BAD_ALGORITHMS, ESP_BAD_SPI, ESP_BAD_KEY_LENGTH or
 * ESP_CRYPTO_FAILED.  On failure *sa contains nothing that needs freeing,
 * and calling esp_sa_free on it is still safe.
 */
enum esp_status esp_sa_init(struct esp_sa *sa, uint32_t spi, enum esp_enc_alg enc,
                            const uint8_t *enc_key, size_t enc_key_len, enum esp_auth_alg auth,
                            const uint8_t *auth_key, size_t auth_key_len);

/* Free the OpenSSL contexts of sa and wipe its keys.  Safe to call twice. */
void esp_sa_free(struct esp_sa *sa);

/*
 * Turn extended sequence numbers on or off for sa.  esp_sa_init leaves
 * them off.  Call it before the first packet.  Both ends must agree,
 * because RFC 4303 §2.2.1 requires SA management to negotiate ESN.
 */
void esp_sa_set_esn(struct esp_sa *sa, bool esn);

/*
 * Return the last sequence number sa may send: 2^32 - 1, or 2^64 - 1 with
 * ESN (RFC 4303 §3.3.3: the counter must never cycle).  Key management
 * compares sa->seq with it to rekey in time.
 */
uint64_t esp_seq_limit(const struct esp_sa *sa);

/*
 * Return the number of bytes ESP adds to a payload of payload_len bytes:
 * header, IV, padding, trailer and ICV.
 */
size_t esp_overhead(enum esp_enc_alg enc, enum esp_auth_alg auth, size_t payload_len);

/*
 * Protect payload[0..payload_len) and append the ESP packet to out
 * (payload_len + esp_overhead bytes).  The first call sends sequence
 * number 1, and the wire carries its low 32 bits.  The AES IV is the
 * AES-128 encryption, under the SA's key, of the block
 * SPI | 0 (32 bits) | sequence number (all 64 bits), so a run repeats
 * exactly while IVs stay unpredictable to anyone without the key.
 *
 * Returns ESP_OK, ESP_TOO_LONG, ESP_SEQ_EXHAUSTED (sa->seq has reached
 * esp_seq_limit), ESP_NO_SPACE or ESP_CRYPTO_FAILED.  ESP_TOO_LONG,
 * ESP_SEQ_EXHAUSTED and ESP_NO_SPACE write nothing and consume no
 * sequence number.
 * ESP_CRYPTO_FAILED leaves out marked failed.  payload must not overlap
 * out.
 *
 * NOTE: OpenSSL 3.0 allocates inside HMAC re-initialisation, 2 small
 * allocations per packet with 3.0.19.  The cipher path allocates nothing.
 */
enum esp_status esp_protect(struct esp_sa *sa, uint8_t next_header, const uint8_t *payload,
                            size_t payload_len, struct wr *out);

/*
 * Read SPI and sequence number from the first 8 bytes of an ESP packet,
 * to find the SA before verification.  Returns ESP_OK or ESP_TRUNCATED.
 */
enum esp_status esp_read_header(const uint8_t *pkt, size_t len, uint32_t *spi, uint32_t *seq);

/*
 * Verify and decrypt the ESP packet pkt[0..len) with sa, in the order of
 * RFC 4303 §3.4.4: ICV first (constant-time compare), then decryption,
 * then the trailer.  The payload goes to payload[0..result->payload_len);
 * payload_cap must cover the ciphertext, which len always does.
 *
 * Returns ESP_OK, ESP_ESN_MISMATCH (sa uses ESN: call esp_unprotect_esn),
 * ESP_TOO_LONG, ESP_TRUNCATED, ESP_SPI_MISMATCH, ESP_ICV_MISMATCH,
 * ESP_BAD_LENGTH, ESP_NO_SPACE, ESP_BAD_PAD_LENGTH, ESP_BAD_PADDING or
 * ESP_CRYPTO_FAILED.  On failure the content of payload is unspecified.
 * sa->seq is not touched.  payload must not overlap pkt.
 */
enum esp_status esp_unprotect(struct esp_sa *sa, const uint8_t *pkt, size_t len, uint8_t *payload,
                              size_t payload_cap, struct esp_inbound *result);

/*
 * Verify and decrypt as esp_unprotect does, for an SA with ESN.  seq_hi,
 * the high 32 bits that esp_replay_check inferred for the packet, goes
 * into the ICV after Next Header (RFC 4303 §3.3.2.1 step 4).  A wrong seq_hi gives
 * ESP_ICV_MISMATCH, or with NULL integrity passes unnoticed.
 *
 * On an SA without ESN, seq_hi must be 0 and the call is esp_unprotect.
 * Returns what esp_unprotect returns; ESP_ESN_MISMATCH means a nonzero
 * seq_hi on an SA without ESN.
 */
enum esp_status esp_unprotect_esn(struct esp_sa *sa, const uint8_t *pkt, size_t len,
                                  uint32_t seq_hi, uint8_t *payload, size_t payload_cap,
                                  struct esp_inbound *result);

/*
 * Internal entry points for known-answer tests; the model calls only the
 * functions above.
 */

/* esp_protect with the given AES IV instead of the derived one. */
enum esp_status esp_protect_with_iv(struct esp_sa *sa, const uint8_t iv[ESP_AES_IV_LEN],
                                    uint8_t next_header, const uint8_t *payload, size_t payload_len,
                                    struct wr *out);

/* Compute the IV esp_protect uses for sequence number seq (AES SAs only). */
enum esp_status esp_derive_iv(struct esp_sa *sa, uint64_t seq, uint8_t iv[ESP_AES_IV_LEN]);

/* Compute the HMAC-SHA1-96 ICV of data[0..len) under the SA's integrity key. */
enum esp_status esp_compute_icv(struct esp_sa *sa, const uint8_t *data, size_t len,
                                uint8_t icv[ESP_ICV_LEN]);

#ifdef __cplusplus
}
#endif

#endif /* MIP6SEC_ESP_H */
