/* sweep.c - `qsim sweep` and `qsim merge`: a grid over scenario
 * parameters, every point run under every option on common random numbers.
 *
 * A point is one assignment of the swept parameters; points are numbered in
 * row-major order (the last --param varies fastest). Each finished point is
 * written atomically to DIR/points/<n>.json, so an interrupted sweep resumes
 * where it stopped and never redoes a finished point. --shard K/N runs the
 * points with n % N == K - 1. A point is computed whole in one place, and
 * its file is a deterministic function of (scenario, spec, point), so merging
 * shards is a union of files: exact, and byte-identical to an unsharded run. */
#include <cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/expdir.h"
#include "app/experiment.h"
#include "app/jobs.h"
#include "cli/cli.h"
#include "model/jv.h"
#include "reports/outfile.h"
#include "reports/stats.h"
#include "sim/rng.h"

#define MAX_PARAMS 4
#define MAX_VALUES 10000

typedef struct {
    char path[128];
    int is_duration;       /* values are µs, set as "<n>us" strings */
    int nvalues;
    double values[MAX_VALUES];
} param;

typedef struct {
    char spec[4096];      /* canonical description: identical for all shards */
    param params[MAX_PARAMS];
    int nparams;
    int npoints;
} grid;

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf) {
        size_t got = fread(buf, 1, (size_t)n, f);
        buf[got] = 0;
    }
    fclose(f);
    return buf;
}

/* FNV-1a of a file's contents, as 16 hex digits; "absent" when unreadable. */
static void file_hash(const char *path, char *out, size_t len)
{
    char *text = read_text(path);
    if (text)
        snprintf(out, len, "%016" PRIx64, rng_stream_id(text));
    else
        snprintf(out, len, "absent");
    free(text);
}

/* Names the first ';'-separated field where two specs differ, e.g.
 * "pricing (cloudflare-paid-2026.json:0123... here, ...:4567... there)". */
static void spec_diff(const char *a, const char *b, char *out, size_t len)
{
    while (*a || *b) {
        size_t la = strcspn(a, ";"), lb = strcspn(b, ";");
        if (la != lb || strncmp(a, b, la) != 0) {
            const char *eq = memchr(a, '=', la);
            int kl = eq ? (int)(eq - a) : (int)la;
            snprintf(out, len, "%.*s differs: '%.*s' against '%.*s'", kl, a, (int)la, a, (int)lb, b);
            return;
        }
        a += la + (a[la] == ';');
        b += lb + (b[lb] == ';');
    }
    snprintf(out, len, "the specs differ");
}

/* CPU seconds (user + system) of this process, and of its reaped children. */
static double cpu_of(int who)
{
    struct rusage ru;
    if (getrusage(who, &ru) != 0)
        return 0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
           ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) * 1e-6;
}

static double cpu_self(void) { return cpu_of(RUSAGE_SELF); }

/* A value of --param: a number, or a duration ("3s", "250ms", "1m" or
 * "1min", "2h", "1d") in µs. -1 when it is neither; the end in *end. */
static int param_value(const char *v, int *is_duration, double *out, const char **end)
{
    char tok[64], *e;
    size_t n = strcspn(v, ",:");
    *end = v + n;
    if (n == 0 || n >= sizeof tok - 4)
        return -1;
    memcpy(tok, v, n);
    tok[n] = 0;
    double x = strtod(tok, &e);
    if (e == tok)
        return -1;
    if (*e == 0) {
        *out = x;
        return *is_duration == 1 ? -1 : (*is_duration = 0, 0);
    }
    if (strcmp(e, "m") == 0) /* 1m: minutes, as in cron and the examples */
        strcat(tok, "in");
    sim_us us;
    if (sc_parse_duration(tok, &us) != 0 || *is_duration == 0)
        return -1;
    *is_duration = 1;
    *out = (double)us;
    return 0;
}

/* "kv.put_error_prob=0:0.1:0.01", "humans[0].rate_per_s=0.1,0.5,1",
 * "bots[0].poll_every=1s,3s,10s" or "strategy.cron_every=1m:10m:1m". */
static int parse_param(const char *arg, param *p)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof p->path)
        return cli_usage_error("--param wants PATH=FROM:TO:STEP or PATH=V1,V2,..., got '%s'", arg);
    snprintf(p->path, sizeof p->path, "%.*s", (int)(eq - arg), arg);
    const char *v = eq + 1;
    const char *end;
    int dur = -1; /* not known yet; then 0 numbers, 1 durations: no mix */
    p->nvalues = 0;
    if (strchr(v, ':')) {
        double from, to, step;
        if (param_value(v, &dur, &from, &end) != 0 || *end != ':')
            goto bad;
        if (param_value(end + 1, &dur, &to, &end) != 0 || *end != ':')
            goto bad;
        if (param_value(end + 1, &dur, &step, &end) != 0)
            goto bad;
        if (*end || !(step > 0) || to < from)
            goto bad;
        p->is_duration = dur == 1;
        double n = floor((to - from) / step + 1e-9) + 1;
        if (n > MAX_VALUES)
            return cli_usage_error("--param: at most 10000 values per parameter (%s)", arg);
        for (int i = 0; i < (int)n; i++)
            p->values[p->nvalues++] = from + i * step;
        return 0;
    }
    for (;;) {
        double x;
        if (param_value(v, &dur, &x, &end) != 0 || p->nvalues == MAX_VALUES)
            goto bad;
        p->values[p->nvalues++] = x;
        p->is_duration = dur == 1;
        if (*end == 0)
            return 0;
        if (*end != ',')
            goto bad;
        v = end + 1;
    }
bad:
    return cli_usage_error("--param wants PATH=FROM:TO:STEP (step > 0) or PATH=V1,V2,..., numbers or durations "
                           "(1s, 250ms, 1m, 2h; not mixed), got '%s'", arg);
}

/* The value of each parameter at point n. */
static void point_values(const grid *g, int n, double *out)
{
    for (int k = g->nparams - 1; k >= 0; k--) {
        out[k] = g->params[k].values[n % g->params[k].nvalues];
        n /= g->params[k].nvalues;
    }
}

/* Sets the number (or, for a duration, the "<n>us" string) at a JSON path
 * (a.b[2].c) in root, creating missing object members. -1 when an array
 * element does not exist. */
static cJSON *value_item(double v, int is_duration)
{
    char buf[40];
    if (!is_duration)
        return cJSON_CreateNumber(v);
    snprintf(buf, sizeof buf, "%.0fus", v);
    return cJSON_CreateString(buf);
}

static int set_path(cJSON *root, const char *path, double v, int is_duration)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    cJSON *node = root;
    char *p = buf;
    while (*p) {
        char *dot = p + strcspn(p, ".[");
        char sep = *dot;
        *dot = 0;
        if (*p) {
            if (!cJSON_IsObject(node))
                return -1;
            cJSON *child = cJSON_GetObjectItemCaseSensitive(node, p);
            if (!child && sep == '.') /* "strategy.cron_every" without a "strategy": the
                                       * scenario's validation judges the new member */
                child = cJSON_AddObjectToObject(node, p);
            if (!child) {
                if (sep)
                    return -1;
                cJSON_AddItemToObject(node, p, value_item(v, is_duration));
                return 0;
            }
            if (!sep) {
                cJSON_ReplaceItemInObjectCaseSensitive(node, p, value_item(v, is_duration));
                return 0;
            }
            node = child;
        }
        if (sep == '[') {
            char *close = strchr(dot + 1, ']');
            if (!close || !cJSON_IsArray(node))
                return -1;
            int idx = atoi(dot + 1);
            cJSON *child = cJSON_GetArrayItem(node, idx);
            if (!child)
                return -1;
            p = close + 1;
            if (*p == '.')
                p++;
            if (!*p) {
                cJSON_ReplaceItemInArray(node, idx, value_item(v, is_duration));
                return 0;
            }
            node = child;
            continue;
        }
        if (!sep)
            return -1;
        p = dot + 1;
    }
    return -1;
}

/* Builds the scenario of point n. Returns 0, or 2 after printing why. */
static int point_scenario(const char *file, const cJSON *doc, const grid *g, int n, const char *limits,
                          const pr_plan *plan, const char *days, scenario **out)
{
    double v[MAX_PARAMS];
    char name[700];
    sim_err err = { 0, "" };
    point_values(g, n, v);
    cJSON *copy = cJSON_Duplicate(doc, 1);
    for (int k = 0; k < g->nparams; k++)
        if (!copy || set_path(copy, g->params[k].path, v[k], g->params[k].is_duration) != 0) {
            fprintf(stderr, "qsim: sweep: %s: no such place in the scenario: %s\n", file, g->params[k].path);
            cJSON_Delete(copy);
            return 2;
        }
    char *text = cJSON_PrintUnformatted(copy);
    cJSON_Delete(copy);
    snprintf(name, sizeof name, "%s[point %d]", file, n);
    int rc = text ? sc_parse(name, text, strlen(text), limits, out, &err) : -1;
    free(text);
    if (rc != 0) {
        fprintf(stderr, "qsim: sweep: %s\n", err.msg);
        return 2;
    }
    (*out)->kv.daily_read_cap = plan->cap_reads_day;
    (*out)->kv.daily_write_cap = plan->cap_writes_day;
    (*out)->kv.daily_request_cap = plan->cap_requests_day;
    if (days) {
        char d[64];
        snprintf(d, sizeof d, "%sd", days);
        sc_parse_duration(d, &(*out)->duration);
    }
    return 0;
}

static cJSON *stat_json(stat_summary st)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "n", (double)st.n);
    if (st.never) /* healing quantile never reached in that many replications */
        cJSON_AddNumberToObject(o, "never", (double)st.never);
    else if (st.n) {
        cJSON_AddNumberToObject(o, "mean", st.mean);
        cJSON_AddNumberToObject(o, "ci95_low", st.mean - st.half);
        cJSON_AddNumberToObject(o, "ci95_high", st.mean + st.half);
    }
    return o;
}

static int write_point(const char *dir, const grid *g, const experiment *e, int n, const double *vals)
{
    char path[1200];
    double v[MAX_PARAMS];
    of_file f;
    point_values(g, n, v);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "spec", g->spec);
    cJSON_AddNumberToObject(root, "point", n);
    cJSON *pj = cJSON_AddObjectToObject(root, "params");
    for (int k = 0; k < g->nparams; k++)
        cJSON_AddNumberToObject(pj, g->params[k].path, v[k]);
    cJSON *oj = cJSON_AddArrayToObject(root, "options");
    for (int o = 0; o < e->nopt; o++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "option", e->options[o]);
        cJSON *mj = cJSON_AddObjectToObject(x, "metrics");
        for (int k = 0; k < M_COUNT; k++)
            cJSON_AddItemToObject(mj, fig_metric_at(k)->name,
                                  stat_json(stat_of(exp_val(e, vals, 0, o, 0) + k, (size_t)e->reps, M_COUNT)));
        cJSON_AddItemToArray(oj, x);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    snprintf(path, sizeof path, "%s/points/%06d.json", dir, n);
    if (!text || of_open(&f, path) != 0) {
        free(text);
        return -1;
    }
    fputs(text, f.f);
    fputc('\n', f.f);
    free(text);
    return of_commit(&f);
}

/* A sweep task: point todo[task], all its options x replications. */
typedef struct point_ud {
    const char *file;
    const cJSON *doc;
    const grid *g;
    const char *limits;
    const pr_plan *plan;
    const char *days;
    const char *const *options;
    int nopt, reps;
    uint64_t seed;
    const char *out;
    const int *todo;
    double *vals;        /* one point's values; each worker has its own copy */
    int meter_on;
    cli_meter *meter;
} point_ud;

static void sweep_progress(void *ud, double done, int total)
{
    const point_ud *pu = ud;
    cli_meter_runs(pu->meter, done, total);
}

static void point_progress(void *jc, double done, int total) { jb_progress(jc, total > 0 ? done / total : 1); }

static int run_point(void *ud, int task, void *rec, jb_ctx *jc)
{
    const point_ud *pu = ud;
    int n = pu->todo[task];
    scenario *ps = NULL;
    (void)rec;
    if (point_scenario(pu->file, pu->doc, pu->g, n, pu->limits, pu->plan, pu->days, &ps) != 0)
        return -1;
    const scenario *points[1] = { ps };
    experiment e = { points, 1, pu->plan, pu->options, pu->nopt, pu->reps, pu->seed };
    int rc = 0;
    if (exp_run_all(&e, 1, pu->vals, pu->meter_on ? point_progress : NULL, jc) != 0 ||
        write_point(pu->out, pu->g, &e, n, pu->vals) != 0) {
        fprintf(stderr, "qsim: sweep: point %d failed\n", n);
        rc = -1;
    }
    sc_free(ps);
    return rc;
}

/* Is point n done in dir (a file with our spec)? */
static int point_done(const char *dir, const grid *g, int n)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/points/%06d.json", dir, n);
    char *text = read_text(path);
    if (!text)
        return 0;
    cJSON *j = cJSON_Parse(text);
    free(text);
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(j, "spec");
    int ok = cJSON_IsString(spec) && strcmp(spec->valuestring, g->spec) == 0;
    cJSON_Delete(j);
    return ok;
}

/* sweep.csv from the point files: one row per point x option x metric. */
static int write_aggregate(const char *dir, const char *dest, const grid *g)
{
    char path[1200];
    of_file f;
    snprintf(path, sizeof path, "%s/sweep.csv", dest);
    if (of_open(&f, path) != 0)
        return -1;
    fputs("point", f.f);
    for (int k = 0; k < g->nparams; k++)
        fprintf(f.f, ",%s", g->params[k].path);
    fputs(",option,metric,n,mean,ci95_low,ci95_high\n", f.f);
    for (int n = 0; n < g->npoints; n++) {
        snprintf(path, sizeof path, "%s/points/%06d.json", dir, n);
        char *text = read_text(path);
        cJSON *j = text ? cJSON_Parse(text) : NULL;
        free(text);
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(j, "params");
        const cJSON *opts = cJSON_GetObjectItemCaseSensitive(j, "options");
        if (!params || !opts) {
            cJSON_Delete(j);
            of_abort(&f);
            return -1;
        }
        const cJSON *o;
        cJSON_ArrayForEach(o, opts) {
            const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "option");
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "metrics");
            const cJSON *x;
            cJSON_ArrayForEach(x, m) {
                fprintf(f.f, "%d", n);
                const cJSON *pv;
                cJSON_ArrayForEach(pv, params) fprintf(f.f, ",%.10g", pv->valuedouble);
                const cJSON *cnt = cJSON_GetObjectItemCaseSensitive(x, "n");
                fprintf(f.f, ",%s,%s,%d", name->valuestring, x->string, cnt ? (int)cnt->valuedouble : 0);
                static const char *const keys[] = { "mean", "ci95_low", "ci95_high" };
                for (int k = 0; k < 3; k++) {
                    const cJSON *y = cJSON_GetObjectItemCaseSensitive(x, keys[k]);
                    if (y)
                        fprintf(f.f, ",%.9g", y->valuedouble);
                    else
                        fputs(",NA", f.f);
                }
                fputc('\n', f.f);
            }
        }
        cJSON_Delete(j);
    }
    return of_commit(&f);
}

/* The sweep's table on stdout, as compare prints its own: one row per
 * point, the swept values, then metric's mean ± CI half-width per option. */
static void print_table(FILE *out, const char *dir, const grid *g, const char *metric)
{
    char path[1200];
    for (int n = 0; n < g->npoints; n++) {
        snprintf(path, sizeof path, "%s/points/%06d.json", dir, n);
        char *text = read_text(path);
        cJSON *j = text ? cJSON_Parse(text) : NULL;
        free(text);
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(j, "params");
        const cJSON *opts = cJSON_GetObjectItemCaseSensitive(j, "options"), *o, *pv;
        if (n == 0) {
            fprintf(out, "%-6s", "point");
            cJSON_ArrayForEach(pv, params) fprintf(out, "  %14s", pv->string);
            cJSON_ArrayForEach(o, opts) {
                const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "option");
                char head[96];
                snprintf(head, sizeof head, "%s [%s]", metric, cJSON_IsString(name) ? name->valuestring : "?");
                fprintf(out, "  %26s", head);
            }
            fputc('\n', out);
        }
        fprintf(out, "%-6d", n);
        cJSON_ArrayForEach(pv, params) fprintf(out, "  %14.10g", pv->valuedouble);
        cJSON_ArrayForEach(o, opts) {
            const cJSON *x = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "metrics"), metric);
            const cJSON *mean = cJSON_GetObjectItemCaseSensitive(x, "mean");
            const cJSON *lo = cJSON_GetObjectItemCaseSensitive(x, "ci95_low");
            const cJSON *hi = cJSON_GetObjectItemCaseSensitive(x, "ci95_high");
            char cell[96] = "-";
            if (cJSON_GetObjectItemCaseSensitive(x, "never"))
                snprintf(cell, sizeof cell, "never");
            else if (mean && lo && hi)
                snprintf(cell, sizeof cell, "%.6g ± %.3g", mean->valuedouble, (hi->valuedouble - lo->valuedouble) / 2);
            /* "±" is two bytes, one column */
            fprintf(out, "  %*s", strstr(cell, "±") ? 27 : 26, cell);
        }
        fputc('\n', out);
        cJSON_Delete(j);
    }
}

static int write_spec_file(const char *dir, const grid *g)
{
    char path[1200];
    of_file f;
    snprintf(path, sizeof path, "%s/sweep.json", dir);
    if (of_open(&f, path) != 0)
        return -1;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "spec", g->spec);
    cJSON_AddNumberToObject(root, "points", g->npoints);
    cJSON *ps = cJSON_AddArrayToObject(root, "params");
    for (int k = 0; k < g->nparams; k++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "path", g->params[k].path);
        cJSON *vs = cJSON_AddArrayToObject(p, "values");
        for (int i = 0; i < g->params[k].nvalues; i++)
            cJSON_AddItemToArray(vs, cJSON_CreateNumber(g->params[k].values[i]));
        cJSON_AddItemToArray(ps, p);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) {
        of_abort(&f);
        return -1;
    }
    fputs(text, f.f);
    fputc('\n', f.f);
    free(text);
    return of_commit(&f);
}

/* sweep.json (write_spec_file) read back with the strict validator
 * (model/jv.h): -1 with a located message in err when it is missing, not
 * strict JSON, or not of that shape; g is then cleared. */
static int read_spec_file(const char *dir, grid *g, sim_err *err)
{
    static const char *const keys[] = { "spec", "points", "params", NULL };
    static const char *const param_keys[] = { "path", "values", NULL };
    char path[1200];
    snprintf(path, sizeof path, "%s/sweep.json", dir);
    memset(g, 0, sizeof *g);
    cJSON *j = jv_load(path, err);
    if (!j)
        return -1;
    jv v = { path, "", err, 0 };
    int64_t np = 0;
    const cJSON *ps = NULL;
    if (jv_object(&v, j, keys) == 0 && jv_string(&v, j, "spec", 1, g->spec, sizeof g->spec) == 0 &&
        jv_get(&v, j, "points", 1) && jv_int(&v, j, "points", 1, 1e6, &np) == 0 &&
        (ps = jv_get(&v, j, "params", 1))) {
        g->npoints = (int)np;
        size_t n = jv_push(&v, "params", 0);
        if (!cJSON_IsArray(ps) || cJSON_GetArraySize(ps) > MAX_PARAMS)
            jv_fail(&v, "expected an array of at most %d parameters, got %s", MAX_PARAMS, jv_type_name(ps));
        int i = 0;
        for (const cJSON *p = v.failed ? NULL : ps->child; p && !v.failed; p = p->next, i++) {
            size_t m = jv_push(&v, NULL, i);
            param *q = &g->params[g->nparams];
            const cJSON *vs = NULL;
            if (jv_object(&v, p, param_keys) == 0 && jv_string(&v, p, "path", 1, q->path, sizeof q->path) == 0 &&
                (vs = jv_get(&v, p, "values", 1))) {
                size_t k = jv_push(&v, "values", 0);
                if (!cJSON_IsArray(vs) || cJSON_GetArraySize(vs) > MAX_VALUES)
                    jv_fail(&v, "expected an array of at most %d numbers, got %s", MAX_VALUES, jv_type_name(vs));
                for (const cJSON *x = v.failed ? NULL : vs->child; x && !v.failed; x = x->next)
                    if (!cJSON_IsNumber(x))
                        jv_fail(&v, "expected numbers, got %s", jv_type_name(x));
                    else
                        q->values[q->nvalues++] = x->valuedouble;
                jv_pop(&v, k);
                if (!v.failed)
                    g->nparams++;
            }
            jv_pop(&v, m);
        }
        jv_pop(&v, n);
    }
    cJSON_Delete(j);
    if (v.failed)
        memset(g, 0, sizeof *g);
    return v.failed ? -1 : 0;
}


/* ---- --emit: a ready-to-submit script instead of a run ----
 *
 * The script re-states the sweep from the parsed options (not from argv,
 * whose order getopt has changed), so every shard computes the same spec as
 * the command that emitted it, and runs the same binary (its absolute path)
 * from the same folder. */
typedef struct {
    const char *kind;           /* "slurm" or "parallel" */
    int shards;                 /* 0: one per point, at most EMIT_MAX_SHARDS */
    long jobs;                  /* cores per task (--jobs), 1 when not given */
    const char *time;           /* Slurm --time, NULL: none */
    const char *param_args[MAX_PARAMS];
    char options[1024];         /* --options as given, "" when not given */
} emit_req;

/* Slurm's default MaxArraySize is 1001, so array ids 1..1000 fit anywhere. */
#define EMIT_MAX_SHARDS 1000

/* Writes s as one single-quoted shell word. */
static void put_sq(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++)
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    fputc('\'', f);
}

/* The sweep's own arguments, shared by every shard: everything but --jobs,
 * --shard, --out and -q, which the script sets per task. */
static void put_sweep_args(FILE *f, const char *file, const emit_req *q, int nparams, const cli_exp *x)
{
    fputs(" sweep ", f);
    put_sq(f, file);
    for (int k = 0; k < nparams; k++) {
        fputs(" --param ", f);
        put_sq(f, q->param_args[k]);
    }
    if (q->options[0]) {
        fputs(" --options ", f);
        put_sq(f, q->options);
    }
    fprintf(f, " --reps %d", x->reps);
    if (x->have_seed)
        fprintf(f, " --seed %" PRIu64, x->seed);
    if (x->days) {
        fputs(" --days ", f);
        put_sq(f, x->days);
    }
    fprintf(f, " --plan %s", x->plan);
    if (x->pricing) {
        fputs(" --pricing ", f);
        put_sq(f, x->pricing);
    }
    if (x->data) {
        fputs(" --data ", f);
        put_sq(f, x->data);
    }
}

static int emit_script(FILE *f, const char *file, const emit_req *q, const grid *g, const cli_exp *x)
{
    char cwd[1024], exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0 || !getcwd(cwd, sizeof cwd)) {
        fprintf(stderr, "qsim: sweep: --emit: cannot find this qsim's path or the current folder: %s\n",
                strerror(errno));
        return 1;
    }
    exe[n] = 0;
    int shards = q->shards ? q->shards : (g->npoints < EMIT_MAX_SHARDS ? g->npoints : EMIT_MAX_SHARDS);
    int slurm = strcmp(q->kind, "slurm") == 0;
    fprintf(f, "#!/bin/sh\n# qsim sweep: %d points in %d shards, %ld core%s per shard", g->npoints, shards,
            q->jobs, q->jobs == 1 ? "" : "s");
    if (slurm)
        fputs(", as a Slurm job array.\n#   sbatch THIS_FILE          runs the shards (array task k = shard k)\n"
              "#   sh THIS_FILE merge        afterwards: merges them into the output folder\n"
              "# A failed task is rerun alone (sbatch --array=K THIS_FILE); finished points are kept.\n",
              f);
    else
        fputs(", through GNU parallel.\n#   sh THIS_FILE              runs the shards, then merges them\n"
              "# Hosts: QSIM_SSHLOGIN (default ':', this machine), e.g. QSIM_SSHLOGIN=8/host1,8/host2;\n"
              "# each host needs this qsim and the scenario at the same paths. Run again to resume.\n",
              f);
    fprintf(f, "# Written by qsim %s sweep --emit %s.\n", QSIM_VERSION, q->kind);
    if (slurm) {
        fprintf(f, "#SBATCH --job-name=qsim-sweep\n#SBATCH --array=1-%d\n#SBATCH --ntasks=1\n"
                   "#SBATCH --cpus-per-task=%ld\n", shards, q->jobs);
        if (q->time)
            fprintf(f, "#SBATCH --time=%s\n", q->time);
    }
    fputs("set -eu\ncd ", f);
    put_sq(f, cwd);
    fputs("\nQSIM=", f);
    put_sq(f, exe);
    fputs("\nOUT=", f);
    put_sq(f, x->out);
    fprintf(f, "\nN=%d\n", shards);
    fputs("merge() {\n    set --\n    k=1\n    while [ \"$k\" -le \"$N\" ]; do set -- \"$@\" \"$OUT/shard-$k\"; k=$((k + 1)); done\n"
          "    \"$QSIM\" merge \"$@\" --out \"$OUT\"\n}\n", f);
    if (slurm) {
        fputs("if [ \"${1:-}\" = merge ]; then merge; exit; fi\n"
              ": \"${SLURM_ARRAY_TASK_ID:?submit this file with sbatch, or run: sh THIS_FILE merge}\"\n"
              "exec \"$QSIM\"", f);
        put_sweep_args(f, file, q, g->nparams, x);
        fputs(" --jobs \"${SLURM_CPUS_PER_TASK:-1}\" \\\n    --shard \"$SLURM_ARRAY_TASK_ID/$N\" "
              "--out \"$OUT/shard-$SLURM_ARRAY_TASK_ID\" -q\n", f);
    } else {
        /* -q: parallel quotes each word itself, so brackets in a --param stay
         * literal on remote shells; --jobs P%: one slot per q->jobs cores */
        fprintf(f, "seq 1 \"$N\" | parallel --will-cite -q --halt now,fail=1 --jobs %ld%% \\\n"
                   "    --sshlogin \"${QSIM_SSHLOGIN:-:}\" --workdir \"$PWD\" \\\n    \"$QSIM\"",
                100 / q->jobs > 0 ? 100 / q->jobs : 1);
        put_sweep_args(f, file, q, g->nparams, x);
        fprintf(f, " --jobs %ld \\\n    --shard \"{}/$N\" --out \"$OUT/shard-{}\" -q\nmerge\n", q->jobs);
    }
    return fflush(f) == 0 ? 0 : 1;
}

static void usage_sweep(void)
{
    puts("usage: qsim sweep SCENARIO --param PATH=FROM:TO:STEP|V1,V2,... [--param ...]\n"
         "                  [--options 0,1,...] [--reps R] [--jobs N] [--shard K/N] [--seed S]\n"
         "                  [--days D] [--out DIR] [--plan paid|free] [--pricing FILE] [-q]\n"
         "                  [--emit slurm|parallel [--shards N] [--time T]]\n"
         "       qsim merge DIR... --out DIR\n"
         "--emit prints a script that runs the sweep as N shards (default: one per point, at most\n"
         "1000) of --jobs cores each (default 1) as a Slurm job array or through GNU parallel.\n"
         "PATH is a JSON path into the scenario, e.g. kv.put_error_prob or humans[0].rate_per_s.\n"
         "Writes DIR/points/NNNNNN.json per point (resumable), DIR/sweep.json and, when every\n"
         "point is present, DIR/sweep.csv. See docs/experiments.md and docs/distributed.md.");
}

int cmd_sweep(int argc, char **argv)
{
    enum { O_SHARD = 256, O_PARAM, O_EMIT, O_SHARDS, O_TIME, O_METRIC };
    static const struct option longs[] = {
        { "options", required_argument, 0, 'o' }, { "option", required_argument, 0, 'o' },
        { "metric", required_argument, 0, O_METRIC }, { "param", required_argument, 0, O_PARAM },
        { "shard", required_argument, 0, O_SHARD }, { "emit", required_argument, 0, O_EMIT },
        { "shards", required_argument, 0, O_SHARDS }, { "time", required_argument, 0, O_TIME },
        { "help", no_argument, 0, 'h' }, CLI_EXP_LONGS, { 0, 0, 0, 0 },
    };
    emit_req eq = { NULL, 0, 1, NULL, { 0 }, "" };
    int jobs_given = 0, shard_given = 0;
    char *end;
    static grid g;
    char optbuf[1024] = "";
    const char *options[SC_MAX_OPTIONS];
    int nopt = 0, shard_k = 1, shard_n = 1, c, r;
    const char *metric = "reads_per_day";
    cli_exp x;
    cli_exp_defaults(&x, 10, NULL);
    memset(&g, 0, sizeof g);
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:s:d:qh", longs, NULL)) != -1) {
        if ((r = cli_exp_option(&x, c, optarg)) != 0) {
            if (r < 0)
                return 2;
            jobs_given |= c == CLI_O_JOBS;
            continue;
        }
        switch (c) {
        case 'o':
            snprintf(optbuf, sizeof optbuf, "%s", optarg);
            snprintf(eq.options, sizeof eq.options, "%s", optarg);
            break;
        case O_PARAM:
            if (g.nparams == MAX_PARAMS)
                return cli_usage_error("at most %s --param", "4");
            if (parse_param(optarg, &g.params[g.nparams]) != 0)
                return 2;
            eq.param_args[g.nparams++] = optarg;
            break;
        case O_METRIC:
            if (cli_metric("sweep", "--metric", optarg, strlen(optarg)) < 0)
                return 2;
            metric = optarg;
            break;
        case O_SHARD:
            if (sscanf(optarg, "%d/%d", &shard_k, &shard_n) != 2 || shard_n < 1 || shard_k < 1 || shard_k > shard_n)
                return cli_usage_error("--shard wants K/N with 1 <= K <= N, got '%s'", optarg);
            shard_given = 1;
            break;
        case O_EMIT:
            if (strcmp(optarg, "slurm") != 0 && strcmp(optarg, "parallel") != 0)
                return cli_usage_error("--emit is slurm or parallel, got '%s'", optarg);
            eq.kind = optarg;
            break;
        case O_SHARDS:
            eq.shards = (int)strtol(optarg, &end, 10);
            if (*end || !*optarg || eq.shards < 1 || eq.shards > EMIT_MAX_SHARDS)
                return cli_usage_error("--shards wants a whole number from 1 to 1000, got '%s'", optarg);
            break;
        case O_TIME:
            /* Slurm's forms: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S */
            if (!*optarg || strspn(optarg, "0123456789:-") != strlen(optarg))
                return cli_usage_error("--time wants a Slurm time limit such as 30, 1:00:00 or 2-00:00:00, "
                                       "got '%s'", optarg);
            eq.time = optarg;
            break;
        case 'h': usage_sweep(); return 0;
        default: return cli_usage_error("%s", "bad option for 'sweep'");
        }
    }
    const char *out = x.out, *days = x.days;
    int reps = x.reps, quiet = x.quiet, have_seed = x.have_seed;
    long jobs = x.jobs;
    uint64_t seed = x.seed;
    if (optind != argc - 1)
        return cli_usage_error("%s", "sweep takes one SCENARIO file");
    if (g.nparams == 0)
        return cli_usage_error("%s", "sweep needs at least one --param PATH=FROM:TO:STEP");
    if (!eq.kind && (eq.shards || eq.time))
        return cli_usage_error("%s", "--shards and --time go with --emit slurm|parallel");
    if (eq.kind && shard_given)
        return cli_usage_error("%s", "--emit writes every shard's --shard itself; leave --shard out");
    if (eq.kind)
        eq.jobs = jobs_given ? x.jobs : 1;
    const char *file = argv[optind];
    scenario *base = NULL;
    pr_plan pp;
    ses_files files;
    static xd_exp xp;
    of_set set = { 0 };
    static const char *const set_names[] = { "sweep.csv", "manifest.json", NULL };
    static const char *const all_files[] = { "sweep.csv", "sweep.json", "points/" };
    if (cli_load_files(file, x.data, x.plan, x.pricing, days, &base, &pp, &files) != 0)
        return 2;
    char datadir[1024], limits[1100];
    cli_find_data(x.data, datadir, sizeof datadir);
    snprintf(limits, sizeof limits, "%s/limits/cloudflare-kv-2026.json", datadir);
    /* the scenario again, as a tree to set each point's values in: the same
     * strict parser as the loader's (it passed cli_load_files) */
    sim_err doc_err;
    char *text = read_text(file);
    cJSON *doc = text ? jv_parse(file, text, strlen(text), &doc_err) : NULL;
    int rc = 2;
    if (optbuf[0]) {
        for (char *tok = strtok(optbuf, ","); tok; tok = strtok(NULL, ","))
            if (nopt < SC_MAX_OPTIONS)
                options[nopt++] = tok;
    } else {
        for (int i = 0; i < base->noptions; i++)
            options[nopt++] = base->options[i];
    }
    g.npoints = 1;
    for (int k = 0; k < g.nparams; k++) {
        if ((double)g.npoints * g.params[k].nvalues > 1e6) {
            fprintf(stderr, "qsim: sweep: more than 1,000,000 points\n");
            goto out;
        }
        g.npoints *= g.params[k].nvalues;
    }
    /* the spec: what must match for two directories to merge */
    {
        size_t len = 0;
        uint64_t h = rng_stream_id(text ? text : "");
        /* contents, not names: other prices or limits under the same file
         * name are another sweep (and another qsim may compute otherwise) */
        char ph[24], lh[24];
        file_hash(pp.path, ph, sizeof ph);
        file_hash(limits, lh, sizeof lh);
        len += (size_t)snprintf(g.spec + len, sizeof g.spec - len,
                                "qsim=%s;file=%s;fnv=%016" PRIx64 ";seed=%" PRIu64 ";reps=%d;days=%s;pricing=%s:%s;"
                                "limits=%s;options=", QSIM_VERSION, cli_basename(file), h,
                                have_seed ? seed : base->seed, reps, days ? days : "-", cli_basename(pp.path), ph, lh);
        for (int i = 0; i < nopt && len < sizeof g.spec; i++)
            len += (size_t)snprintf(g.spec + len, sizeof g.spec - len, "%s%s", i ? "," : "", options[i]);
        for (int k = 0; k < g.nparams && len < sizeof g.spec; k++) {
            /* the values themselves, hashed: same count, other values is another sweep */
            char vals[64];
            uint64_t vh = 0xcbf29ce484222325ULL;
            for (int i = 0; i < g.params[k].nvalues; i++) {
                snprintf(vals, sizeof vals, "%.17g;", g.params[k].values[i]);
                for (const char *p = vals; *p; p++)
                    vh = (vh ^ (unsigned char)*p) * 0x100000001b3ULL;
            }
            char path[sizeof g.params[k].path]; /* a copy: g.spec and the path share g */
            memcpy(path, g.params[k].path, sizeof path);
            len += (size_t)snprintf(g.spec + len, sizeof g.spec - len, ";param=%s:%d:%016" PRIx64 "%s", path,
                                    g.params[k].nvalues, vh, g.params[k].is_duration ? ":us" : "");
        }
    }
    /* A bad --param (no such place, a value out of range) is refused before
     * anything is written: the first point of the shard shows it. */
    if (shard_k - 1 < g.npoints) {
        scenario *ps = NULL;
        if (!doc || point_scenario(file, doc, &g, shard_k - 1, limits, &pp, days, &ps) != 0)
            goto out;
        sc_free(ps);
    }
    if (eq.kind) {
        if (eq.shards > g.npoints) {
            fprintf(stderr, "qsim: sweep: --shards %d is more than the %d points of the sweep\n", eq.shards,
                    g.npoints);
            goto out;
        }
        rc = emit_script(stdout, file, &eq, &g, &x);
        goto out;
    }
    /* the spec is the sweep's identity: shards of one sweep share a folder */
    cli_xd_begin(&xp, "sweep", base, file, &files, argc, argv);
    xp.files_out_of_id = 1;
    xd_set(&xp, "spec", g.spec);
    if (cli_xd_resolve(&xp, out, 1) != 0) /* the folder; its owner is checked below */
        goto out;
    out = xp.dir;
    static grid old;
    sim_err spec_err = { 0, "" };
    int fresh = read_spec_file(out, &old, &spec_err) != 0; /* no sweep here before this one */
    if (!fresh && strcmp(old.spec, g.spec) != 0 && !x.force) {
        char why[600];
        spec_diff(g.spec, old.spec, why, sizeof why);
        fprintf(stderr, "qsim: sweep: %s holds another sweep (%s); use another --out or remove it\n", out, why);
        goto out;
    }
    if (cli_xd_resolve(&xp, out, x.force) != 0)
        goto out;
    char pdir[1100];
    snprintf(pdir, sizeof pdir, "%s/points", out);
    if (!doc || of_mkdirs(pdir) != 0 || write_spec_file(out, &g) != 0) {
        fprintf(stderr, "qsim: sweep: cannot prepare %s: %s\n", out, strerror(errno));
        rc = 1;
        goto out;
    }
    /* the half-written point files of workers killed with -9 (whose
     * writers are gone; a live shard's are left alone) */
    of_clean_stale(pdir);
    int todo = 0, done_before = 0, mine = 0;
    for (int n = shard_k - 1; n < g.npoints; n += shard_n) {
        mine++;
        if (point_done(out, &g, n))
            done_before++;
    }
    todo = mine - done_before;
    if (!quiet)
        fprintf(stderr, "qsim: sweep: %d points (%d in shard %d/%d, %d already done), %d options x %d reps each\n",
                g.npoints, mine, shard_k, shard_n, done_before, nopt, reps);
    double t0 = cli_wall();
    int *todo_list = calloc((size_t)(todo > 0 ? todo : 1), sizeof *todo_list), nt = 0;
    double *vals = calloc((size_t)nopt * (size_t)reps * M_COUNT, sizeof *vals);
    rc = 1;
    if (!todo_list || !vals) {
        free(todo_list);
        free(vals);
        goto out;
    }
    for (int n = shard_k - 1; n < g.npoints; n += shard_n)
        if (!point_done(out, &g, n))
            todo_list[nt++] = n;
    /* Validate every point's scenario first: bad input stops before any
     * run; and add up the work they ask for (the budget). */
    ses_work sum = { 0 };
    for (int i = 0; i < nt; i++) {
        scenario *ps = NULL;
        ses_work w1;
        if (point_scenario(file, doc, &g, todo_list[i], limits, &pp, days, &ps) != 0) {
            rc = 2;
            free(todo_list);
            free(vals);
            goto refused;
        }
        ses_estimate(ps, &w1);
        sum.calls += w1.calls / nt;
        sum.events += w1.events / nt;
        sc_free(ps);
    }
    if (nt > 0 && cli_budget_work("sweep", base->name, &sum, (double)nt * nopt * reps, 0, jobs, quiet, x.force) != 0) {
        rc = 2;
        free(todo_list);
        free(vals);
        goto refused;
    }
    if (jobs > nt)
        jobs = nt > 0 ? nt : 1;
    /* the points left, over the worker pool (app/jobs.h): each task runs a
     * whole point, one replication after another, and writes its file
     * itself (atomically); progress moves per replication and within it */
    point_ud pu = { file, doc, &g, limits, &pp, days, options, nopt, reps, have_seed ? seed : base->seed, out,
                    todo_list, vals, 0, NULL };
    cli_meter meter;
    cli_meter_start(&meter, (double)nt * nopt * reps, quiet);
    pu.meter_on = meter.on;
    pu.meter = &meter;
    jb_stats js;
    jb_pool pool = { (int)jobs, 1, run_point, NULL, meter.on ? sweep_progress : NULL, &pu, &js };
    int nbad = jb_run(&pool, nt);
    cli_meter_end(&meter);
    int ran = nbad < 0 ? 0 : nt - nbad, bad = nbad != 0;
    double cpu_all = js.cpu_all, cpu_max = js.cpu_max;
    free(todo_list);
    if (bad || ran != nt) {
        fprintf(stderr, "qsim: sweep: %d of %d points failed or were not run\n", nt - ran, nt);
        free(vals);
        goto out;
    }
    free(vals);
    int present = 0;
    for (int n = 0; n < g.npoints; n++)
        present += point_done(out, &g, n);
    char extra[160]; /* what plot draws: the chart's metric */
    snprintf(extra, sizeof extra, "{\"metric\": \"%s\"}", metric);
    if (present == g.npoints) {
        /* sweep.csv and the manifest are switched in together; points/ and
         * sweep.json are carried over into the new set */
        if (of_set_begin(&set, out, set_names) != 0 || write_aggregate(out, set.stage, &g) != 0 ||
            xd_write_manifest(&xp, set.stage, all_files, 3, extra) != 0 || of_set_commit(&set) != 0) {
            fprintf(stderr, "qsim: sweep: cannot write %s/sweep.csv\n", out);
            goto out;
        }
        xd_link_latest(&xp);
        if (!quiet)
            print_table(stdout, out, &g, metric);
        if (!quiet) {
            fprintf(stderr, "qsim: sweep: %d points in %.2f s; wrote %s/sweep.csv\n", ran, cli_wall() - t0, out);
            fprintf(stderr, "qsim: sweep: CPU %.2f s in %ld workers (busiest %.2f s), %.2f s in this process\n",
                    cpu_all, jobs, cpu_max, cpu_self());
        }
    } else {
        /* a shard's folder is an experiment folder too: its manifest says
         * which sweep it is a part of (merge writes the whole one's) */
        static const char *const shard_files[] = { "sweep.json", "points/" };
        if (xd_write_manifest(&xp, out, shard_files, 2, extra) != 0) {
            fprintf(stderr, "qsim: sweep: cannot write %s/manifest.json: %s\n", out, strerror(errno));
            goto out;
        }
    }
    if (present != g.npoints && !quiet) {
        fprintf(stderr, "qsim: sweep: shard %d/%d done (%d points in %.2f s); %d of %d points present: "
                        "merge the shards with 'qsim merge DIR... --out DIR'\n",
                shard_k, shard_n, ran, cli_wall() - t0, present, g.npoints);
    }
    rc = 0;
    goto out;
refused: /* bad input or over the budget: a sweep that had not begun leaves nothing */
    if (fresh) {
        char spec[1200];
        snprintf(spec, sizeof spec, "%s/sweep.json", out);
        unlink(spec);
        rmdir(pdir);
        rmdir(out);
    }
out:
    of_set_abort(&set);
    cJSON_Delete(doc);
    free(text);
    sc_free(base);
    return rc;
}

int cmd_merge(int argc, char **argv)
{
    const char *out = NULL;
    const char *dirs[256];
    int ndirs = 0;
    static grid g, h;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage_sweep();
            return 0;
        } else if (argv[i][0] == '-')
            return cli_usage_error("merge: unknown option '%s'", argv[i]);
        else if (ndirs < 256)
            dirs[ndirs++] = argv[i];
    }
    if (!out || ndirs == 0)
        return cli_usage_error("%s", "merge wants DIR... --out DIR");
    for (int d = 0; d < ndirs; d++) { /* a shard merged twice would hide a missing one */
        struct stat a, b;
        for (int e = 0; e < d; e++)
            if (stat(dirs[d], &a) == 0 && stat(dirs[e], &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
                fprintf(stderr, "qsim: merge: %s is given twice (also as %s)\n", dirs[d], dirs[e]);
                return 2;
            }
    }
    sim_err spec_err = { 0, "" };
    if (read_spec_file(dirs[0], &g, &spec_err) != 0) {
        fprintf(stderr, "qsim: merge: %s\n", spec_err.msg);
        return 2;
    }
    for (int d = 1; d < ndirs; d++)
        if (read_spec_file(dirs[d], &h, &spec_err) != 0 || strcmp(g.spec, h.spec) != 0) {
        {
            char why[600];
            if (h.spec[0]) /* read: another spec */
                spec_diff(h.spec, g.spec, why, sizeof why);
            else
                snprintf(why, sizeof why, "%.590s", spec_err.msg);
            fprintf(stderr, "qsim: merge: %s is a different sweep than %s: %s\n", dirs[d], dirs[0], why);
            return 2;
        }
        }
    /* a point done in two of the shards given: the same shard (or a copy
     * of it) merged twice, or shards of overlapping --shard splits */
    for (int n = 0; n < g.npoints; n++) {
        int first = -1;
        for (int d = 0; d < ndirs; d++) {
            if (strcmp(dirs[d], out) == 0 || !point_done(dirs[d], &g, n))
                continue;
            if (first >= 0) {
                fprintf(stderr, "qsim: merge: point %d is in both %s and %s: a shard given twice (or a copy of "
                        "it)? Give each shard once\n", n, dirs[first], dirs[d]);
                return 2;
            }
            first = d;
        }
    }
    char pdir[1100];
    snprintf(pdir, sizeof pdir, "%s/points", out);
    if (of_mkdirs(pdir) != 0 || write_spec_file(out, &g) != 0) {
        fprintf(stderr, "qsim: merge: cannot write %s: %s\n", out, strerror(errno));
        return 1;
    }
    int missing = 0;
    for (int n = 0; n < g.npoints; n++) {
        char path[1200];
        int found = 0;
        for (int d = 0; d < ndirs && !found; d++) {
            if (!point_done(dirs[d], &g, n))
                continue;
            snprintf(path, sizeof path, "%s/points/%06d.json", dirs[d], n);
            char *text = read_text(path);
            of_file f;
            snprintf(path, sizeof path, "%s/points/%06d.json", out, n);
            if (text && (strcmp(dirs[d], out) == 0 || (of_open(&f, path) == 0 && fputs(text, f.f) >= 0 &&
                                                        of_commit(&f) == 0)))
                found = 1;
            free(text);
        }
        missing += !found;
    }
    if (missing) {
        fprintf(stderr, "qsim: merge: %d of %d points missing; run the missing shards\n", missing, g.npoints);
        return 1;
    }
    static xd_exp xp;
    static const char *const set_names[] = { "sweep.csv", "manifest.json", NULL };
    of_set set = { 0 };
    char sname[128] = "merge";
    const char *fp = strstr(g.spec, ";file=");
    if (fp) { /* the scenario's file name, from the spec */
        fp += 6;
        int l = (int)strcspn(fp, ";");
        if (l > 5 && strncmp(fp + l - 5, ".json", 5) == 0)
            l -= 5;
        snprintf(sname, sizeof sname, "%.*s", l, fp);
    }
    int kargc;
    char *const *kargv = cli_argv(&kargc);
    xd_init(&xp, "sweep", sname, kargc, kargv);
    xd_set(&xp, "spec", g.spec);
    xd_resolve(&xp, out, 1, &(sim_err){ 0, "" }); /* the id only: the folder is --out */
    for (int d = 0; d < ndirs; d++) {
        char key[32];
        snprintf(key, sizeof key, "shard_%d", d + 1);
        xd_set(&xp, key, dirs[d]);
    }
    if (of_set_begin(&set, out, set_names) != 0 || write_aggregate(out, set.stage, &g) != 0 ||
        xd_write_manifest(&xp, set.stage, set_names, 1, NULL) != 0 || of_set_commit(&set) != 0) {
        of_set_abort(&set);
        fprintf(stderr, "qsim: merge: cannot write %s/sweep.csv\n", out);
        return 1;
    }
    fprintf(stderr, "qsim: merge: %d points from %d folders; wrote %s/sweep.csv\n", g.npoints, ndirs, out);
    return 0;
}
