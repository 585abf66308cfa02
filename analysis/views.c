/*
 * views.c - add the analysis views to databases that lack them.
 */
#include "views.h"

#include "rec_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
has_object(struct handoff_db *c, const char *type, const char *name)
{
    sqlite3_stmt *st = handoff_db_prepare(
        c, "SELECT count(*) FROM sqlite_master WHERE type = ? AND name = ?"
           " UNION ALL SELECT count(*) FROM sqlite_temp_master WHERE type = ? AND name = ?");
    sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, name, -1, SQLITE_STATIC);
    int64_t found = 0;
    while (sqlite3_step(st) == SQLITE_ROW)
        found += sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return found > 0;
}

static void
create_view(struct handoff_db *c, const struct rec_view *view, bool temp)
{
    const char *prefix = temp ? "CREATE TEMP VIEW IF NOT EXISTS " : "CREATE VIEW IF NOT EXISTS ";
    size_t len = strlen(prefix) + strlen(view->sql) + 1;
    char *sql = malloc(len);
    if (!sql) {
        fprintf(stderr, "%s: out of memory\n", c->program);
        exit(HANDOFF_EXIT_UNUSABLE);
    }
    snprintf(sql, len, "%s%s", prefix, view->sql);
    if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: %s: cannot create view %s: %s\n", c->program, c->path, view->name,
                sqlite3_errmsg(c->db));
        free(sql);
        exit(HANDOFF_EXIT_UNUSABLE);
    }
    free(sql);
}

void
views_ensure(struct handoff_db *c)
{
    if (!has_object(c, "table", "sa_event")) {
        fprintf(stderr,
                "%s: %s: the database has no sa_event table (schema version 1); rerun the "
                "scenario with this version to analyse rekeys and overheads\n",
                c->program, c->path);
        exit(HANDOFF_EXIT_UNUSABLE);
    }

    bool read_only = sqlite3_db_readonly(c->db, "main") == 1;
    if (!read_only && !has_object(c, "index", "sa_event_spi")) {
        if (sqlite3_exec(c->db, "CREATE INDEX IF NOT EXISTS sa_event_spi ON sa_event(spi)", NULL,
                         NULL, NULL) != SQLITE_OK)
            fprintf(stderr,
                    "warning: cannot build index sa_event_spi (%s); the analysis will "
                    "be slow\n",
                    sqlite3_errmsg(c->db));
    }

    for (size_t i = 0; i < REC_ANALYSIS_VIEW_COUNT; i++) {
        const struct rec_view *view = &rec_analysis_views[i];
        if (has_object(c, "view", view->name))
            continue;
        if (read_only)
            fprintf(stderr,
                    "note: %s is read-only, so view %s exists for this analysis only (TEMP)\n",
                    c->path, view->name);
        else
            fprintf(stderr, "note: adding view %s to %s (written before the view existed)\n",
                    view->name, c->path);
        create_view(c, view, read_only);
    }
}
