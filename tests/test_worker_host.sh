#!/bin/sh
# test_worker_host.sh - the worker host's clock, entropy and errors
# (docs/worker-host.md): Date/performance/Math.random/crypto come from qsim,
# so a JS-mode run is byte-identical when repeated; a missing module is a
# bad scenario (exit 2); a module that does not load, a host that dies, a
# delete of a model key and a missing node are runtime errors (exit 1),
# named, with no results written; a key of the module's own is a key. Skipped only when node is absent.
set -u
QSIM=${QSIM:-./qsim}
if ! command -v "${QSIM_NODE:-node}" > /dev/null 2>&1; then
    echo "worker host: skipped: node not found (sh tools/deps.sh installs Node.js)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $1"; [ -f "$tmp/err" ] && cat "$tmp/err"; fail=$((fail + 1)); }
# one bot polling every 3 s from 0 s for 30 s; every get takes 20 ms
INC=$tmp/poll.json
cat > "$INC" <<'JSON'
{ "name": "poll", "seed": 5, "duration": "30s", "options": ["0"],
  "kv": { "latency": { "get_hit": "20ms", "get_miss": "20ms", "put": "30ms" } },
  "bots": [ { "name": "bot-1", "poll_every": "3s", "first_poll": "0s", "generation": "1s" } ],
  "initial": { "plain": { "count": 3, "bytes": 400 } } }
JSON
# a scenario naming a worker module, with vars
scen() { # NAME MODULE VARS_JSON
    sed "s|^{|{ \"worker\": { \"module\": \"$2\", \"vars\": $3 },|" "$INC" > "$tmp/$1.json"
}
W=$(pwd)/tests/worker/clock-worker.js

# 1. clock and entropy: simulated time 0 is 1761868800000 ms; the first
# poll (call 1) starts at 0 and its get is a miss (20 ms in this scenario),
# so Date.now() is 1761868800000 before it and 1761868800020 after.
scen clock "$W" '{}'
"$QSIM" run "$tmp/clock.json" -o 0 -q --out "$tmp/o1" --trace "$tmp/t1.jsonl" 2> "$tmp/err" || bad "clock run"
"$QSIM" run "$tmp/clock.json" -o 0 -q --out "$tmp/o2" --trace "$tmp/t2.jsonl" 2> "$tmp/err" || bad "clock rerun"
first=$(grep -m1 '"type":"log"' "$tmp/t1.jsonl")
case $first in
*'"call":1,'*'now=1761868800000 after=1761868800020 new=1761868800020 perf=20 rand=0.'*'opt=0"}') ok ;;
*) echo "first log: $first"; bad "Date.now/performance.now follow simulated time" ;;
esac
cmp -s "$tmp/t1.jsonl" "$tmp/t2.jsonl" && ok || bad "a repeated JS-mode run is byte-identical"
[ "$(grep -c '"type":"log"' "$tmp/t1.jsonl")" -gt 1 ] &&
    [ "$(grep '"type":"log"' "$tmp/t1.jsonl" | sed 's/.*rand=\([0-9.]*\).*/\1/' | sort -u | wc -l)" -gt 1 ] && ok ||
    bad "Math.random differs between invocations"

# expect FILE-OR-ARGS CODE SUBSTRING NAME: a refused run, nothing written
refuse() {
    code=$1; want=$2; name=$3; shift 3
    "$QSIM" run "$@" -q --out "$tmp/r" > /dev/null 2> "$tmp/err"; rc=$?
    if [ $rc = "$code" ] && grep -q -- "$want" "$tmp/err" && [ ! -e "$tmp/r/results.json" ]; then ok
    else echo "rc=$rc"; bad "$name"; fi
}
refuse 2 "cannot read 'no/such.js'" "--worker with a missing module" "$INC" --worker no/such.js
scen missing "no-such-worker.js" '{}'
refuse 2 "worker.module: cannot read" "scenario worker.module missing" "$tmp/missing.json"
printf 'export default { fetch( {\n' > "$tmp/syntax.js"
refuse 1 "cannot load" "a module with a syntax error" "$INC" --worker "$tmp/syntax.js"
printf 'export default { hello() {} };\n' > "$tmp/nofetch.js"
refuse 1 "exports no fetch" "a module without fetch" "$INC" --worker "$tmp/nofetch.js"
scen crash "$W" '{ "CRASH_AT": "3" }'
refuse 1 "exited (status 9)" "the host dies mid-run" "$tmp/crash.json" -o 0
scen badkey "$W" '{ "BAD_KEY": "1" }'
refuse 1 "worker deleted 'recent:comments'" "a delete of a model key JS mode cannot model" "$tmp/badkey.json" -o 0
# a key of the module's own is an opaque key (docs/worker-host.md)
scen ownkey "$W" '{ "OWN_KEY": "1" }'
"$QSIM" run "$tmp/ownkey.json" -o 0 -q --out "$tmp/o3" --trace "$tmp/t3.jsonl" 2> "$tmp/err" &&
    grep -q '"op":"get","key":"session:42","result":"miss"' "$tmp/t3.jsonl" &&
    grep -q '"text":"own=null"' "$tmp/t3.jsonl" && ok || bad "a key of the module's own"
# the Request a module is given and the Responses it makes behave as real
# ones (the host keeps string bodies as strings, docs/worker-host.md): for
# a POST with a JSON body and a GET, tests/worker/body-worker.js observes
# headers, every way to read a body, bodyUsed, clone, signal and misuse;
# the same probe on a real Request of the same method, url, headers and
# body in plain node (undici's own classes) must observe the same.
cat > "$tmp/body.json" <<'JSON'
{ "name": "body", "seed": 5, "duration": "4s", "options": ["0"],
  "kv": { "latency": { "get_hit": "20ms", "get_miss": "20ms", "put": "30ms" } },
  "humans": [ { "name": "h", "rate_per_s": 2, "bytes": 300 } ],
  "bots": [ { "name": "bot-1", "poll_every": "3s", "first_poll": "0s", "generation": "1s" } ] }
JSON
if "$QSIM" run "$tmp/body.json" -o 0 -q --worker tests/worker/body-worker.js --out "$tmp/o4" --trace "$tmp/t4.jsonl" \
        2> "$tmp/err"; then
    grep '"type":"log"' "$tmp/t4.jsonl" | node -e '
const lines = require("fs").readFileSync(0, "utf8").trim().split("\n").map((l) => JSON.parse(l).text);
import(require("path").resolve("tests/worker/body-worker.js")).then(async ({ probe }) => {
  let n = 0, post = 0, get = 0;
  for (const t of lines) {
    const { input, seen } = JSON.parse(t.replace(/^probe /, ""));
    const real = await probe(new Request(input.url, { method: input.method, headers: input.headers, body: input.body }));
    const a = JSON.stringify(seen), b = JSON.stringify(real);
    if (a !== b) { console.log("qsim: " + a + "\nreal: " + b); process.exit(1); }
    n++; if (input.method === "POST") post++; else get++;
  }
  if (post < 2 || get < 2) { console.log(`too few requests: ${post} POST, ${get} GET`); process.exit(1); }
});' > "$tmp/bodycmp" 2>&1 && ok || { cat "$tmp/bodycmp"; bad "Request and Response as undici makes them"; }
else
    bad "the body-worker run"
fi
# the host swaps undici's AbortController only while it builds a Request:
# a module that installs its own keeps it, and request.signal is real
cat > "$tmp/ac.js" <<'JS'
class MyAC extends AbortController {}
globalThis.AbortController = MyAC;
export default { async fetch(req) {
  console.log(`ac=${globalThis.AbortController === MyAC} sig=${req.signal instanceof AbortSignal && !req.signal.aborted}`);
  return Response.json({ pending: [] }); } };
JS
"$QSIM" run "$INC" -o 0 -q --worker "$tmp/ac.js" --out "$tmp/o5" --trace "$tmp/t5.jsonl" 2> "$tmp/err" &&
    [ "$(grep -c '"text":"ac=true sig=true"' "$tmp/t5.jsonl")" -ge 3 ] &&
    ! grep -q '"text":"ac=false\|sig=false' "$tmp/t5.jsonl" && ok || bad "a module's own AbortController"
QSIM_NODE=/nonexistent/node refuse 1 "cannot run node" "node missing at run time" "$INC" --worker "$W"
echo "worker host: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
