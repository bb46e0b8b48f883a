// record-worker.js - seed-worker.js as qsim JS mode runs it, recorded for
// tests/test_worker_miniflare.sh: the initial KV state (first call), every
// request and its response, and the whole KV state after every
// GET /api/comments, as console lines in qsim's trace. replay.js sends the
// same requests, in the same order, to the same module on workerd
// (Miniflare) and requires the same responses and states.
import seed from '../seed-worker.js';

let first = true;
async function dump(kv) {
  const names = [];
  let cursor;
  do {
    const page = await kv.list({ cursor });
    for (const k of page.keys) names.push(k.name);
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  const state = {};
  for (const n of names) state[n] = await kv.get(n);
  return state;
}
export default {
  async fetch(request, env, ctx) {
    if (first) {
      first = false;
      console.log('STATE0 ' + JSON.stringify(await dump(env.COMMENTS_KV)));
    }
    const body = request.method === 'GET' ? null : await request.text();
    const headers = {};
    for (const [k, v] of request.headers) headers[k] = v;
    console.log('REQ ' + JSON.stringify({ m: request.method, u: request.url, h: headers, b: body }));
    const res = await seed.fetch(new Request(request.url, { method: request.method, headers, body }), env, ctx);
    const text = await res.text();
    console.log('RES ' + JSON.stringify({ s: res.status, r: text }));
    if (request.method === 'GET' && new URL(request.url).pathname === '/api/comments')
      console.log('STATE ' + JSON.stringify(await dump(env.COMMENTS_KV)));
    return new Response(text, { status: res.status, headers: res.headers });
  },
};
