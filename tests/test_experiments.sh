#!/bin/sh
# test_experiments.sh - the experiment commands as a user meets them. Run
# from the repository root with ./qsim built (make test does both).
#  (a) common random numbers: options 0 and 1 on the same seed see the
#      same human posts (time and message id) in their traces;
#  (b) compare: byte-identical outputs for --jobs 1 and --jobs 2; the CSV
#      has one row per option x replication x metric, the same seed for
#      every option in a replication; compare_summary.csv agrees with the
#      CSV; compare.json parses; option 1 reads less than option 0;
#  (c) sweep: two shards merged equal an unsharded sweep byte for byte;
#      merging different sweeps or an incomplete set fails with a message;
#  (d) resume: a sweep killed with -9 leaves only whole point files, and the
#      rerun skips exactly those ("N already done") and ends with the
#      sweep.csv of an uninterrupted run;
#  (e) plot: plot/plot.sh on a run folder exits 0 and writes report.md,
#      report.html (cmark-gfm; the charts referenced beside it) and, with
#      gnuplot, the charts.
set -u
name=test_experiments
. "$(dirname "$0")/lib.sh"
check() { # description command...: passes when the command succeeds
    d=$1; shift
    if "$@"; then ok; else fail "$d"; fi
}
have_python=0
command -v python3 >/dev/null 2>&1 && python3 -c 'import json' 2>/dev/null && have_python=1

if [ ! -x "$QSIM" ]; then
    echo "$name: $QSIM not built (run make qsim)" >&2
    exit 1
fi

# ---- (a) common random numbers ----
# "t msg" of every human post (call lines with endpoint post, actor not a bot).
human_posts() {
    grep '"type":"call"' "$1" | grep '"endpoint":"post"' | grep -v '"actor":"bot' |
        sed -n 's/^{"t":\([0-9][0-9]*\),.*"msg":"\([^"]*\)".*$/\1 \2/p'
}
"$QSIM" run scenarios/busy.json --days 0.01 --option 0 --trace "$tmp/A" --out "$tmp/runA" -q 2>"$tmp/err" ||
    fail "run busy option 0 with a trace: $(cat "$tmp/err")"
"$QSIM" run scenarios/busy.json --days 0.01 --option 1 --trace "$tmp/B" --out "$tmp/runB" -q 2>"$tmp/err" ||
    fail "run busy option 1 with a trace: $(cat "$tmp/err")"
human_posts "$tmp/A" > "$tmp/A.posts"
human_posts "$tmp/B" > "$tmp/B.posts"
n=$(wc -l < "$tmp/A.posts")
[ "$n" -ge 100 ] && ok || fail "CRN: only $n human posts in 0.01 day of busy (expected hundreds)"
if cmp -s "$tmp/A.posts" "$tmp/B.posts"; then ok; else
    fail "CRN: human posts differ between options 0 and 1 on the same seed:
$(diff "$tmp/A.posts" "$tmp/B.posts" | head -5)"
fi
# ... while the options themselves do differ (else the check above is empty)
nkA=$(grep -c '"type":"kv"' "$tmp/A")
nkB=$(grep -c '"type":"kv"' "$tmp/B")
[ "$nkA" -ne "$nkB" ] && ok || fail "CRN: options 0 and 1 made the same number of KV operations ($nkA)"
rm -f "$tmp/A" "$tmp/B"

# ---- (b) compare ----
cmp_args="scenarios/busy.json --options 0,1 --reps 4 --days 0.01"
# shellcheck disable=SC2086
"$QSIM" compare $cmp_args --jobs 1 --out "$tmp/C1" -q 2>"$tmp/err" || fail "compare --jobs 1: $(cat "$tmp/err")"
# shellcheck disable=SC2086
"$QSIM" compare $cmp_args --jobs 2 --out "$tmp/C2" -q 2>"$tmp/err" || fail "compare --jobs 2: $(cat "$tmp/err")"
for f in compare.csv compare_summary.csv compare.json report.md; do
    if [ ! -s "$tmp/C1/$f" ]; then
        fail "compare wrote no $f"
    elif cmp -s "$tmp/C1/$f" "$tmp/C2/$f"; then ok; else
        fail "compare: $f differs between --jobs 1 and --jobs 2"
    fi
done
csv=$tmp/C1/compare.csv
[ "$(head -n 1 "$csv")" = "option,rep,seed,metric,value" ] && ok || fail "compare.csv header: $(head -n 1 "$csv")"
M=$(tail -n +2 "$csv" | cut -d, -f4 | sort -u | wc -l)
rows=$(wc -l < "$csv")
[ "$M" -ge 10 ] && ok || fail "compare.csv: only $M distinct metrics"
[ "$rows" -eq $((2 * 4 * M + 1)) ] && ok || fail "compare.csv: $rows lines, expected 2*4*$M+1 = $((2 * 4 * M + 1))"
# every option x rep x metric exactly once
dups=$(tail -n +2 "$csv" | cut -d, -f1,2,4 | sort | uniq -d | wc -l)
[ "$dups" -eq 0 ] && ok || fail "compare.csv: $dups option,rep,metric triples repeated"
# common random numbers: replication r has one seed whatever the option, and
# the 4 replications have 4 different seeds
pairs=$(tail -n +2 "$csv" | cut -d, -f2,3 | sort -u | wc -l)
seeds=$(tail -n +2 "$csv" | cut -d, -f3 | sort -u | wc -l)
[ "$pairs" -eq 4 ] && [ "$seeds" -eq 4 ] && ok ||
    fail "compare.csv: $pairs (rep,seed) pairs and $seeds seeds, expected 4 and 4"
# compare_summary.csv: n counts the non-NA values, mean is their mean; a
# healing quantile that one replication never reached ("never": its
# Kaplan-Meier curve stays above it) makes the mean "never"
bad=$(awk -F, -v M="$M" '
    FNR == 1 { next }
    FILENAME == ARGV[1] { if ($5 == "never") nv[$1 "," $4]++
                          else if ($5 != "NA") { s[$1 "," $4] += $5; c[$1 "," $4]++ } next }
    { k = $1 "," $2; n = c[k] + nv[k]; seen++
      if ($3 != n) { print "n of " k ": " $3 " vs " n; next }
      if (nv[k] > 0) { if ($4 != "never") print "mean of " k " should be never"; next }
      if (n == 0) { if ($4 != "NA") print "mean of " k " should be NA"; next }
      m = s[k] / n; d = $4 - m; if (d < 0) d = -d; a = m < 0 ? -m : m
      if (d > 1e-7 * a + 1e-9) print "mean of " k ": " $4 " vs " m
      if (!($5 <= $4 && $4 <= $6)) print "CI of " k " does not hold the mean" }
    END { if (seen != 2 * M) print "summary has " seen " rows, expected " 2 * M }' \
    "$csv" "$tmp/C1/compare_summary.csv")
[ -z "$bad" ] && ok || fail "compare_summary.csv disagrees with compare.csv: $(echo "$bad" | head -3)"
r0=$(awk -F, '$1 == "0" && $2 == "reads_per_day" { print $4 }' "$tmp/C1/compare_summary.csv")
r1=$(awk -F, '$1 == "1" && $2 == "reads_per_day" { print $4 }' "$tmp/C1/compare_summary.csv")
if [ -n "$r0" ] && [ -n "$r1" ] && awk -v a="$r1" -v b="$r0" 'BEGIN { exit !(a < b) }'; then ok; else
    fail "compare: option 1 reads_per_day mean ($r1) is not below option 0's ($r0)"
fi
if [ "$have_python" = 1 ]; then
    if python3 - "$tmp/C1/compare.json" "$tmp/C1/compare_summary.csv" <<'EOF'
import csv, json, math, sys
d = json.load(open(sys.argv[1]))
means = {o["option"]: o["metrics"]["reads_per_day"]["mean"] for o in d["options"]}
assert set(means) == {"0", "1"}, means
assert means["1"] < means["0"], means
assert d["replications"] == 4 and d["baseline"] == "0", d
# the JSON and the summary CSV say the same
for row in csv.DictReader(open(sys.argv[2])):
    o = next(x for x in d["options"] if x["option"] == row["option"])
    m = o["metrics"][row["metric"]]
    assert m["n"] == int(row["n"]), (row, m)
    if m.get("never"):
        assert row["mean"] == "never" and "mean" not in m, (row, m)
    elif m["n"]:
        assert math.isclose(m["mean"], float(row["mean"]), rel_tol=1e-7, abs_tol=1e-9), (row, m)
# the paired difference of the baseline against itself is exactly 0
z = next(x for x in d["options"] if x["option"] == "0")["paired_difference_vs_baseline"]["reads_per_day"]
assert z["mean"] == 0 and z["ci95_low"] == 0 and z["ci95_high"] == 0, z
EOF
    then ok; else fail "compare.json: does not parse or disagrees (see above)"; fi
fi

# ---- (c) sweep, shards and merge ----
sw="scenarios/busy.json --param kv.put_error_prob=0:0.04:0.02 --options 0,1 --reps 2 --days 0.01 -q"
# shellcheck disable=SC2086
"$QSIM" sweep $sw --out "$tmp/U" 2>"$tmp/err" || fail "sweep (unsharded): $(cat "$tmp/err")"
# shellcheck disable=SC2086
"$QSIM" sweep $sw --shard 1/2 --out "$tmp/S1" 2>"$tmp/err" || fail "sweep --shard 1/2: $(cat "$tmp/err")"
# shellcheck disable=SC2086
"$QSIM" sweep $sw --shard 2/2 --out "$tmp/S2" 2>"$tmp/err" || fail "sweep --shard 2/2: $(cat "$tmp/err")"
[ -f "$tmp/U/sweep.csv" ] && ok || fail "the unsharded sweep wrote no sweep.csv"
[ ! -f "$tmp/S1/sweep.csv" ] && [ ! -f "$tmp/S2/sweep.csv" ] && ok ||
    fail "a shard wrote sweep.csv although it holds only part of the points"
[ "$(ls "$tmp/S1/points")" = "000000.json
000002.json" ] && [ "$(ls "$tmp/S2/points")" = "000001.json" ] && ok ||
    fail "shards 1/2 and 2/2 hold points '$(ls "$tmp/S1/points" | tr '\n' ' ')' and '$(ls "$tmp/S2/points" | tr '\n' ' ')'"
"$QSIM" merge "$tmp/S1" "$tmp/S2" --out "$tmp/M" 2>"$tmp/err" || fail "merge of two shards: $(cat "$tmp/err")"
if cmp -s "$tmp/U/sweep.csv" "$tmp/M/sweep.csv"; then ok; else fail "merged sweep.csv differs from the unsharded one"; fi
np=0
for f in "$tmp/U/points/"*.json; do
    np=$((np + 1))
    b=$(basename "$f")
    if cmp -s "$f" "$tmp/M/points/$b"; then ok; else fail "merged points/$b differs from the unsharded one"; fi
done
[ "$np" -eq 3 ] && ok || fail "the unsharded sweep wrote $np point files, expected 3"
# sweep.csv: header, the swept values in column 2, one row per point x option x metric
[ "$(head -n 1 "$tmp/U/sweep.csv")" = "point,kv.put_error_prob,option,metric,n,mean,ci95_low,ci95_high" ] && ok ||
    fail "sweep.csv header: $(head -n 1 "$tmp/U/sweep.csv")"
vals=$(tail -n +2 "$tmp/U/sweep.csv" | cut -d, -f1,2 | sort -u | tr '\n' ' ')
[ "$vals" = "0,0 1,0.02 2,0.04 " ] && ok || fail "sweep.csv points and values: '$vals'"
srows=$(tail -n +2 "$tmp/U/sweep.csv" | wc -l)
[ "$srows" -eq $((3 * 2 * M)) ] && ok || fail "sweep.csv: $srows rows, expected 3*2*$M"
# the parameter reaches the model: point 0 (no put errors) and point 2 differ
p0=$(awk -F, '$1 == 0 && $3 == "0" && $4 == "writes_per_day" { print $6 }' "$tmp/U/sweep.csv")
p2=$(awk -F, '$1 == 2 && $3 == "0" && $4 == "writes_per_day" { print $6 }' "$tmp/U/sweep.csv")
[ -n "$p0" ] && [ "$p0" != "$p2" ] && ok || fail "sweep: writes_per_day is '$p0' at put_error_prob 0 and '$p2' at 0.04"
# a shard of a different sweep (other --reps) does not merge
# shellcheck disable=SC2086
"$QSIM" sweep $sw --reps 3 --shard 2/2 --out "$tmp/R3" 2>"$tmp/err" || fail "sweep --reps 3 --shard 2/2: $(cat "$tmp/err")"
"$QSIM" merge "$tmp/S1" "$tmp/R3" --out "$tmp/MX" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -ne 0 ] && grep -q 'different sweep' "$tmp/err" && ok ||
    fail "merge of shards of different sweeps (--reps 2 and 3): exit $rc, stderr '$(cat "$tmp/err")'"
[ ! -f "$tmp/MX/sweep.csv" ] && ok || fail "a refused merge still wrote sweep.csv"
# an incomplete set of shards does not make a sweep.csv
"$QSIM" merge "$tmp/S1" --out "$tmp/MI" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -ne 0 ] && grep -q 'missing' "$tmp/err" && [ ! -f "$tmp/MI/sweep.csv" ] && ok ||
    fail "merge of one shard of two: exit $rc, stderr '$(cat "$tmp/err")'"
# a folder that is no sweep
mkdir -p "$tmp/empty"
"$QSIM" merge "$tmp/empty" --out "$tmp/ME" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && [ -s "$tmp/err" ] && ok || fail "merge of a folder without sweep.json: exit $rc"

# ---- (d) resume after kill -9 ----
# 6 points of about 0.25 s each with one job (no forked children outlive the
# kill); killed as soon as the first point file is in place.
rs="scenarios/busy.json --param kv.put_error_prob=0:0.05:0.01 --options 0,1 --reps 2 --days 0.06 --jobs 1"
# shellcheck disable=SC2086
"$QSIM" sweep $rs --out "$tmp/full" -q 2>"$tmp/err" || fail "uninterrupted sweep: $(cat "$tmp/err")"
# shellcheck disable=SC2086
"$QSIM" sweep $rs --out "$tmp/U2" -q 2>/dev/null &
bgpid=$!
i=0
while [ ! -f "$tmp/U2/points/000000.json" ] && [ "$i" -lt 600 ]; do
    sleep 0.02 2>/dev/null || sleep 1
    i=$((i + 1))
done
kill -9 "$bgpid" 2>/dev/null
wait "$bgpid" 2>/dev/null
bgpid=""
[ -f "$tmp/U2/points/000000.json" ] && ok || fail "resume: no point file appeared within the timeout"
ndone=0
for f in "$tmp/U2/points/"[0-9]*.json; do
    [ -e "$f" ] || continue
    ndone=$((ndone + 1))
    whole=0
    if [ "$have_python" = 1 ]; then
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["spec"] and len(d["options"]) == 2' "$f" \
            2>/dev/null && whole=1
    else
        [ "$(tail -n 1 "$f")" = "}" ] && grep -q '"spec"' "$f" && whole=1
    fi
    [ "$whole" = 1 ] && ok || fail "resume: $(basename "$f") left by the killed sweep is not a whole point file"
    if cmp -s "$f" "$tmp/full/points/$(basename "$f")"; then ok; else
        fail "resume: $(basename "$f") of the killed sweep differs from the uninterrupted one"
    fi
done
if [ "$ndone" -ge 1 ] && [ "$ndone" -lt 6 ]; then ok; else
    fail "resume: the killed sweep had $ndone of 6 points (kill not midway: make the points slower)"
fi
[ ! -f "$tmp/U2/sweep.csv" ] && ok || fail "resume: the killed sweep already has sweep.csv"
# shellcheck disable=SC2086
"$QSIM" sweep $rs --out "$tmp/U2" 2>"$tmp/err" >/dev/null || fail "resumed sweep: $(cat "$tmp/err")"
grep -q ", $ndone already done)" "$tmp/err" && ok ||
    fail "resume: stderr does not report the $ndone finished points as already done: $(head -n 1 "$tmp/err")"
grep -q "^qsim: sweep: $((6 - ndone)) points in" "$tmp/err" && ok ||
    fail "resume: expected $((6 - ndone)) points run, stderr: $(tail -n 1 "$tmp/err")"
if cmp -s "$tmp/full/sweep.csv" "$tmp/U2/sweep.csv"; then ok; else fail "resume: sweep.csv differs from an uninterrupted run"; fi
for f in "$tmp/full/points/"*.json; do
    cmp -s "$f" "$tmp/U2/points/$(basename "$f")" && ok || fail "resume: points/$(basename "$f") differs"
done
# a finished sweep run again redoes nothing and keeps its sweep.csv
cp "$tmp/U2/sweep.csv" "$tmp/sweep.before"
# shellcheck disable=SC2086
"$QSIM" sweep $rs --out "$tmp/U2" 2>"$tmp/err" >/dev/null || fail "sweep of a finished folder: $(cat "$tmp/err")"
grep -q "6 already done" "$tmp/err" && grep -q "^qsim: sweep: 0 points in" "$tmp/err" && ok ||
    fail "a finished sweep run again: $(cat "$tmp/err")"
cmp -s "$tmp/sweep.before" "$tmp/U2/sweep.csv" && ok || fail "a finished sweep run again changed sweep.csv"

# ---- (e) plot and report ----
"$QSIM" run scenarios/incident-164.json --out "$tmp/R" -q 2>"$tmp/err" || fail "run incident-164: $(cat "$tmp/err")"
if sh plot/plot.sh "$tmp/R" 2>"$tmp/err"; then ok; else fail "plot/plot.sh exited non-zero: $(cat "$tmp/err")"; fi
for f in report.md report.html; do
    [ -s "$tmp/R/$f" ] && ok || fail "plot: no $f"
done
# one table row per option of the run
for o in 0 1; do
    grep -q "^| $o | 28800 |" "$tmp/R/report.md" && ok || fail "report.md has no row for option $o"
done
if command -v gnuplot >/dev/null 2>&1; then
    for f in kvr.png kvr.svg cost.svg heal_cdf.svg stuck.svg; do
        [ -s "$tmp/R/$f" ] && ok || fail "plot: $f missing or empty"
    done
    grep -q '<img src="kvr.svg"' "$tmp/R/report.html" && ok || fail "report.html does not show kvr.svg"
    # every chart report.md points at is there
    for img in $(sed -n 's/^!\[[^]]*\](\(.*\))$/\1/p' "$tmp/R/report.md"); do
        [ -s "$tmp/R/$img" ] && ok || fail "report.md links $img, which is missing"
    done
else
    echo "$name: gnuplot not installed: chart checks skipped" >&2
fi
leftover=$(ls -a "$tmp/R" | grep -c '\.tmp' || true)
[ "$leftover" -eq 0 ] && ok || fail "plot left $leftover temporary files in the folder"
sh plot/plot.sh "$tmp/nonexistent" 2>/dev/null
rc=$?
[ "$rc" -eq 2 ] && ok || fail "plot.sh of a missing folder: exit $rc, expected 2"

t_done
