/* provenance.h - which values of a data file (data/limits, data/pricing)
 * are published facts and which are qsim's assumptions.
 *
 * A file marks every value it holds in two sibling objects at its top:
 *
 *   "published":   { "value_max_bytes": "developers.cloudflare.com/kv/platform/limits", ... },
 *   "assumptions": { "same_key_write_enforcement":
 *                      { "range": [0.01, 1], "param": "kv.p429", "note": "why, and where it is used" } }
 *
 * Keys are dotted paths to the value ("kv.storage_bytes_per_gb"). Every
 * value must be marked exactly once: "name", "source", "date", "plan",
 * "currency" and keys ending in "_note" or "_source" are descriptions, not
 * values. An assumed value is a number inside its range (lo <= value <=
 * hi). "param" (optional) is the scenario parameter that overrides the
 * value; `qsim compare --robust` runs the options at each end and the middle
 * of the range. Without "param" the assumption is listed, not varied.
 * A file with neither object (a user's own price list) is accepted as
 * unmarked: it then declares no assumptions. */
#ifndef QSIM_PROVENANCE_H
#define QSIM_PROVENANCE_H

#include <cJSON.h>

#include "model/jv.h"
#include "sim/sim.h"

#define PV_MAX 16

typedef struct pv_assumption {
    char key[96];    /* dotted path in its file */
    char param[96];  /* scenario parameter that overrides it; "" when none */
    double value, lo, hi;
    char note[640];
} pv_assumption;

typedef struct pv_list {
    int n;
    pv_assumption a[PV_MAX];
} pv_list;

/* Checks the marks of root (a whole limits or pricing file) through v, the
 * file's validator; fills out when not NULL. Returns 0, or -1 with the
 * first problem in v ("assumptions.background_refresh.range: ..."). */
int pv_check(jv *v, const cJSON *root, pv_list *out);
/* Reads path and appends its assumptions to out (pv_check's rules). */
int pv_load(const char *path, pv_list *out, sim_err *err);

#endif
