/* campaign_merge.h - one campaign database from the run databases of a campaign. */
#ifndef MIP6SEC_ANALYSIS_CAMPAIGN_MERGE_H
#define MIP6SEC_ANALYSIS_CAMPAIGN_MERGE_H

#include "campaign_file.h"

/*
 * Write the campaign database at output (replacing it) from the run
 * databases in dir: the tables campaign, configuration, parameter, run,
 * handoff and rekey that docs/campaigns.md describes.  Runs that are not
 * complete are listed in the run table without handoffs and rekeys.
 * Returns an enum campaign_exit value.  A run database that the handoff
 * extraction cannot read ends the program with status 2, naming the file.
 */
int campaign_merge(const struct campaign *c, const char *dir, const char *output);

#endif
