/*
 * rr.c - return routability cryptography (RFC 6275 §5.2) over OpenSSL 3
 * EVP: HMAC-SHA1 through EVP_MAC and SHA-1 through EVP_Digest.
 */
#include "rr.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define NS_PER_S 1000000000ull
#define SHA1_LEN 20
#define MH_CHECKSUM_OFFSET 4

/* ----- nonce table ----- */

void
rr_nonces_init(struct rr_nonce_table *t, uint16_t first_index)
{
    memset(t, 0, sizeof *t);
    t->next_index = first_index;
}

const struct rr_nonce *
rr_nonce_current(const struct rr_nonce_table *t, uint64_t now_ns)
{
    if (!t->have_latest)
        return NULL;
    const struct rr_nonce *n = &t->slots[t->latest_index % RR_NONCE_SLOTS];
    if (now_ns - n->created_ns >= RR_NONCE_INTERVAL_S * NS_PER_S)
        return NULL;
    return n;
}

const struct rr_nonce *
rr_nonce_add(struct rr_nonce_table *t, uint64_t now_ns, const uint8_t value[RR_NONCE_LEN])
{
    uint16_t index = t->next_index++;
    struct rr_nonce *n = &t->slots[index % RR_NONCE_SLOTS];

    n->valid = true;
    n->index = index;
    n->created_ns = now_ns;
    memcpy(n->value, value, RR_NONCE_LEN);
    t->have_latest = true;
    t->latest_index = index;
    return n;
}

const struct rr_nonce *
rr_nonce_find(const struct rr_nonce_table *t, uint16_t index, uint64_t now_ns)
{
    const struct rr_nonce *n = &t->slots[index % RR_NONCE_SLOTS];

    if (!n->valid || n->index != index)
        return NULL;
    /* RFC 6275 §5.2.7: never beyond MAX_NONCE_LIFETIME. */
    if (now_ns - n->created_ns >= RR_MAX_NONCE_LIFETIME_S * NS_PER_S)
        return NULL;
    return n;
}

/* ----- HMAC-SHA1 and SHA-1 ----- */

/* One input of a MAC or digest made of several pieces. */
struct piece {
    const uint8_t *data;
    size_t len;
};

static bool
hmac_sha1(const uint8_t *key, size_t key_len, const struct piece *pieces, size_t n_pieces,
          uint8_t out[SHA1_LEN])
{
    char digest[] = "SHA1";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    size_t out_len = 0;
    bool ok = ctx && EVP_MAC_init(ctx, key, key_len, params);

    for (size_t i = 0; ok && i < n_pieces; i++)
        ok = EVP_MAC_update(ctx, pieces[i].data, pieces[i].len);
    ok = ok && EVP_MAC_final(ctx, out, &out_len, SHA1_LEN) && out_len == SHA1_LEN;

    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    if (!ok)
        memset(out, 0, SHA1_LEN);
    return ok;
}

static bool
sha1(const struct piece *pieces, size_t n_pieces, uint8_t out[SHA1_LEN])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned out_len = 0;
    bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL);

    for (size_t i = 0; ok && i < n_pieces; i++)
        ok = EVP_DigestUpdate(ctx, pieces[i].data, pieces[i].len);
    ok = ok && EVP_DigestFinal_ex(ctx, out, &out_len) && out_len == SHA1_LEN;

    EVP_MD_CTX_free(ctx);
    if (!ok)
        memset(out, 0, SHA1_LEN);
    return ok;
}

/* ----- tokens, Kbm, authenticator ----- */

bool
rr_keygen_token(const uint8_t kcn[RR_KCN_LEN], const uint8_t addr[16],
                const uint8_t nonce[RR_NONCE_LEN], enum rr_token_kind kind,
                uint8_t token[RR_TOKEN_LEN])
{
    /* RFC 6275 §5.2.5: the trailing 0 or 1 is a single octet that keeps
     * home and care-of tokens apart. */
    uint8_t kind_octet = (uint8_t)kind;
    struct piece input[] = {{addr, 16}, {nonce, RR_NONCE_LEN}, {&kind_octet, 1}};
    uint8_t mac[SHA1_LEN];

    bool ok = hmac_sha1(kcn, RR_KCN_LEN, input, 3, mac);
    memcpy(token, mac, RR_TOKEN_LEN);
    return ok;
}

bool
rr_kbm(const uint8_t home_token[RR_TOKEN_LEN], const uint8_t *care_of_token,
       uint8_t kbm[RR_KBM_LEN])
{
    struct piece input[] = {{home_token, RR_TOKEN_LEN}, {care_of_token, RR_TOKEN_LEN}};

    return sha1(input, care_of_token ? 2 : 1, kbm);
}

bool
rr_authenticator(const uint8_t kbm[RR_KBM_LEN], const uint8_t coa[16], const uint8_t cn[16],
                 const uint8_t *mh, size_t mh_len, size_t auth_offset, uint8_t out[RR_AUTH_LEN])
{
    static const uint8_t zero_checksum[2] = {0, 0};
    uint8_t mac[SHA1_LEN];

    memset(out, 0, RR_AUTH_LEN);
    if (auth_offset < MH_CHECKSUM_OFFSET + 2 || auth_offset > mh_len ||
        mh_len - auth_offset < RR_AUTH_LEN)
        return false;

    /* RFC 6275 §6.2.7: Mobility Data = care-of address | correspondent |
     * MH Data, where MH Data is the message without the Authenticator
     * field and with the Checksum computed as zero. */
    size_t after = auth_offset + RR_AUTH_LEN;
    struct piece input[] = {
        {coa, 16},
        {cn, 16},
        {mh, MH_CHECKSUM_OFFSET},
        {zero_checksum, 2},
        {mh + MH_CHECKSUM_OFFSET + 2, auth_offset - MH_CHECKSUM_OFFSET - 2},
        {mh + after, mh_len - after},
    };
    bool ok = hmac_sha1(kbm, RR_KBM_LEN, input, sizeof input / sizeof input[0], mac);
    if (ok)
        memcpy(out, mac, RR_AUTH_LEN);
    return ok;
}

bool
rr_authenticator_equal(const uint8_t a[RR_AUTH_LEN], const uint8_t b[RR_AUTH_LEN])
{
    return CRYPTO_memcmp(a, b, RR_AUTH_LEN) == 0;
}

uint64_t
rr_token_to_u64(const uint8_t token[RR_TOKEN_LEN])
{
    uint64_t v = 0;
    for (int i = 0; i < RR_TOKEN_LEN; i++)
        v = v << 8 | token[i];
    return v;
}

void
rr_token_from_u64(uint8_t token[RR_TOKEN_LEN], uint64_t value)
{
    for (int i = RR_TOKEN_LEN - 1; i >= 0; i--) {
        token[i] = (uint8_t)value;
        value >>= 8;
    }
}
