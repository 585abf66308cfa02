/*
 * crypto_cost.c - measure the CPU cost of the model's crypto with the
 * OpenSSL on this machine and write it as a cost table (model/cost.h).
 *
 * Usage: crypto_cost [--output=FILE] [--batch-ms=MS]
 *
 * Each measurement times 7 batches of calls, each batch at least MS
 * milliseconds (default 2) of CPU time of this thread, and keeps the
 * median batch divided by its calls.  Thread CPU time, not wall time,
 * leaves out most of what other processes do to the machine.  The
 * batches of the points of one series (the sizes of one algorithm) are
 * interleaved.
 *
 *   - ESP: esp_protect and esp_unprotect of model/esp.c on payloads of
 *     32 to 1400 bytes with AES-128-CBC + NULL, NULL + HMAC-SHA1-96 and
 *     AES-128-CBC + HMAC-SHA1-96, each series in 3 trials with new SAs,
 *     of which the median counts.  A least-squares line through each
 *     series, then a joint least-squares split (fit_esp), gives each
 *     algorithm's cost per packet and per payload byte;
 *   - IKEv2 prf: HMAC-SHA1 and HMAC-SHA2-256 through EVP_MAC, one
 *     context per call, on 16 to 1024 bytes of data, fitted the same way;
 *   - Diffie-Hellman group 14: BN_mod_exp modulo the RFC 3526 2048-bit
 *     prime with a 256-bit private exponent flagged constant-time, for
 *     2^x and for peer^x;
 *   - group 31: X25519 through EVP_PKEY, a key from 32 raw bytes with its
 *     public value, and a derive from the peer's raw public value;
 *   - RSA-2048 (SHA-256, PKCS #1 v1.5) and Ed25519 signatures of a
 *     512-byte message with EVP_DigestSign and EVP_DigestVerify.
 * A PSK AUTH computation (three prf calls) is timed as a check of the
 * model's prf arithmetic; it sets no entry.
 *
 * The default run takes about 5 s, and the time grows with MS.  It
 * prints the measurements with the fit quality and the table's error
 * against each measured ESP series, then the table.  With --output it
 * also writes the table in the format that mip6_cost_load_file reads.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "cost.h"
#include "cursor.h"
#include "esp.h"

#define ROUNDS 7     /* timed batches per measurement */
#define ESP_TRIALS 3 /* ESP series measured with new SAs each time */
#define N_ESP_SIZES 8
#define N_PRF_SIZES 6
#define MAX_POINTS N_ESP_SIZES /* sizes per series */
#define NO_NEXT_HEADER 59      /* the payload type of every protected test packet */
#define SIGNED_MESSAGE_LEN 512

static const size_t esp_sizes[N_ESP_SIZES] = {32, 64, 128, 256, 512, 768, 1024, 1400};
static const size_t prf_sizes[N_PRF_SIZES] = {16, 64, 128, 256, 512, 1024};

_Static_assert(N_PRF_SIZES <= MAX_POINTS, "a prf series must fit measure_series");

static double batch_ns = 2e6;

/* ---- timing ---- */

static void
fail(const char *what)
{
    fprintf(stderr, "crypto_cost: %s failed\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

static double
cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

typedef void (*op_fn)(void *ctx);

static int
compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Run op n times and return the CPU time that took, in ns. */
static double
time_batch(op_fn op, void *ctx, long n)
{
    double start = cpu_ns();
    for (long i = 0; i < n; i++)
        op(ctx);
    return cpu_ns() - start;
}

/*
 * Set ns[i] to the median CPU time in ns of one call of op on ctx[i],
 * over ROUNDS batches of at least batch_ns each.  Each round times one
 * batch of every point in turn, so that a disturbance of the machine
 * spreads over all points instead of bending one of them.
 */
static void
measure_series(op_fn op, void *const *ctx, size_t n_points, double *ns)
{
    long calls[MAX_POINTS];
    double per_call[MAX_POINTS][ROUNDS];

    for (size_t i = 0; i < n_points; i++) {
        long n = 1;
        op(ctx[i]); /* warm-up: first-call allocations and caches */
        for (;;) {
            double elapsed = time_batch(op, ctx[i], n);
            if (elapsed >= batch_ns)
                break;
            n *= elapsed > batch_ns / 16 ? 2 : 8;
        }
        calls[i] = n;
    }
    for (int r = 0; r < ROUNDS; r++)
        for (size_t i = 0; i < n_points; i++)
            per_call[i][r] = time_batch(op, ctx[i], calls[i]) / (double)calls[i];
    for (size_t i = 0; i < n_points; i++) {
        qsort(per_call[i], ROUNDS, sizeof per_call[i][0], compare_doubles);
        ns[i] = per_call[i][ROUNDS / 2];
    }
}

/* Median CPU time in ns of one call of op. */
static double
measure(op_fn op, void *ctx)
{
    double ns;
    measure_series(op, &ctx, 1, &ns);
    return ns;
}

/* ---- least squares ---- */

struct fit {
    struct mip6_cost_linear line;
    double r2;           /* coefficient of determination */
    double max_residual; /* largest |measured - fitted| / measured */
};

static struct fit
fit_line(const size_t *x, const double *y, size_t n)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    struct fit f = {{0, 0}, 0, 0};

    for (size_t i = 0; i < n; i++) {
        sx += (double)x[i];
        sy += y[i];
        sxx += (double)x[i] * (double)x[i];
        sxy += (double)x[i] * y[i];
    }
    double denominator = (double)n * sxx - sx * sx;
    f.line.per_byte_ns = ((double)n * sxy - sx * sy) / denominator;
    f.line.fixed_ns = (sy - f.line.per_byte_ns * sx) / (double)n;

    double mean = sy / (double)n, ss_total = 0, ss_residual = 0;
    for (size_t i = 0; i < n; i++) {
        double fitted = f.line.fixed_ns + f.line.per_byte_ns * (double)x[i];
        double residual = y[i] - fitted;
        ss_total += (y[i] - mean) * (y[i] - mean);
        ss_residual += residual * residual;
        if (y[i] > 0 && fabs(residual) / y[i] > f.max_residual)
            f.max_residual = fabs(residual) / y[i];
    }
    f.r2 = ss_total > 0 ? 1 - ss_residual / ss_total : 1;
    return f;
}

/* ---- ESP ---- */

enum combo { AES_ONLY, HMAC_ONLY, AES_HMAC, N_COMBOS };

static const char *const combo_names[N_COMBOS] = {"AES+NULL", "NULL+HMAC", "AES+HMAC"};

/* The two SAs of one algorithm combination. */
struct esp_sas {
    struct esp_sa out, in;
};

/* One payload size: its packet to unprotect and the output buffers. */
struct esp_point {
    struct esp_sas *sas;
    const uint8_t *payload;
    size_t payload_len;
    uint8_t packet[2048]; /* protected once, for esp_unprotect */
    size_t packet_len;
    uint8_t scratch[2048]; /* output of the timed calls */
};

static void
esp_protect_op(void *ctx)
{
    struct esp_point *p = ctx;
    struct wr w = wr_init(p->scratch, sizeof p->scratch);
    if (esp_protect(&p->sas->out, NO_NEXT_HEADER, p->payload, p->payload_len, &w) != ESP_OK)
        fail("esp_protect");
}

static void
esp_unprotect_op(void *ctx)
{
    struct esp_point *p = ctx;
    struct esp_inbound in;
    if (esp_unprotect(&p->sas->in, p->packet, p->packet_len, p->scratch, sizeof p->scratch, &in) !=
        ESP_OK)
        fail("esp_unprotect");
}

static void
init_esp(struct esp_sas *sas, enum combo c)
{
    static const uint8_t enc_key[ESP_AES_KEY_LEN] = {1, 2,  3,  4,  5,  6,  7,  8,
                                                     9, 10, 11, 12, 13, 14, 15, 16};
    static const uint8_t auth_key[ESP_HMAC_SHA1_KEY_LEN] = {21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
                                                            31, 32, 33, 34, 35, 36, 37, 38, 39, 40};
    enum esp_enc_alg enc = c == HMAC_ONLY ? ESP_ENC_NULL : ESP_ENC_AES_128_CBC;
    enum esp_auth_alg auth = c == AES_ONLY ? ESP_AUTH_NULL : ESP_AUTH_HMAC_SHA1_96;
    size_t enc_len = enc == ESP_ENC_NULL ? 0 : sizeof enc_key;
    size_t auth_len = auth == ESP_AUTH_NULL ? 0 : sizeof auth_key;

    if (esp_sa_init(&sas->out, 0x1000, enc, enc_key, enc_len, auth, auth_key, auth_len) != ESP_OK ||
        esp_sa_init(&sas->in, 0x1000, enc, enc_key, enc_len, auth, auth_key, auth_len) != ESP_OK)
        fail("esp_sa_init");
}

/* ns per packet of each combination, direction and size. */
struct esp_times {
    double ns[N_COMBOS][2][N_ESP_SIZES];
    struct fit fit[N_COMBOS][2];
};

/* Measure both directions of one combination with new SAs and buffers. */
static void
measure_esp_trial(enum combo c, double ns[2][N_ESP_SIZES])
{
    static uint8_t payload[2048];
    struct esp_point *points = calloc(N_ESP_SIZES, sizeof *points);
    void *ctx[N_ESP_SIZES];
    struct esp_sas sas;

    if (!points)
        fail("calloc");
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 7 + 3);

    init_esp(&sas, c);
    for (int s = 0; s < N_ESP_SIZES; s++) {
        struct esp_point *p = &points[s];
        struct wr w = wr_init(p->packet, sizeof p->packet);

        p->sas = &sas;
        p->payload = payload;
        p->payload_len = esp_sizes[s];
        /* esp_unprotect keeps no replay state, so one packet serves every call. */
        if (esp_protect(&sas.out, NO_NEXT_HEADER, payload, p->payload_len, &w) != ESP_OK)
            fail("esp_protect");
        p->packet_len = w.pos;
        ctx[s] = p;
    }
    measure_series(esp_protect_op, ctx, N_ESP_SIZES, ns[MIP6_COST_OUTBOUND]);
    measure_series(esp_unprotect_op, ctx, N_ESP_SIZES, ns[MIP6_COST_INBOUND]);
    esp_sa_free(&sas.out);
    esp_sa_free(&sas.in);
    free(points);
}

/*
 * Measure every combination in ESP_TRIALS trials and keep the median
 * trial of each point.  On the machine of the defaults about one run in
 * 25 had one whole series about 120 ns per packet slower than usual, for
 * a reason not found.  The median of the trials leaves such a trial out.
 */
static void
measure_esp(struct esp_times *t)
{
    double trials[ESP_TRIALS][2][N_ESP_SIZES];

    for (int c = 0; c < N_COMBOS; c++) {
        for (int k = 0; k < ESP_TRIALS; k++)
            measure_esp_trial((enum combo)c, trials[k]);
        for (int d = 0; d < 2; d++) {
            for (int s = 0; s < N_ESP_SIZES; s++) {
                double values[ESP_TRIALS];
                for (int k = 0; k < ESP_TRIALS; k++)
                    values[k] = trials[k][d][s];
                qsort(values, ESP_TRIALS, sizeof values[0], compare_doubles);
                t->ns[c][d][s] = values[ESP_TRIALS / 2];
            }
            t->fit[c][d] = fit_line(esp_sizes, t->ns[c][d], N_ESP_SIZES);
        }
    }
}

/*
 * Fit the cipher E and the ICV H to all three series at once, by least
 * squares over AES+NULL = E, NULL+HMAC = H and AES+HMAC = E + H.  All
 * series have the same payload sizes, so this gives, coefficient by
 * coefficient, E = (2A - H' + B) / 3 and H = (2H' - A + B) / 3, where A, H'
 * and B are the lines fitted to each series.  ESP's own framing is too
 * small to separate and lands in both.  A negative coefficient is noise
 * around 0 and is set to 0, with a warning, because the cost file
 * accepts no negative values.
 */
static void
fit_esp(const struct esp_times *t, struct mip6_cost_table *table)
{
    static const char *const dir_names[2] = {"protect", "unprotect"};
    static const char *const part_names[2] = {"AES-128-CBC", "HMAC-SHA1-96"};

    for (int d = 0; d < 2; d++) {
        const struct mip6_cost_linear *a = &t->fit[AES_ONLY][d].line;
        const struct mip6_cost_linear *h = &t->fit[HMAC_ONLY][d].line;
        const struct mip6_cost_linear *b = &t->fit[AES_HMAC][d].line;
        struct mip6_cost_linear parts[2] = {
            {(2 * a->fixed_ns - h->fixed_ns + b->fixed_ns) / 3,
             (2 * a->per_byte_ns - h->per_byte_ns + b->per_byte_ns) / 3},
            {(2 * h->fixed_ns - a->fixed_ns + b->fixed_ns) / 3,
             (2 * h->per_byte_ns - a->per_byte_ns + b->per_byte_ns) / 3},
        };

        for (int p = 0; p < 2; p++) {
            if (parts[p].fixed_ns < 0 || parts[p].per_byte_ns < 0)
                printf("warning: %s on %s came out as %.3f ns + %.4f ns/byte; negative parts "
                       "are set to 0\n",
                       part_names[p], dir_names[d], parts[p].fixed_ns, parts[p].per_byte_ns);
            if (parts[p].fixed_ns < 0)
                parts[p].fixed_ns = 0;
            if (parts[p].per_byte_ns < 0)
                parts[p].per_byte_ns = 0;
        }
        if (d == MIP6_COST_OUTBOUND) {
            table->aes128cbc_encrypt = parts[0];
            table->hmac_sha1_96_compute = parts[1];
        } else {
            table->aes128cbc_decrypt = parts[0];
            table->hmac_sha1_96_verify = parts[1];
        }
    }
}

/*
 * The relative error (model - measured) / measured of mip6_cost_esp_ns
 * over one series, at the size where its magnitude is largest.
 */
static double
model_error(const struct esp_times *t, const struct mip6_cost_table *table, enum combo c, int d)
{
    enum esp_enc_alg enc = c == HMAC_ONLY ? ESP_ENC_NULL : ESP_ENC_AES_128_CBC;
    enum esp_auth_alg auth = c == AES_ONLY ? ESP_AUTH_NULL : ESP_AUTH_HMAC_SHA1_96;
    double worst = 0;

    for (int s = 0; s < N_ESP_SIZES; s++) {
        double model =
            (double)mip6_cost_esp_ns(table, enc, auth, (enum mip6_cost_dir)d, esp_sizes[s]);
        double error = (model - t->ns[c][d][s]) / t->ns[c][d][s];
        if (fabs(error) > fabs(worst))
            worst = error;
    }
    return worst;
}

static void
print_esp(const struct esp_times *t, const struct mip6_cost_table *table)
{
    static const char *const titles[2] = {"esp_protect (outbound)", "esp_unprotect (inbound)"};

    for (int d = 0; d < 2; d++) {
        printf("\n%s, ns per packet\n", titles[d]);
        printf("%12s", "payload [B]");
        for (int c = 0; c < N_COMBOS; c++)
            printf(" %11s", combo_names[c]);
        printf("\n");
        for (int s = 0; s < N_ESP_SIZES; s++) {
            printf("%12zu", esp_sizes[s]);
            for (int c = 0; c < N_COMBOS; c++)
                printf(" %11.1f", t->ns[c][d][s]);
            printf("\n");
        }
        for (int c = 0; c < N_COMBOS; c++) {
            const struct fit *f = &t->fit[c][d];
            printf("  %-9s line %6.1f ns + %6.4f ns/byte, R^2 %.5f, max residual %4.1f%%;"
                   " cost table off by %+5.1f%% at most\n",
                   combo_names[c], f->line.fixed_ns, f->line.per_byte_ns, f->r2,
                   100 * f->max_residual, 100 * model_error(t, table, (enum combo)c, d));
        }
    }
}

/* ---- IKEv2 prf and the PSK AUTH check ---- */

struct prf_op {
    EVP_MAC *mac;
    const char *digest;
    uint8_t key[32];
    size_t key_len; /* the prf's output length, as for SK_d and SK_p */
    uint8_t data[1024];
    size_t data_len;
};

/* One prf(key, data) call as a fresh HMAC context, the way a one-shot prf runs. */
static void
hmac_once(struct prf_op *p, const uint8_t *key, size_t key_len, const uint8_t *data,
          size_t data_len, uint8_t *out)
{
    OSSL_PARAM params[2] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)p->digest, 0),
        OSSL_PARAM_construct_end(),
    };
    size_t out_len = 0;
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(p->mac);

    if (!ctx || !EVP_MAC_init(ctx, key, key_len, params) || !EVP_MAC_update(ctx, data, data_len) ||
        !EVP_MAC_final(ctx, out, &out_len, 64))
        fail("HMAC");
    EVP_MAC_CTX_free(ctx);
}

static void
prf_call_op(void *ctx)
{
    struct prf_op *p = ctx;
    uint8_t out[64];
    hmac_once(p, p->key, p->key_len, p->data, p->data_len, out);
}

#define PSK_FIRST_MSG_LEN 400 /* an IKE_SA_INIT request with a MODP-2048 KE payload */
#define PSK_NONCE_LEN 32
#define PSK_ID_BODY_LEN 20 /* ID Type, 3 reserved bytes and an IPv6 address */

/* The three prf calls of RFC 7296 §2.15 shared-key AUTH. */
static void
psk_auth_op(void *ctx)
{
    struct prf_op *p = ctx;
    uint8_t pad_key[64], id_mac[64], auth[64];
    uint8_t signed_octets[PSK_FIRST_MSG_LEN + PSK_NONCE_LEN + 32];

    hmac_once(p, p->key, p->key_len, (const uint8_t *)"Key Pad for IKEv2", 17, pad_key);
    hmac_once(p, p->key, p->key_len, p->data, PSK_ID_BODY_LEN, id_mac);
    memcpy(signed_octets, p->data, PSK_FIRST_MSG_LEN + PSK_NONCE_LEN);
    memcpy(signed_octets + PSK_FIRST_MSG_LEN + PSK_NONCE_LEN, id_mac, p->key_len);
    hmac_once(p, pad_key, p->key_len, signed_octets, PSK_FIRST_MSG_LEN + PSK_NONCE_LEN + p->key_len,
              auth);
}

struct prf_result {
    const char *name;
    uint16_t transform; /* IANA prf ID */
    double ns[N_PRF_SIZES];
    struct fit fit;
    double psk_auth_ns;
};

static void
measure_prf(struct prf_result *r, const char *digest, size_t prf_len)
{
    struct prf_op p = {.digest = digest, .key_len = prf_len};

    p.mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (!p.mac)
        fail("EVP_MAC_fetch HMAC");
    for (size_t i = 0; i < sizeof p.key; i++)
        p.key[i] = (uint8_t)(0xa0 + i);
    for (size_t i = 0; i < sizeof p.data; i++)
        p.data[i] = (uint8_t)(i * 13);

    struct prf_op points[N_PRF_SIZES];
    void *ctx[N_PRF_SIZES];
    for (int s = 0; s < N_PRF_SIZES; s++) {
        points[s] = p;
        points[s].data_len = prf_sizes[s];
        ctx[s] = &points[s];
    }
    measure_series(prf_call_op, ctx, N_PRF_SIZES, r->ns);
    r->fit = fit_line(prf_sizes, r->ns, N_PRF_SIZES);
    r->psk_auth_ns = measure(psk_auth_op, &p);
    EVP_MAC_free(p.mac);
}

/* ---- Diffie-Hellman ---- */

struct modp_op {
    BIGNUM *p, *g, *x, *peer, *result;
    BN_CTX *bn;
    bool shared; /* peer^x instead of g^x */
};

static void
modp_exp_op(void *ctx)
{
    struct modp_op *m = ctx;
    if (!BN_mod_exp(m->result, m->shared ? m->peer : m->g, m->x, m->p, m->bn))
        fail("BN_mod_exp");
}

static void
measure_modp(double *keygen_ns, double *shared_ns)
{
    struct modp_op m = {0};
    BIGNUM *y = BN_new();

    m.bn = BN_CTX_new();
    m.p = BN_get_rfc3526_prime_2048(NULL);
    m.g = BN_new();
    m.x = BN_new();
    m.peer = BN_new();
    m.result = BN_new();
    if (!y || !m.bn || !m.p || !m.g || !m.x || !m.peer || !m.result || !BN_set_word(m.g, 2) ||
        !BN_rand(m.x, 256, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) ||
        !BN_rand(y, 256, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) ||
        !BN_mod_exp(m.peer, m.g, y, m.p, m.bn))
        fail("MODP-2048 setup");
    /* A private exponent takes the constant-time path, as in OpenSSL's own DH. */
    BN_set_flags(m.x, BN_FLG_CONSTTIME);

    m.shared = false;
    *keygen_ns = measure(modp_exp_op, &m);
    m.shared = true;
    *shared_ns = measure(modp_exp_op, &m);

    BN_free(y);
    BN_free(m.p);
    BN_free(m.g);
    BN_clear_free(m.x);
    BN_free(m.peer);
    BN_free(m.result);
    BN_CTX_free(m.bn);
}

struct x25519_op {
    uint8_t seed[32];
    EVP_PKEY *own; /* the key pair made from seed */
    uint8_t peer[32];
};

/* A key pair from 32 raw bytes; OpenSSL computes the public value on import. */
static void
x25519_keygen_op(void *ctx)
{
    struct x25519_op *x = ctx;
    uint8_t pub[32];
    size_t pub_len = sizeof pub;
    EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, x->seed, sizeof x->seed);

    if (!key || !EVP_PKEY_get_raw_public_key(key, pub, &pub_len))
        fail("X25519 key generation");
    EVP_PKEY_free(key);
}

/* The shared secret from the peer's raw public value, as read from a KE payload. */
static void
x25519_shared_op(void *ctx)
{
    struct x25519_op *x = ctx;
    uint8_t secret[32];
    size_t secret_len = sizeof secret;
    EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, x->peer, sizeof x->peer);
    EVP_PKEY_CTX *derive = EVP_PKEY_CTX_new_from_pkey(NULL, x->own, NULL);

    if (!peer || !derive || EVP_PKEY_derive_init(derive) <= 0 ||
        EVP_PKEY_derive_set_peer(derive, peer) <= 0 ||
        EVP_PKEY_derive(derive, secret, &secret_len) <= 0)
        fail("X25519 derive");
    EVP_PKEY_CTX_free(derive);
    EVP_PKEY_free(peer);
}

static void
measure_x25519(double *keygen_ns, double *shared_ns)
{
    struct x25519_op x;
    uint8_t peer_seed[32];
    size_t len = sizeof x.peer;

    for (size_t i = 0; i < 32; i++) {
        x.seed[i] = (uint8_t)(i * 5 + 1);
        peer_seed[i] = (uint8_t)(i * 11 + 2);
    }
    x.own = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, x.seed, sizeof x.seed);
    EVP_PKEY *peer = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, peer_seed, 32);
    if (!x.own || !peer || !EVP_PKEY_get_raw_public_key(peer, x.peer, &len))
        fail("X25519 setup");

    *keygen_ns = measure(x25519_keygen_op, &x);
    *shared_ns = measure(x25519_shared_op, &x);
    EVP_PKEY_free(peer);
    EVP_PKEY_free(x.own);
}

/* ---- signatures ---- */

struct sig_op {
    EVP_PKEY *key;
    const char *digest; /* NULL for Ed25519, which hashes internally */
    uint8_t message[SIGNED_MESSAGE_LEN];
    uint8_t signature[512];
    size_t signature_len;
};

static void
sign_op(void *ctx)
{
    struct sig_op *s = ctx;
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    s->signature_len = sizeof s->signature;
    if (!md || EVP_DigestSignInit_ex(md, NULL, s->digest, NULL, NULL, s->key, NULL) != 1 ||
        EVP_DigestSign(md, s->signature, &s->signature_len, s->message, sizeof s->message) != 1)
        fail("EVP_DigestSign");
    EVP_MD_CTX_free(md);
}

static void
verify_op(void *ctx)
{
    struct sig_op *s = ctx;
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    if (!md || EVP_DigestVerifyInit_ex(md, NULL, s->digest, NULL, NULL, s->key, NULL) != 1 ||
        EVP_DigestVerify(md, s->signature, s->signature_len, s->message, sizeof s->message) != 1)
        fail("EVP_DigestVerify");
    EVP_MD_CTX_free(md);
}

static void
measure_signature(EVP_PKEY *key, const char *digest, double *sign_ns, double *verify_ns)
{
    struct sig_op s = {.key = key, .digest = digest};

    if (!key)
        fail("signature key generation");
    for (size_t i = 0; i < sizeof s.message; i++)
        s.message[i] = (uint8_t)(i * 3);
    *sign_ns = measure(sign_op, &s);
    sign_op(&s); /* leaves a valid signature for verify_op */
    *verify_ns = measure(verify_op, &s);
    EVP_PKEY_free(key);
}

/* ---- report ---- */

/* Describe this machine and run for the header of the cost file. */
static void
describe_machine(char *out, size_t cap)
{
    char cpu[128] = "unknown CPU", line[256], date[16] = "unknown date";
    struct utsname u;
    FILE *f = fopen("/proc/cpuinfo", "r");
    time_t now = time(NULL);
    struct tm tm;

    while (f && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) == 0 && colon) {
            snprintf(cpu, sizeof cpu, "%s", colon + 2);
            cpu[strcspn(cpu, "\n")] = '\0';
            break;
        }
    }
    if (f)
        fclose(f);
    if (uname(&u) != 0) {
        strcpy(u.sysname, "unknown system");
        u.release[0] = '\0';
        u.machine[0] = '\0';
    }
    if (gmtime_r(&now, &tm))
        strftime(date, sizeof date, "%Y-%m-%d", &tm);
    snprintf(out, cap,
             "Measured by crypto_cost on %s (UTC) with batches of %.0f ms.\n"
             "CPU: %s, %s %s %s.\n"
             "%s.\n"
             "These costs are from one machine; measure yours with crypto_cost --output=FILE.",
             date, batch_ns / 1e6, cpu, u.sysname, u.release, u.machine,
             OpenSSL_version(OPENSSL_VERSION));
}

static void
print_prf(const struct prf_result *r, const struct mip6_cost_table *table)
{
    uint64_t predicted = 0;

    printf("\nprf %s, ns per call\n", r->name);
    for (int s = 0; s < N_PRF_SIZES; s++)
        printf("%12zu B %10.1f\n", prf_sizes[s], r->ns[s]);
    printf("  fit %8.1f ns + %6.4f ns/byte   R^2 %.5f   max residual %4.1f%%\n",
           r->fit.line.fixed_ns, r->fit.line.per_byte_ns, r->fit.r2, 100 * r->fit.max_residual);
    mip6_cost_psk_auth_ns(table, r->transform, PSK_FIRST_MSG_LEN, PSK_NONCE_LEN, PSK_ID_BODY_LEN,
                          &predicted);
    printf("  PSK AUTH (3 calls, %d-byte first message): measured %.1f ns, model %llu ns\n",
           PSK_FIRST_MSG_LEN, r->psk_auth_ns, (unsigned long long)predicted);
}

/* Keep 4 significant digits of each value, because runs differ by more than that. */
static void
round_table(struct mip6_cost_table *table)
{
    for (size_t i = 0; i < MIP6_COST_ENTRIES; i++) {
        char text[32];
        double *value = mip6_cost_value(table, i);
        snprintf(text, sizeof text, "%.4g", *value);
        *value = strtod(text, NULL);
    }
}

static void
usage(FILE *out)
{
    fprintf(out, "usage: crypto_cost [--output=FILE] [--batch-ms=MS]\n"
                 "  --output=FILE  write the measured cost table to FILE, in the format that\n"
                 "                 mip6_cost_load_file reads\n"
                 "  --batch-ms=MS  minimum CPU time in milliseconds of each of the 7 timed\n"
                 "                 batches per measurement, 1 to 1000 (default 2); the run\n"
                 "                 takes about 2.5 s per millisecond\n");
}

int
main(int argc, char **argv)
{
    const char *output = NULL;
    struct mip6_cost_table table = {0};
    struct esp_times *esp = calloc(1, sizeof *esp);
    struct prf_result sha1 = {.name = "HMAC-SHA1", .transform = 2};
    struct prf_result sha256 = {.name = "HMAC-SHA2-256", .transform = 5};
    char machine[768];
    struct mip6_cost_error err;

    for (int i = 1; i < argc; i++) {
        char *end;
        if (strncmp(argv[i], "--output=", 9) == 0) {
            output = argv[i] + 9;
            if (!*output) {
                fprintf(stderr, "crypto_cost: missing file name after --output=\n");
                return 2;
            }
        } else if (strncmp(argv[i], "--batch-ms=", 11) == 0) {
            long ms = strtol(argv[i] + 11, &end, 10);
            if (end == argv[i] + 11 || *end || ms < 1 || ms > 1000) {
                fprintf(stderr,
                        "crypto_cost: invalid value '%s' for --batch-ms: use a whole "
                        "number of milliseconds from 1 to 1000\n",
                        argv[i] + 11);
                return 2;
            }
            batch_ns = (double)ms * 1e6;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "crypto_cost: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!esp)
        fail("calloc");

    /* Fail before the measurements, not after, when the output cannot be written. */
    FILE *probe = output ? fopen(output, "a") : NULL;
    if (output && !probe) {
        fprintf(stderr, "crypto_cost: %s: failed to open for writing: %s\n", output,
                strerror(errno));
        return 1;
    }
    if (probe)
        fclose(probe);

    describe_machine(machine, sizeof machine);
    printf("%s\n", machine);

    measure_esp(esp);
    fit_esp(esp, &table);
    print_esp(esp, &table);
    free(esp);

    measure_prf(&sha1, "SHA1", 20);
    measure_prf(&sha256, "SHA256", 32);
    table.prf_hmac_sha1 = sha1.fit.line;
    table.prf_hmac_sha2_256 = sha256.fit.line;
    for (int i = 0; i < 2; i++) {
        struct mip6_cost_linear *line = i ? &table.prf_hmac_sha2_256 : &table.prf_hmac_sha1;
        if (line->fixed_ns < 0)
            line->fixed_ns = 0;
        if (line->per_byte_ns < 0)
            line->per_byte_ns = 0;
    }
    print_prf(&sha1, &table);
    print_prf(&sha256, &table);

    measure_modp(&table.modp2048_keygen_ns, &table.modp2048_shared_ns);
    measure_x25519(&table.curve25519_keygen_ns, &table.curve25519_shared_ns);
    measure_signature(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048), "SHA256",
                      &table.rsa2048_sign_ns, &table.rsa2048_verify_ns);
    measure_signature(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), NULL, &table.ed25519_sign_ns,
                      &table.ed25519_verify_ns);
    printf("\nkey exchange and signatures, ns per operation\n");
    printf("  MODP-2048 keygen %12.0f   shared secret %12.0f\n", table.modp2048_keygen_ns,
           table.modp2048_shared_ns);
    printf("  Curve25519 keygen %11.0f   shared secret %12.0f\n", table.curve25519_keygen_ns,
           table.curve25519_shared_ns);
    printf("  RSA-2048 sign %15.0f   verify %19.0f\n", table.rsa2048_sign_ns,
           table.rsa2048_verify_ns);
    printf("  Ed25519 sign %16.0f   verify %19.0f\n", table.ed25519_sign_ns,
           table.ed25519_verify_ns);

    round_table(&table);
    if (mip6_cost_check(&table, &err) != MIP6_COST_OK) {
        fprintf(stderr, "crypto_cost: %s\n", err.message);
        return 1;
    }
    char *text = mip6_cost_format(&table, machine);
    if (!text)
        fail("formatting the table");
    printf("\n%s", text);
    free(text);
    if (output) {
        if (mip6_cost_write_file(&table, machine, output, &err) != MIP6_COST_OK) {
            fprintf(stderr, "crypto_cost: %s\n", err.message);
            return 1;
        }
        printf("\nwrote %s\n", output);
    }
    return 0;
}
