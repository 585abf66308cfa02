/*
 * spdconf_names.c - the names of the SPD text format: symbolic protocol,
 * MH type and ICMPv6 type names, SA names, and the descriptions of the
 * status codes.
 */
#define _POSIX_C_SOURCE 200809L /* strnlen */

#include <string.h>

#include "ipv6.h"
#include "mh.h"
#include "spdconf.h"

struct name_value {
    const char *name;
    unsigned value;
};

static const struct name_value protos[] = {
    {"mh", IP6_NH_MOBILITY}, {"icmpv6", IP6_NH_ICMPV6}, {"udp", IP6_NH_UDP},
    {"tcp", IP6_NH_TCP},     {"esp", IP6_NH_ESP},       {"ah", IP6_NH_AH},
};

/* RFC 6275 §6.1.2-§6.1.9. */
static const struct name_value mh_types[] = {
    {"brr", MH_BRR}, {"hoti", MH_HOTI}, {"coti", MH_COTI}, {"hot", MH_HOT},
    {"cot", MH_COT}, {"bu", MH_BU},     {"ba", MH_BA},     {"be", MH_BE},
};

/* RFC 6275 §6.5-§6.8. */
static const struct name_value icmp_types[] = {
    {"dhaad-request", 144},
    {"dhaad-reply", 145},
    {"mps", 146},
    {"mpa", 147},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *
name_of(const struct name_value *table, size_t n, unsigned value)
{
    for (size_t i = 0; i < n; i++)
        if (table[i].value == value)
            return table[i].name;
    return NULL;
}

static bool
value_of(const struct name_value *table, size_t n, const char *name, unsigned *value)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(table[i].name, name) == 0) {
            *value = table[i].value;
            return true;
        }
    }
    return false;
}

const char *
spdconf_proto_name(int proto)
{
    return proto < 0 ? NULL : name_of(protos, COUNT(protos), (unsigned)proto);
}

const char *
spdconf_mh_type_name(unsigned type)
{
    return name_of(mh_types, COUNT(mh_types), type);
}

const char *
spdconf_icmp_type_name(unsigned type)
{
    return name_of(icmp_types, COUNT(icmp_types), type);
}

bool
spdconf_proto_from_name(const char *name, int *proto)
{
    unsigned v;
    if (!value_of(protos, COUNT(protos), name, &v))
        return false;
    *proto = (int)v;
    return true;
}

bool
spdconf_mh_type_from_name(const char *name, uint8_t *type)
{
    unsigned v;
    if (!value_of(mh_types, COUNT(mh_types), name, &v))
        return false;
    *type = (uint8_t)v;
    return true;
}

bool
spdconf_icmp_type_from_name(const char *name, uint8_t *type)
{
    unsigned v;
    if (!value_of(icmp_types, COUNT(icmp_types), name, &v))
        return false;
    *type = (uint8_t)v;
    return true;
}

bool
spdconf_valid_name(const char *s)
{
    size_t len = strnlen(s, IPSEC_SA_NAME_LEN);
    bool letter = (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z');

    if (len == 0 || len >= IPSEC_SA_NAME_LEN || !letter)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.';
        if (!ok)
            return false;
    }
    return true;
}

const char *
spdconf_status_text(enum spdconf_status status)
{
    switch (status) {
    case SPDCONF_OK:
        return "no error";
    case SPDCONF_LINE_TOO_LONG:
        return "line too long";
    case SPDCONF_BAD_CHARACTER:
        return "invalid character";
    case SPDCONF_UNKNOWN_KEYWORD:
        return "unknown keyword";
    case SPDCONF_BAD_SYNTAX:
        return "invalid syntax";
    case SPDCONF_DUPLICATE_FIELD:
        return "duplicate field";
    case SPDCONF_MISSING_FIELD:
        return "missing field";
    case SPDCONF_BAD_VALUE:
        return "invalid value";
    case SPDCONF_BAD_NUMBER:
        return "invalid number";
    case SPDCONF_BAD_ADDRESS:
        return "invalid address";
    case SPDCONF_BAD_PREFIX_LENGTH:
        return "invalid prefix length";
    case SPDCONF_BAD_KEY:
        return "invalid key";
    case SPDCONF_RESERVED_SPI:
        return "reserved SPI";
    case SPDCONF_BAD_SELECTOR:
        return "invalid selector";
    case SPDCONF_CONFLICTING_FIELDS:
        return "conflicting fields";
    case SPDCONF_DUPLICATE_SA:
        return "duplicate SA name";
    case SPDCONF_UNKNOWN_SA:
        return "unknown SA";
    case SPDCONF_DUPLICATE_SPI:
        return "duplicate inbound SPI";
    case SPDCONF_DIRECTION_MISMATCH:
        return "policy and SA directions differ";
    case SPDCONF_SELECTOR_MISMATCH:
        return "policy selects traffic outside its SA's selectors";
    case SPDCONF_SHADOWED:
        return "policy can never match";
    case SPDCONF_RULE_VIOLATION:
        return "RFC 3776 rule violated";
    case SPDCONF_NO_MEMORY:
        return "out of memory";
    case SPDCONF_IO_ERROR:
        return "input/output error";
    case SPDCONF_INSTALL_FAILED:
        return "SA rejected by the SAD";
    }
    return "unknown status";
}
