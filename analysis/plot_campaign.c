/* plot_campaign.c - the plots of a campaign database: cdf and components (plot.h). */
#include "plot.h"

#include <inttypes.h>
#include <stdbool.h>
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

/* Maximum length of a configuration's text in a tick label or a key entry. */
#define CONFIG_TEXT 256

/*
 * The configurations of the campaign, named for a small figure: the grid
 * parameters' names once (for the axis label or the key title), and each
 * configuration by its values only, "5, ikev2" for "speed=5 keying=ikev2".
 * A campaign without grid lines has one configuration, named by its label.
 */
struct configurations {
    size_t count;
    int64_t *ids;
    char (*values)[CONFIG_TEXT]; /* the values, separated by '\n' */
    char names[CONFIG_TEXT];     /* the parameter names, separated by ", " */
};

static void
read_configurations(struct plot *p, struct configurations *c)
{
    sqlite3_stmt *st = plot_prepare(p, "SELECT count(*) FROM configuration");
    c->count = sqlite3_step(st) == SQLITE_ROW ? (size_t)sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    c->ids = calloc(c->count ? c->count : 1, sizeof *c->ids);
    c->values = calloc(c->count ? c->count : 1, sizeof *c->values);
    if (!c->ids || !c->values) {
        fprintf(stderr, PROGRAM ": out of memory\n");
        exit(PLOT_EXIT_FAILED);
    }
    c->names[0] = '\0';

    st = plot_prepare(p, "SELECT config, label FROM configuration ORDER BY config");
    sqlite3_stmt *parameters =
        plot_prepare(p, "SELECT name, value FROM parameter WHERE config = ? ORDER BY rowid");
    for (size_t i = 0; i < c->count && sqlite3_step(st) == SQLITE_ROW; i++) {
        c->ids[i] = sqlite3_column_int64(st, 0);
        char *values = c->values[i];
        size_t used = 0;
        sqlite3_bind_int64(parameters, 1, c->ids[i]);
        for (int k = 0; sqlite3_step(parameters) == SQLITE_ROW; k++) {
            char text[CONFIG_TEXT];
            plot_quote(text, sizeof text, (const char *)sqlite3_column_text(parameters, 1));
            if (used < CONFIG_TEXT)
                used += (size_t)snprintf(values + used, CONFIG_TEXT - used, "%s%s", k ? "\n" : "",
                                         text);
            if (i > 0)
                continue;
            plot_quote(text, sizeof text, (const char *)sqlite3_column_text(parameters, 0));
            size_t len = strlen(c->names);
            snprintf(c->names + len, sizeof c->names - len, "%s%s", k ? ", " : "", text);
        }
        sqlite3_reset(parameters);
        if (used == 0)
            plot_quote(values, CONFIG_TEXT, (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(parameters);
    sqlite3_finalize(st);
}

static void
free_configurations(struct configurations *c)
{
    free(c->ids);
    free(c->values);
}

/* Copy configuration i's values into out, with separator between them. */
static void
values_text(const struct configurations *c, size_t i, const char *separator, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (const char *v = c->values[i]; *v && used + 1 < len; v++) {
        if (*v != '\n') {
            out[used++] = *v;
            continue;
        }
        for (const char *s = separator; *s && used + 1 < len; s++)
            out[used++] = *s;
    }
    out[used] = '\0';
}

/* Return the maximum length of a line of the configurations' values, in characters. */
static size_t
longest_value(const struct configurations *c)
{
    size_t longest = 0;
    for (size_t i = 0; i < c->count; i++) {
        size_t run = 0;
        for (const char *v = c->values[i];; v++) {
            if (*v && *v != '\n') {
                run++;
                continue;
            }
            if (run > longest)
                longest = run;
            run = 0;
            if (!*v)
                break;
        }
    }
    return longest;
}

/* Colour-blind-safe line colours (Okabe and Ito) with a dash type each, so that the curves also
 * stay apart in greyscale. */
static const char *const cdf_styles[] = {
    "lc rgb '#0072b2' dt 1", "lc rgb '#d55e00' dt 2", "lc rgb '#009e73' dt 3",
    "lc rgb '#cc79a7' dt 4", "lc rgb '#e69f00' dt 5", "lc rgb '#56b4e9' dt 1",
    "lc rgb '#000000' dt 2", "lc rgb '#999999' dt 3",
};
#define N_CDF_STYLES (sizeof cdf_styles / sizeof cdf_styles[0])

void
plot_cdf(struct plot *p)
{
    require_latencies(p);
    struct configurations c;
    read_configurations(p, &c);
    plot_begin(p, "cdf");
    sqlite3_stmt *values = plot_prepare(p, "SELECT latency_s FROM handoff WHERE config = ? AND "
                                           "included AND latency_s IS NOT NULL ORDER BY latency_s");
    fprintf(p->figure, "plot");
    int blocks = 0;
    size_t longest_title = 0;
    double lowest = 0, highest = 0;
    for (size_t k = 0; k < c.count; k++) {
        sqlite3_bind_int64(values, 1, c.ids[k]);
        long n = 0;
        while (sqlite3_step(values) == SQLITE_ROW)
            n++;
        sqlite3_reset(values);
        if (n == 0)
            continue;
        char title[CONFIG_TEXT];
        values_text(&c, k, ", ", title, sizeof title);
        if (strlen(title) > longest_title)
            longest_title = strlen(title);
        fprintf(p->data, "%s# latency_s cdf (configuration %" PRId64 ": %s)\n",
                blocks ? "\n\n" : "", c.ids[k], title);
        long i = 0;
        while (sqlite3_step(values) == SQLITE_ROW) {
            double latency = sqlite3_column_double(values, 0);
            if (i == 0) /* the CDF rises from 0 at the smallest latency */
                fprintf(p->data, "%.9f 0\n", latency);
            if ((blocks == 0 && i == 0) || latency < lowest)
                lowest = latency;
            if ((blocks == 0 && i == 0) || latency > highest)
                highest = latency;
            fprintf(p->data, "%.9f %.6f\n", latency, (double)++i / (double)n);
        }
        sqlite3_reset(values);
        fprintf(p->figure,
                "%s 'cdf.dat' index %d using 1:2 with steps lw 2 %s title '%s (n = %ld)'",
                blocks ? ", \\\n   " : "", blocks, cdf_styles[blocks % N_CDF_STYLES], title, n);
        blocks++;
    }
    fprintf(p->figure, "\n");
    sqlite3_finalize(values);
    if (blocks == 0) {
        fprintf(stderr, PROGRAM ": %s has no handoff with a latency\n", p->o->db_path);
        exit(PLOT_EXIT_INVALID);
    }

    /* The key goes below the plot in two columns, because the curves can cross any corner.
     * gnuplot overestimates the width of long entries, so two of them fit side by side only
     * when narrowed, while short ones then overlap. */
    fprintf(p->script,
            "set title 'Handoff latency CDF'\n"
            "set xlabel 'latency, link down to first data (s)'\n"
            "set ylabel 'fraction of handoffs'\nset yrange [0:1.02]\n"
            "set key below horizontal maxrows %d Left reverse samplen 1.5 width %d "
            "title 'configuration%s%s'\n",
            (blocks + 1) / 2, longest_title > 12 ? -3 : 1, c.names[0] ? ": " : "", c.names);
    /* gnuplot cannot scale an axis to a single latency, so give it a range around it. */
    if (highest - lowest < 1e-9)
        fprintf(p->script, "set xrange [%.9f:%.9f]\n", lowest - 0.01 - 0.1 * lowest,
                highest + 0.01 + 0.1 * highest);
    free_configurations(&c);
    plot_finish(p);
}

/* The latency components: the stretch between two milestones, its name in the data file and
 * its short name in the key, from the bottom of the stack up. */
static const struct {
    const char *from, *to;
    const char *name, *key;
    const char *colour; /* viridis, dark to light, so the stack also reads in greyscale */
} parts[] = {
    {"link_down_s", "link_up_s", "layer 2", "layer 2", "#440154"},
    {"link_up_s", "movement_s", "movement detection", "movement", "#414487"},
    {"movement_s", "coa_ready_s", "address (DAD)", "DAD", "#2a788e"},
    {"coa_ready_s", "bu_sent_s", "until the BU", "until BU", "#22a884"},
    {"bu_sent_s", "ba_received_s", "BU to BA", "BU to BA", "#7ad151"},
    {"ba_received_s", "first_data_s", "BA to first data", "BA to data", "#fde725"},
};
#define N_PARTS (sizeof parts / sizeof parts[0])

/* Write the configurations as x tics: each value on its own line when the longest fits the
 * width of a bar, else on one line turned by 45 degrees. */
static void
write_configuration_tics(struct plot *p, const struct configurations *c)
{
    /* About 5 points per character of 8 pt text, on a plot area of about 125 points beside the
     * key (measured on the PDF). */
    bool upright = (double)longest_value(c) * 5 <= 0.9 * 125.0 / (double)c->count;
    fprintf(p->script, "set xtics (");
    for (size_t i = 0; i < c->count; i++) {
        char text[CONFIG_TEXT];
        values_text(c, i, upright ? "\\n" : ", ", text, sizeof text);
        fprintf(p->script, "%s\"%s\" %zu", i ? ", " : "", text, i);
    }
    fprintf(p->script, ") scale 0 %s\n", upright ? "" : "rotate by 45 right");

    /* gnuplot makes room for one line of tic labels only, so the axis label moves down by the
     * others. */
    int lines = 1;
    for (const char *v = c->values[0]; upright && *v; v++)
        lines += *v == '\n';
    fprintf(p->script, "set xlabel '%s%s' offset 0, %d\n",
            c->names[0] ? "configuration: " : "configuration", c->names, 1 - lines);
}

void
plot_components(struct plot *p)
{
    require_latencies(p);
    struct configurations c;
    read_configurations(p, &c);
    plot_begin(p, "components");
    fprintf(p->data, "# mean seconds over the included handoffs of each configuration\n"
                     "# configuration");
    for (size_t k = 0; k < N_PARTS; k++)
        fprintf(p->data, " \"%s\"", parts[k].name);
    fprintf(p->data, "\n");

    char sql[512], label[CONFIG_TEXT];
    for (size_t i = 0; i < c.count; i++) {
        values_text(&c, i, ", ", label, sizeof label);
        fprintf(p->data, "\"%s\"", label);
        for (size_t k = 0; k < N_PARTS; k++) {
            /* A milestone after the first data (a late BA) counts at the first data, as in
             * mip6sec-analysis, so that the parts add up to the latency. */
            snprintf(sql, sizeof sql,
                     "SELECT coalesce(avg(coalesce(min(%s, first_data_s), %s) - "
                     "coalesce(min(%s, first_data_s), %s)), 0) FROM handoff WHERE config = ? AND "
                     "included AND %s IS NOT NULL AND %s IS NOT NULL",
                     parts[k].to, parts[k].to, parts[k].from, parts[k].from, parts[k].from,
                     parts[k].to);
            sqlite3_stmt *st = plot_prepare(p, sql);
            sqlite3_bind_int64(st, 1, c.ids[i]);
            double mean = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_double(st, 0) : 0;
            sqlite3_finalize(st);
            fprintf(p->data, " %.9f", mean);
        }
        fprintf(p->data, "\n");
    }

    /* The key lists the parts top down as the stack shows them (invert), beside the bars. */
    fprintf(p->script, "set title 'Handoff latency by component'\n"
                       "set ylabel 'mean time (s)'\nset yrange [0:*]\n"
                       "set style data histograms\nset style histogram rowstacked\n"
                       "set style fill solid 1 border lc rgb '#000000'\nset boxwidth 0.6\n"
                       "set key outside right top vertical invert Left reverse samplen 1.5\n");
    write_configuration_tics(p, &c);
    fprintf(p->figure, "plot");
    for (size_t k = 0; k < N_PARTS; k++)
        fprintf(p->figure, "%s 'components.dat' using %zu lc rgb '%s' title '%s'",
                k ? ", \\\n   " : "", k + 2, parts[k].colour, parts[k].key);
    fprintf(p->figure, "\n");
    free_configurations(&c);
    plot_finish(p);
}
