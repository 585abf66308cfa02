/* ns2_trace.c - strict check of ns-2 mobility traces; see ns2_trace.h. */
#define _POSIX_C_SOURCE 200809L

#include "ns2_trace.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Maximum number of bytes of a value that a message shows. */
#define SHOWN_MAX 64
/* Largest trace file that ns2_trace_check_file reads. */
#define MAX_FILE_SIZE (256u << 20)
/* Tokens of the longest form, the setdest line. */
#define MAX_TOKENS 8

#define FORMS                                                                                      \
    "'$node_(N) set X_ V', '$ns_ at T \"$node_(N) set X_ V\"' or "                                 \
    "'$ns_ at T \"$node_(N) setdest X Y SPEED\"'"

struct token {
    const char *s;
    size_t n;
};

struct parser {
    const char *path;
    size_t line;
    char *err;
    size_t err_size;
    /* A value quoted in a message: SHOWN_MAX bytes, each at most as \xNN, and "...". */
    char shown[SHOWN_MAX * 4 + 4];
};

static enum ns2_trace_status
invalid(struct parser *p, const char *fmt, ...)
{
    int used = snprintf(p->err, p->err_size, "%s:%zu: ", p->path, p->line);
    if (used >= 0 && (size_t)used < p->err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err + used, p->err_size - (size_t)used, fmt, ap);
        va_end(ap);
    }
    return NS2_TRACE_INVALID;
}

/* Return [s, s + n) for a message, at most SHOWN_MAX bytes, other than printable ASCII as \xNN. */
static const char *
shown(struct parser *p, const char *s, size_t n)
{
    char *out = p->shown;
    for (size_t i = 0; i < n && i < SHOWN_MAX; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch < 0x7f) {
            *out++ = (char)ch;
        } else {
            snprintf(out, 5, "\\x%02x", ch);
            out += 4;
        }
    }
    if (n > SHOWN_MAX)
        out += sprintf(out, "...");
    *out = '\0';
    return p->shown;
}

static bool
is_blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

static bool
is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static bool
token_is(const struct token *t, const char *word)
{
    return t->n == strlen(word) && memcmp(t->s, word, t->n) == 0;
}

/*
 * Read a decimal number: an optional sign, digits with an optional
 * fraction, and an optional exponent.  strtod alone would also take hex,
 * "inf" and "nan", which ns-3 reads differently or not at all.
 */
static bool
parse_decimal(const struct token *t, double *out)
{
    size_t i = 0, digits = 0;
    char buf[64];

    if (t->n == 0 || t->n >= sizeof buf)
        return false;
    if (t->s[i] == '+' || t->s[i] == '-')
        i++;
    for (; i < t->n && is_digit(t->s[i]); i++)
        digits++;
    if (i < t->n && t->s[i] == '.')
        for (i++; i < t->n && is_digit(t->s[i]); i++)
            digits++;
    if (digits == 0)
        return false;
    if (i < t->n && (t->s[i] == 'e' || t->s[i] == 'E')) {
        i++;
        if (i < t->n && (t->s[i] == '+' || t->s[i] == '-'))
            i++;
        if (i == t->n || !is_digit(t->s[i]))
            return false;
        while (i < t->n && is_digit(t->s[i]))
            i++;
    }
    if (i != t->n)
        return false;
    memcpy(buf, t->s, t->n);
    buf[t->n] = '\0';
    *out = strtod(buf, NULL);
    return isfinite(*out);
}

static enum ns2_trace_status
parse_time(struct parser *p, const struct token *t, double *out)
{
    if (!parse_decimal(t, out) || !(*out >= 0 && *out <= NS2_TRACE_MAX_TIME_S))
        return invalid(p, "invalid time '%s': expected seconds from 0 to %.0f",
                       shown(p, t->s, t->n), NS2_TRACE_MAX_TIME_S);
    return NS2_TRACE_OK;
}

static enum ns2_trace_status
parse_coordinate(struct parser *p, const struct token *t, double *out)
{
    if (!parse_decimal(t, out) || fabs(*out) > NS2_TRACE_MAX_COORDINATE_M)
        return invalid(p, "invalid coordinate '%s': expected metres from %.0f to %.0f",
                       shown(p, t->s, t->n), -NS2_TRACE_MAX_COORDINATE_M,
                       NS2_TRACE_MAX_COORDINATE_M);
    return NS2_TRACE_OK;
}

static enum ns2_trace_status
parse_speed(struct parser *p, const struct token *t, double *out)
{
    if (!parse_decimal(t, out) ||
        !(*out == 0 || (*out >= NS2_TRACE_MIN_SPEED_M_S && *out <= NS2_TRACE_MAX_SPEED_M_S)))
        return invalid(p, "invalid speed '%s': expected 0 (stop) or m/s from %g to %.0f",
                       shown(p, t->s, t->n), NS2_TRACE_MIN_SPEED_M_S, NS2_TRACE_MAX_SPEED_M_S);
    return NS2_TRACE_OK;
}

/* "$node_(N)", with a '"' before it when quoted is set. */
static enum ns2_trace_status
parse_node(struct parser *p, const struct token *t, bool quoted, uint32_t *out)
{
    const char *s = t->s, *end = t->s + t->n;
    bool ok = !quoted || (s < end && *s++ == '"');
    ok = ok && (size_t)(end - s) > strlen("$node_()") && memcmp(s, "$node_(", 7) == 0 &&
         end[-1] == ')';
    unsigned long long node = 0;
    for (const char *d = s + 7; ok && d < end - 1; d++) {
        ok = is_digit(*d) && node <= NS2_TRACE_MAX_NODE;
        node = node * 10 + (unsigned long long)(*d - '0');
    }
    if (!ok || node > NS2_TRACE_MAX_NODE)
        return invalid(p, "invalid node '%s': expected %s$node_(N), N a whole number from 0 to %u",
                       shown(p, t->s, t->n), quoted ? "a quote, then " : "", NS2_TRACE_MAX_NODE);
    *out = (uint32_t)node;
    return NS2_TRACE_OK;
}

static enum ns2_trace_status
parse_coordinate_name(struct parser *p, const struct token *t, char *out)
{
    if (!token_is(t, "X_") && !token_is(t, "Y_") && !token_is(t, "Z_"))
        return invalid(p, "invalid coordinate name '%s': expected X_, Y_ or Z_",
                       shown(p, t->s, t->n));
    *out = t->s[0];
    return NS2_TRACE_OK;
}

/* White space between tokens, as the helper's std::istringstream reads it. */
static bool
is_space(char ch)
{
    return is_blank(ch) || ch == '\r' || ch == '\v' || ch == '\f';
}

/*
 * Split [s, s + n) at white space and return the number of tokens.  Only
 * the first MAX_TOKENS + 1 are stored, enough to tell a line with too
 * many tokens.
 */
static size_t
split(const char *s, size_t n, struct token *tokens)
{
    size_t count = 0, i = 0;
    for (;;) {
        while (i < n && is_space(s[i]))
            i++;
        if (i == n)
            break;
        const char *start = s + i;
        while (i < n && !is_space(s[i]))
            i++;
        if (count <= MAX_TOKENS)
            tokens[count] = (struct token){.s = start, .n = (size_t)(s + i - start)};
        count++;
    }
    return count;
}

/* Parse the tokens of a line that names a node into m. */
static enum ns2_trace_status
parse_movement(struct parser *p, const char *s, size_t n, struct ns2_movement *m)
{
    struct token t[MAX_TOKENS + 1];
    size_t count = split(s, n, t);
    enum ns2_trace_status st;

    /* $node_(N) set X_ V */
    if (count == 4 && token_is(&t[1], "set")) {
        m->kind = NS2_SET;
        if ((st = parse_node(p, &t[0], false, &m->node)) != NS2_TRACE_OK ||
            (st = parse_coordinate_name(p, &t[2], &m->coordinate)) != NS2_TRACE_OK)
            return st;
        return parse_coordinate(p, &t[3], &m->value_m);
    }

    /* $ns_ at T "$node_(N) ...": the last token ends with the closing quote or is the quote. */
    bool scheduled = count >= 7 && count <= MAX_TOKENS + 1 && token_is(&t[0], "$ns_") &&
                     token_is(&t[1], "at") && t[count - 1].s[t[count - 1].n - 1] == '"';
    if (scheduled && --t[count - 1].n == 0)
        count--;
    if (scheduled && count == 7 && token_is(&t[4], "set")) {
        m->kind = NS2_SET_AT;
        if ((st = parse_time(p, &t[2], &m->time_s)) != NS2_TRACE_OK ||
            (st = parse_node(p, &t[3], true, &m->node)) != NS2_TRACE_OK ||
            (st = parse_coordinate_name(p, &t[5], &m->coordinate)) != NS2_TRACE_OK)
            return st;
        return parse_coordinate(p, &t[6], &m->value_m);
    }
    if (scheduled && count == 8 && token_is(&t[4], "setdest")) {
        m->kind = NS2_SETDEST;
        if ((st = parse_time(p, &t[2], &m->time_s)) != NS2_TRACE_OK ||
            (st = parse_node(p, &t[3], true, &m->node)) != NS2_TRACE_OK ||
            (st = parse_coordinate(p, &t[5], &m->x_m)) != NS2_TRACE_OK ||
            (st = parse_coordinate(p, &t[6], &m->y_m)) != NS2_TRACE_OK)
            return st;
        return parse_speed(p, &t[7], &m->speed_m_s);
    }
    return invalid(p, "unreadable movement '%s': expected " FORMS, shown(p, s, n));
}

/* Parse one line without its newline; *m is set when it returns OK and m->line is not 0. */
static enum ns2_trace_status
parse_line(struct parser *p, const char *s, size_t n, struct ns2_movement *m)
{
    const char *comment = memchr(s, '#', n);
    if (comment)
        n = (size_t)(comment - s);
    if (memchr(s, '\0', n))
        return invalid(p, "the line contains a NUL byte: the trace must be text");

    while (n > 0 && is_blank(*s)) {
        s++;
        n--;
    }
    while (n > 0 && (is_blank(s[n - 1]) || s[n - 1] == ';'))
        n--;
    /* The helper reads only lines with a node number in brackets; skip the others. */
    if (n == 0 || !memchr(s, '(', n))
        return NS2_TRACE_OK;

    *m = (struct ns2_movement){.line = p->line};
    return parse_movement(p, s, n, m);
}

enum ns2_trace_status
ns2_trace_parse(const char *text, size_t len, const char *path,
                void (*visit)(void *ctx, const struct ns2_movement *m), void *ctx, char *err,
                size_t err_size)
{
    struct parser p = {.path = path, .err = err, .err_size = err_size};
    enum ns2_trace_status status = NS2_TRACE_OK;
    const char *s = text, *end = text + len;

    while (status == NS2_TRACE_OK && s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *line_end = nl ? nl : end;
        struct ns2_movement m = {0};
        p.line++;
        status = parse_line(&p, s, (size_t)(line_end - s), &m);
        if (status == NS2_TRACE_OK && m.line && visit)
            visit(ctx, &m);
        s = nl ? nl + 1 : end;
    }
    return status;
}

struct node_count {
    uint32_t node;
    size_t entries;
};

static void
count_node(void *ctx, const struct ns2_movement *m)
{
    struct node_count *count = ctx;
    count->entries += m->node == count->node;
}

enum ns2_trace_status
ns2_trace_check_file(const char *path, uint32_t node, char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_size, "%s: cannot open the ns-2 mobility trace: %s", path,
                 strerror(errno));
        return NS2_TRACE_IO_ERROR;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    enum ns2_trace_status status = NS2_TRACE_OK;
    for (;;) {
        if (len == cap) {
            char *grown = cap < MAX_FILE_SIZE ? realloc(text, cap ? cap * 2 : 65536) : NULL;
            if (!grown) {
                snprintf(err, err_size,
                         "%s: the ns-2 mobility trace is too large (256 MiB or more) or memory "
                         "ran out",
                         path);
                status = NS2_TRACE_NO_MEMORY;
                break;
            }
            text = grown;
            cap = cap ? cap * 2 : 65536;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (status == NS2_TRACE_OK && ferror(f)) {
        snprintf(err, err_size, "%s: cannot read the ns-2 mobility trace: %s", path,
                 strerror(errno));
        status = NS2_TRACE_IO_ERROR;
    }
    fclose(f);

    struct node_count count = {.node = node};
    if (status == NS2_TRACE_OK)
        status = ns2_trace_parse(text, len, path, count_node, &count, err, err_size);
    free(text);
    if (status == NS2_TRACE_OK && count.entries == 0) {
        snprintf(err, err_size,
                 "%s: no line moves $node_(%u); the trace must set its position or give it "
                 "a destination",
                 path, node);
        status = NS2_TRACE_NO_ENTRY;
    }
    return status;
}
