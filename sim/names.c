/* names.c - the name index: open addressing with linear probing, FNV-1a
 * hashes, grown to keep at most half of the slots full. */
#include "sim/names.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *s)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    return h;
}

long nm_find(const nm_index *x, const char *name, nm_name_fn name_of, const void *arr)
{
    if (!x->cap)
        return -1;
    size_t mask = x->cap - 1;
    for (size_t j = (size_t)hash(name) & mask; x->slot[j]; j = (j + 1) & mask)
        if (strcmp(name_of(arr, x->slot[j] - 1), name) == 0)
            return (long)(x->slot[j] - 1);
    return -1;
}

static void put(uint32_t *slot, size_t cap, size_t i, const char *name)
{
    size_t mask = cap - 1, j = (size_t)hash(name) & mask;
    while (slot[j])
        j = (j + 1) & mask;
    slot[j] = (uint32_t)i + 1;
}

int nm_add(nm_index *x, size_t i, nm_name_fn name_of, const void *arr)
{
    if (i >= UINT32_MAX - 1)
        return -1;
    if ((i + 1) * 2 > x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 16;
        while ((i + 1) * 2 > cap)
            cap *= 2;
        uint32_t *slot = calloc(cap, sizeof *slot);
        if (!slot)
            return -1;
        for (size_t k = 0; k < i; k++)
            put(slot, cap, k, name_of(arr, k));
        free(x->slot);
        x->slot = slot;
        x->cap = cap;
    }
    put(x->slot, x->cap, i, name_of(arr, i));
    return 0;
}

void nm_free(nm_index *x)
{
    free(x->slot);
    x->slot = NULL;
    x->cap = 0;
}
