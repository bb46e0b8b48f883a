// state-worker.js - a module with state of its own, for
// tests/test_worker_transports.sh: a module-level counter (each option's
// run must start it afresh, in-process as with one node per run), timers
// and entropy in the log lines, and the host's process id written to
// env.PID_FILE (in-process, node is the process qsim was started as).
import fs from 'node:fs';

let calls = 0;

export default {
  async fetch(request, env) {
    calls++;
    if (env.PID_FILE && calls === 1) fs.writeFileSync(`${env.PID_FILE}.${env.QSIM_OPTION}`, String(process.pid));
    const before = await env.COMMENTS_KV.get('state:last');
    await env.COMMENTS_KV.put('state:last', String(calls));
    await new Promise((resolve) => setTimeout(resolve, 5));
    console.log(`calls=${calls} before=${before} opt=${env.QSIM_OPTION} now=${Date.now()} r=${Math.random().toFixed(6)}`);
    return Response.json({ pending: [], kvStats: { reads: 1, writes: 1 } });
  },
};
