/* test_human_profile.c - humans[].rate_by_hour: a Poisson process whose
 * rate is constant in each UTC hour. Posts fall only in hours of non-zero
 * rate, as many as the rate says (within a Poisson interval); the field
 * parses with located errors, is written back and read again the same. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <cmocka.h>

#include "harness.h"

static scenario *parse(const char *text, sim_err *err)
{
    sc_limits lim;
    scenario *s = NULL;
    if (sc_load_limits(H_LIMITS, &lim, err) != 0)
        fail_msg("limits: %s", err->msg);
    if (sc_parse_limits("p.json", text, strlen(text), &lim, &s, err) != 0)
        return NULL;
    return s;
}

/* The post calls' start times of a run of text under option 0. */
static size_t post_times(const char *text, int64_t *t, size_t max)
{
    sim_err err = { 0, "" };
    scenario *s = parse(text, &err);
    if (!s)
        fail_msg("parse: %s", err.msg);
    char *buf = NULL;
    size_t len = 0, n = 0;
    FILE *mem = open_memstream(&buf, &len);
    world_opts wo = { 0 };
    wo.trace = mem;
    world *w = world_new(s, "0", s->seed, &wo, &err);
    assert_non_null(w);
    assert_int_equal(world_run(w, 0, &err), 0);
    fclose(mem);
    for (char *p = strstr(buf, "\"endpoint\":\"post\""); p; p = strstr(p + 1, "\"endpoint\":\"post\"")) {
        char *l = p;
        while (l > buf && l[-1] != '\n')
            l--;
        long long x;
        if (sscanf(l, "{\"t\":%lld,\"type\":\"call\"", &x) == 1 && n < max)
            t[n++] = x;
    }
    free(buf);
    world_free(w);
    sc_free(s);
    return n;
}

#define HOURS_2_AND_5                                                                                    \
    "{\"seed\": 7, \"duration\": \"3d\", \"bots\": [{\"poll_every\": \"1h\"}], \"humans\": [{\"rate_by_hour\": " \
    "[0,0,0.5,0,0,0.25,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}]}"

static void test_posts_follow_the_profile(void **state)
{
    (void)state;
    static int64_t t[20000];
    size_t n = post_times(HOURS_2_AND_5, t, 20000);
    size_t in2 = 0, in5 = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t h = t[i] / (3600 * INT64_C(1000000)) % 24;
        assert_true(h == 2 || h == 5); /* never in an hour of rate 0 */
        in2 += h == 2;
        in5 += h == 5;
    }
    /* expected over 3 days: 3 x 3600 x 0.5 = 5400 and 3 x 3600 x 0.25 = 2700;
     * 4 standard deviations (sqrt(5400) = 73, sqrt(2700) = 52) */
    assert_true(fabs((double)in2 - 5400) < 4 * 73.5);
    assert_true(fabs((double)in5 - 2700) < 4 * 52);
    assert_true(in2 > in5);
}

/* A rate too small to post every day: whole days are skipped, posts still come
 * (0.0001/s in one hour: 0.36 a day, about 36 in 100 days). */
static void test_sparse_profile_still_posts(void **state)
{
    (void)state;
    static int64_t t[1000];
    size_t n = post_times("{\"seed\": 3, \"duration\": \"100d\", \"bots\": [{\"poll_every\": \"1d\"}], \"humans\": "
                          "[{\"rate_by_hour\": [0,0,0,0,0,0,0,0,0,0,0,0,0.0001,0,0,0,0,0,0,0,0,0,0,0]}]}",
                          t, 1000);
    assert_true(n >= 12 && n <= 60); /* 36 expected, 4 sd = 24 */
    for (size_t i = 0; i < n; i++)
        assert_int_equal(t[i] / (3600 * INT64_C(1000000)) % 24, 12);
}

static void test_parse_write_errors(void **state)
{
    (void)state;
    sim_err err = { 0, "" };
    scenario *s = parse(HOURS_2_AND_5, &err);
    assert_non_null(s);
    assert_true(s->humans[0].have_profile);
    assert_true(s->humans[0].rate_by_hour[5] == 0.25);
    assert_true(fabs(s->humans[0].rate_per_s - 0.75 / 24) < 1e-15); /* the mean, for estimates */
    cJSON *j = sc_to_json(s, "t");
    char *text = cJSON_PrintUnformatted(j);
    assert_null(strstr(text, "\"rate_per_s\"")); /* one of the two */
    scenario *back = parse(text, &err);
    assert_non_null(back);
    assert_memory_equal(back->humans[0].rate_by_hour, s->humans[0].rate_by_hour, sizeof s->humans[0].rate_by_hour);
    assert_true(back->humans[0].have_profile && back->humans[0].rate_per_s == s->humans[0].rate_per_s);
    sc_free(back);
    free(text);
    cJSON_Delete(j);
    sc_free(s);
    assert_null(parse("{\"humans\": [{\"rate_by_hour\": [1,2,3]}]}", &err));
    assert_non_null(strstr(err.msg, "humans[0].rate_by_hour: expected an array of 24 rates"));
    assert_null(parse("{\"humans\": [{\"rate_per_s\": 1, \"rate_by_hour\": [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}]}",
                      &err));
    assert_non_null(strstr(err.msg, "not both"));
    assert_null(parse("{\"humans\": [{\"rate_by_hour\": [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,-1]}]}", &err));
    assert_non_null(strstr(err.msg, "humans[0].rate_by_hour[23]: must be between 0 and 1000, got -1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_posts_follow_the_profile),
        cmocka_unit_test(test_sparse_profile_still_posts),
        cmocka_unit_test(test_parse_write_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
