/*
 * ikev2_crypto.h - the IKEv2 key exchange and key derivation (RFC 7296
 * §2.13-§2.18) over OpenSSL 3: Diffie-Hellman in group 14 (MODP-2048,
 * RFC 3526) or group 31 (Curve25519, RFC 8031), prf and prf+, the keys of
 * the IKE SA and its child SAs, and the shared-key AUTH value.
 *
 * Private Diffie-Hellman values come from bytes the caller supplies, so
 * that a simulation run with the same seed repeats exactly.
 */
#ifndef MIP6SEC_IKEV2_CRYPTO_H
#define MIP6SEC_IKEV2_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikev2_msg.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IKEV2_MAX_PRF_LEN 32    /* HMAC-SHA2-256 output */
#define IKEV2_MAX_DH_SECRET 256 /* MODP-2048 shared secret */
#define IKEV2_DH_SEED_LEN 32    /* bytes of private value material */

/* One side of a Diffie-Hellman exchange. */
struct ikev2_dh {
    uint16_t group;
    uint16_t public_len; /* 256 for group 14, 32 for group 31 */
    uint8_t public_value[256];
    uint8_t private_value[256]; /* secret; wiped by ikev2_dh_free */
    uint16_t private_len;
};

/* Length of a group's public value (the KE payload data), or 0 for an
 * unsupported group. */
size_t ikev2_dh_public_len(uint16_t group);

/*
 * Make a key pair in group from seed.  For group 31 the seed is the
 * X25519 private key; for group 14 it is the private exponent (256 bits,
 * as RFC 3526 §8 suggests for this group's strength).  Returns
 * IKEV2_OK, IKEV2_BAD_ALGORITHM or IKEV2_CRYPTO_FAILED.
 */
enum ikev2_status ikev2_dh_generate(struct ikev2_dh *dh, uint16_t group,
                                    const uint8_t seed[IKEV2_DH_SEED_LEN]);

/*
 * Compute g^ir from the peer's public value.  A group 14 value must lie
 * in 2..p-2 (RFC 7296 §2.12 asks for this check) and a group 31 value
 * must not give the all-zero secret (RFC 8031 §2.1).  Returns IKEV2_OK
 * with the secret in secret[0..*secret_len), IKEV2_BAD_PAYLOAD for a
 * wrong length or an invalid value, or IKEV2_CRYPTO_FAILED.
 */
enum ikev2_status ikev2_dh_shared(const struct ikev2_dh *dh, const uint8_t *peer, size_t peer_len,
                                  uint8_t secret[IKEV2_MAX_DH_SECRET], size_t *secret_len);

/* Wipe the private value. */
void ikev2_dh_free(struct ikev2_dh *dh);

/* Output length of a prf, or 0 for an unsupported one. */
size_t ikev2_prf_len(uint16_t prf);

/* prf(key, data) (RFC 7296 §2.13).  Returns IKEV2_OK, IKEV2_BAD_ALGORITHM or
 * IKEV2_CRYPTO_FAILED. */
enum ikev2_status ikev2_prf(uint16_t prf, const uint8_t *key, size_t key_len, const uint8_t *data,
                            size_t data_len, uint8_t out[IKEV2_MAX_PRF_LEN]);

/* prf+(key, seed) truncated to out_len bytes (RFC 7296 §2.13).  Returns
 * IKEV2_OK, IKEV2_BAD_ALGORITHM, IKEV2_TOO_MANY (out_len above 255 prf
 * blocks) or IKEV2_CRYPTO_FAILED. */
enum ikev2_status ikev2_prf_plus(uint16_t prf, const uint8_t *key, size_t key_len,
                                 const uint8_t *seed, size_t seed_len, uint8_t *out,
                                 size_t out_len);

/* Algorithms of an IKE SA. */
struct ikev2_ike_algs {
    uint16_t encr;      /* IKEV2_ENCR_AES_CBC */
    uint16_t encr_bits; /* 128 */
    uint16_t prf;
    uint16_t integ;
    uint16_t dh;
};

/* The seven keys of an IKE SA (RFC 7296 §2.14). */
struct ikev2_ike_keys {
    struct ikev2_ike_algs algs;
    uint8_t prf_len;
    uint8_t sk_d[IKEV2_MAX_PRF_LEN];
    uint8_t sk_pi[IKEV2_MAX_PRF_LEN];
    uint8_t sk_pr[IKEV2_MAX_PRF_LEN];
    struct ikev2_sk_keys initiator; /* SK_ei, SK_ai: protect what the initiator sends */
    struct ikev2_sk_keys responder; /* SK_er, SK_ar */
};

/*
 * Derive the keys of a new IKE SA (RFC 7296 §2.14):
 *   SKEYSEED = prf(Ni | Nr, g^ir)
 *   {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *       = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
 * For a rekeyed IKE SA (RFC 7296 §2.18) pass the old SA's SK_d as
 * old_sk_d, and SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr);
 * otherwise old_sk_d is NULL.  Returns IKEV2_OK, IKEV2_BAD_ALGORITHM,
 * IKEV2_BAD_PAYLOAD (a nonce above IKEV2_MAX_NONCE_LEN bytes) or
 * IKEV2_CRYPTO_FAILED.
 */
enum ikev2_status ikev2_derive_ike_keys(const struct ikev2_ike_algs *algs, const uint8_t *old_sk_d,
                                        const uint8_t *ni, size_t ni_len, const uint8_t *nr,
                                        size_t nr_len, uint64_t spi_i, uint64_t spi_r,
                                        const uint8_t *shared, size_t shared_len,
                                        struct ikev2_ike_keys *keys);

/* Keys of a child SA pair (RFC 7296 §2.17), sized for mip6sec's ESP. */
struct ikev2_child_keys {
    uint8_t enc_i_to_r[16];  /* AES-128 key of the SA carrying initiator -> responder */
    uint8_t auth_i_to_r[20]; /* HMAC-SHA1-96 key of that SA */
    uint8_t enc_r_to_i[16];
    uint8_t auth_r_to_i[20];
};

/*
 * KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr), taken in the order of RFC
 * 7296 §2.17: the encryption key then the integrity key of the SA that
 * carries initiator-to-responder traffic, then those of the other SA.
 * shared is NULL without perfect forward secrecy.  enc_key_len is 16
 * for AES-128-CBC or 0 for ENCR_NULL (the keys then stay zero), and
 * auth_key_len 20 for HMAC-SHA1-96 or 0 without integrity.  Returns
 * IKEV2_OK, IKEV2_BAD_ALGORITHM (another prf or key length) or
 * IKEV2_CRYPTO_FAILED.
 */
enum ikev2_status ikev2_derive_child_keys(uint16_t prf, const uint8_t *sk_d, size_t sk_d_len,
                                          const uint8_t *shared, size_t shared_len,
                                          const uint8_t *ni, size_t ni_len, const uint8_t *nr,
                                          size_t nr_len, size_t enc_key_len, size_t auth_key_len,
                                          struct ikev2_child_keys *keys);

/*
 * The AUTH payload data for shared-key authentication (RFC 7296 §2.15):
 *   prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)
 *   SignedOctets = the sender's first message (IKE_SA_INIT, all bytes)
 *                | the peer's nonce | prf(SK_p, the sender's ID payload body)
 * where SK_p is SK_pi for the initiator and SK_pr for the responder, and
 * the ID payload body is the ID Type, three reserved bytes and the data.
 * Writes prf_len bytes to out.  Returns IKEV2_OK, IKEV2_BAD_ALGORITHM,
 * IKEV2_BAD_PAYLOAD (id->len above IKEV2_MAX_ID_LEN) or
 * IKEV2_CRYPTO_FAILED.
 */
enum ikev2_status ikev2_psk_auth(uint16_t prf, const uint8_t *psk, size_t psk_len,
                                 const uint8_t *first_msg, size_t first_msg_len,
                                 const uint8_t *peer_nonce, size_t peer_nonce_len,
                                 const uint8_t *sk_p, size_t sk_p_len, const struct ikev2_id *id,
                                 uint8_t out[IKEV2_MAX_PRF_LEN]);

/* ----- Ed25519 signatures (model/ikev2_sig.c) ----- */

#define IKEV2_ED25519_KEY_LEN 32
#define IKEV2_ED25519_SIG_LEN 64

/* The Ed25519 public key of a private key given as its 32-byte seed. */
enum ikev2_status ikev2_ed25519_public(const uint8_t seed[IKEV2_ED25519_KEY_LEN],
                                       uint8_t public_key[IKEV2_ED25519_KEY_LEN]);

/*
 * Fill auth with a Digital Signature AUTH payload (RFC 7427 §3, method
 * 14): the Ed25519 AlgorithmIdentifier of RFC 8420 and a signature with
 * the key seed over the SignedOctets of RFC 7296 §2.15, as ikev2_psk_auth
 * describes them.  Returns IKEV2_OK, IKEV2_BAD_PAYLOAD for an ID too long
 * or an unknown prf, or IKEV2_CRYPTO_FAILED.
 */
enum ikev2_status ikev2_sig_auth(uint16_t prf, const uint8_t seed[IKEV2_ED25519_KEY_LEN],
                                 const uint8_t *first_msg, size_t first_msg_len,
                                 const uint8_t *peer_nonce, size_t peer_nonce_len,
                                 const uint8_t *sk_p, size_t sk_p_len, const struct ikev2_id *id,
                                 struct ikev2_auth *auth);

/* Whether auth is an Ed25519 Digital Signature by public_key over those octets. */
bool ikev2_sig_verify(uint16_t prf, const uint8_t public_key[IKEV2_ED25519_KEY_LEN],
                      const uint8_t *first_msg, size_t first_msg_len, const uint8_t *peer_nonce,
                      size_t peer_nonce_len, const uint8_t *sk_p, size_t sk_p_len,
                      const struct ikev2_id *id, const struct ikev2_auth *auth);

#ifdef __cplusplus
}
#endif

#endif /* MIP6SEC_IKEV2_CRYPTO_H */
