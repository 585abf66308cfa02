/*
 * mh.h - the Mobility Header codec (RFC 6275 §6.1 messages, §6.2 options).
 *
 * One encoder and one decoder cover every MH type the model exchanges.
 * Both compute the checksum over the IPv6 pseudo-header (RFC 6275
 * §6.1.1), so both take the addresses that go into it:
 *   - src is the home address when the packet carries a Home Address
 *     option (a BU sent from a care-of address), else the IPv6 source.
 *   - dst is the home address when the packet carries a type 2 routing
 *     header (a BA sent to a care-of address), else the IPv6 destination.
 *
 * Lifetimes and refresh intervals stay in the wire unit of 4 seconds.
 */
#ifndef MIP6SEC_MH_H
#define MIP6SEC_MH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MH_PAYLOAD_PROTO_NONE 59 /* the only Payload Proto value accepted */
#define MH_ADDR_LEN 16

/* MH Type values (RFC 6275 §6.1.2-§6.1.9). */
enum mh_type {
    MH_BRR = 0,  /* Binding Refresh Request */
    MH_HOTI = 1, /* Home Test Init */
    MH_COTI = 2, /* Care-of Test Init */
    MH_HOT = 3,  /* Home Test */
    MH_COT = 4,  /* Care-of Test */
    MH_BU = 5,   /* Binding Update */
    MH_BA = 6,   /* Binding Acknowledgement */
    MH_BE = 7,   /* Binding Error */
};

/* Binding Acknowledgement Status (RFC 6275 §6.1.8).  Values below 128 mean accepted. */
enum mh_ba_status {
    MH_BA_ACCEPTED = 0,
    MH_BA_ACCEPTED_PREFIX_DISCOVERY = 1,
    MH_BA_REASON_UNSPECIFIED = 128,
    MH_BA_ADMIN_PROHIBITED = 129,
    MH_BA_INSUFFICIENT_RESOURCES = 130,
    MH_BA_HOME_REG_NOT_SUPPORTED = 131,
    MH_BA_NOT_HOME_SUBNET = 132,
    MH_BA_NOT_HOME_AGENT = 133,
    MH_BA_DAD_FAILED = 134,
    MH_BA_SEQ_OUT_OF_WINDOW = 135,
    MH_BA_EXPIRED_HOME_NONCE = 136,
    MH_BA_EXPIRED_COA_NONCE = 137,
    MH_BA_EXPIRED_NONCES = 138,
    MH_BA_REG_TYPE_CHANGE_DISALLOWED = 139,
    MH_BA_INVALID_COA = 174,
};

/* Binding Error Status (RFC 6275 §6.1.9). */
enum mh_be_status {
    MH_BE_UNKNOWN_BINDING_HAO = 1,
    MH_BE_UNKNOWN_MH_TYPE = 2,
};

/* Binding Update flags, byte 8 of the message (RFC 6275 §6.1.7). */
enum mh_bu_flag {
    MH_BU_FLAG_A = 0x80, /* Acknowledge requested */
    MH_BU_FLAG_H = 0x40, /* Home registration */
    MH_BU_FLAG_L = 0x20, /* Link-local address compatibility */
    MH_BU_FLAG_K = 0x10, /* Key management mobility capability */
};

/* Binding Acknowledgement flags, byte 7 of the message (RFC 6275 §6.1.8). */
enum mh_ba_flag {
    MH_BA_FLAG_K = 0x80,
};

/* Mobility option types (RFC 6275 §6.2.2-§6.2.7). */
enum mh_option {
    MH_OPT_PAD1 = 0,
    MH_OPT_PADN = 1,
    MH_OPT_REFRESH_ADVICE = 2,
    MH_OPT_ALT_COA = 3,
    MH_OPT_NONCE_INDICES = 4,
    MH_OPT_AUTH_DATA = 5,
};

enum mh_status {
    MH_OK = 0,
    MH_TRUNCATED,          /* buffer shorter than 8 bytes or than (Header Len + 1) * 8 */
    MH_BAD_CHECKSUM,       /* checksum over the pseudo-header and message is wrong */
    MH_UNKNOWN_TYPE,       /* MH Type above 7, reported with Binding Error status 2 */
    MH_BAD_PAYLOAD_PROTO,  /* Payload Proto is not 59 */
    MH_BAD_HEADER_LEN,     /* Header Len below the minimum of the MH Type */
    MH_OPTION_TRUNCATED,   /* an option runs past the end of the message */
    MH_BAD_OPTION_LENGTH,  /* a known option with the wrong Length */
    MH_DUPLICATE_OPTION,   /* a known option that appears twice */
    MH_OPTION_AFTER_AUTH,  /* an option follows Binding Authorization Data */
    MH_NO_SPACE,           /* the encoder's output buffer is full */
    MH_ENCODE_UNSUPPORTED, /* the encoder cannot write this message type */
    MH_BAD_AUTH_LENGTH,    /* an authenticator length that cannot end the message on 8 bytes */
};

/* Binding Update (RFC 6275 §6.1.7). */
struct mh_bu {
    uint16_t seq;
    uint8_t flags;     /* enum mh_bu_flag bits */
    uint16_t lifetime; /* units of 4 s, where 0 deletes the binding */
    bool has_alt_coa;
    uint8_t alt_coa[MH_ADDR_LEN];
    bool has_nonce_indices;
    uint16_t home_nonce_index;
    uint16_t coa_nonce_index;
};

/* Binding Acknowledgement (RFC 6275 §6.1.8). */
struct mh_ba {
    uint8_t status; /* enum mh_ba_status */
    uint8_t flags;  /* enum mh_ba_flag bits */
    uint16_t seq;
    uint16_t lifetime; /* units of 4 s */
    bool has_refresh;
    uint16_t refresh; /* Binding Refresh Advice interval, units of 4 s */
};

/* Binding Error (RFC 6275 §6.1.9). */
struct mh_be {
    uint8_t status; /* enum mh_be_status */
    uint8_t home[MH_ADDR_LEN];
};

/* Home Test Init and Care-of Test Init (RFC 6275 §6.1.3, §6.1.4). */
struct mh_test_init {
    uint64_t cookie;
};

/* Home Test and Care-of Test (RFC 6275 §6.1.5, §6.1.6). */
struct mh_test {
    uint16_t nonce_index;
    uint64_t cookie;
    uint64_t keygen_token;
};

/*
 * One Mobility Header message.  type selects the union member.  A
 * Binding Refresh Request carries no fields beyond its type.
 */
struct mh_msg {
    uint8_t type; /* enum mh_type */
    union {
        struct mh_bu bu;
        struct mh_ba ba;
        struct mh_be be;
        struct mh_test_init test_init;
        struct mh_test test;
    };

    /* Set by the decoder only. */
    size_t len; /* (Header Len + 1) * 8 */
    bool has_auth_data;
    size_t auth_offset; /* offset of the authenticator inside the message */
    size_t auth_len;
};

/*
 * Write msg at the current position of w.  The encoder sets Payload
 * Proto 59, puts each option on its alignment (RFC 6275 §6.2) and pads
 * the message to a multiple of 8 bytes.  The checksum covers the
 * pseudo-header with src and dst, chosen as described at the top of this file.
 * A BU or BA without options is 16 bytes, and a BU with an Alternate
 * Care-of Address is 32.  mh_encode never writes Binding Authorization
 * Data, whatever msg->has_auth_data says; mh_encode_auth does.
 *
 * Returns MH_OK, MH_NO_SPACE (w is marked failed) or
 * MH_ENCODE_UNSUPPORTED for a type above 7.
 */
enum mh_status mh_encode(struct wr *w, const struct mh_msg *msg, const uint8_t src[MH_ADDR_LEN],
                         const uint8_t dst[MH_ADDR_LEN]);

/*
 * Write a BU or BA like mh_encode, followed by a Binding Authorization
 * Data option (RFC 6275 §6.2.7) with an authenticator of auth_len bytes.
 * That option is the last one and has no padding after it, so it starts
 * at 8n+2 and auth_len must be 4 modulo 8 (12 for return routability).
 * The authenticator and the Checksum are left zero, and on MH_OK
 * *auth_offset receives the authenticator's offset from the start of the
 * message.  The caller computes the authenticator over the message as
 * written, stores it at that offset, then fills the Checksum with
 * mh_set_checksum.
 *
 * Returns MH_OK, MH_NO_SPACE (w is marked failed), MH_ENCODE_UNSUPPORTED
 * for a type other than BU and BA, or MH_BAD_AUTH_LENGTH when auth_len is
 * not 4 modulo 8 or is above 255.  The last two write nothing.
 */
enum mh_status mh_encode_auth(struct wr *w, const struct mh_msg *msg, size_t auth_len,
                              size_t *auth_offset);

/*
 * Compute and store the Checksum of the encoded message mh[0..len) over
 * the pseudo-header with src and dst, chosen as described at the top of
 * this file.  Whatever the Checksum field holds beforehand is ignored.
 */
void mh_set_checksum(uint8_t *mh, size_t len, const uint8_t src[MH_ADDR_LEN],
                     const uint8_t dst[MH_ADDR_LEN]);

/*
 * Decode and validate the Mobility Header in buf[0..len), in this order:
 * length, checksum (src and dst as at the top of this file), MH Type,
 * Payload Proto, Header Len, options.  Bytes after (Header Len + 1) * 8
 * are ignored.  Unknown options are skipped (RFC 6275 §6.2.1).  Known
 * options that are not valid for the type are length-checked and then
 * ignored.
 *
 * On success fills *msg and returns MH_OK.  On failure returns the first
 * problem found.  msg->type and msg->len are set once the first 8 bytes
 * have been read, so a caller can send a Binding Error for
 * MH_UNKNOWN_TYPE (RFC 6275 §9.2).
 */
enum mh_status mh_decode(const uint8_t *buf, size_t len, const uint8_t src[MH_ADDR_LEN],
                         const uint8_t dst[MH_ADDR_LEN], struct mh_msg *msg);

/*
 * Return whether sequence number received is newer than last, modulo
 * 2^16 (RFC 6275 §9.5.1): true iff received - last, taken modulo 2^16,
 * lies in [1, 32767].  Equal numbers are not newer.
 */
bool mh_seq_newer(uint16_t received, uint16_t last);

#ifdef __cplusplus
}
#endif

#endif /* MIP6SEC_MH_H */
