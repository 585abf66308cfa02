/* plot_run.c - the plots of one run: timeline, throughput and rekey (plot.h). */
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

/* The time span of the plot: the whole run, or a window around one handoff. */
static void
time_span(struct plot *p, double *from_s, double *to_s)
{
    sqlite3_stmt *st = plot_prepare(p, "SELECT min(time_ns), max(time_ns) FROM packet_event");
    *from_s = 0;
    *to_s = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        *to_s = (double)sqlite3_column_int64(st, 1) / NS_PER_S;
    sqlite3_finalize(st);
    if (p->o->handoff <= 0)
        return;

    st = plot_prepare(p, "SELECT time_ns FROM mobility_event WHERE node = ? AND kind = 1 "
                         "ORDER BY time_ns LIMIT 1 OFFSET ?");
    sqlite3_bind_int64(st, 1, p->node);
    sqlite3_bind_int64(st, 2, p->o->handoff - 1);
    if (sqlite3_step(st) != SQLITE_ROW) {
        fprintf(stderr,
                PROGRAM ": %s has no handoff %ld of %s (no such link_down); give a smaller "
                        "--handoff\n",
                p->o->db_path, p->o->handoff, p->node_name);
        exit(PLOT_EXIT_INVALID);
    }
    double down = (double)sqlite3_column_int64(st, 0) / NS_PER_S;
    sqlite3_finalize(st);
    *from_s = down - p->o->window_s;
    *to_s = down + p->o->window_s;
}

void
plot_timeline(struct plot *p)
{
    double from_s, to_s;
    time_span(p, &from_s, &to_s);
    plot_begin(p, p->o->handoff > 0 ? "timeline-handoff" : "timeline");

    /* Block 0: datagrams the other nodes sent; block 1: those the mobile node got. */
    static const char *const blocks[] = {
        "SELECT time_ns, app_seq FROM packet_event WHERE kind = 1 AND node != ?1 "
        "AND app_seq IS NOT NULL AND protocol = 17 AND time_ns BETWEEN ?2 AND ?3 "
        "ORDER BY time_ns",
        "SELECT time_ns, app_seq FROM packet_event WHERE kind = 4 AND node = ?1 "
        "AND app_seq IS NOT NULL AND time_ns BETWEEN ?2 AND ?3 ORDER BY time_ns",
    };
    long counts[2] = {0, 0};
    for (int b = 0; b < 2; b++) {
        sqlite3_stmt *st = plot_prepare(p, blocks[b]);
        sqlite3_bind_int64(st, 1, p->node);
        sqlite3_bind_int64(st, 2, (int64_t)(from_s * NS_PER_S));
        sqlite3_bind_int64(st, 3, (int64_t)(to_s * NS_PER_S));
        fprintf(p->data, "%s# time_s sequence_number (%s)\n", b ? "\n\n" : "",
                b ? "delivered at the mobile node" : "sent by the correspondent");
        while (sqlite3_step(st) == SQLITE_ROW) {
            fprintf(p->data, "%.9f %lld\n", (double)sqlite3_column_int64(st, 0) / NS_PER_S,
                    (long long)sqlite3_column_int64(st, 1));
            counts[b]++;
        }
        sqlite3_finalize(st);
    }
    if (counts[0] == 0 && counts[1] == 0) {
        fprintf(stderr,
                PROGRAM ": %s has no UDP datagrams with sequence numbers in %.3f-%.3f s; the "
                        "timeline needs UDP traffic (--traffic=udp)\n",
                p->o->db_path, from_s, to_s);
        exit(PLOT_EXIT_INVALID);
    }

    char handoff_text[64] = "";
    if (p->o->handoff > 0)
        snprintf(handoff_text, sizeof handoff_text, " around handoff %ld", p->o->handoff);
    fprintf(p->script,
            "set title 'UDP datagrams of %s%s'\n"
            "set xlabel 'simulated time (s)'\nset ylabel 'UDP sequence number'\n"
            "set xrange [%.6f:%.6f]\nset key below horizontal\n",
            p->node_name, handoff_text, from_s, to_s);
    char legend[1024] = "";
    mark_events(p, KIND_LINK_DOWN, "link down", "#c00000", from_s, to_s, legend, sizeof legend);
    mark_events(p, KIND_MOVEMENT, "movement detected", "#e07000", from_s, to_s, legend,
                sizeof legend);
    mark_events(p, KIND_COA_READY, "care-of address ready", "#a0a000", from_s, to_s, legend,
                sizeof legend);
    mark_events(p, KIND_COA_OPTIMISTIC, "care-of address in optimistic use", "#a0a000", from_s,
                to_s, legend, sizeof legend);
    mark_events(p, KIND_BU_SENT, "BU sent", "#8000c0", from_s, to_s, legend, sizeof legend);
    mark_events(p, KIND_BA_RECEIVED, "BA received", "#008000", from_s, to_s, legend, sizeof legend);
    char command[2048];
    snprintf(command, sizeof command,
             "plot '%s.dat' index 0 using 1:2 with points pt 7 ps 0.4 lc rgb '#aaaaaa' "
             "title 'sent by the correspondent', '' index 1 using 1:2 with points pt 7 ps 0.4 "
             "lc rgb '#0060c0' title 'delivered at the mobile node'%s",
             p->name, legend);
    fprintf(p->figure, "%s\n", command);
    plot_finish(p);
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
