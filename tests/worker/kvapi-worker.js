// kvapi-worker.js - exercises the KV binding's delete, list, expiration
// and metadata on keys of its own, for tests/test_worker_kvapi.sh: one bot
// polls every 30 s; poll n runs step n and logs what KV returned.
let n = 0;
const names = (page) => page.keys.map((k) => k.name).join(',');
export default {
  async fetch(request, env) {
    const KV = env.COMMENTS_KV;
    const step = ++n;
    const out = [];
    if (step === 1) { // t = 0 s
      await KV.put('a:1', 'v1', { expirationTtl: 60, metadata: { x: 1 } });
      await KV.put('a:2', 'v2');
      await KV.put('b:1', 'v3', { metadata: 'm' });
      const all = await KV.list({ prefix: 'a:' });
      out.push(`list=${names(all)} complete=${all.list_complete} cursor=${all.cursor}`);
      out.push(`exp=${all.keys[0].expiration - Math.floor(Date.now() / 1000)} meta=${JSON.stringify(all.keys[0].metadata)}`);
      const w = await KV.getWithMetadata('a:1');
      out.push(`get=${w.value} meta=${JSON.stringify(w.metadata)}`);
      out.push(`a2=${await KV.get('a:2')}`); // location copy, cached for cache_ttl
      const p1 = await KV.list({ prefix: 'a:', limit: 1 });
      const p2 = await KV.list({ prefix: 'a:', limit: 1, cursor: p1.cursor });
      out.push(`page1=${names(p1)} ${p1.list_complete} page2=${names(p2)} ${p2.list_complete}`);
      out.push(`whole=${names(await KV.list())}`);
      try { await KV.put('c:1', 'x', { expirationTtl: 10 }); out.push('ttl10=accepted'); } catch (e) { out.push('ttl10=rejected'); }
      try { await KV.put('c:1', 'x', { metadata: 'y'.repeat(1100) }); out.push('meta=accepted'); } catch (e) { out.push('bigmeta=rejected'); }
    } else if (step === 2) { // t = 30 s
      out.push(`a1=${await KV.get('a:1')}`);
      await KV.delete('a:2');
      out.push(`a2=${await KV.get('a:2')}`); // the copy from step 1: stale until it ages out
      out.push(`list=${names(await KV.list({ prefix: 'a:' }))}`);
      await KV.delete('never:was');
    } else if (step === 4) { // t = 90 s: a:1 expired at 60 s; the a:2 copy aged out
      out.push(`a1=${await KV.get('a:1')} a2=${await KV.get('a:2')} b1=${await KV.get('b:1')}`);
      out.push(`list=${names(await KV.list())}`);
    }
    if (out.length) console.log(`step${step} ${out.join(' | ')}`);
    return Response.json({ pending: [], kvStats: { reads: 0, writes: 0 } });
  },
};
