/*
 * fuzz_antireplay.c - the anti-replay window (esp_replay.h) against a
 * naive reference: a list of every accepted sequence number, its maximum,
 * and the ESN inference of RFC 4303 Appendix A2.2 written as its case
 * table.
 *
 * Input layout:
 *   byte 0      window size: 32 * (1 + byte % 32) packets
 *   byte 1      starting number, an index into starts[] (0: a new SA)
 *   then 5 bytes per operation:
 *     op byte   bit 0      ESN
 *               bits 1-2   0: check
 *                          1: check, then update with the inferred number
 *                          2: update with top + value directly
 *                          3: check with value as the Sequence Number
 *               bit 3      for kinds 0 and 1: the Sequence Number is the
 *                          low 32 bits of top + value, not value itself
 *     value     32 bits, big-endian, a signed offset where one is meant
 *
 * Oracle: every verdict and inferred number equals the reference's; a
 * check leaves top and bitmap unchanged; after every update top is the
 * reference's maximum.  At the end the counters match the reference, and
 * each bit of the bitmap says whether the reference accepted the number
 * it stands for.  Any disagreement aborts.
 */
#include <stdbool.h>
#include <string.h>

#include "cursor.h"
#include "esp_replay.h"
#include "fuzz.h"

#define OP_LEN 5
#define OP_ESN 0x01u
#define OP_KIND_SHIFT 1
#define OP_KIND_MASK 0x03u
#define OP_RELATIVE 0x08u

enum op_kind {
    OP_CHECK = 0,
    OP_CHECK_UPDATE = 1,
    OP_UPDATE = 2,
    OP_CHECK_ABSOLUTE = 3,
};

/* Starting numbers near the edges that the ESN inference treats specially. */
static const uint64_t starts[] = {
    0,
    1,
    UINT32_MAX - 40,
    UINT32_MAX,
    UINT64_C(0x100000000) + 3,
    UINT64_C(0x200000000) - 20,
    UINT64_MAX - 50,
    UINT64_MAX,
};

struct reference {
    uint64_t *accepted; /* every number accepted, in arrival order */
    size_t count;
    uint64_t max;
    uint32_t window;
    uint64_t duplicates;
    uint64_t too_old;
};

static bool
reference_seen(const struct reference *ref, uint64_t seq)
{
    for (size_t i = 0; i < ref->count; i++) {
        if (ref->accepted[i] == seq)
            return true;
    }
    return false;
}

/*
 * RFC 4303 Appendix A2.2 Cases A and B, plus two cases it leaves open:
 * subspace 0 has no Th - 1, and no number exceeds 2^64 - 1.
 */
static bool
reference_infer(const struct reference *ref, uint32_t seq_lo, uint64_t *seq)
{
    uint32_t tl = (uint32_t)ref->max;
    uint32_t th = (uint32_t)(ref->max >> 32);
    uint32_t bl = tl - ref->window + 1;
    uint64_t seqh;

    if (tl >= ref->window - 1)
        seqh = seq_lo >= bl ? th : (uint64_t)th + 1;
    else if (th == 0)
        seqh = 0; /* no subspace below the first one */
    else
        seqh = seq_lo >= bl ? th - 1 : th;

    if (seqh > UINT32_MAX) {
        *seq = (uint64_t)th << 32 | seq_lo; /* past 2^64 - 1 */
        return false;
    }
    *seq = seqh << 32 | seq_lo;
    return true;
}

static enum esp_replay_verdict
reference_classify(const struct reference *ref, uint64_t seq)
{
    if (seq == 0)
        return ESP_REPLAY_TOO_OLD;
    if (seq > ref->max)
        return ESP_REPLAY_OK;
    if (ref->max - seq >= ref->window)
        return ESP_REPLAY_TOO_OLD;
    return reference_seen(ref, seq) ? ESP_REPLAY_DUPLICATE : ESP_REPLAY_OK;
}

static void
reference_count(struct reference *ref, enum esp_replay_verdict verdict)
{
    if (verdict == ESP_REPLAY_DUPLICATE)
        ref->duplicates++;
    else if (verdict == ESP_REPLAY_TOO_OLD)
        ref->too_old++;
}

static enum esp_replay_verdict
reference_check(struct reference *ref, uint32_t seq_lo, bool esn, uint64_t *seq)
{
    enum esp_replay_verdict verdict;
    if (!esn) {
        *seq = seq_lo;
        verdict = reference_classify(ref, *seq);
    } else if (reference_infer(ref, seq_lo, seq)) {
        verdict = reference_classify(ref, *seq);
    } else {
        verdict = ESP_REPLAY_TOO_OLD;
    }
    reference_count(ref, verdict);
    return verdict;
}

static enum esp_replay_verdict
reference_update(struct reference *ref, uint64_t seq)
{
    enum esp_replay_verdict verdict = reference_classify(ref, seq);
    reference_count(ref, verdict);
    if (verdict != ESP_REPLAY_OK)
        return verdict;
    ref->accepted[ref->count++] = seq;
    if (seq > ref->max)
        ref->max = seq;
    return ESP_REPLAY_OK;
}

/* top + offset, held between 0 and 2^64 - 1. */
static uint64_t
offset_from(uint64_t top, int32_t offset)
{
    if (offset < 0) {
        uint64_t back = (uint64_t)(-(int64_t)offset);
        return back > top ? 0 : top - back;
    }
    return (uint64_t)offset > UINT64_MAX - top ? UINT64_MAX : top + (uint64_t)offset;
}

static void
check_and_compare(struct esp_replay *replay, struct reference *ref, uint32_t seq_lo, bool esn,
                  bool then_update)
{
    struct esp_replay before = *replay;
    uint64_t got = 0, want = 0;
    enum esp_replay_verdict verdict = esp_replay_check(replay, seq_lo, esn, &got);
    enum esp_replay_verdict expected = reference_check(ref, seq_lo, esn, &want);
    FUZZ_ASSERT(verdict == expected);
    FUZZ_ASSERT(got == want);
    /* RFC 4303 §3.4.3: the check never moves the window. */
    FUZZ_ASSERT(replay->top == before.top);
    FUZZ_ASSERT(memcmp(replay->bitmap, before.bitmap, sizeof replay->bitmap) == 0);

    if (then_update && verdict == ESP_REPLAY_OK) {
        FUZZ_ASSERT(esp_replay_update(replay, got) == ESP_REPLAY_OK);
        FUZZ_ASSERT(reference_update(ref, got) == ESP_REPLAY_OK);
        FUZZ_ASSERT(replay->top == ref->max);
    }
}

static bool
bit_at(const struct esp_replay *replay, uint32_t position)
{
    return (replay->bitmap[position / ESP_REPLAY_WORD_BITS] >> (position % ESP_REPLAY_WORD_BITS) &
            1u) != 0;
}

/*
 * Each position p represents the number in top - window + 1 .. top that
 * is p modulo the window.  While top < window - 1, the positions above
 * top represent numbers not received yet and must be clear.
 */
static void
compare_bitmap(const struct esp_replay *replay, const struct reference *ref)
{
    uint32_t window = replay->window;
    for (uint32_t i = 0; i < window; i++) {
        if (i <= replay->top) {
            uint64_t seq = replay->top - i;
            FUZZ_ASSERT(bit_at(replay, (uint32_t)(seq % window)) == reference_seen(ref, seq));
        } else {
            FUZZ_ASSERT(!bit_at(replay, (uint32_t)(replay->top + window - i)));
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rd r = rd_init(data, size);
    uint32_t window = ESP_REPLAY_WORD_BITS * (1u + rd_u8(&r) % 32u);
    uint64_t start = starts[rd_u8(&r) % (sizeof starts / sizeof starts[0])];

    struct esp_replay replay;
    FUZZ_ASSERT(esp_replay_init(&replay, window) == ESP_REPLAY_INIT_OK);
    struct reference ref = {malloc((size / OP_LEN + 2) * sizeof(uint64_t)), 0, 0, window, 0, 0};
    FUZZ_ASSERT(ref.accepted != NULL);
    if (start != 0) {
        FUZZ_ASSERT(esp_replay_update(&replay, start) == ESP_REPLAY_OK);
        FUZZ_ASSERT(reference_update(&ref, start) == ESP_REPLAY_OK);
    }

    while (rd_left(&r) >= OP_LEN) {
        uint8_t op = rd_u8(&r);
        uint32_t value = rd_u32(&r);
        bool esn = (op & OP_ESN) != 0;
        enum op_kind kind = (enum op_kind)(op >> OP_KIND_SHIFT & OP_KIND_MASK);
        uint32_t seq_lo =
            (op & OP_RELATIVE) != 0 ? (uint32_t)offset_from(replay.top, (int32_t)value) : value;

        switch (kind) {
        case OP_CHECK:
            check_and_compare(&replay, &ref, seq_lo, esn, false);
            break;
        case OP_CHECK_UPDATE:
            check_and_compare(&replay, &ref, seq_lo, esn, true);
            break;
        case OP_UPDATE: {
            uint64_t seq = offset_from(replay.top, (int32_t)value);
            FUZZ_ASSERT(esp_replay_update(&replay, seq) == reference_update(&ref, seq));
            FUZZ_ASSERT(replay.top == ref.max);
            break;
        }
        case OP_CHECK_ABSOLUTE:
            check_and_compare(&replay, &ref, value, esn, false);
            break;
        }
    }

    FUZZ_ASSERT(replay.accepted == ref.count);
    FUZZ_ASSERT(replay.duplicates == ref.duplicates);
    FUZZ_ASSERT(replay.too_old == ref.too_old);
    compare_bitmap(&replay, &ref);
    free(ref.accepted);
    return 0;
}
