/*
 * cpu.c - crypto work on a node's CPU (model/cost.h).  With a CPU model,
 * an ESP packet leaves only when the node has protected it, and an
 * arriving one is processed only when the node has verified it.  Both
 * wait behind earlier crypto work of the node.  Without a CPU model,
 * packets go at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ha.h"
#include "mip6.h"
#include "mn.h"
#include "sim.h"

/* A packet whose sending waits for its ESP processing. */
struct pending_output {
    struct mip6_node *node;
    uint32_t ifindex;
    uint32_t record_ifindex;
    uint8_t src[16];
    uint8_t dst[16];
    uint8_t next_header;
    uint64_t inner_uid;
    size_t len;
    size_t inner_len; /* 0 unless the packet is tunnel-mode ESP */
    uint8_t bytes[];  /* the packet's payload, then the inner packet */
};

/* Send, then record what the model did to the packet. */
static enum rec_drop
emit_now(struct mip6_node *n, const struct mip6_emit *e)
{
    uint64_t uid = 0;

    if (sim_ipv6_send(n->id, e->ifindex, e->src, e->dst, e->next_header, e->payload, e->len,
                      &uid) != SIM_OK) {
        n->drops++;
        mip6_record_built(n, e->record_ifindex, REC_DROP, e->src, e->dst, e->next_header,
                          e->payload, e->len, 0, 0, REC_DROP_SEND_FAILED);
        return REC_DROP_SEND_FAILED;
    }
    if (e->inner)
        mip6_record_built(n, e->record_ifindex, REC_ENCAP, e->src, e->dst, IP6_NH_IPV6, e->inner,
                          e->inner_len, uid, e->inner_uid, REC_DROP_NONE);
    mip6_record_built(n, e->record_ifindex, REC_ESP_PROTECT, e->src, e->dst, e->next_header,
                      e->payload, e->len, uid, 0, REC_DROP_NONE);
    return REC_DROP_NONE;
}

static void
emit_later(void *arg)
{
    struct pending_output *p = arg;
    struct mip6_emit e = {
        .ifindex = p->ifindex,
        .record_ifindex = p->record_ifindex,
        .src = p->src,
        .dst = p->dst,
        .next_header = p->next_header,
        .payload = p->bytes,
        .len = p->len,
        .inner = p->inner_len ? p->bytes + p->len : NULL,
        .inner_len = p->inner_len,
        .inner_uid = p->inner_uid,
    };

    emit_now(p->node, &e);
    free(p);
}

uint64_t
mip6_esp_work(struct mip6_node *n, const struct ipsec_sa *sa, enum mip6_cost_dir dir, size_t len)
{
    if (!n->cpu_model)
        return 0;
    const struct mip6_cost_table *table = n->costs ? n->costs : &mip6_cost_defaults;
    uint64_t cost = mip6_cost_esp_ns(table, sa->esp.enc, sa->esp.auth, dir, len);
    return mip6_cpu_submit(&n->cpu, sim_now_ns(), cost);
}

enum rec_drop
mip6_emit(struct mip6_node *n, uint64_t delay_ns, const struct mip6_emit *e)
{
    if (delay_ns == 0)
        return emit_now(n, e);

    struct pending_output *p = malloc(sizeof *p + e->len + e->inner_len);
    if (!p) {
        n->drops++;
        mip6_record_built(n, e->record_ifindex, REC_DROP, e->src, e->dst, e->next_header,
                          e->payload, e->len, 0, 0, REC_DROP_SEND_FAILED);
        return REC_DROP_SEND_FAILED;
    }
    p->node = n;
    p->ifindex = e->ifindex;
    p->record_ifindex = e->record_ifindex;
    memcpy(p->src, e->src, 16);
    memcpy(p->dst, e->dst, 16);
    p->next_header = e->next_header;
    p->inner_uid = e->inner_uid;
    p->len = e->len;
    p->inner_len = e->inner ? e->inner_len : 0;
    memcpy(p->bytes, e->payload, e->len);
    if (p->inner_len)
        memcpy(p->bytes + p->len, e->inner, p->inner_len);
    /* NOTE: a node freed before the event runs leaves it pointing at
     * freed memory; scenarios free nodes only after the simulation. */
    sim_schedule(n->id, delay_ns, emit_later, p);
    return REC_DROP_NONE;
}

/* An arriving ESP packet waiting for the CPU, then handed to the ingress hook again. */
struct pending_input {
    struct mip6_node *node;
    sim_ingress_fn ingress;
    void *ctx;
    uint32_t ifindex;
    uint64_t uid;
    size_t len;
    uint8_t bytes[];
};

static void
input_later(void *arg)
{
    struct pending_input *p = arg;

    p->node->cpu_resuming = true;
    p->ingress(p->ctx, p->ifindex, p->bytes, p->len, p->uid);
    p->node->cpu_resuming = false;
    free(p);
}

bool
mip6_defer_esp_input(struct mip6_node *n, sim_ingress_fn ingress, void *ctx, uint32_t ifindex,
                     const uint8_t *pkt, size_t len, uint64_t uid, const struct ip6_packet *p)
{
    uint32_t spi = 0, seq = 0;

    if (!n->cpu_model || n->cpu_resuming || p->upper_proto != IP6_NH_ESP ||
        esp_read_header(pkt + p->upper_offset, p->upper_len, &spi, &seq) != ESP_OK)
        return false;
    /* A packet without an SA is dropped at once: it costs no crypto. */
    const struct ipsec_sa *sa = ipsec_sa_by_spi(&n->ipsec, spi);
    if (!sa)
        return false;
    uint64_t delay = mip6_esp_work(n, sa, MIP6_COST_INBOUND, p->upper_len);
    if (delay == 0)
        return false;

    struct pending_input *in = malloc(sizeof *in + len);
    if (!in)
        return false;
    in->node = n;
    in->ingress = ingress;
    in->ctx = ctx;
    in->ifindex = ifindex;
    in->uid = uid;
    in->len = len;
    memcpy(in->bytes, pkt, len);
    sim_schedule(n->id, delay, input_later, in);
    return true;
}

static int
set_cpu(struct mip6_node *n, const struct mip6_cost_table *costs, double slowdown, char *err,
        size_t err_len)
{
    struct mip6_cost_error e;

    if (costs && mip6_cost_check(costs, &e) != MIP6_COST_OK) {
        snprintf(err, err_len, "CPU model of node %u: %s", n->id, e.message);
        return -1;
    }
    if (!mip6_cpu_init(&n->cpu, slowdown)) {
        snprintf(err, err_len,
                 "CPU model of node %u: invalid slowdown %g; give a finite factor above 0, such "
                 "as 4 for a CPU 4 times slower than the one the cost table was measured on",
                 n->id, slowdown);
        return -1;
    }
    n->costs = costs;
    n->cpu_model = true;
    return 0;
}

int
mip6_mn_set_cpu(struct mip6_mn *mn, const struct mip6_cost_table *costs, double slowdown, char *err,
                size_t err_len)
{
    return set_cpu(&mn->node, costs, slowdown, err, err_len);
}

int
mip6_ha_set_cpu(struct mip6_ha *ha, const struct mip6_cost_table *costs, double slowdown, char *err,
                size_t err_len)
{
    return set_cpu(&ha->node, costs, slowdown, err, err_len);
}

static double
utilization(const struct mip6_node *n)
{
    return n->cpu_model ? mip6_cpu_utilization(&n->cpu, sim_now_ns()) : 0;
}

double
mip6_mn_cpu_utilization(const struct mip6_mn *mn)
{
    return utilization(&mn->node);
}

double
mip6_ha_cpu_utilization(const struct mip6_ha *ha)
{
    return utilization(&ha->node);
}
