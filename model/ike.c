/*
 * ike.c - the key management of a node.  It keeps the IKE SAs, sends and
 * receives UDP port 500, retransmits requests (RFC 7296 §2.1), delays each
 * message by its computation cost, and follows the mobile node's moves
 * (RFC 3776 §6.19, RFC 6275 §10.3.1 and §11.7.1).  The exchanges are in
 * model/ikev2.c for IKEv2 and model/ikev1.c for IKEv1, and the child SAs
 * in model/ike_child.c.
 */
#include "ike.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "sim.h"

#define UDP_HEADER_LEN 8
#define IKE_VERSION_OFFSET 17
#define NS_PER_S 1000000000ull

/* RFC 7296 §2.1 leaves the retransmission timers to implementations; a
 * handoff study needs them short, so the default starts at 1 s. */
#define DEFAULT_RETRANSMIT_NS NS_PER_S
#define DEFAULT_RETRANSMIT_TRIES 5
#define DEFAULT_REPLAY_WINDOW 64  /* RFC 4303 §3.4.3: 64 SHOULD be the default */
#define DEFAULT_SEQ_MARGIN 65536u /* sequence numbers left when the rekey starts */

void
mip6_ike_config_default(struct mip6_ike_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->keying = MIP6_KEYING_MANUAL;
    cfg->tunnel = MIP6_TUNNEL_ESP_RR;
    cfg->k_bit = true;
    cfg->dh_group = IKEV2_DH_CURVE25519;
    cfg->seq_margin = DEFAULT_SEQ_MARGIN;
    cfg->replay_window = DEFAULT_REPLAY_WINDOW;
    cfg->retransmit_timeout_ns = DEFAULT_RETRANSMIT_NS;
    cfg->retransmit_tries = DEFAULT_RETRANSMIT_TRIES;
    cfg->dh_cost_ns = MIP6_IKE_COST_FROM_TABLE;
    cfg->auth_cost_ns = MIP6_IKE_COST_FROM_TABLE;
}

/* ----- small services ----- */

int
ike_version(const struct ike_node *k)
{
    return k->cfg.keying == MIP6_KEYING_IKEV1 ? 1 : 2;
}

const char *
ike_keying_name(const struct ike_node *k)
{
    return ike_version(k) == 1 ? "ikev1" : "ikev2";
}

void
ike_rekey_child(struct ike_child *c)
{
    if (ike_version(c->ike->node) == 1)
        ikev1_rekey_child(c);
    else
        ikev2_rekey_child(c);
}

void
ike_notify_expired(struct ike_sa *sa, uint32_t spi_in)
{
    if (ike_version(sa->node) == 1)
        ikev1_delete_spi(sa, spi_in);
    else
        ikev2_delete_spi(sa, spi_in);
}

void
ike_next_child(struct ike_sa *sa)
{
    if (ike_version(sa->node) == 1)
        ikev1_next_child(sa);
    else
        ikev2_next_child(sa);
}

void
ike_record(struct ike_node *k, enum rec_mob kind, const uint8_t *addr, int64_t value,
           int64_t value2)
{
    rec_mobility(k->node->rec, sim_now_ns(), k->node->id, k->ifindex, kind, addr, value, value2);
}

void
ike_random(struct ike_node *k, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i += 4) {
        uint32_t r = sim_random_u32(k->node->id);
        for (size_t j = 0; j < 4 && i + j < n; j++)
            out[i + j] = (uint8_t)(r >> (8 * j));
    }
}

static const struct mip6_cost_table *
cost_table(const struct ike_node *k)
{
    return k->node->costs ? k->node->costs : &mip6_cost_defaults;
}

uint64_t
ike_delay(const struct ike_node *k, uint64_t cost_ns)
{
    struct mip6_node *n = k->node;
    return n->cpu_model ? mip6_cpu_submit(&n->cpu, sim_now_ns(), cost_ns) : cost_ns;
}

uint64_t
ike_cost_dh(const struct ike_node *k)
{
    uint64_t keygen = 0, shared = 0;

    if (k->cfg.dh_cost_ns != MIP6_IKE_COST_FROM_TABLE)
        return k->cfg.dh_cost_ns;
    mip6_cost_dh_keygen_ns(cost_table(k), k->cfg.dh_group, &keygen);
    mip6_cost_dh_shared_ns(cost_table(k), k->cfg.dh_group, &shared);
    return keygen + shared;
}

/* A typical IKE_SA_INIT message, nonce and ID payload, for the AUTH cost. */
#define AUTH_FIRST_MSG_LEN 240
#define AUTH_NONCE_LEN 32
#define AUTH_ID_BODY_LEN 24

uint64_t
ike_cost_auth(const struct ike_node *k)
{
    uint64_t ns = 0;

    if (k->cfg.auth_cost_ns != MIP6_IKE_COST_FROM_TABLE)
        return k->cfg.auth_cost_ns;
    if (k->cfg.auth == MIP6_IKE_AUTH_ED25519)
        return mip6_cost_sign_ns(cost_table(k), MIP6_COST_ED25519) +
               mip6_cost_verify_ns(cost_table(k), MIP6_COST_ED25519);
    /* The shared key: this end's AUTH value and the check of the peer's. */
    mip6_cost_psk_auth_ns(cost_table(k), IKEV2_PRF_HMAC_SHA2_256, AUTH_FIRST_MSG_LEN,
                          AUTH_NONCE_LEN, AUTH_ID_BODY_LEN, &ns);
    return 2 * ns;
}

static void
spi_key(uint8_t key[16], uint64_t spi_i, uint64_t spi_r)
{
    for (int i = 0; i < 8; i++) {
        key[i] = (uint8_t)(spi_i >> (56 - 8 * i));
        key[8 + i] = (uint8_t)(spi_r >> (56 - 8 * i));
    }
}

static void
write_hex(FILE *f, const uint8_t *bytes, size_t len)
{
    for (size_t i = 0; i < len; i++)
        fprintf(f, "%02x", bytes[i]);
}

void
ike_log_keys(const struct ike_sa *sa)
{
    const char *path = sa->node->ike_key_log;
    FILE *f = path ? fopen(path, "a") : NULL;
    uint8_t spis[16];

    if (!f)
        return;
    if (sa->v1) {
        /* Wireshark 4.0's ikev1_decryption_table: the initiator cookie and
         * the encryption key, in unquoted hex, separated by a comma. */
        fprintf(f, "%016llx,", (unsigned long long)sa->spi_i);
        write_hex(f, sa->v1->keys.enc_key, sa->v1->keys.enc_key_len);
        fputc('\n', f);
        fclose(f);
        return;
    }
    spi_key(spis, sa->spi_i, sa->spi_r);
    /* Wireshark 4.0's ikev2_decryption_table: SPIi, SPIr, SK_ei, SK_er,
     * encryption, SK_ai, SK_ar, integrity, with bare hex bytes.  The
     * model's IKE SAs always use AES-CBC-128 and HMAC-SHA2-256-128. */
    const struct ikev2_ike_keys *k = &sa->keys;
    write_hex(f, spis, 8);
    fputc(',', f);
    write_hex(f, spis + 8, 8);
    fputc(',', f);
    write_hex(f, k->initiator.enc_key, k->initiator.enc_key_len);
    fputc(',', f);
    write_hex(f, k->responder.enc_key, k->responder.enc_key_len);
    fputs(",\"AES-CBC-128 [RFC3602]\",", f);
    write_hex(f, k->initiator.auth_key, k->initiator.auth_key_len);
    fputc(',', f);
    write_hex(f, k->responder.auth_key, k->responder.auth_key_len);
    fputs(",\"HMAC_SHA2_256_128 [RFC4868]\"\n", f);
    fclose(f);
}

/* ----- output ----- */

/* Put msg into a UDP datagram from port 500 to port 500 and send it. */
static void
send_datagram(struct ike_sa *sa, const uint8_t to[16], const uint8_t *msg, size_t len)
{
    struct ike_node *k = sa->node;
    uint8_t buf[MIP6_MAX_PACKET];
    struct wr w = wr_init(buf, sizeof buf);
    uint64_t uid = 0;

    wr_u16(&w, IKEV2_PORT);
    wr_u16(&w, IKEV2_PORT);
    wr_u16(&w, (uint16_t)(UDP_HEADER_LEN + len));
    wr_u16(&w, 0);
    wr_bytes(&w, msg, len);
    if (!wr_ok(&w) || UDP_HEADER_LEN + len > UINT16_MAX) {
        mip6_record_built(k->node, k->ifindex, REC_DROP, sa->local, to, IP6_NH_UDP, buf,
                          w.pos < sizeof buf ? w.pos : sizeof buf, 0, 0, REC_DROP_SEND_FAILED);
        return;
    }
    /* RFC 8200 §8.1: the UDP checksum is mandatory over IPv6, and a
     * computed 0 is sent as 0xffff (RFC 768). */
    uint16_t sum = ip6_checksum(sa->local, to, IP6_NH_UDP, buf, w.pos);
    if (sum == 0)
        sum = 0xffff;
    buf[6] = (uint8_t)(sum >> 8);
    buf[7] = (uint8_t)sum;

    /* RFC 3776 §4.4: from the care-of address, without a Home Address
     * option, so that IKE needs no binding. */
    uint32_t ifindex = k->responder ? SIM_IFINDEX_ANY : k->ifindex;
    if (sim_ipv6_send(k->node->id, ifindex, sa->local, to, IP6_NH_UDP, buf, w.pos, &uid) != SIM_OK)
        mip6_record_built(k->node, k->ifindex, REC_DROP, sa->local, to, IP6_NH_UDP, buf, w.pos, 0,
                          0, REC_DROP_SEND_FAILED);
}

/* Read the exchange type and message id back from an encoded message. */
static void
header_fields(const uint8_t *msg, size_t len, uint8_t *exchange, uint32_t *id)
{
    struct ikev2_header h = {0};
    (void)ikev2_read_header(msg, len, &h);
    *exchange = h.exchange;
    *id = h.message_id;
}

static void
transmit_request(struct ike_sa *sa)
{
    send_datagram(sa, sa->remote, sa->request_msg, sa->request_len);
    ike_record(sa->node, sa->tries ? REC_MOB_IKE_RETRANSMIT : REC_MOB_IKE_REQUEST_SENT, sa->remote,
               sa->request_exchange, sa->tries ? sa->tries : sa->request_id);
    /* Exponential back-off from the configured first timeout. */
    uint64_t timeout = sa->node->cfg.retransmit_timeout_ns << (sa->tries < 16 ? sa->tries : 16);
    mip6_timer_start(&sa->retransmit, timeout);
}

static void
transmit_response(struct ike_sa *sa)
{
    uint8_t exchange;
    uint32_t id;

    header_fields(sa->response_msg, sa->response_len, &exchange, &id);
    send_datagram(sa, sa->response_to, sa->response_msg, sa->response_len);
    /* IKEv2 marks responses with the Response flag (RFC 7296 §3.1).  IKEv1
     * messages have none: an initiator's message is recorded as a
     * request, even when it needs no reply. */
    bool request = sa->initiator;
    if (sa->response_len > IKE_VERSION_OFFSET + 2 && sa->response_msg[IKE_VERSION_OFFSET] >> 4 == 2)
        request = !(sa->response_msg[IKE_VERSION_OFFSET + 2] & IKEV2_FLAG_RESPONSE);
    ike_record(sa->node, request ? REC_MOB_IKE_REQUEST_SENT : REC_MOB_IKE_RESPONSE_SENT,
               sa->response_to, exchange, id);
}

/* The computation delay of the last message is over: send it. */
static void
compute_done(void *owner)
{
    struct ike_sa *sa = owner;

    if (sa->initiator)
        transmit_request(sa);
    else
        transmit_response(sa);
}

static bool
keep_copy(uint8_t **dst, size_t *dst_len, const uint8_t *msg, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);

    if (!copy)
        return false;
    memcpy(copy, msg, len);
    free(*dst);
    *dst = copy;
    *dst_len = len;
    return true;
}

void
ike_send_request(struct ike_sa *sa, enum ike_request what, uint8_t exchange, const uint8_t *msg,
                 size_t len, uint64_t delay_ns)
{
    if (!keep_copy(&sa->request_msg, &sa->request_len, msg, len))
        return;
    sa->request = what;
    sa->request_exchange = exchange;
    header_fields(msg, len, &exchange, &sa->request_id);
    sa->tries = 0;
    mip6_timer_stop(&sa->retransmit);
    if (delay_ns)
        mip6_timer_start(&sa->compute, delay_ns);
    else
        transmit_request(sa);
}

void
ike_send_response(struct ike_sa *sa, const uint8_t to[16], const uint8_t *msg, size_t len,
                  uint64_t delay_ns)
{
    if (!keep_copy(&sa->response_msg, &sa->response_len, msg, len))
        return;
    memcpy(sa->response_to, to, 16);
    if (delay_ns)
        mip6_timer_start(&sa->compute, delay_ns);
    else
        transmit_response(sa);
}

void
ike_send_once(struct ike_sa *sa, const uint8_t to[16], const uint8_t *msg, size_t len)
{
    uint8_t exchange;
    uint32_t id;

    header_fields(msg, len, &exchange, &id);
    send_datagram(sa, to, msg, len);
    ike_record(sa->node, REC_MOB_IKE_REQUEST_SENT, to, exchange, id);
}

void
ike_resend_response(struct ike_sa *sa, const uint8_t to[16])
{
    /* A response still being computed goes out when it is ready. */
    if (!sa->response_msg || mip6_timer_armed(&sa->compute))
        return;
    memcpy(sa->response_to, to, 16);
    transmit_response(sa);
}

void
ike_request_done(struct ike_sa *sa)
{
    sa->request = IKE_REQ_NONE;
    mip6_timer_stop(&sa->retransmit);
    free(sa->request_msg);
    sa->request_msg = NULL;
    sa->request_len = 0;
}

static void
retransmit(void *owner)
{
    struct ike_sa *sa = owner;

    if (sa->request == IKE_REQ_NONE)
        return;
    if (sa->tries >= sa->node->cfg.retransmit_tries) {
        /* RFC 7296 §2.4: a peer that does not respond is gone, and so is the IKE SA. */
        ike_record(sa->node, REC_MOB_IKE_FAILED, sa->remote, 0, sa->request_exchange);
        ike_sa_delete(sa);
        return;
    }
    sa->tries++;
    transmit_request(sa);
}

/* ----- IKE SAs ----- */

/* The IKE SA's soft lifetime ended (the initiator rekeys it), or a
 * half-open one timed out. */
static void
ike_lifetime_expired(void *owner)
{
    struct ike_sa *sa = owner;

    /* A responder's IKE SA that never got its IKE_AUTH is dropped once the
     * initiator would have given up retransmitting. */
    if (sa->state == IKE_HALF_OPEN) {
        ike_sa_delete(sa);
        return;
    }
    if (ike_version(sa->node) == 2)
        ikev2_rekey_ike(sa);
    else
        ike_replace_isakmp(sa);
}

struct ike_sa *
ike_sa_new(struct ike_node *k, bool initiator, const uint8_t local[16], const uint8_t remote[16])
{
    struct ike_sa *sa = calloc(1, sizeof *sa);

    if (!sa)
        return NULL;
    sa->node = k;
    sa->initiator = initiator;
    memcpy(sa->local, local, 16);
    memcpy(sa->remote, remote, 16);
    sa->started_ns = sim_now_ns();
    mip6_timer_init(&sa->retransmit, k->node->id, retransmit, sa);
    mip6_timer_init(&sa->compute, k->node->id, compute_done, sa);
    mip6_timer_init(&sa->lifetime, k->node->id, ike_lifetime_expired, sa);
    do
        ike_random(k, (uint8_t *)&sa->spi_i, sizeof sa->spi_i);
    while (sa->spi_i == 0);
    if (!initiator)
        sa->spi_i = 0; /* set from the request */
    return sa;
}

struct ike_sa *
ike_sa_find(const struct ike_node *k, uint64_t spi_i, uint64_t spi_r)
{
    uint8_t key[16];

    spi_key(key, spi_i, spi_r);
    return addrmap_get(&k->by_spi, key);
}

bool
ike_sa_index(struct ike_sa *sa)
{
    uint8_t key[16];
    struct ike_node *k = sa->node;

    spi_key(key, sa->spi_i, sa->spi_r);
    if (!addrmap_put(&k->by_spi, key, sa))
        return false;
    /* The responder also finds a half-open SA by SPIi alone, to respond to
     * a retransmitted IKE_SA_INIT request (RFC 7296 §2.1). */
    if (!sa->initiator && sa->state == IKE_HALF_OPEN) {
        spi_key(key, sa->spi_i, 0);
        return addrmap_put(&k->by_spi, key, sa);
    }
    return true;
}

static void unindex(struct ike_sa *sa);

bool
ike_sa_reindex(struct ike_sa *sa)
{
    unindex(sa);
    return ike_sa_index(sa);
}

static void
unindex(struct ike_sa *sa)
{
    uint8_t key[16];
    struct ike_node *k = sa->node;

    spi_key(key, sa->spi_i, sa->spi_r);
    if (addrmap_get(&k->by_spi, key) == sa)
        addrmap_remove(&k->by_spi, key);
    spi_key(key, sa->spi_i, 0);
    if (addrmap_get(&k->by_spi, key) == sa)
        addrmap_remove(&k->by_spi, key);
}

void
ike_sa_delete(struct ike_sa *sa)
{
    struct ike_node *k = sa->node;

    for (int i = 0; i < IKE_MAX_CHILDREN; i++)
        if (sa->children[i].used)
            ike_child_remove(&sa->children[i]);
    /* The old half of a rekeyed IKE SA goes without an ike_sa_down: the
     * IKE SA lives on under its new keys. */
    if (sa->state == IKE_ESTABLISHED && !sa->rekeyed)
        ike_record(k, REC_MOB_IKE_SA_DOWN, sa->remote, ike_version(k), 0);
    unindex(sa);
    if (sa->rekey_twin)
        sa->rekey_twin->rekey_twin = NULL;
    if (sa->peer && sa->peer->current == sa)
        sa->peer->current = NULL;
    if (sa->peer && sa->peer->old == sa)
        sa->peer->old = NULL;

    mip6_timer_release(&sa->retransmit);
    mip6_timer_release(&sa->compute);
    mip6_timer_release(&sa->lifetime);
    ikev1_free(sa);
    ikev2_dh_free(&sa->dh);
    ikev2_dh_free(&sa->request_dh);
    free(sa->msg1);
    free(sa->msg2);
    free(sa->request_msg);
    free(sa->response_msg);
    OPENSSL_cleanse(sa, sizeof *sa);
    free(sa);
}

struct ike_peer *
ike_peer_for_home(const struct ike_node *k, const uint8_t home_address[16])
{
    return addrmap_get(&k->by_home, home_address);
}

void
ike_peer_attach(struct ike_peer *peer, struct ike_sa *sa)
{
    if (peer->current == sa)
        return;
    /* RFC 7296 §2.18: the mobile node deletes the old half of a rekeyed IKE SA as soon as the
     * rekey response reaches it.  Here a new IKE SA comes from it while the old half still
     * exists and the new keys have carried no request.  So the response never arrived (the
     * node moved without the K bit), and the rekeyed IKE SA goes with its pairs. */
    struct ike_sa *cur = peer->current;
    if (cur && !cur->initiator && cur->rekey_twin && cur->rekey_twin->rekeyed &&
        cur->peer_next_id == 0)
        ike_sa_delete(cur);
    /* A third IKE SA for one mobile node: the oldest goes. */
    if (peer->old)
        ike_sa_delete(peer->old);
    peer->old = peer->current;
    peer->current = sa;
    sa->peer = peer;
}

/* ----- input ----- */

/* Drop an IKE datagram and record why. */
static void
drop(struct ike_node *k, uint32_t ifindex, const uint8_t *pkt, size_t len, uint64_t uid,
     enum rec_drop why)
{
    mip6_record_drop(k->node, ifindex, pkt, len, uid, why);
}

static struct ike_sa *
find_sa(struct ike_node *k, const struct ikev2_header *h)
{
    uint8_t key[16];
    bool response = h->flags & IKEV2_FLAG_RESPONSE;

    /* The first response carries the responder's new SPI, which the
     * initiator does not know yet. */
    if (!k->responder && response && h->exchange == IKEV2_IKE_SA_INIT) {
        spi_key(key, h->spi_i, 0);
        return addrmap_get(&k->by_spi, key);
    }
    spi_key(key, h->spi_i, h->spi_r);
    return addrmap_get(&k->by_spi, key);
}

bool
ike_receive(struct ike_node *k, uint32_t ifindex, const uint8_t *pkt, size_t len, uint64_t uid,
            const struct ip6_packet *p)
{
    if (!k || p->upper_proto != IP6_NH_UDP || p->upper_len < UDP_HEADER_LEN)
        return false;
    const uint8_t *udp = pkt + p->upper_offset;
    if ((udp[2] << 8 | udp[3]) != IKEV2_PORT)
        return false;

    /* The UDP length must fit the packet, and the checksum must verify
     * (RFC 8200 §8.1). */
    size_t udp_len = (size_t)(udp[4] << 8 | udp[5]);
    if (udp_len < UDP_HEADER_LEN || udp_len > p->upper_len ||
        ip6_checksum(p->hdr.src, p->hdr.dst, IP6_NH_UDP, udp, udp_len) != 0) {
        drop(k, ifindex, pkt, len, uid, REC_DROP_MALFORMED);
        return true;
    }
    const uint8_t *msg = udp + UDP_HEADER_LEN;
    size_t msg_len = udp_len - UDP_HEADER_LEN;

    /* The version is byte 17 in both ISAKMP (RFC 2408 §3.1) and IKEv2
     * (RFC 7296 §3.1).  A node runs the one version its keying names. */
    int major = msg_len > IKE_VERSION_OFFSET ? msg[IKE_VERSION_OFFSET] >> 4 : 0;
    if ((major == 1 || major == 2) && major != ike_version(k)) {
        drop(k, ifindex, pkt, len, uid, REC_DROP_IKE_NO_PROPOSAL);
        return true;
    }
    if (ike_version(k) == 1) {
        enum rec_drop why = ikev1_receive(k, msg, msg_len, p->hdr.src, p->hdr.dst);
        if (why != REC_DROP_NONE)
            drop(k, ifindex, pkt, len, uid, why);
        return true;
    }

    struct ikev2_header h;
    if (ikev2_read_header(msg, msg_len, &h) != IKEV2_OK) {
        drop(k, ifindex, pkt, len, uid, REC_DROP_IKE_MALFORMED);
        return true;
    }
    /* Either end may send requests: the home agent sends one only to
     * delete a pair that reached its hard limit (ikev2_process checks). */
    bool response = h.flags & IKEV2_FLAG_RESPONSE;

    struct ike_sa *sa = NULL;
    if (k->responder && h.exchange == IKEV2_IKE_SA_INIT && h.spi_r == 0) {
        uint8_t key[16];
        spi_key(key, h.spi_i, 0);
        sa = addrmap_get(&k->by_spi, key);
        if (sa) {
            /* A retransmitted IKE_SA_INIT request. */
            ike_resend_response(sa, p->hdr.src);
            return true;
        }
    } else {
        sa = find_sa(k, &h);
        if (!sa) {
            drop(k, ifindex, pkt, len, uid, REC_DROP_IKE_NO_SA);
            return true;
        }
    }

    /* Messages from the initiator are protected with SK_ei/SK_ai, and
     * those from the responder with SK_er/SK_ar (RFC 7296 §2.14). */
    const struct ikev2_sk_keys *keys = NULL;
    if (sa && sa->keys_ready)
        keys = k->responder ? &sa->keys.initiator : &sa->keys.responder;
    enum ikev2_status st = ikev2_decode(msg, msg_len, keys, k->scratch);
    if (st != IKEV2_OK) {
        drop(k, ifindex, pkt, len, uid,
             st == IKEV2_ICV_MISMATCH ? REC_DROP_IKE_ICV : REC_DROP_IKE_MALFORMED);
        return true;
    }
    ike_record(k, response ? REC_MOB_IKE_RESPONSE_RECEIVED : REC_MOB_IKE_REQUEST_RECEIVED,
               p->hdr.src, h.exchange, h.message_id);
    enum rec_drop why = ikev2_process(k, sa, msg, msg_len, k->scratch, p->hdr.src, p->hdr.dst);
    if (why != REC_DROP_NONE)
        drop(k, ifindex, pkt, len, uid, why);
    return true;
}

/* ----- the mobile node's side ----- */

bool
ike_child_ready(const struct ike_node *k, enum ike_child_kind kind)
{
    const struct ike_sa *sas[2] = {k->self.current, k->self.old};

    for (int s = 0; s < 2; s++) {
        if (!sas[s] || sas[s]->state != IKE_ESTABLISHED)
            continue;
        for (int i = 0; i < IKE_MAX_CHILDREN; i++)
            if (sas[s]->children[i].used && sas[s]->children[i].kind == kind)
                return true;
    }
    return false;
}

/* Start a new IKE SA from local; it becomes the current one. */
static void
start_sa(struct ike_node *k, const uint8_t local[16])
{
    struct ike_sa *sa = ike_sa_new(k, true, local, k->home_agent);

    if (!sa)
        return;
    sa->wanted = ike_child_kinds(k);
    sa->peer = &k->self;
    /* Without an old IKE SA kept for make-before-break, this one is the
     * only IKE SA the mobile node has with its home agent. */
    sa->initial_contact = k->self.old == NULL;
    k->self.current = sa;
    if (!ike_sa_index(sa)) {
        ike_sa_delete(sa);
        return;
    }
    if (ike_version(k) == 1)
        ikev1_start(sa);
    else
        ikev2_start(sa);
}

void
ike_start(struct ike_node *k, const uint8_t local[16])
{
    struct ike_sa *sa = k->self.current;

    /* An established IKE SA bound to an address the mobile node has left
     * cannot reach it any more.  With the K bit the mobile node moves it
     * as it sends the BU (RFC 6275 §11.7.1); without it a new IKE SA
     * comes from the new address (RFC 3776 §6.19 step 9). */
    if (sa && sa->state == IKE_ESTABLISHED && memcmp(sa->local, local, 16) != 0) {
        if (k->cfg.k_bit) {
            memcpy(sa->local, local, 16);
            ike_record(k, REC_MOB_IKE_SA_MOVED, local, ike_version(k), 0);
        } else {
            ike_moved(k, local, false);
            return;
        }
    }
    /* An exchange that started from an address the node has left cannot
     * finish: start again from the new one. */
    if (sa && sa->state != IKE_ESTABLISHED && memcmp(sa->local, local, 16) != 0) {
        ike_sa_delete(sa);
        sa = NULL;
    }
    /* One IKE SA at a time: a pending or established one serves. */
    if (k->self.current) {
        ike_next_child(k->self.current);
        return;
    }
    start_sa(k, local);
}

/*
 * Start a new IKE SA from local in place of the current one.  The old SA's
 * children keep traffic going until the new ones exist, then the old IKE SA
 * is deleted (ikev1_next_child, ikev2_next_child).
 */
static void
replace_sa(struct ike_node *k, const uint8_t local[16])
{
    struct ike_sa *sa = k->self.current;

    if (k->self.old)
        ike_sa_delete(k->self.old);
    if (sa->state == IKE_ESTABLISHED)
        k->self.old = sa;
    else
        ike_sa_delete(sa);
    k->self.current = NULL;
    start_sa(k, local);
}

void
ike_moved(struct ike_node *k, const uint8_t local[16], bool k_negotiated)
{
    struct ike_sa *sa = k->self.current;

    if (!sa || memcmp(sa->local, local, 16) == 0)
        return;
    if (k_negotiated && sa->state == IKE_ESTABLISHED) {
        /* RFC 6275 §11.7.1: with the K bit in BU and BA, the IKE SA moves
         * to the new care-of address. */
        memcpy(sa->local, local, 16);
        ike_record(k, REC_MOB_IKE_SA_MOVED, local, ike_version(k), 0);
        return;
    }
    /* RFC 3776 §6.19 step 9: without it, a new IKE SA from the new
     * address replaces the old one. */
    replace_sa(k, local);
}

void
ike_replace_isakmp(struct ike_sa *sa)
{
    struct ike_node *k = sa->node;

    if (!sa->initiator || sa != k->self.current || sa->state != IKE_ESTABLISHED)
        return;
    /* One exchange at a time: ikev1_next_child comes back here when the
     * outstanding one ends. */
    if (sa->request != IKE_REQ_NONE) {
        sa->ike_rekey_wanted = true;
        return;
    }
    sa->ike_rekey_wanted = false;
    uint64_t old_spi_i = sa->spi_i;
    replace_sa(k, sa->local);
    if (k->self.current)
        k->self.current->replaces_spi_i = old_spi_i;
}

/* ----- the home agent's side ----- */

void
ike_peer_moved(struct ike_node *k, const uint8_t home_address[16], const uint8_t care_of[16])
{
    struct ike_peer *peer = ike_peer_for_home(k, home_address);
    struct ike_sa *sa = peer ? peer->current : NULL;

    /* RFC 6275 §10.3.1: with the K bit the home agent moves the IKE SA to
     * the care-of address of the accepted BU. */
    if (!sa || memcmp(sa->remote, care_of, 16) == 0)
        return;
    memcpy(sa->remote, care_of, 16);
    ike_record(k, REC_MOB_IKE_SA_MOVED, care_of, ike_version(k), 0);
}

struct ike_peer *
ike_pad_find(const struct ike_node *k, const uint8_t *identity, size_t len)
{
    /* NOTE: a linear search per IKE_AUTH; fine for a thousand mobile
     * nodes, each authenticating a few times per run. */
    for (size_t i = 0; i < k->n_peers; i++)
        if (strlen(k->peers[i]->identity) == len &&
            memcmp(k->peers[i]->identity, identity, len) == 0)
            return k->peers[i];
    return NULL;
}

struct ike_peer *
ike_pad_add(struct ike_node *k, const char *identity, const uint8_t *psk, size_t psk_len,
            const uint8_t home_address[16], char *err, size_t err_len)
{
    if (ike_pad_find(k, (const uint8_t *)identity, strlen(identity))) {
        snprintf(err, err_len,
                 "IKE identity '%s' is already authorized at the home agent; give each mobile "
                 "node its own identity",
                 identity);
        return NULL;
    }
    if (ike_peer_for_home(k, home_address)) {
        snprintf(err, err_len,
                 "IKE identity '%s': its home address already belongs to another identity; give "
                 "each mobile node its own home address",
                 identity);
        return NULL;
    }
    struct ike_peer **peers = realloc(k->peers, (k->n_peers + 1) * sizeof *peers);
    struct ike_peer *e = calloc(1, sizeof *e);
    if (peers)
        k->peers = peers;
    if (!peers || !e || !addrmap_put(&k->by_home, home_address, e)) {
        free(e);
        snprintf(err, err_len, "out of memory adding IKE identity '%s'", identity);
        return NULL;
    }
    k->peers[k->n_peers++] = e;
    snprintf(e->identity, sizeof e->identity, "%s", identity);
    memcpy(e->psk, psk, psk_len);
    e->psk_len = (uint8_t)psk_len;
    memcpy(e->home_address, home_address, 16);
    return e;
}

struct ike_node *
ike_node_new(struct mip6_node *node, bool responder, const struct mip6_ike_config *cfg)
{
    struct ike_node *k = calloc(1, sizeof *k);

    if (!k || !(k->scratch = malloc(sizeof *k->scratch))) {
        free(k);
        return NULL;
    }
    k->node = node;
    k->responder = responder;
    k->cfg = *cfg;
    addrmap_init(&k->by_spi);
    addrmap_init(&k->by_home);
    return k;
}

void
ike_node_free(struct ike_node *k)
{
    if (!k)
        return;
    while (k->by_spi.count) {
        for (size_t i = 0; i < k->by_spi.cap; i++) {
            if (k->by_spi.slots[i].value) {
                ike_sa_delete(k->by_spi.slots[i].value);
                break;
            }
        }
    }
    addrmap_free(&k->by_spi);
    addrmap_free(&k->by_home);
    for (size_t i = 0; i < k->n_peers; i++) {
        OPENSSL_cleanse(k->peers[i], sizeof *k->peers[i]);
        free(k->peers[i]);
    }
    free(k->peers);
    free(k->esp_sa_log);
    free(k->ike_key_log);
    OPENSSL_cleanse(&k->self, sizeof k->self);
    OPENSSL_cleanse(k->sign_seed, sizeof k->sign_seed);
    free(k->scratch);
    OPENSSL_cleanse(&k->cfg, sizeof k->cfg);
    free(k);
}
