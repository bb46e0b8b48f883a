/* reader.h - open chat pages polling GET /api/comments (the page's own
 * cursor poll of recent:comments): count identical pages at one location,
 * each every period from its own phase, or each a Poisson process. One RNG
 * stream per reader entry ("reader:<name>") for phases and gaps, and the
 * KV streams of its name; a reader entry's pages share both. */
#ifndef QSIM_READER_H
#define QSIM_READER_H

#include "model/actor.h"
#include "model/scenario.h"

typedef struct reader reader;

reader *reader_new(actor_env *env, const sc_reader *cfg);
void reader_free(reader *r);
/* Schedules each page's first read. */
void reader_start(reader *r);

#endif
