// body-worker.js - what a module sees of the Request it is given and of the
// Responses it makes (tests/test_worker_host.sh). The host keeps string
// bodies as strings and makes streams and signals only when asked
// (docs/worker-host.md, "Conformance and speed"); probe() observes what a
// module can: headers, body reads in every form, bodyUsed, clone, signal,
// the errors of misuse. The test runs probe() once more in plain node on a
// real Request built from the same method, url, headers and body, and
// requires the same observations.
const err = (e) => `${e && e.constructor && e.constructor.name}: ${e && e.message}`;
async function settle(p) {
  try { return await p; } catch (e) { return err(e); }
}
async function streamText(s) {
  if (s === null) return null;
  const r = s.getReader(), parts = [];
  for (;;) {
    const { done, value } = await r.read();
    if (done) break;
    parts.push(Buffer.from(value).toString('utf8'));
  }
  return parts.join('');
}

export async function probe(request) {
  const o = {};
  o.request = request instanceof Request;
  o.method = request.method;
  o.url = request.url;
  o.headers = [...request.headers];
  o.used0 = request.bodyUsed;
  o.signal = [request.signal instanceof AbortSignal, request.signal.aborted, request.signal === request.signal];
  const c = request.clone();
  o.cloneRequest = c instanceof Request;
  o.cloneText = await settle(c.text());
  o.cloneUsed = [c.bodyUsed, request.bodyUsed];
  o.cloneAgain = [await settle(c.text()), await settle(c.json()), c.bodyUsed, c.body !== null && c.body.locked];
  o.cloneJson = await settle(request.clone().json());
  o.bytes = await settle(request.clone().arrayBuffer().then((b) => b.byteLength));
  o.blob = await settle(request.clone().blob().then((b) => [b.size, b.type]));
  o.hasBody = request.body !== null;
  o.stream = await settle(streamText(request.body));
  o.used1 = request.bodyUsed;
  o.again = await settle(request.text());
  o.cloneAfter = (() => { try { request.clone(); return 'cloned'; } catch (e) { return err(e); } })();

  const r = new Response('h\u00e9llo', { status: 201, headers: { 'x-a': '1' } });
  o.r = [r instanceof Response, r.status, r.ok, r.statusText, [...r.headers], r.bodyUsed, r.body instanceof ReadableStream];
  const rc = r.clone();
  o.rClone = [rc instanceof Response, rc.status, [...rc.headers], await settle(rc.arrayBuffer().then((b) => b.byteLength)), rc.bodyUsed];
  o.rText = [await settle(r.text()), r.bodyUsed, await settle(r.text()), await settle(r.json())];
  o.rCloneUsed = (() => { try { r.clone(); return 'cloned'; } catch (e) { return err(e); } })();
  const r2 = new Response('twice');
  o.rTwice = [await settle(r2.text()), await settle(r2.text()), r2.bodyUsed, await settle(r2.arrayBuffer()), r2.body !== null];
  const rs = new Response('streamed');
  o.rStream = [await settle(streamText(rs.body)), rs.bodyUsed, await settle(rs.text())];
  const rb = new Response('blob');
  o.rBlob = await settle(rb.blob().then((b) => [b.size, b.type, rb.bodyUsed]));
  const rj = Response.json({ a: [1, 'x'] }, { status: 202 });
  o.rJson = [rj instanceof Response, rj.status, [...rj.headers], await settle(rj.json())];
  const rj2 = Response.json('x', { status: 200, statusText: 'fine', headers: { 'Content-Type': 'text/x', 'x-b': '2' } });
  o.rJson2 = [rj2.status, rj2.statusText, [...rj2.headers], await settle(rj2.text())];
  o.rJsonBad = [undefined, 1n].map((v) => { try { Response.json(v); return 'made'; } catch (e) { return err(e); } });
  const rn = new Response(null, { status: 204 });
  o.rNull = [rn.body, rn.bodyUsed, await settle(rn.text()), [...rn.headers]];
  o.r204 = (() => { try { new Response('', { status: 204 }); return 'made'; } catch (e) { return err(e); } })();
  const rt = new Response('typed', { headers: { 'content-type': 'text/html' } });
  o.rTyped = [[...rt.headers], await settle(rt.text())];
  return o;
}

export default {
  async fetch(request) {
    const { method, url } = request;
    const headers = Object.fromEntries(request.headers);
    const body = method === 'GET' ? undefined : await request.clone().text();
    console.log('probe ' + JSON.stringify({ input: { method, url, headers, body }, seen: await probe(request) }));
    if (new URL(url).pathname === '/api/queue/pending') return Response.json({ pending: [] });
    return new Response(JSON.stringify({ success: true }), { status: 201, headers: { 'content-type': 'application/json' } });
  },
};
