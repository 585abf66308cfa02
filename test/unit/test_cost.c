/*
 * test_cost.c - the crypto cost table, the serial CPU of a node, and the
 * cost file parser and writer.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cost.h"

/* A table with round numbers, so that expected costs can be worked by hand. */
static struct mip6_cost_table
hand_table(void)
{
    struct mip6_cost_table t = {
        .aes128cbc_encrypt = {100, 1.5},
        .aes128cbc_decrypt = {150, 0.25},
        .hmac_sha1_96_compute = {300, 0.75},
        .hmac_sha1_96_verify = {310, 0.8},
        .modp2048_keygen_ns = 2.5e6,
        .modp2048_shared_ns = 2.4e6,
        .curve25519_keygen_ns = 50000.4,
        .curve25519_shared_ns = 50000.5,
        .prf_hmac_sha1 = {1000, 2},
        .prf_hmac_sha2_256 = {1200, 3},
        .rsa2048_sign_ns = 1e6,
        .rsa2048_verify_ns = 3e4,
        .ed25519_sign_ns = 2e4,
        .ed25519_verify_ns = 6e4,
    };
    return t;
}

static void
esp_cost_table_of_cases(void)
{
    static const struct {
        enum esp_enc_alg enc;
        enum esp_auth_alg auth;
        enum mip6_cost_dir dir;
        size_t payload_len;
        uint64_t expected_ns;
    } cases[] = {
        /* encrypt + compute: 100 + 150 + 300 + 75 */
        {ESP_ENC_AES_128_CBC, ESP_AUTH_HMAC_SHA1_96, MIP6_COST_OUTBOUND, 100, 625},
        /* decrypt + verify: 150 + 25 + 310 + 80 */
        {ESP_ENC_AES_128_CBC, ESP_AUTH_HMAC_SHA1_96, MIP6_COST_INBOUND, 100, 565},
        {ESP_ENC_AES_128_CBC, ESP_AUTH_NULL, MIP6_COST_OUTBOUND, 0, 100},
        {ESP_ENC_NULL, ESP_AUTH_HMAC_SHA1_96, MIP6_COST_INBOUND, 1000, 1110},
        {ESP_ENC_AES_128_CBC, ESP_AUTH_NULL, MIP6_COST_INBOUND, 1400, 500},
        /* 300.75 rounds to 301, 301.5 to 302 */
        {ESP_ENC_NULL, ESP_AUTH_HMAC_SHA1_96, MIP6_COST_OUTBOUND, 1, 301},
        {ESP_ENC_NULL, ESP_AUTH_HMAC_SHA1_96, MIP6_COST_OUTBOUND, 2, 302},
        /* 147853.75 rounds to 147854 */
        {ESP_ENC_AES_128_CBC, ESP_AUTH_HMAC_SHA1_96, MIP6_COST_OUTBOUND, ESP_MAX_PAYLOAD_LEN,
         147854},
    };
    struct mip6_cost_table t = hand_table();

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t ns =
            mip6_cost_esp_ns(&t, cases[i].enc, cases[i].auth, cases[i].dir, cases[i].payload_len);
        if (ns != cases[i].expected_ns)
            fprintf(stderr, "  case %zu\n", i);
        CHECK_EQ_INT(ns, cases[i].expected_ns);
    }
}

static void
esp_cost_null_is_free(void)
{
    struct mip6_cost_table t = hand_table();
    struct mip6_cost_table zeros = {0};

    CHECK_EQ_INT(mip6_cost_esp_ns(&t, ESP_ENC_NULL, ESP_AUTH_NULL, MIP6_COST_OUTBOUND, 0), 0);
    CHECK_EQ_INT(mip6_cost_esp_ns(&t, ESP_ENC_NULL, ESP_AUTH_NULL, MIP6_COST_OUTBOUND, 1400), 0);
    CHECK_EQ_INT(mip6_cost_esp_ns(&t, ESP_ENC_NULL, ESP_AUTH_NULL, MIP6_COST_INBOUND, 1400), 0);
    CHECK_EQ_INT(mip6_cost_esp_ns(&zeros, ESP_ENC_AES_128_CBC, ESP_AUTH_HMAC_SHA1_96,
                                  MIP6_COST_INBOUND, 1400),
                 0);

    /* A NULL algorithm adds nothing to the other one. */
    uint64_t aes = mip6_cost_esp_ns(&t, ESP_ENC_AES_128_CBC, ESP_AUTH_NULL, MIP6_COST_OUTBOUND, 64);
    uint64_t hmac =
        mip6_cost_esp_ns(&t, ESP_ENC_NULL, ESP_AUTH_HMAC_SHA1_96, MIP6_COST_OUTBOUND, 64);
    uint64_t both =
        mip6_cost_esp_ns(&t, ESP_ENC_AES_128_CBC, ESP_AUTH_HMAC_SHA1_96, MIP6_COST_OUTBOUND, 64);
    CHECK_EQ_INT(aes, 196);  /* 100 + 1.5 * 64 */
    CHECK_EQ_INT(hmac, 348); /* 300 + 0.75 * 64 */
    CHECK_EQ_INT(both, aes + hmac);
}

static void
ike_cost_arithmetic(void)
{
    struct mip6_cost_table t = hand_table();
    uint64_t ns = 0;

    CHECK(mip6_cost_dh_keygen_ns(&t, 14, &ns));
    CHECK_EQ_INT(ns, 2500000);
    CHECK(mip6_cost_dh_shared_ns(&t, 14, &ns));
    CHECK_EQ_INT(ns, 2400000);
    CHECK(mip6_cost_dh_keygen_ns(&t, 31, &ns));
    CHECK_EQ_INT(ns, 50000); /* 50000.4 rounds down */
    CHECK(mip6_cost_dh_shared_ns(&t, 31, &ns));
    CHECK_EQ_INT(ns, 50001); /* 50000.5 rounds up */

    CHECK(mip6_cost_prf_ns(&t, 2, 100, &ns));
    CHECK_EQ_INT(ns, 1200);
    CHECK(mip6_cost_prf_ns(&t, 5, 100, &ns));
    CHECK_EQ_INT(ns, 1500);

    /* prf+ with HMAC-SHA1 (20-byte blocks) and a 64-byte seed: the first
     * call takes 65 bytes, each later one 20 + 65. */
    CHECK(mip6_cost_prf_plus_ns(&t, 2, 64, 0, &ns));
    CHECK_EQ_INT(ns, 0);
    CHECK(mip6_cost_prf_plus_ns(&t, 2, 64, 20, &ns));
    CHECK_EQ_INT(ns, 1130);
    CHECK(mip6_cost_prf_plus_ns(&t, 2, 64, 21, &ns));
    CHECK_EQ_INT(ns, 2300);
    CHECK(mip6_cost_prf_plus_ns(&t, 2, 64, 40, &ns));
    CHECK_EQ_INT(ns, 2300);
    /* HMAC-SHA2-256, 100 bytes: 4 blocks, 1200 + 3 * 65, then 3 * (1200 + 3 * 97). */
    CHECK(mip6_cost_prf_plus_ns(&t, 5, 64, 100, &ns));
    CHECK_EQ_INT(ns, 5868);

    /* PSK AUTH: prf over 17 bytes, over the ID body, and over
     * first message + nonce + prf output. */
    CHECK(mip6_cost_psk_auth_ns(&t, 2, 400, 32, 20, &ns));
    CHECK_EQ_INT(ns, 1034 + 1040 + 1904);
    CHECK(mip6_cost_psk_auth_ns(&t, 5, 400, 32, 20, &ns));
    CHECK_EQ_INT(ns, 1251 + 1260 + 2592);

    CHECK_EQ_INT(mip6_cost_sign_ns(&t, MIP6_COST_RSA2048), 1000000);
    CHECK_EQ_INT(mip6_cost_verify_ns(&t, MIP6_COST_RSA2048), 30000);
    CHECK_EQ_INT(mip6_cost_sign_ns(&t, MIP6_COST_ED25519), 20000);
    CHECK_EQ_INT(mip6_cost_verify_ns(&t, MIP6_COST_ED25519), 60000);
}

static void
ike_cost_unknown_transform(void)
{
    struct mip6_cost_table t = hand_table();
    uint64_t ns = 12345;

    CHECK(!mip6_cost_dh_keygen_ns(&t, 2, &ns));
    CHECK(!mip6_cost_dh_shared_ns(&t, 19, &ns));
    CHECK(!mip6_cost_prf_ns(&t, 7, 100, &ns));
    CHECK(!mip6_cost_prf_plus_ns(&t, 0, 64, 100, &ns));
    CHECK(!mip6_cost_psk_auth_ns(&t, 4, 400, 32, 20, &ns));
    CHECK_EQ_INT(ns, 12345);
}

static void
cpu_slowdown_scales_cost(void)
{
    static const struct {
        double slowdown;
        uint64_t cost_ns;
        uint64_t expected_delay_ns;
    } cases[] = {
        {1, 1000, 1000}, {4, 1000, 4000}, {0.5, 1000, 500}, {2.5, 3, 8}, /* 7.5 rounds up */
        {4, 0, 0},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mip6_cpu cpu;
        CHECK(mip6_cpu_init(&cpu, cases[i].slowdown));
        CHECK_EQ_INT(mip6_cpu_submit(&cpu, 5000, cases[i].cost_ns), cases[i].expected_delay_ns);
        CHECK_EQ_INT(cpu.busy_ns, cases[i].expected_delay_ns);
    }

    /* A phone 4x slower than the table's machine, protecting one packet. */
    struct mip6_cost_table t = hand_table();
    struct mip6_cpu phone;
    CHECK(mip6_cpu_init(&phone, 4));
    uint64_t cost =
        mip6_cost_esp_ns(&t, ESP_ENC_AES_128_CBC, ESP_AUTH_HMAC_SHA1_96, MIP6_COST_OUTBOUND, 100);
    CHECK_EQ_INT(mip6_cpu_submit(&phone, 0, cost), 4 * 625);
}

static void
cpu_init_rejects_bad_slowdown(void)
{
    static const double bad[] = {0, -1, -0.0, NAN, INFINITY, -INFINITY};
    struct mip6_cpu cpu;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&cpu, 0xab, sizeof cpu);
        CHECK(!mip6_cpu_init(&cpu, bad[i]));
        CHECK_EQ_INT(cpu.jobs, 0xababababababababull);
    }
    CHECK(mip6_cpu_init(&cpu, 1e-3));
    CHECK_EQ_INT(cpu.jobs, 0);
    CHECK_EQ_INT(cpu.busy_until_ns, 0);
}

static void
cpu_fifo_back_to_back_jobs(void)
{
    struct mip6_cpu cpu;

    CHECK(mip6_cpu_init(&cpu, 1));
    /* Two jobs at t = 0: the second waits for the first. */
    CHECK_EQ_INT(mip6_cpu_submit(&cpu, 0, 100), 100);
    CHECK_EQ_INT(mip6_cpu_submit(&cpu, 0, 100), 200);
    /* At t = 50 the CPU is busy until 200, then runs this job until 300. */
    CHECK_EQ_INT(mip6_cpu_submit(&cpu, 50, 100), 250);
    CHECK_EQ_INT(cpu.busy_until_ns, 300);

    CHECK_EQ_INT(cpu.jobs, 3);
    CHECK_EQ_INT(cpu.busy_ns, 300);
    CHECK_EQ_INT(cpu.wait_ns, 0 + 100 + 150);
    CHECK_EQ_INT(cpu.max_backlog_ns, 150);
}

static void
cpu_idle_gap_resets_queue(void)
{
    struct mip6_cpu cpu;

    CHECK(mip6_cpu_init(&cpu, 2));
    CHECK_EQ_INT(mip6_cpu_submit(&cpu, 1000, 50), 100);
    CHECK_EQ_INT(mip6_cpu_submit(&cpu, 1000, 50), 200);
    /* Idle from 1200 to 5000: the next job starts at once. */
    CHECK_EQ_INT(mip6_cpu_submit(&cpu, 5000, 50), 100);
    CHECK_EQ_INT(cpu.busy_until_ns, 5100);
    /* Exactly when the CPU becomes free: no wait. */
    CHECK_EQ_INT(mip6_cpu_submit(&cpu, 5100, 10), 20);

    CHECK_EQ_INT(cpu.jobs, 4);
    CHECK_EQ_INT(cpu.busy_ns, 320);
    CHECK_EQ_INT(cpu.wait_ns, 100);
    CHECK_EQ_INT(cpu.max_backlog_ns, 100);
}

static void
cpu_utilization_counts_past_work(void)
{
    struct mip6_cpu cpu;

    CHECK(mip6_cpu_init(&cpu, 1));
    CHECK(mip6_cpu_utilization(&cpu, 0) == 0);
    CHECK(mip6_cpu_utilization(&cpu, 1000) == 0);

    mip6_cpu_submit(&cpu, 0, 250);
    mip6_cpu_submit(&cpu, 500, 250);
    CHECK(fabs(mip6_cpu_utilization(&cpu, 1000) - 0.5) < 1e-12);
    /* At 600 the second job has run 100 of its 250 ns: 350 of 600 ns busy. */
    CHECK(fabs(mip6_cpu_utilization(&cpu, 600) - 350.0 / 600.0) < 1e-12);

    /* A backlog far beyond now: busy all the time, never above 1. */
    mip6_cpu_submit(&cpu, 1000, 1000000);
    CHECK(fabs(mip6_cpu_utilization(&cpu, 2000) - 1500.0 / 2000.0) < 1e-12);
    CHECK(mip6_cpu_utilization(&cpu, 2000) <= 1);
}

static void
cpu_saturates_instead_of_wrapping(void)
{
    struct mip6_cpu cpu;

    CHECK(mip6_cpu_init(&cpu, 4));
    CHECK_EQ_INT(mip6_cpu_submit(&cpu, 0, UINT64_MAX / 2), UINT64_MAX);
    CHECK(cpu.busy_until_ns == UINT64_MAX);
    CHECK(mip6_cpu_submit(&cpu, 10, 1) == UINT64_MAX - 10);
    CHECK(cpu.busy_ns == UINT64_MAX);
    CHECK_EQ_INT(cpu.jobs, 2);
}

static void
names_cover_the_table(void)
{
    struct mip6_cost_table t = {0};
    size_t index = 99;

    /* Every double of the struct has exactly one name. */
    CHECK_EQ_INT(sizeof t, MIP6_COST_ENTRIES * sizeof(double));
    for (size_t i = 0; i < MIP6_COST_ENTRIES; i++) {
        double *v = mip6_cost_value(&t, i);
        CHECK(v != NULL);
        CHECK(*v == 0);
        *v = (double)(i + 1);
        CHECK(mip6_cost_lookup(mip6_cost_name(i), &index));
        CHECK_EQ_INT(index, i);
    }
    for (size_t i = 0; i < MIP6_COST_ENTRIES; i++)
        CHECK(*mip6_cost_value(&t, i) == (double)(i + 1));
    CHECK(mip6_cost_name(MIP6_COST_ENTRIES) == NULL);
    CHECK(mip6_cost_value(&t, MIP6_COST_ENTRIES) == NULL);
    CHECK(!mip6_cost_lookup("esp.aes128cbc.encrypt", &index));
    CHECK(!mip6_cost_lookup("", &index));

    CHECK(mip6_cost_lookup("esp.hmac_sha1_96.verify.per_byte_ns", &index));
    CHECK(mip6_cost_value(&t, index) == &t.hmac_sha1_96_verify.per_byte_ns);
    CHECK(mip6_cost_lookup("ike.curve25519.shared_secret.per_op_ns", &index));
    CHECK(mip6_cost_value(&t, index) == &t.curve25519_shared_ns);
}

static void
defaults_are_all_positive(void)
{
    struct mip6_cost_table t = mip6_cost_defaults;
    struct mip6_cost_error err;

    for (size_t i = 0; i < MIP6_COST_ENTRIES; i++) {
        if (!(*mip6_cost_value(&t, i) > 0))
            fprintf(stderr, "  %s is %g\n", mip6_cost_name(i), *mip6_cost_value(&t, i));
        CHECK(*mip6_cost_value(&t, i) > 0);
    }
    CHECK_EQ_INT(mip6_cost_check(&t, &err), MIP6_COST_OK);

    /* Public-key operations cost more than one prf call on any machine. */
    CHECK(t.modp2048_shared_ns > t.prf_hmac_sha1.fixed_ns);
    CHECK(t.rsa2048_sign_ns > t.rsa2048_verify_ns);
}

static void
parse_good_lines(void)
{
    static const struct {
        const char *text;
        const char *name;
        double expected;
    } cases[] = {
        {"esp.aes128cbc.encrypt.per_packet_ns = 97.5", "esp.aes128cbc.encrypt.per_packet_ns", 97.5},
        {"esp.aes128cbc.decrypt.per_byte_ns=0.25", "esp.aes128cbc.decrypt.per_byte_ns", 0.25},
        {"  ike.rsa2048.sign.per_op_ns\t=\t1e6  ", "ike.rsa2048.sign.per_op_ns", 1e6},
        {"ike.ed25519.verify.per_op_ns = 1.5E+4 # measured by hand", "ike.ed25519.verify.per_op_ns",
         15000},
        {"ike.modp2048.keygen.per_op_ns = 0", "ike.modp2048.keygen.per_op_ns", 0},
        {"ike.modp2048.shared_secret.per_op_ns = .5", "ike.modp2048.shared_secret.per_op_ns", 0.5},
        {"esp.aes128cbc.decrypt.per_packet_ns = 7.", "esp.aes128cbc.decrypt.per_packet_ns", 7},
        {"esp.hmac_sha1_96.compute.per_byte_ns = 25e-3\r\n", "esp.hmac_sha1_96.compute.per_byte_ns",
         0.025},
        {"# a comment line\n\n   \nesp.hmac_sha1_96.compute.per_packet_ns = 12",
         "esp.hmac_sha1_96.compute.per_packet_ns", 12},
        {"ike.prf_hmac_sha1.compute.per_op_ns = 1000000000000",
         "ike.prf_hmac_sha1.compute.per_op_ns", 1e12},
        {"ike.prf_hmac_sha2_256.compute.per_byte_ns = 0003.5000",
         "ike.prf_hmac_sha2_256.compute.per_byte_ns", 3.5},
        {"ike.curve25519.keygen.per_op_ns = 1e-400", "ike.curve25519.keygen.per_op_ns", 0},
        {"ike.curve25519.keygen.per_op_ns = 5 #\x01\xff bytes in a comment",
         "ike.curve25519.keygen.per_op_ns", 5},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mip6_cost_table t = mip6_cost_defaults;
        struct mip6_cost_error err;
        size_t index = 0;

        enum mip6_cost_status st =
            mip6_cost_parse(&t, cases[i].text, strlen(cases[i].text), "good.txt", &err);
        if (st != MIP6_COST_OK)
            fprintf(stderr, "  case %zu: %s\n", i, err.message);
        CHECK_EQ_INT(st, MIP6_COST_OK);
        CHECK(mip6_cost_lookup(cases[i].name, &index));
        CHECK(*mip6_cost_value(&t, index) == cases[i].expected);

        /* Every other entry keeps its default. */
        for (size_t j = 0; j < MIP6_COST_ENTRIES; j++) {
            struct mip6_cost_table defaults = mip6_cost_defaults;
            if (j != index)
                CHECK(*mip6_cost_value(&t, j) == *mip6_cost_value(&defaults, j));
        }
    }
}

static void
parse_bad_lines(void)
{
    static const struct {
        const char *text;
        enum mip6_cost_status status;
        const char *message; /* exact, or NULL to check only the status */
    } cases[] = {
        {"esp.aes128cbc.encrypt.per_packet_ns = 1\n# two\n"
         "esp.hmac_sha1_96.verify.per_byte_ns = abc",
         MIP6_COST_BAD_VALUE,
         "costs.txt:3: invalid value 'abc' for esp.hmac_sha1_96.verify.per_byte_ns: expected a "
         "non-negative number of nanoseconds"},
        {"esp.hmac_sha1_96.verify.per_byte_ns = -1", MIP6_COST_BAD_VALUE,
         "costs.txt:1: invalid value '-1' for esp.hmac_sha1_96.verify.per_byte_ns: expected a "
         "non-negative number of nanoseconds"},
        {"ike.rsa2048.sign.per_op_ns = 1e13", MIP6_COST_BAD_VALUE,
         "costs.txt:1: invalid value '1e13' for ike.rsa2048.sign.per_op_ns: expected at most "
         "1e+12 nanoseconds"},
        {"ike.rsa2048.sign.per_op_ns = 1e999", MIP6_COST_BAD_VALUE,
         "costs.txt:1: invalid value '1e999' for ike.rsa2048.sign.per_op_ns: expected at most "
         "1e+12 nanoseconds"},
        {"ike.rsa2048.sign.per_op_ns =", MIP6_COST_BAD_VALUE,
         "costs.txt:1: missing value for ike.rsa2048.sign.per_op_ns: expected a non-negative "
         "number of nanoseconds"},
        {"esp.aes.encrypt.per_packet_ns = 5", MIP6_COST_UNKNOWN_NAME,
         "costs.txt:1: unknown name 'esp.aes.encrypt.per_packet_ns': expected a cost name such "
         "as 'esp.aes128cbc.encrypt.per_packet_ns'"},
        {"esp.aes128cbc.encrypt.per_packet_ns 5", MIP6_COST_BAD_SYNTAX,
         "costs.txt:1: invalid line 'esp.aes128cbc.encrypt.per_packet_ns 5': expected 'name = "
         "value'"},
        {"= 5", MIP6_COST_BAD_SYNTAX,
         "costs.txt:1: missing name before '=': expected 'name = value'"},
        {"\n\nike.ed25519.sign.per_op_ns = 1\nike.ed25519.sign.per_op_ns = 2",
         MIP6_COST_DUPLICATE_NAME,
         "costs.txt:4: duplicate name ike.ed25519.sign.per_op_ns: it is already set on line 3"},
        {"ik\x01 = 5", MIP6_COST_BAD_CHARACTER,
         "costs.txt:1: invalid byte 0x01 in column 3: expected printable ASCII, or a comment "
         "after '#'"},
        {"ike.ed25519.sign.per_op_ns = 5\r", MIP6_COST_OK, NULL},
        {"ike.ed25519.sign.per_op_ns = 5\r\r\n", MIP6_COST_BAD_CHARACTER, NULL},
        {"ike.ed25519.sign.per_op_ns = 5\0", MIP6_COST_OK, NULL}, /* strlen stops at the NUL */
        {"ike.ed25519.sign.per_op_ns = \xc2\xb5", MIP6_COST_BAD_CHARACTER, NULL},
        {"ike.ed25519.sign.per_op_ns = nan", MIP6_COST_BAD_VALUE, NULL},
        {"ike.ed25519.sign.per_op_ns = inf", MIP6_COST_BAD_VALUE, NULL},
        {"ike.ed25519.sign.per_op_ns = 0x10", MIP6_COST_BAD_VALUE, NULL},
        {"ike.ed25519.sign.per_op_ns = 1,5", MIP6_COST_BAD_VALUE, NULL},
        {"ike.ed25519.sign.per_op_ns = 1.5.2", MIP6_COST_BAD_VALUE, NULL},
        {"ike.ed25519.sign.per_op_ns = 1e", MIP6_COST_BAD_VALUE, NULL},
        {"ike.ed25519.sign.per_op_ns = e5", MIP6_COST_BAD_VALUE, NULL},
        {"ike.ed25519.sign.per_op_ns = .", MIP6_COST_BAD_VALUE, NULL},
        {"ike.ed25519.sign.per_op_ns = +1", MIP6_COST_BAD_VALUE, NULL},
        {"ike.ed25519.sign.per_op_ns = 5 ns", MIP6_COST_BAD_VALUE, NULL},
        {"ike.ed25519.sign.per_op_ns = 5 = 6", MIP6_COST_BAD_VALUE, NULL},
        {"ike.ed25519.sign.per_op_ns = "
         "00000000000000000000000000000000000000000000000000000000000000001",
         MIP6_COST_BAD_VALUE, NULL},
        {"IKE.ED25519.SIGN.PER_OP_NS = 5", MIP6_COST_UNKNOWN_NAME, NULL},
        {"ike.ed25519 .sign.per_op_ns = 5", MIP6_COST_UNKNOWN_NAME, NULL},
        {"ike.ed25519.sign.per_op_ns_extra = 5", MIP6_COST_UNKNOWN_NAME, NULL},
        {"[esp]", MIP6_COST_BAD_SYNTAX, NULL},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mip6_cost_table t = mip6_cost_defaults;
        struct mip6_cost_error err;
        enum mip6_cost_status st =
            mip6_cost_parse(&t, cases[i].text, strlen(cases[i].text), "costs.txt", &err);

        if (st != cases[i].status)
            fprintf(stderr, "  case %zu: %s\n", i, err.message);
        CHECK_EQ_INT(st, cases[i].status);
        CHECK_EQ_INT(err.status, cases[i].status);
        if (cases[i].message && strcmp(err.message, cases[i].message) != 0) {
            fprintf(stderr, "  case %zu message: %s\n  expected:         %s\n", i, err.message,
                    cases[i].message);
            check_failures++;
        }
        if (st != MIP6_COST_OK) {
            CHECK(strncmp(err.message, "costs.txt:", 10) == 0);
            CHECK(memcmp(&t, &mip6_cost_defaults, sizeof t) == 0);
        }
    }
}

static void
parse_error_keeps_table(void)
{
    static const char text[] = "esp.aes128cbc.encrypt.per_packet_ns = 1\n"
                               "esp.aes128cbc.encrypt.per_byte_ns = 2\n"
                               "esp.aes128cbc.decrypt.per_packet_ns = oops\n";
    struct mip6_cost_table t = hand_table();
    struct mip6_cost_table before = t;
    struct mip6_cost_error err;

    CHECK_EQ_INT(mip6_cost_parse(&t, text, strlen(text), "costs.txt", &err), MIP6_COST_BAD_VALUE);
    CHECK_EQ_INT(err.line, 3);
    CHECK(memcmp(&t, &before, sizeof t) == 0);
}

static void
parse_long_word_is_cut(void)
{
    char text[300];
    struct mip6_cost_table t = mip6_cost_defaults;
    struct mip6_cost_error err;

    memset(text, 'x', sizeof text);
    memcpy(text + 200, " = 1", 4);
    CHECK_EQ_INT(mip6_cost_parse(&t, text, 204, "costs.txt", &err), MIP6_COST_UNKNOWN_NAME);
    CHECK(strstr(err.message, "xxx...'") != NULL);
    CHECK(strlen(err.message) < MIP6_COST_MESSAGE_LEN);

    /* A long source name fills the message without overflowing it. */
    char source[600];
    memset(source, 's', sizeof source - 1);
    source[sizeof source - 1] = '\0';
    CHECK_EQ_INT(mip6_cost_parse(&t, text, 204, source, &err), MIP6_COST_UNKNOWN_NAME);
    CHECK_EQ_INT(strlen(err.message), MIP6_COST_MESSAGE_LEN - 1);
}

static void
parse_empty_text(void)
{
    struct mip6_cost_table t = hand_table();
    struct mip6_cost_table before = t;
    struct mip6_cost_error err;

    CHECK_EQ_INT(mip6_cost_parse(&t, "", 0, "empty", &err), MIP6_COST_OK);
    CHECK_EQ_INT(mip6_cost_parse(&t, "# only a comment\n\n\r\n", 20, "empty", &err), MIP6_COST_OK);
    CHECK(memcmp(&t, &before, sizeof t) == 0);
}

/* Write table, parse the text into a table of zeros, and compare. */
static void
check_round_trip(const struct mip6_cost_table *table)
{
    struct mip6_cost_table back = {0};
    struct mip6_cost_error err;
    char *text = mip6_cost_format(table, "line one\nline two");

    CHECK(text != NULL);
    if (!text)
        return;
    CHECK(strstr(text, "\n# line one\n# line two\n") != NULL);
    CHECK_EQ_INT(mip6_cost_parse(&back, text, strlen(text), "round-trip", &err), MIP6_COST_OK);
    CHECK(memcmp(&back, table, sizeof back) == 0);
    for (size_t i = 0; i < MIP6_COST_ENTRIES; i++) {
        char line[128];
        snprintf(line, sizeof line, "\n%s = ", mip6_cost_name(i));
        CHECK(strstr(text, line) != NULL);
    }
    free(text);
}

static void
format_parse_round_trip(void)
{
    struct mip6_cost_table t = hand_table();
    check_round_trip(&t);
    check_round_trip(&mip6_cost_defaults);

    /* Values that need all 17 digits, or an exponent, or are at the limits. */
    struct mip6_cost_table awkward;
    for (size_t i = 0; i < MIP6_COST_ENTRIES; i++)
        *mip6_cost_value(&awkward, i) = (double)(i + 1) / 3.0 * pow(10, (double)i - 12);
    awkward.aes128cbc_encrypt.fixed_ns = 0;
    awkward.aes128cbc_encrypt.per_byte_ns = MIP6_COST_MAX_NS;
    awkward.aes128cbc_decrypt.fixed_ns = 0.1;
    awkward.aes128cbc_decrypt.per_byte_ns = 5e-324; /* the smallest subnormal */
    check_round_trip(&awkward);

    /* The shortest form is written: 97.5, not 97.500000000000000. */
    char *text = mip6_cost_format(&t, NULL);
    CHECK(text != NULL);
    if (text) {
        CHECK(strstr(text, "\nesp.aes128cbc.decrypt.per_byte_ns = 0.25\n") != NULL);
        CHECK(strstr(text, "\nike.modp2048.keygen.per_op_ns = 2500000\n") != NULL);
    }
    free(text);
}

static void
check_rejects_bad_values(void)
{
    static const double bad[] = {-1, -1e-300, NAN, INFINITY, 1.000001e12};
    struct mip6_cost_error err;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct mip6_cost_table t = hand_table();
        t.hmac_sha1_96_verify.per_byte_ns = bad[i];
        CHECK_EQ_INT(mip6_cost_check(&t, &err), MIP6_COST_BAD_VALUE);
        CHECK(strstr(err.message, "esp.hmac_sha1_96.verify.per_byte_ns") != NULL);
    }
    struct mip6_cost_table t = hand_table();
    t.rsa2048_sign_ns = MIP6_COST_MAX_NS;
    CHECK_EQ_INT(mip6_cost_check(&t, &err), MIP6_COST_OK);
}

static void
file_write_then_load(void)
{
    char path[] = "/tmp/test_cost_XXXXXX";
    int fd = mkstemp(path);
    struct mip6_cost_table t = hand_table(), back = mip6_cost_defaults;
    struct mip6_cost_error err;

    CHECK(fd >= 0);
    if (fd < 0)
        return;
    close(fd);
    CHECK_EQ_INT(mip6_cost_write_file(&t, "test", path, &err), MIP6_COST_OK);
    CHECK_EQ_INT(mip6_cost_load_file(&back, path, &err), MIP6_COST_OK);
    CHECK(memcmp(&back, &t, sizeof t) == 0);

    /* A bad line names the file. */
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("# costs\nesp.hmac_sha1_96.verify.per_byte_ns = abc\n", f);
        fclose(f);
    }
    CHECK_EQ_INT(mip6_cost_load_file(&back, path, &err), MIP6_COST_BAD_VALUE);
    char expected[128];
    snprintf(expected, sizeof expected, "%s:2: invalid value 'abc'", path);
    CHECK(strncmp(err.message, expected, strlen(expected)) == 0);
    unlink(path);

    CHECK_EQ_INT(mip6_cost_load_file(&back, "/nonexistent/costs.txt", &err), MIP6_COST_IO_ERROR);
    CHECK(strcmp(err.message,
                 "/nonexistent/costs.txt: failed to open: No such file or directory") == 0);
    CHECK_EQ_INT(mip6_cost_write_file(&t, NULL, "/nonexistent/costs.txt", &err),
                 MIP6_COST_IO_ERROR);
    CHECK(strncmp(err.message, "/nonexistent/costs.txt: failed to open for writing", 50) == 0);
}

CHECK_MAIN(TEST(esp_cost_table_of_cases), TEST(esp_cost_null_is_free), TEST(ike_cost_arithmetic),
           TEST(ike_cost_unknown_transform), TEST(cpu_slowdown_scales_cost),
           TEST(cpu_init_rejects_bad_slowdown), TEST(cpu_fifo_back_to_back_jobs),
           TEST(cpu_idle_gap_resets_queue), TEST(cpu_utilization_counts_past_work),
           TEST(cpu_saturates_instead_of_wrapping), TEST(names_cover_the_table),
           TEST(defaults_are_all_positive), TEST(parse_good_lines), TEST(parse_bad_lines),
           TEST(parse_error_keeps_table), TEST(parse_long_word_is_cut), TEST(parse_empty_text),
           TEST(format_parse_round_trip), TEST(check_rejects_bad_values),
           TEST(file_write_then_load))
