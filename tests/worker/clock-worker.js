// clock-worker.js - logs what the host's clock and entropy give, for
// tests/test_worker_host.sh; answers pending with nothing pending.
let n = 0;
export default {
  async fetch(request, env, ctx) {
    const t0 = Date.now();
    await env.COMMENTS_KV.get('recent:comments');
    console.log(`now=${t0} after=${Date.now()} new=${new Date().getTime()} perf=${performance.now()} ` +
                `rand=${Math.random()} uuid=${crypto.randomUUID()} opt=${env.QSIM_OPTION}`);
    if (env.CRASH_AT && ++n >= Number(env.CRASH_AT)) process.exit(9);
    if (env.OWN_KEY) console.log(`own=${await env.COMMENTS_KV.get('session:42')}`);
    if (env.BAD_KEY) await env.COMMENTS_KV.delete('recent:comments');
    return Response.json({ pending: [], kvStats: { reads: 1, writes: 0 } });
  },
};
