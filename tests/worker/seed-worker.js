// seed-worker.js - the write-up's comments-worker.js endpoints as a Worker
// module (write-up 164: shared/seed/000_983cafdeabe1f3ae.txt), for qsim's
// worker host and its conformance test (tests/test_worker_conformance.sh).
//
// Written in the write-up's style; where the write-up elides code (post,
// claim, the individual-key step of complete/fail) it follows MODEL.md
// section 2 and docs/model.md, the same choices as model/endpoint.c.
// env.QSIM_OPTION selects the pending endpoint: "1" is Option 1 exactly as
// proposed (self-heal, current key format only, one blind put); anything
// else is Option 0, the current code. The cache keeps the newest
// env.QSIM_CACHE_WINDOW messages (the write-up's 200 by default).
const CACHE_KEY = 'recent:comments';

function json(data, status = 200) {
  return new Response(JSON.stringify(data), { status, headers: { 'content-type': 'application/json' } });
}

// comment:<ts>:<id>, the format of messages written before the key migration
function legacyKey(id) {
  const timestamp = id.split('-')[0];
  return `comment:${timestamp}:${id}`;
}

// Try NEW key format first, then OLD key format (backwards compatibility)
async function lookup(env, messageId) {
  let key = `comment:${messageId}`;
  let data = await env.COMMENTS_KV.get(key);
  if (!data) {
    key = legacyKey(messageId);
    data = await env.COMMENTS_KV.get(key);
  }
  return { key, message: data ? JSON.parse(data) : null };
}

async function handlePostComment(request, env) {
  const comment = await request.json();
  const key = request.headers.get('x-qsim-legacy-key') === '1' ? legacyKey(comment.id) : `comment:${comment.id}`;
  await env.COMMENTS_KV.put(key, JSON.stringify(comment));

  // Update cache (newest window messages of every type)
  try {
    const window = Number(env.QSIM_CACHE_WINDOW || 200);
    const cachedData = await env.COMMENTS_KV.get(CACHE_KEY);
    let cached = cachedData ? JSON.parse(cachedData) : [];
    cached.push(comment);
    if (cached.length > window) cached = cached.slice(-window);
    await env.COMMENTS_KV.put(CACHE_KEY, JSON.stringify(cached));
  } catch (cacheError) {
    console.log('[Comments] Cache update failed (non-critical):', cacheError.message);
  }
  return json({ success: true, comment }, 201);
}

async function handleGetComments(env, url) {
  try {
    const cachedData = await env.COMMENTS_KV.get(CACHE_KEY);
    const cached = cachedData ? JSON.parse(cachedData) : [];
    const limit = Number(url.searchParams.get('limit') || 200);
    return json({ comments: cached.slice(-limit) });
  } catch (error) {
    return json({ comments: [] });
  }
}

async function handleGetPending(env, url) {
  let kvReads = 0;

  // 1. Read cache (1 read)
  const cachedData = await env.COMMENTS_KV.get(CACHE_KEY);
  kvReads++; // = 1

  const cached = JSON.parse(cachedData);
  let allMessages = [];

  // 2. For each message in cache with botParams.entity
  for (const msg of cached) {
    if (msg.botParams?.entity && msg['message-type'] === 'human') {
      const cacheStatus = msg.botParams?.status;

      // OPTIMIZATION: Skip verification for terminal states
      if (cacheStatus === 'complete' || cacheStatus === 'failed') {
        continue;
      }

      // Try NEW key format first
      let actualData = await env.COMMENTS_KV.get(`comment:${msg.id}`);
      kvReads++;

      // If not found, try OLD key format (backwards compatibility)
      if (!actualData) {
        actualData = await env.COMMENTS_KV.get(legacyKey(msg.id));
        kvReads++;
      }

      // Use actual KV data, not cache
      if (actualData) {
        const actualMsg = JSON.parse(actualData);
        if (actualMsg.botParams?.status === 'pending') {
          allMessages.push(actualMsg);
        }
      }
    }
  }

  return json({ pending: allMessages, kvStats: { reads: kvReads, writes: 0 } });
}

// Option 1: Self-Healing in /api/queue/pending, as the write-up proposes it
async function handleGetPendingSelfHeal(env, url) {
  let kvReads = 0;
  let kvWrites = 0;

  const cachedData = await env.COMMENTS_KV.get(CACHE_KEY);
  kvReads++;

  const cached = JSON.parse(cachedData);
  let allMessages = [];
  let cacheNeedsUpdate = false;

  for (const msg of cached) {
    if (msg.botParams?.entity && msg['message-type'] === 'human') {
      const cacheStatus = msg.botParams?.status;

      if (cacheStatus === 'complete' || cacheStatus === 'failed') {
        continue;
      }

      const actualData = await env.COMMENTS_KV.get(`comment:${msg.id}`);
      kvReads++;

      if (actualData) {
        const actualMsg = JSON.parse(actualData);
        const actualStatus = actualMsg.botParams?.status;

        // SELF-HEALING: If cache is wrong, fix it
        if (cacheStatus !== actualStatus) {
          console.log(`[Queue] Self-heal: ${msg.id} cache=${cacheStatus} actual=${actualStatus}`);
          const index = cached.findIndex(c => c.id === msg.id);
          if (index >= 0) {
            cached[index].botParams.status = actualStatus;
            cached[index].botParams.processed = (actualStatus === 'complete' || actualStatus === 'failed');
            cacheNeedsUpdate = true;
          }
        }

        if (actualStatus === 'pending') {
          allMessages.push(actualMsg);
        }
      }
    }
  }

  if (cacheNeedsUpdate) {
    try {
      await env.COMMENTS_KV.put(CACHE_KEY, JSON.stringify(cached));
      kvWrites++;
      console.log('[Queue] Cache self-healed, wrote updated cache');
    } catch (error) {
      console.error('[Queue] Self-heal write failed:', error.message);
    }
  }

  return json({ pending: allMessages, kvStats: { reads: kvReads, writes: kvWrites } });
}

// The cache update of claim/complete/fail: one try, errors only logged
async function updateCache(env, messageId, status) {
  try {
    const cachedData = await env.COMMENTS_KV.get(CACHE_KEY);
    if (cachedData) {
      const cached = JSON.parse(cachedData);
      const index = cached.findIndex(c => c.id === messageId);
      if (index >= 0) {
        cached[index].botParams.status = status;
        if (status === 'complete' || status === 'failed') cached[index].botParams.processed = true;
        await env.COMMENTS_KV.put(CACHE_KEY, JSON.stringify(cached));
        console.log('[Queue] Cache updated for:', messageId);
      }
    }
  } catch (cacheError) {
    console.log('[Queue] Cache update failed (non-critical):', cacheError.message);
  }
}

async function handleClaimMessage(request, env) {
  const { messageId, botId } = await request.json();
  const { key, message } = await lookup(env, messageId);
  if (!message) return json({ error: 'Message not found' }, 404);
  if (message.botParams?.status !== 'pending') return json({ error: 'Message not pending' }, 409);
  message.botParams.status = 'processing';
  await env.COMMENTS_KV.put(key, JSON.stringify(message));
  await updateCache(env, messageId, 'processing');
  return json({ success: true, messageId, botId });
}

async function handleFinishMessage(request, env, status) {
  const { messageId } = await request.json();
  const { key, message } = await lookup(env, messageId);
  if (!message) return json({ error: 'Message not found' }, 404);
  message.botParams.status = status; // no botParams: TypeError, 500
  message.botParams.processed = true;
  await env.COMMENTS_KV.put(key, JSON.stringify(message));
  await updateCache(env, messageId, status);
  return json({ success: true, messageId });
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const route = `${request.method} ${url.pathname}`;
    switch (route) {
      case 'POST /api/comments': return handlePostComment(request, env);
      case 'GET /api/comments': return handleGetComments(env, url);
      case 'GET /api/queue/pending':
        return env.QSIM_OPTION === '1' ? handleGetPendingSelfHeal(env, url) : handleGetPending(env, url);
      case 'POST /api/queue/claim': return handleClaimMessage(request, env);
      case 'POST /api/queue/complete': return handleFinishMessage(request, env, 'complete');
      case 'POST /api/queue/fail': return handleFinishMessage(request, env, 'failed');
      default: return json({ error: 'Not found' }, 404);
    }
  },
  async scheduled(event, env, ctx) {},
};
