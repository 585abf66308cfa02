/*
 * ipsec.c - SPD and SAD of one node.
 */
#include "ipsec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "ipv6.h"

#define MH_TYPE_OFFSET 2 /* RFC 6275 §6.1.1: Payload Proto, Header Len, MH Type */

static const char *
describe_esp_error(enum esp_status st)
{
    switch (st) {
    case ESP_BAD_ALGORITHMS:
        return "unknown algorithm, or NULL encryption with NULL authentication; choose at least "
               "one non-null algorithm";
    case ESP_BAD_KEY_LENGTH:
        return "key length does not match the algorithm";
    case ESP_CRYPTO_FAILED:
        return "OpenSSL could not set up the algorithms";
    default:
        return "invalid ESP parameters";
    }
}

/*
 * RFC 4301 §4.4.1.1: a specific MH type or ICMPv6 type/code matches only
 * a packet of that protocol whose field was read.  An OPAQUE field
 * matches only ANY.
 */
static bool
next_layer_match(const struct ipsec_selector *sel, const struct ipsec_packet *pkt)
{
    if (sel->mh_type_set &&
        (pkt->proto != IP6_NH_MOBILITY || !pkt->mh_type_known || pkt->mh_type != sel->mh_type))
        return false;
    if (sel->icmp_type_set &&
        (pkt->proto != IP6_NH_ICMPV6 || !pkt->icmp_known || pkt->icmp_type != sel->icmp_type))
        return false;
    if (sel->icmp_code_set &&
        (pkt->proto != IP6_NH_ICMPV6 || !pkt->icmp_known || pkt->icmp_code != sel->icmp_code))
        return false;
    return true;
}

bool
ipsec_selector_match(const struct ipsec_selector *sel, const struct ipsec_packet *pkt)
{
    if (sel->tunnel_iface != pkt->tunnel_iface)
        return false;
    if (sel->proto != IPSEC_PROTO_ANY && sel->proto != pkt->proto)
        return false;
    if (!next_layer_match(sel, pkt))
        return false;
    return ip6_prefix_match(sel->src, pkt->src, sel->src_len) &&
           ip6_prefix_match(sel->dst, pkt->dst, sel->dst_len);
}

enum ipsec_selector_status
ipsec_selector_check(const struct ipsec_selector *sel)
{
    if (sel->src_len > 128 || sel->dst_len > 128)
        return IPSEC_SELECTOR_BAD_PREFIX_LEN;
    if (sel->proto != IPSEC_PROTO_ANY && (sel->proto < 0 || sel->proto > 255))
        return IPSEC_SELECTOR_BAD_PROTO;
    /* RFC 4301 §4.4.1.1: the MH type and the ICMPv6 type and code are
     * selectors of those two protocols only. */
    if (sel->mh_type_set && sel->proto != IP6_NH_MOBILITY)
        return IPSEC_SELECTOR_MH_TYPE_WITHOUT_MH;
    if (sel->icmp_type_set && sel->proto != IP6_NH_ICMPV6)
        return IPSEC_SELECTOR_ICMP_WITHOUT_ICMPV6;
    if (sel->icmp_code_set && !sel->icmp_type_set)
        return IPSEC_SELECTOR_ICMP_CODE_WITHOUT_TYPE;
    return IPSEC_SELECTOR_OK;
}

void
ipsec_packet_read_next_layer(struct ipsec_packet *pkt, const uint8_t *upper, size_t len)
{
    struct rd r = rd_init(upper, len);

    pkt->mh_type_known = false;
    pkt->icmp_known = false;
    if (pkt->proto == IP6_NH_MOBILITY) {
        rd_skip(&r, MH_TYPE_OFFSET);
        pkt->mh_type = rd_u8(&r);
        pkt->mh_type_known = rd_ok(&r);
    } else if (pkt->proto == IP6_NH_ICMPV6) {
        pkt->icmp_type = rd_u8(&r);
        pkt->icmp_code = rd_u8(&r);
        pkt->icmp_known = rd_ok(&r);
    }
}

static bool
list_append(struct ipsec_policy_list *l, struct ipsec_policy *p)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 4;
        struct ipsec_policy **items = realloc(l->items, cap * sizeof *items);
        if (!items)
            return false;
        l->items = items;
        l->cap = cap;
    }
    /* Policies are appended in increasing order, so the list stays sorted. */
    l->items[l->count++] = p;
    return true;
}

static void
list_free(struct ipsec_policy_list *l)
{
    free(l->items);
    memset(l, 0, sizeof *l);
}

/* The remote address of a selector: destination going out, source coming in. */
static const uint8_t *
remote_addr(enum ipsec_dir dir, const uint8_t *src, const uint8_t *dst)
{
    return dir == IPSEC_OUT ? dst : src;
}

void
ipsec_db_init(struct ipsec_db *db)
{
    memset(db, 0, sizeof *db);
    addrmap_init(&db->by_remote[0]);
    addrmap_init(&db->by_remote[1]);
    addrmap_init(&db->sa_by_spi);
}

void
ipsec_db_free(struct ipsec_db *db)
{
    for (int dir = 0; dir < 2; dir++) {
        struct addrmap *m = &db->by_remote[dir];
        for (size_t i = 0; i < m->cap; i++) {
            if (m->slots[i].value) {
                list_free(m->slots[i].value);
                free(m->slots[i].value);
            }
        }
        addrmap_free(m);
        list_free(&db->general[dir]);
    }
    for (size_t i = 0; i < db->all.count; i++)
        free(db->all.items[i]);
    list_free(&db->all);
    for (size_t i = 0; i < db->n_sas; i++) {
        esp_sa_free(&db->sas[i]->esp);
        free(db->sas[i]);
    }
    free(db->sas);
    addrmap_free(&db->sa_by_spi);
    memset(db, 0, sizeof *db);
}

struct ipsec_sa *
ipsec_sa_add(struct ipsec_db *db, const char *name, enum ipsec_dir dir, enum ipsec_mode mode,
             const struct ipsec_selector *sel, const struct ipsec_keys *keys, char *err,
             size_t err_len)
{
    struct ipsec_sa *sa = ipsec_sa_add_dynamic(db, name, dir, mode, sel, keys, err, err_len);

    if (sa)
        sa->manual = true;
    return sa;
}

struct ipsec_sa *
ipsec_sa_add_dynamic(struct ipsec_db *db, const char *name, enum ipsec_dir dir,
                     enum ipsec_mode mode, const struct ipsec_selector *sel,
                     const struct ipsec_keys *keys, char *err, size_t err_len)
{
    uint8_t key[16];
    struct ipsec_sa *sa = NULL;

    /* RFC 4303 §2.1: SPI values 1-255 are reserved by IANA, 0 is local use. */
    if (keys->spi < 256) {
        snprintf(err, err_len, "SPI %u of SA %s is reserved; use a value of 256 or more", keys->spi,
                 name);
        return NULL;
    }
    addrmap_key_u32(key, keys->spi);
    if (dir == IPSEC_IN && addrmap_get(&db->sa_by_spi, key)) {
        snprintf(err, err_len, "inbound SPI %u of SA %s is already used by another SA", keys->spi,
                 name);
        return NULL;
    }
    if (db->n_sas == db->cap_sas) {
        size_t cap = db->cap_sas ? 2 * db->cap_sas : 8;
        struct ipsec_sa **sas = realloc(db->sas, cap * sizeof *sas);
        if (!sas)
            goto out_of_memory;
        db->sas = sas;
        db->cap_sas = cap;
    }
    sa = calloc(1, sizeof *sa);
    if (!sa)
        goto out_of_memory;

    snprintf(sa->name, sizeof sa->name, "%s", name);
    sa->dir = dir;
    sa->mode = mode;
    sa->sel = *sel;
    enum esp_status st =
        esp_sa_init(&sa->esp, keys->spi, keys->enc, keys->enc_key,
                    keys->enc == ESP_ENC_NULL ? 0 : ESP_AES_KEY_LEN, keys->auth, keys->auth_key,
                    keys->auth == ESP_AUTH_NULL ? 0 : ESP_HMAC_SHA1_KEY_LEN);
    if (st != ESP_OK) {
        snprintf(err, err_len, "SA %s: %s", name, describe_esp_error(st));
        free(sa);
        return NULL;
    }
    if (dir == IPSEC_IN && !addrmap_put(&db->sa_by_spi, key, sa)) {
        esp_sa_free(&sa->esp);
        free(sa);
        goto out_of_memory;
    }
    db->sas[db->n_sas++] = sa;
    return sa;

out_of_memory:
    snprintf(err, err_len, "out of memory adding SA %s", name);
    return NULL;
}

void
ipsec_sa_remove(struct ipsec_db *db, struct ipsec_sa *sa)
{
    uint8_t key[16];

    for (size_t i = 0; i < db->all.count; i++)
        if (db->all.items[i]->sa == sa)
            db->all.items[i]->sa = NULL;
    if (sa->dir == IPSEC_IN) {
        addrmap_key_u32(key, sa->esp.spi);
        if (addrmap_get(&db->sa_by_spi, key) == sa)
            addrmap_remove(&db->sa_by_spi, key);
    }
    for (size_t i = 0; i < db->n_sas; i++) {
        if (db->sas[i] == sa) {
            db->sas[i] = db->sas[--db->n_sas];
            break;
        }
    }
    esp_sa_free(&sa->esp);
    free(sa);
}

/* Whether count has reached a non-zero limit. */
static bool
reached(uint64_t count, uint64_t limit)
{
    return limit != 0 && count >= limit;
}

enum ipsec_expiry
ipsec_sa_count(struct ipsec_sa *sa, size_t len)
{
    enum ipsec_expiry now = IPSEC_EXPIRY_NONE;

    sa->packets++;
    sa->bytes += len;
    if (reached(sa->bytes, sa->lifetime.hard_bytes) ||
        reached(sa->packets, sa->lifetime.hard_packets))
        now = IPSEC_EXPIRY_HARD;
    else if (reached(sa->bytes, sa->lifetime.soft_bytes) ||
             reached(sa->packets, sa->lifetime.soft_packets))
        now = IPSEC_EXPIRY_SOFT;

    if (now > sa->expired) {
        sa->expired = now;
        if (sa->on_expire)
            sa->on_expire(sa->expire_ctx, sa, now);
    }
    return sa->expired;
}

struct ipsec_policy *
ipsec_policy_add(struct ipsec_db *db, enum ipsec_dir dir, const struct ipsec_selector *sel,
                 enum ipsec_action action, struct ipsec_sa *sa)
{
    struct ipsec_policy *p = calloc(1, sizeof *p);
    struct ipsec_policy_list *target;

    if (!p)
        return NULL;
    p->order = db->next_order++;
    p->dir = dir;
    p->sel = *sel;
    p->action = action;
    p->sa = sa;
    p->active = true;

    const uint8_t *remote = remote_addr(dir, sel->src, sel->dst);
    uint8_t remote_len = dir == IPSEC_OUT ? sel->dst_len : sel->src_len;
    if (remote_len == 128) {
        target = addrmap_get(&db->by_remote[dir], remote);
        if (!target) {
            target = calloc(1, sizeof *target);
            if (!target || !addrmap_put(&db->by_remote[dir], remote, target)) {
                free(target);
                free(p);
                return NULL;
            }
        }
    } else {
        target = &db->general[dir];
    }
    if (!list_append(target, p) || !list_append(&db->all, p)) {
        free(p);
        return NULL;
    }
    return p;
}

struct ipsec_policy *
ipsec_policy_lookup(const struct ipsec_db *db, enum ipsec_dir dir, const struct ipsec_packet *pkt)
{
    const struct ipsec_policy_list *general = &db->general[dir];
    const struct ipsec_policy_list *indexed =
        addrmap_get(&db->by_remote[dir], remote_addr(dir, pkt->src, pkt->dst));
    size_t g = 0, x = 0;
    size_t n_indexed = indexed ? indexed->count : 0;

    /* Walk both sorted lists in SPD order and stop at the first match. */
    while (g < general->count || x < n_indexed) {
        struct ipsec_policy *p;
        if (x == n_indexed ||
            (g < general->count && general->items[g]->order < indexed->items[x]->order))
            p = general->items[g++];
        else
            p = indexed->items[x++];
        if (p->active && ipsec_selector_match(&p->sel, pkt))
            return p;
    }
    return NULL;
}

void
ipsec_policy_set_active(struct ipsec_policy *policy, bool active)
{
    policy->active = active;
}

/* Whether the selector names addr as its single source or destination. */
static bool
names_address(const struct ipsec_selector *sel, const uint8_t addr[16])
{
    return (sel->src_len == 128 && memcmp(sel->src, addr, 16) == 0) ||
           (sel->dst_len == 128 && memcmp(sel->dst, addr, 16) == 0);
}

size_t
ipsec_tunnel_policies_set_active(struct ipsec_db *db, const uint8_t home_address[16], bool active)
{
    size_t changed = 0;

    for (size_t i = 0; i < db->all.count; i++) {
        struct ipsec_policy *p = db->all.items[i];
        if (!p->sel.tunnel_iface || !names_address(&p->sel, home_address) || p->active == active)
            continue;
        p->active = active;
        changed++;
    }
    return changed;
}

bool
ipsec_sa_set_tunnel(struct ipsec_sa *sa, const uint8_t outer_src[16], const uint8_t outer_dst[16])
{
    if (sa->mode != IPSEC_TUNNEL)
        return false;
    memcpy(sa->tunnel_src, outer_src, 16);
    memcpy(sa->tunnel_dst, outer_dst, 16);
    return true;
}

size_t
ipsec_tunnel_sas_set_care_of(struct ipsec_db *db, const uint8_t home_address[16],
                             const uint8_t care_of[16])
{
    size_t changed = 0;

    for (size_t i = 0; i < db->n_sas; i++) {
        struct ipsec_sa *sa = db->sas[i];
        if (sa->mode != IPSEC_TUNNEL)
            continue;
        /* RFC 3776 §4.3: the mobile node's end of the tunnel follows its
         * care-of address, and the home agent's end stays. */
        bool from_mn = sa->sel.src_len == 128 && memcmp(sa->sel.src, home_address, 16) == 0;
        bool to_mn = sa->sel.dst_len == 128 && memcmp(sa->sel.dst, home_address, 16) == 0;
        if (from_mn)
            memcpy(sa->tunnel_src, care_of, 16);
        if (to_mn)
            memcpy(sa->tunnel_dst, care_of, 16);
        changed += from_mn || to_mn;
    }
    return changed;
}

struct ipsec_sa *
ipsec_sa_by_spi(const struct ipsec_db *db, uint32_t spi)
{
    uint8_t key[16];

    addrmap_key_u32(key, spi);
    return addrmap_get(&db->sa_by_spi, key);
}
