/* names.h - an index from names to positions in the array that holds them,
 * for registries that are looked up by name (metrics, RNG streams).
 *
 * Finding a name costs one hash and about one string comparison instead of
 * a scan of every name, so registering n names is O(n), not O(n^2) (1,000
 * bots' streams were 12.6 M strcmp calls). The array stays the order of
 * record: nothing iterates the index, so no output depends on hash order. */
#ifndef QSIM_NAMES_H
#define QSIM_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* The name held at position i of arr (the caller's array). */
typedef const char *(*nm_name_fn)(const void *arr, size_t i);

typedef struct nm_index {
    uint32_t *slot; /* position + 1; 0: empty */
    size_t cap;     /* a power of two, or 0 */
} nm_index;

/* The position of name in arr, or -1. */
long nm_find(const nm_index *x, const char *name, nm_name_fn name_of, const void *arr);
/* Indexes arr[i], the array's newest entry (positions 0..i-1 are indexed
 * already). -1 when out of memory: the index is unchanged and arr[i] is not
 * in it. */
int nm_add(nm_index *x, size_t i, nm_name_fn name_of, const void *arr);
void nm_free(nm_index *x);

#endif
