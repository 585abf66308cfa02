/*
 * make_corpus.c - write the seed corpus of the fuzz targets.
 *
 *   mip6sec-fuzz-corpus DIR      (from the source tree: DIR = fuzz/corpus)
 *
 * Writes DIR/<target>/<name> for every target, replacing files of the
 * same name.  The seeds are small valid inputs built with the model's own
 * encoders, and packets captured from a registration in the world of
 * world.h, so the fuzzers start past the first checks of each parser.
 * The output is the same on every run.
 *
 * Files named crash-* in the corpus are not written here: they are
 * inputs that made a fuzzer fail, kept so that the replay tests repeat
 * them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "ipv6.h"
#include "mh.h"
#include "nd.h"
#include "testsim.h"
#include "world.h"

static const char *root;

static void
make_dir(const char *path)
{
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "make_corpus: failed to create %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

static void
save(const char *target, const char *name, const void *data, size_t len)
{
    char path[4096];

    snprintf(path, sizeof path, "%s/%s", root, target);
    make_dir(path);
    snprintf(path, sizeof path, "%s/%s/%s", root, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "make_corpus: failed to write %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

/* Save the same bytes under two targets. */
static void
save_packet(const char *name, const void *data, size_t len)
{
    save("ipv6", name, data, len);
    save("pktinfo", name, data, len);
}

/* Save a control byte, an optional Next Header byte and a body for fuzz_signal. */
static void
save_signal(const char *name, uint8_t control, int next_header, const uint8_t *body, size_t len)
{
    uint8_t buf[4096];
    size_t n = 0;

    buf[n++] = control;
    if (next_header >= 0)
        buf[n++] = (uint8_t)next_header;
    memcpy(buf + n, body, len);
    save("signal", name, buf, n + len);
}

static void
write_header(struct wr *w, const uint8_t *src, const uint8_t *dst, uint8_t next_header,
             size_t payload_len)
{
    struct ip6_header h = {.payload_len = payload_len, .next_header = next_header, .hop_limit = 64};
    memcpy(h.src, src, 16);
    memcpy(h.dst, dst, 16);
    ip6_write_header(w, &h);
}

/* UDP from port 49153 to 9 with a 12-byte ns-3 SeqTsHeader carrying seq. */
static size_t
build_udp(uint8_t *out, uint32_t seq)
{
    struct wr w = wr_init(out, 20);
    wr_u16(&w, 49153);
    wr_u16(&w, 9);
    wr_u16(&w, 20);
    wr_u16(&w, 0);
    wr_u32(&w, seq);
    wr_u64(&w, 1000000);
    return w.pos;
}

static size_t
build_udp_packet(uint8_t *out, size_t cap, const uint8_t *src, const uint8_t *dst, uint32_t seq)
{
    uint8_t udp[20];
    size_t udp_len = build_udp(udp, seq);
    struct wr w = wr_init(out, cap);
    write_header(&w, src, dst, IP6_NH_UDP, udp_len);
    wr_bytes(&w, udp, udp_len);
    return w.pos;
}

/* The first packet that node sent in the simulator's log. */
static const struct testsim_packet *
first_sent_by(uint32_t node)
{
    for (size_t i = 0; i < testsim_sent_count(); i++)
        if (testsim_sent(i)->node == node)
            return testsim_sent(i);
    fprintf(stderr, "make_corpus: node %u sent nothing\n", node);
    exit(1);
}

static size_t
encode_mh(uint8_t *out, size_t cap, const struct mh_msg *msg, const uint8_t *src,
          const uint8_t *dst)
{
    struct wr w = wr_init(out, cap);
    if (mh_encode(&w, msg, src, dst) != MH_OK) {
        fprintf(stderr, "make_corpus: failed to encode MH type %u\n", msg->type);
        exit(1);
    }
    return w.pos;
}

static size_t
bu_message(uint8_t *out, const struct world *w, uint16_t seq, uint16_t lifetime)
{
    struct mh_msg bu = {.type = MH_BU};
    bu.bu.seq = seq;
    bu.bu.flags = MH_BU_FLAG_A | MH_BU_FLAG_H;
    bu.bu.lifetime = lifetime;
    bu.bu.has_alt_coa = lifetime != 0;
    memcpy(bu.bu.alt_coa, w->coa, 16);
    return encode_mh(out, 64, &bu, w->hoa, w->ha_addr);
}

static size_t
ba_message(uint8_t *out, const struct world *w, uint8_t status, uint16_t seq, uint16_t lifetime)
{
    struct mh_msg ba = {.type = MH_BA};
    ba.ba.status = status;
    ba.ba.seq = seq;
    ba.ba.lifetime = lifetime;
    return encode_mh(out, 64, &ba, w->ha_addr, w->hoa);
}

/* ----- fuzz_ipv6 and fuzz_pktinfo ----- */

static void
write_extension_packets(const struct world *w)
{
    uint8_t udp[20], pkt[512];
    size_t udp_len = build_udp(udp, 7);

    /* Hop-by-Hop Options with a 6-byte PadN, then UDP. */
    struct wr p = wr_init(pkt, sizeof pkt);
    write_header(&p, w->cn_addr, w->hoa, IP6_NH_HOP_BY_HOP, 8 + udp_len);
    static const uint8_t hbh[8] = {IP6_NH_UDP, 0, IP6_OPT_PADN, 4, 0, 0, 0, 0};
    wr_bytes(&p, hbh, sizeof hbh);
    wr_bytes(&p, udp, udp_len);
    save_packet("udp-hbh-padn", pkt, p.pos);

    /* First fragment (offset 0, M set) and an atomic fragment (RFC 6946). */
    static const uint8_t frags[2][8] = {{IP6_NH_UDP, 0, 0, 1, 0, 0, 0, 42},
                                        {IP6_NH_UDP, 0, 0, 0, 0, 0, 0, 43}};
    static const char *const frag_names[2] = {"frag-first", "frag-atomic"};
    for (int i = 0; i < 2; i++) {
        p = wr_init(pkt, sizeof pkt);
        write_header(&p, w->cn_addr, w->hoa, IP6_NH_FRAGMENT, 8 + udp_len);
        wr_bytes(&p, frags[i], 8);
        wr_bytes(&p, udp, udp_len);
        save_packet(frag_names[i], pkt, p.pos);
    }

    /* A type 0 routing header with Segments Left 0 is skipped (RFC 8200 §4.4). */
    p = wr_init(pkt, sizeof pkt);
    write_header(&p, w->cn_addr, w->hoa, IP6_NH_ROUTING, 24 + 8);
    static const uint8_t rh0[8] = {IP6_NH_ICMPV6, 2, 0, 0, 0, 0, 0, 0};
    wr_bytes(&p, rh0, sizeof rh0);
    wr_bytes(&p, w->router_home, 16);
    static const uint8_t echo[8] = {128, 0, 0, 0, 0, 1, 0, 1};
    wr_bytes(&p, echo, sizeof echo);
    save_packet("rh0-done-echo", pkt, p.pos);

    /* A BU in clear with both Mobile IPv6 headers, and link-layer padding. */
    uint8_t mh[64];
    size_t mh_len = bu_message(mh, w, 9, 100);
    p = wr_init(pkt, sizeof pkt);
    write_header(&p, w->coa, w->ha_addr, IP6_NH_DEST_OPTS, IP6_DO_HAO_LEN + IP6_RH2_LEN + mh_len);
    ip6_write_dest_opts_hao(&p, IP6_NH_ROUTING, w->hoa);
    ip6_write_rh2(&p, IP6_NH_MOBILITY, w->hoa);
    wr_bytes(&p, mh, mh_len);
    wr_zeros(&p, 6);
    save_packet("hao-rh2-mh-padded", pkt, p.pos);

    /* Two type 2 routing headers, which ip6_parse rejects. */
    p = wr_init(pkt, sizeof pkt);
    write_header(&p, w->ha_addr, w->coa, IP6_NH_ROUTING, 2 * IP6_RH2_LEN + mh_len);
    ip6_write_rh2(&p, IP6_NH_ROUTING, w->hoa);
    ip6_write_rh2(&p, IP6_NH_MOBILITY, w->hoa);
    wr_bytes(&p, mh, mh_len);
    save_packet("rh2-twice", pkt, p.pos);
}

/* 17 Destination Options headers: more than the summarizer's chain holds. */
static void
write_long_chain(const struct world *w)
{
    uint8_t pkt[256];
    struct wr p = wr_init(pkt, sizeof pkt);

    write_header(&p, w->cn_addr, w->hoa, IP6_NH_DEST_OPTS, 17 * 8);
    for (int i = 0; i < 17; i++) {
        uint8_t next = i < 16 ? IP6_NH_DEST_OPTS : IP6_NH_NONE;
        const uint8_t opts[8] = {next, 0, IP6_OPT_PADN, 4, 0, 0, 0, 0};
        wr_bytes(&p, opts, sizeof opts);
    }
    save("pktinfo", "chain-17-dstopt", pkt, p.pos);
}

static void
write_packets(void)
{
    struct world w;
    uint8_t pkt[512], inner[128];

    world_build(&w, WORLD_REGISTERED);
    const struct testsim_packet *bu = first_sent_by(w.mn_node);
    const struct testsim_packet *ba = first_sent_by(w.ha_node);
    save_packet("bu-hao-esp", bu->bytes, bu->len);
    save_packet("ba-rh2-esp", ba->bytes, ba->len);
    save_packet("ra-foreign", pkt, world_ra(pkt, w.router_foreign, w.foreign_prefix));

    size_t inner_len = build_udp_packet(inner, sizeof inner, w.cn_addr, w.hoa, 1);
    struct wr p = wr_init(pkt, sizeof pkt);
    write_header(&p, w.ha_addr, w.coa, IP6_NH_IPV6, inner_len);
    wr_bytes(&p, inner, inner_len);
    save_packet("tunnel-udp", pkt, p.pos);

    write_extension_packets(&w);
    write_long_chain(&w);
    world_free(&w);
}

/* ----- fuzz_mh: source, destination, message ----- */

static void
save_mh(const char *name, const uint8_t *src, const uint8_t *dst, const uint8_t *mh, size_t len)
{
    uint8_t buf[128];
    memcpy(buf, src, 16);
    memcpy(buf + 16, dst, 16);
    memcpy(buf + 32, mh, len);
    save("mh", name, buf, 32 + len);
}

/* A BU with Binding Authorization Data, which the encoder never writes. */
static size_t
bu_with_auth_data(uint8_t *out, const uint8_t *src, const uint8_t *dst)
{
    struct wr w = wr_init(out, 32);
    static const uint8_t fixed[12] = {IP6_NH_NONE, 3, MH_BU, 0, 0, 0, 0, 1, 0xc0, 0, 0, 25};
    wr_bytes(&w, fixed, sizeof fixed);
    /* PadN of 4 puts the option at 8n+2 (RFC 6275 §6.2.7). */
    static const uint8_t padn[6] = {MH_OPT_PADN, 4, 0, 0, 0, 0};
    wr_bytes(&w, padn, sizeof padn);
    wr_u8(&w, MH_OPT_AUTH_DATA);
    wr_u8(&w, 12);
    for (int i = 0; i < 12; i++)
        wr_u8(&w, (uint8_t)(0xa0 + i));
    put_u16(out + 4, ip6_checksum(src, dst, IP6_NH_MOBILITY, out, w.pos));
    return w.pos;
}

static void
write_mh(void)
{
    struct world w;
    uint8_t mh[64];
    world_build(&w, WORLD_AT_HOME);

    struct mh_msg bu = {.type = MH_BU};
    bu.bu.seq = 100;
    bu.bu.flags = MH_BU_FLAG_A | MH_BU_FLAG_H | MH_BU_FLAG_K;
    bu.bu.lifetime = 105;
    bu.bu.has_alt_coa = true;
    memcpy(bu.bu.alt_coa, w.coa, 16);
    bu.bu.has_nonce_indices = true;
    bu.bu.home_nonce_index = 3;
    bu.bu.coa_nonce_index = 4;
    save_mh("bu-altcoa-nonce", w.hoa, w.ha_addr, mh, encode_mh(mh, 64, &bu, w.hoa, w.ha_addr));

    struct mh_msg ba = {.type = MH_BA};
    ba.ba.status = MH_BA_ACCEPTED;
    ba.ba.seq = 100;
    ba.ba.lifetime = 105;
    ba.ba.has_refresh = true;
    ba.ba.refresh = 90;
    save_mh("ba-refresh", w.ha_addr, w.hoa, mh, encode_mh(mh, 64, &ba, w.ha_addr, w.hoa));

    struct mh_msg be = {.type = MH_BE};
    be.be.status = MH_BE_UNKNOWN_MH_TYPE;
    memcpy(be.be.home, w.hoa, 16);
    save_mh("be", w.ha_addr, w.coa, mh, encode_mh(mh, 64, &be, w.ha_addr, w.coa));

    struct mh_msg tests[] = {
        {.type = MH_BRR},
        {.type = MH_HOTI, .test_init = {.cookie = 0x0102030405060708ull}},
        {.type = MH_COTI, .test_init = {.cookie = 0x1112131415161718ull}},
        {.type = MH_HOT, .test = {7, 0x0102030405060708ull, 0xa1a2a3a4a5a6a7a8ull}},
        {.type = MH_COT, .test = {8, 0x1112131415161718ull, 0xb1b2b3b4b5b6b7b8ull}},
    };
    static const char *const test_names[] = {"brr", "hoti", "coti", "hot", "cot"};
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        save_mh(test_names[i], w.cn_addr, w.hoa, mh,
                encode_mh(mh, 64, &tests[i], w.cn_addr, w.hoa));

    save_mh("bu-auth-data", w.coa, w.cn_addr, mh, bu_with_auth_data(mh, w.coa, w.cn_addr));

    /* MH Type 8 is unknown to RFC 6275; the checksum is valid. */
    uint8_t unknown[8] = {IP6_NH_NONE, 0, 8, 0, 0, 0, 0, 0};
    put_u16(unknown + 4, ip6_checksum(w.hoa, w.ha_addr, IP6_NH_MOBILITY, unknown, 8));
    save_mh("unknown-type", w.hoa, w.ha_addr, unknown, sizeof unknown);
    world_free(&w);
}

/* ----- fuzz_esp ----- */

static size_t
protect(uint8_t *out, size_t cap, uint32_t spi, enum esp_enc_alg enc, enum esp_auth_alg auth,
        const uint8_t *payload, size_t len)
{
    struct esp_sa sa;
    bool aes = enc == ESP_ENC_AES_128_CBC;
    bool hmac = auth == ESP_AUTH_HMAC_SHA1_96;
    if (esp_sa_init(&sa, spi, enc, aes ? fuzz_aes_key : NULL, aes ? ESP_AES_KEY_LEN : 0, auth,
                    hmac ? fuzz_hmac_key : NULL, hmac ? ESP_HMAC_SHA1_KEY_LEN : 0) != ESP_OK) {
        fprintf(stderr, "make_corpus: failed to set up the ESP SA %#x\n", spi);
        exit(1);
    }
    struct wr w = wr_init(out, cap);
    sa.seq = 41;
    if (esp_protect(&sa, IP6_NH_MOBILITY, payload, len, &w) != ESP_OK) {
        fprintf(stderr, "make_corpus: failed to protect under SA %#x\n", spi);
        exit(1);
    }
    esp_sa_free(&sa);
    return w.pos;
}

static void
write_esp(void)
{
    struct world w;
    uint8_t mh[64], pkt[256];
    world_build(&w, WORLD_AT_HOME);
    size_t mh_len = bu_message(mh, &w, 5, 100);

    size_t n = protect(pkt, sizeof pkt, FUZZ_SPI_AES_HMAC, ESP_ENC_AES_128_CBC,
                       ESP_AUTH_HMAC_SHA1_96, mh, mh_len);
    save("esp", "aes-hmac-bu", pkt, n);
    n = protect(pkt, sizeof pkt, FUZZ_SPI_NULL_HMAC, ESP_ENC_NULL, ESP_AUTH_HMAC_SHA1_96, mh,
                mh_len);
    save("esp", "null-hmac-bu", pkt, n);
    /* Without SPI and ICV: what fuzz_esp signs itself. */
    save("esp", "null-hmac-body", pkt + 4, n - 4 - ESP_ICV_LEN);
    n = protect(pkt, sizeof pkt, FUZZ_SPI_AES_NULL, ESP_ENC_AES_128_CBC, ESP_AUTH_NULL, mh, mh_len);
    save("esp", "aes-null-bu", pkt, n);
    save("esp", "aes-body", pkt + 4, n - 4);
    save("esp", "short-payload", "\x3b", 1);
    world_free(&w);
}

/* ----- fuzz_nd: hop limit, source, ICMPv6 message ----- */

static void
save_ra(const char *name, const uint8_t *router, const uint8_t *icmp, size_t len)
{
    uint8_t buf[256];
    buf[0] = 255;
    memcpy(buf + 1, router, 16);
    memcpy(buf + 17, icmp, len);
    save("nd", name, buf, 17 + len);
}

static void
write_nd(void)
{
    struct world w;
    uint8_t ra[WORLD_RA_LEN], icmp[256];
    world_build(&w, WORLD_AT_HOME);

    size_t ra_len = world_ra(ra, w.router_foreign, w.foreign_prefix);
    save_ra("ra-prefix", w.router_foreign, ra + IP6_HEADER_LEN, ra_len - IP6_HEADER_LEN);

    /* H flag, Advertisement Interval (RFC 6275 §7.3) and a source link-layer address. */
    memcpy(icmp, ra + IP6_HEADER_LEN, ra_len - IP6_HEADER_LEN);
    icmp[5] = 0x20;
    static const uint8_t tail[16] = {7, 1, 0, 0, 0, 0, 0x03, 0xe8, 1, 1, 2, 0, 0, 0, 0, 2};
    memcpy(icmp + 48, tail, sizeof tail);
    save_ra("ra-ha-interval-lladdr", w.router_foreign, icmp, 48 + sizeof tail);

    /* Home Agent Information (RFC 6275 §7.4): preference 10, lifetime
     * 600 s, then a second one with the invalid lifetime 0. */
    static const uint8_t ha_info[16] = {8, 1, 0, 0, 0, 10, 0x02, 0x58, 8, 1, 0, 0, 0, 5, 0, 0};
    memcpy(icmp + 48, ha_info, sizeof ha_info);
    save_ra("ra-ha-info", w.router_foreign, icmp, 48 + sizeof ha_info);

    /* Five Prefix Information options: one more than the parser keeps. */
    memcpy(icmp, ra + IP6_HEADER_LEN, 16);
    for (int i = 0; i < 5; i++) {
        memcpy(icmp + 16 + 32 * i, ra + IP6_HEADER_LEN + 16, 32);
        icmp[16 + 32 * i + 16 + 7] = (uint8_t)(i + 2);
    }
    save_ra("ra-five-prefixes", w.router_foreign, icmp, 16 + 5 * 32);
    world_free(&w);
}

/* ----- fuzz_nd_router: a mode byte, then the input of that mode ----- */

static const uint8_t unspecified_addr[16];
static const uint8_t router_ll[16] = {0xfe, 0x80, [15] = 0x01};
static const uint8_t host_ll[16] = {0xfe, 0x80, [15] = 0x02};
static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 0x01};
static const uint8_t all_routers[16] = {0xff, 0x02, [15] = 0x02};
static const uint8_t host_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};

/* Save a Router Solicitation for nd_parse_rs with hop limit 255. */
static void
save_rs(const char *name, const uint8_t src[16], const uint8_t *icmp, size_t len)
{
    uint8_t buf[256];
    struct wr w = wr_init(buf, sizeof buf);

    wr_u8(&w, FUZZ_ND_ROUTER_PARSE_RS);
    wr_u8(&w, ND_HOP_LIMIT);
    wr_bytes(&w, src, 16);
    wr_bytes(&w, all_routers, 16);
    wr_bytes(&w, icmp, len);
    save("nd_router", name, buf, w.pos);
}

static void
write_nd_router_rs(void)
{
    uint8_t icmp[64];
    struct nd_rs rs = {.has_link_addr = true};
    memcpy(rs.link_addr, host_mac, 6);

    struct wr w = wr_init(icmp, sizeof icmp);
    nd_encode_rs(&w, &rs, host_ll, all_routers);
    save_rs("rs-lladdr", host_ll, icmp, w.pos);

    rs.has_link_addr = false;
    w = wr_init(icmp, sizeof icmp);
    nd_encode_rs(&w, &rs, unspecified_addr, all_routers);
    save_rs("rs-unspecified", unspecified_addr, icmp, w.pos);

    /* An unknown option (type 14, Length 2) before the link-layer address
     * option, with the checksum left for the fuzzer to recompute. */
    static const uint8_t options[24] = {14, 2, [16] = 1, 1, 2, 0, 0, 0, 0, 2};
    memset(icmp, 0, 8);
    icmp[0] = ND_ROUTER_SOLICIT;
    memcpy(icmp + 8, options, sizeof options);
    save_rs("rs-unknown-option", host_ll, icmp, 8 + sizeof options);
}

/* Write the structured input of fuzz_nd_router's RA mode: control byte,
 * prefix count, the RA fields, the addresses, n_prefixes prefixes (at
 * most 4), then the output buffer's start offset and room. */
static void
save_ra_input(const char *name, uint8_t control, uint8_t n_prefixes, uint8_t room)
{
    uint8_t buf[512];
    struct wr w = wr_init(buf, sizeof buf);

    wr_u8(&w, FUZZ_ND_ROUTER_ENCODE_RA);
    wr_u8(&w, control);
    wr_u8(&w, n_prefixes);
    wr_u16(&w, 1800); /* Router Lifetime */
    wr_u32(&w, 1000); /* Advertisement Interval, ms */
    wr_u16(&w, 10);   /* Home Agent Preference */
    wr_u16(&w, 600);  /* Home Agent Lifetime */
    wr_bytes(&w, router_ll, 16);
    wr_bytes(&w, all_nodes, 16);
    wr_bytes(&w, host_mac, 6);
    for (uint8_t i = 0; i < n_prefixes && i < ND_MAX_PREFIXES; i++) {
        uint8_t prefix[16] = {0x20, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, (uint8_t)(i + 1)};
        wr_u8(&w, 64);
        wr_u8(&w, 0x07); /* L, A and R: bits 0-2 as fuzz_nd_router.c reads them */
        wr_u32(&w, 86400);
        wr_u32(&w, 14400);
        wr_bytes(&w, prefix, 16);
    }
    wr_u8(&w, 0); /* start offset */
    wr_u8(&w, room);
    save("nd_router", name, buf, w.pos);
}

/* Write the structured input of fuzz_nd_router's RS-encoding mode. */
static void
save_rs_input(const char *name, uint8_t control, const uint8_t src[16], uint8_t room)
{
    uint8_t buf[64];
    struct wr w = wr_init(buf, sizeof buf);

    wr_u8(&w, FUZZ_ND_ROUTER_ENCODE_RS);
    wr_u8(&w, control);
    wr_bytes(&w, src, 16);
    wr_bytes(&w, all_routers, 16);
    wr_bytes(&w, host_mac, 6);
    wr_u8(&w, 3); /* start offset */
    wr_u8(&w, room);
    save("nd_router", name, buf, w.pos);
}

static void
write_nd_router(void)
{
    write_nd_router_rs();

    uint8_t home_agent = FUZZ_RA_HOME_AGENT | FUZZ_RA_ADV_INTERVAL | FUZZ_RA_HA_INFO |
                         FUZZ_RA_LINK_ADDR | FUZZ_RA_SOURCE_LINK_LOCAL;
    save_ra_input("ra-home-agent", home_agent, 1, 255);
    save_ra_input("ra-four-prefixes", FUZZ_RA_SOURCE_LINK_LOCAL, 4, 255);
    save_ra_input("ra-five-prefixes", FUZZ_RA_SOURCE_LINK_LOCAL, 5, 255);
    save_ra_input("ra-ha-info-without-h", FUZZ_RA_HA_INFO | FUZZ_RA_SOURCE_LINK_LOCAL, 0, 255);
    save_ra_input("ra-no-space", home_agent, 1, 40);

    save_rs_input("rs-encode-lladdr", FUZZ_RS_LINK_ADDR, host_ll, 255);
    save_rs_input("rs-encode-unspecified-lladdr", FUZZ_RS_LINK_ADDR, unspecified_addr, 255);
    save_rs_input("rs-encode-no-space", FUZZ_RS_LINK_ADDR, host_ll, 12);
}

/* ----- fuzz_signal ----- */

#define STAGE(s) ((uint8_t)((s) << 2))

static void
write_signal_raw(void)
{
    struct world w;
    uint8_t pkt[WORLD_RA_LEN];

    world_build(&w, WORLD_REGISTERED);
    const struct testsim_packet *bu = first_sent_by(w.mn_node);
    const struct testsim_packet *ba = first_sent_by(w.ha_node);
    save_signal("raw-bu-at-home", STAGE(WORLD_AT_HOME), -1, bu->bytes, bu->len);
    save_signal("raw-ba-registering", STAGE(WORLD_REGISTERING), -1, ba->bytes, ba->len);
    save_signal("raw-ra-foreign", STAGE(WORLD_AT_HOME), -1, pkt,
                world_ra(pkt, w.router_foreign, w.foreign_prefix));
    save_signal("raw-ra-home-registered", STAGE(WORLD_REGISTERED), -1, pkt,
                world_ra(pkt, w.router_home, w.home_prefix));

    /* A tunnelled packet from the home address whose outer source is not
     * the registered care-of address. */
    uint8_t inner[128], outer[256];
    size_t inner_len = build_udp_packet(inner, sizeof inner, w.hoa, w.cn_addr, 5);
    struct wr p = wr_init(outer, sizeof outer);
    write_header(&p, w.cn_addr, w.ha_addr, IP6_NH_IPV6, inner_len);
    wr_bytes(&p, inner, inner_len);
    save_signal("raw-tunnel-wrong-source", STAGE(WORLD_REGISTERED), -1, outer, p.pos);
    world_free(&w);
}

/* The sequence number of the BU that the mobile node has outstanding at stage. */
static uint16_t
outstanding_seq(enum world_stage stage)
{
    struct world w;
    world_build(&w, stage);
    uint16_t seq = w.mn->bul.seq;
    world_free(&w);
    return seq;
}

static void
write_signal_wrapped(void)
{
    struct world w;
    uint8_t mh[64], udp[128];
    uint16_t registering_seq = outstanding_seq(WORLD_REGISTERING);
    uint16_t registered_seq = outstanding_seq(WORLD_REGISTERED);
    uint16_t deregistering_seq = outstanding_seq(WORLD_DEREGISTERING);
    world_build(&w, WORLD_AT_HOME);

    size_t n = bu_message(mh, &w, 1, 100);
    save_signal("bu-at-home", 0x01 | STAGE(WORLD_AT_HOME), IP6_NH_MOBILITY, mh, n);
    save_signal("bu-clear", 0x41 | STAGE(WORLD_AT_HOME), IP6_NH_MOBILITY, mh, n);
    save_signal("bu-clear-other-home", 0xe1 | STAGE(WORLD_REGISTERED), IP6_NH_MOBILITY, mh, n);
    n = bu_message(mh, &w, (uint16_t)(registered_seq + 1), 0);
    save_signal("bu-deregister-home-form", 0x21 | STAGE(WORLD_REGISTERED), IP6_NH_MOBILITY, mh, n);

    n = ba_message(mh, &w, MH_BA_ACCEPTED, registering_seq, 100);
    save_signal("ba-accept", 0x02 | STAGE(WORLD_REGISTERING), IP6_NH_MOBILITY, mh, n);
    n = ba_message(mh, &w, MH_BA_SEQ_OUT_OF_WINDOW, (uint16_t)(registering_seq - 5), 0);
    save_signal("ba-out-of-window", 0x02 | STAGE(WORLD_REGISTERING), IP6_NH_MOBILITY, mh, n);
    n = ba_message(mh, &w, MH_BA_ACCEPTED, deregistering_seq, 0);
    save_signal("ba-deregistered-home-form", 0x22 | STAGE(WORLD_DEREGISTERING), IP6_NH_MOBILITY, mh,
                n);

    n = build_udp_packet(udp, sizeof udp, w.cn_addr, w.hoa, 3);
    save_signal("tunnel-to-home-address", 0x03 | STAGE(WORLD_REGISTERED), -1, udp, n);
    n = build_udp_packet(udp, sizeof udp, w.hoa, w.cn_addr, 4);
    save_signal("tunnel-from-home-address", 0x03 | STAGE(WORLD_REGISTERED), -1, udp, n);
    world_free(&w);
}

/* ----- fuzz_cmdline: arguments separated by NUL bytes ----- */

static void
save_arguments(const char *name, const char *args, size_t len)
{
    save("cmdline", name, args, len);
}

#define ARGS(name, text) save_arguments(name, text, sizeof text - 1)

static void
write_cmdline(void)
{
    ARGS("all-types", "--seed=42\0--packetSize=512\0--speed=1.5\0--interval=0.25\0"
                      "--trace=two-handoffs.ns_movements\0--pcap");
    ARGS("bool-words", "--pcap=no\0--pcap=yes\0--pcap=0\0--speed=1e3");
    ARGS("help", "--seed=3\0--help");
    ARGS("print-help", "--PrintHelp");
    ARGS("out-of-range", "--seed=0");
    ARGS("not-a-number", "--interval=nan");
    ARGS("unknown", "--unknown=1");
    ARGS("positional", "handoff");
    ARGS("missing-value", "--seed");
    ARGS("empty-string", "--trace=");
}

/* ----- fuzz_analysis_args: a program byte, then arguments separated by NUL bytes ----- */

static void
save_program_arguments(const char *name, enum fuzz_analysis_program program, const char *args,
                       size_t len)
{
    char buf[512];
    buf[0] = (char)program;
    memcpy(buf + 1, args, len);
    save("analysis_args", name, buf, len + 1);
}

#define PROGRAM_ARGS(name, program, text)                                                          \
    save_program_arguments(name, program, text, sizeof text - 1)

static void
write_analysis_args(void)
{
    PROGRAM_ARGS("analysis-run", FUZZ_ANALYSIS_ANALYSIS, "--csv\0run.db");
    PROGRAM_ARGS("analysis-tcp", FUZZ_ANALYSIS_ANALYSIS,
                 "--tcpWindow=0.25\0--tcpFraction=0.5\0run.db");
    PROGRAM_ARGS("analysis-tcp-window-below-1ns", FUZZ_ANALYSIS_ANALYSIS,
                 "--tcpWindow=1e-10\0run.db");
    PROGRAM_ARGS("analysis-rekeys", FUZZ_ANALYSIS_ANALYSIS,
                 "--rekeys\0--handoffWindow=2.5\0run.db");
    PROGRAM_ARGS("analysis-overhead", FUZZ_ANALYSIS_ANALYSIS, "--overhead\0run.db");
    PROGRAM_ARGS("analysis-exclusive", FUZZ_ANALYSIS_ANALYSIS, "--csv\0--cdf\0campaign.db");
    PROGRAM_ARGS("analysis-two-paths", FUZZ_ANALYSIS_ANALYSIS, "a.db\0b.db");
    PROGRAM_ARGS("analysis-help", FUZZ_ANALYSIS_ANALYSIS, "--help");

    PROGRAM_ARGS("plot-timeline-handoff", FUZZ_ANALYSIS_PLOT,
                 "timeline\0run.db\0--handoff=2\0--window=0.5\0--node=3\0--out=out");
    PROGRAM_ARGS("plot-throughput", FUZZ_ANALYSIS_PLOT, "throughput\0run.db\0--bin=0.01");
    PROGRAM_ARGS("plot-cdf", FUZZ_ANALYSIS_PLOT, "cdf\0campaign.db");
    PROGRAM_ARGS("plot-handoff-fraction", FUZZ_ANALYSIS_PLOT, "timeline\0run.db\0--handoff=1.5");
    PROGRAM_ARGS("plot-unknown", FUZZ_ANALYSIS_PLOT, "pie\0run.db");
    PROGRAM_ARGS("plot-help", FUZZ_ANALYSIS_PLOT, "-h");

    PROGRAM_ARGS("campaign-run", FUZZ_ANALYSIS_CAMPAIGN,
                 "run\0speed.campaign\0--dir=results\0--jobs=4");
    PROGRAM_ARGS("campaign-run-one", FUZZ_ANALYSIS_CAMPAIGN,
                 "run-one\0speed.campaign\0--dir=results\0--index=7");
    PROGRAM_ARGS("campaign-merge", FUZZ_ANALYSIS_CAMPAIGN,
                 "merge\0speed.campaign\0--dir=results\0--output=speed.db");
    PROGRAM_ARGS("campaign-count", FUZZ_ANALYSIS_CAMPAIGN, "count\0speed.campaign");
    PROGRAM_ARGS("campaign-jobs-space", FUZZ_ANALYSIS_CAMPAIGN, "count\0speed.campaign\0--jobs= 5");
    PROGRAM_ARGS("campaign-missing-dir", FUZZ_ANALYSIS_CAMPAIGN, "run\0speed.campaign");
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR  (the corpus directory, fuzz/corpus)\n", argv[0]);
        return 2;
    }
    root = argv[1];
    make_dir(root);

    write_packets();
    write_mh();
    write_esp();
    write_nd();
    write_nd_router();
    write_signal_raw();
    write_signal_wrapped();
    write_cmdline();
    write_analysis_args();
    return 0;
}
