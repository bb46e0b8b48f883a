/* event_queue_int.h - the event queue's layout and its front slot's fast
 * paths, shared by sim/event_queue.c and the run loop in sim/sim.c only
 * (the way model/scenario_int.h serves the loader's files): sim_at and the
 * loop inline the common step - push an event earlier than every pending
 * one into the empty front slot, pop it back - and call eq_push and
 * eq_pop_before for everything else. Not for use outside sim/. */
#ifndef QSIM_EVENT_QUEUE_INT_H
#define QSIM_EVENT_QUEUE_INT_H

#include "event_queue.h"

typedef struct {
    sim_us t;
    uint64_t key; /* seq << EQ_SLOT_BITS | slot */
} eq_entry;

typedef struct {
    eq_fn fn;
    void *obj;
    uint64_t arg;
    uint32_t pos;  /* index in heap while pending; EQ__FRONT_POS in the
                    * front; free-list link when free */
    uint32_t gen;  /* bumped on every release */
} eq_record;

struct eq_queue {
    eq_entry *heap;
    size_t n;           /* heap entries (the front not counted) */
    eq_record *pool;
    size_t pool_cap;
    size_t pool_used;   /* slots ever handed out */
    uint32_t free_head; /* EQ__NIL when empty */
    uint64_t next_seq;
    eq_entry front;     /* valid when has_front: before every heap entry */
    int has_front;
};

#define EQ__SLOT_MASK (((uint64_t)1 << EQ_SLOT_BITS) - 1)
#define EQ__NIL UINT32_MAX
#define EQ__FRONT_POS (UINT32_MAX - 1)

/* A record back on the free list; its generation moves on, so handles to
 * it go stale. */
static inline void eq__release(eq_queue *q, uint32_t slot)
{
    eq_record *r = &q->pool[slot];
    r->gen++;
    r->pos = q->free_head;
    q->free_head = slot;
}

/* Takes record slot (the free list's head) off the free list and fills it. */
static inline eq_record *eq__take_record(eq_queue *q, uint32_t slot, eq_fn fn, void *obj, uint64_t arg)
{
    eq_record *r = &q->pool[slot];
    q->free_head = r->pos;
    r->fn = fn;
    r->obj = obj;
    r->arg = arg;
    return r;
}

/* eq_push, with the case of an empty front slot and an event earlier than
 * the heap's top (or an empty heap) done inline. */
static inline eq_handle eq__push(eq_queue *q, sim_us t, eq_fn fn, void *obj, uint64_t arg)
{
    uint32_t slot = q->free_head;
    if (q->has_front || slot == EQ__NIL || (q->n != 0 && t >= q->heap[0].t))
        return eq_push(q, t, fn, obj, arg);
    eq_record *r = eq__take_record(q, slot, fn, obj, arg);
    r->pos = EQ__FRONT_POS;
    q->front.t = t;
    q->front.key = (q->next_seq++ << EQ_SLOT_BITS) | slot;
    q->has_front = 1;
    return ((uint64_t)r->gen << 32) | slot;
}

/* Takes the front event off the queue (has_front is set) and returns its
 * record, already released: its fn, obj and arg stay as they are until the
 * next push reuses it, and q->front.t keeps its time until the next push
 * into the front. */
static inline const eq_record *eq__take_front_record(eq_queue *q)
{
    uint32_t slot = (uint32_t)(q->front.key & EQ__SLOT_MASK);
    q->has_front = 0;
    eq__release(q, slot);
    return &q->pool[slot];
}

/* The front event into *out and off the queue (has_front is set). */
static inline void eq__take_front(eq_queue *q, eq_fired *out)
{
    const eq_record *r = eq__take_front_record(q);
    out->t = q->front.t;
    out->fn = r->fn;
    out->obj = r->obj;
    out->arg = r->arg;
}

#endif
