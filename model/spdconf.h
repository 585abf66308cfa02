/*
 * spdconf.h - a line-based text format for the SPD and SAD of one node,
 * close to the notation of RFC 3776 §5.1:
 *
 *   # comment
 *   sa SA1 out spi=0x1000 mode=transport enc=aes-128-cbc key=0x... \
 *          auth=hmac-sha1-96 authkey=0x... src=HOA dst=HA proto=mh
 *   policy out src=HOA/128 dst=HA/128 proto=mh iface=physical action=protect sa=SA1
 *
 * (one entry per line; the backslash above only wraps this comment).
 * docs/spd-format.md gives the grammar, every field and a complete
 * example.
 *
 * A configuration goes through three steps, each a function here:
 *   spdconf_parse    text -> struct spdconf: syntax, values, SA names;
 *   spdconf_check    the rules a configuration must meet: RFC 3776 §4.3
 *                    algorithms, RFC 3776 §5.2.4 payload protocol,
 *                    policy and SA selectors, SPD order;
 *   spdconf_install  struct spdconf -> struct ipsec_db.
 * spdconf_load_text and spdconf_load_file run all three.  The reverse
 * direction, spdconf_from_db and spdconf_format, writes a database back
 * in the same format.  spdconf_preset.h builds the RFC 3776 §5.2
 * configurations as a struct spdconf.
 *
 * Every error fills a struct spdconf_error whose message starts with
 * "SOURCE:LINE: " (SOURCE is the file name or the label the caller
 * passes), names the offending token and states what was expected.
 */
#ifndef MIP6SEC_SPDCONF_H
#define MIP6SEC_SPDCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp.h"
#include "ipsec.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SPDCONF_MAX_LINE 1024       /* bytes per line, without the line end */
#define SPDCONF_MAX_FIELDS 32       /* words per line */
#define SPDCONF_MESSAGE_LEN 400     /* bytes of spdconf_error.message, with the NUL */
#define SPDCONF_MAX_FILE (1u << 26) /* spdconf_load_file reads at most 64 MiB */

enum spdconf_status {
    SPDCONF_OK = 0,
    SPDCONF_LINE_TOO_LONG,   /* a line longer than SPDCONF_MAX_LINE bytes */
    SPDCONF_BAD_CHARACTER,   /* a byte other than printable ASCII, space or tab outside a comment */
    SPDCONF_UNKNOWN_KEYWORD, /* a line that starts with neither sa nor policy, or an unknown field
                              */
    SPDCONF_BAD_SYNTAX,      /* a word that is not key=value, or too many words */
    SPDCONF_DUPLICATE_FIELD, /* the same field twice in one line */
    SPDCONF_MISSING_FIELD,   /* a required field or word is absent */
    SPDCONF_BAD_VALUE,       /* a word outside the field's list (dir, mode, proto, name, ...) */
    SPDCONF_BAD_NUMBER,      /* not a decimal or 0x hexadecimal number in the field's range */
    SPDCONF_BAD_ADDRESS,     /* not an IPv6 address */
    SPDCONF_BAD_PREFIX_LENGTH,  /* a prefix length outside 0-128 */
    SPDCONF_BAD_KEY,            /* a key that is not 0x and hex digits, or of the wrong length */
    SPDCONF_RESERVED_SPI,       /* an SPI below 256 (RFC 4303 §2.1) */
    SPDCONF_BAD_SELECTOR,       /* an MH type or ICMPv6 selector on another protocol */
    SPDCONF_CONFLICTING_FIELDS, /* fields that exclude each other, e.g. key= with enc=null */
    SPDCONF_DUPLICATE_SA,       /* two sa lines with one name */
    SPDCONF_UNKNOWN_SA,         /* a policy names an SA that no sa line defines */
    SPDCONF_DUPLICATE_SPI,      /* two inbound SAs with one SPI */
    SPDCONF_DIRECTION_MISMATCH, /* an out policy uses an in SA, or the reverse */
    SPDCONF_SELECTOR_MISMATCH,  /* a policy selects traffic outside its SA's selectors */
    SPDCONF_SHADOWED,           /* an earlier policy takes every packet a policy selects */
    SPDCONF_RULE_VIOLATION,     /* RFC 3776 §4.3 algorithms or §5.2.4 payload protocol */
    SPDCONF_NO_MEMORY,
    SPDCONF_IO_ERROR,       /* a file could not be read or written */
    SPDCONF_INSTALL_FAILED, /* ipsec_sa_add rejected an SA; the message gives the reason */
};

struct spdconf_error {
    enum spdconf_status status;
    size_t line; /* 1-based line of the offending entry, 0 when it has none */
    char message[SPDCONF_MESSAGE_LEN];
};

/* One sa line: a manually keyed SA as RFC 3776 §5.1 writes SAD entries. */
struct spdconf_sa {
    char name[IPSEC_SA_NAME_LEN];
    enum ipsec_dir dir;
    enum ipsec_mode mode;
    struct ipsec_selector sel;
    uint8_t tunnel_src[16]; /* tunnel mode only: outer addresses */
    uint8_t tunnel_dst[16];
    uint32_t spi;
    enum esp_enc_alg enc;
    uint8_t enc_key[ESP_AES_KEY_LEN]; /* zero with ESP_ENC_NULL */
    enum esp_auth_alg auth;
    uint8_t auth_key[ESP_HMAC_SHA1_KEY_LEN]; /* zero with ESP_AUTH_NULL */
    size_t line;                             /* 0 when the entry was not read from text */
};

/* One policy line: an entry of the ordered SPD. */
struct spdconf_policy {
    enum ipsec_dir dir;
    struct ipsec_selector sel;
    enum ipsec_action action;
    char sa_name[IPSEC_SA_NAME_LEN]; /* PROTECT only */
    bool active;
    /* A static string that spdconf_format writes as a comment line before
     * the first policy of a group, or NULL.  The parser leaves it NULL. */
    const char *section;
    size_t line;
};

/* The SAs and the ordered policies of one node.  Use spdconf_init first. */
struct spdconf {
    size_t n_sas;
    size_t cap_sas;
    struct spdconf_sa *sas;
    struct addrmap sa_by_name; /* name, zero-padded to 16 bytes -> index + 1 */
    size_t n_policies;         /* in SPD order */
    size_t cap_policies;
    struct spdconf_policy *policies;
};

void spdconf_init(struct spdconf *conf);

/* Free the entries and overwrite the keys with zeros. */
void spdconf_free(struct spdconf *conf);

/*
 * Append a copy of an entry; NULL when out of memory.  The returned
 * pointer stays valid until the next spdconf_add_sa.  An SA whose name
 * is already in conf hides the earlier one from spdconf_find_sa.
 */
struct spdconf_sa *spdconf_add_sa(struct spdconf *conf, const struct spdconf_sa *sa);
struct spdconf_policy *spdconf_add_policy(struct spdconf *conf,
                                          const struct spdconf_policy *policy);

/*
 * Whether name can name an SA in the format: 1 to IPSEC_SA_NAME_LEN - 1
 * letters, digits, '_', '-' or '.', starting with a letter.
 */
bool spdconf_valid_name(const char *name);

/* The SA with this name, or NULL; O(1) on average. */
const struct spdconf_sa *spdconf_find_sa(const struct spdconf *conf, const char *name);

/*
 * Parse text[0..len) and append its entries to conf.  The text need not
 * end with a NUL and may contain any bytes.  source names the text in
 * messages (a file name, or a label such as "preset").
 *
 * Returns SPDCONF_OK, or the status of the first error in line order
 * with err filled; conf then contains the entries before that line and
 * must still be freed.  SA names are resolved once the whole text is
 * read, so sa lines may come after the policies that use them.
 */
enum spdconf_status spdconf_parse(struct spdconf *conf, const char *text, size_t len,
                                  const char *source, struct spdconf_error *err);

/*
 * Check the rules a configuration must meet before it is installed:
 *   - every SA named by a policy exists and has the policy's direction;
 *   - each SA's selectors contain the selectors of the policies that use
 *     it (RFC 4301 §5.2: inbound packets must match the SA's selectors);
 *   - no PROTECT policy selects ESP or AH (RFC 3776 §5.2.4);
 *   - no policy is shadowed by an earlier active one (the first match
 *     decides, RFC 3776 §5.2);
 *   - inbound SPIs are unique;
 *   - RFC 3776 §4.3: an SA whose selectors admit Binding Updates or
 *     Acknowledgements or Mobile Prefix Solicitations or Advertisements
 *     has non-null authentication; a tunnel-mode SA whose selectors admit
 *     Home Test Init or Home Test has non-null encryption and
 *     authentication.
 * Every SA is taken to carry traffic between a mobile node and its home
 * agent.  Returns SPDCONF_OK or the first violation, with err filled.
 */
enum spdconf_status spdconf_check(const struct spdconf *conf, const char *source,
                                  struct spdconf_error *err);

/*
 * Add the SAs and then the policies of conf to db, after the entries db
 * already holds.  Fails with SPDCONF_DUPLICATE_SPI before changing db
 * when an inbound SPI is already in db.  On SPDCONF_NO_MEMORY or
 * SPDCONF_INSTALL_FAILED (an OpenSSL failure) db may hold part of conf.
 * Call spdconf_check first: install does not repeat its rules.
 */
enum spdconf_status spdconf_install(const struct spdconf *conf, struct ipsec_db *db,
                                    const char *source, struct spdconf_error *err);

/* Parse, check and install text[0..len) into db. */
enum spdconf_status spdconf_load_text(struct ipsec_db *db, const char *text, size_t len,
                                      const char *source, struct spdconf_error *err);

/* Read the file at path (at most SPDCONF_MAX_FILE bytes) and load it into db. */
enum spdconf_status spdconf_load_file(struct ipsec_db *db, const char *path,
                                      struct spdconf_error *err);

/*
 * Append the SAs and policies of db to conf, in SAD and SPD order, with
 * their keys.  Fails with SPDCONF_DUPLICATE_SA when two SAs of db share a
 * name, or SPDCONF_BAD_VALUE when a name cannot be written in the format.
 */
enum spdconf_status spdconf_from_db(struct spdconf *conf, const struct ipsec_db *db,
                                    struct spdconf_error *err);

/*
 * Write conf in the text format: a header comment, the sa lines, then
 * the policy lines in SPD order.  The same conf always gives the same
 * text.  Returns a NUL-terminated string that the caller frees, or NULL
 * when out of memory.  The text contains the keys.
 */
char *spdconf_format(const struct spdconf *conf);

/* Write the SAs and policies of db to the file at path, keys included. */
enum spdconf_status spdconf_write_file(const struct ipsec_db *db, const char *path,
                                       struct spdconf_error *err);

/*
 * Fill err with status and a message that starts with "SOURCE:LINE: ",
 * or "SOURCE: " when line is 0, followed by the printf-style text.
 * Returns status.
 */
enum spdconf_status spdconf_set_error(struct spdconf_error *err, enum spdconf_status status,
                                      const char *source, size_t line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* One-line description of a status, for logs: "invalid address", ... */
const char *spdconf_status_text(enum spdconf_status status);

/*
 * Symbolic names of the format, or NULL for a value without one:
 * protocols (mh, icmpv6, udp, tcp, esp, ah), MH types (brr, hoti, coti,
 * hot, cot, bu, ba, be; RFC 6275 §6.1.2-§6.1.9) and ICMPv6 types
 * (dhaad-request, dhaad-reply, mps, mpa; RFC 6275 §6.5-§6.8).
 */
const char *spdconf_proto_name(int proto);
const char *spdconf_mh_type_name(unsigned type);
const char *spdconf_icmp_type_name(unsigned type);

/* The value of a symbolic name; false when the name is unknown. */
bool spdconf_proto_from_name(const char *name, int *proto);
bool spdconf_mh_type_from_name(const char *name, uint8_t *type);
bool spdconf_icmp_type_from_name(const char *name, uint8_t *type);

#ifdef __cplusplus
}
#endif

#endif /* MIP6SEC_SPDCONF_H */
