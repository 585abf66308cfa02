/*
 * testsim.h - a deterministic discrete-event simulator for unit tests.
 *
 * It implements model/sim.h so that model instances (a mobile node and a
 * home agent, say) run against each other without ns-3.  Packets are real
 * bytes: sim_ipv6_send builds the fixed IPv6 header and, after the link
 * delay, hands the packet to the ingress hook of the node that owns the
 * destination address.  A packet the hook passes is delivered locally
 * when the node owns the destination, or routed into the node's tunnel
 * interface when a route says so; everything else is counted as lost.
 * Events run in (time, insertion order), so runs are repeatable.
 */
#ifndef MIP6SEC_TESTSIM_H
#define MIP6SEC_TESTSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim.h"

#define TESTSIM_MAX_PACKET 2048

/* A packet that reached a node's local upper layer or its tunnel. */
struct testsim_packet {
    uint64_t time_ns;
    uint32_t node;
    uint32_t ifindex;
    size_t len;
    uint8_t bytes[TESTSIM_MAX_PACKET];
};

/* Drop every node, event, address and log entry; time goes back to 0. */
void testsim_reset(void);

/* Add a node and return its id. */
uint32_t testsim_add_node(void);

/* Add a physical interface with the given MAC address; returns its ifindex. */
uint32_t testsim_add_iface(uint32_t node, const uint8_t mac[6]);

/* One-way delay of every packet, default 1 ms. */
void testsim_set_delay_ns(uint64_t delay_ns);

/* How long a new address stays tentative, default 1 s. */
void testsim_set_dad_timeout_ns(uint64_t timeout_ns);

/*
 * Mark an address as a duplicate, as ns-3.37 does when a Neighbor
 * Advertisement for a tentative address arrives: sim_addr_state reports
 * it SIM_ADDR_INVALID from now on.  Returns SIM_ERR_NOT_FOUND when the
 * interface does not have the address.
 */
int testsim_fail_dad(uint32_t node, uint32_t ifindex, const uint8_t addr[16]);

/*
 * Decide per packet whether the network loses it (for loss tests); the
 * callback sees the whole packet.  NULL loses nothing.
 */
typedef bool (*testsim_loss_fn)(const uint8_t *pkt, size_t len);
void testsim_set_loss(testsim_loss_fn fn);

/* Run events until the queue is empty or the next one is after t_ns. */
void testsim_run_until(uint64_t t_ns);

/* Hand a whole IPv6 packet to a node as if it arrived on ifindex now. */
void testsim_inject(uint32_t node, uint32_t ifindex, const uint8_t *pkt, size_t len);

/*
 * Hand a whole IPv6 packet to a node's IPv6 layer as if a local
 * application sent it: delivered, routed into a tunnel or transmitted.
 */
void testsim_send_local(uint32_t node, const uint8_t *pkt, size_t len);

/* Solicited-node groups the node has joined and not left (sim_solicited_node_join). */
unsigned testsim_solicited_joins(uint32_t node);

/* Report link down (up = 0) or up on an interface to the node's link hook. */
void testsim_link(uint32_t node, uint32_t ifindex, int up);

/* Packets delivered locally, in order; index < testsim_delivered_count(). */
size_t testsim_delivered_count(void);
const struct testsim_packet *testsim_delivered(size_t index);

/* Packets that the network lost or that no node owned. */
size_t testsim_lost_count(void);

/* Every packet sent with sim_ipv6_send, in order (for wire checks). */
size_t testsim_sent_count(void);
const struct testsim_packet *testsim_sent(size_t index);

#endif /* MIP6SEC_TESTSIM_H */
