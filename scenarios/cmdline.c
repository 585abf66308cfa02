/*
 * cmdline.c - ns-3 style "--name=value" arguments for scenario programs.
 */
#include "cmdline.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void
cmdline_format(const struct cmdline_option *o, char *out, size_t out_len)
{
    switch (o->type) {
    case CMDLINE_BOOL:
        snprintf(out, out_len, "%s", *(bool *)o->value ? "true" : "false");
        break;
    case CMDLINE_UINT:
        snprintf(out, out_len, "%" PRIu64, *(uint64_t *)o->value);
        break;
    case CMDLINE_DOUBLE:
        snprintf(out, out_len, "%.17g", *(double *)o->value);
        break;
    case CMDLINE_STRING: {
        const char *s = *(const char **)o->value;
        snprintf(out, out_len, "%s", s ? s : "");
        break;
    }
    }
}

static void
print_help(const char *program, const char *summary, const struct cmdline_option *options, size_t n)
{
    printf("%s: %s\n\nUsage: %s [--name=value ...]\n\nOptions:\n", program, summary, program);
    for (size_t i = 0; i < n; i++) {
        const struct cmdline_option *o = &options[i];
        char value[256];
        cmdline_format(o, value, sizeof value);
        printf("  --%s=", o->name);
        switch (o->type) {
        case CMDLINE_BOOL:
            printf("BOOL");
            break;
        case CMDLINE_UINT:
        case CMDLINE_DOUBLE:
            printf("NUMBER");
            break;
        case CMDLINE_STRING:
            printf("TEXT");
            break;
        }
        printf("\n      %s", o->help);
        if (o->unit)
            printf(" [%s]", o->unit);
        printf(" (default: %s)\n", value[0] ? value : "none");
    }
}

/* ns-3's BooleanValue takes true/false and 1/0; yes/no and on/off are
 * accepted too, in any case. */
static bool
parse_bool(const char *text, bool *out)
{
    static const char *const yes[] = {"true", "1", "yes", "on"};
    static const char *const no[] = {"false", "0", "no", "off"};

    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (!strcasecmp(text, yes[i])) {
            *out = true;
            return true;
        }
        if (!strcasecmp(text, no[i])) {
            *out = false;
            return true;
        }
    }
    return false;
}

/* Write " unit" after a range, or nothing for a unitless option. */
static const char *
unit_suffix(const struct cmdline_option *o, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s", o->unit ? " " : "", o->unit ? o->unit : "");
    return buf;
}

/* Store text into the option; prints the error and returns false on failure. */
static bool
set_value(const char *program, const struct cmdline_option *o, const char *text)
{
    char *end = NULL, unit[32];

    unit_suffix(o, unit, sizeof unit);

    switch (o->type) {
    case CMDLINE_BOOL:
        if (!parse_bool(text, o->value)) {
            fprintf(stderr,
                    "%s: invalid value '%s' for --%s: use true or false (1/0, yes/no and on/off "
                    "work too)\n",
                    program, text, o->name);
            return false;
        }
        return true;
    case CMDLINE_UINT: {
        errno = 0;
        unsigned long long v = strtoull(text, &end, 10);
        if (errno || end == text || *end || text[0] == '-' || v < o->min || v > o->max) {
            fprintf(stderr,
                    "%s: invalid value '%s' for --%s: use a whole number from %.0f to "
                    "%.0f%s\n",
                    program, text, o->name, o->min, o->max, unit);
            return false;
        }
        *(uint64_t *)o->value = v;
        return true;
    }
    case CMDLINE_DOUBLE: {
        errno = 0;
        double v = strtod(text, &end);
        if (errno || end == text || *end || !isfinite(v) || v < o->min || v > o->max) {
            fprintf(stderr, "%s: invalid value '%s' for --%s: use a number from %.15g to %.15g%s\n",
                    program, text, o->name, o->min, o->max, unit);
            return false;
        }
        *(double *)o->value = v;
        return true;
    }
    case CMDLINE_STRING:
        *(const char **)o->value = text;
        return true;
    }
    return false;
}

/*
 * Return the edit distance between a and b (insertions, deletions, substitutions
 * and swaps of neighbours), ignoring case, or max + 1 when it exceeds max.
 */
static size_t
edit_distance(const char *a, size_t la, const char *b, size_t lb, size_t max)
{
    enum { LONGEST = 64 };
    size_t rows[3][LONGEST + 1];

    if (la > LONGEST || lb > LONGEST || (la > lb ? la - lb : lb - la) > max)
        return max + 1;
    for (size_t j = 0; j <= lb; j++)
        rows[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t *cur = rows[i % 3], *prev = rows[(i - 1) % 3], *before = rows[(i + 1) % 3];
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t best = prev[j - 1] + cost;
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (i > 1 && j > 1 &&
                tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) &&
                before[j - 2] + 1 < best)
                best = before[j - 2] + 1;
            cur[j] = best;
        }
    }
    return rows[la % 3][lb] > max ? max + 1 : rows[la % 3][lb];
}

int
cmdline_nearest(const char *word, size_t len, const char *const *names, size_t n)
{
    int best = -1;
    size_t best_distance = 3;
    for (size_t k = 0; k < n; k++) {
        size_t d = edit_distance(word, len, names[k], strlen(names[k]), 2);
        if (d < best_distance) {
            best = (int)k;
            best_distance = d;
        }
    }
    return best;
}

/* Find the option whose name is closest to name, within two edits, or NULL. */
static const struct cmdline_option *
closest_option(const char *name, size_t len, const struct cmdline_option *options, size_t n)
{
    const char **names = malloc(n * sizeof *names);
    if (!names)
        return NULL;
    for (size_t k = 0; k < n; k++)
        names[k] = options[k].name;
    int nearest = cmdline_nearest(name, len, names, n);
    free(names);
    return nearest >= 0 ? &options[nearest] : NULL;
}

enum cmdline_result
cmdline_parse(int argc, char **argv, const char *program, const char *summary,
              const struct cmdline_option *options, size_t n_options)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];

        if (!strcmp(arg, "--help") || !strcmp(arg, "--PrintHelp") || !strcmp(arg, "-h")) {
            print_help(program, summary, options, n_options);
            return CMDLINE_HELP;
        }
        if (strncmp(arg, "--", 2) != 0) {
            fprintf(stderr,
                    "%s: unexpected argument '%s': options have the form --name=value; "
                    "run with --help to list them\n",
                    program, arg);
            return CMDLINE_ERROR;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
        const struct cmdline_option *o = NULL;
        for (size_t k = 0; k < n_options; k++)
            if (strlen(options[k].name) == name_len && !strncmp(options[k].name, name, name_len))
                o = &options[k];
        if (!o) {
            const struct cmdline_option *near = closest_option(name, name_len, options, n_options);
            if (near)
                fprintf(stderr, "%s: unknown option '--%.*s'; did you mean --%s?\n", program,
                        (int)name_len, name, near->name);
            else
                fprintf(stderr,
                        "%s: unknown option '--%.*s'; run with --help to list the options\n",
                        program, (int)name_len, name);
            return CMDLINE_ERROR;
        }
        /* "--flag" alone sets a boolean, as ns-3's CommandLine does. */
        if (!eq && o->type == CMDLINE_BOOL) {
            *(bool *)o->value = true;
            continue;
        }
        if (!eq) {
            fprintf(stderr, "%s: option --%s needs a value: --%s=VALUE\n", program, o->name,
                    o->name);
            return CMDLINE_ERROR;
        }
        if (!set_value(program, o, eq + 1))
            return CMDLINE_ERROR;
    }
    return CMDLINE_OK;
}
