/* bot.h - the PM2 bot: polls /api/queue/pending on a fixed period, then
 * for each message returned claims it, generates a reply (an LLM call that
 * takes time and may fail), posts the reply as an AI message, and calls
 * complete (or fail). It may crash after a claim and be restarted.
 *
 * Two loops (bots[].loop, docs/model.md#bots):
 * - sequential (default), like `setInterval` guarded by a busy flag: ticks
 *   are anchored at first_poll + k * poll_every; a tick that arrives while
 *   the previous cycle still runs is skipped, so the next poll is at the
 *   first tick at or after the cycle's end;
 * - interval, a plain `setInterval`: a poll at every tick whatever is
 *   running, and each message a poll returns becomes its own concurrent job
 *   (claim, generate, reply, complete/fail). There is no in-flight set: a
 *   message returned again while its job runs is claimed again.
 * Jobs come from a per-bot pool that grows to the peak number of jobs in
 * flight, so steady state allocates nothing.
 *
 * The phase first_poll is drawn uniformly in [0, poll_every) from the
 * stream "bot-phase:<name>" when the scenario does not give it, so bots
 * do not poll in lockstep unless asked to. */
#ifndef QSIM_BOT_H
#define QSIM_BOT_H

#include "model/actor.h"
#include "model/scenario.h"

typedef struct bot bot;

bot *bot_new(actor_env *env, const sc_bot *cfg, int index);
void bot_free(bot *b);
void bot_start(bot *b);
/* Message slot recycling (model/msg.h): calls fn on every message the bot
 * may still act on (the last poll's list and the one it works on). */
void bot_visit_msgs(const bot *b, void (*fn)(void *ud, uint32_t m), void *ud);

#endif
