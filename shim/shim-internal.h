/*
 * shim-internal.h - state and helpers that the shim's C++ files share.
 *
 * Not part of the C API.  Per-node state lives in a NodeState object
 * aggregated to the ns-3 Node, so ns-3 disposes of it with the node in
 * Simulator::Destroy.
 */
#ifndef MIP6SEC_SHIM_INTERNAL_H
#define MIP6SEC_SHIM_INTERNAL_H

#include "mip6sec-ns3.h"
#include "sim.h"

/*
 * Debian builds libns3 with NS3_LOG_ENABLE, and some ns-3 classes have
 * members only under it (UdpClient::m_peerAddressString in 3.37): a file
 * compiled without it disagrees with the library on object sizes.
 */
#ifndef NS3_LOG_ENABLE
#error "compile the shim with -DNS3_LOG_ENABLE, as Debian's libns3 is built"
#endif

#include "ns3/address.h"
#include "ns3/ipv6-address.h"
#include "ns3/ipv6-l3-protocol.h"
#include "ns3/net-device.h"
#include "ns3/node.h"
#include "ns3/object.h"
#include "ns3/packet.h"
#include "ns3/ptr.h"
#include "ns3/random-variable-stream.h"
#include "ns3/traffic-control-layer.h"
#include "ns3/virtual-net-device.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mip6sec
{

/* Random stream numbers; mip6sec-ns3.h documents the layout. */
constexpr int64_t kNodeStreamCount = int64_t(1) << 20;
constexpr int64_t kComponentStreamBase = int64_t(1) << 20;
constexpr int64_t kComponentStreamsPerNode = 256;
constexpr uint32_t kStackStreamSlot = 0;    // up to 64 streams
constexpr uint32_t kDeviceStreamSlot = 64;  // + ns-3 device index
constexpr uint32_t kMaxStreamDevices = 128; // devices with a fixed stream per node
constexpr uint32_t kRadvdStreamSlot = 200;
constexpr uint32_t kWifiStreamSlot = 208;      // + kWifiStreamsPerDevice per WiFi device
constexpr uint32_t kWifiStreamsPerDevice = 16; // an 802.11a device draws from 3 (ns-3.37)
constexpr uint32_t kMaxStreamWifiDevices = 3;  // WiFi devices with fixed streams per node

/* First stream of a component of the node; slot is one of the k*StreamSlot values. */
int64_t ComponentStream(uint32_t node, uint32_t slot);

/*
 * MTU of tunnel interfaces, the maximum inner packet size.  1460 = 1500 -
 * 40, so the outer packet with one IPv6 header fits a 1500-byte link MTU.
 * ns-3 fragments larger inner packets at their source and sends Packet Too
 * Big when it forwards them.
 */
constexpr uint16_t kTunnelMtu = 1460;

/* Record a failure for mip6sec_last_error() and return the status. */
int Fail(int status, const std::string &message);
void ClearError();
const char *LastError();

ns3::Ptr<ns3::Node> FindNode(uint32_t id);

/*
 * Find the node's IPv6 layer; on failure record the error and store
 * SIM_ERR_NO_NODE or SIM_ERR_INVALID (node without IPv6) in *status.
 */
ns3::Ptr<ns3::Ipv6L3Protocol> FindIpv6(uint32_t node, int *status);

/* Like FindIpv6, and also check that ifindex is one of its interfaces. */
ns3::Ptr<ns3::Ipv6L3Protocol> FindIpv6Interface(uint32_t node, uint32_t ifindex, int *status);

ns3::Ipv6Address ToAddress(const uint8_t bytes[16]);
void FromAddress(const ns3::Ipv6Address &address, uint8_t bytes[16]);

/*
 * Parse "address" (prefix_len NULL) or "address/length" (prefix_len set)
 * as text; false when it is invalid.
 */
bool ParseAddress(const char *text, ns3::Ipv6Address *address, uint8_t *prefix_len);

/* Physical devices are all but the loopback and tunnel (VirtualNetDevice) devices. */
bool IsPhysicalDevice(ns3::Ptr<const ns3::NetDevice> device);
bool IsLoopbackDevice(ns3::Ptr<const ns3::NetDevice> device);

/* True when the run has started: configuration that only counts at time 0 is too late. */
bool RunStarted();
void MarkRunStarted();
void ResetRunState();

/* Reset the shim's global state of each file, for mip6sec_destroy(). */
void ResetApps();
void ResetMobility();
void ResetTopology();

/*
 * Marks C code that runs inside ns-3's packet processing (tunnel transmit
 * and trace callbacks), where ns-3's handler lists are being iterated and
 * must not change.  Functions that register handlers check Active().
 */
class InsidePacketProcessing
{
  public:
    InsidePacketProcessing();
    ~InsidePacketProcessing();
    InsidePacketProcessing(const InsidePacketProcessing &) = delete;
    InsidePacketProcessing &operator=(const InsidePacketProcessing &) = delete;

    static bool Active();

  private:
    static unsigned s_depth;
};

/*
 * A byte buffer for one packet, reused between calls.  A nested use (C
 * code called with one packet that makes ns-3 process another) gets a
 * buffer of its own, so the outer bytes stay valid.
 */
class ScratchBuffer
{
  public:
    explicit ScratchBuffer(size_t size);
    ~ScratchBuffer();
    ScratchBuffer(const ScratchBuffer &) = delete;
    ScratchBuffer &operator=(const ScratchBuffer &) = delete;

    uint8_t *Data()
    {
        return m_data;
    }

  private:
    std::vector<uint8_t> m_own;
    uint8_t *m_data;
    bool m_usesShared;
};

/*
 * The shim's per-node state: the model's ingress and link hooks, its
 * tunnel interfaces and its random stream.
 */
class NodeState : public ns3::Object
{
  public:
    static ns3::TypeId GetTypeId();
    NodeState();

    /* The node's state, created and aggregated on first use. */
    static ns3::Ptr<NodeState> Get(ns3::Ptr<ns3::Node> node);

    /*
     * Interpose on the receive path of the node's devices (once) and set
     * the C hook; fn NULL removes the hook.  Returns a sim_status.
     */
    int SetIngressHook(sim_ingress_fn fn, void *ctx);

    /* Add a hook that runs before the main one (sim_add_ingress_hook). */
    int AddIngressHook(sim_ingress_fn fn, void *ctx);

    /* Count a join (+1) or leave (-1) of the solicited-node group whose
     * low 24 bits are low24 on the interface (sim_solicited_node_join). */
    int JoinSolicitedNode(uint32_t ifindex, uint32_t low24, int delta);

    void SetLinkHook(sim_link_fn fn, void *ctx);

    /*
     * Report a link change of the interface to the C link hook; repeated
     * reports of the same state are dropped.
     */
    void ReportLink(uint32_t ifindex, bool up);

    /*
     * Pick up interfaces added since the last call: watch their links and,
     * when the ingress tap is installed, extend it to new physical devices.
     * Call it at setup time, never from a callback inside packet processing.
     */
    void InterfacesChanged();

    int CreateTunnel(sim_tunnel_tx_fn fn, void *ctx, uint32_t *ifindex_out);
    ns3::Ptr<ns3::VirtualNetDevice> FindTunnel(uint32_t ifindex) const;

    uint32_t RandomU32();

  protected:
    void DoDispose() override;

  private:
    struct Tunnel {
        ns3::Ptr<ns3::VirtualNetDevice> device;
        sim_tunnel_tx_fn fn;
        void *ctx;
    };

    int InstallTap();
    bool AcceptsPacket(ns3::Ptr<ns3::NetDevice> device, ns3::Ptr<const ns3::Packet> packet) const;
    void WatchLinks();
    void TapReceive(ns3::Ptr<ns3::NetDevice> device, ns3::Ptr<const ns3::Packet> packet,
                    uint16_t protocol, const ns3::Address &from, const ns3::Address &to,
                    ns3::NetDevice::PacketType type);
    void DispatchIngress(ns3::Ptr<ns3::NetDevice> device, ns3::Ptr<const ns3::Packet> packet,
                         uint16_t protocol, ns3::Address from, ns3::Address to,
                         ns3::NetDevice::PacketType type);
    void LinkChanged(uint32_t ifindex);
    bool TunnelSend(uint32_t ifindex, ns3::Ptr<ns3::Packet> packet, const ns3::Address &source,
                    const ns3::Address &destination, uint16_t protocol);

    uint32_t m_nodeId;
    ns3::Ptr<ns3::TrafficControlLayer> m_tc;
    ns3::Ptr<ns3::Ipv6L3Protocol> m_ipv6;

    sim_ingress_fn m_ingressFn;
    void *m_ingressCtx;
    std::vector<std::pair<sim_ingress_fn, void *>> m_extraHooks; // before m_ingressFn
    // Solicited-node groups joined for addresses the node does not own:
    // (interface, low 24 bits) -> joins.
    std::map<std::pair<uint32_t, uint32_t>, unsigned> m_solicitedJoins;
    uint64_t m_multicastFiltered; // packets dropped by AcceptsPacket
    bool m_tapInstalled;
    uint32_t m_tapInterfaces; // interfaces that existed at the last interposition
    uint64_t m_ingressConsumed;

    sim_link_fn m_linkFn;
    void *m_linkCtx;
    std::map<uint32_t, bool> m_linkUp; // by interface index; present = watched

    std::map<uint32_t, Tunnel> m_tunnels; // by interface index
    uint64_t m_tunnelFiltered;

    ns3::Ptr<ns3::UniformRandomVariable> m_rng;
};

} // namespace mip6sec

#endif /* MIP6SEC_SHIM_INTERNAL_H */
