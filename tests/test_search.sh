#!/bin/sh
# test_search.sh - qsim search as a user meets it. Run from the repository
# root with ./qsim built (make test does both).
#  (a) Option 1's blind cache put: no-lost-posts:pending is violated within
#      the budget; the written scenario replays under qsim run (a loss by a
#      pending call under option 1) and shows none under option 0, which
#      writes nothing in pending;
#  (b) legacy keys: healed-within:60s under option 1 shrinks to a case with
#      legacy keys that stays unhealed past 60 s under option 1 and heals
#      under 1fixed;
#  (c) shrinking is monotone: no more features and no longer than the first
#      violating trial;
#  (d) the same search twice gives the same file and the same report;
#  (e) option 0 never loses a post by a pending write: "no violation".
set -u
name=test_search
. "$(dirname "$0")/lib.sh"
SC=scenarios/incident-164.json

if [ ! -x "$QSIM" ]; then
    echo "$name: $QSIM not built (run make qsim)" >&2
    exit 1
fi

# counter NAME FILE: the value of a counter in a one-option results.json
counter() {
    sed -n "s/^[[:space:]]*\"$1\":[[:space:]]*\\(-\\{0,1\\}[0-9][0-9]*\\),\\{0,1\\}[[:space:]]*\$/\\1/p" "$2" | head -n 1
}
# features LINE-NAME FILE: the feature count of the "first:" or "shrunk:" line
features() { sed -n "s/^  $1:[[:space:]]*\\([0-9][0-9]*\\) features, .*/\\1/p" "$2"; }
# seconds LINE-NAME FILE: the duration of that line
seconds() { sed -n "s/^  $1:[[:space:]]*[0-9][0-9]* features, \\([0-9][0-9]*\\) s: .*/\\1/p" "$2"; }
# monotone FILE: the shrunk case is no bigger than the first one
monotone() {
    f0=$(features first "$1"); f1=$(features shrunk "$1")
    d0=$(seconds first "$1"); d1=$(seconds shrunk "$1")
    if [ -n "$f0" ] && [ -n "$f1" ] && [ -n "$d0" ] && [ -n "$d1" ] && [ "$f1" -le "$f0" ] && [ "$d1" -le "$d0" ]; then
        ok
    else
        fail "$2: shrinking is not monotone: first '$f0' features '$d0' s, shrunk '$f1' features '$d1' s"
    fi
}
# replay FILE OPTION OUTDIR: qsim run of a written scenario under one option
replay() {
    "$QSIM" run "$1" --option "$2" --out "$3" -q 2>"$tmp/err"
    rc=$?
    # a failed expectation would be 1; a found scenario carries none
    [ "$rc" -eq 0 ] && ok || fail "qsim run $1 --option $2: exit $rc: $(cat "$tmp/err")"
}

# ---- (a) Option 1's pending put loses posts ----
"$QSIM" search $SC --option 1 --property no-lost-posts:pending --budget 500 --seed 1 --out "$tmp/D" \
    >"$tmp/lost.out" 2>"$tmp/lost.err"
rc=$?
[ "$rc" -eq 0 ] && ok || fail "search no-lost-posts:pending: exit $rc: $(cat "$tmp/lost.err")"
n=$(sed -n 's/^search: no-lost-posts:pending violated under option 1 after \([0-9][0-9]*\) trial(s).*/\1/p' "$tmp/lost.out")
[ -n "$n" ] && [ "$n" -ge 1 ] && [ "$n" -le 500 ] && ok ||
    fail "search no-lost-posts:pending: no violation within 500 trials: $(head -n 1 "$tmp/lost.out")"
grep -q '^  written:  .*(replays with qsim run: yes)$' "$tmp/lost.out" && ok ||
    fail "search no-lost-posts:pending: the written case does not replay: $(grep written: "$tmp/lost.out")"
found=$tmp/D/no-lost-posts-pending-1-1.json
if [ -s "$found" ]; then
    ok
    replay "$found" 1 "$tmp/D1"
    v=$(counter cache.lost_by_overwrite.pending "$tmp/D1/results.json")
    [ -n "$v" ] && [ "$v" -ge 1 ] && ok ||
        fail "the written case under option 1: cache.lost_by_overwrite.pending = '$v', expected >= 1"
    replay "$found" 0 "$tmp/D0"
    v=$(counter cache.lost_by_overwrite.pending "$tmp/D0/results.json")
    [ "$v" = 0 ] && ok || fail "the written case under option 0: cache.lost_by_overwrite.pending = '$v', expected 0"
else
    fail "search no-lost-posts:pending wrote no $found"
fi
monotone "$tmp/lost.out" "no-lost-posts:pending"

# ---- (b) legacy keys are never healed by option 1 ----
"$QSIM" search $SC --option 1 --property healed-within:60s --seed 1 --out "$tmp/L" >"$tmp/leg.out" 2>"$tmp/leg.err"
rc=$?
[ "$rc" -eq 0 ] && ok || fail "search healed-within:60s: exit $rc: $(cat "$tmp/leg.err")"
grep -q '^search: healed-within:60s violated under option 1 after [0-9]* trial(s)' "$tmp/leg.out" && ok ||
    fail "search healed-within:60s: no violation: $(head -n 1 "$tmp/leg.out")"
grep '^  shrunk:' "$tmp/leg.out" | grep -q 'legacy keys' && ok ||
    fail "search healed-within:60s: shrunk case without legacy keys: $(grep '^  shrunk:' "$tmp/leg.out")"
found=$tmp/L/healed-within-60s-1-1.json
if [ -s "$found" ]; then
    ok
    replay "$found" 1 "$tmp/L1"
    v=$(counter divergence.open_max_age_us "$tmp/L1/results.json")
    [ -n "$v" ] && [ "$v" -gt 60000000 ] && ok ||
        fail "the written case under option 1: divergence.open_max_age_us = '$v', expected > 60000000"
    replay "$found" 1fixed "$tmp/LF"
    v=$(counter divergence.open_max_age_us "$tmp/LF/results.json")
    [ -n "$v" ] && [ "$v" -le 60000000 ] && ok ||
        fail "the written case under 1fixed: divergence.open_max_age_us = '$v', expected <= 60000000"
    h=$(counter divergence.healed "$tmp/LF/results.json")
    [ -n "$h" ] && [ "$h" -ge 1 ] && ok || fail "the written case under 1fixed: divergence.healed = '$h', expected >= 1"
else
    fail "search healed-within:60s wrote no $found"
fi

# ---- (c) monotone shrinking ----
monotone "$tmp/leg.out" "healed-within:60s"

# ---- (d) determinism: same seed, same file and report ----
# Into the same --out folder (its path is in the report); the wall time at
# the end of the first line is the only thing allowed to differ.
strip_wall() { sed '1s/, [0-9][0-9]*\.[0-9] s$//' "$1"; }
for run in 1 2; do
    rm -rf "$tmp/det"
    "$QSIM" search $SC --option 1 --property healed-within:60s --seed 1 --out "$tmp/det" >"$tmp/det$run.out" 2>/dev/null
    strip_wall "$tmp/det$run.out" >"$tmp/det$run.txt"
    cp "$tmp/det/healed-within-60s-1-1.json" "$tmp/det$run.json" 2>/dev/null
done
cmp -s "$tmp/det1.json" "$tmp/det2.json" && [ -s "$tmp/det1.json" ] && ok ||
    fail "the same search twice wrote different scenario files"
if cmp -s "$tmp/det1.txt" "$tmp/det2.txt"; then ok; else
    fail "the same search twice printed different reports:
$(diff "$tmp/det1.txt" "$tmp/det2.txt" | head -6)"
fi
# and another seed is another search (the seed is not ignored)
# (another experiment: into the first's folder it is refused, as every
# command refuses a folder holding another experiment)
"$QSIM" search $SC --option 1 --property healed-within:60s --seed 2 --out "$tmp/det" >/dev/null 2>&1
[ $? -eq 2 ] && ok || fail "search --seed 2 into seed 1's folder was not refused"
"$QSIM" search $SC --option 1 --property healed-within:60s --seed 2 --out "$tmp/det2s" >/dev/null 2>&1
[ -s "$tmp/det2s/healed-within-60s-1-2.json" ] && ok || fail "search --seed 2 wrote no healed-within-60s-1-2.json"
! cmp -s "$tmp/det2s/healed-within-60s-1-2.json" "$tmp/det1.json" && ok || fail "seeds 1 and 2 wrote the same file"

# ---- (e) no violation ----
"$QSIM" search $SC --option 0 --property no-lost-posts:pending --budget 30 --out "$tmp/N" >"$tmp/none.out" 2>"$tmp/none.err"
rc=$?
[ "$rc" -eq 3 ] && ok || fail "search under option 0: exit $rc (3: not found): $(cat "$tmp/none.err")"
grep -q '^search: no violation of no-lost-posts:pending under option 0 in 30 trials' "$tmp/none.out" && ok ||
    fail "search under option 0: $(head -n 1 "$tmp/none.out")"
# an experiment folder all the same: its manifest and report say so; no scenario file
[ -f "$tmp/N/manifest.json" ] && grep -q 'no violation' "$tmp/N/report.md" && ok ||
    fail "search without a violation: no manifest or report in $tmp/N: $(ls "$tmp/N" 2>&1)"
[ -z "$(ls "$tmp/N" | grep -v '^manifest.json$' | grep '\.json$')" ] && ok ||
    fail "search without a violation wrote a scenario: $(ls "$tmp/N")"
# the found case's folder: manifest (kind search, listing the file), report, the file
grep -q '"kind":[[:space:]]*"search"' "$tmp/D/manifest.json" && grep -q 'no-lost-posts-pending-1-1.json' "$tmp/D/manifest.json" &&
    grep -q '^# qsim search: incident-164' "$tmp/D/report.md" && ok ||
    fail "the found case's folder: $(ls "$tmp/D"; head -n 3 "$tmp/D/manifest.json" "$tmp/D/report.md" 2>&1)"
# by default, a folder of its own under out/search/
QSIM_OUT="$tmp/root" "$QSIM" search $SC --option 0 --property no-double-answer --budget 3 >/dev/null 2>&1
[ $? -eq 3 ] && ls -d "$tmp/root/search/incident-164-"* >/dev/null 2>&1 && [ -L "$tmp/root/latest" ] && ok ||
    fail "search's default folder: $(ls -R "$tmp/root" 2>&1 | head -5)"

# bad usage
"$QSIM" search $SC --option 1 --property nonsense >/dev/null 2>&1
rc=$?
[ "$rc" -eq 2 ] && ok || fail "an unknown property: exit $rc, expected 2"
"$QSIM" search $SC --option 1 --property healed-within:60s --budget 0 >/dev/null 2>&1
rc=$?
[ "$rc" -eq 2 ] && ok || fail "--budget 0: exit $rc, expected 2"

# the catalogue's names as properties: an unknown one (advise's old name)
# is refused before any trial, naming the known ones; a known one searches
"$QSIM" search $SC --property 'stuck<=0' --budget 5 --out "$tmp/U" >"$tmp/u.out" 2>"$tmp/u.err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "unknown metric 'stuck'.*stuck_final" "$tmp/u.err" && [ ! -e "$tmp/U" ] && ok ||
    fail "--property stuck<=0: exit $rc, expected 2 naming stuck_final: $(cat "$tmp/u.err")"
# option 0 never heals the stuck messages a trial starts with: found, and
# shrunk to that one feature
"$QSIM" search $SC --option 0 --property 'stuck_final<=0' --budget 20 --out "$tmp/M" >"$tmp/m.out" 2>"$tmp/m.err"
rc=$?
[ "$rc" -eq 0 ] && grep -q '^  shrunk:   1 features, .*: stuck messages at the start' "$tmp/m.out" && ok ||
    fail "--property stuck_final<=0 under 0: exit $rc: $(head -n 4 "$tmp/m.out") $(cat "$tmp/m.err")"
ls "$tmp/M"/*.json 2>/dev/null | grep -q '[<=]' && fail "a file name with '<' or '=': $(ls "$tmp/M")" || ok

t_done
