/* msg.c - the message table and its id arena. */
#include "msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = { "none", "pending", "processing", "complete", "failed" };

const char *msg_status_name(int s)
{
    return s >= 0 && s <= ST_FAILED ? status_names[s] : "?";
}

int msg_status_parse(const char *s)
{
    for (int i = 0; i <= ST_FAILED; i++)
        if (strcmp(s, status_names[i]) == 0)
            return i;
    return -1;
}

void msg_table_init(msg_table *t)
{
    memset(t, 0, sizeof *t);
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
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        msg *m = realloc(t->m, cap * sizeof *m);
        if (!m)
            return MSG_NONE;
        t->m = m;
        t->cap = cap;
    }
    if (t->ids_len + len > t->ids_cap) {
        size_t cap = t->ids_cap ? t->ids_cap * 2 : 4096;
        while (cap < t->ids_len + len)
            cap *= 2;
        char *ids = realloc(t->ids, cap);
        if (!ids)
            return MSG_NONE;
        t->ids = ids;
        t->ids_cap = cap;
    }
    if (t->n >= MSG_NONE || t->ids_len > UINT32_MAX - len)
        return MSG_NONE;
    memcpy(t->ids + t->ids_len, id, len);
    msg *m = &t->m[t->n];
    memset(m, 0, sizeof *m);
    m->id_off = (uint32_t)t->ids_len;
    m->ts_ms = ts_ms;
    m->div_start = -1;
    m->post_done = -1;
    m->claimed_at = -1;
    m->reply_to = MSG_NONE;
    m->last_store = -1;
    t->ids_len += len;
    return (uint32_t)t->n++;
}

uint32_t msg_find(const msg_table *t, const char *id)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(msg_id(t, (uint32_t)i), id) == 0)
            return (uint32_t)i;
    return MSG_NONE;
}

int msg_key_name(const msg_table *t, uint32_t i, int legacy, char *buf, size_t len)
{
    if (legacy)
        return snprintf(buf, len, "comment:%lld:%s", (long long)t->m[i].ts_ms, msg_id(t, i));
    return snprintf(buf, len, "comment:%s", msg_id(t, i));
}

int64_t msg_id_ts(const char *id)
{
    int64_t v = 0;
    const char *p = id;
    while (*p >= '0' && *p <= '9' && v < INT64_MAX / 10 - 10)
        v = v * 10 + (*p++ - '0');
    return p > id ? v : 0;
}
