/* metrics.c - counters, samples and series in growable arrays, by id.
 * Arrays grow by doubling; nothing is freed before met_free, except a
 * sample set's values when it moves to its histogram (over the cap). */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

/* A counter's cold half; its hot half (value, kind) is m->hot.cell[id],
 * kept apart so met_add, met_set and met_max inline (metrics.h). */
typedef struct {
    char *name;
    int64_t *days;
    size_t ndays;
} counter;

typedef struct {
    char *name;
    int64_t *v;
    size_t n, cap;
    int summarized;   /* v freed; stat holds what reports need */
    met_stat stat;
    int binned;       /* over the cap: v freed, the values are in h */
    hist h;
} sampleset;

typedef struct {
    char *name;
    char *cols;
    int ncols;
    size_t rows;
    int keep;
    int64_t *data;
    size_t cap_rows;
    met_sink sink;
    void *ud;
} series;

struct met_registry {
    met_hot hot;      /* first: the inline hot path casts the registry to it */
    size_t capcell;
    counter *c;
    size_t nc, capc;
    nm_index cidx; /* the counters by name */
    sampleset *s;
    size_t ns, caps;
    series *r;
    size_t nr, capr;
    size_t exact_max; /* 0: MET_SAMPLES_EXACT_MAX */
};

static int reserve(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 16;
    while (n < need)
        n *= 2;
    void *p = realloc(*arr, n * elem);
    if (!p)
        return -1;
    memset((char *)p + *cap * elem, 0, (n - *cap) * elem);
    *arr = p;
    *cap = n;
    return 0;
}

met_registry *met_new(void)
{
    return calloc(1, sizeof(met_registry));
}

void met_free(met_registry *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nc; i++) {
        free(m->c[i].name);
        free(m->c[i].days);
    }
    for (size_t i = 0; i < m->ns; i++) {
        free(m->s[i].name);
        free(m->s[i].v);
        hist_deinit(&m->s[i].h);
    }
    for (size_t i = 0; i < m->nr; i++) {
        free(m->r[i].name);
        free(m->r[i].cols);
        free(m->r[i].data);
    }
    free(m->c);
    nm_free(&m->cidx);
    free(m->hot.cell);
    free(m->s);
    free(m->r);
    free(m);
}

static const char *counter_name(const void *arr, size_t i)
{
    return ((const counter *)arr)[i].name;
}

met_id met_find_counter(const met_registry *m, const char *name)
{
    return (met_id)nm_find(&m->cidx, name, counter_name, m->c);
}

/* A name registered again keeps its id: a counter registered as daily
 * later becomes daily (a total either way); a gauge or a max registered
 * again as another kind is a programmer error, refused with -1. */
static met_id add_counter(met_registry *m, const char *name, int kind)
{
    met_id id = met_find_counter(m, name);
    if (id >= 0) {
        met_cell *cell = &m->hot.cell[id];
        int old = cell->kind;
        if (old == kind || (old == MET_KIND_COUNTER && kind == MET_KIND_DAILY)) {
            cell->kind = kind;
            return id;
        }
        return old == MET_KIND_DAILY && kind == MET_KIND_COUNTER ? id : -1;
    }
    if (reserve((void **)&m->c, &m->capc, m->nc + 1, sizeof *m->c) != 0 ||
        reserve((void **)&m->hot.cell, &m->capcell, m->nc + 1, sizeof *m->hot.cell) != 0)
        return -1;
    counter *c = &m->c[m->nc];
    c->name = strdup(name);
    if (!c->name)
        return -1;
    if (nm_add(&m->cidx, m->nc, counter_name, m->c) != 0) {
        free(c->name);
        c->name = NULL;
        return -1;
    }
    m->hot.cell[m->nc].kind = kind;
    return (met_id)m->nc++;
}

met_id met_counter(met_registry *m, const char *name)
{
    return add_counter(m, name, MET_KIND_COUNTER);
}

met_id met_counter_daily(met_registry *m, const char *name)
{
    return add_counter(m, name, MET_KIND_DAILY);
}

met_id met_gauge(met_registry *m, const char *name)
{
    return add_counter(m, name, MET_KIND_GAUGE);
}

met_id met_max(met_registry *m, const char *name)
{
    return add_counter(m, name, MET_KIND_MAX);
}

met_id met_find_samples(const met_registry *m, const char *name)
{
    for (size_t i = 0; i < m->ns; i++)
        if (strcmp(m->s[i].name, name) == 0)
            return (met_id)i;
    return -1;
}

met_id met_samples(met_registry *m, const char *name)
{
    met_id id = met_find_samples(m, name);
    if (id >= 0)
        return id;
    if (reserve((void **)&m->s, &m->caps, m->ns + 1, sizeof *m->s) != 0)
        return -1;
    m->s[m->ns].name = strdup(name);
    if (!m->s[m->ns].name)
        return -1;
    return (met_id)m->ns++;
}

met_id met_find_series(const met_registry *m, const char *name)
{
    for (size_t i = 0; i < m->nr; i++)
        if (strcmp(m->r[i].name, name) == 0)
            return (met_id)i;
    return -1;
}

met_id met_series(met_registry *m, const char *name, const char *cols)
{
    met_id id = met_find_series(m, name);
    if (id >= 0)
        return id;
    int ncols = 1;
    for (const char *p = cols; *p; p++)
        ncols += *p == ',';
    if (ncols > MET_MAX_COLS)
        return -1;
    if (reserve((void **)&m->r, &m->capr, m->nr + 1, sizeof *m->r) != 0)
        return -1;
    series *s = &m->r[m->nr];
    s->name = strdup(name);
    s->cols = strdup(cols);
    if (!s->name || !s->cols)
        return -1;
    s->ncols = ncols;
    return (met_id)m->nr++;
}

void met_add_daily(met_registry *m, met_id id, int64_t now, int64_t v)
{
    counter *c = &m->c[id];
    m->hot.cell[id].value += v;
    size_t day = now > 0 ? (size_t)(now / MET_US_PER_DAY) : 0;
    if (day >= c->ndays) {
        size_t cap = c->ndays;
        /* ndays doubles as capacity: buckets past the last day are 0. */
        if (reserve((void **)&c->days, &cap, day + 1, sizeof *c->days) != 0)
            return;
        c->ndays = cap;
    }
    c->days[day] += v;
    /* the next adds of the same day take met_add's inline path */
    met_cell *cell = &m->hot.cell[id];
    cell->day = &c->days[day];
    cell->day_from = day == 0 ? INT64_MIN : (int64_t)day * MET_US_PER_DAY;
    cell->day_to = ((int64_t)day + 1) * MET_US_PER_DAY;
}

/* Once per set: its values go into the histogram, in their order of
 * arrival (a histogram does not depend on it). */
static int to_hist(sampleset *s)
{
    hist_init(&s->h);
    for (size_t i = 0; i < s->n; i++)
        if (hist_add(&s->h, s->v[i], 1) != 0) {
            hist_deinit(&s->h);
            return -1;
        }
    free(s->v);
    s->v = NULL;
    s->cap = 0;
    s->binned = 1;
    return 0;
}

void met_samples_set_exact_max(met_registry *m, size_t cap)
{
    m->exact_max = cap > 0 ? cap : 1;
}

size_t met_samples_n(const met_registry *m, met_id id)
{
    return m->s[id].n;
}

int met_samples_exact(const met_registry *m, met_id id)
{
    return !m->s[id].binned;
}

size_t met_samples_bytes(const met_registry *m)
{
    size_t b = 0;
    for (size_t i = 0; i < m->ns; i++)
        b += m->s[i].cap * sizeof(int64_t) + hist_bytes(&m->s[i].h);
    return b;
}

int met_sample(met_registry *m, met_id id, int64_t v)
{
    sampleset *s = &m->s[id];
    if (s->summarized)
        return -1;
    if (!s->binned && s->n >= (m->exact_max ? m->exact_max : MET_SAMPLES_EXACT_MAX) && to_hist(s) != 0)
        return -1;
    if (s->binned) {
        if (hist_add(&s->h, v, 1) != 0)
            return -1;
        s->n++;
        return 0;
    }
    if (reserve((void **)&s->v, &s->cap, s->n + 1, sizeof *s->v) != 0)
        return -1;
    s->v[s->n++] = v;
    return 0;
}

void met_row(met_registry *m, met_id id, const int64_t *row)
{
    series *s = &m->r[id];
    s->rows++;
    if (s->sink)
        s->sink(s->ud, row, s->ncols);
    if (s->keep) {
        size_t need = s->rows;
        if (reserve((void **)&s->data, &s->cap_rows, need,
                    sizeof(int64_t) * (size_t)s->ncols) != 0)
            return;
        memcpy(s->data + (need - 1) * (size_t)s->ncols, row,
               sizeof(int64_t) * (size_t)s->ncols);
    }
}

void met_series_sink(met_registry *m, met_id id, met_sink fn, void *ud)
{
    m->r[id].sink = fn;
    m->r[id].ud = ud;
}

void met_series_keep(met_registry *m, met_id id, int keep)
{
    m->r[id].keep = keep;
}

size_t met_counter_count(const met_registry *m) { return m->nc; }
const char *met_counter_name(const met_registry *m, met_id id) { return m->c[id].name; }
int64_t met_counter_value(const met_registry *m, met_id id) { return m->hot.cell[id].value; }
int met_counter_is_daily(const met_registry *m, met_id id) { return m->hot.cell[id].kind == MET_KIND_DAILY; }
int met_counter_kind(const met_registry *m, met_id id) { return m->hot.cell[id].kind; }

const int64_t *met_counter_days(const met_registry *m, met_id id, size_t *ndays)
{
    const counter *c = &m->c[id];
    /* Report up to the last day that was touched or allocated. */
    size_t n = c->ndays;
    while (n > 0 && c->days[n - 1] == 0)
        n--;
    *ndays = n;
    return c->days;
}

size_t met_samples_count(const met_registry *m) { return m->ns; }
const char *met_samples_name(const met_registry *m, met_id id) { return m->s[id].name; }

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

const int64_t *met_samples_sorted(met_registry *m, met_id id, size_t *n)
{
    sampleset *s = &m->s[id];
    if (s->binned) {
        *n = 0;
        return NULL;
    }
    if (s->n > 1)
        qsort(s->v, s->n, sizeof *s->v, cmp_i64);
    *n = s->n;
    return s->v;
}

void met_samples_iter(met_registry *m, met_id id, met_iter *it)
{
    memset(it, 0, sizeof *it);
    it->exact = !m->s[id].binned;
    if (it->exact)
        it->v = met_samples_sorted(m, id, &it->n);
    else
        hist_iter_init(&it->h, &m->s[id].h);
}

int met_samples_next(met_iter *it, int64_t *v, uint64_t *count)
{
    if (it->exact) {
        if (it->pos >= it->n)
            return 0;
        size_t j = it->pos;
        while (j < it->n && it->v[j] == it->v[it->pos])
            j++;
        *v = it->v[it->pos];
        *count = j - it->pos;
        it->pos = j;
        return 1;
    }
    /* clamping to the exact extremes can give two buckets one value */
    if (!it->have && !hist_next(&it->h, &it->pv, &it->pc))
        return 0;
    *v = it->pv;
    *count = it->pc;
    it->have = 0;
    while (hist_next(&it->h, &it->pv, &it->pc)) {
        if (it->pv != *v) {
            it->have = 1;
            break;
        }
        *count += it->pc;
    }
    return 1;
}

int64_t met_samples_quantile(met_registry *m, met_id id, double p)
{
    sampleset *s = &m->s[id];
    if (!s->binned) {
        size_t n = 0;
        const int64_t *v = met_samples_sorted(m, id, &n);
        return met_quantile(v, n, p);
    }
    if (s->n == 0)
        return 0;
    /* met_quantile's rank, over the buckets' cumulative counts */
    double r = p <= 0 ? 1 : ceil(p * (double)s->n);
    uint64_t k = r < 1 ? 1 : r >= (double)s->n ? s->n : (uint64_t)r;
    met_iter it;
    met_samples_iter(m, id, &it);
    int64_t v = 0;
    uint64_t c = 0, cum = 0;
    while (met_samples_next(&it, &v, &c))
        if ((cum += c) >= k)
            break;
    return v;
}

void met_samples_stat(met_registry *m, met_id id, met_stat *st)
{
    sampleset *s = &m->s[id];
    if (s->summarized) {
        *st = s->stat;
        return;
    }
    if (s->binned) {
        st->n = s->n;
        st->min = s->h.min;
        st->p50 = met_samples_quantile(m, id, 0.50);
        st->p95 = met_samples_quantile(m, id, 0.95);
        st->p99 = met_samples_quantile(m, id, 0.99);
        st->max = s->h.max;
        return;
    }
    size_t n = 0;
    const int64_t *v = met_samples_sorted(m, id, &n);
    st->n = n;
    st->min = n ? v[0] : 0;
    st->p50 = met_quantile(v, n, 0.50);
    st->p95 = met_quantile(v, n, 0.95);
    st->p99 = met_quantile(v, n, 0.99);
    st->max = n ? v[n - 1] : 0;
}

void met_samples_summarize(met_registry *m)
{
    for (size_t i = 0; i < m->ns; i++) {
        sampleset *s = &m->s[i];
        if (s->summarized)
            continue;
        met_samples_stat(m, (met_id)i, &s->stat);
        free(s->v);
        s->v = NULL;
        s->n = s->cap = 0;
        hist_deinit(&s->h);
        s->binned = 0;
        s->summarized = 1;
    }
}

int64_t met_quantile(const int64_t *sorted, size_t n, double p)
{
    if (n == 0)
        return 0;
    if (p <= 0)
        return sorted[0];
    double r = ceil(p * (double)n);
    size_t k = r < 1 ? 1 : (size_t)r;
    if (k > n)
        k = n;
    return sorted[k - 1];
}

size_t met_series_count(const met_registry *m) { return m->nr; }
const char *met_series_cols(const met_registry *m, met_id id) { return m->r[id].cols; }
int met_series_ncols(const met_registry *m, met_id id) { return m->r[id].ncols; }
size_t met_series_rows(const met_registry *m, met_id id) { return m->r[id].rows; }
const int64_t *met_series_data(const met_registry *m, met_id id) { return m->r[id].data; }
