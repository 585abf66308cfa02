/*
 * ike.h - dynamic keying of the SAs between mobile nodes and their home
 * agent.  IKEv2 runs as RFC 4877 uses it, over UDP port 500 between the
 * care-of address and the home agent (RFC 3776 §4.4, RFC 4877 §4.4).
 *
 * The mobile node is always the initiator and the home agent always the
 * responder: until a binding exists the home agent does not know where
 * the mobile node is (RFC 3776 §6.19), and in this model it never starts
 * an exchange later either.  The mobile node also starts every rekey.
 *
 * With MIP6_KEYING_IKEV1 the same roles run IKEv1 (RFC 2409) as RFC
 * 3776 §4.4 describes it: aggressive mode with a pre-shared key, then one
 * quick mode per child SA pair.  An "IKE SA" is then an ISAKMP SA, and
 * its SPIs are the two cookies.
 *
 * Every mobile node has one IKE SA at a time (two while a new one
 * replaces the old after a move without the K bit) and, under it, one
 * child SA pair for each kind of traffic RFC 3776 §5.3 protects: BU/BA,
 * prefix discovery, return routability and payload in the tunnel.  The
 * SPD entries for them exist from the start, without SAs, in the order
 * of RFC 3776 §5.3; a child SA fills the entry in when it is installed.
 *
 * Internal to the model; scenarios use mip6sec.h.
 */
#ifndef MIP6SEC_IKE_H
#define MIP6SEC_IKE_H

#include <stdbool.h>
#include <stdint.h>

#include "addrmap.h"
#include "ikev1_crypto.h"
#include "ikev2_crypto.h"
#include "ikev2_msg.h"
#include "mip6.h"
#include "mip6sec.h"
#include "timer.h"

/* The traffic a child SA pair protects (RFC 3776 §5.3.1-§5.3.4). */
enum ike_child_kind {
    IKE_CHILD_BU = 0,      /* BU and BA, transport mode, MH between HoA and HA */
    IKE_CHILD_MPD = 1,     /* MPS and MPA, transport mode, ICMPv6 between HoA and HA */
    IKE_CHILD_RR = 2,      /* HoTI and HoT, tunnel mode, MH from the HoA to anyone */
    IKE_CHILD_PAYLOAD = 3, /* everything else in the tunnel, tunnel mode */
    IKE_CHILD_KINDS = 4,
};

/* Both ends of a child SA pair can coexist with the pair it replaces. */
#define IKE_MAX_CHILDREN (2 * IKE_CHILD_KINDS)

/* In IKEv1 the first message of aggressive mode takes the place of the
 * IKE_SA_INIT request, and HASH_I that of the IKE_AUTH request. */
enum ike_state {
    IKE_INIT_SENT = 1,   /* initiator: IKE_SA_INIT request sent */
    IKE_HALF_OPEN = 2,   /* responder: IKE_SA_INIT response sent */
    IKE_AUTH_SENT = 3,   /* initiator: IKE_AUTH request sent, or HASH_I being computed */
    IKE_ESTABLISHED = 4, /* authenticated */
    IKE_DEAD = 5,        /* deleted or failed; freed when no event refers to it */
};

struct ike_sa;
struct ike_node;

/* One child SA pair: the SA that receives and the SA that sends. */
struct ike_child {
    bool used;
    enum ike_child_kind kind;
    struct ike_sa *ike;
    struct ipsec_sa *in;
    struct ipsec_sa *out;
    uint64_t installed_ns;
    bool rekeying;          /* a CREATE_CHILD_SA that replaces this pair is outstanding */
    bool rekey_wanted;      /* due, but another request was outstanding */
    bool replaced;          /* a newer pair exists; this one waits for its Delete */
    struct mip6_timer soft; /* time lifetime: start the rekey */
    struct mip6_timer hard; /* time lifetime: remove the pair */
};

/* The purpose of the initiator's outstanding request. */
enum ike_request {
    IKE_REQ_NONE = 0,
    IKE_REQ_SA_INIT,
    IKE_REQ_AUTH,
    IKE_REQ_CREATE_CHILD,
    IKE_REQ_REKEY_CHILD,
    IKE_REQ_DELETE_CHILD,
    IKE_REQ_DELETE_IKE,
    IKE_REQ_REKEY_IKE,
};

/* An old child SA pair kept after its Delete for the packets still in flight. */
struct ikev1_removal {
    uint32_t spi; /* the pair's inbound SPI; 0 for a free entry */
    uint64_t at_ns;
};

/*
 * The IKEv1 part of an ISAKMP SA (RFC 2409), behind ike_sa.v1.  The
 * cookies are ike_sa.spi_i and spi_r, and the phase-1 nonces ni and nr.
 */
struct ikev1_state {
    struct ikev1_keys keys; /* SKEYID, SKEYID_d, _a, _e and the AES key */
    /* The last CBC block of phase 1, from which each phase-2 IV is
     * derived (RFC 2409 Appendix B). */
    uint8_t phase1_iv[IKEV1_BLOCK_LEN];

    /* Until HASH_I is checked: what HASH_I covers besides the keys and
     * cookies (RFC 2409 §5).  gxi is kept by the responder only. */
    uint8_t gxi[IKEV1_MAX_KE_LEN];
    uint16_t gxi_len;
    uint8_t *sai_b; /* the body of the initiator's SA payload */
    size_t sai_b_len;
    struct ikev1_id idii;
    uint8_t hash_i[IKEV1_MAX_PRF_LEN]; /* initiator: message 3, computed with the keys */
    /* Initiator: HASH_I leaves when its computation is done.  Responder:
     * a half-open SA goes when the initiator has stopped retransmitting. */
    struct mip6_timer phase1_timer;

    /* The current quick mode.  At the initiator its message id is
     * ike_sa.request_id. */
    uint32_t qm_id;
    uint8_t qm_iv[IKEV1_BLOCK_LEN]; /* IV of the exchange's next message */
    uint8_t qm_ni[IKEV1_MAX_NONCE_LEN];
    uint16_t qm_ni_len;
    uint8_t qm_nr[IKEV1_MAX_NONCE_LEN];
    uint16_t qm_nr_len;
    uint8_t *qm_first; /* responder: message 1 as received, to recognise a retransmission */
    size_t qm_first_len;
    bool qm_wait_hash3; /* responder: message 2 went, HASH(3) has not come */
    uint32_t qm_spi_in; /* responder: the inbound SPI of the pair the exchange installed */
    uint32_t recent[8]; /* ids of the last phase-2 exchanges the peer started, against replays */
    unsigned recent_next;

    struct ikev1_removal removals[IKE_MAX_CHILDREN];
    uint64_t remove_sa_ns; /* when the ISAKMP SA itself goes after its Delete; 0 never */
    bool delete_sent;      /* the Delete of this ISAKMP SA went */
    struct mip6_timer removal_timer;
};

struct ike_sa {
    struct ike_node *node;
    bool initiator;
    enum ike_state state;
    uint64_t spi_i;
    uint64_t spi_r;
    uint8_t local[16];  /* our address: the care-of address at the mobile node */
    uint8_t remote[16]; /* the peer's */
    uint8_t home_address[16];
    bool home_address_known; /* responder: set by the PAD entry that authenticated */
    struct ike_peer *peer;   /* the mobile node; at the responder set by authentication */
    uint64_t started_ns;
    bool initial_contact; /* initiator: send INITIAL_CONTACT in IKE_AUTH (RFC 7296 §2.4) */

    struct ikev2_ike_algs algs;
    struct ikev2_ike_keys keys;
    bool keys_ready;
    struct ikev2_dh dh;
    uint8_t ni[IKEV2_MAX_NONCE_LEN];
    uint16_t ni_len;
    uint8_t nr[IKEV2_MAX_NONCE_LEN];
    uint16_t nr_len;
    uint8_t *msg1; /* the IKE_SA_INIT request, kept for AUTH (RFC 7296 §2.15) */
    size_t msg1_len;
    uint8_t *msg2; /* the IKE_SA_INIT response */
    size_t msg2_len;

    /* Requests this side sends (RFC 7296 §2.1-§2.2: one at a time). */
    uint32_t next_request_id;
    enum ike_request request;
    uint8_t request_exchange;
    uint32_t request_id;
    uint8_t *request_msg; /* the bytes for retransmission */
    size_t request_len;
    uint32_t tries;
    struct mip6_timer retransmit;
    /* The child a CREATE_CHILD_SA request creates or rekeys. */
    enum ike_child_kind request_kind;
    struct ike_child *request_old; /* the pair being rekeyed or deleted */
    uint32_t request_spi;          /* SPI offered for the new inbound SA */
    uint8_t request_nonce[32];
    struct ikev2_dh request_dh; /* with perfect forward secrecy */

    /* Requests the peer sends: the next expected id and the cached
     * response, sent again for a retransmitted request (RFC 7296 §2.1). */
    uint32_t peer_next_id;
    uint8_t *response_msg;
    size_t response_len;
    uint8_t response_to[16]; /* RFC 7296 §2.11: the source of the request */

    /* Delays the first sending of request_msg (initiator) or
     * response_msg (responder) by the computation cost. */
    struct mip6_timer compute;

    struct ike_child children[IKE_MAX_CHILDREN];
    uint32_t wanted; /* initiator: bit per ike_child_kind still to create */

    /* Rekeying the IKE SA itself: RFC 7296 §2.18 in IKEv2, a new phase 1 in IKEv1. */
    struct mip6_timer lifetime; /* initiator: the IKE SA's soft lifetime */
    bool ike_rekey_wanted;      /* due, but another request was outstanding */
    uint64_t rekey_spi;         /* initiator: the SPIi offered for the new IKE SA */
    bool rekeyed;               /* the old keys of an IKE SA that was rekeyed */
    uint64_t replaces_spi_i;    /* IKEv1 initiator: the SPIi of the ISAKMP SA this one replaces */
    /* IKEv2: the other half of a rekey (model/ikev2_rekey.c), until the old half is deleted. */
    struct ike_sa *rekey_twin;

    struct ikev1_state *v1; /* IKEv1 only, else NULL */
};

/*
 * The key management state of one mobile node: the identity, key and
 * home address, the SPD entries of each child kind, and the IKE SAs that
 * serve it.  At the home agent this is the node's entry in the Peer
 * Authorization Database of RFC 4877 §4.4.
 */
struct ike_peer {
    char identity[64];
    uint8_t psk[64];
    uint8_t psk_len;
    /* With Ed25519 authentication, the other end's public key: at the home
     * agent the mobile node's, at the mobile node the home agent's. */
    uint8_t sign_public[IKEV2_ED25519_KEY_LEN];
    uint8_t home_address[16];
    struct ipsec_policy *policy[IKE_CHILD_KINDS][2]; /* indexed by enum ipsec_dir */
    struct ike_sa *current;                          /* the IKE SA in use, or NULL */
    struct ike_sa *old;                              /* one being replaced after a move, or NULL */
};

/* Called at the mobile node when a child SA pair of a kind is installed. */
typedef void (*ike_ready_fn)(void *ctx, int kind);

/* The key management of one node. */
struct ike_node {
    struct mip6_node *node;
    bool responder;
    struct mip6_ike_config cfg;
    uint32_t ifindex;                         /* mobile node: the interface IKE goes out of */
    uint8_t home_agent[16];                   /* the home agent's address */
    uint8_t sign_seed[IKEV2_ED25519_KEY_LEN]; /* this node's Ed25519 private key */
    struct addrmap by_spi;     /* (SPIi, SPIr) -> IKE SA; (SPIi, 0) while half open */
    struct ikev2_msg *scratch; /* the message being processed */

    /* Mobile node: itself, and where its new SAs are logged for Wireshark. */
    struct ike_peer self;
    char *esp_sa_log;
    char *ike_key_log;
    ike_ready_fn ready;
    void *ready_ctx;

    /* Home agent: its mobile nodes (the PAD), by identity and home address. */
    size_t n_peers;
    struct ike_peer **peers;
    struct addrmap by_home;
    /* The care-of address bound to a home address, from the home agent's
     * binding cache, for the outer header of new tunnel-mode SAs. */
    const uint8_t *(*bound_coa)(void *ctx, const uint8_t home_address[16]);
    void *bound_ctx;
};

/* ----- model/ike.c: the node, UDP, requests ----- */

/*
 * Handle a UDP datagram to port 500 that arrived at the node.  pkt is the
 * whole IPv6 packet and p its parse.  Returns true when the packet was
 * for IKE (it is then consumed, recorded and, if bad, dropped).
 */
bool ike_receive(struct ike_node *k, uint32_t ifindex, const uint8_t *pkt, size_t len, uint64_t uid,
                 const struct ip6_packet *p);

/* Whether the child SA pair of this kind is installed at the mobile node. */
bool ike_child_ready(const struct ike_node *k, enum ike_child_kind kind);

/*
 * The mobile node needs SAs: start IKE from local unless an IKE SA is up
 * or on its way.  The ready callback fires for each child SA pair.
 */
void ike_start(struct ike_node *k, const uint8_t local[16]);

/*
 * Follow the mobile node's accepted registration of local.  k_negotiated
 * is true when both BU and BA had the K bit.  Then the IKE SA moves to
 * local (RFC 6275 §11.7.1).  Otherwise a new IKE SA is set up from
 * local, and the old one is deleted (RFC 3776 §6.19 step 9).
 */
void ike_moved(struct ike_node *k, const uint8_t local[16], bool k_negotiated);

/*
 * Replace the mobile node's established IKEv1 ISAKMP SA when its lifetime
 * ends.  RFC 2409 has no exchange that rekeys an ISAKMP SA, so a new phase 1
 * from the same address replaces it, with quick modes for every pair.  The
 * old SA and its pairs are deleted once the new pairs exist.
 */
void ike_replace_isakmp(struct ike_sa *sa);

/*
 * Move the IKE SA of home_address to care_of, after the home agent
 * accepted a BU with the K bit from there and set K in the BA (RFC 6275
 * §10.3.1).
 */
void ike_peer_moved(struct ike_node *k, const uint8_t home_address[16], const uint8_t care_of[16]);

/* Create and free the key management of a node. */
struct ike_node *ike_node_new(struct mip6_node *node, bool responder,
                              const struct mip6_ike_config *cfg);
void ike_node_free(struct ike_node *k);

/*
 * Home agent: let identity, authenticated with psk, create SAs for
 * home_address only (RFC 3776 §4.2, RFC 4877 §4.4).  Returns the new
 * entry, or NULL with a message in err for a duplicate identity or home
 * address.
 */
struct ike_peer *ike_pad_add(struct ike_node *k, const char *identity, const uint8_t *psk,
                             size_t psk_len, const uint8_t home_address[16], char *err,
                             size_t err_len);

/* The home agent's entry for an identity, or NULL. */
struct ike_peer *ike_pad_find(const struct ike_node *k, const uint8_t *identity, size_t len);

/*
 * Send a request after delay_ns of computation and keep it for
 * retransmission until ike_request_done (RFC 7296 §2.1).
 */
void ike_send_request(struct ike_sa *sa, enum ike_request what, uint8_t exchange,
                      const uint8_t *msg, size_t len, uint64_t delay_ns);

/* The response to the outstanding request arrived. */
void ike_request_done(struct ike_sa *sa);

/*
 * Send a response to to after delay_ns, and keep it for a retransmitted
 * request.  An IKEv1 initiator sends with it, with delay_ns 0, the
 * messages that get no reply: HASH_I, HASH(3) and Informational
 * exchanges.  The event records the message as a request then.
 */
void ike_send_response(struct ike_sa *sa, const uint8_t to[16], const uint8_t *msg, size_t len,
                       uint64_t delay_ns);

/*
 * Send a message that needs no reply and is never sent again, such as an
 * IKEv1 Informational notification, without touching the kept response.
 */
void ike_send_once(struct ike_sa *sa, const uint8_t to[16], const uint8_t *msg, size_t len);

/* Send the kept response again, unless it is still being computed. */
void ike_resend_response(struct ike_sa *sa, const uint8_t to[16]);

/* Create an IKE SA; NULL when out of memory.  The initiator's gets SPIi. */
struct ike_sa *ike_sa_new(struct ike_node *k, bool initiator, const uint8_t local[16],
                          const uint8_t remote[16]);

/* The IKE SA with these SPIs (IKEv1: cookies), or NULL. */
struct ike_sa *ike_sa_find(const struct ike_node *k, uint64_t spi_i, uint64_t spi_r);

/* Make the SA findable by its SPIs; false when out of memory. */
bool ike_sa_index(struct ike_sa *sa);

/* Index the SA again after its SPIr or state changed. */
bool ike_sa_reindex(struct ike_sa *sa);

/* Home agent: the entry of a home address, or NULL. */
struct ike_peer *ike_peer_for_home(const struct ike_node *k, const uint8_t home_address[16]);

/* Make sa the peer's current IKE SA; an earlier current one becomes old. */
void ike_peer_attach(struct ike_peer *peer, struct ike_sa *sa);

/* Remove an IKE SA with its child SAs. */
void ike_sa_delete(struct ike_sa *sa);

/* Append an IKE SA's keys to the node's IKE key log, if it keeps one. */
void ike_log_keys(const struct ike_sa *sa);

/* The IKE major version the node runs (1 or 2), for events. */
int ike_version(const struct ike_node *k);

/* The keying name for SA events: "ikev1" or "ikev2". */
const char *ike_keying_name(const struct ike_node *k);

/* Rekey a child SA pair, or create the next wanted one, with the node's protocol. */
void ike_rekey_child(struct ike_child *c);
void ike_next_child(struct ike_sa *sa);

/* Tell the peer that the pair whose inbound SPI was spi_in is gone. */
void ike_notify_expired(struct ike_sa *sa, uint32_t spi_in);

/* Record a key management event at the node. */
void ike_record(struct ike_node *k, enum rec_mob kind, const uint8_t *addr, int64_t value,
                int64_t value2);

/* Fill n bytes from the node's seeded random stream. */
void ike_random(struct ike_node *k, uint8_t *out, size_t n);

/*
 * The computation time, in ns, of one Diffie-Hellman key pair and shared
 * secret, and of making this end's AUTH value and checking the peer's.
 */
uint64_t ike_cost_dh(const struct ike_node *k);
uint64_t ike_cost_auth(const struct ike_node *k);

/* Return the delay until work of cost_ns is done; on a node with a CPU
 * model the work queues behind the node's other crypto work. */
uint64_t ike_delay(const struct ike_node *k, uint64_t cost_ns);

/* ----- model/ike_child.c: child SAs in the SPD and SAD ----- */

/* Bit per child kind (1 << kind) that the configuration protects. */
uint32_t ike_child_kinds(const struct ike_node *k);

/*
 * Add the SPD entries of every child kind the configuration protects to
 * the node's SPD, without SAs, in the order of RFC 3776 §5.3.  Returns 0,
 * or -1 with a message in err when out of memory.
 */
int ike_child_policies(struct ike_node *k, struct ike_peer *peer, char *err, size_t err_len);

/* The traffic selectors for a child kind, as the initiator sends them. */
void ike_child_ts(enum ike_child_kind kind, const uint8_t home_address[16],
                  const uint8_t home_agent[16], struct ikev2_ts *tsi, struct ikev2_ts *tsr);

/* The child kind whose selectors these are, or -1 for none. */
int ike_child_kind_of(const struct ikev2_ts *tsi, const struct ikev2_ts *tsr,
                      const uint8_t home_address[16], const uint8_t home_agent[16]);

/* Whether a child kind uses tunnel mode. */
bool ike_child_tunnel(enum ike_child_kind kind);

/*
 * Install a child SA pair under an IKE SA with the keys of RFC 7296
 * §2.17.  spi_in is the SPI this node chose, spi_out the peer's.  At the
 * initiator outbound traffic moves to the new pair at once (RFC 3776
 * §6.18 step 3).  The responder moves when the old pair is deleted.
 * Returns NULL when an SA could not be added.
 */
struct ike_child *ike_child_install(struct ike_sa *sa, enum ike_child_kind kind, uint32_t spi_in,
                                    uint32_t spi_out, const struct ikev2_child_keys *keys);

/* Remove a child SA pair from the SAD; its SPD entries keep any newer pair. */
void ike_child_remove(struct ike_child *c);

/* Make the pair's outbound SA the one its SPD entry uses. */
void ike_child_outbound(struct ike_child *c);

/* The child pair whose inbound (or, with outbound, outbound) SPI is spi. */
struct ike_child *ike_child_by_spi(struct ike_sa *sa, uint32_t spi, bool outbound);

/* A fresh inbound SPI that no SA of the node uses. */
uint32_t ike_new_spi(struct ike_node *k);

/* ----- model/ikev2.c: the exchanges ----- */

/* Initiator: send IKE_SA_INIT. */
void ikev2_start(struct ike_sa *sa);

/* Initiator: create the next wanted child SA pair, if any and idle. */
void ikev2_next_child(struct ike_sa *sa);

/* Initiator: rekey a child SA pair with CREATE_CHILD_SA (RFC 7296 §1.3.3). */
void ikev2_rekey_child(struct ike_child *c);

/* ----- model/ikev2_rekey.c: rekeying the IKE SA (RFC 7296 §1.3.2, §2.18) ----- */

/* Initiator: rekey the IKE SA now, or once the outstanding request is done. */
void ikev2_rekey_ike(struct ike_sa *sa);

/* Initiator: the response to the rekey; responder: a rekey request. */
enum rec_drop ikev2_rekey_ike_response(struct ike_sa *sa, const struct ikev2_msg *r);
enum rec_drop ikev2_respond_rekey_ike(struct ike_sa *sa, const struct ikev2_msg *req,
                                      const uint8_t src[16]);

/* Initiator: delete an IKE SA with an INFORMATIONAL exchange (RFC 7296 §1.4.1). */
void ikev2_delete_ike(struct ike_sa *sa);

/*
 * Either end: send an INFORMATIONAL Delete for a pair already removed
 * here, whose inbound SPI was spi_in (RFC 7296 §1.4.1), unless another
 * request is outstanding.
 */
void ikev2_delete_spi(struct ike_sa *sa, uint32_t spi_in);

/*
 * Process a decoded message for an IKE SA (NULL: a new IKE_SA_INIT
 * request).  raw is the message as received.  Returns REC_DROP_NONE, or
 * why the message was dropped; the caller records the drop.
 */
enum rec_drop ikev2_process(struct ike_node *k, struct ike_sa *sa, const uint8_t *raw,
                            size_t raw_len, const struct ikev2_msg *msg, const uint8_t src[16],
                            const uint8_t dst[16]);

/* ----- model/ikev1.c: IKEv1 phase 1 and the input of every IKEv1 message ----- */

/* Initiator: send the first message of aggressive mode (RFC 2409 §5.4). */
void ikev1_start(struct ike_sa *sa);

/*
 * Process an ISAKMP message (version 1.0) that arrived at the node: find
 * its SA, decrypt and decode it, and act.  raw is the UDP payload.
 * Returns REC_DROP_NONE, or why the message was dropped; the caller
 * records the drop.
 */
enum rec_drop ikev1_receive(struct ike_node *k, const uint8_t *raw, size_t len,
                            const uint8_t src[16], const uint8_t dst[16]);

/* Free the IKEv1 state of an SA, from ike_sa_delete. */
void ikev1_free(struct ike_sa *sa);

/* Clear out_msg and fill in its header for a message of the SA. */
struct ikev1_msg *ikev1_begin(struct ikev1_msg *out_msg, const struct ike_sa *sa, uint8_t exchange,
                              uint32_t message_id);

/* The IV of the first message of a phase-2 exchange (RFC 2409 Appendix B). */
bool ikev1_first_iv(const struct ike_sa *sa, uint32_t message_id, uint8_t iv[IKEV1_BLOCK_LEN]);

/* A random message id for a new phase-2 exchange, never 0, which marks phase 1. */
uint32_t ikev1_new_message_id(struct ike_sa *sa);

/* ----- model/ikev1_quick.c: quick mode and Informational exchanges ----- */

/* Initiator: create the next wanted child SA pair, if any and idle. */
void ikev1_next_child(struct ike_sa *sa);

/* Initiator: rekey a child SA pair with a new quick mode for its kind. */
void ikev1_rekey_child(struct ike_child *c);

/* Initiator: delete an ISAKMP SA with an Informational exchange (RFC 2409 §5.7). */
void ikev1_delete_ike(struct ike_sa *sa);

/* Either end: an Informational Delete for a pair already removed here,
 * whose inbound SPI was spi_in (RFC 2409 §5.7; it has no reply). */
void ikev1_delete_spi(struct ike_sa *sa, uint32_t spi_in);

/*
 * Process a decoded quick mode or Informational message of an
 * established ISAKMP SA.  raw is the message as received.  Returns
 * REC_DROP_NONE, or why it was dropped.
 */
enum rec_drop ikev1_quick_process(struct ike_sa *sa, const struct ikev1_msg *m, const uint8_t *raw,
                                  size_t raw_len, const uint8_t src[16]);
enum rec_drop ikev1_informational_process(struct ike_sa *sa, const struct ikev1_msg *m);

/* Run the removals of old pairs and of the SA itself that are due (ikev1_state.removals). */
void ikev1_removals_due(void *owner);

#endif /* MIP6SEC_IKE_H */
