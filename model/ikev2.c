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

#include "ike.h"
#include "sim.h"

#define NONCE_LEN 32          /* RFC 7296 §2.10: at least half the prf key size */
#define CHILD_ENC_KEY_LEN 16  /* AES-128-CBC */
#define CHILD_AUTH_KEY_LEN 20 /* HMAC-SHA1-96 */

/* The message being built.  The simulator runs one event at a time, so
 * one buffer serves every IKE SA. */
static struct ikev2_msg out_msg;

static struct ikev2_ike_algs
ike_algs(const struct ike_node *k)
{
    struct ikev2_ike_algs a = {
        .encr = IKEV2_ENCR_AES_CBC,
        .encr_bits = 128,
        .prf = IKEV2_PRF_HMAC_SHA2_256,
        .integ = IKEV2_INTEG_HMAC_SHA2_256_128,
        .dh = k->cfg.dh_group,
    };
    return a;
}

/* ----- payload helpers ----- */

static void
add_transform(struct ikev2_proposal *p, uint8_t type, uint16_t id, uint16_t key_bits)
{
    if (p->n_transforms < IKEV2_MAX_TRANSFORMS)
        p->transforms[p->n_transforms++] = (struct ikev2_transform){type, id, key_bits};
}

static void
ike_proposal(struct ikev2_proposal *p, const struct ikev2_ike_algs *a)
{
    memset(p, 0, sizeof *p);
    p->number = 1;
    p->protocol = IKEV2_PROTO_IKE;
    add_transform(p, IKEV2_TRANS_ENCR, a->encr, a->encr_bits);
    add_transform(p, IKEV2_TRANS_PRF, a->prf, 0);
    add_transform(p, IKEV2_TRANS_INTEG, a->integ, 0);
    add_transform(p, IKEV2_TRANS_DH, a->dh, 0);
}

/* The ESP proposal: AES-128-CBC and HMAC-SHA1-96, as the model's ESP has. */
static void
esp_proposal(struct ikev2_proposal *p, uint32_t spi, bool esn, uint16_t dh)
{
    memset(p, 0, sizeof *p);
    p->number = 1;
    p->protocol = IKEV2_PROTO_ESP;
    p->spi_len = 4;
    for (int i = 0; i < 4; i++)
        p->spi[i] = (uint8_t)(spi >> (24 - 8 * i));
    add_transform(p, IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CBC, 128);
    add_transform(p, IKEV2_TRANS_INTEG, IKEV2_INTEG_HMAC_SHA1_96, 0);
    if (dh)
        add_transform(p, IKEV2_TRANS_DH, dh, 0);
    add_transform(p, IKEV2_TRANS_ESN, esn ? IKEV2_ESN_YES : IKEV2_ESN_NO, 0);
}

static bool
has_transform(const struct ikev2_proposal *p, uint8_t type, uint16_t id, uint16_t key_bits)
{
    for (int i = 0; i < p->n_transforms; i++)
        if (p->transforms[i].type == type && p->transforms[i].id == id &&
            p->transforms[i].key_bits == key_bits)
            return true;
    return false;
}

/* The first proposal of the message that contains every transform of want. */
static const struct ikev2_proposal *
pick(const struct ikev2_msg *m, const struct ikev2_proposal *want)
{
    for (int i = 0; i < m->n_proposals; i++) {
        const struct ikev2_proposal *p = &m->proposals[i];
        bool all = p->protocol == want->protocol;
        for (int t = 0; all && t < want->n_transforms; t++)
            all = has_transform(p, want->transforms[t].type, want->transforms[t].id,
                                want->transforms[t].key_bits);
        if (all && (p->protocol != IKEV2_PROTO_ESP || p->spi_len == 4))
            return p;
    }
    return NULL;
}

static uint32_t
proposal_spi(const struct ikev2_proposal *p)
{
    return (uint32_t)p->spi[0] << 24 | (uint32_t)p->spi[1] << 16 | (uint32_t)p->spi[2] << 8 |
           p->spi[3];
}

static const struct ikev2_notify *
find_notify(const struct ikev2_msg *m, uint16_t type)
{
    for (int i = 0; i < m->n_notifies; i++)
        if (m->notifies[i].type == type)
            return &m->notifies[i];
    return NULL;
}

/* The first Notify of an error type (RFC 7296 §3.10.1: types below 16384). */
static const struct ikev2_notify *
find_error(const struct ikev2_msg *m)
{
    for (int i = 0; i < m->n_notifies; i++)
        if (m->notifies[i].type < 16384)
            return &m->notifies[i];
    return NULL;
}

static void
add_notify(struct ikev2_msg *m, uint16_t type, uint8_t protocol, uint32_t spi, const uint8_t *data,
           uint16_t len)
{
    if (m->n_notifies >= IKEV2_MAX_NOTIFIES || len > IKEV2_MAX_NOTIFY_DATA)
        return;
    struct ikev2_notify *n = &m->notifies[m->n_notifies++];
    memset(n, 0, sizeof *n);
    n->type = type;
    n->protocol = protocol;
    if (protocol == IKEV2_PROTO_ESP) {
        n->spi_len = 4;
        for (int i = 0; i < 4; i++)
            n->spi[i] = (uint8_t)(spi >> (24 - 8 * i));
    }
    if (len)
        memcpy(n->data, data, len);
    n->data_len = len;
}

/* Start the outgoing message of an IKE SA. */
static struct ikev2_msg *
begin(const struct ike_sa *sa, uint8_t exchange, uint32_t id, bool response)
{
    struct ikev2_msg *m = &out_msg;

    memset(m, 0, sizeof *m);
    m->hdr.spi_i = sa->spi_i;
    m->hdr.spi_r = sa->spi_r;
    m->hdr.version = IKEV2_VERSION;
    m->hdr.exchange = exchange;
    m->hdr.flags =
        (sa->initiator ? IKEV2_FLAG_INITIATOR : 0) | (response ? IKEV2_FLAG_RESPONSE : 0);
    m->hdr.message_id = id;
    return m;
}

/* Encode m into buf, inside an SK payload unless it is IKE_SA_INIT. */
static size_t
finish(struct ike_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t cap)
{
    struct wr w = wr_init(buf, cap);
    const struct ikev2_sk_keys *keys = NULL;
    uint8_t iv[16];

    if (m->hdr.exchange != IKEV2_IKE_SA_INIT) {
        keys = sa->initiator ? &sa->keys.initiator : &sa->keys.responder;
        ike_random(sa->node, iv, sizeof iv);
    }
    return ikev2_encode(m, keys, iv, &w) == IKEV2_OK ? w.pos : 0;
}

static void
set_ts(struct ikev2_msg *m, enum ike_child_kind kind, const struct ike_sa *sa)
{
    m->n_tsi = 1;
    m->n_tsr = 1;
    ike_child_ts(kind, sa->peer->home_address, sa->node->home_agent, &m->tsi[0], &m->tsr[0]);
}

static void
set_id(struct ikev2_id *id, const struct ike_sa *sa)
{
    memset(id, 0, sizeof *id);
    if (sa->initiator) {
        id->type = IKEV2_ID_FQDN;
        id->len = (uint16_t)strlen(sa->peer->identity);
        memcpy(id->data, sa->peer->identity, id->len);
    } else {
        id->type = IKEV2_ID_IPV6_ADDR;
        id->len = 16;
        memcpy(id->data, sa->node->home_agent, 16);
    }
}

/* The AUTH value this side sends, or the peer's expected one (RFC 7296 §2.15). */
static bool
auth_value(const struct ike_sa *sa, bool of_initiator, const struct ikev2_id *id,
           uint8_t out[IKEV2_MAX_PRF_LEN])
{
    const uint8_t *first = of_initiator ? sa->msg1 : sa->msg2;
    size_t first_len = of_initiator ? sa->msg1_len : sa->msg2_len;
    const uint8_t *nonce = of_initiator ? sa->nr : sa->ni;
    size_t nonce_len = of_initiator ? sa->nr_len : sa->ni_len;
    const uint8_t *sk_p = of_initiator ? sa->keys.sk_pi : sa->keys.sk_pr;

    return ikev2_psk_auth(sa->algs.prf, sa->peer->psk, sa->peer->psk_len, first, first_len, nonce,
                          nonce_len, sk_p, sa->keys.prf_len, id, out) == IKEV2_OK;
}

static bool
auth_matches(const struct ike_sa *sa, bool of_initiator, const struct ikev2_msg *m,
             const struct ikev2_id *id)
{
    uint8_t want[IKEV2_MAX_PRF_LEN];

    if (!m->has_auth || m->auth.method != IKEV2_AUTH_PSK || m->auth.len != sa->keys.prf_len ||
        !auth_value(sa, of_initiator, id, want))
        return false;
    return CRYPTO_memcmp(want, m->auth.data, sa->keys.prf_len) == 0;
}

static bool
keep(uint8_t **dst, size_t *dst_len, const uint8_t *msg, size_t len)
{
    uint8_t *copy = malloc(len);

    if (!copy)
        return false;
    memcpy(copy, msg, len);
    free(*dst);
    *dst = copy;
    *dst_len = len;
    return true;
}

static void
fresh_nonce(struct ike_sa *sa, uint8_t *nonce)
{
    ike_random(sa->node, nonce, NONCE_LEN);
}

static bool
new_dh(struct ike_sa *sa, struct ikev2_dh *dh)
{
    uint8_t seed[IKEV2_DH_SEED_LEN];

    ike_random(sa->node, seed, sizeof seed);
    enum ikev2_status st = ikev2_dh_generate(dh, sa->algs.dh, seed);
    OPENSSL_cleanse(seed, sizeof seed);
    return st == IKEV2_OK;
}

/* ----- IKE_SA_INIT ----- */

void
ikev2_start(struct ike_sa *sa)
{
    uint8_t buf[MIP6_MAX_PACKET];

    sa->algs = ike_algs(sa->node);
    sa->ni_len = NONCE_LEN;
    fresh_nonce(sa, sa->ni);
    if (!new_dh(sa, &sa->dh)) {
        ike_sa_delete(sa);
        return;
    }

    struct ikev2_msg *m = begin(sa, IKEV2_IKE_SA_INIT, 0, false);
    m->n_proposals = 1;
    ike_proposal(&m->proposals[0], &sa->algs);
    m->has_ke = true;
    m->ke.group = sa->dh.group;
    m->ke.len = sa->dh.public_len;
    memcpy(m->ke.data, sa->dh.public_value, sa->dh.public_len);
    m->has_nonce = true;
    m->nonce_len = sa->ni_len;
    memcpy(m->nonce, sa->ni, sa->ni_len);

    size_t len = finish(sa, m, buf, sizeof buf);
    if (!len || !keep(&sa->msg1, &sa->msg1_len, buf, len)) {
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
    struct ikev2_msg *m = begin(tmp, IKEV2_IKE_SA_INIT, 0, true);
    add_notify(m, type, 0, 0, data, data_len);
    size_t len = finish(tmp, m, buf, sizeof buf);
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
    struct ikev2_ike_algs algs = ike_algs(k);

    if (req->hdr.exchange != IKEV2_IKE_SA_INIT || req->hdr.message_id != 0)
        return REC_DROP_IKE_NO_SA;
    /* RFC 7296 §2.7: the responder picks one proposal it supports. */
    ike_proposal(&want, &algs);
    if (!pick(req, &want)) {
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
    fresh_nonce(sa, sa->nr);

    /* RFC 7296 §2.14: SKEYSEED from the nonces and the shared secret. */
    enum rec_drop why = REC_DROP_NONE;
    if (!new_dh(sa, &sa->dh) ||
        ikev2_dh_shared(&sa->dh, req->ke.data, req->ke.len, secret, &secret_len) != IKEV2_OK)
        why = REC_DROP_IKE_MALFORMED;
    else if (ikev2_derive_ike_keys(&sa->algs, NULL, sa->ni, sa->ni_len, sa->nr, sa->nr_len,
                                   sa->spi_i, sa->spi_r, secret, secret_len, &sa->keys) != IKEV2_OK)
        why = REC_DROP_CRYPTO_FAILED;
    OPENSSL_cleanse(secret, sizeof secret);
    if (why == REC_DROP_NONE && !keep(&sa->msg1, &sa->msg1_len, raw, raw_len))
        why = REC_DROP_SEND_FAILED;
    if (why != REC_DROP_NONE) {
        ike_sa_delete(sa);
        return why;
    }
    sa->keys_ready = true;

    struct ikev2_msg *m = begin(sa, IKEV2_IKE_SA_INIT, 0, true);
    m->n_proposals = 1;
    ike_proposal(&m->proposals[0], &sa->algs);
    m->has_ke = true;
    m->ke.group = sa->dh.group;
    m->ke.len = sa->dh.public_len;
    memcpy(m->ke.data, sa->dh.public_value, sa->dh.public_len);
    m->has_nonce = true;
    m->nonce_len = sa->nr_len;
    memcpy(m->nonce, sa->nr, sa->nr_len);
    size_t len = finish(sa, m, buf, sizeof buf);

    sa->state = IKE_HALF_OPEN;
    sa->peer_next_id = 1;
    if (!len || !keep(&sa->msg2, &sa->msg2_len, buf, len) || !ike_sa_index(sa)) {
        ike_sa_delete(sa);
        return REC_DROP_SEND_FAILED;
    }
    ike_send_response(sa, src, buf, len, ike_cost_dh(k));
    return REC_DROP_NONE;
}

/* Fill in the child SA request of an IKE_AUTH or CREATE_CHILD_SA. */
static void
child_request(struct ike_sa *sa, struct ikev2_msg *m, enum ike_child_kind kind)
{
    const struct mip6_ike_config *cfg = &sa->node->cfg;

    sa->request_kind = kind;
    sa->request_spi = ike_new_spi(sa->node);
    /* RFC 7296 §1.3.1: tunnel mode unless USE_TRANSPORT_MODE is agreed. */
    if (!ike_child_tunnel(kind))
        add_notify(m, IKEV2_N_USE_TRANSPORT_MODE, 0, 0, NULL, 0);
    m->n_proposals = 1;
    bool pfs = cfg->pfs && m->hdr.exchange == IKEV2_CREATE_CHILD_SA;
    esp_proposal(&m->proposals[0], sa->request_spi, cfg->esn, pfs ? sa->algs.dh : 0);
    set_ts(m, kind, sa);
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
    const struct ikev2_notify *error = find_error(r);
    if (error) {
        ike_record(k, REC_MOB_IKE_FAILED, sa->remote, error->type, IKEV2_IKE_SA_INIT);
        ike_sa_delete(sa);
        return REC_DROP_NONE;
    }
    ike_proposal(&want, &sa->algs);
    if (!pick(r, &want) || !r->has_ke || r->ke.group != sa->algs.dh || !r->has_nonce ||
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
    if (!keep(&sa->msg2, &sa->msg2_len, raw, raw_len) || !ike_sa_reindex(sa)) {
        ike_sa_delete(sa);
        return REC_DROP_NONE;
    }

    /* IKE_AUTH: who we are, proof of the key, and the BU/BA SAs. */
    struct ikev2_msg *m = begin(sa, IKEV2_IKE_AUTH, sa->next_request_id++, false);
    m->has_idi = true;
    set_id(&m->idi, sa);
    m->has_auth = true;
    m->auth.method = IKEV2_AUTH_PSK;
    m->auth.len = sa->keys.prf_len;
    if (!auth_value(sa, true, &m->idi, m->auth.data)) {
        ike_sa_delete(sa);
        return REC_DROP_CRYPTO_FAILED;
    }
    child_request(sa, m, IKE_CHILD_BU);
    size_t len = finish(sa, m, buf, sizeof buf);
    if (!len) {
        ike_sa_delete(sa);
        return REC_DROP_NONE;
    }
    sa->state = IKE_AUTH_SENT;
    ike_send_request(sa, IKE_REQ_AUTH, IKEV2_IKE_AUTH, buf, len, ike_cost_dh(k) + ike_cost_auth(k));
    return REC_DROP_NONE;
}

/* ----- child SAs at the responder ----- */

/*
 * Process the child SA part of an IKE_AUTH or CREATE_CHILD_SA request
 * into the response m.  old is the pair a rekey replaces, or NULL.
 * Returns REC_DROP_NONE, or a drop reason to record while the response
 * still carries the error notification.
 */
static enum rec_drop
respond_child(struct ike_sa *sa, const struct ikev2_msg *req, struct ikev2_msg *m,
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
        add_notify(m, IKEV2_N_TS_UNACCEPTABLE, 0, 0, NULL, 0);
        return REC_DROP_IKE_UNAUTHORIZED;
    }
    bool pfs = create && req->has_ke;
    esp_proposal(&want, 0, k->cfg.esn, pfs ? sa->algs.dh : 0);
    want.spi_len = 4;
    const struct ikev2_proposal *p = pick(req, &want);
    if (!p || (create && !req->has_nonce) || (pfs && req->ke.group != sa->algs.dh)) {
        add_notify(m, IKEV2_N_NO_PROPOSAL_CHOSEN, 0, 0, NULL, 0);
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
        fresh_nonce(sa, nonce);
        ni = req->nonce;
        ni_len = req->nonce_len;
        nr = nonce;
        nr_len = NONCE_LEN;
    }
    if (pfs && (!new_dh(sa, &dh) ||
                ikev2_dh_shared(&dh, req->ke.data, req->ke.len, secret, &secret_len) != IKEV2_OK)) {
        ikev2_dh_free(&dh);
        add_notify(m, IKEV2_N_INVALID_KE_PAYLOAD, 0, 0, NULL, 0);
        return REC_DROP_IKE_MALFORMED;
    }
    struct ikev2_child_keys keys;
    enum ikev2_status st = ikev2_derive_child_keys(
        sa->algs.prf, sa->keys.sk_d, sa->keys.prf_len, pfs ? secret : NULL, secret_len, ni, ni_len,
        nr, nr_len, CHILD_ENC_KEY_LEN, CHILD_AUTH_KEY_LEN, &keys);
    OPENSSL_cleanse(secret, sizeof secret);

    uint32_t spi_in = ike_new_spi(k);
    struct ike_child *c = st == IKEV2_OK ? ike_child_install(sa, (enum ike_child_kind)kind, spi_in,
                                                             proposal_spi(p), &keys)
                                         : NULL;
    OPENSSL_cleanse(&keys, sizeof keys);
    if (!c) {
        ikev2_dh_free(&dh);
        add_notify(m, IKEV2_N_TEMPORARY_FAILURE, 0, 0, NULL, 0);
        return REC_DROP_CRYPTO_FAILED;
    }
    if (old)
        old->replaced = true;

    if (!ike_child_tunnel(c->kind))
        add_notify(m, IKEV2_N_USE_TRANSPORT_MODE, 0, 0, NULL, 0);
    m->n_proposals = 1;
    esp_proposal(&m->proposals[0], spi_in, k->cfg.esn, pfs ? sa->algs.dh : 0);
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
        ok = auth_matches(sa, true, req, &req->idi);
    }
    struct ikev2_msg *m = begin(sa, IKEV2_IKE_AUTH, req->hdr.message_id, true);
    if (!ok) {
        /* RFC 7296 §2.21.2: an encrypted AUTHENTICATION_FAILED, sent at
         * once because the SA goes with it. */
        add_notify(m, IKEV2_N_AUTHENTICATION_FAILED, 0, 0, NULL, 0);
        size_t len = finish(sa, m, buf, sizeof buf);
        if (len)
            ike_send_response(sa, src, buf, len, 0);
        sa->peer = NULL;
        ike_sa_delete(sa);
        return REC_DROP_IKE_AUTH_FAILED;
    }

    sa->state = IKE_ESTABLISHED;
    sa->peer_next_id++;
    ike_peer_attach(peer, sa);
    ike_sa_reindex(sa);
    ike_record(k, REC_MOB_IKE_SA_UP, src, 2, (int64_t)(sim_now_ns() - sa->started_ns));

    m->has_idr = true;
    set_id(&m->idr, sa);
    m->has_auth = true;
    m->auth.method = IKEV2_AUTH_PSK;
    m->auth.len = sa->keys.prf_len;
    enum rec_drop why =
        auth_value(sa, false, &m->idr, m->auth.data) ? REC_DROP_NONE : REC_DROP_CRYPTO_FAILED;
    if (why == REC_DROP_NONE)
        why = respond_child(sa, req, m, NULL);
    size_t len = finish(sa, m, buf, sizeof buf);
    if (len)
        ike_send_response(sa, src, buf, len, ike_cost_auth(k));
    return why;
}

/* Install the pair a response agreed to; NULL when it refused. */
static struct ike_child *
accept_child(struct ike_sa *sa, const struct ikev2_msg *r)
{
    struct ike_node *k = sa->node;
    struct ikev2_proposal want;
    uint8_t secret[IKEV2_MAX_DH_SECRET];
    size_t secret_len = 0;
    bool create = r->hdr.exchange == IKEV2_CREATE_CHILD_SA;
    bool pfs = create && k->cfg.pfs;

    const struct ikev2_notify *error = find_error(r);
    if (error) {
        ike_record(k, REC_MOB_IKE_FAILED, sa->remote, error->type, r->hdr.exchange);
        return NULL;
    }
    esp_proposal(&want, 0, k->cfg.esn, pfs ? sa->algs.dh : 0);
    const struct ikev2_proposal *p = pick(r, &want);
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
                                                             proposal_spi(p), &keys)
                                         : NULL;
    OPENSSL_cleanse(&keys, sizeof keys);
    return c;
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

static enum rec_drop
auth_response(struct ike_sa *sa, const struct ikev2_msg *r)
{
    struct ike_node *k = sa->node;

    if (sa->state != IKE_AUTH_SENT || r->hdr.message_id != sa->request_id || !r->encrypted)
        return REC_DROP_IKE_UNEXPECTED;
    ike_request_done(sa);
    const struct ikev2_notify *failed = find_notify(r, IKEV2_N_AUTHENTICATION_FAILED);
    if (failed || !r->has_idr || !auth_matches(sa, false, r, &r->idr)) {
        ike_record(k, REC_MOB_IKE_FAILED, sa->remote, IKEV2_N_AUTHENTICATION_FAILED,
                   IKEV2_IKE_AUTH);
        ike_sa_delete(sa);
        return REC_DROP_IKE_AUTH_FAILED;
    }
    sa->state = IKE_ESTABLISHED;
    ike_record(k, REC_MOB_IKE_SA_UP, sa->remote, 2, (int64_t)(sim_now_ns() - sa->started_ns));

    /* The BU/BA pair comes with IKE_AUTH (RFC 4877 §4.4).  Without it the
     * mobile node cannot register, and the ike_failed event records why. */
    struct ike_child *c = accept_child(sa, r);
    sa->wanted &= ~(1u << IKE_CHILD_BU);
    if (c)
        child_ready(sa, IKE_CHILD_BU);
    ikev2_next_child(sa);
    return REC_DROP_NONE;
}

/* ----- CREATE_CHILD_SA and INFORMATIONAL, initiator ----- */

static void
send_child_request(struct ike_sa *sa, enum ike_child_kind kind, struct ike_child *old)
{
    uint8_t buf[MIP6_MAX_PACKET];
    struct ike_node *k = sa->node;

    struct ikev2_msg *m = begin(sa, IKEV2_CREATE_CHILD_SA, sa->next_request_id++, false);
    if (old) {
        /* RFC 7296 §1.3.3: REKEY_SA names the SPI the initiator receives on. */
        add_notify(m, IKEV2_N_REKEY_SA, IKEV2_PROTO_ESP, old->in->esp.spi, NULL, 0);
    }
    child_request(sa, m, kind);
    fresh_nonce(sa, sa->request_nonce);
    m->has_nonce = true;
    m->nonce_len = NONCE_LEN;
    memcpy(m->nonce, sa->request_nonce, NONCE_LEN);
    if (k->cfg.pfs) {
        ikev2_dh_free(&sa->request_dh);
        if (!new_dh(sa, &sa->request_dh))
            return;
        m->has_ke = true;
        m->ke.group = sa->request_dh.group;
        m->ke.len = sa->request_dh.public_len;
        memcpy(m->ke.data, sa->request_dh.public_value, sa->request_dh.public_len);
    }
    size_t len = finish(sa, m, buf, sizeof buf);
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

static void
send_delete(struct ike_sa *sa, struct ike_child *old)
{
    uint8_t buf[MIP6_MAX_PACKET];

    struct ikev2_msg *m = begin(sa, IKEV2_INFORMATIONAL, sa->next_request_id++, false);
    m->n_deletes = 1;
    if (old) {
        /* RFC 7296 §3.11: the SPIs of the sender's inbound SAs. */
        m->deletes[0].protocol = IKEV2_PROTO_ESP;
        m->deletes[0].n_spis = 1;
        m->deletes[0].spis[0] = old->in->esp.spi;
    } else {
        m->deletes[0].protocol = IKEV2_PROTO_IKE;
    }
    size_t len = finish(sa, m, buf, sizeof buf);
    if (!len)
        return;
    sa->request_old = old;
    ike_send_request(sa, old ? IKE_REQ_DELETE_CHILD : IKE_REQ_DELETE_IKE, IKEV2_INFORMATIONAL, buf,
                     len, 0);
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
    send_delete(sa, NULL);
}

void
ikev2_next_child(struct ike_sa *sa)
{
    struct ike_node *k = sa->node;

    if (sa->state != IKE_ESTABLISHED || sa->request != IKE_REQ_NONE)
        return;
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

static enum rec_drop
child_response(struct ike_sa *sa, const struct ikev2_msg *r)
{
    struct ike_node *k = sa->node;
    enum ike_request what = sa->request;
    struct ike_child *old = sa->request_old;

    if (r->hdr.message_id != sa->request_id || !r->encrypted ||
        (what != IKE_REQ_CREATE_CHILD && what != IKE_REQ_REKEY_CHILD))
        return REC_DROP_IKE_UNEXPECTED;
    ike_request_done(sa);

    struct ike_child *c = accept_child(sa, r);
    if (what == IKE_REQ_REKEY_CHILD) {
        if (old)
            old->rekeying = false;
        if (c && old) {
            old->replaced = true;
            ike_record(k, REC_MOB_REKEY_DONE, sa->remote, old->in->esp.spi, c->in->esp.spi);
            send_delete(sa, old);
            return REC_DROP_NONE;
        }
    } else if (c) {
        child_ready(sa, c->kind);
    } else {
        sa->wanted &= ~(1u << sa->request_kind);
    }
    ikev2_next_child(sa);
    return REC_DROP_NONE;
}

static enum rec_drop
informational_response(struct ike_sa *sa, const struct ikev2_msg *r)
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

static enum rec_drop
respond_create_child(struct ike_sa *sa, const struct ikev2_msg *req, const uint8_t src[16])
{
    uint8_t buf[MIP6_MAX_PACKET];
    struct ike_child *old = NULL;
    enum rec_drop why = REC_DROP_NONE;

    struct ikev2_msg *m = begin(sa, IKEV2_CREATE_CHILD_SA, req->hdr.message_id, true);
    const struct ikev2_notify *rekey = find_notify(req, IKEV2_N_REKEY_SA);
    if (rekey) {
        uint32_t spi = rekey->spi_len == 4
                           ? (uint32_t)rekey->spi[0] << 24 | (uint32_t)rekey->spi[1] << 16 |
                                 (uint32_t)rekey->spi[2] << 8 | rekey->spi[3]
                           : 0;
        /* The initiator's inbound SPI is this side's outbound one. */
        old = ike_child_by_spi(sa, spi, true);
        if (!old) {
            add_notify(m, IKEV2_N_CHILD_SA_NOT_FOUND, IKEV2_PROTO_ESP, spi, NULL, 0);
            why = REC_DROP_IKE_UNEXPECTED;
        }
    }
    if (why == REC_DROP_NONE)
        why = respond_child(sa, req, m, old);
    size_t len = finish(sa, m, buf, sizeof buf);
    if (len)
        ike_send_response(sa, src, buf, len, req->has_ke ? ike_cost_dh(sa->node) : 0);
    return why;
}

static enum rec_drop
respond_informational(struct ike_sa *sa, const struct ikev2_msg *req, const uint8_t src[16])
{
    uint8_t buf[MIP6_MAX_PACKET];
    bool delete_ike = false;

    struct ikev2_msg *m = begin(sa, IKEV2_INFORMATIONAL, req->hdr.message_id, true);
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
            ike_child_remove(c);
        }
    }
    size_t len = finish(sa, m, buf, sizeof buf);
    if (len)
        ike_send_response(sa, src, buf, len, 0);
    if (delete_ike)
        ike_sa_delete(sa);
    return REC_DROP_NONE;
}

enum rec_drop
ikev2_process(struct ike_node *k, struct ike_sa *sa, const uint8_t *raw, size_t raw_len,
              const struct ikev2_msg *msg, const uint8_t src[16], const uint8_t dst[16])
{
    uint8_t exchange = msg->hdr.exchange;

    if (!sa)
        return respond_init(k, raw, raw_len, msg, src, dst);

    if (!k->responder) {
        switch (exchange) {
        case IKEV2_IKE_SA_INIT:
            return init_response(sa, raw, raw_len, msg);
        case IKEV2_IKE_AUTH:
            return auth_response(sa, msg);
        case IKEV2_CREATE_CHILD_SA:
            return child_response(sa, msg);
        case IKEV2_INFORMATIONAL:
            return informational_response(sa, msg);
        default:
            return REC_DROP_IKE_UNEXPECTED;
        }
    }

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
        return respond_create_child(sa, msg, src);
    case IKEV2_INFORMATIONAL:
        return respond_informational(sa, msg, src);
    default:
        return REC_DROP_IKE_UNEXPECTED;
    }
}
