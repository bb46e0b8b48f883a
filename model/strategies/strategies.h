/* strategies.h - the hook tables of model/strategies/, for the registry. */
#ifndef QSIM_STRATEGIES_H
#define QSIM_STRATEGIES_H

#include "model/strategy.h"

extern const st_hooks st_option0;
extern const st_hooks st_option1;
extern const st_hooks st_option1_fixed;
extern const st_hooks st_option2;
extern const st_hooks st_option3;
extern const st_hooks st_option4;
extern const st_hooks st_verify_all;

#endif
