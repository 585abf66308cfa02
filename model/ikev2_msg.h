/*
 * ikev2_msg.h - IKEv2 messages (RFC 7296 §3) as RFC 4877 uses them
 * between a mobile node and its home agent.
 *
 * A message is decoded into a struct ikev2_msg with fixed-capacity
 * arrays, so parsing allocates nothing and a message with more payloads
 * than the arrays hold is rejected with IKEV2_TOO_MANY.  Every length on
 * the wire is checked against the bytes that are there.
 *
 * Encrypted payloads go in an Encrypted and Authenticated payload (SK,
 * RFC 7296 §3.14): IV | ciphertext of [inner payloads | padding | Pad
 * Length] | ICV, with the ICV over the whole message from the IKE header
 * to the end of the ciphertext.  Supported there: ENCR_AES_CBC with
 * 128-bit keys, and AUTH_HMAC_SHA1_96 or AUTH_HMAC_SHA2_256_128.
 */
#ifndef MIP6SEC_IKEV2_MSG_H
#define MIP6SEC_IKEV2_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IKEV2_PORT 500
#define IKEV2_HEADER_LEN 28
#define IKEV2_VERSION 0x20 /* major 2, minor 0 */

/* Exchange types (RFC 7296 §3.1). */
enum ikev2_exchange {
    IKEV2_IKE_SA_INIT = 34,
    IKEV2_IKE_AUTH = 35,
    IKEV2_CREATE_CHILD_SA = 36,
    IKEV2_INFORMATIONAL = 37,
};

/* Header flags (RFC 7296 §3.1). */
#define IKEV2_FLAG_INITIATOR 0x08 /* sent by the original initiator of the IKE SA */
#define IKEV2_FLAG_VERSION 0x10
#define IKEV2_FLAG_RESPONSE 0x20

/* Payload types (RFC 7296 §3.2). */
enum ikev2_payload {
    IKEV2_PL_NONE = 0,
    IKEV2_PL_SA = 33,
    IKEV2_PL_KE = 34,
    IKEV2_PL_IDI = 35,
    IKEV2_PL_IDR = 36,
    IKEV2_PL_CERT = 37,
    IKEV2_PL_CERTREQ = 38,
    IKEV2_PL_AUTH = 39,
    IKEV2_PL_NONCE = 40,
    IKEV2_PL_NOTIFY = 41,
    IKEV2_PL_DELETE = 42,
    IKEV2_PL_VENDOR = 43,
    IKEV2_PL_TSI = 44,
    IKEV2_PL_TSR = 45,
    IKEV2_PL_SK = 46,
    IKEV2_PL_CP = 47,
};

/* Security protocol ids of proposals, notifications and deletes (RFC 7296 §3.3.1). */
enum ikev2_protocol {
    IKEV2_PROTO_IKE = 1,
    IKEV2_PROTO_AH = 2,
    IKEV2_PROTO_ESP = 3,
};

/* Transform types and the ids mip6sec negotiates (RFC 7296 §3.3.2, IANA). */
enum ikev2_transform_type {
    IKEV2_TRANS_ENCR = 1,
    IKEV2_TRANS_PRF = 2,
    IKEV2_TRANS_INTEG = 3,
    IKEV2_TRANS_DH = 4,
    IKEV2_TRANS_ESN = 5,
};
#define IKEV2_ENCR_NULL 11
#define IKEV2_ENCR_AES_CBC 12
#define IKEV2_PRF_HMAC_SHA1 2
#define IKEV2_PRF_HMAC_SHA2_256 5
#define IKEV2_INTEG_NONE 0
#define IKEV2_INTEG_HMAC_SHA1_96 2
#define IKEV2_INTEG_HMAC_SHA2_256_128 12
#define IKEV2_DH_MODP_2048 14
#define IKEV2_DH_CURVE25519 31
#define IKEV2_ESN_NO 0
#define IKEV2_ESN_YES 1

/* Identification types (RFC 7296 §3.5). */
enum ikev2_id_type {
    IKEV2_ID_IPV4_ADDR = 1,
    IKEV2_ID_FQDN = 2,
    IKEV2_ID_RFC822_ADDR = 3,
    IKEV2_ID_IPV6_ADDR = 5,
    IKEV2_ID_KEY_ID = 11,
};

/* Authentication methods (RFC 7296 §3.8). */
#define IKEV2_AUTH_PSK 2 /* Shared Key Message Integrity Code */
#define IKEV2_AUTH_DIGITAL_SIGNATURE 14 /* RFC 7427 §3 */

/* Traffic selector type for IPv6 (RFC 7296 §3.13.1). */
#define IKEV2_TS_IPV6_ADDR_RANGE 8

/* Notify message types mip6sec sends or acts on (RFC 7296 §3.10.1). */
enum ikev2_notify_type {
    IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
    IKEV2_N_INVALID_IKE_SPI = 4,
    IKEV2_N_INVALID_SYNTAX = 7,
    IKEV2_N_INVALID_MESSAGE_ID = 9,
    IKEV2_N_INVALID_SPI = 11,
    IKEV2_N_NO_PROPOSAL_CHOSEN = 14,
    IKEV2_N_INVALID_KE_PAYLOAD = 17,
    IKEV2_N_AUTHENTICATION_FAILED = 24,
    IKEV2_N_TS_UNACCEPTABLE = 38,
    IKEV2_N_TEMPORARY_FAILURE = 43,
    IKEV2_N_CHILD_SA_NOT_FOUND = 44,
    IKEV2_N_INITIAL_CONTACT = 16384,
    IKEV2_N_USE_TRANSPORT_MODE = 16391,
    IKEV2_N_REKEY_SA = 16393,
    IKEV2_N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
};

/* Capacities of the decoded form; a message beyond them is IKEV2_TOO_MANY. */
#define IKEV2_MAX_TRANSFORMS 16
#define IKEV2_MAX_PROPOSALS 4
#define IKEV2_MAX_KE_LEN 512    /* MODP-4096 public value */
#define IKEV2_MIN_NONCE_LEN 16  /* RFC 7296 §3.9 */
#define IKEV2_MAX_NONCE_LEN 256 /* RFC 7296 §3.9 */
#define IKEV2_MAX_ID_LEN 255
#define IKEV2_MAX_AUTH_LEN 512
#define IKEV2_MAX_NOTIFIES 8
#define IKEV2_MAX_NOTIFY_DATA 64
#define IKEV2_MAX_DELETES 4
#define IKEV2_MAX_DELETE_SPIS 16
#define IKEV2_MAX_TS 4
#define IKEV2_MAX_SPI_LEN 8
/* Decrypted bytes of one SK payload.  RFC 7296 §2 says implementations
 * SHOULD accept messages of up to 3000 bytes, and the largest message
 * that ikev2_encode writes is about 4,000 bytes. */
#define IKEV2_MAX_SK_PLAINTEXT 8192

enum ikev2_status {
    IKEV2_OK = 0,
    IKEV2_TRUNCATED,            /* shorter than the header or a length field says */
    IKEV2_BAD_VERSION,          /* major version not 2 (RFC 7296 §3.1) */
    IKEV2_BAD_LENGTH,           /* header Length differs from the datagram length */
    IKEV2_BAD_PAYLOAD,          /* a payload length or field is invalid */
    IKEV2_TOO_MANY,             /* more payloads, proposals or bytes than the arrays hold */
    IKEV2_UNSUPPORTED_CRITICAL, /* unknown payload with the critical bit (RFC 7296 §2.5) */
    IKEV2_NO_KEYS,              /* an SK payload arrived but no keys were given */
    IKEV2_ICV_MISMATCH,         /* the SK payload's integrity check failed */
    IKEV2_BAD_PADDING,          /* decrypted Pad Length larger than the plaintext */
    IKEV2_BAD_ALGORITHM,        /* SK keys name an algorithm this codec does not implement,
                                   or a key length the algorithm does not take */
    IKEV2_CRYPTO_FAILED,        /* an OpenSSL call failed */
    IKEV2_NO_SPACE,             /* output buffer too small */
};

struct ikev2_header {
    uint64_t spi_i;
    uint64_t spi_r; /* zero in the first IKE_SA_INIT request */
    uint8_t next_payload;
    uint8_t version;
    uint8_t exchange;
    uint8_t flags;
    uint32_t message_id;
    uint32_t length; /* whole message; filled in by the encoder */
};

struct ikev2_transform {
    uint8_t type; /* enum ikev2_transform_type */
    uint16_t id;
    uint16_t key_bits; /* Key Length attribute (type 14); 0 when absent */
};

struct ikev2_proposal {
    uint8_t number; /* 1, 2, ... in the SA payload */
    uint8_t protocol;
    uint8_t spi_len; /* 0 (IKE in IKE_SA_INIT), 4 (ESP) or 8 (IKE rekey) */
    uint8_t spi[IKEV2_MAX_SPI_LEN];
    uint8_t n_transforms;
    struct ikev2_transform transforms[IKEV2_MAX_TRANSFORMS];
};

struct ikev2_ke {
    uint16_t group;
    uint16_t len;
    uint8_t data[IKEV2_MAX_KE_LEN];
};

struct ikev2_id {
    uint8_t type; /* enum ikev2_id_type */
    uint16_t len;
    uint8_t data[IKEV2_MAX_ID_LEN];
};

struct ikev2_auth {
    uint8_t method;
    uint16_t len;
    uint8_t data[IKEV2_MAX_AUTH_LEN];
};

struct ikev2_notify {
    uint8_t protocol; /* 0 when the notification is not about an SA */
    uint8_t spi_len;
    uint8_t spi[IKEV2_MAX_SPI_LEN];
    uint16_t type;
    uint16_t data_len;
    uint8_t data[IKEV2_MAX_NOTIFY_DATA];
};

struct ikev2_delete {
    uint8_t protocol; /* IKE: no SPIs; ESP: 4-byte SPIs */
    uint16_t n_spis;
    uint32_t spis[IKEV2_MAX_DELETE_SPIS];
};

/*
 * One traffic selector.  For the Mobility Header, RFC 4877 §4.3 puts the
 * MH type in the high byte of both ports: start_port = type << 8 and
 * end_port = type << 8 | 0xff select one type, 0 and 0xffff any type.
 */
struct ikev2_ts {
    uint8_t type;  /* IKEV2_TS_IPV6_ADDR_RANGE */
    uint8_t proto; /* 0 = any */
    uint16_t start_port;
    uint16_t end_port;
    uint8_t start[16];
    uint8_t end[16];
};

/*
 * A decoded or to-be-encoded message.  A payload is present when its
 * has_* flag is set or its count is non-zero.  Payloads that mip6sec
 * does not use (CERT, CERTREQ, Vendor ID, CP) are skipped on input and
 * counted in n_skipped; they are never encoded.
 */
struct ikev2_msg {
    struct ikev2_header hdr;
    bool encrypted; /* the payloads below came, or go, inside an SK payload */

    uint8_t n_proposals;
    struct ikev2_proposal proposals[IKEV2_MAX_PROPOSALS];
    bool has_ke;
    struct ikev2_ke ke;
    bool has_nonce;
    uint16_t nonce_len;
    uint8_t nonce[IKEV2_MAX_NONCE_LEN];
    bool has_idi;
    struct ikev2_id idi;
    bool has_idr;
    struct ikev2_id idr;
    bool has_auth;
    struct ikev2_auth auth;
    uint8_t n_notifies;
    struct ikev2_notify notifies[IKEV2_MAX_NOTIFIES];
    uint8_t n_deletes;
    struct ikev2_delete deletes[IKEV2_MAX_DELETES];
    uint8_t n_tsi;
    struct ikev2_ts tsi[IKEV2_MAX_TS];
    uint8_t n_tsr;
    struct ikev2_ts tsr[IKEV2_MAX_TS];
    uint8_t n_skipped;
};

/* Keys of one direction of an SK payload (SK_ei and SK_ai, or SK_er and SK_ar). */
struct ikev2_sk_keys {
    uint16_t encr;  /* IKEV2_ENCR_AES_CBC */
    uint16_t integ; /* IKEV2_INTEG_HMAC_SHA1_96 or IKEV2_INTEG_HMAC_SHA2_256_128 */
    uint8_t enc_key[32];
    uint8_t enc_key_len; /* 16 for AES-128 */
    uint8_t auth_key[32];
    uint8_t auth_key_len; /* 20 for HMAC-SHA1, 32 for HMAC-SHA2-256 */
};

/* The bytes an SK payload adds around inner payloads of plain_len bytes:
 * generic header, IV, padding, Pad Length and ICV.  0 when keys name an
 * algorithm or key length that ikev2_encode rejects. */
size_t ikev2_sk_overhead(const struct ikev2_sk_keys *keys, size_t plain_len);

/*
 * Encode msg into out, filling the header's Next Payload and Length.
 * Payload order follows RFC 7296 §1.2 and §1.3: in IKE_SA_INIT SA, KE,
 * Nonce, then notifications; otherwise IDi, IDr, AUTH, notifications,
 * SA, Nonce, KE, TSi, TSr, deletes.  Payloads that IKE_SA_INIT does not
 * use follow its notifications in that second order.  With keys NULL
 * every payload is sent in clear.  Otherwise they all go inside one SK
 * payload, encrypted with iv as the AES-CBC IV (the caller supplies it so
 * that runs repeat) and protected with the integrity key.
 *
 * Returns IKEV2_OK, IKEV2_NO_SPACE (out marked failed), IKEV2_TOO_MANY
 * (a count above its capacity), IKEV2_BAD_PAYLOAD (a length field above
 * its array, a nonce outside 16-256 bytes, or a field that ikev2_decode
 * rejects: a proposal SPI size wrong for its protocol, a delete of an
 * unknown protocol or with SPIs for IKE, a selector not
 * IKEV2_TS_IPV6_ADDR_RANGE), IKEV2_BAD_ALGORITHM or IKEV2_CRYPTO_FAILED.
 */
enum ikev2_status ikev2_encode(const struct ikev2_msg *msg, const struct ikev2_sk_keys *keys,
                               const uint8_t iv[16], struct wr *out);

/*
 * Read the fixed header of pkt[0..len), to find the IKE SA (and so the
 * keys) before decoding.  Returns IKEV2_OK, IKEV2_TRUNCATED,
 * IKEV2_BAD_VERSION or IKEV2_BAD_LENGTH.
 */
enum ikev2_status ikev2_read_header(const uint8_t *pkt, size_t len, struct ikev2_header *hdr);

/*
 * Decode the message pkt[0..len), a whole UDP payload.  An SK payload is
 * verified (ICV first, constant-time) and decrypted with keys, and the
 * payloads inside are decoded into msg with msg->encrypted set; the SK
 * payload must be the last one (RFC 7296 §3.14).  It must also be the
 * first, because msg cannot mark payloads sent in clear beside it.
 * Without keys an SK payload gives IKEV2_NO_KEYS.
 *
 * Returns IKEV2_OK or the first problem found; on failure msg contents
 * are unspecified.  Never reads outside pkt[0..len).
 */
enum ikev2_status ikev2_decode(const uint8_t *pkt, size_t len, const struct ikev2_sk_keys *keys,
                               struct ikev2_msg *msg);

/* Short name of a status, for logs and error messages. */
const char *ikev2_status_name(enum ikev2_status st);

/* Name of an exchange type ("IKE_SA_INIT", ...), or "unknown". */
const char *ikev2_exchange_name(uint8_t exchange);

#ifdef __cplusplus
}
#endif

#endif /* MIP6SEC_IKEV2_MSG_H */
