#!/bin/sh
# test_reliability.sh - the reproductions of issue 14 (reliability, round
# two) that are about input, exits and messages, each with the behaviour it
# must have now:
#  (a) loading is linear: 1,000,000 initial messages, 100,000 scripted
#      posts with claims, a 200,000-message plain history under a 100,000
#      window all load (each within QSIM_REL_TIMEOUT s; quadratic took
#      minutes; the speed itself is measured by bench/bench_model.sh);
#  (b) valid JSON is accepted (exponents such as 1e-05, 5e-01);
#  (c) pricing and limits files are validated strictly (located errors,
#      exit 2, nothing written), and what pricing changes the sweep spec;
#  (d) command-line misuse gets exit 2 and a message, failures exit 1
#      with a message, and hostile folder names are data, not code.
# Run from the repository root with ./qsim built.
set -u
QSIM=${QSIM:-./qsim}
LIMIT=${QSIM_REL_TIMEOUT:-60}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qsim-rel.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM
nfail=0
nok=0
fail() { echo "test_reliability: FAIL: $*" >&2; nfail=$((nfail + 1)); }
ok() { nok=$((nok + 1)); }

if [ ! -x "$QSIM" ]; then
    echo "test_reliability: $QSIM not built (run make qsim)" >&2
    exit 1
fi
if command -v timeout >/dev/null 2>&1; then
    run_qsim() { timeout "$LIMIT" "$QSIM" "$@"; }
else
    run_qsim() { "$QSIM" "$@"; }
fi

# expect RC NAME SUBSTRING CMD...: runs qsim with CMD; the exit status must be
# RC and stderr must contain SUBSTRING (empty: anything).
expect() {
    want=$1; name=$2; msg=$3; shift 3
    run_qsim "$@" >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        fail "$name: exit $rc, expected $want; stderr: $(head -c 300 "$tmp/stderr")"
    elif [ -n "$msg" ] && ! grep -F -q -e "$msg" "$tmp/stderr"; then
        fail "$name: stderr lacks '$msg': $(head -c 300 "$tmp/stderr")"
    elif grep -q -e 'Sanitizer' -e 'runtime error' "$tmp/stderr"; then
        fail "$name: sanitizer report"
    else
        ok
    fi
}
# empty_dir NAME DIR: DIR must be absent or empty (nothing written).
empty_dir() {
    if [ -d "$2" ] && [ -n "$(ls -A "$2")" ]; then
        fail "$1: wrote $(ls -A "$2" | tr '\n' ' ')into $2"
    else
        ok
    fi
}

# A small scenario: one bot polling, a few seconds.
cat >"$tmp/small.json" <<'J'
{ "name": "small", "duration": "10s", "options": ["0"],
  "bots": [{ "poll_every": "3s" }] }
J

# ---- (a) linear loading ----
awk 'BEGIN { n = 1000000; printf "{\"name\": \"big-initial\", \"duration\": \"1s\", \"initial\": {\"messages\": [";
             for (i = 0; i < n; i++) printf "%s{\"id\": \"1700000%06d-m%07d\"}", i ? "," : "", i, i; # mawk: no 64-bit %d
             print "]}}" }' >"$tmp/initial.json"
expect 0 "1,000,000 initial messages" "" run "$tmp/initial.json" --out "$tmp/o-initial" -q --no-polls-csv
# the duplicate check is kept: the last id made the first's, refused naming both
sed 's/"1700000999999-m0999999"/"1700000000000-m0000000"/' "$tmp/initial.json" >"$tmp/initial-dup.json"
expect 2 "1,000,000 initial messages, one duplicate" \
    "initial.messages[999999]: duplicate message id '1700000000000-m0000000' (also messages[0])" \
    run "$tmp/initial-dup.json" --out "$tmp/o-initial-dup" -q
awk 'BEGIN { n = 100000; printf "{\"name\": \"big-script\", \"duration\": \"1001s\", \"script\": [";
             for (i = 0; i < n; i++) printf "%s{\"at\": \"%dms\", \"call\": \"post\", \"msg\": {\"id\": \"p%07d\", \"entity\": \"e\"}}", i ? "," : "", i, i;
             for (i = 0; i < 1000; i++) printf ",{\"at\": \"1000s\", \"call\": \"claim\", \"msg\": \"p%07d\"}", n - 1 - i;
             print "]}" }' >"$tmp/script.json"
expect 0 "100,000 scripted posts and 1,000 claims" "" check "$tmp/script.json"
# the checks are kept: a claim before its post, and a second post of an id
sed 's/{"at": "1000s", "call": "claim", "msg": "p0099999"}/{"at": "0s", "call": "claim", "msg": "p0099999"}/' \
    "$tmp/script.json" >"$tmp/script-early.json"
expect 2 "a claim before the post" "script[100000].msg: unknown message 'p0099999'" \
    run "$tmp/script-early.json" --out "$tmp/o-script-early" -q
sed 's/"id": "p0000007"/"id": "p0000003"/' "$tmp/script.json" >"$tmp/script-dup.json"
expect 2 "a post of an id posted before" "script[7].msg: message 'p0000003' already exists" \
    run "$tmp/script-dup.json" --out "$tmp/o-script-dup" -q
cat >"$tmp/plain.json" <<'J'
{ "name": "big-plain", "duration": "1s", "cache": { "window": 100000 },
  "initial": { "plain": { "count": 200000 } } }
J
expect 0 "plain.count 200,000 under a 100,000 window" "" run "$tmp/plain.json" --out "$tmp/o-plain" -q --no-polls-csv

# ---- (b) valid JSON, exact messages ----
cat >"$tmp/exponent.json" <<'J'
{ "name": "exponents", "duration": "10s", "options": ["0"],
  "kv": { "p429": 5e-01, "get_error_prob": 1e-05, "put_error_prob": 1E-05 },
  "bots": [{ "poll_every": "3s", "fail_prob": 0e+00 }] }
J
expect 0 "exponents with a leading zero (1e-05, 5e-01)" "" run "$tmp/exponent.json" --out "$tmp/o-exp" -q
printf '{ "seed": -01 }\n' >"$tmp/neg-leading-zero.json"
expect 2 "-01 is still a leading zero" ":1:12: malformed JSON (a number with a leading zero)" \
    run "$tmp/neg-leading-zero.json" --out "$tmp/o-nlz" -q
printf '{ "start_epoch_ms": 4102444800001 }\n' >"$tmp/epoch.json"
expect 2 "a range error prints exact values" \
    "start_epoch_ms: must be between 0 and 4102444800000, got 4102444800001" \
    run "$tmp/epoch.json" --out "$tmp/o-epoch" -q
printf '{ "name": "%s" }\n' "ééééééééééééééééééééééééééééééééééééééééééé" >"$tmp/utf8-name.json"
expect 2 "a length limit counts what it says (bytes)" "expected 1 to 63 bytes (UTF-8), got 86 bytes" \
    run "$tmp/utf8-name.json" --out "$tmp/o-utf8" -q

# ---- (c) what a sweep is made of ----
mkdir -p "$tmp/p2"
sed 's/"read_per_million": 0.50/"read_per_million": 0.51/' \
    data/pricing/cloudflare-paid-2026.json >"$tmp/p2/cloudflare-paid-2026.json"
sw() { run_qsim sweep "$tmp/small.json" --param bots[0].fail_prob=0,0.5 --reps 2 --jobs 1 -q "$@" >/dev/null 2>&1; }
sw --shard 1/2 --out "$tmp/s1"
sw --shard 2/2 --out "$tmp/s2" --pricing "$tmp/p2/cloudflare-paid-2026.json"
expect 2 "merge of shards run with other prices under the same file name" "pricing differs" \
    merge "$tmp/s1" "$tmp/s2" --out "$tmp/s12"
sw --out "$tmp/sall"
expect 2 "a finished sweep re-run with other prices" "holds another sweep (pricing differs" \
    sweep "$tmp/small.json" --param bots[0].fail_prob=0,0.5 --reps 2 --jobs 1 -q --out "$tmp/sall" \
    --pricing "$tmp/p2/cloudflare-paid-2026.json"
expect 2 "merging a shard twice" "is given twice" merge "$tmp/s1" "$tmp/s1" --out "$tmp/s11"
cp -r "$tmp/s1" "$tmp/s1copy"
expect 2 "merging a shard and its copy" "point 0 is in both" merge "$tmp/s1" "$tmp/s1copy" --out "$tmp/s11c"
expect 2 "sweep --param nosuch=1,2" "[point 0]: nosuch: unknown key" \
    sweep "$tmp/small.json" --param nosuch=1,2 --reps 2 -q --out "$tmp/snosuch"
empty_dir "sweep --param nosuch=1,2 writes nothing" "$tmp/snosuch"
expect 2 "a sweep over the work budget" "refused" \
    sweep "$tmp/small.json" --param bots[0].fail_prob=0,0.5 --reps 2 -q --days 1000000 --out "$tmp/sbudget"
empty_dir "a sweep over the work budget writes nothing" "$tmp/sbudget"

# ---- (d) pricing and limits data ----
mkdir -p "$tmp/nofree/pricing" "$tmp/nofree/limits"
cp data/pricing/cloudflare-paid-2026.json "$tmp/nofree/pricing/"
cp data/limits/cloudflare-kv-2026.json "$tmp/nofree/limits/"
expect 0 "no free plan in --data: a warning" "cloudflare-free-2026.json not found: no free-plan cap warnings" \
    run "$tmp/small.json" --data "$tmp/nofree" --out "$tmp/o-nofree" -q

# ---- (e) command-line misuse and failures ----
expect 2 "--trace ''" "--trace wants a file name" run "$tmp/small.json" --trace '' --out "$tmp/o-trace" -q
empty_dir "--trace '' writes nothing" "$tmp/o-trace"
expect 2 "-o ''" "--option wants a strategy" run "$tmp/small.json" -o '' --out "$tmp/o-opt" -q
expect 2 "-o ,,," "--option wants a strategy" run "$tmp/small.json" -o ,,, --out "$tmp/o-opt" -q
empty_dir "-o '' writes nothing" "$tmp/o-opt"
: >"$tmp/a-file"
expect 2 "--out FILE" "not a folder" run "$tmp/small.json" --out "$tmp/a-file" -q
expect 2 "check --data without its folder" "--data wants a folder" check --data
mkdir -p "$tmp/o-heal/heal_latency.csv/x"   # a folder where the file goes: the rename fails
expect 1 "a failed write of heal_latency.csv" "cannot write $tmp/o-heal/heal_latency.csv" \
    run "$tmp/small.json" --out "$tmp/o-heal" -q
mkdir -p "$tmp/empty"
expect 2 "plot of an empty folder" "nothing to plot" plot "$tmp/empty"
hostile="$tmp/x';system('touch pwned');a='"
run_qsim run "$tmp/small.json" --out "$hostile" -q >/dev/null 2>&1
(cd "$tmp" && run_qsim plot "$hostile" >/dev/null 2>&1)
if [ -e "$tmp/pwned" ] || [ -e pwned ]; then fail "qsim plot ran a command from a folder name"; else ok; fi

echo "test_reliability: $nok passed, $nfail failed"
[ "$nfail" -eq 0 ]
