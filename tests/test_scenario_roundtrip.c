/* test_scenario_roundtrip.c - parse(write(parse(x))) equals parse(x),
 * field by field and then as a whole struct, for every scenario file in
 * scenarios/ (all folders) and every scenario file of tests/data and
 * tests/worker, including tests/data/roundtrip-fields*.json, which set
 * every field the writer handles away from its default (a field the writer
 * forgets reads back as its default, so only a non-default value catches
 * it); and for every declared strategy parameter of the registry, each
 * given a value other than its default (so a new parameter is covered
 * without editing this file).
 *
 * The named comparisons say which field differs; the whole-struct
 * comparison then catches a field nobody listed here (a new one). Structs
 * are compared with memcmp: every scenario struct is calloc'd and filled
 * field by field, so padding is zero in both, except in distributions
 * (copied from a local: repacked before comparing); the pointers are
 * compared through what they point to. Expectations are not written
 * (sc_to_json's contract) and are not compared. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cJSON.h>

#include "harness.h"

static size_t first_diff(const void *x, const void *y, size_t n)
{
    const unsigned char *p = x, *q = y;
    for (size_t i = 0; i < n; i++)
        if (p[i] != q[i])
            return i;
    return n;
}

/* Scalars and arrays of scalars (no padding inside). */
#define F(x, y, field) \
    do { \
        if (memcmp(&(x)->field, &(y)->field, sizeof (x)->field) != 0) \
            fail_msg("%s: '%s' differs after write and parse (byte %zu)", what, #field, \
                     first_diff(&(x)->field, &(y)->field, sizeof (x)->field)); \
    } while (0)
/* A distribution, field by field (its padding is indeterminate). */
#define D(x, y, field) \
    do { \
        F(x, y, field.kind); \
        F(x, y, field.a); \
        F(x, y, field.b); \
        F(x, y, field.sigma); \
    } while (0)

static void same(const char *what, const scenario *a, const scenario *b)
{
    F(a, b, name);
    F(a, b, seed);
    F(a, b, duration);
    F(a, b, epoch_ms);
    F(a, b, noptions);
    F(a, b, options);
    F(a, b, nlocs);
    F(a, b, locs);
    const kv_config *ka = &a->kv, *kb = &b->kv;
    F(ka, kb, nlocs);
    F(ka, kb, cache_ttl);
    F(ka, kb, own_writes_visible);
    F(ka, kb, background_refresh);
    D(ka, kb, get_hit);
    D(ka, kb, get_miss);
    D(ka, kb, put);
    F(ka, kb, get_error_prob);
    F(ka, kb, put_error_prob);
    F(ka, kb, same_key_interval);
    F(ka, kb, p429);
    F(ka, kb, value_max_bytes);
    F(ka, kb, key_max_bytes);
    F(ka, kb, daily_read_cap);
    F(ka, kb, daily_write_cap);
    F(ka, kb, watch_reads_day);
    F(ka, kb, watch_writes_day);
    F(ka, kb, daily_request_cap);
    F(ka, kb, watch_requests_day);
    F(ka, kb, utc_offset);
    F(ka, kb, window);
    F(ka, kb, nmisc);
    assert_string_equal(ka->cache_key_name, kb->cache_key_name);
    F(a, b, nhumans);
    for (int i = 0; i < a->nhumans; i++) {
        const sc_human *x = &a->humans[i], *y = &b->humans[i];
        F(x, y, name);
        F(x, y, loc);
        F(x, y, rate_per_s);
        F(x, y, entity_share);
        F(x, y, legacy_share);
        D(x, y, bytes);
        F(x, y, priority);
        F(x, y, rate_limited);
    }
    F(a, b, nbots);
    for (int i = 0; i < a->nbots; i++) {
        const sc_bot *x = &a->bots[i], *y = &b->bots[i];
        F(x, y, name);
        F(x, y, loc);
        F(x, y, loop);
        F(x, y, poll_every);
        F(x, y, first_poll);
        D(x, y, generation);
        D(x, y, reply_bytes);
        F(x, y, fail_prob);
        F(x, y, crash_prob);
        F(x, y, restart_after);
        F(x, y, rate_limited);
    }
    F(a, b, nreaders);
    for (int i = 0; i < a->nreaders; i++) {
        const sc_reader *x = &a->readers[i], *y = &b->readers[i];
        F(x, y, name);
        F(x, y, loc);
        F(x, y, count);
        F(x, y, period);
        F(x, y, rate_per_s);
        F(x, y, first_poll);
    }
    F(a, b, plain_count);
    F(a, b, plain_bytes);
    F(a, b, nmsgs);
    for (int i = 0; i < a->nmsgs; i++)
        if (memcmp(&a->msgs[i], &b->msgs[i], sizeof a->msgs[i]) != 0)
            fail_msg("%s: 'msgs[%d]' differs after write and parse", what, i);
    F(a, b, strategy.retry_max_attempts);
    F(a, b, strategy.retry_first_backoff);
    F(a, b, strategy.option2_placement);
    F(a, b, strategy.wait_until_limit);
    F(a, b, strategy.cron_every);
    F(a, b, strategy.cron_loc);
    F(a, b, strategy.ext);
    F(a, b, endpoints);
    F(a, b, deployed.pending_limit);
    F(a, b, deployed.max_attempts);
    F(a, b, deployed.rate_posts);
    F(a, b, deployed.rate_window);
    F(a, b, ncalls);
    for (int i = 0; i < a->ncalls; i++)
        if (memcmp(&a->script[i], &b->script[i], sizeof a->script[i]) != 0)
            fail_msg("%s: 'script[%d]' differs after write and parse", what, i);
    F(a, b, npins);
    if (a->npins && memcmp(a->pins, b->pins, (size_t)a->npins * sizeof *a->pins) != 0)
        fail_msg("%s: 'pins' differ after write and parse", what);
    F(a, b, nfaults);
    for (int i = 0; i < a->nfaults; i++) {
        const call_epfault *x = &a->faults[i], *y = &b->faults[i];
        F(x, y, endpoint);
        F(x, y, op);
        F(x, y, key_class);
        F(x, y, prob);
        F(x, y, kind);
    }
    F(a, b, worker.module);
    F(a, b, worker.nkv);
    F(a, b, worker.kv);
    F(a, b, worker.nvars);
    F(a, b, worker.var_names);
    F(a, b, worker.var_values);
}

static void repack(dist *d)
{
    dist z;
    memset(&z, 0, sizeof z);
    z.kind = d->kind;
    z.a = d->a;
    z.b = d->b;
    z.sigma = d->sigma;
    memcpy(d, &z, sizeof z);
}

/* x with what is not written or not comparable as bytes cleared: the
 * file's path, the pointers (their targets are compared in same()), the
 * expectations, the distributions' padding. */
static void normalise(scenario *x)
{
    memset(x->path, 0, sizeof x->path);
    x->msgs = NULL;
    x->script = NULL;
    x->pins = NULL;
    x->expect = NULL;
    x->nexpect = 0;
    x->kv.cache_key_name = NULL;
    x->kv.loc_names = NULL;
    x->kv.render = NULL;
    x->kv.render_ud = NULL;
    repack(&x->kv.get_hit);
    repack(&x->kv.get_miss);
    repack(&x->kv.put);
    for (int i = 0; i < SC_MAX_HUMANS; i++)
        repack(&x->humans[i].bytes);
    for (int i = 0; i < SC_MAX_BOTS; i++) {
        repack(&x->bots[i].generation);
        repack(&x->bots[i].reply_bytes);
    }
}

/* The top-level member holding byte off of a scenario. */
static const char *member_at(size_t off)
{
#define M(f) { #f, offsetof(scenario, f) }
    static const struct { const char *name; size_t off; } ms[] = {
        M(path), M(name), M(seed), M(duration), M(epoch_ms), M(noptions), M(options), M(nlocs), M(locs),
        M(kv), M(limits), M(nhumans), M(humans), M(nbots), M(bots), M(nreaders), M(readers),
        M(plain_count), M(plain_bytes), M(nmsgs), M(msgs), M(strategy), M(endpoints), M(deployed),
        M(ncalls), M(script), M(pins), M(npins), M(nexpect), M(expect), M(nfaults), M(faults), M(worker),
    };
#undef M
    const char *name = "?";
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++)
        if (ms[i].off <= off)
            name = ms[i].name;
    return name;
}

/* Every byte of the struct: a field that same() does not list yet. */
static void same_bytes(const char *what, const scenario *a, const scenario *b)
{
    scenario *x = malloc(sizeof *x), *y = malloc(sizeof *y);
    assert_non_null(x);
    assert_non_null(y);
    memcpy(x, a, sizeof *x);
    memcpy(y, b, sizeof *y);
    normalise(x);
    normalise(y);
    size_t off = first_diff(x, y, sizeof *x);
    free(x);
    free(y);
    if (off != sizeof *x)
        fail_msg("%s: byte %zu of the scenario (in '%s') differs after write and parse: a field the writer "
                 "or this test's same() does not know", what, off, member_at(off));
}

static void roundtrip(const char *what, scenario *a)
{
    sim_err err = { 0, "" };
    scenario *b = NULL;
    cJSON *j = sc_to_json(a, NULL);
    assert_non_null(j);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    assert_non_null(text);
    if (sc_parse("written.json", text, strlen(text), H_LIMITS, &b, &err) != 0)
        fail_msg("%s: the written scenario does not parse: %s\n%s", what, err.msg, text);
    free(text);
    same(what, a, b);
    same_bytes(what, a, b);
    sc_free(b);
    sc_free(a);
}

static int by_name(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The .json files of dir (and of its folders when deep), sorted, appended
 * to paths[*n]. */
static void list_json(const char *dir, int deep, char **paths, size_t *n, size_t cap)
{
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("cannot open %s", dir);
    size_t first = *n;
    char *subs[64];
    size_t nsubs = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        size_t len = strlen(e->d_name);
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0) {
            assert_true(*n < cap);
            paths[(*n)++] = strdup(path);
        } else if (deep && !strchr(e->d_name, '.') && nsubs < 64) {
            DIR *sd = opendir(path);
            if (sd) {
                closedir(sd);
                subs[nsubs++] = strdup(path);
            }
        }
    }
    closedir(d);
    qsort(paths + first, *n - first, sizeof *paths, by_name);
    qsort(subs, nsubs, sizeof *subs, by_name);
    for (size_t i = 0; i < nsubs; i++) {
        list_json(subs[i], deep, paths, n, cap);
        free(subs[i]);
    }
}

static void test_every_scenario(void **state)
{
    (void)state;
    char *paths[512];
    size_t n = 0, nscen = 0;
    list_json("scenarios", 1, paths, &n, 512);
    nscen = n;
    list_json("tests/data", 0, paths, &n, 512);
    list_json("tests/worker", 0, paths, &n, 512);
    size_t tested = 0, from_tests = 0;
    int fields = 0;
    for (size_t k = 0; k < n; k++) {
        sim_err err = { 0, "" };
        scenario *s = NULL;
        /* every file of scenarios/ is a scenario; tests/ also keeps other
         * JSON (pricing, dumps), skipped when it is not one */
        if (sc_load(paths[k], H_LIMITS, &s, &err) != 0) {
            if (k < nscen)
                fail_msg("sc_load(%s): %s", paths[k], err.msg);
            free(paths[k]);
            continue;
        }
        fields += strstr(paths[k], "roundtrip-fields") != NULL;
        from_tests += k >= nscen;
        roundtrip(paths[k], s);
        tested++;
        free(paths[k]);
    }
    /* the walk found them: 24 in scenarios/ today, the test files, and the
     * two every-field files */
    assert_true(nscen >= 24);
    assert_true(from_tests >= 4);
    assert_int_equal(fields, 2);
    assert_true(tested >= nscen + 4);
}

/* Every strategy field away from its default; every parameter declared in
 * the registry too, each given a value other than its default, generated
 * from its descriptor (kind, range, choices). */
static void test_strategy_fields(void **state)
{
    (void)state;
    char text[8192];
    int n = snprintf(text, sizeof text,
                     "{'locations':['ewr','fra','sin'],'strategy':{'retry_max_attempts':7,'retry_first_backoff':'250ms',"
                     "'option2_placement':'inline','cron_every':'5min','cron_location':'fra'");
    int nparams = 0;
    for (const st_hooks *const *r = st_registry(); *r; r++)
        for (int k = 0; k < (*r)->nparams; k++) {
            const st_param *p = &(*r)->params[k];
            char val[96];
            if (p->kind == ST_PARAM_ENUM) {
                int c = p->def == 0 ? 1 : 0;
                assert_non_null(p->choices[c]); /* an enum has two choices at least */
                snprintf(val, sizeof val, "'%s'", p->choices[c]);
            } else if (p->kind == ST_PARAM_LOCATION) {
                snprintf(val, sizeof val, "'%s'", p->def == 2 ? "fra" : "sin");
            } else {
                /* a value in [lo, hi] other than def: lo + 1 us or ms, or hi */
                int64_t v = p->kind == ST_PARAM_DURATION ? p->lo + SIM_US_PER_MS : p->lo + 1;
                if (v == p->def || v > p->hi)
                    v = p->hi != p->def ? p->hi : p->lo;
                assert_true(v != p->def && v >= p->lo && v <= p->hi);
                if (p->kind == ST_PARAM_DURATION)
                    snprintf(val, sizeof val, "'%lldus'", (long long)v);
                else
                    snprintf(val, sizeof val, "%lld", (long long)v);
            }
            n += snprintf(text + n, sizeof text - (size_t)n, ",'%s':%s", p->name, val);
            assert_true((size_t)n < sizeof text);
            nparams++;
        }
    snprintf(text + n, sizeof text - (size_t)n, "}}");
    assert_true(nparams >= 7); /* Option 4's, today: the walk saw the registry */
    scenario *s = h_parse_sq(text);
    /* each declared parameter really is away from its default */
    for (const st_hooks *const *r = st_registry(); *r; r++)
        for (int k = 0; k < (*r)->nparams; k++)
            if (s->strategy.ext[st_param_slot(*r, k)] == (*r)->params[k].def)
                fail_msg("%s: still its default", (*r)->params[k].name);
    roundtrip("strategy fields", s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_scenario),
        cmocka_unit_test(test_strategy_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
