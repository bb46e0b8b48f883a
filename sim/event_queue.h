/* event_queue.h - pending events: a 4-ary min-heap keyed by (time, seq),
 * plus a slot outside the heap for an event pushed earlier than all others.
 *
 * seq is a per-queue insertion counter, so events with equal times pop in
 * the order they were pushed and a replay is bit-identical. Event records
 * live in a pool with a free list: pushing allocates nothing once the pool
 * has grown to the run's high-water mark (it doubles, so growth is
 * amortised O(1) and happens a logarithmic number of times). */
#ifndef QSIM_EVENT_QUEUE_H
#define QSIM_EVENT_QUEUE_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t sim_us; /* simulated time, microseconds */

/* What fires: a generic function pointer that the owner of the queue casts
 * back to its own handler type before calling (C allows the round trip);
 * the queue never calls it. sim.h's sim_fn is the usual one. */
typedef void (*eq_fn)(void);

/* A handle names one pushed event: slot in the low 32 bits, the slot's
 * generation in the high 32, so a stale handle never cancels a reused slot. */
typedef uint64_t eq_handle;
#define EQ_NO_HANDLE UINT64_MAX

typedef struct eq_fired {
    sim_us t;
    eq_fn fn;
    void *obj;
    uint64_t arg;
} eq_fired;

typedef struct eq_queue eq_queue;

/* Returns NULL when out of memory. */
eq_queue *eq_new(size_t initial_capacity);
void eq_free(eq_queue *q);

/* Pushes an event at time t. Returns EQ_NO_HANDLE only when out of memory
 * (or past EQ_MAX_PENDING pending events). */
eq_handle eq_push(eq_queue *q, sim_us t, eq_fn fn, void *obj, uint64_t arg);

/* Removes a pending event. Returns 0, or -1 when the handle has already
 * fired or been cancelled (cancelling twice is harmless). */
int eq_cancel(eq_queue *q, eq_handle h);

/* Pops the earliest event into *out. Returns 0, or -1 when empty. */
int eq_pop(eq_queue *q, eq_fired *out);
/* Pops the earliest event into *out if its time is < until. Returns 0, or
 * -1 (queue unchanged) when empty or the earliest is at until or later:
 * eq_peek_time and eq_pop in one call, for the run loop. */
int eq_pop_before(eq_queue *q, sim_us until, eq_fired *out);

/* Earliest pending time; INT64_MAX when empty. */
sim_us eq_peek_time(const eq_queue *q);
size_t eq_size(const eq_queue *q);
/* Slots ever allocated: the pool's size, for tests of reuse. */
size_t eq_pool_size(const eq_queue *q);

/* The heap packs seq and slot into one 64-bit key: 40 bits of seq
 * (1.1e12 pushes per run) and 24 bits of slot (16.7 M pending events). */
#define EQ_SLOT_BITS 24
#define EQ_MAX_PENDING ((size_t)1 << EQ_SLOT_BITS)

#endif
