#!/bin/sh
# test_atomic.sh - outputs are whole or absent: a run killed with -9 in the
# middle leaves the previous complete files (or none), never half a file,
# and the next run removes the dead run's hidden temporary files.
set -u
QSIM=${QSIM:-./qsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
check() { if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "atomic: FAIL: $2" >&2; fi; }

"$QSIM" run scenarios/incident-164.json --out "$tmp/out" -q 2>/dev/null
check $? "first run"
mkdir -p "$tmp/before" && cp "$tmp/out"/* "$tmp/before/"
# a long run into the same folder, killed while it writes polls.csv
"$QSIM" run scenarios/incident-164.json --days 300 --out "$tmp/out" -q 2>/dev/null &
pid=$!
i=0
while [ $i -lt 200 ] && ! ls -a "$tmp/out" | grep -q '^\.polls\.csv\.tmp\.'; do sleep 0.05; i=$((i + 1)); done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
ls -a "$tmp/out" | grep -q '^\.polls\.csv\.tmp\.'
check $? "the killed run had a hidden temporary polls.csv (the test killed it too late or too early)"
for f in "$tmp/before"/*; do
    cmp -s "$f" "$tmp/out/$(basename "$f")"
    check $? "$(basename "$f") changed after a killed run: it must be the previous complete file"
done
[ -z "$(ls "$tmp/out" | grep -v -x -f "$(cd "$tmp/before" && ls | sed 's/^/^/; s/$/$/' > "$tmp/names" && echo "$tmp/names")")" ]
check $? "a killed run left a visible file that is not a complete output"
# the next run cleans the dead run's temporary files
"$QSIM" run scenarios/incident-164.json --out "$tmp/out" -q 2>/dev/null
check $? "run after the kill"
! ls -a "$tmp/out" | grep -q '\.tmp\.'
check $? "stale temporary files were not removed"
echo "atomic: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
