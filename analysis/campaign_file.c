/* campaign_file.c - campaign file parser and run naming; see campaign_file.h. */
#define _POSIX_C_SOURCE 200809L

#include "campaign_file.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Options the campaign sets itself for every run. */
static const char *const reserved_options[] = {"seed", "run", "output", "RngSeed", "RngRun"};

/* Maximum number of bytes of a value that a message shows. */
#define SHOWN_MAX 64

/*
 * A set of byte strings, each with the index of the grid or value it
 * names, so that the duplicate checks take linear time on grids of many
 * values.  Open addressing with linear probing.  The strings are borrowed.
 */
struct name_entry {
    const char *s; /* NULL in a free slot */
    size_t n;
    size_t index;
};

struct name_set {
    struct name_entry *slots;
    size_t cap; /* 0 or a power of two */
    size_t count;
};

struct parser {
    struct campaign *c;
    const char *path;
    size_t line;
    char *err;
    size_t err_size;
    bool seen_scenario, seen_replications, seen_seed;
    struct name_set grid_names; /* index: the grid's number */
    /* A value quoted in a message: SHOWN_MAX bytes, each at most as \xNN, and "...". */
    char shown[SHOWN_MAX * 4 + 4];
};

static enum campaign_status
invalid(struct parser *p, const char *fmt, ...)
{
    int used = snprintf(p->err, p->err_size, "%s:%zu: ", p->path, p->line);
    if (used >= 0 && (size_t)used < p->err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err + used, p->err_size - (size_t)used, fmt, ap);
        va_end(ap);
    }
    return CAMPAIGN_INVALID;
}

static enum campaign_status
no_memory(struct parser *p)
{
    snprintf(p->err, p->err_size, "%s: out of memory while reading the campaign file", p->path);
    return CAMPAIGN_NO_MEMORY;
}

/*
 * Return [s, s + n) as a message shows it: at most SHOWN_MAX bytes, with
 * "..." after a longer value, and every byte outside printable ASCII as
 * \xNN.  Control characters, NUL bytes or a byte order mark in the file
 * then neither garble the message nor hide in it.  The text stays valid
 * until the next call.
 */
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

/* FNV-1a, 64 bits. */
static uint64_t
hash_bytes(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* The entry equal to [s, s + n), or the free slot where it belongs. */
static struct name_entry *
name_slot(const struct name_set *set, const char *s, size_t n)
{
    size_t i = (size_t)hash_bytes(s, n) & (set->cap - 1);
    while (set->slots[i].s && !(set->slots[i].n == n && memcmp(set->slots[i].s, s, n) == 0))
        i = (i + 1) & (set->cap - 1);
    return &set->slots[i];
}

/* The entry equal to [s, s + n), or NULL. */
static const struct name_entry *
name_find(const struct name_set *set, const char *s, size_t n)
{
    if (set->cap == 0)
        return NULL;
    const struct name_entry *e = name_slot(set, s, n);
    return e->s ? e : NULL;
}

/* Add [s, s + n), which is not in the set yet.  Returns false when out of memory. */
static bool
name_add(struct name_set *set, const char *s, size_t n, size_t index)
{
    /* Keep at most half of the slots used, so that probes stay short. */
    if (set->count + 1 > set->cap / 2) {
        size_t cap = set->cap ? set->cap * 2 : 16;
        struct name_set grown = {.slots = calloc(cap, sizeof *grown.slots), .cap = cap};
        if (!grown.slots)
            return false;
        for (size_t i = 0; i < set->cap; i++)
            if (set->slots[i].s)
                *name_slot(&grown, set->slots[i].s, set->slots[i].n) = set->slots[i];
        grown.count = set->count;
        free(set->slots);
        *set = grown;
    }
    *name_slot(set, s, n) = (struct name_entry){.s = s, .n = n, .index = index};
    set->count++;
    return true;
}

static void
name_set_free(struct name_set *set)
{
    free(set->slots);
    memset(set, 0, sizeof *set);
}

static bool
is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* Trim whitespace from both ends of [*s, *s + *n). */
static void
trim(const char **s, size_t *n)
{
    while (*n > 0 && is_space(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && is_space((*s)[*n - 1]))
        (*n)--;
}

/* The next whitespace-separated token of [*s, end), or false at the end. */
static bool
next_token(const char **s, const char *end, const char **tok, size_t *tok_len)
{
    while (*s < end && is_space(**s))
        (*s)++;
    if (*s == end)
        return false;
    *tok = *s;
    while (*s < end && !is_space(**s))
        (*s)++;
    *tok_len = (size_t)(*s - *tok);
    return true;
}

/* An option name as ns-3's command line takes it: a letter, then letters, digits, '_', '-', ':' or
 * '.'. */
static bool
valid_option_name(const char *s, size_t n)
{
    if (n == 0 || !isalpha((unsigned char)s[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("_-:.", s[i]))
            return false;
    return true;
}

static bool
reserved(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof reserved_options / sizeof reserved_options[0]; i++)
        if (strlen(reserved_options[i]) == n && memcmp(reserved_options[i], s, n) == 0)
            return true;
    return false;
}

/* Length of the option name in a fixed token "--NAME=VALUE" or "--NAME". */
static size_t
option_name_length(const char *tok, size_t n)
{
    const char *eq = memchr(tok, '=', n);
    return (eq ? (size_t)(eq - tok) : n) - 2;
}

/*
 * Append elem to the array *arrayp of *count elements.  The array has room
 * for *count rounded up to a power of two, so it grows only when *count is
 * 0 or a power of two.  Growing by one element each time would copy the
 * array once per element, which is quadratic where realloc cannot grow in
 * place (always under AddressSanitizer).
 */
static bool
append(void *arrayp, size_t *count, size_t elem_size, const void *elem)
{
    void **array = arrayp;
    size_t n = *count;
    if ((n & (n - 1)) == 0) {
        size_t cap = n ? 2 * n : 1;
        void *grown = cap <= SIZE_MAX / elem_size ? realloc(*array, cap * elem_size) : NULL;
        if (!grown)
            return false;
        *array = grown;
    }
    memcpy((char *)*array + n * elem_size, elem, elem_size);
    *count = n + 1;
    return true;
}

static enum campaign_status
parse_number(struct parser *p, const char *key, const char *v, size_t n, unsigned long max,
             unsigned long *out)
{
    char buf[32];
    bool digits = n > 0 && n < sizeof buf;
    for (size_t i = 0; digits && i < n; i++)
        digits = isdigit((unsigned char)v[i]);
    unsigned long value = 0;
    if (digits) {
        memcpy(buf, v, n);
        buf[n] = '\0';
        errno = 0;
        value = strtoul(buf, NULL, 10);
    }
    if (!digits || errno == ERANGE || value < 1 || value > max)
        return invalid(p, "invalid %s '%s': expected a whole number from 1 to %lu", key,
                       shown(p, v, n), max);
    *out = value;
    return CAMPAIGN_OK;
}

static enum campaign_status
parse_fixed(struct parser *p, const char *v, size_t n)
{
    const char *s = v, *end = v + n, *tok;
    size_t len;
    while (next_token(&s, end, &tok, &len)) {
        if (len < 3 || tok[0] != '-' || tok[1] != '-' ||
            !valid_option_name(tok + 2, option_name_length(tok, len)))
            return invalid(p,
                           "invalid fixed option '%s': write scenario options as "
                           "--name=value, separated by spaces",
                           shown(p, tok, len));
        if (reserved(tok + 2, option_name_length(tok, len)))
            return invalid(p,
                           "fixed option '%s' is set by the campaign: use the 'seed' "
                           "and 'replications' lines instead; --output is DIR/<run>.db",
                           shown(p, tok, len));
        char *copy = strndup(tok, len);
        if (!copy || !append(&p->c->fixed, &p->c->fixed_count, sizeof copy, &copy)) {
            free(copy);
            return no_memory(p);
        }
    }
    return CAMPAIGN_OK;
}

static enum campaign_status
parse_grid(struct parser *p, const char *name, size_t name_len, const char *v, size_t n)
{
    struct campaign *c = p->c;
    if (!valid_option_name(name, name_len))
        return invalid(p,
                       "invalid grid name '%s': expected one scenario option name "
                       "without '--', as in 'grid speed = 5 10'",
                       shown(p, name, name_len));
    if (reserved(name, name_len))
        return invalid(p,
                       "grid '%s' is set by the campaign: use the 'seed' and "
                       "'replications' lines instead",
                       shown(p, name, name_len));
    if (name_find(&p->grid_names, name, name_len))
        return invalid(p, "grid '%s' appears twice: put all its values on one line",
                       shown(p, name, name_len));

    struct campaign_grid grid = {.name = strndup(name, name_len)};
    if (!grid.name || !append(&c->grids, &c->grid_count, sizeof grid, &grid)) {
        free(grid.name);
        return no_memory(p);
    }
    struct campaign_grid *g = &c->grids[c->grid_count - 1];
    if (!name_add(&p->grid_names, g->name, name_len, c->grid_count - 1))
        return no_memory(p);

    /* The values are borrowed from the text until the line is checked. */
    struct name_set values = {0};
    enum campaign_status status = CAMPAIGN_OK;
    const char *s = v, *end = v + n, *tok;
    size_t len;
    while (status == CAMPAIGN_OK && next_token(&s, end, &tok, &len)) {
        if (name_find(&values, tok, len)) {
            status = invalid(p, "grid '%s' has the value '%s' twice: list each value once", g->name,
                             shown(p, tok, len));
            break;
        }
        char *copy = strndup(tok, len);
        if (!copy || !append(&g->values, &g->count, sizeof copy, &copy)) {
            free(copy);
            status = no_memory(p);
        } else if (!name_add(&values, tok, len, g->count - 1)) {
            status = no_memory(p);
        }
    }
    name_set_free(&values);
    if (status == CAMPAIGN_OK && g->count == 0)
        status = invalid(p, "grid '%s' has no values: list them after '='", g->name);
    return status;
}

/* Parse one line without its newline. */
static enum campaign_status
parse_line(struct parser *p, const char *s, size_t n)
{
    struct campaign *c = p->c;
    trim(&s, &n);
    if (n == 0 || s[0] == '#')
        return CAMPAIGN_OK;
    if (memchr(s, '\0', n))
        return invalid(p, "the line contains a NUL byte: the campaign file must be text");

    const char *eq = memchr(s, '=', n);
    if (!eq)
        return invalid(p,
                       "missing '=' in '%s': write 'key = value' (keys: scenario, "
                       "replications, seed, fixed, grid NAME)",
                       shown(p, s, n));
    const char *key = s, *value = eq + 1;
    size_t key_len = (size_t)(eq - s), value_len = n - key_len - 1;
    trim(&key, &key_len);
    trim(&value, &value_len);

    if (key_len > 4 && memcmp(key, "grid", 4) == 0 && is_space(key[4])) {
        const char *name = key + 4;
        size_t name_len = key_len - 4;
        trim(&name, &name_len);
        return parse_grid(p, name, name_len, value, value_len);
    }
    if (key_len == 5 && memcmp(key, "fixed", 5) == 0)
        return parse_fixed(p, value, value_len);

    bool *seen = NULL;
    if (key_len == 8 && memcmp(key, "scenario", 8) == 0)
        seen = &p->seen_scenario;
    else if (key_len == 12 && memcmp(key, "replications", 12) == 0)
        seen = &p->seen_replications;
    else if (key_len == 4 && memcmp(key, "seed", 4) == 0)
        seen = &p->seen_seed;
    else
        return invalid(p,
                       "unknown key '%s': expected scenario, replications, seed, fixed "
                       "or grid NAME",
                       shown(p, key, key_len));
    if (*seen)
        return invalid(p, "'%.*s' appears twice: keep one line", (int)key_len, key);
    *seen = true;
    if (value_len == 0)
        return invalid(p, "missing value after '%.*s ='", (int)key_len, key);

    if (seen == &p->seen_replications)
        return parse_number(p, "replications", value, value_len, CAMPAIGN_MAX_REPLICATIONS,
                            &c->replications);
    if (seen == &p->seen_seed)
        return parse_number(p, "seed", value, value_len, 4294967295UL, &c->seed);

    for (size_t i = 0; i < value_len; i++)
        if (is_space(value[i]))
            return invalid(p,
                           "invalid scenario '%s': expected one program path without "
                           "spaces; put options on a 'fixed' line",
                           shown(p, value, value_len));
    c->scenario = strndup(value, value_len);
    return c->scenario ? CAMPAIGN_OK : no_memory(p);
}

/* Checks that need the whole file: the scenario line, grid names in fixed, the run count. */
static enum campaign_status
check_campaign(struct parser *p)
{
    struct campaign *c = p->c;
    if (!p->seen_scenario) {
        snprintf(p->err, p->err_size,
                 "%s: missing scenario: add a line 'scenario = PROGRAM', e.g. "
                 "'scenario = build/mip6sec-handoff'",
                 p->path);
        return CAMPAIGN_INVALID;
    }
    /* Name the first grid line that a fixed option repeats, and the first such option. */
    size_t grid = c->grid_count, fixed = 0;
    for (size_t f = 0; f < c->fixed_count; f++) {
        const char *opt = c->fixed[f];
        const struct name_entry *e =
            name_find(&p->grid_names, opt + 2, option_name_length(opt, strlen(opt)));
        if (e && e->index < grid) {
            grid = e->index;
            fixed = f;
        }
    }
    if (grid < c->grid_count) {
        const char *opt = c->fixed[fixed];
        snprintf(p->err, p->err_size, "%s: option --%s is both fixed ('%s') and a grid: remove one",
                 p->path, c->grids[grid].name, shown(p, opt, strlen(opt)));
        return CAMPAIGN_INVALID;
    }

    size_t configs = 1;
    for (size_t g = 0; g < c->grid_count; g++) {
        if (c->grids[g].count > CAMPAIGN_MAX_RUNS / configs) {
            configs = CAMPAIGN_MAX_RUNS + 1;
            break;
        }
        configs *= c->grids[g].count;
    }
    if (configs > CAMPAIGN_MAX_RUNS || c->replications > CAMPAIGN_MAX_RUNS / configs) {
        snprintf(p->err, p->err_size,
                 "%s: the campaign has more than %lu runs: use fewer grid values or "
                 "replications, or split it into several campaigns",
                 p->path, CAMPAIGN_MAX_RUNS);
        return CAMPAIGN_INVALID;
    }
    c->config_count = configs;
    c->run_count = configs * c->replications;
    return CAMPAIGN_OK;
}

enum campaign_status
campaign_parse(struct campaign *c, const char *path, const char *text, size_t len, char *err,
               size_t err_size)
{
    memset(c, 0, sizeof *c);
    c->replications = 1;
    c->seed = 1;
    struct parser p = {.c = c, .path = path, .err = err, .err_size = err_size};
    enum campaign_status status = CAMPAIGN_OK;

    c->path = strdup(path);
    if (!c->path)
        status = no_memory(&p);
    const char *s = text, *end = text + len;
    while (status == CAMPAIGN_OK && s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *line_end = nl ? nl : end;
        p.line++;
        status = parse_line(&p, s, (size_t)(line_end - s));
        s = nl ? nl + 1 : end;
    }
    if (status == CAMPAIGN_OK)
        status = check_campaign(&p);
    name_set_free(&p.grid_names);

    if (status != CAMPAIGN_OK)
        campaign_free(c);
    return status;
}

enum campaign_status
campaign_load(struct campaign *c, const char *path, char *err, size_t err_size)
{
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_size, "%s: cannot open the campaign file: %s", path, strerror(errno));
        return CAMPAIGN_IO_ERROR;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    enum campaign_status status = CAMPAIGN_OK;
    for (;;) {
        if (len == cap) {
            char *grown = cap < (64u << 20) ? realloc(text, cap ? cap * 2 : 4096) : NULL;
            if (!grown) {
                snprintf(err, err_size,
                         "%s: the campaign file is too large (64 MiB or more) or memory ran out",
                         path);
                status = CAMPAIGN_NO_MEMORY;
                break;
            }
            text = grown;
            cap = cap ? cap * 2 : 4096;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (status == CAMPAIGN_OK && ferror(f)) {
        snprintf(err, err_size, "%s: cannot read the campaign file: %s", path, strerror(errno));
        status = CAMPAIGN_IO_ERROR;
    }
    fclose(f);
    if (status == CAMPAIGN_OK)
        status = campaign_parse(c, path, text, len, err, err_size);
    free(text);
    return status;
}

void
campaign_free(struct campaign *c)
{
    for (size_t g = 0; g < c->grid_count; g++) {
        for (size_t i = 0; i < c->grids[g].count; i++)
            free(c->grids[g].values[i]);
        free(c->grids[g].values);
        free(c->grids[g].name);
    }
    for (size_t f = 0; f < c->fixed_count; f++)
        free(c->fixed[f]);
    free(c->grids);
    free(c->fixed);
    free(c->scenario);
    free(c->path);
    memset(c, 0, sizeof *c);
}

void
campaign_run_at(const struct campaign *c, size_t index, size_t *config, unsigned long *replication)
{
    *config = index / c->replications;
    *replication = (unsigned long)(index % c->replications) + 1;
}

const char *
campaign_value(const struct campaign *c, size_t config, size_t g)
{
    /* The last grid varies fastest, as in nested loops over the lines in file order. */
    for (size_t later = c->grid_count; later-- > g + 1;)
        config /= c->grids[later].count;
    return c->grids[g].values[config % c->grids[g].count];
}

void
campaign_run_name(size_t config, unsigned long replication, char *buf, size_t size)
{
    snprintf(buf, size, "config%zu-run%lu", config, replication);
}

/*
 * The value of every grid in configuration config, in grid order, as a
 * new array, or NULL when out of memory.  It takes one pass from the last
 * grid, where campaign_value per grid would take time quadratic in the
 * grid count.
 */
static const char **
grid_values(const struct campaign *c, size_t config)
{
    const char **values = malloc((c->grid_count + 1) * sizeof *values);
    if (!values)
        return NULL;
    for (size_t g = c->grid_count; g-- > 0;) {
        values[g] = c->grids[g].values[config % c->grids[g].count];
        config /= c->grids[g].count;
    }
    return values;
}

char *
campaign_label(const struct campaign *c, size_t config)
{
    if (c->grid_count == 0)
        return strdup("(no grid)");
    const char **values = grid_values(c, config);
    if (!values)
        return NULL;
    size_t size = 1;
    for (size_t g = 0; g < c->grid_count; g++)
        size += strlen(c->grids[g].name) + strlen(values[g]) + 2;
    char *label = malloc(size);
    size_t used = 0;
    for (size_t g = 0; label && g < c->grid_count; g++)
        used += (size_t)snprintf(label + used, size - used, "%s%s=%s", g ? " " : "",
                                 c->grids[g].name, values[g]);
    free(values);
    return label;
}

void
campaign_free_argv(char **argv)
{
    if (!argv)
        return;
    for (char **a = argv; *a; a++)
        free(*a);
    free(argv);
}

char **
campaign_argv(const struct campaign *c, size_t config, unsigned long replication,
              const char *db_path)
{
    size_t argc = 1 + c->fixed_count + c->grid_count + 3;
    char **argv = calloc(argc + 1, sizeof *argv);
    const char **grid_value = grid_values(c, config);
    if (!argv || !grid_value) {
        free(argv);
        free(grid_value);
        return NULL;
    }
    size_t i = 0;
    bool ok = (argv[i++] = strdup(c->scenario)) != NULL;
    for (size_t f = 0; ok && f < c->fixed_count; f++)
        ok = (argv[i++] = strdup(c->fixed[f])) != NULL;
    for (size_t g = 0; ok && g < c->grid_count; g++) {
        const char *value = grid_value[g];
        size_t size = strlen(c->grids[g].name) + strlen(value) + 4;
        ok = (argv[i] = malloc(size)) != NULL;
        if (ok)
            snprintf(argv[i++], size, "--%s=%s", c->grids[g].name, value);
    }
    const char *formats[] = {"--seed=%lu", "--run=%lu"};
    unsigned long values[] = {c->seed, replication};
    for (size_t k = 0; ok && k < 2; k++) {
        ok = (argv[i] = malloc(32)) != NULL;
        if (ok)
            snprintf(argv[i++], 32, formats[k], values[k]);
    }
    if (ok) {
        size_t size = strlen(db_path) + sizeof "--output=";
        ok = (argv[i] = malloc(size)) != NULL;
        if (ok)
            snprintf(argv[i++], size, "--output=%s", db_path);
    }
    free(grid_value);
    if (!ok) {
        campaign_free_argv(argv);
        return NULL;
    }
    return argv;
}
