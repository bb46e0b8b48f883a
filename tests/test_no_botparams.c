/* test_no_botparams.c - messages without bot fields (issue 13 section 4).
 * In the seed's complete/fail, `message.botParams.status = ...` runs on the
 * parsed key value outside any try/catch: a message with no botParams
 * (plain chat, an AI reply) throws there and the Worker answers 500, after
 * the lookup's reads and before any write. A message with botParams but no
 * status gets one (200). Claim's pending check refuses both (409). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness.h"

#define PLAIN "1761868000000-plainaaaa"
#define LEGACY "1761868000001-plainbbbb"
#define AI "1761868000002-aireplyaa"
#define NOSTAT "1761868000003-nostatusa"

static const char *const SC =
    "{ 'duration': '10s', 'kv': { 'p429': 0 }, 'initial': { 'messages': [ "
    "{ 'id': '" PLAIN "' }, { 'id': '" LEGACY "', 'key': 'legacy' }, { 'id': '" AI "', 'type': 'ai' }, "
    "{ 'id': '" NOSTAT "', 'entity': 'E', 'stored': 'none' } ] }, "
    "'script': [ { 'at': '1s', 'call': 'complete', 'msg': '" PLAIN "' }, "
    "{ 'at': '2s', 'call': 'complete', 'msg': '" LEGACY "' }, "
    "{ 'at': '3s', 'call': 'fail', 'msg': '" AI "' }, "
    "{ 'at': '4s', 'call': 'claim', 'msg': '" PLAIN "' }, "
    "{ 'at': '5s', 'call': 'claim', 'msg': '" NOSTAT "' }, "
    "{ 'at': '6s', 'call': 'complete', 'msg': '" NOSTAT "' } ] }";

static void test_no_botparams_throws_in_complete_and_fail(void **state)
{
    (void)state;
    h_run r;
    h_run_sq(&r, SC, "0");
    /* plain: 1 read; legacy plain: the miss on comment:<id> and the legacy
     * read; both 500 with no write. The no-status message: 2 reads, 2 writes */
    assert_int_equal(h_counter(&r, "http.complete.500"), 2);
    assert_int_equal(h_counter(&r, "http.complete.200"), 1);
    h_costs(&r, "complete", 1 + 2 + 2, 2);
    assert_int_equal(h_counter(&r, "http.fail.500"), 1);
    h_costs(&r, "fail", 1, 0);
    h_msg(&r, PLAIN, MS_NONE, MS_NONE);
    h_msg(&r, LEGACY, MS_NONE, MS_NONE);
    h_msg(&r, AI, MS_NONE, MS_NONE);
    h_free(&r);
}

static void test_no_status_gets_one(void **state)
{
    (void)state;
    h_run r;
    h_run_sq(&r, SC, "0");
    h_msg(&r, NOSTAT, MS_COMPLETE, MS_COMPLETE);
    /* claim reads the key and refuses both: status none is not pending */
    assert_int_equal(h_counter(&r, "http.claim.409"), 2);
    h_costs(&r, "claim", 2, 0);
    assert_int_equal(h_counter(&r, "cache_update.entry_missing"), 0);
    h_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_botparams_throws_in_complete_and_fail),
        cmocka_unit_test(test_no_status_gets_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
