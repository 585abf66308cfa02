/*
 * fuzz_pktinfo.c - the packet summarizer (pktinfo_parse and
 * pktinfo_chain_text) on arbitrary bytes.
 *
 * Oracle:
 *   - the summary is well formed: only defined flag bits, a chain of
 *     chain_len known kinds starting with ipv6, and a header of the
 *     matching kind in the chain for every field that its flag marks valid;
 *   - pktinfo_chain_text always terminates its output, returns the
 *     length of the full text and never exceeds PKTINFO_CHAIN_TEXT_MAX;
 *   - it agrees with ip6_parse.  When ip6_parse accepts the packet, is
 *     not a fragment, has a non-zero Payload Length and the chain was not
 *     cut, both report the same upper-layer protocol, Home Address option
 *     and type 2 routing header address.  Both limit the walk to Payload
 *     Length, and ip6_parse's checks are stricter, so a packet it accepts
 *     leaves no room for the two to differ.  The exception is a tunnelled
 *     packet: the summarizer also reads the inner header chain, where it
 *     may find a Home Address option, a routing header or a fragment.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "ipv6.h"
#include "pktinfo.h"

#define PKTINFO_ALL_FLAGS ((PKTINFO_ICMP << 1) - 1)

static enum pktinfo_hdr
chain_kind(const struct pktinfo *pi, unsigned i)
{
    return (enum pktinfo_hdr)((pi->chain >> (4 * i)) & 0xf);
}

static unsigned
chain_count(const struct pktinfo *pi, enum pktinfo_hdr kind)
{
    unsigned n = 0;
    for (unsigned i = 0; i < pi->chain_len; i++)
        n += chain_kind(pi, i) == kind;
    return n;
}

static void
check_chain(const struct pktinfo *pi)
{
    FUZZ_ASSERT(pi->chain_len <= PKTINFO_CHAIN_MAX);
    for (unsigned i = 0; i < PKTINFO_CHAIN_MAX; i++) {
        enum pktinfo_hdr kind = chain_kind(pi, i);
        if (i < pi->chain_len)
            FUZZ_ASSERT(kind >= PKTINFO_H_IPV6 && kind <= PKTINFO_H_OTHER);
        else
            FUZZ_ASSERT(kind == PKTINFO_H_END);
    }
    if (pi->flags & PKTINFO_IPV6)
        FUZZ_ASSERT(pi->chain_len >= 1 && chain_kind(pi, 0) == PKTINFO_H_IPV6);
    else
        FUZZ_ASSERT(pi->chain_len == 0);
}

static void
check_flags(const struct pktinfo *pi, const uint8_t *data)
{
    FUZZ_ASSERT((pi->flags & ~(uint32_t)PKTINFO_ALL_FLAGS) == 0);
    if (!(pi->flags & PKTINFO_IPV6)) {
        /* Nothing but the reason the header was rejected. */
        FUZZ_ASSERT((pi->flags & ~(uint32_t)(PKTINFO_TRUNCATED | PKTINFO_BAD_VERSION)) == 0);
        return;
    }
    FUZZ_ASSERT(memcmp(pi->src, data + 8, 16) == 0);
    FUZZ_ASSERT(memcmp(pi->dst, data + 24, 16) == 0);
    if (pi->flags & PKTINFO_HOA)
        FUZZ_ASSERT(chain_count(pi, PKTINFO_H_DSTOPT) > 0);
    if (pi->flags & PKTINFO_RH2)
        FUZZ_ASSERT(chain_count(pi, PKTINFO_H_RH2) > 0);
    if (pi->flags & PKTINFO_FRAGMENT)
        FUZZ_ASSERT(chain_count(pi, PKTINFO_H_FRAG) > 0);
    if (pi->flags & PKTINFO_MH)
        FUZZ_ASSERT(chain_count(pi, PKTINFO_H_MH) > 0);
    if (pi->flags & PKTINFO_ESP)
        FUZZ_ASSERT(chain_count(pi, PKTINFO_H_ESP) > 0);
    if (pi->flags & PKTINFO_APP_SEQ)
        FUZZ_ASSERT(chain_count(pi, PKTINFO_H_UDP) > 0);
    if (pi->flags & PKTINFO_ICMP)
        FUZZ_ASSERT(chain_count(pi, PKTINFO_H_ICMP6) > 0);
    if (pi->flags & PKTINFO_INNER) {
        FUZZ_ASSERT(pi->protocol == IP6_NH_IPV6);
        /* The outer header and the kind that ends the outer walk. */
        FUZZ_ASSERT(chain_count(pi, PKTINFO_H_IPV6) >= 2);
    }
}

static void
check_chain_text(const struct pktinfo *pi)
{
    char full[PKTINFO_CHAIN_TEXT_MAX];
    size_t n = pktinfo_chain_text(pi->chain, full, sizeof full);
    FUZZ_ASSERT(n < sizeof full);
    FUZZ_ASSERT(strlen(full) == n);
    FUZZ_ASSERT((n == 0) == (pi->chain_len == 0));

    /* Short buffers get a terminated prefix and the same return value. */
    static const size_t short_lens[] = {1, 2, 5, 9};
    for (size_t i = 0; i < sizeof short_lens / sizeof short_lens[0]; i++) {
        char part[9];
        size_t len = short_lens[i];
        memset(part, 'x', sizeof part);
        FUZZ_ASSERT(pktinfo_chain_text(pi->chain, part, len) == n);
        size_t written = n < len - 1 ? n : len - 1;
        FUZZ_ASSERT(part[written] == '\0');
        FUZZ_ASSERT(memcmp(part, full, written) == 0);
    }
    char untouched = 'x';
    FUZZ_ASSERT(pktinfo_chain_text(pi->chain, &untouched, 0) == n);
    FUZZ_ASSERT(untouched == 'x');
}

/* The comparison with ip6_parse described at the top of this file. */
static void
check_against_ip6_parse(const struct pktinfo *pi, const uint8_t *data, size_t size)
{
    struct ip6_packet p;

    if (ip6_parse(data, size, &p) != IP6_OK || p.fragmented || p.hdr.payload_len == 0 ||
        (pi->flags & PKTINFO_CHAIN_CUT))
        return;

    FUZZ_ASSERT(pi->flags & PKTINFO_IPV6);
    FUZZ_ASSERT(pi->protocol == p.upper_proto);
    if (p.has_hao) {
        FUZZ_ASSERT(pi->flags & PKTINFO_HOA);
        FUZZ_ASSERT(memcmp(p.hao, pi->hoa, 16) == 0);
    }
    if (p.has_rh2) {
        FUZZ_ASSERT(pi->flags & PKTINFO_RH2);
        FUZZ_ASSERT(memcmp(p.rh2_addr, pi->rh2, 16) == 0);
    }
    /* The summarizer also reads an inner packet, which ip6_parse does not. */
    if (p.upper_proto != IP6_NH_IPV6) {
        FUZZ_ASSERT(!(pi->flags & PKTINFO_FRAGMENT));
        FUZZ_ASSERT(p.has_hao == ((pi->flags & PKTINFO_HOA) != 0));
        FUZZ_ASSERT(p.has_rh2 == ((pi->flags & PKTINFO_RH2) != 0));
    }
    if (p.upper_proto == IP6_NH_ESP)
        FUZZ_ASSERT(((pi->flags & PKTINFO_ESP) != 0) == (p.upper_len >= 8));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pktinfo pi;

    pktinfo_parse(&pi, size ? data : NULL, size);
    check_chain(&pi);
    check_flags(&pi, data);
    check_chain_text(&pi);
    check_against_ip6_parse(&pi, data, size);
    return 0;
}
