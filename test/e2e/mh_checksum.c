/*
 * mh_checksum.c - verify Mobility Header checksums from a capture,
 * independently of the model's encoder (tshark 4.0 does not verify them).
 *
 *   tshark ... -T fields -E separator=/t -e frame.number -e ipv6.src -e ipv6.dst \
 *       -e ipv6.opt.mipv6.home_address -e ipv6.routing.mipv6.home_address \
 *       -e esp.contained_data | mh_checksum
 *
 * Each input line has six tab-separated fields:
 *   1. a label, such as the frame number
 *   2. the IPv6 source as sent
 *   3. the IPv6 destination as sent
 *   4. the address of the Home Address option, or empty
 *   5. the address of the type 2 routing header, or empty
 *   6. the Mobility Header as hex digits, with or without ':' between bytes
 *
 * With ESP decryption on, esp.contained_data is the decrypted ESP
 * payload, which in transport mode with Next Header 135 is exactly the
 * Mobility Header.  Empty lines are skipped.
 *
 * The checksum (RFC 6275 §6.1.1) is the ones' complement of the ones'
 * complement sum of 16-bit words over the IPv6 pseudo-header (RFC 8200
 * §8.1) and the whole Mobility Header with its checksum field zeroed.
 * The pseudo-header source is the home address when a Home Address
 * option is present (RFC 6275 §6.1.1), and its destination is the
 * final destination, which a type 2 routing header names (RFC 8200
 * §8.1).  The message length must equal (Header Len + 1) * 8.
 *
 * Prints one line per message and then "N passed, N failed".  Exits 0
 * when every message passed, 1 when any failed or no message was read,
 * and 2 on a usage error.  --help prints the usage and exits 0.
 */
#define _POSIX_C_SOURCE 200809L /* getline */

#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_FIELDS 6
#define MH_MIN_LEN 8
#define MH_MAX_LEN 2048 /* Header Len is 8 bits: (255 + 1) * 8 bytes */
#define NEXT_HEADER_MOBILITY 135

/* A Mobility Header and the addresses of its pseudo-header. */
struct mh_line {
    const char *label;
    uint8_t src[16], dst[16], hao[16], rh2[16];
    bool has_hao, has_rh2;
    uint8_t mh[MH_MAX_LEN];
    size_t len;
};

static const char *
mh_type_name(unsigned type)
{
    static const char *const names[] = {
        "Binding Refresh Request",
        "Home Test Init",
        "Care-of Test Init",
        "Home Test",
        "Care-of Test",
        "Binding Update",
        "Binding Acknowledgement",
        "Binding Error",
    };
    return type < sizeof names / sizeof names[0] ? names[type] : "unknown MH type";
}

static int
hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Parse hex digits with or without ':' between bytes.  Returns false on any other text. */
static bool
parse_hex(const char *text, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = 0;
    for (const char *p = text; *p;) {
        if (*p == ':') {
            p++;
            continue;
        }
        int high = hex_value(p[0]);
        int low = high < 0 ? -1 : hex_value(p[1]);
        if (low < 0 || n == cap)
            return false;
        out[n++] = (uint8_t)(high << 4 | low);
        p += 2;
    }
    *len = n;
    return true;
}

/* Parse an address field.  An empty field is valid only when optional is true. */
static bool
parse_address(const char *text, bool optional, uint8_t out[16], bool *present)
{
    *present = text[0] != '\0';
    if (!*present)
        return optional;
    return inet_pton(AF_INET6, text, out) == 1;
}

/*
 * Split line in place into the six fields and parse them.  Returns NULL
 * on success or a message that names the invalid field.
 */
static const char *
parse_line(char *line, struct mh_line *m)
{
    char *field[N_FIELDS];
    size_t n = 0;
    bool unused;

    line[strcspn(line, "\r\n")] = '\0';
    for (char *p = line; n < N_FIELDS; n++) {
        field[n] = p;
        p = strchr(p, '\t');
        if (!p)
            break;
        *p++ = '\0';
    }
    if (n != N_FIELDS - 1)
        return "expected 6 tab-separated fields";

    m->label = field[0];
    if (!parse_address(field[1], false, m->src, &unused))
        return "invalid IPv6 source";
    if (!parse_address(field[2], false, m->dst, &unused))
        return "invalid IPv6 destination";
    if (!parse_address(field[3], true, m->hao, &m->has_hao))
        return "invalid Home Address option address";
    if (!parse_address(field[4], true, m->rh2, &m->has_rh2))
        return "invalid type 2 routing header address";
    if (!parse_hex(field[5], m->mh, sizeof m->mh, &m->len))
        return "Mobility Header is not hex bytes or is longer than 2048 bytes";
    return NULL;
}

/* Add the big-endian 16-bit words of data to sum, padding an odd last byte with zero. */
static uint64_t
add_words(uint64_t sum, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i += 2)
        sum += (uint64_t)data[i] << 8 | (i + 1 < len ? data[i + 1] : 0);
    return sum;
}

/* Compute the checksum that the message should carry, taking its checksum field as zero. */
static uint16_t
expected_checksum(const struct mh_line *m)
{
    const uint8_t *src = m->has_hao ? m->hao : m->src;
    const uint8_t *dst = m->has_rh2 ? m->rh2 : m->dst;
    uint8_t tail[8] = {
        (uint8_t)(m->len >> 24),
        (uint8_t)(m->len >> 16),
        (uint8_t)(m->len >> 8),
        (uint8_t)m->len,
        0,
        0,
        0,
        NEXT_HEADER_MOBILITY,
    };
    uint8_t mh[MH_MAX_LEN];

    memcpy(mh, m->mh, m->len);
    mh[4] = mh[5] = 0;

    uint64_t sum = 0;
    sum = add_words(sum, src, 16);
    sum = add_words(sum, dst, 16);
    sum = add_words(sum, tail, sizeof tail);
    sum = add_words(sum, mh, m->len);
    while (sum > 0xffff)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Check one parsed message and print its result line.  Returns whether it passed. */
static bool
check_message(const struct mh_line *m)
{
    if (m->len < MH_MIN_LEN) {
        printf("%s: invalid Mobility Header: %zu bytes, fewer than 8\n", m->label, m->len);
        return false;
    }
    unsigned type = m->mh[2];
    size_t header_len = ((size_t)m->mh[1] + 1) * 8;
    if (header_len != m->len) {
        printf("%s: %s: %zu bytes, but Header Len %u gives %zu\n", m->label, mh_type_name(type),
               m->len, m->mh[1], header_len);
        return false;
    }

    uint16_t stored = (uint16_t)(m->mh[4] << 8 | m->mh[5]);
    uint16_t expected = expected_checksum(m);
    if (stored != expected) {
        printf("%s: %s checksum 0x%04x is wrong, expected 0x%04x\n", m->label, mh_type_name(type),
               stored, expected);
        return false;
    }
    printf("%s: %s checksum 0x%04x is correct\n", m->label, mh_type_name(type), stored);
    return true;
}

int
main(int argc, char **argv)
{
    bool help = argc == 2 && strcmp(argv[1], "--help") == 0;
    if (argc != 1) {
        fprintf(help ? stdout : stderr,
                "usage: %s < LINES\n"
                "Reads tab-separated lines: label, IPv6 source, IPv6 destination, Home Address\n"
                "option address or empty, type 2 routing header address or empty, Mobility\n"
                "Header in hex.  Checks each Mobility Header checksum.\n",
                argv[0]);
        return help ? 0 : 2;
    }

    char *line = NULL;
    size_t cap = 0;
    int passed = 0, failed = 0;
    static struct mh_line m;

    while (getline(&line, &cap, stdin) >= 0) {
        if (line[strspn(line, "\r\n")] == '\0')
            continue;
        const char *error = parse_line(line, &m);
        if (error) {
            printf("invalid input line: %s\n", error);
            failed++;
        } else if (check_message(&m)) {
            passed++;
        } else {
            failed++;
        }
    }
    free(line);

    if (passed + failed == 0)
        fprintf(stderr, "mh_checksum: standard input had no lines. Pipe in the output of "
                        "tshark -T fields with the six fields that --help lists.\n");
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
