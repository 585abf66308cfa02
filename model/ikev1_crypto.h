/*
 * ikev1_crypto.h - IKEv1 key derivation with pre-shared keys (RFC 2409
 * §5, §5.4, §5.5, Appendix B) over OpenSSL 3: the SKEYID chain, the
 * AES key from SKEYID_e, HASH_I and HASH_R, the quick mode hashes,
 * KEYMAT and the CBC IVs.
 *
 * The prf is HMAC with the hash that phase 1 negotiates (RFC 2409 §4
 * uses the HMAC form of the hash when no PRF attribute is given):
 * IKEV1_HASH_SHA (HMAC-SHA1) or IKEV1_HASH_SHA2_256.  Diffie-Hellman
 * comes from ikev2_crypto.h (ikev2_dh_generate and ikev2_dh_shared,
 * group 14), whose values have the same encoding in both versions:
 * big-endian and padded with zeros to the length of the prime.
 *
 * Cookies are passed as the 64-bit values of struct ikev1_header and
 * enter hashes as 8 bytes in network order.  A nonce, KE or ID "_b"
 * value is the payload body without its 4-byte generic header.
 */
#ifndef MIP6SEC_IKEV1_CRYPTO_H
#define MIP6SEC_IKEV1_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "ikev1_msg.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IKEV1_MAX_PRF_LEN 32 /* HMAC-SHA2-256 output */
#define IKEV1_MAX_ENC_KEY_LEN 32

/* Output length of the hash (and so of the prf), or 0 for an unsupported one. */
size_t ikev1_hash_len(uint16_t hash);

/* prf(key, data): HMAC with hash.  Writes ikev1_hash_len(hash) bytes. */
enum ikev1_status ikev1_prf(uint16_t hash, const uint8_t *key, size_t key_len, const uint8_t *data,
                            size_t data_len, uint8_t out[IKEV1_MAX_PRF_LEN]);

/* The keys of an ISAKMP SA authenticated with a pre-shared key. */
struct ikev1_keys {
    uint16_t hash; /* IKEV1_HASH_SHA or IKEV1_HASH_SHA2_256 */
    uint8_t prf_len;
    uint8_t skeyid[IKEV1_MAX_PRF_LEN];
    uint8_t skeyid_d[IKEV1_MAX_PRF_LEN]; /* derives KEYMAT */
    uint8_t skeyid_a[IKEV1_MAX_PRF_LEN]; /* authenticates phase-2 messages */
    uint8_t skeyid_e[IKEV1_MAX_PRF_LEN]; /* source of enc_key */
    uint8_t enc_key[IKEV1_MAX_ENC_KEY_LEN];
    uint8_t enc_key_len; /* 16, 24 or 32: the Key Length attribute in bytes */
};

/*
 * Derive the keys of an ISAKMP SA (RFC 2409 §5, §5.4):
 *   SKEYID   = prf(pre-shared key, Ni_b | Nr_b)
 *   SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
 *   SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
 *   SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)
 * and the AES key from SKEYID_e (ikev1_expand_enc_key).  0, 1 and 2 are
 * single bytes.  Returns IKEV1_OK, IKEV1_BAD_ALGORITHM (hash or key
 * length) or IKEV1_CRYPTO_FAILED.
 */
enum ikev1_status ikev1_derive_keys(uint16_t hash, const uint8_t *psk, size_t psk_len,
                                    const uint8_t *ni_b, size_t ni_len, const uint8_t *nr_b,
                                    size_t nr_len, const uint8_t *gxy, size_t gxy_len,
                                    uint64_t cky_i, uint64_t cky_r, size_t enc_key_len,
                                    struct ikev1_keys *keys);

/*
 * The encryption key from SKEYID_e (RFC 2409 Appendix B): its first
 * key_len bytes when the prf output is long enough, otherwise the first
 * key_len bytes of K1 | K2 | ... with K1 = prf(SKEYID_e, 0) and
 * Kn = prf(SKEYID_e, Kn-1).  key_len is at most IKEV1_MAX_ENC_KEY_LEN.
 */
enum ikev1_status ikev1_expand_enc_key(uint16_t hash, const uint8_t *skeyid_e, size_t key_len,
                                       uint8_t *out);

/* The cipher of struct ikev1_msg encoding for keys, with the given IV. */
struct ikev1_cipher ikev1_cipher_for(const struct ikev1_keys *keys,
                                     const uint8_t iv[IKEV1_BLOCK_LEN]);

/*
 * HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b) and
 * HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)
 * (RFC 2409 §5).  Both take the same arguments in the same order: the
 * KE data of initiator and responder, the cookies, the body of the SA
 * payload the initiator sent, and the sender's ID payload.  Writes
 * keys->prf_len bytes.
 */
enum ikev1_status ikev1_hash_i(const struct ikev1_keys *keys, const uint8_t *gxi, size_t gxi_len,
                               const uint8_t *gxr, size_t gxr_len, uint64_t cky_i, uint64_t cky_r,
                               const uint8_t *sai_b, size_t sai_b_len, const struct ikev1_id *idii,
                               uint8_t out[IKEV1_MAX_PRF_LEN]);
enum ikev1_status ikev1_hash_r(const struct ikev1_keys *keys, const uint8_t *gxi, size_t gxi_len,
                               const uint8_t *gxr, size_t gxr_len, uint64_t cky_i, uint64_t cky_r,
                               const uint8_t *sai_b, size_t sai_b_len, const struct ikev1_id *idir,
                               uint8_t out[IKEV1_MAX_PRF_LEN]);

/*
 * Quick mode hashes (RFC 2409 §5.5), with the message id in network
 * order:
 *   HASH(1) = prf(SKEYID_a, M-ID | everything after the HASH payload)
 *   HASH(2) = prf(SKEYID_a, M-ID | Ni_b | everything after the HASH payload)
 *   HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)
 * "Everything after" is struct ikev1_parts.after_hash: the later
 * payloads with their generic headers and without padding.  An
 * informational exchange protects its notification or delete payload
 * with the HASH(1) formula (RFC 2409 §5.7).
 */
enum ikev1_status ikev1_qm_hash1(const struct ikev1_keys *keys, uint32_t message_id,
                                 const uint8_t *after_hash, size_t after_hash_len,
                                 uint8_t out[IKEV1_MAX_PRF_LEN]);
enum ikev1_status ikev1_qm_hash2(const struct ikev1_keys *keys, uint32_t message_id,
                                 const uint8_t *ni_b, size_t ni_len, const uint8_t *after_hash,
                                 size_t after_hash_len, uint8_t out[IKEV1_MAX_PRF_LEN]);
enum ikev1_status ikev1_qm_hash3(const struct ikev1_keys *keys, uint32_t message_id,
                                 const uint8_t *ni_b, size_t ni_len, const uint8_t *nr_b,
                                 size_t nr_len, uint8_t out[IKEV1_MAX_PRF_LEN]);

/*
 * Encode a quick mode or informational message whose HASH payload is
 * HASH(1), or HASH(2) when ni_b is not NULL, and fill that hash in
 * msg->hash: encode once in clear to find the bytes after the HASH
 * payload, hash them, then encode again with cipher (NULL for clear).
 * Returns IKEV1_BAD_PAYLOAD when msg has no HASH payload, and otherwise
 * the statuses of ikev1_encode and ikev1_prf.
 */
enum ikev1_status ikev1_encode_hashed(struct ikev1_msg *msg, const struct ikev1_keys *keys,
                                      const uint8_t *ni_b, size_t ni_len,
                                      const struct ikev1_cipher *cipher, struct wr *out,
                                      struct ikev1_parts *parts);

/*
 * Check the HASH(1), or with ni_b not NULL the HASH(2), of a decoded
 * quick mode or informational message, in constant time.  Returns
 * IKEV1_OK, IKEV1_HASH_MISMATCH (also when the HASH payload is missing,
 * is not the first payload, or has the wrong length), or the statuses
 * of ikev1_prf.
 */
enum ikev1_status ikev1_check_hash(const struct ikev1_msg *msg, const struct ikev1_keys *keys,
                                   const uint8_t *ni_b, size_t ni_len);

/* Length of the keys of one ESP SA with AES-128-CBC and HMAC-SHA1-96. */
#define IKEV1_ESP_ENC_KEY_LEN 16
#define IKEV1_ESP_AUTH_KEY_LEN 20

/*
 * KEYMAT for one SA (RFC 2409 §5.5), out_len bytes of K1 | K2 | ... with
 *   K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b)
 *   Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b)
 * protocol is the proposal's protocol id (one byte) and spi the SPI the
 * receiving side of this SA chose, in network order.  gqm_xy is the
 * quick mode Diffie-Hellman secret with PFS, NULL without.  out_len is
 * at most 255 prf blocks.
 */
enum ikev1_status ikev1_keymat(const struct ikev1_keys *keys, const uint8_t *gqm_xy,
                               size_t gqm_xy_len, uint8_t protocol, uint32_t spi,
                               const uint8_t *ni_b, size_t ni_len, const uint8_t *nr_b,
                               size_t nr_len, uint8_t *out, size_t out_len);

/* Keys of one ESP SA, the first 36 bytes of its KEYMAT in this order. */
struct ikev1_esp_keys {
    uint8_t enc_key[IKEV1_ESP_ENC_KEY_LEN];   /* AES-128-CBC */
    uint8_t auth_key[IKEV1_ESP_AUTH_KEY_LEN]; /* HMAC-SHA1-96 */
};

/*
 * KEYMAT of one ESP SA split into its AES-128 and HMAC-SHA1 keys.
 * NOTE: RFC 2409 does not say how KEYMAT is split; the encryption key
 * first is the order RFC 7296 §2.17 gives for IKEv2.
 */
enum ikev1_status ikev1_derive_esp_keys(const struct ikev1_keys *keys, const uint8_t *gqm_xy,
                                        size_t gqm_xy_len, uint32_t spi, const uint8_t *ni_b,
                                        size_t ni_len, const uint8_t *nr_b, size_t nr_len,
                                        struct ikev1_esp_keys *esp);

/*
 * The IV of the first encrypted phase-1 message (RFC 2409 Appendix B):
 * hash(g^xi | g^xr) truncated to the block size, with the negotiated
 * hash (not the prf).
 */
enum ikev1_status ikev1_phase1_iv(uint16_t hash, const uint8_t *gxi, size_t gxi_len,
                                  const uint8_t *gxr, size_t gxr_len, uint8_t iv[IKEV1_BLOCK_LEN]);

/*
 * The IV of the first message of a quick mode or informational exchange
 * (RFC 2409 Appendix B): hash(last phase-1 CBC output block | M-ID)
 * truncated to the block size.  Later messages of the exchange use the
 * last ciphertext block of the previous one (struct ikev1_parts).
 * NOTE: when no phase-1 message was encrypted (an aggressive mode whose
 * third message went in clear, as RFC 2409 §5.4 draws it) there is no
 * phase-1 CBC output, and this code takes the phase-1 IV in its place.
 * Wireshark 4.0.17 decrypts such a quick mode with the same IV.
 */
enum ikev1_status ikev1_phase2_iv(uint16_t hash, const uint8_t last_phase1_block[IKEV1_BLOCK_LEN],
                                  uint32_t message_id, uint8_t iv[IKEV1_BLOCK_LEN]);

#ifdef __cplusplus
}
#endif

#endif /* MIP6SEC_IKEV1_CRYPTO_H */
