/*
 * test_ike_v1.c - dynamic keying with IKEv1 between mobile node and home
 * agent (RFC 3776 §4.4, §5.3, §6.17-§6.19) over the test simulator.  The
 * tests cover aggressive mode and quick modes before the first BU, IKE
 * from the care-of address, selectors on the home address, the K bit,
 * the home agent's checks of identities, keys and exchange modes,
 * rekeying, retransmission and anti-replay.
 *
 *   mn --(foreign links 2001:1:0:2::/64, 2001:1:0:3::/64)--+
 *                                                          +-- ha (home link 2001:1:0:1::/64)
 *
 * Every test records into an SQLite database and checks the events.
 */
#define _POSIX_C_SOURCE 200809L

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "esp.h"
#include "ha.h"
#include "ike.h"
#include "mn.h"
#include "testnet.h"
#include "testsim.h"

#define S 1000000000ull
#define UDP_LEN 8
#define ISAKMP_NEXT_PAYLOAD 16 /* offsets in the ISAKMP header (RFC 2408 §3.1) */
#define ISAKMP_EXCHANGE 18

static const uint8_t mac_mn[6] = {0x02, 0, 0, 0, 0, 0x10};
static const uint8_t mac_mn2[6] = {0x02, 0, 0, 0, 0, 0x20};
static const uint8_t mac_ha[6] = {0x02, 0, 0, 0, 0, 0x01};

struct world {
    uint32_t mn_node, ha_node;
    struct mip6_mn *mn;
    struct mip6_ha *ha;
    struct mip6_ike_config cfg;
    struct rec *rec;
    char db[96];
    uint8_t hoa[16], ha_addr[16], home_prefix[16], coa2[16], coa3[16];
};

static char dir[64];

static void
remove_dir(void)
{
    rmdir(dir);
}

static void
default_config(struct mip6_ike_config *cfg, const char *identity)
{
    mip6_ike_config_default(cfg);
    cfg->keying = MIP6_KEYING_IKEV1;
    cfg->dh_group = 14;
    snprintf(cfg->identity, sizeof cfg->identity, "%s", identity);
    memcpy(cfg->psk, "a shared key of the test", 24);
    cfg->psk_len = 24;
}

/* Build a mobile node and its home agent.  tweak, when not NULL, may
 * change w->cfg before the SAs are set up. */
static void
setup_with(struct world *w, void (*tweak)(struct mip6_ike_config *))
{
    char err[512];
    struct mip6_ha_config hc;
    struct mip6_mn_config mc;

    memset(w, 0, sizeof *w);
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/test_ike_v1.XXXXXX");
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
    testsim_add_iface(w->mn_node, mac_mn);
    testsim_add_iface(w->ha_node, mac_ha);
    testnet_addr(w->ha_addr, "2001:1:0:1::1");
    testnet_addr(w->home_prefix, "2001:1:0:1::");
    uint8_t prefix[16];
    testnet_addr(prefix, "2001:1:0:2::");
    ip6_addr_from_prefix_mac(w->coa2, prefix, mac_mn);
    testnet_addr(prefix, "2001:1:0:3::");
    ip6_addr_from_prefix_mac(w->coa3, prefix, mac_mn);
    sim_addr_add(w->ha_node, 0, w->ha_addr, 64);

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

    default_config(&w->cfg, "mn0.home.example");
    if (tweak)
        tweak(&w->cfg);
    int rc = mip6_dynamic_sas(w->mn, w->ha, &w->cfg, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "mip6_dynamic_sas: %s\n", err);
    CHECK_EQ_INT(rc, 0);
}

static void
setup(struct world *w)
{
    setup_with(w, NULL);
}

static void
teardown(struct world *w)
{
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    char name[128];

    testsim_reset();
    testsim_set_loss(NULL);
    mip6_mn_free(w->mn);
    mip6_ha_free(w->ha);
    rec_close(w->rec, REC_COMPLETE);
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%s%s", w->db, suffixes[i]);
        unlink(name);
    }
}

/* The first column of a query on the run's database after a flush, or -999. */
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

/* The first column of a query as text into out, or "" when there is no row. */
static void
query_text(struct world *w, const char *sql, char *out, size_t out_len)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;

    out[0] = 0;
    rec_flush(w->rec);
    if (sqlite3_open_v2(w->db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "query failed: %s: %s\n", sql, sqlite3_errmsg(db));
        check_failures++;
    } else if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
        snprintf(out, out_len, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

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

static long long
events(struct world *w, uint32_t node, enum rec_mob kind)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM mobility_event WHERE node = %u AND kind = %d",
             node, (int)kind);
    return query_int(w, sql);
}

/* How many events of a kind the node recorded with this value. */
static long long
events_with(struct world *w, uint32_t node, enum rec_mob kind, long long value)
{
    char sql[200];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM mobility_event WHERE node = %u AND kind = %d AND value = %lld",
             node, (int)kind, value);
    return query_int(w, sql);
}

static long long
sa_events(struct world *w, uint32_t node, const char *event, const char *name)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM sa_events_v WHERE node = %u AND event = '%s' AND name = '%s'",
             node, event, name);
    return query_int(w, sql);
}

static void
attach(struct world *w, const char *router, const char *prefix)
{
    uint8_t r[16], p[16];
    testnet_addr(r, router);
    testnet_addr(p, prefix);
    testnet_move(w->mn_node, 0, mac_mn, r, p, true);
}

/* Move to the first foreign link and run until the registration is done. */
static void
register_away(struct world *w)
{
    attach(w, "fe80::2", "2001:1:0:2::");
    testsim_run_until(sim_now_ns() + 4 * S);
}

/* The ISAKMP message of a packet that is UDP to or from port 500, or NULL. */
static const uint8_t *
isakmp_of(const uint8_t *pkt, size_t len, struct ip6_packet *p, size_t *msg_len)
{
    if (ip6_parse(pkt, len, p) != IP6_OK || p->upper_proto != IP6_NH_UDP ||
        p->upper_len < UDP_LEN + IKEV1_HEADER_LEN || pkt[p->upper_offset + 2] != 0x01 ||
        pkt[p->upper_offset + 3] != 0xf4)
        return NULL;
    *msg_len = p->upper_len - UDP_LEN;
    return pkt + p->upper_offset + UDP_LEN;
}

/*
 * Put an ISAKMP message into a UDP datagram from src to the home agent,
 * with its checksum (RFC 8200 §8.1), and hand it to the home agent.
 */
static void
inject_isakmp(struct world *w, const uint8_t src[16], const uint8_t *msg, size_t len)
{
    uint8_t pkt[TESTSIM_MAX_PACKET];
    struct wr out = wr_init(pkt, sizeof pkt);
    struct ip6_header ip = {
        .payload_len = UDP_LEN + len, .next_header = IP6_NH_UDP, .hop_limit = 64};

    memcpy(ip.src, src, 16);
    memcpy(ip.dst, w->ha_addr, 16);
    CHECK_EQ_INT(ip6_write_header(&out, &ip), IP6_OK);
    size_t udp = out.pos;
    wr_u16(&out, IKEV1_PORT);
    wr_u16(&out, IKEV1_PORT);
    wr_u16(&out, (uint16_t)(UDP_LEN + len));
    wr_u16(&out, 0);
    wr_bytes(&out, msg, len);
    CHECK(wr_ok(&out));
    uint16_t sum = ip6_checksum(src, w->ha_addr, IP6_NH_UDP, pkt + udp, UDP_LEN + len);
    put_u16(pkt + udp + 6, sum == 0 ? 0xffff : sum);
    testsim_inject(w->ha_node, 0, pkt, out.pos);
}

/* The one phase-1 transform of the model, with an authentication method of choice. */
static void
phase1_proposal(struct ikev1_sa *sa, uint16_t auth_method)
{
    sa->n_proposals = 1;
    struct ikev1_proposal *p = &sa->proposals[0];
    p->number = 1;
    p->protocol = IKEV1_PROTO_ISAKMP;
    p->n_transforms = 1;
    struct ikev1_transform *t = &p->transforms[0];
    t->number = 1;
    t->id = IKEV1_KEY_IKE;
    t->attrs[t->n_attrs++] = ikev1_attr_tv(IKEV1_ATTR_ENCRYPTION, IKEV1_ENCR_AES_CBC);
    t->attrs[t->n_attrs++] = ikev1_attr_tv(IKEV1_ATTR_KEY_LENGTH, 128);
    t->attrs[t->n_attrs++] = ikev1_attr_tv(IKEV1_ATTR_HASH, IKEV1_HASH_SHA);
    t->attrs[t->n_attrs++] = ikev1_attr_tv(IKEV1_ATTR_AUTH_METHOD, auth_method);
    t->attrs[t->n_attrs++] = ikev1_attr_tv(IKEV1_ATTR_GROUP, IKEV1_GROUP_MODP_2048);
}

/* A first message of the exchange from the mobile node's side, as bytes in out. */
static size_t
first_message(uint8_t exchange, const struct ikev1_id *idii, uint8_t *out, size_t cap)
{
    static struct ikev1_msg m;

    memset(&m, 0, sizeof m);
    m.hdr.cky_i = 0x1122334455667788ull;
    m.hdr.exchange = exchange;
    m.has_sa = true;
    phase1_proposal(&m.sa, IKEV1_AUTH_PSK);
    /* Main mode carries only the SA payload in its first message (RFC 2409 §5). */
    if (exchange == IKEV1_AGGRESSIVE) {
        m.has_ke = true;
        m.ke.len = 256;
        memset(m.ke.data, 0x5a, m.ke.len);
        m.has_nonce = true;
        m.nonce_len = 32;
        memset(m.nonce, 0xa5, m.nonce_len);
        m.n_ids = 1;
        m.ids[0] = *idii;
    }
    struct wr w = wr_init(out, cap);
    CHECK_EQ_INT(ikev1_encode(&m, NULL, &w, NULL), IKEV1_OK);
    return w.pos;
}

/* The first notification type the home agent sent back in clear, or -1. */
static int
notify_sent_by_ha(struct world *w)
{
    static struct ikev1_msg m;
    struct ip6_packet p;
    size_t len = 0;

    for (size_t i = 0; i < testsim_sent_count(); i++) {
        const struct testsim_packet *s = testsim_sent(i);
        const uint8_t *msg = s->node == w->ha_node ? isakmp_of(s->bytes, s->len, &p, &len) : NULL;
        if (msg && msg[ISAKMP_EXCHANGE] == IKEV1_INFORMATIONAL &&
            ikev1_decode(msg, len, NULL, &m) == IKEV1_OK && m.n_notifies == 1)
            return m.notifies[0].type;
    }
    return -1;
}

/* ---- RFC 3776 §6.17 and §6.19: IKE before the first BU ---- */

static void
test_first_move_runs_phase1_then_bu(void)
{
    struct world w;
    char exchanges[128];
    setup(&w);

    register_away(&w);

    CHECK_EQ_INT(events_with(&w, w.mn_node, REC_MOB_IKE_SA_UP, 1), 1);
    CHECK_EQ_INT(events_with(&w, w.ha_node, REC_MOB_IKE_SA_UP, 1), 1);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_REGISTERED), 1);
    CHECK(mip6_ha_binding(w.ha, w.hoa) != NULL);
    /* BU/BA, prefix discovery and return routability pairs, both ends. */
    CHECK_EQ_INT(w.mn->node.ipsec.n_sas, 6);
    CHECK_EQ_INT(w.ha->node.ipsec.n_sas, 6);
    CHECK_EQ_INT(sa_events(&w, w.mn_node, "install", "bu"), 2);
    CHECK_EQ_INT(sa_events(&w, w.ha_node, "install", "rr"), 2);
    CHECK_EQ_INT(query_int(&w, "SELECT count(*) FROM sa_events_v WHERE keying <> 'ikev1'"), 0);
    /* Aggressive mode (4) twice, then each quick mode (32) with its HASH(3). */
    query_text(&w,
               "SELECT group_concat(value, ' ') FROM (SELECT value FROM mobility_event"
               " WHERE node = 0 AND kind = 36 ORDER BY rowid)",
               exchanges, sizeof exchanges);
    CHECK(strcmp(exchanges, "4 4 32 32 32 32 32 32") == 0);
    /* The BU went once quick mode gave it its SAs. */
    CHECK_EQ_INT(query_int(&w, "SELECT (SELECT min(time_ns) FROM mobility_event WHERE node = 0"
                               " AND kind = 5) >= (SELECT min(time_ns) FROM sa_event"
                               " WHERE node = 0 AND event = 1 AND name = 'bu')"),
                 1);
    CHECK_EQ_INT(drops(&w, w.ha_node, "esp_no_sa"), 0);
    CHECK_EQ_INT(query_int(&w, "SELECT count(*) FROM packet_event WHERE kind = 5"
                               " AND drop_reason BETWEEN 29 AND 35"),
                 0);
    teardown(&w);
}

/* RFC 3776 §4.4: IKE leaves from the care-of address, with no Home Address option. */
static void
test_ike_uses_care_of_address(void)
{
    struct world w;
    struct ip6_packet p;
    size_t from_mn = 0, len = 0;
    setup(&w);

    register_away(&w);

    for (size_t i = 0; i < testsim_sent_count(); i++) {
        const struct testsim_packet *s = testsim_sent(i);
        const uint8_t *msg = s->node == w.mn_node ? isakmp_of(s->bytes, s->len, &p, &len) : NULL;
        if (!msg)
            continue;
        from_mn++;
        CHECK_EQ_MEM(p.hdr.src, w.coa2, 16);
        CHECK(!p.has_hao);
        CHECK_EQ_INT(p.hdr.next_header, IP6_NH_UDP);
        CHECK_EQ_INT(msg[17], IKEV1_VERSION);
    }
    /* Aggressive mode messages 1 and 3, and three quick modes of two messages. */
    CHECK_EQ_INT(from_mn, 8);
    teardown(&w);
}

/* RFC 3776 §4.4: negotiated selectors name the home address, never the care-of address. */
static void
test_selectors_name_home_address(void)
{
    struct world w;
    setup(&w);

    register_away(&w);

    struct ipsec_db *dbs[2] = {&w.mn->node.ipsec, &w.ha->node.ipsec};
    for (int d = 0; d < 2; d++) {
        for (size_t i = 0; i < dbs[d]->n_sas; i++) {
            const struct ipsec_selector *sel = &dbs[d]->sas[i]->sel;
            bool names_hoa = (sel->src_len == 128 && memcmp(sel->src, w.hoa, 16) == 0) ||
                             (sel->dst_len == 128 && memcmp(sel->dst, w.hoa, 16) == 0);
            CHECK(names_hoa);
            CHECK(memcmp(sel->src, w.coa2, 16) != 0);
            CHECK(memcmp(sel->dst, w.coa2, 16) != 0);
            CHECK(!dbs[d]->sas[i]->manual);
        }
    }
    teardown(&w);
}

/* The Wireshark key log has one ikev1_decryption_table record per ISAKMP SA. */
static void
test_key_log_names_initiator_cookie(void)
{
    struct world w;
    char path[128], err[256], line[128] = "", want[32];
    setup(&w);
    snprintf(path, sizeof path, "%s/ikev1_keys", dir);
    CHECK_EQ_INT(mip6_mn_log_ike_keys(w.mn, path, err, sizeof err), 0);

    register_away(&w);

    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (f) {
        CHECK(fgets(line, sizeof line, f) != NULL);
        CHECK(fgetc(f) == EOF);
        fclose(f);
    }
    unlink(path);
    struct ike_sa *sa = w.mn->ike->self.current;
    CHECK(sa != NULL);
    if (sa) {
        snprintf(want, sizeof want, "%016llx,", (unsigned long long)sa->spi_i);
        CHECK(strncmp(line, want, strlen(want)) == 0);
    }
    /* The cookie, a comma, and 16 key bytes in hex. */
    CHECK_EQ_INT(strlen(line), 16 + 1 + 32 + 1);
    teardown(&w);
}

/* ---- the K bit (RFC 3776 §4.4, RFC 6275 §10.3.1, §11.7.1) ---- */

static void
test_k_bit_moves_isakmp_sa(void)
{
    struct world w;
    setup(&w);
    register_away(&w);

    attach(&w, "fe80::3", "2001:1:0:3::");
    testsim_run_until(sim_now_ns() + 4 * S);

    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_REGISTERED), 2);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_SA_UP), 1);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_SA_MOVED), 1);
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_IKE_SA_MOVED), 1);
    struct ike_sa *mn_sa = w.mn->ike->self.current;
    CHECK(mn_sa != NULL);
    if (mn_sa)
        CHECK_EQ_MEM(mn_sa->local, w.coa3, 16);
    struct ike_peer *peer = ike_peer_for_home(w.ha->ike, w.hoa);
    CHECK(peer != NULL);
    if (peer)
        CHECK(peer->current != NULL);
    if (peer && peer->current)
        CHECK_EQ_MEM(peer->current->remote, w.coa3, 16);
    teardown(&w);
}

static void
no_k_bit(struct mip6_ike_config *cfg)
{
    cfg->k_bit = false;
}

static void
test_without_k_bit_phase1_runs_again(void)
{
    struct world w;
    setup_with(&w, no_k_bit);
    register_away(&w);

    attach(&w, "fe80::3", "2001:1:0:3::");
    testsim_run_until(sim_now_ns() + 4 * S);

    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_REGISTERED), 2);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_SA_MOVED), 0);
    /* A second ISAKMP SA from the new address, and the first one deleted. */
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_SA_UP), 2);
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_IKE_SA_UP), 2);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_SA_DOWN), 1);
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_IKE_SA_DOWN), 1);
    /* The Delete went as an Informational exchange (5) and arrived. */
    CHECK_EQ_INT(events_with(&w, w.mn_node, REC_MOB_IKE_REQUEST_SENT, IKEV1_INFORMATIONAL), 1);
    CHECK_EQ_INT(events_with(&w, w.ha_node, REC_MOB_IKE_REQUEST_RECEIVED, IKEV1_INFORMATIONAL), 1);
    CHECK(w.mn->ike->self.old == NULL);
    /* Only the new ISAKMP SA's pairs remain. */
    CHECK_EQ_INT(w.mn->node.ipsec.n_sas, 6);
    CHECK_EQ_INT(w.ha->node.ipsec.n_sas, 6);
    struct ike_sa *mn_sa = w.mn->ike->self.current;
    CHECK(mn_sa != NULL);
    if (mn_sa)
        CHECK_EQ_MEM(mn_sa->local, w.coa3, 16);
    /* The second aggressive mode came from the second care-of address. */
    CHECK_EQ_INT(query_int(&w, "SELECT count(DISTINCT address) FROM mobility_event"
                               " WHERE node = 1 AND kind = 37 AND value = 4"),
                 2);
    teardown(&w);
}

static void
isakmp_lifetime(struct mip6_ike_config *cfg)
{
    cfg->ike_lifetime_ns = 5 * S;
}

/*
 * At its lifetime a new phase 1 from the same address, with new quick
 * modes, replaces the ISAKMP SA, because RFC 2409 has no exchange that
 * rekeys it.  The old one and its pairs are deleted after the new pairs
 * exist.
 */
static void
test_isakmp_sa_replaced_at_lifetime(void)
{
    struct world w;
    setup_with(&w, isakmp_lifetime);
    register_away(&w);
    struct ike_sa *first = w.mn->ike->self.current;
    uint64_t first_spi = first ? first->spi_i : 0;
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_SA_REKEYED), 0);

    /* The lifetime ends about 5 s after registration began, and the old
     * pairs go one retransmission timeout after the Delete. */
    testsim_run_until(sim_now_ns() + 7 * S / 2);

    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_SA_UP), 2);
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_IKE_SA_UP), 2);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_SA_REKEYED), 1);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_SA_DOWN), 1);
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_IKE_SA_DOWN), 1);
    struct ike_sa *now = w.mn->ike->self.current;
    CHECK(now != NULL);
    CHECK(w.mn->ike->self.old == NULL);
    if (now) {
        CHECK(now->spi_i != first_spi);
        CHECK_EQ_MEM(now->local, w.coa2, 16);
    }
    CHECK_EQ_INT(query_int(&w, "SELECT count(*) FROM mobility_event WHERE node = 0 AND kind = 47"
                               " AND value = (SELECT value FROM mobility_event WHERE node = 0"
                               " AND kind = 47) AND value2 <> value"),
                 1);
    /* Only the new ISAKMP SA's pairs remain, and no packet was dropped. */
    CHECK_EQ_INT(w.mn->node.ipsec.n_sas, 6);
    CHECK_EQ_INT(w.ha->node.ipsec.n_sas, 6);
    CHECK_EQ_INT(query_int(&w, "SELECT count(*) FROM packet_event WHERE kind = 5"), 0);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_REGISTERED), 1);
    teardown(&w);
}

/* ---- the home agent's checks (RFC 3776 §4.2, §4.4, §5.3.1) ---- */

/* Add to the home agent's PAD a second identity, with a home address of its own. */
static void
add_second_identity(struct world *w, uint8_t hoa_b[16])
{
    char err[256];
    ip6_addr_from_prefix_mac(hoa_b, w->home_prefix, mac_mn2);
    CHECK(ike_pad_add(w->ha->ike, "mn1.home.example", (const uint8_t *)"key of mn1", 10, hoa_b, err,
                      sizeof err) != NULL);
}

static void
test_other_home_address_rejected(void)
{
    struct world w;
    uint8_t hoa_b[16];
    setup(&w);
    add_second_identity(&w, hoa_b);

    /* The mobile node authenticates as mn1, with mn1's key, but requests
     * SAs for its own home address in IDci. */
    struct ike_peer *self = &w.mn->ike->self;
    snprintf(self->identity, sizeof self->identity, "mn1.home.example");
    memcpy(self->psk, "key of mn1", 10);
    self->psk_len = 10;
    register_away(&w);

    /* Phase 1 succeeds.  Each of the three quick modes (BU/BA, prefix
     * discovery, return routability) gets INVALID-ID-INFORMATION (18). */
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_IKE_SA_UP), 1);
    CHECK_EQ_INT(drops(&w, w.ha_node, "ike_unauthorized"), 3);
    CHECK_EQ_INT(events_with(&w, w.mn_node, REC_MOB_IKE_FAILED, IKEV1_N_INVALID_ID_INFORMATION), 3);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_REGISTERED), 0);
    CHECK(mip6_ha_binding(w.ha, w.hoa) == NULL);
    CHECK(mip6_ha_binding(w.ha, hoa_b) == NULL);
    CHECK_EQ_INT(w.ha->node.ipsec.n_sas, 0);
    teardown(&w);
}

static void
test_wrong_key_fails_authentication(void)
{
    struct world w;
    setup(&w);
    w.mn->ike->self.psk[0] ^= 1;

    register_away(&w);

    /* The home agent proves its key first, so the mobile node finds
     * HASH_R wrong and gives up (AUTHENTICATION-FAILED, 24). */
    CHECK(drops(&w, w.mn_node, "ike_auth_failed") >= 1);
    CHECK(events_with(&w, w.mn_node, REC_MOB_IKE_FAILED, IKEV1_N_AUTHENTICATION_FAILED) >= 1);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_SA_UP), 0);
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_IKE_SA_UP), 0);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_REGISTERED), 0);
    CHECK_EQ_INT(w.ha->node.ipsec.n_sas, 0);
    teardown(&w);
}

static int lost_hash_i;

static bool
is_hash_i(const uint8_t *pkt, size_t len)
{
    struct ip6_packet p;
    size_t msg_len = 0;
    const uint8_t *msg = isakmp_of(pkt, len, &p, &msg_len);
    return msg && msg[ISAKMP_EXCHANGE] == IKEV1_AGGRESSIVE &&
           msg[ISAKMP_NEXT_PAYLOAD] == IKEV1_PL_HASH;
}

/* Lose the first HASH_I: aggressive mode whose first payload is HASH. */
static bool
lose_first_hash_i(const uint8_t *pkt, size_t len)
{
    if (lost_hash_i == 0 && is_hash_i(pkt, len)) {
        lost_hash_i++;
        return true;
    }
    return false;
}

/* Lose every HASH_I. */
static bool
lose_every_hash_i(const uint8_t *pkt, size_t len)
{
    if (is_hash_i(pkt, len)) {
        lost_hash_i++;
        return true;
    }
    return false;
}

/* The sent-log index of the first HASH_I from the mobile node, or SIZE_MAX. */
static size_t
first_hash_i(struct world *w)
{
    struct ip6_packet p;
    size_t len = 0;

    for (size_t i = 0; i < testsim_sent_count(); i++) {
        const struct testsim_packet *s = testsim_sent(i);
        const uint8_t *msg = s->node == w->mn_node ? isakmp_of(s->bytes, s->len, &p, &len) : NULL;
        if (msg && msg[ISAKMP_EXCHANGE] == IKEV1_AGGRESSIVE &&
            msg[ISAKMP_NEXT_PAYLOAD] == IKEV1_PL_HASH)
            return i;
    }
    return SIZE_MAX;
}

/* RFC 2409 §5: a wrong HASH_I does not authenticate the initiator. */
static void
test_wrong_hash_i_rejected(void)
{
    struct world w;
    struct ip6_packet p;
    size_t len = 0;
    setup(&w);
    lost_hash_i = 0;
    testsim_set_loss(lose_every_hash_i);
    attach(&w, "fe80::2", "2001:1:0:2::");
    testsim_run_until(sim_now_ns() + 2 * S);
    testsim_set_loss(NULL);
    size_t i = first_hash_i(&w);
    CHECK(lost_hash_i >= 1);
    CHECK(i != SIZE_MAX);
    if (i == SIZE_MAX) {
        teardown(&w);
        return;
    }

    /* The lost HASH_I with its last byte changed. */
    struct testsim_packet copy = *testsim_sent(i);
    const uint8_t *msg = isakmp_of(copy.bytes, copy.len, &p, &len);
    CHECK(msg != NULL);
    if (msg) {
        uint8_t changed[IKEV1_MAX_MSG_LEN];
        memcpy(changed, msg, len);
        changed[len - 1] ^= 1;
        inject_isakmp(&w, p.hdr.src, changed, len);
    }
    testsim_run_until(sim_now_ns() + S / 10);

    CHECK_EQ_INT(drops(&w, w.ha_node, "ike_auth_failed"), 1);
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_IKE_SA_UP), 0);
    CHECK(ike_peer_for_home(w.ha->ike, w.hoa)->current == NULL);
    teardown(&w);
}

/* A lost HASH_I: the home agent replies to the first quick mode with message 2 again. */
static void
test_lost_hash_i_sent_again(void)
{
    struct world w;
    setup(&w);
    lost_hash_i = 0;
    testsim_set_loss(lose_first_hash_i);

    register_away(&w);

    CHECK_EQ_INT(lost_hash_i, 1);
    CHECK_EQ_INT(drops(&w, w.ha_node, "ike_unexpected"), 1);
    CHECK_EQ_INT(events_with(&w, w.mn_node, REC_MOB_IKE_RETRANSMIT, IKEV1_QUICK_MODE), 1);
    CHECK_EQ_INT(events_with(&w, w.mn_node, REC_MOB_IKE_REQUEST_SENT, IKEV1_AGGRESSIVE), 3);
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_IKE_SA_UP), 1);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_REGISTERED), 1);
    teardown(&w);
}

/* RFC 3776 §4.4: with pre-shared keys main mode is rejected (NO-PROPOSAL-CHOSEN, 14). */
static void
test_main_mode_with_psk_rejected(void)
{
    struct world w;
    uint8_t msg[512];
    setup(&w);

    size_t len = first_message(IKEV1_IDENTITY_PROTECTION, NULL, msg, sizeof msg);
    inject_isakmp(&w, w.coa2, msg, len);
    testsim_run_until(sim_now_ns() + S / 10);

    CHECK_EQ_INT(drops(&w, w.ha_node, "ike_no_proposal"), 1);
    CHECK_EQ_INT(events_with(&w, w.ha_node, REC_MOB_IKE_RESPONSE_SENT, IKEV1_INFORMATIONAL), 1);
    CHECK_EQ_INT(notify_sent_by_ha(&w), IKEV1_N_NO_PROPOSAL_CHOSEN);
    CHECK_EQ_INT(w.ha->ike->by_spi.count, 0);
    teardown(&w);
}

/* The home agent rejects phase-1 identities it cannot map to one key. */
static void
test_phase1_identities_rejected(void)
{
    struct {
        const char *name;
        uint8_t type;
        const char *fqdn; /* NULL: the home address */
    } cases[] = {
        /* RFC 3776 §4.4: ID_IPV6_ADDR names no key. */
        {"ID_IPV6_ADDR of the home address", IKEV1_ID_IPV6_ADDR, NULL},
        {"FQDN not in the PAD", IKEV1_ID_FQDN, "mn9.home.example"},
    };
    uint8_t msg[1024];

    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct world w;
        struct ikev1_id id = {.type = cases[c].type};
        setup(&w);
        if (cases[c].fqdn) {
            id.len = (uint16_t)strlen(cases[c].fqdn);
            memcpy(id.data, cases[c].fqdn, id.len);
        } else {
            id.len = 16;
            memcpy(id.data, w.hoa, 16);
        }

        size_t len = first_message(IKEV1_AGGRESSIVE, &id, msg, sizeof msg);
        inject_isakmp(&w, w.coa2, msg, len);
        testsim_run_until(sim_now_ns() + S / 10);

        if (drops(&w, w.ha_node, "ike_auth_failed") != 1)
            fprintf(stderr, "case: %s\n", cases[c].name);
        CHECK_EQ_INT(drops(&w, w.ha_node, "ike_auth_failed"), 1);
        CHECK_EQ_INT(notify_sent_by_ha(&w), IKEV1_N_INVALID_ID_INFORMATION);
        CHECK_EQ_INT(w.ha->ike->by_spi.count, 0);
        teardown(&w);
    }
}

/* The mobile node learns of an unknown identity from the notification in clear. */
static void
test_unknown_identity_fails_at_mobile_node(void)
{
    struct world w;
    setup(&w);
    struct ike_peer *self = &w.mn->ike->self;
    snprintf(self->identity, sizeof self->identity, "mn9.home.example");

    register_away(&w);

    CHECK(drops(&w, w.ha_node, "ike_auth_failed") >= 1);
    CHECK(events_with(&w, w.mn_node, REC_MOB_IKE_FAILED, IKEV1_N_INVALID_ID_INFORMATION) >= 1);
    CHECK_EQ_INT(drops(&w, w.mn_node, "ike_no_sa"), 0);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_SA_UP), 0);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_REGISTERED), 0);
    teardown(&w);
}

static void
ikev2_keying(struct mip6_ike_config *cfg)
{
    cfg->keying = MIP6_KEYING_IKEV2;
}

/* A node drops IKE of the other version (RFC 2408 §3.1, RFC 7296 §3.1). */
static void
test_other_version_dropped(void)
{
    struct {
        const char *name;
        void (*tweak)(struct mip6_ike_config *);
        uint8_t version;
    } cases[] = {
        {"IKEv2 message to an IKEv1 home agent", NULL, IKEV2_VERSION},
        {"IKEv1 message to an IKEv2 home agent", ikev2_keying, IKEV1_VERSION},
    };
    uint8_t msg[512];

    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct world w;
        setup_with(&w, cases[c].tweak);
        struct ikev1_id id = {.type = IKEV1_ID_FQDN, .len = 16};
        memcpy(id.data, "mn0.home.example", 16);
        size_t len = first_message(IKEV1_AGGRESSIVE, &id, msg, sizeof msg);
        msg[17] = cases[c].version;

        inject_isakmp(&w, w.coa2, msg, len);
        testsim_run_until(sim_now_ns() + S / 10);

        if (drops(&w, w.ha_node, "ike_no_proposal") != 1)
            fprintf(stderr, "case: %s\n", cases[c].name);
        CHECK_EQ_INT(drops(&w, w.ha_node, "ike_no_proposal"), 1);
        CHECK_EQ_INT(w.ha->ike->by_spi.count, 0);
        teardown(&w);
    }
}

/* ---- retransmission ---- */

static int lost_first;

/* Lose the first aggressive mode message: its first payload is SA. */
static bool
lose_first_message(const uint8_t *pkt, size_t len)
{
    struct ip6_packet p;
    size_t msg_len = 0;
    const uint8_t *msg = isakmp_of(pkt, len, &p, &msg_len);
    if (lost_first == 0 && msg && msg[ISAKMP_EXCHANGE] == IKEV1_AGGRESSIVE &&
        msg[ISAKMP_NEXT_PAYLOAD] == IKEV1_PL_SA) {
        lost_first++;
        return true;
    }
    return false;
}

static void
test_lost_first_message_retransmitted(void)
{
    struct world w;
    setup(&w);
    lost_first = 0;
    testsim_set_loss(lose_first_message);

    register_away(&w);
    testsim_set_loss(NULL);

    CHECK_EQ_INT(lost_first, 1);
    CHECK_EQ_INT(events_with(&w, w.mn_node, REC_MOB_IKE_RETRANSMIT, IKEV1_AGGRESSIVE), 1);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_SA_UP), 1);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_REGISTERED), 1);
    teardown(&w);
}

/* ---- rekeying (RFC 2409 §5.5, RFC 3776 §6.18) ---- */

static void
short_lifetimes(struct mip6_ike_config *cfg)
{
    cfg->soft_lifetime_ns = 3 * S;
    cfg->hard_lifetime_ns = 6 * S;
}

static void
test_soft_lifetime_rekeys_before_hard(void)
{
    struct world w;
    setup_with(&w, short_lifetimes);
    register_away(&w);

    /* The pairs were installed about 1 s after the move.  Their soft
     * lifetime ends 3 s later, and the old pairs go 1 s after that. */
    testsim_run_until(sim_now_ns() + 2 * S);

    /* Every pair was rekeyed once: a new pair installed, the old one deleted. */
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_REKEY_START), 3);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_REKEY_DONE), 3);
    CHECK_EQ_INT(sa_events(&w, w.mn_node, "install", "bu"), 4);
    CHECK_EQ_INT(sa_events(&w, w.mn_node, "delete", "bu"), 2);
    CHECK_EQ_INT(sa_events(&w, w.ha_node, "delete", "bu"), 2);
    CHECK_EQ_INT(sa_events(&w, w.mn_node, "hard_expire", "bu"), 0);
    CHECK_EQ_INT(w.mn->node.ipsec.n_sas, 6);
    CHECK_EQ_INT(w.ha->node.ipsec.n_sas, 6);
    /* Each old pair went with a Delete in an Informational exchange. */
    CHECK_EQ_INT(events_with(&w, w.ha_node, REC_MOB_IKE_REQUEST_RECEIVED, IKEV1_INFORMATIONAL), 3);
    /* Old and new inbound SAs overlapped at both ends. */
    for (uint32_t node = 0; node < 2; node++) {
        char sql[400];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM sa_lifetimes_v a JOIN sa_lifetimes_v b"
                 " ON a.node = b.node AND a.name = b.name AND a.direction = 'in'"
                 " AND b.direction = 'in' AND b.installed_ns > a.installed_ns"
                 " WHERE a.node = %u AND a.removed_ns > b.installed_ns",
                 node);
        CHECK_EQ_INT(query_int(&w, sql), 3);
    }
    /* The home agent sent under a new pair only after its HASH(3). */
    CHECK_EQ_INT(sa_events(&w, w.ha_node, "outbound", "bu"), 2);
    CHECK_EQ_INT(query_int(&w, "SELECT count(*) FROM packet_event WHERE kind = 5"
                               " AND drop_reason BETWEEN 24 AND 35"),
                 0);
    teardown(&w);
}

static void
pfs_and_esn(struct mip6_ike_config *cfg)
{
    cfg->pfs = true;
    cfg->esn = true;
}

/* Quick mode with PFS (RFC 2409 §5.5) and extended sequence numbers. */
static void
test_pfs_and_esn_negotiated(void)
{
    struct world w;
    setup_with(&w, pfs_and_esn);

    register_away(&w);

    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_REGISTERED), 1);
    CHECK_EQ_INT(w.ha->node.ipsec.n_sas, 6);
    for (size_t i = 0; i < w.mn->node.ipsec.n_sas; i++)
        CHECK(w.mn->node.ipsec.sas[i]->esp.esn);
    /* Each quick mode message 1 carries a KE payload: SA, Nonce, KE, IDs after HASH. */
    struct ip6_packet p;
    size_t len = 0, with_ke = 0;
    for (size_t i = 0; i < testsim_sent_count(); i++) {
        const struct testsim_packet *s = testsim_sent(i);
        const uint8_t *msg = s->node == w.mn_node ? isakmp_of(s->bytes, s->len, &p, &len) : NULL;
        if (msg && msg[ISAKMP_EXCHANGE] == IKEV1_QUICK_MODE && len > 300)
            with_ke++;
    }
    CHECK_EQ_INT(with_ke, 3);
    teardown(&w);
}

/* ---- anti-replay (RFC 4303 §3.4.3, RFC 3776 §4.4) ---- */

/* The index in the sent log of the first protected BU from the mobile node, or SIZE_MAX. */
static size_t
first_bu_sent(struct world *w)
{
    struct ip6_packet p;
    for (size_t i = 0; i < testsim_sent_count(); i++) {
        const struct testsim_packet *s = testsim_sent(i);
        if (s->node == w->mn_node && ip6_parse(s->bytes, s->len, &p) == IP6_OK && p.has_hao &&
            p.upper_proto == IP6_NH_ESP)
            return i;
    }
    return SIZE_MAX;
}

static void
test_replayed_bu_dropped_by_window(void)
{
    struct world w;
    setup(&w);
    register_away(&w);
    size_t i = first_bu_sent(&w);
    CHECK(i != SIZE_MAX);
    if (i == SIZE_MAX) {
        teardown(&w);
        return;
    }
    uint16_t seq = mip6_ha_binding(w.ha, w.hoa)->last_seq;

    const struct testsim_packet *s = testsim_sent(i);
    testsim_inject(w.ha_node, 0, s->bytes, s->len);
    testsim_run_until(sim_now_ns() + S);

    CHECK_EQ_INT(drops(&w, w.ha_node, "esp_replay"), 1);
    CHECK_EQ_INT(mip6_ha_binding(w.ha, w.hoa)->last_seq, seq);
    teardown(&w);
}

/* Configuration errors name the value and the fix. */
static void
test_bad_config_rejected(void)
{
    struct world w;
    setup(&w);
    char err[512];
    struct mip6_ike_config cfg;

    default_config(&cfg, "x");
    cfg.dh_group = 31;
    CHECK_EQ_INT(mip6_dynamic_sas(w.mn, w.ha, &cfg, err, sizeof err), -1);
    CHECK(strstr(err, "group 31") != NULL);
    CHECK(strstr(err, "IKEv1") != NULL);
    CHECK(strstr(err, "14") != NULL);

    default_config(&cfg, "x");
    cfg.keying = (enum mip6_keying)7;
    CHECK_EQ_INT(mip6_dynamic_sas(w.mn, w.ha, &cfg, err, sizeof err), -1);
    CHECK(strstr(err, "keying 7") != NULL);
    teardown(&w);
}

CHECK_MAIN(TEST(test_first_move_runs_phase1_then_bu), TEST(test_ike_uses_care_of_address),
           TEST(test_selectors_name_home_address), TEST(test_key_log_names_initiator_cookie),
           TEST(test_k_bit_moves_isakmp_sa), TEST(test_without_k_bit_phase1_runs_again),
           TEST(test_isakmp_sa_replaced_at_lifetime), TEST(test_other_home_address_rejected),
           TEST(test_wrong_key_fails_authentication), TEST(test_wrong_hash_i_rejected),
           TEST(test_lost_hash_i_sent_again), TEST(test_main_mode_with_psk_rejected),
           TEST(test_phase1_identities_rejected), TEST(test_unknown_identity_fails_at_mobile_node),
           TEST(test_other_version_dropped), TEST(test_lost_first_message_retransmitted),
           TEST(test_soft_lifetime_rekeys_before_hard), TEST(test_pfs_and_esn_negotiated),
           TEST(test_replayed_bu_dropped_by_window), TEST(test_bad_config_rejected))
