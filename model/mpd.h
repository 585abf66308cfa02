/*
 * mpd.h - Mobile Prefix Discovery (RFC 6275 §10.6, §11.4.2, §11.4.3) at
 * the mobile node and the home agent.  ESP in transport mode protects it
 * (RFC 3776 §3.3, §5.2.3): SA5 carries the Solicitation from the mobile
 * node and SA6 the Advertisement to it.
 *
 *   mobile node (care-of address)                      home agent
 *     MPS  IPv6 -> DO(HAO = HoA) -> ESP(SA5) -> ICMPv6 146  -->
 *     <--  IPv6 -> RH2(HoA) -> ESP(SA6) -> ICMPv6 147  MPA (Identifier copied)
 *
 * The mobile node solicits when a BA has status 1, when the home prefix
 * learned from the last MPA nears the end of its valid lifetime, and in
 * answer to an unsolicited MPA.  The home agent answers every protected
 * MPS, and sends unsolicited MPAs to every mobile node with a binding
 * when its prefix lifetimes change (mip6_ha_set_home_prefix_lifetimes).
 *
 * Internal to the model; scenarios use mip6sec.h.
 */
#ifndef MIP6SEC_MPD_H
#define MIP6SEC_MPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addrmap.h"
#include "icmp6.h"
#include "ipv6.h"
#include "mip6.h"
#include "nd.h"
#include "timer.h"

struct mip6_ha;
struct mip6_mn;

/* RFC 6275 §12: MPS retransmission starts at INITIAL_SOLICIT_TIMER. */
#define MIP6_MPD_INITIAL_SOLICIT_NS 3000000000ull
/* RFC 6275 §12: unsolicited MPA retransmission. */
#define MIP6_MPD_PREFIX_ADV_TIMEOUT_NS 3000000000ull
#define MIP6_MPD_PREFIX_ADV_RETRIES 3
/* RFC 4861 §6.2.1 defaults for AdvValidLifetime and AdvPreferredLifetime, in seconds. */
#define MIP6_MPD_DEFAULT_VALID_S 2592000u
#define MIP6_MPD_DEFAULT_PREFERRED_S 604800u
/* Prefix lifetime 0xffffffff means infinity (RFC 4861 §4.6.2). */
#define MIP6_MPD_INFINITE_LIFETIME 0xffffffffu

/* Prefix discovery state of a mobile node. */
struct mip6_mpd_mn {
    bool solicit_outstanding; /* an MPS waits for its MPA */
    uint16_t solicit_id;      /* Identifier of that MPS, kept in its retransmissions */
    uint32_t solicit_count;   /* MPSs sent with solicit_id */
    uint64_t solicit_timeout_ns;

    bool answered;        /* answered_id is valid */
    uint16_t answered_id; /* Identifier of the last MPS that an MPA matched */

    bool have_prefix;        /* prefix is the home prefix of the last accepted MPA */
    struct nd_prefix prefix; /* lifetimes as advertised, counted from prefix_received_ns */
    uint64_t prefix_received_ns;
    uint64_t mpa_accepted; /* MPAs accepted, solicited or not */

    struct mip6_timer retransmit_timer;
    struct mip6_timer lifetime_timer; /* solicits before the home prefix's valid lifetime ends */
};

/* Prefix discovery state of a home agent. */
struct mip6_mpd_ha {
    uint32_t valid_lifetime_s; /* advertised for the home prefix */
    uint32_t preferred_lifetime_s;
    struct addrmap peers; /* home address -> per-mobile-node state, owned */
    uint64_t mpa_sent;
};

/* ----- mobile node ----- */

/* Prepare the mobile node's timers; call once from mip6_mn_install. */
void mip6_mpd_mn_init(struct mip6_mn *mn);

/* Release the mobile node's timers; call from mip6_mn_free.  Safe before init. */
void mip6_mpd_mn_release(struct mip6_mn *mn);

/*
 * Start a solicitation: send an MPS with a new random Identifier and
 * retransmit it until an MPA with that Identifier arrives.  Does nothing
 * while an MPS is outstanding or the node is at home.  Between links the
 * retransmission timer runs but nothing is sent until a care-of address
 * is registered.
 */
void mip6_mpd_mn_solicit(struct mip6_mn *mn);

/*
 * Process an ICMPv6 message that mip6_receive_signal returned as *in
 * (home form, IPsec and policy already checked).  Anything other than an
 * acceptable MPA is dropped and recorded.
 */
void mip6_mpd_mn_receive(struct mip6_mn *mn, uint32_t ifindex, const uint8_t *pkt, size_t len,
                         uint64_t uid, const struct mip6_in *in);

/* ----- home agent ----- */

/* Set the default prefix lifetimes; call once from mip6_ha_install. */
void mip6_mpd_ha_init(struct mip6_ha *ha);

/* Free the per-mobile-node state; call from mip6_ha_free. */
void mip6_mpd_ha_free(struct mip6_ha *ha);

/* Process an ICMPv6 message that mip6_receive_signal returned as *in. */
void mip6_mpd_ha_receive(struct mip6_ha *ha, uint32_t ifindex, const uint8_t *pkt, size_t len,
                         uint64_t uid, const struct mip6_in *in);

/* ----- both ----- */

/*
 * Whether a parsed packet carries, without ESP, an ICMPv6 message of the
 * given type.  The ingress hooks use it to hand clear-text MPS and MPA
 * to the signalling path, whose policy check drops them when the SPD
 * requires protection.  Every other ICMPv6 message stays with the
 * simulator's stack.
 */
bool mip6_mpd_is_clear_message(const uint8_t *pkt, const struct ip6_packet *p, uint8_t icmp_type);

#endif /* MIP6SEC_MPD_H */
