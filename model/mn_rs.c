/*
 * mn_rs.c - the mobile node's Router Solicitations after a link up, so
 * that a router that supports it (RFC 6275 §7.5) responds with an
 * advertisement sooner than its periodic schedule would.
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
#define MAX_RTR_SOLICITATIONS 3
#define RTR_SOLICITATION_INTERVAL_NS (4000 * NS_PER_MS)

static const uint8_t all_routers[16] = {0xff, 0x02, [15] = 0x02};
static const uint8_t link_local_prefix[16] = {0xfe, 0x80};

static void
send_solicitation(void *owner)
{
    struct mip6_mn *mn = owner;
    uint8_t src[16], msg[ND_RS_MAX_LEN];
    struct wr w = wr_init(msg, sizeof msg);
    struct nd_rs rs = {.has_link_addr = true};

    /* The link-local address stays valid across moves, so the
     * solicitation carries it and the link-layer address (RFC 4861 §4.1). */
    ip6_addr_from_prefix_mac(src, link_local_prefix, mn->mac);
    memcpy(rs.link_addr, mn->mac, 6);
    if (nd_encode_rs(&w, &rs, src, all_routers) != ND_OK ||
        sim_nd_send(mn->node.id, mn->cfg.ifindex, src, all_routers, msg, w.pos, NULL) != SIM_OK)
        return;
    mn->rs_sent++;
    rec_mobility(mn->node.rec, sim_now_ns(), mn->node.id, mn->cfg.ifindex, REC_MOB_RS_SENT,
                 all_routers, (int64_t)(sim_now_ns() - mn->link_up_ns), mn->rs_sent);
    /* RFC 4861 §6.3.7: repeat until an advertisement arrives. */
    if (mn->rs_sent < MAX_RTR_SOLICITATIONS)
        mip6_timer_start(&mn->rs_timer, RTR_SOLICITATION_INTERVAL_NS);
}

void
mip6_mn_rs_init(struct mip6_mn *mn)
{
    mip6_timer_init(&mn->rs_timer, mn->node.id, send_solicitation, mn);
}

void
mip6_mn_rs_link_up(struct mip6_mn *mn)
{
    if (!mn->cfg.router_solicitation)
        return;
    mn->link_up_ns = sim_now_ns();
    mn->rs_sent = 0;

    /* RFC 4861 §6.3.7: a random delay of up to MAX_RTR_SOLICITATION_DELAY
     * before the first solicitation, so that hosts that start together do
     * not solicit together. */
    uint64_t span = (uint64_t)mn->cfg.rs_max_delay_ms * NS_PER_MS;
    uint64_t draw = ((uint64_t)sim_random_u32(mn->node.id) << 32) | sim_random_u32(mn->node.id);
    mip6_timer_start(&mn->rs_timer, span ? draw % (span + 1) : 0);
}

void
mip6_mn_rs_send_now(struct mip6_mn *mn)
{
    if (mn->link_up_ns == 0)
        mn->link_up_ns = sim_now_ns();
    mn->rs_sent = 0;
    mip6_timer_start(&mn->rs_timer, 0);
}

void
mip6_mn_rs_advert(struct mip6_mn *mn)
{
    mip6_timer_stop(&mn->rs_timer);
}
