/*
 * test_cmdline.c - the scenarios' "--name=value" parser: boolean spellings,
 * range errors that name the value and the range, and unknown options with
 * the known option they are closest to.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cmdline.h"

static bool flag;
static uint64_t count = 2;
static double delay = 1000;

static const struct cmdline_option options[] = {
    {"flag", CMDLINE_BOOL, &flag, NULL, 0, 1, "a switch"},
    {"count", CMDLINE_UINT, &count, NULL, 1, 64, "a count"},
    {"delay", CMDLINE_DOUBLE, &delay, "ms", 30, 1e6, "a delay"},
};

/* Parse one argument with stderr captured into err; returns the result. */
static enum cmdline_result
parse_one(const char *arg, char *err, size_t err_len)
{
    char *argv[] = {"test", (char *)arg, NULL};
    FILE *capture = tmpfile();
    int saved = dup(fileno(stderr));

    fflush(stderr);
    dup2(fileno(capture), fileno(stderr));
    enum cmdline_result r = cmdline_parse(2, argv, "test", "a test", options, 3);
    fflush(stderr);
    dup2(saved, fileno(stderr));
    close(saved);
    rewind(capture);
    size_t n = fread(err, 1, err_len - 1, capture);
    err[n] = '\0';
    fclose(capture);
    return r;
}

static void
test_bool_spellings(void)
{
    static const struct {
        const char *arg;
        bool value;
    } cases[] = {
        {"--flag=true", true}, {"--flag=TRUE", true},   {"--flag=1", true},  {"--flag=yes", true},
        {"--flag=On", true},   {"--flag=false", false}, {"--flag=0", false}, {"--flag=No", false},
        {"--flag=off", false}, {"--flag=False", false},
    };
    char err[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        flag = !cases[i].value;
        CHECK_EQ_INT(parse_one(cases[i].arg, err, sizeof err), CMDLINE_OK);
        CHECK_EQ_INT(flag, cases[i].value);
    }
    CHECK_EQ_INT(parse_one("--flag=maybe", err, sizeof err), CMDLINE_ERROR);
    CHECK(strstr(err, "invalid value 'maybe' for --flag: use true or false") != NULL);
}

static void
test_range_errors(void)
{
    char err[256];

    CHECK_EQ_INT(parse_one("--count=65", err, sizeof err), CMDLINE_ERROR);
    CHECK(strcmp(err, "test: invalid value '65' for --count: use a whole number from 1 to 64\n") ==
          0);
    CHECK_EQ_INT(parse_one("--delay=10", err, sizeof err), CMDLINE_ERROR);
    CHECK(strcmp(err, "test: invalid value '10' for --delay: use a number from 30 to 1000000 "
                      "ms\n") == 0);
    CHECK_EQ_INT(parse_one("--count=64", err, sizeof err), CMDLINE_OK);
    CHECK_EQ_INT(count, 64);
    CHECK_EQ_INT(parse_one("--colour=red", err, sizeof err), CMDLINE_ERROR);
    CHECK(strstr(err, "colour") != NULL);
}

/* An unknown option within two edits of a known one names it. */
static void
test_unknown_option_suggestions(void)
{
    static const struct {
        const char *arg;
        const char *message;
    } cases[] = {
        {"--cuont=3", "test: unknown option '--cuont'; did you mean --count?\n"},
        {"--delays=40", "test: unknown option '--delays'; did you mean --delay?\n"},
        {"--FLAG", "test: unknown option '--FLAG'; did you mean --flag?\n"},
        {"--dely=40", "test: unknown option '--dely'; did you mean --delay?\n"},
        {"--colour=red", "test: unknown option '--colour'; run with --help to list the options\n"},
        {"--abcdefghij", "test: unknown option '--abcdefghij'; run with --help to list the "
                         "options\n"},
    };
    char err[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_EQ_INT(parse_one(cases[i].arg, err, sizeof err), CMDLINE_ERROR);
        if (strcmp(err, cases[i].message) != 0)
            fprintf(stderr, "case %s: got %s", cases[i].arg, err);
        CHECK(strcmp(err, cases[i].message) == 0);
    }
}

CHECK_MAIN(TEST(test_bool_spellings), TEST(test_range_errors),
           TEST(test_unknown_option_suggestions))
