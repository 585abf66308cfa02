/*
 * fuzz_campaign_file.c - the campaign file parser and what
 * mip6sec-campaign does with a parsed campaign.
 *
 * Input: any bytes, read as the text of a campaign file.
 *
 * Oracle:
 *   - campaign_parse returns CAMPAIGN_OK, CAMPAIGN_INVALID or
 *     CAMPAIGN_NO_MEMORY.  An error leaves the campaign zeroed and writes
 *     one line of printable ASCII that starts with "fuzz:LINE: ", LINE
 *     inside the input, or with "fuzz: " for a check of the whole file;
 *   - a parsed campaign keeps the rules of docs/campaigns.md.  It has one
 *     scenario without spaces and replications and seed in range.  Fixed
 *     options and grid names are option names, and grid values are
 *     distinct.  config_count is the product of the grid sizes, and
 *     run_count is at most CAMPAIGN_MAX_RUNS;
 *   - for the first, the last and some middle runs, campaign_run_at and
 *     campaign_argv give a configuration, replication and grid values
 *     from which the run index can be computed again.  campaign_value,
 *     campaign_label and campaign_run_name agree with them;
 *   - the campaign written back as text parses into the same campaign.
 */
#include <stdbool.h>
#include <string.h>

#include "campaign_file.h"
#include "fuzz.h"

#define SOURCE "fuzz"
/* Runs checked at each end of the run list and in the middle, and grids checked at each end. */
#define RUN_SAMPLES 8

static size_t
count_lines(const uint8_t *data, size_t size)
{
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    return lines;
}

static bool
has_space(const char *s)
{
    return strpbrk(s, " \t\r\v\f\n") != NULL;
}

static bool
all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

static void
check_error(enum campaign_status st, const struct campaign *c, const char *err, size_t lines)
{
    FUZZ_ASSERT(st == CAMPAIGN_INVALID || st == CAMPAIGN_NO_MEMORY);
    FUZZ_ASSERT(all_zero(c, sizeof *c));
    for (const char *ch = err; *ch; ch++)
        FUZZ_ASSERT(*ch >= 0x20 && *ch < 0x7f);
    FUZZ_ASSERT(strncmp(err, SOURCE ":", strlen(SOURCE ":")) == 0);

    const char *rest = err + strlen(SOURCE ":");
    if (rest[0] == ' ') {
        FUZZ_ASSERT(strlen(rest) > 1);
        return;
    }
    char *end = NULL;
    unsigned long line = strtoul(rest, &end, 10);
    FUZZ_ASSERT(end != rest && end[0] == ':' && end[1] == ' ' && end[2] != '\0');
    FUZZ_ASSERT(line >= 1 && line <= lines);
}

static bool
is_option_name(const char *s, size_t n)
{
    if (n == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return false;
    for (size_t i = 1; i < n; i++) {
        char ch = s[i];
        bool alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (!alnum && !strchr("_-:.", ch))
            return false;
    }
    return true;
}

static size_t
fixed_name_length(const char *opt)
{
    const char *eq = strchr(opt, '=');
    return eq ? (size_t)(eq - opt - 2) : strlen(opt) - 2;
}

static bool
is_reserved(const char *name, size_t n)
{
    static const char *const reserved[] = {"seed", "run", "output", "RngSeed", "RngRun"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strlen(reserved[i]) == n && memcmp(reserved[i], name, n) == 0)
            return true;
    return false;
}

static int
compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort a copy of strings, so that campaigns with many grids or values are checked in n log n. */
static char **
sorted_copy(char *const *strings, size_t n)
{
    char **sorted = malloc((n + 1) * sizeof *sorted);
    FUZZ_ASSERT(sorted != NULL);
    memcpy(sorted, strings, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, compare_strings);
    return sorted;
}

static void
check_distinct(char *const *strings, size_t n)
{
    char **sorted = sorted_copy(strings, n);
    for (size_t i = 1; i < n; i++)
        FUZZ_ASSERT(strcmp(sorted[i - 1], sorted[i]) != 0);
    free(sorted);
}

/* No fixed option sets a grid's option. */
static void
check_fixed_not_grid(const struct campaign *c)
{
    char **names = malloc((c->grid_count + 1) * sizeof *names);
    FUZZ_ASSERT(names != NULL);
    for (size_t g = 0; g < c->grid_count; g++)
        names[g] = c->grids[g].name;
    char **sorted = sorted_copy(names, c->grid_count);
    for (size_t f = 0; f < c->fixed_count; f++) {
        size_t n = fixed_name_length(c->fixed[f]);
        char *name = malloc(n + 1);
        FUZZ_ASSERT(name != NULL);
        memcpy(name, c->fixed[f] + 2, n);
        name[n] = '\0';
        FUZZ_ASSERT(bsearch(&name, sorted, c->grid_count, sizeof *sorted, compare_strings) == NULL);
        free(name);
    }
    free(sorted);
    free(names);
}

static void
check_limits(const struct campaign *c)
{
    FUZZ_ASSERT(c->path != NULL && strcmp(c->path, SOURCE) == 0);
    FUZZ_ASSERT(c->scenario != NULL && c->scenario[0] != '\0' && !has_space(c->scenario));
    FUZZ_ASSERT(c->replications >= 1 && c->replications <= CAMPAIGN_MAX_REPLICATIONS);
    FUZZ_ASSERT(c->seed >= 1 && c->seed <= 4294967295UL);

    for (size_t f = 0; f < c->fixed_count; f++) {
        const char *opt = c->fixed[f];
        FUZZ_ASSERT(strncmp(opt, "--", 2) == 0 && !has_space(opt));
        FUZZ_ASSERT(is_option_name(opt + 2, fixed_name_length(opt)));
        FUZZ_ASSERT(!is_reserved(opt + 2, fixed_name_length(opt)));
    }
    check_fixed_not_grid(c);

    size_t configs = 1;
    char **names = malloc((c->grid_count + 1) * sizeof *names);
    FUZZ_ASSERT(names != NULL);
    for (size_t g = 0; g < c->grid_count; g++) {
        const struct campaign_grid *grid = &c->grids[g];
        size_t name_len = strlen(grid->name);
        FUZZ_ASSERT(is_option_name(grid->name, name_len) && !is_reserved(grid->name, name_len));
        names[g] = grid->name;
        FUZZ_ASSERT(grid->count >= 1);
        for (size_t i = 0; i < grid->count; i++)
            FUZZ_ASSERT(grid->values[i][0] != '\0' && !has_space(grid->values[i]));
        check_distinct(grid->values, grid->count);
        FUZZ_ASSERT(grid->count <= CAMPAIGN_MAX_RUNS / configs);
        configs *= grid->count;
    }
    check_distinct(names, c->grid_count);
    free(names);
    FUZZ_ASSERT(c->config_count == configs);
    FUZZ_ASSERT(c->replications <= CAMPAIGN_MAX_RUNS / configs);
    FUZZ_ASSERT(c->run_count == configs * c->replications);
}

/* The index of the value equal to text in grid g. */
static size_t
value_index(const struct campaign *c, size_t g, const char *text)
{
    for (size_t i = 0; i < c->grids[g].count; i++)
        if (strcmp(c->grids[g].values[i], text) == 0)
            return i;
    FUZZ_ASSERT(!"an argument carries a value that the grid does not have");
    return 0;
}

/*
 * Check the argument vector of one run and return the grid values in it,
 * pointers into argv, which the caller frees with campaign_free_argv.
 */
static char **
check_argv(const struct campaign *c, size_t config, unsigned long replication, const char *db,
           const char **values)
{
    char **argv = campaign_argv(c, config, replication, db);
    FUZZ_ASSERT(argv != NULL);
    size_t i = 0;

    FUZZ_ASSERT(argv[i] && strcmp(argv[i++], c->scenario) == 0);
    for (size_t f = 0; f < c->fixed_count; f++)
        FUZZ_ASSERT(argv[i] && strcmp(argv[i++], c->fixed[f]) == 0);
    for (size_t g = 0; g < c->grid_count; g++) {
        const char *name = c->grids[g].name;
        size_t name_len = strlen(name);
        FUZZ_ASSERT(argv[i] && strncmp(argv[i], "--", 2) == 0);
        FUZZ_ASSERT(strncmp(argv[i] + 2, name, name_len) == 0 && argv[i][2 + name_len] == '=');
        values[g] = argv[i] + 3 + name_len;
        i++;
    }
    char expected[64];
    snprintf(expected, sizeof expected, "--seed=%lu", c->seed);
    FUZZ_ASSERT(argv[i] && strcmp(argv[i++], expected) == 0);
    snprintf(expected, sizeof expected, "--run=%lu", replication);
    FUZZ_ASSERT(argv[i] && strcmp(argv[i++], expected) == 0);
    FUZZ_ASSERT(argv[i] && strncmp(argv[i], "--output=", 9) == 0 && strcmp(argv[i] + 9, db) == 0);
    i++;
    FUZZ_ASSERT(argv[i] == NULL);
    return argv;
}

/* Compare campaign_label with "name=value ..." of the grid values in a run's arguments. */
static void
check_label(const struct campaign *c, size_t config, const char **values)
{
    char *label = campaign_label(c, config);
    FUZZ_ASSERT(label != NULL);
    if (c->grid_count == 0) {
        FUZZ_ASSERT(strcmp(label, "(no grid)") == 0);
        free(label);
        return;
    }
    const char *pos = label;
    for (size_t g = 0; g < c->grid_count; g++) {
        size_t name_len = strlen(c->grids[g].name), value_len = strlen(values[g]);
        if (g) {
            FUZZ_ASSERT(*pos == ' ');
            pos++;
        }
        FUZZ_ASSERT(strncmp(pos, c->grids[g].name, name_len) == 0 && pos[name_len] == '=');
        pos += name_len + 1;
        FUZZ_ASSERT(strncmp(pos, values[g], value_len) == 0);
        pos += value_len;
    }
    FUZZ_ASSERT(*pos == '\0');
    free(label);
}

/* Check one run as the runner and the merge use it. */
static void
check_run(const struct campaign *c, size_t index)
{
    size_t config = 0;
    unsigned long replication = 0;
    campaign_run_at(c, index, &config, &replication);
    FUZZ_ASSERT(config < c->config_count);
    FUZZ_ASSERT(replication >= 1 && replication <= c->replications);
    FUZZ_ASSERT(config * c->replications + (replication - 1) == index);

    /* campaign_run_path formats the name into 64 bytes. */
    char name[64], db[96];
    campaign_run_name(config, replication, name, sizeof name);
    size_t parsed_config = 0;
    unsigned long parsed_replication = 0;
    char tail = 0;
    FUZZ_ASSERT(strlen(name) < sizeof name - 1);
    FUZZ_ASSERT(sscanf(name, "config%zu-run%lu%c", &parsed_config, &parsed_replication, &tail) ==
                2);
    FUZZ_ASSERT(parsed_config == config && parsed_replication == replication);
    snprintf(db, sizeof db, "dir/%s.db", name);

    const char **values = malloc((c->grid_count + 1) * sizeof *values);
    FUZZ_ASSERT(values != NULL);
    char **argv = check_argv(c, config, replication, db, values);

    /* The last grid varies fastest, as in nested loops in file order. */
    size_t again = 0;
    for (size_t g = 0; g < c->grid_count; g++) {
        size_t k = value_index(c, g, values[g]);
        again = again * c->grids[g].count + k;
        /* campaign_value takes time linear in the grid count, so check some grids only. */
        if (g < RUN_SAMPLES || c->grid_count - g <= RUN_SAMPLES)
            FUZZ_ASSERT(campaign_value(c, config, g) == c->grids[g].values[k]);
    }
    FUZZ_ASSERT(again == config);
    check_label(c, config, values);

    campaign_free_argv(argv);
    free(values);
}

static void
check_runs(const struct campaign *c, const uint8_t *data, size_t size)
{
    size_t n = c->run_count;
    for (size_t i = 0; i < RUN_SAMPLES && i < n; i++) {
        check_run(c, i);
        check_run(c, n - 1 - i);
    }
    /* Middle runs chosen by the input, so that large grids are sampled everywhere. */
    size_t hash = 14695981039346656037ULL & SIZE_MAX;
    for (size_t i = 0; i < size; i++)
        hash = (hash ^ data[i]) * 1099511628211ULL;
    for (size_t i = 0; i < RUN_SAMPLES; i++)
        check_run(c, (hash + i * 2654435761ULL) % n);
}

/* Append text at *pos, where the buffer has room for it, and advance *pos. */
static void
put(char **pos, const char *text)
{
    size_t n = strlen(text);
    memcpy(*pos, text, n);
    *pos += n;
    **pos = '\0';
}

/* The campaign as text with one line per key, every fixed option on one line. */
static char *
format_campaign(const struct campaign *c)
{
    size_t size = strlen(c->scenario) + 128;
    for (size_t f = 0; f < c->fixed_count; f++)
        size += strlen(c->fixed[f]) + 1;
    for (size_t g = 0; g < c->grid_count; g++) {
        size += strlen(c->grids[g].name) + 16;
        for (size_t i = 0; i < c->grids[g].count; i++)
            size += strlen(c->grids[g].values[i]) + 1;
    }
    char *text = malloc(size), *pos = text;
    FUZZ_ASSERT(text != NULL);
    char numbers[64];

    put(&pos, "scenario = ");
    put(&pos, c->scenario);
    snprintf(numbers, sizeof numbers, "\nreplications = %lu\nseed = %lu\nfixed =", c->replications,
             c->seed);
    put(&pos, numbers);
    for (size_t f = 0; f < c->fixed_count; f++) {
        put(&pos, " ");
        put(&pos, c->fixed[f]);
    }
    for (size_t g = 0; g < c->grid_count; g++) {
        put(&pos, "\ngrid ");
        put(&pos, c->grids[g].name);
        put(&pos, " =");
        for (size_t i = 0; i < c->grids[g].count; i++) {
            put(&pos, " ");
            put(&pos, c->grids[g].values[i]);
        }
    }
    put(&pos, "\n");
    FUZZ_ASSERT((size_t)(pos - text) < size);
    return text;
}

static void
check_same(const struct campaign *a, const struct campaign *b)
{
    FUZZ_ASSERT(strcmp(a->scenario, b->scenario) == 0);
    FUZZ_ASSERT(a->replications == b->replications && a->seed == b->seed);
    FUZZ_ASSERT(a->fixed_count == b->fixed_count && a->grid_count == b->grid_count);
    for (size_t f = 0; f < a->fixed_count; f++)
        FUZZ_ASSERT(strcmp(a->fixed[f], b->fixed[f]) == 0);
    for (size_t g = 0; g < a->grid_count; g++) {
        FUZZ_ASSERT(strcmp(a->grids[g].name, b->grids[g].name) == 0);
        FUZZ_ASSERT(a->grids[g].count == b->grids[g].count);
        for (size_t i = 0; i < a->grids[g].count; i++)
            FUZZ_ASSERT(strcmp(a->grids[g].values[i], b->grids[g].values[i]) == 0);
    }
    FUZZ_ASSERT(a->config_count == b->config_count && a->run_count == b->run_count);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct campaign c, reparsed;
    char err[512];

    enum campaign_status st = campaign_parse(&c, SOURCE, (const char *)data, size, err, sizeof err);
    if (st != CAMPAIGN_OK) {
        check_error(st, &c, err, count_lines(data, size));
        return 0;
    }
    check_limits(&c);
    check_runs(&c, data, size);

    char *text = format_campaign(&c);
    FUZZ_ASSERT(campaign_parse(&reparsed, SOURCE, text, strlen(text), err, sizeof err) ==
                CAMPAIGN_OK);
    check_same(&c, &reparsed);
    free(text);
    campaign_free(&reparsed);

    campaign_free(&c);
    FUZZ_ASSERT(all_zero(&c, sizeof c));
    return 0;
}
