/* km.c - Kaplan-Meier product-limit estimate with Greenwood variance. */
#include "km.h"

#include <stdlib.h>
#include <string.h>

typedef struct { int64_t t; unsigned char ev; } km_obs;

/* by time, events before censorings at the same time */
static int km_cmp(const void *a, const void *b)
{
    const km_obs *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (int)y->ev - (int)x->ev;
}

int km_fit(const int64_t *t, const unsigned char *event, size_t n, km_curve *out)
{
    memset(out, 0, sizeof *out);
    out->nobs = n;
    if (n == 0)
        return 0;
    km_obs *o = malloc(n * sizeof *o);
    km_step *st = malloc(n * sizeof *st);
    if (!o || !st) {
        free(o);
        free(st);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        o[i].t = t[i];
        o[i].ev = event[i] != 0;
    }
    qsort(o, n, sizeof *o, km_cmp);
    double s = 1, g = 0; /* g: Greenwood's sum */
    size_t k = 0, i = 0;
    while (i < n) {
        int64_t at = o[i].t, d = 0;
        int64_t risk = (int64_t)(n - i);
        size_t j = i;
        while (j < n && o[j].t == at) {
            d += o[j].ev;
            j++;
        }
        if (d > 0) {
            s *= 1.0 - (double)d / (double)risk;
            if (risk > d)
                g += (double)d / ((double)risk * (double)(risk - d));
            st[k].t = at;
            st[k].at_risk = risk;
            st[k].events = d;
            st[k].s = s;
            /* S = 0 once everyone at risk had the event: no variance */
            st[k].var = risk > d ? s * s * g : 0;
            k++;
            out->nevents += (size_t)d;
        }
        i = j;
    }
    out->last_t = o[n - 1].t;
    free(o);
    out->nsteps = k;
    out->step = st;
    return 0;
}

void km_free(km_curve *c)
{
    if (c)
        free(c->step);
}

double km_survival(const km_curve *c, int64_t t)
{
    double s = 1;
    for (size_t k = 0; k < c->nsteps && c->step[k].t <= t; k++)
        s = c->step[k].s;
    return s;
}

int64_t km_quantile(const km_curve *c, double p)
{
    /* 1 - S >= p, with a tolerance for the rounding of the product */
    for (size_t k = 0; k < c->nsteps; k++)
        if (km_reaches(c->step[k].s, p))
            return c->step[k].t;
    return -1;
}

int km_reaches(double s, double p)
{
    return 1.0 - s >= p - 1e-12;
}

void km_stream_init(km_stream *k, int64_t nobs)
{
    k->at_risk = nobs;
    k->s = 1;
    k->g = 0;
}

/* km_fit's loop body, with the group given instead of found */
int km_stream_add(km_stream *k, int64_t t, int64_t events, int64_t censored)
{
    (void)t;
    int64_t risk = k->at_risk, d = events;
    k->at_risk -= events + censored;
    if (d <= 0)
        return 0;
    k->s *= 1.0 - (double)d / (double)risk;
    if (risk > d)
        k->g += (double)d / ((double)risk * (double)(risk - d));
    return 1;
}
