/*
 * ikev2_crypto.c - IKEv2 Diffie-Hellman, prf, prf+ and key derivation
 * (RFC 7296 §2.13-§2.18) over OpenSSL 3.
 */
#include "ikev2_crypto.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define X25519_LEN 32     /* RFC 8031 §2: public values and secrets */
#define MODP_2048_LEN 256 /* RFC 3526 §3 */
#define SHA1_LEN 20
#define SHA2_256_LEN 32
#define PRF_PLUS_MAX_BLOCKS 255 /* RFC 7296 §2.13: the counter is one octet */
#define AES_128_KEY_LEN 16
#define MAX_INTEG_KEY_LEN 32

/* "Key Pad for IKEv2", 17 ASCII bytes without a terminator (RFC 7296 §2.15). */
static const char key_pad[] = "Key Pad for IKEv2";
#define KEY_PAD_LEN (sizeof key_pad - 1)

/* ---- Diffie-Hellman ---- */

size_t
ikev2_dh_public_len(uint16_t group)
{
    switch (group) {
    case IKEV2_DH_MODP_2048:
        return MODP_2048_LEN;
    case IKEV2_DH_CURVE25519:
        return X25519_LEN;
    default:
        return 0;
    }
}

static enum ikev2_status
x25519_generate(struct ikev2_dh *dh, const uint8_t seed[IKEV2_DH_SEED_LEN])
{
    /* RFC 8031 §2 and RFC 7748 §5: any 32 bytes are a private key, because
     * X25519 clamps them itself. */
    EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, seed, X25519_LEN);
    size_t len = X25519_LEN;
    enum ikev2_status status = IKEV2_CRYPTO_FAILED;

    if (key != NULL && EVP_PKEY_get_raw_public_key(key, dh->public_value, &len) &&
        len == X25519_LEN) {
        memcpy(dh->private_value, seed, X25519_LEN);
        dh->private_len = X25519_LEN;
        dh->public_len = X25519_LEN;
        status = IKEV2_OK;
    }
    EVP_PKEY_free(key);
    return status;
}

static enum ikev2_status
x25519_shared(const struct ikev2_dh *dh, const uint8_t *peer, size_t peer_len, uint8_t *secret,
              size_t *secret_len)
{
    /* RFC 8031 §2: the KE payload carries the 32-byte u-coordinate. */
    if (peer_len != X25519_LEN)
        return IKEV2_BAD_PAYLOAD;

    enum ikev2_status status = IKEV2_CRYPTO_FAILED;
    EVP_PKEY *own =
        EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, dh->private_value, dh->private_len);
    EVP_PKEY *other = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, peer_len);
    EVP_PKEY_CTX *ctx = own != NULL ? EVP_PKEY_CTX_new(own, NULL) : NULL;
    size_t len = X25519_LEN;

    if (other == NULL || ctx == NULL || EVP_PKEY_derive_init(ctx) <= 0 ||
        EVP_PKEY_derive_set_peer(ctx, other) <= 0)
        goto out;
    /* RFC 8031 §2.1: a peer value that gives the all-zero secret is
     * invalid.  OpenSSL 3.0 fails the derivation for that secret, and the
     * check below catches it in any version that does not. */
    if (EVP_PKEY_derive(ctx, secret, &len) <= 0 || len != X25519_LEN) {
        status = IKEV2_BAD_PAYLOAD;
        goto out;
    }
    uint8_t any_bit = 0;
    for (size_t i = 0; i < X25519_LEN; i++)
        any_bit |= secret[i];
    if (any_bit == 0) {
        status = IKEV2_BAD_PAYLOAD;
        goto out;
    }
    *secret_len = X25519_LEN;
    status = IKEV2_OK;

out:
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(other);
    EVP_PKEY_free(own);
    return status;
}

/* result = base^exponent mod p of RFC 3526 §3, in constant time, written
 * as MODP_2048_LEN big-endian bytes. */
static enum ikev2_status
modp_power(const BIGNUM *base, const uint8_t *exponent, size_t exponent_len,
           uint8_t result[MODP_2048_LEN])
{
    enum ikev2_status status = IKEV2_CRYPTO_FAILED;
    BN_CTX *ctx = BN_CTX_secure_new();
    BIGNUM *p = BN_get_rfc3526_prime_2048(NULL);
    BIGNUM *x = BN_secure_new();
    BIGNUM *r = BN_secure_new();

    if (ctx == NULL || p == NULL || x == NULL || r == NULL)
        goto out;
    if (BN_bin2bn(exponent, (int)exponent_len, x) == NULL)
        goto out;
    BN_set_flags(x, BN_FLG_CONSTTIME);
    if (!BN_mod_exp_mont_consttime(r, base, x, p, ctx, NULL))
        goto out;
    if (BN_bn2binpad(r, result, MODP_2048_LEN) != MODP_2048_LEN)
        goto out;
    status = IKEV2_OK;

out:
    BN_clear_free(r);
    BN_clear_free(x);
    BN_free(p);
    BN_CTX_free(ctx);
    return status;
}

static enum ikev2_status
modp_generate(struct ikev2_dh *dh, const uint8_t seed[IKEV2_DH_SEED_LEN])
{
    /* RFC 3526 §3: the generator is 2. */
    BIGNUM *g = BN_new();
    enum ikev2_status status = IKEV2_CRYPTO_FAILED;

    if (g != NULL && BN_set_word(g, 2))
        status = modp_power(g, seed, IKEV2_DH_SEED_LEN, dh->public_value);
    BN_free(g);
    if (status != IKEV2_OK)
        return status;

    memcpy(dh->private_value, seed, IKEV2_DH_SEED_LEN);
    dh->private_len = IKEV2_DH_SEED_LEN;
    dh->public_len = MODP_2048_LEN;
    return IKEV2_OK;
}

/* Whether 2 <= value <= p-2, so that value is neither 0, 1 nor p-1 and
 * lies inside the group (RFC 7296 §2.12 refers to NIST SP 800-56A for
 * this check). */
static bool
modp_valid_public(const BIGNUM *value)
{
    BIGNUM *p = BN_get_rfc3526_prime_2048(NULL);
    BIGNUM *limit = BN_new();
    bool valid = false;

    if (p != NULL && limit != NULL && BN_copy(limit, p) != NULL && BN_sub_word(limit, 1))
        valid = BN_cmp(value, BN_value_one()) > 0 && BN_cmp(value, limit) < 0;
    BN_free(limit);
    BN_free(p);
    return valid;
}

static enum ikev2_status
modp_shared(const struct ikev2_dh *dh, const uint8_t *peer, size_t peer_len, uint8_t *secret,
            size_t *secret_len)
{
    /* RFC 7296 §3.4: a group 14 value is exactly as long as the prime. */
    if (peer_len != MODP_2048_LEN)
        return IKEV2_BAD_PAYLOAD;

    BIGNUM *y = BN_bin2bn(peer, (int)peer_len, NULL);
    enum ikev2_status status = IKEV2_CRYPTO_FAILED;
    if (y != NULL) {
        status = modp_valid_public(y) ? IKEV2_OK : IKEV2_BAD_PAYLOAD;
        if (status == IKEV2_OK)
            status = modp_power(y, dh->private_value, dh->private_len, secret);
    }
    BN_free(y);

    /* RFC 7296 §2.14: g^ir keeps its leading zeros, MODP_2048_LEN bytes. */
    if (status == IKEV2_OK)
        *secret_len = MODP_2048_LEN;
    return status;
}

enum ikev2_status
ikev2_dh_generate(struct ikev2_dh *dh, uint16_t group, const uint8_t seed[IKEV2_DH_SEED_LEN])
{
    memset(dh, 0, sizeof *dh);
    dh->group = group;
    switch (group) {
    case IKEV2_DH_CURVE25519:
        return x25519_generate(dh, seed);
    case IKEV2_DH_MODP_2048:
        return modp_generate(dh, seed);
    default:
        return IKEV2_BAD_ALGORITHM;
    }
}

enum ikev2_status
ikev2_dh_shared(const struct ikev2_dh *dh, const uint8_t *peer, size_t peer_len,
                uint8_t secret[IKEV2_MAX_DH_SECRET], size_t *secret_len)
{
    *secret_len = 0;
    switch (dh->group) {
    case IKEV2_DH_CURVE25519:
        return x25519_shared(dh, peer, peer_len, secret, secret_len);
    case IKEV2_DH_MODP_2048:
        return modp_shared(dh, peer, peer_len, secret, secret_len);
    default:
        return IKEV2_BAD_ALGORITHM;
    }
}

void
ikev2_dh_free(struct ikev2_dh *dh)
{
    OPENSSL_cleanse(dh->private_value, sizeof dh->private_value);
    dh->private_len = 0;
}

/* ---- prf and prf+ ---- */

/* One piece of the data a prf runs over.  The pieces are concatenated. */
struct piece {
    const uint8_t *data;
    size_t len;
};

static const char *
prf_digest(uint16_t prf)
{
    switch (prf) {
    case IKEV2_PRF_HMAC_SHA1:
        return "SHA1";
    case IKEV2_PRF_HMAC_SHA2_256:
        return "SHA2-256";
    default:
        return NULL;
    }
}

size_t
ikev2_prf_len(uint16_t prf)
{
    switch (prf) {
    case IKEV2_PRF_HMAC_SHA1:
        return SHA1_LEN;
    case IKEV2_PRF_HMAC_SHA2_256:
        return SHA2_256_LEN;
    default:
        return 0;
    }
}

/* prf(key, pieces[0] | pieces[1] | ...): HMAC (RFC 2104) with the prf's
 * hash, which is how RFC 7296 §3.3.2 defines PRF_HMAC_SHA1 and RFC 4868
 * §2.1.2 PRF_HMAC_SHA2_256. */
static enum ikev2_status
prf_pieces(uint16_t prf, const uint8_t *key, size_t key_len, const struct piece *pieces,
           size_t n_pieces, uint8_t out[IKEV2_MAX_PRF_LEN])
{
    const char *digest = prf_digest(prf);
    if (digest == NULL)
        return IKEV2_BAD_ALGORITHM;

    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0),
        OSSL_PARAM_construct_end(),
    };
    /* EVP_MAC_init takes a NULL key as "keep the old key", so an empty
     * key needs a non-NULL pointer. */
    static const uint8_t empty_key[1];
    enum ikev2_status status = IKEV2_CRYPTO_FAILED;
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
    size_t out_len = 0;

    if (ctx == NULL || !EVP_MAC_init(ctx, key_len != 0 ? key : empty_key, key_len, params))
        goto out;
    for (size_t i = 0; i < n_pieces; i++) {
        if (pieces[i].len != 0 && !EVP_MAC_update(ctx, pieces[i].data, pieces[i].len))
            goto out;
    }
    if (!EVP_MAC_final(ctx, out, &out_len, IKEV2_MAX_PRF_LEN) || out_len != ikev2_prf_len(prf))
        goto out;
    status = IKEV2_OK;

out:
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return status;
}

enum ikev2_status
ikev2_prf(uint16_t prf, const uint8_t *key, size_t key_len, const uint8_t *data, size_t data_len,
          uint8_t out[IKEV2_MAX_PRF_LEN])
{
    struct piece piece = {data, data_len};
    return prf_pieces(prf, key, key_len, &piece, 1, out);
}

/*
 * prf+ (RFC 7296 §2.13) over the seed seed[0] | seed[1] | ...:
 *   T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n), output T1 | T2 | ...
 */
static enum ikev2_status
prf_plus_pieces(uint16_t prf, const uint8_t *key, size_t key_len, const struct piece *seed,
                size_t n_seed, uint8_t *out, size_t out_len)
{
    enum { MAX_SEED_PIECES = 4 };
    size_t block_len = ikev2_prf_len(prf);
    if (block_len == 0)
        return IKEV2_BAD_ALGORITHM;
    if (out_len > PRF_PLUS_MAX_BLOCKS * block_len || n_seed > MAX_SEED_PIECES)
        return IKEV2_TOO_MANY;

    uint8_t block[IKEV2_MAX_PRF_LEN];
    enum ikev2_status status = IKEV2_OK;
    size_t done = 0;
    for (uint8_t counter = 1; done < out_len && status == IKEV2_OK; counter++) {
        /* T(n-1) is empty for T1. */
        struct piece input[1 + MAX_SEED_PIECES + 1];
        size_t n = 0;
        input[n++] = (struct piece){block, counter == 1 ? 0 : block_len};
        for (size_t i = 0; i < n_seed; i++)
            input[n++] = seed[i];
        input[n++] = (struct piece){&counter, 1};

        status = prf_pieces(prf, key, key_len, input, n, block);
        size_t take = out_len - done < block_len ? out_len - done : block_len;
        if (status == IKEV2_OK)
            memcpy(out + done, block, take);
        done += take;
    }
    OPENSSL_cleanse(block, sizeof block);
    return status;
}

enum ikev2_status
ikev2_prf_plus(uint16_t prf, const uint8_t *key, size_t key_len, const uint8_t *seed,
               size_t seed_len, uint8_t *out, size_t out_len)
{
    struct piece piece = {seed, seed_len};
    return prf_plus_pieces(prf, key, key_len, &piece, 1, out, out_len);
}

/* ---- keys ---- */

static size_t
integ_key_len(uint16_t integ)
{
    /* RFC 2404 §3 and RFC 4868 §2.1.1: keys as long as the hash output. */
    switch (integ) {
    case IKEV2_INTEG_HMAC_SHA1_96:
        return SHA1_LEN;
    case IKEV2_INTEG_HMAC_SHA2_256_128:
        return SHA2_256_LEN;
    default:
        return 0;
    }
}

static void
set_sk_keys(struct ikev2_sk_keys *sk, const struct ikev2_ike_algs *algs, const uint8_t *enc_key,
            const uint8_t *auth_key, size_t auth_key_len)
{
    sk->encr = algs->encr;
    sk->integ = algs->integ;
    memcpy(sk->enc_key, enc_key, AES_128_KEY_LEN);
    sk->enc_key_len = AES_128_KEY_LEN;
    memcpy(sk->auth_key, auth_key, auth_key_len);
    sk->auth_key_len = (uint8_t)auth_key_len;
}

enum ikev2_status
ikev2_derive_ike_keys(const struct ikev2_ike_algs *algs, const uint8_t *old_sk_d, const uint8_t *ni,
                      size_t ni_len, const uint8_t *nr, size_t nr_len, uint64_t spi_i,
                      uint64_t spi_r, const uint8_t *shared, size_t shared_len,
                      struct ikev2_ike_keys *keys)
{
    memset(keys, 0, sizeof *keys);
    size_t prf_len = ikev2_prf_len(algs->prf);
    size_t auth_len = integ_key_len(algs->integ);
    if (prf_len == 0 || auth_len == 0)
        return IKEV2_BAD_ALGORITHM;
    if (algs->encr != IKEV2_ENCR_AES_CBC || algs->encr_bits != 8 * AES_128_KEY_LEN)
        return IKEV2_BAD_ALGORITHM;

    uint8_t skeyseed[IKEV2_MAX_PRF_LEN];
    uint8_t keymat[3 * IKEV2_MAX_PRF_LEN + 2 * MAX_INTEG_KEY_LEN + 2 * AES_128_KEY_LEN];
    enum ikev2_status status;
    if (old_sk_d == NULL) {
        /* RFC 7296 §2.14: SKEYSEED = prf(Ni | Nr, g^ir), the nonces as key. */
        uint8_t nonces[2 * IKEV2_MAX_NONCE_LEN];
        if (ni_len > IKEV2_MAX_NONCE_LEN || nr_len > IKEV2_MAX_NONCE_LEN)
            return IKEV2_BAD_PAYLOAD;
        memcpy(nonces, ni, ni_len);
        memcpy(nonces + ni_len, nr, nr_len);
        status = ikev2_prf(algs->prf, nonces, ni_len + nr_len, shared, shared_len, skeyseed);
    } else {
        /* RFC 7296 §2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr). */
        const struct piece data[] = {{shared, shared_len}, {ni, ni_len}, {nr, nr_len}};
        status = prf_pieces(algs->prf, old_sk_d, prf_len, data, 3, skeyseed);
    }

    /* RFC 7296 §2.14: {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
     *   = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr). */
    uint8_t spis[16];
    struct wr w = wr_init(spis, sizeof spis);
    wr_u64(&w, spi_i);
    wr_u64(&w, spi_r);
    const struct piece seed[] = {{ni, ni_len}, {nr, nr_len}, {spis, sizeof spis}};
    size_t total = 3 * prf_len + 2 * auth_len + 2 * AES_128_KEY_LEN;
    if (status == IKEV2_OK)
        status = prf_plus_pieces(algs->prf, skeyseed, prf_len, seed, 3, keymat, total);

    if (status == IKEV2_OK) {
        const uint8_t *k = keymat;
        keys->algs = *algs;
        keys->prf_len = (uint8_t)prf_len;
        memcpy(keys->sk_d, k, prf_len);
        k += prf_len;
        const uint8_t *sk_ai = k;
        const uint8_t *sk_ar = k + auth_len;
        k += 2 * auth_len;
        const uint8_t *sk_ei = k;
        const uint8_t *sk_er = k + AES_128_KEY_LEN;
        k += 2 * AES_128_KEY_LEN;
        set_sk_keys(&keys->initiator, algs, sk_ei, sk_ai, auth_len);
        set_sk_keys(&keys->responder, algs, sk_er, sk_ar, auth_len);
        memcpy(keys->sk_pi, k, prf_len);
        memcpy(keys->sk_pr, k + prf_len, prf_len);
    }
    OPENSSL_cleanse(skeyseed, sizeof skeyseed);
    OPENSSL_cleanse(keymat, sizeof keymat);
    return status;
}

enum ikev2_status
ikev2_derive_child_keys(uint16_t prf, const uint8_t *sk_d, size_t sk_d_len, const uint8_t *shared,
                        size_t shared_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
                        size_t nr_len, size_t enc_key_len, size_t auth_key_len,
                        struct ikev2_child_keys *keys)
{
    memset(keys, 0, sizeof *keys);
    if (enc_key_len != 0 && enc_key_len != sizeof keys->enc_i_to_r)
        return IKEV2_BAD_ALGORITHM;
    if (auth_key_len != 0 && auth_key_len != sizeof keys->auth_i_to_r)
        return IKEV2_BAD_ALGORITHM;

    /* RFC 7296 §2.17: KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr). */
    uint8_t keymat[2 * (sizeof keys->enc_i_to_r + sizeof keys->auth_i_to_r)];
    size_t per_sa = enc_key_len + auth_key_len;
    const struct piece seed[] = {
        {shared, shared != NULL ? shared_len : 0}, {ni, ni_len}, {nr, nr_len}};
    enum ikev2_status status = prf_plus_pieces(prf, sk_d, sk_d_len, seed, 3, keymat, 2 * per_sa);

    /* RFC 7296 §2.17: the SA carrying initiator-to-responder traffic takes
     * its keys first, each SA the encryption key before the integrity key. */
    if (status == IKEV2_OK) {
        memcpy(keys->enc_i_to_r, keymat, enc_key_len);
        memcpy(keys->auth_i_to_r, keymat + enc_key_len, auth_key_len);
        memcpy(keys->enc_r_to_i, keymat + per_sa, enc_key_len);
        memcpy(keys->auth_r_to_i, keymat + per_sa + enc_key_len, auth_key_len);
    }
    OPENSSL_cleanse(keymat, sizeof keymat);
    return status;
}

enum ikev2_status
ikev2_psk_auth(uint16_t prf, const uint8_t *psk, size_t psk_len, const uint8_t *first_msg,
               size_t first_msg_len, const uint8_t *peer_nonce, size_t peer_nonce_len,
               const uint8_t *sk_p, size_t sk_p_len, const struct ikev2_id *id,
               uint8_t out[IKEV2_MAX_PRF_LEN])
{
    if (id->len > IKEV2_MAX_ID_LEN)
        return IKEV2_BAD_PAYLOAD;

    /* RFC 7296 §2.15: MACedIDForI = prf(SK_pi, IDType | RESERVED | InitIDData). */
    uint8_t id_header[4] = {id->type, 0, 0, 0};
    const struct piece id_body[] = {{id_header, sizeof id_header}, {id->data, id->len}};
    uint8_t maced_id[IKEV2_MAX_PRF_LEN];
    enum ikev2_status status = prf_pieces(prf, sk_p, sk_p_len, id_body, 2, maced_id);

    /* AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>). */
    uint8_t pad_key[IKEV2_MAX_PRF_LEN];
    if (status == IKEV2_OK)
        status = ikev2_prf(prf, psk, psk_len, (const uint8_t *)key_pad, KEY_PAD_LEN, pad_key);
    if (status == IKEV2_OK) {
        const struct piece signed_octets[] = {
            {first_msg, first_msg_len},
            {peer_nonce, peer_nonce_len},
            {maced_id, ikev2_prf_len(prf)},
        };
        status = prf_pieces(prf, pad_key, ikev2_prf_len(prf), signed_octets, 3, out);
    }
    OPENSSL_cleanse(pad_key, sizeof pad_key);
    OPENSSL_cleanse(maced_id, sizeof maced_id);
    return status;
}
