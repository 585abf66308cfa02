/*
 * test_ikev2.c - the IKEv2 codec (ikev2_msg.c) and key derivation
 * (ikev2_crypto.c).
 *
 * Known-answer vectors: HMAC-SHA2-256 from RFC 4231 §4 (cases 1-4, 6, 7),
 * HMAC-SHA1 from RFC 2202 §3 (cases 1-4, 6, 7), X25519 from RFC 7748
 * §6.1.  All HMAC vectors were also recomputed with the openssl 3.0
 * command-line tool (dgst -mac HMAC).  prf+, the IKE SA keys, the child
 * SA keys and the shared-key AUTH value are checked against the RFC 7296
 * formulas evaluated step by step here with ikev2_prf.  MODP-2048 public
 * values are compared with a plain BN_mod_exp.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>

#include "check.h"
#include "cursor.h"
#include "ikev2_crypto.h"
#include "ikev2_msg.h"

#define MSG_CAP 8192
#define CRITICAL_FLAG 0x80 /* RFC 7296 §3.2 */

static void
parse_hex(const char *hex, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned byte = 0;
        sscanf(hex + 2 * i, "%2x", &byte);
        out[i] = (uint8_t)byte;
    }
}

static void
fill(uint8_t *out, size_t len, uint8_t first)
{
    for (size_t i = 0; i < len; i++)
        out[i] = (uint8_t)(first + i);
}

/* ---- known-answer vectors ---- */

struct hmac_case {
    const char *name;
    uint8_t key_byte; /* key of key_len copies, or 0 for the key below */
    size_t key_len;
    const char *key; /* used when key_byte is 0 */
    const char *data;
    uint8_t data_byte; /* data of data_len copies when data is NULL */
    size_t data_len;
    const char *digest;
};

static void
check_hmac_cases(uint16_t prf, const struct hmac_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t key[200], data[200], expected[IKEV2_MAX_PRF_LEN], out[IKEV2_MAX_PRF_LEN];
        size_t key_len = cases[i].key_len;
        if (cases[i].key_byte != 0)
            memset(key, cases[i].key_byte, key_len);
        else
            memcpy(key, cases[i].key, key_len);
        size_t data_len = cases[i].data_len;
        if (cases[i].data != NULL)
            memcpy(data, cases[i].data, data_len);
        else
            memset(data, cases[i].data_byte, data_len);
        size_t len = ikev2_prf_len(prf);
        parse_hex(cases[i].digest, expected, len);

        CHECK_EQ_INT(ikev2_prf(prf, key, key_len, data, data_len, out), IKEV2_OK);
        if (memcmp(out, expected, len) != 0)
            fprintf(stderr, "failing case: %s\n", cases[i].name);
        CHECK_EQ_MEM(out, expected, len);
    }
}

static const char key_1_to_25[] = "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d"
                                  "\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19";
static const char big_key_hash_first[] = "Test Using Larger Than Block-Size Key - Hash Key First";

static void
prf_sha256_rfc4231_vectors(void)
{
    static const char long_data[] =
        "This is a test using a larger than block-size key and a larger than block-size data. "
        "The key needs to be hashed before being used by the HMAC algorithm.";
    static const struct hmac_case cases[] = {
        {"case 1", 0x0b, 20, NULL, "Hi There", 0, 8,
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {"case 2", 0, 4, "Jefe", "what do ya want for nothing?", 0, 28,
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {"case 3", 0xaa, 20, NULL, NULL, 0xdd, 50,
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
        {"case 4", 0, 25, key_1_to_25, NULL, 0xcd, 50,
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
        {"case 6", 0xaa, 131, NULL, big_key_hash_first, 0, sizeof big_key_hash_first - 1,
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
        {"case 7", 0xaa, 131, NULL, long_data, 0, sizeof long_data - 1,
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
    };
    check_hmac_cases(IKEV2_PRF_HMAC_SHA2_256, cases, sizeof cases / sizeof cases[0]);
    CHECK_EQ_INT(ikev2_prf_len(IKEV2_PRF_HMAC_SHA2_256), 32);
}

static void
prf_sha1_rfc2202_vectors(void)
{
    static const char long_data[] =
        "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data";
    static const struct hmac_case cases[] = {
        {"case 1", 0x0b, 20, NULL, "Hi There", 0, 8, "b617318655057264e28bc0b6fb378c8ef146be00"},
        {"case 2", 0, 4, "Jefe", "what do ya want for nothing?", 0, 28,
         "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
        {"case 3", 0xaa, 20, NULL, NULL, 0xdd, 50, "125d7342b9ac11cd91a39af48aa17b4f63f175d3"},
        {"case 4", 0, 25, key_1_to_25, NULL, 0xcd, 50, "4c9007f4026250c6bc8414f9bf50c86c2d7235da"},
        {"case 6", 0xaa, 80, NULL, big_key_hash_first, 0, sizeof big_key_hash_first - 1,
         "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
        {"case 7", 0xaa, 80, NULL, long_data, 0, sizeof long_data - 1,
         "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"},
    };
    check_hmac_cases(IKEV2_PRF_HMAC_SHA1, cases, sizeof cases / sizeof cases[0]);
    CHECK_EQ_INT(ikev2_prf_len(IKEV2_PRF_HMAC_SHA1), 20);
}

static void
prf_rejects_unknown_algorithm(void)
{
    uint8_t out[IKEV2_MAX_PRF_LEN];
    uint8_t key[4] = {1, 2, 3, 4};
    CHECK_EQ_INT(ikev2_prf_len(4), 0);
    CHECK_EQ_INT(ikev2_prf(4, key, sizeof key, key, sizeof key, out), IKEV2_BAD_ALGORITHM);
    CHECK_EQ_INT(ikev2_prf_plus(4, key, sizeof key, key, sizeof key, out, 8), IKEV2_BAD_ALGORITHM);
}

/* T1 = prf(K, S | 0x01), T2 = prf(K, T1 | S | 0x02), T3 = prf(K, T2 | S | 0x03). */
static void
prf_plus_matches_steps(void)
{
    static const uint16_t prfs[] = {IKEV2_PRF_HMAC_SHA1, IKEV2_PRF_HMAC_SHA2_256};
    uint8_t key[40], seed[50];
    fill(key, sizeof key, 0x10);
    fill(seed, sizeof seed, 0x80);

    for (size_t p = 0; p < 2; p++) {
        uint16_t prf = prfs[p];
        size_t len = ikev2_prf_len(prf);
        uint8_t t[3][IKEV2_MAX_PRF_LEN];
        uint8_t input[IKEV2_MAX_PRF_LEN + sizeof seed + 1];

        memcpy(input, seed, sizeof seed);
        input[sizeof seed] = 0x01;
        CHECK_EQ_INT(ikev2_prf(prf, key, sizeof key, input, sizeof seed + 1, t[0]), IKEV2_OK);
        for (size_t n = 1; n < 3; n++) {
            memcpy(input, t[n - 1], len);
            memcpy(input + len, seed, sizeof seed);
            input[len + sizeof seed] = (uint8_t)(n + 1);
            CHECK_EQ_INT(ikev2_prf(prf, key, sizeof key, input, len + sizeof seed + 1, t[n]),
                         IKEV2_OK);
        }
        uint8_t expected[3 * IKEV2_MAX_PRF_LEN];
        for (size_t n = 0; n < 3; n++)
            memcpy(expected + n * len, t[n], len);

        /* Two and a half blocks: the output is truncated inside T3. */
        size_t out_len = 2 * len + len / 2;
        uint8_t out[3 * IKEV2_MAX_PRF_LEN];
        memset(out, 0xee, sizeof out);
        CHECK_EQ_INT(ikev2_prf_plus(prf, key, sizeof key, seed, sizeof seed, out, out_len),
                     IKEV2_OK);
        CHECK_EQ_MEM(out, expected, out_len);
        CHECK_EQ_INT(out[out_len], 0xee);

        /* RFC 7296 §2.13: at most 255 blocks, because the counter is one octet. */
        static uint8_t big[255 * IKEV2_MAX_PRF_LEN + 1];
        CHECK_EQ_INT(ikev2_prf_plus(prf, key, sizeof key, seed, sizeof seed, big, 255 * len),
                     IKEV2_OK);
        CHECK_EQ_MEM(big, expected, 3 * len);
        CHECK_EQ_INT(ikev2_prf_plus(prf, key, sizeof key, seed, sizeof seed, big, 255 * len + 1),
                     IKEV2_TOO_MANY);
    }
}

static const char alice_private[] =
    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
static const char alice_public[] =
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
static const char bob_private[] =
    "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
static const char bob_public[] = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
static const char x25519_shared[] =
    "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

static void
x25519_rfc7748_vectors(void)
{
    uint8_t seed[32], expected[32];
    struct ikev2_dh alice, bob;

    parse_hex(alice_private, seed, 32);
    CHECK_EQ_INT(ikev2_dh_generate(&alice, IKEV2_DH_CURVE25519, seed), IKEV2_OK);
    parse_hex(alice_public, expected, 32);
    CHECK_EQ_INT(alice.public_len, 32);
    CHECK_EQ_MEM(alice.public_value, expected, 32);

    parse_hex(bob_private, seed, 32);
    CHECK_EQ_INT(ikev2_dh_generate(&bob, IKEV2_DH_CURVE25519, seed), IKEV2_OK);
    parse_hex(bob_public, expected, 32);
    CHECK_EQ_MEM(bob.public_value, expected, 32);

    uint8_t secret_a[IKEV2_MAX_DH_SECRET], secret_b[IKEV2_MAX_DH_SECRET];
    size_t len_a = 0, len_b = 0;
    CHECK_EQ_INT(ikev2_dh_shared(&alice, bob.public_value, 32, secret_a, &len_a), IKEV2_OK);
    CHECK_EQ_INT(ikev2_dh_shared(&bob, alice.public_value, 32, secret_b, &len_b), IKEV2_OK);
    parse_hex(x25519_shared, expected, 32);
    CHECK_EQ_INT(len_a, 32);
    CHECK_EQ_INT(len_b, 32);
    CHECK_EQ_MEM(secret_a, expected, 32);
    CHECK_EQ_MEM(secret_b, expected, 32);

    ikev2_dh_free(&alice);
    static const uint8_t zero[32];
    CHECK_EQ_MEM(alice.private_value, zero, 32);
    ikev2_dh_free(&bob);
}

static void
x25519_rejects_invalid_peer(void)
{
    uint8_t seed[32], peer[33] = {0};
    struct ikev2_dh dh;
    parse_hex(alice_private, seed, 32);
    CHECK_EQ_INT(ikev2_dh_generate(&dh, IKEV2_DH_CURVE25519, seed), IKEV2_OK);

    uint8_t secret[IKEV2_MAX_DH_SECRET];
    size_t len = 99;
    /* u = 0 and u = 1 are points of small order: the secret is all zero. */
    CHECK_EQ_INT(ikev2_dh_shared(&dh, peer, 32, secret, &len), IKEV2_BAD_PAYLOAD);
    CHECK_EQ_INT(len, 0);
    peer[0] = 1;
    CHECK_EQ_INT(ikev2_dh_shared(&dh, peer, 32, secret, &len), IKEV2_BAD_PAYLOAD);
    parse_hex(bob_public, peer, 32);
    CHECK_EQ_INT(ikev2_dh_shared(&dh, peer, 31, secret, &len), IKEV2_BAD_PAYLOAD);
    CHECK_EQ_INT(ikev2_dh_shared(&dh, peer, 33, secret, &len), IKEV2_BAD_PAYLOAD);
    ikev2_dh_free(&dh);
}

static void
modp2048_both_sides_agree(void)
{
    uint8_t seed_i[32], seed_r[32];
    fill(seed_i, 32, 0x31);
    fill(seed_r, 32, 0xa7);
    struct ikev2_dh dh_i, dh_r;
    CHECK_EQ_INT(ikev2_dh_generate(&dh_i, IKEV2_DH_MODP_2048, seed_i), IKEV2_OK);
    CHECK_EQ_INT(ikev2_dh_generate(&dh_r, IKEV2_DH_MODP_2048, seed_r), IKEV2_OK);
    CHECK_EQ_INT(dh_i.public_len, 256);
    CHECK_EQ_INT(ikev2_dh_public_len(IKEV2_DH_MODP_2048), 256);

    /* Reference: 2^x mod p with plain BN_mod_exp. */
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *p = BN_get_rfc3526_prime_2048(NULL);
    BIGNUM *g = BN_new();
    BIGNUM *x = BN_bin2bn(seed_i, 32, NULL);
    BIGNUM *y = BN_new();
    CHECK(BN_set_word(g, 2) == 1);
    CHECK(BN_mod_exp(y, g, x, p, ctx) == 1);
    uint8_t expected[256];
    CHECK_EQ_INT(BN_bn2binpad(y, expected, 256), 256);
    CHECK_EQ_MEM(dh_i.public_value, expected, 256);

    uint8_t secret_i[IKEV2_MAX_DH_SECRET], secret_r[IKEV2_MAX_DH_SECRET];
    size_t len_i = 0, len_r = 0;
    CHECK_EQ_INT(ikev2_dh_shared(&dh_i, dh_r.public_value, 256, secret_i, &len_i), IKEV2_OK);
    CHECK_EQ_INT(ikev2_dh_shared(&dh_r, dh_i.public_value, 256, secret_r, &len_r), IKEV2_OK);
    CHECK_EQ_INT(len_i, 256);
    CHECK_EQ_INT(len_r, 256);
    CHECK_EQ_MEM(secret_i, secret_r, 256);

    BN_free(y);
    BN_free(x);
    BN_free(g);
    BN_free(p);
    BN_CTX_free(ctx);
    ikev2_dh_free(&dh_i);
    ikev2_dh_free(&dh_r);
}

static void
modp2048_rejects_invalid_peer(void)
{
    uint8_t seed[32];
    fill(seed, 32, 0x55);
    struct ikev2_dh dh;
    CHECK_EQ_INT(ikev2_dh_generate(&dh, IKEV2_DH_MODP_2048, seed), IKEV2_OK);

    BIGNUM *p = BN_get_rfc3526_prime_2048(NULL);
    BIGNUM *v = BN_new();
    uint8_t peer[257];
    uint8_t secret[IKEV2_MAX_DH_SECRET];
    size_t len = 0;
    static const struct {
        const char *name;
        int offset; /* peer value = p + offset, or offset itself when from_zero */
        int from_zero;
    } cases[] = {
        {"0", 0, 1}, {"1", 1, 1}, {"p-1", -1, 0}, {"p", 0, 0}, {"p+1", 1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].from_zero) {
            CHECK(BN_set_word(v, (BN_ULONG)cases[i].offset) == 1);
        } else {
            CHECK(BN_copy(v, p) != NULL);
            if (cases[i].offset < 0)
                CHECK(BN_sub_word(v, 1) == 1);
            else if (cases[i].offset > 0)
                CHECK(BN_add_word(v, 1) == 1);
        }
        CHECK_EQ_INT(BN_bn2binpad(v, peer, 256), 256);
        enum ikev2_status status = ikev2_dh_shared(&dh, peer, 256, secret, &len);
        if (status != IKEV2_BAD_PAYLOAD)
            fprintf(stderr, "failing case: %s\n", cases[i].name);
        CHECK_EQ_INT(status, IKEV2_BAD_PAYLOAD);
    }

    /* 2 and p-2 are the smallest and largest values accepted. */
    CHECK(BN_set_word(v, 2) == 1);
    CHECK_EQ_INT(BN_bn2binpad(v, peer, 256), 256);
    CHECK_EQ_INT(ikev2_dh_shared(&dh, peer, 256, secret, &len), IKEV2_OK);
    CHECK(BN_copy(v, p) != NULL);
    CHECK(BN_sub_word(v, 2) == 1);
    CHECK_EQ_INT(BN_bn2binpad(v, peer, 256), 256);
    CHECK_EQ_INT(ikev2_dh_shared(&dh, peer, 256, secret, &len), IKEV2_OK);

    /* A value of the wrong length, even one that is valid as a number. */
    CHECK_EQ_INT(ikev2_dh_shared(&dh, peer + 1, 255, secret, &len), IKEV2_BAD_PAYLOAD);
    peer[256] = 0;
    CHECK_EQ_INT(ikev2_dh_shared(&dh, peer, 257, secret, &len), IKEV2_BAD_PAYLOAD);

    BN_free(v);
    BN_free(p);
    ikev2_dh_free(&dh);
}

static void
dh_rejects_unknown_group(void)
{
    uint8_t seed[32] = {1};
    struct ikev2_dh dh;
    CHECK_EQ_INT(ikev2_dh_public_len(19), 0);
    CHECK_EQ_INT(ikev2_dh_public_len(IKEV2_DH_CURVE25519), 32);
    CHECK_EQ_INT(ikev2_dh_generate(&dh, 19, seed), IKEV2_BAD_ALGORITHM);
    uint8_t secret[IKEV2_MAX_DH_SECRET];
    size_t len = 0;
    CHECK_EQ_INT(ikev2_dh_shared(&dh, seed, 32, secret, &len), IKEV2_BAD_ALGORITHM);
}

/* ---- key derivation against the RFC 7296 formulas ---- */

/* prf+ by its definition, for outputs of up to four blocks. */
static void
naive_prf_plus(uint16_t prf, const uint8_t *key, size_t key_len, const uint8_t *seed,
               size_t seed_len, uint8_t *out, size_t out_len)
{
    size_t len = ikev2_prf_len(prf);
    uint8_t input[IKEV2_MAX_PRF_LEN + 1024 + 1];
    uint8_t t[IKEV2_MAX_PRF_LEN];
    size_t done = 0;
    CHECK(seed_len <= 1024);
    for (uint8_t n = 1; done < out_len; n++) {
        size_t in_len = 0;
        if (n > 1) {
            memcpy(input, t, len);
            in_len = len;
        }
        memcpy(input + in_len, seed, seed_len);
        in_len += seed_len;
        input[in_len++] = n;
        CHECK_EQ_INT(ikev2_prf(prf, key, key_len, input, in_len, t), IKEV2_OK);
        size_t take = out_len - done < len ? out_len - done : len;
        memcpy(out + done, t, take);
        done += take;
    }
}

static void
check_ike_keys(uint16_t prf, uint16_t integ, size_t auth_len, const uint8_t *old_sk_d)
{
    uint8_t ni[32], nr[20], shared[32];
    fill(ni, sizeof ni, 0x01);
    fill(nr, sizeof nr, 0x40);
    fill(shared, sizeof shared, 0x90);
    uint64_t spi_i = 0x1122334455667788u, spi_r = 0x99aabbccddeeff00u;
    struct ikev2_ike_algs algs = {IKEV2_ENCR_AES_CBC, 128, prf, integ, IKEV2_DH_CURVE25519};
    size_t prf_len = ikev2_prf_len(prf);

    struct ikev2_ike_keys keys;
    CHECK_EQ_INT(ikev2_derive_ike_keys(&algs, old_sk_d, ni, sizeof ni, nr, sizeof nr, spi_i, spi_r,
                                       shared, sizeof shared, &keys),
                 IKEV2_OK);

    uint8_t skeyseed[IKEV2_MAX_PRF_LEN];
    uint8_t buf[128];
    if (old_sk_d == NULL) {
        /* RFC 7296 §2.14: SKEYSEED = prf(Ni | Nr, g^ir). */
        memcpy(buf, ni, sizeof ni);
        memcpy(buf + sizeof ni, nr, sizeof nr);
        CHECK_EQ_INT(ikev2_prf(prf, buf, sizeof ni + sizeof nr, shared, sizeof shared, skeyseed),
                     IKEV2_OK);
    } else {
        /* RFC 7296 §2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr). */
        memcpy(buf, shared, sizeof shared);
        memcpy(buf + sizeof shared, ni, sizeof ni);
        memcpy(buf + sizeof shared + sizeof ni, nr, sizeof nr);
        CHECK_EQ_INT(
            ikev2_prf(prf, old_sk_d, prf_len, buf, sizeof shared + sizeof ni + sizeof nr, skeyseed),
            IKEV2_OK);
    }
    uint8_t seed[sizeof ni + sizeof nr + 16];
    memcpy(seed, ni, sizeof ni);
    memcpy(seed + sizeof ni, nr, sizeof nr);
    struct wr w = wr_init(seed + sizeof ni + sizeof nr, 16);
    wr_u64(&w, spi_i);
    wr_u64(&w, spi_r);
    uint8_t keymat[256];
    size_t total = 3 * prf_len + 2 * auth_len + 32;
    naive_prf_plus(prf, skeyseed, prf_len, seed, sizeof seed, keymat, total);

    /* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} */
    const uint8_t *k = keymat;
    CHECK_EQ_INT(keys.prf_len, prf_len);
    CHECK_EQ_MEM(keys.sk_d, k, prf_len);
    k += prf_len;
    CHECK_EQ_MEM(keys.initiator.auth_key, k, auth_len);
    k += auth_len;
    CHECK_EQ_MEM(keys.responder.auth_key, k, auth_len);
    k += auth_len;
    CHECK_EQ_MEM(keys.initiator.enc_key, k, 16);
    k += 16;
    CHECK_EQ_MEM(keys.responder.enc_key, k, 16);
    k += 16;
    CHECK_EQ_MEM(keys.sk_pi, k, prf_len);
    k += prf_len;
    CHECK_EQ_MEM(keys.sk_pr, k, prf_len);

    CHECK_EQ_INT(keys.initiator.auth_key_len, auth_len);
    CHECK_EQ_INT(keys.responder.auth_key_len, auth_len);
    CHECK_EQ_INT(keys.initiator.enc_key_len, 16);
    CHECK_EQ_INT(keys.initiator.encr, IKEV2_ENCR_AES_CBC);
    CHECK_EQ_INT(keys.initiator.integ, integ);
    CHECK_EQ_INT(keys.algs.prf, prf);
}

static void
ike_keys_match_formulas(void)
{
    check_ike_keys(IKEV2_PRF_HMAC_SHA2_256, IKEV2_INTEG_HMAC_SHA2_256_128, 32, NULL);
    check_ike_keys(IKEV2_PRF_HMAC_SHA1, IKEV2_INTEG_HMAC_SHA1_96, 20, NULL);
    check_ike_keys(IKEV2_PRF_HMAC_SHA2_256, IKEV2_INTEG_HMAC_SHA1_96, 20, NULL);
    uint8_t old_sk_d[32];
    fill(old_sk_d, sizeof old_sk_d, 0xc0);
    check_ike_keys(IKEV2_PRF_HMAC_SHA2_256, IKEV2_INTEG_HMAC_SHA2_256_128, 32, old_sk_d);
    check_ike_keys(IKEV2_PRF_HMAC_SHA1, IKEV2_INTEG_HMAC_SHA1_96, 20, old_sk_d);
}

static void
ike_keys_reject_unknown_algorithms(void)
{
    uint8_t n[16] = {0}, shared[32] = {0};
    struct ikev2_ike_keys keys;
    static const struct ikev2_ike_algs cases[] = {
        {IKEV2_ENCR_AES_CBC, 128, 4, IKEV2_INTEG_HMAC_SHA1_96, 31},
        {IKEV2_ENCR_AES_CBC, 128, IKEV2_PRF_HMAC_SHA1, 5, 31},
        {IKEV2_ENCR_AES_CBC, 256, IKEV2_PRF_HMAC_SHA1, IKEV2_INTEG_HMAC_SHA1_96, 31},
        {IKEV2_ENCR_NULL, 0, IKEV2_PRF_HMAC_SHA1, IKEV2_INTEG_HMAC_SHA1_96, 31},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_EQ_INT(ikev2_derive_ike_keys(&cases[i], NULL, n, 16, n, 16, 1, 2, shared, 32, &keys),
                     IKEV2_BAD_ALGORITHM);
}

static void
child_keys_order(void)
{
    uint8_t sk_d[32], ni[16], nr[24], shared[32];
    fill(sk_d, sizeof sk_d, 0x21);
    fill(ni, sizeof ni, 0x61);
    fill(nr, sizeof nr, 0xb1);
    fill(shared, sizeof shared, 0x07);

    for (int pfs = 0; pfs < 2; pfs++) {
        /* RFC 7296 §2.17: KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr). */
        uint8_t seed[sizeof shared + sizeof ni + sizeof nr];
        size_t seed_len = 0;
        if (pfs) {
            memcpy(seed, shared, sizeof shared);
            seed_len = sizeof shared;
        }
        memcpy(seed + seed_len, ni, sizeof ni);
        seed_len += sizeof ni;
        memcpy(seed + seed_len, nr, sizeof nr);
        seed_len += sizeof nr;
        uint8_t keymat[72];
        naive_prf_plus(IKEV2_PRF_HMAC_SHA2_256, sk_d, sizeof sk_d, seed, seed_len, keymat,
                       sizeof keymat);

        struct ikev2_child_keys keys;
        CHECK_EQ_INT(ikev2_derive_child_keys(IKEV2_PRF_HMAC_SHA2_256, sk_d, sizeof sk_d,
                                             pfs ? shared : NULL, sizeof shared, ni, sizeof ni, nr,
                                             sizeof nr, 16, 20, &keys),
                     IKEV2_OK);
        /* Initiator-to-responder SA first, each with the encryption key first. */
        CHECK_EQ_MEM(keys.enc_i_to_r, keymat, 16);
        CHECK_EQ_MEM(keys.auth_i_to_r, keymat + 16, 20);
        CHECK_EQ_MEM(keys.enc_r_to_i, keymat + 36, 16);
        CHECK_EQ_MEM(keys.auth_r_to_i, keymat + 52, 20);
    }

    /* ENCR_NULL: only the integrity keys, 20 bytes each. */
    uint8_t keymat[40];
    uint8_t seed[sizeof ni + sizeof nr];
    memcpy(seed, ni, sizeof ni);
    memcpy(seed + sizeof ni, nr, sizeof nr);
    naive_prf_plus(IKEV2_PRF_HMAC_SHA1, sk_d, 20, seed, sizeof seed, keymat, sizeof keymat);
    struct ikev2_child_keys keys;
    CHECK_EQ_INT(ikev2_derive_child_keys(IKEV2_PRF_HMAC_SHA1, sk_d, 20, NULL, 0, ni, sizeof ni, nr,
                                         sizeof nr, 0, 20, &keys),
                 IKEV2_OK);
    static const uint8_t zero[16];
    CHECK_EQ_MEM(keys.enc_i_to_r, zero, 16);
    CHECK_EQ_MEM(keys.enc_r_to_i, zero, 16);
    CHECK_EQ_MEM(keys.auth_i_to_r, keymat, 20);
    CHECK_EQ_MEM(keys.auth_r_to_i, keymat + 20, 20);

    CHECK_EQ_INT(ikev2_derive_child_keys(IKEV2_PRF_HMAC_SHA1, sk_d, 20, NULL, 0, ni, sizeof ni, nr,
                                         sizeof nr, 32, 20, &keys),
                 IKEV2_BAD_ALGORITHM);
    CHECK_EQ_INT(ikev2_derive_child_keys(IKEV2_PRF_HMAC_SHA1, sk_d, 20, NULL, 0, ni, sizeof ni, nr,
                                         sizeof nr, 16, 32, &keys),
                 IKEV2_BAD_ALGORITHM);
}

static void
psk_auth_matches_formula(void)
{
    static const char psk[] = "mip6sec shared key";
    uint8_t first_msg[120], nonce[32], sk_p[32];
    fill(first_msg, sizeof first_msg, 0x33);
    fill(nonce, sizeof nonce, 0x77);
    fill(sk_p, sizeof sk_p, 0xd0);
    struct ikev2_id id = {IKEV2_ID_FQDN, 14, {0}};
    memcpy(id.data, "mn.example.org", 14);

    static const uint16_t prfs[] = {IKEV2_PRF_HMAC_SHA2_256, IKEV2_PRF_HMAC_SHA1};
    for (size_t p = 0; p < 2; p++) {
        uint16_t prf = prfs[p];
        size_t len = ikev2_prf_len(prf);

        /* RFC 7296 §2.15, step by step. */
        uint8_t pad_key[IKEV2_MAX_PRF_LEN];
        CHECK_EQ_INT(ikev2_prf(prf, (const uint8_t *)psk, sizeof psk - 1,
                               (const uint8_t *)"Key Pad for IKEv2", 17, pad_key),
                     IKEV2_OK);
        uint8_t id_body[4 + 14] = {IKEV2_ID_FQDN, 0, 0, 0};
        memcpy(id_body + 4, id.data, 14);
        uint8_t maced_id[IKEV2_MAX_PRF_LEN];
        CHECK_EQ_INT(ikev2_prf(prf, sk_p, len, id_body, sizeof id_body, maced_id), IKEV2_OK);
        uint8_t signed_octets[sizeof first_msg + sizeof nonce + IKEV2_MAX_PRF_LEN];
        memcpy(signed_octets, first_msg, sizeof first_msg);
        memcpy(signed_octets + sizeof first_msg, nonce, sizeof nonce);
        memcpy(signed_octets + sizeof first_msg + sizeof nonce, maced_id, len);
        uint8_t expected[IKEV2_MAX_PRF_LEN];
        CHECK_EQ_INT(ikev2_prf(prf, pad_key, len, signed_octets,
                               sizeof first_msg + sizeof nonce + len, expected),
                     IKEV2_OK);

        uint8_t auth[IKEV2_MAX_PRF_LEN];
        CHECK_EQ_INT(ikev2_psk_auth(prf, (const uint8_t *)psk, sizeof psk - 1, first_msg,
                                    sizeof first_msg, nonce, sizeof nonce, sk_p, len, &id, auth),
                     IKEV2_OK);
        CHECK_EQ_MEM(auth, expected, len);
    }

    struct ikev2_id bad = id;
    bad.len = IKEV2_MAX_ID_LEN + 1;
    uint8_t auth[IKEV2_MAX_PRF_LEN];
    CHECK_EQ_INT(ikev2_psk_auth(IKEV2_PRF_HMAC_SHA1, (const uint8_t *)psk, 4, first_msg, 8, nonce,
                                16, sk_p, 20, &bad, auth),
                 IKEV2_BAD_PAYLOAD);
}

/* ---- codec ---- */

static void
check_same_msg(const struct ikev2_msg *a, const struct ikev2_msg *b)
{
    CHECK(a->hdr.spi_i == b->hdr.spi_i);
    CHECK(a->hdr.spi_r == b->hdr.spi_r);
    CHECK_EQ_INT(a->hdr.version, b->hdr.version);
    CHECK_EQ_INT(a->hdr.exchange, b->hdr.exchange);
    CHECK_EQ_INT(a->hdr.flags, b->hdr.flags);
    CHECK_EQ_INT(a->hdr.message_id, b->hdr.message_id);

    CHECK_EQ_INT(a->n_proposals, b->n_proposals);
    for (size_t i = 0; i < a->n_proposals && i < b->n_proposals; i++) {
        const struct ikev2_proposal *p = &a->proposals[i], *q = &b->proposals[i];
        CHECK_EQ_INT(p->number, q->number);
        CHECK_EQ_INT(p->protocol, q->protocol);
        CHECK_EQ_INT(p->spi_len, q->spi_len);
        CHECK_EQ_MEM(p->spi, q->spi, p->spi_len);
        CHECK_EQ_INT(p->n_transforms, q->n_transforms);
        for (size_t j = 0; j < p->n_transforms && j < q->n_transforms; j++) {
            CHECK_EQ_INT(p->transforms[j].type, q->transforms[j].type);
            CHECK_EQ_INT(p->transforms[j].id, q->transforms[j].id);
            CHECK_EQ_INT(p->transforms[j].key_bits, q->transforms[j].key_bits);
        }
    }
    CHECK_EQ_INT(a->has_ke, b->has_ke);
    if (a->has_ke && b->has_ke) {
        CHECK_EQ_INT(a->ke.group, b->ke.group);
        CHECK_EQ_INT(a->ke.len, b->ke.len);
        CHECK_EQ_MEM(a->ke.data, b->ke.data, a->ke.len);
    }
    CHECK_EQ_INT(a->has_nonce, b->has_nonce);
    if (a->has_nonce && b->has_nonce) {
        CHECK_EQ_INT(a->nonce_len, b->nonce_len);
        CHECK_EQ_MEM(a->nonce, b->nonce, a->nonce_len);
    }
    CHECK_EQ_INT(a->has_idi, b->has_idi);
    if (a->has_idi && b->has_idi) {
        CHECK_EQ_INT(a->idi.type, b->idi.type);
        CHECK_EQ_INT(a->idi.len, b->idi.len);
        CHECK_EQ_MEM(a->idi.data, b->idi.data, a->idi.len);
    }
    CHECK_EQ_INT(a->has_idr, b->has_idr);
    if (a->has_idr && b->has_idr) {
        CHECK_EQ_INT(a->idr.type, b->idr.type);
        CHECK_EQ_INT(a->idr.len, b->idr.len);
        CHECK_EQ_MEM(a->idr.data, b->idr.data, a->idr.len);
    }
    CHECK_EQ_INT(a->has_auth, b->has_auth);
    if (a->has_auth && b->has_auth) {
        CHECK_EQ_INT(a->auth.method, b->auth.method);
        CHECK_EQ_INT(a->auth.len, b->auth.len);
        CHECK_EQ_MEM(a->auth.data, b->auth.data, a->auth.len);
    }
    CHECK_EQ_INT(a->n_notifies, b->n_notifies);
    for (size_t i = 0; i < a->n_notifies && i < b->n_notifies; i++) {
        const struct ikev2_notify *n = &a->notifies[i], *m = &b->notifies[i];
        CHECK_EQ_INT(n->protocol, m->protocol);
        CHECK_EQ_INT(n->spi_len, m->spi_len);
        CHECK_EQ_MEM(n->spi, m->spi, n->spi_len);
        CHECK_EQ_INT(n->type, m->type);
        CHECK_EQ_INT(n->data_len, m->data_len);
        CHECK_EQ_MEM(n->data, m->data, n->data_len);
    }
    CHECK_EQ_INT(a->n_deletes, b->n_deletes);
    for (size_t i = 0; i < a->n_deletes && i < b->n_deletes; i++) {
        CHECK_EQ_INT(a->deletes[i].protocol, b->deletes[i].protocol);
        CHECK_EQ_INT(a->deletes[i].n_spis, b->deletes[i].n_spis);
        CHECK_EQ_MEM(a->deletes[i].spis, b->deletes[i].spis, 4 * a->deletes[i].n_spis);
    }
    CHECK_EQ_INT(a->n_tsi, b->n_tsi);
    CHECK_EQ_INT(a->n_tsr, b->n_tsr);
    for (size_t i = 0; i < a->n_tsi && i < b->n_tsi; i++)
        CHECK_EQ_MEM(&a->tsi[i], &b->tsi[i], sizeof a->tsi[i]);
    for (size_t i = 0; i < a->n_tsr && i < b->n_tsr; i++)
        CHECK_EQ_MEM(&a->tsr[i], &b->tsr[i], sizeof a->tsr[i]);
}

static const uint8_t home_address[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0,
                                         0,    0,    0,    0,    0, 0, 0, 0x10};
static const uint8_t ha_address[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0,
                                       0,    0,    0,    0,    0, 0, 0, 0x01};

static struct ikev2_ts
host_selector(const uint8_t *addr, uint8_t proto, uint16_t start_port, uint16_t end_port)
{
    struct ikev2_ts ts = {IKEV2_TS_IPV6_ADDR_RANGE, proto, start_port, end_port, {0}, {0}};
    memcpy(ts.start, addr, 16);
    memcpy(ts.end, addr, 16);
    return ts;
}

static void
add_transform(struct ikev2_proposal *p, uint8_t type, uint16_t id, uint16_t key_bits)
{
    struct ikev2_transform t = {type, id, key_bits};
    p->transforms[p->n_transforms++] = t;
}

/* A message with every payload type that mip6sec encodes. */
static void
build_full_msg(struct ikev2_msg *msg, uint8_t exchange)
{
    memset(msg, 0, sizeof *msg);
    msg->hdr.spi_i = 0x0123456789abcdefu;
    msg->hdr.spi_r = 0xfedcba9876543210u;
    msg->hdr.version = IKEV2_VERSION;
    msg->hdr.exchange = exchange;
    msg->hdr.flags = IKEV2_FLAG_INITIATOR;
    msg->hdr.message_id = 7;

    msg->n_proposals = 2;
    struct ikev2_proposal *p = &msg->proposals[0];
    p->number = 1;
    p->protocol = IKEV2_PROTO_ESP;
    p->spi_len = 4;
    memcpy(p->spi, "\x00\x00\x12\x34", 4);
    add_transform(p, IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CBC, 128);
    add_transform(p, IKEV2_TRANS_INTEG, IKEV2_INTEG_HMAC_SHA1_96, 0);
    add_transform(p, IKEV2_TRANS_ESN, IKEV2_ESN_NO, 0);
    p = &msg->proposals[1];
    p->number = 2;
    p->protocol = IKEV2_PROTO_IKE;
    p->spi_len = 8;
    fill(p->spi, 8, 0xa0);
    add_transform(p, IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CBC, 128);
    add_transform(p, IKEV2_TRANS_PRF, IKEV2_PRF_HMAC_SHA2_256, 0);
    add_transform(p, IKEV2_TRANS_INTEG, IKEV2_INTEG_HMAC_SHA2_256_128, 0);
    add_transform(p, IKEV2_TRANS_DH, IKEV2_DH_MODP_2048, 0);

    msg->has_ke = true;
    msg->ke.group = IKEV2_DH_CURVE25519;
    msg->ke.len = 32;
    fill(msg->ke.data, 32, 0x50);
    msg->has_nonce = true;
    msg->nonce_len = 32;
    fill(msg->nonce, 32, 0x90);
    msg->has_idi = true;
    msg->idi.type = IKEV2_ID_FQDN;
    msg->idi.len = 14;
    memcpy(msg->idi.data, "mn.example.org", 14);
    msg->has_idr = true;
    msg->idr.type = IKEV2_ID_IPV6_ADDR;
    msg->idr.len = 16;
    memcpy(msg->idr.data, ha_address, 16);
    msg->has_auth = true;
    msg->auth.method = IKEV2_AUTH_PSK;
    msg->auth.len = 32;
    fill(msg->auth.data, 32, 0xe0);

    msg->n_notifies = 2;
    msg->notifies[0].type = IKEV2_N_USE_TRANSPORT_MODE;
    msg->notifies[1].protocol = IKEV2_PROTO_ESP;
    msg->notifies[1].spi_len = 4;
    memcpy(msg->notifies[1].spi, "\x00\x00\x56\x78", 4);
    msg->notifies[1].type = IKEV2_N_REKEY_SA;
    msg->notifies[1].data_len = 3;
    memcpy(msg->notifies[1].data, "abc", 3);

    msg->n_deletes = 2;
    msg->deletes[0].protocol = IKEV2_PROTO_IKE;
    msg->deletes[1].protocol = IKEV2_PROTO_ESP;
    msg->deletes[1].n_spis = 3;
    msg->deletes[1].spis[0] = 0x1001;
    msg->deletes[1].spis[1] = 0x1002;
    msg->deletes[1].spis[2] = 0xffffffffu;

    /* RFC 4877 §4.3: MH type 5 (Binding Update) in the high byte of the ports. */
    msg->n_tsi = 2;
    msg->tsi[0] = host_selector(home_address, 135, 5 << 8, 5 << 8 | 0xff);
    msg->tsi[1] = host_selector(home_address, 0, 0, 0xffff);
    msg->n_tsr = 1;
    msg->tsr[0] = host_selector(ha_address, 135, 6 << 8, 6 << 8 | 0xff);
}

static size_t
encode(const struct ikev2_msg *msg, const struct ikev2_sk_keys *keys, uint8_t *buf, size_t cap)
{
    static const uint8_t iv[16] = {0x0f, 0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 0x09, 0x08,
                                   0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x00};
    struct wr w = wr_init(buf, cap);
    CHECK_EQ_INT(ikev2_encode(msg, keys, iv, &w), IKEV2_OK);
    CHECK(wr_ok(&w));
    return w.pos;
}

/* The payload types of a clear message, in wire order. */
static size_t
payload_order(const uint8_t *pkt, size_t len, uint8_t *types, size_t cap)
{
    struct rd r = rd_init(pkt, len);
    rd_skip(&r, 16);
    uint8_t type = rd_u8(&r);
    rd_skip(&r, 11);
    size_t n = 0;
    while (type != 0 && n < cap && rd_ok(&r)) {
        types[n++] = type;
        type = rd_u8(&r);
        rd_skip(&r, 1);
        uint16_t plen = rd_u16(&r);
        rd_skip(&r, plen >= 4 ? plen - 4u : 0);
    }
    return n;
}

/*
 * IKE_SA_INIT request with SA (one IKE proposal, four transforms), KE and
 * Nonce, byte for byte.
 */
static void
sa_init_byte_exact(void)
{
    struct ikev2_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.hdr.spi_i = 0x0102030405060708u;
    msg.hdr.version = IKEV2_VERSION;
    msg.hdr.exchange = IKEV2_IKE_SA_INIT;
    msg.hdr.flags = IKEV2_FLAG_INITIATOR;
    msg.n_proposals = 1;
    struct ikev2_proposal *p = &msg.proposals[0];
    p->number = 1;
    p->protocol = IKEV2_PROTO_IKE;
    add_transform(p, IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CBC, 128);
    add_transform(p, IKEV2_TRANS_PRF, IKEV2_PRF_HMAC_SHA2_256, 0);
    add_transform(p, IKEV2_TRANS_INTEG, IKEV2_INTEG_HMAC_SHA2_256_128, 0);
    add_transform(p, IKEV2_TRANS_DH, IKEV2_DH_CURVE25519, 0);
    msg.has_ke = true;
    msg.ke.group = IKEV2_DH_CURVE25519;
    msg.ke.len = 32;
    fill(msg.ke.data, 32, 0x40);
    msg.has_nonce = true;
    msg.nonce_len = 16;
    fill(msg.nonce, 16, 0xa0);

    uint8_t expected[136] = {/* IKE header (RFC 7296 §3.1) */
                             0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* SPIi */
                             0, 0, 0, 0, 0, 0, 0, 0,                         /* SPIr */
                             33, 0x20, 34, 0x08, /* next SA, 2.0, IKE_SA_INIT, I */
                             0, 0, 0, 0,         /* Message ID */
                             0, 0, 0, 136,       /* Length */
                             /* SA payload: next KE, length 48 */
                             34, 0, 0, 48,
                             /* proposal 1, last, length 44, IKE, SPI size 0, 4 transforms */
                             0, 0, 0, 44, 1, 1, 0, 4,
                             /* ENCR_AES_CBC with Key Length 128 (AF=1, type 14) */
                             3, 0, 0, 12, 1, 0, 0, 12, 0x80, 0x0e, 0x00, 0x80,
                             /* PRF_HMAC_SHA2_256 */
                             3, 0, 0, 8, 2, 0, 0, 5,
                             /* AUTH_HMAC_SHA2_256_128 */
                             3, 0, 0, 8, 3, 0, 0, 12,
                             /* group 31, the last transform */
                             0, 0, 0, 8, 4, 0, 0, 31,
                             /* KE payload: next Nonce, length 40, group 31, reserved, data at 84 */
                             40, 0, 0, 40, 0, 31, 0, 0};
    fill(expected + 84, 32, 0x40);
    /* Nonce payload at 116: last, length 20, data at 120 */
    expected[116 + 3] = 20;
    fill(expected + 120, 16, 0xa0);

    uint8_t buf[256];
    size_t len = encode(&msg, NULL, buf, sizeof buf);
    CHECK_EQ_INT(len, sizeof expected);
    CHECK_EQ_MEM(buf, expected, sizeof expected);

    struct ikev2_msg back;
    CHECK_EQ_INT(ikev2_decode(buf, len, NULL, &back), IKEV2_OK);
    check_same_msg(&back, &msg);
    CHECK_EQ_INT(back.hdr.next_payload, IKEV2_PL_SA);
    CHECK_EQ_INT(back.hdr.length, 136);
    CHECK(!back.encrypted);
}

static void
check_clear_round_trip(uint8_t exchange, const uint8_t *order, size_t n_order)
{
    struct ikev2_msg msg, back;
    build_full_msg(&msg, exchange);
    uint8_t buf[MSG_CAP];
    size_t len = encode(&msg, NULL, buf, sizeof buf);

    CHECK_EQ_INT(ikev2_decode(buf, len, NULL, &back), IKEV2_OK);
    check_same_msg(&back, &msg);
    CHECK(!back.encrypted);
    CHECK_EQ_INT(back.n_skipped, 0);
    CHECK_EQ_INT(back.hdr.length, len);

    uint8_t types[32];
    size_t n = payload_order(buf, len, types, sizeof types);
    CHECK_EQ_INT(n, n_order);
    CHECK_EQ_MEM(types, order, n_order);
}

/* Every payload type in clear, in the order of RFC 7296 §1.2-§1.4. */
static void
clear_round_trip_every_payload(void)
{
    static const uint8_t auth_order[] = {
        IKEV2_PL_IDI,    IKEV2_PL_IDR, IKEV2_PL_AUTH,   IKEV2_PL_NOTIFY,
        IKEV2_PL_NOTIFY, IKEV2_PL_SA,  IKEV2_PL_NONCE,  IKEV2_PL_KE,
        IKEV2_PL_TSI,    IKEV2_PL_TSR, IKEV2_PL_DELETE, IKEV2_PL_DELETE,
    };
    check_clear_round_trip(IKEV2_IKE_AUTH, auth_order, sizeof auth_order);
    check_clear_round_trip(IKEV2_CREATE_CHILD_SA, auth_order, sizeof auth_order);
    static const uint8_t init_order[] = {
        IKEV2_PL_SA,     IKEV2_PL_KE,  IKEV2_PL_NONCE,  IKEV2_PL_NOTIFY,
        IKEV2_PL_NOTIFY, IKEV2_PL_IDI, IKEV2_PL_IDR,    IKEV2_PL_AUTH,
        IKEV2_PL_TSI,    IKEV2_PL_TSR, IKEV2_PL_DELETE, IKEV2_PL_DELETE,
    };
    check_clear_round_trip(IKEV2_IKE_SA_INIT, init_order, sizeof init_order);
}

static struct ikev2_sk_keys
test_keys(uint16_t integ)
{
    struct ikev2_sk_keys keys;
    memset(&keys, 0, sizeof keys);
    keys.encr = IKEV2_ENCR_AES_CBC;
    keys.integ = integ;
    keys.enc_key_len = 16;
    fill(keys.enc_key, 16, 0x11);
    keys.auth_key_len = integ == IKEV2_INTEG_HMAC_SHA1_96 ? 20 : 32;
    fill(keys.auth_key, keys.auth_key_len, 0x22);
    return keys;
}

static const uint16_t integs[] = {IKEV2_INTEG_HMAC_SHA1_96, IKEV2_INTEG_HMAC_SHA2_256_128};

static size_t
test_icv_len(uint16_t integ)
{
    return integ == IKEV2_INTEG_HMAC_SHA1_96 ? 12 : 16;
}

/* The truncated HMAC, from ikev2_prf (checked above against RFC vectors). */
static void
test_icv(const struct ikev2_sk_keys *keys, const uint8_t *data, size_t len, uint8_t *icv)
{
    uint16_t prf =
        keys->integ == IKEV2_INTEG_HMAC_SHA1_96 ? IKEV2_PRF_HMAC_SHA1 : IKEV2_PRF_HMAC_SHA2_256;
    uint8_t digest[IKEV2_MAX_PRF_LEN];
    CHECK_EQ_INT(ikev2_prf(prf, keys->auth_key, keys->auth_key_len, data, len, digest), IKEV2_OK);
    memcpy(icv, digest, test_icv_len(keys->integ));
}

static void
test_cbc(const uint8_t *key, const uint8_t *iv, int encrypt, const uint8_t *in, uint8_t *out,
         size_t len)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, m = 0;
    CHECK(EVP_CipherInit_ex(ctx, EVP_aes_128_cbc(), NULL, key, iv, encrypt) == 1);
    CHECK(EVP_CIPHER_CTX_set_padding(ctx, 0) == 1);
    CHECK(EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1);
    CHECK(EVP_CipherFinal_ex(ctx, out + n, &m) == 1);
    CHECK_EQ_INT(n + m, len);
    EVP_CIPHER_CTX_free(ctx);
}

/*
 * The SK payload layout (RFC 7296 §3.14), checked with OpenSSL directly:
 * header Next Payload 46, SK Next Payload = the first inner payload, IV,
 * ciphertext of [clear payloads | zero padding | Pad Length], and the ICV
 * over everything before it, header Length included.
 */
static void
sk_layout_matches_rfc(void)
{
    static const uint8_t iv[16] = {0x0f, 0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 0x09, 0x08,
                                   0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x00};
    for (size_t a = 0; a < 2; a++) {
        struct ikev2_sk_keys keys = test_keys(integs[a]);
        size_t icvl = test_icv_len(integs[a]);
        struct ikev2_msg msg;
        build_full_msg(&msg, IKEV2_IKE_AUTH);
        uint8_t clear[MSG_CAP], sealed[MSG_CAP];
        size_t clear_len = encode(&msg, NULL, clear, sizeof clear);
        size_t len = encode(&msg, &keys, sealed, sizeof sealed);
        size_t plain_len = clear_len - IKEV2_HEADER_LEN;
        size_t pad = (16 - (plain_len + 1) % 16) % 16;

        CHECK_EQ_INT(len, clear_len + ikev2_sk_overhead(&keys, plain_len));
        CHECK_EQ_INT(len, IKEV2_HEADER_LEN + 4 + 16 + plain_len + pad + 1 + icvl);
        CHECK_EQ_MEM(sealed, clear, 16); /* SPIs */
        CHECK_EQ_INT(sealed[16], IKEV2_PL_SK);
        CHECK_EQ_MEM(sealed + 17, clear + 17, 7); /* version .. Message ID */
        CHECK_EQ_INT(get_u16(sealed + 26), len);
        CHECK_EQ_INT(sealed[28], clear[16]); /* first inner payload: IDi */
        CHECK_EQ_INT(sealed[29], 0);
        CHECK_EQ_INT(get_u16(sealed + 30), len - IKEV2_HEADER_LEN);
        CHECK_EQ_MEM(sealed + 32, iv, 16);

        uint8_t icv[16];
        test_icv(&keys, sealed, len - icvl, icv);
        CHECK_EQ_MEM(sealed + len - icvl, icv, icvl);

        size_t ct_len = plain_len + pad + 1;
        uint8_t plain[MSG_CAP];
        test_cbc(keys.enc_key, iv, 0, sealed + 48, plain, ct_len);
        CHECK_EQ_MEM(plain, clear + IKEV2_HEADER_LEN, plain_len);
        static const uint8_t zero[16];
        CHECK_EQ_MEM(plain + plain_len, zero, pad);
        CHECK_EQ_INT(plain[ct_len - 1], pad);

        struct ikev2_msg back;
        CHECK_EQ_INT(ikev2_decode(sealed, len, &keys, &back), IKEV2_OK);
        check_same_msg(&back, &msg);
        CHECK(back.encrypted);
        CHECK_EQ_INT(back.hdr.next_payload, IKEV2_PL_SK);
    }
}

static void
sk_round_trip_every_exchange(void)
{
    static const uint8_t exchanges[] = {IKEV2_IKE_SA_INIT, IKEV2_IKE_AUTH, IKEV2_CREATE_CHILD_SA,
                                        IKEV2_INFORMATIONAL};
    for (size_t a = 0; a < 2; a++) {
        struct ikev2_sk_keys keys = test_keys(integs[a]);
        for (size_t e = 0; e < sizeof exchanges; e++) {
            struct ikev2_msg msg, back;
            build_full_msg(&msg, exchanges[e]);
            msg.hdr.flags = IKEV2_FLAG_RESPONSE;
            uint8_t buf[MSG_CAP];
            size_t len = encode(&msg, &keys, buf, sizeof buf);
            CHECK_EQ_INT(ikev2_decode(buf, len, &keys, &back), IKEV2_OK);
            check_same_msg(&back, &msg);
            CHECK(back.encrypted);
        }

        /* The other side's keys, or the other algorithm's, fail the ICV. */
        struct ikev2_msg msg, back;
        build_full_msg(&msg, IKEV2_INFORMATIONAL);
        uint8_t buf[MSG_CAP];
        size_t len = encode(&msg, &keys, buf, sizeof buf);
        struct ikev2_sk_keys other = keys;
        other.auth_key[0] ^= 1;
        CHECK_EQ_INT(ikev2_decode(buf, len, &other, &back), IKEV2_ICV_MISMATCH);
        CHECK_EQ_INT(ikev2_decode(buf, len, NULL, &back), IKEV2_NO_KEYS);
    }
}

/* An INFORMATIONAL with an empty SK payload: the liveness check of RFC 7296 §2.4. */
static void
sk_empty_liveness_check(void)
{
    for (size_t a = 0; a < 2; a++) {
        struct ikev2_sk_keys keys = test_keys(integs[a]);
        struct ikev2_msg msg, back;
        memset(&msg, 0, sizeof msg);
        msg.hdr.spi_i = 1;
        msg.hdr.spi_r = 2;
        msg.hdr.version = IKEV2_VERSION;
        msg.hdr.exchange = IKEV2_INFORMATIONAL;
        msg.hdr.message_id = 9;
        uint8_t buf[128];
        size_t len = encode(&msg, &keys, buf, sizeof buf);
        CHECK_EQ_INT(len, IKEV2_HEADER_LEN + 4 + 16 + 16 + test_icv_len(integs[a]));
        CHECK_EQ_INT(buf[28], IKEV2_PL_NONE);
        CHECK_EQ_INT(ikev2_decode(buf, len, &keys, &back), IKEV2_OK);
        CHECK(back.encrypted);
        check_same_msg(&back, &msg);
    }
}

/*
 * Flip each bit of an SK message.  The ICV covers every byte, so every
 * flip gives IKEV2_ICV_MISMATCH, except in the fields checked before the
 * ICV can be found: the header's Next Payload, major version and Length,
 * and the SK payload Length.  Those give another error.
 */
static void
sk_every_bit_flip_rejected(void)
{
    for (size_t a = 0; a < 2; a++) {
        struct ikev2_sk_keys keys = test_keys(integs[a]);
        struct ikev2_msg msg, back;
        build_full_msg(&msg, IKEV2_CREATE_CHILD_SA);
        uint8_t buf[MSG_CAP], copy[MSG_CAP];
        size_t len = encode(&msg, &keys, buf, sizeof buf);
        size_t failures = 0;

        for (size_t byte = 0; byte < len; byte++) {
            for (int bit = 0; bit < 8; bit++) {
                memcpy(copy, buf, len);
                copy[byte] ^= (uint8_t)(1u << bit);
                enum ikev2_status status = ikev2_decode(copy, len, &keys, &back);
                bool structural = byte == 16 || (byte == 17 && bit >= 4) ||
                                  (byte >= 24 && byte <= 27) || byte == 30 || byte == 31;
                bool ok = structural ? status != IKEV2_OK : status == IKEV2_ICV_MISMATCH;
                if (!ok && failures++ < 5)
                    fprintf(stderr, "byte %zu bit %d: %s\n", byte, bit, ikev2_status_name(status));
                CHECK(ok);
            }
        }
    }
}

/* Every shorter datagram, and every shorter message with its Length set to match, fails. */
static void
every_truncation_rejected(void)
{
    struct ikev2_sk_keys keys = test_keys(IKEV2_INTEG_HMAC_SHA2_256_128);
    for (int sealed = 0; sealed < 2; sealed++) {
        struct ikev2_msg msg, back;
        build_full_msg(&msg, IKEV2_IKE_AUTH);
        uint8_t buf[MSG_CAP];
        size_t len = encode(&msg, sealed ? &keys : NULL, buf, sizeof buf);
        for (size_t n = 0; n < len; n++) {
            /* A copy of exactly n bytes, so that ASan detects any read past it. */
            uint8_t *copy = malloc(n ? n : 1);
            memcpy(copy, buf, n);
            enum ikev2_status status = ikev2_decode(copy, n, &keys, &back);
            CHECK_EQ_INT(status, n < IKEV2_HEADER_LEN ? IKEV2_TRUNCATED : IKEV2_BAD_LENGTH);
            if (n >= IKEV2_HEADER_LEN) {
                struct wr w = wr_init(copy + 24, 4);
                wr_u32(&w, (uint32_t)n);
                status = ikev2_decode(copy, n, &keys, &back);
                if (status == IKEV2_OK)
                    fprintf(stderr, "%s message cut to %zu bytes decoded\n",
                            sealed ? "SK" : "clear", n);
                CHECK(status != IKEV2_OK);
            }
            free(copy);
        }
    }
}

static void
header_checks(void)
{
    struct ikev2_msg msg, back;
    build_full_msg(&msg, IKEV2_IKE_AUTH);
    uint8_t buf[MSG_CAP];
    size_t len = encode(&msg, NULL, buf, sizeof buf);

    struct ikev2_header hdr;
    CHECK_EQ_INT(ikev2_read_header(buf, len, &hdr), IKEV2_OK);
    CHECK(hdr.spi_i == msg.hdr.spi_i);
    CHECK(hdr.spi_r == msg.hdr.spi_r);
    CHECK_EQ_INT(hdr.next_payload, IKEV2_PL_IDI);
    CHECK_EQ_INT(hdr.exchange, IKEV2_IKE_AUTH);
    CHECK_EQ_INT(hdr.flags, IKEV2_FLAG_INITIATOR);
    CHECK_EQ_INT(hdr.message_id, 7);
    CHECK_EQ_INT(hdr.length, len);
    CHECK_EQ_INT(ikev2_read_header(buf, 27, &hdr), IKEV2_TRUNCATED);
    CHECK_EQ_INT(ikev2_read_header(buf, len - 1, &hdr), IKEV2_BAD_LENGTH);

    /* RFC 7296 §2.5: major version 1 or 3 is rejected, minor version 1 is ignored. */
    static const struct {
        uint8_t version;
        enum ikev2_status expected;
    } versions[] = {
        {0x10, IKEV2_BAD_VERSION}, {0x30, IKEV2_BAD_VERSION}, {0x21, IKEV2_OK}, {0x2f, IKEV2_OK}};
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        buf[17] = versions[i].version;
        CHECK_EQ_INT(ikev2_decode(buf, len, NULL, &back), versions[i].expected);
    }
    buf[17] = IKEV2_VERSION;

    /* Length 1 more than the datagram. */
    buf[27]++;
    CHECK_EQ_INT(ikev2_decode(buf, len, NULL, &back), IKEV2_BAD_LENGTH);
}

/* ---- hand-built messages for the decoder's checks ---- */

struct raw {
    uint8_t buf[3 * MSG_CAP];
    struct wr w;
    size_t next_at; /* offset of the Next Payload field that the next payload sets */
};

static void
raw_begin(struct raw *m, uint8_t exchange)
{
    m->w = wr_init(m->buf, sizeof m->buf);
    wr_u64(&m->w, 0x1111);
    wr_u64(&m->w, 0x2222);
    m->next_at = m->w.pos;
    wr_u8(&m->w, IKEV2_PL_NONE);
    wr_u8(&m->w, IKEV2_VERSION);
    wr_u8(&m->w, exchange);
    wr_u8(&m->w, IKEV2_FLAG_INITIATOR);
    wr_u32(&m->w, 1);
    wr_u32(&m->w, 0);
}

static void
raw_payload(struct raw *m, uint8_t type, uint8_t flags, const uint8_t *body, size_t len)
{
    m->buf[m->next_at] = type;
    m->next_at = m->w.pos;
    wr_u8(&m->w, IKEV2_PL_NONE);
    wr_u8(&m->w, flags);
    wr_u16(&m->w, (uint16_t)(len + 4));
    wr_bytes(&m->w, body, len);
}

static void
raw_hex_payload(struct raw *m, uint8_t type, const char *hex)
{
    uint8_t body[512];
    size_t len = strlen(hex) / 2;
    CHECK(len <= sizeof body);
    parse_hex(hex, body, len);
    raw_payload(m, type, 0, body, len);
}

static size_t
raw_end(struct raw *m)
{
    CHECK(wr_ok(&m->w));
    struct wr length = wr_init(m->buf + 24, 4);
    wr_u32(&length, (uint32_t)m->w.pos);
    return m->w.pos;
}

static enum ikev2_status
raw_decode(struct raw *m, const struct ikev2_sk_keys *keys, struct ikev2_msg *msg)
{
    size_t len = raw_end(m);
    return ikev2_decode(m->buf, len, keys, msg);
}

/*
 * Append an SK payload around plaintext[0..len), which must already
 * contain the inner payloads, padding and Pad Length in whole blocks.
 * first is the type of the first inner payload.  ct_extra adds bytes of
 * ciphertext that are not a whole block.
 */
static void
raw_sealed(struct raw *m, const struct ikev2_sk_keys *keys, uint8_t first, const uint8_t *plaintext,
           size_t len, size_t ct_extra)
{
    static const uint8_t iv[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};
    size_t icvl = test_icv_len(keys->integ);
    m->buf[m->next_at] = IKEV2_PL_SK;
    wr_u8(&m->w, first);
    wr_u8(&m->w, 0);
    wr_u16(&m->w, (uint16_t)(4 + 16 + len + ct_extra + icvl));
    wr_bytes(&m->w, iv, 16);
    uint8_t *ct = wr_reserve(&m->w, len + ct_extra);
    CHECK(ct != NULL);
    test_cbc(keys->enc_key, iv, 1, plaintext, ct, len);
    memset(ct + len, 0x5a, ct_extra);
    uint8_t *icv = wr_reserve(&m->w, icvl);
    CHECK(icv != NULL);
    raw_end(m);
    test_icv(keys, m->buf, m->w.pos - icvl, icv);
}

static const char addr_pair[] = "20010db8000100000000000000000010"
                                "20010db8000100000000000000000010";

/* A message with one payload of type and body hex (spaces allowed). */
static enum ikev2_status
decode_one_payload(uint8_t type, const char *hex, struct ikev2_msg *msg)
{
    static struct raw m;
    char compact[512];
    size_t n = 0;
    for (const char *c = hex; *c != 0 && n + 1 < sizeof compact; c++) {
        if (*c != ' ')
            compact[n++] = *c;
    }
    compact[n] = 0;
    raw_begin(&m, IKEV2_CREATE_CHILD_SA);
    raw_hex_payload(&m, type, compact);
    return raw_decode(&m, NULL, msg);
}

static void
decode_rejects_bad_fields(void)
{
    char ts_41[200], ts_two_counted[200];
    snprintf(ts_41, sizeof ts_41, "01000000 08000029 0000ffff %s 00", addr_pair);
    snprintf(ts_two_counted, sizeof ts_two_counted, "02000000 08000028 0000ffff %s", addr_pair);
    const struct {
        const char *name;
        uint8_t type;
        const char *body; /* hex */
    } cases[] = {
        {"Key Length as TLV", IKEV2_PL_SA, "00000016 01010001 0000000e 0100000c 000e0002 0080"},
        {"two attributes", IKEV2_PL_SA, "00000018 01010001 00000010 0100000c 800e0080 800e0080"},
        {"Key Length 0", IKEV2_PL_SA, "00000014 01010001 0000000c 0100000c 800e0000"},
        {"unknown attribute", IKEV2_PL_SA, "00000014 01010001 0000000c 0100000c 80010080"},
        {"Num Transforms above the count", IKEV2_PL_SA, "00000010 01010002 00000008 0100000c"},
        {"Num Transforms below the count", IKEV2_PL_SA,
         "00000018 01010001 00000008 0100000c 00000008 02000005"},
        {"last proposal marked 2", IKEV2_PL_SA, "02000010 01010001 00000008 0100000c"},
        {"proposal after the last", IKEV2_PL_SA,
         "00000010 01010001 00000008 0100000c 00000010 02010001 00000008 0100000c"},
        {"Last Substruc 1", IKEV2_PL_SA, "01000010 01010001 00000008 0100000c"},
        {"last transform marked 3", IKEV2_PL_SA, "00000010 01010001 03000008 0100000c"},
        {"transform length 7", IKEV2_PL_SA, "00000010 01010001 00000007 0100000c"},
        {"proposal longer than SA", IKEV2_PL_SA, "00000020 01010001 00000008 0100000c"},
        {"ESP SPI size 8", IKEV2_PL_SA, "00000018 01030801 01020304 05060708 00000008 0100000c"},
        {"IKE SPI size 4", IKEV2_PL_SA, "00000014 01010401 01020304 00000008 0100000c"},
        {"protocol 9", IKEV2_PL_SA, "00000010 01090001 00000008 0100000c"},
        {"empty SA", IKEV2_PL_SA, ""},
        {"IPv4 selector", IKEV2_PL_TSI, "01000000 07000010 0000ffff c0000201 c0000201"},
        {"selector length 41", IKEV2_PL_TSI, ts_41},
        {"2 selectors counted, 1 sent", IKEV2_PL_TSI, ts_two_counted},
        {"no selectors", IKEV2_PL_TSR, "00000000"},
        {"delete IKE with an SPI", IKEV2_PL_DELETE, "01000001 00001234"},
        {"delete ESP SPI size 8", IKEV2_PL_DELETE, "03080001 00000000 00001234"},
        {"delete count mismatch", IKEV2_PL_DELETE, "03040002 00001234"},
        {"delete protocol 9", IKEV2_PL_DELETE, "09040001 00001234"},
        {"KE without group", IKEV2_PL_KE, "001f00"},
        {"ID without type", IKEV2_PL_IDI, "020000"},
        {"AUTH without method", IKEV2_PL_AUTH, "020000"},
        {"notify SPI past the end", IKEV2_PL_NOTIFY, "03044009 0102"},
        {"notify without type", IKEV2_PL_NOTIFY, "000040"},
    };

    struct ikev2_msg msg;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum ikev2_status status = decode_one_payload(cases[i].type, cases[i].body, &msg);
        if (status != IKEV2_BAD_PAYLOAD)
            fprintf(stderr, "failing case: %s gives %s\n", cases[i].name,
                    ikev2_status_name(status));
        CHECK_EQ_INT(status, IKEV2_BAD_PAYLOAD);
    }

    /* The valid forms next to them decode. */
    CHECK_EQ_INT(
        decode_one_payload(IKEV2_PL_SA, "00000014 01010001 0000000c 0100000c 800e0080", &msg),
        IKEV2_OK);
    CHECK_EQ_INT(msg.proposals[0].transforms[0].key_bits, 128);
    char ts_mh[200];
    snprintf(ts_mh, sizeof ts_mh, "01000000 08870028 050005ff %s", addr_pair);
    CHECK_EQ_INT(decode_one_payload(IKEV2_PL_TSI, ts_mh, &msg), IKEV2_OK);
    CHECK_EQ_INT(msg.tsi[0].proto, 135);
    CHECK_EQ_INT(msg.tsi[0].start_port, 0x0500);
    CHECK_EQ_INT(msg.tsi[0].end_port, 0x05ff);
    CHECK_EQ_INT(decode_one_payload(IKEV2_PL_DELETE, "03040002 00001234 00005678", &msg), IKEV2_OK);
    CHECK_EQ_INT(msg.deletes[0].spis[1], 0x5678);
    CHECK_EQ_INT(decode_one_payload(IKEV2_PL_DELETE, "01000000", &msg), IKEV2_OK);
    CHECK_EQ_INT(msg.deletes[0].n_spis, 0);
}

static void
decode_rejects_bad_chain(void)
{
    static struct raw m;
    struct ikev2_msg msg;
    static const uint8_t nonce[16] = {0};

    /* Payload Length 3, shorter than the generic header (RFC 7296 §3.2). */
    raw_begin(&m, IKEV2_INFORMATIONAL);
    raw_payload(&m, IKEV2_PL_NONCE, 0, nonce, sizeof nonce);
    m.buf[IKEV2_HEADER_LEN + 3] = 3;
    CHECK_EQ_INT(raw_decode(&m, NULL, &msg), IKEV2_BAD_PAYLOAD);

    /* Payload Length past the end of the message. */
    raw_begin(&m, IKEV2_INFORMATIONAL);
    raw_payload(&m, IKEV2_PL_NONCE, 0, nonce, sizeof nonce);
    m.buf[IKEV2_HEADER_LEN + 3] = 21;
    CHECK_EQ_INT(raw_decode(&m, NULL, &msg), IKEV2_TRUNCATED);

    /* A Next Payload that names a payload the message does not have. */
    raw_begin(&m, IKEV2_INFORMATIONAL);
    raw_payload(&m, IKEV2_PL_NONCE, 0, nonce, sizeof nonce);
    m.buf[IKEV2_HEADER_LEN] = IKEV2_PL_NOTIFY;
    CHECK_EQ_INT(raw_decode(&m, NULL, &msg), IKEV2_TRUNCATED);

    /* Bytes after the last payload. */
    raw_begin(&m, IKEV2_INFORMATIONAL);
    raw_payload(&m, IKEV2_PL_NONCE, 0, nonce, sizeof nonce);
    wr_u32(&m.w, 0);
    CHECK_EQ_INT(raw_decode(&m, NULL, &msg), IKEV2_BAD_PAYLOAD);

    /* A header-only message has no payloads and decodes. */
    raw_begin(&m, IKEV2_INFORMATIONAL);
    CHECK_EQ_INT(raw_decode(&m, NULL, &msg), IKEV2_OK);
}

/* RFC 7296 §2.5 and §3.2: the critical bit decides only for unknown types. */
static void
unknown_and_skipped_payloads(void)
{
    static struct raw m;
    struct ikev2_msg msg;
    static const uint8_t body[8] = {1, 2, 3, 4, 5, 6, 7, 8};

    raw_begin(&m, IKEV2_IKE_AUTH);
    raw_payload(&m, 200, CRITICAL_FLAG, body, sizeof body);
    CHECK_EQ_INT(raw_decode(&m, NULL, &msg), IKEV2_UNSUPPORTED_CRITICAL);

    /* EAP (48) is not implemented here, so it counts as unknown. */
    raw_begin(&m, IKEV2_IKE_AUTH);
    raw_payload(&m, 48, CRITICAL_FLAG, body, sizeof body);
    CHECK_EQ_INT(raw_decode(&m, NULL, &msg), IKEV2_UNSUPPORTED_CRITICAL);

    raw_begin(&m, IKEV2_IKE_AUTH);
    raw_payload(&m, IKEV2_PL_CERT, CRITICAL_FLAG, body, sizeof body);
    raw_payload(&m, IKEV2_PL_CERTREQ, 0, body, sizeof body);
    raw_payload(&m, IKEV2_PL_VENDOR, 0, body, 0);
    raw_payload(&m, IKEV2_PL_CP, 0, body, sizeof body);
    raw_payload(&m, 200, 0x7f, body, sizeof body); /* reserved bits set, critical clear */
    raw_hex_payload(&m, IKEV2_PL_NOTIFY, "00004009");
    CHECK_EQ_INT(raw_decode(&m, NULL, &msg), IKEV2_OK);
    CHECK_EQ_INT(msg.n_skipped, 5);
    CHECK_EQ_INT(msg.n_notifies, 1);
    CHECK_EQ_INT(msg.notifies[0].type, IKEV2_N_REKEY_SA);

    /* The critical bit on a known payload is ignored. */
    uint8_t nonce[16];
    fill(nonce, sizeof nonce, 3);
    raw_begin(&m, IKEV2_IKE_AUTH);
    raw_payload(&m, IKEV2_PL_NONCE, CRITICAL_FLAG, nonce, sizeof nonce);
    CHECK_EQ_INT(raw_decode(&m, NULL, &msg), IKEV2_OK);
    CHECK_EQ_INT(msg.nonce_len, 16);
}

static void
nonce_length_limits(void)
{
    /* RFC 7296 §3.9: 16 to 256 bytes. */
    static const struct {
        uint16_t len;
        enum ikev2_status expected;
    } cases[] = {
        {0, IKEV2_BAD_PAYLOAD}, {15, IKEV2_BAD_PAYLOAD},  {16, IKEV2_OK},
        {256, IKEV2_OK},        {257, IKEV2_BAD_PAYLOAD},
    };
    static struct raw m;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ikev2_msg msg, back;
        memset(&msg, 0, sizeof msg);
        msg.hdr.version = IKEV2_VERSION;
        msg.hdr.exchange = IKEV2_IKE_SA_INIT;
        msg.has_nonce = true;
        msg.nonce_len = cases[i].len;
        uint8_t buf[512];
        struct wr w = wr_init(buf, sizeof buf);
        CHECK_EQ_INT(ikev2_encode(&msg, NULL, NULL, &w), cases[i].expected);

        uint8_t data[300];
        fill(data, sizeof data, 0x42);
        raw_begin(&m, IKEV2_IKE_SA_INIT);
        raw_payload(&m, IKEV2_PL_NONCE, 0, data, cases[i].len);
        CHECK_EQ_INT(raw_decode(&m, NULL, &back), cases[i].expected);
        if (cases[i].expected == IKEV2_OK)
            CHECK_EQ_INT(back.nonce_len, cases[i].len);
    }
}

/* A proposal for ESP with n_transforms transforms, written by hand. */
static size_t
write_raw_sa(uint8_t *out, size_t n_proposals, size_t n_transforms)
{
    struct wr w = wr_init(out, 2048);
    for (size_t p = 0; p < n_proposals; p++) {
        wr_u8(&w, p + 1 == n_proposals ? 0 : 2);
        wr_u8(&w, 0);
        wr_u16(&w, (uint16_t)(8 + 4 + 8 * n_transforms));
        wr_u8(&w, (uint8_t)(p + 1));
        wr_u8(&w, IKEV2_PROTO_ESP);
        wr_u8(&w, 4);
        wr_u8(&w, (uint8_t)n_transforms);
        wr_u32(&w, 0x1000);
        for (size_t t = 0; t < n_transforms; t++) {
            wr_u8(&w, t + 1 == n_transforms ? 0 : 3);
            wr_u8(&w, 0);
            wr_u16(&w, 8);
            wr_u8(&w, IKEV2_TRANS_INTEG);
            wr_u8(&w, 0);
            wr_u16(&w, (uint16_t)t);
        }
    }
    return w.pos;
}

/* Repeat one payload: count copies of type with body[0..len). */
static enum ikev2_status
decode_repeated(uint8_t type, const uint8_t *body, size_t len, size_t count)
{
    static struct raw m;
    static struct ikev2_msg msg;
    raw_begin(&m, IKEV2_INFORMATIONAL);
    for (size_t i = 0; i < count; i++)
        raw_payload(&m, type, 0, body, len);
    return raw_decode(&m, NULL, &msg);
}

static void
decode_capacity_limits(void)
{
    uint8_t body[2048];
    memset(body, 0, sizeof body);

    /* One past each capacity is IKEV2_TOO_MANY, and the capacity itself decodes. */
    size_t len = write_raw_sa(body, IKEV2_MAX_PROPOSALS, 1);
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_SA, body, len, 1), IKEV2_OK);
    len = write_raw_sa(body, IKEV2_MAX_PROPOSALS + 1, 1);
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_SA, body, len, 1), IKEV2_TOO_MANY);
    len = write_raw_sa(body, 1, IKEV2_MAX_TRANSFORMS);
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_SA, body, len, 1), IKEV2_OK);
    len = write_raw_sa(body, 1, IKEV2_MAX_TRANSFORMS + 1);
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_SA, body, len, 1), IKEV2_TOO_MANY);
    len = write_raw_sa(body, 1, 1);
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_SA, body, len, 2), IKEV2_TOO_MANY);

    memset(body, 0, sizeof body);
    body[1] = IKEV2_DH_CURVE25519;
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_KE, body, 4 + IKEV2_MAX_KE_LEN, 1), IKEV2_OK);
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_KE, body, 4 + IKEV2_MAX_KE_LEN + 1, 1), IKEV2_TOO_MANY);
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_KE, body, 4 + 32, 2), IKEV2_TOO_MANY);

    memset(body, 0, sizeof body);
    body[0] = IKEV2_ID_KEY_ID;
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_IDI, body, 4 + IKEV2_MAX_ID_LEN, 1), IKEV2_OK);
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_IDI, body, 4 + IKEV2_MAX_ID_LEN + 1, 1), IKEV2_TOO_MANY);
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_IDR, body, 4 + IKEV2_MAX_ID_LEN + 1, 1), IKEV2_TOO_MANY);
    body[0] = IKEV2_AUTH_PSK;
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_AUTH, body, 4 + IKEV2_MAX_AUTH_LEN, 1), IKEV2_OK);
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_AUTH, body, 4 + IKEV2_MAX_AUTH_LEN + 1, 1),
                 IKEV2_TOO_MANY);
    uint8_t nonce[16] = {0};
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_NONCE, nonce, 16, 2), IKEV2_TOO_MANY);

    /* Notify: protocol 0, SPI size, type, SPI, data. */
    memset(body, 0, sizeof body);
    body[3] = 1;
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_NOTIFY, body, 4, IKEV2_MAX_NOTIFIES), IKEV2_OK);
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_NOTIFY, body, 4, IKEV2_MAX_NOTIFIES + 1), IKEV2_TOO_MANY);
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_NOTIFY, body, 4 + IKEV2_MAX_NOTIFY_DATA, 1), IKEV2_OK);
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_NOTIFY, body, 4 + IKEV2_MAX_NOTIFY_DATA + 1, 1),
                 IKEV2_TOO_MANY);
    body[1] = IKEV2_MAX_SPI_LEN + 1;
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_NOTIFY, body, 4 + IKEV2_MAX_SPI_LEN + 1, 1),
                 IKEV2_TOO_MANY);

    /* Delete: ESP, SPI size 4, Num of SPIs. */
    memset(body, 0, sizeof body);
    body[0] = IKEV2_PROTO_ESP;
    body[1] = 4;
    body[3] = IKEV2_MAX_DELETE_SPIS;
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_DELETE, body, 4 + 4 * IKEV2_MAX_DELETE_SPIS, 1),
                 IKEV2_OK);
    body[3] = IKEV2_MAX_DELETE_SPIS + 1;
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_DELETE, body, 4 + 4 * (IKEV2_MAX_DELETE_SPIS + 1), 1),
                 IKEV2_TOO_MANY);
    body[3] = 1;
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_DELETE, body, 8, IKEV2_MAX_DELETES), IKEV2_OK);
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_DELETE, body, 8, IKEV2_MAX_DELETES + 1), IKEV2_TOO_MANY);

    /* TS: count, then 40-byte selectors. */
    memset(body, 0, sizeof body);
    for (size_t i = 0; i <= IKEV2_MAX_TS; i++) {
        body[4 + 40 * i] = IKEV2_TS_IPV6_ADDR_RANGE;
        body[4 + 40 * i + 3] = 40;
    }
    body[0] = IKEV2_MAX_TS;
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_TSI, body, 4 + 40 * IKEV2_MAX_TS, 1), IKEV2_OK);
    body[0] = IKEV2_MAX_TS + 1;
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_TSI, body, 4 + 40 * (IKEV2_MAX_TS + 1), 1),
                 IKEV2_TOO_MANY);
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_TSR, body, 4 + 40 * (IKEV2_MAX_TS + 1), 1),
                 IKEV2_TOO_MANY);
    body[0] = 1;
    CHECK_EQ_INT(decode_repeated(IKEV2_PL_TSR, body, 4 + 40, 2), IKEV2_TOO_MANY);
}

static void
encode_capacity_limits(void)
{
    struct ikev2_msg base;
    build_full_msg(&base, IKEV2_IKE_AUTH);
    static struct ikev2_msg msg;
    uint8_t buf[MSG_CAP];
    static const uint8_t iv[16];

    static const struct {
        const char *name;
        int field;
        enum ikev2_status expected;
    } cases[] = {
        {"5 proposals", 0, IKEV2_TOO_MANY},
        {"17 transforms", 1, IKEV2_TOO_MANY},
        {"9 notifies", 2, IKEV2_TOO_MANY},
        {"5 deletes", 3, IKEV2_TOO_MANY},
        {"17 delete SPIs", 4, IKEV2_TOO_MANY},
        {"5 TSi", 5, IKEV2_TOO_MANY},
        {"5 TSr", 6, IKEV2_TOO_MANY},
        {"KE 513 bytes", 7, IKEV2_BAD_PAYLOAD},
        {"IDi 256 bytes", 8, IKEV2_BAD_PAYLOAD},
        {"IDr 256 bytes", 9, IKEV2_BAD_PAYLOAD},
        {"AUTH 513 bytes", 10, IKEV2_BAD_PAYLOAD},
        {"notify data 65", 11, IKEV2_BAD_PAYLOAD},
        {"notify SPI 9", 12, IKEV2_BAD_PAYLOAD},
        {"ESP SPI size 8", 13, IKEV2_BAD_PAYLOAD},
        {"IPv4 selector", 14, IKEV2_BAD_PAYLOAD},
        {"delete protocol 9", 15, IKEV2_BAD_PAYLOAD},
        {"IKE delete with SPIs", 16, IKEV2_BAD_PAYLOAD},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        msg = base;
        switch (cases[i].field) {
        case 0:
            msg.n_proposals = IKEV2_MAX_PROPOSALS + 1;
            break;
        case 1:
            msg.proposals[1].n_transforms = IKEV2_MAX_TRANSFORMS + 1;
            break;
        case 2:
            msg.n_notifies = IKEV2_MAX_NOTIFIES + 1;
            break;
        case 3:
            msg.n_deletes = IKEV2_MAX_DELETES + 1;
            break;
        case 4:
            msg.deletes[1].n_spis = IKEV2_MAX_DELETE_SPIS + 1;
            break;
        case 5:
            msg.n_tsi = IKEV2_MAX_TS + 1;
            break;
        case 6:
            msg.n_tsr = IKEV2_MAX_TS + 1;
            break;
        case 7:
            msg.ke.len = IKEV2_MAX_KE_LEN + 1;
            break;
        case 8:
            msg.idi.len = IKEV2_MAX_ID_LEN + 1;
            break;
        case 9:
            msg.idr.len = IKEV2_MAX_ID_LEN + 1;
            break;
        case 10:
            msg.auth.len = IKEV2_MAX_AUTH_LEN + 1;
            break;
        case 11:
            msg.notifies[1].data_len = IKEV2_MAX_NOTIFY_DATA + 1;
            break;
        case 12:
            msg.notifies[1].spi_len = IKEV2_MAX_SPI_LEN + 1;
            break;
        case 13:
            msg.proposals[0].spi_len = 8;
            break;
        case 14:
            msg.tsr[0].type = 7;
            break;
        case 15:
            msg.deletes[0].protocol = 9;
            break;
        case 16:
            msg.deletes[0].n_spis = 1;
            break;
        }
        struct wr w = wr_init(buf, sizeof buf);
        enum ikev2_status status = ikev2_encode(&msg, NULL, iv, &w);
        if (status != cases[i].expected)
            fprintf(stderr, "failing case: %s gives %s\n", cases[i].name,
                    ikev2_status_name(status));
        CHECK_EQ_INT(status, cases[i].expected);
        CHECK_EQ_INT(w.pos, 0);
    }
}

static void
encode_rejects_small_output(void)
{
    struct ikev2_sk_keys keys = test_keys(IKEV2_INTEG_HMAC_SHA1_96);
    static const uint8_t iv[16];
    for (int sealed = 0; sealed < 2; sealed++) {
        struct ikev2_msg msg;
        build_full_msg(&msg, IKEV2_IKE_AUTH);
        uint8_t buf[MSG_CAP];
        size_t len = encode(&msg, sealed ? &keys : NULL, buf, sizeof buf);
        for (size_t cap = 0; cap < len; cap++) {
            uint8_t *out = malloc(cap ? cap : 1);
            struct wr w = wr_init(out, cap);
            CHECK_EQ_INT(ikev2_encode(&msg, sealed ? &keys : NULL, iv, &w), IKEV2_NO_SPACE);
            CHECK(!wr_ok(&w));
            free(out);
        }
    }
}

static void
sk_rejects_bad_keys(void)
{
    struct ikev2_sk_keys good = test_keys(IKEV2_INTEG_HMAC_SHA2_256_128);
    struct ikev2_msg msg, back;
    build_full_msg(&msg, IKEV2_INFORMATIONAL);
    uint8_t buf[MSG_CAP];
    size_t len = encode(&msg, &good, buf, sizeof buf);
    CHECK(ikev2_sk_overhead(&good, 100) > 0);

    for (int i = 0; i < 5; i++) {
        struct ikev2_sk_keys keys = good;
        switch (i) {
        case 0:
            keys.encr = 13; /* ENCR_AES_CTR */
            break;
        case 1:
            keys.enc_key_len = 32;
            break;
        case 2:
            keys.integ = 5; /* AUTH_AES_XCBC_96 */
            break;
        case 3:
            keys.auth_key_len = 20;
            break;
        case 4:
            keys.integ = IKEV2_INTEG_HMAC_SHA1_96; /* a 32-byte key for HMAC-SHA1-96 */
            break;
        }
        uint8_t out[MSG_CAP];
        static const uint8_t iv[16];
        struct wr w = wr_init(out, sizeof out);
        CHECK_EQ_INT(ikev2_encode(&msg, &keys, iv, &w), IKEV2_BAD_ALGORITHM);
        CHECK_EQ_INT(ikev2_decode(buf, len, &keys, &back), IKEV2_BAD_ALGORITHM);
        CHECK_EQ_INT(ikev2_sk_overhead(&keys, 100), 0);
    }
}

/* SK payloads built by hand: placement, padding and length errors. */
static void
sk_structure_checks(void)
{
    static struct raw m;
    struct ikev2_msg msg;
    struct ikev2_sk_keys keys = test_keys(IKEV2_INTEG_HMAC_SHA1_96);
    uint8_t plain[64];

    /* A notify, 4 bytes of non-zero padding, Pad Length 3 + 16: RFC 7296
     * §3.14 allows any padding contents and more than one block of it. */
    memset(plain, 0xcc, sizeof plain);
    static const uint8_t notify[8] = {0, 0, 0, 8, 0, 0, 0x40, 0x09};
    memcpy(plain, notify, 8);
    plain[31] = 23;
    raw_begin(&m, IKEV2_INFORMATIONAL);
    raw_sealed(&m, &keys, IKEV2_PL_NOTIFY, plain, 32, 0);
    CHECK_EQ_INT(ikev2_decode(m.buf, m.w.pos, &keys, &msg), IKEV2_OK);
    CHECK_EQ_INT(msg.n_notifies, 1);
    CHECK_EQ_INT(msg.notifies[0].type, IKEV2_N_REKEY_SA);

    /* Pad Length larger than the plaintext before it. */
    plain[31] = 31;
    raw_begin(&m, IKEV2_INFORMATIONAL);
    raw_sealed(&m, &keys, IKEV2_PL_NONE, plain, 32, 0);
    CHECK_EQ_INT(ikev2_decode(m.buf, m.w.pos, &keys, &msg), IKEV2_OK);
    plain[31] = 32;
    raw_begin(&m, IKEV2_INFORMATIONAL);
    raw_sealed(&m, &keys, IKEV2_PL_NONE, plain, 32, 0);
    CHECK_EQ_INT(ikev2_decode(m.buf, m.w.pos, &keys, &msg), IKEV2_BAD_PADDING);

    /* Ciphertext that is not a whole number of blocks, or none at all. */
    plain[15] = 15;
    raw_begin(&m, IKEV2_INFORMATIONAL);
    raw_sealed(&m, &keys, IKEV2_PL_NONE, plain, 16, 1);
    CHECK_EQ_INT(ikev2_decode(m.buf, m.w.pos, &keys, &msg), IKEV2_BAD_PAYLOAD);
    raw_begin(&m, IKEV2_INFORMATIONAL);
    raw_sealed(&m, &keys, IKEV2_PL_NONE, plain, 0, 0);
    CHECK_EQ_INT(ikev2_decode(m.buf, m.w.pos, &keys, &msg), IKEV2_BAD_PAYLOAD);

    /* An SK payload inside the SK payload. */
    static const uint8_t inner_sk[16] = {0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11};
    raw_begin(&m, IKEV2_INFORMATIONAL);
    raw_sealed(&m, &keys, IKEV2_PL_SK, inner_sk, 16, 0);
    CHECK_EQ_INT(ikev2_decode(m.buf, m.w.pos, &keys, &msg), IKEV2_BAD_PAYLOAD);

    /* A clear payload before SK (RFC 7296 §3.14 puts SK last, and here first too). */
    raw_begin(&m, IKEV2_INFORMATIONAL);
    raw_hex_payload(&m, IKEV2_PL_NOTIFY, "00004009");
    plain[15] = 15;
    raw_sealed(&m, &keys, IKEV2_PL_NONE, plain, 16, 0);
    CHECK_EQ_INT(ikev2_decode(m.buf, m.w.pos, &keys, &msg), IKEV2_BAD_PAYLOAD);

    /* Bytes after SK, counted in the header Length. */
    raw_begin(&m, IKEV2_INFORMATIONAL);
    raw_sealed(&m, &keys, IKEV2_PL_NONE, plain, 16, 0);
    wr_bytes(&m.w, notify, sizeof notify);
    CHECK_EQ_INT(raw_decode(&m, &keys, &msg), IKEV2_BAD_PAYLOAD);

    /* An SK body shorter than IV and ICV. */
    uint8_t short_body[32] = {0};
    raw_begin(&m, IKEV2_INFORMATIONAL);
    raw_payload(&m, IKEV2_PL_SK, 0, short_body, 16 + 12 - 1);
    CHECK_EQ_INT(raw_decode(&m, &keys, &msg), IKEV2_BAD_PAYLOAD);

    /* IKEV2_MAX_SK_PLAINTEXT bytes: one CERT payload, skipped, and Pad
     * Length 0.  One block more is IKEV2_TOO_MANY. */
    static uint8_t big[IKEV2_MAX_SK_PLAINTEXT + 16];
    for (size_t extra = 0; extra <= 16; extra += 16) {
        size_t len = IKEV2_MAX_SK_PLAINTEXT + extra;
        memset(big, 0, sizeof big);
        put_u16(big + 2, (uint16_t)(len - 1));
        raw_begin(&m, IKEV2_IKE_AUTH);
        raw_sealed(&m, &keys, IKEV2_PL_CERT, big, len, 0);
        enum ikev2_status status = ikev2_decode(m.buf, m.w.pos, &keys, &msg);
        CHECK_EQ_INT(status, extra == 0 ? IKEV2_OK : IKEV2_TOO_MANY);
        if (extra == 0)
            CHECK_EQ_INT(msg.n_skipped, 1);
    }
}

static void
status_and_exchange_names(void)
{
    for (int a = IKEV2_OK; a <= IKEV2_NO_SPACE; a++) {
        CHECK(strcmp(ikev2_status_name((enum ikev2_status)a), "unknown status") != 0);
        for (int b = IKEV2_OK; b < a; b++)
            CHECK(strcmp(ikev2_status_name((enum ikev2_status)a),
                         ikev2_status_name((enum ikev2_status)b)) != 0);
    }
    CHECK(strcmp(ikev2_exchange_name(IKEV2_IKE_SA_INIT), "IKE_SA_INIT") == 0);
    CHECK(strcmp(ikev2_exchange_name(IKEV2_IKE_AUTH), "IKE_AUTH") == 0);
    CHECK(strcmp(ikev2_exchange_name(IKEV2_CREATE_CHILD_SA), "CREATE_CHILD_SA") == 0);
    CHECK(strcmp(ikev2_exchange_name(IKEV2_INFORMATIONAL), "INFORMATIONAL") == 0);
    CHECK(strcmp(ikev2_exchange_name(33), "unknown") == 0);
}

CHECK_MAIN(TEST(prf_sha256_rfc4231_vectors), TEST(prf_sha1_rfc2202_vectors),
           TEST(prf_rejects_unknown_algorithm), TEST(prf_plus_matches_steps),
           TEST(x25519_rfc7748_vectors), TEST(x25519_rejects_invalid_peer),
           TEST(modp2048_both_sides_agree), TEST(modp2048_rejects_invalid_peer),
           TEST(dh_rejects_unknown_group), TEST(ike_keys_match_formulas),
           TEST(ike_keys_reject_unknown_algorithms), TEST(child_keys_order),
           TEST(psk_auth_matches_formula), TEST(sa_init_byte_exact),
           TEST(clear_round_trip_every_payload), TEST(sk_layout_matches_rfc),
           TEST(sk_round_trip_every_exchange), TEST(sk_empty_liveness_check),
           TEST(sk_every_bit_flip_rejected), TEST(every_truncation_rejected), TEST(header_checks),
           TEST(decode_rejects_bad_fields), TEST(decode_rejects_bad_chain),
           TEST(unknown_and_skipped_payloads), TEST(nonce_length_limits),
           TEST(decode_capacity_limits), TEST(encode_capacity_limits),
           TEST(encode_rejects_small_output), TEST(sk_rejects_bad_keys), TEST(sk_structure_checks),
           TEST(status_and_exchange_names))
