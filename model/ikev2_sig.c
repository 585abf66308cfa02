/*
 * ikev2_sig.c - IKEv2 authentication with Ed25519 signatures: the Digital
 * Signature method of RFC 7427 with the Ed25519 algorithm of RFC 8420,
 * over the same signed octets as shared-key authentication (RFC 7296
 * §2.15).  Private keys come from 32-byte seeds, so runs repeat.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ikev2_crypto.h"

/* RFC 8410 §3 and RFC 8420 §2: AlgorithmIdentifier ::= SEQUENCE { id-Ed25519 }, no parameters. */
static const uint8_t ed25519_alg_id[] = {0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70};

enum ikev2_status
ikev2_ed25519_public(const uint8_t seed[IKEV2_ED25519_KEY_LEN],
                     uint8_t public_key[IKEV2_ED25519_KEY_LEN])
{
    EVP_PKEY *key =
        EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, IKEV2_ED25519_KEY_LEN);
    size_t len = IKEV2_ED25519_KEY_LEN;
    enum ikev2_status status = IKEV2_CRYPTO_FAILED;

    if (key && EVP_PKEY_get_raw_public_key(key, public_key, &len) == 1 &&
        len == IKEV2_ED25519_KEY_LEN)
        status = IKEV2_OK;
    EVP_PKEY_free(key);
    return status;
}

/*
 * RFC 7296 §2.15: SignedOctets = the sender's first message | the peer's
 * nonce | prf(SK_p, ID body).  Returns a malloc'd buffer, or NULL.
 */
static uint8_t *
signed_octets(uint16_t prf, const uint8_t *first_msg, size_t first_msg_len,
              const uint8_t *peer_nonce, size_t peer_nonce_len, const uint8_t *sk_p,
              size_t sk_p_len, const struct ikev2_id *id, size_t *len)
{
    uint8_t id_body[4 + IKEV2_MAX_ID_LEN] = {id->type, 0, 0, 0};
    uint8_t maced_id[IKEV2_MAX_PRF_LEN];
    size_t prf_len = ikev2_prf_len(prf);

    if (id->len > IKEV2_MAX_ID_LEN || prf_len == 0)
        return NULL;
    memcpy(id_body + 4, id->data, id->len);
    if (ikev2_prf(prf, sk_p, sk_p_len, id_body, 4 + id->len, maced_id) != IKEV2_OK)
        return NULL;

    *len = first_msg_len + peer_nonce_len + prf_len;
    uint8_t *octets = malloc(*len);
    if (octets) {
        memcpy(octets, first_msg, first_msg_len);
        memcpy(octets + first_msg_len, peer_nonce, peer_nonce_len);
        memcpy(octets + first_msg_len + peer_nonce_len, maced_id, prf_len);
    }
    OPENSSL_cleanse(maced_id, sizeof maced_id);
    return octets;
}

enum ikev2_status
ikev2_sig_auth(uint16_t prf, const uint8_t seed[IKEV2_ED25519_KEY_LEN], const uint8_t *first_msg,
               size_t first_msg_len, const uint8_t *peer_nonce, size_t peer_nonce_len,
               const uint8_t *sk_p, size_t sk_p_len, const struct ikev2_id *id,
               struct ikev2_auth *auth)
{
    size_t len = 0;
    uint8_t *octets = signed_octets(prf, first_msg, first_msg_len, peer_nonce, peer_nonce_len, sk_p,
                                    sk_p_len, id, &len);
    EVP_PKEY *key =
        EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, IKEV2_ED25519_KEY_LEN);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    enum ikev2_status status = IKEV2_CRYPTO_FAILED;

    /* RFC 7427 §3: the length of the AlgorithmIdentifier, the
     * AlgorithmIdentifier, then the signature. */
    size_t head = 1 + sizeof ed25519_alg_id;
    size_t sig_len = IKEV2_ED25519_SIG_LEN;
    if (octets && key && ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
        EVP_DigestSign(ctx, auth->data + head, &sig_len, octets, len) == 1 &&
        sig_len == IKEV2_ED25519_SIG_LEN) {
        auth->method = IKEV2_AUTH_DIGITAL_SIGNATURE;
        auth->data[0] = sizeof ed25519_alg_id;
        memcpy(auth->data + 1, ed25519_alg_id, sizeof ed25519_alg_id);
        auth->len = (uint16_t)(head + sig_len);
        status = IKEV2_OK;
    }
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    free(octets);
    return status;
}

bool
ikev2_sig_verify(uint16_t prf, const uint8_t public_key[IKEV2_ED25519_KEY_LEN],
                 const uint8_t *first_msg, size_t first_msg_len, const uint8_t *peer_nonce,
                 size_t peer_nonce_len, const uint8_t *sk_p, size_t sk_p_len,
                 const struct ikev2_id *id, const struct ikev2_auth *auth)
{
    size_t head = 1 + sizeof ed25519_alg_id;

    /* Only Ed25519 is accepted: the AlgorithmIdentifier must be its own. */
    if (auth->method != IKEV2_AUTH_DIGITAL_SIGNATURE || auth->len != head + IKEV2_ED25519_SIG_LEN ||
        auth->data[0] != sizeof ed25519_alg_id ||
        memcmp(auth->data + 1, ed25519_alg_id, sizeof ed25519_alg_id) != 0)
        return false;

    size_t len = 0;
    uint8_t *octets = signed_octets(prf, first_msg, first_msg_len, peer_nonce, peer_nonce_len, sk_p,
                                    sk_p_len, id, &len);
    EVP_PKEY *key =
        EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, public_key, IKEV2_ED25519_KEY_LEN);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = octets && key && ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
              EVP_DigestVerify(ctx, auth->data + head, IKEV2_ED25519_SIG_LEN, octets, len) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    free(octets);
    return ok;
}
