/*
 * node-state.cc - the shim's per-node state and the helpers that the
 * shim's files share: error text, node lookup, address conversion.
 *
 * Ingress interposition: ns-3's Ipv6L3Protocol::AddInterface registers
 * TrafficControlLayer::Receive with the node as the 0x86DD handler of each
 * device.  To see packets first, the shim unregisters those handlers and
 * registers its own tap per device, which hands every packet it passes on
 * to the traffic-control layer, as the original handler did.
 */
#include "shim-internal.h"

#include "ns3/boolean.h"
#include "ns3/ipv4.h"
#include "ns3/log.h"
#include "ns3/loopback-net-device.h"
#include "ns3/mac48-address.h"
#include "ns3/node-list.h"
#include "ns3/simulator.h"

#include <arpa/inet.h>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace mip6sec
{

NS_LOG_COMPONENT_DEFINE("Mip6secNodeState");
NS_OBJECT_ENSURE_REGISTERED(NodeState);

using namespace ns3;

namespace
{

std::string g_lastError;
bool g_runStarted = false;

std::vector<uint8_t> g_sharedScratch;
bool g_sharedScratchBusy = false;

/* Link-local or narrower multicast scope (RFC 4291 section 2.7). */
bool
IsLinkScopeMulticast(const uint8_t *destination)
{
    return destination[0] == 0xff && (destination[1] & 0x0f) <= 0x2;
}

} // namespace

/* ----- shared helpers ----- */

int64_t
ComponentStream(uint32_t node, uint32_t slot)
{
    return kComponentStreamBase + kComponentStreamsPerNode * int64_t(node) + slot;
}

int
Fail(int status, const std::string &message)
{
    g_lastError = message;
    NS_LOG_WARN(message);
    return status;
}

void
ClearError()
{
    g_lastError.clear();
}

const char *
LastError()
{
    return g_lastError.c_str();
}

bool
RunStarted()
{
    return g_runStarted;
}

void
MarkRunStarted()
{
    g_runStarted = true;
}

void
ResetRunState()
{
    g_runStarted = false;
}

Ptr<Node>
FindNode(uint32_t id)
{
    if (id >= NodeList::GetNNodes()) {
        return nullptr;
    }
    return NodeList::GetNode(id);
}

Ptr<Ipv6L3Protocol>
FindIpv6(uint32_t node, int *status)
{
    Ptr<Node> n = FindNode(node);
    if (!n) {
        std::ostringstream msg;
        msg << "no node with id " << node << " (" << NodeList::GetNNodes() << " nodes exist)";
        *status = Fail(SIM_ERR_NO_NODE, msg.str());
        return nullptr;
    }
    Ptr<Ipv6L3Protocol> ipv6 = n->GetObject<Ipv6L3Protocol>();
    if (!ipv6) {
        std::ostringstream msg;
        msg << "node " << node << " has no IPv6 stack; create it with mip6sec_node_create()";
        *status = Fail(SIM_ERR_INVALID, msg.str());
        return nullptr;
    }
    *status = SIM_OK;
    return ipv6;
}

Ptr<Ipv6L3Protocol>
FindIpv6Interface(uint32_t node, uint32_t ifindex, int *status)
{
    Ptr<Ipv6L3Protocol> ipv6 = FindIpv6(node, status);
    if (ipv6 && ifindex >= ipv6->GetNInterfaces()) {
        std::ostringstream msg;
        msg << "node " << node << " has no IPv6 interface " << ifindex << " (it has "
            << ipv6->GetNInterfaces() << ", 0 is the loopback)";
        *status = Fail(SIM_ERR_NO_IFACE, msg.str());
        return nullptr;
    }
    return ipv6;
}

Ipv6Address
ToAddress(const uint8_t bytes[16])
{
    return Ipv6Address::Deserialize(bytes);
}

void
FromAddress(const Ipv6Address &address, uint8_t bytes[16])
{
    address.Serialize(bytes);
}

bool
ParseAddress(const char *text, Ipv6Address *address, uint8_t *prefix_len)
{
    if (text == nullptr) {
        return false;
    }
    std::string s(text);
    std::string host = s;
    size_t slash = s.find('/');
    if (prefix_len != nullptr) {
        if (slash == std::string::npos || slash + 1 == s.size()) {
            return false;
        }
        host = s.substr(0, slash);
        const char *digits = s.c_str() + slash + 1;
        char *end = nullptr;
        long len = std::strtol(digits, &end, 10);
        if (*end != '\0' || len < 0 || len > 128 || !std::isdigit((unsigned char)digits[0])) {
            return false;
        }
        *prefix_len = uint8_t(len);
    } else if (slash != std::string::npos) {
        return false;
    }

    uint8_t bytes[16];
    if (inet_pton(AF_INET6, host.c_str(), bytes) != 1) {
        return false;
    }
    *address = ToAddress(bytes);
    return true;
}

bool
IsLoopbackDevice(Ptr<const NetDevice> device)
{
    return DynamicCast<const LoopbackNetDevice>(device) != nullptr;
}

bool
IsPhysicalDevice(Ptr<const NetDevice> device)
{
    return !IsLoopbackDevice(device) && DynamicCast<const VirtualNetDevice>(device) == nullptr;
}

unsigned InsidePacketProcessing::s_depth = 0;

InsidePacketProcessing::InsidePacketProcessing()
{
    s_depth++;
}

InsidePacketProcessing::~InsidePacketProcessing()
{
    s_depth--;
}

bool
InsidePacketProcessing::Active()
{
    return s_depth > 0;
}

ScratchBuffer::ScratchBuffer(size_t size) : m_data(nullptr), m_usesShared(!g_sharedScratchBusy)
{
    if (m_usesShared) {
        g_sharedScratchBusy = true;
        if (g_sharedScratch.size() < size) {
            g_sharedScratch.resize(size);
        }
        m_data = g_sharedScratch.data();
    } else {
        m_own.resize(size > 0 ? size : 1);
        m_data = m_own.data();
    }
}

ScratchBuffer::~ScratchBuffer()
{
    if (m_usesShared) {
        g_sharedScratchBusy = false;
    }
}

/* ----- NodeState ----- */

TypeId
NodeState::GetTypeId()
{
    static TypeId tid = TypeId("mip6sec::NodeState")
                            .SetParent<Object>()
                            .SetGroupName("Mip6sec")
                            .AddConstructor<NodeState>();
    return tid;
}

NodeState::NodeState()
    : m_nodeId(0), m_ingressFn(nullptr), m_ingressCtx(nullptr), m_multicastFiltered(0),
      m_tapInstalled(false), m_tapInterfaces(0), m_ingressConsumed(0), m_linkFn(nullptr),
      m_linkCtx(nullptr), m_tunnelFiltered(0)
{
}

Ptr<NodeState>
NodeState::Get(Ptr<Node> node)
{
    Ptr<NodeState> state = node->GetObject<NodeState>();
    if (!state) {
        state = CreateObject<NodeState>();
        state->m_nodeId = node->GetId();
        node->AggregateObject(state);
    }
    if (!state->m_ipv6) {
        state->m_ipv6 = node->GetObject<Ipv6L3Protocol>();
        state->m_tc = node->GetObject<TrafficControlLayer>();
    }
    return state;
}

void
NodeState::DoDispose()
{
    m_tc = nullptr;
    m_ipv6 = nullptr;
    m_tunnels.clear();
    m_linkUp.clear();
    m_rng = nullptr;
    m_ingressFn = nullptr;
    m_extraHooks.clear();
    m_linkFn = nullptr;
    Object::DoDispose();
}

uint32_t
NodeState::RandomU32()
{
    if (!m_rng) {
        m_rng = CreateObject<UniformRandomVariable>();
        int64_t stream = m_nodeId < kNodeStreamCount - 1 ? m_nodeId : kNodeStreamCount - 1;
        m_rng->SetStream(stream);
    }
    // Two 16-bit draws: one draw of a double in [0, 1) does not carry 32
    // uniformly distributed bits.
    uint32_t high = m_rng->GetInteger(0, 0xffff);
    uint32_t low = m_rng->GetInteger(0, 0xffff);
    return (high << 16) | low;
}

/* ----- ingress interposition ----- */

int
NodeState::SetIngressHook(sim_ingress_fn fn, void *ctx)
{
    if (fn != nullptr && !m_tapInstalled && InsidePacketProcessing::Active()) {
        return Fail(SIM_ERR_INVALID, "sim_set_ingress_hook: a first hook cannot be set from a "
                                     "tunnel or trace callback; use sim_schedule");
    }
    if (fn != nullptr && !m_tapInstalled) {
        int status = InstallTap();
        if (status != SIM_OK) {
            return status;
        }
    }
    m_ingressFn = fn;
    m_ingressCtx = ctx;
    return SIM_OK;
}

int
NodeState::AddIngressHook(sim_ingress_fn fn, void *ctx)
{
    if (fn == nullptr || m_extraHooks.size() >= SIM_MAX_EXTRA_HOOKS) {
        std::ostringstream msg;
        msg << "sim_add_ingress_hook: node " << m_nodeId
            << (fn == nullptr ? ": NULL hook" : " already has the most extra hooks allowed");
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    if (!m_tapInstalled && InsidePacketProcessing::Active()) {
        return Fail(SIM_ERR_INVALID, "sim_add_ingress_hook: a first hook cannot be added from a "
                                     "tunnel or trace callback; use sim_schedule");
    }
    if (!m_tapInstalled) {
        int status = InstallTap();
        if (status != SIM_OK) {
            return status;
        }
    }
    m_extraHooks.emplace_back(fn, ctx);
    return SIM_OK;
}

int
NodeState::JoinSolicitedNode(uint32_t ifindex, uint32_t low24, int delta)
{
    auto key = std::make_pair(ifindex, low24);
    auto it = m_solicitedJoins.find(key);
    if (delta > 0) {
        m_solicitedJoins[key]++;
        return SIM_OK;
    }
    if (it == m_solicitedJoins.end()) {
        std::ostringstream msg;
        msg << "sim_solicited_node_leave: node " << m_nodeId << " has not joined that group on "
            << "interface " << ifindex;
        return Fail(SIM_ERR_NOT_FOUND, msg.str());
    }
    if (--it->second == 0) {
        m_solicitedJoins.erase(it);
    }
    return SIM_OK;
}

/*
 * Whether the node's network card would pass a packet up: packets to a
 * solicited-node group (RFC 4291 §2.7.1) only for the node's own
 * addresses and the groups it joined, and packets to all-routers only
 * when the interface forwards.  A card filters by the Ethernet group that
 * the IPv6 group maps to (RFC 2464 §7), but ns-3.37's devices hand every
 * group frame up as if it were addressed to the node, so the filter reads
 * the IPv6 destination instead.  Without it each Neighbor Solicitation on
 * a link with N nodes would reach all of them, and the recorded
 * receptions would grow with N^2.
 */
bool
NodeState::AcceptsPacket(Ptr<NetDevice> device, Ptr<const Packet> packet) const
{
    uint8_t header[40];
    if (packet->GetSize() < sizeof header) {
        return true;
    }
    packet->CopyData(header, sizeof header);
    const uint8_t *dst = header + 24;
    static const uint8_t all_routers[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0,
                                            0,    0,    0, 0, 0, 0, 0, 0x02};
    static const uint8_t solicited_prefix[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};
    int32_t ifindex = m_ipv6->GetInterfaceForDevice(device);
    if (dst[0] != 0xff || ifindex < 0) {
        return true;
    }
    uint32_t index = uint32_t(ifindex);
    if (std::memcmp(dst, all_routers, 16) == 0) {
        return m_ipv6->IsForwarding(index);
    }
    if (std::memcmp(dst, solicited_prefix, sizeof solicited_prefix) != 0) {
        return true;
    }
    uint32_t low24 = uint32_t(dst[13]) << 16 | uint32_t(dst[14]) << 8 | dst[15];
    if (m_solicitedJoins.count(std::make_pair(index, low24)) > 0) {
        return true;
    }
    for (uint32_t i = 0; i < m_ipv6->GetNAddresses(index); i++) {
        uint8_t addr[16];
        m_ipv6->GetAddress(index, i).GetAddress().GetBytes(addr);
        if ((uint32_t(addr[13]) << 16 | uint32_t(addr[14]) << 8 | addr[15]) == low24) {
            return true;
        }
    }
    return false;
}

int
NodeState::InstallTap()
{
    Ptr<Node> node = GetObject<Node>();
    if (!m_ipv6 || !m_tc) {
        std::ostringstream msg;
        msg << "node " << m_nodeId << " has no IPv6 stack to interpose on";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    if (node->GetObject<Ipv4>()) {
        // Unregistering the traffic-control handlers would also remove
        // those of IPv4 and ARP, which the tap does not hand on.
        std::ostringstream msg;
        msg << "node " << m_nodeId << " has IPv4; the ingress hook needs an IPv6-only node";
        return Fail(SIM_ERR_INVALID, msg.str());
    }

    // Node::UnregisterProtocolHandler removes the first handler that
    // compares equal, and the traffic-control handler of every device
    // compares equal, so call it once per interface.  Extra calls do
    // nothing.
    Node::ProtocolHandler tcHandler = MakeCallback(&TrafficControlLayer::Receive, m_tc);
    Node::ProtocolHandler tap = MakeCallback(&NodeState::TapReceive, this);
    uint32_t n = m_ipv6->GetNInterfaces();
    for (uint32_t i = 0; i < n; i++) {
        node->UnregisterProtocolHandler(tcHandler);
        node->UnregisterProtocolHandler(tap);
    }
    for (uint32_t i = 0; i < n; i++) {
        Ptr<NetDevice> device = m_ipv6->GetNetDevice(i);
        if (IsLoopbackDevice(device)) {
            continue; // its handler is Ipv6L3Protocol::Receive itself
        }
        node->RegisterProtocolHandler(tap, Ipv6L3Protocol::PROT_NUMBER, device);
    }
    m_tapInstalled = true;
    m_tapInterfaces = n;
    NS_LOG_INFO("node " << m_nodeId << ": ingress tap on " << n - 1 << " devices");
    return SIM_OK;
}

void
NodeState::TapReceive(Ptr<NetDevice> device, Ptr<const Packet> packet, uint16_t protocol,
                      const Address &from, const Address &to, NetDevice::PacketType type)
{
    if (!IsPhysicalDevice(device)) {
        m_tc->Receive(device, packet, protocol, from, to, type);
        return;
    }
    if (!AcceptsPacket(device, packet)) {
        m_multicastFiltered++;
        return;
    }
    if (m_ingressFn == nullptr && m_extraHooks.empty()) {
        m_tc->Receive(device, packet, protocol, from, to, type);
        return;
    }
    // The C hook runs in an event of its own at the same time, never inside
    // Node::ReceiveFromDevice.  That function iterates over the node's
    // handler list, and the hook may create a tunnel, which adds a handler.
    Simulator::ScheduleNow(&NodeState::DispatchIngress, Ptr<NodeState>(this), device, packet,
                           protocol, from, to, type);
}

void
NodeState::DispatchIngress(Ptr<NetDevice> device, Ptr<const Packet> packet, uint16_t protocol,
                           Address from, Address to, NetDevice::PacketType type)
{
    if (m_ingressFn != nullptr || !m_extraHooks.empty()) {
        size_t size = packet->GetSize();
        ScratchBuffer buffer(size);
        uint8_t *bytes = buffer.Data();
        packet->CopyData(bytes, size);

        // Hide link-layer padding (CSMA pads frames to 46 bytes of payload).
        // The hook gets the IPv6 header and the payload length it announces.
        size_t len = size;
        if (size >= 40) {
            size_t ipLen = 40 + ((size_t(bytes[4]) << 8) | bytes[5]);
            if (ipLen < size) {
                len = ipLen;
            }
        }

        uint32_t ifindex = uint32_t(m_ipv6->GetInterfaceForDevice(device));
        enum sim_verdict verdict = SIM_PASS;
        // Copy the list: a hook may add another one.
        std::vector<std::pair<sim_ingress_fn, void *>> hooks = m_extraHooks;
        for (const auto &hook : hooks) {
            verdict = hook.first(hook.second, ifindex, bytes, len, packet->GetUid());
            if (verdict == SIM_CONSUMED) {
                break;
            }
        }
        if (verdict == SIM_PASS && m_ingressFn != nullptr) {
            verdict = m_ingressFn(m_ingressCtx, ifindex, bytes, len, packet->GetUid());
        }
        if (verdict == SIM_CONSUMED) {
            m_ingressConsumed++;
            NS_LOG_LOGIC("node " << m_nodeId << ": hook consumed packet " << packet->GetUid());
            return;
        }
    }
    m_tc->Receive(device, packet, protocol, from, to, type);
}

/* ----- link changes ----- */

void
NodeState::SetLinkHook(sim_link_fn fn, void *ctx)
{
    m_linkFn = fn;
    m_linkCtx = ctx;
    WatchLinks();
}

void
NodeState::WatchLinks()
{
    if (!m_ipv6) {
        return;
    }
    for (uint32_t i = 0; i < m_ipv6->GetNInterfaces(); i++) {
        Ptr<NetDevice> device = m_ipv6->GetNetDevice(i);
        if (m_linkUp.count(i) != 0 || IsLoopbackDevice(device)) {
            continue;
        }
        m_linkUp[i] = device->IsLinkUp();
        device->AddLinkChangeCallback(MakeCallback(&NodeState::LinkChanged, this, i));
    }
}

void
NodeState::InterfacesChanged()
{
    WatchLinks();
    if (!m_tapInstalled) {
        return;
    }
    // Tunnel interfaces keep the traffic-control handler that
    // AddInterface registered, which is what the tap would do for them.
    for (uint32_t i = m_tapInterfaces; i < m_ipv6->GetNInterfaces(); i++) {
        if (IsPhysicalDevice(m_ipv6->GetNetDevice(i))) {
            InstallTap();
            return;
        }
    }
}

void
NodeState::LinkChanged(uint32_t ifindex)
{
    ReportLink(ifindex, m_ipv6->GetNetDevice(ifindex)->IsLinkUp());
}

void
NodeState::ReportLink(uint32_t ifindex, bool up)
{
    auto it = m_linkUp.find(ifindex);
    if (it != m_linkUp.end() && it->second == up) {
        return;
    }
    m_linkUp[ifindex] = up;
    NS_LOG_INFO("node " << m_nodeId << ": link of interface " << ifindex << (up ? " up" : " down"));
    if (m_linkFn != nullptr) {
        m_linkFn(m_linkCtx, ifindex, up ? 1 : 0);
    }
}

/* ----- tunnels ----- */

int
NodeState::CreateTunnel(sim_tunnel_tx_fn fn, void *ctx, uint32_t *ifindex_out)
{
    Ptr<Node> node = GetObject<Node>();
    if (!m_ipv6) {
        std::ostringstream msg;
        msg << "node " << m_nodeId << " has no IPv6 stack for a tunnel";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    if (InsidePacketProcessing::Active()) {
        // AddInterface registers receive handlers in lists that ns-3 is
        // iterating over at this point.
        return Fail(SIM_ERR_INVALID, "sim_tunnel_create: cannot run inside a tunnel or trace "
                                     "callback; use sim_schedule");
    }

    // A MAC address gives the interface its link-local address.  No neighbor
    // discovery runs on it, because the device needs no address resolution.
    Ptr<VirtualNetDevice> device = CreateObject<VirtualNetDevice>();
    device->SetAddress(Mac48Address::Allocate());
    device->SetNeedsArp(false);
    device->SetIsPointToPoint(true);
    device->SetSupportsSendFrom(false);
    device->SetMtu(kTunnelMtu);
    node->AddDevice(device);

    uint32_t ifindex = m_ipv6->AddInterface(device);
    device->SetSendCallback(MakeCallback(&NodeState::TunnelSend, this, ifindex));
    m_tunnels[ifindex] = Tunnel{device, fn, ctx};

    BooleanValue ipForward;
    m_ipv6->GetAttribute("IpForward", ipForward);
    // The loopback interface forwards by default, so it does not count.
    bool router = ipForward.Get();
    for (uint32_t i = 1; i < ifindex && !router; i++) {
        router = m_ipv6->IsForwarding(i);
    }
    m_ipv6->SetForwarding(ifindex, router);
    m_ipv6->SetUp(ifindex);

    // No InterfacesChanged(): reinstalling the tap would change the node's
    // handler list, which is not needed for a tunnel.
    WatchLinks();
    *ifindex_out = ifindex;
    NS_LOG_INFO("node " << m_nodeId << ": tunnel interface " << ifindex
                        << (router ? " (forwarding)" : ""));
    return SIM_OK;
}

Ptr<VirtualNetDevice>
NodeState::FindTunnel(uint32_t ifindex) const
{
    auto it = m_tunnels.find(ifindex);
    return it == m_tunnels.end() ? nullptr : it->second.device;
}

bool
NodeState::TunnelSend(uint32_t ifindex, Ptr<Packet> packet, const Address &source,
                      const Address &destination, uint16_t protocol)
{
    (void)source;
    (void)destination;
    auto it = m_tunnels.find(ifindex);
    if (it == m_tunnels.end() || protocol != Ipv6L3Protocol::PROT_NUMBER) {
        return false;
    }

    size_t size = packet->GetSize();
    ScratchBuffer buffer(size);
    uint8_t *bytes = buffer.Data();
    packet->CopyData(bytes, size);

    // The interface's own duplicate address detection and router
    // solicitations go to link-scope multicast groups.  A point-to-point
    // tunnel has no neighbor to receive them, so they stop here.
    if (size < 40 || IsLinkScopeMulticast(bytes + 24)) {
        m_tunnelFiltered++;
        NS_LOG_LOGIC("node " << m_nodeId << ": tunnel " << ifindex << " dropped link-scope packet "
                             << packet->GetUid());
        return true;
    }

    InsidePacketProcessing scope;
    it->second.fn(it->second.ctx, bytes, size, packet->GetUid());
    return true;
}

} // namespace mip6sec
