/*
 * testsim.c - a deterministic discrete-event simulator for unit tests.
 */
#include "testsim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NODES 16
#define MAX_IFACES 8
#define MAX_ADDRS 16
#define MAX_ROUTES 32

struct addr_entry {
    uint8_t addr[16];
    uint8_t prefix_len;
    uint64_t added_ns;
    bool duplicate; /* testsim_fail_dad marked it */
};

struct iface {
    uint8_t mac[6];
    bool tunnel;
    sim_tunnel_tx_fn tunnel_tx;
    void *tunnel_ctx;
    size_t n_addrs;
    struct addr_entry addrs[MAX_ADDRS];
};

struct route {
    uint8_t prefix[16];
    uint8_t prefix_len;
    uint32_t ifindex;
};

struct node {
    size_t n_ifaces;
    struct iface ifaces[MAX_IFACES];
    size_t n_routes;
    struct route routes[MAX_ROUTES];
    sim_ingress_fn ingress;
    void *ingress_ctx;
    unsigned solicited_joins; /* sim_solicited_node_join minus leaves */
    size_t n_extra;
    sim_ingress_fn extra[SIM_MAX_EXTRA_HOOKS];
    void *extra_ctx[SIM_MAX_EXTRA_HOOKS];
    sim_link_fn link;
    void *link_ctx;
};

struct event {
    uint64_t time_ns;
    uint64_t order;
    sim_event_fn fn;
    void *arg;
    bool owns_arg; /* arg is a malloc'd arrival, freed if never run */
};

struct arrival {
    uint32_t node;
    uint32_t ifindex;
    size_t len;
    uint8_t bytes[];
};

struct log {
    size_t count;
    size_t cap;
    struct testsim_packet *items;
};

static struct {
    uint64_t now_ns;
    uint64_t next_order;
    uint64_t next_uid;
    uint64_t delay_ns;
    uint64_t dad_timeout_ns;
    uint32_t random_state;
    testsim_loss_fn loss;
    size_t n_nodes;
    struct node nodes[MAX_NODES];
    size_t n_events;
    size_t cap_events;
    struct event *events;
    struct log delivered;
    struct log sent;
    size_t lost;
} S;

/* ----- event queue: a binary min-heap on (time, order) ----- */

static bool
earlier(const struct event *a, const struct event *b)
{
    if (a->time_ns != b->time_ns)
        return a->time_ns < b->time_ns;
    return a->order < b->order;
}

static void
push_event(uint64_t delay_ns, sim_event_fn fn, void *arg, bool owns_arg)
{
    if (S.n_events == S.cap_events) {
        S.cap_events = S.cap_events ? 2 * S.cap_events : 64;
        S.events = realloc(S.events, S.cap_events * sizeof *S.events);
        if (!S.events)
            abort();
    }
    size_t i = S.n_events++;
    struct event e = {S.now_ns + delay_ns, S.next_order++, fn, arg, owns_arg};
    while (i > 0 && earlier(&e, &S.events[(i - 1) / 2])) {
        S.events[i] = S.events[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    S.events[i] = e;
}

static struct event
pop_event(void)
{
    struct event top = S.events[0];
    struct event last = S.events[--S.n_events];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= S.n_events)
            break;
        if (child + 1 < S.n_events && earlier(&S.events[child + 1], &S.events[child]))
            child++;
        if (!earlier(&S.events[child], &last))
            break;
        S.events[i] = S.events[child];
        i = child;
    }
    if (S.n_events > 0)
        S.events[i] = last;
    return top;
}

/* ----- logs ----- */

static void
log_append(struct log *l, uint32_t node, uint32_t ifindex, const uint8_t *pkt, size_t len)
{
    if (l->count == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->items = realloc(l->items, l->cap * sizeof *l->items);
        if (!l->items)
            abort();
    }
    struct testsim_packet *p = &l->items[l->count++];
    p->time_ns = S.now_ns;
    p->node = node;
    p->ifindex = ifindex;
    p->len = len < TESTSIM_MAX_PACKET ? len : TESTSIM_MAX_PACKET;
    memcpy(p->bytes, pkt, p->len);
}

/* ----- addresses and routing ----- */

static bool
prefix_match(const uint8_t *a, const uint8_t *b, unsigned len)
{
    unsigned bytes = len / 8, bits = len % 8;
    if (memcmp(a, b, bytes) != 0)
        return false;
    if (bits == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - bits));
    return (a[bytes] & mask) == (b[bytes] & mask);
}

static struct node *
get_node(uint32_t id)
{
    return id < S.n_nodes ? &S.nodes[id] : NULL;
}

static struct iface *
get_iface(uint32_t node, uint32_t ifindex)
{
    struct node *n = get_node(node);
    return n && ifindex < n->n_ifaces ? &n->ifaces[ifindex] : NULL;
}

static struct addr_entry *
find_addr(struct iface *f, const uint8_t addr[16])
{
    for (size_t i = 0; i < f->n_addrs; i++)
        if (memcmp(f->addrs[i].addr, addr, 16) == 0)
            return &f->addrs[i];
    return NULL;
}

/*
 * The node and interface a packet for addr reaches: the physical
 * interface that owns addr, or else the one whose on-link prefix is the
 * longest match (the home agent, for a home address that lives on a
 * mobile node's tunnel interface).  False when nobody is reachable.
 */
static bool
find_owner(const uint8_t addr[16], uint32_t *node, uint32_t *ifindex)
{
    int best_len = -1;

    for (uint32_t n = 0; n < S.n_nodes; n++)
        for (uint32_t i = 0; i < S.nodes[n].n_ifaces; i++) {
            struct iface *f = &S.nodes[n].ifaces[i];
            if (f->tunnel)
                continue;
            if (find_addr(f, addr)) {
                *node = n;
                *ifindex = i;
                return true;
            }
            for (size_t k = 0; k < f->n_addrs; k++)
                if (f->addrs[k].prefix_len < 128 && (int)f->addrs[k].prefix_len > best_len &&
                    prefix_match(f->addrs[k].addr, addr, f->addrs[k].prefix_len)) {
                    best_len = f->addrs[k].prefix_len;
                    *node = n;
                    *ifindex = i;
                }
        }
    return best_len >= 0;
}

static void arrive(void *arg);

/* Put a whole packet on the network toward the owner of its destination. */
static void
transmit(const uint8_t *pkt, size_t len)
{
    uint32_t owner, ifindex;

    if (!find_owner(pkt + 24, &owner, &ifindex) || (S.loss && S.loss(pkt, len))) {
        S.lost++;
        return;
    }
    struct arrival *a = malloc(sizeof *a + len);
    if (!a)
        abort();
    a->node = owner;
    a->ifindex = ifindex;
    a->len = len;
    memcpy(a->bytes, pkt, len);
    push_event(S.delay_ns, arrive, a, true);
}

/* What the node's IPv6 layer does with a packet its hook passed on. */
static void
stack_input(uint32_t node, uint32_t ifindex, const uint8_t *pkt, size_t len)
{
    struct node *n = &S.nodes[node];
    const uint8_t *dst = pkt + 24;

    /* Multicast (router advertisements, say) stays on the link. */
    if (dst[0] == 0xff) {
        log_append(&S.delivered, node, ifindex, pkt, len);
        return;
    }
    for (size_t i = 0; i < n->n_ifaces; i++)
        if (find_addr(&n->ifaces[i], dst)) {
            log_append(&S.delivered, node, ifindex, pkt, len);
            return;
        }

    const struct route *best = NULL;
    for (size_t i = 0; i < n->n_routes; i++)
        if (prefix_match(n->routes[i].prefix, dst, n->routes[i].prefix_len) &&
            (!best || n->routes[i].prefix_len > best->prefix_len))
            best = &n->routes[i];
    if (best && n->ifaces[best->ifindex].tunnel) {
        struct iface *t = &n->ifaces[best->ifindex];
        t->tunnel_tx(t->tunnel_ctx, pkt, len, ++S.next_uid);
        return;
    }
    transmit(pkt, len);
}

static void
arrive(void *arg)
{
    struct arrival *a = arg;
    struct node *n = &S.nodes[a->node];
    enum sim_verdict verdict = SIM_PASS;

    uint64_t uid = ++S.next_uid;
    for (size_t i = 0; i < n->n_extra && verdict == SIM_PASS; i++)
        verdict = n->extra[i](n->extra_ctx[i], a->ifindex, a->bytes, a->len, uid);
    if (verdict == SIM_PASS && n->ingress)
        verdict = n->ingress(n->ingress_ctx, a->ifindex, a->bytes, a->len, uid);
    if (verdict == SIM_PASS)
        stack_input(a->node, a->ifindex, a->bytes, a->len);
    free(a);
}

/* ----- test control ----- */

void
testsim_reset(void)
{
    for (size_t i = 0; i < S.n_events; i++)
        if (S.events[i].owns_arg)
            free(S.events[i].arg);
    free(S.events);
    free(S.delivered.items);
    free(S.sent.items);
    memset(&S, 0, sizeof S);
    S.delay_ns = 1000000;
    S.dad_timeout_ns = 1000000000;
    S.random_state = 0x9e3779b9u;
}

uint32_t
testsim_add_node(void)
{
    if (S.n_nodes == MAX_NODES)
        abort();
    return (uint32_t)S.n_nodes++;
}

uint32_t
testsim_add_iface(uint32_t node, const uint8_t mac[6])
{
    struct node *n = get_node(node);
    if (!n || n->n_ifaces == MAX_IFACES)
        abort();
    memcpy(n->ifaces[n->n_ifaces].mac, mac, 6);
    return (uint32_t)n->n_ifaces++;
}

void
testsim_set_delay_ns(uint64_t delay_ns)
{
    S.delay_ns = delay_ns;
}

void
testsim_set_dad_timeout_ns(uint64_t timeout_ns)
{
    S.dad_timeout_ns = timeout_ns;
}

void
testsim_set_loss(testsim_loss_fn fn)
{
    S.loss = fn;
}

void
testsim_run_until(uint64_t t_ns)
{
    while (S.n_events > 0 && S.events[0].time_ns <= t_ns) {
        struct event e = pop_event();
        S.now_ns = e.time_ns;
        e.fn(e.arg);
    }
    if (S.now_ns < t_ns)
        S.now_ns = t_ns;
}

void
testsim_inject(uint32_t node, uint32_t ifindex, const uint8_t *pkt, size_t len)
{
    if (!get_node(node) || len < 40)
        return; /* not a whole IPv6 packet */
    struct arrival *a = malloc(sizeof *a + len);
    if (!a)
        abort();
    a->node = node;
    a->ifindex = ifindex;
    a->len = len;
    memcpy(a->bytes, pkt, len);
    arrive(a);
}

void
testsim_send_local(uint32_t node, const uint8_t *pkt, size_t len)
{
    if (get_node(node) && len >= 40)
        stack_input(node, 0, pkt, len);
}

void
testsim_link(uint32_t node, uint32_t ifindex, int up)
{
    struct node *n = get_node(node);
    if (n && n->link)
        n->link(n->link_ctx, ifindex, up);
}

size_t
testsim_delivered_count(void)
{
    return S.delivered.count;
}

const struct testsim_packet *
testsim_delivered(size_t index)
{
    return index < S.delivered.count ? &S.delivered.items[index] : NULL;
}

size_t
testsim_lost_count(void)
{
    return S.lost;
}

size_t
testsim_sent_count(void)
{
    return S.sent.count;
}

const struct testsim_packet *
testsim_sent(size_t index)
{
    return index < S.sent.count ? &S.sent.items[index] : NULL;
}

/* ----- model/sim.h ----- */

uint64_t
sim_now_ns(void)
{
    return S.now_ns;
}

void
sim_schedule(uint32_t node, uint64_t delay_ns, sim_event_fn fn, void *arg)
{
    (void)node;
    push_event(delay_ns, fn, arg, false);
}

uint32_t
sim_random_u32(uint32_t node)
{
    (void)node;
    /* xorshift32: fixed sequence from a fixed state, enough for tests. */
    uint32_t x = S.random_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    S.random_state = x;
    return x;
}

int
sim_set_ingress_hook(uint32_t node, sim_ingress_fn fn, void *ctx)
{
    struct node *n = get_node(node);
    if (!n)
        return SIM_ERR_NO_NODE;
    n->ingress = fn;
    n->ingress_ctx = ctx;
    return SIM_OK;
}

int
sim_add_ingress_hook(uint32_t node, sim_ingress_fn fn, void *ctx)
{
    struct node *n = get_node(node);
    if (!n)
        return SIM_ERR_NO_NODE;
    if (!fn || n->n_extra == SIM_MAX_EXTRA_HOOKS)
        return SIM_ERR_INVALID;
    n->extra[n->n_extra] = fn;
    n->extra_ctx[n->n_extra] = ctx;
    n->n_extra++;
    return SIM_OK;
}

int
sim_solicited_node_join(uint32_t node, uint32_t ifindex, const uint8_t addr[16])
{
    struct node *n = get_node(node);
    if (!n)
        return SIM_ERR_NO_NODE;
    if (!get_iface(node, ifindex) || !addr)
        return SIM_ERR_INVALID;
    n->solicited_joins++;
    return SIM_OK;
}

int
sim_solicited_node_leave(uint32_t node, uint32_t ifindex, const uint8_t addr[16])
{
    struct node *n = get_node(node);
    if (!n)
        return SIM_ERR_NO_NODE;
    if (!get_iface(node, ifindex) || !addr)
        return SIM_ERR_INVALID;
    if (n->solicited_joins == 0)
        return SIM_ERR_NOT_FOUND;
    n->solicited_joins--;
    return SIM_OK;
}

unsigned
testsim_solicited_joins(uint32_t node)
{
    struct node *n = get_node(node);
    return n ? n->solicited_joins : 0;
}

int
sim_set_link_hook(uint32_t node, sim_link_fn fn, void *ctx)
{
    struct node *n = get_node(node);
    if (!n)
        return SIM_ERR_NO_NODE;
    n->link = fn;
    n->link_ctx = ctx;
    return SIM_OK;
}

/* Build and send an IPv6 packet with the given hop limit. */
static int
send_packet(uint32_t node, uint32_t ifindex, const uint8_t src[16], const uint8_t dst[16],
            uint8_t next_header, const uint8_t *payload, size_t len, uint8_t hop_limit,
            uint64_t *uid_out)
{
    uint8_t pkt[TESTSIM_MAX_PACKET];

    if (!get_node(node))
        return SIM_ERR_NO_NODE;
    if (ifindex != SIM_IFINDEX_ANY && !get_iface(node, ifindex))
        return SIM_ERR_NO_IFACE;
    if (len + 40 > sizeof pkt || len > 0xffff)
        return SIM_ERR_INVALID;

    memset(pkt, 0, 40);
    pkt[0] = 0x60;
    pkt[4] = (uint8_t)(len >> 8);
    pkt[5] = (uint8_t)len;
    pkt[6] = next_header;
    pkt[7] = hop_limit;
    memcpy(pkt + 8, src, 16);
    memcpy(pkt + 24, dst, 16);
    memcpy(pkt + 40, payload, len);

    log_append(&S.sent, node, ifindex, pkt, len + 40);
    if (uid_out)
        *uid_out = ++S.next_uid;
    transmit(pkt, len + 40);
    return SIM_OK;
}

int
sim_ipv6_send(uint32_t node, uint32_t ifindex, const uint8_t src[16], const uint8_t dst[16],
              uint8_t next_header, const uint8_t *payload, size_t len, uint64_t *uid_out)
{
    return send_packet(node, ifindex, src, dst, next_header, payload, len, 64, uid_out);
}

int
sim_nd_send(uint32_t node, uint32_t ifindex, const uint8_t src[16], const uint8_t dst[16],
            const uint8_t *icmp, size_t len, uint64_t *uid_out)
{
    if (ifindex == SIM_IFINDEX_ANY)
        return SIM_ERR_INVALID;
    return send_packet(node, ifindex, src, dst, 58, icmp, len, 255, uid_out);
}

int
sim_tunnel_create(uint32_t node, sim_tunnel_tx_fn fn, void *ctx, uint32_t *ifindex_out)
{
    static const uint8_t no_mac[6];
    struct node *n = get_node(node);

    if (!n)
        return SIM_ERR_NO_NODE;
    if (n->n_ifaces == MAX_IFACES)
        return SIM_ERR_INVALID;
    uint32_t ifindex = testsim_add_iface(node, no_mac);
    n->ifaces[ifindex].tunnel = true;
    n->ifaces[ifindex].tunnel_tx = fn;
    n->ifaces[ifindex].tunnel_ctx = ctx;
    *ifindex_out = ifindex;
    return SIM_OK;
}

int
sim_tunnel_receive(uint32_t node, uint32_t ifindex, const uint8_t *pkt, size_t len,
                   uint64_t *uid_out)
{
    struct iface *f = get_iface(node, ifindex);

    if (!f || !f->tunnel)
        return SIM_ERR_NO_IFACE;
    if (len < 40)
        return SIM_ERR_INVALID;
    if (uid_out)
        *uid_out = ++S.next_uid;
    stack_input(node, ifindex, pkt, len);
    return SIM_OK;
}

int
sim_addr_add(uint32_t node, uint32_t ifindex, const uint8_t addr[16], uint8_t prefix_len)
{
    struct iface *f = get_iface(node, ifindex);

    if (!f)
        return SIM_ERR_NO_IFACE;
    if (find_addr(f, addr))
        return SIM_OK;
    if (f->n_addrs == MAX_ADDRS)
        return SIM_ERR_INVALID;
    struct addr_entry *a = &f->addrs[f->n_addrs++];
    memcpy(a->addr, addr, 16);
    a->prefix_len = prefix_len;
    a->added_ns = S.now_ns;
    a->duplicate = false;
    return SIM_OK;
}

int
sim_addr_remove(uint32_t node, uint32_t ifindex, const uint8_t addr[16])
{
    struct iface *f = get_iface(node, ifindex);

    if (!f)
        return SIM_ERR_NO_IFACE;
    struct addr_entry *a = find_addr(f, addr);
    if (!a)
        return SIM_ERR_NOT_FOUND;
    *a = f->addrs[--f->n_addrs];
    return SIM_OK;
}

enum sim_addr_state
sim_addr_state(uint32_t node, uint32_t ifindex, const uint8_t addr[16])
{
    struct iface *f = get_iface(node, ifindex);
    struct addr_entry *a = f ? find_addr(f, addr) : NULL;

    if (!a)
        return SIM_ADDR_ABSENT;
    if (a->duplicate)
        return SIM_ADDR_INVALID;
    if (!f->tunnel && S.now_ns < a->added_ns + S.dad_timeout_ns)
        return SIM_ADDR_TENTATIVE;
    return SIM_ADDR_PREFERRED;
}

int
testsim_fail_dad(uint32_t node, uint32_t ifindex, const uint8_t addr[16])
{
    struct iface *f = get_iface(node, ifindex);
    struct addr_entry *a = f ? find_addr(f, addr) : NULL;

    if (!a)
        return SIM_ERR_NOT_FOUND;
    a->duplicate = true;
    return SIM_OK;
}

int
sim_autoconf_remove(uint32_t node, uint32_t ifindex, const uint8_t prefix[16], uint8_t prefix_len,
                    const uint8_t router[16])
{
    struct iface *f = get_iface(node, ifindex);
    int removed = 0;

    (void)router;
    if (!f)
        return SIM_ERR_NO_IFACE;
    for (size_t i = 0; i < f->n_addrs;) {
        if (prefix_match(f->addrs[i].addr, prefix, prefix_len)) {
            f->addrs[i] = f->addrs[--f->n_addrs];
            removed++;
        } else {
            i++;
        }
    }
    return removed ? SIM_OK : SIM_ERR_NOT_FOUND;
}

int
sim_route_add(uint32_t node, const uint8_t prefix[16], uint8_t prefix_len, uint32_t ifindex,
              const uint8_t *next_hop, uint32_t metric)
{
    struct node *n = get_node(node);

    (void)next_hop;
    (void)metric;
    if (!n)
        return SIM_ERR_NO_NODE;
    if (ifindex >= n->n_ifaces)
        return SIM_ERR_NO_IFACE;
    if (n->n_routes == MAX_ROUTES || prefix_len > 128)
        return SIM_ERR_INVALID;
    struct route *r = &n->routes[n->n_routes++];
    memcpy(r->prefix, prefix, 16);
    r->prefix_len = prefix_len;
    r->ifindex = ifindex;
    return SIM_OK;
}

int
sim_route_remove(uint32_t node, const uint8_t prefix[16], uint8_t prefix_len, uint32_t ifindex)
{
    struct node *n = get_node(node);

    if (!n)
        return SIM_ERR_NO_NODE;
    for (size_t i = 0; i < n->n_routes; i++) {
        struct route *r = &n->routes[i];
        if (r->prefix_len == prefix_len && r->ifindex == ifindex &&
            memcmp(r->prefix, prefix, 16) == 0) {
            *r = n->routes[--n->n_routes];
            return SIM_OK;
        }
    }
    return SIM_ERR_NOT_FOUND;
}

int
sim_iface_mac48(uint32_t node, uint32_t ifindex, uint8_t mac[6])
{
    struct iface *f = get_iface(node, ifindex);

    if (!f)
        return SIM_ERR_NO_IFACE;
    memcpy(mac, f->mac, 6);
    return SIM_OK;
}

uint64_t
sim_dad_timeout_ns(uint32_t node)
{
    (void)node;
    return S.dad_timeout_ns;
}
