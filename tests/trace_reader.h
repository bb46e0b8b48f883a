/* trace_reader.h - for tests: a scenario from a C string with single
 * quotes and printf arguments, and the trace of a run captured in memory
 * and parsed into lines (docs/trace.md), with look-ups by call and key.
 * Header-only (static inline), included after harness.h. */
#ifndef QSIM_TEST_TRACE_READER_H
#define QSIM_TEST_TRACE_READER_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline scenario *sq(const char *fmt, ...)
{
    static char text[1 << 16];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof text);
    return h_parse_sq(text);
}

typedef struct tr_line {
    int64_t t;
    char type;          /* 'c' call, 'k' kv, 'e' end */
    uint64_t call;
    char endpoint[16];  /* call lines */
    char op[4];         /* kv lines */
    char key[96];
    char result[24];
    int kvr, kvw, status; /* end lines */
} tr_line;

typedef struct tr {
    FILE *f;
    char *buf;
    size_t len;
    tr_line *l;
    size_t n;
} tr;

static inline void tr_open(tr *t, world_opts *o)
{
    memset(t, 0, sizeof *t);
    t->f = open_memstream(&t->buf, &t->len);
    assert_non_null(t->f);
    memset(o, 0, sizeof *o);
    o->trace = t->f;
}

/* Closes the stream (after the run) and parses every line. */
static inline void tr_parse(tr *t)
{
    assert_int_equal(fclose(t->f), 0);
    t->f = NULL;
    size_t cap = 0;
    for (char *p = t->buf; p && *p;) {
        char *nl = strchr(p, '\n');
        assert_non_null(nl);
        *nl = 0;
        if (t->n == cap) {
            cap = cap ? 2 * cap : 64;
            t->l = realloc(t->l, cap * sizeof *t->l);
            assert_non_null(t->l);
        }
        tr_line *x = &t->l[t->n];
        memset(x, 0, sizeof *x);
        long long tt;
        unsigned long long id;
        char type[8];
        int used = 0;
        if (sscanf(p, "{\"t\":%lld,\"type\":\"%7[a-z]\",\"call\":%llu%n", &tt, type, &id, &used) != 3)
            fail_msg("unparsed trace line: %s", p);
        x->t = tt;
        x->call = id;
        x->type = type[0];
        const char *rest = p + used;
        if (x->type == 'k') {
            if (sscanf(rest, ",\"op\":\"%3[a-z]\",\"key\":\"%95[^\"]\",\"result\":\"%23[^\"]\"", x->op, x->key,
                       x->result) != 3)
                fail_msg("unparsed kv line: %s", p);
        } else if (x->type == 'e') {
            if (sscanf(rest, ",\"kvr\":%d,\"kvw\":%d,\"status\":%d", &x->kvr, &x->kvw, &x->status) != 3)
                fail_msg("unparsed end line: %s", p);
        } else {
            const char *ep = strstr(rest, "\"endpoint\":\"");
            assert_non_null(ep);
            if (sscanf(ep, "\"endpoint\":\"%15[a-z]\"", x->endpoint) != 1)
                fail_msg("unparsed call line: %s", p);
        }
        t->n++;
        p = nl + 1;
    }
}

static inline void tr_free(tr *t)
{
    if (t->f)
        fclose(t->f);
    free(t->buf);
    free(t->l);
    memset(t, 0, sizeof *t);
}

/* The number of the k-th (0-based) call to endpoint ep. */
static inline uint64_t tr_call(const tr *t, const char *ep, int k)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->l[i].type == 'c' && strcmp(t->l[i].endpoint, ep) == 0 && k-- == 0)
            return t->l[i].call;
    fail_msg("no call %d to %s in the trace", k, ep);
    return 0;
}

/* Completion time of the k-th (0-based) op of call id on key (a prefix:
 * "recent:comments" or "comment:"). */
static inline int64_t tr_op_t(const tr *t, uint64_t id, const char *op, const char *key, int k)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->l[i].type == 'k' && t->l[i].call == id && strcmp(t->l[i].op, op) == 0 &&
            strncmp(t->l[i].key, key, strlen(key)) == 0 && k-- == 0)
            return t->l[i].t;
    fail_msg("call %llu has no %s of %s number %d", (unsigned long long)id, op, key, k);
    return -1;
}

static inline void run_traced(h_run *r, scenario *s, const char *option, tr *t)
{
    world_opts o;
    tr_open(t, &o);
    h_run_scenario_opts(r, s, option, &o);
    tr_parse(t);
}

/* Poll k (0-based) of the run was [KVr:kvr KVw:kvw], returned that many and answered 200. */
static inline void assert_poll(const h_run *r, size_t k, int64_t kvr, int64_t kvw, int64_t returned)
{
    const int64_t *row = h_poll(r, k);
    if (row[H_KVR] != kvr || row[H_KVW] != kvw || row[H_RET] != returned || row[H_STATUS] != 200)
        fail_msg("poll %zu: [KVr:%lld KVw:%lld] returned %lld status %lld, expected [KVr:%lld KVw:%lld] "
                 "returned %lld status 200",
                 k + 1, (long long)row[H_KVR], (long long)row[H_KVW], (long long)row[H_RET],
                 (long long)row[H_STATUS], (long long)kvr, (long long)kvw, (long long)returned);
}

#endif
