/*
 * ikev1.c - IKEv1 phase 1 between a mobile node (initiator) and its home
 * agent (responder) as RFC 3776 §4.4 has them run it, and the input of
 * every IKEv1 message:
 *
 *   MN                                                  HA
 *   aggressive mode  SA, KE, Ni, IDii (ID_FQDN)  ---->       (from the CoA)
 *                              <----  SA, KE, Nr, IDir, HASH_R
 *                    HASH_I                      ---->
 *   quick mode, Informational: model/ikev1_quick.c
 *
 * With a pre-shared key the home agent must find the key before it can
 * reply.  Aggressive mode names the initiator in its first message, so
 * the home agent looks IDii up in its PAD.  Main mode would leave it the
 * source address, a care-of address that names no mobile node.
 *
 * HASH_I goes in clear, as RFC 2409 §5.4 draws aggressive mode and as
 * test/e2e/ikev1_pcap.c sends it.  No phase-1 message is then encrypted,
 * and the phase-2 IVs start from the phase-1 IV hash(g^xi | g^xr) (see
 * ikev1_phase2_iv).  The home agent also accepts an encrypted HASH_I.
 *
 * IKEv1 messages carry no Response flag.  Events record what the mobile
 * node sends as requests and what the home agent sends as responses.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike.h"
#include "sim.h"

#define NONCE_LEN 32      /* RFC 2409 §5: 8 to 256 bytes */
#define ENC_KEY_LEN 16    /* AES-128-CBC */
#define MODP_2048_LEN 256 /* bytes of a group 14 public value */
#define PHASE1_HASH IKEV1_HASH_SHA2_256
/* NOTE: the model never expires an ISAKMP SA; this only fills the proposal. */
#define ISAKMP_LIFETIME_S 28800
/* Notify types 1-16383 are errors, and CONNECTED (16384) and above report status. */
#define N_ERROR_MAX 16383
/* The configuration names no identity for the home agent.  The mobile
 * node checks IDir only through HASH_R, which covers it. */
#define HOME_AGENT_FQDN "ha.home.example"

/* Messages being decoded and built.  The simulator runs one event at a
 * time, so one of each serves every SA. */
static struct ikev1_msg in_msg;
static struct ikev1_msg out_msg;

static void phase1_timer_fired(void *owner);

/* ----- state and helpers ----- */

static struct ikev1_state *
new_state(struct ike_sa *sa)
{
    struct ikev1_state *v1 = calloc(1, sizeof *v1);
    uint32_t node = sa->node->node->id;

    if (!v1)
        return NULL;
    mip6_timer_init(&v1->phase1_timer, node, phase1_timer_fired, sa);
    mip6_timer_init(&v1->removal_timer, node, ikev1_removals_due, sa);
    sa->v1 = v1;
    return v1;
}

void
ikev1_free(struct ike_sa *sa)
{
    struct ikev1_state *v1 = sa->v1;

    if (!v1)
        return;
    mip6_timer_release(&v1->phase1_timer);
    mip6_timer_release(&v1->removal_timer);
    free(v1->sai_b);
    free(v1->qm_first);
    OPENSSL_cleanse(v1, sizeof *v1);
    free(v1);
    sa->v1 = NULL;
}

struct ikev1_msg *
ikev1_begin(struct ikev1_msg *m, const struct ike_sa *sa, uint8_t exchange, uint32_t message_id)
{
    memset(m, 0, sizeof *m);
    m->hdr.cky_i = sa->spi_i;
    m->hdr.cky_r = sa->spi_r;
    m->hdr.exchange = exchange;
    m->hdr.message_id = message_id;
    return m;
}

bool
ikev1_first_iv(const struct ike_sa *sa, uint32_t message_id, uint8_t iv[IKEV1_BLOCK_LEN])
{
    return ikev1_phase2_iv(sa->v1->keys.hash, sa->v1->phase1_iv, message_id, iv) == IKEV1_OK;
}

uint32_t
ikev1_new_message_id(struct ike_sa *sa)
{
    uint32_t id = 0;

    while (id == 0)
        ike_random(sa->node, (uint8_t *)&id, sizeof id);
    return id;
}

static bool
new_dh(struct ike_sa *sa)
{
    uint8_t seed[IKEV2_DH_SEED_LEN];

    ike_random(sa->node, seed, sizeof seed);
    enum ikev2_status st = ikev2_dh_generate(&sa->dh, IKEV2_DH_MODP_2048, seed);
    OPENSSL_cleanse(seed, sizeof seed);
    return st == IKEV2_OK;
}

static void
set_fqdn(struct ikev1_id *id, const char *name)
{
    memset(id, 0, sizeof *id);
    id->type = IKEV1_ID_FQDN;
    id->len = (uint16_t)strlen(name);
    memcpy(id->data, name, id->len);
}

/* The one phase-1 transform the model runs (RFC 2409 Appendix A values). */
static void
phase1_transform(struct ikev1_transform *t, uint8_t number, uint16_t hash)
{
    memset(t, 0, sizeof *t);
    t->number = number;
    t->id = IKEV1_KEY_IKE;
    t->attrs[t->n_attrs++] = ikev1_attr_tv(IKEV1_ATTR_ENCRYPTION, IKEV1_ENCR_AES_CBC);
    t->attrs[t->n_attrs++] = ikev1_attr_tv(IKEV1_ATTR_KEY_LENGTH, 8 * ENC_KEY_LEN);
    t->attrs[t->n_attrs++] = ikev1_attr_tv(IKEV1_ATTR_HASH, hash);
    t->attrs[t->n_attrs++] = ikev1_attr_tv(IKEV1_ATTR_AUTH_METHOD, IKEV1_AUTH_PSK);
    t->attrs[t->n_attrs++] = ikev1_attr_tv(IKEV1_ATTR_GROUP, IKEV1_GROUP_MODP_2048);
    t->attrs[t->n_attrs++] = ikev1_attr_tv(IKEV1_ATTR_LIFE_TYPE, IKEV1_LIFE_SECONDS);
    t->attrs[t->n_attrs++] = ikev1_attr_tlv(IKEV1_ATTR_LIFE_DURATION, 4, ISAKMP_LIFETIME_S);
}

static void
phase1_sa(struct ikev1_sa *payload, const struct ikev1_transform *t)
{
    memset(payload, 0, sizeof *payload);
    payload->n_proposals = 1;
    payload->proposals[0].number = 1;
    payload->proposals[0].protocol = IKEV1_PROTO_ISAKMP;
    payload->proposals[0].n_transforms = 1;
    payload->proposals[0].transforms[0] = *t;
}

/* Whether a phase-1 transform is the model's suite, with SHA-1 or SHA2-256 as hash. */
static bool
phase1_acceptable(const struct ikev1_transform *t, uint16_t *hash)
{
    uint64_t enc = 0, bits = 0, h = 0, auth = 0, group = 0;

    if (t->id != IKEV1_KEY_IKE || !ikev1_find_attr(t, IKEV1_ATTR_ENCRYPTION, &enc) ||
        !ikev1_find_attr(t, IKEV1_ATTR_KEY_LENGTH, &bits) ||
        !ikev1_find_attr(t, IKEV1_ATTR_HASH, &h) ||
        !ikev1_find_attr(t, IKEV1_ATTR_AUTH_METHOD, &auth) ||
        !ikev1_find_attr(t, IKEV1_ATTR_GROUP, &group))
        return false;
    if (enc != IKEV1_ENCR_AES_CBC || bits != 8 * ENC_KEY_LEN || h > UINT16_MAX ||
        ikev1_hash_len((uint16_t)h) == 0 || auth != IKEV1_AUTH_PSK ||
        group != IKEV1_GROUP_MODP_2048)
        return false;
    *hash = (uint16_t)h;
    return true;
}

/* The first acceptable transform of an ISAKMP proposal in the message, or NULL. */
static const struct ikev1_transform *
pick_phase1(const struct ikev1_msg *m, uint16_t *hash)
{
    for (int i = 0; i < m->sa.n_proposals; i++) {
        const struct ikev1_proposal *p = &m->sa.proposals[i];
        if (p->protocol != IKEV1_PROTO_ISAKMP)
            continue;
        for (int t = 0; t < p->n_transforms; t++)
            if (phase1_acceptable(&p->transforms[t], hash))
                return &p->transforms[t];
    }
    return NULL;
}

static bool
keep(uint8_t **dst, size_t *dst_len, const uint8_t *bytes, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);

    if (!copy)
        return false;
    memcpy(copy, bytes, len);
    free(*dst);
    *dst = copy;
    *dst_len = len;
    return true;
}

/* What only phase 1 needs goes once the SA is authenticated. */
static void
forget_phase1(struct ikev1_state *v1)
{
    free(v1->sai_b);
    v1->sai_b = NULL;
    v1->sai_b_len = 0;
    OPENSSL_cleanse(v1->gxi, sizeof v1->gxi);
    v1->gxi_len = 0;
}

static uint64_t
elapsed_ns(const struct ike_sa *sa)
{
    return sim_now_ns() - sa->started_ns;
}

/* ----- phase 1, initiator ----- */

void
ikev1_start(struct ike_sa *sa)
{
    uint8_t buf[MIP6_MAX_PACKET];
    struct ikev1_parts parts;
    struct ikev1_state *v1 = new_state(sa);

    sa->ni_len = NONCE_LEN;
    ike_random(sa->node, sa->ni, NONCE_LEN);
    if (!v1 || !new_dh(sa)) {
        ike_sa_delete(sa);
        return;
    }

    /* RFC 2409 §5.4: HDR, SA, KE, Ni, IDii. */
    struct ikev1_msg *m = ikev1_begin(&out_msg, sa, IKEV1_AGGRESSIVE, 0);
    struct ikev1_transform t;
    phase1_transform(&t, 1, PHASE1_HASH);
    m->has_sa = true;
    phase1_sa(&m->sa, &t);
    m->has_ke = true;
    m->ke.len = (uint16_t)sa->dh.public_len;
    memcpy(m->ke.data, sa->dh.public_value, sa->dh.public_len);
    m->has_nonce = true;
    m->nonce_len = NONCE_LEN;
    memcpy(m->nonce, sa->ni, NONCE_LEN);
    m->n_ids = 1;
    set_fqdn(&m->ids[0], sa->peer->identity);
    v1->idii = m->ids[0];

    struct wr w = wr_init(buf, sizeof buf);
    if (ikev1_encode(m, NULL, &w, &parts) != IKEV1_OK ||
        !keep(&v1->sai_b, &v1->sai_b_len, buf + parts.sa_body.offset, parts.sa_body.len)) {
        ike_sa_delete(sa);
        return;
    }
    sa->state = IKE_INIT_SENT;
    ike_send_request(sa, IKE_REQ_SA_INIT, IKEV1_AGGRESSIVE, buf, w.pos, 0);
}

/* Message 2 arrived: derive the keys, check HASH_R and compute HASH_I. */
static enum rec_drop
aggressive_response(struct ike_sa *sa, const struct ikev1_msg *r)
{
    struct ike_node *k = sa->node;
    struct ikev1_state *v1 = sa->v1;
    uint8_t secret[IKEV2_MAX_DH_SECRET], want[IKEV1_MAX_PRF_LEN];
    size_t secret_len = 0;
    uint16_t hash = 0;

    if (r->hdr.message_id != 0 || r->encrypted)
        return REC_DROP_IKE_UNEXPECTED;
    /* The responder accepts the one transform offered, or none. */
    if (!r->has_sa || r->sa.n_proposals != 1 || r->sa.proposals[0].n_transforms != 1 ||
        !pick_phase1(r, &hash) || hash != PHASE1_HASH || !r->has_ke || r->ke.len != MODP_2048_LEN ||
        !r->has_nonce || r->n_ids != 1 || !r->has_hash || r->hdr.cky_r == 0)
        return REC_DROP_IKE_NO_PROPOSAL;

    sa->spi_r = r->hdr.cky_r;
    sa->nr_len = r->nonce_len;
    memcpy(sa->nr, r->nonce, r->nonce_len);
    enum rec_drop why = REC_DROP_NONE;
    if (ikev2_dh_shared(&sa->dh, r->ke.data, r->ke.len, secret, &secret_len) != IKEV2_OK)
        why = REC_DROP_IKE_MALFORMED;
    else if (ikev1_derive_keys(PHASE1_HASH, sa->peer->psk, sa->peer->psk_len, sa->ni, sa->ni_len,
                               sa->nr, sa->nr_len, secret, secret_len, sa->spi_i, sa->spi_r,
                               ENC_KEY_LEN, &v1->keys) != IKEV1_OK ||
             ikev1_hash_r(&v1->keys, sa->dh.public_value, sa->dh.public_len, r->ke.data, r->ke.len,
                          sa->spi_i, sa->spi_r, v1->sai_b, v1->sai_b_len, &r->ids[0],
                          want) != IKEV1_OK)
        why = REC_DROP_CRYPTO_FAILED;
    OPENSSL_cleanse(secret, sizeof secret);
    if (why != REC_DROP_NONE)
        return why;
    ike_request_done(sa);

    /* RFC 2409 §5: HASH_R proves that the responder has the key. */
    if (r->hash_len != v1->keys.prf_len || CRYPTO_memcmp(want, r->hash, r->hash_len) != 0) {
        ike_record(k, REC_MOB_IKE_FAILED, sa->remote, IKEV1_N_AUTHENTICATION_FAILED,
                   IKEV1_AGGRESSIVE);
        ike_sa_delete(sa);
        return REC_DROP_IKE_AUTH_FAILED;
    }

    /* RFC 2409 Appendix B: with no phase-1 message encrypted, phase 2
     * starts from hash(g^xi | g^xr). */
    if (ikev1_phase1_iv(PHASE1_HASH, sa->dh.public_value, sa->dh.public_len, r->ke.data, r->ke.len,
                        v1->phase1_iv) != IKEV1_OK ||
        ikev1_hash_i(&v1->keys, sa->dh.public_value, sa->dh.public_len, r->ke.data, r->ke.len,
                     sa->spi_i, sa->spi_r, v1->sai_b, v1->sai_b_len, &v1->idii,
                     v1->hash_i) != IKEV1_OK ||
        !ike_sa_reindex(sa)) {
        ike_sa_delete(sa);
        return REC_DROP_CRYPTO_FAILED;
    }
    forget_phase1(v1);
    sa->keys_ready = true;
    ike_log_keys(sa);
    sa->state = IKE_AUTH_SENT;
    mip6_timer_start(&v1->phase1_timer, ike_delay(k, ike_cost_dh(k) + ike_cost_auth(k)));
    return REC_DROP_NONE;
}

/* The computation of message 3 is done: send HASH_I, then the quick modes. */
static void
send_hash_i(struct ike_sa *sa)
{
    uint8_t buf[256];
    struct ikev1_state *v1 = sa->v1;

    /* RFC 2409 §5.4: HDR, HASH_I. */
    struct ikev1_msg *m = ikev1_begin(&out_msg, sa, IKEV1_AGGRESSIVE, 0);
    m->has_hash = true;
    m->hash_len = v1->keys.prf_len;
    memcpy(m->hash, v1->hash_i, v1->keys.prf_len);
    struct wr w = wr_init(buf, sizeof buf);
    if (ikev1_encode(m, NULL, &w, NULL) != IKEV1_OK) {
        ike_sa_delete(sa);
        return;
    }
    ike_send_response(sa, sa->remote, buf, w.pos, 0);
    sa->state = IKE_ESTABLISHED;
    ike_record(sa->node, REC_MOB_IKE_SA_UP, sa->remote, 1, (int64_t)elapsed_ns(sa));
    if (sa->replaces_spi_i)
        ike_record(sa->node, REC_MOB_IKE_SA_REKEYED, sa->remote, (uint32_t)sa->replaces_spi_i,
                   (uint32_t)sa->spi_i);
    if (sa->node->cfg.ike_lifetime_ns)
        mip6_timer_start(&sa->lifetime, sa->node->cfg.ike_lifetime_ns);
    ikev1_next_child(sa);
}

/* ----- phase 1, responder ----- */

/* Reject a first message with a notification in clear, keeping no state. */
static void
reject_first(struct ike_node *k, const struct ikev1_msg *req, const uint8_t src[16],
             const uint8_t dst[16], uint16_t type)
{
    uint8_t buf[256];
    struct ike_sa *tmp = ike_sa_new(k, false, dst, src);

    if (!tmp)
        return;
    tmp->spi_i = req->hdr.cky_i;
    /* No key protects it yet, so the Informational exchange goes in clear. */
    struct ikev1_msg *m =
        ikev1_begin(&out_msg, tmp, IKEV1_INFORMATIONAL, ikev1_new_message_id(tmp));
    m->n_notifies = 1;
    m->notifies[0].doi = IKEV1_DOI_IPSEC;
    m->notifies[0].protocol = IKEV1_PROTO_ISAKMP;
    m->notifies[0].type = type;
    struct wr w = wr_init(buf, sizeof buf);
    if (ikev1_encode(m, NULL, &w, NULL) == IKEV1_OK)
        ike_send_response(tmp, src, buf, w.pos, 0);
    ike_sa_delete(tmp);
}

/* Keep what HASH_I covers, derive the keys and send message 2. */
static enum rec_drop
respond_aggressive(struct ike_node *k, const struct ikev1_msg *req, const uint8_t *raw,
                   const struct ikev1_transform *chosen, uint16_t hash, struct ike_peer *peer,
                   const uint8_t src[16], const uint8_t dst[16])
{
    uint8_t buf[MIP6_MAX_PACKET];
    uint8_t secret[IKEV2_MAX_DH_SECRET];
    size_t secret_len = 0;
    struct ike_sa *sa = ike_sa_new(k, false, dst, src);
    struct ikev1_state *v1 = sa ? new_state(sa) : NULL;

    if (!v1) {
        if (sa)
            ike_sa_delete(sa);
        return REC_DROP_SEND_FAILED;
    }
    sa->spi_i = req->hdr.cky_i;
    do
        ike_random(k, (uint8_t *)&sa->spi_r, sizeof sa->spi_r);
    while (sa->spi_r == 0);
    sa->peer = peer;
    sa->ni_len = req->nonce_len;
    memcpy(sa->ni, req->nonce, req->nonce_len);
    sa->nr_len = NONCE_LEN;
    ike_random(k, sa->nr, NONCE_LEN);
    v1->gxi_len = req->ke.len;
    memcpy(v1->gxi, req->ke.data, req->ke.len);
    v1->idii = req->ids[0];

    /* RFC 2409 §5.4: SKEYID = prf(pre-shared key, Ni_b | Nr_b), with the
     * key of the identity in IDii. */
    enum rec_drop why = REC_DROP_NONE;
    if (!keep(&v1->sai_b, &v1->sai_b_len, raw + req->parts.sa_body.offset,
              req->parts.sa_body.len) ||
        !new_dh(sa))
        why = REC_DROP_SEND_FAILED;
    else if (ikev2_dh_shared(&sa->dh, req->ke.data, req->ke.len, secret, &secret_len) != IKEV2_OK)
        why = REC_DROP_IKE_MALFORMED;
    else if (ikev1_derive_keys(hash, peer->psk, peer->psk_len, sa->ni, sa->ni_len, sa->nr,
                               sa->nr_len, secret, secret_len, sa->spi_i, sa->spi_r, ENC_KEY_LEN,
                               &v1->keys) != IKEV1_OK ||
             ikev1_phase1_iv(hash, v1->gxi, v1->gxi_len, sa->dh.public_value, sa->dh.public_len,
                             v1->phase1_iv) != IKEV1_OK)
        why = REC_DROP_CRYPTO_FAILED;
    OPENSSL_cleanse(secret, sizeof secret);
    if (why != REC_DROP_NONE) {
        ike_sa_delete(sa);
        return why;
    }

    /* RFC 2409 §5.4: HDR, SA, KE, Nr, IDir, HASH_R. */
    struct ikev1_msg *m = ikev1_begin(&out_msg, sa, IKEV1_AGGRESSIVE, 0);
    m->has_sa = true;
    phase1_sa(&m->sa, chosen);
    m->has_ke = true;
    m->ke.len = (uint16_t)sa->dh.public_len;
    memcpy(m->ke.data, sa->dh.public_value, sa->dh.public_len);
    m->has_nonce = true;
    m->nonce_len = NONCE_LEN;
    memcpy(m->nonce, sa->nr, NONCE_LEN);
    m->n_ids = 1;
    set_fqdn(&m->ids[0], HOME_AGENT_FQDN);
    m->has_hash = true;
    m->hash_len = v1->keys.prf_len;
    struct wr w = wr_init(buf, sizeof buf);
    if (ikev1_hash_r(&v1->keys, v1->gxi, v1->gxi_len, sa->dh.public_value, sa->dh.public_len,
                     sa->spi_i, sa->spi_r, v1->sai_b, v1->sai_b_len, &m->ids[0],
                     m->hash) != IKEV1_OK)
        why = REC_DROP_CRYPTO_FAILED;
    else if (ikev1_encode(m, NULL, &w, NULL) != IKEV1_OK)
        why = REC_DROP_SEND_FAILED;
    sa->state = IKE_HALF_OPEN;
    sa->keys_ready = true;
    if (why == REC_DROP_NONE && !ike_sa_index(sa))
        why = REC_DROP_SEND_FAILED;
    if (why != REC_DROP_NONE) {
        ike_sa_delete(sa);
        return why;
    }
    ike_send_response(sa, src, buf, w.pos, ike_delay(k, ike_cost_dh(k) + ike_cost_auth(k)));

    /* The SA stays half open until the initiator gives up retransmitting. */
    const struct mip6_ike_config *cfg = &k->cfg;
    uint32_t tries = cfg->retransmit_tries < 16 ? cfg->retransmit_tries : 16;
    mip6_timer_start(&v1->phase1_timer, cfg->retransmit_timeout_ns * ((2ull << tries) - 1));
    return REC_DROP_NONE;
}

/* Process a first message without an SA: aggressive mode, or an exchange to reject. */
static enum rec_drop
respond_first(struct ike_node *k, const uint8_t *raw, size_t len, const uint8_t src[16],
              const uint8_t dst[16])
{
    struct ikev1_msg *req = &in_msg;
    uint16_t hash = 0;

    if (ikev1_decode(raw, len, NULL, req) != IKEV1_OK)
        return REC_DROP_IKE_MALFORMED;
    ike_record(k, REC_MOB_IKE_REQUEST_RECEIVED, src, req->hdr.exchange, req->hdr.message_id);

    /* RFC 3776 §4.4: with pre-shared keys IKEv1 MUST use aggressive mode.
     * Main mode picks the key by the peer's address, a care-of address,
     * so the home agent runs no main mode at all. */
    if (req->hdr.exchange == IKEV1_IDENTITY_PROTECTION) {
        reject_first(k, req, src, dst, IKEV1_N_NO_PROPOSAL_CHOSEN);
        return REC_DROP_IKE_NO_PROPOSAL;
    }
    if (req->hdr.exchange != IKEV1_AGGRESSIVE || req->hdr.message_id != 0)
        return REC_DROP_IKE_NO_SA;
    const struct ikev1_transform *chosen = req->has_sa ? pick_phase1(req, &hash) : NULL;
    if (!chosen) {
        reject_first(k, req, src, dst, IKEV1_N_NO_PROPOSAL_CHOSEN);
        return REC_DROP_IKE_NO_PROPOSAL;
    }
    if (!req->has_ke || req->ke.len != MODP_2048_LEN) {
        reject_first(k, req, src, dst, IKEV1_N_INVALID_KEY_INFORMATION);
        return REC_DROP_IKE_NO_PROPOSAL;
    }
    if (!req->has_nonce || req->n_ids != 1)
        return REC_DROP_IKE_MALFORMED;

    /* RFC 3776 §4.4: an ID_IPV6_ADDR phase-1 identity cannot be mapped to
     * one mobile node's key, so only a name is looked up in the PAD. */
    const struct ikev1_id *idii = &req->ids[0];
    struct ike_peer *peer = NULL;
    if (idii->type == IKEV1_ID_FQDN || idii->type == IKEV1_ID_USER_FQDN)
        peer = ike_pad_find(k, idii->data, idii->len);
    if (!peer) {
        reject_first(k, req, src, dst, IKEV1_N_INVALID_ID_INFORMATION);
        return REC_DROP_IKE_AUTH_FAILED;
    }
    return respond_aggressive(k, req, raw, chosen, hash, peer, src, dst);
}

/* Message 3: HASH_I authenticates the initiator (RFC 2409 §5). */
static enum rec_drop
respond_hash_i(struct ike_sa *sa, const struct ikev1_msg *m, const uint8_t src[16])
{
    struct ike_node *k = sa->node;
    struct ikev1_state *v1 = sa->v1;
    uint8_t want[IKEV1_MAX_PRF_LEN];

    if (sa->state != IKE_HALF_OPEN || m->hdr.message_id != 0 || !m->has_hash)
        return REC_DROP_IKE_UNEXPECTED;
    if (ikev1_hash_i(&v1->keys, v1->gxi, v1->gxi_len, sa->dh.public_value, sa->dh.public_len,
                     sa->spi_i, sa->spi_r, v1->sai_b, v1->sai_b_len, &v1->idii, want) != IKEV1_OK ||
        m->hash_len != v1->keys.prf_len || CRYPTO_memcmp(want, m->hash, m->hash_len) != 0) {
        ike_sa_delete(sa);
        return REC_DROP_IKE_AUTH_FAILED;
    }
    /* An encrypted HASH_I ends the phase-1 CBC chain (RFC 2409 Appendix B). */
    if (m->encrypted)
        memcpy(v1->phase1_iv, m->parts.last_block, IKEV1_BLOCK_LEN);

    forget_phase1(v1);
    mip6_timer_stop(&v1->phase1_timer);
    sa->state = IKE_ESTABLISHED;
    ike_peer_attach(sa->peer, sa);
    ike_sa_reindex(sa);
    ike_record(k, REC_MOB_IKE_SA_UP, src, 1, (int64_t)elapsed_ns(sa));
    return REC_DROP_NONE;
}

static void
phase1_timer_fired(void *owner)
{
    struct ike_sa *sa = owner;

    if (sa->initiator && sa->state == IKE_AUTH_SENT)
        send_hash_i(sa);
    else if (!sa->initiator && sa->state == IKE_HALF_OPEN)
        ike_sa_delete(sa);
}

/* ----- input ----- */

/* The SA of a message that is not the first of an aggressive mode, or NULL. */
static struct ike_sa *
find_sa(struct ike_node *k, const struct ikev1_header *h)
{
    struct ike_sa *sa = ike_sa_find(k, h->cky_i, h->cky_r);

    /* Until message 2 the initiator's SA is known by its own cookie only. */
    if (!sa && !k->responder) {
        sa = ike_sa_find(k, h->cky_i, 0);
        if (sa && sa->state != IKE_INIT_SENT)
            sa = NULL;
    }
    return sa;
}

static bool
seen_recently(const struct ikev1_state *v1, uint32_t id)
{
    for (size_t i = 0; i < sizeof v1->recent / sizeof v1->recent[0]; i++)
        if (v1->recent[i] == id)
            return true;
    return false;
}

/*
 * The IV that decrypts a message of the SA (RFC 2409 Appendix B).  Sets
 * *fresh for the first message of a phase-2 exchange, and *handled when
 * the message was a retransmission that got the kept response again.
 */
static enum rec_drop
choose_iv(struct ike_sa *sa, const struct ikev1_header *h, const uint8_t *raw, size_t len,
          const uint8_t src[16], uint8_t iv[IKEV1_BLOCK_LEN], bool *fresh, bool *handled)
{
    struct ikev1_state *v1 = sa->v1;
    bool quick_request = sa->request == IKE_REQ_CREATE_CHILD || sa->request == IKE_REQ_REKEY_CHILD;

    if (!sa->keys_ready)
        return REC_DROP_IKE_UNEXPECTED;
    switch (h->exchange) {
    case IKEV1_AGGRESSIVE:
        if (sa->state != IKE_HALF_OPEN)
            return REC_DROP_IKE_UNEXPECTED;
        memcpy(iv, v1->phase1_iv, IKEV1_BLOCK_LEN);
        return REC_DROP_NONE;
    case IKEV1_QUICK_MODE:
        if (!sa->initiator && sa->state == IKE_HALF_OPEN) {
            /* HASH_I was lost: message 2 again makes the initiator send it again. */
            ike_resend_response(sa, src);
            return REC_DROP_IKE_UNEXPECTED;
        }
        if (sa->state != IKE_ESTABLISHED)
            return REC_DROP_IKE_UNEXPECTED;
        if (sa->initiator) {
            if (!quick_request || h->message_id != sa->request_id)
                return REC_DROP_IKE_UNEXPECTED;
            memcpy(iv, v1->qm_iv, IKEV1_BLOCK_LEN);
            return REC_DROP_NONE;
        }
        if (h->message_id == v1->qm_id && v1->qm_first && len == v1->qm_first_len &&
            memcmp(raw, v1->qm_first, len) == 0) {
            ike_resend_response(sa, src);
            *handled = true;
            return REC_DROP_NONE;
        }
        if (h->message_id == v1->qm_id && v1->qm_wait_hash3) {
            memcpy(iv, v1->qm_iv, IKEV1_BLOCK_LEN);
            return REC_DROP_NONE;
        }
        break;
    case IKEV1_INFORMATIONAL:
        if (sa->state != IKE_ESTABLISHED)
            return REC_DROP_IKE_UNEXPECTED;
        break;
    default:
        return REC_DROP_IKE_UNEXPECTED;
    }
    /* A new exchange: a message id seen lately is a replay. */
    if (seen_recently(v1, h->message_id))
        return REC_DROP_IKE_UNEXPECTED;
    *fresh = true;
    return ikev1_first_iv(sa, h->message_id, iv) ? REC_DROP_NONE : REC_DROP_CRYPTO_FAILED;
}

/* The responder rejected the first message in clear. */
static enum rec_drop
rejected_in_clear(struct ike_sa *sa, const struct ikev1_msg *m)
{
    for (int i = 0; i < m->n_notifies; i++) {
        uint16_t type = m->notifies[i].type;
        if (type == 0 || type > N_ERROR_MAX)
            continue;
        ike_request_done(sa);
        ike_record(sa->node, REC_MOB_IKE_FAILED, sa->remote, type, IKEV1_AGGRESSIVE);
        ike_sa_delete(sa);
        return REC_DROP_NONE;
    }
    return REC_DROP_IKE_UNEXPECTED;
}

/* Aggressive mode at the initiator: message 2, or message 2 again. */
static enum rec_drop
initiator_aggressive(struct ike_sa *sa, const struct ikev1_msg *m)
{
    if (sa->state == IKE_INIT_SENT)
        return aggressive_response(sa, m);
    /* The responder repeats message 2 when HASH_I did not arrive. */
    if (sa->state == IKE_ESTABLISHED && sa->response_msg && sa->response_len > IKEV1_HEADER_LEN &&
        sa->response_msg[18] == IKEV1_AGGRESSIVE) {
        ike_resend_response(sa, sa->remote);
        return REC_DROP_NONE;
    }
    return REC_DROP_IKE_UNEXPECTED;
}

static enum rec_drop
dispatch(struct ike_sa *sa, const struct ikev1_msg *m, const uint8_t *raw, size_t len,
         const uint8_t src[16])
{
    switch (m->hdr.exchange) {
    case IKEV1_AGGRESSIVE:
        return sa->initiator ? initiator_aggressive(sa, m) : respond_hash_i(sa, m, src);
    case IKEV1_QUICK_MODE:
        return ikev1_quick_process(sa, m, raw, len, src);
    case IKEV1_INFORMATIONAL:
        if (!m->encrypted)
            return sa->initiator && sa->state == IKE_INIT_SENT ? rejected_in_clear(sa, m)
                                                               : REC_DROP_IKE_UNEXPECTED;
        return ikev1_informational_process(sa, m);
    default:
        return REC_DROP_IKE_UNEXPECTED;
    }
}

enum rec_drop
ikev1_receive(struct ike_node *k, const uint8_t *raw, size_t len, const uint8_t src[16],
              const uint8_t dst[16])
{
    struct ikev1_header h;

    if (ikev1_read_header(raw, len, &h) != IKEV1_OK)
        return REC_DROP_IKE_MALFORMED;

    /* A first message, or a retransmitted first message after message 2 went. */
    if (k->responder && h.cky_r == 0) {
        struct ike_sa *half_open = ike_sa_find(k, h.cky_i, 0);
        if (!half_open)
            return respond_first(k, raw, len, src, dst);
        if (h.exchange != IKEV1_AGGRESSIVE)
            return REC_DROP_IKE_UNEXPECTED;
        ike_resend_response(half_open, src);
        return REC_DROP_NONE;
    }

    struct ike_sa *sa = find_sa(k, &h);
    if (!sa)
        return REC_DROP_IKE_NO_SA;
    struct ikev1_cipher cipher;
    const struct ikev1_cipher *use = NULL;
    bool fresh = false;
    if (h.flags & IKEV1_FLAG_ENCRYPTION) {
        uint8_t iv[IKEV1_BLOCK_LEN];
        bool handled = false;
        enum rec_drop why = choose_iv(sa, &h, raw, len, src, iv, &fresh, &handled);
        if (why != REC_DROP_NONE || handled)
            return why;
        cipher = ikev1_cipher_for(&sa->v1->keys, iv);
        use = &cipher;
    }
    enum ikev1_status st = ikev1_decode(raw, len, use, &in_msg);
    if (use)
        OPENSSL_cleanse(&cipher, sizeof cipher);
    if (st != IKEV1_OK)
        return REC_DROP_IKE_MALFORMED;

    ike_record(k, k->responder ? REC_MOB_IKE_REQUEST_RECEIVED : REC_MOB_IKE_RESPONSE_RECEIVED, src,
               h.exchange, h.message_id);
    if (fresh) {
        struct ikev1_state *v1 = sa->v1;
        v1->recent[v1->recent_next] = h.message_id;
        v1->recent_next = (v1->recent_next + 1) % (sizeof v1->recent / sizeof v1->recent[0]);
    }
    return dispatch(sa, &in_msg, raw, len, src);
}
