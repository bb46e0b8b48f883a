/* hist.h - a deterministic log-linear histogram of int64 values: what a
 * sample set becomes once it holds too many values to keep exactly
 * (sim/metrics.h).
 *
 * Magnitudes below 2^HIST_SUB_BITS (1,024) have a bucket each (exact).
 * Above, each power of two [2^e, 2^(e+1)) is cut into 2^HIST_SUB_BITS
 * buckets of width 2^(e - HIST_SUB_BITS). A bucket stands for its
 * midpoint, clamped to the exact minimum and maximum seen, so a value read
 * back is off by at most half a bucket: a relative error of at most
 * 2^-(HIST_SUB_BITS + 1), under 0.05 %. Negative values are mirrored. The
 * buckets of one power of two are allocated when its first value arrives
 * (8 KiB; at most 128 such blocks), never per value. */
#ifndef QSIM_HIST_H
#define QSIM_HIST_H

#include <stddef.h>
#include <stdint.h>

#define HIST_SUB_BITS 10
#define HIST_GROUPS 64   /* per sign; only 55 are used */

typedef struct hist {
    uint64_t *grp[2][HIST_GROUPS];  /* [0] v >= 0, [1] v < 0 (mirrored) */
    uint64_t n;                     /* values added */
    int64_t min, max;               /* exact; meaningless while n == 0 */
} hist;

void hist_init(hist *h);
void hist_deinit(hist *h);
/* Adds count copies of v. 0, or -1 on OOM (h unchanged). */
int hist_add(hist *h, int64_t v, uint64_t count);
/* The value bucket(v) reads back as (for tests and documentation). */
int64_t hist_repr(const hist *h, int64_t v);
/* Bytes held by the buckets. */
size_t hist_bytes(const hist *h);

/* Non-empty buckets in ascending order of value. */
typedef struct hist_iter {
    const hist *h;
    int sign, g, sub;    /* next bucket to look at */
} hist_iter;
void hist_iter_init(hist_iter *it, const hist *h);
/* 1 and (representative value, count) while there is a bucket left; 0 at
 * the end. */
int hist_next(hist_iter *it, int64_t *v, uint64_t *count);

#endif
