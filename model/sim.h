/*
 * sim.h - the simulator services that the mip6sec model uses.
 *
 * The protocol model never includes an ns-3 header.  Everything it needs
 * from a simulator goes through the functions below, which have two
 * implementations:
 *   - shim/sim-ns3.cc, over libns3 (what scenarios link);
 *   - test/unit/testsim.c, a small deterministic discrete-event simulator
 *     that carries packets between model instances as bytes, so the model
 *     can be unit-tested without ns-3.
 *
 * Nodes are named by their ns-3 node id and interfaces by their ns-3 IPv6
 * interface index.  Addresses are 16-byte arrays in network byte order.
 * Functions that can fail return 0 on success and a negative sim_status.
 */
#ifndef MIP6SEC_SIM_H
#define MIP6SEC_SIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum sim_status {
    SIM_OK = 0,
    SIM_ERR_NO_NODE = -1,   /* no node with that id */
    SIM_ERR_NO_IFACE = -2,  /* no IPv6 interface with that index */
    SIM_ERR_NO_ROUTE = -3,  /* routing found no route to the destination */
    SIM_ERR_INVALID = -4,   /* an argument is out of range */
    SIM_ERR_NOT_FOUND = -5, /* the address or route to remove does not exist */
};

/* Interface index meaning "let routing choose the outgoing interface". */
#define SIM_IFINDEX_ANY UINT32_MAX

/* Current simulated time in nanoseconds since the start of the run. */
uint64_t sim_now_ns(void);

typedef void (*sim_event_fn)(void *arg);

/*
 * Schedule fn(arg) after delay_ns in the context of the given node.  There
 * is no cancel: a caller that may change its mind keeps a generation
 * counter in arg and ignores stale events (see model/timer.h).
 */
void sim_schedule(uint32_t node, uint64_t delay_ns, sim_event_fn fn, void *arg);

/* Uniformly distributed 32-bit value from the run's seeded random stream. */
uint32_t sim_random_u32(uint32_t node);

/* ----- packet input ----- */

enum sim_verdict {
    SIM_PASS = 0,     /* hand the packet to the simulator's IPv6 layer */
    SIM_CONSUMED = 1, /* the model took the packet; the IPv6 layer never sees it */
};

/*
 * Called for every IPv6 packet that arrives at the node on a physical
 * interface, before the simulator's IPv6 layer sees it.  pkt starts with
 * the fixed IPv6 header and is only valid during the call.  uid is the
 * simulator's packet id.
 */
typedef enum sim_verdict (*sim_ingress_fn)(void *ctx, uint32_t ifindex, const uint8_t *pkt,
                                           size_t len, uint64_t uid);

/* Install the node's ingress hook; one per node, a second call replaces it. */
int sim_set_ingress_hook(uint32_t node, sim_ingress_fn fn, void *ctx);

/*
 * Add a hook that gets each packet before the node's main hook, for a
 * component that shares the node with another (a router advertisement
 * daemon on a home agent, say).  Added hooks run in the order they were
 * added, and the first that returns SIM_CONSUMED ends the walk.  At most
 * SIM_MAX_EXTRA_HOOKS per node.
 */
#define SIM_MAX_EXTRA_HOOKS 4
int sim_add_ingress_hook(uint32_t node, sim_ingress_fn fn, void *ctx);

/*
 * Join or leave, on one interface, the solicited-node multicast group of
 * addr (RFC 4291 §2.7.1), for an address the node answers for without
 * owning it (proxy Neighbor Discovery).  A node always receives the groups
 * of its own addresses, all-nodes, and all-routers when it forwards; other
 * frames to solicited-node groups are dropped below IPv6, as a network
 * card's multicast filter drops them.  Joins are counted: each join needs
 * one leave.
 */
int sim_solicited_node_join(uint32_t node, uint32_t ifindex, const uint8_t addr[16]);
int sim_solicited_node_leave(uint32_t node, uint32_t ifindex, const uint8_t addr[16]);

/* Called when the link of one of the node's interfaces goes down or up. */
typedef void (*sim_link_fn)(void *ctx, uint32_t ifindex, int up);
int sim_set_link_hook(uint32_t node, sim_link_fn fn, void *ctx);

/* ----- packet output ----- */

/*
 * Send an IPv6 packet whose fixed header the simulator builds from src,
 * dst and next_header.  payload starts with the first extension header or
 * the upper-layer header and is copied.  With ifindex SIM_IFINDEX_ANY
 * routing picks the interface; otherwise the route is looked up on that
 * interface only.  The new packet's uid is stored in *uid_out when it is
 * not NULL.
 */
int sim_ipv6_send(uint32_t node, uint32_t ifindex, const uint8_t src[16], const uint8_t dst[16],
                  uint8_t next_header, const uint8_t *payload, size_t len, uint64_t *uid_out);

/*
 * Send a Neighbor Discovery message on one interface: icmp is the whole
 * ICMPv6 message, checksum included, and the packet gets hop limit 255
 * (RFC 4861 §7.1, §6.1), which sim_ipv6_send does not give.
 */
int sim_nd_send(uint32_t node, uint32_t ifindex, const uint8_t src[16], const uint8_t dst[16],
                const uint8_t *icmp, size_t len, uint64_t *uid_out);

/* ----- IPv6-in-IPv6 tunnel interface ----- */

/*
 * Called with every packet that the node's IPv6 layer routes into the
 * tunnel interface.  pkt is the whole inner packet, fixed header included.
 */
typedef void (*sim_tunnel_tx_fn)(void *ctx, const uint8_t *pkt, size_t len, uint64_t uid);

/*
 * Create a point-to-point tunnel interface on the node.  Its IPv6
 * interface index is stored in *ifindex_out.  The interface is up, has a
 * link-local address and forwards packets when the node is a router.
 */
int sim_tunnel_create(uint32_t node, sim_tunnel_tx_fn fn, void *ctx, uint32_t *ifindex_out);

/*
 * Hand a decapsulated packet (starting with its IPv6 header) to the node
 * as if it had been received on the tunnel interface.
 */
int sim_tunnel_receive(uint32_t node, uint32_t ifindex, const uint8_t *pkt, size_t len,
                       uint64_t *uid_out);

/* ----- addresses and routes ----- */

enum sim_addr_state {
    SIM_ADDR_ABSENT = 0,
    SIM_ADDR_TENTATIVE = 1, /* duplicate address detection still running */
    SIM_ADDR_PREFERRED = 2,
    SIM_ADDR_DEPRECATED = 3,
    SIM_ADDR_INVALID = 4, /* duplicate address detection failed */
};

int sim_addr_add(uint32_t node, uint32_t ifindex, const uint8_t addr[16], uint8_t prefix_len);
int sim_addr_remove(uint32_t node, uint32_t ifindex, const uint8_t addr[16]);
enum sim_addr_state sim_addr_state(uint32_t node, uint32_t ifindex, const uint8_t addr[16]);

/*
 * Remove an address that stateless autoconfiguration made from a router
 * advertisement, with its on-link prefix route and its default route via
 * that router.  NOTE: over ns-3.37 a later advertisement of the same
 * prefix on that interface may not configure the address again.  A
 * caller that needs it adds it with sim_addr_add when it stays absent.
 */
int sim_autoconf_remove(uint32_t node, uint32_t ifindex, const uint8_t prefix[16],
                        uint8_t prefix_len, const uint8_t router[16]);

/* Add a route; next_hop NULL means on-link.  A longer prefix always wins. */
int sim_route_add(uint32_t node, const uint8_t prefix[16], uint8_t prefix_len, uint32_t ifindex,
                  const uint8_t *next_hop, uint32_t metric);
int sim_route_remove(uint32_t node, const uint8_t prefix[16], uint8_t prefix_len, uint32_t ifindex);

/* The 48-bit MAC address of the interface's device, for EUI-64 identifiers. */
int sim_iface_mac48(uint32_t node, uint32_t ifindex, uint8_t mac[6]);

/* How long duplicate address detection keeps a new address tentative. */
uint64_t sim_dad_timeout_ns(uint32_t node);

#ifdef __cplusplus
}
#endif

#endif /* MIP6SEC_SIM_H */
