/*
 * timer.c - restartable one-shot timers over sim_schedule.
 *
 * Every start schedules an event with the timer itself as argument.  An
 * event is current when the timer is armed and expires at this very
 * nanosecond; older events from stopped or restarted timers find a later
 * expiry (or a disarmed timer) and do nothing.  Two events can share an
 * expiry time only when a restart lands on the old expiry, and then the
 * first one disarms the timer before the second runs.
 */
#include "timer.h"

#include "sim.h"

static void
expire(void *arg)
{
    struct mip6_timer *t = arg;

    if (!t->armed || t->expires_ns != sim_now_ns())
        return;
    t->armed = false;
    t->fn(t->owner);
}

void
mip6_timer_init(struct mip6_timer *t, uint32_t node, mip6_timer_fn fn, void *owner)
{
    t->node = node;
    t->armed = false;
    t->expires_ns = 0;
    t->fn = fn;
    t->owner = owner;
}

void
mip6_timer_start(struct mip6_timer *t, uint64_t delay_ns)
{
    /* A zero delay could let a stale event of this same instant fire the
     * re-armed timer twice; one nanosecond later is indistinguishable. */
    if (delay_ns == 0)
        delay_ns = 1;
    t->armed = true;
    t->expires_ns = sim_now_ns() + delay_ns;
    sim_schedule(t->node, delay_ns, expire, t);
}

void
mip6_timer_stop(struct mip6_timer *t)
{
    t->armed = false;
}
