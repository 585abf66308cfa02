/*
 * topology.cc - run setup, nodes, links, addresses, static routes and
 * router advertisements for scenarios (mip6sec-ns3.h).
 */
#include "shim-internal.h"

#include "ns3/boolean.h"
#include "ns3/channel-list.h"
#include "ns3/config.h"
#include "ns3/csma-channel.h"
#include "ns3/csma-helper.h"
#include "ns3/data-rate.h"
#include "ns3/internet-stack-helper.h"
#include "ns3/log.h"
#include "ns3/node-container.h"
#include "ns3/node-list.h"
#include "ns3/point-to-point-helper.h"
#include "ns3/radvd-interface.h"
#include "ns3/radvd-prefix.h"
#include "ns3/radvd.h"
#include "ns3/rng-seed-manager.h"
#include "ns3/simulator.h"
#include "ns3/string.h"
#include "ns3/uinteger.h"
#include "ns3/version-defines.h"

#include <map>
#include <set>
#include <sstream>

NS_LOG_COMPONENT_DEFINE("Mip6secTopology");

using namespace ns3;
using namespace mip6sec;

namespace
{

/* RFC 6275 section 7.5 lowers RFC 4861's limits to these (ms). */
constexpr uint32_t kMinRtrAdvIntervalMs = 30;
constexpr uint32_t kMaxRtrAdvIntervalLowMs = 70;
/* RFC 4861 section 6.2.1: MaxRtrAdvInterval at most 1800 s. */
constexpr uint32_t kMaxRtrAdvIntervalHighMs = 1800000;
/* RFC 4861 section 6.2.1: AdvDefaultLifetime at most 9000 s. */
constexpr uint32_t kMaxDefaultLifetimeS = 9000;
/* RFC 4861 section 6.1.2: the hop limit of a valid router advertisement. */
constexpr uint8_t kRouterAdvertHopLimit = 255;

/* One Radvd application per router, with the interfaces it serves. */
struct RadvdRecord {
    Ptr<Radvd> app;
    std::set<uint32_t> interfaces;
};
std::map<uint32_t, RadvdRecord> g_radvd;

std::string g_version;

/* Give the node an IPv6 interface on the device, up, with its link-local address. */
uint32_t
AddIpv6Interface(Ptr<Node> node, Ptr<NetDevice> device)
{
    Ptr<Ipv6L3Protocol> ipv6 = node->GetObject<Ipv6L3Protocol>();
    uint32_t ifindex = ipv6->AddInterface(device);
    ipv6->SetUp(ifindex);
    NodeState::Get(node)->InterfacesChanged();
    return ifindex;
}

int
CheckRate(uint64_t rate_bps, const char *what)
{
    if (rate_bps == 0) {
        std::ostringstream msg;
        msg << what << ": the data rate must be above 0 bit/s";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    return SIM_OK;
}

Time
Nanoseconds(uint64_t ns)
{
    return NanoSeconds(int64_t(ns));
}

} // namespace

namespace mip6sec
{

void
ResetTopology()
{
    g_radvd.clear();
}

} // namespace mip6sec

extern "C" {

/* ----- run ----- */

int
mip6sec_init(uint32_t seed, uint64_t run)
{
    ClearError();
    if (seed == 0) {
        return Fail(SIM_ERR_INVALID, "mip6sec_init: the seed must be at least 1");
    }
    if (NodeList::GetNNodes() > 0) {
        return Fail(SIM_ERR_INVALID,
                    "mip6sec_init: call it before creating nodes, so every random stream "
                    "uses the seed");
    }
    RngSeedManager::SetSeed(seed);
    RngSeedManager::SetRun(run);
    return SIM_OK;
}

const char *
mip6sec_ns3_version(void)
{
    if (g_version.empty()) {
        std::ostringstream version;
        version << NS3_VERSION_MAJOR << "." << NS3_VERSION_MINOR;
        if (NS3_VERSION_PATCH != 0) {
            version << "." << NS3_VERSION_PATCH;
        }
        g_version = version.str();
    }
    return g_version.c_str();
}

int
mip6sec_set_default(const char *name, const char *value)
{
    if (name == nullptr || value == nullptr) {
        return Fail(SIM_ERR_INVALID, "mip6sec_set_default: NULL name or value");
    }
    if (!Config::SetDefaultFailSafe(name, StringValue(value))) {
        std::ostringstream msg;
        msg << "mip6sec_set_default: ns-3 rejected " << name << " = \"" << value
            << "\" (unknown attribute or invalid value)";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    return SIM_OK;
}

int
mip6sec_run_until(uint64_t stop_ns)
{
    uint64_t now = uint64_t(Simulator::Now().GetNanoSeconds());
    if (stop_ns < now) {
        std::ostringstream msg;
        msg << "mip6sec_run_until: " << stop_ns << " ns is before the current time " << now
            << " ns";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    MarkRunStarted();
    Simulator::Stop(Nanoseconds(stop_ns - now));
    Simulator::Run();
    return SIM_OK;
}

void
mip6sec_destroy(void)
{
    Simulator::Destroy();
    ResetApps();
    ResetMobility();
    ResetTopology();
    ResetRunState();
    ClearError();
}

const char *
mip6sec_last_error(void)
{
    return LastError();
}

/* ----- nodes and links ----- */

int
mip6sec_node_create(uint32_t *node_out)
{
    if (node_out == nullptr) {
        return Fail(SIM_ERR_INVALID, "mip6sec_node_create: NULL node_out");
    }
    Ptr<Node> node = CreateObject<Node>();
    InternetStackHelper stack;
    stack.SetIpv4StackInstall(false);
    stack.Install(node);
    int64_t used =
        stack.AssignStreams(NodeContainer(node), ComponentStream(node->GetId(), kStackStreamSlot));
    NS_LOG_LOGIC("node " << node->GetId() << ": stack uses " << used << " random streams");
    NodeState::Get(node);
    *node_out = node->GetId();
    return SIM_OK;
}

int
mip6sec_node_set_router(uint32_t node)
{
    int status;
    Ptr<Ipv6L3Protocol> ipv6 = FindIpv6(node, &status);
    if (!ipv6) {
        return status;
    }
    // The attribute sets every current interface and the default of new ones.
    ipv6->SetAttribute("IpForward", BooleanValue(true));
    return SIM_OK;
}

int
mip6sec_p2p_link(uint32_t node_a, uint32_t node_b, uint64_t rate_bps, uint64_t delay_ns,
                 uint32_t *ifindex_a, uint32_t *ifindex_b)
{
    int status;
    if (!FindIpv6(node_a, &status) || !FindIpv6(node_b, &status)) {
        return status;
    }
    if (node_a == node_b) {
        return Fail(SIM_ERR_INVALID, "mip6sec_p2p_link: both ends are the same node");
    }
    status = CheckRate(rate_bps, "mip6sec_p2p_link");
    if (status != SIM_OK) {
        return status;
    }

    PointToPointHelper p2p;
    p2p.SetDeviceAttribute("DataRate", DataRateValue(DataRate(rate_bps)));
    p2p.SetChannelAttribute("Delay", TimeValue(Nanoseconds(delay_ns)));
    NetDeviceContainer devices = p2p.Install(FindNode(node_a), FindNode(node_b));

    uint32_t a = AddIpv6Interface(FindNode(node_a), devices.Get(0));
    uint32_t b = AddIpv6Interface(FindNode(node_b), devices.Get(1));
    if (ifindex_a != nullptr) {
        *ifindex_a = a;
    }
    if (ifindex_b != nullptr) {
        *ifindex_b = b;
    }
    return SIM_OK;
}

int
mip6sec_csma_channel(uint64_t rate_bps, uint64_t delay_ns, uint32_t *channel_out)
{
    if (channel_out == nullptr) {
        return Fail(SIM_ERR_INVALID, "mip6sec_csma_channel: NULL channel_out");
    }
    int status = CheckRate(rate_bps, "mip6sec_csma_channel");
    if (status != SIM_OK) {
        return status;
    }
    Ptr<CsmaChannel> channel = CreateObject<CsmaChannel>();
    channel->SetAttribute("DataRate", DataRateValue(DataRate(rate_bps)));
    channel->SetAttribute("Delay", TimeValue(Nanoseconds(delay_ns)));
    *channel_out = channel->GetId();
    return SIM_OK;
}

int
mip6sec_csma_attach(uint32_t channel, uint32_t node, uint32_t *ifindex_out)
{
    int status;
    if (!FindIpv6(node, &status)) {
        return status;
    }
    Ptr<CsmaChannel> csma = channel < ChannelList::GetNChannels()
                                ? DynamicCast<CsmaChannel>(ChannelList::GetChannel(channel))
                                : nullptr;
    if (!csma) {
        std::ostringstream msg;
        msg << "mip6sec_csma_attach: channel " << channel << " is not a CSMA channel";
        return Fail(SIM_ERR_INVALID, msg.str());
    }

    Ptr<Node> n = FindNode(node);
    CsmaHelper helper;
    NetDeviceContainer devices = helper.Install(n, csma);
    Ptr<NetDevice> device = devices.Get(0);
    if (device->GetIfIndex() < kMaxStreamDevices) {
        helper.AssignStreams(devices,
                             ComponentStream(node, kDeviceStreamSlot + device->GetIfIndex()));
    } else {
        NS_LOG_WARN("node " << node << ": device " << device->GetIfIndex()
                            << " keeps an automatic random stream");
    }

    uint32_t ifindex = AddIpv6Interface(n, device);
    if (ifindex_out != nullptr) {
        *ifindex_out = ifindex;
    }
    return SIM_OK;
}

int
mip6sec_addr_assign(uint32_t node, uint32_t ifindex, const char *address_prefix)
{
    Ipv6Address address;
    uint8_t len = 0;
    if (!ParseAddress(address_prefix, &address, &len)) {
        std::ostringstream msg;
        msg << "mip6sec_addr_assign: \"" << (address_prefix ? address_prefix : "(null)")
            << "\" is not an address with a prefix length, e.g. 2001:1:0:1::1/64";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    uint8_t bytes[16];
    FromAddress(address, bytes);
    return sim_addr_add(node, ifindex, bytes, len);
}

int
mip6sec_route_static(uint32_t node, const char *prefix, const char *next_hop, uint32_t ifindex)
{
    Ipv6Address network;
    uint8_t len = 0;
    if (!ParseAddress(prefix, &network, &len)) {
        std::ostringstream msg;
        msg << "mip6sec_route_static: \"" << (prefix ? prefix : "(null)")
            << "\" is not a prefix, e.g. 2001:1:0:2::/64";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    uint8_t networkBytes[16];
    FromAddress(network, networkBytes);

    if (next_hop == nullptr || next_hop[0] == '\0') {
        return sim_route_add(node, networkBytes, len, ifindex, nullptr, 0);
    }
    Ipv6Address gateway;
    if (!ParseAddress(next_hop, &gateway, nullptr)) {
        std::ostringstream msg;
        msg << "mip6sec_route_static: next hop \"" << next_hop << "\" is not an IPv6 address";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    uint8_t gatewayBytes[16];
    FromAddress(gateway, gatewayBytes);
    return sim_route_add(node, networkBytes, len, ifindex, gatewayBytes, 0);
}

int
mip6sec_radvd(uint32_t node, uint32_t ifindex, const char *prefix, uint32_t min_interval_ms,
              uint32_t max_interval_ms, unsigned flags)
{
    int status;
    Ptr<Ipv6L3Protocol> ipv6 = FindIpv6Interface(node, ifindex, &status);
    if (!ipv6) {
        return status;
    }
    Ipv6Address network;
    uint8_t len = 0;
    if (!ParseAddress(prefix, &network, &len)) {
        std::ostringstream msg;
        msg << "mip6sec_radvd: \"" << (prefix ? prefix : "(null)")
            << "\" is not a prefix, e.g. 2001:1:0:1::/64";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    if (ifindex == 0 || (flags & ~MIP6SEC_RA_HOME_AGENT) != 0) {
        return Fail(SIM_ERR_INVALID, "mip6sec_radvd: loopback interface or unknown flag");
    }
    // RFC 4861 section 6.2.1 with the lower limits of RFC 6275 section 7.5.
    if (min_interval_ms < kMinRtrAdvIntervalMs || max_interval_ms < kMaxRtrAdvIntervalLowMs ||
        max_interval_ms > kMaxRtrAdvIntervalHighMs ||
        uint64_t(min_interval_ms) * 4 > uint64_t(max_interval_ms) * 3) {
        std::ostringstream msg;
        msg << "mip6sec_radvd: intervals " << min_interval_ms << ".." << max_interval_ms
            << " ms are invalid: min >= 30, 70 <= max <= 1800000, min <= 0.75 max";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    BooleanValue forwarding;
    ipv6->GetAttribute("IpForward", forwarding);
    if (!forwarding.Get()) {
        std::ostringstream msg;
        msg << "mip6sec_radvd: node " << node
            << " is not a router; call mip6sec_node_set_router() first";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    if (RunStarted()) {
        return Fail(SIM_ERR_INVALID,
                    "mip6sec_radvd: configure router advertisements before the run starts");
    }

    RadvdRecord &record = g_radvd[node];
    if (record.interfaces.count(ifindex) != 0) {
        std::ostringstream msg;
        msg << "mip6sec_radvd: interface " << ifindex << " of node " << node
            << " already advertises a prefix";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    if (!record.app) {
        // RFC 4861 section 6.1.2: hosts discard advertisements whose hop
        // limit is not 255.  Radvd in ns-3.37 tags its packets with an IPv4
        // TTL, which IPv6 ignores, so they leave with the node's default
        // hop limit.  Set that to 255.  Every packet the router originates
        // then starts with 255, and forwarded packets keep theirs.
        ipv6->SetAttribute("DefaultTtl", UintegerValue(kRouterAdvertHopLimit));
        record.app = CreateObject<Radvd>();
        record.app->AssignStreams(ComponentStream(node, kRadvdStreamSlot));
        record.app->SetStartTime(Seconds(0));
        FindNode(node)->AddApplication(record.app);
    }

    Ptr<RadvdInterface> config = Create<RadvdInterface>(ifindex, max_interval_ms, min_interval_ms);
    // RFC 4861 default router lifetime: 3 x MaxRtrAdvInterval, in whole
    // seconds, at least 1 s (0 would mean "not a default router").
    uint32_t lifetime = (3 * max_interval_ms + 999) / 1000;
    config->SetDefaultLifeTime(lifetime < kMaxDefaultLifetimeS ? lifetime : kMaxDefaultLifetimeS);
    config->SetHomeAgentFlag((flags & MIP6SEC_RA_HOME_AGENT) != 0);
    // Prefix option: on-link and autonomous flags, ns-3's default lifetimes.
    Ptr<RadvdPrefix> advertised = Create<RadvdPrefix>(network.CombinePrefix(Ipv6Prefix(len)), len);
    config->AddPrefix(advertised);
    record.app->AddConfiguration(config);
    record.interfaces.insert(ifindex);
    return SIM_OK;
}

} // extern "C"
