/*
 * test_ipsec.c - SPD order and selectors, the per-address index checked
 * against a plain scan of the ordered list, SA rules, the RFC 4301
 * MH-type and ICMPv6 selectors, active flags and tunnel endpoints.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ipsec.h"
#include "ipv6.h"

static const uint8_t key16[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t key20[20] = {1,  2,  3,  4,  5,  6,  7,  8,  9, 10,
                                  11, 12, 13, 14, 15, 16, 17, 18, 19};

static struct ipsec_selector
selector(const char *src, unsigned src_len, const char *dst, unsigned dst_len, int proto,
         bool tunnel)
{
    struct ipsec_selector s = {.src_len = (uint8_t)src_len,
                               .dst_len = (uint8_t)dst_len,
                               .proto = proto,
                               .tunnel_iface = tunnel};
    ip6_addr_from_text(src, s.src);
    ip6_addr_from_text(dst, s.dst);
    return s;
}

static struct ipsec_keys
keys(uint32_t spi)
{
    struct ipsec_keys k = {spi, ESP_ENC_AES_128_CBC, key16, ESP_AUTH_HMAC_SHA1_96, key20};
    return k;
}

/* A packet whose next-layer fields are OPAQUE. */
static struct ipsec_packet
packet(const uint8_t *src, const uint8_t *dst, int proto, bool tunnel)
{
    struct ipsec_packet p = {.src = src, .dst = dst, .proto = proto, .tunnel_iface = tunnel};
    return p;
}

/* RFC 3776 §5.2: the BU/BA entry comes before the return routability entry
 * and only the tunnel-interface entry applies to tunnelled packets. */
static void
test_order_and_interface(void)
{
    struct ipsec_db db;
    char err[200];
    ipsec_db_init(&db);

    struct ipsec_selector bu = selector("2001:1:0:1::10", 128, "2001:1:0:1::1", 128, 135, false);
    struct ipsec_selector rr = selector("2001:1:0:1::10", 128, "::", 0, 135, true);
    struct ipsec_keys k1 = keys(0x1000), k3 = keys(0x1002);
    struct ipsec_sa *sa1 =
        ipsec_sa_add(&db, "SA1", IPSEC_OUT, IPSEC_TRANSPORT, &bu, &k1, err, sizeof err);
    struct ipsec_sa *sa3 =
        ipsec_sa_add(&db, "SA3", IPSEC_OUT, IPSEC_TUNNEL, &rr, &k3, err, sizeof err);
    CHECK(sa1 != NULL);
    CHECK(sa3 != NULL);
    ipsec_policy_add(&db, IPSEC_OUT, &bu, IPSEC_PROTECT, sa1);
    ipsec_policy_add(&db, IPSEC_OUT, &rr, IPSEC_PROTECT, sa3);

    uint8_t hoa[16], ha[16], cn[16];
    ip6_addr_from_text("2001:1:0:1::10", hoa);
    ip6_addr_from_text("2001:1:0:1::1", ha);
    ip6_addr_from_text("2001:1:0:9::9", cn);

    struct ipsec_packet to_ha = packet(hoa, ha, 135, false);
    struct ipsec_policy *p = ipsec_policy_lookup(&db, IPSEC_OUT, &to_ha);
    CHECK(p != NULL);
    if (p)
        CHECK(p->sa == sa1);

    /* A BU is never protected by the tunnel SA (RFC 3776 §4.2). */
    struct ipsec_packet hoti = packet(hoa, cn, 135, true);
    p = ipsec_policy_lookup(&db, IPSEC_OUT, &hoti);
    CHECK(p != NULL);
    if (p)
        CHECK(p->sa == sa3);
    struct ipsec_packet hoti_outside = packet(hoa, cn, 135, false);
    CHECK(ipsec_policy_lookup(&db, IPSEC_OUT, &hoti_outside) == NULL);

    /* Other protocol, other direction: no entry. */
    struct ipsec_packet udp = packet(hoa, ha, 17, false);
    CHECK(ipsec_policy_lookup(&db, IPSEC_OUT, &udp) == NULL);
    CHECK(ipsec_policy_lookup(&db, IPSEC_IN, &to_ha) == NULL);
    ipsec_db_free(&db);
}

static void
test_sa_rules(void)
{
    struct ipsec_db db;
    char err[200];
    ipsec_db_init(&db);
    struct ipsec_selector s = selector("::", 0, "::", 0, IPSEC_PROTO_ANY, false);

    struct ipsec_keys reserved = keys(255);
    CHECK(ipsec_sa_add(&db, "low", IPSEC_IN, IPSEC_TRANSPORT, &s, &reserved, err, sizeof err) ==
          NULL);
    CHECK(strstr(err, "255") != NULL);

    struct ipsec_keys k = keys(0x2000);
    CHECK(ipsec_sa_add(&db, "a", IPSEC_IN, IPSEC_TRANSPORT, &s, &k, err, sizeof err) != NULL);
    CHECK(ipsec_sa_add(&db, "b", IPSEC_IN, IPSEC_TRANSPORT, &s, &k, err, sizeof err) == NULL);
    CHECK(strstr(err, "already") != NULL);
    CHECK(ipsec_sa_by_spi(&db, 0x2000) != NULL);
    CHECK(ipsec_sa_by_spi(&db, 0x2001) == NULL);

    struct ipsec_keys none = {0x3000, ESP_ENC_NULL, NULL, ESP_AUTH_NULL, NULL};
    CHECK(ipsec_sa_add(&db, "c", IPSEC_IN, IPSEC_TRANSPORT, &s, &none, err, sizeof err) == NULL);
    ipsec_db_free(&db);
}

/* Bit by bit, without shortcuts, so the reference shares no code with ipsec.c. */
static bool
naive_prefix(const uint8_t *a, const uint8_t *b, unsigned len)
{
    for (unsigned bit = 0; bit < len; bit++) {
        unsigned byte = bit / 8, shift = 7 - bit % 8;
        if (((a[byte] >> shift) & 1) != ((b[byte] >> shift) & 1))
            return false;
    }
    return true;
}

/* RFC 4301 §4.4.1.1 read literally: ANY matches everything, a value
 * matches only the same value, and an OPAQUE packet field only ANY. */
static bool
naive_match(const struct ipsec_policy *p, const struct ipsec_packet *pkt)
{
    const struct ipsec_selector *s = &p->sel;
    bool mh_ok =
        !s->mh_type_set || (pkt->proto == 135 && pkt->mh_type_known && pkt->mh_type == s->mh_type);
    bool type_ok = !s->icmp_type_set ||
                   (pkt->proto == 58 && pkt->icmp_known && pkt->icmp_type == s->icmp_type);
    bool code_ok = !s->icmp_code_set ||
                   (pkt->proto == 58 && pkt->icmp_known && pkt->icmp_code == s->icmp_code);

    return p->active && s->tunnel_iface == pkt->tunnel_iface &&
           (s->proto == IPSEC_PROTO_ANY || s->proto == pkt->proto) && mh_ok && type_ok && code_ok &&
           naive_prefix(s->src, pkt->src, s->src_len) && naive_prefix(s->dst, pkt->dst, s->dst_len);
}

/* The reference: first match in the order policies were added. */
static struct ipsec_policy *
naive_lookup(const struct ipsec_db *db, enum ipsec_dir dir, const struct ipsec_packet *pkt)
{
    for (size_t i = 0; i < db->all.count; i++)
        if (db->all.items[i]->dir == dir && naive_match(db->all.items[i], pkt))
            return db->all.items[i];
    return NULL;
}

static uint32_t
next_random(uint32_t *r)
{
    *r = *r * 1103515245u + 12345u;
    return *r;
}

static const int protos[] = {135, 58, 17};
static const uint8_t mh_types[] = {1, 3, 5, 6};
static const uint8_t icmp_types[] = {146, 147, 1};

/* A random selector of a thousand-node SPD; next-layer values come from
 * small sets so that specific selectors often match. */
static struct ipsec_selector
random_selector(uint32_t *r)
{
    uint32_t a = next_random(r), b = next_random(r);
    struct ipsec_selector s = {.proto = (a >> 4) % 4 == 3 ? IPSEC_PROTO_ANY : protos[(a >> 4) % 3]};

    s.src[0] = s.dst[0] = 0x20;
    s.src[15] = (uint8_t)(a >> 8);
    s.dst[15] = (uint8_t)(a >> 16);
    s.src_len = (a >> 24) % 4 ? 128 : 120;
    s.dst_len = (a >> 26) % 4 ? 128 : 0;
    s.tunnel_iface = (a >> 28) % 5 == 0;
    if (s.proto == 135 && b % 2) {
        s.mh_type_set = true;
        s.mh_type = mh_types[(b >> 1) % 4];
    }
    if (s.proto == 58 && b % 2) {
        s.icmp_type_set = true;
        s.icmp_type = icmp_types[(b >> 1) % 3];
        s.icmp_code_set = (b >> 3) % 2;
        s.icmp_code = (uint8_t)((b >> 4) % 2);
    }
    return s;
}

/* A random packet; its next-layer fields are sometimes OPAQUE. */
static struct ipsec_packet
random_packet(uint32_t *r, uint8_t src[16], uint8_t dst[16])
{
    uint32_t a = next_random(r), b = next_random(r);
    memset(src, 0, 16);
    memset(dst, 0, 16);
    src[0] = dst[0] = 0x20;
    src[15] = (uint8_t)(a >> 8);
    dst[15] = (uint8_t)(a >> 16);

    struct ipsec_packet pkt = packet(src, dst, protos[(a >> 4) % 3], (a >> 28) % 5 == 0);
    bool known = b % 4 != 0;
    if (pkt.proto == 135) {
        pkt.mh_type_known = known;
        pkt.mh_type = mh_types[(b >> 2) % 4];
    } else if (pkt.proto == 58) {
        pkt.icmp_known = known;
        pkt.icmp_type = icmp_types[(b >> 2) % 3];
        pkt.icmp_code = (uint8_t)((b >> 4) % 2);
    }
    return pkt;
}

static void
test_index_matches_scan(void)
{
    struct ipsec_db db;
    uint32_t r = 99;
    ipsec_db_init(&db);

    /* A thousand mobile nodes' entries mixed with wildcard entries. */
    for (int i = 0; i < 1200; i++) {
        struct ipsec_selector s = random_selector(&r);
        CHECK_EQ_INT(ipsec_selector_check(&s), IPSEC_SELECTOR_OK);
        enum ipsec_dir dir = next_random(&r) % 2 ? IPSEC_IN : IPSEC_OUT;
        CHECK(ipsec_policy_add(&db, dir, &s, IPSEC_BYPASS, NULL) != NULL);
    }

    /* Five rounds of lookups; between rounds a tenth of the entries flip
     * between active and inactive. */
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < 8000; i++) {
            uint8_t src[16], dst[16];
            struct ipsec_packet pkt = random_packet(&r, src, dst);
            enum ipsec_dir dir = next_random(&r) % 2 ? IPSEC_IN : IPSEC_OUT;
            CHECK(ipsec_policy_lookup(&db, dir, &pkt) == naive_lookup(&db, dir, &pkt));
        }
        for (size_t i = 0; i < db.all.count; i++)
            if (next_random(&r) % 10 == 0)
                ipsec_policy_set_active(db.all.items[i], !db.all.items[i]->active);
    }
    ipsec_db_free(&db);
}

static struct ipsec_selector
mh_type_selector(uint8_t type)
{
    struct ipsec_selector s = selector("::", 0, "::", 0, 135, false);
    s.mh_type_set = true;
    s.mh_type = type;
    return s;
}

/* RFC 4301 §4.4.1.1: ANY matches OPAQUE, a specific value does not. */
static void
test_next_layer_selectors(void)
{
    uint8_t a[16] = {0x20}, b[16] = {0x20, 1};
    struct ipsec_selector any_mh = selector("::", 0, "::", 0, 135, false);
    struct ipsec_selector bu = mh_type_selector(5);
    struct ipsec_selector mps = selector("::", 0, "::", 0, 58, false);
    mps.icmp_type_set = true;
    mps.icmp_type = 146;
    struct ipsec_selector mps_code1 = mps;
    mps_code1.icmp_code_set = true;
    mps_code1.icmp_code = 1;

    struct ipsec_packet opaque_mh = packet(a, b, 135, false);
    struct ipsec_packet bu_pkt = packet(a, b, 135, false);
    bu_pkt.mh_type_known = true;
    bu_pkt.mh_type = 5;
    struct ipsec_packet ba_pkt = bu_pkt;
    ba_pkt.mh_type = 6;
    CHECK(ipsec_selector_match(&any_mh, &opaque_mh));
    CHECK(ipsec_selector_match(&any_mh, &bu_pkt));
    CHECK(!ipsec_selector_match(&bu, &opaque_mh));
    CHECK(ipsec_selector_match(&bu, &bu_pkt));
    CHECK(!ipsec_selector_match(&bu, &ba_pkt));

    struct ipsec_packet opaque_icmp = packet(a, b, 58, false);
    struct ipsec_packet mps_pkt = {
        .src = a, .dst = b, .proto = 58, .icmp_known = true, .icmp_type = 146, .icmp_code = 0};
    struct ipsec_packet mpa_pkt = mps_pkt;
    mpa_pkt.icmp_type = 147;
    CHECK(!ipsec_selector_match(&mps, &opaque_icmp));
    CHECK(ipsec_selector_match(&mps, &mps_pkt));
    CHECK(!ipsec_selector_match(&mps, &mpa_pkt));
    CHECK(!ipsec_selector_match(&mps_code1, &mps_pkt));
    mps_pkt.icmp_code = 1;
    CHECK(ipsec_selector_match(&mps_code1, &mps_pkt));

    /* A type selector never matches another protocol, even with the field set. */
    struct ipsec_packet udp = {.src = a,
                               .dst = b,
                               .proto = 17,
                               .mh_type_known = true,
                               .mh_type = 5,
                               .icmp_known = true,
                               .icmp_type = 146};
    struct ipsec_selector any = selector("::", 0, "::", 0, IPSEC_PROTO_ANY, false);
    CHECK(ipsec_selector_match(&any, &udp));
    CHECK(!ipsec_selector_match(&bu, &udp));
}

static void
test_selector_check(void)
{
    struct ipsec_selector s = selector("::", 0, "::", 0, 135, false);
    CHECK_EQ_INT(ipsec_selector_check(&s), IPSEC_SELECTOR_OK);

    s.src_len = 129;
    CHECK_EQ_INT(ipsec_selector_check(&s), IPSEC_SELECTOR_BAD_PREFIX_LEN);
    s.src_len = 0;
    s.proto = 256;
    CHECK_EQ_INT(ipsec_selector_check(&s), IPSEC_SELECTOR_BAD_PROTO);
    s.proto = 17;
    s.mh_type_set = true;
    CHECK_EQ_INT(ipsec_selector_check(&s), IPSEC_SELECTOR_MH_TYPE_WITHOUT_MH);
    s.mh_type_set = false;
    s.icmp_type_set = true;
    CHECK_EQ_INT(ipsec_selector_check(&s), IPSEC_SELECTOR_ICMP_WITHOUT_ICMPV6);
    s.proto = 58;
    s.icmp_type_set = false;
    s.icmp_code_set = true;
    CHECK_EQ_INT(ipsec_selector_check(&s), IPSEC_SELECTOR_ICMP_CODE_WITHOUT_TYPE);
}

static void
test_read_next_layer(void)
{
    uint8_t a[16] = {0x20};
    /* Payload Proto 59, Header Len 1, MH Type 5 (BU). */
    const uint8_t mh[8] = {59, 1, 5, 0};
    const uint8_t icmp[4] = {146, 0, 0x12, 0x34};

    struct ipsec_packet p = packet(a, a, 135, false);
    ipsec_packet_read_next_layer(&p, mh, sizeof mh);
    CHECK(p.mh_type_known);
    CHECK_EQ_INT(p.mh_type, 5);
    ipsec_packet_read_next_layer(&p, mh, 2);
    CHECK(!p.mh_type_known);

    struct ipsec_packet q = packet(a, a, 58, false);
    ipsec_packet_read_next_layer(&q, icmp, sizeof icmp);
    CHECK(q.icmp_known);
    CHECK_EQ_INT(q.icmp_type, 146);
    CHECK_EQ_INT(q.icmp_code, 0);
    ipsec_packet_read_next_layer(&q, icmp, 1);
    CHECK(!q.icmp_known);

    struct ipsec_packet u = packet(a, a, 17, false);
    ipsec_packet_read_next_layer(&u, mh, sizeof mh);
    CHECK(!u.mh_type_known);
    CHECK(!u.icmp_known);
}

/* RFC 3776 §4.2: tunnel entries go inactive at home and come back later. */
static void
test_active_flag(void)
{
    struct ipsec_db db;
    char err[200];
    ipsec_db_init(&db);
    uint8_t hoa[16], cn[16], other[16];
    ip6_addr_from_text("2001:1:0:1::10", hoa);
    ip6_addr_from_text("2001:1:0:9::9", cn);
    ip6_addr_from_text("2001:1:0:1::20", other);

    struct ipsec_selector rr = selector("2001:1:0:1::10", 128, "::", 0, 135, true);
    struct ipsec_selector rr_other = selector("2001:1:0:1::20", 128, "::", 0, 135, true);
    struct ipsec_selector bu = selector("2001:1:0:1::10", 128, "2001:1:0:1::1", 128, 135, false);
    struct ipsec_keys k3 = keys(0x1002);
    struct ipsec_sa *sa3 =
        ipsec_sa_add(&db, "SA3", IPSEC_OUT, IPSEC_TUNNEL, &rr, &k3, err, sizeof err);
    struct ipsec_policy *p_rr = ipsec_policy_add(&db, IPSEC_OUT, &rr, IPSEC_PROTECT, sa3);
    struct ipsec_policy *p_other = ipsec_policy_add(&db, IPSEC_OUT, &rr_other, IPSEC_BYPASS, NULL);
    struct ipsec_policy *p_bu = ipsec_policy_add(&db, IPSEC_OUT, &bu, IPSEC_BYPASS, NULL);
    CHECK(p_rr != NULL);
    CHECK(p_rr->active);

    struct ipsec_packet hoti = packet(hoa, cn, 135, true);
    CHECK(ipsec_policy_lookup(&db, IPSEC_OUT, &hoti) == p_rr);
    ipsec_policy_set_active(p_rr, false);
    CHECK(ipsec_policy_lookup(&db, IPSEC_OUT, &hoti) == NULL);
    ipsec_policy_set_active(p_rr, true);
    CHECK(ipsec_policy_lookup(&db, IPSEC_OUT, &hoti) == p_rr);

    /* Only this home address's tunnel entries change. */
    CHECK_EQ_INT(ipsec_tunnel_policies_set_active(&db, hoa, false), 1);
    CHECK(!p_rr->active);
    CHECK(p_other->active);
    CHECK(p_bu->active);
    CHECK(ipsec_policy_lookup(&db, IPSEC_OUT, &hoti) == NULL);
    CHECK_EQ_INT(ipsec_tunnel_policies_set_active(&db, hoa, false), 0);
    CHECK_EQ_INT(ipsec_tunnel_policies_set_active(&db, hoa, true), 1);
    CHECK(ipsec_policy_lookup(&db, IPSEC_OUT, &hoti) == p_rr);
    ipsec_db_free(&db);
}

/* RFC 3776 §4.3: the tunnel SAs' outer address follows the care-of address. */
static void
test_tunnel_endpoints(void)
{
    struct ipsec_db db;
    char err[200];
    ipsec_db_init(&db);
    uint8_t hoa[16], ha[16], coa1[16], coa2[16];
    ip6_addr_from_text("2001:1:0:1::10", hoa);
    ip6_addr_from_text("2001:1:0:1::1", ha);
    ip6_addr_from_text("2001:1:0:2::10", coa1);
    ip6_addr_from_text("2001:1:0:3::10", coa2);

    struct ipsec_selector up = selector("2001:1:0:1::10", 128, "::", 0, 135, true);
    struct ipsec_selector down = selector("::", 0, "2001:1:0:1::10", 128, 135, true);
    struct ipsec_selector bu = selector("2001:1:0:1::10", 128, "2001:1:0:1::1", 128, 135, false);
    struct ipsec_keys k1 = keys(0x1000), k3 = keys(0x1002), k4 = keys(0x1003);
    struct ipsec_sa *sa1 =
        ipsec_sa_add(&db, "SA1", IPSEC_OUT, IPSEC_TRANSPORT, &bu, &k1, err, sizeof err);
    struct ipsec_sa *sa3 =
        ipsec_sa_add(&db, "SA3", IPSEC_OUT, IPSEC_TUNNEL, &up, &k3, err, sizeof err);
    struct ipsec_sa *sa4 =
        ipsec_sa_add(&db, "SA4", IPSEC_IN, IPSEC_TUNNEL, &down, &k4, err, sizeof err);
    CHECK(sa1 != NULL);
    CHECK(sa3 != NULL);
    CHECK(sa4 != NULL);

    CHECK(!ipsec_sa_set_tunnel(sa1, coa1, ha));
    CHECK(ipsec_sa_set_tunnel(sa3, coa1, ha));
    CHECK(ipsec_sa_set_tunnel(sa4, ha, coa1));
    CHECK_EQ_MEM(sa3->tunnel_src, coa1, 16);
    CHECK_EQ_MEM(sa4->tunnel_dst, coa1, 16);

    CHECK_EQ_INT(ipsec_tunnel_sas_set_care_of(&db, hoa, coa2), 2);
    CHECK_EQ_MEM(sa3->tunnel_src, coa2, 16);
    CHECK_EQ_MEM(sa3->tunnel_dst, ha, 16);
    CHECK_EQ_MEM(sa4->tunnel_src, ha, 16);
    CHECK_EQ_MEM(sa4->tunnel_dst, coa2, 16);
    ipsec_db_free(&db);
}

CHECK_MAIN(TEST(test_order_and_interface), TEST(test_sa_rules), TEST(test_index_matches_scan),
           TEST(test_next_layer_selectors), TEST(test_selector_check), TEST(test_read_next_layer),
           TEST(test_active_flag), TEST(test_tunnel_endpoints))
