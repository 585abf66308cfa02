/*
 * fuzz_ike.c - the IKEv2 state machines of the mobile node (initiator)
 * and the home agent (responder), fed with messages that pass the SK
 * integrity check because the harness encrypts them with the real keys.
 *
 * Every input gets a fresh world_build_ike world (world.h): the mobile
 * node registered away from home, with an IKE SA and its child SAs.  The
 * simulator's state is global and the model draws SPIs, nonces and keys
 * from its seeded random stream, so a world reused across inputs would
 * make an input's outcome depend on the inputs before it.
 *
 * Input: byte 0 picks a configuration (make_config, low 3 bits).  The
 * rest is a program of at most MAX_STEPS steps, each an op byte and the
 * bytes its action reads.  Reads past the end give zeros.
 *   op bits 0-2  action:
 *     0  A message to the home agent as the mobile node sends one
 *        (act_message: header, payload mask, payloads).
 *     1  A message to the mobile node as the home agent sends one.
 *     2  Raw bytes as the UDP payload (op bit 3: to the mobile node).
 *     3  A header and raw bytes as the plaintext of an SK payload with a
 *        valid ICV (op bit 3: to the mobile node).
 *     4  An IKE datagram sent earlier in the run, again (op bit 3: to
 *        the other node than its destination).
 *     5  A second initiator, the shadow, starts an IKE SA at the home
 *        agent.  The harness derives the shadow's keys from the
 *        response, so later steps can send IKE_AUTH with a valid AUTH
 *        and more under it.
 *     6  The network: lose IKE or all packets of one node, or move the
 *        mobile node between two foreign links.
 *     7  Nothing, or with op bit 3 traffic through the tunnel between the
 *        home address and the correspondent (act_traffic).
 *   op bits 5-7  simulated time to run after the step (run_ns).
 *
 * Oracle: no crash, leak or sanitizer report, and after every step
 * (check_world), at both nodes:
 *   - every SPD entry's SA is in the node's SAD;
 *   - every used child SA pair has both SAs there, and every SA there
 *     belongs to a used pair;
 *   - at most 2 * IKE_MAX_CHILDREN SAs per IKE SA;
 *   - each IKE SA that a peer entry names is still indexed;
 *   - at the mobile node, at most two pairs of a kind per IKE SA;
 *   - every SA's selectors name the mobile node's home address and, on
 *     the other side, the home agent or any address (RFC 3776 §4.2,
 *     RFC 4877 §4.4).
 * The home agent binds only the home address, to a care-of address the
 * mobile node had.
 *
 * Build with -DFUZZ_IKE_TRACE to print each step and the IKE datagrams
 * it caused.  The seeds in fuzz/corpus/ike/ are programs in this format,
 * each named after what it exercises.
 */
#include <stdbool.h>
#include <string.h>

#include <openssl/evp.h>

#include "fuzz.h"
#include "ike.h"
#include "ikev2_crypto.h"
#include "ikev2_msg.h"
#include "testsim.h"
#include "world.h"

#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull
#define MAX_INPUT_LEN 4096
#define MAX_STEPS 24
#define MAX_IKE_MSG 4096
#define UDP_HEADER_LEN 8
#define AES_BLOCK_LEN 16
#define NONCE_LEN 32
/* With the default cost table the home agent responds to IKE_SA_INIT within 2 ms. */
#define SHADOW_WAIT_NS (100 * NS_PER_MS)

#define IDENTITY "mn0.home.example"
#define PSK "a shared key of the fuzzer"

enum action {
    ACT_TO_HOME_AGENT = 0,
    ACT_TO_MOBILE_NODE = 1,
    ACT_RAW = 2,
    ACT_RAW_SK = 3,
    ACT_REPLAY = 4,
    ACT_SHADOW = 5,
    ACT_NETWORK = 6,
    ACT_WAIT_OR_TRAFFIC = 7,
};
#define OP_OTHER_WAY 0x08 /* actions 2-4: the other direction; 7: traffic */

static const uint64_t run_ns[8] = {
    0,
    10 * NS_PER_MS,
    200 * NS_PER_MS,
    NS_PER_S,
    3 * NS_PER_S,
    8 * NS_PER_S,
    20 * NS_PER_S,
    60 * NS_PER_S,
};
/*
 * Simulated time one input may run after the world is built.  Every
 * simulated second costs rekeys (and Diffie-Hellman with perfect forward
 * secrecy) under the short lifetimes of make_config, so the cap keeps the
 * slowest inputs near the typical ones.  It covers six rekeys of a pair,
 * the 16 s hard lifetime, and the 15 s after which three retransmissions
 * give up, but not the 63 s of the default five.
 */
#define MAX_RUN_NS (60 * NS_PER_S)

/* act_message control byte. */
#define CTL_TARGET_MASK 0x03 /* enum target_kind */
#define CTL_ID_SHIFT 2       /* expected, one below, one above, random */
#define CTL_PROTECT_SHIFT 4  /* enum protection */
#define CTL_RAW_FLAGS 0x40
#define CTL_RAW_EXCHANGE 0x80

/* act_message payload mask, in the order the payloads are read. */
#define PL_TEMPLATE 0x0001 /* a child SA request or response as the model builds it */
#define PL_SA 0x0002
#define PL_KE 0x0004
#define PL_NONCE 0x0008
#define PL_IDI 0x0010
#define PL_IDR 0x0020
#define PL_AUTH 0x0040
#define PL_NOTIFY 0x0080
#define PL_DELETE 0x0100
#define PL_TSI 0x0200
#define PL_TSR 0x0400
#define PL_ADDR_SHIFT 11 /* 2 bits: the variant that addresses() takes */
#define PL_TWICE 0x2000  /* deliver the datagram twice, as a retransmission */

enum target_kind {
    TARGET_CURRENT = 0, /* the mobile node's current IKE SA */
    TARGET_OTHER = 1,   /* its old one, or the home agent's old or current one */
    TARGET_SHADOW = 2,
    TARGET_RANDOM = 3, /* SPIs from the input, keys of the current SA */
};

enum protection {
    PROTECT_KEYS = 0,       /* in SK with the direction's keys */
    PROTECT_CLEAR = 1,      /* no SK payload */
    PROTECT_OTHER_KEYS = 2, /* in SK with the other direction's keys */
    PROTECT_FLIP = 3,       /* in SK, then one byte flipped */
};

enum loss {
    LOSS_NONE = 0,
    LOSS_IKE_FROM_HOME_AGENT = 1,
    LOSS_IKE_FROM_MOBILE_NODE = 2,
    LOSS_ALL_FROM_HOME_AGENT = 3,
};

/* The SPIs, keys and first messages of the IKE SA a message is built for. */
struct target {
    uint64_t spi_i;
    uint64_t spi_r;
    const struct ikev2_ike_keys *keys; /* NULL before IKE_SA_INIT completed */
    const uint8_t *msg1, *msg2, *ni, *nr;
    size_t msg1_len, msg2_len, ni_len, nr_len;
};

/* The second initiator of action 5, as far as IKE_SA_INIT got. */
struct shadow {
    bool keyed;
    uint64_t spi_i;
    uint64_t spi_r;
    struct ikev2_dh dh;
    uint8_t ni[NONCE_LEN];
    uint8_t nr[IKEV2_MAX_NONCE_LEN];
    size_t nr_len;
    uint8_t msg1[MAX_IKE_MSG], msg2[MAX_IKE_MSG];
    size_t msg1_len, msg2_len;
    struct ikev2_ike_keys keys;
};

/* A Nonce body outside 16-256 bytes, which ikev2_encode rejects. */
struct odd_nonce {
    bool set;
    size_t len;
    uint8_t data[300];
};

/* Everything one input changes; LLVMFuzzerTestOneInput clears it first. */
static struct {
    struct world w;
    struct mip6_ike_config cfg;
    struct rd in;
    uint32_t step;
    enum loss loss;
    bool on_third_link;
    bool used_third_link; /* the mobile node has been on 2001:1:0:3::/64 and may register coa3 */
    uint8_t router3[16], prefix3[16], coa3[16];
    struct ikev2_dh dh; /* the harness's KE payloads */
    bool dh_ready;
    struct shadow shadow;
    struct odd_nonce odd;
} run;

static const uint8_t fuzz_iv[AES_BLOCK_LEN] = {0x1f, 0x2e, 0x3d, 0x4c, 0x5b, 0x6a, 0x79, 0x88,
                                               0x97, 0xa6, 0xb5, 0xc4, 0xd3, 0xe2, 0xf1, 0x00};

static void
store_u32(uint8_t *p, uint32_t v)
{
    put_u16(p, (uint16_t)(v >> 16));
    put_u16(p + 2, (uint16_t)v);
}

static void
pattern(uint8_t *out, size_t len, uint8_t seed)
{
    for (size_t i = 0; i < len; i++)
        out[i] = (uint8_t)(seed + 31 * i);
}

/* ----- the world ----- */

/*
 * Fill cfg with the configuration that byte 0 picks.  Variant 0 is the
 * default, 1 adds perfect forward secrecy and 6 adds it in MODP-2048.
 * The others have short child SA lifetimes.  Of these, 2 also rekeys the
 * IKE SA, 3 adds PFS and extended sequence numbers, and 4 protects
 * tunnel payload and limits bytes.  5 drops the K bit and rekeys the IKE
 * SA.  7 authenticates with Ed25519, protects no tunnel traffic and
 * retransmits once after 200 ms.
 */
static void
make_config(struct mip6_ike_config *cfg, unsigned variant)
{
    mip6_ike_config_default(cfg);
    cfg->keying = MIP6_KEYING_IKEV2;
    snprintf(cfg->identity, sizeof cfg->identity, "%s", IDENTITY);
    memcpy(cfg->psk, PSK, sizeof PSK - 1);
    cfg->psk_len = sizeof PSK - 1;

    bool short_lifetimes = true;
    switch (variant & 7) {
    case 0:
        short_lifetimes = false;
        break;
    case 1:
        cfg->pfs = true;
        short_lifetimes = false;
        break;
    case 2:
        cfg->ike_lifetime_ns = 12 * NS_PER_S;
        break;
    case 3:
        cfg->pfs = true;
        cfg->esn = true;
        break;
    case 4:
        /* Tunnel traffic crosses the byte limits within a few packets. */
        cfg->tunnel = MIP6_TUNNEL_ESP_ALL;
        cfg->soft_bytes = 4000;
        cfg->hard_bytes = 8000;
        break;
    case 5:
        cfg->k_bit = false;
        cfg->ike_lifetime_ns = 12 * NS_PER_S;
        break;
    case 6:
        cfg->dh_group = IKEV2_DH_MODP_2048;
        cfg->pfs = true;
        short_lifetimes = false;
        break;
    default:
        break;
    }
    if ((variant & 7) == 7) {
        cfg->tunnel = MIP6_TUNNEL_ESP_NONE;
        cfg->retransmit_timeout_ns = 200 * NS_PER_MS;
        cfg->auth = MIP6_IKE_AUTH_ED25519;
        pattern(cfg->mn_sign_key, sizeof cfg->mn_sign_key, 0x11);
        pattern(cfg->ha_sign_key, sizeof cfg->ha_sign_key, 0x22);
    }
    /* The pairs are installed 1 s into the world's 4 s, so the first
     * rekeys start 7 s after the first step. */
    if (short_lifetimes) {
        cfg->soft_lifetime_ns = 10 * NS_PER_S;
        cfg->hard_lifetime_ns = 16 * NS_PER_S;
        cfg->retransmit_tries = (variant & 7) == 7 ? 1 : 3;
    }
}

static bool
lose(const uint8_t *pkt, size_t len)
{
    if (len < IP6_HEADER_LEN || run.loss == LOSS_NONE)
        return false;
    bool from_home_agent = memcmp(pkt + 8, run.w.ha_addr, 16) == 0;
    bool udp = pkt[6] == IP6_NH_UDP; /* IKE goes without extension headers */

    switch (run.loss) {
    case LOSS_IKE_FROM_HOME_AGENT:
        return from_home_agent && udp;
    case LOSS_IKE_FROM_MOBILE_NODE:
        return !from_home_agent && udp;
    case LOSS_ALL_FROM_HOME_AGENT:
        return from_home_agent;
    default:
        return false;
    }
}

/* Move the mobile node to the other foreign link, as world.c's attach does. */
static void
move_mobile_node(void)
{
    bool to_third = !run.on_third_link;
    const uint8_t *router = to_third ? run.router3 : run.w.router_foreign;
    const uint8_t *prefix = to_third ? run.prefix3 : run.w.foreign_prefix;
    uint8_t ra[WORLD_RA_LEN];

    testsim_link(run.w.mn_node, 0, 0);
    testsim_link(run.w.mn_node, 0, 1);
    testsim_inject(run.w.mn_node, 0, ra, world_ra(ra, router, prefix));
    sim_addr_add(run.w.mn_node, 0, to_third ? run.coa3 : run.w.coa, 64);
    run.on_third_link = to_third;
    run.used_third_link |= to_third;
}

/* ----- wire helpers ----- */

static size_t
icv_len(const struct ikev2_sk_keys *keys)
{
    return keys->integ == IKEV2_INTEG_HMAC_SHA1_96 ? 12 : 16;
}

/*
 * Write header (28 bytes, Next Payload and Length rewritten) and an SK
 * payload (RFC 7296 §3.14) whose plaintext is plain, zero-extended to
 * whole blocks.  The last plaintext byte is the Pad Length, so callers
 * that want valid padding append it.  Returns the length, or 0.
 */
static size_t
sk_wrap(const uint8_t *header, uint8_t first_inner, const uint8_t *plain, size_t plain_len,
        const struct ikev2_sk_keys *keys, uint8_t *out, size_t cap)
{
    size_t padded =
        plain_len ? (plain_len + AES_BLOCK_LEN - 1) / AES_BLOCK_LEN * AES_BLOCK_LEN : AES_BLOCK_LEN;
    size_t icvl = icv_len(keys);
    size_t total = IKEV2_HEADER_LEN + 4 + AES_BLOCK_LEN + padded + icvl;
    if (total > cap)
        return 0;

    memcpy(out, header, IKEV2_HEADER_LEN);
    out[16] = IKEV2_PL_SK;
    struct wr w = wr_init(out + 24, 4);
    wr_u32(&w, (uint32_t)total);
    uint8_t *sk = out + IKEV2_HEADER_LEN;
    sk[0] = first_inner;
    sk[1] = 0;
    put_u16(sk + 2, (uint16_t)(total - IKEV2_HEADER_LEN));
    memcpy(sk + 4, fuzz_iv, AES_BLOCK_LEN);
    uint8_t *ct = sk + 4 + AES_BLOCK_LEN;
    memset(ct, 0, padded);
    memcpy(ct, plain, plain_len);

    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    FUZZ_ASSERT(ctx != NULL);
    FUZZ_ASSERT(EVP_EncryptInit_ex(ctx, EVP_aes_128_cbc(), NULL, keys->enc_key, fuzz_iv) == 1);
    FUZZ_ASSERT(EVP_CIPHER_CTX_set_padding(ctx, 0) == 1);
    FUZZ_ASSERT(EVP_EncryptUpdate(ctx, ct, &n, ct, (int)padded) == 1 && (size_t)n == padded);
    EVP_CIPHER_CTX_free(ctx);

    uint8_t digest[IKEV2_MAX_PRF_LEN];
    uint16_t prf =
        keys->integ == IKEV2_INTEG_HMAC_SHA1_96 ? IKEV2_PRF_HMAC_SHA1 : IKEV2_PRF_HMAC_SHA2_256;
    FUZZ_ASSERT(ikev2_prf(prf, keys->auth_key, keys->auth_key_len, out, total - icvl, digest) ==
                IKEV2_OK);
    memcpy(out + total - icvl, digest, icvl);
    return total;
}

/* Replace the body of the Nonce payload in a message encoded in clear.  Returns the new length. */
static size_t
replace_nonce(uint8_t *msg, size_t len, size_t cap, const struct odd_nonce *nonce)
{
    uint8_t type = msg[16];
    size_t pos = IKEV2_HEADER_LEN;

    while (type != IKEV2_PL_NONE && pos + 4 <= len) {
        size_t payload_len = get_u16(msg + pos + 2);
        if (payload_len < 4 || pos + payload_len > len)
            return len;
        if (type == IKEV2_PL_NONCE) {
            size_t new_len = len - payload_len + 4 + nonce->len;
            if (new_len > cap)
                return len;
            memmove(msg + pos + 4 + nonce->len, msg + pos + payload_len, len - pos - payload_len);
            memcpy(msg + pos + 4, nonce->data, nonce->len);
            put_u16(msg + pos + 2, (uint16_t)(4 + nonce->len));
            struct wr w = wr_init(msg + 24, 4);
            wr_u32(&w, (uint32_t)new_len);
            return new_len;
        }
        type = msg[pos];
        pos += payload_len;
    }
    return len;
}

/* Encode m, in SK unless keys is NULL, with run.odd as its Nonce body when set.  0 on failure. */
static size_t
encode(const struct ikev2_msg *m, const struct ikev2_sk_keys *keys, uint8_t *out, size_t cap)
{
    static uint8_t clear[MAX_IKE_MSG];
    struct wr w = wr_init(run.odd.set ? clear : out, run.odd.set ? sizeof clear : cap);

    if (!run.odd.set)
        return ikev2_encode(m, keys, fuzz_iv, &w) == IKEV2_OK ? w.pos : 0;
    if (ikev2_encode(m, NULL, fuzz_iv, &w) != IKEV2_OK)
        return 0;
    size_t len = replace_nonce(clear, w.pos, sizeof clear, &run.odd);
    if (keys) {
        /* RFC 7296 §3.14: padding to whole blocks, then the Pad Length. */
        static uint8_t plain[MAX_IKE_MSG + AES_BLOCK_LEN];
        size_t chain_len = len - IKEV2_HEADER_LEN;
        size_t pad = (AES_BLOCK_LEN - (chain_len + 1) % AES_BLOCK_LEN) % AES_BLOCK_LEN;
        memcpy(plain, clear + IKEV2_HEADER_LEN, chain_len);
        memset(plain + chain_len, 0, pad);
        plain[chain_len + pad] = (uint8_t)pad;
        return sk_wrap(clear, clear[16], plain, chain_len + pad + 1, keys, out, cap);
    }
    if (len > cap)
        return 0;
    memcpy(out, clear, len);
    return len;
}

/* Put msg into UDP from port 500 to port 500 in IPv6 from src to dst, and inject it at node. */
static void
inject_ike(uint32_t node, const uint8_t src[16], const uint8_t dst[16], const uint8_t *msg,
           size_t len)
{
    static uint8_t pkt[IP6_HEADER_LEN + UDP_HEADER_LEN + MAX_IKE_MSG];
    struct wr w = wr_init(pkt, sizeof pkt);
    struct ip6_header h = {
        .payload_len = UDP_HEADER_LEN + len, .next_header = IP6_NH_UDP, .hop_limit = 64};

    memcpy(h.src, src, 16);
    memcpy(h.dst, dst, 16);
    FUZZ_ASSERT(ip6_write_header(&w, &h) == IP6_OK);
    uint8_t *udp = pkt + w.pos;
    wr_u16(&w, IKEV2_PORT);
    wr_u16(&w, IKEV2_PORT);
    wr_u16(&w, (uint16_t)(UDP_HEADER_LEN + len));
    wr_u16(&w, 0);
    wr_bytes(&w, msg, len);
    FUZZ_ASSERT(wr_ok(&w));
    uint16_t sum = ip6_checksum(src, dst, IP6_NH_UDP, udp, UDP_HEADER_LEN + len);
    put_u16(udp + 6, sum ? sum : 0xffff);
    testsim_inject(node, 0, pkt, w.pos);
}

/* ----- the parts of a message ----- */

static void
add_transform(struct ikev2_proposal *p, uint8_t type, uint16_t id, uint16_t key_bits)
{
    if (p->n_transforms < IKEV2_MAX_TRANSFORMS)
        p->transforms[p->n_transforms++] = (struct ikev2_transform){type, id, key_bits};
}

/* The proposals the model sends: ESP with AES-128-CBC and HMAC-SHA1-96, and its IKE SA's. */
static void
esp_proposal(struct ikev2_proposal *p, uint32_t spi, bool esn, uint16_t dh)
{
    memset(p, 0, sizeof *p);
    p->number = 1;
    p->protocol = IKEV2_PROTO_ESP;
    p->spi_len = 4;
    store_u32(p->spi, spi);
    add_transform(p, IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CBC, 128);
    add_transform(p, IKEV2_TRANS_INTEG, IKEV2_INTEG_HMAC_SHA1_96, 0);
    if (dh)
        add_transform(p, IKEV2_TRANS_DH, dh, 0);
    add_transform(p, IKEV2_TRANS_ESN, esn ? IKEV2_ESN_YES : IKEV2_ESN_NO, 0);
}

static void
ike_proposal(struct ikev2_proposal *p, uint16_t dh)
{
    memset(p, 0, sizeof *p);
    p->number = 1;
    p->protocol = IKEV2_PROTO_IKE;
    add_transform(p, IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CBC, 128);
    add_transform(p, IKEV2_TRANS_PRF, IKEV2_PRF_HMAC_SHA2_256, 0);
    add_transform(p, IKEV2_TRANS_INTEG, IKEV2_INTEG_HMAC_SHA2_256_128, 0);
    add_transform(p, IKEV2_TRANS_DH, dh, 0);
}

static uint16_t
other_group(uint16_t group)
{
    return group == IKEV2_DH_CURVE25519 ? IKEV2_DH_MODP_2048 : IKEV2_DH_CURVE25519;
}

static const struct ikev2_dh *
harness_dh(void)
{
    uint8_t seed[IKEV2_DH_SEED_LEN];

    if (!run.dh_ready) {
        pattern(seed, sizeof seed, 0x42);
        FUZZ_ASSERT(ikev2_dh_generate(&run.dh, run.cfg.dh_group, seed) == IKEV2_OK);
        run.dh_ready = true;
    }
    return &run.dh;
}

static void
set_ke(struct ikev2_msg *m, const struct ikev2_dh *dh)
{
    m->has_ke = true;
    m->ke.group = dh->group;
    m->ke.len = dh->public_len;
    memcpy(m->ke.data, dh->public_value, dh->public_len);
}

/* The SPIs of the SAs at the receiving node, then at the sending one. */
static size_t
spi_pool(uint32_t *pool, size_t cap, bool to_mn)
{
    const struct ipsec_db *dbs[2] = {&run.w.ha->node.ipsec, &run.w.mn->node.ipsec};
    size_t n = 0;

    for (int d = 0; d < 2; d++) {
        const struct ipsec_db *db = dbs[to_mn ? 1 - d : d];
        for (size_t i = 0; i < db->n_sas && n < cap; i++)
            pool[n++] = db->sas[i]->esp.spi;
    }
    return n;
}

/* An existing SPI that the next input byte picks, or with random set one from the input. */
static uint32_t
read_spi(bool to_mn, bool random)
{
    uint32_t pool[64];
    size_t n = spi_pool(pool, 64, to_mn);
    uint8_t index = rd_u8(&run.in);

    if (random || n == 0)
        return rd_u32(&run.in);
    return pool[index % n];
}

static void
add_notify(struct ikev2_msg *m, uint16_t type, uint8_t protocol, uint32_t spi)
{
    if (m->n_notifies >= IKEV2_MAX_NOTIFIES)
        return;
    struct ikev2_notify *n = &m->notifies[m->n_notifies++];
    memset(n, 0, sizeof *n);
    n->type = type;
    n->protocol = protocol;
    if (protocol == IKEV2_PROTO_ESP) {
        n->spi_len = 4;
        store_u32(n->spi, spi);
    }
}

/* The outbound SPI of a used child of kind under the receiving side's SA, or 0. */
static uint32_t
child_spi(const struct target *t, bool to_mn, enum ike_child_kind kind)
{
    struct ike_node *k = to_mn ? run.w.mn->ike : run.w.ha->ike;
    struct ike_sa *sa = ike_sa_find(k, t->spi_i, t->spi_r);

    for (int i = 0; sa && i < IKE_MAX_CHILDREN; i++)
        if (sa->children[i].used && sa->children[i].kind == kind)
            return sa->children[i].out->esp.spi;
    return 0;
}

/* A child SA request (or response) as ikev2.c builds it; byte: kind, bit 2 rekey. */
static void
read_template(struct ikev2_msg *m, const struct target *t, bool to_mn)
{
    uint8_t b = rd_u8(&run.in);
    enum ike_child_kind kind = (enum ike_child_kind)(b & 3);
    uint16_t dh = run.cfg.pfs ? run.cfg.dh_group : 0;

    if (b & 4)
        add_notify(m, IKEV2_N_REKEY_SA, IKEV2_PROTO_ESP, child_spi(t, to_mn, kind));
    if (!ike_child_tunnel(kind))
        add_notify(m, IKEV2_N_USE_TRANSPORT_MODE, 0, 0);
    m->n_proposals = 1;
    esp_proposal(&m->proposals[0], 0x10000u + run.step * 16 + kind, run.cfg.esn, dh);
    m->has_nonce = true;
    m->nonce_len = NONCE_LEN;
    pattern(m->nonce, NONCE_LEN, (uint8_t)run.step);
    if (run.cfg.pfs)
        set_ke(m, harness_dh());
    m->n_tsi = 1;
    m->n_tsr = 1;
    ike_child_ts(kind, run.w.hoa, run.w.ha_addr, &m->tsi[0], &m->tsr[0]);
}

/*
 * Transforms, by the proposal's mode bits 2-3: the model's, the model's
 * with one changed, a list from the input, or none.  Bit 6 flips ESN in
 * the model's ESP transforms and bit 7 adds DH to them.
 */
static void
read_transforms(struct ikev2_proposal *p, uint8_t mode)
{
    struct rd *in = &run.in;
    bool esn = run.cfg.esn != ((mode & 0x40) != 0);
    uint16_t dh = 0;
    struct ikev2_proposal t;

    if ((mode & 0x80) || run.cfg.pfs)
        dh = run.cfg.dh_group;
    if (p->protocol == IKEV2_PROTO_IKE)
        ike_proposal(&t, run.cfg.dh_group);
    else
        esp_proposal(&t, 0, esn, dh);
    switch ((mode >> 2) & 3) {
    case 0:
    case 1:
        p->n_transforms = t.n_transforms;
        memcpy(p->transforms, t.transforms, sizeof t.transforms);
        if ((mode >> 2) & 1) {
            struct ikev2_transform *x = &p->transforms[rd_u8(in) % p->n_transforms];
            x->id = rd_u16(in);
            x->key_bits = rd_u8(in) & 1 ? 256 : x->key_bits;
        }
        break;
    case 2: {
        size_t n = rd_u8(in) % (IKEV2_MAX_TRANSFORMS + 1);
        for (size_t i = 0; i < n; i++) {
            uint8_t type = rd_u8(in);
            uint16_t id = rd_u16(in);
            uint8_t bits = rd_u8(in);
            add_transform(p, type < 0xf0 ? type % 6 : type, id, bits < 0x80 ? 0 : bits * 2);
        }
        break;
    }
    default:
        break;
    }
}

/*
 * SA: count byte, then per proposal a mode byte.  Bits 0-1 pick the
 * protocol, 2-3 and 6-7 the transforms (read_transforms), and 4-5 the
 * SPI: ESP a fresh one, an existing one, one from the input or 0, IKE
 * none or 8 bytes from the input.
 */
static void
read_sa(struct ikev2_msg *m, bool to_mn)
{
    static const uint8_t protocols[4] = {IKEV2_PROTO_ESP, IKEV2_PROTO_IKE, IKEV2_PROTO_AH,
                                         IKEV2_PROTO_ESP};
    size_t n = 1 + rd_u8(&run.in) % IKEV2_MAX_PROPOSALS;

    m->n_proposals = (uint8_t)n;
    for (size_t i = 0; i < n; i++) {
        struct ikev2_proposal *p = &m->proposals[i];
        uint8_t mode = rd_u8(&run.in);
        memset(p, 0, sizeof *p);
        p->number = (uint8_t)(i + 1);
        p->protocol = protocols[mode & 3];
        unsigned spi_mode = (mode >> 4) & 3;
        if (p->protocol == IKEV2_PROTO_IKE) {
            p->spi_len = spi_mode & 1 ? 8 : 0;
            rd_bytes(&run.in, p->spi, p->spi_len);
        } else {
            uint32_t spi = 0;
            if (spi_mode == 0)
                spi = 0x20000u + run.step * 16 + (uint32_t)i;
            else if (spi_mode != 3)
                spi = read_spi(to_mn, spi_mode == 2);
            p->spi_len = 4;
            store_u32(p->spi, spi);
        }
        read_transforms(p, mode);
    }
}

/* KE: bits 0-1 group, bits 2-3 length, bit 4 the harness's public value. */
static void
read_ke(struct ikev2_msg *m)
{
    uint8_t mode = rd_u8(&run.in);
    uint16_t group = run.cfg.dh_group;
    size_t len = 0;

    switch (mode & 3) {
    case 1:
        group = other_group(group);
        break;
    case 2:
        group = 0;
        break;
    case 3:
        group = rd_u16(&run.in);
        break;
    default:
        break;
    }
    switch ((mode >> 2) & 3) {
    case 0:
        len = ikev2_dh_public_len(group);
        break;
    case 1:
        len = ikev2_dh_public_len(other_group(group));
        break;
    case 2:
        len = rd_u16(&run.in) % (IKEV2_MAX_KE_LEN + 1);
        break;
    default:
        break;
    }
    m->has_ke = true;
    m->ke.group = group;
    m->ke.len = (uint16_t)len;
    pattern(m->ke.data, m->ke.len, rd_u8(&run.in));
    if (mode & 0x10) {
        const struct ikev2_dh *dh = harness_dh();
        memcpy(m->ke.data, dh->public_value,
               dh->public_len < m->ke.len ? dh->public_len : m->ke.len);
    }
}

/* Nonce: 0-300 bytes; the lengths outside 16-256 go through run.odd. */
static void
read_nonce(struct ikev2_msg *m)
{
    static const uint16_t lens[7] = {NONCE_LEN, 16, 256, 0, 15, 257, 300};
    uint8_t mode = rd_u8(&run.in);
    size_t len = (mode & 7) < 7 ? lens[mode & 7] : rd_u16(&run.in) % 301;
    uint8_t seed = rd_u8(&run.in);

    m->has_nonce = true;
    if (len >= IKEV2_MIN_NONCE_LEN && len <= IKEV2_MAX_NONCE_LEN) {
        m->nonce_len = (uint16_t)len;
        pattern(m->nonce, len, seed);
        return;
    }
    m->nonce_len = IKEV2_MIN_NONCE_LEN;
    run.odd.set = true;
    run.odd.len = len;
    pattern(run.odd.data, len, seed);
}

/* ID: bits 0-2 type, bits 3-4 the identity, the HA address, the home address or raw bytes. */
static void
read_id(struct ikev2_id *id)
{
    static const uint8_t types[8] = {IKEV2_ID_FQDN,        IKEV2_ID_IPV6_ADDR, IKEV2_ID_IPV4_ADDR,
                                     IKEV2_ID_RFC822_ADDR, IKEV2_ID_KEY_ID,    0,
                                     IKEV2_ID_FQDN,        IKEV2_ID_IPV6_ADDR};
    uint8_t mode = rd_u8(&run.in);

    memset(id, 0, sizeof *id);
    id->type = (mode & 7) == 5 ? rd_u8(&run.in) : types[mode & 7];
    switch ((mode >> 3) & 3) {
    case 0:
        id->len = sizeof IDENTITY - 1;
        memcpy(id->data, IDENTITY, id->len);
        break;
    case 1:
        id->len = 16;
        memcpy(id->data, run.w.ha_addr, 16);
        break;
    case 2:
        id->len = 16;
        memcpy(id->data, run.w.hoa, 16);
        break;
    default:
        id->len = rd_u8(&run.in);
        rd_bytes(&run.in, id->data, id->len);
        break;
    }
}

/* The ID that AUTH covers when the message has none: what the model would send. */
static void
default_id(struct ikev2_id *id, bool of_initiator)
{
    memset(id, 0, sizeof *id);
    id->type = of_initiator ? IKEV2_ID_FQDN : IKEV2_ID_IPV6_ADDR;
    id->len = of_initiator ? sizeof IDENTITY - 1 : 16;
    memcpy(id->data, of_initiator ? (const uint8_t *)IDENTITY : run.w.ha_addr, id->len);
}

/*
 * Write the AUTH payload that the target's keys give for the message's ID
 * (RFC 7296 §2.15).  The initiator signs its IKE_SA_INIT request and Nr,
 * and the responder its response and Ni.  The key is the shared key or
 * the sender's Ed25519 key, as configured.  False when the target has no
 * keys.
 */
static bool
valid_auth(struct ikev2_msg *m, const struct target *t, bool to_mn)
{
    bool of_initiator = !to_mn;
    const struct ikev2_id *id = of_initiator ? &m->idi : &m->idr;
    struct ikev2_id fallback;

    if (!t->keys || !t->msg1 || !t->msg2)
        return false;
    if (!(of_initiator ? m->has_idi : m->has_idr)) {
        default_id(&fallback, of_initiator);
        id = &fallback;
    }
    const uint8_t *first = of_initiator ? t->msg1 : t->msg2;
    size_t first_len = of_initiator ? t->msg1_len : t->msg2_len;
    const uint8_t *nonce = of_initiator ? t->nr : t->ni;
    size_t nonce_len = of_initiator ? t->nr_len : t->ni_len;
    const uint8_t *sk_p = of_initiator ? t->keys->sk_pi : t->keys->sk_pr;

    if (run.cfg.auth == MIP6_IKE_AUTH_ED25519) {
        const uint8_t *seed = of_initiator ? run.cfg.mn_sign_key : run.cfg.ha_sign_key;
        FUZZ_ASSERT(ikev2_sig_auth(IKEV2_PRF_HMAC_SHA2_256, seed, first, first_len, nonce,
                                   nonce_len, sk_p, t->keys->prf_len, id, &m->auth) == IKEV2_OK);
        return true;
    }
    FUZZ_ASSERT(ikev2_psk_auth(IKEV2_PRF_HMAC_SHA2_256, (const uint8_t *)PSK, sizeof PSK - 1, first,
                               first_len, nonce, nonce_len, sk_p, t->keys->prf_len, id,
                               m->auth.data) == IKEV2_OK);
    m->auth.len = t->keys->prf_len;
    return true;
}

/* AUTH: bits 0-1 valid for the target and ID, 32 bytes, raw length, empty; bit 2 raw method. */
static void
read_auth(struct ikev2_msg *m, const struct target *t, bool to_mn)
{
    uint8_t mode = rd_u8(&run.in);
    unsigned content = mode & 3;

    m->has_auth = true;
    m->auth.method = IKEV2_AUTH_PSK;
    if (content == 0 && !valid_auth(m, t, to_mn))
        content = 1;
    if (mode & 4)
        m->auth.method = rd_u8(&run.in);
    switch (content) {
    case 0:
        break;
    case 1:
        m->auth.len = 32;
        rd_bytes(&run.in, m->auth.data, 32);
        break;
    case 2:
        m->auth.len = rd_u16(&run.in) % (IKEV2_MAX_AUTH_LEN + 1);
        pattern(m->auth.data, m->auth.len, rd_u8(&run.in));
        break;
    default:
        m->auth.len = 0;
        break;
    }
}

/* Notify: count, then per notify bits 0-2 type, bits 3-4 SPI, bit 5 data. */
static void
read_notifies(struct ikev2_msg *m, bool to_mn)
{
    static const uint16_t types[7] = {
        IKEV2_N_REKEY_SA,           IKEV2_N_TS_UNACCEPTABLE,
        IKEV2_N_NO_PROPOSAL_CHOSEN, IKEV2_N_AUTHENTICATION_FAILED,
        IKEV2_N_USE_TRANSPORT_MODE, IKEV2_N_INITIAL_CONTACT,
        IKEV2_N_INVALID_KE_PAYLOAD,
    };
    size_t n = 1 + rd_u8(&run.in) % 4;

    for (size_t i = 0; i < n; i++) {
        uint8_t mode = rd_u8(&run.in);
        uint16_t type = (mode & 7) < 7 ? types[mode & 7] : rd_u16(&run.in);
        switch ((mode >> 3) & 3) {
        case 0:
            add_notify(m, type, 0, 0);
            break;
        case 1:
        case 2:
            add_notify(m, type, IKEV2_PROTO_ESP, read_spi(to_mn, ((mode >> 3) & 3) == 2));
            break;
        default:
            add_notify(m, type, IKEV2_PROTO_IKE, 0);
            m->notifies[m->n_notifies - 1].spi_len = 8;
            rd_bytes(&run.in, m->notifies[m->n_notifies - 1].spi, 8);
            break;
        }
        if (mode & 0x20) {
            struct ikev2_notify *last = &m->notifies[m->n_notifies - 1];
            last->data_len = rd_u8(&run.in) % (IKEV2_MAX_NOTIFY_DATA + 1);
            rd_bytes(&run.in, last->data, last->data_len);
        }
    }
}

/* Delete: count, then per delete bits 0-1 protocol, bits 2-4 SPI count, per SPI one byte. */
static void
read_deletes(struct ikev2_msg *m, bool to_mn)
{
    static const uint8_t protocols[4] = {IKEV2_PROTO_ESP, IKEV2_PROTO_IKE, IKEV2_PROTO_AH,
                                         IKEV2_PROTO_ESP};
    size_t n = 1 + rd_u8(&run.in) % IKEV2_MAX_DELETES;

    m->n_deletes = (uint8_t)n;
    for (size_t i = 0; i < n; i++) {
        struct ikev2_delete *d = &m->deletes[i];
        uint8_t mode = rd_u8(&run.in);
        d->protocol = protocols[mode & 3];
        d->n_spis = d->protocol == IKEV2_PROTO_IKE ? 0 : (mode >> 2) & 7;
        for (size_t s = 0; s < d->n_spis; s++)
            d->spis[s] = read_spi(to_mn, mode & 0x20);
    }
}

/*
 * TS: count, then per selector bits 0-2 address, bits 3-4 protocol, bits
 * 5-6 ports; bit 7 takes the model's selector for kind (bits 0-1).
 */
static void
read_ts(struct ikev2_ts *list, uint8_t *count, bool initiator_side)
{
    size_t n = 1 + rd_u8(&run.in) % IKEV2_MAX_TS;

    *count = (uint8_t)n;
    for (size_t i = 0; i < n; i++) {
        struct ikev2_ts *t = &list[i];
        uint8_t mode = rd_u8(&run.in);
        struct ikev2_ts tsi, tsr;
        if (mode & 0x80) {
            ike_child_ts((enum ike_child_kind)(mode & 3), run.w.hoa, run.w.ha_addr, &tsi, &tsr);
            *t = initiator_side ? tsi : tsr;
            continue;
        }
        memset(t, 0, sizeof *t);
        t->type = IKEV2_TS_IPV6_ADDR_RANGE;
        const uint8_t *single[5] = {run.w.hoa, run.w.ha_addr, run.w.coa, run.w.cn_addr, run.coa3};
        switch (mode & 7) {
        case 5: /* ::/0 */
            memset(t->end, 0xff, 16);
            break;
        case 6: /* the home prefix: the home address and its neighbours */
            memcpy(t->start, run.w.home_prefix, 16);
            memcpy(t->end, run.w.home_prefix, 8);
            memset(t->end + 8, 0xff, 8);
            break;
        case 7:
            rd_bytes(&run.in, t->start, 16);
            rd_bytes(&run.in, t->end, 16);
            break;
        default:
            memcpy(t->start, single[mode & 7], 16);
            memcpy(t->end, single[mode & 7], 16);
            break;
        }
        static const uint8_t protocols[3] = {IP6_NH_MOBILITY, IP6_NH_ICMPV6, 0};
        t->proto = ((mode >> 3) & 3) < 3 ? protocols[(mode >> 3) & 3] : rd_u8(&run.in);
        switch ((mode >> 5) & 3) {
        case 0:
            t->end_port = 0xffff;
            break;
        case 1: /* RFC 4877 §4.3: one MH type in the high byte */
            t->start_port = (uint16_t)(rd_u8(&run.in) << 8);
            t->end_port = t->start_port | 0xff;
            break;
        case 2:
            t->start_port = rd_u16(&run.in);
            t->end_port = rd_u16(&run.in);
            break;
        default:
            break;
        }
    }
}

/* ----- targets ----- */

static void
target_of_sa(struct target *t, const struct ike_sa *sa)
{
    t->spi_i = sa->spi_i;
    t->spi_r = sa->spi_r;
    t->keys = sa->keys_ready ? &sa->keys : NULL;
    t->msg1 = sa->msg1;
    t->msg1_len = sa->msg1_len;
    t->msg2 = sa->msg2;
    t->msg2_len = sa->msg2_len;
    t->ni = sa->ni;
    t->ni_len = sa->ni_len;
    t->nr = sa->nr;
    t->nr_len = sa->nr_len;
}

static void
choose_target(struct target *t, enum target_kind kind)
{
    struct ike_node *mn = run.w.mn->ike;
    struct ike_peer *peer = ike_peer_for_home(run.w.ha->ike, run.w.hoa);
    const struct ike_sa *sa = NULL;
    struct shadow *s = &run.shadow;

    memset(t, 0, sizeof *t);
    switch (kind) {
    case TARGET_CURRENT:
        sa = mn->self.current ? mn->self.current : peer->current;
        break;
    case TARGET_OTHER:
        sa = mn->self.old;
        if (!sa)
            sa = peer->old;
        if (!sa)
            sa = peer->current;
        break;
    case TARGET_SHADOW:
        t->spi_i = s->spi_i;
        t->spi_r = s->spi_r;
        t->keys = s->keyed ? &s->keys : NULL;
        t->msg1 = s->msg1_len ? s->msg1 : NULL;
        t->msg1_len = s->msg1_len;
        t->msg2 = s->msg2_len ? s->msg2 : NULL;
        t->msg2_len = s->msg2_len;
        t->ni = s->ni;
        t->ni_len = sizeof s->ni;
        t->nr = s->nr;
        t->nr_len = s->nr_len;
        return;
    case TARGET_RANDOM:
        t->spi_i = rd_u64(&run.in);
        t->spi_r = rd_u64(&run.in);
        sa = mn->self.current;
        if (sa && sa->keys_ready)
            t->keys = &sa->keys;
        return;
    }
    if (sa)
        target_of_sa(t, sa);
}

/*
 * The message id the receiving node expects under the target's SPIs: the
 * id of its outstanding request for a response, the next one from the
 * peer for a request.  mode picks it, a neighbour or one from the input.
 */
static uint32_t
read_message_id(const struct target *t, unsigned mode, bool to_mn, bool response)
{
    struct ike_node *k = to_mn ? run.w.mn->ike : run.w.ha->ike;
    struct ike_sa *sa = ike_sa_find(k, t->spi_i, t->spi_r);
    uint32_t expected = 0;

    if (!sa)
        sa = ike_sa_find(k, t->spi_i, 0);
    if (sa)
        expected = response ? sa->request_id : sa->peer_next_id;
    switch (mode) {
    case 0:
        return expected;
    case 1:
        return expected - 1;
    case 2:
        return expected + 1;
    default:
        return rd_u32(&run.in);
    }
}

/* ----- the actions ----- */

static void
addresses(unsigned variant, bool to_mn, const uint8_t **src, const uint8_t **dst)
{
    const uint8_t *coa = run.w.mn->coa;

    if (to_mn) {
        const uint8_t *srcs[4] = {run.w.ha_addr, run.w.ha_addr, run.w.cn_addr, run.w.hoa};
        *src = srcs[variant & 3];
        *dst = (variant & 3) == 1 ? run.w.hoa : coa;
    } else {
        const uint8_t *srcs[4] = {coa, run.w.hoa, run.w.cn_addr, run.coa3};
        *src = srcs[variant & 3];
        *dst = run.w.ha_addr;
    }
}

/*
 * The header of actions 0, 1 and 3; returns the control byte.  Unless the
 * control byte makes it raw, the exchange byte's bits 0-1 pick the
 * exchange, and bit 2 turns the usual direction around.  The message is
 * then a request to the mobile node (a Delete the home agent sends, say)
 * or a response to the home agent.  The flags are those the sender would
 * set.
 */
static uint8_t
read_header(struct ikev2_msg *m, struct target *t, bool to_mn)
{
    uint8_t ctl = rd_u8(&run.in);
    uint8_t exchange = rd_u8(&run.in);
    bool raw_exchange = ctl & CTL_RAW_EXCHANGE;
    bool response = to_mn != (!raw_exchange && (exchange & 4));

    choose_target(t, (enum target_kind)(ctl & CTL_TARGET_MASK));
    memset(m, 0, sizeof *m);
    m->hdr.spi_i = t->spi_i;
    m->hdr.spi_r = t->spi_r;
    m->hdr.version = IKEV2_VERSION;
    m->hdr.exchange = raw_exchange ? exchange : IKEV2_IKE_SA_INIT + (exchange & 3);
    /* RFC 7296 §3.1: the mobile node is the original initiator. */
    m->hdr.flags = (to_mn ? 0 : IKEV2_FLAG_INITIATOR) | (response ? IKEV2_FLAG_RESPONSE : 0);
    if (ctl & CTL_RAW_FLAGS)
        m->hdr.flags = rd_u8(&run.in);
    response = m->hdr.flags & IKEV2_FLAG_RESPONSE;
    /* RFC 7296 §1.2: the IKE_SA_INIT response brings the SPIr the responder chose. */
    if (response && m->hdr.exchange == IKEV2_IKE_SA_INIT && m->hdr.spi_r == 0)
        m->hdr.spi_r = 0x5ead5ead00000000ull | run.step;
    m->hdr.message_id = read_message_id(t, (ctl >> CTL_ID_SHIFT) & 3, to_mn, response);
    return ctl;
}

static const struct ikev2_sk_keys *
keys_for(const struct target *t, enum protection protect, bool to_mn)
{
    if (!t->keys || protect == PROTECT_CLEAR)
        return NULL;
    bool initiator_keys = !to_mn != (protect == PROTECT_OTHER_KEYS);
    return initiator_keys ? &t->keys->initiator : &t->keys->responder;
}

static void
deliver(bool to_mn, unsigned address_variant, uint8_t *msg, size_t len, enum protection protect,
        bool twice)
{
    const uint8_t *src, *dst;

    if (protect == PROTECT_FLIP && len > 0) {
        size_t at = rd_u16(&run.in) % len;
        msg[at] ^= rd_u8(&run.in) | 1;
    }
    addresses(address_variant, to_mn, &src, &dst);
    uint32_t node = to_mn ? run.w.mn_node : run.w.ha_node;
    inject_ike(node, src, dst, msg, len);
    if (twice)
        inject_ike(node, src, dst, msg, len);
}

static void
act_message(bool to_mn)
{
    static struct ikev2_msg m;
    static uint8_t out[MAX_IKE_MSG];
    struct target t;

    uint8_t ctl = read_header(&m, &t, to_mn);
    enum protection protect = (enum protection)((ctl >> CTL_PROTECT_SHIFT) & 3);
    uint16_t mask = rd_u16(&run.in);

    if (mask & PL_TEMPLATE)
        read_template(&m, &t, to_mn);
    if (mask & PL_SA)
        read_sa(&m, to_mn);
    if (mask & PL_KE)
        read_ke(&m);
    if (mask & PL_NONCE)
        read_nonce(&m);
    if (mask & PL_IDI) {
        m.has_idi = true;
        read_id(&m.idi);
    }
    if (mask & PL_IDR) {
        m.has_idr = true;
        read_id(&m.idr);
    }
    if (mask & PL_AUTH)
        read_auth(&m, &t, to_mn);
    if (mask & PL_NOTIFY)
        read_notifies(&m, to_mn);
    if (mask & PL_DELETE)
        read_deletes(&m, to_mn);
    if (mask & PL_TSI)
        read_ts(m.tsi, &m.n_tsi, true);
    if (mask & PL_TSR)
        read_ts(m.tsr, &m.n_tsr, false);

    size_t len = encode(&m, keys_for(&t, protect, to_mn), out, sizeof out);
    /* Every count and length above is within the codec's capacities, and
     * the largest message is about 3,900 bytes, so encoding succeeds. */
    FUZZ_ASSERT(len > 0);
    deliver(to_mn, (mask >> PL_ADDR_SHIFT) & 3, out, len, protect, mask & PL_TWICE);
}

/* Raw bytes as the UDP payload: length (2 bytes), then the bytes. */
static void
act_raw(bool to_mn)
{
    static uint8_t msg[MAX_IKE_MSG];
    size_t len = rd_u16(&run.in) % 1025;

    rd_bytes(&run.in, msg, len);
    deliver(to_mn, 0, msg, len, PROTECT_KEYS, false);
}

/* A header as in action 0, the first inner payload type, length (2 bytes) and the plaintext. */
static void
act_raw_sk(bool to_mn)
{
    static struct ikev2_msg m;
    static uint8_t header[IKEV2_HEADER_LEN], plain[1024], out[MAX_IKE_MSG];
    struct target t;

    uint8_t ctl = read_header(&m, &t, to_mn);
    enum protection protect = (enum protection)((ctl >> CTL_PROTECT_SHIFT) & 3);
    uint8_t first = rd_u8(&run.in);
    size_t plain_len = rd_u16(&run.in) % (sizeof plain + 1);
    rd_bytes(&run.in, plain, plain_len);

    struct wr w = wr_init(header, sizeof header);
    FUZZ_ASSERT(ikev2_encode(&m, NULL, fuzz_iv, &w) == IKEV2_OK);
    const struct ikev2_sk_keys *keys = keys_for(&t, protect, to_mn);
    size_t len;
    if (keys) {
        len = sk_wrap(header, first, plain, plain_len, keys, out, sizeof out);
    } else {
        memcpy(out, header, IKEV2_HEADER_LEN);
        out[16] = first;
        memcpy(out + IKEV2_HEADER_LEN, plain, plain_len);
        len = IKEV2_HEADER_LEN + plain_len;
        struct wr length = wr_init(out + 24, 4);
        wr_u32(&length, (uint32_t)len);
    }
    FUZZ_ASSERT(len > 0);
    deliver(to_mn, 0, out, len, protect, false);
}

/* The IKE payload of a sent packet, or NULL. */
static const uint8_t *
ike_payload(const struct testsim_packet *s, struct ip6_packet *p, size_t *len)
{
    if (ip6_parse(s->bytes, s->len, p) != IP6_OK || p->upper_proto != IP6_NH_UDP ||
        p->upper_len < UDP_HEADER_LEN || get_u16(s->bytes + p->upper_offset + 2) != IKEV2_PORT)
        return NULL;
    *len = p->upper_len - UDP_HEADER_LEN;
    return s->bytes + p->upper_offset + UDP_HEADER_LEN;
}

/* Index byte (2 bytes) into the IKE datagrams sent so far. */
static void
act_replay(bool other_way)
{
    uint16_t index = rd_u16(&run.in);
    size_t count = 0;
    struct ip6_packet p;
    size_t len;

    for (size_t i = 0; i < testsim_sent_count(); i++)
        count += ike_payload(testsim_sent(i), &p, &len) != NULL;
    if (count == 0)
        return;
    size_t want = index % count;
    for (size_t i = 0, seen = 0; i < testsim_sent_count(); i++) {
        const struct testsim_packet *s = testsim_sent(i);
        if (!ike_payload(s, &p, &len) || seen++ != want)
            continue;
        bool to_ha = memcmp(p.hdr.dst, run.w.ha_addr, 16) == 0;
        testsim_inject(to_ha != other_way ? run.w.ha_node : run.w.mn_node, 0, s->bytes, s->len);
        return;
    }
}

/* Read the home agent's IKE_SA_INIT response to the shadow and derive the shadow's keys. */
static void
finish_shadow(size_t first_sent)
{
    static struct ikev2_msg r;
    struct shadow *s = &run.shadow;
    struct ip6_packet p;
    size_t len;

    for (size_t i = first_sent; i < testsim_sent_count(); i++) {
        const uint8_t *msg = ike_payload(testsim_sent(i), &p, &len);
        if (!msg || memcmp(p.hdr.src, run.w.ha_addr, 16) != 0 ||
            ikev2_decode(msg, len, NULL, &r) != IKEV2_OK || r.hdr.spi_i != s->spi_i ||
            r.hdr.exchange != IKEV2_IKE_SA_INIT || !r.has_ke || !r.has_nonce || r.hdr.spi_r == 0 ||
            len > sizeof s->msg2)
            continue;
        uint8_t secret[IKEV2_MAX_DH_SECRET];
        size_t secret_len = 0;
        struct ikev2_ike_algs algs = {IKEV2_ENCR_AES_CBC, 128, IKEV2_PRF_HMAC_SHA2_256,
                                      IKEV2_INTEG_HMAC_SHA2_256_128, s->dh.group};
        if (ikev2_dh_shared(&s->dh, r.ke.data, r.ke.len, secret, &secret_len) != IKEV2_OK ||
            ikev2_derive_ike_keys(&algs, NULL, s->ni, sizeof s->ni, r.nonce, r.nonce_len, s->spi_i,
                                  r.hdr.spi_r, secret, secret_len, &s->keys) != IKEV2_OK)
            return;
        s->spi_r = r.hdr.spi_r;
        s->nr_len = r.nonce_len;
        memcpy(s->nr, r.nonce, r.nonce_len);
        memcpy(s->msg2, msg, len);
        s->msg2_len = len;
        s->keyed = true;
        return;
    }
}

/*
 * Start the shadow's IKE SA.  Control byte bits 0-1 pick the proposal:
 * the model's, the model's with KE of the other group, ESP only, or IKE
 * with HMAC-SHA1 as prf.  Bit 2 sends from the correspondent's address,
 * bit 3 reads SPIi from the input and bit 4 reuses the mobile node's.  A
 * seed byte for the DH value and the nonce follows.
 */
static void
act_shadow(void)
{
    static struct ikev2_msg m;
    struct shadow *s = &run.shadow;
    uint8_t ctl = rd_u8(&run.in);
    uint8_t seed_byte = rd_u8(&run.in);
    uint8_t seed[IKEV2_DH_SEED_LEN];
    const struct ike_sa *current = run.w.mn->ike->self.current;

    ikev2_dh_free(&s->dh);
    memset(s, 0, sizeof *s);
    s->spi_i = 0x5ead000000000000ull | run.step;
    if (ctl & 8)
        s->spi_i = rd_u64(&run.in);
    if ((ctl & 0x10) && current)
        s->spi_i = current->spi_i;
    pattern(seed, sizeof seed, seed_byte);
    uint16_t group = (ctl & 3) == 1 ? other_group(run.cfg.dh_group) : run.cfg.dh_group;
    FUZZ_ASSERT(ikev2_dh_generate(&s->dh, group, seed) == IKEV2_OK);
    pattern(s->ni, sizeof s->ni, (uint8_t)~seed_byte);

    memset(&m, 0, sizeof m);
    m.hdr.spi_i = s->spi_i;
    m.hdr.version = IKEV2_VERSION;
    m.hdr.exchange = IKEV2_IKE_SA_INIT;
    m.hdr.flags = IKEV2_FLAG_INITIATOR;
    m.n_proposals = 1;
    if ((ctl & 3) == 2) {
        esp_proposal(&m.proposals[0], 0x30000u + run.step, false, 0);
    } else {
        ike_proposal(&m.proposals[0], run.cfg.dh_group);
        if ((ctl & 3) == 3)
            m.proposals[0].transforms[1].id = IKEV2_PRF_HMAC_SHA1;
    }
    set_ke(&m, &s->dh);
    m.has_nonce = true;
    m.nonce_len = sizeof s->ni;
    memcpy(m.nonce, s->ni, sizeof s->ni);
    struct wr w = wr_init(s->msg1, sizeof s->msg1);
    FUZZ_ASSERT(ikev2_encode(&m, NULL, fuzz_iv, &w) == IKEV2_OK);
    s->msg1_len = w.pos;

    size_t first_sent = testsim_sent_count();
    inject_ike(run.w.ha_node, ctl & 4 ? run.w.cn_addr : run.w.mn->coa, run.w.ha_addr, s->msg1,
               s->msg1_len);
    testsim_run_until(sim_now_ns() + SHADOW_WAIT_NS);
    finish_shadow(first_sent);
}

/*
 * Send packets between the home address and the correspondent, which go
 * through the tunnel and, in configuration 4, its ESP SAs.  Byte bits 0-2
 * count - 1, bits 3-6 size, bit 7 from the correspondent.
 */
static void
act_traffic(void)
{
    static uint8_t pkt[IP6_HEADER_LEN + 1500];
    uint8_t b = rd_u8(&run.in);
    bool from_cn = b & 0x80;
    struct ip6_header h = {.next_header = IP6_NH_NONE, .hop_limit = 64};
    struct wr w = wr_init(pkt, sizeof pkt);

    h.payload_len = 64 + 90 * (size_t)((b >> 3) & 15);
    memcpy(h.src, from_cn ? run.w.cn_addr : run.w.hoa, 16);
    memcpy(h.dst, from_cn ? run.w.hoa : run.w.cn_addr, 16);
    FUZZ_ASSERT(ip6_write_header(&w, &h) == IP6_OK);
    wr_zeros(&w, h.payload_len);
    FUZZ_ASSERT(wr_ok(&w));
    for (int i = 0; i <= (b & 7); i++)
        testsim_send_local(from_cn ? run.w.cn_node : run.w.mn_node, pkt, w.pos);
}

/* Byte: bits 0-1 enum loss, bit 2 move the mobile node to the other foreign link. */
static void
act_network(void)
{
    uint8_t b = rd_u8(&run.in);

    run.loss = (enum loss)(b & 3);
    if (b & 4)
        move_mobile_node();
}

/* ----- the oracle ----- */

static bool
in_sad(const struct ipsec_db *db, const struct ipsec_sa *sa)
{
    for (size_t i = 0; i < db->n_sas; i++)
        if (db->sas[i] == sa)
            return true;
    return false;
}

/* The distinct IKE SAs a node indexes (a half-open one is indexed twice). */
static size_t
collect_ike_sas(const struct ike_node *k, const struct ike_sa **out, size_t cap)
{
    size_t n = 0;

    for (size_t i = 0; i < k->by_spi.cap; i++) {
        const struct ike_sa *sa = k->by_spi.slots[i].value;
        bool seen = false;
        for (size_t j = 0; sa && j < n && !seen; j++)
            seen = out[j] == sa;
        if (sa && !seen) {
            FUZZ_ASSERT(n < cap);
            out[n++] = sa;
        }
    }
    return n;
}

static bool
listed(const struct ike_sa *const *sas, size_t n, const struct ike_sa *sa)
{
    for (size_t i = 0; i < n; i++)
        if (sas[i] == sa)
            return true;
    return false;
}

/* RFC 3776 §4.2: one side names the home address, the other the home agent or anything. */
static bool
names_home_address_only(const struct ipsec_selector *sel)
{
    bool src_home = sel->src_len == 128 && memcmp(sel->src, run.w.hoa, 16) == 0;
    bool dst_home = sel->dst_len == 128 && memcmp(sel->dst, run.w.hoa, 16) == 0;
    bool src_other =
        sel->src_len == 0 || (sel->src_len == 128 && !memcmp(sel->src, run.w.ha_addr, 16));
    bool dst_other =
        sel->dst_len == 0 || (sel->dst_len == 128 && !memcmp(sel->dst, run.w.ha_addr, 16));
    return (src_home && dst_other) || (dst_home && src_other);
}

static void
check_node(const struct ike_node *k, const struct ipsec_db *db)
{
    static const struct ike_sa *sas[MAX_STEPS * 4 + 16];
    size_t n = collect_ike_sas(k, sas, sizeof sas / sizeof sas[0]);

    for (size_t i = 0; i < db->all.count; i++) {
        const struct ipsec_policy *p = db->all.items[i];
        FUZZ_ASSERT(!p->sa || in_sad(db, p->sa));
    }
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        FUZZ_ASSERT(sas[i]->node == k);
        for (int c = 0; c < IKE_MAX_CHILDREN; c++) {
            const struct ike_child *child = &sas[i]->children[c];
            if (!child->used)
                continue;
            used++;
            FUZZ_ASSERT(child->ike == sas[i]);
            FUZZ_ASSERT(in_sad(db, child->in));
            FUZZ_ASSERT(in_sad(db, child->out));
        }
    }
    FUZZ_ASSERT(db->n_sas <= 2 * IKE_MAX_CHILDREN * n);
    /* With dynamic keying every SA belongs to a child pair: none is left behind. */
    FUZZ_ASSERT(db->n_sas == 2 * used);
    for (size_t i = 0; i < db->n_sas; i++)
        FUZZ_ASSERT(names_home_address_only(&db->sas[i]->sel));

    /* Every peer entry's IKE SAs are still indexed: no dangling pointers. */
    const struct ike_peer *self = &k->self;
    FUZZ_ASSERT(!self->current || listed(sas, n, self->current));
    FUZZ_ASSERT(!self->old || listed(sas, n, self->old));
    for (size_t i = 0; i < k->n_peers; i++) {
        FUZZ_ASSERT(!k->peers[i]->current || listed(sas, n, k->peers[i]->current));
        FUZZ_ASSERT(!k->peers[i]->old || listed(sas, n, k->peers[i]->old));
    }
}

/*
 * Check that no IKE SA at the node has more than two pairs of a kind.
 * ike.h sizes IKE_MAX_CHILDREN for a pair of each kind and the pair that
 * replaces it.  The mobile node creates pairs only by its own requests,
 * so the check applies there.  At the home agent an authenticated peer
 * may request more.
 */
static void
check_pairs_per_kind(const struct ike_node *k)
{
    const struct ike_sa *sas[MAX_STEPS * 4 + 16];
    size_t n = collect_ike_sas(k, sas, sizeof sas / sizeof sas[0]);

    for (size_t i = 0; i < n; i++) {
        int per_kind[IKE_CHILD_KINDS] = {0};
        for (int c = 0; c < IKE_MAX_CHILDREN; c++)
            if (sas[i]->children[c].used)
                per_kind[sas[i]->children[c].kind]++;
        for (int kind = 0; kind < IKE_CHILD_KINDS; kind++)
            FUZZ_ASSERT(per_kind[kind] <= 2);
    }
}

static void
check_world(void)
{
    check_node(run.w.mn->ike, &run.w.mn->node.ipsec);
    check_node(run.w.ha->ike, &run.w.ha->node.ipsec);
    check_pairs_per_kind(run.w.mn->ike);

    FUZZ_ASSERT(run.w.ha->bindings.count <= 1);
    if (run.w.ha->bindings.count == 0)
        return;
    const struct mip6_binding *b = mip6_ha_binding(run.w.ha, run.w.hoa);
    FUZZ_ASSERT(b != NULL);
    FUZZ_ASSERT(memcmp(b->coa, run.w.coa, 16) == 0 ||
                (run.used_third_link && memcmp(b->coa, run.coa3, 16) == 0));
}

/* ----- tracing ----- */

#ifdef FUZZ_IKE_TRACE
/* Print each IKE SA of a node with its child pairs: kind, inbound and
 * outbound SPI, and r for replaced, k for a rekey outstanding. */
static void
trace_children(const char *name, const struct ike_node *k)
{
    const struct ike_sa *sas[MAX_STEPS * 4 + 16];
    size_t n = collect_ike_sas(k, sas, sizeof sas / sizeof sas[0]);

    for (size_t i = 0; i < n; i++) {
        fprintf(stderr, "  %s ike %016llx state %d:", name, (unsigned long long)sas[i]->spi_i,
                (int)sas[i]->state);
        for (int c = 0; c < IKE_MAX_CHILDREN; c++) {
            const struct ike_child *child = &sas[i]->children[c];
            if (child->used)
                fprintf(stderr, " %d:%08x/%08x%s%s", (int)child->kind, child->in->esp.spi,
                        child->out->esp.spi, child->replaced ? "r" : "",
                        child->rekeying ? "k" : "");
        }
        fputc('\n', stderr);
    }
}

/* Print the step, the IKE datagrams sent since first_sent (with their
 * notify types and deletes while the keys are still known), and the SA and
 * binding counts. */
static void
trace_step(uint8_t op, size_t first_sent)
{
    static struct ikev2_msg m;
    struct ip6_packet p;
    size_t len;

    fprintf(stderr, "step %u op %02x t=%.3f s\n", run.step, op, sim_now_ns() / 1e9);
    for (size_t i = first_sent; i < testsim_sent_count(); i++) {
        const uint8_t *msg = ike_payload(testsim_sent(i), &p, &len);
        struct ikev2_header h;
        if (!msg || ikev2_read_header(msg, len, &h) != IKEV2_OK)
            continue;
        bool from_ha = memcmp(p.hdr.src, run.w.ha_addr, 16) == 0;
        const struct ike_sa *sa =
            ike_sa_find(from_ha ? run.w.ha->ike : run.w.mn->ike, h.spi_i, h.spi_r);
        const struct ikev2_sk_keys *keys = NULL;
        if (sa && sa->keys_ready)
            keys = from_ha ? &sa->keys.responder : &sa->keys.initiator;
        fprintf(stderr, "  %s %s%s id %u:", from_ha ? "ha>" : "mn>",
                ikev2_exchange_name(h.exchange), h.flags & IKEV2_FLAG_RESPONSE ? " response" : "",
                h.message_id);
        if (ikev2_decode(msg, len, keys, &m) == IKEV2_OK) {
            for (int n = 0; n < m.n_notifies; n++)
                fprintf(stderr, " N(%u)", m.notifies[n].type);
            for (int d = 0; d < m.n_deletes; d++)
                fprintf(stderr, " D(%u x%u)", m.deletes[d].protocol, m.deletes[d].n_spis);
            fprintf(stderr, " SA%u TS%u", m.n_proposals, m.n_tsi);
        }
        fputc('\n', stderr);
    }
    fprintf(stderr, "  sas mn %zu ha %zu, binding %zu\n", run.w.mn->node.ipsec.n_sas,
            run.w.ha->node.ipsec.n_sas, run.w.ha->bindings.count);
    trace_children("mn", run.w.mn->ike);
    trace_children("ha", run.w.ha->ike);
}
#else
static void
trace_step(uint8_t op, size_t first_sent)
{
    (void)op;
    (void)first_sent;
}
#endif

/* ----- the entry point ----- */

static void
run_step(uint8_t op)
{
    switch ((enum action)(op & 7)) {
    case ACT_TO_HOME_AGENT:
        act_message(false);
        break;
    case ACT_TO_MOBILE_NODE:
        act_message(true);
        break;
    case ACT_RAW:
        act_raw(op & OP_OTHER_WAY);
        break;
    case ACT_RAW_SK:
        act_raw_sk(op & OP_OTHER_WAY);
        break;
    case ACT_REPLAY:
        act_replay(op & OP_OTHER_WAY);
        break;
    case ACT_SHADOW:
        act_shadow();
        break;
    case ACT_NETWORK:
        act_network();
        break;
    case ACT_WAIT_OR_TRAFFIC:
        if (op & OP_OTHER_WAY)
            act_traffic();
        break;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > MAX_INPUT_LEN)
        return 0;

    memset(&run, 0, sizeof run);
    make_config(&run.cfg, data[0]);
    world_build_ike(&run.w, &run.cfg);
    run.in = rd_init(data + 1, size - 1);
    FUZZ_ASSERT(ip6_addr_from_text("fe80::3", run.router3) == IP6_OK);
    FUZZ_ASSERT(ip6_addr_from_text("2001:1:0:3::", run.prefix3) == IP6_OK);
    memcpy(run.coa3, run.prefix3, 8);
    memcpy(run.coa3 + 8, run.w.coa + 8, 8);
    testsim_set_loss(lose);
    check_world();

    uint64_t end_ns = sim_now_ns() + MAX_RUN_NS;
    for (run.step = 0; run.step < MAX_STEPS && rd_left(&run.in) > 0; run.step++) {
        uint8_t op = rd_u8(&run.in);
        size_t first_sent = testsim_sent_count();
        run.odd.set = false;
        run_step(op);
        uint64_t until = sim_now_ns() + run_ns[op >> 5];
        testsim_run_until(until < end_ns ? until : end_ns);
        trace_step(op, first_sent);
        check_world();
    }

    testsim_set_loss(NULL);
    world_free(&run.w);
    ikev2_dh_free(&run.dh);
    ikev2_dh_free(&run.shadow.dh);
    return 0;
}
