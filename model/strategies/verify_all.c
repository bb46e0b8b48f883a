/* verify_all.c - the reference without the terminal-state shortcut: the
 * pending endpoint verifies every bot entry, whatever its cache status (the
 * write-up's "400 reads per poll" comparison for its 93 % claim). */
#include "strategies.h"

static int always(const call *c, const kv_entry *e)
{
    (void)c;
    (void)e;
    return 1;
}

const st_hooks st_verify_all = {
    .name = "verify-all",
    .summary = "reference: verify every bot entry on every poll (no terminal shortcut)",
    .pending_should_verify = always,
};
