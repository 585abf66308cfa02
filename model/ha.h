/*
 * ha.h - home agent state, for the model and its tests.  Scenarios use
 * the functions in mip6sec.h.
 */
#ifndef MIP6SEC_HA_H
#define MIP6SEC_HA_H

#include "addrmap.h"
#include "mh.h"
#include "mip6.h"
#include "mip6sec.h"
#include "mpd.h"
#include "timer.h"

/* A binding cache entry for a home registration (RFC 6275 §9.1). */
struct mip6_binding {
    uint8_t hoa[16];
    uint8_t coa[16];
    uint16_t last_seq;        /* sequence number of the last accepted BU */
    struct mip6_timer expiry; /* the granted lifetime */
    struct mip6_ha *ha;
};

/* The outcome of the home agent's duplicate address detection for a home
 * address, stored as the value of REC_MOB_HOME_DAD_DONE. */
enum mip6_home_dad_result {
    MIP6_HOME_DAD_UNIQUE = 0,    /* no other node claimed the address: the binding is accepted */
    MIP6_HOME_DAD_DUPLICATE = 1, /* another node uses the address: BA status 134 */
    MIP6_HOME_DAD_ABANDONED = 2, /* a de-registration for the address arrived first */
};

/*
 * A first registration that waits for duplicate address detection of its
 * home address (RFC 6275 §10.3.1).  It contains the latest BU for that
 * address, which the home agent accepts or rejects when the wait ends.
 */
struct mip6_home_dad {
    uint8_t hoa[16];
    uint8_t coa[16];
    struct mip6_in in; /* the BU's addresses in home form; msg and sa are NULL */
    struct mh_bu bu;
    bool probe_sent;
    uint64_t probe_uid; /* the Neighbor Solicitation sent, not a duplicate when it comes back */
    struct mip6_timer wait;
    struct mip6_ha *ha;
};

struct ike_node;

struct mip6_ha {
    struct mip6_node node;
    struct ike_node *ike; /* dynamic keying (model/ike.c), or NULL with manual keys */
    struct mip6_ha_config cfg;
    uint32_t tunnel_ifindex;
    uint8_t home_mac[6];     /* link-layer address of the home interface, for proxy ND */
    struct addrmap bindings; /* home address -> struct mip6_binding */
    struct addrmap dads;     /* home address -> struct mip6_home_dad */
    struct mip6_mpd_ha mpd;  /* prefix discovery, model/mpd.c */
};

/* The binding for a home address, or NULL. */
struct mip6_binding *mip6_ha_binding(const struct mip6_ha *ha, const uint8_t hoa[16]);

#endif /* MIP6SEC_HA_H */
