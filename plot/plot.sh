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
# then writes DIR/report.md and a self-contained DIR/report.html (SVG inline).
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
*) kind="" ;;
esac
if [ -z "$kind" ] && { [ -f "$out/compare/compare_summary.csv" ] || [ -f "$out/sweep/sweep.csv" ]; }; then
    kind=run # an old layout: a run folder with compare/ and sweep/ inside
fi
if [ -z "$kind" ]; then
    echo "plot: $out: nothing to plot (no run, compare or sweep results: summary.csv, compare_summary.csv or sweep.csv)" >&2
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
cmp_dir="$out/compare"; sw_dir="$out/sweep"
[ "$kind" = compare ] && cmp_dir=$out
[ "$kind" = sweep ] && sw_dir=$out
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
md="$out/report.md.tmp"; html="$out/report.html.tmp"
if [ "$kind" = compare ] && [ -f "$out/report.md" ]; then
    # compare's own report stays as it wrote it; the HTML adds the charts
    { cat "$out/report.md"; echo; for c in $charts; do echo "![${c#"$out/"}](${c#"$out/"}.svg)"; echo; done; } > "$md"
    src=$md
else
src=$md
{
    if [ "$kind" = sweep ]; then
        echo "# qsim sweep: ${scenario_name:-?}"
        echo
        echo "Metric ${metric:-reads_per_day} (mean, 95 % CI) against the first swept parameter; data: sweep.csv, points/."
        echo
    else
        echo "# qsim report${scenario_name:+: $scenario_name}"
        echo
    fi
    if [ -f "$out/results.json" ]; then
        sc=$(sed -n 's/^[[:space:]]*"scenario":[[:space:]]*"\(.*\)",$/\1/p' "$out/results.json" | head -1)
        file=$(sed -n 's/^[[:space:]]*"file":[[:space:]]*"\(.*\)",$/\1/p' "$out/results.json" | head -1)
        echo "Scenario **$sc** (\`$file\`)."
        echo
        echo "| option | polls | KVr per poll | reads/day | writes/day | \$/day | \$/month | episodes | healed | heal p50 (s, Kaplan-Meier) | stuck at end |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        # heal p50: Kaplan-Meier, empty in summary.csv where the curve never
        # reaches 50 % ("never") or no episode opened ("-")
        awk -F, 'NR > 1 { p50 = $9 == 0 ? "-" : $12 == "" ? "never" : sprintf("%.3f", $12 / 1e6)
            printf "| %s | %s | %.3f | %.1f | %.1f | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $7, $8, $9, $10, p50, $16 }' "$out/summary.csv"
        echo
    fi
    for c in $charts; do
        rel=${c#"$out/"}
        echo "![$rel]($rel.svg)"
        echo
    done
    if [ -f "$cmp_dir/report.md" ]; then
        echo "## Compare"
        echo
        tail -n +3 "$cmp_dir/report.md"
        echo
    fi
    [ "$kind" = run ] && echo "Data: results.json, summary.csv, polls.csv, stuck.csv, heal_latency.csv, caps.csv; see docs/metrics.md."
    true
} > "$md"
fi
{
    echo '<!doctype html><html><head><meta charset="utf-8"><title>qsim report</title>'
    echo '<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}td:first-child,th:first-child{text-align:left}svg{max-width:100%;height:auto}</style></head><body>'
    # Markdown tables and headings to HTML; images replaced by the SVG itself.
    awk -v out="$out" '
        function cells(line, tag,   n, a, i, s) {
            n = split(line, a, "|"); s = "<tr>"
            for (i = 2; i < n; i++) { gsub(/^ +| +$/, "", a[i]); s = s "<" tag ">" a[i] "</" tag ">" }
            return s "</tr>"
        }
        /^# /  { print "<h1>" substr($0, 3) "</h1>"; next }
        /^## / { print "<h2>" substr($0, 4) "</h2>"; next }
        /^\|---/ { next }
        /^\|/  { if (!intable) { print "<table>"; intable = 1; print cells($0, "th") } else print cells($0, "td"); next }
        { if (intable) { print "</table>"; intable = 0 } }
        /^!\[/ { f = $0; sub(/^.*\(/, "", f); sub(/\)$/, "", f); path = out "/" f
                 while ((getline l < path) > 0) if (l !~ /^<\?xml/) print l; close(path); next }
        /^$/ { next }
        { print "<p>" $0 "</p>" }
        END { if (intable) print "</table>" }' "$src"
    echo '</body></html>'
} > "$html"
mv "$html" "$out/report.html"
if [ "$kind" = compare ] && [ -f "$out/report.md" ]; then
    rm -f "$md"
    echo "plot: wrote $out/report.html ($out/report.md is compare's own)" >&2
else
    mv "$md" "$out/report.md"
    echo "plot: wrote $out/report.md and $out/report.html" >&2
fi
