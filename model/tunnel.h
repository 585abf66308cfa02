/*
 * tunnel.h - the IPv6-in-IPv6 tunnel between a mobile node and its home
 * agent (RFC 6275 §10.4, §11.3), used by both ends, with ESP tunnel mode
 * where the SPD entries of the tunnel interface ask for it (RFC 3776
 * §4.2).
 *
 * Output (RFC 3776 §6.5, §6.7, §6.13, §6.15): the inner packet is looked
 * up in the outbound SPD with tunnel_iface set.  PROTECT wraps the whole
 * inner packet in ESP with Next Header 41 and sends it between the SA's
 * outer addresses (RFC 3776 §3.2, §3.4), which follow the care-of
 * address (ipsec_tunnel_sas_set_care_of).  No matching policy, or
 * BYPASS, sends plain IPv6-in-IPv6 between the caller's outer addresses.
 * DISCARD drops the packet.
 *
 * Input (RFC 3776 §6.6, §6.8, §6.14, §6.16): an ESP packet whose SPI
 * names an inbound tunnel-mode SA is verified and decrypted, and the
 * inner packet must match the SA's selectors.  A plain IPv6-in-IPv6
 * packet whose inner packet matches an inbound PROTECT policy of the
 * tunnel interface is dropped.  Binding and outer-source checks are the
 * caller's, because they differ between the two ends.
 *
 * Records: encap and decap events show the packet as plain IPv6-in-IPv6
 * (outer addresses, Next Header 41, inner packet) also under ESP, so the
 * database has the inner addresses and protocol.  The esp_protect and
 * esp_verify events with the same uid carry the ESP packet as sent.
 *
 * Internal to the model.
 */
#ifndef MIP6SEC_TUNNEL_H
#define MIP6SEC_TUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipsec.h"
#include "ipv6.h"
#include "mip6.h"
#include "rec.h"

/* A whole inner packet on its way into the tunnel. */
struct mip6_tunnel_out {
    /* Outer addresses of plain IPv6-in-IPv6.  ESP uses the SA's
     * tunnel_src and tunnel_dst instead. */
    const uint8_t *outer_src;
    const uint8_t *outer_dst;
    uint32_t ifindex;        /* interface to send on, or SIM_IFINDEX_ANY */
    uint32_t record_ifindex; /* interface of the encap and esp_protect events */
    uint32_t tunnel_ifindex; /* interface of drop events */
    const uint8_t *inner;    /* starts with the inner IPv6 header */
    size_t inner_len;
    uint64_t inner_uid;
};

/*
 * Encapsulate and send out->inner.  Returns REC_DROP_NONE when the
 * simulator took the packet, or the reason it was dropped; the drop is
 * already recorded and counted.
 * Reasons:
 *   REC_DROP_MALFORMED         the inner packet does not parse;
 *   REC_DROP_POLICY            a DISCARD entry, or a PROTECT entry without a
 *                              tunnel-mode SA;
 *   REC_DROP_ESP_TUNNEL_OUTER  the SA has no usable outer addresses;
 *   REC_DROP_SEND_FAILED       ESP or the simulator failed.
 */
enum rec_drop mip6_tunnel_send(struct mip6_node *n, const struct mip6_tunnel_out *out);

/*
 * The inbound tunnel-mode SA named by the SPI of an ESP packet, or NULL
 * when the packet is not ESP, is too short, or its SPI names no SA or a
 * transport-mode SA.  outer is pkt parsed.  The function reads the SPI
 * and verifies nothing.
 */
struct ipsec_sa *mip6_tunnel_esp_sa(const struct mip6_node *n, const uint8_t *pkt,
                                    const struct ip6_packet *outer);

/* A tunnel packet after decapsulation and the IPsec checks. */
struct mip6_tunnel_in {
    const uint8_t *inner; /* into the received packet, or into the caller's scratch */
    size_t inner_len;
    struct ip6_packet parsed; /* the inner packet */
    struct ipsec_sa *sa;      /* the tunnel-mode SA, or NULL for plain IPv6-in-IPv6 */
};

/*
 * Decapsulate pkt, whose outer header (parsed as outer) has upper-layer
 * protocol 41 or 50, and run the inbound IPsec checks.  ESP output goes
 * to scratch.  Returns REC_DROP_NONE and fills *in, or the reason the
 * packet was dropped; the drop is already recorded and counted.
 * Reasons:
 *   REC_DROP_MALFORMED, REC_DROP_ESP_NO_SA, REC_DROP_ESP_ICV, REC_DROP_ESP_PADDING;
 *   REC_DROP_ESP_TUNNEL_OUTER  outer destination other than the SA's, or a
 *                              Home Address option or type 2 routing header;
 *   REC_DROP_ESP_NEXT_HEADER   ESP payload that is not an IPv6 packet;
 *   REC_DROP_POLICY            inner packet outside the SA's selectors, or a
 *                              DISCARD entry;
 *   REC_DROP_CLEAR_TEXT        plain packet that inbound policy requires protected.
 */
enum rec_drop mip6_tunnel_receive(struct mip6_node *n, uint32_t ifindex, const uint8_t *pkt,
                                  size_t len, uint64_t uid, const struct ip6_packet *outer,
                                  uint8_t *scratch, size_t scratch_len, struct mip6_tunnel_in *in);

/*
 * Record the decap event of a packet that mip6_tunnel_receive accepted.
 * inner_uid is the uid of the inner packet handed on, or 0.
 */
void mip6_tunnel_record_decap(struct mip6_node *n, uint32_t ifindex, const uint8_t *pkt, size_t len,
                              uint64_t uid, const struct ip6_packet *outer,
                              const struct mip6_tunnel_in *in, uint64_t inner_uid);

#endif /* MIP6SEC_TUNNEL_H */
