/*
 * radvd.h - the model's router advertisement daemon, for access routers
 * and home agents.  It sends Router Advertisements as RFC 4861 §6.2
 * describes, with the Mobile IPv6 additions of RFC 6275 §7: the H flag,
 * the Advertisement Interval option, the Home Agent Information option,
 * and the shorter intervals and delays that §7.5 allows.  It responds to
 * Router Solicitations after the random delay of RFC 4861 §6.2.6.
 *
 * ns-3.37's own Radvd has neither Mobile IPv6 option, and it responds to a
 * solicitation no sooner than 3 s after its last advertisement, however
 * short the configured intervals.
 */
#ifndef MIP6SEC_RADVD_H
#define MIP6SEC_RADVD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rec;
struct mip6_radvd;

struct mip6_radvd_config {
    uint32_t ifindex; /* the interface that advertises */
    uint8_t prefix[16];
    uint8_t prefix_len;
    uint32_t valid_lifetime_s;     /* AdvValidLifetime (RFC 4861 §6.2.1) */
    uint32_t preferred_lifetime_s; /* AdvPreferredLifetime */
    uint32_t min_interval_ms;      /* MinRtrAdvInterval */
    uint32_t max_interval_ms;      /* MaxRtrAdvInterval */
    /* AdvDefaultLifetime; 0 means 3 x MaxRtrAdvInterval rounded up to
     * whole seconds, the default of RFC 4861 §6.2.1. */
    uint16_t router_lifetime_s;
    /* Send the Advertisement Interval option (RFC 6275 §7.3). */
    bool adv_interval_option;
    /* Set the H flag and send the Home Agent Information option (RFC 6275
     * §7.1, §7.4), whose lifetime 0 means the router lifetime. */
    bool home_agent;
    int16_t ha_preference;
    uint16_t ha_lifetime_s;
    /* MIN_DELAY_BETWEEN_RAS: the shortest gap between two multicast
     * advertisements, 3 s in RFC 4861 §10.  RFC 6275 §7.5 lets a router
     * that supports mobility go down to 30 ms. */
    uint32_t min_delay_between_ras_ms;
    /* MAX_RA_DELAY_TIME: the longest random delay of a response to a
     * solicitation, 500 ms in RFC 4861 §10. */
    uint32_t max_ra_delay_ms;
};

/* Fill cfg with RFC 4861's defaults and the fastest intervals RFC 6275
 * §7.5 allows (30-70 ms).  The caller sets ifindex and the prefix. */
void mip6_radvd_config_default(struct mip6_radvd_config *cfg);

/*
 * Check cfg against RFC 4861 §6.2.1 and RFC 6275 §7.5.  Returns true when
 * it is valid; otherwise writes the problem and its fix into err.
 */
bool mip6_radvd_config_check(const struct mip6_radvd_config *cfg, char *err, size_t err_len);

/*
 * Start advertising on the node's interface.  The first advertisement
 * leaves after a random delay of up to the maximum interval.  Events go
 * to rec (may be NULL).  Returns NULL with a message in err when cfg is
 * invalid or the interface is missing.
 */
struct mip6_radvd *mip6_radvd_install(uint32_t node, const struct mip6_radvd_config *cfg,
                                      struct rec *rec, char *err, size_t err_len);

/* Stop advertising and free the daemon. */
void mip6_radvd_free(struct mip6_radvd *radvd);

/* Counters for tests and summaries. */
struct mip6_radvd_stats {
    uint64_t unsolicited; /* advertisements sent on the periodic schedule */
    uint64_t solicited;   /* advertisements sent early in response to solicitations */
    uint64_t rs_received; /* valid Router Solicitations */
    uint64_t rs_invalid;  /* solicitations that failed RFC 4861 §6.1.1 */
};
void mip6_radvd_stats(const struct mip6_radvd *radvd, struct mip6_radvd_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* MIP6SEC_RADVD_H */
