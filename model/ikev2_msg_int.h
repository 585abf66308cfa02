/*
 * ikev2_msg_int.h - what the IKEv2 encoder (model/ikev2_msg.c) and
 * decoder (model/ikev2_decode.c) share: wire constants, the algorithms
 * of the Encrypted and Authenticated payload, and field checks.
 * Internal to those two files.
 */
#ifndef MIP6SEC_IKEV2_MSG_INT_H
#define MIP6SEC_IKEV2_MSG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikev2_msg.h"

#define GENERIC_HEADER_LEN 4
#define CRITICAL_BIT 0x80

/* Last Substruc values (RFC 7296 §3.3.1, §3.3.2). */
#define LAST_SUBSTRUCTURE 0
#define MORE_PROPOSALS 2
#define MORE_TRANSFORMS 3

#define PROPOSAL_HEADER_LEN 8
#define TRANSFORM_HEADER_LEN 8
#define ATTRIBUTE_TV 0x8000     /* AF bit: Type/Value format (RFC 7296 §3.3.5) */
#define ATTRIBUTE_KEY_LENGTH 14 /* RFC 7296 §3.3.5 */
#define KEY_LENGTH_ATTRIBUTE_LEN 4

#define TS_IPV6_LEN 40 /* Selector Length of TS_IPV6_ADDR_RANGE (RFC 7296 §3.13.1) */

#define AES_BLOCK_LEN 16
#define AES_128_KEY_LEN 16
#define SHA1_96_ICV_LEN 12
#define SHA2_256_128_ICV_LEN 16
#define PAD_LENGTH_LEN 1

/* ICV length of an integrity algorithm, 0 for an unsupported one. */
size_t ikev2_sk_icv_len(uint16_t integ);

/* IKEV2_OK when the keys name supported algorithms with keys of the right length. */
enum ikev2_status ikev2_sk_check_keys(const struct ikev2_sk_keys *keys);

/* The truncated HMAC of data[0..len) into icv[0..ikev2_sk_icv_len(keys->integ)). */
enum ikev2_status ikev2_sk_icv(const struct ikev2_sk_keys *keys, const uint8_t *data, size_t len,
                               uint8_t *icv);

/* AES-128-CBC over whole blocks, without padding of its own. */
enum ikev2_status ikev2_sk_cbc(const struct ikev2_sk_keys *keys, int encrypt, const uint8_t *iv,
                               const uint8_t *in, uint8_t *out, size_t len);

/* RFC 7296 §3.3.1: SPI Size is 0 or 8 for IKE and 4 for AH and ESP. */
bool ikev2_valid_proposal_spi(uint8_t protocol, uint8_t spi_len);

/* RFC 7296 §3.11: the SPIs a Delete payload of this protocol may carry. */
bool ikev2_valid_delete(uint8_t protocol, size_t n_spis);

/* RFC 7296 §3.9: Nonce Data is 16 to 256 bytes. */
bool ikev2_valid_nonce_len(size_t len);

#endif /* MIP6SEC_IKEV2_MSG_INT_H */
