#!/bin/sh
# test_worker_miniflare.sh - tests/worker/seed-worker.js on real workerd
# (Miniflare, from npm) answers as it does under qsim's JS mode: the
# conformance room (tests/worker/conformance.json) made one location,
# sequential and faultless (zero KV latency, no errors, no 429s, no endpoint
# fault: what Miniflare's local KV is), run by qsim with
# tests/worker/miniflare/record-worker.js recording every request, response
# and the KV state; replay.js sends the same requests in the same order to
# the module on workerd and requires the same statuses, bodies and states.
# Seed 1 (about 500 requests a run), Options 0 and 1. Miniflare is installed by
# `sh tools/deps.sh test` (npm ci in tests/worker/miniflare); missing, the
# test fails and says so.
set -u
QSIM=${QSIM:-./qsim}
NODE=${QSIM_NODE:-node}
D=tests/worker/miniflare
if ! command -v "$NODE" > /dev/null 2>&1; then
    echo "worker miniflare: skipped: node not found (sh tools/deps.sh installs Node.js)"
    exit 0
fi
if [ ! -f "$D/node_modules/miniflare/package.json" ]; then
    echo "FAIL worker miniflare: Miniflare is not installed: run sh tools/deps.sh test (or: cd $D && npm ci)"
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
"$NODE" "$D/scenario.js" > "$tmp/mf.json" || { echo "FAIL worker miniflare: cannot derive the scenario"; exit 1; }
pass=0; fail=0
for seed in 1; do
    for opt in 0 1; do
        rm -rf "$tmp/o" "$tmp"/t*.jsonl
        if ! "$QSIM" run "$tmp/mf.json" -o "$opt" --seed "$seed" -q --out "$tmp/o" --trace "$tmp/t.jsonl" \
                --worker "$D/record-worker.js" > /dev/null 2> "$tmp/err" && ! tail -n 1 "$tmp/err" | grep -q '^expectations:'; then
            echo "FAIL seed $seed option $opt: the qsim run failed"; cat "$tmp/err"; fail=$((fail + 1)); continue
        fi
        t=$(ls "$tmp"/t*.jsonl | head -n 1)
        if "$NODE" "$D/replay.js" "$t" "$opt" 30 > "$tmp/rep" 2>&1; then
            pass=$((pass + 1)); tail -n 1 "$tmp/rep" | sed "s/^/  seed $seed option $opt: /"
        else
            echo "FAIL seed $seed option $opt: workerd and qsim disagree"
            grep -A2 '^DIFF\|^replay' "$tmp/rep" | head -n 20; fail=$((fail + 1))
        fi
    done
done
echo "worker miniflare: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
