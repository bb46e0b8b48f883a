/* heal.c - verification with legacy fallback that notes fixes. */
#include "heal.h"

#include "model/endpoint.h"

int heal_verify_entry(call *c, int lvl)
{
    CO_BEGIN(c, lvl);
    CO_AWAIT(c, lvl, ep_lookup(c, lvl + 1, c->list->e[c->i].msg, 1));
    if (c->found >= 0) {
        if (c->list->e[c->i].status != c->found)
            call_note_fix(c, c->list->e[c->i].msg, c->found);
        if (c->found == MS_PENDING)
            ep_return(c, c->list->e[c->i].msg);
    }
    CO_END(c, lvl);
}

int heal_apply(call *c)
{
    int changed = 0;
    for (uint32_t k = 0; k < c->nfix; k++) {
        int idx = kv_list_find(c->list, c->fix_msg[k]);
        if (idx < 0 || c->list->e[idx].status == c->fix_status[k])
            continue;
        if (kv_list_set_status(c->env->kv, &c->list, (uint32_t)idx, c->fix_status[k]) != 0)
            return changed;
        changed++;
    }
    return changed;
}
