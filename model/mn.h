/*
 * mn.h - mobile node state, for the model and its tests.  Scenarios use
 * the functions in mip6sec.h.
 */
#ifndef MIP6SEC_MN_H
#define MIP6SEC_MN_H

#include <stdbool.h>

#include "mh.h"
#include "mip6.h"
#include "mip6sec.h"
#include "mpd.h"
#include "timer.h"

enum mip6_mn_state {
    MN_AT_HOME = 0,       /* on the home link, no binding */
    MN_WAIT_COA = 1,      /* moved to a foreign link, care-of address still tentative */
    MN_REGISTERING = 2,   /* BU sent, waiting for the BA */
    MN_REGISTERED = 3,    /* home registration accepted */
    MN_DEREGISTERING = 4, /* back home, de-registration BU sent */
};

/* Outcome of the DAD of a care-of address in optimistic use (RFC 4429). */
enum mip6_coa_dad_result {
    MIP6_COA_DAD_UNIQUE = 0,     /* the address became preferred */
    MIP6_COA_DAD_DUPLICATE = 1,  /* another node has the address: the stack made it invalid */
    MIP6_COA_DAD_UNFINISHED = 2, /* the address vanished or stayed tentative too long */
};

/* The Binding Update List entry for the home registration (RFC 6275 §11.1). */
struct mip6_bul {
    uint16_t seq;        /* sequence number of the last BU sent */
    bool outstanding;    /* a BU waits for its BA */
    bool deregistration; /* that BU has lifetime 0 */
    uint8_t coa[16];     /* care-of address it registers */
    uint64_t timeout_ns; /* current retransmission timeout */
    uint64_t granted_ns; /* lifetime granted by the last accepted BA */
    bool bound;          /* the home agent has a binding for this node */
};

#define MIP6_MN_MAX_CORRESPONDENTS 8

/*
 * Route optimization with one correspondent node: the return routability
 * state and the Binding Update List entry (RFC 6275 §11.1, §11.6).
 */
/* RFC 6275 §12: at most 3 messages of one Mobility Header type to one correspondent per second. */
#define MIP6_MAX_UPDATE_RATE 3
/* The message types that the rate limit counts: HoTI, CoTI and BU. */
enum mip6_rate_kind { MIP6_RATE_HOTI, MIP6_RATE_COTI, MIP6_RATE_BU, MIP6_RATE_KINDS };

struct mip6_mn_cn {
    uint8_t address[16];
    uint64_t home_cookie; /* of the last HoTI; a HoT must echo it */
    uint64_t care_of_cookie;
    bool have_home_token;
    bool have_care_of_token;
    uint16_t home_nonce_index;
    uint16_t care_of_nonce_index;
    uint64_t home_token_ns; /* when the HoT carrying home_token arrived */
    uint8_t home_token[8];
    uint8_t care_of_token[8];
    uint8_t kbm[20];     /* binding management key of the last BU */
    uint8_t coa[16];     /* care-of address the last BU registered */
    uint16_t seq;        /* sequence number of the last BU */
    bool bu_outstanding; /* a BU waits for its BA */
    bool bound;          /* the correspondent accepted: traffic goes direct */
    bool registered;     /* the correspondent has a binding, in use or not */
    bool deregistering;  /* at home, deleting that binding */
    uint64_t retry_ns;   /* current retransmission timeout */
    struct mip6_timer retry;
    struct mip6_timer refresh; /* renews the correspondent binding */
    /* Send times of the last MIP6_MAX_UPDATE_RATE HoTIs, CoTIs and BUs,
     * oldest at index rate_next, for the rate limit of RFC 6275 §11.8. */
    uint64_t rate_sent_ns[MIP6_RATE_KINDS][MIP6_MAX_UPDATE_RATE];
    uint8_t rate_next[MIP6_RATE_KINDS];
    uint8_t rate_count[MIP6_RATE_KINDS];
    struct mip6_timer rate; /* sends what the rate limit held back */
    struct mip6_mn *mn;
};

struct ike_node;

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
    bool coa_first_check; /* the next check of the care-of address is the first */
    /* Optimistic DAD (RFC 4429), model/mn.c: the care-of address is in use
     * while the stack's DAD for it still runs, until coa_dad_deadline_ns. */
    bool coa_optimistic;
    bool coa_duplicate; /* DAD found the care-of address in use elsewhere */
    uint64_t coa_dad_deadline_ns;
    uint32_t coa_dad_checks;
    struct mip6_timer coa_dad_timer; /* checks the outcome of that DAD */

    /* Router Solicitations after a link up (model/mn_rs.c). */
    struct mip6_timer rs_timer;
    uint64_t link_up_ns;
    unsigned rs_sent; /* solicitations since the last link up */

    /* The watch on the default router (model/mn_nud.c). */
    struct mip6_timer ra_loss_timer;
    struct mip6_timer nud_timer;
    uint64_t last_ra_ns;
    uint32_t adv_interval_ms; /* from the last advertisement, 0 without the option */
    bool nud_running;
    unsigned nud_probes;
    uint8_t nud_router[16];

    struct mip6_bul bul;
    size_t n_correspondents;
    struct mip6_mn_cn correspondents[MIP6_MN_MAX_CORRESPONDENTS];
    struct mip6_timer coa_timer;
    struct mip6_timer retransmit_timer;
    struct mip6_timer refresh_timer;
    struct mip6_mpd_mn mpd; /* prefix discovery, model/mpd.c */
    struct ike_node *ike;   /* dynamic keying (model/ike.c), or NULL with manual keys */
    bool bu_waits_for_keys; /* a BU waits for IKE to install its SAs */
};

/* Key management installed a child SA pair of kind (an enum ike_child_kind). */
void mip6_mn_keys_ready(void *ctx, int kind);

/* ----- route optimization, model/mn_ro.c ----- */

/* Start return routability with every correspondent (after a home registration). */
void mip6_mn_ro_start(struct mip6_mn *mn);

/* Back home with the home binding deleted: delete correspondent bindings. */
void mip6_mn_ro_home(struct mip6_mn *mn);

/* Stop route optimization on a move: traffic goes through the tunnel again. */
void mip6_mn_ro_stop(struct mip6_mn *mn);

/* Process a HoT, CoT, BA or BRR from a correspondent; *in is in home form. */
void mip6_mn_ro_receive(struct mip6_mn *mn, uint32_t ifindex, const uint8_t *pkt, size_t len,
                        uint64_t uid, const struct mip6_in *in, const struct mh_msg *msg);

/* The correspondent with this address, or NULL. */
struct mip6_mn_cn *mip6_mn_ro_find(struct mip6_mn *mn, const uint8_t address[16]);

/*
 * Send a packet from the home address straight to a correspondent that
 * accepted a binding, with a Home Address option (RFC 6275 §11.3.1).
 * Returns false when route optimization is not on for its destination.
 */
bool mip6_mn_ro_send(struct mip6_mn *mn, const uint8_t *pkt, size_t len);

/* Deliver a route-optimized packet that arrived with a type 2 routing header. */
void mip6_mn_ro_deliver(struct mip6_mn *mn, uint32_t ifindex, const uint8_t *pkt, size_t len,
                        uint64_t uid, const struct ip6_packet *p);

/* Put a whole packet from the home address into the reverse tunnel. */
void mip6_mn_tunnel_send(struct mip6_mn *mn, const uint8_t *pkt, size_t len, uint64_t uid);

/* Router Solicitations after a link up (model/mn_rs.c). */
void mip6_mn_rs_init(struct mip6_mn *mn);
void mip6_mn_rs_link_up(struct mip6_mn *mn);
/* Stop soliciting: an advertisement arrived on the link. */
void mip6_mn_rs_advert(struct mip6_mn *mn);
/* Send a solicitation now, outside the link-up schedule. */
void mip6_mn_rs_send_now(struct mip6_mn *mn);

/* The watch on the default router (model/mn_nud.c). */
void mip6_mn_nud_init(struct mip6_mn *mn);
void mip6_mn_nud_release(struct mip6_mn *mn);
/* A valid advertisement with a non-zero router lifetime came from src;
 * adv_interval_ms is its Advertisement Interval, 0 without the option. */
void mip6_mn_nud_advert(struct mip6_mn *mn, const uint8_t src[16], uint32_t adv_interval_ms);
/* Look at a Neighbor Advertisement that reached the node (icmp is the
 * ICMPv6 message of the packet p). */
void mip6_mn_nud_input(struct mip6_mn *mn, const struct ip6_packet *p, const uint8_t *icmp);

#endif /* MIP6SEC_MN_H */
