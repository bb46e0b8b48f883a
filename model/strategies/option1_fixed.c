/* option1_fixed.c - Option 1 done right (beyond the write-up): verify with
 * the legacy fallback too, remember only the fixes, and right before the
 * put re-read the cache and apply just those fixes, so that posts and
 * status updates that landed during the poll survive. It still has no
 * compare-and-swap: a write between the re-read and the put is lost. */
#include "heal.h"
#include "strategies.h"

static int heal(call *c, int lvl)
{
    CO_BEGIN(c, lvl);
    if (c->nfix == 0)
        CO_RETURN(c, lvl);
    CALL_GET(c, lvl, KV_KEY_CACHE);
    if (call_failed(c)) {
        call_swallowed(c, c->op.res);
        CO_RETURN(c, lvl);
    }
    if (c->op.res == KV_MISS)
        CO_RETURN(c, lvl);
    call_take_list(c);
    if (c->list->corrupt) {
        call_swallowed(c, CALL_EPARSE);
        CO_RETURN(c, lvl);
    }
    if (heal_apply(c) == 0)
        CO_RETURN(c, lvl);
    CALL_PUT_LIST(c, lvl);
    if (call_failed(c))
        call_swallowed(c, c->op.res);
    CO_END(c, lvl);
}

const st_hooks st_option1_fixed = {
    .name = "1fixed",
    .summary = "self-heal that also heals legacy keys and re-reads the cache before its put",
    .pending_verify = heal_verify_entry,
    .pending_after_scan = heal,
};
