#!/bin/sh
# test_run_table.sh - the run table and summary.csv lead with the decision:
# the bill and its difference from option 0, then lost / never / twice /
# stuck with the rows worse than option 0 flagged.
#
# 1. Golden: the whole stdout table and summary.csv of two scenarios must
#    match tests/golden/ byte for byte (a changed, added or moved column
#    fails). The golden values were derived by hand, not copied:
#    incident-164 (1 day, 28,800 polls): option 0 reads 5 per poll =
#    144,000/day, $0.072000 + 28,800 requests x $0.30/M = $0.008640 +
#    storage $0.000003 = $0.080643/day; option 1 reads 5 + 28,799 = 28,804,
#    writes 1: $0.023050/day; both bills are the $5.00 base (all within the
#    included amounts): "same", "changes nothing on the bill"; stuck 4 / 0.
#    option-1-blind-put (10 s): option 0 reads 2 + 3 + 3 in its polls plus
#    the post's cache get = 9 reads (77,760/day), 2 writes (17,280/day),
#    4 requests: $0.038880 + $0.086400 + $0.010368 = $0.135648/day; option 1
#    reads 2 + 1 + 1 + 1 = 5, writes 3: $0.161568/day; option 1 loses the
#    post (lost 1 vs 0) and heals S (stuck 0 vs 1).
# 2. The flag: option 1 of option-1-blind-put loses more posts than option
#    0, so its row says "!lost", summary.csv's worse_than_baseline "lost",
#    and the decision line "WORSE than option 0 on lost posts".
set -u
name=test_run_table
. "$(dirname "$0")/lib.sh"

for c in incident:scenarios/incident-164.json blind-put:scenarios/scripted/option-1-blind-put.json; do
    g=${c%%:*}; f=${c#*:}
    if "$QSIM" run "$f" --out "$tmp/$g" >"$tmp/$g.txt" 2>"$tmp/$g.err"; then
        cmp -s "$tmp/$g.txt" "tests/golden/run-$g.txt" && ok ||
            fail "run table of $f differs from tests/golden/run-$g.txt: $(diff "tests/golden/run-$g.txt" "$tmp/$g.txt" | head -6)"
        cmp -s "$tmp/$g/summary.csv" "tests/golden/summary-$g.csv" && ok ||
            fail "summary.csv of $f differs from tests/golden/summary-$g.csv: $(diff "tests/golden/summary-$g.csv" "$tmp/$g/summary.csv" | head -6)"
    else
        fail "run $f: $(cat "$tmp/$g.err")"
    fi
done

# the flag, by column: option(1) ... stuck(11) worse-than-0(12)
t=$tmp/blind-put.txt
awk '$1 == "1" && $8 == 1 && $12 == "!lost"' "$t" | grep -q . && ok || fail "option 1 not flagged: $(grep '^1 ' "$t")"
awk '$1 == "0" && $8 == 0 && $12 == "-"' "$t" | grep -q . && ok || fail "option 0 flagged: $(grep '^0 ' "$t")"
grep -q 'risk: WORSE than option 0 on lost posts (overwritten) (1 vs 0)' "$t" && ok || fail "no risk line for option 1"
awk -F, 'NR == 1 && $22 == "worse_than_baseline" { h = 1 } NR > 1 && $1 == "1" && $17 == 1 && $22 == "lost" { r = 1 }
    END { exit !(h && r) }' "$tmp/blind-put/summary.csv" && ok || fail "summary.csv worse_than_baseline: $(cat "$tmp/blind-put/summary.csv")"
grep -q 'risk: WORSE than option 0 on lost posts (overwritten) (1 vs 0); single run: could be chance' "$t" && ok ||
    fail "the single run's flag does not say it could be chance"
# compare flags only beyond the CI (docs/metrics.md, "Flags"). The blind put
# is scripted: every replication loses the same one post under option 1 and
# none under 0, a constant difference of +1 (sd 0): WORSE. With one
# replication there is no interval: the same +1 is "could be chance".
sc=scenarios/scripted/option-1-blind-put.json
if "$QSIM" compare "$sc" --reps 3 --jobs 1 --out "$tmp/c3" >"$tmp/c3.txt" 2>"$tmp/c3.err"; then
    grep -q '^  1 .*lost +1.0 ± 0.0,.*: WORSE on lost posts' "$tmp/c3.txt" && ok || fail "compare: no WORSE flag: $(grep '^  1 ' "$tmp/c3.txt")"
    grep -q '^| 1 | +1.0 ± 0.0 | .* | \*\*WORSE on lost posts\*\* |$' "$tmp/c3/report.md" && ok ||
        fail "compare report.md: $(grep '^| 1 ' "$tmp/c3/report.md")"
    # the report leads with the decision: bill, difference, the same verdict
    [ "$(grep -m1 '^## ' "$tmp/c3/report.md")" = "## Decision" ] && ok || fail "compare report.md does not start with the decision"
    grep -q '^| 1 | \$5.00 ± 0.00 | same bill | \*\*WORSE on lost posts\*\* | ' "$tmp/c3/report.md" && ok ||
        fail "compare decision row: $(grep -m1 '^| 1 ' "$tmp/c3/report.md")"
else
    fail "compare: $(cat "$tmp/c3.err")"
fi
# the rule on a noisy room: in every row of the busy room's table, a figure
# is WORSE exactly when mean - half-width > 0, "could be chance" when the
# mean is above 0 but the interval reaches 0; the room must have both kinds
# somewhere for the check to mean anything (3 short replications do).
if "$QSIM" compare scenarios/busy.json --reps 3 --days 0.02 --jobs 2 --out "$tmp/cb" >/dev/null 2>"$tmp/cb.err"; then
    python3 - "$tmp/cb/report.md" <<'PY' && ok || fail "busy compare: flags do not follow the CI rule (above)"
import re, sys
text = open(sys.argv[1]).read()
sec = text.split("## Safety and liveness against option 0", 1)[1].split("\n## ", 1)[0]
rows = [l for l in sec.splitlines() if re.match(r"^\| [^|]+ \| [+-]", l)]
names = ["lost posts", "never answered", "answered twice", "stuck"]
kinds = set()
assert rows, "no risk rows"
for l in rows:
    c = [x.strip() for x in l.strip().strip("|").split("|")]
    verdict = c[5]
    for name, cell in zip(names, c[1:5]):
        m, h = (float(x) for x in cell.split(" ± "))
        worse = "WORSE on " + name in verdict
        chance = "higher (could be chance) on " + name in verdict
        if m - h > 0:
            assert worse and not chance, (l, name)
            kinds.add("worse")
        elif m > 0:
            assert chance and not worse, (l, name)
            kinds.add("chance")
        else:
            assert not worse and not chance, (l, name)
assert kinds == {"worse", "chance"}, kinds
PY
else
    fail "busy compare: $(cat "$tmp/cb.err")"
fi
# the incident: the fix changes nothing on the bill, and says so
grep -q 'bill \$5.00/month, the same as option 0: this choice changes nothing on the bill' "$tmp/incident.txt" && ok ||
    fail "incident: no 'changes nothing on the bill'"
t_done
