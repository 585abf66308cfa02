/*
 * sim-ns3.cc - model/sim.h over ns-3: time, events, random numbers,
 * packet input and output, tunnel interfaces, addresses and routes.
 *
 * Nodes are ns-3 node ids and interfaces are the node's Ipv6L3Protocol
 * interface indices.  Every function checks its arguments itself, because
 * Debian's libns3 is built without NS_ASSERT.
 */
#include "shim-internal.h"

#include "ns3/ipv6-header.h"
#include "ns3/ipv6-interface-address.h"
#include "ns3/ipv6-interface.h"
#include "ns3/ipv6-route.h"
#include "ns3/ipv6-routing-protocol.h"
#include "ns3/ipv6-routing-table-entry.h"
#include "ns3/ipv6-static-routing-helper.h"
#include "ns3/ipv6-static-routing.h"
#include "ns3/log.h"
#include "ns3/mac48-address.h"
#include "ns3/nstime.h"
#include "ns3/simulator.h"
#include "ns3/socket.h"

#include "ns3/icmpv6-l4-protocol.h"

#include <limits>
#include <sstream>

NS_LOG_COMPONENT_DEFINE("Mip6secSim");

using namespace ns3;
using namespace mip6sec;

namespace
{

/* Largest IPv6 payload without a jumbogram option. */
constexpr size_t kMaxPayload = 65535;

void
RunEvent(sim_event_fn fn, void *arg)
{
    fn(arg);
}

Ptr<Ipv6StaticRouting>
FindStaticRouting(Ptr<Ipv6L3Protocol> ipv6, uint32_t node, int *status)
{
    Ipv6StaticRoutingHelper helper;
    Ptr<Ipv6StaticRouting> routing = helper.GetStaticRouting(ipv6);
    if (!routing) {
        std::ostringstream msg;
        msg << "node " << node << " has no IPv6 static routing";
        *status = Fail(SIM_ERR_INVALID, msg.str());
    }
    return routing;
}

bool
SameRoute(const Ipv6RoutingTableEntry &route, const Ipv6Address &network, uint8_t prefix_len,
          uint32_t ifindex)
{
    return route.GetInterface() == ifindex &&
           route.GetDestNetworkPrefix().GetPrefixLength() == prefix_len &&
           route.GetDestNetwork().CombinePrefix(Ipv6Prefix(prefix_len)) == network;
}

} // namespace

extern "C" {

/* ----- time, events, random numbers ----- */

uint64_t
sim_now_ns(void)
{
    return uint64_t(Simulator::Now().GetNanoSeconds());
}

void
sim_schedule(uint32_t node, uint64_t delay_ns, sim_event_fn fn, void *arg)
{
    if (fn == nullptr) {
        NS_LOG_WARN("sim_schedule: NULL function for node " << node << " ignored");
        return;
    }
    constexpr uint64_t max = uint64_t(std::numeric_limits<int64_t>::max());
    Time delay = NanoSeconds(int64_t(delay_ns < max ? delay_ns : max));
    Simulator::ScheduleWithContext(node, delay, &RunEvent, fn, arg);
}

uint32_t
sim_random_u32(uint32_t node)
{
    Ptr<Node> n = FindNode(node);
    if (!n) {
        // No error return: an unknown node draws from node 0's stream.
        NS_LOG_WARN("sim_random_u32: no node " << node << ", using node 0");
        n = FindNode(0);
        if (!n) {
            return 0;
        }
    }
    return NodeState::Get(n)->RandomU32();
}

/* ----- packet input ----- */

int
sim_set_ingress_hook(uint32_t node, sim_ingress_fn fn, void *ctx)
{
    int status;
    Ptr<Ipv6L3Protocol> ipv6 = FindIpv6(node, &status);
    if (!ipv6) {
        return status;
    }
    return NodeState::Get(FindNode(node))->SetIngressHook(fn, ctx);
}

int
sim_add_ingress_hook(uint32_t node, sim_ingress_fn fn, void *ctx)
{
    int status;
    Ptr<Ipv6L3Protocol> ipv6 = FindIpv6(node, &status);
    if (!ipv6) {
        return status;
    }
    return NodeState::Get(FindNode(node))->AddIngressHook(fn, ctx);
}

namespace
{

int
JoinSolicited(uint32_t node, uint32_t ifindex, const uint8_t addr[16], int delta)
{
    int status;
    Ptr<Ipv6L3Protocol> ipv6 = FindIpv6Interface(node, ifindex, &status);
    if (!ipv6) {
        return status;
    }
    if (addr == nullptr) {
        return Fail(SIM_ERR_INVALID, "sim_solicited_node_join: NULL address");
    }
    uint32_t low24 = uint32_t(addr[13]) << 16 | uint32_t(addr[14]) << 8 | addr[15];
    return NodeState::Get(FindNode(node))->JoinSolicitedNode(ifindex, low24, delta);
}

} // namespace

int
sim_solicited_node_join(uint32_t node, uint32_t ifindex, const uint8_t addr[16])
{
    return JoinSolicited(node, ifindex, addr, 1);
}

int
sim_solicited_node_leave(uint32_t node, uint32_t ifindex, const uint8_t addr[16])
{
    return JoinSolicited(node, ifindex, addr, -1);
}

int
sim_set_link_hook(uint32_t node, sim_link_fn fn, void *ctx)
{
    int status;
    Ptr<Ipv6L3Protocol> ipv6 = FindIpv6(node, &status);
    if (!ipv6) {
        return status;
    }
    NodeState::Get(FindNode(node))->SetLinkHook(fn, ctx);
    return SIM_OK;
}

/* ----- packet output ----- */

namespace
{

/* Build and send an IPv6 packet; hopLimit 0 keeps the node's default. */
int
Ipv6Send(uint32_t node, uint32_t ifindex, const uint8_t src[16], const uint8_t dst[16],
         uint8_t next_header, const uint8_t *payload, size_t len, uint8_t hopLimit,
         uint64_t *uid_out)
{
    if (src == nullptr || dst == nullptr || (payload == nullptr && len > 0)) {
        return Fail(SIM_ERR_INVALID, "sim_ipv6_send: NULL address or payload");
    }
    if (len > kMaxPayload) {
        std::ostringstream msg;
        msg << "sim_ipv6_send: payload of " << len << " bytes exceeds " << kMaxPayload;
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    int status;
    Ptr<Ipv6L3Protocol> ipv6 = ifindex == SIM_IFINDEX_ANY
                                   ? FindIpv6(node, &status)
                                   : FindIpv6Interface(node, ifindex, &status);
    if (!ipv6) {
        return status;
    }

    Ipv6Address source = ToAddress(src);
    Ipv6Address destination = ToAddress(dst);
    if (source.IsMulticast()) {
        return Fail(SIM_ERR_INVALID, "sim_ipv6_send: multicast source address");
    }

    // Link-local traffic needs an interface: take the source's, as
    // Ipv6L3Protocol::Send does when it has no route.
    Ptr<NetDevice> oif;
    if (ifindex != SIM_IFINDEX_ANY) {
        oif = ipv6->GetNetDevice(ifindex);
    } else if (source.IsLinkLocal() || destination.IsLinkLocal() ||
               destination.IsLinkLocalMulticast()) {
        int32_t index = ipv6->GetInterfaceForAddress(source);
        if (index < 0) {
            std::ostringstream msg;
            msg << "sim_ipv6_send: link-local packet from " << source
                << ", which is not an address of node " << node << "; give the interface";
            return Fail(SIM_ERR_INVALID, msg.str());
        }
        oif = ipv6->GetNetDevice(uint32_t(index));
    }

    Ptr<Packet> packet = Create<Packet>(payload, uint32_t(len));
    if (hopLimit != 0) {
        // Ipv6L3Protocol::Send takes the hop limit from this tag.
        SocketIpv6HopLimitTag tag;
        tag.SetHopLimit(hopLimit);
        packet->AddPacketTag(tag);
    }
    Ipv6Header header;
    header.SetSource(source);
    header.SetDestination(destination);
    header.SetNextHeader(next_header);
    header.SetPayloadLength(uint16_t(len));

    Socket::SocketErrno error;
    Ptr<Ipv6Route> route = ipv6->GetRoutingProtocol()->RouteOutput(packet, header, oif, error);
    if (!route) {
        std::ostringstream msg;
        msg << "sim_ipv6_send: node " << node << " has no route to " << destination;
        if (oif) {
            msg << " on interface " << ifindex;
        }
        return Fail(SIM_ERR_NO_ROUTE, msg.str());
    }

    uint64_t uid = packet->GetUid();
    ipv6->Send(packet, source, destination, next_header, route);
    if (uid_out != nullptr) {
        *uid_out = uid;
    }
    return SIM_OK;
}

} // namespace

int
sim_ipv6_send(uint32_t node, uint32_t ifindex, const uint8_t src[16], const uint8_t dst[16],
              uint8_t next_header, const uint8_t *payload, size_t len, uint64_t *uid_out)
{
    return Ipv6Send(node, ifindex, src, dst, next_header, payload, len, 0, uid_out);
}

int
sim_nd_send(uint32_t node, uint32_t ifindex, const uint8_t src[16], const uint8_t dst[16],
            const uint8_t *icmp, size_t len, uint64_t *uid_out)
{
    if (ifindex == SIM_IFINDEX_ANY) {
        return Fail(SIM_ERR_INVALID, "sim_nd_send: give the interface of the link");
    }
    return Ipv6Send(node, ifindex, src, dst, 58 /* ICMPv6 */, icmp, len, 255, uid_out);
}

/* ----- IPv6-in-IPv6 tunnel interface ----- */

int
sim_tunnel_create(uint32_t node, sim_tunnel_tx_fn fn, void *ctx, uint32_t *ifindex_out)
{
    if (fn == nullptr || ifindex_out == nullptr) {
        return Fail(SIM_ERR_INVALID, "sim_tunnel_create: NULL callback or ifindex_out");
    }
    int status;
    Ptr<Ipv6L3Protocol> ipv6 = FindIpv6(node, &status);
    if (!ipv6) {
        return status;
    }
    return NodeState::Get(FindNode(node))->CreateTunnel(fn, ctx, ifindex_out);
}

int
sim_tunnel_receive(uint32_t node, uint32_t ifindex, const uint8_t *pkt, size_t len,
                   uint64_t *uid_out)
{
    int status;
    Ptr<Ipv6L3Protocol> ipv6 = FindIpv6Interface(node, ifindex, &status);
    if (!ipv6) {
        return status;
    }
    Ptr<VirtualNetDevice> device = NodeState::Get(FindNode(node))->FindTunnel(ifindex);
    if (!device) {
        std::ostringstream msg;
        msg << "sim_tunnel_receive: interface " << ifindex << " of node " << node
            << " is not a tunnel";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    if (pkt == nullptr || len < 40 || len > 40 + kMaxPayload || (pkt[0] >> 4) != 6) {
        std::ostringstream msg;
        msg << "sim_tunnel_receive: " << len << " bytes are not an IPv6 packet";
        return Fail(SIM_ERR_INVALID, msg.str());
    }

    Ptr<Packet> packet = Create<Packet>(pkt, uint32_t(len));
    uint64_t uid = packet->GetUid();
    device->Receive(packet, Ipv6L3Protocol::PROT_NUMBER, device->GetAddress(), device->GetAddress(),
                    NetDevice::PACKET_HOST);
    if (uid_out != nullptr) {
        *uid_out = uid;
    }
    return SIM_OK;
}

/* ----- addresses and routes ----- */

int
sim_addr_add(uint32_t node, uint32_t ifindex, const uint8_t addr[16], uint8_t prefix_len)
{
    int status;
    Ptr<Ipv6L3Protocol> ipv6 = FindIpv6Interface(node, ifindex, &status);
    if (!ipv6) {
        return status;
    }
    if (addr == nullptr || prefix_len > 128) {
        return Fail(SIM_ERR_INVALID, "sim_addr_add: NULL address or prefix length over 128");
    }
    Ipv6Address address = ToAddress(addr);
    if (address.IsAny() || address.IsMulticast() || address.IsLocalhost()) {
        std::ostringstream msg;
        msg << "sim_addr_add: " << address << " cannot be an interface address";
        return Fail(SIM_ERR_INVALID, msg.str());
    }

    // Like Linux, the address brings the on-link route for its prefix.
    Ipv6InterfaceAddress ifaddr(address, Ipv6Prefix(prefix_len));
    if (!ipv6->AddAddress(ifindex, ifaddr, true)) {
        std::ostringstream msg;
        msg << "sim_addr_add: " << address << " is already on interface " << ifindex << " of node "
            << node;
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    return SIM_OK;
}

int
sim_addr_remove(uint32_t node, uint32_t ifindex, const uint8_t addr[16])
{
    int status;
    Ptr<Ipv6L3Protocol> ipv6 = FindIpv6Interface(node, ifindex, &status);
    if (!ipv6) {
        return status;
    }
    if (addr == nullptr) {
        return Fail(SIM_ERR_INVALID, "sim_addr_remove: NULL address");
    }
    Ipv6Address address = ToAddress(addr);
    if (!ipv6->RemoveAddress(ifindex, address)) {
        std::ostringstream msg;
        msg << "sim_addr_remove: " << address << " is not on interface " << ifindex << " of node "
            << node;
        return Fail(SIM_ERR_NOT_FOUND, msg.str());
    }
    return SIM_OK;
}

enum sim_addr_state
sim_addr_state(uint32_t node, uint32_t ifindex, const uint8_t addr[16])
{
    int status;
    Ptr<Ipv6L3Protocol> ipv6 = FindIpv6Interface(node, ifindex, &status);
    if (!ipv6 || addr == nullptr) {
        return SIM_ADDR_ABSENT;
    }
    Ipv6Address address = ToAddress(addr);
    for (uint32_t i = 0; i < ipv6->GetNAddresses(ifindex); i++) {
        Ipv6InterfaceAddress ifaddr = ipv6->GetAddress(ifindex, i);
        if (ifaddr.GetAddress() != address) {
            continue;
        }
        // ns-3.37 gives every new address TENTATIVE_OPTIMISTIC (the
        // Ipv6InterfaceAddress constructors) and checks no address state
        // when it sends from an address (Ipv6L3Protocol::Send,
        // SourceAddressSelection) or delivers to one
        // (Ipv6L3Protocol::Receive).  A tentative address is therefore
        // usable at once, which optimistic DAD (RFC 4429) relies on.
        switch (ifaddr.GetState()) {
        case Ipv6InterfaceAddress::TENTATIVE:
        case Ipv6InterfaceAddress::TENTATIVE_OPTIMISTIC:
            return SIM_ADDR_TENTATIVE;
        case Ipv6InterfaceAddress::DEPRECATED:
            return SIM_ADDR_DEPRECATED;
        case Ipv6InterfaceAddress::INVALID:
            return SIM_ADDR_INVALID;
        case Ipv6InterfaceAddress::PREFERRED:
        case Ipv6InterfaceAddress::PERMANENT:
        case Ipv6InterfaceAddress::HOMEADDRESS:
            return SIM_ADDR_PREFERRED;
        }
    }
    return SIM_ADDR_ABSENT;
}

int
sim_autoconf_remove(uint32_t node, uint32_t ifindex, const uint8_t prefix[16], uint8_t prefix_len,
                    const uint8_t router[16])
{
    int status;
    Ptr<Ipv6L3Protocol> ipv6 = FindIpv6Interface(node, ifindex, &status);
    if (!ipv6) {
        return status;
    }
    if (prefix == nullptr || prefix_len > 128) {
        return Fail(SIM_ERR_INVALID, "sim_autoconf_remove: NULL prefix or length over 128");
    }

    Ipv6Address network = ToAddress(prefix);
    Address mac = ipv6->GetNetDevice(ifindex)->GetAddress();
    Ipv6Address address = Ipv6Address::MakeAutoconfiguredAddress(mac, network);

    // NOTE: Ipv6L3Protocol::RemoveAutoconfiguredAddress aborts the program
    // in ns-3.37, because it destroys the prefix record while the record's
    // lifetime timer runs ("Event is still running while destroying").  So
    // the address and the routes are removed here, and ns-3 keeps its
    // record of the prefix.  A later advertisement of the same prefix on
    // this interface then refreshes that record without adding the address
    // again.  Add it with sim_addr_add when sim_addr_state reports
    // SIM_ADDR_ABSENT.
    if (!ipv6->RemoveAddress(ifindex, address)) {
        std::ostringstream msg;
        msg << "sim_autoconf_remove: no autoconfigured address " << address << " on interface "
            << ifindex << " of node " << node;
        return Fail(SIM_ERR_NOT_FOUND, msg.str());
    }
    // RemoveAddress took the /64 route of the address; the prefix may be another length.
    Ptr<Ipv6RoutingProtocol> routing = ipv6->GetRoutingProtocol();
    Ipv6Prefix mask(prefix_len);
    Ipv6Address onLink = network.CombinePrefix(mask);
    if (!onLink.IsAny()) { // :: would select NotifyRemoveRoute's default-route case
        routing->NotifyRemoveRoute(onLink, mask, Ipv6Address::GetAny(), ifindex);
    }
    if (router != nullptr) {
        // Default routes from router advertisements carry their prefix as
        // "prefix to use" (Ipv6L3Protocol::AddAutoconfiguredAddress).
        routing->NotifyRemoveRoute(Ipv6Address::GetAny(), Ipv6Prefix(uint8_t(0)), ToAddress(router),
                                   ifindex, network);
    }
    return SIM_OK;
}

int
sim_route_add(uint32_t node, const uint8_t prefix[16], uint8_t prefix_len, uint32_t ifindex,
              const uint8_t *next_hop, uint32_t metric)
{
    int status;
    Ptr<Ipv6L3Protocol> ipv6 = FindIpv6Interface(node, ifindex, &status);
    if (!ipv6) {
        return status;
    }
    if (prefix == nullptr || prefix_len > 128) {
        return Fail(SIM_ERR_INVALID, "sim_route_add: NULL prefix or length over 128");
    }
    Ptr<Ipv6StaticRouting> routing = FindStaticRouting(ipv6, node, &status);
    if (!routing) {
        return status;
    }

    // Ipv6StaticRouting picks the longest matching prefix first, then the
    // lowest metric, then the newest route.
    Ipv6Prefix mask(prefix_len);
    Ipv6Address network = ToAddress(prefix).CombinePrefix(mask);
    if (next_hop == nullptr) {
        routing->AddNetworkRouteTo(network, mask, ifindex, metric);
    } else {
        routing->AddNetworkRouteTo(network, mask, ToAddress(next_hop), ifindex, metric);
    }
    return SIM_OK;
}

int
sim_route_remove(uint32_t node, const uint8_t prefix[16], uint8_t prefix_len, uint32_t ifindex)
{
    int status;
    Ptr<Ipv6L3Protocol> ipv6 = FindIpv6Interface(node, ifindex, &status);
    if (!ipv6) {
        return status;
    }
    if (prefix == nullptr || prefix_len > 128) {
        return Fail(SIM_ERR_INVALID, "sim_route_remove: NULL prefix or length over 128");
    }
    Ptr<Ipv6StaticRouting> routing = FindStaticRouting(ipv6, node, &status);
    if (!routing) {
        return status;
    }

    // Ipv6StaticRouting::RemoveRoute(network, ...) ignores the prefix
    // length, so ::/0 and ::/1 look the same to it.  Match entries here and
    // remove every route to exactly this prefix on this interface.
    Ipv6Address network = ToAddress(prefix).CombinePrefix(Ipv6Prefix(prefix_len));
    bool removed = false;
    for (uint32_t i = routing->GetNRoutes(); i-- > 0;) {
        if (SameRoute(routing->GetRoute(i), network, prefix_len, ifindex)) {
            routing->RemoveRoute(i);
            removed = true;
        }
    }
    if (!removed) {
        std::ostringstream msg;
        msg << "sim_route_remove: node " << node << " has no route to " << network << "/"
            << unsigned(prefix_len) << " on interface " << ifindex;
        return Fail(SIM_ERR_NOT_FOUND, msg.str());
    }
    return SIM_OK;
}

int
sim_iface_mac48(uint32_t node, uint32_t ifindex, uint8_t mac[6])
{
    int status;
    Ptr<Ipv6L3Protocol> ipv6 = FindIpv6Interface(node, ifindex, &status);
    if (!ipv6) {
        return status;
    }
    if (mac == nullptr) {
        return Fail(SIM_ERR_INVALID, "sim_iface_mac48: NULL mac");
    }
    Address address = ipv6->GetNetDevice(ifindex)->GetAddress();
    if (!Mac48Address::IsMatchingType(address)) {
        std::ostringstream msg;
        msg << "sim_iface_mac48: interface " << ifindex << " of node " << node
            << " has no 48-bit MAC address";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    Mac48Address::ConvertFrom(address).CopyTo(mac);
    return SIM_OK;
}

uint64_t
sim_dad_timeout_ns(uint32_t node)
{
    Ptr<Node> n = FindNode(node);
    Ptr<Icmpv6L4Protocol> icmpv6 = n ? n->GetObject<Icmpv6L4Protocol>() : nullptr;
    if (!icmpv6) {
        NS_LOG_WARN("sim_dad_timeout_ns: node " << node << " has no ICMPv6; returning 0");
        return 0;
    }
    // Without "DAD", ns-3 makes new addresses preferred at once.
    if (!icmpv6->IsAlwaysDad()) {
        return 0;
    }
    return uint64_t(icmpv6->GetDadTimeout().GetNanoSeconds());
}

} // extern "C"
