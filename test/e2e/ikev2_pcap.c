/*
 * ikev2_pcap.c - write an IKEv2 exchange between a mobile node and its
 * home agent, built with the model's codec and keys, for a wire check
 * with tshark (test/e2e/check_ikev2_wire.sh).
 *
 *   ikev2_pcap OUTDIR
 *
 * Writes OUTDIR/ikev2.pcap, eight UDP/500 datagrams over raw IPv6 (link
 * type 229), and OUTDIR/ikev2_decryption_table, the IKE SA's keys in the
 * format of the Wireshark 4.0 table of that name.  The mobile node is
 * the initiator, and the messages are:
 *   1-2 IKE_SA_INIT in clear: SA (AES-CBC-128, PRF_HMAC_SHA2_256,
 *       AUTH_HMAC_SHA2_256_128, group 31), KE, Nonce.
 *   3-4 IKE_AUTH in SK: IDi (ID_FQDN) or IDr, AUTH (shared key, RFC 7296
 *       §2.15), N(USE_TRANSPORT_MODE), SA for ESP with an SPI, TSi and TSr.
 *       TSi is the home address with protocol 135 and MH type Binding
 *       Update, TSr the home agent with MH type Binding Acknowledgement
 *       (RFC 4877 §4.3).
 *   5-6 CREATE_CHILD_SA in SK that rekeys the ESP SA: N(REKEY_SA) in the
 *       request, SA, Nonce, TSi, TSr.
 *   7-8 INFORMATIONAL in SK that deletes the old ESP SA.
 * Keys come from X25519 and ikev2_derive_ike_keys.  The private values
 * and nonces are fixed, so the output is the same on every run.  Each
 * message is decoded again with the receiver's keys, so that a codec
 * fault stops the program here.
 *
 * Exits 0, or 1 with a message on stderr.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "ikev2_crypto.h"
#include "ikev2_msg.h"
#include "ipv6.h"

#define LINKTYPE_IPV6 229 /* raw IPv6, tcpdump.org link-layer header types */
#define UDP_HEADER_LEN 8
#define NEXT_HEADER_UDP 17
#define NEXT_HEADER_MH 135
#define MH_TYPE_BU 5 /* RFC 6275 §6.1.7 */
#define MH_TYPE_BA 6 /* RFC 6275 §6.1.8 */
#define MSG_CAP 4096
#define NONCE_LEN 32

/* The mobile node's home address, which it uses at home, and the home agent. */
static const char mn_text[] = "2001:db8:1::10";
static const char ha_text[] = "2001:db8:1::1";
static const char mn_fqdn[] = "mn.example.org";
static const char ha_fqdn[] = "ha.example.org";
static const char psk[] = "mip6sec example shared key";

struct peer {
    uint8_t addr[16];
    uint64_t spi;
    struct ikev2_dh dh;
    uint8_t nonce[NONCE_LEN];
    struct ikev2_id id;
    uint8_t first_msg[MSG_CAP]; /* its IKE_SA_INIT message, for AUTH */
    size_t first_msg_len;
};

struct run {
    FILE *pcap;
    uint32_t seconds;
    struct peer mn;
    struct peer ha;
    bool have_keys;
    struct ikev2_ike_keys keys;
};

static void
die(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "ikev2_pcap: ");
    vfprintf(stderr, format, args);
    fprintf(stderr, "\n");
    va_end(args);
    exit(1);
}

static void
check(enum ikev2_status status, const char *step)
{
    if (status != IKEV2_OK)
        die("%s failed: %s", step, ikev2_status_name(status));
}

static void
put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void
write_all(FILE *f, const void *data, size_t len)
{
    if (fwrite(data, 1, len, f) != len)
        die("failed to write the pcap file");
}

/* The pcap file header: version 2.4, microseconds, little-endian. */
static void
write_pcap_header(FILE *f)
{
    uint8_t header[24] = {0};
    put_le32(header, 0xa1b2c3d4);
    header[4] = 2;
    header[6] = 4;
    put_le32(header + 16, 65535);
    put_le32(header + 20, LINKTYPE_IPV6);
    write_all(f, header, sizeof header);
}

/* One IPv6 packet carrying UDP from port 500 to port 500 with ike[0..len). */
static void
write_datagram(struct run *run, const uint8_t *src, const uint8_t *dst, const uint8_t *ike,
               size_t len)
{
    uint8_t pkt[IP6_HEADER_LEN + UDP_HEADER_LEN + MSG_CAP];
    size_t udp_len = UDP_HEADER_LEN + len;
    struct wr w = wr_init(pkt, sizeof pkt);

    /* RFC 8200 §3: version 6, no traffic class or flow label. */
    wr_u32(&w, 6u << 28);
    wr_u16(&w, (uint16_t)udp_len);
    wr_u8(&w, NEXT_HEADER_UDP);
    wr_u8(&w, 64);
    wr_bytes(&w, src, 16);
    wr_bytes(&w, dst, 16);
    uint8_t *udp = pkt + w.pos;
    wr_u16(&w, IKEV2_PORT);
    wr_u16(&w, IKEV2_PORT);
    wr_u16(&w, (uint16_t)udp_len);
    wr_u16(&w, 0);
    wr_bytes(&w, ike, len);
    if (!wr_ok(&w))
        die("message of %zu bytes does not fit a packet", len);

    /* RFC 8200 §8.1: UDP over IPv6 always carries a checksum, 0 sent as 0xffff. */
    uint16_t sum = ip6_checksum(src, dst, NEXT_HEADER_UDP, udp, udp_len);
    put_u16(udp + 6, sum == 0 ? 0xffff : sum);

    uint8_t record[16];
    put_le32(record, 1700000000u + run->seconds);
    put_le32(record + 4, 0);
    put_le32(record + 8, (uint32_t)w.pos);
    put_le32(record + 12, (uint32_t)w.pos);
    write_all(run->pcap, record, sizeof record);
    write_all(run->pcap, pkt, w.pos);
    run->seconds++;
}

static void
init_header(struct ikev2_msg *msg, const struct run *run, uint8_t exchange, uint32_t message_id,
            bool response)
{
    memset(msg, 0, sizeof *msg);
    msg->hdr.spi_i = run->mn.spi;
    msg->hdr.spi_r = exchange == IKEV2_IKE_SA_INIT && !response ? 0 : run->ha.spi;
    msg->hdr.version = IKEV2_VERSION;
    msg->hdr.exchange = exchange;
    /* RFC 7296 §3.1: the mobile node is the original initiator. */
    msg->hdr.flags = response ? IKEV2_FLAG_RESPONSE : IKEV2_FLAG_INITIATOR;
    msg->hdr.message_id = message_id;
}

static void
add_transform(struct ikev2_proposal *p, uint8_t type, uint16_t id, uint16_t key_bits)
{
    struct ikev2_transform t = {type, id, key_bits};
    p->transforms[p->n_transforms++] = t;
}

static void
set_ike_proposal(struct ikev2_msg *msg)
{
    msg->n_proposals = 1;
    struct ikev2_proposal *p = &msg->proposals[0];
    p->number = 1;
    p->protocol = IKEV2_PROTO_IKE;
    add_transform(p, IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CBC, 128);
    add_transform(p, IKEV2_TRANS_PRF, IKEV2_PRF_HMAC_SHA2_256, 0);
    add_transform(p, IKEV2_TRANS_INTEG, IKEV2_INTEG_HMAC_SHA2_256_128, 0);
    add_transform(p, IKEV2_TRANS_DH, IKEV2_DH_CURVE25519, 0);
}

/* The ESP proposal mip6sec's SAs use: AES-128-CBC, HMAC-SHA1-96, no ESN. */
static void
set_esp_proposal(struct ikev2_msg *msg, uint32_t spi)
{
    msg->n_proposals = 1;
    struct ikev2_proposal *p = &msg->proposals[0];
    p->number = 1;
    p->protocol = IKEV2_PROTO_ESP;
    p->spi_len = 4;
    struct wr w = wr_init(p->spi, 4);
    wr_u32(&w, spi);
    add_transform(p, IKEV2_TRANS_ENCR, IKEV2_ENCR_AES_CBC, 128);
    add_transform(p, IKEV2_TRANS_INTEG, IKEV2_INTEG_HMAC_SHA1_96, 0);
    add_transform(p, IKEV2_TRANS_ESN, IKEV2_ESN_NO, 0);
}

/* RFC 4877 §4.3: one MH type, in the high byte of both ports. */
static struct ikev2_ts
mh_selector(const uint8_t *addr, uint8_t mh_type)
{
    struct ikev2_ts ts = {IKEV2_TS_IPV6_ADDR_RANGE,
                          NEXT_HEADER_MH,
                          (uint16_t)(mh_type << 8),
                          (uint16_t)(mh_type << 8 | 0xff),
                          {0},
                          {0}};
    memcpy(ts.start, addr, 16);
    memcpy(ts.end, addr, 16);
    return ts;
}

static void
set_selectors(struct ikev2_msg *msg, const struct run *run)
{
    msg->n_tsi = 1;
    msg->tsi[0] = mh_selector(run->mn.addr, MH_TYPE_BU);
    msg->n_tsr = 1;
    msg->tsr[0] = mh_selector(run->ha.addr, MH_TYPE_BA);
}

static void
add_notify(struct ikev2_msg *msg, uint8_t protocol, uint32_t spi, uint16_t type)
{
    struct ikev2_notify *n = &msg->notifies[msg->n_notifies++];
    n->protocol = protocol;
    n->spi_len = spi != 0 ? 4 : 0;
    struct wr w = wr_init(n->spi, 4);
    if (spi != 0)
        wr_u32(&w, spi);
    n->type = type;
}

/* Encode msg from sender to receiver (in SK once the keys exist), decode
 * it again as the receiver would and write it to the pcap. */
static size_t
send_msg(struct run *run, const struct ikev2_msg *msg, bool from_mn, uint8_t *out)
{
    const struct ikev2_sk_keys *keys = NULL;
    if (run->have_keys)
        keys = from_mn ? &run->keys.initiator : &run->keys.responder;
    /* NOTE: RFC 7296 §3.14 requires a new unpredictable IV for every
     * message.  This fixed pattern keeps the capture the same on every run. */
    uint8_t iv[16];
    for (size_t i = 0; i < sizeof iv; i++)
        iv[i] = (uint8_t)(msg->hdr.message_id << 5 | msg->hdr.flags | i);

    struct wr w = wr_init(out, MSG_CAP);
    check(ikev2_encode(msg, keys, iv, &w), "encoding a message");
    struct ikev2_msg back;
    check(ikev2_decode(out, w.pos, keys, &back), "decoding a message just encoded");
    if (back.encrypted != (keys != NULL))
        die("message %u decoded with the wrong protection", (unsigned)msg->hdr.message_id);

    const struct peer *src = from_mn ? &run->mn : &run->ha;
    const struct peer *dst = from_mn ? &run->ha : &run->mn;
    write_datagram(run, src->addr, dst->addr, out, w.pos);
    return w.pos;
}

static void
make_peer(struct peer *peer, const char *addr, uint64_t spi, uint8_t seed_byte, const char *fqdn)
{
    memset(peer, 0, sizeof *peer);
    if (ip6_addr_from_text(addr, peer->addr) != IP6_OK)
        die("invalid address %s", addr);
    peer->spi = spi;
    uint8_t seed[IKEV2_DH_SEED_LEN];
    for (size_t i = 0; i < sizeof seed; i++)
        seed[i] = (uint8_t)(seed_byte + 7 * i);
    check(ikev2_dh_generate(&peer->dh, IKEV2_DH_CURVE25519, seed), "X25519 key generation");
    for (size_t i = 0; i < NONCE_LEN; i++)
        peer->nonce[i] = (uint8_t)(seed_byte ^ (3 * i));
    peer->id.type = IKEV2_ID_FQDN;
    peer->id.len = (uint16_t)strlen(fqdn);
    memcpy(peer->id.data, fqdn, peer->id.len);
}

/* RFC 7296 §1.2: IKE_SA_INIT, then the IKE SA's keys (§2.14). */
static void
ike_sa_init(struct run *run)
{
    struct ikev2_msg msg;
    init_header(&msg, run, IKEV2_IKE_SA_INIT, 0, false);
    set_ike_proposal(&msg);
    msg.has_ke = true;
    msg.ke.group = IKEV2_DH_CURVE25519;
    msg.ke.len = run->mn.dh.public_len;
    memcpy(msg.ke.data, run->mn.dh.public_value, msg.ke.len);
    msg.has_nonce = true;
    msg.nonce_len = NONCE_LEN;
    memcpy(msg.nonce, run->mn.nonce, NONCE_LEN);
    run->mn.first_msg_len = send_msg(run, &msg, true, run->mn.first_msg);

    init_header(&msg, run, IKEV2_IKE_SA_INIT, 0, true);
    set_ike_proposal(&msg);
    msg.has_ke = true;
    msg.ke.group = IKEV2_DH_CURVE25519;
    msg.ke.len = run->ha.dh.public_len;
    memcpy(msg.ke.data, run->ha.dh.public_value, msg.ke.len);
    msg.has_nonce = true;
    msg.nonce_len = NONCE_LEN;
    memcpy(msg.nonce, run->ha.nonce, NONCE_LEN);
    run->ha.first_msg_len = send_msg(run, &msg, false, run->ha.first_msg);

    uint8_t shared_mn[IKEV2_MAX_DH_SECRET], shared_ha[IKEV2_MAX_DH_SECRET];
    size_t len_mn = 0, len_ha = 0;
    check(ikev2_dh_shared(&run->mn.dh, run->ha.dh.public_value, run->ha.dh.public_len, shared_mn,
                          &len_mn),
          "the mobile node's X25519");
    check(ikev2_dh_shared(&run->ha.dh, run->mn.dh.public_value, run->mn.dh.public_len, shared_ha,
                          &len_ha),
          "the home agent's X25519");
    if (len_mn != len_ha || memcmp(shared_mn, shared_ha, len_mn) != 0)
        die("the two sides computed different X25519 secrets");

    struct ikev2_ike_algs algs = {IKEV2_ENCR_AES_CBC, 128, IKEV2_PRF_HMAC_SHA2_256,
                                  IKEV2_INTEG_HMAC_SHA2_256_128, IKEV2_DH_CURVE25519};
    check(ikev2_derive_ike_keys(&algs, NULL, run->mn.nonce, NONCE_LEN, run->ha.nonce, NONCE_LEN,
                                run->mn.spi, run->ha.spi, shared_mn, len_mn, &run->keys),
          "deriving the IKE SA keys");
    run->have_keys = true;
}

/* The AUTH value of sender (RFC 7296 §2.15), whose peer sent peer_nonce. */
static void
compute_auth(const struct run *run, const struct peer *sender, const struct peer *peer,
             bool initiator, struct ikev2_auth *auth)
{
    const uint8_t *sk_p = initiator ? run->keys.sk_pi : run->keys.sk_pr;
    auth->method = IKEV2_AUTH_PSK;
    auth->len = run->keys.prf_len;
    check(ikev2_psk_auth(IKEV2_PRF_HMAC_SHA2_256, (const uint8_t *)psk, strlen(psk),
                         sender->first_msg, sender->first_msg_len, peer->nonce, NONCE_LEN, sk_p,
                         run->keys.prf_len, &sender->id, auth->data),
          "computing AUTH");
}

/* RFC 7296 §1.2: IKE_AUTH with the first child SA, in transport mode. */
static void
ike_auth(struct run *run)
{
    uint8_t out[MSG_CAP];
    struct ikev2_msg msg;
    init_header(&msg, run, IKEV2_IKE_AUTH, 1, false);
    msg.has_idi = true;
    msg.idi = run->mn.id;
    msg.has_auth = true;
    compute_auth(run, &run->mn, &run->ha, true, &msg.auth);
    add_notify(&msg, 0, 0, IKEV2_N_USE_TRANSPORT_MODE);
    set_esp_proposal(&msg, 0x1000);
    set_selectors(&msg, run);
    send_msg(run, &msg, true, out);

    init_header(&msg, run, IKEV2_IKE_AUTH, 1, true);
    msg.has_idr = true;
    msg.idr = run->ha.id;
    msg.has_auth = true;
    compute_auth(run, &run->ha, &run->mn, false, &msg.auth);
    add_notify(&msg, 0, 0, IKEV2_N_USE_TRANSPORT_MODE);
    set_esp_proposal(&msg, 0x2000);
    set_selectors(&msg, run);
    send_msg(run, &msg, false, out);

    /* Both sides derive the child SA keys (RFC 7296 §2.17). */
    struct ikev2_child_keys child;
    check(ikev2_derive_child_keys(IKEV2_PRF_HMAC_SHA2_256, run->keys.sk_d, run->keys.prf_len, NULL,
                                  0, run->mn.nonce, NONCE_LEN, run->ha.nonce, NONCE_LEN, 16, 20,
                                  &child),
          "deriving the child SA keys");
}

/* RFC 7296 §1.3.3: rekey the ESP SA with new nonces, without PFS. */
static void
rekey_child(struct run *run)
{
    uint8_t out[MSG_CAP];
    struct ikev2_msg msg;
    init_header(&msg, run, IKEV2_CREATE_CHILD_SA, 2, false);
    add_notify(&msg, IKEV2_PROTO_ESP, 0x1000, IKEV2_N_REKEY_SA);
    set_esp_proposal(&msg, 0x1001);
    msg.has_nonce = true;
    msg.nonce_len = NONCE_LEN;
    memset(msg.nonce, 0x3c, NONCE_LEN);
    set_selectors(&msg, run);
    send_msg(run, &msg, true, out);

    init_header(&msg, run, IKEV2_CREATE_CHILD_SA, 2, true);
    set_esp_proposal(&msg, 0x2001);
    msg.has_nonce = true;
    msg.nonce_len = NONCE_LEN;
    memset(msg.nonce, 0xc3, NONCE_LEN);
    set_selectors(&msg, run);
    send_msg(run, &msg, false, out);
}

/* RFC 7296 §1.4.1: delete the old ESP SA pair.  Each side names its inbound SPI. */
static void
delete_old_child(struct run *run)
{
    uint8_t out[MSG_CAP];
    struct ikev2_msg msg;
    init_header(&msg, run, IKEV2_INFORMATIONAL, 3, false);
    msg.n_deletes = 1;
    msg.deletes[0].protocol = IKEV2_PROTO_ESP;
    msg.deletes[0].n_spis = 1;
    msg.deletes[0].spis[0] = 0x1000;
    send_msg(run, &msg, true, out);

    init_header(&msg, run, IKEV2_INFORMATIONAL, 3, true);
    msg.n_deletes = 1;
    msg.deletes[0].protocol = IKEV2_PROTO_ESP;
    msg.deletes[0].n_spis = 1;
    msg.deletes[0].spis[0] = 0x2000;
    send_msg(run, &msg, false, out);
}

static void
write_hex(FILE *f, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        fprintf(f, "%02x", data[i]);
}

/*
 * One record of Wireshark's IKEv2 decryption table, the UAT
 * ikev2_decryption_table, which has eight fields in Wireshark 4.0:
 * SPIi, SPIr, SK_ei, SK_er, encryption algorithm, SK_ai, SK_ar and
 * integrity algorithm.  Byte fields are bare hex, because tshark 4.0
 * reads a quoted one as text and rejects its length.  The algorithms are
 * Wireshark's names for them, quoted.
 */
static void
write_decryption_table(const struct run *run, const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        die("failed to create %s", path);
    uint8_t spis[16];
    struct wr w = wr_init(spis, sizeof spis);
    wr_u64(&w, run->mn.spi);
    wr_u64(&w, run->ha.spi);
    const struct ikev2_ike_keys *k = &run->keys;

    write_hex(f, spis, 8);
    fprintf(f, ",");
    write_hex(f, spis + 8, 8);
    fprintf(f, ",");
    write_hex(f, k->initiator.enc_key, k->initiator.enc_key_len);
    fprintf(f, ",");
    write_hex(f, k->responder.enc_key, k->responder.enc_key_len);
    fprintf(f, ",\"AES-CBC-128 [RFC3602]\",");
    write_hex(f, k->initiator.auth_key, k->initiator.auth_key_len);
    fprintf(f, ",");
    write_hex(f, k->responder.auth_key, k->responder.auth_key_len);
    fprintf(f, ",\"HMAC_SHA2_256_128 [RFC4868]\"\n");
    if (fclose(f) != 0)
        die("failed to write %s", path);
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    char pcap_path[4096], table_path[4096];
    snprintf(pcap_path, sizeof pcap_path, "%s/ikev2.pcap", argv[1]);
    snprintf(table_path, sizeof table_path, "%s/ikev2_decryption_table", argv[1]);

    static struct run run;
    make_peer(&run.mn, mn_text, 0x6d6e000000000001u, 0x11, mn_fqdn);
    make_peer(&run.ha, ha_text, 0x6861000000000002u, 0x99, ha_fqdn);
    run.pcap = fopen(pcap_path, "wb");
    if (run.pcap == NULL)
        die("failed to create %s", pcap_path);
    write_pcap_header(run.pcap);

    ike_sa_init(&run);
    ike_auth(&run);
    rekey_child(&run);
    delete_old_child(&run);

    if (fclose(run.pcap) != 0)
        die("failed to write %s", pcap_path);
    write_decryption_table(&run, table_path);
    ikev2_dh_free(&run.mn.dh);
    ikev2_dh_free(&run.ha.dh);
    printf("ikev2_pcap: wrote 8 messages to %s and the keys to %s\n", pcap_path, table_path);
    return 0;
}
