#!/bin/sh
# test_atomic.sh - a run's output set is whole or absent: killed with -9 at
# any moment, stopped by SIGTERM, or out of disk space, it leaves the
# previous complete set (every file as it was), never a mix of old and new
# files, and the next run cleans up what the dead run left. Entries that
# are not the run's (a compare/ folder, charts) survive a run.
set -u
QSIM=${QSIM:-./qsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
check() { if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "atomic: FAIL: $2" >&2; fi; }
SC=scenarios/incident-164.json
names="results.json summary.csv polls.csv stuck.csv heal_latency.csv caps.csv"
# same_set DIR REF: DIR holds exactly REF's files of the set, byte for byte
same_set() { for f in $names; do cmp -s "$1/$f" "$2/$f" || return 1; done; }
# kept NAME: a foreign entry is in out, or in a dead writer's switched-out
# staging folder beside it (no marker: the old set after the exchange)
kept() {
    [ -e "$tmp/out/$1" ] && return 0
    for d in "$tmp"/.out.staging.*; do
        [ -e "$d/$1" ] && [ ! -e "$d/.qsim-staging" ] && return 0
    done
    return 1
}
no_leftovers() { ! ls -a "$tmp" "$tmp/out" | grep -q 'staging\|\.tmp\.'; }

"$QSIM" run $SC --days 0.2 --out "$tmp/new" -q 2>/dev/null
check $? "reference run (new set)"
"$QSIM" run $SC --days 0.1 --out "$tmp/out" --force -q 2>/dev/null
check $? "first run"
mkdir -p "$tmp/out/compare" && echo keep > "$tmp/out/compare/x" && echo keep > "$tmp/out/report.md"
mkdir -p "$tmp/old" && for f in $names; do cp "$tmp/out/$f" "$tmp/old/"; done

# kill -9 at several moments of a run that writes the new set over the old
for delay in 0 0.01 0.03 0.06 0.1 0.15 0.2; do
    "$QSIM" run $SC --days 0.2 --out "$tmp/out" --force -q 2>/dev/null &
    pid=$!
    sleep $delay
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    if same_set "$tmp/out" "$tmp/old"; then :; elif same_set "$tmp/out" "$tmp/new"; then
        for f in $names; do cp "$tmp/out/$f" "$tmp/old/"; done # the run won: the new set is the old one now
    else
        check 1 "killed after ${delay}s: the folder holds neither the old set nor the new one"
    fi
    # killed between the exchange and the move of the foreign entries (a few
    # system calls), they are in the dead writer's staging folder, which the
    # next run on the folder moves back (checked below): kept, not lost
    kept compare/x && kept report.md
    check $? "killed after ${delay}s: entries that are not the run's were lost"
done
# a long run killed while it writes: its staging folder is beside out
"$QSIM" run $SC --days 300 --out "$tmp/out" --force -q 2>/dev/null &
pid=$!
i=0
while [ $i -lt 200 ] && ! ls -a "$tmp" | grep -q '^\.out\.staging\.'; do sleep 0.05; i=$((i + 1)); done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
ls -a "$tmp" | grep -q '^\.out\.staging\.'
check $? "the killed run had a staging folder (the test killed it too late or too early)"
same_set "$tmp/out" "$tmp/old"
check $? "a run killed while writing changed the output set"
# the next run cleans the dead run's staging folder
"$QSIM" run $SC --days 0.2 --out "$tmp/out" --force -q 2>/dev/null
check $? "run after the kill"
same_set "$tmp/out" "$tmp/new"
check $? "the run after the kill did not write the new set"
no_leftovers
check $? "stale staging folders or temporary files were not removed"
[ -f "$tmp/out/compare/x" ] && [ -f "$tmp/out/report.md" ]
check $? "entries that are not the run's were lost by a run"

# SIGTERM and SIGINT: the run stops, the set is unchanged, nothing is left
for sig in TERM INT; do
    "$QSIM" run $SC --days 0.1 --out "$tmp/out" --force -q 2>/dev/null # old set again
    for f in $names; do cp "$tmp/out/$f" "$tmp/old/"; done
    "$QSIM" run $SC --days 300 --out "$tmp/out" --force -q 2>/dev/null &
    pid=$!
    i=0
    while [ $i -lt 200 ] && ! ls -a "$tmp" | grep -q '^\.out\.staging\.'; do sleep 0.05; i=$((i + 1)); done
    sleep 0.2
    kill -$sig $pid 2>/dev/null
    wait $pid 2>/dev/null
    same_set "$tmp/out" "$tmp/old"
    check $? "SIG$sig changed the output set"
    no_leftovers
    check $? "SIG$sig left a staging folder or a temporary file"
done

# a full disk (a file size limit: writes fail with EFBIG): exit 1, old set kept
(
    trap '' XFSZ
    ulimit -f 256 # 256 blocks of 512 bytes: polls.csv of 0.2 days does not fit
    "$QSIM" run $SC --days 0.2 --out "$tmp/out" --force -q 2>"$tmp/full.err"
)
rc=$?
[ $rc -eq 1 ]
check $? "a full disk: exit $rc, expected 1"
grep -q "cannot write" "$tmp/full.err"
check $? "a full disk: no message saying what could not be written"
same_set "$tmp/out" "$tmp/old"
check $? "a full disk changed the output set (half old, half new)"
no_leftovers
check $? "a full disk left a staging folder or a temporary file"

# a full tmpfs, when we may mount one
if [ "$(id -u)" = 0 ] && mkdir -p "$tmp/fs" && mount -t tmpfs -o size=256k tmpfs "$tmp/fs" 2>/dev/null; then
    "$QSIM" run $SC --days 0.01 --out "$tmp/fs/out" --force -q 2>/dev/null
    check $? "a small run on the tmpfs"
    mkdir -p "$tmp/fsold" && for f in $names; do cp "$tmp/fs/out/$f" "$tmp/fsold/"; done
    "$QSIM" run $SC --days 0.2 --out "$tmp/fs/out" --force -q 2>/dev/null
    [ $? -eq 1 ]
    check $? "a full tmpfs: expected exit 1"
    same_set "$tmp/fs/out" "$tmp/fsold"
    check $? "a full tmpfs changed the output set"
    ! ls -a "$tmp/fs" "$tmp/fs/out" | grep -q 'staging\|\.tmp\.'
    check $? "a full tmpfs left a staging folder or a temporary file"
    umount "$tmp/fs"
fi
echo "atomic: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
