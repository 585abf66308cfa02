/*
 * esp_replay.c - anti-replay window (RFC 4303 §3.4.3, Appendix A) over a
 * circular bitmap: bit n % window represents sequence number n.
 */
#include "esp_replay.h"

#include <string.h>

#define SUBSPACE_MASK                                                                              \
    UINT64_C(0xffffffff00000000) /* the high 32 bits, Seqh in RFC 4303 Appendix A */

static bool
valid_window(uint32_t window)
{
    return window >= ESP_REPLAY_MIN_WINDOW && window <= ESP_REPLAY_MAX_WINDOW &&
           window % ESP_REPLAY_WORD_BITS == 0;
}

enum esp_replay_init_status
esp_replay_init(struct esp_replay *replay, uint32_t window)
{
    memset(replay, 0, sizeof *replay);
    if (!valid_window(window))
        return ESP_REPLAY_BAD_WINDOW;
    replay->window = window;
    return ESP_REPLAY_INIT_OK;
}

static bool
is_marked(const struct esp_replay *replay, uint64_t seq)
{
    uint32_t bit = (uint32_t)(seq % replay->window);
    return (replay->bitmap[bit / ESP_REPLAY_WORD_BITS] >> (bit % ESP_REPLAY_WORD_BITS) & 1u) != 0;
}

static void
mark(struct esp_replay *replay, uint64_t seq)
{
    uint32_t bit = (uint32_t)(seq % replay->window);
    replay->bitmap[bit / ESP_REPLAY_WORD_BITS] |= 1u << (bit % ESP_REPLAY_WORD_BITS);
}

/*
 * Clear the bits of the count numbers from first on, a word at a time
 * where possible.  The window is a whole number of words, so a run of
 * bits never wraps inside a word.  count must be below the window size.
 */
static void
clear_numbers(struct esp_replay *replay, uint64_t first, uint64_t count)
{
    while (count > 0) {
        uint32_t bit = (uint32_t)(first % replay->window);
        uint32_t shift = bit % ESP_REPLAY_WORD_BITS;
        uint32_t run = ESP_REPLAY_WORD_BITS - shift;
        if (run > count)
            run = (uint32_t)count;
        uint32_t mask = run == ESP_REPLAY_WORD_BITS ? UINT32_MAX : ((1u << run) - 1) << shift;
        replay->bitmap[bit / ESP_REPLAY_WORD_BITS] &= ~mask;
        first += run;
        count -= run;
    }
}

/*
 * Return the lowest number the window covers, B in RFC 4303 Appendix A2:
 * top - window + 1.  Until top reaches window - 1 that would be negative,
 * so the window starts at 0 instead.
 */
static uint64_t
left_edge(const struct esp_replay *replay)
{
    uint64_t span = (uint64_t)replay->window - 1;
    return replay->top >= span ? replay->top - span : 0;
}

/*
 * Infer the full number of seq_lo with ESN, as RFC 4303 Appendix A2.2
 * does: it is the number with these low 32 bits among the 2^32 numbers
 * from the left edge B on.  For top >= window - 1 this gives the RFC's
 * cases exactly: in Case A, Seqh = Th when Seql >= Bl and Th + 1 when
 * Seql < Bl.  In Case B, Seqh = Th - 1 when Seql >= Bl and Th when
 * Seql < Bl.
 *
 * NOTE: while top < window - 1, Case B would give Seqh = Th - 1 = -1.
 * No such subspace exists, and left_edge starts the window at 0, so Seqh
 * is 0 there.
 *
 * Returns false when the number would exceed 2^64 - 1, which the sender
 * never uses (RFC 4303 §3.3.3: the counter must not cycle).  *seq is then
 * the number with these low bits in B's subspace, which lies left of B.
 */
static bool
infer_esn(const struct esp_replay *replay, uint32_t seq_lo, uint64_t *seq)
{
    uint64_t left = left_edge(replay);
    uint32_t offset = seq_lo - (uint32_t)left; /* modulo 2^32 */

    if (left > UINT64_MAX - offset) {
        *seq = (left & SUBSPACE_MASK) | seq_lo;
        return false;
    }
    *seq = left + offset;
    return true;
}

/* Return the verdict on the full number seq against the current window. */
static enum esp_replay_verdict
classify(const struct esp_replay *replay, uint64_t seq)
{
    /* A window from a failed esp_replay_init has size 0 and accepts nothing. */
    if (replay->window == 0)
        return ESP_REPLAY_TOO_OLD;
    /* RFC 4303 §3.3.3: the first packet carries 1, so 0 is never sent. */
    if (seq == 0)
        return ESP_REPLAY_TOO_OLD;
    /* RFC 4303 §3.4.3: a number right of the window is new. */
    if (seq > replay->top)
        return ESP_REPLAY_OK;
    /* RFC 4303 §3.4.3: numbers left of the window are rejected. */
    if (replay->top - seq >= replay->window)
        return ESP_REPLAY_TOO_OLD;
    /* RFC 4303 §3.4.3: inside the window, reject what was received before. */
    return is_marked(replay, seq) ? ESP_REPLAY_DUPLICATE : ESP_REPLAY_OK;
}

static void
count_rejection(struct esp_replay *replay, enum esp_replay_verdict verdict)
{
    if (verdict == ESP_REPLAY_DUPLICATE)
        replay->duplicates++;
    else if (verdict == ESP_REPLAY_TOO_OLD)
        replay->too_old++;
}

enum esp_replay_verdict
esp_replay_check(struct esp_replay *replay, uint32_t seq_lo, bool esn, uint64_t *seq)
{
    enum esp_replay_verdict verdict;

    if (!esn) {
        *seq = seq_lo;
        verdict = classify(replay, *seq);
    } else if (infer_esn(replay, seq_lo, seq)) {
        verdict = classify(replay, *seq);
    } else {
        verdict = ESP_REPLAY_TOO_OLD;
    }

    count_rejection(replay, verdict);
    return verdict;
}

enum esp_replay_verdict
esp_replay_update(struct esp_replay *replay, uint64_t seq)
{
    /* Check again: a packet verified since esp_replay_check may have
     * taken this number or moved the window past it. */
    enum esp_replay_verdict verdict = classify(replay, seq);
    if (verdict != ESP_REPLAY_OK) {
        count_rejection(replay, verdict);
        return verdict;
    }

    /* RFC 4303 Appendix A2.1: moving the right edge to seq drops seq - top
     * numbers on the left.  Their bits are those of top + 1 to seq. */
    if (seq > replay->top) {
        uint64_t advance = seq - replay->top;
        if (advance >= replay->window)
            memset(replay->bitmap, 0, sizeof replay->bitmap);
        else
            clear_numbers(replay, replay->top + 1, advance - 1);
        replay->top = seq;
    }
    mark(replay, seq);
    replay->accepted++;
    return ESP_REPLAY_OK;
}
