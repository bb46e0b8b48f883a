#!/bin/sh
# test_trace_counts.sh - the counted KV operations equal the operations in
# the trace: billed reads (gets that returned ok or miss) and writes (puts
# that returned ok) in results.json match the trace's kv lines, per option,
# on scenarios with failures, 429s, several bots and locations.
set -u
QSIM=${QSIM:-./qsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
for f in scenarios/incident-164.json scenarios/faults/kv-failures.json scenarios/faults/hot-key-429.json \
         scenarios/faults/several-bots.json tests/data/roundtrip.json; do
    "$QSIM" run "$f" --option 0 --option 1+2 --days 0.02 --out "$tmp/o" --trace "$tmp/t.jsonl" -q 2>/dev/null
    for opt in 0 1+2; do
        t="$tmp/t-$opt.jsonl"
        reads=$(grep -c '"op":"get".*"result":"\(ok\|miss\)"' "$t")
        writes=$(grep -c '"op":"put".*"result":"ok"' "$t")
        # the run's counters ("counters" object of the n-th run)
        n=$([ "$opt" = 0 ] && echo 1 || echo 2)
        counter() {
            awk -v n="$n" -v key="\"$1\":" '
                /"counters":/ { run++; in_c = 1; next }
                /"daily":/ { in_c = 0 }
                in_c && run == n && index($0, key) { gsub(/[^0-9]/, "", $0); print; exit }' "$tmp/o/results.json"
        }
        cr=$(counter kv.reads)
        cw=$(counter kv.writes)
        if [ "$reads" = "$cr" ] && [ "$writes" = "$cw" ]; then
            pass=$((pass + 1))
        else
            fail=$((fail + 1))
            echo "trace counts: FAIL: $f option $opt: trace $reads reads $writes writes, counters $cr $cw" >&2
        fi
    done
done
echo "trace counts: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
