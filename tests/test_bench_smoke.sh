#!/bin/sh
# test_bench_smoke.sh - the engine benchmark and bench/run.sh work: a --quick
# run reports positive rates and assembles valid JSON. Run by tests/run.sh.
set -eu
cd "$(dirname "$0")/.."
bin=${BUILD:-build}/bench/bench_engine
make -s "$bin" >/dev/null  # rebuilt when its sources changed
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
want = [("chain", 100), ("hold", 10), ("hold", 1000), ("hold", 100000), ("mm1", 0), ("mm1-mt", 0),
        ("mm1-mt-zig", 0), ("mm1-taus2", 0), ("zig-check", 0)]
assert got == want, "benchmarks: %r" % got
for r in res:
    if r["bench"] == "zig-check":
        assert abs(r["mean"] - 1) < 0.05 and abs(r["variance"] - 1) < 0.1, r
        continue
    assert r["events"] > 0 and r["seconds"] > 0 and r["events_per_s"] > 0, r
    if r["bench"].startswith("mm1"):  # the queue it runs is an M/M/1 (rho 0.9: L = 9)
        assert 0.85 < r["utilisation"] < 0.95, r
assert doc["quick"] is True
PY
else
    # No python3: each of the eight timed lines carries a non-zero rate.
    n=$(grep -c '"events_per_s": [1-9]' "$dir/results.json")
    [ "$n" -eq 8 ] || { echo "bench smoke: $n positive rates, want 8" >&2; exit 1; }
fi

# The full-model bench too (--quick: a few simulated days and a 10-point
# sweep): every run row has events and a positive rate, and the sweep's
# CPU line is there (a bench that cannot run its qsim commands fails here,
# not first in make bench).
QSIM=./qsim sh bench/bench_model.sh --quick --json "$dir/model.json" > "$dir/model.txt" 2>&1 ||
    { echo "bench smoke: bench_model.sh failed:" >&2; tail -5 "$dir/model.txt" >&2; exit 1; }
n=$(grep -c '"bench":"model".*"events_per_s":[1-9]' "$dir/model.json")
[ "$n" -ge 6 ] || { echo "bench smoke: $n model rows with a positive rate, want >= 6" >&2; exit 1; }
grep -q 'CPU speed-up' "$dir/model.txt" || { echo "bench smoke: no sweep CPU line" >&2; exit 1; }
