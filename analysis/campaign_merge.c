/* campaign_merge.c - the campaign database; see campaign_merge.h and docs/campaigns.md. */
#define _POSIX_C_SOURCE 200809L

#include "campaign_merge.h"

#include "campaign_run.h"
#include "handoffs.h"
#include "rec_schema.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROGRAM "mip6sec-campaign"

static const char schema[] =
    "CREATE TABLE campaign (name TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE configuration (config INTEGER PRIMARY KEY, label TEXT NOT NULL);"
    "CREATE TABLE parameter (config INTEGER NOT NULL REFERENCES configuration,"
    " name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (config, name));"
    "CREATE TABLE run (config INTEGER NOT NULL REFERENCES configuration,"
    " replication INTEGER NOT NULL, seed INTEGER NOT NULL, status TEXT NOT NULL,"
    " path TEXT NOT NULL, run_id TEXT, handoffs INTEGER, rekeys INTEGER,"
    " PRIMARY KEY (config, replication));"
    "CREATE TABLE handoff (config INTEGER NOT NULL, replication INTEGER NOT NULL,"
    " node INTEGER NOT NULL, node_name TEXT, handoff INTEGER NOT NULL,"
    " link_down_s REAL, link_up_s REAL, movement_s REAL, coa_ready_s REAL, bu_sent_s REAL,"
    " ba_received_s REAL, ba_status INTEGER, first_data_s REAL, latency_s REAL,"
    " lost_packets INTEGER, care_of_address TEXT, returned_home INTEGER NOT NULL,"
    " included INTEGER NOT NULL, note TEXT,"
    " duplicates INTEGER, reordered INTEGER, rr_tokens_s REAL, cn_ba_received_s REAL,"
    " first_ro_data_s REAL, rr_s REAL, cn_registration_s REAL, ike_start_s REAL,"
    " ike_sa_up_s REAL, sas_ready_s REAL, ike_sa_moved_s REAL, ike_s REAL, tcp_recovery_s REAL,"
    " PRIMARY KEY (config, replication, node, handoff));"
    "CREATE TABLE rekey (config INTEGER NOT NULL, replication INTEGER NOT NULL,"
    " node INTEGER NOT NULL, node_name TEXT, rekey INTEGER NOT NULL, kind TEXT, peer INTEGER,"
    " old_spi INTEGER, new_spi INTEGER, start_ns INTEGER NOT NULL, end_ns INTEGER,"
    " duration_ns INTEGER, ike_events INTEGER, loss_end_ns INTEGER, esp_drops INTEGER,"
    " drops INTEGER, ha_old_in INTEGER, ha_new_in INTEGER, ha_overlap_ns INTEGER,"
    " mn_overlap_ns INTEGER, last_link_down_ns INTEGER,"
    " PRIMARY KEY (config, replication, node, rekey));";

/* The columns of rekeys_v that the rekey table copies, after config and replication. */
static const char rekey_columns[] =
    "node, node_name, rekey, kind, peer, old_spi, new_spi, start_ns, end_ns, duration_ns,"
    " ike_events, loss_end_ns, esp_drops, drops, ha_old_in, ha_new_in, ha_overlap_ns,"
    " mn_overlap_ns, last_link_down_ns";
#define REKEY_COLUMN_COUNT 19

struct merge {
    const struct campaign *c;
    const char *output;
    sqlite3 *db;
    sqlite3_stmt *insert_run, *insert_handoff, *insert_rekey;
    size_t complete, incomplete, handoffs, rekeys;
    size_t without_sa_event; /* complete runs recorded before the sa_event table */
};

static int
db_error(struct merge *m, const char *what)
{
    fprintf(stderr, PROGRAM ": %s: %s failed: %s\n", m->output, what, sqlite3_errmsg(m->db));
    return CAMPAIGN_EXIT_USAGE;
}

static int
step_done(struct merge *m, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : db_error(m, what);
}

static void
bind_time(sqlite3_stmt *st, int column, int64_t ns)
{
    if (ns == HANDOFF_NONE)
        sqlite3_bind_null(st, column);
    else
        sqlite3_bind_double(st, column, (double)ns / 1e9);
}

static void
bind_int(sqlite3_stmt *st, int column, int64_t v)
{
    if (v == HANDOFF_NONE)
        sqlite3_bind_null(st, column);
    else
        sqlite3_bind_int64(st, column, v);
}

static int
write_campaign(struct merge *m)
{
    const struct campaign *c = m->c;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(m->db, "INSERT INTO campaign VALUES (?, ?)", -1, &st, NULL) != SQLITE_OK)
        return db_error(m, "preparing the campaign rows");

    size_t fixed_size = 1;
    for (size_t f = 0; f < c->fixed_count; f++)
        fixed_size += strlen(c->fixed[f]) + 1;
    char *fixed = calloc(1, fixed_size);
    char numbers[3][32];
    snprintf(numbers[0], sizeof numbers[0], "%lu", c->replications);
    snprintf(numbers[1], sizeof numbers[1], "%lu", c->seed);
    snprintf(numbers[2], sizeof numbers[2], "%lld", (long long)time(NULL));
    for (size_t f = 0; fixed && f < c->fixed_count; f++) {
        strcat(fixed, f ? " " : "");
        strcat(fixed, c->fixed[f]);
    }
    const char *rows[][2] = {
        {"file", c->path},    {"scenario", c->scenario},     {"replications", numbers[0]},
        {"seed", numbers[1]}, {"fixed", fixed ? fixed : ""}, {"merged_unix_time", numbers[2]},
    };
    int status = fixed ? 0 : db_error(m, "allocating");
    for (size_t i = 0; status == 0 && i < sizeof rows / sizeof rows[0]; i++) {
        sqlite3_bind_text(st, 1, rows[i][0], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, rows[i][1], -1, SQLITE_STATIC);
        status = step_done(m, st, "writing the campaign table");
    }
    sqlite3_finalize(st);
    free(fixed);
    return status;
}

static int
write_configurations(struct merge *m)
{
    const struct campaign *c = m->c;
    sqlite3_stmt *config = NULL, *param = NULL;
    int status = 0;
    if (sqlite3_prepare_v2(m->db, "INSERT INTO configuration VALUES (?, ?)", -1, &config, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(m->db, "INSERT INTO parameter VALUES (?, ?, ?)", -1, &param, NULL) !=
            SQLITE_OK)
        status = db_error(m, "preparing the configuration rows");

    for (size_t k = 0; status == 0 && k < c->config_count; k++) {
        char *label = campaign_label(c, k);
        sqlite3_bind_int64(config, 1, (sqlite3_int64)k);
        sqlite3_bind_text(config, 2, label ? label : "?", -1, SQLITE_TRANSIENT);
        free(label);
        status = step_done(m, config, "writing the configuration table");
        for (size_t g = 0; status == 0 && g < c->grid_count; g++) {
            sqlite3_bind_int64(param, 1, (sqlite3_int64)k);
            sqlite3_bind_text(param, 2, c->grids[g].name, -1, SQLITE_STATIC);
            sqlite3_bind_text(param, 3, campaign_value(c, k, g), -1, SQLITE_STATIC);
            status = step_done(m, param, "writing the parameter table");
        }
    }
    sqlite3_finalize(config);
    sqlite3_finalize(param);
    return status;
}

/* Bind the order, route optimization, keying and TCP columns from column col on. */
static void
bind_extra(sqlite3_stmt *st, int col, const struct handoff *x)
{
    bind_int(st, col++, x->duplicates);
    bind_int(st, col++, x->reordered);
    const int64_t times[] = {
        x->tokens,
        x->cn_ba,
        x->ro_data,
        handoff_interval(x->t[M_BA], x->tokens),
        handoff_interval(x->t[M_BA], x->cn_ba),
        x->ike_start,
        x->ike_up,
        x->sas_ready,
        x->ike_moved,
        handoff_interval(x->t[M_COA], x->ike_up),
        x->tcp_recovery,
    };
    for (size_t k = 0; k < sizeof times / sizeof times[0]; k++)
        bind_time(st, col++, times[k]);
}

/* Insert the handoffs of one complete run. */
static int
write_handoffs(struct merge *m, struct handoff_db *h, size_t config, unsigned long replication)
{
    sqlite3_stmt *st = m->insert_handoff;
    int status = 0;
    for (size_t i = 0; status == 0 && i < h->count; i++) {
        const struct handoff *x = &h->handoffs[i];
        int col = 1;
        sqlite3_bind_int64(st, col++, (sqlite3_int64)config);
        sqlite3_bind_int64(st, col++, (sqlite3_int64)replication);
        sqlite3_bind_int64(st, col++, x->node);
        sqlite3_bind_text(st, col++, handoff_db_node_name(h, x->node), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, col++, x->number);
        for (int k = 0; k < M_COUNT; k++) {
            if (k == M_DATA)
                bind_int(st, col++, x->status);
            bind_time(st, col++, x->t[k]);
        }
        bind_time(st, col++, handoff_latency(x));
        bind_int(st, col++, x->lost);
        if (x->home || x->coa == HANDOFF_NONE)
            sqlite3_bind_null(st, col++);
        else
            sqlite3_bind_text(st, col++, handoff_db_address_text(h, x->coa), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, col++, x->home);
        sqlite3_bind_int(st, col++, x->included);
        sqlite3_bind_text(st, col++, x->note, -1, SQLITE_TRANSIENT);
        bind_extra(st, col, x);
        status = step_done(m, st, "writing the handoff table");
    }
    m->handoffs += h->count;
    return status;
}

/* Whether the run database itself (not this connection's TEMP schema) has the view rekeys_v. */
static bool
has_rekeys_view(struct handoff_db *h)
{
    sqlite3_stmt *q = handoff_db_prepare(
        h, "SELECT count(*) FROM sqlite_master WHERE type = 'view' AND name = 'rekeys_v'");
    bool found = sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int64(q, 0) > 0;
    sqlite3_finalize(q);
    return found;
}

static int
run_db_error(struct handoff_db *h, const char *what)
{
    fprintf(stderr, PROGRAM ": %s: %s failed: %s\n", h->path, what, sqlite3_errmsg(h->db));
    return CAMPAIGN_EXIT_USAGE;
}

/*
 * Copy the rows of rekeys_v of one complete run into the rekey table and
 * store their number in *count.  A run recorded before the view gets it
 * as a TEMP view of this connection, so the file stays unchanged.  A run
 * recorded before the sa_event table (schema version 1) has no rekeys to
 * copy, and *count stays HANDOFF_NONE.  Call after handoff_db_extract,
 * which sets h->has_sa_event.
 */
static int
write_rekeys(struct merge *m, struct handoff_db *h, size_t config, unsigned long replication,
             int64_t *count)
{
    *count = HANDOFF_NONE;
    if (!h->has_sa_event) {
        m->without_sa_event++;
        return 0;
    }

    if (!has_rekeys_view(h)) {
        for (size_t i = 0; i < REC_ANALYSIS_VIEW_COUNT; i++) {
            if (strcmp(rec_analysis_views[i].name, "rekeys_v") != 0)
                continue;
            char *sql =
                sqlite3_mprintf("CREATE TEMP VIEW IF NOT EXISTS %s", rec_analysis_views[i].sql);
            int rc = sql ? sqlite3_exec(h->db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
            sqlite3_free(sql);
            if (rc != SQLITE_OK)
                return run_db_error(h, "creating the view rekeys_v");
        }
    }

    char sql[512];
    snprintf(sql, sizeof sql, "SELECT %s FROM rekeys_v ORDER BY node, rekey", rekey_columns);
    sqlite3_stmt *q = handoff_db_prepare(h, sql);
    sqlite3_stmt *st = m->insert_rekey;
    int status = 0, rc = SQLITE_DONE;
    int64_t rows = 0;
    while (status == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)config);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)replication);
        for (int k = 0; k < REKEY_COLUMN_COUNT; k++)
            sqlite3_bind_value(st, k + 3, sqlite3_column_value(q, k));
        status = step_done(m, st, "writing the rekey table");
        rows++;
    }
    if (status == 0 && rc != SQLITE_DONE)
        status = run_db_error(h, "reading rekeys_v");
    sqlite3_finalize(q);

    *count = rows;
    m->rekeys += (size_t)rows;
    return status;
}

static int
merge_run(struct merge *m, const char *dir, size_t index)
{
    size_t config;
    unsigned long replication;
    char db[4096], status_text[64], run_id[64] = "";
    campaign_run_at(m->c, index, &config, &replication);
    campaign_run_path(dir, config, replication, ".db", db, sizeof db);
    campaign_db_status(db, status_text, sizeof status_text);

    int64_t handoffs = HANDOFF_NONE, rekeys = HANDOFF_NONE;
    int status = 0;
    if (strcmp(status_text, "complete") == 0) {
        struct handoff_db h = {.program = PROGRAM, .path = db};
        handoff_db_open(&h);
        sqlite3_stmt *q = handoff_db_prepare(&h, "SELECT run_id FROM run");
        if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
            snprintf(run_id, sizeof run_id, "%s", (const char *)sqlite3_column_text(q, 0));
        sqlite3_finalize(q);
        handoff_db_read_traffic(&h);
        handoff_db_ensure_indexes(&h);
        handoff_db_extract(&h);
        status = write_handoffs(m, &h, config, replication);
        if (status == 0)
            status = write_rekeys(m, &h, config, replication, &rekeys);
        handoffs = (int64_t)h.count;
        handoff_db_close(&h);
        m->complete++;
    } else {
        if (m->incomplete < 20)
            fprintf(stderr, PROGRAM ": %s is %s; its handoffs and rekeys are left out\n", db,
                    status_text);
        m->incomplete++;
    }
    if (status != 0)
        return status;

    sqlite3_stmt *st = m->insert_run;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)config);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)replication);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)m->c->seed);
    sqlite3_bind_text(st, 4, status_text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, db, -1, SQLITE_TRANSIENT);
    if (run_id[0])
        sqlite3_bind_text(st, 6, run_id, -1, SQLITE_TRANSIENT);
    bind_int(st, 7, handoffs);
    bind_int(st, 8, rekeys);
    return step_done(m, st, "writing the run table");
}

int
campaign_merge(const struct campaign *c, const char *dir, const char *output)
{
    struct merge m = {.c = c, .output = output};
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", output) >= sizeof tmp) {
        fprintf(stderr, PROGRAM ": --output=%s: the path is too long\n", output);
        return CAMPAIGN_EXIT_USAGE;
    }
    unlink(tmp);

    /* Write to OUTPUT.tmp and rename it at the end, so an interrupted merge leaves no half
     * database. */
    int status = 0;
    if (sqlite3_open_v2(tmp, &m.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(m.db, schema, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(m.db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        status = db_error(&m, "creating the campaign database");
    if (status == 0 &&
        (sqlite3_prepare_v2(m.db, "INSERT INTO run VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1,
                            &m.insert_run, NULL) != SQLITE_OK ||
         sqlite3_prepare_v2(m.db,
                            "INSERT INTO handoff VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                            " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            -1, &m.insert_handoff, NULL) != SQLITE_OK ||
         sqlite3_prepare_v2(m.db,
                            "INSERT INTO rekey VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                            " ?, ?, ?, ?, ?, ?, ?)",
                            -1, &m.insert_rekey, NULL) != SQLITE_OK))
        status = db_error(&m, "preparing the inserts");
    if (status == 0)
        status = write_campaign(&m);
    if (status == 0)
        status = write_configurations(&m);
    for (size_t i = 0; status == 0 && i < c->run_count; i++)
        status = merge_run(&m, dir, i);
    if (status == 0 && sqlite3_exec(m.db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        status = db_error(&m, "committing");

    sqlite3_finalize(m.insert_run);
    sqlite3_finalize(m.insert_handoff);
    sqlite3_finalize(m.insert_rekey);
    sqlite3_close(m.db);
    if (status == 0 && rename(tmp, output) != 0) {
        fprintf(stderr, PROGRAM ": cannot rename %s to %s: %s\n", tmp, output, strerror(errno));
        status = CAMPAIGN_EXIT_USAGE;
    }
    if (status != 0) {
        unlink(tmp);
        return status;
    }

    printf("%s: %zu configurations, %zu runs: %zu complete with %zu handoffs and %zu rekeys",
           output, c->config_count, c->run_count, m.complete, m.handoffs, m.rekeys);
    if (m.incomplete > 0)
        printf("; %zu runs not complete, their handoffs and rekeys left out (run "
               "'mip6sec-campaign run' again to finish them)",
               m.incomplete);
    printf("\n");
    if (m.without_sa_event > 0)
        fprintf(stderr,
                PROGRAM ": note: complete runs recorded before the sa_event table (schema "
                        "version 1), so without rekeys in the campaign database: %zu; rerun "
                        "them with this version to include their rekeys\n",
                m.without_sa_event);
    return CAMPAIGN_EXIT_OK;
}
