/* expect.h - checking a scenario's "expect" list against a finished run,
 * so that a scenario file is itself a regression test. */
#ifndef QSIM_EXPECT_H
#define QSIM_EXPECT_H

#include <stdio.h>

#include "model/scenario.h"
#include "model/world.h"

/* Checks every expectation that applies to option; prints one line per
 * failure (and per pass when verbose) to out. Adds to *passed, *failed. */
void ex_check(const scenario *s, const char *option, world *w, FILE *out, int verbose, int *passed, int *failed);

#endif
