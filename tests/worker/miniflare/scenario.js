// scenario.js - prints tests/worker/conformance.json made one location,
// sequential and faultless, for tests/test_worker_miniflare.sh: zero KV
// latency (a call's operations all complete at its start instant), no
// transient errors, no 429s, no endpoint fault (Miniflare's local KV has
// none), fixed periods and scripted times off the whole seconds, so that no
// two calls start at the same instant (replay.js checks).
'use strict';
const path = require('path');
const s = JSON.parse(require('fs').readFileSync(path.join(__dirname, '..', 'conformance.json'), 'utf8'));
s.name = 'worker-miniflare';
s.duration = '300s';
s.locations = ['ewr'];
s.kv = { cache_ttl: '60s', p429: 0, get_error_prob: 0, put_error_prob: 0,
  latency: { get_hit: '0ms', get_miss: '0ms', put: '0ms' } };
delete s.faults;
for (const k of ['humans', 'bots', 'readers']) for (const a of s[k] || []) a.location = 'ewr';
for (const b of s.bots) delete b.loop; // the interval loop claims several messages at once
for (const b of s.bots) if (b.name === 'bot-3') { b.poll_every = '5013ms'; b.generation = '2071ms'; }
for (const r of s.readers) r.period = '10037ms';
let last = -1;
for (const e of s.script) {
  e.location = 'ewr';
  let ms = parseFloat(e.at) * 1000 + 137;
  if (ms <= last) ms = last + 251;
  last = ms;
  e.at = `${ms}ms`;
}
process.stdout.write(JSON.stringify(s, null, 1) + '\n');
