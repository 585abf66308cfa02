/*
 * timer.c - restartable one-shot timers over sim_schedule.
 *
 * An expiry event's argument is not a pointer but the slot index and the
 * slot's generation packed into an integer, so a queued expiry never
 * touches freed memory.  The slot table grows as needed and is reused
 * through a free list, so memory stays proportional to the live timers.
 */
#include "timer.h"

#include <stdlib.h>

#include "sim.h"

struct slot {
    uint32_t generation; /* bumped when the slot is released */
    bool armed;
    uint32_t node;
    uint64_t expires_ns;
    mip6_timer_fn fn;
    void *owner;
    uint32_t next_free;
};

/* Slot 0 is never used, so a zeroed struct mip6_timer is recognisable. */
static struct {
    struct slot *slots;
    uint32_t count;
    uint32_t cap;
    uint32_t free_head; /* 0 when the free list is empty */
} table;

_Static_assert(sizeof(uintptr_t) >= 8, "expiry arguments pack 64 bits into a pointer");

static struct slot *
get_slot(uint32_t index)
{
    return index > 0 && index < table.count ? &table.slots[index] : NULL;
}

static void
expire(void *arg)
{
    uintptr_t packed = (uintptr_t)arg;
    struct slot *s = get_slot((uint32_t)packed);

    if (!s || s->generation != (uint32_t)(packed >> 32))
        return; /* released since it was scheduled */
    if (!s->armed || s->expires_ns != sim_now_ns())
        return; /* stopped, or restarted for another instant */
    s->armed = false;
    s->fn(s->owner);
}

static uint32_t
allocate_slot(void)
{
    if (table.free_head) {
        uint32_t index = table.free_head;
        table.free_head = table.slots[index].next_free;
        return index;
    }
    if (table.count == 0)
        table.count = 1;
    if (table.count >= table.cap) {
        uint32_t cap = table.cap ? 2 * table.cap : 64;
        struct slot *slots = realloc(table.slots, cap * sizeof *slots);
        if (!slots)
            abort(); /* the simulation cannot go on without its timers */
        table.slots = slots;
        table.cap = cap;
    }
    table.slots[table.count].generation = 0;
    return table.count++;
}

void
mip6_timer_init(struct mip6_timer *t, uint32_t node, mip6_timer_fn fn, void *owner)
{
    uint32_t index = allocate_slot();
    struct slot *s = &table.slots[index];

    s->armed = false;
    s->node = node;
    s->expires_ns = 0;
    s->fn = fn;
    s->owner = owner;
    s->next_free = 0;
    t->slot = index;
}

void
mip6_timer_start(struct mip6_timer *t, uint64_t delay_ns)
{
    struct slot *s = get_slot(t->slot);

    if (!s)
        return;
    /* A zero delay could let a stale event of this same instant fire the
     * re-armed timer twice; one nanosecond later is indistinguishable. */
    if (delay_ns == 0)
        delay_ns = 1;
    s->armed = true;
    s->expires_ns = sim_now_ns() + delay_ns;
    uintptr_t packed = (uintptr_t)s->generation << 32 | t->slot;
    sim_schedule(s->node, delay_ns, expire, (void *)packed);
}

void
mip6_timer_stop(struct mip6_timer *t)
{
    struct slot *s = get_slot(t->slot);

    if (s)
        s->armed = false;
}

bool
mip6_timer_armed(const struct mip6_timer *t)
{
    struct slot *s = get_slot(t->slot);

    return s && s->armed;
}

void
mip6_timer_release(struct mip6_timer *t)
{
    struct slot *s = get_slot(t->slot);

    if (!s)
        return;
    s->armed = false;
    s->generation++;
    s->owner = NULL;
    s->next_free = table.free_head;
    table.free_head = t->slot;
    t->slot = 0;
}
