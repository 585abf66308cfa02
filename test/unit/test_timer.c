/*
 * test_timer.c - restartable timers: expiry at the right instant, stop,
 * restart, and release with expiries still queued.
 */
#include <stdlib.h>

#include "check.h"
#include "testsim.h"
#include "timer.h"

struct owner {
    int fired;
    uint64_t at_ns;
};

static void
on_expiry(void *arg)
{
    struct owner *o = arg;
    o->fired++;
    o->at_ns = sim_now_ns();
}

static void
test_fires_once_at_expiry(void)
{
    struct owner o = {0};
    struct mip6_timer t;

    testsim_reset();
    mip6_timer_init(&t, 0, on_expiry, &o);
    mip6_timer_start(&t, 500);
    CHECK(mip6_timer_armed(&t));
    testsim_run_until(499);
    CHECK_EQ_INT(o.fired, 0);
    testsim_run_until(10000);
    CHECK_EQ_INT(o.fired, 1);
    CHECK_EQ_INT(o.at_ns, 500);
    CHECK(!mip6_timer_armed(&t));
    mip6_timer_release(&t);
    testsim_reset();
}

static void
test_restart_and_stop(void)
{
    struct owner o = {0};
    struct mip6_timer t;

    testsim_reset();
    mip6_timer_init(&t, 0, on_expiry, &o);
    mip6_timer_start(&t, 1000);
    testsim_run_until(100);
    mip6_timer_start(&t, 2000); /* now due at 2100; the 1000 expiry is stale */
    testsim_run_until(2099);
    CHECK_EQ_INT(o.fired, 0);
    testsim_run_until(3000);
    CHECK_EQ_INT(o.fired, 1);
    CHECK_EQ_INT(o.at_ns, 2100);

    mip6_timer_start(&t, 100);
    mip6_timer_stop(&t);
    testsim_run_until(5000);
    CHECK_EQ_INT(o.fired, 1);

    /* A restart that lands on the old expiry instant fires only once. */
    mip6_timer_start(&t, 1000);
    testsim_run_until(5500);
    mip6_timer_stop(&t);
    mip6_timer_start(&t, 500);
    testsim_run_until(7000);
    CHECK_EQ_INT(o.fired, 2);
    mip6_timer_release(&t);
    testsim_reset();
}

static void
test_release_with_expiry_queued(void)
{
    struct mip6_timer t, other;
    struct owner *o = calloc(1, sizeof *o);
    struct owner second = {0};

    testsim_reset();
    mip6_timer_init(&t, 0, on_expiry, o);
    mip6_timer_start(&t, 1000);
    mip6_timer_release(&t);
    free(o); /* the queued expiry must not touch it (ASan checks) */

    /* The slot is reused by a new timer; the old expiry must not fire it. */
    mip6_timer_init(&other, 0, on_expiry, &second);
    mip6_timer_start(&other, 1000);
    testsim_run_until(999);
    CHECK_EQ_INT(second.fired, 0);
    testsim_run_until(2000);
    CHECK_EQ_INT(second.fired, 1);
    mip6_timer_release(&other);
    testsim_reset();
}

CHECK_MAIN(TEST(test_fires_once_at_expiry), TEST(test_restart_and_stop),
           TEST(test_release_with_expiry_queued))
