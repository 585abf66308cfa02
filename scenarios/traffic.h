/*
 * traffic.h - the TCP and ICMPv6 echo traffic of mip6sec-handoff
 * (--traffic=tcp, --traffic=ping): option checks, ns-3 defaults,
 * applications and the summary.  UDP stays in handoff.c.
 */
#ifndef MIP6SEC_TRAFFIC_H
#define MIP6SEC_TRAFFIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Kinds of --traffic, one bit each. */
enum traffic_kind {
    TRAFFIC_UDP = 1u << 0,
    TRAFFIC_TCP = 1u << 1,
    TRAFFIC_PING = 1u << 2,
};

/* Segment size of --tcpSegmentSize without the option.  With the 40-byte
 * IPv6 header and the largest TCP header (60 bytes) a segment makes a
 * 1280-byte packet, the IPv6 minimum MTU, so it fits every tunnel mode. */
#define TRAFFIC_DEFAULT_SEGMENT_SIZE 1220

/* Data bytes in each echo request, as ping(8) sends by default. */
#define TRAFFIC_PING_PAYLOAD 56

/* Ports of the TCP connections: to the home address, and to the
 * correspondent with --tcpUplink. */
#define TRAFFIC_TCP_DOWNLINK_PORT 5002
#define TRAFFIC_TCP_UPLINK_PORT 5003

/* The traffic options of mip6sec-handoff. */
struct traffic_options {
    const char *kinds;         /* --traffic: "udp", "tcp", "ping" or a comma-separated list */
    const char *tcp_variant;   /* --tcpVariant: "NewReno", "Cubic", ... ("Tcp" prefix optional) */
    uint64_t tcp_segment_size; /* --tcpSegmentSize, bytes */
    bool tcp_uplink;           /* --tcpUplink */
    double ping_interval_ms;   /* --pingInterval */
    bool esp_tunnel;           /* --tunnelEsp=all: payload goes through the ESP tunnel */
};

/*
 * Parse o->kinds into TRAFFIC_* bits and check the TCP and ping options:
 * the variant is one that ns-3.37 has, the segments fit the tunnel, and
 * no option is given for traffic that the run does not send.  Prints
 * the error, naming the program, and returns false when one fails.
 */
bool traffic_validate(const char *program, const struct traffic_options *o, unsigned *kinds);

/*
 * Set ns-3's defaults for TCP sockets: the congestion control of
 * o->tcp_variant and the segment size.  Call it after mip6sec_init() and
 * before the nodes are created.  0 on success, otherwise the shim's status.
 */
int traffic_tcp_defaults(const struct traffic_options *o);

/* Application handles of the TCP and ping traffic.  The has_* flags mark which exist. */
struct traffic_apps {
    bool has_tcp, has_tcp_uplink, has_ping;
    uint32_t tcp_sink, tcp_sender;               /* correspondent to home address */
    uint32_t tcp_uplink_sink, tcp_uplink_sender; /* home address to correspondent */
    uint32_t ping;
};

/*
 * Install the TCP and ping applications that kinds selects between the
 * mobile node's home address and the correspondent's address.  They
 * send from start_ns until stop_ns.  0 on success; otherwise the
 * shim's status, with *what naming the failed step.
 */
int traffic_install(const struct traffic_options *o, unsigned kinds, uint32_t mn, uint32_t cn,
                    const char *home_address, const char *cn_address, uint64_t start_ns,
                    uint64_t stop_ns, struct traffic_apps *apps, const char **what);

/*
 * Append the TCP and ping counts to the summary line in out: TCP bytes
 * received at each end and echo requests sent and replied with their
 * round-trip times.  Appends nothing when neither runs.
 */
void traffic_summary(const struct traffic_apps *apps, char *out, size_t out_len);

#endif /* MIP6SEC_TRAFFIC_H */
