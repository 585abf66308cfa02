/*
 * fuzz_ns2_trace.c - the strict ns-2 mobility trace check that the
 * handoff scenario runs on --trace before ns-3 reads the file.
 *
 * Input: any bytes, read as the text of a trace.
 *
 * Oracle:
 *   - ns2_trace_parse returns NS2_TRACE_OK or NS2_TRACE_INVALID.  An error
 *     is one line of printable ASCII that starts with "fuzz:LINE: ", LINE
 *     inside the input;
 *   - on success every line with a '(' before its comment gave exactly
 *     one movement, so no line that could name a node is skipped, and
 *     the movements come in line order with every value in the ranges of
 *     ns2_trace.h;
 *   - sscanf, as a naive reference, reads the same node, time and values
 *     from each such line.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "ns2_trace.h"

#define SOURCE "fuzz"

struct visit {
    const char *text;
    size_t len;
    size_t movements;
    size_t last_line;
    /* The start of line cursor_line, which only moves forward, as the movements do. */
    const char *cursor;
    size_t cursor_line;
    char *line; /* room for the longest line */
};

static size_t
count_lines(const uint8_t *data, size_t size)
{
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    return lines;
}

/* Copy line number n (from 1) without its comment into buf, which has room for it. */
static void
copy_line(struct visit *v, size_t n, char *buf)
{
    const char *end = v->text + v->len;
    while (v->cursor_line < n) {
        const char *nl = memchr(v->cursor, '\n', (size_t)(end - v->cursor));
        FUZZ_ASSERT(nl != NULL);
        v->cursor = nl + 1;
        v->cursor_line++;
    }
    const char *nl = memchr(v->cursor, '\n', (size_t)(end - v->cursor));
    size_t line_len = (size_t)((nl ? nl : end) - v->cursor);
    const char *comment = memchr(v->cursor, '#', line_len);
    if (comment)
        line_len = (size_t)(comment - v->cursor);
    memcpy(buf, v->cursor, line_len);
    buf[line_len] = '\0';
}

static void
check_ranges(const struct ns2_movement *m)
{
    FUZZ_ASSERT(m->node <= NS2_TRACE_MAX_NODE);
    FUZZ_ASSERT(m->time_s >= 0 && m->time_s <= NS2_TRACE_MAX_TIME_S);
    if (m->kind == NS2_SET)
        FUZZ_ASSERT(m->time_s == 0);
    if (m->kind == NS2_SET || m->kind == NS2_SET_AT) {
        FUZZ_ASSERT(m->coordinate == 'X' || m->coordinate == 'Y' || m->coordinate == 'Z');
        FUZZ_ASSERT(fabs(m->value_m) <= NS2_TRACE_MAX_COORDINATE_M);
        return;
    }
    FUZZ_ASSERT(m->kind == NS2_SETDEST);
    FUZZ_ASSERT(fabs(m->x_m) <= NS2_TRACE_MAX_COORDINATE_M);
    FUZZ_ASSERT(fabs(m->y_m) <= NS2_TRACE_MAX_COORDINATE_M);
    FUZZ_ASSERT(m->speed_m_s == 0 || (m->speed_m_s >= NS2_TRACE_MIN_SPEED_M_S &&
                                      m->speed_m_s <= NS2_TRACE_MAX_SPEED_M_S));
    /* A move across the largest allowed distance at this speed ends inside ns-3's Time. */
    if (m->speed_m_s > 0) {
        double longest = sqrt(2) * 2 * NS2_TRACE_MAX_COORDINATE_M / m->speed_m_s;
        FUZZ_ASSERT(m->time_s + longest < 9.2e9);
    }
}

/* Read the line again with sscanf and compare. */
static void
check_reference(const struct ns2_movement *m, const char *line)
{
    unsigned node = 0;
    char coordinate = 0, tail[2];
    double time_s = 0, a = 0, b = 0, c = 0;
    int n;

    switch (m->kind) {
    case NS2_SET:
        n = sscanf(line, " $node_(%u) set %c_ %lf %1s", &node, &coordinate, &a, tail);
        FUZZ_ASSERT(n == 3 || (n == 4 && tail[0] == ';'));
        break;
    case NS2_SET_AT:
        n = sscanf(line, " $ns_ at %lf \"$node_(%u) set %c_ %lf", &time_s, &node, &coordinate, &a);
        FUZZ_ASSERT(n == 4);
        break;
    case NS2_SETDEST:
        n = sscanf(line, " $ns_ at %lf \"$node_(%u) setdest %lf %lf %lf", &time_s, &node, &a, &b,
                   &c);
        FUZZ_ASSERT(n == 5);
        break;
    }
    FUZZ_ASSERT(node == m->node);
    FUZZ_ASSERT(time_s == m->time_s);
    if (m->kind == NS2_SETDEST) {
        FUZZ_ASSERT(a == m->x_m && b == m->y_m && c == m->speed_m_s);
    } else {
        FUZZ_ASSERT(coordinate == m->coordinate);
        FUZZ_ASSERT(a == m->value_m);
    }
}

static void
visit(void *ctx, const struct ns2_movement *m)
{
    struct visit *v = ctx;
    FUZZ_ASSERT(m->line > v->last_line);
    v->last_line = m->line;
    v->movements++;
    check_ranges(m);

    copy_line(v, m->line, v->line);
    check_reference(m, v->line);
}

/* Lines that may name a node: a '(' before any '#'. */
static size_t
count_node_lines(const char *text, size_t len)
{
    size_t count = 0;
    bool comment = false, bracket = false;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || text[i] == '\n') {
            count += bracket;
            comment = bracket = false;
        } else if (text[i] == '#') {
            comment = true;
        } else if (text[i] == '(' && !comment) {
            bracket = true;
        }
    }
    return count;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct visit v = {.text = text, .len = size, .cursor = text, .cursor_line = 1};
    char err[512];

    v.line = malloc(size + 1);
    FUZZ_ASSERT(v.line != NULL);
    enum ns2_trace_status st = ns2_trace_parse(text, size, SOURCE, visit, &v, err, sizeof err);
    free(v.line);
    if (st == NS2_TRACE_OK) {
        FUZZ_ASSERT(v.movements == count_node_lines(text, size));
        return 0;
    }

    FUZZ_ASSERT(st == NS2_TRACE_INVALID);
    for (const char *ch = err; *ch; ch++)
        FUZZ_ASSERT(*ch >= 0x20 && *ch < 0x7f);
    char *end = NULL;
    FUZZ_ASSERT(strncmp(err, SOURCE ":", strlen(SOURCE ":")) == 0);
    unsigned long line = strtoul(err + strlen(SOURCE ":"), &end, 10);
    FUZZ_ASSERT(end[0] == ':' && end[1] == ' ' && end[2] != '\0');
    FUZZ_ASSERT(line >= 1 && line <= count_lines(data, size));
    return 0;
}
