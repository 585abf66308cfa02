/*
 * rec_schema.h - the recorder's schema and lookup tables, shared by
 * model/rec.c and model/rec_schema.c only.
 */
#ifndef MIP6SEC_REC_SCHEMA_H
#define MIP6SEC_REC_SCHEMA_H

#include <sqlite3.h>
#include <stdbool.h>

/* The tables and views of a new database. */
extern const char rec_schema_sql[];

/* Indexes the analysis needs, built once when the run ends. */
extern const char rec_analysis_index_sql[];

/* Fill every lookup table with its names and descriptions. */
bool rec_fill_lookups(sqlite3 *db);

#endif /* MIP6SEC_REC_SCHEMA_H */
