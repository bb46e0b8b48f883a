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

/* ---- field tables (scenario_fields.c) ----
 * One entry per key of an object: what the parser checks and the writer
 * writes. off is the member's offset in the object's struct. */
typedef enum {
    SF_STRING,    /* char[size] */
    SF_LOCATION,  /* int: an index into s->locs */
    SF_NUMBER,    /* double in [lo, hi] */
    SF_PROB,      /* double in [0, 1] */
    SF_INT,       /* int in [lo, hi] */
    SF_BOOL,      /* int 0/1 */
    SF_DURATION,  /* sim_us, at least lo, at most hi */
    SF_DIST_TIME, /* dist of durations, values at most hi */
    SF_DIST,      /* dist of whole numbers, at most hi */
    SF_ENUM,      /* int: the index of its name in choices; what: the error, with the name for %s */
    SF_PHASE,     /* sim_us: a duration up to hi, or "random" (SC_PHASE_RANDOM) */
    SF_U32,       /* uint32_t in [lo, hi] */
    SF_LOCATION_OPT, /* SF_LOCATION, written only when set (>= 0) */
    SF_OBJECT,    /* an object of the sub table's keys, into the same struct */
    SF_CUSTOM,    /* parsed and written by the entry's own functions */
} sf_kind;

typedef struct sc_field {
    const char *key;
    sf_kind kind;
    size_t off;
    size_t size;                 /* the member's size; SF_ENUM: the longest name + 1 read */
    double lo, hi;               /* SF_DURATION: hi 0 is no maximum */
    const char *const *choices;  /* SF_ENUM */
    const char *what;            /* SF_ENUM */
    const struct sc_field *sub;  /* SF_OBJECT */
    size_t nsub;
    int late;                    /* parsed after the entries without it */
    int (*omit)(const void *base);                           /* written unless this says so */
    int (*parse)(jv *v, const cJSON *obj, void *base);      /* SF_CUSTOM */
    void (*write)(cJSON *o, const void *base);               /* SF_CUSTOM */
} sc_field;

#define SC_MAX_FIELDS 32

/* obj must be an object of the table's keys only; each present key is
 * checked and stored into base (the struct) in table order. A missing key
 * leaves the member as it is (the caller's default). */
int sc__fields_parse(jv *v, const scenario *s, const cJSON *obj, const sc_field *f, size_t n, void *base);
/* The same without the key check: obj also has keys of another table. */
int sc__fields_parse_present(jv *v, const scenario *s, const cJSON *obj, const sc_field *f, size_t n, void *base);
/* Every entry of the table, from base, into o, in table order. */
void sc__fields_write(cJSON *o, const scenario *s, const sc_field *f, size_t n, const void *base);
/* A duration "<n>us" (exact, whatever the defaults become). */
void sc__add_duration(cJSON *o, const char *key, sim_us t);
cJSON *sc__dist_json(const dist *d, int is_time);
/* A duration up to SC_MAX_SPAN or "random", at key (readers' first_poll). */
int sc__phase(jv *v, const cJSON *obj, const char *key, sim_us *out);

/* The parameters strategies declare (st_param, model/strategy.h), by the
 * same kinds: parsed from j into s->strategy.ext; written when they differ
 * from their default. */
int sc__declared_parse(jv *v, const cJSON *j, scenario *s);
void sc__declared_write(cJSON *st, const scenario *s);

extern const sc_field sc__human_fields[], sc__bot_fields[], sc__strategy_fields[], sc__deployed_fields[];
extern const size_t sc__nhuman_fields, sc__nbot_fields, sc__nstrategy_fields, sc__ndeployed_fields;

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
