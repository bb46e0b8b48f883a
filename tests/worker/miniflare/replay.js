// replay.js TRACE OPTION WINDOW - tests/test_worker_miniflare.sh's driver:
// reads what record-worker.js logged in a qsim JS-mode trace, seeds
// Miniflare's KV with the initial state, sends every request in order
// through dispatchFetch to tests/worker/seed-worker.js on workerd, and
// compares each response (status, body) and each recorded KV state.
// QSIM_MF_STATE_EVERY=1 compares every recorded state (slower).
// Prints "miniflare: N requests, M states compared" and exits 0 when all
// agree; else prints the first differences and exits 1.
'use strict';
const fs = require('fs');
const path = require('path');
const { Miniflare } = require(path.join(__dirname, 'node_modules', 'miniflare'));

const [trace, option, window] = process.argv.slice(2);
const EVERY = Number(process.env.QSIM_MF_STATE_EVERY || 5); // compare every 5th recorded state, and the last
const steps = []; // { kind: 'REQ'|'RES'|'STATE', call, v }
let state0 = null;
const open = new Set();
for (const line of fs.readFileSync(trace, 'utf8').split('\n')) {
  if (!line.includes('"type":"log"')) continue;
  const e = JSON.parse(line);
  const sp = e.text.indexOf(' ');
  const kind = e.text.slice(0, sp);
  if (!['STATE0', 'REQ', 'RES', 'STATE'].includes(kind)) continue; // the module's own lines
  const v = JSON.parse(e.text.slice(sp + 1));
  if (kind === 'STATE0') { state0 = v; continue; }
  if (kind === 'REQ') {
    if (open.size) { console.error(`replay: call ${e.call} started while call ${[...open]} ran: the schedule is not sequential`); process.exit(1); }
    open.add(e.call);
  }
  if (kind === 'RES') open.delete(e.call);
  steps.push({ kind, call: e.call, v });
}
if (!state0) { console.error(`replay: ${trace} has no STATE0 line (not a record-worker.js run?)`); process.exit(1); }

(async () => {
  const mf = new Miniflare({
    modules: true,
    scriptPath: path.resolve(__dirname, '..', 'seed-worker.js'),
    modulesRoot: path.resolve(__dirname, '..'),
    kvNamespaces: ['COMMENTS_KV'],
    bindings: { QSIM_OPTION: option, QSIM_CACHE_WINDOW: window },
    compatibilityDate: '2025-07-18',
  });
  const kv = await mf.getKVNamespace('COMMENTS_KV');
  for (const [k, v] of Object.entries(state0)) await kv.put(k, v);
  async function dump() {
    const names = [];
    let cursor;
    do {
      const page = await kv.list({ cursor });
      for (const k of page.keys) names.push(k.name);
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);
    const s = {};
    for (const n of names) s[n] = await kv.get(n);
    return s;
  }
  let reqs = 0, states = 0, bad = 0, last = null, seen = 0;
  const nstates = steps.filter((s) => s.kind === 'STATE').length;
  const diff = (what, want, got) => {
    if (++bad <= 5) console.error(`DIFF ${what}\n  qsim:      ${String(want).slice(0, 300)}\n  miniflare: ${String(got).slice(0, 300)}`);
  };
  for (const s of steps) {
    if (s.kind === 'REQ') {
      const init = { method: s.v.m, headers: s.v.h };
      if (s.v.b !== null) init.body = s.v.b;
      const r = await mf.dispatchFetch(s.v.u, init);
      last = { call: s.call, req: s.v, s: r.status, r: await r.text() };
      reqs++;
    } else if (s.kind === 'RES') {
      const what = `call ${s.call} ${last.req.m} ${last.req.u}`;
      if (last.s !== s.v.s) diff(`${what}: status`, s.v.s, last.s);
      else if (last.r !== s.v.r) diff(`${what}: body`, s.v.r, last.r);
    } else {
      // every EVERY-th state and the last: each dump reads every key
      if (++seen % EVERY !== 0 && seen !== nstates) continue;
      const got = JSON.stringify(await dump());
      const want = JSON.stringify(s.v);
      if (got !== want) diff(`KV state after call ${s.call}`, want, got);
      states++;
    }
  }
  await mf.dispose();
  console.log(`miniflare: ${reqs} requests, ${states} states compared, ${bad} differences`);
  process.exit(bad ? 1 : 0);
})().catch((e) => { console.error('replay:', e && e.stack ? e.stack : e); process.exit(1); });
