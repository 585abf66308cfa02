/*
 * plot.h - the parts of mip6sec-plot (docs/plots.md) that every plot uses:
 * the options, one plot's database and output files, and the helpers that
 * query the database and write the gnuplot script.  On an error the helpers
 * print a message and exit the program.
 */
#ifndef MIP6SEC_ANALYSIS_PLOT_H
#define MIP6SEC_ANALYSIS_PLOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "plot_options.h"

#define PROGRAM "mip6sec-plot"
#define NS_PER_S 1e9

/* Exit statuses: an output that could not be written or drawn, or input that cannot be drawn. */
enum plot_exit { PLOT_EXIT_FAILED = 1, PLOT_EXIT_INVALID = 2 };

/* Mobility event kinds (docs/database.md). */
enum {
    KIND_LINK_DOWN = 1,
    KIND_MOVEMENT = 3,
    KIND_COA_READY = 4,
    KIND_BU_SENT = 5,
    KIND_BA_RECEIVED = 6,
    KIND_REGISTERED = 14,
    KIND_COA_OPTIMISTIC = 53,
};

/* Packet event kinds. */
enum { EVENT_SEND = 1, EVENT_DELIVER = 4 };

struct plot {
    sqlite3 *db;
    const struct options *o;
    int64_t node;
    char node_name[64]; /* the mobile node's name in the node table, for titles */
    char name[64];
    FILE *data;
    FILE *script; /* the settings that all three pictures share */
    FILE *figure; /* the commands that draw one picture, run once for each terminal */
    char *figure_text;
    size_t figure_size;
};

/* Print what failed with SQLite's message and exit with status 2. */
_Noreturn void plot_die_sqlite(struct plot *p, const char *what);

/* Prepare a statement on the plot's database; exits when SQLite rejects it. */
sqlite3_stmt *plot_prepare(struct plot *p, const char *sql);

/* Create a staging folder in --out, open NAME.dat and NAME.gp in it and write their headers.
 * Until plot_finish succeeds, an exit removes the staging folder. */
void plot_begin(struct plot *p, const char *name);

/* Finish the script with a loop that runs the figure's commands once for each picture, close
 * the files, run gnuplot on the script and move the data, the script and the pictures into --out.
 * When gnuplot fails, only the data and the script are moved, and the program exits with
 * PLOT_EXIT_FAILED. */
void plot_finish(struct plot *p);

/* Copy text into out for a gnuplot string, without quotes and backslashes, cut to len bytes. */
void plot_quote(char *out, size_t len, const char *text);

void plot_timeline(struct plot *p);
void plot_throughput(struct plot *p);
void plot_rekey(struct plot *p);
void plot_cdf(struct plot *p);
void plot_components(struct plot *p);

#endif
