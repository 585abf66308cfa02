/*
 * rec_schema.h - the recorder's schema and lookup tables, shared by
 * model/rec.c and model/rec_schema.c.  mip6sec-analysis compiles
 * rec_schema.c too, for rec_analysis_views.
 */
#ifndef MIP6SEC_REC_SCHEMA_H
#define MIP6SEC_REC_SCHEMA_H

#include <sqlite3.h>
#include <stdbool.h>

/* The tables and views of a new database. */
extern const char rec_schema_sql[];

/* Indexes the analysis needs, built once when the run ends. */
extern const char rec_analysis_index_sql[];

/* One view of the analysis: its name and the SQL that follows CREATE VIEW. */
struct rec_view {
    const char *name;
    const char *sql;
};

#define REC_ANALYSIS_VIEW_COUNT 3

/* rekeys_v, signalling_v and overhead_v, which rec_schema_sql creates too. */
extern const struct rec_view rec_analysis_views[REC_ANALYSIS_VIEW_COUNT];

/* Fill every lookup table with its names and descriptions. */
bool rec_fill_lookups(sqlite3 *db);

#endif /* MIP6SEC_REC_SCHEMA_H */
