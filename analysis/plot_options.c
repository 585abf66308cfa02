/*
 * plot_options.c - the command line of mip6sec-plot (plot_options.h).
 */
#include "plot_options.h"

#include "cmdline.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The options that only some plots take, as bits. */
enum plot_option {
    OPTION_NODE = 1,
    OPTION_HANDOFF = 2,
    OPTION_WINDOW = 4,
    OPTION_BIN = 8,
};

static const struct {
    enum plot_option bit;
    const char *name;
} option_names[] = {
    {OPTION_NODE, "--node"},
    {OPTION_HANDOFF, "--handoff"},
    {OPTION_WINDOW, "--window"},
    {OPTION_BIN, "--bin"},
};

const char *const plot_kind_names[PLOT_KINDS] = {
    [PLOT_TIMELINE] = "timeline", [PLOT_THROUGHPUT] = "throughput", [PLOT_REKEY] = "rekey",
    [PLOT_CDF] = "cdf",           [PLOT_COMPONENTS] = "components",
};

/* The enum plot_option bits that each plot takes. */
static const unsigned plot_kind_options[PLOT_KINDS] = {
    [PLOT_TIMELINE] = OPTION_NODE | OPTION_HANDOFF | OPTION_WINDOW,
    [PLOT_THROUGHPUT] = OPTION_NODE | OPTION_BIN,
    [PLOT_REKEY] = OPTION_NODE,
    [PLOT_CDF] = 0,
    [PLOT_COMPONENTS] = 0,
};

/*
 * Read the value of a numeric option within [min, max] into out, a whole
 * number when whole is set.  Return false with a message in err otherwise.
 */
static bool
number_option(const char *arg, const char *name, double min, double max, bool whole, double *out,
              char *err, size_t err_size)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(arg, &end);
    if (errno || end == arg || *end || !(v >= min && v <= max) || (whole && v != floor(v))) {
        snprintf(err, err_size, "invalid value '%.64s' for --%s: use a %s from %.15g to %.15g", arg,
                 name, whole ? "whole number" : "number", min, max);
        return false;
    }
    *out = v;
    return true;
}

/* Check that every option given applies to the plot. Return false with a message in err otherwise.
 */
static bool
check_options(enum plot_kind_id kind, unsigned options_given, char *err, size_t err_size)
{
    for (size_t i = 0; i < sizeof option_names / sizeof option_names[0]; i++) {
        unsigned bit = option_names[i].bit;
        if (!(options_given & bit) || (plot_kind_options[kind] & bit))
            continue;
        int takers = 0;
        for (int k = 0; k < PLOT_KINDS; k++)
            takers += (plot_kind_options[k] & bit) != 0;
        size_t used = (size_t)snprintf(err, err_size, "%s applies to the", option_names[i].name);
        int listed = 0;
        for (int k = 0; k < PLOT_KINDS && used < err_size; k++) {
            if (!(plot_kind_options[k] & bit))
                continue;
            listed++;
            const char *separator = ", ";
            if (listed == 1)
                separator = " ";
            else if (listed == takers)
                separator = " and ";
            used += (size_t)snprintf(err + used, err_size - used, "%s%s", separator,
                                     plot_kind_names[k]);
        }
        if (used < err_size)
            snprintf(err + used, err_size - used, " plot%s only, not to %s; drop it",
                     takers > 1 ? "s" : "", plot_kind_names[kind]);
        return false;
    }
    if ((options_given & OPTION_WINDOW) && !(options_given & OPTION_HANDOFF)) {
        snprintf(err, err_size,
                 "--window sets the time shown around --handoff=N; give "
                 "--handoff too, or drop --window to draw the whole run");
        return false;
    }
    return true;
}

enum plot_args_status
plot_parse_args(int argc, char *const *argv, struct options *o, char *err, size_t err_size)
{
    /* 1.5 s after a link down covers 1 s of DAD and the registration that follows. */
    *o = (struct options){.out_dir = ".", .window_s = 1.5, .bin_s = 0.1, .node = -1};
    unsigned options_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        double v = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            return PLOT_ARGS_HELP;
        } else if (!strncmp(a, "--out=", 6)) {
            o->out_dir = a + 6;
        } else if (!strncmp(a, "--handoff=", 10)) {
            if (!number_option(a + 10, "handoff", 1, 1e6, true, &v, err, err_size))
                return PLOT_ARGS_INVALID;
            o->handoff = (long)v;
            options_given |= OPTION_HANDOFF;
        } else if (!strncmp(a, "--window=", 9)) {
            if (!number_option(a + 9, "window", 0.001, 1e6, false, &o->window_s, err, err_size))
                return PLOT_ARGS_INVALID;
            options_given |= OPTION_WINDOW;
        } else if (!strncmp(a, "--bin=", 6)) {
            if (!number_option(a + 6, "bin", 0.001, 1e6, false, &o->bin_s, err, err_size))
                return PLOT_ARGS_INVALID;
            options_given |= OPTION_BIN;
        } else if (!strncmp(a, "--node=", 7)) {
            if (!number_option(a + 7, "node", 0, 4294967295.0, true, &v, err, err_size))
                return PLOT_ARGS_INVALID;
            o->node = (long)v;
            options_given |= OPTION_NODE;
        } else if (a[0] == '-') {
            static const char *const names[] = {"--out", "--handoff", "--window",
                                                "--bin", "--node",    "--help"};
            int near = cmdline_nearest(a, strcspn(a, "="), names, sizeof names / sizeof names[0]);
            if (near >= 0)
                snprintf(err, err_size, "unknown option '%.64s'; did you mean %s?", a, names[near]);
            else
                snprintf(err, err_size, "unknown option '%.64s'", a);
            return PLOT_ARGS_USAGE;
        } else if (!o->command) {
            o->command = a;
        } else if (!o->db_path) {
            o->db_path = a;
        } else {
            snprintf(err, err_size, "unexpected argument '%.64s'", a);
            return PLOT_ARGS_USAGE;
        }
    }
    if (!o->command || !o->db_path) {
        snprintf(err, err_size, "%s", !o->command ? "missing the plot" : "missing the database");
        return PLOT_ARGS_USAGE;
    }
    int kind = 0;
    while (kind < PLOT_KINDS && strcmp(o->command, plot_kind_names[kind]) != 0)
        kind++;
    if (kind == PLOT_KINDS) {
        int near = cmdline_nearest(o->command, strlen(o->command), plot_kind_names, PLOT_KINDS);
        snprintf(err, err_size,
                 "unknown plot '%.64s': use timeline, throughput, rekey, cdf or components%s%s%s",
                 o->command, near >= 0 ? " (did you mean " : "",
                 near >= 0 ? plot_kind_names[near] : "", near >= 0 ? "?)" : "");
        return PLOT_ARGS_INVALID;
    }
    o->kind = (enum plot_kind_id)kind;
    return check_options(o->kind, options_given, err, err_size) ? PLOT_ARGS_OK : PLOT_ARGS_INVALID;
}
