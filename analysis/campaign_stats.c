/* campaign_stats.c - summary statistics with GSL; see campaign_stats.h. */
#include "campaign_stats.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>

void
summary_compute(double *v, size_t n, struct summary *s)
{
    s->n = n;
    s->mean = s->median = s->p5 = s->p95 = NAN;
    s->sd = s->ci_low = s->ci_high = NAN;
    if (n == 0)
        return;

    gsl_sort(v, 1, n);
    s->mean = gsl_stats_mean(v, 1, n);
    s->median = gsl_stats_median_from_sorted_data(v, 1, n);
    s->p5 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.05);
    s->p95 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.95);
    if (n < 2)
        return;

    s->sd = gsl_stats_sd_m(v, 1, n, s->mean);
    double half = gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * s->sd / sqrt((double)n);
    s->ci_low = s->mean - half;
    s->ci_high = s->mean + half;
}
