/*
 * campaign_report.h - statistics per configuration from a campaign
 * database that mip6sec-campaign merge wrote (docs/campaigns.md).
 */
#ifndef MIP6SEC_ANALYSIS_CAMPAIGN_REPORT_H
#define MIP6SEC_ANALYSIS_CAMPAIGN_REPORT_H

#include <stdbool.h>

enum campaign_report_format {
    CAMPAIGN_REPORT_TABLE, /* a readable table per configuration */
    CAMPAIGN_REPORT_CSV,   /* one CSV row per configuration and quantity */
    CAMPAIGN_REPORT_CDF,   /* CSV of the empirical CDF of the latency per configuration */
};

/* Whether path is an SQLite database with the tables of a campaign database. */
bool campaign_report_is_campaign(const char *path);

/* Write text to stdout as one CSV field, quoted (RFC 4180) when it contains a comma, quote or
 * newline. */
void campaign_report_csv_text(const char *text);

/*
 * Print the statistics of every configuration to stdout.  Returns the
 * exit status: 0, or 2 after printing why the database cannot be read.
 */
int campaign_report(const char *path, enum campaign_report_format format);

#endif
