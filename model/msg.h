/* msg.h - the chat messages of a run: who posted them, their key format,
 * their size, and the bookkeeping the metrics need.
 *
 * A message is an index into msg_table (a slot). The message's bot status
 * lives in KV (model/kv.h), never here: this table holds only what cannot
 * change (type, entity, key format, size) and measurement state.
 *
 * Slots are recycled so that memory follows the messages alive, not every
 * message ever posted. When the table is full and a reclaim function is set,
 * msg_add calls it first; it releases the slots of settled messages
 * (msg_release; what "settled" means is the world's business, see
 * model/world.c) and the table reuses them, last released first. It grows
 * (doubling) only when a reclaim frees less than half of it, so each reclaim
 * pass is paid for by at least cap/2 later allocations. Without a reclaim
 * function slots are never reused and indices are post order. */
#ifndef QSIM_MSG_H
#define QSIM_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "sim/event_queue.h"

#define MSG_NONE UINT32_MAX

/* botParams.status as stored in a key or a cache entry. MS_NONE: no
 * botParams.status at all (plain chat and AI replies). */
typedef enum { MS_NONE = 0, MS_PENDING, MS_PROCESSING, MS_COMPLETE, MS_FAILED } msg_status;
typedef enum { MT_HUMAN = 0, MT_AI } msg_type;

static inline int msg_status_terminal(int s) { return s == MS_COMPLETE || s == MS_FAILED; }
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
    uint64_t cache_seq;  /* arrival order in the central cache: (write
                          * number << 32) + position in the write that first
                          * held it; 0 before. Aging is judged by it. */
    int8_t last_store;   /* stored status after the last landed write; -1 none */
    uint8_t mark;        /* scratch of the reclaim pass: still referenced */
    uint8_t freed;       /* released: the slot is on the free list */
    uint32_t next_free;  /* free list link, when freed */
} msg;

/* Releases settled messages' slots; returns how many it released. */
typedef size_t (*msg_reclaim_fn)(void *ud);

typedef struct msg_table {
    msg *m;
    size_t n, cap;
    char *ids;
    size_t ids_len, ids_cap;
    uint64_t total;           /* messages ever added */
    uint32_t free_head;       /* released slots (a stack); MSG_NONE: none */
    size_t nfree;
    msg_reclaim_fn reclaim;   /* NULL: slots are never reused */
    void *reclaim_ud;
} msg_table;

void msg_table_init(msg_table *t);
void msg_table_deinit(msg_table *t);
/* Adds a message with the given id (copied): a released slot, or a new
 * one. Returns its index, or MSG_NONE on OOM. Measurement fields start
 * cleared. May call the reclaim function first (see above). */
uint32_t msg_add(msg_table *t, const char *id, int64_t ts_ms);
void msg_set_reclaim(msg_table *t, msg_reclaim_fn fn, void *ud);
/* Puts slot i on the free list: its id is gone, msg_find skips it. The
 * caller guarantees nothing refers to i any more. */
void msg_release(msg_table *t, uint32_t i);
static inline msg *msg_get(const msg_table *t, uint32_t i) { return &t->m[i]; }
static inline const char *msg_id(const msg_table *t, uint32_t i) { return t->ids + t->m[i].id_off; }
/* Index of the live message with this id, or MSG_NONE (linear: edges only). */
uint32_t msg_find(const msg_table *t, const char *id);
/* Writes the message's KV key ("comment:<id>" or "comment:<ts>:<id>"). */
int msg_key_name(const msg_table *t, uint32_t i, int legacy, char *buf, size_t len);
/* The length msg_key_name returns, without formatting the name (the KV
 * model checks key sizes on every operation). */
int msg_key_len(const msg_table *t, uint32_t i, int legacy);
/* v in decimal at buf (at least 21 bytes), no NUL; returns the length:
 * snprintf's "%lld" without its format parsing. */
int msg_fmt_i64(char *buf, int64_t v);
/* Parses the "<ms>-..." prefix of an id; 0 when there is none. */
int64_t msg_id_ts(const char *id);

#endif
