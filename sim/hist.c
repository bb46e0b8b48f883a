/* hist.c - the log-linear histogram of hist.h. A value maps to (sign,
 * group, sub): sign 1 holds v < 0 as the magnitude u = -(v + 1), so that
 * INT64_MIN fits; group 0 holds u < 2^B exactly, group g >= 1 holds
 * [2^(g+B-1), 2^(g+B)) in 2^B buckets. Iteration walks sign 1 from its
 * largest magnitude down, then sign 0 up: ascending v. */
#include "hist.h"

#include <stdlib.h>
#include <string.h>

#define B HIST_SUB_BITS
#define NSUB (1u << B)

static int top_bit(uint64_t u) /* u > 0 */
{
    int e = 0;
    while (u >> 1) {
        u >>= 1;
        e++;
    }
    return e;
}

static void locate(uint64_t u, int *g, unsigned *sub)
{
    if (u < NSUB) {
        *g = 0;
        *sub = (unsigned)u;
        return;
    }
    int e = top_bit(u);
    *g = e - B + 1;
    *sub = (unsigned)((u >> (e - B)) - NSUB);
}

/* The midpoint of bucket (g, sub), as a magnitude. */
static uint64_t mid(int g, unsigned sub)
{
    if (g == 0)
        return sub;
    int shift = g - 1;
    uint64_t lo = ((uint64_t)NSUB + sub) << shift;
    return lo + (shift > 0 ? (UINT64_C(1) << shift) / 2 : 0);
}

static int64_t from_mag(int sign, uint64_t u)
{
    return sign ? -(int64_t)u - 1 : (int64_t)u;
}

static int64_t clamp(const hist *h, int64_t v)
{
    return v < h->min ? h->min : v > h->max ? h->max : v;
}

void hist_init(hist *h)
{
    memset(h, 0, sizeof *h);
}

void hist_deinit(hist *h)
{
    for (int s = 0; s < 2; s++)
        for (int g = 0; g < HIST_GROUPS; g++)
            free(h->grp[s][g]);
    memset(h, 0, sizeof *h);
}

int hist_add(hist *h, int64_t v, uint64_t count)
{
    int sign = v < 0;
    uint64_t u = sign ? (uint64_t)(-(v + 1)) : (uint64_t)v;
    int g;
    unsigned sub;
    locate(u, &g, &sub);
    if (!h->grp[sign][g] && !(h->grp[sign][g] = calloc(NSUB, sizeof(uint64_t))))
        return -1;
    h->grp[sign][g][sub] += count;
    if (h->n == 0 || v < h->min)
        h->min = v;
    if (h->n == 0 || v > h->max)
        h->max = v;
    h->n += count;
    return 0;
}

int64_t hist_repr(const hist *h, int64_t v)
{
    int sign = v < 0;
    uint64_t u = sign ? (uint64_t)(-(v + 1)) : (uint64_t)v;
    int g;
    unsigned sub;
    locate(u, &g, &sub);
    int64_t r = from_mag(sign, mid(g, sub));
    return h->n ? clamp(h, r) : r;
}

size_t hist_bytes(const hist *h)
{
    size_t b = 0;
    for (int s = 0; s < 2; s++)
        for (int g = 0; g < HIST_GROUPS; g++)
            b += h->grp[s][g] ? NSUB * sizeof(uint64_t) : 0;
    return b;
}

void hist_iter_init(hist_iter *it, const hist *h)
{
    it->h = h;
    it->sign = 1;
    it->g = HIST_GROUPS - 1;
    it->sub = NSUB - 1;
}

int hist_next(hist_iter *it, int64_t *v, uint64_t *count)
{
    const hist *h = it->h;
    while (it->sign == 1 && it->g >= 0) { /* negatives: magnitudes down */
        const uint64_t *b = h->grp[1][it->g];
        for (; b && it->sub >= 0; it->sub--)
            if (b[it->sub]) {
                *v = clamp(h, from_mag(1, mid(it->g, (unsigned)it->sub)));
                *count = b[it->sub--];
                return 1;
            }
        it->g--;
        it->sub = NSUB - 1;
    }
    if (it->sign == 1) {
        it->sign = 0;
        it->g = 0;
        it->sub = 0;
    }
    while (it->g < HIST_GROUPS) {
        const uint64_t *b = h->grp[0][it->g];
        for (; b && it->sub < (int)NSUB; it->sub++)
            if (b[it->sub]) {
                *v = clamp(h, from_mag(0, mid(it->g, (unsigned)it->sub)));
                *count = b[it->sub++];
                return 1;
            }
        it->g++;
        it->sub = 0;
    }
    return 0;
}
