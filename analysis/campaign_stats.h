/*
 * campaign_stats.h - summary statistics of one sample for the campaign
 * report: n, mean, median, 5th and 95th percentiles, standard deviation
 * and the 95% confidence interval of the mean.
 */
#ifndef MIP6SEC_ANALYSIS_CAMPAIGN_STATS_H
#define MIP6SEC_ANALYSIS_CAMPAIGN_STATS_H

#include <stddef.h>

struct summary {
    size_t n;
    double mean;
    double median;
    double p5;              /* 5th percentile */
    double p95;             /* 95th percentile */
    double sd;              /* sample standard deviation (n - 1 in the denominator) */
    double ci_low, ci_high; /* 95% confidence interval of the mean */
};

/*
 * Summarise the n values, sorting them in place.  Percentiles and the
 * median interpolate linearly between order statistics (GSL's
 * gsl_stats_quantile_from_sorted_data, R's quantile type 7).  The
 * confidence interval is mean +- t(0.975, n - 1) * sd / sqrt(n) with
 * Student's t.  Fields that need more values are NaN: everything but n
 * when n is 0, and sd and the interval when n is 1.
 */
void summary_compute(double *v, size_t n, struct summary *s);

/*
 * Print mean, median, p5, p95 and sd to stdout, each after a space in a
 * field of the width with that many decimals, then the interval as
 * "  [low, high]" and a newline.  A NaN prints as "-".
 */
void summary_print_table(const struct summary *s, int width, int precision);

/* Print ",mean,median,p5,p95,sd,ci_low,ci_high" to stdout, empty where NaN, no newline. */
void summary_print_csv(const struct summary *s);

#endif
