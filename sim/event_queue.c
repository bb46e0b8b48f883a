/* event_queue.c - pending events as a 4-ary min-heap keyed by (time, seq),
 * with the earliest event often held in a slot outside the heap.
 *
 * Invariant: heap[i] <= heap[4i+1 .. 4i+4] under (t, key) order, where key
 * = seq << EQ_SLOT_BITS | slot. seq is unique and increasing, so comparing
 * keys compares seqs and ties in time resolve by insertion order. Heap
 * entries are 16 bytes and carry the sort key inline, so sifting never
 * touches the record pool; the pool stores each record's heap position for
 * O(log n) cancel. A 4-ary heap halves the depth of a binary one and keeps
 * a node's four children in 64 contiguous bytes.
 *
 * The front slot: when has_front, front is an event earlier than every
 * event in the heap (front < heap[0] under (t, key) order). A push earlier
 * than every pending event goes there instead of into the heap (its
 * previous occupant, if any, moves into the heap), and a pop takes it
 * without touching the heap. The model's usual step - pop an event, whose
 * handler schedules the next KV operation's completion a few ms later,
 * sooner than anything else pending - then costs one comparison each way
 * instead of a sift up and a sift down. Since a pushed event's seq is
 * larger than every pending one's, "earlier than X" for a new event is
 * t < X.t: a tie in time goes behind X, as insertion order demands.
 *
 * The layout and the front slot's fast paths are in event_queue_int.h, so
 * the run loop (sim/sim.c) inlines them; eq_push and eq_pop_before here do
 * the same steps and every other case. */
#include "event_queue.h"
#include "event_queue_int.h"

#include <assert.h>
#include <stdlib.h>

#define SLOT_MASK EQ__SLOT_MASK
#define NIL EQ__NIL
#define FRONT_POS EQ__FRONT_POS /* a record's pos while it is the front */

static inline int entry_less(const eq_entry *a, const eq_entry *b)
{
    return a->t < b->t || (a->t == b->t && a->key < b->key);
}

/* entry_less without branches where the compiler has 128-bit integers:
 * (t with its sign bit flipped, key) compared as one unsigned number. */
static inline int entry_less_nb(const eq_entry *a, const eq_entry *b)
{
#ifdef __SIZEOF_INT128__
    const uint64_t flip = (uint64_t)1 << 63;
    unsigned __int128 x = (unsigned __int128)((uint64_t)a->t ^ flip) << 64 | a->key;
    unsigned __int128 y = (unsigned __int128)((uint64_t)b->t ^ flip) << 64 | b->key;
    return x < y;
#else
    return entry_less(a, b);
#endif
}

/* The smallest of h[c .. c+3]. Below the root which child wins is a coin
 * toss the branch predictor cannot learn, so select with arithmetic: this
 * took the hold benchmark from 7.5 to ~10.5 M events/s at 100,000 pending
 * (bench/bench_engine.c). */
static inline size_t min_of_4(const eq_entry *h, size_t c)
{
    size_t a = c + (size_t)entry_less_nb(&h[c + 1], &h[c]);
    size_t b = c + 2 + (size_t)entry_less_nb(&h[c + 3], &h[c + 2]);
    size_t b_wins = (size_t)entry_less_nb(&h[b], &h[a]);
    return a ^ ((a ^ b) & -b_wins);
}

#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

static inline void place(eq_queue *q, size_t i, eq_entry e)
{
    q->heap[i] = e;
    q->pool[e.key & SLOT_MASK].pos = (uint32_t)i;
}

static void sift_up(eq_queue *q, size_t i, eq_entry e)
{
    while (i > 0) {
        size_t parent = (i - 1) >> 2;
        if (!entry_less(&e, &q->heap[parent]))
            break;
        place(q, i, q->heap[parent]);
        i = parent;
    }
    place(q, i, e);
}

static void sift_down(eq_queue *q, size_t i, eq_entry e)
{
    size_t n = q->n;
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n)
            break;
        size_t g = 4 * c + 1; /* 16 grandchildren, 256 contiguous bytes */
        if (g + 15 < n) {
            /* Fetch the next level while this one is compared. */
            PREFETCH(&q->heap[g]);
            PREFETCH(&q->heap[g + 4]);
            PREFETCH(&q->heap[g + 8]);
            PREFETCH(&q->heap[g + 12]);
            PREFETCH(&q->heap[g + 15]);
        }
        size_t best;
        if (i > 0 && c + 4 <= n) {
            best = min_of_4(q->heap, c);
        } else {
            /* The root's children change by one entry per pop, so these
             * branches repeat and predict well (measured faster than
             * min_of_4 here); the last group may be partial. */
            size_t end = c + 4 < n ? c + 4 : n;
            best = c;
            for (size_t k = c + 1; k < end; k++)
                if (entry_less(&q->heap[k], &q->heap[best]))
                    best = k;
        }
        if (!entry_less(&q->heap[best], &e))
            break;
        place(q, i, q->heap[best]);
        i = best;
    }
    place(q, i, e);
}

static int grow(eq_queue *q)
{
    size_t cap = q->pool_cap ? q->pool_cap * 2 : 64;
    if (cap > EQ_MAX_PENDING)
        cap = EQ_MAX_PENDING;
    if (cap <= q->pool_cap)
        return -1;
    eq_record *pool = realloc(q->pool, cap * sizeof *pool);
    if (!pool)
        return -1;
    q->pool = pool;
    eq_entry *heap = realloc(q->heap, cap * sizeof *heap);
    if (!heap)
        return -1;
    q->heap = heap;
    q->pool_cap = cap;
    return 0;
}

eq_queue *eq_new(size_t initial_capacity)
{
    eq_queue *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->free_head = NIL;
    if (initial_capacity > EQ_MAX_PENDING)
        initial_capacity = EQ_MAX_PENDING;
    if (initial_capacity) {
        q->pool = malloc(initial_capacity * sizeof *q->pool);
        q->heap = malloc(initial_capacity * sizeof *q->heap);
        if (!q->pool || !q->heap)
            goto fail;
        q->pool_cap = initial_capacity;
    }
    return q;
fail:
    eq_free(q);
    return NULL;
}

void eq_free(eq_queue *q)
{
    if (!q)
        return;
    free(q->heap);
    free(q->pool);
    free(q);
}

/* The slow paths of eq_push and of a pop, kept out of line so the fast
 * paths (the front slot) are leaf functions that save no registers: 16-18
 * instructions of prologue and epilogue per call on busy.json before. */
#if defined(__GNUC__)
#define COLD __attribute__((noinline))
#else
#define COLD
#endif

/* e into the heap; returns h, so the caller's call is a tail call. */
static COLD eq_handle push_heap(eq_queue *q, eq_entry e, eq_handle h)
{
    q->n++;
    sift_up(q, q->n - 1, e);
    return h;
}

/* e, earlier than the front, becomes the front; the old front, earlier
 * than every heap entry, goes into the heap (to its root). */
static COLD eq_handle push_displace(eq_queue *q, eq_entry e, eq_handle h)
{
    q->n++;
    sift_up(q, q->n - 1, q->front);
    q->front = e;
    q->pool[e.key & SLOT_MASK].pos = FRONT_POS;
    return h;
}

/* The free list is empty: a record from the end of the pool (grown when
 * full) is put on it, and the push starts again. */
static COLD eq_handle push_new_slot(eq_queue *q, sim_us t, eq_fn fn, void *obj, uint64_t arg)
{
    if (q->pool_used == q->pool_cap && grow(q) != 0)
        return EQ_NO_HANDLE;
    uint32_t slot = (uint32_t)q->pool_used++;
    q->pool[slot].gen = 0;
    q->pool[slot].pos = NIL;
    q->free_head = slot;
    return eq_push(q, t, fn, obj, arg);
}

eq_handle eq_push(eq_queue *q, sim_us t, eq_fn fn, void *obj, uint64_t arg)
{
    uint32_t slot = q->free_head;
    if (slot == NIL)
        return push_new_slot(q, t, fn, obj, arg);
    eq_record *r = eq__take_record(q, slot, fn, obj, arg);
    eq_entry e = { t, (q->next_seq++ << EQ_SLOT_BITS) | slot };
    eq_handle h = ((uint64_t)r->gen << 32) | slot;
    if (q->has_front) {
        if (t < q->front.t)
            return push_displace(q, e, h);
        return push_heap(q, e, h);
    }
    if (q->n != 0 && t >= q->heap[0].t)
        return push_heap(q, e, h);
    q->front = e; /* earlier than every pending event */
    q->has_front = 1;
    r->pos = FRONT_POS;
    return h;
}

static void remove_at(eq_queue *q, size_t i)
{
    eq_entry last = q->heap[--q->n];
    if (i == q->n)
        return;
    if (i > 0 && entry_less(&last, &q->heap[(i - 1) >> 2]))
        sift_up(q, i, last);
    else
        sift_down(q, i, last);
}

int eq_cancel(eq_queue *q, eq_handle h)
{
    uint32_t slot = (uint32_t)(h & 0xffffffffu);
    uint32_t gen = (uint32_t)(h >> 32);
    if (h == EQ_NO_HANDLE || slot >= q->pool_used)
        return -1;
    eq_record *r = &q->pool[slot];
    if (r->gen != gen)
        return -1;
    size_t i = r->pos;
    if (i == FRONT_POS) {
        if (!q->has_front || (q->front.key & SLOT_MASK) != slot)
            return -1;
        q->has_front = 0; /* the heap's top is now the earliest */
    } else {
        if (i >= q->n || (q->heap[i].key & SLOT_MASK) != slot)
            return -1;
        remove_at(q, i);
    }
    eq__release(q, slot);
    return 0;
}

static inline void fire(eq_queue *q, eq_entry top, eq_fired *out)
{
    uint32_t slot = (uint32_t)(top.key & SLOT_MASK);
    const eq_record *r = &q->pool[slot];
    out->t = top.t;
    out->fn = r->fn;
    out->obj = r->obj;
    out->arg = r->arg;
    eq__release(q, slot);
}

/* Pops the heap's top if its time is < until (the front is empty). */
static COLD int pop_heap(eq_queue *q, sim_us until, eq_fired *out)
{
    if (q->n == 0 || q->heap[0].t >= until)
        return -1;
    eq_entry top = q->heap[0];
    remove_at(q, 0);
    fire(q, top, out);
    return 0;
}

static inline sim_us peek_time(const eq_queue *q)
{
    if (q->has_front)
        return q->front.t;
    return q->n ? q->heap[0].t : INT64_MAX;
}

/* The front, when there is one, is the earliest by the invariant: no
 * comparison with the heap. */
int eq_pop(eq_queue *q, eq_fired *out)
{
    if (q->has_front) {
        eq__take_front(q, out);
        return 0;
    }
    if (q->n == 0)
        return -1;
    /* Not pop_heap(INT64_MAX): an event may be due at INT64_MAX. */
    eq_entry top = q->heap[0];
    remove_at(q, 0);
    fire(q, top, out);
    return 0;
}

int eq_pop_before(eq_queue *q, sim_us until, eq_fired *out)
{
    if (q->has_front) {
        if (q->front.t >= until)
            return -1;
        eq__take_front(q, out);
        return 0;
    }
    return pop_heap(q, until, out);
}

sim_us eq_peek_time(const eq_queue *q)
{
    return peek_time(q);
}

size_t eq_size(const eq_queue *q)
{
    return q->n + (size_t)(q->has_front != 0);
}

size_t eq_pool_size(const eq_queue *q)
{
    return q->pool_used;
}
