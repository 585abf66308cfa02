/*
 * overhead.h - protocol overheads and signalling load of one run database
 * (mip6sec-analysis --overhead), read from the views overhead_v and
 * signalling_v (docs/database.md).
 */
#ifndef MIP6SEC_ANALYSIS_OVERHEAD_H
#define MIP6SEC_ANALYSIS_OVERHEAD_H

#include "handoffs.h"

#include <stdbool.h>

/* Print the overhead per node and the signalling per mobile node.  Call views_ensure first. */
void overhead_report(struct handoff_db *c, bool csv);

#endif
