/*
 * ikev2_rekey.c - rekeying an IKEv2 IKE SA (RFC 7296 §1.3.2, §2.18):
 *
 *   MN                                        HA
 *   CREATE_CHILD_SA  SK{SA(IKE, new SPIi), Ni, KEi}  ---->   under the old keys
 *                    <----  SK{SA(IKE, new SPIr), Nr, KEr}
 *   INFORMATIONAL    SK{D(IKE)}  ---->                   under the old keys
 *
 * Both ends derive the new keys from the old SK_d and a fresh
 * Diffie-Hellman exchange.  The child SAs move to the new IKE SA (§2.18),
 * so the struct ike_sa that holds them takes the new SPIs and keys, and a
 * second struct keeps the old ones until the Delete is done.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "ikev2_int.h"
#include "sim.h"

static uint64_t
spi64(const uint8_t spi[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | spi[i];
    return v;
}

/* The SA proposal of a rekey: the IKE SA's algorithms with an 8-byte SPI. */
static void
rekey_proposal(struct ikev2_proposal *p, const struct ikev2_ike_algs *algs, uint64_t spi)
{
    ikev2_ike_proposal(p, algs);
    p->spi_len = 8;
    for (int i = 0; i < 8; i++)
        p->spi[i] = (uint8_t)(spi >> (56 - 8 * i));
}

/*
 * Move the old SPIs, keys and message counters of sa to a new struct
 * that answers for them until the old IKE SA is deleted, and give sa the
 * new SPIs and keys with counters at 0 (RFC 7296 §2.18).  Returns the old
 * half, or NULL when out of memory (then sa is unchanged).
 */
static struct ike_sa *
split(struct ike_sa *sa, uint64_t spi_i, uint64_t spi_r, const struct ikev2_ike_keys *keys)
{
    struct ike_sa *old = ike_sa_new(sa->node, sa->initiator, sa->local, sa->remote);

    if (!old)
        return NULL;
    old->spi_i = sa->spi_i;
    old->spi_r = sa->spi_r;
    old->state = IKE_ESTABLISHED;
    old->algs = sa->algs;
    old->keys = sa->keys;
    old->keys_ready = true;
    old->peer = sa->peer;
    old->started_ns = sa->started_ns;
    old->next_request_id = sa->next_request_id;
    old->peer_next_id = sa->peer_next_id;
    /* A copy of the last response, for a retransmitted request to the old
     * SPIs; sa may still have to send its own after a computation delay. */
    if (sa->response_msg &&
        !ikev2_keep(&old->response_msg, &old->response_len, sa->response_msg, sa->response_len)) {
        ike_sa_delete(old);
        return NULL;
    }
    memcpy(old->response_to, sa->response_to, 16);
    old->rekeyed = true;
    old->rekey_twin = sa;
    sa->rekey_twin = old;

    sa->spi_i = spi_i;
    sa->spi_r = spi_r;
    sa->keys = *keys;
    sa->next_request_id = 0;
    sa->peer_next_id = 0;
    /* The old half now answers to the old SPIs, and sa to the new ones. */
    if (!ike_sa_index(old) || !ike_sa_index(sa)) {
        ike_sa_delete(old);
        return NULL;
    }
    ike_record(sa->node, REC_MOB_IKE_SA_REKEYED, sa->remote, (uint32_t)old->spi_i, (uint32_t)spi_i);
    return old;
}

void
ikev2_rekey_ike(struct ike_sa *sa)
{
    uint8_t buf[MIP6_MAX_PACKET];
    struct ike_node *k = sa->node;

    if (!sa->initiator || sa->state != IKE_ESTABLISHED || sa->rekeyed)
        return;
    if (sa->request != IKE_REQ_NONE) {
        sa->ike_rekey_wanted = true;
        return;
    }
    sa->ike_rekey_wanted = false;

    struct ikev2_msg *m = ikev2_begin(sa, IKEV2_CREATE_CHILD_SA, sa->next_request_id++, false);
    do
        ike_random(k, (uint8_t *)&sa->rekey_spi, sizeof sa->rekey_spi);
    while (sa->rekey_spi == 0);
    m->n_proposals = 1;
    rekey_proposal(&m->proposals[0], &sa->algs, sa->rekey_spi);
    ikev2_fresh_nonce(sa, sa->request_nonce);
    m->has_nonce = true;
    m->nonce_len = NONCE_LEN;
    memcpy(m->nonce, sa->request_nonce, NONCE_LEN);
    ikev2_dh_free(&sa->request_dh);
    if (!ikev2_new_dh(sa, &sa->request_dh))
        return;
    m->has_ke = true;
    m->ke.group = sa->request_dh.group;
    m->ke.len = sa->request_dh.public_len;
    memcpy(m->ke.data, sa->request_dh.public_value, sa->request_dh.public_len);
    size_t len = ikev2_finish(sa, m, buf, sizeof buf);
    if (len)
        ike_send_request(sa, IKE_REQ_REKEY_IKE, IKEV2_CREATE_CHILD_SA, buf, len, 0);
}

/* The new IKE SA's keys: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr). */
static bool
new_keys(const struct ike_sa *sa, const struct ikev2_dh *dh, const struct ikev2_ke *peer_ke,
         const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len, uint64_t spi_i,
         uint64_t spi_r, struct ikev2_ike_keys *keys)
{
    uint8_t secret[IKEV2_MAX_DH_SECRET];
    size_t secret_len = 0;

    bool ok = ikev2_dh_shared(dh, peer_ke->data, peer_ke->len, secret, &secret_len) == IKEV2_OK &&
              ikev2_derive_ike_keys(&sa->algs, sa->keys.sk_d, ni, ni_len, nr, nr_len, spi_i, spi_r,
                                    secret, secret_len, keys) == IKEV2_OK;
    OPENSSL_cleanse(secret, sizeof secret);
    return ok;
}

enum rec_drop
ikev2_rekey_ike_response(struct ike_sa *sa, const struct ikev2_msg *r)
{
    struct ike_node *k = sa->node;
    struct ikev2_proposal want;
    struct ikev2_ike_keys keys;

    ike_request_done(sa);
    const struct ikev2_notify *error = ikev2_find_error(r);
    ikev2_ike_proposal(&want, &sa->algs);
    const struct ikev2_proposal *p = ikev2_pick(r, &want);
    if (error || !p || p->spi_len != 8 || !r->has_nonce || !r->has_ke ||
        r->ke.group != sa->algs.dh) {
        ike_record(k, REC_MOB_IKE_FAILED, sa->remote,
                   error ? error->type : IKEV2_N_NO_PROPOSAL_CHOSEN, IKEV2_CREATE_CHILD_SA);
        /* The old IKE SA still works; try again one lifetime later. */
        mip6_timer_start(&sa->lifetime, k->cfg.ike_lifetime_ns);
        ikev2_next_child(sa);
        return REC_DROP_NONE;
    }

    uint64_t spi_r = spi64(p->spi);
    if (!new_keys(sa, &sa->request_dh, &r->ke, sa->request_nonce, NONCE_LEN, r->nonce, r->nonce_len,
                  sa->rekey_spi, spi_r, &keys))
        return REC_DROP_IKE_MALFORMED;
    struct ike_sa *old = split(sa, sa->rekey_spi, spi_r, &keys);
    OPENSSL_cleanse(&keys, sizeof keys);
    if (!old)
        return REC_DROP_SEND_FAILED;
    ike_log_keys(sa);
    mip6_timer_start(&sa->lifetime, k->cfg.ike_lifetime_ns);

    /* RFC 7296 §1.3.2: the initiator of the rekey deletes the old IKE SA. */
    ikev2_delete_ike(old);
    ikev2_next_child(sa);
    return REC_DROP_NONE;
}

enum rec_drop
ikev2_respond_rekey_ike(struct ike_sa *sa, const struct ikev2_msg *req, const uint8_t src[16])
{
    uint8_t buf[MIP6_MAX_PACKET];
    uint8_t nonce[NONCE_LEN];
    struct ike_node *k = sa->node;
    struct ikev2_proposal want;
    struct ikev2_ike_keys keys;
    struct ikev2_dh dh = {0};

    struct ikev2_msg *m = ikev2_begin(sa, IKEV2_CREATE_CHILD_SA, req->hdr.message_id, true);
    ikev2_ike_proposal(&want, &sa->algs);
    const struct ikev2_proposal *p = ikev2_pick(req, &want);
    uint64_t spi_r = 0;
    bool ok = p && p->spi_len == 8 && req->has_nonce && req->has_ke &&
              req->ke.group == sa->algs.dh && ikev2_new_dh(sa, &dh);
    if (ok) {
        do
            ike_random(k, (uint8_t *)&spi_r, sizeof spi_r);
        while (spi_r == 0);
        ikev2_fresh_nonce(sa, nonce);
        ok = new_keys(sa, &dh, &req->ke, req->nonce, req->nonce_len, nonce, NONCE_LEN,
                      spi64(p->spi), spi_r, &keys);
    }
    if (!ok) {
        ikev2_dh_free(&dh);
        ikev2_add_notify(m, IKEV2_N_NO_PROPOSAL_CHOSEN, 0, 0, NULL, 0);
        size_t len = ikev2_finish(sa, m, buf, sizeof buf);
        if (len)
            ike_send_response(sa, src, buf, len, 0);
        return REC_DROP_IKE_NO_PROPOSAL;
    }

    m->n_proposals = 1;
    rekey_proposal(&m->proposals[0], &sa->algs, spi_r);
    m->has_nonce = true;
    m->nonce_len = NONCE_LEN;
    memcpy(m->nonce, nonce, NONCE_LEN);
    m->has_ke = true;
    m->ke.group = dh.group;
    m->ke.len = dh.public_len;
    memcpy(m->ke.data, dh.public_value, dh.public_len);
    ikev2_dh_free(&dh);
    /* The response still goes under the old keys; then sa takes the new. */
    size_t len = ikev2_finish(sa, m, buf, sizeof buf);
    if (len)
        ike_send_response(sa, src, buf, len, ike_delay(k, ike_cost_dh(k)));
    struct ike_sa *old = split(sa, spi64(p->spi), spi_r, &keys);
    OPENSSL_cleanse(&keys, sizeof keys);
    return old ? REC_DROP_NONE : REC_DROP_SEND_FAILED;
}
