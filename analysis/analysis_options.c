/* analysis_options.c - the command line of mip6sec-analysis; see analysis_options.h. */
#include "analysis_options.h"

#include "cmdline.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1e9

/*
 * Read seconds within [min_s, max_s] into *ns, rounded to whole
 * nanoseconds.  min_s is at least 1 ns for a window that must not be 0,
 * because 0 selects a default in handoffs.h.
 */
static bool
parse_seconds(const char *option, const char *text, double min_s, double max_s, int64_t *ns,
              char *err, size_t err_size)
{
    char *end = NULL;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || !(v >= min_s && v <= max_s)) {
        snprintf(err, err_size, "invalid value in '%s': expected seconds from %.15g to %.15g",
                 option, min_s, max_s);
        return false;
    }
    *ns = (int64_t)llround(v * NS_PER_S);
    return true;
}

/* Read a number in (0, max] for an option. */
static bool
parse_positive(const char *option, const char *text, double max, double *out, char *err,
               size_t err_size)
{
    char *end = NULL;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || !(v > 0 && v <= max)) {
        snprintf(err, err_size, "invalid value in '%s': expected a number above 0 and at most %g",
                 option, max);
        return false;
    }
    *out = v;
    return true;
}

/* Parse one option that starts with '-' other than --help. */
static enum analysis_args_status
parse_option(const char *a, struct analysis_options *o, char *err, size_t err_size)
{
    bool ok = true;
    if (strcmp(a, "--csv") == 0) {
        o->csv = true;
    } else if (strcmp(a, "--cdf") == 0) {
        o->cdf = true;
    } else if (strcmp(a, "--rekeys") == 0) {
        o->rekeys = true;
    } else if (strcmp(a, "--overhead") == 0) {
        o->overhead = true;
    } else if (strncmp(a, "--handoffWindow=", 16) == 0) {
        ok = parse_seconds(a, a + 16, 0, 1e6, &o->handoff_window_ns, err, err_size);
    } else if (strncmp(a, "--tcpWindow=", 12) == 0) {
        ok = parse_seconds(a, a + 12, 1 / NS_PER_S, 1e6, &o->tcp_window_ns, err, err_size);
    } else if (strncmp(a, "--tcpFraction=", 14) == 0) {
        ok = parse_positive(a, a + 14, 1.0, &o->tcp_fraction, err, err_size);
    } else {
        static const char *const names[] = {"--csv",         "--cdf",           "--rekeys",
                                            "--overhead",    "--handoffWindow", "--tcpWindow",
                                            "--tcpFraction", "--help"};
        int near = cmdline_nearest(a, strcspn(a, "="), names, sizeof names / sizeof names[0]);
        if (near >= 0)
            snprintf(err, err_size, "unexpected argument '%s'; did you mean %s?", a, names[near]);
        else
            snprintf(err, err_size, "unexpected argument '%s'", a);
        return ANALYSIS_ARGS_USAGE;
    }
    return ok ? ANALYSIS_ARGS_OK : ANALYSIS_ARGS_INVALID;
}

enum analysis_args_status
analysis_parse_args(int argc, char *const *argv, struct analysis_options *o, char *err,
                    size_t err_size)
{
    *o = (struct analysis_options){.handoff_window_ns = 1000000000};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return ANALYSIS_ARGS_HELP;
        if (a[0] == '-') {
            enum analysis_args_status status = parse_option(a, o, err, err_size);
            if (status != ANALYSIS_ARGS_OK)
                return status;
        } else if (o->path) {
            snprintf(err, err_size, "unexpected argument '%s': give one database", a);
            return ANALYSIS_ARGS_USAGE;
        } else {
            o->path = a;
        }
    }
    if (!o->path) {
        snprintf(err, err_size, "missing the database: give a run or campaign database");
        return ANALYSIS_ARGS_USAGE;
    }
    if (o->csv && o->cdf) {
        snprintf(err, err_size, "--csv and --cdf exclude each other; pass one");
        return ANALYSIS_ARGS_INVALID;
    }
    if (o->rekeys && o->overhead) {
        snprintf(err, err_size, "--rekeys and --overhead exclude each other; pass one");
        return ANALYSIS_ARGS_INVALID;
    }
    return ANALYSIS_ARGS_OK;
}
