#!/bin/sh
# test_heal_never.sh - an option where nothing heals reports "never", never
# 0 or a figure from the few episodes that did heal, everywhere a healing
# time is printed: the run table, summary.csv, results.json, compare's
# table, compare.csv, compare.json and compare_summary.csv, and advise.
#
# scenarios/incident-164.json: four episodes open from the start. Option 0
# heals none (all four censored at the end of the day): its Kaplan-Meier
# curve stays at S = 1, so every quantile is "never". Option 1 heals all
# four at the first poll's heal put, so every quantile is one time: when that
# put lands, read from the run's trace (the first put of recent:comments;
# it moves with the latency draws). Run from the repository root with ./qsim
# built.
set -u
name=test_heal_never
. "$(dirname "$0")/lib.sh"

"$QSIM" run scenarios/incident-164.json --days 0.05 --out "$tmp/r" --trace "$tmp/r/trace.jsonl" >"$tmp/table" 2>"$tmp/err" ||
    fail "run: $(cat "$tmp/err")"
# the heal time, in us: option 1's first put of the cache (its first poll's heal)
heal=$(grep -m1 '"op":"put","key":"recent:comments"' "$tmp/r/trace-1.jsonl" | sed 's/^{"t":\([0-9]*\),.*/\1/')
case $heal in ''|*[!0-9]*) fail "no heal put in option 1's trace: '$heal'"; heal=0 ;; esac
heal_ms=$((heal / 1000)); heal_s=$(awk -v u="$heal" 'BEGIN { printf "%.6f", u / 1e6 }')
# the run table: option 0 "0/4 never", option 1 "4/4 <heal>ms" (columns 13, 14:
# after $/month, vs 0, $/day, polls, reads/day, writes/day, lost, never,
# twice, stuck, worse than 0)
awk '$1 == "0" && $13 == "0/4" && $14 == "never"' "$tmp/table" | grep -q . && ok ||
    fail "run table, option 0: $(grep '^0 ' "$tmp/table")"
awk -v h="${heal_ms}ms" '$1 == "1" && $13 == "4/4" && $14 == h' "$tmp/table" | grep -q . && ok ||
    fail "run table, option 1: $(grep '^1 ' "$tmp/table")"
# summary.csv: heal_p50_us, heal_p95_us, heal_p99_us, heal_max_us (12-15)
# empty for option 0, the heal time for option 1
awk -F, '$1 == "0" && $9 == 4 && $10 == 0 && $12 == "" && $13 == "" && $14 == "" && $15 == ""' "$tmp/r/summary.csv" |
    grep -q . && ok || fail "summary.csv, option 0: $(grep '^0,' "$tmp/r/summary.csv")"
awk -F, -v h="$heal" '$1 == "1" && $12 == h && $13 == h && $14 == h && $15 == h' "$tmp/r/summary.csv" |
    grep -q . && ok || fail "summary.csv, option 1: $(grep '^1,' "$tmp/r/summary.csv")"
# results.json: heal.km.* = -1 ("never") for option 0
if python3 - "$tmp/r/results.json" "$heal" <<'EOF'
import json, sys
r = {x["option"]: x["counters"] for x in json.load(open(sys.argv[1]))["runs"]}
for q in ("p50", "p90", "p95", "p99"):
    assert r["0"]["heal.km.%s_us" % q] == -1, r["0"]
    assert r["1"]["heal.km.%s_us" % q] == int(sys.argv[2]), r["1"]
EOF
then ok; else fail "results.json: heal.km.* (see above)"; fi

# heal_km.csv (the heal_cdf chart's data): option 0 a line at 0 from 0 to
# the end of the run (0.05 days = 4320 s), its 4 episodes censored there;
# option 1 from 0 to 1 at the heal time, where all four healed
awk -F, '$1 == "0" && ($2 == "step" || $2 == "end") && $4 != "0.000000" { bad = 1 }
    $1 == "0" && $2 == "end" && $3 == "4320.000000" { e = 1 } $1 == "0" && $2 == "censor" { c += $9 }
    END { exit !(!bad && e && c == 4) }' "$tmp/r/heal_km.csv" && ok || fail "heal_km.csv, option 0: $(grep '^0,' "$tmp/r/heal_km.csv")"
grep -q '^1,step,0.000000,0.000000,' "$tmp/r/heal_km.csv" && grep -q "^1,step,$heal_s,1.000000,1.000000,1.000000,4,4,0\$" "$tmp/r/heal_km.csv" &&
    ok || fail "heal_km.csv, option 1: $(grep '^1,' "$tmp/r/heal_km.csv")"

# compare: the table says "never (3/3)" for option 0, and the files agree
"$QSIM" compare scenarios/incident-164.json --reps 3 --days 0.05 --jobs 1 --out "$tmp/c" >"$tmp/ctable" 2>"$tmp/err" ||
    fail "compare: $(cat "$tmp/err")"
grep '^0 ' "$tmp/ctable" | grep -q 'never (3/3)' && ok || fail "compare table, option 0: $(grep '^0 ' "$tmp/ctable")"
grep '^1 ' "$tmp/ctable" | grep -q 'never' && fail "compare table, option 1 says never: $(grep '^1 ' "$tmp/ctable")" || ok
n=$(awk -F, '$1 == "0" && $4 == "heal_p50_s" && $5 == "never"' "$tmp/c/compare.csv" | wc -l)
[ "$n" -eq 3 ] && ok || fail "compare.csv: $n of 3 replications of option 0 say never"
awk -F, '$1 == "0" && $2 == "heal_p99_s" && $3 == 3 && $4 == "never"' "$tmp/c/compare_summary.csv" | grep -q . && ok ||
    fail "compare_summary.csv, option 0: $(grep '^0,heal_p99_s' "$tmp/c/compare_summary.csv")"
if python3 - "$tmp/c/compare.json" <<'EOF'
import json, sys
d = {o["option"]: o["metrics"] for o in json.load(open(sys.argv[1]))["options"]}
m = d["0"]["heal_p50_s"]
assert m["never"] == 3 and "mean" not in m, m
# option 1 heals every episode in every replication (at its first poll)
assert "never" not in d["1"]["heal_p50_s"] and 0 < d["1"]["heal_p50_s"]["mean"] < 3, d["1"]["heal_p50_s"]
EOF
then ok; else fail "compare.json: heal_p50_s (see above)"; fi

# advise: option 0 misses a healing target because it never heals
"$QSIM" advise scenarios/incident-164.json --target 'heal_p50_s<=1h' --options 0 --reps 2 --days 0.05 --jobs 1 --out "$tmp/a" \
    >"$tmp/adv" 2>&1
grep -q 'never' "$tmp/adv" && ok || fail "advise: option 0 does not say never: $(cat "$tmp/adv")"

t_done
