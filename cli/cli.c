/* cli.c - helpers shared by the subcommands. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <signal.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

int cli_usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "qsim: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'qsim --help'.\n");
    return 2;
}

static int exists_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

void cli_find_data(const char *given, char *out, size_t len)
{
    const char *env = getenv("QSIM_DATA");
    if (given) {
        snprintf(out, len, "%s", given);
        return;
    }
    if (env && *env) {
        snprintf(out, len, "%s", env);
        return;
    }
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            snprintf(slash, sizeof exe - (size_t)(slash - exe), "/data");
            if (exists_dir(exe)) {
                snprintf(out, len, "%s", exe);
                return;
            }
        }
    }
    snprintf(out, len, "data");
}

int cli_load(const char *path, const char *data_given, const char *plan, const char *pricing_file,
             const char *days, scenario **s, pr_plan *p)
{
    char data[1024], limits[1100], pricing[1100];
    sim_err err = { 0, "" };
    cli_find_data(data_given, data, sizeof data);
    snprintf(limits, sizeof limits, "%s/limits/cloudflare-kv-2026.json", data);
    if (pricing_file)
        snprintf(pricing, sizeof pricing, "%s", pricing_file);
    else
        snprintf(pricing, sizeof pricing, "%s/pricing/cloudflare-%s-2026.json", data, plan ? plan : "paid");
    *s = NULL;
    if (sc_load(path, limits, s, &err) != 0) {
        fprintf(stderr, "qsim: %s\n", err.msg);
        return 2;
    }
    if (pr_load(pricing, p, &err) != 0) {
        fprintf(stderr, "qsim: %s\n", err.msg);
        goto fail;
    }
    (*s)->kv.daily_read_cap = p->cap_reads_day;
    (*s)->kv.daily_write_cap = p->cap_writes_day;
    (*s)->kv.daily_request_cap = p->cap_requests_day;
    /* Watch the free plan's caps on every plan, to say when they would bite. */
    pr_plan free_plan;
    snprintf(pricing, sizeof pricing, "%s/pricing/cloudflare-free-2026.json", data);
    if (pr_load(pricing, &free_plan, &err) == 0) {
        (*s)->kv.watch_reads_day = free_plan.cap_reads_day;
        (*s)->kv.watch_writes_day = free_plan.cap_writes_day;
        (*s)->kv.watch_requests_day = free_plan.cap_requests_day;
    } else if (access(pricing, F_OK) != 0) {
        fprintf(stderr, "qsim: warning: %s not found: no free-plan cap warnings (caps.csv stays empty)\n", pricing);
    } else {
        fprintf(stderr, "qsim: %s\n", err.msg); /* a broken free plan is bad input like any other */
        goto fail;
    }
    if (days) {
        char d[64];
        sim_us t;
        snprintf(d, sizeof d, "%sd", days);
        if (strlen(days) > 40 || sc_parse_duration(d, &t) != 0 || t < SIM_US_PER_S) {
            cli_usage_error("--days wants a number of days such as 365 or 0.5, got '%s'", days);
            goto fail;
        }
        (*s)->duration = t;
    }
    return 0;
fail:
    sc_free(*s);
    *s = NULL;
    return 2;
}

double cli_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *cli_basename(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

void cli_worker_init(void)
{
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    if (getppid() == 1) /* the parent is already gone */
        _exit(1);
}

void cli_exp_defaults(cli_exp *x, int reps, const char *out)
{
    memset(x, 0, sizeof *x);
    x->reps = reps;
    x->jobs = sysconf(_SC_NPROCESSORS_ONLN);
    x->out = out;
    x->plan = "paid";
}

int cli_exp_option(cli_exp *x, int c, const char *arg)
{
    char *end = NULL;
    const char *bad = NULL;
    switch (c) {
    case CLI_O_REPS:
        x->reps = (int)strtol(arg, &end, 10);
        if (*end || !*arg || x->reps < 2 || x->reps > 100000)
            bad = "--reps wants a whole number from 2 to 100000, got '%s'";
        break;
    case CLI_O_JOBS:
        x->jobs = strtol(arg, &end, 10);
        if (*end || !*arg || x->jobs < 1 || x->jobs > 256)
            bad = "--jobs wants a whole number from 1 to 256, got '%s'";
        break;
    case 's':
        x->seed = strtoull(arg, &end, 10);
        x->have_seed = 1;
        if (*end || !*arg || arg[0] == '-')
            bad = "--seed wants a non-negative integer, got '%s'";
        break;
    case CLI_O_PLAN:
        x->plan = arg;
        if (strcmp(arg, "paid") != 0 && strcmp(arg, "free") != 0)
            bad = "--plan is paid or free, got '%s'";
        break;
    case 'd': x->days = arg; break;
    case CLI_O_OUT: x->out = arg; break;
    case CLI_O_PRICING: x->pricing = arg; break;
    case CLI_O_DATA: x->data = arg; break;
    case 'q': x->quiet = 1; break;
    default: return 0;
    }
    if (bad) {
        cli_usage_error(bad, arg);
        return -1;
    }
    return 1;
}

int cli_options(const char *cmd, char *list, const scenario *s, const char **options, int *nopt,
                const char *baseline, int *base)
{
    *nopt = 0;
    if (list[0]) {
        for (char *tok = strtok(list, ","); tok && *nopt < SC_MAX_OPTIONS; tok = strtok(NULL, ","))
            options[(*nopt)++] = tok;
    } else {
        for (int i = 0; i < s->noptions; i++)
            options[(*nopt)++] = s->options[i];
    }
    *base = baseline ? -1 : 0;
    for (int i = 0; i < *nopt; i++) {
        st_set probe;
        sim_err err;
        if (st_compose(options[i], &s->strategy, &probe, &err) != 0) {
            fprintf(stderr, "qsim: %s: --options: %s\n", cmd, err.msg);
            return 2;
        }
        if (strcmp(options[i], baseline ? baseline : "0") == 0)
            *base = i;
    }
    if (*base < 0) {
        fprintf(stderr, "qsim: %s: the baseline '%s' is not among the options\n", cmd, baseline);
        return 2;
    }
    return 0;
}
