/* msg.h - the chat messages of a run: who posted them, their key format,
 * their size, and the bookkeeping the metrics need.
 *
 * A message is an index into msg_table; the table only grows (doubling), and
 * indices are post order, so "older" is "smaller index". The message's bot
 * status lives in KV (model/kv.h), never here: this table holds only what
 * cannot change (type, entity, key format, size) and measurement state. */
#ifndef QSIM_MSG_H
#define QSIM_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "sim/event_queue.h"

#define MSG_NONE UINT32_MAX

/* botParams.status as stored in a key or a cache entry. ST_NONE: no
 * botParams.status at all (plain chat and AI replies). */
typedef enum { ST_NONE = 0, ST_PENDING, ST_PROCESSING, ST_COMPLETE, ST_FAILED } msg_status;
typedef enum { MT_HUMAN = 0, MT_AI } msg_type;

static inline int msg_status_terminal(int s) { return s == ST_COMPLETE || s == ST_FAILED; }
const char *msg_status_name(int s); /* "pending", ..., "none" */
int msg_status_parse(const char *s); /* -1 when unknown */

typedef struct msg {
    uint32_t id_off;     /* id string in the table's arena */
    int64_t ts_ms;       /* the id's millisecond timestamp (legacy key) */
    sim_us posted;       /* start of the post call (negative: initial state) */
    int32_t bytes;       /* serialized size of the message in the cache */
    uint8_t type;        /* msg_type */
    uint8_t entity;      /* botParams.entity set: work for the bots */
    uint8_t legacy;      /* stored under comment:<ts>:<id> */
    uint8_t priority;    /* botParams.priority: the deployed pending serves
                          * higher first (docs/model.md) */
    uint32_t inflight;   /* calls on this message now running */
    /* measurement (model/track.c) */
    uint8_t in_cache;    /* present in the central recent:comments */
    uint8_t cstat;       /* its status there, when in_cache */
    uint8_t stuck;       /* counted in the stuck gauge */
    uint8_t was_cached;  /* has been in the central cache at least once */
    uint8_t lost_once;   /* counted in cache.lost_by_overwrite */
    sim_us div_start;    /* open divergence episode start; -1 when none */
    sim_us post_done;    /* end of its post call; -1 before */
    sim_us claimed_at;   /* first successful claim put landed; -1 before */
    int32_t answers;     /* AI replies posted for it */
    uint32_t reply_to;   /* AI reply: the human message; else MSG_NONE */
    uint32_t seen;       /* scratch stamp for set differences */
    int8_t last_store;   /* stored status after the last landed write; -1 none */
} msg;

typedef struct msg_table {
    msg *m;
    size_t n, cap;
    char *ids;
    size_t ids_len, ids_cap;
} msg_table;

void msg_table_init(msg_table *t);
void msg_table_deinit(msg_table *t);
/* Appends a message with the given id (copied). Returns its index, or
 * MSG_NONE on OOM. Measurement fields start cleared. */
uint32_t msg_add(msg_table *t, const char *id, int64_t ts_ms);
static inline msg *msg_get(const msg_table *t, uint32_t i) { return &t->m[i]; }
static inline const char *msg_id(const msg_table *t, uint32_t i) { return t->ids + t->m[i].id_off; }
/* Index of the message with this id, or MSG_NONE (linear: edges only). */
uint32_t msg_find(const msg_table *t, const char *id);
/* Writes the message's KV key ("comment:<id>" or "comment:<ts>:<id>"). */
int msg_key_name(const msg_table *t, uint32_t i, int legacy, char *buf, size_t len);
/* Parses the "<ms>-..." prefix of an id; 0 when there is none. */
int64_t msg_id_ts(const char *id);

#endif
