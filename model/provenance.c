/* provenance.c - the "published"/"assumptions" marks of the data files
 * (provenance.h). The walk visits every leaf of the file; a leaf that is a
 * value must appear in exactly one of the two marks, and every mark must
 * name a leaf that exists. */
#include "provenance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_description(const char *key)
{
    static const char *const meta[] = { "name", "source", "date", "plan", "currency", "published", "assumptions",
                                        NULL };
    size_t n = strlen(key);
    for (const char *const *m = meta; *m; m++)
        if (strcmp(key, *m) == 0)
            return 1;
    return (n > 5 && strcmp(key + n - 5, "_note") == 0) || (n > 7 && strcmp(key + n - 7, "_source") == 0);
}

/* The member at a dotted path, or NULL. */
static const cJSON *at_path(const cJSON *root, const char *path)
{
    char buf[96];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *node = root;
    for (char *p = buf, *dot; node && p; p = dot ? dot + 1 : NULL) {
        dot = strchr(p, '.');
        if (dot)
            *dot = 0;
        node = cJSON_IsObject(node) ? cJSON_GetObjectItemCaseSensitive(node, p) : NULL;
    }
    return node;
}

/* Every value leaf under obj (prefix: its dotted path) must be marked once. */
static void walk(jv *v, const cJSON *obj, const char *prefix, const cJSON *pub, const cJSON *ass)
{
    for (const cJSON *c = obj->child; c && !v->failed; c = c->next) {
        if (is_description(c->string))
            continue;
        char path[96];
        snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "." : "", c->string);
        if (cJSON_IsObject(c)) {
            walk(v, c, path, pub, ass);
            continue;
        }
        int p = pub && cJSON_GetObjectItemCaseSensitive(pub, path) != NULL;
        int a = ass && cJSON_GetObjectItemCaseSensitive(ass, path) != NULL;
        if (p + a != 1) {
            size_t n = jv_push(v, path, 0);
            jv_fail(v, p ? "marked both published and assumed; choose one"
                         : "not marked: list it under \"published\" (with its source) or under \"assumptions\" "
                           "(with its range)");
            jv_pop(v, n);
        }
    }
}

static int check_assumption(jv *v, const cJSON *root, const cJSON *a, pv_assumption *out)
{
    static const char *const keys[] = { "range", "param", "note", NULL };
    const cJSON *val = at_path(root, a->string);
    memset(out, 0, sizeof *out);
    snprintf(out->key, sizeof out->key, "%s", a->string);
    if (!val || cJSON_IsObject(val))
        return jv_fail(v, "names no value of this file");
    if (!cJSON_IsNumber(val))
        return jv_fail(v, "an assumed value must be a number (it has a range), but %s is %s", a->string,
                       jv_type_name(val));
    out->value = val->valuedouble;
    if (jv_object(v, a, keys) != 0)
        return -1;
    const cJSON *r = jv_get(v, a, "range", 1);
    if (!r)
        return -1;
    size_t n = jv_push(v, "range", 0);
    if (!cJSON_IsArray(r) || cJSON_GetArraySize(r) != 2 || !cJSON_IsNumber(r->child) ||
        !cJSON_IsNumber(r->child->next)) {
        jv_fail(v, "expected [low, high], two numbers");
    } else {
        out->lo = r->child->valuedouble;
        out->hi = r->child->next->valuedouble;
        char b1[32], b2[32], b3[32];
        if (out->lo > out->hi)
            jv_fail(v, "low %s is above high %s", jv_fmt(b1, sizeof b1, out->lo), jv_fmt(b2, sizeof b2, out->hi));
        else if (out->value < out->lo || out->value > out->hi)
            jv_fail(v, "the value %s is outside its plausible range [%s, %s]", jv_fmt(b3, sizeof b3, out->value),
                    jv_fmt(b1, sizeof b1, out->lo), jv_fmt(b2, sizeof b2, out->hi));
    }
    jv_pop(v, n);
    if (jv_string(v, a, "param", 0, out->param, sizeof out->param) != 0 ||
        jv_string(v, a, "note", 1, out->note, sizeof out->note) != 0)
        return -1;
    return v->failed ? -1 : 0;
}

int pv_check(jv *v, const cJSON *root, pv_list *out)
{
    /* a file of the user's own may carry no marks at all: nothing is then
     * known to be assumed; once it marks anything, it marks everything */
    if (!cJSON_GetObjectItemCaseSensitive(root, "published") && !cJSON_GetObjectItemCaseSensitive(root, "assumptions"))
        return 0;
    const cJSON *pub = jv_get(v, root, "published", 1), *ass = jv_get(v, root, "assumptions", 1);
    if (!pub || !ass)
        return -1;
    size_t n = jv_push(v, "published", 0);
    if (!cJSON_IsObject(pub))
        jv_fail(v, "expected an object of \"value\": \"source\"");
    for (const cJSON *p = pub->child; p && !v->failed; p = p->next) {
        size_t m = jv_push(v, p->string, 0);
        const cJSON *val = at_path(root, p->string);
        if (!cJSON_IsString(p) || !p->valuestring[0])
            jv_fail(v, "expected its source, a non-empty string");
        else if (!val || cJSON_IsObject(val))
            jv_fail(v, "names no value of this file");
        jv_pop(v, m);
    }
    jv_pop(v, n);
    n = jv_push(v, "assumptions", 0);
    if (!v->failed && !cJSON_IsObject(ass))
        jv_fail(v, "expected an object of \"value\": {\"range\": [low, high], \"note\": ...}");
    for (const cJSON *a = ass->child; a && !v->failed; a = a->next) {
        size_t m = jv_push(v, a->string, 0);
        pv_assumption one;
        if (!cJSON_IsObject(a))
            jv_fail(v, "expected {\"range\": [low, high], \"param\": ..., \"note\": ...}");
        else if (check_assumption(v, root, a, &one) == 0 && out) {
            if (out->n == PV_MAX)
                jv_fail(v, "at most %d assumptions", PV_MAX);
            else
                out->a[out->n++] = one;
        }
        jv_pop(v, m);
    }
    jv_pop(v, n);
    if (!v->failed)
        walk(v, root, "", pub, ass);
    return v->failed ? -1 : 0;
}

int pv_load(const char *path, pv_list *out, sim_err *err)
{
    cJSON *root = jv_load(path, err);
    if (!root)
        return -1;
    jv v = { path, "", err, 0 };
    int rc = pv_check(&v, root, out);
    cJSON_Delete(root);
    return rc;
}
