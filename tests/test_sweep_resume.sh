#!/bin/sh
# test_sweep_resume.sh - a 1,000-point sweep on two workers, killed with -9
# midway, then run again. Run from the repository root with ./qsim built.
#  - the kill stops the workers too (nothing keeps running or writing);
#  - the rerun reports exactly the finished points as already done, runs only
#    the others, and leaves every finished point file untouched (same inode:
#    not rewritten), and no half-written temporary file behind;
#  - its sweep.csv is byte-identical to an uninterrupted run's.
# No timing is asserted (make bench measures the speed); the waits are bounded.
set -u
name=test_sweep_resume
. "$(dirname "$0")/lib.sh"
[ -x "$QSIM" ] || { echo "$name: $QSIM not built (run make qsim)" >&2; exit 1; }

# 1,000 points (kv.p429 = 0, 0.001, ..., 0.999) of a few ms each
sw="scenarios/incident-164.json --param kv.p429=0:0.999:0.001 --options 0,1 --reps 2 --days 0.02 --jobs 2"
# shellcheck disable=SC2086
"$QSIM" sweep $sw --out "$tmp/full" -q 2>"$tmp/err" || fail "uninterrupted sweep: $(cat "$tmp/err")"
np=$(ls "$tmp/full/points" | wc -l)
[ "$np" -eq 1000 ] && ok || fail "the uninterrupted sweep wrote $np point files, expected 1000"

# shellcheck disable=SC2086
"$QSIM" sweep $sw --out "$tmp/K" -q 2>/dev/null &
bgpid=$!
i=0 # until 100 points are done (at most 60 s)
while [ "$(ls "$tmp/K/points" 2>/dev/null | grep -c '^[0-9]*\.json$')" -lt 100 ] && [ "$i" -lt 3000 ]; do
    sleep 0.02 2>/dev/null || sleep 1
    i=$((i + 1))
done
kids=$(ps -o pid= --ppid "$bgpid" 2>/dev/null | tr -d ' ')
kill -9 "$bgpid" 2>/dev/null
wait "$bgpid" 2>/dev/null
bgpid=""
[ -n "$kids" ] && ok || fail "resume: the sweep had no worker processes to look at"
i=0 # the workers die with their parent (PR_SET_PDEATHSIG); give them 5 s
alive=$kids
while [ -n "$alive" ] && [ "$i" -lt 250 ]; do
    alive=""
    for k in $kids; do kill -0 "$k" 2>/dev/null && alive="$alive $k"; done
    [ -n "$alive" ] && { sleep 0.02 2>/dev/null || sleep 1; }
    i=$((i + 1))
done
[ -z "$alive" ] && ok || fail "resume: workers$alive still run after the sweep was killed"

ls -i "$tmp/K/points" | grep ' [0-9]*\.json$' | sort -k 2 > "$tmp/before"
ndone=$(wc -l < "$tmp/before")
if [ "$ndone" -ge 100 ] && [ "$ndone" -lt 1000 ]; then ok; else
    fail "resume: the killed sweep had $ndone of 1000 points (the kill was not midway)"
fi
[ ! -f "$tmp/K/sweep.csv" ] && ok || fail "resume: the killed sweep already has sweep.csv"

# shellcheck disable=SC2086
"$QSIM" sweep $sw --out "$tmp/K" 2>"$tmp/err" >/dev/null || fail "resumed sweep: $(cat "$tmp/err")"
grep -q ", $ndone already done)" "$tmp/err" && ok ||
    fail "resume: stderr does not report the $ndone finished points as already done: $(head -n 1 "$tmp/err")"
grep -q "^qsim: sweep: $((1000 - ndone)) points in" "$tmp/err" && ok ||
    fail "resume: expected $((1000 - ndone)) points run, stderr: $(tail -n 1 "$tmp/err")"
ls -i "$tmp/K/points" | grep ' [0-9]*\.json$' | sort -k 2 > "$tmp/after"
redone=$(join -1 2 -2 2 "$tmp/before" "$tmp/after" | awk '$2 != $3' | wc -l)
kept=$(join -1 2 -2 2 "$tmp/before" "$tmp/after" | wc -l)
[ "$kept" -eq "$ndone" ] && [ "$redone" -eq 0 ] && ok ||
    fail "resume: $redone of the $ndone finished point files were rewritten ($kept still there)"
left=$(ls -a "$tmp/K/points" | grep -c '\.tmp\.' || true)
[ "$left" -eq 0 ] && ok || fail "resume: $left half-written temporary files left in points/"
if cmp -s "$tmp/full/sweep.csv" "$tmp/K/sweep.csv"; then ok; else
    fail "resume: sweep.csv differs from the uninterrupted run's"
fi

t_done
