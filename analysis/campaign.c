/*
 * campaign.c - mip6sec-campaign: run many replications of a scenario over
 * a parameter grid, resume after an interruption, and merge the results
 * into one campaign database.  docs/campaigns.md documents the campaign
 * file and the commands.
 *
 * Usage: mip6sec-campaign run FILE --dir=DIR [--jobs=N]
 *        mip6sec-campaign run-one FILE --dir=DIR --index=I
 *        mip6sec-campaign count FILE
 *        mip6sec-campaign merge FILE --dir=DIR --output=CAMPAIGN.db
 *
 * Exit status: enum campaign_exit in campaign_run.h.
 */
#define _POSIX_C_SOURCE 200809L

#include "campaign_file.h"
#include "campaign_merge.h"
#include "campaign_options.h"
#include "campaign_run.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROGRAM "mip6sec-campaign"

static void
usage(FILE *out)
{
    fprintf(out,
            "usage: " PROGRAM " run FILE --dir=DIR [--jobs=N]\n"
            "       " PROGRAM " run-one FILE --dir=DIR --index=I\n"
            "       " PROGRAM " count FILE\n"
            "       " PROGRAM " merge FILE --dir=DIR --output=CAMPAIGN.db\n"
            "Run the scenario of a campaign file over its parameter grid and replications.\n"
            "  run      run every run whose database in DIR is not complete, N at a time\n"
            "           (default: the number of online CPUs); Ctrl-C stops them\n"
            "  run-one  run only run I (0 to count - 1), e.g. as one task of a job array\n"
            "  count    print the number of runs\n"
            "  merge    write the configurations, runs, handoffs and rekeys into one database\n"
            "Each run writes DIR/config<C>-run<R>.db and its output to DIR/config<C>-run<R>.log.\n"
            "See docs/campaigns.md for the campaign file format.\n");
}

/* Create dir and its missing parents, as mkdir -p does. */
static bool
make_directory(const char *dir)
{
    char *path = strdup(dir);
    bool ok = path != NULL;
    for (char *p = path + 1; ok && *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        ok = mkdir(path, 0777) == 0 || errno == EEXIST;
        *p = '/';
    }
    if (ok)
        ok = mkdir(path, 0777) == 0 || errno == EEXIST;
    if (!ok)
        fprintf(stderr, PROGRAM ": cannot create the directory %s: %s\n", dir, strerror(errno));
    free(path);
    return ok;
}

/* Check that the scenario can be executed before forking for each run. */
static bool
check_scenario(const struct campaign *c)
{
    if (!strchr(c->scenario, '/'))
        return true; /* searched in PATH by execvp */
    if (access(c->scenario, X_OK) == 0)
        return true;
    fprintf(stderr,
            PROGRAM ": %s: scenario '%s' is not an executable file (%s); build it or fix the "
                    "'scenario' line (a relative path starts at the current directory)\n",
            c->path, c->scenario, strerror(errno));
    return false;
}

int
main(int argc, char **argv)
{
    struct campaign_options o;
    char err[1024];
    switch (campaign_parse_args(argc, argv, &o, err, sizeof err)) {
    case CAMPAIGN_ARGS_OK:
        break;
    case CAMPAIGN_ARGS_HELP:
        usage(stdout);
        return CAMPAIGN_EXIT_OK;
    case CAMPAIGN_ARGS_INVALID:
        fprintf(stderr, PROGRAM ": %s\n", err);
        return CAMPAIGN_EXIT_USAGE;
    case CAMPAIGN_ARGS_USAGE:
        fprintf(stderr, PROGRAM ": %s\n", err);
        usage(stderr);
        return CAMPAIGN_EXIT_USAGE;
    }

    struct campaign c;
    int status = CAMPAIGN_EXIT_OK;
    if (campaign_load(&c, o.file, err, sizeof err) != CAMPAIGN_OK) {
        fprintf(stderr, PROGRAM ": %s\n", err);
        return CAMPAIGN_EXIT_USAGE;
    }

    if (o.command == CAMPAIGN_COMMAND_COUNT) {
        printf("%zu\n", c.run_count);
    } else if (o.command == CAMPAIGN_COMMAND_MERGE) {
        struct stat st;
        bool found = stat(o.dir, &st) == 0;
        if (!found || !S_ISDIR(st.st_mode)) {
            fprintf(stderr,
                    PROGRAM ": --dir=%s: not a directory (%s); pass the --dir that 'run' "
                            "wrote the runs to\n",
                    o.dir, found ? "a file" : strerror(errno));
            status = CAMPAIGN_EXIT_USAGE;
        } else {
            status = campaign_merge(&c, o.dir, o.output);
        }
    } else if (!check_scenario(&c) || !make_directory(o.dir)) {
        status = CAMPAIGN_EXIT_USAGE;
    } else if (o.command == CAMPAIGN_COMMAND_RUN_ONE) {
        if (o.index >= c.run_count) {
            fprintf(stderr, PROGRAM ": --index=%lu is out of range: %s has %zu runs (0 to %zu)\n",
                    o.index, o.file, c.run_count, c.run_count - 1);
            status = CAMPAIGN_EXIT_USAGE;
        } else {
            status = campaign_run_range(&c, o.dir, o.index, o.index + 1, 1);
        }
    } else {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        unsigned jobs = o.jobs ? (unsigned)o.jobs : (cpus > 0 ? (unsigned)cpus : 1);
        status = campaign_run_range(&c, o.dir, 0, c.run_count, jobs);
    }
    campaign_free(&c);
    return status;
}
