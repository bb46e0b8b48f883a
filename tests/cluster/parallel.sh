#!/bin/sh
# parallel.sh - a sharded sweep through GNU parallel on this machine
# (--sshlogin ':', no ssh), merged, against the unsharded sweep byte for
# byte (make test-parallel; part of make test). Run from the repository root.
#  (a) the command line of docs/distributed.md: seq | parallel --sshlogin :
#      qsim sweep ... --shard {}/N, then qsim merge;
#  (b) the script of `qsim sweep --emit parallel`, run as it is printed, and
#      run again (a finished sweep: nothing redone, the same sweep.csv).
# Bounded: each step runs under timeout(1).
set -u
QSIM=${QSIM:-./qsim}
name=cluster-parallel
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qsim-par.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM
npass=0
nfail=0
fail() { echo "$name: FAIL: $*" >&2; nfail=$((nfail + 1)); }
ok() { npass=$((npass + 1)); }
[ -x "$QSIM" ] || { echo "$name: $QSIM not built (run make qsim)" >&2; exit 1; }
if ! command -v parallel >/dev/null 2>&1; then
    echo "$name: FAIL: GNU parallel is not installed (sh tools/deps.sh cluster installs it)" >&2
    echo "$name: 0 passed, 1 failed"
    exit 1
fi
echo "$name: $(parallel --will-cite --version | head -n 1)"
# same points/shard files: byte for byte, every file
same_sweep() { # label unsharded merged
    if cmp -s "$2/sweep.csv" "$3/sweep.csv"; then ok; else fail "$1: merged sweep.csv differs from the unsharded one"; fi
    for f in "$2/points/"*.json; do
        cmp -s "$f" "$3/points/$(basename "$f")" || { fail "$1: points/$(basename "$f") differs"; return; }
    done
    ok
}

sw="scenarios/busy.json --param kv.put_error_prob=0:0.1:0.02 --param humans[0].rate_per_s=0.5,1 --options 0,1 --reps 2 --days 0.005"
# shellcheck disable=SC2086
timeout 120 "$QSIM" sweep $sw --out "$tmp/U" -q 2>"$tmp/err" || fail "unsharded sweep: $(cat "$tmp/err")"

# ---- (a) by hand, as docs/distributed.md shows ----
N=5
# shellcheck disable=SC2086
seq 1 $N | timeout 120 parallel --will-cite --sshlogin : --halt now,fail=1 \
    "$QSIM" sweep $sw --jobs 1 --shard {}/$N --out "$tmp/A/shard-{}" -q 2>"$tmp/err" ||
    fail "parallel --sshlogin : of $N shards: $(cat "$tmp/err")"
set --
for k in $(seq 1 $N); do set -- "$@" "$tmp/A/shard-$k"; done
timeout 60 "$QSIM" merge "$@" --out "$tmp/A/all" 2>"$tmp/err" || fail "merge: $(cat "$tmp/err")"
echo "$name: (a) $(cat "$tmp/err")"
same_sweep "parallel by hand" "$tmp/U" "$tmp/A/all"

# ---- (b) the emitted script ----
# shellcheck disable=SC2086
"$QSIM" sweep $sw --emit parallel --shards 4 --out "$tmp/B" > "$tmp/p.sh" 2>"$tmp/err" ||
    fail "--emit parallel: $(cat "$tmp/err")"
QSIM_SSHLOGIN=: timeout 120 sh "$tmp/p.sh" 2>"$tmp/err" || fail "the emitted parallel script: $(cat "$tmp/err")"
echo "$name: (b) $(tail -n 1 "$tmp/err")"
same_sweep "emitted parallel script" "$tmp/U" "$tmp/B"
cp "$tmp/B/sweep.csv" "$tmp/csv.before"
QSIM_SSHLOGIN=: timeout 120 sh "$tmp/p.sh" 2>"$tmp/err" || fail "the emitted script, run again: $(cat "$tmp/err")"
cmp -s "$tmp/csv.before" "$tmp/B/sweep.csv" && ok || fail "the emitted script, run again, changed sweep.csv"

echo "$name: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
