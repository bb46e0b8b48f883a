#!/bin/sh
# test_expdirs.sh - experiment folders (issue 17, docs/experiments.md):
#  (a) commands in a row never overwrite each other: run, run -o, compare,
#      sweep each get a folder of their own, out/latest follows the newest;
#  (b) the manifest: kind, id, command line, input hashes, seed, options,
#      times, and the files it lists are the folder's;
#  (c) --out DIR holding another experiment is refused (exit 2), --force
#      replaces it; the same experiment again is accepted;
#  (d) plot of each kind (run, compare, sweep, search, advise), compare's,
#      search's and advise's own reports kept, never replaced by a stub;
#  (e) every subcommand's --help exits 0 with its own usage; qsim help CMD;
#      the man page and the completion come from the same table;
#  (f) a sweep over a duration parameter; --metric; the table on stdout;
#  (g) runaway requests refused with the estimate and how to override;
#  (h) make run's dependencies do not include the test-only packages;
#  (i) the progress path (chunked runs) writes the same files; --progress
#      shows within a run for compare and sweep (runs, not points; ETA as
#      3m20s) without changing a byte of their results.
set -u
QSIM=${QSIM:-./qsim}
case $QSIM in /*) ;; *) QSIM=$(pwd)/$QSIM ;; esac
root=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
fail() { fail=$((fail + 1)); echo "expdirs: FAIL: $1" >&2; }
check() { if [ "$1" = 0 ]; then ok; else fail "$2"; fi; }
mf() { sed -n "s/^[[:space:]]*\"$2\":[[:space:]]*\"\\([^\"]*\\)\",*\$/\\1/p" "$1/manifest.json" | head -1; }

cd "$tmp" || exit 1
ln -s "$root/scenarios" scenarios
ln -s "$root/data" data
ln -s "$root/plot" plot
export QSIM_DATA="$root/data"
unset QSIM_OUT

# ---- (a) ----
"$QSIM" run scenarios/incident-164.json -q 2>err1; check $? "run: $(cat err1)"
r1=$(readlink out/latest)
(cd out && find "$r1" -type f | sort | xargs md5sum) > sum1
"$QSIM" run scenarios/incident-164.json -o 1+2 -q 2>err2; check $? "run -o 1+2: $(cat err2)"
r2=$(readlink out/latest)
"$QSIM" compare scenarios/busy.json --reps 2 --days 0.01 --jobs 1 -q 2>err3; check $? "compare: $(cat err3)"
c1=$(readlink out/latest)
"$QSIM" sweep scenarios/incident-164.json --param kv.put_error_prob=0,0.1 -o 0,1 --reps 2 --days 0.01 --jobs 1 -q 2>err4
check $? "sweep: $(cat err4)"
s1=$(readlink out/latest)
"$QSIM" search scenarios/incident-164.json --option 0 --property 'stuck_final<=0' --budget 20 >/dev/null 2>err5
check $? "search: $(cat err5)"
q1=$(readlink out/latest)
"$QSIM" advise scenarios/incident-164.json --target 'heal_p99_s<=5s' --options 0,1 --reps 2 --days 0.01 --jobs 1 -q \
    >/dev/null 2>err6
check $? "advise: $(cat err6)"
a1=$(readlink out/latest)
case "$q1|$a1" in search/incident-164-*"|"advise/incident-164-*) ok ;; *) fail "folders: $q1 $a1" ;; esac
for k in "$q1" "$a1"; do
    listed=$(tr -d '\n\t ' < "out/$k/manifest.json" | sed 's/.*"files":\[\([^]]*\)\].*/\1/' | tr -d '"' | tr ',' '\n' | sort)
    [ "$listed" = "$(ls "out/$k" | sort)" ]; check $? "$k: manifest files ($listed) against the folder ($(ls "out/$k"))"
done
case "$r1|$r2|$c1|$s1" in
run/incident-164-*"|"run/incident-164-*"|"compare/busy-*"|"sweep/incident-164-*) ok ;;
*) fail "folders: $r1 $r2 $c1 $s1" ;;
esac
[ "$r1" != "$r2" ]; check $? "run and run -o 1+2 share $r1"
(cd out && md5sum -c --quiet ../sum1) >/dev/null 2>&1; check $? "the first run's files changed after the later commands"
[ ! -e "out/$r2/report.md" ] && [ ! -e out/results.json ]; check $? "files outside the experiment folders"
# the same run again: the same folder, identical results
"$QSIM" run scenarios/incident-164.json -q 2>/dev/null; check $? "the same run again"
[ "$(readlink out/latest)" = "$r1" ]; check $? "the same run again went elsewhere: $(readlink out/latest)"

# ---- (b) ----
d=out/$r2
[ "$(mf "$d" kind)" = run ] && [ "$(mf "$d" scenario)" = incident-164 ]; check $? "manifest kind/scenario"
mf "$d" id | grep -q '^[0-9a-f]\{16\}$'; check $? "manifest id: $(mf "$d" id)"
case "$r2" in *"-$(mf "$d" id | cut -c1-8)") ok ;; *) fail "folder name $r2 does not end in the id" ;; esac
[ "$(mf "$d" options)" = 1+2 ] && [ "$(mf "$d" seed)" = 164 ] && [ "$(mf "$d" duration_us)" = 86400000000 ]
check $? "manifest settings: $(tr -d '\n\t' < "$d/manifest.json" | head -c 600)"
tr -d '\n\t' < "$d/manifest.json" | grep -q '"command_line":[[:space:]]*\["qsim", "run", "scenarios/incident-164.json", "-o", "1+2", "-q"\]'
check $? "manifest command_line: $(grep -A1 command_line "$d/manifest.json")"
h=$(tr -d '\n\t' < "$d/manifest.json" | sed 's/.*"scenario":[[:space:]]*{[[:space:]]*"path":[[:space:]]*"scenarios\/incident-164.json",[[:space:]]*"fnv1a64":[[:space:]]*"\([0-9a-f]*\)".*/\1/')
[ ${#h} -eq 16 ]; check $? "manifest scenario hash: $h"
grep -q '"pricing":' "$d/manifest.json" && grep -q '"limits":' "$d/manifest.json"; check $? "manifest pricing/limits"
mf "$d" started | grep -q '^20[0-9-]*T[0-9:]*Z$' && mf "$d" finished | grep -q 'Z$'; check $? "manifest times"
listed=$(tr -d '\n\t ' < "$d/manifest.json" | sed 's/.*"files":\[\([^]]*\)\].*/\1/' | tr -d '"' | tr ',' '\n' | sort)
present=$(ls "$d" | sort)
[ "$listed" = "$present" ]; check $? "manifest files ($listed) against the folder ($present)"
# results never hold wall-clock times: a second run, elsewhere, is byte-identical but for the manifest
"$QSIM" run scenarios/incident-164.json -o 1+2 -q --out again 2>/dev/null
diff -r -x manifest.json "$d" again >/dev/null; check $? "results differ between two runs"
[ "$(mf again id)" = "$(mf "$d" id)" ]; check $? "the same experiment has another id"

# ---- (c) ----
"$QSIM" run scenarios/incident-164.json -o 0 -q --out "$d" 2>err; rc=$?
[ $rc -eq 2 ] && grep -q 'holds another experiment' err && grep -q -- '--force' err; check $? "--out into another experiment: exit $rc, $(cat err)"
[ "$(mf "$d" options)" = 1+2 ]; check $? "the refused run changed the folder"
"$QSIM" compare scenarios/busy.json --reps 2 --days 0.01 -q --out "$d" 2>err; rc=$?
[ $rc -eq 2 ]; check $? "compare into a run's folder: exit $rc"
"$QSIM" run scenarios/incident-164.json -o 0 -q --out "$d" --force 2>/dev/null
[ $? -eq 0 ] && [ "$(mf "$d" options)" = 0 ]; check $? "--force did not replace the experiment"
touch plain && "$QSIM" run scenarios/incident-164.json -q --out plain 2>/dev/null
[ $? -eq 2 ]; check $? "--out FILE is a usage error"

# ---- (d) ----
for k in "$r1" "$c1" "$s1" "$q1" "$a1"; do
    cp "out/$k/report.md" before.md 2>/dev/null || rm -f before.md
    "$QSIM" plot "out/$k" 2>plot.err; rc=$?
    [ $rc -eq 0 ] && [ -s "out/$k/report.md" ] && [ -s "out/$k/report.html" ]; check $? "plot $k: exit $rc, $(cat plot.err)"
    case $k in
    run/*) grep -q '^# qsim report: incident-164' "out/$k/report.md"; check $? "run report title: $(head -1 "out/$k/report.md")"
           [ -s "out/$k/kvr.svg" ] || command -v gnuplot >/dev/null || ok ;;
    compare/* | search/* | advise/*) cmp -s before.md "out/$k/report.md"; check $? "plot replaced $k's report.md"
           grep -q "^# qsim ${k%%/*}: incident-164" "out/$k/report.md" || [ "${k%%/*}" = compare ]
           check $? "$k report title: $(head -1 "out/$k/report.md")" ;;
    sweep/*) grep -q '^# qsim sweep: incident-164' "out/$k/report.md"; check $? "sweep report title: $(head -1 "out/$k/report.md")" ;;
    esac
done
mkdir empty && "$QSIM" plot empty 2>/dev/null; [ $? -eq 2 ]; check $? "plot of an empty folder: exit 2"
# a search folder that lost its report: nothing to plot, and no stub written
mkdir lost && cp "out/$q1/manifest.json" lost/ && "$QSIM" plot lost 2>/dev/null; [ $? -eq 2 ] && [ ! -e lost/report.md ]
check $? "plot of a search folder without its report: exit 2, no stub"
"$QSIM" report "out/$r1" "out/$c1" 2>/dev/null; check $? "report of two folders"

# ---- (e) ----
for c in run compare sweep merge search advise script-from-trace plot report check strategies help; do
    "$QSIM" "$c" --help > h.out 2>h.err; rc=$?
    [ $rc -eq 0 ] && head -1 h.out | grep -q "^usage: qsim $c " && grep -q '^exit status: ' h.out && [ ! -s h.err ]
    check $? "$c --help: exit $rc, $(head -1 h.out)"
    "$QSIM" help "$c" > h2.out; cmp -s h.out h2.out; check $? "qsim help $c differs from $c --help"
done
"$QSIM" help search | grep -q '3 no violation'; check $? "search --help does not document exit 3"
"$QSIM" help advise | grep -q '3 no option'; check $? "advise --help does not document exit 3"
"$QSIM" help nosuch 2>/dev/null; [ $? -eq 2 ]; check $? "help of an unknown command: exit 2"
"$QSIM" help --man > qsim.1 && grep -q '^\.TH QSIM 1' qsim.1 && grep -q '^\.SS "sweep' qsim.1; check $? "man page"
if command -v man >/dev/null 2>&1 && man -l qsim.1 >/dev/null 2>&1; then ok; fi
"$QSIM" help --bash-completion > c.bash && bash -n c.bash && grep -q 'sweep) opts=".*--param' c.bash; check $? "completion"
if command -v bash >/dev/null 2>&1; then
    bash -c '. ./c.bash; COMP_WORDS=(qsim sweep --pa); COMP_CWORD=2; _qsim; [ "${COMPREPLY[*]}" = --param ]'
else true; fi
check $? "completion of 'qsim sweep --pa'"

# ---- (f) ----
"$QSIM" sweep scenarios/incident-164.json --param 'bots[0].poll_every=1s,3s,10s' -o 0 --reps 2 --days 0.01 --jobs 1 \
    --metric kvr_per_poll > sw.out 2>sw.err
check $? "sweep over bots[0].poll_every: $(cat sw.err)"
sd=out/$(readlink out/latest)
[ "$(wc -l < sw.out)" -eq 4 ] && head -1 sw.out | grep -q 'kvr_per_poll \[0\]'; check $? "sweep table on stdout: $(cat sw.out)"
awk -F, 'NR > 1 && $4 == "reads_per_day" { print $2, $6 }' "$sd/sweep.csv" > sw.rows
[ "$(cut -d' ' -f1 sw.rows | tr '\n' ' ')" = "1000000 3000000 10000000 " ]; check $? "duration values in µs: $(cat sw.rows)"
# the parameter reaches the model: polling every 1 s reads more than every 10 s
r1s=$(sed -n 1p sw.rows | cut -d' ' -f2); r10s=$(sed -n 3p sw.rows | cut -d' ' -f2)
awk -v a="$r1s" -v b="$r10s" 'BEGIN { exit !(a > 5 * b) }'; check $? "poll_every 1s vs 10s: $r1s vs $r10s reads/day"
[ "$(mf "$sd" metric)" = kvr_per_poll ]; check $? "the manifest lacks the sweep's metric"
"$QSIM" sweep scenarios/incident-164.json --param 'strategy.cron_every=1m:3m:1m' -o 3 --reps 2 --days 0.01 --jobs 1 -q 2>err
check $? "sweep over strategy.cron_every=1m:3m:1m: $(cat err)"
"$QSIM" sweep scenarios/incident-164.json --param 'kv.cache_ttl=30s,60s,300s' -o 1 --reps 2 --days 0.01 --jobs 1 -q 2>err
check $? "sweep over kv.cache_ttl: $(cat err)"
"$QSIM" sweep scenarios/incident-164.json --param 'kv.cache_ttl=30s,60' --reps 2 -q 2>/dev/null; [ $? -eq 2 ]
check $? "a mix of durations and numbers is refused"
"$QSIM" sweep scenarios/incident-164.json --param kv.put_error_prob=0,0.1 --metric nosuch -q 2>/dev/null; [ $? -eq 2 ]
check $? "an unknown --metric is refused"
# compare --metric: the table's columns, in the same vocabulary; an unknown name
# (an old hyphenated one) exits 2 before anything runs or is written
"$QSIM" compare scenarios/incident-164.json --reps 2 --metric usd_per_day,heal_p99_s --out cm >cm.out 2>/dev/null
[ $? -eq 0 ] && [ "$(sed -n 3p cm.out | tr -s ' ')" = "option usd_per_day heal_p99_s" ]
check $? "compare --metric: the table's header: $(sed -n 3p cm.out)"
"$QSIM" compare scenarios/incident-164.json --reps 2 --metric usd-per-day --out cm2 >/dev/null 2>cm2.err
[ $? -eq 2 ] && [ ! -e cm2 ] && grep -q "unknown metric 'usd-per-day'.*usd_per_day" cm2.err
check $? "compare --metric usd-per-day: $(cat cm2.err)"

# ---- (g) ----
runaway() { # description args...
    desc=$1; shift
    timeout 20 "$QSIM" "$@" > /dev/null 2>ra.err; rc=$?
    [ $rc -eq 2 ] && grep -q 'refused:.*about .* events' ra.err && grep -q -- '--force' ra.err
    check $? "$desc: exit $rc, $(head -c 400 ra.err)"
}
echo '{"duration": "106751991d", "bots": [{"poll_every": "1d"}]}' > ages.json
runaway "106751991 days" run ages.json -q
h='{"rate_per_s": 1000}'
echo "{\"humans\": [$h,$h,$h,$h,$h,$h,$h,$h,$h,$h,$h,$h,$h,$h,$h,$h], \"bots\": [{\"poll_every\": \"3s\"}]}" > h16.json
runaway "16 humans at 1,000 posts/s" run h16.json -q
runaway "--days 100000000" run scenarios/incident-164.json --days 100000000 -q
runaway "--reps 100000" compare scenarios/busy.json --reps 100000 -q
runaway "a sweep of centuries" sweep scenarios/incident-164.json --param kv.put_error_prob=0,0.1 --days 10000000 -q
[ ! -e out/run/scenario-* ] 2>/dev/null; check $? "a refused run left a folder"
# a year of the busy room, the target of issue 14, is within the budget
"$QSIM" run scenarios/busy.json --days 365 --no-polls-csv -q --out busy-year > /dev/null 2>ra.err &
pid=$!; sleep 1; kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
! grep -q refused ra.err; check $? "a year of busy.json was refused: $(cat ra.err)"

# ---- (h) ----
QSIM_DEPS_ABSENT="libcmocka-dev valgrind clang libclang-rt-dev" QSIM_DEPS_DRY=1 sh "$root/tools/deps.sh" run 2>deps.err
check $? "deps.sh run needs a test-only package: $(cat deps.err)"
QSIM_DEPS_ABSENT=libcmocka-dev QSIM_DEPS_DRY=1 sh "$root/tools/deps.sh" test 2>deps.err; rc=$?
[ $rc -eq 1 ] && grep -q 'libcmocka-dev' deps.err; check $? "deps.sh test without cmocka: exit $rc, $(cat deps.err)"
grep -q '^run: deps-run$' "$root/Makefile"; check $? "make run does not use the run-only dependency check"

# ---- (i) ----
QSIM_PROGRESS=1 "$QSIM" run scenarios/busy.json --days 0.02 -q --out prog 2>/dev/null
"$QSIM" run scenarios/busy.json --days 0.02 -q --out noprog 2>/dev/null
diff -r -x manifest.json prog noprog >/dev/null; check $? "the progress path changed the results"
"$QSIM" compare scenarios/busy.json -o 0,1 --reps 2 --days 0.6 --jobs 2 -q --progress --out cprog 2>cprog.err
check $? "compare --progress: $(cat cprog.err)"
"$QSIM" compare scenarios/busy.json -o 0,1 --reps 2 --days 0.6 --jobs 1 -q --out cnoprog 2>/dev/null
diff -r -x manifest.json cprog cnoprog >/dev/null; check $? "compare --progress changed the results"
# within runs: a fraction of a run shows (a run of 0.6 d of the busy room takes about a second)
tr '\r' '\n' < cprog.err | grep -q '^  [0-9]*\.[1-9]/4 runs, ETA ' ; check $? "compare --progress: no line within a run: $(tr '\r' '\n' < cprog.err | head -5)"
"$QSIM" sweep scenarios/incident-164.json --param kv.put_error_prob=0,0.1 -o 0,1 --reps 2 --days 0.2 --jobs 2 -q --progress \
    --out swprog 2>swprog.err
check $? "sweep --progress: $(cat swprog.err)"
tr '\r' '\n' < swprog.err | grep -q '^  [0-9.]*/8 runs, ETA ' ; check $? "sweep --progress counts runs: $(tr '\r' '\n' < swprog.err | head -5)"
"$QSIM" sweep scenarios/incident-164.json --param kv.put_error_prob=0,0.1 -o 0,1 --reps 2 --days 0.2 --jobs 1 -q --out swnoprog 2>/dev/null
diff -r -x manifest.json swprog swnoprog >/dev/null; check $? "sweep --progress changed the results"

echo "expdirs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
