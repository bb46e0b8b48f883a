#!/bin/sh
# scaling.sh - how the full model's cost grows with the work (issue 18):
# the small room (scenarios/bench/room-30d.json) with one dimension moved at
# a time: cache window, bots, locations, message rate, simulated time.
# Each point is one `qsim run` under Option 0 (and Option 1 for the time
# axis) with --no-polls-csv; it prints events, user CPU seconds (getrusage
# through /usr/bin/time: the machine may be shared, so CPU time, not wall
# time), events per CPU-second and peak RSS, as a Markdown table on stdout.
# Not run by make test. --quick: tiny durations (a smoke of the script).
#   sh bench/scaling.sh [--quick] [--json FILE]      (QSIM=./qsim by default)
set -eu
QSIM=${QSIM:-./qsim}
BASE=scenarios/bench/room-30d.json
. "$(dirname "$0")/args.sh"
command -v jq > /dev/null || { echo "scaling.sh: needs jq" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "scaling.sh: needs /usr/bin/time (Debian: time)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
: > "$json"

# days D: the duration of a point, scaled down by --quick
days() { if [ "$quick" = 1 ]; then awk -v d="$1" 'BEGIN { x = d / 100; print x < 0.01 ? 0.01 : x }'; else echo "$1"; fi; }

# point AXIS VALUE OPTION DAYS JQ-FILTER: one run of the room changed by the filter
point() {
    jq "$5" "$BASE" > "$tmp/s.json"
    /usr/bin/time -f '%U %S %M' -o "$tmp/time" "$QSIM" run "$tmp/s.json" --option "$3" --days "$4" \
        --no-polls-csv -q --force --out "$tmp/o" 2> "$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
    events=$(sed -n 's/^qsim: 1 run, \([0-9]*\) events in .*/\1/p' "$tmp/err")
    set -- "$1" "$2" "$3" "$4" "$events" $(cat "$tmp/time")
    awk -v ax="$1" -v v="$2" -v o="$3" -v d="$4" -v e="$5" -v u="$6" -v rss="$8" -v j="$json" 'BEGIN {
        c = u > 0 ? u : 0.005   # /usr/bin/time reports 0.00 below its 10 ms resolution
        printf "| %s | %s | %s | %s | %d | %.2f | %.2f | %.3f | %.1f |\n", ax, v, o, d, e, u, e / c / 1e6, u / d, rss / 1024
        printf "{\"bench\":\"scaling\",\"axis\":\"%s\",\"value\":\"%s\",\"option\":\"%s\",\"days\":%s,\"events\":%d,\"user_s\":%.2f,\"events_per_cpu_s\":%.0f,\"peak_rss_mib\":%.1f}\n", ax, v, o, d, e, u, e / c, rss / 1024 >> j }'
}

echo "| axis | value | option | days | events | CPU s (user) | M events per CPU-s | CPU s per day | peak RSS MiB |"
echo "|---|---:|---|---:|---:|---:|---:|---:|---:|"
# cache window: the cache starts full (initial plain messages), so every
# write carries the whole window from the first day
for w in 200 1000 10000 100000; do
    point window "$w" 0 "$(days 1)" ".cache = {window: $w} | .initial = {plain: {count: $w, bytes: 200}}"
done
# bots: n bots polling every 3 s, at the one location
for n in 1 10 100 1000; do
    d=1; [ "$n" -ge 100 ] && d=0.1
    point bots "$n" 0 "$(days $d)" ".bots = [range($n) | {name: \"bot-\(.)\", location: \"ewr\", generation: {dist: \"exp\", mean: \"5s\"}}]"
done
# locations: the same work (one human source, 10 bots) spread over n
# locations, round-robin, each location with its own read cache
for n in 1 4 16 64 300; do
    point locations "$n" 0 "$(days 1)" \
        "[range($n) | \"loc-\(.)\"] as \$L | .locations = \$L | .humans[0].location = \$L[0]
         | .bots = [range(10) | {name: \"bot-\(.)\", location: \$L[. % $n], generation: {dist: \"exp\", mean: \"5s\"}}]"
done
# message rate (posts/s), 30 % to the bot
for r in 0.01 0.1 1 10 100; do
    d=1; case $r in 10|100) d=0.1 ;; esac
    point rate "$r" 0 "$(days $d)" ".humans[0].rate_per_s = $r"
done
# simulated time
for o in 0 1; do
    for d in 1 10 30 365; do
        point time "$d d" "$o" "$(days $d)" "."
    done
done
