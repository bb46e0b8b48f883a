#!/bin/sh
# test_report_html.sh - report.html as a browser shows it: rendered by
# cmark-gfm (no raw Markdown left: no '**', no '|---'), the decision first,
# every chart it references present beside it, and Debian's chromium in
# headless mode renders it without console errors (a missing image or a
# script error would be one) and takes a screenshot (kept as
# build/report-screenshot.png for a person to look at).
set -u
name=test_report_html
. "$(dirname "$0")/lib.sh"

o=$tmp/out
"$QSIM" run scenarios/incident-164.json --days 0.05 --out "$o" -q 2>"$tmp/err" || fail "run: $(cat "$tmp/err")"
"$QSIM" compare scenarios/incident-164.json --reps 2 --days 0.005 --jobs 2 --robust --out "$o/compare" -q 2>"$tmp/err" ||
    fail "compare: $(cat "$tmp/err")"
sh plot/plot.sh "$o" 2>"$tmp/err" || fail "plot: $(cat "$tmp/err")"
h=$o/report.html
[ -s "$h" ] && ok || fail "no report.html"
grep -q '<table>' "$h" && grep -q '<strong>' "$h" && ok || fail "tables or bold not rendered"
grep -qE '\*\*|\|---' "$h" && fail "raw Markdown in report.html: $(grep -nE '\*\*|\|---' "$h" | head -2)" || ok
# the decision comes first: its heading before any other section
first=$(grep -o '<h2>[^<]*</h2>' "$h" | head -1)
[ "$first" = "<h2>Decision</h2>" ] && ok || fail "first section is '$first'"
grep -q 'changes nothing on the bill' "$h" && ok || fail "the bill sentence is missing"
# every image referenced is beside the page
for src in $(grep -o '<img src="[^"]*"' "$h" | sed 's/<img src="//; s/"$//'); do
    [ -f "$o/$src" ] && ok || fail "report.html references $src, which is not there"
done
# every chart has its caption (what it shows, what to look for); the
# charts with no data say so instead of drawing an empty frame
for c in kvr cost heal_cdf stuck; do
    grep -q "<em>Figure ($c)\. .*Look for: " "$h" && ok || fail "chart $c has no caption with what to look for"
done
grep -q 'Kaplan-Meier survival over every episode' "$h" && ok || fail "heal_cdf caption does not say Kaplan-Meier"
if command -v gnuplot >/dev/null 2>&1; then
    # the incident's option 0 heals nothing: its heal_cdf line is at 0, so
    # the chart exists; no cap is reached in 0.05 days: caps says no data
    [ -f "$o/heal_cdf.png" ] && ok || fail "no heal_cdf chart although both options opened episodes"
    grep -q '<em>caps: no chart, no data' "$h" && ok || fail "caps without data should say so"
fi
# plot --metric: the sweep chart's data is the chosen metric only, each
# option's points together; an unknown metric is refused with the list
"$QSIM" sweep scenarios/incident-164.json --param 'bots[0].poll_every=1s,10s' --reps 2 --days 0.002 --jobs 2 \
    --out "$tmp/sw" -q 2>"$tmp/err" || fail "sweep: $(cat "$tmp/err")"
"$QSIM" plot "$tmp/sw" --metric usd_per_day 2>"$tmp/err" || fail "plot --metric: $(cat "$tmp/err")"
awk -F, '{ if ($1 != last) { if (seen[$1]++) bad = 1; last = $1 } n++ } END { exit !(n == 4 && !bad) }' \
    "$tmp/sw/sweep_metric.dat" && ok || fail "sweep_metric.dat: $(cat "$tmp/sw/sweep_metric.dat")"
want=$(awk -F, 'NR > 1 && $4 == "usd_per_day" { print $3 "," $2 "," $6 }' "$tmp/sw/sweep.csv" | sort)
got=$(cut -d, -f1-3 "$tmp/sw/sweep_metric.dat" | sort)
[ "$want" = "$got" ] && ok || fail "sweep_metric.dat is not sweep.csv's usd_per_day rows: $got"
"$QSIM" plot "$tmp/sw" --metric nope >/dev/null 2>"$tmp/err"
[ $? = 2 ] && grep -q 'not in .*sweep.csv; it has: reads_per_day' "$tmp/err" && ok || fail "plot --metric nope: $(cat "$tmp/err")"
size=$(wc -c <"$h")
[ "$size" -lt 100000 ] && ok || fail "report.html is $size bytes: charts inlined?"
if command -v chromium >/dev/null 2>&1; then
    shot=$tmp/shot.png
    timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,1400 \
        --enable-logging=stderr --v=0 --user-data-dir="$tmp/profile" --screenshot="$shot" "file://$(cd "$o" && pwd)/report.html" \
        >"$tmp/chromium.out" 2>"$tmp/chromium.err"
    [ -s "$shot" ] && ok || fail "no screenshot: $(tail -3 "$tmp/chromium.err")"
    if grep -E 'CONSOLE|ERR_FILE_NOT_FOUND|Uncaught' "$tmp/chromium.err" | grep -q .; then
        fail "console errors: $(grep -E 'CONSOLE|ERR_FILE_NOT_FOUND|Uncaught' "$tmp/chromium.err" | head -3)"
    else
        ok
    fi
    mkdir -p build && cp "$shot" build/report-screenshot.png 2>/dev/null
else
    fail "chromium not installed (sh tools/deps.sh test installs it)"
fi
t_done
