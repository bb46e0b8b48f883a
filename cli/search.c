/* search.c - `qsim search`: the command line around the search engine
 * (app/search.h): parse, search, shrink, write the minimal case as a
 * scenario file that qsim run replays, and show the calls that broke it. */
#include <cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/expdir.h"
#include "app/search.h"
#include "cli/cli.h"
#include "model/world.h"
#include "reports/outfile.h"
#include "reports/report.h"
#include "sim/rng.h"

typedef struct {
    long long t, call;
    char type;   /* 'c' call, 'k' kv, 'e' end */
    char *line;
} tline;

/* The violating calls: the call that acted at the witness time (its last
 * line there), and every call overlapping it in time, all their lines in
 * order; at most 80 lines. With no call at the witness (a property judged
 * at the end of the run), the last pending call. */
static void explain(const scenario *s, const char *option, sim_us witness, FILE *out)
{
    char *buf = NULL;
    size_t len = 0, n = 0, cap = 0;
    tline *L = NULL;
    FILE *mem = open_memstream(&buf, &len);
    sim_err err;
    world_opts o = { 0 };
    if (!mem)
        return;
    o.trace = mem;
    world *w = world_new(s, option, s->seed, &o, &err);
    if (w)
        world_run(w, 0, &err);
    world_free(w);
    fclose(mem);
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        tline x = { 0, 0, 0, line };
        char type[8] = "";
        if (sscanf(line, "{\"t\":%lld,\"type\":\"%7[a-z]\",\"call\":%lld", &x.t, type, &x.call) != 3)
            continue;
        x.type = type[0] == 'c' ? 'c' : type[0] == 'k' ? 'k' : 'e';
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            tline *nl = realloc(L, cap * sizeof *L);
            if (!nl)
                break;
            L = nl;
        }
        L[n++] = x;
    }
    long long focus = -1;
    for (size_t i = 0; i < n; i++)
        if (L[i].t == witness && L[i].type != 'c')
            focus = L[i].call;
    if (focus < 0) /* judged at the end: show the last poll */
        for (size_t i = 0; i < n; i++)
            if (L[i].type == 'c' && strstr(L[i].line, "\"endpoint\":\"pending\""))
                focus = L[i].call;
    long long f0 = -1, f1 = -1;
    for (size_t i = 0; i < n; i++)
        if (L[i].call == focus) {
            if (f0 < 0)
                f0 = L[i].t;
            f1 = L[i].t;
        }
    int shown = 0;
    for (size_t i = 0; i < n && shown < 80 && focus >= 0; i++) {
        /* the call's span: from its 'call' line to its 'end' line */
        long long c = L[i].call, c0 = -1, c1 = -1;
        int gets = 0, nth = 0;
        for (size_t j = 0; j < n; j++)
            if (L[j].call == c) {
                if (c0 < 0)
                    c0 = L[j].t;
                c1 = L[j].t;
                if (L[j].type == 'k' && strstr(L[j].line, "\"op\":\"get\",\"key\":\"comment:")) {
                    gets++;
                    if (j < i)
                        nth++;
                }
            }
        if (c1 < f0 || c0 > f1)
            continue;
        /* a long verification scan: its first and last two gets only */
        if (L[i].type == 'k' && gets > 5 && strstr(L[i].line, "\"op\":\"get\",\"key\":\"comment:") &&
            nth >= 2 && nth < gets - 2) {
            if (nth == 2)
                fprintf(out, "  %s... %d more gets of individual keys\n", c == focus ? "* " : "  ", gets - 4);
            continue;
        }
        fprintf(out, "  %s%s\n", c == focus ? "* " : "  ", L[i].line);
        shown++;
    }
    free(L);
    free(buf);
}

int cmd_search(int argc, char **argv)
{
    enum { O_OUT = 256, O_BASE, O_BUDGET, O_TIME, O_PROP, O_TD, O_DATA, O_FORCE };
    static const struct option longs[] = {
        { "option", required_argument, 0, 'o' }, { "options", required_argument, 0, 'o' }, { "baseline", required_argument, 0, O_BASE },
        { "property", required_argument, 0, O_PROP }, { "budget", required_argument, 0, O_BUDGET },
        { "time", required_argument, 0, O_TIME }, { "seed", required_argument, 0, 's' },
        { "trial-duration", required_argument, 0, O_TD }, { "out", required_argument, 0, O_OUT },
        { "data", required_argument, 0, O_DATA }, { "quiet", no_argument, 0, 'q' },
        { "force", no_argument, 0, O_FORCE },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    sr_searcher S;
    const char *out = NULL, *data = NULL, *prop = NULL; /* out: the experiment's default folder */
    long budget = 200;
    double max_time = 300;
    int quiet = 0, force = 0, c;
    char *end;
    memset(&S, 0, sizeof S);
    S.option = "1";
    S.seed = 1;
    S.max_duration = 30 * 60 * SIM_US_PER_S;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:s:qh", longs, NULL)) != -1) {
        switch (c) {
        case 'o': S.option = optarg; break;
        case O_BASE: S.baseline = optarg; break;
        case O_PROP: prop = optarg; break;
        case O_BUDGET:
            budget = strtol(optarg, &end, 10);
            if (*end || budget < 1)
                return cli_usage_error("--budget wants a number of trials >= 1, got '%s'", optarg);
            break;
        case O_TIME:
            max_time = strtod(optarg, &end);
            if (*end || max_time <= 0)
                return cli_usage_error("--time wants seconds > 0, got '%s'", optarg);
            break;
        case 's':
            S.seed = strtoull(optarg, &end, 10);
            if (*end || !*optarg)
                return cli_usage_error("--seed wants a non-negative integer, got '%s'", optarg);
            break;
        case O_TD:
            if (sc_parse_duration(optarg, &S.max_duration) != 0 || S.max_duration < 60 * SIM_US_PER_S)
                return cli_usage_error("--trial-duration wants a duration >= 1min, got '%s'", optarg);
            break;
        case O_OUT:
            if (!*optarg)
                return cli_usage_error("%s", "--out wants a folder");
            out = optarg;
            break;
        case O_FORCE: force = 1; break;
        case O_DATA: data = optarg; break;
        case 'q': quiet = 1; break;
        case 'h':
            puts("usage: qsim search SCENARIO --property P [--option 1] [--baseline 0] [--budget 200]\n"
                 "                   [--time 300] [--seed 1] [--trial-duration 30min] [--out DIR] [--force]\n"
                 "properties: healed-within:DURATION, no-lost-posts[:ENDPOINT], no-double-answer,\n"
                 "            max-kvr-per-poll:K, never-answered:N, METRIC<=VALUE (a metric of compare.csv,\n"
                 "            docs/metrics.md: stuck_final<=0, heal_p99_s<=60s, usd_per_day<=0.05)\n"
                 "Swarm-tests random fault schedules against the property; shrinks the first violation\n"
                 "and writes it as a scenario file into the experiment folder (default:\n"
                 "out/search/SCENARIO-ID, with manifest.json and report.md; see docs/search.md).");
            return 0;
        default: return cli_usage_error("%s", "bad option for 'search'");
        }
    }
    if (optind != argc - 1 || !prop)
        return cli_usage_error("%s", "search wants SCENARIO and --property P");
    int pr = sr_parse_property(prop, &S.prop);
    if (pr == -2) { /* prints the known names */
        cli_metric("search", "--property", prop, strcspn(prop, "<"));
        return 2;
    }
    if (pr != 0)
        return cli_usage_error("unknown property '%s' (healed-within:60s, no-lost-posts[:pending], no-double-answer, "
                               "max-kvr-per-poll:K, never-answered:N, or METRIC<=VALUE with a metric of docs/metrics.md)", prop);
    scenario *base = NULL;
    pr_plan pp;
    ses_files files;
    static xd_exp xp;
    if (cli_load_files(argv[optind], data, "paid", NULL, NULL, &base, &pp, &files) != 0)
        return 2;
    st_set probe;
    sim_err err;
    if (st_compose(S.option, &base->strategy, &probe, &err) != 0 ||
        (S.baseline && st_compose(S.baseline, &base->strategy, &probe, &err) != 0)) {
        fprintf(stderr, "qsim: search: %s\n", err.msg);
        sc_free(base);
        return 2;
    }
    S.base = base;
    S.plan = &pp;
    if (base->duration < S.max_duration)
        S.max_duration = base->duration;
    {
        char buf[64];
        cli_xd_begin(&xp, "search", base, argv[optind], &files, argc, argv);
        xd_set(&xp, "option", S.option);
        xd_set(&xp, "baseline", S.baseline ? S.baseline : "");
        xd_set(&xp, "property", S.prop.text);
        snprintf(buf, sizeof buf, "%" PRIu64, S.seed);
        xd_set(&xp, "seed", buf);
        snprintf(buf, sizeof buf, "%ld", budget);
        xd_set(&xp, "budget", buf);
        snprintf(buf, sizeof buf, "%g", max_time);
        xd_set(&xp, "time_s", buf);
        snprintf(buf, sizeof buf, "%" PRId64, (int64_t)S.max_duration);
        xd_set(&xp, "trial_duration_us", buf);
        if (cli_xd_resolve(&xp, out, force) != 0) {
            sc_free(base);
            return 2;
        }
        out = xp.dir;
    }
    double t0 = cli_wall();
    char why[256] = "";
    sim_us witness = 0;
    sr_trial t;
    long k;
    int found = 0;
    for (k = 0; k < budget && cli_wall() - t0 < max_time; k++) {
        sr_random_trial(&S, (uint64_t)k, &t);
        if (sr_fails(&S, &t, why, sizeof why, &witness)) {
            found = 1;
            break;
        }
        if (!quiet && isatty(2))
            fprintf(stderr, "\r  trial %ld/%ld, %d runs, %.1f s   ", k + 1, budget, S.runs, cli_wall() - t0);
    }
    if (!quiet && isatty(2))
        fputc('\n', stderr);
    /* the report goes to stdout and, with the found case, into the
     * experiment folder as one output set */
    char *rtext = NULL;
    size_t rlen = 0;
    FILE *rep = open_memstream(&rtext, &rlen);
    scenario *found_s = NULL;
    of_set set = { 0 };
    int rc = 1;
    char name[256], fname[300];
    const char *names[] = { "report.md", "search.txt", "manifest.json", NULL, NULL };
    if (!rep)
        goto done;
    if (!found) {
        fprintf(rep, "search: no violation of %s under option %s in %ld trials (%d runs)\n", S.prop.text, S.option, k,
                S.runs);
        fprintf(stderr, "qsim: search: %.1f s\n", cli_wall() - t0);
        rc = 3; /* distinct from "found" (0): scripts can tell them apart */
        fclose(rep);
        rep = NULL;
        goto write;
    }
    char before[512], after[512];
    sr_describe(&t, before, sizeof before);
    int size0 = sr_size(&t), steps = 0;
    sim_us dur0 = t.duration;
    sr_shrink(&S, &t, why, sizeof why, &witness, &steps);
    sr_describe(&t, after, sizeof after);
    found_s = sr_build(&S, &t);
    char path[1400], desc[2048];
    snprintf(name, sizeof name, "%s-%s-%" PRIu64, S.prop.text, S.option, S.seed);
    for (char *p = name; *p; p++)
        if (*p == ':' || *p == '/' || *p == '+' || *p == '<' || *p == '=' || *p == '>')
            *p = '-';
    snprintf(fname, sizeof fname, "%s.json", name);
    names[3] = fname;
    snprintf(desc, sizeof desc,
             "Found by qsim search (property %s, option %s%s%s, seed %" PRIu64 ", trial %ld, shrunk in %d steps): "
             "%s. Features: %s.",
             S.prop.text, S.option, S.baseline ? ", holds under " : "", S.baseline ? S.baseline : "", S.seed, k,
             steps, why, after);
    snprintf(found_s->name, sizeof found_s->name, "found-%.50s", name);
    cJSON *j = sc_to_json(found_s, desc);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    of_file f;
    if (!text || of_set_begin(&set, out, names) != 0) {
        fprintf(stderr, "qsim: search: cannot write into %s: %s\n", out, strerror(errno));
        free(text);
        goto done;
    }
    of_set_path(&set, fname, path, sizeof path);
    if (of_open(&f, path) != 0) {
        fprintf(stderr, "qsim: search: cannot write %s: %s\n", path, strerror(errno));
        free(text);
        goto done;
    }
    fputs(text, f.f);
    fputc('\n', f.f);
    free(text);
    if (of_commit(&f) != 0)
        goto done;
    /* the file must replay the violation through the normal loader */
    char datadir[1024], limits[1100], why2[256];
    sim_us w2;
    scenario *re = NULL;
    cli_find_data(data, datadir, sizeof datadir);
    snprintf(limits, sizeof limits, "%s/limits/cloudflare-kv-2026.json", datadir);
    int replays = sc_load(path, limits, &re, &err) == 0 && sr_run_one(&S, re, S.option, why2, sizeof why2, &w2);
    sc_free(re);
    fprintf(rep, "search: %s violated under option %s after %ld trial(s), %d runs\n", S.prop.text, S.option, k + 1,
            S.runs);
    fprintf(stderr, "qsim: search: %.1f s\n", cli_wall() - t0);
    fprintf(rep, "  why:      %s\n", why);
    fprintf(rep, "  first:    %d features, %.0f s: %s\n", size0, (double)dur0 / 1e6, before);
    fprintf(rep, "  shrunk:   %d features, %.0f s: %s (%d steps)\n", sr_size(&t), (double)t.duration / 1e6, after,
            steps);
    fprintf(rep, "  written:  %s/%s (replays with qsim run: %s)\n", out, fname, replays ? "yes" : "NO");
    fprintf(rep, "  the calls at t=%.3f s (* the one that broke it) and those overlapping it:\n", (double)witness / 1e6);
    explain(found_s, S.option, witness, rep);
    fclose(rep);
    rep = NULL;
    rc = replays ? 0 : 1;
write:
    if (!set.stage[0] && of_set_begin(&set, out, names) != 0) {
        fprintf(stderr, "qsim: search: cannot write into %s: %s\n", out, strerror(errno));
        rc = 1;
        goto done;
    }
    {
        char rpath[1400];
        FILE *o;
        of_set_path(&set, "search.txt", rpath, sizeof rpath);
        int bad = !(o = fopen(rpath, "w")) || fwrite(rtext, 1, rlen, o) != rlen;
        if (o && fclose(o) != 0)
            bad = 1;
        of_set_path(&set, "report.md", rpath, sizeof rpath);
        if (!bad && (o = fopen(rpath, "w"))) {
            fprintf(o, "# qsim search: %s\n\nProperty `%s` under option %s%s%s, seed %" PRIu64 ", %ld trial(s) of at most "
                       "%.0f s: %s.\n\n```\n%s```\n",
                    base->name, S.prop.text, S.option, S.baseline ? ", baseline " : "", S.baseline ? S.baseline : "",
                    S.seed, found ? k + 1 : k, (double)S.max_duration / 1e6,
                    found ? "a violation, shrunk to the scenario file beside this report" : "no violation", rtext);
            bad = fclose(o) != 0;
        } else {
            bad = 1;
        }
        const char *written[] = { "report.md", "search.txt", found ? fname : NULL };
        if (bad || xd_write_manifest(&xp, set.stage, written, 3, NULL) != 0 || of_set_commit(&set) != 0) {
            fprintf(stderr, "qsim: search: cannot write into %s: %s\n", out, strerror(errno));
            rc = 1;
            goto done;
        }
        xd_link_latest(&xp);
    }
    fputs(rtext, stdout);
done:
    if (rep)
        fclose(rep);
    free(rtext);
    of_set_abort(&set);
    sc_free(found_s);
    sc_free(base);
    return rc;
}
