/* bot.c - the bot's two loops as small state machines driven by call ends:
 * the sequential cycle (one message at a time) and the interval loop (one
 * job per returned message, concurrently). */
#include "bot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An interval bot's unit of work: one poll, or one message's job. Each job
 * is referenced by exactly one pending call or timer at a time, so the
 * callback that finds it stale (epoch) may recycle it. */
typedef struct bot_job {
    bot *b;
    uint32_t msg;         /* MSG_NONE for a poll */
    uint32_t epoch;       /* the process life it belongs to */
    int failing;
    struct bot_job *next_free;
} bot_job;

struct bot {
    actor_env *env;
    const sc_bot *cfg;
    int index;
    gsl_rng *rng;
    kv_streams rs;
    char name[SC_NAME];
    sim_us t0;            /* first poll: the phase of the ticks */
    uint32_t *work;       /* messages the last poll returned */
    uint32_t nwork, next;
    uint32_t cur;         /* message being worked on */
    int has_cur;          /* cur is set (from the first claim on) */
    int failing;          /* generation failed: call fail, not complete */
    sim_us poll_started;
    /* interval loop */
    uint32_t epoch;       /* +1 at each crash: older jobs are dropped */
    bot_job *free_jobs;
    bot_job **jobs;       /* every job allocated, to free */
    size_t njobs, capjobs;
};

static void poll(sim_ctx *ctx, void *obj, uint64_t arg);
static void next_message(bot *b);
static void ipoll(sim_ctx *ctx, void *obj, uint64_t arg);

bot *bot_new(actor_env *env, const sc_bot *cfg, int index)
{
    char stream[SC_NAME + 16];
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
    b->t0 = cfg->first_poll;
    if (b->t0 == SC_PHASE_RANDOM) {
        /* a stream of its own: the phase never shifts the bot's other draws */
        snprintf(stream, sizeof stream, "bot-phase:%s", cfg->name);
        gsl_rng *ph = sim_rng(env->ctx, stream);
        if (!ph) {
            bot_free(b);
            return NULL;
        }
        b->t0 = (sim_us)floor(gsl_rng_uniform(ph) * (double)cfg->poll_every);
    }
    return b;
}

void bot_free(bot *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->njobs; i++)
        free(b->jobs[i]);
    free(b->jobs);
    free(b->work);
    free(b);
}

void bot_visit_msgs(const bot *b, void (*fn)(void *ud, uint32_t m), void *ud)
{
    for (uint32_t k = 0; k < b->nwork; k++)
        fn(ud, b->work[k]);
    if (b->has_cur)
        fn(ud, b->cur);
    for (size_t i = 0; i < b->njobs; i++) /* interval jobs, free ones hold none */
        if (b->jobs[i]->msg != MSG_NONE)
            fn(ud, b->jobs[i]->msg);
}

void bot_start(bot *b)
{
    if (b->cfg->loop == SC_LOOP_INTERVAL)
        sim_at(b->env->ctx, b->t0, ipoll, b, b->epoch);
    else
        sim_at(b->env->ctx, b->t0, poll, b, 0);
}

/* ---- the sequential cycle ---- */

/* The first tick at or after now. */
static void schedule_next_poll(bot *b)
{
    sim_us now = sim_now(b->env->ctx), p = b->cfg->poll_every, t0 = b->t0;
    sim_us k = now <= t0 ? 0 : (now - t0 + p - 1) / p;
    sim_us t = t0 + k * p;
    if (t <= b->poll_started)
        t = b->poll_started + p;
    sim_at(b->env->ctx, t, poll, b, 0);
}

/* One row of the poll series and, when the process is alive to print it,
 * the bot's log line. */
static void log_poll(bot *b, const call *c, int alive)
{
    actor_env *env = b->env;
    int64_t row[6] = { c->started, c->kvr, c->kvw, (int64_t)c->nret, c->status, b->index };
    met_row(sim_metrics(env->ctx), env->r_polls, row);
    if (env->poll_log && alive)
        actor_log_poll(env->poll_log, b->name, c);
}

static void on_pending(void *owner, call *c)
{
    bot *b = owner;
    log_poll(b, c, 1);
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
    b->has_cur = 1;
    call_start(b->env->calls, EP_CLAIM, b->name, &b->rs, b->cfg->loc, b->cur, NULL, 0, b, on_claimed);
}

/* ---- the interval loop ---- */

static bot_job *job_new(bot *b, uint32_t m)
{
    bot_job *j = b->free_jobs;
    if (j) {
        b->free_jobs = j->next_free;
    } else {
        if (b->njobs == b->capjobs) {
            size_t cap = b->capjobs ? b->capjobs * 2 : 8;
            bot_job **all = realloc(b->jobs, cap * sizeof *all);
            if (!all)
                return NULL;
            b->jobs = all;
            b->capjobs = cap;
        }
        if (!(j = malloc(sizeof *j)))
            return NULL;
        b->jobs[b->njobs++] = j;
    }
    j->b = b;
    j->msg = m;
    j->epoch = b->epoch;
    j->failing = 0;
    j->next_free = NULL;
    return j;
}

static void job_free(bot_job *j)
{
    j->msg = MSG_NONE;
    j->next_free = j->b->free_jobs;
    j->b->free_jobs = j;
}

/* A job of a process life that has ended (the bot crashed since): recycled. */
static int job_stale(bot_job *j)
{
    if (j->epoch == j->b->epoch)
        return 0;
    job_free(j);
    return 1;
}

static void on_job_finished(void *owner, call *c)
{
    (void)c;
    bot_job *j = owner;
    if (!job_stale(j))
        job_free(j);
}

static void on_job_reply(void *owner, call *c)
{
    bot_job *j = owner;
    if (job_stale(j))
        return;
    int kind = c->status == 201 ? EP_COMPLETE : EP_FAIL;
    if (!call_start(j->b->env->calls, kind, j->b->name, &j->b->rs, j->b->cfg->loc, j->msg, NULL, 0, j,
                    on_job_finished))
        job_free(j);
}

static void job_generated(sim_ctx *ctx, void *obj, uint64_t arg)
{
    bot_job *j = obj;
    bot *b = j->b;
    (void)ctx;
    (void)arg;
    if (job_stale(j))
        return;
    if (j->failing) {
        if (!call_start(b->env->calls, EP_FAIL, b->name, &b->rs, b->cfg->loc, j->msg, NULL, 0, j, on_job_finished))
            job_free(j);
        return;
    }
    int32_t bytes = (int32_t)dist_draw(&b->cfg->reply_bytes, b->rng);
    uint32_t r = actor_new_msg(b->env, b->rng, MT_AI, 0, 0, bytes);
    if (r == MSG_NONE) {
        job_free(j);
        return;
    }
    msg_get(b->env->msgs, r)->reply_to = j->msg;
    if (!call_start(b->env->calls, EP_POST, b->name, &b->rs, b->cfg->loc, r, NULL, 0, j, on_job_reply))
        job_free(j);
}

/* PM2 starts the process again: a new setInterval from now. */
static void irestart(sim_ctx *ctx, void *obj, uint64_t arg)
{
    bot *b = obj;
    b->t0 = sim_now(ctx);
    ipoll(ctx, b, arg);
}

static void on_job_claimed(void *owner, call *c)
{
    bot_job *j = owner;
    bot *b = j->b;
    if (job_stale(j))
        return;
    if (c->status != 200) { /* 409: another job (or bot) holds it */
        job_free(j);
        return;
    }
    /* the same draws, in the same order, as the sequential cycle */
    sim_us gen = dist_draw(&b->cfg->generation, b->rng);
    j->failing = gsl_rng_uniform(b->rng) < b->cfg->fail_prob;
    if (b->cfg->crash_prob > 0 && gsl_rng_uniform(b->rng) < b->cfg->crash_prob) {
        /* the process dies: every job and the interval with it */
        b->epoch++;
        job_free(j);
        sim_after(b->env->ctx, b->cfg->restart_after, irestart, b, b->epoch);
        return;
    }
    sim_after(b->env->ctx, gen, job_generated, j, 0);
}

static void on_ipending(void *owner, call *c)
{
    bot_job *p = owner;
    bot *b = p->b;
    int alive = p->epoch == b->epoch;
    job_free(p);
    log_poll(b, c, alive);
    if (!alive || c->status != 200)
        return;
    for (uint32_t k = 0; k < c->nret; k++) {
        bot_job *j = job_new(b, c->ret[k]);
        if (!j)
            return;
        if (!call_start(b->env->calls, EP_CLAIM, b->name, &b->rs, b->cfg->loc, j->msg, NULL, 0, j, on_job_claimed))
            job_free(j);
    }
}

/* A tick: poll whatever is running, and schedule the next tick. arg is the
 * process life that set the interval; a crash ends it. */
static void ipoll(sim_ctx *ctx, void *obj, uint64_t arg)
{
    bot *b = obj;
    if (arg != b->epoch)
        return;
    sim_at(ctx, sim_now(ctx) + b->cfg->poll_every, ipoll, b, arg);
    bot_job *p = job_new(b, MSG_NONE);
    if (p && !call_start(b->env->calls, EP_PENDING, b->name, &b->rs, b->cfg->loc, MSG_NONE, NULL, 0, p, on_ipending))
        job_free(p);
}
