/*
 * rr.h - return routability cryptography (RFC 6275 §5.2) as the
 * correspondent node computes it: the secret Kcn, the nonce table, the
 * home and care-of keygen tokens, the binding management key Kbm and the
 * authenticator of the Binding Authorization Data option.
 *
 * The functions are pure: time and random values come from the caller,
 * so the mobile node side can reuse the token and authenticator code and
 * tests can feed known values.  Addresses are 16-byte arrays in network
 * order.  Functions that return bool return false only when OpenSSL fails
 * or an argument breaks the stated precondition, and then leave the
 * output zeroed.
 */
#ifndef MIP6SEC_RR_H
#define MIP6SEC_RR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RR_KCN_LEN 20  /* Kcn, 20 random octets (RFC 6275 §5.2.1) */
#define RR_NONCE_LEN 8 /* RFC 6275 §5.2.2 recommends 64-bit nonces */
#define RR_TOKEN_LEN 8 /* First(64, ...) */
#define RR_KBM_LEN 20  /* a SHA-1 digest */
#define RR_AUTH_LEN 12 /* First(96, ...) */

/* RFC 6275 §12, in seconds. */
#define RR_MAX_TOKEN_LIFETIME_S 210
#define RR_MAX_NONCE_LIFETIME_S 240
#define RR_MAX_BINDING_LIFETIME_S 420

/*
 * RFC 6275 §5.2.7 suggests a new nonce every 30 s, the difference between
 * the nonce and token lifetimes.  Then the last 8 nonces are the ones
 * still acceptable, and a token stays valid between 210 and 240 s after
 * the node sent it.
 */
#define RR_NONCE_INTERVAL_S 30
#define RR_NONCE_SLOTS (RR_MAX_NONCE_LIFETIME_S / RR_NONCE_INTERVAL_S)

/* The last octet of the keygen token input (RFC 6275 §5.2.5). */
enum rr_token_kind {
    RR_HOME_TOKEN = 0,
    RR_CARE_OF_TOKEN = 1,
};

struct rr_nonce {
    bool valid;
    uint16_t index;      /* the Home or Care-of Nonce Index on the wire */
    uint64_t created_ns; /* simulated time the nonce was generated */
    uint8_t value[RR_NONCE_LEN];
};

/* The nonces a correspondent node still accepts, indexed by nonce index. */
struct rr_nonce_table {
    struct rr_nonce slots[RR_NONCE_SLOTS]; /* slot = index % RR_NONCE_SLOTS */
    uint16_t next_index;
    bool have_latest;
    uint16_t latest_index;
};

/* Empty the table; the first nonce added gets first_index. */
void rr_nonces_init(struct rr_nonce_table *t, uint16_t first_index);

/*
 * Return the nonce to put into a HoT or CoT at now_ns: the latest one when
 * it is younger than RR_NONCE_INTERVAL_S.  Returns NULL when there is
 * none or it is older.  The caller then draws a fresh value and calls
 * rr_nonce_add.
 */
const struct rr_nonce *rr_nonce_current(const struct rr_nonce_table *t, uint64_t now_ns);

/*
 * Store value as a new nonce created at now_ns under the next nonce index
 * (modulo 2^16), replacing the oldest slot, and return it.
 */
const struct rr_nonce *rr_nonce_add(struct rr_nonce_table *t, uint64_t now_ns,
                                    const uint8_t value[RR_NONCE_LEN]);

/*
 * Return the nonce with this index if it is still acceptable at now_ns,
 * that is less than RR_MAX_NONCE_LIFETIME_S after it was created (RFC
 * 6275 §5.2.7).  A nonce is first used when it is created or later, so
 * this never accepts a nonce beyond that lifetime after its first use.
 * Returns NULL for an expired or unknown index.
 */
const struct rr_nonce *rr_nonce_find(const struct rr_nonce_table *t, uint16_t index,
                                     uint64_t now_ns);

/*
 * Compute a keygen token (RFC 6275 §5.2.5):
 *   home:    First(64, HMAC_SHA1(Kcn, home address | nonce | 0))
 *   care-of: First(64, HMAC_SHA1(Kcn, care-of address | nonce | 1))
 */
bool rr_keygen_token(const uint8_t kcn[RR_KCN_LEN], const uint8_t addr[16],
                     const uint8_t nonce[RR_NONCE_LEN], enum rr_token_kind kind,
                     uint8_t token[RR_TOKEN_LEN]);

/*
 * Compute Kbm = SHA1(home token | care-of token), or SHA1(home token)
 * when care_of_token is NULL, which RFC 6275 §5.2.5 uses for a Binding
 * Update that deletes a binding.
 */
bool rr_kbm(const uint8_t home_token[RR_TOKEN_LEN], const uint8_t *care_of_token,
            uint8_t kbm[RR_KBM_LEN]);

/*
 * Compute the authenticator of a BU or BA (RFC 6275 §5.2.6, §6.2.7):
 *   First(96, HMAC_SHA1(Kbm, care-of address | correspondent | MH data))
 * mh[0..mh_len) is the whole encoded message, and its authenticator field
 * is the RR_AUTH_LEN bytes at auth_offset.  MH data is the message with
 * that field left out and the Checksum taken as zero, whatever the two
 * hold in mh.  The Binding Authorization Data option's type and length
 * bytes are part of MH data.  coa is the care-of address being registered,
 * or the home address for a deletion.  cn is the correspondent node's
 * address.
 *
 * Precondition: 6 <= auth_offset and auth_offset + RR_AUTH_LEN <= mh_len.
 */
bool rr_authenticator(const uint8_t kbm[RR_KBM_LEN], const uint8_t coa[16], const uint8_t cn[16],
                      const uint8_t *mh, size_t mh_len, size_t auth_offset,
                      uint8_t out[RR_AUTH_LEN]);

/* Compare two authenticators in time independent of their contents. */
bool rr_authenticator_equal(const uint8_t a[RR_AUTH_LEN], const uint8_t b[RR_AUTH_LEN]);

/* A 64-bit token or cookie as the big-endian integer the MH codec carries. */
uint64_t rr_token_to_u64(const uint8_t token[RR_TOKEN_LEN]);
void rr_token_from_u64(uint8_t token[RR_TOKEN_LEN], uint64_t value);

#ifdef __cplusplus
}
#endif

#endif /* MIP6SEC_RR_H */
