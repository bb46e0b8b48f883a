#!/bin/sh
# test_cli.sh - the qsim command line as a user meets it. Run from the
# repository root with ./qsim built (make test does both).
#  (a) determinism: every scenario under scenarios/ run twice with a trace
#      gives byte-identical output files (big scenarios over a part of
#      their duration, see below);
#  (b) bad input and bad usage exit 2 with a message on stderr, --help
#      exits 0 with the usage on stdout;
#  (c) 'qsim check scenarios/scripted' passes, and a failed expectation
#      makes check exit 1.
set -u
QSIM=${QSIM:-./qsim}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qsim-cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM
nfail=0
nok=0
fail() { echo "test_cli: FAIL: $*" >&2; nfail=$((nfail + 1)); }
ok() { nok=$((nok + 1)); }

if [ ! -x "$QSIM" ]; then
    echo "test_cli: $QSIM not built (run make qsim)" >&2
    exit 1
fi

# ---- (a) determinism ----
# Two runs into two folders; every file they write must be byte-identical.
# A scenario is run as written, with its trace. The exception is a big one
# (more than BIG events in its first 0.01 simulated day, e.g. a busy room
# under seven options, whose day-long trace is gigabytes): it is compared
# over its first 0.25 day without a trace and over 0.01 day with one, to
# keep this script within seconds. In-process determinism over whole runs
# is tests/test_incident.c's job.
BIG=${QSIM_CLI_BIG:-30000}
same_outputs() { # scenario dir-a dir-b
    (cd "$2" && ls -1) > "$tmp/files.a"
    (cd "$3" && ls -1) > "$tmp/files.b"
    if ! cmp -s "$tmp/files.a" "$tmp/files.b"; then
        fail "$1: the two runs wrote different file sets"
        return
    fi
    grep -q '^results.json$' "$tmp/files.a" || fail "$1: no results.json"
    grep -q '^polls.csv$' "$tmp/files.a" || fail "$1: no polls.csv"
    while IFS= read -r out; do
        [ "$out" = manifest.json ] && continue # wall-clock times: the one file allowed to differ
        if cmp -s "$2/$out" "$3/$out"; then ok; else fail "$1: $out differs between two runs"; fi
    done < "$tmp/files.a"
}
run_twice() { # scenario trace(0/1) extra-args...
    f=$1; trace=$2; shift 2
    rm -rf "$tmp/a" "$tmp/b"
    mkdir -p "$tmp/a" "$tmp/b"
    for d in a b; do
        # failing expectations exit 1: that is check's business, not this one's
        if [ "$trace" -eq 1 ]; then
            "$QSIM" run "$f" --out "$tmp/$d" --trace "$tmp/$d/trace.jsonl" -q "$@" 2>"$tmp/$d.err" >"$tmp/$d.out"
        else
            "$QSIM" run "$f" --out "$tmp/$d" -q "$@" 2>"$tmp/$d.err" >"$tmp/$d.out"
        fi
        rc=$?
        if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
            fail "qsim run $f $* exited $rc: $(head -c 300 "$tmp/$d.err")"
        fi
    done
    same_outputs "$f" "$tmp/a" "$tmp/b"
    if [ "$trace" -eq 1 ]; then
        ls "$tmp/a" | grep -q '^trace.*\.jsonl$' || fail "$f: no trace written"
    fi
}
find scenarios -name '*.json' -type f | sort > "$tmp/list"
[ -s "$tmp/list" ] || fail "no scenarios found under scenarios/"
while IFS= read -r f; do
    rm -rf "$tmp/probe"
    "$QSIM" run "$f" --days 0.01 --out "$tmp/probe" -q 2>"$tmp/probe.err" >/dev/null
    events=$(sed -n 's/.* \([0-9][0-9]*\) events.*/\1/p' "$tmp/probe.err" | head -n 1)
    if [ -n "$events" ] && [ "$events" -gt "$BIG" ]; then
        run_twice "$f" 0 --days 0.25
        run_twice "$f" 1 --days 0.01
    else
        run_twice "$f" 1
    fi
done < "$tmp/list"

# ---- (b) bad input: exit 2 and say so on stderr ----
exits() { # want_rc description command...
    want=$1; what=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        fail "$what: exit $rc, expected $want ($(head -c 300 "$tmp/err"))"
        return 1
    fi
    if [ "$want" -eq 2 ] && [ ! -s "$tmp/err" ]; then
        fail "$what: exit 2 without a message on stderr"
        return 1
    fi
    ok
    return 0
}
stderr_has() { # description text
    if grep -qF -- "$2" "$tmp/err"; then ok; else fail "$1: stderr lacks '$2': $(head -c 300 "$tmp/err")"; fi
}

: > "$tmp/empty.json"
printf '{\n  "name": "x",\n  "seed": ,\n}\n' > "$tmp/malformed.json"
printf '{ "name": "x", "options": ["7"] }\n' > "$tmp/badoption.json"
printf '{ "bots": [ { "pol_every": "3s" } ] }\n' > "$tmp/unknownkey.json"

exits 2 "missing file" "$QSIM" run "$tmp/no-such-file.json" --out "$tmp/o"
stderr_has "missing file" "no-such-file.json"
exits 2 "a directory" "$QSIM" run scenarios --out "$tmp/o"
stderr_has "a directory" "not a regular file"
exits 2 "empty file" "$QSIM" run "$tmp/empty.json" --out "$tmp/o"
stderr_has "empty file" "empty.json:1:1:"
exits 2 "malformed JSON" "$QSIM" run "$tmp/malformed.json" --out "$tmp/o"
stderr_has "malformed JSON" "malformed.json:3:11: malformed JSON"
exits 2 "unknown option in the file" "$QSIM" run "$tmp/badoption.json" --out "$tmp/o"
stderr_has "unknown option in the file" "options[0]"
exits 2 "unknown key" "$QSIM" run "$tmp/unknownkey.json" --out "$tmp/o"
stderr_has "unknown key" "bots[0].pol_every: unknown key"
exits 2 "unknown --option" "$QSIM" run scenarios/incident-164.json --option 7 --out "$tmp/o"
exits 2 "bad --seed" "$QSIM" run scenarios/incident-164.json --seed -1 --out "$tmp/o"
exits 2 "bad --days" "$QSIM" run scenarios/incident-164.json --days x --out "$tmp/o"
exits 2 "run with no args" "$QSIM" run
exits 2 "run with two files" "$QSIM" run scenarios/incident-164.json scenarios/incident-164.json
exits 2 "unknown run flag" "$QSIM" run --frobnicate scenarios/incident-164.json
exits 2 "unknown command" "$QSIM" frobnicate
stderr_has "unknown command" "frobnicate"
exits 2 "no command" "$QSIM"
exits 2 "check with no args" "$QSIM" check
# a folder with no scenario files is a usage error
mkdir -p "$tmp/emptydir"
exits 2 "check of a folder without scenarios" "$QSIM" check "$tmp/emptydir"
[ -e "$tmp/o/results.json" ] && fail "a rejected run wrote results.json"

exits 0 "--help" "$QSIM" --help
grep -q '^usage: qsim' "$tmp/out" && ok || fail "--help: no usage on stdout"
[ -s "$tmp/err" ] && fail "--help wrote to stderr"
exits 0 "run --help" "$QSIM" run --help
grep -q '^usage: qsim' "$tmp/out" && ok || fail "run --help: no usage on stdout"

# ---- (c) check ----
exits 0 "check scenarios/scripted" "$QSIM" check scenarios/scripted
last=$(tail -n 1 "$tmp/out")
if echo "$last" | grep -Eq '^[0-9]+ passed, 0 failed$'; then ok; else fail "check: last line is '$last'"; fi
n=$(echo "$last" | sed 's/ passed.*//')
[ "${n:-0}" -gt 0 ] && ok || fail "check: no expectation was checked"
# every folder of scenarios with expectations is a regression suite
exits 0 "check scenarios/faults" "$QSIM" check scenarios/faults
tail -n 1 "$tmp/out" | grep -Eq '^[0-9]+ passed, 0 failed$' && ok || fail "check scenarios/faults: $(tail -n 1 "$tmp/out")"

# a wrong expectation fails the check (exit 1) and names itself
cat > "$tmp/wrong.json" <<'EOF'
{ "name": "wrong", "duration": "10s",
  "initial": { "messages": [ { "id": "m", "entity": "E", "stored": "complete", "cached": "processing" } ] },
  "script": [ { "at": "1s", "call": "pending" } ],
  "expect": [ { "poll": "first", "kvr": 1 }, { "metric": "stuck.final", "eq": 1 } ] }
EOF
exits 1 "check of a wrong expectation" "$QSIM" check "$tmp/wrong.json"
last=$(tail -n 1 "$tmp/out")
[ "$last" = "1 passed, 1 failed" ] && ok || fail "check of a wrong expectation: last line is '$last'"
grep -q 'expect\[0\]' "$tmp/out" && ok || fail "check of a wrong expectation does not name expect[0]"

echo "test_cli: $nok ok, $nfail failed"
[ "$nfail" -eq 0 ]
