/*
 * spdconf_check.c - the rules a parsed SPD/SAD configuration must meet,
 * and its installation into an ipsec_db.
 */
#include <stdlib.h>
#include <string.h>

#include "ipv6.h"
#include "mh.h"
#include "spdconf.h"

#define ICMP6_MPS 146 /* Mobile Prefix Solicitation, RFC 6275 §6.7 */
#define ICMP6_MPA 147 /* Mobile Prefix Advertisement, RFC 6275 §6.8 */

static const char *
dir_name(enum ipsec_dir dir)
{
    return dir == IPSEC_OUT ? "out" : "in";
}

/* ---- selector algebra ---- */

static bool
prefix_contains(const uint8_t *outer, uint8_t outer_len, const uint8_t *inner, uint8_t inner_len)
{
    return outer_len <= inner_len && ip6_prefix_match(outer, inner, outer_len);
}

/*
 * Whether a selects every packet that b selects.  A specific MH type or
 * ICMPv6 value in a never contains ANY in b, because ANY also takes
 * OPAQUE packets (RFC 4301 §4.4.1.1).
 */
static bool
selector_contains(const struct ipsec_selector *a, const struct ipsec_selector *b)
{
    if (a->tunnel_iface != b->tunnel_iface)
        return false;
    if (!prefix_contains(a->src, a->src_len, b->src, b->src_len) ||
        !prefix_contains(a->dst, a->dst_len, b->dst, b->dst_len))
        return false;
    if (a->proto != IPSEC_PROTO_ANY && a->proto != b->proto)
        return false;
    if (a->mh_type_set && (!b->mh_type_set || a->mh_type != b->mh_type))
        return false;
    if (a->icmp_type_set && (!b->icmp_type_set || a->icmp_type != b->icmp_type))
        return false;
    if (a->icmp_code_set && (!b->icmp_code_set || a->icmp_code != b->icmp_code))
        return false;
    return true;
}

/* Whether the selector admits Mobility Header messages of this type. */
static bool
admits_mh(const struct ipsec_selector *s, uint8_t type)
{
    return (s->proto == IPSEC_PROTO_ANY || s->proto == IP6_NH_MOBILITY) &&
           (!s->mh_type_set || s->mh_type == type);
}

/* Whether the selector admits ICMPv6 messages of this type. */
static bool
admits_icmp(const struct ipsec_selector *s, uint8_t type)
{
    return (s->proto == IPSEC_PROTO_ANY || s->proto == IP6_NH_ICMPV6) &&
           (!s->icmp_type_set || s->icmp_type == type);
}

static bool
is_ipsec_proto(int proto)
{
    return proto == IP6_NH_ESP || proto == IP6_NH_AH;
}

/* ---- per-SA rules ---- */

/* The SPI and, by RFC 3776 §4.3 and §5.2.4, the algorithms and protocol of one SA. */
static enum spdconf_status
check_sa_rules(const struct spdconf_sa *sa, const char *source, struct spdconf_error *err)
{
    const struct ipsec_selector *s = &sa->sel;

    /* RFC 4303 §2.1: SPI 0 is for local use and 1-255 are reserved. */
    if (sa->spi < ESP_MIN_SPI)
        return spdconf_set_error(err, SPDCONF_RESERVED_SPI, source, sa->line,
                                 "SPI %u of SA %s is reserved (RFC 4303 section 2.1); use 256 "
                                 "or more",
                                 (unsigned)sa->spi, sa->name);

    /* RFC 3776 §4.3: BU and BA use ESP with a non-null authentication algorithm. */
    if (sa->auth == ESP_AUTH_NULL && (admits_mh(s, MH_BU) || admits_mh(s, MH_BA)))
        return spdconf_set_error(
            err, SPDCONF_RULE_VIOLATION, source, sa->line,
            "SA %s has auth=null, but its selectors admit Binding Updates and "
            "Acknowledgements; RFC 3776 section 4.3 requires a non-null authentication "
            "algorithm for them; set auth=hmac-sha1-96",
            sa->name);

    /* RFC 3776 §4.3: so do Mobile Prefix Solicitations and Advertisements. */
    if (sa->auth == ESP_AUTH_NULL && (admits_icmp(s, ICMP6_MPS) || admits_icmp(s, ICMP6_MPA)))
        return spdconf_set_error(
            err, SPDCONF_RULE_VIOLATION, source, sa->line,
            "SA %s has auth=null, but its selectors admit Mobile Prefix Solicitations and "
            "Advertisements; RFC 3776 section 4.3 requires a non-null authentication "
            "algorithm for prefix discovery; set auth=hmac-sha1-96",
            sa->name);

    /* RFC 3776 §4.3: return routability through the tunnel needs non-null
     * encryption and authentication, so that a node on the mobile node's
     * link cannot read both the home and the care-of keygen tokens.  A
     * tunnel SA for every protocol carries HoTI and HoT too. */
    bool rr = sa->mode == IPSEC_TUNNEL && (admits_mh(s, MH_HOTI) || admits_mh(s, MH_HOT));
    if (rr && (sa->enc == ESP_ENC_NULL || sa->auth == ESP_AUTH_NULL))
        return spdconf_set_error(
            err, SPDCONF_RULE_VIOLATION, source, sa->line,
            "SA %s has %s, but as a tunnel-mode SA with proto=%s it admits Home Test Init "
            "and Home Test messages; RFC 3776 section 4.3 requires non-null encryption and "
            "authentication for return routability; set enc=aes-128-cbc and "
            "auth=hmac-sha1-96%s",
            sa->name, sa->enc == ESP_ENC_NULL ? "enc=null" : "auth=null",
            s->proto == IPSEC_PROTO_ANY ? "any" : "mh",
            s->proto == IPSEC_PROTO_ANY ? ", or select a payload protocol other than any" : "");

    /* RFC 3776 §5.2.4: nested IPsec is not required, so no SA selects ESP or AH. */
    if (is_ipsec_proto(s->proto))
        return spdconf_set_error(
            err, SPDCONF_RULE_VIOLATION, source, sa->line,
            "SA %s selects proto=%s; RFC 3776 section 5.2.4 says payload protection should not "
            "select ESP or AH, because nested IPsec is not required; choose another protocol "
            "or any",
            sa->name, s->proto == IP6_NH_ESP ? "esp" : "ah");
    return SPDCONF_OK;
}

/* ipsec_sa_by_spi finds inbound SAs by SPI alone, so their SPIs must differ. */
static enum spdconf_status
check_inbound_spis(const struct spdconf *conf, const char *source, struct spdconf_error *err)
{
    struct addrmap seen;
    enum spdconf_status st = SPDCONF_OK;

    addrmap_init(&seen);
    for (size_t i = 0; i < conf->n_sas && st == SPDCONF_OK; i++) {
        const struct spdconf_sa *sa = &conf->sas[i];
        uint8_t key[16];
        if (sa->dir != IPSEC_IN)
            continue;
        addrmap_key_u32(key, sa->spi);
        const struct spdconf_sa *other = addrmap_get(&seen, key);
        if (other)
            st = spdconf_set_error(err, SPDCONF_DUPLICATE_SPI, source, sa->line,
                                   "inbound SPI 0x%x of SA %s is also the SPI of SA %s; inbound "
                                   "SAs are found by SPI, so give each its own",
                                   (unsigned)sa->spi, sa->name, other->name);
        else if (!addrmap_put(&seen, key, (void *)sa))
            st = spdconf_set_error(err, SPDCONF_NO_MEMORY, source, sa->line,
                                   "out of memory checking SPIs");
    }
    addrmap_free(&seen);
    return st;
}

/* ---- per-policy rules ---- */

/* The SA of a PROTECT policy: it exists, has the same direction, and its
 * selectors contain the policy's. */
static enum spdconf_status
check_policy_sa(const struct spdconf *conf, const struct spdconf_policy *p, const char *source,
                struct spdconf_error *err)
{
    const struct spdconf_sa *sa = spdconf_find_sa(conf, p->sa_name);

    if (!sa)
        return spdconf_set_error(err, SPDCONF_UNKNOWN_SA, source, p->line,
                                 "policy names SA '%s', which no sa line defines; add an sa "
                                 "line for it or fix the name",
                                 p->sa_name);
    if (sa->dir != p->dir)
        return spdconf_set_error(err, SPDCONF_DIRECTION_MISMATCH, source, p->line,
                                 "policy %s uses SA %s, which is an %s SA; a policy and its SA "
                                 "need the same direction",
                                 dir_name(p->dir), sa->name, dir_name(sa->dir));
    /* RFC 4301 §5.2: an inbound packet must match the selectors of the SA
     * that carried it, so a policy wider than its SA would send packets
     * that the peer drops. */
    if (!selector_contains(&sa->sel, &p->sel))
        return spdconf_set_error(err, SPDCONF_SELECTOR_MISMATCH, source, p->line,
                                 "policy selects traffic outside the selectors of SA %s "
                                 "(src, dst, proto, iface, mh-type, icmp-type, icmp-code); "
                                 "widen the SA's selectors or narrow the policy",
                                 sa->name);
    /* RFC 3776 §5.2.4: payload entries should not select ESP or AH. */
    if (is_ipsec_proto(p->sel.proto))
        return spdconf_set_error(err, SPDCONF_RULE_VIOLATION, source, p->line,
                                 "policy protects proto=%s; RFC 3776 section 5.2.4 says payload "
                                 "entries should not select ESP or AH, because nested IPsec is "
                                 "not required; choose another protocol or any",
                                 p->sel.proto == IP6_NH_ESP ? "esp" : "ah");
    return SPDCONF_OK;
}

/* The remote address of a policy, or NULL when it is a prefix. */
static const uint8_t *
single_remote(const struct spdconf_policy *p)
{
    const struct ipsec_selector *s = &p->sel;
    if (p->dir == IPSEC_OUT)
        return s->dst_len == 128 ? s->dst : NULL;
    return s->src_len == 128 ? s->src : NULL;
}

/* Policy i can never match, because policy j comes first and contains it. */
static enum spdconf_status
report_shadowed(const struct spdconf *conf, size_t i, size_t j, const char *source,
                struct spdconf_error *err)
{
    const struct spdconf_policy *p = &conf->policies[i];
    const struct spdconf_policy *earlier = &conf->policies[j];

    if (earlier->line)
        return spdconf_set_error(err, SPDCONF_SHADOWED, source, p->line,
                                 "policy can never match, because the policy on line %zu "
                                 "selects every packet it selects and comes first; move it "
                                 "above that line or narrow the earlier policy",
                                 earlier->line);
    return spdconf_set_error(err, SPDCONF_SHADOWED, source, p->line,
                             "policy %zu can never match, because policy %zu selects every "
                             "packet it selects and comes first",
                             i + 1, j + 1);
}

/*
 * The first active policy that matches decides (RFC 3776 §5.2 orders
 * BU/BA, then return routability, then payload entries), so a policy
 * whose selectors an earlier active policy contains can never match.
 *
 * Like the SPD index, this compares a policy with a single remote
 * address only with earlier policies for that address and earlier
 * policies with a remote prefix.  A policy for one address cannot
 * contain one for a prefix or for another address.  Chains through
 * next[] link the policies of each group, newest first.
 */
static enum spdconf_status
check_order(const struct spdconf *conf, const char *source, struct spdconf_error *err)
{
    size_t n = conf->n_policies;
    size_t *next = malloc((n ? n : 1) * sizeof *next);
    struct addrmap by_remote[2];
    size_t general[2] = {SIZE_MAX, SIZE_MAX}; /* newest policy with a remote prefix */
    enum spdconf_status st = SPDCONF_OK;

    addrmap_init(&by_remote[0]);
    addrmap_init(&by_remote[1]);
    if (!next)
        st = spdconf_set_error(err, SPDCONF_NO_MEMORY, source, 0, "out of memory checking order");

    for (size_t i = 0; i < n && st == SPDCONF_OK; i++) {
        const struct spdconf_policy *p = &conf->policies[i];
        const uint8_t *remote = single_remote(p);
        struct addrmap *map = &by_remote[p->dir];
        uintptr_t head = remote ? (uintptr_t)addrmap_get(map, remote) : 0;

        /* Earlier policies for the same address, then those for a prefix. */
        for (size_t j = head ? head - 1 : SIZE_MAX; j != SIZE_MAX && st == SPDCONF_OK; j = next[j])
            if (conf->policies[j].active && selector_contains(&conf->policies[j].sel, &p->sel))
                st = report_shadowed(conf, i, j, source, err);
        for (size_t j = general[p->dir]; j != SIZE_MAX && st == SPDCONF_OK; j = next[j])
            if (conf->policies[j].active && selector_contains(&conf->policies[j].sel, &p->sel))
                st = report_shadowed(conf, i, j, source, err);
        if (st != SPDCONF_OK)
            break;

        if (remote) {
            next[i] = head ? head - 1 : SIZE_MAX;
            if (!addrmap_put(map, remote, (void *)(uintptr_t)(i + 1)))
                st = spdconf_set_error(err, SPDCONF_NO_MEMORY, source, p->line,
                                       "out of memory checking order");
        } else {
            next[i] = general[p->dir];
            general[p->dir] = i;
        }
    }
    addrmap_free(&by_remote[0]);
    addrmap_free(&by_remote[1]);
    free(next);
    return st;
}

enum spdconf_status
spdconf_check(const struct spdconf *conf, const char *source, struct spdconf_error *err)
{
    enum spdconf_status st = SPDCONF_OK;

    memset(err, 0, sizeof *err);
    for (size_t i = 0; i < conf->n_policies && st == SPDCONF_OK; i++)
        if (conf->policies[i].action == IPSEC_PROTECT)
            st = check_policy_sa(conf, &conf->policies[i], source, err);
    for (size_t i = 0; i < conf->n_sas && st == SPDCONF_OK; i++)
        st = check_sa_rules(&conf->sas[i], source, err);
    if (st == SPDCONF_OK)
        st = check_inbound_spis(conf, source, err);
    if (st == SPDCONF_OK)
        st = check_order(conf, source, err);
    return st;
}

/* ---- installation ---- */

static enum spdconf_status
install_policies(const struct spdconf *conf, struct ipsec_sa **installed, struct ipsec_db *db,
                 const char *source, struct spdconf_error *err)
{
    for (size_t i = 0; i < conf->n_policies; i++) {
        const struct spdconf_policy *p = &conf->policies[i];
        struct ipsec_sa *sa = NULL;

        if (p->action == IPSEC_PROTECT) {
            const struct spdconf_sa *c = spdconf_find_sa(conf, p->sa_name);
            if (!c)
                return spdconf_set_error(err, SPDCONF_UNKNOWN_SA, source, p->line,
                                         "policy names SA '%s', which no sa line defines",
                                         p->sa_name);
            sa = installed[c - conf->sas];
        }
        struct ipsec_policy *added = ipsec_policy_add(db, p->dir, &p->sel, p->action, sa);
        if (!added)
            return spdconf_set_error(err, SPDCONF_NO_MEMORY, source, p->line,
                                     "out of memory adding a policy");
        ipsec_policy_set_active(added, p->active);
    }
    return SPDCONF_OK;
}

enum spdconf_status
spdconf_install(const struct spdconf *conf, struct ipsec_db *db, const char *source,
                struct spdconf_error *err)
{
    struct ipsec_sa **installed = calloc(conf->n_sas ? conf->n_sas : 1, sizeof *installed);
    enum spdconf_status st = SPDCONF_OK;

    memset(err, 0, sizeof *err);
    if (!installed)
        return spdconf_set_error(err, SPDCONF_NO_MEMORY, source, 0, "out of memory installing");

    /* Validate against db before changing it. */
    for (size_t i = 0; i < conf->n_sas && st == SPDCONF_OK; i++) {
        const struct spdconf_sa *c = &conf->sas[i];
        if (c->dir == IPSEC_IN && ipsec_sa_by_spi(db, c->spi))
            st = spdconf_set_error(err, SPDCONF_DUPLICATE_SPI, source, c->line,
                                   "inbound SPI 0x%x of SA %s is already in use in the SAD; "
                                   "choose another SPI",
                                   (unsigned)c->spi, c->name);
    }

    for (size_t i = 0; i < conf->n_sas && st == SPDCONF_OK; i++) {
        const struct spdconf_sa *c = &conf->sas[i];
        struct ipsec_keys keys = {c->spi, c->enc, c->enc == ESP_ENC_NULL ? NULL : c->enc_key,
                                  c->auth, c->auth == ESP_AUTH_NULL ? NULL : c->auth_key};
        char why[SPDCONF_MESSAGE_LEN / 2];

        installed[i] = ipsec_sa_add(db, c->name, c->dir, c->mode, &c->sel, &keys, why, sizeof why);
        if (!installed[i])
            st = spdconf_set_error(err, SPDCONF_INSTALL_FAILED, source, c->line, "%s", why);
        else if (c->mode == IPSEC_TUNNEL)
            ipsec_sa_set_tunnel(installed[i], c->tunnel_src, c->tunnel_dst);
    }
    if (st == SPDCONF_OK)
        st = install_policies(conf, installed, db, source, err);
    free(installed);
    return st;
}
