/*
 * handoff.h - what the handoff scenario's files share: its parameters,
 * filled from the command line by handoff_options.c, and the limits
 * they are checked against.
 */
#ifndef MIP6SEC_HANDOFF_H
#define MIP6SEC_HANDOFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmdline.h"
#include "mip6sec.h"
#include "traffic.h"

#define MS 1000000ull
#define S 1000000000ull

/* Largest UDP payload whose ESP tunnel packet fits the 1500-byte access
 * links: 1500 - 40 (outer IPv6) - 8 (SPI, sequence) - 16 (AES IV)
 * - 12 (ICV) leaves 1424 bytes of ciphertext for the inner packet and
 * the 2-byte ESP trailer, and 1424 - 2 - 40 (inner IPv6) - 8 (UDP) = 1374.
 * A larger packet is fragmented, and the model's ingress hooks do not
 * reassemble fragments. */
#define MAX_PACKET_SIZE_ESP_PAYLOAD 1374

/* Home prefix lifetimes that --prefixChangeAt switches to.  They differ
 * from the defaults (2592000 s and 604800 s), so the change makes the
 * home agent send unsolicited Mobile Prefix Advertisements. */
#define CHANGED_PREFIX_VALID_S 7200
#define CHANGED_PREFIX_PREFERRED_S 3600

/* The SSID of every access point with --access=wifi, so the station roams. */
#define WIFI_SSID "mip6sec"

/* Most access routers --accessRouters may ask for.  Their access prefixes
 * 2001:1:0:2::/64 upward and backbone prefixes 2001:1:0:102::/64 upward
 * must not meet. */
#define MAX_ACCESS_ROUTERS 64

struct params {
    uint64_t seed;
    uint64_t run;
    double duration_s;
    double speed;
    double spacing;
    uint64_t access_routers;
    const char *trace;
    uint64_t ra_min_ms;
    uint64_t ra_max_ms;
    double backbone_delay_ms;
    double backbone_rate_mbps;
    double access_delay_us;
    double access_rate_mbps;
    double interval_ms;
    uint64_t packet_size;
    double uplink_interval_ms;
    struct traffic_options traffic;
    double dad_timeout_ms;
    uint64_t nd_queue; /* ns3::NdiscCache::UnresolvedQueueSize */
    bool optimistic_dad;
    uint64_t lifetime_s;
    double check_interval_ms;
    double hysteresis;
    const char *access;
    bool active_probing;
    bool router_solicitation;
    double rs_max_delay_ms;
    const char *radvd;
    double min_delay_between_ras_ms;
    double max_ra_delay_ms;
    bool adv_interval_option;
    uint64_t ra_loss_intervals;
    double prefix_change_s;
    const char *encryption;
    const char *tunnel_esp;
    const char *output;
    bool pcap;
    bool route_optimization;
    bool strict_tunnel_source;
    const char *spd_mobile_node;
    const char *spd_home_agent;
    const char *spd_write;
    const char *keying;
    const char *ike_auth;
    bool k_bit;
    bool pfs;
    uint64_t dh_group;
    double ike_lifetime_s;
    double sa_soft_lifetime_s;
    double sa_hard_lifetime_s;
    uint64_t sa_soft_bytes;
    uint64_t sa_hard_bytes;
    uint64_t replay_window;
    bool esn;
    double ike_retransmit_ms;
    uint64_t ike_retries;
    double dh_cost_us;
    double auth_cost_us;
    bool cpu_model;
    double mn_slowdown;
    double ha_slowdown;
    const char *costs;
};

/* The parameters of the run: defaults, then the command line. */
extern struct params P;

/* The cost table of --costs, loaded by handoff_validate(). */
extern struct mip6_cost_table cost_table;

/* The TRAFFIC_* bits of --traffic, parsed by handoff_validate(). */
extern unsigned traffic_kinds;

/* The command-line options, all of which are recorded in the param table. */
extern const struct cmdline_option OPTIONS[];
extern const size_t N_OPTIONS;

/* Check the parameters together, after cmdline_parse has read each one;
 * prints the first problem and its fix and returns false. */
bool handoff_validate(void);

/* The model's router advertisement daemon configuration for a router. */
void radvd_config(struct mip6_radvd_config *cfg, uint32_t ifindex, bool home_agent);

#endif /* MIP6SEC_HANDOFF_H */
