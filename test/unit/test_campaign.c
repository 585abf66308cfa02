/*
 * test_campaign.c - the campaign file parser, run naming and argument
 * vectors, and the campaign statistics against known values.
 *
 * The expected statistics were computed with R 4.2 (Debian 12):
 *   x <- c(1, 2, 3, 4, 5); m <- mean(x); h <- qt(0.975, 4) * sd(x) / sqrt(5)
 *   c(m - h, m + h)                  # 1.03675683852244 4.96324316147756
 *   quantile(x, c(.05, .95))         # 1.2 4.8
 *   y <- c(1.04, 1.08, 1.12, 0.98, 1.31, 1.05, 1.07)
 *   c(mean(y), sd(y))                # 1.092857142857143 0.104835472004833
 *   m <- mean(y); h <- qt(0.975, 6) * sd(y) / sqrt(7); c(m - h, m + h)
 *                                    # 0.995900502300558 1.189813783413728
 *   quantile(y, c(.05, .5, .95))     # 0.998 1.070 1.253
 * and by hand for x: sd = sqrt(2.5) = 1.5811388, t(0.975, 4) = 2.776445
 * from a t table, half width 2.776445 * 1.5811388 / sqrt(5) = 1.963243.
 */
#define _POSIX_C_SOURCE 200809L

#include "campaign_file.h"
#include "campaign_stats.h"
#include "check.h"

#include <math.h>
#include <stdlib.h>

#define CHECK_NEAR(actual, expected, tolerance) CHECK(fabs((actual) - (expected)) <= (tolerance))

static enum campaign_status
parse(struct campaign *c, const char *text, char *err, size_t size)
{
    err[0] = '\0';
    return campaign_parse(c, "test.campaign", text, strlen(text), err, size);
}

static void
parser_reads_full_file(void)
{
    const char *text = "# handoff latency over speed and keying\n"
                       "scenario = build/mip6sec-handoff\n"
                       "replications = 10\r\n"
                       "  seed=7  \n"
                       "\n"
                       "fixed = --duration=25 --raMin=30\n"
                       "fixed = --raMax=70\n"
                       "grid speed = 5 10 20\n"
                       "grid\tkeying =  manual   ikev2\n";
    struct campaign c;
    char err[512];
    CHECK_EQ_INT(parse(&c, text, err, sizeof err), CAMPAIGN_OK);
    CHECK(strcmp(c.scenario, "build/mip6sec-handoff") == 0);
    CHECK_EQ_INT(c.replications, 10);
    CHECK_EQ_INT(c.seed, 7);
    CHECK_EQ_INT(c.fixed_count, 3);
    CHECK(strcmp(c.fixed[2], "--raMax=70") == 0);
    CHECK_EQ_INT(c.grid_count, 2);
    CHECK(strcmp(c.grids[1].name, "keying") == 0);
    CHECK_EQ_INT(c.grids[1].count, 2);
    CHECK_EQ_INT(c.config_count, 6);
    CHECK_EQ_INT(c.run_count, 60);
    campaign_free(&c);
}

static void
parser_defaults_without_grid(void)
{
    struct campaign c;
    char err[512];
    CHECK_EQ_INT(parse(&c, "scenario = mip6sec-handoff", err, sizeof err), CAMPAIGN_OK);
    CHECK_EQ_INT(c.replications, 1);
    CHECK_EQ_INT(c.seed, 1);
    CHECK_EQ_INT(c.config_count, 1);
    CHECK_EQ_INT(c.run_count, 1);
    char *label = campaign_label(&c, 0);
    CHECK(strcmp(label, "(no grid)") == 0);
    free(label);
    campaign_free(&c);
}

/* Each kind of bad line, with the line number and a word the message must contain. */
static void
parser_rejects_bad_lines(void)
{
    static const struct {
        const char *text;
        const char *expected; /* substring of the message, which starts with the location */
    } cases[] = {
        {"scenario = a\nreplications\n", "test.campaign:2: missing '='"},
        {"scenario = a\ncolour = red\n", "test.campaign:2: unknown key 'colour'"},
        {"scenario = a\nscenario = b\n", "test.campaign:2: 'scenario' appears twice"},
        {"scenario = a\nreplications = 0\n", "test.campaign:2: invalid replications '0'"},
        {"scenario = a\nreplications = ten\n", "invalid replications 'ten'"},
        {"scenario = a\nreplications = -3\n", "invalid replications '-3'"},
        {"scenario = a\nreplications = 99999999999999999999999\n", "invalid replications"},
        {"scenario = a\nreplications = 1000001\n", "from 1 to 1000000"},
        {"scenario = a\nseed = 4294967296\n", "test.campaign:2: invalid seed '4294967296'"},
        {"scenario = a\nseed =\n", "test.campaign:2: missing value after 'seed ='"},
        {"scenario = a b\n", "test.campaign:1: invalid scenario 'a b'"},
        {"scenario = a\rb c\n", "test.campaign:1: invalid scenario 'a\\x0db c'"},
        {"\xef\xbb\xbfscenario = a\n", "test.campaign:1: unknown key '\\xef\\xbb\\xbfscenario'"},
        {"scenario = a\nfixed = duration=25\n", "test.campaign:2: invalid fixed option"},
        {"scenario = a\nfixed = --=3\n", "invalid fixed option '--=3'"},
        {"scenario = a\nfixed = --run=3\n", "test.campaign:2: fixed option '--run=3' is set by"},
        {"scenario = a\nfixed = --output=x.db\n", "fixed option '--output=x.db' is set by"},
        {"scenario = a\ngrid seed = 1 2\n", "test.campaign:2: grid 'seed' is set by"},
        {"scenario = a\ngrid = 1 2\n", "test.campaign:2: unknown key 'grid'"},
        {"scenario = a\ngrid 5x = 1 2\n", "test.campaign:2: invalid grid name '5x'"},
        {"scenario = a\ngrid two words = 1\n", "invalid grid name 'two words'"},
        {"scenario = a\ngrid speed =\n", "test.campaign:2: grid 'speed' has no values"},
        {"scenario = a\ngrid speed = 5 5\n", "grid 'speed' has the value '5' twice"},
        {"scenario = a\ngrid speed = 5\ngrid speed = 6\n", "test.campaign:3: grid 'speed' appears"},
        {"replications = 2\n", "test.campaign: missing scenario"},
        {"", "missing scenario"},
        {"scenario = a\nfixed = --speed=5\ngrid speed = 1 2\n",
         "both fixed ('--speed=5') and a grid"},
        {"scenario = a\nreplications = 1000000\ngrid a = 1 2 3 4 5 6 7 8 9 10 11\n",
         "more than 10000000 runs"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct campaign c;
        char err[512];
        enum campaign_status status = parse(&c, cases[i].text, err, sizeof err);
        CHECK_EQ_INT(status, CAMPAIGN_INVALID);
        if (!strstr(err, cases[i].expected)) {
            fprintf(stderr, "case %zu: message '%s' lacks '%s'\n", i, err, cases[i].expected);
            check_failures++;
        }
        CHECK(c.scenario == NULL);
        CHECK(c.grids == NULL);
        CHECK(c.fixed == NULL);
    }
}

static void
parser_rejects_nul_byte(void)
{
    const char text[] = "scenario = a\nseed = 1\0 2\n";
    struct campaign c;
    char err[512];
    CHECK_EQ_INT(campaign_parse(&c, "nul.campaign", text, sizeof text - 1, err, sizeof err),
                 CAMPAIGN_INVALID);
    CHECK(strstr(err, "nul.campaign:2: the line contains a NUL byte") != NULL);
}

static void
parser_survives_long_line(void)
{
    size_t n = 1 << 20;
    char *text = malloc(n + 32);
    memcpy(text, "scenario = ", 11);
    memset(text + 11, 'x', n);
    memcpy(text + 11 + n, " y\n", 3);
    struct campaign c;
    char err[256];
    CHECK_EQ_INT(campaign_parse(&c, "long.campaign", text, 11 + n + 3, err, sizeof err),
                 CAMPAIGN_INVALID);
    CHECK(strlen(err) < sizeof err);
    CHECK(strstr(err, "long.campaign:1: invalid scenario") != NULL);
    CHECK(strstr(err, "xxx...'") != NULL);
    free(text);
}

/* A growing text buffer for the large campaigns below. */
struct text {
    char *buf;
    size_t len, cap;
};

static void
text_add(struct text *t, const char *fmt, unsigned long n)
{
    char line[64];
    int len = snprintf(line, sizeof line, fmt, n);
    if (t->len + (size_t)len + 1 > t->cap) {
        t->cap = (t->len + (size_t)len + 1) * 2;
        t->buf = realloc(t->buf, t->cap);
        if (!t->buf)
            abort();
    }
    memcpy(t->buf + t->len, line, (size_t)len + 1);
    t->len += (size_t)len;
}

/*
 * A million values on one grid line and 200000 grid lines.  Both are valid
 * campaigns, and the duplicate checks, labels and argument vectors take
 * linear time on them.  ctest stops the test after 60 s, so a quadratic
 * check, which takes minutes here, fails it.
 */
static void
parser_handles_large_grids(void)
{
    struct text t = {0};
    struct campaign c;
    char err[512];

    text_add(&t, "scenario = s\ngrid speed =", 0);
    for (unsigned long i = 0; i < 1000000; i++)
        text_add(&t, " %lu", i);
    text_add(&t, "\n", 0);
    CHECK_EQ_INT(campaign_parse(&c, "test.campaign", t.buf, t.len, err, sizeof err), CAMPAIGN_OK);
    CHECK_EQ_INT(c.config_count, 1000000);
    CHECK(strcmp(campaign_value(&c, 999999, 0), "999999") == 0);
    campaign_free(&c);

    /* The same line with the first value repeated at the end. */
    t.len -= 1;
    text_add(&t, " 0\n", 0);
    CHECK_EQ_INT(campaign_parse(&c, "test.campaign", t.buf, t.len, err, sizeof err),
                 CAMPAIGN_INVALID);
    CHECK(strstr(err, "test.campaign:2: grid 'speed' has the value '0' twice") != NULL);

    t.len = 0;
    text_add(&t, "scenario = s\n", 0);
    for (unsigned long i = 0; i < 200000; i++)
        text_add(&t, "grid o%lu = v\n", i);
    text_add(&t, "grid last = a b\n", 0);
    CHECK_EQ_INT(campaign_parse(&c, "test.campaign", t.buf, t.len, err, sizeof err), CAMPAIGN_OK);
    CHECK_EQ_INT(c.grid_count, 200001);
    CHECK_EQ_INT(c.config_count, 2);
    char *label = campaign_label(&c, 1);
    CHECK(label != NULL);
    if (label) {
        CHECK(strncmp(label, "o0=v o1=v ", 10) == 0);
        CHECK(strcmp(label + strlen(label) - 7, " last=b") == 0);
    }
    free(label);
    char **argv = campaign_argv(&c, 1, 1, "out/config1-run1.db");
    CHECK(argv != NULL);
    if (argv) {
        CHECK(strcmp(argv[1], "--o0=v") == 0);
        CHECK(strcmp(argv[200001], "--last=b") == 0);
    }
    campaign_free_argv(argv);
    campaign_free(&c);

    /* A grid line that repeats the first one, 200000 lines later. */
    text_add(&t, "grid o0 = w\n", 0);
    CHECK_EQ_INT(campaign_parse(&c, "test.campaign", t.buf, t.len, err, sizeof err),
                 CAMPAIGN_INVALID);
    CHECK(strstr(err, "test.campaign:200003: grid 'o0' appears twice") != NULL);
    free(t.buf);
}

static void
runs_follow_grid_order(void)
{
    struct campaign c;
    char err[512];
    const char *text = "scenario = s\nreplications = 2\nseed = 3\nfixed = --duration=8\n"
                       "grid speed = 5 10 20\ngrid keying = manual ikev2\n";
    CHECK_EQ_INT(parse(&c, text, err, sizeof err), CAMPAIGN_OK);

    /* The last grid varies fastest, replications fastest of all. */
    size_t config;
    unsigned long replication;
    campaign_run_at(&c, 0, &config, &replication);
    CHECK_EQ_INT(config, 0);
    CHECK_EQ_INT(replication, 1);
    campaign_run_at(&c, 7, &config, &replication);
    CHECK_EQ_INT(config, 3);
    CHECK_EQ_INT(replication, 2);
    CHECK(strcmp(campaign_value(&c, 3, 0), "10") == 0);
    CHECK(strcmp(campaign_value(&c, 3, 1), "ikev2") == 0);
    CHECK(strcmp(campaign_value(&c, 4, 0), "20") == 0);
    CHECK(strcmp(campaign_value(&c, 4, 1), "manual") == 0);

    char *label = campaign_label(&c, 3);
    CHECK(strcmp(label, "speed=10 keying=ikev2") == 0);
    free(label);
    char name[64];
    campaign_run_name(3, 2, name, sizeof name);
    CHECK(strcmp(name, "config3-run2") == 0);

    char **argv = campaign_argv(&c, 3, 2, "out/config3-run2.db");
    const char *expected[] = {"s",
                              "--duration=8",
                              "--speed=10",
                              "--keying=ikev2",
                              "--seed=3",
                              "--run=2",
                              "--output=out/config3-run2.db"};
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        CHECK(argv[i] != NULL);
        if (argv[i] && strcmp(argv[i], expected[i]) != 0) {
            fprintf(stderr, "argv[%zu] is '%s', expected '%s'\n", i, argv[i], expected[i]);
            check_failures++;
        }
    }
    CHECK(argv[sizeof expected / sizeof expected[0]] == NULL);
    campaign_free_argv(argv);
    campaign_free(&c);
}

static void
stats_match_r_for_one_to_five(void)
{
    double v[] = {5, 3, 1, 4, 2};
    struct summary s;
    summary_compute(v, 5, &s);
    CHECK_EQ_INT(s.n, 5);
    CHECK_NEAR(s.mean, 3.0, 1e-12);
    CHECK_NEAR(s.median, 3.0, 1e-12);
    CHECK_NEAR(s.p5, 1.2, 1e-12);
    CHECK_NEAR(s.p95, 4.8, 1e-12);
    CHECK_NEAR(s.sd, sqrt(2.5), 1e-12);
    CHECK_NEAR(s.ci_low, 1.03675683852244, 1e-9);
    CHECK_NEAR(s.ci_high, 4.96324316147756, 1e-9);
}

static void
stats_match_r_for_latencies(void)
{
    double v[] = {1.04, 1.08, 1.12, 0.98, 1.31, 1.05, 1.07};
    struct summary s;
    summary_compute(v, 7, &s);
    CHECK_NEAR(s.mean, 1.092857142857143, 1e-12);
    CHECK_NEAR(s.sd, 0.104835472004833, 1e-12);
    CHECK_NEAR(s.median, 1.07, 1e-12);
    CHECK_NEAR(s.p5, 0.998, 1e-12);
    CHECK_NEAR(s.p95, 1.253, 1e-12);
    CHECK_NEAR(s.ci_low, 0.995900502300558, 1e-9);
    CHECK_NEAR(s.ci_high, 1.189813783413728, 1e-9);
}

static void
stats_small_samples(void)
{
    struct summary s;
    summary_compute(NULL, 0, &s);
    CHECK_EQ_INT(s.n, 0);
    CHECK(isnan(s.mean));
    CHECK(isnan(s.sd));
    CHECK(isnan(s.ci_low));

    double one[] = {1.5};
    summary_compute(one, 1, &s);
    CHECK_NEAR(s.mean, 1.5, 1e-12);
    CHECK_NEAR(s.p95, 1.5, 1e-12);
    CHECK(isnan(s.sd));
    CHECK(isnan(s.ci_low));
    CHECK(isnan(s.ci_high));

    /* Two equal values: sd 0, so the interval collapses onto the mean. */
    double two[] = {2.0, 2.0};
    summary_compute(two, 2, &s);
    CHECK_NEAR(s.sd, 0.0, 1e-12);
    CHECK_NEAR(s.ci_low, 2.0, 1e-12);
    CHECK_NEAR(s.ci_high, 2.0, 1e-12);
}

CHECK_MAIN(TEST(parser_reads_full_file), TEST(parser_defaults_without_grid),
           TEST(parser_rejects_bad_lines), TEST(parser_rejects_nul_byte),
           TEST(parser_survives_long_line), TEST(parser_handles_large_grids),
           TEST(runs_follow_grid_order), TEST(stats_match_r_for_one_to_five),
           TEST(stats_match_r_for_latencies), TEST(stats_small_samples))
