/* jshost.c - the worker host's qsim side: the Node.js process, the pipe
 * protocol (docs/worker-host.md), and the JS endpoints.
 *
 * Every endpoint kind is one entry, js_entry, driven by state rather than
 * by a program counter: an invocation starts by sending its request; each
 * message batch from the host may queue KV calls, a response, an end, log
 * lines and timers. KV calls of one invocation go to the KV model one at a
 * time, in the order issued (the C endpoints' shape: one operation in
 * flight per invocation). The host answers every message with a batch
 * ending in "." once its microtasks have drained, so qsim never advances
 * while the module could still issue a call for the current instant.
 *
 * The JSON bridge: the host's values are strings. qsim reads a status from
 * an individual value (botParams.status, botParams.attempts) and the
 * entries of recent:comments (id, botParams.status) when a put is issued,
 * so the tracker's divergence, stuck and liveness metrics see JS mode as
 * they see C mode. Initial state is rendered to JSON with the message
 * sizes of docs/model.md, so sizes agree byte for byte. */
#define _GNU_SOURCE /* pipe2 */
#include "jshost.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model/endpoint.h"

/* the sources' checksum (Makefile: src_stamp.h), which the addon must share */
#if defined(__has_include)
#if __has_include("src_stamp.h")
#include "src_stamp.h"
#endif
#endif
#ifndef QSIM_SRC_STAMP
#define QSIM_SRC_STAMP ""
#endif
static const char src_stamp[] = QSIM_SRC_STAMP;

/* the host script, embedded at build time (Makefile: worker_host.inc) */
static const char host_js[] = {
#include "worker_host.inc"
    0
};

typedef struct jsh_kvcall {
    uint8_t type;      /* KV_GET, KV_PUT */
    uint8_t verb;      /* kv_verb: delete and list are misc-key puts/gets */
    uint8_t refuse;    /* a kv_result the binding fails with before sending */
    uint32_t key;
    kv_blob *blob;     /* put: the value; list: prefix NUL cursor */
    int status;        /* put: what qsim reads from it */
    kv_list *list;     /* put of the cache: its entries */
    int64_t num;       /* put of an own key: its value's version */
    int64_t ttl_us;    /* put of an own key: expirationTtl, or 0; get: its cacheTtl, or 0 */
    uint32_t limit;    /* list: keys per page */
} jsh_kvcall;

/* A value the module put on a key of its own: the KV model stores its
 * number (misc_val.num), the text lives here. A version is kept while the
 * central store, a location's copy, an operation in flight or a queued
 * put holds its number; then its number is reused (sweep_versions). */
typedef struct jsh_version {
    kv_blob *value;
    kv_blob *meta;     /* metadata as JSON text, or NULL */
    int64_t expiration; /* absolute, s since the epoch, or 0 */
} jsh_version;

typedef struct jsh_inv {
    call *c;
    jsh_kvcall *q;     /* KV calls issued by the module, not yet sent to KV */
    jsh_kvcall cur;    /* the one in flight (list: its prefix, cursor, limit) */
    uint32_t qhead, nq, capq;
    uint8_t live;      /* the current invocation of c */
    uint8_t inflight;  /* a KV operation of c is in the KV model */
    uint8_t wake;      /* a zero-delay resume is scheduled */
    uint8_t responded, ended;
    kv_list **read;    /* the recent:comments snapshots its gets returned: the
                        * module may act on their ids until it ends */
    uint32_t nread, capread;
} jsh_inv;

/* a timer the module set: which call it belongs to */
typedef struct {
    uint64_t id;
    uint64_t call_id;
} jsh_timer;

typedef struct {
    const char *actor;
    gsl_rng *r;
} jsh_rng;

struct jsh {
    sim_ctx *ctx;
    msg_table *msgs;
    call_env *env;
    kv_store *kv;
    jsh_config cfg;
    pid_t pid;
    int wfd, rfd;
    char *wb;              /* outgoing message */
    size_t wlen, wcap;
    char *rb;              /* incoming bytes */
    size_t rlen, rpos, rcap;
    jsh_inv **invs;        /* every state ever made (one per call struct) */
    size_t ninvs, capinvs;
    jsh_inv **touched;     /* other invocations a batch changed */
    size_t ntouched, captouched;
    uint32_t *idx;         /* id -> message slot (open addressing) */
    size_t idx_cap, idx_n, indexed;
    uint64_t idx_total;    /* msgs->total when the index was last brought up to date */
    jsh_rng rng[32];
    int nrng;
    uint64_t serial;       /* blobs made */
    uint64_t *sent;        /* per KV key: serial of the value the host holds */
    size_t nsent;
    char **unames;         /* the module's own keys, by index (key user_key0 + i) */
    uint32_t nunames;
    uint32_t *uidx;        /* name -> index + 1 (open addressing; 0 empty) */
    size_t uidx_cap;
    jsh_version *vers;     /* versions 1.. of own keys' values (value NULL: free) */
    size_t nvers, capvers;
    uint32_t *vfree;       /* free version numbers (a stack) */
    size_t nvfree;
    uint8_t *vmark;        /* sweep_versions' marks, capvers of them */
    uint8_t parsing;       /* in pump: slots must not be recycled now */
    uint8_t listed;        /* the module has listed keys (jsh_may_recycle) */
    met_id m_slots, m_versions; /* js.msg_slots, js.versions: the most at once */
    /* the transport (chosen at jsh_new): pipes, or the addon's coroutine */
    int (*send)(jsh *h);                           /* hand wb over (or keep it for xfer) */
    ssize_t (*recv)(jsh *h, char *buf, size_t n);  /* 0: the host is gone */
    jsh_xfer_fn xfer;      /* in-process: switches to the host's JavaScript */
    const char *in;        /* in-process: the host's bytes not yet read */
    size_t nin;
    int host_status;       /* in-process: the host's exit status, or -1 */
    int failed;
    char err[512];
};

/* ---- errors ---- */

static void fail_run(jsh *h, const char *fmt, ...)
{
    if (h->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->err, sizeof h->err, fmt, ap);
    va_end(ap);
    h->failed = 1;
    sim_stop(h->ctx);
}

const char *jsh_error(const jsh *h) { return h && h->failed ? h->err : NULL; }

/* ---- pipes ---- */

static void host_gone(jsh *h, const char *when);

static int wreserve(jsh *h, size_t n)
{
    if (h->wlen + n <= h->wcap)
        return 0;
    size_t cap = h->wcap ? h->wcap : 4096;
    while (cap < h->wlen + n)
        cap *= 2;
    char *p = realloc(h->wb, cap);
    if (!p)
        return -1;
    h->wb = p;
    h->wcap = cap;
    return 0;
}

static void wput(jsh *h, const char *s, size_t n)
{
    if (wreserve(h, n) == 0) {
        memcpy(h->wb + h->wlen, s, n);
        h->wlen += n;
    }
}

#define WLIT(h, lit) wput((h), (lit), sizeof(lit) - 1)

static void wprintf_(jsh *h, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        wput(h, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static int wflush(jsh *h) { return h->send(h); }

static int pipe_send(jsh *h)
{
    size_t off = 0;
    while (off < h->wlen) {
        ssize_t n = write(h->wfd, h->wb + off, h->wlen - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            h->wlen = 0;
            host_gone(h, "(it stopped reading)");
            return -1;
        }
        off += (size_t)n;
    }
    h->wlen = 0;
    return 0;
}

/* Makes n bytes available at rb + rpos. -1 when the host is gone. */
static int rneed(jsh *h, size_t n)
{
    while (h->rlen - h->rpos < n) {
        if (h->rpos > 0) {
            memmove(h->rb, h->rb + h->rpos, h->rlen - h->rpos);
            h->rlen -= h->rpos;
            h->rpos = 0;
        }
        if (h->rlen + n > h->rcap || h->rcap - h->rlen < 4096) {
            size_t cap = h->rcap ? h->rcap : 65536;
            while (cap < h->rlen + n + 4096)
                cap *= 2;
            char *p = realloc(h->rb, cap);
            if (!p)
                return -1;
            h->rb = p;
            h->rcap = cap;
        }
        ssize_t got = h->recv(h, h->rb + h->rlen, h->rcap - h->rlen);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return -1;
        h->rlen += (size_t)got;
    }
    return 0;
}

static ssize_t pipe_recv(jsh *h, char *buf, size_t n) { return read(h->rfd, buf, n); }

/* In-process: the batch stays in wb until qsim needs the host's answer;
 * then one switch to the host's JavaScript hands it over and brings the
 * answer back (no napi call runs on qsim's stack: the addon's xfer only
 * switches contexts). */
static int inproc_send(jsh *h)
{
    (void)h;
    return 0;
}

static ssize_t inproc_recv(jsh *h, char *buf, size_t n)
{
    if (!h->nin && h->host_status < 0) {
        int st = -1;
        long got = h->xfer(h->wb, h->wlen, &h->in, &st);
        h->wlen = 0;
        if (got < 0) {
            h->host_status = st < 0 ? 0 : st;
            h->nin = 0;
        } else {
            h->nin = (size_t)got;
        }
    }
    if (!h->nin)
        return 0;
    size_t k = h->nin < n ? h->nin : n;
    memcpy(buf, h->in, k);
    h->in += k;
    h->nin -= k;
    return (ssize_t)k;
}

/* The next header line (NUL-terminated in place), or NULL. */
static char *rline(jsh *h)
{
    for (size_t scan = 0;;) {
        size_t left = h->rlen - h->rpos - scan;
        char *nl = left ? memchr(h->rb + h->rpos + scan, '\n', left) : NULL;
        if (nl) {
            char *s = h->rb + h->rpos;
            *nl = '\0';
            h->rpos = (size_t)(nl - h->rb) + 1;
            return s;
        }
        scan = h->rlen - h->rpos;
        if (rneed(h, scan + 1) != 0)
            return NULL;
    }
}

/* Why the host is gone: its exit status, or its fatal message. */
static void host_gone(jsh *h, const char *when)
{
    int st = 0;
    if (h->xfer) {
        fail_run(h, "worker host: the Node.js process exited (status %d) %s", h->host_status < 0 ? 0 : h->host_status,
                 when);
        return;
    }
    if (h->pid > 0 && waitpid(h->pid, &st, 0) == h->pid) {
        h->pid = -1;
        if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
            fail_run(h, "worker host: cannot run node (install Node.js: sh tools/deps.sh, or set QSIM_NODE)");
        else if (WIFSIGNALED(st))
            fail_run(h, "worker host: the Node.js process died (signal %d) %s", WTERMSIG(st), when);
        else
            fail_run(h, "worker host: the Node.js process exited (status %d) %s", WEXITSTATUS(st), when);
    } else {
        fail_run(h, "worker host: the Node.js process is gone %s", when);
    }
}

/* ---- message ids ---- */

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t x = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        x = (x ^ (unsigned char)s[i]) * 1099511628211ull;
    return x;
}

static int idx_insert(jsh *h, uint32_t m)
{
    if (2 * (h->idx_n + 1) > h->idx_cap) {
        size_t cap = h->idx_cap ? h->idx_cap * 2 : 1024;
        uint32_t *n = malloc(cap * sizeof *n), *old = h->idx;
        if (!n)
            return -1;
        for (size_t i = 0; i < cap; i++)
            n[i] = MSG_NONE;
        size_t oc = h->idx_cap;
        h->idx = n;
        h->idx_cap = cap;
        h->idx_n = 0;
        for (size_t i = 0; i < oc; i++)
            if (old[i] != MSG_NONE)
                idx_insert(h, old[i]);
        free(old);
    }
    const char *id = msg_id(h->msgs, m);
    size_t i = fnv(id, strlen(id)) & (h->idx_cap - 1);
    while (h->idx[i] != MSG_NONE)
        i = (i + 1) & (h->idx_cap - 1);
    h->idx[i] = m;
    h->idx_n++;
    return 0;
}

/* Drops the index; the next find rebuilds it from the live slots. */
static void idx_reset(jsh *h)
{
    for (size_t i = 0; i < h->idx_cap; i++)
        h->idx[i] = MSG_NONE;
    h->idx_n = 0;
    h->indexed = 0;
}

/* The message with this id (n bytes), or MSG_NONE. Slots appended since
 * the last look are indexed as they appear; when the table reused released
 * slots (model/world.c recycles them in JS mode too), the index is built
 * again from the live slots. An entry of a released or reused slot fails
 * the id comparison. */
static uint32_t find_msg(jsh *h, const char *id, size_t n)
{
    for (int pass = 0; pass < 2; pass++) {
        if (h->idx_cap) {
            size_t i = fnv(id, n) & (h->idx_cap - 1);
            for (; h->idx[i] != MSG_NONE; i = (i + 1) & (h->idx_cap - 1)) {
                if (msg_get(h->msgs, h->idx[i])->freed)
                    continue; /* its id offset may be past the compacted arena */
                const char *s = msg_id(h->msgs, h->idx[i]);
                if (strncmp(s, id, n) == 0 && s[n] == '\0')
                    return h->idx[i];
            }
        }
        if (h->msgs->total == h->idx_total)
            break;
        if (h->msgs->total - h->idx_total != h->msgs->n - h->indexed)
            idx_reset(h); /* some adds reused slots */
        h->idx_total = h->msgs->total;
        for (; h->indexed < h->msgs->n; h->indexed++)
            if (!msg_get(h->msgs, (uint32_t)h->indexed)->freed && idx_insert(h, (uint32_t)h->indexed) != 0)
                return MSG_NONE;
    }
    return MSG_NONE;
}

/* A message the module names that qsim never made (a claim of an unknown
 * id): a slot of its own, so that its keys exist. */
static uint32_t add_msg(jsh *h, const char *id, size_t n)
{
    char buf[256];
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    memcpy(buf, id, n);
    buf[n] = '\0';
    uint32_t m = msg_add(h->msgs, buf, msg_id_ts(buf));
    if (m == MSG_NONE || kv_reserve(h->kv, h->msgs->n) != 0)
        return MSG_NONE;
    msg_get(h->msgs, m)->posted = -1;
    return m;
}

/* ---- the module's own keys ---- */

static int ukey_grow(jsh *h)
{
    size_t cap = h->uidx_cap ? h->uidx_cap * 2 : 1024;
    uint32_t *n = calloc(cap, sizeof *n);
    if (!n)
        return -1;
    for (uint32_t i = 0; i < h->nunames; i++) {
        size_t j = fnv(h->unames[i], strlen(h->unames[i])) & (cap - 1);
        while (n[j])
            j = (j + 1) & (cap - 1);
        n[j] = i + 1;
    }
    free(h->uidx);
    h->uidx = n;
    h->uidx_cap = cap;
    return 0;
}

/* The misc key of an own key's name (made on first use), or UINT32_MAX
 * when the run has used up its JSH_USER_KEYS. */
static uint32_t user_key(jsh *h, const char *k, size_t n, int make)
{
    if (h->uidx_cap) {
        for (size_t j = fnv(k, n) & (h->uidx_cap - 1); h->uidx[j]; j = (j + 1) & (h->uidx_cap - 1)) {
            const char *s = h->unames[h->uidx[j] - 1];
            if (strncmp(s, k, n) == 0 && s[n] == '\0')
                return h->cfg.user_key0 + h->uidx[j] - 1;
        }
    }
    if (!make || h->nunames >= h->cfg.nuser_keys)
        return UINT32_MAX;
    if (2 * (h->nunames + 1) > h->uidx_cap && ukey_grow(h) != 0)
        return UINT32_MAX;
    if (h->nunames % 1024 == 0) {
        char **p = realloc(h->unames, (h->nunames + 1024) * sizeof *p);
        if (!p)
            return UINT32_MAX;
        h->unames = p;
    }
    char *name = malloc(n + 1);
    if (!name)
        return UINT32_MAX;
    memcpy(name, k, n);
    name[n] = '\0';
    size_t j = fnv(k, n) & (h->uidx_cap - 1);
    while (h->uidx[j])
        j = (j + 1) & (h->uidx_cap - 1);
    h->unames[h->nunames] = name;
    h->uidx[j] = ++h->nunames;
    return h->cfg.user_key0 + h->nunames - 1;
}

static int is_user_key(const jsh *h, uint32_t key)
{
    return kv_key_is_misc(key) && key >= h->cfg.user_key0 && key - h->cfg.user_key0 < h->nunames;
}

/* call_env.misc_name: an own key's name for the trace. */
static int user_key_name(void *ud, uint32_t key, char *buf, size_t len)
{
    const jsh *h = ud;
    if (!is_user_key(h, key))
        return 0;
    snprintf(buf, len, "%s", h->unames[key - h->cfg.user_key0]);
    return 1;
}

static void mark_version(void *ud, uint32_t key, int64_t num)
{
    jsh *h = ud;
    if (key >= h->cfg.user_key0 && key - h->cfg.user_key0 < h->cfg.nuser_keys && num >= 1 &&
        (size_t)num <= h->nvers)
        h->vmark[num - 1] = 1;
}

/* Frees the versions nothing can read any more: no copy (central or a
 * location's), no operation in flight, no queued put holds their number.
 * Returns how many were freed. */
static size_t sweep_versions(jsh *h)
{
    memset(h->vmark, 0, h->nvers);
    kv_visit_misc_nums(h->kv, mark_version, h);
    for (size_t i = 0; i < h->ninvs; i++) {
        const jsh_inv *v = h->invs[i];
        if (!v->live)
            continue;
        mark_version(h, v->c->op.key, v->c->op.num);
        mark_version(h, v->c->op.key, v->c->op.put_num);
        for (uint32_t k = v->qhead; k < v->nq; k++)
            mark_version(h, v->q[k].key, v->q[k].num);
    }
    size_t freed = 0;
    for (size_t i = 0; i < h->nvers; i++) {
        jsh_version *vv = &h->vers[i];
        if (h->vmark[i] || !vv->value)
            continue;
        kv_blob_unref(vv->value);
        kv_blob_unref(vv->meta);
        *vv = (jsh_version){ NULL, NULL, 0 };
        h->vfree[h->nvfree++] = (uint32_t)i + 1;
        freed++;
    }
    return freed;
}

/* A new version of an own key's value (takes value and meta): a free
 * number, else a new one. When the table is full, a sweep first; it grows
 * (doubling) only when the sweep freed less than half, as msg_add does.
 * 0 on OOM. */
static int64_t add_version(jsh *h, kv_blob *value, kv_blob *meta, int64_t expiration)
{
    size_t freed = SIZE_MAX; /* no sweep */
    if (!h->nvfree && h->nvers == h->capvers && h->capvers && h->kv)
        freed = sweep_versions(h);
    if ((!h->nvfree && h->nvers == h->capvers) || (freed != SIZE_MAX && freed < h->capvers / 2)) {
        size_t cap = h->capvers ? h->capvers * 2 : 256;
        jsh_version *p = realloc(h->vers, cap * sizeof *p);
        uint32_t *f = p ? realloc(h->vfree, cap * sizeof *f) : NULL;
        uint8_t *mk = f ? realloc(h->vmark, cap) : NULL;
        if (p)
            h->vers = p;
        if (f)
            h->vfree = f;
        if (!mk) {
            kv_blob_unref(value);
            kv_blob_unref(meta);
            return 0;
        }
        h->vmark = mk;
        h->capvers = cap;
    }
    int64_t num = h->nvfree ? (int64_t)h->vfree[--h->nvfree] : (int64_t)++h->nvers;
    h->vers[num - 1] = (jsh_version){ value, meta, expiration };
    if (h->m_versions >= 0)
        met_offer(sim_metrics(h->ctx), h->m_versions, (int64_t)(h->nvers - h->nvfree));
    return num;
}

static const jsh_version *version(const jsh *h, int64_t v)
{
    return v >= 1 && (size_t)v <= h->nvers && h->vers[v - 1].value ? &h->vers[v - 1] : NULL;
}

/* The KV key of a key name, or UINT32_MAX when JS mode cannot model it. */
static uint32_t model_key(jsh *h, const char *k, size_t n);

/* The KV key of a key name: the model's keys (the cache, comment:<id>,
 * comment:<ts>:<id>), else one of the module's own (UINT32_MAX when there
 * is no room for another). */
static uint32_t key_of(jsh *h, const char *k, size_t n)
{
    uint32_t key = model_key(h, k, n);
    return key != UINT32_MAX ? key : user_key(h, k, n, 1);
}

static uint32_t model_key(jsh *h, const char *k, size_t n)
{
    const char *ck = kv_config_of(h->kv)->cache_key_name;
    if (strlen(ck) == n && memcmp(ck, k, n) == 0)
        return KV_KEY_CACHE;
    if (n <= 8 || memcmp(k, "comment:", 8) != 0)
        return UINT32_MAX;
    const char *id = k + 8, *colon = memchr(id, ':', n - 8);
    int legacy = colon != NULL;
    if (legacy)
        id = colon + 1;
    size_t idn = n - (size_t)(id - k);
    if (idn == 0 || memchr(id, ':', idn))
        return UINT32_MAX;
    uint32_t m = find_msg(h, id, idn);
    if (m == MSG_NONE)
        m = add_msg(h, id, idn);
    if (m == MSG_NONE)
        return UINT32_MAX;
    if (legacy) { /* comment:<ts>:<id>, ts the id's own */
        char want[64];
        snprintf(want, sizeof want, "%" PRId64 ":", msg_get(h->msgs, m)->ts_ms);
        if ((size_t)(colon - (k + 8)) + 1 != strlen(want) || memcmp(k + 8, want, strlen(want)) != 0)
            return UINT32_MAX;
    }
    return kv_key_msg(m, legacy);
}

/* A blob of ours: numbered, so that the host can be told "the value you
 * already have" instead of being sent it again. */
static kv_blob *new_blob(jsh *h, const char *data, size_t len)
{
    kv_blob *b = kv_blob_new(data, len);
    if (b)
        b->serial = ++h->serial;
    return b;
}

/* ---- the JSON bridge ---- */

static void json_str(jsh *h, const char *s)
{
    wput(h, "\"", 1);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            char e[2] = { '\\', (char)ch };
            wput(h, e, 2);
        } else if (ch < 0x20) {
            wprintf_(h, "\\u%04x", ch);
        } else {
            wput(h, (const char *)&ch, 1);
        }
    }
    wput(h, "\"", 1);
}

/* A message as the seed's Worker stores it, padded so that its length is
 * the model's (docs/model.md "Messages and keys"): bytes for the message,
 * plus ',"status":"<s>"' and, once terminal, ',"processed":true'. Appended
 * to h->wb. */
static void render_msg(jsh *h, uint32_t mi, int status)
{
    const msg *m = msg_get(h->msgs, mi);
    const char *id = msg_id(h->msgs, mi);
    const char *type = m->type == MT_AI ? "AI" : "human";
    /* skeleton without text: {"id":"<id>","text":"","message-type":"<t>"} + botParams */
    size_t skel = 37 + strlen(id) + strlen(type) + (m->entity ? 27 : 0);
    size_t pad = m->bytes > 0 && (size_t)m->bytes > skel ? (size_t)m->bytes - skel : 0;
    wprintf_(h, "{\"id\":\"%s\",\"text\":\"", id);
    if (wreserve(h, pad) == 0) {
        memset(h->wb + h->wlen, 'x', pad);
        h->wlen += pad;
    }
    wprintf_(h, "\",\"message-type\":\"%s\"", type);
    if (m->entity) {
        WLIT(h, ",\"botParams\":{\"entity\":\"E\"");
        if (status != MS_NONE)
            wprintf_(h, ",\"status\":\"%s\"", msg_status_name(status));
        if (msg_status_terminal(status))
            WLIT(h, ",\"processed\":true");
        wput(h, "}", 1);
    }
    wput(h, "}", 1);
}

/* Renders into a blob using the write buffer as scratch. */
static kv_blob *blob_from_w(jsh *h, size_t from)
{
    kv_blob *b = new_blob(h, h->wb + from, h->wlen - from);
    h->wlen = from;
    return b;
}

kv_blob *jsh_render(void *ud, uint32_t key, int status, const kv_list *list)
{
    jsh *h = ud;
    size_t from = h->wlen;
    if (key == KV_KEY_CACHE) {
        if (!list)
            return NULL;
        if (list->corrupt)
            return new_blob(h, "[{\"id\":", 7); /* unparseable: JSON.parse throws */
        wput(h, "[", 1);
        for (uint32_t k = 0; k < list->n; k++) {
            if (k)
                wput(h, ",", 1);
            render_msg(h, list->e[k].msg, list->e[k].status);
        }
        wput(h, "]", 1);
        return blob_from_w(h, from);
    }
    if (status < 0 || kv_key_is_misc(key))
        return NULL;
    render_msg(h, kv_key_to_msg(key), status);
    return blob_from_w(h, from);
}

static int status_of(const cJSON *o, int *attempts)
{
    const cJSON *bp = cJSON_GetObjectItemCaseSensitive(o, "botParams");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(bp, "status");
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(bp, "attempts");
    if (attempts)
        *attempts = cJSON_IsNumber(at) && at->valuedouble > 0 ? (int)at->valuedouble : 0;
    int s = cJSON_IsString(st) ? msg_status_parse(st->valuestring) : MS_NONE;
    return s < 0 ? MS_NONE : s;
}

/* What qsim reads from a cache value: its entries, or corrupt. */
static kv_list *list_of(jsh *h, kv_blob *b)
{
    kv_list *l = kv_list_new(h->kv);
    if (!l) {
        kv_blob_unref(b);
        return NULL;
    }
    cJSON *root = cJSON_ParseWithLength(b->data, b->len);
    if (!cJSON_IsArray(root)) {
        l->corrupt = 1; /* not an array: the seed's for..of over it throws */
    } else {
        const cJSON *e;
        cJSON_ArrayForEach(e, root) {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");
            if (!cJSON_IsString(id))
                continue;
            size_t n = strlen(id->valuestring);
            uint32_t m = find_msg(h, id->valuestring, n);
            if (m == MSG_NONE && (m = add_msg(h, id->valuestring, n)) != MSG_NONE) {
                msg *mm = msg_get(h->msgs, m);
                const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "message-type");
                mm->type = cJSON_IsString(t) && strcmp(t->valuestring, "AI") == 0 ? MT_AI : MT_HUMAN;
                mm->entity = cJSON_GetObjectItemCaseSensitive(
                                 cJSON_GetObjectItemCaseSensitive(e, "botParams"), "entity") != NULL;
            }
            if (m != MSG_NONE)
                kv_list_append(h->kv, l, m, status_of(e, NULL));
        }
    }
    cJSON_Delete(root);
    l->bytes = b->len; /* the limits see the real value */
    l->blob = b;
    return l;
}

/* ---- invocations ---- */

static jsh_inv *inv_of(jsh *h, call *c)
{
    jsh_inv *v = c->js;
    if (v)
        return v;
    if (h->ninvs == h->capinvs) {
        size_t cap = h->capinvs ? h->capinvs * 2 : 16;
        jsh_inv **p = realloc(h->invs, cap * sizeof *p);
        if (!p)
            return NULL;
        h->invs = p;
        h->capinvs = cap;
    }
    if (!(v = calloc(1, sizeof *v)))
        return NULL;
    h->invs[h->ninvs++] = v;
    c->js = v;
    return v;
}

static jsh_inv *inv_by_id(jsh *h, uint64_t id)
{
    /* calls live in the env's pool: few, and the search runs only for a
     * message about another invocation (timers, waitUntil) */
    for (size_t i = 0; i < h->ninvs; i++)
        if (h->invs[i]->live && h->invs[i]->c->id == id)
            return h->invs[i];
    return NULL;
}

static void touch(jsh *h, jsh_inv *v)
{
    for (size_t i = 0; i < h->ntouched; i++)
        if (h->touched[i] == v)
            return;
    if (h->ntouched == h->captouched) {
        size_t cap = h->captouched ? h->captouched * 2 : 8;
        jsh_inv **p = realloc(h->touched, cap * sizeof *p);
        if (!p)
            return;
        h->touched = p;
        h->captouched = cap;
    }
    h->touched[h->ntouched++] = v;
}

static void push_kvcall(jsh_inv *v, const jsh_kvcall *k)
{
    if (v->qhead == v->nq)
        v->qhead = v->nq = 0;
    if (v->nq == v->capq) {
        uint32_t cap = v->capq ? v->capq * 2 : 4;
        jsh_kvcall *p = realloc(v->q, cap * sizeof *p);
        if (!p)
            return;
        v->q = p;
        v->capq = cap;
    }
    v->q[v->nq++] = *k;
}

/* The invocation read snapshot l of recent:comments: its messages stay
 * (model/world.c's recycler visits them) until the invocation ends. */
static void keep_read(jsh *h, jsh_inv *v, kv_list *l)
{
    (void)h;
    if (!v || (v->nread && v->read[v->nread - 1] == l))
        return;
    if (v->nread == v->capread) {
        uint32_t cap = v->capread ? v->capread * 2 : 2;
        kv_list **p = realloc(v->read, cap * sizeof *p);
        if (!p)
            return;
        v->read = p;
        v->capread = cap;
    }
    v->read[v->nread++] = kv_list_ref(l);
}

static void drop_reads(jsh *h, jsh_inv *v)
{
    for (uint32_t i = 0; i < v->nread; i++)
        kv_list_unref(h->kv, v->read[i]);
    v->nread = 0;
}

static void drop_kvcalls(jsh *h, jsh_inv *v)
{
    for (uint32_t i = v->qhead; i < v->nq; i++) {
        kv_blob_unref(v->q[i].blob);
        kv_list_unref(h->kv, v->q[i].list);
    }
    v->qhead = v->nq = 0;
}

/* A pending call's response: ids of the "pending" array, kvStats. */
static void read_pending(jsh *h, call *c, const char *body, size_t n)
{
    cJSON *root = cJSON_ParseWithLength(body, n);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "pending"), *e;
    c->nret = 0;
    cJSON_ArrayForEach(e, arr) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");
        uint32_t m = cJSON_IsString(id) ? find_msg(h, id->valuestring, strlen(id->valuestring)) : MSG_NONE;
        if (m != MSG_NONE)
            ep_return(c, m);
    }
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(root, "kvStats");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(st, "reads"), *w = cJSON_GetObjectItemCaseSensitive(st, "writes");
    if (cJSON_IsNumber(r)) /* the bot logs what the Worker reports */
        c->kvr = (int)r->valuedouble;
    if (cJSON_IsNumber(w))
        c->kvw = (int)w->valuedouble;
    cJSON_Delete(root);
}

static void trace_log(jsh *h, uint64_t id, const char *s, size_t n)
{
    FILE *f = h->env ? h->env->trace : NULL; /* no env yet: a line from loading the module */
    if (!f)
        return;
    fprintf(f, "{\"t\":%" PRId64 ",\"type\":\"log\",\"call\":%" PRIu64 ",\"text\":\"", sim_now(h->ctx), id);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputs("\"}\n", f);
}

static void timer_fire(sim_ctx *ctx, void *obj, uint64_t arg);

/* The numbers of a header line after its letter (up to JSH_FIELDS, each
 * may be negative). How many were read: sscanf's count without its cost,
 * for this runs for every message. */
#define JSH_FIELDS 6
/* the largest cacheTtl qsim models, s (Cloudflare documents no maximum;
 * a year is past any run) */
#define JSH_CACHE_TTL_MAX_S 31536000
static int header_fields(const char *p, int64_t *f)
{
    int n = 0;
    for (; n < JSH_FIELDS; n++) {
        while (*p == ' ')
            p++;
        int neg = *p == '-';
        if (neg)
            p++;
        if (*p < '0' || *p > '9')
            break;
        uint64_t x = 0;
        for (; *p >= '0' && *p <= '9'; p++)
            x = x * 10 + (uint64_t)(*p - '0');
        f[n] = neg ? -(int64_t)x : (int64_t)x;
    }
    return n;
}

/* A KV call from the host: "G <call> <klen> [<cache_ttl_s>]" + key; "P <call> <klen>
 * <vlen> <ttl_s> <mlen>" + key + value + metadata (mlen -1: none); "D
 * <call> <klen>" + key; "K <call> <plen> <limit> <clen>" + prefix + cursor.
 * Queued on invocation v (NULL: it has ended, the call is dropped). -1
 * when the run fails. */
static int kv_message(jsh *h, char t, int nf, const int64_t *f, jsh_inv *v)
{
    int want = t == 'P' ? 5 : t == 'K' ? 4 : 2;
    size_t kl = f[1] >= 0 ? (size_t)f[1] : 0;
    size_t vl = t == 'P' && f[2] >= 0 ? (size_t)f[2] : t == 'K' && f[3] >= 0 ? (size_t)f[3] : 0;
    size_t ml = t == 'P' && f[4] > 0 ? (size_t)f[4] : 0;
    if (nf < want || f[1] < 0 || rneed(h, kl + vl + ml) != 0) {
        fail_run(h, "worker host: protocol error: bad '%c' message", t);
        return -1;
    }
    const char *k = h->rb + h->rpos;
    jsh_kvcall kc = { (uint8_t)(t == 'G' || t == 'K' ? KV_GET : KV_PUT), KV_VERB_PLAIN, 0, 0, NULL, MS_NONE, NULL,
                      0, 0, 0 };
    if (t == 'K') {
        kc.verb = KV_VERB_LIST;
        kc.key = user_key(h, "", 0, 1); /* own key 0, named "": the namespace */
        h->listed = 1;
        kc.limit = f[2] > 0 && f[2] < 1000 ? (uint32_t)f[2] : 1000;
        /* prefix NUL cursor */
        kc.blob = kv_blob_new(k, kl + 1 + vl);
        if (kc.blob) {
            kc.blob->data[kl] = '\0';
            memcpy(kc.blob->data + kl + 1, k + kl, vl);
            kc.blob->data[kl + 1 + vl] = '\0';
        }
    } else {
        kc.key = key_of(h, k, kl);
        if (kc.key == UINT32_MAX) {
            fail_run(h, "worker used more than %u keys of its own (KV key '%.*s'): JS mode models that many "
                        "besides '%s' and comment:<id> / comment:<ts>:<id> (docs/worker-host.md)",
                     h->cfg.nuser_keys, (int)(kl > 200 ? 200 : kl), k, kv_config_of(h->kv)->cache_key_name);
            return -1;
        }
    }
    int own = kv_key_is_misc(kc.key);
    if (t == 'D') {
        if (!own) {
            fail_run(h, "worker deleted '%.*s': JS mode does not delete the model's message and cache keys "
                        "(docs/worker-host.md)", (int)(kl > 200 ? 200 : kl), k);
            return -1;
        }
        kc.verb = KV_VERB_DELETE;
        if (kl > (size_t)kv_config_of(h->kv)->key_max_bytes)
            kc.refuse = KV_ETOOLARGE;
    }
    if (t == 'G' && nf >= 3 && f[2] > 0) /* the get's cacheTtl (the host checked it is >= 30 s) */
        kc.ttl_us = (f[2] > JSH_CACHE_TTL_MAX_S ? JSH_CACHE_TTL_MAX_S : f[2]) * 1000000;
    if (t == 'P' && f[3] > 0 && !own) {
        fail_run(h, "worker put '%.*s' with an expiration: JS mode does not model expiring "
                    "comment keys (docs/worker-host.md)", (int)(kl > 200 ? 200 : kl), k);
        return -1;
    }
    if (t == 'P' && ml && !own) {
        fail_run(h, "worker put '%.*s' with metadata: JS mode keeps metadata on the module's own keys only, "
                    "not on the model's comment and cache keys (docs/worker-host.md)",
                 (int)(kl > 200 ? 200 : kl), k);
        return -1;
    }
    if (t == 'P' && own) {
        const kv_config *kc0 = kv_config_of(h->kv);
        kv_blob *val = new_blob(h, k + kl, vl);
        kv_blob *meta = ml ? new_blob(h, k + kl + vl, ml) : NULL;
        if (!val || (ml && !meta)) {
            kv_blob_unref(val);
            kv_blob_unref(meta);
            fail_run(h, "out of memory");
            return -1;
        }
        int64_t ttl_s = f[3] > 0 ? f[3] : 0;
        int64_t exp = ttl_s ? (h->cfg.epoch_ms + sim_now(h->ctx) / 1000) / 1000 + ttl_s : 0;
        kc.num = add_version(h, val, meta, exp);
        kc.ttl_us = ttl_s * 1000000;
        if (!kc.num) {
            fail_run(h, "out of memory");
            return -1;
        }
        if (kl > (size_t)kc0->key_max_bytes || (int64_t)vl > kc0->value_max_bytes)
            kc.refuse = KV_ETOOLARGE; /* the binding refuses before sending */
    } else if (t == 'P') {
        kc.blob = new_blob(h, k + kl, vl);
        if (!kc.blob) {
            fail_run(h, "out of memory");
            return -1;
        }
        if (kc.key == KV_KEY_CACHE) {
            kc.list = list_of(h, kc.blob); /* takes the blob */
            kc.blob = NULL;
            if (!kc.list) {
                fail_run(h, "out of memory");
                return -1;
            }
        } else {
            cJSON *o = cJSON_ParseWithLength(kc.blob->data, kc.blob->len);
            kc.status = status_of(o, NULL);
            cJSON_Delete(o);
        }
    }
    h->rpos += kl + vl + ml;
    if (!v) {
        kv_blob_unref(kc.blob);
        kv_list_unref(h->kv, kc.list);
        return 0; /* the invocation ended (the runtime cancels it) */
    }
    push_kvcall(v, &kc);
    touch(h, v);
    return 0;
}

/* Sends h->wb and reads the host's batch up to ".", applying each message. */
static void pump_(jsh *h);
static void pump(jsh *h)
{
    h->parsing = 1; /* a message naming a new id adds a slot: no recycling mid-batch */
    pump_(h);
    h->parsing = 0;
}

static void pump_(jsh *h)
{
    if (h->failed || wflush(h) != 0)
        return;
    for (;;) {
        char *line = rline(h);
        if (!line) {
            host_gone(h, "while running the module");
            return;
        }
        char t = line[0];
        if (t == '.')
            return;
        int64_t f[JSH_FIELDS] = { 0 };
        int nf = header_fields(line + 1, f);
        uint64_t id = (uint64_t)f[0], a = (uint64_t)f[1], b = (uint64_t)f[2];
        if (t == 'F') {
            size_t n = (size_t)id;
            if (rneed(h, n) != 0)
                n = h->rlen - h->rpos;
            fail_run(h, "worker host: %.*s", (int)(n > 400 ? 400 : n), h->rb + h->rpos);
            h->rpos += n;
            return;
        }
        jsh_inv *v = inv_by_id(h, id);
        if (t == 'G' || t == 'P' || t == 'D' || t == 'K') {
            if (kv_message(h, t, nf, f, v) != 0)
                return;
        } else if (t == 'W') {
            size_t n = (size_t)b;
            if (nf < 3 || rneed(h, n) != 0) {
                fail_run(h, "worker host: protocol error: bad 'W' message");
                return;
            }
            if (v) {
                v->c->status = (int)a;
                if (v->c->kind == EP_PENDING && a == 200)
                    read_pending(h, v->c, h->rb + h->rpos, n);
                v->responded = 1;
                touch(h, v);
            }
            h->rpos += n;
        } else if (t == 'E') {
            if (v) {
                v->ended = 1;
                touch(h, v);
            }
        } else if (t == 'L') {
            size_t n = (size_t)a;
            if (nf < 2 || rneed(h, n) != 0) {
                fail_run(h, "worker host: protocol error: bad 'L' message");
                return;
            }
            trace_log(h, id, h->rb + h->rpos, n);
            h->rpos += n;
        } else if (t == 'Z') {
            /* Z <call> <timer> <delay_us> */
            if (nf < 3) {
                fail_run(h, "worker host: protocol error: bad 'Z' message");
                return;
            }
            sim_after(h->ctx, (sim_us)b, timer_fire, h, a);
        } else {
            fail_run(h, "worker host: protocol error: unknown message '%c'", t);
            return;
        }
    }
}

/* Sends the invocation's next KV call to the KV model, if it has one and
 * none is in flight. 1 when one was sent. */
static int issue(jsh *h, jsh_inv *v)
{
    if (v->inflight || v->qhead == v->nq)
        return 0;
    jsh_kvcall k = v->q[v->qhead++];
    v->inflight = 1;
    kv_blob_unref(v->cur.blob); /* the last list's prefix and cursor */
    v->cur = k;
    v->cur.blob = NULL;
    if (k.verb == KV_VERB_LIST) {
        v->cur.blob = k.blob; /* read when the list completes */
        call_misc_op(v->c, KV_VERB_LIST, k.key, 0, 0, 0);
    } else if (k.verb == KV_VERB_DELETE || (k.type == KV_PUT && kv_key_is_misc(k.key))) {
        call_misc_op(v->c, k.verb, k.key, k.num, k.ttl_us, k.refuse);
    } else if (k.type == KV_GET) {
        v->c->op.cache_ttl = k.ttl_us; /* the copy it fetches lives that long (0: kv.cache_ttl) */
        call_get(v->c, k.key);
    } else {
        call_put_blob(v->c, k.key, k.blob, k.status, k.list);
    }
    (void)h;
    return 1;
}

/* The state of an invocation after a batch: CO_DONE when it has ended. */
static int settle(jsh *h, jsh_inv *v)
{
    if (h->failed) {
        drop_kvcalls(h, v);
        if (!v->responded)
            v->c->status = 500;
        return v->inflight ? CO_WAIT : CO_DONE;
    }
    issue(h, v);
    if (v->ended && !v->inflight) {
        drop_kvcalls(h, v);
        return CO_DONE;
    }
    if (v->responded && !v->c->responded)
        call_respond(v->c); /* ctx.waitUntil work goes on */
    return CO_WAIT;
}

/* Invocations a batch changed besides the one running now. */
static void settle_others(jsh *h, jsh_inv *self)
{
    while (h->ntouched) {
        jsh_inv *v = h->touched[--h->ntouched];
        if (v == self || !v->live)
            continue;
        if (settle(h, v) == CO_DONE && !v->wake) {
            v->wake = 1;
            call_sleep(v->c, 0); /* finishes in an event of its own */
        }
    }
}

static void timer_fire(sim_ctx *ctx, void *obj, uint64_t arg)
{
    jsh *h = obj;
    if (h->failed)
        return;
    wprintf_(h, "T %" PRIu64 " %" PRId64 "\n", arg, sim_now(ctx));
    pump(h);
    settle_others(h, NULL);
}

static gsl_rng *actor_rng(jsh *h, const char *actor)
{
    for (int i = 0; i < h->nrng; i++)
        if (h->rng[i].actor == actor)
            return h->rng[i].r;
    char name[160];
    snprintf(name, sizeof name, "js:%s", actor);
    gsl_rng *r = sim_rng(h->ctx, name);
    if (h->nrng < (int)(sizeof h->rng / sizeof h->rng[0]))
        h->rng[h->nrng++] = (jsh_rng){ actor, r };
    return r;
}

static const char *const paths[EP_COUNT] = {
    "POST /api/comments", "GET /api/queue/pending", "POST /api/queue/claim", "POST /api/queue/complete",
    "POST /api/queue/fail", "", "GET /api/comments",
};

/* "S <call> <t> <seed> <len>\n{request}": the request as the actors send it. */
static void send_start(jsh *h, call *c)
{
    if (h->m_slots >= 0)
        met_offer(sim_metrics(h->ctx), h->m_slots, (int64_t)h->msgs->cap);
    gsl_rng *r = actor_rng(h, c->actor);
    uint64_t seed = r ? ((uint64_t)gsl_rng_get(r) << 32) ^ gsl_rng_get(r) : c->id;
    if (c->kind == EP_CRON) {
        wprintf_(h, "C %" PRIu64 " %" PRId64 " %" PRIu64 " 9\n* * * * *", c->id, c->started, seed);
        return;
    }
    size_t hdr = h->wlen;
    wprintf_(h, "S %" PRIu64 " %" PRId64 " %" PRIu64 " ", c->id, c->started, seed);
    size_t lenpos = h->wlen;
    wput(h, "0000000000\n", 11); /* the length, filled in below */
    size_t body0 = h->wlen;
    const char *p = paths[c->kind];
    const char *sp = strchr(p, ' ');
    wprintf_(h, "{\"m\":\"%.*s\",\"u\":\"https://qsim.worker%s", (int)(sp - p), p, sp + 1);
    if (c->kind == EP_PENDING)
        wprintf_(h, "?limit=%u", h->cfg.pending_limit);
    if (c->kind == EP_COMMENTS)
        wprintf_(h, "?limit=%u", c->env->window);
    WLIT(h, "\",\"h\":{\"content-type\":\"application/json\"");
    const msg *m = c->msg != MSG_NONE ? msg_get(h->msgs, c->msg) : NULL;
    if (c->kind == EP_POST && m && m->legacy)
        WLIT(h, ",\"x-qsim-legacy-key\":\"1\"");
    WLIT(h, "},\"b\":");
    size_t b0 = h->wlen;
    if (c->kind == EP_POST && m) {
        render_msg(h, c->msg, m->type == MT_HUMAN && m->entity ? MS_PENDING : MS_NONE);
    } else if (m) {
        wprintf_(h, "{\"messageId\":\"%s\"", msg_id(h->msgs, c->msg));
        if (c->kind == EP_CLAIM) {
            WLIT(h, ",\"botId\":");
            json_str(h, c->actor);
        }
        if (c->kind == EP_FAIL)
            WLIT(h, ",\"error\":\"generation failed\"");
        wput(h, "}", 1);
    }
    /* the body travels as a JSON string */
    size_t blen = h->wlen - b0;
    char *tmp = malloc(blen + 1);
    if (tmp) {
        memcpy(tmp, h->wb + b0, blen);
        tmp[blen] = '\0';
        h->wlen = b0;
        json_str(h, tmp);
        free(tmp);
    }
    wput(h, "}", 1);
    char num[12];
    snprintf(num, sizeof num, "%010zu", h->wlen - body0);
    memcpy(h->wb + lenpos, num, 10);
    (void)hdr;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A list's page as JSON, at its completion: the central store's live keys
 * (the model's and the module's own) that start with prefix, in UTF-8
 * byte order, after the cursor (the last name of the page before), at
 * most limit. Appended to h->wb. */
static void list_page(jsh *h, const char *prefix, const char *cursor, uint32_t limit)
{
    size_t pl = strlen(prefix), n = 0, cap = 64;
    const char **names = malloc(cap * sizeof *names);
    char *own = NULL; /* model key names, NUL-separated */
    size_t ownlen = 0, owncap = 0;
    /* the model's keys: the cache, then both forms of every message key */
    uint32_t nm = (uint32_t)h->msgs->n;
    size_t *off = malloc((2 * (size_t)nm + 1) * sizeof *off), noff = 0;
    if (!names || !off) {
        free(names);
        free(off);
        WLIT(h, "{\"keys\":[],\"list_complete\":true}");
        return;
    }
    for (uint32_t key = 0; key < 2 * nm + 1; key++) {
        int live = key == KV_KEY_CACHE ? kv_central_list(h->kv) != NULL : kv_central_status(h->kv, key) >= 0;
        if (!live)
            continue;
        char nb[600];
        call_key_name(h->env, key, nb, sizeof nb);
        size_t l = strlen(nb);
        if (l < pl || memcmp(nb, prefix, pl) != 0)
            continue;
        if (ownlen + l + 1 > owncap) {
            owncap = owncap ? owncap * 2 : 4096;
            while (owncap < ownlen + l + 1)
                owncap *= 2;
            char *p = realloc(own, owncap);
            if (!p)
                break;
            own = p;
        }
        memcpy(own + ownlen, nb, l + 1);
        off[noff++] = ownlen;
        ownlen += l + 1;
    }
    for (size_t i = 0; i < noff; i++) {
        if (n == cap) {
            const char **p = realloc(names, (cap *= 2) * sizeof *p);
            if (!p)
                break;
            names = p;
        }
        names[n++] = own + off[i];
    }
    for (uint32_t i = 1; i < h->nunames; i++) { /* 0: "", the lists' */
        int64_t ver;
        if (kv_central_num(h->kv, h->cfg.user_key0 + i, &ver) != 0 || strncmp(h->unames[i], prefix, pl) != 0)
            continue;
        if (n == cap) {
            const char **p = realloc(names, (cap *= 2) * sizeof *p);
            if (!p)
                break;
            names = p;
        }
        names[n++] = h->unames[i];
    }
    qsort(names, n, sizeof *names, cmp_name);
    size_t i = 0;
    if (*cursor)
        while (i < n && strcmp(names[i], cursor) <= 0)
            i++;
    WLIT(h, "{\"keys\":[");
    uint32_t shown = 0;
    for (; i < n && shown < limit; i++, shown++) {
        if (shown)
            wput(h, ",", 1);
        WLIT(h, "{\"name\":");
        json_str(h, names[i]);
        uint32_t uk = user_key(h, names[i], strlen(names[i]), 0);
        int64_t ver;
        const jsh_version *vv = uk != UINT32_MAX && kv_central_num(h->kv, uk, &ver) == 0 ? version(h, ver) : NULL;
        if (vv && vv->expiration)
            wprintf_(h, ",\"expiration\":%" PRId64, vv->expiration);
        if (vv && vv->meta) {
            WLIT(h, ",\"metadata\":");
            wput(h, vv->meta->data, vv->meta->len);
        }
        wput(h, "}", 1);
    }
    if (i < n) {
        WLIT(h, "],\"list_complete\":false,\"cursor\":");
        json_str(h, names[i - 1]);
        wput(h, "}", 1);
    } else {
        WLIT(h, "],\"list_complete\":true}");
    }
    free(names);
    free(off);
    free(own);
}

/* "R <call> <t> <res> <len> <mlen>" + value + metadata for a get of an own
 * key or a list (its page as the value); -1 when it was neither. */
static int send_own_result(jsh *h, call *c)
{
    const kv_op *op = &c->op;
    const jsh_inv *v = c->js;
    if (op->verb == KV_VERB_LIST) {
        if (op->res != KV_OK) {
            wprintf_(h, "R %" PRIu64 " %" PRId64 " %d -1 -1\n", c->id, sim_now(h->ctx), (int)op->res);
            return 0;
        }
        const char *prefix = v->cur.blob ? v->cur.blob->data : "";
        const char *cursor = prefix + strlen(prefix) + 1;
        wprintf_(h, "R %" PRIu64 " %" PRId64 " 0 ", c->id, sim_now(h->ctx));
        size_t lenpos = h->wlen;
        WLIT(h, "0000000000 -1\n");
        size_t body0 = h->wlen;
        list_page(h, prefix, v->cur.blob ? cursor : "", v->cur.limit);
        char num[12];
        snprintf(num, sizeof num, "%010zu", h->wlen - body0);
        memcpy(h->wb + lenpos, num, 10);
        return 0;
    }
    if (!is_user_key(h, op->key))
        return -1;
    const jsh_version *vv = op->type == KV_GET && op->res == KV_OK ? version(h, op->num) : NULL;
    if (!vv) {
        wprintf_(h, "R %" PRIu64 " %" PRId64 " %d -1 -1\n", c->id, sim_now(h->ctx), (int)op->res);
        return 0;
    }
    wprintf_(h, "R %" PRIu64 " %" PRId64 " %d %" PRIu32 " %" PRId64 "\n", c->id, sim_now(h->ctx), (int)op->res,
             vv->value->len, vv->meta ? (int64_t)vv->meta->len : (int64_t)-1);
    wput(h, vv->value->data, vv->value->len);
    if (vv->meta)
        wput(h, vv->meta->data, vv->meta->len);
    return 0;
}

static void send_result(jsh *h, call *c)
{
    const kv_op *op = &c->op;
    if (send_own_result(h, c) == 0)
        return;
    const kv_blob *b = NULL;
    if (op->res == KV_OK && op->type == KV_GET)
        b = op->key == KV_KEY_CACHE ? (op->list ? op->list->blob : NULL) : op->blob;
    if (op->res == KV_OK && op->type == KV_GET && !b) /* a value qsim holds no text for */
        b = NULL;
    if (op->res == KV_OK && op->type == KV_GET && op->key == KV_KEY_CACHE && op->list)
        keep_read(h, c->js, op->list);
    /* the host keeps the last value of recent:comments it got (the one
     * value read on every poll, 85 KB in the incident): -2 is "that one";
     * -3 after the length asks it to keep this one */
    uint32_t slot = op->key == KV_KEY_CACHE ? 0 : UINT32_MAX;
    if (b && slot >= h->nsent && slot != UINT32_MAX) {
        size_t n = h->nsent ? h->nsent : 256;
        while (n <= slot)
            n *= 2;
        uint64_t *p = realloc(h->sent, n * sizeof *p);
        if (p) {
            memset(p + h->nsent, 0, (n - h->nsent) * sizeof *p);
            h->sent = p;
            h->nsent = n;
        }
    }
    if (b && slot < h->nsent && h->sent[slot] == b->serial) {
        wprintf_(h, "R %" PRIu64 " %" PRId64 " %d -2\n", c->id, sim_now(h->ctx), (int)op->res);
        return;
    }
    if (b && slot < h->nsent)
        h->sent[slot] = b->serial;
    wprintf_(h, "R %" PRIu64 " %" PRId64 " %d %" PRId64 "%s\n", c->id, sim_now(h->ctx), (int)op->res,
             b ? (int64_t)b->len : (int64_t)-1, b && slot < h->nsent ? " -3" : "");
    if (b)
        wput(h, b->data, b->len);
}

static int js_entry(call *c)
{
    jsh *h = c->env->js;
    jsh_inv *v = c->js;
    if (!v || !v->live) {
        if (!(v = inv_of(h, c))) {
            fail_run(h, "out of memory");
            c->status = 500;
            return CO_DONE;
        }
        drop_kvcalls(h, v);
        drop_reads(h, v);
        v->c = c;
        v->live = 1;
        v->inflight = v->wake = v->responded = v->ended = 0;
        if (h->failed) {
            v->live = 0;
            c->status = 500;
            return CO_DONE;
        }
        send_start(h, c);
        pump(h);
    } else if (v->wake) {
        v->wake = 0;
    } else if (v->inflight) {
        v->inflight = 0;
        if (!h->failed) {
            send_result(h, c);
            pump(h);
        }
    }
    int r = settle(h, v);
    if (r == CO_DONE) {
        v->live = 0;
        drop_reads(h, v);
    }
    settle_others(h, v);
    return r;
}

/* ---- what JS mode lets model/world.c recycle ---- */

int jsh_may_recycle(const jsh *h)
{
    /* the module's own keys may hold message ids in any form, and a list
     * shows every comment:<id> key the store holds: once the module has
     * one of its own (besides own key 0, "", the namespace's) or has
     * listed, no slot is released; nor while a batch is being applied */
    return h && !h->parsing && !h->failed && h->nunames <= 1 && !h->listed;
}

void jsh_visit_msgs(const jsh *h, void (*on_msg)(void *ud, uint32_t m), void (*on_list)(void *ud, const kv_list *l),
                    void *ud)
{
    for (size_t i = 0; i < h->ninvs; i++) {
        const jsh_inv *v = h->invs[i];
        if (!v->live)
            continue;
        for (uint32_t k = 0; k < v->nread; k++)
            on_list(ud, v->read[k]);
        if (v->inflight && v->c->op.key != KV_KEY_CACHE && !kv_key_is_misc(v->c->op.key))
            on_msg(ud, kv_key_to_msg(v->c->op.key));
        for (uint32_t k = v->qhead; k < v->nq; k++) {
            const jsh_kvcall *q = &v->q[k];
            if (q->list)
                on_list(ud, q->list);
            if (q->key != KV_KEY_CACHE && !kv_key_is_misc(q->key))
                on_msg(ud, kv_key_to_msg(q->key));
        }
    }
}

void jsh_install(jsh *h, call_env *env, kv_store *kv)
{
    h->env = env;
    h->kv = kv;
    env->js = h;
    env->misc_name = user_key_name;
    met_registry *m = sim_metrics(h->ctx);
    env->m_deletes = met_counter_daily(m, "kv.deletes");
    h->m_slots = met_max(m, "js.msg_slots");
    h->m_versions = met_max(m, "js.versions");
    env->m_lists = met_counter_daily(m, "kv.lists");
    for (int k = 0; k < EP_COUNT; k++)
        env->entry[k] = js_entry;
}

/* ---- the process ---- */

/* The in-process transport: one host, on the thread that runs qsim's main
 * on the addon's coroutine, one session (jsh) at a time; sessions after the
 * first (the next option of a run) get a fresh module instance (docs). */
static jsh_xfer_fn inproc_xfer;
static pthread_t inproc_thread;
static const jsh *inproc_owner;

void jsh_set_inproc(jsh_xfer_fn xfer)
{
    inproc_xfer = xfer;
    inproc_thread = pthread_self();
}

static int transport_is(const char *name)
{
    const char *t = getenv("QSIM_JS_TRANSPORT");
    return t && strcmp(t, name) == 0;
}

static int64_t mtime_of(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) ? (int64_t)st.st_mtime : -1;
}

/* The addon holds this binary's source stamp. */
static int addon_matches(const char *path)
{
    size_t sl = strlen(src_stamp);
    if (sl == 0)
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    static char buf[1 << 16];
    size_t keep = 0, got;
    int found = 0;
    while (!found && (got = fread(buf + keep, 1, sizeof buf - keep, f)) > 0) {
        size_t n = keep + got;
        found = memmem(buf, n, src_stamp, sl) != NULL;
        keep = sl - 1 < n ? sl - 1 : n;
        memmove(buf, buf + n - keep, keep);
    }
    fclose(f);
    return found;
}

static int no_inproc(int want, const char *fmt, const char *arg)
{
    if (!want)
        return 0;
    fputs("qsim: QSIM_JS_TRANSPORT=inproc: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return 1;
}

int jsh_exec_inproc(const char *data_dir)
{
    if (inproc_xfer || transport_is("pipe"))
        return 0; /* inside node already, or pipes asked for */
    int want = transport_is("inproc");
    const char *node = getenv("QSIM_NODE");
    if (!want && node && *node)
        return 0; /* a node of one's own (a wrapper, say) may not speak in-process: asked for only */
    if (!node || !*node)
        node = "node";
    char exe[1024], addon[1100];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return no_inproc(want, "%s", "cannot find qsim's own binary");
    exe[n] = 0;
    int64_t t_addon = -1;
    const char *given = getenv("QSIM_ADDON");
    if (given && *given) {
        snprintf(addon, sizeof addon, "%s", given);
        t_addon = mtime_of(addon);
    } else {
        char *slash = strrchr(exe, '/');
        size_t dl = slash ? (size_t)(slash - exe) : 0;
        snprintf(addon, sizeof addon, "%.*s/qsim.node", (int)dl, exe);
        if ((t_addon = mtime_of(addon)) < 0) {
            snprintf(addon, sizeof addon, "%.*s/build/qsim.node", (int)dl, exe);
            t_addon = mtime_of(addon);
        }
    }
    if (t_addon < 0)
        return no_inproc(want, "no addon (%s; make addon)", addon);
    if (!addon_matches(addon)) /* built from other sources than this binary */
        return no_inproc(want, "%s is not built from qsim's sources (make addon)", addon);
    /* qsim's own argv, as it was given (getopt permutes argv, not this) */
    static char cmdline[65536];
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    ssize_t len = 0, got;
    while (fd >= 0 && (got = read(fd, cmdline + len, sizeof cmdline - 1 - (size_t)len)) > 0)
        len += got;
    if (fd >= 0)
        close(fd);
    if (len <= 0 || (size_t)len >= sizeof cmdline - 1)
        return no_inproc(want, "%s", "cannot read qsim's command line");
    cmdline[len] = 0;
    int nargs = 0;
    for (ssize_t i = 0; i < len; i++)
        nargs += cmdline[i] == 0;
    char **args = calloc((size_t)nargs + 8, sizeof *args);
    if (!args)
        return no_inproc(want, "%s", "out of memory");
    int k = 0;
    args[k++] = (char *)node;
    args[k++] = "--stack-size=4000";
    args[k++] = "-e";
    args[k++] = (char *)host_js;
    args[k++] = "--";
    args[k++] = "--qsim-inproc";
    args[k++] = addon;
    for (char *p = cmdline; p < cmdline + len; p += strlen(p) + 1)
        args[k++] = p;
    args[k] = NULL;
    if (data_dir && *data_dir)
        setenv("QSIM_DATA", data_dir, 1);
    fflush(NULL);
    execvp(node, args);
    int e = errno;
    free(args);
    return no_inproc(want, "cannot run node: %s", strerror(e));
}

jsh *jsh_new(sim_ctx *ctx, msg_table *msgs, const jsh_config *cfg, sim_err *err)
{
    int to[2] = { -1, -1 }, from[2] = { -1, -1 };
    jsh *h = calloc(1, sizeof *h);
    if (h)
        h->m_slots = h->m_versions = -1; /* registered by jsh_install */
    if (!h) {
        err->code = 1;
        snprintf(err->msg, sizeof err->msg, "out of memory");
        return NULL;
    }
    h->ctx = ctx;
    h->msgs = msgs;
    h->cfg = *cfg;
    h->pid = -1;
    h->wfd = h->rfd = -1;
    h->host_status = -1;
    if (cfg->nuser_keys)
        user_key(h, "", 0, 1); /* own key 0: the lists' (no KV key is empty) */
    if (inproc_xfer && !inproc_owner && pthread_equal(pthread_self(), inproc_thread) && !transport_is("pipe")) {
        h->xfer = inproc_xfer;
        h->send = inproc_send;
        h->recv = inproc_recv;
        inproc_owner = h;
        goto started;
    }
    h->send = pipe_send;
    h->recv = pipe_recv;
    if (pipe2(to, O_CLOEXEC) != 0 || pipe2(from, O_CLOEXEC) != 0)
        goto fail_sys;
    const char *node = getenv("QSIM_NODE");
    if (!node || !*node)
        node = "node";
    fflush(NULL);
    h->pid = fork();
    if (h->pid < 0)
        goto fail_sys;
    if (h->pid == 0) {
        dup2(to[0], 0);
        dup2(from[1], 1);
        execlp(node, node, "--stack-size=4000", "-e", host_js, "--", cfg->module, (char *)NULL);
        _exit(127);
    }
    close(to[0]);
    close(from[1]);
    h->wfd = to[1];
    h->rfd = from[0];
    signal(SIGPIPE, SIG_IGN); /* a dead host shows as a failed write */
started:
    /* I <len>\n{"epoch_ms":..,"kv":[..],"vars":{..}} */
    wprintf_(h, "{\"epoch_ms\":%" PRId64 ",\"kv\":[", cfg->epoch_ms);
    size_t j0 = 0;
    for (int i = 0; i < cfg->nkv; i++) {
        if (i)
            wput(h, ",", 1);
        json_str(h, cfg->kv_names[i]);
    }
    if (h->xfer) { /* in-process: the host learns the module here, not from its argv */
        WLIT(h, "],\"module\":");
        json_str(h, cfg->module);
        WLIT(h, ",\"vars\":{\"QSIM_OPTION\":");
    } else {
        WLIT(h, "],\"vars\":{\"QSIM_OPTION\":");
    }
    json_str(h, cfg->option ? cfg->option : "0");
    wprintf_(h, ",\"QSIM_CACHE_WINDOW\":\"%u\"", cfg->window);
    for (int i = 0; i < cfg->nvars; i++) {
        wput(h, ",", 1);
        json_str(h, cfg->var_names[i]);
        wput(h, ":", 1);
        json_str(h, cfg->var_values[i]);
    }
    wput(h, "}}", 2);
    size_t jl = h->wlen - j0;
    char *json = malloc(jl);
    if (!json)
        goto fail_sys;
    memcpy(json, h->wb, jl);
    h->wlen = 0;
    wprintf_(h, "I %zu\n", jl);
    wput(h, json, jl);
    free(json);
    pump(h);
    if (h->failed) {
        err->code = 1;
        snprintf(err->msg, sizeof err->msg, "%s", h->err);
        jsh_free(h);
        return NULL;
    }
    return h;
fail_sys:
    err->code = 1;
    snprintf(err->msg, sizeof err->msg, "worker host: cannot start node: %s", strerror(errno));
    for (int i = 0; i < 2; i++) {
        if (to[i] >= 0 && (h->wfd != to[i]))
            close(to[i]);
        if (from[i] >= 0 && (h->rfd != from[i]))
            close(from[i]);
    }
    jsh_free(h);
    return NULL;
}

void jsh_free(jsh *h)
{
    if (!h)
        return;
    if (inproc_owner == h)
        inproc_owner = NULL;
    if (h->wfd >= 0)
        close(h->wfd); /* EOF: the host exits */
    if (h->rfd >= 0)
        close(h->rfd);
    if (h->pid > 0)
        waitpid(h->pid, NULL, 0);
    for (size_t i = 0; i < h->ninvs; i++) {
        drop_kvcalls(h, h->invs[i]);
        drop_reads(h, h->invs[i]);
        free(h->invs[i]->read);
        kv_blob_unref(h->invs[i]->cur.blob);
        free(h->invs[i]->q);
        free(h->invs[i]);
    }
    free(h->invs);
    free(h->touched);
    free(h->idx);
    free(h->sent);
    for (uint32_t i = 0; i < h->nunames; i++)
        free(h->unames[i]);
    free(h->unames);
    free(h->uidx);
    for (size_t i = 0; i < h->nvers; i++) {
        kv_blob_unref(h->vers[i].value);
        kv_blob_unref(h->vers[i].meta);
    }
    free(h->vers);
    free(h->vfree);
    free(h->vmark);
    free(h->wb);
    free(h->rb);
    free(h);
}
