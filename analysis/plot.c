/*
 * plot.c - mip6sec-plot: pictures of one run, for papers.  Each plot is
 * a data file, a gnuplot script that reads it, and the PNG, SVG and PDF
 * pictures that gnuplot makes from them.  All go to one folder, so that
 * a user can restyle the script and render it again with `gnuplot NAME.gp`.
 *
 *   timeline    UDP sequence numbers sent by the correspondent and
 *               delivered at the mobile node over time, with the handoff
 *               milestones marked: losses show as gaps, reordering as
 *               steps back.
 *   throughput  bytes delivered at the mobile node per time bin, every
 *               protocol, with link down and registration marked.
 *   rekey       the mobile node's SAs as bars from install to removal,
 *               with rekey starts and ends and registrations marked.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "plot_options.h"

#define PROGRAM "mip6sec-plot"
#define NS_PER_S 1e9

/* Mobility event kinds (docs/database.md). */
enum {
    KIND_LINK_DOWN = 1,
    KIND_MOVEMENT = 3,
    KIND_COA_READY = 4,
    KIND_BU_SENT = 5,
    KIND_BA_RECEIVED = 6,
    KIND_REGISTERED = 14,
    KIND_REKEY_START = 45,
    KIND_REKEY_DONE = 46,
    KIND_COA_OPTIMISTIC = 53,
};

/* Packet event kinds. */
enum { EVENT_SEND = 1, EVENT_DELIVER = 4 };

struct plot {
    sqlite3 *db;
    const struct plot_options *o;
    int64_t node;
    char name[64];
    FILE *data;
    FILE *script;
};

_Noreturn static void
die_sqlite(struct plot *p, const char *what)
{
    fprintf(stderr, PROGRAM ": %s: %s failed: %s\n", p->o->db_path, what, sqlite3_errmsg(p->db));
    exit(2);
}

static sqlite3_stmt *
prepare(struct plot *p, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(p->db, sql, -1, &st, NULL) != SQLITE_OK)
        die_sqlite(p, "a query");
    return st;
}

/* The mobile node: --node, or the node named mn, or the first node with a link_down. */
static int64_t
find_mobile_node(struct plot *p)
{
    if (p->o->node >= 0)
        return p->o->node;
    sqlite3_stmt *st = prepare(p, "SELECT id FROM node WHERE name = 'mn' UNION ALL "
                                  "SELECT min(node) FROM mobility_event WHERE kind = 1 LIMIT 1");
    int64_t node = -1;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        node = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (node < 0) {
        fprintf(stderr,
                PROGRAM ": %s has no node named mn and no link_down event; give the mobile "
                        "node with --node=ID\n",
                p->o->db_path);
        exit(2);
    }
    return node;
}

static FILE *
open_out(struct plot *p, const char *suffix)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%s", p->o->out_dir, p->name, suffix);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, PROGRAM ": cannot write %s: %s; give a writable folder with --out\n", path,
                strerror(errno));
        exit(1);
    }
    return f;
}

static void
begin(struct plot *p, const char *name)
{
    snprintf(p->name, sizeof p->name, "%s", name);
    p->data = open_out(p, "dat");
    p->script = open_out(p, "gp");
    fprintf(p->data, "# %s of %s, written by " PROGRAM "\n", name, p->o->db_path);
    fprintf(p->script,
            "# %s of %s, written by " PROGRAM ".\n"
            "# Edit and render again with: gnuplot %s.gp (it writes %s.png, .svg, .pdf)\n"
            "set datafile separator whitespace\n"
            "set grid lc rgb '#dddddd'\n"
            "set key outside right top vertical noenhanced font ',11' spacing 1.2\n",
            name, p->o->db_path, name, name);
}

/* Mark the mobile node's events of a kind as dashed vertical lines, and
 * name them once in the key through legend, which the plot command ends
 * with. */
static void
mark_events(struct plot *p, int kind, const char *label, const char *colour, double from_s,
            double to_s, char *legend, size_t legend_len)
{
    sqlite3_stmt *st = prepare(p, "SELECT time_ns FROM mobility_event WHERE node = ? AND kind = ? "
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

/* Write the plot command as a macro, render it three times and close the files. */
static void
finish(struct plot *p, const char *plot_command)
{
    fprintf(p->script,
            "plotcmd = \"%s\"\n"
            "set terminal pngcairo size 1200,700 font ',16' noenhanced\n"
            "set output '%s.png'\n@plotcmd\n"
            "set terminal svg size 1000,580 font 'sans,14' noenhanced\n"
            "set output '%s.svg'\n@plotcmd\n"
            "set terminal pdfcairo size 6in,3.6in font ',10' noenhanced\n"
            "set output '%s.pdf'\n@plotcmd\n"
            "set output\n",
            plot_command, p->name, p->name, p->name);
    if (fclose(p->data) != 0 || fclose(p->script) != 0) {
        fprintf(stderr, PROGRAM ": writing %s/%s failed: %s\n", p->o->out_dir, p->name,
                strerror(errno));
        exit(1);
    }

    pid_t pid = fork();
    if (pid == 0) {
        char script[96];
        snprintf(script, sizeof script, "%s.gp", p->name);
        if (chdir(p->o->out_dir) != 0)
            _exit(126);
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        fprintf(stderr,
                PROGRAM ": gnuplot %s for %s/%s.gp; %s. The data and the script are in %s\n",
                code == 127 ? "was not found" : "failed", p->o->out_dir, p->name,
                code == 127 ? "install gnuplot-nox" : "read its messages above", p->o->out_dir);
        exit(1);
    }
    printf("%s/%s.png, .svg and .pdf (data %s.dat, script %s.gp)\n", p->o->out_dir, p->name,
           p->name, p->name);
}

/* The time span of the plot: the whole run, or a window around one handoff. */
static void
time_span(struct plot *p, double *from_s, double *to_s)
{
    sqlite3_stmt *st = prepare(p, "SELECT min(time_ns), max(time_ns) FROM packet_event");
    *from_s = 0;
    *to_s = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        *to_s = (double)sqlite3_column_int64(st, 1) / NS_PER_S;
    sqlite3_finalize(st);
    if (p->o->handoff <= 0)
        return;

    st = prepare(p, "SELECT time_ns FROM mobility_event WHERE node = ? AND kind = 1 "
                    "ORDER BY time_ns LIMIT 1 OFFSET ?");
    sqlite3_bind_int64(st, 1, p->node);
    sqlite3_bind_int64(st, 2, p->o->handoff - 1);
    if (sqlite3_step(st) != SQLITE_ROW) {
        fprintf(stderr,
                PROGRAM ": %s has no handoff %ld of node %" PRId64
                        " (no such link_down); give a smaller --handoff\n",
                p->o->db_path, p->o->handoff, p->node);
        exit(2);
    }
    double down = (double)sqlite3_column_int64(st, 0) / NS_PER_S;
    sqlite3_finalize(st);
    *from_s = down - p->o->window_s;
    *to_s = down + p->o->window_s;
}

static void
plot_timeline(struct plot *p)
{
    double from_s, to_s;
    time_span(p, &from_s, &to_s);
    begin(p, p->o->handoff > 0 ? "timeline-handoff" : "timeline");

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
        sqlite3_stmt *st = prepare(p, blocks[b]);
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
        exit(2);
    }

    char handoff_text[64] = "";
    if (p->o->handoff > 0)
        snprintf(handoff_text, sizeof handoff_text, " around handoff %ld", p->o->handoff);
    fprintf(p->script,
            "set title 'UDP datagrams of node %" PRId64 "%s'\n"
            "set xlabel 'simulated time (s)'\nset ylabel 'UDP sequence number'\n"
            "set xrange [%.6f:%.6f]\n",
            p->node, handoff_text, from_s, to_s);
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
    finish(p, command);
}

static void
plot_throughput(struct plot *p)
{
    begin(p, "throughput");
    int64_t bin_ns = (int64_t)(p->o->bin_s * NS_PER_S);
    sqlite3_stmt *st =
        prepare(p, "SELECT time_ns / ?2, sum(size) FROM packet_event WHERE kind = 4 AND "
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
        fprintf(stderr, PROGRAM ": %s: node %" PRId64 " had nothing delivered\n", p->o->db_path,
                p->node);
        exit(2);
    }
    fprintf(p->script,
            "set title 'Throughput at node %" PRId64 " (%.3f s bins)'\n"
            "set xlabel 'simulated time (s)'\nset ylabel 'delivered (Mbit/s)'\n"
            "set yrange [0:*]\n",
            p->node, p->o->bin_s);
    char legend[512] = "", command[1024];
    mark_events(p, KIND_LINK_DOWN, "link down", "#c00000", -1, 1e12, legend, sizeof legend);
    mark_events(p, KIND_REGISTERED, "registered", "#008000", -1, 1e12, legend, sizeof legend);
    snprintf(command, sizeof command,
             "plot 'throughput.dat' using 1:2 with steps lw 2 lc rgb '#0060c0' "
             "title 'delivered, all protocols'%s",
             legend);
    finish(p, command);
}

static void
plot_rekey(struct plot *p)
{
    begin(p, "rekey");
    sqlite3_stmt *st =
        prepare(p, "SELECT spi, direction, coalesce(name, ''), installed_ns, "
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
                PROGRAM ": %s has no SA events for node %" PRId64
                        "; run the scenario with --keying=ikev2 or ikev1 and SA lifetimes "
                        "(--saSoftLifetime) to get rekeys\n",
                p->o->db_path, p->node);
        exit(2);
    }
    fprintf(p->script,
            "set title 'SAs of node %" PRId64 " over time'\n"
            "set xlabel 'simulated time (s)'\nset ylabel ''\n"
            "set yrange [0:%ld]\nset ytics 1 font ',8'\n",
            p->node, rows + 1);
    char legend[512] = "", command[1024];
    mark_events(p, KIND_REKEY_START, "rekey started", "#e07000", -1, 1e12, legend, sizeof legend);
    mark_events(p, KIND_REKEY_DONE, "rekey done", "#008000", -1, 1e12, legend, sizeof legend);
    mark_events(p, KIND_REGISTERED, "registered", "#c00000", -1, 1e12, legend, sizeof legend);
    snprintf(command, sizeof command,
             "plot 'rekey.dat' using 2:1:2:3:ytic(sprintf('%%s %%s %%s', strcol(6), strcol(5), "
             "strcol(4))) with xerrorbars pt 7 ps 0.5 lw 3 lc rgb '#0060c0' "
             "title 'SA from install to removal'%s",
             legend);
    finish(p, command);
}

/* Exit unless the database is a campaign database (mip6sec-campaign merge). */
static void
require_campaign(struct plot *p)
{
    sqlite3_stmt *st = prepare(p, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                                  "name IN ('campaign', 'configuration', 'handoff')");
    int tables = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    if (tables != 3) {
        fprintf(stderr,
                PROGRAM ": %s is not a campaign database; the %s plot compares configurations, "
                        "so give the output of mip6sec-campaign merge\n",
                p->o->db_path, p->o->command);
        exit(2);
    }
}

/* Quote a configuration label for a gnuplot title. */
static void
title_text(char *out, size_t len, const char *label)
{
    size_t j = 0;
    for (size_t i = 0; label[i] && j + 2 < len; i++)
        if (label[i] != '\'' && label[i] != '"')
            out[j++] = label[i];
    out[j] = '\0';
}

static void
plot_cdf(struct plot *p)
{
    require_campaign(p);
    begin(p, "cdf");
    sqlite3_stmt *configs = prepare(p, "SELECT config, label FROM configuration ORDER BY config");
    sqlite3_stmt *values = prepare(p, "SELECT latency_s FROM handoff WHERE config = ? AND "
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
        title_text(title, sizeof title, label ? label : "");
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
        exit(2);
    }
    fprintf(p->script, "set title 'Handoff latency, empirical CDF per configuration'\n"
                       "set xlabel 'handoff latency, link down to first data (s)'\n"
                       "set ylabel 'fraction of handoffs'\nset yrange [0:1.05]\n"
                       "set key outside right top vertical\n");
    finish(p, command);
}

static void
plot_components(struct plot *p)
{
    require_campaign(p);
    begin(p, "components");
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

    sqlite3_stmt *configs = prepare(p, "SELECT config, label FROM configuration ORDER BY config");
    long rows = 0;
    char sql[256], title[256];
    while (sqlite3_step(configs) == SQLITE_ROW) {
        int64_t config = sqlite3_column_int64(configs, 0);
        title_text(title, sizeof title, (const char *)sqlite3_column_text(configs, 1));
        fprintf(p->data, "\"%s\"", title);
        for (size_t k = 0; k < 6; k++) {
            snprintf(sql, sizeof sql,
                     "SELECT coalesce(avg(%s - %s), 0) FROM handoff WHERE config = ? AND "
                     "included AND %s IS NOT NULL AND %s IS NOT NULL",
                     parts[k][1], parts[k][0], parts[k][0], parts[k][1]);
            sqlite3_stmt *st = prepare(p, sql);
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
        exit(2);
    }
    fprintf(p->script,
            "set title 'Handoff latency by component, mean per configuration'\n"
            "set ylabel 'mean time (s)'\nset yrange [0:*]\n"
            "set style data histograms\nset style histogram rowstacked\n"
            "set style fill solid 0.85 border -1\nset boxwidth 0.6\n"
            "set xtics rotate by -20 left font ',10'\nset key outside right top vertical\n"
            "set bmargin 6\n");
    finish(p, "plot for [k=2:7] 'components.dat' using k:xtic(1) title columnhead(k)");
}

static void
usage(FILE *out)
{
    fprintf(out,
            "usage: " PROGRAM " timeline|throughput|rekey RUN.db [--out=DIR] [--node=ID]\n"
            "       " PROGRAM " cdf|components CAMPAIGN.db [--out=DIR]\n"
            "                    [--handoff=N --window=S] [--bin=S]\n"
            "Draw one run with gnuplot as PNG, SVG and PDF, next to the data and script.\n"
            "  timeline    UDP sequence numbers sent and delivered, handoff milestones marked;\n"
            "              --handoff=N zooms to the Nth handoff, --window seconds each side (1)\n"
            "  throughput  bytes delivered at the mobile node per --bin seconds (0.1)\n"
            "  rekey       the mobile node's SAs from install to removal, rekeys marked\n"
            "  cdf         the latency CDF of each configuration of a merged campaign\n"
            "  components  the mean latency components of each configuration, stacked\n"
            "  --out=DIR   where the files go (default: the current folder)\n"
            "  --node=ID   the mobile node (default: the node named mn)\n");
}

int
main(int argc, char **argv)
{
    struct plot_options o;
    char err[512];
    switch (plot_parse_args(argc, argv, &o, err, sizeof err)) {
    case PLOT_ARGS_OK:
        break;
    case PLOT_ARGS_HELP:
        usage(stdout);
        return 0;
    case PLOT_ARGS_INVALID:
        fprintf(stderr, PROGRAM ": %s\n", err);
        return 2;
    case PLOT_ARGS_USAGE:
        fprintf(stderr, PROGRAM ": %s\n", err);
        usage(stderr);
        return 2;
    }
    void (*const draw[])(struct plot *) = {
        [PLOT_TIMELINE] = plot_timeline,     [PLOT_THROUGHPUT] = plot_throughput,
        [PLOT_REKEY] = plot_rekey,           [PLOT_CDF] = plot_cdf,
        [PLOT_COMPONENTS] = plot_components,
    };
    bool campaign = o.kind == PLOT_CDF || o.kind == PLOT_COMPONENTS;
    struct stat sb;
    if (stat(o.out_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, PROGRAM ": --out=%s is not a folder; create it first\n", o.out_dir);
        return 2;
    }

    struct plot p = {.o = &o};
    if (sqlite3_open_v2(o.db_path, &p.db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, PROGRAM ": cannot open %s: %s; give a run database\n", o.db_path,
                p.db ? sqlite3_errmsg(p.db) : "out of memory");
        return 2;
    }
    if (!campaign)
        p.node = find_mobile_node(&p);
    draw[o.kind](&p);
    sqlite3_close(p.db);
    return 0;
}
