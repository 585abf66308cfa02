/*
 * test_prefix_discovery.c - Mobile Prefix Solicitation and Advertisement
 * between the mobile node and home agent models over the test simulator.
 * Covered: wire layouts under SA5 and SA6, the acceptance checks of RFC
 * 6275 §11.4.3, both retransmission schedules, the home agent's rate
 * limit, clear-text drops, and SA5/SA6 across a return home.  Drop
 * reasons and mobility events are read back from a real recorder
 * database.
 *
 *   mn --(foreign link 2001:1:0:2::/64)--+
 *                                        +-- ha (home link 2001:1:0:1::/64)
 *   cn (2001:1:0:9::9, another sender) --+
 */
#define _POSIX_C_SOURCE 200809L

#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "esp.h"
#include "ha.h"
#include "icmp6.h"
#include "mh.h"
#include "mn.h"
#include "rec.h"
#include "testnet.h"
#include "testsim.h"

#define MS 1000000ull
#define S 1000000000ull

static const uint8_t mac_mn[6] = {0x02, 0, 0, 0, 0, 0x10};
static const uint8_t mac_ha[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t mac_cn[6] = {0x02, 0, 0, 0, 0, 0x09};

struct world {
    uint32_t ha_node, cn_node, mn_node;
    struct mip6_ha *ha;
    struct mip6_mn *mn;
    struct mip6_keys keys;
    struct rec *rec;
    char db_path[160];
    /* The test's own copies of SA2, SA5 and SA6, to build and open packets. */
    struct esp_sa sa2, sa5, sa6;
    uint8_t ha_addr[16], home_prefix[16], foreign_prefix[16], cn_addr[16];
    uint8_t router_home[16], router_foreign[16], hoa[16];
};

/* ----- database ----- */

static char db_dir[64];

static void
remove_db_dir(void)
{
    rmdir(db_dir);
}

static void
remove_db(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    char name[200];

    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%s%s", path, suffixes[i]);
        unlink(name);
    }
}

/* Run a query that returns one integer, after committing what is pending. */
static long long
db_int(struct world *w, const char *fmt, ...)
{
    char sql[512];
    va_list ap;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long value = -1;

    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    rec_flush(w->rec);
    if (sqlite3_open_v2(w->db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        value = sqlite3_column_int64(st, 0);
    else
        fprintf(stderr, "query failed: %s: %s\n", sql, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return value;
}

/* Drops a node recorded with the given reason. */
static long long
drops(struct world *w, uint32_t node, enum rec_drop why)
{
    return db_int(w,
                  "SELECT count(*) FROM packet_event WHERE node = %u AND kind = %d AND "
                  "drop_reason = %d",
                  node, REC_DROP, why);
}

/* Mobility events of one kind at a node. */
static long long
events(struct world *w, uint32_t node, enum rec_mob kind)
{
    return db_int(w, "SELECT count(*) FROM mobility_event WHERE node = %u AND kind = %d", node,
                  kind);
}

/* ----- world ----- */

static void
init_sa(struct esp_sa *sa, uint32_t spi, const uint8_t *enc_key, const uint8_t *auth_key)
{
    CHECK_EQ_INT(esp_sa_init(sa, spi, ESP_ENC_AES_128_CBC, enc_key, ESP_AES_KEY_LEN,
                             ESP_AUTH_HMAC_SHA1_96, auth_key, ESP_HMAC_SHA1_KEY_LEN),
                 ESP_OK);
}

/* Build the three nodes; with_sas installs SA1, SA2, SA5 and SA6. */
static void
setup_with(struct world *w, const char *name, bool with_sas)
{
    char err[256];

    memset(w, 0, sizeof *w);
    testsim_reset();
    if (!db_dir[0]) {
        snprintf(db_dir, sizeof db_dir, "/tmp/test_prefix_discovery.XXXXXX");
        if (!mkdtemp(db_dir)) {
            perror("mkdtemp");
            exit(1);
        }
        atexit(remove_db_dir);
    }
    snprintf(w->db_path, sizeof w->db_path, "%s/%s.db", db_dir, name);
    w->rec = rec_open(w->db_path, err, sizeof err);
    CHECK(w->rec != NULL);

    w->ha_node = testsim_add_node();
    w->cn_node = testsim_add_node();
    w->mn_node = testsim_add_node();
    testsim_add_iface(w->ha_node, mac_ha);
    testsim_add_iface(w->cn_node, mac_cn);
    testsim_add_iface(w->mn_node, mac_mn);

    testnet_addr(w->ha_addr, "2001:1:0:1::1");
    testnet_addr(w->home_prefix, "2001:1:0:1::");
    testnet_addr(w->foreign_prefix, "2001:1:0:2::");
    testnet_addr(w->cn_addr, "2001:1:0:9::9");
    testnet_addr(w->router_home, "fe80::1");
    testnet_addr(w->router_foreign, "fe80::2");
    sim_addr_add(w->ha_node, 0, w->ha_addr, 64);
    sim_addr_add(w->cn_node, 0, w->cn_addr, 64);

    struct mip6_ha_config hc;
    mip6_ha_config_default(&hc);
    memcpy(hc.address, w->ha_addr, 16);
    memcpy(hc.home_prefix, w->home_prefix, 16);
    w->ha = mip6_ha_install(w->ha_node, &hc, w->rec, err, sizeof err);
    CHECK(w->ha != NULL);

    struct mip6_mn_config mc;
    mip6_mn_config_default(&mc);
    ip6_addr_from_prefix_mac(w->hoa, w->home_prefix, mac_mn);
    memcpy(mc.home_address, w->hoa, 16);
    memcpy(mc.home_prefix, w->home_prefix, 16);
    memcpy(mc.home_agent, w->ha_addr, 16);
    w->mn = mip6_mn_install(w->mn_node, &mc, w->rec, err, sizeof err);
    CHECK(w->mn != NULL);

    mip6_keys_derive(&w->keys, 11, 0, ESP_ENC_AES_128_CBC, ESP_AUTH_HMAC_SHA1_96);
    init_sa(&w->sa2, w->keys.spi_ha_to_mn, w->keys.enc_key_ha_to_mn, w->keys.auth_key_ha_to_mn);
    init_sa(&w->sa5, w->keys.spi_mps, w->keys.enc_key_mps, w->keys.auth_key_mps);
    init_sa(&w->sa6, w->keys.spi_mpa, w->keys.enc_key_mpa, w->keys.auth_key_mpa);
    if (with_sas)
        CHECK_EQ_INT(mip6_manual_sas(w->mn, w->ha, &w->keys, err, sizeof err), 0);
}

static void
setup(struct world *w, const char *name)
{
    setup_with(w, name, true);
}

static void
teardown(struct world *w)
{
    testsim_set_loss(NULL);
    testsim_reset();
    mip6_mn_free(w->mn);
    mip6_ha_free(w->ha);
    esp_sa_free(&w->sa2);
    esp_sa_free(&w->sa5);
    esp_sa_free(&w->sa6);
    CHECK_EQ_INT(rec_close(w->rec, REC_COMPLETE), 0);
    remove_db(w->db_path);
}

/* ----- losing packets by SPI ----- */

static uint32_t lost_spis[2];

static bool
lose_listed_spis(const uint8_t *pkt, size_t len)
{
    struct ip6_packet p;
    uint32_t spi = 0, seq = 0;

    if (ip6_parse(pkt, len, &p) != IP6_OK || p.upper_proto != IP6_NH_ESP ||
        esp_read_header(pkt + p.upper_offset, p.upper_len, &spi, &seq) != ESP_OK)
        return false;
    return spi == lost_spis[0] || spi == lost_spis[1];
}

/* Lose every ESP packet with one of these SPIs (0 matches none). */
static void
lose_spis(uint32_t a, uint32_t b)
{
    lost_spis[0] = a;
    lost_spis[1] = b;
    testsim_set_loss(lose_listed_spis);
}

/* ----- building packets ----- */

/* Move the mobile node to a link; a foreign one also gets its care-of
 * address. */
static void
attach(struct world *w, const uint8_t router[16], const uint8_t prefix[16])
{
    testnet_move(w->mn_node, 0, mac_mn, router, prefix, memcmp(prefix, w->home_prefix, 16) != 0);
}

/*
 * Inject into node a packet src -> dst on the wire.  hao puts a Home
 * Address option in front and rh2 a type 2 routing header.  With sa the
 * message goes in ESP transport mode, else in clear.
 */
static void
inject(uint32_t node, const uint8_t src[16], const uint8_t dst[16], const uint8_t *hao,
       const uint8_t *rh2, struct esp_sa *sa, uint8_t proto, const uint8_t *msg, size_t msg_len)
{
    uint8_t payload[512], pkt[600];
    struct wr pw = wr_init(payload, sizeof payload);
    uint8_t next = sa ? IP6_NH_ESP : proto;
    uint8_t first = next;

    if (rh2)
        first = IP6_NH_ROUTING;
    if (hao)
        first = IP6_NH_DEST_OPTS;

    if (hao)
        ip6_write_dest_opts_hao(&pw, next, hao);
    if (rh2)
        ip6_write_rh2(&pw, next, rh2);
    if (sa)
        CHECK_EQ_INT(esp_protect(sa, proto, msg, msg_len, &pw), ESP_OK);
    else
        wr_bytes(&pw, msg, msg_len);

    struct wr w = wr_init(pkt, sizeof pkt);
    struct ip6_header h = {.payload_len = pw.pos, .next_header = first, .hop_limit = 64};
    memcpy(h.src, src, 16);
    memcpy(h.dst, dst, 16);
    ip6_write_header(&w, &h);
    wr_bytes(&w, payload, pw.pos);
    CHECK(wr_ok(&w));
    testsim_inject(node, 0, pkt, w.pos);
}

/* An MPS with the checksum over src (home address) and dst. */
static size_t
build_mps(uint8_t *out, size_t cap, const uint8_t src[16], const uint8_t dst[16], uint16_t id)
{
    struct wr w = wr_init(out, cap);
    struct icmp6_msg mps = {.type = ICMP6_MPS, .id = id};
    CHECK_EQ_INT(icmp6_encode(&w, &mps, src, dst), ICMP6_OK);
    return w.pos;
}

/* An MPA for the home prefix with the given valid lifetime, checksum over
 * src and dst (the home address). */
static size_t
build_mpa(struct world *w, uint8_t *out, size_t cap, const uint8_t src[16], uint16_t id,
          uint32_t valid_s)
{
    struct wr wr = wr_init(out, cap);
    struct icmp6_msg mpa = {.type = ICMP6_MPA, .id = id};
    mpa.mpa.n_prefixes = 1;
    memcpy(mpa.mpa.prefixes[0].prefix, w->home_prefix, 16);
    mpa.mpa.prefixes[0].prefix_len = 64;
    mpa.mpa.prefixes[0].on_link = true;
    mpa.mpa.prefixes[0].autonomous = true;
    mpa.mpa.prefixes[0].valid_lifetime_s = valid_s;
    mpa.mpa.prefixes[0].preferred_lifetime_s = valid_s / 2;
    CHECK_EQ_INT(icmp6_encode(&wr, &mpa, src, w->hoa), ICMP6_OK);
    return wr.pos;
}

/* ----- reading packets ----- */

/* A sent packet with its ESP payload opened. */
struct opened {
    struct ip6_packet p;
    uint32_t spi;
    uint32_t esp_seq;
    struct esp_inbound esp;
    uint8_t payload[TESTSIM_MAX_PACKET];
    uint64_t time_ns;
};

/* Whether s is an ESP packet under sa's SPI that verifies; fills *o. */
static bool
open_esp(const struct testsim_packet *s, struct esp_sa *sa, struct opened *o)
{
    memset(o, 0, sizeof *o);
    o->time_ns = s->time_ns;
    if (ip6_parse(s->bytes, s->len, &o->p) != IP6_OK || o->p.upper_proto != IP6_NH_ESP)
        return false;
    const uint8_t *esp = s->bytes + o->p.upper_offset;
    if (esp_read_header(esp, o->p.upper_len, &o->spi, &o->esp_seq) != ESP_OK || o->spi != sa->spi)
        return false;
    return esp_unprotect(sa, esp, o->p.upper_len, o->payload, sizeof o->payload, &o->esp) == ESP_OK;
}

/* Open every packet node sent under sa's SPI from index from on; returns how many. */
static size_t
collect(uint32_t node, struct esp_sa *sa, size_t from, struct opened *out, size_t max)
{
    size_t n = 0;
    for (size_t i = from; i < testsim_sent_count() && n < max; i++) {
        const struct testsim_packet *s = testsim_sent(i);
        if (s->node == node && open_esp(s, sa, &out[n]))
            n++;
    }
    return n;
}

/* ----- scenarios ----- */

/* Attach away and complete a home registration (status 0), by 3 s. */
static void
register_away(struct world *w)
{
    attach(w, w->router_foreign, w->foreign_prefix);
    testsim_run_until(3 * S);
    CHECK_EQ_INT(w->mn->state, MN_REGISTERED);
}

/*
 * Attach away, lose the home agent's BA, and inject a BA of status 1
 * under SA2 for the outstanding BU at 1.5 s instead.  Returns the index in the sent log
 * from which the mobile node's MPS is found.
 */
static size_t
register_with_status_1(struct world *w)
{
    uint8_t msg[64];
    struct wr mw = wr_init(msg, sizeof msg);

    lose_spis(w->keys.spi_ha_to_mn, 0);
    attach(w, w->router_foreign, w->foreign_prefix);
    testsim_run_until(1500 * MS);
    CHECK_EQ_INT(w->mn->state, MN_REGISTERING);
    testsim_set_loss(NULL);

    struct mh_msg ba = {.type = MH_BA};
    ba.ba.status = MH_BA_ACCEPTED_PREFIX_DISCOVERY;
    ba.ba.seq = w->mn->bul.seq;
    ba.ba.lifetime = 1000; /* 4000 s: no refresh during the tests */
    CHECK_EQ_INT(mh_encode(&mw, &ba, w->ha_addr, w->hoa), MH_OK);
    size_t from = testsim_sent_count();
    inject(w->mn_node, w->ha_addr, w->mn->coa, NULL, w->hoa, &w->sa2, IP6_NH_MOBILITY, msg, mw.pos);
    CHECK_EQ_INT(w->mn->state, MN_REGISTERED);
    return from;
}

/* ----- tests ----- */

static void
test_status_1_sends_mps(void)
{
    struct world w;
    setup(&w, "status_1");

    size_t from = register_with_status_1(&w);
    struct opened mps;
    size_t n = collect(w.mn_node, &w.sa5, from, &mps, 1);
    CHECK_EQ_INT(n, 1);
    if (n != 1) {
        teardown(&w);
        return;
    }

    /* RFC 3776 §3.3: IPv6(src CoA, dst HA) -> DO(HAO = HoA) -> ESP(SA5) -> ICMPv6 146. */
    CHECK_EQ_INT(mps.p.hdr.next_header, IP6_NH_DEST_OPTS);
    CHECK_EQ_MEM(mps.p.hdr.src, w.mn->coa, 16);
    CHECK_EQ_MEM(mps.p.hdr.dst, w.ha_addr, 16);
    CHECK(mps.p.has_hao);
    CHECK_EQ_MEM(mps.p.hao, w.hoa, 16);
    CHECK(!mps.p.has_rh2);
    CHECK_EQ_INT(mps.spi, w.keys.spi_mps);
    CHECK_EQ_INT(mps.esp.next_header, IP6_NH_ICMPV6);

    /* The checksum covers the home address as source. */
    struct icmp6_msg msg;
    CHECK_EQ_INT(icmp6_decode(mps.payload, mps.esp.payload_len, w.hoa, w.ha_addr, &msg), ICMP6_OK);
    CHECK_EQ_INT(msg.type, ICMP6_MPS);
    CHECK_EQ_INT(mps.esp.payload_len, ICMP6_FIXED_LEN);
    CHECK_EQ_INT(msg.id, w.mn->mpd.solicit_id);
    CHECK(w.mn->mpd.solicit_outstanding);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_MPS_SENT), 1);
    teardown(&w);
}

static void
test_mpa_replies_to_mps(void)
{
    struct world w;
    setup(&w, "answer");

    size_t from = register_with_status_1(&w);
    uint16_t id = w.mn->mpd.solicit_id;
    testsim_run_until(1600 * MS);

    /* RFC 3776 §3.3: IPv6(src HA, dst CoA) -> RH2(HoA) -> ESP(SA6) -> ICMPv6 147. */
    struct opened mpa;
    size_t n = collect(w.ha_node, &w.sa6, from, &mpa, 1);
    CHECK_EQ_INT(n, 1);
    if (n != 1) {
        teardown(&w);
        return;
    }
    CHECK_EQ_INT(mpa.p.hdr.next_header, IP6_NH_ROUTING);
    CHECK_EQ_MEM(mpa.p.hdr.src, w.ha_addr, 16);
    CHECK_EQ_MEM(mpa.p.hdr.dst, w.mn->coa, 16);
    CHECK(mpa.p.has_rh2);
    CHECK_EQ_MEM(mpa.p.rh2_addr, w.hoa, 16);
    CHECK(!mpa.p.has_hao);
    CHECK_EQ_INT(mpa.spi, w.keys.spi_mpa);
    CHECK_EQ_INT(mpa.esp.next_header, IP6_NH_ICMPV6);

    /* RFC 6275 §6.8: Identifier copied, one Prefix Information option for
     * the home prefix with the default lifetimes, M and O clear.  The
     * checksum covers the home address as destination. */
    struct icmp6_msg msg;
    CHECK_EQ_INT(icmp6_decode(mpa.payload, mpa.esp.payload_len, w.ha_addr, w.hoa, &msg), ICMP6_OK);
    CHECK_EQ_INT(msg.type, ICMP6_MPA);
    CHECK_EQ_INT(msg.id, id);
    CHECK(!msg.mpa.managed);
    CHECK(!msg.mpa.other);
    CHECK_EQ_INT(msg.mpa.n_prefixes, 1);
    CHECK_EQ_MEM(msg.mpa.prefixes[0].prefix, w.home_prefix, 16);
    CHECK_EQ_INT(msg.mpa.prefixes[0].prefix_len, 64);
    CHECK(msg.mpa.prefixes[0].on_link);
    CHECK(msg.mpa.prefixes[0].autonomous);
    CHECK_EQ_INT(msg.mpa.prefixes[0].valid_lifetime_s, MIP6_MPD_DEFAULT_VALID_S);
    CHECK_EQ_INT(msg.mpa.prefixes[0].preferred_lifetime_s, MIP6_MPD_DEFAULT_PREFERRED_S);

    /* The mobile node accepted it as the match for its MPS. */
    CHECK(!w.mn->mpd.solicit_outstanding);
    CHECK_EQ_INT(w.mn->mpd.mpa_accepted, 1);
    CHECK(w.mn->mpd.have_prefix);
    CHECK_EQ_INT(w.mn->mpd.prefix.valid_lifetime_s, MIP6_MPD_DEFAULT_VALID_S);

    /* Events: value = Identifier, value2 = 0 for a solicited MPA. */
    CHECK_EQ_INT(db_int(&w,
                        "SELECT count(*) FROM mobility_event WHERE node = %u AND kind = %d AND "
                        "value = %u",
                        w.ha_node, REC_MOB_MPS_RECEIVED, id),
                 1);
    CHECK_EQ_INT(db_int(&w,
                        "SELECT count(*) FROM mobility_event WHERE node = %u AND kind = %d AND "
                        "value = %u AND value2 = 0",
                        w.ha_node, REC_MOB_MPA_SENT, id),
                 1);
    CHECK_EQ_INT(db_int(&w,
                        "SELECT count(*) FROM mobility_event WHERE node = %u AND kind = %d AND "
                        "value = %u AND value2 = 0",
                        w.mn_node, REC_MOB_MPA_RECEIVED, id),
                 1);
    CHECK_EQ_INT(w.mn->node.drops, 0);
    CHECK_EQ_INT(w.ha->node.drops, 0);
    teardown(&w);
}

static void
test_mps_retransmission_schedule(void)
{
    struct world w;
    setup(&w, "mps_schedule");

    size_t from = register_with_status_1(&w);
    uint16_t id = w.mn->mpd.solicit_id;
    lose_spis(w.keys.spi_mpa, 0);
    CHECK(testsim_sent_count() > from);
    if (testsim_sent_count() <= from) {
        teardown(&w);
        return;
    }
    uint64_t t0 = testsim_sent(from)->time_ns;
    testsim_run_until(t0 + 200 * S);

    /* RFC 6275 §11.4.2: INITIAL_SOLICIT_TIMER 3 s, doubling; this model
     * stops doubling at 32 s.  Every copy keeps the Identifier. */
    static const uint64_t gaps_s[] = {3, 6, 12, 24, 32, 32, 32, 32};
    struct opened mps[16];
    size_t n = collect(w.mn_node, &w.sa5, from, mps, 16);
    CHECK_EQ_INT(n, 9); /* at 0, 3, 9, 21, 45, 77, 109, 141, 173 s */
    for (size_t i = 0; i < n; i++) {
        struct icmp6_msg msg;
        CHECK_EQ_INT(icmp6_decode(mps[i].payload, mps[i].esp.payload_len, w.hoa, w.ha_addr, &msg),
                     ICMP6_OK);
        CHECK_EQ_INT(msg.id, id);
        CHECK_EQ_INT(mps[i].esp_seq, i + 1);
        if (i > 0 && i - 1 < sizeof gaps_s / sizeof gaps_s[0])
            CHECK_EQ_INT(mps[i].time_ns - mps[i - 1].time_ns, gaps_s[i - 1] * S);
    }
    CHECK(w.mn->mpd.solicit_outstanding);
    CHECK_EQ_INT(w.mn->mpd.mpa_accepted, 0);

    /* The home agent sent an MPA for each one.  Once an MPA gets through,
     * the retransmissions stop. */
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_MPA_SENT), 9);
    testsim_set_loss(NULL);
    testsim_run_until(t0 + 206 * S);
    CHECK(!w.mn->mpd.solicit_outstanding);
    CHECK_EQ_INT(w.mn->mpd.mpa_accepted, 1);
    testsim_run_until(t0 + 400 * S);
    CHECK_EQ_INT(collect(w.mn_node, &w.sa5, from, mps, 16), 10);
    teardown(&w);
}

static void
test_unsolicited_mpa_retransmitted(void)
{
    struct world w;
    char err[256];
    setup(&w, "unsolicited_lost");

    register_away(&w);
    CHECK_EQ_INT(events(&w, w.mn_node, REC_MOB_MPS_SENT), 0);

    /* The mobile node's replies are lost, so the home agent retransmits
     * at 3 s, then 6 s and 12 s later, and gives up after
     * PREFIX_ADV_RETRIES (RFC 6275 §10.6.2). */
    lose_spis(w.keys.spi_mps, 0);
    size_t from = testsim_sent_count();
    uint64_t t0 = 10 * S;
    testsim_run_until(t0);
    CHECK_EQ_INT(mip6_ha_set_home_prefix_lifetimes(w.ha, 7200, 3600, err, sizeof err), 1);
    testsim_run_until(t0 + 120 * S);

    struct opened mpa[8];
    size_t n = collect(w.ha_node, &w.sa6, from, mpa, 8);
    CHECK_EQ_INT(n, 4);
    static const uint64_t at_s[] = {0, 3, 9, 21};
    uint16_t first_id = 0;
    for (size_t i = 0; i < n && i < 4; i++) {
        struct icmp6_msg msg;
        CHECK_EQ_INT(mpa[i].time_ns, t0 + at_s[i] * S);
        CHECK(mpa[i].p.has_rh2);
        CHECK_EQ_MEM(mpa[i].p.rh2_addr, w.hoa, 16);
        CHECK_EQ_MEM(mpa[i].p.hdr.dst, w.mn->coa, 16);
        CHECK_EQ_INT(icmp6_decode(mpa[i].payload, mpa[i].esp.payload_len, w.ha_addr, w.hoa, &msg),
                     ICMP6_OK);
        CHECK_EQ_INT(msg.mpa.prefixes[0].valid_lifetime_s, 7200);
        CHECK_EQ_INT(msg.mpa.prefixes[0].preferred_lifetime_s, 3600);
        if (i == 0)
            first_id = msg.id;
        CHECK_EQ_INT(msg.id, first_id);
    }
    CHECK_EQ_INT(db_int(&w,
                        "SELECT count(*) FROM mobility_event WHERE node = %u AND kind = %d AND "
                        "value2 = 1",
                        w.ha_node, REC_MOB_MPA_SENT),
                 4);

    /* The mobile node used the first (unsolicited, so value2 = 1) and
     * replied to it with an MPS.  While that MPS is outstanding the repeats,
     * whose Identifier is not its own, are ignored. */
    CHECK_EQ_INT(w.mn->mpd.mpa_accepted, 1);
    CHECK_EQ_INT(w.mn->mpd.prefix.valid_lifetime_s, 7200);
    CHECK_EQ_INT(db_int(&w,
                        "SELECT count(*) FROM mobility_event WHERE node = %u AND kind = %d AND "
                        "value2 = 1",
                        w.mn_node, REC_MOB_MPA_RECEIVED),
                 1);
    CHECK(w.mn->mpd.solicit_outstanding);
    CHECK_EQ_INT(drops(&w, w.mn_node, REC_DROP_MPA_UNEXPECTED), 3);

    /* Setting the same lifetimes again changes nothing and sends nothing. */
    size_t sent = testsim_sent_count();
    CHECK_EQ_INT(mip6_ha_set_home_prefix_lifetimes(w.ha, 7200, 3600, err, sizeof err), 0);
    CHECK_EQ_INT(collect(w.ha_node, &w.sa6, sent, mpa, 8), 0);
    teardown(&w);
}

static void
test_unsolicited_mpa_gets_mps(void)
{
    struct world w;
    char err[256];
    setup(&w, "unsolicited_gets_mps");

    register_away(&w);
    size_t from = testsim_sent_count();
    uint64_t t0 = 10 * S;
    testsim_run_until(t0);
    CHECK_EQ_INT(mip6_ha_set_home_prefix_lifetimes(w.ha, 7200, 3600, err, sizeof err), 1);
    testsim_run_until(t0 + 60 * S);

    /* The mobile node's MPS stops the retransmissions (RFC 6275 §10.6.2).
     * The reply to it waits for the one-second rate limit. */
    struct opened mps, mpa[4];
    size_t n = collect(w.mn_node, &w.sa5, from, &mps, 1);
    CHECK_EQ_INT(n, 1);
    if (n != 1) {
        teardown(&w);
        return;
    }
    CHECK_EQ_INT(mps.time_ns, t0 + 1 * MS);
    struct icmp6_msg msg;
    CHECK_EQ_INT(icmp6_decode(mps.payload, mps.esp.payload_len, w.hoa, w.ha_addr, &msg), ICMP6_OK);
    uint16_t mps_id = msg.id;

    n = collect(w.ha_node, &w.sa6, from, mpa, 4);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_INT(mpa[0].time_ns, t0);
        CHECK_EQ_INT(mpa[1].time_ns, t0 + 1 * S);
        CHECK_EQ_INT(icmp6_decode(mpa[1].payload, mpa[1].esp.payload_len, w.ha_addr, w.hoa, &msg),
                     ICMP6_OK);
        CHECK_EQ_INT(msg.id, mps_id);
    }

    CHECK_EQ_INT(w.mn->mpd.mpa_accepted, 2);
    CHECK(!w.mn->mpd.solicit_outstanding);
    CHECK_EQ_INT(w.mn->node.drops, 0);
    teardown(&w);
}

static void
test_home_agent_rate_limit(void)
{
    struct world w;
    setup(&w, "rate_limit");
    uint8_t msg[64];

    register_away(&w);
    lose_spis(w.keys.spi_mps, 0); /* only the injected MPSs reach the home agent */
    size_t from = testsim_sent_count();
    uint64_t t0 = 10 * S;
    testsim_run_until(t0);

    /* Two MPSs 200 ms apart: the second answer waits until one second
     * after the first (RFC 6275 §10.6.2). */
    size_t len = build_mps(msg, sizeof msg, w.hoa, w.ha_addr, 0x1111);
    inject(w.ha_node, w.mn->coa, w.ha_addr, w.hoa, NULL, &w.sa5, IP6_NH_ICMPV6, msg, len);
    testsim_run_until(t0 + 200 * MS);
    len = build_mps(msg, sizeof msg, w.hoa, w.ha_addr, 0x2222);
    inject(w.ha_node, w.mn->coa, w.ha_addr, w.hoa, NULL, &w.sa5, IP6_NH_ICMPV6, msg, len);
    testsim_run_until(t0 + 999 * MS);
    struct opened mpa[4];
    CHECK_EQ_INT(collect(w.ha_node, &w.sa6, from, mpa, 4), 1);
    testsim_run_until(t0 + 2 * S);
    size_t n = collect(w.ha_node, &w.sa6, from, mpa, 4);
    CHECK_EQ_INT(n, 2);

    static const uint16_t ids[] = {0x1111, 0x2222};
    static const uint64_t at_ms[] = {0, 1000};
    for (size_t i = 0; i < n && i < 2; i++) {
        struct icmp6_msg m;
        CHECK_EQ_INT(mpa[i].time_ns, t0 + at_ms[i] * MS);
        CHECK_EQ_INT(icmp6_decode(mpa[i].payload, mpa[i].esp.payload_len, w.ha_addr, w.hoa, &m),
                     ICMP6_OK);
        CHECK_EQ_INT(m.id, ids[i]);
    }
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_MPS_RECEIVED), 2);
    teardown(&w);
}

static void
test_clear_text_dropped(void)
{
    struct world w;
    setup(&w, "clear_text");
    uint8_t msg[128];

    register_away(&w);
    size_t from = testsim_sent_count();

    /* RFC 3776 §4.1: the home agent's SPD requires SA5 for an MPS. */
    size_t len = build_mps(msg, sizeof msg, w.hoa, w.ha_addr, 0x4242);
    inject(w.ha_node, w.mn->coa, w.ha_addr, w.hoa, NULL, NULL, IP6_NH_ICMPV6, msg, len);
    testsim_run_until(4 * S);
    CHECK_EQ_INT(drops(&w, w.ha_node, REC_DROP_CLEAR_TEXT), 1);
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_MPS_RECEIVED), 0);
    struct opened mpa;
    CHECK_EQ_INT(collect(w.ha_node, &w.sa6, from, &mpa, 1), 0);

    /* And the mobile node's SPD requires SA6 for an MPA. */
    len = build_mpa(&w, msg, sizeof msg, w.ha_addr, 0x4242, 7200);
    inject(w.mn_node, w.ha_addr, w.mn->coa, NULL, w.hoa, NULL, IP6_NH_ICMPV6, msg, len);
    CHECK_EQ_INT(drops(&w, w.mn_node, REC_DROP_CLEAR_TEXT), 1);
    CHECK_EQ_INT(w.mn->mpd.mpa_accepted, 0);
    CHECK(!w.mn->mpd.have_prefix);
    teardown(&w);
}

static void
test_home_agent_checks_mps(void)
{
    struct world w;
    setup(&w, "mps_checks");
    uint8_t msg[64], pkt[128];

    register_away(&w);
    size_t len = build_mps(msg, sizeof msg, w.hoa, w.ha_addr, 0x0101);

    /* RFC 3776 §4.2: from a care-of address the MPS needs a Home Address
     * option; here it comes from the home address without one. */
    inject(w.ha_node, w.hoa, w.ha_addr, NULL, NULL, &w.sa5, IP6_NH_ICMPV6, msg, len);
    CHECK_EQ_INT(drops(&w, w.ha_node, REC_DROP_HAO_INVALID), 1);

    /* A corrupt checksum. */
    msg[2] ^= 0x01;
    inject(w.ha_node, w.mn->coa, w.ha_addr, w.hoa, NULL, &w.sa5, IP6_NH_ICMPV6, msg, len);
    msg[2] ^= 0x01;
    CHECK_EQ_INT(drops(&w, w.ha_node, REC_DROP_MALFORMED), 1);

    /* Back home and de-registered: no binding, no answer. */
    testsim_inject(w.mn_node, 0, pkt, testnet_build_ra(pkt, w.router_home, w.home_prefix));
    testsim_run_until(5 * S);
    CHECK_EQ_INT(w.mn->state, MN_AT_HOME);
    inject(w.ha_node, w.mn->coa, w.ha_addr, w.hoa, NULL, &w.sa5, IP6_NH_ICMPV6, msg, len);
    CHECK_EQ_INT(drops(&w, w.ha_node, REC_DROP_NO_BINDING), 1);
    CHECK_EQ_INT(events(&w, w.ha_node, REC_MOB_MPS_RECEIVED), 0);
    CHECK_EQ_INT(w.ha->mpd.mpa_sent, 0);
    teardown(&w);
}

/* One MPA the mobile node must ignore, and the drop reason it records. */
struct mpa_case {
    const char *name;
    bool from_cn;  /* source is another node, not the home agent */
    bool protect;  /* under SA6 */
    bool rh2;      /* with a type 2 routing header; else sent to the home address */
    bool wrong_id; /* Identifier of no outstanding MPS */
    enum rec_drop why;
};

static void
test_mobile_node_ignores_mpa(void)
{
    static const struct mpa_case cases[] = {
        {"another source, in clear", true, false, true, false, REC_DROP_CLEAR_TEXT},
        {"another source, under SA6", true, true, true, false, REC_DROP_POLICY},
        {"no type 2 routing header", false, true, false, false, REC_DROP_MPA_UNEXPECTED},
        {"wrong Identifier", false, true, true, true, REC_DROP_MPA_UNEXPECTED},
    };
    struct world w;
    setup(&w, "mpa_checks");
    uint8_t msg[128];

    register_away(&w);
    lose_spis(w.keys.spi_mpa, 0); /* the real replies never arrive */
    mip6_mpd_mn_solicit(w.mn);
    CHECK(w.mn->mpd.solicit_outstanding);
    uint16_t id = w.mn->mpd.solicit_id;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct mpa_case *c = &cases[i];
        const uint8_t *src = c->from_cn ? w.cn_addr : w.ha_addr;
        long long before = drops(&w, w.mn_node, c->why);
        size_t len = build_mpa(&w, msg, sizeof msg, src, c->wrong_id ? id ^ 0x8000 : id, 600);

        inject(w.mn_node, src, c->rh2 ? w.mn->coa : w.hoa, NULL, c->rh2 ? w.hoa : NULL,
               c->protect ? &w.sa6 : NULL, IP6_NH_ICMPV6, msg, len);
        if (drops(&w, w.mn_node, c->why) != before + 1)
            fprintf(stderr, "case \"%s\": no drop with reason %d\n", c->name, c->why);
        CHECK_EQ_INT(drops(&w, w.mn_node, c->why), before + 1);
        CHECK_EQ_INT(w.mn->mpd.mpa_accepted, 0);
        CHECK(w.mn->mpd.solicit_outstanding);
        CHECK(!w.mn->mpd.have_prefix);
    }

    /* The right MPA is accepted; a second copy of it is then ignored,
     * because its MPS already has an answer (RFC 6275 §11.4.3). */
    size_t len = build_mpa(&w, msg, sizeof msg, w.ha_addr, id, 600);
    inject(w.mn_node, w.ha_addr, w.mn->coa, NULL, w.hoa, &w.sa6, IP6_NH_ICMPV6, msg, len);
    CHECK_EQ_INT(w.mn->mpd.mpa_accepted, 1);
    CHECK(!w.mn->mpd.solicit_outstanding);
    CHECK_EQ_INT(w.mn->mpd.prefix.valid_lifetime_s, 600);
    long long before = drops(&w, w.mn_node, REC_DROP_MPA_UNEXPECTED);
    inject(w.mn_node, w.ha_addr, w.mn->coa, NULL, w.hoa, &w.sa6, IP6_NH_ICMPV6, msg, len);
    CHECK_EQ_INT(drops(&w, w.mn_node, REC_DROP_MPA_UNEXPECTED), before + 1);
    CHECK_EQ_INT(w.mn->mpd.mpa_accepted, 1);
    teardown(&w);
}

static void
test_solicit_before_prefix_expires(void)
{
    struct world w;
    char err[256];
    setup(&w, "prefix_expiry");

    register_away(&w);
    size_t from = testsim_sent_count();
    uint64_t t0 = 10 * S;
    testsim_run_until(t0);
    CHECK_EQ_INT(mip6_ha_set_home_prefix_lifetimes(w.ha, 100, 50, err, sizeof err), 1);

    /* Unsolicited MPA at t0, the node's MPS 1 ms later, the answer at
     * t0 + 1 s, accepted at t0 + 1.001 s.  At 90% of the 100 s valid
     * lifetime after that, the node solicits again, and the answer to
     * that MPS is the third MPA it accepts. */
    testsim_run_until(t0 + 150 * S);
    struct opened mps[4];
    size_t n = collect(w.mn_node, &w.sa5, from, mps, 4);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_INT(mps[0].time_ns, t0 + 1 * MS);
        CHECK_EQ_INT(mps[1].time_ns, t0 + 1001 * MS + 90 * S);
    }
    CHECK(!w.mn->mpd.solicit_outstanding);
    CHECK_EQ_INT(w.mn->mpd.mpa_accepted, 3);
    teardown(&w);
}

static void
test_prefix_sas_installed(void)
{
    struct world w;
    char err[256];
    setup_with(&w, "sas", false);

    /* RFC 3776 §4.3: NULL authentication for SA5 and SA6 is rejected and
     * nothing is installed. */
    struct mip6_keys k = w.keys;
    k.prefix_auth = ESP_AUTH_NULL;
    CHECK_EQ_INT(mip6_manual_sas(w.mn, w.ha, &k, err, sizeof err), -1);
    CHECK(strstr(err, "prefix discovery") != NULL);
    CHECK_EQ_INT(w.mn->node.ipsec.n_sas, 0);
    CHECK_EQ_INT(w.ha->node.ipsec.n_sas, 0);

    /* With authentication: SA1, SA2, SA5 and SA6 on each node, with
     * distinct SPIs, and the SPD puts an MPS under SA5. */
    CHECK_EQ_INT(mip6_manual_sas(w.mn, w.ha, &w.keys, err, sizeof err), 0);
    CHECK_EQ_INT(w.mn->node.ipsec.n_sas, 4);
    CHECK_EQ_INT(w.ha->node.ipsec.n_sas, 4);
    CHECK(w.keys.spi_mps != w.keys.spi_mn_to_ha);
    CHECK(w.keys.spi_mps != w.keys.spi_ha_to_mn);
    CHECK(w.keys.spi_mpa != w.keys.spi_mn_to_ha);
    CHECK(w.keys.spi_mpa != w.keys.spi_ha_to_mn);
    CHECK(w.keys.spi_mps != w.keys.spi_mpa);
    CHECK(ipsec_sa_by_spi(&w.ha->node.ipsec, w.keys.spi_mps) != NULL);
    CHECK(ipsec_sa_by_spi(&w.mn->node.ipsec, w.keys.spi_mpa) != NULL);

    uint8_t mps[ICMP6_FIXED_LEN];
    build_mps(mps, sizeof mps, w.hoa, w.ha_addr, 1);
    struct ipsec_packet view = {.src = w.hoa, .dst = w.ha_addr, .proto = IP6_NH_ICMPV6};
    ipsec_packet_read_next_layer(&view, mps, sizeof mps);
    struct ipsec_policy *policy = ipsec_policy_lookup(&w.mn->node.ipsec, IPSEC_OUT, &view);
    CHECK(policy != NULL);
    if (policy) {
        CHECK_EQ_INT(policy->action, IPSEC_PROTECT);
        CHECK(strcmp(policy->sa->name, "SA5") == 0);
    }
    teardown(&w);
}

static void
test_prefix_sas_survive_return_home(void)
{
    struct world w;
    char err[256];
    setup(&w, "return_home");
    uint8_t pkt[128];

    register_away(&w);
    testsim_inject(w.mn_node, 0, pkt, testnet_build_ra(pkt, w.router_home, w.home_prefix));
    testsim_run_until(5 * S);
    CHECK_EQ_INT(w.mn->state, MN_AT_HOME);

    /* RFC 3776 §4.2: the prefix discovery SAs do not depend on the care-of
     * address and stay. */
    CHECK(ipsec_sa_by_spi(&w.mn->node.ipsec, w.keys.spi_mpa) != NULL);
    CHECK(ipsec_sa_by_spi(&w.ha->node.ipsec, w.keys.spi_mps) != NULL);
    CHECK_EQ_INT(w.mn->node.ipsec.n_sas, 4);
    CHECK_EQ_INT(w.ha->node.ipsec.n_sas, 4);

    /* No MPS leaves from the home link. */
    size_t sent = testsim_sent_count();
    mip6_mpd_mn_solicit(w.mn);
    CHECK(!w.mn->mpd.solicit_outstanding);
    CHECK_EQ_INT(testsim_sent_count(), sent);

    /* Without an accepted home registration the node has no home agent
     * to take an MPA from (RFC 6275 §11.4.3), even one under SA6. */
    uint8_t msg[128];
    size_t len = build_mpa(&w, msg, sizeof msg, w.ha_addr, 0x0202, 600);
    inject(w.mn_node, w.ha_addr, w.hoa, NULL, w.hoa, &w.sa6, IP6_NH_ICMPV6, msg, len);
    CHECK_EQ_INT(drops(&w, w.mn_node, REC_DROP_MPA_UNEXPECTED), 1);
    CHECK_EQ_INT(w.mn->mpd.mpa_accepted, 0);

    /* Away again, the same SAs carry prefix discovery. */
    attach(&w, w.router_foreign, w.foreign_prefix);
    testsim_run_until(8 * S);
    CHECK_EQ_INT(w.mn->state, MN_REGISTERED);
    size_t from = testsim_sent_count();
    CHECK_EQ_INT(mip6_ha_set_home_prefix_lifetimes(w.ha, 7200, 3600, err, sizeof err), 1);
    testsim_run_until(10 * S);
    struct opened mpa[4], mps[4];
    CHECK_EQ_INT(collect(w.ha_node, &w.sa6, from, mpa, 4), 2);
    CHECK_EQ_INT(collect(w.mn_node, &w.sa5, from, mps, 4), 1);
    CHECK_EQ_INT(w.mn->mpd.mpa_accepted, 2);
    teardown(&w);
}

static void
test_lifetimes_rejected(void)
{
    struct world w;
    char err[256];
    setup(&w, "lifetimes");

    /* RFC 4861 §4.6.2: preferred above valid is invalid and changes nothing. */
    CHECK_EQ_INT(mip6_ha_set_home_prefix_lifetimes(w.ha, 100, 200, err, sizeof err), -1);
    CHECK(strstr(err, "preferred lifetime 200 s") != NULL);
    CHECK_EQ_INT(w.ha->mpd.valid_lifetime_s, MIP6_MPD_DEFAULT_VALID_S);
    CHECK_EQ_INT(w.ha->mpd.preferred_lifetime_s, MIP6_MPD_DEFAULT_PREFERRED_S);

    /* Without a binding no mobile node gets an MPA. */
    CHECK_EQ_INT(mip6_ha_set_home_prefix_lifetimes(w.ha, 100, 50, err, sizeof err), 0);
    CHECK_EQ_INT(w.ha->mpd.valid_lifetime_s, 100);
    teardown(&w);
}

CHECK_MAIN(TEST(test_status_1_sends_mps), TEST(test_mpa_replies_to_mps),
           TEST(test_mps_retransmission_schedule), TEST(test_unsolicited_mpa_retransmitted),
           TEST(test_unsolicited_mpa_gets_mps), TEST(test_home_agent_rate_limit),
           TEST(test_clear_text_dropped), TEST(test_home_agent_checks_mps),
           TEST(test_mobile_node_ignores_mpa), TEST(test_solicit_before_prefix_expires),
           TEST(test_prefix_sas_installed), TEST(test_prefix_sas_survive_return_home),
           TEST(test_lifetimes_rejected))
