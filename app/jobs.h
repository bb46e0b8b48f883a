/* jobs.h - one pool of forked worker processes for independent tasks
 * (compare's and advise's replications, sweep's points).
 *
 * Tasks 0..ntasks-1 are dealt to jobs workers round-robin (worker j runs
 * j, j + jobs, ...). Each worker fills a fixed-size record per task and
 * sends it through one pipe in a single write (smaller than PIPE_BUF, so
 * atomic); the parent hands each record to done() by task index, in the
 * order they arrive. Whatever the caller files by task index is therefore
 * byte-identical for any number of jobs. With jobs <= 1 the tasks run in
 * this process, in order, and no process is forked.
 *
 * A running task may report how far it is (jb_progress); the parent adds
 * the finished tasks and the running ones' fractions and calls progress()
 * with the sum: a progress line moves within a run, not only between
 * tasks. Progress is wall-clock paced and reaches only the caller's
 * callback, never a record.
 *
 * Workers die with the parent (PR_SET_PDEATHSIG on Linux): a kill -9 of
 * qsim leaves nothing running. */
#ifndef QSIM_JOBS_H
#define QSIM_JOBS_H

#include <stddef.h>

/* The largest record: a message (header + record) stays below PIPE_BUF. */
#define JB_MAX_REC 3840

typedef struct jb_ctx jb_ctx; /* a running task's link to the pool */

/* Runs task into rec (rec_size bytes, zeroed). Returns 0, or -1 when the
 * task failed (its record is still delivered, with ok 0). */
typedef int (*jb_task_fn)(void *ud, int task, void *rec, jb_ctx *jc);
/* A finished task's record, in the parent (ok: the task returned 0). */
typedef void (*jb_done_fn)(void *ud, int task, int ok, const void *rec);
/* done: finished tasks plus the fractions of running ones, of ntasks. */
typedef void (*jb_progress_fn)(void *ud, double done, int ntasks);

/* What the workers cost: CPU seconds of all of them and of the busiest
 * (the critical path however loaded the machine is). Zero in-process. */
typedef struct jb_stats {
    double cpu_all, cpu_max;
    int workers;
} jb_stats;

typedef struct jb_pool {
    int jobs;               /* worker processes; <= 1: in this process */
    size_t rec_size;        /* <= JB_MAX_REC */
    jb_task_fn run;
    jb_done_fn done;        /* may be NULL */
    jb_progress_fn progress; /* may be NULL */
    void *ud;
    jb_stats *stats;        /* may be NULL */
} jb_pool;

/* Runs ntasks tasks. Returns the number of tasks that failed or never
 * reported (a worker that died), 0 when all succeeded, -1 when no worker
 * could be started (nothing ran). */
int jb_run(const jb_pool *p, int ntasks);

/* From inside a task: it is frac (0..1) done. Cheap to call often: a
 * worker sends at most one report per 0.25 s. */
void jb_progress(jb_ctx *jc, double frac);

#endif
