/*
 * plot_rekey.c - the rekey plot (docs/plots.md): the mobile node's SAs as
 * bars from install to removal, one row per traffic kind and direction,
 * with registrations marked.  Successive SAs of a row alternate between
 * two lanes, so that an old and a new SA that are installed at the same
 * time show as two bars.  In the default scenario IKEv2 keeps both for
 * about 20 ms, far below a pixel of the whole run, so a second panel
 * zooms to the first round of rekeys and marks where each rekey started
 * and ended.
 */
#include "plot.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Rekeys that start within this time of the first rekey form the round that the zoom shows. */
#define ROUND_NS 1000000000LL

/* Distance of the two lanes of a row from its centre, in rows. */
#define LANE_OFFSET 0.17

/* The traffic kinds of SA pairs in the order of their rows (docs/database.md, sa_event.name). */
static const char *const kind_order[] = {"bu", "mpd", "rr", "payload"};
#define N_KINDS (sizeof kind_order / sizeof kind_order[0])

struct sa {
    int64_t spi;
    char direction[4];
    char name[16];
    int64_t installed_ns;
    int64_t removed_ns; /* -1 while installed at the end of the run */
    int row;            /* from 1, top to bottom */
    int generation;     /* from 0, in the order of installation within the row */
};

struct row {
    char name[16];
    char direction[4];
};

/* The rows of the plot, one per SA name and direction. */
struct layout {
    struct row *rows;
    int count;
};

/* Sort key of a row: the traffic kind in kind_order (unknown names after), then out before in. */
static int
row_rank(const struct row *r)
{
    size_t kind = N_KINDS;
    for (size_t k = 0; k < N_KINDS; k++)
        if (!strcmp(r->name, kind_order[k]))
            kind = k;
    return (int)kind * 2 + (strcmp(r->direction, "out") != 0);
}

static int
compare_rows(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    int rank = row_rank(x) - row_rank(y);
    return rank ? rank : strcmp(x->name, y->name);
}

static void *
allocate(size_t count, size_t size)
{
    void *memory = calloc(count ? count : 1, size);
    if (!memory) {
        fprintf(stderr, PROGRAM ": out of memory\n");
        exit(PLOT_EXIT_FAILED);
    }
    return memory;
}

/* Read the mobile node's SAs in the order of installation.  Returns their number. */
static size_t
read_sas(struct plot *p, struct sa **sas)
{
    sqlite3_stmt *st = plot_prepare(
        p, "SELECT spi, direction, coalesce(name, 'other'), installed_ns, removed_ns "
           "FROM sa_lifetimes_v WHERE node = ?1 ORDER BY installed_ns, direction, spi");
    sqlite3_bind_int64(st, 1, p->node);
    size_t count = 0, capacity = 64;
    *sas = allocate(capacity, sizeof **sas);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (count == capacity) {
            capacity *= 2;
            struct sa *grown = realloc(*sas, capacity * sizeof **sas);
            if (!grown) {
                fprintf(stderr, PROGRAM ": out of memory\n");
                exit(PLOT_EXIT_FAILED);
            }
            *sas = grown;
        }
        struct sa *sa = &(*sas)[count++];
        memset(sa, 0, sizeof *sa);
        sa->spi = sqlite3_column_int64(st, 0);
        plot_quote(sa->direction, sizeof sa->direction, (const char *)sqlite3_column_text(st, 1));
        plot_quote(sa->name, sizeof sa->name, (const char *)sqlite3_column_text(st, 2));
        sa->installed_ns = sqlite3_column_int64(st, 3);
        sa->removed_ns =
            sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 4);
    }
    sqlite3_finalize(st);
    return count;
}

/* Give each SA its row and its generation within the row. */
static struct layout
assign_rows(struct sa *sas, size_t count)
{
    struct layout layout = {allocate(count, sizeof *layout.rows), 0};
    for (size_t i = 0; i < count; i++) {
        int found = -1;
        for (int r = 0; r < layout.count; r++)
            if (!strcmp(layout.rows[r].name, sas[i].name) &&
                !strcmp(layout.rows[r].direction, sas[i].direction))
                found = r;
        if (found < 0) {
            struct row *row = &layout.rows[layout.count++];
            snprintf(row->name, sizeof row->name, "%s", sas[i].name);
            snprintf(row->direction, sizeof row->direction, "%s", sas[i].direction);
        }
    }
    qsort(layout.rows, (size_t)layout.count, sizeof *layout.rows, compare_rows);

    int *generations = allocate((size_t)layout.count, sizeof *generations);
    for (size_t i = 0; i < count; i++) {
        for (int r = 0; r < layout.count; r++) {
            if (strcmp(layout.rows[r].name, sas[i].name) ||
                strcmp(layout.rows[r].direction, sas[i].direction))
                continue;
            sas[i].row = r + 1;
            sas[i].generation = generations[r]++;
        }
    }
    free(generations);
    return layout;
}

/* The end of the run: its configured duration, or else the last packet event. */
static int64_t
run_end_ns(struct plot *p)
{
    sqlite3_stmt *st =
        plot_prepare(p, "SELECT coalesce((SELECT CAST(value AS REAL) * 1e9 FROM param WHERE name = "
                        "'duration'), (SELECT max(time_ns) FROM packet_event), 0)");
    int64_t end = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        end = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return end;
}

/* The first row of a traffic kind and the number of its rows, or 0 rows when it has none. */
static int
kind_rows(const struct layout *layout, const char *kind, int *first)
{
    int n = 0;
    for (int r = 0; r < layout->count; r++) {
        if (strcmp(layout->rows[r].name, kind))
            continue;
        if (n++ == 0)
            *first = r + 1;
    }
    return n;
}

/* The span of the zoom in seconds, and the time from which its axis counts milliseconds. */
struct zoom {
    double from_s, to_s, origin_s;
};

/* The end and the end of the loss window of one rekey in the first round, in ns. */
struct round_rekey {
    int64_t done, loss_end;
};

/*
 * Find the zoom around the first round of rekeys.  It spans from the
 * first start to the last end of the round, and further to the removal of
 * an old SA when that follows its rekey within the same span, as IKEv2's
 * 20 ms do.  IKEv1 keeps an old SA for a second, which the panel of the
 * whole run shows, so the zoom stays on the rekeys themselves.
 */
static void
find_zoom(int64_t first_start, const struct round_rekey *round, size_t count, struct zoom *zoom)
{
    int64_t last_done = first_start;
    for (size_t i = 0; i < count; i++)
        if (round[i].done > last_done)
            last_done = round[i].done;
    int64_t end = last_done;
    for (size_t i = 0; i < count; i++)
        if (round[i].loss_end - round[i].done <= last_done - first_start && round[i].loss_end > end)
            end = round[i].loss_end;

    double span = (double)(end - first_start) / NS_PER_S;
    double margin = span * 0.15 > 0.005 ? span * 0.15 : 0.005;
    zoom->origin_s = (double)first_start / NS_PER_S;
    zoom->from_s = zoom->origin_s - margin;
    zoom->to_s = (double)end / NS_PER_S + margin;
}

/* Write the mobile node's rekeys as the data block [rekeys] and find the zoom around the first
 * round.  Returns whether there is a rekey. */
static bool
write_rekeys(struct plot *p, const struct layout *layout, struct zoom *zoom)
{
    sqlite3_stmt *st = plot_prepare(p, "SELECT kind, start_ns, end_ns, loss_end_ns FROM rekeys_v "
                                       "WHERE node = ?1 ORDER BY start_ns");
    sqlite3_bind_int64(st, 1, p->node);
    fprintf(p->data,
            "\n\n# [rekeys] start_s done_s first_row rows kind (rekeys that %s started; done_s "
            "is NaN for a rekey that never finished)\n",
            p->node_name);
    int64_t first_start = -1;
    size_t round_count = 0, round_capacity = 16;
    struct round_rekey *round = allocate(round_capacity, sizeof *round);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(st, 0);
        int64_t start = sqlite3_column_int64(st, 1);
        bool done = sqlite3_column_type(st, 2) != SQLITE_NULL;
        int64_t end = done ? sqlite3_column_int64(st, 2) : start;
        int64_t loss_end =
            sqlite3_column_type(st, 3) != SQLITE_NULL ? sqlite3_column_int64(st, 3) : end;
        int first = 0, rows = kind_rows(layout, kind ? kind : "", &first);
        if (rows == 0)
            continue;
        fprintf(p->data, "%.9f ", (double)start / NS_PER_S);
        if (done)
            fprintf(p->data, "%.9f", (double)end / NS_PER_S);
        else
            fprintf(p->data, "NaN");
        fprintf(p->data, " %d %d %s\n", first, rows, kind);

        if (first_start < 0)
            first_start = start;
        if (start - first_start >= ROUND_NS)
            continue;
        if (round_count == round_capacity) {
            round_capacity *= 2;
            struct round_rekey *grown = realloc(round, round_capacity * sizeof *round);
            if (!grown) {
                fprintf(stderr, PROGRAM ": out of memory\n");
                exit(PLOT_EXIT_FAILED);
            }
            round = grown;
        }
        round[round_count++] = (struct round_rekey){end, loss_end};
    }
    sqlite3_finalize(st);
    if (first_start >= 0)
        find_zoom(first_start, round, round_count, zoom);
    free(round);
    return first_start >= 0;
}

static void
write_sas(struct plot *p, const struct sa *sas, size_t count, int64_t end_ns)
{
    fprintf(p->data,
            "# [sas] row lane installed_s removed_s installed_at_end spi direction name (the SAs "
            "of %s; removed_s is the end of the run for an SA still installed)\n",
            p->node_name);
    for (size_t i = 0; i < count; i++) {
        const struct sa *sa = &sas[i];
        double lane = sa->row + (sa->generation % 2 ? LANE_OFFSET : -LANE_OFFSET);
        bool alive = sa->removed_ns < 0;
        fprintf(p->data, "%d %.2f %.9f %.9f %d 0x%08" PRIx64 " %s %s\n", sa->row, lane,
                (double)sa->installed_ns / NS_PER_S,
                (double)(alive ? end_ns : sa->removed_ns) / NS_PER_S, alive, (uint64_t)sa->spi,
                sa->direction, sa->name);
    }
}

/* The left margin in screen units that fits the longest row label, at about 4.5 points per
 * character of 8 pt text in a 252 point wide figure. */
static double
label_margin(const struct layout *layout)
{
    size_t longest = 0;
    for (int r = 0; r < layout->count; r++) {
        size_t len = strlen(layout->rows[r].name) + 1 + strlen(layout->rows[r].direction);
        if (len > longest)
            longest = len;
    }
    return 0.04 + 0.018 * (double)longest;
}

/* Line styles of the marks, shared by the panels and the key. */
static const char registered_style[] = "dt 3 lw 1.5 lc rgb '#d55e00'";
static const char start_style[] = "dt 2 lw 1.5 lc rgb '#e69f00'";
static const char done_style[] = "dt 1 lw 1.5 lc rgb '#009e73'";

/* Write the settings and plot command of the panel of the whole run.  Its time axis goes 3%
 * beyond the end of the run, so that the arrowheads of SAs still installed stand clear of the
 * border.  Returns the number of registrations that it marks. */
static int
write_run_panel(struct plot *p, const struct layout *layout, double end_s, double right)
{
    fprintf(p->figure,
            "# The whole run\n"
            "set lmargin at screen %.3f\nset rmargin at screen %.2f\n"
            "set tmargin at screen 0.88\nset bmargin at screen 0.36\n"
            "set xrange [0:%.6f]\nset xtics auto\nset xlabel 'simulated time (s)'\n"
            "set yrange [%d.5:0.5]\nset ytics (",
            label_margin(layout), right, end_s * 1.03, layout->count);
    for (int r = 0; r < layout->count; r++)
        fprintf(p->figure, "%s'%s %s' %d", r ? ", " : "", layout->rows[r].name,
                layout->rows[r].direction, r + 1);
    fprintf(p->figure, ") scale 0\nset format y '%%s'\nset grid xtics noytics\n"
                       "unset arrow\n");

    sqlite3_stmt *st = plot_prepare(p, "SELECT time_ns FROM mobility_event WHERE node = ?1 AND "
                                       "kind = ?2 ORDER BY time_ns");
    sqlite3_bind_int64(st, 1, p->node);
    sqlite3_bind_int(st, 2, KIND_REGISTERED);
    int registrations = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        double t = (double)sqlite3_column_int64(st, 0) / NS_PER_S;
        fprintf(p->figure, "set arrow from %.9f, graph 0 to %.9f, graph 1 nohead back %s\n", t, t,
                registered_style);
        registrations++;
    }
    sqlite3_finalize(st);

    /* Bars, a tick at each install and removal, an arrowhead for an SA still installed. */
    fprintf(p->figure,
            "unset key\n"
            "plot '%s.dat' index '[sas]' using 3:2:($4 - $3):(0) with vectors nohead lw 3 "
            "lc rgb '#0072b2', \\\n"
            "    '' index '[sas]' using 3:($2 - 0.12):(0):(0.24) with vectors nohead lw 1.5 "
            "lc rgb '#0072b2', \\\n"
            "    '' index '[sas]' using ($5 != 0 ? NaN : $4):($2 - 0.12):(0):(0.24) with vectors "
            "nohead lw 1.5 lc rgb '#0072b2', \\\n"
            "    '' index '[sas]' using ($5 != 0 ? $4 - 0.01 * $4 : NaN):2:(0.01 * $4):(0) with "
            "vectors head filled "
            "size character 1,30,60 fixed lw 3 lc rgb '#0072b2'\n",
            p->name);
    return registrations;
}

/* Write the key as a panel of its own across the bottom, in columns of three, because neither
 * plot panel is wide enough for it. */
static void
write_key_panel(struct plot *p, int registrations, bool rekeys)
{
    fprintf(p->figure,
            "# The key\n"
            "set lmargin at screen 0.02\nset rmargin at screen 0.98\n"
            "set tmargin at screen 0.17\nset bmargin at screen 0\n"
            "unset border\nunset tics\nunset xlabel\nunset arrow\nset xrange [0:1]\n"
            "set yrange [0:1]\n"
            "set key center center vertical maxrows 3 Left reverse samplen 1.5\n"
            "plot NaN with vectors nohead lw 3 lc rgb '#0072b2' title 'SA', \\\n"
            "    NaN with vectors head filled size character 1,30,60 fixed lw 3 lc rgb '#0072b2' "
            "title 'still installed'");
    if (registrations > 0)
        fprintf(p->figure, ", \\\n    NaN with lines %s title 'registered'", registered_style);
    if (rekeys)
        fprintf(p->figure,
                ", \\\n    NaN with lines %s title 'rekey start', \\\n"
                "    NaN with lines %s title 'rekey done'",
                start_style, done_style);
    fprintf(p->figure, "\nset border\nset tics\n");
}

/* A step of 1, 2 or 5 times a power of ten that puts two or three tics on a span. */
static double
tic_step(double span)
{
    double step = 1e-3;
    while (step * 10 <= span / 2)
        step *= 10;
    if (span / (5 * step) >= 2)
        return 5 * step;
    if (span / (2 * step) >= 2)
        return 2 * step;
    return step;
}

/* Write the zoom to the first round of rekeys, in milliseconds after its first start.  Bars
 * are cut at the edges of the zoom, and only installs and removals inside it get a tick. */
static void
write_zoom_panel(struct plot *p, const struct layout *layout, const struct zoom *zoom)
{
    fprintf(p->figure,
            "# The first round of rekeys\n"
            "origin = %.9f\nzoom_from = %.9f\nzoom_to = %.9f\n"
            "ms(t) = (t - origin) * 1000\n"
            "inside(t) = t >= zoom_from && t <= zoom_to\n"
            "set lmargin at screen 0.71\nset rmargin at screen 0.97\n"
            "set xrange [ms(zoom_from):ms(zoom_to)]\nset xtics %g\n"
            "set xlabel sprintf('ms after %%.3f s', origin)\n"
            "set yrange [%d.5:0.5]\nset ytics 1 scale 0\nset format y ''\n"
            "unset arrow\nunset key\n"
            "plot '%s.dat' index '[sas]' using (ms($3 > zoom_from ? $3 : zoom_from)):2:"
            "(ms($4 < zoom_to ? $4 : zoom_to) - ms($3 > zoom_from ? $3 : zoom_from)):(0) "
            "with vectors nohead lw 3 lc rgb '#0072b2', \\\n"
            "    '' index '[sas]' using (inside($3) ? ms($3) : NaN):($2 - 0.12):(0):(0.24) "
            "with vectors nohead lw 1.5 lc rgb '#0072b2', \\\n"
            "    '' index '[sas]' using (inside($4) && $5 == 0 ? ms($4) : NaN):($2 - 0.12):(0):"
            "(0.24) with vectors nohead lw 1.5 lc rgb '#0072b2', \\\n"
            "    '' index '[rekeys]' using (ms($1)):($3 - 0.45):(0):($4 - 0.1) with vectors "
            "nohead %s, \\\n"
            "    '' index '[rekeys]' using (ms($2)):($3 - 0.45):(0):($4 - 0.1) with vectors "
            "nohead %s\n",
            zoom->origin_s, zoom->from_s, zoom->to_s, tic_step((zoom->to_s - zoom->from_s) * 1000),
            layout->count, p->name, start_style, done_style);
}

void
plot_rekey(struct plot *p)
{
    struct sa *sas = NULL;
    size_t count = read_sas(p, &sas);
    if (count == 0) {
        fprintf(stderr,
                PROGRAM ": %s has no SA events for %s; run the scenario with --keying=ikev2 or "
                        "ikev1 and SA lifetimes (--saSoftLifetime) to get rekeys\n",
                p->o->db_path, p->node_name);
        exit(PLOT_EXIT_INVALID);
    }
    struct layout layout = assign_rows(sas, count);
    int64_t end_ns = run_end_ns(p);
    for (size_t i = 0; i < count; i++)
        if (sas[i].removed_ns > end_ns || sas[i].installed_ns > end_ns)
            end_ns =
                sas[i].removed_ns > sas[i].installed_ns ? sas[i].removed_ns : sas[i].installed_ns;

    plot_begin(p, "rekey");
    write_sas(p, sas, count, end_ns);
    struct zoom zoom = {0, 0, 0};
    bool rekeys = write_rekeys(p, &layout, &zoom);

    fprintf(p->figure, "set multiplot title 'SAs of %s'\n", p->node_name);
    int registrations =
        write_run_panel(p, &layout, (double)end_ns / NS_PER_S, rekeys ? 0.66 : 0.97);
    if (rekeys)
        write_zoom_panel(p, &layout, &zoom);
    write_key_panel(p, registrations, rekeys);
    fprintf(p->figure, "unset multiplot\n");
    free(layout.rows);
    free(sas);
    plot_finish(p);
}
