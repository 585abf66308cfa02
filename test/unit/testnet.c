/*
 * testnet.c - packets and moves that model tests share.
 */
#include "testnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "ipv6.h"
#include "testsim.h"

void
testnet_addr(uint8_t out[16], const char *text)
{
    if (ip6_addr_from_text(text, out) != IP6_OK) {
        fprintf(stderr, "test uses an invalid address: %s\n", text);
        abort();
    }
}

size_t
testnet_build_ra(uint8_t *pkt, const uint8_t router[16], const uint8_t prefix[16])
{
    static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
    /* RFC 4861 §4.2: type 134, hop limit 64, router lifetime 1800 s. */
    uint8_t icmp[48] = {134, 0, 0, 0, 64, 0, 0x07, 0x08};
    uint8_t *pio = icmp + 16;

    pio[0] = 3; /* Prefix Information, RFC 4861 §4.6.2 */
    pio[1] = 4;
    pio[2] = 64;
    pio[3] = 0xc0; /* L, A */
    memset(pio + 4, 0xff, 8);
    memcpy(pio + 16, prefix, 16);

    struct wr w = wr_init(pkt, TESTNET_RA_LEN);
    struct ip6_header h = {.payload_len = sizeof icmp, .next_header = 58, .hop_limit = 255};
    memcpy(h.src, router, 16);
    memcpy(h.dst, all_nodes, 16);
    ip6_write_header(&w, &h);
    wr_bytes(&w, icmp, sizeof icmp);
    return w.pos;
}

void
testnet_move(uint32_t node, uint32_t ifindex, const uint8_t mac[6], const uint8_t router[16],
             const uint8_t prefix[16], bool add_address)
{
    uint8_t pkt[TESTNET_RA_LEN];

    testsim_link(node, ifindex, 0);
    testsim_link(node, ifindex, 1);
    testsim_inject(node, ifindex, pkt, testnet_build_ra(pkt, router, prefix));
    if (add_address) {
        uint8_t addr[16];
        ip6_addr_from_prefix_mac(addr, prefix, mac);
        sim_addr_add(node, ifindex, addr, 64);
    }
}
