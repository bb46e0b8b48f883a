/* kv.h - Workers KV as it behaves: a central store where the last write to
 * arrive wins, per-location caches that serve what they read for cacheTtl,
 * latencies, transient errors, the 1-write-per-second-per-key limit (429),
 * size limits and the free plan's daily caps.
 *
 * Values are structured, never JSON text: an individual key holds a message
 * status; the hot key recent:comments holds a kv_list, a reference-counted
 * immutable snapshot (copy-on-write), so a location can keep serving an old
 * version while the store moves on. Every operation completes after a drawn
 * latency through op->done, so concurrent requests interleave between their
 * operations and read-modify-write races arise from timing alone. */
#ifndef QSIM_KV_H
#define QSIM_KV_H

#include <stdint.h>

#include "model/dist.h"
#include "model/msg.h"
#include "sim/sim.h"

/* Keys are integers: 0 is recent:comments, 1 + 2m is comment:<id> of
 * message m, 2 + 2m its legacy comment:<ts>:<id>. From KV_KEY_MISC on are
 * the deployed Worker's small keys, each holding a number (kv_op.num):
 * dashboard:heartbeat, message-count, then one rate-limit key per sender
 * slot. They live in a table of their own (kv_config.nmisc entries), so the
 * message keys keep their numbers. */
#define KV_KEY_CACHE 0u
#define KV_KEY_MISC 0x80000000u
#define KV_KEY_HEARTBEAT (KV_KEY_MISC + 0u)
#define KV_KEY_MSG_COUNT (KV_KEY_MISC + 1u)
static inline uint32_t kv_key_rate_limit(uint32_t slot) { return KV_KEY_MISC + 2u + slot; }
static inline int kv_key_is_misc(uint32_t key) { return key >= KV_KEY_MISC; }
static inline uint32_t kv_key_msg(uint32_t m, int legacy) { return 1u + 2u * m + (legacy ? 1u : 0u); }
static inline uint32_t kv_key_to_msg(uint32_t key) { return (key - 1u) / 2u; }
static inline int kv_key_legacy(uint32_t key) { return key != 0 && !kv_key_is_misc(key) && (key - 1u) % 2u == 1u; }

/* Key classes, for error probabilities and metrics: "other" is the misc
 * keys (only the deployed endpoints use them). */
enum { KV_CLASS_CACHE = 0, KV_CLASS_INDIVIDUAL = 1, KV_CLASS_OTHER = 2, KV_CLASS_COUNT };
static inline int kv_key_class(uint32_t key)
{
    return key == KV_KEY_CACHE ? KV_CLASS_CACHE : kv_key_is_misc(key) ? KV_CLASS_OTHER : KV_CLASS_INDIVIDUAL;
}

typedef enum {
    KV_OK = 0,
    KV_MISS,          /* get: no such key (null) */
    KV_ETRANSIENT,    /* injected error, per-operation probability */
    KV_E429,          /* same key written again within the limit interval */
    KV_ETOOLARGE,     /* value or key over the size limit */
    KV_ECAP,          /* free plan: daily operation cap reached */
    KV_EOPLIMIT,      /* over the per-invocation operation limit */
    KV_RESULT_COUNT
} kv_result;

/* "ok", "miss", "error:transient", "error:429", ... as in the trace. */
const char *kv_result_name(int r);

/* Entries are written field by field (kv_list_append, kv_list_insert_sorted)
 * into snapshots whose memory starts zeroed, and copied whole: their two
 * padding bytes stay zero, so equal bytes are equal entries (model/track.c
 * compares values with memcmp; a nonzero padding would only cost it time). */
typedef struct kv_entry {
    uint32_t msg;
    uint8_t status; /* msg_status */
    uint8_t work;   /* a human message to an entity: copied from the message
                     * so the pending scan never leaves the list */
} kv_entry;

/* An opaque value: the bytes a Worker module stored (JS mode, model/jshost.c).
 * Reference-counted and immutable, so location copies share it. */
typedef struct kv_blob {
    uint32_t refs;
    uint32_t len;
    uint64_t serial; /* its creator's number for it (0: none) */
    char data[];    /* len bytes, then a NUL */
} kv_blob;
kv_blob *kv_blob_new(const char *data, size_t len); /* NULL on OOM */
static inline kv_blob *kv_blob_ref(kv_blob *b) { if (b) b->refs++; return b; }
void kv_blob_unref(kv_blob *b);

typedef struct kv_list {
    uint32_t refs;
    uint32_t n;
    int64_t bytes;  /* serialized size: 2 + sum(entry bytes) + (n - 1) commas */
    uint8_t corrupt; /* unparseable: every JSON.parse of it throws */
    uint8_t open_valid; /* opos[] is up to date */
    kv_blob *blob;  /* JS mode: the value's text (owned); NULL otherwise */
    struct kv_list *next_free;
    /* The positions, ascending, of the entries that are bot work with a
     * non-terminal status: what the seed's pending scan verifies. Computed
     * on first use (kv_list_index_open) and kept while the snapshot is
     * unchanged, so 28,800 polls a day over one unchanged cache look at its
     * entries once, and each poll's scan costs the open entries, not the
     * window. Any change goes through kv_list_mutable, which clears
     * open_valid. opos grows to the most open entries a snapshot had (its
     * capacity stays with the recycled snapshot); nopen == UINT32_MAX means
     * it could not grow (out of memory): the query falls back to the scan. */
    uint32_t *opos;
    uint32_t nopen, opos_cap;
    /* A number the store gives the snapshot when it is made and again at
     * every change of its entries (kv_list_mutable, kv_list_append,
     * kv_list_insert_sorted, kv_list_touch): the same pointer with the same
     * gen holds the same entries (model/track.c skips re-reading them). */
    uint64_t gen;
    kv_entry e[];   /* oldest first; capacity = the window */
} kv_list;

typedef struct kv_config {
    int nlocs;
    sim_us cache_ttl;        /* how long a location serves what it fetched */
    /* Probability that a landed put replaces the writer's location copy
     * (Cloudflare: own writes are "usually" visible at once). Never moves
     * the copy's expiry: staleness stays bounded by fetch time + cache_ttl.
     * 0 and 1 draw nothing. */
    double own_writes_visible;
    /* Background refresh: a get served from a copy in the last
     * background_refresh * cache_ttl of its life starts a fetch from the
     * central store that replaces the copy when it lands (0: none). */
    double background_refresh;
    const char *const *loc_names; /* counter names; NULL: "0", "1", ... */
    dist get_hit, get_miss, put; /* µs */
    double get_error_prob[KV_CLASS_COUNT]; /* by key class */
    double put_error_prob[KV_CLASS_COUNT];
    sim_us same_key_interval;    /* 1 s: writes closer than this may 429 */
    double p429;                 /* probability a too-fast write is rejected */
    int64_t value_max_bytes;
    int key_max_bytes;
    int64_t daily_read_cap, daily_write_cap; /* 0: no cap (paid plan) */
    /* Watched daily counts (the free plan's caps, whatever the plan): the
     * first moment each day's billed reads or writes reach them is recorded
     * in the series "cap_crossing" (day, kind 0 reads / 1 writes, t_us). */
    int64_t watch_reads_day, watch_writes_day;
    /* The Workers request cap of the plan (0: none) and the watched one
     * (kind 2 in "cap_crossing"): not KV's, but counted per UTC day like
     * KV's caps, so it lives with them; enforced in model/call.c. */
    int64_t daily_request_cap, watch_requests_day;
    /* UTC time of day at simulated time 0, in µs: daily caps reset at
     * 00:00 UTC, i.e. when (t + utc_offset) crosses a multiple of 24 h. */
    sim_us utc_offset;
    uint32_t window;             /* capacity of recent:comments */
    const char *cache_key_name;
    uint32_t nmisc;              /* misc keys (KV_KEY_MISC + i); 0: none */
    /* Opaque values (JS mode): every message key also carries a kv_blob,
     * central and per location, and the sizes checked against the limits
     * are the blobs' lengths. render makes the blob of a value seeded from
     * outside the binding (initial state, scheduled corruption): key, its
     * status (-1 absent) or, for the cache, the list. NULL: C mode, no
     * blobs, no cost. */
    kv_blob *(*render)(void *ud, uint32_t key, int status, const struct kv_list *list);
    void *render_ud;
} kv_config;

typedef struct kv_store kv_store;

typedef enum { KV_GET = 0, KV_PUT = 1 } kv_optype;
/* JS mode's delete and list (model/jshost.c) ride on the two types: a
 * delete is a put on a misc key that removes it when it lands (latency,
 * 429, failures and cap of a put); a list is kv_list_op. */
typedef enum { KV_VERB_PLAIN = 0, KV_VERB_DELETE = 1, KV_VERB_LIST = 2 } kv_verb;

/* The random streams an operation draws its latency and failures from.
 * Each actor has its own ("kv:latency:<actor>", "kv:failure:<actor>"), so
 * what one actor does never shifts another actor's draws: a human's posts
 * take the same times under every strategy (common random numbers).
 * fault ("kv:fault:<actor>") is for the scenario's endpoint faults
 * (model/call.c): kept apart from fail so that a fault scoped to one
 * endpoint leaves the actor's transient and 429 draws where they were. */
typedef struct kv_streams {
    gsl_rng *lat, *fail, *fault;
} kv_streams;
/* Creates actor's streams in ctx. -1 on OOM. */
int kv_streams_init(sim_ctx *ctx, const char *actor, kv_streams *out);

/* One operation in flight. The caller owns it (embedded in its request)
 * and fills the request fields; kv fills the reply and calls done. */
typedef struct kv_op {
    /* request */
    uint8_t type;       /* kv_optype */
    int8_t force;       /* a kv_result to fail with (scripted faults), or 0 */
    const kv_streams *rs; /* the actor's streams; NULL: the store's own */
    int8_t tag;         /* passed to the write observer */
    sim_us pin_lat;     /* >= 0: this latency, and no random failure or 429
                         * (a replayed call: its outcome comes from force) */
    int loc;
    uint32_t key;
    uint8_t put_status; /* individual put */
    uint8_t put_attempts; /* individual put: botParams.attempts */
    int64_t put_num;    /* misc put: the number stored */
    sim_us put_ttl;     /* misc put: expirationTtl (> 0), or 0: never expires */
    sim_us cache_ttl;   /* get: how long the location keeps the copy this get
                         * fetches (the get's cacheTtl, JS mode); 0: kv.cache_ttl.
                         * prepare (model/call.c) leaves it: JS mode sets it
                         * before every get, the C endpoints never (0) */
    uint8_t verb;       /* kv_verb: what a put or get on a misc key means */
    kv_list *put_list;  /* cache put: a reference the caller gives away */
    kv_blob *put_blob;  /* individual put, JS mode: a reference given away */
    void (*done)(sim_ctx *ctx, struct kv_op *op);
    /* reply */
    uint8_t res;        /* kv_result */
    uint8_t status;     /* individual get: stored status */
    uint8_t attempts;   /* individual get: stored botParams.attempts */
    int64_t num;        /* misc get: the number stored */
    kv_list *list;      /* cache get: a reference the receiver owns */
    kv_blob *blob;      /* individual get, JS mode: a reference the receiver owns */
    sim_us issued;
    struct kv_store *store; /* set by kv_get/kv_put */
} kv_op;

/* Observer of writes that landed in the central store. For the cache key,
 * old_list and new_list are the snapshots before and after. tag is the
 * writing op's tag (the caller's label, e.g. its endpoint), -1 for writes
 * from outside the binding (initial state, scheduled corruption). */
typedef void (*kv_write_fn)(void *ud, uint32_t key, const kv_list *old_list, const kv_list *new_list, int tag);

kv_store *kv_new(sim_ctx *ctx, const kv_config *cfg, const msg_table *msgs);
void kv_free(kv_store *kv);
void kv_set_observer(kv_store *kv, kv_write_fn fn, void *ud);
const kv_config *kv_config_of(const kv_store *kv);

/* Grows the key arrays for nmsgs messages. -1 on OOM. */
int kv_reserve(kv_store *kv, size_t nmsgs);

/* Location loc forgets every copy it holds, as a machine that never served
 * this namespace: its next get of any key goes to the central store. */
void kv_location_forget(kv_store *kv, int loc);

void kv_get(kv_store *kv, kv_op *op);
void kv_put(kv_store *kv, kv_op *op);
/* A list operation (op->type KV_GET, verb KV_VERB_LIST, key any misc key
 * standing for the namespace): served by the central store, so it takes
 * get_miss's latency from the caller's stream, fails with the "other"
 * class's get error probability, and counts against the daily write cap
 * (Cloudflare's free plan: 1,000 lists a day, like writes). It reads
 * nothing: the caller builds the page from kv_central_num at completion. */
void kv_list_op(kv_store *kv, kv_op *op);

/* Snapshots of the cache value. */
kv_list *kv_list_new(kv_store *kv);
static inline kv_list *kv_list_ref(kv_list *l) { if (l) l->refs++; return l; }
void kv_list_unref(kv_store *kv, kv_list *l);
/* Makes *l safe to modify: copies it when shared. -1 on OOM. Every change
 * to entries goes through it (or kv_list_set_status). */
int kv_list_mutable(kv_store *kv, kv_list **l);
/* Says that l's entries were changed in place by its only holder (after
 * kv_list_mutable): a new gen, and the open-entry index is rebuilt. */
void kv_list_touch(kv_store *kv, kv_list *l);
/* Sets entry idx's status, copying the list first when shared. -1 on OOM. */
int kv_list_set_status(kv_store *kv, kv_list **l, uint32_t idx, int status);
/* Fills l->opos (see kv_list); the queries below call it on first use. */
void kv_list_index_open(kv_list *l);
/* The first index >= i of an open entry (bot work, non-terminal), or n. */
uint32_t kv_list_next_open(kv_list *l, uint32_t i);
/* The first place in l->opos (an index is built) holding i or more, or
 * l->nopen: a binary search. */
static inline uint32_t kv__opos_lower(const kv_list *l, uint32_t i)
{
    uint32_t lo = 0, hi = l->nopen;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (l->opos[mid] < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}
/* The same for a scan that asks in order: *k is where in opos the last
 * answer was found, plus one (0 before the first query), so the query that
 * follows an answer (i = that answer + 1) costs two comparisons; any other
 * i is found by binary search. */
static inline uint32_t kv_list_next_open_at(kv_list *l, uint32_t i, uint32_t *k)
{
    if (!l->open_valid)
        kv_list_index_open(l);
    uint32_t h = *k, no = l->nopen;
    if (h <= no && no != UINT32_MAX && (h == no || l->opos[h] >= i) && (h == 0 || l->opos[h - 1] < i)) {
        if (h == no)
            return l->n;
        *k = h + 1;
        return l->opos[h];
    }
    if (no == UINT32_MAX) /* no index (out of memory): the scan */
        return kv_list_next_open(l, i);
    uint32_t lo = kv__opos_lower(l, i);
    *k = lo < no ? lo + 1 : no; /* the hint for the next query */
    return lo < no ? l->opos[lo] : l->n;
}
/* Index of msg in the list, or -1 (linear, like findIndex). */
int kv_list_find(const kv_list *l, uint32_t mi);
/* Appends and drops the oldest entries past the window. */
void kv_list_append(kv_store *kv, kv_list *l, uint32_t mi, int status);
/* The deployed post's update: append, stable-sort by the messages' client
 * timestamps (ts_ms, oldest first), keep the newest window. A message
 * older than every entry of a full list is dropped at once. */
void kv_list_insert_sorted(kv_store *kv, kv_list *l, uint32_t mi, int status);

/* The central store, for initial state, scheduled corruption and metrics.
 * kv_central_status: stored status, or -1 when the key does not exist. */
int kv_central_status(const kv_store *kv, uint32_t key);
/* Stored botParams.attempts of an individual key (0 when absent). */
int kv_central_attempts(const kv_store *kv, uint32_t key);
/* A misc key's central value: 0 and *num set, or -1 when absent/expired. */
int kv_central_num(const kv_store *kv, uint32_t key, int64_t *num);
const kv_list *kv_central_list(const kv_store *kv);
void kv_seed_status(kv_store *kv, uint32_t key, int status);
/* Storage, as KV bills it (docs/model.md): the bytes stored now, key names
 * and values of every key, kept up to date on each landed write; and their
 * integral from time 0 to now in byte-seconds (rounded down). */
int64_t kv_stored_bytes(const kv_store *kv);
int64_t kv_storage_byte_s(kv_store *kv);
/* Replaces the central cache value (takes the reference), as a write that
 * bypasses the binding: initial state and scheduled corrupt writes. */
void kv_seed_list(kv_store *kv, kv_list *l);

/* Message slot recycling (model/msg.h): calls fn on every cache snapshot
 * the store holds (central and per location); snapshots held by requests
 * are the caller's to visit. */
void kv_visit_lists(const kv_store *kv, void (*fn)(void *ud, const kv_list *l), void *ud);
/* JS mode's own-key value versions (model/jshost.c): calls fn on the
 * number of every misc key's value that can still be read: set centrally
 * or in a location's unexpired copy, and not past its expiration. */
void kv_visit_misc_nums(const kv_store *kv, void (*fn)(void *ud, uint32_t key, int64_t num), void *ud);
/* Drops both keys of message slot m, central and cached everywhere, so a
 * message reusing the slot starts as a key never written. The real
 * comment:<id> would live on; nothing reads it once its message settled. */
void kv_forget_msg(kv_store *kv, uint32_t m);

#endif
