/* test_track.c - the tracker's reading of central cache writes
 * (model/track.c), fed hand-made values so that each kind of change is
 * exercised on purpose: a status change, entries that swap places, the
 * window sliding (aged out or lost, by the definition in track.c), a
 * message twice in one value, and a value after that. Most writes take the
 * fast path (the entries that differ only), the value with a message twice
 * and the one after it the full one; the expected counts come from the
 * definitions, not from a run. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/kv.h"
#include "model/msg.h"
#include "model/track.h"

typedef struct {
    sim_ctx *ctx;
    msg_table msgs;
    kv_store *kv;
    track *t;
    uint32_t m[8]; /* messages a..h */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->ctx = sim_new(1);
    assert_non_null(f->ctx);
    msg_table_init(&f->msgs);
    static const char *const ids[8] = { "1-a", "2-b", "3-c", "4-d", "5-e", "6-f", "7-g", "8-h" };
    for (int k = 0; k < 8; k++) {
        f->m[k] = msg_add(&f->msgs, ids[k], k + 1);
        assert_int_not_equal(f->m[k], MSG_NONE);
        msg_get(&f->msgs, f->m[k])->type = MT_HUMAN; /* plain chat: no bot work */
    }
    kv_config cfg = { 0 };
    cfg.nlocs = 1;
    cfg.window = 3;
    cfg.cache_key_name = "recent:comments";
    cfg.value_max_bytes = 1 << 20;
    cfg.key_max_bytes = 512;
    f->kv = kv_new(f->ctx, &cfg, &f->msgs);
    assert_non_null(f->kv);
    f->t = track_new(f->ctx, &f->msgs, f->kv);
    assert_non_null(f->t);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    track_free(f->t);
    kv_free(f->kv);
    msg_table_deinit(&f->msgs);
    sim_free(f->ctx);
    free(f);
    return 0;
}

/* A value holding messages idx[0..n) (indices into f->m), all MS_NONE
 * unless status >= 0 for the entry at position at. */
static kv_list *value(fixture *f, const int *idx, int n, int at, int status)
{
    kv_list *l = kv_list_new(f->kv);
    assert_non_null(l);
    for (int k = 0; k < n; k++) {
        l->e[l->n].msg = f->m[idx[k]];
        l->e[l->n].status = (uint8_t)(k == at && status >= 0 ? status : MS_NONE);
        l->e[l->n].work = 0;
        l->n++;
    }
    return l;
}

static int64_t counter(fixture *f, const char *name)
{
    met_id id = met_find_counter(sim_metrics(f->ctx), name);
    assert_true(id >= 0);
    return met_counter_value(sim_metrics(f->ctx), id);
}

static void expect(fixture *f, int64_t removals, int64_t lost, int64_t aged)
{
    assert_int_equal(counter(f, "cache.overwrite_removals"), removals);
    assert_int_equal(counter(f, "cache.lost_by_overwrite"), lost);
    assert_int_equal(counter(f, "cache.aged_out"), aged);
}

static void test_writes_of_each_kind(void **state)
{
    fixture *f = *state;
    enum { A, B, C, D, E, F, G };
    kv_list *v[8];
    int n = 0;
    v[n++] = value(f, (int[]){ A, B, C }, 3, -1, -1);
    track_on_write(f->t, KV_KEY_CACHE, NULL, v[0], -1);
    expect(f, 0, 0, 0);
    /* a status change in place: nothing leaves */
    v[n++] = value(f, (int[]){ A, B, C }, 3, 1, MS_PENDING);
    track_on_write(f->t, KV_KEY_CACHE, v[0], v[1], -1);
    expect(f, 0, 0, 0);
    /* a and b swap places: both are still in the cache, nothing leaves */
    v[n++] = value(f, (int[]){ B, A, C }, 3, 0, MS_PENDING);
    track_on_write(f->t, KV_KEY_CACHE, v[1], v[2], -1);
    expect(f, 0, 0, 0);
    /* b leaves a full window, but a (older than b) stays: b did not age
     * out, an overwrite lost it */
    v[n++] = value(f, (int[]){ A, C, D }, 3, -1, -1);
    track_on_write(f->t, KV_KEY_CACHE, v[2], v[3], -1);
    expect(f, 1, 1, 0);
    /* a leaves: everything kept arrived after it, it aged out */
    v[n++] = value(f, (int[]){ C, D, E }, 3, -1, -1);
    track_on_write(f->t, KV_KEY_CACHE, v[3], v[4], -1);
    expect(f, 1, 1, 1);
    /* d twice: e leaves (lost: c, older, stays) */
    v[n++] = value(f, (int[]){ C, D, D }, 3, -1, -1);
    track_on_write(f->t, KV_KEY_CACHE, v[4], v[5], -1);
    expect(f, 2, 2, 1);
    /* after the value with d twice: f arrives, c d stay, nothing leaves */
    v[n++] = value(f, (int[]){ C, D, F }, 3, -1, -1);
    track_on_write(f->t, KV_KEY_CACHE, v[5], v[6], -1);
    expect(f, 2, 2, 1);
    /* e comes back (a stale writer's copy) and c leaves for good: c is
     * older than all kept, so it aged out; then the value slides again */
    v[n++] = value(f, (int[]){ D, F, E }, 3, -1, -1);
    track_on_write(f->t, KV_KEY_CACHE, v[6], v[7], -1);
    expect(f, 2, 2, 2);
    for (int k = 0; k < n; k++)
        kv_list_unref(f->kv, v[k]);
    (void)G;
}

/* The tracker takes the old value of a write as the one it followed last
 * when it is the same snapshot with the same gen (kv.h): a snapshot its only
 * holder changed in place (kv_list_mutable, or a direct change announced
 * by kv_list_touch) has a new gen and is read again. Here [a, b, c] is
 * followed, then changed in place to [a, c, b], then replaced by
 * [a, b, d]: the entry that left the old value is c (lost: a, older,
 * stays). Taken as the value followed, the entry at d's place would be b,
 * and b would be counted lost in c's stead; the next write, where b does
 * leave, tells the two apart: b is lost a first time (two messages lost),
 * not again (one). */
static void changed_in_place(fixture *f, int touch)
{
    enum { A, B, C, D, E };
    kv_list *o = value(f, (int[]){ A, B, C }, 3, -1, -1);
    track_on_write(f->t, KV_KEY_CACHE, NULL, o, -1);
    if (!touch) {
        kv_list *keep = o;
        assert_int_equal(kv_list_mutable(f->kv, &o), 0);
        assert_ptr_equal(o, keep); /* not shared: changed in place */
    }
    o->e[1].msg = f->m[C];
    o->e[2].msg = f->m[B];
    if (touch)
        kv_list_touch(f->kv, o);
    kv_list *nl = value(f, (int[]){ A, B, D }, 3, -1, -1);
    track_on_write(f->t, KV_KEY_CACHE, o, nl, -1);
    expect(f, 1, 1, 0);
    kv_list *n2 = value(f, (int[]){ A, D, E }, 3, -1, -1);
    track_on_write(f->t, KV_KEY_CACHE, nl, n2, -1);
    expect(f, 2, 2, 0);
    kv_list_unref(f->kv, o);
    kv_list_unref(f->kv, nl);
    kv_list_unref(f->kv, n2);
}

static void test_mutable_in_place_is_read_again(void **state) { changed_in_place(*state, 0); }
static void test_touched_is_read_again(void **state) { changed_in_place(*state, 1); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_writes_of_each_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mutable_in_place_is_read_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_touched_is_read_again, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
