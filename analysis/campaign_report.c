/*
 * campaign_report.c - statistics per configuration from a campaign
 * database.  The quantities are those of the single-run statistics: the
 * latency and the time between consecutive milestones, then the order,
 * IKE, route optimization and TCP quantities, over the handoffs that the
 * single-run analysis includes, from all replications.
 */
#define _POSIX_C_SOURCE 200809L

#include "campaign_report.h"

#include "campaign_stats.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_UNUSABLE 2

/* Columns of the handoff table, in milestone order. */
static const char *const milestone_columns[] = {
    "link_down_s", "link_up_s",     "movement_s",   "coa_ready_s",
    "bu_sent_s",   "ba_received_s", "first_data_s",
};
static const char *const milestone_labels[] = {
    "link down", "link up", "movement", "CoA ready", "BU sent", "BA received", "first data",
};
#define N_MILESTONES (sizeof milestone_columns / sizeof milestone_columns[0])
/* The latency, then one component per pair of consecutive milestones. */
#define N_BASE N_MILESTONES

/*
 * Quantities from the handoff columns that campaign databases written
 * before them lack.  Their rows appear only for a configuration in which
 * at least one included handoff has a value.
 */
static const struct {
    const char *name;
    const char *sql; /* an expression over the columns of handoff */
} extra[] = {
    {"lost packets (count)", "lost_packets"},
    {"duplicates (count)", "duplicates"},
    {"reordered (count)", "reordered"},
    {"CoA ready to IKE SA up",
     "CASE WHEN ike_sa_up_s <= bu_sent_s OR bu_sent_s IS NULL THEN ike_s END"},
    {"BA received to IKE SA up",
     "CASE WHEN ike_sa_up_s > ba_received_s THEN ike_sa_up_s - ba_received_s END"},
    {"IKE SA up to SAs ready", "sas_ready_s - ike_sa_up_s"},
    {"BA received to RR tokens", "rr_s"},
    {"BA received to CN BA", "cn_registration_s"},
    {"BA received to RO data",
     "CASE WHEN first_ro_data_s >= ba_received_s THEN first_ro_data_s - ba_received_s END"},
    {"TCP recovery (BA to rate)", "tcp_recovery_s"},
};
#define N_EXTRA (sizeof extra / sizeof extra[0])
#define N_QUANTITIES (N_BASE + N_EXTRA)

bool
campaign_report_is_campaign(const char *path)
{
    sqlite3 *db = NULL;
    bool found = false;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db,
                               "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                               " AND name IN ('campaign', 'configuration', 'run', 'handoff')",
                               -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            found = sqlite3_column_int(st, 0) == 4;
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return found;
}

struct sample {
    double *v;
    size_t n;
};

struct report {
    sqlite3 *db;
    const char *path;
    enum campaign_report_format format;
    struct sample q[N_QUANTITIES]; /* [0] latency, [m] milestone m-1 to m, then extra[] */
    bool has_extra;                /* the handoff table has the columns of extra[] */
    char names[N_QUANTITIES][64];
};

static int
db_error(struct report *r, const char *what)
{
    fprintf(stderr, "mip6sec-analysis: %s: %s failed: %s\n", r->path, what, sqlite3_errmsg(r->db));
    return EXIT_UNUSABLE;
}

static int
push(struct sample *s, double value, size_t cap)
{
    if (s->n >= cap)
        return -1;
    s->v[s->n++] = value;
    return 0;
}

/* Load the included handoffs of one configuration into the samples. */
static int
load_config(struct report *r, int64_t config)
{
    sqlite3_stmt *st = NULL;
    char sql[1024];
    size_t used = (size_t)snprintf(sql, sizeof sql, "SELECT latency_s");
    for (size_t m = 0; m < N_MILESTONES; m++)
        used += (size_t)snprintf(sql + used, sizeof sql - used, ", %s", milestone_columns[m]);
    for (size_t k = 0; r->has_extra && k < N_EXTRA; k++)
        used += (size_t)snprintf(sql + used, sizeof sql - used, ", %s", extra[k].sql);
    snprintf(sql + used, sizeof sql - used,
             " FROM handoff WHERE config = ? AND included = 1 ORDER BY replication, node,"
             " handoff");
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_error(r, "reading handoffs");
    sqlite3_bind_int64(st, 1, config);

    size_t cap = 0;
    sqlite3_stmt *count = NULL;
    if (sqlite3_prepare_v2(r->db, "SELECT count(*) FROM handoff WHERE config = ?", -1, &count,
                           NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return db_error(r, "counting handoffs");
    }
    sqlite3_bind_int64(count, 1, config);
    if (sqlite3_step(count) == SQLITE_ROW)
        cap = (size_t)sqlite3_column_int64(count, 0);
    sqlite3_finalize(count);

    for (size_t k = 0; k < N_QUANTITIES; k++) {
        free(r->q[k].v);
        r->q[k].v = malloc((cap ? cap : 1) * sizeof(double));
        r->q[k].n = 0;
        if (!r->q[k].v) {
            sqlite3_finalize(st);
            fprintf(stderr, "mip6sec-analysis: out of memory\n");
            return EXIT_UNUSABLE;
        }
    }

    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) != SQLITE_NULL)
            push(&r->q[0], sqlite3_column_double(st, 0), cap);
        /* The components split the latency, so a milestone after the first data (a BA
         * whose first copy was lost) counts at the first data, as in a run's table. */
        bool has_data = sqlite3_column_type(st, N_MILESTONES) != SQLITE_NULL;
        double data = sqlite3_column_double(st, N_MILESTONES);
        for (size_t m = 1; m < N_MILESTONES; m++) {
            int a = (int)m, b = (int)m + 1; /* columns of milestones m-1 and m */
            if (sqlite3_column_type(st, a) == SQLITE_NULL ||
                sqlite3_column_type(st, b) == SQLITE_NULL)
                continue;
            double ta = sqlite3_column_double(st, a), tb = sqlite3_column_double(st, b);
            if (has_data && ta > data)
                ta = data;
            if (has_data && tb > data)
                tb = data;
            push(&r->q[m], tb - ta, cap);
        }
        for (size_t k = 0; r->has_extra && k < N_EXTRA; k++) {
            int column = (int)(1 + N_MILESTONES + k);
            if (sqlite3_column_type(st, column) != SQLITE_NULL)
                push(&r->q[N_BASE + k], sqlite3_column_double(st, column), cap);
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_error(r, "reading handoffs");
    return 0;
}

void
campaign_report_csv_text(const char *text)
{
    if (!strpbrk(text, ",\"\n")) {
        fputs(text, stdout);
        return;
    }
    putchar('"');
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            putchar('"');
        putchar(*p);
    }
    putchar('"');
}

static void
print_config(struct report *r, int64_t config, const char *label, int64_t runs, int64_t complete,
             int64_t handoffs)
{
    if (r->format == CAMPAIGN_REPORT_CDF) {
        struct sample *s = &r->q[0];
        struct summary unused;
        summary_compute(s->v, s->n, &unused); /* sorts the latencies */
        for (size_t i = 0; i < s->n; i++) {
            printf("%lld,", (long long)config);
            campaign_report_csv_text(label);
            printf(",%.9g,%.9g\n", s->v[i], (double)(i + 1) / (double)s->n);
        }
        return;
    }

    if (r->format == CAMPAIGN_REPORT_TABLE) {
        printf("\nconfiguration %lld: %s\n", (long long)config, label);
        printf("%lld of %lld runs complete, %lld handoffs, %zu included in the statistics\n",
               (long long)complete, (long long)runs, (long long)handoffs, r->q[0].n);
        printf("%-26s %5s %9s %9s %9s %9s %9s %21s\n", "quantity [s]", "n", "mean", "median", "p5",
               "p95", "sd", "95% CI of the mean");
    }
    for (size_t k = 0; k < N_QUANTITIES; k++) {
        if (k >= N_BASE && r->q[k].n == 0)
            continue;
        struct summary s;
        summary_compute(r->q[k].v, r->q[k].n, &s);
        if (r->format == CAMPAIGN_REPORT_CSV) {
            printf("%lld,", (long long)config);
            campaign_report_csv_text(label);
            printf(",%s,%zu", r->names[k], s.n);
            summary_print_csv(&s);
            putchar('\n');
            continue;
        }
        printf("%-26s %5zu", r->names[k], s.n);
        /* Counts of packets need no sub-millisecond digits, and fit the column with one. */
        summary_print_table(&s, 9, strstr(r->names[k], "(count)") ? 1 : 4);
    }
}

static int
print_header(struct report *r)
{
    if (r->format == CAMPAIGN_REPORT_CSV) {
        printf("config,label,quantity,n,mean_s,median_s,p5_s,p95_s,sd_s,ci95_low_s,"
               "ci95_high_s\n");
        return 0;
    }
    if (r->format == CAMPAIGN_REPORT_CDF) {
        printf("config,label,latency_s,cdf\n");
        return 0;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db,
                           "SELECT (SELECT count(*) FROM configuration), (SELECT count(*) FROM"
                           " run), (SELECT count(*) FROM run WHERE status = 'complete'),"
                           " (SELECT value FROM campaign WHERE name = 'file')",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(r, "reading the campaign");
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *file = sqlite3_column_text(st, 3);
        printf("campaign %s: %lld configurations, %lld runs, %lld complete\n",
               file ? (const char *)file : "?", sqlite3_column_int64(st, 0),
               sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2));
        printf("statistics over the included handoffs of the complete runs; p5 and p95 are "
               "percentiles,\nsd the sample standard deviation, the interval uses Student's t\n");
    }
    sqlite3_finalize(st);
    return 0;
}

int
campaign_report(const char *path, enum campaign_report_format format)
{
    struct report r = {.path = path, .format = format};
    snprintf(r.names[0], sizeof r.names[0], "latency (down to data)");
    for (size_t m = 1; m < N_MILESTONES; m++)
        snprintf(r.names[m], sizeof r.names[m], "%s to %s", milestone_labels[m - 1],
                 milestone_labels[m]);
    for (size_t k = 0; k < N_EXTRA; k++)
        snprintf(r.names[N_BASE + k], sizeof r.names[N_BASE + k], "%s", extra[k].name);

    if (sqlite3_open_v2(path, &r.db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        int status = db_error(&r, "opening the campaign database");
        sqlite3_close(r.db);
        return status;
    }
    sqlite3_stmt *columns = NULL;
    if (sqlite3_prepare_v2(r.db,
                           "SELECT count(*) FROM pragma_table_info('handoff')"
                           " WHERE name = 'tcp_recovery_s'",
                           -1, &columns, NULL) == SQLITE_OK &&
        sqlite3_step(columns) == SQLITE_ROW)
        r.has_extra = sqlite3_column_int(columns, 0) > 0;
    sqlite3_finalize(columns);

    int status = print_header(&r);
    sqlite3_stmt *st = NULL;
    if (status == 0 &&
        sqlite3_prepare_v2(r.db,
                           "SELECT c.config, c.label, (SELECT count(*) FROM run WHERE config ="
                           " c.config), (SELECT count(*) FROM run WHERE config = c.config AND"
                           " status = 'complete'), (SELECT count(*) FROM handoff WHERE config ="
                           " c.config) FROM configuration c ORDER BY c.config",
                           -1, &st, NULL) != SQLITE_OK)
        status = db_error(&r, "reading configurations");

    int rc = SQLITE_DONE;
    while (status == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t config = sqlite3_column_int64(st, 0);
        const unsigned char *label = sqlite3_column_text(st, 1);
        char *label_copy = strdup(label ? (const char *)label : "");
        status = label_copy ? load_config(&r, config) : EXIT_UNUSABLE;
        if (status == 0)
            print_config(&r, config, label_copy, sqlite3_column_int64(st, 2),
                         sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4));
        free(label_copy);
    }
    if (status == 0 && rc != SQLITE_DONE)
        status = db_error(&r, "reading configurations");

    sqlite3_finalize(st);
    for (size_t k = 0; k < N_QUANTITIES; k++)
        free(r.q[k].v);
    sqlite3_close(r.db);
    return status;
}
