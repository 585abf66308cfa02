/*
 * mip6.h - state shared by the mobile node and home agent models, and
 * the protected signalling path both use (RFC 3776 §6.1-§6.4).
 *
 * Internal to the model; scenarios use mip6sec.h.
 */
#ifndef MIP6SEC_MIP6_H
#define MIP6SEC_MIP6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cost.h"
#include "ipsec.h"
#include "ipv6.h"
#include "rec.h"
#include "sim.h"

/* Largest packet the model builds or accepts: a 1500-byte MTU plus a
 * tunnel header and ESP overhead, rounded up. */
#define MIP6_MAX_PACKET 2048

/* The state every mip6sec node has: its id, IPsec databases and recorder. */
struct mip6_node {
    uint32_t id;
    struct ipsec_db ipsec;
    struct rec *rec;
    uint64_t drops; /* packets the model discarded, all reasons */
    /* Crypto costs (model/cost.h): the table IKE charges from, and, when
     * cpu_model is set, the node's CPU that delays crypto work. */
    const struct mip6_cost_table *costs; /* NULL means mip6_cost_defaults */
    bool cpu_model;
    bool cpu_resuming; /* an arriving packet is processed after its CPU delay */
    struct mip6_cpu cpu;
};

/*
 * A signalling message on its way out, in home form (RFC 3776 §6.1 step
 * 1): src and dst are the addresses that policy and the Mobility Header
 * checksum see.  When care_of_src is set, the packet leaves from that
 * address with a Home Address option that contains src.  When care_of_dst
 * is set, it goes to that address with a type 2 routing header that
 * contains dst.
 */
struct mip6_out {
    const uint8_t *src;
    const uint8_t *dst;
    const uint8_t *care_of_src;
    const uint8_t *care_of_dst;
    uint8_t proto; /* IP6_NH_MOBILITY or IP6_NH_ICMPV6 */
    const uint8_t *msg;
    size_t msg_len;
    uint32_t ifindex; /* outgoing interface or SIM_IFINDEX_ANY */
};

/*
 * Apply outbound policy and ESP and send (RFC 3776 §6.1 and §6.3).
 * Returns REC_DROP_NONE when the packet was handed to the simulator, or
 * the reason it was not; the drop is already recorded.
 */
enum rec_drop mip6_send_signal(struct mip6_node *n, const struct mip6_out *out);

/* A received signalling message after IPsec, in home form. */
struct mip6_in {
    uint8_t src[16];     /* home address when a Home Address option was present */
    uint8_t dst[16];     /* home address when a type 2 routing header was present */
    uint8_t care_of[16]; /* the address swapped out, valid when has_hao or has_rh2 */
    bool has_hao;
    bool has_rh2;
    bool k_bit; /* a BU with the K flag; set by the home agent after decoding */
    uint8_t proto;
    const struct ipsec_sa *sa; /* NULL when the message came in clear */
    const uint8_t *msg;        /* points into the caller's scratch buffer */
    size_t msg_len;
};

/*
 * Process a received packet that carries a signalling message: swap the
 * Home Address option or type 2 routing header addresses (RFC 3776 §6.2
 * step 2, §6.4 step 2), verify and decrypt ESP, then check the result
 * against the SA's selectors or, for a packet in clear, against inbound
 * policy (RFC 3776 §4.2, §6.2 step 4).  scratch receives the decrypted
 * message.  Returns REC_DROP_NONE and fills *in, or the reason the packet
 * was dropped; the drop is already recorded.
 */
enum rec_drop mip6_receive_signal(struct mip6_node *n, uint32_t ifindex, const uint8_t *pkt,
                                  size_t len, uint64_t uid, const struct ip6_packet *parsed,
                                  uint8_t *scratch, size_t scratch_len, struct mip6_in *in);

/*
 * Protect payload with an outbound SA and append the ESP packet to w,
 * counting it against the SA's lifetime.  Returns REC_DROP_NONE, or
 * REC_DROP_ESP_SA_EXPIRED, REC_DROP_ESP_SEQ_EXHAUSTED or
 * REC_DROP_SEND_FAILED; w is unchanged on a drop.
 */
enum rec_drop mip6_esp_outbound(struct ipsec_sa *sa, uint8_t next_header, const uint8_t *payload,
                                size_t len, struct wr *w);

/*
 * Verify and decrypt the ESP packet esp[0..len) with an inbound SA in the
 * order of RFC 4303 §3.4: the anti-replay check first when the SA has
 * it, then the ICV and decryption, then the window update.  The payload
 * goes to out[0..result->payload_len).  Returns REC_DROP_NONE or why the
 * packet must be dropped.
 */
enum rec_drop mip6_esp_inbound(struct ipsec_sa *sa, const uint8_t *esp, size_t len, uint8_t *out,
                               size_t out_cap, struct esp_inbound *result);

/* ----- crypto work on the node's CPU, model/cpu.c ----- */

/*
 * Submit the ESP work for one packet of len payload bytes under sa to the
 * node's CPU.  Returns the delay until it is done, 0 without a CPU model.
 */
uint64_t mip6_esp_work(struct mip6_node *n, const struct ipsec_sa *sa, enum mip6_cost_dir dir,
                       size_t len);

/* An ESP packet to send, and what to record when it leaves. */
struct mip6_emit {
    uint32_t ifindex;        /* outgoing interface or SIM_IFINDEX_ANY */
    uint32_t record_ifindex; /* interface the events name */
    const uint8_t *src;
    const uint8_t *dst;
    uint8_t next_header;
    const uint8_t *payload; /* from the first header after the fixed one */
    size_t len;
    /* Tunnel mode: the inner packet, recorded as encapsulated; else NULL. */
    const uint8_t *inner;
    size_t inner_len;
    uint64_t inner_uid;
};

/*
 * Send the packet after delay_ns (now when 0) and record it as
 * esp_protect, and the inner packet as encap.  The bytes are copied.
 * Returns REC_DROP_NONE, or REC_DROP_SEND_FAILED (recorded) when it
 * could not be sent now or kept for later.
 */
enum rec_drop mip6_emit(struct mip6_node *n, uint64_t delay_ns, const struct mip6_emit *e);

/*
 * With a CPU model, take an arriving ESP packet for an SA of the node and
 * hand it to ingress(ctx, ...) again once the CPU has verified it.
 * Returns true when the packet was taken (the hook then consumes it),
 * false when it is to be processed now: no CPU model, a packet already
 * delayed once, not ESP, or no SA with its SPI.
 */
bool mip6_defer_esp_input(struct mip6_node *n, sim_ingress_fn ingress, void *ctx, uint32_t ifindex,
                          const uint8_t *pkt, size_t len, uint64_t uid, const struct ip6_packet *p);

/* Write one SA as a record of Wireshark's esp_sa table (model/keys.c). */
void mip6_write_esp_sa_record(FILE *f, const struct ipsec_sa *sa);

/* Record a packet the model drops, with its reason, and count it. */
void mip6_record_drop(struct mip6_node *n, uint32_t ifindex, const uint8_t *pkt, size_t len,
                      uint64_t uid, enum rec_drop why);

/*
 * Record an event for a packet the model has as fixed-header fields and a
 * payload; why is REC_DROP_NONE unless kind is REC_DROP.
 */
void mip6_record_built(struct mip6_node *n, uint32_t ifindex, enum rec_kind kind,
                       const uint8_t src[16], const uint8_t dst[16], uint8_t next_header,
                       const uint8_t *payload, size_t len, uint64_t uid, uint64_t parent_uid,
                       enum rec_drop why);

#endif /* MIP6SEC_MIP6_H */
