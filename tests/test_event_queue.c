/* test_event_queue.c - eq_: (time, insertion) order, cancel and stale
 * handles, pool reuse and growth, the front slot (an event pushed earlier
 * than every pending one waits outside the heap), and randomized
 * differential tests against a sorted reference. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/event_queue.h"

static void fn_a(void) {}
static void fn_b(void) {}

static int q_setup(void **state)
{
    *state = eq_new(4); /* small, so most tests also cross a growth */
    return *state ? 0 : -1;
}

static int q_teardown(void **state)
{
    eq_free(*state);
    return 0;
}

/* A tiny splitmix64 so the test needs nothing but itself. */
static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void test_pop_empty(void **state)
{
    eq_queue *q = *state;
    eq_fired f;
    assert_int_equal(eq_pop(q, &f), -1);
    assert_true(eq_peek_time(q) == INT64_MAX);
    assert_int_equal(eq_size(q), 0);
}

static void test_time_order(void **state)
{
    eq_queue *q = *state;
    static const sim_us ts[] = { 50, 10, 40, 30, 20, 5, 45, 0, 35, 25 };
    size_t n = sizeof ts / sizeof ts[0];
    for (size_t i = 0; i < n; i++)
        assert_true(eq_push(q, ts[i], fn_a, NULL, i) != EQ_NO_HANDLE);
    assert_int_equal(eq_size(q), n);
    assert_int_equal(eq_peek_time(q), 0);
    sim_us prev = -1;
    eq_fired f;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(eq_pop(q, &f), 0);
        assert_true(f.t > prev);
        assert_int_equal(f.t, ts[f.arg]); /* payload travels with its time */
        prev = f.t;
    }
    assert_int_equal(eq_pop(q, &f), -1);
}

static void test_payload(void **state)
{
    eq_queue *q = *state;
    int obj;
    eq_push(q, 7, fn_b, &obj, UINT64_C(0xdeadbeefcafe));
    eq_fired f;
    assert_int_equal(eq_pop(q, &f), 0);
    assert_int_equal(f.t, 7);
    assert_true(f.fn == fn_b);
    assert_ptr_equal(f.obj, &obj);
    assert_true(f.arg == UINT64_C(0xdeadbeefcafe));
}

/* Equal times pop in push order, also when interleaved with other times
 * and after many sifts. */
static void test_tie_fifo(void **state)
{
    eq_queue *q = *state;
    enum { N = 5000 };
    for (uint64_t i = 0; i < N; i++) {
        eq_push(q, 100, fn_a, NULL, i);
        eq_push(q, (sim_us)(i % 2 ? 200 : 50), fn_a, NULL, N + i);
    }
    eq_fired f;
    uint64_t next50 = 0, next100 = 0, next200 = 1;
    for (size_t i = 0; i < 2 * N; i++) {
        assert_int_equal(eq_pop(q, &f), 0);
        if (f.t == 50) {
            assert_int_equal(f.arg - N, next50);
            next50 += 2;
        } else if (f.t == 100) {
            assert_int_equal(next50, N); /* all 50s came first */
            assert_int_equal(f.arg, next100++);
        } else {
            assert_int_equal(next100, N);
            assert_int_equal(f.arg - N, next200);
            next200 += 2;
        }
    }
    assert_int_equal(next100, N);
}

/* Negative and extreme times order as signed numbers (the heap compares
 * t with its sign bit flipped); equal extremes keep push order. */
static void test_extreme_times(void **state)
{
    eq_queue *q = *state;
    static const sim_us ts[] = { INT64_MAX - 1, -5, 0, INT64_MIN + 1, -1, 5,
                                 INT64_MIN + 1, INT64_MAX - 1, 1 };
    static const uint64_t want[] = { 3, 6, 1, 4, 2, 8, 5, 0, 7 };
    size_t n = sizeof ts / sizeof ts[0];
    for (size_t i = 0; i < n; i++)
        eq_push(q, ts[i], fn_a, NULL, i);
    eq_fired f;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(eq_pop(q, &f), 0);
        assert_int_equal(f.arg, want[i]);
    }
    /* Deep in a big heap too: times over the whole int64 range. */
    uint64_t s = 99;
    for (int i = 0; i < 5000; i++)
        eq_push(q, (sim_us)next_u64(&s), fn_a, NULL, 0);
    sim_us prev = INT64_MIN;
    while (eq_pop(q, &f) == 0) {
        assert_true(f.t >= prev);
        prev = f.t;
    }
}

static void test_cancel(void **state)
{
    eq_queue *q = *state;
    eq_handle h[6];
    for (int i = 0; i < 6; i++)
        h[i] = eq_push(q, 10 * i, fn_a, NULL, (uint64_t)i);
    assert_int_equal(eq_cancel(q, h[0]), 0); /* the root */
    assert_int_equal(eq_cancel(q, h[3]), 0); /* an inner node */
    assert_int_equal(eq_cancel(q, h[5]), 0); /* the last leaf */
    assert_int_equal(eq_cancel(q, h[3]), -1); /* twice */
    assert_int_equal(eq_cancel(q, EQ_NO_HANDLE), -1);
    assert_int_equal(eq_size(q), 3);
    eq_fired f;
    static const uint64_t want[] = { 1, 2, 4 };
    for (int i = 0; i < 3; i++) {
        assert_int_equal(eq_pop(q, &f), 0);
        assert_int_equal(f.arg, want[i]);
    }
    assert_int_equal(eq_pop(q, &f), -1);
    assert_int_equal(eq_cancel(q, h[1]), -1); /* already fired */
}

static void test_stale_handle(void **state)
{
    eq_queue *q = *state;
    eq_handle old = eq_push(q, 1, fn_a, NULL, 1);
    eq_fired f;
    assert_int_equal(eq_pop(q, &f), 0);
    eq_handle new = eq_push(q, 2, fn_a, NULL, 2);
    /* Same slot reused (low 32 bits), new generation. */
    assert_int_equal(new & 0xffffffffu, old & 0xffffffffu);
    assert_true(new != old);
    assert_int_equal(eq_cancel(q, old), -1);
    assert_int_equal(eq_size(q), 1);
    assert_int_equal(eq_pop(q, &f), 0);
    assert_int_equal(f.arg, 2);

    /* A handle cancelled, then its slot reused: still stale. */
    eq_handle c = eq_push(q, 3, fn_a, NULL, 3);
    assert_int_equal(eq_cancel(q, c), 0);
    eq_handle d = eq_push(q, 4, fn_a, NULL, 4);
    assert_int_equal(eq_cancel(q, c), -1);
    assert_int_equal(eq_cancel(q, d), 0);
    assert_int_equal(eq_size(q), 0);
}

/* Push/pop cycles reuse records: the pool stops at the high-water mark. */
static void test_pool_reuse(void **state)
{
    eq_queue *q = *state;
    enum { HIGH = 300 };
    eq_fired f;
    for (int i = 0; i < HIGH; i++)
        eq_push(q, i, fn_a, NULL, 0);
    for (int round = 0; round < 1000; round++) {
        eq_pop(q, &f);
        eq_push(q, f.t + HIGH, fn_a, NULL, 0);
        assert_int_equal(eq_pool_size(q), HIGH);
    }
    while (eq_pop(q, &f) == 0)
        ;
    for (int cycle = 0; cycle < 50; cycle++) {
        for (int i = 0; i < HIGH; i++)
            eq_push(q, i, fn_a, NULL, 0);
        eq_cancel(q, eq_push(q, 0, fn_a, NULL, 0));
        while (eq_pop(q, &f) == 0)
            ;
    }
    assert_int_equal(eq_pool_size(q), HIGH + 1);
}

/* eq_new(0) and eq_new(4) grow past their capacity without losing order. */
static void test_growth(void **state)
{
    (void)state;
    for (size_t cap = 0; cap <= 4; cap += 4) {
        eq_queue *q = eq_new(cap);
        assert_non_null(q);
        enum { N = 100000 };
        uint64_t s = 7;
        for (uint64_t i = 0; i < N; i++)
            assert_true(eq_push(q, (sim_us)(next_u64(&s) % 1000), fn_a, NULL, i)
                        != EQ_NO_HANDLE);
        assert_int_equal(eq_size(q), N);
        assert_int_equal(eq_pool_size(q), N);
        eq_fired f, prev = { -1, NULL, NULL, 0 };
        for (size_t i = 0; i < N; i++) {
            assert_int_equal(eq_pop(q, &f), 0);
            assert_true(f.t > prev.t || (f.t == prev.t && f.arg > prev.arg));
            prev = f;
        }
        eq_free(q);
    }
}

/* The front slot. An event pushed earlier than everything pending waits
 * outside the heap; a push at the same time as it goes behind it (its seq is
 * larger), a strictly earlier push displaces it into the heap. */
static void test_front_ties(void **state)
{
    eq_queue *q = *state;
    eq_push(q, 10, fn_a, NULL, 0); /* empty queue: the front */
    eq_push(q, 10, fn_a, NULL, 1); /* tie: behind 0 */
    eq_push(q, 5, fn_a, NULL, 2);  /* earlier: the new front, 0 displaced */
    eq_push(q, 5, fn_a, NULL, 3);  /* tie with the front: behind 2 */
    eq_push(q, 10, fn_a, NULL, 4);
    eq_push(q, 4, fn_a, NULL, 5);  /* displaces 2 */
    assert_int_equal(eq_size(q), 6);
    assert_int_equal(eq_peek_time(q), 4);
    static const uint64_t want[] = { 5, 2, 3, 0, 1, 4 };
    eq_fired f;
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(eq_pop(q, &f), 0);
        assert_int_equal(f.arg, want[i]);
    }
    /* After a pop empties the front, the heap's top is next, and a push
     * at its time goes behind it. */
    eq_push(q, 20, fn_a, NULL, 6); /* front */
    eq_push(q, 30, fn_a, NULL, 7); /* heap */
    assert_int_equal(eq_pop(q, &f), 0);
    assert_int_equal(f.arg, 6);
    eq_push(q, 30, fn_a, NULL, 8); /* tie with the heap's top: behind 7 */
    eq_push(q, 25, fn_a, NULL, 9); /* before the heap's top: the front */
    static const uint64_t want2[] = { 9, 7, 8 };
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(eq_pop(q, &f), 0);
        assert_int_equal(f.arg, want2[i]);
    }
    assert_int_equal(eq_pop(q, &f), -1);
}

/* Many events at one time, each pushed while the previous one is the front:
 * they must pop in push order, not the reverse. */
static void test_front_tie_chain(void **state)
{
    eq_queue *q = *state;
    eq_push(q, 1000, fn_a, NULL, 999);
    eq_fired f;
    for (uint64_t round = 0; round < 100; round++) {
        for (uint64_t i = 0; i < 5; i++)
            eq_push(q, (sim_us)round, fn_a, NULL, i);
        for (uint64_t i = 0; i < 5; i++) {
            assert_int_equal(eq_pop(q, &f), 0);
            assert_int_equal(f.t, (sim_us)round);
            assert_int_equal(f.arg, i);
        }
    }
    assert_int_equal(eq_pop(q, &f), 0);
    assert_int_equal(f.arg, 999);
}

static void test_front_cancel(void **state)
{
    eq_queue *q = *state;
    eq_handle far = eq_push(q, 200, fn_a, NULL, 1);
    eq_handle h = eq_push(q, 100, fn_a, NULL, 0); /* the front */
    assert_int_equal(eq_size(q), 2);
    assert_int_equal(eq_cancel(q, h), 0);
    assert_int_equal(eq_cancel(q, h), -1); /* twice */
    assert_int_equal(eq_size(q), 1);
    assert_int_equal(eq_peek_time(q), 200);
    /* With the front empty, an earlier push takes it again. */
    eq_handle g = eq_push(q, 150, fn_a, NULL, 2);
    assert_int_equal(eq_peek_time(q), 150);
    eq_fired f;
    assert_int_equal(eq_pop(q, &f), 0);
    assert_int_equal(f.arg, 2);
    assert_int_equal(eq_cancel(q, g), -1); /* fired from the front */
    assert_int_equal(eq_cancel(q, far), 0);
    assert_int_equal(eq_size(q), 0);
    assert_int_equal(eq_pop(q, &f), -1);
    assert_true(eq_peek_time(q) == INT64_MAX);

    /* The only event, in the front, cancelled: the queue is empty. */
    h = eq_push(q, 7, fn_a, NULL, 3);
    assert_int_equal(eq_cancel(q, h), 0);
    assert_int_equal(eq_size(q), 0);
    assert_int_equal(eq_pop(q, &f), -1);
}

/* An event displaced from the front into the heap keeps its handle. */
static void test_front_displaced(void **state)
{
    eq_queue *q = *state;
    eq_push(q, 50, fn_a, NULL, 0);
    eq_handle a = eq_push(q, 10, fn_a, NULL, 1); /* front */
    eq_handle b = eq_push(q, 5, fn_a, NULL, 2);  /* front; a into the heap */
    eq_handle c = eq_push(q, 1, fn_a, NULL, 3);  /* front; b into the heap */
    assert_int_equal(eq_size(q), 4);
    assert_int_equal(eq_cancel(q, a), 0); /* from the heap */
    assert_int_equal(eq_cancel(q, a), -1);
    assert_int_equal(eq_size(q), 3);
    eq_fired f;
    assert_int_equal(eq_pop(q, &f), 0);
    assert_int_equal(f.arg, 3);
    assert_int_equal(eq_cancel(q, c), -1); /* fired */
    assert_int_equal(eq_cancel(q, b), 0);
    assert_int_equal(eq_pop(q, &f), 0);
    assert_int_equal(f.arg, 0);
    assert_int_equal(eq_pop(q, &f), -1);
}

/* A handle of an event that was in the front must not cancel its slot's
 * next occupant, whether that one is in the front or in the heap. */
static void test_front_stale_handle(void **state)
{
    eq_queue *q = *state;
    eq_fired f;
    eq_handle old = eq_push(q, 1, fn_a, NULL, 1); /* front */
    assert_int_equal(eq_pop(q, &f), 0);
    eq_handle now = eq_push(q, 2, fn_a, NULL, 2); /* same record, front again */
    assert_int_equal(now & 0xffffffffu, old & 0xffffffffu);
    assert_int_equal(eq_cancel(q, old), -1);
    assert_int_equal(eq_size(q), 1);
    assert_int_equal(eq_peek_time(q), 2);

    /* Cancelled in the front, then its record reused in the heap. */
    eq_handle c = eq_push(q, 1, fn_a, NULL, 3); /* front; 2 into the heap */
    assert_int_equal(eq_cancel(q, c), 0);
    eq_handle d = eq_push(q, 9, fn_a, NULL, 4); /* heap: 2 is earlier */
    assert_int_equal(d & 0xffffffffu, c & 0xffffffffu);
    assert_int_equal(eq_cancel(q, c), -1);
    assert_int_equal(eq_size(q), 2);
    assert_int_equal(eq_pop(q, &f), 0);
    assert_int_equal(f.arg, 2);
    assert_int_equal(eq_pop(q, &f), 0);
    assert_int_equal(f.arg, 4);
    assert_int_equal(eq_cancel(q, d), -1);
}

/* eq_pop_before: fires only t < until, from the front and from the heap. */
static void test_pop_before(void **state)
{
    eq_queue *q = *state;
    eq_fired f = { 0, NULL, NULL, 77 };
    assert_int_equal(eq_pop_before(q, INT64_MAX, &f), -1);
    eq_push(q, 20, fn_a, NULL, 1);
    eq_push(q, 10, fn_a, NULL, 0); /* front */
    assert_int_equal(eq_pop_before(q, 10, &f), -1); /* front at until */
    assert_int_equal(f.arg, 77);                    /* untouched */
    assert_int_equal(eq_size(q), 2);
    assert_int_equal(eq_pop_before(q, 11, &f), 0);
    assert_int_equal(f.arg, 0);
    assert_int_equal(eq_pop_before(q, 20, &f), -1); /* heap top at until */
    assert_int_equal(eq_size(q), 1);
    assert_int_equal(eq_pop_before(q, 21, &f), 0);
    assert_int_equal(f.arg, 1);
    assert_int_equal(eq_pop_before(q, INT64_MAX, &f), -1);
}

/* Reference model: pending events sorted descending by (t, seq), so the
 * earliest is at the end. */
typedef struct { sim_us t; uint64_t seq; eq_handle h; } ref_ev;

static int ref_before(const ref_ev *a, const ref_ev *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

/* Inserts e in its place among the n pending events. */
static void ref_insert(ref_ev *ref, size_t *n, ref_ev e)
{
    size_t i = *n;
    while (i > 0 && ref_before(&ref[i - 1], &e))
        i--;
    memmove(&ref[i + 1], &ref[i], (*n - i) * sizeof *ref);
    ref[i] = e;
    (*n)++;
}

/* Pushes an event at t on the queue and the reference; its handle. */
static eq_handle ref_push(eq_queue *q, ref_ev *ref, size_t *n, sim_us t, uint64_t *seq)
{
    ref_ev e = { t, *seq, 0 };
    e.h = eq_push(q, t, fn_a, NULL, *seq);
    assert_true(e.h != EQ_NO_HANDLE);
    (*seq)++;
    ref_insert(ref, n, e);
    return e.h;
}

/* The queue popped f: it must be the reference's earliest, which goes;
 * the new time. */
static sim_us ref_popped(ref_ev *ref, size_t *n, const eq_fired *f)
{
    (*n)--;
    assert_int_equal(f->t, ref[*n].t);
    assert_int_equal(f->arg, ref[*n].seq);
    return f->t;
}

/* Removes the pending event of handle h: 0, or -1 when none is pending
 * (what eq_cancel must answer). */
static int ref_remove(ref_ev *ref, size_t *n, eq_handle h)
{
    size_t i = 0;
    while (i < *n && ref[i].h != h)
        i++;
    if (i == *n)
        return -1;
    memmove(&ref[i], &ref[i + 1], (*n - i - 1) * sizeof *ref);
    (*n)--;
    return 0;
}

/* The queue holds as many events as the reference, the earliest first. */
static void ref_check(eq_queue *q, const ref_ev *ref, size_t n)
{
    assert_int_equal(eq_size(q), n);
    assert_true(eq_peek_time(q) == (n ? ref[n - 1].t : INT64_MAX));
}

static void test_differential(void **state)
{
    eq_queue *q = *state;
    enum { OPS = 100000, MAXH = OPS };
    ref_ev *ref = malloc(OPS * sizeof *ref);
    eq_handle *handles = malloc(MAXH * sizeof *handles);
    assert_non_null(ref);
    assert_non_null(handles);
    size_t n = 0, nh = 0;
    uint64_t seq = 0, s = 12345;
    sim_us now = 0;
    eq_fired f;
    for (int op = 0; op < OPS; op++) {
        uint64_t r = next_u64(&s);
        unsigned kind = (unsigned)(r % 10);
        /* Drift the push/pop mix so the size both grows and drains. */
        int push_bias = (op / 10000) % 2 ? 3 : 6;
        if (kind < (unsigned)push_bias) {
            handles[nh++] = ref_push(q, ref, &n, now + (sim_us)((r >> 8) % 64), &seq);
        } else if (kind < 8) {
            int rc = eq_pop(q, &f);
            if (n == 0) {
                assert_int_equal(rc, -1);
                continue;
            }
            assert_int_equal(rc, 0);
            now = ref_popped(ref, &n, &f);
        } else if (nh > 0) {
            eq_handle h = handles[(r >> 8) % nh];
            int want = ref_remove(ref, &n, h);
            assert_int_equal(eq_cancel(q, h), want);
        }
        ref_check(q, ref, n);
    }
    free(ref);
    free(handles);
}

/* The differential test again, with the model's mix: most pushes land a
 * few ticks after now, ahead of everything pending (the front's case), at
 * exactly now, or on the time of the event just popped; some far ahead;
 * pops through eq_pop and eq_pop_before; cancels of any handle, live or
 * stale, front or heap. */
static void test_differential_front(void **state)
{
    eq_queue *q = *state;
    enum { OPS = 200000 };
    ref_ev *ref = malloc(OPS * sizeof *ref);
    eq_handle *handles = malloc(OPS * sizeof *handles);
    assert_non_null(ref);
    assert_non_null(handles);
    size_t n = 0, nh = 0;
    uint64_t seq = 0, s = 424242;
    sim_us now = 0;
    eq_fired f;
    for (int op = 0; op < OPS; op++) {
        uint64_t r = next_u64(&s);
        unsigned kind = (unsigned)(r % 16);
        int grow = (op / 5000) % 2; /* alternate growing and draining */
        if (kind < (grow ? 9u : 6u)) {
            sim_us dt;
            unsigned how = (unsigned)((r >> 8) % 8);
            if (how < 3)
                dt = (sim_us)((r >> 16) % 3);        /* now, now+1, now+2 */
            else if (how < 6)
                dt = (sim_us)((r >> 16) % 40);       /* near */
            else
                dt = 1000 + (sim_us)((r >> 16) % 5000); /* far */
            handles[nh++] = ref_push(q, ref, &n, now + dt, &seq);
        } else if (kind < 13) {
            int rc;
            if (kind == 12) {
                sim_us until = now + (sim_us)((r >> 8) % 8);
                rc = eq_pop_before(q, until, &f);
                int want = n && ref[n - 1].t < until ? 0 : -1;
                assert_int_equal(rc, want);
                if (rc != 0)
                    goto check;
            } else {
                rc = eq_pop(q, &f);
                if (n == 0) {
                    assert_int_equal(rc, -1);
                    goto check;
                }
                assert_int_equal(rc, 0);
            }
            now = ref_popped(ref, &n, &f);
        } else if (nh > 0) {
            /* Mostly recent handles: those are the likely front events. */
            size_t k = (r >> 8) % 4 ? nh - 1 - (size_t)((r >> 16) % (nh < 4 ? nh : 4))
                                    : (size_t)((r >> 16) % nh);
            eq_handle h = handles[k];
            int want = ref_remove(ref, &n, h);
            assert_int_equal(eq_cancel(q, h), want);
        }
    check:
        ref_check(q, ref, n);
    }
    while (n > 0) {
        assert_int_equal(eq_pop(q, &f), 0);
        n--;
        assert_int_equal(f.arg, ref[n].seq);
    }
    assert_int_equal(eq_pop(q, &f), -1);
    free(ref);
    free(handles);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pop_empty, q_setup, q_teardown),
        cmocka_unit_test_setup_teardown(test_time_order, q_setup, q_teardown),
        cmocka_unit_test_setup_teardown(test_payload, q_setup, q_teardown),
        cmocka_unit_test_setup_teardown(test_tie_fifo, q_setup, q_teardown),
        cmocka_unit_test_setup_teardown(test_extreme_times, q_setup, q_teardown),
        cmocka_unit_test_setup_teardown(test_cancel, q_setup, q_teardown),
        cmocka_unit_test_setup_teardown(test_stale_handle, q_setup, q_teardown),
        cmocka_unit_test_setup_teardown(test_pool_reuse, q_setup, q_teardown),
        cmocka_unit_test(test_growth),
        cmocka_unit_test_setup_teardown(test_front_ties, q_setup, q_teardown),
        cmocka_unit_test_setup_teardown(test_front_tie_chain, q_setup, q_teardown),
        cmocka_unit_test_setup_teardown(test_front_cancel, q_setup, q_teardown),
        cmocka_unit_test_setup_teardown(test_front_displaced, q_setup, q_teardown),
        cmocka_unit_test_setup_teardown(test_front_stale_handle, q_setup, q_teardown),
        cmocka_unit_test_setup_teardown(test_pop_before, q_setup, q_teardown),
        cmocka_unit_test_setup_teardown(test_differential, q_setup, q_teardown),
        cmocka_unit_test_setup_teardown(test_differential_front, q_setup, q_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
