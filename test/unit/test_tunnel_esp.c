/*
 * test_tunnel_esp.c - ESP tunnel mode between mobile node and home agent
 * (RFC 3776 §3.2, §3.4, §4.2, §4.3) over the test simulator.  The tests
 * cover HoTI and HoT inside ESP, the SA ends following the care-of
 * address, the checks on the way in, payload protection and the return
 * home.
 *
 *   mn --(foreign links 2001:1:0:2::/64, 2001:1:0:3::/64)--+
 *                                                          +-- ha (home link 2001:1:0:1::/64)
 *                                                          +-- cn 2001:1:0:9::9
 *
 * Every test records into an SQLite database, so drops are checked with
 * their reasons.
 */
#define _POSIX_C_SOURCE 200809L

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cn.h"
#include "esp.h"
#include "ha.h"
#include "mh.h"
#include "mn.h"
#include "testnet.h"
#include "testsim.h"

#define MS 1000000ull
#define S 1000000000ull

static const uint8_t mac_mn[6] = {0x02, 0, 0, 0, 0, 0x10};
static const uint8_t mac_ha[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t mac_cn[6] = {0x02, 0, 0, 0, 0, 0x09};

struct world {
    uint32_t mn_node, ha_node, cn_node;
    struct mip6_mn *mn;
    struct mip6_ha *ha;
    struct mip6_cn *cn;
    struct mip6_keys keys;
    size_t mn_sas, ha_sas; /* SAs that mip6_manual_sas installed */
    struct rec *rec;
    char db[96];
    uint8_t hoa[16], ha_addr[16], cn_addr[16], home_prefix[16];
};

static char dir[64];

static void
remove_dir(void)
{
    rmdir(dir);
}

/* Build a mobile node, its home agent and a correspondent that runs the
 * correspondent model.  protect selects the tunnel SAs, and
 * route_optimize turns on return routability with the correspondent. */
static void
setup(struct world *w, enum mip6_tunnel_esp protect, bool route_optimize)
{
    char err[512];
    struct mip6_ha_config hc;
    struct mip6_mn_config mc;
    struct mip6_cn_config cc;

    memset(w, 0, sizeof *w);
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/test_tunnel_esp.XXXXXX");
        if (!mkdtemp(dir))
            abort();
        atexit(remove_dir);
    }
    snprintf(w->db, sizeof w->db, "%s/run.db", dir);
    w->rec = rec_open(w->db, err, sizeof err);
    CHECK(w->rec != NULL);
    rec_begin(w->rec, 1, 1, "testsim", "test");

    testsim_reset();
    w->mn_node = testsim_add_node();
    w->ha_node = testsim_add_node();
    w->cn_node = testsim_add_node();
    testsim_add_iface(w->mn_node, mac_mn);
    testsim_add_iface(w->ha_node, mac_ha);
    testsim_add_iface(w->cn_node, mac_cn);
    testnet_addr(w->ha_addr, "2001:1:0:1::1");
    testnet_addr(w->cn_addr, "2001:1:0:9::9");
    testnet_addr(w->home_prefix, "2001:1:0:1::");
    sim_addr_add(w->ha_node, 0, w->ha_addr, 64);
    sim_addr_add(w->cn_node, 0, w->cn_addr, 64);

    mip6_ha_config_default(&hc);
    memcpy(hc.address, w->ha_addr, 16);
    memcpy(hc.home_prefix, w->home_prefix, 16);
    w->ha = mip6_ha_install(w->ha_node, &hc, w->rec, err, sizeof err);

    mip6_mn_config_default(&mc);
    ip6_addr_from_prefix_mac(w->hoa, w->home_prefix, mac_mn);
    memcpy(mc.home_address, w->hoa, 16);
    memcpy(mc.home_prefix, w->home_prefix, 16);
    memcpy(mc.home_agent, w->ha_addr, 16);
    w->mn = mip6_mn_install(w->mn_node, &mc, w->rec, err, sizeof err);
    if (!w->ha || !w->mn)
        abort();
    mip6_keys_derive(&w->keys, 3, 0, ESP_ENC_AES_128_CBC, ESP_AUTH_HMAC_SHA1_96);
    CHECK_EQ_INT(mip6_manual_sas(w->mn, w->ha, &w->keys, err, sizeof err), 0);
    w->mn_sas = w->mn->node.ipsec.n_sas;
    w->ha_sas = w->ha->node.ipsec.n_sas;

    struct mip6_tunnel_keys tk = {
        .protect = protect,
        .seed = 3,
        .mn_index = 0,
        .enc = ESP_ENC_AES_128_CBC,
        .auth = ESP_AUTH_HMAC_SHA1_96,
    };
    CHECK_EQ_INT(mip6_tunnel_sas(w->mn, w->ha, &tk, err, sizeof err), 0);

    mip6_cn_config_default(&cc);
    cc.ifindex = 0;
    memcpy(cc.address, w->cn_addr, 16);
    w->cn = mip6_cn_install(w->cn_node, &cc, w->rec, err, sizeof err);
    CHECK(w->cn != NULL);
    if (route_optimize)
        CHECK_EQ_INT(mip6_mn_route_optimize(w->mn, w->cn_addr, err, sizeof err), 0);
}

static void
teardown(struct world *w)
{
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    char name[128];

    testsim_reset();
    mip6_mn_free(w->mn);
    mip6_ha_free(w->ha);
    mip6_cn_free(w->cn);
    rec_close(w->rec, REC_COMPLETE);
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%s%s", w->db, suffixes[i]);
        unlink(name);
    }
}

/* Return the first column of a query on the run's database after a flush, or -999 on error. */
static long long
query_int(struct world *w, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -999;

    rec_flush(w->rec);
    if (sqlite3_open_v2(w->db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "query failed: %s: %s\n", sql, sqlite3_errmsg(db));
        check_failures++;
    } else if (sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* Drops recorded at node with the named reason. */
static long long
drops(struct world *w, uint32_t node, const char *reason)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM packet_event e JOIN drop_reason r ON r.id = e.drop_reason"
             " WHERE e.node = %u AND e.kind = 5 AND r.name = '%s'",
             node, reason);
    return query_int(w, sql);
}

/* Mobility events of one kind (enum rec_mob) at node. */
static long long
mobility_events(struct world *w, uint32_t node, enum rec_mob kind)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM mobility_event WHERE node = %u AND kind = %d",
             node, (int)kind);
    return query_int(w, sql);
}

/* A router advertisement, with the addresses as text. */
static size_t
build_ra(uint8_t *pkt, const char *router, const char *prefix)
{
    uint8_t r[16], p[16];
    testnet_addr(r, router);
    testnet_addr(p, prefix);
    return testnet_build_ra(pkt, r, p);
}

/* Move the mobile node to a foreign link. */
static void
attach(struct world *w, const char *router, const char *prefix)
{
    uint8_t r[16], p[16];
    testnet_addr(r, router);
    testnet_addr(p, prefix);
    testnet_move(w->mn_node, 0, mac_mn, r, p, true);
}

static void
go_home(struct world *w)
{
    uint8_t pkt[128];

    testsim_link(w->mn_node, 0, 0);
    testsim_link(w->mn_node, 0, 1);
    testsim_inject(w->mn_node, 0, pkt, build_ra(pkt, "fe80::1", "2001:1:0:1::"));
}

static size_t
build_udp(uint8_t *pkt, const uint8_t src[16], const uint8_t dst[16], uint8_t seq)
{
    uint8_t udp[20] = {0x30, 0x39, 0x13, 0x88, 0, 20, 0, 0, 0, 0, 0, seq};
    struct ip6_header h = {.payload_len = sizeof udp, .next_header = 17, .hop_limit = 64};
    struct wr w = wr_init(pkt, 128);

    memcpy(h.src, src, 16);
    memcpy(h.dst, dst, 16);
    ip6_write_header(&w, &h);
    wr_bytes(&w, udp, sizeof udp);
    return w.pos;
}

/* A whole IPv6 packet carrying a HoTI (or HoT, by type). */
static size_t
build_mh(uint8_t *pkt, size_t cap, const uint8_t src[16], const uint8_t dst[16], uint8_t type)
{
    struct mh_msg msg = {.type = type};
    struct ip6_header h = {.next_header = IP6_NH_MOBILITY, .hop_limit = 64};
    uint8_t mh[64];
    struct wr mw = wr_init(mh, sizeof mh);

    msg.test_init.cookie = 0x0123456789abcdefull;
    if (type == MH_HOT)
        msg.test.cookie = 0x0123456789abcdefull;
    CHECK_EQ_INT(mh_encode(&mw, &msg, src, dst), MH_OK);
    memcpy(h.src, src, 16);
    memcpy(h.dst, dst, 16);
    h.payload_len = mw.pos;
    struct wr w = wr_init(pkt, cap);
    ip6_write_header(&w, &h);
    wr_bytes(&w, mh, mw.pos);
    return w.pos;
}

static struct ipsec_sa *
find_sa(struct mip6_node *n, const char *name)
{
    for (size_t i = 0; i < n->ipsec.n_sas; i++)
        if (strcmp(n->ipsec.sas[i]->name, name) == 0)
            return n->ipsec.sas[i];
    return NULL;
}

/* Return the SA, or stop the test program when it is missing. */
static struct ipsec_sa *
must_find_sa(struct mip6_node *n, const char *name)
{
    struct ipsec_sa *sa = find_sa(n, name);
    if (!sa) {
        fprintf(stderr, "SA %s not installed\n", name);
        abort();
    }
    return sa;
}

/* Return the route optimization state for the test's correspondent, or
 * stop the test program when it is missing. */
static struct mip6_mn_cn *
must_find_cn(struct world *w)
{
    struct mip6_mn_cn *c = mip6_mn_ro_find(w->mn, w->cn_addr);
    if (!c) {
        fprintf(stderr, "correspondent not configured\n");
        abort();
    }
    return c;
}

static size_t
active_tunnel_policies(const struct mip6_node *n)
{
    size_t count = 0;
    for (size_t i = 0; i < n->ipsec.all.count; i++)
        if (n->ipsec.all.items[i]->sel.tunnel_iface && n->ipsec.all.items[i]->active)
            count++;
    return count;
}

/* The SPI of an ESP packet right after the fixed header, or 0. */
static uint32_t
esp_spi_of(const struct testsim_packet *s, struct ip6_packet *p)
{
    uint32_t spi = 0, seq = 0;

    if (ip6_parse(s->bytes, s->len, p) != IP6_OK || p->upper_proto != IP6_NH_ESP)
        return 0;
    esp_read_header(s->bytes + p->upper_offset, p->upper_len, &spi, &seq);
    return spi;
}

/* The index of the first packet at or after from that node sent under spi, or SIZE_MAX. */
static size_t
find_sent(uint32_t node, uint32_t spi, size_t from)
{
    struct ip6_packet p;

    for (size_t i = from; i < testsim_sent_count(); i++) {
        const struct testsim_packet *s = testsim_sent(i);
        if (s->node == node && esp_spi_of(s, &p) == spi)
            return i;
    }
    return SIZE_MAX;
}

static size_t
count_sent(uint32_t node, uint32_t spi)
{
    size_t n = 0;
    for (size_t i = find_sent(node, spi, 0); i != SIZE_MAX; i = find_sent(node, spi, i + 1))
        n++;
    return n;
}

/*
 * Decrypt a sent ESP packet with the receiver's SA: the Next Header goes
 * to *next_header and the payload to out.  Returns the payload length,
 * 0 when verification fails.
 */
static size_t
open_sent(struct ipsec_sa *rx, const struct testsim_packet *s, uint8_t *next_header, uint8_t *out,
          size_t cap)
{
    struct ip6_packet p;
    struct esp_inbound result;

    if (ip6_parse(s->bytes, s->len, &p) != IP6_OK ||
        esp_unprotect(&rx->esp, s->bytes + p.upper_offset, p.upper_len, out, cap, &result) !=
            ESP_OK)
        return 0;
    *next_header = result.next_header;
    return result.payload_len;
}

/* Send an IPv6 packet from node with a source address of the test's choice. */
static void
send_raw(uint32_t node, const uint8_t src[16], const uint8_t dst[16], uint8_t next_header,
         const uint8_t *payload, size_t len)
{
    CHECK_EQ_INT(sim_ipv6_send(node, 0, src, dst, next_header, payload, len, NULL), SIM_OK);
}

/* A home registration BU for the test's home address with care-of
 * address coa, sent from coa, in clear or under SA1's keys. */
static void
send_bu_from(struct world *w, const uint8_t coa[16], uint8_t flags, uint16_t seq, bool protect)
{
    uint8_t mh[64], payload[256];
    struct wr mw = wr_init(mh, sizeof mh);
    struct mh_msg msg = {.type = MH_BU};

    msg.bu.seq = seq;
    msg.bu.flags = flags;
    msg.bu.lifetime = 100;
    msg.bu.has_alt_coa = true;
    memcpy(msg.bu.alt_coa, coa, 16);
    CHECK_EQ_INT(mh_encode(&mw, &msg, w->hoa, w->ha_addr), MH_OK);

    struct wr pw = wr_init(payload, sizeof payload);
    ip6_write_dest_opts_hao(&pw, protect ? IP6_NH_ESP : IP6_NH_MOBILITY, w->hoa);
    if (protect) {
        struct esp_sa sa;
        CHECK_EQ_INT(esp_sa_init(&sa, w->keys.spi_mn_to_ha, w->keys.enc, w->keys.enc_key_mn_to_ha,
                                 ESP_AES_KEY_LEN, w->keys.auth, w->keys.auth_key_mn_to_ha,
                                 ESP_HMAC_SHA1_KEY_LEN),
                     ESP_OK);
        sa.seq = 1000;
        CHECK_EQ_INT(esp_protect(&sa, IP6_NH_MOBILITY, mh, mw.pos, &pw), ESP_OK);
        esp_sa_free(&sa);
    } else {
        wr_bytes(&pw, mh, mw.pos);
    }
    send_raw(w->mn_node, coa, w->ha_addr, IP6_NH_DEST_OPTS, payload, pw.pos);
}

/* ESP tunnel mode around inner under sa (the mobile node's SA3), sent
 * from outer_src to the home agent. */
static void
send_esp_tunnel(struct world *w, struct ipsec_sa *sa, const uint8_t outer_src[16],
                uint8_t next_header, const uint8_t *inner, size_t inner_len, bool corrupt)
{
    uint8_t buf[512];
    struct wr ew = wr_init(buf, sizeof buf);

    CHECK_EQ_INT(esp_protect(&sa->esp, next_header, inner, inner_len, &ew), ESP_OK);
    if (corrupt)
        buf[40] ^= 0x01;
    send_raw(w->mn_node, outer_src, w->ha_addr, IP6_NH_ESP, buf, ew.pos);
}

/* ---- RFC 3776 §3.2: HoTI and HoT in ESP tunnel mode ---- */

static void
test_hoti_leaves_in_esp_tunnel(void)
{
    struct world w;
    struct ip6_packet p;
    uint8_t inner[256], nh = 0;
    setup(&w, MIP6_TUNNEL_ESP_RR, true);

    attach(&w, "fe80::2", "2001:1:0:2::");
    testsim_run_until(3 * S);
    CHECK_EQ_INT(w.mn->state, MN_REGISTERED);
    struct ipsec_sa *sa3 = must_find_sa(&w.mn->node, "SA3");
    struct ipsec_sa *sa3_ha = must_find_sa(&w.ha->node, "SA3");
    CHECK_EQ_INT(sa3->esp.spi, sa3_ha->esp.spi);

    /* RFC 3776 §3.2: outer CoA -> HA, ESP right after the fixed header
     * under SA3, no Home Address option. */
    size_t i = find_sent(w.mn_node, sa3->esp.spi, 0);
    CHECK(i != SIZE_MAX);
    if (i == SIZE_MAX) {
        teardown(&w);
        return;
    }
    const struct testsim_packet *s = testsim_sent(i);
    CHECK_EQ_INT(esp_spi_of(s, &p), sa3->esp.spi);
    CHECK_EQ_INT(p.hdr.next_header, IP6_NH_ESP);
    CHECK(!p.has_hao);
    CHECK(!p.has_rh2);
    CHECK_EQ_MEM(p.hdr.src, w.mn->coa, 16);
    CHECK_EQ_MEM(p.hdr.dst, w.ha_addr, 16);

    /* Inside: Next Header 41, inner HoA -> CN carrying a HoTI. */
    size_t n = open_sent(sa3_ha, s, &nh, inner, sizeof inner);
    CHECK(n > 0);
    CHECK_EQ_INT(nh, IP6_NH_IPV6);
    struct ip6_packet ip;
    CHECK_EQ_INT(ip6_parse(inner, n, &ip), IP6_OK);
    CHECK_EQ_MEM(ip.hdr.src, w.hoa, 16);
    CHECK_EQ_MEM(ip.hdr.dst, w.cn_addr, 16);
    CHECK_EQ_INT(ip.upper_proto, IP6_NH_MOBILITY);
    CHECK_EQ_INT(inner[ip.upper_offset + 2], MH_HOTI);

    /* By default no HoTI goes out in plain IPv6-in-IPv6 (RFC 3776 §4.1). */
    for (size_t k = 0; k < testsim_sent_count(); k++) {
        const struct testsim_packet *t = testsim_sent(k);
        if (t->node == w.mn_node && ip6_parse(t->bytes, t->len, &p) == IP6_OK)
            CHECK(p.upper_proto != IP6_NH_IPV6);
    }

    /* Return routability completed through the protected tunnel. */
    struct mip6_mn_cn *c = must_find_cn(&w);
    CHECK(c->have_home_token);
    CHECK(c->bound);
    CHECK_EQ_INT(mobility_events(&w, w.cn_node, REC_MOB_HOTI_RECEIVED), 1);
    CHECK_EQ_INT(w.mn->node.drops, 0);
    CHECK_EQ_INT(w.ha->node.drops, 0);

    /* The database has the encap with its inner packet, the ESP events
     * and the home agent's decap of the HoTI. */
    char sql[200];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM packet_event WHERE node = %u AND kind = 7"
             " AND inner_protocol = 135",
             w.mn_node);
    CHECK_EQ_INT(query_int(&w, sql), 1);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM packet_event WHERE node = %u AND kind = 9 AND spi = %u",
             w.mn_node, sa3->esp.spi);
    CHECK_EQ_INT(query_int(&w, sql), 1);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM packet_event WHERE node = %u AND kind = 10 AND spi = %u",
             w.ha_node, sa3->esp.spi);
    CHECK_EQ_INT(query_int(&w, sql), 1);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM packet_event WHERE node = %u AND kind = 8"
             " AND inner_protocol = 135",
             w.ha_node);
    CHECK_EQ_INT(query_int(&w, sql), 1);
    teardown(&w);
}

static void
test_hot_follows_care_of_address(void)
{
    struct world w;
    struct ip6_packet p;
    uint8_t inner[256], nh = 0, first_coa[16];
    setup(&w, MIP6_TUNNEL_ESP_RR, true);

    attach(&w, "fe80::2", "2001:1:0:2::");
    testsim_run_until(3 * S);
    memcpy(first_coa, w.mn->coa, 16);
    struct ipsec_sa *sa4 = must_find_sa(&w.ha->node, "SA4");
    struct ipsec_sa *sa4_mn = must_find_sa(&w.mn->node, "SA4");

    /* RFC 3776 §3.2: HA -> current CoA under SA4, inner CN -> HoA HoT. */
    size_t i = find_sent(w.ha_node, sa4->esp.spi, 0);
    CHECK(i != SIZE_MAX);
    if (i == SIZE_MAX) {
        teardown(&w);
        return;
    }
    const struct testsim_packet *s = testsim_sent(i);
    CHECK_EQ_INT(esp_spi_of(s, &p), sa4->esp.spi);
    CHECK_EQ_INT(p.hdr.next_header, IP6_NH_ESP);
    CHECK_EQ_MEM(p.hdr.src, w.ha_addr, 16);
    CHECK_EQ_MEM(p.hdr.dst, first_coa, 16);
    size_t n = open_sent(sa4_mn, s, &nh, inner, sizeof inner);
    CHECK_EQ_INT(nh, IP6_NH_IPV6);
    struct ip6_packet ip;
    CHECK_EQ_INT(ip6_parse(inner, n, &ip), IP6_OK);
    CHECK_EQ_MEM(ip.hdr.src, w.cn_addr, 16);
    CHECK_EQ_MEM(ip.hdr.dst, w.hoa, 16);
    CHECK_EQ_INT(inner[ip.upper_offset + 2], MH_HOT);
    struct mip6_mn_cn *c = must_find_cn(&w);
    CHECK(c->have_home_token);

    /* RFC 3776 §4.3: after the BU from the second link the next HoT goes
     * to the new CoA under the same SPI. */
    size_t before = testsim_sent_count();
    attach(&w, "fe80::3", "2001:1:0:3::");
    testsim_run_until(6 * S);
    CHECK_EQ_INT(w.mn->state, MN_REGISTERED);
    CHECK(memcmp(first_coa, w.mn->coa, 16) != 0);
    i = find_sent(w.ha_node, sa4->esp.spi, before);
    CHECK(i != SIZE_MAX);
    if (i != SIZE_MAX) {
        s = testsim_sent(i);
        CHECK_EQ_INT(esp_spi_of(s, &p), sa4->esp.spi);
        CHECK_EQ_MEM(p.hdr.dst, w.mn->coa, 16);
    }
    CHECK_EQ_MEM(sa4->tunnel_dst, w.mn->coa, 16);
    CHECK(c->bound);
    CHECK_EQ_INT(mobility_events(&w, w.mn_node, REC_MOB_HOT_RECEIVED), 2);
    teardown(&w);
}

/* Lose every packet with a Destination Options header to the home agent:
 * the mobile node's BUs. */
static bool
lose_bus(const uint8_t *pkt, size_t len)
{
    static const uint8_t ha[16] = {0x20, 0x01, 0, 1, 0, 0, 0, 1, [15] = 1};
    return len > 40 && pkt[6] == IP6_NH_DEST_OPTS && memcmp(pkt + 24, ha, 16) == 0;
}

/* RFC 3776 §4.3: the mobile node switches right after the BU. */
static void
test_first_tunnel_packet_after_bu_uses_new_coa(void)
{
    struct world w;
    struct ip6_packet p;
    uint8_t pkt[128], old_coa[16];
    setup(&w, MIP6_TUNNEL_ESP_ALL, false);

    attach(&w, "fe80::2", "2001:1:0:2::");
    testsim_run_until(3 * S);
    CHECK_EQ_INT(w.mn->state, MN_REGISTERED);
    memcpy(old_coa, w.mn->coa, 16);
    struct ipsec_sa *sa7 = must_find_sa(&w.mn->node, "SA7");
    struct ipsec_sa *sa8_ha = must_find_sa(&w.ha->node, "SA8");

    /* The care-of address becomes usable 1 s + 1 us after the move and
     * the BU goes out then.  The network loses it, so the home agent
     * keeps the old binding until the retransmission 1 s later. */
    testsim_set_loss(lose_bus);
    uint64_t moved = sim_now_ns();
    attach(&w, "fe80::3", "2001:1:0:3::");
    testsim_run_until(moved + 1 * S + 10000);
    CHECK_EQ_INT(w.mn->state, MN_REGISTERING);
    CHECK(memcmp(old_coa, w.mn->coa, 16) != 0);
    CHECK_EQ_MEM(sa7->tunnel_src, w.mn->coa, 16);
    /* The home agent has not accepted the BU, so it still sends to the old
     * care-of address (RFC 3776 §4.3 moves it only after accepting). */
    CHECK_EQ_MEM(sa8_ha->tunnel_dst, old_coa, 16);
    struct mip6_binding *b = mip6_ha_binding(w.ha, w.hoa);
    CHECK(b != NULL);
    if (!b) {
        teardown(&w);
        return;
    }
    CHECK_EQ_MEM(b->coa, old_coa, 16);

    size_t before = testsim_sent_count();
    testsim_send_local(w.mn_node, pkt, build_udp(pkt, w.hoa, w.cn_addr, 9));
    size_t i = find_sent(w.mn_node, sa7->esp.spi, before);
    CHECK(i != SIZE_MAX);
    if (i != SIZE_MAX) {
        CHECK_EQ_INT(esp_spi_of(testsim_sent(i), &p), sa7->esp.spi);
        CHECK_EQ_MEM(p.hdr.src, w.mn->coa, 16);
        CHECK_EQ_MEM(p.hdr.dst, w.ha_addr, 16);
    }

    /* RFC 6275 §10.4.5: under ESP tunnel mode the home agent takes the new
     * outer source before the binding changes and forwards the packet. */
    size_t delivered = testsim_delivered_count();
    testsim_run_until(moved + 1 * S + 10 * MS);
    CHECK_EQ_MEM(b->coa, old_coa, 16);
    CHECK_EQ_INT(w.ha->node.drops, 0);
    bool reached_cn = false;
    for (size_t k = delivered; k < testsim_delivered_count(); k++) {
        const struct testsim_packet *d = testsim_delivered(k);
        reached_cn = reached_cn || (d->node == w.cn_node && d->len == 60 && d->bytes[51] == 9);
    }
    CHECK(reached_cn);

    /* The retransmitted BU gets through and moves the home agent's end. */
    testsim_set_loss(NULL);
    testsim_run_until(moved + 3 * S);
    CHECK_EQ_INT(w.mn->state, MN_REGISTERED);
    CHECK_EQ_MEM(sa8_ha->tunnel_dst, w.mn->coa, 16);
    teardown(&w);
}

/*
 * RFC 3776 §4.3 read strictly: a home agent with strict_tunnel_source
 * takes tunnel-mode ESP only from the care-of address of the last
 * accepted BU, so the packet the mobile node sends from its new address
 * before the BU is accepted is lost, and after the BA the old address is
 * no longer accepted.
 */
static void
test_strict_tunnel_source(void)
{
    struct world w;
    uint8_t pkt[128], inner[128], old_coa[16];
    setup(&w, MIP6_TUNNEL_ESP_ALL, false);
    w.ha->cfg.strict_tunnel_source = true;

    attach(&w, "fe80::2", "2001:1:0:2::");
    testsim_run_until(3 * S);
    CHECK_EQ_INT(w.mn->state, MN_REGISTERED);
    memcpy(old_coa, w.mn->coa, 16);
    struct ipsec_sa *sa7 = must_find_sa(&w.mn->node, "SA7");

    testsim_set_loss(lose_bus);
    uint64_t moved = sim_now_ns();
    attach(&w, "fe80::3", "2001:1:0:3::");
    testsim_run_until(moved + 1 * S + 10000);
    CHECK_EQ_INT(w.mn->state, MN_REGISTERING);

    /* From the new care-of address before the home agent accepted it. */
    testsim_send_local(w.mn_node, pkt, build_udp(pkt, w.hoa, w.cn_addr, 9));
    testsim_run_until(moved + 1 * S + 10 * MS);
    CHECK_EQ_INT(drops(&w, w.ha_node, "tunnel_source"), 1);

    /* After the retransmitted BU is accepted the new address works. */
    testsim_set_loss(NULL);
    testsim_run_until(moved + 3 * S);
    CHECK_EQ_INT(w.mn->state, MN_REGISTERED);
    size_t delivered = testsim_delivered_count();
    testsim_send_local(w.mn_node, pkt, build_udp(pkt, w.hoa, w.cn_addr, 10));
    testsim_run_until(sim_now_ns() + 10 * MS);
    bool reached_cn = false;
    for (size_t k = delivered; k < testsim_delivered_count(); k++) {
        const struct testsim_packet *d = testsim_delivered(k);
        reached_cn = reached_cn || (d->node == w.cn_node && d->len == 60 && d->bytes[51] == 10);
    }
    CHECK(reached_cn);

    /* And the old one no longer does, even with valid keys. */
    size_t inner_len = build_udp(inner, w.hoa, w.cn_addr, 11);
    send_esp_tunnel(&w, sa7, old_coa, IP6_NH_IPV6, inner, inner_len, false);
    testsim_run_until(sim_now_ns() + 10 * MS);
    CHECK_EQ_INT(drops(&w, w.ha_node, "tunnel_source"), 2);
    teardown(&w);
}

/* ---- RFC 3776 §4.2: only the tunnel interface uses the tunnel SAs ---- */

static void
test_bu_never_uses_tunnel_sa(void)
{
    struct world w;
    struct ip6_packet p;
    setup(&w, MIP6_TUNNEL_ESP_RR, true);

    attach(&w, "fe80::2", "2001:1:0:2::");
    testsim_run_until(3 * S);
    struct ipsec_sa *sa1 = must_find_sa(&w.mn->node, "SA1");
    struct ipsec_sa *sa3 = must_find_sa(&w.mn->node, "SA3");
    struct mip6_mn_cn *c = must_find_cn(&w);
    CHECK(c->bound);

    /* No packet with a Home Address option to the home agent, the BU among
     * them, is under SA3.  SA1 carried the one BU and SA3 the one HoTI. */
    size_t bus = 0, correspondent_bus = 0;
    for (size_t k = 0; k < testsim_sent_count(); k++) {
        const struct testsim_packet *s = testsim_sent(k);
        if (s->node != w.mn_node || ip6_parse(s->bytes, s->len, &p) != IP6_OK || !p.has_hao)
            continue;
        if (memcmp(p.hdr.dst, w.ha_addr, 16) == 0) {
            uint32_t spi = esp_spi_of(s, &p);
            CHECK(spi != sa3->esp.spi);
            bus += spi == sa1->esp.spi;
        } else if (memcmp(p.hdr.dst, w.cn_addr, 16) == 0 && p.upper_proto == IP6_NH_MOBILITY) {
            /* The correspondent BU is MH from the home address too, but
             * it does not enter the tunnel, so it stays without ESP. */
            correspondent_bus++;
            CHECK_EQ_INT(s->bytes[p.upper_offset + 2], MH_BU);
        }
    }
    CHECK_EQ_INT(bus, 1);
    CHECK_EQ_INT(correspondent_bus, 1);
    CHECK_EQ_INT(count_sent(w.mn_node, sa3->esp.spi), 1);
    CHECK_EQ_INT(sa3->esp.seq, 1);
    CHECK_EQ_INT(sa3->packets, 1);

    /* In the SPD a HoTI-shaped packet outside the tunnel matches no tunnel
     * entry, and inside the tunnel it takes SA3. */
    uint8_t hoti[128];
    size_t len = build_mh(hoti, sizeof hoti, w.hoa, w.cn_addr, MH_HOTI);
    struct ipsec_packet view = {
        .src = w.hoa, .dst = w.cn_addr, .proto = IP6_NH_MOBILITY, .tunnel_iface = false};
    ipsec_packet_read_next_layer(&view, hoti + IP6_HEADER_LEN, len - IP6_HEADER_LEN);
    CHECK(ipsec_policy_lookup(&w.mn->node.ipsec, IPSEC_OUT, &view) == NULL);
    view.tunnel_iface = true;
    struct ipsec_policy *policy = ipsec_policy_lookup(&w.mn->node.ipsec, IPSEC_OUT, &view);
    CHECK(policy != NULL);
    if (policy)
        CHECK(policy->sa == sa3);
    /* A BU to the home agent takes SA1, the entry before the tunnel's. */
    view.dst = w.ha_addr;
    view.tunnel_iface = false;
    view.mh_type = MH_BU;
    policy = ipsec_policy_lookup(&w.mn->node.ipsec, IPSEC_OUT, &view);
    CHECK(policy != NULL);
    if (policy)
        CHECK(policy->sa == sa1);
    teardown(&w);
}

/* ---- RFC 3776 §4.1, §6.6: inbound checks at the home agent ---- */

static void
test_plain_hoti_dropped_at_home_agent(void)
{
    struct world w;
    uint8_t hoti[128];
    setup(&w, MIP6_TUNNEL_ESP_RR, false);

    attach(&w, "fe80::2", "2001:1:0:2::");
    testsim_run_until(3 * S);
    CHECK_EQ_INT(w.mn->state, MN_REGISTERED);

    /* Right outer source and binding, but no ESP although SA3's policy
     * requires it. */
    size_t len = build_mh(hoti, sizeof hoti, w.hoa, w.cn_addr, MH_HOTI);
    send_raw(w.mn_node, w.mn->coa, w.ha_addr, IP6_NH_IPV6, hoti, len);
    testsim_run_until(4 * S);
    CHECK_EQ_INT(w.ha->node.drops, 1);
    CHECK_EQ_INT(drops(&w, w.ha_node, "clear_text"), 1);
    CHECK_EQ_INT(mobility_events(&w, w.cn_node, REC_MOB_HOTI_RECEIVED), 0);

    /* Plain payload passes, because the return routability entries select MH only. */
    size_t delivered = testsim_delivered_count();
    uint8_t udp[128];
    send_raw(w.mn_node, w.mn->coa, w.ha_addr, IP6_NH_IPV6, udp,
             build_udp(udp, w.hoa, w.cn_addr, 5));
    testsim_run_until(5 * S);
    CHECK_EQ_INT(testsim_delivered_count(), delivered + 1);
    CHECK_EQ_INT(w.ha->node.drops, 1);
    teardown(&w);
}

static void
test_plain_hoti_forwarded_without_tunnel_sas(void)
{
    struct world w;
    uint8_t hoti[128];
    setup(&w, MIP6_TUNNEL_ESP_NONE, false);

    attach(&w, "fe80::2", "2001:1:0:2::");
    testsim_run_until(3 * S);
    CHECK_EQ_INT(w.mn->node.ipsec.n_sas, w.mn_sas);
    CHECK_EQ_INT(w.ha->node.ipsec.n_sas, w.ha_sas);
    CHECK(find_sa(&w.mn->node, "SA3") == NULL);

    size_t len = build_mh(hoti, sizeof hoti, w.hoa, w.cn_addr, MH_HOTI);
    send_raw(w.mn_node, w.mn->coa, w.ha_addr, IP6_NH_IPV6, hoti, len);
    testsim_run_until(4 * S);
    CHECK_EQ_INT(w.ha->node.drops, 0);
    CHECK_EQ_INT(mobility_events(&w, w.cn_node, REC_MOB_HOTI_RECEIVED), 1);
    teardown(&w);
}

static void
test_tunnel_esp_checks_at_home_agent(void)
{
    struct world w;
    uint8_t inner[128], other[16];
    setup(&w, MIP6_TUNNEL_ESP_RR, false);

    attach(&w, "fe80::2", "2001:1:0:2::");
    testsim_run_until(3 * S);
    struct ipsec_sa *sa3 = must_find_sa(&w.mn->node, "SA3");
    size_t len = build_mh(inner, sizeof inner, w.hoa, w.cn_addr, MH_HOTI);

    /* A valid protected HoTI passes. */
    send_esp_tunnel(&w, sa3, w.mn->coa, IP6_NH_IPV6, inner, len, false);
    testsim_run_until(4 * S);
    CHECK_EQ_INT(w.ha->node.drops, 0);
    CHECK_EQ_INT(mobility_events(&w, w.cn_node, REC_MOB_HOTI_RECEIVED), 1);

    /* A flipped ciphertext bit fails the ICV. */
    send_esp_tunnel(&w, sa3, w.mn->coa, IP6_NH_IPV6, inner, len, true);
    testsim_run_until(5 * S);
    CHECK_EQ_INT(drops(&w, w.ha_node, "esp_icv"), 1);

    /* RFC 3776 §6.6 step 3: an inner source other than SA3's home address
     * is outside the SA's selectors. */
    testnet_addr(other, "2001:1:0:1::77");
    len = build_mh(inner, sizeof inner, other, w.cn_addr, MH_HOTI);
    send_esp_tunnel(&w, sa3, w.mn->coa, IP6_NH_IPV6, inner, len, false);
    testsim_run_until(6 * S);
    CHECK_EQ_INT(drops(&w, w.ha_node, "policy"), 1);

    /* A tunnel-mode SA carries whole IPv6 packets only. */
    send_esp_tunnel(&w, sa3, w.mn->coa, IP6_NH_MOBILITY, inner + IP6_HEADER_LEN,
                    len - IP6_HEADER_LEN, false);
    testsim_run_until(7 * S);
    CHECK_EQ_INT(drops(&w, w.ha_node, "esp_next_header"), 1);

    CHECK_EQ_INT(mobility_events(&w, w.cn_node, REC_MOB_HOTI_RECEIVED), 1);
    CHECK_EQ_INT(w.ha->node.drops, 3);
    teardown(&w);
}

/* RFC 3776 §4.1, §6.8: the mobile node takes a HoT only inside ESP, from
 * its home agent, at its current care-of address. */
static void
test_mobile_node_input_checks(void)
{
    struct world w;
    uint8_t hot[128], esp[256], pkt[512];
    setup(&w, MIP6_TUNNEL_ESP_RR, false);

    attach(&w, "fe80::2", "2001:1:0:2::");
    testsim_run_until(3 * S);
    size_t len = build_mh(hot, sizeof hot, w.cn_addr, w.hoa, MH_HOT);
    send_raw(w.ha_node, w.ha_addr, w.mn->coa, IP6_NH_IPV6, hot, len);
    testsim_run_until(4 * S);
    CHECK_EQ_INT(w.mn->node.drops, 1);
    CHECK_EQ_INT(drops(&w, w.mn_node, "clear_text"), 1);

    /* A HoT under the home agent's SA4 keys, but from another source. */
    struct ipsec_sa *sa4 = must_find_sa(&w.ha->node, "SA4");
    struct wr ew = wr_init(esp, sizeof esp);
    CHECK_EQ_INT(esp_protect(&sa4->esp, IP6_NH_IPV6, hot, len, &ew), ESP_OK);
    send_raw(w.cn_node, w.cn_addr, w.mn->coa, IP6_NH_ESP, esp, ew.pos);
    testsim_run_until(5 * S);
    CHECK_EQ_INT(drops(&w, w.mn_node, "tunnel_source"), 1);

    /* The same to the home address instead of the care-of address, which
     * is SA4's outer destination. */
    struct ip6_header h = {.payload_len = ew.pos, .next_header = IP6_NH_ESP, .hop_limit = 64};
    memcpy(h.src, w.ha_addr, 16);
    memcpy(h.dst, w.hoa, 16);
    struct wr pw = wr_init(pkt, sizeof pkt);
    ip6_write_header(&pw, &h);
    wr_bytes(&pw, esp, ew.pos);
    testsim_inject(w.mn_node, 0, pkt, pw.pos);
    CHECK_EQ_INT(drops(&w, w.mn_node, "esp_tunnel_outer"), 1);

    /* To the care-of address from the home agent it passes IPsec and
     * reaches route optimization, which has no correspondent here. */
    send_raw(w.ha_node, w.ha_addr, w.mn->coa, IP6_NH_ESP, esp, ew.pos);
    testsim_run_until(6 * S);
    CHECK_EQ_INT(drops(&w, w.mn_node, "mh_invalid"), 1);
    CHECK_EQ_INT(w.mn->node.drops, 4);
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM packet_event WHERE node = %u AND kind = 10 AND spi = %u",
             w.mn_node, sa4->esp.spi);
    CHECK_EQ_INT(query_int(&w, sql), 1);
    teardown(&w);
}

/* ---- RFC 3776 §4.3: only a protected BU moves the tunnel SAs ---- */

static void
test_unprotected_input_cannot_move_tunnel_sa(void)
{
    struct world w;
    uint8_t coa[16], other[16], pkt[128];
    setup(&w, MIP6_TUNNEL_ESP_RR, true);

    attach(&w, "fe80::2", "2001:1:0:2::");
    testsim_run_until(3 * S);
    memcpy(coa, w.mn->coa, 16);
    testnet_addr(other, "2001:1:0:7::77");
    struct ipsec_sa *sa4 = must_find_sa(&w.ha->node, "SA4");
    struct ipsec_sa *sa3 = must_find_sa(&w.ha->node, "SA3");
    struct mip6_binding *b = mip6_ha_binding(w.ha, w.hoa);
    CHECK(b != NULL);
    if (!b) {
        teardown(&w);
        return;
    }
    CHECK_EQ_MEM(sa4->tunnel_dst, coa, 16);
    uint16_t seq = b->last_seq;

    /* A BU in clear for the home address from another address. */
    send_bu_from(&w, other, MH_BU_FLAG_A | MH_BU_FLAG_H, (uint16_t)(seq + 1), false);
    testsim_run_until(4 * S);
    CHECK_EQ_INT(drops(&w, w.ha_node, "clear_text"), 1);
    CHECK_EQ_MEM(sa4->tunnel_dst, coa, 16);
    CHECK_EQ_MEM(sa3->tunnel_src, coa, 16);
    CHECK_EQ_MEM(b->coa, coa, 16);

    /* A correspondent registration (H clear) is not for the home agent,
     * even under SA1's keys. */
    send_bu_from(&w, other, MH_BU_FLAG_A, (uint16_t)(seq + 1), true);
    testsim_run_until(5 * S);
    CHECK_EQ_INT(drops(&w, w.ha_node, "mh_invalid"), 1);
    CHECK_EQ_MEM(sa4->tunnel_dst, coa, 16);

    /* A plain reverse-tunnelled packet from another address. */
    send_raw(w.mn_node, other, w.ha_addr, IP6_NH_IPV6, pkt, build_udp(pkt, w.hoa, w.cn_addr, 3));
    testsim_run_until(6 * S);
    CHECK_EQ_INT(drops(&w, w.ha_node, "tunnel_source"), 1);
    CHECK_EQ_MEM(sa4->tunnel_dst, coa, 16);

    /* A HoTI under the mobile node's own SA3 keys from another address is
     * forwarded (RFC 6275 §10.4.5), yet the HoT still goes to the
     * registered care-of address. */
    size_t len = build_mh(pkt, sizeof pkt, w.hoa, w.cn_addr, MH_HOTI);
    size_t before = testsim_sent_count();
    send_esp_tunnel(&w, must_find_sa(&w.mn->node, "SA3"), other, IP6_NH_IPV6, pkt, len, false);
    testsim_run_until(7 * S);
    CHECK_EQ_INT(mobility_events(&w, w.cn_node, REC_MOB_HOTI_RECEIVED), 2);
    size_t i = find_sent(w.ha_node, sa4->esp.spi, before);
    CHECK(i != SIZE_MAX);
    if (i != SIZE_MAX)
        CHECK_EQ_MEM(testsim_sent(i)->bytes + 24, coa, 16);
    CHECK_EQ_MEM(sa4->tunnel_dst, coa, 16);
    CHECK_EQ_MEM(sa3->tunnel_src, coa, 16);
    CHECK_EQ_MEM(b->coa, coa, 16);
    CHECK_EQ_INT(b->last_seq, seq);
    teardown(&w);
}

/* ---- RFC 3776 §4.3: return routability SAs need both algorithms ---- */

static void
test_null_encryption_rr_sa_rejected(void)
{
    struct world w;
    char err[512] = "";
    setup(&w, MIP6_TUNNEL_ESP_NONE, false);
    struct mip6_tunnel_keys tk = {
        .protect = MIP6_TUNNEL_ESP_RR,
        .seed = 3,
        .enc = ESP_ENC_NULL,
        .auth = ESP_AUTH_HMAC_SHA1_96,
    };

    CHECK_EQ_INT(mip6_tunnel_sas(w.mn, w.ha, &tk, err, sizeof err), -1);
    CHECK(strstr(err, "encryption") != NULL);
    CHECK(strstr(err, "4.3") != NULL);
    CHECK_EQ_INT(w.mn->node.ipsec.n_sas, w.mn_sas);
    CHECK_EQ_INT(w.ha->node.ipsec.n_sas, w.ha_sas);

    tk.enc = ESP_ENC_AES_128_CBC;
    tk.auth = ESP_AUTH_NULL;
    CHECK_EQ_INT(mip6_tunnel_sas(w.mn, w.ha, &tk, err, sizeof err), -1);
    CHECK(strstr(err, "authentication") != NULL);
    CHECK_EQ_INT(w.mn->node.ipsec.n_sas, w.mn_sas);

    /* Payload SAs for every protocol admit HoTI and HoT too. */
    tk.protect = MIP6_TUNNEL_ESP_ALL;
    tk.enc = ESP_ENC_NULL;
    tk.auth = ESP_AUTH_HMAC_SHA1_96;
    CHECK_EQ_INT(mip6_tunnel_sas(w.mn, w.ha, &tk, err, sizeof err), -1);
    CHECK_EQ_INT(w.ha->node.ipsec.n_sas, w.ha_sas);

    /* Valid algorithms install SA3 and SA4 on both nodes.  The same SPIs a
     * second time change neither node. */
    tk.protect = MIP6_TUNNEL_ESP_RR;
    tk.enc = ESP_ENC_AES_128_CBC;
    CHECK_EQ_INT(mip6_tunnel_sas(w.mn, w.ha, &tk, err, sizeof err), 0);
    CHECK_EQ_INT(w.mn->node.ipsec.n_sas, w.mn_sas + 2);
    CHECK_EQ_INT(w.ha->node.ipsec.n_sas, w.ha_sas + 2);
    CHECK_EQ_INT(mip6_tunnel_sas(w.mn, w.ha, &tk, err, sizeof err), -1);
    CHECK(strstr(err, "already in use") != NULL);
    CHECK_EQ_INT(w.mn->node.ipsec.n_sas, w.mn_sas + 2);
    CHECK_EQ_INT(w.ha->node.ipsec.n_sas, w.ha_sas + 2);

    /* A second mobile node given the first one's index: only the home
     * agent's SAD has the SPIs, and the second node stays unchanged too. */
    struct mip6_mn_config mc;
    struct mip6_keys keys2;
    static const uint8_t mac2[6] = {0x02, 0, 0, 0, 0, 0x11};
    uint32_t node2 = testsim_add_node();
    testsim_add_iface(node2, mac2);
    mip6_mn_config_default(&mc);
    ip6_addr_from_prefix_mac(mc.home_address, w.home_prefix, mac2);
    memcpy(mc.home_prefix, w.home_prefix, 16);
    memcpy(mc.home_agent, w.ha_addr, 16);
    struct mip6_mn *mn2 = mip6_mn_install(node2, &mc, NULL, err, sizeof err);
    CHECK(mn2 != NULL);
    if (mn2) {
        mip6_keys_derive(&keys2, 3, 1, ESP_ENC_AES_128_CBC, ESP_AUTH_HMAC_SHA1_96);
        CHECK_EQ_INT(mip6_manual_sas(mn2, w.ha, &keys2, err, sizeof err), 0);
        size_t mn2_sas = mn2->node.ipsec.n_sas, ha_sas = w.ha->node.ipsec.n_sas;
        CHECK_EQ_INT(mip6_tunnel_sas(mn2, w.ha, &tk, err, sizeof err), -1);
        CHECK(strstr(err, "already in use") != NULL);
        CHECK_EQ_INT(mn2->node.ipsec.n_sas, mn2_sas);
        CHECK_EQ_INT(w.ha->node.ipsec.n_sas, ha_sas);
        tk.mn_index = 1;
        CHECK_EQ_INT(mip6_tunnel_sas(mn2, w.ha, &tk, err, sizeof err), 0);
        CHECK_EQ_INT(mn2->node.ipsec.n_sas, mn2_sas + 2);
    }
    teardown(&w);
    mip6_mn_free(mn2);
}

/* ---- RFC 3776 §4.2: the return home ---- */

static void
test_return_home_keeps_tunnel_sas(void)
{
    struct world w;
    struct ip6_packet p;
    setup(&w, MIP6_TUNNEL_ESP_RR, true);
    struct ipsec_sa *sa3 = must_find_sa(&w.mn->node, "SA3");
    struct ipsec_sa *sa4 = must_find_sa(&w.ha->node, "SA4");
    uint32_t spi1 = w.keys.spi_mn_to_ha;

    /* At home from the start: the tunnel entries are installed inactive. */
    CHECK_EQ_INT(active_tunnel_policies(&w.mn->node), 0);
    CHECK_EQ_INT(active_tunnel_policies(&w.ha->node), 0);

    attach(&w, "fe80::2", "2001:1:0:2::");
    testsim_run_until(3 * S);
    CHECK_EQ_INT(w.mn->state, MN_REGISTERED);
    CHECK_EQ_INT(active_tunnel_policies(&w.mn->node), 2);
    CHECK_EQ_INT(active_tunnel_policies(&w.ha->node), 2);
    CHECK_EQ_INT(count_sent(w.mn_node, sa3->esp.spi), 1);
    uint32_t sa3_seq = sa3->esp.seq;

    /* Home again, the node de-registers.  The tunnel entries go inactive
     * on both nodes, and every SA stays, manual tunnel SAs included. */
    go_home(&w);
    testsim_run_until(4 * S);
    CHECK_EQ_INT(w.mn->state, MN_AT_HOME);
    CHECK(mip6_ha_binding(w.ha, w.hoa) == NULL);
    CHECK_EQ_INT(active_tunnel_policies(&w.mn->node), 0);
    CHECK_EQ_INT(active_tunnel_policies(&w.ha->node), 0);
    CHECK_EQ_INT(w.mn->node.ipsec.n_sas, w.mn_sas + 2);
    CHECK_EQ_INT(w.ha->node.ipsec.n_sas, w.ha_sas + 2);
    CHECK(find_sa(&w.mn->node, "SA1") != NULL);
    CHECK(find_sa(&w.mn->node, "SA2") != NULL);
    CHECK(find_sa(&w.ha->node, "SA1") != NULL);
    CHECK(find_sa(&w.ha->node, "SA2") != NULL);

    /* Away again, SA1 carries the BU and SA3 and SA4 the return
     * routability, with the same SPIs and sequence numbers that go on
     * counting. */
    size_t before = testsim_sent_count();
    attach(&w, "fe80::3", "2001:1:0:3::");
    testsim_run_until(7 * S);
    CHECK_EQ_INT(w.mn->state, MN_REGISTERED);
    CHECK(find_sent(w.mn_node, spi1, before) != SIZE_MAX);
    CHECK_EQ_INT(active_tunnel_policies(&w.mn->node), 2);
    CHECK_EQ_INT(active_tunnel_policies(&w.ha->node), 2);
    size_t i = find_sent(w.mn_node, sa3->esp.spi, before);
    CHECK(i != SIZE_MAX);
    if (i != SIZE_MAX) {
        CHECK_EQ_INT(esp_spi_of(testsim_sent(i), &p), sa3->esp.spi);
        CHECK_EQ_MEM(p.hdr.src, w.mn->coa, 16);
    }
    CHECK_EQ_INT(sa3->esp.seq, sa3_seq + 1);
    i = find_sent(w.ha_node, sa4->esp.spi, before);
    CHECK(i != SIZE_MAX);
    if (i != SIZE_MAX)
        CHECK_EQ_MEM(testsim_sent(i)->bytes + 24, w.mn->coa, 16);
    struct mip6_mn_cn *c = must_find_cn(&w);
    CHECK(c->bound);
    CHECK_EQ_INT(w.mn->node.ipsec.n_sas, w.mn_sas + 2);
    teardown(&w);
}

/* ---- RFC 3776 §3.4, §4.1: optional payload protection ---- */

static void
test_payload_protected_both_ways(void)
{
    struct world w;
    struct ip6_packet p;
    uint8_t pkt[128];
    setup(&w, MIP6_TUNNEL_ESP_ALL, false);
    struct ipsec_sa *sa7 = must_find_sa(&w.mn->node, "SA7");
    struct ipsec_sa *sa8 = must_find_sa(&w.ha->node, "SA8");

    attach(&w, "fe80::2", "2001:1:0:2::");
    testsim_run_until(3 * S);
    CHECK_EQ_INT(w.mn->state, MN_REGISTERED);

    /* Correspondent -> home address: HA -> CoA under SA8, and the mobile
     * node delivers the original datagram. */
    size_t sent = testsim_sent_count(), delivered = testsim_delivered_count();
    size_t len = build_udp(pkt, w.cn_addr, w.hoa, 1);
    testsim_send_local(w.cn_node, pkt, len);
    testsim_run_until(4 * S);
    size_t i = find_sent(w.ha_node, sa8->esp.spi, sent);
    CHECK(i != SIZE_MAX);
    if (i != SIZE_MAX) {
        CHECK_EQ_INT(esp_spi_of(testsim_sent(i), &p), sa8->esp.spi);
        CHECK_EQ_MEM(p.hdr.src, w.ha_addr, 16);
        CHECK_EQ_MEM(p.hdr.dst, w.mn->coa, 16);
    }
    CHECK_EQ_INT(testsim_delivered_count(), delivered + 1);
    const struct testsim_packet *d = testsim_delivered(delivered);
    CHECK(d != NULL);
    if (d) {
        CHECK_EQ_INT(d->node, w.mn_node);
        CHECK_EQ_INT(d->len, len);
        CHECK_EQ_MEM(d->bytes, pkt, len);
    }

    /* Home address -> correspondent: CoA -> HA under SA7, and the
     * correspondent gets the original datagram. */
    sent = testsim_sent_count();
    len = build_udp(pkt, w.hoa, w.cn_addr, 2);
    testsim_send_local(w.mn_node, pkt, len);
    testsim_run_until(5 * S);
    i = find_sent(w.mn_node, sa7->esp.spi, sent);
    CHECK(i != SIZE_MAX);
    if (i != SIZE_MAX) {
        CHECK_EQ_INT(esp_spi_of(testsim_sent(i), &p), sa7->esp.spi);
        CHECK_EQ_MEM(p.hdr.src, w.mn->coa, 16);
        CHECK_EQ_MEM(p.hdr.dst, w.ha_addr, 16);
    }
    CHECK_EQ_INT(testsim_delivered_count(), delivered + 2);
    d = testsim_delivered(delivered + 1);
    CHECK(d != NULL);
    if (d) {
        CHECK_EQ_INT(d->node, w.cn_node);
        CHECK_EQ_INT(d->len, len);
        CHECK_EQ_MEM(d->bytes, pkt, len);
    }

    /* The database keeps the inner protocol of protected decaps. */
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM packet_event WHERE node = %u AND kind = 8"
             " AND inner_protocol = 17",
             w.mn_node);
    CHECK_EQ_INT(query_int(&w, sql), 1);

    /* A plain tunnelled datagram is refused now that payload needs ESP. */
    send_raw(w.ha_node, w.ha_addr, w.mn->coa, IP6_NH_IPV6, pkt,
             build_udp(pkt, w.cn_addr, w.hoa, 3));
    testsim_run_until(6 * S);
    CHECK_EQ_INT(drops(&w, w.mn_node, "clear_text"), 1);
    CHECK_EQ_INT(w.ha->node.drops, 0);

    /* RFC 3776 §5.2: the return routability entry comes before the payload
     * entry, so a HoTI still takes SA3. */
    uint8_t hoti[128];
    len = build_mh(hoti, sizeof hoti, w.hoa, w.cn_addr, MH_HOTI);
    struct ipsec_packet view = {
        .src = w.hoa, .dst = w.cn_addr, .proto = IP6_NH_MOBILITY, .tunnel_iface = true};
    ipsec_packet_read_next_layer(&view, hoti + IP6_HEADER_LEN, len - IP6_HEADER_LEN);
    struct ipsec_policy *policy = ipsec_policy_lookup(&w.mn->node.ipsec, IPSEC_OUT, &view);
    CHECK(policy != NULL);
    if (policy)
        CHECK(policy->sa == find_sa(&w.mn->node, "SA3"));
    teardown(&w);
}

static void
test_payload_plain_with_rr_only(void)
{
    struct world w;
    struct ip6_packet p;
    uint8_t pkt[128];
    setup(&w, MIP6_TUNNEL_ESP_RR, false);

    attach(&w, "fe80::2", "2001:1:0:2::");
    testsim_run_until(3 * S);
    CHECK(find_sa(&w.mn->node, "SA7") == NULL);
    size_t sent = testsim_sent_count();
    testsim_send_local(w.mn_node, pkt, build_udp(pkt, w.hoa, w.cn_addr, 1));
    CHECK_EQ_INT(testsim_sent_count(), sent + 1);
    const struct testsim_packet *s = testsim_sent(sent);
    CHECK(s != NULL);
    if (s) {
        CHECK_EQ_INT(ip6_parse(s->bytes, s->len, &p), IP6_OK);
        CHECK_EQ_INT(p.upper_proto, IP6_NH_IPV6);
        CHECK_EQ_MEM(p.hdr.src, w.mn->coa, 16);
    }
    teardown(&w);
}

CHECK_MAIN(TEST(test_hoti_leaves_in_esp_tunnel), TEST(test_hot_follows_care_of_address),
           TEST(test_first_tunnel_packet_after_bu_uses_new_coa), TEST(test_strict_tunnel_source),
           TEST(test_bu_never_uses_tunnel_sa), TEST(test_plain_hoti_dropped_at_home_agent),
           TEST(test_plain_hoti_forwarded_without_tunnel_sas),
           TEST(test_tunnel_esp_checks_at_home_agent), TEST(test_mobile_node_input_checks),
           TEST(test_unprotected_input_cannot_move_tunnel_sa),
           TEST(test_null_encryption_rr_sa_rejected), TEST(test_return_home_keeps_tunnel_sas),
           TEST(test_payload_protected_both_ways), TEST(test_payload_plain_with_rr_only))
