/*
 * ikev1_quick.c - IKEv1 quick mode and Informational exchanges between a
 * mobile node (initiator) and its home agent (responder), under the
 * ISAKMP SA of model/ikev1.c (RFC 2409 §5.5 and §5.7, RFC 3776 §4.4):
 *
 *   MN                                                      HA
 *   HDR*, HASH(1), SA, Ni, [KE], IDci, IDcr  ---->
 *                          <----  HDR*, HASH(2), SA, Nr, [KE], IDci, IDcr
 *   HDR*, HASH(3)                            ---->
 *   HDR*, HASH(1), D(ESP, old SPI)           ---->   after a rekey
 *
 * IDci is the home address (ID_IPV6_ADDR) with the protocol of the pair's
 * traffic: 135 for BU/BA and return routability, 58 for prefix discovery,
 * 0 for payload.  IDcr is the home agent for the transport-mode kinds and
 * ::/0 (ID_IPV6_ADDR_SUBNET) for the tunnel-mode kinds.
 *
 * RFC 2409 has no REKEY_SA notification: a new quick mode for a kind
 * replaces the pair of that kind, and an Informational exchange with a
 * Delete payload removes the old pair.  Informational exchanges get no
 * reply.
 *
 * The responder installs a pair when it sends message 2, as an IKEv2
 * responder does, so that a lost HASH(3) cannot leave the two ends with
 * different SAs.  Its outbound traffic moves to the pair when HASH(3)
 * shows that the initiator has it, or when the pair it replaces is deleted.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike.h"
#include "sim.h"

#define NONCE_LEN 32
#define MODP_2048_LEN 256
#define KEY_BITS 128 /* AES-128-CBC */
/* The Extended (64-bit) Sequence Number attribute that RFC 4304 adds to
 * the IPsec DOI, and its value for 64-bit sequence numbers.  Wireshark
 * 4.0.17 decodes type 11 with value 1 as these. */
#define ATTR_ESN 11
#define ESN_64_BIT 1
/* Notify types 1-16383 are errors, and CONNECTED (16384) and above report status. */
#define N_ERROR_MAX 16383
#define NS_PER_S 1000000000ull

static struct ikev1_msg out_msg;

/* ----- payloads ----- */

static void
id_from_ts(const struct ikev2_ts *ts, struct ikev1_id *id)
{
    memset(id, 0, sizeof *id);
    id->protocol = ts->proto;
    if (memcmp(ts->start, ts->end, 16) == 0) {
        id->type = IKEV1_ID_IPV6_ADDR;
        id->len = 16;
        memcpy(id->data, ts->start, 16);
        return;
    }
    /* The only other range ike_child_ts gives is every address: address
     * :: with mask ::, all zero bytes. */
    id->type = IKEV1_ID_IPV6_ADDR_SUBNET;
    id->len = 32;
}

/* IDci and IDcr of a kind: RFC 3776 §4.4 names the home address, never the care-of address. */
static void
client_ids(enum ike_child_kind kind, const uint8_t home_address[16], const uint8_t home_agent[16],
           struct ikev1_id *idci, struct ikev1_id *idcr)
{
    struct ikev2_ts tsi, tsr;

    ike_child_ts(kind, home_address, home_agent, &tsi, &tsr);
    id_from_ts(&tsi, idci);
    id_from_ts(&tsr, idcr);
}

static bool
id_equal(const struct ikev1_id *a, const struct ikev1_id *b)
{
    return a->type == b->type && a->protocol == b->protocol && a->port == b->port &&
           a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* The kind whose client identities the message carries for this home address, or -1. */
static int
kind_of_ids(const struct ikev1_msg *m, const uint8_t home_address[16], const uint8_t home_agent[16])
{
    struct ikev1_id idci, idcr;

    if (m->n_ids != 2)
        return -1;
    for (int kind = 0; kind < IKE_CHILD_KINDS; kind++) {
        client_ids((enum ike_child_kind)kind, home_address, home_agent, &idci, &idcr);
        if (id_equal(&m->ids[0], &idci) && id_equal(&m->ids[1], &idcr))
            return kind;
    }
    return -1;
}

/* The ESP transform of a kind: AES-128-CBC and HMAC-SHA1-96 (RFC 2407 §4.5). */
static void
esp_transform(struct ikev1_transform *t, enum ike_child_kind kind,
              const struct mip6_ike_config *cfg, bool pfs)
{
    memset(t, 0, sizeof *t);
    t->number = 1;
    t->id = IKEV1_ESP_AES;
    if (cfg->hard_lifetime_ns) {
        uint64_t s = (cfg->hard_lifetime_ns + NS_PER_S - 1) / NS_PER_S;
        t->attrs[t->n_attrs++] = ikev1_attr_tv(IKEV1_ATTR_SA_LIFE_TYPE, IKEV1_LIFE_SECONDS);
        t->attrs[t->n_attrs++] =
            ikev1_attr_tlv(IKEV1_ATTR_SA_LIFE_DURATION, 4, s < UINT32_MAX ? s : UINT32_MAX);
    }
    if (pfs)
        t->attrs[t->n_attrs++] = ikev1_attr_tv(IKEV1_ATTR_GROUP_DESCRIPTION, IKEV1_GROUP_MODP_2048);
    t->attrs[t->n_attrs++] =
        ikev1_attr_tv(IKEV1_ATTR_ENCAPSULATION,
                      ike_child_tunnel(kind) ? IKEV1_ENCAP_TUNNEL : IKEV1_ENCAP_TRANSPORT);
    t->attrs[t->n_attrs++] = ikev1_attr_tv(IKEV1_ATTR_AUTH_ALGORITHM, IKEV1_AUTH_HMAC_SHA);
    t->attrs[t->n_attrs++] = ikev1_attr_tv(IKEV1_ATTR_IPSEC_KEY_LENGTH, KEY_BITS);
    if (cfg->esn)
        t->attrs[t->n_attrs++] = ikev1_attr_tv(ATTR_ESN, ESN_64_BIT);
}

static void
esp_sa(struct ikev1_sa *payload, uint32_t spi, const struct ikev1_transform *t)
{
    memset(payload, 0, sizeof *payload);
    payload->n_proposals = 1;
    struct ikev1_proposal *p = &payload->proposals[0];
    p->number = 1;
    p->protocol = IKEV1_PROTO_ESP;
    p->spi_len = 4;
    for (int i = 0; i < 4; i++)
        p->spi[i] = (uint8_t)(spi >> (24 - 8 * i));
    p->n_transforms = 1;
    p->transforms[0] = *t;
}

/* Whether an ESP transform is what the model runs for the kind; lifetimes are not compared. */
static bool
esp_acceptable(const struct ikev1_transform *t, enum ike_child_kind kind, bool esn, bool pfs)
{
    uint64_t bits = 0, auth = 0, encap = 0, group = 0, esn_value = 0;
    uint64_t want_encap = ike_child_tunnel(kind) ? IKEV1_ENCAP_TUNNEL : IKEV1_ENCAP_TRANSPORT;

    if (t->id != IKEV1_ESP_AES || !ikev1_find_attr(t, IKEV1_ATTR_IPSEC_KEY_LENGTH, &bits) ||
        bits != KEY_BITS || !ikev1_find_attr(t, IKEV1_ATTR_AUTH_ALGORITHM, &auth) ||
        auth != IKEV1_AUTH_HMAC_SHA || !ikev1_find_attr(t, IKEV1_ATTR_ENCAPSULATION, &encap) ||
        encap != want_encap)
        return false;
    /* RFC 2409 §5.5: a Group Description comes with the KE of PFS. */
    bool has_group = ikev1_find_attr(t, IKEV1_ATTR_GROUP_DESCRIPTION, &group);
    if (has_group != pfs || (pfs && group != IKEV1_GROUP_MODP_2048))
        return false;
    bool has_esn = ikev1_find_attr(t, ATTR_ESN, &esn_value) && esn_value == ESN_64_BIT;
    return has_esn == esn;
}

/* The first ESP proposal with an acceptable transform, or NULL. */
static const struct ikev1_proposal *
pick_esp(const struct ikev1_msg *m, enum ike_child_kind kind, bool esn, bool pfs,
         const struct ikev1_transform **chosen)
{
    for (int i = 0; m->has_sa && i < m->sa.n_proposals; i++) {
        const struct ikev1_proposal *p = &m->sa.proposals[i];
        if (p->protocol != IKEV1_PROTO_ESP || p->spi_len != 4)
            continue;
        for (int t = 0; t < p->n_transforms; t++) {
            if (esp_acceptable(&p->transforms[t], kind, esn, pfs)) {
                *chosen = &p->transforms[t];
                return p;
            }
        }
    }
    return NULL;
}

static uint32_t
spi_of(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/*
 * The keys of a pair in the form ike_child_install takes.  RFC 2409 §5.5:
 * each SA's KEYMAT takes the SPI its receiving end chose, so the SA to the
 * responder takes responder_spi.
 */
static bool
pair_keys(const struct ike_sa *sa, const uint8_t *gqm, size_t gqm_len, uint32_t responder_spi,
          uint32_t initiator_spi, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
          size_t nr_len, struct ikev2_child_keys *out)
{
    struct ikev1_esp_keys to_r, to_i;
    const struct ikev1_keys *keys = &sa->v1->keys;

    bool ok = ikev1_derive_esp_keys(keys, gqm, gqm_len, responder_spi, ni, ni_len, nr, nr_len,
                                    &to_r) == IKEV1_OK &&
              ikev1_derive_esp_keys(keys, gqm, gqm_len, initiator_spi, ni, ni_len, nr, nr_len,
                                    &to_i) == IKEV1_OK;
    memcpy(out->enc_i_to_r, to_r.enc_key, sizeof out->enc_i_to_r);
    memcpy(out->auth_i_to_r, to_r.auth_key, sizeof out->auth_i_to_r);
    memcpy(out->enc_r_to_i, to_i.enc_key, sizeof out->enc_r_to_i);
    memcpy(out->auth_r_to_i, to_i.auth_key, sizeof out->auth_r_to_i);
    OPENSSL_cleanse(&to_r, sizeof to_r);
    OPENSSL_cleanse(&to_i, sizeof to_i);
    return ok;
}

static bool
new_dh(struct ike_sa *sa, struct ikev2_dh *dh)
{
    uint8_t seed[IKEV2_DH_SEED_LEN];

    ike_random(sa->node, seed, sizeof seed);
    enum ikev2_status st = ikev2_dh_generate(dh, IKEV2_DH_MODP_2048, seed);
    OPENSSL_cleanse(seed, sizeof seed);
    return st == IKEV2_OK;
}

/* Encrypt an Informational message with its HASH(1) (RFC 2409 §5.7) and send it to to. */
static void
send_informational(struct ike_sa *sa, struct ikev1_msg *m, const uint8_t to[16])
{
    uint8_t buf[MIP6_MAX_PACKET], iv[IKEV1_BLOCK_LEN];

    if (!ikev1_first_iv(sa, m->hdr.message_id, iv))
        return;
    struct ikev1_cipher cipher = ikev1_cipher_for(&sa->v1->keys, iv);
    struct wr w = wr_init(buf, sizeof buf);
    m->has_hash = true;
    /* An Informational has no reply, so a retransmitted quick mode must
     * still find its own response in the kept one. */
    if (ikev1_encode_hashed(m, &sa->v1->keys, NULL, 0, &cipher, &w, NULL) == IKEV1_OK)
        ike_send_once(sa, to, buf, w.pos);
    OPENSSL_cleanse(&cipher, sizeof cipher);
}

/* ----- removal of old pairs ----- */

/*
 * Packets the home agent sent under an old pair before its Delete
 * arrived are still on their way for about one round trip.
 * NOTE: the first retransmission timeout is taken as that bound.
 */
static uint64_t
grace_ns(const struct ike_sa *sa)
{
    return sa->node->cfg.retransmit_timeout_ns;
}

static void
arm_removals(struct ike_sa *sa)
{
    struct ikev1_state *v1 = sa->v1;
    uint64_t next = v1->remove_sa_ns ? v1->remove_sa_ns : UINT64_MAX;
    uint64_t now = sim_now_ns();

    for (int i = 0; i < IKE_MAX_CHILDREN; i++)
        if (v1->removals[i].spi && v1->removals[i].at_ns < next)
            next = v1->removals[i].at_ns;
    if (next == UINT64_MAX)
        mip6_timer_stop(&v1->removal_timer);
    else
        mip6_timer_start(&v1->removal_timer, next > now ? next - now : 0);
}

static void
remove_later(struct ike_sa *sa, struct ike_child *c)
{
    struct ikev1_state *v1 = sa->v1;

    for (int i = 0; i < IKE_MAX_CHILDREN; i++) {
        if (!v1->removals[i].spi) {
            v1->removals[i].spi = c->in->esp.spi;
            v1->removals[i].at_ns = sim_now_ns() + grace_ns(sa);
            arm_removals(sa);
            return;
        }
    }
    ike_child_remove(c);
}

void
ikev1_removals_due(void *owner)
{
    struct ike_sa *sa = owner;
    struct ikev1_state *v1 = sa->v1;
    uint64_t now = sim_now_ns();

    for (int i = 0; i < IKE_MAX_CHILDREN; i++) {
        if (!v1->removals[i].spi || v1->removals[i].at_ns > now)
            continue;
        struct ike_child *c = ike_child_by_spi(sa, v1->removals[i].spi, false);
        v1->removals[i].spi = 0;
        if (c)
            ike_child_remove(c);
    }
    if (v1->remove_sa_ns && v1->remove_sa_ns <= now) {
        ike_sa_delete(sa);
        return;
    }
    arm_removals(sa);
}

/* ----- quick mode, initiator ----- */

static void
send_quick(struct ike_sa *sa, enum ike_child_kind kind, struct ike_child *old)
{
    uint8_t buf[MIP6_MAX_PACKET], iv[IKEV1_BLOCK_LEN];
    struct ike_node *k = sa->node;
    struct ikev1_state *v1 = sa->v1;
    struct ikev1_parts parts;
    struct ikev1_transform t;
    bool pfs = k->cfg.pfs;

    /* RFC 2409 §5.5: HDR*, HASH(1), SA, Ni [, KE ] [, IDci, IDcr ]. */
    uint32_t id = ikev1_new_message_id(sa);
    struct ikev1_msg *m = ikev1_begin(&out_msg, sa, IKEV1_QUICK_MODE, id);
    sa->request_kind = kind;
    sa->request_spi = ike_new_spi(k);
    ike_random(k, sa->request_nonce, NONCE_LEN);
    m->has_hash = true;
    m->has_sa = true;
    esp_transform(&t, kind, &k->cfg, pfs);
    esp_sa(&m->sa, sa->request_spi, &t);
    m->has_nonce = true;
    m->nonce_len = NONCE_LEN;
    memcpy(m->nonce, sa->request_nonce, NONCE_LEN);
    if (pfs) {
        ikev2_dh_free(&sa->request_dh);
        if (!new_dh(sa, &sa->request_dh))
            return;
        m->has_ke = true;
        m->ke.len = (uint16_t)sa->request_dh.public_len;
        memcpy(m->ke.data, sa->request_dh.public_value, sa->request_dh.public_len);
    }
    m->n_ids = 2;
    client_ids(kind, sa->peer->home_address, k->home_agent, &m->ids[0], &m->ids[1]);

    if (!ikev1_first_iv(sa, id, iv))
        return;
    struct ikev1_cipher cipher = ikev1_cipher_for(&v1->keys, iv);
    struct wr w = wr_init(buf, sizeof buf);
    enum ikev1_status st = ikev1_encode_hashed(m, &v1->keys, NULL, 0, &cipher, &w, &parts);
    OPENSSL_cleanse(&cipher, sizeof cipher);
    if (st != IKEV1_OK)
        return;
    memcpy(v1->qm_iv, parts.last_block, IKEV1_BLOCK_LEN);
    v1->qm_id = id;
    sa->request_old = old;
    ike_send_request(sa, old ? IKE_REQ_REKEY_CHILD : IKE_REQ_CREATE_CHILD, IKEV1_QUICK_MODE, buf,
                     w.pos, 0);
}

/* Install the pair message 2 agreed to; NULL when it does not match the request. */
static struct ike_child *
accept_pair(struct ike_sa *sa, const struct ikev1_msg *r)
{
    struct ike_node *k = sa->node;
    bool pfs = k->cfg.pfs;
    const struct ikev1_transform *t = NULL;
    struct ikev1_id idci, idcr;
    uint8_t secret[IKEV2_MAX_DH_SECRET];
    size_t secret_len = 0;

    client_ids(sa->request_kind, sa->peer->home_address, k->home_agent, &idci, &idcr);
    const struct ikev1_proposal *p =
        r->sa.n_proposals == 1 ? pick_esp(r, sa->request_kind, k->cfg.esn, pfs, &t) : NULL;
    if (!p || !r->has_nonce || r->n_ids != 2 || !id_equal(&r->ids[0], &idci) ||
        !id_equal(&r->ids[1], &idcr) || (pfs && (!r->has_ke || r->ke.len != MODP_2048_LEN))) {
        ike_record(k, REC_MOB_IKE_FAILED, sa->remote, IKEV1_N_NO_PROPOSAL_CHOSEN, IKEV1_QUICK_MODE);
        return NULL;
    }
    if (pfs &&
        ikev2_dh_shared(&sa->request_dh, r->ke.data, r->ke.len, secret, &secret_len) != IKEV2_OK)
        return NULL;

    struct ikev2_child_keys keys;
    uint32_t spi_out = spi_of(p->spi);
    bool ok = pair_keys(sa, pfs ? secret : NULL, secret_len, spi_out, sa->request_spi,
                        sa->request_nonce, NONCE_LEN, r->nonce, r->nonce_len, &keys);
    OPENSSL_cleanse(secret, sizeof secret);
    struct ike_child *c =
        ok ? ike_child_install(sa, sa->request_kind, sa->request_spi, spi_out, &keys) : NULL;
    OPENSSL_cleanse(&keys, sizeof keys);
    return c;
}

/* HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b) (RFC 2409 §5.5), in the IV message 2 left. */
static void
send_hash3(struct ike_sa *sa, const struct ikev1_msg *r)
{
    uint8_t buf[256];
    const struct ikev1_keys *keys = &sa->v1->keys;

    struct ikev1_msg *m = ikev1_begin(&out_msg, sa, IKEV1_QUICK_MODE, r->hdr.message_id);
    m->has_hash = true;
    m->hash_len = keys->prf_len;
    if (ikev1_qm_hash3(keys, r->hdr.message_id, sa->request_nonce, NONCE_LEN, r->nonce,
                       r->nonce_len, m->hash) != IKEV1_OK)
        return;
    struct ikev1_cipher cipher = ikev1_cipher_for(keys, r->parts.last_block);
    struct wr w = wr_init(buf, sizeof buf);
    if (ikev1_encode(m, &cipher, &w, NULL) == IKEV1_OK)
        ike_send_response(sa, sa->remote, buf, w.pos, 0);
    OPENSSL_cleanse(&cipher, sizeof cipher);
}

/* The mobile node has a new pair: tell it, then go on with the next one. */
static void
child_ready(struct ike_sa *sa, enum ike_child_kind kind)
{
    struct ike_node *k = sa->node;

    sa->wanted &= ~(1u << kind);
    if (k->ready)
        k->ready(k->ready_ctx, kind);
}

void
ikev1_delete_spi(struct ike_sa *sa, uint32_t spi_in)
{
    struct ikev1_msg *m = ikev1_begin(&out_msg, sa, IKEV1_INFORMATIONAL, ikev1_new_message_id(sa));
    struct ikev1_delete *d = &m->deletes[m->n_deletes++];

    /* RFC 2408 §3.15: the SPI this side received on. */
    d->doi = IKEV1_DOI_IPSEC;
    d->protocol = IKEV1_PROTO_ESP;
    d->spi_len = 4;
    d->n_spis = 1;
    for (int i = 0; i < 4; i++)
        d->spis[0][i] = (uint8_t)(spi_in >> (24 - 8 * i));
    send_informational(sa, m, sa->remote);
}

/* RFC 3776 §6.18 step 4: after the Delete only the new pair is used. */
static void
send_delete(struct ike_sa *sa, struct ike_child *old)
{
    struct ikev1_msg *m = ikev1_begin(&out_msg, sa, IKEV1_INFORMATIONAL, ikev1_new_message_id(sa));
    struct ikev1_delete *d = &m->deletes[m->n_deletes++];

    /* The SPI this side receives on, as IKEv2 does (RFC 7296 §3.11). */
    d->doi = IKEV1_DOI_IPSEC;
    d->protocol = IKEV1_PROTO_ESP;
    d->spi_len = 4;
    d->n_spis = 1;
    for (int i = 0; i < 4; i++)
        d->spis[0][i] = (uint8_t)(old->in->esp.spi >> (24 - 8 * i));
    send_informational(sa, m, sa->remote);
    remove_later(sa, old);
}

static enum rec_drop
quick_response(struct ike_sa *sa, const struct ikev1_msg *r)
{
    struct ike_node *k = sa->node;
    enum ike_request what = sa->request;
    struct ike_child *old = sa->request_old;

    /* RFC 2409 §5.5: HASH(2) covers the message id, Ni_b and the payloads after it. */
    if (ikev1_check_hash(r, &sa->v1->keys, sa->request_nonce, NONCE_LEN) != IKEV1_OK)
        return REC_DROP_IKE_ICV;
    ike_request_done(sa);

    struct ike_child *c = accept_pair(sa, r);
    if (c)
        send_hash3(sa, r);
    if (old)
        old->rekeying = false;
    if (what == IKE_REQ_REKEY_CHILD && c && old) {
        old->replaced = true;
        ike_record(k, REC_MOB_REKEY_DONE, sa->remote, old->in->esp.spi, c->in->esp.spi);
        send_delete(sa, old);
    } else if (c) {
        /* A new pair, or one whose rekeyed pair ended at its hard limit
         * meanwhile: either way the kind is served again. */
        child_ready(sa, c->kind);
    } else if (what == IKE_REQ_CREATE_CHILD) {
        sa->wanted &= ~(1u << sa->request_kind);
    } else if (!old) {
        /* The rekey failed and its pair ended at its hard limit meanwhile. */
        sa->wanted |= 1u << sa->request_kind;
    }
    ikev1_next_child(sa);
    return REC_DROP_NONE;
}

/* The responder rejected the outstanding quick mode with an Informational notification. */
static void
quick_rejected(struct ike_sa *sa, const struct ikev1_notify *n)
{
    enum ike_request what = sa->request;
    struct ike_child *old = sa->request_old;

    if (n->type == 0 || n->type > N_ERROR_MAX || n->protocol != IKEV1_PROTO_ESP ||
        n->spi_len != 4 || spi_of(n->spi) != sa->request_spi ||
        (what != IKE_REQ_CREATE_CHILD && what != IKE_REQ_REKEY_CHILD))
        return;
    ike_request_done(sa);
    ike_record(sa->node, REC_MOB_IKE_FAILED, sa->remote, n->type, IKEV1_QUICK_MODE);
    if (what == IKE_REQ_REKEY_CHILD) {
        if (old)
            old->rekeying = false;
    } else {
        sa->wanted &= ~(1u << sa->request_kind);
    }
    ikev1_next_child(sa);
}

void
ikev1_rekey_child(struct ike_child *c)
{
    struct ike_sa *sa = c->ike;

    if (sa->state != IKE_ESTABLISHED || sa->request != IKE_REQ_NONE) {
        c->rekey_wanted = true;
        return;
    }
    c->rekey_wanted = false;
    c->rekeying = true;
    ike_record(sa->node, REC_MOB_REKEY_START, sa->remote, c->in->esp.spi, c->kind);
    send_quick(sa, c->kind, c);
}

void
ikev1_delete_ike(struct ike_sa *sa)
{
    struct ikev1_state *v1 = sa->v1;
    struct ike_sa *current = sa->node->self.current;

    if (v1->delete_sent)
        return;
    /* The old care-of address is gone: the Delete leaves from the current one. */
    if (current && current != sa)
        memcpy(sa->local, current->local, 16);
    if (sa->state != IKE_ESTABLISHED) {
        ike_sa_delete(sa);
        return;
    }
    /* A quick mode still outstanding, such as a rekey sent from a care-of
     * address the node has left, is abandoned.  The Delete still goes out,
     * so the home agent stops using the old pairs before the mobile node
     * removes them (an Informational exchange needs no reply, RFC 2409 §5.7). */
    if (sa->request != IKE_REQ_NONE)
        ike_request_done(sa);

    /* IKEv1 IPsec SAs do not end with the ISAKMP SA that created them, so
     * one Delete payload names the pairs and another the ISAKMP SA. */
    struct ikev1_msg *m = ikev1_begin(&out_msg, sa, IKEV1_INFORMATIONAL, ikev1_new_message_id(sa));
    struct ikev1_delete *esp = &m->deletes[0];
    esp->doi = IKEV1_DOI_IPSEC;
    esp->protocol = IKEV1_PROTO_ESP;
    esp->spi_len = 4;
    for (int i = 0; i < IKE_MAX_CHILDREN; i++) {
        const struct ike_child *c = &sa->children[i];
        if (!c->used)
            continue;
        for (int b = 0; b < 4; b++)
            esp->spis[esp->n_spis][b] = (uint8_t)(c->in->esp.spi >> (24 - 8 * b));
        esp->n_spis++;
    }
    m->n_deletes = esp->n_spis ? 1 : 0;
    struct ikev1_delete *isakmp = &m->deletes[m->n_deletes++];
    /* RFC 2408 §3.15: an ISAKMP SA is named by both cookies. */
    isakmp->doi = IKEV1_DOI_IPSEC;
    isakmp->protocol = IKEV1_PROTO_ISAKMP;
    isakmp->spi_len = 16;
    isakmp->n_spis = 1;
    for (int b = 0; b < 8; b++) {
        isakmp->spis[0][b] = (uint8_t)(sa->spi_i >> (56 - 8 * b));
        isakmp->spis[0][8 + b] = (uint8_t)(sa->spi_r >> (56 - 8 * b));
    }
    send_informational(sa, m, sa->remote);

    v1->delete_sent = true;
    v1->remove_sa_ns = sim_now_ns() + grace_ns(sa);
    arm_removals(sa);
}

void
ikev1_next_child(struct ike_sa *sa)
{
    struct ike_node *k = sa->node;

    if (sa->state != IKE_ESTABLISHED || sa->request != IKE_REQ_NONE || sa->v1->delete_sent)
        return;
    if (sa->ike_rekey_wanted) {
        ike_replace_isakmp(sa);
        return;
    }
    for (int i = 0; i < IKE_MAX_CHILDREN; i++) {
        struct ike_child *c = &sa->children[i];
        if (c->used && c->rekey_wanted && !c->replaced) {
            ikev1_rekey_child(c);
            return;
        }
    }
    for (int kind = 0; kind < IKE_CHILD_KINDS; kind++) {
        if (sa->wanted & 1u << kind) {
            send_quick(sa, (enum ike_child_kind)kind, NULL);
            return;
        }
    }
    /* Every pair exists under the new ISAKMP SA: the one it replaces goes
     * (RFC 3776 §6.19 step 9). */
    if (k->self.current == sa && k->self.old)
        ikev1_delete_ike(k->self.old);
}

/* ----- quick mode, responder ----- */

/* Reject message 1 with a protected notification that names the initiator's SPI. */
static void
reject_quick(struct ike_sa *sa, const uint8_t to[16], uint16_t type, uint32_t spi)
{
    struct ikev1_msg *m = ikev1_begin(&out_msg, sa, IKEV1_INFORMATIONAL, ikev1_new_message_id(sa));
    struct ikev1_notify *n = &m->notifies[m->n_notifies++];

    n->doi = IKEV1_DOI_IPSEC;
    n->protocol = IKEV1_PROTO_ESP;
    n->spi_len = 4;
    for (int i = 0; i < 4; i++)
        n->spi[i] = (uint8_t)(spi >> (24 - 8 * i));
    n->type = type;
    send_informational(sa, m, to);
}

/* The pair of a kind that a new one replaces at the responder, or NULL. */
static struct ike_child *
current_pair(struct ike_sa *sa, enum ike_child_kind kind)
{
    for (int i = 0; i < IKE_MAX_CHILDREN; i++) {
        struct ike_child *c = &sa->children[i];
        if (c->used && c->kind == kind && !c->replaced)
            return c;
    }
    return NULL;
}

/* Install the pair and reply with message 2; req's nonce is kept for HASH(3). */
static enum rec_drop
answer_quick(struct ike_sa *sa, const struct ikev1_msg *req, enum ike_child_kind kind,
             const struct ikev1_proposal *p, const struct ikev1_transform *t, const uint8_t src[16])
{
    uint8_t buf[MIP6_MAX_PACKET];
    uint8_t secret[IKEV2_MAX_DH_SECRET];
    size_t secret_len = 0;
    struct ike_node *k = sa->node;
    struct ikev1_state *v1 = sa->v1;
    struct ikev2_dh dh = {0};
    struct ikev1_parts parts;
    bool pfs = req->has_ke;

    v1->qm_ni_len = req->nonce_len;
    memcpy(v1->qm_ni, req->nonce, req->nonce_len);
    v1->qm_nr_len = NONCE_LEN;
    ike_random(k, v1->qm_nr, NONCE_LEN);
    if (pfs && (!new_dh(sa, &dh) ||
                ikev2_dh_shared(&dh, req->ke.data, req->ke.len, secret, &secret_len) != IKEV2_OK)) {
        ikev2_dh_free(&dh);
        reject_quick(sa, src, IKEV1_N_INVALID_KEY_INFORMATION, spi_of(p->spi));
        return REC_DROP_IKE_MALFORMED;
    }

    struct ikev2_child_keys keys;
    uint32_t spi_in = ike_new_spi(k);
    struct ike_child *old = current_pair(sa, kind);
    bool ok = pair_keys(sa, pfs ? secret : NULL, secret_len, spi_in, spi_of(p->spi), v1->qm_ni,
                        v1->qm_ni_len, v1->qm_nr, v1->qm_nr_len, &keys);
    OPENSSL_cleanse(secret, sizeof secret);
    struct ike_child *c = ok ? ike_child_install(sa, kind, spi_in, spi_of(p->spi), &keys) : NULL;
    OPENSSL_cleanse(&keys, sizeof keys);
    if (!c) {
        ikev2_dh_free(&dh);
        reject_quick(sa, src, IKEV1_N_NO_PROPOSAL_CHOSEN, spi_of(p->spi));
        return REC_DROP_CRYPTO_FAILED;
    }
    if (old)
        old->replaced = true;

    /* RFC 2409 §5.5: HDR*, HASH(2), SA, Nr [, KE ] [, IDci, IDcr ]. */
    struct ikev1_msg *m = ikev1_begin(&out_msg, sa, IKEV1_QUICK_MODE, req->hdr.message_id);
    m->has_hash = true;
    m->has_sa = true;
    esp_sa(&m->sa, spi_in, t);
    m->sa.proposals[0].number = p->number;
    m->has_nonce = true;
    m->nonce_len = v1->qm_nr_len;
    memcpy(m->nonce, v1->qm_nr, v1->qm_nr_len);
    if (pfs) {
        m->has_ke = true;
        m->ke.len = (uint16_t)dh.public_len;
        memcpy(m->ke.data, dh.public_value, dh.public_len);
    }
    ikev2_dh_free(&dh);
    m->n_ids = 2;
    m->ids[0] = req->ids[0];
    m->ids[1] = req->ids[1];
    struct ikev1_cipher cipher = ikev1_cipher_for(&v1->keys, v1->qm_iv);
    struct wr w = wr_init(buf, sizeof buf);
    enum ikev1_status st =
        ikev1_encode_hashed(m, &v1->keys, req->nonce, req->nonce_len, &cipher, &w, &parts);
    OPENSSL_cleanse(&cipher, sizeof cipher);
    if (st != IKEV1_OK)
        return REC_DROP_SEND_FAILED;
    memcpy(v1->qm_iv, parts.last_block, IKEV1_BLOCK_LEN);
    v1->qm_wait_hash3 = true;
    v1->qm_spi_in = spi_in;
    ike_send_response(sa, src, buf, w.pos, pfs ? ike_delay(k, ike_cost_dh(k)) : 0);
    return REC_DROP_NONE;
}

static enum rec_drop
respond_quick(struct ike_sa *sa, const struct ikev1_msg *req, const uint8_t *raw, size_t raw_len,
              const uint8_t src[16])
{
    struct ike_node *k = sa->node;
    struct ikev1_state *v1 = sa->v1;
    const struct ikev1_transform *t = NULL;

    /* RFC 2409 §5.5: HASH(1) authenticates message 1 under the ISAKMP SA. */
    if (ikev1_check_hash(req, &v1->keys, NULL, 0) != IKEV1_OK)
        return REC_DROP_IKE_ICV;

    /* A new exchange: message 1 is kept to recognise its retransmission,
     * and its last block is the IV of message 2 (RFC 2409 Appendix B). */
    v1->qm_id = req->hdr.message_id;
    v1->qm_wait_hash3 = false;
    uint8_t *copy = malloc(raw_len);
    if (!copy)
        return REC_DROP_SEND_FAILED;
    memcpy(copy, raw, raw_len);
    free(v1->qm_first);
    v1->qm_first = copy;
    v1->qm_first_len = raw_len;
    memcpy(v1->qm_iv, req->parts.last_block, IKEV1_BLOCK_LEN);

    uint32_t spi = 0;
    for (int i = 0; req->has_sa && i < req->sa.n_proposals && !spi; i++)
        if (req->sa.proposals[i].spi_len == 4)
            spi = spi_of(req->sa.proposals[i].spi);

    /* RFC 3776 §4.2 and §5.3.1: the phase-1 identity may create SAs only
     * for the home address of its PAD entry, and IDci must name it. */
    int kind = kind_of_ids(req, sa->peer->home_address, k->home_agent);
    if (kind < 0) {
        reject_quick(sa, src, IKEV1_N_INVALID_ID_INFORMATION, spi);
        return REC_DROP_IKE_UNAUTHORIZED;
    }
    bool pfs = req->has_ke;
    const struct ikev1_proposal *p = pick_esp(req, (enum ike_child_kind)kind, k->cfg.esn, pfs, &t);
    if (!(ike_child_kinds(k) & 1u << kind) || !p || !req->has_nonce ||
        (pfs && req->ke.len != MODP_2048_LEN)) {
        reject_quick(sa, src, IKEV1_N_NO_PROPOSAL_CHOSEN, spi);
        return REC_DROP_IKE_NO_PROPOSAL;
    }
    return answer_quick(sa, req, (enum ike_child_kind)kind, p, t, src);
}

/* Message 3: HASH(3) shows that the initiator has installed the pair. */
static enum rec_drop
quick_hash3(struct ike_sa *sa, const struct ikev1_msg *m)
{
    struct ikev1_state *v1 = sa->v1;
    uint8_t want[IKEV1_MAX_PRF_LEN];

    if (!m->has_hash || m->hash_len != v1->keys.prf_len ||
        ikev1_qm_hash3(&v1->keys, m->hdr.message_id, v1->qm_ni, v1->qm_ni_len, v1->qm_nr,
                       v1->qm_nr_len, want) != IKEV1_OK ||
        CRYPTO_memcmp(want, m->hash, m->hash_len) != 0)
        return REC_DROP_IKE_ICV;
    v1->qm_wait_hash3 = false;
    free(v1->qm_first);
    v1->qm_first = NULL;
    v1->qm_first_len = 0;

    /* RFC 3776 §6.18 step 3: prefer the new SAs as soon as both ends have them. */
    struct ike_child *c = ike_child_by_spi(sa, v1->qm_spi_in, false);
    if (c)
        ike_child_outbound(c);
    return REC_DROP_NONE;
}

enum rec_drop
ikev1_quick_process(struct ike_sa *sa, const struct ikev1_msg *m, const uint8_t *raw,
                    size_t raw_len, const uint8_t src[16])
{
    if (!m->encrypted || sa->state != IKE_ESTABLISHED)
        return REC_DROP_IKE_UNEXPECTED;
    if (sa->initiator)
        return quick_response(sa, m);
    if (m->hdr.message_id == sa->v1->qm_id && sa->v1->qm_wait_hash3)
        return quick_hash3(sa, m);
    return respond_quick(sa, m, raw, raw_len, src);
}

/* ----- Informational, both sides ----- */

enum rec_drop
ikev1_informational_process(struct ike_sa *sa, const struct ikev1_msg *m)
{
    bool delete_ike = false;
    uint32_t lost_kinds = 0;

    if (sa->state != IKE_ESTABLISHED)
        return REC_DROP_IKE_UNEXPECTED;
    /* RFC 2409 §5.7: HASH(1) protects an Informational exchange. */
    if (ikev1_check_hash(m, &sa->v1->keys, NULL, 0) != IKEV1_OK)
        return REC_DROP_IKE_ICV;

    for (int i = 0; i < m->n_notifies && sa->initiator; i++)
        quick_rejected(sa, &m->notifies[i]);
    for (int d = 0; d < m->n_deletes; d++) {
        const struct ikev1_delete *del = &m->deletes[d];
        if (del->protocol == IKEV1_PROTO_ISAKMP && del->spi_len == 16) {
            uint8_t cookies[16];
            for (int b = 0; b < 8; b++) {
                cookies[b] = (uint8_t)(sa->spi_i >> (56 - 8 * b));
                cookies[8 + b] = (uint8_t)(sa->spi_r >> (56 - 8 * b));
            }
            for (int i = 0; i < del->n_spis; i++)
                delete_ike = delete_ike || memcmp(del->spis[i], cookies, 16) == 0;
            continue;
        }
        if (del->protocol != IKEV1_PROTO_ESP || del->spi_len != 4)
            continue;
        /* The sender names its inbound SPIs, this side's outbound ones. */
        for (int i = 0; i < del->n_spis; i++) {
            struct ike_child *c = ike_child_by_spi(sa, spi_of(del->spis[i]), true);
            if (!c)
                continue;
            if (!c->replaced)
                lost_kinds |= 1u << c->kind;
            ike_child_remove(c);
        }
    }
    if (delete_ike) {
        ike_sa_delete(sa);
        return REC_DROP_NONE;
    }
    /* The home agent deleted a pair in use, at its hard limit: the mobile
     * node needs that traffic protected again. */
    if (sa->initiator && lost_kinds) {
        sa->wanted |= lost_kinds;
        ikev1_next_child(sa);
    }
    return REC_DROP_NONE;
}
