/* outfile.c - atomic output by write-to-temporary and rename(2), and
 * output sets by staging folder and one renameat2 exchange. */
#define _GNU_SOURCE /* renameat2 */
#include "outfile.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

/* ---- cleanup on signals ----
 *
 * The one piece of global state here, as a signal handler needs it: the
 * paths to remove if the process is told to stop. Paths are stored whole
 * so the handler only calls unlink and rmdir (async-signal-safe). */
#define OF_MAX_PENDING 64
static struct {
    char path[1200];
    volatile sig_atomic_t used, is_dir;
} pending[OF_MAX_PENDING];

static void pending_add(const char *path, int is_dir)
{
    for (int i = 0; i < OF_MAX_PENDING; i++)
        if (!pending[i].used) {
            snprintf(pending[i].path, sizeof pending[i].path, "%s", path);
            pending[i].is_dir = is_dir;
            pending[i].used = 1;
            return;
        }
}

static void pending_remove(const char *path)
{
    for (int i = 0; i < OF_MAX_PENDING; i++)
        if (pending[i].used && strcmp(pending[i].path, path) == 0)
            pending[i].used = 0;
}

static void on_signal(int sig)
{
    /* files first (temporary files inside a staging folder), then folders */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < OF_MAX_PENDING; i++)
            if (pending[i].used && pending[i].is_dir == pass) {
                if (pass)
                    rmdir(pending[i].path);
                else
                    unlink(pending[i].path);
            }
    signal(sig, SIG_DFL);
    raise(sig);
}

void of_install_signal_cleanup(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaddset(&sa.sa_mask, SIGHUP);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

int of_open(of_file *o, const char *path)
{
    memset(o, 0, sizeof *o);
    if (strlen(path) >= sizeof o->path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    snprintf(o->path, sizeof o->path, "%s", path);
    /* ".<name>.tmp.<pid>" beside the target: hidden, and the same file
     * system, so the rename is atomic */
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    snprintf(o->tmp, sizeof o->tmp, "%.*s.%s.tmp.%ld", dirlen, path, path + dirlen, (long)getpid());
    pending_add(o->tmp, 0);
    o->f = fopen(o->tmp, "wb");
    if (!o->f)
        pending_remove(o->tmp);
    return o->f ? 0 : -1;
}

int of_commit(of_file *o)
{
    int rc = 0;
    if (!o->f)
        return -1;
    if (fflush(o->f) != 0 || ferror(o->f) || fsync(fileno(o->f)) != 0)
        rc = -1;
    if (fclose(o->f) != 0)
        rc = -1;
    o->f = NULL;
    if (rc == 0 && rename(o->tmp, o->path) != 0)
        rc = -1;
    if (rc != 0)
        unlink(o->tmp);
    pending_remove(o->tmp);
    return rc;
}

void of_abort(of_file *o)
{
    if (o->f)
        fclose(o->f);
    o->f = NULL;
    if (o->tmp[0]) {
        unlink(o->tmp);
        pending_remove(o->tmp);
    }
}

void of_clean_stale(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        const char *t = e->d_name[0] == '.' ? strstr(e->d_name, ".tmp.") : NULL;
        char *end;
        if (!t)
            continue;
        long pid = strtol(t + 5, &end, 10);
        if (*end || pid <= 0 || (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
            continue; /* not ours, or its writer is alive */
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

int of_mkdirs(const char *dir)
{
    char buf[1024];
    if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf)
        return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* ---- output sets ---- */

#define OF_MARKER ".qsim-staging"

static int in_set(const char *const *names, const char *n)
{
    for (; *names; names++)
        if (strcmp(*names, n) == 0)
            return 1;
    return 0;
}

/* Removes the files of a set folder and the folder; leaves anything else
 * (then the folder stays too). */
static void remove_set_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[2300];
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path); /* fails on a folder: kept */
    }
    closedir(d);
    rmdir(dir);
}

/* Moves the entries of old that are not in the set into dir, unless dir
 * already has one of that name. */
static void carry_over(const char *old, const char *dir, const char *const *names)
{
    DIR *d = opendir(old);
    struct dirent *e;
    char from[2300], to[2300];
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || strcmp(e->d_name, OF_MARKER) == 0 ||
            in_set(names, e->d_name) || (e->d_name[0] == '.' && strstr(e->d_name, ".tmp.")))
            continue;
        snprintf(from, sizeof from, "%s/%s", old, e->d_name);
        snprintf(to, sizeof to, "%s/%s", dir, e->d_name);
        if (lstat(to, &st) != 0)
            rename(from, to);
    }
    closedir(d);
}

static void split(const char *dir, char *parent, size_t plen, const char **base)
{
    const char *slash = strrchr(dir, '/');
    while (slash && slash[1] == 0 && slash > dir) /* "out/" */
        slash = memrchr(dir, '/', (size_t)(slash - dir));
    if (slash) {
        snprintf(parent, plen, "%.*s", slash == dir ? 1 : (int)(slash - dir), dir);
        *base = slash + 1;
    } else {
        snprintf(parent, plen, ".");
        *base = dir;
    }
}

/* Finishes or undoes what dead writers left beside dir: a staging folder
 * with its marker was never switched in (removed); one without was the old
 * set after the switch (its foreign entries moved into dir, then removed). */
static void clean_stale_sets(const char *dir, const char *const *names)
{
    char parent[1024], prefix[1100], path[2300], marker[2400];
    const char *base;
    split(dir, parent, sizeof parent, &base);
    int pl = snprintf(prefix, sizeof prefix, ".%s.staging.", base);
    DIR *d = opendir(parent);
    struct dirent *e;
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        char *end;
        if (strncmp(e->d_name, prefix, (size_t)pl) != 0)
            continue;
        long pid = strtol(e->d_name + pl, &end, 10);
        int aside = strcmp(end, ".old") == 0; /* the fallback's old set */
        if ((*end && !aside) || pid <= 0 || (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
            continue; /* not a staging folder, or its writer is alive */
        snprintf(path, sizeof path, "%s/%s", parent, e->d_name);
        snprintf(marker, sizeof marker, "%s/" OF_MARKER, path);
        struct stat st;
        if (aside && lstat(dir, &st) != 0 && rename(path, dir) == 0)
            continue; /* died between the two renames: the old set back */
        if (access(marker, F_OK) != 0)
            carry_over(path, dir, names);
        remove_set_dir(path);
    }
    closedir(d);
}

int of_set_begin(of_set *s, const char *dir, const char *const *names)
{
    char parent[1024], marker[1200];
    const char *base;
    memset(s, 0, sizeof *s);
    if (strlen(dir) >= sizeof s->dir || !*dir) {
        errno = *dir ? ENAMETOOLONG : ENOENT;
        return -1;
    }
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    s->names = names;
    split(dir, parent, sizeof parent, &base);
    if (of_mkdirs(parent) != 0)
        return -1;
    clean_stale_sets(dir, names);
    of_clean_stale(dir); /* temporary files of writers before output sets */
    snprintf(s->stage, sizeof s->stage, "%s/.%s.staging.%ld", parent, base, (long)getpid());
    remove_set_dir(s->stage);
    pending_add(s->stage, 1);
    if (mkdir(s->stage, 0777) != 0) {
        int e = errno;
        pending_remove(s->stage);
        s->stage[0] = 0;
        errno = e;
        return -1;
    }
    snprintf(marker, sizeof marker, "%s/" OF_MARKER, s->stage);
    pending_add(marker, 0);
    int fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0) {
        int e = errno;
        of_set_abort(s);
        errno = e;
        return -1;
    }
    close(fd);
    return 0;
}

void of_set_path(const of_set *s, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", s->stage, name);
}

static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int of_set_commit(of_set *s)
{
    char marker[1200], aside[1200];
    struct stat st;
    if (!s->stage[0]) {
        errno = EINVAL;
        return -1;
    }
    snprintf(marker, sizeof marker, "%s/" OF_MARKER, s->stage);
    if (sync_dir(s->stage) != 0)
        goto fail;
    if (lstat(s->dir, &st) != 0) {
        if (errno != ENOENT || unlink(marker) != 0 || rename(s->stage, s->dir) != 0)
            goto fail;
    } else if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        goto fail;
    } else if (renameat2(AT_FDCWD, s->stage, AT_FDCWD, s->dir, RENAME_EXCHANGE) == 0) {
        /* the staging path now holds the old set; the marker came along */
        snprintf(aside, sizeof aside, "%s/" OF_MARKER, s->dir);
        unlink(aside);
        carry_over(s->stage, s->dir, s->names);
        remove_set_dir(s->stage);
    } else if (errno == EINVAL || errno == ENOSYS || errno == ENOTSUP) {
        /* no exchange here: the old set aside (renamed to the staging name
         * with a suffix a dead-writer cleanup recognises as switched) */
        snprintf(aside, sizeof aside, "%s.old", s->stage);
        if (rename(s->dir, aside) != 0)
            goto fail;
        if (unlink(marker) != 0 || rename(s->stage, s->dir) != 0) {
            int e = errno;
            rename(aside, s->dir);
            errno = e;
            goto fail;
        }
        carry_over(aside, s->dir, s->names);
        remove_set_dir(aside);
    } else {
        goto fail;
    }
    pending_remove(marker);
    pending_remove(s->stage);
    s->stage[0] = 0;
    return 0;
fail: {
        int e = errno;
        of_set_abort(s);
        errno = e;
        return -1;
    }
}

void of_set_abort(of_set *s)
{
    char marker[1200];
    if (!s->stage[0])
        return;
    snprintf(marker, sizeof marker, "%s/" OF_MARKER, s->stage);
    remove_set_dir(s->stage);
    pending_remove(marker);
    pending_remove(s->stage);
    s->stage[0] = 0;
}
