/* test_jobs.c - the worker pool (app/jobs.h): records filed by task index
 * are the same for any number of workers; failed tasks and dead workers
 * are counted; progress reaches the total. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/jobs.h"

#define NT 37

typedef struct {
    int64_t v[4];
} rec;

typedef struct {
    rec got[NT];
    int ok[NT];
    int ndone;
    double last_progress;
    int nprogress;
    int fail_task;  /* this task returns -1 */
    int die_task;   /* this task kills its worker */
} state;

static int task(void *ud, int t, void *out, jb_ctx *jc)
{
    const state *s = ud;
    rec *r = out;
    int64_t x = (int64_t)t * 7919 + 13;
    for (int i = 0; i < 4; i++)
        r->v[i] = x * (i + 1) - t;
    jb_progress(jc, 0.5);
    if (t == s->die_task)
        _exit(3);
    return t == s->fail_task ? -1 : 0;
}

static void done(void *ud, int t, int ok, const void *r)
{
    state *s = ud;
    memcpy(&s->got[t], r, sizeof(rec));
    s->ok[t] = ok;
    s->ndone++;
}

static void progress(void *ud, double d, int n)
{
    state *s = ud;
    assert_int_equal(n, NT);
    assert_true(d <= (double)n);
    s->last_progress = d;
    s->nprogress++;
}

static int run(state *s, int jobs)
{
    memset(s->got, 0, sizeof s->got);
    memset(s->ok, 0, sizeof s->ok);
    s->ndone = 0;
    s->last_progress = -1;
    s->nprogress = 0;
    jb_pool p = { jobs, sizeof(rec), task, done, progress, s, NULL };
    return jb_run(&p, NT);
}

static void test_same_records_for_any_jobs(void **st)
{
    (void)st;
    static state a, b;
    a.fail_task = b.fail_task = -1;
    a.die_task = b.die_task = -1;
    assert_int_equal(run(&a, 1), 0);
    assert_int_equal(a.ndone, NT);
    for (int t = 0; t < NT; t++) {
        assert_true(a.ok[t]);
        assert_int_equal(a.got[t].v[3], ((int64_t)t * 7919 + 13) * 4 - t); /* from the task's formula */
    }
    for (int jobs = 2; jobs <= 5; jobs++) {
        assert_int_equal(run(&b, jobs), 0);
        assert_int_equal(b.ndone, NT);
        assert_memory_equal(a.got, b.got, sizeof a.got);
        assert_true(b.last_progress == (double)NT);
    }
    assert_true(a.last_progress == (double)NT);
    assert_true(a.nprogress >= NT);
}

static void test_failed_task_is_counted_and_delivered(void **st)
{
    (void)st;
    static state s;
    s.fail_task = 11;
    s.die_task = -1;
    for (int jobs = 1; jobs <= 3; jobs += 2) {
        assert_int_equal(run(&s, jobs), 1);
        assert_int_equal(s.ndone, NT);
        assert_false(s.ok[11]);
        assert_true(s.ok[10] && s.ok[12]);
    }
}

static void test_dead_worker_is_counted(void **st)
{
    (void)st;
    static state s;
    s.fail_task = -1;
    s.die_task = 4; /* worker 1 of 3 dies there: its tasks 4, 7, ... never report */
    int missing = 0;
    for (int t = 4; t < NT; t += 3)
        missing++;
    assert_int_equal(run(&s, 3), missing);
    assert_int_equal(s.ndone, NT - missing);
    assert_true(s.ok[1] && s.ok[0] && s.ok[2]);
    assert_false(s.ok[4]);
}

static void test_record_too_big_is_refused(void **st)
{
    (void)st;
    static state s;
    jb_pool p = { 2, JB_MAX_REC + 1, task, done, NULL, &s, NULL };
    assert_int_equal(jb_run(&p, 3), -1);
    assert_int_equal(s.ndone, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_records_for_any_jobs),
        cmocka_unit_test(test_failed_task_is_counted_and_delivered),
        cmocka_unit_test(test_dead_worker_is_counted),
        cmocka_unit_test(test_record_too_big_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
