#!/bin/sh
# valgrind.sh - the unit tests and a few short runs under valgrind memcheck:
# any invalid access, use of uninitialised memory or definite leak fails.
set -u
VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect"
pass=0; fail=0
run() {
    if $VG "$@" >/dev/null 2>/tmp/qsim-vg.$$; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "FAILED under valgrind: $*" >&2; tail -20 /tmp/qsim-vg.$$ >&2
    fi
}
for t in "$@"; do run "$t"; done
tmp=$(mktemp -d)
run ./qsim run scenarios/incident-164.json --days 0.1 --out "$tmp/a" --trace "$tmp/a/t.jsonl" -q
run ./qsim check scenarios/scripted
[ -d scenarios/faults ] && run ./qsim check scenarios/faults
run ./qsim compare scenarios/incident-164.json --reps 2 --jobs 1 --days 0.02 --out "$tmp/c" -q
rm -rf "$tmp" /tmp/qsim-vg.$$
echo "valgrind: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
