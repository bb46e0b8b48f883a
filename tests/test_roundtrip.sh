#!/bin/sh
# test_roundtrip.sh - qsim script-from-trace: calls cut out of a trace of a
# random busy run and replayed as a script make, call for call, the same KV
# operations, keys, results, KVr/KVw, statuses and times as in the original.
set -u
QSIM=${QSIM:-./qsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
check() { if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "roundtrip: FAIL: $2" >&2; fi; }

# One block per call, keyed by its start time (relative to the first kept
# call), actor, endpoint and message; blocks sorted by key. Calls that start
# in the same microsecond may interleave differently: compare call by call.
norm() { # trace [A B]
    awk -v A="${2:-}" -v B="${3:-}" '
    /"type":"meta"/ { next }
    { match($0, /"call":[0-9]+/); id = substr($0, RSTART + 7, RLENGTH - 7) + 0
      if (A != "" && (id < A + 0 || id > B + 0)) next
      match($0, /"t":[0-9]+/); t = substr($0, RSTART + 4, RLENGTH - 4) + 0
      if (!have0) { t0 = t; have0 = 1 }
      line = $0; sub(/"t":[0-9]+/, "\"t\":" (t - t0), line); sub(/"call":[0-9]+,/, "", line)
      if (line ~ /"type":"call"/) key[id] = sprintf("%015d|%s", t - t0, line)
      printf "%s\t%08d\t%s\n", key[id], NR, line }' "$1" | sort -t "$(printf '\t')" -k1,1 -k2,2n | cut -f3
}

"$QSIM" run tests/data/roundtrip.json --trace "$tmp/t.jsonl" --out "$tmp/o1" -q 2>/dev/null
check $? "qsim run tests/data/roundtrip.json"
for range in 1-200 300-600 1000-1400; do
    a=${range%-*}; b=${range#*-}
    "$QSIM" script-from-trace "$tmp/t.jsonl" --scenario tests/data/roundtrip.json --calls "$range" \
        --out "$tmp/s.json" 2>"$tmp/err"
    check $? "script-from-trace --calls $range: $(cat "$tmp/err")"
    # the cut may move back to a call boundary: read where it starts
    a2=$(sed -n 's/.*the cut starts at call \([0-9]*\).*/\1/p' "$tmp/err")
    [ -n "$a2" ] && a=$a2
    b2=$(sed -n 's/.*the cut ends at call \([0-9]*\).*/\1/p' "$tmp/err")
    [ -n "$b2" ] && b=$b2
    "$QSIM" run "$tmp/s.json" --trace "$tmp/t2.jsonl" --out "$tmp/o2" --force -q 2>/dev/null
    check $? "qsim run of the produced script ($range)"
    norm "$tmp/t.jsonl" "$a" "$b" > "$tmp/a"
    norm "$tmp/t2.jsonl" > "$tmp/b"
    n=$(grep -c '"type":"call"' "$tmp/a")
    [ "$n" -gt 100 ]
    check $? "calls $range: only $n calls kept"
    cmp -s "$tmp/a" "$tmp/b"
    check $? "calls $range: the replayed calls differ from the original ($(diff "$tmp/a" "$tmp/b" | head -4))"
done
# a script from a script: the round trip is stable
"$QSIM" script-from-trace "$tmp/t2.jsonl" --scenario "$tmp/s.json" --out "$tmp/s2.json" 2>/dev/null
check $? "script-from-trace of a replayed script"
"$QSIM" run "$tmp/s2.json" --trace "$tmp/t3.jsonl" --out "$tmp/o3" -q 2>/dev/null
norm "$tmp/t3.jsonl" > "$tmp/c"
cmp -s "$tmp/b" "$tmp/c"
check $? "second generation differs"
# the trace's meta header says what made it (issue 17)
head -n 1 "$tmp/t.jsonl" | grep -q '^{"type":"meta","qsim":"[^"]*","scenario":"[^"]*","file":"tests/data/roundtrip.json","scenario_fnv1a64":"[0-9a-f]\{16\}","option":"[^"]*","seed":"[0-9]*","duration_us":[0-9]*}$'
check $? "the trace's first line is its meta header: $(head -c 300 "$tmp/t.jsonl")"
opt=$(head -n 1 "$tmp/t.jsonl" | sed 's/.*"option":"\([^"]*\)".*/\1/')
# ... so no --scenario is needed, and the result is the same as with it
"$QSIM" script-from-trace "$tmp/t.jsonl" --calls 300-600 --out "$tmp/s3.json" 2>/dev/null
check $? "script-from-trace without --scenario (from the meta header)"
"$QSIM" script-from-trace "$tmp/t.jsonl" --scenario tests/data/roundtrip.json --calls 300-600 --out "$tmp/s4.json" 2>/dev/null
cmp -s "$tmp/s3.json" "$tmp/s4.json"
check $? "script-from-trace from the header differs from one with --scenario"
# a mismatching --option or --scenario is refused with exit 2, nothing written
other=0; [ "$opt" = 0 ] && other=1
"$QSIM" script-from-trace "$tmp/t.jsonl" --option "$other" --out "$tmp/s5.json" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "was made under option $opt, not --option $other" "$tmp/err" && [ ! -e "$tmp/s5.json" ]
check $? "a mismatching --option: exit $rc, $(cat "$tmp/err")"
"$QSIM" script-from-trace "$tmp/t.jsonl" --scenario scenarios/incident-164.json --out "$tmp/s6.json" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "was made from another scenario" "$tmp/err" && [ ! -e "$tmp/s6.json" ]
check $? "a mismatching --scenario: exit $rc, $(cat "$tmp/err")"
# the header holds the run's seed (script-from-trace re-runs to the cut with it)
"$QSIM" run tests/data/roundtrip.json --seed 99 --trace "$tmp/t9.jsonl" --out "$tmp/o9" -q 2>/dev/null
head -n 1 "$tmp/t9.jsonl" | grep -q '"seed":"99"'
check $? "--seed 99: not in the trace header: $(head -c 300 "$tmp/t9.jsonl")"
# bad input
"$QSIM" script-from-trace "$tmp/nope.jsonl" --scenario tests/data/roundtrip.json >/dev/null 2>&1
[ $? -eq 2 ]; check $? "a missing trace exits 2"
echo "roundtrip: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
