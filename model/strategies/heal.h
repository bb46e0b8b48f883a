/* heal.h - the verify-and-fix scan shared by Option 1 fixed and Option 3:
 * verify every non-terminal bot entry of c->list against its individual
 * key (legacy fallback included), note each mismatch with call_note_fix,
 * and return the pending ones. */
#ifndef QSIM_HEAL_H
#define QSIM_HEAL_H

#include "model/call.h"

/* pending_verify hook: verify entry c->list->e[c->i] and note a fix. */
int heal_verify_entry(call *c, int lvl);
/* Applies c's noted fixes to c->list; returns how many entries changed. */
int heal_apply(call *c);

#endif
