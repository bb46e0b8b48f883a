/* fit.c - `qsim fit LOG`: workload parameters from a Worker's log, as a
 * scenario fragment (docs/scenarios.md, "Fitting a workload").
 *
 * LOG is what `wrangler tail --format json` prints: one JSON object per
 * line (pretty-printed objects one after another are accepted too). Fields
 * read, nothing else: eventTimestamp (ms); event.request.method and .url
 * (the path picks the endpoint); event.request.headers: content-length (a
 * post's size), and x-bot-name, else cf-connecting-ip, else user-agent (who
 * called: one bot per caller of /api/queue/...); event.response.status. It
 * estimates: the post rate (overall and per UTC hour of day, with exact
 * 95 % Poisson intervals; written as humans[0].rate_by_hour when every
 * hour of the day was observed, else as rate_per_s), the entity share (successful claims / posts, 95 %
 * normal interval), message sizes (lognormal: median and sigma of the
 * logs), each bot's poll period (median gap of its pending calls) and
 * generation time (its claim to its next complete or fail, lognormal). */
#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "cli/cli.h"

#define FIT_MAX_BOTS 64

typedef struct {
    char name[SC_NAME];
    double *polls; size_t npolls, cpolls;     /* ms */
    double *gens; size_t ngens, cgens;        /* ms */
    double claim_at;                          /* ms, or < 0 */
} fbot;

static int push(double **v, size_t *n, size_t *cap, double x)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 256;
        double *nv = realloc(*v, c * sizeof *nv);
        if (!nv)
            return -1;
        *v = nv;
        *cap = c;
    }
    (*v)[(*n)++] = x;
    return 0;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_d);
    return n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) : NAN;
}

/* lognormal: median = exp(mean of logs), sigma = sd of logs */
static void lognormal(const double *v, size_t n, double *med, double *sigma)
{
    double s = 0, s2 = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] > 0) {
            s += log(v[i]);
            s2 += log(v[i]) * log(v[i]);
            k++;
        }
    *med = k ? exp(s / (double)k) : NAN;
    *sigma = k > 1 ? sqrt(fmax(0, (s2 - s * s / (double)k) / (double)(k - 1))) : 0;
    if (*sigma > 5)
        *sigma = 5;
}

/* A whole JSON object, nothing after it but white space (cJSON_Parse
 * alone would take the string at the start of '  "outcome": "ok",'). */
static cJSON *parse_object(const char *text)
{
    cJSON *j = cJSON_ParseWithOpts(text, NULL, 1);
    if (j && !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        j = NULL;
    }
    return j;
}

static const char *header(const cJSON *h, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(h, name); /* header names are case-insensitive */
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int cmd_fit(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-')
        return cli_usage_error("%s", "fit wants one LOG file (wrangler tail --format json)");
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        fprintf(stderr, "qsim: fit: %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    static fbot bots[FIT_MAX_BOTS];
    int nbots = 0;
    double *sizes = NULL, t_first = INFINITY, t_last = -INFINITY;
    size_t nsizes = 0, csizes = 0;
    long posts = 0, claims = 0, events = 0, unread = 0, lineno = 0, hour_posts[24] = { 0 };
    char *line = NULL, *buf = NULL;
    size_t cap = 0, blen = 0;
    ssize_t got;
    /* objects may span lines (pretty-printed): accumulate until one parses */
    while ((got = getline(&line, &cap, f)) > 0) {
        lineno++;
        cJSON *j = parse_object(line); /* JSON Lines: the usual case */
        if (j || strspn(line, " \t\r\n") == (size_t)got) {
            if (blen > 0) {
                fprintf(stderr, "qsim: fit: %s: before line %ld: not a JSON object, skipped\n", argv[1], lineno);
                unread++;
                blen = 0;
            }
            if (!j)
                continue;
        } else {
            /* a pretty-printed object over several lines: accumulate while
             * it can still become one (it starts with '{', under 1 MiB) */
            char *nb = realloc(buf, blen + (size_t)got + 1);
            if (!nb)
                break;
            buf = nb;
            memcpy(buf + blen, line, (size_t)got + 1);
            blen += (size_t)got;
            j = parse_object(buf);
            if (!j) {
                if (buf[strspn(buf, " \t\r\n")] != '{' || blen > (1 << 20)) {
                    fprintf(stderr, "qsim: fit: %s:%ld: not a JSON object, skipped\n", argv[1], lineno);
                    unread++;
                    blen = 0;
                }
                continue;
            }
            blen = 0;
        }
        const cJSON *ts = cJSON_GetObjectItemCaseSensitive(j, "eventTimestamp");
        const cJSON *ev = cJSON_GetObjectItemCaseSensitive(j, "event");
        const cJSON *rq = cJSON_GetObjectItemCaseSensitive(ev, "request");
        const cJSON *url = cJSON_GetObjectItemCaseSensitive(rq, "url");
        const cJSON *method = cJSON_GetObjectItemCaseSensitive(rq, "method");
        const cJSON *hd = cJSON_GetObjectItemCaseSensitive(rq, "headers");
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ev, "response"), "status");
        if (!cJSON_IsNumber(ts) || !cJSON_IsString(url) || !cJSON_IsString(method)) {
            fprintf(stderr, "qsim: fit: %s:%ld: no eventTimestamp, event.request.url or .method, skipped\n", argv[1],
                    lineno);
            unread++;
            cJSON_Delete(j);
            continue;
        }
        double t = ts->valuedouble;
        int ok = !cJSON_IsNumber(st) || (st->valuedouble >= 200 && st->valuedouble < 300);
        const char *path = strstr(url->valuestring, "://");
        path = path ? strchr(path + 3, '/') : url->valuestring;
        if (!path)
            path = "/";
        events++;
        t_first = fmin(t_first, t);
        t_last = fmax(t_last, t);
        if (strcmp(method->valuestring, "POST") == 0 && strncmp(path, "/api/comments", 13) == 0) {
            const char *cl = header(hd, "content-length");
            posts++;
            long long sec = (long long)floor(t / 1000);
            hour_posts[(sec % 86400 + 86400) % 86400 / 3600]++;
            if (cl && atof(cl) > 0)
                push(&sizes, &nsizes, &csizes, atof(cl));
        } else if (strncmp(path, "/api/queue/", 11) == 0) {
            const char *who = header(hd, "x-bot-name");
            if (!who)
                who = header(hd, "cf-connecting-ip");
            if (!who)
                who = header(hd, "user-agent");
            if (!who)
                who = "bot";
            int b = 0;
            while (b < nbots && strcmp(bots[b].name, who) != 0)
                b++;
            if (b == nbots && nbots < FIT_MAX_BOTS) {
                snprintf(bots[b].name, sizeof bots[b].name, "%.*s", SC_NAME - 1, who);
                bots[b].claim_at = -1;
                nbots++;
            }
            if (b < nbots) {
                fbot *bt = &bots[b];
                const char *ep = path + 11;
                if (strncmp(ep, "pending", 7) == 0)
                    push(&bt->polls, &bt->npolls, &bt->cpolls, t);
                else if (strncmp(ep, "claim", 5) == 0 && ok) {
                    claims++;
                    bt->claim_at = t;
                } else if ((strncmp(ep, "complete", 8) == 0 || strncmp(ep, "fail", 4) == 0) && bt->claim_at >= 0) {
                    push(&bt->gens, &bt->ngens, &bt->cgens, t - bt->claim_at);
                    bt->claim_at = -1;
                }
            }
        }
        cJSON_Delete(j);
    }
    if (blen > 0) {
        fprintf(stderr, "qsim: fit: %s: the last %zu bytes are not a JSON object, skipped\n", argv[1], blen);
        unread++;
    }
    free(line);
    free(buf);
    fclose(f);
    if (events == 0) {
        fprintf(stderr, "qsim: fit: %s: no Worker invocations read (docs/scenarios.md, \"Fitting a workload\")\n",
                argv[1]);
        free(sizes);
        return 2;
    }
    double span_s = fmax((t_last - t_first) / 1000, 1);
    double rate = (double)posts / span_s, rate_half = 1.96 * sqrt((double)posts) / span_s;
    double share = posts ? fmin(1, (double)claims / (double)posts) : 0;
    double share_half = posts ? 1.96 * sqrt(share * (1 - share) / (double)posts) : 1;
    double smed, ssig;
    lognormal(sizes, nsizes, &smed, &ssig);
    char desc[2048];
    int k = snprintf(desc, sizeof desc,
                     "fitted by qsim fit from %s: %ld invocations over %.0f s; posts %.4g/s (95 %% CI %.4g to %.4g, "
                     "n=%ld); entity share %.3f (95 %% CI %.3f to %.3f, %ld claims); sizes from %zu posts; "
                     "posts per second by UTC hour (95 %% Poisson CI):", cli_basename(argv[1]), events, span_s, rate,
                     fmax(0, rate - rate_half), rate + rate_half, posts, share, fmax(0, share - share_half),
                     fmin(1, share + share_half), claims, nsizes);
    /* how long each UTC hour of day was observed: the log's span cut into hours */
    double seen[24] = { 0 }, tf = t_first / 1000, tl = t_last / 1000;
    long long h0 = (long long)floor(tf / 3600), h1 = (long long)floor(tl / 3600);
    if (h1 - h0 > 24 * 3660) /* ten years and more: every hour as often */
        for (int h = 0; h < 24; h++)
            seen[h] = (tl - tf) / 24;
    else
        for (long long h = h0; h <= h1; h++)
            seen[(h % 24 + 24) % 24] += fmin(tl, (double)(h + 1) * 3600) - fmax(tf, (double)h * 3600);
    /* the profile: each hour's rate with its exact 95 % Poisson interval
     * (Garwood: chi-square quantiles of 2k and 2k + 2 degrees of freedom)
     * over the time that hour was observed */
    int all_hours = 1;
    double hr[24], lo[24], hi[24];
    for (int h = 0; h < 24; h++) {
        double kk = (double)hour_posts[h];
        all_hours &= seen[h] >= 60; /* a minute of an hour is not an estimate of it */
        if (seen[h] <= 0) {
            hr[h] = lo[h] = hi[h] = NAN;
            continue;
        }
        hr[h] = kk / seen[h];
        lo[h] = kk > 0 ? gsl_cdf_chisq_Pinv(0.025, 2 * kk) / 2 / seen[h] : 0;
        hi[h] = gsl_cdf_chisq_Pinv(0.975, 2 * kk + 2) / 2 / seen[h];
        if (k > 0 && (size_t)k < sizeof desc)
            k += snprintf(desc + k, sizeof desc - (size_t)k, " %02d:%.3g (%.3g-%.3g)", h, hr[h], lo[h], hi[h]);
    }
    if (!all_hours && k > 0 && (size_t)k < sizeof desc)
        snprintf(desc + k, sizeof desc - (size_t)k, "; not every hour of the day observed for a minute or more: "
                                                    "rate_per_s, not rate_by_hour");
    cJSON *frag = cJSON_CreateObject();
    cJSON_AddStringToObject(frag, "description", desc);
    cJSON *hs = cJSON_AddArrayToObject(frag, "humans"), *hu = cJSON_CreateObject();
    cJSON_AddStringToObject(hu, "name", "fitted");
    if (all_hours) {
        double r4[24];
        for (int h = 0; h < 24; h++)
            r4[h] = round(hr[h] * 1e6) / 1e6;
        cJSON_AddItemToObject(hu, "rate_by_hour", cJSON_CreateDoubleArray(r4, 24));
    } else {
        cJSON_AddNumberToObject(hu, "rate_per_s", rate);
    }
    fprintf(stderr, "qsim: fit: posts by UTC hour: hour,posts,observed_s,rate_per_s,ci95_low,ci95_high\n");
    for (int h = 0; h < 24; h++)
        if (seen[h] > 0)
            fprintf(stderr, "qsim: fit:   %02d,%ld,%.0f,%.6g,%.6g,%.6g\n", h, hour_posts[h], seen[h], hr[h], lo[h], hi[h]);
    cJSON_AddNumberToObject(hu, "entity_share", share);
    if (nsizes) {
        cJSON *b = cJSON_AddObjectToObject(hu, "bytes");
        cJSON_AddStringToObject(b, "dist", "lognormal");
        cJSON_AddNumberToObject(b, "median", round(smed));
        cJSON_AddNumberToObject(b, "sigma", round(ssig * 1000) / 1000);
    }
    cJSON_AddItemToArray(hs, hu);
    cJSON *bs = cJSON_AddArrayToObject(frag, "bots");
    char d[64];
    for (int b = 0; b < nbots; b++) {
        fbot *bt = &bots[b];
        if (bt->npolls < 2)
            continue;
        for (size_t i = 0; i + 1 < bt->npolls; i++)
            bt->polls[i] = bt->polls[i + 1] - bt->polls[i];
        double gap = median(bt->polls, bt->npolls - 1);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", bt->name);
        snprintf(d, sizeof d, "%.0fms", fmax(1, round(gap)));
        cJSON_AddStringToObject(o, "poll_every", d);
        if (bt->ngens) {
            double gm, gs;
            lognormal(bt->gens, bt->ngens, &gm, &gs);
            cJSON *g = cJSON_AddObjectToObject(o, "generation");
            cJSON_AddStringToObject(g, "dist", "lognormal");
            snprintf(d, sizeof d, "%.0fms", fmax(1, round(gm)));
            cJSON_AddStringToObject(g, "median", d);
            cJSON_AddNumberToObject(g, "sigma", round(gs * 1000) / 1000);
        }
        cJSON_AddItemToArray(bs, o);
        fprintf(stderr, "qsim: fit: bot %s: %zu polls, median gap %.0f ms; %zu generations\n", bt->name, bt->npolls,
                gap, bt->ngens);
        free(bt->polls);
        free(bt->gens);
    }
    char *json = cJSON_Print(frag);
    cJSON_Delete(frag);
    if (json)
        printf("%s\n", json);
    free(json);
    free(sizes);
    fprintf(stderr, "qsim: fit: %s\nqsim: fit: %ld lines or objects could not be read (reported above)\n", desc,
            unread);
    return 0;
}
