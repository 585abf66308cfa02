/*
 * fuzz_esp.c - esp_unprotect on arbitrary bytes, and protect/unprotect
 * round trips, under three fixed SAs: AES-128-CBC with HMAC-SHA1-96,
 * NULL encryption with HMAC-SHA1-96, and AES-128-CBC without integrity.
 *
 * For each SA the input is used three ways:
 *   1. as an ESP packet, unprotected as it is;
 *   2. as an ESP packet after the SA's SPI, prepended, and the correct
 *      ICV, appended.  Random bytes never pass the ICV check, and this
 *      lets the fuzzer reach decryption and the trailer checks;
 *   3. as a payload, protected and then unprotected.
 *
 * Oracle: esp_unprotect returns only statuses that a packet can cause,
 * never ESP_NO_SPACE while the payload buffer covers the packet, and
 * never ESP_CRYPTO_FAILED.  With a buffer of half that size it may also
 * return ESP_NO_SPACE but writes nothing past the buffer.  On ESP_OK the payload fits inside the
 * packet, and when the padding has the minimum length, protecting the payload again with the
 * packet's sequence number and IV gives the same bytes.  In (2) the SPI and ICV checks always pass.
 * In (3) the round trip returns the payload and Next Header unchanged.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "ipv6.h"

/* Room for the largest payload plus the largest overhead: 8 + 16 + 17 + 12. */
#define PACKET_CAP (ESP_MAX_PAYLOAD_LEN + 64)

static struct esp_sa sas[3];
static uint8_t protected_buf[PACKET_CAP];
static uint8_t reprotected_buf[PACKET_CAP];

static void
init_sas(void)
{
    static bool ready;
    if (ready)
        return;

    FUZZ_ASSERT(esp_sa_init(&sas[0], FUZZ_SPI_AES_HMAC, ESP_ENC_AES_128_CBC, fuzz_aes_key,
                            ESP_AES_KEY_LEN, ESP_AUTH_HMAC_SHA1_96, fuzz_hmac_key,
                            ESP_HMAC_SHA1_KEY_LEN) == ESP_OK);
    FUZZ_ASSERT(esp_sa_init(&sas[1], FUZZ_SPI_NULL_HMAC, ESP_ENC_NULL, NULL, 0,
                            ESP_AUTH_HMAC_SHA1_96, fuzz_hmac_key, ESP_HMAC_SHA1_KEY_LEN) == ESP_OK);
    FUZZ_ASSERT(esp_sa_init(&sas[2], FUZZ_SPI_AES_NULL, ESP_ENC_AES_128_CBC, fuzz_aes_key,
                            ESP_AES_KEY_LEN, ESP_AUTH_NULL, NULL, 0) == ESP_OK);
    ready = true;
}

static size_t
iv_len(const struct esp_sa *sa)
{
    return sa->enc == ESP_ENC_AES_128_CBC ? ESP_AES_IV_LEN : 0;
}

static size_t
icv_len(const struct esp_sa *sa)
{
    return sa->auth == ESP_AUTH_HMAC_SHA1_96 ? ESP_ICV_LEN : 0;
}

static bool
is_receive_status(enum esp_status s)
{
    switch (s) {
    case ESP_OK:
    case ESP_TOO_LONG:
    case ESP_TRUNCATED:
    case ESP_SPI_MISMATCH:
    case ESP_ICV_MISMATCH:
    case ESP_BAD_LENGTH:
    case ESP_BAD_PAD_LENGTH:
    case ESP_BAD_PADDING:
        return true;
    default:
        return false;
    }
}

/*
 * Protect the payload of an accepted packet again with the packet's own
 * sequence number and IV.  With minimum padding the result is the packet.
 */
static void
check_reprotect(struct esp_sa *sa, const uint8_t *pkt, size_t len, const uint8_t *payload,
                const struct esp_inbound *in)
{
    size_t minimum_len = in->payload_len + esp_overhead(sa->enc, sa->auth, in->payload_len);
    /* Sequence number 0 is never sent: the first packet carries 1. */
    if (len != minimum_len || in->seq == 0)
        return;

    struct wr w = wr_init(reprotected_buf, sizeof reprotected_buf);
    sa->seq = in->seq - 1;
    enum esp_status status = sa->enc == ESP_ENC_AES_128_CBC
                                 ? esp_protect_with_iv(sa, pkt + ESP_HEADER_LEN, in->next_header,
                                                       payload, in->payload_len, &w)
                                 : esp_protect(sa, in->next_header, payload, in->payload_len, &w);
    FUZZ_ASSERT(status == ESP_OK);
    FUZZ_ASSERT(sa->seq == in->seq);
    FUZZ_ASSERT(w.pos == len);
    FUZZ_ASSERT(memcmp(reprotected_buf, pkt, len) == 0);
}

/* Unprotect pkt[0..len) and check the result; returns the status. */
static enum esp_status
unprotect_and_check(struct esp_sa *sa, const uint8_t *pkt, size_t len)
{
    /* Exactly the capacity the contract requires, so an overflow is caught. */
    uint8_t *payload = malloc(len ? len : 1);
    struct esp_inbound in;
    FUZZ_ASSERT(payload != NULL);

    enum esp_status status = esp_unprotect(sa, pkt, len, payload, len, &in);
    FUZZ_ASSERT(is_receive_status(status));
    if (status == ESP_OK) {
        FUZZ_ASSERT(in.spi == sa->spi);
        FUZZ_ASSERT(len >= ESP_HEADER_LEN + iv_len(sa) + ESP_TRAILER_LEN + icv_len(sa));
        FUZZ_ASSERT(in.payload_len <= len - ESP_HEADER_LEN - iv_len(sa) - ESP_TRAILER_LEN);
        uint32_t spi = 0, seq = 0;
        FUZZ_ASSERT(esp_read_header(pkt, len, &spi, &seq) == ESP_OK);
        FUZZ_ASSERT(seq == in.seq);
        check_reprotect(sa, pkt, len, payload, &in);
    }
    free(payload);

    size_t small_cap = len / 2;
    payload = malloc(small_cap ? small_cap : 1);
    FUZZ_ASSERT(payload != NULL);
    enum esp_status small = esp_unprotect(sa, pkt, len, payload, small_cap, &in);
    FUZZ_ASSERT(small == status || small == ESP_NO_SPACE);
    if (small == ESP_OK)
        FUZZ_ASSERT(in.payload_len <= small_cap);
    free(payload);
    return status;
}

/* Use (2): SPI | input | ICV, which passes the SPI and integrity checks. */
static void
check_signed(struct esp_sa *sa, const uint8_t *data, size_t size)
{
    size_t len = 4 + size + icv_len(sa);
    if (len > ESP_MAX_PAYLOAD_LEN)
        return;

    uint8_t *pkt = malloc(len);
    FUZZ_ASSERT(pkt != NULL);
    struct wr w = wr_init(pkt, len);
    wr_u32(&w, sa->spi);
    wr_bytes(&w, data, size);
    if (icv_len(sa) != 0)
        FUZZ_ASSERT(esp_compute_icv(sa, pkt, w.pos, pkt + w.pos) == ESP_OK);

    enum esp_status status = unprotect_and_check(sa, pkt, len);
    FUZZ_ASSERT(status != ESP_SPI_MISMATCH && status != ESP_ICV_MISMATCH);
    if (len >= ESP_HEADER_LEN + iv_len(sa) + icv_len(sa))
        FUZZ_ASSERT(status != ESP_TRUNCATED);
    free(pkt);
}

/* Use (3): the input as a payload, with its first byte as Next Header. */
static void
check_round_trip(struct esp_sa *sa, const uint8_t *data, size_t size)
{
    uint8_t next_header = size > 0 ? data[0] : IP6_NH_NONE;
    struct wr w = wr_init(protected_buf, sizeof protected_buf);

    sa->seq = 0;
    enum esp_status status = esp_protect(sa, next_header, data, size, &w);
    if (size > ESP_MAX_PAYLOAD_LEN) {
        FUZZ_ASSERT(status == ESP_TOO_LONG);
        return;
    }
    FUZZ_ASSERT(status == ESP_OK);
    FUZZ_ASSERT(w.pos == size + esp_overhead(sa->enc, sa->auth, size));
    FUZZ_ASSERT(sa->seq == 1);

    uint8_t *payload = malloc(w.pos);
    struct esp_inbound in;
    FUZZ_ASSERT(payload != NULL);
    status = esp_unprotect(sa, protected_buf, w.pos, payload, w.pos, &in);
    if (w.pos > ESP_MAX_PAYLOAD_LEN) {
        FUZZ_ASSERT(status == ESP_TOO_LONG);
    } else {
        FUZZ_ASSERT(status == ESP_OK);
        FUZZ_ASSERT(in.spi == sa->spi);
        FUZZ_ASSERT(in.seq == 1);
        FUZZ_ASSERT(in.next_header == next_header);
        FUZZ_ASSERT(in.payload_len == size);
        FUZZ_ASSERT(size == 0 || memcmp(payload, data, size) == 0);
    }
    free(payload);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init_sas();
    for (size_t i = 0; i < sizeof sas / sizeof sas[0]; i++) {
        unprotect_and_check(&sas[i], data, size);
        check_signed(&sas[i], data, size);
        check_round_trip(&sas[i], data, size);
    }
    return 0;
}
