/*
 * mobility.cc - node positions and movement, and the layer-2 attachment
 * of a mobile node's CSMA device to the channel of the nearest access
 * point (mip6sec-ns3.h).
 *
 * A move is a real ns-3 layer-2 change: CsmaChannel::Detach takes the
 * device off the old channel, so frames sent there no longer reach it,
 * and CsmaNetDevice::Attach puts it on the new one.
 */
#include "shim-internal.h"

#include "ns3/channel-list.h"
#include "ns3/constant-position-mobility-model.h"
#include "ns3/constant-velocity-mobility-model.h"
#include "ns3/csma-channel.h"
#include "ns3/csma-net-device.h"
#include "ns3/double.h"
#include "ns3/log.h"
#include "ns3/mobility-model.h"
#include "ns3/ns2-mobility-helper.h"
#include "ns3/nstime.h"
#include "ns3/pointer.h"
#include "ns3/position-allocator.h"
#include "ns3/random-waypoint-mobility-model.h"
#include "ns3/simulator.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <vector>

NS_LOG_COMPONENT_DEFINE("Mip6secMobility");

using namespace ns3;
using namespace mip6sec;

namespace mip6sec
{

/*
 * Keeps a node's CSMA device on the channel whose access point is
 * nearest, checking the distances periodically.
 */
class NearestChannelAttachment : public Object
{
  public:
    static TypeId GetTypeId();
    NearestChannelAttachment();

    void Start(Ptr<Node> node, uint32_t ifindex, Ptr<CsmaNetDevice> device);

  protected:
    void DoDispose() override;

  private:
    void Check();

    Time m_checkInterval;
    double m_hysteresis;
    Ptr<Node> m_node;
    uint32_t m_ifindex;
    Ptr<CsmaNetDevice> m_device;
    EventId m_checkEvent;
};

} // namespace mip6sec

namespace
{

/* First stream of a node's random waypoint model (mip6sec-ns3.h lists the
 * layout): speed, pause, then the waypoint allocator's x and y. */
constexpr uint32_t kWaypointStreamSlot = 201;

/* While the old channel carries a frame, retry the attach after this long. */
const Time kAttachRetry = MicroSeconds(1);

mip6sec_attach_fn g_attachFn = nullptr;
void *g_attachCtx = nullptr;

/* Devices between detach and attach.  A move requested for one of them is ignored. */
std::vector<Ptr<CsmaNetDevice>> g_moving;

bool
IsMoving(Ptr<CsmaNetDevice> device)
{
    for (const auto &d : g_moving) {
        if (d == device) {
            return true;
        }
    }
    return false;
}

void
EndMoving(Ptr<CsmaNetDevice> device)
{
    for (auto it = g_moving.begin(); it != g_moving.end(); ++it) {
        if (*it == device) {
            g_moving.erase(it);
            return;
        }
    }
}

void
ReportAttachment(Ptr<Node> node, uint32_t ifindex, uint32_t channel, bool up)
{
    NodeState::Get(node)->ReportLink(ifindex, up);
    if (g_attachFn != nullptr) {
        g_attachFn(g_attachCtx, node->GetId(), ifindex, channel, up ? 1 : 0);
    }
}

/*
 * Attach once the old channel is not transmitting.  A CsmaNetDevice that
 * is sending ends its frame on whatever channel it points to by then, so
 * switching it in the middle of a frame would corrupt the new channel.
 */
void
AttachWhenIdle(Ptr<Node> node, uint32_t ifindex, Ptr<CsmaNetDevice> device, Ptr<CsmaChannel> from,
               Ptr<CsmaChannel> to)
{
    if (from && from->GetState() == TRANSMITTING) {
        Simulator::Schedule(kAttachRetry, &AttachWhenIdle, node, ifindex, device, from, to);
        return;
    }
    // NOTE: CsmaNetDevice::Attach adds a new record to the channel even when
    // the device was there before, and the old record stays detached, so
    // each return to a channel grows its device list by one entry.
    device->Attach(to);
    EndMoving(device);
    NS_LOG_INFO("node " << node->GetId() << ": interface " << ifindex << " attached to channel "
                        << to->GetId());
    ReportAttachment(node, ifindex, to->GetId(), true);
}

void
MoveDevice(Ptr<Node> node, uint32_t ifindex, Ptr<CsmaNetDevice> device, Ptr<CsmaChannel> to)
{
    Ptr<CsmaChannel> from = DynamicCast<CsmaChannel>(device->GetChannel());
    if (from == to) {
        return;
    }
    if (IsMoving(device)) {
        NS_LOG_WARN("node " << node->GetId() << ": interface " << ifindex
                            << " is still moving; move to channel " << to->GetId() << " ignored");
        return;
    }
    g_moving.push_back(device);
    if (from) {
        from->Detach(device);
        NS_LOG_INFO("node " << node->GetId() << ": interface " << ifindex
                            << " detached from channel " << from->GetId());
        ReportAttachment(node, ifindex, from->GetId(), false);
    }
    AttachWhenIdle(node, ifindex, device, from, to);
}

Ptr<CsmaChannel>
FindCsmaChannel(uint32_t channel)
{
    if (channel >= ChannelList::GetNChannels()) {
        return nullptr;
    }
    return DynamicCast<CsmaChannel>(ChannelList::GetChannel(channel));
}

/* The CSMA device of the node's interface, or null with the error recorded. */
Ptr<CsmaNetDevice>
FindCsmaDevice(uint32_t node, uint32_t ifindex, int *status, const char *what)
{
    Ptr<Ipv6L3Protocol> ipv6 = FindIpv6Interface(node, ifindex, status);
    if (!ipv6) {
        return nullptr;
    }
    Ptr<CsmaNetDevice> device = DynamicCast<CsmaNetDevice>(ipv6->GetNetDevice(ifindex));
    if (!device) {
        std::ostringstream msg;
        msg << what << ": interface " << ifindex << " of node " << node << " is not on CSMA";
        *status = Fail(SIM_ERR_INVALID, msg.str());
    }
    return device;
}

/*
 * The node's mobility model of type T, created when the node has none.
 * Null, with the error recorded, when the node has a model of another type.
 */
template <typename T>
Ptr<T>
GetOrCreateModel(uint32_t node, int *status, const char *what)
{
    Ptr<Node> n = FindNode(node);
    if (!n) {
        FindIpv6(node, status);
        return nullptr;
    }
    Ptr<MobilityModel> existing = n->GetObject<MobilityModel>();
    if (!existing) {
        Ptr<T> model = CreateObject<T>();
        n->AggregateObject(model);
        *status = SIM_OK;
        return model;
    }
    Ptr<T> model = DynamicCast<T>(existing);
    if (!model) {
        std::ostringstream msg;
        msg << what << ": node " << node << " already moves by "
            << existing->GetInstanceTypeId().GetName();
        *status = Fail(SIM_ERR_INVALID, msg.str());
    }
    return model;
}

/* True when the ns-2 trace mentions $node_(id), the token ns-2 uses for node id. */
bool
TraceNamesNode(std::ifstream &file, uint32_t id)
{
    std::ostringstream token;
    token << "node_(" << id << ")";
    std::string line;
    while (std::getline(file, line)) {
        if (line.find(token.str()) != std::string::npos) {
            return true;
        }
    }
    return false;
}

} // namespace

namespace mip6sec
{

NS_OBJECT_ENSURE_REGISTERED(NearestChannelAttachment);

TypeId
NearestChannelAttachment::GetTypeId()
{
    static TypeId tid =
        TypeId("mip6sec::NearestChannelAttachment")
            .SetParent<Object>()
            .SetGroupName("Mip6sec")
            .AddConstructor<NearestChannelAttachment>()
            .AddAttribute("CheckInterval",
                          "Time between two comparisons of the node's position with the "
                          "positions of the channels' access points.",
                          TimeValue(MilliSeconds(10)),
                          MakeTimeAccessor(&NearestChannelAttachment::m_checkInterval),
                          MakeTimeChecker(NanoSeconds(1)))
            .AddAttribute("Hysteresis",
                          "Distance in metres by which another channel must be nearer than "
                          "the current one before the device moves.",
                          DoubleValue(0.0),
                          MakeDoubleAccessor(&NearestChannelAttachment::m_hysteresis),
                          MakeDoubleChecker<double>(0.0));
    return tid;
}

NearestChannelAttachment::NearestChannelAttachment() : m_hysteresis(0.0), m_ifindex(0) {}

void
NearestChannelAttachment::DoDispose()
{
    m_checkEvent.Cancel();
    m_node = nullptr;
    m_device = nullptr;
    Object::DoDispose();
}

void
NearestChannelAttachment::Start(Ptr<Node> node, uint32_t ifindex, Ptr<CsmaNetDevice> device)
{
    m_node = node;
    m_ifindex = ifindex;
    m_device = device;
    // The first check runs in the node's context; later ones inherit it.
    Simulator::ScheduleWithContext(node->GetId(), Seconds(0), &NearestChannelAttachment::Check,
                                   Ptr<NearestChannelAttachment>(this));
}

void
NearestChannelAttachment::Check()
{
    m_checkEvent = Simulator::Schedule(m_checkInterval, &NearestChannelAttachment::Check, this);
    if (IsMoving(m_device)) {
        return;
    }
    Ptr<MobilityModel> position = m_node->GetObject<MobilityModel>();
    if (!position) {
        NS_LOG_WARN("node " << m_node->GetId() << " has no position; attachment unchanged");
        return;
    }

    // Find the nearest CSMA channel with a position.  On a tie the lower channel id wins.
    Ptr<CsmaChannel> current = DynamicCast<CsmaChannel>(m_device->GetChannel());
    double currentDistance = std::numeric_limits<double>::infinity();
    Ptr<CsmaChannel> nearest;
    double nearestDistance = std::numeric_limits<double>::infinity();
    for (uint32_t i = 0; i < ChannelList::GetNChannels(); i++) {
        Ptr<CsmaChannel> channel = FindCsmaChannel(i);
        Ptr<MobilityModel> ap = channel ? channel->GetObject<MobilityModel>() : nullptr;
        if (!ap) {
            continue;
        }
        double distance = position->GetDistanceFrom(ap);
        if (channel == current) {
            currentDistance = distance;
        }
        if (distance < nearestDistance) {
            nearest = channel;
            nearestDistance = distance;
        }
    }

    if (nearest && nearest != current && currentDistance - nearestDistance > m_hysteresis) {
        NS_LOG_INFO("node " << m_node->GetId() << ": channel " << nearest->GetId() << " at "
                            << nearestDistance << " m is nearer than the current one at "
                            << currentDistance << " m");
        MoveDevice(m_node, m_ifindex, m_device, nearest);
    }
}

void
ResetMobility()
{
    g_attachFn = nullptr;
    g_attachCtx = nullptr;
    g_moving.clear();
}

} // namespace mip6sec

extern "C" {

int
mip6sec_position(uint32_t node, double x, double y, double z)
{
    int status;
    Ptr<ConstantPositionMobilityModel> model =
        GetOrCreateModel<ConstantPositionMobilityModel>(node, &status, "mip6sec_position");
    if (!model) {
        return status;
    }
    model->SetPosition(Vector(x, y, z));
    return SIM_OK;
}

int
mip6sec_velocity(uint32_t node, double x, double y, double z, double vx, double vy, double vz)
{
    int status;
    Ptr<ConstantVelocityMobilityModel> model =
        GetOrCreateModel<ConstantVelocityMobilityModel>(node, &status, "mip6sec_velocity");
    if (!model) {
        return status;
    }
    model->SetPosition(Vector(x, y, z));
    model->SetVelocity(Vector(vx, vy, vz));
    return SIM_OK;
}

int
mip6sec_ns2_trace(uint32_t node, const char *path, uint32_t trace_node)
{
    Ptr<Node> n = FindNode(node);
    if (!n) {
        int status;
        FindIpv6(node, &status);
        return status;
    }
    if (path == nullptr) {
        return Fail(SIM_ERR_INVALID, "mip6sec_ns2_trace: NULL path");
    }
    if (n->GetObject<MobilityModel>()) {
        std::ostringstream msg;
        msg << "mip6sec_ns2_trace: node " << node
            << " already has a position or velocity; the trace must be its only mobility";
        return Fail(SIM_ERR_INVALID, msg.str());
    }

    // Ns2MobilityHelper aborts the program on a file it cannot open and
    // ignores a node without entries, so check both first.
    std::ifstream file(path);
    if (!file.is_open()) {
        std::ostringstream msg;
        msg << "mip6sec_ns2_trace: cannot read ns-2 mobility trace \"" << path << "\"";
        return Fail(SIM_ERR_NOT_FOUND, msg.str());
    }
    if (!TraceNamesNode(file, trace_node)) {
        std::ostringstream msg;
        msg << "mip6sec_ns2_trace: ns-2 mobility trace \"" << path << "\" has no entry for $node_("
            << trace_node << ")";
        return Fail(SIM_ERR_NOT_FOUND, msg.str());
    }

    // The helper numbers the objects it gets from 0: put the node at
    // index trace_node and leave the others empty.
    std::vector<Ptr<Object>> objects(size_t(trace_node) + 1);
    objects[trace_node] = n;
    Ns2MobilityHelper helper(path);
    helper.Install(objects.begin(), objects.end());

    if (!n->GetObject<MobilityModel>()) {
        std::ostringstream msg;
        msg << "mip6sec_ns2_trace: ns-2 mobility trace \"" << path
            << "\" has no usable entry for $node_(" << trace_node << ")";
        return Fail(SIM_ERR_NOT_FOUND, msg.str());
    }
    return SIM_OK;
}

int
mip6sec_random_waypoint(uint32_t node, const struct mip6sec_waypoint *walk)
{
    Ptr<Node> n = FindNode(node);
    if (!n) {
        int status;
        FindIpv6(node, &status);
        return status;
    }
    if (walk == nullptr) {
        return Fail(SIM_ERR_INVALID, "mip6sec_random_waypoint: NULL parameters");
    }
    if (n->GetObject<MobilityModel>()) {
        std::ostringstream msg;
        msg << "mip6sec_random_waypoint: node " << node
            << " already has a position or velocity; the random waypoint model must be its "
               "only mobility";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    // A waypoint at zero speed would never be reached: ns-3 divides the
    // distance by the speed.
    if (!(walk->speed_min_mps > 0.0) || !(walk->speed_max_mps >= walk->speed_min_mps) ||
        !std::isfinite(walk->speed_max_mps)) {
        std::ostringstream msg;
        msg << "mip6sec_random_waypoint: speeds " << walk->speed_min_mps << " .. "
            << walk->speed_max_mps << " m/s are invalid; the minimum must be above 0 and "
            << "not above the maximum";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    if (!(walk->pause_s >= 0.0) || !std::isfinite(walk->pause_s) || !(walk->x_max >= walk->x_min) ||
        !(walk->y_max >= walk->y_min)) {
        return Fail(SIM_ERR_INVALID, "mip6sec_random_waypoint: the pause must be finite and "
                                     ">= 0 s, and each maximum coordinate >= its minimum");
    }

    Ptr<UniformRandomVariable> x = CreateObject<UniformRandomVariable>();
    x->SetAttribute("Min", DoubleValue(walk->x_min));
    x->SetAttribute("Max", DoubleValue(walk->x_max));
    Ptr<UniformRandomVariable> y = CreateObject<UniformRandomVariable>();
    y->SetAttribute("Min", DoubleValue(walk->y_min));
    y->SetAttribute("Max", DoubleValue(walk->y_max));
    Ptr<RandomRectanglePositionAllocator> waypoints =
        CreateObject<RandomRectanglePositionAllocator>();
    waypoints->SetX(x);
    waypoints->SetY(y);
    Ptr<UniformRandomVariable> speed = CreateObject<UniformRandomVariable>();
    speed->SetAttribute("Min", DoubleValue(walk->speed_min_mps));
    speed->SetAttribute("Max", DoubleValue(walk->speed_max_mps));
    Ptr<ConstantRandomVariable> pause = CreateObject<ConstantRandomVariable>();
    pause->SetAttribute("Constant", DoubleValue(walk->pause_s));

    Ptr<RandomWaypointMobilityModel> model = CreateObject<RandomWaypointMobilityModel>();
    model->SetAttribute("Speed", PointerValue(speed));
    model->SetAttribute("Pause", PointerValue(pause));
    model->SetAttribute("PositionAllocator", PointerValue(waypoints));
    model->AssignStreams(ComponentStream(node, kWaypointStreamSlot));
    n->AggregateObject(model);
    // Set the start position only after the node's Initialize event, which
    // was queued when the node was created.  Called earlier, SetPosition
    // makes ns-3.37's model schedule two first legs and lose track of one.
    // Until this event runs, the model reports (0, 0, 0).
    Vector start(walk->x, walk->y, 0.0);
    Simulator::ScheduleWithContext(node, Seconds(0),
                                   [model, start]() { model->SetPosition(start); });
    return SIM_OK;
}

int
mip6sec_channel_position(uint32_t channel, double x, double y, double z)
{
    Ptr<CsmaChannel> csma = FindCsmaChannel(channel);
    if (!csma) {
        std::ostringstream msg;
        msg << "mip6sec_channel_position: channel " << channel << " is not a CSMA channel";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    Ptr<MobilityModel> model = csma->GetObject<MobilityModel>();
    if (!model) {
        model = CreateObject<ConstantPositionMobilityModel>();
        csma->AggregateObject(model);
    }
    model->SetPosition(Vector(x, y, z));
    return SIM_OK;
}

void
mip6sec_attach_callback(mip6sec_attach_fn fn, void *ctx)
{
    g_attachFn = fn;
    g_attachCtx = ctx;
}

int
mip6sec_attach_nearest(uint32_t node, uint32_t ifindex, uint64_t check_interval_ns,
                       double hysteresis_m)
{
    int status;
    Ptr<CsmaNetDevice> device = FindCsmaDevice(node, ifindex, &status, "mip6sec_attach_nearest");
    if (!device) {
        return status;
    }
    if (!(hysteresis_m >= 0.0) || hysteresis_m == std::numeric_limits<double>::infinity()) {
        return Fail(SIM_ERR_INVALID, "mip6sec_attach_nearest: hysteresis must be finite, >= 0 m");
    }
    Ptr<Node> n = FindNode(node);
    if (!n->GetObject<MobilityModel>()) {
        std::ostringstream msg;
        msg << "mip6sec_attach_nearest: node " << node
            << " has no position; set one with mip6sec_position(), mip6sec_velocity() or "
               "mip6sec_ns2_trace() first";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    if (device->GetObject<NearestChannelAttachment>()) {
        std::ostringstream msg;
        msg << "mip6sec_attach_nearest: interface " << ifindex << " of node " << node
            << " is already attached to the nearest channel";
        return Fail(SIM_ERR_INVALID, msg.str());
    }

    Ptr<NearestChannelAttachment> attachment = CreateObject<NearestChannelAttachment>();
    if (check_interval_ns != 0) {
        attachment->SetAttribute("CheckInterval",
                                 TimeValue(NanoSeconds(int64_t(check_interval_ns))));
    }
    attachment->SetAttribute("Hysteresis", DoubleValue(hysteresis_m));
    device->AggregateObject(attachment);
    attachment->Start(n, ifindex, device);
    return SIM_OK;
}

int
mip6sec_attach_move(uint32_t node, uint32_t ifindex, uint32_t channel, uint64_t at_ns)
{
    int status;
    Ptr<CsmaNetDevice> device = FindCsmaDevice(node, ifindex, &status, "mip6sec_attach_move");
    if (!device) {
        return status;
    }
    Ptr<CsmaChannel> to = FindCsmaChannel(channel);
    if (!to) {
        std::ostringstream msg;
        msg << "mip6sec_attach_move: channel " << channel << " is not a CSMA channel";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    uint64_t now = uint64_t(Simulator::Now().GetNanoSeconds());
    if (at_ns < now) {
        std::ostringstream msg;
        msg << "mip6sec_attach_move: " << at_ns << " ns is before the current time " << now
            << " ns";
        return Fail(SIM_ERR_INVALID, msg.str());
    }
    Simulator::ScheduleWithContext(node, NanoSeconds(int64_t(at_ns - now)), &MoveDevice,
                                   FindNode(node), ifindex, device, to);
    return SIM_OK;
}

} // extern "C"
