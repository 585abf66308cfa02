/*
 * wifi.cc - WiFi access networks (mip6sec-ns3.h): 802.11a access points
 * on access routers, stations on mobile nodes, the stations' association
 * events, pcap of WiFi devices and router solicitations on request.
 *
 * ns-3 does the layer-2 work.  A station's WifiNetDevice reports link down
 * when StaWifiMac gives up on its access point after missed beacons and
 * link up when it has associated again.  NodeState watches that like any
 * other device's link, so the model's link hook gets both changes.  This
 * file only adds the association events and the access point of each.
 */
#include "shim-internal.h"

#include "ns3/ap-wifi-mac.h"
#include "ns3/boolean.h"
#include "ns3/channel-list.h"
#include "ns3/constant-position-mobility-model.h"
#include "ns3/icmpv6-l4-protocol.h"
#include "ns3/ipv6-interface-address.h"
#include "ns3/log.h"
#include "ns3/mac48-address.h"
#include "ns3/mobility-model.h"
#include "ns3/net-device-container.h"
#include "ns3/node-list.h"
#include "ns3/nstime.h"
#include "ns3/simulator.h"
#include "ns3/ssid.h"
#include "ns3/sta-wifi-mac.h"
#include "ns3/wifi-helper.h"
#include "ns3/wifi-mac-helper.h"
#include "ns3/wifi-net-device.h"
#include "ns3/yans-wifi-channel.h"
#include "ns3/yans-wifi-helper.h"

#include <cstdio>
#include <cstring>
#include <sstream>

NS_LOG_COMPONENT_DEFINE("Mip6secWifi");

using namespace ns3;
using namespace mip6sec;

namespace mip6sec
{

/*
 * Turns a station's StaWifiMac association traces into mip6sec_wifi_fn
 * calls.  Aggregated to the station's WifiNetDevice, so it goes away with
 * the device.
 */
class WifiStationEvents : public Object
{
  public:
    static TypeId GetTypeId();
    WifiStationEvents();

    /* Connect to the traces of the station's MAC. */
    void Connect(uint32_t node, uint32_t ifindex, Ptr<StaWifiMac> mac);
    void SetCallback(mip6sec_wifi_fn fn, void *ctx);

  protected:
    void DoDispose() override;

  private:
    void Associated(Mac48Address bssid);
    void Disassociated(Mac48Address bssid);
    void BeaconArrived(Time arrival);
    void Notify(mip6sec_wifi_info info);

    uint32_t m_node;
    uint32_t m_ifindex;
    mip6sec_wifi_fn m_fn;
    void *m_ctx;
    int64_t m_lastBeaconNs; // -1 before the first beacon of the current association
};

} // namespace mip6sec

namespace
{

/* IEEE 802.11-2020 section 9.4.2.2: an SSID is 0 to 32 octets; ns-3 needs at least 1. */
constexpr size_t kMaxSsidLength = 32;

Ptr<YansWifiChannel>
FindWifiChannel(uint32_t channel)
{
    if (channel >= ChannelList::GetNChannels()) {
        return nullptr;
    }
    return DynamicCast<YansWifiChannel>(ChannelList::GetChannel(channel));
}

/* The WiFi device of the node's interface, or null with the error recorded. */
Ptr<WifiNetDevice>
FindWifiDevice(uint32_t node, uint32_t ifindex, int *status, const char *what)
{
    Ptr<Ipv6L3Protocol> ipv6 = FindIpv6Interface(node, ifindex, status);
    if (!ipv6) {
        return nullptr;
    }
    Ptr<WifiNetDevice> device = DynamicCast<WifiNetDevice>(ipv6->GetNetDevice(ifindex));
    if (!device) {
        std::ostringstream msg;
        msg << what << ": interface " << ifindex << " of node " << node << " is not WiFi";
        *status = Fail(SIM_ERR_INVALID, msg.str());
    }
    return device;
}

/* Check the arguments that creating an access point or a station shares. */
int
CheckDeviceArguments(uint32_t channel, uint32_t node, const char *ssid, const char *what)
{
    int status;
    if (!FindIpv6(node, &status)) {
        return status;
    }
    if (!FindWifiChannel(channel)) {
        std::ostringstream msg;
        msg << what << ": channel " << channel << " is not a WiFi channel";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    size_t length = ssid == nullptr ? 0 : std::strlen(ssid);
    if (length == 0 || length > kMaxSsidLength) {
        std::ostringstream msg;
        msg << what << ": the SSID must be 1 to " << kMaxSsidLength << " bytes, got " << length;
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    return SIM_OK;
}

/*
 * Give the device fixed random streams: the k-th WiFi device of a node
 * gets kWifiStreamsPerDevice of them from kWifiStreamSlot + k times that.
 */
void
AssignWifiStreams(Ptr<Node> node, WifiHelper &helper, NetDeviceContainer devices)
{
    uint32_t earlier = 0;
    for (uint32_t i = 0; i < node->GetNDevices(); i++) {
        Ptr<NetDevice> device = node->GetDevice(i);
        if (device != devices.Get(0) && DynamicCast<WifiNetDevice>(device)) {
            earlier++;
        }
    }
    if (earlier >= kMaxStreamWifiDevices) {
        NS_LOG_WARN("node " << node->GetId() << ": WiFi device " << earlier
                            << " keeps automatic random streams");
        return;
    }
    uint32_t slot = kWifiStreamSlot + earlier * kWifiStreamsPerDevice;
    int64_t used = helper.AssignStreams(devices, ComponentStream(node->GetId(), slot));
    NS_LOG_LOGIC("node " << node->GetId() << ": WiFi device uses " << used << " random streams");
    if (used > int64_t(kWifiStreamsPerDevice)) {
        NS_LOG_WARN("node " << node->GetId() << ": WiFi device draws from " << used
                            << " random streams, more than the " << kWifiStreamsPerDevice
                            << " reserved; later components of the node may share them");
    }
}

/* Install an 802.11a device with the MAC that mac describes; returns its IPv6 interface. */
uint32_t
InstallDevice(Ptr<Node> node, Ptr<YansWifiChannel> channel, const WifiMacHelper &mac,
              Ptr<WifiNetDevice> *device_out)
{
    WifiHelper wifi;
    wifi.SetStandard(WIFI_STANDARD_80211a);
    YansWifiPhyHelper phy;
    phy.SetChannel(channel);
    NetDeviceContainer devices = wifi.Install(phy, mac, node);
    AssignWifiStreams(node, wifi, devices);

    Ptr<WifiNetDevice> device = DynamicCast<WifiNetDevice>(devices.Get(0));
    Ptr<Ipv6L3Protocol> ipv6 = node->GetObject<Ipv6L3Protocol>();
    uint32_t ifindex = ipv6->AddInterface(device);
    ipv6->SetUp(ifindex);
    NodeState::Get(node)->InterfacesChanged();
    *device_out = device;
    return ifindex;
}

/* Find the access point that uses the BSSID among all nodes' WiFi devices. */
void
FindAccessPoint(Mac48Address bssid, mip6sec_wifi_info *info)
{
    info->ap_node = MIP6SEC_NO_NODE;
    info->ap_ifindex = 0;
    for (uint32_t n = 0; n < NodeList::GetNNodes(); n++) {
        Ptr<Node> node = NodeList::GetNode(n);
        for (uint32_t d = 0; d < node->GetNDevices(); d++) {
            Ptr<WifiNetDevice> device = DynamicCast<WifiNetDevice>(node->GetDevice(d));
            Ptr<ApWifiMac> mac = device ? DynamicCast<ApWifiMac>(device->GetMac()) : nullptr;
            if (!mac || mac->GetAddress() != bssid) {
                continue;
            }
            info->ap_node = node->GetId();
            Ptr<Ipv6L3Protocol> ipv6 = node->GetObject<Ipv6L3Protocol>();
            int32_t ifindex = ipv6 ? ipv6->GetInterfaceForDevice(device) : -1;
            info->ap_ifindex = ifindex < 0 ? 0 : uint32_t(ifindex);
            return;
        }
    }
}

} // namespace

namespace mip6sec
{

NS_OBJECT_ENSURE_REGISTERED(WifiStationEvents);

TypeId
WifiStationEvents::GetTypeId()
{
    static TypeId tid = TypeId("mip6sec::WifiStationEvents")
                            .SetParent<Object>()
                            .SetGroupName("Mip6sec")
                            .AddConstructor<WifiStationEvents>();
    return tid;
}

WifiStationEvents::WifiStationEvents()
    : m_node(0), m_ifindex(0), m_fn(nullptr), m_ctx(nullptr), m_lastBeaconNs(-1)
{
}

void
WifiStationEvents::DoDispose()
{
    m_fn = nullptr;
    m_ctx = nullptr;
    Object::DoDispose();
}

void
WifiStationEvents::Connect(uint32_t node, uint32_t ifindex, Ptr<StaWifiMac> mac)
{
    m_node = node;
    m_ifindex = ifindex;
    mac->TraceConnectWithoutContext("Assoc", MakeCallback(&WifiStationEvents::Associated, this));
    mac->TraceConnectWithoutContext("DeAssoc",
                                    MakeCallback(&WifiStationEvents::Disassociated, this));
    mac->TraceConnectWithoutContext("BeaconArrival",
                                    MakeCallback(&WifiStationEvents::BeaconArrived, this));
}

void
WifiStationEvents::SetCallback(mip6sec_wifi_fn fn, void *ctx)
{
    m_fn = fn;
    m_ctx = ctx;
}

void
WifiStationEvents::BeaconArrived(Time arrival)
{
    m_lastBeaconNs = arrival.GetNanoSeconds();
}

void
WifiStationEvents::Associated(Mac48Address bssid)
{
    mip6sec_wifi_info info;
    info.event = MIP6SEC_WIFI_ASSOCIATED;
    bssid.CopyTo(info.bssid);
    FindAccessPoint(bssid, &info);
    info.last_beacon_ns = -1;
    m_lastBeaconNs = -1;
    NS_LOG_INFO("node " << m_node << ": interface " << m_ifindex << " associated with " << bssid);

    // StaWifiMac raises link up right after this trace.  The callback runs
    // in an event of its own, after the link hook and outside the MAC.
    Simulator::ScheduleWithContext(m_node, Seconds(0), &WifiStationEvents::Notify,
                                   Ptr<WifiStationEvents>(this), info);
}

void
WifiStationEvents::Disassociated(Mac48Address bssid)
{
    mip6sec_wifi_info info;
    info.event = MIP6SEC_WIFI_DISASSOCIATED;
    bssid.CopyTo(info.bssid);
    FindAccessPoint(bssid, &info);
    info.last_beacon_ns = m_lastBeaconNs;
    m_lastBeaconNs = -1;
    NS_LOG_INFO("node " << m_node << ": interface " << m_ifindex << " lost " << bssid
                        << ", last beacon at " << info.last_beacon_ns << " ns");

    Simulator::ScheduleWithContext(m_node, Seconds(0), &WifiStationEvents::Notify,
                                   Ptr<WifiStationEvents>(this), info);
}

void
WifiStationEvents::Notify(mip6sec_wifi_info info)
{
    if (m_fn != nullptr) {
        m_fn(m_ctx, m_node, m_ifindex, &info);
    }
}

} // namespace mip6sec

extern "C" {

int
mip6sec_wifi_channel(uint32_t *channel_out)
{
    if (channel_out == nullptr) {
        return Fail(SIM_ERR_INVALID, "mip6sec_wifi_channel: NULL channel_out");
    }
    // Log-distance loss and constant-speed delay draw no random numbers,
    // so the channel needs no streams of its own.
    YansWifiChannelHelper helper = YansWifiChannelHelper::Default();
    Ptr<YansWifiChannel> channel = helper.Create();
    *channel_out = channel->GetId();
    return SIM_OK;
}

int
mip6sec_wifi_ap(uint32_t channel, uint32_t node, const char *ssid, double x, double y, double z,
                uint32_t *ifindex_out)
{
    int status = CheckDeviceArguments(channel, node, ssid, "mip6sec_wifi_ap");
    if (status != SIM_OK) {
        return status;
    }
    Ptr<Node> n = FindNode(node);
    Ptr<MobilityModel> existing = n->GetObject<MobilityModel>();
    Ptr<ConstantPositionMobilityModel> position =
        DynamicCast<ConstantPositionMobilityModel>(existing);
    if (existing && !position) {
        std::ostringstream msg;
        msg << "mip6sec_wifi_ap: node " << node << " moves by "
            << existing->GetInstanceTypeId().GetName()
            << "; an access point needs a fixed position";
        return Fail(SIM_ERR_INVALID, msg.str());
    }

    if (!position) {
        position = CreateObject<ConstantPositionMobilityModel>();
        n->AggregateObject(position);
    }
    position->SetPosition(Vector(x, y, z));
    WifiMacHelper mac;
    mac.SetType("ns3::ApWifiMac", "Ssid", SsidValue(Ssid(ssid)));
    Ptr<WifiNetDevice> device;
    uint32_t ifindex = InstallDevice(n, FindWifiChannel(channel), mac, &device);
    NS_LOG_INFO("node " << node << ": access point " << device->GetMac()->GetAddress()
                        << " on interface " << ifindex << ", channel "
                        << unsigned(device->GetPhy()->GetChannelNumber()));
    if (ifindex_out != nullptr) {
        *ifindex_out = ifindex;
    }
    return SIM_OK;
}

int
mip6sec_wifi_station(uint32_t channel, uint32_t node, const char *ssid, int active_probing,
                     uint32_t *ifindex_out)
{
    int status = CheckDeviceArguments(channel, node, ssid, "mip6sec_wifi_station");
    if (status != SIM_OK) {
        return status;
    }

    WifiMacHelper mac;
    mac.SetType("ns3::StaWifiMac", "Ssid", SsidValue(Ssid(ssid)), "ActiveProbing",
                BooleanValue(active_probing != 0));
    Ptr<WifiNetDevice> device;
    Ptr<Node> n = FindNode(node);
    uint32_t ifindex = InstallDevice(n, FindWifiChannel(channel), mac, &device);

    Ptr<WifiStationEvents> events = CreateObject<WifiStationEvents>();
    events->Connect(node, ifindex, DynamicCast<StaWifiMac>(device->GetMac()));
    device->AggregateObject(events);
    if (ifindex_out != nullptr) {
        *ifindex_out = ifindex;
    }
    return SIM_OK;
}

int
mip6sec_wifi_station_callback(uint32_t node, uint32_t ifindex, mip6sec_wifi_fn fn, void *ctx)
{
    int status;
    Ptr<WifiNetDevice> device =
        FindWifiDevice(node, ifindex, &status, "mip6sec_wifi_station_callback");
    if (!device) {
        return status;
    }
    Ptr<WifiStationEvents> events = device->GetObject<WifiStationEvents>();
    if (!events) {
        std::ostringstream msg;
        msg << "mip6sec_wifi_station_callback: interface " << ifindex << " of node " << node
            << " is not a WiFi station";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    events->SetCallback(fn, ctx);
    return SIM_OK;
}

int
mip6sec_wifi_pcap(uint32_t node, uint32_t ifindex, const char *prefix)
{
    int status;
    Ptr<WifiNetDevice> device = FindWifiDevice(node, ifindex, &status, "mip6sec_wifi_pcap");
    if (!device) {
        return status;
    }
    if (prefix == nullptr) {
        return Fail(SIM_ERR_INVALID, "mip6sec_wifi_pcap: NULL prefix");
    }
    std::ostringstream name;
    name << prefix << "-" << node << "-" << ifindex << ".pcap";
    std::string filename = name.str();

    // PcapFileWrapper aborts the program when it cannot open the file.
    std::FILE *probe = std::fopen(filename.c_str(), "wb");
    if (probe == nullptr) {
        std::ostringstream msg;
        msg << "mip6sec_wifi_pcap: cannot write \"" << filename << "\"";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    std::fclose(probe);

    // The helper connects the PHY's monitor traces to the file; the
    // connections outlive the helper.
    YansWifiPhyHelper helper;
    helper.SetPcapDataLinkType(WifiPhyHelper::DLT_IEEE802_11_RADIO);
    helper.EnablePcap(filename, device, false, true);
    return SIM_OK;
}

int
mip6sec_router_solicit(uint32_t node, uint32_t ifindex)
{
    int status;
    Ptr<Ipv6L3Protocol> ipv6 = FindIpv6Interface(node, ifindex, &status);
    if (!ipv6) {
        return status;
    }
    // RFC 4861 section 6.3.7: hosts solicit, routers do not.
    if (ipv6->IsForwarding(ifindex)) {
        std::ostringstream msg;
        msg << "mip6sec_router_solicit: node " << node << " forwards on interface " << ifindex
            << "; only hosts send router solicitations";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    Ptr<Icmpv6L4Protocol> icmpv6 = FindNode(node)->GetObject<Icmpv6L4Protocol>();
    if (!icmpv6) {
        std::ostringstream msg;
        msg << "mip6sec_router_solicit: node " << node << " has no ICMPv6";
        return Fail(SIM_ERR_INVALID, msg.str());
    }

    for (uint32_t i = 0; i < ipv6->GetNAddresses(ifindex); i++) {
        Ipv6Address address = ipv6->GetAddress(ifindex, i).GetAddress();
        if (address.IsLinkLocal()) {
            icmpv6->SendRS(address, Ipv6Address::GetAllRoutersMulticast(),
                           ipv6->GetNetDevice(ifindex)->GetAddress());
            return SIM_OK;
        }
    }
    std::ostringstream msg;
    msg << "mip6sec_router_solicit: interface " << ifindex << " of node " << node
        << " has no link-local address";
    return Fail(SIM_ERR_INVALID, msg.str());
}

} // extern "C"
