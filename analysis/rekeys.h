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
 * Whether a rekey coincides with a handoff: the mobile node's latest
 * link_down at or before the rekey's end (last_down_ns, the column
 * last_link_down_ns of rekeys_v, HANDOFF_NONE when there is none) lies at
 * or after start_ns - window_ns.  The campaign report uses the same rule.
 */
bool rekeys_in_handoff(int64_t start_ns, int64_t last_down_ns, int64_t window_ns);

/*
 * Print one row per rekey and, unless csv, statistics over the rekeys.  A
 * rekey coincides with a handoff when a link_down of its node lies between
 * window_ns before rekey_start and rekey_done.  Call views_ensure first.
 * Returns the number of rekeys.
 */
size_t rekeys_report(struct handoff_db *c, bool csv, int64_t window_ns);

#endif
