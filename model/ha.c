/*
 * ha.c - the home agent: binding cache, home registration (RFC 6275
 * §10.3) protected by ESP (RFC 3776 §6.2, §6.3) with duplicate address
 * detection for new home addresses (§10.3.1), proxy Neighbor Discovery
 * for registered ones on the home link (§10.4.1), and the bidirectional
 * tunnel to registered care-of addresses (§10.4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrmap.h"
#include "ha.h"
#include "ike.h"
#include "mh.h"
#include "nd.h"
#include "sim.h"
#include "tunnel.h"

/* RFC 6275 §10.3.1 lets the home agent grant less than requested. */
#define DEFAULT_MAX_LIFETIME_S 3600

static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1}; /* ff02::1 */
static const uint8_t unspecified[16];

void
mip6_ha_config_default(struct mip6_ha_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->home_prefix_len = 64;
    cfg->max_lifetime_s = DEFAULT_MAX_LIFETIME_S;
}

struct mip6_binding *
mip6_ha_binding(const struct mip6_ha *ha, const uint8_t hoa[16])
{
    return addrmap_get(&ha->bindings, hoa);
}

static void
route_host(struct mip6_ha *ha, const uint8_t hoa[16], bool add)
{
    if (add)
        sim_route_add(ha->node.id, hoa, 128, ha->tunnel_ifindex, NULL, 0);
    else
        sim_route_remove(ha->node.id, hoa, 128, ha->tunnel_ifindex);
}

/* ----- proxy Neighbor Discovery for home addresses (RFC 6275 §10.4.1) ----- */

/* Send a Neighbor Discovery message on the home link; uid_out may be NULL. */
static void
send_on_home_link(struct mip6_ha *ha, const uint8_t src[16], const uint8_t dst[16],
                  const uint8_t *msg, size_t len, uint64_t *uid_out)
{
    /* sim_nd_send gives the hop limit 255 that RFC 4861 §7.1 requires. */
    if (sim_nd_send(ha->node.id, ha->cfg.home_ifindex, src, dst, msg, len, uid_out) != SIM_OK) {
        ha->node.drops++;
        mip6_record_built(&ha->node, ha->cfg.home_ifindex, REC_DROP, src, dst, IP6_NH_ICMPV6, msg,
                          len, 0, 0, REC_DROP_SEND_FAILED);
    }
}

/* Advertise the home agent's own link-layer address for a home address. */
static void
send_proxy_advert(struct mip6_ha *ha, const uint8_t hoa[16], const uint8_t dst[16], uint8_t flags)
{
    uint8_t msg[ND_NEIGHBOR_MAX_LEN];
    struct wr w = wr_init(msg, sizeof msg);
    struct nd_neighbor na = {.type = ND_NEIGHBOR_ADVERT, .flags = flags, .has_link_addr = true};

    memcpy(na.target, hoa, 16);
    memcpy(na.link_addr, ha->home_mac, 6);
    if (nd_encode_neighbor(&w, &na, ha->cfg.address, dst) == ND_OK)
        send_on_home_link(ha, ha->cfg.address, dst, msg, w.pos, NULL);
}

/* Reply to a Neighbor Solicitation for a registered home address. */
static void
reply_to_solicitation(struct mip6_ha *ha, const struct ip6_packet *p, const struct nd_neighbor *ns)
{
    /* RFC 4861 §7.2.4: the reply to a probe from the unspecified address
     * goes to all-nodes with S clear, the reply to any other solicitation
     * to its source with S set.  RFC 4861 §7.2.8: a proxy's solicited
     * advertisements have O clear, so that the mobile node's own
     * advertisement wins once it is back.  R stays clear because the
     * advertisement speaks for the mobile node, as in the unsolicited one
     * (RFC 6275 §10.4.1).
     * The reply leaves at once.  RFC 4861 §7.2.8 suggests a random delay
     * of up to MAX_ANYCAST_DELAY_TIME (1 s) against collisions between
     * several proxies, but this model has one home agent per link. */
    bool probe = memcmp(p->hdr.src, unspecified, 16) == 0;
    send_proxy_advert(ha, ns->target, probe ? all_nodes : p->hdr.src,
                      probe ? 0 : ND_NA_FLAG_SOLICITED);
}

static void
delete_binding(struct mip6_ha *ha, struct mip6_binding *b)
{
    /* RFC 6275 §10.4.1: without the binding the home agent stops
     * intercepting, so receive_neighbor no longer replies for b->hoa. */
    mip6_timer_release(&b->expiry);
    route_host(ha, b->hoa, false);
    sim_solicited_node_leave(ha->node.id, ha->cfg.home_ifindex, b->hoa);
    /* RFC 3776 §4.2: without a tunnel its SPD entries become inactive; the
     * manually keyed SAs stay for the next registration. */
    ipsec_tunnel_policies_set_active(&ha->node.ipsec, b->hoa, false);
    rec_mobility(ha->node.rec, sim_now_ns(), ha->node.id, ha->cfg.home_ifindex,
                 REC_MOB_BINDING_DELETE, b->hoa, b->last_seq, 0);
    addrmap_remove(&ha->bindings, b->hoa);
    free(b);
}

static void
binding_expired(void *owner)
{
    struct mip6_binding *b = owner;
    delete_binding(b->ha, b);
}

/* Send a Binding Acknowledgement for a BU received as *in (RFC 6275 §10.3.1). */
static void
send_ba(struct mip6_ha *ha, const struct mip6_in *in, uint8_t status, uint16_t seq,
        uint16_t lifetime)
{
    uint8_t msg[64];
    struct wr w = wr_init(msg, sizeof msg);
    struct mh_msg ba = {.type = MH_BA};

    /* RFC 6275 §10.3.1: K echoes the BU's when the home agent's key
     * management can move its IKE SA with the care-of address. */
    if (in->k_bit && ha->ike && ha->ike->cfg.k_bit)
        ba.ba.flags |= MH_BA_FLAG_K;
    ba.ba.status = status;
    ba.ba.seq = seq;
    ba.ba.lifetime = lifetime;

    /* The checksum covers the home address, the final destination. */
    if (mh_encode(&w, &ba, ha->cfg.address, in->src) != MH_OK)
        return;

    /* RFC 3776 §3.1 and §4.2: a BA to a mobile node away from home goes to
     * the care-of address with a type 2 routing header holding the home
     * address.  A BA for a BU sent from home goes to the home address. */
    struct mip6_out out = {
        .src = ha->cfg.address,
        .dst = in->src,
        .care_of_dst = in->has_hao ? in->care_of : NULL,
        .proto = IP6_NH_MOBILITY,
        .msg = msg,
        .msg_len = w.pos,
        .ifindex = SIM_IFINDEX_ANY,
    };
    if (mip6_send_signal(&ha->node, &out) == REC_DROP_NONE)
        rec_mobility(ha->node.rec, sim_now_ns(), ha->node.id, ha->cfg.home_ifindex, REC_MOB_BA_SENT,
                     in->has_hao ? in->care_of : in->src, status, seq);
}

/* RFC 6275 §10.3.1: with the K bit in BU and BA, the IKE SA of the mobile
 * node moves to the address of the accepted registration. */
static void
follow_with_ike(struct mip6_ha *ha, const struct mip6_in *in, const uint8_t coa[16])
{
    if (in->k_bit && ha->ike && ha->ike->cfg.k_bit)
        ike_peer_moved(ha->ike, in->src, coa);
}

static void
register_binding(struct mip6_ha *ha, const struct mip6_in *in, const struct mh_bu *bu,
                 const uint8_t coa[16])
{
    struct mip6_binding *b = mip6_ha_binding(ha, in->src);
    uint32_t granted_s = (uint32_t)bu->lifetime * 4;

    if (granted_s > ha->cfg.max_lifetime_s)
        granted_s = ha->cfg.max_lifetime_s;

    if (!b) {
        b = calloc(1, sizeof *b);
        if (!b || !addrmap_put(&ha->bindings, in->src, b)) {
            free(b);
            send_ba(ha, in, MH_BA_INSUFFICIENT_RESOURCES, bu->seq, 0);
            return;
        }
        memcpy(b->hoa, in->src, 16);
        b->ha = ha;
        mip6_timer_init(&b->expiry, ha->node.id, binding_expired, b);
        route_host(ha, b->hoa, true);
        /* RFC 6275 §10.4.1: a proxy listens to the solicited-node group of
         * the home address, so that solicitations for it reach the agent. */
        sim_solicited_node_join(ha->node.id, ha->cfg.home_ifindex, b->hoa);
        rec_mobility(ha->node.rec, sim_now_ns(), ha->node.id, ha->cfg.home_ifindex,
                     REC_MOB_BINDING_ADD, coa, bu->seq, granted_s);
        /* RFC 6275 §10.4.1: interception starts with an unsolicited
         * advertisement to all-nodes, R and S clear and O set, so that
         * neighbours replace the mobile node's link-layer address with the
         * home agent's. */
        send_proxy_advert(ha, b->hoa, all_nodes, ND_NA_FLAG_OVERRIDE);
    } else {
        rec_mobility(ha->node.rec, sim_now_ns(), ha->node.id, ha->cfg.home_ifindex,
                     REC_MOB_BINDING_UPDATE, coa, bu->seq, granted_s);
    }
    memcpy(b->coa, coa, 16);
    b->last_seq = bu->seq;
    /* RFC 3776 §4.3: the tunnel SAs' end at the mobile node moves to the
     * new care-of address only here, for a BU that passed ESP
     * (receive_signal drops BUs in clear before process_bu).  The tunnel's
     * SPD entries are active while the binding exists (§4.2). */
    ipsec_tunnel_sas_set_care_of(&ha->node.ipsec, b->hoa, coa);
    ipsec_tunnel_policies_set_active(&ha->node.ipsec, b->hoa, true);
    mip6_timer_start(&b->expiry, (uint64_t)granted_s * 1000000000ull);

    send_ba(ha, in, MH_BA_ACCEPTED, bu->seq, (uint16_t)(granted_s / 4));
    follow_with_ike(ha, in, coa);
}

/* ----- duplicate address detection for a home address (RFC 6275 §10.3.1) ----- */

/* Keep the latest BU for the address under detection, which the BA will acknowledge. */
static void
hold_bu(struct mip6_home_dad *dad, const struct mip6_in *in, const struct mh_bu *bu,
        const uint8_t coa[16])
{
    dad->in = *in;
    dad->in.msg = NULL; /* the BU's scratch buffer is gone when the wait ends */
    dad->in.msg_len = 0;
    dad->in.sa = NULL;
    dad->bu = *bu;
    memcpy(dad->coa, coa, 16);
}

/* End the detection: accept the held BU, reject it with status 134, or
 * drop it for a de-registration that arrived meanwhile. */
static void
finish_home_dad(struct mip6_home_dad *dad, enum mip6_home_dad_result result)
{
    struct mip6_ha *ha = dad->ha;
    struct mip6_in in = dad->in;
    struct mh_bu bu = dad->bu;
    uint8_t coa[16];

    memcpy(coa, dad->coa, 16);
    rec_mobility(ha->node.rec, sim_now_ns(), ha->node.id, ha->cfg.home_ifindex,
                 REC_MOB_HOME_DAD_DONE, dad->hoa, result, bu.seq);
    mip6_timer_release(&dad->wait);
    sim_solicited_node_leave(ha->node.id, ha->cfg.home_ifindex, dad->hoa);
    addrmap_remove(&ha->dads, dad->hoa);
    free(dad);

    if (result == MIP6_HOME_DAD_UNIQUE)
        register_binding(ha, &in, &bu, coa);
    else if (result == MIP6_HOME_DAD_DUPLICATE)
        send_ba(ha, &in, MH_BA_DAD_FAILED, bu.seq, 0); /* RFC 6275 §10.3.1 */
}

static void
home_dad_timeout(void *owner)
{
    finish_home_dad(owner, MIP6_HOME_DAD_UNIQUE);
}

/* RFC 4862 §5.4.2: one Neighbor Solicitation from the unspecified address
 * to the solicited-node address, without a link-layer address option. */
static void
send_dad_probe(struct mip6_ha *ha, struct mip6_home_dad *dad)
{
    uint8_t msg[ND_NEIGHBOR_MAX_LEN], dst[16];
    struct wr w = wr_init(msg, sizeof msg);
    struct nd_neighbor ns = {.type = ND_NEIGHBOR_SOLICIT};

    memcpy(ns.target, dad->hoa, 16);
    nd_solicited_node(dst, dad->hoa);
    if (nd_encode_neighbor(&w, &ns, unspecified, dst) != ND_OK)
        return;
    send_on_home_link(ha, unspecified, dst, msg, w.pos, &dad->probe_uid);
    dad->probe_sent = true;
}

/* Hold a first registration while duplicate address detection runs for
 * its home address; the BA goes when it ends (finish_home_dad). */
static void
start_home_dad(struct mip6_ha *ha, const struct mip6_in *in, const struct mh_bu *bu,
               const uint8_t coa[16], uint64_t wait_ns)
{
    struct mip6_home_dad *dad = calloc(1, sizeof *dad);

    if (!dad || !addrmap_put(&ha->dads, in->src, dad)) {
        free(dad);
        send_ba(ha, in, MH_BA_INSUFFICIENT_RESOURCES, bu->seq, 0);
        return;
    }
    memcpy(dad->hoa, in->src, 16);
    dad->ha = ha;
    hold_bu(dad, in, bu, coa);
    mip6_timer_init(&dad->wait, ha->node.id, home_dad_timeout, dad);
    /* Other nodes' probes for the address go to its solicited-node group. */
    sim_solicited_node_join(ha->node.id, ha->cfg.home_ifindex, dad->hoa);
    rec_mobility(ha->node.rec, sim_now_ns(), ha->node.id, ha->cfg.home_ifindex,
                 REC_MOB_HOME_DAD_START, dad->hoa, bu->seq, (int64_t)(wait_ns / 1000000));

    send_dad_probe(ha, dad);
    /* RFC 4862 §5.4: the address is unique when nothing contradicts it
     * for RetransTimer after the probe.  The node's DAD timeout serves as
     * RetransTimer, as it does for the mobile node's care-of address. */
    mip6_timer_start(&dad->wait, wait_ns);
}

/* RFC 4862 §5.4.3, §5.4.4: during the wait, an advertisement for the
 * address, or another node's probe for it, makes it a duplicate.  A
 * solicitation with a source address is address resolution, which a
 * tentative address ignores. */
static void
check_duplicate(struct mip6_home_dad *dad, const struct ip6_packet *p,
                const struct nd_neighbor *msg, uint64_t uid)
{
    bool probe = msg->type == ND_NEIGHBOR_SOLICIT && memcmp(p->hdr.src, unspecified, 16) == 0;
    bool own_probe = dad->probe_sent && uid == dad->probe_uid;

    if (msg->type == ND_NEIGHBOR_ADVERT || (probe && !own_probe))
        finish_home_dad(dad, MIP6_HOME_DAD_DUPLICATE);
}

/*
 * A Neighbor Solicitation or Advertisement from the home link: another
 * node's claim to an address under detection, or a solicitation the home
 * agent replies to for a registered home address (RFC 6275 §10.4.1).  ns-3
 * has no proxy Neighbor Discovery and ignores solicitations for addresses
 * that are not its own, so the packet goes on to the stack either way.
 */
static void
receive_neighbor(struct mip6_ha *ha, uint32_t ifindex, const uint8_t *pkt, uint64_t uid,
                 const struct ip6_packet *p)
{
    struct nd_neighbor msg;

    if (ifindex != ha->cfg.home_ifindex)
        return;
    if (nd_parse_neighbor(pkt + p->upper_offset, p->upper_len, p->hdr.hop_limit, p->hdr.src,
                          p->hdr.dst, &msg) != ND_OK)
        return;

    struct mip6_home_dad *dad = addrmap_get(&ha->dads, msg.target);
    if (dad) {
        check_duplicate(dad, p, &msg, uid);
        return;
    }
    if (msg.type == ND_NEIGHBOR_SOLICIT && mip6_ha_binding(ha, msg.target))
        reply_to_solicitation(ha, p, &msg);
}

/* Accept a registration, after duplicate address detection when it is the
 * first one for its home address. */
static void
accept_registration(struct mip6_ha *ha, const struct mip6_in *in, const struct mh_bu *bu,
                    const uint8_t coa[16])
{
    struct mip6_home_dad *dad = addrmap_get(&ha->dads, in->src);
    uint64_t wait_ns = sim_dad_timeout_ns(ha->node.id);

    /* RFC 6275 §10.3.1: "unless this home agent already has a binding for
     * the given home address", duplicate address detection comes first.  A
     * newer BU during the wait replaces the held one.  A node whose stack
     * makes addresses usable at once (ns-3's DAD attribute off) has no
     * wait to run.
     * NOTE: the L flag is ignored.  With L set, RFC 6275 §10.3.1 also asks
     * for detection and proxy service for the mobile node's link-local
     * address, and this model's mobile node never sets it. */
    if (dad) {
        hold_bu(dad, in, bu, coa);
        return;
    }
    if (!mip6_ha_binding(ha, in->src) && ha->cfg.dad_home_address && wait_ns > 0) {
        start_home_dad(ha, in, bu, coa, wait_ns);
        return;
    }
    register_binding(ha, in, bu, coa);
}

/* Process a Binding Update that passed IPsec (RFC 6275 §9.5.1, §10.3.1, §10.3.2). */
static void
process_bu(struct mip6_ha *ha, uint32_t ifindex, const uint8_t *pkt, size_t len, uint64_t uid,
           const struct mip6_in *in, const struct mh_bu *bu)
{
    struct mip6_binding *b = mip6_ha_binding(ha, in->src);
    struct mip6_home_dad *dad = addrmap_get(&ha->dads, in->src);
    const uint8_t *coa = bu->has_alt_coa ? bu->alt_coa : (in->has_hao ? in->care_of : in->src);

    rec_mobility(ha->node.rec, sim_now_ns(), ha->node.id, ifindex, REC_MOB_BU_RECEIVED, in->src,
                 bu->seq, bu->lifetime);

    /* This model is a home agent only: a correspondent registration (H
     * clear) is not for it. */
    if (!(bu->flags & MH_BU_FLAG_H)) {
        mip6_record_drop(&ha->node, ifindex, pkt, len, uid, REC_DROP_MH_INVALID);
        return;
    }
    /* RFC 6275 §10.3.1: the home address must be on the home subnet. */
    if (!ip6_prefix_match(in->src, ha->cfg.home_prefix, ha->cfg.home_prefix_len)) {
        send_ba(ha, in, MH_BA_NOT_HOME_SUBNET, bu->seq, 0);
        return;
    }
    /* RFC 6275 §9.5.1: the sequence number must be newer than the last
     * accepted one, modulo 2^16; the BA then carries the last accepted. */
    if (b && !mh_seq_newer(bu->seq, b->last_seq)) {
        mip6_record_drop(&ha->node, ifindex, pkt, len, uid, REC_DROP_SEQ_OUT_OF_WINDOW);
        send_ba(ha, in, MH_BA_SEQ_OUT_OF_WINDOW, b->last_seq, 0);
        return;
    }
    /* Nothing is accepted yet for an address under duplicate address
     * detection, so a BU not newer than the held one gets no BA. */
    if (dad && !mh_seq_newer(bu->seq, dad->bu.seq)) {
        mip6_record_drop(&ha->node, ifindex, pkt, len, uid, REC_DROP_SEQ_OUT_OF_WINDOW);
        return;
    }

    /* RFC 6275 §9.5.1: lifetime 0, or a care-of address equal to the home
     * address, requests deletion of the binding (§10.3.2). */
    if (bu->lifetime == 0 || memcmp(coa, in->src, 16) == 0) {
        if (dad)
            finish_home_dad(dad, MIP6_HOME_DAD_ABANDONED);
        if (!b) {
            send_ba(ha, in, MH_BA_NOT_HOME_AGENT, bu->seq, 0);
            return;
        }
        delete_binding(ha, b);
        send_ba(ha, in, MH_BA_ACCEPTED, bu->seq, 0);
        follow_with_ike(ha, in, coa);
        return;
    }

    /* RFC 6275 §9.5.1: a care-of address that is not unicast routable is
     * silently discarded. */
    if (!ip6_addr_is_unicast_routable(coa)) {
        mip6_record_drop(&ha->node, ifindex, pkt, len, uid, REC_DROP_MH_INVALID);
        return;
    }
    /* RFC 6275 §10.3.1: a registration away from home carries a Home
     * Address option. */
    if (!in->has_hao) {
        send_ba(ha, in, MH_BA_REASON_UNSPECIFIED, bu->seq, 0);
        return;
    }
    accept_registration(ha, in, bu, coa);
}

static void
receive_signal(struct mip6_ha *ha, uint32_t ifindex, const uint8_t *pkt, size_t len, uint64_t uid,
               const struct ip6_packet *parsed)
{
    uint8_t scratch[MIP6_MAX_PACKET];
    struct mip6_in in;
    struct mh_msg msg;

    if (mip6_receive_signal(&ha->node, ifindex, pkt, len, uid, parsed, scratch, sizeof scratch,
                            &in) != REC_DROP_NONE)
        return;
    /* Mobile Prefix Solicitations (RFC 3776 §3.3); checks in mpd.c. */
    if (in.proto == IP6_NH_ICMPV6) {
        mip6_mpd_ha_receive(ha, ifindex, pkt, len, uid, &in);
        return;
    }
    if (in.proto != IP6_NH_MOBILITY) {
        mip6_record_drop(&ha->node, ifindex, pkt, len, uid, REC_DROP_POLICY);
        return;
    }

    /* RFC 6275 §6.1.7 and §9.2: checksum over the home-form addresses. */
    enum mh_status st = mh_decode(in.msg, in.msg_len, in.src, in.dst, &msg);
    if (st != MH_OK) {
        /* NOTE: RFC 6275 §9.2 also has the receiver send a Binding Error
         * for an unknown MH type and an ICMPv6 Parameter Problem for a bad
         * Payload Proto.  This model only records the drop. */
        mip6_record_drop(&ha->node, ifindex, pkt, len, uid,
                         st == MH_BAD_CHECKSUM ? REC_DROP_MH_CHECKSUM : REC_DROP_MH_INVALID);
        return;
    }
    if (msg.type != MH_BU) {
        mip6_record_drop(&ha->node, ifindex, pkt, len, uid, REC_DROP_MH_INVALID);
        return;
    }
    /* RFC 3776 §4.1: BUs to the home agent MUST be protected by ESP. */
    if (!in.sa) {
        mip6_record_drop(&ha->node, ifindex, pkt, len, uid, REC_DROP_CLEAR_TEXT);
        return;
    }
    in.k_bit = (msg.bu.flags & MH_BU_FLAG_K) != 0;
    process_bu(ha, ifindex, pkt, len, uid, &in, &msg.bu);
}

/* A packet from a mobile node's reverse tunnel, plain or in ESP tunnel
 * mode (RFC 6275 §10.4.5, RFC 3776 §6.6, §6.14). */
static void
receive_tunnel(struct mip6_ha *ha, uint32_t ifindex, const uint8_t *pkt, size_t len, uint64_t uid,
               const struct ip6_packet *outer)
{
    uint8_t scratch[MIP6_MAX_PACKET];
    struct mip6_tunnel_in t;

    if (mip6_tunnel_receive(&ha->node, ifindex, pkt, len, uid, outer, scratch, sizeof scratch,
                            &t) != REC_DROP_NONE)
        return;
    struct mip6_binding *b = mip6_ha_binding(ha, t.parsed.hdr.src);
    if (!b) {
        mip6_record_drop(&ha->node, ifindex, pkt, len, uid, REC_DROP_NO_BINDING);
        return;
    }
    /* RFC 6275 §10.4.5: the outer source must be the primary care-of
     * address registered for the inner source, unless ESP tunnel mode
     * protects the packet.  Then the SA's keys identify the mobile node,
     * whose source may already be the care-of address of a BU still on
     * its way (RFC 3776 §4.3). */
    if (!t.sa && memcmp(b->coa, outer->hdr.src, 16) != 0) {
        mip6_record_drop(&ha->node, ifindex, pkt, len, uid, REC_DROP_TUNNEL_SOURCE);
        return;
    }
    /* RFC 3776 §4.3, strictly: the SA's outer source is the care-of
     * address of the last accepted BU (register_binding moves it). */
    if (t.sa && ha->cfg.strict_tunnel_source && memcmp(t.sa->tunnel_src, outer->hdr.src, 16) != 0) {
        mip6_record_drop(&ha->node, ifindex, pkt, len, uid, REC_DROP_TUNNEL_SOURCE);
        return;
    }

    uint64_t inner_uid = 0;
    sim_tunnel_receive(ha->node.id, ha->tunnel_ifindex, t.inner, t.inner_len, &inner_uid);
    mip6_tunnel_record_decap(&ha->node, ifindex, pkt, len, uid, outer, &t, inner_uid);
}

static enum sim_verdict
ha_ingress(void *ctx, uint32_t ifindex, const uint8_t *pkt, size_t len, uint64_t uid)
{
    struct mip6_ha *ha = ctx;
    struct ip6_packet p;

    /* Whatever does not parse is not mobility signalling; ns-3 decides. */
    if (ip6_parse(pkt, len, &p) != IP6_OK)
        return SIM_PASS;
    /* Neighbor Discovery for home addresses goes to solicited-node and
     * all-nodes multicast addresses, not to the home agent's. */
    if (p.upper_proto == IP6_NH_ICMPV6 && p.upper_len > 0 &&
        (pkt[p.upper_offset] == ND_NEIGHBOR_SOLICIT || pkt[p.upper_offset] == ND_NEIGHBOR_ADVERT)) {
        receive_neighbor(ha, ifindex, pkt, uid, &p);
        return SIM_PASS;
    }
    if (memcmp(p.hdr.dst, ha->cfg.address, 16) != 0)
        return SIM_PASS;
    /* IKE over UDP port 500 (RFC 3776 §4.4). */
    if (ike_receive(ha->ike, ifindex, pkt, len, uid, &p))
        return SIM_CONSUMED;
    /* A Mobile Prefix Solicitation in clear goes to the signalling path,
     * whose policy check drops it where SA5 is required (RFC 3776 §4.1). */
    if (mip6_mpd_is_clear_message(pkt, &p, ICMP6_MPS)) {
        receive_signal(ha, ifindex, pkt, len, uid, &p);
        return SIM_CONSUMED;
    }

    switch (p.upper_proto) {
    case IP6_NH_IPV6:
        receive_tunnel(ha, ifindex, pkt, len, uid, &p);
        return SIM_CONSUMED;
    case IP6_NH_ESP:
        /* With a CPU model the packet waits until the node has verified it. */
        if (mip6_defer_esp_input(&ha->node, ha_ingress, ha, ifindex, pkt, len, uid, &p))
            return SIM_CONSUMED;
        /* RFC 3776 §3.2, §3.4: the SPI of a tunnel-mode SA marks a mobile
         * node's tunnel; the others protect signalling (§3.1). */
        if (mip6_tunnel_esp_sa(&ha->node, pkt, &p))
            receive_tunnel(ha, ifindex, pkt, len, uid, &p);
        else
            receive_signal(ha, ifindex, pkt, len, uid, &p);
        return SIM_CONSUMED;
    case IP6_NH_MOBILITY:
        receive_signal(ha, ifindex, pkt, len, uid, &p);
        return SIM_CONSUMED;
    default:
        return SIM_PASS;
    }
}

/* A packet that routing sent into the tunnel interface: intercepted
 * traffic for a registered home address (RFC 6275 §10.4.1). */
static void
ha_tunnel_tx(void *ctx, const uint8_t *pkt, size_t len, uint64_t uid)
{
    struct mip6_ha *ha = ctx;
    struct ip6_packet p;

    if (ip6_parse(pkt, len, &p) != IP6_OK) {
        mip6_record_drop(&ha->node, ha->tunnel_ifindex, pkt, len, uid, REC_DROP_MALFORMED);
        return;
    }
    /* Link-local and multicast destinations are never tunnelled. */
    if (!ip6_addr_is_unicast_routable(p.hdr.dst)) {
        mip6_record_drop(&ha->node, ha->tunnel_ifindex, pkt, len, uid, REC_DROP_NOT_TUNNELLED);
        return;
    }
    struct mip6_binding *b = mip6_ha_binding(ha, p.hdr.dst);
    if (!b) {
        mip6_record_drop(&ha->node, ha->tunnel_ifindex, pkt, len, uid, REC_DROP_NO_BINDING);
        return;
    }

    /* RFC 3776 §6.7, §6.15: the tunnel interface's SPD entries choose ESP
     * tunnel mode.  Its outer destination is the SA's, which
     * register_binding keeps at the binding's care-of address (§4.3). */
    struct mip6_tunnel_out out = {
        .outer_src = ha->cfg.address,
        .outer_dst = b->coa,
        .ifindex = SIM_IFINDEX_ANY,
        .record_ifindex = ha->tunnel_ifindex,
        .tunnel_ifindex = ha->tunnel_ifindex,
        .inner = pkt,
        .inner_len = len,
        .inner_uid = uid,
    };
    mip6_tunnel_send(&ha->node, &out);
}

void
mip6_ha_free(struct mip6_ha *ha)
{
    if (!ha)
        return;
    for (size_t i = 0; i < ha->bindings.cap; i++) {
        struct mip6_binding *b = ha->bindings.slots[i].value;
        if (b) {
            mip6_timer_release(&b->expiry);
            free(b);
        }
    }
    addrmap_free(&ha->bindings);
    for (size_t i = 0; i < ha->dads.cap; i++) {
        struct mip6_home_dad *dad = ha->dads.slots[i].value;
        if (dad) {
            mip6_timer_release(&dad->wait);
            free(dad);
        }
    }
    addrmap_free(&ha->dads);
    ike_node_free(ha->ike);
    mip6_mpd_ha_free(ha);
    ipsec_db_free(&ha->node.ipsec);
    free(ha);
}

struct mip6_ha *
mip6_ha_install(uint32_t node, const struct mip6_ha_config *cfg, struct rec *rec, char *err,
                size_t err_len)
{
    struct mip6_ha *ha;

    if (!ip6_addr_is_unicast_routable(cfg->address)) {
        snprintf(err, err_len,
                 "home agent address is not a global unicast address; give the "
                 "home agent's address on the home link");
        return NULL;
    }
    if (cfg->home_prefix_len == 0 || cfg->home_prefix_len > 128 ||
        !ip6_prefix_match(cfg->address, cfg->home_prefix, cfg->home_prefix_len)) {
        snprintf(err, err_len,
                 "home agent address is not inside the home prefix /%u; use an "
                 "address on the home link",
                 cfg->home_prefix_len);
        return NULL;
    }
    ha = calloc(1, sizeof *ha);
    if (!ha) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    ha->node.id = node;
    ha->node.rec = rec;
    ha->cfg = *cfg;
    ipsec_db_init(&ha->node.ipsec);
    addrmap_init(&ha->bindings);
    addrmap_init(&ha->dads);
    mip6_mpd_ha_init(ha);

    /* Proxy Neighbor Discovery advertises this address (RFC 6275 §10.4.1). */
    if (sim_iface_mac48(node, cfg->home_ifindex, ha->home_mac) != SIM_OK) {
        snprintf(err, err_len,
                 "home agent node %u: interface %u has no 48-bit MAC address for proxy "
                 "Neighbor Discovery; give home_ifindex the interface on the home link",
                 node, cfg->home_ifindex);
        mip6_ha_free(ha);
        return NULL;
    }
    if (sim_tunnel_create(node, ha_tunnel_tx, ha, &ha->tunnel_ifindex) != SIM_OK ||
        sim_set_ingress_hook(node, ha_ingress, ha) != SIM_OK) {
        snprintf(err, err_len,
                 "node %u: cannot create the tunnel interface or ingress hook; "
                 "install the internet stack on the node first",
                 node);
        free(ha);
        return NULL;
    }
    return ha;
}
