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
 *
 * Beyond the addresses, protocol and interface of RFC 3776, selectors can
 * name the MH type (protocol 135) and the ICMPv6 type and code (protocol
 * 58), which RFC 4301 §4.4.1.1 adds and RFC 4877 uses.  A policy can
 * be made inactive and active again (RFC 3776 §4.2).
 */
#ifndef MIP6SEC_IPSEC_H
#define MIP6SEC_IPSEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addrmap.h"
#include "esp.h"
#include "esp_replay.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IPSEC_PROTO_ANY (-1)
#define IPSEC_SA_NAME_LEN 16 /* bytes of ipsec_sa.name, including the NUL */

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

/*
 * Traffic selectors.  A prefix length of 0 matches any address.  The
 * next-layer selectors are ANY while their *_set flag is false, so a
 * zero-initialised selector matches every MH and ICMPv6 type, as the
 * RFC 3776 §5 entries do.
 */
struct ipsec_selector {
    uint8_t src[16];
    uint8_t src_len; /* 0-128 */
    uint8_t dst[16];
    uint8_t dst_len; /* 0-128 */
    int proto;       /* IP protocol number or IPSEC_PROTO_ANY */
    /* RFC 3776 §4.2: entries for return routability and payload apply only
     * to packets entering or leaving the MN-HA tunnel interface.  An entry
     * with false applies only to packets that do not use that tunnel. */
    bool tunnel_iface;
    /* RFC 4301 §4.4.1.1: MH type, only with proto 135. */
    bool mh_type_set;
    uint8_t mh_type;
    /* RFC 4301 §4.4.1.1: ICMPv6 type, and code within it, only with proto 58. */
    bool icmp_type_set;
    uint8_t icmp_type;
    bool icmp_code_set; /* only with icmp_type_set */
    uint8_t icmp_code;
};

/* Result of ipsec_selector_check: the first problem in a selector. */
enum ipsec_selector_status {
    IPSEC_SELECTOR_OK = 0,
    IPSEC_SELECTOR_BAD_PREFIX_LEN,        /* src_len or dst_len above 128 */
    IPSEC_SELECTOR_BAD_PROTO,             /* proto outside 0-255 and not IPSEC_PROTO_ANY */
    IPSEC_SELECTOR_MH_TYPE_WITHOUT_MH,    /* MH type selector with proto other than 135 */
    IPSEC_SELECTOR_ICMP_WITHOUT_ICMPV6,   /* ICMPv6 type selector with proto other than 58 */
    IPSEC_SELECTOR_ICMP_CODE_WITHOUT_TYPE /* ICMPv6 code selector without a type */
};

/*
 * Volume limits of a dynamically keyed SA (RFC 4301 §4.4.2.1); 0 means no
 * limit.  Reaching a soft limit asks key management for a new SA, and
 * reaching a hard one ends the SA.  The packet limits guard the sequence
 * number space (RFC 4303 §3.3.3: the counter must not cycle).  Time
 * limits are timers of the key management, not kept here.
 */
struct ipsec_lifetime {
    uint64_t soft_bytes;
    uint64_t hard_bytes;
    uint64_t soft_packets;
    uint64_t hard_packets;
};

enum ipsec_expiry {
    IPSEC_EXPIRY_NONE = 0,
    IPSEC_EXPIRY_SOFT = 1,
    IPSEC_EXPIRY_HARD = 2,
};

struct ipsec_sa;

/*
 * Called when an SA crosses a soft or hard limit, from inside packet
 * processing.  The callback must not remove the SA: it schedules that
 * for later, because the caller still uses it.
 */
typedef void (*ipsec_expire_fn)(void *ctx, struct ipsec_sa *sa, enum ipsec_expiry expiry);

struct ipsec_sa {
    char name[IPSEC_SA_NAME_LEN]; /* as in RFC 3776 §5.2: "SA1", "SA2", ... */
    enum ipsec_dir dir;
    enum ipsec_mode mode;
    bool manual; /* manually keyed: no anti-replay (RFC 4303 §3.3.3) */
    struct ipsec_selector sel;
    /* Tunnel mode: outer addresses, changed by ipsec_sa_set_tunnel when
     * the care-of address changes (RFC 3776 §4.3).  Zero until set. */
    uint8_t tunnel_src[16];
    uint8_t tunnel_dst[16];
    struct esp_sa esp;
    uint64_t packets;
    uint64_t bytes;

    /* Dynamically keyed SAs only: the SPD entry the SA was negotiated
     * for, its limits and who to tell when it reaches them. */
    const struct ipsec_policy *policy;
    struct ipsec_lifetime lifetime;
    enum ipsec_expiry expired; /* the strongest limit reached so far */
    ipsec_expire_fn on_expire;
    void *expire_ctx;
    /* Inbound SAs with anti-replay (RFC 4303 §3.4.3); never manual ones. */
    bool replay_on;
    struct esp_replay replay;
};

struct ipsec_policy {
    uint32_t order; /* position in the ordered SPD; lower wins */
    enum ipsec_dir dir;
    struct ipsec_selector sel;
    enum ipsec_action action;
    struct ipsec_sa *sa; /* PROTECT only */
    bool active;         /* an inactive policy never matches; true when added */
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

/*
 * The packet fields that policy looks at, in home form.
 *
 * The next-layer fields are OPAQUE (RFC 4301 §4.4.1.1) while their
 * *_known flag is false: the packet then matches only selectors that are
 * ANY for that field.  A zero-initialised packet is OPAQUE, so callers
 * that fill only the first four fields match exactly as before MH-type
 * and ICMPv6 selectors existed.  ipsec_packet_read_next_layer fills them
 * from the message.
 */
struct ipsec_packet {
    const uint8_t *src;
    const uint8_t *dst;
    int proto;
    bool tunnel_iface;  /* entering or leaving the MN-HA tunnel interface */
    bool mh_type_known; /* proto 135 and the MH Type field was read */
    uint8_t mh_type;
    bool icmp_known; /* proto 58 and the ICMPv6 Type and Code fields were read */
    uint8_t icmp_type;
    uint8_t icmp_code;
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

/*
 * Add a dynamically keyed SA, as ipsec_sa_add does, but with manual
 * false, so that anti-replay may be enabled on it (RFC 4303 §3.3.3).
 */
struct ipsec_sa *ipsec_sa_add_dynamic(struct ipsec_db *db, const char *name, enum ipsec_dir dir,
                                      enum ipsec_mode mode, const struct ipsec_selector *sel,
                                      const struct ipsec_keys *keys, char *err, size_t err_len);

/*
 * Remove an SA from the SAD and free it.  Every policy that uses it is
 * left without an SA.  The caller must drop its own pointers to it.
 */
void ipsec_sa_remove(struct ipsec_db *db, struct ipsec_sa *sa);

/*
 * Count one packet of len bytes on the SA and check its volume limits.
 * When a limit is crossed for the first time, sa->expired is raised and
 * sa->on_expire called.  Returns sa->expired afterwards: a caller must
 * not use an SA whose hard limit is reached.
 */
enum ipsec_expiry ipsec_sa_count(struct ipsec_sa *sa, size_t len);

/*
 * Append an active policy at the end of the ordered SPD; NULL when out of
 * memory.  The selector should pass ipsec_selector_check: a prefix
 * length above 128 never matches, and a next-layer selector on the wrong
 * protocol never matches either.
 */
struct ipsec_policy *ipsec_policy_add(struct ipsec_db *db, enum ipsec_dir dir,
                                      const struct ipsec_selector *sel, enum ipsec_action action,
                                      struct ipsec_sa *sa);

/*
 * Make a policy inactive or active again.  It keeps its place in the
 * SPD order.  RFC 3776 §4.2 makes the entries that protect tunnelled
 * traffic inactive while the mobile node is at home.
 */
void ipsec_policy_set_active(struct ipsec_policy *policy, bool active);

/*
 * Set the active flag of every tunnel-interface policy whose selectors
 * name home_address as their single (/128) source or destination, that
 * is, the tunnel entries of one mobile node on either side (RFC 3776
 * §4.2).  Returns how many policies changed state.  Walks the whole SPD.
 */
size_t ipsec_tunnel_policies_set_active(struct ipsec_db *db, const uint8_t home_address[16],
                                        bool active);

/* The first active policy in SPD order that matches the packet, or NULL. */
struct ipsec_policy *ipsec_policy_lookup(const struct ipsec_db *db, enum ipsec_dir dir,
                                         const struct ipsec_packet *pkt);

/* The inbound SA with this SPI, or NULL. */
struct ipsec_sa *ipsec_sa_by_spi(const struct ipsec_db *db, uint32_t spi);

/*
 * Set the outer source and destination of a tunnel-mode SA.  Returns
 * false, changing nothing, for a transport-mode SA.
 *
 * RFC 3776 §4.3: the mobile node moves its tunnel SAs to a new care-of
 * address right after sending the BU that registers it, and the home
 * agent after accepting that BU.  The home agent must do this only for
 * a BU that arrived under ESP, never on behalf of other applications.
 */
bool ipsec_sa_set_tunnel(struct ipsec_sa *sa, const uint8_t outer_src[16],
                         const uint8_t outer_dst[16]);

/*
 * Point the tunnel-mode SAs of one mobile node at a new care-of address:
 * an SA whose selectors have home_address as their single source gets
 * care_of as outer source, and one with home_address as single
 * destination gets care_of as outer destination.  SA selectors are the
 * same at both ends, so this works on the mobile node and on the home
 * agent (RFC 3776 §4.3).  Returns how many SAs it changed.  Walks the
 * whole SAD.
 */
size_t ipsec_tunnel_sas_set_care_of(struct ipsec_db *db, const uint8_t home_address[16],
                                    const uint8_t care_of[16]);

/* Whether the packet matches the selectors (RFC 4301 §5.2 step 4). */
bool ipsec_selector_match(const struct ipsec_selector *sel, const struct ipsec_packet *pkt);

/* Check that a selector is well formed; returns the first problem found. */
enum ipsec_selector_status ipsec_selector_check(const struct ipsec_selector *sel);

/*
 * Fill the next-layer fields of pkt from the upper-layer header at
 * upper[0..len), according to pkt->proto: the MH Type for a Mobility
 * Header (RFC 6275 §6.1.1) and the Type and Code for ICMPv6 (RFC 4443
 * §2.1).  A header too short to hold the field, or another protocol,
 * leaves the field OPAQUE.
 */
void ipsec_packet_read_next_layer(struct ipsec_packet *pkt, const uint8_t *upper, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* MIP6SEC_IPSEC_H */
