/*
 * campaign_run.h - running the scenario for each run of a campaign on
 * the local cores, and reading a run database's status.
 */
#ifndef MIP6SEC_ANALYSIS_CAMPAIGN_RUN_H
#define MIP6SEC_ANALYSIS_CAMPAIGN_RUN_H

#include "campaign_file.h"

#include <stdbool.h>

#include <stddef.h>

/* Exit statuses of mip6sec-campaign. */
enum campaign_exit {
    CAMPAIGN_EXIT_OK = 0,            /* every run is complete */
    CAMPAIGN_EXIT_RUN_FAILED = 1,    /* at least one run failed; the messages name its log */
    CAMPAIGN_EXIT_USAGE = 2,         /* invalid arguments or campaign file, or a setup error */
    CAMPAIGN_EXIT_INTERRUPTED = 130, /* SIGINT: the shell's convention, 128 + 2 */
    CAMPAIGN_EXIT_TERMINATED = 143,  /* SIGTERM: 128 + 15 */
};

/* Write "DIR/config<C>-run<R><suffix>" (suffix ".db" or ".log"); false when it does not fit. */
bool campaign_run_path(const char *dir, size_t config, unsigned long replication,
                       const char *suffix, char *buf, size_t size);

/*
 * Read run.status of the database at path into status (e.g. "complete",
 * "interrupted"); "missing" when the file does not exist and "unreadable"
 * when it is not a database with a run row.
 */
void campaign_db_status(const char *path, char *status, size_t size);

/*
 * Run the runs first .. last - 1 of the campaign, at most jobs at a time,
 * writing DIR/config<C>-run<R>.db and .log.  A run whose database has
 * run.status 'complete' is skipped; any other leftover database is
 * deleted and run again.  SIGINT or SIGTERM stops launching and forwards
 * the signal to the running scenarios.  Progress goes to stderr.
 * Returns an enum campaign_exit value.
 */
int campaign_run_range(const struct campaign *c, const char *dir, size_t first, size_t last,
                       unsigned jobs);

#endif
