/*
 * campaign_rekeys.c - rekey statistics per configuration from a campaign
 * database; see campaign_rekeys.h.  The quantities are those of the
 * single-run rekey report (rekeys.c), over the rekeys of all complete
 * replications, each also split by whether the rekey coincided with a
 * handoff.
 */
#define _POSIX_C_SOURCE 200809L

#include "campaign_rekeys.h"

#include "campaign_report.h"
#include "campaign_stats.h"
#include "rekeys.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROGRAM "mip6sec-analysis"
#define EXIT_UNUSABLE 2

/* The quantities, in the order of the columns that load_config selects after the first two. */
enum quantity {
    Q_DURATION,
    Q_IKE,
    Q_ESP_DROPS,
    Q_DROPS,
    Q_HA_OVERLAP,
    Q_MN_OVERLAP,
    Q_COUNT,
};

static const struct {
    const char *label;    /* in the table, as the single-run report names it */
    const char *csv_name; /* in the CSV, with the unit */
    double scale;         /* the column divided by this gives the printed unit */
} quantities[Q_COUNT] = {
    {"duration (ms)", "duration_ms", 1e6},
    {"IKE events", "ike_events", 1},
    {"ESP drops", "esp_drops", 1},
    {"drops at mn and ha", "drops", 1},
    {"overlap at ha (ms)", "ha_overlap_ms", 1e6},
    {"overlap at mn (ms)", "mn_overlap_ms", 1e6},
};

enum subset {
    S_ALL,
    S_HANDOFF,    /* coincided with a handoff */
    S_NO_HANDOFF, /* did not */
    S_COUNT,
};

static const char *const subset_labels[S_COUNT] = {"all", "handoff", "no handoff"};
static const char *const subset_csv_names[S_COUNT] = {"all", "handoff", "no_handoff"};

struct rekey_row {
    bool handoff;
    double v[Q_COUNT]; /* NAN where the rekey table has NULL */
};

struct report {
    sqlite3 *db;
    const char *path;
    bool csv;
    int64_t window_ns;
    struct rekey_row *rows; /* the rekeys of one configuration */
    size_t count, cap;
    double *values; /* room for count values of one sample */
};

static int
db_error(struct report *r, const char *what)
{
    fprintf(stderr, PROGRAM ": %s: %s failed: %s\n", r->path, what, sqlite3_errmsg(r->db));
    return EXIT_UNUSABLE;
}

static int
out_of_memory(void)
{
    fprintf(stderr, PROGRAM ": out of memory\n");
    return EXIT_UNUSABLE;
}

/* Return the integer that a one-row query selects, or -1 when the query fails. */
static int64_t
query_count(struct report *r, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int
append_row(struct report *r, sqlite3_stmt *st)
{
    if (r->count == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        struct rekey_row *rows = realloc(r->rows, cap * sizeof *rows);
        double *values = realloc(r->values, cap * sizeof *values);
        if (rows)
            r->rows = rows;
        if (values)
            r->values = values;
        if (!rows || !values)
            return out_of_memory();
        r->cap = cap;
    }

    struct rekey_row *row = &r->rows[r->count++];
    int64_t start = sqlite3_column_int64(st, 0);
    int64_t last_down =
        sqlite3_column_type(st, 1) == SQLITE_NULL ? HANDOFF_NONE : sqlite3_column_int64(st, 1);
    row->handoff = rekeys_in_handoff(start, last_down, r->window_ns);
    for (int q = 0; q < Q_COUNT; q++) {
        int column = 2 + q;
        if (sqlite3_column_type(st, column) == SQLITE_NULL)
            row->v[q] = NAN;
        else
            row->v[q] = (double)sqlite3_column_int64(st, column) / quantities[q].scale;
    }
    return 0;
}

/* Load the rekeys of one configuration into r->rows. */
static int
load_config(struct report *r, int64_t config)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db,
                           "SELECT start_ns, last_link_down_ns, duration_ns, ike_events,"
                           " esp_drops, drops, ha_overlap_ns, mn_overlap_ns FROM rekey"
                           " WHERE config = ? ORDER BY replication, node, rekey",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(r, "reading the rekey table");
    sqlite3_bind_int64(st, 1, config);

    r->count = 0;
    int status = 0, rc = SQLITE_DONE;
    while (status == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
        status = append_row(r, st);
    if (status == 0 && rc != SQLITE_DONE)
        status = db_error(r, "reading the rekey table");
    sqlite3_finalize(st);
    return status;
}

static bool
in_subset(const struct rekey_row *row, enum subset subset)
{
    if (subset == S_HANDOFF)
        return row->handoff;
    if (subset == S_NO_HANDOFF)
        return !row->handoff;
    return true;
}

/* Summarise quantity q over the rekeys of the subset that recorded it. */
static void
summarise(struct report *r, enum quantity q, enum subset subset, struct summary *s)
{
    size_t n = 0;
    for (size_t i = 0; i < r->count; i++)
        if (in_subset(&r->rows[i], subset) && !isnan(r->rows[i].v[q]))
            r->values[n++] = r->rows[i].v[q];
    summary_compute(r->values, n, s);
}

/*
 * Print the statistics of one configuration.  without_rekey_data counts its
 * complete runs that were recorded before the sa_event table.
 */
static void
print_config(struct report *r, int64_t config, const char *label, int64_t runs, int64_t complete,
             int64_t without_rekey_data)
{
    if (!r->csv) {
        size_t handoff = 0, unfinished = 0;
        for (size_t i = 0; i < r->count; i++) {
            handoff += r->rows[i].handoff;
            unfinished += isnan(r->rows[i].v[Q_DURATION]);
        }
        printf("\nconfiguration %lld: %s\n", (long long)config, label);
        printf("%lld of %lld runs complete, %zu rekeys: %zu coincided with a handoff, %zu did "
               "not",
               (long long)complete, (long long)runs, r->count, handoff, r->count - handoff);
        if (unfinished > 0)
            printf("; %zu never finished, so they have no duration", unfinished);
        if (without_rekey_data > 0)
            printf("\nnote: complete runs recorded before the sa_event table, so without "
                   "rekeys: %lld; rerun them with this version",
                   (long long)without_rekey_data);
        printf("\n%-20s %-10s %5s %9s %9s %9s %9s %9s %21s\n", "quantity", "subset", "n", "mean",
               "median", "p5", "p95", "sd", "95% CI of the mean");
    }

    for (int q = 0; q < Q_COUNT; q++) {
        for (int subset = 0; subset < S_COUNT; subset++) {
            struct summary s;
            summarise(r, (enum quantity)q, (enum subset)subset, &s);
            if (r->csv) {
                printf("%lld,", (long long)config);
                campaign_report_csv_text(label);
                printf(",%s,%s,%zu", quantities[q].csv_name, subset_csv_names[subset], s.n);
                summary_print_csv(&s);
                putchar('\n');
                continue;
            }
            printf("%-20s %-10s %5zu", quantities[q].label, subset_labels[subset], s.n);
            summary_print_table(&s, 9, 3);
        }
    }
}

/* Check that the database has the rekey table, and print what to do when it lacks it. */
static bool
has_rekey_table(struct report *r)
{
    if (query_count(r, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                       " AND name = 'rekey'") == 1)
        return true;
    fprintf(stderr,
            PROGRAM ": %s: the campaign database has no rekey table, because a "
                    "mip6sec-campaign without rekey support merged it; run "
                    "'mip6sec-campaign merge' again to add the rekeys of its runs\n",
            r->path);
    return false;
}

/* Say that no run of the campaign recorded a rekey, and why that may be. */
static void
report_no_rekeys(struct report *r)
{
    FILE *out = r->csv ? stderr : stdout;
    int64_t complete = query_count(r, "SELECT count(*) FROM run WHERE status = 'complete'");
    int64_t old = query_count(r, "SELECT count(*) FROM run WHERE status = 'complete'"
                                 " AND rekeys IS NULL");
    fprintf(out,
            "%s%s: no rekeys: none of the %lld complete runs recorded an SA rekey. Rekeys need "
            "--keying=ikev2 or ikev1 and an --saSoftLifetime shorter than --duration.",
            r->csv ? "" : "\n", r->path, (long long)complete);
    if (old > 0)
        fprintf(out,
                " %lld of the runs were recorded before the sa_event table, so rerun them "
                "with this version.",
                (long long)old);
    fprintf(out, "\n");
}

static void
print_header(struct report *r)
{
    if (r->csv) {
        printf("config,label,quantity,subset,n,mean,median,p5,p95,sd,ci95_low,ci95_high\n");
        return;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db,
                           "SELECT (SELECT count(*) FROM configuration), (SELECT count(*) FROM"
                           " run), (SELECT count(*) FROM run WHERE status = 'complete'),"
                           " (SELECT count(*) FROM rekey),"
                           " (SELECT value FROM campaign WHERE name = 'file')",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *file = sqlite3_column_text(st, 4);
        printf("campaign %s: %lld configurations, %lld runs, %lld complete, %lld rekeys\n",
               file ? (const char *)file : "?", sqlite3_column_int64(st, 0),
               sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
               sqlite3_column_int64(st, 3));
    }
    sqlite3_finalize(st);
    printf("Statistics over the rekeys of the complete runs. A rekey coincides with a handoff "
           "when its\nmobile node's link_down lies from %.3f s before rekey_start to rekey_done "
           "(--handoffWindow).\np5 and p95 are percentiles, sd is the sample standard "
           "deviation, and the interval uses\nStudent's t.\n",
           (double)r->window_ns / 1e9);
}

/* Print the statistics of every configuration. */
static int
print_configs(struct report *r)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db,
                           "SELECT c.config, c.label, (SELECT count(*) FROM run WHERE config ="
                           " c.config), (SELECT count(*) FROM run WHERE config = c.config AND"
                           " status = 'complete'), (SELECT count(*) FROM run WHERE config ="
                           " c.config AND status = 'complete' AND rekeys IS NULL)"
                           " FROM configuration c ORDER BY c.config",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(r, "reading configurations");

    int status = 0, rc = SQLITE_DONE;
    while (status == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t config = sqlite3_column_int64(st, 0);
        const unsigned char *label = sqlite3_column_text(st, 1);
        char *label_copy = strdup(label ? (const char *)label : "");
        status = label_copy ? load_config(r, config) : out_of_memory();
        if (status == 0)
            print_config(r, config, label_copy, sqlite3_column_int64(st, 2),
                         sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4));
        free(label_copy);
    }
    if (status == 0 && rc != SQLITE_DONE)
        status = db_error(r, "reading configurations");
    sqlite3_finalize(st);
    return status;
}

int
campaign_rekeys_report(const char *path, bool csv, int64_t window_ns)
{
    struct report r = {.path = path, .csv = csv, .window_ns = window_ns};
    int status = 0;
    if (sqlite3_open_v2(path, &r.db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        status = db_error(&r, "opening the campaign database");
    else if (!has_rekey_table(&r))
        status = EXIT_UNUSABLE;

    int64_t rekeys = 0;
    if (status == 0 && (rekeys = query_count(&r, "SELECT count(*) FROM rekey")) < 0)
        status = db_error(&r, "counting the rekeys");
    if (status == 0)
        print_header(&r);
    if (status == 0 && rekeys == 0)
        report_no_rekeys(&r);
    else if (status == 0)
        status = print_configs(&r);

    free(r.rows);
    free(r.values);
    sqlite3_close(r.db);
    return status;
}
