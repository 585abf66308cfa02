/*
 * icmp6.c - encoder and decoder of the Mobile IPv6 ICMPv6 messages
 * (RFC 6275 §6.5-§6.8).
 */
#include "icmp6.h"

#include <string.h>

#include "cursor.h"
#include "ipv6.h"

#define CHECKSUM_OFF 2
#define OPTION_UNIT 8         /* ND option Length counts 8-byte units (RFC 4861 §4.6) */
#define OPT_PREFIX_INFO 3     /* RFC 4861 §4.6.2 */
#define PREFIX_OPTION_UNITS 4 /* Length of a Prefix Information option */
#define MAX_PREFIX_LEN 128

/* Prefix Information flags: L and A from RFC 4861 §4.6.2, R from RFC 6275 §7.2. */
#define PREFIX_FLAG_L 0x80
#define PREFIX_FLAG_A 0x40
#define PREFIX_FLAG_R 0x20

static bool
known_type(uint8_t type)
{
    return type >= ICMP6_DHAAD_REQUEST && type <= ICMP6_MPA;
}

/* Check what icmp6_encode cannot write, before it writes anything. */
static enum icmp6_status
check_encoder_input(const struct icmp6_msg *msg)
{
    if (!known_type(msg->type))
        return ICMP6_UNKNOWN_TYPE;
    if (msg->type == ICMP6_DHAAD_REPLY && msg->dhaad_reply.n_addresses > ICMP6_MAX_HA_ADDRESSES)
        return ICMP6_BAD_FIELD;
    if (msg->type != ICMP6_MPA)
        return ICMP6_OK;

    /* RFC 6275 §6.8: an Advertisement carries one or more Prefix Information options. */
    const struct icmp6_mpa *mpa = &msg->mpa;
    if (mpa->n_prefixes == 0 || mpa->n_prefixes > ICMP6_MAX_PREFIXES)
        return ICMP6_BAD_FIELD;
    for (size_t i = 0; i < mpa->n_prefixes; i++) {
        if (mpa->prefixes[i].prefix_len > MAX_PREFIX_LEN)
            return ICMP6_BAD_FIELD;
    }
    return ICMP6_OK;
}

/* Write a 32-byte Prefix Information option (RFC 4861 §4.6.2, RFC 6275 §7.2). */
static void
write_prefix_option(struct wr *w, const struct nd_prefix *p)
{
    uint8_t flags = 0;
    if (p->on_link)
        flags |= PREFIX_FLAG_L;
    if (p->autonomous)
        flags |= PREFIX_FLAG_A;
    if (p->router_addr)
        flags |= PREFIX_FLAG_R;

    wr_u8(w, OPT_PREFIX_INFO);
    wr_u8(w, PREFIX_OPTION_UNITS);
    wr_u8(w, p->prefix_len);
    wr_u8(w, flags);
    wr_u32(w, p->valid_lifetime_s);
    wr_u32(w, p->preferred_lifetime_s);
    wr_zeros(w, 4); /* Reserved2 */
    wr_bytes(w, p->prefix, ICMP6_ADDR_LEN);
}

/* Write what follows the Identifier: flags and Reserved, then addresses or options. */
static void
write_body(struct wr *w, const struct icmp6_msg *msg)
{
    switch (msg->type) {
    case ICMP6_DHAAD_REQUEST:
    case ICMP6_MPS:
        wr_u16(w, 0); /* Reserved */
        break;
    case ICMP6_DHAAD_REPLY:
        wr_u16(w, 0); /* Reserved */
        for (size_t i = 0; i < msg->dhaad_reply.n_addresses; i++)
            wr_bytes(w, msg->dhaad_reply.addresses[i], ICMP6_ADDR_LEN);
        break;
    case ICMP6_MPA: {
        uint8_t flags = 0;
        if (msg->mpa.managed)
            flags |= ICMP6_MPA_FLAG_M;
        if (msg->mpa.other)
            flags |= ICMP6_MPA_FLAG_O;
        wr_u8(w, flags);
        wr_u8(w, 0); /* the low 8 of the 14 Reserved bits */
        for (size_t i = 0; i < msg->mpa.n_prefixes; i++)
            write_prefix_option(w, &msg->mpa.prefixes[i]);
        break;
    }
    }
}

enum icmp6_status
icmp6_encode(struct wr *w, const struct icmp6_msg *msg, const uint8_t src[ICMP6_ADDR_LEN],
             const uint8_t dst[ICMP6_ADDR_LEN])
{
    enum icmp6_status status = check_encoder_input(msg);
    if (status != ICMP6_OK)
        return status;
    if (!wr_ok(w))
        return ICMP6_NO_SPACE;
    size_t start = w->pos;

    wr_u8(w, msg->type);
    wr_u8(w, 0);  /* Code */
    wr_u16(w, 0); /* Checksum, filled in below */
    wr_u16(w, msg->id);
    write_body(w, msg);
    if (!wr_ok(w))
        return ICMP6_NO_SPACE;

    /* RFC 4443 §2.3: the checksum field is zero while the sum is taken. */
    uint8_t *icmp = w->buf + start;
    size_t len = w->pos - start;
    put_u16(icmp + CHECKSUM_OFF, ip6_checksum(src, dst, IP6_NH_ICMPV6, icmp, len));
    return ICMP6_OK;
}

/* Read the home agent addresses that fill the rest of a Reply (RFC 6275 §6.6). */
static enum icmp6_status
read_address_list(struct rd *r, struct icmp6_dhaad_reply *reply)
{
    if (rd_left(r) % ICMP6_ADDR_LEN != 0)
        return ICMP6_BAD_ADDRESS_LIST;

    while (rd_left(r) > 0) {
        if (reply->n_addresses < ICMP6_MAX_HA_ADDRESSES) {
            rd_bytes(r, reply->addresses[reply->n_addresses++], ICMP6_ADDR_LEN);
        } else {
            rd_skip(r, ICMP6_ADDR_LEN);
            reply->n_not_stored++;
        }
    }
    return ICMP6_OK;
}

/* Read the 30 bytes after Type and Length of a Prefix Information option. */
static enum icmp6_status
read_prefix_option(struct rd *opt, struct icmp6_mpa *mpa)
{
    struct nd_prefix p;

    p.prefix_len = rd_u8(opt);
    uint8_t flags = rd_u8(opt);
    p.on_link = flags & PREFIX_FLAG_L;
    p.autonomous = flags & PREFIX_FLAG_A;
    p.router_addr = flags & PREFIX_FLAG_R; /* RFC 6275 §7.2 */
    p.valid_lifetime_s = rd_u32(opt);
    p.preferred_lifetime_s = rd_u32(opt);
    rd_skip(opt, 4); /* Reserved2 */
    rd_bytes(opt, p.prefix, ICMP6_ADDR_LEN);
    if (!rd_ok(opt))
        return ICMP6_OPTION_TRUNCATED; /* unreachable once the Length is 4 */

    /* RFC 4861 §4.6.2: Prefix Length lies between 0 and 128. */
    if (p.prefix_len > MAX_PREFIX_LEN)
        return ICMP6_BAD_PREFIX_LENGTH;

    if (mpa->n_prefixes < ICMP6_MAX_PREFIXES)
        mpa->prefixes[mpa->n_prefixes++] = p;
    else
        mpa->n_not_stored++;
    return ICMP6_OK;
}

/*
 * Walk the Neighbor Discovery options left in r (RFC 4861 §4.6).  With
 * mpa set, Prefix Information options are validated and stored there.
 * Every other option is skipped after its length check.
 */
static enum icmp6_status
walk_options(struct rd *r, struct icmp6_mpa *mpa)
{
    while (rd_left(r) > 0) {
        uint8_t type = rd_u8(r);
        uint8_t units = rd_u8(r); /* whole option, Type and Length included */
        if (!rd_ok(r))
            return ICMP6_OPTION_TRUNCATED;
        /* RFC 4861 §4.6: Length 0 is invalid and the packet is discarded. */
        if (units == 0)
            return ICMP6_ZERO_OPTION_LENGTH;
        struct rd body = rd_sub(r, (size_t)units * OPTION_UNIT - 2);
        if (!rd_ok(r))
            return ICMP6_OPTION_TRUNCATED;

        /* RFC 6275 §6.7, §6.8: options this node does not recognize are skipped. */
        if (mpa == NULL || type != OPT_PREFIX_INFO)
            continue;
        if (units != PREFIX_OPTION_UNITS)
            return ICMP6_BAD_PREFIX_OPTION_LENGTH;
        enum icmp6_status status = read_prefix_option(&body, mpa);
        if (status != ICMP6_OK)
            return status;
    }
    return ICMP6_OK;
}

static enum icmp6_status
read_mpa(struct rd *r, uint8_t flags, struct icmp6_mpa *mpa)
{
    mpa->managed = flags & ICMP6_MPA_FLAG_M;
    mpa->other = flags & ICMP6_MPA_FLAG_O;

    enum icmp6_status status = walk_options(r, mpa);
    if (status != ICMP6_OK)
        return status;
    /* RFC 6275 §6.8: at least one Prefix Information option. */
    if (mpa->n_prefixes + mpa->n_not_stored == 0)
        return ICMP6_NO_PREFIX;
    return ICMP6_OK;
}

enum icmp6_status
icmp6_decode(const uint8_t *buf, size_t len, const uint8_t src[ICMP6_ADDR_LEN],
             const uint8_t dst[ICMP6_ADDR_LEN], struct icmp6_msg *msg)
{
    memset(msg, 0, sizeof *msg);
    msg->len = len;
    if (len > IP6_MAX_PAYLOAD)
        return ICMP6_TOO_LONG;

    struct rd r = rd_init(buf, len);
    uint8_t type = rd_u8(&r);
    uint8_t code = rd_u8(&r);
    rd_skip(&r, 2); /* Checksum, verified over the whole message below */
    uint16_t id = rd_u16(&r);
    uint8_t flags = rd_u8(&r); /* Reserved except in an Advertisement */
    rd_skip(&r, 1);            /* Reserved */
    if (!rd_ok(&r))
        return ICMP6_TRUNCATED;
    msg->type = type;
    msg->id = id;

    /* RFC 4443 §2.3: a correct checksum sums to zero with the field in place. */
    if (ip6_checksum(src, dst, IP6_NH_ICMPV6, buf, len) != 0)
        return ICMP6_BAD_CHECKSUM;
    if (!known_type(type))
        return ICMP6_UNKNOWN_TYPE;
    /* RFC 6275 §6.5-§6.8 define Code 0 only; the model rejects any other. */
    if (code != 0)
        return ICMP6_BAD_CODE;

    switch (type) {
    case ICMP6_DHAAD_REPLY:
        return read_address_list(&r, &msg->dhaad_reply);
    case ICMP6_MPS:
        return walk_options(&r, NULL);
    case ICMP6_MPA:
        return read_mpa(&r, flags, &msg->mpa);
    default: /* ICMP6_DHAAD_REQUEST: RFC 6275 §6.5 defines nothing after the fixed part */
        return ICMP6_OK;
    }
}

const char *
icmp6_status_name(enum icmp6_status s)
{
    switch (s) {
    case ICMP6_OK:
        return "ok";
    case ICMP6_TRUNCATED:
        return "shorter than 8 bytes";
    case ICMP6_TOO_LONG:
        return "longer than 65535 bytes";
    case ICMP6_BAD_CHECKSUM:
        return "invalid checksum";
    case ICMP6_UNKNOWN_TYPE:
        return "type not 144-147";
    case ICMP6_BAD_CODE:
        return "code not 0";
    case ICMP6_BAD_ADDRESS_LIST:
        return "address list not a multiple of 16 bytes";
    case ICMP6_OPTION_TRUNCATED:
        return "option runs past the end";
    case ICMP6_ZERO_OPTION_LENGTH:
        return "option length 0";
    case ICMP6_BAD_PREFIX_OPTION_LENGTH:
        return "prefix information option length not 4";
    case ICMP6_BAD_PREFIX_LENGTH:
        return "prefix length above 128";
    case ICMP6_NO_PREFIX:
        return "no prefix information option";
    case ICMP6_NO_SPACE:
        return "output buffer full";
    case ICMP6_BAD_FIELD:
        return "field does not fit";
    }
    return "unknown";
}
