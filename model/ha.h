/*
 * ha.h - home agent state, for the model and its tests.  Scenarios use
 * the functions in mip6sec.h.
 */
#ifndef MIP6SEC_HA_H
#define MIP6SEC_HA_H

#include "addrmap.h"
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

struct ike_node;

struct mip6_ha {
    struct mip6_node node;
    struct ike_node *ike; /* dynamic keying (model/ike.c), or NULL with manual keys */
    struct mip6_ha_config cfg;
    uint32_t tunnel_ifindex;
    struct addrmap bindings; /* home address -> struct mip6_binding */
    struct mip6_mpd_ha mpd;  /* prefix discovery, model/mpd.c */
};

/* The binding for a home address, or NULL. */
struct mip6_binding *mip6_ha_binding(const struct mip6_ha *ha, const uint8_t hoa[16]);

#endif /* MIP6SEC_HA_H */
