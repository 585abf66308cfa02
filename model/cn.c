/*
 * cn.c - the correspondent node: replies to Home and Care-of Test Init
 * (RFC 6275 §9.4), correspondent registrations authorized by return routability
 * (§9.5), route optimization with the type 2 routing header and the Home
 * Address option (§9.3), and Binding Refresh Requests (§9.5.5).
 *
 * The node has no IPsec for mobile nodes: its signalling goes out in
 * clear through mip6_send_signal with an empty security policy database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cn.h"
#include "cursor.h"
#include "mh.h"
#include "sim.h"

#define NS_PER_S 1000000000ull

/* Maximum size of a message the node sends; the largest, a BA with
 * Binding Authorization Data, is 32 bytes. */
#define MH_OUT_MAX 64

/* NOTE: RFC 6275 §9.5.5 leaves open when to send a Binding Refresh
 * Request.  This model sends one at 90% of the granted lifetime, which
 * leaves 42 s of a 420 s binding for the return routability procedure. */
#define REFRESH_PERCENT 90

void
mip6_cn_config_default(struct mip6_cn_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
}

static void
record_mobility(struct mip6_cn *cn, enum rec_mob kind, const uint8_t *addr, int64_t value,
                int64_t value2)
{
    rec_mobility(cn->node.rec, sim_now_ns(), cn->node.id, cn->cfg.ifindex, kind, addr, value,
                 value2);
}

static struct mip6_cn_binding *
active_binding(const struct mip6_cn *cn, const uint8_t hoa[16])
{
    struct mip6_cn_binding *b = addrmap_get(&cn->bindings, hoa);
    return b && b->active ? b : NULL;
}

const struct mip6_cn_binding *
mip6_cn_binding(const struct mip6_cn *cn, const uint8_t hoa[16])
{
    return active_binding(cn, hoa);
}

/*
 * Send a Mobility Header message from the node's address.  With
 * care_of_dst it goes there with a type 2 routing header containing dst.
 * Returns whether the simulator took it; a failure is already recorded.
 */
static bool
send_mh(struct mip6_cn *cn, const uint8_t dst[16], const uint8_t *care_of_dst, const uint8_t *msg,
        size_t len)
{
    /* RFC 6275 §6.1: Mobility Header messages bypass the Binding Cache,
     * so they leave on the configured interface, never the tunnel. */
    struct mip6_out out = {
        .src = cn->cfg.address,
        .dst = dst,
        .care_of_dst = care_of_dst,
        .proto = IP6_NH_MOBILITY,
        .msg = msg,
        .msg_len = len,
        .ifindex = cn->cfg.ifindex,
    };
    return mip6_send_signal(&cn->node, &out) == REC_DROP_NONE;
}

/* Send a Binding Error (RFC 6275 §9.3.3) to the source of an offending packet. */
static void
send_be(struct mip6_cn *cn, const uint8_t dst[16], uint8_t status, const uint8_t *hoa)
{
    uint8_t msg[MH_OUT_MAX];
    struct wr w = wr_init(msg, sizeof msg);
    struct mh_msg be = {.type = MH_BE};

    /* RFC 6275 §9.3.3: no Binding Error to a source that is not unicast.
     * Link-local and loopback sources get none either. */
    if (!ip6_addr_is_unicast_routable(dst))
        return;
    /* NOTE: RFC 6275 §9.3.3 recommends a rate limit on Binding Errors, but
     * this model sends one per offending packet. */
    be.be.status = status;
    if (hoa)
        memcpy(be.be.home, hoa, 16);
    if (mh_encode(&w, &be, cn->cfg.address, dst) != MH_OK)
        return;
    if (send_mh(cn, dst, NULL, msg, w.pos))
        record_mobility(cn, REC_MOB_BE_SENT, dst, status, 0);
}

/* ----- bindings ----- */

static void
route_host(struct mip6_cn *cn, const uint8_t hoa[16], bool add)
{
    /* RFC 6275 §9.3.2: the host route sends what the node's applications
     * address to the home address into the tunnel interface, whose
     * transmit callback applies the binding. */
    if (add)
        sim_route_add(cn->node.id, hoa, 128, cn->tunnel_ifindex, NULL, 0);
    else
        sim_route_remove(cn->node.id, hoa, 128, cn->tunnel_ifindex);
}

static void
delete_binding(struct mip6_cn_binding *b, bool expired)
{
    struct mip6_cn *cn = b->cn;

    mip6_timer_stop(&b->expiry);
    mip6_timer_stop(&b->refresh);
    route_host(cn, b->hoa, false);
    b->active = false;
    record_mobility(cn, REC_MOB_CN_BINDING_DELETE, b->hoa, b->last_seq, expired);
}

static void
binding_expired(void *owner)
{
    delete_binding(owner, true);
}

/* Send a Binding Refresh Request for a binding in use (RFC 6275 §9.5.5). */
static void
refresh_due(void *owner)
{
    struct mip6_cn_binding *b = owner;
    struct mip6_cn *cn = b->cn;
    uint8_t msg[MH_OUT_MAX];
    struct wr w = wr_init(msg, sizeof msg);
    struct mh_msg brr = {.type = MH_BRR};

    if (!b->active || !b->used)
        return;
    /* RFC 6275 §6.1: to the home address and without a type 2 routing
     * header, so it reaches the mobile node through its home agent. */
    if (mh_encode(&w, &brr, cn->cfg.address, b->hoa) != MH_OK)
        return;
    if (send_mh(cn, b->hoa, NULL, msg, w.pos))
        record_mobility(cn, REC_MOB_BRR_SENT, b->hoa, b->last_seq, 0);
}

/*
 * Create or refresh the binding hoa -> coa.  Returns NULL when memory
 * runs out.
 */
static struct mip6_cn_binding *
store_binding(struct mip6_cn *cn, const uint8_t hoa[16], const uint8_t coa[16], uint16_t seq,
              uint32_t lifetime_s)
{
    struct mip6_cn_binding *b = addrmap_get(&cn->bindings, hoa);

    if (!b) {
        b = calloc(1, sizeof *b);
        if (!b || !addrmap_put(&cn->bindings, hoa, b)) {
            free(b);
            return NULL;
        }
        memcpy(b->hoa, hoa, 16);
        b->cn = cn;
        mip6_timer_init(&b->expiry, cn->node.id, binding_expired, b);
        mip6_timer_init(&b->refresh, cn->node.id, refresh_due, b);
    }

    bool existed = b->active;
    if (!existed)
        route_host(cn, hoa, true);
    b->active = true;
    memcpy(b->coa, coa, 16);
    b->last_seq = seq;
    b->lifetime_s = lifetime_s;
    b->used = false;
    mip6_timer_start(&b->expiry, (uint64_t)lifetime_s * NS_PER_S);
    mip6_timer_start(&b->refresh, (uint64_t)lifetime_s * NS_PER_S / 100 * REFRESH_PERCENT);
    record_mobility(cn, existed ? REC_MOB_CN_BINDING_UPDATE : REC_MOB_CN_BINDING_ADD, coa, seq,
                    lifetime_s);
    return b;
}

/* ----- return routability: HoTI and CoTI ----- */

/* The nonce for a HoT or CoT now; a new one every RR_NONCE_INTERVAL_S. */
static const struct rr_nonce *
current_nonce(struct mip6_cn *cn)
{
    const struct rr_nonce *n = rr_nonce_current(&cn->nonces, sim_now_ns());
    uint8_t value[RR_NONCE_LEN];

    if (n)
        return n;
    for (size_t i = 0; i < RR_NONCE_LEN; i += 4) {
        uint32_t r = sim_random_u32(cn->node.id);
        value[i] = (uint8_t)(r >> 24);
        value[i + 1] = (uint8_t)(r >> 16);
        value[i + 2] = (uint8_t)(r >> 8);
        value[i + 3] = (uint8_t)r;
    }
    return rr_nonce_add(&cn->nonces, sim_now_ns(), value);
}

/* Reply to a HoTI with a HoT or to a CoTI with a CoT (RFC 6275 §9.4.1-§9.4.4). */
static void
answer_test_init(struct mip6_cn *cn, uint32_t ifindex, const uint8_t *pkt, size_t len, uint64_t uid,
                 const struct ip6_packet *p, const struct mh_msg *init)
{
    bool home = init->type == MH_HOTI;
    /* The home address of a HoTI, the care-of address of a CoTI. */
    const uint8_t *peer = p->hdr.src;
    uint8_t token[RR_TOKEN_LEN];
    uint8_t msg[MH_OUT_MAX];
    struct wr w = wr_init(msg, sizeof msg);

    record_mobility(cn, home ? REC_MOB_HOTI_RECEIVED : REC_MOB_COTI_RECEIVED, peer, 0, 0);

    /* RFC 6275 §9.4.1, §9.4.2: a HoTI or CoTI with a Home Address option
     * is silently ignored. */
    if (p->has_hao) {
        mip6_record_drop(&cn->node, ifindex, pkt, len, uid, REC_DROP_HAO_INVALID);
        return;
    }
    if (!ip6_addr_is_unicast_routable(peer)) {
        mip6_record_drop(&cn->node, ifindex, pkt, len, uid, REC_DROP_MH_INVALID);
        return;
    }
    /* NOTE: RFC 6275 §9.4 lets a correspondent node limit its reply rate,
     * but this model replies to every HoTI and CoTI. */

    /* RFC 6275 §5.2.5: the token binds the address the test went to. */
    const struct rr_nonce *nonce = current_nonce(cn);
    if (!rr_keygen_token(cn->kcn, peer, nonce->value, home ? RR_HOME_TOKEN : RR_CARE_OF_TOKEN,
                         token)) {
        mip6_record_drop(&cn->node, ifindex, pkt, len, uid, REC_DROP_CRYPTO_FAILED);
        return;
    }

    /* RFC 6275 §9.4.3, §9.4.4: nonce index, the init cookie copied, token. */
    struct mh_msg reply = {.type = home ? MH_HOT : MH_COT};
    reply.test.nonce_index = nonce->index;
    reply.test.cookie = init->test_init.cookie;
    reply.test.keygen_token = rr_token_to_u64(token);
    if (mh_encode(&w, &reply, cn->cfg.address, peer) != MH_OK)
        return;
    if (send_mh(cn, peer, NULL, msg, w.pos))
        record_mobility(cn, home ? REC_MOB_HOT_SENT : REC_MOB_COT_SENT, peer, nonce->index, 0);
}

/* ----- correspondent registration ----- */

/* A received Binding Update with the addresses RFC 6275 §9.5.1 uses. */
struct bu_in {
    uint32_t ifindex;
    const uint8_t *pkt;
    size_t len;
    uint64_t uid;

    const uint8_t *src; /* IPv6 source: where the BA goes */
    const uint8_t *hoa; /* from the Home Address option, else the source */
    const uint8_t *coa; /* to register: the Alternate Care-of Address, else the source */
    bool has_hao;
    bool deletion;
    const struct mh_bu *bu;
    const struct mh_msg *msg;
    const uint8_t *mh; /* the encoded message */
};

/* The care-of address in the authenticator: the home address for a
 * deletion (RFC 6275 §6.2.7). */
static const uint8_t *
auth_coa(const struct bu_in *in)
{
    return in->deletion ? in->hoa : in->coa;
}

/*
 * Send the BA for a BU (RFC 6275 §9.5.4).  kbm NULL leaves out the
 * Binding Authorization Data, which statuses 136-138 require and which
 * the node cannot compute for a home registration.
 */
static void
send_ba(struct mip6_cn *cn, const struct bu_in *in, const uint8_t *kbm, uint8_t status,
        uint16_t seq, uint16_t lifetime)
{
    uint8_t msg[MH_OUT_MAX];
    struct wr w = wr_init(msg, sizeof msg);
    struct mh_msg ba = {.type = MH_BA};
    size_t auth_offset = 0;
    uint8_t auth[RR_AUTH_LEN];

    ba.ba.status = status;
    ba.ba.seq = seq;
    ba.ba.lifetime = lifetime;

    /* The checksum's pseudo-header has the home address, the final
     * destination behind the type 2 routing header. */
    if (!kbm) {
        if (mh_encode(&w, &ba, cn->cfg.address, in->hoa) != MH_OK)
            return;
    } else {
        if (mh_encode_auth(&w, &ba, RR_AUTH_LEN, &auth_offset) != MH_OK)
            return;
        /* RFC 6275 §5.2.6: First(96, HMAC_SHA1(Kbm, care-of address |
         * correspondent | BA)). */
        if (!rr_authenticator(kbm, auth_coa(in), cn->cfg.address, msg, w.pos, auth_offset, auth)) {
            mip6_record_drop(&cn->node, in->ifindex, in->pkt, in->len, in->uid,
                             REC_DROP_CRYPTO_FAILED);
            return;
        }
        memcpy(msg + auth_offset, auth, RR_AUTH_LEN);
        mh_set_checksum(msg, w.pos, cn->cfg.address, in->hoa);
    }

    /* RFC 6275 §9.5.4: to the BU's source; when that is a care-of address,
     * with a type 2 routing header holding the home address. */
    if (send_mh(cn, in->hoa, in->has_hao ? in->src : NULL, msg, w.pos))
        record_mobility(cn, REC_MOB_CN_BA_SENT, in->src, status, seq);
}

/* Reject a BU with a BA that has no Binding Authorization Data. */
static void
reject_bu(struct mip6_cn *cn, const struct bu_in *in, uint8_t status, enum rec_drop reason)
{
    mip6_record_drop(&cn->node, in->ifindex, in->pkt, in->len, in->uid, reason);
    send_ba(cn, in, NULL, status, in->bu->seq, 0);
}

/* RFC 6275 §9.5.1: a BU without unicast routable addresses is discarded
 * silently.  Returns the drop reason or REC_DROP_NONE. */
static enum rec_drop
check_bu_addresses(const struct bu_in *in)
{
    if (!ip6_addr_is_unicast_routable(in->hoa))
        return in->has_hao ? REC_DROP_HAO_INVALID : REC_DROP_MH_INVALID;
    if (!in->deletion && !ip6_addr_is_unicast_routable(in->coa))
        return REC_DROP_MH_INVALID;
    return REC_DROP_NONE;
}

/* RFC 6275 §9.5.1: a correspondent registration carries Nonce Indices and
 * Binding Authorization Data with a 96-bit authenticator, or is discarded
 * silently.  The decoder has checked that the latter is the last option. */
static enum rec_drop
check_bu_options(const struct bu_in *in)
{
    if (!in->bu->has_nonce_indices || !in->msg->has_auth_data || in->msg->auth_len != RR_AUTH_LEN)
        return REC_DROP_MH_INVALID;
    return REC_DROP_NONE;
}

/*
 * Find the nonces the BU's indices name.  Returns MH_BA_ACCEPTED when
 * they are still recognized, else the BA status that names which are not
 * (RFC 6275 §9.5.1).  A deletion uses the home nonce only and ignores the
 * care-of index.
 */
static enum mh_ba_status
find_nonces(const struct mip6_cn *cn, const struct bu_in *in, const struct rr_nonce **home,
            const struct rr_nonce **care_of)
{
    uint64_t now = sim_now_ns();

    *home = rr_nonce_find(&cn->nonces, in->bu->home_nonce_index, now);
    *care_of = in->deletion ? NULL : rr_nonce_find(&cn->nonces, in->bu->coa_nonce_index, now);
    bool care_of_expired = !in->deletion && !*care_of;

    if (!*home && care_of_expired)
        return MH_BA_EXPIRED_NONCES;
    if (!*home)
        return MH_BA_EXPIRED_HOME_NONCE;
    if (care_of_expired)
        return MH_BA_EXPIRED_COA_NONCE;
    return MH_BA_ACCEPTED;
}

/*
 * Regenerate the tokens, derive Kbm and verify the BU's authenticator
 * (RFC 6275 §5.2.6, §9.5.1).  Fills kbm and returns REC_DROP_NONE, or
 * the reason to discard the BU silently.
 */
static enum rec_drop
verify_bu(const struct mip6_cn *cn, const struct bu_in *in, const struct rr_nonce *home,
          const struct rr_nonce *care_of, uint8_t kbm[RR_KBM_LEN])
{
    uint8_t home_token[RR_TOKEN_LEN], care_of_token[RR_TOKEN_LEN];
    uint8_t expected[RR_AUTH_LEN];

    bool ok = rr_keygen_token(cn->kcn, in->hoa, home->value, RR_HOME_TOKEN, home_token);
    if (ok && care_of)
        ok = rr_keygen_token(cn->kcn, in->coa, care_of->value, RR_CARE_OF_TOKEN, care_of_token);
    /* RFC 6275 §5.2.5: a deletion's Kbm comes from the home token alone. */
    ok = ok && rr_kbm(home_token, care_of ? care_of_token : NULL, kbm);
    ok = ok && rr_authenticator(kbm, auth_coa(in), cn->cfg.address, in->mh, in->msg->len,
                                in->msg->auth_offset, expected);
    if (!ok)
        return REC_DROP_CRYPTO_FAILED;

    if (!rr_authenticator_equal(expected, in->mh + in->msg->auth_offset))
        return REC_DROP_RR_AUTH_FAILED;
    return REC_DROP_NONE;
}

/* Act on a BU that passed every check: b is its home address's entry or
 * NULL (RFC 6275 §9.5.2-§9.5.4). */
static void
apply_bu(struct mip6_cn *cn, const struct bu_in *in, struct mip6_cn_binding *b,
         const uint8_t kbm[RR_KBM_LEN])
{
    const struct mh_bu *bu = in->bu;
    uint16_t granted = 0;

    if (in->deletion) {
        /* RFC 6275 §9.5.3: delete the entry, if there is one. */
        if (b)
            delete_binding(b, false);
    } else {
        /* RFC 6275 §5.2.6: a binding that return routability authorized
         * lasts at most MAX_RR_BINDING_LIFETIME. */
        uint32_t lifetime_s = (uint32_t)bu->lifetime * 4;
        if (lifetime_s > RR_MAX_BINDING_LIFETIME_S)
            lifetime_s = RR_MAX_BINDING_LIFETIME_S;
        if (!store_binding(cn, in->hoa, in->coa, bu->seq, lifetime_s)) {
            send_ba(cn, in, kbm, MH_BA_INSUFFICIENT_RESOURCES, bu->seq, 0);
            return;
        }
        granted = (uint16_t)(lifetime_s / 4);
    }

    /* RFC 6275 §9.5.4: an accepted BU gets a BA only when A is set. */
    if (bu->flags & MH_BU_FLAG_A)
        send_ba(cn, in, kbm, MH_BA_ACCEPTED, bu->seq, granted);
}

/* Process a Binding Update sent to this node (RFC 6275 §9.5.1-§9.5.4). */
static void
process_bu(struct mip6_cn *cn, const struct bu_in *in)
{
    const struct mh_bu *bu = in->bu;
    const struct rr_nonce *home, *care_of;
    uint8_t kbm[RR_KBM_LEN];

    record_mobility(cn, REC_MOB_CN_BU_RECEIVED, in->src, bu->seq, bu->lifetime);

    enum rec_drop reason = check_bu_addresses(in);
    if (reason != REC_DROP_NONE) {
        mip6_record_drop(&cn->node, in->ifindex, in->pkt, in->len, in->uid, reason);
        return;
    }
    /* RFC 6275 §10.3.1: a node that is not a home agent rejects a home
     * registration with status 131. */
    if (bu->flags & MH_BU_FLAG_H) {
        reject_bu(cn, in, MH_BA_HOME_REG_NOT_SUPPORTED, REC_DROP_MH_INVALID);
        return;
    }
    reason = check_bu_options(in);
    if (reason != REC_DROP_NONE) {
        mip6_record_drop(&cn->node, in->ifindex, in->pkt, in->len, in->uid, reason);
        return;
    }
    enum mh_ba_status status = find_nonces(cn, in, &home, &care_of);
    if (status != MH_BA_ACCEPTED) {
        reject_bu(cn, in, status, REC_DROP_RR_NONCE_EXPIRED);
        return;
    }
    reason = verify_bu(cn, in, home, care_of, kbm);
    if (reason != REC_DROP_NONE) {
        mip6_record_drop(&cn->node, in->ifindex, in->pkt, in->len, in->uid, reason);
        return;
    }

    /* RFC 6275 §9.5.1: an authenticated BU whose sequence number is not
     * newer than the entry's gets status 135 and the last accepted number.
     * Without an entry any number is accepted. */
    struct mip6_cn_binding *b = active_binding(cn, in->hoa);
    if (b && !mh_seq_newer(bu->seq, b->last_seq)) {
        mip6_record_drop(&cn->node, in->ifindex, in->pkt, in->len, in->uid,
                         REC_DROP_SEQ_OUT_OF_WINDOW);
        send_ba(cn, in, kbm, MH_BA_SEQ_OUT_OF_WINDOW, b->last_seq, 0);
        return;
    }

    apply_bu(cn, in, b, kbm);
}

/* ----- received packets ----- */

/* A Mobility Header message addressed to this node (RFC 6275 §9.2). */
static void
receive_mh(struct mip6_cn *cn, uint32_t ifindex, const uint8_t *pkt, size_t len, uint64_t uid,
           const struct ip6_packet *p)
{
    const uint8_t *mh = pkt + p->upper_offset;
    const uint8_t *hoa = p->has_hao ? p->hao : NULL;
    struct mh_msg msg;

    /* RFC 6275 §6.1: only a BA travels with a type 2 routing header, and
     * this node, not being a mobile node, expects none. */
    if (p->has_rh2) {
        mip6_record_drop(&cn->node, ifindex, pkt, len, uid, REC_DROP_RH2_INVALID);
        return;
    }

    /* RFC 6275 §6.1.1: with a Home Address option the pseudo-header source
     * is the home address. */
    enum mh_status st = mh_decode(mh, p->upper_len, hoa ? hoa : p->hdr.src, p->hdr.dst, &msg);
    if (st == MH_UNKNOWN_TYPE) {
        /* RFC 6275 §9.2: Binding Error status 2 to the packet's source. */
        mip6_record_drop(&cn->node, ifindex, pkt, len, uid, REC_DROP_MH_INVALID);
        send_be(cn, p->hdr.src, MH_BE_UNKNOWN_MH_TYPE, hoa);
        return;
    }
    if (st != MH_OK) {
        /* NOTE: RFC 6275 §9.2 also requires an ICMPv6 Parameter Problem for
         * a bad Payload Proto or Header Len, but this model only records
         * the drop. */
        mip6_record_drop(&cn->node, ifindex, pkt, len, uid,
                         st == MH_BAD_CHECKSUM ? REC_DROP_MH_CHECKSUM : REC_DROP_MH_INVALID);
        return;
    }

    switch (msg.type) {
    case MH_HOTI:
    case MH_COTI:
        answer_test_init(cn, ifindex, pkt, len, uid, p, &msg);
        return;
    case MH_BU: {
        struct bu_in in = {
            .ifindex = ifindex,
            .pkt = pkt,
            .len = len,
            .uid = uid,
            .src = p->hdr.src,
            .hoa = hoa ? hoa : p->hdr.src,
            .coa = msg.bu.has_alt_coa ? msg.bu.alt_coa : p->hdr.src,
            .has_hao = hoa != NULL,
            .bu = &msg.bu,
            .msg = &msg,
            .mh = mh,
        };
        /* RFC 6275 §9.5.1: lifetime zero, or a care-of address equal to
         * the home address, requests deletion of the binding. */
        in.deletion = msg.bu.lifetime == 0 || memcmp(in.coa, in.hoa, 16) == 0;
        process_bu(cn, &in);
        return;
    }
    default:
        /* BRR, HoT, CoT, BA and BE are for mobile nodes. */
        mip6_record_drop(&cn->node, ifindex, pkt, len, uid, REC_DROP_MH_INVALID);
        return;
    }
}

/* Position of the Destination Options header that contains the Home Address option. */
struct hao_header {
    size_t offset;          /* of the header, from the start of the packet */
    size_t len;             /* of the header */
    size_t next_field;      /* offset of the Next Header field that names it */
    uint8_t next_header;    /* what follows it */
    bool only_hao_and_pads; /* no option besides the Home Address option, Pad1 and PadN */
};

static bool
options_only_hao_and_pads(struct rd *opts, size_t base, size_t hao_option)
{
    bool only = true;

    while (rd_left(opts) > 0) {
        size_t at = base + opts->pos;
        uint8_t type = rd_u8(opts);
        if (type == IP6_OPT_PAD1)
            continue;
        rd_skip(opts, rd_u8(opts));
        if (type != IP6_OPT_PADN && at != hao_option)
            only = false;
    }
    return only;
}

/* Walk the extension headers of a parsed packet to the one with the HAO. */
static bool
find_hao_header(const uint8_t *pkt, const struct ip6_packet *p, struct hao_header *h)
{
    struct rd r = rd_init(pkt, IP6_HEADER_LEN + p->hdr.payload_len);
    size_t hao_option = p->hao_offset - 2; /* its type and length bytes */
    uint8_t nh = p->hdr.next_header;
    size_t next_field = 6; /* Next Header of the fixed header */

    rd_skip(&r, IP6_HEADER_LEN);
    while (nh == IP6_NH_HOP_BY_HOP || nh == IP6_NH_ROUTING || nh == IP6_NH_FRAGMENT ||
           nh == IP6_NH_DEST_OPTS) {
        size_t start = r.pos;
        uint8_t next = rd_u8(&r);
        uint8_t ext_len = rd_u8(&r);
        /* RFC 8200 §4.5: the Fragment header is 8 bytes, without a length field. */
        size_t hlen = nh == IP6_NH_FRAGMENT ? 8 : ((size_t)ext_len + 1) * 8;
        struct rd opts = rd_sub(&r, hlen - 2);
        if (!rd_ok(&r))
            return false;

        if (nh == IP6_NH_DEST_OPTS && start < hao_option && hao_option < start + hlen) {
            h->offset = start;
            h->len = hlen;
            h->next_field = next_field;
            h->next_header = next;
            h->only_hao_and_pads = options_only_hao_and_pads(&opts, start + 2, hao_option);
            return rd_ok(&opts);
        }
        next_field = start;
        nh = next;
    }
    return false;
}

/*
 * Write the packet as its sender's upper layer built it: source = home
 * address, and no Home Address option (RFC 6275 §9.3.1).  A Destination
 * Options header that held nothing else is removed; otherwise the option
 * becomes a PadN of the same size.  Returns the new length.
 */
static size_t
to_home_form(const uint8_t *pkt, const struct ip6_packet *p, const struct hao_header *h,
             uint8_t *out)
{
    size_t total = IP6_HEADER_LEN + p->hdr.payload_len;
    size_t hao_option = p->hao_offset - 2;

    if (h->only_hao_and_pads) {
        size_t after = h->offset + h->len;
        memcpy(out, pkt, h->offset);
        memcpy(out + h->offset, pkt + after, total - after);
        out[h->next_field] = h->next_header;
        put_u16(out + 4, (uint16_t)(p->hdr.payload_len - h->len));
        total -= h->len;
    } else {
        memcpy(out, pkt, total);
        out[hao_option] = IP6_OPT_PADN;
        out[hao_option + 1] = IP6_HAO_DATA_LEN;
        memset(out + hao_option + 2, 0, IP6_HAO_DATA_LEN);
    }
    memcpy(out + 8, p->hao, 16);
    return total;
}

/* A packet with a Home Address option that is not a Mobility Header message. */
static void
receive_hao(struct mip6_cn *cn, uint32_t ifindex, const uint8_t *pkt, size_t len, uint64_t uid,
            const struct ip6_packet *p)
{
    struct hao_header h;
    uint8_t home_form[MIP6_MAX_PACKET];

    /* RFC 6275 §6.3: the home address is a unicast routable address. */
    if (!ip6_addr_is_unicast_routable(p->hao) ||
        IP6_HEADER_LEN + p->hdr.payload_len > sizeof home_form) {
        mip6_record_drop(&cn->node, ifindex, pkt, len, uid, REC_DROP_HAO_INVALID);
        return;
    }
    if (!find_hao_header(pkt, p, &h)) {
        mip6_record_drop(&cn->node, ifindex, pkt, len, uid, REC_DROP_MALFORMED);
        return;
    }

    /* RFC 6275 §9.3.1: without a Binding Cache entry for this home address
     * and this source as care-of address, drop the packet and send a
     * Binding Error status 1.  Packets with ESP or AH right after the
     * option are exempt, and so are BUs, which receive_mh takes. */
    struct mip6_cn_binding *b = active_binding(cn, p->hao);
    bool bound = b && memcmp(b->coa, p->hdr.src, 16) == 0;
    bool ipsec = h.next_header == IP6_NH_ESP || h.next_header == IP6_NH_AH;
    if (!bound && !ipsec) {
        mip6_record_drop(&cn->node, ifindex, pkt, len, uid, REC_DROP_NO_BINDING);
        send_be(cn, p->hdr.src, MH_BE_UNKNOWN_BINDING_HAO, p->hao);
        return;
    }

    /* NOTE: the recorder has no event kind for this rewrite, so the
     * delivered packet is not linked to uid. */
    size_t home_len = to_home_form(pkt, p, &h, home_form);
    if (sim_tunnel_receive(cn->node.id, cn->tunnel_ifindex, home_form, home_len, NULL) != SIM_OK) {
        mip6_record_drop(&cn->node, ifindex, pkt, len, uid, REC_DROP_SEND_FAILED);
        return;
    }
    if (bound) {
        b->used = true;
        b->packets_in++;
    }
}

static enum sim_verdict
cn_ingress(void *ctx, uint32_t ifindex, const uint8_t *pkt, size_t len, uint64_t uid)
{
    struct mip6_cn *cn = ctx;
    struct ip6_packet p;

    /* Whatever does not parse is not for this model; ns-3 decides. */
    if (ip6_parse(pkt, len, &p) != IP6_OK)
        return SIM_PASS;
    if (memcmp(p.hdr.dst, cn->cfg.address, 16) != 0)
        return SIM_PASS;

    if (p.upper_proto == IP6_NH_MOBILITY) {
        receive_mh(cn, ifindex, pkt, len, uid, &p);
        return SIM_CONSUMED;
    }
    if (p.has_hao) {
        receive_hao(cn, ifindex, pkt, len, uid, &p);
        return SIM_CONSUMED;
    }
    return SIM_PASS;
}

/* ----- route optimization ----- */

/*
 * Store a new value in a 16-bit ones' complement checksum after 16 bytes
 * it covers changed from old to new (RFC 1624 equation 3).
 */
static void
adjust_checksum(uint8_t *field, const uint8_t old[16], const uint8_t new[16])
{
    uint32_t sum = (uint16_t)~get_u16(field);

    for (int i = 0; i < 16; i += 2) {
        sum += (uint16_t)~get_u16(old + i);
        sum += get_u16(new + i);
    }
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    put_u16(field, (uint16_t) ~(uint16_t)sum);
}

/*
 * Give a packet without a source address the node's address.  ns-3 picks
 * the source from the outgoing interface, and the tunnel interface that
 * route optimization uses has no global address, so an unbound socket
 * sends from "::".  The upper-layer checksum, computed over "::", is
 * adjusted to the new source.
 */
static void
fill_source(struct mip6_cn *cn, uint8_t *pkt, size_t len, const struct ip6_packet *p)
{
    static const uint8_t unspecified[16];
    size_t field = 0;

    if (memcmp(p->hdr.src, unspecified, 16) != 0)
        return;
    if (p->upper_proto == IP6_NH_UDP)
        field = p->upper_offset + 6;
    else if (p->upper_proto == IP6_NH_TCP)
        field = p->upper_offset + 16;
    else if (p->upper_proto == IP6_NH_ICMPV6)
        field = p->upper_offset + 2;
    /* A UDP checksum of zero means none was computed (ns-3's default). */
    if (field && field + 2 <= len && !(p->upper_proto == IP6_NH_UDP && get_u16(pkt + field) == 0)) {
        adjust_checksum(pkt + field, unspecified, cn->cfg.address);
        if (p->upper_proto == IP6_NH_UDP && get_u16(pkt + field) == 0)
            put_u16(pkt + field, 0xffff); /* RFC 8200 §8.1: UDP sends 0 as 0xffff */
    }
    memcpy(pkt + 8, cn->cfg.address, 16);
}

/*
 * Send pkt to the binding's care-of address with a type 2 routing header
 * that contains the home address (RFC 6275 §9.3.2).  The upper-layer
 * checksum stays valid: RFC 8200 §8.1 computes it over the final
 * destination, the home address.
 */
static void
route_optimize(struct mip6_cn *cn, struct mip6_cn_binding *b, const uint8_t *original, size_t len,
               uint64_t uid, const struct ip6_packet *parsed)
{
    uint8_t pkt[MIP6_MAX_PACKET];
    struct ip6_packet fixed = *parsed;
    const struct ip6_packet *p = &fixed;

    if (len > sizeof pkt) {
        mip6_record_drop(&cn->node, cn->tunnel_ifindex, original, len, uid, REC_DROP_MALFORMED);
        return;
    }
    memcpy(pkt, original, len);
    fill_source(cn, pkt, len, parsed);
    memcpy(fixed.hdr.src, pkt + 8, 16);

    uint8_t out[MIP6_MAX_PACKET];
    struct wr w = wr_init(out, sizeof out);
    struct rd r = rd_init(pkt + IP6_HEADER_LEN, p->hdr.payload_len);
    uint8_t first = IP6_NH_ROUTING;
    uint8_t rh2_next = p->hdr.next_header;

    /* RFC 8200 §4.1: a Hop-by-Hop Options header stays first.
     * NOTE: RFC 6275 §6.4 puts the type 2 routing header after any other
     * routing header; this model always inserts it here. */
    if (p->hdr.next_header == IP6_NH_HOP_BY_HOP) {
        rh2_next = rd_u8(&r);
        size_t hbh_len = ((size_t)rd_u8(&r) + 1) * 8;
        rd_skip(&r, hbh_len - 2);
        if (!rd_ok(&r)) {
            mip6_record_drop(&cn->node, cn->tunnel_ifindex, pkt, len, uid, REC_DROP_MALFORMED);
            return;
        }
        wr_u8(&w, IP6_NH_ROUTING);
        wr_bytes(&w, pkt + IP6_HEADER_LEN + 1, hbh_len - 1);
        first = IP6_NH_HOP_BY_HOP;
    }
    ip6_write_rh2(&w, rh2_next, b->hoa);
    size_t rest = rd_left(&r);
    wr_bytes(&w, rd_take(&r, rest), rest);

    /* NOTE: sim_ipv6_send sets hop limit 64 and clears traffic class and
     * flow label, which the original header may have set otherwise. */
    if (!wr_ok(&w) || sim_ipv6_send(cn->node.id, cn->cfg.ifindex, p->hdr.src, b->coa, first, out,
                                    w.pos, NULL) != SIM_OK) {
        mip6_record_drop(&cn->node, cn->tunnel_ifindex, pkt, len, uid, REC_DROP_SEND_FAILED);
        return;
    }
    b->used = true;
    b->packets_out++;
}

/* A packet that routing sent into the tunnel interface: one of the node's
 * own packets for a home address with a binding. */
static void
cn_tunnel_tx(void *ctx, const uint8_t *pkt, size_t len, uint64_t uid)
{
    struct mip6_cn *cn = ctx;
    struct ip6_packet p;

    if (ip6_parse(pkt, len, &p) != IP6_OK) {
        mip6_record_drop(&cn->node, cn->tunnel_ifindex, pkt, len, uid, REC_DROP_MALFORMED);
        return;
    }
    /* The interface also carries what ns-3 sends for it (its own neighbour
     * discovery); only unicast traffic for a home address is rewritten. */
    if (!ip6_addr_is_unicast_routable(p.hdr.dst)) {
        mip6_record_drop(&cn->node, cn->tunnel_ifindex, pkt, len, uid, REC_DROP_NOT_TUNNELLED);
        return;
    }
    struct mip6_cn_binding *b = active_binding(cn, p.hdr.dst);
    if (!b) {
        mip6_record_drop(&cn->node, cn->tunnel_ifindex, pkt, len, uid, REC_DROP_NO_BINDING);
        return;
    }
    /* RFC 6275 §6.1: a Mobility Header message ignores the binding and
     * goes to the home address unchanged. */
    if (p.upper_proto == IP6_NH_MOBILITY) {
        if (sim_ipv6_send(cn->node.id, cn->cfg.ifindex, p.hdr.src, p.hdr.dst, p.hdr.next_header,
                          pkt + IP6_HEADER_LEN, p.hdr.payload_len, NULL) != SIM_OK)
            mip6_record_drop(&cn->node, cn->tunnel_ifindex, pkt, len, uid, REC_DROP_SEND_FAILED);
        return;
    }
    route_optimize(cn, b, pkt, len, uid, &p);
}

/* ----- install ----- */

void
mip6_cn_free(struct mip6_cn *cn)
{
    if (!cn)
        return;
    for (size_t i = 0; i < cn->bindings.cap; i++) {
        struct mip6_cn_binding *b = cn->bindings.slots[i].value;
        if (!b)
            continue;
        /* Give the timer slots back, or every freed node would keep two. */
        mip6_timer_release(&b->expiry);
        mip6_timer_release(&b->refresh);
        free(b);
    }
    addrmap_free(&cn->bindings);
    ipsec_db_free(&cn->node.ipsec);
    free(cn);
}

struct mip6_cn *
mip6_cn_install(uint32_t node, const struct mip6_cn_config *cfg, struct rec *rec, char *err,
                size_t err_len)
{
    struct mip6_cn *cn;
    char text[IP6_ADDR_TEXT_LEN];

    if (!ip6_addr_is_unicast_routable(cfg->address)) {
        snprintf(err, err_len,
                 "correspondent node %u: address is not a global unicast address; give "
                 "the address that mobile nodes send to",
                 node);
        return NULL;
    }
    if (sim_addr_state(node, cfg->ifindex, cfg->address) == SIM_ADDR_ABSENT) {
        snprintf(err, err_len,
                 "correspondent node %u: address %s is not assigned to interface %u; "
                 "assign the node's addresses before installing and give the index of "
                 "the interface that has it",
                 node, ip6_addr_to_text(cfg->address, text, sizeof text), cfg->ifindex);
        return NULL;
    }
    cn = calloc(1, sizeof *cn);
    if (!cn) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    cn->node.id = node;
    cn->node.rec = rec;
    cn->cfg = *cfg;
    ipsec_db_init(&cn->node.ipsec);
    addrmap_init(&cn->bindings);

    /* RFC 6275 §5.2.1: Kcn is a random 20-octet number. */
    if (cfg->kcn_set) {
        memcpy(cn->kcn, cfg->kcn, RR_KCN_LEN);
    } else {
        for (size_t i = 0; i < RR_KCN_LEN; i += 4) {
            uint32_t r = sim_random_u32(node);
            memcpy(cn->kcn + i, &r, 4);
        }
    }
    /* RFC 6275 §5.2.2 gives nonce indices no meaning; start anywhere. */
    rr_nonces_init(&cn->nonces, (uint16_t)sim_random_u32(node));

    if (sim_tunnel_create(node, cn_tunnel_tx, cn, &cn->tunnel_ifindex) != SIM_OK ||
        sim_set_ingress_hook(node, cn_ingress, cn) != SIM_OK) {
        snprintf(err, err_len,
                 "correspondent node %u: cannot create the tunnel interface or ingress "
                 "hook; install the internet stack on the node first",
                 node);
        mip6_cn_free(cn);
        return NULL;
    }
    return cn;
}
