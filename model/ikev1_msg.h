/*
 * ikev1_msg.h - ISAKMP messages (RFC 2408) with the IPsec DOI (RFC 2407)
 * as IKEv1 (RFC 2409) uses them in aggressive mode, quick mode and
 * informational exchanges between a mobile node and its home agent
 * (RFC 3776 §4.4).
 *
 * A message is decoded into a struct ikev1_msg with fixed-capacity
 * arrays, so parsing allocates nothing and a message with more payloads
 * than the arrays hold is rejected with IKEV1_TOO_MANY.  Every length on
 * the wire is checked against the bytes that are there.
 *
 * With the E flag set, everything after the 28-byte header is padded to
 * a whole number of blocks and encrypted with AES-CBC (RFC 2409
 * Appendix B).  The encoder pads with zero bytes, and the decoder
 * accepts any padding after the last payload.  The IV is not sent, so
 * both sides compute it.  ikev1_crypto.h derives the first IV of phase 1
 * and of each phase-2 exchange.  Later messages of an exchange take the
 * last ciphertext block of the previous message, which encode and decode
 * return.  Nothing checks the integrity of the ciphertext, so a wrong
 * key or IV shows up as a malformed payload or, later, as a wrong HASH.
 */
#ifndef MIP6SEC_IKEV1_MSG_H
#define MIP6SEC_IKEV1_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IKEV1_PORT 500
#define IKEV1_HEADER_LEN 28
#define IKEV1_VERSION 0x10           /* major 1, minor 0 (RFC 2408 §3.1) */
#define IKEV1_BLOCK_LEN 16           /* AES */
#define IKEV1_DOI_IPSEC 1            /* RFC 2407 §4.2 */
#define IKEV1_SIT_IDENTITY_ONLY 0x01 /* RFC 2407 §4.2.1 */

/* Exchange types (RFC 2408 §3.1, RFC 2409 §5.5). */
enum ikev1_exchange {
    IKEV1_IDENTITY_PROTECTION = 2, /* main mode */
    IKEV1_AGGRESSIVE = 4,
    IKEV1_INFORMATIONAL = 5,
    IKEV1_QUICK_MODE = 32,
};

/* Header flags (RFC 2408 §3.1). */
#define IKEV1_FLAG_ENCRYPTION 0x01
#define IKEV1_FLAG_COMMIT 0x02
#define IKEV1_FLAG_AUTH_ONLY 0x04

/* Payload types (RFC 2408 §3.1; NAT-D and NAT-OA from RFC 3947). */
enum ikev1_payload {
    IKEV1_PL_NONE = 0,
    IKEV1_PL_SA = 1,
    IKEV1_PL_PROPOSAL = 2,
    IKEV1_PL_TRANSFORM = 3,
    IKEV1_PL_KE = 4,
    IKEV1_PL_ID = 5,
    IKEV1_PL_CERT = 6,
    IKEV1_PL_CR = 7,
    IKEV1_PL_HASH = 8,
    IKEV1_PL_SIG = 9,
    IKEV1_PL_NONCE = 10,
    IKEV1_PL_NOTIFY = 11,
    IKEV1_PL_DELETE = 12,
    IKEV1_PL_VENDOR = 13,
    IKEV1_PL_NAT_D = 20,
    IKEV1_PL_NAT_OA = 21,
    IKEV1_PL_PRIVATE_MIN = 128, /* 128-255 are for private use */
};

/* Protocol ids of proposals, notifications and deletes (RFC 2407 §4.4.1). */
enum ikev1_protocol {
    IKEV1_PROTO_ISAKMP = 1,
    IKEV1_PROTO_AH = 2,
    IKEV1_PROTO_ESP = 3,
};

/* Transform ids (RFC 2407 §4.4.2 and §4.4.4; ESP_AES from RFC 3602 §5.2). */
#define IKEV1_KEY_IKE 1
#define IKEV1_ESP_3DES 3
#define IKEV1_ESP_NULL 11
#define IKEV1_ESP_AES 12

/* Phase-1 attribute types and values (RFC 2409 Appendix A; AES-CBC from RFC 3602 §5.1). */
enum ikev1_ike_attr {
    IKEV1_ATTR_ENCRYPTION = 1,
    IKEV1_ATTR_HASH = 2,
    IKEV1_ATTR_AUTH_METHOD = 3,
    IKEV1_ATTR_GROUP = 4,
    IKEV1_ATTR_LIFE_TYPE = 11,
    IKEV1_ATTR_LIFE_DURATION = 12,
    IKEV1_ATTR_KEY_LENGTH = 14,
};
#define IKEV1_ENCR_3DES_CBC 5
#define IKEV1_ENCR_AES_CBC 7
#define IKEV1_HASH_SHA 2
#define IKEV1_HASH_SHA2_256 4
#define IKEV1_AUTH_PSK 1
#define IKEV1_GROUP_MODP_2048 14
#define IKEV1_LIFE_SECONDS 1
#define IKEV1_LIFE_KILOBYTES 2

/* Phase-2 attribute types and values of the IPsec DOI (RFC 2407 §4.5). */
enum ikev1_ipsec_attr {
    IKEV1_ATTR_SA_LIFE_TYPE = 1,
    IKEV1_ATTR_SA_LIFE_DURATION = 2,
    IKEV1_ATTR_GROUP_DESCRIPTION = 3, /* present when the exchange uses PFS */
    IKEV1_ATTR_ENCAPSULATION = 4,
    IKEV1_ATTR_AUTH_ALGORITHM = 5,
    IKEV1_ATTR_IPSEC_KEY_LENGTH = 6,
};
#define IKEV1_ENCAP_TUNNEL 1
#define IKEV1_ENCAP_TRANSPORT 2
#define IKEV1_AUTH_HMAC_SHA 2
#define IKEV1_AUTH_HMAC_SHA2_256 5 /* RFC 4868 */

/* Identification types (RFC 2407 §4.6.2.1). */
enum ikev1_id_type {
    IKEV1_ID_IPV4_ADDR = 1,
    IKEV1_ID_FQDN = 2,
    IKEV1_ID_USER_FQDN = 3,
    IKEV1_ID_IPV4_ADDR_SUBNET = 4,
    IKEV1_ID_IPV6_ADDR = 5,
    IKEV1_ID_IPV6_ADDR_SUBNET = 6,
    IKEV1_ID_IPV4_ADDR_RANGE = 7,
    IKEV1_ID_IPV6_ADDR_RANGE = 8,
    IKEV1_ID_KEY_ID = 11,
};

/* Notify message types mip6sec sends or acts on (RFC 2408 §3.14.1, RFC 2407 §4.6.3). */
enum ikev1_notify_type {
    IKEV1_N_INVALID_PAYLOAD_TYPE = 1,
    IKEV1_N_DOI_NOT_SUPPORTED = 2,
    IKEV1_N_SITUATION_NOT_SUPPORTED = 3,
    IKEV1_N_INVALID_COOKIE = 4,
    IKEV1_N_INVALID_MAJOR_VERSION = 5,
    IKEV1_N_INVALID_EXCHANGE_TYPE = 7,
    IKEV1_N_INVALID_MESSAGE_ID = 9,
    IKEV1_N_INVALID_SPI = 11,
    IKEV1_N_NO_PROPOSAL_CHOSEN = 14,
    IKEV1_N_BAD_PROPOSAL_SYNTAX = 15,
    IKEV1_N_PAYLOAD_MALFORMED = 16,
    IKEV1_N_INVALID_KEY_INFORMATION = 17,
    IKEV1_N_INVALID_ID_INFORMATION = 18,
    IKEV1_N_INVALID_HASH_INFORMATION = 23,
    IKEV1_N_AUTHENTICATION_FAILED = 24,
    IKEV1_N_RESPONDER_LIFETIME = 24576,
    IKEV1_N_INITIAL_CONTACT = 24578,
};

/* Capacities of the decoded form; a message beyond them is IKEV1_TOO_MANY. */
#define IKEV1_MAX_MSG_LEN 8192 /* longer messages are IKEV1_TOO_LONG */
#define IKEV1_MAX_PROPOSALS 4
#define IKEV1_MAX_TRANSFORMS 8
#define IKEV1_MAX_ATTRS 12
#define IKEV1_MAX_ATTR_LEN 8    /* value bytes of a TLV attribute */
#define IKEV1_MAX_SPI_LEN 16    /* an ISAKMP SA is named by both cookies */
#define IKEV1_MAX_KE_LEN 512    /* MODP-4096 public value */
#define IKEV1_MIN_NONCE_LEN 8   /* RFC 2409 §5 */
#define IKEV1_MAX_NONCE_LEN 256 /* RFC 2409 §5 */
#define IKEV1_MAX_ID_LEN 255
#define IKEV1_MAX_IDS 2 /* IDii or IDir in phase 1, IDci and IDcr in quick mode */
#define IKEV1_MAX_HASH_LEN 64
#define IKEV1_MAX_NOTIFIES 8
#define IKEV1_MAX_NOTIFY_DATA 128
#define IKEV1_MAX_DELETES 4
#define IKEV1_MAX_DELETE_SPIS 16
/* Every payload the struct can hold: SA, KE, Nonce, Hash, IDs, notifies, deletes. */
#define IKEV1_MAX_PAYLOADS (4 + IKEV1_MAX_IDS + IKEV1_MAX_NOTIFIES + IKEV1_MAX_DELETES)

/*
 * Statuses of the codec and of ikev1_crypto.h.  The comment names the
 * notify type a receiver would send back (RFC 2408 §3.14.1), where one
 * fits.
 */
enum ikev1_status {
    IKEV1_OK = 0,
    IKEV1_TRUNCATED,        /* shorter than the header or than a length field states */
    IKEV1_TOO_LONG,         /* longer than IKEV1_MAX_MSG_LEN */
    IKEV1_BAD_VERSION,      /* version not 1.0: INVALID-MAJOR/MINOR-VERSION */
    IKEV1_BAD_LENGTH,       /* header Length differs from the datagram, bytes follow the last
                               payload of a message in clear, or the ciphertext is not a whole
                               number of blocks: UNEQUAL-PAYLOAD-LENGTHS */
    IKEV1_BAD_PAYLOAD_TYPE, /* a reserved payload type, or Proposal or Transform outside an
                               SA: INVALID-PAYLOAD-TYPE */
    IKEV1_BAD_PAYLOAD,      /* a payload length or field is invalid: PAYLOAD-MALFORMED */
    IKEV1_BAD_PROPOSAL,     /* proposal or transform chain inconsistent: BAD-PROPOSAL-SYNTAX */
    IKEV1_BAD_DOI,          /* SA payload DOI other than IPsec: DOI-NOT-SUPPORTED */
    IKEV1_BAD_SITUATION,    /* situation other than SIT_IDENTITY_ONLY: SITUATION-NOT-SUPPORTED */
    IKEV1_TOO_MANY,         /* more payloads, proposals, attributes or bytes than the arrays hold */
    IKEV1_NO_KEYS,          /* the E flag is set but no cipher was given */
    IKEV1_BAD_ALGORITHM,    /* a key length or hash algorithm this code does not implement */
    IKEV1_HASH_MISMATCH,    /* a HASH payload differs from the computed value */
    IKEV1_CRYPTO_FAILED,    /* an OpenSSL call failed */
    IKEV1_NO_SPACE,         /* output buffer too small */
};

struct ikev1_header {
    uint64_t cky_i;
    uint64_t cky_r; /* zero in the first message of phase 1 */
    uint8_t next_payload;
    uint8_t version;
    uint8_t exchange;
    uint8_t flags;
    uint32_t message_id; /* zero in phase 1 */
    uint32_t length;     /* whole message; filled in by the encoder */
};

/*
 * A data attribute (RFC 2408 §3.3).  In TV form (AF bit set) the value
 * is the 16-bit Attribute Value.  In TLV form it takes len bytes.
 */
struct ikev1_attr {
    uint16_t type; /* without the AF bit */
    bool tv;
    uint8_t len; /* TLV form only: 0 to IKEV1_MAX_ATTR_LEN */
    uint64_t value;
};

struct ikev1_transform {
    uint8_t number;
    uint8_t id; /* IKEV1_KEY_IKE in phase 1, IKEV1_ESP_AES ... in phase 2 */
    uint8_t n_attrs;
    struct ikev1_attr attrs[IKEV1_MAX_ATTRS];
};

struct ikev1_proposal {
    uint8_t number; /* proposals with the same number form one bundle (RFC 2408 §4.2) */
    uint8_t protocol;
    uint8_t spi_len; /* 0 (ISAKMP in phase 1) or 4 (ESP, AH) */
    uint8_t spi[IKEV1_MAX_SPI_LEN];
    uint8_t n_transforms;
    struct ikev1_transform transforms[IKEV1_MAX_TRANSFORMS];
};

/* The SA payload, always with DOI IKEV1_DOI_IPSEC and situation IKEV1_SIT_IDENTITY_ONLY. */
struct ikev1_sa {
    uint8_t n_proposals;
    struct ikev1_proposal proposals[IKEV1_MAX_PROPOSALS];
};

struct ikev1_ke {
    uint16_t len;
    uint8_t data[IKEV1_MAX_KE_LEN];
};

/*
 * An ID payload (RFC 2407 §4.6.2).  In phase 1, protocol and port are 0,
 * or 17 and 500.  In quick mode they restrict the client identity, e.g.
 * protocol 135 for the Mobility Header.  The address types have fixed
 * data lengths (4, 8, 16 or 32 bytes), which encode and decode check.
 */
struct ikev1_id {
    uint8_t type; /* enum ikev1_id_type */
    uint8_t protocol;
    uint16_t port;
    uint16_t len;
    uint8_t data[IKEV1_MAX_ID_LEN];
};

struct ikev1_notify {
    uint32_t doi;
    uint8_t protocol;
    uint8_t spi_len;
    uint8_t spi[IKEV1_MAX_SPI_LEN];
    uint16_t type; /* enum ikev1_notify_type */
    uint16_t data_len;
    uint8_t data[IKEV1_MAX_NOTIFY_DATA];
};

struct ikev1_delete {
    uint32_t doi;
    uint8_t protocol;
    uint8_t spi_len; /* 16 for ISAKMP (the two cookies), 4 for ESP and AH */
    uint16_t n_spis;
    uint8_t spis[IKEV1_MAX_DELETE_SPIS][IKEV1_MAX_SPI_LEN];
};

/* Bytes of a message in clear form, counted from the first header byte. */
struct ikev1_span {
    uint16_t offset;
    uint16_t len;
};

/*
 * The parts of a message that IKE hashes, and the CBC state after it.
 * A span is {0, 0} when its payload is absent.
 */
struct ikev1_parts {
    struct ikev1_span sa_body;    /* SA payload without its generic header: SAi_b */
    struct ikev1_span hash_data;  /* data of the HASH payload */
    struct ikev1_span after_hash; /* from the end of the HASH payload to the end of the last
                                     payload, without padding: what HASH(1) and HASH(2) cover
                                     (RFC 2409 §5.5) */
    /* Last ciphertext block, the IV of the next message of the exchange
     * (RFC 2409 Appendix B); zero for a message in clear. */
    uint8_t last_block[IKEV1_BLOCK_LEN];
};

/*
 * A decoded or to-be-encoded message.  A payload is present when its
 * has_* flag is set or its count is non-zero.  Vendor ID, CERT, CR,
 * SIG, NAT-D, NAT-OA and private-use payloads are skipped on input and
 * counted in n_skipped; they are never encoded.
 *
 * order lists the payload types in wire order.  The decoder fills it
 * (without skipped payloads).  The encoder follows it when n_order is
 * non-zero, and then every present payload must appear in it exactly as
 * often as it is present.  With n_order zero the encoder uses the order
 * of RFC 2409 §5.4 and §5.5.  Quick mode and informational exchanges get
 * HASH, SA, Nonce, KE, IDs, notifications, deletes.  Other exchanges get
 * SA, KE, Nonce, IDs, HASH, notifications, deletes.
 */
struct ikev1_msg {
    struct ikev1_header hdr;
    bool encrypted; /* set by the decoder from the E flag; the encoder ignores it */

    bool has_sa;
    struct ikev1_sa sa;
    bool has_ke;
    struct ikev1_ke ke;
    bool has_nonce;
    uint16_t nonce_len;
    uint8_t nonce[IKEV1_MAX_NONCE_LEN];
    uint8_t n_ids; /* quick mode: ids[0] is IDci and ids[1] IDcr */
    struct ikev1_id ids[IKEV1_MAX_IDS];
    bool has_hash;
    uint8_t hash_len;
    uint8_t hash[IKEV1_MAX_HASH_LEN];
    uint8_t n_notifies;
    struct ikev1_notify notifies[IKEV1_MAX_NOTIFIES];
    uint8_t n_deletes;
    struct ikev1_delete deletes[IKEV1_MAX_DELETES];
    uint8_t n_skipped;

    uint8_t n_order;
    uint8_t order[IKEV1_MAX_PAYLOADS];

    /* Decoder output: the message with its body decrypted, padding
     * included, and where the hashed parts lie in it. */
    uint16_t plain_len;
    uint8_t plain[IKEV1_MAX_MSG_LEN];
    struct ikev1_parts parts;
};

/* AES-CBC key and IV of one encrypted message. */
struct ikev1_cipher {
    uint8_t key[32];
    uint8_t key_len; /* 16, 24 or 32 for AES-128, -192 or -256 */
    uint8_t iv[IKEV1_BLOCK_LEN];
};

/*
 * Encode msg and append it to out, filling the header's Next Payload
 * and Length.  With cipher NULL the message goes in clear and the E flag
 * is cleared.  Otherwise the E flag is set, and the body is padded and
 * encrypted with cipher.  Other header flags are taken from msg.
 * Encoding is deterministic.
 *
 * parts, when not NULL, receives the spans and the last ciphertext
 * block.  Its spans count from out->buf + (out->pos before the call) and
 * are meaningful only for a message in clear.  That allows the two-pass
 * recipe for quick mode, which ikev1_encode_hashed in ikev1_crypto.h
 * implements.  Encode in clear with a zero hash of the right length,
 * compute HASH(1) over parts.after_hash, store it in msg, and encode
 * again with the cipher.  The bytes after the HASH payload do not depend
 * on its value.
 *
 * Returns IKEV1_OK or one of these errors:
 *   IKEV1_NO_SPACE       out is too small, and is marked failed;
 *   IKEV1_TOO_MANY       a count or length above its array's capacity;
 *   IKEV1_BAD_PAYLOAD    a value that does not fit its field, an empty
 *                        SA, proposal, KE, HASH or ID, a delete with SPI
 *                        size 0, a nonce outside 8-256 bytes, an address
 *                        ID of the wrong length, or an order that does
 *                        not match the payloads;
 *   IKEV1_TOO_LONG       the message would exceed IKEV1_MAX_MSG_LEN;
 *   IKEV1_BAD_ALGORITHM  a cipher key length other than 16, 24 or 32;
 *   IKEV1_CRYPTO_FAILED  an OpenSSL call failed.
 * On an error parts is zeroed.
 */
enum ikev1_status ikev1_encode(const struct ikev1_msg *msg, const struct ikev1_cipher *cipher,
                               struct wr *out, struct ikev1_parts *parts);

/*
 * Read the fixed header of pkt[0..len), to find the ISAKMP SA (and so
 * the key and IV) before decoding.  Returns IKEV1_OK, IKEV1_TRUNCATED,
 * IKEV1_TOO_LONG, IKEV1_BAD_VERSION or IKEV1_BAD_LENGTH.
 */
enum ikev1_status ikev1_read_header(const uint8_t *pkt, size_t len, struct ikev1_header *hdr);

/*
 * Decode the message pkt[0..len), a whole UDP payload.  With the E flag
 * set the body is decrypted with cipher.  Without it the cipher is
 * ignored and msg->encrypted is false, so the caller can reject a
 * message that must be encrypted.
 * The exchange type is not checked, so that the caller can reject main
 * mode or an unknown exchange with its own notification.  Payload order
 * and which payloads an exchange requires are the caller's to check.
 *
 * Returns IKEV1_OK or the first problem found: IKEV1_TRUNCATED,
 * IKEV1_TOO_LONG, IKEV1_BAD_VERSION, IKEV1_BAD_LENGTH, IKEV1_NO_KEYS,
 * IKEV1_BAD_ALGORITHM, IKEV1_BAD_PAYLOAD_TYPE, IKEV1_BAD_PAYLOAD,
 * IKEV1_BAD_PROPOSAL, IKEV1_BAD_DOI, IKEV1_BAD_SITUATION, IKEV1_TOO_MANY
 * or IKEV1_CRYPTO_FAILED.  On failure msg contents are unspecified.
 * Never reads outside pkt[0..len).
 */
enum ikev1_status ikev1_decode(const uint8_t *pkt, size_t len, const struct ikev1_cipher *cipher,
                               struct ikev1_msg *msg);

/* Pointer to the bytes of span in a decoded message. */
static inline const uint8_t *
ikev1_span_ptr(const struct ikev1_msg *msg, struct ikev1_span span)
{
    return msg->plain + span.offset;
}

/*
 * Find the first attribute of type in t.  Returns true and stores its
 * value, or returns false when t has none.
 */
bool ikev1_find_attr(const struct ikev1_transform *t, uint16_t type, uint64_t *value);

/* A TV attribute, whose value fits 16 bits. */
static inline struct ikev1_attr
ikev1_attr_tv(uint16_t type, uint16_t value)
{
    struct ikev1_attr a = {.type = type, .tv = true, .len = 0, .value = value};
    return a;
}

/* A TLV attribute with len value bytes. */
static inline struct ikev1_attr
ikev1_attr_tlv(uint16_t type, uint8_t len, uint64_t value)
{
    struct ikev1_attr a = {.type = type, .tv = false, .len = len, .value = value};
    return a;
}

/* Short name of a status, for logs and error messages. */
const char *ikev1_status_name(enum ikev1_status st);

/* Name of an exchange type ("Aggressive", ...), or "unknown". */
const char *ikev1_exchange_name(uint8_t exchange);

#ifdef __cplusplus
}
#endif

#endif /* MIP6SEC_IKEV1_MSG_H */
