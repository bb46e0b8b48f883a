/* durable.c - the Durable Object: arrival after half the round trip, a
 * FIFO input gate, service time, lazy eviction, rows and duration billed.
 *
 * Eviction is judged lazily: a request arriving more than evict_idle after
 * the previous request ended finds the object gone, so no timer event is
 * needed and runs stay deterministic. Duration is billed as the wall-clock
 * time the object is active, i.e. serving: a request waiting at the gate is
 * covered by the one being served, and an idle object handling only HTTP
 * requests is eligible for hibernation, which is not billed. */
#include "durable.h"

#include <stdlib.h>
#include <string.h>

struct do_object {
    sim_ctx *ctx;
    do_config cfg;
    do_req *head, *tail; /* arrived, not yet served; head is being served */
    int busy, alive;
    sim_us last_end;    /* end of the last request served */
    int64_t rows, bytes;
    sim_us bytes_since; /* last change of bytes */
    __int128 byte_us;   /* stored bytes integrated over time */
    int64_t duration;   /* µs active */
    met_id m_requests, m_rows_read, m_rows_written, m_reload_rows, m_evictions, m_starts;
    met_id m_duration, m_byte_s, m_rows_end, m_wait;
};

static int reg(met_id id, int *ok)
{
    if (id < 0)
        *ok = 0;
    return id;
}

do_object *do_new(sim_ctx *ctx, const do_config *cfg)
{
    do_object *o = calloc(1, sizeof *o);
    met_registry *m = sim_metrics(ctx);
    int ok = 1;
    if (!o)
        return NULL;
    o->ctx = ctx;
    o->cfg = *cfg;
    o->m_requests = reg(met_counter_daily(m, "do.requests"), &ok);
    o->m_rows_read = reg(met_counter_daily(m, "do.rows_read"), &ok);
    o->m_rows_written = reg(met_counter_daily(m, "do.rows_written"), &ok);
    o->m_reload_rows = reg(met_counter(m, "do.rows_read.reload"), &ok);
    o->m_evictions = reg(met_counter(m, "do.evictions"), &ok);
    o->m_starts = reg(met_counter(m, "do.constructor_runs"), &ok);
    o->m_wait = reg(met_samples(m, "do.gate_wait_us"), &ok);
    o->m_duration = reg(met_counter(m, "do.duration_us"), &ok);
    o->m_byte_s = reg(met_counter(m, "do.storage.byte_s"), &ok);
    o->m_rows_end = reg(met_gauge(m, "do.storage.rows_end"), &ok);
    if (!ok) {
        free(o);
        return NULL;
    }
    return o;
}

void do_free(do_object *o)
{
    free(o);
}

void do_set_stored(do_object *o, int64_t rows, int64_t bytes)
{
    sim_us now = sim_now(o->ctx);
    o->byte_us += (__int128)o->bytes * (now - o->bytes_since);
    o->bytes_since = now;
    o->rows = rows;
    o->bytes = bytes;
}

static void serve_next(do_object *o);

static void served(sim_ctx *ctx, void *obj, uint64_t arg)
{
    do_object *o = obj;
    do_req *r = o->head;
    (void)arg;
    o->head = r->next;
    if (!o->head)
        o->tail = NULL;
    o->busy = 0;
    o->last_end = sim_now(ctx);
    r->done(r->ud, r->back);
    serve_next(o);
}

static void serve_next(do_object *o)
{
    met_registry *m = sim_metrics(o->ctx);
    sim_us now = sim_now(o->ctx), t = o->cfg.service;
    int fresh = 0;
    do_req *r = o->head;
    if (o->busy || !r)
        return;
    met_sample(m, o->m_wait, now - r->arrived);
    if (o->alive && o->cfg.evict_idle > 0 && now - o->last_end > o->cfg.evict_idle) {
        o->alive = 0;
        met_add(m, o->m_evictions, now, 1);
    }
    if (!o->alive) { /* the constructor: blockConcurrencyWhile(load) */
        o->alive = fresh = 1;
        met_add(m, o->m_starts, now, 1);
        if (o->cfg.load_on_start && o->rows > 0) {
            met_add(m, o->m_rows_read, now, o->rows);
            met_add(m, o->m_reload_rows, now, o->rows);
            t += o->cfg.storage;
        }
    }
    do_work w = r->serve(r->ud, fresh);
    if (w.rows_read)
        met_add(m, o->m_rows_read, now, w.rows_read);
    if (w.rows_written)
        met_add(m, o->m_rows_written, now, w.rows_written);
    if (w.rows_read || w.rows_written)
        t += o->cfg.storage;
    o->busy = 1;
    o->duration += t;
    sim_after(o->ctx, t, served, o, 0);
}

static void arrive(sim_ctx *ctx, void *obj, uint64_t arg)
{
    do_req *r = obj;
    do_object *o = r->o;
    (void)arg;
    r->arrived = sim_now(ctx);
    r->next = NULL;
    if (o->tail)
        o->tail->next = r;
    else
        o->head = r;
    o->tail = r;
    serve_next(o);
}

void do_send(do_object *o, do_req *r, int loc, void *ud, do_serve_fn serve, do_done_fn done)
{
    sim_us rtt = loc == o->cfg.loc ? o->cfg.rtt_local : o->cfg.rtt_remote;
    memset(r, 0, sizeof *r);
    r->o = o;
    r->ud = ud;
    r->serve = serve;
    r->done = done;
    r->back = rtt - rtt / 2;
    met_add(sim_metrics(o->ctx), o->m_requests, sim_now(o->ctx), 1);
    sim_after(o->ctx, rtt / 2, arrive, r, 0);
}

void do_finish(do_object *o)
{
    met_registry *m = sim_metrics(o->ctx);
    sim_us now = sim_now(o->ctx);
    do_set_stored(o, o->rows, o->bytes);
    met_add(m, o->m_duration, now, o->duration);
    met_add(m, o->m_byte_s, now, (int64_t)(o->byte_us / SIM_US_PER_S));
    met_set(m, o->m_rows_end, o->rows);
}
