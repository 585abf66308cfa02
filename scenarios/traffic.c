/*
 * traffic.c - the TCP and ICMPv6 echo traffic of mip6sec-handoff
 * (traffic.h).
 */
#include "traffic.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mip6sec-ns3.h"

/* The congestion controls of ns-3.37 that --tcpVariant accepts, as the
 * ns-3 type names without their "ns3::Tcp" prefix. */
static const char *const TCP_VARIANTS[] = {
    "NewReno", "LinuxReno", "Bic",   "Cubic", "HighSpeed", "Htcp", "Hybla", "Illinois", "Ledbat",
    "Lp",      "Scalable",  "Vegas", "Veno",  "Westwood",  "Yeah", "Bbr",   "Dctcp",
};
#define N_TCP_VARIANTS (sizeof TCP_VARIANTS / sizeof TCP_VARIANTS[0])

/* Packet sizes that decide the largest segment, in bytes. */
#define LINK_MTU 1500
#define IPV6_HEADER 40
#define TCP_HEADER_MAX 60 /* 20 bytes and 40 of options (RFC 9293 section 3.1) */
/* The inner packet of the plain IPv6-in-IPv6 tunnel: one more IPv6 header. */
#define TUNNEL_INNER_MAX (LINK_MTU - IPV6_HEADER)
/* The inner packet of the ESP tunnel (AES-128-CBC, HMAC-SHA1-96):
 * 1500 - 40 (outer IPv6) - 8 (SPI, sequence) - 16 (IV) - 12 (ICV) leaves
 * 1424 bytes of ciphertext, which carry the inner packet and the 2-byte
 * ESP trailer. */
#define ESP_TUNNEL_INNER_MAX (LINK_MTU - IPV6_HEADER - 8 - 16 - 12 - 2)

/*
 * The variant's ns-3 name without the "Tcp" prefix, for a name with or
 * without it in any case, or NULL when ns-3.37 has no such variant.
 */
static const char *
find_tcp_variant(const char *name)
{
    if (strncasecmp(name, "Tcp", 3) == 0)
        name += 3;
    for (size_t i = 0; i < N_TCP_VARIANTS; i++) {
        if (strcasecmp(name, TCP_VARIANTS[i]) == 0)
            return TCP_VARIANTS[i];
    }
    return NULL;
}

/* Parse "udp,tcp,ping" into TRAFFIC_* bits; false on an empty, unknown or repeated item. */
static bool
parse_kinds(const char *program, const char *text, unsigned *kinds)
{
    *kinds = 0;
    const char *item = text;
    for (;;) {
        size_t len = strcspn(item, ",");
        unsigned kind = 0;
        if (len == 3 && strncmp(item, "udp", 3) == 0)
            kind = TRAFFIC_UDP;
        else if (len == 3 && strncmp(item, "tcp", 3) == 0)
            kind = TRAFFIC_TCP;
        else if (len == 4 && strncmp(item, "ping", 4) == 0)
            kind = TRAFFIC_PING;
        if (kind & *kinds) {
            fprintf(stderr,
                    "%s: invalid value '%s' for --traffic: '%.*s' is listed twice; name each "
                    "traffic kind once\n",
                    program, text, (int)len, item);
            return false;
        }
        *kinds |= kind;
        if (kind == 0) {
            fprintf(stderr,
                    "%s: invalid value '%s' for --traffic: '%.*s' is not a traffic kind; use "
                    "udp, tcp or ping, or a comma-separated list such as udp,ping\n",
                    program, text, (int)len, item);
            return false;
        }
        if (item[len] == '\0')
            return true;
        item += len + 1;
    }
}

/* Check that a segment with the largest TCP header fits the tunnel to the home address. */
static bool
check_segment_size(const char *program, const struct traffic_options *o)
{
    unsigned inner_max = o->esp_tunnel ? ESP_TUNNEL_INNER_MAX : TUNNEL_INNER_MAX;
    unsigned segment_max = inner_max - IPV6_HEADER - TCP_HEADER_MAX;
    if (o->tcp_segment_size <= segment_max)
        return true;

    if (o->esp_tunnel)
        fprintf(stderr,
                "%s: --tcpSegmentSize=%llu is too large for --tunnelEsp=all: with the IPv6 "
                "header and the largest TCP header (%d bytes) the packet exceeds the %u bytes "
                "that the ESP tunnel carries in a %d-byte packet, and the model does not "
                "reassemble fragments; use --tcpSegmentSize=%u or less\n",
                program, (unsigned long long)o->tcp_segment_size, TCP_HEADER_MAX, inner_max,
                LINK_MTU, segment_max);
    else
        fprintf(stderr,
                "%s: --tcpSegmentSize=%llu is too large for the tunnel to the home address: "
                "with the IPv6 header and the largest TCP header (%d bytes) the packet exceeds "
                "the %u-byte tunnel MTU (%d-byte links less the outer IPv6 header), and ns-3's "
                "TCP does not lower its segment size on Packet Too Big; use "
                "--tcpSegmentSize=%u or less\n",
                program, (unsigned long long)o->tcp_segment_size, TCP_HEADER_MAX, inner_max,
                LINK_MTU, segment_max);
    return false;
}

bool
traffic_validate(const char *program, const struct traffic_options *o, unsigned *kinds)
{
    if (!parse_kinds(program, o->kinds, kinds))
        return false;

    if (!find_tcp_variant(o->tcp_variant)) {
        char list[256] = "";
        for (size_t i = 0; i < N_TCP_VARIANTS; i++) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", TCP_VARIANTS[i]);
        }
        fprintf(stderr, "%s: invalid value '%s' for --tcpVariant: use one of %s\n", program,
                o->tcp_variant, list);
        return false;
    }
    if (!check_segment_size(program, o))
        return false;

    /* An option for traffic that the run does not send is a mistake, not
     * a request to ignore it. */
    if (!(*kinds & TRAFFIC_TCP)) {
        const char *unused =
            strcmp(find_tcp_variant(o->tcp_variant), "NewReno") != 0 ? "--tcpVariant"
            : o->tcp_segment_size != TRAFFIC_DEFAULT_SEGMENT_SIZE    ? "--tcpSegmentSize"
            : o->tcp_uplink                                          ? "--tcpUplink"
                                                                     : NULL;
        if (unused) {
            fprintf(stderr,
                    "%s: %s acts only with TCP traffic; add tcp to --traffic (--traffic=%s,tcp) "
                    "or leave it out\n",
                    program, unused, o->kinds);
            return false;
        }
    }
    if (!(*kinds & TRAFFIC_PING) && o->ping_interval_ms != 100) {
        fprintf(stderr,
                "%s: --pingInterval acts only with echo traffic; add ping to --traffic "
                "(--traffic=%s,ping) or leave it out\n",
                program, o->kinds);
        return false;
    }
    return true;
}

int
traffic_tcp_defaults(const struct traffic_options *o)
{
    char text[64];

    snprintf(text, sizeof text, "ns3::Tcp%s", find_tcp_variant(o->tcp_variant));
    int status = mip6sec_set_default("ns3::TcpL4Protocol::SocketType", text);
    if (status != 0)
        return status;
    snprintf(text, sizeof text, "%llu", (unsigned long long)o->tcp_segment_size);
    return mip6sec_set_default("ns3::TcpSocket::SegmentSize", text);
}

int
traffic_install(const struct traffic_options *o, unsigned kinds, uint32_t mn, uint32_t cn,
                const char *home_address, const char *cn_address, uint64_t start_ns,
                uint64_t stop_ns, struct traffic_apps *apps, const char **what)
{
    int status = 0;

    memset(apps, 0, sizeof *apps);
    /* The sink on the mobile node is bound to the home address, which
     * stays with the node when it moves onto the tunnel interface. */
    if (kinds & TRAFFIC_TCP) {
        *what = "TCP to the home address";
        status = mip6sec_tcp_sink(mn, home_address, TRAFFIC_TCP_DOWNLINK_PORT, &apps->tcp_sink);
        if (status == 0)
            status = mip6sec_tcp_bulk(cn, cn_address, home_address, TRAFFIC_TCP_DOWNLINK_PORT,
                                      start_ns, stop_ns, &apps->tcp_sender);
        if (status != 0)
            return status;
        apps->has_tcp = true;
    }
    if ((kinds & TRAFFIC_TCP) && o->tcp_uplink) {
        *what = "TCP from the home address";
        status = mip6sec_tcp_sink(cn, cn_address, TRAFFIC_TCP_UPLINK_PORT, &apps->tcp_uplink_sink);
        if (status == 0)
            status = mip6sec_tcp_bulk(mn, home_address, cn_address, TRAFFIC_TCP_UPLINK_PORT,
                                      start_ns, stop_ns, &apps->tcp_uplink_sender);
        if (status != 0)
            return status;
        apps->has_tcp_uplink = true;
    }
    if (kinds & TRAFFIC_PING) {
        *what = "ping of the home address";
        status =
            mip6sec_ping(cn, home_address, TRAFFIC_PING_PAYLOAD,
                         (uint64_t)(o->ping_interval_ms * 1e6), start_ns, stop_ns, &apps->ping);
        if (status != 0)
            return status;
        apps->has_ping = true;
    }
    return 0;
}

/* Append "; " (unless out is empty) and the formatted part to out. */
static void
append_part(char *out, size_t out_len, const char *part)
{
    size_t used = strlen(out);
    snprintf(out + used, out_len - used, "%s%s", used ? "; " : "", part);
}

void
traffic_summary(const struct traffic_apps *apps, char *out, size_t out_len)
{
    char part[256];
    uint64_t bytes = 0;

    if (apps->has_tcp) {
        mip6sec_app_counts(apps->tcp_sink, NULL, &bytes);
        snprintf(part, sizeof part, "TCP to the home address: %llu bytes received",
                 (unsigned long long)bytes);
        append_part(out, out_len, part);
    }
    if (apps->has_tcp_uplink) {
        mip6sec_app_counts(apps->tcp_uplink_sink, NULL, &bytes);
        snprintf(part, sizeof part, "TCP from the home address: %llu bytes received",
                 (unsigned long long)bytes);
        append_part(out, out_len, part);
    }
    if (apps->has_ping) {
        struct mip6sec_ping_stats s;
        mip6sec_ping_stats(apps->ping, &s);
        double mean_ms = s.replied ? (double)s.rtt_sum_ns / (double)s.replied / 1e6 : 0;
        snprintf(part, sizeof part,
                 "ping of the home address: %llu sent, %llu replied, RTT min/mean/max "
                 "%.3f/%.3f/%.3f ms",
                 (unsigned long long)s.sent, (unsigned long long)s.replied,
                 (double)s.rtt_min_ns / 1e6, mean_ms, (double)s.rtt_max_ns / 1e6);
        append_part(out, out_len, part);
    }
}
