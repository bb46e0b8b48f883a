/* figures.h - the catalogue of every published metric: one table with
 * name (a pattern: <x> stands for one dot-free part such as an endpoint,
 * a plan, a location or a number), kind, unit and a doc line. Loading a
 * scenario checks its metric expectations against it (an unknown name is
 * a located error, exit 2, never a silent 0); tests check that every
 * counter a run registers, and every name docs/metrics.md lists, is here. */
#ifndef QSIM_FIGURES_H
#define QSIM_FIGURES_H

#include <stddef.h>

typedef enum { FIG_COUNTER = 0, FIG_DAILY, FIG_GAUGE, FIG_MAX, FIG_SAMPLES } fig_kind;

typedef struct fig {
    const char *name;   /* pattern */
    int kind;           /* fig_kind */
    const char *unit;   /* "count", "us", "pusd", "byte_s", ... */
    const char *doc;
} fig;

/* The table, in docs/metrics.md's order; *n entries. */
const fig *fig_catalogue(size_t *n);
/* The entry whose pattern matches name, or NULL. */
const fig *fig_find(const char *name);
/* Does name match pattern (<x> = one or more chars other than '.')? */
int fig_match(const char *pattern, const char *name);

#endif
