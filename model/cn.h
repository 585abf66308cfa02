/*
 * cn.h - the correspondent node: the return routability procedure and
 * correspondent registrations (RFC 6275 §5.2, §9), and route optimization
 * toward mobile nodes that registered a binding with it (RFC 6275 §9.3).
 *
 * A scenario makes a node a correspondent node with mip6_cn_install after
 * its IPv6 stack and addresses exist:
 *
 *   struct mip6_cn_config cfg;
 *   mip6_cn_config_default(&cfg);
 *   cfg.ifindex = 1;                 (the interface toward the network)
 *   memcpy(cfg.address, cn_addr, 16);
 *   struct mip6_cn *cn = mip6_cn_install(cn_node, &cfg, rec, err, sizeof err);
 *
 * The node's applications keep addressing mobile nodes by their home
 * addresses.  While a binding exists, packets for the home address go
 * straight to the care-of address with a type 2 routing header, and
 * packets from the care-of address with a Home Address option reach the
 * applications from the home address.
 *
 * The node then has an ingress hook (it replaces any other) and one
 * IPv6-in-IPv6 tunnel interface, which carries the host routes of the
 * home addresses that have a binding.  The state below the install API is
 * for the model and its tests.
 */
#ifndef MIP6SEC_CN_H
#define MIP6SEC_CN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addrmap.h"
#include "mip6.h"
#include "rec.h"
#include "rr.h"
#include "timer.h"

#ifdef __cplusplus
extern "C" {
#endif

struct mip6_cn_config {
    /*
     * Interface that Mobility Header messages and route-optimized packets
     * leave from.  Sending on a given interface keeps them out of the
     * tunnel interface, because RFC 6275 §6.1 has Mobility Header messages
     * bypass the Binding Cache.
     */
    uint32_t ifindex;
    uint8_t address[16]; /* the correspondent node's address, the destination of HoTI and BU */
    /* Kcn (RFC 6275 §5.2.1).  When kcn_set is false, install draws it from
     * the simulator's random stream. */
    bool kcn_set;
    uint8_t kcn[RR_KCN_LEN];
};

struct mip6_cn;

/* Fill a configuration with defaults: interface 0, no address, random Kcn. */
void mip6_cn_config_default(struct mip6_cn_config *cfg);

/*
 * Make node a correspondent node.  Returns NULL and writes a message that
 * names the bad value and the fix into err when the address is not a
 * global unicast address or not assigned to interface cfg->ifindex, or
 * when the node has no IPv6 stack.  The object lives until mip6_cn_free, and the simulator
 * keeps pointers into it.
 */
struct mip6_cn *mip6_cn_install(uint32_t node, const struct mip6_cn_config *cfg, struct rec *rec,
                                char *err, size_t err_len);

/*
 * Free a correspondent node and all its bindings.  Only for after the
 * simulation has ended: pending simulator events still point at it.
 */
void mip6_cn_free(struct mip6_cn *cn);

/* ----- state, for the model and its tests ----- */

/*
 * A Binding Cache entry for a correspondent registration (RFC 6275 §9.1).
 * Entries are never freed before mip6_cn_free, because their timers may
 * still have events pending.  A deleted or expired entry stays with
 * active false and counts as no binding.
 */
struct mip6_cn_binding {
    uint8_t hoa[16];
    uint8_t coa[16];
    bool active;
    uint16_t last_seq;    /* sequence number of the last accepted BU */
    uint32_t lifetime_s;  /* granted by that BU */
    bool used;            /* carried traffic since that BU */
    uint64_t packets_out; /* packets sent to the care-of address with a type 2 routing header */
    uint64_t packets_in;  /* packets with a Home Address option delivered from the home address */
    struct mip6_timer expiry;
    struct mip6_timer refresh; /* sends a Binding Refresh Request before expiry */
    struct mip6_cn *cn;
};

struct mip6_cn {
    struct mip6_node node;
    struct mip6_cn_config cfg;
    uint32_t tunnel_ifindex;
    uint8_t kcn[RR_KCN_LEN];
    struct rr_nonce_table nonces;
    struct addrmap bindings; /* home address -> struct mip6_cn_binding, active or not */
};

/* The active binding for a home address, or NULL. */
const struct mip6_cn_binding *mip6_cn_binding(const struct mip6_cn *cn, const uint8_t hoa[16]);

#ifdef __cplusplus
}
#endif

#endif /* MIP6SEC_CN_H */
