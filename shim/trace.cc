/*
 * trace.cc - packet events of traced nodes' IPv6 layers for the recorder,
 * and pcap files of chosen interfaces (mip6sec-ns3.h).
 */
#include "shim-internal.h"

#include "rec.h"

#include "ns3/buffer.h"
#include "ns3/csma-net-device.h"
#include "ns3/ipv6-header.h"
#include "ns3/ipv6-interface.h"
#include "ns3/log.h"
#include "ns3/ndisc-cache.h"
#include "ns3/pcap-file-wrapper.h"
#include "ns3/point-to-point-net-device.h"
#include "ns3/ppp-header.h"
#include "ns3/simulator.h"
#include "ns3/trace-helper.h"

#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <sstream>
#include <utility>

NS_LOG_COMPONENT_DEFINE("Mip6secTrace");

using namespace ns3;
using namespace mip6sec;

namespace mip6sec
{

/* Maximum number of packet bytes copied to the trace callback per event. */
constexpr size_t kCaptureLen = 256;
constexpr size_t kIpv6HeaderLen = 40;
/* Next header value "No Next Header" (RFC 8200 section 4.7). */
constexpr uint8_t kNoNextHeader = 59;
constexpr uint8_t kIcmpv6 = 58;
constexpr uint8_t kNeighborAdvertisement = 136;

/*
 * Connects the six packet trace sources of a node's Ipv6L3Protocol to
 * one C callback, copying at most 256 bytes per event.
 */
class Ipv6Tracer : public Object
{
  public:
    static TypeId GetTypeId();
    Ipv6Tracer();

    void Connect(Ptr<Ipv6L3Protocol> ipv6, uint32_t node, mip6sec_trace_fn fn, void *ctx);

  protected:
    void DoDispose() override;

  private:
    void OnTx(Ptr<const Packet> packet, Ptr<Ipv6> ipv6, uint32_t ifindex);
    void OnRx(Ptr<const Packet> packet, Ptr<Ipv6> ipv6, uint32_t ifindex);
    void OnDrop(const Ipv6Header &header, Ptr<const Packet> packet,
                Ipv6L3Protocol::DropReason reason, Ptr<Ipv6> ipv6, uint32_t ifindex);
    void OnSendOutgoing(const Ipv6Header &header, Ptr<const Packet> packet, uint32_t ifindex);
    void OnUnicastForward(const Ipv6Header &header, Ptr<const Packet> packet, uint32_t ifindex);
    void OnLocalDeliver(const Ipv6Header &header, Ptr<const Packet> packet, uint32_t ifindex);

    /* Report a packet that starts with its IPv6 header. */
    void ReportWhole(Ptr<const Packet> packet, uint32_t ifindex, enum rec_kind kind);
    /* Report a header that ns-3 passes apart from its payload. */
    void ReportSplit(const Ipv6Header &header, Ptr<const Packet> payload, uint32_t ifindex,
                     enum rec_kind kind, enum rec_drop drop);
    /* Report a packet that starts with its IPv6 header as dropped. */
    void ReportDrop(Ptr<const Packet> packet, uint32_t ifindex, enum rec_drop drop);
    /* Follow a packet that address resolution may queue or discard. */
    void TrackResolution(Ptr<const Packet> packet, Ptr<Ipv6> ipv6, uint32_t ifindex);

    uint32_t m_node;
    mip6sec_trace_fn m_fn;
    void *m_ctx;
    bool m_connected;

    // The last received packet's first bytes: LocalDeliver passes the
    // payload without the extension headers that ns-3 has processed, and
    // they are put back from here.
    uint64_t m_lastRxUid;
    size_t m_lastRxLen;
    uint8_t m_lastRx[kCaptureLen];

    // Packets that ns-3's NdiscCache holds for an on-link neighbor, oldest
    // first, keyed by interface and neighbor.  ns-3 discards from this queue
    // without a trace, so the tracer keeps its own copy to report them.
    std::map<std::pair<uint32_t, Ipv6Address>, std::deque<Ptr<const Packet>>> m_resolving;
};

} // namespace mip6sec

namespace
{

size_t
SerializeHeader(const Ipv6Header &header, uint8_t *out)
{
    Buffer buffer;
    buffer.AddAtStart(header.GetSerializedSize());
    header.Serialize(buffer.Begin());
    buffer.CopyData(out, header.GetSerializedSize());
    return header.GetSerializedSize();
}

void
WriteFrame(Ptr<PcapFileWrapper> file, Ptr<const Packet> packet)
{
    file->Write(Simulator::Now(), packet);
}

/* Point-to-point frames carry a 2-byte PPP header, and raw IP files start at the IPv6 header. */
void
WritePppPayload(Ptr<PcapFileWrapper> file, Ptr<const Packet> packet)
{
    Ptr<Packet> copy = packet->Copy();
    PppHeader ppp;
    copy->RemoveHeader(ppp);
    file->Write(Simulator::Now(), copy);
}

} // namespace

namespace mip6sec
{

NS_OBJECT_ENSURE_REGISTERED(Ipv6Tracer);

TypeId
Ipv6Tracer::GetTypeId()
{
    static TypeId tid = TypeId("mip6sec::Ipv6Tracer")
                            .SetParent<Object>()
                            .SetGroupName("Mip6sec")
                            .AddConstructor<Ipv6Tracer>();
    return tid;
}

Ipv6Tracer::Ipv6Tracer()
    : m_node(0), m_fn(nullptr), m_ctx(nullptr), m_connected(false), m_lastRxUid(0), m_lastRxLen(0)
{
}

void
Ipv6Tracer::DoDispose()
{
    m_fn = nullptr;
    Object::DoDispose();
}

void
Ipv6Tracer::Connect(Ptr<Ipv6L3Protocol> ipv6, uint32_t node, mip6sec_trace_fn fn, void *ctx)
{
    m_node = node;
    m_fn = fn;
    m_ctx = ctx;
    if (m_connected) {
        return;
    }
    ipv6->TraceConnectWithoutContext("Tx", MakeCallback(&Ipv6Tracer::OnTx, this));
    ipv6->TraceConnectWithoutContext("Rx", MakeCallback(&Ipv6Tracer::OnRx, this));
    ipv6->TraceConnectWithoutContext("Drop", MakeCallback(&Ipv6Tracer::OnDrop, this));
    ipv6->TraceConnectWithoutContext("SendOutgoing",
                                     MakeCallback(&Ipv6Tracer::OnSendOutgoing, this));
    ipv6->TraceConnectWithoutContext("UnicastForward",
                                     MakeCallback(&Ipv6Tracer::OnUnicastForward, this));
    ipv6->TraceConnectWithoutContext("LocalDeliver",
                                     MakeCallback(&Ipv6Tracer::OnLocalDeliver, this));
    m_connected = true;
}

void
Ipv6Tracer::ReportWhole(Ptr<const Packet> packet, uint32_t ifindex, enum rec_kind kind)
{
    uint8_t bytes[kCaptureLen];
    size_t size = packet->GetSize();
    size_t caplen = size < kCaptureLen ? size : kCaptureLen;
    packet->CopyData(bytes, uint32_t(caplen));

    // Received frames may carry link-layer padding after the packet.
    size_t wireLen = size;
    if (caplen >= kIpv6HeaderLen) {
        size_t ipLen = kIpv6HeaderLen + ((size_t(bytes[4]) << 8) | bytes[5]);
        wireLen = ipLen < size ? ipLen : size;
        caplen = caplen < wireLen ? caplen : wireLen;
    }

    if (kind == REC_RECEIVE) {
        m_lastRxUid = packet->GetUid();
        m_lastRxLen = caplen;
        std::memcpy(m_lastRx, bytes, caplen);
    }
    if (m_fn != nullptr) {
        InsidePacketProcessing scope;
        m_fn(m_ctx, m_node, ifindex, kind, bytes, caplen, wireLen, packet->GetUid(), REC_DROP_NONE);
    }
}

void
Ipv6Tracer::ReportSplit(const Ipv6Header &header, Ptr<const Packet> payload, uint32_t ifindex,
                        enum rec_kind kind, enum rec_drop drop)
{
    if (m_fn == nullptr) {
        return;
    }
    uint8_t bytes[kCaptureLen];
    size_t headerLen = SerializeHeader(header, bytes);
    size_t size = payload->GetSize();
    size_t room = kCaptureLen - headerLen;
    size_t copied = size < room ? size : room;
    payload->CopyData(bytes + headerLen, uint32_t(copied));
    InsidePacketProcessing scope;
    m_fn(m_ctx, m_node, ifindex, kind, bytes, headerLen + copied, headerLen + size,
         payload->GetUid(), drop);
}

void
Ipv6Tracer::ReportDrop(Ptr<const Packet> packet, uint32_t ifindex, enum rec_drop drop)
{
    Ipv6Header header;
    Ptr<Packet> payload = packet->Copy();
    payload->RemoveHeader(header);
    ReportSplit(header, payload, ifindex, REC_DROP, drop);
}

/*
 * ns-3 fires Tx just before Ipv6Interface::Send, whose NdiscCache lookup
 * queues a packet for a neighbor in INCOMPLETE or PROBE state and, past
 * UnresolvedQueueSize packets, drops the oldest (RFC 4861 section 7.2.2).
 * The cache state seen here is the one that lookup will see.
 */
void
Ipv6Tracer::TrackResolution(Ptr<const Packet> packet, Ptr<Ipv6> ipv6, uint32_t ifindex)
{
    Ptr<Ipv6L3Protocol> l3 = DynamicCast<Ipv6L3Protocol>(ipv6);
    if (!l3 || packet->GetSize() < kIpv6HeaderLen) {
        return;
    }
    Ptr<Ipv6Interface> iface = l3->GetInterface(ifindex);
    if (!iface->GetDevice()->NeedsArp()) {
        return;
    }
    uint8_t bytes[kIpv6HeaderLen];
    packet->CopyData(bytes, kIpv6HeaderLen);
    Ipv6Address dst(bytes + 24);
    if (dst.IsMulticast()) {
        return;
    }

    // NOTE: only on-link destinations are followed.  A packet routed to a
    // gateway whose entry is unresolved can be discarded unrecorded.
    bool onLink = dst.IsLinkLocal();
    for (uint32_t i = 0; !onLink && i < iface->GetNAddresses(); i++) {
        Ipv6InterfaceAddress address = iface->GetAddress(i);
        onLink = address.GetScope() == Ipv6InterfaceAddress::GLOBAL &&
                 address.GetAddress() != dst && address.IsInSameSubnet(dst);
    }
    Ptr<NdiscCache> cache = iface->GetNdiscCache();
    if (!onLink || !cache) {
        return;
    }

    NdiscCache::Entry *entry = cache->Lookup(dst);
    auto key = std::make_pair(ifindex, dst);
    auto it = m_resolving.find(key);
    if (entry != nullptr && !entry->IsIncomplete() && !entry->IsProbe()) {
        // Resolved: the cache sent what it held when the advertisement came.
        if (it != m_resolving.end()) {
            m_resolving.erase(it);
        }
        return;
    }
    if (it == m_resolving.end()) {
        it = m_resolving.emplace(key, std::deque<Ptr<const Packet>>()).first;
    } else if (entry == nullptr) {
        // The cache removed the entry after its solicitations went
        // unanswered, and the packets it held with it.
        for (Ptr<const Packet> lost : it->second) {
            ReportDrop(lost, ifindex, REC_DROP_NS3_ND_FAILED);
        }
        it->second.clear();
    }
    it->second.push_back(packet);
    if (it->second.size() > cache->GetUnresQlen()) {
        ReportDrop(it->second.front(), ifindex, REC_DROP_NS3_ND_QUEUE_FULL);
        it->second.pop_front();
    }
}

void
Ipv6Tracer::OnTx(Ptr<const Packet> packet, Ptr<Ipv6> ipv6, uint32_t ifindex)
{
    ReportWhole(packet, ifindex, REC_TX);
    TrackResolution(packet, ipv6, ifindex);
}

void
Ipv6Tracer::OnRx(Ptr<const Packet> packet, Ptr<Ipv6> ipv6, uint32_t ifindex)
{
    (void)ipv6;
    ReportWhole(packet, ifindex, REC_RECEIVE);

    // A neighbor advertisement resolves its target, and the cache sends
    // the packets it held (RFC 4861 section 7.2.5).
    constexpr size_t kNaTargetEnd = kIpv6HeaderLen + 8 + 16;
    if (m_resolving.empty() || m_lastRxUid != packet->GetUid() || m_lastRxLen < kNaTargetEnd ||
        m_lastRx[6] != kIcmpv6 || m_lastRx[kIpv6HeaderLen] != kNeighborAdvertisement) {
        return;
    }
    m_resolving.erase(std::make_pair(ifindex, Ipv6Address(m_lastRx + kIpv6HeaderLen + 8)));
}

void
Ipv6Tracer::OnDrop(const Ipv6Header &header, Ptr<const Packet> packet,
                   Ipv6L3Protocol::DropReason reason, Ptr<Ipv6> ipv6, uint32_t ifindex)
{
    (void)ipv6;
    // rec.h stores ns-3's drop reasons as 100 + DropReason.
    ReportSplit(header, packet, ifindex, REC_DROP, (enum rec_drop)(100 + int(reason)));
}

void
Ipv6Tracer::OnSendOutgoing(const Ipv6Header &header, Ptr<const Packet> packet, uint32_t ifindex)
{
    ReportSplit(header, packet, ifindex, REC_SEND, REC_DROP_NONE);
}

void
Ipv6Tracer::OnUnicastForward(const Ipv6Header &header, Ptr<const Packet> packet, uint32_t ifindex)
{
    ReportSplit(header, packet, ifindex, REC_FORWARD, REC_DROP_NONE);
}

void
Ipv6Tracer::OnLocalDeliver(const Ipv6Header &header, Ptr<const Packet> packet, uint32_t ifindex)
{
    size_t payloadLen = header.GetPayloadLength();
    size_t size = packet->GetSize();
    if (size >= payloadLen) {
        ReportSplit(header, packet, ifindex, REC_DELIVER, REC_DROP_NONE);
        return;
    }
    if (m_fn == nullptr) {
        return;
    }

    // ns-3 removed extension headers of (payloadLen - size) bytes.  The Rx
    // event of the same packet, just before, saw them: rebuild the packet
    // from its first bytes and the delivered payload.
    size_t prefixLen = kIpv6HeaderLen + payloadLen - size;
    size_t wireLen = kIpv6HeaderLen + payloadLen;
    uint8_t bytes[kCaptureLen];
    if (m_lastRxUid == packet->GetUid() && prefixLen <= m_lastRxLen) {
        std::memcpy(bytes, m_lastRx, prefixLen);
    } else {
        // NOTE: without the extension headers (a reassembled packet, or
        // headers longer than the capture) the event shows the IPv6 header
        // with next header 59 and the payload length of what follows it.
        Ipv6Header delivered = header;
        delivered.SetNextHeader(kNoNextHeader);
        delivered.SetPayloadLength(uint16_t(size));
        prefixLen = SerializeHeader(delivered, bytes);
        wireLen = prefixLen + size;
    }
    size_t room = kCaptureLen - prefixLen;
    size_t copied = size < room ? size : room;
    packet->CopyData(bytes + prefixLen, uint32_t(copied));
    InsidePacketProcessing scope;
    m_fn(m_ctx, m_node, ifindex, REC_DELIVER, bytes, prefixLen + copied, wireLen, packet->GetUid(),
         REC_DROP_NONE);
}

} // namespace mip6sec

extern "C" {

int
mip6sec_trace_node(uint32_t node, mip6sec_trace_fn fn, void *ctx)
{
    int status;
    Ptr<Ipv6L3Protocol> ipv6 = FindIpv6(node, &status);
    if (!ipv6) {
        return status;
    }
    if (fn == nullptr) {
        return Fail(SIM_ERR_INVALID, "mip6sec_trace_node: NULL callback");
    }
    Ptr<Node> n = FindNode(node);
    Ptr<Ipv6Tracer> tracer = n->GetObject<Ipv6Tracer>();
    if (!tracer) {
        tracer = CreateObject<Ipv6Tracer>();
        n->AggregateObject(tracer);
    }
    tracer->Connect(ipv6, node, fn, ctx);
    return SIM_OK;
}

int
mip6sec_pcap(uint32_t node, uint32_t ifindex, const char *prefix)
{
    int status;
    Ptr<Ipv6L3Protocol> ipv6 = FindIpv6Interface(node, ifindex, &status);
    if (!ipv6) {
        return status;
    }
    if (prefix == nullptr) {
        return Fail(SIM_ERR_INVALID, "mip6sec_pcap: NULL prefix");
    }
    Ptr<NetDevice> device = ipv6->GetNetDevice(ifindex);
    std::ostringstream name;
    name << prefix << "-" << node << "-" << ifindex << ".pcap";
    std::string filename = name.str();

    PcapHelper::DataLinkType linkType;
    if (DynamicCast<CsmaNetDevice>(device)) {
        linkType = PcapHelper::DLT_EN10MB;
    } else if (DynamicCast<PointToPointNetDevice>(device) ||
               DynamicCast<VirtualNetDevice>(device)) {
        linkType = PcapHelper::DLT_RAW;
    } else {
        std::ostringstream msg;
        msg << "mip6sec_pcap: interface " << ifindex << " of node " << node
            << " is neither CSMA, point-to-point nor a tunnel";
        return Fail(SIM_ERR_INVALID, msg.str());
    }

    // PcapFileWrapper aborts the program when it cannot open the file.
    std::FILE *probe = std::fopen(filename.c_str(), "wb");
    if (probe == nullptr) {
        std::ostringstream msg;
        msg << "mip6sec_pcap: cannot write \"" << filename << "\"";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    std::fclose(probe);

    PcapHelper helper;
    Ptr<PcapFileWrapper> file = helper.CreateFile(filename, std::ios::out, linkType);
    if (DynamicCast<CsmaNetDevice>(device)) {
        device->TraceConnectWithoutContext("Sniffer", MakeBoundCallback(&WriteFrame, file));
    } else if (DynamicCast<PointToPointNetDevice>(device)) {
        device->TraceConnectWithoutContext("Sniffer", MakeBoundCallback(&WritePppPayload, file));
    } else {
        // A tunnel's packets are bare IPv6: MacTx on sending, MacRx on receiving.
        device->TraceConnectWithoutContext("MacTx", MakeBoundCallback(&WriteFrame, file));
        device->TraceConnectWithoutContext("MacRx", MakeBoundCallback(&WriteFrame, file));
    }
    return SIM_OK;
}

} // extern "C"
