/*
 * fuzz_cmdline.c - cmdline_parse on argument vectors made by splitting
 * the input at its NUL bytes, against a table with one or two options of
 * each type.
 *
 * Oracle:
 *   - the result is CMDLINE_OK, CMDLINE_HELP or CMDLINE_ERROR, and
 *     CMDLINE_OK only when every argument starts with "--";
 *   - whatever the result, every numeric option contains a value inside
 *     its range and the string option points at its default or into an
 *     argument;
 *   - every value, formatted by cmdline_format, is accepted again by
 *     cmdline_parse and gives the same value, so the parameters a run
 *     records can reproduce it.
 *
 * cmdline_parse prints help and errors, so the smoke run passes
 * -close_fd_mask=3.  That also hides the message of a failed oracle.  To
 * see it, run fuzz_replay_cmdline on the saved input.
 */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "cmdline.h"
#include "fuzz.h"

static const char default_trace[] = "default.ns_movements";

static bool pcap;
static uint64_t seed;
static uint64_t packet_size;
static double speed;
static double interval;
static const char *trace;

/* Ranges and units as in the handoff scenario. */
static const struct cmdline_option options[] = {
    {"seed", CMDLINE_UINT, &seed, NULL, 1, 4294967295.0, "random seed"},
    {"packetSize", CMDLINE_UINT, &packet_size, "bytes", 12, 1400, "UDP payload size"},
    {"speed", CMDLINE_DOUBLE, &speed, "m/s", 0, 1000, "speed of the mobile node"},
    {"interval", CMDLINE_DOUBLE, &interval, "ms", 0.01, 1e6, "time between packets"},
    {"trace", CMDLINE_STRING, &trace, NULL, 0, 0, "ns-2 movement trace"},
    {"pcap", CMDLINE_BOOL, &pcap, NULL, 0, 1, "write pcap files"},
};
#define N_OPTIONS (sizeof options / sizeof options[0])

static void
set_defaults(void)
{
    pcap = false;
    seed = 1;
    packet_size = 1000;
    speed = 20;
    interval = 100;
    trace = default_trace;
}

/* Split text[0..len], whose last byte is NUL, into argv after argv[0]. */
static char **
split_arguments(char *text, size_t len, int *argc_out)
{
    size_t count = 1;
    for (size_t i = 0; i < len; i++)
        count += text[i] == '\0';

    char **argv = malloc((count + 2) * sizeof *argv);
    FUZZ_ASSERT(argv != NULL);
    static char program[] = "fuzz_cmdline";
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

static void
check_ranges(const char *text, size_t len)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct cmdline_option *o = &options[i];
        if (o->type == CMDLINE_UINT) {
            double v = (double)*(uint64_t *)o->value;
            FUZZ_ASSERT(v >= o->min && v <= o->max);
        } else if (o->type == CMDLINE_DOUBLE) {
            double v = *(double *)o->value;
            FUZZ_ASSERT(isfinite(v) && v >= o->min && v <= o->max);
        }
    }
    FUZZ_ASSERT(trace == default_trace || (trace >= text && trace <= text + len));
}

static char *
copy_string(const char *s)
{
    size_t len = strlen(s);
    char *copy = malloc(len + 1);
    FUZZ_ASSERT(copy != NULL);
    memcpy(copy, s, len + 1);
    return copy;
}

/* Format one option's value and parse "--name=value" back into it. */
static void
check_format_round_trip(const struct cmdline_option *o, size_t max_text)
{
    size_t cap = max_text + 64;
    char *value = malloc(cap);
    char *arg = malloc(cap + strlen(o->name) + 4);
    FUZZ_ASSERT(value != NULL && arg != NULL);

    cmdline_format(o, value, cap);
    FUZZ_ASSERT(strlen(value) < cap - 1);
    sprintf(arg, "--%s=%s", o->name, value);

    bool old_bool = pcap;
    uint64_t old_uint = o->type == CMDLINE_UINT ? *(uint64_t *)o->value : 0;
    double old_double = o->type == CMDLINE_DOUBLE ? *(double *)o->value : 0;
    char *old_string = o->type == CMDLINE_STRING ? copy_string(trace) : NULL;
    static char program[] = "fuzz_cmdline";
    char *argv[] = {program, arg, NULL};

    FUZZ_ASSERT(cmdline_parse(2, argv, "fuzz_cmdline", "fuzz", options, N_OPTIONS) == CMDLINE_OK);
    switch (o->type) {
    case CMDLINE_BOOL:
        FUZZ_ASSERT(pcap == old_bool);
        break;
    case CMDLINE_UINT:
        FUZZ_ASSERT(*(uint64_t *)o->value == old_uint);
        break;
    case CMDLINE_DOUBLE:
        FUZZ_ASSERT(memcmp(o->value, &old_double, sizeof old_double) == 0);
        break;
    case CMDLINE_STRING:
        FUZZ_ASSERT(strcmp(trace, old_string) == 0);
        trace = default_trace; /* arg is freed below */
        break;
    }
    free(old_string);
    free(arg);
    free(value);
}

static bool
asks_for_help(char **argv, int argc)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "--PrintHelp") || !strcmp(argv[i], "-h"))
            return true;
    return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The copy ends with a NUL so that the last argument is terminated. */
    char *text = malloc(size + 1);
    FUZZ_ASSERT(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    int argc = 0;
    char **argv = split_arguments(text, size, &argc);

    set_defaults();
    enum cmdline_result result =
        cmdline_parse(argc, argv, "fuzz_cmdline", "fuzz", options, N_OPTIONS);
    FUZZ_ASSERT(result == CMDLINE_OK || result == CMDLINE_HELP || result == CMDLINE_ERROR);
    if (result == CMDLINE_OK)
        for (int i = 1; i < argc; i++)
            FUZZ_ASSERT(strncmp(argv[i], "--", 2) == 0);
    if (result == CMDLINE_HELP)
        FUZZ_ASSERT(asks_for_help(argv, argc));
    check_ranges(text, size);

    for (size_t i = 0; i < N_OPTIONS; i++)
        check_format_round_trip(&options[i], size);

    free(argv);
    free(text);
    return 0;
}
