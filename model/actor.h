/* actor.h - what actors (humans, bots, cron) share: the run's context, the
 * request machinery and the message table, plus creating a message. */
#ifndef QSIM_ACTOR_H
#define QSIM_ACTOR_H

#include <stdio.h>

#include "model/call.h"
#include "model/kv.h"
#include "model/msg.h"
#include "sim/sim.h"

typedef struct actor_env {
    sim_ctx *ctx;
    call_env *calls;
    msg_table *msgs;
    kv_store *kv;
    int64_t epoch_ms;     /* wall-clock ms of simulated time 0, for ids */
    FILE *poll_log;       /* bots log each poll here (actor_log_poll), or NULL */
    met_id r_polls;       /* series: one row per poll */
} actor_env;

/* Creates a message posted now: id "<ms>-<9 base-36 chars>" drawn from r.
 * Returns its index or MSG_NONE (OOM). */
uint32_t actor_new_msg(actor_env *env, gsl_rng *r, int type, int entity, int legacy, int32_t bytes);

/* The bot's log line for a pending call that has ended: "<name> [KVr:n
 * KVw:n]" from the response's kvStats on a 200; on any other status the
 * response carries no kvStats, and the line is "<name> poll failed: HTTP
 * <status>". The poll series keeps the Worker's counts either way. */
void actor_log_poll(FILE *log, const char *name, const call *c);

#endif
