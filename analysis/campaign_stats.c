/* campaign_stats.c - summary statistics with GSL; see campaign_stats.h. */
#include "campaign_stats.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>

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

static void
put_number(double v, int width, int precision)
{
    if (isnan(v))
        printf(" %*s", width, "-");
    else
        printf(" %*.*f", width, precision, v);
}

void
summary_print_table(const struct summary *s, int width, int precision)
{
    put_number(s->mean, width, precision);
    put_number(s->median, width, precision);
    put_number(s->p5, width, precision);
    put_number(s->p95, width, precision);
    put_number(s->sd, width, precision);
    if (isnan(s->ci_low))
        printf(" %*s\n", 2 * (width - 1) + 5, "-");
    else
        printf("  [%*.*f, %*.*f]\n", width - 1, precision, s->ci_low, width - 1, precision,
               s->ci_high);
}

void
summary_print_csv(const struct summary *s)
{
    const double values[] = {s->mean, s->median, s->p5, s->p95, s->sd, s->ci_low, s->ci_high};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        if (isnan(values[i]))
            printf(",");
        else
            printf(",%.9g", values[i]);
    }
}
