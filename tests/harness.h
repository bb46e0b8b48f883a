/* harness.h - running a scenario in-process for model-level tests: parse a
 * scenario from a string (or load a file), run it under one option with the
 * poll series kept, and read counters, poll rows and end states back.
 *
 * Include after <cmocka.h>. Every function is static inline so a test file
 * that uses only some of them still builds with -Werror. Tests run from the
 * repository root, so the limits data file is found by its relative path. */
#ifndef QSIM_TESTS_HARNESS_H
#define QSIM_TESTS_HARNESS_H

#include <stdio.h>
#include <string.h>

#include "model/expect.h"
#include "model/msg.h"
#include "model/scenario.h"
#include "model/world.h"
#include "sim/metrics.h"

#define H_LIMITS "data/limits/cloudflare-kv-2026.json"

/* Poll series columns (model/world.c): t_us,kvr,kvw,returned,status,bot. */
enum { H_T = 0, H_KVR, H_KVW, H_RET, H_STATUS, H_BOT };

typedef struct h_run {
    scenario *s;
    world *w;
    met_registry *m;
} h_run;

/* Builds and runs the world for s (taking ownership: h_free frees it)
 * under option with the poll series kept; opts may add a trace. */
static inline void h_run_scenario_opts(h_run *r, scenario *s, const char *option, const world_opts *opts)
{
    sim_err err = { 0, "" };
    world_opts o = { 0 };
    if (opts)
        o = *opts;
    o.keep_series = 1;
    r->s = s;
    r->w = world_new(s, option, s->seed, &o, &err);
    if (!r->w)
        fail_msg("world_new(%s): %s", option, err.msg);
    if (world_run(r->w, 0, &err) != 0)
        fail_msg("world_run(%s): %s", option, err.msg);
    r->m = sim_metrics(world_ctx(r->w));
}

static inline void h_run_scenario(h_run *r, scenario *s, const char *option)
{
    h_run_scenario_opts(r, s, option, NULL);
}

/* Parses text; fails the test on a parse error. */
static inline scenario *h_parse(const char *text)
{
    sim_err err = { 0, "" };
    scenario *s = NULL;
    if (sc_parse("inline.json", text, strlen(text), H_LIMITS, &s, &err) != 0)
        fail_msg("sc_parse: %s\n--- scenario ---\n%s", err.msg, text);
    return s;
}

/* Scenario text written with single quotes (readable inside C strings):
 * every ' becomes ". Scenario ids and names here never contain quotes. */
static inline scenario *h_parse_sq(const char *sq_text)
{
    size_t n = strlen(sq_text);
    char *text = test_malloc(n + 1);
    for (size_t i = 0; i <= n; i++)
        text[i] = sq_text[i] == '\'' ? '"' : sq_text[i];
    scenario *s = h_parse(text);
    test_free(text);
    return s;
}

static inline void h_run_text(h_run *r, const char *text, const char *option)
{
    h_run_scenario(r, h_parse(text), option);
}

static inline void h_run_sq(h_run *r, const char *sq_text, const char *option)
{
    h_run_scenario(r, h_parse_sq(sq_text), option);
}

static inline void h_run_file(h_run *r, const char *path, const char *option)
{
    sim_err err = { 0, "" };
    scenario *s = NULL;
    if (sc_load(path, H_LIMITS, &s, &err) != 0)
        fail_msg("sc_load: %s", err.msg);
    h_run_scenario(r, s, option);
}

static inline void h_free(h_run *r)
{
    world_free(r->w);
    sc_free(r->s);
    memset(r, 0, sizeof *r);
}

/* A counter's value; fails the test when no counter has that name. */
static inline int64_t h_counter(const h_run *r, const char *name)
{
    met_id id = met_find_counter(r->m, name);
    if (id < 0)
        fail_msg("no counter named '%s'", name);
    return met_counter_value(r->m, id);
}

static inline size_t h_npolls(const h_run *r)
{
    met_id id = met_find_series(r->m, "polls");
    assert_true(id >= 0);
    return met_series_rows(r->m, id);
}

/* Row k (0-based) of the poll series. */
static inline const int64_t *h_poll(const h_run *r, size_t k)
{
    met_id id = met_find_series(r->m, "polls");
    assert_true(id >= 0);
    assert_int_equal(met_series_ncols(r->m, id), 6);
    if (k >= met_series_rows(r->m, id))
        fail_msg("poll %zu asked for, only %zu made", k + 1, met_series_rows(r->m, id));
    const int64_t *rows = met_series_data(r->m, id);
    assert_non_null(rows);
    return rows + k * 6;
}

/* Asserts the end state of a message (-1: absent). */
static inline void h_msg(const h_run *r, const char *id, int cache_status, int stored_status)
{
    int cs = -2, ss = -2;
    if (world_msg_state(r->w, id, &cs, &ss) != 0)
        fail_msg("unknown message '%s'", id);
    if (cs != cache_status || ss != stored_status)
        fail_msg("message %s: cache %d stored %d, expected cache %d stored %d", id, cs, ss, cache_status,
                 stored_status);
}

/* Asserts an endpoint's billable reads and writes (kv.reads.<ep>, ...). */
static inline void h_costs(const h_run *r, const char *ep, int64_t reads, int64_t writes)
{
    char name[64];
    snprintf(name, sizeof name, "kv.reads.%s", ep);
    int64_t got_r = h_counter(r, name);
    snprintf(name, sizeof name, "kv.writes.%s", ep);
    int64_t got_w = h_counter(r, name);
    if (got_r != reads || got_w != writes)
        fail_msg("%s: %lld reads %lld writes, expected %lld reads %lld writes", ep, (long long)got_r,
                 (long long)got_w, (long long)reads, (long long)writes);
}

/* Runs the scenario's own "expect" list for option; fails on any miss. */
static inline void h_expectations(const h_run *r, const char *option)
{
    int passed = 0, failed = 0;
    ex_check(r->s, option, r->w, stderr, 0, &passed, &failed);
    assert_int_equal(failed, 0);
}

#endif
