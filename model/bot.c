/* bot.c - the bot's cycle as a small state machine driven by call ends. */
#include "bot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bot {
    actor_env *env;
    const sc_bot *cfg;
    int index;
    gsl_rng *rng;
    kv_streams rs;
    char name[SC_NAME];
    uint32_t *work;       /* messages the last poll returned */
    uint32_t nwork, next;
    uint32_t cur;         /* message being worked on */
    int failing;          /* generation failed: call fail, not complete */
    sim_us poll_started;
};

static void poll(sim_ctx *ctx, void *obj, uint64_t arg);
static void next_message(bot *b);

bot *bot_new(actor_env *env, const sc_bot *cfg, int index)
{
    char stream[SC_NAME + 8];
    bot *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->env = env;
    b->cfg = cfg;
    b->index = index;
    snprintf(b->name, sizeof b->name, "%s", cfg->name);
    snprintf(stream, sizeof stream, "bot:%s", cfg->name);
    b->rng = sim_rng(env->ctx, stream);
    b->work = malloc(env->calls->window * sizeof *b->work);
    if (!b->rng || !b->work || kv_streams_init(env->ctx, cfg->name, &b->rs) != 0) {
        bot_free(b);
        return NULL;
    }
    return b;
}

void bot_free(bot *b)
{
    if (!b)
        return;
    free(b->work);
    free(b);
}

void bot_start(bot *b)
{
    sim_at(b->env->ctx, b->cfg->first_poll, poll, b, 0);
}

/* The first tick at or after now. */
static void schedule_next_poll(bot *b)
{
    sim_us now = sim_now(b->env->ctx), p = b->cfg->poll_every, t0 = b->cfg->first_poll;
    sim_us k = now <= t0 ? 0 : (now - t0 + p - 1) / p;
    sim_us t = t0 + k * p;
    if (t <= b->poll_started)
        t = b->poll_started + p;
    sim_at(b->env->ctx, t, poll, b, 0);
}

static void on_pending(void *owner, call *c)
{
    bot *b = owner;
    actor_env *env = b->env;
    int64_t row[6] = { b->poll_started, c->kvr, c->kvw, (int64_t)c->nret, c->status, b->index };
    met_row(sim_metrics(env->ctx), env->r_polls, row);
    if (env->poll_log)
        actor_log_poll(env->poll_log, b->name, c);
    b->nwork = c->status == 200 ? c->nret : 0;
    memcpy(b->work, c->ret, b->nwork * sizeof *b->work);
    b->next = 0;
    next_message(b);
}

static void poll(sim_ctx *ctx, void *obj, uint64_t arg)
{
    bot *b = obj;
    (void)arg;
    b->poll_started = sim_now(ctx);
    call_start(b->env->calls, EP_PENDING, b->name, &b->rs, b->cfg->loc, MSG_NONE, NULL, 0, b, on_pending);
}

static void on_finished(void *owner, call *c)
{
    (void)c;
    next_message(owner);
}

static void on_reply_posted(void *owner, call *c)
{
    bot *b = owner;
    int kind = c->status == 201 ? EP_COMPLETE : EP_FAIL;
    call_start(b->env->calls, kind, b->name, &b->rs, b->cfg->loc, b->cur, NULL, 0, b, on_finished);
}

static void generated(sim_ctx *ctx, void *obj, uint64_t arg)
{
    bot *b = obj;
    (void)ctx;
    (void)arg;
    if (b->failing) {
        call_start(b->env->calls, EP_FAIL, b->name, &b->rs, b->cfg->loc, b->cur, NULL, 0, b, on_finished);
        return;
    }
    int32_t bytes = (int32_t)dist_draw(&b->cfg->reply_bytes, b->rng);
    uint32_t r = actor_new_msg(b->env, b->rng, MT_AI, 0, 0, bytes);
    if (r == MSG_NONE) {
        next_message(b);
        return;
    }
    msg_get(b->env->msgs, r)->reply_to = b->cur;
    call_start(b->env->calls, EP_POST, b->name, &b->rs, b->cfg->loc, r, NULL, 0, b, on_reply_posted);
}

static void restart(sim_ctx *ctx, void *obj, uint64_t arg)
{
    (void)ctx;
    (void)arg;
    schedule_next_poll(obj);
}

static void on_claimed(void *owner, call *c)
{
    bot *b = owner;
    if (c->status != 200) {
        next_message(b);
        return;
    }
    sim_us gen = dist_draw(&b->cfg->generation, b->rng);
    b->failing = gsl_rng_uniform(b->rng) < b->cfg->fail_prob;
    if (b->cfg->crash_prob > 0 && gsl_rng_uniform(b->rng) < b->cfg->crash_prob) {
        /* the process dies holding the claim; PM2 restarts it */
        sim_after(b->env->ctx, b->cfg->restart_after, restart, b, 0);
        return;
    }
    sim_after(b->env->ctx, gen, generated, b, 0);
}

static void next_message(bot *b)
{
    if (b->next >= b->nwork) {
        schedule_next_poll(b);
        return;
    }
    b->cur = b->work[b->next++];
    call_start(b->env->calls, EP_CLAIM, b->name, &b->rs, b->cfg->loc, b->cur, NULL, 0, b, on_claimed);
}
