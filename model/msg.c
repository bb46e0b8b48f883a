/* msg.c - the message table and its id arena. */
#include "msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = { "none", "pending", "processing", "complete", "failed" };

const char *msg_status_name(int s)
{
    return s >= 0 && s <= MS_FAILED ? status_names[s] : "?";
}

int msg_status_parse(const char *s)
{
    for (int i = 0; i <= MS_FAILED; i++)
        if (strcmp(s, status_names[i]) == 0)
            return i;
    return -1;
}

void msg_table_init(msg_table *t)
{
    memset(t, 0, sizeof *t);
    t->free_head = MSG_NONE;
}

void msg_set_reclaim(msg_table *t, msg_reclaim_fn fn, void *ud)
{
    t->reclaim = fn;
    t->reclaim_ud = ud;
}

void msg_release(msg_table *t, uint32_t i)
{
    msg *m = &t->m[i];
    if (m->freed)
        return;
    m->freed = 1;
    m->next_free = t->free_head;
    t->free_head = i;
    t->nfree++;
}

/* Rewrites the id arena with the live slots' ids only. -1 on OOM (the
 * table is unchanged). */
static int msg_compact_ids(msg_table *t)
{
    size_t len = 0;
    for (size_t i = 0; i < t->n; i++)
        if (!t->m[i].freed)
            len += strlen(t->ids + t->m[i].id_off) + 1;
    size_t cap = len > 2048 ? 2 * len : 4096; /* room for the next adds */
    char *ids = malloc(cap);
    if (!ids)
        return -1;
    size_t off = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->m[i].freed)
            continue;
        size_t l = strlen(t->ids + t->m[i].id_off) + 1;
        memcpy(ids + off, t->ids + t->m[i].id_off, l);
        t->m[i].id_off = (uint32_t)off;
        off += l;
    }
    free(t->ids);
    t->ids = ids;
    t->ids_cap = cap;
    t->ids_len = off;
    return 0;
}

static int grow_slots(msg_table *t)
{
    size_t cap = t->cap ? t->cap * 2 : 256;
    msg *m = realloc(t->m, cap * sizeof *m);
    if (!m)
        return -1;
    t->m = m;
    t->cap = cap;
    return 0;
}

/* A slot for a new message: a released one, else the next new one. When
 * the table is full, reclaims first; grows when that freed under half. */
static uint32_t take_slot(msg_table *t)
{
    if (t->free_head == MSG_NONE && t->n == t->cap && t->reclaim && t->cap > 0) {
        size_t freed = t->reclaim(t->reclaim_ud);
        if (freed > 0 && msg_compact_ids(t) != 0)
            return MSG_NONE;
        if (freed < t->cap / 2 && grow_slots(t) != 0)
            return MSG_NONE;
    }
    if (t->free_head != MSG_NONE) {
        uint32_t i = t->free_head;
        t->free_head = t->m[i].next_free;
        t->nfree--;
        return i;
    }
    if (t->n == t->cap && grow_slots(t) != 0)
        return MSG_NONE;
    if (t->n >= MSG_NONE)
        return MSG_NONE;
    return (uint32_t)t->n++;
}

void msg_table_deinit(msg_table *t)
{
    free(t->m);
    free(t->ids);
    memset(t, 0, sizeof *t);
}

uint32_t msg_add(msg_table *t, const char *id, int64_t ts_ms)
{
    size_t len = strlen(id) + 1;
    uint32_t i = take_slot(t); /* first: a reclaim may compact the arena */
    if (i == MSG_NONE)
        return MSG_NONE;
    char *ids = NULL;
    if (t->ids_len + len > t->ids_cap) {
        size_t cap = t->ids_cap ? t->ids_cap * 2 : 4096;
        while (cap < t->ids_len + len)
            cap *= 2;
        if (t->ids_len <= UINT32_MAX - len)
            ids = realloc(t->ids, cap);
        if (ids) {
            t->ids = ids;
            t->ids_cap = cap;
        }
    }
    if (t->ids_len + len > t->ids_cap || t->ids_len > UINT32_MAX - len) {
        t->m[i].freed = 0;
        msg_release(t, i); /* the slot goes back unused */
        return MSG_NONE;
    }
    memcpy(t->ids + t->ids_len, id, len);
    msg *m = &t->m[i];
    memset(m, 0, sizeof *m);
    m->id_off = (uint32_t)t->ids_len;
    m->ts_ms = ts_ms;
    m->div_start = -1;
    m->post_done = -1;
    m->claimed_at = -1;
    m->reply_to = MSG_NONE;
    m->last_store = -1;
    m->next_free = MSG_NONE;
    t->ids_len += len;
    t->total++;
    return i;
}

uint32_t msg_find(const msg_table *t, const char *id)
{
    for (size_t i = 0; i < t->n; i++)
        if (!t->m[i].freed && strcmp(msg_id(t, (uint32_t)i), id) == 0)
            return (uint32_t)i;
    return MSG_NONE;
}

int msg_key_name(const msg_table *t, uint32_t i, int legacy, char *buf, size_t len)
{
    if (legacy)
        return snprintf(buf, len, "comment:%lld:%s", (long long)t->m[i].ts_ms, msg_id(t, i));
    return snprintf(buf, len, "comment:%s", msg_id(t, i));
}

int msg_fmt_i64(char *buf, int64_t v)
{
    char tmp[20];
    int n = 0, len = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        buf[len++] = '-';
    while (n)
        buf[len++] = tmp[--n];
    return len;
}

int msg_key_len(const msg_table *t, uint32_t i, int legacy)
{
    int n = 8 + (int)strlen(msg_id(t, i)); /* "comment:" and the id */
    if (legacy) {
        char ts[21];
        n += msg_fmt_i64(ts, t->m[i].ts_ms) + 1;
    }
    return n;
}

int64_t msg_id_ts(const char *id)
{
    int64_t v = 0;
    const char *p = id;
    while (*p >= '0' && *p <= '9' && v < INT64_MAX / 10 - 10)
        v = v * 10 + (*p++ - '0');
    return p > id ? v : 0;
}
