/*
 * views.h - the analysis views (rekeys_v, signalling_v, overhead_v) in a
 * run database.
 *
 * New databases get the views from the recorder (model/rec_schema.c).  A
 * database written before them gets them here: created in the file when it
 * is writable, or as TEMP views of this connection when it is read-only,
 * so the numbers are the same either way and the file stays unchanged.
 */
#ifndef MIP6SEC_ANALYSIS_VIEWS_H
#define MIP6SEC_ANALYSIS_VIEWS_H

#include "handoffs.h"

/*
 * Create the missing analysis views and the sa_event_spi index.  Exits with
 * status 2 when the database predates the sa_event table (schema version 1).
 */
void views_ensure(struct handoff_db *c);

#endif
