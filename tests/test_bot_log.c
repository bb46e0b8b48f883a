/* test_bot_log.c - the bot's log line per poll (--log-polls, issue 13
 * section 4): "[KVr:n KVw:n]" from the response's kvStats on a 200, and an
 * error line on a 500, whose response has no kvStats; the poll series
 * keeps the Worker's own counts either way. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

/* Runs sq_text under option 0 with the poll log captured into *log (the
 * caller frees it). */
static void run_logged(h_run *r, const char *sq_text, char **log)
{
    size_t len = 0;
    FILE *f = open_memstream(log, &len);
    assert_non_null(f);
    world_opts o = { 0 };
    o.poll_log = f;
    h_run_scenario_opts(r, h_parse_sq(sq_text), "0", &o);
    fclose(f);
}

/* Every cache get of pending fails: polls at 0, 3, 6 and 9 s answer 500
 * having billed nothing; the bot logs the error, not [KVr:0 KVw:0]. */
static void test_failed_polls_log_an_error(void **state)
{
    (void)state;
    h_run r;
    char *log = NULL;
    run_logged(&r, "{ 'duration': '10s', 'bots': [ { 'name': 'bot-1', 'first_poll': '0s' } ], "
                   "'faults': [ { 'endpoint': 'pending', 'op': 'get', 'key': 'cache', 'prob': 1, 'kind': 'error' } ] }",
               &log);
    assert_string_equal(log, "bot-1 poll failed: HTTP 500\nbot-1 poll failed: HTTP 500\n"
                             "bot-1 poll failed: HTTP 500\nbot-1 poll failed: HTTP 500\n");
    assert_int_equal(h_npolls(&r), 4);
    for (size_t k = 0; k < 4; k++) {
        assert_int_equal(h_poll(&r, k)[H_T], (int64_t)k * 3 * SIM_US_PER_S);
        assert_int_equal(h_poll(&r, k)[H_STATUS], 500);
        assert_int_equal(h_poll(&r, k)[H_KVR], 0);
        assert_int_equal(h_poll(&r, k)[H_KVW], 0);
    }
    free(log);
    h_free(&r);
}

/* A 500 inside the verification loop: the cache read was billed (kvr 1 in
 * polls.csv) but the bot still sees only an error. A scripted pending call
 * logs under its actor name; a 200 logs the counts. */
static void test_counts_kept_in_polls(void **state)
{
    (void)state;
    h_run r;
    char *log = NULL;
    run_logged(&r, "{ 'duration': '5s', 'initial': { 'messages': [ { 'id': '1761868000000-m1aaaaaaa', 'entity': 'E' } ] }, "
                   "'script': [ { 'at': '1s', 'actor': 'probe', 'call': 'pending' }, "
                   "{ 'at': '2s', 'actor': 'probe', 'call': 'pending', "
                   "'fail': [ { 'op': 'get', 'key': 'individual', 'kind': 'error' } ] } ] }",
               &log);
    assert_string_equal(log, "probe [KVr:2 KVw:0]\nprobe poll failed: HTTP 500\n");
    assert_int_equal(h_npolls(&r), 2);
    assert_int_equal(h_poll(&r, 0)[H_STATUS], 200);
    assert_int_equal(h_poll(&r, 0)[H_KVR], 2);
    assert_int_equal(h_poll(&r, 0)[H_RET], 1);
    assert_int_equal(h_poll(&r, 1)[H_STATUS], 500);
    assert_int_equal(h_poll(&r, 1)[H_KVR], 1);
    assert_int_equal(h_poll(&r, 1)[H_RET], 0);
    free(log);
    h_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failed_polls_log_an_error),
        cmocka_unit_test(test_counts_kept_in_polls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
