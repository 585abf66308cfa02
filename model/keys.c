/*
 * keys.c - manually keyed SAs between a mobile node and its home agent
 * (RFC 3776 §5.2.1, §5.2.3), key derivation for simulations, and the export of
 * SAs for Wireshark.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ha.h"
#include "mn.h"
#include "spdconf_preset.h"

/* Selectors for MH traffic between two single addresses. */
static struct ipsec_selector
mh_selector(const uint8_t src[16], const uint8_t dst[16])
{
    struct ipsec_selector sel = {.src_len = 128, .dst_len = 128, .proto = IP6_NH_MOBILITY};
    memcpy(sel.src, src, 16);
    memcpy(sel.dst, dst, 16);
    return sel;
}

/* Selectors for ICMPv6 traffic between two single addresses: every ICMPv6
 * type, as in RFC 3776 §5.2.3, which has no type selector. */
static struct ipsec_selector
icmp6_selector(const uint8_t src[16], const uint8_t dst[16])
{
    struct ipsec_selector sel = {.src_len = 128, .dst_len = 128, .proto = IP6_NH_ICMPV6};
    memcpy(sel.src, src, 16);
    memcpy(sel.dst, dst, 16);
    return sel;
}

/* Add one SA and the SPD entry that uses it to a node's databases. */
static int
add_protected(struct mip6_node *n, const char *name, enum ipsec_dir dir,
              const struct ipsec_selector *sel, const struct ipsec_keys *keys, char *err,
              size_t err_len)
{
    struct ipsec_sa *sa =
        ipsec_sa_add(&n->ipsec, name, dir, IPSEC_TRANSPORT, sel, keys, err, err_len);
    if (!sa)
        return -1;
    if (!ipsec_policy_add(&n->ipsec, dir, sel, IPSEC_PROTECT, sa)) {
        snprintf(err, err_len, "out of memory adding the policy for %s", name);
        return -1;
    }
    return 0;
}

int
mip6_manual_sas(struct mip6_mn *mn, struct mip6_ha *ha, const struct mip6_keys *keys, char *err,
                size_t err_len)
{
    const uint8_t *hoa = mn->cfg.home_address;
    const uint8_t *ha_addr = ha->cfg.address;

    /* RFC 3776 §4.3: BU and BA SAs need a non-null authentication algorithm. */
    if (keys->auth == ESP_AUTH_NULL) {
        snprintf(err, err_len,
                 "BU/BA SAs need an authentication algorithm (RFC 3776 section "
                 "4.3); use HMAC-SHA1-96");
        return -1;
    }
    /* RFC 3776 §4.3: so do the prefix discovery SAs. */
    if (keys->prefix_auth == ESP_AUTH_NULL) {
        snprintf(err, err_len,
                 "prefix discovery SAs need an authentication algorithm (RFC 3776 section "
                 "4.3); set prefix_auth to HMAC-SHA1-96");
        return -1;
    }
    if (memcmp(mn->cfg.home_agent, ha_addr, 16) != 0) {
        snprintf(err, err_len,
                 "the mobile node's home agent address differs from this home "
                 "agent's address; configure the same address on both");
        return -1;
    }

    struct ipsec_selector up = mh_selector(hoa, ha_addr);
    struct ipsec_selector down = mh_selector(ha_addr, hoa);
    struct ipsec_keys sa1 = {keys->spi_mn_to_ha, keys->enc, keys->enc_key_mn_to_ha, keys->auth,
                             keys->auth_key_mn_to_ha};
    struct ipsec_keys sa2 = {keys->spi_ha_to_mn, keys->enc, keys->enc_key_ha_to_mn, keys->auth,
                             keys->auth_key_ha_to_mn};

    /* RFC 3776 §5.2.1: SA1 carries BUs from the mobile node, SA2 BAs to it. */
    if (add_protected(&mn->node, "SA1", IPSEC_OUT, &up, &sa1, err, err_len) < 0 ||
        add_protected(&mn->node, "SA2", IPSEC_IN, &down, &sa2, err, err_len) < 0 ||
        add_protected(&ha->node, "SA2", IPSEC_OUT, &down, &sa2, err, err_len) < 0 ||
        add_protected(&ha->node, "SA1", IPSEC_IN, &up, &sa1, err, err_len) < 0)
        return -1;

    struct ipsec_selector mps = icmp6_selector(hoa, ha_addr);
    struct ipsec_selector mpa = icmp6_selector(ha_addr, hoa);
    struct ipsec_keys sa5 = {keys->spi_mps, keys->prefix_enc, keys->enc_key_mps, keys->prefix_auth,
                             keys->auth_key_mps};
    struct ipsec_keys sa6 = {keys->spi_mpa, keys->prefix_enc, keys->enc_key_mpa, keys->prefix_auth,
                             keys->auth_key_mpa};

    /* RFC 3776 §5.2.3: SA5 carries MPSs from the mobile node, SA6 MPAs to
     * it.  Their entries follow the BU/BA ones, as in the RFC's tables. */
    if (add_protected(&mn->node, "SA5", IPSEC_OUT, &mps, &sa5, err, err_len) < 0 ||
        add_protected(&mn->node, "SA6", IPSEC_IN, &mpa, &sa6, err, err_len) < 0 ||
        add_protected(&ha->node, "SA6", IPSEC_OUT, &mpa, &sa6, err, err_len) < 0 ||
        add_protected(&ha->node, "SA5", IPSEC_IN, &mps, &sa5, err, err_len) < 0)
        return -1;
    return 0;
}

/* An inbound SA of conf whose SPI db already uses, or NULL. */
static const struct spdconf_sa *
spi_in_use(const struct spdconf *conf, const struct ipsec_db *db)
{
    for (size_t i = 0; i < conf->n_sas; i++)
        if (conf->sas[i].dir == IPSEC_IN && ipsec_sa_by_spi(db, conf->sas[i].spi))
            return &conf->sas[i];
    return NULL;
}

/* Build both sides, check them against both databases, then install. */
static int
install_tunnel_presets(struct mip6_mn *mn, struct mip6_ha *ha, const struct spdconf_preset *mn_side,
                       const struct spdconf_preset *ha_side, char *err, size_t err_len)
{
    struct spdconf mn_conf, ha_conf;
    struct spdconf_error e = {0};
    const struct spdconf_sa *used = NULL;

    spdconf_init(&mn_conf);
    spdconf_init(&ha_conf);
    enum spdconf_status st = spdconf_preset_build(mn_side, SPDCONF_MOBILE_NODE, &mn_conf, &e);
    if (st == SPDCONF_OK)
        st = spdconf_preset_build(ha_side, SPDCONF_HOME_AGENT, &ha_conf, &e);
    if (st == SPDCONF_OK) {
        used = spi_in_use(&mn_conf, &mn->node.ipsec);
        if (!used)
            used = spi_in_use(&ha_conf, &ha->node.ipsec);
    }
    if (st == SPDCONF_OK && !used)
        st = spdconf_install(&mn_conf, &mn->node.ipsec, "mobile node", &e);
    if (st == SPDCONF_OK && !used)
        st = spdconf_install(&ha_conf, &ha->node.ipsec, "home agent", &e);

    /* used points into a conf, so the message is written before the frees. */
    if (used)
        snprintf(err, err_len,
                 "tunnel SAs: inbound SPI 0x%x of %s is already in use; give each mobile node "
                 "its own mn_index",
                 (unsigned)used->spi, used->name);
    else if (st != SPDCONF_OK)
        snprintf(err, err_len, "tunnel SAs: %s", e.message);
    spdconf_free(&mn_conf);
    spdconf_free(&ha_conf);
    return used || st != SPDCONF_OK ? -1 : 0;
}

int
mip6_tunnel_sas(struct mip6_mn *mn, struct mip6_ha *ha, const struct mip6_tunnel_keys *keys,
                char *err, size_t err_len)
{
    const uint8_t *hoa = mn->cfg.home_address;
    struct spdconf_preset preset, mn_side, ha_side;

    if (keys->protect == MIP6_TUNNEL_ESP_NONE)
        return 0;
    if (keys->protect != MIP6_TUNNEL_ESP_RR && keys->protect != MIP6_TUNNEL_ESP_ALL) {
        snprintf(err, err_len,
                 "tunnel SAs: invalid protection %d; use MIP6_TUNNEL_ESP_NONE, "
                 "MIP6_TUNNEL_ESP_RR or MIP6_TUNNEL_ESP_ALL",
                 (int)keys->protect);
        return -1;
    }
    if (memcmp(mn->cfg.home_agent, ha->cfg.address, 16) != 0) {
        snprintf(err, err_len,
                 "tunnel SAs: the mobile node's home agent address differs from this home "
                 "agent's address; configure the same address on both");
        return -1;
    }

    /* RFC 3776 §5.2.2 (SA3, SA4) and §5.2.4 (SA7, SA8).  The preset's
     * check rejects NULL algorithms for them (§4.3). */
    spdconf_preset_init(&preset, hoa, ha->cfg.address, keys->seed, keys->mn_index);
    preset.parts = SPDCONF_PART_RR;
    if (keys->protect == MIP6_TUNNEL_ESP_ALL)
        preset.parts |= SPDCONF_PART_PAYLOAD;
    for (unsigned k = 0; k < SPDCONF_PRESET_SAS; k++) {
        preset.sa[k].enc = keys->enc;
        preset.sa[k].auth = keys->auth;
    }

    /* RFC 3776 §4.2: each side's tunnel entries start active only while
     * the tunnel is up there, and the SA end at the mobile node starts at
     * the care-of address known on that side. */
    mn_side = preset;
    mn_side.at_home = mn->state == MN_AT_HOME || mn->state == MN_DEREGISTERING;
    mn_side.care_of_known = mn->tunnel_up;
    memcpy(mn_side.care_of, mn->tunnel_src, 16);
    ha_side = preset;
    const struct mip6_binding *b = mip6_ha_binding(ha, hoa);
    ha_side.at_home = b == NULL;
    if (b) {
        ha_side.care_of_known = true;
        memcpy(ha_side.care_of, b->coa, 16);
    }

    int rc = install_tunnel_presets(mn, ha, &mn_side, &ha_side, err, err_len);
    OPENSSL_cleanse(&preset, sizeof preset);
    OPENSSL_cleanse(&mn_side, sizeof mn_side);
    OPENSSL_cleanse(&ha_side, sizeof ha_side);
    return rc;
}

/* Fill out with bytes derived from seed, index and label by SHA-256. */
static void
derive(uint8_t *out, size_t len, uint64_t seed, uint32_t index, const char *label)
{
    uint8_t input[64], digest[32];
    unsigned digest_len = 0;
    size_t n = 0;

    for (int i = 7; i >= 0; i--)
        input[n++] = (uint8_t)(seed >> (8 * i));
    for (int i = 3; i >= 0; i--)
        input[n++] = (uint8_t)(index >> (8 * i));
    size_t label_len = strlen(label) < sizeof input - n ? strlen(label) : sizeof input - n;
    memcpy(input + n, label, label_len);
    n += label_len;
    EVP_Digest(input, n, digest, &digest_len, EVP_sha256(), NULL);
    memcpy(out, digest, len < sizeof digest ? len : sizeof digest);
}

void
mip6_keys_derive(struct mip6_keys *keys, uint64_t seed, uint32_t mn_index, enum esp_enc_alg enc,
                 enum esp_auth_alg auth)
{
    memset(keys, 0, sizeof *keys);
    /* Readable SPIs, distinct per mobile node and above the reserved range. */
    keys->spi_mn_to_ha = 0x1000 + 2 * mn_index;
    keys->spi_ha_to_mn = 0x1000 + 2 * mn_index + 1;
    keys->enc = enc;
    keys->auth = auth;
    derive(keys->enc_key_mn_to_ha, sizeof keys->enc_key_mn_to_ha, seed, mn_index, "enc mn-ha");
    derive(keys->enc_key_ha_to_mn, sizeof keys->enc_key_ha_to_mn, seed, mn_index, "enc ha-mn");
    derive(keys->auth_key_mn_to_ha, sizeof keys->auth_key_mn_to_ha, seed, mn_index, "auth mn-ha");
    derive(keys->auth_key_ha_to_mn, sizeof keys->auth_key_ha_to_mn, seed, mn_index, "auth ha-mn");

    /* SA5 and SA6 take the SPIs and keys that spdconf_preset_init gives
     * them, so a text SPD built from the preset with the same seed and
     * index describes the same SAs.  The preset's keys do not depend on
     * the addresses. */
    static const uint8_t unused[16];
    struct spdconf_preset preset;
    spdconf_preset_init(&preset, unused, unused, seed, mn_index);
    const struct spdconf_preset_sa *sa5 = &preset.sa[4], *sa6 = &preset.sa[5];
    keys->spi_mps = sa5->spi;
    keys->spi_mpa = sa6->spi;
    keys->prefix_enc = enc;
    keys->prefix_auth = auth;
    memcpy(keys->enc_key_mps, sa5->enc_key, sizeof keys->enc_key_mps);
    memcpy(keys->enc_key_mpa, sa6->enc_key, sizeof keys->enc_key_mpa);
    memcpy(keys->auth_key_mps, sa5->auth_key, sizeof keys->auth_key_mps);
    memcpy(keys->auth_key_mpa, sa6->auth_key, sizeof keys->auth_key_mpa);
    OPENSSL_cleanse(&preset, sizeof preset);
}

static void
print_hex(FILE *f, const uint8_t *bytes, size_t len)
{
    fputs("0x", f);
    for (size_t i = 0; i < len; i++)
        fprintf(f, "%02x", bytes[i]);
}

void
mip6_write_esp_sa_record(FILE *f, const struct ipsec_sa *sa)
{
    char src[IP6_ADDR_TEXT_LEN] = "*", dst[IP6_ADDR_TEXT_LEN] = "*";

    /* One record in the 8-column form of Wireshark 4.0's esp_sa table.
     * Wireshark looks transport SAs up by home addresses, as RFC 3776
     * does.  It looks tunnel SAs up by their outer addresses, which follow
     * the care-of address, so those get "*" and match by SPI. */
    if (sa->mode == IPSEC_TRANSPORT) {
        ip6_addr_to_text(sa->sel.src, src, sizeof src);
        ip6_addr_to_text(sa->sel.dst, dst, sizeof dst);
    }
    fprintf(f, "\"IPv6\",\"%s\",\"%s\",\"0x%08x\",", src, dst, sa->esp.spi);
    if (sa->esp.enc == ESP_ENC_AES_128_CBC) {
        fputs("\"AES-CBC [RFC3602]\",\"", f);
        print_hex(f, sa->esp.enc_key, ESP_AES_KEY_LEN);
        fputs("\",", f);
    } else {
        fputs("\"NULL\",\"\",", f);
    }
    if (sa->esp.auth == ESP_AUTH_HMAC_SHA1_96) {
        fputs("\"HMAC-SHA-1-96 [RFC2404]\",\"", f);
        print_hex(f, sa->esp.auth_key, ESP_HMAC_SHA1_KEY_LEN);
        fputs("\"\n", f);
    } else {
        fputs("\"NULL\",\"\"\n", f);
    }
}

int
mip6_export_esp_sas(const struct mip6_mn *mn, const char *path, int append, char *err,
                    size_t err_len)
{
    FILE *f = fopen(path, append ? "a" : "w");

    if (!f) {
        snprintf(err, err_len, "cannot write ESP SA file %s: %s", path, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < mn->node.ipsec.n_sas; i++)
        mip6_write_esp_sa_record(f, mn->node.ipsec.sas[i]);
    if (fclose(f) != 0) {
        snprintf(err, err_len, "cannot write ESP SA file %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

void
mip6_ike_identity_derive(struct mip6_ike_config *cfg, uint64_t seed, uint32_t mn_index)
{
    snprintf(cfg->identity, sizeof cfg->identity, "mn%u.home.example", mn_index);
    derive(cfg->psk, 32, seed, mn_index, "ike psk");
    cfg->psk_len = 32;
    derive(cfg->mn_sign_key, sizeof cfg->mn_sign_key, seed, mn_index, "ike ed25519");
    derive(cfg->ha_sign_key, sizeof cfg->ha_sign_key, seed, 0, "ike ed25519 home agent");
}

/* ----- SPD/SAD files (docs/spd-format.md) ----- */

static int
load_spd(struct mip6_node *n, const char *path, char *err, size_t err_len)
{
    struct spdconf_error e = {0};

    if (spdconf_load_file(&n->ipsec, path, &e) != SPDCONF_OK) {
        snprintf(err, err_len, "%s", e.message);
        return -1;
    }
    return 0;
}

static int
write_spd(const struct mip6_node *n, const char *path, char *err, size_t err_len)
{
    struct spdconf_error e = {0};

    if (spdconf_write_file(&n->ipsec, path, &e) != SPDCONF_OK) {
        snprintf(err, err_len, "%s", e.message);
        return -1;
    }
    return 0;
}

int
mip6_mn_load_spd(struct mip6_mn *mn, const char *path, char *err, size_t err_len)
{
    return load_spd(&mn->node, path, err, err_len);
}

int
mip6_ha_load_spd(struct mip6_ha *ha, const char *path, char *err, size_t err_len)
{
    return load_spd(&ha->node, path, err, err_len);
}

int
mip6_mn_write_spd(const struct mip6_mn *mn, const char *path, char *err, size_t err_len)
{
    return write_spd(&mn->node, path, err, err_len);
}

int
mip6_ha_write_spd(const struct mip6_ha *ha, const char *path, char *err, size_t err_len)
{
    return write_spd(&ha->node, path, err, err_len);
}
