/*
 * keys.c - manually keyed SAs between a mobile node and its home agent
 * (RFC 3776 §5.2.1), key derivation for simulations, and the export of
 * SAs for Wireshark.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "ha.h"
#include "mn.h"

/* Selectors for MH traffic between two single addresses. */
static struct ipsec_selector
mh_selector(const uint8_t src[16], const uint8_t dst[16])
{
    struct ipsec_selector sel = {.src_len = 128, .dst_len = 128, .proto = IP6_NH_MOBILITY};
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
    return 0;
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
}

static void
print_hex(FILE *f, const uint8_t *bytes, size_t len)
{
    fputs("0x", f);
    for (size_t i = 0; i < len; i++)
        fprintf(f, "%02x", bytes[i]);
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
    /* One record per SA in the 8-column form of Wireshark 4.0's esp_sa
     * table.  Wireshark looks SAs up by home addresses, as RFC 3776 does. */
    for (size_t i = 0; i < mn->node.ipsec.n_sas; i++) {
        const struct ipsec_sa *sa = mn->node.ipsec.sas[i];
        char src[IP6_ADDR_TEXT_LEN], dst[IP6_ADDR_TEXT_LEN];

        ip6_addr_to_text(sa->sel.src, src, sizeof src);
        ip6_addr_to_text(sa->sel.dst, dst, sizeof dst);
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
    if (fclose(f) != 0) {
        snprintf(err, err_len, "cannot write ESP SA file %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
