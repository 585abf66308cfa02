/*
 * mpd.c - Mobile Prefix Discovery at the mobile node (RFC 6275 §11.4.2,
 * §11.4.3) and the home agent (RFC 6275 §10.6), protected by ESP in
 * transport mode (RFC 3776 §3.3, §5.2.3).  mip6_send_signal and
 * mip6_receive_signal do the packet work: Home Address option, type 2
 * routing header, ESP and policy.  This file decides what to send and
 * what to accept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ha.h"
#include "icmp6.h"
#include "mn.h"
#include "mpd.h"
#include "sim.h"

#define NS_PER_S 1000000000ull

/* NOTE: RFC 6275 §11.4.2 gives the MPS back-off its start, INITIAL_SOLICIT_TIMER.
 * This model stops doubling at 32 s, the cap RFC 6275 §11.8 sets for BU
 * retransmission, and goes on at that rate. */
#define MAX_SOLICIT_TIMEOUT_NS (32 * NS_PER_S)

/* RFC 6275 §10.6.2: at most one MPA per second to a mobile node. */
#define MPA_MIN_GAP_NS NS_PER_S

/* Whether the SA that protected *in is one the inbound SPD entry for
 * this traffic names: SA5 at the home agent, SA6 at the mobile node (RFC
 * 3776 §5.2.3), or one key management negotiated for that entry.
 * mip6_receive_signal has already matched the SA's selectors. */
static bool
under_policy_sa(const struct mip6_node *n, const struct mip6_in *in)
{
    struct ipsec_packet view = {.src = in->src, .dst = in->dst, .proto = in->proto};
    ipsec_packet_read_next_layer(&view, in->msg, in->msg_len);
    const struct ipsec_policy *policy = ipsec_policy_lookup(&n->ipsec, IPSEC_IN, &view);

    return in->sa && policy && policy->action == IPSEC_PROTECT &&
           (policy->sa == in->sa || in->sa->policy == policy);
}

bool
mip6_mpd_is_clear_message(const uint8_t *pkt, const struct ip6_packet *p, uint8_t icmp_type)
{
    return p->upper_proto == IP6_NH_ICMPV6 && p->upper_len > 0 && pkt[p->upper_offset] == icmp_type;
}

/* ================================================================ mobile node */

static void
record_mn(struct mip6_mn *mn, enum rec_mob kind, const uint8_t *addr, int64_t value, int64_t value2)
{
    rec_mobility(mn->node.rec, sim_now_ns(), mn->node.id, mn->cfg.ifindex, kind, addr, value,
                 value2);
}

/* Whether the node is on its home link, where router advertisements give
 * it the prefix and no MPS is sent. */
static bool
mn_at_home(const struct mip6_mn *mn)
{
    return mn->state == MN_AT_HOME || mn->state == MN_DEREGISTERING;
}

/* RFC 3776 §3.3: the MPS leaves from a registered care-of address, so
 * the home agent's MPA can reach the node there. */
static bool
mn_can_send_mps(const struct mip6_mn *mn)
{
    return mn->bul.bound && !mn->bul.deregistration &&
           (mn->state == MN_REGISTERED || mn->state == MN_REGISTERING);
}

static void
send_mps(struct mip6_mn *mn)
{
    struct mip6_mpd_mn *m = &mn->mpd;
    uint8_t msg[ICMP6_FIXED_LEN];
    struct wr w = wr_init(msg, sizeof msg);
    struct icmp6_msg mps = {.type = ICMP6_MPS, .id = m->solicit_id};

    /* The checksum covers the home address, the source after the home agent's swap. */
    if (icmp6_encode(&w, &mps, mn->cfg.home_address, mn->cfg.home_agent) != ICMP6_OK)
        return;

    /* RFC 3776 §3.3 and §4.2: from the care-of address with a Home Address
     * option; the SPD puts it under SA5. */
    struct mip6_out out = {
        .src = mn->cfg.home_address,
        .dst = mn->cfg.home_agent,
        .care_of_src = mn->bul.coa,
        .proto = IP6_NH_ICMPV6,
        .msg = msg,
        .msg_len = w.pos,
        .ifindex = mn->cfg.ifindex,
    };
    m->solicit_count++;
    if (mip6_send_signal(&mn->node, &out) == REC_DROP_NONE)
        record_mn(mn, REC_MOB_MPS_SENT, mn->bul.coa, m->solicit_id, m->solicit_count);
}

static void
retransmit_mps(void *owner)
{
    struct mip6_mn *mn = owner;
    struct mip6_mpd_mn *m = &mn->mpd;

    if (!m->solicit_outstanding)
        return;
    if (mn_at_home(mn)) {
        m->solicit_outstanding = false;
        return;
    }

    /* RFC 6275 §11.4.2: retransmit with a doubling timeout.  Between links
     * (no registered care-of address yet) the attempt is skipped but the
     * back-off goes on. */
    if (mn_can_send_mps(mn))
        send_mps(mn);
    m->solicit_timeout_ns *= 2;
    if (m->solicit_timeout_ns > MAX_SOLICIT_TIMEOUT_NS)
        m->solicit_timeout_ns = MAX_SOLICIT_TIMEOUT_NS;
    mip6_timer_start(&m->retransmit_timer, m->solicit_timeout_ns);
}

void
mip6_mpd_mn_solicit(struct mip6_mn *mn)
{
    struct mip6_mpd_mn *m = &mn->mpd;

    if (m->solicit_outstanding || mn_at_home(mn))
        return;

    /* RFC 6275 §11.4.2: a random Identifier.  It differs from the one an
     * MPA last matched, so a late copy of that MPA cannot match again.
     * The retransmissions keep it, so an MPA for any copy is accepted. */
    do
        m->solicit_id = (uint16_t)sim_random_u32(mn->node.id);
    while (m->answered && m->solicit_id == m->answered_id);
    m->solicit_outstanding = true;
    m->solicit_count = 0;
    m->solicit_timeout_ns = MIP6_MPD_INITIAL_SOLICIT_NS;

    if (mn_can_send_mps(mn))
        send_mps(mn);
    mip6_timer_start(&m->retransmit_timer, m->solicit_timeout_ns);
}

static void
prefix_lifetime_ending(void *owner)
{
    mip6_mpd_mn_solicit(owner);
}

/* Solicit again before the home prefix's valid lifetime ends (RFC 6275 §11.4.2). */
static void
arm_lifetime_timer(struct mip6_mn *mn)
{
    uint32_t valid_s = mn->mpd.prefix.valid_lifetime_s;

    mip6_timer_stop(&mn->mpd.lifetime_timer);
    if (valid_s == 0 || valid_s == MIP6_MPD_INFINITE_LIFETIME)
        return;
    /* NOTE: the node solicits when 90% of the valid lifetime has passed.
     * The margin is this model's choice, the same fraction it uses to
     * refresh a binding. */
    mip6_timer_start(&mn->mpd.lifetime_timer, (uint64_t)valid_s * NS_PER_S / 10 * 9);
}

/*
 * RFC 6275 §11.4.3: the checks an MPA must pass before the node uses it.
 * Sets *unsolicited when it matches no MPS.  Returns REC_DROP_NONE or the
 * reason to drop it.
 */
static enum rec_drop
check_mpa(const struct mip6_mn *mn, const struct mip6_in *in, const struct icmp6_msg *mpa,
          bool *unsolicited)
{
    const struct mip6_mpd_mn *m = &mn->mpd;

    *unsolicited = false;

    /* RFC 3776 §4.1 and §5.2.3: protected by SA6.  A clear-text MPA
     * reaches this point only when no SPD entry covers it. */
    if (!in->sa)
        return REC_DROP_CLEAR_TEXT;
    if (!under_policy_sa(&mn->node, in))
        return REC_DROP_POLICY;

    /* Step 1: from the home agent of the last accepted home registration. */
    if (!mn->bul.bound || memcmp(in->src, mn->cfg.home_agent, 16) != 0)
        return REC_DROP_MPA_UNEXPECTED;

    /* Step 2: with a type 2 routing header (RFC 3776 §4.2 makes the home
     * agent add it, so the home address is visible to policy). */
    if (!in->has_rh2)
        return REC_DROP_MPA_UNEXPECTED;

    /* Step 3: the Identifier of the outstanding MPS, which no other MPA
     * has matched yet.  While an MPS is outstanding, any other Identifier
     * is wrong.  Otherwise a repeat of the last matching MPA is ignored,
     * and any other MPA is unsolicited. */
    if (m->solicit_outstanding) {
        if (mpa->id != m->solicit_id)
            return REC_DROP_MPA_UNEXPECTED;
        return REC_DROP_NONE;
    }
    if (m->answered && mpa->id == m->answered_id)
        return REC_DROP_MPA_UNEXPECTED;
    *unsolicited = true;
    return REC_DROP_NONE;
}

/* The Prefix Information option for the node's home prefix, or NULL. */
static const struct nd_prefix *
find_home_prefix(const struct mip6_mn *mn, const struct icmp6_mpa *mpa)
{
    for (size_t i = 0; i < mpa->n_prefixes; i++) {
        const struct nd_prefix *p = &mpa->prefixes[i];
        if (!p->router_addr && p->prefix_len == mn->cfg.home_prefix_len &&
            ip6_prefix_match(p->prefix, mn->cfg.home_prefix, p->prefix_len))
            return p;
    }
    return NULL;
}

static void
apply_mpa(struct mip6_mn *mn, const struct mip6_in *in, const struct icmp6_msg *mpa,
          bool unsolicited)
{
    struct mip6_mpd_mn *m = &mn->mpd;

    m->mpa_accepted++;
    if (!unsolicited) {
        mip6_timer_stop(&m->retransmit_timer);
        m->solicit_outstanding = false;
        m->answered = true;
        m->answered_id = mpa->id;
    }
    record_mn(mn, REC_MOB_MPA_RECEIVED, in->care_of, mpa->id, unsolicited);

    /* NOTE: only the lifetimes of the current home prefix are kept.  A
     * new home prefix would need a new home address, SPD entries and SAs
     * (RFC 3776 §4.2), which this model does not create. */
    const struct nd_prefix *home = find_home_prefix(mn, &mpa->mpa);
    if (home) {
        m->prefix = *home;
        m->have_prefix = true;
        m->prefix_received_ns = sim_now_ns();
        arm_lifetime_timer(mn);
    }

    /* RFC 6275 §11.4.3 has the node reply to an MPA that matches no MPS
     * with an MPS of its own.  This node also uses the unsolicited MPA
     * at once, because it passed the same IPsec and address checks as a
     * solicited one.  Its MPS stops the home agent's retransmissions
     * (RFC 6275 §10.6.2), and the solicited MPA confirms the prefix. */
    if (unsolicited)
        mip6_mpd_mn_solicit(mn);
}

void
mip6_mpd_mn_receive(struct mip6_mn *mn, uint32_t ifindex, const uint8_t *pkt, size_t len,
                    uint64_t uid, const struct mip6_in *in)
{
    struct icmp6_msg mpa;
    bool unsolicited = false;
    enum rec_drop drop_reason;

    /* A mobile node accepts no other ICMPv6 message on this path. */
    if (in->msg_len == 0 || in->msg[0] != ICMP6_MPA) {
        drop_reason = REC_DROP_POLICY;
        goto drop;
    }
    /* The checksum covers the home-form addresses (RFC 8200 §8.1). */
    if (icmp6_decode(in->msg, in->msg_len, in->src, in->dst, &mpa) != ICMP6_OK) {
        drop_reason = REC_DROP_MALFORMED;
        goto drop;
    }
    drop_reason = check_mpa(mn, in, &mpa, &unsolicited);
    if (drop_reason != REC_DROP_NONE)
        goto drop;

    apply_mpa(mn, in, &mpa, unsolicited);
    return;

drop:
    mip6_record_drop(&mn->node, ifindex, pkt, len, uid, drop_reason);
}

void
mip6_mpd_mn_init(struct mip6_mn *mn)
{
    mip6_timer_init(&mn->mpd.retransmit_timer, mn->node.id, retransmit_mps, mn);
    mip6_timer_init(&mn->mpd.lifetime_timer, mn->node.id, prefix_lifetime_ending, mn);
}

void
mip6_mpd_mn_release(struct mip6_mn *mn)
{
    mip6_timer_release(&mn->mpd.retransmit_timer);
    mip6_timer_release(&mn->mpd.lifetime_timer);
}

/* ================================================================= home agent */

/* Per-mobile-node state of the home agent: the rate limit, a solicited
 * MPA waiting for it, and an unsolicited MPA being retransmitted. */
struct mpd_peer {
    uint8_t hoa[16];
    struct mip6_ha *ha;

    bool sent_before;
    uint64_t last_sent_ns;

    bool reply_due; /* an MPS waits for its MPA */
    uint16_t reply_id;
    uint8_t reply_to[16]; /* the MPS's care-of address */

    bool unsolicited_due;         /* an unsolicited MPA waits for the rate limit */
    bool unsolicited_outstanding; /* retransmitted until an MPS arrives */
    uint16_t unsolicited_id;
    uint32_t retries;
    uint64_t timeout_ns;

    struct mip6_timer send_timer;  /* the end of the rate limit */
    struct mip6_timer retry_timer; /* the next unsolicited retransmission */
};

static void flush(struct mpd_peer *p);

static void
send_timer_expired(void *owner)
{
    flush(owner);
}

static void
retransmit_unsolicited(void *owner)
{
    struct mpd_peer *p = owner;

    if (!p->unsolicited_outstanding)
        return;
    /* RFC 6275 §10.6.2: PREFIX_ADV_RETRIES retransmissions, each after a
     * doubled timeout, then the home agent gives up. */
    if (p->retries >= MIP6_MPD_PREFIX_ADV_RETRIES) {
        p->unsolicited_outstanding = false;
        return;
    }
    p->retries++;
    p->timeout_ns *= 2;
    p->unsolicited_due = true;
    flush(p);
}

/* The state for a home address, created on first use; NULL when out of memory. */
static struct mpd_peer *
get_peer(struct mip6_ha *ha, const uint8_t hoa[16])
{
    struct mpd_peer *p = addrmap_get(&ha->mpd.peers, hoa);

    if (p)
        return p;
    p = calloc(1, sizeof *p);
    if (!p || !addrmap_put(&ha->mpd.peers, hoa, p)) {
        free(p);
        return NULL;
    }
    memcpy(p->hoa, hoa, 16);
    p->ha = ha;
    mip6_timer_init(&p->send_timer, ha->node.id, send_timer_expired, p);
    mip6_timer_init(&p->retry_timer, ha->node.id, retransmit_unsolicited, p);
    return p;
}

/* Stop everything pending for a mobile node, when its binding is gone. */
static void
reset_peer(struct mpd_peer *p)
{
    p->reply_due = false;
    p->unsolicited_due = false;
    p->unsolicited_outstanding = false;
    mip6_timer_stop(&p->send_timer);
    mip6_timer_stop(&p->retry_timer);
}

static void
send_mpa(struct mpd_peer *p, const uint8_t coa[16], uint16_t id, bool unsolicited)
{
    struct mip6_ha *ha = p->ha;
    uint8_t msg[ICMP6_FIXED_LEN + ICMP6_PREFIX_OPTION_LEN];
    struct wr w = wr_init(msg, sizeof msg);
    struct icmp6_msg mpa = {.type = ICMP6_MPA, .id = id};
    struct nd_prefix *pio = &mpa.mpa.prefixes[0];

    /* RFC 6275 §6.8: one Prefix Information option for the home prefix,
     * host bits zero (RFC 4861 §4.6.2).  M and O stay clear because this
     * home agent offers no DHCPv6. */
    mpa.mpa.n_prefixes = 1;
    for (unsigned bit = 0; bit < ha->cfg.home_prefix_len; bit++)
        pio->prefix[bit / 8] |= ha->cfg.home_prefix[bit / 8] & (0x80 >> (bit % 8));
    pio->prefix_len = ha->cfg.home_prefix_len;
    pio->on_link = true;
    pio->autonomous = true;
    pio->valid_lifetime_s = ha->mpd.valid_lifetime_s;
    pio->preferred_lifetime_s = ha->mpd.preferred_lifetime_s;

    /* The checksum covers the home address, the final destination. */
    if (icmp6_encode(&w, &mpa, ha->cfg.address, p->hoa) != ICMP6_OK)
        return;

    /* RFC 3776 §3.3 and §4.2: to the care-of address with a type 2
     * routing header holding the home address; the SPD puts it under SA6. */
    struct mip6_out out = {
        .src = ha->cfg.address,
        .dst = p->hoa,
        .care_of_dst = coa,
        .proto = IP6_NH_ICMPV6,
        .msg = msg,
        .msg_len = w.pos,
        .ifindex = SIM_IFINDEX_ANY,
    };
    p->sent_before = true;
    p->last_sent_ns = sim_now_ns();
    if (mip6_send_signal(&ha->node, &out) != REC_DROP_NONE)
        return;
    ha->mpd.mpa_sent++;
    rec_mobility(ha->node.rec, sim_now_ns(), ha->node.id, ha->cfg.home_ifindex, REC_MOB_MPA_SENT,
                 coa, id, unsolicited);
}

/* Send what is due for a mobile node, or wait for the rate limit. */
static void
flush(struct mpd_peer *p)
{
    uint64_t now = sim_now_ns();

    if (!p->reply_due && !p->unsolicited_due)
        return;

    /* RFC 6275 §10.6.2: at most one MPA per second to a mobile node.
     * NOTE: an MPA that comes too soon waits for the end of that second
     * instead of being dropped, so every MPS still gets an MPA. */
    if (p->sent_before && now < p->last_sent_ns + MPA_MIN_GAP_NS) {
        mip6_timer_start(&p->send_timer, p->last_sent_ns + MPA_MIN_GAP_NS - now);
        return;
    }
    struct mip6_binding *b = mip6_ha_binding(p->ha, p->hoa);
    if (!b) {
        reset_peer(p);
        return;
    }

    /* A solicited MPA carries the same prefix information, so it replaces
     * an unsolicited MPA still waiting. */
    if (p->reply_due) {
        p->reply_due = false;
        p->unsolicited_due = false;
        send_mpa(p, p->reply_to, p->reply_id, false);
        return;
    }
    p->unsolicited_due = false;
    send_mpa(p, b->coa, p->unsolicited_id, true);
    mip6_timer_start(&p->retry_timer, p->timeout_ns);
}

/* Start an unsolicited MPA with its retransmissions (RFC 6275 §10.6.2). */
static bool
advertise_unsolicited(struct mip6_ha *ha, const uint8_t hoa[16])
{
    struct mpd_peer *p = get_peer(ha, hoa);

    if (!p)
        return false;
    mip6_timer_stop(&p->retry_timer);
    p->unsolicited_outstanding = true;
    p->unsolicited_due = true;
    p->unsolicited_id = (uint16_t)sim_random_u32(ha->node.id);
    p->retries = 0;
    p->timeout_ns = MIP6_MPD_PREFIX_ADV_TIMEOUT_NS;
    flush(p);
    return true;
}

/*
 * RFC 6275 §10.6.2 and RFC 3776 §4.1: the checks on an MPS.  Returns
 * REC_DROP_NONE or the reason to drop it.
 */
static enum rec_drop
check_mps(const struct mip6_ha *ha, const struct mip6_in *in)
{
    /* RFC 3776 §4.1 and §5.2.3: protected by SA5.  A clear-text MPS
     * reaches this point only when no SPD entry covers it. */
    if (!in->sa)
        return REC_DROP_CLEAR_TEXT;
    if (!under_policy_sa(&ha->node, in))
        return REC_DROP_POLICY;

    /* RFC 3776 §4.2: sent from a care-of address, an MPS carries a Home
     * Address option, and the reply goes back to that care-of address. */
    if (!in->has_hao)
        return REC_DROP_HAO_INVALID;

    /* This home agent serves prefix information only to the mobile nodes
     * that have a home registration with it. */
    if (!mip6_ha_binding(ha, in->src))
        return REC_DROP_NO_BINDING;
    return REC_DROP_NONE;
}

void
mip6_mpd_ha_receive(struct mip6_ha *ha, uint32_t ifindex, const uint8_t *pkt, size_t len,
                    uint64_t uid, const struct mip6_in *in)
{
    struct icmp6_msg mps;
    struct mpd_peer *p;
    enum rec_drop drop_reason;

    /* A home agent accepts no other ICMPv6 message on this path. */
    if (in->msg_len == 0 || in->msg[0] != ICMP6_MPS) {
        drop_reason = REC_DROP_POLICY;
        goto drop;
    }
    /* The checksum covers the home address from the Home Address option. */
    if (icmp6_decode(in->msg, in->msg_len, in->src, in->dst, &mps) != ICMP6_OK) {
        drop_reason = REC_DROP_MALFORMED;
        goto drop;
    }
    drop_reason = check_mps(ha, in);
    if (drop_reason != REC_DROP_NONE)
        goto drop;
    p = get_peer(ha, in->src);
    if (!p) {
        drop_reason = REC_DROP_SEND_FAILED; /* out of memory for the answer's state */
        goto drop;
    }
    rec_mobility(ha->node.rec, sim_now_ns(), ha->node.id, ifindex, REC_MOB_MPS_RECEIVED, in->src,
                 mps.id, 0);

    /* RFC 6275 §10.6.2: an MPS ends the retransmission of an unsolicited
     * MPA.  RFC 6275 §6.8: the MPA copies the Identifier and goes to the
     * MPS's source.  A later MPS replaces an MPA still waiting for the
     * rate limit, because its Identifier is the one the node waits for. */
    p->unsolicited_outstanding = false;
    mip6_timer_stop(&p->retry_timer);
    p->reply_due = true;
    p->reply_id = mps.id;
    memcpy(p->reply_to, in->care_of, 16);
    flush(p);
    return;

drop:
    mip6_record_drop(&ha->node, ifindex, pkt, len, uid, drop_reason);
}

int
mip6_ha_set_home_prefix_lifetimes(struct mip6_ha *ha, uint32_t valid_s, uint32_t preferred_s,
                                  char *err, size_t err_len)
{
    /* RFC 4861 §4.6.2: the preferred lifetime must not exceed the valid one. */
    if (preferred_s > valid_s) {
        snprintf(err, err_len,
                 "preferred lifetime %u s exceeds valid lifetime %u s; give a preferred "
                 "lifetime no longer than the valid one",
                 preferred_s, valid_s);
        return -1;
    }
    if (valid_s == ha->mpd.valid_lifetime_s && preferred_s == ha->mpd.preferred_lifetime_s)
        return 0;
    ha->mpd.valid_lifetime_s = valid_s;
    ha->mpd.preferred_lifetime_s = preferred_s;

    /* RFC 6275 §10.6.2: changed prefix information goes to every mobile
     * node with a binding.  NOTE: the RFC delays a non-solicited MPA by
     * MinMobPfxAdvInterval plus a random part; this model sends it at
     * once and sends no periodic MPAs. */
    int advertised = 0;
    for (size_t i = 0; i < ha->bindings.cap; i++) {
        struct mip6_binding *b = ha->bindings.slots[i].value;
        if (b && advertise_unsolicited(ha, b->hoa))
            advertised++;
    }
    return advertised;
}

void
mip6_mpd_ha_init(struct mip6_ha *ha)
{
    ha->mpd.valid_lifetime_s = MIP6_MPD_DEFAULT_VALID_S;
    ha->mpd.preferred_lifetime_s = MIP6_MPD_DEFAULT_PREFERRED_S;
    addrmap_init(&ha->mpd.peers);
}

void
mip6_mpd_ha_free(struct mip6_ha *ha)
{
    for (size_t i = 0; i < ha->mpd.peers.cap; i++) {
        struct mpd_peer *p = ha->mpd.peers.slots[i].value;
        if (p) {
            mip6_timer_release(&p->send_timer);
            mip6_timer_release(&p->retry_timer);
            free(p);
        }
    }
    addrmap_free(&ha->mpd.peers);
}
