/* durable.h - a Durable Object as Cloudflare documents it: one instance
 * at one location; requests to it are serialised (its input gate lets one
 * in at a time, in arrival order); each Worker-to-object call is a
 * subrequest whose round trip depends on where the caller runs; in-memory
 * state survives between requests while the object stays in memory, and an
 * object idle for evict_idle leaves memory, so the next request runs the
 * constructor again (which may reload storage); storage is SQLite-backed,
 * the backend Cloudflare recommends for new classes, and billed in rows
 * read and written plus stored bytes (docs/model.md#durable-objects).
 *
 * The object knows nothing of queues or messages: a request's handler
 * (do_serve_fn) changes the caller's state and reports the rows it read and
 * wrote; the object adds the time, the serialisation and the bill. */
#ifndef QSIM_DURABLE_H
#define QSIM_DURABLE_H

#include <stdint.h>

#include "sim/sim.h"

typedef struct do_config {
    int loc;               /* the object's location */
    sim_us rtt_local;      /* round trip of a call from the object's location */
    sim_us rtt_remote;     /* ... from any other location */
    sim_us service;        /* wall-clock handler time of a request */
    sim_us storage;        /* time a request that touches storage adds */
    sim_us evict_idle;     /* idle time after which the object leaves
                            * memory; 0: it never does */
    int load_on_start;     /* the constructor reads every stored row */
} do_config;

typedef struct do_object do_object;

/* Storage work of one request, as its handler reports it. */
typedef struct do_work {
    int64_t rows_read, rows_written;
} do_work;

/* Runs when the request's turn comes. fresh: the constructor ran just
 * before (first request, or after an eviction), so in-memory state is new. */
typedef do_work (*do_serve_fn)(void *ud, int fresh);
/* The reply has left the object; ud resumes after back (half the trip). */
typedef void (*do_done_fn)(void *ud, sim_us back);

/* One request, owned by the caller (e.g. in a call's per-call state) until
 * done runs: the gate is an intrusive FIFO of these, so sending allocates
 * nothing. Fields are the object's. */
typedef struct do_req {
    struct do_object *o;
    void *ud;
    do_serve_fn serve;
    do_done_fn done;
    sim_us back, arrived;
    struct do_req *next;
} do_req;

/* Registers do.* counters in ctx's metrics; NULL on OOM or when a
 * counter cannot be registered. */
do_object *do_new(sim_ctx *ctx, const do_config *cfg);
void do_free(do_object *o);
/* A request from a caller at location loc: one billed DO request. It
 * reaches the gate after half the round trip; r must stay valid until
 * done(ud, back) runs. */
void do_send(do_object *o, do_req *r, int loc, void *ud, do_serve_fn serve, do_done_fn done);
/* The rows and bytes stored now (after a handler's changes), for the
 * constructor's reload and the GB-month integral. */
void do_set_stored(do_object *o, int64_t rows, int64_t bytes);
/* End of run: do.duration_us, do.storage.byte_s and do.storage.rows_end. */
void do_finish(do_object *o);

#endif
