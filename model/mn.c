/*
 * mn.c - the mobile node: movement detection from router advertisements,
 * care-of address, home registration with retransmission (RFC 6275
 * §11.5-§11.8) protected by ESP (RFC 3776 §6.1, §6.4), and the reverse
 * tunnel through the home agent (RFC 6275 §11.3.1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike.h"
#include "mh.h"
#include "mn.h"
#include "nd.h"
#include "sim.h"
#include "tunnel.h"

#define NS_PER_S 1000000000ull

/* RFC 6275 §12 and §13. */
#define INITIAL_BINDACK_TIMEOUT_NS (1 * NS_PER_S)
#define MAX_BINDACK_TIMEOUT_NS (32 * NS_PER_S)
#define INITIAL_BINDACK_FIRST_REG_NS (1500 * 1000000ull)
#define DEFAULT_LIFETIME_S 420

/* How often and how long to wait for a tentative care-of address once
 * its duplicate address detection time has passed. */
#define COA_RECHECK_NS (10 * 1000000ull)
#define COA_MAX_CHECKS 100

void
mip6_mn_config_default(struct mip6_mn_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->home_prefix_len = 64;
    cfg->lifetime_s = DEFAULT_LIFETIME_S;
    cfg->initial_bindack_timeout_first_reg_ns = INITIAL_BINDACK_FIRST_REG_NS;
    cfg->rs_max_delay_ms = 1000; /* MAX_RTR_SOLICITATION_DELAY, RFC 4861 §10 */
}

static void
record_mobility(struct mip6_mn *mn, enum rec_mob kind, const uint8_t *addr, int64_t value,
                int64_t value2)
{
    rec_mobility(mn->node.rec, sim_now_ns(), mn->node.id, mn->cfg.ifindex, kind, addr, value,
                 value2);
}

/* ----- binding updates ----- */

static void
send_bu(struct mip6_mn *mn)
{
    uint8_t msg[64];
    struct wr w = wr_init(msg, sizeof msg);
    struct mh_msg bu = {.type = MH_BU};
    bool dereg = mn->bul.deregistration;

    mn->bul.outstanding = true;
    mip6_timer_start(&mn->retransmit_timer, mn->bul.timeout_ns);

    /* RFC 3776 §6.19 steps 2-4: with dynamic keying and no SA yet, IKE
     * runs from the care-of address first, and the BU goes when its SAs
     * exist.  The retransmission timer restarts IKE if it fails. */
    if (mn->ike && !ike_child_ready(mn->ike, IKE_CHILD_BU)) {
        mn->bu_waits_for_keys = true;
        ike_start(mn->ike, mn->bul.coa);
        return;
    }
    mn->bu_waits_for_keys = false;

    /* RFC 6275 §11.8: every BU, retransmissions included, carries a new
     * sequence number. */
    mn->bul.seq++;
    bu.bu.seq = mn->bul.seq;
    /* RFC 6275 §11.7.1: A and H set; K only with dynamic keying.
     * NOTE: L stays 0 because the home agent's proxy Neighbor Discovery
     * defends the home address only, not the link-local address. */
    bu.bu.flags = MH_BU_FLAG_A | MH_BU_FLAG_H;
    /* RFC 6275 §11.7.1: K asks the home agent to move the IKE SA with the
     * care-of address (RFC 3776 §4.4). */
    if (mn->ike && mn->ike->cfg.k_bit)
        bu.bu.flags |= MH_BU_FLAG_K;
    if (!dereg) {
        bu.bu.lifetime = (uint16_t)(mn->cfg.lifetime_s / 4);
        /* RFC 3776 §4.3: the care-of address goes inside the protected
         * message, because ESP does not cover the IPv6 source. */
        bu.bu.has_alt_coa = true;
        memcpy(bu.bu.alt_coa, mn->bul.coa, 16);
    }

    /* The checksum covers the home address, the source after the home agent's swap. */
    if (mh_encode(&w, &bu, mn->cfg.home_address, mn->cfg.home_agent) != MH_OK)
        return;

    /* RFC 3776 §3.1: away from home the BU leaves from the care-of address
     * with a Home Address option.  Sent from home it has neither. */
    struct mip6_out out = {
        .src = mn->cfg.home_address,
        .dst = mn->cfg.home_agent,
        .care_of_src = dereg ? NULL : mn->bul.coa,
        .proto = IP6_NH_MOBILITY,
        .msg = msg,
        .msg_len = w.pos,
        .ifindex = mn->cfg.ifindex,
    };
    if (mip6_send_signal(&mn->node, &out) == REC_DROP_NONE)
        record_mobility(mn, REC_MOB_BU_SENT, dereg ? mn->cfg.home_address : mn->bul.coa,
                        mn->bul.seq, bu.bu.lifetime);

    /* RFC 3776 §4.3: the tunnel's outer source switches to the new care-of
     * address right after the BU that registers it. */
    if (!dereg) {
        memcpy(mn->tunnel_src, mn->bul.coa, 16);
        mn->tunnel_up = true;
        ipsec_tunnel_sas_set_care_of(&mn->node.ipsec, mn->cfg.home_address, mn->bul.coa);
    }
}

/* Start a new registration (or de-registration) with a fresh back-off. */
static void
start_registration(struct mip6_mn *mn, bool dereg)
{
    mn->bul.deregistration = dereg;
    memcpy(mn->bul.coa, dereg ? mn->cfg.home_address : mn->coa, 16);
    /* RFC 6275 §11.8: the first registration waits longer because the home
     * agent runs duplicate address detection for the home address. */
    mn->bul.timeout_ns =
        mn->bul.bound ? INITIAL_BINDACK_TIMEOUT_NS : mn->cfg.initial_bindack_timeout_first_reg_ns;
    mip6_timer_stop(&mn->refresh_timer);
    send_bu(mn);
}

void
mip6_mn_keys_ready(void *ctx, int kind)
{
    struct mip6_mn *mn = ctx;

    /* The BU that waited for its SAs goes now. */
    if (kind == IKE_CHILD_BU && mn->bu_waits_for_keys && mn->bul.outstanding)
        send_bu(mn);
}

static void
retransmit_bu(void *owner)
{
    struct mip6_mn *mn = owner;

    if (!mn->bul.outstanding)
        return;
    /* RFC 6275 §11.8: double the timeout up to MAX_BINDACK_TIMEOUT and go
     * on retransmitting at that rate. */
    mn->bul.timeout_ns *= 2;
    if (mn->bul.timeout_ns > MAX_BINDACK_TIMEOUT_NS)
        mn->bul.timeout_ns = MAX_BINDACK_TIMEOUT_NS;
    record_mobility(mn, REC_MOB_BU_TIMEOUT, mn->bul.coa, (int64_t)(mn->bul.timeout_ns / 1000000),
                    mn->bul.seq);
    send_bu(mn);
}

static void
refresh_binding(void *owner)
{
    struct mip6_mn *mn = owner;

    if (mn->state == MN_REGISTERED)
        start_registration(mn, false);
}

/*
 * RFC 6275 §11.5.5: after the BA for the de-registration, advertise the
 * node's own link-layer address for its home address to all-nodes, S
 * clear and O set, so that neighbours stop sending to the home agent.
 */
static void
advertise_home_address(struct mip6_mn *mn)
{
    static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
    uint8_t msg[ND_NEIGHBOR_MAX_LEN];
    struct wr w = wr_init(msg, sizeof msg);
    struct nd_neighbor na = {
        .type = ND_NEIGHBOR_ADVERT, .flags = ND_NA_FLAG_OVERRIDE, .has_link_addr = true};

    memcpy(na.target, mn->cfg.home_address, 16);
    memcpy(na.link_addr, mn->mac, 6);
    if (nd_encode_neighbor(&w, &na, mn->cfg.home_address, all_nodes) != ND_OK)
        return;
    /* sim_nd_send gives the hop limit 255 that RFC 4861 §7.1.2 requires. */
    if (sim_nd_send(mn->node.id, mn->cfg.ifindex, mn->cfg.home_address, all_nodes, msg, w.pos,
                    NULL) != SIM_OK) {
        mn->node.drops++;
        mip6_record_built(&mn->node, mn->cfg.ifindex, REC_DROP, mn->cfg.home_address, all_nodes,
                          IP6_NH_ICMPV6, msg, w.pos, 0, 0, REC_DROP_SEND_FAILED);
    }
}

static void
accept_ba(struct mip6_mn *mn, const struct mh_ba *ba)
{
    mip6_timer_stop(&mn->retransmit_timer);
    mn->bul.outstanding = false;

    /* RFC 6275 §11.7.3: with K in both BU and BA the IKE SA moves to the
     * registered address; otherwise IKE runs again from it (RFC 3776 §6.19). */
    if (mn->ike)
        ike_moved(mn->ike, mn->bul.coa, mn->ike->cfg.k_bit && (ba->flags & MH_BA_FLAG_K));

    if (mn->bul.deregistration) {
        mn->bul.bound = false;
        mn->state = MN_AT_HOME;
        advertise_home_address(mn);
        mip6_mn_ro_home(mn);
        return;
    }
    mn->bul.bound = true;
    mn->bul.granted_ns = (uint64_t)ba->lifetime * 4 * NS_PER_S;
    mn->state = MN_REGISTERED;
    record_mobility(mn, REC_MOB_REGISTERED, mn->bul.coa, ba->seq, ba->lifetime);
    mip6_mn_ro_start(mn);

    /* RFC 6275 §11.7.3: refresh before the binding expires, at the
     * home agent's Binding Refresh Advice when it gave one.  Without
     * advice this model refreshes at 90% of the granted lifetime. */
    uint64_t refresh_ns =
        ba->has_refresh ? (uint64_t)ba->refresh * 4 * NS_PER_S : mn->bul.granted_ns / 10 * 9;
    if (refresh_ns > 0)
        mip6_timer_start(&mn->refresh_timer, refresh_ns);

    /* RFC 6275 §11.7.3: status 1 means the home agent wants the node to
     * run prefix discovery before its next registration. */
    if (ba->status == MH_BA_ACCEPTED_PREFIX_DISCOVERY)
        mip6_mpd_mn_solicit(mn);
}

/* Process a BA that passed IPsec (RFC 6275 §11.7.3). */
static void
process_ba(struct mip6_mn *mn, uint32_t ifindex, const uint8_t *pkt, size_t len, uint64_t uid,
           const struct mh_ba *ba)
{
    record_mobility(mn, REC_MOB_BA_RECEIVED, mn->bul.coa, ba->status, ba->seq);

    /* Status 135 carries the last sequence number the home agent accepted;
     * the BA passed IPsec, so the node may resynchronize from it. */
    if (ba->status == MH_BA_SEQ_OUT_OF_WINDOW && mn->bul.outstanding) {
        mn->bul.seq = ba->seq;
        send_bu(mn);
        return;
    }
    if (!mn->bul.outstanding || ba->seq != mn->bul.seq) {
        mip6_record_drop(&mn->node, ifindex, pkt, len, uid, REC_DROP_BA_UNEXPECTED);
        return;
    }
    if (ba->status < 128) {
        accept_ba(mn, ba);
        return;
    }
    /* NOTE: a rejected registration stops here; RFC 6275 §11.7.3 leaves
     * correcting and retrying to the node's policy. */
    mip6_timer_stop(&mn->retransmit_timer);
    mn->bul.outstanding = false;
}

static void
receive_signal(struct mip6_mn *mn, uint32_t ifindex, const uint8_t *pkt, size_t len, uint64_t uid,
               const struct ip6_packet *parsed)
{
    uint8_t scratch[MIP6_MAX_PACKET];
    struct mip6_in in;
    struct mh_msg msg;

    /* RFC 6275 §11.3.3: the type 2 routing header must carry our home
     * address; otherwise the packet is discarded. */
    if (parsed->has_rh2 && memcmp(parsed->rh2_addr, mn->cfg.home_address, 16) != 0) {
        mip6_record_drop(&mn->node, ifindex, pkt, len, uid, REC_DROP_RH2_INVALID);
        return;
    }
    if (mip6_receive_signal(&mn->node, ifindex, pkt, len, uid, parsed, scratch, sizeof scratch,
                            &in) != REC_DROP_NONE)
        return;
    /* Mobile Prefix Advertisements (RFC 3776 §3.3); checks in mpd.c. */
    if (in.proto == IP6_NH_ICMPV6) {
        mip6_mpd_mn_receive(mn, ifindex, pkt, len, uid, &in);
        return;
    }
    if (in.proto != IP6_NH_MOBILITY) {
        mip6_record_drop(&mn->node, ifindex, pkt, len, uid, REC_DROP_POLICY);
        return;
    }
    enum mh_status st = mh_decode(in.msg, in.msg_len, in.src, in.dst, &msg);
    if (st != MH_OK) {
        mip6_record_drop(&mn->node, ifindex, pkt, len, uid,
                         st == MH_BAD_CHECKSUM ? REC_DROP_MH_CHECKSUM : REC_DROP_MH_INVALID);
        return;
    }
    /* Return routability and correspondent registration are not protected
     * by IPsec; their own checks are in mn_ro.c. */
    if (memcmp(in.src, mn->cfg.home_agent, 16) != 0) {
        mip6_mn_ro_receive(mn, ifindex, pkt, len, uid, &in, &msg);
        return;
    }
    /* RFC 3776 §4.1: a BA from the home agent MUST be protected. */
    if (msg.type != MH_BA || !in.sa || memcmp(in.src, mn->cfg.home_agent, 16) != 0) {
        mip6_record_drop(&mn->node, ifindex, pkt, len, uid,
                         in.sa ? REC_DROP_MH_INVALID : REC_DROP_CLEAR_TEXT);
        return;
    }
    process_ba(mn, ifindex, pkt, len, uid, &msg.ba);
}

/* ----- tunnel ----- */

/* A packet from the home agent's tunnel, plain or in ESP tunnel mode
 * (RFC 6275 §11.3.2, RFC 3776 §6.8, §6.16). */
static void
receive_tunnel(struct mip6_mn *mn, uint32_t ifindex, const uint8_t *pkt, size_t len, uint64_t uid,
               const struct ip6_packet *outer)
{
    uint8_t scratch[MIP6_MAX_PACKET];
    struct mip6_tunnel_in t;

    /* RFC 6275 §10.4.5 and §11.3.2: tunnelled packets must come from the
     * home agent and be for the home address. */
    if (memcmp(outer->hdr.src, mn->cfg.home_agent, 16) != 0) {
        mip6_record_drop(&mn->node, ifindex, pkt, len, uid, REC_DROP_TUNNEL_SOURCE);
        return;
    }
    if (mip6_tunnel_receive(&mn->node, ifindex, pkt, len, uid, outer, scratch, sizeof scratch,
                            &t) != REC_DROP_NONE)
        return;
    const struct ip6_packet *p = &t.parsed;
    if (memcmp(p->hdr.dst, mn->cfg.home_address, 16) != 0) {
        mip6_record_drop(&mn->node, ifindex, pkt, len, uid, REC_DROP_MALFORMED);
        return;
    }
    uint64_t inner_uid = 0;

    /* A HoT from a correspondent comes through the tunnel (RFC 3776 §3.2). */
    if (p->upper_proto == IP6_NH_MOBILITY) {
        struct mip6_in in = {.proto = IP6_NH_MOBILITY, .sa = t.sa};
        struct mh_msg msg;
        memcpy(in.src, p->hdr.src, 16);
        memcpy(in.dst, p->hdr.dst, 16);
        in.msg = t.inner + p->upper_offset;
        in.msg_len = p->upper_len;
        if (mh_decode(in.msg, in.msg_len, in.src, in.dst, &msg) != MH_OK) {
            mip6_record_drop(&mn->node, ifindex, pkt, len, uid, REC_DROP_MH_INVALID);
            return;
        }
        mip6_tunnel_record_decap(&mn->node, ifindex, pkt, len, uid, outer, &t, 0);
        mip6_mn_ro_receive(mn, ifindex, pkt, len, uid, &in, &msg);
        return;
    }
    sim_tunnel_receive(mn->node.id, mn->tunnel_ifindex, t.inner, t.inner_len, &inner_uid);
    mip6_tunnel_record_decap(&mn->node, ifindex, pkt, len, uid, outer, &t, inner_uid);
}

void
mip6_mn_tunnel_send(struct mip6_mn *mn, const uint8_t *pkt, size_t len, uint64_t uid)
{
    if (!mn->tunnel_up) {
        mip6_record_drop(&mn->node, mn->tunnel_ifindex, pkt, len, uid, REC_DROP_NOT_AWAY);
        return;
    }
    /* RFC 3776 §6.5, §6.13: the tunnel interface's SPD entries choose ESP
     * tunnel mode, whose SAs take the care-of address as outer source
     * too (§4.3, moved in send_bu). */
    struct mip6_tunnel_out out = {
        .outer_src = mn->tunnel_src,
        .outer_dst = mn->cfg.home_agent,
        .ifindex = mn->cfg.ifindex,
        .record_ifindex = mn->cfg.ifindex,
        .tunnel_ifindex = mn->tunnel_ifindex,
        .inner = pkt,
        .inner_len = len,
        .inner_uid = uid,
    };
    mip6_tunnel_send(&mn->node, &out);
}

/* A packet an application sent from the home address while away. */
static void
mn_tunnel_tx(void *ctx, const uint8_t *pkt, size_t len, uint64_t uid)
{
    struct mip6_mn *mn = ctx;
    struct ip6_packet p;

    /* The tunnel interface also carries what ns-3 generates for it (its
     * own neighbour discovery); only home-address traffic is tunnelled. */
    if (ip6_parse(pkt, len, &p) != IP6_OK || memcmp(p.hdr.src, mn->cfg.home_address, 16) != 0 ||
        !ip6_addr_is_unicast_routable(p.hdr.dst)) {
        mip6_record_drop(&mn->node, mn->tunnel_ifindex, pkt, len, uid, REC_DROP_NOT_TUNNELLED);
        return;
    }
    /* A correspondent that accepted a binding gets the packet directly. */
    if (mip6_mn_ro_send(mn, pkt, len))
        return;
    mip6_mn_tunnel_send(mn, pkt, len, uid);
}

/* ----- movement ----- */

static const uint8_t half_low[16] = {0};
static const uint8_t half_high[16] = {0x80};

/* Move the home address between the physical and the tunnel interface. */
static void
use_tunnel(struct mip6_mn *mn, bool on)
{
    uint32_t node = mn->node.id;

    if (on) {
        sim_addr_remove(node, mn->cfg.ifindex, mn->cfg.home_address);
        sim_addr_add(node, mn->tunnel_ifindex, mn->cfg.home_address, 128);
        /* Two /1 routes beat the default routes that router advertisements
         * install, so all home-address traffic enters the tunnel. */
        sim_route_add(node, half_low, 1, mn->tunnel_ifindex, NULL, 0);
        sim_route_add(node, half_high, 1, mn->tunnel_ifindex, NULL, 0);
        /* RFC 3776 §4.2: the tunnel's SPD entries are active while away and
         * use the manually keyed tunnel SAs kept from the last time. */
        ipsec_tunnel_policies_set_active(&mn->node.ipsec, mn->cfg.home_address, true);
    } else {
        sim_route_remove(node, half_low, 1, mn->tunnel_ifindex);
        sim_route_remove(node, half_high, 1, mn->tunnel_ifindex);
        sim_addr_remove(node, mn->tunnel_ifindex, mn->cfg.home_address);
        sim_addr_add(node, mn->cfg.ifindex, mn->cfg.home_address, mn->cfg.home_prefix_len);
        mn->tunnel_up = false;
        /* RFC 3776 §4.2: back home the tunnel's SPD entries become inactive;
         * the SAs stay for the next time away. */
        ipsec_tunnel_policies_set_active(&mn->node.ipsec, mn->cfg.home_address, false);
    }
}

/* ----- optimistic duplicate address detection (RFC 4429) ----- */

/*
 * Start using the tentative care-of address while the stack's DAD for it
 * runs for dad_left_ns more.
 *
 * NOTE: the model sends no Neighbor or Router Solicitation from the
 * care-of address, so the SLLAO rule of RFC 4429 §3.2 has nothing to
 * apply to here.  ns-3.37 itself replies to Neighbor Solicitations for
 * the address with S and O set (Icmpv6L4Protocol::HandleNS ignores the
 * address state), against RFC 4429 §3.2, which forbids the Override flag
 * for an optimistic address.  A duplicate's neighbour cache entries can
 * therefore be overridden during the optimistic period.
 */
static void
use_coa_optimistically(struct mip6_mn *mn, uint64_t dad_left_ns)
{
    mn->coa_optimistic = true;
    mn->coa_duplicate = false;
    mn->coa_dad_checks = 0;
    mn->coa_dad_deadline_ns = sim_now_ns() + dad_left_ns;
    mip6_timer_start(&mn->coa_dad_timer, dad_left_ns);
    record_mobility(mn, REC_MOB_COA_OPTIMISTIC, mn->coa, 0, (int64_t)(dad_left_ns / 1000000));
    /* RFC 4429 §3.3: an optimistic address may be used before DAD ends,
     * so the registration starts now. */
    mn->state = MN_REGISTERING;
    start_registration(mn, false);
}

/*
 * Stop using a care-of address whose DAD failed while the node used it:
 * no BU retransmission or refresh from it and no tunnel through it.  As
 * after a failed DAD without optimism, the node then waits in MN_WAIT_COA
 * for the next link change.
 *
 * NOTE: the home agent keeps the binding until its lifetime ends or the
 * node registers another address, and an IKE exchange already started
 * from the address is not cancelled.
 */
static void
abandon_coa(struct mip6_mn *mn, enum mip6_coa_dad_result result, enum sim_addr_state st)
{
    mn->coa_optimistic = false;
    mn->coa_duplicate = true;
    mip6_timer_stop(&mn->coa_dad_timer);
    record_mobility(mn, REC_MOB_COA_DAD_DONE, mn->coa, result, st);

    /* RFC 4429 §3.3 (RFC 4862 §5.4.5): a duplicate address must not be
     * used any more. */
    mip6_timer_stop(&mn->retransmit_timer);
    mip6_timer_stop(&mn->refresh_timer);
    mn->bul.outstanding = false;
    mn->bu_waits_for_keys = false;
    mip6_mn_ro_stop(mn);
    mn->tunnel_up = false;
    mn->state = MN_WAIT_COA;
}

/* Check how the DAD of a care-of address in optimistic use ended. */
static void
check_coa_dad(void *owner)
{
    struct mip6_mn *mn = owner;
    enum sim_addr_state st = sim_addr_state(mn->node.id, mn->cfg.ifindex, mn->coa);
    uint64_t now = sim_now_ns();

    if (!mn->coa_optimistic)
        return;
    if (st == SIM_ADDR_PREFERRED || st == SIM_ADDR_DEPRECATED) {
        mn->coa_optimistic = false;
        record_mobility(mn, REC_MOB_COA_DAD_DONE, mn->coa, MIP6_COA_DAD_UNIQUE, st);
        return;
    }
    if (st == SIM_ADDR_INVALID) {
        abandon_coa(mn, MIP6_COA_DAD_DUPLICATE, st);
        return;
    }
    /* An early check, after a Neighbor Advertisement that did not make
     * the address invalid: wait for the end of DAD. */
    if (st == SIM_ADDR_TENTATIVE && now < mn->coa_dad_deadline_ns) {
        mip6_timer_start(&mn->coa_dad_timer, mn->coa_dad_deadline_ns - now);
        return;
    }
    if (st == SIM_ADDR_ABSENT || ++mn->coa_dad_checks > COA_MAX_CHECKS) {
        abandon_coa(mn, MIP6_COA_DAD_UNFINISHED, st);
        return;
    }
    mip6_timer_start(&mn->coa_dad_timer, COA_RECHECK_NS);
}

/*
 * Whether the packet is a Neighbor Advertisement for the care-of address
 * in optimistic use.  ns-3.37 takes any advertisement for a tentative
 * address as a failed DAD (Icmpv6L4Protocol::HandleNA), so the node checks
 * the address state right after the stack has processed it.
 */
static bool
is_advert_for_optimistic_coa(const struct mip6_mn *mn, const struct ip6_packet *p,
                             const uint8_t *pkt)
{
    uint8_t type, target[16];

    return mn->coa_optimistic && p->upper_proto == IP6_NH_ICMPV6 &&
           nd_peek_neighbor(pkt + p->upper_offset, p->upper_len, &type, target) &&
           type == ND_NEIGHBOR_ADVERT && memcmp(target, mn->coa, 16) == 0;
}

static void
check_coa(void *owner)
{
    struct mip6_mn *mn = owner;
    enum sim_addr_state st = sim_addr_state(mn->node.id, mn->cfg.ifindex, mn->coa);

    if (mn->state != MN_WAIT_COA)
        return;
    /* The stack took the address: it is usable after the DAD timeout, or
     * at once with optimistic DAD. */
    if (mn->coa_first_check && st == SIM_ADDR_TENTATIVE) {
        mn->coa_first_check = false;
        if (mn->cfg.optimistic_dad) {
            use_coa_optimistically(mn, sim_dad_timeout_ns(mn->node.id));
            return;
        }
        mip6_timer_start(&mn->coa_timer, sim_dad_timeout_ns(mn->node.id));
        return;
    }
    mn->coa_first_check = false;
    if (st == SIM_ADDR_PREFERRED || st == SIM_ADDR_DEPRECATED) {
        record_mobility(mn, REC_MOB_COA_READY, mn->coa, 0, 0);
        mn->state = MN_REGISTERING;
        start_registration(mn, false);
        return;
    }
    if (st == SIM_ADDR_ABSENT) {
        /* The advertisement did not make the stack configure the address
         * (no autonomous flag, say): configure it ourselves. */
        sim_addr_add(mn->node.id, mn->cfg.ifindex, mn->coa, mn->link_prefix_len);
        if (mn->cfg.optimistic_dad &&
            sim_addr_state(mn->node.id, mn->cfg.ifindex, mn->coa) == SIM_ADDR_TENTATIVE) {
            use_coa_optimistically(mn, sim_dad_timeout_ns(mn->node.id));
            return;
        }
        mip6_timer_start(&mn->coa_timer, sim_dad_timeout_ns(mn->node.id) + 1000);
        return;
    }
    if (st == SIM_ADDR_INVALID || ++mn->coa_checks > COA_MAX_CHECKS) {
        /* NOTE: duplicate address detection failed or never finished; the
         * node waits for the next link change. */
        record_mobility(mn, REC_MOB_COA_READY, mn->coa, -1, st);
        return;
    }
    mip6_timer_start(&mn->coa_timer, COA_RECHECK_NS);
}

static void
arrive_home(struct mip6_mn *mn)
{
    mip6_mn_ro_stop(mn);
    use_tunnel(mn, false);
    mip6_timer_stop(&mn->coa_timer);
    record_mobility(mn, REC_MOB_RETURNED_HOME, mn->cfg.home_address, 0, 0);
    if (mn->bul.bound || mn->bul.outstanding) {
        /* RFC 6275 §11.5.5: de-register from the home link. */
        mn->state = MN_DEREGISTERING;
        start_registration(mn, true);
    } else {
        mip6_timer_stop(&mn->retransmit_timer);
        mn->state = MN_AT_HOME;
    }
}

static void
arrive_foreign(struct mip6_mn *mn)
{
    mip6_mn_ro_stop(mn);
    if (mn->state == MN_AT_HOME || mn->state == MN_DEREGISTERING)
        use_tunnel(mn, true);

    /* A BU still waiting for the old care-of address is abandoned. */
    mip6_timer_stop(&mn->retransmit_timer);
    mn->bul.outstanding = false;

    ip6_addr_from_prefix_mac(mn->coa, mn->link_prefix, mn->mac);
    mn->state = MN_WAIT_COA;
    mn->coa_checks = 0;
    /* The last care-of address and its DAD are left behind. */
    mn->coa_optimistic = false;
    mn->coa_duplicate = false;
    mip6_timer_stop(&mn->coa_dad_timer);
    /* ns-3 configures the address when it processes this advertisement,
     * right after this hook, and keeps it tentative for the DAD timeout.
     * The first check comes just after that, so that an address the stack
     * did not configure is added at once rather than after a DAD time. */
    mn->coa_first_check = true;
    mip6_timer_start(&mn->coa_timer, 1000);
}

/* Movement detection (RFC 6275 §11.5.1): a router advertisement with a
 * prefix other than the current link's means a new link. */
static void
receive_ra(struct mip6_mn *mn, const struct ip6_packet *p, const uint8_t *pkt)
{
    struct nd_ra ra;
    const struct nd_prefix *prefix = NULL;

    if (nd_parse_ra(pkt + p->upper_offset, p->upper_len, p->hdr.hop_limit, p->hdr.src, &ra) !=
        ND_OK)
        return;
    /* RFC 4861 §6.3.7: an advertisement from a default router ends the
     * solicitations. */
    if (ra.router_lifetime_s > 0) {
        mip6_mn_rs_advert(mn);
        mip6_mn_nud_advert(mn, p->hdr.src, ra.has_adv_interval ? ra.adv_interval_ms : 0);
    }
    for (size_t i = 0; i < ra.n_prefixes && !prefix; i++)
        if (ra.prefixes[i].on_link || ra.prefixes[i].autonomous)
            prefix = &ra.prefixes[i];
    if (!prefix)
        return;
    if (mn->link_known && prefix->prefix_len == mn->link_prefix_len &&
        ip6_prefix_match(prefix->prefix, mn->link_prefix, prefix->prefix_len))
        return;

    bool first = !mn->link_known;
    bool was_home = mn->link_known &&
                    ip6_prefix_match(mn->link_prefix, mn->cfg.home_prefix, mn->cfg.home_prefix_len);
    /* The old link's address, prefix route and default router are stale. */
    if (mn->link_known && !was_home)
        sim_autoconf_remove(mn->node.id, mn->cfg.ifindex, mn->link_prefix, mn->link_prefix_len,
                            mn->router);
    else if (was_home)
        sim_autoconf_remove(mn->node.id, mn->cfg.ifindex, mn->cfg.home_prefix,
                            mn->cfg.home_prefix_len, mn->router);

    mn->link_known = true;
    memcpy(mn->link_prefix, prefix->prefix, 16);
    mn->link_prefix_len = prefix->prefix_len;
    memcpy(mn->router, p->hdr.src, 16);

    bool home = ip6_prefix_match(prefix->prefix, mn->cfg.home_prefix, mn->cfg.home_prefix_len);
    if (first && home)
        return; /* the node starts at home: nothing moved */
    record_mobility(mn, REC_MOB_MOVEMENT, mn->link_prefix, mn->link_prefix_len, home);
    if (home)
        arrive_home(mn);
    else
        arrive_foreign(mn);
}

/*
 * Whether the packet is a Neighbor Advertisement for the home address that
 * arrives while the node de-registers from home.  Until the home agent
 * processes the de-registration it defends the home address by proxy
 * (RFC 6275 §11.5.5), so it replies to the duplicate address detection
 * probe that ns-3 sends for the home address re-added on this interface.
 * ns-3.37 would take that answer for a duplicate and make the address
 * invalid.  It acts on any advertisement whose target is a tentative
 * address, without the checks of RFC 4861 §7.1.2, so type and target
 * decide here too.
 */
static bool
is_defence_of_home_address(const struct mip6_mn *mn, const struct ip6_packet *p, const uint8_t *pkt)
{
    uint8_t type, target[16];

    return mn->state == MN_DEREGISTERING && p->upper_proto == IP6_NH_ICMPV6 &&
           nd_peek_neighbor(pkt + p->upper_offset, p->upper_len, &type, target) &&
           type == ND_NEIGHBOR_ADVERT && memcmp(target, mn->cfg.home_address, 16) == 0;
}

/* A care-of address that failed DAD is no longer the node's (RFC 4862
 * §5.4.5, RFC 4429 §3.3). */
static bool
is_mine(const struct mip6_mn *mn, const uint8_t addr[16])
{
    return memcmp(addr, mn->cfg.home_address, 16) == 0 ||
           (mn->state != MN_AT_HOME && !mn->coa_duplicate && memcmp(addr, mn->coa, 16) == 0);
}

static enum sim_verdict
mn_ingress(void *ctx, uint32_t ifindex, const uint8_t *pkt, size_t len, uint64_t uid)
{
    struct mip6_mn *mn = ctx;
    struct ip6_packet p;

    if (ip6_parse(pkt, len, &p) != IP6_OK)
        return SIM_PASS;
    if (p.upper_proto == IP6_NH_ICMPV6 && p.upper_len > 0 &&
        pkt[p.upper_offset] == ND_ROUTER_ADVERT) {
        receive_ra(mn, &p, pkt);
        return SIM_PASS; /* ns-3 still does its own autoconfiguration */
    }
    if (mn->nud_running && p.upper_proto == IP6_NH_ICMPV6 && p.upper_len > 0 &&
        pkt[p.upper_offset] == ND_NEIGHBOR_ADVERT)
        mip6_mn_nud_input(mn, &p, pkt + p.upper_offset);
    if (is_defence_of_home_address(mn, &p, pkt)) {
        mip6_record_drop(&mn->node, ifindex, pkt, len, uid, REC_DROP_HOME_ADDRESS_DEFENDED);
        return SIM_CONSUMED;
    }
    if (is_advert_for_optimistic_coa(mn, &p, pkt))
        mip6_timer_start(&mn->coa_dad_timer, 1000); /* after the stack has processed it */
    if (!is_mine(mn, p.hdr.dst))
        return SIM_PASS;
    /* IKE over UDP port 500 (RFC 3776 §4.4). */
    if (ike_receive(mn->ike, ifindex, pkt, len, uid, &p))
        return SIM_CONSUMED;
    /* A Mobile Prefix Advertisement in clear goes to the signalling path,
     * whose policy check drops it where SA6 is required (RFC 3776 §4.1). */
    if (mip6_mpd_is_clear_message(pkt, &p, ICMP6_MPA)) {
        receive_signal(mn, ifindex, pkt, len, uid, &p);
        return SIM_CONSUMED;
    }

    switch (p.upper_proto) {
    case IP6_NH_IPV6:
        receive_tunnel(mn, ifindex, pkt, len, uid, &p);
        return SIM_CONSUMED;
    case IP6_NH_ESP:
        /* With a CPU model the packet waits until the node has verified it. */
        if (mip6_defer_esp_input(&mn->node, mn_ingress, mn, ifindex, pkt, len, uid, &p))
            return SIM_CONSUMED;
        /* RFC 3776 §3.2, §3.4: the SPI of a tunnel-mode SA marks the home
         * agent's tunnel; the others protect signalling (§3.1). */
        if (mip6_tunnel_esp_sa(&mn->node, pkt, &p))
            receive_tunnel(mn, ifindex, pkt, len, uid, &p);
        else
            receive_signal(mn, ifindex, pkt, len, uid, &p);
        return SIM_CONSUMED;
    case IP6_NH_MOBILITY:
        receive_signal(mn, ifindex, pkt, len, uid, &p);
        return SIM_CONSUMED;
    default:
        /* Route-optimized traffic from a correspondent. */
        if (p.has_rh2) {
            mip6_mn_ro_deliver(mn, ifindex, pkt, len, uid, &p);
            return SIM_CONSUMED;
        }
        return SIM_PASS;
    }
}

static void
mn_link(void *ctx, uint32_t ifindex, int up)
{
    struct mip6_mn *mn = ctx;

    if (ifindex != mn->cfg.ifindex)
        return;
    rec_mobility(mn->node.rec, sim_now_ns(), mn->node.id, ifindex,
                 up ? REC_MOB_LINK_UP : REC_MOB_LINK_DOWN, NULL, 0, 0);
    if (up)
        mip6_mn_rs_link_up(mn);
}

void
mip6_mn_free(struct mip6_mn *mn)
{
    if (!mn)
        return;
    mip6_timer_release(&mn->coa_timer);
    mip6_timer_release(&mn->coa_dad_timer);
    mip6_timer_release(&mn->retransmit_timer);
    mip6_timer_release(&mn->refresh_timer);
    mip6_timer_release(&mn->rs_timer);
    mip6_mn_nud_release(mn);
    mip6_mpd_mn_release(mn);
    for (size_t i = 0; i < mn->n_correspondents; i++) {
        mip6_timer_release(&mn->correspondents[i].retry);
        mip6_timer_release(&mn->correspondents[i].refresh);
        mip6_timer_release(&mn->correspondents[i].rate);
    }
    ike_node_free(mn->ike);
    ipsec_db_free(&mn->node.ipsec);
    free(mn);
}

struct mip6_mn *
mip6_mn_install(uint32_t node, const struct mip6_mn_config *cfg, struct rec *rec, char *err,
                size_t err_len)
{
    struct mip6_mn *mn;

    if (!ip6_addr_is_unicast_routable(cfg->home_address) ||
        !ip6_addr_is_unicast_routable(cfg->home_agent)) {
        snprintf(err, err_len,
                 "mobile node %u: home address and home agent address must be "
                 "global unicast addresses",
                 node);
        return NULL;
    }
    if (cfg->home_prefix_len == 0 || cfg->home_prefix_len > 128 ||
        !ip6_prefix_match(cfg->home_address, cfg->home_prefix, cfg->home_prefix_len)) {
        snprintf(err, err_len, "mobile node %u: home address is not inside the home prefix /%u",
                 node, cfg->home_prefix_len);
        return NULL;
    }
    if (cfg->lifetime_s < 4 || cfg->lifetime_s > 0xffffu * 4) {
        snprintf(err, err_len,
                 "mobile node %u: binding lifetime %u s is out of range; use 4 to "
                 "262140 s",
                 node, cfg->lifetime_s);
        return NULL;
    }
    mn = calloc(1, sizeof *mn);
    if (!mn) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    mn->node.id = node;
    mn->node.rec = rec;
    mn->cfg = *cfg;
    mn->state = MN_AT_HOME;
    ipsec_db_init(&mn->node.ipsec);
    mip6_timer_init(&mn->coa_timer, node, check_coa, mn);
    mip6_timer_init(&mn->coa_dad_timer, node, check_coa_dad, mn);
    mip6_timer_init(&mn->retransmit_timer, node, retransmit_bu, mn);
    mip6_timer_init(&mn->refresh_timer, node, refresh_binding, mn);
    mip6_mpd_mn_init(mn);
    mip6_mn_rs_init(mn);
    mip6_mn_nud_init(mn);
    /* RFC 6275 §11.8 does not fix the first sequence number. */
    mn->bul.seq = (uint16_t)sim_random_u32(node);

    if (sim_iface_mac48(node, cfg->ifindex, mn->mac) != SIM_OK ||
        sim_tunnel_create(node, mn_tunnel_tx, mn, &mn->tunnel_ifindex) != SIM_OK ||
        sim_set_ingress_hook(node, mn_ingress, mn) != SIM_OK ||
        sim_set_link_hook(node, mn_link, mn) != SIM_OK) {
        snprintf(err, err_len,
                 "mobile node %u: interface %u not found or no IPv6 stack; install "
                 "the internet stack and give the interface index of its "
                 "access device",
                 node, cfg->ifindex);
        mip6_mn_free(mn);
        return NULL;
    }
    sim_addr_add(node, cfg->ifindex, cfg->home_address, cfg->home_prefix_len);
    return mn;
}
