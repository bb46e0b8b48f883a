#!/bin/sh
# plot.sh - charts and report of a qsim output folder, with gnuplot.
#
#   sh plot/plot.sh DIR      (also: qsim plot DIR)
#
# Draws every chart whose data is in DIR (PNG and SVG):
#   kvr        KVr per poll over time, one line per option    (polls.csv)
#   cost       $/day by option                                 (summary.csv)
#   heal_cdf   healing latency CDF per option                  (heal_latency.csv)
#   stuck      stuck messages over time per option             (stuck.csv)
#   caps       when the free plan's daily caps are reached     (caps.csv)
#   compare/cost_ci  $/day with 95 % CI error bars             (compare/compare_summary.csv)
#   sweep/sweep      reads/day against the first swept parameter (sweep/sweep.csv)
# then writes DIR/report.md and DIR/report.html (cmark-gfm; the charts beside it).
# Without gnuplot it says so, skips the charts and still writes the report.
#
# Any experiment folder (docs/experiments.md, "Experiment folders"): its
# manifest.json says the kind. A compare folder keeps the report.md compare
# wrote (its charts go into report.html); a sweep folder gets a report of
# its own; a run folder's report is rebuilt. A folder without a manifest is
# recognised by its files (an older qsim's).
set -eu
out=${1:-out}
here=$(cd "$(dirname "$0")" && pwd)
[ -d "$out" ] || { echo "plot: $out: no such folder" >&2; exit 2; }
# manifest fields: the JSON is qsim's own, one "key": "value" per line
mf() { [ -f "$out/manifest.json" ] && sed -n "s/^[[:space:]]*\"$1\":[[:space:]]*\"\([^\"]*\)\",*\$/\1/p" "$out/manifest.json" | head -1; }
kind=$(mf kind || true)
if [ -z "$kind" ]; then
    if [ -f "$out/summary.csv" ]; then kind=run
    elif [ -f "$out/compare_summary.csv" ]; then kind=compare
    elif [ -f "$out/sweep.csv" ]; then kind=sweep
    fi
fi
case "$kind" in
run) [ -f "$out/summary.csv" ] || kind="" ;;
compare) [ -f "$out/compare_summary.csv" ] || kind="" ;;
sweep) [ -f "$out/sweep.csv" ] || kind="" ;;
search | advise) [ -f "$out/report.md" ] || kind="" ;; # their report is the result
*) kind="" ;;
esac
if [ -z "$kind" ] && { [ -f "$out/compare/compare_summary.csv" ] || [ -f "$out/sweep/sweep.csv" ]; }; then
    kind=run # an old layout: a run folder with compare/ and sweep/ inside
fi
if [ -z "$kind" ]; then
    echo "plot: $out: nothing to plot (no run, compare, sweep, search or advise results: summary.csv, compare_summary.csv, sweep.csv, or a search/advise manifest with its report.md)" >&2
    exit 2
fi
scenario_name=$(mf scenario || true)
have_gnuplot=1
command -v gnuplot >/dev/null 2>&1 || {
    have_gnuplot=0
    echo "plot: gnuplot not found: no charts (install gnuplot-nox); writing the report without them" >&2
}
charts=""

# draw NAME DIR SCRIPT [OPTIONS [PARAM OPTCOL]]: NAME.png and NAME.svg in
# DIR from plot/SCRIPT.gp. Paths and names reach gnuplot as data, through
# the environment, never pasted into its commands: a folder named
# x';system('touch pwned');a=' is just a folder name.
gp_env='metric=system("printenv QSIM_GP_METRIC"); here=system("printenv QSIM_GP_HERE"); out=system("printenv QSIM_GP_OUT"); dest=system("printenv QSIM_GP_DEST"); options=system("printenv QSIM_GP_OPTIONS"); param=system("printenv QSIM_GP_PARAM"); optcol=int(system("printenv QSIM_GP_OPTCOL"))'
draw() {
    [ "$have_gnuplot" = 1 ] || return 0
    name=$1; dir=$2; script=$3
    for term in png svg; do
        tmp="$dir/$name.$term.tmp"
        if QSIM_GP_METRIC=${metric:-reads_per_day} QSIM_GP_HERE=$here QSIM_GP_OUT=$dir QSIM_GP_DEST=$tmp QSIM_GP_OPTIONS=${4:-} QSIM_GP_PARAM=${5:-} \
            QSIM_GP_OPTCOL=${6:-0} gnuplot -e "$gp_env; term='$term'" "$here/$script.gp" 2>"$dir/.gnuplot.err"; then
            mv "$tmp" "$dir/$name.$term"
        else
            rm -f "$tmp"; echo "plot: $name: gnuplot failed:" >&2; cat "$dir/.gnuplot.err" >&2; rm -f "$dir/.gnuplot.err"; return 1
        fi
    done
    rm -f "$dir/.gnuplot.err"
    charts="$charts $dir/$name"
}

options_of() { tail -n +2 "$1" | cut -d, -f1 | awk '!seen[$0]++' | tr '\n' ' '; }

if [ "$kind" = run ] && [ -f "$out/summary.csv" ]; then
    opts=$(options_of "$out/summary.csv")
    [ -f "$out/polls.csv" ] && draw kvr "$out" kvr "$opts"
    draw cost "$out" cost
    if [ "$(wc -l < "$out/heal_latency.csv" 2>/dev/null || echo 0)" -gt 1 ]; then
        hopts=$(options_of "$out/heal_latency.csv")
        draw heal_cdf "$out" heal_cdf "$hopts"
    fi
    [ "$(wc -l < "$out/stuck.csv" 2>/dev/null || echo 0)" -gt 1 ] && draw stuck "$out" stuck "$opts"
    if [ "$(wc -l < "$out/caps.csv" 2>/dev/null || echo 0)" -gt 1 ]; then
        draw caps "$out" caps "$opts"
    fi
fi
cmp_dir="$out/compare"; sw_dir="$out/sweep"; cpre="compare/"; spre="sweep/"
[ "$kind" = compare ] && { cmp_dir=$out; cpre=""; }
[ "$kind" = sweep ] && { sw_dir=$out; spre=""; }
metric=$(mf metric || true)
if [ -f "$cmp_dir/compare_summary.csv" ]; then
    awk -F, 'NR > 1 && $2 == "usd_per_day" { print $1 "," $4 "," $5 "," $6 }' "$cmp_dir/compare_summary.csv" > "$cmp_dir/cost_ci.dat"
    draw cost_ci "$cmp_dir" cost_ci
fi
if [ -f "$sw_dir/sweep.csv" ]; then
    param=$(head -1 "$sw_dir/sweep.csv" | cut -d, -f2)
    optcol=$(head -1 "$sw_dir/sweep.csv" | tr ',' '\n' | grep -n '^option$' | cut -d: -f1)
    sopts=$(awk -F, -v c="$optcol" 'NR > 1 { print $c }' "$sw_dir/sweep.csv" | awk '!seen[$0]++' | tr '\n' ' ')
    draw sweep "$sw_dir" sweep "$sopts" "$param" "$optcol"
fi
if [ "$have_gnuplot" = 1 ]; then
    names=""
    for c in $charts; do names="$names ${c#"$out/"}"; done
    echo "plot: charts:$names" >&2
fi

# ---- report.md and report.html ----
# caption NAME: what the chart shows and what to look for.
caption() {
    case $1 in
    kvr) echo "KV reads per bot poll over time (log time axis, so the first seconds are visible). Option 0 stays at 1 + the number of stuck messages; a fix that heals steps down to 1 at its first put." ;;
    cost) echo "List price per day by option (no included amounts). The month's bill, which is what you pay, is in the decision table above." ;;
    heal_cdf) echo "Healing latency of the episodes that healed (empirical CDF of healed episodes only: an option with no healed episode has no line, and the share is of healed, not opened, episodes; compare healed/opened in the run table and the Kaplan-Meier p50)." ;;
    stuck) echo "Messages stuck over time (cache not terminal while the key is): each costs one extra read per poll under Option 0." ;;
    caps) echo "When the free plan's daily caps would be reached: each point is a cap crossing (hour of day, simulated day)." ;;
    compare/cost_ci | cost_ci) echo "Mean list price per day over the replications with 95 % confidence intervals (whiskers)." ;;
    sweep/sweep | sweep) echo "The chosen metric against the swept parameter, one line per option." ;;
    *) echo "$1" ;;
    esac
}
has_chart() { case " $charts " in *" $out/$1 "*) return 0 ;; esac; return 1; }
md="$out/report.md.tmp"; html="$out/report.html.tmp"
# compare, search and advise write their own report.md: it is kept, never
# replaced by one rebuilt here
own_report=0
case "$kind" in compare | search | advise) [ -f "$out/report.md" ] && own_report=1 ;; esac
if [ "$own_report" = 1 ]; then
    # compare's own report stays as it wrote it; the HTML adds the charts
    { cat "$out/report.md"; echo; for c in $charts; do r=${c#"$out/"}; echo "![$r]($r.svg)"; echo; echo "*Figure ($r). $(caption "$r")*"; echo; done; } > "$md"
else
{
    sc=""
    if [ -f "$out/results.json" ]; then
        sc=$(sed -n 's/^[[:space:]]*"scenario":[[:space:]]*"\(.*\)",$/\1/p' "$out/results.json" | head -1)
        file=$(sed -n 's/^[[:space:]]*"file":[[:space:]]*"\(.*\)",$/\1/p' "$out/results.json" | head -1)
    fi
    [ -n "$sc" ] || sc=$scenario_name
    if [ "$kind" = sweep ]; then
        echo "# qsim sweep: ${sc:-?}"
        echo
        echo "Metric ${metric:-reads_per_day} (mean, 95 % CI) against the first swept parameter; data: sweep.csv, points/."
    else
        echo "# qsim report${sc:+: $sc}"
    fi
    echo
    if [ -f "$out/summary.csv" ]; then
        echo "## Decision"
        echo
        echo "Scenario **$sc** (\`$file\`), one run per option. The month's bill (with included amounts) is what you pay; the list price per day is the marginal rate. A row marked **worse** loses more posts, leaves more messages unanswered or stuck, or answers more twice than option 0."
        echo
        echo "| option | bill per month | vs option 0 | list price per day | lost posts | never answered | answered twice | stuck | worse than option 0 |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
        awk -F, 'NR > 1 { vs = $1 == "0" ? "base" : $21 + 0 == 0 ? "same" : sprintf("%s$%.2f", $21 < 0 ? "-" : "+", $21 < 0 ? -$21 : $21)
            w = $22 == "" ? "no" : "**worse: " $22 "**"
            printf "| %s | $%.2f | %s | $%.6f | %s | %s | %s | %s | %s |\n", $1, $8, vs, $7, $17, $19, $20, $16, w }' "$out/summary.csv"
        echo
        if [ -f "$out/summary.txt" ] && grep -q '^decision' "$out/summary.txt"; then
            echo '```'
            sed -n '/^decision/,$p' "$out/summary.txt"
            echo '```'
            echo
        fi
    fi
    if [ -f "$cmp_dir/robust.md" ]; then
        echo "## Under which assumptions"
        echo
        echo "The comparison (below) was re-run at the low end, middle and high end of every value nobody publishes (same seeds)."
        echo
        grep -E '^(Conclusions|No ranking)' "$cmp_dir/robust.md"
        echo
        if grep -q 'DEPENDS' "$cmp_dir/robust.md"; then
            echo "| figure | how it depends |"
            echo "|---|---|"
            grep 'DEPENDS' "$cmp_dir/robust.md"
            echo
        fi
        echo "The assumptions and every figure's ranking are listed under Compare below."
        echo
    elif [ -f "$cmp_dir/compare_summary.csv" ]; then
        echo "## Under which assumptions"
        echo
        echo "Not checked: run \`qsim compare ... --robust\` to re-run the comparison across the assumed values."
        echo
    fi
    if [ -f "$out/summary.csv" ]; then
        echo "## Run: $sc"
        echo
        echo "| option | polls | KVr per poll | reads/day | writes/day | episodes | healed | heal p50 (s, Kaplan-Meier) |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|"
        # heal p50: Kaplan-Meier, empty in summary.csv where the curve never
        # reaches 50 % ("never") or no episode opened ("-")
        awk -F, 'NR > 1 { p50 = $9 == 0 ? "-" : $12 == "" ? "never" : sprintf("%.3f", $12 / 1e6)
            printf "| %s | %s | %.3f | %.1f | %.1f | %s | %s | %s |\n", $1, $2, $3, $4, $5, $9, $10, p50 }' "$out/summary.csv"
        echo
        for c in kvr cost heal_cdf stuck caps; do
            if has_chart "$c"; then
                echo "![$c]($c.svg)"
                echo
                echo "*Figure ($c). $(caption "$c")* [PNG]($c.png)"
            else
                case $c in
                heal_cdf) why="no episode healed or opened" ;;
                stuck) why="no stuck message at any time" ;;
                caps) why="no option reached a free-plan daily cap" ;;
                *) why="no data" ;;
                esac
                echo "*$c: no chart, no data ($why).*"
            fi
            echo
        done
    fi
    if [ -f "$cmp_dir/report.md" ]; then
        echo "## Compare: $(sed -n '1s/^# qsim compare: //p' "$cmp_dir/report.md")"
        echo
        tail -n +3 "$cmp_dir/report.md" | sed 's/^## /### /'
        echo
        if has_chart "${cpre}cost_ci"; then
            echo "![${cpre}cost_ci](${cpre}cost_ci.svg)"
            echo
            echo "*Figure (${cpre}cost_ci). $(caption "${cpre}cost_ci")*"
            echo
        fi
    fi
    if [ -f "$sw_dir/sweep.csv" ]; then
        echo "## Sweep"
        echo
        if has_chart "${spre}sweep"; then
            echo "![${spre}sweep](${spre}sweep.svg)"
            echo
            echo "*Figure (${spre}sweep). $(caption "${spre}sweep")*"
        else
            echo "*sweep: no chart, no data.*"
        fi
        echo
    fi
    [ "$kind" = run ] && echo "Data: results.json, summary.csv, polls.csv, stuck.csv, heal_latency.csv, caps.csv; see docs/metrics.md."
    true
} > "$md"
fi
src=$out/report.md
if [ "$own_report" = 1 ]; then src=$md; else mv "$md" "$out/report.md"; fi
# HTML: CommonMark with GitHub's table extension (cmark-gfm); the charts are
# referenced beside the page (offline, small page), not inlined.
{
    echo '<!doctype html><html><head><meta charset="utf-8"><title>qsim report</title>'
    echo '<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.4}table{border-collapse:collapse;font-size:13px;display:block;overflow-x:auto;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 7px;vertical-align:top}td[align="right"],th[align="right"]{white-space:nowrap}td:first-child{font-weight:600}img{max-width:100%;height:auto;border:1px solid #eee}pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:12px}code{background:#f3f3f3}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}</style></head><body>'
    if command -v cmark-gfm >/dev/null 2>&1; then
        cmark-gfm --extension table "$src"
    else
        echo "plot: cmark-gfm not found (install cmark-gfm): report.html shows the Markdown as text" >&2
        echo '<pre>'
        sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g' "$src"
        echo '</pre>'
    fi
    echo '</body></html>'
} > "$html"
mv "$html" "$out/report.html"
if [ "$src" = "$md" ]; then
    rm -f "$md"
    echo "plot: wrote $out/report.html ($out/report.md is $kind's own)" >&2
else
    echo "plot: wrote $out/report.md and $out/report.html" >&2
fi
