/*
 * test_ike.c - dynamic keying with IKEv2 between mobile node and home
 * agent (RFC 3776 §4.4, §6.17-§6.19, RFC 4877) over the test simulator.
 * The tests cover IKE from the care-of address before the first BU,
 * selectors on the home address, the K bit, the home agent's
 * authorization of identities, rekeying, retransmission and anti-replay.
 *
 *   mn --(foreign links 2001:1:0:2::/64, 2001:1:0:3::/64)--+
 *                                                          +-- ha (home link 2001:1:0:1::/64)
 *
 * Every test records into an SQLite database and checks the events.
 */
#define _POSIX_C_SOURCE 200809L

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "esp.h"
#include "ha.h"
#include "ike.h"
#include "mh.h"
#include "mn.h"
#include "testnet.h"
#include "testsim.h"

#define MS 1000000ull
#define S 1000000000ull

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
    cfg->keying = MIP6_KEYING_IKEV2;
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
        snprintf(dir, sizeof dir, "/tmp/test_ike.XXXXXX");
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

/* Whether a sent packet is UDP to or from port 500. */
static bool
is_ike(const struct testsim_packet *s, struct ip6_packet *p)
{
    return ip6_parse(s->bytes, s->len, p) == IP6_OK && p->upper_proto == IP6_NH_UDP &&
           p->upper_len >= 8 && s->bytes[p->upper_offset + 2] == 0x01 &&
           s->bytes[p->upper_offset + 3] == 0xf4;
}

/* ---- RFC 3776 §6.19: IKE before the first BU ---- */

static void
test_first_move_runs_ike_then_bu(void)
{
    struct world w;
    setup(&w);

    register_away(&w);

    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_SA_UP), 1);
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_IKE_SA_UP), 1);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_REGISTERED), 1);
    CHECK(mip6_ha_binding(w.ha, w.hoa) != NULL);
    /* BU/BA, prefix discovery and return routability pairs, both ends. */
    CHECK_EQ_INT(w.mn->node.ipsec.n_sas, 6);
    CHECK_EQ_INT(w.ha->node.ipsec.n_sas, 6);
    CHECK_EQ_INT(sa_events(&w, w.mn_node, "install", "bu"), 2);
    CHECK_EQ_INT(sa_events(&w, w.ha_node, "install", "rr"), 2);
    /* The BU went once IKE_AUTH completed, under the negotiated SA. */
    CHECK_EQ_INT(query_int(&w, "SELECT (SELECT min(time_ns) FROM mobility_event WHERE node = 0"
                               " AND kind = 5) >= (SELECT min(time_ns) FROM mobility_event"
                               " WHERE node = 0 AND kind = 41)"),
                 1);
    CHECK_EQ_INT(drops(&w, w.ha_node, "esp_no_sa"), 0);
    /* RFC 3776 §6.19: the home agent only responds. */
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_IKE_REQUEST_SENT), 0);
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_IKE_RESPONSE_SENT), 4);
    teardown(&w);
}

/* RFC 3776 §4.4: IKE leaves from the care-of address, with no Home Address option. */
static void
test_ike_uses_care_of_address(void)
{
    struct world w;
    struct ip6_packet p;
    size_t from_mn = 0;
    setup(&w);

    register_away(&w);

    for (size_t i = 0; i < testsim_sent_count(); i++) {
        const struct testsim_packet *s = testsim_sent(i);
        if (s->node != w.mn_node || !is_ike(s, &p))
            continue;
        from_mn++;
        CHECK_EQ_MEM(p.hdr.src, w.coa2, 16);
        CHECK(!p.has_hao);
        CHECK_EQ_INT(p.hdr.next_header, IP6_NH_UDP);
    }
    /* IKE_SA_INIT, IKE_AUTH and two CREATE_CHILD_SA requests. */
    CHECK_EQ_INT(from_mn, 4);
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

/* ---- the K bit (RFC 6275 §10.3.1, §11.7.1) ---- */

static void
test_k_bit_moves_ike_sa(void)
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
    CHECK(peer && peer->current != NULL);
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
test_without_k_bit_ike_runs_again(void)
{
    struct world w;
    setup_with(&w, no_k_bit);
    register_away(&w);

    attach(&w, "fe80::3", "2001:1:0:3::");
    testsim_run_until(sim_now_ns() + 4 * S);

    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_REGISTERED), 2);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_SA_MOVED), 0);
    /* A second IKE SA from the new address, and the first one deleted. */
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_SA_UP), 2);
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_IKE_SA_UP), 2);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_SA_DOWN), 1);
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_IKE_SA_DOWN), 1);
    CHECK(w.mn->ike->self.old == NULL);
    /* Only the new IKE SA's pairs remain. */
    CHECK_EQ_INT(w.mn->node.ipsec.n_sas, 6);
    CHECK_EQ_INT(w.ha->node.ipsec.n_sas, 6);
    struct ike_sa *mn_sa = w.mn->ike->self.current;
    CHECK(mn_sa != NULL);
    if (mn_sa)
        CHECK_EQ_MEM(mn_sa->local, w.coa3, 16);
    teardown(&w);
}

/* ---- the home agent's authorization (RFC 3776 §4.2, §5.3.1) ---- */

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
test_identity_of_other_home_address_refused(void)
{
    struct world w;
    uint8_t hoa_b[16];
    setup(&w);
    add_second_identity(&w, hoa_b);

    /* The mobile node authenticates as mn1, with mn1's key, but requests
     * SAs for its own home address. */
    struct ike_peer *self = &w.mn->ike->self;
    snprintf(self->identity, sizeof self->identity, "mn1.home.example");
    memcpy(self->psk, "key of mn1", 10);
    self->psk_len = 10;
    register_away(&w);

    /* Each of the three child SA requests (BU/BA, prefix discovery,
     * return routability) is refused with TS_UNACCEPTABLE. */
    CHECK_EQ_INT(drops(&w, w.ha_node, "ike_unauthorized"), 3);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_FAILED), 3);
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

    CHECK(drops(&w, w.ha_node, "ike_auth_failed") >= 1);
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_IKE_SA_UP), 0);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_REGISTERED), 0);
    CHECK_EQ_INT(w.ha->node.ipsec.n_sas, 0);
    teardown(&w);
}

/* ---- Ed25519 signatures (RFC 7427, RFC 8420) ---- */

static void
ed25519_auth(struct mip6_ike_config *cfg)
{
    cfg->auth = MIP6_IKE_AUTH_ED25519;
    mip6_ike_identity_derive(cfg, 9, 0);
}

/* The AUTH payload method of the IKE_AUTH messages a node sent, decrypted with the IKE SA's keys.
 */
static int
sent_auth_method(struct world *w, uint32_t node, const struct ikev2_sk_keys *keys)
{
    struct ip6_packet p;
    static struct ikev2_msg m;
    for (size_t i = 0; i < testsim_sent_count(); i++) {
        const struct testsim_packet *s = testsim_sent(i);
        if (s->node != node || !is_ike(s, &p))
            continue;
        const uint8_t *msg = s->bytes + p.upper_offset + 8;
        size_t len = p.upper_len - 8;
        if (ikev2_decode(msg, len, keys, &m) == IKEV2_OK && m.hdr.exchange == IKEV2_IKE_AUTH &&
            m.has_auth)
            return m.auth.method;
    }
    (void)w;
    return -1;
}

static void
test_ed25519_signatures_authenticate(void)
{
    struct world w;
    setup_with(&w, ed25519_auth);
    register_away(&w);

    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_SA_UP), 1);
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_IKE_SA_UP), 1);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_REGISTERED), 1);
    struct ike_sa *sa = w.mn->ike->self.current;
    CHECK(sa != NULL);
    if (sa) {
        CHECK_EQ_INT(sent_auth_method(&w, w.mn_node, &sa->keys.initiator),
                     IKEV2_AUTH_DIGITAL_SIGNATURE);
        CHECK_EQ_INT(sent_auth_method(&w, w.ha_node, &sa->keys.responder),
                     IKEV2_AUTH_DIGITAL_SIGNATURE);
    }
    teardown(&w);
}

/* A mobile node signing with a key the home agent does not know is refused. */
static void
test_ed25519_wrong_key_refused(void)
{
    struct world w;
    setup_with(&w, ed25519_auth);
    w.mn->ike->sign_seed[0] ^= 1;

    register_away(&w);

    CHECK(drops(&w, w.ha_node, "ike_auth_failed") >= 1);
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_IKE_SA_UP), 0);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_REGISTERED), 0);
    teardown(&w);
}

/* The mobile node checks the home agent's signature too. */
static void
test_ed25519_wrong_home_agent_key_refused(void)
{
    struct world w;
    setup_with(&w, ed25519_auth);
    w.mn->ike->self.sign_public[5] ^= 1;

    register_away(&w);

    /* The home agent accepts the mobile node each time it retries after a
     * BU timeout, and the mobile node refuses the home agent each time. */
    CHECK(events(&w, w.ha_node, REC_MOB_IKE_SA_UP) >= 1);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_SA_UP), 0);
    CHECK_EQ_INT(drops(&w, w.mn_node, "ike_auth_failed"), events(&w, w.ha_node, REC_MOB_IKE_SA_UP));
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_REGISTERED), 0);
    teardown(&w);
}

/* ---- RFC 7296 §2.1: retransmission ---- */

static int lost_ike;

/* Lose the first IKE_SA_INIT request. */
static bool
lose_first_ike(const uint8_t *pkt, size_t len)
{
    struct ip6_packet p;
    if (lost_ike == 0 && ip6_parse(pkt, len, &p) == IP6_OK && p.upper_proto == IP6_NH_UDP &&
        p.upper_len > 8 + 18 && pkt[p.upper_offset + 8 + 18] == IKEV2_IKE_SA_INIT) {
        lost_ike++;
        return true;
    }
    return false;
}

static void
test_lost_request_is_retransmitted(void)
{
    struct world w;
    setup(&w);
    lost_ike = 0;
    testsim_set_loss(lose_first_ike);

    register_away(&w);
    testsim_set_loss(NULL);

    CHECK_EQ_INT(lost_ike, 1);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_RETRANSMIT), 1);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_SA_UP), 1);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_REGISTERED), 1);
    teardown(&w);
}

/* ---- rekeying (RFC 7296 §1.3.3, RFC 3776 §6.18) ---- */

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

    /* The pairs were installed about 1 s after the move; their soft
     * lifetime ends 3 s later, and the replacements' 3 s after that. */
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
    /* The mobile node starts every rekey; the home agent only responds. */
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_IKE_REQUEST_SENT), 0);
    /* Rekeys neither touch the binding nor drop traffic for want of an SA. */
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_BINDING_DELETE), 0);
    CHECK(mip6_ha_binding(w.ha, w.hoa) != NULL);
    CHECK_EQ_INT(drops(&w, w.ha_node, "esp_no_sa"), 0);
    CHECK_EQ_INT(drops(&w, w.mn_node, "esp_no_sa"), 0);
    /* Old and new inbound SAs overlapped at the home agent. */
    CHECK_EQ_INT(query_int(&w, "SELECT count(*) FROM sa_lifetimes_v a JOIN sa_lifetimes_v b"
                               " ON a.node = b.node AND a.name = b.name AND a.direction = 'in'"
                               " AND b.direction = 'in' AND b.installed_ns > a.installed_ns"
                               " WHERE a.node = 1 AND a.removed_ns > b.installed_ns"),
                 3);
    teardown(&w);
}

static void
payload_byte_limit(struct mip6_ike_config *cfg)
{
    cfg->tunnel = MIP6_TUNNEL_ESP_ALL;
    cfg->soft_bytes = 1000;
    cfg->hard_lifetime_ns = 60 * S;
}

/* RFC 4301 §4.4.2.1: a soft byte limit starts a rekey even while a hard
 * time limit runs. */
static void
test_soft_byte_limit_rekeys(void)
{
    struct world w;
    uint8_t pkt[256], dst[16];
    setup_with(&w, payload_byte_limit);
    register_away(&w);
    testnet_addr(dst, "2001:1:0:9::9");

    for (uint8_t i = 0; i < 20; i++) {
        uint8_t udp[108] = {0x30, 0x39, 0x13, 0x88, 0, 108, 0, 0, 0, 0, 0, i};
        struct ip6_header h = {.payload_len = sizeof udp, .next_header = 17, .hop_limit = 64};
        struct wr pw = wr_init(pkt, sizeof pkt);
        memcpy(h.src, w.hoa, 16);
        memcpy(h.dst, dst, 16);
        ip6_write_header(&pw, &h);
        wr_bytes(&pw, udp, sizeof udp);
        testsim_send_local(w.mn_node, pkt, pw.pos);
        testsim_run_until(sim_now_ns() + 10 * MS);
    }
    testsim_run_until(sim_now_ns() + S);

    /* 20 inner packets of 148 bytes cross the 1000-byte soft limit of the
     * first pair after 7 packets and of its replacement 7 packets later. */
    CHECK_EQ_INT(query_int(&w, "SELECT count(*) FROM mobility_event WHERE node = 0 AND kind = 45"
                               " AND value2 = 3"),
                 2);
    CHECK_EQ_INT(sa_events(&w, w.mn_node, "soft_expire", "payload"), 2);
    CHECK_EQ_INT(sa_events(&w, w.mn_node, "delete", "payload"), 4);
    CHECK_EQ_INT(sa_events(&w, w.mn_node, "hard_expire", "payload"), 0);
    CHECK_EQ_INT(drops(&w, w.mn_node, "esp_no_outbound_sa"), 0);
    teardown(&w);
}

static void
payload_hard_bytes(struct mip6_ike_config *cfg)
{
    cfg->tunnel = MIP6_TUNNEL_ESP_ALL;
    cfg->hard_bytes = 1500;
}

static int lost_tunnel;

/* Lose the first tunnel-mode ESP packet from the home agent. */
static bool
lose_first_tunnel_esp(const uint8_t *pkt, size_t len)
{
    struct ip6_packet p;
    static const uint8_t ha[16] = {0x20, 0x01, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
    if (lost_tunnel == 0 && ip6_parse(pkt, len, &p) == IP6_OK && p.upper_proto == IP6_NH_ESP &&
        memcmp(p.hdr.src, ha, 16) == 0 && !p.has_rh2) {
        lost_tunnel++;
        return true;
    }
    return false;
}

/* Send n UDP packets of 100 bytes from a correspondent address to the
 * home address, into the home agent's tunnel. */
static void
send_downlink(struct world *w, int n)
{
    uint8_t pkt[256], src[16];
    testnet_addr(src, "2001:1:0:9::9");
    for (int i = 0; i < n; i++) {
        uint8_t udp[108] = {0x13, 0x88, 0x30, 0x39, 0, 108, 0, 0, 0, 0, 0, (uint8_t)i};
        struct ip6_header h = {.payload_len = sizeof udp, .next_header = 17, .hop_limit = 64};
        struct wr pw = wr_init(pkt, sizeof pkt);
        memcpy(h.src, src, 16);
        memcpy(h.dst, w->hoa, 16);
        ip6_write_header(&pw, &h);
        wr_bytes(&pw, udp, sizeof udp);
        testsim_send_local(w->ha_node, pkt, pw.pos);
        testsim_run_until(sim_now_ns() + 10 * MS);
    }
}

/* RFC 7296 §1.4.1: the end that removes a pair at its hard limit tells
 * the other, which stops using it and sets up a new one. */
static void
test_hard_limit_at_home_agent_renews_pair(void)
{
    struct world w;
    setup_with(&w, payload_hard_bytes);
    register_away(&w);
    lost_tunnel = 0;
    testsim_set_loss(lose_first_tunnel_esp);

    /* 11 packets of 148 bytes cross the home agent's 1500-byte hard
     * limit; the mobile node, which lost one, stays below it. */
    send_downlink(&w, 11);
    testsim_set_loss(NULL);
    testsim_run_until(sim_now_ns() + S);

    CHECK_EQ_INT(lost_tunnel, 1);
    CHECK_EQ_INT(sa_events(&w, w.ha_node, "hard_expire", "payload"), 1);
    CHECK_EQ_INT(sa_events(&w, w.mn_node, "hard_expire", "payload"), 0);
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_IKE_REQUEST_SENT), 1);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_REQUEST_RECEIVED), 1);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_RESPONSE_SENT), 1);
    /* A new payload pair at both ends, in use at the home agent. */
    CHECK_EQ_INT(sa_events(&w, w.mn_node, "install", "payload"), 4);
    CHECK_EQ_INT(sa_events(&w, w.ha_node, "install", "payload"), 4);
    struct ike_peer *peer = ike_peer_for_home(w.ha->ike, w.hoa);
    CHECK(peer != NULL);
    if (peer)
        CHECK(peer->policy[IKE_CHILD_PAYLOAD][IPSEC_OUT]->sa != NULL);

    /* Traffic flows again under the new pair. */
    size_t delivered = testsim_delivered_count();
    send_downlink(&w, 3);
    CHECK_EQ_INT(testsim_delivered_count() - delivered, 3);
    CHECK_EQ_INT(drops(&w, w.ha_node, "esp_no_outbound_sa"), 0);
    teardown(&w);
}

static void
short_ike_lifetime(struct mip6_ike_config *cfg)
{
    cfg->ike_lifetime_ns = 3 * S;
    cfg->soft_lifetime_ns = 5 * S;
    cfg->hard_lifetime_ns = 9 * S;
}

/* RFC 7296 §2.18: the IKE SA is rekeyed, its child SAs stay, and child
 * rekeys run under the new IKE SA. */
static void
test_ike_sa_rekeyed_children_kept(void)
{
    struct world w;
    setup_with(&w, short_ike_lifetime);
    register_away(&w);
    struct ike_sa *sa = w.mn->ike->self.current;
    CHECK(sa != NULL);
    if (!sa) {
        teardown(&w);
        return;
    }
    uint64_t first_spi_i = sa->spi_i;

    /* The IKE SA came up about 1 s after the move: it is rekeyed at
     * about 4 s, and the child pairs at about 6 s under the new keys. */
    testsim_run_until(sim_now_ns() + 3 * S);

    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_SA_REKEYED), 1);
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_IKE_SA_REKEYED), 1);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_SA_DOWN), 0);
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_IKE_SA_DOWN), 0);
    CHECK(w.mn->ike->self.current == sa);
    CHECK(sa->spi_i != first_spi_i);
    /* The old IKE SA is gone at both ends: one IKE SA is left at each. */
    CHECK_EQ_INT(w.mn->ike->by_spi.count, 1);
    CHECK_EQ_INT(w.ha->ike->by_spi.count, 1);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_REKEY_DONE), 3);
    CHECK_EQ_INT(w.mn->node.ipsec.n_sas, 6);
    CHECK_EQ_INT(w.ha->node.ipsec.n_sas, 6);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_IKE_FAILED), 0);
    CHECK_EQ_INT(drops(&w, w.ha_node, "ike_no_sa"), 0);
    CHECK_EQ_INT(drops(&w, w.mn_node, "ike_no_sa"), 0);

    /* The binding refresh still goes under the rekeyed child SAs. */
    attach(&w, "fe80::3", "2001:1:0:3::");
    testsim_run_until(sim_now_ns() + 3 * S);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_REGISTERED), 2);
    teardown(&w);
}

/* RFC 4303 §3.3.3: a sequence number near the end starts a rekey. */
static void
test_sequence_space_forces_rekey(void)
{
    struct world w;
    setup(&w);
    register_away(&w);
    struct ipsec_policy *bu_out = w.mn->ike->self.policy[IKE_CHILD_BU][IPSEC_OUT];
    CHECK(bu_out != NULL);
    if (!bu_out || !bu_out->sa) {
        CHECK(bu_out && bu_out->sa);
        teardown(&w);
        return;
    }
    struct ipsec_sa *old = bu_out->sa;
    old->esp.seq = UINT32_MAX - w.cfg.seq_margin;
    old->packets = old->lifetime.soft_packets - 1;

    /* The move sends a BU under the old SA, which crosses the margin. */
    attach(&w, "fe80::3", "2001:1:0:3::");
    testsim_run_until(sim_now_ns() + 4 * S);

    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_REKEY_START), 1);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_REKEY_DONE), 1);
    CHECK(bu_out->sa != NULL);
    CHECK(bu_out->sa != old);
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

/* A BU for another home address, under this node's own valid SA (RFC 3776 §4.2). */
static void
test_bu_for_other_home_address_dropped(void)
{
    struct world w;
    uint8_t hoa_b[16], mh[64], payload[256];
    setup(&w);
    register_away(&w);
    ip6_addr_from_prefix_mac(hoa_b, w.home_prefix, mac_mn2);

    struct mh_msg msg = {.type = MH_BU};
    msg.bu.seq = 7;
    msg.bu.flags = MH_BU_FLAG_A | MH_BU_FLAG_H;
    msg.bu.lifetime = 100;
    msg.bu.has_alt_coa = true;
    memcpy(msg.bu.alt_coa, w.coa2, 16);
    struct wr mw = wr_init(mh, sizeof mh);
    CHECK_EQ_INT(mh_encode(&mw, &msg, hoa_b, w.ha_addr), MH_OK);
    struct wr pw = wr_init(payload, sizeof payload);
    ip6_write_dest_opts_hao(&pw, IP6_NH_ESP, hoa_b);
    struct ipsec_sa *own = w.mn->ike->self.policy[IKE_CHILD_BU][IPSEC_OUT]->sa;
    CHECK(own != NULL);
    if (own)
        CHECK_EQ_INT(esp_protect(&own->esp, IP6_NH_MOBILITY, mh, mw.pos, &pw), ESP_OK);
    CHECK_EQ_INT(
        sim_ipv6_send(w.mn_node, 0, w.coa2, w.ha_addr, IP6_NH_DEST_OPTS, payload, pw.pos, NULL),
        SIM_OK);
    testsim_run_until(sim_now_ns() + S);

    CHECK_EQ_INT(drops(&w, w.ha_node, "policy"), 1);
    CHECK(mip6_ha_binding(w.ha, hoa_b) == NULL);
    teardown(&w);
}

/*
 * RFC 3776 §4.4: manual keys have no anti-replay, so a captured BU
 * replayed to a home agent that lost its binding cache is accepted.  With
 * negotiated SAs the rebooted home agent has no SA for it.
 */
static void
reboot_home_agent(struct world *w, bool manual)
{
    char err[256];
    struct mip6_ha_config hc = w->ha->cfg;

    mip6_ha_free(w->ha);
    w->ha = mip6_ha_install(w->ha_node, &hc, w->rec, err, sizeof err);
    if (!w->ha)
        abort();
    if (manual) {
        struct mip6_keys keys;
        mip6_keys_derive(&keys, 5, 0, ESP_ENC_AES_128_CBC, ESP_AUTH_HMAC_SHA1_96);
        /* Only the home agent's half is wanted: the mobile node keeps its
         * SAs, so a stand-in on a node of its own takes the other half. */
        static const uint8_t mac_twin[6] = {0x02, 0, 0, 0, 0, 0x30};
        struct mip6_mn_config mc = w->mn->cfg;
        uint32_t twin_node = testsim_add_node();
        testsim_add_iface(twin_node, mac_twin);
        struct mip6_mn *twin = mip6_mn_install(twin_node, &mc, NULL, err, sizeof err);
        CHECK(twin != NULL);
        if (twin)
            CHECK_EQ_INT(mip6_manual_sas(twin, w->ha, &keys, err, sizeof err), 0);
        mip6_mn_free(twin);
    }
}

static void
manual_keys(struct world *w)
{
    char err[256];
    struct mip6_keys keys;

    setup_with(w, NULL);
    /* Replace the world's dynamic keying by manual SAs on fresh nodes. */
    struct mip6_mn_config mc = w->mn->cfg;
    struct mip6_ha_config hc = w->ha->cfg;
    mip6_mn_free(w->mn);
    mip6_ha_free(w->ha);
    w->ha = mip6_ha_install(w->ha_node, &hc, w->rec, err, sizeof err);
    w->mn = mip6_mn_install(w->mn_node, &mc, w->rec, err, sizeof err);
    if (!w->ha || !w->mn)
        abort();
    mip6_keys_derive(&keys, 5, 0, ESP_ENC_AES_128_CBC, ESP_AUTH_HMAC_SHA1_96);
    CHECK_EQ_INT(mip6_manual_sas(w->mn, w->ha, &keys, err, sizeof err), 0);
}

static void
test_manual_keys_accept_replay_after_reboot(void)
{
    struct world w;
    manual_keys(&w);
    register_away(&w);
    size_t i = first_bu_sent(&w);
    CHECK(i != SIZE_MAX);
    if (i == SIZE_MAX) {
        teardown(&w);
        return;
    }
    reboot_home_agent(&w, true);
    CHECK(mip6_ha_binding(w.ha, w.hoa) == NULL);

    const struct testsim_packet *s = testsim_sent(i);
    testsim_inject(w.ha_node, 0, s->bytes, s->len);
    testsim_run_until(sim_now_ns() + S);

    /* The documented limitation: the old BU creates a binding again. */
    CHECK(mip6_ha_binding(w.ha, w.hoa) != NULL);
    CHECK_EQ_INT(drops(&w, w.ha_node, "esp_replay"), 0);
    teardown(&w);
}

static void
test_negotiated_keys_reject_replay_after_reboot(void)
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
    reboot_home_agent(&w, false);

    const struct testsim_packet *s = testsim_sent(i);
    testsim_inject(w.ha_node, 0, s->bytes, s->len);
    testsim_run_until(sim_now_ns() + S);

    CHECK(mip6_ha_binding(w.ha, w.hoa) == NULL);
    CHECK_EQ_INT(drops(&w, w.ha_node, "esp_no_sa"), 1);
    teardown(&w);
}

/* A replayed ESP packet inside the window and one left of it (RFC 4303 §3.4.3). */
static void
test_replay_inside_and_behind_window(void)
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
    struct testsim_packet captured = *testsim_sent(i);

    /* Inside the window: a duplicate. */
    testsim_inject(w.ha_node, 0, captured.bytes, captured.len);
    testsim_run_until(sim_now_ns() + S);
    CHECK_EQ_INT(drops(&w, w.ha_node, "esp_replay"), 1);

    /* Move the home agent's window 64 packets on, as if 64 more had come. */
    struct ipsec_sa *in = NULL;
    struct ip6_packet p;
    uint32_t spi = 0, seq = 0;
    CHECK_EQ_INT(ip6_parse(captured.bytes, captured.len, &p), IP6_OK);
    esp_read_header(captured.bytes + p.upper_offset, p.upper_len, &spi, &seq);
    in = ipsec_sa_by_spi(&w.ha->node.ipsec, spi);
    CHECK(in != NULL);
    CHECK(in && in->replay_on);
    if (in)
        CHECK_EQ_INT(esp_replay_update(&in->replay, seq + 64), ESP_REPLAY_OK);
    testsim_inject(w.ha_node, 0, captured.bytes, captured.len);
    testsim_run_until(sim_now_ns() + S);
    CHECK_EQ_INT(drops(&w, w.ha_node, "esp_replay_old"), 1);
    CHECK_EQ_MEM(mip6_ha_binding(w.ha, w.hoa)->coa, w.coa2, 16);
    teardown(&w);
}

/* RFC 7296 §2.6: an IKE_SA_INIT that is never followed by IKE_AUTH
 * leaves no state at the home agent after the retransmission schedule. */
static void
test_half_open_sa_forgotten(void)
{
    struct world w;
    uint8_t seed[IKEV2_DH_SEED_LEN] = {7}, msg[512], pkt[600], src[16];
    struct ikev2_dh dh;
    static struct ikev2_msg m;
    setup(&w);
    testnet_addr(src, "2001:1:0:7::7");

    memset(&m, 0, sizeof m);
    m.hdr.spi_i = 0x1122334455667788ull;
    m.hdr.version = IKEV2_VERSION;
    m.hdr.exchange = IKEV2_IKE_SA_INIT;
    m.hdr.flags = IKEV2_FLAG_INITIATOR;
    m.n_proposals = 1;
    struct ikev2_proposal *p = &m.proposals[0];
    p->number = 1;
    p->protocol = IKEV2_PROTO_IKE;
    p->n_transforms = 4;
    p->transforms[0] = (struct ikev2_transform){IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CBC, 128};
    p->transforms[1] = (struct ikev2_transform){IKEV2_TRANS_PRF, IKEV2_PRF_HMAC_SHA2_256, 0};
    p->transforms[2] =
        (struct ikev2_transform){IKEV2_TRANS_INTEG, IKEV2_INTEG_HMAC_SHA2_256_128, 0};
    p->transforms[3] = (struct ikev2_transform){IKEV2_TRANS_DH, IKEV2_DH_CURVE25519, 0};
    CHECK_EQ_INT(ikev2_dh_generate(&dh, IKEV2_DH_CURVE25519, seed), IKEV2_OK);
    m.has_ke = true;
    m.ke.group = IKEV2_DH_CURVE25519;
    m.ke.len = dh.public_len;
    memcpy(m.ke.data, dh.public_value, dh.public_len);
    m.has_nonce = true;
    m.nonce_len = 32;
    struct wr mw = wr_init(msg, sizeof msg);
    CHECK_EQ_INT(ikev2_encode(&m, NULL, NULL, &mw), IKEV2_OK);

    /* UDP from port 500 to port 500 with its checksum, in IPv6. */
    uint8_t udp[520];
    struct wr uw = wr_init(udp, sizeof udp);
    wr_u16(&uw, 500);
    wr_u16(&uw, 500);
    wr_u16(&uw, (uint16_t)(8 + mw.pos));
    wr_u16(&uw, 0);
    wr_bytes(&uw, msg, mw.pos);
    uint16_t sum = ip6_checksum(src, w.ha_addr, IP6_NH_UDP, udp, uw.pos);
    udp[6] = (uint8_t)(sum >> 8);
    udp[7] = (uint8_t)sum;
    struct ip6_header h = {
        .payload_len = (uint16_t)uw.pos, .next_header = IP6_NH_UDP, .hop_limit = 64};
    memcpy(h.src, src, 16);
    memcpy(h.dst, w.ha_addr, 16);
    struct wr pw = wr_init(pkt, sizeof pkt);
    ip6_write_header(&pw, &h);
    wr_bytes(&pw, udp, uw.pos);
    testsim_inject(w.ha_node, 0, pkt, pw.pos);
    testsim_run_until(sim_now_ns() + S);
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_IKE_RESPONSE_SENT), 1);
    CHECK(w.ha->ike->by_spi.count > 0);

    /* 1 s doubling five times: 1 + 2 + 4 + 8 + 16 + 32 = 63 s. */
    testsim_run_until(sim_now_ns() + 63 * S);
    CHECK_EQ_INT(w.ha->ike->by_spi.count, 0);
    ikev2_dh_free(&dh);
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
    cfg.replay_window = 48;
    CHECK_EQ_INT(mip6_dynamic_sas(w.mn, w.ha, &cfg, err, sizeof err), -1);
    CHECK(strstr(err, "replay window 48") != NULL);

    default_config(&cfg, "");
    CHECK_EQ_INT(mip6_dynamic_sas(w.mn, w.ha, &cfg, err, sizeof err), -1);
    CHECK(strstr(err, "identity") != NULL);

    default_config(&cfg, "x");
    cfg.soft_lifetime_ns = 5 * S;
    cfg.hard_lifetime_ns = 5 * S;
    CHECK_EQ_INT(mip6_dynamic_sas(w.mn, w.ha, &cfg, err, sizeof err), -1);
    CHECK(strstr(err, "soft lifetime") != NULL);

    default_config(&cfg, "x");
    cfg.dh_group = 2;
    CHECK_EQ_INT(mip6_dynamic_sas(w.mn, w.ha, &cfg, err, sizeof err), -1);
    CHECK(strstr(err, "group 2") != NULL);

    default_config(&cfg, "x");
    cfg.keying = MIP6_KEYING_IKEV1;
    cfg.dh_group = IKEV2_DH_MODP_2048;
    cfg.auth = MIP6_IKE_AUTH_ED25519;
    CHECK_EQ_INT(mip6_dynamic_sas(w.mn, w.ha, &cfg, err, sizeof err), -1);
    CHECK(strstr(err, "IKEv1 authenticates with the shared key") != NULL);

    default_config(&cfg, "y");
    CHECK_EQ_INT(mip6_dynamic_sas(w.mn, w.ha, &cfg, err, sizeof err), -1);
    CHECK(strstr(err, "already has key management") != NULL);
    teardown(&w);
}

CHECK_MAIN(TEST(test_first_move_runs_ike_then_bu), TEST(test_ike_uses_care_of_address),
           TEST(test_selectors_name_home_address), TEST(test_k_bit_moves_ike_sa),
           TEST(test_without_k_bit_ike_runs_again),
           TEST(test_identity_of_other_home_address_refused),
           TEST(test_wrong_key_fails_authentication), TEST(test_ed25519_signatures_authenticate),
           TEST(test_ed25519_wrong_key_refused), TEST(test_ed25519_wrong_home_agent_key_refused),
           TEST(test_lost_request_is_retransmitted), TEST(test_soft_lifetime_rekeys_before_hard),
           TEST(test_soft_byte_limit_rekeys), TEST(test_hard_limit_at_home_agent_renews_pair),
           TEST(test_ike_sa_rekeyed_children_kept), TEST(test_sequence_space_forces_rekey),
           TEST(test_replayed_bu_dropped_by_window), TEST(test_bu_for_other_home_address_dropped),
           TEST(test_manual_keys_accept_replay_after_reboot),
           TEST(test_negotiated_keys_reject_replay_after_reboot),
           TEST(test_replay_inside_and_behind_window), TEST(test_half_open_sa_forgotten),
           TEST(test_bad_config_rejected))
