/*
 * campaign_file.h - the campaign file: which scenario to run, with which
 * options, over which parameter grid, how many times.  docs/campaigns.md
 * documents the format.
 *
 * Runs are numbered 0 .. run_count - 1 with the replication varying
 * fastest: run index i is configuration i / replications and replication
 * i % replications + 1.  Configurations are numbered from 0 in the order
 * of nested loops over the grid lines, the last grid line innermost.
 */
#ifndef MIP6SEC_ANALYSIS_CAMPAIGN_FILE_H
#define MIP6SEC_ANALYSIS_CAMPAIGN_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Upper limits that keep the run count and its arithmetic far from overflow. */
#define CAMPAIGN_MAX_REPLICATIONS 1000000UL
#define CAMPAIGN_MAX_RUNS 10000000UL

enum campaign_status {
    CAMPAIGN_OK,
    CAMPAIGN_INVALID, /* the text is not a valid campaign; err names line and value */
    CAMPAIGN_NO_MEMORY,
    CAMPAIGN_IO_ERROR, /* the file could not be read */
};

/* One "grid NAME = V1 V2 ..." line: the scenario option --NAME takes each value. */
struct campaign_grid {
    char *name;
    char **values;
    size_t count;
};

struct campaign {
    char *path;     /* the campaign file, for messages */
    char *scenario; /* program to run; a path without '/' is searched in PATH */
    unsigned long replications;
    unsigned long seed; /* passed as --seed to every run */
    char **fixed;       /* options passed to every run, in file order */
    size_t fixed_count;
    struct campaign_grid *grids;
    size_t grid_count;
    size_t config_count; /* product of the grid sizes, 1 without grid lines */
    size_t run_count;    /* config_count * replications */
};

/*
 * Parse len bytes of campaign text; path names the file in messages.  On
 * CAMPAIGN_INVALID or CAMPAIGN_NO_MEMORY, err contains a one-line message
 * ("FILE:LINE: ...") and c is left empty.  On CAMPAIGN_OK the caller owns c
 * and frees it with campaign_free.
 */
enum campaign_status campaign_parse(struct campaign *c, const char *path, const char *text,
                                    size_t len, char *err, size_t err_size);

/* Read and parse the file at path, as campaign_parse does. */
enum campaign_status campaign_load(struct campaign *c, const char *path, char *err,
                                   size_t err_size);

void campaign_free(struct campaign *c);

/* The configuration and replication (from 1) of run index, which must be below run_count. */
void campaign_run_at(const struct campaign *c, size_t index, size_t *config,
                     unsigned long *replication);

/* Value of grid g in configuration config. */
const char *campaign_value(const struct campaign *c, size_t config, size_t g);

/* Write "config<C>-run<R>", the base name of a run's database and log. */
void campaign_run_name(size_t config, unsigned long replication, char *buf, size_t size);

/* "NAME=VALUE ..." of a configuration's grid values, or "(no grid)"; free with free(). */
char *campaign_label(const struct campaign *c, size_t config);

/*
 * The scenario's argument vector for one run: the scenario, the fixed
 * options, --NAME=VALUE per grid line, --seed, --run and --output=db_path.
 * NULL-terminated; free with campaign_free_argv.  NULL when out of memory.
 */
char **campaign_argv(const struct campaign *c, size_t config, unsigned long replication,
                     const char *db_path);
void campaign_free_argv(char **argv);

#endif
