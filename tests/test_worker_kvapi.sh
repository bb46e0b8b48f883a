#!/bin/sh
# test_worker_kvapi.sh - the KV binding beyond get/put in JS mode
# (docs/worker-host.md): keys of the module's own, delete, list with prefix,
# limit and cursor, expirationTtl honoured, metadata, list and delete billed
# as their own kinds; and a user's Worker that keeps its queue in such keys
# (tests/worker/user-worker.js) runs under every scenario in
# scenarios/faults (those of the deployed endpoints refuse --worker: exit
# 2), deterministically. Skipped only when node is absent.
set -u
QSIM=${QSIM:-./qsim}
if ! command -v "${QSIM_NODE:-node}" > /dev/null 2>&1; then
    echo "worker kv api: skipped: node not found (sh tools/deps.sh installs Node.js)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

# 1. semantics: one bot polls at 0, 30, 60, 90 s; kvapi-worker.js runs one
# step per poll. Gets of a key take 20 ms when fetched, puts 30 ms; a
# location keeps what it fetched for 60 s and does not see its own writes.
cat > "$tmp/kvapi.json" <<'JSON'
{ "name": "kvapi", "seed": 5, "duration": "100s", "options": ["0"],
  "kv": { "cache_ttl": "60s", "own_writes_visible": 0,
          "latency": { "get_hit": "1ms", "get_miss": "20ms", "put": "30ms" } },
  "bots": [ { "name": "bot-1", "poll_every": "30s", "first_poll": "0s", "generation": "1s" } ],
  "initial": { "plain": { "count": 3, "bytes": 400 } } }
JSON
if "$QSIM" run "$tmp/kvapi.json" --worker tests/worker/kvapi-worker.js -q --out "$tmp/k" --trace "$tmp/k.jsonl" \
        2> "$tmp/err"; then ok; else cat "$tmp/err"; bad "the kv api run"; fi
logline() { grep '"type":"log"' "$tmp/k.jsonl" | grep "\"text\":\"step$1 " | sed 's/.*"text":"//; s/"}$//'; }
# step 1: a:1 and a:2 listed in order, complete, no cursor; a:1's
# expiration 60 s ahead and its metadata; pages of one key chained by the
# cursor; the whole namespace (the model's keys too) in byte order; a TTL
# under 60 s and metadata over 1,024 bytes refused.
case $(logline 1) in
'step1 list=a:1,a:2 complete=true cursor=undefined | exp=60 meta={\"x\":1} | get=v1 meta={\"x\":1} | a2=v2 | page1=a:1 false page2=a:2 true | whole=a:1,a:2,b:1,comment:'*',recent:comments | ttl10=rejected | bigmeta=rejected') ok ;;
*) echo "got: $(logline 1)"; bad "list, metadata, expiration, pages, limits" ;;
esac
# step 2 (30 s): a:1 lives; after delete(a:2) this location still serves
# its copy of a:2 (fetched at 0.15 s, kept 60 s); list reads the store.
case $(logline 2) in
'step2 a1=v1 | a2=v2 | list=a:1') ok ;;
*) echo "got: $(logline 2)"; bad "delete lands in the store; the location's copy is stale" ;;
esac
# step 4 (90 s): a:1 expired at 60 s (put at 0 with expirationTtl 60), the
# copy of a:2 aged out; b:1 never expires.
case $(logline 4) in
'step4 a1=null a2=null b1=v3 | list=b:1,comment:'*',recent:comments') ok ;;
*) echo "got: $(logline 4)"; bad "expirationTtl is honoured" ;;
esac
# billing: 3 puts, 2 deletes, 6 lists (the refused puts never left the
# Worker); each delete and list priced like a write ($5.00 per million on
# the paid plan): 11 ops in 100 s = 9,504 a day = 0.04752 USD.
has() { grep -q "\"$1\":[[:space:]]*$2," "$tmp/k/results.json"; }
[ "$(grep -c '"op":"delete"' "$tmp/k.jsonl")" = 2 ] && [ "$(grep -c '"op":"list"' "$tmp/k.jsonl")" = 6 ] && ok ||
    bad "trace: delete and list lines"
has kv.writes 3 && has kv.deletes 2 && has kv.lists 6 && ok || bad "counters kv.writes 3, kv.deletes 2, kv.lists 6"
has cost.paid.day.kv_writes_pusd 47520000000 && ok || bad "deletes and lists billed like writes (0.04752 USD a day)"

# 2. a user's Worker under every fault scenario: the run completes (a
# failed expectation is the scenario's, written for the seed's code) and
# the Worker's own keys are used (list on every scenario with a poll).
for f in scenarios/faults/*.json; do
    name=${f##*/}
    if grep -q '"endpoints": *"deployed"' "$f"; then # the deployed Worker's own scenario: refused
        "$QSIM" run "$f" --worker tests/worker/user-worker.js -q --out "$tmp/d" > /dev/null 2> "$tmp/err"; rc=$?
        [ $rc = 2 ] && grep -q 'endpoints.*deployed.*the module is the endpoints' "$tmp/err" && [ ! -e "$tmp/d" ] && ok ||
            { echo "rc=$rc"; cat "$tmp/err"; bad "--worker with a deployed scenario ($name) is refused"; }
        continue
    fi
    "$QSIM" run "$f" --worker tests/worker/user-worker.js -q --force --days 0.005 --out "$tmp/u" \
        --trace "$tmp/u.jsonl" > /dev/null 2> "$tmp/err"; rc=$?
    if { [ $rc = 0 ] || { [ $rc = 1 ] && tail -n 1 "$tmp/err" | grep -q '^expectations:'; }; } &&
       [ -s "$tmp/u/results.json" ] && ! grep -q 'worker host\|worker used' "$tmp/err"; then ok
    else echo "rc=$rc"; tail -n 3 "$tmp/err"; bad "user-worker.js under $name"; fi
done
# polls list the queue, completes delete; transient errors reach the
# module (answered 503); repeated runs are byte-identical.
"$QSIM" run scenarios/faults/kv-failures.json --worker tests/worker/user-worker.js -q --days 0.01 -o 0 \
    --out "$tmp/f1" --trace "$tmp/f1.jsonl" > /dev/null 2>&1
"$QSIM" run scenarios/faults/kv-failures.json --worker tests/worker/user-worker.js -q --days 0.01 -o 0 \
    --out "$tmp/f2" --trace "$tmp/f2.jsonl" > /dev/null 2>&1
[ "$(grep -c '"op":"list"' "$tmp/f1.jsonl")" -gt 10 ] && [ "$(grep -c '"op":"delete"' "$tmp/f1.jsonl")" -gt 0 ] && ok ||
    bad "user-worker.js lists and deletes under kv-failures"
# A transient error reaches the module. The scenario's errors are rare (p
# 0.001 per get or list): its 0.01 days, about 330 operations, expect 0.4 of
# them, so whether one is drawn depends on the draws. The same room with
# get_error_prob 0.05 expects about 16 (none: a chance of 1e-7).
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); d["kv"]["get_error_prob"] = 0.05; d.pop("expect", None)
json.dump(d, open(sys.argv[2], "w"))' scenarios/faults/kv-failures.json "$tmp/kvf.json"
"$QSIM" run "$tmp/kvf.json" --worker tests/worker/user-worker.js -q --days 0.01 -o 0 \
    --out "$tmp/f3" --trace "$tmp/f3.jsonl" > /dev/null 2>&1
grep -q '"text":"kv error: KV: transient error"' "$tmp/f3.jsonl" && ok || bad "a transient error reaches the module"
cmp -s "$tmp/f1.jsonl" "$tmp/f2.jsonl" && [ -s "$tmp/f1.jsonl" ] && ok || bad "a repeated user-worker run is byte-identical"
echo "worker kv api: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
