/*
 * test_ns2_trace.c - the strict ns-2 mobility trace check: the three forms
 * that ns-3's Ns2MobilityHelper reads, the lines it skips, and each kind
 * of invalid line with its line number, against known values.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ns2_trace.h"

#define MAX_MOVES 8

struct moves {
    struct ns2_movement m[MAX_MOVES];
    size_t count;
};

static void
collect(void *ctx, const struct ns2_movement *m)
{
    struct moves *moves = ctx;
    if (moves->count < MAX_MOVES)
        moves->m[moves->count] = *m;
    moves->count++;
}

static enum ns2_trace_status
parse(const char *text, struct moves *moves, char *err, size_t size)
{
    memset(moves, 0, sizeof *moves);
    err[0] = '\0';
    return ns2_trace_parse(text, strlen(text), "test.ns_movements", collect, moves, err, size);
}

static void
reads_three_forms(void)
{
    const char *text = "# BonnMotion, ns-2 format\n"
                       "$node_(0) set X_ 1.5\n"
                       "$node_(0) set Y_ -2e1;\n"
                       "\n"
                       "$ns_ at 2.0 \"$node_(0) setdest 100.0 0.0 10.0\"\n"
                       "  $ns_ at 14 \"$node_(12) set Z_ 3\"  # lift\n"
                       "$ns_ at 15\t\"$node_(0) setdest 0 0 0 \"\n";
    struct moves mv;
    char err[256];
    CHECK_EQ_INT(parse(text, &mv, err, sizeof err), NS2_TRACE_OK);
    CHECK_EQ_INT(mv.count, 5);

    CHECK_EQ_INT(mv.m[0].line, 2);
    CHECK_EQ_INT(mv.m[0].kind, NS2_SET);
    CHECK_EQ_INT(mv.m[0].node, 0);
    CHECK_EQ_INT(mv.m[0].coordinate, 'X');
    CHECK(mv.m[0].value_m == 1.5);
    CHECK_EQ_INT(mv.m[1].coordinate, 'Y');
    CHECK(mv.m[1].value_m == -20);

    CHECK_EQ_INT(mv.m[2].line, 5);
    CHECK_EQ_INT(mv.m[2].kind, NS2_SETDEST);
    CHECK(mv.m[2].time_s == 2);
    CHECK(mv.m[2].x_m == 100);
    CHECK(mv.m[2].y_m == 0);
    CHECK(mv.m[2].speed_m_s == 10);

    CHECK_EQ_INT(mv.m[3].line, 6);
    CHECK_EQ_INT(mv.m[3].kind, NS2_SET_AT);
    CHECK_EQ_INT(mv.m[3].node, 12);
    CHECK(mv.m[3].time_s == 14);
    CHECK_EQ_INT(mv.m[3].coordinate, 'Z');
    CHECK(mv.m[3].value_m == 3);

    /* Speed 0 stops the node; the quote may follow a blank. */
    CHECK_EQ_INT(mv.m[4].kind, NS2_SETDEST);
    CHECK(mv.m[4].speed_m_s == 0);
}

/* ns-3 reads a carriage return before the newline as white space. */
static void
reads_crlf_lines(void)
{
    const char *text = "$node_(0) set X_ 1.5\r\n$ns_ at 2 \"$node_(0) setdest 9 8 7\"\r\n";
    struct moves mv;
    char err[256];
    CHECK_EQ_INT(parse(text, &mv, err, sizeof err), NS2_TRACE_OK);
    CHECK_EQ_INT(mv.count, 2);
    CHECK(mv.m[0].value_m == 1.5);
    CHECK(mv.m[1].speed_m_s == 7);
}

/* Lines without a node number in brackets, which the helper skips too. */
static void
skips_lines_without_node(void)
{
    const char *text = "#\n# nodes: 2, pause: 0.00\n#\n"
                       "$god_ set-dist 0 1 1\n"
                       "$ns_ at 0.5 \"$god_ set-dist 0 1 2\"\n"
                       "   \t  ;\n"
                       "# $node_(0) set X_ nonsense\n";
    struct moves mv;
    char err[256];
    CHECK_EQ_INT(parse(text, &mv, err, sizeof err), NS2_TRACE_OK);
    CHECK_EQ_INT(mv.count, 0);
}

/* Each kind of invalid line, with its number and a part of the message. */
static void
rejects_invalid_lines(void)
{
    static const struct {
        const char *text;
        const char *expected;
    } cases[] = {
        {"$node_(0) set X_ abc\n", "test.ns_movements:1: invalid coordinate 'abc'"},
        {"$node_(0) set X_ 0\n$node_(0) set W_ 1\n", ":2: invalid coordinate name 'W_'"},
        {"$node_(0) set X_ 0x10\n", "invalid coordinate '0x10'"},
        {"$node_(0) set X_ inf\n", "invalid coordinate 'inf'"},
        {"$node_(0) set X_ nan\n", "invalid coordinate 'nan'"},
        {"$node_(0) set X_ 1e400\n", "invalid coordinate '1e400'"},
        {"$node_(0) set X_ 2000000\n", "expected metres from -1000000 to 1000000"},
        {"$node_(-1) set X_ 0\n", "invalid node '$node_(-1)'"},
        {"$node_(2147483648) set X_ 0\n", "invalid node '$node_(2147483648)'"},
        {"$node_(1e3) set X_ 0\n", "invalid node"},
        {"$node_() set X_ 0\n", "invalid node"},
        {"node_(0) set X_ 0\n", "invalid node 'node_(0)'"},
        {"$ns_ at -2.0 \"$node_(0) setdest 100.0 0.0 10.0\"\n", "invalid time '-2.0'"},
        {"$ns_ at 1e10 \"$node_(0) setdest 1 0 1\"\n", "expected seconds from 0 to 1000000000"},
        {"$ns_ at 2 \"$node_(0) setdest 100.0 0.0 -10.0\"\n", "invalid speed '-10.0'"},
        {"$ns_ at 2 \"$node_(0) setdest 100.0 0.0 1e-300\"\n", "invalid speed '1e-300'"},
        {"$ns_ at 2 \"$node_(0) setdest 100.0 0.0 10.0\n", "unreadable movement"},
        {"$ns_ at 2 $node_(0) setdest 100.0 0.0 10.0\"\n", "invalid node '$node_(0)'"},
        {"$ns_ at 2 \"$node_(0) setdest 100.0 10.0\"\n", "unreadable movement"},
        {"$ns_ at 2 \"$node_(0) moveto 1 2 3\"\n", "unreadable movement"},
        {"$node_(0) set X_ 7.2;\r\n", "invalid coordinate '7.2;'"},
        {"$ns_ at 2 \"$node_(0) setdest 1 2 3 \" 4\n", "unreadable movement"},
        {"$ns_ at 2 \"$node_(0) setdest 1 2 3 4 \"\n", "unreadable movement"},
        {"$node_(0) set X_ 1\n$node_(0)\0 set Y_ 1\n", ":2: the line contains a NUL byte"},
        {"$node_(0) set X_ \x1b[2J\n", "invalid coordinate '\\x1b[2J'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct moves mv;
        char err[256];
        /* The NUL case needs its length, which strlen would cut. */
        size_t len = strlen(cases[i].text);
        if (strstr(cases[i].expected, "NUL"))
            len += 1 + strlen(cases[i].text + len + 1);
        memset(&mv, 0, sizeof mv);
        enum ns2_trace_status st =
            ns2_trace_parse(cases[i].text, len, "test.ns_movements", collect, &mv, err, sizeof err);
        CHECK_EQ_INT(st, NS2_TRACE_INVALID);
        if (!strstr(err, cases[i].expected)) {
            fprintf(stderr, "case %zu: message '%s' lacks '%s'\n", i, err, cases[i].expected);
            check_failures++;
        }
    }
}

/* The traces that ship with the scenarios pass and move $node_(0). */
static void
shipped_traces_pass(void)
{
    static const char *const names[] = {"two-handoffs.ns_movements", "return-home.ns_movements",
                                        "ping-pong.ns_movements"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[512], err[256] = "";
        snprintf(path, sizeof path, "%s/%s", MIP6SEC_TRACES_DIR, names[i]);
        CHECK_EQ_INT(ns2_trace_check_file(path, 0, err, sizeof err), NS2_TRACE_OK);
        if (err[0])
            fprintf(stderr, "%s\n", err);
    }
}

static void
check_file_needs_node(void)
{
    char path[] = "/tmp/test_ns2_trace_XXXXXX", err[256];
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    const char text[] = "$node_(1) set X_ 0\n";
    CHECK_EQ_INT(write(fd, text, sizeof text - 1), sizeof text - 1);
    close(fd);

    CHECK_EQ_INT(ns2_trace_check_file(path, 0, err, sizeof err), NS2_TRACE_NO_ENTRY);
    CHECK(strstr(err, "no line moves $node_(0)") != NULL);
    CHECK_EQ_INT(ns2_trace_check_file(path, 1, err, sizeof err), NS2_TRACE_OK);
    unlink(path);

    CHECK_EQ_INT(ns2_trace_check_file(path, 0, err, sizeof err), NS2_TRACE_IO_ERROR);
    CHECK(strstr(err, "cannot open the ns-2 mobility trace") != NULL);
}

CHECK_MAIN(TEST(reads_three_forms), TEST(reads_crlf_lines), TEST(skips_lines_without_node),
           TEST(rejects_invalid_lines), TEST(shipped_traces_pass), TEST(check_file_needs_node))
