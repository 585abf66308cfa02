/*
 * apps.cc - UDP traffic for scenarios: ns-3's UdpClient (constant bit
 * rate), PacketSink, UdpEchoServer and UdpEchoClient, with counters.
 */
#include "shim-internal.h"

#include "ns3/address.h"
#include "ns3/application.h"
#include "ns3/inet6-socket-address.h"
#include "ns3/log.h"
#include "ns3/nstime.h"
#include "ns3/packet-sink.h"
#include "ns3/simulator.h"
#include "ns3/type-id.h"
#include "ns3/udp-client.h"
#include "ns3/udp-echo-client.h"
#include "ns3/udp-echo-server.h"
#include "ns3/udp-socket-factory.h"
#include "ns3/uinteger.h"

#include <limits>
#include <sstream>
#include <vector>

NS_LOG_COMPONENT_DEFINE("Mip6secApps");

using namespace ns3;
using namespace mip6sec;

namespace
{

/* UdpClient's payload starts with a SeqTsHeader: 4-byte sequence, 8-byte time stamp. */
constexpr uint32_t kSeqTsSize = 12;
constexpr uint32_t kMaxUdpPayload = 65507;

enum class AppKind { Cbr, Sink, EchoServer, EchoClient };

struct AppRecord {
    Ptr<Application> app;
    AppKind kind;
    uint64_t packets; // trace callbacks count them, except for Cbr: UdpClient counts its own
    uint64_t bytes;
    uint32_t packetSize;
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
    g_apps.push_back(AppRecord{app, kind, 0, 0, packet_size});
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
