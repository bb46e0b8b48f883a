/* outfile.h - output files that are whole or absent: write to a hidden
 * temporary file beside the target, flush and fsync, then rename over the
 * target. A crash (even kill -9) leaves the old file or the new one, never
 * half; the next run removes the dead writer's temporary file. */
#ifndef QSIM_OUTFILE_H
#define QSIM_OUTFILE_H

#include <stdio.h>

typedef struct of_file {
    FILE *f;
    char path[1024];
    char tmp[1040];
} of_file;

/* Opens a temporary file for path. Returns 0, or -1 with errno set. */
int of_open(of_file *o, const char *path);
/* Flushes, syncs and renames into place; -1 on any error (the temporary
 * file is removed). */
int of_commit(of_file *o);
/* Drops the temporary file. */
void of_abort(of_file *o);
/* Removes the temporary files of dead writers (".<name>.tmp.<pid>" whose
 * process is gone: a run killed with -9) from dir. */
void of_clean_stale(const char *dir);
/* mkdir -p; 0 or -1. */
int of_mkdirs(const char *dir);

#endif
