/*
 * mip6sec-ns3.h - the C API that scenarios use to build and run an
 * experiment on ns-3 (Debian's libns3, version 3.37).
 *
 * A scenario calls, in this order:
 *   1. mip6sec_init(), then mip6sec_set_default() for any ns-3 default;
 *   2. nodes, links, addresses, static routes, router advertisements;
 *   3. the protocol model's setup (it uses sim.h), traffic, mobility,
 *      attachment and tracing;
 *   4. mip6sec_run_until(), once or several times, then mip6sec_destroy().
 *
 * Handles are plain numbers.  A node is its ns-3 node id.  An interface is
 * the node's IPv6 interface index: 0 is the loopback, links and tunnels
 * add 1, 2, ... in creation order.  A channel is its ns-3 channel id.  An
 * application is a shim id counted from 0 in each run.
 *
 * Functions that can fail return 0 or a negative enum sim_status (sim.h),
 * and mip6sec_last_error() then describes the failure.  Addresses are
 * text ("2001:1:0:1::1"), prefixes are text with a length
 * ("2001:1:0:1::/64").  Times are nanoseconds of simulated time since the
 * start of the run, rates bit/s, distances metres.
 *
 * Use prefixes outside 2001:db8::/32: ns-3 routers drop documentation
 * addresses when forwarding.
 *
 * Random streams.  With the same seed, run number and scenario, every
 * random draw repeats.  The shim gives each component of node n fixed
 * ns-3 stream numbers, so its draws stay the same when the scenario
 * changes elsewhere:
 *   sim_random_u32(n)                         n (ids from 2^20 - 1 up share 2^20 - 1)
 *   IPv6 stack (ICMPv6 solicitation jitter)   2^20 + 256 n + 0 .. 63
 *   CSMA device with ns-3 device index d      2^20 + 256 n + 64 + d
 *   router advertisement daemon               2^20 + 256 n + 200
 *   random waypoint mobility                  2^20 + 256 n + 201 .. 204
 *   WiFi device number k of the node (k < 3)  2^20 + 256 n + 208 + 16 k .. + 15
 */
#ifndef MIP6SEC_NS3_H
#define MIP6SEC_NS3_H

#include <stddef.h>
#include <stdint.h>

#include "rec.h"
#include "sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ----- run ----- */

/*
 * Set the seed (1 .. 2^32 - 1) and run number of ns-3's random number
 * generator.  Call it first: before any node exists.
 */
int mip6sec_init(uint32_t seed, uint64_t run);

/* The ns-3 version the shim was built against, e.g. "3.37". */
const char *mip6sec_ns3_version(void);

/*
 * Set the default of an ns-3 attribute, e.g.
 * ("ns3::Icmpv6L4Protocol::DadTimeout", "1s").  Objects created afterwards
 * use it.  SIM_ERR_INVALID when the name or value is not accepted.
 */
int mip6sec_set_default(const char *name, const char *value);

/* Run the simulation until stop_ns (not before the current time). */
int mip6sec_run_until(uint64_t stop_ns);

/* Destroy the simulation and the shim's state; handles become invalid. */
void mip6sec_destroy(void);

/* A description of the last failure, "" when none; valid until the next call. */
const char *mip6sec_last_error(void);

/* ----- nodes and links ----- */

/* Create a node with an IPv6-only internet stack (no IPv4). */
int mip6sec_node_create(uint32_t *node_out);

/* Enable IPv6 forwarding on all of the node's interfaces, present and future. */
int mip6sec_node_set_router(uint32_t node);

/* Connect two nodes by a point-to-point link; each end gets an IPv6 interface. */
int mip6sec_p2p_link(uint32_t node_a, uint32_t node_b, uint64_t rate_bps, uint64_t delay_ns,
                     uint32_t *ifindex_a, uint32_t *ifindex_b);

/* Create a CSMA (Ethernet-like) channel. */
int mip6sec_csma_channel(uint64_t rate_bps, uint64_t delay_ns, uint32_t *channel_out);

/* Give the node a CSMA device on the channel and an IPv6 interface on it. */
int mip6sec_csma_attach(uint32_t channel, uint32_t node, uint32_t *ifindex_out);

/*
 * Add a global address with its prefix length, "2001:1:0:1::1/64", and the
 * on-link route for that prefix.  Link-local addresses are automatic.
 */
int mip6sec_addr_assign(uint32_t node, uint32_t ifindex, const char *address_prefix);

/* Add a static route; next_hop NULL or "" means the prefix is on-link. */
int mip6sec_route_static(uint32_t node, const char *prefix, const char *next_hop, uint32_t ifindex);

/* Flags of mip6sec_radvd(). */
#define MIP6SEC_RA_HOME_AGENT 0x1u /* set the Home Agent (H) bit, RFC 6275 section 7.1 */

/*
 * Send router advertisements on a router's interface with ns-3's Radvd:
 * unsolicited ones every min..max ms (RFC 6275 section 7.5 allows down to
 * 30..70 ms) and solicited ones.  They advertise the prefix with the
 * on-link and autonomous flags, so hosts autoconfigure an address.
 * Configure before the first mip6sec_run_until().  Radvd cannot set the
 * hop limit per packet, so the router's default hop limit becomes 255, the
 * value RFC 4861 requires of advertisements.  Packets it forwards keep
 * their own.
 * NOTE: Radvd in ns-3.37 never sends the Advertisement Interval option.
 */
int mip6sec_radvd(uint32_t node, uint32_t ifindex, const char *prefix, uint32_t min_interval_ms,
                  uint32_t max_interval_ms, unsigned flags);

/* ----- traffic ----- */

/*
 * Send UDP packets of packet_size bytes (12 .. 65507) from the node to
 * address:port every interval_ns from start_ns until stop_ns, with ns-3's
 * UdpClient.  Each payload starts with a 12-byte SeqTsHeader whose first
 * 32-bit word is the sequence number, counted from 0.
 */
int mip6sec_udp_cbr(uint32_t node, const char *address, uint16_t port, uint32_t packet_size,
                    uint64_t interval_ns, uint64_t start_ns, uint64_t stop_ns, uint32_t *app_out);

/* Receive UDP on address:port of the node with ns-3's PacketSink. */
int mip6sec_udp_sink(uint32_t node, const char *address, uint16_t port, uint32_t *app_out);

/* Echo UDP datagrams received on the port (any address), from now on. */
int mip6sec_udp_echo_server(uint32_t node, uint16_t port, uint32_t *app_out);

/* Send count UDP echo requests of packet_size bytes, one per interval_ns. */
int mip6sec_udp_echo_client(uint32_t node, const char *address, uint16_t port, uint32_t packet_size,
                            uint64_t interval_ns, uint32_t count, uint64_t start_ns,
                            uint64_t stop_ns, uint32_t *app_out);

/*
 * Send TCP from local (the node's address, or "::" to let the route pick
 * it when the connection opens) to address:port as fast as TCP allows,
 * with ns-3's BulkSendApplication, from start_ns until stop_ns.  The
 * connection keeps its local address when the node's interfaces change.
 * The congestion control and segment size are ns-3 defaults: set
 * "ns3::TcpL4Protocol::SocketType" (e.g. "ns3::TcpCubic") and
 * "ns3::TcpSocket::SegmentSize" with mip6sec_set_default() before the
 * nodes are created.  ns-3.37's TcpSocketBase does not lower its segment
 * size on Packet Too Big (the IPv6 layer fragments instead), so choose a
 * segment size whose packets fit every link and tunnel on the path.
 */
int mip6sec_tcp_bulk(uint32_t node, const char *local, const char *address, uint16_t port,
                     uint64_t start_ns, uint64_t stop_ns, uint32_t *app_out);

/*
 * Accept TCP connections on address:port of the node ("::" for any
 * address) with ns-3's PacketSink, from now on, and read all they carry.
 */
int mip6sec_tcp_sink(uint32_t node, const char *address, uint16_t port, uint32_t *app_out);

/*
 * Send ICMPv6 echo requests with payload_size bytes of data (4 .. 65527)
 * from the node to address, one per interval_ns from start_ns until
 * stop_ns, with ns-3's Ping6.  The route picks the source address.  The
 * node's IPv6 layer is watched to time each request from the moment it
 * leaves to the moment its reply is delivered (mip6sec_ping_stats).
 * NOTE: a reply is recognised only when ICMPv6 directly follows its IPv6
 * header, so replies that arrive with extension headers the node's stack
 * processes are not counted.
 */
int mip6sec_ping(uint32_t node, const char *address, uint32_t payload_size, uint64_t interval_ns,
                 uint64_t start_ns, uint64_t stop_ns, uint32_t *app_out);

/* Echo statistics of a mip6sec_ping() application. */
struct mip6sec_ping_stats {
    uint64_t sent;       /* echo requests that left the node's IPv6 layer */
    uint64_t replied;    /* requests that got a reply; duplicate replies count once */
    uint64_t rtt_min_ns; /* round-trip times of the replied requests; 0 while none */
    uint64_t rtt_max_ns;
    uint64_t rtt_sum_ns; /* divide by replied for the mean */
};

/* Copy the echo statistics so far.  SIM_ERR_INVALID for another kind of application. */
int mip6sec_ping_stats(uint32_t app, struct mip6sec_ping_stats *stats);

/*
 * Packets and bytes an application has handled so far: sent for
 * mip6sec_udp_cbr, received for the sinks and the echo server, replies
 * received for the echo client and mip6sec_ping.  For mip6sec_tcp_bulk
 * they are the writes to the socket and their bytes, for a TCP sink the
 * reads and the bytes received.  Either pointer may be NULL.
 */
int mip6sec_app_counts(uint32_t app, uint64_t *packets, uint64_t *bytes);

/* ----- mobility ----- */

/* Place the node at a fixed position. */
int mip6sec_position(uint32_t node, double x, double y, double z);

/* Move the node from a position at a constant velocity (m/s) from now on. */
int mip6sec_velocity(uint32_t node, double x, double y, double z, double vx, double vy, double vz);

/*
 * Move the node as the entries for $node_(trace_node) in an ns-2 mobility
 * trace file describe.  SIM_ERR_NOT_FOUND when the file cannot be read or
 * has no entry for trace_node; SIM_ERR_INVALID when the node already has a
 * position or velocity.
 */
int mip6sec_ns2_trace(uint32_t node, const char *path, uint32_t trace_node);

/* Parameters of mip6sec_random_waypoint(); coordinates in m. */
struct mip6sec_waypoint {
    double x, y;         /* start position */
    double x_min, x_max; /* the rectangle that waypoints are drawn from, uniformly */
    double y_min, y_max;
    double speed_min_mps; /* speed of each leg, drawn uniformly; above 0 */
    double speed_max_mps;
    double pause_s; /* pause at the start and at each waypoint */
};

/*
 * Move the node by ns-3's RandomWaypointMobilityModel in the plane z = 0:
 * it pauses at the start position, walks in a straight line to a random
 * waypoint at a random speed, pauses there, and so on.  The draws come
 * from the node's own streams, so the same seed and run give the same
 * walk.  SIM_ERR_INVALID when the node already has a position or
 * velocity, the minimum speed is not above 0 or exceeds the maximum, the
 * pause is negative, or a rectangle's maximum is below its minimum.
 */
int mip6sec_random_waypoint(uint32_t node, const struct mip6sec_waypoint *walk);

/* ----- layer-2 attachment of a CSMA device ----- */

/* Give a CSMA channel the position of its access point. */
int mip6sec_channel_position(uint32_t channel, double x, double y, double z);

/*
 * Called when a device leaves a channel (up = 0) or joins one (up = 1),
 * in the node's context, after the node's sim.h link hook.
 */
typedef void (*mip6sec_attach_fn)(void *ctx, uint32_t node, uint32_t ifindex, uint32_t channel,
                                  int up);

/* Set the callback for every attachment change in this run; NULL removes it. */
void mip6sec_attach_callback(mip6sec_attach_fn fn, void *ctx);

/*
 * Keep the node's CSMA device on the nearest positioned channel: every
 * check_interval_ns (0 means 10 ms) compare the node's position with the
 * channels' and move the device when another channel is nearer than the
 * current one by more than hysteresis_m.  A move detaches the device (link
 * down), so frames on the old channel no longer reach it.  It attaches the
 * device to the new channel (link up) as soon as the old channel is not in
 * the middle of a transmission, within microseconds.
 */
int mip6sec_attach_nearest(uint32_t node, uint32_t ifindex, uint64_t check_interval_ns,
                           double hysteresis_m);

/* Move the node's CSMA device to the channel at time at_ns, as above. */
int mip6sec_attach_move(uint32_t node, uint32_t ifindex, uint32_t channel, uint64_t at_ns);

/* ----- WiFi access ----- */

/*
 * WiFi access networks are IEEE 802.11a devices (ns-3's YansWifiPhy and
 * WifiMac, IdealWifiManager rate control) on one channel: 5 GHz channel
 * 36, log-distance path loss and constant-speed propagation delay
 * (YansWifiChannelHelper::Default).  Give every access point the same SSID,
 * so stations roam between them.  ns-3.37 moves a station to another
 * access point only after it has missed MaxMissedBeacons beacons (10
 * beacons of 102.4 ms by default), never on signal strength alone.
 * With ns-3's defaults (16 dBm transmit power, preamble detection from
 * -82 dBm) a station received its access point's beacons up to about 51 m
 * away in mip6sec-handoff --access=wifi.  Each WiFi device is an IPv6
 * interface like a CSMA device.
 */

/* Create a WiFi channel; its id is stored in *channel_out. */
int mip6sec_wifi_channel(uint32_t *channel_out);

/*
 * Give the node, an access router, a WiFi access point on the channel and
 * an IPv6 interface on it.  The access point sends beacons with the SSID
 * (1 to 32 bytes).  Send router advertisements on the interface with
 * mip6sec_radvd().  The node is placed at (x, y, z) m.  SIM_ERR_INVALID
 * when the node already moves by a mobility model other than a fixed
 * position, or the SSID is empty or longer than 32 bytes.
 */
int mip6sec_wifi_ap(uint32_t channel, uint32_t node, const char *ssid, double x, double y, double z,
                    uint32_t *ifindex_out);

/*
 * Give the node a WiFi station on the channel that associates with access
 * points of the SSID, and an IPv6 interface on it.  With active_probing
 * non-zero the station sends probe requests when it scans; otherwise it
 * waits for beacons.  The node needs a position (mip6sec_position(),
 * mip6sec_velocity() or mip6sec_ns2_trace()) before the run starts.
 * The interface's link counts as up from the start, as ns-3's WifiNetDevice
 * reports it, so the first association raises no link-up.  Afterwards the
 * node's sim.h link hook gets link down when the station loses its access
 * point and link up when it associates again.
 */
int mip6sec_wifi_station(uint32_t channel, uint32_t node, const char *ssid, int active_probing,
                         uint32_t *ifindex_out);

/* ap_node of a layer-2 event whose BSSID belongs to no access point of this run. */
#define MIP6SEC_NO_NODE UINT32_MAX

enum mip6sec_wifi_event {
    MIP6SEC_WIFI_ASSOCIATED = 1,    /* the association response arrived (ns-3 "Assoc") */
    MIP6SEC_WIFI_DISASSOCIATED = 2, /* too many beacons were missed (ns-3 "DeAssoc") */
};

/* A layer-2 event of a WiFi station. */
struct mip6sec_wifi_info {
    enum mip6sec_wifi_event event;
    uint8_t bssid[6]; /* the access point's BSSID, which is its MAC address in ns-3 */
    /* The node and IPv6 interface of the access point with that BSSID, or
     * MIP6SEC_NO_NODE and 0. */
    uint32_t ap_node;
    uint32_t ap_ifindex;
    /* For a disassociation, the time of the last beacon the station
     * received from the access point while associated, in ns; -1 when none
     * arrived, and always -1 for an association. */
    int64_t last_beacon_ns;
};

/*
 * Called for each association and disassociation of a WiFi station, in
 * the station node's context.  It runs at the simulated time of the event,
 * after the node's sim.h link hook has seen the link change.
 */
typedef void (*mip6sec_wifi_fn)(void *ctx, uint32_t node, uint32_t ifindex,
                                const struct mip6sec_wifi_info *info);

/*
 * Set the layer-2 event callback of the station on the node's interface;
 * fn NULL removes it.  SIM_ERR_INVALID when the interface is not a WiFi
 * station.
 */
int mip6sec_wifi_station_callback(uint32_t node, uint32_t ifindex, mip6sec_wifi_fn fn, void *ctx);

/*
 * Write the 802.11 frames that the WiFi device of the node's interface
 * sends and receives to <prefix>-<node>-<ifindex>.pcap, with radiotap
 * headers.  SIM_ERR_INVALID when the interface is not a WiFi device or
 * the file cannot be written.
 */
int mip6sec_wifi_pcap(uint32_t node, uint32_t ifindex, const char *prefix);

/*
 * Make the node's ICMPv6 layer send a Router Solicitation on the interface
 * from its link-local address to all routers (ff02::2), for example after
 * a WiFi association, because ns-3 sends none on its own then.  ns-3.37's
 * Icmpv6L4Protocol delays it by 0 to 10 ms (SolicitationJitter) unless it
 * is still retransmitting an earlier solicitation of the node, and
 * retransmits it until a Router Advertisement arrives, at most
 * RsMaxRetransmissionCount (4) times.
 * NOTE: ns-3.37's Radvd sends a solicited advertisement only when a
 * random delay of 0 to 500 ms, plus 3 s when it advertised on the
 * interface in the last 3 s, ends before its next unsolicited one.  With
 * advertisements every 30-70 ms it never does, so the solicitation does
 * not speed up movement detection.
 * SIM_ERR_INVALID when the interface has no link-local address yet.
 */
int mip6sec_router_solicit(uint32_t node, uint32_t ifindex);

/* ----- tracing ----- */

/*
 * Called for each IPv6 event on a traced node.  pkt contains the first
 * caplen (at most 256) bytes of the packet, IPv6 header first, and
 * wire_len is the whole packet's length.  kind is REC_SEND (originated
 * here), REC_RECEIVE (arrived on ifindex), REC_FORWARD (forwarded out of
 * ifindex), REC_DELIVER (handed to a local upper layer), REC_DROP or
 * REC_TX (left through ifindex).  drop is REC_DROP_NONE unless kind is
 * REC_DROP.  For a drop on the forwarding path ns-3 reports ifindex 0, and
 * a router without a route drops without any event.  The callback must
 * only record, because it runs inside ns-3's packet processing.
 */
typedef void (*mip6sec_trace_fn)(void *ctx, uint32_t node, uint32_t ifindex, enum rec_kind kind,
                                 const uint8_t *pkt, size_t caplen, size_t wire_len, uint64_t uid,
                                 enum rec_drop drop);

/* Trace the node's IPv6 layer; a second call replaces the callback. */
int mip6sec_trace_node(uint32_t node, mip6sec_trace_fn fn, void *ctx);

/*
 * Write the frames of the node's interface to <prefix>-<node>-<ifindex>.pcap:
 * Ethernet frames for CSMA devices, raw IPv6 packets for point-to-point
 * links and tunnels.  WiFi devices take mip6sec_wifi_pcap().
 */
int mip6sec_pcap(uint32_t node, uint32_t ifindex, const char *prefix);

#ifdef __cplusplus
}
#endif

#endif /* MIP6SEC_NS3_H */
