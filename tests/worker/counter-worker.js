// counter-worker.js - one key of its own rewritten on every request, for
// tests/test_worker_kvapi.sh (flat memory): each poll reads n and puts
// n + 1, so the run makes one value version per poll while only the
// newest (and a location's copy of an older one) can still be read.
export default {
  async fetch(request, env) {
    const KV = env.COMMENTS_KV;
    const n = Number((await KV.get('n')) || 0);
    await KV.put('n', String(n + 1));
    return Response.json({ pending: [], kvStats: { reads: 1, writes: 1 } });
  },
};
