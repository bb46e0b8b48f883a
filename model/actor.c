/* actor.c - message creation shared by the actors. */
#include "actor.h"

#include <stdio.h>

uint32_t actor_new_msg(actor_env *env, gsl_rng *r, int type, int entity, int legacy, int32_t bytes)
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    char id[48];
    int64_t ts = env->epoch_ms + sim_now(env->ctx) / SIM_US_PER_MS;
    int n = msg_fmt_i64(id, ts); /* "%lld-", formatted by hand: once per message */
    id[n++] = '-';
    for (int k = 0; k < 9; k++)
        id[n + k] = digits[gsl_rng_uniform_int(r, 36)];
    id[n + 9] = 0;
    uint32_t i = msg_add(env->msgs, id, ts);
    if (i == MSG_NONE || kv_reserve(env->kv, env->msgs->n) != 0)
        return MSG_NONE;
    msg *m = msg_get(env->msgs, i);
    m->type = (uint8_t)type;
    m->entity = (uint8_t)entity;
    m->legacy = (uint8_t)legacy;
    m->bytes = bytes;
    m->posted = sim_now(env->ctx);
    return i;
}

void actor_log_poll(FILE *log, const char *name, const call *c)
{
    if (c->status == 200)
        fprintf(log, "%s [KVr:%d KVw:%d]\n", name, c->kvr, c->kvw);
    else
        fprintf(log, "%s poll failed: HTTP %d\n", name, c->status);
}
