/* test_trace.c - the trace reader (app/trace.h): a trace written for the
 * test (meta header, calls, KV results with failures), located errors,
 * and a run's own trace read back call for call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "app/trace.h"
#include "model/kv.h"

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_small_trace(void **state)
{
    (void)state;
    char path[] = "/tmp/qsim-trace-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_file(path,
               "{\"type\":\"meta\",\"qsim\":\"0.1.0\",\"scenario\":\"t\",\"file\":\"x.json\",\"scenario_fnv1a64\":\"00ff\","
               "\"option\":\"1+2\",\"seed\":\"18446744073709551615\",\"duration_us\":60000000}\n"
               "{\"t\":1000,\"type\":\"call\",\"call\":1,\"actor\":\"bot-1\",\"endpoint\":\"pending\",\"msg\":null}\n"
               "{\"t\":3000,\"type\":\"kv\",\"call\":1,\"op\":\"get\",\"key\":\"recent:comments\",\"result\":\"ok\"}\n"
               "{\"t\":2000,\"type\":\"call\",\"call\":2,\"actor\":\"alice\",\"endpoint\":\"post\",\"msg\":\"m-1\"}\n"
               "{\"t\":9000,\"type\":\"kv\",\"call\":2,\"op\":\"put\",\"key\":\"comment:m-1\",\"result\":\"ok\"}\n"
               "{\"t\":12000,\"type\":\"kv\",\"call\":2,\"op\":\"put\",\"key\":\"recent:comments\",\"result\":\"error:429\"}\n"
               "{\"t\":4000,\"type\":\"end\",\"call\":1,\"kvr\":1,\"kvw\":0,\"status\":200}\n"
               "{\"t\":12500,\"type\":\"end\",\"call\":2,\"kvr\":0,\"kvw\":1,\"status\":200}\n");
    tr_meta meta = { 0 };
    sim_err err = { 0, "" };
    size_t n = 0;
    tr_call *c = tr_read(path, &n, &meta, &err);
    assert_non_null(c);
    assert_int_equal(n, 2);
    assert_true(meta.have);
    assert_string_equal(meta.option, "1+2");
    assert_string_equal(meta.hash, "00ff");
    assert_true(meta.seed == UINT64_MAX); /* 64 bits, not a double */
    assert_int_equal(c[0].id, 1);
    assert_string_equal(c[0].actor, "bot-1");
    assert_int_equal(c[0].kind, EP_PENDING);
    assert_int_equal(c[0].nops, 1);
    assert_true(c[0].done[0] == 2000); /* relative to the call's start */
    assert_true(c[0].end == 4000);
    assert_int_equal(c[0].nfaults, 0);
    assert_int_equal(c[1].kind, EP_POST);
    assert_string_equal(c[1].msg, "m-1");
    assert_int_equal(c[1].nops, 2);
    assert_true(c[1].done[0] == 7000 && c[1].done[1] == 10000);
    assert_int_equal(c[1].nfaults, 1);
    assert_int_equal(c[1].faults[0].kind, KV_E429);
    assert_int_equal(c[1].faults[0].nth, 2); /* the second operation */
    free(c);

    /* a line that is not a trace line: located */
    write_file(path, "{\"t\":1,\"type\":\"call\",\"call\":1,\"actor\":\"a\",\"endpoint\":\"post\"}\n{\"t\":\"x\"}\n");
    c = tr_read(path, &n, &meta, &err);
    assert_null(c);
    assert_int_equal(err.code, 2);
    assert_non_null(strstr(err.msg, ":2: not a trace line"));
    /* no calls: empty, not a failure */
    write_file(path, "");
    memset(&meta, 0, sizeof meta);
    c = tr_read(path, &n, &meta, &err);
    assert_non_null(c);
    assert_int_equal(n, 0);
    assert_false(meta.have);
    free(c);
    unlink(path);
    c = tr_read(path, &n, &meta, &err);
    assert_null(c);
    assert_int_equal(err.code, 2);
}

/* A run's trace read back: one call per invocation the run counted. */
static void test_run_trace(void **state)
{
    (void)state;
    sim_err err = { 0, "" };
    scenario *s = NULL;
    if (sc_load("scenarios/busy.json", H_LIMITS, &s, &err) != 0)
        fail_msg("sc_load: %s", err.msg);
    s->duration = 120 * SIM_US_PER_S;
    char path[] = "/tmp/qsim-trace-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    world_opts wo = { 0 };
    wo.trace = f;
    world *w = world_new(s, "1", s->seed, &wo, &err);
    assert_non_null(w);
    assert_int_equal(world_run(w, 0, &err), 0);
    fclose(f);
    met_registry *m = sim_metrics(world_ctx(w));
    int64_t counted = 0;
    for (size_t i = 0; i < met_counter_count(m); i++)
        if (strncmp(met_counter_name(m, (met_id)i), "calls.", 6) == 0)
            counted += met_counter_value(m, (met_id)i);
    tr_meta meta = { 0 };
    size_t n = 0;
    tr_call *c = tr_read(path, &n, &meta, &err);
    assert_non_null(c);
    assert_true(counted > 20);
    assert_int_equal((int64_t)n, counted);
    for (size_t i = 1; i < n; i++)
        assert_true(c[i].start >= c[i - 1].start && c[i].end >= c[i].start);
    free(c);
    unlink(path);
    world_free(w);
    sc_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_trace),
        cmocka_unit_test(test_run_trace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
