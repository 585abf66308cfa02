/*
 * spdconf.c - the parser of the SPD text format (docs/spd-format.md).
 *
 * The parser copies each line into a bounded buffer, cuts the comment,
 * checks every byte, splits the words at spaces and tabs, and reads each
 * key=value field with a function that checks the whole value.  No
 * input, however long or binary, makes it read outside the text.
 */
#include "spdconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ipv6.h"

#define TOKEN_SHOWN 40 /* characters of a token quoted in a message */

/* "'token'" in messages, cut after TOKEN_SHOWN characters. */
#define TOKEN_FMT "'%.*s%s'"
#define TOKEN_ARG(t) (int)TOKEN_SHOWN, (t), (strlen(t) > TOKEN_SHOWN ? "..." : "")

enum line_kind {
    LINE_SA = 1,
    LINE_POLICY = 2,
};

enum field {
    F_SPI,
    F_MODE,
    F_ENC,
    F_KEY,
    F_AUTH,
    F_AUTHKEY,
    F_SRC,
    F_DST,
    F_PROTO,
    F_IFACE,
    F_MH_TYPE,
    F_ICMP_TYPE,
    F_ICMP_CODE,
    F_TUNNEL_SRC,
    F_TUNNEL_DST,
    F_ACTION,
    F_SA,
    F_ACTIVE,
    N_FIELDS
};

struct field_desc {
    const char *key;
    unsigned lines;   /* LINE_SA, LINE_POLICY or both */
    const char *hint; /* what a missing field should look like */
};

static const struct field_desc fields[N_FIELDS] = {
    [F_SPI] = {"spi", LINE_SA, "spi=NUMBER (256 or more, decimal or 0x hexadecimal)"},
    [F_MODE] = {"mode", LINE_SA, "mode=transport or mode=tunnel"},
    [F_ENC] = {"enc", LINE_SA, "enc=aes-128-cbc or enc=null"},
    [F_KEY] = {"key", LINE_SA, "key=0x followed by 32 hex digits"},
    [F_AUTH] = {"auth", LINE_SA, "auth=hmac-sha1-96 or auth=null"},
    [F_AUTHKEY] = {"authkey", LINE_SA, "authkey=0x followed by 40 hex digits"},
    [F_SRC] = {"src", LINE_SA | LINE_POLICY, "src=ADDRESS[/LENGTH] or src=any"},
    [F_DST] = {"dst", LINE_SA | LINE_POLICY, "dst=ADDRESS[/LENGTH] or dst=any"},
    [F_PROTO] = {"proto", LINE_SA | LINE_POLICY, "proto=mh, icmpv6, udp, tcp, any or a number"},
    [F_IFACE] = {"iface", LINE_SA | LINE_POLICY, "iface=physical or iface=tunnel"},
    [F_MH_TYPE] = {"mh-type", LINE_SA | LINE_POLICY, "mh-type=bu, ba, hoti, ..."},
    [F_ICMP_TYPE] = {"icmp-type", LINE_SA | LINE_POLICY, "icmp-type=mps, mpa, ..."},
    [F_ICMP_CODE] = {"icmp-code", LINE_SA | LINE_POLICY, "icmp-code=NUMBER"},
    [F_TUNNEL_SRC] = {"tunnel-src", LINE_SA, "tunnel-src=ADDRESS (outer source)"},
    [F_TUNNEL_DST] = {"tunnel-dst", LINE_SA, "tunnel-dst=ADDRESS (outer destination)"},
    [F_ACTION] = {"action", LINE_POLICY, "action=protect, bypass or discard"},
    [F_SA] = {"sa", LINE_POLICY, "sa=NAME of an sa line"},
    [F_ACTIVE] = {"active", LINE_POLICY, "active=yes or active=no"},
};

struct parser {
    struct spdconf *conf;
    const char *source;
    size_t line;
    struct spdconf_error *err;
};

/* Fields of one line, before the cross-field checks. */
struct line_fields {
    bool seen[N_FIELDS];
    const char *enc_key_text; /* the raw key= and authkey= values */
    const char *auth_key_text;
};

static enum spdconf_status
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    fail(struct parser *p, enum spdconf_status status, const char *fmt, ...)
{
    char text[SPDCONF_MESSAGE_LEN];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return spdconf_set_error(p->err, status, p->source, p->line, "%s", text);
}

/* ---- values ---- */

static bool
is_hex_digit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned
hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return (unsigned)(c - '0');
    if (c >= 'a' && c <= 'f')
        return (unsigned)(c - 'a' + 10);
    return (unsigned)(c - 'A' + 10);
}

/* A number without sign, at most max: decimal, or 0x hexadecimal when hex_allowed. */
static bool
read_number_base(const char *s, uint64_t max, bool hex_allowed, uint64_t *out)
{
    unsigned base = 10;
    uint64_t v = 0;

    if (hex_allowed && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (*s == '\0')
        return false;
    for (; *s; s++) {
        bool digit = base == 16 ? is_hex_digit(*s) : (*s >= '0' && *s <= '9');
        if (!digit)
            return false;
        unsigned d = hex_value(*s);
        if (d > max || v > (max - d) / base)
            return false;
        v = v * base + d;
    }
    *out = v;
    return true;
}

static bool
read_number(const char *s, uint64_t max, uint64_t *out)
{
    return read_number_base(s, max, true, out);
}

/* A number 0-255, or "any", which leaves *set false. */
static bool
read_byte_or_any(const char *s, bool *set, uint8_t *out)
{
    uint64_t v;

    if (strcmp(s, "any") == 0) {
        *set = false;
        return true;
    }
    if (!read_number(s, 255, &v))
        return false;
    *set = true;
    *out = (uint8_t)v;
    return true;
}

static enum spdconf_status
parse_address(struct parser *p, const char *key, const char *value, uint8_t out[16])
{
    if (strlen(value) >= IP6_ADDR_TEXT_LEN || ip6_addr_from_text(value, out) != IP6_OK)
        return fail(p, SPDCONF_BAD_ADDRESS,
                    "invalid IPv6 address " TOKEN_FMT " in %s=; expected an address such as "
                    "2001:db8::1",
                    TOKEN_ARG(value), key);
    return SPDCONF_OK;
}

/* ADDRESS, ADDRESS/LENGTH or "any". */
static enum spdconf_status
parse_prefix(struct parser *p, const char *key, const char *value, uint8_t addr[16], uint8_t *len)
{
    char text[IP6_ADDR_TEXT_LEN];
    const char *slash = strchr(value, '/');
    size_t addr_len = slash ? (size_t)(slash - value) : strlen(value);
    uint64_t bits = 128;

    if (strcmp(value, "any") == 0) {
        memset(addr, 0, 16);
        *len = 0;
        return SPDCONF_OK;
    }
    if (addr_len >= sizeof text)
        return fail(p, SPDCONF_BAD_ADDRESS,
                    "invalid IPv6 address " TOKEN_FMT " in %s=; expected ADDRESS, "
                    "ADDRESS/LENGTH or any",
                    TOKEN_ARG(value), key);
    memcpy(text, value, addr_len);
    text[addr_len] = '\0';
    if (ip6_addr_from_text(text, addr) != IP6_OK)
        return fail(p, SPDCONF_BAD_ADDRESS,
                    "invalid IPv6 address " TOKEN_FMT " in %s=; expected ADDRESS, "
                    "ADDRESS/LENGTH or any",
                    TOKEN_ARG(text), key);

    if (slash) {
        const char *digits = slash + 1;
        if (!read_number_base(digits, 128, false, &bits))
            return fail(p, SPDCONF_BAD_PREFIX_LENGTH,
                        "invalid prefix length " TOKEN_FMT " in %s=; expected a decimal number "
                        "from 0 to 128",
                        TOKEN_ARG(digits), key);
    }
    *len = (uint8_t)bits;
    return SPDCONF_OK;
}

static enum spdconf_status
parse_proto(struct parser *p, const char *value, int *proto)
{
    uint64_t v;

    if (strcmp(value, "any") == 0) {
        *proto = IPSEC_PROTO_ANY;
        return SPDCONF_OK;
    }
    if (spdconf_proto_from_name(value, proto))
        return SPDCONF_OK;
    if (read_number(value, 255, &v)) {
        *proto = (int)v;
        return SPDCONF_OK;
    }
    return fail(p, SPDCONF_BAD_VALUE,
                "invalid protocol " TOKEN_FMT " in proto=; expected mh, icmpv6, udp, tcp, esp, "
                "ah, any or a number from 0 to 255",
                TOKEN_ARG(value));
}

static enum spdconf_status
parse_mh_type(struct parser *p, const char *value, struct ipsec_selector *sel)
{
    if (spdconf_mh_type_from_name(value, &sel->mh_type)) {
        sel->mh_type_set = true;
        return SPDCONF_OK;
    }
    if (read_byte_or_any(value, &sel->mh_type_set, &sel->mh_type))
        return SPDCONF_OK;
    return fail(p, SPDCONF_BAD_VALUE,
                "invalid MH type " TOKEN_FMT " in mh-type=; expected brr, hoti, coti, hot, cot, "
                "bu, ba, be, any or a number from 0 to 255",
                TOKEN_ARG(value));
}

static enum spdconf_status
parse_icmp_type(struct parser *p, const char *value, struct ipsec_selector *sel)
{
    if (spdconf_icmp_type_from_name(value, &sel->icmp_type)) {
        sel->icmp_type_set = true;
        return SPDCONF_OK;
    }
    if (read_byte_or_any(value, &sel->icmp_type_set, &sel->icmp_type))
        return SPDCONF_OK;
    return fail(p, SPDCONF_BAD_VALUE,
                "invalid ICMPv6 type " TOKEN_FMT " in icmp-type=; expected mps, mpa, "
                "dhaad-request, dhaad-reply, any or a number from 0 to 255",
                TOKEN_ARG(value));
}

/* Selector fields, shared by sa and policy lines. */
static enum spdconf_status
parse_selector_field(struct parser *p, enum field f, const char *value, struct ipsec_selector *sel)
{
    switch (f) {
    case F_SRC:
        return parse_prefix(p, "src", value, sel->src, &sel->src_len);
    case F_DST:
        return parse_prefix(p, "dst", value, sel->dst, &sel->dst_len);
    case F_PROTO:
        return parse_proto(p, value, &sel->proto);
    case F_IFACE:
        if (strcmp(value, "physical") == 0 || strcmp(value, "tunnel") == 0) {
            sel->tunnel_iface = value[0] == 't';
            return SPDCONF_OK;
        }
        /* "any" is rejected on purpose: an entry applies to the MN-HA tunnel
         * or to the other interfaces, never to both (RFC 3776 §4.2). */
        return fail(p, SPDCONF_BAD_VALUE,
                    "invalid interface " TOKEN_FMT " in iface=; expected physical (every "
                    "interface except the mobile node-home agent tunnel) or tunnel",
                    TOKEN_ARG(value));
    case F_MH_TYPE:
        return parse_mh_type(p, value, sel);
    case F_ICMP_TYPE:
        return parse_icmp_type(p, value, sel);
    case F_ICMP_CODE:
        if (read_byte_or_any(value, &sel->icmp_code_set, &sel->icmp_code))
            return SPDCONF_OK;
        return fail(p, SPDCONF_BAD_NUMBER,
                    "invalid ICMPv6 code " TOKEN_FMT " in icmp-code=; expected any or a number "
                    "from 0 to 255",
                    TOKEN_ARG(value));
    default:
        return fail(p, SPDCONF_UNKNOWN_KEYWORD, "internal error: field %d is no selector", (int)f);
    }
}

static bool
is_selector_field(enum field f)
{
    return f == F_SRC || f == F_DST || f == F_PROTO || f == F_IFACE || f == F_MH_TYPE ||
           f == F_ICMP_TYPE || f == F_ICMP_CODE;
}

/* RFC 4301 §4.4.1.1: the MH type and ICMPv6 fields belong to their protocols. */
static enum spdconf_status
check_selector(struct parser *p, const struct ipsec_selector *sel)
{
    switch (ipsec_selector_check(sel)) {
    case IPSEC_SELECTOR_OK:
        return SPDCONF_OK;
    case IPSEC_SELECTOR_MH_TYPE_WITHOUT_MH:
        return fail(p, SPDCONF_BAD_SELECTOR,
                    "mh-type= needs proto=mh, because only the Mobility Header has an MH type");
    case IPSEC_SELECTOR_ICMP_WITHOUT_ICMPV6:
        return fail(p, SPDCONF_BAD_SELECTOR,
                    "icmp-type= needs proto=icmpv6, because only ICMPv6 has an ICMPv6 type");
    case IPSEC_SELECTOR_ICMP_CODE_WITHOUT_TYPE:
        return fail(p, SPDCONF_BAD_SELECTOR,
                    "icmp-code= needs icmp-type=, because a code is defined within a type");
    default:
        return fail(p, SPDCONF_BAD_SELECTOR, "invalid selector");
    }
}

/*
 * Decode key text "0x" + hex into out[want].  A missing "0x", a non-hex
 * digit or a length other than want bytes is an error.  The messages
 * name the field and a position but never repeat key digits, so that
 * logs do not leak keys.
 */
static enum spdconf_status
parse_key(struct parser *p, const char *key, const char *text, const char *alg, uint8_t *out,
          size_t want)
{
    size_t digits = strlen(text) >= 2 ? strlen(text) - 2 : 0;

    if (text[0] != '0' || (text[1] != 'x' && text[1] != 'X'))
        return fail(p, SPDCONF_BAD_KEY,
                    "invalid key in %s=; expected 0x followed by %zu hex digits", key, 2 * want);
    for (size_t i = 0; i < digits; i++)
        if (!is_hex_digit(text[2 + i]))
            return fail(p, SPDCONF_BAD_KEY,
                        "invalid key in %s=: character %zu after 0x is not a hex digit", key,
                        i + 1);
    if (digits != 2 * want)
        return fail(p, SPDCONF_BAD_KEY,
                    "invalid key length in %s=: %s needs %zu bytes (%zu hex digits after 0x), "
                    "got %zu hex digits",
                    key, alg, want, 2 * want, digits);
    for (size_t i = 0; i < want; i++)
        out[i] = (uint8_t)(hex_value(text[2 + 2 * i]) << 4 | hex_value(text[3 + 2 * i]));
    return SPDCONF_OK;
}

/* ---- fields ---- */

/* Split "key=value", find the field and check it belongs on this line. */
static enum spdconf_status
find_field(struct parser *p, enum line_kind kind, char *word, struct line_fields *lf, enum field *f,
           const char **value)
{
    char *eq = strchr(word, '=');

    if (!eq)
        return fail(p, SPDCONF_BAD_SYNTAX, "expected key=value, got " TOKEN_FMT, TOKEN_ARG(word));
    *eq = '\0';
    *value = eq + 1;
    for (int i = 0; i < N_FIELDS; i++) {
        if (strcmp(word, fields[i].key) != 0 || !(fields[i].lines & kind))
            continue;
        if (lf->seen[i])
            return fail(p, SPDCONF_DUPLICATE_FIELD, "field %s= appears twice; give each field once",
                        word);
        if (**value == '\0')
            return fail(p, SPDCONF_BAD_VALUE, "empty value in %s=; expected %s", word,
                        fields[i].hint);
        lf->seen[i] = true;
        *f = (enum field)i;
        return SPDCONF_OK;
    }
    return fail(p, SPDCONF_UNKNOWN_KEYWORD,
                kind == LINE_SA
                    ? "unknown field " TOKEN_FMT " in an sa line; expected spi, mode, enc, key, "
                      "auth, authkey, src, dst, proto, iface, mh-type, icmp-type, icmp-code, "
                      "tunnel-src or tunnel-dst"
                    : "unknown field " TOKEN_FMT " in a policy line; expected src, dst, proto, "
                      "iface, mh-type, icmp-type, icmp-code, action, sa or active",
                TOKEN_ARG(word));
}

static enum spdconf_status
require(struct parser *p, const struct line_fields *lf, enum field f, const char *entry)
{
    if (lf->seen[f])
        return SPDCONF_OK;
    return fail(p, SPDCONF_MISSING_FIELD, "%s has no %s= field; add %s", entry, fields[f].key,
                fields[f].hint);
}

static enum spdconf_status
parse_direction(struct parser *p, const char *word, enum ipsec_dir *dir)
{
    if (strcmp(word, "out") == 0 || strcmp(word, "in") == 0) {
        *dir = word[0] == 'o' ? IPSEC_OUT : IPSEC_IN;
        return SPDCONF_OK;
    }
    return fail(p, SPDCONF_BAD_VALUE, "invalid direction " TOKEN_FMT "; expected in or out",
                TOKEN_ARG(word));
}

/* One field of an sa line. */
static enum spdconf_status
parse_sa_field(struct parser *p, enum field f, const char *value, struct spdconf_sa *sa,
               struct line_fields *lf)
{
    uint64_t spi;

    if (is_selector_field(f))
        return parse_selector_field(p, f, value, &sa->sel);
    switch (f) {
    case F_SPI:
        if (!read_number(value, UINT32_MAX, &spi))
            return fail(p, SPDCONF_BAD_NUMBER,
                        "invalid SPI " TOKEN_FMT " in spi=; expected a number from 256 to "
                        "4294967295, decimal or 0x hexadecimal",
                        TOKEN_ARG(value));
        /* RFC 4303 §2.1: SPI 0 is for local use and 1-255 are reserved by IANA. */
        if (spi < ESP_MIN_SPI)
            return fail(p, SPDCONF_RESERVED_SPI,
                        "SPI %llu in spi= is reserved (RFC 4303 section 2.1: 0 is for local "
                        "use, 1-255 are reserved); use 256 or more",
                        (unsigned long long)spi);
        sa->spi = (uint32_t)spi;
        return SPDCONF_OK;
    case F_MODE:
        if (strcmp(value, "transport") == 0 || strcmp(value, "tunnel") == 0) {
            sa->mode = value[1] == 'r' ? IPSEC_TRANSPORT : IPSEC_TUNNEL;
            return SPDCONF_OK;
        }
        return fail(p, SPDCONF_BAD_VALUE,
                    "invalid mode " TOKEN_FMT " in mode=; expected transport or tunnel",
                    TOKEN_ARG(value));
    case F_ENC:
        if (strcmp(value, "aes-128-cbc") == 0 || strcmp(value, "null") == 0) {
            sa->enc = value[0] == 'a' ? ESP_ENC_AES_128_CBC : ESP_ENC_NULL;
            return SPDCONF_OK;
        }
        return fail(p, SPDCONF_BAD_VALUE,
                    "invalid encryption algorithm " TOKEN_FMT " in enc=; expected aes-128-cbc "
                    "or null",
                    TOKEN_ARG(value));
    case F_AUTH:
        if (strcmp(value, "hmac-sha1-96") == 0 || strcmp(value, "null") == 0) {
            sa->auth = value[0] == 'h' ? ESP_AUTH_HMAC_SHA1_96 : ESP_AUTH_NULL;
            return SPDCONF_OK;
        }
        return fail(p, SPDCONF_BAD_VALUE,
                    "invalid authentication algorithm " TOKEN_FMT " in auth=; expected "
                    "hmac-sha1-96 or null",
                    TOKEN_ARG(value));
    case F_KEY:
        lf->enc_key_text = value;
        return SPDCONF_OK;
    case F_AUTHKEY:
        lf->auth_key_text = value;
        return SPDCONF_OK;
    case F_TUNNEL_SRC:
        return parse_address(p, "tunnel-src", value, sa->tunnel_src);
    case F_TUNNEL_DST:
        return parse_address(p, "tunnel-dst", value, sa->tunnel_dst);
    default:
        return fail(p, SPDCONF_UNKNOWN_KEYWORD, "internal error: field %d in an sa line", (int)f);
    }
}

/* The keys of an sa line, once both algorithms are known. */
static enum spdconf_status
check_sa_keys(struct parser *p, const struct line_fields *lf, struct spdconf_sa *sa)
{
    enum spdconf_status st = SPDCONF_OK;

    /* RFC 4303 §3.2: encryption and integrity must not both be NULL. */
    if (sa->enc == ESP_ENC_NULL && sa->auth == ESP_AUTH_NULL)
        return fail(p, SPDCONF_CONFLICTING_FIELDS,
                    "SA %s has enc=null and auth=null; ESP needs at least one algorithm (RFC "
                    "4303 section 3.2)",
                    sa->name);

    if (sa->enc == ESP_ENC_NULL && lf->enc_key_text)
        return fail(p, SPDCONF_CONFLICTING_FIELDS,
                    "SA %s has key= with enc=null; remove key= or choose enc=aes-128-cbc",
                    sa->name);
    if (sa->enc != ESP_ENC_NULL && !lf->enc_key_text)
        return require(p, lf, F_KEY, "this sa line");
    if (sa->enc != ESP_ENC_NULL)
        st = parse_key(p, "key", lf->enc_key_text, "aes-128-cbc", sa->enc_key, ESP_AES_KEY_LEN);
    if (st != SPDCONF_OK)
        return st;

    if (sa->auth == ESP_AUTH_NULL && lf->auth_key_text)
        return fail(p, SPDCONF_CONFLICTING_FIELDS,
                    "SA %s has authkey= with auth=null; remove authkey= or choose "
                    "auth=hmac-sha1-96",
                    sa->name);
    if (sa->auth != ESP_AUTH_NULL && !lf->auth_key_text)
        return require(p, lf, F_AUTHKEY, "this sa line");
    if (sa->auth != ESP_AUTH_NULL)
        st = parse_key(p, "authkey", lf->auth_key_text, "hmac-sha1-96", sa->auth_key,
                       ESP_HMAC_SHA1_KEY_LEN);
    return st;
}

/* The checks of an sa line that involve more than one field. */
static enum spdconf_status
check_sa_line(struct parser *p, const struct line_fields *lf, struct spdconf_sa *sa)
{
    static const enum field required[] = {F_SPI, F_MODE, F_ENC, F_AUTH, F_SRC, F_DST, F_PROTO};
    enum spdconf_status st = SPDCONF_OK;

    for (size_t i = 0; i < sizeof required / sizeof required[0] && st == SPDCONF_OK; i++)
        st = require(p, lf, required[i], "this sa line");
    if (st == SPDCONF_OK)
        st = check_sa_keys(p, lf, sa);
    if (st != SPDCONF_OK)
        return st;

    bool outer = lf->seen[F_TUNNEL_SRC] || lf->seen[F_TUNNEL_DST];
    if (sa->mode == IPSEC_TRANSPORT && outer)
        return fail(p, SPDCONF_CONFLICTING_FIELDS,
                    "SA %s has tunnel-src= or tunnel-dst= in mode=transport; remove them or use "
                    "mode=tunnel",
                    sa->name);
    if (sa->mode == IPSEC_TUNNEL) {
        st = require(p, lf, F_TUNNEL_SRC, "this tunnel-mode sa line");
        if (st == SPDCONF_OK)
            st = require(p, lf, F_TUNNEL_DST, "this tunnel-mode sa line");
        if (st != SPDCONF_OK)
            return st;
    }
    /* A tunnel-mode SA carries what enters the MN-HA tunnel, unless iface= is given. */
    if (!lf->seen[F_IFACE])
        sa->sel.tunnel_iface = sa->mode == IPSEC_TUNNEL;
    return check_selector(p, &sa->sel);
}

/* sa NAME DIR field=value ... */
static enum spdconf_status
parse_sa(struct parser *p, char **words, size_t n)
{
    struct spdconf_sa sa = {.line = p->line};
    struct line_fields lf = {.enc_key_text = NULL};
    enum spdconf_status st;

    if (n < 1)
        return fail(p, SPDCONF_MISSING_FIELD,
                    "sa line without a name; expected sa NAME in|out field=value ...");
    if (!spdconf_valid_name(words[0]))
        return fail(p, SPDCONF_BAD_VALUE,
                    "invalid SA name " TOKEN_FMT "; expected 1 to %d letters, digits, '_', '-' "
                    "or '.', starting with a letter",
                    TOKEN_ARG(words[0]), IPSEC_SA_NAME_LEN - 1);
    const struct spdconf_sa *earlier = spdconf_find_sa(p->conf, words[0]);
    if (earlier)
        return fail(p, SPDCONF_DUPLICATE_SA,
                    "SA name '%s' is already defined on line %zu; give each SA its own name",
                    words[0], earlier->line);
    memcpy(sa.name, words[0], strlen(words[0]) + 1);
    if (n < 2)
        return fail(p, SPDCONF_MISSING_FIELD,
                    "sa %s has no direction; expected in or out after the name", sa.name);
    st = parse_direction(p, words[1], &sa.dir);

    for (size_t i = 2; i < n && st == SPDCONF_OK; i++) {
        enum field f;
        const char *value;
        st = find_field(p, LINE_SA, words[i], &lf, &f, &value);
        if (st == SPDCONF_OK)
            st = parse_sa_field(p, f, value, &sa, &lf);
    }
    if (st == SPDCONF_OK)
        st = check_sa_line(p, &lf, &sa);
    if (st == SPDCONF_OK && !spdconf_add_sa(p->conf, &sa))
        st = fail(p, SPDCONF_NO_MEMORY, "out of memory adding SA %s", sa.name);
    OPENSSL_cleanse(&sa, sizeof sa);
    return st;
}

/* One field of a policy line. */
static enum spdconf_status
parse_policy_field(struct parser *p, enum field f, const char *value, struct spdconf_policy *policy)
{
    if (is_selector_field(f))
        return parse_selector_field(p, f, value, &policy->sel);
    switch (f) {
    case F_ACTION:
        if (strcmp(value, "protect") == 0)
            policy->action = IPSEC_PROTECT;
        else if (strcmp(value, "bypass") == 0)
            policy->action = IPSEC_BYPASS;
        else if (strcmp(value, "discard") == 0)
            policy->action = IPSEC_DISCARD;
        else
            return fail(p, SPDCONF_BAD_VALUE,
                        "invalid action " TOKEN_FMT " in action=; expected protect, bypass or "
                        "discard",
                        TOKEN_ARG(value));
        return SPDCONF_OK;
    case F_SA:
        if (!spdconf_valid_name(value))
            return fail(p, SPDCONF_BAD_VALUE,
                        "invalid SA name " TOKEN_FMT " in sa=; expected 1 to %d letters, "
                        "digits, '_', '-' or '.', starting with a letter",
                        TOKEN_ARG(value), IPSEC_SA_NAME_LEN - 1);
        memcpy(policy->sa_name, value, strlen(value) + 1);
        return SPDCONF_OK;
    case F_ACTIVE:
        if (strcmp(value, "yes") == 0 || strcmp(value, "no") == 0) {
            policy->active = value[0] == 'y';
            return SPDCONF_OK;
        }
        return fail(p, SPDCONF_BAD_VALUE,
                    "invalid value " TOKEN_FMT " in active=; expected yes or no", TOKEN_ARG(value));
    default:
        return fail(p, SPDCONF_UNKNOWN_KEYWORD, "internal error: field %d in a policy line",
                    (int)f);
    }
}

/* policy DIR field=value ... */
static enum spdconf_status
parse_policy(struct parser *p, char **words, size_t n)
{
    static const enum field required[] = {F_SRC, F_DST, F_PROTO, F_ACTION};
    struct spdconf_policy policy = {.active = true, .line = p->line};
    struct line_fields lf = {.enc_key_text = NULL};
    enum spdconf_status st;

    if (n < 1)
        return fail(p, SPDCONF_MISSING_FIELD,
                    "policy line without a direction; expected policy in|out field=value ...");
    st = parse_direction(p, words[0], &policy.dir);
    for (size_t i = 1; i < n && st == SPDCONF_OK; i++) {
        enum field f;
        const char *value;
        st = find_field(p, LINE_POLICY, words[i], &lf, &f, &value);
        if (st == SPDCONF_OK)
            st = parse_policy_field(p, f, value, &policy);
    }
    for (size_t i = 0; i < sizeof required / sizeof required[0] && st == SPDCONF_OK; i++)
        st = require(p, &lf, required[i], "this policy line");
    if (st != SPDCONF_OK)
        return st;

    if (policy.action == IPSEC_PROTECT && !lf.seen[F_SA])
        return require(p, &lf, F_SA, "this policy line with action=protect");
    if (policy.action != IPSEC_PROTECT && lf.seen[F_SA])
        return fail(p, SPDCONF_CONFLICTING_FIELDS,
                    "sa= is only for action=protect; remove sa=%s or change the action",
                    policy.sa_name);
    st = check_selector(p, &policy.sel);
    if (st == SPDCONF_OK && !spdconf_add_policy(p->conf, &policy))
        st = fail(p, SPDCONF_NO_MEMORY, "out of memory adding a policy");
    return st;
}

/* ---- lines ---- */

/* Every byte before the comment is printable ASCII, a space or a tab. */
static enum spdconf_status
check_characters(struct parser *p, const char *line, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c == '#')
            return SPDCONF_OK;
        if ((c < 0x20 || c > 0x7e) && c != '\t')
            return fail(p, SPDCONF_BAD_CHARACTER,
                        "invalid byte 0x%02x at column %zu; expected printable ASCII text, "
                        "spaces and tabs (other bytes only in comments)",
                        c, i + 1);
    }
    return SPDCONF_OK;
}

/* Cut buf at the comment and split it into words in place. */
static enum spdconf_status
split_words(struct parser *p, char *buf, char **words, size_t *n)
{
    char *hash = strchr(buf, '#');
    char *s = buf;

    if (hash)
        *hash = '\0';
    *n = 0;
    for (;;) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '\0')
            return SPDCONF_OK;
        if (*n == SPDCONF_MAX_FIELDS)
            return fail(p, SPDCONF_BAD_SYNTAX,
                        "more than %d words in one line; put one entry "
                        "on each line",
                        SPDCONF_MAX_FIELDS);
        words[(*n)++] = s;
        while (*s && *s != ' ' && *s != '\t')
            s++;
        if (*s)
            *s++ = '\0';
    }
}

static enum spdconf_status
parse_line(struct parser *p, const char *line, size_t len)
{
    char buf[SPDCONF_MAX_LINE + 1];
    char *words[SPDCONF_MAX_FIELDS];
    size_t n = 0;

    /* A CR before the LF belongs to the line end (files from Windows). */
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len > SPDCONF_MAX_LINE)
        return fail(p, SPDCONF_LINE_TOO_LONG, "line is %zu bytes long; the maximum is %d", len,
                    SPDCONF_MAX_LINE);
    enum spdconf_status st = check_characters(p, line, len);
    if (st != SPDCONF_OK)
        return st;

    memcpy(buf, line, len);
    buf[len] = '\0';
    st = split_words(p, buf, words, &n);
    if (st != SPDCONF_OK || n == 0)
        return st;
    if (strcmp(words[0], "sa") == 0)
        return parse_sa(p, words + 1, n - 1);
    if (strcmp(words[0], "policy") == 0)
        return parse_policy(p, words + 1, n - 1);
    return fail(p, SPDCONF_UNKNOWN_KEYWORD, "unknown keyword " TOKEN_FMT "; expected sa or policy",
                TOKEN_ARG(words[0]));
}

/* Every PROTECT policy names an SA defined somewhere in the text. */
static enum spdconf_status
resolve_sa_names(struct parser *p, size_t first_policy)
{
    for (size_t i = first_policy; i < p->conf->n_policies; i++) {
        const struct spdconf_policy *policy = &p->conf->policies[i];
        if (policy->action != IPSEC_PROTECT || spdconf_find_sa(p->conf, policy->sa_name))
            continue;
        p->line = policy->line;
        return fail(p, SPDCONF_UNKNOWN_SA,
                    "policy names SA '%s', which no sa line defines; add an sa line for it or "
                    "fix the name",
                    policy->sa_name);
    }
    return SPDCONF_OK;
}

enum spdconf_status
spdconf_parse(struct spdconf *conf, const char *text, size_t len, const char *source,
              struct spdconf_error *err)
{
    struct parser p = {conf, source, 0, err};
    size_t first_policy = conf->n_policies;
    size_t pos = 0;

    memset(err, 0, sizeof *err);
    while (pos < len) {
        const char *start = text + pos;
        const char *newline = memchr(start, '\n', len - pos);
        size_t line_len = newline ? (size_t)(newline - start) : len - pos;

        p.line++;
        enum spdconf_status st = parse_line(&p, start, line_len);
        if (st != SPDCONF_OK)
            return st;
        pos += line_len + (newline ? 1 : 0);
    }
    return resolve_sa_names(&p, first_policy);
}
