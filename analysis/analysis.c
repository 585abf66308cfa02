/*
 * analysis.c - mip6sec-analysis: handoff latencies from one run database,
 * or statistics per configuration from a campaign database.
 *
 * Usage: mip6sec-analysis [--csv] RUN.db
 *        mip6sec-analysis --rekeys [--handoffWindow=S] [--csv] RUN.db
 *        mip6sec-analysis --overhead [--csv] RUN.db
 *        mip6sec-analysis [--csv | --cdf] CAMPAIGN.db
 *        mip6sec-analysis --rekeys [--handoffWindow=S] [--csv] CAMPAIGN.db
 *
 * handoffs.c finds the handoffs of a run and their milestones, and this
 * file prints them with mean, median and standard deviation.  A campaign
 * database (mip6sec-campaign merge) goes to campaign_report.c, or with
 * --rekeys to campaign_rekeys.c.
 * docs/database.md documents the schema and the rules.
 *
 * Exit status: 0 on success, 2 when the database cannot be analysed.
 */
#define _POSIX_C_SOURCE 200809L

#include "analysis_options.h"
#include "campaign_rekeys.h"
#include "campaign_report.h"
#include "handoffs.h"
#include "overhead.h"
#include "rekeys.h"
#include "views.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE HANDOFF_NONE
#define EXIT_UNUSABLE HANDOFF_EXIT_UNUSABLE

/* Print the run line and warn when the run did not complete. */
static void
check_run(struct handoff_db *c, bool csv)
{
    sqlite3_stmt *st = handoff_db_prepare(c, "SELECT run_id, seed, run_number, status FROM run");
    /* Warnings go with the report in table mode and to stderr in CSV mode. */
    FILE *out = csv ? stderr : stdout;
    if (sqlite3_step(st) != SQLITE_ROW) {
        fprintf(out,
                "warning: %s has no run row: the run is incomplete; results cover what "
                "was recorded\n",
                c->path);
        sqlite3_finalize(st);
        return;
    }
    const char *status = (const char *)sqlite3_column_text(st, 3);
    if (!csv)
        fprintf(out, "run %s, seed %lld, run number %lld, status %s\n",
                (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
                sqlite3_column_int64(st, 2), status ? status : "?");
    if (!status || strcmp(status, "complete") != 0)
        fprintf(out,
                "warning: run status is '%s', not 'complete': the run is incomplete; results "
                "cover what was recorded\n",
                status ? status : "?");
    sqlite3_finalize(st);
}

/* --------------------------------------------------------------- output */

static void
put_time(FILE *out, int64_t ns, int width)
{
    if (ns == NONE)
        fprintf(out, "%*s", width, "-");
    else
        fprintf(out, "%*.3f", width, (double)ns / 1e9);
}

static void
put_int(FILE *out, int64_t v, int width)
{
    if (v == NONE)
        fprintf(out, "%*s", width, "-");
    else
        fprintf(out, "%*" PRId64, width, v);
}

/* Write text as one CSV field, quoted (RFC 4180) when it contains a comma or quote. */
static void
put_csv_text(FILE *out, const char *text)
{
    if (!strpbrk(text, ",\"\n")) {
        fputs(text, out);
        return;
    }
    putc('"', out);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            putc('"', out);
        putc(*p, out);
    }
    putc('"', out);
}

/* Write the order, route optimization, keying and TCP columns, each after a comma. */
static void
print_csv_extra(const struct handoff *h)
{
    const int64_t counts[] = {h->duplicates, h->reordered};
    const int64_t times[] = {
        h->tokens,
        h->cn_ba,
        h->ro_data,
        handoff_interval(h->t[M_BA], h->tokens),
        handoff_interval(h->t[M_BA], h->cn_ba),
        h->ike_start,
        h->ike_up,
        h->sas_ready,
        h->ike_moved,
        handoff_interval(h->t[M_COA], h->ike_up),
        h->tcp_recovery,
    };
    for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
        putchar(',');
        put_int(stdout, counts[k], 0);
    }
    for (size_t k = 0; k < sizeof times / sizeof times[0]; k++) {
        putchar(',');
        put_time(stdout, times[k], 0);
    }
}

static void
print_csv(struct handoff_db *c)
{
    printf("node,node_name,handoff,link_down_s,link_up_s,movement_s,coa_ready_s,bu_sent_s,"
           "ba_received_s,ba_status,first_data_s,latency_s,lost_packets,care_of_address,"
           "returned_home,included,note,duplicates,reordered,rr_tokens_s,cn_ba_received_s,"
           "first_ro_data_s,rr_s,cn_registration_s,ike_start_s,ike_sa_up_s,sas_ready_s,"
           "ike_sa_moved_s,ike_s,tcp_recovery_s\n");
    for (size_t i = 0; i < c->count; i++) {
        const struct handoff *h = &c->handoffs[i];
        printf("%" PRIu32 ",%s,%d", h->node, handoff_db_node_name(c, h->node), h->number);
        for (int m = 0; m < M_COUNT; m++) {
            putchar(',');
            if (m == M_DATA) {
                put_int(stdout, h->status, 0);
                putchar(',');
            }
            put_time(stdout, h->t[m], 0);
        }
        putchar(',');
        put_time(stdout, handoff_latency(h), 0);
        putchar(',');
        put_int(stdout, h->lost, 0);
        printf(",%s,%d,%d,", h->home ? "" : handoff_db_address_text(c, h->coa), h->home,
               h->included);
        put_csv_text(stdout, h->note);
        print_csv_extra(h);
        putchar('\n');
    }
}

/*
 * Print the second table: datagram order, route optimization, keying and
 * TCP recovery.  Durations count from the milestone that docs/database.md
 * names for each column; ro-data[s] is a time of the run like data[s].
 */
static void
print_extra_table(struct handoff_db *c)
{
    uint32_t last_node = UINT32_MAX;
    for (size_t i = 0; i < c->count; i++) {
        const struct handoff *h = &c->handoffs[i];
        if (h->node != last_node) {
            last_node = h->node;
            printf("\nmobile node %" PRIu32 " (%s): order, route optimization, keying, TCP\n",
                   h->node, handoff_db_node_name(c, h->node));
            printf("%3s %5s %5s %10s %10s %10s %10s %10s %10s  %s\n", "#", "dup", "reord", "rr[s]",
                   "cn-reg[s]", "ro-data[s]", "ike[s]", "sas[s]", "tcp-rec[s]", "IKE SA");
        }
        printf("%3d ", h->number);
        put_int(stdout, h->duplicates, 5);
        putchar(' ');
        put_int(stdout, h->reordered, 5);
        const int64_t times[] = {
            handoff_interval(h->t[M_BA], h->tokens),
            handoff_interval(h->t[M_BA], h->cn_ba),
            h->ro_data,
            handoff_interval(h->t[M_COA], h->ike_up),
            handoff_interval(h->t[M_COA], h->sas_ready),
            h->tcp_recovery,
        };
        for (size_t k = 0; k < sizeof times / sizeof times[0]; k++) {
            putchar(' ');
            put_time(stdout, times[k], 10);
        }
        const char *ike = "-";
        if (h->ike_up != NONE)
            ike = "new";
        else if (h->ike_moved != NONE)
            ike = "moved";
        printf("  %s\n", ike);
    }
}

/* Count the BUs that node h->node sent from the first BU of h to its BA. */
static int
count_bus(struct handoff_db *c, const struct handoff *h)
{
    sqlite3_stmt *st = NULL;
    int count = 0;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT count(*) FROM mobility_event WHERE node = ?1 AND kind = 5"
                           " AND time_ns BETWEEN ?2 AND ?3",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, h->node);
        sqlite3_bind_int64(st, 2, h->t[M_BU]);
        sqlite3_bind_int64(st, 3, h->t[M_BA]);
        if (sqlite3_step(st) == SQLITE_ROW)
            count = sqlite3_column_int(st, 0);
    }
    sqlite3_finalize(st);
    return count;
}

static void
print_table(struct handoff_db *c)
{
    if (c->no_udp_stream)
        printf("\nnote: the run sent no UDP stream (its --traffic has no udp), and the analysis "
               "follows UDP only, so data, latency and lost stay empty\n");
    if (c->count == 0)
        printf("\nno handoffs: no mobile node recorded a link_down event\n");
    uint32_t last_node = UINT32_MAX;
    for (size_t i = 0; i < c->count; i++) {
        const struct handoff *h = &c->handoffs[i];
        if (h->node != last_node) {
            last_node = h->node;
            printf("\nmobile node %" PRIu32 " (%s)\n", h->node, handoff_db_node_name(c, h->node));
            printf("%3s %10s %10s %10s %10s %10s %10s %6s %10s %10s %7s  %s\n", "#", "down[s]",
                   "up[s]", "move[s]", "coa[s]", "bu[s]", "ba[s]", "status", "data[s]",
                   "latency[s]", "lost", "care-of address");
        }
        printf("%3d", h->number);
        for (int m = 0; m < M_COUNT; m++) {
            putchar(' ');
            if (m == M_DATA) {
                put_int(stdout, h->status, 6);
                putchar(' ');
            }
            put_time(stdout, h->t[m], 10);
        }
        putchar(' ');
        put_time(stdout, handoff_latency(h), 10);
        putchar(' ');
        put_int(stdout, h->lost, 7);
        printf("  %s\n", h->home ? "(home link)" : handoff_db_address_text(c, h->coa));
    }
    print_extra_table(c);

    bool any_note = false;
    for (size_t i = 0; i < c->count; i++) {
        const struct handoff *h = &c->handoffs[i];
        if (h->included)
            continue;
        if (!any_note)
            printf("\n");
        any_note = true;
        printf("note: node %" PRIu32 " handoff %d: %s; excluded from the statistics\n", h->node,
               h->number, h->note);
    }
    for (size_t i = 0; i < c->count; i++) {
        const struct handoff *h = &c->handoffs[i];
        if (!h->included || h->t[M_BA] == NONE || h->t[M_DATA] == NONE ||
            h->t[M_BA] <= h->t[M_DATA])
            continue;
        if (!any_note)
            printf("\n");
        any_note = true;
        printf("note: node %" PRIu32 " handoff %d: data arrived %.3f s before the BA, which "
               "acknowledged BU %d of this handoff, so the components count the BA at the first "
               "data\n",
               h->node, h->number, (double)(h->t[M_BA] - h->t[M_DATA]) / 1e9, count_bus(c, h));
    }
}

/* Print n, mean, median and standard deviation of the values (seconds). */
static void
print_stat_row(const char *name, double *v, size_t n)
{
    printf("%-26s %4zu", name, n);
    if (n == 0) {
        printf(" %10s %10s %10s\n", "-", "-", "-");
        return;
    }
    gsl_sort(v, 1, n);
    printf(" %10.3f %10.3f", gsl_stats_mean(v, 1, n), gsl_stats_median_from_sorted_data(v, 1, n));
    if (n >= 2)
        printf(" %10.3f\n", gsl_stats_sd(v, 1, n));
    else
        printf(" %10s\n", "-");
}

/* Print n, mean, median and standard deviation of counts. */
static void
print_count_row(const char *name, double *v, size_t n)
{
    printf("%-26s %4zu", name, n);
    if (n == 0) {
        printf(" %10s %10s %10s\n", "-", "-", "-");
        return;
    }
    gsl_sort(v, 1, n);
    printf(" %10.1f %10.1f", gsl_stats_mean(v, 1, n), gsl_stats_median_from_sorted_data(v, 1, n));
    if (n >= 2)
        printf(" %10.2f\n", gsl_stats_sd(v, 1, n));
    else
        printf(" %10s\n", "-");
}

/*
 * Print the rows of the second table's quantities over the included
 * handoffs.  The counts always get a row when the run streamed UDP; the
 * intervals only when at least one handoff has them, so a run without
 * route optimization, IKE or TCP shows no empty rows.  v has room for
 * c->count values.
 */
static void
print_extra_statistics(struct handoff_db *c, double *v)
{
    enum { DUPLICATES, REORDERED };
    const char *count_names[] = {"duplicates (count)", "reordered (count)"};
    for (int k = DUPLICATES; k <= REORDERED; k++) {
        size_t n = 0;
        for (size_t i = 0; i < c->count; i++) {
            const struct handoff *h = &c->handoffs[i];
            int64_t x = k == DUPLICATES ? h->duplicates : h->reordered;
            if (h->included && x != NONE)
                v[n++] = (double)x;
        }
        if (!c->no_udp_stream)
            print_count_row(count_names[k], v, n);
    }

    enum {
        COA_TO_IKE,
        BA_TO_IKE,
        IKE_TO_SAS,
        IKE_TO_BU,
        BA_TO_TOKENS,
        BA_TO_CN_BA,
        BA_TO_RO_DATA,
        TCP_RECOVERY,
        N_EXTRA,
    };
    const char *names[N_EXTRA] = {
        "CoA ready to IKE SA up", "BA received to IKE SA up",  "IKE SA up to SAs ready",
        "IKE SA up to BU sent",   "BA received to RR tokens",  "BA received to CN BA",
        "BA received to RO data", "TCP recovery (BA to rate)",
    };
    for (int k = 0; k < N_EXTRA; k++) {
        size_t n = 0;
        for (size_t i = 0; i < c->count; i++) {
            const struct handoff *h = &c->handoffs[i];
            int64_t x = NONE;
            bool ike_first = h->ike_up != NONE && (h->t[M_BU] == NONE || h->ike_up <= h->t[M_BU]);
            if (k == COA_TO_IKE && ike_first)
                x = handoff_interval(h->t[M_COA], h->ike_up);
            else if (k == BA_TO_IKE && h->ike_up != NONE && h->t[M_BA] != NONE &&
                     h->ike_up > h->t[M_BA])
                x = h->ike_up - h->t[M_BA]; /* --kBit=false: IKE again after the BA */
            else if (k == IKE_TO_SAS)
                x = handoff_interval(h->ike_up, h->sas_ready);
            else if (k == IKE_TO_BU && h->ike_up != NONE && h->t[M_BU] != NONE &&
                     h->ike_up <= h->t[M_BU])
                x = h->t[M_BU] - h->ike_up; /* only where IKE came before the BU */
            else if (k == BA_TO_TOKENS)
                x = handoff_interval(h->t[M_BA], h->tokens);
            else if (k == BA_TO_CN_BA)
                x = handoff_interval(h->t[M_BA], h->cn_ba);
            else if (k == BA_TO_RO_DATA && h->t[M_BA] != NONE && h->ro_data != NONE &&
                     h->ro_data >= h->t[M_BA])
                x = h->ro_data - h->t[M_BA];
            else if (k == TCP_RECOVERY)
                x = h->tcp_recovery;
            if (h->included && x != NONE)
                v[n++] = (double)x / 1e9;
        }
        if (n > 0)
            print_stat_row(names[k], v, n);
    }
}

static void
print_statistics(struct handoff_db *c)
{
    double *v = malloc((c->count ? c->count : 1) * sizeof *v);
    if (!v) {
        fprintf(stderr, "mip6sec-analysis: out of memory\n");
        exit(EXIT_UNUSABLE);
    }
    size_t included = 0;
    for (size_t i = 0; i < c->count; i++)
        included += c->handoffs[i].included;
    printf("\nstatistics over %zu of %zu handoffs (seconds; sd is the sample standard "
           "deviation)\n",
           included, c->count);
    printf("%-26s %4s %10s %10s %10s\n", "quantity", "n", "mean", "median", "sd");

    size_t n = 0;
    for (size_t i = 0; i < c->count; i++)
        if (c->handoffs[i].included && handoff_latency(&c->handoffs[i]) != NONE)
            v[n++] = (double)handoff_latency(&c->handoffs[i]) / 1e9;
    print_stat_row("latency (down to data)", v, n);

    /* Components: the time between consecutive milestones, where both were recorded. */
    for (int m = M_UP; m < M_COUNT; m++) {
        char name[64];
        snprintf(name, sizeof name, "%s to %s", milestone_names[m - 1], milestone_names[m]);
        n = 0;
        for (size_t i = 0; i < c->count; i++) {
            const struct handoff *h = &c->handoffs[i];
            int64_t component = handoff_component(h, m);
            if (h->included && component != NONE)
                v[n++] = (double)component / 1e9;
        }
        print_stat_row(name, v, n);
    }

    n = 0;
    for (size_t i = 0; i < c->count; i++)
        if (c->handoffs[i].included && c->handoffs[i].lost != NONE)
            v[n++] = (double)c->handoffs[i].lost;
    printf("%-26s %4zu", "lost packets (count)", n);
    if (n > 0) {
        gsl_sort(v, 1, n);
        printf(" %10.1f %10.1f", gsl_stats_mean(v, 1, n),
               gsl_stats_median_from_sorted_data(v, 1, n));
        if (n >= 2)
            printf(" %10.2f\n", gsl_stats_sd(v, 1, n));
        else
            printf(" %10s\n", "-");
    } else {
        printf(" %10s %10s %10s\n", "-", "-", "-");
    }
    print_extra_statistics(c, v);
    free(v);
}

static void
usage(FILE *out)
{
    fprintf(out, "usage: mip6sec-analysis [--csv] [--tcpWindow=S] [--tcpFraction=F] RUN.db\n"
                 "       mip6sec-analysis [--csv | --cdf] CAMPAIGN.db\n"
                 "       mip6sec-analysis --rekeys [--handoffWindow=S] [--csv] RUN.db|CAMPAIGN.db\n"
                 "       mip6sec-analysis --overhead [--csv] RUN.db\n"
                 "Print the handoff latencies and losses of one mip6sec run database, or the\n"
                 "statistics per configuration of a campaign database (mip6sec-campaign merge).\n"
                 "  --csv   print one CSV row per handoff (per statistic for a campaign) instead\n"
                 "          of the table\n"
                 "  --tcpWindow=S    run with --traffic=tcp: the sliding window of the TCP\n"
                 "          recovery time, seconds (default 0.5)\n"
                 "  --tcpFraction=F  share of the TCP rate before link down that counts as\n"
                 "          recovered, above 0 and at most 1 (default 0.9)\n"
                 "  --cdf   campaign only: print the empirical CDF of the latency per\n"
                 "          configuration as CSV\n"
                 "  --rekeys  print one row per SA rekey (view rekeys_v) and statistics; for a\n"
                 "          campaign, statistics per configuration over all rekeys, the rekeys\n"
                 "          that coincided with a handoff and the others\n"
                 "  --handoffWindow=S  with --rekeys: a rekey coincides with a handoff when a\n"
                 "          link_down lies from S seconds before rekey_start to rekey_done\n"
                 "          (default 1)\n"
                 "  --overhead  run only: print the tunnel, ESP and extension header bytes per\n"
                 "          node and the signalling per mobile node (views overhead_v and\n"
                 "          signalling_v)\n");
}

int
main(int argc, char **argv)
{
    struct analysis_options o;
    char err[512];
    switch (analysis_parse_args(argc, argv, &o, err, sizeof err)) {
    case ANALYSIS_ARGS_OK:
        break;
    case ANALYSIS_ARGS_HELP:
        usage(stdout);
        return 0;
    case ANALYSIS_ARGS_INVALID:
        fprintf(stderr, "mip6sec-analysis: %s\n", err);
        return EXIT_UNUSABLE;
    case ANALYSIS_ARGS_USAGE:
        fprintf(stderr, "mip6sec-analysis: %s\n", err);
        usage(stderr);
        return EXIT_UNUSABLE;
    }
    struct handoff_db c = {.program = "mip6sec-analysis",
                           .path = o.path,
                           .tcp_window_ns = o.tcp_window_ns,
                           .tcp_fraction = o.tcp_fraction};
    bool csv = o.csv, cdf = o.cdf, rekeys = o.rekeys, overhead = o.overhead;
    int64_t window_ns = o.handoff_window_ns;

    if (overhead && campaign_report_is_campaign(c.path)) {
        fprintf(stderr,
                "mip6sec-analysis: %s: --overhead needs a run database; pass one of the "
                "campaign's run databases\n",
                c.path);
        return EXIT_UNUSABLE;
    }
    if (campaign_report_is_campaign(c.path)) {
        if (rekeys && cdf) {
            fprintf(stderr, "mip6sec-analysis: --rekeys and --cdf exclude each other; pass one\n");
            return EXIT_UNUSABLE;
        }
        if (rekeys)
            return campaign_rekeys_report(c.path, csv, window_ns);
        enum campaign_report_format format = CAMPAIGN_REPORT_TABLE;
        if (csv)
            format = CAMPAIGN_REPORT_CSV;
        else if (cdf)
            format = CAMPAIGN_REPORT_CDF;
        return campaign_report(c.path, format);
    }
    if (cdf) {
        fprintf(stderr,
                "mip6sec-analysis: %s: --cdf needs a campaign database (mip6sec-campaign "
                "merge); drop --cdf for a single run\n",
                c.path);
        return EXIT_UNUSABLE;
    }

    handoff_db_open(&c);
    check_run(&c, csv);
    if (rekeys || overhead) {
        views_ensure(&c);
        if (rekeys)
            rekeys_report(&c, csv, window_ns);
        else
            overhead_report(&c, csv);
        handoff_db_close(&c);
        return 0;
    }
    handoff_db_read_traffic(&c);
    handoff_db_ensure_indexes(&c);
    /* A run in which no mobile node moved (speed 0, or stopped early) has
     * no mobility events; that is an empty result, not an error, so that
     * a parameter sweep can include such runs. */
    if (handoff_db_extract(&c) == 0)
        printf("no mobility events: no mobile node moved in this run\n");
    if (csv) {
        print_csv(&c);
    } else {
        print_table(&c);
        print_statistics(&c);
    }
    handoff_db_close(&c);
    return 0;
}
