#!/bin/sh
# run.sh - runs every unit-test binary given, then the scenario-level tests
# (tests/test_*.sh), and prints one closing line: "suites: N passed, N failed".
set -u
pass=0; fail=0
for t in "$@"; do
    if "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: $t" >&2; fi
done
for s in tests/test_*.sh; do
    [ -e "$s" ] || continue
    if sh "$s"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: $s" >&2; fi
done
echo "suites: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
