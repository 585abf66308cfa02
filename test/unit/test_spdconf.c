/*
 * test_spdconf.c - the SPD text format, the RFC 3776 §5.2 presets and
 * the rules a configuration must meet.
 *
 * The presets are compared with the tables of RFC 3776 §5.2, written out
 * below; round trips go text -> entries -> text and text -> database ->
 * text; lookups in installed databases check which SA protects each kind
 * of packet; and tables of broken inputs check each error, its line
 * number and its message.
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp, fdopen */

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "ipsec.h"
#include "ipv6.h"
#include "spdconf.h"
#include "spdconf_preset.h"

/* ---- addresses ---- */

enum sym {
    HOA, /* home address */
    HA,  /* home agent */
    COA, /* care-of address */
    CN,  /* correspondent node */
    ANY, /* ::/0 in a selector */
};

static uint8_t addrs[4][16];

static void
init_addresses(void)
{
    ip6_addr_from_text("2001:db8:0:1::10", addrs[HOA]);
    ip6_addr_from_text("2001:db8:0:1::1", addrs[HA]);
    ip6_addr_from_text("2001:db8:0:2::10", addrs[COA]);
    ip6_addr_from_text("2001:db8:0:9::9", addrs[CN]);
}

static const uint8_t *
addr(enum sym s)
{
    static const uint8_t zero[16];
    return s == ANY ? zero : addrs[s];
}

/* A preset for the test addresses, every part, care-of address known. */
static struct spdconf_preset
full_preset(enum spdconf_variant variant)
{
    struct spdconf_preset p;

    init_addresses();
    spdconf_preset_init(&p, addrs[HOA], addrs[HA], 7, 0);
    p.parts = SPDCONF_PARTS_ALL;
    p.variant = variant;
    memcpy(p.care_of, addrs[COA], 16);
    p.care_of_known = true;
    return p;
}

/* ---- the tables of RFC 3776 §5.2 ---- */

#define NO_TYPE (-1)

/* One SPD entry: §5.2.1-§5.2.4 list them in this order on each node. */
struct expected_policy {
    const char *sa;
    enum ipsec_dir dir;
    bool tunnel_iface;
    enum sym src;
    enum sym dst;
    int proto;
    int rfc4877_type; /* MH or ICMPv6 type in the RFC 4877 variant */
};

static const struct expected_policy mn_spd[] = {
    {"SA1", IPSEC_OUT, false, HOA, HA, 135, 5},                   /* 5.2.1 BU */
    {"SA2", IPSEC_IN, false, HA, HOA, 135, 6},                    /* 5.2.1 BA */
    {"SA3", IPSEC_OUT, true, HOA, ANY, 135, 1},                   /* 5.2.2 HoTI */
    {"SA4", IPSEC_IN, true, ANY, HOA, 135, 3},                    /* 5.2.2 HoT */
    {"SA5", IPSEC_OUT, false, HOA, HA, 58, 146},                  /* 5.2.3 MPS */
    {"SA6", IPSEC_IN, false, HA, HOA, 58, 147},                   /* 5.2.3 MPA */
    {"SA7", IPSEC_OUT, true, HOA, ANY, IPSEC_PROTO_ANY, NO_TYPE}, /* 5.2.4 X */
    {"SA8", IPSEC_IN, true, ANY, HOA, IPSEC_PROTO_ANY, NO_TYPE},
};

static const struct expected_policy ha_spd[] = {
    {"SA2", IPSEC_OUT, false, HA, HOA, 135, 6},
    {"SA1", IPSEC_IN, false, HOA, HA, 135, 5},
    {"SA4", IPSEC_OUT, true, ANY, HOA, 135, 3},
    {"SA3", IPSEC_IN, true, HOA, ANY, 135, 1},
    {"SA6", IPSEC_OUT, false, HA, HOA, 58, 147},
    {"SA5", IPSEC_IN, false, HOA, HA, 58, 146},
    {"SA8", IPSEC_OUT, true, ANY, HOA, IPSEC_PROTO_ANY, NO_TYPE},
    {"SA7", IPSEC_IN, true, HOA, ANY, IPSEC_PROTO_ANY, NO_TYPE},
};

/* One SAD entry; the direction is the mobile node's, the home agent's is
 * the other one.  Tunnel SAs run between the care-of address and the HA. */
struct expected_sa {
    const char *name;
    enum ipsec_dir mn_dir;
    enum ipsec_mode mode;
    enum sym src;
    enum sym dst;
    int proto;
    enum sym outer_src;
    enum sym outer_dst;
};

static const struct expected_sa sad[] = {
    {"SA1", IPSEC_OUT, IPSEC_TRANSPORT, HOA, HA, 135, ANY, ANY},
    {"SA2", IPSEC_IN, IPSEC_TRANSPORT, HA, HOA, 135, ANY, ANY},
    {"SA3", IPSEC_OUT, IPSEC_TUNNEL, HOA, ANY, 135, COA, HA},
    {"SA4", IPSEC_IN, IPSEC_TUNNEL, ANY, HOA, 135, HA, COA},
    {"SA5", IPSEC_OUT, IPSEC_TRANSPORT, HOA, HA, 58, ANY, ANY},
    {"SA6", IPSEC_IN, IPSEC_TRANSPORT, HA, HOA, 58, ANY, ANY},
    {"SA7", IPSEC_OUT, IPSEC_TUNNEL, HOA, ANY, IPSEC_PROTO_ANY, COA, HA},
    {"SA8", IPSEC_IN, IPSEC_TUNNEL, ANY, HOA, IPSEC_PROTO_ANY, HA, COA},
};

static void
check_address(const uint8_t *addr_bytes, uint8_t len, enum sym expected)
{
    CHECK_EQ_INT(len, expected == ANY ? 0 : 128);
    CHECK_EQ_MEM(addr_bytes, addr(expected), 16);
}

static void
check_types(const struct ipsec_selector *s, int proto, int type, enum spdconf_variant variant)
{
    bool typed = variant == SPDCONF_RFC4877 && type != NO_TYPE;
    CHECK_EQ_INT(s->mh_type_set, typed && proto == 135);
    CHECK_EQ_INT(s->icmp_type_set, typed && proto == 58);
    CHECK(!s->icmp_code_set);
    if (typed && proto == 135)
        CHECK_EQ_INT(s->mh_type, type);
    if (typed && proto == 58)
        CHECK_EQ_INT(s->icmp_type, type);
}

/* Compare parsed entries with the tables, keeping the rows of parts. */
static void
check_against_tables(const struct spdconf *conf, enum spdconf_role role,
                     enum spdconf_variant variant, unsigned parts)
{
    const struct expected_policy *spd = role == SPDCONF_MOBILE_NODE ? mn_spd : ha_spd;
    size_t n_sa = 0, n_policy = 0;

    for (size_t k = 0; k < 8; k++) {
        if (!(parts & (1u << (k / 2))))
            continue;
        const struct expected_sa *e = &sad[k];
        CHECK(n_sa < conf->n_sas);
        if (n_sa >= conf->n_sas)
            return;
        const struct spdconf_sa *sa = &conf->sas[n_sa++];
        CHECK(strcmp(sa->name, e->name) == 0);
        enum ipsec_dir dir = role == SPDCONF_MOBILE_NODE ? e->mn_dir : !e->mn_dir;
        CHECK_EQ_INT(sa->dir, dir);
        CHECK_EQ_INT(sa->mode, e->mode);
        check_address(sa->sel.src, sa->sel.src_len, e->src);
        check_address(sa->sel.dst, sa->sel.dst_len, e->dst);
        CHECK_EQ_INT(sa->sel.proto, e->proto);
        CHECK_EQ_INT(sa->sel.tunnel_iface, e->mode == IPSEC_TUNNEL);
        check_types(&sa->sel, e->proto, mn_spd[k].rfc4877_type, variant);
        CHECK_EQ_MEM(sa->tunnel_src, addr(e->outer_src), 16);
        CHECK_EQ_MEM(sa->tunnel_dst, addr(e->outer_dst), 16);
        /* Presets use AES-128-CBC with HMAC-SHA1-96 and distinct SPIs. */
        CHECK_EQ_INT(sa->enc, ESP_ENC_AES_128_CBC);
        CHECK_EQ_INT(sa->auth, ESP_AUTH_HMAC_SHA1_96);
        CHECK_EQ_INT(sa->spi, SPDCONF_PRESET_SPI_BASE + k);
    }
    CHECK_EQ_INT(conf->n_sas, n_sa);

    for (size_t i = 0; i < 8; i++) {
        if (!(parts & (1u << (i / 2))))
            continue;
        const struct expected_policy *e = &spd[i];
        CHECK(n_policy < conf->n_policies);
        if (n_policy >= conf->n_policies)
            return;
        const struct spdconf_policy *p = &conf->policies[n_policy++];
        CHECK(strcmp(p->sa_name, e->sa) == 0);
        CHECK_EQ_INT(p->dir, e->dir);
        CHECK_EQ_INT(p->action, IPSEC_PROTECT);
        CHECK(p->active);
        CHECK_EQ_INT(p->sel.tunnel_iface, e->tunnel_iface);
        check_address(p->sel.src, p->sel.src_len, e->src);
        check_address(p->sel.dst, p->sel.dst_len, e->dst);
        CHECK_EQ_INT(p->sel.proto, e->proto);
        check_types(&p->sel, e->proto, e->rfc4877_type, variant);
    }
    CHECK_EQ_INT(conf->n_policies, n_policy);
}

/* Every preset, as text, parses into the entries of the RFC 3776 §5.2 tables. */
static void
test_presets_match_rfc_tables(void)
{
    static const unsigned part_sets[] = {
        SPDCONF_PARTS_ALL,
        SPDCONF_PARTS_SIGNALLING,
        SPDCONF_PART_BU_BA,
        SPDCONF_PART_BU_BA | SPDCONF_PART_PREFIX,
        SPDCONF_PART_RR | SPDCONF_PART_PAYLOAD,
    };

    for (int variant = SPDCONF_RFC3776; variant <= SPDCONF_RFC4877; variant++) {
        for (int role = SPDCONF_MOBILE_NODE; role <= SPDCONF_HOME_AGENT; role++) {
            for (size_t i = 0; i < sizeof part_sets / sizeof part_sets[0]; i++) {
                struct spdconf_preset p = full_preset((enum spdconf_variant)variant);
                struct spdconf_error err;
                struct spdconf conf;
                p.parts = part_sets[i];

                char *text = spdconf_preset_text(&p, (enum spdconf_role)role, &err);
                CHECK(text != NULL);
                if (!text) {
                    fprintf(stderr, "  %s\n", err.message);
                    continue;
                }
                spdconf_init(&conf);
                CHECK_EQ_INT(spdconf_parse(&conf, text, strlen(text), "preset.spd", &err),
                             SPDCONF_OK);
                CHECK_EQ_INT(spdconf_check(&conf, "preset.spd", &err), SPDCONF_OK);
                check_against_tables(&conf, (enum spdconf_role)role, (enum spdconf_variant)variant,
                                     part_sets[i]);
                spdconf_free(&conf);
                free(text);
            }
        }
    }
}

/* The text of the presets shows the RFC 3776 §5.2 subsections as comments. */
static void
test_preset_text_sections(void)
{
    struct spdconf_preset p = full_preset(SPDCONF_RFC3776);
    struct spdconf_error err;
    char *text = spdconf_preset_text(&p, SPDCONF_MOBILE_NODE, &err);

    CHECK(text != NULL);
    if (!text)
        return;
    const char *s1 = strstr(text, "# RFC 3776 section 5.2.1");
    const char *s2 = strstr(text, "# RFC 3776 section 5.2.2");
    const char *s3 = strstr(text, "# RFC 3776 section 5.2.3");
    const char *s4 = strstr(text, "# RFC 3776 section 5.2.4");
    CHECK(s1 != NULL);
    CHECK(s2 != NULL);
    CHECK(s3 != NULL);
    CHECK(s4 != NULL);
    CHECK(s1 < s2);
    CHECK(s2 < s3);
    CHECK(s3 < s4);
    CHECK(strstr(text, "sa SA3 out spi=0x100002 mode=tunnel") != NULL);
    CHECK(strstr(text, "tunnel-src=2001:db8:0:2::10 tunnel-dst=2001:db8:0:1::1") != NULL);
    CHECK(strstr(text, "policy out src=2001:db8:0:1::10/128 dst=any proto=mh iface=tunnel "
                       "action=protect sa=SA3") != NULL);
    free(text);
}

/* ---- round trips ---- */

static char *
reformat(const char *text, struct spdconf *conf_out)
{
    struct spdconf_error err;
    spdconf_init(conf_out);
    if (spdconf_parse(conf_out, text, strlen(text), "rt.spd", &err) != SPDCONF_OK) {
        fprintf(stderr, "  %s\n", err.message);
        return NULL;
    }
    return spdconf_format(conf_out);
}

/* Field by field, because struct padding may differ. */
static bool
same_selector(const struct ipsec_selector *a, const struct ipsec_selector *b)
{
    return memcmp(a->src, b->src, 16) == 0 && a->src_len == b->src_len &&
           memcmp(a->dst, b->dst, 16) == 0 && a->dst_len == b->dst_len && a->proto == b->proto &&
           a->tunnel_iface == b->tunnel_iface && a->mh_type_set == b->mh_type_set &&
           (!a->mh_type_set || a->mh_type == b->mh_type) && a->icmp_type_set == b->icmp_type_set &&
           (!a->icmp_type_set || a->icmp_type == b->icmp_type) &&
           a->icmp_code_set == b->icmp_code_set &&
           (!a->icmp_code_set || a->icmp_code == b->icmp_code);
}

/* Entries equal apart from where they came from (line, section). */
static void
check_same_entries(const struct spdconf *a, const struct spdconf *b)
{
    CHECK_EQ_INT(a->n_sas, b->n_sas);
    CHECK_EQ_INT(a->n_policies, b->n_policies);
    for (size_t i = 0; i < a->n_sas && i < b->n_sas; i++) {
        const struct spdconf_sa *x = &a->sas[i], *y = &b->sas[i];
        CHECK(strcmp(x->name, y->name) == 0);
        CHECK_EQ_INT(x->dir, y->dir);
        CHECK_EQ_INT(x->mode, y->mode);
        CHECK(same_selector(&x->sel, &y->sel));
        CHECK_EQ_MEM(x->tunnel_src, y->tunnel_src, 16);
        CHECK_EQ_MEM(x->tunnel_dst, y->tunnel_dst, 16);
        CHECK_EQ_INT(x->spi, y->spi);
        CHECK_EQ_INT(x->enc, y->enc);
        CHECK_EQ_MEM(x->enc_key, y->enc_key, sizeof x->enc_key);
        CHECK_EQ_INT(x->auth, y->auth);
        CHECK_EQ_MEM(x->auth_key, y->auth_key, sizeof x->auth_key);
    }
    for (size_t i = 0; i < a->n_policies && i < b->n_policies; i++) {
        const struct spdconf_policy *x = &a->policies[i], *y = &b->policies[i];
        CHECK_EQ_INT(x->dir, y->dir);
        CHECK(same_selector(&x->sel, &y->sel));
        CHECK_EQ_INT(x->action, y->action);
        CHECK(strcmp(x->sa_name, y->sa_name) == 0);
        CHECK_EQ_INT(x->active, y->active);
    }
}

static void
test_round_trip_presets(void)
{
    for (int variant = SPDCONF_RFC3776; variant <= SPDCONF_RFC4877; variant++) {
        for (int role = SPDCONF_MOBILE_NODE; role <= SPDCONF_HOME_AGENT; role++) {
            struct spdconf_preset p = full_preset((enum spdconf_variant)variant);
            struct spdconf built, once, twice;
            struct spdconf_error err;

            p.at_home = role == SPDCONF_MOBILE_NODE; /* some entries inactive */
            spdconf_init(&built);
            CHECK_EQ_INT(spdconf_preset_build(&p, (enum spdconf_role)role, &built, &err),
                         SPDCONF_OK);
            char *text0 = spdconf_format(&built);
            char *text1 = reformat(text0, &once);
            char *text2 = reformat(text1, &twice);
            CHECK(text0 != NULL);
            CHECK(text1 != NULL);
            CHECK(text2 != NULL);
            if (text1 && text2)
                CHECK(strcmp(text1, text2) == 0);
            check_same_entries(&built, &once);
            check_same_entries(&once, &twice);

            /* Through a database: install, read back, write. */
            struct ipsec_db db;
            struct spdconf from_db;
            ipsec_db_init(&db);
            spdconf_init(&from_db);
            CHECK_EQ_INT(spdconf_load_text(&db, text0, strlen(text0), "rt.spd", &err), SPDCONF_OK);
            CHECK_EQ_INT(spdconf_from_db(&from_db, &db, &err), SPDCONF_OK);
            check_same_entries(&once, &from_db);
            char *text3 = spdconf_format(&from_db);
            CHECK(text3 != NULL);
            if (text1 && text3)
                CHECK(strcmp(text1, text3) == 0);

            free(text0);
            free(text1);
            free(text2);
            free(text3);
            spdconf_free(&built);
            spdconf_free(&once);
            spdconf_free(&twice);
            spdconf_free(&from_db);
            ipsec_db_free(&db);
        }
    }
}

/* Every field of the format, written by hand, with CRLF, tabs and comments. */
static const char handwritten[] =
    "# a home agent that also discards and bypasses\r\n"
    "sa in1 in spi=4096 mode=transport enc=null auth=hmac-sha1-96\t"
    "authkey=0x000102030405060708090A0B0C0D0E0F10111213 src=2001:db8:0:1::10 "
    "dst=2001:db8:0:1::1 proto=mh mh-type=bu\r\n"
    "\r\n"
    "sa out.2 out spi=0x1001 mode=tunnel enc=aes-128-cbc key=0x00112233445566778899aabbccddeeff "
    "auth=hmac-sha1-96 authkey=0x0102030405060708090a0b0c0d0e0f1011121314 src=any "
    "dst=2001:db8:0:1::10 proto=icmpv6 icmp-type=147 icmp-code=0 iface=physical "
    "tunnel-src=2001:db8:0:1::1 tunnel-dst=2001:db8:0:2::10   # comment after an entry\n"
    "policy in src=2001:db8:0:1::10/128 dst=2001:db8:0:1::1/128 proto=mh mh-type=bu "
    "action=protect sa=in1\n"
    "policy out src=any dst=2001:db8:0:1::10 proto=icmpv6 icmp-type=mpa icmp-code=0 "
    "action=protect sa=out.2 active=no\n"
    "policy out src=2001:db8::/32 dst=any proto=89 iface=tunnel action=discard\n"
    "policy in src=any dst=any proto=udp mh-type=any action=bypass\n"
    "policy in src=any dst=any proto=tcp action=bypass"; /* no final newline */

static void
test_round_trip_handwritten(void)
{
    struct spdconf a, b;
    char *text1 = reformat(handwritten, &a);
    char *text2 = text1 ? reformat(text1, &b) : NULL;

    CHECK(text1 != NULL);
    CHECK(text2 != NULL);
    if (!text1 || !text2) {
        free(text1);
        spdconf_free(&a);
        return;
    }
    CHECK(strcmp(text1, text2) == 0);
    check_same_entries(&a, &b);

    CHECK_EQ_INT(a.n_sas, 2);
    CHECK_EQ_INT(a.n_policies, 5);
    CHECK_EQ_INT(a.sas[0].spi, 4096);
    CHECK_EQ_INT(a.sas[0].enc, ESP_ENC_NULL);
    CHECK_EQ_INT(a.sas[0].auth_key[10], 0x0a);
    CHECK_EQ_INT(a.sas[0].sel.mh_type, 5);
    CHECK_EQ_INT(a.sas[1].spi, 0x1001);
    CHECK(!a.sas[1].sel.tunnel_iface); /* iface=physical overrides the tunnel default */
    CHECK_EQ_INT(a.sas[1].sel.icmp_type, 147);
    CHECK(a.sas[1].sel.icmp_code_set);
    CHECK(!a.policies[1].active);
    CHECK_EQ_INT(a.policies[2].action, IPSEC_DISCARD);
    CHECK_EQ_INT(a.policies[2].sel.src_len, 32);
    CHECK_EQ_INT(a.policies[2].sel.proto, 89);
    CHECK(!a.policies[3].sel.mh_type_set);
    CHECK_EQ_INT(a.policies[4].line, 9);

    /* The canonical text spells names and prefixes out. */
    CHECK(strstr(text1, "icmp-type=mpa icmp-code=0 iface=physical tunnel-src=") != NULL);
    CHECK(strstr(text1, "dst=2001:db8:0:1::10/128 proto=icmpv6 icmp-type=mpa icmp-code=0 "
                        "iface=physical action=protect sa=out.2 active=no") != NULL);
    CHECK(strstr(text1, "proto=89 iface=tunnel action=discard\n") != NULL);

    struct ipsec_db db;
    struct spdconf_error err;
    ipsec_db_init(&db);
    CHECK_EQ_INT(spdconf_load_text(&db, handwritten, strlen(handwritten), "hand.spd", &err),
                 SPDCONF_OK);
    CHECK_EQ_INT(db.n_sas, 2);
    CHECK_EQ_INT(db.all.count, 5);
    CHECK(ipsec_sa_by_spi(&db, 4096) != NULL);
    ipsec_db_free(&db);

    free(text1);
    free(text2);
    spdconf_free(&a);
    spdconf_free(&b);
}

/* A database built in code, as model/keys.c builds one, written and read back. */
static void
test_round_trip_code_built_db(void)
{
    static const uint8_t k16[16] = {1}, k20[20] = {2};
    struct ipsec_db db, again;
    struct spdconf_error err;
    char path[] = "/tmp/test_spdconf_XXXXXX";

    init_addresses();
    ipsec_db_init(&db);
    ipsec_db_init(&again);
    struct ipsec_selector up = {.src_len = 128, .dst_len = 128, .proto = 135};
    memcpy(up.src, addrs[HOA], 16);
    memcpy(up.dst, addrs[HA], 16);
    struct ipsec_keys keys = {0x1000, ESP_ENC_AES_128_CBC, k16, ESP_AUTH_HMAC_SHA1_96, k20};
    char why[200];
    struct ipsec_sa *sa =
        ipsec_sa_add(&db, "SA1", IPSEC_OUT, IPSEC_TRANSPORT, &up, &keys, why, sizeof why);
    CHECK(sa != NULL);
    CHECK(ipsec_policy_add(&db, IPSEC_OUT, &up, IPSEC_PROTECT, sa) != NULL);

    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    close(fd);
    chmod(path, 0644); /* the writer must tighten an existing file */
    CHECK_EQ_INT(spdconf_write_file(&db, path, &err), SPDCONF_OK);
    struct stat st;
    CHECK(stat(path, &st) == 0);
    CHECK_EQ_INT(st.st_mode & 0077, 0); /* keys: owner only */
    CHECK_EQ_INT(spdconf_load_file(&again, path, &err), SPDCONF_OK);
    CHECK_EQ_INT(again.n_sas, 1);
    CHECK_EQ_INT(again.all.count, 1);
    if (again.n_sas == 1) {
        CHECK_EQ_MEM(again.sas[0]->esp.enc_key, k16, 16);
        CHECK_EQ_MEM(again.sas[0]->esp.auth_key, k20, 20);
        CHECK(same_selector(&again.sas[0]->sel, &up));
    }
    unlink(path);

    /* A missing file names the path. */
    CHECK_EQ_INT(spdconf_load_file(&again, path, &err), SPDCONF_IO_ERROR);
    CHECK(strstr(err.message, path) != NULL);
    ipsec_db_free(&db);
    ipsec_db_free(&again);
}

/* ---- lookups ---- */

struct lookup_case {
    const char *name;
    enum spdconf_variant variant;
    enum spdconf_role role;
    enum ipsec_dir dir;
    enum sym src;
    enum sym dst;
    int proto;
    int type; /* MH type or ICMPv6 type; NO_TYPE leaves it OPAQUE */
    bool tunnel;
    const char *sa; /* NULL: no entry matches */
};

static const struct lookup_case lookups[] = {
    /* RFC 3776 selectors: addresses, protocol and interface. */
    {"BU from MN", SPDCONF_RFC3776, SPDCONF_MOBILE_NODE, IPSEC_OUT, HOA, HA, 135, 5, false, "SA1"},
    {"BU at HA", SPDCONF_RFC3776, SPDCONF_HOME_AGENT, IPSEC_IN, HOA, HA, 135, 5, false, "SA1"},
    {"BA from HA", SPDCONF_RFC3776, SPDCONF_HOME_AGENT, IPSEC_OUT, HA, HOA, 135, 6, false, "SA2"},
    {"BA at MN", SPDCONF_RFC3776, SPDCONF_MOBILE_NODE, IPSEC_IN, HA, HOA, 135, 6, false, "SA2"},
    {"BU opaque type", SPDCONF_RFC3776, SPDCONF_MOBILE_NODE, IPSEC_OUT, HOA, HA, 135, NO_TYPE,
     false, "SA1"},
    {"HoTI in tunnel", SPDCONF_RFC3776, SPDCONF_MOBILE_NODE, IPSEC_OUT, HOA, CN, 135, 1, true,
     "SA3"},
    {"HoTI at HA", SPDCONF_RFC3776, SPDCONF_HOME_AGENT, IPSEC_IN, HOA, CN, 135, 1, true, "SA3"},
    {"HoTI outside tunnel", SPDCONF_RFC3776, SPDCONF_MOBILE_NODE, IPSEC_OUT, HOA, CN, 135, 1, false,
     NULL},
    {"BU in tunnel", SPDCONF_RFC3776, SPDCONF_MOBILE_NODE, IPSEC_OUT, HOA, HA, 135, 5, true, "SA3"},
    {"HoT from HA", SPDCONF_RFC3776, SPDCONF_HOME_AGENT, IPSEC_OUT, CN, HOA, 135, 3, true, "SA4"},
    {"HoT at MN", SPDCONF_RFC3776, SPDCONF_MOBILE_NODE, IPSEC_IN, CN, HOA, 135, 3, true, "SA4"},
    {"MPS from MN", SPDCONF_RFC3776, SPDCONF_MOBILE_NODE, IPSEC_OUT, HOA, HA, 58, 146, false,
     "SA5"},
    {"MPS at HA", SPDCONF_RFC3776, SPDCONF_HOME_AGENT, IPSEC_IN, HOA, HA, 58, 146, false, "SA5"},
    {"MPA from HA", SPDCONF_RFC3776, SPDCONF_HOME_AGENT, IPSEC_OUT, HA, HOA, 58, 147, false, "SA6"},
    {"echo to HA", SPDCONF_RFC3776, SPDCONF_MOBILE_NODE, IPSEC_OUT, HOA, HA, 58, 128, false, "SA5"},
    {"UDP in tunnel", SPDCONF_RFC3776, SPDCONF_MOBILE_NODE, IPSEC_OUT, HOA, CN, 17, NO_TYPE, true,
     "SA7"},
    {"UDP to MN in tunnel", SPDCONF_RFC3776, SPDCONF_HOME_AGENT, IPSEC_OUT, CN, HOA, 17, NO_TYPE,
     true, "SA8"},
    {"UDP outside tunnel", SPDCONF_RFC3776, SPDCONF_MOBILE_NODE, IPSEC_OUT, HOA, CN, 17, NO_TYPE,
     false, NULL},
    {"UDP to HA outside", SPDCONF_RFC3776, SPDCONF_MOBILE_NODE, IPSEC_OUT, HOA, HA, 17, NO_TYPE,
     false, NULL},
    {"other node's BU", SPDCONF_RFC3776, SPDCONF_HOME_AGENT, IPSEC_IN, COA, HA, 135, 5, false,
     NULL},

    /* RFC 4877: MH-type and ICMPv6-type selectors. */
    {"4877 BU", SPDCONF_RFC4877, SPDCONF_MOBILE_NODE, IPSEC_OUT, HOA, HA, 135, 5, false, "SA1"},
    {"4877 BA", SPDCONF_RFC4877, SPDCONF_MOBILE_NODE, IPSEC_IN, HA, HOA, 135, 6, false, "SA2"},
    {"4877 BU opaque", SPDCONF_RFC4877, SPDCONF_MOBILE_NODE, IPSEC_OUT, HOA, HA, 135, NO_TYPE,
     false, NULL},
    {"4877 BE to MN", SPDCONF_RFC4877, SPDCONF_HOME_AGENT, IPSEC_OUT, HA, HOA, 135, 7, false, NULL},
    {"4877 BA as BU", SPDCONF_RFC4877, SPDCONF_MOBILE_NODE, IPSEC_OUT, HOA, HA, 135, 6, false,
     NULL},
    {"4877 HoTI", SPDCONF_RFC4877, SPDCONF_MOBILE_NODE, IPSEC_OUT, HOA, CN, 135, 1, true, "SA3"},
    {"4877 HoT", SPDCONF_RFC4877, SPDCONF_HOME_AGENT, IPSEC_OUT, CN, HOA, 135, 3, true, "SA4"},
    {"4877 CoTI in tunnel", SPDCONF_RFC4877, SPDCONF_MOBILE_NODE, IPSEC_OUT, HOA, CN, 135, 2, true,
     "SA7"},
    {"4877 MPS", SPDCONF_RFC4877, SPDCONF_MOBILE_NODE, IPSEC_OUT, HOA, HA, 58, 146, false, "SA5"},
    {"4877 MPA", SPDCONF_RFC4877, SPDCONF_HOME_AGENT, IPSEC_OUT, HA, HOA, 58, 147, false, "SA6"},
    {"4877 echo to HA", SPDCONF_RFC4877, SPDCONF_MOBILE_NODE, IPSEC_OUT, HOA, HA, 58, 128, false,
     NULL},
    {"4877 UDP in tunnel", SPDCONF_RFC4877, SPDCONF_MOBILE_NODE, IPSEC_OUT, HOA, CN, 17, NO_TYPE,
     true, "SA7"},
};

static struct ipsec_packet
make_packet(const struct lookup_case *c)
{
    struct ipsec_packet pkt = {
        .src = addr(c->src), .dst = addr(c->dst), .proto = c->proto, .tunnel_iface = c->tunnel};
    if (c->type != NO_TYPE && c->proto == 135) {
        pkt.mh_type_known = true;
        pkt.mh_type = (uint8_t)c->type;
    }
    if (c->type != NO_TYPE && c->proto == 58) {
        pkt.icmp_known = true;
        pkt.icmp_type = (uint8_t)c->type;
    }
    return pkt;
}

static void
test_lookups(void)
{
    struct ipsec_db dbs[2][2]; /* [variant][role] */
    struct spdconf_error err;

    for (int v = 0; v < 2; v++) {
        for (int r = 0; r < 2; r++) {
            struct spdconf_preset p = full_preset((enum spdconf_variant)v);
            ipsec_db_init(&dbs[v][r]);
            CHECK_EQ_INT(spdconf_preset_install(&p, (enum spdconf_role)r, &dbs[v][r], &err),
                         SPDCONF_OK);
        }
    }
    for (size_t i = 0; i < sizeof lookups / sizeof lookups[0]; i++) {
        const struct lookup_case *c = &lookups[i];
        struct ipsec_packet pkt = make_packet(c);
        const struct ipsec_policy *p = ipsec_policy_lookup(&dbs[c->variant][c->role], c->dir, &pkt);
        const char *got = p && p->sa ? p->sa->name : NULL;
        bool ok = c->sa ? got && strcmp(got, c->sa) == 0 : p == NULL;
        if (!ok)
            fprintf(stderr, "  lookup '%s': got %s, expected %s\n", c->name, got ? got : "none",
                    c->sa ? c->sa : "none");
        CHECK(ok);

        /* The SA found also passes its own selector check, as inbound
         * processing repeats it after decryption. */
        if (p && p->sa)
            CHECK(ipsec_selector_match(&p->sa->sel, &pkt));
    }
    for (int v = 0; v < 2; v++)
        for (int r = 0; r < 2; r++)
            ipsec_db_free(&dbs[v][r]);
}

/* RFC 3776 §4.2 and §4.3: tunnel entries start inactive at home, and the
 * tunnel SAs' mobile node end follows the care-of address. */
static void
test_at_home_and_moving(void)
{
    struct spdconf_preset p = full_preset(SPDCONF_RFC3776);
    struct spdconf_error err;
    struct ipsec_db mn, ha;
    uint8_t coa2[16];

    p.care_of_known = false;
    p.at_home = true;
    ipsec_db_init(&mn);
    ipsec_db_init(&ha);
    CHECK_EQ_INT(spdconf_preset_install(&p, SPDCONF_MOBILE_NODE, &mn, &err), SPDCONF_OK);
    p.at_home = false;
    CHECK_EQ_INT(spdconf_preset_install(&p, SPDCONF_HOME_AGENT, &ha, &err), SPDCONF_OK);

    struct lookup_case hoti = {"", 0, 0, IPSEC_OUT, HOA, CN, 135, 1, true, "SA3"};
    struct lookup_case bu = {"", 0, 0, IPSEC_OUT, HOA, HA, 135, 5, false, "SA1"};
    struct ipsec_packet hoti_pkt = make_packet(&hoti), bu_pkt = make_packet(&bu);
    CHECK(ipsec_policy_lookup(&mn, IPSEC_OUT, &hoti_pkt) == NULL);
    CHECK(ipsec_policy_lookup(&mn, IPSEC_OUT, &bu_pkt) != NULL);
    CHECK_EQ_INT(ipsec_tunnel_policies_set_active(&mn, addrs[HOA], true), 4);
    const struct ipsec_policy *pol = ipsec_policy_lookup(&mn, IPSEC_OUT, &hoti_pkt);
    CHECK(pol != NULL);
    if (pol)
        CHECK(strcmp(pol->sa->name, "SA3") == 0);

    /* Before the first registration the home agent sends to the home
     * address (RFC 3776 §5.2.2); after it, to the care-of address. */
    const struct ipsec_sa *sa4 = NULL;
    for (size_t i = 0; i < ha.n_sas; i++)
        if (strcmp(ha.sas[i]->name, "SA4") == 0)
            sa4 = ha.sas[i];
    CHECK(sa4 != NULL);
    if (!sa4)
        goto out;
    CHECK_EQ_MEM(sa4->tunnel_dst, addrs[HOA], 16);
    CHECK_EQ_INT(ipsec_tunnel_sas_set_care_of(&ha, addrs[HOA], addrs[COA]), 4);
    CHECK_EQ_MEM(sa4->tunnel_dst, addrs[COA], 16);
    CHECK_EQ_MEM(sa4->tunnel_src, addrs[HA], 16);
    ip6_addr_from_text("2001:db8:0:3::10", coa2);
    ipsec_tunnel_sas_set_care_of(&ha, addrs[HOA], coa2);
    CHECK_EQ_MEM(sa4->tunnel_dst, coa2, 16);

    /* The written configuration carries the new endpoint and inactive flags. */
    struct spdconf conf;
    spdconf_init(&conf);
    CHECK_EQ_INT(spdconf_from_db(&conf, &ha, &err), SPDCONF_OK);
    char *text = spdconf_format(&conf);
    CHECK(text != NULL);
    if (text)
        CHECK(strstr(text, "tunnel-dst=2001:db8:0:3::10") != NULL);
    free(text);
    spdconf_free(&conf);
    ipsec_tunnel_policies_set_active(&mn, addrs[HOA], false);
    spdconf_init(&conf);
    CHECK_EQ_INT(spdconf_from_db(&conf, &mn, &err), SPDCONF_OK);
    text = spdconf_format(&conf);
    CHECK(text != NULL);
    if (text)
        CHECK(strstr(text, "iface=tunnel action=protect sa=SA3 active=no") != NULL);
    free(text);
    spdconf_free(&conf);
out:
    ipsec_db_free(&mn);
    ipsec_db_free(&ha);
}

/* A home agent with a thousand mobile nodes, loaded from one text. */
static void
test_thousand_mobile_nodes(void)
{
    enum { N = 1000 };
    size_t cap = 0, len = 0;
    char *all = NULL;
    struct spdconf_error err;

    init_addresses();
    for (uint32_t i = 0; i < N; i++) {
        struct spdconf_preset p;
        uint8_t hoa[16];
        memcpy(hoa, addrs[HOA], 16);
        hoa[12] = 0xaa; /* keeps every home address apart from the HA's */
        hoa[14] = (uint8_t)(i >> 8);
        hoa[15] = (uint8_t)i;
        spdconf_preset_init(&p, hoa, addrs[HA], 3, i);
        snprintf(p.name_prefix, sizeof p.name_prefix, "m%u-", (unsigned)i);
        char *text = spdconf_preset_text(&p, SPDCONF_HOME_AGENT, &err);
        CHECK(text != NULL);
        if (!text)
            break;
        size_t n = strlen(text);
        if (len + n + 1 > cap) {
            cap = 2 * (len + n + 1);
            all = realloc(all, cap);
        }
        memcpy(all + len, text, n + 1);
        len += n;
        free(text);
    }

    struct ipsec_db db;
    ipsec_db_init(&db);
    CHECK_EQ_INT(spdconf_load_text(&db, all, len, "ha.spd", &err), SPDCONF_OK);
    CHECK_EQ_INT(db.n_sas, 6 * N);
    CHECK_EQ_INT(db.all.count, 6 * N);

    /* Node 731's BU finds its own SA1. */
    uint8_t hoa[16];
    memcpy(hoa, addrs[HOA], 16);
    hoa[12] = 0xaa;
    hoa[14] = 731 >> 8;
    hoa[15] = 731 & 0xff;
    struct ipsec_packet bu = {.src = hoa, .dst = addrs[HA], .proto = 135};
    const struct ipsec_policy *p = ipsec_policy_lookup(&db, IPSEC_IN, &bu);
    CHECK(p != NULL);
    if (p) {
        CHECK(strcmp(p->sa->name, "m731-SA1") == 0);
        CHECK(ipsec_sa_by_spi(&db, SPDCONF_PRESET_SPI_BASE + 8 * 731) == p->sa);
    }
    ipsec_db_free(&db);
    free(all);
}

/* ---- RFC 3776 §4.3 and §5.2.4 ---- */

#define KEY " key=0x00112233445566778899aabbccddeeff"
#define AUTHKEY " authkey=0x0102030405060708090a0b0c0d0e0f1011121314"
#define MN_HA "src=2001:db8:0:1::10 dst=2001:db8:0:1::1"
#define OUTER " tunnel-src=2001:db8:0:2::10 tunnel-dst=2001:db8:0:1::1"

struct rule_case {
    const char *name;
    const char *text;
    enum spdconf_status status;
    size_t line;
    const char *needle; /* SA name and rule */
    const char *needle2;
};

static const struct rule_case rules[] = {
    {"BU SA without auth",
     "# SA1 without integrity\n"
     "sa SA1 out spi=0x1000 mode=transport enc=aes-128-cbc" KEY " auth=null " MN_HA " proto=mh\n",
     SPDCONF_RULE_VIOLATION, 2, "SA SA1 has auth=null", "Binding Updates"},
    {"BU-type SA without auth",
     "sa SA1 out spi=0x1000 mode=transport enc=aes-128-cbc" KEY " auth=null " MN_HA
     " proto=mh mh-type=bu\n",
     SPDCONF_RULE_VIOLATION, 1, "SA SA1", "RFC 3776 section 4.3"},
    {"any-proto SA without auth",
     "sa S out spi=0x1000 mode=transport enc=aes-128-cbc" KEY " auth=null " MN_HA " proto=any\n",
     SPDCONF_RULE_VIOLATION, 1, "SA S has auth=null", "Binding Updates"},
    {"MPS SA without auth",
     "sa SA5 out spi=0x1004 mode=transport enc=aes-128-cbc" KEY " auth=null " MN_HA
     " proto=icmpv6\n",
     SPDCONF_RULE_VIOLATION, 1, "SA SA5 has auth=null", "prefix discovery"},
    {"RR SA without encryption",
     "sa SA3 out spi=0x1002 mode=tunnel enc=null auth=hmac-sha1-96" AUTHKEY
     " src=2001:db8:0:1::10 dst=any proto=mh" OUTER "\n",
     SPDCONF_RULE_VIOLATION, 1, "SA SA3 has enc=null", "return routability"},
    {"RR SA without auth",
     "sa SA3 out spi=0x1002 mode=tunnel enc=aes-128-cbc" KEY
     " auth=null src=2001:db8:0:1::10 dst=any proto=mh mh-type=hoti" OUTER "\n",
     SPDCONF_RULE_VIOLATION, 1, "SA SA3 has auth=null", "return routability"},
    {"HoT SA without encryption",
     "sa SA4 in spi=0x1003 mode=tunnel enc=null auth=hmac-sha1-96" AUTHKEY
     " src=any dst=2001:db8:0:1::10 proto=mh mh-type=hot" OUTER "\n",
     SPDCONF_RULE_VIOLATION, 1, "SA SA4 has enc=null", "section 4.3"},
    {"payload any without encryption",
     "sa SA7 out spi=0x1006 mode=tunnel enc=null auth=hmac-sha1-96" AUTHKEY
     " src=2001:db8:0:1::10 dst=any proto=any" OUTER "\n",
     SPDCONF_RULE_VIOLATION, 1, "SA SA7 has enc=null", "payload protocol other than any"},
    {"payload ESP SA",
     "sa SA7 out spi=0x1006 mode=tunnel enc=aes-128-cbc" KEY " auth=hmac-sha1-96" AUTHKEY
     " src=2001:db8:0:1::10 dst=any proto=esp" OUTER "\n",
     SPDCONF_RULE_VIOLATION, 1, "SA SA7 selects proto=esp", "section 5.2.4"},
    {"payload AH policy",
     "sa SA7 out spi=0x1006 mode=tunnel enc=aes-128-cbc" KEY " auth=hmac-sha1-96" AUTHKEY
     " src=2001:db8:0:1::10 dst=any proto=any" OUTER "\n"
     "policy out src=2001:db8:0:1::10 dst=any proto=ah iface=tunnel action=protect sa=SA7\n",
     SPDCONF_RULE_VIOLATION, 2, "proto=ah", "section 5.2.4"},
    /* Accepted: entries that differ in MH type, ICMPv6 type or code, or
     * activity do not shadow each other. */
    {"typed policies side by side",
     "policy out " MN_HA " proto=mh mh-type=bu action=bypass\n"
     "policy out " MN_HA " proto=mh mh-type=ba action=discard\n"
     "policy out " MN_HA " proto=mh action=discard\n"
     "policy in src=any dst=any proto=icmpv6 icmp-type=mps icmp-code=0 action=bypass\n"
     "policy in src=any dst=any proto=icmpv6 icmp-type=mps icmp-code=1 action=bypass\n"
     "policy in src=any dst=any proto=icmpv6 icmp-type=mps action=discard\n"
     "policy in src=any dst=any proto=any action=discard active=no\n"
     "policy in src=any dst=any proto=udp action=bypass\n",
     SPDCONF_OK, 0, NULL, NULL},
    /* Accepted: these SAs cannot carry the messages the rules protect. */
    {"payload UDP without encryption",
     "sa SA7 out spi=0x1006 mode=tunnel enc=null auth=hmac-sha1-96" AUTHKEY
     " src=2001:db8:0:1::10 dst=any proto=udp" OUTER "\n",
     SPDCONF_OK, 0, NULL, NULL},
    {"transport HoTI without auth",
     "sa S out spi=0x1000 mode=transport enc=aes-128-cbc" KEY " auth=null " MN_HA
     " proto=mh mh-type=hoti\n",
     SPDCONF_OK, 0, NULL, NULL},
};

static void
check_error(const char *name, const char *source, enum spdconf_status got,
            const struct spdconf_error *err, enum spdconf_status status, size_t line,
            const char *needle, const char *needle2)
{
    char prefix[64];
    bool ok = got == status;

    if (status != SPDCONF_OK) {
        if (line)
            snprintf(prefix, sizeof prefix, "%s:%zu: ", source, line);
        else
            snprintf(prefix, sizeof prefix, "%s: ", source);
        ok = ok && err->status == status && err->line == line &&
             strncmp(err->message, prefix, strlen(prefix)) == 0;
        ok = ok && (!needle || strstr(err->message, needle)) &&
             (!needle2 || strstr(err->message, needle2));
    }
    if (!ok)
        fprintf(stderr,
                "  case '%s': status %d (%s), expected %d; line %zu, expected %zu\n"
                "  message: %s\n",
                name, (int)got, spdconf_status_text(got), (int)status, err->line, line,
                err->message);
    CHECK(ok);
}

static void
test_rfc3776_rules(void)
{
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        const struct rule_case *c = &rules[i];
        struct ipsec_db db;
        struct spdconf_error err;

        ipsec_db_init(&db);
        enum spdconf_status st =
            spdconf_load_text(&db, c->text, strlen(c->text), "rules.spd", &err);
        check_error(c->name, "rules.spd", st, &err, c->status, c->line, c->needle, c->needle2);
        if (c->status != SPDCONF_OK) { /* nothing installed */
            CHECK_EQ_INT(db.n_sas, 0);
            CHECK_EQ_INT(db.all.count, 0);
        }
        ipsec_db_free(&db);
    }
}

/* The presets refuse the same violations and name the SA. */
static void
test_preset_rules(void)
{
    struct spdconf_error err;
    struct spdconf conf;
    struct spdconf_preset p;

    p = full_preset(SPDCONF_RFC3776);
    p.sa[0].auth = ESP_AUTH_NULL;
    spdconf_init(&conf);
    check_error("preset SA1 auth null", "preset",
                spdconf_preset_build(&p, SPDCONF_MOBILE_NODE, &conf, &err), &err,
                SPDCONF_RULE_VIOLATION, 0, "SA SA1 has auth=null", "section 4.3");
    spdconf_free(&conf);

    p = full_preset(SPDCONF_RFC4877);
    p.sa[2].enc = ESP_ENC_NULL;
    spdconf_init(&conf);
    check_error("preset SA3 enc null", "preset",
                spdconf_preset_build(&p, SPDCONF_HOME_AGENT, &conf, &err), &err,
                SPDCONF_RULE_VIOLATION, 0, "SA SA3 has enc=null", "return routability");
    spdconf_free(&conf);

    p = full_preset(SPDCONF_RFC3776);
    p.sa[5].auth = ESP_AUTH_NULL;
    spdconf_init(&conf);
    check_error("preset SA6 auth null", "preset",
                spdconf_preset_build(&p, SPDCONF_MOBILE_NODE, &conf, &err), &err,
                SPDCONF_RULE_VIOLATION, 0, "SA SA6 has auth=null", "prefix discovery");
    spdconf_free(&conf);

    p = full_preset(SPDCONF_RFC3776);
    p.payload_proto = 50;
    spdconf_init(&conf);
    check_error("preset X = ESP", "preset",
                spdconf_preset_build(&p, SPDCONF_MOBILE_NODE, &conf, &err), &err,
                SPDCONF_RULE_VIOLATION, 0, "section 5.2.4", NULL);
    spdconf_free(&conf);

    /* X = UDP with NULL encryption is allowed: it cannot carry HoTI. */
    p = full_preset(SPDCONF_RFC3776);
    p.payload_proto = 17;
    p.sa[6].enc = p.sa[7].enc = ESP_ENC_NULL;
    spdconf_init(&conf);
    CHECK_EQ_INT(spdconf_preset_build(&p, SPDCONF_HOME_AGENT, &conf, &err), SPDCONF_OK);
    spdconf_free(&conf);

    p = full_preset(SPDCONF_RFC3776);
    snprintf(p.name_prefix, sizeof p.name_prefix, "7bad");
    spdconf_init(&conf);
    check_error("preset bad prefix", "preset",
                spdconf_preset_build(&p, SPDCONF_HOME_AGENT, &conf, &err), &err, SPDCONF_BAD_VALUE,
                0, "'7badSA8'", NULL);
    spdconf_free(&conf);
}

/* ---- malformed inputs ---- */

#define SA1 "sa SA1 out spi=0x1000 mode=transport enc=aes-128-cbc" KEY " auth=hmac-sha1-96" AUTHKEY
#define SA1_LINE SA1 " " MN_HA " proto=mh\n"
#define POLICY1 "policy out src=2001:db8:0:1::10/128 dst=2001:db8:0:1::1/128 proto=mh "

struct bad_case {
    const char *name;
    const char *text;
    enum spdconf_status status;
    size_t line;
    const char *needle;
    const char *needle2;
};

static const struct bad_case bad_inputs[] = {
    {"unknown keyword", SA1_LINE "polcy out src=any\n", SPDCONF_UNKNOWN_KEYWORD, 2, "'polcy'",
     "expected sa or policy"},
    {"unknown field", "# c\n" POLICY1 "action=protect sa=SA1 colour=red\n" SA1_LINE,
     SPDCONF_UNKNOWN_KEYWORD, 2, "'colour'", "expected src, dst"},
    {"field of the other line kind", POLICY1 "action=protect sa=SA1 spi=4096\n",
     SPDCONF_UNKNOWN_KEYWORD, 1, "'spi'", "policy line"},
    {"bad address", SA1 " src=2001:db8::zz dst=2001:db8:0:1::1 proto=mh\n", SPDCONF_BAD_ADDRESS, 1,
     "'2001:db8::zz'", "src="},
    {"bad prefix address",
     SA1_LINE "policy in src=2001:db8:::1/64 dst=any proto=mh "
              "action=bypass\n",
     SPDCONF_BAD_ADDRESS, 2, "'2001:db8:::1'", "ADDRESS/LENGTH"},
    {"bad tunnel address",
     "sa T out spi=4096 mode=tunnel enc=aes-128-cbc" KEY " auth=hmac-sha1-96" AUTHKEY
     " src=any dst=any proto=udp tunnel-src=any tunnel-dst=2001:db8::1\n",
     SPDCONF_BAD_ADDRESS, 1, "'any'", "tunnel-src="},
    {"bad prefix length",
     SA1_LINE "policy out src=2001:db8:0:1::10/129 dst=any proto=mh "
              "action=discard\n",
     SPDCONF_BAD_PREFIX_LENGTH, 2, "'129'", "from 0 to 128"},
    {"hex prefix length", "policy out src=2001:db8::/0x10 dst=any proto=mh action=bypass\n",
     SPDCONF_BAD_PREFIX_LENGTH, 1, "'0x10'", NULL},
    {"empty prefix length", "policy out src=2001:db8::/ dst=any proto=mh action=bypass\n",
     SPDCONF_BAD_PREFIX_LENGTH, 1, "''", NULL},
    {"short key",
     "sa SA1 out spi=0x1000 mode=transport enc=aes-128-cbc key=0x0011 "
     "auth=hmac-sha1-96" AUTHKEY " " MN_HA " proto=mh\n",
     SPDCONF_BAD_KEY, 1, "aes-128-cbc needs 16 bytes (32 hex digits", "got 4 hex digits"},
    {"long auth key",
     "sa SA1 out spi=0x1000 mode=transport enc=aes-128-cbc" KEY " auth=hmac-sha1-96 authkey=0x"
     "0102030405060708090a0b0c0d0e0f101112131415 " MN_HA " proto=mh\n",
     SPDCONF_BAD_KEY, 1, "hmac-sha1-96 needs 20 bytes", "got 42"},
    {"key not hex",
     "sa SA1 out spi=0x1000 mode=transport enc=aes-128-cbc "
     "key=0x00112233445566778899aabbccddeegg auth=hmac-sha1-96" AUTHKEY " " MN_HA " proto=mh\n",
     SPDCONF_BAD_KEY, 1, "character 31 after 0x is not a hex digit", NULL},
    {"key without 0x",
     "sa SA1 out spi=0x1000 mode=transport enc=aes-128-cbc "
     "key=00112233445566778899aabbccddeeff auth=hmac-sha1-96" AUTHKEY " " MN_HA " proto=mh\n",
     SPDCONF_BAD_KEY, 1, "expected 0x followed by 32 hex digits", NULL},
    {"duplicate SA name", SA1_LINE "# again\n" SA1_LINE, SPDCONF_DUPLICATE_SA, 3, "'SA1'",
     "line 1"},
    {"unknown SA", SA1_LINE POLICY1 "action=protect sa=SA9\n", SPDCONF_UNKNOWN_SA, 2, "'SA9'",
     NULL},
    {"overlong line",
     SA1_LINE
     "#" /* then 1100 more bytes */
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
     SPDCONF_LINE_TOO_LONG, 2, "1163 bytes", "maximum is 1024"},
    {"missing spi",
     "sa SA1 out mode=transport enc=null auth=hmac-sha1-96" AUTHKEY " " MN_HA " proto=mh\n",
     SPDCONF_MISSING_FIELD, 1, "no spi= field", "spi=NUMBER"},
    {"missing proto", SA1 " " MN_HA "\n", SPDCONF_MISSING_FIELD, 1, "no proto= field", NULL},
    {"missing key",
     "sa SA1 out spi=4096 mode=transport enc=aes-128-cbc auth=hmac-sha1-96" AUTHKEY " " MN_HA
     " proto=mh\n",
     SPDCONF_MISSING_FIELD, 1, "no key= field", "32 hex digits"},
    {"missing tunnel endpoint",
     "sa T out spi=4096 mode=tunnel enc=aes-128-cbc" KEY " auth=hmac-sha1-96" AUTHKEY
     " src=any dst=any proto=udp "
     "tunnel-src=2001:db8::1\n",
     SPDCONF_MISSING_FIELD, 1, "no tunnel-dst= field", NULL},
    {"missing SA name", "sa\n", SPDCONF_MISSING_FIELD, 1, "without a name", NULL},
    {"missing direction", "sa SA1\n", SPDCONF_MISSING_FIELD, 1, "no direction", NULL},
    {"missing action", POLICY1 "sa=SA1\n", SPDCONF_MISSING_FIELD, 1, "no action= field", NULL},
    {"missing sa=", POLICY1 "action=protect\n", SPDCONF_MISSING_FIELD, 1, "no sa= field", NULL},
    {"policy without direction", "policy\n", SPDCONF_MISSING_FIELD, 1, "without a direction", NULL},
    {"non-numeric SPI", "sa SA1 out spi=0x10g0 mode=transport\n", SPDCONF_BAD_NUMBER, 1, "'0x10g0'",
     "from 256 to 4294967295"},
    {"negative SPI", "sa SA1 out spi=-5 mode=transport\n", SPDCONF_BAD_NUMBER, 1, "'-5'", NULL},
    {"SPI above 32 bits", "sa SA1 out spi=4294967296\n", SPDCONF_BAD_NUMBER, 1, "'4294967296'",
     NULL},
    {"SPI below 256", "sa SA1 out spi=255 mode=transport\n", SPDCONF_RESERVED_SPI, 1, "SPI 255",
     "RFC 4303 section 2.1"},
    {"SPI zero", "sa SA1 out spi=0x0\n", SPDCONF_RESERVED_SPI, 1, "SPI 0", NULL},
    {"bad direction", "sa SA1 outbound spi=4096\n", SPDCONF_BAD_VALUE, 1, "'outbound'",
     "in or out"},
    {"bad SA name", "sa 1SA out\n", SPDCONF_BAD_VALUE, 1, "'1SA'", "starting with a letter"},
    {"long SA name", "sa SA_with_a_long_name out\n", SPDCONF_BAD_VALUE, 1, "'SA_with_a_long_name'",
     "1 to 15"},
    {"bad mode", "sa SA1 out spi=4096 mode=beet\n", SPDCONF_BAD_VALUE, 1, "'beet'",
     "transport or tunnel"},
    {"bad protocol", POLICY1 "action=bypass\npolicy in src=any dst=any proto=sctpx action=bypass\n",
     SPDCONF_BAD_VALUE, 2, "'sctpx'", "mh, icmpv6"},
    {"protocol above 255", "policy in src=any dst=any proto=256 action=bypass\n", SPDCONF_BAD_VALUE,
     1, "'256'", NULL},
    {"bad MH type", "policy in src=any dst=any proto=mh mh-type=bux action=bypass\n",
     SPDCONF_BAD_VALUE, 1, "'bux'", "hoti"},
    {"bad ICMPv6 type", "policy in src=any dst=any proto=icmpv6 icmp-type=mpx action=bypass\n",
     SPDCONF_BAD_VALUE, 1, "'mpx'", "mps, mpa"},
    {"iface any", "policy in src=any dst=any proto=mh iface=any action=bypass\n", SPDCONF_BAD_VALUE,
     1, "'any'", "physical"},
    {"bad action", "policy in src=any dst=any proto=mh action=allow\n", SPDCONF_BAD_VALUE, 1,
     "'allow'", "protect, bypass or discard"},
    {"bad active", "policy in src=any dst=any proto=mh action=bypass active=maybe\n",
     SPDCONF_BAD_VALUE, 1, "'maybe'", "yes or no"},
    {"empty value", "policy in src= dst=any proto=mh action=bypass\n", SPDCONF_BAD_VALUE, 1,
     "empty value in src=", NULL},
    {"MH type on UDP", "policy in src=any dst=any proto=udp mh-type=bu action=bypass\n",
     SPDCONF_BAD_SELECTOR, 1, "mh-type= needs proto=mh", NULL},
    {"ICMPv6 type on MH", "policy in src=any dst=any proto=mh icmp-type=mps action=bypass\n",
     SPDCONF_BAD_SELECTOR, 1, "icmp-type= needs proto=icmpv6", NULL},
    {"ICMPv6 code alone", "policy in src=any dst=any proto=icmpv6 icmp-code=0 action=bypass\n",
     SPDCONF_BAD_SELECTOR, 1, "icmp-code= needs icmp-type=", NULL},
    {"duplicate field", "policy in src=any src=any\n", SPDCONF_DUPLICATE_FIELD, 1,
     "src= appears twice", NULL},
    {"word without =", "policy in src=any dst=any proto mh\n", SPDCONF_BAD_SYNTAX, 1,
     "expected key=value, got 'proto'", NULL},
    {"too many words",
     "policy in a=1 a=1 a=1 a=1 a=1 a=1 a=1 a=1 a=1 a=1 a=1 a=1 a=1 a=1 a=1 "
     "a=1 a=1 a=1 a=1 a=1 a=1 a=1 a=1 a=1 a=1 a=1 a=1 a=1 a=1 a=1 a=1\n",
     SPDCONF_BAD_SYNTAX, 1, "more than 32 words", NULL},
    {"control character", "# fine\npolicy in src=any\x01 dst=any\n", SPDCONF_BAD_CHARACTER, 2,
     "0x01 at column 18", NULL},
    {"non-ASCII outside comment", "policy in src=\xc3\xa9\n", SPDCONF_BAD_CHARACTER, 1, "0xc3",
     NULL},
    {"key with enc=null",
     "sa SA1 out spi=4096 mode=transport enc=null" KEY " auth=hmac-sha1-96" AUTHKEY " " MN_HA
     " proto=mh\n",
     SPDCONF_CONFLICTING_FIELDS, 1, "key= with enc=null", NULL},
    {"both algorithms null",
     "sa SA1 out spi=4096 mode=transport enc=null auth=null " MN_HA " proto=mh\n",
     SPDCONF_CONFLICTING_FIELDS, 1, "RFC 4303 section 3.2", NULL},
    {"tunnel endpoint in transport", SA1 " " MN_HA " proto=mh tunnel-src=2001:db8::1\n",
     SPDCONF_CONFLICTING_FIELDS, 1, "mode=transport", NULL},
    {"sa= with bypass", "policy in src=any dst=any proto=mh action=bypass sa=SA1\n",
     SPDCONF_CONFLICTING_FIELDS, 1, "only for action=protect", NULL},
    {"direction mismatch",
     SA1_LINE "policy in src=2001:db8:0:1::10 dst=2001:db8:0:1::1 "
              "proto=mh action=protect sa=SA1\n",
     SPDCONF_DIRECTION_MISMATCH, 2, "policy in uses SA SA1, which is an out SA", NULL},
    {"policy wider than SA",
     SA1_LINE "policy out src=2001:db8:0:1::10 dst=any proto=mh "
              "action=protect sa=SA1\n",
     SPDCONF_SELECTOR_MISMATCH, 2, "outside the selectors of SA SA1", NULL},
    {"shadowed policy",
     "policy out src=2001:db8:0:1::10 dst=any proto=any iface=tunnel action=bypass\n"
     "policy in src=any dst=any proto=mh action=bypass\n"
     "policy out src=2001:db8:0:1::10 dst=2001:db8:0:9::9 proto=mh iface=tunnel "
     "action=discard\n",
     SPDCONF_SHADOWED, 3, "the policy on line 1", NULL},
    {"policy prefix wider than SA",
     SA1_LINE "policy out src=2001:db8:0:1::10 dst=2001:db8:0:1::1/64 proto=mh "
              "action=protect sa=SA1\n",
     SPDCONF_SELECTOR_MISMATCH, 2, "outside the selectors of SA SA1", NULL},
    {"policy type outside SA",
     SA1 " " MN_HA " proto=mh mh-type=bu\n" POLICY1 "mh-type=ba action=protect sa=SA1\n",
     SPDCONF_SELECTOR_MISMATCH, 2, "outside the selectors of SA SA1", NULL},
    {"policy without type on typed SA",
     SA1 " " MN_HA " proto=mh mh-type=bu\n" POLICY1 "action=protect sa=SA1\n",
     SPDCONF_SELECTOR_MISMATCH, 2, "outside the selectors of SA SA1", NULL},
    {"shadowed typed policy", POLICY1 "action=bypass\n" POLICY1 "mh-type=bu action=discard\n",
     SPDCONF_SHADOWED, 2, "the policy on line 1", NULL},
    {"shadowed ICMPv6 code",
     "policy in src=any dst=any proto=icmpv6 icmp-type=mps action=bypass\n"
     "policy in src=any dst=any proto=icmpv6 icmp-type=mps icmp-code=0 action=discard\n",
     SPDCONF_SHADOWED, 2, "the policy on line 1", NULL},
    {"duplicate inbound SPI",
     "sa A in spi=4096 mode=transport enc=null auth=hmac-sha1-96" AUTHKEY " " MN_HA " proto=udp\n"
     "sa B in spi=0x1000 mode=transport enc=null auth=hmac-sha1-96" AUTHKEY " " MN_HA
     " proto=tcp\n",
     SPDCONF_DUPLICATE_SPI, 2, "0x1000 of SA B is also the SPI of SA A", NULL},
};

static void
test_malformed_inputs(void)
{
    for (size_t i = 0; i < sizeof bad_inputs / sizeof bad_inputs[0]; i++) {
        const struct bad_case *c = &bad_inputs[i];
        struct ipsec_db db;
        struct spdconf_error err;

        ipsec_db_init(&db);
        enum spdconf_status st = spdconf_load_text(&db, c->text, strlen(c->text), "bad.spd", &err);
        check_error(c->name, "bad.spd", st, &err, c->status, c->line, c->needle, c->needle2);
        CHECK_EQ_INT(db.n_sas, 0);
        CHECK_EQ_INT(db.all.count, 0);
        ipsec_db_free(&db);
    }
}

/* The same checks hold where the trouble is not the text: NUL bytes and
 * an inbound SPI that the database already uses. */
static void
test_errors_outside_text(void)
{
    static const char with_nul[] = "# ok\npolicy in src=any\0 dst=any\n";
    struct ipsec_db db;
    struct spdconf_error err;

    ipsec_db_init(&db);
    check_error("NUL byte", "nul.spd",
                spdconf_load_text(&db, with_nul, sizeof with_nul - 1, "nul.spd", &err), &err,
                SPDCONF_BAD_CHARACTER, 2, "0x00", NULL);

    const char *in_sa = "sa A in spi=4096 mode=transport enc=null auth=hmac-sha1-96" AUTHKEY
                        " " MN_HA " proto=udp\n";
    CHECK_EQ_INT(spdconf_load_text(&db, in_sa, strlen(in_sa), "a.spd", &err), SPDCONF_OK);
    check_error("SPI in db", "b.spd", spdconf_load_text(&db, in_sa, strlen(in_sa), "b.spd", &err),
                &err, SPDCONF_DUPLICATE_SPI, 1, "already in use", NULL);
    CHECK_EQ_INT(db.n_sas, 1);

    /* An empty text and a text of comments are valid and add nothing. */
    CHECK_EQ_INT(spdconf_load_text(&db, "", 0, "empty.spd", &err), SPDCONF_OK);
    CHECK_EQ_INT(spdconf_load_text(&db, "#\n\n  # x\n", 9, "c.spd", &err), SPDCONF_OK);
    CHECK_EQ_INT(db.n_sas, 1);
    ipsec_db_free(&db);
}

/* No error message repeats key digits, whatever is wrong with the key. */
static void
test_messages_hide_keys(void)
{
    static const char *const texts[] = {
        "sa S out spi=4096 mode=transport enc=aes-128-cbc key=44556677889900aabbccddeeff00 "
        "auth=null src=any dst=any proto=udp\n",
        "sa S out spi=4096 mode=transport enc=aes-128-cbc key=0x44556677889900aabbccddeeff00 "
        "auth=null src=any dst=any proto=udp\n",
        "sa S out spi=4096 mode=transport enc=aes-128-cbc key=0x44556677889900aabbccddeeff00zz "
        "auth=null src=any dst=any proto=udp\n",
        "sa S out spi=4096 mode=transport enc=null auth=hmac-sha1-96 "
        "authkey=0x4455667788990011223344556677 src=any dst=any proto=udp\n",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct ipsec_db db;
        struct spdconf_error err;
        ipsec_db_init(&db);
        CHECK_EQ_INT(spdconf_load_text(&db, texts[i], strlen(texts[i]), "k.spd", &err),
                     SPDCONF_BAD_KEY);
        CHECK(strstr(err.message, "4455667788") == NULL);
        ipsec_db_free(&db);
    }
}

static void
test_names(void)
{
    int proto;
    uint8_t type;

    CHECK(strcmp(spdconf_proto_name(135), "mh") == 0);
    CHECK(spdconf_proto_name(IPSEC_PROTO_ANY) == NULL);
    CHECK(spdconf_proto_name(89) == NULL);
    CHECK(spdconf_proto_from_name("icmpv6", &proto));
    CHECK_EQ_INT(proto, 58);
    CHECK(!spdconf_proto_from_name("58", &proto));
    CHECK(strcmp(spdconf_mh_type_name(1), "hoti") == 0);
    CHECK(spdconf_mh_type_from_name("be", &type));
    CHECK_EQ_INT(type, 7);
    CHECK(strcmp(spdconf_icmp_type_name(146), "mps") == 0);
    CHECK(spdconf_icmp_type_from_name("mpa", &type));
    CHECK_EQ_INT(type, 147);
    CHECK(strcmp(spdconf_status_text(SPDCONF_RESERVED_SPI), "reserved SPI") == 0);
    CHECK(spdconf_valid_name("SA1"));
    CHECK(!spdconf_valid_name(""));
    CHECK(!spdconf_valid_name("a b"));
}

CHECK_MAIN(TEST(test_presets_match_rfc_tables), TEST(test_preset_text_sections),
           TEST(test_round_trip_presets), TEST(test_round_trip_handwritten),
           TEST(test_round_trip_code_built_db), TEST(test_lookups), TEST(test_at_home_and_moving),
           TEST(test_thousand_mobile_nodes), TEST(test_rfc3776_rules), TEST(test_preset_rules),
           TEST(test_malformed_inputs), TEST(test_errors_outside_text),
           TEST(test_messages_hide_keys), TEST(test_names))
