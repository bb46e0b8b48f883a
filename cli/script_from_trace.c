/* script_from_trace.c - `qsim script-from-trace`: cut calls out of a trace
 * and write them as a scripted scenario that replays them exactly.
 *
 * The trace says when each call started, the key and result of each of its
 * KV operations and when each completed. The scripted scenario gets, per
 * call: its time (relative to the cut), actor, location (from the source
 * scenario), message, the completion times of its operations ("done_us",
 * so latencies and waits are pinned) and its failures ("fail", so errors
 * are pinned and nothing random is drawn). The state before the cut comes
 * from re-running the source scenario to the first call's start and
 * writing the central store down as the initial state. What is not carried
 * over: location caches (a location serving an older copy than the store
 * at the cut) and calls still running at the cut; both are reported. */
#include <cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/expdir.h"
#include "app/trace.h"
#include "cli/cli.h"
#include "model/world.h"
#include "reports/outfile.h"

/* Where the actor ran: a bot, human or reader by name, cron, or the source
 * script's entry with that actor at that time. */
static int location_of(const scenario *s, const tr_call *c)
{
    for (int i = 0; i < s->nbots; i++)
        if (strcmp(s->bots[i].name, c->actor) == 0)
            return s->bots[i].loc;
    for (int i = 0; i < s->nhumans; i++)
        if (strcmp(s->humans[i].name, c->actor) == 0)
            return s->humans[i].loc;
    for (int i = 0; i < s->nreaders; i++)
        if (strcmp(s->readers[i].name, c->actor) == 0)
            return s->readers[i].loc;
    if (strcmp(c->actor, "cron") == 0)
        return s->strategy.cron_loc;
    for (int i = 0; i < s->ncalls; i++)
        if (strcmp(s->script[i].actor, c->actor) == 0 && s->script[i].at == c->start)
            return s->script[i].loc;
    for (int i = 0; i < s->ncalls; i++)
        if (strcmp(s->script[i].actor, c->actor) == 0)
            return s->script[i].loc;
    return 0;
}

int cmd_script_from_trace(int argc, char **argv)
{
    enum { O_SCEN = 256, O_CALLS, O_OUT, O_DATA };
    static const struct option longs[] = {
        { "scenario", required_argument, 0, O_SCEN }, { "option", required_argument, 0, 'o' }, { "options", required_argument, 0, 'o' },
        { "calls", required_argument, 0, O_CALLS },   { "out", required_argument, 0, O_OUT },
        { "data", required_argument, 0, O_DATA },     { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *scen = NULL, *option = NULL, *out = NULL, *data = NULL;
    long long from = 1, to = -1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
        switch (c) {
        case O_SCEN: scen = optarg; break;
        case 'o': option = optarg; break;
        case O_CALLS:
            if (sscanf(optarg, "%lld-%lld", &from, &to) != 2 || from < 1 || to < from)
                return cli_usage_error("--calls wants A-B with 1 <= A <= B, got '%s'", optarg);
            break;
        case O_OUT: out = optarg; break;
        case O_DATA: data = optarg; break;
        case 'h':
            puts("usage: qsim script-from-trace TRACE --scenario SCENARIO [--option O] [--calls A-B] [--out FILE]\n"
                 "Turns calls A..B of a trace (made by qsim run SCENARIO --option O --trace TRACE) into a\n"
                 "scripted scenario that replays them: same KV operations, keys, results, KVr/KVw and\n"
                 "times. Writes FILE (default: stdout). See docs/scenarios.md.");
            return 0;
        default: return cli_usage_error("%s", "bad option for 'script-from-trace'");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("%s", "script-from-trace wants one TRACE (and --scenario SCENARIO for a trace "
                                     "without a meta line)");
    scenario *s = NULL, *d = NULL;
    pr_plan pp;
    world *w = NULL;
    tr_call *calls = NULL;
    size_t n = 0;
    int rc = 2;
    sim_err err = { 0, "" };
    tr_meta meta = { 0 };
    if (!(calls = tr_read(argv[optind], &n, &meta, &err))) {
        fprintf(stderr, "qsim: script-from-trace: %s\n", err.msg);
        rc = err.code == 1 ? 1 : 2;
        goto out;
    }
    if (!scen && meta.have && meta.file[0])
        scen = meta.file;
    if (!scen) {
        rc = cli_usage_error("script-from-trace: %s has no meta line naming its scenario: give --scenario", argv[optind]);
        goto out;
    }
    if (meta.have) {
        /* the trace says what made it: a different scenario or option
         * would rebuild the wrong state and write a script qsim refuses */
        char h[24];
        xd_hash_file(scen, h, sizeof h);
        if (meta.hash[0] && strcmp(h, meta.hash) != 0) {
            fprintf(stderr, "qsim: script-from-trace: %s was made from another scenario (%s, %s, fnv1a64 %s), "
                            "not %s (fnv1a64 %s)\n", argv[optind], meta.scenario, meta.file, meta.hash, scen, h);
            goto out;
        }
        if (option && meta.option[0] && strcmp(option, meta.option) != 0) {
            fprintf(stderr, "qsim: script-from-trace: %s was made under option %s, not --option %s\n", argv[optind],
                    meta.option, option);
            goto out;
        }
        if (!option && meta.option[0])
            option = meta.option;
    }
    if (cli_load(scen, data, "paid", NULL, NULL, &s, &pp) != 0)
        goto out;
    if (!option)
        option = s->options[0];
    if (to < 0)
        to = n ? calls[n - 1].id : 0;
    size_t first = n, last = 0, kept = 0;
    for (size_t i = 0; i < n; i++)
        if (calls[i].id >= from && calls[i].id <= to) {
            if (first == n)
                first = i;
            last = i;
            kept++;
        }
    if (!kept) {
        fprintf(stderr, "qsim: script-from-trace: no calls %lld-%lld in %s\n", from, to, argv[optind]);
        goto out;
    }
    /* A cut must not fall inside a call: move it back until no earlier call
     * is still running at the first kept call's start. */
    for (;;) {
        size_t moved = first;
        for (size_t i = 0; i < first; i++)
            if (calls[i].end >= calls[first].start && i < moved)
                moved = i;
        if (moved == first)
            break;
        kept += first - moved;
        first = moved;
    }
    if (calls[first].id != from) {
        fprintf(stderr, "qsim: script-from-trace: calls %lld-%lld were running at the start of call %lld: "
                        "the cut starts at call %lld\n", calls[first].id, from - 1, from, calls[first].id);
        from = calls[first].id;
    }
    /* ... and must not end inside one either: a call that starts before the
     * kept ones have all ended writes into their state, so take it too. */
    sim_us t0 = calls[first].start, t1 = t0;
    for (size_t i = first; i <= last; i++)
        if (calls[i].end > t1)
            t1 = calls[i].end;
    size_t last0 = last;
    while (last + 1 < n && calls[last + 1].start <= t1) {
        last++;
        kept++;
        if (calls[last].end > t1)
            t1 = calls[last].end;
    }
    if (last != last0) {
        fprintf(stderr, "qsim: script-from-trace: calls %lld-%lld started before calls %lld-%lld had ended: "
                        "the cut ends at call %lld\n", calls[last0 + 1].id, calls[last].id, from, to, calls[last].id);
        to = calls[last].id;
    }
    /* the state at the cut, and what the posts in the window created */
    rc = 1;
    world_opts wo = { 0 };
    wo.keep_messages = 1; /* the snapshot is the whole store, retired messages' keys too */
    if (!(w = world_new(s, option, meta.have ? meta.seed : s->seed, &wo, &err)) || world_advance(w, t0, &err) != 0 ||
        !(d = sc_clone(s))) {
        fprintf(stderr, "qsim: script-from-trace: %s\n", err.msg);
        goto out;
    }
    int corrupt = 0;
    if (world_snapshot(w, d, &corrupt) != 0 || world_advance(w, t1 + 1, &err) != 0)
        goto out;
    free(d->script);
    free(d->pins);
    free(d->expect);
    d->script = calloc(kept + 1, sizeof *d->script);
    d->pins = NULL;
    d->npins = 0;
    d->expect = NULL;
    d->nexpect = 0;
    d->ncalls = 0;
    d->nhumans = d->nbots = 0;
    d->noptions = 1;
    snprintf(d->options[0], SC_NAME, "%s", option);
    d->duration = t1 - t0 + SIM_US_PER_S;
    d->epoch_ms = s->epoch_ms + t0 / SIM_US_PER_MS;
    if (!d->script)
        goto out;
    if (corrupt) {
        sc_call *sc = &d->script[d->ncalls++];
        memset(sc, 0, sizeof *sc);
        sc->kind = SC_CORRUPT;
        snprintf(sc->actor, sizeof sc->actor, "cut");
    }
    for (size_t i = first; i <= last; i++) {
        const tr_call *tc = &calls[i];
        if (tc->id < from || tc->id > to || tc->kind < 0)
            continue;
        sc_call *sc = &d->script[d->ncalls++];
        memset(sc, 0, sizeof *sc);
        sc->at = tc->start - t0;
        sc->kind = tc->kind;
        snprintf(sc->actor, sizeof sc->actor, "%s", tc->actor);
        sc->loc = location_of(s, tc);
        snprintf(sc->msg, sizeof sc->msg, "%s", tc->msg);
        if (tc->kind == EP_POST) {
            sc_msg info;
            if (world_msg_info(w, tc->msg, &info) == 0) {
                sc->type = info.type;
                sc->entity = info.entity;
                sc->legacy = info.legacy;
                sc->bytes = info.bytes;
            }
        }
        sc->nfaults = tc->nfaults;
        memcpy(sc->faults, tc->faults, sizeof tc->faults);
        if (tc->dropped_faults)
            fprintf(stderr, "qsim: script-from-trace: warning: call %lld had more than %d failed operations; "
                            "%d are not pinned\n", tc->id, SC_MAX_FAULTS, tc->dropped_faults);
        int np = tc->nops < SC_MAX_PINS ? tc->nops : SC_MAX_PINS;
        sim_us *grown = realloc(d->pins, (size_t)(d->npins + np + 1) * sizeof *grown);
        if (!grown)
            goto out;
        d->pins = grown;
        sc->pin_off = d->npins;
        sc->npins = np;
        memcpy(d->pins + d->npins, tc->done, (size_t)np * sizeof *d->pins);
        d->npins += np;
    }
    char desc[1024];
    snprintf(desc, sizeof desc,
             "Calls %lld-%lld of %s (scenario %s, option %s), cut at %.6f s: the initial state is the store at "
             "the cut; each call's KV completion times (done_us) and failures (fail) are pinned.",
             from, to, cli_basename(argv[optind]), s->name, option, (double)t0 / 1e6);
    snprintf(d->name, sizeof d->name, "%.40s-calls-%lld-%lld", s->name, from, to);
    cJSON *j = sc_to_json(d, desc);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    if (!text)
        goto out;
    if (out) {
        of_file f;
        if (of_open(&f, out) != 0) {
            fprintf(stderr, "qsim: script-from-trace: cannot write %s: %s\n", out, strerror(errno));
            free(text);
            goto out;
        }
        fputs(text, f.f);
        fputc('\n', f.f);
        if (of_commit(&f) != 0) {
            free(text);
            goto out;
        }
        fprintf(stderr, "qsim: script-from-trace: %zu calls, %d initial messages; wrote %s\n", kept, d->nmsgs, out);
    } else {
        puts(text);
    }
    free(text);
    rc = 0;
out:
    world_free(w);
    free(calls);
    sc_free(d);
    sc_free(s);
    return rc;
}
