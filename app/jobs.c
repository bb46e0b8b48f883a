/* jobs.c - the worker pool (jobs.h): fork, one pipe, fixed-size messages.
 *
 * A message is a header (task, worker, kind, fraction) and rec_size bytes;
 * every message of a pool has the same size, and each goes in one write of
 * fewer than PIPE_BUF bytes, so reads never see half a message. */
#include "app/jobs.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

enum { MSG_DONE_OK = 1, MSG_DONE_FAILED, MSG_PROGRESS };

typedef struct msg_head {
    int32_t task;
    int32_t worker;
    int32_t kind;
    int32_t pad;
    double frac;
} msg_head;

struct jb_ctx {
    const jb_pool *p;
    int task, worker;
    int fd;              /* the pipe; -1 in this process */
    double last;         /* wall time of the last report sent */
    double base;         /* in-process: tasks finished before this one */
    int ntasks;
};

static double cpu_children(void)
{
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* In a forked worker (the pool's own, or one a command forks itself):
 * die with the parent. */
static void jb_worker_init(void)
{
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    if (getppid() == 1) /* the parent is already gone */
        _exit(1);
}

static int write_all(int fd, const void *buf, size_t n)
{
    ssize_t w;
    do
        w = write(fd, buf, n);
    while (w < 0 && errno == EINTR);
    return w == (ssize_t)n ? 0 : -1;
}

void jb_progress(jb_ctx *jc, double frac)
{
    if (!jc || !jc->p->progress)
        return;
    if (frac < 0)
        frac = 0;
    if (frac > 1)
        frac = 1;
    if (jc->fd < 0) { /* in this process: the callback paces itself */
        jc->p->progress(jc->p->ud, jc->base + frac, jc->ntasks);
        return;
    }
    double now = wall();
    if (now - jc->last < 0.25)
        return;
    jc->last = now;
    unsigned char buf[sizeof(msg_head) + JB_MAX_REC];
    msg_head h = { jc->task, jc->worker, MSG_PROGRESS, 0, frac };
    memcpy(buf, &h, sizeof h);
    memset(buf + sizeof h, 0, jc->p->rec_size);
    (void)write_all(jc->fd, buf, sizeof h + jc->p->rec_size); /* progress only: a lost report is harmless */
}

static int run_here(const jb_pool *p, int ntasks)
{
    unsigned char *rec = malloc(p->rec_size ? p->rec_size : 1);
    int failed = 0;
    if (!rec)
        return -1;
    for (int t = 0; t < ntasks; t++) {
        jb_ctx jc = { p, t, 0, -1, 0, (double)t, ntasks };
        memset(rec, 0, p->rec_size);
        int ok = p->run(p->ud, t, rec, &jc) == 0;
        failed += !ok;
        if (p->done)
            p->done(p->ud, t, ok, rec);
        if (p->progress)
            p->progress(p->ud, (double)(t + 1), ntasks);
    }
    free(rec);
    return failed;
}

static void worker(const jb_pool *p, int j, int jobs, int ntasks, int fd)
{
    unsigned char buf[sizeof(msg_head) + JB_MAX_REC];
    jb_worker_init();
    for (int t = j; t < ntasks; t += jobs) {
        jb_ctx jc = { p, t, j, fd, wall(), 0, ntasks };
        memset(buf, 0, sizeof buf);
        int ok = p->run(p->ud, t, buf + sizeof(msg_head), &jc) == 0;
        msg_head h = { t, j, ok ? MSG_DONE_OK : MSG_DONE_FAILED, 0, 1.0 };
        memcpy(buf, &h, sizeof h);
        if (write_all(fd, buf, sizeof h + p->rec_size) != 0)
            _exit(1);
    }
    _exit(0);
}

int jb_run(const jb_pool *p, int ntasks)
{
    if (ntasks <= 0)
        return 0;
    if (p->rec_size > JB_MAX_REC) {
        errno = EINVAL;
        return -1;
    }
    int jobs = p->jobs < ntasks ? p->jobs : ntasks;
    if (jobs <= 1)
        return run_here(p, ntasks);
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    pid_t *kids = calloc((size_t)jobs, sizeof *kids);
    double *running = calloc((size_t)jobs, sizeof *running); /* each worker's current task's fraction */
    char *seen = calloc((size_t)ntasks, 1);
    if (!kids || !running || !seen) {
        free(kids);
        free(running);
        free(seen);
        close(fd[0]);
        close(fd[1]);
        return -1;
    }
    fflush(NULL); /* buffered output must not be written twice, once by each child */
    int started = 0;
    for (int j = 0; j < jobs; j++) {
        kids[j] = fork();
        if (kids[j] == 0) {
            close(fd[0]);
            worker(p, j, jobs, ntasks, fd[1]);
        }
        started += kids[j] > 0;
    }
    close(fd[1]);
    size_t msz = sizeof(msg_head) + p->rec_size;
    unsigned char buf[sizeof(msg_head) + JB_MAX_REC];
    int done = 0, failed = 0;
    for (;;) {
        size_t got = 0;
        while (got < msz) {
            ssize_t n = read(fd[0], buf + got, msz - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        if (got < msz)
            break;
        msg_head h;
        memcpy(&h, buf, sizeof h);
        if (h.task < 0 || h.task >= ntasks || h.worker < 0 || h.worker >= jobs || seen[h.task])
            continue;
        if (h.kind == MSG_PROGRESS) {
            running[h.worker] = h.frac;
        } else {
            seen[h.task] = 1;
            running[h.worker] = 0;
            done++;
            failed += h.kind != MSG_DONE_OK;
            if (p->done)
                p->done(p->ud, h.task, h.kind == MSG_DONE_OK, buf + sizeof h);
        }
        if (p->progress) {
            double sum = done;
            for (int j = 0; j < jobs; j++)
                sum += running[j];
            p->progress(p->ud, sum, ntasks);
        }
    }
    close(fd[0]);
    /* each worker's CPU, from the growth of RUSAGE_CHILDREN as it is reaped */
    double before = cpu_children();
    if (p->stats)
        memset(p->stats, 0, sizeof *p->stats);
    for (int j = 0; j < jobs; j++) {
        int st = 0;
        if (kids[j] > 0)
            while (waitpid(kids[j], &st, 0) < 0 && errno == EINTR)
                ;
        double now = cpu_children();
        if (p->stats && kids[j] > 0) {
            p->stats->cpu_all += now - before;
            if (now - before > p->stats->cpu_max)
                p->stats->cpu_max = now - before;
            p->stats->workers++;
        }
        before = now;
    }
    free(kids);
    free(running);
    free(seen);
    if (started == 0)
        return -1;
    return failed + (ntasks - done);
}
