/* campaign_options.c - the command line of mip6sec-campaign; see campaign_options.h. */
#include "campaign_options.h"

#include "cmdline.h"

#include "campaign_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    enum campaign_command command;
} commands[] = {
    {"run", CAMPAIGN_COMMAND_RUN},
    {"run-one", CAMPAIGN_COMMAND_RUN_ONE},
    {"count", CAMPAIGN_COMMAND_COUNT},
    {"merge", CAMPAIGN_COMMAND_MERGE},
};

/* Parse a whole number in [min, max] written with decimal digits only. */
static bool
parse_count(const char *text, unsigned long min, unsigned long max, unsigned long *out)
{
    /* strtoul alone would also take leading spaces and a sign. */
    if (*text < '0' || *text > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (*end || errno == ERANGE || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* Parse one option that starts with '-' other than --help. */
static enum campaign_args_status
parse_option(const char *a, struct campaign_options *o, char *err, size_t err_size)
{
    if (strncmp(a, "--dir=", 6) == 0 && a[6]) {
        o->dir = a + 6;
    } else if (strncmp(a, "--output=", 9) == 0 && a[9]) {
        o->output = a + 9;
    } else if (strncmp(a, "--jobs=", 7) == 0) {
        if (!parse_count(a + 7, 1, 4096, &o->jobs)) {
            snprintf(err, err_size, "invalid --jobs '%s': expected 1 to 4096", a + 7);
            return CAMPAIGN_ARGS_INVALID;
        }
    } else if (strncmp(a, "--index=", 8) == 0) {
        if (!parse_count(a + 8, 0, CAMPAIGN_MAX_RUNS - 1, &o->index)) {
            snprintf(err, err_size, "invalid --index '%s': expected a run index from 0 to %lu",
                     a + 8, CAMPAIGN_MAX_RUNS - 1);
            return CAMPAIGN_ARGS_INVALID;
        }
        o->has_index = true;
    } else {
        static const char *const names[] = {"--dir", "--jobs", "--index", "--output", "--help"};
        int near = cmdline_nearest(a, strcspn(a, "="), names, sizeof names / sizeof names[0]);
        if (near >= 0)
            snprintf(err, err_size, "unexpected argument '%s'; did you mean %s?", a, names[near]);
        else
            snprintf(err, err_size, "unexpected argument '%s'", a);
        return CAMPAIGN_ARGS_USAGE;
    }
    return CAMPAIGN_ARGS_OK;
}

/* Check the options the command needs. */
static enum campaign_args_status
check_command(const char *command, struct campaign_options *o, char *err, size_t err_size)
{
    size_t k = 0;
    while (k < sizeof commands / sizeof commands[0] && strcmp(command, commands[k].name) != 0)
        k++;
    if (k == sizeof commands / sizeof commands[0]) {
        static const char *const names[] = {"run", "run-one", "count", "merge"};
        int near = cmdline_nearest(command, strlen(command), names, sizeof names / sizeof names[0]);
        snprintf(err, err_size, "unknown command '%s': expected run, run-one, count or merge%s%s%s",
                 command, near >= 0 ? " (did you mean " : "", near >= 0 ? names[near] : "",
                 near >= 0 ? "?)" : "");
        return CAMPAIGN_ARGS_INVALID;
    }
    o->command = commands[k].command;

    const char *missing = NULL;
    if (o->command != CAMPAIGN_COMMAND_COUNT && !o->dir)
        missing = "--dir=DIR";
    else if (o->command == CAMPAIGN_COMMAND_RUN_ONE && !o->has_index)
        missing = "--index=I";
    else if (o->command == CAMPAIGN_COMMAND_MERGE && !o->output)
        missing = "--output=CAMPAIGN.db";
    if (missing) {
        snprintf(err, err_size, "%s needs %s", command, missing);
        return CAMPAIGN_ARGS_INVALID;
    }
    return CAMPAIGN_ARGS_OK;
}

enum campaign_args_status
campaign_parse_args(int argc, char *const *argv, struct campaign_options *o, char *err,
                    size_t err_size)
{
    const char *command = NULL;
    *o = (struct campaign_options){0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return CAMPAIGN_ARGS_HELP;
        if (a[0] == '-') {
            enum campaign_args_status status = parse_option(a, o, err, err_size);
            if (status != CAMPAIGN_ARGS_OK)
                return status;
        } else if (!command) {
            command = a;
        } else if (!o->file) {
            o->file = a;
        } else {
            snprintf(err, err_size, "unexpected argument '%s'", a);
            return CAMPAIGN_ARGS_USAGE;
        }
    }
    if (!command || !o->file) {
        snprintf(err, err_size, "missing the %s: give a command and a campaign file",
                 command ? "campaign file" : "command");
        return CAMPAIGN_ARGS_USAGE;
    }
    return check_command(command, o, err, err_size);
}
