/*
 * test_home_dad.c - the home agent's duplicate address detection for a
 * new home address (RFC 6275 §10.3.1) and its proxy Neighbor Discovery
 * for registered ones (§10.4.1).  Also the mobile node's advertisement
 * when it returns home (§11.5.5), and the Neighbor Solicitation and
 * Advertisement codec behind all three (RFC 4861 §4.3, §4.4, §7.1).
 *
 *   mn --(foreign links)--+
 *                         +-- ha (home link 2001:1:0:1::/64) -- cn
 *   neighbour on the home link: packets injected into ha
 *
 * The test simulator delivers no multicast, so what the models send to
 * solicited-node and all-nodes addresses is read from its log of sent
 * packets, and what other nodes on the home link send is injected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"
#include "esp.h"
#include "ha.h"
#include "mn.h"
#include "nd.h"
#include "testnet.h"
#include "testsim.h"

#define MS 1000000ull
#define S 1000000000ull
#define LINK_DELAY_NS (1 * MS) /* the test simulator's default one-way delay */

static const uint8_t mac_mn[6] = {0x02, 0, 0, 0, 0, 0x10};
static const uint8_t mac_ha[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t mac_cn[6] = {0x02, 0, 0, 0, 0, 0x09};
static const uint8_t mac_neighbour[6] = {0x02, 0, 0, 0, 0, 0x99};

/* 2001:1:0:1:0:ff:fe00:10, the EUI-64 home address of mac_mn. */
static const uint8_t hoa_bytes[16] = {0x20, 0x01, 0, 0x01, 0,    0, 0, 0x01,
                                      0,    0,    0, 0xff, 0xfe, 0, 0, 0x10};

/*
 * Known-answer vectors, with checksums computed by an independent
 * implementation of RFC 4443 §2.3.  The probe of RFC 4862 §5.4.2 for hoa_bytes, from ::
 * to ff02::1:ff00:10:
 */
static const uint8_t probe_vector[24] = {
    135,  0,    0x5b, 0x85, /* Type, Code, Checksum */
    0,    0,    0,    0,    /* Reserved */
    0x20, 0x01, 0,    0x01, 0, 0, 0, 0x01, 0, 0, 0, 0xff, 0xfe, 0, 0, 0x10, /* Target */
};

/* The home agent's unsolicited advertisement of RFC 6275 §10.4.1, from
 * 2001:1:0:1::1 to ff02::1: O set, Target Link-Layer Address mac_ha. */
static const uint8_t proxy_vector[32] = {
    136,  0,    0x15, 0x88, /* Type, Code, Checksum */
    0x20, 0,    0,    0,    /* O flag, Reserved */
    0x20, 0x01, 0,    0x01, 0, 0, 0, 0x01, 0, 0, 0, 0xff, 0xfe, 0, 0, 0x10, /* Target */
    2,    1,    0x02, 0,    0, 0, 0, 0x01, /* Target Link-Layer Address option */
};

static char dir[64];

static void
remove_dir(void)
{
    rmdir(dir);
}

struct world {
    uint32_t ha_node, cn_node, mn_node;
    struct mip6_ha *ha;
    struct mip6_mn *mn;
    struct rec *rec;
    char db[96];
    uint8_t ha_addr[16], home_prefix[16], foreign_prefix[16], foreign2_prefix[16], cn_addr[16];
    uint8_t router_home[16], router_foreign[16], router_foreign2[16];
    uint8_t hoa[16], neighbour[16], neighbour_ll[16], all_nodes[16];
};

/* Build a world whose home agent runs duplicate address detection when
 * dad is set, with the given DAD timeout for every node. */
static void
setup(struct world *w, bool dad, uint64_t dad_timeout_ns)
{
    char err[256];

    memset(w, 0, sizeof *w);
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/test_home_dad.XXXXXX");
        if (!mkdtemp(dir))
            abort();
        atexit(remove_dir);
    }
    snprintf(w->db, sizeof w->db, "%s/run.db", dir);
    w->rec = rec_open(w->db, err, sizeof err);
    CHECK(w->rec != NULL);
    rec_begin(w->rec, 1, 1, "testsim", "test");

    testsim_reset();
    testsim_set_dad_timeout_ns(dad_timeout_ns);
    w->ha_node = testsim_add_node();
    w->cn_node = testsim_add_node();
    w->mn_node = testsim_add_node();
    testsim_add_iface(w->ha_node, mac_ha);
    testsim_add_iface(w->cn_node, mac_cn);
    testsim_add_iface(w->mn_node, mac_mn);

    testnet_addr(w->ha_addr, "2001:1:0:1::1");
    testnet_addr(w->home_prefix, "2001:1:0:1::");
    testnet_addr(w->foreign_prefix, "2001:1:0:2::");
    testnet_addr(w->foreign2_prefix, "2001:1:0:3::");
    testnet_addr(w->cn_addr, "2001:1:0:9::9");
    testnet_addr(w->router_home, "fe80::1");
    testnet_addr(w->router_foreign, "fe80::2");
    testnet_addr(w->router_foreign2, "fe80::3");
    testnet_addr(w->neighbour, "2001:1:0:1::99");
    testnet_addr(w->neighbour_ll, "fe80::99");
    testnet_addr(w->all_nodes, "ff02::1");
    sim_addr_add(w->ha_node, 0, w->ha_addr, 64);
    sim_addr_add(w->cn_node, 0, w->cn_addr, 64);

    struct mip6_ha_config hc;
    mip6_ha_config_default(&hc);
    memcpy(hc.address, w->ha_addr, 16);
    memcpy(hc.home_prefix, w->home_prefix, 16);
    hc.dad_home_address = dad;
    w->ha = mip6_ha_install(w->ha_node, &hc, w->rec, err, sizeof err);

    struct mip6_mn_config mc;
    mip6_mn_config_default(&mc);
    ip6_addr_from_prefix_mac(w->hoa, w->home_prefix, mac_mn);
    memcpy(mc.home_address, w->hoa, 16);
    memcpy(mc.home_prefix, w->home_prefix, 16);
    memcpy(mc.home_agent, w->ha_addr, 16);
    w->mn = mip6_mn_install(w->mn_node, &mc, w->rec, err, sizeof err);
    if (!w->ha || !w->mn)
        abort();

    struct mip6_keys keys;
    mip6_keys_derive(&keys, 9, 0, ESP_ENC_AES_128_CBC, ESP_AUTH_HMAC_SHA1_96);
    CHECK_EQ_INT(mip6_manual_sas(w->mn, w->ha, &keys, err, sizeof err), 0);
}

static void
teardown(struct world *w)
{
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    char name[128];

    testsim_reset();
    mip6_mn_free(w->mn);
    mip6_ha_free(w->ha);
    rec_close(w->rec, REC_COMPLETE);
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%s%s", w->db, suffixes[i]);
        unlink(name);
    }
}

/* The first column of a query on the run's database, or -999 on error or no row. */
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

/* A column (time_ns, value or value2) of the last mobility event of a kind at node. */
static long long
last_event(struct world *w, uint32_t node, enum rec_mob kind, const char *column)
{
    char sql[192];
    snprintf(sql, sizeof sql,
             "SELECT %s FROM mobility_event WHERE node = %u AND kind = %d"
             " ORDER BY time_ns DESC, rowid DESC LIMIT 1",
             column, node, (int)kind);
    return query_int(w, sql);
}

static long long
count_events(struct world *w, uint32_t node, enum rec_mob kind)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM mobility_event WHERE node = %u AND kind = %d",
             node, (int)kind);
    return query_int(w, sql);
}

static long long
count_drops(struct world *w, uint32_t node, const char *reason)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM packet_event e JOIN drop_reason r ON r.id = e.drop_reason"
             " WHERE e.node = %u AND e.kind = 5 AND r.name = '%s'",
             node, reason);
    return query_int(w, sql);
}

/* Send the mobile node to a foreign link, as ns-3's autoconfiguration would. */
static void
attach(struct world *w, const uint8_t router[16], const uint8_t prefix[16])
{
    testnet_move(w->mn_node, 0, mac_mn, router, prefix, true);
}

/* Bring the mobile node back to the home link: it sends its de-registration. */
static void
return_home(struct world *w)
{
    uint8_t pkt[TESTNET_RA_LEN];

    testsim_link(w->mn_node, 0, 0);
    testsim_link(w->mn_node, 0, 1);
    testsim_inject(w->mn_node, 0, pkt, testnet_build_ra(pkt, w->router_home, w->home_prefix));
}

/* An ICMPv6 message sent by a node, with its IPv6 header parsed. */
struct sent_nd {
    const struct testsim_packet *packet;
    struct ip6_packet ip;
    const uint8_t *icmp;
    size_t icmp_len;
};

/* Find the index-th (0 first) Neighbor Discovery message of type sent by
 * node at or after sent-log position from; false when there is none. */
static bool
find_sent_nd(uint32_t node, uint8_t type, size_t from, size_t index, struct sent_nd *out)
{
    for (size_t i = from; i < testsim_sent_count(); i++) {
        const struct testsim_packet *s = testsim_sent(i);
        if (s->node != node || ip6_parse(s->bytes, s->len, &out->ip) != IP6_OK ||
            out->ip.upper_proto != IP6_NH_ICMPV6 || out->ip.upper_len == 0 ||
            s->bytes[out->ip.upper_offset] != type)
            continue;
        if (index-- > 0)
            continue;
        out->packet = s;
        out->icmp = s->bytes + out->ip.upper_offset;
        out->icmp_len = out->ip.upper_len;
        return true;
    }
    return false;
}

static size_t
count_sent_nd(uint32_t node, uint8_t type, size_t from)
{
    struct sent_nd nd;
    size_t n = 0;
    while (find_sent_nd(node, type, from, n, &nd))
        n++;
    return n;
}

/* Parse a sent message as its receivers would, with the hop limit it was
 * sent with (255 from sim_nd_send, RFC 4861 §7.1). */
static enum nd_status
parse_sent(const struct sent_nd *s, struct nd_neighbor *msg)
{
    return nd_parse_neighbor(s->icmp, s->icmp_len, s->ip.hdr.hop_limit, s->ip.hdr.src,
                             s->ip.hdr.dst, msg);
}

/* Write a whole IPv6 packet carrying msg into pkt and return its length. */
static size_t
build_nd_packet(uint8_t *pkt, const uint8_t src[16], const uint8_t dst[16], uint8_t hop_limit,
                const struct nd_neighbor *msg)
{
    uint8_t icmp[ND_NEIGHBOR_MAX_LEN];
    struct wr iw = wr_init(icmp, sizeof icmp);
    CHECK_EQ_INT(nd_encode_neighbor(&iw, msg, src, dst), ND_OK);

    struct wr w = wr_init(pkt, IP6_HEADER_LEN + sizeof icmp);
    struct ip6_header h = {
        .payload_len = iw.pos, .next_header = IP6_NH_ICMPV6, .hop_limit = hop_limit};
    memcpy(h.src, src, 16);
    memcpy(h.dst, dst, 16);
    ip6_write_header(&w, &h);
    wr_bytes(&w, icmp, iw.pos);
    return w.pos;
}

/* Inject into the home agent a solicitation for target from src. */
static void
inject_solicitation(struct world *w, const uint8_t src[16], const uint8_t target[16],
                    uint8_t hop_limit, uint32_t ifindex)
{
    uint8_t pkt[IP6_HEADER_LEN + ND_NEIGHBOR_MAX_LEN], dst[16];
    struct nd_neighbor ns = {.type = ND_NEIGHBOR_SOLICIT};
    static const uint8_t unspecified[16];

    memcpy(ns.target, target, 16);
    if (memcmp(src, unspecified, 16) != 0) {
        ns.has_link_addr = true;
        memcpy(ns.link_addr, mac_neighbour, 6);
    }
    nd_solicited_node(dst, target);
    testsim_inject(w->ha_node, ifindex, pkt, build_nd_packet(pkt, src, dst, hop_limit, &ns));
}

/* Inject into the home agent a probe for target as ns-3.37 sends it: from
 * ::, with a Source Link-Layer Address option that RFC 4861 §7.1.1 rules
 * out. */
static void
inject_ns3_probe(struct world *w, const uint8_t target[16])
{
    static const uint8_t unspecified[16];
    static const uint8_t option[8] = {1, 1, 0x02, 0, 0, 0, 0, 0x99};
    uint8_t icmp[ND_NEIGHBOR_MAX_LEN], dst[16], pkt[IP6_HEADER_LEN + ND_NEIGHBOR_MAX_LEN];
    struct wr iw = wr_init(icmp, sizeof icmp);
    struct nd_neighbor ns = {.type = ND_NEIGHBOR_SOLICIT};

    memcpy(ns.target, target, 16);
    nd_solicited_node(dst, target);
    CHECK_EQ_INT(nd_encode_neighbor(&iw, &ns, unspecified, dst), ND_OK);
    wr_bytes(&iw, option, sizeof option);
    put_u16(icmp + 2, 0);
    put_u16(icmp + 2, ip6_checksum(unspecified, dst, IP6_NH_ICMPV6, icmp, iw.pos));

    struct wr pw = wr_init(pkt, sizeof pkt);
    struct ip6_header h = {
        .payload_len = iw.pos, .next_header = IP6_NH_ICMPV6, .hop_limit = ND_HOP_LIMIT};
    memcpy(h.dst, dst, 16);
    ip6_write_header(&pw, &h);
    wr_bytes(&pw, icmp, iw.pos);
    testsim_inject(w->ha_node, 0, pkt, pw.pos);
}

/* Inject into node an unsolicited advertisement for target from src. */
static void
inject_advert(struct world *w, uint32_t node, const uint8_t src[16], const uint8_t target[16],
              const uint8_t mac[6])
{
    uint8_t pkt[IP6_HEADER_LEN + ND_NEIGHBOR_MAX_LEN];
    struct nd_neighbor na = {
        .type = ND_NEIGHBOR_ADVERT, .flags = ND_NA_FLAG_OVERRIDE, .has_link_addr = true};

    memcpy(na.target, target, 16);
    memcpy(na.link_addr, mac, 6);
    testsim_inject(node, 0, pkt, build_nd_packet(pkt, src, w->all_nodes, ND_HOP_LIMIT, &na));
}

/* Run until the mobile node's first BU has reached the home agent and
 * return the time it arrived. */
static uint64_t
first_bu_arrives(struct world *w, uint64_t dad_timeout_ns)
{
    attach(w, w->router_foreign, w->foreign_prefix);
    /* The mobile node checks its care-of address 1 us after the DAD
     * timeout and sends the BU, which then takes the link delay. */
    testsim_run_until(dad_timeout_ns + LINK_DELAY_NS + 10000);
    return (uint64_t)last_event(w, w->ha_node, REC_MOB_BU_RECEIVED, "time_ns");
}

/* ----- codec ----- */

static void
test_probe_known_answer(void)
{
    uint8_t buf[ND_NEIGHBOR_MAX_LEN], dst[16], expected_dst[16];
    static const uint8_t unspecified[16];
    struct wr w = wr_init(buf, sizeof buf);
    struct nd_neighbor ns = {.type = ND_NEIGHBOR_SOLICIT};

    memcpy(ns.target, hoa_bytes, 16);
    nd_solicited_node(dst, hoa_bytes);
    testnet_addr(expected_dst, "ff02::1:ff00:10");
    CHECK_EQ_MEM(dst, expected_dst, 16);
    CHECK_EQ_INT(nd_encode_neighbor(&w, &ns, unspecified, dst), ND_OK);
    CHECK_EQ_INT(w.pos, sizeof probe_vector);
    CHECK_EQ_MEM(buf, probe_vector, sizeof probe_vector);

    struct nd_neighbor out;
    CHECK_EQ_INT(nd_parse_neighbor(probe_vector, sizeof probe_vector, 255, unspecified, dst, &out),
                 ND_OK);
    CHECK_EQ_INT(out.type, ND_NEIGHBOR_SOLICIT);
    CHECK_EQ_MEM(out.target, hoa_bytes, 16);
    CHECK(!out.has_link_addr);
}

static void
test_proxy_advert_known_answer(void)
{
    uint8_t buf[ND_NEIGHBOR_MAX_LEN], src[16], dst[16];
    struct wr w = wr_init(buf, sizeof buf);
    struct nd_neighbor na = {
        .type = ND_NEIGHBOR_ADVERT, .flags = ND_NA_FLAG_OVERRIDE, .has_link_addr = true};

    testnet_addr(src, "2001:1:0:1::1");
    testnet_addr(dst, "ff02::1");
    memcpy(na.target, hoa_bytes, 16);
    memcpy(na.link_addr, mac_ha, 6);
    CHECK_EQ_INT(nd_encode_neighbor(&w, &na, src, dst), ND_OK);
    CHECK_EQ_INT(w.pos, sizeof proxy_vector);
    CHECK_EQ_MEM(buf, proxy_vector, sizeof proxy_vector);

    struct nd_neighbor out;
    CHECK_EQ_INT(nd_parse_neighbor(proxy_vector, sizeof proxy_vector, 255, src, dst, &out), ND_OK);
    CHECK_EQ_INT(out.type, ND_NEIGHBOR_ADVERT);
    CHECK_EQ_INT(out.flags, ND_NA_FLAG_OVERRIDE);
    CHECK(out.has_link_addr);
    CHECK_EQ_MEM(out.link_addr, mac_ha, 6);
}

static void
test_encoder_rejects(void)
{
    static const uint8_t unspecified[16];
    uint8_t buf[ND_NEIGHBOR_MAX_LEN], src[16], dst[16], group[16];
    testnet_addr(src, "fe80::1");
    testnet_addr(dst, "ff02::1");
    testnet_addr(group, "ff02::2");

    static const struct {
        const char *name;
        uint8_t type;
        uint8_t flags;
        bool multicast_target;
        bool link_addr;
        bool from_unspecified;
    } cases[] = {
        {"router advertisement type", 134, 0, false, false, false},
        {"flags in a solicitation", ND_NEIGHBOR_SOLICIT, ND_NA_FLAG_SOLICITED, false, false, false},
        {"reserved flag bit", ND_NEIGHBOR_ADVERT, 0x10, false, false, false},
        {"multicast target", ND_NEIGHBOR_ADVERT, 0, true, false, false},
        {"link-layer option in a probe", ND_NEIGHBOR_SOLICIT, 0, false, true, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct wr w = wr_init(buf, sizeof buf);
        struct nd_neighbor msg = {
            .type = cases[i].type, .flags = cases[i].flags, .has_link_addr = cases[i].link_addr};
        memcpy(msg.target, cases[i].multicast_target ? group : hoa_bytes, 16);
        enum nd_status st =
            nd_encode_neighbor(&w, &msg, cases[i].from_unspecified ? unspecified : src, dst);
        if (st != ND_BAD_FIELD)
            fprintf(stderr, "case: %s\n", cases[i].name);
        CHECK_EQ_INT(st, ND_BAD_FIELD);
        CHECK_EQ_INT(w.pos, 0);
    }

    /* One byte short of the 32-byte advertisement. */
    struct wr w = wr_init(buf, ND_NEIGHBOR_MAX_LEN - 1);
    struct nd_neighbor na = {.type = ND_NEIGHBOR_ADVERT, .has_link_addr = true};
    memcpy(na.target, hoa_bytes, 16);
    CHECK_EQ_INT(nd_encode_neighbor(&w, &na, src, dst), ND_NO_SPACE);
    CHECK(!wr_ok(&w));
}

/* One change to a valid message and the status RFC 4861 §7.1 asks for. */
struct parse_case {
    const char *name;
    bool advert; /* start from proxy_vector, else from probe_vector */
    int offset;  /* byte to set, or -1 */
    uint8_t value;
    uint8_t hop_limit;
    const char *src, *dst;
    size_t len;           /* 0: the whole (possibly extended) message */
    const uint8_t *extra; /* bytes appended before the checksum is fixed */
    size_t extra_len;
    bool keep_checksum; /* leave the original checksum in place */
    enum nd_status expected;
};

static const uint8_t zero_length_option[8] = {14, 0, 0, 0, 0, 0, 0, 0};
static const uint8_t overlong_option[8] = {14, 2, 0, 0, 0, 0, 0, 0};
static const uint8_t unknown_option[8] = {14, 1, 1, 2, 3, 4, 5, 6};
static const uint8_t source_link_option[8] = {1, 1, 2, 0, 0, 0, 0, 0x99};

static const struct parse_case parse_cases[] = {
    {"valid probe", false, -1, 0, 255, "::", "ff02::1:ff00:10", 0, NULL, 0, false, ND_OK},
    {"valid advertisement", true, -1, 0, 255, "2001:1:0:1::1", "ff02::1", 0, NULL, 0, false, ND_OK},
    {"unknown option skipped", true, -1, 0, 255, "2001:1:0:1::1", "ff02::1", 0, unknown_option, 8,
     false, ND_OK},
    {"shorter than 24 bytes", false, -1, 0, 255, "::", "ff02::1:ff00:10", 23, NULL, 0, false,
     ND_TRUNCATED},
    {"router advertisement type", false, 0, 134, 255, "::", "ff02::1:ff00:10", 0, NULL, 0, false,
     ND_NOT_NEIGHBOR},
    {"hop limit 254", false, -1, 0, 254, "::", "ff02::1:ff00:10", 0, NULL, 0, false,
     ND_BAD_HOP_LIMIT},
    {"checksum off by one", false, 3, 0x86, 255, "::", "ff02::1:ff00:10", 0, NULL, 0, true,
     ND_BAD_CHECKSUM},
    {"wrong pseudo-header source", true, -1, 0, 255, "2001:1:0:1::2", "ff02::1", 0, NULL, 0, true,
     ND_BAD_CHECKSUM},
    {"code 1", false, 1, 1, 255, "::", "ff02::1:ff00:10", 0, NULL, 0, false, ND_BAD_CODE},
    {"multicast target", false, 8, 0xff, 255, "::", "ff02::1:ff00:10", 0, NULL, 0, false,
     ND_BAD_TARGET},
    {"option length 0", true, -1, 0, 255, "2001:1:0:1::1", "ff02::1", 0, zero_length_option, 8,
     false, ND_BAD_OPTION},
    {"option past the end", true, -1, 0, 255, "2001:1:0:1::1", "ff02::1", 0, overlong_option, 8,
     false, ND_BAD_OPTION},
    {"probe to all-nodes", false, -1, 0, 255, "::", "ff02::1", 0, NULL, 0, false, ND_BAD_DAD},

    {"solicited flag to all-nodes", true, 4, 0x60, 255, "2001:1:0:1::1", "ff02::1", 0, NULL, 0,
     false, ND_BAD_SOLICITED},
};

static void
test_parser_table(void)
{
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        const struct parse_case *c = &parse_cases[i];
        uint8_t msg[64], src[16], dst[16];
        size_t len = c->advert ? sizeof proxy_vector : sizeof probe_vector;

        memcpy(msg, c->advert ? proxy_vector : probe_vector, len);
        if (c->extra) {
            memcpy(msg + len, c->extra, c->extra_len);
            len += c->extra_len;
        }
        if (c->offset >= 0)
            msg[c->offset] = c->value;
        testnet_addr(src, c->src);
        testnet_addr(dst, c->dst);
        if (!c->keep_checksum) {
            put_u16(msg + 2, 0);
            put_u16(msg + 2, ip6_checksum(src, dst, IP6_NH_ICMPV6, msg, len));
        }
        if (c->len)
            len = c->len;

        struct nd_neighbor out;
        enum nd_status st = nd_parse_neighbor(msg, len, c->hop_limit, src, dst, &out);
        if (st != c->expected)
            fprintf(stderr, "case: %s (%s)\n", c->name, nd_status_name(st));
        CHECK_EQ_INT(st, c->expected);
    }
}

/* ns-3.37 puts a Source Link-Layer Address option into its probes; the
 * parser accepts them and drops the option. */
static void
test_parser_accepts_ns3_probe(void)
{
    uint8_t msg[sizeof probe_vector + sizeof source_link_option], src[16] = {0}, dst[16];
    struct nd_neighbor out;

    memcpy(msg, probe_vector, sizeof probe_vector);
    memcpy(msg + sizeof probe_vector, source_link_option, sizeof source_link_option);
    testnet_addr(dst, "ff02::1:ff00:10");
    put_u16(msg + 2, 0);
    put_u16(msg + 2, ip6_checksum(src, dst, IP6_NH_ICMPV6, msg, sizeof msg));
    CHECK_EQ_INT(nd_parse_neighbor(msg, sizeof msg, 255, src, dst, &out), ND_OK);
    CHECK(!out.has_link_addr);
    CHECK_EQ_MEM(out.target, hoa_bytes, 16);
}

static void
test_peek_neighbor(void)
{
    uint8_t type = 0, target[16];

    CHECK(nd_peek_neighbor(proxy_vector, sizeof proxy_vector, &type, target));
    CHECK_EQ_INT(type, ND_NEIGHBOR_ADVERT);
    CHECK_EQ_MEM(target, hoa_bytes, 16);
    CHECK(!nd_peek_neighbor(proxy_vector, ND_NEIGHBOR_FIXED_LEN - 1, &type, target));

    uint8_t ra[sizeof probe_vector];
    memcpy(ra, probe_vector, sizeof ra);
    ra[0] = 134;
    CHECK(!nd_peek_neighbor(ra, sizeof ra, &type, target));
}

/* ----- the home agent's duplicate address detection ----- */

static void
test_first_registration_waits(void)
{
    struct world w;
    const uint64_t dad_ns = 800 * MS;
    setup(&w, true, dad_ns);
    CHECK_EQ_MEM(w.hoa, hoa_bytes, 16);

    uint64_t bu_at = first_bu_arrives(&w, dad_ns);
    CHECK(bu_at > 0);
    CHECK_EQ_INT(last_event(&w, w.ha_node, REC_MOB_HOME_DAD_START, "time_ns"), bu_at);
    CHECK_EQ_INT(last_event(&w, w.ha_node, REC_MOB_HOME_DAD_START, "value"), w.mn->bul.seq);
    CHECK_EQ_INT(last_event(&w, w.ha_node, REC_MOB_HOME_DAD_START, "value2"), 800);

    /* RFC 4862 §5.4.2: one probe, from :: to the solicited-node address. */
    struct sent_nd probe;
    CHECK(find_sent_nd(w.ha_node, ND_NEIGHBOR_SOLICIT, 0, 0, &probe));
    CHECK_EQ_INT(count_sent_nd(w.ha_node, ND_NEIGHBOR_SOLICIT, 0), 1);
    if (probe.packet) {
        uint8_t unspecified[16] = {0}, group[16];
        nd_solicited_node(group, w.hoa);
        CHECK_EQ_INT(probe.packet->time_ns, bu_at);
        CHECK_EQ_MEM(probe.ip.hdr.src, unspecified, 16);
        CHECK_EQ_MEM(probe.ip.hdr.dst, group, 16);
        CHECK_EQ_INT(probe.icmp_len, sizeof probe_vector);
        CHECK_EQ_MEM(probe.icmp, probe_vector, sizeof probe_vector);
    }

    /* No binding, no BA and no advertisement while the wait runs, but the
     * home agent listens to the address's solicited-node group. */
    testsim_run_until(bu_at + dad_ns - 1);
    CHECK(mip6_ha_binding(w.ha, w.hoa) == NULL);
    CHECK_EQ_INT(testsim_solicited_joins(w.ha_node), 1);
    CHECK_EQ_INT(count_events(&w, w.ha_node, REC_MOB_BA_SENT), 0);
    CHECK_EQ_INT(count_sent_nd(w.ha_node, ND_NEIGHBOR_ADVERT, 0), 0);
    CHECK_EQ_INT(w.mn->state, MN_REGISTERING);

    /* The BA leaves when the DAD timeout has passed after the BU arrived. */
    testsim_run_until(bu_at + dad_ns + 10 * MS);
    CHECK_EQ_INT(last_event(&w, w.ha_node, REC_MOB_BA_SENT, "time_ns"), bu_at + dad_ns);
    CHECK_EQ_INT(last_event(&w, w.ha_node, REC_MOB_BA_SENT, "value"), MH_BA_ACCEPTED);
    CHECK_EQ_INT(last_event(&w, w.ha_node, REC_MOB_HOME_DAD_DONE, "value"), MIP6_HOME_DAD_UNIQUE);
    CHECK(mip6_ha_binding(w.ha, w.hoa) != NULL);
    CHECK_EQ_INT(testsim_solicited_joins(w.ha_node), 1); /* the detection's, then the proxy's */
    CHECK_EQ_INT(w.mn->state, MN_REGISTERED);
    /* The 1.5 s first-registration timeout covers the wait: one BU only. */
    CHECK_EQ_INT(count_events(&w, w.mn_node, REC_MOB_BU_SENT), 1);

    /* RFC 6275 §10.4.1: then the unsolicited advertisement to all-nodes. */
    struct sent_nd na;
    CHECK(find_sent_nd(w.ha_node, ND_NEIGHBOR_ADVERT, 0, 0, &na));
    if (na.packet) {
        CHECK_EQ_INT(na.packet->time_ns, bu_at + dad_ns);
        CHECK_EQ_MEM(na.ip.hdr.src, w.ha_addr, 16);
        CHECK_EQ_MEM(na.ip.hdr.dst, w.all_nodes, 16);
        CHECK_EQ_INT(na.icmp_len, sizeof proxy_vector);
        CHECK_EQ_MEM(na.icmp, proxy_vector, sizeof proxy_vector);
    }
    CHECK_EQ_INT(w.ha->node.drops, 0);
    teardown(&w);
}

static void
test_duplicate_advert_rejects(void)
{
    struct world w;
    const uint64_t dad_ns = 800 * MS;
    setup(&w, true, dad_ns);

    uint64_t bu_at = first_bu_arrives(&w, dad_ns);
    testsim_run_until(bu_at + 100 * MS);
    uint64_t claim_at = bu_at + 100 * MS;
    inject_advert(&w, w.ha_node, w.neighbour_ll, w.hoa, mac_neighbour);

    /* RFC 6275 §10.3.1: status 134 at once, and no binding. */
    CHECK_EQ_INT(last_event(&w, w.ha_node, REC_MOB_BA_SENT, "value"), MH_BA_DAD_FAILED);
    CHECK_EQ_INT(last_event(&w, w.ha_node, REC_MOB_BA_SENT, "time_ns"), claim_at);
    CHECK_EQ_INT(last_event(&w, w.ha_node, REC_MOB_HOME_DAD_DONE, "value"),
                 MIP6_HOME_DAD_DUPLICATE);
    testsim_run_until(bu_at + 2 * dad_ns);
    CHECK(mip6_ha_binding(w.ha, w.hoa) == NULL);
    CHECK_EQ_INT(last_event(&w, w.mn_node, REC_MOB_BA_RECEIVED, "value"), MH_BA_DAD_FAILED);
    CHECK(!w.mn->bul.bound);
    CHECK_EQ_INT(count_sent_nd(w.ha_node, ND_NEIGHBOR_ADVERT, 0), 0);
    CHECK_EQ_INT(count_events(&w, w.ha_node, REC_MOB_BINDING_ADD), 0);
    teardown(&w);
}

static void
test_duplicate_probe_rejects(void)
{
    struct world w;
    static const uint8_t unspecified[16];
    const uint64_t dad_ns = 800 * MS;
    setup(&w, true, dad_ns);

    uint64_t bu_at = first_bu_arrives(&w, dad_ns);
    testsim_run_until(bu_at + 300 * MS);
    /* RFC 4862 §5.4.3: another node probing the same address. */
    inject_solicitation(&w, unspecified, w.hoa, ND_HOP_LIMIT, 0);

    CHECK_EQ_INT(last_event(&w, w.ha_node, REC_MOB_BA_SENT, "value"), MH_BA_DAD_FAILED);
    CHECK_EQ_INT(last_event(&w, w.ha_node, REC_MOB_HOME_DAD_DONE, "value"),
                 MIP6_HOME_DAD_DUPLICATE);
    testsim_run_until(bu_at + 2 * dad_ns);
    CHECK(mip6_ha_binding(w.ha, w.hoa) == NULL);
    teardown(&w);
}

static void
test_duplicate_ns3_probe_rejects(void)
{
    struct world w;
    const uint64_t dad_ns = 800 * MS;
    setup(&w, true, dad_ns);

    uint64_t bu_at = first_bu_arrives(&w, dad_ns);
    testsim_run_until(bu_at + 300 * MS);
    inject_ns3_probe(&w, w.hoa);

    CHECK_EQ_INT(last_event(&w, w.ha_node, REC_MOB_BA_SENT, "value"), MH_BA_DAD_FAILED);
    testsim_run_until(bu_at + 2 * dad_ns);
    CHECK(mip6_ha_binding(w.ha, w.hoa) == NULL);
    teardown(&w);
}

/* RFC 4862 §5.4.3: a solicitation with a source address is address
 * resolution; the tentative address neither answers nor counts it. */
static void
test_resolution_during_dad_ignored(void)
{
    struct world w;
    const uint64_t dad_ns = 800 * MS;
    setup(&w, true, dad_ns);

    uint64_t bu_at = first_bu_arrives(&w, dad_ns);
    testsim_run_until(bu_at + 200 * MS);
    size_t sent = testsim_sent_count();
    inject_solicitation(&w, w.neighbour, w.hoa, ND_HOP_LIMIT, 0);
    CHECK_EQ_INT(testsim_sent_count(), sent);

    /* An advertisement that fails validation (hop limit 64) is no claim. */
    uint8_t pkt[IP6_HEADER_LEN + ND_NEIGHBOR_MAX_LEN];
    struct nd_neighbor na = {.type = ND_NEIGHBOR_ADVERT, .flags = ND_NA_FLAG_OVERRIDE};
    memcpy(na.target, w.hoa, 16);
    testsim_inject(w.ha_node, 0, pkt, build_nd_packet(pkt, w.neighbour, w.all_nodes, 64, &na));

    testsim_run_until(bu_at + dad_ns + 10 * MS);
    CHECK_EQ_INT(last_event(&w, w.ha_node, REC_MOB_HOME_DAD_DONE, "value"), MIP6_HOME_DAD_UNIQUE);
    CHECK(mip6_ha_binding(w.ha, w.hoa) != NULL);
    CHECK_EQ_INT(w.mn->state, MN_REGISTERED);
    teardown(&w);
}

static void
test_refresh_and_move_skip_dad(void)
{
    struct world w;
    const uint64_t dad_ns = 800 * MS;
    setup(&w, true, dad_ns);

    uint64_t bu_at = first_bu_arrives(&w, dad_ns);
    testsim_run_until(bu_at + dad_ns + 10 * MS);
    CHECK_EQ_INT(w.mn->state, MN_REGISTERED);

    /* A move: the BA answers the BU as soon as it arrives. */
    attach(&w, w.router_foreign2, w.foreign2_prefix);
    testsim_run_until(sim_now_ns() + dad_ns + 100 * MS);
    CHECK_EQ_INT(w.mn->state, MN_REGISTERED);
    CHECK_EQ_INT(count_events(&w, w.ha_node, REC_MOB_BINDING_UPDATE), 1);
    CHECK_EQ_INT(last_event(&w, w.ha_node, REC_MOB_BA_SENT, "time_ns"),
                 last_event(&w, w.ha_node, REC_MOB_BU_RECEIVED, "time_ns"));

    /* A refresh at 90% of the 420 s lifetime, likewise. */
    testsim_run_until(sim_now_ns() + 400 * S);
    CHECK_EQ_INT(count_events(&w, w.ha_node, REC_MOB_BINDING_UPDATE), 2);
    CHECK_EQ_INT(last_event(&w, w.ha_node, REC_MOB_BA_SENT, "time_ns"),
                 last_event(&w, w.ha_node, REC_MOB_BU_RECEIVED, "time_ns"));

    CHECK_EQ_INT(count_events(&w, w.ha_node, REC_MOB_HOME_DAD_START), 1);
    CHECK_EQ_INT(count_sent_nd(w.ha_node, ND_NEIGHBOR_SOLICIT, 0), 1);
    /* Neighbours learnt the home agent's address at the first registration. */
    CHECK_EQ_INT(count_sent_nd(w.ha_node, ND_NEIGHBOR_ADVERT, 0), 1);
    teardown(&w);
}

/* RFC 6275 §11.8: a BU retransmitted during the wait replaces the held
 * one, and the BA answers the newest sequence number. */
static void
test_retransmitted_bu_during_dad(void)
{
    struct world w;
    const uint64_t dad_ns = 2 * S; /* longer than the 1.5 s first BA timeout */
    setup(&w, true, dad_ns);

    uint64_t bu_at = first_bu_arrives(&w, dad_ns);
    testsim_run_until(bu_at + dad_ns + 10 * MS);
    CHECK_EQ_INT(count_events(&w, w.mn_node, REC_MOB_BU_SENT), 2);
    CHECK_EQ_INT(count_events(&w, w.ha_node, REC_MOB_HOME_DAD_START), 1);
    CHECK_EQ_INT(count_sent_nd(w.ha_node, ND_NEIGHBOR_SOLICIT, 0), 1);
    CHECK_EQ_INT(count_events(&w, w.ha_node, REC_MOB_BA_SENT), 1);
    CHECK_EQ_INT(last_event(&w, w.ha_node, REC_MOB_BA_SENT, "value2"), w.mn->bul.seq);
    CHECK_EQ_INT(last_event(&w, w.ha_node, REC_MOB_HOME_DAD_DONE, "value2"), w.mn->bul.seq);
    CHECK_EQ_INT(w.mn->state, MN_REGISTERED);
    struct mip6_binding *b = mip6_ha_binding(w.ha, w.hoa);
    CHECK(b != NULL);
    if (b)
        CHECK_EQ_INT(b->last_seq, w.mn->bul.seq);
    teardown(&w);
}

/* A de-registration that arrives during the wait ends it without a binding. */
static void
test_deregistration_abandons_dad(void)
{
    struct world w;
    const uint64_t dad_ns = 800 * MS;
    setup(&w, true, dad_ns);

    uint64_t bu_at = first_bu_arrives(&w, dad_ns);
    testsim_run_until(bu_at + 100 * MS);
    return_home(&w);
    testsim_run_until(bu_at + 2 * dad_ns);

    CHECK_EQ_INT(last_event(&w, w.ha_node, REC_MOB_HOME_DAD_DONE, "value"),
                 MIP6_HOME_DAD_ABANDONED);
    CHECK_EQ_INT(count_events(&w, w.ha_node, REC_MOB_HOME_DAD_DONE), 1);
    CHECK(mip6_ha_binding(w.ha, w.hoa) == NULL);
    CHECK_EQ_INT(count_events(&w, w.ha_node, REC_MOB_BINDING_ADD), 0);
    /* RFC 6275 §10.3.2: a de-registration without a binding gets 133. */
    CHECK_EQ_INT(last_event(&w, w.ha_node, REC_MOB_BA_SENT, "value"), MH_BA_NOT_HOME_AGENT);
    teardown(&w);
}

static void
test_dad_off_by_default(void)
{
    struct mip6_ha_config hc;
    mip6_ha_config_default(&hc);
    CHECK(!hc.dad_home_address);

    struct world w;
    setup(&w, false, 800 * MS);
    uint64_t bu_at = first_bu_arrives(&w, 800 * MS);
    CHECK_EQ_INT(last_event(&w, w.ha_node, REC_MOB_BA_SENT, "time_ns"), bu_at);
    CHECK_EQ_INT(count_sent_nd(w.ha_node, ND_NEIGHBOR_SOLICIT, 0), 0);
    CHECK_EQ_INT(count_events(&w, w.ha_node, REC_MOB_HOME_DAD_START), 0);
    /* Proxy Neighbor Discovery does not depend on the option. */
    CHECK_EQ_INT(count_sent_nd(w.ha_node, ND_NEIGHBOR_ADVERT, 0), 1);
    teardown(&w);
}

/* ----- proxy Neighbor Discovery ----- */

/* Proxy advertisements carry the home interface's MAC address, so the
 * home agent needs one. */
static void
test_install_needs_home_mac(void)
{
    char err[256] = "";
    struct mip6_ha_config hc;

    testsim_reset();
    uint32_t node = testsim_add_node();
    testsim_add_iface(node, mac_ha);
    mip6_ha_config_default(&hc);
    testnet_addr(hc.address, "2001:1:0:1::1");
    testnet_addr(hc.home_prefix, "2001:1:0:1::");
    hc.home_ifindex = 3; /* no such interface */
    struct mip6_ha *ha = mip6_ha_install(node, &hc, NULL, err, sizeof err);
    CHECK(ha == NULL);
    CHECK(strstr(err, "48-bit MAC address") != NULL);
    CHECK(strstr(err, "interface 3") != NULL);
    mip6_ha_free(ha);
    testsim_reset();
}

/* Register the mobile node away from home, without waiting for DAD. */
static void
register_away(struct world *w)
{
    setup(w, false, 800 * MS);
    first_bu_arrives(w, 800 * MS);
    testsim_run_until(sim_now_ns() + 10 * MS);
    CHECK_EQ_INT(w->mn->state, MN_REGISTERED);
}

static void
test_proxy_answers_solicitation(void)
{
    struct world w;
    register_away(&w);

    size_t from = testsim_sent_count();
    inject_solicitation(&w, w.neighbour, w.hoa, ND_HOP_LIMIT, 0);
    CHECK_EQ_INT(count_sent_nd(w.ha_node, ND_NEIGHBOR_ADVERT, from), 1);

    struct sent_nd na;
    struct nd_neighbor msg = {0};
    CHECK(find_sent_nd(w.ha_node, ND_NEIGHBOR_ADVERT, from, 0, &na));
    if (na.packet) {
        CHECK_EQ_INT(parse_sent(&na, &msg), ND_OK);
        CHECK_EQ_MEM(na.ip.hdr.src, w.ha_addr, 16);
        CHECK_EQ_MEM(na.ip.hdr.dst, w.neighbour, 16);
    }
    CHECK_EQ_MEM(msg.target, w.hoa, 16);
    CHECK(msg.has_link_addr);
    CHECK_EQ_MEM(msg.link_addr, mac_ha, 6);
    /* RFC 4861 §7.2.4: S set in an answer to a unicast source. */
    CHECK(msg.flags & ND_NA_FLAG_SOLICITED);
    /* RFC 4861 §7.2.8: O clear in a proxy's solicited advertisement. */
    CHECK(!(msg.flags & ND_NA_FLAG_OVERRIDE));
    /* RFC 6275 §10.4.1: R clear, the advertisement is for a host. */
    CHECK(!(msg.flags & ND_NA_FLAG_ROUTER));
    teardown(&w);
}

static void
test_proxy_answers_probe(void)
{
    struct world w;
    static const uint8_t unspecified[16];
    register_away(&w);

    /* Another node's duplicate address detection for the home address. */
    size_t from = testsim_sent_count();
    inject_solicitation(&w, unspecified, w.hoa, ND_HOP_LIMIT, 0);

    struct sent_nd na;
    struct nd_neighbor msg = {0};
    CHECK(find_sent_nd(w.ha_node, ND_NEIGHBOR_ADVERT, from, 0, &na));
    if (na.packet) {
        CHECK_EQ_INT(parse_sent(&na, &msg), ND_OK);
        /* RFC 4861 §7.2.4: to all-nodes, S clear. */
        CHECK_EQ_MEM(na.ip.hdr.dst, w.all_nodes, 16);
    }
    CHECK_EQ_MEM(msg.target, w.hoa, 16);
    CHECK_EQ_MEM(msg.link_addr, mac_ha, 6);
    CHECK_EQ_INT(msg.flags, 0);

    /* The same for a probe as ns-3.37 sends it, as the mobile node's own
     * stack does for its home address when it comes back. */
    from = testsim_sent_count();
    inject_ns3_probe(&w, w.hoa);
    CHECK_EQ_INT(count_sent_nd(w.ha_node, ND_NEIGHBOR_ADVERT, from), 1);
    teardown(&w);
}

static void
test_proxy_ignores_others(void)
{
    struct world w;
    register_away(&w);
    uint8_t other[16];
    testnet_addr(other, "2001:1:0:1::77");

    size_t from = testsim_sent_count();
    /* RFC 4861 §7.1.1: a hop limit other than 255 makes it invalid. */
    inject_solicitation(&w, w.neighbour, w.hoa, 64, 0);
    CHECK_EQ_INT(count_sent_nd(w.ha_node, ND_NEIGHBOR_ADVERT, from), 0);
    /* An address without a binding is not the home agent's to defend. */
    inject_solicitation(&w, w.neighbour, other, ND_HOP_LIMIT, 0);
    CHECK_EQ_INT(count_sent_nd(w.ha_node, ND_NEIGHBOR_ADVERT, from), 0);
    /* Only solicitations from the home link count (the tunnel is 1). */
    inject_solicitation(&w, w.neighbour, w.hoa, ND_HOP_LIMIT, w.ha->tunnel_ifindex);
    CHECK_EQ_INT(count_sent_nd(w.ha_node, ND_NEIGHBOR_ADVERT, from), 0);
    teardown(&w);
}

static void
test_proxy_stops_after_return(void)
{
    struct world w;
    register_away(&w);

    return_home(&w);
    testsim_run_until(sim_now_ns() + 100 * MS);
    CHECK_EQ_INT(w.mn->state, MN_AT_HOME);
    CHECK(mip6_ha_binding(w.ha, w.hoa) == NULL);
    CHECK_EQ_INT(testsim_solicited_joins(w.ha_node), 0);

    size_t from = testsim_sent_count();
    inject_solicitation(&w, w.neighbour, w.hoa, ND_HOP_LIMIT, 0);
    CHECK_EQ_INT(count_sent_nd(w.ha_node, ND_NEIGHBOR_ADVERT, from), 0);
    teardown(&w);
}

/* RFC 6275 §11.5.5: after the de-registration BA the mobile node
 * advertises its own link-layer address for the home address. */
static void
test_mobile_node_advertises_at_home(void)
{
    struct world w;
    register_away(&w);

    size_t from = testsim_sent_count();
    return_home(&w);
    CHECK_EQ_INT(count_sent_nd(w.mn_node, ND_NEIGHBOR_ADVERT, from), 0);
    testsim_run_until(sim_now_ns() + 100 * MS);
    CHECK_EQ_INT(count_sent_nd(w.mn_node, ND_NEIGHBOR_ADVERT, from), 1);

    struct sent_nd na;
    struct nd_neighbor msg = {0};
    CHECK(find_sent_nd(w.mn_node, ND_NEIGHBOR_ADVERT, from, 0, &na));
    if (na.packet) {
        CHECK_EQ_INT(parse_sent(&na, &msg), ND_OK);
        CHECK_EQ_INT(na.packet->time_ns, last_event(&w, w.mn_node, REC_MOB_BA_RECEIVED, "time_ns"));
        CHECK_EQ_MEM(na.ip.hdr.src, w.hoa, 16);
        CHECK_EQ_MEM(na.ip.hdr.dst, w.all_nodes, 16);
    }
    CHECK_EQ_MEM(msg.target, w.hoa, 16);
    CHECK(msg.has_link_addr);
    CHECK_EQ_MEM(msg.link_addr, mac_mn, 6);
    CHECK_EQ_INT(msg.flags, ND_NA_FLAG_OVERRIDE);
    teardown(&w);
}

/* The home agent's answer to the probe ns-3 sends for the re-added home
 * address must not reach the simulator's stack while the mobile node
 * de-registers; once at home, advertisements pass again. */
static void
test_mobile_node_hides_defence(void)
{
    struct world w;
    register_away(&w);

    return_home(&w);
    CHECK_EQ_INT(w.mn->state, MN_DEREGISTERING);
    size_t delivered = testsim_delivered_count();
    inject_advert(&w, w.mn_node, w.ha_addr, w.hoa, mac_ha);
    CHECK_EQ_INT(testsim_delivered_count(), delivered);
    CHECK_EQ_INT(count_drops(&w, w.mn_node, "home_address_defended"), 1);

    /* An advertisement for another address is not the home agent's defence. */
    inject_advert(&w, w.mn_node, w.ha_addr, w.ha_addr, mac_ha);
    CHECK_EQ_INT(testsim_delivered_count(), delivered + 1);

    testsim_run_until(sim_now_ns() + 100 * MS);
    CHECK_EQ_INT(w.mn->state, MN_AT_HOME);
    delivered = testsim_delivered_count();
    inject_advert(&w, w.mn_node, w.neighbour, w.hoa, mac_neighbour);
    CHECK_EQ_INT(testsim_delivered_count(), delivered + 1);
    CHECK_EQ_INT(count_drops(&w, w.mn_node, "home_address_defended"), 1);
    teardown(&w);
}

CHECK_MAIN(TEST(test_probe_known_answer), TEST(test_proxy_advert_known_answer),
           TEST(test_encoder_rejects), TEST(test_parser_table), TEST(test_parser_accepts_ns3_probe),
           TEST(test_peek_neighbor), TEST(test_first_registration_waits),
           TEST(test_duplicate_advert_rejects), TEST(test_duplicate_probe_rejects),
           TEST(test_duplicate_ns3_probe_rejects), TEST(test_resolution_during_dad_ignored),
           TEST(test_refresh_and_move_skip_dad), TEST(test_retransmitted_bu_during_dad),
           TEST(test_deregistration_abandons_dad), TEST(test_dad_off_by_default),
           TEST(test_install_needs_home_mac), TEST(test_proxy_answers_solicitation),
           TEST(test_proxy_answers_probe), TEST(test_proxy_ignores_others),
           TEST(test_proxy_stops_after_return), TEST(test_mobile_node_advertises_at_home),
           TEST(test_mobile_node_hides_defence))
