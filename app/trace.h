/* trace.h - reading a JSON Lines trace (docs/trace.md) back: its "meta"
 * header and its calls, each with its KV operations' completion times and
 * failures, as script-from-trace needs them to pin a replay. */
#ifndef QSIM_TRACE_H
#define QSIM_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "model/call.h"
#include "model/scenario.h"
#include "sim/sim.h"

/* One call of the trace, in start order. */
typedef struct tr_call {
    long long id;
    sim_us start, end;
    char actor[SC_NAME];
    int kind;
    char msg[SC_NAME];
    int nops;
    sim_us done[SC_MAX_PINS];
    int nfaults;
    call_fault faults[SC_MAX_FAULTS];
    int dropped_faults;
} tr_call;

/* The trace's first line, when qsim wrote one (docs/trace.md, "meta"). */
typedef struct tr_meta {
    int have;
    char scenario[SC_NAME], file[1024], hash[24], option[64];
    uint64_t seed;
} tr_meta;

/* Reads the trace at path: the calls in start order (*ncalls of them; the
 * caller frees the array) and the meta header (meta->have 0 without one).
 * NULL on failure, err set: code 2 (no such file, a line that is not a
 * trace line: "path:line: ..."), 1 (out of memory). A trace without calls
 * is an empty array (non-NULL, *ncalls 0). */
tr_call *tr_read(const char *path, size_t *ncalls, tr_meta *meta, sim_err *err);

#endif
