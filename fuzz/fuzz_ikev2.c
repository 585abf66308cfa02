/*
 * fuzz_ikev2.c - the IKEv2 decoder on arbitrary bytes, without keys and
 * with two fixed SK key sets, and round trips through the encoder.
 *
 * Input: one IKE message, the payload of a UDP datagram.  It is decoded
 *   1. without keys,
 *   2. with each key set: AES-128-CBC with HMAC-SHA1-96, and AES-128-CBC
 *      with HMAC-SHA2-256-128,
 *   3. with each key set, from a copy whose header Length is the input
 *      length and whose last bytes are the ICV that the key set computes
 *      over the rest.  Random bytes never carry a valid ICV, and this lets
 *      the fuzzer reach decryption and the payloads inside an SK payload.
 *
 * Oracle: the decoder returns only statuses that input can cause, never
 * IKEV2_NO_SPACE, IKEV2_BAD_ALGORITHM or IKEV2_CRYPTO_FAILED.  Without
 * keys it never returns a status of the SK checks, and in (3) it never
 * returns IKEV2_ICV_MISMATCH.  On IKEV2_OK the header Length equals the
 * input length, every count is within its capacity and the message came
 * from an SK payload only when keys were given.  The decoded message is
 * then encoded in clear and inside SK with each key set.  Every encoding
 * succeeds and decodes to the same fields, and encoding that result
 * again gives the same bytes.
 *
 * The seeds in fuzz/corpus/ikev2/ are messages encoded with these keys.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "ikev2_crypto.h"
#include "ikev2_msg.h"

/* The largest encoding of a decoded message is about 4,000 bytes. */
#define ENCODE_CAP (IKEV2_MAX_SK_PLAINTEXT + 128)
#define N_KEY_SETS 2

static const uint8_t fuzz_iv[16] = {0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87,
                                    0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f};

static struct ikev2_sk_keys key_sets[N_KEY_SETS];

static void
init_key_sets(void)
{
    static bool ready;
    if (ready)
        return;
    static const uint16_t integs[N_KEY_SETS] = {IKEV2_INTEG_HMAC_SHA1_96,
                                                IKEV2_INTEG_HMAC_SHA2_256_128};
    for (size_t k = 0; k < N_KEY_SETS; k++) {
        struct ikev2_sk_keys *keys = &key_sets[k];
        keys->encr = IKEV2_ENCR_AES_CBC;
        keys->integ = integs[k];
        keys->enc_key_len = sizeof fuzz_aes_key;
        memcpy(keys->enc_key, fuzz_aes_key, sizeof fuzz_aes_key);
        keys->auth_key_len = k == 0 ? 20 : 32;
        for (size_t i = 0; i < keys->auth_key_len; i++)
            keys->auth_key[i] = (uint8_t)(fuzz_hmac_key[i % sizeof fuzz_hmac_key] + i / 20);
    }
    ready = true;
}

static size_t
icv_len(const struct ikev2_sk_keys *keys)
{
    return keys->integ == IKEV2_INTEG_HMAC_SHA1_96 ? 12 : 16;
}

static void
check_counts(const struct ikev2_msg *m)
{
    FUZZ_ASSERT(m->n_proposals <= IKEV2_MAX_PROPOSALS);
    for (size_t i = 0; i < m->n_proposals; i++) {
        FUZZ_ASSERT(m->proposals[i].n_transforms <= IKEV2_MAX_TRANSFORMS);
        FUZZ_ASSERT(m->proposals[i].spi_len <= IKEV2_MAX_SPI_LEN);
    }
    FUZZ_ASSERT(!m->has_ke || m->ke.len <= IKEV2_MAX_KE_LEN);
    FUZZ_ASSERT(!m->has_nonce ||
                (m->nonce_len >= IKEV2_MIN_NONCE_LEN && m->nonce_len <= IKEV2_MAX_NONCE_LEN));
    FUZZ_ASSERT(!m->has_idi || m->idi.len <= IKEV2_MAX_ID_LEN);
    FUZZ_ASSERT(!m->has_idr || m->idr.len <= IKEV2_MAX_ID_LEN);
    FUZZ_ASSERT(!m->has_auth || m->auth.len <= IKEV2_MAX_AUTH_LEN);
    FUZZ_ASSERT(m->n_notifies <= IKEV2_MAX_NOTIFIES);
    for (size_t i = 0; i < m->n_notifies; i++) {
        FUZZ_ASSERT(m->notifies[i].spi_len <= IKEV2_MAX_SPI_LEN);
        FUZZ_ASSERT(m->notifies[i].data_len <= IKEV2_MAX_NOTIFY_DATA);
    }
    FUZZ_ASSERT(m->n_deletes <= IKEV2_MAX_DELETES);
    for (size_t i = 0; i < m->n_deletes; i++)
        FUZZ_ASSERT(m->deletes[i].n_spis <= IKEV2_MAX_DELETE_SPIS);
    FUZZ_ASSERT(m->n_tsi <= IKEV2_MAX_TS);
    FUZZ_ASSERT(m->n_tsr <= IKEV2_MAX_TS);
}

static void
check_same_proposals(const struct ikev2_msg *a, const struct ikev2_msg *b)
{
    FUZZ_ASSERT(a->n_proposals == b->n_proposals);
    for (size_t i = 0; i < a->n_proposals; i++) {
        const struct ikev2_proposal *p = &a->proposals[i], *q = &b->proposals[i];
        FUZZ_ASSERT(p->number == q->number);
        FUZZ_ASSERT(p->protocol == q->protocol);
        FUZZ_ASSERT(p->spi_len == q->spi_len);
        FUZZ_ASSERT(memcmp(p->spi, q->spi, p->spi_len) == 0);
        FUZZ_ASSERT(p->n_transforms == q->n_transforms);
        for (size_t j = 0; j < p->n_transforms; j++) {
            FUZZ_ASSERT(p->transforms[j].type == q->transforms[j].type);
            FUZZ_ASSERT(p->transforms[j].id == q->transforms[j].id);
            FUZZ_ASSERT(p->transforms[j].key_bits == q->transforms[j].key_bits);
        }
    }
}

static void
check_same_id(bool has_a, const struct ikev2_id *a, bool has_b, const struct ikev2_id *b)
{
    FUZZ_ASSERT(has_a == has_b);
    if (!has_a)
        return;
    FUZZ_ASSERT(a->type == b->type);
    FUZZ_ASSERT(a->len == b->len);
    FUZZ_ASSERT(memcmp(a->data, b->data, a->len) == 0);
}

/* Every field but Next Payload, Length, encrypted and n_skipped. */
static void
check_same_fields(const struct ikev2_msg *a, const struct ikev2_msg *b)
{
    FUZZ_ASSERT(a->hdr.spi_i == b->hdr.spi_i);
    FUZZ_ASSERT(a->hdr.spi_r == b->hdr.spi_r);
    FUZZ_ASSERT(a->hdr.version == b->hdr.version);
    FUZZ_ASSERT(a->hdr.exchange == b->hdr.exchange);
    FUZZ_ASSERT(a->hdr.flags == b->hdr.flags);
    FUZZ_ASSERT(a->hdr.message_id == b->hdr.message_id);

    check_same_proposals(a, b);
    FUZZ_ASSERT(a->has_ke == b->has_ke);
    if (a->has_ke) {
        FUZZ_ASSERT(a->ke.group == b->ke.group);
        FUZZ_ASSERT(a->ke.len == b->ke.len);
        FUZZ_ASSERT(memcmp(a->ke.data, b->ke.data, a->ke.len) == 0);
    }
    FUZZ_ASSERT(a->has_nonce == b->has_nonce);
    if (a->has_nonce) {
        FUZZ_ASSERT(a->nonce_len == b->nonce_len);
        FUZZ_ASSERT(memcmp(a->nonce, b->nonce, a->nonce_len) == 0);
    }
    check_same_id(a->has_idi, &a->idi, b->has_idi, &b->idi);
    check_same_id(a->has_idr, &a->idr, b->has_idr, &b->idr);
    FUZZ_ASSERT(a->has_auth == b->has_auth);
    if (a->has_auth) {
        FUZZ_ASSERT(a->auth.method == b->auth.method);
        FUZZ_ASSERT(a->auth.len == b->auth.len);
        FUZZ_ASSERT(memcmp(a->auth.data, b->auth.data, a->auth.len) == 0);
    }
    FUZZ_ASSERT(a->n_notifies == b->n_notifies);
    for (size_t i = 0; i < a->n_notifies; i++) {
        const struct ikev2_notify *n = &a->notifies[i], *m = &b->notifies[i];
        FUZZ_ASSERT(n->protocol == m->protocol);
        FUZZ_ASSERT(n->spi_len == m->spi_len);
        FUZZ_ASSERT(memcmp(n->spi, m->spi, n->spi_len) == 0);
        FUZZ_ASSERT(n->type == m->type);
        FUZZ_ASSERT(n->data_len == m->data_len);
        FUZZ_ASSERT(memcmp(n->data, m->data, n->data_len) == 0);
    }
    FUZZ_ASSERT(a->n_deletes == b->n_deletes);
    for (size_t i = 0; i < a->n_deletes; i++) {
        FUZZ_ASSERT(a->deletes[i].protocol == b->deletes[i].protocol);
        FUZZ_ASSERT(a->deletes[i].n_spis == b->deletes[i].n_spis);
        for (size_t j = 0; j < a->deletes[i].n_spis; j++)
            FUZZ_ASSERT(a->deletes[i].spis[j] == b->deletes[i].spis[j]);
    }
    FUZZ_ASSERT(a->n_tsi == b->n_tsi);
    for (size_t i = 0; i < a->n_tsi; i++)
        FUZZ_ASSERT(memcmp(&a->tsi[i], &b->tsi[i], sizeof a->tsi[i]) == 0);
    FUZZ_ASSERT(a->n_tsr == b->n_tsr);
    for (size_t i = 0; i < a->n_tsr; i++)
        FUZZ_ASSERT(memcmp(&a->tsr[i], &b->tsr[i], sizeof a->tsr[i]) == 0);
}

/* Encode msg (in SK when keys is not NULL), decode it, compare, and check
 * that encoding the decoded message gives the same bytes. */
static void
check_round_trip(const struct ikev2_msg *msg, const struct ikev2_sk_keys *keys)
{
    static uint8_t first[ENCODE_CAP], second[ENCODE_CAP];
    static struct ikev2_msg again;

    struct wr w = wr_init(first, sizeof first);
    FUZZ_ASSERT(ikev2_encode(msg, keys, fuzz_iv, &w) == IKEV2_OK);
    FUZZ_ASSERT(ikev2_decode(first, w.pos, keys, &again) == IKEV2_OK);
    FUZZ_ASSERT(again.encrypted == (keys != NULL));
    FUZZ_ASSERT(again.n_skipped == 0);
    FUZZ_ASSERT(again.hdr.length == w.pos);
    check_same_fields(msg, &again);

    struct wr w2 = wr_init(second, sizeof second);
    FUZZ_ASSERT(ikev2_encode(&again, keys, fuzz_iv, &w2) == IKEV2_OK);
    FUZZ_ASSERT(w2.pos == w.pos);
    FUZZ_ASSERT(memcmp(first, second, w.pos) == 0);
}

static bool
is_input_status(enum ikev2_status s)
{
    switch (s) {
    case IKEV2_OK:
    case IKEV2_TRUNCATED:
    case IKEV2_BAD_VERSION:
    case IKEV2_BAD_LENGTH:
    case IKEV2_BAD_PAYLOAD:
    case IKEV2_TOO_MANY:
    case IKEV2_UNSUPPORTED_CRITICAL:
    case IKEV2_NO_KEYS:
    case IKEV2_ICV_MISMATCH:
    case IKEV2_BAD_PADDING:
        return true;
    default:
        return false;
    }
}

static enum ikev2_status
decode_and_check(const uint8_t *data, size_t size, const struct ikev2_sk_keys *keys)
{
    static struct ikev2_msg msg;

    enum ikev2_status status = ikev2_decode(data, size, keys, &msg);
    FUZZ_ASSERT(is_input_status(status));
    if (keys == NULL)
        FUZZ_ASSERT(status != IKEV2_ICV_MISMATCH && status != IKEV2_BAD_PADDING);
    else
        FUZZ_ASSERT(status != IKEV2_NO_KEYS);
    if (status != IKEV2_OK)
        return status;

    FUZZ_ASSERT(msg.hdr.length == size);
    FUZZ_ASSERT(!msg.encrypted || keys != NULL);
    check_counts(&msg);
    check_round_trip(&msg, NULL);
    for (size_t k = 0; k < N_KEY_SETS; k++)
        check_round_trip(&msg, &key_sets[k]);
    return status;
}

/* A copy of data with the header Length set to size and the ICV of keys at the end. */
static void
decode_with_fixed_icv(const uint8_t *data, size_t size, const struct ikev2_sk_keys *keys)
{
    size_t icvl = icv_len(keys);
    if (size < IKEV2_HEADER_LEN + icvl)
        return;
    uint8_t *copy = malloc(size);
    FUZZ_ASSERT(copy != NULL);
    memcpy(copy, data, size);
    struct wr length = wr_init(copy + 24, 4);
    wr_u32(&length, (uint32_t)size);

    uint16_t prf =
        keys->integ == IKEV2_INTEG_HMAC_SHA1_96 ? IKEV2_PRF_HMAC_SHA1 : IKEV2_PRF_HMAC_SHA2_256;
    uint8_t digest[IKEV2_MAX_PRF_LEN];
    FUZZ_ASSERT(ikev2_prf(prf, keys->auth_key, keys->auth_key_len, copy, size - icvl, digest) ==
                IKEV2_OK);
    memcpy(copy + size - icvl, digest, icvl);

    FUZZ_ASSERT(decode_and_check(copy, size, keys) != IKEV2_ICV_MISMATCH);
    free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init_key_sets();

    decode_and_check(data, size, NULL);
    for (size_t k = 0; k < N_KEY_SETS; k++) {
        decode_and_check(data, size, &key_sets[k]);
        decode_with_fixed_icv(data, size, &key_sets[k]);
    }
    return 0;
}
