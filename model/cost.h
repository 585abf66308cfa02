/*
 * cost.h - the CPU time that crypto takes on a real node, so that a
 * CPU-bound node delays packets in simulated time.
 *
 * Simulated time does not advance while the model runs OpenSSL, so each
 * crypto operation is charged a cost from a table:
 *   - ESP (RFC 4303): a cost per packet plus a cost per payload byte for
 *     each algorithm, separately on protect (outbound) and unprotect
 *     (inbound);
 *   - IKEv2 (RFC 7296): Diffie-Hellman key generation and shared secret
 *     in groups 14 (MODP-2048) and 31 (Curve25519), a prf call as a cost
 *     per call plus per byte of data, and RSA-2048 and Ed25519
 *     signatures.
 * Costs are in nanoseconds, as doubles, of the machine the table was
 * measured on.  A node's struct mip6_cpu scales them by its slowdown and
 * runs the jobs one at a time in arrival order.
 *
 * The table has a text format, one "name = value" per line; see
 * mip6_cost_parse and docs/crypto-costs.md.  bench/crypto_cost measures
 * a table on the user's machine and writes it in that format.
 */
#ifndef MIP6SEC_COST_H
#define MIP6SEC_COST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MIP6_COST_MAX_NS 1e12         /* largest value of one entry: 1000 s */
#define MIP6_COST_ENTRIES 20          /* names in the text format */
#define MIP6_COST_MESSAGE_LEN 320     /* bytes of mip6_cost_error.message, with the NUL */
#define MIP6_COST_MAX_FILE (1u << 20) /* mip6_cost_load_file reads at most 1 MiB */

/* A cost that grows with the data: fixed_ns + per_byte_ns * bytes. */
struct mip6_cost_linear {
    double fixed_ns;    /* per packet (ESP) or per call (prf) */
    double per_byte_ns; /* per payload byte (ESP) or per input byte (prf) */
};

/*
 * CPU time of each operation on one machine, in nanoseconds.  Every
 * value is finite and in [0, MIP6_COST_MAX_NS].  The parser enforces
 * this, and mip6_cost_check tests it for a table built in code.
 */
struct mip6_cost_table {
    /* ESP algorithms.  Each cost includes a share of the work that
     * esp_protect and esp_unprotect do around the algorithm (header,
     * padding, copies), which is too small to measure apart. */
    struct mip6_cost_linear aes128cbc_encrypt; /* includes the IV derivation */
    struct mip6_cost_linear aes128cbc_decrypt;
    struct mip6_cost_linear hmac_sha1_96_compute;
    struct mip6_cost_linear hmac_sha1_96_verify;

    /* IKEv2 key exchange: one key pair, and one shared secret from the
     * peer's public value. */
    double modp2048_keygen_ns; /* group 14, 256-bit private exponent */
    double modp2048_shared_ns;
    double curve25519_keygen_ns; /* group 31 */
    double curve25519_shared_ns;
    struct mip6_cost_linear prf_hmac_sha1; /* per byte of prf data, not of the key */
    struct mip6_cost_linear prf_hmac_sha2_256;

    /* Signatures over a 512-byte message, for certificate authentication. */
    double rsa2048_sign_ns; /* RSA-2048 with SHA-256, PKCS #1 v1.5 */
    double rsa2048_verify_ns;
    double ed25519_sign_ns;
    double ed25519_verify_ns;
};

/* The table measured by bench/crypto_cost on one machine, which cost.c names. */
extern const struct mip6_cost_table mip6_cost_defaults;

enum mip6_cost_dir {
    MIP6_COST_OUTBOUND = 0, /* esp_protect: encrypt, then compute the ICV */
    MIP6_COST_INBOUND = 1,  /* esp_unprotect: verify the ICV, then decrypt */
};

enum mip6_cost_sig {
    MIP6_COST_RSA2048 = 0,
    MIP6_COST_ED25519 = 1,
};

enum mip6_cost_status {
    MIP6_COST_OK = 0,
    MIP6_COST_BAD_CHARACTER,  /* a byte other than printable ASCII or tab outside a comment */
    MIP6_COST_BAD_SYNTAX,     /* a line that is not "name = value" */
    MIP6_COST_UNKNOWN_NAME,   /* a name that is not one of the MIP6_COST_ENTRIES names */
    MIP6_COST_DUPLICATE_NAME, /* the same name on two lines */
    MIP6_COST_BAD_VALUE,      /* not a number, negative, or above MIP6_COST_MAX_NS */
    MIP6_COST_IO_ERROR,       /* a file could not be read or written */
    MIP6_COST_NO_MEMORY,
};

struct mip6_cost_error {
    enum mip6_cost_status status;
    size_t line; /* 1-based line of the error, 0 when it has none */
    char message[MIP6_COST_MESSAGE_LEN];
};

/*
 * Return the CPU time in ns to protect (outbound) or unprotect (inbound)
 * one ESP packet whose payload, before ESP adds its header, padding and
 * ICV, is payload_len bytes.  The cost is the sum over the non-NULL
 * algorithms of fixed_ns + per_byte_ns * payload_len, rounded to the
 * nearest ns once at the end, so NULL with NULL costs 0.
 *
 * An inbound packet that fails the ICV check is never decrypted (RFC
 * 4303 §3.4.4), so charge it with enc = ESP_ENC_NULL.
 */
uint64_t mip6_cost_esp_ns(const struct mip6_cost_table *table, enum esp_enc_alg enc,
                          enum esp_auth_alg auth, enum mip6_cost_dir dir, size_t payload_len);

/*
 * IKEv2 operations.  group and prf are IANA transform IDs (RFC 7296
 * §3.3.2): group 14 (MODP-2048) or 31 (Curve25519), prf 2 (HMAC-SHA1) or
 * 5 (HMAC-SHA2-256).  Each sets *ns and returns true, or returns false
 * for any other ID and leaves *ns unchanged.
 */
bool mip6_cost_dh_keygen_ns(const struct mip6_cost_table *table, uint16_t group, uint64_t *ns);
bool mip6_cost_dh_shared_ns(const struct mip6_cost_table *table, uint16_t group, uint64_t *ns);

/* One prf(key, data) call with data_len bytes of data. */
bool mip6_cost_prf_ns(const struct mip6_cost_table *table, uint16_t prf, size_t data_len,
                      uint64_t *ns);

/*
 * prf+(key, seed) for out_len bytes (RFC 7296 §2.13): one prf call per
 * output block, the first over seed | 0x01 and each later one over the
 * previous block | seed | counter.  out_len 0 costs 0.
 */
bool mip6_cost_prf_plus_ns(const struct mip6_cost_table *table, uint16_t prf, size_t seed_len,
                           size_t out_len, uint64_t *ns);

/*
 * The shared-key AUTH value (RFC 7296 §2.15), which takes three prf
 * calls: prf(Shared Secret, "Key Pad for IKEv2"), prf(SK_p, ID body) and
 * the outer prf over SignedOctets = the sender's first message | the
 * peer's nonce | the prf output.  id_body_len counts the ID Type, the
 * three reserved bytes and the identification data.
 */
bool mip6_cost_psk_auth_ns(const struct mip6_cost_table *table, uint16_t prf, size_t first_msg_len,
                           size_t peer_nonce_len, size_t id_body_len, uint64_t *ns);

/* One signature or one verification; 0 for a value outside enum mip6_cost_sig. */
uint64_t mip6_cost_sign_ns(const struct mip6_cost_table *table, enum mip6_cost_sig alg);
uint64_t mip6_cost_verify_ns(const struct mip6_cost_table *table, enum mip6_cost_sig alg);

/*
 * One node's CPU: a single server that runs crypto jobs one at a time in
 * the order they are submitted, so a job waits for all earlier work.
 * The counters let analysis report CPU load.
 */
struct mip6_cpu {
    double slowdown;         /* multiplies every cost: 4 for a CPU 4x slower than the table's */
    uint64_t busy_until_ns;  /* simulated time when the last submitted job completes */
    uint64_t jobs;           /* jobs submitted */
    uint64_t busy_ns;        /* CPU time of all submitted jobs, after the slowdown */
    uint64_t wait_ns;        /* total time jobs waited for earlier jobs */
    uint64_t max_backlog_ns; /* max work queued ahead of a job when it was submitted */
};

/*
 * Set up an idle CPU with zero counters.  slowdown must be finite and
 * above 0; values below 1 model a CPU faster than the measured one.
 * Returns false, leaving *cpu unchanged, for any other slowdown.
 */
bool mip6_cpu_init(struct mip6_cpu *cpu, double slowdown);

/*
 * Queue a job of cost_ns (a cost from the table, before the slowdown) at
 * simulated time now_ns, and return the delay from now_ns until the job
 * completes: the wait for earlier jobs plus the job's own scaled time.
 * A CPU idle at now_ns starts the job at once.  Times saturate at
 * UINT64_MAX instead of wrapping.  A job of cost 0 still waits for the
 * jobs before it, so skip the call for work that needs no CPU.
 */
uint64_t mip6_cpu_submit(struct mip6_cpu *cpu, uint64_t now_ns, uint64_t cost_ns);

/*
 * Fraction of the time from 0 to now_ns during which the CPU was busy,
 * in [0, 1]; 0 when now_ns is 0.  Work queued beyond now_ns is not
 * counted.  Assumes that the CPU was set up at time 0.
 */
double mip6_cpu_utilization(const struct mip6_cpu *cpu, uint64_t now_ns);

/*
 * The text format, one entry per line:
 *   # comment, also after an entry
 *   esp.aes128cbc.encrypt.per_packet_ns = 97.5
 * Names are listed by mip6_cost_name.  Values are non-negative decimal
 * numbers, optionally with a fraction and an exponent ("1.5e3"), at most
 * MIP6_COST_MAX_NS.  Lines may end in "\n" or "\r\n".
 */

/* Name of entry index (< MIP6_COST_ENTRIES), or NULL past the end. */
const char *mip6_cost_name(size_t index);

/* Pointer to the value of entry index inside table, or NULL past the end. */
double *mip6_cost_value(struct mip6_cost_table *table, size_t index);

/* Find the entry called name; false when no entry has that name. */
bool mip6_cost_lookup(const char *name, size_t *index);

/*
 * Parse text[0..len) and set the entries it names in *table.  Entries
 * it does not name keep their value, so start from mip6_cost_defaults
 * to override a few.  The text need not end with a NUL and may contain
 * any bytes.  source names the text in messages (a file name or a
 * label).
 *
 * Returns MIP6_COST_OK, or the status of the first error with err
 * filled and *table unchanged.  The message starts with "SOURCE:LINE: ",
 * quotes the offending word and states what was expected.
 */
enum mip6_cost_status mip6_cost_parse(struct mip6_cost_table *table, const char *text, size_t len,
                                      const char *source, struct mip6_cost_error *err);

/* Read the file at path (at most MIP6_COST_MAX_FILE bytes) and parse it. */
enum mip6_cost_status mip6_cost_load_file(struct mip6_cost_table *table, const char *path,
                                          struct mip6_cost_error *err);

/*
 * Write every entry of table in the text format, under a header comment
 * and one comment per group.  comment, when not NULL, is added to the
 * header, one "# " line per line of it.  Each value is the shortest
 * decimal that parses back to the same double, so parsing the text into
 * any table gives back table exactly.  A table that fails
 * mip6_cost_check gives text that the parser rejects.  Returns a
 * NUL-terminated string that the caller frees, or NULL when out of
 * memory.
 *
 * NOTE: numbers are written and read with printf and strtod, which
 * follow the LC_NUMERIC locale.  A program that sets a locale with a
 * decimal comma must switch LC_NUMERIC back to "C" around these calls.
 */
char *mip6_cost_format(const struct mip6_cost_table *table, const char *comment);

/* mip6_cost_format to the file at path, replacing it. */
enum mip6_cost_status mip6_cost_write_file(const struct mip6_cost_table *table, const char *comment,
                                           const char *path, struct mip6_cost_error *err);

/*
 * Check that every value of table is finite and in [0, MIP6_COST_MAX_NS].
 * Returns MIP6_COST_OK or MIP6_COST_BAD_VALUE with err naming the first
 * bad entry, with source "table" and line 0.
 */
enum mip6_cost_status mip6_cost_check(const struct mip6_cost_table *table,
                                      struct mip6_cost_error *err);

#ifdef __cplusplus
}
#endif

#endif /* MIP6SEC_COST_H */
