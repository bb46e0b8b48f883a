/* idset.c - string set with values, open addressing with linear probing.
 * The table is at least twice the declared capacity, so probes stay short
 * and a lookup of an absent key always reaches an empty slot. */
#include "idset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct ids_set {
    size_t mask, n, max;
    const char **keys;
    int *vals;
};

static uint64_t hash(const char *k)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 0x100000001b3ULL;
    return h;
}

ids_set *ids_new(size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n + 2)
        cap *= 2;
    ids_set *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->keys = calloc(cap, sizeof *s->keys);
    s->vals = calloc(cap, sizeof *s->vals);
    if (!s->keys || !s->vals) {
        ids_free(s);
        return NULL;
    }
    s->mask = cap - 1;
    s->max = n;
    return s;
}

void ids_free(ids_set *s)
{
    if (!s)
        return;
    free(s->keys);
    free(s->vals);
    free(s);
}

static size_t slot(const ids_set *s, const char *key)
{
    size_t i = (size_t)hash(key) & s->mask;
    while (s->keys[i] && strcmp(s->keys[i], key) != 0)
        i = (i + 1) & s->mask;
    return i;
}

int ids_put(ids_set *s, const char *key, int val)
{
    size_t i = slot(s, key);
    if (s->keys[i])
        return s->vals[i];
    if (s->n == s->max)
        return -2;
    s->keys[i] = key;
    s->vals[i] = val;
    s->n++;
    return -1;
}

int ids_get(const ids_set *s, const char *key)
{
    size_t i = slot(s, key);
    return s->keys[i] ? s->vals[i] : -1;
}
