/*
 * apps.cc - traffic for scenarios, with counters: ns-3's UdpClient
 * (constant bit rate), PacketSink for UDP and TCP, UdpEchoServer,
 * UdpEchoClient, BulkSendApplication over TCP, and Ping6 (ICMPv6 echo).
 */
#include "shim-internal.h"

#include "ns3/address.h"
#include "ns3/application.h"
#include "ns3/bulk-send-application.h"
#include "ns3/icmpv6-header.h"
#include "ns3/icmpv6-l4-protocol.h"
#include "ns3/inet6-socket-address.h"
#include "ns3/log.h"
#include "ns3/nstime.h"
#include "ns3/packet-sink.h"
#include "ns3/ping6.h"
#include "ns3/simulator.h"
#include "ns3/tcp-socket-factory.h"
#include "ns3/type-id.h"
#include "ns3/udp-client.h"
#include "ns3/udp-echo-client.h"
#include "ns3/udp-echo-server.h"
#include "ns3/udp-socket-factory.h"
#include "ns3/uinteger.h"

#include <limits>
#include <sstream>
#include <unordered_map>
#include <vector>

NS_LOG_COMPONENT_DEFINE("Mip6secApps");

using namespace ns3;
using namespace mip6sec;

namespace
{

/* UdpClient's payload starts with a SeqTsHeader: 4-byte sequence, 8-byte time stamp. */
constexpr uint32_t kSeqTsSize = 12;
constexpr uint32_t kMaxUdpPayload = 65507;
/* Largest ICMPv6 echo data in one IPv6 packet: 65535 - 8 (echo header). */
constexpr uint32_t kMaxEchoPayload = 65527;

enum class AppKind { Cbr, Sink, EchoServer, EchoClient, BulkSend, Ping };

/* Send time of one ICMPv6 echo request, by its 16-bit sequence number. */
struct EchoRequest {
    uint64_t sentNs;
    bool replied;
};

/* ICMPv6 echoes of a Ping6 application, observed at its node's IPv6 layer. */
struct EchoRecord {
    Ipv6Address remote;
    bool haveId; // id is the identifier of the first request seen
    uint16_t id;
    std::unordered_map<uint16_t, EchoRequest> requests;
    struct mip6sec_ping_stats stats;
};

struct AppRecord {
    Ptr<Application> app;
    AppKind kind;
    uint64_t packets; // trace callbacks count them, except for Cbr: UdpClient counts its own
    uint64_t bytes;
    uint32_t packetSize;
    EchoRecord echo; // Ping only
};

std::vector<AppRecord> g_apps;

void
CountPacket(uint32_t app, Ptr<const Packet> packet)
{
    g_apps[app].packets++;
    g_apps[app].bytes += packet->GetSize();
}

void
CountSinkPacket(uint32_t app, Ptr<const Packet> packet, const Address &from)
{
    (void)from;
    CountPacket(app, packet);
}

/*
 * Check the start and stop times (absolute, stop 0 = never) and set them
 * on the application, which ns-3 counts from the moment it is added.
 */
int
SetTimes(Ptr<Application> app, uint64_t start_ns, uint64_t stop_ns, const char *what)
{
    uint64_t now = uint64_t(Simulator::Now().GetNanoSeconds());
    if (start_ns < now || (stop_ns != 0 && stop_ns <= start_ns)) {
        std::ostringstream msg;
        msg << what << ": start " << start_ns << " ns and stop " << stop_ns
            << " ns must satisfy now (" << now << " ns) <= start < stop";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    app->SetStartTime(NanoSeconds(int64_t(start_ns - now)));
    if (stop_ns != 0) {
        app->SetStopTime(NanoSeconds(int64_t(stop_ns - now)));
    }
    return SIM_OK;
}

uint32_t
AddApp(Ptr<Node> node, Ptr<Application> app, AppKind kind, uint32_t packet_size)
{
    node->AddApplication(app);
    g_apps.push_back(AppRecord{app, kind, 0, 0, packet_size, EchoRecord{}});
    return uint32_t(g_apps.size() - 1);
}

int
ParseDestination(const char *text, Ipv6Address *address, const char *what)
{
    if (!ParseAddress(text, address, nullptr)) {
        std::ostringstream msg;
        msg << what << ": \"" << (text ? text : "(null)") << "\" is not an IPv6 address";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    return SIM_OK;
}

/* The first 8 bytes of an ICMPv6 echo message (RFC 4443 section 4), in host order. */
struct EchoHeader {
    uint8_t type;
    uint16_t id;
    uint16_t seq;
};

/*
 * Read the echo header at the start of an ICMPv6 payload.  False when the
 * payload is not ICMPv6 or too short.
 */
bool
ReadEchoHeader(const Ipv6Header &header, Ptr<const Packet> payload, EchoHeader *echo)
{
    uint8_t bytes[8];
    if (header.GetNextHeader() != Icmpv6L4Protocol::PROT_NUMBER || payload->GetSize() < 8) {
        return false;
    }
    payload->CopyData(bytes, sizeof bytes);
    echo->type = bytes[0];
    echo->id = uint16_t(bytes[4] << 8 | bytes[5]);
    echo->seq = uint16_t(bytes[6] << 8 | bytes[7]);
    return true;
}

/* SendOutgoing trace of the pinging node: note the send time of each echo request. */
void
OnEchoSent(uint32_t app, const Ipv6Header &header, Ptr<const Packet> payload, uint32_t ifindex)
{
    (void)ifindex;
    EchoRecord &record = g_apps[app].echo;
    EchoHeader echo;
    if (header.GetDestination() != record.remote || !ReadEchoHeader(header, payload, &echo) ||
        echo.type != Icmpv6Header::ICMPV6_ECHO_REQUEST) {
        return;
    }
    if (!record.haveId) {
        record.haveId = true;
        record.id = echo.id;
    }
    // After 65536 requests the sequence number wraps, and a late reply to
    // the older request of that number is no longer matched.
    record.requests[echo.seq] = EchoRequest{uint64_t(Simulator::Now().GetNanoSeconds()), false};
    record.stats.sent++;
}

/* LocalDeliver trace of the pinging node: match echo replies to their requests. */
void
OnEchoDelivered(uint32_t app, const Ipv6Header &header, Ptr<const Packet> payload, uint32_t ifindex)
{
    (void)ifindex;
    EchoRecord &record = g_apps[app].echo;
    EchoHeader echo;
    if (header.GetSource() != record.remote || !ReadEchoHeader(header, payload, &echo) ||
        echo.type != Icmpv6Header::ICMPV6_ECHO_REPLY || !record.haveId || echo.id != record.id) {
        return;
    }
    auto request = record.requests.find(echo.seq);
    if (request == record.requests.end() || request->second.replied) {
        return; // a duplicate, or a reply to a request this node never sent
    }
    request->second.replied = true;

    uint64_t rtt = uint64_t(Simulator::Now().GetNanoSeconds()) - request->second.sentNs;
    struct mip6sec_ping_stats &stats = record.stats;
    stats.rtt_min_ns = stats.replied == 0 || rtt < stats.rtt_min_ns ? rtt : stats.rtt_min_ns;
    stats.rtt_max_ns = rtt > stats.rtt_max_ns ? rtt : stats.rtt_max_ns;
    stats.rtt_sum_ns += rtt;
    stats.replied++;
}

} // namespace

namespace mip6sec
{

void
ResetApps()
{
    g_apps.clear();
}

} // namespace mip6sec

extern "C" {

int
mip6sec_udp_cbr(uint32_t node, const char *address, uint16_t port, uint32_t packet_size,
                uint64_t interval_ns, uint64_t start_ns, uint64_t stop_ns, uint32_t *app_out)
{
    int status;
    if (!FindIpv6(node, &status)) {
        return status;
    }
    Ipv6Address destination;
    status = ParseDestination(address, &destination, "mip6sec_udp_cbr");
    if (status != SIM_OK) {
        return status;
    }
    if (packet_size < kSeqTsSize || packet_size > kMaxUdpPayload || interval_ns == 0 ||
        stop_ns == 0 || app_out == nullptr) {
        std::ostringstream msg;
        msg << "mip6sec_udp_cbr: need 12 <= packet_size <= 65507 (got " << packet_size
            << "), interval above 0, a stop time and app_out";
        return Fail(SIM_ERR_INVALID, msg.str());
    }

    // UdpClient sends MaxPackets packets unless stopped first; give it
    // enough for the whole interval.
    Ptr<UdpClient> client = CreateObject<UdpClient>();
    uint64_t count = stop_ns > start_ns ? (stop_ns - start_ns + interval_ns - 1) / interval_ns : 0;
    uint64_t maxCount = std::numeric_limits<uint32_t>::max();
    client->SetAttribute("MaxPackets", UintegerValue(count < maxCount ? count : maxCount));
    client->SetAttribute("RemoteAddress", AddressValue(destination));
    client->SetAttribute("RemotePort", UintegerValue(port));
    client->SetAttribute("PacketSize", UintegerValue(packet_size));
    client->SetAttribute("Interval", TimeValue(NanoSeconds(int64_t(interval_ns))));
    status = SetTimes(client, start_ns, stop_ns, "mip6sec_udp_cbr");
    if (status != SIM_OK) {
        return status;
    }
    *app_out = AddApp(FindNode(node), client, AppKind::Cbr, packet_size);
    return SIM_OK;
}

int
mip6sec_udp_sink(uint32_t node, const char *address, uint16_t port, uint32_t *app_out)
{
    int status;
    if (!FindIpv6(node, &status)) {
        return status;
    }
    Ipv6Address local;
    status = ParseDestination(address, &local, "mip6sec_udp_sink");
    if (status != SIM_OK) {
        return status;
    }
    if (app_out == nullptr) {
        return Fail(SIM_ERR_INVALID, "mip6sec_udp_sink: NULL app_out");
    }

    Ptr<PacketSink> sink = CreateObject<PacketSink>();
    sink->SetAttribute("Protocol", TypeIdValue(UdpSocketFactory::GetTypeId()));
    sink->SetAttribute("Local", AddressValue(Inet6SocketAddress(local, port)));
    uint64_t now = uint64_t(Simulator::Now().GetNanoSeconds());
    SetTimes(sink, now, 0, "mip6sec_udp_sink");
    uint32_t id = AddApp(FindNode(node), sink, AppKind::Sink, 0);
    sink->TraceConnectWithoutContext("Rx", MakeBoundCallback(&CountSinkPacket, id));
    *app_out = id;
    return SIM_OK;
}

int
mip6sec_udp_echo_server(uint32_t node, uint16_t port, uint32_t *app_out)
{
    int status;
    if (!FindIpv6(node, &status)) {
        return status;
    }
    if (app_out == nullptr) {
        return Fail(SIM_ERR_INVALID, "mip6sec_udp_echo_server: NULL app_out");
    }
    Ptr<UdpEchoServer> server = CreateObject<UdpEchoServer>();
    server->SetAttribute("Port", UintegerValue(port));
    uint64_t now = uint64_t(Simulator::Now().GetNanoSeconds());
    SetTimes(server, now, 0, "mip6sec_udp_echo_server");
    uint32_t id = AddApp(FindNode(node), server, AppKind::EchoServer, 0);
    server->TraceConnectWithoutContext("Rx", MakeBoundCallback(&CountPacket, id));
    *app_out = id;
    return SIM_OK;
}

int
mip6sec_udp_echo_client(uint32_t node, const char *address, uint16_t port, uint32_t packet_size,
                        uint64_t interval_ns, uint32_t count, uint64_t start_ns, uint64_t stop_ns,
                        uint32_t *app_out)
{
    int status;
    if (!FindIpv6(node, &status)) {
        return status;
    }
    Ipv6Address destination;
    status = ParseDestination(address, &destination, "mip6sec_udp_echo_client");
    if (status != SIM_OK) {
        return status;
    }
    if (packet_size > kMaxUdpPayload || interval_ns == 0 || count == 0 || app_out == nullptr) {
        return Fail(SIM_ERR_INVALID, "mip6sec_udp_echo_client: need packet_size <= 65507, "
                                     "interval and count above 0 and app_out");
    }

    Ptr<UdpEchoClient> client = CreateObject<UdpEchoClient>();
    client->SetAttribute("RemoteAddress", AddressValue(destination));
    client->SetAttribute("RemotePort", UintegerValue(port));
    client->SetAttribute("MaxPackets", UintegerValue(count));
    client->SetAttribute("Interval", TimeValue(NanoSeconds(int64_t(interval_ns))));
    client->SetAttribute("PacketSize", UintegerValue(packet_size));
    status = SetTimes(client, start_ns, stop_ns, "mip6sec_udp_echo_client");
    if (status != SIM_OK) {
        return status;
    }
    uint32_t id = AddApp(FindNode(node), client, AppKind::EchoClient, packet_size);
    client->TraceConnectWithoutContext("Rx", MakeBoundCallback(&CountPacket, id));
    *app_out = id;
    return SIM_OK;
}

int
mip6sec_tcp_bulk(uint32_t node, const char *local, const char *address, uint16_t port,
                 uint64_t start_ns, uint64_t stop_ns, uint32_t *app_out)
{
    int status;
    if (!FindIpv6(node, &status)) {
        return status;
    }
    Ipv6Address source;
    Ipv6Address destination;
    status = ParseDestination(local, &source, "mip6sec_tcp_bulk");
    if (status == SIM_OK) {
        status = ParseDestination(address, &destination, "mip6sec_tcp_bulk");
    }
    if (status != SIM_OK) {
        return status;
    }
    if (app_out == nullptr) {
        return Fail(SIM_ERR_INVALID, "mip6sec_tcp_bulk: NULL app_out");
    }

    // MaxBytes 0: send until the stop time.
    Ptr<BulkSendApplication> sender = CreateObject<BulkSendApplication>();
    sender->SetAttribute("Protocol", TypeIdValue(TcpSocketFactory::GetTypeId()));
    sender->SetAttribute("Local", AddressValue(Inet6SocketAddress(source, 0)));
    sender->SetAttribute("Remote", AddressValue(Inet6SocketAddress(destination, port)));
    sender->SetAttribute("MaxBytes", UintegerValue(0));
    status = SetTimes(sender, start_ns, stop_ns, "mip6sec_tcp_bulk");
    if (status != SIM_OK) {
        return status;
    }
    uint32_t id = AddApp(FindNode(node), sender, AppKind::BulkSend, 0);
    sender->TraceConnectWithoutContext("Tx", MakeBoundCallback(&CountPacket, id));
    *app_out = id;
    return SIM_OK;
}

int
mip6sec_tcp_sink(uint32_t node, const char *address, uint16_t port, uint32_t *app_out)
{
    int status;
    if (!FindIpv6(node, &status)) {
        return status;
    }
    Ipv6Address local;
    status = ParseDestination(address, &local, "mip6sec_tcp_sink");
    if (status != SIM_OK) {
        return status;
    }
    if (app_out == nullptr) {
        return Fail(SIM_ERR_INVALID, "mip6sec_tcp_sink: NULL app_out");
    }

    Ptr<PacketSink> sink = CreateObject<PacketSink>();
    sink->SetAttribute("Protocol", TypeIdValue(TcpSocketFactory::GetTypeId()));
    sink->SetAttribute("Local", AddressValue(Inet6SocketAddress(local, port)));
    uint64_t now = uint64_t(Simulator::Now().GetNanoSeconds());
    SetTimes(sink, now, 0, "mip6sec_tcp_sink");
    uint32_t id = AddApp(FindNode(node), sink, AppKind::Sink, 0);
    sink->TraceConnectWithoutContext("Rx", MakeBoundCallback(&CountSinkPacket, id));
    *app_out = id;
    return SIM_OK;
}

int
mip6sec_ping(uint32_t node, const char *address, uint32_t payload_size, uint64_t interval_ns,
             uint64_t start_ns, uint64_t stop_ns, uint32_t *app_out)
{
    int status;
    Ptr<Ipv6L3Protocol> ipv6 = FindIpv6(node, &status);
    if (!ipv6) {
        return status;
    }
    Ipv6Address destination;
    status = ParseDestination(address, &destination, "mip6sec_ping");
    if (status != SIM_OK) {
        return status;
    }
    if (payload_size < 4 || payload_size > kMaxEchoPayload || interval_ns == 0 || stop_ns == 0 ||
        app_out == nullptr) {
        std::ostringstream msg;
        msg << "mip6sec_ping: need 4 <= payload_size <= " << kMaxEchoPayload << " (got "
            << payload_size << "), interval above 0, a stop time and app_out";
        return Fail(SIM_ERR_INVALID, msg.str());
    }

    // Ping6 stops after MaxPackets requests, and 0 would mean no limit, so
    // give it enough for the whole interval, like mip6sec_udp_cbr.
    Ptr<Ping6> ping = CreateObject<Ping6>();
    uint64_t count = stop_ns > start_ns ? (stop_ns - start_ns + interval_ns - 1) / interval_ns : 0;
    uint64_t maxCount = std::numeric_limits<uint32_t>::max();
    ping->SetAttribute("MaxPackets", UintegerValue(count < maxCount ? count : maxCount));
    ping->SetAttribute("RemoteIpv6", Ipv6AddressValue(destination));
    ping->SetAttribute("PacketSize", UintegerValue(payload_size));
    ping->SetAttribute("Interval", TimeValue(NanoSeconds(int64_t(interval_ns))));
    status = SetTimes(ping, start_ns, stop_ns, "mip6sec_ping");
    if (status != SIM_OK) {
        return status;
    }

    // Ping6 counts nothing itself, so the node's IPv6 layer is watched for
    // the requests that leave and the replies that arrive.
    uint32_t id = AddApp(FindNode(node), ping, AppKind::Ping, payload_size);
    g_apps[id].echo.remote = destination;
    ipv6->TraceConnectWithoutContext("SendOutgoing", MakeBoundCallback(&OnEchoSent, id));
    ipv6->TraceConnectWithoutContext("LocalDeliver", MakeBoundCallback(&OnEchoDelivered, id));
    *app_out = id;
    return SIM_OK;
}

int
mip6sec_ping_stats(uint32_t app, struct mip6sec_ping_stats *stats)
{
    if (app >= g_apps.size() || g_apps[app].kind != AppKind::Ping || stats == nullptr) {
        std::ostringstream msg;
        msg << "mip6sec_ping_stats: application " << app
            << " is not one that mip6sec_ping created, or stats is NULL";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    *stats = g_apps[app].echo.stats;
    return SIM_OK;
}

int
mip6sec_app_counts(uint32_t app, uint64_t *packets, uint64_t *bytes)
{
    if (app >= g_apps.size()) {
        std::ostringstream msg;
        msg << "mip6sec_app_counts: no application " << app << " (" << g_apps.size() << " exist)";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    const AppRecord &record = g_apps[app];
    uint64_t p = record.packets;
    uint64_t b = record.bytes;
    if (record.kind == AppKind::Cbr) {
        // UdpClient counts the bytes of every packet its socket accepted.
        b = DynamicCast<UdpClient>(record.app)->GetTotalTx();
        p = b / record.packetSize;
    } else if (record.kind == AppKind::Ping) {
        p = record.echo.stats.replied;
        b = p * record.packetSize;
    }
    if (packets != nullptr) {
        *packets = p;
    }
    if (bytes != nullptr) {
        *bytes = b;
    }
    return SIM_OK;
}

} // extern "C"
