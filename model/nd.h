/*
 * nd.h - the parts of Neighbor Discovery (RFC 4861) that movement
 * detection needs: parsing a Router Advertisement.
 */
#ifndef MIP6SEC_ND_H
#define MIP6SEC_ND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ND_ROUTER_ADVERT 134 /* ICMPv6 type, RFC 4861 §4.2 */
#define ND_MAX_PREFIXES 4

enum nd_status {
    ND_OK = 0,
    ND_TRUNCATED,     /* message or option shorter than its fixed part */
    ND_NOT_RA,        /* ICMPv6 type is not 134 */
    ND_BAD_CODE,      /* code is not 0 (RFC 4861 §6.1.2) */
    ND_BAD_OPTION,    /* an option with length 0 or running past the end */
    ND_BAD_HOP_LIMIT, /* IPv6 hop limit is not 255 (RFC 4861 §6.1.2) */
    ND_BAD_SOURCE,    /* source is not link-local (RFC 4861 §6.1.2) */
};

struct nd_prefix {
    uint8_t prefix[16];
    uint8_t prefix_len;
    bool on_link;     /* L flag */
    bool autonomous;  /* A flag */
    bool router_addr; /* R flag, RFC 6275 §7.2 */
    uint32_t valid_lifetime_s;
    uint32_t preferred_lifetime_s;
};

/* Home Agent Information option (RFC 6275 §7.4). */
struct nd_ha_info {
    int16_t preference;  /* Home Agent Preference, higher is preferred */
    uint16_t lifetime_s; /* Home Agent Lifetime, 1 to 65535 s */
};

struct nd_ra {
    uint16_t router_lifetime_s;
    bool home_agent; /* H flag, RFC 6275 §7.1 */
    bool has_adv_interval;
    uint32_t adv_interval_ms; /* Advertisement Interval option, RFC 6275 §7.3 */
    /*
     * The first valid Home Agent Information option.  Read only when the
     * H flag is set, because RFC 6275 §7.4 allows the option only then.
     * An option with Home Agent Lifetime 0 is invalid (RFC 6275 §7.4): it
     * is not stored and sets ha_info_invalid.  Without a valid option
     * the defaults of RFC 6275 §7.4 apply: preference 0 and the Router
     * Lifetime.
     */
    bool has_ha_info;
    struct nd_ha_info ha_info;
    bool ha_info_invalid;
    size_t n_prefixes; /* Prefix Information options kept, at most ND_MAX_PREFIXES */
    struct nd_prefix prefixes[ND_MAX_PREFIXES];
};

/*
 * Parse a Router Advertisement.  icmp points at the ICMPv6 header; the
 * IPv6 hop limit and source come from the enclosing header because RFC
 * 4861 §6.1.2 makes them part of the validity checks.  The ICMPv6
 * checksum is not verified here: the simulator's ICMPv6 layer checks it.
 */
enum nd_status nd_parse_ra(const uint8_t *icmp, size_t len, uint8_t hop_limit,
                           const uint8_t src[16], struct nd_ra *out);

const char *nd_status_name(enum nd_status s);

#ifdef __cplusplus
}
#endif

#endif /* MIP6SEC_ND_H */
