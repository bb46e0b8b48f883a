// user-worker.js - a user's Worker that keeps its queue in KV keys of its
// own (not the seed's): one key per message, its state in the key's
// metadata, found with list, removed with delete, a short-lived "seen"
// marker with expirationTtl. It serves the seed's API, so qsim's actors
// drive it under any scenario (tests/test_worker_kvapi.sh runs it under
// every scenario in scenarios/faults). KV errors are answered 503.
const Q = 'q:';
function json(data, status = 200) {
  return new Response(JSON.stringify(data), { status, headers: { 'content-type': 'application/json' } });
}
async function handle(request, env) {
  const KV = env.COMMENTS_KV;
  const url = new URL(request.url);
  const route = `${request.method} ${url.pathname}`;
  let reads = 0, writes = 0;
  if (route === 'POST /api/comments') {
    const c = await request.json();
    await KV.put(Q + c.id, JSON.stringify(c), { metadata: { state: c.botParams ? 'pending' : 'plain', tries: 0 } });
    await KV.put(`seen:${c.id}`, '1', { expirationTtl: 60 });
    return json({ success: true }, 201);
  }
  if (route === 'GET /api/queue/pending') {
    const limit = Number(url.searchParams.get('limit') || 10);
    const pending = [];
    let cursor;
    do { // pages of 50: the cursor is exercised once the queue grows
      const page = await KV.list({ prefix: Q, limit: 50, cursor });
      reads++;
      for (const k of page.keys)
        if (k.metadata && k.metadata.state === 'pending' && pending.length < limit) pending.push({ id: k.name.slice(Q.length) });
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor && pending.length < limit);
    return json({ pending, kvStats: { reads, writes } });
  }
  if (route === 'GET /api/comments') {
    const page = await KV.list({ prefix: Q, limit: Number(url.searchParams.get('limit') || 200) });
    return json({ comments: page.keys.map((k) => k.name) });
  }
  const body = await request.json();
  const key = Q + body.messageId;
  const { value, metadata } = await KV.getWithMetadata(key);
  if (value === null) return json({ error: 'not found' }, 404);
  const meta = metadata || { tries: 0 };
  if (route === 'POST /api/queue/claim') {
    await KV.put(key, value, { metadata: { ...meta, state: 'processing', bot: body.botId } });
  } else if (route === 'POST /api/queue/complete') {
    await KV.delete(key);
  } else if (route === 'POST /api/queue/fail') {
    if (meta.tries + 1 >= 3) await KV.delete(key);
    else await KV.put(key, value, { metadata: { ...meta, state: 'pending', tries: meta.tries + 1 } });
  } else {
    return json({ error: 'no route' }, 404);
  }
  return json({ success: true });
}
export default {
  async fetch(request, env) {
    try {
      return await handle(request, env);
    } catch (e) {
      console.log('kv error:', e.message);
      return json({ error: e.message }, 503);
    }
  },
  async scheduled(event, env) {
    const page = await env.COMMENTS_KV.list({ prefix: 'seen:' });
    console.log(`cron: ${page.keys.length} seen`);
  },
};
