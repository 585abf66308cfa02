/*
 * mn.h - mobile node state, for the model and its tests.  Scenarios use
 * the functions in mip6sec.h.
 */
#ifndef MIP6SEC_MN_H
#define MIP6SEC_MN_H

#include "mip6.h"
#include "mip6sec.h"
#include "timer.h"

enum mip6_mn_state {
    MN_AT_HOME = 0,       /* on the home link, no binding */
    MN_WAIT_COA = 1,      /* moved to a foreign link, care-of address still tentative */
    MN_REGISTERING = 2,   /* BU sent, waiting for the BA */
    MN_REGISTERED = 3,    /* home registration accepted */
    MN_DEREGISTERING = 4, /* back home, de-registration BU sent */
};

/* The Binding Update List entry for the home registration (RFC 6275 §11.1). */
struct mip6_bul {
    uint16_t seq;        /* sequence number of the last BU sent */
    bool outstanding;    /* a BU waits for its BA */
    bool deregistration; /* that BU has lifetime 0 */
    uint8_t coa[16];     /* care-of address it registers */
    uint64_t timeout_ns; /* current retransmission timeout */
    uint64_t granted_ns; /* lifetime granted by the last accepted BA */
    bool bound;          /* the home agent holds a binding for us */
};

struct mip6_mn {
    struct mip6_node node;
    struct mip6_mn_config cfg;
    uint32_t tunnel_ifindex;
    uint8_t mac[6];
    enum mip6_mn_state state;

    /* The link the node is attached to, learned from router advertisements. */
    bool link_known;
    uint8_t link_prefix[16];
    uint8_t link_prefix_len;
    uint8_t router[16];

    uint8_t coa[16];        /* care-of address on the current foreign link */
    bool tunnel_up;         /* reverse tunnel has an outer source */
    uint8_t tunnel_src[16]; /* RFC 3776 §4.3: switches right after the BU is sent */
    uint32_t coa_checks;

    struct mip6_bul bul;
    struct mip6_timer coa_timer;
    struct mip6_timer retransmit_timer;
    struct mip6_timer refresh_timer;
};

#endif /* MIP6SEC_MN_H */
