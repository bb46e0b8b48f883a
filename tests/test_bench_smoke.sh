#!/bin/sh
# test_bench_smoke.sh - the engine benchmark and bench/run.sh work: a --quick
# run reports positive rates and assembles valid JSON. Run by tests/run.sh.
set -eu
cd "$(dirname "$0")/.."
bin=${BUILD:-build}/bench/bench_engine
[ -x "$bin" ] || make -s "$bin"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM

QUICK=1 BENCH_OUT="$dir/results.json" sh bench/run.sh "$bin" > "$dir/table.txt"
grep -q '^hold *100000 ' "$dir/table.txt" || { echo "bench smoke: no hold row in table" >&2; exit 1; }

if command -v python3 >/dev/null 2>&1; then
    python3 - "$dir/results.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
res = doc["results"]
got = sorted((r["bench"], r.get("pending", 0)) for r in res)
want = [("hold", 10), ("hold", 1000), ("hold", 100000), ("mm1", 0)]
assert got == want, "benchmarks: %r" % got
for r in res:
    assert r["events"] > 0 and r["seconds"] > 0 and r["events_per_s"] > 0, r
assert doc["quick"] is True
PY
else
    # No python3: each of the four lines carries a non-zero rate.
    n=$(grep -c '"events_per_s": [1-9]' "$dir/results.json")
    [ "$n" -eq 4 ] || { echo "bench smoke: $n positive rates, want 4" >&2; exit 1; }
fi
