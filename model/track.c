/* track.c - divergence episodes, stuck gauge, lost entries, liveness and
 * safety, kept incrementally from central writes and request ends. */
#include "track.h"

#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sim/km.h"

struct track {
    sim_ctx *ctx;
    msg_table *msgs;
    kv_store *kv;
    uint32_t epoch;
    int64_t stuck;
    met_id m_opened, m_healed, m_cens_aged, m_cens_lost, m_cens_end;
    met_id s_heal, s_censored, s_reply;
    met_id m_km[4];      /* heal.km.p50/p90/p95/p99_us */
    met_id m_aged, m_lost, m_removals, m_corrupted, m_pending_aged, m_never_cached;
    met_id m_lost_by[EP_COUNT], m_first_lost_by[EP_COUNT];
    met_id m_never_answered, m_answered_twice, m_returned_claimed, m_answers;
    met_id m_stuck_peak, m_stuck_final, r_stuck;
    met_id m_regressions;
    met_id m_kvr_max, m_first_lost, m_first_double, m_worst_heal_at;
    int64_t worst_heal;
    int seen_lost, seen_double;
    uint32_t *changed;   /* scratch: cache entries a write changed */
    uint32_t cap_changed; /* of changed and of prev's arrays */
    /* prev: the last central value followed (follow_fast) */
    uint64_t *pkey;      /* its entries (entry_key) */
    uint64_t *pseq;      /* their cache_seq */
    uint32_t pn;
    int pvalid;          /* prev is the last value followed, no message twice */
    const kv_list *pptr; /* that value and its kv_list.gen: when the old */
    uint64_t pgen;       /* value of a write is it, unchanged, it equals prev */
    int check, op_limit;
    const call_backend *backend;
    sim_us last_t;
    char violation[512];
};

void track_set_check(track *t, int op_limit)
{
    t->check = 1;
    t->op_limit = op_limit;
}

void track_set_backend(track *t, const call_backend *b) { t->backend = b; }

/* The stored status of key: the backend's, or KV's central store. */
static int stored(const track *t, uint32_t key)
{
    if (t->backend && t->backend->status)
        return t->backend->status(t->backend->be, key);
    return kv_central_status(t->kv, key);
}

const char *track_violation(const track *t) { return t->violation[0] ? t->violation : NULL; }

static void violate(track *t, const char *rule, const char *detail)
{
    if (t->violation[0])
        return;
    snprintf(t->violation, sizeof t->violation, "invariant violated at t=%lldus: %s (%s)",
             (long long)sim_now(t->ctx), rule, detail);
    sim_stop(t->ctx);
}

static void check_clock(track *t)
{
    sim_us now = sim_now(t->ctx);
    if (t->check && now < t->last_t)
        violate(t, "simulated time never goes backwards", "an observation came before the previous one");
    t->last_t = now;
}

/* A registration: a negative id clears ok. */
static met_id reg(int *ok, met_id id)
{
    if (id < 0)
        *ok = 0;
    return id;
}

track *track_new(sim_ctx *ctx, msg_table *msgs, kv_store *kv)
{
    track *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    met_registry *m = sim_metrics(ctx);
    int ok = 1;
    t->ctx = ctx;
    t->msgs = msgs;
    t->kv = kv;
    t->m_opened = reg(&ok, met_counter(m, "divergence.episodes"));
    t->m_healed = reg(&ok, met_counter(m, "divergence.healed"));
    t->m_cens_aged = reg(&ok, met_counter(m, "divergence.censored.aged_out"));
    t->m_cens_lost = reg(&ok, met_counter(m, "divergence.censored.overwritten"));
    t->m_cens_end = reg(&ok, met_counter(m, "divergence.censored.open_at_end"));
    t->s_heal = reg(&ok, met_samples(m, "heal_latency_us"));
    /* episodes that ended without healing, at the time they were censored
     * (aged out, overwritten, open at the end): Kaplan-Meier needs both */
    t->s_censored = reg(&ok, met_samples(m, "heal_censored_us"));
    static const char *const km_names[4] = { "heal.km.p50_us", "heal.km.p90_us", "heal.km.p95_us",
                                             "heal.km.p99_us" };
    for (int k = 0; k < 4; k++)
        t->m_km[k] = reg(&ok, met_counter(m, km_names[k]));
    t->s_reply = reg(&ok, met_samples(m, "reply_latency_us"));
    t->m_aged = reg(&ok, met_counter(m, "cache.aged_out"));
    t->m_lost = reg(&ok, met_counter(m, "cache.lost_by_overwrite"));
    t->m_removals = reg(&ok, met_counter(m, "cache.overwrite_removals"));
    t->m_corrupted = reg(&ok, met_counter(m, "cache.lost_by_corruption"));
    for (int e = 0; e < EP_COUNT; e++) {
        char name[64];
        snprintf(name, sizeof name, "cache.lost_by_overwrite.%s", ep_name(e));
        t->m_lost_by[e] = reg(&ok, met_counter(m, name)); /* which endpoint's write lost it */
        snprintf(name, sizeof name, "witness.first_lost_us.%s", ep_name(e));
        t->m_first_lost_by[e] = reg(&ok, met_counter(m, name));
    }
    t->m_pending_aged = reg(&ok, met_counter(m, "cache.pending_aged_out"));
    t->m_never_cached = reg(&ok, met_counter(m, "cache.never_cached"));
    t->m_answers = reg(&ok, met_counter(m, "liveness.answers"));
    t->m_never_answered = reg(&ok, met_counter(m, "liveness.never_answered"));
    t->m_answered_twice = reg(&ok, met_counter(m, "safety.answered_twice"));
    t->m_returned_claimed = reg(&ok, met_counter(m, "safety.returned_after_claim"));
    t->m_stuck_peak = reg(&ok, met_max(m, "stuck.peak"));
    t->m_stuck_final = reg(&ok, met_gauge(m, "stuck.final"));
    t->r_stuck = reg(&ok, met_series(m, "stuck", "t_us,stuck"));
    t->m_regressions = reg(&ok, met_counter(m, "safety.status_regressions"));
    /* witnesses: where to look in a trace (search explains with them) */
    t->m_kvr_max = reg(&ok, met_max(m, "polls.kvr_max"));
    t->m_first_lost = reg(&ok, met_counter(m, "witness.first_lost_us"));
    t->m_first_double = reg(&ok, met_counter(m, "witness.first_double_answer_us"));
    t->m_worst_heal_at = reg(&ok, met_gauge(m, "witness.slowest_heal_end_us"));
    if (!ok) { /* the registry is out of memory */
        free(t);
        return NULL;
    }
    return t;
}

void track_free(track *t)
{
    if (t) {
        free(t->changed);
        free(t->pkey);
        free(t->pseq);
    }
    free(t);
}

static int bot_work(const msg *m) { return m->type == MT_HUMAN && m->entity; }

static void set_stuck(track *t, msg *m, int stuck)
{
    if (m->stuck == stuck)
        return;
    m->stuck = (uint8_t)stuck;
    t->stuck += stuck ? 1 : -1;
    met_offer(sim_metrics(t->ctx), t->m_stuck_peak, t->stuck);
    int64_t row[2] = { sim_now(t->ctx), t->stuck };
    met_row(sim_metrics(t->ctx), t->r_stuck, row);
}

/* Re-evaluates message i after something about it changed. left_by: 0
 * still in cache or never was; 1 aged out; 2 lost by overwrite. */
static void check(track *t, uint32_t i, int left_by)
{
    msg *m = &t->msgs->m[i];
    if (!bot_work(m))
        return;
    met_registry *mr = sim_metrics(t->ctx);
    sim_us now = sim_now(t->ctx);
    int store = stored(t, kv_key_msg(i, m->legacy));
    int mismatch = m->in_cache && m->cstat != store;
    set_stuck(t, m, m->in_cache && !msg_status_terminal(m->cstat) && msg_status_terminal(store));
    if (m->div_start >= 0) {
        if (!m->in_cache) {
            met_add(mr, left_by == 2 ? t->m_cens_lost : t->m_cens_aged, now, 1);
            met_sample(mr, t->s_censored, now - m->div_start);
            m->div_start = -1;
        } else if (!mismatch) {
            met_add(mr, t->m_healed, now, 1);
            met_sample(mr, t->s_heal, now - m->div_start);
            if (now - m->div_start > t->worst_heal) {
                t->worst_heal = now - m->div_start;
                met_set(mr, t->m_worst_heal_at, now);
            }
            m->div_start = -1;
        }
    } else if (mismatch && m->inflight == 0) {
        m->div_start = now;
        met_add(mr, t->m_opened, now, 1);
    }
}

/* ---- following the central cache ----
 *
 * A write of the cache is followed by stamping every entry of the new
 * value (in_cache, cstat, cache_seq), re-checking the entries that appear
 * or change status, and classifying the old entries the new value lacks
 * (follow_all). Most writes change one entry or shift the window by one,
 * so follow_fast does the same work on the entries that differ only,
 * from the tracker's own copy of the last value it followed (prev: the
 * messages, statuses and cache_seq stamps, in a compact array). Both give
 * the same counts, samples and rows in the same order: follow_fast runs
 * only when the old value equals prev entry for entry and no message is
 * in the new value twice, which make every unchanged entry's state
 * exactly what stamping would write again. */

#define FAST_MAX 4 /* entries that may differ for follow_fast to run */

/* An entry as one integer: message, status and work (kv_entry's six
 * bytes; its two padding bytes are masked off, so they never count). */
static uint64_t entry_key(const kv_entry *e)
{
    uint64_t raw;
    _Static_assert(sizeof(kv_entry) == 8 && offsetof(kv_entry, status) == 4 && offsetof(kv_entry, work) == 5,
                   "entry_key reads kv_entry as msg, status, work in six bytes");
    memcpy(&raw, e, sizeof raw);
    return raw & UINT64_C(0xffffffffffff);
}

static int reserve_scratch(track *t, uint32_t n)
{
    if (t->cap_changed >= n)
        return 0;
    uint32_t *c = realloc(t->changed, n * sizeof *c);
    if (c)
        t->changed = c;
    uint64_t *pk = c ? realloc(t->pkey, n * sizeof *pk) : NULL;
    if (pk)
        t->pkey = pk;
    uint64_t *pq = pk ? realloc(t->pseq, n * sizeof *pq) : NULL;
    if (!pq)
        return -1;
    t->pseq = pq;
    t->cap_changed = n;
    return 0;
}

/* Stamps new entry k of the new value (epoch ep); returns its cache_seq. */
static uint64_t stamp(track *t, const kv_entry *e, uint32_t k, uint32_t ep, uint32_t *nchanged)
{
    msg *m = &t->msgs->m[e->msg];
    if (e->work && (!m->in_cache || m->cstat != e->status))
        t->changed[(*nchanged)++] = e->msg;
    m->seen = ep;
    if (!m->cache_seq)
        m->cache_seq = ((uint64_t)ep << 32) | k;
    m->in_cache = 1;
    m->was_cached = 1;
    m->cstat = e->status;
    return m->cache_seq;
}

/* Message i, in the old value and not in the new one, leaves the cache.
 * A removed message aged out only when the new value holds at least
 * `window` messages newer than it, "newer" meaning that they arrived in
 * the central cache after it (cache_seq; posts can land in another order
 * than they were made): the window, full of newer messages, pushed it out
 * (full: the new value holds the window; oldest_kept: its smallest
 * cache_seq). Any other removal is a loss by overwrite, whoever wrote it:
 * typically a read-modify-write from a copy that never held the message
 * (another location's stale copy, or a request that read before the
 * message landed). */
static void removed(track *t, uint32_t i, const kv_list *new_list, int full, uint64_t oldest_kept, int tag)
{
    met_registry *mr = sim_metrics(t->ctx);
    sim_us now = sim_now(t->ctx);
    msg *m = &t->msgs->m[i];
    if (!m->in_cache)
        return;
    m->in_cache = 0;
    int aged = full && m->cache_seq < oldest_kept;
    /* A stale write can put a lost message back and a later one drop it
     * again: lost_by_overwrite counts messages, once; overwrite_removals
     * counts every such removal. */
    if (new_list && new_list->corrupt) {
        met_add(mr, t->m_corrupted, now, 1);
    } else if (aged) {
        met_add(mr, t->m_aged, now, 1);
    } else {
        met_add(mr, t->m_removals, now, 1);
        if (!m->lost_once) {
            m->lost_once = 1;
            met_add(mr, t->m_lost, now, 1);
            if (tag >= 0 && tag < EP_COUNT) {
                if (met_counter_value(mr, t->m_lost_by[tag]) == 0)
                    met_add(mr, t->m_first_lost_by[tag], now, now);
                met_add(mr, t->m_lost_by[tag], now, 1);
            }
            if (!t->seen_lost++)
                met_add(mr, t->m_first_lost, now, now);
        }
    }
    if (aged && bot_work(m) && stored(t, kv_key_msg(i, m->legacy)) == MS_PENDING)
        met_add(mr, t->m_pending_aged, now, 1);
    check(t, i, aged ? 1 : 2);
}

/* Every entry: stamps the new value, then the old entries it lacks (seen
 * != ep), then re-checks the entries that appeared or changed status
 * (an unchanged entry's state moves only with its own key's writes and
 * its own calls, which check it themselves). Records prev. */
static void follow_all(track *t, const kv_list *old_list, const kv_list *new_list, int tag, uint32_t ep,
                       uint32_t window)
{
    uint32_t nchanged = 0;
    uint64_t oldest_kept = UINT64_MAX;
    int full = new_list && !new_list->corrupt && new_list->n >= window;
    int twice = 0;
    t->pvalid = 0;
    t->pptr = NULL;
    if (new_list && !new_list->corrupt) {
        for (uint32_t k = 0; k < new_list->n; k++) {
            const kv_entry *e = &new_list->e[k];
            twice |= t->msgs->m[e->msg].seen == ep;
            uint64_t q = stamp(t, e, k, ep, &nchanged);
            if (q < oldest_kept)
                oldest_kept = q;
            t->pkey[k] = entry_key(e);
            t->pseq[k] = q;
        }
        t->pn = new_list->n;
        t->pvalid = !twice;
        t->pptr = new_list;
        t->pgen = new_list->gen;
    }
    if (old_list && !old_list->corrupt)
        for (uint32_t k = 0; k < old_list->n; k++) {
            uint32_t i = old_list->e[k].msg;
            if (t->msgs->m[i].seen != ep)
                removed(t, i, new_list, full, oldest_kept, tag);
        }
    for (uint32_t k = 0; k < nchanged; k++)
        check(t, t->changed[k], 0);
}

/* The first j in [j, n) where the eight bytes of ne[j] differ from pk[j]
 * (an entry_key), or n. An entry's padding is zero (kv.h), so equal bytes
 * are equal keys; the caller compares the keys of the bytes that differ.
 * memcmp passes over the unchanged run a block at a time. */
static uint32_t next_diff(const kv_entry *ne, const uint64_t *pk, uint32_t j, uint32_t n)
{
    enum { BLK = 16 };
    while (j + BLK <= n && memcmp(ne + j, pk + j, BLK * sizeof *pk) == 0)
        j += BLK;
    for (; j < n; j++) {
        uint64_t raw;
        memcpy(&raw, &ne[j], sizeof raw);
        if (raw != pk[j])
            return j;
    }
    return n;
}

static uint64_t min_stamp(const uint64_t *pq, uint32_t from, uint32_t to, uint64_t m)
{
    for (uint32_t k = from; k < to; k++)
        m = pq[k] < m ? pq[k] : m;
    return m;
}

/* follow_all's work on the entries that differ, when the old value is
 * prev and at most FAST_MAX entries differ; 0 (nothing done) otherwise.
 * The new value is compared with the old one shifted by s entries (0: a
 * status changed or an entry was added; 1: the window slid by one).
 * The loops over the window are branch-free comparisons of integers. */
static int follow_fast(track *t, const kv_list *o, const kv_list *nl, int tag, uint32_t window)
{
    if (!t->pvalid || !o || o->corrupt || !nl || nl->corrupt || o->n != t->pn)
        return 0;
    uint32_t no = o->n, nn = nl->n;
    const kv_entry *oe = o->e, *ne = nl->e;
    /* The old value against prev: equal without a look when it is the value
     * followed last, unchanged since (same snapshot, same gen: kv.h). */
    if (o != t->pptr || o->gen != t->pgen) {
        uint64_t diff = 0;
        for (uint32_t k = 0; k < no; k++)
            diff |= entry_key(&oe[k]) ^ t->pkey[k];
        if (diff)
            return 0;
    }
    uint32_t s = 0;
    if (nn > 0)
        for (uint32_t d = 0; d < no && d < FAST_MAX; d++)
            if (oe[d].msg == ne[0].msg) {
                s = d;
                break;
            }
    /* One pass over the overlap: the new value against prev shifted,
     * collecting the entries that differ
     * (fresh: new entries unlike the old one at their shifted place; gone:
     * old entries whose message is not at its shifted place) and the
     * smallest stamp of the unchanged entries. Both lists come out in
     * ascending order: the old value's head, the overlap, its tail. */
    uint32_t overlap = no - s < nn ? no - s : nn;
    /* an empty list may have no array at all: no offset from NULL (UB) */
    const uint64_t *pk = t->pkey ? t->pkey + s : NULL, *pq = t->pseq ? t->pseq + s : NULL;
    uint32_t fresh[FAST_MAX], nf = 0, gone[FAST_MAX], ng = 0;
    for (uint32_t k = 0; k < s; k++) /* s < FAST_MAX */
        gone[ng++] = k;
    for (uint32_t j = next_diff(ne, pk, 0, overlap); j < overlap; j = next_diff(ne, pk, j + 1, overlap)) {
        uint64_t x = entry_key(&ne[j]) ^ pk[j];
        if (!x)
            continue; /* the same key */
        if (nf == FAST_MAX || ((uint32_t)x && ng == FAST_MAX))
            return 0;
        fresh[nf++] = j;
        if ((uint32_t)x) /* another message, not a status change */
            gone[ng++] = j + s;
    }
    /* the smallest stamp of the unchanged entries: the overlap but the
     * fresh ones (ascending) */
    uint64_t kept_min = UINT64_MAX;
    uint32_t from = 0;
    for (uint32_t f = 0; f <= nf; f++) {
        uint32_t to = f < nf ? fresh[f] : overlap;
        kept_min = min_stamp(pq, from, to, kept_min);
        from = to + 1;
    }
    for (uint32_t k = s + overlap; k < no; k++) {
        if (ng == FAST_MAX)
            return 0;
        gone[ng++] = k;
    }
    for (uint32_t j = overlap; j < nn; j++) {
        if (nf == FAST_MAX)
            return 0;
        fresh[nf++] = j;
    }
    /* No message twice. The unchanged entries are distinct (prev holds none
     * twice) and hold prev's messages, each at most once, so a fresh entry
     * repeats one only if its message is in prev (in_cache: every message
     * of prev has it) and is not the status change of the entry at its own
     * shifted place; fresh entries are also compared with each other. */
    for (uint32_t f = 0; f < nf; f++) {
        uint32_t j = fresh[f], mi = ne[j].msg;
        for (uint32_t g = 0; g < f; g++)
            if (ne[fresh[g]].msg == mi)
                return 0;
        int restatus = j < overlap && (uint32_t)pk[j] == mi;
        if (restatus || !t->msgs->m[mi].in_cache)
            continue;
        uint32_t same = 0;
        for (uint32_t k = 0; k < nn; k++)
            same += ne[k].msg == mi;
        if (same != 1)
            return 0;
    }
    /* From here on, follow_all's steps in its order. prev becomes the new
     * value: shifted down by s, the fresh entries stamped. */
    uint32_t nchanged = 0, ep = t->epoch;
    if (s) {
        memmove(t->pseq, t->pseq + s, overlap * sizeof *t->pseq);
        memmove(t->pkey, t->pkey + s, overlap * sizeof *t->pkey);
    }
    uint64_t oldest_kept = kept_min; /* the smallest stamp of the new value */
    for (uint32_t f = 0; f < nf; f++) {
        uint32_t j = fresh[f];
        t->pseq[j] = stamp(t, &ne[j], j, ep, &nchanged);
        t->pkey[j] = entry_key(&ne[j]);
        if (t->pseq[j] < oldest_kept)
            oldest_kept = t->pseq[j];
    }
    t->pn = nn;
    t->pptr = nl;
    t->pgen = nl->gen;
    int full = nn >= window;
    /* A gone message is prev's at that place; the unchanged entries hold
     * prev's other messages (none twice), so it can be in the new value
     * only at a fresh entry. */
    for (uint32_t g = 0; g < ng; g++) {
        uint32_t i = oe[gone[g]].msg, in = 0;
        for (uint32_t f = 0; f < nf; f++)
            in |= ne[fresh[f]].msg == i;
        if (!in)
            removed(t, i, nl, full, oldest_kept, tag);
    }
    for (uint32_t k = 0; k < nchanged; k++)
        check(t, t->changed[k], 0);
    return 1;
}

void track_on_write(void *ud, uint32_t key, const kv_list *old_list, const kv_list *new_list, int tag)
{
    track *t = ud;
    met_registry *mr = sim_metrics(t->ctx);
    sim_us now = sim_now(t->ctx);
    check_clock(t);
    if (key != KV_KEY_CACHE) {
        uint32_t i = kv_key_to_msg(key);
        msg *m = &t->msgs->m[i];
        int st = stored(t, key);
        if (m->claimed_at < 0 && st == MS_PROCESSING)
            m->claimed_at = now;
        if (m->last_store >= 0 && msg_status_terminal(m->last_store) && !msg_status_terminal(st))
            met_add(mr, t->m_regressions, now, 1);
        m->last_store = (int8_t)st;
        check(t, i, 0);
        return;
    }
    uint32_t ep = ++t->epoch;
    uint32_t window = kv_config_of(t->kv)->window;
    if (t->check && new_list && new_list->n > window) {
        char d[64];
        snprintf(d, sizeof d, "%u entries, window %u", new_list->n, window);
        violate(t, "the cache never holds more than the window", d);
    }
    if (new_list && !new_list->corrupt && reserve_scratch(t, new_list->n) != 0) {
        violate(t, "out of memory", "the tracker's scratch list");
        return;
    }
    if (!follow_fast(t, old_list, new_list, tag, window))
        follow_all(t, old_list, new_list, tag, ep, window);
}

void track_on_call_end(void *ud, const call *c)
{
    track *t = ud;
    met_registry *mr = sim_metrics(t->ctx);
    sim_us now = sim_now(t->ctx);
    check_clock(t);
    if (t->check && c->ops > t->op_limit + 1) {
        char d[96];
        snprintf(d, sizeof d, "call %llu ran %d KV operations, limit %d", (unsigned long long)c->id, c->ops,
                 t->op_limit);
        violate(t, "no invocation exceeds the KV operation limit without failing", d);
    }
    if (c->kind == EP_PENDING)
        met_offer(mr, t->m_kvr_max, c->kvr);
    if (c->kind == EP_PENDING && c->status == 200) {
        for (uint32_t k = 0; k < c->nret; k++)
            if (t->msgs->m[c->ret[k]].claimed_at >= 0)
                met_add(mr, t->m_returned_claimed, now, 1);
    }
    if (c->msg == MSG_NONE)
        return;
    msg *m = &t->msgs->m[c->msg];
    /* a deployed post that stored the message and then failed on its
     * heartbeat answers 500, yet the reply is in the chat: an answer */
    if (c->kind == EP_POST && (c->status == 201 || c->stored)) {
        m->post_done = now;
        if (m->reply_to != MSG_NONE) {
            msg *h = &t->msgs->m[m->reply_to];
            h->answers++;
            if (h->answers == 2 && !t->seen_double++)
                met_add(mr, t->m_first_double, now, now);
            met_add(mr, t->m_answers, now, 1);
            if (h->answers == 1 && h->post_done >= 0)
                met_sample(mr, t->s_reply, now - h->post_done);
        }
    }
    check(t, c->msg, 0);
}

/* What a message adds to the end-of-run counts; the same whether counted
 * at the end or when its slot is reused. */
static void settle(track *t, const msg *m, sim_us now)
{
    met_registry *mr = sim_metrics(t->ctx);
    if (m->posted >= 0 && m->post_done >= 0 && !m->was_cached)
        met_add(mr, t->m_never_cached, now, 1);
    if (!bot_work(m) || m->posted < 0 || m->post_done < 0)
        return;
    if (m->answers == 0)
        met_add(mr, t->m_never_answered, now, 1);
    else if (m->answers > 1)
        met_add(mr, t->m_answered_twice, now, 1);
}

int track_can_retire(const track *t, uint32_t i)
{
    const msg *m = &t->msgs->m[i];
    return !m->in_cache && m->div_start < 0 && !m->stuck;
}

void track_retire(track *t, uint32_t i)
{
    settle(t, &t->msgs->m[i], sim_now(t->ctx));
}

/* Healing-time quantiles by Kaplan-Meier over every episode: healed ones
 * are events, the others (aged out, overwritten, open at the end) are
 * censored when they ended. -1: the curve never reaches the quantile
 * ("never": too much stayed unhealed), or no episode at all. Streamed over
 * both sample sets in ascending order (exact or binned, met_samples_iter),
 * so it needs no memory per episode; on exact sets it is km_fit's curve,
 * step for step. */
static void heal_quantiles(track *t, sim_us now)
{
    static const double q[4] = { 0.50, 0.90, 0.95, 0.99 };
    met_registry *mr = sim_metrics(t->ctx);
    int64_t found[4] = { -1, -1, -1, -1 };
    met_iter ih, ic;
    int64_t vh = 0, vc = 0;
    uint64_t ch = 0, cc = 0;
    met_samples_iter(mr, t->s_heal, &ih);
    met_samples_iter(mr, t->s_censored, &ic);
    int more_h = met_samples_next(&ih, &vh, &ch), more_c = met_samples_next(&ic, &vc, &cc);
    km_stream k;
    km_stream_init(&k, (int64_t)(met_samples_n(mr, t->s_heal) + met_samples_n(mr, t->s_censored)));
    while (more_h || more_c) {
        int64_t at = more_h && (!more_c || vh <= vc) ? vh : vc;
        uint64_t d = 0, c = 0;
        if (more_h && vh == at) {
            d = ch;
            more_h = met_samples_next(&ih, &vh, &ch);
        }
        if (more_c && vc == at) {
            c = cc;
            more_c = met_samples_next(&ic, &vc, &cc);
        }
        if (km_stream_add(&k, at, (int64_t)d, (int64_t)c))
            for (int i = 0; i < 4; i++)
                if (found[i] < 0 && km_reaches(k.s, q[i]))
                    found[i] = at;
    }
    for (int i = 0; i < 4; i++)
        met_add(mr, t->m_km[i], now, found[i]);
}

int track_finish(track *t)
{
    met_registry *mr = sim_metrics(t->ctx);
    sim_us now = sim_now(t->ctx);
    /* the oldest episode still open: a lower bound on its healing latency
     * (registered here, after the run, as it always was: results list
     * counters in registration order) */
    met_id open_max = met_max(mr, "divergence.open_max_age_us");
    for (size_t i = 0; i < t->msgs->n; i++) {
        msg *m = &t->msgs->m[i];
        if (m->freed)
            continue; /* counted by track_retire */
        if (m->div_start >= 0) {
            met_add(mr, t->m_cens_end, now, 1);
            met_sample(mr, t->s_censored, now - m->div_start);
            if (open_max >= 0)
                met_offer(mr, open_max, now - m->div_start);
            m->div_start = -1;
        }
        settle(t, m, now);
    }
    int64_t row[2] = { now, t->stuck }; /* closes the gauge's last step */
    met_row(mr, t->r_stuck, row);
    met_set(mr, t->m_stuck_final, t->stuck);
    heal_quantiles(t, now);
    return open_max < 0 ? -1 : 0;
}
