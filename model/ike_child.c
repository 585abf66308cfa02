/*
 * ike_child.c - child SAs of the IKE model in the SPD and SAD: the
 * selectors of each kind of traffic (RFC 3776 §5.3, RFC 4877 §4.3),
 * installing a negotiated pair, lifetimes and removal.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike.h"
#include "sim.h"

static const char *const kind_names[IKE_CHILD_KINDS] = {
    [IKE_CHILD_BU] = "bu",
    [IKE_CHILD_MPD] = "mpd",
    [IKE_CHILD_RR] = "rr",
    [IKE_CHILD_PAYLOAD] = "payload",
};

/* The upper-layer protocol of each kind; IPSEC_PROTO_ANY for payload. */
static int
kind_proto(enum ike_child_kind kind)
{
    switch (kind) {
    case IKE_CHILD_BU:
    case IKE_CHILD_RR:
        return IP6_NH_MOBILITY;
    case IKE_CHILD_MPD:
        return IP6_NH_ICMPV6;
    case IKE_CHILD_PAYLOAD:
    case IKE_CHILD_KINDS:
        break;
    }
    return IPSEC_PROTO_ANY;
}

bool
ike_child_tunnel(enum ike_child_kind kind)
{
    return kind == IKE_CHILD_RR || kind == IKE_CHILD_PAYLOAD;
}

uint32_t
ike_child_kinds(const struct ike_node *k)
{
    uint32_t kinds = 1u << IKE_CHILD_BU | 1u << IKE_CHILD_MPD;

    if (k->cfg.tunnel != MIP6_TUNNEL_ESP_NONE)
        kinds |= 1u << IKE_CHILD_RR;
    if (k->cfg.tunnel == MIP6_TUNNEL_ESP_ALL)
        kinds |= 1u << IKE_CHILD_PAYLOAD;
    return kinds;
}

/*
 * The selector of traffic from the mobile node (from_mn) or to it.
 * Transport kinds name both addresses; tunnel kinds name the home address
 * and leave the other end any, on the tunnel interface (RFC 3776 §5.3).
 */
static struct ipsec_selector
selector(enum ike_child_kind kind, bool from_mn, const uint8_t hoa[16], const uint8_t ha[16])
{
    struct ipsec_selector sel = {.proto = kind_proto(kind), .tunnel_iface = ike_child_tunnel(kind)};
    uint8_t other_len = ike_child_tunnel(kind) ? 0 : 128;

    if (from_mn) {
        memcpy(sel.src, hoa, 16);
        sel.src_len = 128;
        if (other_len)
            memcpy(sel.dst, ha, 16);
        sel.dst_len = other_len;
    } else {
        memcpy(sel.dst, hoa, 16);
        sel.dst_len = 128;
        if (other_len)
            memcpy(sel.src, ha, 16);
        sel.src_len = other_len;
    }
    return sel;
}

/* Outbound traffic leaves the mobile node, and arrives at the home agent. */
static bool
from_mn(const struct ike_node *k, enum ipsec_dir dir)
{
    return (dir == IPSEC_OUT) != k->responder;
}

int
ike_child_policies(struct ike_node *k, struct ike_peer *peer, char *err, size_t err_len)
{
    uint32_t kinds = ike_child_kinds(k);

    for (int kind = 0; kind < IKE_CHILD_KINDS; kind++) {
        if (!(kinds & 1u << kind))
            continue;
        for (int dir = IPSEC_OUT; dir <= IPSEC_IN; dir++) {
            struct ipsec_selector sel =
                selector(kind, from_mn(k, dir), peer->home_address, k->home_agent);
            peer->policy[kind][dir] =
                ipsec_policy_add(&k->node->ipsec, dir, &sel, IPSEC_PROTECT, NULL);
            if (!peer->policy[kind][dir]) {
                snprintf(err, err_len, "out of memory adding the %s policies", kind_names[kind]);
                return -1;
            }
        }
    }
    return 0;
}

/* A traffic selector for one address, or for all of them with addr NULL. */
static struct ikev2_ts
ts(const uint8_t *addr, int proto)
{
    struct ikev2_ts t = {.type = IKEV2_TS_IPV6_ADDR_RANGE, .end_port = 0xffff};

    t.proto = proto == IPSEC_PROTO_ANY ? 0 : (uint8_t)proto;
    if (addr) {
        memcpy(t.start, addr, 16);
        memcpy(t.end, addr, 16);
    } else {
        memset(t.end, 0xff, 16);
    }
    return t;
}

void
ike_child_ts(enum ike_child_kind kind, const uint8_t home_address[16], const uint8_t home_agent[16],
             struct ikev2_ts *tsi, struct ikev2_ts *tsr)
{
    /* RFC 3776 §4.4, RFC 4877 §4.4: the mobile node's selector is its home
     * address, never the care-of address IKE runs from. */
    *tsi = ts(home_address, kind_proto(kind));
    *tsr = ts(ike_child_tunnel(kind) ? NULL : home_agent, kind_proto(kind));
}

static bool
ts_equal(const struct ikev2_ts *a, const struct ikev2_ts *b)
{
    return a->type == b->type && a->proto == b->proto && a->start_port == b->start_port &&
           a->end_port == b->end_port && memcmp(a->start, b->start, 16) == 0 &&
           memcmp(a->end, b->end, 16) == 0;
}

int
ike_child_kind_of(const struct ikev2_ts *tsi, const struct ikev2_ts *tsr,
                  const uint8_t home_address[16], const uint8_t home_agent[16])
{
    for (int kind = 0; kind < IKE_CHILD_KINDS; kind++) {
        struct ikev2_ts want_i, want_r;
        ike_child_ts(kind, home_address, home_agent, &want_i, &want_r);
        if (ts_equal(tsi, &want_i) && ts_equal(tsr, &want_r))
            return kind;
    }
    return -1;
}

uint32_t
ike_new_spi(struct ike_node *k)
{
    uint32_t spi;

    /* RFC 4303 §2.1: 1-255 are reserved; each inbound SPI is unique here. */
    do
        spi = sim_random_u32(k->node->id);
    while (spi < ESP_MIN_SPI || ipsec_sa_by_spi(&k->node->ipsec, spi));
    return spi;
}

/* ----- events ----- */

static void
record_sa(const struct ike_child *c, const struct ipsec_sa *sa, enum rec_sa_event event)
{
    struct ike_node *k = c->ike->node;
    struct rec_sa_info info = {
        .spi = sa->esp.spi,
        .inbound = sa->dir == IPSEC_IN,
        .name = kind_names[c->kind],
        .keying = ike_keying_name(k),
        .peer = c->ike->remote,
        .packets = sa->packets,
        .bytes = sa->bytes,
    };
    rec_sa(k->node->rec, sim_now_ns(), k->node->id, event, &info);
}

/* ----- lifetimes ----- */

static struct ipsec_policy **
policy_slot(struct ike_child *c, enum ipsec_dir dir)
{
    return &c->ike->peer->policy[c->kind][dir];
}

/* The newest other child pair of the same kind for the same mobile node. */
static struct ike_child *
newest_sibling(const struct ike_child *c)
{
    struct ike_peer *peer = c->ike->peer;
    struct ike_sa *sas[2] = {peer->current, peer->old};
    struct ike_child *best = NULL;

    for (int s = 0; s < 2; s++) {
        if (!sas[s])
            continue;
        for (int i = 0; i < IKE_MAX_CHILDREN; i++) {
            struct ike_child *o = &sas[s]->children[i];
            if (o->used && o != c && o->kind == c->kind &&
                (!best || o->installed_ns >= best->installed_ns))
                best = o;
        }
    }
    return best;
}

/* Make outbound traffic of the child's kind use the pair's outbound SA. */
static void
use_for_output(struct ike_child *c)
{
    struct ipsec_policy *p = *policy_slot(c, IPSEC_OUT);

    if (!p || p->sa == c->out)
        return;
    p->sa = c->out;
    record_sa(c, c->out, REC_SA_OUTBOUND);
}

static void
soft_expired(void *owner)
{
    struct ike_child *c = owner;

    record_sa(c, c->out, REC_SA_SOFT_EXPIRE);
    /* The initiator rekeys; the responder waits for it (model/ike.h).  A pair
     * of an IKE SA that another one replaces gets its successor from the new
     * one, so it is not rekeyed. */
    if (c->ike->initiator && !c->rekeying && !c->replaced && c->ike->peer &&
        c->ike->peer->current == c->ike)
        ike_rekey_child(c);
}

static void
hard_expired(void *owner)
{
    struct ike_child *c = owner;
    struct ike_sa *sa = c->ike;
    enum ike_child_kind kind = c->kind;
    uint32_t spi_in = c->in->esp.spi;
    bool in_use = !c->replaced;
    /* A pair already replaced, or one whose rekey is under way, leaves a
     * successor: only the last pair of its kind needs a new one. */
    bool last = in_use && !c->rekeying && !newest_sibling(c);

    record_sa(c, c->out, REC_SA_HARD_EXPIRE);
    ike_child_remove(c);
    /* RFC 7296 §1.4.1: the peer deletes its half too, so that it stops
     * sending on a pair this end can no longer receive on.  A replaced
     * pair is being deleted already. */
    if (in_use && sa->state == IKE_ESTABLISHED)
        ike_notify_expired(sa, spi_in);
    /* The mobile node needs this kind of traffic protected again. */
    if (last && sa->initiator && sa->state == IKE_ESTABLISHED && sa->peer->current == sa) {
        sa->wanted |= 1u << kind;
        ike_next_child(sa);
    }
}

/* An SA crossed a volume limit inside packet processing: act from a timer. */
static void
volume_expired(void *ctx, struct ipsec_sa *sa, enum ipsec_expiry expiry)
{
    struct ike_child *c = ctx;

    /* ipsec_sa_count reports each limit once, and a soft one never after
     * the hard one, so the timers need no further guard. */
    (void)sa;
    if (expiry == IPSEC_EXPIRY_HARD)
        mip6_timer_start(&c->hard, 0);
    else
        mip6_timer_start(&c->soft, 0);
}

static void
set_limits(struct ike_child *c, struct ipsec_sa *sa)
{
    const struct mip6_ike_config *cfg = &c->ike->node->cfg;
    uint64_t limit = sa->esp.esn ? UINT64_MAX : UINT32_MAX;

    sa->lifetime.soft_bytes = cfg->soft_bytes;
    sa->lifetime.hard_bytes = cfg->hard_bytes;
    /* RFC 4303 §3.3.3: rekey before the sequence number would cycle. */
    if (sa->dir == IPSEC_OUT) {
        sa->lifetime.hard_packets = limit;
        sa->lifetime.soft_packets = limit > cfg->seq_margin ? limit - cfg->seq_margin : 1;
    }
    sa->on_expire = volume_expired;
    sa->expire_ctx = c;
}

/* ----- install and remove ----- */

static struct ipsec_sa *
add_sa(struct ike_child *c, enum ipsec_dir dir, uint32_t spi, const uint8_t *enc_key,
       const uint8_t *auth_key)
{
    struct ike_node *k = c->ike->node;
    struct ike_peer *peer = c->ike->peer;
    struct ipsec_keys keys = {spi, ESP_ENC_AES_128_CBC, enc_key, ESP_AUTH_HMAC_SHA1_96, auth_key};
    struct ipsec_selector sel =
        selector(c->kind, from_mn(k, dir), peer->home_address, k->home_agent);
    char err[160];

    struct ipsec_sa *sa = ipsec_sa_add_dynamic(
        &k->node->ipsec, kind_names[c->kind], dir,
        ike_child_tunnel(c->kind) ? IPSEC_TUNNEL : IPSEC_TRANSPORT, &sel, &keys, err, sizeof err);
    if (!sa)
        return NULL;
    sa->policy = *policy_slot(c, dir);
    esp_sa_set_esn(&sa->esp, k->cfg.esn);
    set_limits(c, sa);
    if (dir == IPSEC_IN && k->cfg.replay_window)
        esp_replay_init(&sa->replay, k->cfg.replay_window);
    sa->replay_on = dir == IPSEC_IN && k->cfg.replay_window != 0;
    return sa;
}

/* RFC 3776 §4.3: the outer addresses of a tunnel-mode pair. */
static void
set_tunnel_ends(struct ike_child *c)
{
    struct ike_sa *sa = c->ike;
    struct ike_node *k = sa->node;
    const uint8_t *mn_end = sa->initiator ? sa->local : sa->remote;

    if (!ike_child_tunnel(c->kind))
        return;
    /* The home agent uses the care-of address of the binding when there is
     * one; otherwise the address IKE came from, until a BU moves it. */
    if (k->responder && k->bound_coa) {
        const uint8_t *coa = k->bound_coa(k->bound_ctx, sa->peer->home_address);
        if (coa)
            mn_end = coa;
    }
    if (k->responder) {
        ipsec_sa_set_tunnel(c->out, k->home_agent, mn_end);
        ipsec_sa_set_tunnel(c->in, mn_end, k->home_agent);
    } else {
        ipsec_sa_set_tunnel(c->out, mn_end, k->home_agent);
        ipsec_sa_set_tunnel(c->in, k->home_agent, mn_end);
    }
}

/* Append the pair to the mobile node's ESP SA log, if it keeps one. */
static void
log_for_wireshark(const struct ike_child *c)
{
    const char *path = c->ike->node->esp_sa_log;
    FILE *f = path ? fopen(path, "a") : NULL;

    if (!f)
        return;
    mip6_write_esp_sa_record(f, c->in);
    mip6_write_esp_sa_record(f, c->out);
    fclose(f);
}

struct ike_child *
ike_child_install(struct ike_sa *sa, enum ike_child_kind kind, uint32_t spi_in, uint32_t spi_out,
                  const struct ikev2_child_keys *keys)
{
    struct ike_child *c = NULL;

    for (int i = 0; i < IKE_MAX_CHILDREN && !c; i++)
        if (!sa->children[i].used)
            c = &sa->children[i];
    if (!c)
        return NULL;
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->ike = sa;

    /* RFC 7296 §2.17: the first keys protect initiator-to-responder traffic. */
    const uint8_t *enc_in = sa->initiator ? keys->enc_r_to_i : keys->enc_i_to_r;
    const uint8_t *auth_in = sa->initiator ? keys->auth_r_to_i : keys->auth_i_to_r;
    const uint8_t *enc_out = sa->initiator ? keys->enc_i_to_r : keys->enc_r_to_i;
    const uint8_t *auth_out = sa->initiator ? keys->auth_i_to_r : keys->auth_r_to_i;
    c->in = add_sa(c, IPSEC_IN, spi_in, enc_in, auth_in);
    c->out = c->in ? add_sa(c, IPSEC_OUT, spi_out, enc_out, auth_out) : NULL;
    if (!c->out) {
        if (c->in)
            ipsec_sa_remove(&sa->node->node->ipsec, c->in);
        memset(c, 0, sizeof *c);
        return NULL;
    }
    c->used = true;
    c->installed_ns = sim_now_ns();
    set_tunnel_ends(c);
    log_for_wireshark(c);
    record_sa(c, c->in, REC_SA_INSTALL);
    record_sa(c, c->out, REC_SA_INSTALL);

    /* RFC 3776 §6.18 step 3: the new SAs are preferred at once.  The
     * responder switches when the old pair is deleted, because until then
     * the initiator may not have the new inbound SA yet. */
    const struct ipsec_policy *out = *policy_slot(c, IPSEC_OUT);
    if (sa->initiator || !out || !out->sa)
        use_for_output(c);

    const struct mip6_ike_config *cfg = &sa->node->cfg;
    mip6_timer_init(&c->soft, sa->node->node->id, soft_expired, c);
    mip6_timer_init(&c->hard, sa->node->node->id, hard_expired, c);
    if (cfg->soft_lifetime_ns && sa->initiator)
        mip6_timer_start(&c->soft, cfg->soft_lifetime_ns);
    if (cfg->hard_lifetime_ns)
        mip6_timer_start(&c->hard, cfg->hard_lifetime_ns);
    return c;
}

void
ike_child_remove(struct ike_child *c)
{
    struct ipsec_db *db = &c->ike->node->node->ipsec;
    struct ipsec_policy *out = *policy_slot(c, IPSEC_OUT);

    if (c->ike->request_old == c)
        c->ike->request_old = NULL;
    /* Traffic moves to the newest pair of the same kind, if any. */
    if (out && out->sa == c->out) {
        out->sa = NULL;
        struct ike_child *next = newest_sibling(c);
        if (next)
            use_for_output(next);
    }
    record_sa(c, c->in, REC_SA_DELETE);
    record_sa(c, c->out, REC_SA_DELETE);
    mip6_timer_release(&c->soft);
    mip6_timer_release(&c->hard);
    ipsec_sa_remove(db, c->in);
    ipsec_sa_remove(db, c->out);
    OPENSSL_cleanse(c, sizeof *c);
}

struct ike_child *
ike_child_by_spi(struct ike_sa *sa, uint32_t spi, bool outbound)
{
    for (int i = 0; i < IKE_MAX_CHILDREN; i++) {
        struct ike_child *c = &sa->children[i];
        if (c->used && (outbound ? c->out : c->in)->esp.spi == spi)
            return c;
    }
    return NULL;
}

void
ike_child_outbound(struct ike_child *c)
{
    use_for_output(c);
}
