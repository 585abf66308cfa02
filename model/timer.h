/*
 * timer.h - restartable one-shot timers over sim_schedule.
 *
 * sim_schedule has no cancel, so a timer is a handle into a table of
 * slots, and each scheduled expiry carries the slot index and the slot's
 * generation.  An expiry does nothing when the slot was released since
 * (its generation moved on), when the timer was stopped, or when it was
 * restarted for another instant.  The owner of a timer may therefore be
 * freed at any time after mip6_timer_release, with expiries still queued.
 */
#ifndef MIP6SEC_TIMER_H
#define MIP6SEC_TIMER_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*mip6_timer_fn)(void *owner);

struct mip6_timer {
    uint32_t slot; /* index into the timer table; 0 before init */
};

/* Prepare a timer that calls fn(owner) in the context of node. */
void mip6_timer_init(struct mip6_timer *t, uint32_t node, mip6_timer_fn fn, void *owner);

/* (Re)start the timer to expire delay_ns from now; a pending expiry is dropped. */
void mip6_timer_start(struct mip6_timer *t, uint64_t delay_ns);

/* Stop the timer; a pending expiry does nothing. */
void mip6_timer_stop(struct mip6_timer *t);

/* Whether the timer is running. */
bool mip6_timer_armed(const struct mip6_timer *t);

/*
 * Stop the timer and give its slot back, before its owner is freed.
 * The timer must be initialised again before further use.
 */
void mip6_timer_release(struct mip6_timer *t);

#endif /* MIP6SEC_TIMER_H */
