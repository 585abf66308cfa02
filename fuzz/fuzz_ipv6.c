/*
 * fuzz_ipv6.c - ip6_parse on arbitrary bytes.
 *
 * Oracle: ip6_parse returns one of its parse statuses, never an encoder
 * status.  When it returns IP6_OK, every offset and length it reports
 * lies inside the input.  Each also points at what it claims to: the
 * fixed header fields, the extent of the upper-layer header, the address
 * of the Home Address option and the type 2 routing header.  The result
 * must not change when the bytes after Payload Length are cut off.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "ipv6.h"

static bool
is_parse_status(enum ip6_status s)
{
    return s <= IP6_DUPLICATE_RH2;
}

static bool
is_extension_header(uint8_t next_header)
{
    return next_header == IP6_NH_HOP_BY_HOP || next_header == IP6_NH_ROUTING ||
           next_header == IP6_NH_FRAGMENT || next_header == IP6_NH_DEST_OPTS;
}

static void
check_fixed_header(const uint8_t *data, size_t size, const struct ip6_packet *p)
{
    FUZZ_ASSERT(size >= IP6_HEADER_LEN);
    FUZZ_ASSERT(data[0] >> 4 == 6);
    FUZZ_ASSERT(p->hdr.payload_len == get_u16(data + 4));
    FUZZ_ASSERT(p->hdr.payload_len <= size - IP6_HEADER_LEN);
    FUZZ_ASSERT(p->hdr.next_header == data[6]);
    FUZZ_ASSERT(p->hdr.hop_limit == data[7]);
    FUZZ_ASSERT(memcmp(p->hdr.src, data + 8, IP6_ADDR_LEN) == 0);
    FUZZ_ASSERT(memcmp(p->hdr.dst, data + 24, IP6_ADDR_LEN) == 0);
}

/* The upper-layer header spans [upper_offset, 40 + Payload Length). */
static void
check_upper_layer(size_t size, const struct ip6_packet *p)
{
    size_t end = IP6_HEADER_LEN + p->hdr.payload_len;

    FUZZ_ASSERT(p->upper_offset >= IP6_HEADER_LEN);
    FUZZ_ASSERT(p->upper_offset <= end);
    FUZZ_ASSERT(p->upper_len == end - p->upper_offset);
    FUZZ_ASSERT(p->upper_offset + p->upper_len <= size);
    if (p->upper_offset == IP6_HEADER_LEN)
        FUZZ_ASSERT(p->upper_proto == p->hdr.next_header);

    if (p->fragmented) {
        /* The walk stops at the Fragment header, which it read whole. */
        FUZZ_ASSERT(p->upper_proto == IP6_NH_FRAGMENT);
        FUZZ_ASSERT(p->upper_len >= 8);
    } else {
        FUZZ_ASSERT(!is_extension_header(p->upper_proto));
    }
}

/* The Home Address option and the type 2 routing header sit before the upper layer. */
static void
check_mobility_headers(const uint8_t *data, const struct ip6_packet *p)
{
    if (p->has_hao) {
        size_t at = p->hao_offset;
        /* Next Header, Hdr Ext Len, then option type and length before the address. */
        FUZZ_ASSERT(at >= IP6_HEADER_LEN + 4);
        FUZZ_ASSERT(at + IP6_ADDR_LEN <= p->upper_offset);
        FUZZ_ASSERT(data[at - 2] == IP6_OPT_HOME_ADDRESS);
        FUZZ_ASSERT(data[at - 1] == IP6_HAO_DATA_LEN);
        FUZZ_ASSERT(memcmp(data + at, p->hao, IP6_ADDR_LEN) == 0);
    }
    if (p->has_rh2) {
        size_t at = p->rh2_offset;
        FUZZ_ASSERT(at >= IP6_HEADER_LEN);
        FUZZ_ASSERT(at + IP6_RH2_LEN <= p->upper_offset);
        FUZZ_ASSERT(data[at + 1] == IP6_RH2_LEN / 8 - 1);
        FUZZ_ASSERT(data[at + 2] == IP6_ROUTING_TYPE2);
        FUZZ_ASSERT(data[at + 3] == 1);
        FUZZ_ASSERT(memcmp(data + at + IP6_RH2_ADDR_OFF, p->rh2_addr, IP6_ADDR_LEN) == 0);
    }
}

static void
check_same_packet(const struct ip6_packet *a, const struct ip6_packet *b)
{
    FUZZ_ASSERT(a->hdr.traffic_class == b->hdr.traffic_class);
    FUZZ_ASSERT(a->hdr.flow_label == b->hdr.flow_label);
    FUZZ_ASSERT(a->hdr.payload_len == b->hdr.payload_len);
    FUZZ_ASSERT(a->upper_proto == b->upper_proto);
    FUZZ_ASSERT(a->upper_offset == b->upper_offset);
    FUZZ_ASSERT(a->upper_len == b->upper_len);
    FUZZ_ASSERT(a->fragmented == b->fragmented);
    FUZZ_ASSERT(a->has_hao == b->has_hao);
    FUZZ_ASSERT(a->hao_offset == b->hao_offset);
    FUZZ_ASSERT(a->has_rh2 == b->has_rh2);
    FUZZ_ASSERT(a->rh2_offset == b->rh2_offset);
}

/* Parse again with the link-layer padding after Payload Length cut off. */
static void
check_without_padding(const uint8_t *data, size_t size, const struct ip6_packet *p)
{
    size_t end = IP6_HEADER_LEN + p->hdr.payload_len;
    if (end == size)
        return;

    /* An exact-size copy lets AddressSanitizer catch a read past end. */
    uint8_t *copy = malloc(end);
    FUZZ_ASSERT(copy != NULL);
    memcpy(copy, data, end);
    struct ip6_packet again;
    FUZZ_ASSERT(ip6_parse(copy, end, &again) == IP6_OK);
    check_same_packet(p, &again);
    free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ip6_packet p;

    enum ip6_status status = ip6_parse(data, size, &p);
    FUZZ_ASSERT(is_parse_status(status));
    if (status != IP6_OK)
        return 0;

    check_fixed_header(data, size, &p);
    check_upper_layer(size, &p);
    check_mobility_headers(data, &p);
    check_without_padding(data, size, &p);
    return 0;
}
