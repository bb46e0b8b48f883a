/* robust.c - the comparison re-run across the assumed parameters
 * (robust.h). Scenario assumptions are varied through their "param" in
 * the scenario's JSON (created when the scenario leaves it to the
 * default); pricing assumptions through the plan's field. */
#include "robust.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "model/jv.h"
#include "reports/stats.h"

const int rb_metrics[] = { M_USD_MONTH, M_USD_DAY, M_READS, M_WRITES, M_LOST, M_NEVER, M_TWICE, M_STUCK,
                           M_HEAL50, M_HEAL99 };
const int rb_nmetrics = (int)(sizeof rb_metrics / sizeof rb_metrics[0]);

/* "readers[*].period": the key in every object of the array that has it;
 * a string value (a duration) becomes "<v>s", a number stays a number.
 * 0, or -1 when no element has the key. */
static int set_each(cJSON *root, const char *path, double v)
{
    char arr[96], num[40];
    const char *star = strstr(path, "[*].");
    snprintf(arr, sizeof arr, "%.*s", (int)(star - path), path);
    const char *key = star + 4;
    cJSON *a = cJSON_GetObjectItemCaseSensitive(root, arr), *e;
    int n = 0;
    if (!cJSON_IsArray(a))
        return -1;
    cJSON_ArrayForEach(e, a)
    {
        cJSON *old = cJSON_GetObjectItemCaseSensitive(e, key);
        if (!old)
            continue;
        char dur[48];
        snprintf(dur, sizeof dur, "%ss", jv_fmt(num, sizeof num, v));
        cJSON_ReplaceItemInObjectCaseSensitive(e, key, cJSON_IsString(old) ? cJSON_CreateString(dur)
                                                                            : cJSON_CreateNumber(v));
        n++;
    }
    return n ? 0 : -1;
}

/* Sets the number at a dotted object path, creating missing objects. */
static int set_path(cJSON *root, const char *path, double v)
{
    if (strstr(path, "[*]."))
        return set_each(root, path, v);
    char buf[96];
    snprintf(buf, sizeof buf, "%s", path);
    cJSON *node = root;
    for (char *p = buf, *dot;; p = dot + 1) {
        dot = strchr(p, '.');
        if (dot)
            *dot = 0;
        if (!cJSON_IsObject(node) || !*p)
            return -1;
        cJSON *child = cJSON_GetObjectItemCaseSensitive(node, p);
        if (!dot) {
            if (child)
                cJSON_ReplaceItemInObjectCaseSensitive(node, p, cJSON_CreateNumber(v));
            else
                cJSON_AddNumberToObject(node, p, v);
            return 0;
        }
        if (!child)
            child = cJSON_AddObjectToObject(node, p);
        node = child;
    }
}

/* The pricing fields an assumption can move; others are listed only. */
static int plan_set(pr_plan *p, const char *key, double v)
{
    if (strcmp(key, "days_per_month") == 0)
        p->days_per_month = (int)llround(v);
    else if (strcmp(key, "kv.storage_bytes_per_gb") == 0)
        p->storage_gb_bytes = (int64_t)llround(v);
    else
        return -1;
    return 0;
}

static scenario *variant(const char *path, const char *limits, const scenario *base, const char *param, double v,
                         sim_err *err)
{
    cJSON *doc = jv_load(path, err);
    if (!doc)
        return NULL;
    scenario *s = NULL;
    char name[700], num[32];
    snprintf(name, sizeof name, "%s[%s=%s]", path, param, jv_fmt(num, sizeof num, v));
    if (set_path(doc, param, v) != 0) {
        snprintf(err->msg, sizeof err->msg, "%s: no place for %s in the scenario", path, param);
        err->code = 2;
    } else {
        char *t = cJSON_PrintUnformatted(doc);
        if (t && sc_parse(name, t, strlen(t), limits, &s, err) != 0)
            s = NULL;
        free(t);
    }
    cJSON_Delete(doc);
    if (s) { /* what cli_load set on the comparison's scenario */
        s->kv.daily_read_cap = base->kv.daily_read_cap;
        s->kv.daily_write_cap = base->kv.daily_write_cap;
        s->kv.daily_request_cap = base->kv.daily_request_cap;
        s->kv.watch_reads_day = base->kv.watch_reads_day;
        s->kv.watch_writes_day = base->kv.watch_writes_day;
        s->kv.watch_requests_day = base->kv.watch_requests_day;
        s->duration = base->duration;
    }
    return s;
}

/* An actor parameter is varied only where the scenario has such actors:
 * readers[*].period needs a reader that polls with a period. */
static int applies(const scenario *s, const char *param)
{
    if (strcmp(param, "readers[*].period") == 0) {
        for (int i = 0; i < s->nreaders; i++)
            if (s->readers[i].period > 0)
                return 1;
        return 0;
    }
    return 1;
}

static int load_marks(rb_set *r, const char *path)
{
    sim_err err = { 0, "" };
    int before = r->as.n;
    if (pv_load(path, &r->as, &err) != 0) {
        fprintf(stderr, "qsim: %s\n", err.msg);
        return 2;
    }
    for (int i = before; i < r->as.n; i++)
        snprintf(r->as_file[i], sizeof r->as_file[i], "%s", cli_basename(path));
    return 0;
}

int rb_run(rb_set *r, const char *scenario_path, const char *data_given, const scenario *s, const pr_plan *plan,
           const experiment *e, const double *vals0, int jobs, int show)
{
    char data[1024], limits[1100];
    memset(r, 0, sizeof *r);
    r->nopt = e->nopt;
    r->reps = e->reps;
    r->options = e->options;
    cli_find_data(data_given, data, sizeof data);
    snprintf(limits, sizeof limits, "%s/limits/cloudflare-kv-2026.json", data);
    if (load_marks(r, limits) != 0 || load_marks(r, plan->path) != 0)
        return 2;
    /* the actors' assumed parameters (data/actors): optional, so a data
     * folder of limits and pricing alone keeps working */
    char actors[1100];
    snprintf(actors, sizeof actors, "%s/actors/actors-2026.json", data);
    FILE *af = fopen(actors, "r");
    if (af) {
        fclose(af);
        if (load_marks(r, actors) != 0)
            return 2;
    }
    /* points: the comparison, then low, middle, high of each assumption
     * that can be varied */
    r->pts[0].assumption = -1;
    snprintf(r->pts[0].label, sizeof r->pts[0].label, "as given");
    r->npoints = 1;
    for (int i = 0; i < r->as.n; i++) {
        const pv_assumption *a = &r->as.a[i];
        pr_plan probe = *plan;
        int from_plan = strcmp(r->as_file[i], cli_basename(plan->path)) == 0;
        if (!from_plan && !a->param[0])
            continue;
        if (!from_plan && !applies(s, a->param))
            continue;
        if (from_plan && plan_set(&probe, a->key, a->value) != 0)
            continue;
        double v3[3] = { a->lo, (a->lo + a->hi) / 2, a->hi };
        for (int q = 0; q < 3; q++) {
            rb_point *p = &r->pts[r->npoints++];
            char num[32];
            p->assumption = i;
            p->value = from_plan ? (double)llround(v3[q]) : v3[q];
            snprintf(p->label, sizeof p->label, "%s=%s", from_plan ? a->key : a->param,
                     jv_fmt(num, sizeof num, p->value));
        }
    }
    size_t per = (size_t)e->nopt * (size_t)e->reps * M_COUNT;
    r->vals = calloc((size_t)r->npoints * per, sizeof *r->vals);
    if (!r->vals)
        return 1;
    memcpy(r->vals, vals0, per * sizeof *vals0);
    for (int p = 1; p < r->npoints; p++) {
        const pv_assumption *a = &r->as.a[r->pts[p].assumption];
        pr_plan pp = *plan;
        scenario *v = NULL;
        const scenario *one[1] = { s };
        sim_err err = { 0, "" };
        if (strcmp(r->as_file[r->pts[p].assumption], cli_basename(plan->path)) == 0) {
            plan_set(&pp, a->key, r->pts[p].value);
        } else {
            v = variant(scenario_path, limits, s, a->param, r->pts[p].value, &err);
            if (!v) {
                fprintf(stderr, "qsim: --robust: %s\n", err.msg);
                return 2;
            }
            one[0] = v;
        }
        experiment x = { one, 1, &pp, e->options, e->nopt, e->reps, e->base_seed };
        if (show)
            fprintf(stderr, "qsim: robust: %s\n", r->pts[p].label);
        cli_meter meter;
        cli_meter_start(&meter, 0, !show);
        int rc = exp_run_all(&x, jobs, r->vals + (size_t)p * per, show ? cli_meter_runs : NULL, &meter);
        cli_meter_end(&meter);
        sc_free(v);
        if (rc != 0) {
            fprintf(stderr, "qsim: --robust: %s: a run failed\n", r->pts[p].label);
            return 1;
        }
    }
    return 0;
}

void rb_free(rb_set *r)
{
    free(r->vals);
    r->vals = NULL;
}

static const double *col(const rb_set *r, int p, int o, int k)
{
    return r->vals + (((size_t)p * (size_t)r->nopt + (size_t)o) * (size_t)r->reps) * M_COUNT + k;
}

/* Means of option o at point p for metric k (NAN when undefined). */
static double rb_mean(const rb_set *r, int p, int o, int k)
{
    stat_summary st = stat_of(col(r, p, o, k), (size_t)r->reps, M_COUNT);
    return st.n ? st.mean : NAN;
}

/* sign of mean(a) - mean(b) at point p: -1, 0, +1; 2 when undefined.
 * clear: the paired 95 % CI excludes 0. "never" (+inf) is above any time. */
static int order(const rb_set *r, int p, int a, int b, int k, int *clear)
{
    double ma = rb_mean(r, p, a, k), mb = rb_mean(r, p, b, k);
    *clear = 0;
    if (isnan(ma) || isnan(mb))
        return 2;
    if (isinf(ma) || isinf(mb)) {
        *clear = 1;
        return isinf(ma) && isinf(mb) ? 0 : isinf(ma) ? 1 : -1;
    }
    double d[1024];
    int n = r->reps < 1024 ? r->reps : 1024;
    for (int i = 0; i < n; i++)
        d[i] = col(r, p, a, k)[(size_t)i * M_COUNT] - col(r, p, b, k)[(size_t)i * M_COUNT];
    stat_summary st = stat_of(d, (size_t)n, 1);
    /* a constant nonzero difference (sd 0) is clear too */
    *clear = st.n >= 2 && fabs(st.mean) > st.half;
    return ma < mb ? -1 : ma > mb ? 1 : 0;
}

/* The first flip of metric k: options a, b and the points where a is
 * lower (pa) and higher (pb). Returns 0 when none, 1 within noise, 2 clear. */
static int first_flip(const rb_set *r, int k, int *oa, int *ob, int *pa, int *pb)
{
    int best = 0;
    for (int a = 0; a < r->nopt; a++)
        for (int b = a + 1; b < r->nopt; b++) {
            int lo = -1, hi = -1, lo_clear = 0, hi_clear = 0;
            for (int p = 0; p < r->npoints; p++) {
                int c, s = order(r, p, a, b, k, &c);
                if (s == -1 && (lo < 0 || (c && !lo_clear))) { lo = p; lo_clear = c; }
                if (s == 1 && (hi < 0 || (c && !hi_clear))) { hi = p; hi_clear = c; }
            }
            if (lo < 0 || hi < 0)
                continue;
            int kind = lo_clear && hi_clear ? 2 : 1;
            if (kind > best) {
                best = kind;
                *oa = a; *ob = b; *pa = lo; *pb = hi;
            }
        }
    return best;
}

int rb_stable(const rb_set *r, int k)
{
    int a, b, pa, pb;
    return first_flip(r, k, &a, &b, &pa, &pb) == 0;
}

int rb_clear_flip(const rb_set *r, int k)
{
    int a, b, pa, pb;
    return first_flip(r, k, &a, &b, &pa, &pb) == 2;
}

static void point_text(char *buf, size_t len, const rb_set *r, int p)
{
    snprintf(buf, len, "%s", r->pts[p].label);
}

void rb_write(FILE *f, const rb_set *r, int md)
{
    const char *b = md ? "**" : "";
    if (md)
        fprintf(f, "| assumption | value | plausible range | varied as | why it is assumed |\n|---|---:|---|---|---|\n");
    else
        fprintf(f, "assumptions (values nobody publishes; each varied at its low end, middle and high end):\n");
    for (int i = 0; i < r->as.n; i++) {
        const pv_assumption *a = &r->as.a[i];
        char v[32], lo[32], hi[32];
        jv_fmt(v, sizeof v, a->value);
        jv_fmt(lo, sizeof lo, a->lo);
        jv_fmt(hi, sizeof hi, a->hi);
        int varied = 0;
        for (int p = 1; p < r->npoints; p++)
            varied |= r->pts[p].assumption == i;
        const char *how = varied ? (a->param[0] ? a->param : "the plan") : "not varied";
        if (md)
            fprintf(f, "| `%s` (%s) | %s | %s to %s | %s | %s |\n", a->key, r->as_file[i], v, lo, hi, how, a->note);
        else
            fprintf(f, "  %-28s %-10s %s to %s, varied as %s (%s)\n", a->key, v, lo, hi, how, r->as_file[i]);
    }
    fprintf(f, md ? "\nRanking of the options at %d points (the comparison as given, then each assumption at its low "
                    "end, middle and high end; same seeds):\n\n| figure | ranking |\n|---|---|\n"
                  : "\nranking of the options at %d points (same seeds):\n",
            r->npoints);
    for (int q = 0; q < rb_nmetrics; q++) {
        int k = rb_metrics[q], a = 0, c = 0, pa = 0, pb = 0;
        int kind = first_flip(r, k, &a, &c, &pa, &pb);
        char la[200], lb[200];
        if (md)
            fprintf(f, "| %s | ", fig_metric_at(k)->name);
        else
            fprintf(f, "  %-18s ", fig_metric_at(k)->name);
        if (!kind) {
            fprintf(f, "same everywhere");
        } else {
            point_text(la, sizeof la, r, pa);
            point_text(lb, sizeof lb, r, pb);
            if (kind == 2)
                fprintf(f, "%sDEPENDS ON THE ASSUMPTIONS%s: ", b, b);
            else
                fprintf(f, "no clear change (the order moves only within noise): ");
            fprintf(f, "%s is below %s at %s (%.6g vs %.6g) but above it at %s (%.6g vs %.6g)%s", r->options[a],
                    r->options[c], la, rb_mean(r, pa, a, k), rb_mean(r, pa, c, k), lb, rb_mean(r, pb, a, k),
                    rb_mean(r, pb, c, k),
                    kind == 2 ? ", both differences clear (95 % paired CI excludes 0)"
                              : ", the 95 % paired CI includes 0 at one of them");
        }
        fputs(md ? " |\n" : "\n", f);
    }
    int ndep = 0;
    for (int q = 0; q < rb_nmetrics; q++) {
        int k = rb_metrics[q], a, c, pa, pb;
        if (first_flip(r, k, &a, &c, &pa, &pb) == 2)
            fprintf(f, "%s%s", ndep++ ? ", " : md ? "\nConclusions that depend on the assumptions: " : "depend on the assumptions: ",
                    fig_metric_at(k)->name);
    }
    if (ndep)
        fputs(md ? ".\n" : "\n", f);
    else
        fprintf(f, md ? "\nNo ranking depends on the assumptions: where the order of two options moves, the "
                        "difference is within noise.\n"
                      : "no ranking depends on the assumptions (clear differences keep their order everywhere)\n");
}

cJSON *rb_json(const rb_set *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *as = cJSON_AddArrayToObject(o, "assumptions");
    for (int i = 0; i < r->as.n; i++) {
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "key", r->as.a[i].key);
        cJSON_AddStringToObject(a, "file", r->as_file[i]);
        cJSON_AddNumberToObject(a, "value", r->as.a[i].value);
        cJSON_AddNumberToObject(a, "low", r->as.a[i].lo);
        cJSON_AddNumberToObject(a, "high", r->as.a[i].hi);
        if (r->as.a[i].param[0])
            cJSON_AddStringToObject(a, "param", r->as.a[i].param);
        cJSON_AddItemToArray(as, a);
    }
    cJSON *pts = cJSON_AddArrayToObject(o, "points");
    for (int p = 0; p < r->npoints; p++)
        cJSON_AddItemToArray(pts, cJSON_CreateString(r->pts[p].label));
    cJSON *figs = cJSON_AddObjectToObject(o, "figures");
    for (int q = 0; q < rb_nmetrics; q++) {
        int k = rb_metrics[q], a = 0, c = 0, pa = 0, pb = 0;
        int kind = first_flip(r, k, &a, &c, &pa, &pb);
        cJSON *m = cJSON_AddObjectToObject(figs, fig_metric_at(k)->name);
        cJSON_AddStringToObject(m, "ranking", kind == 0 ? "same" : kind == 2 ? "flips" : "flips_within_noise");
        if (kind) {
            cJSON_AddStringToObject(m, "lower", r->options[a]);
            cJSON_AddStringToObject(m, "higher", r->options[c]);
            cJSON_AddStringToObject(m, "lower_at", r->pts[pa].label);
            cJSON_AddStringToObject(m, "higher_at", r->pts[pb].label);
        }
        cJSON *means = cJSON_AddArrayToObject(m, "means"); /* [point][option] */
        for (int p = 0; p < r->npoints; p++) {
            cJSON *row = cJSON_CreateArray();
            for (int op = 0; op < r->nopt; op++) {
                double v = rb_mean(r, p, op, k);
                cJSON_AddItemToArray(row, isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull());
            }
            cJSON_AddItemToArray(means, row);
        }
    }
    return o;
}

int rb_choice(FILE *f, const rb_set *r, int (*choose)(const double *vals, void *ud), void *ud, const char *what)
{
    size_t per = (size_t)r->nopt * (size_t)r->reps * M_COUNT;
    int pick[RB_MAX_POINTS], same = 1;
    for (int p = 0; p < r->npoints; p++) {
        pick[p] = choose(r->vals + (size_t)p * per, ud);
        same &= pick[p] == pick[0];
    }
    fprintf(f, "%s at %d points (the results as given, then each assumed value at its low end, middle and high "
               "end; same seeds):\n", what, r->npoints);
    for (int p = 0; p < r->npoints; p++) {
        fprintf(f, "  %-36s ", r->pts[p].label);
        if (pick[p] < 0)
            fprintf(f, "none qualifies\n");
        else
            fprintf(f, "option %s, $%.6f/day\n", r->options[pick[p]], rb_mean(r, p, pick[p], M_USD_DAY));
    }
    if (same) {
        fprintf(f, "robust: the %s is the same at every point", what);
        if (r->npoints == 1)
            fprintf(f, " (no assumed value could be varied)");
        fputs("\n", f);
        return 1;
    }
    /* which assumptions move it: those with a point whose choice differs */
    fprintf(f, "robust: the %s DEPENDS ON THE ASSUMPTIONS:", what);
    int n = 0;
    for (int i = 0; i < r->as.n; i++) {
        int moves = 0;
        for (int p = 1; p < r->npoints; p++)
            moves |= r->pts[p].assumption == i && pick[p] != pick[0];
        if (!moves)
            continue;
        fprintf(f, "%s %s (", n++ ? ";" : "", r->as.a[i].key);
        int k = 0;
        for (int p = 1; p < r->npoints; p++)
            if (r->pts[p].assumption == i) {
                if (pick[p] < 0)
                    fprintf(f, "%s%s: none", k++ ? ", " : "", r->pts[p].label);
                else
                    fprintf(f, "%s%s: option %s", k++ ? ", " : "", r->pts[p].label, r->options[pick[p]]);
            }
        fputs(")", f);
    }
    fputs("\n", f);
    return 0;
}
