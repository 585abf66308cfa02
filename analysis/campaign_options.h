/*
 * campaign_options.h - the command line of mip6sec-campaign, parsed
 * without side effects so that the parser can be fuzzed
 * (fuzz/fuzz_analysis_args.c).
 */
#ifndef MIP6SEC_ANALYSIS_CAMPAIGN_OPTIONS_H
#define MIP6SEC_ANALYSIS_CAMPAIGN_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

enum campaign_command {
    CAMPAIGN_COMMAND_RUN,
    CAMPAIGN_COMMAND_RUN_ONE,
    CAMPAIGN_COMMAND_COUNT,
    CAMPAIGN_COMMAND_MERGE,
};

struct campaign_options {
    enum campaign_command command;
    const char *file;
    const char *dir;
    const char *output;
    unsigned long jobs;  /* 0: the number of online CPUs */
    unsigned long index; /* run-one */
    bool has_index;
};

enum campaign_args_status {
    CAMPAIGN_ARGS_OK,
    CAMPAIGN_ARGS_HELP,    /* --help or -h: print the usage to stdout */
    CAMPAIGN_ARGS_INVALID, /* err contains the message */
    CAMPAIGN_ARGS_USAGE,   /* err contains the message; print the usage after it */
};

/*
 * Parse argv[1 .. argc - 1] into o, which is zeroed first, and check that
 * the command has the options it needs.  The strings in o point into
 * argv.  On CAMPAIGN_ARGS_INVALID and CAMPAIGN_ARGS_USAGE, err contains a
 * one-line message without the program name.
 */
enum campaign_args_status campaign_parse_args(int argc, char *const *argv,
                                              struct campaign_options *o, char *err,
                                              size_t err_size);

#endif
