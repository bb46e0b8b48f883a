#!/bin/sh
# test_worker_conformance.sh - the worker host (docs/worker-host.md): the
# write-up's endpoints as a Worker module (tests/worker/seed-worker.js) and
# the C endpoints produce the same trace, op for op, on randomized
# schedules (tests/worker/conformance.json under several seeds: posts,
# polls, claims, completes, fails of existing and missing ids, legacy keys,
# transient errors, 429s, an endpoint fault, three locations, concurrent
# bots), on fault scenarios, and the incident's poll log. JS mode's trace
# also has "log" lines (console.log), the only lines C mode cannot have:
# they are set aside before comparing, and counted.
# Skipped, with the reason, only when node is absent.
set -u
QSIM=${QSIM:-./qsim}
W=${QSIM_TEST_WORKER:-tests/worker/seed-worker.js}  # another module: see it fail
if ! command -v "${QSIM_NODE:-node}" > /dev/null 2>&1; then
    echo "worker conformance: skipped: node not found (sh tools/deps.sh installs Node.js)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
pass=0; fail=0; ops=0; calls=0; logs=0
# same NAME SCENARIO ARGS...: both modes under both options; traces equal
same() {
    name=$1; sc=$2; shift 2
    # JS mode has no cache_update.* counters (they count inside the C
    # endpoints): expectations on them alone may fail there.
    "$QSIM" run "$sc" -q --force --out "$tmp/c" --trace "$tmp/c.jsonl" "$@" 2> "$tmp/err"; rc=$?
    "$QSIM" run "$sc" -q --force --out "$tmp/j" --trace "$tmp/j.jsonl" --worker "$W" "$@" 2> "$tmp/jerr"; jrc=$?
    if [ $jrc = 1 ] && grep -q '^expectations:' "$tmp/jerr" &&
       ! grep 'FAIL  expect' "$tmp/jerr" | grep -vq 'cache_update\.'; then
        jrc=0
    fi
    if [ $rc != 0 ] || [ $jrc != 0 ]; then
        echo "FAIL $name: a run failed"; cat "$tmp/err" "$tmp/jerr"; fail=$((fail + 1)); return
    fi
    for c in "$tmp"/c-*.jsonl; do
        o=${c##*/c-}; j="$tmp/j-$o"
        grep -v '"type":"log"' "$j" > "$tmp/j.nolog"
        if cmp -s "$c" "$tmp/j.nolog" && [ -s "$c" ]; then
            pass=$((pass + 1))
            ops=$((ops + $(grep -c '"type":"kv"' "$c")))
            calls=$((calls + $(grep -c '"type":"call"' "$c")))
            logs=$((logs + $(grep -c '"type":"log"' "$j")))
        else
            echo "FAIL $name option ${o%.jsonl}: traces differ"
            diff "$c" "$tmp/j.nolog" | head -n 6
            fail=$((fail + 1))
        fi
    done
}
for seed in 1 2 3; do
    same "conformance seed $seed" tests/worker/conformance.json --seed "$seed"
done
for f in legacy-keys race-lost-update parse-error aged-out; do
    same "$f" "scenarios/faults/$f.json" -o 0 -o 1 --days 0.01
done
same "legacy-stuck (scripted)" scenarios/scripted/legacy-stuck.json
same "option-1 blind put (scripted)" scenarios/scripted/option-1-blind-put.json

# The incident: 0.05 d = 4,320 s of polls every 3 s = 1,440 polls; the
# write-up's [KVr:5 KVw:0] under Option 0, one healing poll under Option 1.
if "$QSIM" run scenarios/incident-164.json --days 0.05 --out "$tmp/i" --worker "$W" > "$tmp/inc" 2> "$tmp/err" &&
   grep -q '^0  .*\[KVr:5 KVw:0\]x1440$' "$tmp/inc" &&
   grep -q '^1  .*\[KVr:5 KVw:1\]x1 -> \[KVr:1 KVw:0\]x1439$' "$tmp/inc"; then
    pass=$((pass + 1))
else
    echo "FAIL incident poll log under --worker"; cat "$tmp/inc" "$tmp/err"; fail=$((fail + 1))
fi
echo "worker conformance: $pass passed, $fail failed ($calls calls, $ops KV ops compared; $logs log lines)"
[ "$fail" -eq 0 ]
