/*
 * test_cn.c - return routability cryptography and the correspondent node
 * model on the test simulator.  A hand-driven mobile node builds HoTI,
 * CoTI, BU and data packets with the codecs and checks the correspondent
 * node's replies byte by byte.
 *
 *   home (owns the home address, standing in for the home agent)
 *   mn   (owns the care-of address) ----- cn 2001:1:0:9::9
 *
 * Known answers.  Kcn, the addresses and the nonces below were fed to the
 * OpenSSL 3.0 command line, independently of the model:
 *   hm() { echo -n "$2" | xxd -r -p | openssl dgst -sha1 -mac HMAC -macopt hexkey:$1; }
 *   home token   = first 8 bytes of hm KCN HOA|NONCE1|00
 *   care-of token = first 8 bytes of hm KCN COA|NONCE2|01
 *   Kbm          = echo -n HOMETOKEN|COATOKEN | xxd -r -p | openssl dgst -sha1
 *   authenticator = first 12 bytes of hm KBM COA|CN|MHDATA
 * where MHDATA is the message in hex with a zero checksum, up to and
 * including the Binding Authorization Data option's type and length.
 * Python's hmac and hashlib modules gave the same values.  NONCE1 and
 * NONCE2 are the second to fifth outputs of the test simulator's
 * xorshift32 generator after testsim_reset (its first output becomes the
 * first nonce index, 0x4619).
 */
#define _POSIX_C_SOURCE 200809L

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/hmac.h>

#include "check.h"
#include "cn.h"
#include "cursor.h"
#include "ipv6.h"
#include "mh.h"
#include "rr.h"
#include "testsim.h"

#define MS 1000000ull
#define S 1000000000ull
#define PKT_MAX 512

/* 2001:1:0:9::9, the correspondent node. */
#define CN_BYTES 0x20, 0x01, 0, 0x01, 0, 0, 0, 0x09, 0, 0, 0, 0, 0, 0, 0, 0x09
/* 2001:1:0:1::100, the mobile node's home address. */
#define HOA_BYTES 0x20, 0x01, 0, 0x01, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0x01, 0x00
/* 2001:1:0:2::100, the mobile node's care-of address. */
#define COA_BYTES 0x20, 0x01, 0, 0x01, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0x01, 0x00

static const uint8_t cn_addr[16] = {CN_BYTES};
static const uint8_t hoa[16] = {HOA_BYTES};
static const uint8_t coa[16] = {COA_BYTES};
static const uint8_t other_coa[16] = {0x20, 0x01, 0, 0x01, 0, 0, 0, 0x03, [15] = 0x07};

// clang-format off
static const uint8_t kcn[RR_KCN_LEN] = {
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
    0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14,
};
#define NONCE1_INDEX 0x4619
#define NONCE2_INDEX 0x461a
static const uint8_t nonce1[8] = {0xe0, 0x2e, 0x55, 0x3e, 0x7b, 0xb9, 0x8f, 0x3a};
static const uint8_t nonce2[8] = {0x01, 0x83, 0xa8, 0xb5, 0xe6, 0x33, 0x6d, 0x1f};

/* openssl: hm KCN HOA|NONCE1|00, first 8 bytes. */
static const uint8_t home_token[8] = {0xa8, 0x9e, 0xdc, 0x62, 0x13, 0xcf, 0x65, 0xeb};
/* openssl: hm KCN COA|NONCE2|01, first 8 bytes. */
static const uint8_t care_of_token[8] = {0xf5, 0xa1, 0xe7, 0x2c, 0x16, 0x65, 0x62, 0x70};
/* openssl dgst -sha1 of HOMETOKEN|COATOKEN. */
static const uint8_t kbm[20] = {
    0xc4, 0xae, 0x62, 0xb0, 0x48, 0x91, 0x6d, 0xfa, 0x67, 0x3e,
    0xe3, 0xac, 0x6c, 0x75, 0xe9, 0xea, 0xa4, 0xd1, 0x1e, 0x30,
};
/* openssl dgst -sha1 of HOMETOKEN alone (deletion). */
static const uint8_t kbm_delete[20] = {
    0xb1, 0x40, 0xa0, 0xb6, 0xfc, 0xd3, 0x96, 0xfa, 0x80, 0x4e,
    0x3c, 0xc7, 0xfd, 0x5a, 0xba, 0x1e, 0xfa, 0xe1, 0x33, 0xbc,
};

/*
 * BU sequence 1, A set, lifetime 255 units, Nonce Indices 0x4619/0x461a,
 * authenticator = first 12 bytes of hm KBM COA|CN|MHDATA with MHDATA =
 * 3b03050000000001800000ff04044619461a050c.  Checksum filled in by
 * fill_checksum (HoA -> CN).
 */
static const uint8_t bu_accept[32] = {
    59, 3, 5, 0,          /* Payload Proto, Header Len 3 (32 bytes), BU, Reserved */
    0, 0,                 /* Checksum */
    0x00, 0x01,           /* Sequence # 1 */
    0x80, 0,              /* flags A, Reserved */
    0x00, 0xff,           /* Lifetime 255 units = 1020 s */
    4, 4, 0x46, 0x19, 0x46, 0x1a, /* Nonce Indices at offset 12 */
    5, 12,                /* Binding Authorization Data at offset 18 = 8n+2 */
    0xbc, 0x01, 0x5b, 0xd1, 0xd0, 0x62, 0xe8, 0x33, 0x21, 0x80, 0x27, 0x5a,
};

/*
 * The BA that accepts it: status 0, sequence 1, lifetime 105 units (420 s,
 * MAX_RR_BINDING_LIFETIME), authenticator = first 12 bytes of
 * hm KBM COA|CN|3b0306000000000000010069010400000000050c.
 */
static const uint8_t ba_accept[32] = {
    59, 3, 6, 0,          /* Payload Proto, Header Len 3, BA, Reserved */
    0, 0,                 /* Checksum, CN -> HoA */
    0, 0,                 /* Status 0, flags */
    0x00, 0x01,           /* Sequence # 1 */
    0x00, 0x69,           /* Lifetime 105 units */
    1, 4, 0, 0, 0, 0,     /* PadN of 6 bytes */
    5, 12,                /* Binding Authorization Data at offset 18 */
    0x2f, 0x61, 0x26, 0x2b, 0x04, 0xf3, 0xd8, 0x43, 0xd3, 0x36, 0x41, 0xd0,
};

/* BA status 135 for a replayed sequence number 1: hm KBM COA|CN|
 * 3b0306000000870000010000010400000000050c. */
static const uint8_t ba_seq_old[32] = {
    59, 3, 6, 0, 0, 0,
    135, 0,               /* Status 135: sequence number out of window */
    0x00, 0x01,           /* the last accepted sequence number */
    0x00, 0x00,           /* Lifetime 0 */
    1, 4, 0, 0, 0, 0,
    5, 12,
    0xe2, 0xf5, 0x1c, 0x34, 0x35, 0xa7, 0x97, 0xd7, 0x18, 0xc8, 0x7b, 0x78,
};

/* Deletion BU, sequence 2, lifetime 0: Kbm from the home token alone and
 * the home address as care-of address, hm KBM_DELETE HOA|CN|
 * 3b030500000000028000000004044619461a050c. */
static const uint8_t bu_delete[32] = {
    59, 3, 5, 0, 0, 0,
    0x00, 0x02, 0x80, 0, 0x00, 0x00,
    4, 4, 0x46, 0x19, 0x46, 0x1a,
    5, 12,
    0x2b, 0x7a, 0x72, 0x3e, 0x44, 0xeb, 0xca, 0xb1, 0xf4, 0x6c, 0x67, 0xfa,
};

/* Its BA: hm KBM_DELETE HOA|CN|3b0306000000000000020000010400000000050c. */
static const uint8_t ba_delete[32] = {
    59, 3, 6, 0, 0, 0,
    0, 0, 0x00, 0x02, 0x00, 0x00,
    1, 4, 0, 0, 0, 0,
    5, 12,
    0x8b, 0x7e, 0xa7, 0x22, 0xc1, 0x2e, 0x2f, 0xa0, 0x6d, 0x43, 0xff, 0xc3,
};
// clang-format on

/* ----- references independent of the model ----- */

/* RFC 8200 §8.1 checksum, summed word by word over a built pseudo-header. */
static uint16_t
ref_checksum(const uint8_t src[16], const uint8_t dst[16], uint8_t nh, const uint8_t *data,
             size_t len)
{
    uint8_t buf[40 + PKT_MAX + 1] = {0};
    memcpy(buf, src, 16);
    memcpy(buf + 16, dst, 16);
    buf[34] = (uint8_t)(len >> 8);
    buf[35] = (uint8_t)len;
    buf[39] = nh;
    memcpy(buf + 40, data, len);
    uint32_t sum = 0;
    for (size_t i = 0; i < 40 + len; i += 2)
        sum += (uint32_t)(buf[i] << 8 | buf[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Copy a Mobility Header message and fill its checksum with the reference. */
static void
fill_checksum(uint8_t *out, const uint8_t *msg, size_t len, const uint8_t src[16],
              const uint8_t dst[16])
{
    memcpy(out, msg, len);
    out[4] = out[5] = 0;
    uint16_t sum = ref_checksum(src, dst, 135, out, len);
    out[4] = (uint8_t)(sum >> 8);
    out[5] = (uint8_t)sum;
}

/* The authenticator as RFC 6275 §6.2.7 spells it, with one-shot HMAC(). */
static void
ref_authenticator(const uint8_t key[20], const uint8_t c[16], const uint8_t cn[16],
                  const uint8_t *mh, size_t len, size_t auth_offset, uint8_t out[12])
{
    uint8_t data[32 + PKT_MAX];
    size_t n = 0;
    memcpy(data, c, 16);
    memcpy(data + 16, cn, 16);
    n = 32;
    memcpy(data + n, mh, auth_offset);
    data[n + 4] = data[n + 5] = 0;
    n += auth_offset;
    memcpy(data + n, mh + auth_offset + 12, len - auth_offset - 12);
    n += len - auth_offset - 12;
    uint8_t mac[20];
    unsigned mac_len = 0;
    HMAC(EVP_sha1(), key, 20, data, n, mac, &mac_len);
    memcpy(out, mac, 12);
}

/* ----- rr.c known answers and reference comparisons ----- */

static void
rr_home_token_known_answer(void)
{
    uint8_t token[8];
    CHECK(rr_keygen_token(kcn, hoa, nonce1, RR_HOME_TOKEN, token));
    CHECK_EQ_MEM(token, home_token, 8);
}

static void
rr_care_of_token_known_answer(void)
{
    uint8_t token[8];
    CHECK(rr_keygen_token(kcn, coa, nonce2, RR_CARE_OF_TOKEN, token));
    CHECK_EQ_MEM(token, care_of_token, 8);
}

static void
rr_token_kind_octet_matters(void)
{
    uint8_t as_home[8], as_care_of[8];
    CHECK(rr_keygen_token(kcn, hoa, nonce1, RR_HOME_TOKEN, as_home));
    CHECK(rr_keygen_token(kcn, hoa, nonce1, RR_CARE_OF_TOKEN, as_care_of));
    CHECK(memcmp(as_home, as_care_of, 8) != 0);
}

static void
rr_kbm_known_answers(void)
{
    uint8_t out[20];
    CHECK(rr_kbm(home_token, care_of_token, out));
    CHECK_EQ_MEM(out, kbm, 20);
    CHECK(rr_kbm(home_token, NULL, out));
    CHECK_EQ_MEM(out, kbm_delete, 20);
}

static void
rr_authenticator_known_answers(void)
{
    uint8_t msg[32], out[12];

    /* The checksum and the authenticator field hold junk: both must be
     * left out of the computation. */
    memcpy(msg, bu_accept, 32);
    msg[4] = 0xde;
    msg[5] = 0xad;
    memset(msg + 20, 0x5a, 12);
    CHECK(rr_authenticator(kbm, coa, cn_addr, msg, 32, 20, out));
    CHECK_EQ_MEM(out, bu_accept + 20, 12);

    CHECK(rr_authenticator(kbm, coa, cn_addr, ba_accept, 32, 20, out));
    CHECK_EQ_MEM(out, ba_accept + 20, 12);

    CHECK(rr_authenticator(kbm_delete, hoa, cn_addr, bu_delete, 32, 20, out));
    CHECK_EQ_MEM(out, bu_delete + 20, 12);
}

static void
rr_authenticator_matches_reference(void)
{
    uint8_t key[20], c[16], cn[16], msg[PKT_MAX], got[12], want[12];
    uint32_t state = 12345;

    for (int round = 0; round < 300; round++) {
        size_t len = 8 * (size_t)(3 + round % 40);
        for (size_t i = 0; i < sizeof key; i++)
            key[i] = (uint8_t)(state = state * 1103515245u + 12345u) >> 8;
        for (size_t i = 0; i < 16; i++) {
            c[i] = (uint8_t)((state = state * 1103515245u + 12345u) >> 16);
            cn[i] = (uint8_t)(state >> 8);
        }
        for (size_t i = 0; i < len; i++)
            msg[i] = (uint8_t)((state = state * 1103515245u + 12345u) >> 16);
        /* Anywhere from right after the checksum to the message's end, so
         * bytes after the field are covered too. */
        size_t auth_offset = 6 + (state >> 8) % (len - 6 - 12 + 1);

        CHECK(rr_authenticator(key, c, cn, msg, len, auth_offset, got));
        ref_authenticator(key, c, cn, msg, len, auth_offset, want);
        CHECK_EQ_MEM(got, want, 12);
    }
}

static void
rr_authenticator_rejects_bad_offset(void)
{
    uint8_t out[12];
    memset(out, 0xff, sizeof out);
    CHECK(!rr_authenticator(kbm, coa, cn_addr, bu_accept, 32, 21, out));
    CHECK(!rr_authenticator(kbm, coa, cn_addr, bu_accept, 32, 5, out));
    CHECK(!rr_authenticator(kbm, coa, cn_addr, bu_accept, 10, 40, out));
    static const uint8_t zero[12];
    CHECK_EQ_MEM(out, zero, 12);
}

static void
rr_nonce_table_lifetimes(void)
{
    struct rr_nonce_table t;
    rr_nonces_init(&t, 0xfffe);

    CHECK(rr_nonce_current(&t, 0) == NULL);
    const struct rr_nonce *n = rr_nonce_add(&t, 5 * S, nonce1);
    CHECK_EQ_INT(n->index, 0xfffe);
    CHECK(rr_nonce_current(&t, 5 * S) == n);
    CHECK(rr_nonce_current(&t, 35 * S - 1) == n);
    /* RFC 6275 §5.2.7: a new nonce every 30 s. */
    CHECK(rr_nonce_current(&t, 35 * S) == NULL);

    /* Accepted for MAX_NONCE_LIFETIME after creation, not a nanosecond more. */
    CHECK(rr_nonce_find(&t, 0xfffe, 245 * S - 1) == n);
    CHECK(rr_nonce_find(&t, 0xfffe, 245 * S) == NULL);
    CHECK(rr_nonce_find(&t, 0xffff, 6 * S) == NULL);

    /* Indices wrap modulo 2^16. */
    CHECK_EQ_INT(rr_nonce_add(&t, 35 * S, nonce2)->index, 0xffff);
    CHECK_EQ_INT(rr_nonce_add(&t, 65 * S, nonce2)->index, 0);
    CHECK(rr_nonce_find(&t, 0xfffe, 66 * S) == n);
    CHECK_EQ_MEM(rr_nonce_find(&t, 0xffff, 66 * S)->value, nonce2, 8);

    /* The ninth nonce takes the first one's slot: its index is unknown. */
    for (int i = 0; i < 6; i++)
        rr_nonce_add(&t, (uint64_t)(95 + 30 * i) * S, nonce1);
    CHECK(rr_nonce_find(&t, 0xfffe, 240 * S) == NULL);
    CHECK(rr_nonce_find(&t, 0xffff, 240 * S) != NULL);
}

/* ----- the correspondent node on the test simulator ----- */

struct world {
    uint32_t cn_node, mn_node, home_node;
    struct mip6_cn *cn;
    struct rec *rec;
    char dir[64];
    char db_path[96];
};

static void
setup(struct world *w)
{
    static const uint8_t mac_cn[6] = {2, 0, 0, 0, 0, 9};
    static const uint8_t mac_mn[6] = {2, 0, 0, 0, 0, 1};
    static const uint8_t mac_home[6] = {2, 0, 0, 0, 0, 2};
    char err[256];

    memset(w, 0, sizeof *w);
    testsim_reset();
    w->cn_node = testsim_add_node();
    w->mn_node = testsim_add_node();
    w->home_node = testsim_add_node();
    testsim_add_iface(w->cn_node, mac_cn);
    testsim_add_iface(w->mn_node, mac_mn);
    testsim_add_iface(w->home_node, mac_home);
    sim_addr_add(w->cn_node, 0, cn_addr, 64);
    sim_addr_add(w->mn_node, 0, coa, 64);
    sim_addr_add(w->mn_node, 0, other_coa, 64);
    sim_addr_add(w->home_node, 0, hoa, 64);

    snprintf(w->dir, sizeof w->dir, "/tmp/test_cn.XXXXXX");
    if (!mkdtemp(w->dir)) {
        perror("mkdtemp");
        exit(1);
    }
    snprintf(w->db_path, sizeof w->db_path, "%s/cn.db", w->dir);
    w->rec = rec_open(w->db_path, err, sizeof err);
    CHECK(w->rec != NULL);
    rec_begin(w->rec, 1, 1, "none", "test");

    struct mip6_cn_config cfg;
    mip6_cn_config_default(&cfg);
    cfg.ifindex = 0;
    memcpy(cfg.address, cn_addr, 16);
    cfg.kcn_set = true;
    memcpy(cfg.kcn, kcn, sizeof kcn);
    w->cn = mip6_cn_install(w->cn_node, &cfg, w->rec, err, sizeof err);
    CHECK(w->cn != NULL);
    if (!w->cn) {
        fprintf(stderr, "mip6_cn_install: %s\n", err);
        exit(1);
    }
}

static void
teardown(struct world *w)
{
    testsim_reset();
    mip6_cn_free(w->cn);
    rec_close(w->rec, REC_COMPLETE);
    unlink(w->db_path);
    rmdir(w->dir);
}

/* One integer from the run's database, after committing what is pending. */
static long long
query_int(struct world *w, const char *sql, long long arg)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -1;

    rec_flush(w->rec);
    if (sqlite3_open_v2(w->db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int(st, 1, (int)w->cn_node);
        sqlite3_bind_int64(st, 2, arg);
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static long long
drops(struct world *w, enum rec_drop why)
{
    return query_int(w,
                     "SELECT COUNT(*) FROM packet_event WHERE node = ?1 AND kind = 5"
                     " AND drop_reason = ?2",
                     why);
}

static long long
mobility_events(struct world *w, enum rec_mob kind)
{
    return query_int(w, "SELECT COUNT(*) FROM mobility_event WHERE node = ?1 AND kind = ?2", kind);
}

/* An IPv6 packet with an optional Home Address option in front of payload. */
static size_t
build_packet(uint8_t *pkt, const uint8_t src[16], const uint8_t dst[16], const uint8_t *home,
             uint8_t proto, const uint8_t *payload, size_t len)
{
    struct wr w = wr_init(pkt, PKT_MAX);
    struct ip6_header h = {
        .payload_len = len + (home ? IP6_DO_HAO_LEN : 0),
        .next_header = home ? IP6_NH_DEST_OPTS : proto,
        .hop_limit = 64,
    };
    memcpy(h.src, src, 16);
    memcpy(h.dst, dst, 16);
    ip6_write_header(&w, &h);
    if (home)
        ip6_write_dest_opts_hao(&w, proto, home);
    wr_bytes(&w, payload, len);
    return wr_ok(&w) ? w.pos : 0;
}

/* Inject a HoTI (from the home address) or CoTI (from the care-of address). */
static void
send_test_init(struct world *w, uint8_t type, uint64_t cookie, const uint8_t *home)
{
    const uint8_t *src = type == MH_HOTI ? hoa : coa;
    uint8_t msg[16], pkt[PKT_MAX];
    struct wr mw = wr_init(msg, sizeof msg);
    struct mh_msg init = {.type = type};

    init.test_init.cookie = cookie;
    CHECK_EQ_INT(mh_encode(&mw, &init, home ? home : src, cn_addr), MH_OK);
    size_t len = build_packet(pkt, src, cn_addr, home, IP6_NH_MOBILITY, msg, mw.pos);
    testsim_inject(w->cn_node, 0, pkt, len);
}

/* Inject a BU message from the care-of address with a Home Address option. */
static void
send_bu_bytes(struct world *w, const uint8_t *bu, size_t len, const uint8_t *src)
{
    uint8_t msg[PKT_MAX], pkt[PKT_MAX];
    fill_checksum(msg, bu, len, hoa, cn_addr);
    size_t n = build_packet(pkt, src, cn_addr, hoa, IP6_NH_MOBILITY, msg, len);
    testsim_inject(w->cn_node, 0, pkt, n);
}

/* Packets the correspondent node sent from index from on, and the k-th. */
static size_t
cn_sent_count(struct world *w, size_t from)
{
    size_t n = 0;
    for (size_t i = from; i < testsim_sent_count(); i++)
        n += testsim_sent(i)->node == w->cn_node;
    return n;
}

static const struct testsim_packet *
cn_sent(struct world *w, size_t from, size_t k)
{
    for (size_t i = from; i < testsim_sent_count(); i++)
        if (testsim_sent(i)->node == w->cn_node && k-- == 0)
            return testsim_sent(i);
    return NULL;
}

/* Run the return routability procedure: HoTI at 0 s, CoTI at 31 s. */
static void
run_rr(struct world *w)
{
    send_test_init(w, MH_HOTI, 0x1122334455667788ull, NULL);
    testsim_run_until(31 * S);
    send_test_init(w, MH_COTI, 0x99aabbccddeeff00ull, NULL);
}

/* RR, then the known-answer BU at 32 s. */
static void
register_binding(struct world *w)
{
    run_rr(w);
    testsim_run_until(32 * S);
    send_bu_bytes(w, bu_accept, sizeof bu_accept, coa);
}

/* Check the fixed header of a sent packet. */
static void
check_header(const struct testsim_packet *p, const uint8_t src[16], const uint8_t dst[16],
             uint8_t next_header, size_t payload_len)
{
    CHECK_EQ_INT(p->bytes[0] >> 4, 6);
    CHECK_EQ_INT(get_u16(p->bytes + 4), payload_len);
    CHECK_EQ_INT(p->bytes[6], next_header);
    CHECK_EQ_MEM(p->bytes + 8, src, 16);
    CHECK_EQ_MEM(p->bytes + 24, dst, 16);
}

/* Check a type 2 routing header at rh. */
static void
check_rh2(const uint8_t *rh, uint8_t next_header)
{
    static const uint8_t fixed[8] = {0, 2, 2, 1, 0, 0, 0, 0};
    CHECK_EQ_INT(rh[0], next_header);
    CHECK_EQ_MEM(rh + 1, fixed + 1, 7); /* Hdr Ext Len 2, type 2, Segments Left 1, Reserved */
    CHECK_EQ_MEM(rh + 8, hoa, 16);
}

static void
cn_install_rejects_bad_config(void)
{
    struct world w;
    struct mip6_cn_config cfg;
    char err[256] = "";

    setup(&w);
    mip6_cn_config_default(&cfg);
    memcpy(cfg.address, hoa, 16); /* not assigned to the node */
    CHECK(mip6_cn_install(w.cn_node, &cfg, NULL, err, sizeof err) == NULL);
    CHECK(strstr(err, "2001:1:0:1::100") != NULL);
    CHECK(strstr(err, "not assigned") != NULL);

    static const uint8_t link_local[16] = {0xfe, 0x80, [15] = 1};
    memcpy(cfg.address, link_local, 16);
    err[0] = 0;
    CHECK(mip6_cn_install(w.cn_node, &cfg, NULL, err, sizeof err) == NULL);
    CHECK(strstr(err, "global unicast") != NULL);
    teardown(&w);
}

static void
cn_answers_hoti_with_hot(void)
{
    struct world w;
    setup(&w);

    send_test_init(&w, MH_HOTI, 0x1122334455667788ull, NULL);
    CHECK_EQ_INT(cn_sent_count(&w, 0), 1);
    const struct testsim_packet *p = cn_sent(&w, 0, 0);
    if (!p) {
        teardown(&w);
        return;
    }
    /* Straight to the home address, without any extension header. */
    check_header(p, cn_addr, hoa, IP6_NH_MOBILITY, 24);
    CHECK_EQ_INT(p->ifindex, 0);

    uint8_t hot[24] = {59,   2,    3,    0,    0,    0,    0x46, 0x19,
                       0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
    memcpy(hot + 16, home_token, 8);
    fill_checksum(hot, hot, 24, cn_addr, hoa);
    CHECK_EQ_MEM(p->bytes + 40, hot, 24);

    /* The nonce behind index 0x4619 is the one the known answer used. */
    const struct rr_nonce *n = rr_nonce_find(&w.cn->nonces, NONCE1_INDEX, sim_now_ns());
    CHECK(n != NULL);
    if (n)
        CHECK_EQ_MEM(n->value, nonce1, 8);
    CHECK_EQ_INT(mobility_events(&w, REC_MOB_HOTI_RECEIVED), 1);
    CHECK_EQ_INT(mobility_events(&w, REC_MOB_HOT_SENT), 1);
    teardown(&w);
}

static void
cn_answers_coti_with_cot(void)
{
    struct world w;
    setup(&w);

    run_rr(&w);
    CHECK_EQ_INT(cn_sent_count(&w, 0), 2);
    const struct testsim_packet *p = cn_sent(&w, 0, 1);
    if (!p) {
        teardown(&w);
        return;
    }
    check_header(p, cn_addr, coa, IP6_NH_MOBILITY, 24);

    /* 31 s after the first nonce: a new nonce with the next index. */
    uint8_t cot[24] = {59,   2,    4,    0,    0,    0,    0x46, 0x1a,
                       0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00};
    memcpy(cot + 16, care_of_token, 8);
    fill_checksum(cot, cot, 24, cn_addr, coa);
    CHECK_EQ_MEM(p->bytes + 40, cot, 24);

    const struct rr_nonce *n = rr_nonce_find(&w.cn->nonces, NONCE2_INDEX, sim_now_ns());
    CHECK(n != NULL);
    if (n)
        CHECK_EQ_MEM(n->value, nonce2, 8);
    CHECK_EQ_INT(mobility_events(&w, REC_MOB_COT_SENT), 1);
    teardown(&w);
}

static void
cn_reuses_nonce_within_interval(void)
{
    struct world w;
    setup(&w);

    send_test_init(&w, MH_HOTI, 1, NULL);
    testsim_run_until(29 * S);
    send_test_init(&w, MH_COTI, 2, NULL);
    CHECK_EQ_INT(cn_sent_count(&w, 0), 2);
    const struct testsim_packet *hot = cn_sent(&w, 0, 0);
    const struct testsim_packet *cot = cn_sent(&w, 0, 1);
    if (hot && cot) {
        CHECK_EQ_INT(get_u16(hot->bytes + 46), NONCE1_INDEX);
        CHECK_EQ_INT(get_u16(cot->bytes + 46), NONCE1_INDEX);
    }
    teardown(&w);
}

static void
cn_ignores_hoti_with_hao(void)
{
    struct world w;
    setup(&w);

    /* RFC 6275 §9.4.1: silently ignored. */
    send_test_init(&w, MH_HOTI, 7, coa);
    CHECK_EQ_INT(cn_sent_count(&w, 0), 0);
    CHECK_EQ_INT(drops(&w, REC_DROP_HAO_INVALID), 1);
    teardown(&w);
}

static void
cn_accepts_bu_and_acknowledges(void)
{
    struct world w;
    setup(&w);

    register_binding(&w);
    CHECK_EQ_INT(cn_sent_count(&w, 0), 3);
    const struct testsim_packet *p = cn_sent(&w, 0, 2);
    if (!p) {
        teardown(&w);
        return;
    }
    /* RFC 6275 §9.5.4: to the care-of address, type 2 routing header with
     * the home address, then the BA. */
    check_header(p, cn_addr, coa, IP6_NH_ROUTING, 24 + 32);
    check_rh2(p->bytes + 40, IP6_NH_MOBILITY);
    uint8_t ba[32];
    fill_checksum(ba, ba_accept, 32, cn_addr, hoa);
    CHECK_EQ_MEM(p->bytes + 64, ba, 32);

    const struct mip6_cn_binding *b = mip6_cn_binding(w.cn, hoa);
    CHECK(b != NULL);
    if (b) {
        CHECK_EQ_MEM(b->coa, coa, 16);
        CHECK_EQ_INT(b->last_seq, 1);
        CHECK_EQ_INT(b->lifetime_s, RR_MAX_BINDING_LIFETIME_S);
    }
    CHECK_EQ_INT(mobility_events(&w, REC_MOB_CN_BU_RECEIVED), 1);
    CHECK_EQ_INT(mobility_events(&w, REC_MOB_CN_BINDING_ADD), 1);
    CHECK_EQ_INT(mobility_events(&w, REC_MOB_CN_BA_SENT), 1);
    teardown(&w);
}

/* A BU signed with the tokens the test mobile node received. */
static size_t
signed_bu(uint8_t *out, uint16_t seq, uint8_t flags, uint16_t lifetime, const uint8_t *alt_coa,
          const uint8_t auth_coa[16], bool deletion)
{
    struct wr w = wr_init(out, PKT_MAX);
    struct mh_msg bu = {.type = MH_BU};
    size_t auth_offset = 0;
    uint8_t key[20];

    bu.bu.seq = seq;
    bu.bu.flags = flags;
    bu.bu.lifetime = lifetime;
    bu.bu.has_nonce_indices = true;
    bu.bu.home_nonce_index = NONCE1_INDEX;
    bu.bu.coa_nonce_index = NONCE2_INDEX;
    if (alt_coa) {
        bu.bu.has_alt_coa = true;
        memcpy(bu.bu.alt_coa, alt_coa, 16);
    }
    CHECK_EQ_INT(mh_encode_auth(&w, &bu, RR_AUTH_LEN, &auth_offset), MH_OK);
    memcpy(key, deletion ? kbm_delete : kbm, 20);
    ref_authenticator(key, auth_coa, cn_addr, out, w.pos, auth_offset, out + auth_offset);
    return w.pos;
}

static void
cn_bu_without_ack_flag_gets_no_ba(void)
{
    struct world w;
    uint8_t bu[PKT_MAX];
    setup(&w);

    run_rr(&w);
    size_t n = signed_bu(bu, 9, 0, 10, NULL, coa, false);
    send_bu_bytes(&w, bu, n, coa);
    CHECK_EQ_INT(cn_sent_count(&w, 0), 2);
    const struct mip6_cn_binding *b = mip6_cn_binding(w.cn, hoa);
    CHECK(b != NULL);
    if (b)
        CHECK_EQ_INT(b->lifetime_s, 40);
    teardown(&w);
}

static void
cn_uses_alternate_care_of_address(void)
{
    struct world w;
    uint8_t bu[PKT_MAX];
    setup(&w);

    /* The care-of token was made for coa, so the alternate care-of
     * address must be coa; the packet comes from other_coa. */
    run_rr(&w);
    size_t n = signed_bu(bu, 3, MH_BU_FLAG_A, 10, coa, coa, false);
    send_bu_bytes(&w, bu, n, other_coa);
    const struct mip6_cn_binding *b = mip6_cn_binding(w.cn, hoa);
    CHECK(b != NULL);
    if (b)
        CHECK_EQ_MEM(b->coa, coa, 16);
    const struct testsim_packet *p = cn_sent(&w, 0, 2);
    CHECK(p != NULL);
    if (p)
        CHECK_EQ_MEM(p->bytes + 24, other_coa, 16); /* the BA goes to the BU's source */
    teardown(&w);
}

static void
cn_route_optimizes_to_care_of_address(void)
{
    struct world w;
    uint8_t udp[20] = {0x30, 0x39, 0x04, 0xd2, 0, 20, 0, 0, 'r', 'o', 'u', 't', 'e'};
    uint8_t pkt[PKT_MAX];
    setup(&w);

    register_binding(&w);
    testsim_run_until(32 * S + 500 * MS); /* the BA has arrived */
    /* The application computes the UDP checksum over CN -> HoA. */
    uint16_t sum = ref_checksum(cn_addr, hoa, IP6_NH_UDP, udp, sizeof udp);
    udp[6] = (uint8_t)(sum >> 8);
    udp[7] = (uint8_t)sum;
    size_t len = build_packet(pkt, cn_addr, hoa, NULL, IP6_NH_UDP, udp, sizeof udp);
    size_t before = testsim_sent_count();
    testsim_send_local(w.cn_node, pkt, len);

    CHECK_EQ_INT(cn_sent_count(&w, before), 1);
    const struct testsim_packet *p = cn_sent(&w, before, 0);
    if (p) {
        check_header(p, cn_addr, coa, IP6_NH_ROUTING, 24 + sizeof udp);
        check_rh2(p->bytes + 40, IP6_NH_UDP);
        CHECK_EQ_MEM(p->bytes + 64, udp, sizeof udp);
        /* RFC 8200 §8.1: the final destination, the home address, is in
         * the pseudo-header, so the unchanged checksum still verifies. */
        CHECK_EQ_INT(ref_checksum(cn_addr, hoa, IP6_NH_UDP, p->bytes + 64, sizeof udp), 0);
    }
    /* It reaches the mobile node at its care-of address. */
    size_t delivered = testsim_delivered_count();
    testsim_run_until(33 * S);
    CHECK_EQ_INT(testsim_delivered_count(), delivered + 1);
    const struct testsim_packet *d = testsim_delivered(delivered);
    if (d)
        CHECK_EQ_INT(d->node, w.mn_node);
    const struct mip6_cn_binding *b = mip6_cn_binding(w.cn, hoa);
    if (b)
        CHECK_EQ_INT(b->packets_out, 1);
    teardown(&w);
}

static void
cn_keeps_hop_by_hop_first(void)
{
    struct world w;
    uint8_t payload[8] = {IP6_NH_NONE, 0, 1, 4, 0, 0, 0, 0}; /* Hop-by-Hop with a PadN */
    uint8_t pkt[PKT_MAX];
    setup(&w);

    register_binding(&w);
    size_t len = build_packet(pkt, cn_addr, hoa, NULL, IP6_NH_HOP_BY_HOP, payload, 8);
    size_t before = testsim_sent_count();
    testsim_send_local(w.cn_node, pkt, len);
    const struct testsim_packet *p = cn_sent(&w, before, 0);
    CHECK(p != NULL);
    if (p) {
        check_header(p, cn_addr, coa, IP6_NH_HOP_BY_HOP, 8 + 24);
        CHECK_EQ_INT(p->bytes[40], IP6_NH_ROUTING);
        CHECK_EQ_MEM(p->bytes + 41, payload + 1, 7);
        check_rh2(p->bytes + 48, IP6_NH_NONE);
    }
    teardown(&w);
}

static void
cn_sends_mobility_header_unchanged(void)
{
    struct world w;
    uint8_t brr[8] = {59, 0, 0, 0, 0, 0, 0, 0};
    uint8_t pkt[PKT_MAX];
    setup(&w);

    register_binding(&w);
    /* RFC 6275 §6.1: Mobility Header messages bypass the Binding Cache. */
    fill_checksum(brr, brr, 8, cn_addr, hoa);
    size_t len = build_packet(pkt, cn_addr, hoa, NULL, IP6_NH_MOBILITY, brr, 8);
    size_t before = testsim_sent_count();
    testsim_send_local(w.cn_node, pkt, len);
    const struct testsim_packet *p = cn_sent(&w, before, 0);
    CHECK(p != NULL);
    if (p) {
        check_header(p, cn_addr, hoa, IP6_NH_MOBILITY, 8);
        CHECK_EQ_MEM(p->bytes + 40, brr, 8);
    }
    teardown(&w);
}

/* A UDP datagram from the home address, sent from src with a Home Address option. */
static size_t
hao_udp(uint8_t *pkt, const uint8_t src[16], uint8_t *udp, size_t udp_len)
{
    uint16_t sum = ref_checksum(hoa, cn_addr, IP6_NH_UDP, udp, udp_len);
    udp[6] = (uint8_t)(sum >> 8);
    udp[7] = (uint8_t)sum;
    return build_packet(pkt, src, cn_addr, hoa, IP6_NH_UDP, udp, udp_len);
}

static void
cn_delivers_hao_packet_from_home_address(void)
{
    struct world w;
    uint8_t udp[16] = {0x04, 0xd2, 0x30, 0x39, 0, 16, 0, 0, 'h', 'o', 'm', 'e'};
    uint8_t pkt[PKT_MAX];
    setup(&w);

    register_binding(&w);
    size_t delivered = testsim_delivered_count();
    size_t len = hao_udp(pkt, coa, udp, sizeof udp);
    testsim_inject(w.cn_node, 0, pkt, len);

    CHECK_EQ_INT(testsim_delivered_count(), delivered + 1);
    const struct testsim_packet *d = testsim_delivered(delivered);
    if (d) {
        CHECK_EQ_INT(d->node, w.cn_node);
        CHECK_EQ_INT(d->ifindex, w.cn->tunnel_ifindex);
        /* RFC 6275 §9.3.1: source = home address, option gone. */
        CHECK_EQ_INT(d->len, 40 + sizeof udp);
        check_header(d, hoa, cn_addr, IP6_NH_UDP, sizeof udp);
        CHECK_EQ_MEM(d->bytes + 40, udp, sizeof udp);
        CHECK_EQ_INT(
            ip6_checksum(d->bytes + 8, d->bytes + 24, IP6_NH_UDP, d->bytes + 40, sizeof udp), 0);
    }
    const struct mip6_cn_binding *b = mip6_cn_binding(w.cn, hoa);
    if (b)
        CHECK_EQ_INT(b->packets_in, 1);
    CHECK_EQ_INT(cn_sent_count(&w, 0), 3); /* no Binding Error */
    teardown(&w);
}

static void
cn_pads_hao_when_other_options_remain(void)
{
    struct world w;
    uint8_t udp[8] = {0x04, 0xd2, 0x30, 0x39, 0, 8, 0, 0};
    uint8_t pkt[PKT_MAX];
    setup(&w);

    register_binding(&w);
    uint16_t sum = ref_checksum(hoa, cn_addr, IP6_NH_UDP, udp, sizeof udp);
    udp[6] = (uint8_t)(sum >> 8);
    udp[7] = (uint8_t)sum;
    /* Destination Options of 32 bytes: PadN 4, the HAO at 6 (8n+6), then
     * an unknown option of type 0x1e (skip if unknown) with 6 data bytes. */
    uint8_t opts[32] = {IP6_NH_UDP, 3, 1, 2, 0, 0, 201, 16, HOA_BYTES, 0x1e, 6, 1, 2, 3, 4, 5, 6};
    uint8_t payload[40];
    memcpy(payload, opts, 32);
    memcpy(payload + 32, udp, 8);
    size_t len = build_packet(pkt, coa, cn_addr, NULL, IP6_NH_DEST_OPTS, payload, sizeof payload);

    size_t delivered = testsim_delivered_count();
    testsim_inject(w.cn_node, 0, pkt, len);
    CHECK_EQ_INT(testsim_delivered_count(), delivered + 1);
    const struct testsim_packet *d = testsim_delivered(delivered);
    if (d) {
        check_header(d, hoa, cn_addr, IP6_NH_DEST_OPTS, sizeof payload);
        uint8_t want[40];
        memcpy(want, payload, sizeof want);
        want[6] = IP6_OPT_PADN; /* the option became an 18-byte PadN */
        memset(want + 8, 0, 16);
        CHECK_EQ_MEM(d->bytes + 40, want, sizeof want);
    }
    teardown(&w);
}

static void
check_binding_error(const struct testsim_packet *p, const uint8_t dst[16], uint8_t status,
                    const uint8_t home[16])
{
    uint8_t be[24] = {59, 2, 7, 0, 0, 0, status, 0};
    memcpy(be + 8, home, 16);
    fill_checksum(be, be, 24, cn_addr, dst);
    check_header(p, cn_addr, dst, IP6_NH_MOBILITY, 24);
    CHECK_EQ_MEM(p->bytes + 40, be, 24);
    CHECK_EQ_INT(p->ifindex, 0);
}

static void
cn_answers_hao_without_binding_with_be(void)
{
    struct world w;
    uint8_t udp[8] = {0x04, 0xd2, 0x30, 0x39, 0, 8, 0, 0};
    uint8_t pkt[PKT_MAX];
    setup(&w);

    size_t delivered = testsim_delivered_count();
    size_t len = hao_udp(pkt, coa, udp, sizeof udp);
    testsim_inject(w.cn_node, 0, pkt, len);

    CHECK_EQ_INT(testsim_delivered_count(), delivered);
    CHECK_EQ_INT(cn_sent_count(&w, 0), 1);
    const struct testsim_packet *p = cn_sent(&w, 0, 0);
    if (p)
        check_binding_error(p, coa, MH_BE_UNKNOWN_BINDING_HAO, hoa);
    CHECK_EQ_INT(drops(&w, REC_DROP_NO_BINDING), 1);
    CHECK_EQ_INT(mobility_events(&w, REC_MOB_BE_SENT), 1);
    teardown(&w);
}

static void
cn_answers_hao_from_other_coa_with_be(void)
{
    struct world w;
    uint8_t udp[8] = {0x04, 0xd2, 0x30, 0x39, 0, 8, 0, 0};
    uint8_t pkt[PKT_MAX];
    setup(&w);

    /* RFC 6275 §9.3.1: the entry's care-of address must be the source. */
    register_binding(&w);
    size_t before = testsim_sent_count();
    size_t delivered = testsim_delivered_count();
    size_t len = hao_udp(pkt, other_coa, udp, sizeof udp);
    testsim_inject(w.cn_node, 0, pkt, len);

    CHECK_EQ_INT(testsim_delivered_count(), delivered);
    CHECK_EQ_INT(cn_sent_count(&w, before), 1);
    const struct testsim_packet *p = cn_sent(&w, before, 0);
    if (p)
        check_binding_error(p, other_coa, MH_BE_UNKNOWN_BINDING_HAO, hoa);
    teardown(&w);
}

static void
cn_leaves_hao_with_esp_to_ipsec(void)
{
    struct world w;
    uint8_t esp[16] = {0, 0, 0x10, 0x01, 0, 0, 0, 1};
    uint8_t pkt[PKT_MAX];
    setup(&w);

    /* RFC 6275 §9.3.1: no binding check when ESP follows the option. */
    size_t delivered = testsim_delivered_count();
    size_t len = build_packet(pkt, coa, cn_addr, hoa, IP6_NH_ESP, esp, sizeof esp);
    testsim_inject(w.cn_node, 0, pkt, len);

    CHECK_EQ_INT(cn_sent_count(&w, 0), 0);
    CHECK_EQ_INT(testsim_delivered_count(), delivered + 1);
    const struct testsim_packet *d = testsim_delivered(delivered);
    if (d)
        check_header(d, hoa, cn_addr, IP6_NH_ESP, sizeof esp);
    teardown(&w);
}

static void
cn_drops_bu_with_wrong_authenticator(void)
{
    struct world w;
    uint8_t bu[32];
    setup(&w);

    run_rr(&w);
    testsim_run_until(32 * S);
    memcpy(bu, bu_accept, 32);
    bu[31] ^= 0x01; /* last bit of the authenticator */
    send_bu_bytes(&w, bu, 32, coa);

    /* RFC 6275 §9.5.1: silently discarded, so no BA. */
    CHECK_EQ_INT(cn_sent_count(&w, 0), 2);
    CHECK(mip6_cn_binding(w.cn, hoa) == NULL);
    CHECK_EQ_INT(drops(&w, REC_DROP_RR_AUTH_FAILED), 1);

    /* The authenticator covers the fields: a longer lifetime with the
     * original authenticator fails too. */
    memcpy(bu, bu_accept, 32);
    bu[11] = 0xfe;
    send_bu_bytes(&w, bu, 32, coa);
    CHECK(mip6_cn_binding(w.cn, hoa) == NULL);
    CHECK_EQ_INT(drops(&w, REC_DROP_RR_AUTH_FAILED), 2);

    /* So does the right BU sent for another care-of address. */
    send_bu_bytes(&w, bu_accept, 32, other_coa);
    CHECK(mip6_cn_binding(w.cn, hoa) == NULL);
    CHECK_EQ_INT(drops(&w, REC_DROP_RR_AUTH_FAILED), 3);
    CHECK_EQ_INT(cn_sent_count(&w, 0), 2);
    teardown(&w);
}

static void
cn_drops_bu_without_authorization_options(void)
{
    /* RFC 6275 §9.5.1: a correspondent registration without Nonce Indices
     * or without a 96-bit authenticator is silently discarded. */
    static const struct {
        const char *name;
        bool nonce_indices;
        size_t auth_len; /* 0: no Binding Authorization Data */
    } cases[] = {
        {"neither option", false, 0},
        {"no authorization data", true, 0},
        {"no nonce indices", false, RR_AUTH_LEN},
        {"32-bit authenticator", true, 4},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct world w;
        uint8_t msg[64], pkt[PKT_MAX];
        struct wr mw = wr_init(msg, sizeof msg);
        struct mh_msg bu = {.type = MH_BU};
        size_t auth_offset;
        int failures_before = check_failures;
        setup(&w);

        run_rr(&w);
        bu.bu.seq = 1;
        bu.bu.flags = MH_BU_FLAG_A;
        bu.bu.lifetime = 10;
        bu.bu.has_nonce_indices = cases[i].nonce_indices;
        bu.bu.home_nonce_index = NONCE1_INDEX;
        bu.bu.coa_nonce_index = NONCE2_INDEX;
        if (cases[i].auth_len) {
            CHECK_EQ_INT(mh_encode_auth(&mw, &bu, cases[i].auth_len, &auth_offset), MH_OK);
            fill_checksum(msg, msg, mw.pos, hoa, cn_addr);
        } else {
            CHECK_EQ_INT(mh_encode(&mw, &bu, hoa, cn_addr), MH_OK);
        }
        size_t len = build_packet(pkt, coa, cn_addr, hoa, IP6_NH_MOBILITY, msg, mw.pos);
        testsim_inject(w.cn_node, 0, pkt, len);

        CHECK_EQ_INT(cn_sent_count(&w, 0), 2);
        CHECK(mip6_cn_binding(w.cn, hoa) == NULL);
        CHECK_EQ_INT(drops(&w, REC_DROP_MH_INVALID), 1);
        if (check_failures != failures_before)
            fprintf(stderr, "  case: %s\n", cases[i].name);
        teardown(&w);
    }
}

static void
cn_rejects_expired_nonces(void)
{
    static const struct {
        const char *name;
        bool coti_first; /* CoTI at 0 s and HoTI at 31 s, else the other way */
        uint64_t bu_at_s;
        uint8_t status;
    } cases[] = {
        {"home nonce expired", false, 245, MH_BA_EXPIRED_HOME_NONCE},
        {"care-of nonce expired", true, 245, MH_BA_EXPIRED_COA_NONCE},
        {"both expired", false, 275, MH_BA_EXPIRED_NONCES},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct world w;
        uint8_t bu[32];
        int failures_before = check_failures;
        setup(&w);

        /* The nonce made at 0 s has index 0x4619, the one at 31 s 0x461a. */
        send_test_init(&w, cases[i].coti_first ? MH_COTI : MH_HOTI, 1, NULL);
        testsim_run_until(31 * S);
        send_test_init(&w, cases[i].coti_first ? MH_HOTI : MH_COTI, 2, NULL);
        testsim_run_until(cases[i].bu_at_s * S);
        memcpy(bu, bu_accept, 32);
        if (cases[i].coti_first) {
            bu[15] = 0x1a; /* home nonce index 0x461a */
            bu[17] = 0x19; /* care-of nonce index 0x4619 */
        }
        send_bu_bytes(&w, bu, 32, coa);

        /* RFC 6275 §9.5.4: the BA carries no Binding Authorization Data. */
        const struct testsim_packet *p = cn_sent(&w, 0, 2);
        CHECK(p != NULL);
        if (p) {
            uint8_t ba[16] = {59, 1, 6, 0, 0, 0, cases[i].status, 0, 0x00, 0x01, 0, 0, 1, 2, 0, 0};
            fill_checksum(ba, ba, 16, cn_addr, hoa);
            check_header(p, cn_addr, coa, IP6_NH_ROUTING, 24 + 16);
            check_rh2(p->bytes + 40, IP6_NH_MOBILITY);
            CHECK_EQ_MEM(p->bytes + 64, ba, 16);
        }
        CHECK(mip6_cn_binding(w.cn, hoa) == NULL);
        CHECK_EQ_INT(drops(&w, REC_DROP_RR_NONCE_EXPIRED), 1);
        if (check_failures != failures_before)
            fprintf(stderr, "  case: %s\n", cases[i].name);
        teardown(&w);
    }
}

static void
cn_rejects_old_sequence_number(void)
{
    struct world w;
    uint8_t bu[PKT_MAX];
    setup(&w);

    register_binding(&w);
    /* The same BU again: sequence 1 is not newer than 1. */
    testsim_run_until(40 * S);
    size_t before = testsim_sent_count();
    send_bu_bytes(&w, bu_accept, 32, coa);
    const struct testsim_packet *p = cn_sent(&w, before, 0);
    CHECK(p != NULL);
    if (p) {
        uint8_t ba[32];
        fill_checksum(ba, ba_seq_old, 32, cn_addr, hoa);
        check_header(p, cn_addr, coa, IP6_NH_ROUTING, 24 + 32);
        CHECK_EQ_MEM(p->bytes + 64, ba, 32);
    }
    CHECK_EQ_INT(drops(&w, REC_DROP_SEQ_OUT_OF_WINDOW), 1);

    /* An older number that would move the binding changes nothing. */
    size_t n = signed_bu(bu, 0, MH_BU_FLAG_A, 10, NULL, coa, false);
    send_bu_bytes(&w, bu, n, coa);
    CHECK_EQ_INT(drops(&w, REC_DROP_SEQ_OUT_OF_WINDOW), 2);
    const struct mip6_cn_binding *b = mip6_cn_binding(w.cn, hoa);
    CHECK(b != NULL);
    if (b) {
        CHECK_EQ_INT(b->last_seq, 1);
        CHECK_EQ_INT(b->lifetime_s, RR_MAX_BINDING_LIFETIME_S);
    }

    /* A newer one refreshes it. */
    n = signed_bu(bu, 2, MH_BU_FLAG_A, 10, NULL, coa, false);
    send_bu_bytes(&w, bu, n, coa);
    if (b) {
        CHECK_EQ_INT(b->last_seq, 2);
        CHECK_EQ_INT(b->lifetime_s, 40);
    }
    CHECK_EQ_INT(mobility_events(&w, REC_MOB_CN_BINDING_UPDATE), 1);
    teardown(&w);
}

static void
cn_deletes_binding(void)
{
    struct world w;
    uint8_t udp[8] = {0x30, 0x39, 0x04, 0xd2, 0, 8, 0, 0};
    uint8_t pkt[PKT_MAX];
    setup(&w);

    register_binding(&w);
    testsim_run_until(50 * S);
    size_t before = testsim_sent_count();
    send_bu_bytes(&w, bu_delete, 32, coa);

    CHECK(mip6_cn_binding(w.cn, hoa) == NULL);
    const struct testsim_packet *p = cn_sent(&w, before, 0);
    CHECK(p != NULL);
    if (p) {
        uint8_t ba[32];
        fill_checksum(ba, ba_delete, 32, cn_addr, hoa);
        check_header(p, cn_addr, coa, IP6_NH_ROUTING, 24 + 32);
        CHECK_EQ_MEM(p->bytes + 64, ba, 32);
    }
    CHECK_EQ_INT(mobility_events(&w, REC_MOB_CN_BINDING_DELETE), 1);

    /* Without the binding, traffic to the home address is not rewritten. */
    size_t len = build_packet(pkt, cn_addr, hoa, NULL, IP6_NH_UDP, udp, sizeof udp);
    before = testsim_sent_count();
    testsim_send_local(w.cn_node, pkt, len);
    CHECK_EQ_INT(cn_sent_count(&w, before), 0);
    teardown(&w);
}

static void
cn_deletes_binding_from_home(void)
{
    struct world w;
    uint8_t msg[32], pkt[PKT_MAX];
    setup(&w);

    /* Back home, the mobile node sends the deletion from its home address
     * without a Home Address option; the BA then needs no routing header. */
    register_binding(&w);
    testsim_run_until(50 * S);
    fill_checksum(msg, bu_delete, 32, hoa, cn_addr);
    size_t len = build_packet(pkt, hoa, cn_addr, NULL, IP6_NH_MOBILITY, msg, 32);
    size_t before = testsim_sent_count();
    testsim_inject(w.cn_node, 0, pkt, len);

    CHECK(mip6_cn_binding(w.cn, hoa) == NULL);
    const struct testsim_packet *p = cn_sent(&w, before, 0);
    CHECK(p != NULL);
    if (p) {
        uint8_t ba[32];
        fill_checksum(ba, ba_delete, 32, cn_addr, hoa);
        check_header(p, cn_addr, hoa, IP6_NH_MOBILITY, 32);
        CHECK_EQ_MEM(p->bytes + 40, ba, 32);
    }
    teardown(&w);
}

static void
cn_deletes_when_coa_is_home(void)
{
    struct world w;
    uint8_t bu[PKT_MAX], msg[PKT_MAX], pkt[PKT_MAX];
    setup(&w);

    /* RFC 6275 §9.5.1: a care-of address equal to the home address means
     * deletion even with a lifetime above zero, so Kbm comes from the home
     * token alone and the BA grants lifetime 0. */
    register_binding(&w);
    testsim_run_until(50 * S);
    size_t n = signed_bu(bu, 2, MH_BU_FLAG_A, 10, NULL, hoa, true);
    fill_checksum(msg, bu, n, hoa, cn_addr);
    size_t len = build_packet(pkt, hoa, cn_addr, NULL, IP6_NH_MOBILITY, msg, n);
    size_t before = testsim_sent_count();
    testsim_inject(w.cn_node, 0, pkt, len);

    CHECK(mip6_cn_binding(w.cn, hoa) == NULL);
    const struct testsim_packet *p = cn_sent(&w, before, 0);
    CHECK(p != NULL);
    if (p) {
        check_header(p, cn_addr, hoa, IP6_NH_MOBILITY, 32);
        CHECK_EQ_INT(p->bytes[40 + 6], MH_BA_ACCEPTED);
        CHECK_EQ_INT(get_u16(p->bytes + 40 + 10), 0);
        uint8_t auth[12];
        ref_authenticator(kbm_delete, hoa, cn_addr, p->bytes + 40, 32, 20, auth);
        CHECK_EQ_MEM(p->bytes + 40 + 20, auth, 12);
    }
    teardown(&w);
}

static void
cn_binding_expires_after_refresh_request(void)
{
    struct world w;
    uint8_t udp[8] = {0x30, 0x39, 0x04, 0xd2, 0, 8, 0, 0};
    uint8_t pkt[PKT_MAX];
    setup(&w);

    register_binding(&w); /* at 32 s, for 420 s */
    size_t len = build_packet(pkt, cn_addr, hoa, NULL, IP6_NH_UDP, udp, sizeof udp);
    testsim_send_local(w.cn_node, pkt, len);

    /* At 90% of the lifetime, 32 + 378 s: a BRR to the home address. */
    size_t before = testsim_sent_count();
    testsim_run_until(410 * S - 1);
    CHECK_EQ_INT(cn_sent_count(&w, before), 0);
    testsim_run_until(410 * S);
    CHECK_EQ_INT(cn_sent_count(&w, before), 1);
    const struct testsim_packet *p = cn_sent(&w, before, 0);
    if (p) {
        uint8_t brr[8] = {59, 0, 0, 0, 0, 0, 0, 0};
        fill_checksum(brr, brr, 8, cn_addr, hoa);
        check_header(p, cn_addr, hoa, IP6_NH_MOBILITY, 8);
        CHECK_EQ_MEM(p->bytes + 40, brr, 8);
    }
    CHECK(mip6_cn_binding(w.cn, hoa) != NULL);

    testsim_run_until(452 * S - 1);
    CHECK(mip6_cn_binding(w.cn, hoa) != NULL);
    testsim_run_until(452 * S);
    CHECK(mip6_cn_binding(w.cn, hoa) == NULL);
    CHECK_EQ_INT(query_int(&w, "SELECT value2 FROM mobility_event WHERE node = ?1 AND kind = ?2",
                           REC_MOB_CN_BINDING_DELETE),
                 1);

    before = testsim_sent_count();
    testsim_send_local(w.cn_node, pkt, len);
    CHECK_EQ_INT(cn_sent_count(&w, before), 0);
    teardown(&w);
}

static void
cn_unused_binding_gets_no_refresh_request(void)
{
    struct world w;
    setup(&w);

    register_binding(&w);
    size_t before = testsim_sent_count();
    testsim_run_until(460 * S);
    CHECK_EQ_INT(cn_sent_count(&w, before), 0);
    CHECK_EQ_INT(mobility_events(&w, REC_MOB_BRR_SENT), 0);
    teardown(&w);
}

static void
cn_rejects_home_registration(void)
{
    struct world w;
    uint8_t bu[32];
    setup(&w);

    memcpy(bu, bu_accept, 32);
    bu[8] |= MH_BU_FLAG_H;
    send_bu_bytes(&w, bu, 32, coa);
    const struct testsim_packet *p = cn_sent(&w, 0, 0);
    CHECK(p != NULL);
    if (p) {
        uint8_t ba[16] = {59, 1, 6, 0, 0, 0, MH_BA_HOME_REG_NOT_SUPPORTED, 0, 0x00, 0x01,
                          0,  0, 1, 2, 0, 0};
        fill_checksum(ba, ba, 16, cn_addr, hoa);
        CHECK_EQ_MEM(p->bytes + 64, ba, 16);
    }
    CHECK(mip6_cn_binding(w.cn, hoa) == NULL);
    teardown(&w);
}

static void
cn_answers_unknown_mh_type_with_be(void)
{
    struct world w;
    uint8_t msg[8] = {59, 0, 42, 0, 0, 0, 0, 0}, pkt[PKT_MAX];
    setup(&w);

    fill_checksum(msg, msg, 8, coa, cn_addr);
    size_t len = build_packet(pkt, coa, cn_addr, NULL, IP6_NH_MOBILITY, msg, 8);
    testsim_inject(w.cn_node, 0, pkt, len);
    static const uint8_t unspecified[16];
    const struct testsim_packet *p = cn_sent(&w, 0, 0);
    CHECK(p != NULL);
    if (p)
        check_binding_error(p, coa, MH_BE_UNKNOWN_MH_TYPE, unspecified);
    teardown(&w);
}

static void
cn_passes_other_traffic(void)
{
    struct world w;
    uint8_t udp[8] = {0x04, 0xd2, 0x30, 0x39, 0, 8, 0, 0};
    uint8_t pkt[PKT_MAX];
    setup(&w);

    size_t delivered = testsim_delivered_count();
    size_t len = build_packet(pkt, coa, cn_addr, NULL, IP6_NH_UDP, udp, sizeof udp);
    testsim_inject(w.cn_node, 0, pkt, len);
    CHECK_EQ_INT(testsim_delivered_count(), delivered + 1);
    const struct testsim_packet *d = testsim_delivered(delivered);
    if (d) {
        CHECK_EQ_INT(d->ifindex, 0);
        CHECK_EQ_MEM(d->bytes, pkt, len);
    }
    CHECK_EQ_INT(cn_sent_count(&w, 0), 0);
    teardown(&w);
}

CHECK_MAIN(TEST(rr_home_token_known_answer), TEST(rr_care_of_token_known_answer),
           TEST(rr_token_kind_octet_matters), TEST(rr_kbm_known_answers),
           TEST(rr_authenticator_known_answers), TEST(rr_authenticator_matches_reference),
           TEST(rr_authenticator_rejects_bad_offset), TEST(rr_nonce_table_lifetimes),
           TEST(cn_install_rejects_bad_config), TEST(cn_answers_hoti_with_hot),
           TEST(cn_answers_coti_with_cot), TEST(cn_reuses_nonce_within_interval),
           TEST(cn_ignores_hoti_with_hao), TEST(cn_accepts_bu_and_acknowledges),
           TEST(cn_bu_without_ack_flag_gets_no_ba), TEST(cn_uses_alternate_care_of_address),
           TEST(cn_route_optimizes_to_care_of_address), TEST(cn_keeps_hop_by_hop_first),
           TEST(cn_sends_mobility_header_unchanged), TEST(cn_delivers_hao_packet_from_home_address),
           TEST(cn_pads_hao_when_other_options_remain),
           TEST(cn_answers_hao_without_binding_with_be),
           TEST(cn_answers_hao_from_other_coa_with_be), TEST(cn_leaves_hao_with_esp_to_ipsec),
           TEST(cn_drops_bu_with_wrong_authenticator),
           TEST(cn_drops_bu_without_authorization_options), TEST(cn_rejects_expired_nonces),
           TEST(cn_rejects_old_sequence_number), TEST(cn_deletes_binding),
           TEST(cn_deletes_binding_from_home), TEST(cn_deletes_when_coa_is_home),
           TEST(cn_binding_expires_after_refresh_request),
           TEST(cn_unused_binding_gets_no_refresh_request), TEST(cn_rejects_home_registration),
           TEST(cn_answers_unknown_mh_type_with_be), TEST(cn_passes_other_traffic))
