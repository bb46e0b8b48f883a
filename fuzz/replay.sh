#!/bin/sh
# replay.sh - runs the fuzz target once on each file of a folder (default
# tests/corpus), each in its own process so that one failure does not hide
# the next. Prints "fuzz-replay: N passed, N failed"; exits 1 on a failure.
# Usage: sh fuzz/replay.sh build/fuzz/fuzz_scenario [DIR]
set -u
bin=$1
dir=${2:-tests/corpus}
log=${TMPDIR:-/tmp}/qsim-replay.$$
trap 'rm -f "$log"' EXIT
n=0; bad=0
for f in "$dir"/*; do
    [ -f "$f" ] || continue
    case "$f" in *README*) continue ;; esac
    n=$((n + 1))
    if "$bin" -timeout=10 -rss_limit_mb=4096 "$f" >"$log" 2>&1; then
        :
    else
        bad=$((bad + 1))
        echo "fuzz-replay: FAIL $f"
        grep -E 'ERROR:|runtime error|SUMMARY|fuzz_scenario:|gsl:' "$log" | head -3 | sed 's/^/    /'
    fi
done
echo "fuzz-replay: $((n - bad)) passed, $bad failed"
[ "$bad" -eq 0 ]
