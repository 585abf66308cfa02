/*
 * cost.c - crypto cost table, the serial CPU of a node, and the cost
 * file parser and writer.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cost.h"

/* IANA IKEv2 transform IDs (RFC 7296 §3.3.2; group 31 comes from RFC 8031). */
enum {
    PRF_HMAC_SHA1 = 2,
    PRF_HMAC_SHA2_256 = 5,
    DH_MODP_2048 = 14,
    DH_CURVE25519 = 31,
};

#define PRF_SHA1_LEN 20
#define PRF_SHA2_256_LEN 32
#define PSK_KEY_PAD_LEN 17 /* "Key Pad for IKEv2" without a NUL (RFC 7296 §2.15) */
#define QUOTE_LEN 48       /* characters of a quoted word in a message */
#define MAX_NUMBER_LEN 64  /* characters of a value */
#define VALUE_TEXT_LEN 40  /* bytes for a formatted value: 15 digits, '.', 20 decimals, NUL */

/*
 * Defaults: measured by bench/crypto_cost with its default options on
 * 2026-12-04, on a 2-core x86-64 virtual machine whose /proc/cpuinfo
 * gives "AMD EPYC" (family 26, model 2, 2.6 GHz, with AES-NI and the SHA
 * extensions), under Debian 12 with OpenSSL 3.0.19.  Other builds were
 * running at the same time, and five later runs came out up to 8% lower.
 * These are the costs of one machine: a user should measure their own
 * with crypto_cost --output=FILE and load that file.
 */
const struct mip6_cost_table mip6_cost_defaults = {
    .aes128cbc_encrypt = {123, 0.6944},
    .aes128cbc_decrypt = {105.8, 0.07669},
    .hmac_sha1_96_compute = {174.4, 0.5097},
    .hmac_sha1_96_verify = {180.7, 0.5116},
    .modp2048_keygen_ns = 235600,
    .modp2048_shared_ns = 234400,
    .curve25519_keygen_ns = 27490,
    .curve25519_shared_ns = 31510,
    .prf_hmac_sha1 = {756.2, 0.5233},
    .prf_hmac_sha2_256 = {762.3, 0.5449},
    .rsa2048_sign_ns = 243400,
    .rsa2048_verify_ns = 17210,
    .ed25519_sign_ns = 27910,
    .ed25519_verify_ns = 69780,
};

/* ---- cost arithmetic ---- */

/* Round a cost in ns to the nearest whole ns, saturating at UINT64_MAX. */
static uint64_t
round_ns(double ns)
{
    if (!(ns > 0))
        return 0;
    if (ns >= 0x1p64)
        return UINT64_MAX;
    return (uint64_t)(ns + 0.5);
}

static uint64_t
add_saturating(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static double
linear_ns(const struct mip6_cost_linear *cost, size_t bytes)
{
    return cost->fixed_ns + cost->per_byte_ns * (double)bytes;
}

uint64_t
mip6_cost_esp_ns(const struct mip6_cost_table *table, enum esp_enc_alg enc, enum esp_auth_alg auth,
                 enum mip6_cost_dir dir, size_t payload_len)
{
    bool outbound = dir == MIP6_COST_OUTBOUND;
    bool aes = enc == ESP_ENC_AES_128_CBC;
    bool hmac = auth == ESP_AUTH_HMAC_SHA1_96;

    double ns = 0;
    if (aes)
        ns += linear_ns(outbound ? &table->aes128cbc_encrypt : &table->aes128cbc_decrypt,
                        payload_len);
    if (hmac)
        ns += linear_ns(outbound ? &table->hmac_sha1_96_compute : &table->hmac_sha1_96_verify,
                        payload_len);
    return round_ns(ns);
}

bool
mip6_cost_dh_keygen_ns(const struct mip6_cost_table *table, uint16_t group, uint64_t *ns)
{
    if (group == DH_MODP_2048)
        *ns = round_ns(table->modp2048_keygen_ns);
    else if (group == DH_CURVE25519)
        *ns = round_ns(table->curve25519_keygen_ns);
    else
        return false;
    return true;
}

bool
mip6_cost_dh_shared_ns(const struct mip6_cost_table *table, uint16_t group, uint64_t *ns)
{
    if (group == DH_MODP_2048)
        *ns = round_ns(table->modp2048_shared_ns);
    else if (group == DH_CURVE25519)
        *ns = round_ns(table->curve25519_shared_ns);
    else
        return false;
    return true;
}

/* The prf's cost and output length; NULL for an unknown prf. */
static const struct mip6_cost_linear *
find_prf(const struct mip6_cost_table *table, uint16_t prf, size_t *prf_len)
{
    if (prf == PRF_HMAC_SHA1) {
        *prf_len = PRF_SHA1_LEN;
        return &table->prf_hmac_sha1;
    }
    if (prf == PRF_HMAC_SHA2_256) {
        *prf_len = PRF_SHA2_256_LEN;
        return &table->prf_hmac_sha2_256;
    }
    return NULL;
}

bool
mip6_cost_prf_ns(const struct mip6_cost_table *table, uint16_t prf, size_t data_len, uint64_t *ns)
{
    size_t prf_len;
    const struct mip6_cost_linear *cost = find_prf(table, prf, &prf_len);

    if (!cost)
        return false;
    *ns = round_ns(linear_ns(cost, data_len));
    return true;
}

bool
mip6_cost_prf_plus_ns(const struct mip6_cost_table *table, uint16_t prf, size_t seed_len,
                      size_t out_len, uint64_t *ns)
{
    size_t prf_len;
    const struct mip6_cost_linear *cost = find_prf(table, prf, &prf_len);

    if (!cost)
        return false;

    /* T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n) (RFC 7296 §2.13). */
    double blocks = (double)(out_len / prf_len + (out_len % prf_len != 0));
    double total = 0;
    if (blocks > 0) {
        total = cost->fixed_ns + cost->per_byte_ns * ((double)seed_len + 1);
        total += (blocks - 1) *
                 (cost->fixed_ns + cost->per_byte_ns * ((double)prf_len + (double)seed_len + 1));
    }
    *ns = round_ns(total);
    return true;
}

bool
mip6_cost_psk_auth_ns(const struct mip6_cost_table *table, uint16_t prf, size_t first_msg_len,
                      size_t peer_nonce_len, size_t id_body_len, uint64_t *ns)
{
    size_t prf_len;
    const struct mip6_cost_linear *cost = find_prf(table, prf, &prf_len);

    if (!cost)
        return false;

    /* RFC 7296 §2.15: prf(prf(Shared Secret, "Key Pad for IKEv2"), SignedOctets),
     * where SignedOctets ends with prf(SK_p, IDx'). */
    double signed_octets = (double)first_msg_len + (double)peer_nonce_len + (double)prf_len;
    double total = linear_ns(cost, PSK_KEY_PAD_LEN) + linear_ns(cost, id_body_len) +
                   cost->fixed_ns + cost->per_byte_ns * signed_octets;
    *ns = round_ns(total);
    return true;
}

uint64_t
mip6_cost_sign_ns(const struct mip6_cost_table *table, enum mip6_cost_sig alg)
{
    switch (alg) {
    case MIP6_COST_RSA2048:
        return round_ns(table->rsa2048_sign_ns);
    case MIP6_COST_ED25519:
        return round_ns(table->ed25519_sign_ns);
    }
    return 0;
}

uint64_t
mip6_cost_verify_ns(const struct mip6_cost_table *table, enum mip6_cost_sig alg)
{
    switch (alg) {
    case MIP6_COST_RSA2048:
        return round_ns(table->rsa2048_verify_ns);
    case MIP6_COST_ED25519:
        return round_ns(table->ed25519_verify_ns);
    }
    return 0;
}

/* ---- the serial CPU of a node ---- */

bool
mip6_cpu_init(struct mip6_cpu *cpu, double slowdown)
{
    if (!isfinite(slowdown) || !(slowdown > 0))
        return false;
    memset(cpu, 0, sizeof *cpu);
    cpu->slowdown = slowdown;
    return true;
}

uint64_t
mip6_cpu_submit(struct mip6_cpu *cpu, uint64_t now_ns, uint64_t cost_ns)
{
    uint64_t run_ns = round_ns((double)cost_ns * cpu->slowdown);
    uint64_t start_ns = cpu->busy_until_ns > now_ns ? cpu->busy_until_ns : now_ns;
    uint64_t wait_ns = start_ns - now_ns;

    cpu->busy_until_ns = add_saturating(start_ns, run_ns);
    cpu->jobs++;
    cpu->busy_ns = add_saturating(cpu->busy_ns, run_ns);
    cpu->wait_ns = add_saturating(cpu->wait_ns, wait_ns);
    if (wait_ns > cpu->max_backlog_ns)
        cpu->max_backlog_ns = wait_ns;
    return cpu->busy_until_ns - now_ns;
}

double
mip6_cpu_utilization(const struct mip6_cpu *cpu, uint64_t now_ns)
{
    if (now_ns == 0)
        return 0;

    /* The CPU runs without a break from now_ns to busy_until_ns, so that
     * much of busy_ns lies in the future. */
    uint64_t pending_ns = cpu->busy_until_ns > now_ns ? cpu->busy_until_ns - now_ns : 0;
    uint64_t done_ns = cpu->busy_ns > pending_ns ? cpu->busy_ns - pending_ns : 0;
    double load = (double)done_ns / (double)now_ns;
    return load < 1 ? load : 1;
}

/* ---- names of the text format ---- */

struct entry {
    const char *name;
    size_t offset;       /* of the double in struct mip6_cost_table */
    const char *section; /* comment that mip6_cost_format writes before it, or NULL */
};

#define ENTRY(name, field, section)                                                                \
    {                                                                                              \
        name, offsetof(struct mip6_cost_table, field), section                                     \
    }

static const struct entry entries[MIP6_COST_ENTRIES] = {
    ENTRY("esp.aes128cbc.encrypt.per_packet_ns", aes128cbc_encrypt.fixed_ns,
          "ESP AES-128-CBC (RFC 3602), per packet and per payload byte"),
    ENTRY("esp.aes128cbc.encrypt.per_byte_ns", aes128cbc_encrypt.per_byte_ns, NULL),
    ENTRY("esp.aes128cbc.decrypt.per_packet_ns", aes128cbc_decrypt.fixed_ns, NULL),
    ENTRY("esp.aes128cbc.decrypt.per_byte_ns", aes128cbc_decrypt.per_byte_ns, NULL),
    ENTRY("esp.hmac_sha1_96.compute.per_packet_ns", hmac_sha1_96_compute.fixed_ns,
          "ESP HMAC-SHA1-96 (RFC 2404), per packet and per payload byte"),
    ENTRY("esp.hmac_sha1_96.compute.per_byte_ns", hmac_sha1_96_compute.per_byte_ns, NULL),
    ENTRY("esp.hmac_sha1_96.verify.per_packet_ns", hmac_sha1_96_verify.fixed_ns, NULL),
    ENTRY("esp.hmac_sha1_96.verify.per_byte_ns", hmac_sha1_96_verify.per_byte_ns, NULL),
    ENTRY("ike.modp2048.keygen.per_op_ns", modp2048_keygen_ns,
          "IKEv2 Diffie-Hellman: group 14 (MODP-2048) and group 31 (Curve25519)"),
    ENTRY("ike.modp2048.shared_secret.per_op_ns", modp2048_shared_ns, NULL),
    ENTRY("ike.curve25519.keygen.per_op_ns", curve25519_keygen_ns, NULL),
    ENTRY("ike.curve25519.shared_secret.per_op_ns", curve25519_shared_ns, NULL),
    ENTRY("ike.prf_hmac_sha1.compute.per_op_ns", prf_hmac_sha1.fixed_ns,
          "IKEv2 prf: per call and per byte of data"),
    ENTRY("ike.prf_hmac_sha1.compute.per_byte_ns", prf_hmac_sha1.per_byte_ns, NULL),
    ENTRY("ike.prf_hmac_sha2_256.compute.per_op_ns", prf_hmac_sha2_256.fixed_ns, NULL),
    ENTRY("ike.prf_hmac_sha2_256.compute.per_byte_ns", prf_hmac_sha2_256.per_byte_ns, NULL),
    ENTRY("ike.rsa2048.sign.per_op_ns", rsa2048_sign_ns,
          "Signatures over a 512-byte message: RSA-2048 with SHA-256, and Ed25519"),
    ENTRY("ike.rsa2048.verify.per_op_ns", rsa2048_verify_ns, NULL),
    ENTRY("ike.ed25519.sign.per_op_ns", ed25519_sign_ns, NULL),
    ENTRY("ike.ed25519.verify.per_op_ns", ed25519_verify_ns, NULL),
};

const char *
mip6_cost_name(size_t index)
{
    return index < MIP6_COST_ENTRIES ? entries[index].name : NULL;
}

double *
mip6_cost_value(struct mip6_cost_table *table, size_t index)
{
    if (index >= MIP6_COST_ENTRIES)
        return NULL;
    return (double *)((char *)table + entries[index].offset);
}

static double
get_value(const struct mip6_cost_table *table, size_t index)
{
    return *(const double *)((const char *)table + entries[index].offset);
}

/* Find the entry whose name is exactly name[0..len). */
static bool
lookup_span(const char *name, size_t len, size_t *index)
{
    for (size_t i = 0; i < MIP6_COST_ENTRIES; i++) {
        if (strlen(entries[i].name) == len && memcmp(entries[i].name, name, len) == 0) {
            *index = i;
            return true;
        }
    }
    return false;
}

bool
mip6_cost_lookup(const char *name, size_t *index)
{
    return lookup_span(name, strlen(name), index);
}

/* The entry whose name shares the longest prefix with name[0..len). */
static const char *
closest_name(const char *name, size_t len)
{
    size_t best = 0, best_prefix = 0;

    for (size_t i = 0; i < MIP6_COST_ENTRIES; i++) {
        size_t prefix = 0;
        while (prefix < len && entries[i].name[prefix] == name[prefix])
            prefix++;
        if (prefix > best_prefix) {
            best = i;
            best_prefix = prefix;
        }
    }
    return entries[best].name;
}

/* ---- errors ---- */

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static enum mip6_cost_status
set_error(struct mip6_cost_error *err, enum mip6_cost_status status, const char *source,
          size_t line, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (line)
        n = snprintf(err->message, sizeof err->message, "%s:%zu: ", source, line);
    else
        n = snprintf(err->message, sizeof err->message, "%s: ", source);
    if (n > 0 && (size_t)n < sizeof err->message) {
        va_start(ap, fmt);
        vsnprintf(err->message + n, sizeof err->message - (size_t)n, fmt, ap);
        va_end(ap);
    }
    err->status = status;
    err->line = line;
    return status;
}

/* Copy text[0..len) into out for a message, cut to QUOTE_LEN characters with "...". */
static const char *
quote(char out[QUOTE_LEN + 4], const char *text, size_t len)
{
    if (len > QUOTE_LEN) {
        memcpy(out, text, QUOTE_LEN);
        memcpy(out + QUOTE_LEN, "...", 4);
    } else {
        memcpy(out, text, len);
        out[len] = '\0';
    }
    return out;
}

enum mip6_cost_status
mip6_cost_check(const struct mip6_cost_table *table, struct mip6_cost_error *err)
{
    for (size_t i = 0; i < MIP6_COST_ENTRIES; i++) {
        double v = get_value(table, i);
        if (!isfinite(v) || v < 0 || v > MIP6_COST_MAX_NS)
            return set_error(err, MIP6_COST_BAD_VALUE, "table", 0,
                             "invalid value %g for %s: expected a number of nanoseconds "
                             "from 0 to %g",
                             v, entries[i].name, MIP6_COST_MAX_NS);
    }
    err->status = MIP6_COST_OK;
    err->line = 0;
    err->message[0] = '\0';
    return MIP6_COST_OK;
}

/* ---- parser ---- */

static bool
is_space(char c)
{
    return c == ' ' || c == '\t';
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Narrow [*start, *end) to drop spaces and tabs at both ends. */
static void
trim(const char *text, size_t *start, size_t *end)
{
    while (*start < *end && is_space(text[*start]))
        (*start)++;
    while (*end > *start && is_space(text[*end - 1]))
        (*end)--;
}

/*
 * Read a non-negative decimal number: digits with an optional fraction,
 * then an optional exponent.  No sign, no "inf" or "nan", no hexadecimal.
 * A value too large for a double gives HUGE_VAL, which the caller rejects
 * as above the maximum.
 */
static bool
parse_number(const char *text, size_t len, double *value)
{
    size_t i = 0, digits = 0;
    char buf[MAX_NUMBER_LEN + 1];

    while (i < len && is_digit(text[i])) {
        i++;
        digits++;
    }
    if (i < len && text[i] == '.') {
        i++;
        while (i < len && is_digit(text[i])) {
            i++;
            digits++;
        }
    }
    if (digits == 0)
        return false;
    if (i < len && (text[i] == 'e' || text[i] == 'E')) {
        size_t exponent_digits = 0;
        i++;
        if (i < len && (text[i] == '+' || text[i] == '-'))
            i++;
        while (i < len && is_digit(text[i])) {
            i++;
            exponent_digits++;
        }
        if (exponent_digits == 0)
            return false;
    }
    if (i != len || len > MAX_NUMBER_LEN)
        return false;

    memcpy(buf, text, len);
    buf[len] = '\0';
    *value = strtod(buf, NULL);
    return true;
}

struct parser {
    struct mip6_cost_table *table;
    size_t set_on_line[MIP6_COST_ENTRIES]; /* 0 when the text has not set the entry */
    const char *source;
    struct mip6_cost_error *err;
};

/* Check every byte before a comment: printable ASCII or tab. */
static enum mip6_cost_status
check_bytes(struct parser *p, const char *line, size_t len, size_t number)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c != '\t' && (c < 0x20 || c > 0x7e))
            return set_error(p->err, MIP6_COST_BAD_CHARACTER, p->source, number,
                             "invalid byte 0x%02x in column %zu: expected printable ASCII, "
                             "or a comment after '#'",
                             c, i + 1);
    }
    return MIP6_COST_OK;
}

static enum mip6_cost_status
parse_value(struct parser *p, size_t index, const char *text, size_t len, size_t number)
{
    const char *name = entries[index].name;
    char word[QUOTE_LEN + 4];
    double value;

    if (len == 0)
        return set_error(p->err, MIP6_COST_BAD_VALUE, p->source, number,
                         "missing value for %s: expected a non-negative number of nanoseconds",
                         name);
    if (len > MAX_NUMBER_LEN)
        return set_error(p->err, MIP6_COST_BAD_VALUE, p->source, number,
                         "invalid value '%s' for %s: expected a number of at most %d characters",
                         quote(word, text, len), name, MAX_NUMBER_LEN);
    if (!parse_number(text, len, &value))
        return set_error(p->err, MIP6_COST_BAD_VALUE, p->source, number,
                         "invalid value '%s' for %s: expected a non-negative number of "
                         "nanoseconds",
                         quote(word, text, len), name);
    if (!(value <= MIP6_COST_MAX_NS))
        return set_error(p->err, MIP6_COST_BAD_VALUE, p->source, number,
                         "invalid value '%s' for %s: expected at most %g nanoseconds",
                         quote(word, text, len), name, MIP6_COST_MAX_NS);

    *mip6_cost_value(p->table, index) = value;
    p->set_on_line[index] = number;
    return MIP6_COST_OK;
}

/* Parse one line, without its line end. */
static enum mip6_cost_status
parse_line(struct parser *p, const char *line, size_t len, size_t number)
{
    char word[QUOTE_LEN + 4];
    const char *hash = memchr(line, '#', len);
    size_t start = 0, end = hash ? (size_t)(hash - line) : len;

    enum mip6_cost_status st = check_bytes(p, line, end, number);
    if (st != MIP6_COST_OK)
        return st;
    trim(line, &start, &end);
    if (start == end)
        return MIP6_COST_OK;

    const char *equals = memchr(line + start, '=', end - start);
    if (!equals)
        return set_error(p->err, MIP6_COST_BAD_SYNTAX, p->source, number,
                         "invalid line '%s': expected 'name = value'",
                         quote(word, line + start, end - start));
    size_t name_start = start, name_end = (size_t)(equals - line);
    size_t value_start = name_end + 1, value_end = end;
    trim(line, &name_start, &name_end);
    trim(line, &value_start, &value_end);
    if (name_start == name_end)
        return set_error(p->err, MIP6_COST_BAD_SYNTAX, p->source, number,
                         "missing name before '=': expected 'name = value'");

    size_t index;
    const char *name = line + name_start;
    size_t name_len = name_end - name_start;
    if (!lookup_span(name, name_len, &index))
        return set_error(p->err, MIP6_COST_UNKNOWN_NAME, p->source, number,
                         "unknown name '%s': expected a cost name such as '%s'",
                         quote(word, name, name_len), closest_name(name, name_len));
    if (p->set_on_line[index])
        return set_error(p->err, MIP6_COST_DUPLICATE_NAME, p->source, number,
                         "duplicate name %s: it is already set on line %zu", entries[index].name,
                         p->set_on_line[index]);
    return parse_value(p, index, line + value_start, value_end - value_start, number);
}

enum mip6_cost_status
mip6_cost_parse(struct mip6_cost_table *table, const char *text, size_t len, const char *source,
                struct mip6_cost_error *err)
{
    struct mip6_cost_table work = *table;
    struct parser p = {.table = &work, .source = source, .err = err};
    enum mip6_cost_status st = MIP6_COST_OK;
    size_t pos = 0, number = 0;

    memset(err, 0, sizeof *err);
    while (pos < len && st == MIP6_COST_OK) {
        const char *newline = memchr(text + pos, '\n', len - pos);
        size_t end = newline ? (size_t)(newline - text) : len;
        size_t line_len = end - pos;

        number++;
        if (line_len > 0 && text[end - 1] == '\r')
            line_len--;
        st = parse_line(&p, text + pos, line_len, number);
        pos = newline ? end + 1 : len;
    }

    if (st == MIP6_COST_OK)
        *table = work;
    return st;
}

enum mip6_cost_status
mip6_cost_load_file(struct mip6_cost_table *table, const char *path, struct mip6_cost_error *err)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    enum mip6_cost_status st = MIP6_COST_OK;

    memset(err, 0, sizeof *err);
    if (!f)
        return set_error(err, MIP6_COST_IO_ERROR, path, 0, "failed to open: %s", strerror(errno));

    /* Reading one byte more than the limit distinguishes a file at the limit from a larger one. */
    text = malloc(MIP6_COST_MAX_FILE + 1);
    size_t len = text ? fread(text, 1, MIP6_COST_MAX_FILE + 1, f) : 0;
    if (!text)
        st = set_error(err, MIP6_COST_NO_MEMORY, path, 0, "out of memory reading the file");
    else if (ferror(f))
        st = set_error(err, MIP6_COST_IO_ERROR, path, 0, "failed to read: %s", strerror(errno));
    else if (len > MIP6_COST_MAX_FILE)
        st = set_error(err, MIP6_COST_IO_ERROR, path, 0,
                       "file is larger than 1 MiB: expected a cost file of %d 'name = value' "
                       "lines",
                       MIP6_COST_ENTRIES);
    fclose(f);

    if (st == MIP6_COST_OK)
        st = mip6_cost_parse(table, text, len, path, err);
    free(text);
    return st;
}

/* ---- writer ---- */

struct text {
    char *buf;
    size_t len, cap;
    bool failed;
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
append(struct text *t, const char *fmt, ...)
{
    va_list ap;

    if (t->failed)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        t->failed = true;
        return;
    }
    if ((size_t)n >= t->cap - t->len) {
        size_t cap = t->cap;
        while ((size_t)n >= cap - t->len)
            cap *= 2;
        char *grown = realloc(t->buf, cap);
        if (!grown) {
            t->failed = true;
            return;
        }
        t->buf = grown;
        t->cap = cap;
        va_start(ap, fmt);
        vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
    }
    t->len += (size_t)n;
}

/*
 * Write value as the shortest text that strtod reads back exactly: plain
 * decimals over the range costs take, so that 2500000 does not become
 * 2.5e+06, and the fewest significant digits of %g elsewhere.
 */
static void
format_value(char out[VALUE_TEXT_LEN], double value)
{
    if (value == 0 || (value >= 1e-4 && value < 1e15)) {
        for (int decimals = 0; decimals <= 20; decimals++) {
            snprintf(out, VALUE_TEXT_LEN, "%.*f", decimals, value);
            if (strtod(out, NULL) == value)
                return;
        }
    }
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(out, VALUE_TEXT_LEN, "%.*g", digits, value);
        if (strtod(out, NULL) == value)
            return;
    }
}

char *
mip6_cost_format(const struct mip6_cost_table *table, const char *comment)
{
    struct text t = {malloc(2048), 0, 2048, false};

    if (!t.buf)
        return NULL;
    t.buf[0] = '\0';
    append(&t, "# mip6sec crypto cost table: CPU time of each operation in nanoseconds.\n"
               "# docs/crypto-costs.md describes every name.\n");
    while (comment && *comment) {
        size_t n = strcspn(comment, "\n");
        append(&t, "# %.*s\n", (int)n, comment);
        comment += n + (comment[n] == '\n');
    }
    for (size_t i = 0; i < MIP6_COST_ENTRIES; i++) {
        char value[VALUE_TEXT_LEN];
        if (entries[i].section)
            append(&t, "\n# %s\n", entries[i].section);
        format_value(value, get_value(table, i));
        append(&t, "%s = %s\n", entries[i].name, value);
    }

    if (t.failed) {
        free(t.buf);
        return NULL;
    }
    return t.buf;
}

enum mip6_cost_status
mip6_cost_write_file(const struct mip6_cost_table *table, const char *comment, const char *path,
                     struct mip6_cost_error *err)
{
    memset(err, 0, sizeof *err);
    char *text = mip6_cost_format(table, comment);
    if (!text)
        return set_error(err, MIP6_COST_NO_MEMORY, path, 0, "out of memory formatting the table");

    enum mip6_cost_status st = MIP6_COST_OK;
    FILE *f = fopen(path, "w");
    if (!f) {
        st = set_error(err, MIP6_COST_IO_ERROR, path, 0, "failed to open for writing: %s",
                       strerror(errno));
    } else {
        bool written = fputs(text, f) >= 0;
        if (fclose(f) != 0 || !written)
            st =
                set_error(err, MIP6_COST_IO_ERROR, path, 0, "failed to write: %s", strerror(errno));
    }
    free(text);
    return st;
}
