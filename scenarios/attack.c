/*
 * attack.c - attacks on the signalling between a mobile node and its
 * home agent, and how RFC 3776 IPsec stops them, in real ns-3.
 *
 *            cn
 *             | 2001:1:0:100::/64
 *            r0 (backbone router)
 *      ______|______
 *     |             |
 *     ha           ar1                point-to-point links
 *     |             |
 *   home link    foreign link         CSMA links
 *   2001:1:0:1::/64  2001:1:0:2::/64
 *
 *   victim    mobile node 0.  It leaves the home link for the foreign
 *             link at 1 s and registers there.  It exchanges UDP with cn
 *             through the home agent.
 *   attacker  mobile node 1 of the same home agent, with its own home
 *             address and SAs.  It follows to the foreign link at 1.5 s
 *             and registers too.  It receives copies of the victim's
 *             packets on that link, which the scenario takes from the
 *             victim's trace.
 *
 * At --attackAt the attacker sends one crafted packet to the home agent
 * (replay-esp sends a second one at --replayOldAt).  docs/attacks.md
 * lists the attacks, the rule that stops each and the queries that show
 * it in the database.  At the end the program reads the database back
 * and prints what the home agent did with the attacker's packets and
 * whether its binding for the victim kept the victim's care-of address.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cmdline.h"
#include "esp.h"
#include "ipv6.h"
#include "mh.h"
#include "mip6sec-ns3.h"
#include "mip6sec.h"
#include "rec.h"
#include "sim.h"

#define MS 1000000ull
#define S 1000000000ull

#ifndef MIP6SEC_VERSION
#define MIP6SEC_VERSION "unknown"
#endif

#define PROGRAM "mip6sec-attack"

/* Both mobile nodes move to the foreign link at these times. */
#define VICTIM_MOVE_NS (1 * S)
#define ATTACKER_MOVE_NS (1500 * MS)
/* The attacker keeps its one registration for the whole run, so it sends
 * no BU of its own after the first. */
#define ATTACKER_LIFETIME_S 420
#define ATTACKER_INDEX 1 /* mn_index of the attacker's keys and SPIs */

/* UDP payload both ways.  The trace callback copies the first 256 bytes
 * of a packet, and a 64-byte payload keeps a tunnel ESP packet at 204
 * bytes, so the attacker can replay it whole. */
#define UDP_PAYLOAD 64
#define CAPTURE_MAX 256

/* Forged BUs: the attacker cannot read the victim's sequence number,
 * which ESP encrypts.  The home agent rejects these BUs in IPsec
 * processing, before it looks at the sequence number, so the value does
 * not change the outcome. */
#define FORGED_BU_SEQ 1
#define FORGED_BU_LIFETIME 105 /* 420 s in the 4 s units of the BU */
/* An SPI that no manually keyed SA of this scenario uses (those are
 * 0x1000 + 2 n, 0x1001 + 2 n and 0x100000 + 8 n + k).  NOTE: IKEv2
 * chooses its SPIs at random, so with --keying=ikev2 a collision has a
 * probability of about 2^-32 per SA. */
#define UNKNOWN_SPI 0x0bad0badu

enum attack {
    ATTACK_FOREIGN_HOA,
    ATTACK_CLEAR_BU,
    ATTACK_UNKNOWN_SPI,
    ATTACK_BAD_ICV,
    ATTACK_REPLAY_ESP,
    ATTACK_REPLAY_BU_OLD_SEQ,
    N_ATTACKS,
};

static const char *const ATTACK_NAMES[N_ATTACKS] = {
    [ATTACK_FOREIGN_HOA] = "foreign-hoa", [ATTACK_CLEAR_BU] = "clear-bu",
    [ATTACK_UNKNOWN_SPI] = "unknown-spi", [ATTACK_BAD_ICV] = "bad-icv",
    [ATTACK_REPLAY_ESP] = "replay-esp",   [ATTACK_REPLAY_BU_OLD_SEQ] = "replay-bu-old-seq",
};

#define ATTACK_LIST "foreign-hoa, clear-bu, unknown-spi, bad-icv, replay-esp, replay-bu-old-seq"

struct params {
    const char *attack;
    const char *keying;
    const char *tunnel_esp;
    uint64_t seed;
    uint64_t run;
    double duration_s;
    double attack_at_s;
    double replay_old_at_s;
    uint64_t lifetime_s;
    double interval_ms;
    double uplink_interval_ms;
    const char *output;
    bool pcap;
};

static struct params P = {
    .attack = "",
    .keying = "manual",
    .tunnel_esp = "all",
    .seed = 1,
    .run = 1,
    .duration_s = 12,
    .attack_at_s = 7,
    .replay_old_at_s = 10,
    .lifetime_s = 4,
    .interval_ms = 50,
    .uplink_interval_ms = 20,
    .output = "attack.db",
    .pcap = false,
};

static const struct cmdline_option OPTIONS[] = {
    {"attack", CMDLINE_STRING, &P.attack, NULL, 0, 0,
     "the attack (required): foreign-hoa (a BU for the victim's home address under the "
     "attacker's own SA), clear-bu (a BU without ESP), unknown-spi (a BU under an SPI the home "
     "agent does not have), bad-icv (the victim's last BU with one byte changed), replay-esp "
     "(the victim's last BU again at --attackAt, its first tunnel ESP packet at --replayOldAt), "
     "replay-bu-old-seq (the victim's first BU after a newer one was accepted)"},
    {"keying", CMDLINE_STRING, &P.keying, NULL, 0, 0,
     "how both mobile nodes get their SAs with the home agent: manual (RFC 3776 section 5.2, "
     "no anti-replay) or ikev2 (RFC 4877, anti-replay window of 64 packets)"},
    {"tunnelEsp", CMDLINE_STRING, &P.tunnel_esp, NULL, 0, 0,
     "ESP tunnel mode between mobile nodes and home agent: all (payload, HoTI and HoT), rr "
     "(HoTI and HoT) or none; replay-esp needs all"},
    {"seed", CMDLINE_UINT, &P.seed, NULL, 1, 4294967295.0,
     "seed of ns-3's random number generator (RngSeed); also derives the manual keys"},
    {"run", CMDLINE_UINT, &P.run, NULL, 1, 1e15, "run number (ns-3 RngRun): one replication"},
    {"duration", CMDLINE_DOUBLE, &P.duration_s, "s", 3, 1e5, "simulated time"},
    {"attackAt", CMDLINE_DOUBLE, &P.attack_at_s, "s", 0.1, 1e5,
     "simulated time of the attack; at least 1 s before --duration"},
    {"replayOldAt", CMDLINE_DOUBLE, &P.replay_old_at_s, "s", 0.1, 1e5,
     "replay-esp only: time of the second replay, which must come after the victim has sent "
     "more tunnel packets than the replay window since the first one"},
    {"lifetime", CMDLINE_UINT, &P.lifetime_s, "s", 4, 262140,
     "binding lifetime the victim requests; it refreshes at 90% of it, and "
     "replay-bu-old-seq needs a second BU before --attackAt"},
    {"interval", CMDLINE_DOUBLE, &P.interval_ms, "ms", 1, 1e6,
     "gap between UDP packets from cn to the victim's home address"},
    {"uplinkInterval", CMDLINE_DOUBLE, &P.uplink_interval_ms, "ms", 0, 1e6,
     "gap between UDP packets from the victim to cn; 0 sends none (replay-esp needs them)"},
    {"output", CMDLINE_STRING, &P.output, NULL, 0, 0,
     "SQLite database to write (replaced if it exists); foreign-hoa with --keying=ikev2 also "
     "writes the attacker's negotiated keys to <output without .db>-attacker-esp_sa"},
    {"pcap", CMDLINE_BOOL, &P.pcap, NULL, 0, 1,
     "write pcap files of both mobile nodes and the home agent next to the database, with the "
     "ESP keys for Wireshark in <output without .db>-esp_sa (with --keying=ikev2 the victim's "
     "only)"},
};

#define N_OPTIONS (sizeof OPTIONS / sizeof OPTIONS[0])

/* A packet copied whole from a trace event. */
struct capture {
    bool have;
    uint8_t pkt[CAPTURE_MAX];
    size_t len;
    uint32_t esp_seq;
};

/* The nodes, addresses and captures that the attacks use. */
struct world {
    enum attack attack;
    bool ikev2;
    uint32_t victim, attacker, ha;
    uint32_t victim_if, attacker_if;
    uint8_t ha_addr[16];
    uint8_t victim_hoa[16], victim_coa[16];
    uint8_t attacker_hoa[16], attacker_coa[16];
    char attacker_sa_log[1100]; /* the attacker's negotiated keys, with --keying=ikev2 */

    /* Packets the attacker copied on the foreign link. */
    struct capture victim_first_bu, victim_last_bu;
    unsigned victim_bus;
    struct capture victim_first_tunnel;
    uint32_t victim_tunnel_spi;
    uint32_t victim_tunnel_last_seq;
    uint32_t replay_window;     /* of negotiated SAs; 0 with manual keys */
    struct capture attacker_bu; /* the attacker's own BU, for its SPI and counter */

    uint64_t attack_ns[2];
    uint64_t uids[2]; /* ns-3 uids of the attack packets sent */
    unsigned n_sent;
    bool attack_failed;
};

static struct world W;
static struct rec *rec;
static volatile sig_atomic_t stop_requested;

static void
request_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/*
 * Stop after an error before the simulation ran, without ns-3's
 * teardown, because before the first run ns-3.37's Radvd::DoDispose
 * dereferences a socket that only StartApplication creates.
 */
static void
stop_before_run(int status)
{
    rec_close(rec, REC_FAILED);
    fflush(NULL);
    _exit(status);
}

static void
check(int status, const char *what)
{
    if (status == 0)
        return;
    fprintf(stderr, PROGRAM ": %s failed: %s\n", what, mip6sec_last_error());
    stop_before_run(1);
}

static void
fail_attack(const char *why)
{
    fprintf(stderr, PROGRAM ": attack %s at %.3f s failed: %s\n", ATTACK_NAMES[W.attack],
            (double)sim_now_ns() / 1e9, why);
    W.attack_failed = true;
}

/* ----- packets the attacker copies ----- */

/* Copy pkt into c when it was captured whole. */
static bool
keep(struct capture *c, const uint8_t *pkt, size_t caplen, size_t wire_len, uint32_t esp_seq)
{
    if (caplen != wire_len || wire_len > sizeof c->pkt)
        return false;
    memcpy(c->pkt, pkt, wire_len);
    c->len = wire_len;
    c->esp_seq = esp_seq;
    c->have = true;
    return true;
}

/*
 * Copy the packets that the attacks need from what the victim or the
 * attacker sent on its foreign link.  Every
 * transport-mode ESP packet with a Home Address option to the home agent
 * counts as a BU.  NOTE: a Mobile Prefix Solicitation looks the same,
 * but the home agent here never changes its prefix, so no MPS is sent.
 */
static void
capture_packet(uint32_t node, const uint8_t *pkt, size_t caplen, size_t wire_len)
{
    struct ip6_packet p;
    uint32_t spi = 0, seq = 0;

    if (ip6_parse(pkt, caplen, &p) != IP6_OK || p.upper_proto != IP6_NH_ESP ||
        memcmp(p.hdr.dst, W.ha_addr, 16) != 0 ||
        esp_read_header(pkt + p.upper_offset, caplen - p.upper_offset, &spi, &seq) != ESP_OK)
        return;

    if (node == W.attacker) {
        if (p.has_hao && memcmp(p.hao, W.attacker_hoa, 16) == 0)
            keep(&W.attacker_bu, pkt, caplen, wire_len, seq);
        return;
    }
    if (p.has_hao && memcmp(p.hao, W.victim_hoa, 16) == 0) {
        if (keep(&W.victim_last_bu, pkt, caplen, wire_len, seq)) {
            W.victim_bus++;
            if (!W.victim_first_bu.have)
                W.victim_first_bu = W.victim_last_bu;
        }
        return;
    }
    /* Tunnel mode: no Home Address option (RFC 3776 §3.2). */
    if (!p.has_hao && !W.victim_first_tunnel.have &&
        keep(&W.victim_first_tunnel, pkt, caplen, wire_len, seq))
        W.victim_tunnel_spi = spi;
    if (W.victim_first_tunnel.have && spi == W.victim_tunnel_spi)
        W.victim_tunnel_last_seq = seq;
}

static void
observe_packet(void *ctx, uint32_t node, uint32_t ifindex, enum rec_kind kind, const uint8_t *pkt,
               size_t caplen, size_t wire_len, uint64_t uid, enum rec_drop drop)
{
    (void)ctx;
    rec_packet(rec, sim_now_ns(), node, ifindex, kind, pkt, caplen, wire_len, uid, 0, drop);
    /* ns-3 calls this inside packet processing, so it only records and
     * copies.  The attacks run from their own events. */
    if (kind == REC_TX && ((node == W.victim && ifindex == W.victim_if) ||
                           (node == W.attacker && ifindex == W.attacker_if)))
        capture_packet(node, pkt, caplen, wire_len);
}

/* ----- what the attacker sends ----- */

/* Send payload from the attacker's foreign-link interface to the home
 * agent with any source address. */
static void
attacker_send(const uint8_t src[16], uint8_t next_header, const uint8_t *payload, size_t len)
{
    uint64_t uid = 0;

    /* The interface is given because the attacker's own mobile node model
     * routes everything else into its tunnel. */
    if (sim_ipv6_send(W.attacker, W.attacker_if, src, W.ha_addr, next_header, payload, len, &uid) !=
        SIM_OK) {
        fail_attack(mip6sec_last_error());
        return;
    }
    W.uids[W.n_sent++] = uid;
}

/* Send a captured packet again, byte for byte after the IPv6 header. */
static void
replay(const struct capture *c)
{
    const uint8_t *src = c->pkt + 8; /* Source Address of the fixed header */
    attacker_send(src, c->pkt[6], c->pkt + IP6_HEADER_LEN, c->len - IP6_HEADER_LEN);
}

/*
 * Send a home registration BU for the victim's home address that names
 * the attacker's care-of address, from that address, inside ESP under sa
 * or in clear when sa is NULL.
 */
static void
send_forged_bu(struct esp_sa *sa)
{
    uint8_t mh[64], buf[256];
    struct wr m = wr_init(mh, sizeof mh);
    struct wr w = wr_init(buf, sizeof buf);
    struct mh_msg bu = {.type = MH_BU};

    bu.bu.seq = FORGED_BU_SEQ;
    bu.bu.flags = MH_BU_FLAG_A | MH_BU_FLAG_H;
    bu.bu.lifetime = FORGED_BU_LIFETIME;
    bu.bu.has_alt_coa = true;
    memcpy(bu.bu.alt_coa, W.attacker_coa, 16);
    /* The checksum covers the victim's home address, which the home agent
     * puts in the source position (RFC 3776 §6.2). */
    if (mh_encode(&m, &bu, W.victim_hoa, W.ha_addr) != MH_OK) {
        fail_attack("encoding the BU failed");
        return;
    }

    /* RFC 3776 §3.1: Home Address option, then ESP around the message. */
    ip6_write_dest_opts_hao(&w, sa ? IP6_NH_ESP : IP6_NH_MOBILITY, W.victim_hoa);
    if (sa && esp_protect(sa, IP6_NH_MOBILITY, mh, m.pos, &w) != ESP_OK) {
        fail_attack("ESP on the BU failed");
        return;
    }
    if (!sa)
        wr_bytes(&w, mh, m.pos);
    if (!wr_ok(&w)) {
        fail_attack("the BU does not fit its buffer");
        return;
    }
    attacker_send(W.attacker_coa, IP6_NH_DEST_OPTS, buf, w.pos);
}

static int
hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decode "0x" followed by 2 len hex digits into out.  Returns false for
 * any other text. */
static bool
hex_decode(const char *text, uint8_t *out, size_t len)
{
    if (strncmp(text, "0x", 2) != 0 || strlen(text) != 2 + 2 * len)
        return false;
    for (size_t i = 0; i < len; i++) {
        int hi = hex_value(text[2 + 2 * i]), lo = hex_value(text[3 + 2 * i]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

/*
 * Set up sa from the record with this SPI in an ESP SA log written by
 * mip6_mn_log_esp_sas: 8 quoted fields, the 4th the SPI, the 5th to 8th
 * encryption algorithm and key, integrity algorithm and key.
 */
static bool
load_logged_sa(const char *path, uint32_t spi, struct esp_sa *sa)
{
    FILE *f = fopen(path, "r");
    char line[512], want[16];
    bool found = false;

    snprintf(want, sizeof want, "0x%08x", spi);
    while (f && !found && fgets(line, sizeof line, f)) {
        char *field[8] = {0};
        int n = 0;
        for (char *q = strchr(line, '"'); q && n < 8; q = strchr(q + 1, '"')) {
            field[n++] = q + 1;
            q = strchr(q + 1, '"');
            if (!q)
                break;
            *q = '\0';
        }
        if (n < 8 || strcmp(field[3], want) != 0)
            continue;
        uint8_t enc_key[ESP_AES_KEY_LEN], auth_key[ESP_HMAC_SHA1_KEY_LEN];
        bool aes = strncmp(field[4], "AES-CBC", 7) == 0;
        bool hmac = strncmp(field[6], "HMAC-SHA-1-96", 13) == 0;
        if ((aes && !hex_decode(field[5], enc_key, sizeof enc_key)) ||
            (hmac && !hex_decode(field[7], auth_key, sizeof auth_key)))
            break;
        found = esp_sa_init(sa, spi, aes ? ESP_ENC_AES_128_CBC : ESP_ENC_NULL, enc_key,
                            aes ? sizeof enc_key : 0, hmac ? ESP_AUTH_HMAC_SHA1_96 : ESP_AUTH_NULL,
                            auth_key, hmac ? sizeof auth_key : 0) == ESP_OK;
    }
    if (f)
        fclose(f);
    return found;
}

/*
 * Set up the attacker's own BU SA (its SA1) as its mobile node model has
 * it: SPI from the attacker's captured BU, keys from the derivation of
 * mip6_keys_derive or from the IKEv2 key log.  The counter continues
 * after that BU, so that an anti-replay window takes the next packet.
 */
static bool
attacker_bu_sa(struct esp_sa *sa)
{
    uint32_t spi = 0, seq = 0;
    struct ip6_packet p;

    ip6_parse(W.attacker_bu.pkt, W.attacker_bu.len, &p);
    esp_read_header(W.attacker_bu.pkt + p.upper_offset, W.attacker_bu.len - p.upper_offset, &spi,
                    &seq);

    bool ok;
    if (W.ikev2) {
        ok = load_logged_sa(W.attacker_sa_log, spi, sa);
    } else {
        struct mip6_keys k;
        mip6_keys_derive(&k, P.seed, ATTACKER_INDEX, ESP_ENC_AES_128_CBC, ESP_AUTH_HMAC_SHA1_96);
        ok = spi == k.spi_mn_to_ha &&
             esp_sa_init(sa, spi, k.enc, k.enc_key_mn_to_ha, sizeof k.enc_key_mn_to_ha, k.auth,
                         k.auth_key_mn_to_ha, sizeof k.auth_key_mn_to_ha) == ESP_OK;
    }
    if (!ok) {
        fail_attack("the keys of the attacker's BU SA were not found");
        return false;
    }
    /* esp_protect is the one way to move the counter: protect and discard
     * one byte for each sequence number the attacker's BUs used. */
    uint8_t scratch[128], byte = 0;
    for (uint32_t i = 0; i < seq; i++) {
        struct wr w = wr_init(scratch, sizeof scratch);
        esp_protect(sa, IP6_NH_NONE, &byte, 1, &w);
    }
    return true;
}

static void
attack_foreign_hoa(void)
{
    struct esp_sa sa = {0};

    if (attacker_bu_sa(&sa))
        send_forged_bu(&sa);
    esp_sa_free(&sa);
}

static void
attack_unknown_spi(void)
{
    struct esp_sa sa = {0};
    struct mip6_keys k;

    /* Keys of a mobile node index that no node has. */
    mip6_keys_derive(&k, P.seed, 1000, ESP_ENC_AES_128_CBC, ESP_AUTH_HMAC_SHA1_96);
    if (esp_sa_init(&sa, UNKNOWN_SPI, k.enc, k.enc_key_mn_to_ha, sizeof k.enc_key_mn_to_ha, k.auth,
                    k.auth_key_mn_to_ha, sizeof k.auth_key_mn_to_ha) == ESP_OK)
        send_forged_bu(&sa);
    else
        fail_attack("setting up the SA failed");
    esp_sa_free(&sa);
}

/*
 * Replay the victim's last BU with a changed last byte before the ICV,
 * which is the encrypted Next Header with AES-CBC.  The sequence number
 * goes up by one too, because RFC 4303 §3.4.3 checks for replays before
 * the ICV, and an anti-replay window would drop an unchanged one first.
 */
static void
attack_bad_icv(void)
{
    struct capture c = W.victim_last_bu;
    struct ip6_packet p;

    ip6_parse(c.pkt, c.len, &p);
    uint32_t seq = c.esp_seq + 1;
    uint8_t *seq_field = c.pkt + p.upper_offset + 4;
    seq_field[0] = (uint8_t)(seq >> 24);
    seq_field[1] = (uint8_t)(seq >> 16);
    seq_field[2] = (uint8_t)(seq >> 8);
    seq_field[3] = (uint8_t)seq;
    c.pkt[c.len - ESP_ICV_LEN - 1] ^= 0x01;
    replay(&c);
}

static void
attack_replay_old_seq(void)
{
    if (W.victim_bus < 2) {
        fail_attack("the victim has sent only one BU; lower --lifetime or give a later --attackAt");
        return;
    }
    replay(&W.victim_first_bu);
}

static void
launch_attack(void *arg)
{
    (void)arg;
    /* Every attack needs the victim's binding and the attacker's care-of
     * address.  The first BU of each node shows that both exist. */
    if (!W.victim_last_bu.have || !W.attacker_bu.have) {
        fail_attack("the victim or the attacker has not sent its first BU yet; give a later "
                    "--attackAt");
        return;
    }
    switch (W.attack) {
    case ATTACK_FOREIGN_HOA:
        attack_foreign_hoa();
        break;
    case ATTACK_CLEAR_BU:
        send_forged_bu(NULL);
        break;
    case ATTACK_UNKNOWN_SPI:
        attack_unknown_spi();
        break;
    case ATTACK_BAD_ICV:
        attack_bad_icv();
        break;
    case ATTACK_REPLAY_ESP:
        replay(&W.victim_last_bu);
        break;
    case ATTACK_REPLAY_BU_OLD_SEQ:
        attack_replay_old_seq();
        break;
    case N_ATTACKS:
        break;
    }
}

/* replay-esp, second packet: the victim's first tunnel ESP packet. */
static void
replay_old_tunnel_packet(void *arg)
{
    (void)arg;
    if (!W.victim_first_tunnel.have) {
        fail_attack("the victim has sent no tunnel ESP packet; check --uplinkInterval");
        return;
    }
    uint32_t behind = W.victim_tunnel_last_seq - W.victim_first_tunnel.esp_seq;
    if (behind < W.replay_window)
        fprintf(stderr,
                PROGRAM
                ": replay-esp: the victim sent only %u tunnel packets after the "
                "replayed one, fewer than the replay window of %u; give a later --replayOldAt\n",
                behind, W.replay_window);
    replay(&W.victim_first_tunnel);
}

/* ----- the result, read back from the database ----- */

struct outcome {
    unsigned seen;       /* attack packets with an event at the home agent */
    unsigned dropped;    /* attack packets the home agent dropped */
    char reasons[256];   /* "name count, ..." of those drops */
    unsigned ba_135;     /* BAs with status 135 the home agent sent after the attack */
    char coa_before[64]; /* the victim's binding before the attack, "" for none */
    unsigned moved;      /* victim binding events after the attack with another care-of address */
    unsigned deleted;    /* deletions of the victim's binding after the attack */
};

static int64_t
query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static bool
read_drops(sqlite3 *db, const char *uids, struct outcome *o)
{
    char sql[512];
    sqlite3_stmt *st = NULL;
    size_t pos = 0;

    snprintf(sql, sizeof sql,
             "SELECT r.name, count(*) FROM packet_event p JOIN drop_reason r ON r.id = "
             "p.drop_reason WHERE p.node = %u AND p.kind = %d AND p.uid IN (%s) GROUP BY r.name "
             "ORDER BY r.name",
             W.ha, REC_DROP, uids);
    o->reasons[0] = '\0';
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return false;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && pos < sizeof o->reasons) {
        int n = sqlite3_column_int(st, 1);
        pos += (size_t)snprintf(o->reasons + pos, sizeof o->reasons - pos, "%s%s %d",
                                pos ? ", " : "", (const char *)sqlite3_column_text(st, 0), n);
        o->dropped += (unsigned)n;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW;
}

/* The home agent's binding events for the victim, found through the
 * bu_received event (address = home address) of the same BU. */
static bool
read_binding(sqlite3 *db, struct outcome *o)
{
    char hoa[IP6_ADDR_TEXT_LEN], coa[IP6_ADDR_TEXT_LEN], sql[1200];
    sqlite3_stmt *st = NULL;

    ip6_addr_to_text(W.victim_hoa, hoa, sizeof hoa);
    ip6_addr_to_text(W.victim_coa, coa, sizeof coa);
    snprintf(sql, sizeof sql,
             "WITH victim_binding AS (SELECT b.time_ns, a.text AS coa FROM mobility_event b "
             "JOIN mobility_event r ON r.node = b.node AND r.time_ns = b.time_ns AND r.kind = %d "
             "AND r.value = b.value JOIN address h ON h.id = r.address JOIN address a ON a.id = "
             "b.address WHERE b.node = %u AND b.kind IN (%d, %d) AND h.text = ?1) "
             "SELECT (SELECT coa FROM victim_binding WHERE time_ns < ?2 ORDER BY time_ns DESC "
             "LIMIT 1), (SELECT count(*) FROM victim_binding WHERE time_ns >= ?2 AND coa <> ?3), "
             "(SELECT count(*) FROM mobility_event m JOIN address d ON d.id = m.address WHERE "
             "m.node = %u AND m.kind = %d AND d.text = ?1 AND m.time_ns >= ?2)",
             REC_MOB_BU_RECEIVED, W.ha, REC_MOB_BINDING_ADD, REC_MOB_BINDING_UPDATE, W.ha,
             REC_MOB_BINDING_DELETE);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, hoa, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)W.attack_ns[0]);
    sqlite3_bind_text(st, 3, coa, -1, SQLITE_STATIC);
    bool ok = sqlite3_step(st) == SQLITE_ROW;
    if (ok) {
        const unsigned char *before = sqlite3_column_text(st, 0);
        snprintf(o->coa_before, sizeof o->coa_before, "%s", before ? (const char *)before : "");
        o->moved = (unsigned)sqlite3_column_int(st, 1);
        o->deleted = (unsigned)sqlite3_column_int(st, 2);
    }
    sqlite3_finalize(st);
    return ok;
}

/* Read what the home agent did with the attack; false when the
 * database cannot be read. */
static bool
read_outcome(struct outcome *o)
{
    sqlite3 *db = NULL;
    char uids[64] = "-1", sql[512];

    memset(o, 0, sizeof *o);
    if (sqlite3_open_v2(P.output, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fprintf(stderr, PROGRAM ": reading %s back failed: %s\n", P.output, sqlite3_errmsg(db));
        sqlite3_close(db);
        return false;
    }
    if (W.n_sent == 1)
        snprintf(uids, sizeof uids, "%llu", (unsigned long long)W.uids[0]);
    else if (W.n_sent == 2)
        snprintf(uids, sizeof uids, "%llu,%llu", (unsigned long long)W.uids[0],
                 (unsigned long long)W.uids[1]);

    snprintf(sql, sizeof sql,
             "SELECT count(DISTINCT uid) FROM packet_event WHERE node = %u AND uid IN (%s)", W.ha,
             uids);
    int64_t seen = query_int(db, sql);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM mobility_event WHERE node = %u AND kind = %d AND value = %d "
             "AND time_ns >= %llu",
             W.ha, REC_MOB_BA_SENT, MH_BA_SEQ_OUT_OF_WINDOW, (unsigned long long)W.attack_ns[0]);
    int64_t ba_135 = query_int(db, sql);
    bool ok = seen >= 0 && ba_135 >= 0 && read_drops(db, uids, o) && read_binding(db, o);
    if (!ok)
        fprintf(stderr, PROGRAM ": reading the outcome from %s failed: %s\n", P.output,
                sqlite3_errmsg(db));
    o->seen = (unsigned)seen;
    o->ba_135 = (unsigned)ba_135;
    sqlite3_close(db);
    return ok;
}

static bool
print_summary(uint64_t victim_received, uint64_t victim_sent)
{
    struct outcome o;
    char coa[IP6_ADDR_TEXT_LEN], binding[160];

    if (!read_outcome(&o))
        return false;
    ip6_addr_to_text(W.victim_coa, coa, sizeof coa);
    if (strcmp(o.coa_before, coa) != 0)
        snprintf(binding, sizeof binding,
                 "not at the victim's care-of address %s before the attack", coa);
    else if (o.moved == 0 && o.deleted == 0)
        snprintf(binding, sizeof binding, "unchanged at care-of address %s", coa);
    else
        snprintf(binding, sizeof binding,
                 "CHANGED: %u updates to another care-of address, %u deletions", o.moved,
                 o.deleted);

    printf(PROGRAM ": %s with %s keys: %u of %u attack packets reached the home agent, %u "
                   "dropped there (%s), %u BA with status 135 sent after the attack; victim "
                   "binding %s; victim received %llu of %llu UDP datagrams; events in %s\n",
           ATTACK_NAMES[W.attack], P.keying, o.seen, W.n_sent, o.dropped,
           o.reasons[0] ? o.reasons : "none", o.ba_135, binding,
           (unsigned long long)victim_received, (unsigned long long)victim_sent, P.output);
    return true;
}

/* ----- options ----- */

static bool
validate(void)
{
    W.attack = N_ATTACKS;
    for (int i = 0; i < N_ATTACKS; i++)
        if (strcmp(P.attack, ATTACK_NAMES[i]) == 0)
            W.attack = (enum attack)i;
    if (W.attack == N_ATTACKS && !P.attack[0]) {
        fprintf(stderr, PROGRAM ": missing --attack: give --attack=NAME with NAME one of %s\n",
                ATTACK_LIST);
        return false;
    }
    if (W.attack == N_ATTACKS) {
        fprintf(stderr, PROGRAM ": invalid value '%s' for --attack: use one of %s\n", P.attack,
                ATTACK_LIST);
        return false;
    }
    W.ikev2 = strcmp(P.keying, "ikev2") == 0;
    if (!W.ikev2 && strcmp(P.keying, "manual") != 0) {
        fprintf(stderr, PROGRAM ": invalid value '%s' for --keying: use manual or ikev2\n",
                P.keying);
        return false;
    }
    if (strcmp(P.tunnel_esp, "none") != 0 && strcmp(P.tunnel_esp, "rr") != 0 &&
        strcmp(P.tunnel_esp, "all") != 0) {
        fprintf(stderr, PROGRAM ": invalid value '%s' for --tunnelEsp: use none, rr or all\n",
                P.tunnel_esp);
        return false;
    }
    /* The attack packet needs time to reach the home agent and its BA to return. */
    if (P.attack_at_s + 1 > P.duration_s) {
        fprintf(stderr,
                PROGRAM ": --attackAt=%g is less than 1 s before the end of the run at "
                        "--duration=%g; lower attackAt or raise duration\n",
                P.attack_at_s, P.duration_s);
        return false;
    }
    if (W.attack != ATTACK_REPLAY_ESP)
        return true;

    if (strcmp(P.tunnel_esp, "all") != 0 || P.uplink_interval_ms <= 0) {
        fprintf(stderr,
                PROGRAM ": replay-esp replays a tunnel ESP packet of the victim's UDP, which "
                        "needs --tunnelEsp=all (not '%s') and --uplinkInterval above 0 (not %g)\n",
                P.tunnel_esp, P.uplink_interval_ms);
        return false;
    }
    if (P.replay_old_at_s <= P.attack_at_s || P.replay_old_at_s + 1 > P.duration_s) {
        fprintf(stderr,
                PROGRAM ": --replayOldAt=%g must lie after --attackAt=%g and at least 1 s "
                        "before --duration=%g\n",
                P.replay_old_at_s, P.attack_at_s, P.duration_s);
        return false;
    }
    return true;
}

static enum mip6_tunnel_esp
tunnel_protection(void)
{
    if (strcmp(P.tunnel_esp, "all") == 0)
        return MIP6_TUNNEL_ESP_ALL;
    return strcmp(P.tunnel_esp, "rr") == 0 ? MIP6_TUNNEL_ESP_RR : MIP6_TUNNEL_ESP_NONE;
}

/* ----- setup ----- */

/* The output path without a trailing ".db", for pcap and key files. */
static void
output_stem(char *out, size_t out_len)
{
    snprintf(out, out_len, "%s", P.output);
    size_t n = strlen(out);
    if (n > 3 && strcmp(out + n - 3, ".db") == 0)
        out[n - 3] = '\0';
}

/* Give a mobile node its SAs with the home agent.  The index selects keys and SPIs. */
static void
install_keys(struct mip6_mn *mn, struct mip6_ha *ha, uint32_t index)
{
    char err[512];

    if (W.ikev2) {
        struct mip6_ike_config cfg;
        mip6_ike_config_default(&cfg);
        cfg.keying = MIP6_KEYING_IKEV2;
        cfg.tunnel = tunnel_protection();
        mip6_ike_identity_derive(&cfg, P.seed, index);
        W.replay_window = cfg.replay_window;
        if (mip6_dynamic_sas(mn, ha, &cfg, err, sizeof err) < 0) {
            fprintf(stderr, PROGRAM ": %s\n", err);
            stop_before_run(1);
        }
        return;
    }
    struct mip6_keys keys;
    mip6_keys_derive(&keys, P.seed, index, ESP_ENC_AES_128_CBC, ESP_AUTH_HMAC_SHA1_96);
    struct mip6_tunnel_keys tunnel_keys = {
        .protect = tunnel_protection(),
        .seed = P.seed,
        .mn_index = index,
        .enc = ESP_ENC_AES_128_CBC,
        .auth = ESP_AUTH_HMAC_SHA1_96,
    };
    if (mip6_manual_sas(mn, ha, &keys, err, sizeof err) < 0 ||
        mip6_tunnel_sas(mn, ha, &tunnel_keys, err, sizeof err) < 0) {
        fprintf(stderr, PROGRAM ": security associations: %s\n", err);
        stop_before_run(1);
    }
}

static struct mip6_mn *
install_mobile_node(uint32_t node, uint32_t ifindex, const struct mip6_ha_config *hc,
                    uint32_t lifetime_s, uint8_t hoa[16], uint8_t coa[16])
{
    char err[512];
    struct mip6_mn_config mc;
    uint8_t mac[6], foreign_prefix[16];

    mip6_mn_config_default(&mc);
    mc.ifindex = ifindex;
    mc.lifetime_s = lifetime_s;
    memcpy(mc.home_prefix, hc->home_prefix, 16);
    memcpy(mc.home_agent, hc->address, 16);
    sim_iface_mac48(node, ifindex, mac);
    ip6_addr_from_prefix_mac(mc.home_address, mc.home_prefix, mac);
    memcpy(hoa, mc.home_address, 16);
    /* The care-of address the model forms from the foreign prefix. */
    ip6_addr_from_text("2001:1:0:2::", foreign_prefix);
    ip6_addr_from_prefix_mac(coa, foreign_prefix, mac);

    struct mip6_mn *mn = mip6_mn_install(node, &mc, rec, err, sizeof err);
    if (!mn) {
        fprintf(stderr, PROGRAM ": mobile node: %s\n", err);
        stop_before_run(1);
    }
    return mn;
}

static void
record_attack_params(void)
{
    char text[64];

    rec_param(rec, "attack.name", ATTACK_NAMES[W.attack]);
    snprintf(text, sizeof text, "%llu", (unsigned long long)W.attack_ns[0]);
    rec_param(rec, "attack.time_ns", text);
    if (W.attack_ns[1]) {
        snprintf(text, sizeof text, "%llu", (unsigned long long)W.attack_ns[1]);
        rec_param(rec, "attack.old_replay_time_ns", text);
    }
    ip6_addr_to_text(W.victim_hoa, text, sizeof text);
    rec_param(rec, "attack.victim_hoa", text);
    ip6_addr_to_text(W.victim_coa, text, sizeof text);
    rec_param(rec, "attack.victim_coa", text);
    ip6_addr_to_text(W.attacker_coa, text, sizeof text);
    rec_param(rec, "attack.attacker_coa", text);
}

static void
write_pcaps(struct mip6_mn *victim, struct mip6_mn *attacker, uint32_t ha_home, uint32_t ha_up)
{
    char stem[1024], path[1100], err[512];

    output_stem(stem, sizeof stem);
    check(mip6sec_pcap(W.victim, W.victim_if, stem), "pcap");
    check(mip6sec_pcap(W.attacker, W.attacker_if, stem), "pcap");
    check(mip6sec_pcap(W.ha, ha_home, stem), "pcap");
    check(mip6sec_pcap(W.ha, ha_up, stem), "pcap");
    snprintf(path, sizeof path, "%s-esp_sa", stem);
    /* Negotiated SAs do not exist yet, so they are logged as they come. */
    int rc = W.ikev2 ? mip6_mn_log_esp_sas(victim, path, err, sizeof err)
                     : mip6_export_esp_sas(victim, path, 0, err, sizeof err);
    if (rc == 0 && !W.ikev2)
        rc = mip6_export_esp_sas(attacker, path, 1, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, PROGRAM ": %s\n", err);
}

int
main(int argc, char **argv)
{
    char err[512];

    enum cmdline_result parsed = cmdline_parse(
        argc, argv, PROGRAM,
        "a mobile node of the victim's home agent, on the victim's foreign link, attacks the "
        "victim's binding; every packet and mobility event is recorded in SQLite",
        OPTIONS, N_OPTIONS);
    if (parsed != CMDLINE_OK)
        return parsed == CMDLINE_HELP ? 0 : 2;
    if (!validate())
        return 2;

    rec = rec_open(P.output, err, sizeof err);
    if (!rec) {
        fprintf(stderr, PROGRAM ": %s\n", err);
        return 1;
    }
    for (size_t i = 0; i < N_OPTIONS; i++) {
        char value[1024];
        cmdline_format(&OPTIONS[i], value, sizeof value);
        rec_param(rec, OPTIONS[i].name, value);
    }
    signal(SIGINT, request_stop);
    signal(SIGTERM, request_stop);

    /* ----- topology ----- */
    check(mip6sec_init((uint32_t)P.seed, P.run), "ns-3 setup");
    uint32_t cn, r0, ar1;
    check(mip6sec_node_create(&W.victim), "node");
    check(mip6sec_node_create(&cn), "node");
    check(mip6sec_node_create(&r0), "node");
    check(mip6sec_node_create(&W.ha), "node");
    check(mip6sec_node_create(&ar1), "node");
    check(mip6sec_node_create(&W.attacker), "node");
    uint32_t routers[] = {r0, W.ha, ar1};
    for (size_t i = 0; i < 3; i++)
        check(mip6sec_node_set_router(routers[i]), "router");

    uint32_t cn_if, r0_cn, r0_ha, ha_up, r0_ar1, ar1_up;
    check(mip6sec_p2p_link(cn, r0, 100000000, 5 * MS, &cn_if, &r0_cn), "link");
    check(mip6sec_p2p_link(r0, W.ha, 100000000, 5 * MS, &r0_ha, &ha_up), "link");
    check(mip6sec_p2p_link(r0, ar1, 100000000, 5 * MS, &r0_ar1, &ar1_up), "link");
    uint32_t home, foreign, ha_home, ar1_down;
    check(mip6sec_csma_channel(100000000, 1000, &home), "channel");
    check(mip6sec_csma_channel(100000000, 1000, &foreign), "channel");
    check(mip6sec_csma_attach(home, W.ha, &ha_home), "attach");
    check(mip6sec_csma_attach(foreign, ar1, &ar1_down), "attach");
    check(mip6sec_csma_attach(home, W.victim, &W.victim_if), "attach");
    check(mip6sec_csma_attach(home, W.attacker, &W.attacker_if), "attach");

    check(mip6sec_addr_assign(cn, cn_if, "2001:1:0:100::2/64"), "address");
    check(mip6sec_addr_assign(r0, r0_cn, "2001:1:0:100::1/64"), "address");
    check(mip6sec_addr_assign(r0, r0_ha, "2001:1:0:101::1/64"), "address");
    check(mip6sec_addr_assign(W.ha, ha_up, "2001:1:0:101::2/64"), "address");
    check(mip6sec_addr_assign(r0, r0_ar1, "2001:1:0:102::1/64"), "address");
    check(mip6sec_addr_assign(ar1, ar1_up, "2001:1:0:102::2/64"), "address");
    check(mip6sec_addr_assign(W.ha, ha_home, "2001:1:0:1::1/64"), "address");
    check(mip6sec_addr_assign(ar1, ar1_down, "2001:1:0:2::1/64"), "address");
    check(mip6sec_route_static(cn, "::/0", "2001:1:0:100::1", cn_if), "route");
    check(mip6sec_route_static(r0, "2001:1:0:1::/64", "2001:1:0:101::2", r0_ha), "route");
    check(mip6sec_route_static(r0, "2001:1:0:2::/64", "2001:1:0:102::2", r0_ar1), "route");
    check(mip6sec_route_static(W.ha, "::/0", "2001:1:0:101::1", ha_up), "route");
    check(mip6sec_route_static(ar1, "::/0", "2001:1:0:102::1", ar1_up), "route");
    check(mip6sec_radvd(W.ha, ha_home, "2001:1:0:1::/64", 30, 70, MIP6SEC_RA_HOME_AGENT),
          "router advertisements");
    check(mip6sec_radvd(ar1, ar1_down, "2001:1:0:2::/64", 30, 70, 0), "router advertisements");
    check(mip6sec_attach_move(W.victim, W.victim_if, foreign, VICTIM_MOVE_NS), "movement");
    check(mip6sec_attach_move(W.attacker, W.attacker_if, foreign, ATTACKER_MOVE_NS), "movement");

    /* ----- Mobile IPv6 with IPsec ----- */
    struct mip6_ha_config hc;
    mip6_ha_config_default(&hc);
    hc.home_ifindex = ha_home;
    ip6_addr_from_text("2001:1:0:1::1", hc.address);
    ip6_addr_from_text("2001:1:0:1::", hc.home_prefix);
    memcpy(W.ha_addr, hc.address, 16);
    struct mip6_ha *home_agent = mip6_ha_install(W.ha, &hc, rec, err, sizeof err);
    if (!home_agent) {
        fprintf(stderr, PROGRAM ": home agent: %s\n", err);
        stop_before_run(1);
    }
    struct mip6_mn *victim = install_mobile_node(W.victim, W.victim_if, &hc, (uint32_t)P.lifetime_s,
                                                 W.victim_hoa, W.victim_coa);
    struct mip6_mn *attacker = install_mobile_node(
        W.attacker, W.attacker_if, &hc, ATTACKER_LIFETIME_S, W.attacker_hoa, W.attacker_coa);
    install_keys(victim, home_agent, 0);
    install_keys(attacker, home_agent, ATTACKER_INDEX);
    if (W.ikev2 && W.attack == ATTACK_FOREIGN_HOA) {
        char stem[1024];
        output_stem(stem, sizeof stem);
        snprintf(W.attacker_sa_log, sizeof W.attacker_sa_log, "%s-attacker-esp_sa", stem);
        if (mip6_mn_log_esp_sas(attacker, W.attacker_sa_log, err, sizeof err) < 0) {
            fprintf(stderr, PROGRAM ": %s\n", err);
            stop_before_run(1);
        }
    }

    /* ----- recording of every node ----- */
    W.attack_ns[0] = (uint64_t)(P.attack_at_s * 1e9);
    if (W.attack == ATTACK_REPLAY_ESP)
        W.attack_ns[1] = (uint64_t)(P.replay_old_at_s * 1e9);
    record_attack_params();
    rec_begin(rec, P.seed, P.run, mip6sec_ns3_version(), MIP6SEC_VERSION);
    const struct {
        uint32_t id;
        const char *name;
    } names[] = {{W.victim, "victim"}, {cn, "cn"},   {r0, "r0"},
                 {W.ha, "ha"},         {ar1, "ar1"}, {W.attacker, "attacker"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        rec_node(rec, names[i].id, names[i].name);
        check(mip6sec_trace_node(names[i].id, observe_packet, NULL), "tracing");
    }

    /* ----- traffic and the attack ----- */
    char hoa[IP6_ADDR_TEXT_LEN];
    ip6_addr_to_text(W.victim_hoa, hoa, sizeof hoa);
    uint64_t stop_ns = (uint64_t)(P.duration_s * 1e9);
    uint32_t sink, cbr, uplink, cn_sink;
    check(mip6sec_udp_sink(W.victim, hoa, 5000, &sink), "UDP sink");
    check(mip6sec_udp_cbr(cn, hoa, 5000, UDP_PAYLOAD, (uint64_t)(P.interval_ms * 1e6), 1 * S,
                          stop_ns, &cbr),
          "UDP sender");
    if (P.uplink_interval_ms > 0) {
        check(mip6sec_udp_sink(cn, "2001:1:0:100::2", 5001, &cn_sink), "UDP sink");
        check(mip6sec_udp_cbr(W.victim, "2001:1:0:100::2", 5001, UDP_PAYLOAD,
                              (uint64_t)(P.uplink_interval_ms * 1e6), 1 * S, stop_ns, &uplink),
              "UDP sender");
    }
    sim_schedule(W.attacker, W.attack_ns[0], launch_attack, NULL);
    if (W.attack_ns[1])
        sim_schedule(W.attacker, W.attack_ns[1], replay_old_tunnel_packet, NULL);
    if (P.pcap)
        write_pcaps(victim, attacker, ha_home, ha_up);

    /* ----- run, one simulated second at a time so a signal stops it ----- */
    enum rec_status status = REC_COMPLETE;
    uint64_t t = 0;
    while (t < stop_ns) {
        t = t + S < stop_ns ? t + S : stop_ns;
        check(mip6sec_run_until(t), "simulation");
        if (stop_requested) {
            status = REC_INTERRUPTED;
            fprintf(stderr, PROGRAM ": stopped by a signal at %.1f s simulated\n", (double)t / 1e9);
            break;
        }
    }
    if (status == REC_COMPLETE && W.attack_failed)
        status = REC_FAILED;

    uint64_t received = 0, sent = 0;
    mip6sec_app_counts(sink, &received, NULL);
    mip6sec_app_counts(cbr, &sent, NULL);
    int rc = rec_close(rec, status);
    mip6sec_destroy();
    if (status == REC_INTERRUPTED)
        return 130; /* the shell's convention for a run ended by SIGINT */
    if (!print_summary(received, sent) || rc != 0 || status != REC_COMPLETE)
        return 1;
    return 0;
}
