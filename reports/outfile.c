/* outfile.c - atomic output by write-to-temporary and rename(2). */
#include "outfile.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    o->f = fopen(o->tmp, "wb");
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
    return rc;
}

void of_abort(of_file *o)
{
    if (o->f)
        fclose(o->f);
    o->f = NULL;
    if (o->tmp[0])
        unlink(o->tmp);
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
