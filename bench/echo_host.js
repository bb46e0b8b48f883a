// echo_host.js - the protocol's floor for bench/bench_worker.sh: a stand-in
// for model/worker_host.js that runs no module and answers what the
// "tiny" bench module would (5 gets of one key per pending request, then
// the response), with no promises, no Request/Response objects and no
// JSON. What remains is qsim, the pipes and the process switches: the
// least a round trip per KV operation can cost on this machine.
// Run as QSIM_NODE=bench/echo_node.sh (it ignores the host script).
'use strict';
const fs = require('fs');
const key = 'comment:1761922126074-d9ostp8tt';
const body = '{"pending":[],"kvStats":{"reads":5,"writes":0}}';
let inb = Buffer.alloc(1 << 16), len = 0, pos = 0;
const left = new Map(); // call -> gets still to issue
function fill() {
  if (pos > 0) { inb.copy(inb, 0, pos, len); len -= pos; pos = 0; }
  if (len === inb.length) { const n = Buffer.alloc(inb.length * 2); inb.copy(n, 0, 0, len); inb = n; }
  const n = fs.readSync(0, inb, len, inb.length - len, null);
  if (n === 0) process.exit(0);
  len += n;
}
function line() {
  for (;;) {
    const i = inb.indexOf(10, pos);
    if (i >= 0 && i < len) { const s = inb.toString('latin1', pos, i); pos = i + 1; return s; }
    fill();
  }
}
function skip(n) { while (len - pos < n) fill(); pos += n; }
const out = (s) => { const b = Buffer.from(s + '.\n'); fs.writeSync(1, b, 0, b.length); };
const f0 = line().split(' ');
skip(Number(f0[1])); // I
out('');
for (;;) {
  const f = line().split(' ');
  const id = f[1];
  if (f[0] === 'S' || f[0] === 'C') {
    skip(Number(f[4]));
    left.set(id, 5);
  } else if (f[0] === 'R') {
    const n = Number(f[4]);
    if (n > 0) skip(n);
  }
  const k = left.get(id);
  if (k > 0) { left.set(id, k - 1); out(`G ${id} ${key.length}\n${key}`); }
  else { left.delete(id); out(`W ${id} 200 ${body.length}\n${body}E ${id}\n`); }
}
