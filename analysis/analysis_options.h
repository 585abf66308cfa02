/*
 * analysis_options.h - the command line of mip6sec-analysis, parsed
 * without side effects so that the parser can be fuzzed
 * (fuzz/fuzz_analysis_args.c).
 */
#ifndef MIP6SEC_ANALYSIS_ANALYSIS_OPTIONS_H
#define MIP6SEC_ANALYSIS_ANALYSIS_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct analysis_options {
    const char *path; /* the run or campaign database */
    bool csv, cdf, rekeys, overhead;
    int64_t handoff_window_ns; /* --handoffWindow, for --rekeys */
    /* --tcpWindow and --tcpFraction; 0 selects the defaults of handoffs.h. */
    int64_t tcp_window_ns;
    double tcp_fraction;
};

enum analysis_args_status {
    ANALYSIS_ARGS_OK,
    ANALYSIS_ARGS_HELP,    /* --help or -h: print the usage to stdout */
    ANALYSIS_ARGS_INVALID, /* err contains the message */
    ANALYSIS_ARGS_USAGE,   /* err contains the message; print the usage after it */
};

/*
 * Parse argv[1 .. argc - 1] into o, which gets the defaults first.  The
 * path points into argv.  It checks what needs no database: the values
 * and the options that exclude each other.  On ANALYSIS_ARGS_INVALID and
 * ANALYSIS_ARGS_USAGE, err contains a one-line message without the
 * program name.
 */
enum analysis_args_status analysis_parse_args(int argc, char *const *argv,
                                              struct analysis_options *o, char *err,
                                              size_t err_size);

#endif
