/*
 * timer.h - restartable one-shot timers over sim_schedule.
 *
 * sim_schedule has no cancel, so an expiry event checks that the timer is
 * still armed for that instant and otherwise does nothing.  A timer must
 * outlive every event it scheduled, which holds for model objects because
 * they live until the run ends.
 */
#ifndef MIP6SEC_TIMER_H
#define MIP6SEC_TIMER_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*mip6_timer_fn)(void *owner);

struct mip6_timer {
    uint32_t node;
    bool armed;
    uint64_t expires_ns;
    mip6_timer_fn fn;
    void *owner;
};

/* Prepare a timer that calls fn(owner) in the context of node. */
void mip6_timer_init(struct mip6_timer *t, uint32_t node, mip6_timer_fn fn, void *owner);

/* (Re)start the timer to expire delay_ns from now; a pending expiry is dropped. */
void mip6_timer_start(struct mip6_timer *t, uint64_t delay_ns);

/* Stop the timer; a pending expiry does nothing. */
void mip6_timer_stop(struct mip6_timer *t);

#endif /* MIP6SEC_TIMER_H */
