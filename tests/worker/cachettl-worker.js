// cachettl-worker.js - a get's cacheTtl sets how long the location keeps
// the copy that get fetches (docs/model.md, "cacheTtl"), for
// tests/test_worker_kvapi.sh: one bot polls every 40 s; every poll reads
// a (cacheTtl 30 s), b (no cacheTtl: the scenario's kv.cache_ttl, 60 s)
// and c (cacheTtl 300 s) and logs what it saw; polls 1 and 2 then write
// v1 and v2 to all three (this location does not see its own writes, so
// it sees them only once its copy has gone).
let n = 0;
export default {
  async fetch(request, env) {
    const KV = env.COMMENTS_KV;
    const step = ++n;
    const a = await KV.get('a', { cacheTtl: 30 });
    const b = await KV.get('b');
    const c = await KV.get('c', { type: 'text', cacheTtl: 300 });
    if (step <= 2) for (const k of ['a', 'b', 'c']) await KV.put(k, `v${step}`);
    console.log(`step${step} a=${a} b=${b} c=${c}`);
    return Response.json({ pending: [], kvStats: { reads: 3, writes: step <= 2 ? 3 : 0 } });
  },
};
