#!/bin/sh
# bench_model.sh - the full model's speed (make bench): the incident scenario
# for 365 simulated days under Options 0 and 1, the busy scenario for 30
# days, the small room of issue 18 (scenarios/bench/room-30d.json) for 30
# days, and a 1,000-point sweep with --jobs 1 and --jobs 2 (speed-up and
# points/s).
# Same protocol as the C benches: [--quick] --json FILE; a table on stdout.
# Uses ${QSIM:-./qsim}; wall times come from qsim's own report on stderr.
set -eu
QSIM=${QSIM:-./qsim}
. "$(dirname "$0")/args.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
: > "$json"
year=365; busy=30; room=30; step=0.001
[ "$quick" = 1 ] && { year=5; busy=0.05; room=1; step=0.1; }

now() { date +%s.%N; }
# run NAME SCENARIO OPTION DAYS: one qsim run; prints and records its figures
run() {
    "$QSIM" run "$2" --option "$3" --days "$4" --no-polls-csv -q --force --out "$tmp/o" 2> "$tmp/err" ||
        { cat "$tmp/err" >&2; exit 1; }
    line=$(grep '^qsim: 1 run' "$tmp/err")
    events=$(echo "$line" | sed 's/.* \([0-9]*\) events in.*/\1/')
    secs=$(echo "$line" | sed 's/.* events in \([0-9.]*\) s.*/\1/')
    rss=$(echo "$line" | sed 's/.*peak RSS \([0-9.]*\) MiB.*/\1/')
    awk -v n="$1" -v e="$events" -v s="$secs" -v d="$4" -v r="$rss" -v j="$json" 'BEGIN {
        eps = s > 0 ? e / s / 1e6 : 0; dps = s > 0 ? d / s : 0
        printf "%-28s %10.1f days %12d events %8.3f s %8.2f M ev/s %10.1f days/s %8.1f MiB\n", n, d, e, s, eps, dps, r
        printf "{\"bench\":\"model\",\"name\":\"%s\",\"days\":%s,\"events\":%d,\"seconds\":%s,\"events_per_s\":%.0f,\"sim_days_per_s\":%.2f,\"peak_rss_mib\":%s}\n", n, d, e, s, eps * 1e6, dps, r >> j }'
}
# The machine may be shared: the 1-minute load average is printed at the
# start and recorded after the sweep, so a figure taken on a busy machine
# can be told apart.
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
echo "full model (one run per line, one core; load average $load at the start):"
run incident-option-0 scenarios/incident-164.json 0 "$year"
run incident-option-1 scenarios/incident-164.json 1 "$year"
run busy-option-0 scenarios/busy.json 0 "$busy"
run busy-option-1 scenarios/busy.json 1 "$busy"
run room-30d-option-0 scenarios/bench/room-30d.json 0 "$room"
run room-30d-option-1 scenarios/bench/room-30d.json 1 "$room"

# sweep: 1,000 points (kv.p429 = 0 .. 0.999), 2 options x 2 replications of
# a quarter day each (about 8 ms of simulation per point)
for j in 1 2; do
    t0=$(now)
    "$QSIM" sweep scenarios/incident-164.json --param "kv.p429=0:0.999:$step" --options 0,1 --reps 2 \
        --days 0.25 --jobs "$j" --out "$tmp/sweep$j" > /dev/null 2> "$tmp/sweep$j.err" ||
        { cat "$tmp/sweep$j.err" >&2; exit 1; }
    t1=$(now)
    eval "w$j=\$(echo \"\$t1 - \$t0\" | bc -l 2>/dev/null || awk -v a=\$t1 -v b=\$t0 'BEGIN{print a-b}')"
    # "qsim: sweep: CPU A s in J workers (busiest B s), C s in this process"
    cpu=$(sed -n 's/^qsim: sweep: CPU \([0-9.]*\) s in [0-9]* workers (busiest \([0-9.]*\) s), \([0-9.]*\) s in this process$/\1 \2 \3/p' "$tmp/sweep$j.err")
    [ -n "$cpu" ] || { echo "bench: no CPU line from the sweep: $(cat "$tmp/sweep$j.err")" >&2; exit 1; }
    eval "cpu$j=\"\$cpu\""
done
cmp -s "$tmp/sweep1/sweep.csv" "$tmp/sweep2/sweep.csv" || { echo "bench: --jobs 1 and 2 differ" >&2; exit 1; }
points=$(ls "$tmp/sweep1/points" | wc -l)
# The wall-time speed-up needs two idle cores. The CPU speed-up does not: the
# CPU of the whole --jobs 1 sweep over the critical path of --jobs 2 (its
# busiest worker plus the parent's own work), what two idle cores would give.
set -- $cpu1 $cpu2
awk -v p="$points" -v a="$w1" -v b="$w2" -v j="$json" -v l="$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)" \
    -v w1="$1" -v s1="$3" -v m2="$5" -v s2="$6" 'BEGIN {
    c1 = w1 + s1; c2 = m2 + s2
    printf "sweep %d points x 2 options x 2 reps: --jobs 1 %.2f s (%.1f points/s), --jobs 2 %.2f s (%.1f points/s), speed-up %.2f\n", p, a, p / a, b, p / b, a / b
    printf "  CPU: --jobs 1 %.2f s; --jobs 2 critical path %.2f s: CPU speed-up %.2f (%.1f points per CPU-second); load average %s\n", c1, c2, c1 / c2, p / c1, l
    printf "{\"bench\":\"sweep\",\"points\":%d,\"jobs1_s\":%.3f,\"jobs2_s\":%.3f,\"jobs1_points_per_s\":%.1f,\"jobs2_points_per_s\":%.1f,\"speedup\":%.3f,\"jobs1_cpu_s\":%.3f,\"jobs2_critical_cpu_s\":%.3f,\"cpu_speedup\":%.3f,\"loadavg_1m_after\":%s}\n", p, a, b, p / a, p / b, a / b, c1, c2, c1 / c2, l >> j }'
