/*
 * radvd.c - router advertisements on one interface: a periodic schedule
 * with random intervals (RFC 4861 §6.2.4), early responses to solicitations
 * (§6.2.6), and the Mobile IPv6 options of RFC 6275 §7.
 */
#include "radvd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "ipv6.h"
#include "nd.h"
#include "rec.h"
#include "sim.h"
#include "timer.h"

#define NS_PER_MS 1000000ull

/* RFC 4861 §10: the first advertisements of an interface come at most
 * this far apart, so that hosts learn of the router soon. */
#define MAX_INITIAL_RTR_ADVERTISEMENTS 3
#define MAX_INITIAL_RTR_ADVERT_INTERVAL_MS 16000u

/* RFC 6275 §7.5: the lowest intervals a mobility-supporting router allows. */
#define MIN_RTR_ADV_INTERVAL_MS 30u
#define MIN_MAX_RTR_ADV_INTERVAL_MS 70u
#define MIN_DELAY_BETWEEN_RAS_MS 30u
/* RFC 4861 §6.2.1: upper bounds of MaxRtrAdvInterval and AdvDefaultLifetime. */
#define MAX_MAX_RTR_ADV_INTERVAL_MS 1800000u
#define MAX_ROUTER_LIFETIME_S 9000u

struct mip6_radvd {
    uint32_t node;
    struct mip6_radvd_config cfg;
    struct rec *rec;
    uint8_t mac[6];
    uint8_t link_local[16];
    struct mip6_timer timer;
    uint64_t next_ns;      /* when the armed timer sends the next advertisement */
    bool next_solicited;   /* that advertisement responds to a solicitation */
    bool sent_any;         /* an advertisement left already */
    uint64_t last_sent_ns; /* when the last one left */
    unsigned initial_left; /* initial advertisements still to send */
    struct mip6_radvd_stats stats;
};

static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 0x01};
static const uint8_t link_local_prefix[16] = {0xfe, 0x80};

void
mip6_radvd_config_default(struct mip6_radvd_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->prefix_len = 64;
    cfg->valid_lifetime_s = 2592000;    /* 30 days, RFC 4861 §6.2.1 */
    cfg->preferred_lifetime_s = 604800; /* 7 days, RFC 4861 §6.2.1 */
    cfg->min_interval_ms = MIN_RTR_ADV_INTERVAL_MS;
    cfg->max_interval_ms = MIN_MAX_RTR_ADV_INTERVAL_MS;
    cfg->adv_interval_option = true;
    cfg->min_delay_between_ras_ms = 3000; /* MIN_DELAY_BETWEEN_RAS, RFC 4861 §10 */
    cfg->max_ra_delay_ms = 500;           /* MAX_RA_DELAY_TIME, RFC 4861 §10 */
}

bool
mip6_radvd_config_check(const struct mip6_radvd_config *cfg, char *err, size_t err_len)
{
    if (cfg->min_interval_ms < MIN_RTR_ADV_INTERVAL_MS ||
        cfg->max_interval_ms < MIN_MAX_RTR_ADV_INTERVAL_MS ||
        cfg->max_interval_ms > MAX_MAX_RTR_ADV_INTERVAL_MS) {
        snprintf(err, err_len,
                 "router advertisement intervals %u-%u ms are invalid: MinRtrAdvInterval must be "
                 "at least 30 ms and MaxRtrAdvInterval 70 ms to 1800 s (RFC 6275 section 7.5, "
                 "RFC 4861 section 6.2.1)",
                 cfg->min_interval_ms, cfg->max_interval_ms);
        return false;
    }
    /* RFC 4861 §6.2.1: MinRtrAdvInterval at most 0.75 x MaxRtrAdvInterval. */
    if ((uint64_t)cfg->min_interval_ms * 4 > (uint64_t)cfg->max_interval_ms * 3) {
        snprintf(err, err_len,
                 "MinRtrAdvInterval %u ms is above 0.75 x MaxRtrAdvInterval (%u ms); lower the "
                 "minimum or raise the maximum (RFC 4861 section 6.2.1)",
                 cfg->min_interval_ms, cfg->max_interval_ms);
        return false;
    }
    if (cfg->router_lifetime_s != 0 &&
        ((uint64_t)cfg->router_lifetime_s * 1000 < cfg->max_interval_ms ||
         cfg->router_lifetime_s > MAX_ROUTER_LIFETIME_S)) {
        snprintf(err, err_len,
                 "router lifetime %u s is invalid: use 0 or a value from MaxRtrAdvInterval to "
                 "9000 s (RFC 4861 section 6.2.1)",
                 cfg->router_lifetime_s);
        return false;
    }
    if (cfg->prefix_len > 128 || cfg->preferred_lifetime_s > cfg->valid_lifetime_s) {
        snprintf(err, err_len,
                 "prefix length %u or lifetimes (preferred %u s, valid %u s) are invalid: the "
                 "length must be at most 128 and the preferred lifetime at most the valid one",
                 cfg->prefix_len, cfg->preferred_lifetime_s, cfg->valid_lifetime_s);
        return false;
    }
    if (cfg->min_delay_between_ras_ms < MIN_DELAY_BETWEEN_RAS_MS) {
        snprintf(err, err_len,
                 "MinDelayBetweenRAs %u ms is below the 30 ms RFC 6275 section 7.5 allows",
                 cfg->min_delay_between_ras_ms);
        return false;
    }
    return true;
}

/* A uniformly distributed delay from lo_ms to hi_ms, in nanoseconds. */
static uint64_t
uniform_ns(const struct mip6_radvd *r, uint32_t lo_ms, uint32_t hi_ms)
{
    uint64_t span = (uint64_t)(hi_ms - lo_ms) * NS_PER_MS;
    uint64_t draw = ((uint64_t)sim_random_u32(r->node) << 32) | sim_random_u32(r->node);

    return (uint64_t)lo_ms * NS_PER_MS + (span ? draw % (span + 1) : 0);
}

static void
arm(struct mip6_radvd *r, uint64_t at_ns, bool solicited)
{
    uint64_t now = sim_now_ns();

    r->next_ns = at_ns;
    r->next_solicited = solicited;
    mip6_timer_start(&r->timer, at_ns > now ? at_ns - now : 0);
}

/* RFC 4861 §6.2.4: the next unsolicited advertisement after a random
 * interval, capped while the initial advertisements last. */
static void
schedule_periodic(struct mip6_radvd *r)
{
    uint64_t interval = uniform_ns(r, r->cfg.min_interval_ms, r->cfg.max_interval_ms);

    if (r->initial_left > 0 && interval > MAX_INITIAL_RTR_ADVERT_INTERVAL_MS * NS_PER_MS)
        interval = MAX_INITIAL_RTR_ADVERT_INTERVAL_MS * NS_PER_MS;
    arm(r, sim_now_ns() + interval, false);
}

static uint16_t
router_lifetime_s(const struct mip6_radvd *r)
{
    if (r->cfg.router_lifetime_s != 0)
        return r->cfg.router_lifetime_s;
    /* RFC 4861 §6.2.1: 3 x MaxRtrAdvInterval by default. */
    uint32_t s = (3 * r->cfg.max_interval_ms + 999) / 1000;
    return (uint16_t)(s > MAX_ROUTER_LIFETIME_S ? MAX_ROUTER_LIFETIME_S : s);
}

static void
send_advert(struct mip6_radvd *r)
{
    struct nd_ra ra = {
        .router_lifetime_s = router_lifetime_s(r),
        .home_agent = r->cfg.home_agent,
        .n_prefixes = 1,
    };
    struct nd_prefix *p = &ra.prefixes[0];
    memcpy(p->prefix, r->cfg.prefix, 16);
    p->prefix_len = r->cfg.prefix_len;
    p->on_link = true;
    p->autonomous = true;
    p->valid_lifetime_s = r->cfg.valid_lifetime_s;
    p->preferred_lifetime_s = r->cfg.preferred_lifetime_s;
    /* NOTE: RFC 6275 §7.2 wants a home agent to send one prefix with the R
     * bit and its full address.  ns-3.37 would take that address for the
     * prefix itself, and the mobile node's stale-prefix removal would no
     * longer find it, so the prefix goes without the R bit. */
    if (r->cfg.adv_interval_option) {
        /* RFC 6275 §7.3: MaxRtrAdvInterval; §7.5: plus 20 ms below 200 ms,
         * for the scheduling granularity of the router. */
        ra.has_adv_interval = true;
        ra.adv_interval_ms = r->cfg.max_interval_ms + (r->cfg.max_interval_ms < 200 ? 20 : 0);
    }
    if (r->cfg.home_agent) {
        ra.has_ha_info = true;
        ra.ha_info.preference = r->cfg.ha_preference;
        ra.ha_info.lifetime_s = r->cfg.ha_lifetime_s ? r->cfg.ha_lifetime_s : ra.router_lifetime_s;
    }

    uint8_t msg[ND_RA_MAX_LEN];
    struct wr w = wr_init(msg, sizeof msg);
    if (nd_encode_ra(&w, &ra, r->mac, r->link_local, all_nodes) == ND_OK)
        sim_nd_send(r->node, r->cfg.ifindex, r->link_local, all_nodes, msg, w.pos, NULL);
}

static void
expire(void *owner)
{
    struct mip6_radvd *r = owner;

    send_advert(r);
    if (r->next_solicited)
        r->stats.solicited++;
    else
        r->stats.unsolicited++;
    r->sent_any = true;
    r->last_sent_ns = sim_now_ns();
    if (r->initial_left > 0)
        r->initial_left--;
    schedule_periodic(r);
}

/* RFC 4861 §6.2.6: respond with a multicast advertisement after a random
 * delay of up to MAX_RA_DELAY_TIME, and no sooner than MIN_DELAY_BETWEEN_RAS
 * after the last one.  An advertisement already due earlier is the response. */
static void
respond_to_solicitation(struct mip6_radvd *r, uint32_t ifindex, const uint8_t src[16])
{
    uint64_t now = sim_now_ns();
    uint64_t delay = uniform_ns(r, 0, r->cfg.max_ra_delay_ms);
    uint64_t at = now + delay;
    uint64_t min_gap = (uint64_t)r->cfg.min_delay_between_ras_ms * NS_PER_MS;

    if (r->sent_any && now < r->last_sent_ns + min_gap)
        at = r->last_sent_ns + min_gap + delay;
    bool earlier_due = mip6_timer_armed(&r->timer) && r->next_ns <= at;
    if (!earlier_due)
        arm(r, at, true);
    rec_mobility(r->rec, now, r->node, ifindex, REC_MOB_RA_SOLICITED, src,
                 (int64_t)((earlier_due ? r->next_ns : at) - now), earlier_due);
}

static enum sim_verdict
radvd_ingress(void *ctx, uint32_t ifindex, const uint8_t *pkt, size_t len, uint64_t uid)
{
    struct mip6_radvd *r = ctx;
    struct ip6_packet p;
    struct nd_rs rs;

    (void)uid;
    if (ifindex != r->cfg.ifindex || ip6_parse(pkt, len, &p) != IP6_OK ||
        p.upper_proto != IP6_NH_ICMPV6 || p.upper_len == 0 ||
        pkt[p.upper_offset] != ND_ROUTER_SOLICIT)
        return SIM_PASS;
    if (nd_parse_rs(pkt + p.upper_offset, p.upper_len, p.hdr.hop_limit, p.hdr.src, p.hdr.dst,
                    &rs) != ND_OK) {
        r->stats.rs_invalid++;
        return SIM_PASS;
    }
    r->stats.rs_received++;
    respond_to_solicitation(r, ifindex, p.hdr.src);
    /* ns-3 still learns the host's link-layer address from the option. */
    return SIM_PASS;
}

struct mip6_radvd *
mip6_radvd_install(uint32_t node, const struct mip6_radvd_config *cfg, struct rec *rec, char *err,
                   size_t err_len)
{
    if (!mip6_radvd_config_check(cfg, err, err_len))
        return NULL;
    struct mip6_radvd *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, err_len, "out of memory for the router advertisement daemon");
        return NULL;
    }
    r->node = node;
    r->cfg = *cfg;
    r->rec = rec;
    r->initial_left = MAX_INITIAL_RTR_ADVERTISEMENTS;
    if (sim_iface_mac48(node, cfg->ifindex, r->mac) != SIM_OK ||
        sim_add_ingress_hook(node, radvd_ingress, r) != SIM_OK) {
        snprintf(err, err_len,
                 "router advertisements: interface %u of node %u not found, not an Ethernet-like "
                 "device, or the node has no IPv6 stack",
                 cfg->ifindex, node);
        free(r);
        return NULL;
    }
    ip6_addr_from_prefix_mac(r->link_local, link_local_prefix, r->mac);
    mip6_timer_init(&r->timer, node, expire, r);

    /* RFC 4861 §6.2.4 calls for the first advertisement soon after the
     * interface starts advertising; a random delay keeps routers that
     * start together apart. */
    uint32_t first_ms = cfg->max_interval_ms < MAX_INITIAL_RTR_ADVERT_INTERVAL_MS
                            ? cfg->max_interval_ms
                            : MAX_INITIAL_RTR_ADVERT_INTERVAL_MS;
    arm(r, sim_now_ns() + uniform_ns(r, 0, first_ms), false);
    return r;
}

void
mip6_radvd_free(struct mip6_radvd *radvd)
{
    if (!radvd)
        return;
    /* NOTE: the ingress hook stays registered, because sim.h has no call
     * to remove one; free the daemon only after the simulation ended. */
    mip6_timer_release(&radvd->timer);
    free(radvd);
}

void
mip6_radvd_stats(const struct mip6_radvd *radvd, struct mip6_radvd_stats *out)
{
    *out = radvd->stats;
}
