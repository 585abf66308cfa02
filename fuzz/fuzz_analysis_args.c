/*
 * fuzz_analysis_args.c - the command-line parsers of mip6sec-analysis,
 * mip6sec-plot and mip6sec-campaign.
 *
 * Input: a byte that selects the program (enum fuzz_analysis_program in
 * fuzz.h), then its arguments separated by NUL bytes.
 *
 * Oracle:
 *   - the parser returns one of its statuses, help only when an argument
 *     is --help or -h, and a message on every error;
 *   - on success every argument that does not start with '-' is the one
 *     the parser kept for it, and every value is inside its documented
 *     range;
 *   - a window or count that the user gives is never 0 where 0 selects
 *     a default, and a whole-number option is exactly the number given,
 *     so "1.5" is rejected and not cut to 1;
 *   - the options that exclude each other never both hold, and each
 *     command has the options it needs.
 */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "analysis_options.h"
#include "campaign_file.h"
#include "campaign_options.h"
#include "fuzz.h"
#include "plot_options.h"

/* Split text[0..len], whose last byte is NUL, into argv after argv[0]. */
static char **
split_arguments(char *text, size_t len, int *argc_out)
{
    size_t count = 1;
    for (size_t i = 0; i < len; i++)
        count += text[i] == '\0';

    char **argv = malloc((count + 2) * sizeof *argv);
    FUZZ_ASSERT(argv != NULL);
    static char program[] = "program";
    argv[0] = program;
    int argc = 1;
    char *start = text;
    for (size_t i = 0; i <= len; i++) {
        if (text[i] == '\0') {
            argv[argc++] = start;
            start = text + i + 1;
        }
    }
    argv[argc] = NULL;
    *argc_out = argc;
    return argv;
}

static bool
has_argument(char **argv, int argc, const char *arg)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], arg) == 0)
            return true;
    return false;
}

static bool
asks_for_help(char **argv, int argc)
{
    return has_argument(argv, argc, "--help") || has_argument(argv, argc, "-h");
}

/* The value of the last argument that starts with prefix, or NULL. */
static const char *
last_value(char **argv, int argc, const char *prefix)
{
    const char *value = NULL;
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], prefix, strlen(prefix)) == 0)
            value = argv[i] + strlen(prefix);
    return value;
}

/* The arguments that do not start with '-', in order: at most two are allowed. */
static void
check_positional(char **argv, int argc, const char *first, const char *second)
{
    int seen = 0;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-')
            continue;
        FUZZ_ASSERT(seen < 2);
        FUZZ_ASSERT(argv[i] == (seen == 0 ? first : second));
        seen++;
    }
    FUZZ_ASSERT(seen == (second ? 2 : 1));
}

static void
check_message(const char *err, size_t size)
{
    FUZZ_ASSERT(memchr(err, '\0', size) != NULL);
    FUZZ_ASSERT(err[0] != '\0');
}

static void
check_analysis(char **argv, int argc)
{
    struct analysis_options o;
    char err[256];
    enum analysis_args_status st = analysis_parse_args(argc, argv, &o, err, sizeof err);
    FUZZ_ASSERT(st >= ANALYSIS_ARGS_OK && st <= ANALYSIS_ARGS_USAGE);
    FUZZ_ASSERT(st != ANALYSIS_ARGS_HELP || asks_for_help(argv, argc));
    if (st == ANALYSIS_ARGS_INVALID || st == ANALYSIS_ARGS_USAGE)
        check_message(err, sizeof err);
    if (st != ANALYSIS_ARGS_OK)
        return;

    check_positional(argv, argc, o.path, NULL);
    FUZZ_ASSERT(o.csv == has_argument(argv, argc, "--csv"));
    FUZZ_ASSERT(o.cdf == has_argument(argv, argc, "--cdf"));
    FUZZ_ASSERT(o.rekeys == has_argument(argv, argc, "--rekeys"));
    FUZZ_ASSERT(o.overhead == has_argument(argv, argc, "--overhead"));
    FUZZ_ASSERT(!(o.csv && o.cdf) && !(o.rekeys && o.overhead));
    FUZZ_ASSERT(o.handoff_window_ns >= 0 && o.handoff_window_ns <= 1000000000000000LL);
    /* 0 selects the default window and fraction of handoffs.h. */
    if (last_value(argv, argc, "--tcpWindow="))
        FUZZ_ASSERT(o.tcp_window_ns >= 1 && o.tcp_window_ns <= 1000000000000000LL);
    else
        FUZZ_ASSERT(o.tcp_window_ns == 0);
    if (last_value(argv, argc, "--tcpFraction="))
        FUZZ_ASSERT(o.tcp_fraction > 0 && o.tcp_fraction <= 1);
    else
        FUZZ_ASSERT(o.tcp_fraction == 0);
}

/* A whole-number option is the number given, or its default when not given. */
static void
check_whole(char **argv, int argc, const char *prefix, double value, double fallback)
{
    const char *text = last_value(argv, argc, prefix);
    FUZZ_ASSERT(value == (text ? strtod(text, NULL) : fallback));
}

static void
check_plot(char **argv, int argc)
{
    struct options o;
    char err[256];
    enum plot_args_status st = plot_parse_args(argc, argv, &o, err, sizeof err);
    FUZZ_ASSERT(st >= PLOT_ARGS_OK && st <= PLOT_ARGS_USAGE);
    FUZZ_ASSERT(st != PLOT_ARGS_HELP || asks_for_help(argv, argc));
    if (st == PLOT_ARGS_INVALID || st == PLOT_ARGS_USAGE)
        check_message(err, sizeof err);
    if (st != PLOT_ARGS_OK)
        return;

    check_positional(argv, argc, o.command, o.db_path);
    FUZZ_ASSERT(o.kind >= PLOT_TIMELINE && o.kind < PLOT_KINDS);
    FUZZ_ASSERT(strcmp(o.command, plot_kind_names[o.kind]) == 0);
    FUZZ_ASSERT(o.handoff >= 0 && o.handoff <= 1000000);
    FUZZ_ASSERT(o.node >= -1 && o.node <= 4294967295LL);
    check_whole(argv, argc, "--handoff=", (double)o.handoff, 0);
    check_whole(argv, argc, "--node=", (double)o.node, -1);
    FUZZ_ASSERT(o.window_s >= 0.001 && o.window_s <= 1e6);
    FUZZ_ASSERT(o.bin_s >= 0.001 && o.bin_s <= 1e6);
    FUZZ_ASSERT(o.out_dir != NULL);
    /* Only the timeline takes --handoff and --window, only the throughput --bin. */
    FUZZ_ASSERT(o.kind == PLOT_TIMELINE || last_value(argv, argc, "--handoff=") == NULL);
    FUZZ_ASSERT(o.kind == PLOT_THROUGHPUT || last_value(argv, argc, "--bin=") == NULL);
}

/* A count given in decimal digits only, as parse_count requires. */
static void
check_digits(char **argv, int argc, const char *prefix)
{
    const char *given = last_value(argv, argc, prefix);
    if (!given)
        return;
    FUZZ_ASSERT(given[0] != '\0');
    for (const char *ch = given; *ch; ch++)
        FUZZ_ASSERT(*ch >= '0' && *ch <= '9');
}

static void
check_campaign(char **argv, int argc)
{
    struct campaign_options o;
    char err[256];
    enum campaign_args_status st = campaign_parse_args(argc, argv, &o, err, sizeof err);
    FUZZ_ASSERT(st >= CAMPAIGN_ARGS_OK && st <= CAMPAIGN_ARGS_USAGE);
    FUZZ_ASSERT(st != CAMPAIGN_ARGS_HELP || asks_for_help(argv, argc));
    if (st == CAMPAIGN_ARGS_INVALID || st == CAMPAIGN_ARGS_USAGE)
        check_message(err, sizeof err);
    if (st != CAMPAIGN_ARGS_OK)
        return;

    static const char *const names[] = {[CAMPAIGN_COMMAND_RUN] = "run",
                                        [CAMPAIGN_COMMAND_RUN_ONE] = "run-one",
                                        [CAMPAIGN_COMMAND_COUNT] = "count",
                                        [CAMPAIGN_COMMAND_MERGE] = "merge"};
    FUZZ_ASSERT(o.command >= CAMPAIGN_COMMAND_RUN && o.command <= CAMPAIGN_COMMAND_MERGE);
    const char *command = NULL;
    for (int i = 1; i < argc && !command; i++)
        if (argv[i][0] != '-')
            command = argv[i];
    FUZZ_ASSERT(command && strcmp(command, names[o.command]) == 0);
    check_positional(argv, argc, command, o.file);

    FUZZ_ASSERT(o.command == CAMPAIGN_COMMAND_COUNT || (o.dir && o.dir[0]));
    FUZZ_ASSERT(o.command != CAMPAIGN_COMMAND_MERGE || (o.output && o.output[0]));
    FUZZ_ASSERT(o.command != CAMPAIGN_COMMAND_RUN_ONE || o.has_index);
    FUZZ_ASSERT(o.jobs <= 4096);
    FUZZ_ASSERT((o.jobs == 0) == (last_value(argv, argc, "--jobs=") == NULL));
    FUZZ_ASSERT(o.index < CAMPAIGN_MAX_RUNS);
    FUZZ_ASSERT(o.has_index == (last_value(argv, argc, "--index=") != NULL));
    check_digits(argv, argc, "--jobs=");
    check_digits(argv, argc, "--index=");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;

    /* The copy ends with a NUL so that the last argument is terminated. */
    char *text = malloc(size);
    FUZZ_ASSERT(text != NULL);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    int argc = 0;
    char **argv = split_arguments(text, size - 1, &argc);

    switch (data[0] % FUZZ_ANALYSIS_PROGRAMS) {
    case FUZZ_ANALYSIS_ANALYSIS:
        check_analysis(argv, argc);
        break;
    case FUZZ_ANALYSIS_PLOT:
        check_plot(argv, argc);
        break;
    case FUZZ_ANALYSIS_CAMPAIGN:
        check_campaign(argv, argc);
        break;
    }
    free(argv);
    free(text);
    return 0;
}
