/* plot_options.c - the command line of mip6sec-plot; see plot_options.h. */
#include "plot_options.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    enum plot_kind kind;
} plots[] = {
    {"timeline", PLOT_TIMELINE}, {"throughput", PLOT_THROUGHPUT}, {"rekey", PLOT_REKEY},
    {"cdf", PLOT_CDF},           {"components", PLOT_COMPONENTS},
};

/* Read a number within [min, max], a whole number when whole is set. */
static bool
number_option(const char *arg, const char *name, double min, double max, bool whole, double *out,
              char *err, size_t err_size)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(arg, &end);
    if (errno || end == arg || *end || !(v >= min && v <= max) || (whole && v != floor(v))) {
        snprintf(err, err_size, "invalid value '%s' for --%s: use a %s from %.15g to %.15g", arg,
                 name, whole ? "whole number" : "number", min, max);
        return false;
    }
    *out = v;
    return true;
}

/* Parse one option that starts with '-' other than --help. */
static enum plot_args_status
parse_option(const char *a, struct plot_options *o, char *err, size_t err_size)
{
    bool ok = true;
    double v = 0;
    if (!strncmp(a, "--out=", 6)) {
        o->out_dir = a + 6;
    } else if (!strncmp(a, "--handoff=", 10)) {
        ok = number_option(a + 10, "handoff", 1, 1e6, true, &v, err, err_size);
        o->handoff = ok ? (long)v : o->handoff;
    } else if (!strncmp(a, "--window=", 9)) {
        ok = number_option(a + 9, "window", 0.001, 1e6, false, &o->window_s, err, err_size);
    } else if (!strncmp(a, "--bin=", 6)) {
        ok = number_option(a + 6, "bin", 0.001, 1e6, false, &o->bin_s, err, err_size);
    } else if (!strncmp(a, "--node=", 7)) {
        ok = number_option(a + 7, "node", 0, 4294967295.0, true, &v, err, err_size);
        o->node = ok ? (int64_t)v : o->node;
    } else {
        snprintf(err, err_size, "unknown option '%s'", a);
        return PLOT_ARGS_USAGE;
    }
    return ok ? PLOT_ARGS_OK : PLOT_ARGS_INVALID;
}

enum plot_args_status
plot_parse_args(int argc, char *const *argv, struct plot_options *o, char *err, size_t err_size)
{
    *o = (struct plot_options){.out_dir = ".", .window_s = 1, .bin_s = 0.1, .node = -1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return PLOT_ARGS_HELP;
        if (a[0] == '-') {
            enum plot_args_status status = parse_option(a, o, err, err_size);
            if (status != PLOT_ARGS_OK)
                return status;
        } else if (!o->command) {
            o->command = a;
        } else if (!o->db_path) {
            o->db_path = a;
        } else {
            snprintf(err, err_size, "unexpected argument '%s'", a);
            return PLOT_ARGS_USAGE;
        }
    }
    if (!o->command || !o->db_path) {
        snprintf(err, err_size, "missing the %s: give a plot name and a database",
                 o->command ? "database" : "plot name");
        return PLOT_ARGS_USAGE;
    }

    for (size_t k = 0; k < sizeof plots / sizeof plots[0]; k++) {
        if (!strcmp(o->command, plots[k].name)) {
            o->kind = plots[k].kind;
            return PLOT_ARGS_OK;
        }
    }
    snprintf(err, err_size, "unknown plot '%s': use timeline, throughput, rekey, cdf or components",
             o->command);
    return PLOT_ARGS_INVALID;
}
