/* option1.c - Option 1: self-heal in pending, exactly as proposed.
 *
 * On a mismatch between cache status and stored status, fix the entry in the
 * in-memory copy read at the start of the poll; after the scan, put the whole
 * copy once. Faithful flaws: only the current key format is read (legacy
 * messages are neither healed nor returned), a missing key is ignored, and
 * the blind put overwrites anything written to the cache while the poll ran. */
#include "model/endpoint.h"
#include "strategies.h"

static int verify(call *c, int lvl)
{
    uint32_t m;
    CO_BEGIN(c, lvl);
    CO_AWAIT(c, lvl, ep_lookup(c, lvl + 1, c->list->e[c->i].msg, 0));
    m = c->list->e[c->i].msg;
    if (c->found >= 0) {
        if (c->list->e[c->i].status != c->found &&
            kv_list_set_status(c->env->kv, &c->list, c->i, c->found) == 0)
            c->dirty = 1; /* processed = terminal, implied by the status */
        if (c->found == MS_PENDING)
            ep_return(c, m);
    }
    CO_END(c, lvl);
}

static int heal(call *c, int lvl)
{
    CO_BEGIN(c, lvl);
    if (!c->dirty)
        CO_RETURN(c, lvl);
    CALL_PUT_LIST(c, lvl);
    if (call_failed(c)) /* "Non-critical - will retry next poll" */
        call_swallowed(c, c->op.res);
    CO_END(c, lvl);
}

const st_hooks st_option1 = {
    .name = "1",
    .summary = "self-heal in pending as proposed: fix the poll's copy, one blind put",
    .pending_verify = verify,
    .pending_after_scan = heal,
};
