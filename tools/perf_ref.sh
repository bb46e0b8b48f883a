#!/bin/sh
# perf_ref.sh - a dev aid for speed work: runs a fixed set of scenarios and
# writes every output (without the manifests, which hold wall-clock times
# and paths) under OUTDIR, so two builds can be compared byte for byte:
#   sh tools/perf_ref.sh ./qsim /tmp/perf-ref      # before
#   sh tools/perf_ref.sh ./qsim /tmp/perf-new      # after
#   diff -r /tmp/perf-ref /tmp/perf-new            # must print nothing
# Or: sh tools/perf_ref.sh ./qsim /tmp/perf-new /tmp/perf-ref  (diffs itself).
set -eu
[ $# -ge 2 ] || { echo "usage: perf_ref.sh QSIM OUTDIR [REFDIR]" >&2; exit 2; }
Q=$1; O=$2
rm -rf "$O"; mkdir -p "$O"
r() { # r NAME ARGS...: one qsim command into $O/NAME
    n=$1; shift
    "$Q" "$@" --out "$O/$n" > "$O/$n.stdout" 2> "$O/$n.stderr" || echo "exit $?" >> "$O/$n.stdout"
    # stderr carries the wall time; keep its other lines
    grep -v '^qsim: .* events in ' "$O/$n.stderr" | grep -v 'wrote ' > "$O/$n.err" || true
    rm -f "$O/$n.stderr"
}
for o in 0 1 2 3 4; do
    r inc-$o run scenarios/incident-164.json -o $o -d 1
done
r inc-trace run scenarios/incident-164.json -o 0,1 -d 0.2 --trace "$O/inc-trace.jsonl"
r busy run scenarios/busy.json -d 0.1
r room run scenarios/bench/room-30d.json -o 0,1 -d 2
for f in scenarios/faults/*.json scenarios/scripted/*.json; do
    b=$(basename "$(dirname "$f")")-$(basename "$f" .json)
    r "$b" run "$f"
done
r cmp compare scenarios/incident-164.json --reps 2 -d 0.5 --jobs 1
find "$O" -name manifest.json -delete
if [ $# -ge 3 ]; then
    diff -r "$3" "$O" > "$O.diff" 2>&1 && { echo "perf_ref: identical to $3"; rm -f "$O.diff"; } ||
        { echo "perf_ref: DIFFERS from $3 (see $O.diff)"; head -20 "$O.diff"; exit 1; }
fi
