/* expdir.h - experiment folders: where a command writes, and the
 * manifest.json that says what produced it (docs/experiments.md,
 * "Experiment folders").
 *
 * An experiment is identified by its id: a 64-bit FNV-1a hash over the
 * command, the qsim version, the contents of its input files (scenario,
 * pricing, limits) and the settings that change results (options, seed,
 * days, replications, parameters). Not in the id: --jobs, --quiet, --out,
 * wall-clock times. The default folder is out/<kind>/<scenario>-<id:8>, so
 * two different experiments never share a folder, and the same experiment
 * run again lands where it did before (results are deterministic, so it
 * rewrites identical files, or resumes a sweep). A folder given with --out
 * that holds the manifest of another experiment is refused unless forced.
 *
 * The manifest is the only output that holds wall-clock times (start,
 * end) and the command line; results files never do. */
#ifndef QSIM_EXPDIR_H
#define QSIM_EXPDIR_H

#include <stdint.h>

#include "sim/sim.h"

#define XD_MAX_ITEMS 64

typedef struct xd_exp {
    char kind[16];           /* run, compare, sweep, search, advise, merge */
    char scenario[128];      /* the scenario's name, for the folder name */
    uint64_t id;
    char dir[1024];          /* where it writes */
    int is_default;          /* dir was chosen by qsim (out/latest follows it) */
    char root[1024];         /* the out/ of a default dir */
    char started[32];        /* UTC, ISO 8601 */
    int argc;
    char *const *argv;       /* the subcommand's argv: argv[0] is its name */
    int nitems;
    char keys[XD_MAX_ITEMS][48];
    char vals[XD_MAX_ITEMS][512];
    char is_file[XD_MAX_ITEMS]; /* vals holds "path" and the hash follows */
    char hashes[XD_MAX_ITEMS][24];
    int files_out_of_id;     /* the files are listed but not hashed into the id
                              * (a sweep: its spec already holds them) */
} xd_exp;

/* Starts an experiment of kind for scenario (its name); argv is kept (not
 * copied) for the manifest. */
void xd_init(xd_exp *x, const char *kind, const char *scenario, int argc, char *const *argv);
/* Adds a setting that changes results (part of the id and the manifest). */
void xd_set(xd_exp *x, const char *key, const char *value);
/* Adds an input file: its contents' hash is part of the id; the manifest
 * lists key: {path, fnv1a64}. A missing file hashes as "absent". */
void xd_file(xd_exp *x, const char *key, const char *path);
/* FNV-1a 64 of a file's bytes as 16 hex digits, or "absent". */
void xd_hash_file(const char *path, char *out, size_t len);

/* Chooses the folder: out_given, else <root>/<kind>/<scenario>-<id>,
 * root being $QSIM_OUT or "out". Refuses (returns 2, err set) a folder
 * whose manifest.json is another experiment's (another kind or id), unless
 * force; a folder without a manifest is taken as it is. Also refuses a
 * path that exists and is not a folder. 0 otherwise. */
int xd_resolve(xd_exp *x, const char *out_given, int force, sim_err *err);
/* Writes manifest.json into folder (the staging folder of an output set,
 * or the experiment's own), listing files (NULL-terminated; NULL entries
 * skipped up to n) and extra as a preformatted JSON object (or NULL).
 * 0 or -1 with errno set. */
int xd_write_manifest(const xd_exp *x, const char *folder, const char *const *files, int nfiles,
                      const char *extra_json);
/* For a default folder: points <root>/latest at it (a relative symlink,
 * switched atomically). No-op otherwise. */
void xd_link_latest(const xd_exp *x);

#endif
