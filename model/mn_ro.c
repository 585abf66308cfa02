/*
 * mn_ro.c - the mobile node's side of route optimization: return
 * routability (RFC 6275 §5.2, §11.6), the correspondent registration
 * with Binding Authorization Data (§11.7.2), and traffic sent and
 * received directly with the Home Address option and the type 2 routing
 * header (§11.3.1, §11.3.3).
 *
 * HoTI and HoT travel through the home agent's tunnel, CoTI and CoT
 * directly, as RFC 3776 §3.2 lays out.
 */
#include <stdio.h>
#include <string.h>

#include "mn.h"
#include "rr.h"
#include "sim.h"

#define NS_PER_S 1000000000ull

/* RFC 6275 §12: the HoTI/CoTI back-off follows the BU's. */
#define INITIAL_RETRY_NS (1 * NS_PER_S)
#define MAX_RETRY_NS (32 * NS_PER_S)

static void
record(struct mip6_mn *mn, enum rec_mob kind, const struct mip6_mn_cn *c, int64_t value,
       int64_t value2)
{
    rec_mobility(mn->node.rec, sim_now_ns(), mn->node.id, mn->cfg.ifindex, kind, c->address, value,
                 value2);
}

static uint64_t
random_cookie(struct mip6_mn *mn)
{
    return (uint64_t)sim_random_u32(mn->node.id) << 32 | sim_random_u32(mn->node.id);
}

/* The earliest time at which c may get one more message of this kind. */
static uint64_t
rate_allows_at(const struct mip6_mn_cn *c, enum mip6_rate_kind kind)
{
    if (c->rate_count[kind] < MIP6_MAX_UPDATE_RATE)
        return 0;
    /* A fourth message must leave at least 1 s after the oldest of the last three. */
    return c->rate_sent_ns[kind][c->rate_next[kind]] + NS_PER_S;
}

static void
rate_note(struct mip6_mn_cn *c, enum mip6_rate_kind kind)
{
    c->rate_sent_ns[kind][c->rate_next[kind]] = sim_now_ns();
    c->rate_next[kind] = (uint8_t)((c->rate_next[kind] + 1) % MIP6_MAX_UPDATE_RATE);
    if (c->rate_count[kind] < MIP6_MAX_UPDATE_RATE)
        c->rate_count[kind]++;
}

struct mip6_mn_cn *
mip6_mn_ro_find(struct mip6_mn *mn, const uint8_t address[16])
{
    for (size_t i = 0; i < mn->n_correspondents; i++)
        if (memcmp(mn->correspondents[i].address, address, 16) == 0)
            return &mn->correspondents[i];
    return NULL;
}

/* Send the HoTI from the home address through the reverse tunnel. */
static void
send_hoti(struct mip6_mn *mn, struct mip6_mn_cn *c)
{
    uint8_t pkt[128];
    struct wr w = wr_init(pkt, sizeof pkt);
    struct mh_msg msg = {.type = MH_HOTI};
    struct ip6_header h = {.next_header = IP6_NH_MOBILITY, .hop_limit = 64};

    /* RFC 6275 §5.2.1: a fresh cookie for every HoTI, retransmissions too. */
    c->home_cookie = random_cookie(mn);
    msg.test_init.cookie = c->home_cookie;
    memcpy(h.src, mn->cfg.home_address, 16);
    memcpy(h.dst, c->address, 16);
    h.payload_len = 16; /* HoTI without options, RFC 6275 §6.1.3 */
    ip6_write_header(&w, &h);
    if (mh_encode(&w, &msg, h.src, h.dst) != MH_OK || w.pos != IP6_HEADER_LEN + h.payload_len)
        return;
    /* At home the HoTI needs no tunnel: the home address is on the link. */
    if (c->deregistering)
        sim_ipv6_send(mn->node.id, mn->cfg.ifindex, h.src, h.dst, IP6_NH_MOBILITY,
                      pkt + IP6_HEADER_LEN, h.payload_len, NULL);
    else
        mip6_mn_tunnel_send(mn, pkt, w.pos, 0);
    rate_note(c, MIP6_RATE_HOTI);
    record(mn, REC_MOB_HOTI_SENT, c, (int64_t)(uint32_t)c->home_cookie, 0);
}

/* Send the CoTI from the care-of address, directly. */
static void
send_coti(struct mip6_mn *mn, struct mip6_mn_cn *c)
{
    uint8_t mh[64];
    struct wr w = wr_init(mh, sizeof mh);
    struct mh_msg msg = {.type = MH_COTI};

    c->care_of_cookie = random_cookie(mn);
    msg.test_init.cookie = c->care_of_cookie;
    if (mh_encode(&w, &msg, mn->coa, c->address) != MH_OK)
        return;
    rate_note(c, MIP6_RATE_COTI);
    if (sim_ipv6_send(mn->node.id, mn->cfg.ifindex, mn->coa, c->address, IP6_NH_MOBILITY, mh, w.pos,
                      NULL) == SIM_OK)
        record(mn, REC_MOB_COTI_SENT, c, (int64_t)(uint32_t)c->care_of_cookie, 0);
}

/* Send the BU with Nonce Indices and Binding Authorization Data (§11.7.2). */
static void
send_bu(struct mip6_mn *mn, struct mip6_mn_cn *c)
{
    uint8_t mh[96], payload[160];
    struct wr w = wr_init(mh, sizeof mh);
    struct mh_msg msg = {.type = MH_BU};
    size_t auth_offset = 0;
    uint32_t lifetime_s = mn->cfg.lifetime_s;

    /* RFC 6275 §5.2.6: a correspondent binding lasts at most
     * MAX_RR_BINDING_LIFETIME. */
    if (lifetime_s > RR_MAX_BINDING_LIFETIME_S)
        lifetime_s = RR_MAX_BINDING_LIFETIME_S;
    c->seq++;
    msg.bu.seq = c->seq;
    msg.bu.flags = MH_BU_FLAG_A;
    msg.bu.lifetime = (uint16_t)(lifetime_s / 4);
    msg.bu.has_nonce_indices = true;
    msg.bu.home_nonce_index = c->home_nonce_index;
    msg.bu.coa_nonce_index = c->care_of_nonce_index;
    if (mh_encode_auth(&w, &msg, RR_AUTH_LEN, &auth_offset) != MH_OK)
        return;

    /* RFC 6275 §5.2.5: Kbm = SHA1(home keygen token | care-of keygen token). */
    if (!rr_kbm(c->home_token, c->care_of_token, c->kbm) ||
        !rr_authenticator(c->kbm, mn->coa, c->address, mh, w.pos, auth_offset, mh + auth_offset))
        return;
    mh_set_checksum(mh, w.pos, mn->cfg.home_address, c->address);

    struct wr pw = wr_init(payload, sizeof payload);
    ip6_write_dest_opts_hao(&pw, IP6_NH_MOBILITY, mn->cfg.home_address);
    wr_bytes(&pw, mh, w.pos);
    if (!wr_ok(&pw))
        return;
    memcpy(c->coa, mn->coa, 16);
    c->bu_outstanding = true;
    rate_note(c, MIP6_RATE_BU);
    if (sim_ipv6_send(mn->node.id, mn->cfg.ifindex, mn->coa, c->address, IP6_NH_DEST_OPTS, payload,
                      pw.pos, NULL) == SIM_OK)
        record(mn, REC_MOB_CN_BU_SENT, c, c->seq, msg.bu.lifetime);
}

/*
 * Send the BU that deletes the correspondent's binding from home (RFC 6275
 * §11.6.1, §5.2.5): lifetime 0 from the home address, no Home Address
 * option, Kbm = SHA1(home keygen token) and the home address in place of
 * the care-of address in the authenticator.
 */
static void
send_deregistration(struct mip6_mn *mn, struct mip6_mn_cn *c)
{
    uint8_t mh[96];
    struct wr w = wr_init(mh, sizeof mh);
    struct mh_msg msg = {.type = MH_BU};
    size_t auth_offset = 0;
    const uint8_t *hoa = mn->cfg.home_address;

    c->seq++;
    msg.bu.seq = c->seq;
    msg.bu.flags = MH_BU_FLAG_A;
    msg.bu.has_nonce_indices = true;
    msg.bu.home_nonce_index = c->home_nonce_index;
    if (mh_encode_auth(&w, &msg, RR_AUTH_LEN, &auth_offset) != MH_OK ||
        !rr_kbm(c->home_token, NULL, c->kbm) ||
        !rr_authenticator(c->kbm, hoa, c->address, mh, w.pos, auth_offset, mh + auth_offset))
        return;
    mh_set_checksum(mh, w.pos, hoa, c->address);
    memcpy(c->coa, hoa, 16);
    c->bu_outstanding = true;
    rate_note(c, MIP6_RATE_BU);
    if (sim_ipv6_send(mn->node.id, mn->cfg.ifindex, hoa, c->address, IP6_NH_MOBILITY, mh, w.pos,
                      NULL) == SIM_OK)
        record(mn, REC_MOB_CN_BU_SENT, c, c->seq, 0);
}

/*
 * RFC 6275 §11.8: the mobile node MUST NOT send Mobility Header messages of
 * one type to one correspondent more than MAX_UPDATE_RATE times a second.
 * Hold the messages that advance would send until the limit allows all of
 * them, and return true when they must wait.
 */
static bool
rate_limited(struct mip6_mn *mn, struct mip6_mn_cn *c)
{
    uint64_t at = 0;
    if (c->deregistering) {
        at = rate_allows_at(c, c->have_home_token ? MIP6_RATE_BU : MIP6_RATE_HOTI);
    } else if (c->have_home_token && c->have_care_of_token) {
        at = rate_allows_at(c, MIP6_RATE_BU);
    } else {
        if (!c->have_home_token)
            at = rate_allows_at(c, MIP6_RATE_HOTI);
        if (!c->have_care_of_token && rate_allows_at(c, MIP6_RATE_COTI) > at)
            at = rate_allows_at(c, MIP6_RATE_COTI);
    }
    uint64_t now = sim_now_ns();
    if (at <= now)
        return false;
    mip6_timer_stop(&c->retry);
    mip6_timer_start(&c->rate, at - now);
    record(mn, REC_MOB_RATE_LIMITED, c, (int64_t)((at - now) / 1000000), 0);
    return true;
}

/* Send what is still missing: HoTI, CoTI, or the BU once both tokens are in. */
static void
advance(struct mip6_mn *mn, struct mip6_mn_cn *c)
{
    if (rate_limited(mn, c))
        return;
    if (c->deregistering) {
        if (c->have_home_token)
            send_deregistration(mn, c);
        else
            send_hoti(mn, c);
    } else if (c->have_home_token && c->have_care_of_token) {
        send_bu(mn, c);
    } else {
        if (!c->have_home_token)
            send_hoti(mn, c);
        if (!c->have_care_of_token)
            send_coti(mn, c);
    }
    mip6_timer_start(&c->retry, c->retry_ns);
}

/* The rate limit lets the held-back messages go. */
static void
rate_ready(void *owner)
{
    struct mip6_mn_cn *c = owner;

    if (c->mn->state != MN_REGISTERED && !c->deregistering)
        return;
    advance(c->mn, c);
}

static void
retry(void *owner)
{
    struct mip6_mn_cn *c = owner;

    /* A retry still armed means a test message or BU is unanswered. */
    if (c->mn->state != MN_REGISTERED && !c->deregistering)
        return;
    /* RFC 6275 §11.8: double the timeout up to MAX_BINDACK_TIMEOUT. */
    c->retry_ns = c->retry_ns * 2 > MAX_RETRY_NS ? MAX_RETRY_NS : c->retry_ns * 2;
    advance(c->mn, c);
}

static void
restart(struct mip6_mn *mn, struct mip6_mn_cn *c)
{
    /* RFC 6275 §5.2.7: a keygen token may be used for MAX_TOKEN_LIFETIME
     * after its test message arrived.  The home token does not depend on
     * the care-of address, so with reuse_home_token a move needs only a
     * new CoTI while it is fresh.  The care-of token is tied to the address
     * it was sent to. */
    uint64_t max_age = (uint64_t)RR_MAX_TOKEN_LIFETIME_S * NS_PER_S;
    if (!mn->cfg.reuse_home_token || sim_now_ns() - c->home_token_ns >= max_age)
        c->have_home_token = false;
    c->have_care_of_token = false;
    c->bu_outstanding = false;
    c->retry_ns = INITIAL_RETRY_NS;
    advance(mn, c);
}

void
mip6_mn_ro_start(struct mip6_mn *mn)
{
    for (size_t i = 0; i < mn->n_correspondents; i++)
        restart(mn, &mn->correspondents[i]);
}

void
mip6_mn_ro_stop(struct mip6_mn *mn)
{
    /* NOTE: the correspondent keeps its binding to the old care-of address
     * until the new BU arrives or the lifetime ends.  Packets it sends
     * meanwhile are lost, as in a real network. */
    for (size_t i = 0; i < mn->n_correspondents; i++) {
        struct mip6_mn_cn *c = &mn->correspondents[i];
        c->bound = false;
        c->bu_outstanding = false;
        mip6_timer_stop(&c->retry);
        mip6_timer_stop(&c->refresh);
        mip6_timer_stop(&c->rate);
    }
}

void
mip6_mn_ro_home(struct mip6_mn *mn)
{
    for (size_t i = 0; i < mn->n_correspondents; i++) {
        struct mip6_mn_cn *c = &mn->correspondents[i];
        if (!c->registered)
            continue;
        c->registered = false;
        c->deregistering = true;
        c->have_home_token = false;
        c->bu_outstanding = false;
        c->retry_ns = INITIAL_RETRY_NS;
        advance(mn, c);
    }
}

static void
receive_ba(struct mip6_mn *mn, uint32_t ifindex, const uint8_t *pkt, size_t len, uint64_t uid,
           struct mip6_mn_cn *c, const struct mip6_in *in, const struct mh_msg *msg)
{
    uint8_t expected[RR_AUTH_LEN];

    record(mn, REC_MOB_CN_BA_RECEIVED, c, msg->ba.status, msg->ba.seq);
    if (!c->bu_outstanding || msg->ba.seq != c->seq) {
        mip6_record_drop(&mn->node, ifindex, pkt, len, uid, REC_DROP_BA_UNEXPECTED);
        return;
    }
    /* RFC 6275 §11.7.3: statuses 136-138 carry no authenticator; they ask
     * for fresh nonces, so return routability runs again. */
    if (msg->ba.status >= MH_BA_EXPIRED_HOME_NONCE && msg->ba.status <= MH_BA_EXPIRED_NONCES) {
        restart(mn, c);
        return;
    }
    /* RFC 6275 §6.1.8: the BA's authenticator, under the same Kbm. */
    if (!msg->has_auth_data || msg->auth_len != RR_AUTH_LEN ||
        !rr_authenticator(c->kbm, c->coa, c->address, in->msg, msg->len, msg->auth_offset,
                          expected) ||
        !rr_authenticator_equal(expected, in->msg + msg->auth_offset)) {
        mip6_record_drop(&mn->node, ifindex, pkt, len, uid, REC_DROP_RR_AUTH_FAILED);
        return;
    }
    c->bu_outstanding = false;
    mip6_timer_stop(&c->retry);
    if (c->deregistering) {
        c->deregistering = false;
        return;
    }
    if (msg->ba.status >= 128 || memcmp(c->coa, mn->coa, 16) != 0)
        return;
    c->bound = true;
    c->registered = true;

    /* RFC 6275 §11.7.2: renew the binding before it expires.  This model
     * refreshes at 90% of the granted lifetime, running return routability
     * again for whatever tokens have aged out. */
    uint64_t refresh_ns = (uint64_t)msg->ba.lifetime * 4 * NS_PER_S / 10 * 9;
    if (refresh_ns > 0)
        mip6_timer_start(&c->refresh, refresh_ns);
}

static void
refresh(void *owner)
{
    struct mip6_mn_cn *c = owner;

    if (c->bound && c->mn->state == MN_REGISTERED)
        restart(c->mn, c);
}

void
mip6_mn_ro_receive(struct mip6_mn *mn, uint32_t ifindex, const uint8_t *pkt, size_t len,
                   uint64_t uid, const struct mip6_in *in, const struct mh_msg *msg)
{
    struct mip6_mn_cn *c = mip6_mn_ro_find(mn, in->src);

    if (!c || (mn->state != MN_REGISTERED && !c->deregistering)) {
        mip6_record_drop(&mn->node, ifindex, pkt, len, uid, REC_DROP_MH_INVALID);
        return;
    }
    switch (msg->type) {
    case MH_HOT:
        /* RFC 6275 §11.6.2: the cookie must match the last HoTI's. */
        if (msg->test.cookie != c->home_cookie || c->have_home_token)
            break;
        c->have_home_token = true;
        c->home_token_ns = sim_now_ns();
        c->home_nonce_index = msg->test.nonce_index;
        rr_token_from_u64(c->home_token, msg->test.keygen_token);
        record(mn, REC_MOB_HOT_RECEIVED, c, msg->test.nonce_index, 0);
        if (c->have_care_of_token || c->deregistering)
            advance(mn, c);
        return;
    case MH_COT:
        if (msg->test.cookie != c->care_of_cookie || c->have_care_of_token)
            break;
        c->have_care_of_token = true;
        c->care_of_nonce_index = msg->test.nonce_index;
        rr_token_from_u64(c->care_of_token, msg->test.keygen_token);
        record(mn, REC_MOB_COT_RECEIVED, c, msg->test.nonce_index, 0);
        if (c->have_home_token)
            advance(mn, c);
        return;
    case MH_BA:
        receive_ba(mn, ifindex, pkt, len, uid, c, in, msg);
        return;
    case MH_BRR:
        /* RFC 6275 §11.7.4: a refresh request triggers a new registration. */
        restart(mn, c);
        return;
    default:
        break;
    }
    mip6_record_drop(&mn->node, ifindex, pkt, len, uid, REC_DROP_MH_INVALID);
}

bool
mip6_mn_ro_send(struct mip6_mn *mn, const uint8_t *pkt, size_t len)
{
    uint8_t payload[MIP6_MAX_PACKET];
    struct ip6_packet p;

    if (ip6_parse(pkt, len, &p) != IP6_OK)
        return false;
    struct mip6_mn_cn *c = mip6_mn_ro_find(mn, p.hdr.dst);
    if (!c || !c->bound || memcmp(c->coa, mn->coa, 16) != 0)
        return false;

    /* RFC 6275 §11.3.1: source = care-of address, the home address in a
     * Home Address option in front of the upper layer.  The upper-layer
     * checksum stays valid because the stack computed it over the home
     * address, which the correspondent swaps back. */
    struct wr w = wr_init(payload, sizeof payload);
    ip6_write_dest_opts_hao(&w, p.hdr.next_header, mn->cfg.home_address);
    wr_bytes(&w, pkt + IP6_HEADER_LEN, p.hdr.payload_len);
    if (!wr_ok(&w))
        return false;
    return sim_ipv6_send(mn->node.id, mn->cfg.ifindex, mn->coa, c->address, IP6_NH_DEST_OPTS,
                         payload, w.pos, NULL) == SIM_OK;
}

void
mip6_mn_ro_deliver(struct mip6_mn *mn, uint32_t ifindex, const uint8_t *pkt, size_t len,
                   uint64_t uid, const struct ip6_packet *p)
{
    uint8_t out[MIP6_MAX_PACKET];
    size_t after = p->rh2_offset + IP6_RH2_LEN;

    /* RFC 6275 §11.3.3: the routing header must carry our home address and
     * come straight after the fixed header in this model's packets. */
    if (memcmp(p->rh2_addr, mn->cfg.home_address, 16) != 0 || p->rh2_offset != IP6_HEADER_LEN ||
        after > len || len - after + IP6_HEADER_LEN > sizeof out) {
        mip6_record_drop(&mn->node, ifindex, pkt, len, uid, REC_DROP_RH2_INVALID);
        return;
    }
    rec_packet(mn->node.rec, sim_now_ns(), mn->node.id, ifindex, REC_RECEIVE, pkt,
               len < 256 ? len : 256, len, uid, 0, REC_DROP_NONE);

    /* Swap: the home address becomes the destination, the routing header goes. */
    struct wr w = wr_init(out, sizeof out);
    struct ip6_header h = p->hdr;
    h.next_header = pkt[p->rh2_offset];
    h.payload_len = len - after;
    memcpy(h.dst, mn->cfg.home_address, 16);
    ip6_write_header(&w, &h);
    wr_bytes(&w, pkt + after, len - after);
    sim_tunnel_receive(mn->node.id, mn->tunnel_ifindex, out, w.pos, NULL);
}

int
mip6_mn_route_optimize(struct mip6_mn *mn, const uint8_t correspondent[16], char *err,
                       size_t err_len)
{
    if (!ip6_addr_is_unicast_routable(correspondent)) {
        snprintf(err, err_len, "correspondent address is not a global unicast address");
        return -1;
    }
    if (mip6_mn_ro_find(mn, correspondent))
        return 0;
    if (mn->n_correspondents == MIP6_MN_MAX_CORRESPONDENTS) {
        snprintf(err, err_len,
                 "mobile node %u already optimizes routes with %d correspondents, "
                 "the most this model supports",
                 mn->node.id, MIP6_MN_MAX_CORRESPONDENTS);
        return -1;
    }
    struct mip6_mn_cn *c = &mn->correspondents[mn->n_correspondents++];
    memset(c, 0, sizeof *c);
    memcpy(c->address, correspondent, 16);
    c->mn = mn;
    c->seq = (uint16_t)sim_random_u32(mn->node.id);
    mip6_timer_init(&c->retry, mn->node.id, retry, c);
    mip6_timer_init(&c->refresh, mn->node.id, refresh, c);
    mip6_timer_init(&c->rate, mn->node.id, rate_ready, c);
    return 0;
}
