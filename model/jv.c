/* jv.c - strict JSON parsing and a validator with located errors (jv.h).
 *
 * Unknown keys are errors: a typo must not fall back silently to a
 * default. */
#include "jv.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int jv_fail(jv *v, const char *fmt, ...)
{
    if (v->failed)
        return -1;
    char what[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(v->err->msg, sizeof v->err->msg, "%.300s: %.250s: %s", v->file, v->path[0] ? v->path : "(top level)", what);
    v->err->code = 2;
    v->failed = 1;
    return -1;
}

/* Appends ".key" or "[i]" to the path; returns the old length to restore. */
size_t jv_push(jv *v, const char *key, int index)
{
    size_t n = strlen(v->path);
    if (key)
        snprintf(v->path + n, sizeof v->path - n, "%s%s", n ? "." : "", key);
    else
        snprintf(v->path + n, sizeof v->path - n, "[%d]", index);
    return n;
}

void jv_pop(jv *v, size_t n) { v->path[n] = 0; }

const char *jv_type_name(const cJSON *j)
{
    if (cJSON_IsObject(j)) return "an object";
    if (cJSON_IsArray(j)) return "an array";
    if (cJSON_IsString(j)) return "a string";
    if (cJSON_IsNumber(j)) return "a number";
    if (cJSON_IsBool(j)) return "a boolean";
    if (cJSON_IsNull(j)) return "null";
    return "something else";
}

/* Checks j is an object whose keys are all in allowed (NULL-terminated). */
int jv_object(jv *v, const cJSON *j, const char *const *allowed)
{
    if (!cJSON_IsObject(j))
        return jv_fail(v, "expected an object, got %s", jv_type_name(j));
    for (const cJSON *c = j->child; c; c = c->next) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            ok |= strcmp(*a, c->string) == 0;
        if (!ok) {
            char list[256] = "";
            for (const char *const *a = allowed; *a; a++) {
                strncat(list, *a, sizeof list - strlen(list) - 1);
                if (a[1])
                    strncat(list, ", ", sizeof list - strlen(list) - 1);
            }
            size_t n = jv_push(v, c->string, 0);
            jv_fail(v, "unknown key (allowed here: %s)", list);
            jv_pop(v, n);
            return -1;
        }
        for (const cJSON *d = j->child; d != c; d = d->next)
            if (strcmp(d->string, c->string) == 0) {
                size_t n = jv_push(v, c->string, 0);
                jv_fail(v, "key given twice");
                jv_pop(v, n);
                return -1;
            }
    }
    return 0;
}

const cJSON *jv_get(jv *v, const cJSON *obj, const char *key, int required)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!j && required) {
        size_t n = jv_push(v, key, 0);
        jv_fail(v, "required key is missing");
        jv_pop(v, n);
    }
    return j;
}

const char *jv_fmt(char *buf, size_t len, double x)
{
    if (x == floor(x) && fabs(x) < 1e18) {
        snprintf(buf, len, "%lld", (long long)x);
        return buf;
    }
    for (int prec = 1; prec <= 17; prec++) { /* the shortest text that reads back as x */
        snprintf(buf, len, "%.*g", prec, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    return buf;
}

int jv_number(jv *v, const cJSON *obj, const char *key, double lo, double hi, double *out)
{
    const cJSON *j = jv_get(v, obj, key, 0);
    if (!j)
        return 0;
    size_t n = jv_push(v, key, 0);
    int rc = 0;
    char a[32], b[32], c[32];
    if (!cJSON_IsNumber(j))
        rc = jv_fail(v, "expected a number, got %s", jv_type_name(j));
    else if (!(j->valuedouble >= lo && j->valuedouble <= hi))
        rc = jv_fail(v, "must be between %s and %s, got %s", jv_fmt(a, sizeof a, lo), jv_fmt(b, sizeof b, hi),
                     jv_fmt(c, sizeof c, j->valuedouble));
    else
        *out = j->valuedouble;
    jv_pop(v, n);
    return rc;
}

int jv_prob(jv *v, const cJSON *obj, const char *key, double *out)
{
    return jv_number(v, obj, key, 0, 1, out);
}

int jv_int(jv *v, const cJSON *obj, const char *key, double lo, double hi, int64_t *out)
{
    double d = (double)*out;
    const cJSON *j = jv_get(v, obj, key, 0);
    if (!j)
        return 0;
    if (jv_number(v, obj, key, lo, hi, &d) != 0)
        return -1;
    if (d != floor(d)) {
        size_t n = jv_push(v, key, 0);
        char a[32];
        jv_fail(v, "expected a whole number, got %s", jv_fmt(a, sizeof a, d));
        jv_pop(v, n);
        return -1;
    }
    *out = (int64_t)d;
    return 0;
}

int jv_bool(jv *v, const cJSON *obj, const char *key, int *out)
{
    const cJSON *j = jv_get(v, obj, key, 0);
    if (!j)
        return 0;
    if (!cJSON_IsBool(j)) {
        size_t n = jv_push(v, key, 0);
        jv_fail(v, "expected true or false, got %s", jv_type_name(j));
        jv_pop(v, n);
        return -1;
    }
    *out = cJSON_IsTrue(j);
    return 0;
}

int jv_string(jv *v, const cJSON *obj, const char *key, int required, char *buf, size_t len)
{
    const cJSON *j = jv_get(v, obj, key, required);
    if (!j)
        return required ? -1 : 0;
    size_t n = jv_push(v, key, 0);
    int rc = 0;
    if (!cJSON_IsString(j))
        rc = jv_fail(v, "expected a string, got %s", jv_type_name(j));
    else if (strlen(j->valuestring) == 0 || strlen(j->valuestring) >= len)
        rc = jv_fail(v, "expected 1 to %zu bytes (UTF-8), got %zu bytes", len - 1, strlen(j->valuestring));
    else
        snprintf(buf, len, "%s", j->valuestring);
    jv_pop(v, n);
    return rc;
}

char *jv_slurp(const char *path, size_t *len, sim_err *err)
{
    struct stat st;
    FILE *f = NULL;
    char *buf = NULL;
    err->code = 2;
    if (stat(path, &st) != 0) {
        snprintf(err->msg, sizeof err->msg, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err->msg, sizeof err->msg, "%s: not a regular file (expected a JSON scenario file)", path);
        return NULL;
    }
    if (st.st_size > 64 * 1024 * 1024) {
        snprintf(err->msg, sizeof err->msg, "%s: %lld bytes; scenario files are limited to 64 MiB",
                 path, (long long)st.st_size);
        return NULL;
    }
    f = fopen(path, "rb");
    if (!f) {
        snprintf(err->msg, sizeof err->msg, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        fclose(f);
        snprintf(err->msg, sizeof err->msg, "%s: out of memory", path);
        return NULL;
    }
    *len = fread(buf, 1, (size_t)st.st_size, f);
    buf[*len] = 0;
    fclose(f);
    err->code = 0;
    return buf;
}

/* Returns the byte offset of the first invalid UTF-8 sequence, or -1:
 * bad lead or continuation bytes, truncation, overlong forms, UTF-16
 * surrogates (U+D800..U+DFFF) and code points past U+10FFFF. */
static long bad_utf8(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 9;
        if (n == 9 || (n == 1 && c < 0xc2) || c > 0xf4 || i + n >= len + (n ? 0 : 1))
            return (long)i;
        for (size_t k = 1; k <= n; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return (long)i;
        if ((c == 0xe0 && s[i + 1] < 0xa0) ||  /* overlong 3-byte */
            (c == 0xed && s[i + 1] >= 0xa0) || /* surrogate */
            (c == 0xf0 && s[i + 1] < 0x90) ||  /* overlong 4-byte */
            (c == 0xf4 && s[i + 1] >= 0x90))   /* past U+10FFFF */
            return (long)i;
        i += n + 1;
    }
    return -1;
}

/* What cJSON lets through and JSON does not: a number with a leading zero
 * ("01") and a NUL escape in a string ("\u0000", which would cut a key or
 * value short). An exponent's digits may start with 0 ("1e-05", "5e+01",
 * as Python's json writes them). Returns the offset of the first, or -1;
 * *what says which. */
static long json_strictness(const char *t, size_t len, const char **what)
{
    int in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char c = t[i];
        if (in_str) {
            if (c == '\\') {
                if (i + 5 < len && t[i + 1] == 'u' && strncmp(t + i + 2, "0000", 4) == 0) {
                    *what = "a NUL character (\\u0000) in a string";
                    return (long)i;
                }
                i++;
            } else if (c == '"') {
                in_str = 0;
            }
            continue;
        }
        if (c == '"') {
            in_str = 1;
        } else if (c == '0' && i + 1 < len && t[i + 1] >= '0' && t[i + 1] <= '9' &&
                   (i == 0 || !((t[i - 1] >= '0' && t[i - 1] <= '9') || t[i - 1] == '.' || t[i - 1] == 'e' ||
                                t[i - 1] == 'E' || t[i - 1] == '+' ||
                                (t[i - 1] == '-' && i >= 2 && (t[i - 2] == 'e' || t[i - 2] == 'E'))))) {
            *what = "a number with a leading zero";
            return (long)i;
        }
    }
    return -1;
}

/* cJSON reports a failed string (an object key included) one character
 * past where the string should start: point at that character instead. */
static size_t cjson_error_offset(const char *t, size_t off)
{
    char stack[256];
    int depth = 0, in_str = 0;
    if (off == 0)
        return 0;
    if (t[off - 1] == '"')
        return off - 1;
    for (size_t i = 0; i + 1 < off; i++) { /* the container around off - 1 */
        char c = t[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if ((c == '{' || c == '[') && depth < (int)sizeof stack) {
            stack[depth++] = c;
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    size_t k = off - 1;
    while (k > 0 && strchr(" \t\r\n", t[k - 1]))
        k--;
    if (k > 0 && (t[k - 1] == '{' || (t[k - 1] == ',' && depth > 0 && stack[depth - 1] == '{')))
        return off - 1; /* a key was expected here */
    return off;
}

static void line_col(const char *text, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && text[i]; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

cJSON *jv_parse(const char *name, const char *text, size_t len, sim_err *err)
{
    int line, col;
    long bad = bad_utf8((const unsigned char *)text, len);
    err->code = 2;
    if (bad >= 0) {
        line_col(text, (size_t)bad, &line, &col);
        snprintf(err->msg, sizeof err->msg, "%s:%d:%d: invalid UTF-8 (scenario files are UTF-8 JSON)", name, line, col);
        return NULL;
    }
    if (strlen(text) != len) {
        line_col(text, strlen(text), &line, &col);
        snprintf(err->msg, sizeof err->msg, "%s:%d:%d: NUL byte in the file", name, line, col);
        return NULL;
    }
    const char *end = NULL, *what = NULL;
    long strict = json_strictness(text, len, &what);
    cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
    if (root && strict >= 0) {
        cJSON_Delete(root);
        line_col(text, (size_t)strict, &line, &col);
        snprintf(err->msg, sizeof err->msg, "%s:%d:%d: malformed JSON (%s)", name, line, col, what);
        return NULL;
    }
    if (!root) {
        size_t off = end ? cjson_error_offset(text, (size_t)(end - text)) : 0;
        line_col(text, off, &line, &col);
        const char *why = len == 0 || strspn(text, " \t\r\n") == len ? "empty file, expected a JSON object"
                                                                      : "malformed JSON";
        snprintf(err->msg, sizeof err->msg, "%s:%d:%d: %s", name, line, col, why);
        return NULL;
    }
    err->code = 0;
    return root;
}

/* ---- durations and distributions ---- */

int jv_parse_duration(const char *s, sim_us *out)
{
    static const struct { const char *unit; int64_t us; } units[] = {
        { "us", 1 }, { "ms", 1000 }, { "s", 1000000 }, { "min", 60000000 },
        { "h", INT64_C(3600000000) }, { "d", INT64_C(86400000000) },
    };
    const char *p = s;
    int64_t whole = 0, frac = 0, fscale = 1;
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (whole > (INT64_MAX - 9) / 10)
            return -1;
        whole = whole * 10 + (*p - '0');
    }
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (fscale > INT64_MAX / 100)
                return -1; /* more digits than any unit resolves */
            frac = frac * 10 + (*p - '0');
            fscale *= 10;
        }
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(p, units[i].unit) != 0)
            continue;
        int64_t u = units[i].us;
        if (whole > INT64_MAX / u)
            return -1;
        int64_t t = whole * u;
        if (frac) { /* the fraction must come to whole microseconds */
            if (frac > INT64_MAX / u)
                return -1;
            int64_t f = frac * u;
            if (f % fscale != 0)
                return -1;
            if (t > INT64_MAX - f / fscale)
                return -1;
            t += f / fscale;
        }
        *out = t;
        return 0;
    }
    return -1;
}

int jv_at_most(jv *v, const char *key, sim_us t, sim_us max)
{
    if (t <= max)
        return 0;
    size_t n = jv_push(v, key, 0);
    jv_fail(v, "at most %lld s", (long long)(max / 1000000));
    jv_pop(v, n);
    return -1;
}

int jv_duration(jv *v, const cJSON *obj, const char *key, int required, sim_us lo, sim_us *out)
{
    const cJSON *j = jv_get(v, obj, key, required);
    if (!j)
        return required ? -1 : 0;
    size_t n = jv_push(v, key, 0);
    int rc = 0;
    sim_us t = 0;
    if (!cJSON_IsString(j))
        rc = jv_fail(v, "expected a duration string such as \"3s\", \"250ms\" or \"1d\", got %s", jv_type_name(j));
    else if (jv_parse_duration(j->valuestring, &t) != 0)
        rc = jv_fail(v, "'%s' is not a duration: a decimal with a unit (us, ms, s, min, h, d), "
                        "whole microseconds, at most 106751991 days", j->valuestring);
    else if (t < lo)
        rc = jv_fail(v, "must be at least %lld us, got '%s'", (long long)lo, j->valuestring);
    else
        *out = t;
    jv_pop(v, n);
    return rc;
}

/* A distribution: a duration/number shorthand for const, or an object. */
int jv_dist(jv *v, const cJSON *obj, const char *key, int is_time, int64_t max, dist *out)
{
    static const char *const keys[] = { "dist", "value", "min", "max", "mean", "median", "sigma", NULL };
    const cJSON *j = jv_get(v, obj, key, 0);
    if (!j)
        return 0;
    size_t n = jv_push(v, key, 0);
    int rc = -1;
    char kind[16] = "";
    dist d = { DIST_CONST, 0, 0, 0 };
    const char *need[2] = { NULL, NULL };
    if (is_time && cJSON_IsString(j)) {
        if (jv_parse_duration(j->valuestring, &d.a) != 0) {
            jv_fail(v, "'%s' is not a duration (e.g. \"30ms\")", j->valuestring);
            goto out;
        }
        d.b = d.a;
        goto check;
    }
    if (!is_time && cJSON_IsNumber(j)) {
        obj = NULL;
        /* range first: casting an out-of-range double is undefined */
        if (j->valuedouble != floor(j->valuedouble) || j->valuedouble < 0 || j->valuedouble > (double)max) {
            jv_fail(v, "expected a whole number from 0 to %lld", (long long)max);
            goto out;
        }
        d.a = d.b = (int64_t)j->valuedouble;
        goto check;
    }
    if (jv_object(v, j, keys) != 0 || jv_string(v, j, "dist", 1, kind, sizeof kind) != 0)
        goto out;
    if (strcmp(kind, "const") == 0) { d.kind = DIST_CONST; need[0] = "value"; }
    else if (strcmp(kind, "uniform") == 0) { d.kind = DIST_UNIFORM; need[0] = "min"; need[1] = "max"; }
    else if (strcmp(kind, "exp") == 0) { d.kind = DIST_EXP; need[0] = "mean"; }
    else if (strcmp(kind, "lognormal") == 0) { d.kind = DIST_LOGNORMAL; need[0] = "median"; }
    else {
        size_t m = jv_push(v, "dist", 0);
        jv_fail(v, "unknown distribution '%s' (const, uniform, exp, lognormal)", kind);
        jv_pop(v, m);
        goto out;
    }
    for (const cJSON *c = j->child; c; c = c->next) {
        int used = strcmp(c->string, "dist") == 0 || (need[0] && strcmp(c->string, need[0]) == 0) ||
                   (need[1] && strcmp(c->string, need[1]) == 0) ||
                   (d.kind == DIST_LOGNORMAL && strcmp(c->string, "sigma") == 0);
        if (!used) {
            size_t m = jv_push(v, c->string, 0);
            jv_fail(v, "not a parameter of a %s distribution", kind);
            jv_pop(v, m);
            goto out;
        }
    }
    for (int i = 0; i < 2 && need[i]; i++) {
        int64_t x = 0;
        if (!jv_get(v, j, need[i], 1))
            goto out;
        if (is_time ? jv_duration(v, j, need[i], 1, 0, &x) : jv_int(v, j, need[i], 0, (double)max, &x))
            goto out;
        if (i == 0)
            d.a = x;
        else
            d.b = x;
    }
    if (d.kind == DIST_CONST)
        d.b = d.a;
    if (d.kind == DIST_LOGNORMAL) {
        d.sigma = 0.5;
        if (jv_number(v, j, "sigma", 0, 5, &d.sigma) != 0)
            goto out;
        if (d.a <= 0) {
            jv_fail(v, "median must be > 0");
            goto out;
        }
    }
    if (d.kind == DIST_UNIFORM && d.b < d.a) {
        jv_fail(v, "max must be >= min");
        goto out;
    }
check:
    if (d.a > max || d.b > max) {
        jv_fail(v, "values must be at most %lld", (long long)max);
        goto out;
    }
    *out = d;
    rc = 0;
out:
    jv_pop(v, n);
    return rc;
}

cJSON *jv_load(const char *path, sim_err *err)
{
    size_t len = 0;
    char *text = jv_slurp(path, &len, err);
    cJSON *root = text ? jv_parse(path, text, len, err) : NULL;
    free(text);
    return root;
}
