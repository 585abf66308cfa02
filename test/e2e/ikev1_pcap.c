/*
 * ikev1_pcap.c - write a capture of the IKEv1 exchanges that RFC 3776
 * §4.4 has a mobile node run with its home agent, for
 * check_ikev1_wire.sh.
 *
 *   ikev1_pcap OUT.pcap UAT_FILE
 *
 * The capture contains six UDP/500 datagrams over IPv6 between the
 * care-of address and the home agent (link type 229, raw IPv6, UDP
 * checksums computed):
 *   1-3  aggressive mode with a pre-shared key and Diffie-Hellman group
 *        14: HDR, SA, KE, Ni, IDii (ID_FQDN); HDR, SA, KE, Nr, IDir,
 *        HASH_R; HDR, HASH_I
 *   4-6  quick mode with PFS in group 14 for an ESP transport mode SA
 *        pair: HDR*, HASH(1), SA, Ni, KE, IDci, IDcr; HDR*, HASH(2), SA,
 *        Nr, KE, IDci, IDcr; HDR*, HASH(3).  IDci is ID_IPV6_ADDR of the
 *        home address with protocol 135 (Mobility Header).
 * The third aggressive mode message goes in clear, as RFC 2409 §5.4
 * draws it.  No phase-1 message is then encrypted, and the quick mode
 * IV starts from the phase-1 IV hash(g^xi | g^xr) in place of a last
 * phase-1 CBC block (see ikev1_phase2_iv).
 *
 * Both sides are computed with the model's code.  Each derives its keys
 * from its own Diffie-Hellman values and checks every hash and the
 * KEYMAT of the other side.  UAT_FILE receives the record that
 * Wireshark's ikev1_decryption_table needs: the initiator cookie and
 * the encryption key, both in unquoted hex and separated by a comma.
 * Standard output gets key=value lines with the initiator cookie, the
 * addresses and the ESP SPIs.  Exits 0 on success, 1 when a step or a
 * check fails, and 2 on a usage error.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cursor.h"
#include "ikev1_crypto.h"
#include "ikev1_msg.h"
#include "ikev2_crypto.h"
#include "ipv6.h"

#define LINKTYPE_IPV6 229
#define PACKET_CAP 2048
#define NONCE_LEN 20
#define QUICK_MODE_ID 0x6b0e1a27u

static const char psk[] = "mip6sec example pre-shared key";
static const char *care_of_text = "2001:db8:2::20";
static const char *home_agent_text = "2001:db8:1::1";
static const char *home_address_text = "2001:db8:1::10";

/* Stop with a message naming the step that failed. */
static void
fail(const char *step, const char *detail)
{
    fprintf(stderr, "ikev1_pcap: %s failed: %s\n", step, detail);
    exit(1);
}

static void
check_ikev1(const char *step, enum ikev1_status status)
{
    if (status != IKEV1_OK)
        fail(step, ikev1_status_name(status));
}

static void
check_ikev2(const char *step, enum ikev2_status status)
{
    if (status != IKEV2_OK)
        fail(step, ikev2_status_name(status));
}

/* Deterministic bytes that look random: SHA-256(label | counter) blocks. */
static void
pseudo_random(const char *label, uint8_t *out, size_t len)
{
    uint8_t block[32];
    for (uint32_t counter = 0; len > 0; counter++) {
        uint8_t input[64];
        size_t label_len = strlen(label);
        memcpy(input, label, label_len);
        memcpy(input + label_len, &counter, sizeof counter);
        unsigned block_len = 0;
        EVP_Digest(input, label_len + sizeof counter, block, &block_len, EVP_sha256(), NULL);
        size_t n = len < sizeof block ? len : sizeof block;
        memcpy(out, block, n);
        out += n;
        len -= n;
    }
}

static uint64_t
pseudo_random_u64(const char *label)
{
    uint8_t b[8];
    pseudo_random(label, b, sizeof b);
    struct rd r = rd_init(b, sizeof b);
    return rd_u64(&r);
}

/* ---- pcap output ---- */

struct capture {
    FILE *file;
    uint32_t seconds;
    uint32_t micros;
};

static void
put_le32(FILE *f, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    fwrite(b, 1, 4, f);
}

static void
put_le16(FILE *f, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    fwrite(b, 1, 2, f);
}

static void
capture_open(struct capture *cap, const char *path)
{
    cap->file = fopen(path, "wb");
    if (cap->file == NULL)
        fail("opening the pcap file", path);
    cap->seconds = 1700000000;
    cap->micros = 0;
    /* pcap file header: magic, version 2.4, zone, accuracy, snapshot length, link type. */
    put_le32(cap->file, 0xa1b2c3d4);
    put_le16(cap->file, 2);
    put_le16(cap->file, 4);
    put_le32(cap->file, 0);
    put_le32(cap->file, 0);
    put_le32(cap->file, 65535);
    put_le32(cap->file, LINKTYPE_IPV6);
}

/* Write the ISAKMP message as UDP 500 -> 500 inside IPv6 from src to dst. */
static void
capture_udp(struct capture *cap, const uint8_t src[16], const uint8_t dst[16],
            const uint8_t *isakmp, size_t len)
{
    uint8_t packet[PACKET_CAP];
    struct wr w = wr_init(packet, sizeof packet);
    struct ip6_header ip = {.payload_len = 8 + len, .next_header = IP6_NH_UDP, .hop_limit = 64};
    memcpy(ip.src, src, 16);
    memcpy(ip.dst, dst, 16);
    if (ip6_write_header(&w, &ip) != IP6_OK)
        fail("writing the IPv6 header", "no space");

    size_t udp = w.pos;
    wr_u16(&w, IKEV1_PORT);
    wr_u16(&w, IKEV1_PORT);
    wr_u16(&w, (uint16_t)(8 + len));
    wr_u16(&w, 0);
    wr_bytes(&w, isakmp, len);
    if (!wr_ok(&w))
        fail("writing the UDP datagram", "no space");
    /* RFC 8200 §8.1: a computed UDP checksum of 0 is sent as 0xffff. */
    uint16_t sum = ip6_checksum(src, dst, IP6_NH_UDP, packet + udp, 8 + len);
    put_u16(packet + udp + 6, sum == 0 ? 0xffff : sum);

    cap->micros += 1500;
    put_le32(cap->file, cap->seconds);
    put_le32(cap->file, cap->micros);
    put_le32(cap->file, (uint32_t)w.pos);
    put_le32(cap->file, (uint32_t)w.pos);
    fwrite(packet, 1, w.pos, cap->file);
}

/* ---- the two parties ---- */

struct party {
    const char *name;
    uint8_t address[16];
    struct ikev2_dh dh;    /* phase 1 */
    struct ikev2_dh qm_dh; /* quick mode, for PFS */
    uint8_t nonce[NONCE_LEN];
    uint8_t qm_nonce[NONCE_LEN];
    uint32_t spi; /* the SPI this party receives ESP on */
    struct ikev1_keys keys;
    uint8_t last_phase1_block[IKEV1_BLOCK_LEN];
    uint8_t iv[IKEV1_BLOCK_LEN]; /* IV of the next message of the current exchange */
};

static void
party_init(struct party *p, const char *name, const char *address)
{
    char label[64];
    uint8_t seed[IKEV2_DH_SEED_LEN];

    memset(p, 0, sizeof *p);
    p->name = name;
    if (ip6_addr_from_text(address, p->address) != IP6_OK)
        fail("parsing an address", address);
    snprintf(label, sizeof label, "%s phase 1 DH", name);
    pseudo_random(label, seed, sizeof seed);
    check_ikev2("phase-1 Diffie-Hellman", ikev2_dh_generate(&p->dh, IKEV2_DH_MODP_2048, seed));
    snprintf(label, sizeof label, "%s quick mode DH", name);
    pseudo_random(label, seed, sizeof seed);
    check_ikev2("quick mode Diffie-Hellman",
                ikev2_dh_generate(&p->qm_dh, IKEV2_DH_MODP_2048, seed));
    snprintf(label, sizeof label, "%s nonce", name);
    pseudo_random(label, p->nonce, sizeof p->nonce);
    snprintf(label, sizeof label, "%s quick mode nonce", name);
    pseudo_random(label, p->qm_nonce, sizeof p->qm_nonce);
    snprintf(label, sizeof label, "%s SPI", name);
    /* RFC 4303 §2.1: SPIs 1-255 are reserved, so keep one bit above them set. */
    p->spi = (uint32_t)pseudo_random_u64(label) | 0x1000;
}

/* Send msg from one party to the other: encode, capture and decode it on the receiving side. */
static void
transfer(struct capture *cap, const struct party *from, const struct party *to, uint8_t *wire,
         size_t len, const struct ikev1_cipher *receive_cipher, struct ikev1_msg *received)
{
    capture_udp(cap, from->address, to->address, wire, len);
    check_ikev1("decoding a received message", ikev1_decode(wire, len, receive_cipher, received));
}

static void
set_id_fqdn(struct ikev1_id *id, const char *name)
{
    id->type = IKEV1_ID_FQDN;
    id->len = (uint16_t)strlen(name);
    memcpy(id->data, name, id->len);
}

static void
set_id_ipv6(struct ikev1_id *id, const uint8_t address[16])
{
    id->type = IKEV1_ID_IPV6_ADDR;
    id->protocol = 135; /* RFC 3776 §4.4: SAs for the Mobility Header */
    id->len = 16;
    memcpy(id->data, address, 16);
}

static void
phase1_proposal(struct ikev1_sa *sa)
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
    t->attrs[t->n_attrs++] = ikev1_attr_tv(IKEV1_ATTR_AUTH_METHOD, IKEV1_AUTH_PSK);
    t->attrs[t->n_attrs++] = ikev1_attr_tv(IKEV1_ATTR_GROUP, IKEV1_GROUP_MODP_2048);
    t->attrs[t->n_attrs++] = ikev1_attr_tv(IKEV1_ATTR_LIFE_TYPE, IKEV1_LIFE_SECONDS);
    t->attrs[t->n_attrs++] = ikev1_attr_tlv(IKEV1_ATTR_LIFE_DURATION, 4, 28800);
}

static void
esp_proposal(struct ikev1_sa *sa, uint32_t spi)
{
    sa->n_proposals = 1;
    struct ikev1_proposal *p = &sa->proposals[0];
    p->number = 1;
    p->protocol = IKEV1_PROTO_ESP;
    p->spi_len = 4;
    put_u16(p->spi, (uint16_t)(spi >> 16));
    put_u16(p->spi + 2, (uint16_t)spi);
    p->n_transforms = 1;
    struct ikev1_transform *t = &p->transforms[0];
    t->number = 1;
    t->id = IKEV1_ESP_AES;
    t->attrs[t->n_attrs++] = ikev1_attr_tv(IKEV1_ATTR_SA_LIFE_TYPE, IKEV1_LIFE_SECONDS);
    t->attrs[t->n_attrs++] = ikev1_attr_tlv(IKEV1_ATTR_SA_LIFE_DURATION, 4, 3600);
    t->attrs[t->n_attrs++] = ikev1_attr_tv(IKEV1_ATTR_GROUP_DESCRIPTION, IKEV1_GROUP_MODP_2048);
    t->attrs[t->n_attrs++] = ikev1_attr_tv(IKEV1_ATTR_ENCAPSULATION, IKEV1_ENCAP_TRANSPORT);
    t->attrs[t->n_attrs++] = ikev1_attr_tv(IKEV1_ATTR_AUTH_ALGORITHM, IKEV1_AUTH_HMAC_SHA);
    t->attrs[t->n_attrs++] = ikev1_attr_tv(IKEV1_ATTR_IPSEC_KEY_LENGTH, 128);
}

/* Derive a party's ISAKMP SA keys from its DH value and the peer's public value. */
static void
derive_phase1(struct party *p, const uint8_t *peer_public, const uint8_t *ni, const uint8_t *nr,
              uint64_t cky_i, uint64_t cky_r)
{
    uint8_t shared[IKEV2_MAX_DH_SECRET];
    size_t shared_len = 0;
    check_ikev2("phase-1 shared secret",
                ikev2_dh_shared(&p->dh, peer_public, 256, shared, &shared_len));
    check_ikev1("phase-1 key derivation",
                ikev1_derive_keys(IKEV1_HASH_SHA, (const uint8_t *)psk, strlen(psk), ni, NONCE_LEN,
                                  nr, NONCE_LEN, shared, shared_len, cky_i, cky_r, 16, &p->keys));
    OPENSSL_cleanse(shared, sizeof shared);
}

/* Compare a received hash with the value this party computes. */
static void
expect_hash(const char *what, const uint8_t *received, size_t received_len, const uint8_t *computed,
            size_t computed_len)
{
    if (received_len != computed_len || CRYPTO_memcmp(received, computed, computed_len) != 0)
        fail(what, "the received hash differs from the computed one");
}

/* ---- the exchanges ---- */

struct run {
    struct capture cap;
    struct party mn, ha;
    uint64_t cky_i, cky_r;
    uint8_t wire[PACKET_CAP];
    struct ikev1_msg out, in;
};

/* Aggressive mode (RFC 2409 §5.4), initiated by the mobile node from its care-of address. */
static void
aggressive_mode(struct run *r)
{
    struct party *mn = &r->mn, *ha = &r->ha;
    struct ikev1_parts parts;
    uint8_t sai_b[IKEV1_MAX_MSG_LEN], computed[IKEV1_MAX_PRF_LEN];
    size_t sai_b_len = 0;

    /* 1. HDR, SA, KE, Ni, IDii */
    memset(&r->out, 0, sizeof r->out);
    r->out.hdr.cky_i = r->cky_i;
    r->out.hdr.exchange = IKEV1_AGGRESSIVE;
    r->out.has_sa = true;
    phase1_proposal(&r->out.sa);
    r->out.has_ke = true;
    r->out.ke.len = mn->dh.public_len;
    memcpy(r->out.ke.data, mn->dh.public_value, mn->dh.public_len);
    r->out.has_nonce = true;
    r->out.nonce_len = NONCE_LEN;
    memcpy(r->out.nonce, mn->nonce, NONCE_LEN);
    r->out.n_ids = 1;
    set_id_fqdn(&r->out.ids[0], "mn1.home.example");
    struct wr w = wr_init(r->wire, sizeof r->wire);
    check_ikev1("encoding aggressive mode 1", ikev1_encode(&r->out, NULL, &w, &parts));
    sai_b_len = parts.sa_body.len;
    memcpy(sai_b, r->wire + parts.sa_body.offset, sai_b_len);
    struct ikev1_id idii = r->out.ids[0];
    transfer(&r->cap, mn, ha, r->wire, w.pos, NULL, &r->in);

    /* The home agent keeps the initiator's values it needs for HASH_R and HASH_I. */
    static struct ikev1_msg first;
    first = r->in;
    derive_phase1(ha, first.ke.data, first.nonce, ha->nonce, r->cky_i, r->cky_r);

    /* 2. HDR, SA, KE, Nr, IDir, HASH_R */
    memset(&r->out, 0, sizeof r->out);
    r->out.hdr.cky_i = r->cky_i;
    r->out.hdr.cky_r = r->cky_r;
    r->out.hdr.exchange = IKEV1_AGGRESSIVE;
    r->out.has_sa = true;
    r->out.sa = first.sa; /* the single offered transform, accepted */
    r->out.has_ke = true;
    r->out.ke.len = ha->dh.public_len;
    memcpy(r->out.ke.data, ha->dh.public_value, ha->dh.public_len);
    r->out.has_nonce = true;
    r->out.nonce_len = NONCE_LEN;
    memcpy(r->out.nonce, ha->nonce, NONCE_LEN);
    r->out.n_ids = 1;
    set_id_fqdn(&r->out.ids[0], "ha.home.example");
    r->out.has_hash = true;
    r->out.hash_len = ha->keys.prf_len;
    check_ikev1("HASH_R", ikev1_hash_r(&ha->keys, first.ke.data, first.ke.len, ha->dh.public_value,
                                       ha->dh.public_len, r->cky_i, r->cky_r,
                                       ikev1_span_ptr(&first, first.parts.sa_body),
                                       first.parts.sa_body.len, &r->out.ids[0], r->out.hash));
    struct ikev1_id idir = r->out.ids[0];
    w = wr_init(r->wire, sizeof r->wire);
    check_ikev1("encoding aggressive mode 2", ikev1_encode(&r->out, NULL, &w, NULL));
    transfer(&r->cap, ha, mn, r->wire, w.pos, NULL, &r->in);

    /* The mobile node derives the same keys and checks HASH_R. */
    r->cky_r = r->in.hdr.cky_r;
    derive_phase1(mn, r->in.ke.data, mn->nonce, r->in.nonce, r->cky_i, r->cky_r);
    check_ikev1("HASH_R at the mobile node",
                ikev1_hash_r(&mn->keys, mn->dh.public_value, mn->dh.public_len, r->in.ke.data,
                             r->in.ke.len, r->cky_i, r->cky_r, sai_b, sai_b_len, &idir, computed));
    expect_hash("checking HASH_R", r->in.hash, r->in.hash_len, computed, mn->keys.prf_len);

    /* Phase 1 encrypts nothing, so its CBC state stays at hash(g^xi | g^xr) (RFC 2409
     * Appendix B), which both sides compute from the public values. */
    check_ikev1("phase-1 IV at the mobile node",
                ikev1_phase1_iv(IKEV1_HASH_SHA, mn->dh.public_value, mn->dh.public_len,
                                r->in.ke.data, r->in.ke.len, mn->last_phase1_block));
    check_ikev1("phase-1 IV at the home agent",
                ikev1_phase1_iv(IKEV1_HASH_SHA, first.ke.data, first.ke.len, ha->dh.public_value,
                                ha->dh.public_len, ha->last_phase1_block));

    /* 3. HDR, HASH_I */
    memset(&r->out, 0, sizeof r->out);
    r->out.hdr.cky_i = r->cky_i;
    r->out.hdr.cky_r = r->cky_r;
    r->out.hdr.exchange = IKEV1_AGGRESSIVE;
    r->out.has_hash = true;
    r->out.hash_len = mn->keys.prf_len;
    check_ikev1("HASH_I", ikev1_hash_i(&mn->keys, mn->dh.public_value, mn->dh.public_len,
                                       r->in.ke.data, r->in.ke.len, r->cky_i, r->cky_r, sai_b,
                                       sai_b_len, &idii, r->out.hash));
    w = wr_init(r->wire, sizeof r->wire);
    check_ikev1("encoding aggressive mode 3", ikev1_encode(&r->out, NULL, &w, NULL));
    transfer(&r->cap, mn, ha, r->wire, w.pos, NULL, &r->in);

    check_ikev1("HASH_I at the home agent",
                ikev1_hash_i(&ha->keys, first.ke.data, first.ke.len, ha->dh.public_value,
                             ha->dh.public_len, r->cky_i, r->cky_r,
                             ikev1_span_ptr(&first, first.parts.sa_body), first.parts.sa_body.len,
                             &first.ids[0], computed));
    expect_hash("checking HASH_I", r->in.hash, r->in.hash_len, computed, ha->keys.prf_len);
}

/* The payloads both quick mode messages 1 and 2 carry, from party p. */
static void
quick_mode_body(struct run *r, const struct party *p, const uint8_t *nonce)
{
    uint8_t home_address[16], home_agent[16];
    ip6_addr_from_text(home_address_text, home_address);
    ip6_addr_from_text(home_agent_text, home_agent);

    memset(&r->out, 0, sizeof r->out);
    r->out.hdr.cky_i = r->cky_i;
    r->out.hdr.cky_r = r->cky_r;
    r->out.hdr.exchange = IKEV1_QUICK_MODE;
    r->out.hdr.message_id = QUICK_MODE_ID;
    r->out.has_hash = true;
    r->out.has_sa = true;
    esp_proposal(&r->out.sa, p->spi);
    r->out.has_nonce = true;
    r->out.nonce_len = NONCE_LEN;
    memcpy(r->out.nonce, nonce, NONCE_LEN);
    r->out.has_ke = true;
    r->out.ke.len = p->qm_dh.public_len;
    memcpy(r->out.ke.data, p->qm_dh.public_value, p->qm_dh.public_len);
    /* RFC 3776 §4.4: the client identities are the home address and the home agent. */
    r->out.n_ids = 2;
    set_id_ipv6(&r->out.ids[0], home_address);
    set_id_ipv6(&r->out.ids[1], home_agent);
}

static uint32_t
proposal_spi(const struct ikev1_msg *m)
{
    struct rd rd = rd_init(m->sa.proposals[0].spi, 4);
    return rd_u32(&rd);
}

/* ESP keys of both SAs as one party computes them. */
static void
derive_esp(struct party *p, const uint8_t *peer_qm_public, const uint8_t *ni, const uint8_t *nr,
           uint32_t spi_at_mn, uint32_t spi_at_ha, struct ikev1_esp_keys keys[2])
{
    uint8_t shared[IKEV2_MAX_DH_SECRET];
    size_t shared_len = 0;
    check_ikev2("quick mode shared secret",
                ikev2_dh_shared(&p->qm_dh, peer_qm_public, 256, shared, &shared_len));
    check_ikev1("KEYMAT of the SA to the mobile node",
                ikev1_derive_esp_keys(&p->keys, shared, shared_len, spi_at_mn, ni, NONCE_LEN, nr,
                                      NONCE_LEN, &keys[0]));
    check_ikev1("KEYMAT of the SA to the home agent",
                ikev1_derive_esp_keys(&p->keys, shared, shared_len, spi_at_ha, ni, NONCE_LEN, nr,
                                      NONCE_LEN, &keys[1]));
    OPENSSL_cleanse(shared, sizeof shared);
}

/* Quick mode with PFS (RFC 2409 §5.5) under the ISAKMP SA of aggressive_mode. */
static void
quick_mode(struct run *r)
{
    struct party *mn = &r->mn, *ha = &r->ha;
    struct ikev1_parts parts;
    uint8_t computed[IKEV1_MAX_PRF_LEN], ha_peer_ke[256], mn_peer_ke[256];

    /* Each side starts from hash(last phase-1 CBC block | M-ID) (RFC 2409 Appendix B). */
    check_ikev1("quick mode IV at the mobile node",
                ikev1_phase2_iv(IKEV1_HASH_SHA, mn->last_phase1_block, QUICK_MODE_ID, mn->iv));
    check_ikev1("quick mode IV at the home agent",
                ikev1_phase2_iv(IKEV1_HASH_SHA, ha->last_phase1_block, QUICK_MODE_ID, ha->iv));

    /* 1. HDR*, HASH(1), SA, Ni, KE, IDci, IDcr */
    quick_mode_body(r, mn, mn->qm_nonce);
    struct ikev1_cipher cipher = ikev1_cipher_for(&mn->keys, mn->iv);
    struct wr w = wr_init(r->wire, sizeof r->wire);
    check_ikev1("encoding quick mode 1",
                ikev1_encode_hashed(&r->out, &mn->keys, NULL, 0, &cipher, &w, &parts));
    memcpy(mn->iv, parts.last_block, IKEV1_BLOCK_LEN);
    cipher = ikev1_cipher_for(&ha->keys, ha->iv);
    transfer(&r->cap, mn, ha, r->wire, w.pos, &cipher, &r->in);
    memcpy(ha->iv, r->in.parts.last_block, IKEV1_BLOCK_LEN);
    check_ikev1("checking HASH(1)", ikev1_check_hash(&r->in, &ha->keys, NULL, 0));
    uint8_t ni_b[NONCE_LEN];
    memcpy(ni_b, r->in.nonce, NONCE_LEN);
    memcpy(ha_peer_ke, r->in.ke.data, 256);
    uint32_t spi_at_mn = proposal_spi(&r->in);

    /* 2. HDR*, HASH(2), SA, Nr, KE, IDci, IDcr */
    quick_mode_body(r, ha, ha->qm_nonce);
    cipher = ikev1_cipher_for(&ha->keys, ha->iv);
    w = wr_init(r->wire, sizeof r->wire);
    check_ikev1("encoding quick mode 2",
                ikev1_encode_hashed(&r->out, &ha->keys, ni_b, NONCE_LEN, &cipher, &w, &parts));
    memcpy(ha->iv, parts.last_block, IKEV1_BLOCK_LEN);
    cipher = ikev1_cipher_for(&mn->keys, mn->iv);
    transfer(&r->cap, ha, mn, r->wire, w.pos, &cipher, &r->in);
    memcpy(mn->iv, r->in.parts.last_block, IKEV1_BLOCK_LEN);
    check_ikev1("checking HASH(2)", ikev1_check_hash(&r->in, &mn->keys, mn->qm_nonce, NONCE_LEN));
    uint8_t nr_b[NONCE_LEN];
    memcpy(nr_b, r->in.nonce, NONCE_LEN);
    memcpy(mn_peer_ke, r->in.ke.data, 256);
    uint32_t spi_at_ha = proposal_spi(&r->in);

    /* 3. HDR*, HASH(3) */
    memset(&r->out, 0, sizeof r->out);
    r->out.hdr.cky_i = r->cky_i;
    r->out.hdr.cky_r = r->cky_r;
    r->out.hdr.exchange = IKEV1_QUICK_MODE;
    r->out.hdr.message_id = QUICK_MODE_ID;
    r->out.has_hash = true;
    r->out.hash_len = mn->keys.prf_len;
    check_ikev1("HASH(3)", ikev1_qm_hash3(&mn->keys, QUICK_MODE_ID, mn->qm_nonce, NONCE_LEN, nr_b,
                                          NONCE_LEN, r->out.hash));
    cipher = ikev1_cipher_for(&mn->keys, mn->iv);
    w = wr_init(r->wire, sizeof r->wire);
    check_ikev1("encoding quick mode 3", ikev1_encode(&r->out, &cipher, &w, NULL));
    cipher = ikev1_cipher_for(&ha->keys, ha->iv);
    transfer(&r->cap, mn, ha, r->wire, w.pos, &cipher, &r->in);
    check_ikev1("HASH(3) at the home agent",
                ikev1_qm_hash3(&ha->keys, QUICK_MODE_ID, ni_b, NONCE_LEN, ha->qm_nonce, NONCE_LEN,
                               computed));
    expect_hash("checking HASH(3)", r->in.hash, r->in.hash_len, computed, ha->keys.prf_len);

    /* Both sides must arrive at the same ESP keys for both SAs. */
    struct ikev1_esp_keys at_mn[2], at_ha[2];
    derive_esp(mn, mn_peer_ke, mn->qm_nonce, nr_b, mn->spi, spi_at_ha, at_mn);
    derive_esp(ha, ha_peer_ke, ni_b, ha->qm_nonce, spi_at_mn, ha->spi, at_ha);
    if (CRYPTO_memcmp(at_mn, at_ha, sizeof at_mn) != 0)
        fail("comparing KEYMAT", "the two sides derived different ESP keys");
    printf("spi_to_mobile_node=0x%08x\nspi_to_home_agent=0x%08x\n", spi_at_mn, spi_at_ha);
}

static void
write_uat(const char *path, uint64_t cky_i, const struct ikev1_keys *keys)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        fail("opening the UAT file", path);
    fprintf(f, "%016llx,", (unsigned long long)cky_i);
    for (uint8_t i = 0; i < keys->enc_key_len; i++)
        fprintf(f, "%02x", keys->enc_key[i]);
    fprintf(f, "\n");
    if (fclose(f) != 0)
        fail("writing the UAT file", path);
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s OUT.pcap UAT_FILE\n", argv[0]);
        return 2;
    }

    static struct run r;
    party_init(&r.mn, "mobile node", care_of_text);
    party_init(&r.ha, "home agent", home_agent_text);
    r.cky_i = pseudo_random_u64("initiator cookie");
    r.cky_r = pseudo_random_u64("responder cookie");
    capture_open(&r.cap, argv[1]);

    aggressive_mode(&r);
    quick_mode(&r);

    if (fclose(r.cap.file) != 0)
        fail("writing the pcap file", argv[1]);
    write_uat(argv[2], r.cky_i, &r.mn.keys);
    printf("initiator_cookie=%016llx\n", (unsigned long long)r.cky_i);
    printf("care_of_address=%s\nhome_agent=%s\nhome_address=%s\n", care_of_text, home_agent_text,
           home_address_text);
    ikev2_dh_free(&r.mn.dh);
    ikev2_dh_free(&r.mn.qm_dh);
    ikev2_dh_free(&r.ha.dh);
    ikev2_dh_free(&r.ha.qm_dh);
    return 0;
}
