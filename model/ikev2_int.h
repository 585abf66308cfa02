/*
 * ikev2_int.h - what the three files of the IKEv2 exchanges share:
 * model/ikev2.c (IKE_SA_INIT, IKE_AUTH, dispatch), model/ikev2_child.c
 * (CREATE_CHILD_SA, INFORMATIONAL) and model/ikev2_build.c (payloads).
 * Internal to them.
 */
#ifndef MIP6SEC_IKEV2_INT_H
#define MIP6SEC_IKEV2_INT_H

#include "ike.h"

#define NONCE_LEN 32          /* RFC 7296 §2.10: at least half the prf key size */
#define CHILD_ENC_KEY_LEN 16  /* AES-128-CBC */
#define CHILD_AUTH_KEY_LEN 20 /* HMAC-SHA1-96 */

/* ----- model/ikev2_build.c ----- */

/* The algorithms of the node's IKE SAs. */
struct ikev2_ike_algs ikev2_algs(const struct ike_node *k);

/* A proposal for an IKE SA with these algorithms. */
void ikev2_ike_proposal(struct ikev2_proposal *p, const struct ikev2_ike_algs *a);

/* The ESP proposal: AES-128-CBC and HMAC-SHA1-96, with a DH group when dh is not 0. */
void ikev2_esp_proposal(struct ikev2_proposal *p, uint32_t spi, bool esn, uint16_t dh);

/* The first proposal of the message that contains every transform of want, or NULL. */
const struct ikev2_proposal *ikev2_pick(const struct ikev2_msg *m,
                                        const struct ikev2_proposal *want);

/* The 4-byte SPI of an ESP proposal. */
uint32_t ikev2_proposal_spi(const struct ikev2_proposal *p);

/* The first Notify of a type, or of any error type (below 16384), or NULL. */
const struct ikev2_notify *ikev2_find_notify(const struct ikev2_msg *m, uint16_t type);
const struct ikev2_notify *ikev2_find_error(const struct ikev2_msg *m);

/* Add a Notify; ignored when the message has no room for it. */
void ikev2_add_notify(struct ikev2_msg *m, uint16_t type, uint8_t protocol, uint32_t spi,
                      const uint8_t *data, uint16_t len);

/*
 * Start the outgoing message of an IKE SA in a buffer shared by all IKE
 * SAs: the simulator runs one event at a time, and each message is
 * encoded with ikev2_finish before another is begun.
 */
struct ikev2_msg *ikev2_begin(const struct ike_sa *sa, uint8_t exchange, uint32_t id,
                              bool response);

/* Encode m into buf, inside an SK payload unless it is IKE_SA_INIT.  Returns the length, 0 on
 * failure. */
size_t ikev2_finish(struct ike_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t cap);

/* Set the traffic selectors of a child kind. */
void ikev2_set_ts(struct ikev2_msg *m, enum ike_child_kind kind, const struct ike_sa *sa);

/* Fill the ID payload this side sends: the mobile node's FQDN or the home agent's address. */
void ikev2_set_id(struct ikev2_id *id, const struct ike_sa *sa);

/* Compute the AUTH value of the initiator or responder (RFC 7296 §2.15). */
bool ikev2_auth_value(const struct ike_sa *sa, bool of_initiator, const struct ikev2_id *id,
                      uint8_t out[IKEV2_MAX_PRF_LEN]);

/* Fill the AUTH payload this side sends, with the configured method. */
bool ikev2_make_auth(const struct ike_sa *sa, const struct ikev2_id *id, struct ikev2_auth *auth);

/* Whether the message's AUTH payload is the one expected: a shared-key
 * value (constant-time compare) or an Ed25519 signature by the peer. */
bool ikev2_auth_matches(const struct ike_sa *sa, bool of_initiator, const struct ikev2_msg *m,
                        const struct ikev2_id *id);

/* Replace *dst with a copy of msg; false when out of memory. */
bool ikev2_keep(uint8_t **dst, size_t *dst_len, const uint8_t *msg, size_t len);

/* NONCE_LEN bytes from the node's random stream. */
void ikev2_fresh_nonce(struct ike_sa *sa, uint8_t *nonce);

/* A new Diffie-Hellman key pair in the IKE SA's group. */
bool ikev2_new_dh(struct ike_sa *sa, struct ikev2_dh *dh);

/* Fill in the child SA request of an IKE_AUTH or CREATE_CHILD_SA. */
void ikev2_child_request(struct ike_sa *sa, struct ikev2_msg *m, enum ike_child_kind kind);

/* ----- model/ikev2_child.c ----- */

/*
 * Process the child SA part of an IKE_AUTH or CREATE_CHILD_SA request
 * into the response m; old is the pair a rekey replaces, or NULL.
 * Returns REC_DROP_NONE, or a drop reason to record while the response
 * carries the error notification.
 */
enum rec_drop ikev2_respond_child(struct ike_sa *sa, const struct ikev2_msg *req,
                                  struct ikev2_msg *m, struct ike_child *old);

/* Install the pair a response agreed to; NULL when it refused. */
struct ike_child *ikev2_accept_child(struct ike_sa *sa, const struct ikev2_msg *r);

/* Tell the mobile node about a new pair of a kind. */
void ikev2_child_ready(struct ike_sa *sa, enum ike_child_kind kind);

/* Initiator: the response to a CREATE_CHILD_SA or INFORMATIONAL request. */
enum rec_drop ikev2_child_response(struct ike_sa *sa, const struct ikev2_msg *r);
enum rec_drop ikev2_informational_response(struct ike_sa *sa, const struct ikev2_msg *r);

/* Responder: a CREATE_CHILD_SA or INFORMATIONAL request. */
enum rec_drop ikev2_respond_create_child(struct ike_sa *sa, const struct ikev2_msg *req,
                                         const uint8_t src[16]);
enum rec_drop ikev2_respond_informational(struct ike_sa *sa, const struct ikev2_msg *req,
                                          const uint8_t src[16]);

#endif /* MIP6SEC_IKEV2_INT_H */
