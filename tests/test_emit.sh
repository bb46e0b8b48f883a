#!/bin/sh
# test_emit.sh - `qsim sweep --emit slurm|parallel`: the scripts it prints,
# checked without Slurm or GNU parallel (tests/cluster/ runs them on the real
# tools). Run from the repository root with ./qsim built.
#  (a) the Slurm script: #SBATCH array 1-N (N = --shards, default one per
#      point), --cpus-per-task = --jobs, --time; sh -n parses it; run once per
#      array task id by hand (SLURM_ARRAY_TASK_ID set, as sbatch would), then
#      `sh FILE merge`, it gives the unsharded sweep.csv byte for byte;
#  (b) the parallel script: the sweep's arguments survive quoting (a --param
#      with brackets, an output folder with a quote and a space);
#  (c) bad input: exit 2 with a message, and nothing is written.
set -u
name=test_emit
. "$(dirname "$0")/lib.sh"
[ -x "$QSIM" ] || { echo "$name: $QSIM not built (run make qsim)" >&2; exit 1; }

sw="scenarios/incident-164.json --param kv.p429=0:0.4:0.1 --param kv.put_error_prob=0,0.05 --options 0,1 --reps 2 --days 0.01"

# ---- (a) Slurm ----
# shellcheck disable=SC2086
"$QSIM" sweep $sw --emit slurm --shards 3 --jobs 2 --time 0:10:00 --out "$tmp/S" > "$tmp/s.sh" 2>"$tmp/err" ||
    fail "--emit slurm: $(cat "$tmp/err")"
grep -qx '#SBATCH --array=1-3' "$tmp/s.sh" && ok || fail "slurm: no '#SBATCH --array=1-3' line"
grep -qx '#SBATCH --cpus-per-task=2' "$tmp/s.sh" && ok || fail "slurm: no '#SBATCH --cpus-per-task=2' line"
grep -qx '#SBATCH --time=0:10:00' "$tmp/s.sh" && ok || fail "slurm: no '#SBATCH --time=0:10:00' line"
# sbatch reads #SBATCH lines only before the first command
first_cmd=$(grep -n -v -e '^#' -e '^$' "$tmp/s.sh" | head -n 1 | cut -d: -f1)
last_sb=$(grep -n '^#SBATCH' "$tmp/s.sh" | tail -n 1 | cut -d: -f1)
[ "$last_sb" -lt "$first_cmd" ] && ok || fail "slurm: an #SBATCH line comes after the first command"
sh -n "$tmp/s.sh" && ok || fail "slurm: the script does not parse (sh -n)"
[ ! -e "$tmp/S" ] && ok || fail "--emit wrote the output folder instead of only printing"
# shellcheck disable=SC2086
"$QSIM" sweep $sw --emit slurm --out "$tmp/S" 2>/dev/null | grep -qx '#SBATCH --array=1-10' && ok ||
    fail "slurm: without --shards the array is not one task per point (1-10)"
# shellcheck disable=SC2086
"$QSIM" sweep $sw --emit slurm --out "$tmp/S" 2>/dev/null | grep -qx '#SBATCH --cpus-per-task=1' && ok ||
    fail "slurm: without --jobs a task does not ask for 1 core"
# outside Slurm the script refuses to run a shard
(unset SLURM_ARRAY_TASK_ID; sh "$tmp/s.sh" >/dev/null 2>"$tmp/err")
rc=$?
[ "$rc" -ne 0 ] && grep -q sbatch "$tmp/err" && ok || fail "slurm script without SLURM_ARRAY_TASK_ID: exit $rc"
for k in 1 2 3; do
    SLURM_ARRAY_TASK_ID=$k SLURM_CPUS_PER_TASK=2 sh "$tmp/s.sh" 2>"$tmp/err" || fail "slurm task $k: $(cat "$tmp/err")"
done
sh "$tmp/s.sh" merge 2>"$tmp/err" || fail "sh s.sh merge: $(cat "$tmp/err")"
# shellcheck disable=SC2086
"$QSIM" sweep $sw --out "$tmp/U" -q 2>"$tmp/err" || fail "unsharded sweep: $(cat "$tmp/err")"
if cmp -s "$tmp/U/sweep.csv" "$tmp/S/sweep.csv"; then ok; else fail "slurm: merged sweep.csv differs from the unsharded one"; fi
n1=$(ls "$tmp/S/shard-1/points" | wc -l)
[ "$n1" -eq 4 ] && ok || fail "slurm: shard 1 of 3 holds $n1 points, expected 4 (points 0, 3, 6, 9)"

# ---- (b) parallel: quoting ----
out="$tmp/it's here"
"$QSIM" sweep scenarios/busy.json --param 'humans[0].rate_per_s=0.5,1' --options 0 --reps 2 --days 0.001 \
    --emit parallel --jobs 2 --out "$out" > "$tmp/p.sh" 2>"$tmp/err" || fail "--emit parallel: $(cat "$tmp/err")"
sh -n "$tmp/p.sh" && ok || fail "parallel: the script does not parse (sh -n)"
grep -q "'humans\[0\].rate_per_s=0.5,1'" "$tmp/p.sh" && ok || fail "parallel: the --param is not quoted as one word"
grep -q -- '--jobs 50%' "$tmp/p.sh" && ok || fail "parallel: --jobs 2 per shard does not give parallel --jobs 50%"
# the OUT= line, evaluated by sh, gives the folder back exactly
got=$(sed -n 's/^OUT=/printf %s /p' "$tmp/p.sh" | sh)
[ "$got" = "$out" ] && ok || fail "parallel: OUT= gives '$got', expected '$out'"

# ---- (c) bad input ----
bad() { # description expected-message args...
    d=$1; m=$2; shift 2
    "$QSIM" sweep "$@" --out "$tmp/B" > "$tmp/bout" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -eq 2 ] && grep -q -- "$m" "$tmp/err" && [ ! -s "$tmp/bout" ] && [ ! -e "$tmp/B" ]; then ok; else
        fail "$d: exit $rc (expected 2), stderr '$(cat "$tmp/err")'"
    fi
}
# shellcheck disable=SC2086
bad "--emit pbs" "slurm or parallel" $sw --emit pbs
# shellcheck disable=SC2086
bad "--shards 0" "--shards wants" $sw --emit slurm --shards 0
# shellcheck disable=SC2086
bad "--shards 11 for 10 points" "more than the 10 points" $sw --emit slurm --shards 11
# shellcheck disable=SC2086
bad "--shards without --emit" "go with --emit" $sw --shards 2
# shellcheck disable=SC2086
bad "--emit with --shard" "leave --shard out" $sw --emit slurm --shard 1/2
# shellcheck disable=SC2086
bad "--time 1h" "Slurm time limit" $sw --emit slurm --time 1h
bad "--emit of a bad point" "must be between 0 and 1" scenarios/incident-164.json --param kv.p429=2 --emit slurm

t_done
