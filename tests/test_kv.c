/* test_kv.c - the KV model's cache snapshots (model/kv.c): the index of
 * open entries that the pending scan walks (kv_list_next_open and its
 * in-order form kv_list_next_open_at) must give exactly what a scan of
 * every entry gives, in the same order, on randomized snapshots, after a
 * status change (a copy-on-write snapshot), and on recycled snapshots whose
 * index storage was sized by an earlier value. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "model/kv.h"
#include "model/msg.h"

#define WINDOW 200

typedef struct {
    sim_ctx *ctx;
    msg_table msgs;
    kv_store *kv;
    uint64_t seed; /* the test's own generator (splitmix64): no model stream */
} fixture;

static uint64_t next_rand(fixture *f)
{
    uint64_t z = (f->seed += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* One location, the window, the store's limits; no latencies. */
static kv_config base_cfg(void)
{
    kv_config cfg = { 0 };
    cfg.nlocs = 1;
    cfg.window = WINDOW;
    cfg.cache_key_name = "recent:comments";
    cfg.value_max_bytes = 1 << 20;
    cfg.key_max_bytes = 512;
    return cfg;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->ctx = sim_new(1);
    assert_non_null(f->ctx);
    msg_table_init(&f->msgs);
    for (int k = 0; k < WINDOW; k++) { /* entry k is message k (its bytes) */
        char id[32];
        snprintf(id, sizeof id, "%d-m%d", 1000 + k, k);
        assert_int_equal(msg_add(&f->msgs, id, 1000 + k), (uint32_t)k);
    }
    kv_config cfg = base_cfg();
    f->kv = kv_new(f->ctx, &cfg, &f->msgs);
    assert_non_null(f->kv);
    f->seed = 18;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    kv_free(f->kv);
    msg_table_deinit(&f->msgs);
    sim_free(f->ctx);
    free(f);
    return 0;
}

/* The definition, entry by entry: bot work with a non-terminal status. */
static uint32_t full_scan(const kv_list *l, uint32_t i)
{
    for (; i < l->n; i++)
        if (l->e[i].work && l->e[i].status != MS_COMPLETE && l->e[i].status != MS_FAILED)
            return i;
    return l->n;
}

/* A snapshot of n entries, each bot work with probability work_pct %, and
 * a status drawn from the five (so terminal and open work both occur). */
static kv_list *random_list(fixture *f, uint32_t n, unsigned work_pct)
{
    kv_list *l = kv_list_new(f->kv);
    assert_non_null(l);
    for (uint32_t k = 0; k < n; k++) {
        l->e[k].msg = k;
        l->e[k].work = next_rand(f) % 100 < work_pct;
        l->e[k].status = (uint8_t)(next_rand(f) % 5);
    }
    l->n = n;
    return l;
}

/* Every query from every i in 0..n+1, and the scan the pending endpoint
 * makes (from 0, then from the last answer + 1), both ways. */
static void check_list(fixture *f, kv_list *l)
{
    for (uint32_t i = 0; i <= l->n + 1; i++)
        assert_int_equal(kv_list_next_open(l, i), full_scan(l, i));
    uint32_t k = 0, a = 0, b = 0, steps = 0;
    for (;;) {
        a = kv_list_next_open_at(l, a, &k);
        assert_int_equal(a, full_scan(l, b));
        if (a >= l->n)
            break;
        b = a + 1;
        a = a + 1;
        steps++;
    }
    uint32_t open = 0;
    for (uint32_t i = 0; i < l->n; i++)
        open += full_scan(l, i) == i;
    assert_int_equal(steps, open);
    /* a hint that does not fit the query (a scan restarted elsewhere, or
     * another list's) still gives the right answer */
    for (int r = 0; r < 50; r++) {
        uint32_t i = (uint32_t)(next_rand(f) % (l->n + 2));
        k = (uint32_t)(next_rand(f) % (l->n + 3));
        assert_int_equal(kv_list_next_open_at(l, i, &k), full_scan(l, i));
        if (full_scan(l, i) < l->n) /* and the hint it leaves serves the next */
            assert_int_equal(kv_list_next_open_at(l, full_scan(l, i) + 1, &k), full_scan(l, full_scan(l, i) + 1));
    }
}

static void test_open_index_matches_scan(void **state)
{
    fixture *f = *state;
    static const unsigned pcts[] = { 0, 1, 5, 30, 70, 100 };
    for (int round = 0; round < 200; round++) {
        uint32_t n = round < 3 ? (uint32_t)round : (uint32_t)(next_rand(f) % (WINDOW + 1));
        kv_list *l = random_list(f, n, pcts[round % 6]);
        check_list(f, l);
        kv_list_unref(f->kv, l); /* recycled: the next round reuses it */
    }
}

/* A status change copies a shared snapshot (and rebuilds the index of the
 * copy) or changes an unshared one in place (and invalidates its index):
 * either way the scan sees the new status, and the shared original keeps
 * its own answers. */
static void test_open_index_follows_changes(void **state)
{
    fixture *f = *state;
    for (int round = 0; round < 100; round++) {
        kv_list *l = random_list(f, 1 + (uint32_t)(next_rand(f) % WINDOW), 60);
        check_list(f, l);
        kv_list *shared = kv_list_ref(l);
        uint32_t before[WINDOW + 1];
        for (uint32_t i = 0; i <= shared->n; i++)
            before[i] = full_scan(shared, i);
        for (int c = 0; c < 5; c++) {
            uint32_t idx = (uint32_t)(next_rand(f) % l->n);
            assert_int_equal(kv_list_set_status(f->kv, &l, idx, (int)(next_rand(f) % 5)), 0);
            check_list(f, l);
        }
        assert_ptr_not_equal(l, shared);
        for (uint32_t i = 0; i <= shared->n; i++)
            assert_int_equal(kv_list_next_open(shared, i), before[i]);
        kv_list_unref(f->kv, shared);
        kv_list_unref(f->kv, l);
    }
}

/* A location's copies and kv_location_forget (Cron Triggers on a fresh
 * machine): cache_ttl 60 s, a hit takes 1 ms, a miss 20 ms. A comment key
 * read at 0 s is a hit at 1 s (its copy lives to 60.020 s); after a forget
 * at 2 s the same key and one read before the forget are misses, and the
 * copies those misses fetch serve the reads at 3 s again. */
typedef struct {
    kv_store *kv;
    kv_op op;
    sim_us done_at[8];
    int n;
} forget_run;

static void forget_done(sim_ctx *ctx, kv_op *op)
{
    forget_run *r = (forget_run *)((char *)op - offsetof(forget_run, op));
    r->done_at[r->n++] = sim_now(ctx);
}

static void forget_get(sim_ctx *ctx, void *obj, uint64_t arg)
{
    (void)ctx;
    forget_run *r = obj;
    if (arg & 0x100u)
        kv_location_forget(r->kv, 0);
    memset(&r->op, 0, sizeof r->op);
    r->op.type = KV_GET;
    r->op.pin_lat = -1;
    r->op.loc = 0;
    r->op.key = kv_key_msg((uint32_t)(arg & 0xffu), 0);
    r->op.done = forget_done;
    kv_get(r->kv, &r->op);
}

static void test_forget_drops_the_copies(void **state)
{
    fixture *f = *state;
    kv_free(f->kv);
    kv_config cfg = base_cfg();
    cfg.cache_ttl = 60 * SIM_US_PER_S;
    cfg.get_hit = dist_const(1000);
    cfg.get_miss = dist_const(20000);
    cfg.put = dist_const(30000);
    f->kv = kv_new(f->ctx, &cfg, &f->msgs);
    assert_non_null(f->kv);
    static forget_run r;
    memset(&r, 0, sizeof r);
    r.kv = f->kv;
    const sim_us S = SIM_US_PER_S;
    sim_at(f->ctx, 0, forget_get, &r, 1);                    /* key 1: miss */
    sim_at(f->ctx, S / 2, forget_get, &r, 2);                /* key 2: miss */
    sim_at(f->ctx, 1 * S, forget_get, &r, 1);                /* key 1: hit */
    sim_at(f->ctx, 2 * S, forget_get, &r, 0x100u | 1u);      /* forget, key 1: miss */
    sim_at(f->ctx, 2 * S + S / 2, forget_get, &r, 2);        /* key 2, fetched before: miss */
    sim_at(f->ctx, 3 * S, forget_get, &r, 1);                /* key 1: hit again */
    sim_at(f->ctx, 3 * S + S / 2, forget_get, &r, 2);        /* key 2: hit again */
    sim_run(f->ctx);
    const sim_us want[7] = { 20000, S / 2 + 20000, S + 1000, 2 * S + 20000, 2 * S + S / 2 + 20000,
                             3 * S + 1000, 3 * S + S / 2 + 1000 };
    assert_int_equal(r.n, 7);
    for (int i = 0; i < 7; i++)
        assert_int_equal(r.done_at[i], want[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_index_matches_scan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_index_follows_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forget_drops_the_copies, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
