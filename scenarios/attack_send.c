/*
 * attack_send.c - the attacker of mip6sec-attack.  It copies the
 * victim's packets and its own BU from the packet trace, and at the
 * attack times it sends a replay or a forged BU to the home agent.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "attack.h"
#include "esp.h"
#include "ipv6.h"
#include "mh.h"
#include "mip6sec-ns3.h"
#include "mip6sec.h"
#include "rec.h"
#include "sim.h"

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

void
attack_observe_packet(void *ctx, uint32_t node, uint32_t ifindex, enum rec_kind kind,
                      const uint8_t *pkt, size_t caplen, size_t wire_len, uint64_t uid,
                      enum rec_drop drop)
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

void
attack_schedule(void)
{
    sim_schedule(W.attacker, W.attack_ns[0], launch_attack, NULL);
    if (W.attack_ns[1])
        sim_schedule(W.attacker, W.attack_ns[1], replay_old_tunnel_packet, NULL);
}
