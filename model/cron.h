/* cron.h - Cron Triggers: a scheduled invocation of the cron endpoint
 * every N (minutes, hours or a day, as a 5-field expression allows), on a
 * machine Cloudflare picks anew each run (a KV location of its own whose
 * cache nothing warms) unless the scenario pins a location
 * (docs/model.md#cron). It runs only when the strategy has a cron job. */
#ifndef QSIM_CRON_H
#define QSIM_CRON_H

#include "model/call.h"
#include "model/kv.h"
#include "sim/sim.h"

typedef struct cron {
    call_env *calls;
    kv_store *kv;
    kv_streams rs;      /* the "cron" actor's KV streams */
    sim_us every;       /* the trigger period */
    int loc;            /* a scenario location, or ST_CRON_LOC_CLOUDFLARE */
    int cloudflare_loc; /* the KV location of Cloudflare's machine: the one
                         * after the scenario's */
    sim_us epoch;       /* µs since the Unix epoch at simulated time 0 */
} cron;

/* Fills c; -1 when the streams cannot be made (OOM). */
int cron_init(cron *c, call_env *calls, kv_store *kv, sim_us every, int loc, int nlocs, sim_us epoch);
/* Schedules the first run after time 0 (never at 0 itself). */
void cron_start(cron *c);
/* The KV location a cron invocation at loc runs at; for Cloudflare's
 * machine, one that has forgotten every earlier read. */
int cron_machine(cron *c, int loc);
/* The next time after utc (µs since the Unix epoch) the trigger fires. */
sim_us cron_next(sim_us utc, sim_us every);

#endif
