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

/* An output set: every file one command writes into a folder, switched in
 * as a whole. The files are written into a fresh staging folder beside the
 * target, "<parent>/.<name>.staging.<pid>" (same file system), which holds
 * a marker file while it is being written. of_set_commit then swaps it with
 * the target in one renameat2(RENAME_EXCHANGE) (where the file system
 * cannot, the old folder is renamed aside first: for an instant the folder
 * is absent, never mixed), moves the entries of the old folder that are not
 * in the set (a compare/ subfolder, charts) into the new one, and removes
 * the old set. A reader sees the old set or the new one, never a mix; a
 * crash (kill -9, full disk) at any point leaves the old set in place or
 * the new one, and the next of_set_begin on the folder finishes or undoes
 * what the dead writer left (docs/testing.md, "Outputs"). */
typedef struct of_set {
    char dir[1024];
    char stage[1100];
    const char *const *names; /* the set's file names, NULL-terminated */
} of_set;

/* Creates the staging folder for dir (and dir's parents). 0, or -1 with
 * errno set. */
int of_set_begin(of_set *s, const char *dir, const char *const *names);
/* Path of file name inside the staging folder. */
void of_set_path(const of_set *s, const char *name, char *buf, size_t len);
/* Switches the staging folder in (see above). 0, or -1 with errno set: the
 * old set is then still in place and the staging folder removed. */
int of_set_commit(of_set *s);
/* Removes the staging folder; no-op after a commit or on a zeroed set. */
void of_set_abort(of_set *s);

/* SIGINT, SIGTERM and SIGHUP remove the temporary files and staging
 * folders of this process (whatever was opened with of_open or
 * of_set_begin and not yet committed), then end it as the signal would.
 * Call once at start. */
void of_install_signal_cleanup(void);

#endif
