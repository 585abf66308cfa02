/*
 * rekeys.h - per-rekey table of one run database (mip6sec-analysis --rekeys).
 *
 * The rows come from the view rekeys_v (docs/database.md), so sqlite3 gives
 * the same numbers.  Only the handoff column depends on the window that the
 * caller passes.
 */
#ifndef MIP6SEC_ANALYSIS_REKEYS_H
#define MIP6SEC_ANALYSIS_REKEYS_H

#include "handoffs.h"

#include <stdbool.h>

/*
 * Print one row per rekey and, unless csv, statistics over the rekeys.  A
 * rekey coincides with a handoff when a link_down of its node lies between
 * window_ns before rekey_start and rekey_done.  Call views_ensure first.
 * Returns the number of rekeys.
 */
size_t rekeys_report(struct handoff_db *c, bool csv, int64_t window_ns);

#endif
