/*
 * mn_nud.c - the mobile node's watch on its default router.  The
 * Advertisement Interval option gives how often the router advertises
 * (RFC 6275 §7.3).  When none comes for ra_loss_intervals of those
 * intervals, the node suspects it has moved or lost the router (RFC 6275
 * §11.5.1).  It records that, probes the router with Neighbor
 * Unreachability Detection (RFC 4861 §7.3.3) and, when it solicits
 * routers at all, solicits at once.
 */
#include <string.h>

#include "cursor.h"
#include "ipv6.h"
#include "mn.h"
#include "nd.h"
#include "rec.h"
#include "sim.h"

#define NS_PER_MS 1000000ull

/* RFC 4861 §10. */
#define MAX_UNICAST_SOLICIT 3
#define RETRANS_TIMER_NS (1000 * NS_PER_MS)

enum nud_result {
    NUD_REACHABLE = 0,
    NUD_UNREACHABLE = 1,
    NUD_ABANDONED = 2,
};

static const uint8_t link_local_prefix[16] = {0xfe, 0x80};

static void
finish(struct mip6_mn *mn, enum nud_result result)
{
    mn->nud_running = false;
    mip6_timer_stop(&mn->nud_timer);
    rec_mobility(mn->node.rec, sim_now_ns(), mn->node.id, mn->cfg.ifindex, REC_MOB_ROUTER_NUD,
                 mn->nud_router, result, mn->nud_probes);
}

/* RFC 4861 §7.3.3, PROBE state: a unicast Neighbor Solicitation to the
 * router, RetransTimer apart, at most MAX_UNICAST_SOLICIT times. */
static void
probe(void *owner)
{
    struct mip6_mn *mn = owner;

    if (!mn->nud_running)
        return;
    if (mn->nud_probes == MAX_UNICAST_SOLICIT) {
        /* NOTE: RFC 4861 §7.3.3 then drops the router from the default
         * router list.  The model leaves ns-3's default route in place;
         * the next advertisement of another router replaces it. */
        finish(mn, NUD_UNREACHABLE);
        return;
    }

    uint8_t src[16], msg[ND_NEIGHBOR_MAX_LEN];
    struct wr w = wr_init(msg, sizeof msg);
    struct nd_neighbor ns = {.type = ND_NEIGHBOR_SOLICIT, .has_link_addr = true};
    memcpy(ns.target, mn->nud_router, 16);
    memcpy(ns.link_addr, mn->mac, 6);
    ip6_addr_from_prefix_mac(src, link_local_prefix, mn->mac);
    if (nd_encode_neighbor(&w, &ns, src, mn->nud_router) == ND_OK)
        sim_nd_send(mn->node.id, mn->cfg.ifindex, src, mn->nud_router, msg, w.pos, NULL);
    mn->nud_probes++;
    mip6_timer_start(&mn->nud_timer, RETRANS_TIMER_NS);
}

static void
advert_overdue(void *owner)
{
    struct mip6_mn *mn = owner;

    rec_mobility(mn->node.rec, sim_now_ns(), mn->node.id, mn->cfg.ifindex, REC_MOB_RA_LOST,
                 mn->router, (int64_t)(sim_now_ns() - mn->last_ra_ns), mn->adv_interval_ms);
    if (mn->cfg.router_solicitation)
        mip6_mn_rs_send_now(mn);
    if (mn->nud_running)
        return;
    mn->nud_running = true;
    mn->nud_probes = 0;
    memcpy(mn->nud_router, mn->router, 16);
    probe(mn);
}

void
mip6_mn_nud_init(struct mip6_mn *mn)
{
    mip6_timer_init(&mn->ra_loss_timer, mn->node.id, advert_overdue, mn);
    mip6_timer_init(&mn->nud_timer, mn->node.id, probe, mn);
}

void
mip6_mn_nud_release(struct mip6_mn *mn)
{
    mip6_timer_release(&mn->ra_loss_timer);
    mip6_timer_release(&mn->nud_timer);
}

void
mip6_mn_nud_advert(struct mip6_mn *mn, const uint8_t src[16], uint32_t adv_interval_ms)
{
    (void)src;
    if (mn->cfg.ra_loss_intervals == 0)
        return;
    /* Any router's advertisement ends the suspicion: either the old
     * router is back, or movement detection takes over with a new one. */
    if (mn->nud_running)
        finish(mn, NUD_ABANDONED);
    mn->last_ra_ns = sim_now_ns();
    mn->adv_interval_ms = adv_interval_ms;
    if (adv_interval_ms == 0) {
        mip6_timer_stop(&mn->ra_loss_timer);
        return;
    }
    mip6_timer_start(&mn->ra_loss_timer,
                     (uint64_t)adv_interval_ms * mn->cfg.ra_loss_intervals * NS_PER_MS);
}

void
mip6_mn_nud_input(struct mip6_mn *mn, const struct ip6_packet *p, const uint8_t *icmp)
{
    struct nd_neighbor na;

    if (!mn->nud_running || nd_parse_neighbor(icmp, p->upper_len, p->hdr.hop_limit, p->hdr.src,
                                              p->hdr.dst, &na) != ND_OK)
        return;
    /* RFC 4861 §7.3.3: only a solicited advertisement confirms reachability. */
    if (na.type == ND_NEIGHBOR_ADVERT && (na.flags & ND_NA_FLAG_SOLICITED) &&
        memcmp(na.target, mn->nud_router, 16) == 0)
        finish(mn, NUD_REACHABLE);
}
