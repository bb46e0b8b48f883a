/* scenario_int.h - what the scenario loader's files share: scenario.c (the
 * top level), scenario_actors.c, scenario_script.c, scenario_expect.c.
 *
 * Not for use outside them (the public API is scenario.h). Each sc__
 * function parses one part of the tree with a jv (model/jv.h): it reports
 * the first problem with its key path and returns -1, or returns 0. A
 * missing part (arr or j NULL) is not an error. */
#ifndef QSIM_SCENARIO_INT_H
#define QSIM_SCENARIO_INT_H

#include <cJSON.h>

#include "model/idset.h"
#include "model/jv.h"
#include "model/scenario.h"

/* Durations that are added to the clock (cache expiries, waits) stay far
 * from int64 overflow: at most a year. */
#define SC_MAX_SPAN (INT64_C(366) * 86400 * 1000000)
#define MAX_MSG_BYTES (64 * 1024 * 1024)
#define MAX_INITIAL 1000000
#define SC_MAX_PRIORITY 100 /* botParams.priority: 0 (default) to 100 */

/* key names one of s->locs: its index into *out. */
int sc__location(jv *v, const scenario *s, const cJSON *obj, const char *key, int *out);
/* key is a message status name or "absent" (-1). */
int sc__status(jv *v, const cJSON *obj, const char *key, int *out);
/* The ids of the initial messages (value: index) and of the posts among
 * the first ncalls script entries (value: nmsgs + entry); NULL on OOM. */
ids_set *sc__msg_index(const scenario *s, int extra);
/* Is id an initial message, or posted by a script entry that runs before
 * entry upto? ids is sc__msg_index(s). */
int sc__known_msg(const scenario *s, const ids_set *ids, const char *id, int upto);

/* scenario_actors.c: "humans", "bots", "readers" of root, in that order,
 * then the actor names checked unique. */
int sc__actors(jv *v, const cJSON *root, scenario *s);
/* scenario_script.c */
int sc__initial(jv *v, const cJSON *j, scenario *s);
int sc__script(jv *v, const cJSON *arr, scenario *s);
int sc__ep_faults(jv *v, const cJSON *arr, scenario *s);
/* scenario_expect.c: after everything else (options and messages known). */
int sc__expect(jv *v, const cJSON *arr, scenario *s);

#endif
