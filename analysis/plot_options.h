/*
 * plot_options.h - the command line of mip6sec-plot, parsed without side
 * effects so that the parser can be fuzzed (fuzz/fuzz_analysis_args.c).
 */
#ifndef MIP6SEC_ANALYSIS_PLOT_OPTIONS_H
#define MIP6SEC_ANALYSIS_PLOT_OPTIONS_H

#include <stddef.h>

enum plot_kind_id {
    PLOT_TIMELINE,
    PLOT_THROUGHPUT,
    PLOT_REKEY,
    PLOT_CDF,
    PLOT_COMPONENTS,
    PLOT_KINDS,
};

/* The plot's names on the command line, indexed by enum plot_kind_id. */
extern const char *const plot_kind_names[PLOT_KINDS];

struct options {
    const char *command; /* the plot's name as given, e.g. "timeline" */
    enum plot_kind_id kind;
    const char *db_path;
    const char *out_dir;
    long handoff;    /* timeline around this handoff (from 1); 0 = the whole run */
    double window_s; /* seconds shown before and after that handoff */
    double bin_s;    /* throughput bin */
    long node;       /* the mobile node; -1 = the node named mn */
};

enum plot_args_status {
    PLOT_ARGS_OK,
    PLOT_ARGS_HELP,    /* --help or -h: print the usage to stdout */
    PLOT_ARGS_INVALID, /* err contains the message */
    PLOT_ARGS_USAGE,   /* err contains the message; print the usage after it */
};

/*
 * Parse argv[1 .. argc - 1] into o, which gets the defaults first.  The
 * strings in o point into argv.  On PLOT_ARGS_INVALID and PLOT_ARGS_USAGE,
 * err contains a one-line message without the program name.
 */
enum plot_args_status plot_parse_args(int argc, char *const *argv, struct options *o, char *err,
                                      size_t err_size);

#endif
