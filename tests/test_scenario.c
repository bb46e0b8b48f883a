/* test_scenario.c - sc_: the scenario parser and its located errors.
 *
 * Bad input is code 2 with a message that says where: "file:line:col" for
 * malformed JSON, the JSON path ("bots[0].pol_every") for everything else.
 * Durations are exact integers of microseconds or rejected. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

/* Parses text that must be rejected; the message must contain each of the
 * NULL-terminated needles. */
static void rejects(const char *text, ...)
{
    sim_err err = { 0, "" };
    scenario *s = NULL;
    int rc = sc_parse("bad.json", text, strlen(text), H_LIMITS, &s, &err);
    if (rc != -1 || err.code != 2 || s != NULL) {
        sc_free(s);
        fail_msg("accepted (rc %d, code %d): %s", rc, err.code, text);
    }
    va_list ap;
    va_start(ap, text);
    for (const char *needle = va_arg(ap, const char *); needle; needle = va_arg(ap, const char *))
        if (!strstr(err.msg, needle)) {
            va_end(ap);
            fail_msg("message lacks '%s': %s\n(input: %s)", needle, err.msg, text);
        }
    va_end(ap);
}

static scenario *accepts(const char *text)
{
    sim_err err = { 0, "" };
    scenario *s = NULL;
    if (sc_parse("good.json", text, strlen(text), H_LIMITS, &s, &err) != 0)
        fail_msg("rejected: %s\n(input: %s)", err.msg, text);
    assert_int_equal(err.code, 0);
    assert_non_null(s);
    return s;
}

/* ---- malformed JSON: file:line:col ---- */

static void test_malformed_line_col(void **state)
{
    (void)state;
    /* the value is missing: the comma on line 3, column 11, is unexpected */
    rejects("{\n  \"name\": \"x\",\n  \"seed\": ,\n  \"duration\": \"1d\"\n}\n", "bad.json:3:11: malformed JSON",
            NULL);
    /* a missing comma: the second key starts at column 14 */
    rejects("{\"name\": \"x\" \"seed\": 1}", "bad.json:1:14: malformed JSON", NULL);
    /* truncated: the error is at the end, line 4 column 1 */
    rejects("{\n  \"name\": \"x\",\n  \"seed\": 1\n", "bad.json:4:1: malformed JSON", NULL);
    /* trailing garbage: a second object on line 2 */
    rejects("{\"seed\": 1}\n{\"seed\": 2}", "bad.json:2:1: malformed JSON", NULL);
    /* tabs count as one column */
    rejects("{\n\t\"seed\": 1,\n\t\"name\" \"x\"\n}", "bad.json:3:9: malformed JSON", NULL);
}

static void test_empty_and_bad_bytes(void **state)
{
    (void)state;
    rejects("", "bad.json:1:1: empty file", NULL);
    rejects("  \n\t\n", "empty file", NULL);
    rejects("{\n \"name\": \"\xff\"}", "bad.json:2:11: invalid UTF-8", NULL);
    /* a NUL byte inside the text given with its length */
    sim_err err = { 0, "" };
    scenario *s = NULL;
    static const char nul[] = "{\"name\":\n \"a\0b\"}";
    assert_int_equal(sc_parse("bad.json", nul, sizeof nul - 1, H_LIMITS, &s, &err), -1);
    assert_int_equal(err.code, 2);
    assert_non_null(strstr(err.msg, "bad.json:2:4: NUL byte"));
    /* not an object at the top */
    rejects("[1, 2]", "(top level)", "expected an object, got an array", NULL);
}

/* ---- semantic errors name the JSON path ---- */

static void test_unknown_keys(void **state)
{
    (void)state;
    rejects("{\"bots\": [{\"pol_every\": \"3s\"}]}", "bad.json: bots[0].pol_every: unknown key",
            "poll_every", NULL);
    rejects("{\"bots\": [{}, {\"name\": \"b\", \"genaration\": \"4s\"}]}", "bots[1].genaration: unknown key", NULL);
    rejects("{\"nmae\": \"x\"}", "nmae: unknown key", NULL);
    rejects("{\"kv\": {\"latency\": {\"get_hit\": \"1ms\", \"put_miss\": \"1ms\"}}}",
            "kv.latency.put_miss: unknown key", NULL);
    rejects("{\"kv\": {\"cacheTtl\": \"60s\"}}", "kv.cacheTtl: unknown key", "cache_ttl", NULL);
    rejects("{\"initial\": {\"messages\": [{\"id\": \"a\", \"staus\": \"pending\"}]}}",
            "initial.messages[0].staus: unknown key", NULL);
    rejects("{\"seed\": 1, \"seed\": 2}", "seed: key given twice", NULL);
}

static void test_wrong_types(void **state)
{
    (void)state;
    rejects("{\"seed\": \"abc\"}", "seed: expected a number, got a string", NULL);
    rejects("{\"bots\": {\"name\": \"b\"}}", "bots: expected an array of bots, got an object", NULL);
    rejects("{\"kv\": {\"own_writes_visible\": \"yes\"}}",
            "kv.own_writes_visible: expected true, false or a probability from 0 to 1, got a string", NULL);
    rejects("{\"kv\": {\"own_writes_visible\": 1.5}}", "kv.own_writes_visible: must be between 0 and 1", NULL);
    rejects("{\"kv\": {\"background_refresh\": -0.1}}", "kv.background_refresh: must be between 0 and 1", NULL);
    rejects("{\"duration\": 60}", "duration: expected a duration string", "got a number", NULL);
    rejects("{\"name\": 5}", "name: expected a string, got a number", NULL);
    rejects("{\"seed\": 1.5}", "seed: expected a whole number", NULL);
    rejects("{\"kv\": []}", "kv: expected an object, got an array", NULL);
}

static void test_out_of_range(void **state)
{
    (void)state;
    rejects("{\"kv\": {\"p429\": 1.5}}", "kv.p429: must be between 0 and 1, got 1.5", NULL);
    rejects("{\"kv\": {\"get_error_prob\": 1.5}}", "kv.get_error_prob: must be between 0 and 1", NULL);
    rejects("{\"kv\": {\"put_error_prob\": {\"cache\": 0.1, \"individual\": 1.5}}}",
            "kv.put_error_prob.individual: must be between 0 and 1, got 1.5", NULL);
    rejects("{\"humans\": [{\"rate_per_s\": 1, \"entity_share\": 1.5}]}", "humans[0].entity_share: must be between",
            NULL);
    rejects("{\"bots\": [{\"fail_prob\": -0.1}]}", "bots[0].fail_prob: must be between 0 and 1", NULL);
    rejects("{\"cache\": {\"window\": 0}}", "cache.window: must be between", NULL);
    rejects("{\"duration\": \"999ms\"}", "duration: must be at least", NULL);
}

/* cacheTtl has a floor of 30 s (limits data file): 10 s is refused, 30 s
 * is the smallest accepted, and the default is 60 s. */
static void test_cache_ttl_minimum(void **state)
{
    (void)state;
    rejects("{\"kv\": {\"cache_ttl\": \"10s\"}}", "kv.cache_ttl: must be at least 30000000 us, got '10s'", NULL);
    rejects("{\"kv\": {\"cache_ttl\": \"29.999999s\"}}", "kv.cache_ttl: must be at least", NULL);
    scenario *s = accepts("{\"kv\": {\"cache_ttl\": \"30s\"}}");
    assert_int_equal(s->kv.cache_ttl, 30 * SIM_US_PER_S);
    sc_free(s);
    s = accepts("{}");
    assert_int_equal(s->kv.cache_ttl, 60 * SIM_US_PER_S);
    sc_free(s);
}

static void test_references(void **state)
{
    (void)state;
    rejects("{\"options\": [\"7\"]}", "options[0]", "7", NULL);
    rejects("{\"bots\": [{\"location\": \"sfo\"}]}", "bots[0].location: unknown location 'sfo'", NULL);
    rejects("{\"script\": [{\"at\": \"1s\", \"call\": \"claim\", \"msg\": \"nobody\"}]}",
            "script[0].msg: unknown message 'nobody'", NULL);
    rejects("{\"duration\": \"10s\", \"script\": [{\"at\": \"11s\", \"call\": \"pending\"}]}",
            "script[0].at: after the scenario's duration", NULL);
    rejects("{\"script\": [{\"at\": \"1s\", \"call\": \"frobnicate\"}]}", "script[0].call: unknown call 'frobnicate'",
            NULL);
    rejects("{\"initial\": {\"messages\": [{\"id\": \"a\"}, {\"id\": \"a\"}]}}",
            "initial.messages[1]: duplicate message id 'a'", NULL);
    rejects("{\"expect\": [{\"metric\": \"kv.reads\", \"eq\": 1, \"le\": 2}]}", "expect[0]", "exactly one", NULL);
    rejects("{\"expect\": [{\"poll\": \"first\"}]}", "expect[0]", "at least one of kvr, kvw, returned", NULL);
}

/* ---- what a good file turns into ---- */

static void test_values(void **state)
{
    (void)state;
    scenario *s = accepts("{\"name\": \"n\", \"seed\": 9, \"duration\": \"2h\", \"options\": [\"0\", \"1\"],"
                          " \"locations\": [\"ewr\", \"lhr\"],"
                          " \"kv\": {\"p429\": 0.25, \"get_error_prob\": {\"cache\": 0.1, \"individual\": 0.2},"
                          "  \"latency\": {\"put\": \"45ms\"}},"
                          " \"bots\": [{\"location\": \"lhr\", \"poll_every\": \"2.5s\", \"first_poll\": \"250ms\"}],"
                          " \"initial\": {\"plain\": {\"count\": 3, \"bytes\": 10},"
                          "  \"messages\": [{\"id\": \"m\", \"entity\": \"E\", \"key\": \"legacy\", \"stored\": \"complete\"}]}}");
    assert_string_equal(s->name, "n");
    assert_int_equal(s->seed, 9);
    assert_int_equal(s->duration, INT64_C(7200000000));
    assert_int_equal(s->noptions, 2);
    assert_string_equal(s->options[1], "1");
    assert_int_equal(s->nlocs, 2);
    assert_true(s->kv.p429 == 0.25);
    assert_true(s->kv.get_error_prob[KV_CLASS_CACHE] == 0.1);
    assert_true(s->kv.get_error_prob[KV_CLASS_INDIVIDUAL] == 0.2);
    assert_int_equal(s->kv.put.a, 45000);
    assert_int_equal(s->kv.window, 200);
    assert_int_equal(s->nbots, 1);
    assert_string_equal(s->bots[0].name, "bot-1");
    assert_int_equal(s->bots[0].loc, 1);
    assert_int_equal(s->bots[0].poll_every, 2500000);
    assert_int_equal(s->bots[0].first_poll, 250000);
    assert_int_equal(s->plain_count, 3);
    assert_int_equal(s->nmsgs, 1);
    assert_int_equal(s->msgs[0].legacy, 1);
    assert_int_equal(s->msgs[0].stored, MS_COMPLETE);
    assert_int_equal(s->msgs[0].cached, MS_COMPLETE); /* cached defaults to stored */
    sc_free(s);
    /* defaults */
    s = accepts("{}");
    assert_int_equal(s->duration, INT64_C(86400000000));
    /* the 429 enforcement default comes from the limits data file */
    assert_true(s->kv.p429 == s->limits.same_key_enforcement);
    assert_true(s->kv.p429 == 0.1);
    assert_int_equal(s->noptions, 1);
    assert_string_equal(s->options[0], "0");
    sc_free(s);
}

/* Every scenario shipped in the tree loads. */
static void test_shipped_scenarios_load(void **state)
{
    (void)state;
    static const char *const files[] = {
        "scenarios/incident-164.json",          "scenarios/scripted/incident-164.json",
        "scenarios/scripted/legacy-stuck.json", "scenarios/scripted/aged-out.json",
        "scenarios/scripted/lost-post-race.json", "scenarios/scripted/option-1-blind-put.json",
        "scenarios/scripted/lost-update-race.json",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        sim_err err = { 0, "" };
        scenario *s = NULL;
        if (sc_load(files[i], H_LIMITS, &s, &err) != 0)
            fail_msg("%s", err.msg);
        sc_free(s);
    }
}

static void test_load_errors(void **state)
{
    (void)state;
    sim_err err = { 0, "" };
    scenario *s = NULL;
    assert_int_equal(sc_load("scenarios/no-such-file.json", H_LIMITS, &s, &err), -1);
    assert_int_equal(err.code, 2);
    assert_null(s);
    assert_non_null(strstr(err.msg, "scenarios/no-such-file.json: cannot open"));
    assert_int_equal(sc_load("scenarios", H_LIMITS, &s, &err), -1);
    assert_int_equal(err.code, 2);
    assert_non_null(strstr(err.msg, "not a regular file"));
    assert_int_equal(sc_load("scenarios/incident-164.json", "data/limits/none.json", &s, &err), -1);
    assert_int_equal(err.code, 2);
    assert_non_null(strstr(err.msg, "data/limits/none.json"));
}

/* ---- durations ---- */

static void duration_is(const char *text, sim_us want)
{
    sim_us got = -1;
    if (sc_parse_duration(text, &got) != 0)
        fail_msg("'%s' rejected, expected %lld", text, (long long)want);
    if (got != want)
        fail_msg("'%s' = %lld, expected %lld", text, (long long)got, (long long)want);
}

static void duration_bad(const char *text)
{
    sim_us got = 12345;
    if (sc_parse_duration(text, &got) == 0)
        fail_msg("'%s' accepted as %lld", text, (long long)got);
    assert_int_equal(got, 12345); /* untouched on failure */
}

static void test_durations(void **state)
{
    (void)state;
    duration_is("12.500s", 12500000);
    duration_is("3min", 180000000);
    duration_is("1d", INT64_C(86400000000));
    duration_is("0.5ms", 500);
    duration_is("0s", 0);
    duration_is("7us", 7);
    duration_is("250ms", 250000);
    duration_is("1.5h", INT64_C(5400000000));
    duration_is("0.000001s", 1);
    duration_is("1.000001s", 1000001);
    /* the largest whole number of days in int64 microseconds */
    duration_is("106751991d", INT64_C(9223372022400000000));
    /* sub-microsecond */
    duration_bad("1.0000001s");
    duration_bad("0.5us");
    duration_bad("0.0001ms");
    /* overflow */
    duration_bad("999999999999d");
    duration_bad("106751992d");
    duration_bad("99999999999999999999us");
    /* syntax */
    duration_bad("");
    duration_bad("s");
    duration_bad("10");
    duration_bad("-1s");
    duration_bad("1 s");
    duration_bad("1S");
    duration_bad("1.s");
    duration_bad(".5s");
    duration_bad("1e3ms");
    duration_bad("1sec");
    duration_bad("1m"); /* minutes are "min" */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed_line_col),
        cmocka_unit_test(test_empty_and_bad_bytes),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_cache_ttl_minimum),
        cmocka_unit_test(test_references),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_shipped_scenarios_load),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_durations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
