/* expdir.c - experiment folders and their manifests (expdir.h). */
#include "expdir.h"

#include <cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/session.h"
#include "reports/outfile.h"

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * FNV_PRIME;
    return h;
}

/* err->msg from a format; code 2 (bad usage or input). Returns 2. */
static int fail(sim_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = 2;
    return 2;
}

static void utc_now(char *buf, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void xd_init(xd_exp *x, const char *kind, const char *scenario_name, int argc, char *const *argv)
{
    memset(x, 0, sizeof *x);
    snprintf(x->kind, sizeof x->kind, "%s", kind);
    snprintf(x->scenario, sizeof x->scenario, "%s", scenario_name ? scenario_name : "scenario");
    x->argc = argc;
    x->argv = argv;
    utc_now(x->started, sizeof x->started);
}

static void add(xd_exp *x, const char *key, const char *value, int is_file)
{
    if (x->nitems == XD_MAX_ITEMS)
        return; /* a programmer error: the settings are a fixed, short list */
    int i = x->nitems++;
    snprintf(x->keys[i], sizeof x->keys[i], "%s", key);
    snprintf(x->vals[i], sizeof x->vals[i], "%s", value ? value : "");
    x->is_file[i] = (char)is_file;
    if (is_file)
        xd_hash_file(value, x->hashes[i], sizeof x->hashes[i]);
}

void xd_set(xd_exp *x, const char *key, const char *value) { add(x, key, value, 0); }
void xd_file(xd_exp *x, const char *key, const char *path) { add(x, key, path, 1); }

void xd_hash_file(const char *path, char *out, size_t len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(out, len, "absent");
        return;
    }
    uint64_t h = FNV_OFFSET;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        h = fnv(h, buf, n);
    fclose(f);
    snprintf(out, len, "%016" PRIx64, h);
}

/* The id: the kind, version, settings and input contents, in order. The
 * file paths are not in it: the same bytes under another name are the same
 * experiment. */
static uint64_t compute_id(const xd_exp *x)
{
    uint64_t h = fnv(FNV_OFFSET, x->kind, strlen(x->kind) + 1);
    h = fnv(h, QSIM_VERSION, sizeof QSIM_VERSION);
    for (int i = 0; i < x->nitems; i++) {
        if (x->is_file[i] && x->files_out_of_id)
            continue;
        h = fnv(h, x->keys[i], strlen(x->keys[i]) + 1);
        const char *v = x->is_file[i] ? x->hashes[i] : x->vals[i];
        h = fnv(h, v, strlen(v) + 1);
    }
    return h;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = 0;
    return buf;
}

int xd_resolve(xd_exp *x, const char *out_given, int force, sim_err *err)
{
    x->id = compute_id(x);
    if (out_given == x->dir) {
        /* resolved before: check the folder again */
    } else if (out_given) {
        snprintf(x->dir, sizeof x->dir, "%s", out_given);
    } else {
        const char *root = getenv("QSIM_OUT");
        char name[160];
        size_t k = 0;
        /* the scenario's name as a file name: letters, digits, - _ . */
        for (const char *p = x->scenario; *p && k < 100; p++) {
            char c = *p;
            int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                     c == '_' || (c == '.' && k > 0);
            name[k++] = ok ? c : '_';
        }
        name[k] = 0;
        snprintf(x->root, sizeof x->root, "%s", root && *root ? root : "out");
        if (snprintf(x->dir, sizeof x->dir, "%s/%s/%s-%08" PRIx64, x->root, x->kind, k ? name : "scenario",
                     x->id >> 32) >= (int)sizeof x->dir) {
            snprintf(err->msg, sizeof err->msg, "%s", "$QSIM_OUT is too long a path");
            err->code = 2;
            return 2;
        }
        x->is_default = 1;
    }
    struct stat st;
    if (stat(x->dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
        return fail(err, "--out %s: not a folder", x->dir);
    }
    char path[1100];
    if (snprintf(path, sizeof path, "%s/manifest.json", x->dir) >= (int)sizeof path)
        return 0; /* cannot hold a manifest we could read either */
    char *text = read_all(path);
    if (!text)
        return 0;
    cJSON *m = cJSON_Parse(text);
    free(text);
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(m, "kind");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(m, "id");
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(m, "scenario");
    const cJSON *started = cJSON_GetObjectItemCaseSensitive(m, "started");
    char mine[24];
    snprintf(mine, sizeof mine, "%016" PRIx64, x->id);
    int same = cJSON_IsString(kind) && cJSON_IsString(id) && strcmp(kind->valuestring, x->kind) == 0 &&
               strcmp(id->valuestring, mine) == 0;
    if (!same && !force) {
        fail(err,
                 "%s holds another experiment (%s %s of %s, started %s); choose another --out (or none: "
                 "every experiment then gets a folder of its own under out/), or add --force to replace it",
                 x->dir, cJSON_IsString(kind) ? kind->valuestring : "?", cJSON_IsString(id) ? id->valuestring : "?",
                 cJSON_IsString(sc) ? sc->valuestring : "?", cJSON_IsString(started) ? started->valuestring : "?");
        cJSON_Delete(m);
        return 2;
    }
    cJSON_Delete(m);
    return 0;
}

int xd_write_manifest(const xd_exp *x, const char *folder, const char *const *files, int nfiles,
                      const char *extra_json)
{
    char buf[1100], ended[32];
    utc_now(ended, sizeof ended);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "qsim", QSIM_VERSION);
    cJSON_AddStringToObject(root, "kind", x->kind);
    snprintf(buf, sizeof buf, "%016" PRIx64, x->id);
    cJSON_AddStringToObject(root, "id", buf);
    cJSON_AddStringToObject(root, "scenario", x->scenario);
    cJSON *cl = cJSON_AddArrayToObject(root, "command_line");
    cJSON_AddItemToArray(cl, cJSON_CreateString("qsim"));
    for (int i = 0; i < x->argc; i++)
        cJSON_AddItemToArray(cl, cJSON_CreateString(x->argv[i]));
    cJSON *in = cJSON_AddObjectToObject(root, "inputs");
    cJSON *set = cJSON_AddObjectToObject(root, "settings");
    for (int i = 0; i < x->nitems; i++) {
        if (x->is_file[i]) {
            cJSON *f = cJSON_AddObjectToObject(in, x->keys[i]);
            cJSON_AddStringToObject(f, "path", x->vals[i]);
            cJSON_AddStringToObject(f, "fnv1a64", x->hashes[i]);
        } else {
            cJSON_AddStringToObject(set, x->keys[i], x->vals[i]);
        }
    }
    if (extra_json) {
        cJSON *e = cJSON_Parse(extra_json);
        cJSON *it = e ? e->child : NULL;
        while (it) {
            cJSON *next = it->next;
            cJSON_AddItemToObject(root, it->string, cJSON_DetachItemViaPointer(e, it));
            it = next;
        }
        cJSON_Delete(e);
    }
    cJSON_AddStringToObject(root, "started", x->started);
    cJSON_AddStringToObject(root, "finished", ended);
    cJSON *fl = cJSON_AddArrayToObject(root, "files");
    for (int i = 0; i < nfiles; i++)
        if (files[i])
            cJSON_AddItemToArray(fl, cJSON_CreateString(files[i]));
    cJSON_AddItemToArray(fl, cJSON_CreateString("manifest.json"));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) {
        errno = ENOMEM;
        return -1;
    }
    of_file f;
    snprintf(buf, sizeof buf, "%s/manifest.json", folder);
    if (of_open(&f, buf) != 0) {
        free(text);
        return -1;
    }
    fputs(text, f.f);
    fputc('\n', f.f);
    free(text);
    return of_commit(&f);
}

void xd_link_latest(const xd_exp *x)
{
    if (!x->is_default)
        return;
    char link[1100], tmp[1200], target[1100];
    size_t rl = strlen(x->root);
    /* relative to root, so that the whole out/ can be moved */
    snprintf(target, sizeof target, "%s", x->dir + rl + (x->dir[rl] == '/'));
    snprintf(link, sizeof link, "%s/latest", x->root);
    snprintf(tmp, sizeof tmp, "%s/.latest.tmp.%ld", x->root, (long)getpid());
    unlink(tmp);
    if (symlink(target, tmp) != 0 || rename(tmp, link) != 0)
        unlink(tmp); /* a convenience: a failure costs only the link */
}
