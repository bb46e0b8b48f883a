/* jv.h - strict JSON for qsim's input files (scenarios, limits, pricing,
 * robustness ranges).
 *
 * jv_parse() refuses what cJSON lets through and JSON does not (invalid
 * UTF-8, NUL bytes, leading zeros, \u0000) with file:line:col. A jv walks
 * the parsed tree with a key path ("bots[1].generation.median"); every
 * accessor checks presence, type and range, and the first problem is kept
 * in err as "<file>: <path>: <what>" (later failures are ignored). */
#ifndef QSIM_JV_H
#define QSIM_JV_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "model/dist.h"
#include "sim/sim.h"

typedef struct {
    const char *file;
    char path[256];
    sim_err *err;
    int failed;
} jv;

int jv_fail(jv *v, const char *fmt, ...);
/* x for a message, exactly: integers as integers, else the shortest
 * decimal that reads back as x (1e-05, 0.1, 4102444800000.5). Returns buf. */
const char *jv_fmt(char *buf, size_t len, double x);
/* Appends ".key" or "[i]" to the path; returns the old length to restore. */
size_t jv_push(jv *v, const char *key, int index);
void jv_pop(jv *v, size_t n);
const char *jv_type_name(const cJSON *j);
/* Checks j is an object whose keys are all in allowed (NULL-terminated). */
int jv_object(jv *v, const cJSON *j, const char *const *allowed);
const cJSON *jv_get(jv *v, const cJSON *obj, const char *key, int required);
/* Optional keys: a missing key leaves *out unchanged and returns 0. */
int jv_number(jv *v, const cJSON *obj, const char *key, double lo, double hi, double *out);
int jv_prob(jv *v, const cJSON *obj, const char *key, double *out);
int jv_int(jv *v, const cJSON *obj, const char *key, double lo, double hi, int64_t *out);
int jv_bool(jv *v, const cJSON *obj, const char *key, int *out);
int jv_string(jv *v, const cJSON *obj, const char *key, int required, char *buf, size_t len);

/* Durations are strings: a decimal with a unit (us, ms, s, min, h, d) that
 * comes to whole microseconds ("250ms", "1.5s", "1d"). jv_parse_duration
 * returns 0 and fills *out, or -1 (no message). */
int jv_parse_duration(const char *s, sim_us *out);
/* A duration key of at least lo us. */
int jv_duration(jv *v, const cJSON *obj, const char *key, int required, sim_us lo, sim_us *out);
/* Fails at key unless t <= max ("at most N s"). */
int jv_at_most(jv *v, const char *key, sim_us t, sim_us max);
/* A distribution (model/dist.h): a duration (is_time) or whole number
 * shorthand for const, or {"dist": const|uniform|exp|lognormal, ...};
 * values at most max. */
int jv_dist(jv *v, const cJSON *obj, const char *key, int is_time, int64_t max, dist *out);

/* The whole file (at most 64 MiB, a regular file), NUL-terminated; *len
 * is its size. NULL with err filled on failure. The caller frees it. */
char *jv_slurp(const char *path, size_t *len, sim_err *err);
/* Parses text strictly; NULL with a located err on failure. The caller
 * deletes the tree. */
cJSON *jv_parse(const char *name, const char *text, size_t len, sim_err *err);
/* jv_slurp then jv_parse: the file's tree, or NULL with err filled. */
cJSON *jv_load(const char *path, sim_err *err);

#endif
