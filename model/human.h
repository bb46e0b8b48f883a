/* human.h - a source of human chat posts: a Poisson process at one
 * location, a share addressed to an AI entity (bot work), a share stored
 * under the legacy key format, sizes from a distribution. One RNG stream
 * per source ("human:<name>"), so other actors never shift its draws. */
#ifndef QSIM_HUMAN_H
#define QSIM_HUMAN_H

#include "model/actor.h"
#include "model/scenario.h"

typedef struct human human;

human *human_new(actor_env *env, const sc_human *cfg);
void human_free(human *h);
/* Schedules the first arrival. */
void human_start(human *h);

#endif
