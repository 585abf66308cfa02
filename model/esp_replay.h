/*
 * esp_replay.h - the receiver's anti-replay window of RFC 4303 §3.4.3 and
 * Appendix A, with 32-bit and extended (64-bit) sequence numbers.
 *
 * Receive path for one inbound SA:
 *   1. esp_replay_check with the Sequence Number from the ESP header.  It
 *      rejects duplicates and packets left of the window before any
 *      cryptography, and infers the full 64-bit number.
 *   2. Verify the ICV; with ESN, the high 32 bits of the inferred number
 *      go into the ICV (esp_unprotect_esn).
 *   3. esp_replay_update with the inferred number, only when the ICV
 *      verified.  RFC 4303 §3.4.3: the window advances only then.
 *
 * The window is a bitmap inside the struct, so an SA needs no allocation.
 * Anti-replay belongs only to SAs with an integrity algorithm: without
 * one the Sequence Number is not protected (RFC 4303 §3.4.3).
 */
#ifndef MIP6SEC_ESP_REPLAY_H
#define MIP6SEC_ESP_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* RFC 4303 §3.4.3: 32 packets MUST be supported and 64 SHOULD be the default. */
#define ESP_REPLAY_MIN_WINDOW 32
#define ESP_REPLAY_DEFAULT_WINDOW 64
#define ESP_REPLAY_MAX_WINDOW 1024
#define ESP_REPLAY_WORD_BITS 32 /* window sizes are whole bitmap words */

enum esp_replay_init_status {
    ESP_REPLAY_INIT_OK = 0,
    ESP_REPLAY_BAD_WINDOW, /* not a multiple of 32 between 32 and 1024 packets */
};

enum esp_replay_verdict {
    ESP_REPLAY_OK = 0,    /* right of the window, or inside it and not seen yet */
    ESP_REPLAY_DUPLICATE, /* inside the window and already accepted */
    ESP_REPLAY_TOO_OLD,   /* left of the window, or a number the sender cannot use */
};

/*
 * One inbound SA's window.  Fields are public so that tests and trace
 * exporters can read them.  Change them only through the functions below.
 *
 * Bit n % window of bitmap represents sequence number n, for n from
 * top - window + 1 to top.  Numbers between the previous top and a new
 * one are cleared as the window slides, so no bit shifting is needed.
 */
struct esp_replay {
    uint64_t top;    /* highest authenticated sequence number, 0 before the first */
    uint32_t window; /* size in packets */
    uint32_t bitmap[ESP_REPLAY_MAX_WINDOW / ESP_REPLAY_WORD_BITS];

    /* Counters since esp_replay_init. */
    uint64_t accepted;   /* packets esp_replay_update marked */
    uint64_t duplicates; /* ESP_REPLAY_DUPLICATE verdicts of check and update */
    uint64_t too_old;    /* ESP_REPLAY_TOO_OLD verdicts of check and update */
};

/*
 * Set up an empty window of window packets, for a new SA whose receive
 * counter starts at 0.  Returns ESP_REPLAY_INIT_OK or
 * ESP_REPLAY_BAD_WINDOW.  After ESP_REPLAY_BAD_WINDOW, *replay is zeroed
 * and every check and update on it returns ESP_REPLAY_TOO_OLD.
 */
enum esp_replay_init_status esp_replay_init(struct esp_replay *replay, uint32_t window);

/*
 * Check the 32-bit Sequence Number seq_lo of a packet that has not been
 * verified yet, and store the full 64-bit number it represents in *seq.
 *
 * Without ESN the high 32 bits are 0.  With ESN they are inferred as in
 * RFC 4303 Appendix A2.2: the number is the one with these low 32 bits
 * among the 2^32 numbers from the window's left edge on.  The left edge
 * is top - window + 1, or 0 while top < window - 1.
 *
 * Returns ESP_REPLAY_OK, ESP_REPLAY_DUPLICATE or ESP_REPLAY_TOO_OLD.
 * Number 0 is always ESP_REPLAY_TOO_OLD, because the first packet of an
 * SA carries 1 (RFC 4303 §3.3.3).  A number that would exceed 2^64 - 1
 * is ESP_REPLAY_TOO_OLD too.  *seq is set for every verdict, so that a
 * drop can be logged with it.  The window stays unchanged, but a
 * rejection increments its counter.
 */
enum esp_replay_verdict esp_replay_check(struct esp_replay *replay, uint32_t seq_lo, bool esn,
                                         uint64_t *seq);

/*
 * Mark seq, the number esp_replay_check inferred, as received once the
 * packet's ICV has verified, and slide the window when seq is beyond it.
 *
 * Returns ESP_REPLAY_OK when seq was marked.  It returns
 * ESP_REPLAY_DUPLICATE or ESP_REPLAY_TOO_OLD, and changes nothing but the
 * counter, when another packet moved the window since the check.
 */
enum esp_replay_verdict esp_replay_update(struct esp_replay *replay, uint64_t seq);

#ifdef __cplusplus
}
#endif

#endif /* MIP6SEC_ESP_REPLAY_H */
