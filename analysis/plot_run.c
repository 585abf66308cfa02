/* plot_run.c - the throughput and rekey plots of one run (plot.h, docs/plots.md). */
#include "plot.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Mark the mobile node's events of a kind as dashed vertical lines, and
 * name them once in the key through legend, which the plot command ends
 * with. */
static void
mark_events(struct plot *p, int kind, const char *label, const char *colour, double from_s,
            double to_s, char *legend, size_t legend_len)
{
    sqlite3_stmt *st =
        plot_prepare(p, "SELECT time_ns FROM mobility_event WHERE node = ? AND kind = ? "
                        "ORDER BY time_ns");
    sqlite3_bind_int64(st, 1, p->node);
    sqlite3_bind_int(st, 2, kind);
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        double t = (double)sqlite3_column_int64(st, 0) / NS_PER_S;
        if (t < from_s || t > to_s)
            continue;
        fprintf(p->script,
                "set arrow from %.9f, graph 0 to %.9f, graph 1 nohead lc rgb '%s' dt 2 lw 2\n", t,
                t, colour);
        n++;
    }
    sqlite3_finalize(st);
    if (n > 0) {
        size_t used = strlen(legend);
        snprintf(legend + used, legend_len - used,
                 ", NaN with lines dt 2 lw 2 lc rgb '%s' title '%s'", colour, label);
    }
}

void
plot_throughput(struct plot *p)
{
    plot_begin(p, "throughput");
    int64_t bin_ns = (int64_t)(p->o->bin_s * NS_PER_S);
    sqlite3_stmt *st =
        plot_prepare(p, "SELECT time_ns / ?2, sum(size) FROM packet_event WHERE kind = 4 AND "
                        "node = ?1 GROUP BY 1 ORDER BY 1");
    sqlite3_bind_int64(st, 1, p->node);
    sqlite3_bind_int64(st, 2, bin_ns);
    fprintf(p->data, "# bin_start_s Mbit_per_s (bytes delivered at the mobile node, %.3f s bins)\n",
            p->o->bin_s);
    int64_t next = 0;
    long rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t bin = sqlite3_column_int64(st, 0);
        for (; next < bin; next++) /* bins without a delivery */
            fprintf(p->data, "%.6f 0\n", (double)next * p->o->bin_s);
        double mbps = (double)sqlite3_column_int64(st, 1) * 8 / p->o->bin_s / 1e6;
        fprintf(p->data, "%.6f %.6f\n", (double)bin * p->o->bin_s, mbps);
        next = bin + 1;
        rows++;
    }
    sqlite3_finalize(st);
    if (rows == 0) {
        fprintf(stderr, PROGRAM ": %s: %s had nothing delivered\n", p->o->db_path, p->node_name);
        exit(PLOT_EXIT_INVALID);
    }
    fprintf(p->script,
            "set title 'Throughput at %s (%.3f s bins)'\n"
            "set xlabel 'simulated time (s)'\nset ylabel 'delivered (Mbit/s)'\n"
            "set yrange [0:*]\nset key below horizontal\n",
            p->node_name, p->o->bin_s);
    char legend[512] = "", command[1024];
    mark_events(p, KIND_LINK_DOWN, "link down", "#c00000", -1, 1e12, legend, sizeof legend);
    mark_events(p, KIND_REGISTERED, "registered", "#008000", -1, 1e12, legend, sizeof legend);
    snprintf(command, sizeof command,
             "plot 'throughput.dat' using 1:2 with steps lw 2 lc rgb '#0060c0' "
             "title 'delivered, all protocols'%s",
             legend);
    fprintf(p->figure, "%s\n", command);
    plot_finish(p);
}

void
plot_rekey(struct plot *p)
{
    plot_begin(p, "rekey");
    sqlite3_stmt *st = plot_prepare(
        p, "SELECT spi, direction, coalesce(name, ''), installed_ns, "
           "coalesce(removed_ns, (SELECT max(time_ns) FROM packet_event)) "
           "FROM sa_lifetimes_v WHERE node = ? ORDER BY name, direction, installed_ns");
    sqlite3_bind_int64(st, 1, p->node);
    fprintf(p->data, "# row installed_s removed_s spi direction name\n");
    long rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        rows++;
        fprintf(p->data, "%ld %.9f %.9f 0x%08" PRIx64 " %s %s\n", rows,
                (double)sqlite3_column_int64(st, 3) / NS_PER_S,
                (double)sqlite3_column_int64(st, 4) / NS_PER_S,
                (uint64_t)sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
                *(const char *)sqlite3_column_text(st, 2) ? (const char *)sqlite3_column_text(st, 2)
                                                          : "-");
    }
    sqlite3_finalize(st);
    if (rows == 0) {
        fprintf(stderr,
                PROGRAM ": %s has no SA events for %s; run the scenario with --keying=ikev2 or "
                        "ikev1 and SA lifetimes "
                        "(--saSoftLifetime) to get rekeys\n",
                p->o->db_path, p->node_name);
        exit(PLOT_EXIT_INVALID);
    }
    fprintf(p->script,
            "set title 'SAs of %s over time'\n"
            "set xlabel 'simulated time (s)'\nset ylabel ''\n"
            "set yrange [0:%ld]\nset ytics 1\nset key below horizontal\n",
            p->node_name, rows + 1);
    char legend[512] = "", command[1024];
    mark_events(p, KIND_REKEY_START, "rekey started", "#e07000", -1, 1e12, legend, sizeof legend);
    mark_events(p, KIND_REKEY_DONE, "rekey done", "#008000", -1, 1e12, legend, sizeof legend);
    mark_events(p, KIND_REGISTERED, "registered", "#c00000", -1, 1e12, legend, sizeof legend);
    snprintf(command, sizeof command,
             "plot 'rekey.dat' using 2:1:2:3:ytic(sprintf('%%s %%s %%s', strcol(6), strcol(5), "
             "strcol(4))) with xerrorbars pt 7 ps 0.5 lw 3 lc rgb '#0060c0' "
             "title 'SA from install to removal'%s",
             legend);
    fprintf(p->figure, "%s\n", command);
    plot_finish(p);
}
