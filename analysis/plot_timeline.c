/*
 * plot_timeline.c - the timeline plot (docs/plots.md).  The upper panel
 * shows the UDP datagrams of the stream to the mobile node by sequence
 * number over time: sent by the correspondent, delivered, and never
 * delivered.  A strip below has one row per handoff milestone, so that
 * milestones at the same time (the BU goes out when the care-of address
 * is ready) stay visible side by side.
 *
 * A high-rate run has far more datagrams than the picture has pixel
 * columns, and gnuplot would write every one into the SVG and PDF.  Above
 * TIMELINE_MAX_POINTS datagrams in a series, the data file keeps only the
 * lowest and highest sequence number in each of TIMELINE_COLUMNS time
 * columns.  A column with one lost datagram still gets a point, so losses
 * stay visible.
 */
#include "plot.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Time columns of a thinned series.  The PNG's plot area is narrower than 1000 pixels, so a
 * column is at most one pixel wide. */
#define TIMELINE_COLUMNS 1000

/* Datagrams in one series above which every series is thinned to TIMELINE_COLUMNS columns.
 * The SVG of a default run takes about 110 bytes per point (500 KB for 4600 points), so three
 * series of 5000 points stay under 2 MB. */
#define TIMELINE_MAX_POINTS 5000

/* Height of a milestone row and of the whole figure, in points. */
#define MILESTONE_ROW_PT 8.5
#define FIGURE_HEIGHT_PT 172.8

enum series_id { SERIES_SENT, SERIES_DELIVERED, SERIES_LOST, N_SERIES };

struct point {
    double time_s;
    int64_t seq;
};

/* The datagrams of one series: each one while there are at most TIMELINE_MAX_POINTS, and the
 * lowest and highest sequence number in each time column. */
struct series {
    struct point points[TIMELINE_MAX_POINTS];
    size_t count;
    struct {
        struct point low, high;
        bool used;
    } columns[TIMELINE_COLUMNS];
};

/* The handoff milestones, one strip row each, in the order a handoff passes them. */
static const struct {
    int kind;
    const char *label;
} milestones[] = {
    {KIND_LINK_DOWN, "link down"},
    {KIND_MOVEMENT, "movement"},
    {KIND_COA_OPTIMISTIC, "CoA optimistic"},
    {KIND_COA_READY, "CoA ready"},
    {KIND_BU_SENT, "BU sent"},
    {KIND_BA_RECEIVED, "BA received"},
};
#define N_MILESTONES (sizeof milestones / sizeof milestones[0])

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

/* The mobile node's home address: the most common destination of the UDP datagrams delivered
 * to it, as mip6sec-analysis finds it.  Returns -1 when nothing was delivered. */
static int64_t
home_address(struct plot *p)
{
    sqlite3_stmt *st =
        plot_prepare(p, "SELECT dst FROM (SELECT dst FROM packet_event WHERE node = ?1 AND "
                        "kind = 4 AND protocol = 17 AND app_seq IS NOT NULL LIMIT 1000) "
                        "GROUP BY dst ORDER BY count(*) DESC LIMIT 1");
    sqlite3_bind_int64(st, 1, p->node);
    int64_t address = -1;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        address = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return address;
}

static void
add_point(struct series *s, double from_s, double to_s, double time_s, int64_t seq)
{
    struct point point = {time_s, seq};
    if (s->count < TIMELINE_MAX_POINTS)
        s->points[s->count] = point;
    s->count++;

    long column = (long)((time_s - from_s) / (to_s - from_s) * TIMELINE_COLUMNS);
    if (column < 0)
        column = 0;
    if (column >= TIMELINE_COLUMNS)
        column = TIMELINE_COLUMNS - 1;
    if (!s->columns[column].used || seq < s->columns[column].low.seq)
        s->columns[column].low = point;
    if (!s->columns[column].used || seq > s->columns[column].high.seq)
        s->columns[column].high = point;
    s->columns[column].used = true;
}

/* Read the sent, delivered and never delivered datagrams of the span into series. */
static void
read_datagrams(struct plot *p, double from_s, double to_s, struct series *series)
{
    /* A sent datagram counts as lost when no delivery to the mobile node, at any time, has its
     * sequence number.  The partial index packet_event_delivered serves that look-up. */
    sqlite3_stmt *sent = plot_prepare(
        p, "SELECT s.time_ns, s.app_seq, EXISTS (SELECT 1 FROM packet_event d WHERE d.node = ?1 "
           "AND d.kind = 4 AND d.app_seq IS NOT NULL AND d.app_seq = s.app_seq) "
           "FROM packet_event s WHERE s.kind = 1 AND s.node != ?1 AND s.protocol = 17 "
           "AND s.app_seq IS NOT NULL AND (?4 < 0 OR s.dst = ?4) "
           "AND s.time_ns BETWEEN ?2 AND ?3 ORDER BY s.time_ns");
    sqlite3_stmt *delivered =
        plot_prepare(p, "SELECT time_ns, app_seq FROM packet_event WHERE node = ?1 AND kind = 4 "
                        "AND protocol = 17 AND app_seq IS NOT NULL AND time_ns BETWEEN ?2 AND ?3 "
                        "ORDER BY time_ns");
    int64_t home = home_address(p);
    sqlite3_stmt *queries[] = {sent, delivered};
    for (size_t q = 0; q < 2; q++) {
        sqlite3_bind_int64(queries[q], 1, p->node);
        sqlite3_bind_int64(queries[q], 2, (int64_t)(from_s * NS_PER_S));
        sqlite3_bind_int64(queries[q], 3, (int64_t)(to_s * NS_PER_S));
    }
    sqlite3_bind_int64(sent, 4, home);

    while (sqlite3_step(sent) == SQLITE_ROW) {
        double t = (double)sqlite3_column_int64(sent, 0) / NS_PER_S;
        int64_t seq = sqlite3_column_int64(sent, 1);
        add_point(&series[SERIES_SENT], from_s, to_s, t, seq);
        if (!sqlite3_column_int(sent, 2))
            add_point(&series[SERIES_LOST], from_s, to_s, t, seq);
    }
    while (sqlite3_step(delivered) == SQLITE_ROW)
        add_point(&series[SERIES_DELIVERED], from_s, to_s,
                  (double)sqlite3_column_int64(delivered, 0) / NS_PER_S,
                  sqlite3_column_int64(delivered, 1));
    sqlite3_finalize(sent);
    sqlite3_finalize(delivered);
}

/* Write one series as a data block: every datagram, or the lowest and highest per column. */
static void
write_series(struct plot *p, const struct series *s, bool thin)
{
    if (!thin) {
        for (size_t i = 0; i < s->count && i < TIMELINE_MAX_POINTS; i++)
            fprintf(p->data, "%.9f %" PRId64 "\n", s->points[i].time_s, s->points[i].seq);
        return;
    }
    for (size_t c = 0; c < TIMELINE_COLUMNS; c++) {
        if (!s->columns[c].used)
            continue;
        const struct point *low = &s->columns[c].low, *high = &s->columns[c].high;
        fprintf(p->data, "%.9f %" PRId64 "\n", low->time_s, low->seq);
        if (high->seq != low->seq)
            fprintf(p->data, "%.9f %" PRId64 "\n", high->time_s, high->seq);
    }
}

/* Write the milestones of the span as the data block [milestones] and as guide lines.
 * Returns the number of strip rows, one per milestone kind that occurs, and sets their ytics. */
static int
write_milestones(struct plot *p, double from_s, double to_s, char *ytics, size_t ytics_len)
{
    sqlite3_stmt *st = plot_prepare(p, "SELECT time_ns FROM mobility_event WHERE node = ? AND "
                                       "kind = ? AND time_ns BETWEEN ? AND ? ORDER BY time_ns");
    fprintf(p->data,
            "\n\n# [milestones] time_s row kind (handoff milestones of %s, a strip row per kind)\n",
            p->node_name);
    int rows = 0;
    size_t used = 0;
    for (size_t m = 0; m < N_MILESTONES; m++) {
        sqlite3_bind_int64(st, 1, p->node);
        sqlite3_bind_int(st, 2, milestones[m].kind);
        sqlite3_bind_int64(st, 3, (int64_t)(from_s * NS_PER_S));
        sqlite3_bind_int64(st, 4, (int64_t)(to_s * NS_PER_S));
        int n = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            double t = (double)sqlite3_column_int64(st, 0) / NS_PER_S;
            if (n++ == 0)
                rows++;
            fprintf(p->data, "%.9f %d \"%s\"\n", t, rows, milestones[m].label);
            fprintf(p->script,
                    "set arrow from %.9f, graph 0 to %.9f, graph 1 nohead back "
                    "lc rgb '#b0b0b0' dt 3\n",
                    t, t);
        }
        sqlite3_reset(st);
        if (n > 0 && used < ytics_len)
            used += (size_t)snprintf(ytics + used, ytics_len - used, "%s'%s' %d",
                                     rows > 1 ? ", " : "", milestones[m].label, rows);
    }
    sqlite3_finalize(st);
    return rows;
}

/* The series' data block names, their key titles and their point styles. */
static const struct {
    const char *block;
    const char *title;
    const char *style;
} series_styles[N_SERIES] = {
    {"[sent]", "sent", "pt 7 ps 0.25 * point_size lc rgb '#999999'"},
    {"[delivered]", "delivered", "pt 7 ps 0.25 * point_size lc rgb '#0072b2'"},
    {"[lost]", "lost", "pt 2 ps 0.4 * point_size lc rgb '#d55e00'"},
};

/* Write the two panels, datagrams above and milestones below, sharing the time axis.  Without
 * milestones, the datagram panel takes the whole height. */
static void
write_figure(struct plot *p, const char *title, double from_s, double to_s,
             const struct series *series, int rows, const char *ytics)
{
    const double row_height = MILESTONE_ROW_PT / FIGURE_HEIGHT_PT;
    const double axis_bottom = 0.17, strip_top = axis_bottom + (rows + 0.6) * row_height;
    fprintf(p->figure,
            "set multiplot\n"
            "set lmargin at screen 0.24\nset rmargin at screen 0.97\n"
            "set xrange [%.6f:%.6f]\n"
            "# The datagrams\n"
            "set tmargin at screen 0.88\nset bmargin at screen %.3f\n"
            "set title '%s'\n",
            from_s, to_s, rows > 0 ? strip_top + 0.02 : axis_bottom, title);
    if (rows > 0)
        fprintf(p->figure, "set format x ''\nunset xlabel\n");
    else
        fprintf(p->figure, "set format x '%%g'\nset xlabel 'simulated time (s)'\n");
    fprintf(p->figure, "set ylabel 'sequence number'\n"
                       "set yrange [*:*] noreverse\nset ytics auto\nset grid xtics ytics\n"
                       "set key inside left top Left reverse opaque samplen 1 spacing 1\n"
                       "plot");
    int plotted = 0;
    for (size_t i = 0; i < N_SERIES; i++) {
        if (series[i].count == 0)
            continue;
        fprintf(p->figure, "%s '%s.dat' index '%s' using 1:2 with points %s title '%s'",
                plotted++ ? ", \\\n   " : "", p->name, series_styles[i].block,
                series_styles[i].style, series_styles[i].title);
    }
    fprintf(p->figure, "\n");

    if (rows > 0)
        fprintf(p->figure,
                "# The milestones, one row each\n"
                "set tmargin at screen %.3f\nset bmargin at screen %.3f\n"
                "unset title\nset format x '%%g'\nset xlabel 'simulated time (s)'\n"
                "unset ylabel\nset yrange [%d.5:0.5] reverse\nset ytics (%s) scale 0\n"
                "set grid xtics noytics\nunset key\n"
                "plot '%s.dat' index '[milestones]' using 1:($2 - 0.35):(0):(0.7) "
                "with vectors nohead lw 3 lc rgb '#000000' notitle\n",
                strip_top, axis_bottom, rows, ytics, p->name);
    fprintf(p->figure, "unset multiplot\n");
}

void
plot_timeline(struct plot *p)
{
    double from_s, to_s;
    time_span(p, &from_s, &to_s);
    struct series *series = calloc(N_SERIES, sizeof *series);
    if (!series) {
        fprintf(stderr, PROGRAM ": out of memory\n");
        exit(PLOT_EXIT_FAILED);
    }
    read_datagrams(p, from_s, to_s, series);
    if (series[SERIES_SENT].count == 0 && series[SERIES_DELIVERED].count == 0) {
        fprintf(stderr,
                PROGRAM ": %s has no UDP datagrams with sequence numbers in %.3f-%.3f s; the "
                        "timeline needs UDP traffic (--traffic=udp)\n",
                p->o->db_path, from_s, to_s);
        exit(PLOT_EXIT_INVALID);
    }

    plot_begin(p, p->o->handoff > 0 ? "timeline-handoff" : "timeline");
    bool thin = false;
    for (size_t i = 0; i < N_SERIES; i++)
        thin = thin || series[i].count > TIMELINE_MAX_POINTS;
    static const char *const series_names[N_SERIES] = {
        "sent by the correspondent", "delivered at the mobile node", "sent, never delivered"};
    for (size_t i = 0; i < N_SERIES; i++) {
        fprintf(p->data, "%s# %s time_s sequence_number (%s; %zu datagrams%s)\n", i ? "\n\n" : "",
                series_styles[i].block, series_names[i], series[i].count,
                thin ? ", thinned to the lowest and highest per time column" : "");
        write_series(p, &series[i], thin);
    }

    char ytics[512] = "";
    int rows = write_milestones(p, from_s, to_s, ytics, sizeof ytics);
    char title[128];
    if (p->o->handoff > 0)
        snprintf(title, sizeof title, "UDP datagrams to %s around handoff %ld", p->node_name,
                 p->o->handoff);
    else
        snprintf(title, sizeof title, "UDP datagrams to %s", p->node_name);
    write_figure(p, title, from_s, to_s, series, rows, ytics);
    free(series);
    plot_finish(p);
}
