#!/bin/sh
# test_bad_inputs.sh - every case of tests/bad_scenarios/ must be refused
# the documented way (docs/scenarios.md#errors, docs/testing.md).
#
# A case is NAME.expect, a substring the error message must contain, plus
# the input beside it:
#   NAME.json      a file (or a directory) given to qsim as it is; other
#                  extensions are allowed when the case needs them;
#   NAME.missing   one line: a path that must not exist, given to qsim.
# A case named pricing-* is a pricing file, given as --pricing INPUT to a
# good scenario; a case named limits-* is a limits file, given through a
# --data folder holding it and the shipped price lists.
# For each case `$QSIM run INPUT --out OUT -q` must exit 2, print to stderr
# the input's name and the expected substring, print no sanitizer report,
# and leave OUT empty.
#
# NAME.bug (optional) marks a case whose correct refusal is an open bug:
# its line says what happens today. Such a case is run and reported as
# "known bug" without failing the suite; QSIM_BAD_STRICT=1 counts it as a
# failure, and a known bug that starts passing is reported so that its
# .bug file can be deleted.
#
# Run from the repository root (tests/run.sh does); QSIM picks the binary,
# e.g. QSIM=build/asan/qsim (make test-asan). Last line:
# "bad inputs: N passed, N failed".
set -u
QSIM=${QSIM:-./qsim}
DIR=${QSIM_BAD_DIR:-tests/bad_scenarios}
STRICT=${QSIM_BAD_STRICT:-0}
GOOD=scenarios/scripted/incident-164.json   # the scenario of the pricing-* and limits-* cases
LIMIT=${QSIM_BAD_TIMEOUT:-120}   # seconds per case; sanitizer builds are slow

if [ ! -x "$QSIM" ]; then
    echo "test_bad_inputs: $QSIM not built (run make qsim)" >&2
    exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qsim-bad.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM

# A hang is a failure, not a stuck suite: use timeout(1) where there is one.
if command -v timeout >/dev/null 2>&1; then
    run_qsim() { timeout "$LIMIT" "$QSIM" "$@"; }
else
    run_qsim() { "$QSIM" "$@"; }
fi

pass=0; fail=0; known=0
# check NAME INPUT: runs one case; prints why it failed, returns 1 then.
check() {
    name=$1; input=$2
    expect=$(sed -n 1p "$DIR/$name.expect")
    why=""
    rm -rf "$tmp/out"
    mkdir "$tmp/out"
    case "$name" in
    pricing-*)
        run_qsim run "$GOOD" --pricing "$input" --out "$tmp/out" -q >"$tmp/stdout" 2>"$tmp/stderr" ;;
    limits-*)
        rm -rf "$tmp/data" && mkdir -p "$tmp/data/limits" && cp -R data/pricing "$tmp/data/" &&
            cp "$input" "$tmp/data/limits/cloudflare-kv-2026.json"
        input=$tmp/data/limits/cloudflare-kv-2026.json
        run_qsim run "$GOOD" --data "$tmp/data" --out "$tmp/out" -q >"$tmp/stdout" 2>"$tmp/stderr" ;;
    *)
        run_qsim run "$input" --out "$tmp/out" -q >"$tmp/stdout" 2>"$tmp/stderr" ;;
    esac
    rc=$?
    if [ "$rc" -eq 124 ] && command -v timeout >/dev/null 2>&1; then
        why="no answer within $LIMIT s (hang?)"
    elif [ "$rc" -ne 2 ]; then
        why="exit status $rc, expected 2"
    fi
    if grep -q -e 'Sanitizer' -e 'runtime error' -e 'LeakSanitizer' "$tmp/stderr"; then
        why="${why:+$why; }sanitizer report on stderr"
    fi
    if [ -z "$expect" ]; then
        why="${why:+$why; }$name.expect is empty"
    elif ! grep -F -q -e "$expect" "$tmp/stderr"; then
        why="${why:+$why; }stderr lacks '$expect'"
    fi
    if ! grep -F -q -e "$input" "$tmp/stderr"; then
        why="${why:+$why; }stderr does not name $input"
    fi
    if [ -n "$(ls -A "$tmp/out")" ]; then
        why="${why:+$why; }wrote $(ls -A "$tmp/out" | tr '\n' ' ')into --out"
    fi
    [ -z "$why" ] && return 0
    echo "  $why"
    echo "  stderr: $(head -c 600 "$tmp/stderr" | head -5)"
    return 1
}

for e in "$DIR"/*.expect; do
    [ -e "$e" ] || continue
    name=$(basename "$e" .expect)
    input=""
    if [ -f "$DIR/$name.missing" ]; then
        input=$(sed -n 1p "$DIR/$name.missing")
        if [ -z "$input" ] || [ -e "$input" ]; then
            echo "test_bad_inputs: FAIL: $name: $name.missing must name a path that does not exist" >&2
            fail=$((fail + 1))
            continue
        fi
    else
        for f in "$DIR/$name".*; do
            case "$f" in *.expect|*.bug) continue ;; esac
            [ -e "$f" ] && input=$f
        done
    fi
    if [ -z "$input" ]; then
        echo "test_bad_inputs: FAIL: $name: no input beside $name.expect" >&2
        fail=$((fail + 1))
        continue
    fi
    if out=$(check "$name" "$input"); then
        if [ -f "$DIR/$name.bug" ]; then
            echo "test_bad_inputs: $name: known bug now refused as expected: delete $DIR/$name.bug" >&2
        fi
        pass=$((pass + 1))
    elif [ -f "$DIR/$name.bug" ] && [ "$STRICT" != 1 ]; then
        echo "test_bad_inputs: known bug: $name: $(sed -n 1p "$DIR/$name.bug")" >&2
        known=$((known + 1))
    else
        echo "test_bad_inputs: FAIL: $name ($input)" >&2
        echo "$out" >&2
        fail=$((fail + 1))
    fi
done

[ "$known" -gt 0 ] && echo "bad inputs: $known known bug(s) not counted (QSIM_BAD_STRICT=1 counts them)"
echo "bad inputs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
