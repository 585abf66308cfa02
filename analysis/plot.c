/*
 * plot.c - mip6sec-plot: pictures of a run or a campaign, for papers.
 * Each plot is a data file, a gnuplot script that reads it, and the PNG,
 * SVG and PDF pictures that gnuplot makes from them.  All go to one
 * folder, so that a user can restyle the script and render it again with
 * `gnuplot NAME.gp`.  This file reads the command line and checks that
 * the database is of the kind the plot needs.  plot_timeline.c,
 * plot_throughput.c, plot_rekey.c and plot_campaign.c draw the plots, and
 * plot_output.c writes the files.
 */
#include "plot.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* PRAGMA application_id of a database that the mip6sec recorder wrote (docs/database.md). */
#define RUN_APPLICATION_ID 0x6d697036

/* Maximum number of nodes that the message about an unknown --node lists. */
#define MAX_LISTED_NODES 20

enum database_kind { DATABASE_RUN, DATABASE_CAMPAIGN, DATABASE_OTHER };

static const struct plot_kind {
    const char *name;
    void (*draw)(struct plot *);
    enum database_kind input;
} plot_kinds[PLOT_KINDS] = {
    [PLOT_TIMELINE] = {"timeline", plot_timeline, DATABASE_RUN},
    [PLOT_THROUGHPUT] = {"throughput", plot_throughput, DATABASE_RUN},
    [PLOT_REKEY] = {"rekey", plot_rekey, DATABASE_RUN},
    [PLOT_CDF] = {"cdf", plot_cdf, DATABASE_CAMPAIGN},
    [PLOT_COMPONENTS] = {"components", plot_components, DATABASE_CAMPAIGN},
};

_Noreturn void
plot_die_sqlite(struct plot *p, const char *what)
{
    fprintf(stderr, PROGRAM ": %s: %s failed: %s\n", p->o->db_path, what, sqlite3_errmsg(p->db));
    exit(PLOT_EXIT_INVALID);
}

sqlite3_stmt *
plot_prepare(struct plot *p, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(p->db, sql, -1, &st, NULL) != SQLITE_OK)
        plot_die_sqlite(p, "a query");
    return st;
}

/* What to give instead, for messages about the input. */
static const char *
input_hint(enum database_kind kind)
{
    return kind == DATABASE_RUN ? "a run database (mip6sec-handoff --output=FILE)"
                                : "a campaign database (mip6sec-campaign merge --output=FILE)";
}

/* Open the database and exit with a message unless it is of the kind the plot draws. */
static void
open_database(struct plot *p, const struct plot_kind *kind)
{
    const char *path = p->o->db_path;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fprintf(stderr, PROGRAM ": %s: %s; give %s\n", path, strerror(errno),
                input_hint(kind->input));
        exit(PLOT_EXIT_INVALID);
    }
    if (sqlite3_open_v2(path, &p->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, PROGRAM ": cannot open %s: %s; give %s\n", path,
                p->db ? sqlite3_errmsg(p->db) : "out of memory", input_hint(kind->input));
        exit(PLOT_EXIT_INVALID);
    }

    /* SQLite reads the file at the first statement, so a file that is no database fails here. */
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(p->db,
                                "SELECT (SELECT application_id FROM pragma_application_id), "
                                "(SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                                "name IN ('campaign', 'configuration', 'run', 'handoff'))",
                                -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_NOTADB) {
        fprintf(stderr, PROGRAM ": %s is not an SQLite database; give %s\n", path,
                input_hint(kind->input));
        exit(PLOT_EXIT_INVALID);
    }
    if (rc != SQLITE_ROW)
        plot_die_sqlite(p, "reading the schema");
    enum database_kind found = DATABASE_OTHER;
    if (sqlite3_column_int64(st, 0) == RUN_APPLICATION_ID)
        found = DATABASE_RUN;
    else if (sqlite3_column_int(st, 1) == 4)
        found = DATABASE_CAMPAIGN;
    sqlite3_finalize(st);

    if (found == kind->input)
        return;
    if (found == DATABASE_CAMPAIGN)
        fprintf(stderr,
                PROGRAM ": %s is a campaign database (mip6sec-campaign merge), but the %s plot "
                        "draws one run; give %s, such as one of the campaign's runs, or draw the "
                        "campaign with cdf or components\n",
                path, kind->name, input_hint(DATABASE_RUN));
    else if (found == DATABASE_RUN)
        fprintf(stderr,
                PROGRAM ": %s is a run database, but the %s plot compares the configurations "
                        "of a campaign; give the database that mip6sec-campaign merge wrote, or "
                        "draw the run with timeline, throughput or rekey\n",
                path, kind->name);
    else
        fprintf(stderr, PROGRAM ": %s is an SQLite database that mip6sec did not write; give %s\n",
                path, input_hint(kind->input));
    exit(PLOT_EXIT_INVALID);
}

/* Exit with a message that lists the run's nodes, because --node names none of them. */
_Noreturn static void
reject_node(struct plot *p)
{
    fprintf(stderr, PROGRAM ": %s has no node %ld; its nodes are", p->o->db_path, p->o->node);
    sqlite3_stmt *st = plot_prepare(p, "SELECT id, name FROM node ORDER BY id");
    int listed = 0, more = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (listed == MAX_LISTED_NODES) {
            more++;
            continue;
        }
        const char *name = (const char *)sqlite3_column_text(st, 1);
        fprintf(stderr, "%s %" PRId64 " (%s)", listed ? "," : "",
                (int64_t)sqlite3_column_int64(st, 0), name ? name : "no name");
        listed++;
    }
    sqlite3_finalize(st);
    if (more)
        fprintf(stderr, " and %d more (table node)", more);
    fprintf(stderr, "%s; give one of these ids with --node\n", listed ? "" : " none");
    exit(PLOT_EXIT_INVALID);
}

/* Set p->node_name to the node's name in the node table, or to "node ID" when it has none.
 * Quotes are dropped because the name goes into gnuplot strings. */
static void
node_name(struct plot *p, int64_t node)
{
    sqlite3_stmt *st = plot_prepare(p, "SELECT name FROM node WHERE id = ?");
    sqlite3_bind_int64(st, 1, node);
    const char *name = NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        name = (const char *)sqlite3_column_text(st, 0);
    if (name && *name)
        plot_quote(p->node_name, sizeof p->node_name, name);
    else
        snprintf(p->node_name, sizeof p->node_name, "node %" PRId64, node);
    sqlite3_finalize(st);
}

/* Set p->node to the mobile node: --node, or the node named mn, or the first node with a
 * link_down. */
static void
find_mobile_node(struct plot *p)
{
    sqlite3_stmt *st;
    if (p->o->node >= 0) {
        st = plot_prepare(p, "SELECT id FROM node WHERE id = ?");
        sqlite3_bind_int64(st, 1, p->o->node);
    } else {
        st = plot_prepare(p, "SELECT id FROM node WHERE name = 'mn' UNION ALL "
                             "SELECT min(node) FROM mobility_event WHERE kind = 1 LIMIT 1");
    }
    int64_t node = -1;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        node = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (node >= 0)
        node_name(p, node);

    if (node < 0 && p->o->node >= 0)
        reject_node(p);
    if (node < 0) {
        fprintf(stderr,
                PROGRAM ": %s has no node named mn and no link_down event; give the mobile "
                        "node with --node=ID\n",
                p->o->db_path);
        exit(PLOT_EXIT_INVALID);
    }
    p->node = node;
}

static void
usage(FILE *out)
{
    fprintf(out,
            "usage: " PROGRAM " timeline RUN.db [--handoff=N [--window=S]] [--node=ID] "
            "[--out=DIR]\n"
            "       " PROGRAM " throughput RUN.db [--bin=S] [--node=ID] [--out=DIR]\n"
            "       " PROGRAM " rekey RUN.db [--node=ID] [--out=DIR]\n"
            "       " PROGRAM " cdf|components CAMPAIGN.db [--out=DIR]\n"
            "Draw a run or a campaign with gnuplot as PNG, SVG and PDF, next to the data and\n"
            "the script.\n"
            "  timeline    UDP sequence numbers sent, delivered and lost, over a strip of handoff\n"
            "              milestones; --handoff=N zooms to the Nth handoff, --window seconds\n"
            "              each side (1.5)\n"
            "  throughput  the data stream and all packets delivered to the mobile node, in\n"
            "              Mbit/s per --bin seconds (0.1)\n"
            "  rekey       the mobile node's SAs by kind and direction from install to removal,\n"
            "              with a zoom to the first rekeys\n"
            "  cdf         the latency CDF of each configuration of a merged campaign\n"
            "  components  the mean latency components of each configuration, stacked\n"
            "  --out=DIR   where the files go (default: the current folder)\n"
            "  --node=ID   the mobile node of a run (default: the node named mn)\n");
}

int
main(int argc, char **argv)
{
    struct options o;
    char err[512];
    switch (plot_parse_args(argc, argv, &o, err, sizeof err)) {
    case PLOT_ARGS_OK:
        break;
    case PLOT_ARGS_HELP:
        usage(stdout);
        return 0;
    case PLOT_ARGS_INVALID:
        fprintf(stderr, PROGRAM ": %s\n", err);
        return PLOT_EXIT_INVALID;
    case PLOT_ARGS_USAGE:
        fprintf(stderr, PROGRAM ": %s\n", err);
        usage(stderr);
        return PLOT_EXIT_INVALID;
    }
    const struct plot_kind *kind = &plot_kinds[o.kind];
    struct stat sb;
    if (stat(o.out_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, PROGRAM ": --out=%s is not a folder; create it first\n", o.out_dir);
        return PLOT_EXIT_INVALID;
    }

    struct plot p = {.o = &o};
    open_database(&p, kind);
    if (kind->input == DATABASE_RUN)
        find_mobile_node(&p);
    kind->draw(&p);
    sqlite3_close(p.db);
    return 0;
}
