/*
 * ikev2_build.c - building and reading the payloads of the IKEv2
 * exchanges in model/ikev2.c and model/ikev2_child.c: proposals, Notify
 * payloads, traffic selectors, identities, AUTH values, nonces and
 * Diffie-Hellman values, and the encoding of a message for an IKE SA.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ikev2_int.h"
#include "sim.h"

/* The message being built.  The simulator runs one event at a time, so
 * one buffer serves every IKE SA. */
static struct ikev2_msg out_msg;

struct ikev2_ike_algs
ikev2_algs(const struct ike_node *k)
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

void
ikev2_ike_proposal(struct ikev2_proposal *p, const struct ikev2_ike_algs *a)
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
void
ikev2_esp_proposal(struct ikev2_proposal *p, uint32_t spi, bool esn, uint16_t dh)
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
const struct ikev2_proposal *
ikev2_pick(const struct ikev2_msg *m, const struct ikev2_proposal *want)
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

uint32_t
ikev2_proposal_spi(const struct ikev2_proposal *p)
{
    return (uint32_t)p->spi[0] << 24 | (uint32_t)p->spi[1] << 16 | (uint32_t)p->spi[2] << 8 |
           p->spi[3];
}

const struct ikev2_notify *
ikev2_find_notify(const struct ikev2_msg *m, uint16_t type)
{
    for (int i = 0; i < m->n_notifies; i++)
        if (m->notifies[i].type == type)
            return &m->notifies[i];
    return NULL;
}

/* The first Notify of an error type (RFC 7296 §3.10.1: types below 16384). */
const struct ikev2_notify *
ikev2_find_error(const struct ikev2_msg *m)
{
    for (int i = 0; i < m->n_notifies; i++)
        if (m->notifies[i].type < 16384)
            return &m->notifies[i];
    return NULL;
}

void
ikev2_add_notify(struct ikev2_msg *m, uint16_t type, uint8_t protocol, uint32_t spi,
                 const uint8_t *data, uint16_t len)
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
struct ikev2_msg *
ikev2_begin(const struct ike_sa *sa, uint8_t exchange, uint32_t id, bool response)
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
size_t
ikev2_finish(struct ike_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t cap)
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

void
ikev2_set_ts(struct ikev2_msg *m, enum ike_child_kind kind, const struct ike_sa *sa)
{
    m->n_tsi = 1;
    m->n_tsr = 1;
    ike_child_ts(kind, sa->peer->home_address, sa->node->home_agent, &m->tsi[0], &m->tsr[0]);
}

void
ikev2_set_id(struct ikev2_id *id, const struct ike_sa *sa)
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
/* The SignedOctets inputs of the initiator's or the responder's AUTH (RFC 7296 §2.15). */
struct signed_inputs {
    const uint8_t *first;
    size_t first_len;
    const uint8_t *nonce;
    size_t nonce_len;
    const uint8_t *sk_p;
};

static struct signed_inputs
signed_inputs(const struct ike_sa *sa, bool of_initiator)
{
    struct signed_inputs in = {
        .first = of_initiator ? sa->msg1 : sa->msg2,
        .first_len = of_initiator ? sa->msg1_len : sa->msg2_len,
        .nonce = of_initiator ? sa->nr : sa->ni,
        .nonce_len = of_initiator ? sa->nr_len : sa->ni_len,
        .sk_p = of_initiator ? sa->keys.sk_pi : sa->keys.sk_pr,
    };
    return in;
}

bool
ikev2_auth_value(const struct ike_sa *sa, bool of_initiator, const struct ikev2_id *id,
                 uint8_t out[IKEV2_MAX_PRF_LEN])
{
    struct signed_inputs in = signed_inputs(sa, of_initiator);

    return ikev2_psk_auth(sa->algs.prf, sa->peer->psk, sa->peer->psk_len, in.first, in.first_len,
                          in.nonce, in.nonce_len, in.sk_p, sa->keys.prf_len, id, out) == IKEV2_OK;
}

bool
ikev2_make_auth(const struct ike_sa *sa, const struct ikev2_id *id, struct ikev2_auth *auth)
{
    struct signed_inputs in = signed_inputs(sa, sa->initiator);

    if (sa->node->cfg.auth == MIP6_IKE_AUTH_ED25519)
        return ikev2_sig_auth(sa->algs.prf, sa->node->sign_seed, in.first, in.first_len, in.nonce,
                              in.nonce_len, in.sk_p, sa->keys.prf_len, id, auth) == IKEV2_OK;
    auth->method = IKEV2_AUTH_PSK;
    auth->len = sa->keys.prf_len;
    return ikev2_auth_value(sa, sa->initiator, id, auth->data);
}

bool
ikev2_auth_matches(const struct ike_sa *sa, bool of_initiator, const struct ikev2_msg *m,
                   const struct ikev2_id *id)
{
    uint8_t want[IKEV2_MAX_PRF_LEN];

    if (!m->has_auth)
        return false;
    /* The method must be the one configured: a peer cannot fall back to
     * a shared key where signatures are required, or the other way. */
    if (sa->node->cfg.auth == MIP6_IKE_AUTH_ED25519) {
        struct signed_inputs in = signed_inputs(sa, of_initiator);
        return ikev2_sig_verify(sa->algs.prf, sa->peer->sign_public, in.first, in.first_len,
                                in.nonce, in.nonce_len, in.sk_p, sa->keys.prf_len, id, &m->auth);
    }
    if (m->auth.method != IKEV2_AUTH_PSK || m->auth.len != sa->keys.prf_len ||
        !ikev2_auth_value(sa, of_initiator, id, want))
        return false;
    return CRYPTO_memcmp(want, m->auth.data, sa->keys.prf_len) == 0;
}

bool
ikev2_keep(uint8_t **dst, size_t *dst_len, const uint8_t *msg, size_t len)
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

void
ikev2_fresh_nonce(struct ike_sa *sa, uint8_t *nonce)
{
    ike_random(sa->node, nonce, NONCE_LEN);
}

bool
ikev2_new_dh(struct ike_sa *sa, struct ikev2_dh *dh)
{
    uint8_t seed[IKEV2_DH_SEED_LEN];

    ike_random(sa->node, seed, sizeof seed);
    enum ikev2_status st = ikev2_dh_generate(dh, sa->algs.dh, seed);
    OPENSSL_cleanse(seed, sizeof seed);
    return st == IKEV2_OK;
}

/* Fill in the child SA request of an IKE_AUTH or CREATE_CHILD_SA. */
void
ikev2_child_request(struct ike_sa *sa, struct ikev2_msg *m, enum ike_child_kind kind)
{
    const struct mip6_ike_config *cfg = &sa->node->cfg;

    sa->request_kind = kind;
    sa->request_spi = ike_new_spi(sa->node);
    /* RFC 7296 §1.3.1: tunnel mode unless USE_TRANSPORT_MODE is agreed. */
    if (!ike_child_tunnel(kind))
        ikev2_add_notify(m, IKEV2_N_USE_TRANSPORT_MODE, 0, 0, NULL, 0);
    m->n_proposals = 1;
    bool pfs = cfg->pfs && m->hdr.exchange == IKEV2_CREATE_CHILD_SA;
    ikev2_esp_proposal(&m->proposals[0], sa->request_spi, cfg->esn, pfs ? sa->algs.dh : 0);
    ikev2_set_ts(m, kind, sa);
}
