/*
 * test_esp_replay.c - the anti-replay window of RFC 4303 §3.4.3 and the
 * ESN inference of RFC 4303 Appendix A2.2.
 *
 * Scripted tables cover the window edges for several sizes.  The ESN
 * table walks the cases of Appendix A2.2 around the 2^32 boundary.  A
 * differential test runs long pseudo-random packet streams through the
 * window and through a naive reference: a hash set of every accepted
 * number plus the maximum, and the Appendix A2.2 case table written out
 * literally.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "esp_replay.h"

#define TWO_32 UINT64_C(0x100000000)

static const char *
verdict_name(enum esp_replay_verdict verdict)
{
    switch (verdict) {
    case ESP_REPLAY_OK:
        return "OK";
    case ESP_REPLAY_DUPLICATE:
        return "DUPLICATE";
    case ESP_REPLAY_TOO_OLD:
        return "TOO_OLD";
    }
    return "unknown";
}

static void
init_rejects_invalid_windows(void)
{
    static const struct {
        uint32_t window;
        enum esp_replay_init_status expected;
    } cases[] = {
        {0, ESP_REPLAY_BAD_WINDOW},    {16, ESP_REPLAY_BAD_WINDOW},
        {31, ESP_REPLAY_BAD_WINDOW},   {33, ESP_REPLAY_BAD_WINDOW},
        {63, ESP_REPLAY_BAD_WINDOW},   {1056, ESP_REPLAY_BAD_WINDOW},
        {2048, ESP_REPLAY_BAD_WINDOW}, {UINT32_MAX, ESP_REPLAY_BAD_WINDOW},
        {32, ESP_REPLAY_INIT_OK},      {64, ESP_REPLAY_INIT_OK},
        {96, ESP_REPLAY_INIT_OK},      {1024, ESP_REPLAY_INIT_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct esp_replay replay;
        enum esp_replay_init_status status = esp_replay_init(&replay, cases[i].window);
        if (status != cases[i].expected)
            fprintf(stderr, "failing case: window %u\n", (unsigned)cases[i].window);
        CHECK_EQ_INT(status, cases[i].expected);
        CHECK_EQ_INT(replay.top, 0);
        CHECK_EQ_INT(replay.window, status == ESP_REPLAY_INIT_OK ? cases[i].window : 0);
    }

    /* RFC 4303 §3.4.3: 64 SHOULD be the default. */
    CHECK_EQ_INT(ESP_REPLAY_DEFAULT_WINDOW, 64);
}

/* A window from a failed init accepts nothing. */
static void
invalid_window_accepts_nothing(void)
{
    struct esp_replay replay;
    uint64_t seq = 0;
    CHECK_EQ_INT(esp_replay_init(&replay, 33), ESP_REPLAY_BAD_WINDOW);
    CHECK_EQ_INT(esp_replay_check(&replay, 1, false, &seq), ESP_REPLAY_TOO_OLD);
    CHECK_EQ_INT(esp_replay_check(&replay, 1, true, &seq), ESP_REPLAY_TOO_OLD);
    CHECK_EQ_INT(esp_replay_update(&replay, 1), ESP_REPLAY_TOO_OLD);
    CHECK_EQ_INT(replay.top, 0);
    CHECK_EQ_INT(replay.accepted, 0);
}

/*
 * One received packet without ESN: checked, and marked with
 * esp_replay_update when the verdict is OK and the ICV verifies.
 */
struct step {
    uint32_t seq;
    enum esp_replay_verdict expected;
    bool icv_fails; /* leave the window unchanged even when the check passes */
};

#define MAX_STEPS 10

static void
window_edges_table(void)
{
    static const struct {
        const char *name;
        uint32_t window;
        struct step steps[MAX_STEPS];
        size_t count;
    } cases[] = {
        {"first packet", 64, {{1, ESP_REPLAY_OK, false}}, 1},
        {"zero never valid",
         64,
         {{0, ESP_REPLAY_TOO_OLD, false},
          {1, ESP_REPLAY_OK, false},
          {0, ESP_REPLAY_TOO_OLD, false}},
         3},
        {"in order",
         64,
         {{1, ESP_REPLAY_OK, false}, {2, ESP_REPLAY_OK, false}, {3, ESP_REPLAY_OK, false}},
         3},
        {"duplicate of the top",
         64,
         {{1, ESP_REPLAY_OK, false}, {1, ESP_REPLAY_DUPLICATE, false}},
         2},
        {"reordered inside the window",
         64,
         {{5, ESP_REPLAY_OK, false},
          {3, ESP_REPLAY_OK, false},
          {4, ESP_REPLAY_OK, false},
          {3, ESP_REPLAY_DUPLICATE, false},
          {5, ESP_REPLAY_DUPLICATE, false},
          {2, ESP_REPLAY_OK, false}},
         6},
        {"failed ICV leaves no mark",
         64,
         {{5, ESP_REPLAY_OK, true}, {5, ESP_REPLAY_OK, false}, {5, ESP_REPLAY_DUPLICATE, false}},
         3},
        {"just inside the left edge",
         64,
         {{100, ESP_REPLAY_OK, false},
          {37, ESP_REPLAY_OK, false},
          {37, ESP_REPLAY_DUPLICATE, false}},
         3},
        {"just outside the left edge",
         64,
         {{100, ESP_REPLAY_OK, false}, {36, ESP_REPLAY_TOO_OLD, false}},
         2},
        {"jump beyond the window clears the bitmap",
         64,
         {{10, ESP_REPLAY_OK, false},
          {9, ESP_REPLAY_OK, false},
          {200, ESP_REPLAY_OK, false},
          {137, ESP_REPLAY_OK, false},
          {136, ESP_REPLAY_TOO_OLD, false},
          {200, ESP_REPLAY_DUPLICATE, false},
          {138, ESP_REPLAY_OK, false}},
         7},
        {"jump of exactly the window",
         64,
         {{10, ESP_REPLAY_OK, false},
          {74, ESP_REPLAY_OK, false},
          {10, ESP_REPLAY_TOO_OLD, false},
          {11, ESP_REPLAY_OK, false}},
         4},
        {"slide by one reuses a bit",
         64,
         {{6, ESP_REPLAY_OK, false},
          {69, ESP_REPLAY_OK, false},
          {6, ESP_REPLAY_DUPLICATE, false},
          {70, ESP_REPLAY_OK, false},
          {6, ESP_REPLAY_TOO_OLD, false},
          {7, ESP_REPLAY_OK, false},
          {7, ESP_REPLAY_DUPLICATE, false}},
         7},
        {"window 32 edges",
         32,
         {{40, ESP_REPLAY_OK, false},
          {9, ESP_REPLAY_OK, false},
          {8, ESP_REPLAY_TOO_OLD, false},
          {9, ESP_REPLAY_DUPLICATE, false}},
         4},
        {"window 96 edges",
         96,
         {{200, ESP_REPLAY_OK, false},
          {105, ESP_REPLAY_OK, false},
          {104, ESP_REPLAY_TOO_OLD, false},
          {250, ESP_REPLAY_OK, false},
          {155, ESP_REPLAY_OK, false},
          {154, ESP_REPLAY_TOO_OLD, false},
          {200, ESP_REPLAY_DUPLICATE, false},
          {105, ESP_REPLAY_TOO_OLD, false}},
         8},
        {"window 1024 edges",
         1024,
         {{2000, ESP_REPLAY_OK, false},
          {977, ESP_REPLAY_OK, false},
          {976, ESP_REPLAY_TOO_OLD, false},
          {1500, ESP_REPLAY_OK, false},
          {1500, ESP_REPLAY_DUPLICATE, false},
          {3000, ESP_REPLAY_OK, false},
          {1977, ESP_REPLAY_OK, false},
          {2000, ESP_REPLAY_DUPLICATE, false},
          {1976, ESP_REPLAY_TOO_OLD, false}},
         9},
        {"largest 32-bit number",
         64,
         {{UINT32_MAX, ESP_REPLAY_OK, false},
          {UINT32_MAX, ESP_REPLAY_DUPLICATE, false},
          {UINT32_MAX - 63, ESP_REPLAY_OK, false},
          {UINT32_MAX - 64, ESP_REPLAY_TOO_OLD, false},
          {5, ESP_REPLAY_TOO_OLD, false}},
         5},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct esp_replay replay;
        CHECK_EQ_INT(esp_replay_init(&replay, cases[i].window), ESP_REPLAY_INIT_OK);
        for (size_t s = 0; s < cases[i].count; s++) {
            const struct step *step = &cases[i].steps[s];
            uint64_t seq = 0;
            enum esp_replay_verdict verdict = esp_replay_check(&replay, step->seq, false, &seq);
            if (verdict != step->expected)
                fprintf(stderr, "failing case: %s, step %zu: %s\n", cases[i].name, s,
                        verdict_name(verdict));
            CHECK_EQ_INT(verdict, step->expected);
            CHECK_EQ_INT(seq, step->seq);
            if (verdict == ESP_REPLAY_OK && !step->icv_fails)
                CHECK_EQ_INT(esp_replay_update(&replay, seq), ESP_REPLAY_OK);
        }
    }
}

/* RFC 4303 §3.4.3: the window advances only after the ICV verifies. */
static void
check_leaves_window_unchanged(void)
{
    struct esp_replay replay;
    CHECK_EQ_INT(esp_replay_init(&replay, 64), ESP_REPLAY_INIT_OK);
    static const uint64_t received[] = {3, 70, 71, 65, 90};
    for (size_t i = 0; i < sizeof received / sizeof received[0]; i++)
        CHECK_EQ_INT(esp_replay_update(&replay, received[i]), ESP_REPLAY_OK);

    struct esp_replay before = replay;
    static const struct {
        uint32_t seq;
        bool esn;
        enum esp_replay_verdict expected;
    } probes[] = {
        {1000, false, ESP_REPLAY_OK},      {91, false, ESP_REPLAY_OK},
        {71, false, ESP_REPLAY_DUPLICATE}, {26, false, ESP_REPLAY_TOO_OLD},
        {0, false, ESP_REPLAY_TOO_OLD},    {UINT32_MAX, true, ESP_REPLAY_OK},
        {90, true, ESP_REPLAY_DUPLICATE},  {27, true, ESP_REPLAY_OK},
    };
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        uint64_t seq = 0;
        CHECK_EQ_INT(esp_replay_check(&replay, probes[i].seq, probes[i].esn, &seq),
                     probes[i].expected);
    }
    CHECK_EQ_INT(replay.top, before.top);
    CHECK_EQ_INT(replay.window, before.window);
    CHECK_EQ_MEM(replay.bitmap, before.bitmap, sizeof replay.bitmap);
    CHECK_EQ_INT(replay.accepted, 5);
    CHECK_EQ_INT(replay.duplicates, 2);
    CHECK_EQ_INT(replay.too_old, 2);
}

/* Two copies pass the check before either is verified: the second update loses. */
static void
update_rejects_late_duplicate(void)
{
    struct esp_replay replay;
    CHECK_EQ_INT(esp_replay_init(&replay, 32), ESP_REPLAY_INIT_OK);
    uint64_t first = 0, second = 0;
    CHECK_EQ_INT(esp_replay_check(&replay, 7, false, &first), ESP_REPLAY_OK);
    CHECK_EQ_INT(esp_replay_check(&replay, 7, false, &second), ESP_REPLAY_OK);
    CHECK_EQ_INT(esp_replay_update(&replay, first), ESP_REPLAY_OK);
    CHECK_EQ_INT(esp_replay_update(&replay, second), ESP_REPLAY_DUPLICATE);

    /* A packet checked before the window jumped past it. */
    uint64_t old = 0;
    CHECK_EQ_INT(esp_replay_check(&replay, 8, false, &old), ESP_REPLAY_OK);
    CHECK_EQ_INT(esp_replay_update(&replay, 100), ESP_REPLAY_OK);
    CHECK_EQ_INT(esp_replay_update(&replay, old), ESP_REPLAY_TOO_OLD);
    CHECK_EQ_INT(esp_replay_update(&replay, 0), ESP_REPLAY_TOO_OLD);

    CHECK_EQ_INT(replay.accepted, 2);
    CHECK_EQ_INT(replay.duplicates, 1);
    CHECK_EQ_INT(replay.too_old, 2);
    CHECK_EQ_INT(replay.top, 100);
}

/*
 * ESN inference, RFC 4303 Appendix A2.2, window 64.  The window's top is
 * set by esp_replay_update, then marked lists numbers already received.
 * Bl = Tl - 63 modulo 2^32.
 */
static void
esn_inference_table(void)
{
    static const struct {
        const char *name;
        uint64_t top;
        uint64_t marked; /* a second received number, 0 for none */
        uint32_t seq_lo;
        bool esn;
        enum esp_replay_verdict expected;
        uint64_t seq;
    } cases[] = {
        /* Case A, Th = 1, Tl = 0x1000, Bl = 0xfc1. */
        {"A: ahead in Th", TWO_32 + 0x1000, 0, 0x1001, true, ESP_REPLAY_OK, TWO_32 + 0x1001},
        {"A: Seql = Bl", TWO_32 + 0x1000, 0, 0xfc1, true, ESP_REPLAY_OK, TWO_32 + 0xfc1},
        {"A: Seql < Bl is Th + 1", TWO_32 + 0x1000, 0, 0xfc0, true, ESP_REPLAY_OK,
         2 * TWO_32 + 0xfc0},
        {"A: top again", TWO_32 + 0x1000, 0, 0x1000, true, ESP_REPLAY_DUPLICATE, TWO_32 + 0x1000},
        /* Case A just below the boundary: Th = 0, Tl = 0xfffffff0, Bl = 0xffffffb1. */
        {"A: last of subspace 0", 0xfffffff0, 0, 0xffffffff, true, ESP_REPLAY_OK, 0xffffffff},
        {"A: Seql 0 wraps to 2^32", 0xfffffff0, 0, 0, true, ESP_REPLAY_OK, TWO_32},
        {"A: Seql 5 wraps", 0xfffffff0, 0, 5, true, ESP_REPLAY_OK, TWO_32 + 5},
        {"A: left edge", 0xfffffff0, 0, 0xffffffb1, true, ESP_REPLAY_OK, 0xffffffb1},
        {"A: below left edge is Th + 1", 0xfffffff0, 0, 0xffffffb0, true, ESP_REPLAY_OK,
         TWO_32 + 0xffffffb0},
        {"A: no wrap without ESN", 0xfffffff0, 0, 5, false, ESP_REPLAY_TOO_OLD, 5},
        /* Case B: Th = 1, Tl = 10, Bl = 0xffffffcb; 0xffffffff was received. */
        {"B: Seql = Bl is Th - 1", TWO_32 + 10, 0xffffffff, 0xffffffcb, true, ESP_REPLAY_OK,
         0xffffffcb},
        {"B: Seql < Bl is Th", TWO_32 + 10, 0xffffffff, 0xffffffca, true, ESP_REPLAY_OK,
         TWO_32 + 0xffffffca},
        {"B: seen in Th - 1", TWO_32 + 10, 0xffffffff, 0xffffffff, true, ESP_REPLAY_DUPLICATE,
         0xffffffff},
        {"B: unseen in Th - 1", TWO_32 + 10, 0xffffffff, 0xfffffffe, true, ESP_REPLAY_OK,
         0xfffffffe},
        {"B: inside in Th", TWO_32 + 10, 0xffffffff, 5, true, ESP_REPLAY_OK, TWO_32 + 5},
        {"B: 2^32 itself", TWO_32 + 10, 0xffffffff, 0, true, ESP_REPLAY_OK, TWO_32},
        {"B: ahead in Th", TWO_32 + 10, 0xffffffff, 11, true, ESP_REPLAY_OK, TWO_32 + 11},
        {"B: top again", TWO_32 + 10, 0xffffffff, 10, true, ESP_REPLAY_DUPLICATE, TWO_32 + 10},
        /* Case B in subspace 0 has no Th - 1: the window starts at 0. */
        {"B0: empty window, Seql 0", 0, 0, 0, true, ESP_REPLAY_TOO_OLD, 0},
        {"B0: empty window, Seql 1", 0, 0, 1, true, ESP_REPLAY_OK, 1},
        {"B0: high Seql stays in 0", 10, 0, 0xfffffff0, true, ESP_REPLAY_OK, 0xfffffff0},
        {"B0: Seql 0 is number 0", 10, 0, 0, true, ESP_REPLAY_TOO_OLD, 0},
        /* The last subspace: nothing beyond 2^64 - 1 exists. */
        {"last number", UINT64_MAX - 15, 0, 0xffffffff, true, ESP_REPLAY_OK, UINT64_MAX},
        {"beyond 2^64 - 1", UINT64_MAX - 15, 0, 5, true, ESP_REPLAY_TOO_OLD, 0xffffffff00000005u},
        {"top is 2^64 - 1", UINT64_MAX, 0, 0xffffffff, true, ESP_REPLAY_DUPLICATE, UINT64_MAX},
        {"left edge at 2^64 - 64", UINT64_MAX, 0, 0xffffffc0, true, ESP_REPLAY_OK, UINT64_MAX - 63},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct esp_replay replay;
        CHECK_EQ_INT(esp_replay_init(&replay, 64), ESP_REPLAY_INIT_OK);
        if (cases[i].marked != 0)
            CHECK_EQ_INT(esp_replay_update(&replay, cases[i].marked), ESP_REPLAY_OK);
        if (cases[i].top != 0)
            CHECK_EQ_INT(esp_replay_update(&replay, cases[i].top), ESP_REPLAY_OK);

        uint64_t seq = 0;
        enum esp_replay_verdict verdict =
            esp_replay_check(&replay, cases[i].seq_lo, cases[i].esn, &seq);
        if (verdict != cases[i].expected || seq != cases[i].seq)
            fprintf(stderr, "failing case: %s: %s, seq 0x%" PRIx64 "\n", cases[i].name,
                    verdict_name(verdict), seq);
        CHECK_EQ_INT(verdict, cases[i].expected);
        CHECK(seq == cases[i].seq);
    }
}

/* A receiver follows a sender across 2^32 with ESN, one packet at a time. */
static void
esn_stream_across_boundary(void)
{
    struct esp_replay replay;
    CHECK_EQ_INT(esp_replay_init(&replay, 32), ESP_REPLAY_INIT_OK);
    uint64_t start = TWO_32 - 40;
    CHECK_EQ_INT(esp_replay_update(&replay, start), ESP_REPLAY_OK);
    for (uint64_t sent = start + 1; sent < start + 100; sent++) {
        uint64_t seq = 0;
        CHECK_EQ_INT(esp_replay_check(&replay, (uint32_t)sent, true, &seq), ESP_REPLAY_OK);
        CHECK(seq == sent);
        CHECK_EQ_INT(esp_replay_update(&replay, seq), ESP_REPLAY_OK);
        /* A late copy of the packet sent 20 earlier is a duplicate.  Numbers
         * below start were never received and are still inside the window. */
        enum esp_replay_verdict late = sent - 20 >= start ? ESP_REPLAY_DUPLICATE : ESP_REPLAY_OK;
        CHECK_EQ_INT(esp_replay_check(&replay, (uint32_t)(sent - 20), true, &seq), late);
        CHECK(seq == sent - 20);
    }
    CHECK(replay.top == start + 99);
}

/* ----- differential test against a naive reference ----- */

/* Every accepted number in an open-addressing hash set, plus the maximum. */
struct reference {
    uint64_t *slots; /* 0 marks an empty slot: number 0 is never accepted */
    size_t capacity; /* a power of two */
    uint64_t max;
    uint32_t window;
    uint64_t accepted;
};

static size_t
reference_slot(const struct reference *ref, uint64_t seq)
{
    size_t i = (size_t)(seq * UINT64_C(0x9e3779b97f4a7c15) >> 40) & (ref->capacity - 1);
    while (ref->slots[i] != 0 && ref->slots[i] != seq)
        i = (i + 1) & (ref->capacity - 1);
    return i;
}

static bool
reference_seen(const struct reference *ref, uint64_t seq)
{
    return ref->slots[reference_slot(ref, seq)] == seq;
}

/*
 * RFC 4303 Appendix A2.2 as its case table, plus two cases it leaves
 * open: subspace 0 has no Th - 1, and no number exceeds 2^64 - 1.
 */
static bool
reference_infer(const struct reference *ref, uint32_t seq_lo, uint64_t *seq)
{
    uint32_t tl = (uint32_t)ref->max;
    uint32_t th = (uint32_t)(ref->max >> 32);
    uint32_t bl = tl - ref->window + 1;
    uint64_t seqh;

    if (tl >= ref->window - 1)
        seqh = seq_lo >= bl ? th : (uint64_t)th + 1; /* Case A */
    else if (th == 0)
        seqh = 0; /* Case B in the first subspace, which has no Th - 1 */
    else
        seqh = seq_lo >= bl ? th - 1 : th; /* Case B */

    if (seqh > UINT32_MAX) {
        *seq = (uint64_t)th << 32 | seq_lo;
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

static enum esp_replay_verdict
reference_check(const struct reference *ref, uint32_t seq_lo, bool esn, uint64_t *seq)
{
    if (!esn) {
        *seq = seq_lo;
        return reference_classify(ref, *seq);
    }
    if (!reference_infer(ref, seq_lo, seq))
        return ESP_REPLAY_TOO_OLD;
    return reference_classify(ref, *seq);
}

static enum esp_replay_verdict
reference_update(struct reference *ref, uint64_t seq)
{
    enum esp_replay_verdict verdict = reference_classify(ref, seq);
    if (verdict != ESP_REPLAY_OK)
        return verdict;
    ref->slots[reference_slot(ref, seq)] = seq;
    if (seq > ref->max)
        ref->max = seq;
    ref->accepted++;
    return ESP_REPLAY_OK;
}

static uint64_t
xorshift64(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

#define DIFFERENTIAL_PACKETS 100000

struct stream {
    uint32_t window;
    bool esn;
    uint64_t start; /* the sender's counter before the stream; received as the first packet */
};

/*
 * Pick the next packet of a lossy, reordering, replaying link.  *sent is
 * the highest number the sender has used.  Returns the packet's true
 * number, or 0 with a random *forged low word for a packet that will fail
 * the ICV.
 */
static uint64_t
next_packet(uint64_t *rng, const struct stream *s, uint64_t *sent, uint32_t *forged)
{
    uint64_t roll = xorshift64(rng) % 100;
    uint64_t r = xorshift64(rng);
    uint64_t limit = s->esn ? UINT64_MAX : UINT32_MAX;
    uint64_t ahead = 0, back = 0;

    if (roll < 60)
        ahead = 1 + r % 3; /* in order, sometimes after a loss */
    else if (roll < 80)
        back = r % (2 * s->window); /* reordered or replayed */
    else if (roll < 90)
        back = r % (8 * s->window); /* late, mostly left of the window */
    else if (roll < 95)
        ahead = s->window + r % (3 * s->window); /* a burst of loss */
    else {
        *forged = (uint32_t)r;
        return 0;
    }

    if (ahead > limit - *sent)
        ahead = 0; /* the sender has used up its numbers and repeats the last */
    if (back >= *sent)
        back = *sent - 1;
    *sent += ahead;
    return *sent - back;
}

static void
run_differential(const struct stream *s, uint64_t seed)
{
    struct esp_replay replay;
    struct reference ref = {calloc(1u << 18, sizeof(uint64_t)), 1u << 18, 0, s->window, 0};
    CHECK(ref.slots != NULL);
    if (ref.slots == NULL)
        return;
    CHECK_EQ_INT(esp_replay_init(&replay, s->window), ESP_REPLAY_INIT_OK);
    CHECK_EQ_INT(esp_replay_update(&replay, s->start), ESP_REPLAY_OK);
    CHECK_EQ_INT(reference_update(&ref, s->start), ESP_REPLAY_OK);

    uint64_t rng = seed, sent = s->start;
    long disagreements = 0;
    long misread = 0; /* genuine packets that passed the check with a wrong number */
    for (long i = 0; i < DIFFERENTIAL_PACKETS && disagreements < 5; i++) {
        uint32_t forged = 0;
        uint64_t truth = next_packet(&rng, s, &sent, &forged);
        uint32_t seq_lo = truth != 0 ? (uint32_t)truth : forged;

        uint64_t got = 0, want = 0;
        enum esp_replay_verdict verdict = esp_replay_check(&replay, seq_lo, s->esn, &got);
        enum esp_replay_verdict expected = reference_check(&ref, seq_lo, s->esn, &want);
        if (verdict != expected || got != want) {
            fprintf(stderr,
                    "packet %ld, window %u, esn %d: check 0x%08x gave %s 0x%" PRIx64
                    ", reference %s 0x%" PRIx64 "\n",
                    i, (unsigned)s->window, s->esn, (unsigned)seq_lo, verdict_name(verdict), got,
                    verdict_name(expected), want);
            disagreements++;
        }

        /* The ICV verifies only for a genuine packet whose inferred number is right. */
        if (verdict == ESP_REPLAY_OK && truth != 0 && got != truth)
            misread++;
        if (verdict != ESP_REPLAY_OK || truth == 0 || got != truth)
            continue;
        verdict = esp_replay_update(&replay, got);
        expected = reference_update(&ref, got);
        if (verdict != expected || replay.top != ref.max) {
            fprintf(stderr, "packet %ld: update 0x%" PRIx64 " gave %s, reference %s\n", i, got,
                    verdict_name(verdict), verdict_name(expected));
            disagreements++;
        }
    }
    CHECK_EQ_INT(disagreements, 0);
    CHECK_EQ_INT(replay.accepted, ref.accepted);
    CHECK(replay.top == ref.max);
    /* The stream must reach every outcome, or it tests little.  A late
     * packet left of the window is TOO_OLD without ESN.  With ESN it reads
     * as a number in the next subspace (Appendix A2.2 Case A) and fails
     * the ICV instead, except in the last subspace, where it is TOO_OLD. */
    CHECK(replay.accepted > DIFFERENTIAL_PACKETS / 10);
    CHECK(replay.duplicates > 100);
    CHECK(misread + (long)replay.too_old > 100);
    free(ref.slots);
}

static void
differential_against_reference(void)
{
    static const struct stream streams[] = {
        {32, false, 1},
        {64, false, 1},
        {96, false, 1},
        {1024, false, 1},
        {64, false, UINT32_MAX - 200000}, /* runs into the last 32-bit numbers */
        {32, true, TWO_32 - 30000},
        {64, true, TWO_32 - 30000},
        {96, true, 3 * TWO_32 - 50000},
        {1024, true, TWO_32 - 100000},
        {64, true, 1},
        {64, true, UINT64_MAX - 200000}, /* runs into the last ESN numbers */
    };
    for (size_t i = 0; i < sizeof streams / sizeof streams[0]; i++)
        run_differential(&streams[i], UINT64_C(0x6a09e667f3bcc908) + i);
}

CHECK_MAIN(TEST(init_rejects_invalid_windows), TEST(invalid_window_accepts_nothing),
           TEST(window_edges_table), TEST(check_leaves_window_unchanged),
           TEST(update_rejects_late_duplicate), TEST(esn_inference_table),
           TEST(esn_stream_across_boundary), TEST(differential_against_reference))
