/* idset.h - a set of strings with an int each (open addressing, FNV-1a),
 * for the checks of a scenario's message ids: unique ids and "is this
 * message known" in O(1) each instead of a scan of everything before.
 * Keys are not copied: they must outlive the set. */
#ifndef QSIM_IDSET_H
#define QSIM_IDSET_H

#include <stddef.h>

typedef struct ids_set ids_set;

/* A set sized for up to n keys; NULL when out of memory. */
ids_set *ids_new(size_t n);
void ids_free(ids_set *s);
/* Adds key with val unless present. Returns the value already stored for
 * key, or -1 when key was new (stored) or the set is full (-2). */
int ids_put(ids_set *s, const char *key, int val);
/* The value stored for key, or -1. */
int ids_get(const ids_set *s, const char *key);

#endif
