/*
 * test_ipsec.c - SPD order and selectors, the per-address index checked
 * against a plain scan of the ordered list, and SA rules.
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
    CHECK(sa1 && sa3);
    ipsec_policy_add(&db, IPSEC_OUT, &bu, IPSEC_PROTECT, sa1);
    ipsec_policy_add(&db, IPSEC_OUT, &rr, IPSEC_PROTECT, sa3);

    uint8_t hoa[16], ha[16], cn[16];
    ip6_addr_from_text("2001:1:0:1::10", hoa);
    ip6_addr_from_text("2001:1:0:1::1", ha);
    ip6_addr_from_text("2001:1:0:9::9", cn);

    struct ipsec_packet to_ha = {hoa, ha, 135, false};
    struct ipsec_policy *p = ipsec_policy_lookup(&db, IPSEC_OUT, &to_ha);
    CHECK(p && p->sa == sa1);

    /* A BU is never protected by the tunnel SA (RFC 3776 §4.2). */
    struct ipsec_packet hoti = {hoa, cn, 135, true};
    p = ipsec_policy_lookup(&db, IPSEC_OUT, &hoti);
    CHECK(p && p->sa == sa3);
    struct ipsec_packet hoti_outside = {hoa, cn, 135, false};
    CHECK(ipsec_policy_lookup(&db, IPSEC_OUT, &hoti_outside) == NULL);

    /* Other protocol, other direction: no entry. */
    struct ipsec_packet udp = {hoa, ha, 17, false};
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

/* The reference: first match in the order policies were added. */
static struct ipsec_policy *
naive_lookup(const struct ipsec_db *db, enum ipsec_dir dir, const struct ipsec_packet *pkt)
{
    for (size_t i = 0; i < db->all.count; i++)
        if (db->all.items[i]->dir == dir && ipsec_selector_match(&db->all.items[i]->sel, pkt))
            return db->all.items[i];
    return NULL;
}

static void
test_index_matches_scan(void)
{
    struct ipsec_db db;
    uint32_t r = 99;
    ipsec_db_init(&db);

    /* A thousand mobile nodes' entries mixed with wildcard entries. */
    for (int i = 0; i < 1200; i++) {
        r = r * 1103515245u + 12345u;
        struct ipsec_selector s = {.proto = (r >> 4) % 2 ? 135 : 58};
        s.src[0] = s.dst[0] = 0x20;
        s.src[15] = (uint8_t)(r >> 8);
        s.dst[15] = (uint8_t)(r >> 16);
        s.src_len = (r >> 24) % 4 ? 128 : 120;
        s.dst_len = (r >> 26) % 4 ? 128 : 0;
        s.tunnel_iface = (r >> 28) % 5 == 0;
        ipsec_policy_add(&db, (r >> 30) % 2 ? IPSEC_IN : IPSEC_OUT, &s, IPSEC_BYPASS, NULL);
    }
    for (int i = 0; i < 20000; i++) {
        r = r * 1103515245u + 12345u;
        uint8_t src[16] = {0x20}, dst[16] = {0x20};
        src[15] = (uint8_t)(r >> 8);
        dst[15] = (uint8_t)(r >> 16);
        struct ipsec_packet pkt = {src, dst, (r >> 4) % 2 ? 135 : 58, (r >> 28) % 5 == 0};
        enum ipsec_dir dir = (r >> 30) % 2 ? IPSEC_IN : IPSEC_OUT;
        CHECK(ipsec_policy_lookup(&db, dir, &pkt) == naive_lookup(&db, dir, &pkt));
    }
    ipsec_db_free(&db);
}

CHECK_MAIN(TEST(test_order_and_interface), TEST(test_sa_rules), TEST(test_index_matches_scan))
