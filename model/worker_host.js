// worker_host.js - the worker host: runs a Worker module under qsim's clock.
//
// qsim (model/jshost.c) starts this script once per run, as
// `node -e <this file> <module>`, and talks to it over stdin/stdout with the
// message protocol of docs/worker-host.md. The host has no clock and no
// entropy of its own: Date, performance.now, Math.random and crypto draw
// from what qsim sends; every KV call is a message to qsim, whose promise
// is settled when qsim sends its result. After each message from qsim the
// host lets every microtask run (a setImmediate turn), then reports "."
// (idle): qsim advances only then.
'use strict';
const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');

// ---- transport: pipes, or qsim in this process (docs/worker-host.md) ----
// In-process mode (`node -e <this> -- --qsim-inproc ADDON qsim-argv...`,
// exec'd by qsim itself): the addon runs qsim's main on a stack of its own.
// What the pipes would carry is handed over by calls instead:
// exchange(our bytes, their length, -1, inb, off) switches into the
// simulation and copies its next batch into inb at off (returning its
// length), or returns it as a Buffer when it does not fit; once qsim's main
// has returned, -1 - its exit code.
const inproc = process.argv[1] === '--qsim-inproc' ? require(path.resolve(process.argv[2])) : null;
const realExit = process.exit.bind(process);
function fromQsim(r) {
  if (typeof r === 'number' && r < 0) realExit(-1 - r); // qsim's main returned: the run is over
  return r;
}
let inFirst = inproc ? fromQsim(inproc.start(process.argv.slice(3))) : null;
// The host exits (the module called process.exit, or fatal): qsim sees its
// status as it sees a Node.js process's; the process lives on until qsim's
// main returns.
function hostExit(code) {
  if (!inproc) realExit(code);
  let r = opos > 0 ? inproc.exchange(ob, opos, -1, null, 0) : null; // fatal's F message
  opos = 0;
  while (!(typeof r === 'number' && r < 0)) r = inproc.exchange(null, 0, Number(code) | 0, null, 0);
  realExit(-1 - r);
}
if (inproc) {
  // what has not been flushed is lost, as when a host process exits
  process.exit = (code) => { opos = 0; hostExit(code === undefined ? process.exitCode ?? 0 : code); };
  // node would print the error and exit 1, taking qsim with it: print it, and end as a host does
  process.on('uncaughtException', (e) => {
    fs.writeSync(2, `${(e && e.stack) || e}\n`);
    opos = 0;
    hostExit(1);
  });
}

// ---- output: one write per turn ----
// Messages are written into one growing buffer as they are emitted (no
// string concatenation, no array join) and go out in one writeSync.
let ob = Buffer.allocUnsafe(1 << 16), opos = 0;
function emit(s) {
  const need = opos + s.length * 3 + 4; // utf8: at most 3 bytes per UTF-16 unit
  if (need > ob.length) {
    const n = Buffer.allocUnsafe(Math.max(ob.length * 2, need));
    ob.copy(n, 0, 0, opos);
    ob = n;
  }
  opos += ob.write(s, opos);
}
function flush() {
  ob[opos++] = 46; ob[opos++] = 10; // ".\n"
  if (inproc) return; // handed over by the next fill()
  let off = 0;
  while (off < opos) off += fs.writeSync(1, ob, off, opos - off);
  opos = 0;
}
function fatal(msg) {
  const b = Buffer.from(String(msg));
  opos = 0;
  if (inproc) { emit(`F ${b.length}\n`); emit(String(msg)); hostExit(3); }
  fs.writeSync(1, 'F ' + b.length + '\n');
  fs.writeSync(1, b);
  process.exit(3);
}
function lenOf(s) { return Buffer.byteLength(s); }

// ---- input: blocking reads, length-prefixed payloads ----
let inb = Buffer.alloc(1 << 16), inLen = 0, inPos = 0;
function fill() {
  if (inPos > 0) { inb.copy(inb, 0, inPos, inLen); inLen -= inPos; inPos = 0; }
  if (inLen === inb.length) { const n = Buffer.alloc(inb.length * 2); inb.copy(n, 0, 0, inLen); inb = n; }
  let n;
  if (inproc) {
    const r = inFirst || fromQsim(inproc.exchange(ob, opos, -1, inb, inLen));
    inFirst = null;
    opos = 0;
    if (typeof r === 'number') { inLen += r; return; } // copied into inb
    n = Math.min(r.length, inb.length - inLen); // the rest: the next fill()
    r.copy(inb, inLen, 0, n);
    if (n < r.length) inFirst = r.subarray(n);
    inLen += n;
    return;
  }
  for (;;) {
    try { n = fs.readSync(0, inb, inLen, inb.length - inLen, null); break; }
    catch (e) { if (e.code !== 'EAGAIN' && e.code !== 'EINTR') throw e; }
  }
  if (n === 0) process.exit(0); // qsim closed the pipe: the run is over
  inLen += n;
}
function readLine() {
  for (;;) {
    const i = inb.indexOf(10, inPos);
    if (i >= 0 && i < inLen) { const s = inb.toString('latin1', inPos, i); inPos = i + 1; return s; }
    fill();
  }
}
// The next header line parsed in place (no string, no split): returns its
// type (a char code) and leaves its numeric fields in F[0..NF); line()
// gives it as text (the messages that carry a 64-bit seed or a name).
const F = [0, 0, 0, 0, 0, 0];
let NF = 0, lineStart = 0, lineEnd = 0;
function readHeader() {
  let i;
  for (;;) {
    i = inb.indexOf(10, inPos);
    if (i >= 0 && i < inLen) break;
    fill();
  }
  const t = inb[inPos];
  let p = inPos + 1;
  NF = 0;
  while (p < i && NF < 6) {
    while (p < i && inb[p] === 32) p++;
    if (p >= i) break;
    const neg = inb[p] === 45;
    if (neg) p++;
    let x = 0;
    for (let c = inb[p]; p < i && c >= 48 && c <= 57; c = inb[++p]) x = x * 10 + (c - 48);
    F[NF++] = neg ? -x : x;
    while (p < i && inb[p] !== 32) p++;
  }
  lineStart = inPos; lineEnd = i;
  inPos = i + 1;
  return t;
}
const line = () => inb.toString('latin1', lineStart, lineEnd);
function readBytes(n) {
  while (inLen - inPos < n) fill();
  const s = inb.toString('utf8', inPos, inPos + n);
  inPos += n;
  return s;
}

// ---- simulated time and entropy ----
let epochMs = 0, nowUs = 0;
const simMs = () => epochMs + Math.floor(nowUs / 1000);
const RealDate = Date;
class SimDate extends RealDate {
  constructor(...a) { if (a.length === 0) super(simMs()); else super(...a); }
  static now() { return simMs(); }
}
globalThis.Date = SimDate;
Object.defineProperty(performance, 'now', { value: () => nowUs / 1000, configurable: true, writable: true });

// sfc32, seeded per invocation by qsim (stream "js:<actor>")
function sfc32(a, b, c, d) {
  return function () {
    a |= 0; b |= 0; c |= 0; d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}
let cur = null; // the invocation whose message is being handled
const noRandom = () => { throw new Error('qsim: randomness outside an invocation'); };
Math.random = () => (cur ? cur.rand() : noRandom());
const getRandomValues = (arr) => {
  const inv = cur;
  const r = inv ? () => inv.rand() : noRandom;
  const u8 = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
  for (let i = 0; i < u8.length; i++) u8[i] = Math.floor(r() * 256);
  return arr;
};
const randomUUID = () => {
  const b = getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};
Object.defineProperty(globalThis.crypto, 'getRandomValues', { value: getRandomValues, configurable: true });
Object.defineProperty(globalThis.crypto, 'randomUUID', { value: randomUUID, configurable: true });

// ---- timers on qsim's queue ----
let nextTimer = 1;
const timers = new Map(); // id -> { inv, fn, args, every }
globalThis.setTimeout = (fn, ms, ...args) => addTimer(fn, ms, args, false);
globalThis.setInterval = (fn, ms, ...args) => addTimer(fn, ms, args, true);
globalThis.clearTimeout = globalThis.clearInterval = (id) => {
  const t = timers.get(id);
  if (t) { t.inv.timers--; timers.delete(id); }
};
function addTimer(fn, ms, args, every) {
  if (!cur) throw new Error('qsim: timer outside an invocation');
  const id = nextTimer++;
  const d = Math.max(0, Math.floor(Number(ms) || 0));
  timers.set(id, { inv: cur, fn, args, every: every ? d : -1 });
  cur.timers++;
  emit(`Z ${cur.id} ${id} ${d * 1000}\n`);
  return id;
}

// ---- console -> trace ----
function fmt(a) {
  return a.map((x) => (typeof x === 'string' ? x : x instanceof Error ? String(x) : safeJson(x))).join(' ');
}
function safeJson(x) { try { return JSON.stringify(x) ?? String(x); } catch { return String(x); } }
function log(...a) {
  const s = fmt(a);
  emit(`L ${cur ? cur.id : 0} ${lenOf(s)}\n${s}`);
}
console.log = console.info = console.warn = console.error = console.debug = log;

// ---- requests and responses whose string body is kept as a string ----
// A real Request/Response given a string body builds a ReadableStream for
// it (undici: a transferable stream, ~10 us), and every Request an
// AbortSignal (another transferable) it never fires. The module still gets
// real ones (instanceof Request/Response, undici's headers, url, status):
// a string body is held as a string, and `text()`/`json()` read it; the
// stream (`body`, `arrayBuffer()`, `blob()`, `bytes()`, `formData()`) is
// built on first use by a real object with the same body (the delegate);
// `clone()` copies. A request's `signal` is a real AbortSignal made when
// first read (qsim never aborts a request): undici's own slot gets one
// shared signal instead (docs/worker-host.md, "Conformance and speed").
const RealResponse = Response, RealRequest = Request, RealAC = AbortController;
const kText = Symbol('qsim.text'), kUsed = Symbol('qsim.used'), kReal = Symbol('qsim.real'), kSig = Symbol('qsim.signal');
const TEXT_PLAIN = 'text/plain;charset=UTF-8';
const NULL_BODY = new Set([101, 204, 205, 304]);
const SHARED_SIGNAL = new RealAC().signal;
class NoSignalAC { get signal() { return SHARED_SIGNAL; } abort() {} }
const BODY_MISUSED = 'Body is unusable: Body has already been read';
// the string-body methods, shared by QRequest and QResponse; `base` is the
// real class, `real(o)` builds o's delegate
function lazyBody(C, base, real) {
  const bodyGet = Object.getOwnPropertyDescriptor(base.prototype, 'body').get;
  const usedGet = Object.getOwnPropertyDescriptor(base.prototype, 'bodyUsed').get;
  const delegate = (o) => {
    if (!o[kReal]) {
      o[kReal] = real(o);
      if (o[kUsed]) o[kReal].text(); // already read: so is the delegate
    }
    return o[kReal];
  };
  const readText = (o) => {
    if (o[kReal]) return o[kReal].text();
    if (o[kUsed]) return Promise.reject(new TypeError(BODY_MISUSED));
    o[kUsed] = true;
    return Promise.resolve(o[kText]);
  };
  const P = C.prototype;
  const def = (name, d) => Object.defineProperty(P, name, { configurable: true, writable: true, ...d });
  Object.defineProperty(P, 'body', { configurable: true, get() { return this[kText] === undefined ? bodyGet.call(this) : delegate(this).body; } });
  Object.defineProperty(P, 'bodyUsed', { configurable: true, get() {
    return this[kText] === undefined ? usedGet.call(this) : this[kReal] ? this[kReal].bodyUsed : !!this[kUsed]; } });
  def('text', { value() { return this[kText] === undefined ? base.prototype.text.call(this) : readText(this); } });
  def('json', { value() {
    return this[kText] === undefined ? base.prototype.json.call(this) : readText(this).then((t) => JSON.parse(t)); } });
  for (const m of ['arrayBuffer', 'blob', 'bytes', 'formData']) {
    if (typeof base.prototype[m] !== 'function') continue;
    def(m, { value(...a) { return this[kText] === undefined ? base.prototype[m].apply(this, a) : delegate(this)[m](...a); } });
  }
}
class QResponse extends RealResponse {
  // type: the content-type when init gives none (Response.json passes
  // application/json; the module's calls leave it: text/plain)
  constructor(body, init, type = TEXT_PLAIN) {
    if (typeof body !== 'string') {
      super(body, init);
      return;
    }
    super(null, init);
    if (NULL_BODY.has(this.status)) throw new TypeError(`Response constructor: Invalid response status code ${this.status}`);
    this[kText] = body;
    if (!this.headers.has('content-type')) this.headers.set('content-type', typeof type === 'string' ? type : TEXT_PLAIN);
  }
  static json(data, init) {
    const s = JSON.stringify(data);
    if (s === undefined) throw new TypeError('Value is not JSON serializable');
    return new QResponse(s, init, 'application/json');
  }
  clone() {
    if (this[kText] === undefined) return super.clone();
    if (this.bodyUsed) throw new TypeError('Response.clone: Body has already been consumed.');
    return new QResponse(this[kText], { status: this.status, statusText: this.statusText, headers: this.headers });
  }
}
lazyBody(QResponse, RealResponse, (o) => new RealResponse(o[kText], { status: o.status, statusText: o.statusText, headers: o.headers }));
globalThis.Response = QResponse;
// the body the host sends back: the string (read or not, as before), or
// the real body read (a promise)
const responseText = (r) => (r[kText] !== undefined && !r[kReal] ? r[kText] : r.body === null ? '' : r.text());
class QRequest extends RealRequest {
  // only the host makes these: (url, { method, headers: plain object, body: string or undefined })
  constructor(url, init) {
    const body = init.body;
    const prev = globalThis.AbortController; // the module's own, if it replaced it
    globalThis.AbortController = NoSignalAC; // undici asks the global for its controller
    try {
      super(url, { method: init.method, headers: init.headers });
    } finally {
      globalThis.AbortController = prev;
    }
    if (typeof body === 'string') {
      this[kText] = body;
      if (!this.headers.has('content-type')) this.headers.set('content-type', TEXT_PLAIN);
    }
  }
  get signal() { return this[kSig] || (this[kSig] = new RealAC().signal); }
  clone() {
    if (this[kText] === undefined) return super.clone();
    if (this.bodyUsed) throw new TypeError('unusable'); // undici's words
    return new QRequest(this.url, { method: this.method, headers: this.headers, body: this[kText] });
  }
}
lazyBody(QRequest, RealRequest, (o) => new RealRequest(o.url, { method: o.method, headers: o.headers, body: o[kText] }));

// ---- KV binding ----
const ERR = ['', '', 'KV: transient error', 'KV PUT failed: 429 Too Many Requests',
  'KV: value or key too large', 'KV: daily limit exceeded', 'KV: too many API requests by a single Worker invocation'];
const META_MAX = 1024;     // bytes of metadata (developers.cloudflare.com/kv/platform/limits)
const CACHE_TTL_MIN = 30;  // s: the smallest cacheTtl (same page)
class KVNamespace {
  constructor(inv) { this.inv = inv; }
  // get and getWithMetadata: one promise each, settled by the result's
  // handler with the converted value (fin)
  get(key, opt) { return this.read(key, opt, false); }
  getWithMetadata(key, opt) { return this.read(key, opt, true); }
  read(key, opt, withMeta) {
    const type = typeof opt === 'string' ? opt : (opt && opt.type) || 'text';
    if (opt && typeof opt === 'object' && opt.cacheTtl != null && !(Number(opt.cacheTtl) >= CACHE_TTL_MIN))
      return Promise.reject(new Error(`KV GET failed: 400 Invalid cache_ttl of ${opt.cacheTtl}. Cache TTL must be at least ${CACHE_TTL_MIN}.`));
    const fin = withMeta ? (v, m) => ({ value: convert(v, type), metadata: m == null ? null : JSON.parse(m), cacheStatus: null })
      : type === 'text' ? null : (v) => convert(v, type);
    // cacheTtl: how long the location keeps the copy this get fetches
    // (docs/model.md, "cacheTtl"); whole seconds, as Cloudflare's API takes them
    const ttl = opt && typeof opt === 'object' && opt.cacheTtl != null ? Math.min(Math.floor(Number(opt.cacheTtl)), 31536000) : 0;
    return this.inv.op('G', String(key), null, ttl, null, fin);
  }
  put(key, value, opts) {
    if (typeof value !== 'string') {
      if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) value = Buffer.from(value.buffer || value).toString('latin1');
      else return Promise.reject(new TypeError('KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.'));
    }
    let ttl = 0;
    if (opts && opts.expirationTtl != null) ttl = Math.floor(Number(opts.expirationTtl));
    else if (opts && opts.expiration != null) ttl = Math.floor(Number(opts.expiration)) - Math.floor(simMs() / 1000);
    if ((opts && (opts.expirationTtl != null || opts.expiration != null)) && !(ttl >= 60))
      return Promise.reject(new Error('KV PUT failed: 400 Invalid expiration_ttl of ' + ttl + '. Expiration TTL must be at least 60.'));
    let meta = null;
    if (opts && opts.metadata !== undefined && opts.metadata !== null) {
      meta = JSON.stringify(opts.metadata);
      if (lenOf(meta) > META_MAX)
        return Promise.reject(new Error(`KV PUT failed: 413 Metadata length of ${lenOf(meta)} exceeds limit of ${META_MAX}.`));
    }
    return this.inv.op('P', String(key), value, ttl, meta, toUndefined);
  }
  delete(key) { return this.inv.op('D', String(key), null, 0, null, toUndefined); }
  list(opts) {
    const prefix = opts && opts.prefix != null ? String(opts.prefix) : '';
    const cursor = opts && opts.cursor != null ? String(opts.cursor) : '';
    const limit = opts && opts.limit != null ? Math.floor(Number(opts.limit)) : 1000;
    if (!(limit >= 1 && limit <= 1000))
      return Promise.reject(new Error(`KV LIST failed: 400 Invalid key_count_limit of ${opts.limit}. Please specify an integer between 1 and 1000.`));
    return this.inv.op('K', prefix, cursor, limit, null, listPage);
  }
}
const toUndefined = () => undefined;
function listPage(v) {
  const page = JSON.parse(v);
  if (page.list_complete) delete page.cursor;
  page.cacheStatus = null;
  return page;
}
function convert(v, type) {
  if (v === null) return null;
  switch (type) {
    case 'text': return v;
    case 'json': return JSON.parse(v);
    case 'arrayBuffer': return new Uint8Array(Buffer.from(v)).buffer;
    case 'stream': return new Blob([v]).stream();
    default: throw new TypeError(`Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".`);
  }
}

// ---- invocations ----
class Invocation {
  constructor(id, seed) {
    this.id = id;
    this.seed = seed;     // its generator is made when first drawn from
    this.gen = null;
    this.q = [];          // KV calls awaiting their result, in issue order
    this.waits = 0;       // ctx.waitUntil promises not yet settled
    this.timers = 0;      // its timers not yet fired
    this.responded = false;
    this.ended = false;
  }
  rand() {
    if (!this.gen) {
      const s = BigInt.asUintN(64, BigInt(this.seed));
      this.gen = sfc32(Number(s & 0xffffffffn), Number(s >> 32n), 0x9e3779b9, 0x243f6a88);
      for (let i = 0; i < 12; i++) this.gen();
    }
    return this.gen();
  }
  // One KV call; its promise settles when qsim sends the result, with
  // fin(value or null, metadata text or null), or the value when fin is
  // null.
  op(kind, key, value, ttl, meta, fin) {
    if (kind !== 'K' && (key === '' || key === '.' || key === '..'))
      return Promise.reject(new TypeError(`Key name cannot be empty, "." or ".." (got ${JSON.stringify(key)}).`));
    return new Promise((resolve, reject) => {
      this.q.push({ resolve, reject, key, fin });
      const kl = lenOf(key);
      if (kind === 'G') emit(ttl > 0 ? `G ${this.id} ${kl} ${ttl}\n${key}` : `G ${this.id} ${kl}\n${key}`);
      else if (kind === 'P') {
        if (meta === null) emit(`P ${this.id} ${kl} ${lenOf(value)} ${ttl} -1\n${key}${value}`);
        else emit(`P ${this.id} ${kl} ${lenOf(value)} ${ttl} ${lenOf(meta)}\n${key}${value}${meta}`);
      } else if (kind === 'D') emit(`D ${this.id} ${kl}\n${key}`);
      else emit(`K ${this.id} ${kl} ${ttl} ${lenOf(value)}\n${key}${value}`); // list: prefix, limit, cursor
    });
  }
  ctx() {
    return {
      waitUntil: (p) => {
        this.waits++;
        Promise.resolve(p).catch((e) => { const c = cur; cur = this; log('Uncaught (in waitUntil)', e); cur = c; })
          .finally(() => { this.waits--; this.maybeEnd(); });
      },
      passThroughOnException() {},
    };
  }
  respond(status, body) {
    this.responded = true;
    emit(`W ${this.id} ${status} ${lenOf(body)}\n${body}`);
    this.maybeEnd();
  }
  maybeEnd() {
    if (this.responded && this.waits === 0 && !this.ended) {
      this.ended = true;
      invs.delete(this.id);
      emit(`E ${this.id}\n`);
    }
  }
}
const invs = new Map();
const held = new Map(); // key -> the last value qsim sent for it (R ... -2)
let mod = null, vars = {}, kvNames = [];
function makeEnv(inv) {
  const env = { ...vars };
  const kv = new KVNamespace(inv);
  for (const n of kvNames) env[n] = kv;
  return env;
}
async function runFetch(inv, req) {
  try {
    const request = new QRequest(req.u, { method: req.m, headers: req.h || {}, body: req.m === 'GET' || req.m === 'HEAD' ? undefined : req.b });
    const r = await mod.fetch(request, makeEnv(inv), inv.ctx());
    cur = inv;
    if (!(r instanceof RealResponse)) throw new TypeError('fetch() must return a Response');
    let body = responseText(r);
    if (typeof body !== 'string') body = await body;
    inv.respond(r.status, body);
  } catch (e) {
    cur = inv;
    log('Uncaught', e);
    inv.respond(500, ''); // Cloudflare error 1101: the Worker threw
  }
}
async function runScheduled(inv, cron) {
  try {
    if (typeof mod.scheduled !== 'function') throw new Error('the module has no scheduled() handler');
    await mod.scheduled({ cron, scheduledTime: simMs(), type: 'scheduled' }, makeEnv(inv), inv.ctx());
    cur = inv;
    inv.respond(200, '');
  } catch (e) {
    cur = inv;
    log('Uncaught', e);
    inv.respond(500, '');
  }
}

// One message from qsim, handled; the idle report follows after a turn.
const toDrained = () => process.nextTick(drained);
function handle() {
  const t = readHeader();
  switch (t) {
    case 83: case 67: { // S, C: the seed is 64 bits: read from the text
      const f = line().split(' ');
      const id = Number(f[1]);
      nowUs = Number(f[2]);
      const payload = readBytes(Number(f[4]));
      const inv = new Invocation(id, f[3]);
      invs.set(id, inv);
      cur = inv;
      if (t === 83) runFetch(inv, JSON.parse(payload));
      else runScheduled(inv, payload);
      break;
    }
    case 82: { // R
      const id = F[0];
      nowUs = F[1];
      // F[4]: metadata's length (own keys, lists), -1 none, or -3: a model
      // key's value to keep (qsim refers to it as -2 later)
      const res = F[2], n = F[3], mn = NF > 4 ? F[4] : -1;
      let v = n >= 0 ? readBytes(n) : null;
      const m = mn >= 0 ? readBytes(mn) : null;
      const inv = invs.get(id);
      if (!inv || inv.q.length === 0) fatal(`qsim sent a KV result for call ${id}, which has no KV call waiting`);
      cur = inv;
      const w = inv.q.shift();
      if (n === -2) { // the value this host last received for the key
        v = held.get(w.key);
        if (v === undefined) fatal(`qsim referred to a value of '${w.key}' this host never received`);
      } else if (v !== null && mn === -3) { // recent:comments' (own keys: never -2)
        held.set(w.key, v);
      }
      if (res > 1) w.reject(new Error(ERR[res] || 'KV error'));
      else if (w.fin === null) w.resolve(v);
      else {
        let r;
        try { r = w.fin(v, m); } catch (e) { w.reject(e); break; }
        w.resolve(r);
      }
      break;
    }
    case 84: { // T
      const id = F[0];
      nowUs = F[1];
      const tm = timers.get(id);
      if (!tm || tm.inv.ended) { timers.delete(id); break; } // cancelled with its invocation
      cur = tm.inv;
      if (tm.every >= 0) emit(`Z ${tm.inv.id} ${id} ${tm.every * 1000}\n`);
      else { timers.delete(id); tm.inv.timers--; }
      try { tm.fn(...tm.args); } catch (e) { log('Uncaught (in timer)', e); }
      break;
    }
    case 73: startSession(line().split(' ')); return; // I: in-process: the next run of this qsim (its next option)
    case 81: process.exit(0); // Q
    default: fatal(`unknown message '${String.fromCharCode(t)}' from qsim`);
  }
  // A tick queued from a microtask runs once the microtask queue is empty
  // (Node drains all microtasks before the next tick): that is "idle".
  queueMicrotask(toDrained);
}
// Idle unless some invocation waits on neither KV nor a timer (it awaits
// something of Node's own, such as a stream): then let the event loop run.
let spins = 0;
function drained() {
  for (const inv of invs.values()) {
    if (inv.q.length === 0 && !inv.ended && inv.timers === 0) {
      if (++spins > 10000) fatal(`call ${inv.id} awaits something that never settles (not KV, not a timer)`);
      setImmediate(drained);
      return;
    }
  }
  spins = 0;
  turn();
}
function turn() {
  cur = null;
  flush();
  handle();
}

// A session: one qsim world (one option of a run). Pipes: one per process.
// In-process, the next option's world starts another in the same process:
// the host's state starts afresh and the module is imported again under
// another URL (a fresh instance of it; what it imports and globalThis are
// shared, docs/worker-host.md).
let sessions = 0;
function main() {
  // init: "I <len>\n{json}" with vars, epoch and binding names
  const f = readLine().split(' ');
  if (f[0] !== 'I') fatal('expected the init message');
  startSession(f);
}
async function startSession(f) {
  const init = JSON.parse(readBytes(Number(f[1])));
  const file = inproc ? init.module : process.argv[process.argv.length - 1];
  epochMs = init.epoch_ms;
  vars = init.vars || {};
  kvNames = init.kv || [];
  invs.clear(); held.clear(); timers.clear();
  nextTimer = 1; spins = 0; cur = null; mod = null; nowUs = 0;
  let url = pathToFileURL(path.resolve(file)).href;
  if (sessions++ > 0) {
    url += `?qsim-session=${sessions}`;
    for (const k of Object.keys(require.cache)) delete require.cache[k]; // CommonJS: afresh too
  }
  try {
    const m = await import(url);
    mod = m.default && typeof m.default === 'object' ? m.default : m;
  } catch (e) {
    fatal(`cannot load ${file}: ${e && e.message ? e.message : e}`);
  }
  if (typeof mod.fetch !== 'function') fatal(`${file}: the module exports no fetch() handler (export default { fetch })`);
  setImmediate(turn);
}
main();
