/* check.c - `qsim check`: run scenario files (or every .json of a
 * folder, in name order) under each of their options and check their
 * "expect" lists. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app/session.h"
#include "cli/cli.h"
#include "model/expect.h"
#include "model/world.h"

static int exists_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Runs one scenario file under each of its options and checks it. Costs
 * come from the paid price list, as qsim run's default. Returns -1 when
 * the file could not be loaded (bad input), else 0. */
static int check_file(const char *path, const char *data_dir, int verbose, int *passed, int *failed)
{
    sim_err err = { 0, "" };
    scenario *s = NULL;
    pr_plan plan;
    if (cli_load(path, data_dir, "paid", NULL, NULL, &s, &plan) != 0) {
        fprintf(stdout, "FAIL  %s: cannot load (see above)\n", path);
        (*failed)++;
        return -1;
    }
    int p0 = *passed, f0 = *failed;
    for (int i = 0; i < s->noptions; i++) {
        world_opts wo = { 0 };
        wo.check = 1; /* scenario checks always verify the invariants */
        world *w = NULL;
        if (ses_run(s, &plan, s->options[i], s->seed, &wo, &w, &err) != 0) {
            fprintf(stdout, "FAIL  %s [option %s]: %s\n", path, s->options[i], err.msg);
            (*failed)++;
        } else {
            ex_check(s, s->options[i], w, stdout, verbose, passed, failed);
        }
        world_free(w);
    }
    fprintf(stdout, "%s  %s (%d expectations, %d options)\n", *failed > f0 ? "FAIL" : "ok  ", path,
            *passed - p0 + *failed - f0, s->noptions);
    sc_free(s);
    return 0;
}

int cmd_check(int argc, char **argv)
{
    int passed = 0, failed = 0, verbose = 0, nfiles = 0, unloadable = 0;
    const char *data_dir = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0)
            verbose = 1;
        else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            data_dir = argv[++i];
        else if (strcmp(argv[i], "--data") == 0)
            return cli_usage_error("%s", "check: --data wants a folder (where data/ is)");
        else
            return cli_usage_error("check: unknown option '%s'", argv[i]);
    }
    if (i >= argc)
        return cli_usage_error("%s", "check needs a folder or scenario files");
    for (; i < argc; i++) {
        if (!exists_dir(argv[i])) {
            unloadable += check_file(argv[i], data_dir, verbose, &passed, &failed) != 0;
            nfiles++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        char *names[4096];
        int nn = 0;
        struct dirent *de;
        while (d && (de = readdir(d)) && nn < 4096) {
            size_t l = strlen(de->d_name);
            if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0)
                names[nn++] = strdup(de->d_name);
        }
        if (d)
            closedir(d);
        qsort(names, (size_t)nn, sizeof *names, cmp_str);
        for (int k = 0; k < nn; k++) {
            char path[2048];
            snprintf(path, sizeof path, "%s/%s", argv[i], names[k]);
            unloadable += check_file(path, data_dir, verbose, &passed, &failed) != 0;
            nfiles++;
            free(names[k]);
        }
    }
    if (nfiles == 0) {
        fprintf(stderr, "qsim: check: no scenario files found\n");
        return 2;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return unloadable ? 2 : failed ? 1 : 0;
}
