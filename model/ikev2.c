/*
 * ikev2.c - the IKEv2 exchanges between a mobile node (initiator) and its
 * home agent (responder), as RFC 4877 §4.4 uses them:
 *
 *   MN                                        HA
 *   IKE_SA_INIT  SA, KE, Ni         ---->                       (from the CoA)
 *                                   <----   SA, KE, Nr
 *   IKE_AUTH     SK{IDi, AUTH, SA, TSi=HoA MH, TSr=HA MH} ---->
 *                                   <----   SK{IDr, AUTH, SA, TSi, TSr}
 *   CREATE_CHILD_SA  SK{SA, Ni, [KEi], TSi, TSr}  ---->   prefix discovery,
 *                                   <----   SK{SA, Nr, [KEr], TSi, TSr}  RR, payload
 *   CREATE_CHILD_SA  SK{N(REKEY_SA), SA, Ni, ...} ---->   rekey, then
 *   INFORMATIONAL    SK{D(ESP, old SPI)}          ---->   delete the old pair
 *
 * Authentication is with a shared key (RFC 7296 §2.15).  The home agent
 * lets an identity create SAs only for the home address of its PAD entry
 * (RFC 3776 §4.2, RFC 4877 §4.4).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ikev2_int.h"
#include "sim.h"

/* ----- IKE_SA_INIT ----- */

void
ikev2_start(struct ike_sa *sa)
{
    uint8_t buf[MIP6_MAX_PACKET];

    sa->algs = ikev2_algs(sa->node);
    sa->ni_len = NONCE_LEN;
    ikev2_fresh_nonce(sa, sa->ni);
    if (!ikev2_new_dh(sa, &sa->dh)) {
        ike_sa_delete(sa);
        return;
    }

    struct ikev2_msg *m = ikev2_begin(sa, IKEV2_IKE_SA_INIT, 0, false);
    m->n_proposals = 1;
    ikev2_ike_proposal(&m->proposals[0], &sa->algs);
    m->has_ke = true;
    m->ke.group = sa->dh.group;
    m->ke.len = sa->dh.public_len;
    memcpy(m->ke.data, sa->dh.public_value, sa->dh.public_len);
    m->has_nonce = true;
    m->nonce_len = sa->ni_len;
    memcpy(m->nonce, sa->ni, sa->ni_len);

    size_t len = ikev2_finish(sa, m, buf, sizeof buf);
    if (!len || !ikev2_keep(&sa->msg1, &sa->msg1_len, buf, len)) {
        ike_sa_delete(sa);
        return;
    }
    sa->state = IKE_INIT_SENT;
    sa->next_request_id = 1;
    ike_send_request(sa, IKE_REQ_SA_INIT, IKEV2_IKE_SA_INIT, buf, len, 0);
}

/* Reject an IKE_SA_INIT request with a Notify, keeping no state. */
static void
refuse_init(struct ike_node *k, const struct ikev2_msg *req, const uint8_t src[16],
            const uint8_t dst[16], uint16_t type, const uint8_t *data, uint16_t data_len)
{
    uint8_t buf[256];
    struct ike_sa *tmp = ike_sa_new(k, false, dst, src);

    if (!tmp)
        return;
    tmp->spi_i = req->hdr.spi_i;
    struct ikev2_msg *m = ikev2_begin(tmp, IKEV2_IKE_SA_INIT, 0, true);
    ikev2_add_notify(m, type, 0, 0, data, data_len);
    size_t len = ikev2_finish(tmp, m, buf, sizeof buf);
    if (len)
        ike_send_response(tmp, src, buf, len, 0);
    ike_sa_delete(tmp);
}

static enum rec_drop
respond_init(struct ike_node *k, const uint8_t *raw, size_t raw_len, const struct ikev2_msg *req,
             const uint8_t src[16], const uint8_t dst[16])
{
    uint8_t buf[MIP6_MAX_PACKET];
    uint8_t secret[IKEV2_MAX_DH_SECRET];
    size_t secret_len = 0;
    struct ikev2_proposal want;
    struct ikev2_ike_algs algs = ikev2_algs(k);

    if (req->hdr.exchange != IKEV2_IKE_SA_INIT || req->hdr.message_id != 0)
        return REC_DROP_IKE_NO_SA;
    /* RFC 7296 §2.7: the responder picks one proposal it supports. */
    ikev2_ike_proposal(&want, &algs);
    if (!ikev2_pick(req, &want)) {
        refuse_init(k, req, src, dst, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
        return REC_DROP_IKE_NO_PROPOSAL;
    }
    /* RFC 7296 §1.2: a KE payload of another group gets INVALID_KE_PAYLOAD
     * naming the group the responder wants. */
    if (!req->has_ke || req->ke.group != algs.dh) {
        uint8_t group[2] = {(uint8_t)(algs.dh >> 8), (uint8_t)algs.dh};
        refuse_init(k, req, src, dst, IKEV2_N_INVALID_KE_PAYLOAD, group, sizeof group);
        return REC_DROP_IKE_NO_PROPOSAL;
    }
    if (!req->has_nonce)
        return REC_DROP_IKE_MALFORMED;

    struct ike_sa *sa = ike_sa_new(k, false, dst, src);
    if (!sa)
        return REC_DROP_SEND_FAILED;
    sa->spi_i = req->hdr.spi_i;
    do
        ike_random(k, (uint8_t *)&sa->spi_r, sizeof sa->spi_r);
    while (sa->spi_r == 0);
    sa->algs = algs;
    sa->ni_len = req->nonce_len;
    memcpy(sa->ni, req->nonce, req->nonce_len);
    sa->nr_len = NONCE_LEN;
    ikev2_fresh_nonce(sa, sa->nr);

    /* RFC 7296 §2.14: SKEYSEED from the nonces and the shared secret. */
    enum rec_drop why = REC_DROP_NONE;
    if (!ikev2_new_dh(sa, &sa->dh) ||
        ikev2_dh_shared(&sa->dh, req->ke.data, req->ke.len, secret, &secret_len) != IKEV2_OK)
        why = REC_DROP_IKE_MALFORMED;
    else if (ikev2_derive_ike_keys(&sa->algs, NULL, sa->ni, sa->ni_len, sa->nr, sa->nr_len,
                                   sa->spi_i, sa->spi_r, secret, secret_len, &sa->keys) != IKEV2_OK)
        why = REC_DROP_CRYPTO_FAILED;
    OPENSSL_cleanse(secret, sizeof secret);
    if (why == REC_DROP_NONE && !ikev2_keep(&sa->msg1, &sa->msg1_len, raw, raw_len))
        why = REC_DROP_SEND_FAILED;
    if (why != REC_DROP_NONE) {
        ike_sa_delete(sa);
        return why;
    }
    sa->keys_ready = true;

    struct ikev2_msg *m = ikev2_begin(sa, IKEV2_IKE_SA_INIT, 0, true);
    m->n_proposals = 1;
    ikev2_ike_proposal(&m->proposals[0], &sa->algs);
    m->has_ke = true;
    m->ke.group = sa->dh.group;
    m->ke.len = sa->dh.public_len;
    memcpy(m->ke.data, sa->dh.public_value, sa->dh.public_len);
    m->has_nonce = true;
    m->nonce_len = sa->nr_len;
    memcpy(m->nonce, sa->nr, sa->nr_len);
    size_t len = ikev2_finish(sa, m, buf, sizeof buf);

    sa->state = IKE_HALF_OPEN;
    sa->peer_next_id = 1;
    /* RFC 7296 §2.6 leaves the defence against half-open SAs to the
     * responder: this one forgets them after the initiator's whole
     * retransmission schedule. */
    const struct mip6_ike_config *cfg = &k->cfg;
    uint32_t tries = cfg->retransmit_tries < 16 ? cfg->retransmit_tries : 16;
    mip6_timer_start(&sa->lifetime, cfg->retransmit_timeout_ns * ((2ull << tries) - 1));
    if (!len || !ikev2_keep(&sa->msg2, &sa->msg2_len, buf, len) || !ike_sa_index(sa)) {
        ike_sa_delete(sa);
        return REC_DROP_SEND_FAILED;
    }
    ike_send_response(sa, src, buf, len, ike_delay(k, ike_cost_dh(k)));
    return REC_DROP_NONE;
}

static enum rec_drop
init_response(struct ike_sa *sa, const uint8_t *raw, size_t raw_len, const struct ikev2_msg *r)
{
    uint8_t buf[MIP6_MAX_PACKET];
    uint8_t secret[IKEV2_MAX_DH_SECRET];
    size_t secret_len = 0;
    struct ikev2_proposal want;
    struct ike_node *k = sa->node;

    if (sa->state != IKE_INIT_SENT || r->hdr.message_id != 0)
        return REC_DROP_IKE_UNEXPECTED;
    const struct ikev2_notify *error = ikev2_find_error(r);
    if (error) {
        ike_record(k, REC_MOB_IKE_FAILED, sa->remote, error->type, IKEV2_IKE_SA_INIT);
        ike_sa_delete(sa);
        return REC_DROP_NONE;
    }
    ikev2_ike_proposal(&want, &sa->algs);
    if (!ikev2_pick(r, &want) || !r->has_ke || r->ke.group != sa->algs.dh || !r->has_nonce ||
        r->hdr.spi_r == 0)
        return REC_DROP_IKE_NO_PROPOSAL;

    sa->spi_r = r->hdr.spi_r;
    sa->nr_len = r->nonce_len;
    memcpy(sa->nr, r->nonce, r->nonce_len);
    enum rec_drop why = REC_DROP_NONE;
    if (ikev2_dh_shared(&sa->dh, r->ke.data, r->ke.len, secret, &secret_len) != IKEV2_OK)
        why = REC_DROP_IKE_MALFORMED;
    else if (ikev2_derive_ike_keys(&sa->algs, NULL, sa->ni, sa->ni_len, sa->nr, sa->nr_len,
                                   sa->spi_i, sa->spi_r, secret, secret_len, &sa->keys) != IKEV2_OK)
        why = REC_DROP_CRYPTO_FAILED;
    OPENSSL_cleanse(secret, sizeof secret);
    if (why != REC_DROP_NONE)
        return why;
    sa->keys_ready = true;
    ike_log_keys(sa);
    ike_request_done(sa);
    if (!ikev2_keep(&sa->msg2, &sa->msg2_len, raw, raw_len) || !ike_sa_reindex(sa)) {
        ike_sa_delete(sa);
        return REC_DROP_NONE;
    }

    /* IKE_AUTH: who we are, proof of the key, and the BU/BA SAs. */
    struct ikev2_msg *m = ikev2_begin(sa, IKEV2_IKE_AUTH, sa->next_request_id++, false);
    m->has_idi = true;
    ikev2_set_id(&m->idi, sa);
    m->has_auth = true;
    if (!ikev2_make_auth(sa, &m->idi, &m->auth)) {
        ike_sa_delete(sa);
        return REC_DROP_CRYPTO_FAILED;
    }
    /* RFC 7296 §2.4: a mobile node that keeps no other IKE SA says so, and
     * the home agent drops any it still has. */
    if (sa->initial_contact)
        ikev2_add_notify(m, IKEV2_N_INITIAL_CONTACT, 0, 0, NULL, 0);
    ikev2_child_request(sa, m, IKE_CHILD_BU);
    size_t len = ikev2_finish(sa, m, buf, sizeof buf);
    if (!len) {
        ike_sa_delete(sa);
        return REC_DROP_NONE;
    }
    sa->state = IKE_AUTH_SENT;
    ike_send_request(sa, IKE_REQ_AUTH, IKEV2_IKE_AUTH, buf, len,
                     ike_delay(k, ike_cost_dh(k) + ike_cost_auth(k)));
    return REC_DROP_NONE;
}

/* ----- IKE_AUTH ----- */

static enum rec_drop
respond_auth(struct ike_sa *sa, const struct ikev2_msg *req, const uint8_t src[16])
{
    uint8_t buf[MIP6_MAX_PACKET];
    struct ike_node *k = sa->node;

    if (sa->state != IKE_HALF_OPEN || !req->encrypted || !req->has_idi)
        return REC_DROP_IKE_UNEXPECTED;

    /* RFC 4877 §4.4: the identity must be in the PAD and prove the key. */
    struct ike_peer *peer = ike_pad_find(k, req->idi.data, req->idi.len);
    bool ok = peer != NULL;
    if (ok) {
        sa->peer = peer;
        ok = ikev2_auth_matches(sa, true, req, &req->idi);
    }
    struct ikev2_msg *m = ikev2_begin(sa, IKEV2_IKE_AUTH, req->hdr.message_id, true);
    if (!ok) {
        /* RFC 7296 §2.21.2: an encrypted AUTHENTICATION_FAILED, sent at
         * once because the SA goes with it. */
        ikev2_add_notify(m, IKEV2_N_AUTHENTICATION_FAILED, 0, 0, NULL, 0);
        size_t len = ikev2_finish(sa, m, buf, sizeof buf);
        if (len)
            ike_send_response(sa, src, buf, len, 0);
        sa->peer = NULL;
        ike_sa_delete(sa);
        return REC_DROP_IKE_AUTH_FAILED;
    }

    sa->state = IKE_ESTABLISHED;
    sa->peer_next_id++;
    mip6_timer_stop(&sa->lifetime);
    /* RFC 7296 §2.4: INITIAL_CONTACT says that the peer keeps no other IKE
     * SA with this end, so the ones it abandoned go, with their pairs. */
    if (ikev2_find_notify(req, IKEV2_N_INITIAL_CONTACT)) {
        if (peer->old && peer->old != sa)
            ike_sa_delete(peer->old);
        if (peer->current && peer->current != sa)
            ike_sa_delete(peer->current);
    }
    ike_peer_attach(peer, sa);
    ike_sa_reindex(sa);
    ike_record(k, REC_MOB_IKE_SA_UP, src, 2, (int64_t)(sim_now_ns() - sa->started_ns));

    m->has_idr = true;
    ikev2_set_id(&m->idr, sa);
    m->has_auth = true;
    enum rec_drop why =
        ikev2_make_auth(sa, &m->idr, &m->auth) ? REC_DROP_NONE : REC_DROP_CRYPTO_FAILED;
    if (why == REC_DROP_NONE)
        why = ikev2_respond_child(sa, req, m, NULL);
    size_t len = ikev2_finish(sa, m, buf, sizeof buf);
    if (len)
        ike_send_response(sa, src, buf, len, ike_delay(k, ike_cost_auth(k)));
    return why;
}

static enum rec_drop
auth_response(struct ike_sa *sa, const struct ikev2_msg *r)
{
    struct ike_node *k = sa->node;

    if (sa->state != IKE_AUTH_SENT || r->hdr.message_id != sa->request_id || !r->encrypted)
        return REC_DROP_IKE_UNEXPECTED;
    ike_request_done(sa);
    const struct ikev2_notify *failed = ikev2_find_notify(r, IKEV2_N_AUTHENTICATION_FAILED);
    if (failed || !r->has_idr || !ikev2_auth_matches(sa, false, r, &r->idr)) {
        ike_record(k, REC_MOB_IKE_FAILED, sa->remote, IKEV2_N_AUTHENTICATION_FAILED,
                   IKEV2_IKE_AUTH);
        ike_sa_delete(sa);
        return REC_DROP_IKE_AUTH_FAILED;
    }
    sa->state = IKE_ESTABLISHED;
    ike_record(k, REC_MOB_IKE_SA_UP, sa->remote, 2, (int64_t)(sim_now_ns() - sa->started_ns));
    if (k->cfg.ike_lifetime_ns)
        mip6_timer_start(&sa->lifetime, k->cfg.ike_lifetime_ns);

    /* The BU/BA pair comes with IKE_AUTH (RFC 4877 §4.4).  Without it the
     * mobile node cannot register, and the ike_failed event records why. */
    struct ike_child *c = ikev2_accept_child(sa, r);
    sa->wanted &= ~(1u << IKE_CHILD_BU);
    if (c)
        ikev2_child_ready(sa, IKE_CHILD_BU);
    ikev2_next_child(sa);
    return REC_DROP_NONE;
}

enum rec_drop
ikev2_process(struct ike_node *k, struct ike_sa *sa, const uint8_t *raw, size_t raw_len,
              const struct ikev2_msg *msg, const uint8_t src[16], const uint8_t dst[16])
{
    uint8_t exchange = msg->hdr.exchange;

    if (!sa)
        return respond_init(k, raw, raw_len, msg, src, dst);

    /* The home agent's only requests are INFORMATIONAL Deletes. */
    if (k->responder && (msg->hdr.flags & IKEV2_FLAG_RESPONSE))
        return exchange == IKEV2_INFORMATIONAL ? ikev2_informational_response(sa, msg)
                                               : REC_DROP_IKE_UNEXPECTED;
    if (!k->responder && (msg->hdr.flags & IKEV2_FLAG_RESPONSE)) {
        switch (exchange) {
        case IKEV2_IKE_SA_INIT:
            return init_response(sa, raw, raw_len, msg);
        case IKEV2_IKE_AUTH:
            return auth_response(sa, msg);
        case IKEV2_CREATE_CHILD_SA:
            if (sa->request == IKE_REQ_REKEY_IKE && msg->hdr.message_id == sa->request_id &&
                msg->encrypted)
                return ikev2_rekey_ike_response(sa, msg);
            return ikev2_child_response(sa, msg);
        case IKEV2_INFORMATIONAL:
            return ikev2_informational_response(sa, msg);
        default:
            return REC_DROP_IKE_UNEXPECTED;
        }
    }

    /* The mobile node takes only INFORMATIONAL requests from the home agent. */
    if (!k->responder && exchange != IKEV2_INFORMATIONAL)
        return REC_DROP_IKE_UNEXPECTED;

    /* RFC 7296 §2.1: a retransmitted request gets the same response again. */
    if (msg->hdr.message_id + 1 == sa->peer_next_id) {
        ike_resend_response(sa, src);
        return REC_DROP_NONE;
    }
    if (msg->hdr.message_id != sa->peer_next_id)
        return REC_DROP_IKE_UNEXPECTED;
    if (exchange == IKEV2_IKE_AUTH)
        return respond_auth(sa, msg, src);
    if (sa->state != IKE_ESTABLISHED || !msg->encrypted)
        return REC_DROP_IKE_UNEXPECTED;
    sa->peer_next_id++;
    switch (exchange) {
    case IKEV2_CREATE_CHILD_SA:
        return ikev2_respond_create_child(sa, msg, src);
    case IKEV2_INFORMATIONAL:
        return ikev2_respond_informational(sa, msg, src);
    default:
        return REC_DROP_IKE_UNEXPECTED;
    }
}
