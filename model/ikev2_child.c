/*
 * ikev2_child.c - the IKEv2 exchanges that create, rekey and delete child
 * SAs (CREATE_CHILD_SA, RFC 7296 §1.3) and delete SAs (INFORMATIONAL,
 * §1.4), at the initiator (mobile node) and the responder (home agent),
 * and the child SA part of IKE_AUTH.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ikev2_int.h"
#include "sim.h"

/* ----- child SAs at the responder ----- */

/*
 * Process the child SA part of an IKE_AUTH or CREATE_CHILD_SA request
 * into the response m.  old is the pair a rekey replaces, or NULL.
 * Returns REC_DROP_NONE, or a drop reason to record while the response
 * still carries the error notification.
 */
enum rec_drop
ikev2_respond_child(struct ike_sa *sa, const struct ikev2_msg *req, struct ikev2_msg *m,
                    struct ike_child *old)
{
    struct ike_node *k = sa->node;
    struct ike_peer *peer = sa->peer;
    struct ikev2_proposal want;
    uint8_t secret[IKEV2_MAX_DH_SECRET];
    size_t secret_len = 0;
    bool create = req->hdr.exchange == IKEV2_CREATE_CHILD_SA;

    /* RFC 3776 §4.2, RFC 4877 §4.4: the selectors must name the home
     * address this identity is authorized for, and nothing else. */
    int kind = -1;
    if (req->n_tsi == 1 && req->n_tsr == 1)
        kind = ike_child_kind_of(&req->tsi[0], &req->tsr[0], peer->home_address, k->home_agent);
    if (kind < 0 || (old && (int)old->kind != kind)) {
        ikev2_add_notify(m, IKEV2_N_TS_UNACCEPTABLE, 0, 0, NULL, 0);
        return REC_DROP_IKE_UNAUTHORIZED;
    }
    bool pfs = create && req->has_ke;
    ikev2_esp_proposal(&want, 0, k->cfg.esn, pfs ? sa->algs.dh : 0);
    want.spi_len = 4;
    const struct ikev2_proposal *p = ikev2_pick(req, &want);
    if (!p || (create && !req->has_nonce) || (pfs && req->ke.group != sa->algs.dh)) {
        ikev2_add_notify(m, IKEV2_N_NO_PROPOSAL_CHOSEN, 0, 0, NULL, 0);
        return REC_DROP_IKE_NO_PROPOSAL;
    }

    /* RFC 7296 §2.17: IKE_AUTH children take their keys from the IKE SA's
     * nonces; a CREATE_CHILD_SA brings fresh nonces and maybe a new
     * Diffie-Hellman exchange. */
    const uint8_t *ni = sa->ni, *nr = sa->nr;
    size_t ni_len = sa->ni_len, nr_len = sa->nr_len;
    uint8_t nonce[NONCE_LEN];
    struct ikev2_dh dh = {0};
    if (create) {
        ikev2_fresh_nonce(sa, nonce);
        ni = req->nonce;
        ni_len = req->nonce_len;
        nr = nonce;
        nr_len = NONCE_LEN;
    }
    if (pfs && (!ikev2_new_dh(sa, &dh) ||
                ikev2_dh_shared(&dh, req->ke.data, req->ke.len, secret, &secret_len) != IKEV2_OK)) {
        ikev2_dh_free(&dh);
        ikev2_add_notify(m, IKEV2_N_INVALID_KE_PAYLOAD, 0, 0, NULL, 0);
        return REC_DROP_IKE_MALFORMED;
    }
    struct ikev2_child_keys keys;
    enum ikev2_status st = ikev2_derive_child_keys(
        sa->algs.prf, sa->keys.sk_d, sa->keys.prf_len, pfs ? secret : NULL, secret_len, ni, ni_len,
        nr, nr_len, CHILD_ENC_KEY_LEN, CHILD_AUTH_KEY_LEN, &keys);
    OPENSSL_cleanse(secret, sizeof secret);

    uint32_t spi_in = ike_new_spi(k);
    struct ike_child *c = st == IKEV2_OK ? ike_child_install(sa, (enum ike_child_kind)kind, spi_in,
                                                             ikev2_proposal_spi(p), &keys)
                                         : NULL;
    OPENSSL_cleanse(&keys, sizeof keys);
    if (!c) {
        ikev2_dh_free(&dh);
        ikev2_add_notify(m, IKEV2_N_TEMPORARY_FAILURE, 0, 0, NULL, 0);
        return REC_DROP_CRYPTO_FAILED;
    }
    if (old)
        old->replaced = true;

    if (!ike_child_tunnel(c->kind))
        ikev2_add_notify(m, IKEV2_N_USE_TRANSPORT_MODE, 0, 0, NULL, 0);
    m->n_proposals = 1;
    ikev2_esp_proposal(&m->proposals[0], spi_in, k->cfg.esn, pfs ? sa->algs.dh : 0);
    if (create) {
        m->has_nonce = true;
        m->nonce_len = NONCE_LEN;
        memcpy(m->nonce, nonce, NONCE_LEN);
    }
    if (pfs) {
        m->has_ke = true;
        m->ke.group = dh.group;
        m->ke.len = dh.public_len;
        memcpy(m->ke.data, dh.public_value, dh.public_len);
    }
    ikev2_dh_free(&dh);
    m->n_tsi = 1;
    m->n_tsr = 1;
    m->tsi[0] = req->tsi[0];
    m->tsr[0] = req->tsr[0];
    return REC_DROP_NONE;
}

/* Install the pair a response agreed to; NULL when it refused. */
struct ike_child *
ikev2_accept_child(struct ike_sa *sa, const struct ikev2_msg *r)
{
    struct ike_node *k = sa->node;
    struct ikev2_proposal want;
    uint8_t secret[IKEV2_MAX_DH_SECRET];
    size_t secret_len = 0;
    bool create = r->hdr.exchange == IKEV2_CREATE_CHILD_SA;
    bool pfs = create && k->cfg.pfs;

    const struct ikev2_notify *error = ikev2_find_error(r);
    if (error) {
        ike_record(k, REC_MOB_IKE_FAILED, sa->remote, error->type, r->hdr.exchange);
        return NULL;
    }
    ikev2_esp_proposal(&want, 0, k->cfg.esn, pfs ? sa->algs.dh : 0);
    const struct ikev2_proposal *p = ikev2_pick(r, &want);
    struct ikev2_ts tsi, tsr;
    ike_child_ts(sa->request_kind, sa->peer->home_address, k->home_agent, &tsi, &tsr);
    if (!p || r->n_tsi != 1 || r->n_tsr != 1 || memcmp(&r->tsi[0], &tsi, sizeof tsi) != 0 ||
        memcmp(&r->tsr[0], &tsr, sizeof tsr) != 0 || (create && !r->has_nonce) ||
        (pfs && (!r->has_ke || r->ke.group != sa->algs.dh))) {
        ike_record(k, REC_MOB_IKE_FAILED, sa->remote, IKEV2_N_NO_PROPOSAL_CHOSEN, r->hdr.exchange);
        return NULL;
    }

    const uint8_t *ni = sa->ni, *nr = sa->nr;
    size_t ni_len = sa->ni_len, nr_len = sa->nr_len;
    if (create) {
        ni = sa->request_nonce;
        ni_len = NONCE_LEN;
        nr = r->nonce;
        nr_len = r->nonce_len;
    }
    if (pfs &&
        ikev2_dh_shared(&sa->request_dh, r->ke.data, r->ke.len, secret, &secret_len) != IKEV2_OK)
        return NULL;
    struct ikev2_child_keys keys;
    enum ikev2_status st = ikev2_derive_child_keys(
        sa->algs.prf, sa->keys.sk_d, sa->keys.prf_len, pfs ? secret : NULL, secret_len, ni, ni_len,
        nr, nr_len, CHILD_ENC_KEY_LEN, CHILD_AUTH_KEY_LEN, &keys);
    OPENSSL_cleanse(secret, sizeof secret);
    struct ike_child *c = st == IKEV2_OK ? ike_child_install(sa, sa->request_kind, sa->request_spi,
                                                             ikev2_proposal_spi(p), &keys)
                                         : NULL;
    OPENSSL_cleanse(&keys, sizeof keys);
    return c;
}

/* The mobile node has a new pair: tell it, then go on with the next one. */
void
ikev2_child_ready(struct ike_sa *sa, enum ike_child_kind kind)
{
    struct ike_node *k = sa->node;

    sa->wanted &= ~(1u << kind);
    if (k->ready)
        k->ready(k->ready_ctx, kind);
}

/* ----- CREATE_CHILD_SA and INFORMATIONAL, initiator ----- */

static void
send_child_request(struct ike_sa *sa, enum ike_child_kind kind, struct ike_child *old)
{
    uint8_t buf[MIP6_MAX_PACKET];
    struct ike_node *k = sa->node;

    struct ikev2_msg *m = ikev2_begin(sa, IKEV2_CREATE_CHILD_SA, sa->next_request_id++, false);
    if (old) {
        /* RFC 7296 §1.3.3: REKEY_SA names the SPI the initiator receives on. */
        ikev2_add_notify(m, IKEV2_N_REKEY_SA, IKEV2_PROTO_ESP, old->in->esp.spi, NULL, 0);
    }
    ikev2_child_request(sa, m, kind);
    ikev2_fresh_nonce(sa, sa->request_nonce);
    m->has_nonce = true;
    m->nonce_len = NONCE_LEN;
    memcpy(m->nonce, sa->request_nonce, NONCE_LEN);
    if (k->cfg.pfs) {
        ikev2_dh_free(&sa->request_dh);
        if (!ikev2_new_dh(sa, &sa->request_dh))
            return;
        m->has_ke = true;
        m->ke.group = sa->request_dh.group;
        m->ke.len = sa->request_dh.public_len;
        memcpy(m->ke.data, sa->request_dh.public_value, sa->request_dh.public_len);
    }
    size_t len = ikev2_finish(sa, m, buf, sizeof buf);
    if (!len)
        return;
    sa->request_old = old;
    ike_send_request(sa, old ? IKE_REQ_REKEY_CHILD : IKE_REQ_CREATE_CHILD, IKEV2_CREATE_CHILD_SA,
                     buf, len, 0);
}

void
ikev2_rekey_child(struct ike_child *c)
{
    struct ike_sa *sa = c->ike;

    if (sa->state != IKE_ESTABLISHED || sa->request != IKE_REQ_NONE) {
        c->rekey_wanted = true;
        return;
    }
    c->rekey_wanted = false;
    c->rekeying = true;
    ike_record(sa->node, REC_MOB_REKEY_START, sa->remote, c->in->esp.spi, c->kind);
    send_child_request(sa, c->kind, c);
}

/*
 * Send an INFORMATIONAL Delete: of the pair whose inbound SPI is spi_in
 * (old is that pair while it still exists, to be removed on the
 * response), or of the IKE SA when spi_in is 0.
 */
static void
send_delete(struct ike_sa *sa, struct ike_child *old, uint32_t spi_in)
{
    uint8_t buf[MIP6_MAX_PACKET];

    struct ikev2_msg *m = ikev2_begin(sa, IKEV2_INFORMATIONAL, sa->next_request_id++, false);
    m->n_deletes = 1;
    if (spi_in) {
        /* RFC 7296 §3.11: the SPIs of the sender's inbound SAs. */
        m->deletes[0].protocol = IKEV2_PROTO_ESP;
        m->deletes[0].n_spis = 1;
        m->deletes[0].spis[0] = spi_in;
    } else {
        m->deletes[0].protocol = IKEV2_PROTO_IKE;
    }
    size_t len = ikev2_finish(sa, m, buf, sizeof buf);
    if (!len)
        return;
    sa->request_old = old;
    ike_send_request(sa, spi_in ? IKE_REQ_DELETE_CHILD : IKE_REQ_DELETE_IKE, IKEV2_INFORMATIONAL,
                     buf, len, 0);
}

void
ikev2_delete_spi(struct ike_sa *sa, uint32_t spi_in)
{
    /* NOTE: while another request is outstanding the peer is not told,
     * and keeps its half of the pair until its own hard limit. */
    if (sa->request != IKE_REQ_NONE)
        return;
    send_delete(sa, NULL, spi_in);
}
void
ikev2_delete_ike(struct ike_sa *sa)
{
    struct ike_sa *current = sa->node->self.current;

    /* The old care-of address is gone: the request leaves from the current
     * one, and the response comes back there (RFC 7296 §2.11). */
    if (current && current != sa)
        memcpy(sa->local, current->local, 16);
    if (sa->request != IKE_REQ_NONE) {
        ike_sa_delete(sa);
        return;
    }
    send_delete(sa, NULL, 0);
}

void
ikev2_next_child(struct ike_sa *sa)
{
    struct ike_node *k = sa->node;

    if (sa->state != IKE_ESTABLISHED || sa->request != IKE_REQ_NONE)
        return;
    if (sa->ike_rekey_wanted) {
        ikev2_rekey_ike(sa);
        return;
    }
    for (int i = 0; i < IKE_MAX_CHILDREN; i++) {
        struct ike_child *c = &sa->children[i];
        if (c->used && c->rekey_wanted && !c->replaced) {
            ikev2_rekey_child(c);
            return;
        }
    }
    for (int kind = 0; kind < IKE_CHILD_KINDS; kind++) {
        if (sa->wanted & 1u << kind) {
            send_child_request(sa, (enum ike_child_kind)kind, NULL);
            return;
        }
    }
    /* Every pair exists under the new IKE SA: the one it replaces goes
     * (RFC 3776 §6.19 step 9). */
    if (k->self.current == sa && k->self.old)
        ikev2_delete_ike(k->self.old);
}

enum rec_drop
ikev2_child_response(struct ike_sa *sa, const struct ikev2_msg *r)
{
    struct ike_node *k = sa->node;
    enum ike_request what = sa->request;
    struct ike_child *old = sa->request_old;

    if (r->hdr.message_id != sa->request_id || !r->encrypted ||
        (what != IKE_REQ_CREATE_CHILD && what != IKE_REQ_REKEY_CHILD))
        return REC_DROP_IKE_UNEXPECTED;
    ike_request_done(sa);

    struct ike_child *c = ikev2_accept_child(sa, r);
    if (old)
        old->rekeying = false;
    if (what == IKE_REQ_REKEY_CHILD && c && old) {
        old->replaced = true;
        ike_record(k, REC_MOB_REKEY_DONE, sa->remote, old->in->esp.spi, c->in->esp.spi);
        send_delete(sa, old, old->in->esp.spi);
        return REC_DROP_NONE;
    }
    /* A new pair, or one whose rekeyed pair ended at its hard limit
     * meanwhile: either way the kind is served again. */
    if (c)
        ikev2_child_ready(sa, c->kind);
    else if (what == IKE_REQ_CREATE_CHILD)
        sa->wanted &= ~(1u << sa->request_kind);
    else if (!old)
        sa->wanted |= 1u << sa->request_kind; /* the rekey failed and its pair ended meanwhile */
    ikev2_next_child(sa);
    return REC_DROP_NONE;
}

enum rec_drop
ikev2_informational_response(struct ike_sa *sa, const struct ikev2_msg *r)
{
    enum ike_request what = sa->request;

    if (r->hdr.message_id != sa->request_id || !r->encrypted ||
        (what != IKE_REQ_DELETE_CHILD && what != IKE_REQ_DELETE_IKE))
        return REC_DROP_IKE_UNEXPECTED;
    struct ike_child *old = sa->request_old;
    ike_request_done(sa);
    if (what == IKE_REQ_DELETE_IKE) {
        ike_sa_delete(sa);
        return REC_DROP_NONE;
    }
    /* RFC 3776 §6.18 step 4: after the deletion only the new pair is used. */
    if (old)
        ike_child_remove(old);
    ikev2_next_child(sa);
    return REC_DROP_NONE;
}

/* ----- CREATE_CHILD_SA and INFORMATIONAL, responder ----- */

enum rec_drop
ikev2_respond_create_child(struct ike_sa *sa, const struct ikev2_msg *req, const uint8_t src[16])
{
    uint8_t buf[MIP6_MAX_PACKET];
    struct ike_child *old = NULL;
    enum rec_drop why = REC_DROP_NONE;

    /* RFC 7296 §1.3.2: an SA payload for IKE rekeys the IKE SA itself. */
    if (req->n_proposals > 0 && req->proposals[0].protocol == IKEV2_PROTO_IKE)
        return ikev2_respond_rekey_ike(sa, req, src);

    struct ikev2_msg *m = ikev2_begin(sa, IKEV2_CREATE_CHILD_SA, req->hdr.message_id, true);
    const struct ikev2_notify *rekey = ikev2_find_notify(req, IKEV2_N_REKEY_SA);
    if (rekey) {
        uint32_t spi = rekey->spi_len == 4
                           ? (uint32_t)rekey->spi[0] << 24 | (uint32_t)rekey->spi[1] << 16 |
                                 (uint32_t)rekey->spi[2] << 8 | rekey->spi[3]
                           : 0;
        /* The initiator's inbound SPI is this side's outbound one. */
        old = ike_child_by_spi(sa, spi, true);
        if (!old) {
            ikev2_add_notify(m, IKEV2_N_CHILD_SA_NOT_FOUND, IKEV2_PROTO_ESP, spi, NULL, 0);
            why = REC_DROP_IKE_UNEXPECTED;
        }
    }
    if (why == REC_DROP_NONE)
        why = ikev2_respond_child(sa, req, m, old);
    size_t len = ikev2_finish(sa, m, buf, sizeof buf);
    if (len)
        ike_send_response(sa, src, buf, len,
                          req->has_ke ? ike_delay(sa->node, ike_cost_dh(sa->node)) : 0);
    return why;
}

enum rec_drop
ikev2_respond_informational(struct ike_sa *sa, const struct ikev2_msg *req, const uint8_t src[16])
{
    uint8_t buf[MIP6_MAX_PACKET];
    bool delete_ike = false;
    uint32_t lost_kinds = 0;

    struct ikev2_msg *m = ikev2_begin(sa, IKEV2_INFORMATIONAL, req->hdr.message_id, true);
    for (int d = 0; d < req->n_deletes; d++) {
        const struct ikev2_delete *del = &req->deletes[d];
        if (del->protocol == IKEV2_PROTO_IKE) {
            delete_ike = true;
            continue;
        }
        if (del->protocol != IKEV2_PROTO_ESP)
            continue;
        /* RFC 7296 §1.4.1: delete both directions and respond with the
         * SPIs of this side's inbound SAs. */
        for (int i = 0; i < del->n_spis; i++) {
            struct ike_child *c = ike_child_by_spi(sa, del->spis[i], true);
            if (!c)
                continue;
            if (m->n_deletes == 0) {
                m->n_deletes = 1;
                m->deletes[0].protocol = IKEV2_PROTO_ESP;
            }
            struct ikev2_delete *answer = &m->deletes[0];
            if (answer->n_spis < IKEV2_MAX_DELETE_SPIS)
                answer->spis[answer->n_spis++] = c->in->esp.spi;
            if (!c->replaced)
                lost_kinds |= 1u << c->kind;
            ike_child_remove(c);
        }
    }
    size_t len = ikev2_finish(sa, m, buf, sizeof buf);
    if (len)
        ike_send_response(sa, src, buf, len, 0);
    if (delete_ike) {
        ike_sa_delete(sa);
        return REC_DROP_NONE;
    }
    /* The home agent deleted a pair in use, at its hard limit: the mobile
     * node needs that traffic protected again. */
    if (sa->initiator && lost_kinds) {
        sa->wanted |= lost_kinds;
        ikev2_next_child(sa);
    }
    return REC_DROP_NONE;
}
