/* plot_throughput.c - the throughput plot of one run (plot.h, docs/plots.md). */
#include "plot.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Mark the mobile node's events of a kind as vertical lines in the given style, and return
 * how many there are, so that the caller names them in the key only when there is one. */
static int
mark_events(struct plot *p, int kind, const char *style)
{
    sqlite3_stmt *st =
        plot_prepare(p, "SELECT time_ns FROM mobility_event WHERE node = ? AND kind = ? "
                        "ORDER BY time_ns");
    sqlite3_bind_int64(st, 1, p->node);
    sqlite3_bind_int(st, 2, kind);
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        double t = (double)sqlite3_column_int64(st, 0) / NS_PER_S;
        fprintf(p->script, "set arrow from %.9f, graph 0 to %.9f, graph 1 nohead %s\n", t, t,
                style);
        n++;
    }
    sqlite3_finalize(st);
    return n;
}

/* Name the data that mip6sec-analysis follows, by the protocols the mobile node received. */
static const char *
data_title(struct plot *p)
{
    sqlite3_stmt *st = plot_prepare(
        p, "SELECT EXISTS (SELECT 1 FROM packet_event WHERE node = ?1 AND kind = 4 AND "
           "protocol = 17 AND app_seq IS NOT NULL), EXISTS (SELECT 1 FROM packet_event WHERE "
           "node = ?1 AND kind = 4 AND protocol = 6)");
    sqlite3_bind_int64(st, 1, p->node);
    bool udp = false, tcp = false;
    if (sqlite3_step(st) == SQLITE_ROW) {
        udp = sqlite3_column_int(st, 0);
        tcp = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);
    if (udp && tcp)
        return "UDP and TCP data";
    if (tcp)
        return "TCP data";
    if (udp)
        return "UDP data";
    return "data (none delivered)";
}

/*
 * The throughput plot: the bits per second of the data stream that
 * mip6sec-analysis follows (UDP datagrams with sequence numbers and TCP
 * segments) delivered to the mobile node, and thinner, of all packets
 * delivered to it.  Router advertisements and other signalling keep the
 * second curve above zero while the data stops in a handoff.
 */
void
plot_throughput(struct plot *p)
{
    plot_begin(p, "throughput");
    int64_t bin_ns = (int64_t)(p->o->bin_s * NS_PER_S);
    sqlite3_stmt *st = plot_prepare(
        p, "SELECT time_ns / ?2, sum(CASE WHEN protocol = 6 OR (protocol = 17 AND app_seq IS NOT "
           "NULL) THEN size ELSE 0 END), sum(size) FROM packet_event WHERE kind = 4 AND "
           "node = ?1 GROUP BY 1 ORDER BY 1");
    sqlite3_bind_int64(st, 1, p->node);
    sqlite3_bind_int64(st, 2, bin_ns);
    fprintf(p->data,
            "# bin_start_s data_Mbit_per_s all_Mbit_per_s (delivered to %s in %.3f s bins: the "
            "UDP datagrams with sequence numbers and TCP segments, and all packets)\n",
            p->node_name, p->o->bin_s);
    int64_t next = 0;
    long rows = 0;
    const double to_mbps = 8 / p->o->bin_s / 1e6;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t bin = sqlite3_column_int64(st, 0);
        for (; next < bin; next++) /* bins without a delivery */
            fprintf(p->data, "%.6f 0 0\n", (double)next * p->o->bin_s);
        fprintf(p->data, "%.6f %.6f %.6f\n", (double)bin * p->o->bin_s,
                (double)sqlite3_column_int64(st, 1) * to_mbps,
                (double)sqlite3_column_int64(st, 2) * to_mbps);
        next = bin + 1;
        rows++;
    }
    sqlite3_finalize(st);
    if (rows == 0) {
        fprintf(stderr, PROGRAM ": %s: %s had nothing delivered\n", p->o->db_path, p->node_name);
        exit(PLOT_EXIT_INVALID);
    }

    /* The key sits in the headroom above the curves, where it hides no data. */
    fprintf(p->script,
            "set title 'Throughput at %s (%.3f s bins)'\n"
            "set xlabel 'simulated time (s)'\nset ylabel 'delivered (Mbit/s)'\n"
            "set yrange [0:*]\nset offsets 0, 0, graph 0.3, 0\n"
            "set key inside left top horizontal maxrows 2 Left reverse samplen 2 opaque\n",
            p->node_name, p->o->bin_s);
    static const char *const link_down_style = "dt 2 lw 1.5 lc rgb '#d55e00'";
    static const char *const registered_style = "dt 4 lw 1.5 lc rgb '#009e73'";
    int link_downs = mark_events(p, KIND_LINK_DOWN, link_down_style);
    int registrations = mark_events(p, KIND_REGISTERED, registered_style);
    fprintf(p->figure,
            "plot 'throughput.dat' using 1:2 with steps lw 2.5 lc rgb '#0072b2' title '%s', \\\n"
            "    '' using 1:3 with steps lw 1 lc rgb '#666666' title 'all packets'",
            data_title(p));
    if (link_downs > 0)
        fprintf(p->figure, ", \\\n    NaN with lines %s title 'link down'", link_down_style);
    if (registrations > 0)
        fprintf(p->figure, ", \\\n    NaN with lines %s title 'registered'", registered_style);
    fprintf(p->figure, "\n");
    plot_finish(p);
}
