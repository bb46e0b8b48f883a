#!/bin/sh
# test_import_fit.sh - qsim import-kv and qsim fit (issue 17, "your own data in"):
#  import-kv: the cache order, stored vs cached status, legacy keys, AI
#  replies, priorities; what it cannot read is reported (exit 3), and the
#  fragment loads as a scenario's "initial"; fit: a generated wrangler-tail
#  log with known rates gives them back, and the fragment runs.
set -u
QSIM=${QSIM:-./qsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
check() { if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "import-fit: FAIL: $2" >&2; fi; }

"$QSIM" import-kv tests/data/import/dump.json > "$tmp/imp.json" 2>"$tmp/imp.err"
rc=$?
[ $rc -eq 3 ]; check $? "import-kv with unreadable keys: exit $rc (3 expected)"
grep -q 'recent:comments\[3\]: botParams.status is not' "$tmp/imp.err" &&
    grep -q 'comment:1761922400000-fffffffff: the value is not JSON' "$tmp/imp.err" &&
    grep -q 'session:xyz: not a key the Worker uses' "$tmp/imp.err" &&
    grep -q '7 keys, 4 messages imported, 3 keys or entries reported' "$tmp/imp.err"
check $? "import-kv reports: $(cat "$tmp/imp.err")"
python3 - "$tmp/imp.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["initial"]["messages"]
ids = [x["id"] for x in m]
assert ids == ["1761922000000-aaaaaaaaa", "1761922100000-bbbbbbbbb", "1761922200000-ccccccccc",
               "1761922050000-eeeeeeeee"], ids  # the cache's order, then the keys not in it
b = m[1]
assert (b["entity"], b["stored"], b["cached"]) == ("Alice", "complete", "processing"), b
assert m[2]["type"] == "ai" and m[2]["stored"] == "none", m[2]
e = m[3]
assert (e["key"], e["stored"], e["cached"], e["priority"]) == ("legacy", "pending", "absent", 5), e
assert m[0]["bytes"] == len('{"id":"1761922000000-aaaaaaaaa","type":"human","text":"hi"}'), m[0]
f = json.load(open(sys.argv[1]))
f.update({"name": "imported", "duration": "1h", "bots": [{"poll_every": "3s"}], "options": ["0", "1"]})
json.dump(f, open(sys.argv[1] + ".sc.json", "w"))
PY
check $? "import-kv fragment contents"
"$QSIM" run "$tmp/imp.json.sc.json" --out "$tmp/o1" -q 2>"$tmp/err"
check $? "the imported state does not load as a scenario: $(cat "$tmp/err")"
echo '[{"name": "comment:1-x", "value": "{\"id\":\"1-x\"}"}]' > "$tmp/ok.json"
"$QSIM" import-kv "$tmp/ok.json" >/dev/null 2>&1; check $? "a clean dump: exit $?"
echo 'nope' > "$tmp/bad.json"
"$QSIM" import-kv "$tmp/bad.json" >/dev/null 2>&1; [ $? -eq 2 ]; check $? "a dump that is not JSON: exit 2"

# fit: 2 h of a room, posts every 10 s (sizes 400-600), every 4th claimed by
# bot-a 1.5 s later and completed 4 s after the claim; bot-a polls every 3 s,
# bot-b every 5 s; one line is garbage, one object is pretty-printed
python3 - "$tmp/tail.jsonl" <<'PY'
import json, sys
t0 = 1761868800000
out = []
def ev(t, method, path, status=200, headers=None):
    out.append((t, {"outcome": "ok", "scriptName": "chat", "eventTimestamp": t,
                    "event": {"request": {"url": "https://chat.example.com" + path, "method": method,
                                          "headers": headers or {}}, "response": {"status": status}},
                    "logs": [], "exceptions": []}))
for i in range(720):
    t = t0 + i * 10000
    ev(t, "POST", "/api/comments", 201, {"content-length": str(400 + (i % 5) * 50)})
    if i % 4 == 0:
        ev(t + 1500, "POST", "/api/queue/claim", 200, {"x-bot-name": "bot-a"})
        ev(t + 5500, "POST", "/api/queue/complete", 200, {"x-bot-name": "bot-a"})
for i in range(2400):
    ev(t0 + i * 3000 + 7, "GET", "/api/queue/pending", 200, {"x-bot-name": "bot-a"})
for i in range(1440):
    ev(t0 + i * 5000 + 11, "GET", "/api/queue/pending", 200, {"x-bot-name": "bot-b"})
out.sort(key=lambda x: x[0])
lines = [json.dumps(o) for _, o in out]
lines[10] = json.dumps(out[10][1], indent=2)
lines.insert(5, "this line is not JSON")
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
"$QSIM" fit "$tmp/tail.jsonl" > "$tmp/fit.json" 2>"$tmp/fit.err"
check $? "fit: $(cat "$tmp/fit.err")"
grep -q 'tail.jsonl:6: not a JSON object' "$tmp/fit.err"; check $? "fit does not report the garbage line: $(cat "$tmp/fit.err")"
python3 - "$tmp/fit.json" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
h = f["humans"][0]
assert abs(h["rate_per_s"] - 0.1) < 0.001, h
assert h["entity_share"] == 0.25, h
assert 480 <= h["bytes"]["median"] <= 510 and h["bytes"]["dist"] == "lognormal", h
b = {x["name"]: x for x in f["bots"]}
assert b["bot-a"]["poll_every"] == "3000ms" and b["bot-b"]["poll_every"] == "5000ms", b
assert b["bot-a"]["generation"]["median"] == "4000ms", b
assert "95 % CI" in f["description"] and "4920 invocations" in f["description"], f["description"]
f.update({"name": "fitted", "duration": "1h", "options": ["0"]})
json.dump(f, open(sys.argv[1] + ".sc.json", "w"))
PY
check $? "fit estimates"
"$QSIM" run "$tmp/fit.json.sc.json" --out "$tmp/o2" -q 2>"$tmp/err"
check $? "the fitted fragment does not run as a scenario: $(cat "$tmp/err")"
: > "$tmp/empty.jsonl"
"$QSIM" fit "$tmp/empty.jsonl" >/dev/null 2>&1; [ $? -eq 2 ]; check $? "fit of an empty log: exit 2"
# fit by hour of day: a day of posts, 10 (h + 1) in UTC hour h, evenly
# spaced, from 00:00:00 to 23:59:59.999 (a last poll marks the end); so the
# rate of hour h is 10 (h + 1) / 3600 per second. Hour 0's 10 posts have
# the exact (Garwood) 95 % interval 4.795 to 18.39 posts per hour
# (chi-square quantiles of 20 and 22 degrees of freedom, halved: tables).
python3 - "$tmp/day.jsonl" <<'PY'
import json, sys
t0 = 1761868800000  # 2025-10-31T00:00:00Z
out = []
def ev(t, method, path, status=200, headers=None):
    out.append({"eventTimestamp": t, "event": {"request": {"url": "https://c.example" + path, "method": method,
                "headers": headers or {}}, "response": {"status": status}}})
for h in range(24):
    n = 10 * (h + 1)
    for i in range(n):
        ev(t0 + h * 3600000 + i * 3600000 // n, "POST", "/api/comments", 201, {"content-length": "500"})
ev(t0 + 86400000 - 1, "GET", "/api/queue/pending", 200, {"x-bot-name": "b"})
ev(t0 + 1, "GET", "/api/queue/pending", 200, {"x-bot-name": "b"})
out.sort(key=lambda o: o["eventTimestamp"])
open(sys.argv[1], "w").write("\n".join(json.dumps(o) for o in out) + "\n")
PY
"$QSIM" fit "$tmp/day.jsonl" > "$tmp/day.json" 2>"$tmp/day.err"
check $? "fit of a day: $(cat "$tmp/day.err")"
python3 - "$tmp/day.json" "$tmp/day.err" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
h = f["humans"][0]
assert "rate_per_s" not in h, h
r = h["rate_by_hour"]
assert len(r) == 24, r
for i, x in enumerate(r):
    want = 10 * (i + 1) / 3600
    assert abs(x - want) <= 1e-6 + want * 1e-3, (i, x, want)
rows = {}
for line in open(sys.argv[2]):
    p = line.split("qsim: fit:   ")
    if len(p) == 2:
        c = p[1].strip().split(",")
        rows[int(c[0])] = [float(v) for v in c[1:]]
assert len(rows) == 24, rows
posts, seen, rate, lo, hi = rows[0]
assert posts == 10 and abs(lo * 3600 - 4.795) < 0.002 and abs(hi * 3600 - 18.39) < 0.01, rows[0]
for i, (posts, seen, rate, lo, hi) in rows.items():
    assert posts == 10 * (i + 1) and lo < rate < hi, (i, rows[i])
PY
check $? "fit by hour of day: rates or intervals (see above)"
python3 - "$tmp/day.json" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
f.update({"name": "fitted-day", "duration": "1d", "options": ["0"]})
json.dump(f, open(sys.argv[1] + ".sc.json", "w"))
PY
"$QSIM" run "$tmp/day.json.sc.json" --out "$tmp/o3" -q --no-polls-csv 2>"$tmp/err"
check $? "the fitted profile does not run as a scenario: $(cat "$tmp/err")"
n=$(sed -n 's/^[[:space:]]*"calls.post":[[:space:]]*\([0-9]*\).*/\1/p' "$tmp/o3/results.json" | head -1)
# 3,000 posts expected (10 + 20 + ... + 240), Poisson: 4 sd = 219
[ -n "$n" ] && [ "$n" -gt 2780 ] && [ "$n" -lt 3220 ]; check $? "the fitted profile posts $n times in a day, expected about 3000"

echo "import-fit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
