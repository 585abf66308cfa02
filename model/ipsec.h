/*
 * ipsec.h - the Security Policy Database and Security Association
 * Database of one node (RFC 4301 §4.4, in the form RFC 3776 §5 uses).
 *
 * The SPD is an ordered list: the first entry whose selectors match a
 * packet decides (RFC 3776 §5.2: BU/BA entries before return routability
 * entries before payload entries).  Selectors are matched on the packet
 * in "home form": after the Home Address option and type 2 routing
 * header swaps, so the home address is the source (inbound BU) or the
 * destination (inbound BA), as RFC 3776 §4.2 requires.
 *
 * Entries whose remote address is a single address are also indexed by
 * that address, so a home agent with a thousand mobile nodes finds its
 * entry without scanning the list; the order of the list still decides.
 */
#ifndef MIP6SEC_IPSEC_H
#define MIP6SEC_IPSEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addrmap.h"
#include "esp.h"

#define IPSEC_PROTO_ANY (-1)

enum ipsec_dir {
    IPSEC_OUT = 0,
    IPSEC_IN = 1,
};

enum ipsec_mode {
    IPSEC_TRANSPORT = 0,
    IPSEC_TUNNEL = 1,
};

enum ipsec_action {
    IPSEC_PROTECT = 0,
    IPSEC_BYPASS = 1,
    IPSEC_DISCARD = 2,
};

/* Traffic selectors.  A prefix length of 0 matches any address. */
struct ipsec_selector {
    uint8_t src[16];
    uint8_t src_len;
    uint8_t dst[16];
    uint8_t dst_len;
    int proto; /* IP protocol number or IPSEC_PROTO_ANY */
    /* RFC 3776 §4.2: entries for return routability and payload apply only
     * to packets entering or leaving the MN-HA tunnel interface. */
    bool tunnel_iface;
};

struct ipsec_sa {
    char name[16]; /* as in RFC 3776 §5.2: "SA1", "SA2", ... */
    enum ipsec_dir dir;
    enum ipsec_mode mode;
    bool manual; /* manually keyed: no anti-replay (RFC 4303 §3.3.3) */
    struct ipsec_selector sel;
    uint8_t tunnel_src[16]; /* tunnel mode: outer addresses */
    uint8_t tunnel_dst[16];
    struct esp_sa esp;
    uint64_t packets;
    uint64_t bytes;
};

struct ipsec_policy {
    uint32_t order; /* position in the ordered SPD; lower wins */
    enum ipsec_dir dir;
    struct ipsec_selector sel;
    enum ipsec_action action;
    struct ipsec_sa *sa; /* PROTECT only */
};

/* A list of policies sorted by order. */
struct ipsec_policy_list {
    size_t count;
    size_t cap;
    struct ipsec_policy **items;
};

struct ipsec_db {
    uint32_t next_order;
    struct ipsec_policy_list all;        /* every policy, for listing */
    struct ipsec_policy_list general[2]; /* per direction: no single remote address */
    struct addrmap by_remote[2];         /* per direction: remote address -> list */
    struct addrmap sa_by_spi;            /* inbound SAs */
    size_t n_sas;
    size_t cap_sas;
    struct ipsec_sa **sas;
};

/* The packet fields that policy looks at, in home form. */
struct ipsec_packet {
    const uint8_t *src;
    const uint8_t *dst;
    int proto;
    bool tunnel_iface; /* entering or leaving the MN-HA tunnel interface */
};

void ipsec_db_init(struct ipsec_db *db);
void ipsec_db_free(struct ipsec_db *db);

/* Algorithms and keys of one SA; key lengths follow from the algorithms. */
struct ipsec_keys {
    uint32_t spi;
    enum esp_enc_alg enc;
    const uint8_t *enc_key; /* ESP_AES_KEY_LEN bytes, or NULL with ESP_ENC_NULL */
    enum esp_auth_alg auth;
    const uint8_t *auth_key; /* ESP_HMAC_SHA1_KEY_LEN bytes, or NULL with ESP_AUTH_NULL */
};

/*
 * Add an SA.  Keys are copied into the ESP state; the SA is owned by the
 * database.  Returns NULL with a message in err when the algorithms or
 * keys are invalid, the SPI is below 256 (RFC 4303 §2.1) or an inbound
 * SPI is already in use.
 */
struct ipsec_sa *ipsec_sa_add(struct ipsec_db *db, const char *name, enum ipsec_dir dir,
                              enum ipsec_mode mode, const struct ipsec_selector *sel,
                              const struct ipsec_keys *keys, char *err, size_t err_len);

/* Append a policy at the end of the ordered SPD; NULL when out of memory. */
struct ipsec_policy *ipsec_policy_add(struct ipsec_db *db, enum ipsec_dir dir,
                                      const struct ipsec_selector *sel, enum ipsec_action action,
                                      struct ipsec_sa *sa);

/* The first policy in SPD order that matches the packet, or NULL. */
struct ipsec_policy *ipsec_policy_lookup(const struct ipsec_db *db, enum ipsec_dir dir,
                                         const struct ipsec_packet *pkt);

/* The inbound SA with this SPI, or NULL. */
struct ipsec_sa *ipsec_sa_by_spi(const struct ipsec_db *db, uint32_t spi);

/* Whether the packet matches the selectors (RFC 4301 §5.2 step 4). */
bool ipsec_selector_match(const struct ipsec_selector *sel, const struct ipsec_packet *pkt);

#endif /* MIP6SEC_IPSEC_H */
