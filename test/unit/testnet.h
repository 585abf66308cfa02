/*
 * testnet.h - packets and moves that model tests on the test simulator
 * share: router advertisements and a mobile node changing links.
 */
#ifndef MIP6SEC_TESTNET_H
#define MIP6SEC_TESTNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parse an address literal; aborts the test program when it is invalid. */
void testnet_addr(uint8_t out[16], const char *text);

/*
 * Write into pkt (at least TESTNET_RA_LEN bytes) a Router Advertisement
 * from router (link-local) to all nodes, hop limit 255, advertising
 * prefix/64 with the L and A flags and infinite lifetimes.  Returns its
 * length.
 */
#define TESTNET_RA_LEN 88
size_t testnet_build_ra(uint8_t *pkt, const uint8_t router[16], const uint8_t prefix[16]);

/*
 * Move a node's interface to another link: report link down and up,
 * deliver the new router's advertisement, and, when add_address is set,
 * add the EUI-64 address on prefix as ns-3's autoconfiguration would.
 */
void testnet_move(uint32_t node, uint32_t ifindex, const uint8_t mac[6], const uint8_t router[16],
                  const uint8_t prefix[16], bool add_address);

#endif /* MIP6SEC_TESTNET_H */
