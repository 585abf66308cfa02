/*
 * cmdline.h - ns-3 style "--name=value" arguments for scenario programs.
 *
 * A scenario declares a table of options with their types, units and
 * help text; cmdline_parse fills the variables and rejects anything it
 * cannot read, naming the option, the value and what it expects.
 */
#ifndef MIP6SEC_CMDLINE_H
#define MIP6SEC_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cmdline_type {
    CMDLINE_BOOL,   /* bool: true/false, 1/0, yes/no, on/off, in any case */
    CMDLINE_UINT,   /* uint64_t */
    CMDLINE_DOUBLE, /* double */
    CMDLINE_STRING, /* const char *, points into argv */
};

struct cmdline_option {
    const char *name;
    enum cmdline_type type;
    void *value;
    const char *unit; /* shown in help and errors, e.g. "m/s"; NULL for none */
    double min;       /* numeric range, inclusive */
    double max;
    const char *help;
};

enum cmdline_result {
    CMDLINE_OK = 0,
    CMDLINE_HELP = 1,  /* --help was given; help was printed */
    CMDLINE_ERROR = 2, /* an error was printed to stderr */
};

/*
 * Parse argv against the options.  Prints help for --help or --PrintHelp
 * and an error naming the option and the fix for anything else it cannot
 * use.
 */
enum cmdline_result cmdline_parse(int argc, char **argv, const char *program, const char *summary,
                                  const struct cmdline_option *options, size_t n_options);

/* The value of an option as text, for recording the run's parameters. */
/*
 * Return the index of the name in names[0 .. n - 1] that is within two edits
 * (insertions, deletions, substitutions or swaps of neighbours, in any case)
 * of the first len bytes of word and closest to it, or -1 when none is.
 */
int cmdline_nearest(const char *word, size_t len, const char *const *names, size_t n);

void cmdline_format(const struct cmdline_option *option, char *out, size_t out_len);

#endif /* MIP6SEC_CMDLINE_H */
