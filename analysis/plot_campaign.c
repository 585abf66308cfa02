/* plot_campaign.c - the plots of a campaign database: cdf and components (plot.h). */
#include "plot.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Exit with a message unless an included handoff of the campaign has a latency, because
 * neither plot has anything to draw without one. */
static void
require_latencies(struct plot *p)
{
    sqlite3_stmt *st = plot_prepare(
        p, "SELECT (SELECT count(*) FROM handoff WHERE included AND latency_s IS NOT NULL), "
           "(SELECT count(*) FROM run WHERE status = 'complete'), (SELECT count(*) FROM run)");
    if (sqlite3_step(st) != SQLITE_ROW)
        plot_die_sqlite(p, "counting the handoffs");
    int64_t handoffs = sqlite3_column_int64(st, 0);
    int64_t complete = sqlite3_column_int64(st, 1), runs = sqlite3_column_int64(st, 2);
    sqlite3_finalize(st);
    if (handoffs > 0)
        return;
    if (complete == 0)
        fprintf(stderr,
                PROGRAM ": %s has no handoff to plot: none of its %" PRId64
                        " runs is complete; run the campaign again with mip6sec-campaign run "
                        "(its messages name the failed runs and their logs), then merge it\n",
                p->o->db_path, runs);
    else
        fprintf(stderr,
                PROGRAM ": %s has no included handoff with a latency in its %" PRId64
                        " complete runs; give the runs time to move (a longer --duration)\n",
                p->o->db_path, complete);
    exit(PLOT_EXIT_INVALID);
}

void
plot_cdf(struct plot *p)
{
    require_latencies(p);
    plot_begin(p, "cdf");
    sqlite3_stmt *configs =
        plot_prepare(p, "SELECT config, label FROM configuration ORDER BY config");
    sqlite3_stmt *values = plot_prepare(p, "SELECT latency_s FROM handoff WHERE config = ? AND "
                                           "included AND latency_s IS NOT NULL ORDER BY latency_s");
    char command[8192] = "plot", title[256];
    int blocks = 0;
    while (sqlite3_step(configs) == SQLITE_ROW) {
        int64_t config = sqlite3_column_int64(configs, 0);
        const char *label = (const char *)sqlite3_column_text(configs, 1);
        sqlite3_bind_int64(values, 1, config);
        long n = 0;
        while (sqlite3_step(values) == SQLITE_ROW)
            n++;
        sqlite3_reset(values);
        if (n == 0)
            continue;
        fprintf(p->data, "%s# latency_s cdf (configuration %" PRId64 ": %s)\n",
                blocks ? "\n\n" : "", config, label ? label : "");
        long i = 0;
        while (sqlite3_step(values) == SQLITE_ROW) {
            double latency = sqlite3_column_double(values, 0);
            if (i == 0) /* the CDF rises from 0 at the smallest latency */
                fprintf(p->data, "%.9f 0\n", latency);
            fprintf(p->data, "%.9f %.6f\n", latency, (double)++i / (double)n);
        }
        sqlite3_reset(values);
        plot_quote(title, sizeof title, label ? label : "");
        size_t used = strlen(command);
        snprintf(command + used, sizeof command - used,
                 "%s 'cdf.dat' index %d using 1:2 with steps lw 2 title '%s (n = %ld)'",
                 blocks ? "," : "", blocks, title, n);
        blocks++;
    }
    sqlite3_finalize(configs);
    sqlite3_finalize(values);
    if (blocks == 0) {
        fprintf(stderr, PROGRAM ": %s has no handoff with a latency\n", p->o->db_path);
        exit(PLOT_EXIT_INVALID);
    }
    fprintf(p->script, "set title 'Handoff latency, empirical CDF per configuration'\n"
                       "set xlabel 'handoff latency, link down to first data (s)'\n"
                       "set ylabel 'fraction of handoffs'\nset yrange [0:1.05]\n"
                       "set key below vertical\n");
    fprintf(p->figure, "%s\n", command);
    plot_finish(p);
}

void
plot_components(struct plot *p)
{
    require_latencies(p);
    plot_begin(p, "components");
    static const char *const parts[][2] = {
        {"link_down_s", "link_up_s"},   {"link_up_s", "movement_s"},
        {"movement_s", "coa_ready_s"},  {"coa_ready_s", "bu_sent_s"},
        {"bu_sent_s", "ba_received_s"}, {"ba_received_s", "first_data_s"},
    };
    static const char *const names[] = {"layer 2",      "movement detection", "address (DAD)",
                                        "until the BU", "BU to BA",           "BA to first data"};
    /* The header row names the columns for gnuplot's columnhead(). */
    fprintf(p->data, "# mean seconds over the included handoffs of each configuration\n"
                     "configuration");
    for (size_t k = 0; k < 6; k++)
        fprintf(p->data, " \"%s\"", names[k]);
    fprintf(p->data, "\n");

    sqlite3_stmt *configs =
        plot_prepare(p, "SELECT config, label FROM configuration ORDER BY config");
    long rows = 0;
    char sql[512], title[256];
    while (sqlite3_step(configs) == SQLITE_ROW) {
        int64_t config = sqlite3_column_int64(configs, 0);
        plot_quote(title, sizeof title, (const char *)sqlite3_column_text(configs, 1));
        fprintf(p->data, "\"%s\"", title);
        for (size_t k = 0; k < 6; k++) {
            /* A milestone after the first data (a late BA) counts at the first data, as in
             * mip6sec-analysis, so that the parts add up to the latency. */
            snprintf(sql, sizeof sql,
                     "SELECT coalesce(avg(coalesce(min(%s, first_data_s), %s) - "
                     "coalesce(min(%s, first_data_s), %s)), 0) FROM handoff WHERE config = ? AND "
                     "included AND %s IS NOT NULL AND %s IS NOT NULL",
                     parts[k][1], parts[k][1], parts[k][0], parts[k][0], parts[k][0], parts[k][1]);
            sqlite3_stmt *st = plot_prepare(p, sql);
            sqlite3_bind_int64(st, 1, config);
            double mean = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_double(st, 0) : 0;
            sqlite3_finalize(st);
            fprintf(p->data, " %.9f", mean);
        }
        fprintf(p->data, "\n");
        rows++;
    }
    sqlite3_finalize(configs);
    if (rows == 0) {
        fprintf(stderr, PROGRAM ": %s has no configurations\n", p->o->db_path);
        exit(PLOT_EXIT_INVALID);
    }
    fprintf(p->script, "set title 'Handoff latency by component, mean per configuration'\n"
                       "set ylabel 'mean time (s)'\nset yrange [0:*]\n"
                       "set style data histograms\nset style histogram rowstacked\n"
                       "set style fill solid 0.85 border -1\nset boxwidth 0.6\n"
                       "set xtics rotate by -20 left\nset key below vertical\n"
                       "set bmargin 6\n");
    fprintf(p->figure, "plot for [k=2:7] 'components.dat' using k:xtic(1) title columnhead(k)\n");
    plot_finish(p);
}
