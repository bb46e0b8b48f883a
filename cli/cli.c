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
    /* Watch the free plan's caps on every plan, to say when they would bite. */
    pr_plan free_plan;
    snprintf(pricing, sizeof pricing, "%s/pricing/cloudflare-free-2026.json", data);
    if (pr_load(pricing, &free_plan, &err) == 0) {
        (*s)->kv.watch_reads_day = free_plan.cap_reads_day;
        (*s)->kv.watch_writes_day = free_plan.cap_writes_day;
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
