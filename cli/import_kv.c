/* import_kv.c - `qsim import-kv DUMP`: a dump of a real Workers KV
 * namespace as a scenario's "initial" state (docs/scenarios.md,
 * "Importing a namespace").
 *
 * DUMP is JSON: an array of {"name": KEY, "value": VALUE} (the names
 * `wrangler kv key list` prints, each with what `wrangler kv key get`
 * prints for it; VALUE a JSON string holding the value's text, or the
 * value itself), or an object {KEY: VALUE}. Keys read: "recent:comments"
 * (the cache: an array of messages, oldest first), "comment:<id>" and the
 * legacy "comment:<ms>:<id>" (one message each). A message is an object
 * with "id", "type" ("ai" for bot replies), and "botParams" {"entity",
 * "status", "priority"} for bot work. Every key or entry that cannot be
 * read so is reported on stderr with why; none is dropped silently. */
#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "reports/outfile.h"

typedef struct {
    char id[SC_NAME];
    int is_ai, legacy, have_key, in_cache;
    char entity[SC_NAME];
    char stored[16], cached[16];
    int bytes, priority;
} imsg;

typedef struct {
    imsg *v;
    size_t n, cap;
    int reported;
} iset;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = 0;
    return buf;
}

static void report(iset *s, const char *key, const char *why)
{
    fprintf(stderr, "qsim: import-kv: %s: %s (not imported)\n", key, why);
    s->reported++;
}

static imsg *get(iset *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++) /* O(n) each: a dump of a chat room, not of millions */
        if (strcmp(s->v[i].id, id) == 0)
            return &s->v[i];
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        imsg *nv = realloc(s->v, cap * sizeof *nv);
        if (!nv)
            return NULL;
        s->v = nv;
        s->cap = cap;
    }
    imsg *m = &s->v[s->n++];
    memset(m, 0, sizeof *m);
    snprintf(m->id, sizeof m->id, "%s", id);
    snprintf(m->stored, sizeof m->stored, "absent");
    snprintf(m->cached, sizeof m->cached, "absent");
    return m;
}

/* Reads one message object; fills status (its botParams.status, "none"
 * without botParams, "pending" with botParams but no status) and the
 * message's size without the status fields. NULL id: not a message. */
static const char *read_msg(cJSON *o, char *status, size_t slen, int *bytes, const char **entity, int *is_ai,
                            int *priority, const char **why)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
    cJSON *bp = cJSON_GetObjectItemCaseSensitive(o, "botParams");
    *entity = NULL;
    *priority = 0;
    if (!cJSON_IsObject(o) || !cJSON_IsString(id) || !*id->valuestring || strlen(id->valuestring) >= SC_NAME) {
        *why = "not a message object with an \"id\" of 1-63 characters";
        return NULL;
    }
    *is_ai = cJSON_IsString(type) && strcmp(type->valuestring, "ai") == 0;
    snprintf(status, slen, "none");
    if (cJSON_IsObject(bp)) {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(bp, "status");
        const cJSON *en = cJSON_GetObjectItemCaseSensitive(bp, "entity");
        const cJSON *pr = cJSON_GetObjectItemCaseSensitive(bp, "priority");
        static const char *const ok[] = { "pending", "processing", "complete", "failed", NULL };
        snprintf(status, slen, "pending"); /* the seed's "'pending' or undefined" */
        if (cJSON_IsString(st)) {
            int known = 0;
            for (const char *const *k = ok; *k; k++)
                known |= strcmp(st->valuestring, *k) == 0;
            if (!known) {
                *why = "botParams.status is not pending, processing, complete or failed";
                return NULL;
            }
            snprintf(status, slen, "%s", st->valuestring);
        }
        if (cJSON_IsString(en) && *en->valuestring && strlen(en->valuestring) < SC_NAME)
            *entity = en->valuestring;
        if (cJSON_IsNumber(pr))
            *priority = (int)pr->valuedouble;
    }
    /* the size as posted: without the fields qsim adds itself */
    cJSON *copy = cJSON_Duplicate(o, 1);
    cJSON *cbp = cJSON_GetObjectItemCaseSensitive(copy, "botParams");
    cJSON_DeleteItemFromObjectCaseSensitive(cbp, "status");
    cJSON_DeleteItemFromObjectCaseSensitive(copy, "processed");
    char *text = cJSON_PrintUnformatted(copy);
    *bytes = text ? (int)strlen(text) : 600;
    free(text);
    cJSON_Delete(copy);
    return id->valuestring;
}

static cJSON *parse_value(cJSON *v)
{
    if (cJSON_IsString(v)) /* wrangler kv key get prints the text */
        return cJSON_Parse(v->valuestring);
    return cJSON_Duplicate(v, 1);
}

static void take_key(iset *s, const char *name, cJSON *value)
{
    char status[16];
    const char *why = NULL, *entity;
    int bytes, is_ai, prio;
    if (strcmp(name, "recent:comments") == 0) {
        cJSON *arr = parse_value(value), *e;
        if (!cJSON_IsArray(arr)) {
            report(s, name, "the cache is not a JSON array of messages");
            cJSON_Delete(arr);
            return;
        }
        int i = 0;
        cJSON_ArrayForEach(e, arr) {
            const char *id = read_msg(e, status, sizeof status, &bytes, &entity, &is_ai, &prio, &why);
            char where[64];
            snprintf(where, sizeof where, "recent:comments[%d]", i++);
            if (!id) {
                report(s, where, why);
                continue;
            }
            imsg *m = get(s, id);
            if (!m)
                break;
            if (m->in_cache) {
                report(s, where, "a second cache entry for the same id");
                continue;
            }
            m->in_cache = 1;
            snprintf(m->cached, sizeof m->cached, "%s", status);
            if (!m->have_key) {
                m->bytes = bytes;
                m->is_ai = is_ai;
                m->priority = prio;
                if (entity)
                    snprintf(m->entity, sizeof m->entity, "%s", entity);
            }
        }
        cJSON_Delete(arr);
        return;
    }
    if (strncmp(name, "comment:", 8) != 0) {
        report(s, name, "not a key the Worker uses (recent:comments, comment:<id>, comment:<ms>:<id>)");
        return;
    }
    const char *rest = name + 8, *colon = strchr(rest, ':');
    int legacy = 0;
    if (colon) { /* comment:<ms>:<id> */
        for (const char *p = rest; p < colon; p++)
            if (*p < '0' || *p > '9')
                colon = NULL;
        legacy = colon != NULL;
        if (legacy)
            rest = colon + 1;
    }
    cJSON *o = parse_value(value);
    const char *id = o ? read_msg(o, status, sizeof status, &bytes, &entity, &is_ai, &prio, &why) : NULL;
    if (!o)
        why = "the value is not JSON";
    if (id && strcmp(id, rest) != 0)
        id = NULL, why = "the key names another id than its value's";
    imsg *m = id ? get(s, id) : NULL;
    if (m && m->have_key)
        id = NULL, why = "a second key for the same message (current and legacy)";
    if (!id || !m) {
        report(s, name, why ? why : "out of memory");
        cJSON_Delete(o);
        return;
    }
    m->have_key = 1;
    m->legacy = legacy;
    m->bytes = bytes;
    m->is_ai = is_ai;
    m->priority = prio;
    m->entity[0] = 0;
    if (entity)
        snprintf(m->entity, sizeof m->entity, "%s", entity);
    snprintf(m->stored, sizeof m->stored, "%s", status);
    cJSON_Delete(o);
}

int cmd_import_kv(int argc, char **argv)
{
    const char *out = NULL, *dump = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (argv[i][0] == '-')
            return cli_usage_error("import-kv: unknown option '%s'", argv[i]);
        else if (!dump)
            dump = argv[i];
        else
            return cli_usage_error("%s", "import-kv takes one DUMP");
    }
    if (!dump)
        return cli_usage_error("%s", "import-kv wants a DUMP file (docs/scenarios.md, \"Importing a namespace\")");
    char *text = slurp(dump);
    if (!text) {
        fprintf(stderr, "qsim: import-kv: %s: %s\n", dump, strerror(errno));
        return 2;
    }
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsArray(root) && !cJSON_IsObject(root)) {
        fprintf(stderr, "qsim: import-kv: %s: not JSON, or neither an array of {name, value} nor an object\n", dump);
        cJSON_Delete(root);
        return 2;
    }
    iset s = { 0 };
    cJSON *e;
    int nkeys = 0;
    /* the cache first: its order is the messages' order */
    for (int pass = 0; pass < 2; pass++) {
        cJSON_ArrayForEach(e, root) {
            const cJSON *name = cJSON_IsArray(root) ? cJSON_GetObjectItemCaseSensitive(e, "name") : NULL;
            const char *key = cJSON_IsArray(root) ? (cJSON_IsString(name) ? name->valuestring : NULL) : e->string;
            cJSON *value = cJSON_IsArray(root) ? cJSON_GetObjectItemCaseSensitive(e, "value") : e;
            int is_cache = key && strcmp(key, "recent:comments") == 0;
            if (is_cache != (pass == 0))
                continue;
            nkeys++;
            if (!key)
                report(&s, "(entry)", "no \"name\"");
            else if (!value)
                report(&s, key, "no \"value\" (add what 'wrangler kv key get' prints)");
            else
                take_key(&s, key, value);
        }
    }
    cJSON_Delete(root);
    cJSON *frag = cJSON_CreateObject(), *init = cJSON_AddObjectToObject(frag, "initial");
    cJSON *msgs = cJSON_AddArrayToObject(init, "messages");
    for (size_t i = 0; i < s.n; i++) {
        const imsg *m = &s.v[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", m->id);
        if (m->is_ai)
            cJSON_AddStringToObject(o, "type", "ai");
        if (m->entity[0])
            cJSON_AddStringToObject(o, "entity", m->entity);
        if (m->legacy)
            cJSON_AddStringToObject(o, "key", "legacy");
        cJSON_AddStringToObject(o, "stored", m->stored);
        cJSON_AddStringToObject(o, "cached", m->cached);
        cJSON_AddNumberToObject(o, "bytes", m->bytes > 0 ? m->bytes : 1);
        if (m->priority > 0 && m->priority <= 100)
            cJSON_AddNumberToObject(o, "priority", m->priority);
        cJSON_AddItemToArray(msgs, o);
    }
    char *json = cJSON_Print(frag);
    cJSON_Delete(frag);
    int rc = 0;
    of_file f = { 0 };
    if (!json || (out && of_open(&f, out) != 0)) {
        fprintf(stderr, "qsim: import-kv: cannot write %s: %s\n", out ? out : "stdout", strerror(errno));
        rc = 1;
    } else {
        fprintf(out ? f.f : stdout, "%s\n", json);
        if (out && of_commit(&f) != 0) {
            fprintf(stderr, "qsim: import-kv: cannot write %s: %s\n", out, strerror(errno));
            rc = 1;
        }
    }
    fprintf(stderr, "qsim: import-kv: %d keys, %zu messages imported, %d keys or entries reported above\n", nkeys,
            s.n, s.reported);
    free(json);
    free(s.v);
    return rc ? rc : s.reported ? 3 : 0;
}
