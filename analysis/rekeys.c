/*
 * rekeys.c - mip6sec-analysis --rekeys: one row per rekey from rekeys_v,
 * with mean, median and standard deviation over the rekeys.
 */
#include "rekeys.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Columns of the statistics, in the order of struct rekey_row's values. */
enum rekey_value {
    V_DURATION,
    V_IKE,
    V_ESP_DROPS,
    V_DROPS,
    V_HA_OVERLAP,
    V_MN_OVERLAP,
    V_COUNT,
};

static const char *const value_names[V_COUNT] = {
    "duration (ms)",      "IKE events",         "ESP drops",
    "drops at mn and ha", "overlap at ha (ms)", "overlap at mn (ms)",
};

struct rekey_row {
    int64_t node, rekey, old_spi, new_spi, start, end, last_down;
    char kind[16];
    char node_name[32];
    double v[V_COUNT]; /* NAN when not recorded */
};

static double
column_or_nan(sqlite3_stmt *st, int col, double scale)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return NAN;
    return (double)sqlite3_column_int64(st, col) / scale;
}

static int64_t
column_or_none(sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return HANDOFF_NONE;
    return sqlite3_column_int64(st, col);
}

static void
read_row(sqlite3_stmt *st, struct rekey_row *r)
{
    r->node = sqlite3_column_int64(st, 0);
    const unsigned char *name = sqlite3_column_text(st, 1);
    snprintf(r->node_name, sizeof r->node_name, "%s", name ? (const char *)name : "");
    r->rekey = sqlite3_column_int64(st, 2);
    const unsigned char *kind = sqlite3_column_text(st, 3);
    snprintf(r->kind, sizeof r->kind, "%s", kind ? (const char *)kind : "?");
    r->old_spi = sqlite3_column_int64(st, 4);
    r->new_spi = column_or_none(st, 5);
    r->start = sqlite3_column_int64(st, 6);
    r->end = column_or_none(st, 7);
    r->v[V_DURATION] = column_or_nan(st, 8, 1e6);
    r->v[V_IKE] = column_or_nan(st, 9, 1);
    r->v[V_ESP_DROPS] = column_or_nan(st, 10, 1);
    r->v[V_DROPS] = column_or_nan(st, 11, 1);
    r->v[V_HA_OVERLAP] = column_or_nan(st, 12, 1e6);
    r->v[V_MN_OVERLAP] = column_or_nan(st, 13, 1e6);
    r->last_down = column_or_none(st, 14);
}

bool
rekeys_in_handoff(int64_t start_ns, int64_t last_down_ns, int64_t window_ns)
{
    return last_down_ns != HANDOFF_NONE && last_down_ns >= start_ns - window_ns;
}

/* The rekey coincides with a handoff: a link_down within [start - window, end]. */
static bool
in_handoff(const struct rekey_row *r, int64_t window_ns)
{
    return rekeys_in_handoff(r->start, r->last_down, window_ns);
}

static void
put_value(double v, int width, int precision, char sep)
{
    if (sep)
        putchar(sep);
    if (isnan(v))
        printf("%*s", width, "-");
    else
        printf("%*.*f", width, precision, v);
}

static void
print_header(bool csv)
{
    if (csv) {
        printf("node,node_name,rekey,kind,old_spi,new_spi,start_s,end_s,duration_ms,ike_events,"
               "esp_drops,drops,ha_overlap_ms,mn_overlap_ms,last_link_down_s,handoff\n");
        return;
    }
    printf("%4s %5s %-7s %10s %10s %12s %12s %12s %5s %5s %5s %10s %10s %7s\n", "node", "#", "kind",
           "old SPI", "new SPI", "start[s]", "end[s]", "duration[ms]", "ike", "esp", "drop",
           "ha ovl[ms]", "mn ovl[ms]", "handoff");
}

static void
print_row(const struct rekey_row *r, bool csv, int64_t window_ns)
{
    bool handoff = in_handoff(r, window_ns);
    if (csv) {
        printf("%" PRId64 ",%s,%" PRId64 ",%s,%" PRId64 ",", r->node, r->node_name, r->rekey,
               r->kind, r->old_spi);
        if (r->new_spi != HANDOFF_NONE)
            printf("%" PRId64, r->new_spi);
        printf(",%.9f,", (double)r->start / 1e9);
        if (r->end != HANDOFF_NONE)
            printf("%.9f", (double)r->end / 1e9);
        for (int i = 0; i < V_COUNT; i++) {
            putchar(',');
            if (!isnan(r->v[i]))
                printf(i == V_DURATION || i >= V_HA_OVERLAP ? "%.6f" : "%.0f", r->v[i]);
        }
        putchar(',');
        if (r->last_down != HANDOFF_NONE)
            printf("%.9f", (double)r->last_down / 1e9);
        printf(",%d\n", handoff);
        return;
    }
    printf("%4" PRId64 " %5" PRId64 " %-7s %10" PRId64 " ", r->node, r->rekey, r->kind, r->old_spi);
    if (r->new_spi != HANDOFF_NONE)
        printf("%10" PRId64, r->new_spi);
    else
        printf("%10s", "-");
    printf(" %12.6f", (double)r->start / 1e9);
    if (r->end != HANDOFF_NONE)
        printf(" %12.6f", (double)r->end / 1e9);
    else
        printf(" %12s", "-");
    put_value(r->v[V_DURATION], 12, 3, ' ');
    put_value(r->v[V_IKE], 5, 0, ' ');
    put_value(r->v[V_ESP_DROPS], 5, 0, ' ');
    put_value(r->v[V_DROPS], 5, 0, ' ');
    put_value(r->v[V_HA_OVERLAP], 10, 3, ' ');
    put_value(r->v[V_MN_OVERLAP], 10, 3, ' ');
    printf(" %7s\n", handoff ? "yes" : "no");
}

/* Print n, mean, median and sample standard deviation of the recorded values. */
static void
print_statistics(const struct rekey_row *rows, size_t count)
{
    double *v = malloc((count ? count : 1) * sizeof *v);
    if (!v) {
        fprintf(stderr, "mip6sec-analysis: out of memory\n");
        exit(HANDOFF_EXIT_UNUSABLE);
    }
    printf("\nstatistics over %zu rekeys (sd is the sample standard deviation)\n", count);
    printf("%-22s %5s %10s %10s %10s\n", "quantity", "n", "mean", "median", "sd");
    for (int i = 0; i < V_COUNT; i++) {
        size_t n = 0;
        for (size_t r = 0; r < count; r++)
            if (!isnan(rows[r].v[i]))
                v[n++] = rows[r].v[i];
        printf("%-22s %5zu", value_names[i], n);
        if (n == 0) {
            printf(" %10s %10s %10s\n", "-", "-", "-");
            continue;
        }
        gsl_sort(v, 1, n);
        printf(" %10.3f %10.3f", gsl_stats_mean(v, 1, n),
               gsl_stats_median_from_sorted_data(v, 1, n));
        if (n >= 2)
            printf(" %10.3f\n", gsl_stats_sd(v, 1, n));
        else
            printf(" %10s\n", "-");
    }
    free(v);
}

size_t
rekeys_report(struct handoff_db *c, bool csv, int64_t window_ns)
{
    sqlite3_stmt *st = handoff_db_prepare(
        c, "SELECT node, node_name, rekey, kind, old_spi, new_spi, start_ns, end_ns, duration_ns,"
           " ike_events, esp_drops, drops, ha_overlap_ns, mn_overlap_ns, last_link_down_ns"
           " FROM rekeys_v ORDER BY node, rekey");
    struct rekey_row *rows = NULL;
    size_t count = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap) {
            cap = cap ? 2 * cap : 64;
            struct rekey_row *grown = realloc(rows, cap * sizeof *rows);
            if (!grown) {
                fprintf(stderr, "%s: out of memory\n", c->program);
                exit(HANDOFF_EXIT_UNUSABLE);
            }
            rows = grown;
        }
        read_row(st, &rows[count++]);
    }
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "%s: %s: failed to read rekeys_v: %s\n", c->program, c->path,
                sqlite3_errmsg(c->db));
        exit(HANDOFF_EXIT_UNUSABLE);
    }
    sqlite3_finalize(st);

    if (!csv && count == 0)
        printf("\nno rekeys: no node recorded rekey_start (needs --keying=ikev2 or ikev1 and an "
               "SA lifetime shorter than the run)\n");
    if (count > 0 || csv) {
        if (!csv)
            putchar('\n');
        print_header(csv);
    }
    for (size_t i = 0; i < count; i++)
        print_row(&rows[i], csv, window_ns);
    if (!csv && count > 0) {
        size_t handoffs = 0;
        for (size_t i = 0; i < count; i++)
            handoffs += in_handoff(&rows[i], window_ns);
        printf("\n%zu of %zu rekeys coincided with a handoff (link_down from %.3f s before "
               "rekey_start to rekey_done)\n",
               handoffs, count, (double)window_ns / 1e9);
        print_statistics(rows, count);
    }
    free(rows);
    return count;
}
