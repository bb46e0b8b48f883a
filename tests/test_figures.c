/* test_figures.c - the metric catalogue (model/figures.c).
 *
 * 1. The pattern matcher: a placeholder is one dot-free part.
 * 2. Every counter and sample set that runs register is in the catalogue,
 *    counters with the catalogue's kind (counter, daily, gauge or max):
 *    the incident under every option, the busy room, the deployed Worker,
 *    the fault scenarios.
 * 3. docs/metrics.md lists every catalogue entry, and every name it lists
 *    is in the catalogue.
 * 4. An expectation naming an unknown metric fails at load, exit 2, with
 *    its location.
 * 5. reports/'s column table: every entry resolves in the catalogue with a
 *    fitting kind (a misspelt name, a counter where a sample set is read,
 *    a figure out of range are caught), summary.csv's header in
 *    docs/metrics.md is the table's, and results.json's "figures" are
 *    fig_derive's numbers of the run still holding its samples (compare's),
 *    though results.json is written after met_samples_summarize. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"
#include "model/figures.h"
#include "app/session.h"
#include "reports/report.h"

#include <cJSON.h>

static void test_match(void **state)
{
    (void)state;
    assert_true(fig_match("calls.<ep>", "calls.post"));
    assert_false(fig_match("calls.<ep>", "calls."));
    assert_false(fig_match("calls.<ep>", "calls.a.b"));
    assert_true(fig_match("http.<ep>.<code>", "http.claim.409"));
    assert_false(fig_match("http.<ep>.<code>", "http.claim"));
    assert_true(fig_match("kv.reads", "kv.reads"));
    assert_false(fig_match("kv.reads", "kv.reads.x"));
    assert_true(fig_match("kv.gets.local.<class>.<location>", "kv.gets.local.cache.(cron)"));
    assert_non_null(fig_find("cost.paid.month.total_pusd"));
    assert_null(fig_find("cost.paid.month"));
    assert_null(fig_find("liveness.never_answerd"));
}

/* Fails naming every registered counter or sample set not in the table. */
static void all_known(const char *path, const char *option)
{
    h_run r;
    h_run_file(&r, path, option);
    int bad = 0;
    /* the registry's kind of each counter, as the catalogue names it */
    static const int fig_of_kind[] = { [MET_KIND_COUNTER] = FIG_COUNTER, [MET_KIND_DAILY] = FIG_DAILY,
                                       [MET_KIND_GAUGE] = FIG_GAUGE, [MET_KIND_MAX] = FIG_MAX };
    for (size_t i = 0; i < met_counter_count(r.m); i++) {
        const fig *f = fig_find(met_counter_name(r.m, (met_id)i));
        if (!f) {
            print_error("%s under %s: counter '%s' is not in the catalogue\n", path, option,
                        met_counter_name(r.m, (met_id)i));
            bad++;
        } else if (fig_of_kind[met_counter_kind(r.m, (met_id)i)] != f->kind) {
            print_error("%s under %s: counter '%s' is registered as kind %d, the catalogue says %d\n", path,
                        option, met_counter_name(r.m, (met_id)i), fig_of_kind[met_counter_kind(r.m, (met_id)i)],
                        f->kind);
            bad++;
        }
    }
    for (size_t i = 0; i < met_samples_count(r.m); i++)
        if (!fig_find(met_samples_name(r.m, (met_id)i))) {
            print_error("%s under %s: samples '%s' are not in the catalogue\n", path, option,
                        met_samples_name(r.m, (met_id)i));
            bad++;
        }
    h_free(&r);
    assert_int_equal(bad, 0);
}

static void test_runs_register_only_catalogued(void **state)
{
    (void)state;
    static const char *const opts[] = { "0", "1", "2", "3", "verify-all", "1fixed", "1+2", "4", "4:do_storage=scan" };
    for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++)
        all_known("scenarios/incident-164.json", opts[k]);
    static const char *const files[] = { "scenarios/faults/kv-failures.json", "scenarios/faults/heartbeat-429.json",
                                         "scenarios/faults/complete-cache-fault.json",
                                         "scenarios/faults/invocation-limit.json", "scenarios/faults/parse-error.json" };
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++)
        all_known(files[k], "0");
}

/* The backticked names of docs/metrics.md's counter tables (between "## The
 * counters" and "## Quantiles"), with every <...> written as <>. */
static size_t doc_names(char names[][96], size_t max)
{
    FILE *f = fopen("docs/metrics.md", "r");
    char line[2048];
    size_t n = 0;
    int in = 0, table = 0;
    assert_non_null(f);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "## The counters", 15) == 0)
            in = 1;
        else if (strncmp(line, "## ", 3) == 0)
            in = 0;
        /* only tables of metrics: "| name |" or "| sample |" headers */
        if (strncmp(line, "| name |", 8) == 0 || strncmp(line, "| sample |", 10) == 0)
            table = 1;
        else if (line[0] != '|')
            table = 0;
        if (!in || !table || strncmp(line, "| `", 3) != 0)
            continue;
        char *end = strstr(line + 1, " |"); /* the first cell */
        if (end)
            *end = '\0';
        for (char *p = strchr(line, '`'); p; p = strchr(p, '`')) {
            char *q = strchr(p + 1, '`');
            if (!q)
                break;
            if (n < max && strncmp(p + 1, "...", 3) != 0) {
                size_t k = 0;
                for (char *c = p + 1; c < q && k + 3 < sizeof names[0]; c++) {
                    if (*c == '<') {
                        names[n][k++] = '<';
                        names[n][k++] = '>';
                        while (c < q && *c != '>')
                            c++;
                    } else {
                        names[n][k++] = *c;
                    }
                }
                names[n++][k] = '\0';
            }
            p = q + 1;
        }
    }
    fclose(f);
    return n;
}

static void canon(const char *in, char *out, size_t len)
{
    size_t k = 0;
    for (const char *c = in; *c && k + 3 < len; c++) {
        if (*c == '<') {
            out[k++] = '<';
            out[k++] = '>';
            while (*c && *c != '>')
                c++;
            if (!*c)
                break;
        } else {
            out[k++] = *c;
        }
    }
    out[k] = '\0';
}

static void test_docs_match_catalogue(void **state)
{
    (void)state;
    static char names[256][96];
    size_t nd = doc_names(names, 256), nf = 0;
    const fig *t = fig_catalogue(&nf);
    int bad = 0;
    assert_true(nd > 50);
    for (size_t i = 0; i < nf; i++) {
        char c[96];
        size_t j = 0;
        canon(t[i].name, c, sizeof c);
        while (j < nd && strcmp(names[j], c) != 0)
            j++;
        if (j == nd) {
            print_error("catalogue entry '%s' is not in docs/metrics.md\n", t[i].name);
            bad++;
        }
    }
    for (size_t j = 0; j < nd; j++) {
        size_t i = 0;
        char c[96];
        for (; i < nf; i++) {
            canon(t[i].name, c, sizeof c);
            if (strcmp(names[j], c) == 0)
                break;
        }
        if (i == nf) {
            print_error("docs/metrics.md lists '%s', which is not in the catalogue\n", names[j]);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

/* docs/metrics.md "Experiment figures": the table's names, in order, are
 * the catalogue's figures, and their units match. */
static void test_docs_list_the_figures(void **state)
{
    (void)state;
    FILE *f = fopen("docs/metrics.md", "r");
    char line[2048];
    int in = 0, k = 0;
    assert_non_null(f);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "## ", 3) == 0)
            in = strncmp(line, "## Experiment figures", 21) == 0;
        if (!in || strncmp(line, "| `", 3) != 0)
            continue;
        char name[64], unit[32];
        assert_int_equal(sscanf(line, "| `%63[^`]` | %31[^ |]", name, unit), 2);
        const fig_metric *m = fig_metric_at(k);
        if (!m)
            fail_msg("docs/metrics.md lists figure '%s' beyond the catalogue's %d", name, M_COUNT);
        if (strcmp(m->name, name) != 0 || strcmp(m->unit, unit) != 0)
            fail_msg("docs/metrics.md figure %d is '%s' (%s), the catalogue's '%s' (%s)", k, name, unit, m->name,
                     m->unit);
        assert_int_equal(fig_metric_find(name), k);
        k++;
    }
    fclose(f);
    assert_int_equal(k, M_COUNT);
    assert_int_equal(fig_metric_find("heal-p99"), -1);
    assert_int_equal(fig_metric_find("heal_p99"), -1);
    /* the list printed in errors names every figure */
    for (int i = 0; i < M_COUNT; i++)
        assert_non_null(strstr(fig_metric_list(), fig_metric_at(i)->name));
}

/* fig_derive on a real run, against the counters read here: the incident
 * under option 1 (28,800 polls a day, one per 3 s, the first reading 5 keys). */
static void test_derive_from_counters(void **state)
{
    (void)state;
    h_run r;
    h_run_file(&r, "scenarios/incident-164.json", "1");
    double v[M_COUNT];
    met_samples_summarize(r.m);
    fig_derive(r.m, "paid", r.s->duration, v);
    double days = (double)r.s->duration / 86400e6;
    assert_true(v[M_READS] == (double)h_counter(&r, "kv.reads") / days);
    assert_true(v[M_KVR_POLL] == (double)h_counter(&r, "kv.reads.pending") / (double)h_counter(&r, "calls.pending"));
    assert_true(v[M_KVR_POLL] > 1.0 && v[M_KVR_POLL] < 1.001); /* 28,804 reads over 28,800 polls */
    assert_true(v[M_EPISODES] == 4 && v[M_HEALED] == 4);
    assert_true(v[M_HEAL99] > 0 && v[M_HEAL99] < 1.0); /* healed at the first poll */
    assert_true(v[M_STUCK] == 0);
    assert_true(isnan(v[M_REPLY50])); /* no traffic: no reply */
    h_free(&r);
    /* option 3: the cron's reads are not the polls'. The bot's first 39
     * polls (0-114 s, before its copy of the healed cache) read 5 keys, the
     * other 28,761 read 1 (tests/test_advise.sh has the derivation) */
    h_run_file(&r, "scenarios/incident-164.json", "3");
    met_samples_summarize(r.m);
    fig_derive(r.m, "paid", r.s->duration, v);
    assert_true(v[M_KVR_POLL] == (39.0 * 5 + 28761.0) / 28800.0);
    assert_true(v[M_READS] == 30399.0);
    h_free(&r);
}

/* The names the code reads back by literal (rep_counter(m, "x"),
 * counter(m, "x") in reports/, app/, model/figures.c and cli/): each is in
 * the catalogue, so none reads a silent 0 from a misspelled name. */
static void test_code_reads_only_catalogued(void **state)
{
    (void)state;
    static const char *const files[] = { "reports/report.c", "model/figures.c", "app/search.c", "app/experiment.c",
                                         "cli/run.c", "cli/compare.c", "cli/sweep.c", "cli/advise.c", NULL };
    int seen = 0, bad = 0;
    for (const char *const *fn = files; *fn; fn++) {
        FILE *f = fopen(*fn, "r");
        char line[4096];
        assert_non_null(f);
        while (fgets(line, sizeof line, f)) {
            for (char *p = strstr(line, "counter(m, \""); p; p = strstr(p + 1, "counter(m, \"")) {
                char name[128];
                if (sscanf(p, "counter(m, \"%127[^\"]\")", name) != 1)
                    continue;
                seen++;
                if (!fig_find(name)) {
                    print_error("%s reads counter '%s', which is not in the catalogue\n", *fn, name);
                    bad++;
                }
            }
        }
        fclose(f);
    }
    assert_true(seen >= 20); /* the scan found the reads */
    assert_int_equal(bad, 0);
}

static void test_unknown_metric_at_load(void **state)
{
    (void)state;
    sim_err err = { 0, "" };
    scenario *s = NULL;
    const char *text = "{\"expect\":[{\"metric\":\"kv.reads\",\"ge\":0},{\"metric\":\"liveness.never_answerd\",\"eq\":0}]}";
    assert_int_not_equal(sc_parse("x.json", text, strlen(text), H_LIMITS, &s, &err), 0);
    assert_int_equal(err.code, 2);
    if (!strstr(err.msg, "expect[1].metric") || !strstr(err.msg, "unknown metric 'liveness.never_answerd'"))
        fail_msg("message: %s", err.msg);
    const char *good = "{\"expect\":[{\"metric\":\"http.claim.409\",\"eq\":0},{\"metric\":\"cost.paid.day.total_pusd\",\"ge\":0}]}";
    if (sc_parse("x.json", good, strlen(good), H_LIMITS, &s, &err) != 0)
        fail_msg("sc_parse: %s", err.msg);
    sc_free(s);
}

/* name with "<plan>" replaced by plan (reports/report.c's rule). */
static const char *resolve(const char *name, const char *plan, char *buf, size_t len)
{
    const char *at = plan ? strstr(name, "<plan>") : NULL;
    if (!at)
        return name;
    snprintf(buf, len, "%.*s%s%s", (int)(at - name), name, plan, at + 6);
    return buf;
}

/* 0 when every entry of cols[0..n) resolves in the catalogue with a kind
 * that fits its format (a sample set for RCF_SAMPLES*, else not) and every
 * figure column names an experiment figure; else -1 with the first bad
 * entry described in why. (Here, not in reports/: reports/ includes no
 * model/ header, the catalogue is checked against it by this test.) */
static int rep_columns_check(const rep_col *c, size_t n, char *why, size_t len)
{
    static const char *const plans[] = { "paid", "free" };
    for (size_t i = 0; i < n; i++) {
        int samples = c[i].fmt == RCF_SAMPLES || c[i].fmt == RCF_SAMPLES_MAX;
        if (c[i].figure && fig_metric_find(c[i].figure) < 0) {
            snprintf(why, len, "column %zu (%s): '%s' is not an experiment figure", i,
                     c[i].csv ? c[i].csv : "-", c[i].figure);
            return -1;
        }
        if ((c[i].fmt == RCF_FIG_INT) != (c[i].figure != NULL) || (c[i].figure && c[i].name)) {
            snprintf(why, len, "column %zu (%s): a figure column takes a figure and no name", i,
                     c[i].csv ? c[i].csv : "-");
            return -1;
        }
        int needs = c[i].fmt != RCF_OPTION && c[i].fmt != RCF_POLLS && c[i].fmt != RCF_KVR_MEAN &&
                    c[i].fmt != RCF_WORSE && c[i].fmt != RCF_FIG_INT;
        if (needs != (c[i].name != NULL)) {
            snprintf(why, len, "column %zu (%s): %s", i, c[i].csv ? c[i].csv : "-",
                     needs ? "its format reads a metric but it names none" : "names a metric its format ignores");
            return -1;
        }
        for (size_t k = 0; c[i].name && k < sizeof plans / sizeof plans[0]; k++) {
            char buf[96];
            const char *name = resolve(c[i].name, plans[k], buf, sizeof buf);
            const fig *e = fig_find(name);
            if (!e) {
                snprintf(why, len, "column %zu (%s): '%s' is not in the metric catalogue", i,
                         c[i].csv ? c[i].csv : "-", name);
                return -1;
            }
            if ((e->kind == FIG_SAMPLES) != samples) {
                snprintf(why, len, "column %zu (%s): '%s' is %s a sample set", i, c[i].csv ? c[i].csv : "-", name,
                         samples ? "not" : "");
                return -1;
            }
        }
    }
    return 0;
}

static void test_report_columns_resolve(void **state)
{
    (void)state;
    size_t n = 0;
    const rep_col *t = rep_columns(&n);
    char why[256] = "";
    assert_int_equal(n, RC_COUNT);
    if (rep_columns_check(t, n, why, sizeof why) != 0)
        fail_msg("%s", why);
    rep_col c[RC_COUNT];
    /* a misspelt counter */
    memcpy(c, t, sizeof c);
    c[RC_LOST].name = "cache.lost_by_overwrit";
    assert_int_equal(rep_columns_check(c, n, why, sizeof why), -1);
    assert_non_null(strstr(why, "'cache.lost_by_overwrit' is not in the metric catalogue"));
    /* a plan placeholder that resolves to nothing */
    memcpy(c, t, sizeof c);
    c[RC_USD_DAY].name = "cost.<plan>.day.totl_pusd";
    assert_int_equal(rep_columns_check(c, n, why, sizeof why), -1);
    assert_non_null(strstr(why, "cost.paid.day.totl_pusd"));
    /* a counter read as a sample set, a sample set read as a counter */
    memcpy(c, t, sizeof c);
    c[RC_HEAL_MAX].name = "heal.km.p99_us";
    assert_int_equal(rep_columns_check(c, n, why, sizeof why), -1);
    memcpy(c, t, sizeof c);
    c[RC_STUCK].name = "heal_latency_us";
    assert_int_equal(rep_columns_check(c, n, why, sizeof why), -1);
    /* a figure out of range; a metric column naming nothing */
    memcpy(c, t, sizeof c);
    c[RC_CENSORED].figure = "censord";
    assert_int_equal(rep_columns_check(c, n, why, sizeof why), -1);
    memcpy(c, t, sizeof c);
    c[RC_READS].name = NULL;
    assert_int_equal(rep_columns_check(c, n, why, sizeof why), -1);
}

/* docs/metrics.md's summary.csv example header is the table's columns. */
static void test_summary_header_documented(void **state)
{
    (void)state;
    size_t n = 0;
    const rep_col *t = rep_columns(&n);
    char want[1024] = "", line[2048];
    for (size_t i = 0; i < n; i++)
        if (t[i].csv) {
            strcat(want, want[0] ? "," : "");
            strcat(want, t[i].csv);
        }
    strcat(want, "\n");
    FILE *f = fopen("docs/metrics.md", "r");
    assert_non_null(f);
    int found = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "option,polls,", 13) == 0) {
            assert_string_equal(line, want);
            found = 1;
        }
    fclose(f);
    assert_true(found);
}

static void test_results_json_figures(void **state)
{
    (void)state;
    sim_err err = { 0, "" };
    scenario *s = NULL;
    if (sc_load("scenarios/busy.json", H_LIMITS, &s, &err) != 0)
        fail_msg("sc_load: %s", err.msg);
    s->duration = 1800 * (sim_us)1000000; /* half an hour: replies and episodes */
    h_run r;
    h_run_scenario(&r, s, "0");
    double before[M_COUNT], after[M_COUNT];
    fig_derive(r.m, "paid", r.s->duration, before);
    assert_false(isnan(before[M_REPLY50])); /* the busy room is answered */
    assert_true(before[M_EPISODES] > 0);
    met_samples_summarize(r.m);
    fig_derive(r.m, "paid", r.s->duration, after);
    for (int k = 0; k < M_COUNT; k++)
        if (!(isnan(before[k]) && isnan(after[k])) && before[k] != after[k])
            fail_msg("%s: %g before met_samples_summarize, %g after", fig_metric_at(k)->name, before[k], after[k]);
    rep_meta meta = { .version = "t", .scenario = "busy", .file = "busy.json", .pricing = "p.json", .plan = "paid",
                      .seed = 1, .duration_us = r.s->duration };
    rep_run run = { .option = "0", .m = r.m, .polls = NULL };
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(rep_results_json(f, &meta, &run, 1), 0);
    fclose(f);
    cJSON *root = cJSON_Parse(buf);
    assert_non_null(root);
    cJSON *figs = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cJSON_GetObjectItem(root, "runs"), 0), "figures");
    cJSON *units = cJSON_GetObjectItemCaseSensitive(root, "figure_units");
    assert_non_null(figs);
    assert_non_null(units);
    assert_int_equal(cJSON_GetArraySize(figs), M_COUNT);
    for (int k = 0; k < M_COUNT; k++) {
        const fig_metric *fm = fig_metric_at(k);
        cJSON *v = cJSON_GetObjectItemCaseSensitive(figs, fm->name);
        assert_non_null(v);
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(units, fm->name)->valuestring, fm->unit);
        if (isnan(before[k]))
            assert_true(cJSON_IsNull(v));
        else if (isinf(before[k]))
            assert_string_equal(v->valuestring, "never");
        else if (!cJSON_IsNumber(v) || fabs(v->valuedouble - before[k]) > 5e-7 * (1 + fabs(before[k])))
            fail_msg("%s: results.json has %s, fig_derive %.9g", fm->name, cJSON_Print(v), before[k]);
    }
    cJSON_Delete(root);
    free(buf);
    h_free(&r);
}

int main(void)
{
    rep_use_figures(ses_figures()); /* the experiment figures reports/ name */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_runs_register_only_catalogued),
        cmocka_unit_test(test_docs_match_catalogue),
        cmocka_unit_test(test_unknown_metric_at_load),
        cmocka_unit_test(test_docs_list_the_figures),
        cmocka_unit_test(test_code_reads_only_catalogued),
        cmocka_unit_test(test_derive_from_counters),
        cmocka_unit_test(test_report_columns_resolve),
        cmocka_unit_test(test_summary_header_documented),
        cmocka_unit_test(test_results_json_figures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
