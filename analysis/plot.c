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
#include "plot.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

_Noreturn void
plot_die_sqlite(struct plot *p, const char *what)
{
    fprintf(stderr, PROGRAM ": %s: %s failed: %s\n", p->o->db_path, what, sqlite3_errmsg(p->db));
    exit(2);
}

sqlite3_stmt *
plot_prepare(struct plot *p, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(p->db, sql, -1, &st, NULL) != SQLITE_OK)
        plot_die_sqlite(p, "a query");
    return st;
}

/* The mobile node: --node, or the node named mn, or the first node with a link_down. */
static int64_t
find_mobile_node(struct plot *p)
{
    if (p->o->node >= 0)
        return p->o->node;
    sqlite3_stmt *st =
        plot_prepare(p, "SELECT id FROM node WHERE name = 'mn' UNION ALL "
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

void
plot_begin(struct plot *p, const char *name)
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
void
plot_mark_events(struct plot *p, int kind, const char *label, const char *colour, double from_s,
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

/* Write the plot command as a macro, render it three times and close the files. */
void
plot_finish(struct plot *p, const char *plot_command)
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

/* Read the value of a numeric option within [min, max]; exits with a message on bad input. */
static double
number_option(const char *arg, const char *name, double min, double max)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(arg, &end);
    if (errno || end == arg || *end || !(v >= min && v <= max)) {
        fprintf(stderr, PROGRAM ": invalid value '%s' for --%s: use a number from %.15g to %.15g\n",
                arg, name, min, max);
        exit(2);
    }
    return v;
}

int
main(int argc, char **argv)
{
    struct options o = {.out_dir = ".", .window_s = 1, .bin_s = 0.1, .node = -1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strncmp(a, "--out=", 6)) {
            o.out_dir = a + 6;
        } else if (!strncmp(a, "--handoff=", 10)) {
            o.handoff = (long)number_option(a + 10, "handoff", 1, 1e6);
        } else if (!strncmp(a, "--window=", 9)) {
            o.window_s = number_option(a + 9, "window", 0.001, 1e6);
        } else if (!strncmp(a, "--bin=", 6)) {
            o.bin_s = number_option(a + 6, "bin", 0.001, 1e6);
        } else if (!strncmp(a, "--node=", 7)) {
            o.node = (long)number_option(a + 7, "node", 0, 4294967295.0);
        } else if (a[0] == '-') {
            fprintf(stderr, PROGRAM ": unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        } else if (!o.command) {
            o.command = a;
        } else if (!o.db_path) {
            o.db_path = a;
        } else {
            fprintf(stderr, PROGRAM ": unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!o.command || !o.db_path) {
        usage(stderr);
        return 2;
    }
    bool campaign = !strcmp(o.command, "cdf") || !strcmp(o.command, "components");
    void (*draw)(struct plot *) = !strcmp(o.command, "timeline")     ? plot_timeline
                                  : !strcmp(o.command, "throughput") ? plot_throughput
                                  : !strcmp(o.command, "rekey")      ? plot_rekey
                                  : !strcmp(o.command, "cdf")        ? plot_cdf
                                  : !strcmp(o.command, "components") ? plot_components
                                                                     : NULL;
    if (!draw) {
        fprintf(stderr,
                PROGRAM ": unknown plot '%s': use timeline, throughput, rekey, cdf or components\n",
                o.command);
        return 2;
    }
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
    draw(&p);
    sqlite3_close(p.db);
    return 0;
}
