/* kv.c - the KV model. Central values: st[key] (0 absent, else status + 1
 * in the low 3 bits and botParams.attempts above them), one kv_list for
 * recent:comments, and the misc keys' numbers (mval, with an expiration).
 * Each location caches, per key, what it last fetched from the central
 * store (a miss too) until fetch time + cache_ttl; a get served within
 * that never reaches the store. Nothing but a fetch sets the expiry: an own
 * write may replace the copy's value, never its age, so every copy is at
 * most cache_ttl older than the central value it came from. Whether a get
 * is a hit is decided when it is issued (that fixes its latency); its value
 * is taken when it completes. */
#include "kv.h"

#include <stdlib.h>
#include <string.h>

static int64_t kv_msg_bytes(const kv_store *kv, uint32_t mi, int status);

/* A misc key's value: set, its number, and when it expires (0: never). */
typedef struct {
    int64_t num;
    sim_us expires;
    uint8_t set;
} misc_val;

typedef struct {
    sim_us *exp;     /* per key: cached until (exclusive); 0 never fetched */
    uint8_t *val;    /* per key: 0 miss, else packed status (ST_PACK) */
    kv_blob **bval;  /* JS mode: per key, the copy's text (NULL: a miss) */
    uint8_t *refreshing; /* per key: generation of the background fetch in
                          * flight (0: none); a fetch that lands with another
                          * generation was cancelled (its key was dropped) */
    uint8_t refresh_gen;
    kv_list *list;   /* cached recent:comments (NULL: a cached miss) */
    sim_us list_exp;
    uint8_t list_refreshing;
    sim_us *mexp;    /* per misc key: cached until */
    misc_val *mval;  /* per misc key: the copy fetched */
    uint8_t *mrefreshing; /* per misc key, as refreshing */
    struct kv_store *kv;
    int index;
    gsl_rng *refresh_rng; /* "kv:refresh:<location>": background fetch latency */
    /* counters by key class: gets served from the copy, gets that fetched
     * from the central store, background fetches that landed */
    met_id m_local[KV_CLASS_COUNT], m_central[KV_CLASS_COUNT], m_refresh[KV_CLASS_COUNT];
    sim_us forgot;   /* copies fetched before this are gone (kv_location_forget) */
    /* cacheTtl per get (JS mode): each copy's lifetime when a get with a
     * cacheTtl of its own fetched it, 0 for cache_ttl; per key, per misc
     * key, the list. The arrays stay NULL until such a get (C mode: always). */
    sim_us *cttl, *mcttl, list_cttl;
} location;

/* An individual key's value byte: status + 1, attempts in bits 3..7. */
#define ST_PACK(status, attempts) ((uint8_t)(((status) + 1) | ((attempts) > 31 ? 31 : (attempts)) << 3))
#define ST_STATUS(v) (((v) & 7) - 1)
#define ST_ATTEMPTS(v) ((v) >> 3)

#define NEVER INT64_MIN /* last_put of a key never written through the binding */

struct kv_store {
    sim_ctx *ctx;
    met_registry *met;   /* sim_metrics(ctx), read once */
    kv_config cfg;
    sim_us refresh_window; /* background_refresh x cache_ttl, µs (0: none) */
    const msg_table *msgs;
    gsl_rng *lat_rng, *fail_rng;
    size_t nkeys;        /* key arrays' capacity */
    uint8_t *st;         /* central: 0 absent, else status + 1 */
    kv_blob **bst;       /* JS mode: central text per key; NULL in C mode */
    sim_us *last_put;    /* central: time of the last landed write, per key */
    kv_list *list;       /* central recent:comments (NULL: absent) */
    sim_us list_last_put;
    misc_val *mval;      /* central misc keys, cfg.nmisc of them */
    sim_us *mlast_put;
    location *locs;
    int64_t day;         /* daily caps: the day the counts are for */
    sim_us day_lo, day_hi; /* the UTC times [lo, hi) of that day (empty at first) */
    int64_t day_reads, day_writes;
    kv_list *free_lists;
    uint64_t list_gen;   /* the last kv_list.gen given */
    kv_write_fn on_write;
    void *on_write_ud;
    met_id r_caps;
    /* Storage billing: the bytes stored now (key names and values of the
     * central store), kept on every landed write, and their integral over
     * time up to stored_t, in byte-µs. */
    int64_t stored_bytes;
    __int128 stored_byte_us;
    sim_us stored_t;
};

/* Advances the storage integral to now, then applies delta bytes. */
static void stored_change(kv_store *kv, int64_t delta)
{
    sim_us now = sim_now(kv->ctx);
    kv->stored_byte_us += (__int128)kv->stored_bytes * (now - kv->stored_t);
    kv->stored_t = now;
    kv->stored_bytes += delta;
}

/* What an individual key costs in storage with central value v (0 absent,
 * else status + 1): its name and its value. */
static int64_t key_stored_bytes(const kv_store *kv, uint32_t key, uint8_t v)
{
    if (!v)
        return 0;
    int klen = msg_key_len(kv->msgs, kv_key_to_msg(key), kv_key_legacy(key));
    return klen + kv_msg_bytes(kv, kv_key_to_msg(key), ST_STATUS(v));
}

static int64_t list_stored_bytes(const kv_store *kv, const kv_list *l)
{
    return l ? (int64_t)strlen(kv->cfg.cache_key_name) + l->bytes : 0;
}

/* Sets key's central value, keeping the stored bytes. */
static void set_central(kv_store *kv, uint32_t key, uint8_t v)
{
    stored_change(kv, key_stored_bytes(kv, key, v) - key_stored_bytes(kv, key, kv->st[key]));
    kv->st[key] = v;
}

int64_t kv_stored_bytes(const kv_store *kv) { return kv->stored_bytes; }

int64_t kv_storage_byte_s(kv_store *kv)
{
    stored_change(kv, 0);
    return (int64_t)(kv->stored_byte_us / SIM_US_PER_S);
}

static inline void count_day(kv_store *kv, int put)
{
    int64_t n = put ? ++kv->day_writes : ++kv->day_reads;
    int64_t watch = put ? kv->cfg.watch_writes_day : kv->cfg.watch_reads_day;
    if (watch > 0 && n == watch) {
        sim_us utc = sim_now(kv->ctx) + kv->cfg.utc_offset;
        int64_t row[3] = { utc / MET_US_PER_DAY, put, utc % MET_US_PER_DAY };
        met_row(sim_metrics(kv->ctx), kv->r_caps, row);
    }
}

int kv_streams_init(sim_ctx *ctx, const char *actor, kv_streams *out)
{
    char name[160];
    snprintf(name, sizeof name, "kv:latency:%s", actor);
    out->lat = sim_rng(ctx, name);
    snprintf(name, sizeof name, "kv:failure:%s", actor);
    out->fail = sim_rng(ctx, name);
    snprintf(name, sizeof name, "kv:fault:%s", actor);
    out->fault = sim_rng(ctx, name);
    return out->lat && out->fail && out->fault ? 0 : -1;
}

static inline gsl_rng *lat_rng(const kv_store *kv, const kv_op *op) { return op->rs ? op->rs->lat : kv->lat_rng; }
static inline gsl_rng *fail_rng(const kv_store *kv, const kv_op *op) { return op->rs ? op->rs->fail : kv->fail_rng; }

static const char *const result_names[KV_RESULT_COUNT] = {
    "ok", "miss", "error:transient", "error:429", "error:too-large",
    "error:daily-cap", "error:op-limit",
};

const char *kv_result_name(int r)
{
    return r >= 0 && r < KV_RESULT_COUNT ? result_names[r] : "error:?";
}

static int init_location(kv_store *kv, int i, const char *name)
{
    static const char *const cls[KV_CLASS_COUNT] = { "cache", "individual", "other" };
    met_registry *m = sim_metrics(kv->ctx);
    location *L = &kv->locs[i];
    int ncls = kv->cfg.nmisc ? KV_CLASS_COUNT : 2; /* "other": the deployed Worker's keys only */
    char idx[16], buf[160];
    if (!name) {
        snprintf(idx, sizeof idx, "%d", i);
        name = idx;
    }
    L->kv = kv;
    L->index = i;
    snprintf(buf, sizeof buf, "kv:refresh:%s", name);
    if (!(L->refresh_rng = sim_rng(kv->ctx, buf)))
        return -1;
    for (int c = 0; c < ncls; c++) {
        snprintf(buf, sizeof buf, "kv.gets.local.%s.%s", cls[c], name);
        L->m_local[c] = met_counter(m, buf);
        snprintf(buf, sizeof buf, "kv.gets.central.%s.%s", cls[c], name);
        L->m_central[c] = met_counter(m, buf);
        snprintf(buf, sizeof buf, "kv.refreshes.%s.%s", cls[c], name);
        L->m_refresh[c] = met_counter(m, buf);
        if (L->m_local[c] < 0 || L->m_central[c] < 0 || L->m_refresh[c] < 0)
            return -1;
    }
    return 0;
}

kv_store *kv_new(sim_ctx *ctx, const kv_config *cfg, const msg_table *msgs)
{
    kv_store *kv = calloc(1, sizeof *kv);
    if (!kv)
        return NULL;
    kv->ctx = ctx;
    kv->met = sim_metrics(ctx);
    kv->cfg = *cfg;
    kv->refresh_window = (sim_us)(cfg->background_refresh * (double)cfg->cache_ttl);
    kv->msgs = msgs;
    kv->lat_rng = sim_rng(ctx, "kv:latency");
    kv->fail_rng = sim_rng(ctx, "kv:failure");
    kv->list_last_put = NEVER;
    kv->r_caps = met_series(sim_metrics(ctx), "cap_crossing", "day,kind,t_us");
    if (kv->r_caps >= 0)
        met_series_keep(sim_metrics(ctx), kv->r_caps, 1);
    kv->locs = calloc((size_t)(cfg->nlocs > 0 ? cfg->nlocs : 1), sizeof *kv->locs);
    if (!kv->lat_rng || !kv->fail_rng || !kv->locs || kv->r_caps < 0)
        goto fail;
    for (int i = 0; i < (cfg->nlocs > 0 ? cfg->nlocs : 1); i++)
        kv->locs[i].forgot = NEVER; /* no forget yet: every copy counts */
    if (cfg->nmisc) {
        kv->mval = calloc(cfg->nmisc, sizeof *kv->mval);
        kv->mlast_put = malloc(cfg->nmisc * sizeof *kv->mlast_put);
        if (!kv->mval || !kv->mlast_put)
            goto fail;
        for (uint32_t k = 0; k < cfg->nmisc; k++)
            kv->mlast_put[k] = NEVER;
        for (int i = 0; i < cfg->nlocs; i++)
            if (!(kv->locs[i].mexp = calloc(cfg->nmisc, sizeof(sim_us))) ||
                !(kv->locs[i].mval = calloc(cfg->nmisc, sizeof(misc_val))) ||
                !(kv->locs[i].mrefreshing = calloc(cfg->nmisc, 1)))
                goto fail;
    }
    kv->cfg.loc_names = NULL; /* only valid during kv_new */
    for (int i = 0; i < cfg->nlocs; i++)
        if (init_location(kv, i, cfg->loc_names ? cfg->loc_names[i] : NULL) != 0)
            goto fail;
    if (kv_reserve(kv, 64) != 0)
        goto fail;
    return kv;
fail:
    kv_free(kv);
    return NULL;
}

void kv_free(kv_store *kv)
{
    if (!kv)
        return;
    if (kv->locs) {
        for (int i = 0; i < kv->cfg.nlocs; i++) {
            free(kv->locs[i].exp);
            free(kv->locs[i].val);
            if (kv->locs[i].bval)
                for (size_t k = 0; k < kv->nkeys; k++)
                    kv_blob_unref(kv->locs[i].bval[k]);
            free(kv->locs[i].bval);
            free(kv->locs[i].refreshing);
            free(kv->locs[i].mexp);
            free(kv->locs[i].mval);
            free(kv->locs[i].mrefreshing);
            free(kv->locs[i].cttl);
            free(kv->locs[i].mcttl);
            kv_list_unref(kv, kv->locs[i].list);
        }
        free(kv->locs);
    }
    kv_list_unref(kv, kv->list);
    while (kv->free_lists) {
        kv_list *n = kv->free_lists->next_free;
        kv_blob_unref(kv->free_lists->blob);
        free(kv->free_lists->opos);
        free(kv->free_lists);
        kv->free_lists = n;
    }
    if (kv->bst)
        for (size_t k = 0; k < kv->nkeys; k++)
            kv_blob_unref(kv->bst[k]);
    free(kv->bst);
    free(kv->st);
    free(kv->last_put);
    free(kv->mval);
    free(kv->mlast_put);
    free(kv);
}

void kv_set_observer(kv_store *kv, kv_write_fn fn, void *ud)
{
    kv->on_write = fn;
    kv->on_write_ud = ud;
}

const kv_config *kv_config_of(const kv_store *kv) { return &kv->cfg; }

static int grow(void **p, size_t old, size_t n, size_t elem)
{
    void *q = realloc(*p, n * elem);
    if (!q)
        return -1;
    memset((char *)q + old * elem, 0, (n - old) * elem);
    *p = q;
    return 0;
}

int kv_reserve(kv_store *kv, size_t nmsgs)
{
    size_t need = 1 + 2 * nmsgs;
    if (need <= kv->nkeys)
        return 0;
    size_t n = kv->nkeys ? kv->nkeys : 128;
    while (n < need)
        n *= 2;
    if (grow((void **)&kv->st, kv->nkeys, n, sizeof *kv->st) ||
        grow((void **)&kv->last_put, kv->nkeys, n, sizeof *kv->last_put))
        return -1;
    for (size_t k = kv->nkeys; k < n; k++)
        kv->last_put[k] = NEVER;
    int opaque = kv->cfg.render != NULL;
    if (opaque && grow((void **)&kv->bst, kv->nkeys, n, sizeof *kv->bst))
        return -1;
    for (int i = 0; i < kv->cfg.nlocs; i++)
        if (grow((void **)&kv->locs[i].exp, kv->nkeys, n, sizeof(sim_us)) ||
            grow((void **)&kv->locs[i].val, kv->nkeys, n, 1) ||
            grow((void **)&kv->locs[i].refreshing, kv->nkeys, n, 1) ||
            (kv->locs[i].cttl && grow((void **)&kv->locs[i].cttl, kv->nkeys, n, sizeof(sim_us))) ||
            (opaque && grow((void **)&kv->locs[i].bval, kv->nkeys, n, sizeof(kv_blob *))))
            return -1;
    kv->nkeys = n;
    return 0;
}

/* ---- opaque values (JS mode) ---- */

kv_blob *kv_blob_new(const char *data, size_t len)
{
    if (len > UINT32_MAX - 1)
        return NULL;
    kv_blob *b = malloc(sizeof *b + len + 1);
    if (!b)
        return NULL;
    b->refs = 1;
    b->len = (uint32_t)len;
    b->serial = 0;
    memcpy(b->data, data, len);
    b->data[len] = '\0';
    return b;
}

void kv_blob_unref(kv_blob *b)
{
    if (b && --b->refs == 0)
        free(b);
}

/* Replaces *slot's reference with b's (b may be NULL). */
static void blob_set(kv_blob **slot, kv_blob *b)
{
    kv_blob_ref(b);
    kv_blob_unref(*slot);
    *slot = b;
}

/* ---- snapshots of recent:comments ---- */

kv_list *kv_list_new(kv_store *kv)
{
    kv_list *l = kv->free_lists;
    if (l)
        kv->free_lists = l->next_free;
    else {
        if (!(l = calloc(1, sizeof *l + kv->cfg.window * sizeof(kv_entry)))) /* zero padding (kv.h) */
            return NULL;
        l->opos = NULL;
        l->opos_cap = 0;
    }
    l->open_valid = 0;
    l->gen = ++kv->list_gen;
    l->refs = 1;
    l->n = 0;
    l->bytes = 2;
    l->corrupt = 0;
    l->blob = NULL;
    l->next_free = NULL;
    return l;
}

void kv_list_unref(kv_store *kv, kv_list *l)
{
    if (!l || --l->refs > 0)
        return;
    kv_blob_unref(l->blob);
    l->blob = NULL;
    l->next_free = kv->free_lists;
    kv->free_lists = l;
}

int kv_list_mutable(kv_store *kv, kv_list **l)
{
    if ((*l)->refs == 1) {
        (*l)->open_valid = 0; /* the caller is about to change entries */
        (*l)->gen = ++kv->list_gen;
        kv_blob_unref((*l)->blob); /* its text no longer says what it holds */
        (*l)->blob = NULL;
        return 0;
    }
    kv_list *c = kv_list_new(kv);
    if (!c)
        return -1;
    c->n = (*l)->n;
    c->bytes = (*l)->bytes;
    c->corrupt = (*l)->corrupt;
    memcpy(c->e, (*l)->e, c->n * sizeof(kv_entry));
    kv_list_unref(kv, *l);
    *l = c;
    return 0;
}

static int64_t entry_bytes(const kv_store *kv, const kv_entry *e);

void kv_list_touch(kv_store *kv, kv_list *l)
{
    l->open_valid = 0;
    l->gen = ++kv->list_gen;
}

int kv_list_set_status(kv_store *kv, kv_list **l, uint32_t idx, int status)
{
    if (kv_list_mutable(kv, l) != 0)
        return -1;
    kv_entry *e = &(*l)->e[idx];
    (*l)->bytes -= entry_bytes(kv, e);
    e->status = (uint8_t)status;
    (*l)->bytes += entry_bytes(kv, e);
    return 0;
}

uint32_t kv_list_next_open(kv_list *l, uint32_t i)
{
    if (!l->open_valid)
        kv_list_index_open(l);
    if (l->nopen == UINT32_MAX) { /* no index (out of memory): the scan */
        for (; i < l->n; i++)
            if (l->e[i].work && !msg_status_terminal(l->e[i].status))
                return i;
        return l->n;
    }
    uint32_t lo = kv__opos_lower(l, i);
    return lo < l->nopen ? l->opos[lo] : l->n;
}

/* Grows l->opos to hold the open entries from position k on, n being
 * those already found; 0 or -1 (out of memory). */
static int grow_opos(kv_list *l, uint32_t k, uint32_t n)
{
    uint32_t more = 0;
    for (uint32_t j = k; j < l->n; j++)
        more += l->e[j].work && !msg_status_terminal(l->e[j].status);
    uint32_t cap = n + more < 8 ? 8 : n + more;
    uint32_t *p = realloc(l->opos, cap * sizeof *p);
    if (!p)
        return -1;
    l->opos = p;
    l->opos_cap = cap;
    return 0;
}

void kv_list_index_open(kv_list *l)
{
    uint32_t n = 0, nn = l->n, cap = l->opos_cap, *p = l->opos;
    const kv_entry *e = l->e;
    for (uint32_t k = 0; k < nn; k++) {
        if (!e[k].work || msg_status_terminal(e[k].status))
            continue;
        if (n == cap) {
            if (grow_opos(l, k, n) != 0) {
                n = UINT32_MAX;
                break;
            }
            cap = l->opos_cap;
            p = l->opos;
        }
        p[n++] = k;
    }
    l->nopen = n;
    l->open_valid = 1;
}

int kv_list_find(const kv_list *l, uint32_t mi)
{
    for (uint32_t i = 0; i < l->n; i++)
        if (l->e[i].msg == mi)
            return (int)i;
    return -1;
}

/* Serialized bytes of an entry: the message as posted, plus what its bot
 * status adds: ',"status":"<status>"' and, once terminal, ',"processed":true'. */
static int64_t entry_bytes(const kv_store *kv, const kv_entry *e)
{
    static const int status_len[] = { 0, 7, 10, 8, 6 };
    int64_t b = kv->msgs->m[e->msg].bytes;
    if (e->status != MS_NONE)
        b += 12 + status_len[e->status] + (msg_status_terminal(e->status) ? 17 : 0);
    return b;
}

/* Serialized size of message mi with the given bot status (its
 * individual value, and its entry in the cache). */
static int64_t kv_msg_bytes(const kv_store *kv, uint32_t mi, int status)
{
    kv_entry e = { mi, (uint8_t)status, 0 };
    return entry_bytes(kv, &e);
}

/* Recounts the list's serialized bytes from its entries. */
static void kv_list_recount(kv_store *kv, kv_list *l)
{
    int64_t b = 2;
    for (uint32_t i = 0; i < l->n; i++)
        b += entry_bytes(kv, &l->e[i]);
    l->bytes = b + (l->n > 1 ? l->n - 1 : 0);
}

/* O(1) in bytes: l->bytes is kept exact by every change (kv_list_new,
 * copies and status updates), so only the entries that come and go are
 * counted, not the whole window again. */
void kv_list_append(kv_store *kv, kv_list *l, uint32_t mi, int status)
{
    uint32_t w = kv->cfg.window;
    int64_t sum = l->bytes - 2 - (l->n > 1 ? l->n - 1 : 0); /* entry bytes without brackets and commas */
    if (l->n >= w) {
        uint32_t drop = l->n - w + 1;
        for (uint32_t i = 0; i < drop; i++)
            sum -= entry_bytes(kv, &l->e[i]);
        memmove(l->e, l->e + drop, (l->n - drop) * sizeof(kv_entry));
        l->n -= drop;
    }
    const struct msg *m = &kv->msgs->m[mi];
    l->e[l->n].msg = mi;
    l->e[l->n].status = (uint8_t)status;
    l->e[l->n].work = m->type == MT_HUMAN && m->entity;
    sum += entry_bytes(kv, &l->e[l->n]);
    l->n++;
    kv_list_touch(kv, l);
    l->bytes = 2 + sum + (l->n > 1 ? l->n - 1 : 0);
}

void kv_list_insert_sorted(kv_store *kv, kv_list *l, uint32_t mi, int status)
{
    const struct msg *m = kv->msgs->m;
    /* stable insertion sort of what was read: linear when already sorted */
    for (uint32_t i = 1; i < l->n; i++) {
        kv_entry e = l->e[i];
        uint32_t j = i;
        for (; j > 0 && m[l->e[j - 1].msg].ts_ms > m[e.msg].ts_ms; j--)
            l->e[j] = l->e[j - 1];
        l->e[j] = e;
    }
    int64_t ts = m[mi].ts_ms;
    uint32_t p = l->n; /* after every entry with ts <= the new one's */
    while (p > 0 && m[l->e[p - 1].msg].ts_ms > ts)
        p--;
    kv_entry e;
    memset(&e, 0, sizeof e); /* zero padding (kv.h) */
    e.msg = mi;
    e.status = (uint8_t)status;
    e.work = m[mi].type == MT_HUMAN && m[mi].entity;
    if (l->n >= kv->cfg.window) {
        uint32_t drop = l->n - kv->cfg.window + 1; /* the oldest, new one included */
        if (p < drop) { /* the new message is among the oldest: trimmed at once */
            drop--;
            memmove(l->e, l->e + drop, (l->n - drop) * sizeof(kv_entry));
            l->n -= drop;
        } else {
            memmove(l->e, l->e + drop, (p - drop) * sizeof(kv_entry));
            memmove(l->e + (p - drop) + 1, l->e + p, (l->n - p) * sizeof(kv_entry));
            l->e[p - drop] = e;
            l->n -= drop - 1;
        }
    } else {
        memmove(l->e + p + 1, l->e + p, (l->n - p) * sizeof(kv_entry));
        l->e[p] = e;
        l->n++;
    }
    kv_list_touch(kv, l);
    kv_list_recount(kv, l);
}

/* ---- central store ---- */

int kv_central_status(const kv_store *kv, uint32_t key)
{
    return key < kv->nkeys && kv->st[key] ? ST_STATUS(kv->st[key]) : -1;
}

int kv_central_attempts(const kv_store *kv, uint32_t key)
{
    return key < kv->nkeys ? ST_ATTEMPTS(kv->st[key]) : 0;
}

/* The misc value v as seen at time t: expired is absent. */
static int misc_live(const misc_val *v, sim_us t) { return v->set && (v->expires == 0 || t < v->expires); }

int kv_central_num(const kv_store *kv, uint32_t key, int64_t *num)
{
    uint32_t k = key - KV_KEY_MISC;
    if (!kv_key_is_misc(key) || k >= kv->cfg.nmisc || !misc_live(&kv->mval[k], sim_now(kv->ctx)))
        return -1;
    *num = kv->mval[k].num;
    return 0;
}

const kv_list *kv_central_list(const kv_store *kv) { return kv->list; }

void kv_seed_status(kv_store *kv, uint32_t key, int status)
{
    set_central(kv, key, ST_PACK(status, 0));
    if (kv->bst) {
        kv_blob_unref(kv->bst[key]);
        kv->bst[key] = kv->cfg.render(kv->cfg.render_ud, key, status, NULL);
    }
    if (kv->on_write)
        kv->on_write(kv->on_write_ud, key, NULL, NULL, -1);
}

void kv_seed_list(kv_store *kv, kv_list *l)
{
    kv_list *old = kv->list;
    if (kv->cfg.render && l && !l->blob)
        l->blob = kv->cfg.render(kv->cfg.render_ud, KV_KEY_CACHE, -1, l);
    stored_change(kv, list_stored_bytes(kv, l) - list_stored_bytes(kv, old));
    kv->list = l;
    if (kv->on_write)
        kv->on_write(kv->on_write_ud, KV_KEY_CACHE, old, l, -1);
    kv_list_unref(kv, old);
}

void kv_visit_lists(const kv_store *kv, void (*fn)(void *ud, const kv_list *l), void *ud)
{
    if (kv->list)
        fn(ud, kv->list);
    for (int i = 0; i < kv->cfg.nlocs; i++)
        if (kv->locs[i].list)
            fn(ud, kv->locs[i].list);
}

void kv_forget_msg(kv_store *kv, uint32_t m)
{
    for (int legacy = 0; legacy < 2; legacy++) {
        uint32_t key = kv_key_msg(m, legacy);
        if (key >= kv->nkeys)
            continue;
        kv->st[key] = 0;
        kv->last_put[key] = NEVER;
        if (kv->bst)
            blob_set(&kv->bst[key], NULL);
        for (int i = 0; i < kv->cfg.nlocs; i++) {
            if (kv->locs[i].bval)
                blob_set(&kv->locs[i].bval[key], NULL);
            kv->locs[i].exp[key] = 0;
            kv->locs[i].val[key] = 0;
            kv->locs[i].refreshing[key] = 0;
            if (kv->locs[i].cttl)
                kv->locs[i].cttl[key] = 0;
        }
    }
}

static int misc_live(const misc_val *v, sim_us t);

void kv_visit_misc_nums(const kv_store *kv, void (*fn)(void *ud, uint32_t key, int64_t num), void *ud)
{
    sim_us t = sim_now(kv->ctx);
    for (uint32_t k = 0; k < kv->cfg.nmisc; k++) {
        if (misc_live(&kv->mval[k], t))
            fn(ud, KV_KEY_MISC + k, kv->mval[k].num);
        for (int i = 0; i < kv->cfg.nlocs; i++) {
            const location *L = &kv->locs[i];
            /* an expired copy is never served again (the next get fetches) */
            if (L->mexp[k] > t && misc_live(&L->mval[k], t))
                fn(ud, KV_KEY_MISC + k, L->mval[k].num);
        }
    }
}

/* ---- operations ---- */

/* Once per operation: the division only when the day may have changed.
 * [day_lo, day_hi) is the span of UTC times whose quotient is kv->day (C
 * division truncates, so a negative day's span is shifted by one). */
static inline void roll_day(kv_store *kv)
{
    sim_us utc = sim_now(kv->ctx) + kv->cfg.utc_offset;
    if (utc >= kv->day_lo && utc < kv->day_hi)
        return;
    int64_t day = utc / MET_US_PER_DAY;
    kv->day_lo = utc >= 0 ? day * MET_US_PER_DAY : (day - 1) * MET_US_PER_DAY + 1;
    kv->day_hi = kv->day_lo + MET_US_PER_DAY;
    if (day != kv->day) {
        kv->day = day;
        kv->day_reads = kv->day_writes = 0;
    }
}

/* O(1): a copy's fetch time is its expiry minus cacheTtl, so copies with
 * an expiry under forgot + cacheTtl were fetched before the forget. */
void kv_location_forget(kv_store *kv, int loc)
{
    location *L = &kv->locs[loc];
    kv_list_unref(kv, L->list);
    L->list = NULL;
    L->list_exp = 0;
    L->list_cttl = 0;
    L->forgot = sim_now(kv->ctx);
}

static inline sim_us loc_exp(const location *L, uint32_t key)
{
    if (kv_key_is_misc(key))
        return L->mexp[key - KV_KEY_MISC];
    return key == KV_KEY_CACHE ? L->list_exp : L->exp[key];
}

/* How long location L keeps its copy of key: cache_ttl, or the cacheTtl
 * of the get that fetched it. */
static sim_us copy_ttl(const kv_store *kv, const location *L, uint32_t key)
{
    sim_us v = 0;
    if (kv_key_is_misc(key))
        v = L->mcttl ? L->mcttl[key - KV_KEY_MISC] : 0;
    else if (key == KV_KEY_CACHE)
        v = L->list_cttl;
    else
        v = L->cttl ? L->cttl[key] : 0;
    return v ? v : kv->cfg.cache_ttl;
}

/* A forget is rare (kv_location_forget): before the first, no copy's
 * lifetime is looked up. */
static inline int loc_valid(const kv_store *kv, const location *L, uint32_t key, sim_us t)
{
    sim_us exp = loc_exp(L, key);
    return exp > t && (L->forgot == NEVER || exp >= L->forgot + copy_ttl(kv, L, key));
}

/* dist_draw, with a fixed latency (the common case: no stream is read)
 * taken without the call. */
static inline sim_us draw_lat(const dist *d, gsl_rng *r)
{
    return d->kind == DIST_CONST ? d->a : dist_draw(d, r);
}

/* Packs the decision taken at issue time into the event argument. */
#define ARG_HIT 0x100u

/* Records the lifetime of L's new copy of key (0: cache_ttl). -1 on OOM. */
static int set_copy_ttl(kv_store *kv, location *L, uint32_t key, sim_us ttl)
{
    sim_us v = ttl == kv->cfg.cache_ttl ? 0 : ttl;
    if (kv_key_is_misc(key)) {
        if (!L->mcttl && v && !(L->mcttl = calloc(kv->cfg.nmisc, sizeof(sim_us))))
            return -1;
        if (L->mcttl)
            L->mcttl[key - KV_KEY_MISC] = v;
    } else if (key == KV_KEY_CACHE) {
        L->list_cttl = v;
    } else {
        if (!L->cttl && v && !(L->cttl = calloc(kv->nkeys, sizeof(sim_us))))
            return -1;
        if (L->cttl)
            L->cttl[key] = v;
    }
    return 0;
}

/* Replaces location L's copy of key with the central value, cached until
 * t + ttl (cache_ttl, or the fetching get's cacheTtl): the only place an
 * expiry is set. */
static void fetch(kv_store *kv, location *L, uint32_t key, sim_us t, sim_us ttl)
{
    if (set_copy_ttl(kv, L, key, ttl) != 0)
        ttl = kv->cfg.cache_ttl; /* out of memory: the scenario's lifetime */
    if (kv_key_is_misc(key)) {
        L->mval[key - KV_KEY_MISC] = kv->mval[key - KV_KEY_MISC];
        L->mexp[key - KV_KEY_MISC] = t + ttl;
    } else if (key == KV_KEY_CACHE) {
        kv_list_unref(kv, L->list);
        L->list = kv_list_ref(kv->list);
        L->list_exp = t + ttl;
    } else {
        L->val[key] = kv->st[key];
        if (L->bval)
            blob_set(&L->bval[key], kv->bst[key]);
        L->exp[key] = t + ttl;
    }
}

static uint8_t *refreshing(location *L, uint32_t key)
{
    if (kv_key_is_misc(key))
        return &L->mrefreshing[key - KV_KEY_MISC];
    return key == KV_KEY_CACHE ? &L->list_refreshing : &L->refreshing[key];
}

static void refresh_done(sim_ctx *ctx, void *obj, uint64_t arg)
{
    location *L = obj;
    uint32_t key = (uint32_t)arg;
    uint8_t *busy = refreshing(L, key);
    if (*busy != (uint8_t)(arg >> 32))
        return; /* the key was dropped (kv_forget_msg) meanwhile */
    *busy = 0;
    fetch(L->kv, L, key, sim_now(ctx), copy_ttl(L->kv, L, key)); /* the copy keeps its lifetime */
    met_add(sim_metrics(ctx), L->m_refresh[kv_key_class(key)], sim_now(ctx), 1);
}

/* A get served from the copy late in its life starts one background fetch
 * (latency get_miss from the location's own stream; not billed: no Worker
 * operation). The copy keeps serving until the fetch lands. */
static void maybe_refresh(kv_store *kv, location *L, uint32_t key, sim_us t)
{
    sim_us exp = loc_exp(L, key), window = kv->refresh_window, ttl = copy_ttl(kv, L, key);
    if (ttl != kv->cfg.cache_ttl) /* a copy of a get's own cacheTtl: the same share of its life */
        window = (sim_us)(kv->cfg.background_refresh * (double)ttl);
    uint8_t *busy = refreshing(L, key);
    if (window <= 0 || *busy || t < exp - window)
        return;
    if (++L->refresh_gen == 0)
        L->refresh_gen = 1;
    *busy = L->refresh_gen;
    sim_after(kv->ctx, draw_lat(&kv->cfg.get_miss, L->refresh_rng), refresh_done, L,
              (uint64_t)key | (uint64_t)L->refresh_gen << 32);
}

static void get_done(sim_ctx *ctx, void *obj, uint64_t arg)
{
    kv_op *op = obj;
    kv_store *kv = op->store;
    (void)ctx;
    op->res = (uint8_t)(arg & 0xffu);
    op->status = 0;
    op->list = NULL;
    op->blob = NULL; /* the caller released the last reply's (call.c prepare) */
    if (op->res == KV_OK) {
        sim_us t = sim_now(kv->ctx);
        location *L = &kv->locs[op->loc];
        uint32_t key = op->key;
        int cls = kv_key_class(key);
        if (!loc_valid(kv, L, key, t)) {
            fetch(kv, L, key, t, op->cache_ttl > 0 ? op->cache_ttl : kv->cfg.cache_ttl); /* misses are cached too */
            met_add(kv->met, L->m_central[cls], t, 1);
        } else {
            met_add(kv->met, L->m_local[cls], t, 1);
            maybe_refresh(kv, L, key, t);
        }
        if (kv_key_is_misc(key)) {
            /* a copy past the value's expiration reads as absent */
            const misc_val *v = &L->mval[key - KV_KEY_MISC];
            op->res = misc_live(v, t) ? KV_OK : KV_MISS;
            op->num = op->res == KV_OK ? v->num : 0;
        } else if (key == KV_KEY_CACHE) {
            op->list = kv_list_ref(L->list);
            op->res = op->list ? KV_OK : KV_MISS;
        } else {
            uint8_t v = L->val[key];
            op->res = v ? KV_OK : KV_MISS;
            op->status = v ? (uint8_t)ST_STATUS(v) : 0;
            op->attempts = (uint8_t)ST_ATTEMPTS(v);
            if (L->bval)
                op->blob = kv_blob_ref(L->bval[key]);
        }
        roll_day(kv);
        count_day(kv, 0);
    }
    op->done(kv->ctx, op);
}

static int capped(kv_store *kv, int put)
{
    roll_day(kv);
    if (put)
        return kv->cfg.daily_write_cap > 0 && kv->day_writes >= kv->cfg.daily_write_cap;
    return kv->cfg.daily_read_cap > 0 && kv->day_reads >= kv->cfg.daily_read_cap;
}

void kv_get(kv_store *kv, kv_op *op)
{
    sim_us now = sim_now(kv->ctx);
    int hit = loc_valid(kv, &kv->locs[op->loc], op->key, now);
    sim_us lat = op->pin_lat >= 0 ? op->pin_lat
                                  : draw_lat(hit ? &kv->cfg.get_hit : &kv->cfg.get_miss, lat_rng(kv, op));
    double p = op->pin_lat >= 0 ? 0 : kv->cfg.get_error_prob[kv_key_class(op->key)];
    int res = KV_OK;
    if (op->force)
        res = op->force;
    else if (capped(kv, 0))
        res = KV_ECAP;
    else if (p > 0 && gsl_rng_uniform(fail_rng(kv, op)) < p)
        res = KV_ETRANSIENT;
    op->issued = now;
    op->store = kv;
    sim_after(kv->ctx, lat, get_done, op, (uint64_t)res | (hit ? ARG_HIT : 0));
}

static void put_done(sim_ctx *ctx, void *obj, uint64_t arg);

static void list_done(sim_ctx *ctx, void *obj, uint64_t arg)
{
    kv_op *op = obj;
    op->res = (uint8_t)arg;
    op->list = NULL;
    op->blob = NULL;
    op->num = 0;
    if (op->res == KV_OK) {
        roll_day(op->store);
        count_day(op->store, 1);
    }
    op->done(ctx, op);
}

void kv_list_op(kv_store *kv, kv_op *op)
{
    sim_us now = sim_now(kv->ctx);
    sim_us lat = op->pin_lat >= 0 ? op->pin_lat : draw_lat(&kv->cfg.get_miss, lat_rng(kv, op));
    double p = op->pin_lat >= 0 ? 0 : kv->cfg.get_error_prob[KV_CLASS_OTHER];
    int res = KV_OK;
    if (op->force)
        res = op->force;
    else if (capped(kv, 1))
        res = KV_ECAP;
    else if (p > 0 && gsl_rng_uniform(fail_rng(kv, op)) < p)
        res = KV_ETRANSIENT;
    op->issued = now;
    op->store = kv;
    sim_after(kv->ctx, lat, list_done, op, (uint64_t)res);
}

void kv_put(kv_store *kv, kv_op *op)
{
    sim_us now = sim_now(kv->ctx);
    int res = KV_OK;
    sim_us lat = 0;
    /* misc keys: fixed names, or "ratelimit:" + an actor name (< 64
     * bytes), and small numbers: never near the limits */
    int misc = kv_key_is_misc(op->key);
    int klen = misc ? 0
               : op->key == KV_KEY_CACHE
                   ? (int)strlen(kv->cfg.cache_key_name)
                   : msg_key_len(kv->msgs, kv_key_to_msg(op->key), kv_key_legacy(op->key));
    if (op->force)
        res = op->force;
    else if (misc)
        res = capped(kv, 1) ? KV_ECAP : KV_OK;
    else if (klen > kv->cfg.key_max_bytes ||
             (op->key == KV_KEY_CACHE && op->put_list && op->put_list->bytes > kv->cfg.value_max_bytes) ||
             (op->key != KV_KEY_CACHE &&
              (op->put_blob ? (int64_t)op->put_blob->len
                            : kv_msg_bytes(kv, kv_key_to_msg(op->key), op->put_status)) > kv->cfg.value_max_bytes))
        res = KV_ETOOLARGE; /* the binding refuses before sending */
    else if (capped(kv, 1))
        res = KV_ECAP;
    if (op->pin_lat >= 0) {
        lat = op->pin_lat;
    } else if (res != KV_ETOOLARGE && res != KV_ECAP) {
        double p = kv->cfg.put_error_prob[kv_key_class(op->key)];
        lat = draw_lat(&kv->cfg.put, lat_rng(kv, op));
        if (res == KV_OK && p > 0 && gsl_rng_uniform(fail_rng(kv, op)) < p)
            res = KV_ETRANSIENT;
    }
    op->issued = now;
    op->store = kv;
    op->list = NULL;
    sim_after(kv->ctx, lat, put_done, op, (uint64_t)res);
}

static void put_done(sim_ctx *ctx, void *obj, uint64_t arg)
{
    kv_op *op = obj;
    kv_store *kv = op->store;
    sim_us t = sim_now(ctx);
    uint32_t key = op->key;
    op->res = (uint8_t)arg;
    if (op->res == KV_OK) {
        sim_us last = kv_key_is_misc(key)   ? kv->mlast_put[key - KV_KEY_MISC]
                      : key == KV_KEY_CACHE ? kv->list_last_put
                                            : kv->last_put[key];
        if (op->pin_lat < 0 && last != NEVER && t - last < kv->cfg.same_key_interval && kv->cfg.p429 > 0 &&
            gsl_rng_uniform(fail_rng(kv, op)) < kv->cfg.p429)
            op->res = KV_E429;
    }
    if (op->res != KV_OK) {
        kv_list_unref(kv, op->put_list);
        op->put_list = NULL;
        kv_blob_unref(op->put_blob);
        op->put_blob = NULL;
        op->done(ctx, op);
        return;
    }
    roll_day(kv);
    count_day(kv, 1);
    location *L = &kv->locs[op->loc];
    /* The writer's copy, if it holds one, shows the write (with probability
     * own_writes_visible, drawn from the writer's stream only when strictly
     * between 0 and 1); its expiry stays fetch time + cache_ttl. */
    double pv = kv->cfg.own_writes_visible;
    int own = loc_valid(kv, L, key, t) &&
              (pv >= 1 || (pv > 0 && (op->pin_lat >= 0 || gsl_rng_uniform(fail_rng(kv, op)) < pv)));
    if (kv_key_is_misc(key)) {
        /* no observer: the tracker follows messages only */
        misc_val *v = &kv->mval[key - KV_KEY_MISC];
        v->set = op->verb != KV_VERB_DELETE;
        v->num = op->put_num;
        v->expires = op->put_ttl > 0 ? t + op->put_ttl : 0;
        kv->mlast_put[key - KV_KEY_MISC] = t;
        if (own)
            L->mval[key - KV_KEY_MISC] = *v;
    } else if (key == KV_KEY_CACHE) {
        kv_list *old = kv->list;
        stored_change(kv, list_stored_bytes(kv, op->put_list) - list_stored_bytes(kv, old));
        kv->list = op->put_list; /* the reference given by the caller */
        op->put_list = NULL;
        kv->list_last_put = t;
        if (own) {
            kv_list_unref(kv, L->list);
            L->list = kv_list_ref(kv->list);
        }
        if (kv->on_write)
            kv->on_write(kv->on_write_ud, key, old, kv->list, op->tag);
        kv_list_unref(kv, old);
    } else {
        set_central(kv, key, ST_PACK(op->put_status, op->put_attempts));
        kv->last_put[key] = t;
        if (kv->bst) {
            kv_blob_unref(kv->bst[key]);
            kv->bst[key] = op->put_blob; /* the reference given by the caller */
            op->put_blob = NULL;
        }
        if (own) {
            L->val[key] = kv->st[key];
            if (L->bval)
                blob_set(&L->bval[key], kv->bst[key]);
        }
        if (kv->on_write)
            kv->on_write(kv->on_write_ud, key, NULL, NULL, op->tag);
    }
    op->done(ctx, op);
}
