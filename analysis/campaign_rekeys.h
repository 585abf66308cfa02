/*
 * campaign_rekeys.h - rekey statistics per configuration from the rekey
 * table of a campaign database (mip6sec-analysis --rekeys CAMPAIGN.db,
 * docs/campaigns.md).
 */
#ifndef MIP6SEC_ANALYSIS_CAMPAIGN_REKEYS_H
#define MIP6SEC_ANALYSIS_CAMPAIGN_REKEYS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Print, for every configuration, the statistics of each rekey quantity
 * over all rekeys, over those that coincided with a handoff and over the
 * others: a table, or with csv one CSV row per configuration, quantity
 * and subset.  A rekey coincides with a handoff under the rule of
 * rekeys_in_handoff (rekeys.h) with window_ns.
 *
 * Returns the exit status: 0, also when the campaign has no rekeys
 * (after saying so), or 2 after printing why the database cannot be
 * read, for example when an older mip6sec-campaign merged it without
 * the rekey table.
 */
int campaign_rekeys_report(const char *path, bool csv, int64_t window_ns);

#endif
