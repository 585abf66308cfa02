/*
 * spdconf_preset.h - the manual-keying SPD and SAD examples of RFC 3776
 * §5.2 for one mobile node and its home agent, as a struct spdconf, as
 * text in the format of spdconf.h, or installed into an ipsec_db.
 *
 * The four parts, each selectable, in the RFC's order:
 *   §5.2.1  Binding Updates and Acknowledgements  SA1, SA2  transport  proto MH
 *   §5.2.2  return routability (HoTI, HoT)       SA3, SA4  tunnel     proto MH, tunnel iface
 *   §5.2.3  prefix discovery (MPS, MPA)          SA5, SA6  transport  proto ICMPv6
 *   §5.2.4  payload                              SA7, SA8  tunnel     proto X, tunnel iface
 * SA1, SA3, SA5 and SA7 carry traffic from the mobile node to the home
 * agent; the others carry the reverse.  An SA has the same selectors at
 * both ends; it is outbound on one side and inbound on the other.
 *
 * The RFC 4877 variant adds the MH-type and ICMPv6-type selectors of
 * RFC 4301: SA1 only BU, SA2 only BA, SA3 only HoTI, SA4 only HoT, SA5
 * only MPS, SA6 only MPA.  Other MH messages between the two nodes (BE,
 * BRR) then match no entry.  Its return routability entries keep the
 * tunnel-interface selector, which RFC 4877 no longer requires but
 * which keeps them off packets that do not use the tunnel.
 */
#ifndef MIP6SEC_SPDCONF_PRESET_H
#define MIP6SEC_SPDCONF_PRESET_H

#include <stdbool.h>
#include <stdint.h>

#include "spdconf.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SPDCONF_PRESET_SAS 8             /* SA1 to SA8 */
#define SPDCONF_PRESET_PREFIX_LEN 8      /* bytes of name_prefix, with the NUL */
#define SPDCONF_PRESET_SPI_BASE 0x100000 /* SPI of SA1 for mobile node 0 */

enum spdconf_role {
    SPDCONF_MOBILE_NODE = 0,
    SPDCONF_HOME_AGENT = 1,
};

enum spdconf_variant {
    SPDCONF_RFC3776 = 0, /* addresses, protocol and interface */
    SPDCONF_RFC4877 = 1, /* plus MH type and ICMPv6 type */
};

/* Bits of spdconf_preset.parts: the subsections of RFC 3776 §5.2. */
enum spdconf_part {
    SPDCONF_PART_BU_BA = 1 << 0,   /* §5.2.1: SA1, SA2 */
    SPDCONF_PART_RR = 1 << 1,      /* §5.2.2: SA3, SA4 */
    SPDCONF_PART_PREFIX = 1 << 2,  /* §5.2.3: SA5, SA6 */
    SPDCONF_PART_PAYLOAD = 1 << 3, /* §5.2.4: SA7, SA8, optional (RFC 3776 §4.1) */
    SPDCONF_PARTS_SIGNALLING = SPDCONF_PART_BU_BA | SPDCONF_PART_RR | SPDCONF_PART_PREFIX,
    SPDCONF_PARTS_ALL = SPDCONF_PARTS_SIGNALLING | SPDCONF_PART_PAYLOAD,
};

/* Algorithms and keys of one SA of the preset. */
struct spdconf_preset_sa {
    uint32_t spi;
    enum esp_enc_alg enc;
    uint8_t enc_key[ESP_AES_KEY_LEN];
    enum esp_auth_alg auth;
    uint8_t auth_key[ESP_HMAC_SHA1_KEY_LEN];
};

struct spdconf_preset {
    uint8_t home_address[16];
    uint8_t home_agent[16];
    /* The mobile node's end of the tunnel SAs.  While care_of_known is
     * false they use the home address, as RFC 3776 §5.2.2 allows for the
     * home agent before the first registration.  ipsec_tunnel_sas_set_care_of
     * moves them later. */
    uint8_t care_of[16];
    bool care_of_known;
    bool at_home;   /* RFC 3776 §4.2: tunnel entries start inactive */
    unsigned parts; /* enum spdconf_part bits */
    enum spdconf_variant variant;
    int payload_proto; /* X of §5.2.4: IPSEC_PROTO_ANY or a protocol other than ESP and AH */
    char name_prefix[SPDCONF_PRESET_PREFIX_LEN];     /* "mn7-" names SA1 "mn7-SA1"; "" by default */
    struct spdconf_preset_sa sa[SPDCONF_PRESET_SAS]; /* sa[0] is SA1 */
};

/*
 * Fill p with defaults: parts SPDCONF_PARTS_SIGNALLING, variant
 * RFC 3776, X = any, care-of address unknown, away from home, and for
 * every SA AES-128-CBC and HMAC-SHA1-96 with keys derived by SHA-256
 * from seed, mn_index and the SA number, so runs are reproducible.  SA k
 * gets SPI SPDCONF_PRESET_SPI_BASE + 8 * mn_index + k - 1, distinct for
 * each mobile node while mn_index is below 536,739,840.
 */
void spdconf_preset_init(struct spdconf_preset *p, const uint8_t home_address[16],
                         const uint8_t home_agent[16], uint64_t seed, uint32_t mn_index);

/*
 * Append the entries of one side to conf and run spdconf_check on them.
 * Returns SPDCONF_OK, or SPDCONF_BAD_VALUE for an invalid name_prefix or
 * parts, SPDCONF_RULE_VIOLATION for X = ESP or AH or for algorithms
 * that break RFC 3776 §4.3, or the status of another failed check.  The
 * message names the SA and the rule.
 */
enum spdconf_status spdconf_preset_build(const struct spdconf_preset *p, enum spdconf_role role,
                                         struct spdconf *conf, struct spdconf_error *err);

/* The entries of one side as text; NULL with err filled on failure. */
char *spdconf_preset_text(const struct spdconf_preset *p, enum spdconf_role role,
                          struct spdconf_error *err);

/* Build the entries of one side and install them into db. */
enum spdconf_status spdconf_preset_install(const struct spdconf_preset *p, enum spdconf_role role,
                                           struct ipsec_db *db, struct spdconf_error *err);

#ifdef __cplusplus
}
#endif

#endif /* MIP6SEC_SPDCONF_PRESET_H */
