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

# 1b. cacheTtl per get: the copy a get fetches stays at the location for
# the get's cacheTtl (docs/model.md, "cacheTtl"). One bot polls at 0, 40,
# ..., 320 s; each poll gets a (cacheTtl 30 s), b (none: kv.cache_ttl 60 s)
# and c (cacheTtl 300 s), one after another (a miss takes 20 ms, a hit 1
# ms), and polls 1 and 2 then put v1, v2 to each (landing 30 ms later;
# this location does not see its own writes). Copies fetched at 0.02 s
# (a), 0.04 s (b), 0.06 s (c), all misses:
# - a's copy ends at 30.02 s: the poll at 40 s fetches v1 (until 70.02),
#   the one at 80 s v2; every later poll fetches again (40 s > 30 s).
# - b's ends at 60.04 s: 40 s serves the stale miss, 80 s fetches v2.
# - c's ends at 300.06 s: null at every poll up to 280 s, v2 at 320 s.
# With kv.cache_ttl for every copy a would read null at 40 s and c v2 at
# 80 s. Background refresh (a get served in the last 10 % of its copy's
# life, here of its cacheTtl): only c's get at 280 s (in [270.06, 300.06))
# refreshes; b's gets at 40.02 s, 120.02 s, 200.02 s, 280.02 s fall before
# its windows' starts (54.04, 134.04, 214.04, 294.04 s), a's copies never
# serve. So kv.refreshes.other.default is 1 (0 if the window stayed 6 s).
cat > "$tmp/cttl.json" <<'JSON'
{ "name": "cachettl", "seed": 5, "duration": "330s", "options": ["0"],
  "kv": { "cache_ttl": "60s", "own_writes_visible": 0,
          "latency": { "get_hit": "1ms", "get_miss": "20ms", "put": "30ms" } },
  "bots": [ { "name": "bot-1", "poll_every": "40s", "first_poll": "0s", "generation": "1s" } ],
  "initial": { "plain": { "count": 3, "bytes": 400 } } }
JSON
if "$QSIM" run "$tmp/cttl.json" --worker tests/worker/cachettl-worker.js -q --out "$tmp/ct" --trace "$tmp/ct.jsonl" \
        2> "$tmp/err"; then ok; else cat "$tmp/err"; bad "the cacheTtl run"; fi
grep '"type":"log"' "$tmp/ct.jsonl" | sed 's/.*"text":"//; s/"}$//' > "$tmp/ct.log"
cat > "$tmp/ct.want" <<'EOF'
step1 a=null b=null c=null
step2 a=v1 b=null c=null
step3 a=v2 b=v2 c=null
step4 a=v2 b=v2 c=null
step5 a=v2 b=v2 c=null
step6 a=v2 b=v2 c=null
step7 a=v2 b=v2 c=null
step8 a=v2 b=v2 c=null
step9 a=v2 b=v2 c=v2
EOF
cmp -s "$tmp/ct.want" "$tmp/ct.log" && ok || { diff "$tmp/ct.want" "$tmp/ct.log"; bad "cacheTtl sets the lifetime of the copy its get fetches"; }
grep -q '"kv.refreshes.other.default":[[:space:]]*1,' "$tmp/ct/results.json" && ok ||
    bad "a copy of a get's own cacheTtl refreshes in the last 10 % of that cacheTtl"

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
# 3. flat memory: JS mode recycles what nothing can read any more
# (docs/worker-host.md, "Memory"). results.json's js.msg_slots is the most
# message slots held at once, js.versions the most own-key value versions.
# A room with a post a second (30 % for the bots) under seed-worker.js:
# 900 posts in 15 min, 3,600 in 60 min, each with its keys; without
# recycling the slots double past every power of two (1,024 and 4,096+).
# counter-worker.js rewrites one key on every poll (1 s apart): 900 and
# 3,600 versions, of which at most a few can still be read.
cat > "$tmp/room.json" <<'JSON'
{ "name": "room", "seed": 7, "duration": "15min", "options": ["0"],
  "kv": { "cache_ttl": "60s",
          "latency": { "get_hit": "1ms", "get_miss": { "dist": "lognormal", "median": "20ms", "sigma": 0.6 },
                       "put": { "dist": "lognormal", "median": "30ms", "sigma": 0.4 } } },
  "cache": { "window": 50 },
  "humans": [ { "name": "h", "rate_per_s": 1, "entity_share": 0.3, "bytes": 300 } ],
  "bots": [ { "name": "bot-1", "poll_every": "1s", "generation": { "dist": "lognormal", "median": "4s", "sigma": 0.5 } } ] }
JSON
fig() { sed -n "s/.*\"$2\":[[:space:]]*\([0-9]*\).*/\1/p" "$1/results.json" | head -n 1; }
for d in 0.0104 0.0417; do # days: 15 and 60 min
    "$QSIM" run "$tmp/room.json" --days $d --worker tests/worker/seed-worker.js -q --out "$tmp/m$d" 2> "$tmp/err" ||
        { cat "$tmp/err"; bad "the room under seed-worker.js, $d"; }
    "$QSIM" run "$tmp/room.json" --days $d --worker tests/worker/counter-worker.js -q --out "$tmp/c$d" 2> "$tmp/err" ||
        { cat "$tmp/err"; bad "the room under counter-worker.js, $d"; }
done
s15=$(fig "$tmp/m0.0104" js.msg_slots); s60=$(fig "$tmp/m0.0417" js.msg_slots)
v15=$(fig "$tmp/c0.0104" js.versions); v60=$(fig "$tmp/c0.0417" js.versions)
[ -n "$s15" ] && [ "$s15" = "$s60" ] && [ "$s60" -le 512 ] && ok ||
    bad "message slots do not grow with simulated time (15 min: $s15, 60 min: $s60)"
[ -n "$v15" ] && [ "$v15" = "$v60" ] && [ "$v60" -le 256 ] && ok ||
    bad "own-key versions do not grow with simulated time (15 min: $v15, 60 min: $v60)"

echo "worker kv api: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
