/*
 * spdconf_preset.c - the RFC 3776 §5.2 manual-keying configurations.
 */
#define _POSIX_C_SOURCE 200809L /* strnlen */

#include "spdconf_preset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ipv6.h"
#include "mh.h"

#define ICMP6_MPS 146 /* Mobile Prefix Solicitation, RFC 6275 §6.7 */
#define ICMP6_MPA 147 /* Mobile Prefix Advertisement, RFC 6275 §6.8 */
#define SOURCE "preset"

/* One SA of RFC 3776 §5.2 and the policy that uses it on either side. */
struct sa_template {
    unsigned part;
    bool from_mn; /* mobile node to home agent: out at the MN, in at the HA */
    enum ipsec_mode mode;
    int proto;            /* 0 for the payload protocol X */
    uint8_t rfc4877_type; /* MH type or ICMPv6 type of the RFC 4877 variant */
};

/* SA1 to SA8 in RFC 3776 §5.2 order. */
static const struct sa_template templates[SPDCONF_PRESET_SAS] = {
    {SPDCONF_PART_BU_BA, true, IPSEC_TRANSPORT, IP6_NH_MOBILITY, MH_BU},
    {SPDCONF_PART_BU_BA, false, IPSEC_TRANSPORT, IP6_NH_MOBILITY, MH_BA},
    {SPDCONF_PART_RR, true, IPSEC_TUNNEL, IP6_NH_MOBILITY, MH_HOTI},
    {SPDCONF_PART_RR, false, IPSEC_TUNNEL, IP6_NH_MOBILITY, MH_HOT},
    {SPDCONF_PART_PREFIX, true, IPSEC_TRANSPORT, IP6_NH_ICMPV6, ICMP6_MPS},
    {SPDCONF_PART_PREFIX, false, IPSEC_TRANSPORT, IP6_NH_ICMPV6, ICMP6_MPA},
    {SPDCONF_PART_PAYLOAD, true, IPSEC_TUNNEL, 0, 0},
    {SPDCONF_PART_PAYLOAD, false, IPSEC_TUNNEL, 0, 0},
};

/* Comments that spdconf_format writes before each part; index = SA pair. */
static const char *const sections[2][4] = {
    {
        "RFC 3776 section 5.2.1: Binding Updates and Acknowledgements, transport mode",
        "RFC 3776 section 5.2.2: return routability through the tunnel, tunnel mode",
        "RFC 3776 section 5.2.3: prefix discovery, transport mode",
        "RFC 3776 section 5.2.4: payload through the tunnel, tunnel mode",
    },
    {
        "RFC 3776 section 5.2.1 with RFC 4877 MH types: BU and BA, transport mode",
        "RFC 3776 section 5.2.2 with RFC 4877 MH types: HoTI and HoT, tunnel mode",
        "RFC 3776 section 5.2.3 with RFC 4877 ICMPv6 types: MPS and MPA, transport mode",
        "RFC 3776 section 5.2.4: payload through the tunnel, tunnel mode",
    },
};

/* Fill out with bytes from SHA-256 of seed, mn_index and label. */
static void
derive(uint8_t *out, size_t len, uint64_t seed, uint32_t mn_index, const char *label)
{
    uint8_t input[64], digest[32];
    unsigned digest_len = 0;
    size_t n = 0;

    for (int i = 7; i >= 0; i--)
        input[n++] = (uint8_t)(seed >> (8 * i));
    for (int i = 3; i >= 0; i--)
        input[n++] = (uint8_t)(mn_index >> (8 * i));
    size_t label_len = strlen(label);
    if (label_len > sizeof input - n)
        label_len = sizeof input - n;
    memcpy(input + n, label, label_len);
    n += label_len;
    EVP_Digest(input, n, digest, &digest_len, EVP_sha256(), NULL);
    memcpy(out, digest, len < sizeof digest ? len : sizeof digest);
    OPENSSL_cleanse(digest, sizeof digest);
}

void
spdconf_preset_init(struct spdconf_preset *p, const uint8_t home_address[16],
                    const uint8_t home_agent[16], uint64_t seed, uint32_t mn_index)
{
    memset(p, 0, sizeof *p);
    memcpy(p->home_address, home_address, 16);
    memcpy(p->home_agent, home_agent, 16);
    p->parts = SPDCONF_PARTS_SIGNALLING;
    p->variant = SPDCONF_RFC3776;
    p->payload_proto = IPSEC_PROTO_ANY;

    for (unsigned k = 0; k < SPDCONF_PRESET_SAS; k++) {
        struct spdconf_preset_sa *sa = &p->sa[k];
        char label[32];

        sa->spi = (uint32_t)(SPDCONF_PRESET_SPI_BASE + 8 * (uint64_t)mn_index + k);
        sa->enc = ESP_ENC_AES_128_CBC;
        sa->auth = ESP_AUTH_HMAC_SHA1_96;
        snprintf(label, sizeof label, "preset SA%u enc", k + 1);
        derive(sa->enc_key, sizeof sa->enc_key, seed, mn_index, label);
        snprintf(label, sizeof label, "preset SA%u auth", k + 1);
        derive(sa->auth_key, sizeof sa->auth_key, seed, mn_index, label);
    }
}

/*
 * The selectors of SA k + 1 (RFC 3776 §5.2 tables): transport SAs name
 * both addresses, tunnel SAs name the home address and leave the
 * correspondent's side open.
 */
static struct ipsec_selector
template_selector(const struct spdconf_preset *p, unsigned k)
{
    const struct sa_template *t = &templates[k];
    struct ipsec_selector s = {.proto = t->proto ? t->proto : p->payload_proto};
    bool tunnel = t->mode == IPSEC_TUNNEL;

    s.tunnel_iface = tunnel;
    if (t->from_mn) {
        memcpy(s.src, p->home_address, 16);
        s.src_len = 128;
        memcpy(s.dst, p->home_agent, 16);
        s.dst_len = tunnel ? 0 : 128;
    } else {
        memcpy(s.src, p->home_agent, 16);
        s.src_len = tunnel ? 0 : 128;
        memcpy(s.dst, p->home_address, 16);
        s.dst_len = 128;
    }
    /* A prefix of length 0 is written as "any" only with a zero address. */
    if (s.src_len == 0)
        memset(s.src, 0, 16);
    if (s.dst_len == 0)
        memset(s.dst, 0, 16);

    if (p->variant == SPDCONF_RFC4877 && t->proto == IP6_NH_MOBILITY) {
        s.mh_type_set = true;
        s.mh_type = t->rfc4877_type;
    } else if (p->variant == SPDCONF_RFC4877 && t->proto == IP6_NH_ICMPV6) {
        s.icmp_type_set = true;
        s.icmp_type = t->rfc4877_type;
    }
    return s;
}

static void
make_sa(const struct spdconf_preset *p, enum spdconf_role role, unsigned k, struct spdconf_sa *sa)
{
    const struct sa_template *t = &templates[k];
    const struct spdconf_preset_sa *keys = &p->sa[k];
    const uint8_t *mn_end = p->care_of_known ? p->care_of : p->home_address;

    memset(sa, 0, sizeof *sa);
    snprintf(sa->name, sizeof sa->name, "%sSA%u", p->name_prefix, k + 1);
    sa->dir = t->from_mn == (role == SPDCONF_MOBILE_NODE) ? IPSEC_OUT : IPSEC_IN;
    sa->mode = t->mode;
    sa->sel = template_selector(p, k);
    /* RFC 3776 §3.2, §3.4: the outer header runs between the care-of
     * address and the home agent. */
    if (t->mode == IPSEC_TUNNEL) {
        memcpy(sa->tunnel_src, t->from_mn ? mn_end : p->home_agent, 16);
        memcpy(sa->tunnel_dst, t->from_mn ? p->home_agent : mn_end, 16);
    }
    sa->spi = keys->spi;
    sa->enc = keys->enc;
    sa->auth = keys->auth;
    if (keys->enc != ESP_ENC_NULL)
        memcpy(sa->enc_key, keys->enc_key, sizeof sa->enc_key);
    if (keys->auth != ESP_AUTH_NULL)
        memcpy(sa->auth_key, keys->auth_key, sizeof sa->auth_key);
}

/* The inputs that the configuration itself cannot check. */
static enum spdconf_status
check_preset(const struct spdconf_preset *p, struct spdconf_error *err)
{
    size_t prefix_len = strnlen(p->name_prefix, sizeof p->name_prefix);
    char name[IPSEC_SA_NAME_LEN];

    if (prefix_len == sizeof p->name_prefix)
        return spdconf_set_error(err, SPDCONF_BAD_VALUE, SOURCE, 0,
                                 "name_prefix is not NUL-terminated within %d bytes",
                                 SPDCONF_PRESET_PREFIX_LEN);
    snprintf(name, sizeof name, "%sSA8", p->name_prefix);
    if (!spdconf_valid_name(name))
        return spdconf_set_error(err, SPDCONF_BAD_VALUE, SOURCE, 0,
                                 "name_prefix '%s' gives the invalid SA name '%s'; use letters, "
                                 "digits, '_', '-' or '.', starting with a letter",
                                 p->name_prefix, name);
    if (p->parts & ~(unsigned)SPDCONF_PARTS_ALL)
        return spdconf_set_error(err, SPDCONF_BAD_VALUE, SOURCE, 0,
                                 "parts 0x%x has bits outside SPDCONF_PARTS_ALL (0x%x)", p->parts,
                                 (unsigned)SPDCONF_PARTS_ALL);
    /* RFC 3776 §5.2.4: X should not be ESP or AH, since nested IPsec is not
     * required. */
    if ((p->parts & SPDCONF_PART_PAYLOAD) &&
        (p->payload_proto == IP6_NH_ESP || p->payload_proto == IP6_NH_AH))
        return spdconf_set_error(err, SPDCONF_RULE_VIOLATION, SOURCE, 0,
                                 "payload protocol %d is ESP or AH; RFC 3776 section 5.2.4 says "
                                 "payload entries should not select them, because nested IPsec "
                                 "is not required; choose another protocol or IPSEC_PROTO_ANY",
                                 p->payload_proto);
    if ((p->parts & SPDCONF_PART_PAYLOAD) && p->payload_proto != IPSEC_PROTO_ANY &&
        (p->payload_proto < 0 || p->payload_proto > 255))
        return spdconf_set_error(err, SPDCONF_BAD_VALUE, SOURCE, 0,
                                 "payload protocol %d is outside 0-255 and not IPSEC_PROTO_ANY",
                                 p->payload_proto);
    return SPDCONF_OK;
}

/* Append the SAs, then per part the outbound and the inbound policy. */
static enum spdconf_status
add_entries(const struct spdconf_preset *p, enum spdconf_role role, struct spdconf *conf,
            struct spdconf_error *err)
{
    struct spdconf_sa sa;
    enum spdconf_status st = SPDCONF_OK;

    for (unsigned k = 0; k < SPDCONF_PRESET_SAS && st == SPDCONF_OK; k++) {
        if (!(p->parts & templates[k].part))
            continue;
        make_sa(p, role, k, &sa);
        if (!spdconf_add_sa(conf, &sa))
            st = spdconf_set_error(err, SPDCONF_NO_MEMORY, SOURCE, 0, "out of memory");
    }
    OPENSSL_cleanse(&sa, sizeof sa);

    /* RFC 3776 §5.2: the mobile node lists SA1 out before SA2 in, the
     * home agent SA2 out before SA1 in, and so on for each pair. */
    for (unsigned pair = 0; pair < SPDCONF_PRESET_SAS / 2 && st == SPDCONF_OK; pair++) {
        if (!(p->parts & templates[2 * pair].part))
            continue;
        for (unsigned i = 0; i < 2 && st == SPDCONF_OK; i++) {
            unsigned k = role == SPDCONF_MOBILE_NODE ? 2 * pair + i : 2 * pair + 1 - i;
            const struct sa_template *t = &templates[k];
            struct spdconf_policy policy = {
                .dir = i == 0 ? IPSEC_OUT : IPSEC_IN,
                .sel = template_selector(p, k),
                .action = IPSEC_PROTECT,
                /* RFC 3776 §4.2: tunnel entries are inactive while at home. */
                .active = !(p->at_home && t->mode == IPSEC_TUNNEL),
                .section = sections[p->variant == SPDCONF_RFC4877][pair],
            };
            snprintf(policy.sa_name, sizeof policy.sa_name, "%sSA%u", p->name_prefix, k + 1);
            if (!spdconf_add_policy(conf, &policy))
                st = spdconf_set_error(err, SPDCONF_NO_MEMORY, SOURCE, 0, "out of memory");
        }
    }
    return st;
}

enum spdconf_status
spdconf_preset_build(const struct spdconf_preset *p, enum spdconf_role role, struct spdconf *conf,
                     struct spdconf_error *err)
{
    memset(err, 0, sizeof *err);
    enum spdconf_status st = check_preset(p, err);
    if (st == SPDCONF_OK)
        st = add_entries(p, role, conf, err);
    if (st == SPDCONF_OK)
        st = spdconf_check(conf, SOURCE, err);
    return st;
}

char *
spdconf_preset_text(const struct spdconf_preset *p, enum spdconf_role role,
                    struct spdconf_error *err)
{
    struct spdconf conf;
    char *text = NULL;

    spdconf_init(&conf);
    if (spdconf_preset_build(p, role, &conf, err) == SPDCONF_OK) {
        text = spdconf_format(&conf);
        if (!text)
            spdconf_set_error(err, SPDCONF_NO_MEMORY, SOURCE, 0, "out of memory formatting");
    }
    spdconf_free(&conf);
    return text;
}

enum spdconf_status
spdconf_preset_install(const struct spdconf_preset *p, enum spdconf_role role, struct ipsec_db *db,
                       struct spdconf_error *err)
{
    struct spdconf conf;

    spdconf_init(&conf);
    enum spdconf_status st = spdconf_preset_build(p, role, &conf, err);
    if (st == SPDCONF_OK)
        st = spdconf_install(&conf, db, SOURCE, err);
    spdconf_free(&conf);
    return st;
}
