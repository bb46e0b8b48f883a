/* track.h - what MODEL.md section 6 measures beyond operation counts:
 * divergence episodes and healing latency, stuck messages over time,
 * messages lost from the cache by overwrite vs aging, liveness and safety.
 *
 * It observes two things only: writes landing in the central store (a KV
 * observer) and requests ending (a call hook). A message diverges when its
 * cache entry's status differs from its individual key's status with no
 * request in flight on it; the episode opens then and closes at the put that
 * makes them agree (healed) or when the entry leaves the cache or the run
 * ends (censored, never counted as healed). Only bot work (human messages
 * with an entity) is tracked for divergence. */
#ifndef QSIM_TRACK_H
#define QSIM_TRACK_H

#include "model/call.h"
#include "model/kv.h"
#include "model/msg.h"
#include "sim/sim.h"

typedef struct track track;

track *track_new(sim_ctx *ctx, msg_table *msgs, kv_store *kv);
/* Runtime invariants (--check, and always in tests): the cache never holds
 * more than the window, no request runs more KV operations than the
 * per-invocation limit allows, the clock never goes back. A violation stops
 * the run; track_violation() then says when, which message, which rule.
 * A stored status going back from terminal (a stale or late claim) is a
 * behaviour of the real system, not a model error: it is counted
 * (safety.status_regressions), never fatal. */
void track_set_check(track *t, int op_limit);
/* Where stored statuses come from when a strategy holds the queue (kept
 * by reference; its status NULL: KV's central store). */
void track_set_backend(track *t, const call_backend *b);
const char *track_violation(const track *t);
void track_free(track *t);
/* tag: the writing call's endpoint (ep_kind), -1 from outside. */
void track_on_write(void *ud, uint32_t key, const kv_list *old_list, const kv_list *new_list, int tag);
void track_on_call_end(void *ud, const call *c);
/* Closes the run: censors open episodes, counts unanswered messages. -1
 * if its closing counter could not be registered (out of memory): the
 * run's figures are then incomplete. */
int track_finish(track *t);
/* Whether message i can be retired now as far as the measurement goes: not
 * in the central cache, no open episode, not in the stuck gauge. */
int track_can_retire(const track *t, uint32_t i);
/* Counts message i's end-of-run contribution (never cached, never
 * answered, answered twice) now, as track_finish would have, because its
 * slot is about to be reused. Only for a settled message (model/world.c):
 * nothing about it can change any more. */
void track_retire(track *t, uint32_t i);

#endif
