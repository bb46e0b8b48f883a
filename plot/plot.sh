#!/bin/sh
# plot.sh - draws the charts of a qsim output folder with gnuplot:
#   kvr.{png,svg}   KVr per poll over time, one line per option
#   cost.{png,svg}  $/day at list price by option
#   stuck...        (see plot/*.gp)
# Usage: sh plot/plot.sh OUTDIR. Without gnuplot it says so and exits 0:
# the data files are the result; charts are a view of them.
set -eu
out=${1:-out}
here=$(dirname "$0")
if ! command -v gnuplot >/dev/null 2>&1; then
    echo "plot: gnuplot not found; data is in $out/ (install gnuplot-nox for charts)" >&2
    exit 0
fi
[ -f "$out/summary.csv" ] || { echo "plot: $out/summary.csv missing: run qsim first" >&2; exit 1; }
options=$(tail -n +2 "$out/summary.csv" | cut -d, -f1 | tr '\n' ' ')
for chart in kvr cost; do
    for term in png svg; do
        tmp="$out/$chart.$term.tmp"
        gnuplot -e "here='$here'; out='$out'; options='$options'; term='$term'; dest='$tmp'" "$here/$chart.gp"
        mv "$tmp" "$out/$chart.$term"
    done
done
echo "plot: wrote $out/kvr.png, $out/cost.png (and .svg)" >&2
