/*
 * world.h - a home agent, one mobile node and a correspondent node on the
 * test simulator (test/unit/testsim.h), for fuzz_signal.c, fuzz_ike.c and
 * the seed corpus that make_corpus.c writes.
 *
 *   mn --(home link 2001:1:0:1::/64 or foreign link 2001:1:0:2::/64)--+
 *                                   ha 2001:1:0:1::1 -- cn 2001:1:0:9::9
 *
 * In world_build the mobile node and the home agent share the SA pair
 * that mip6_keys_derive(WORLD_KEY_SEED, 0, AES-128-CBC, HMAC-SHA1-96)
 * gives.  In world_build_ike they negotiate their SAs with IKEv2.
 * Everything lives in the simulator's global state, so only one world
 * exists at a time.
 */
#ifndef MIP6SEC_FUZZ_WORLD_H
#define MIP6SEC_FUZZ_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "cn.h"
#include "ha.h"
#include "mn.h"

#define WORLD_KEY_SEED 7

/* How far the mobile node has got when world_build returns. */
enum world_stage {
    WORLD_AT_HOME = 0,       /* on the home link, no binding */
    WORLD_REGISTERING = 1,   /* on the foreign link, BU sent, BA lost */
    WORLD_REGISTERED = 2,    /* on the foreign link, home registration done */
    WORLD_DEREGISTERING = 3, /* back home, de-registration BU sent, BA lost */
};

struct world {
    uint32_t ha_node;
    uint32_t mn_node;
    uint32_t cn_node;
    struct mip6_ha *ha;
    struct mip6_mn *mn;
    struct mip6_cn *cn; /* route optimization with the mobile node */
    struct mip6_keys keys;
    uint8_t ha_addr[16];
    uint8_t cn_addr[16];
    uint8_t home_prefix[16];
    uint8_t foreign_prefix[16];
    uint8_t router_home[16];    /* link-local address of the home link's router */
    uint8_t router_foreign[16]; /* link-local address of the foreign link's router */
    uint8_t hoa[16];            /* the mobile node's home address */
    uint8_t coa[16];            /* its care-of address on the foreign link */
};

/*
 * Reset the simulator, install the nodes and SAs, and run the mobile node
 * to stage.  Aborts with a message when the model rejects the setup or
 * the mobile node does not reach the stage, because every later result
 * would be meaningless.
 */
void world_build(struct world *w, enum world_stage stage);

/*
 * Reset the simulator and install the home agent and the mobile node,
 * keyed with mip6_dynamic_sas(cfg) instead of manual SAs.  Then move the
 * mobile node to the foreign link and run until IKEv2 has set up its SAs
 * and the home registration is done.  The correspondent node runs no
 * model (w->cn is NULL), and w->keys stays zero.  Aborts with a message
 * when the model rejects cfg or the mobile node does not register.
 */
void world_build_ike(struct world *w, const struct mip6_ike_config *cfg);

/* Reset the simulator, then free the home agent and the mobile node. */
void world_free(struct world *w);

/*
 * Write a Router Advertisement from router for prefix/64 with the L and
 * A flags into pkt (at least WORLD_RA_LEN bytes).  Returns its length.
 */
#define WORLD_RA_LEN 88
size_t world_ra(uint8_t *pkt, const uint8_t router[16], const uint8_t prefix[16]);

#endif /* MIP6SEC_FUZZ_WORLD_H */
