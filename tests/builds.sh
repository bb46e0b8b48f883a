#!/bin/sh
# builds.sh - determinism across builds: two qsim binaries (e.g. gcc -O2 and
# clang -O0) must write byte-identical outputs and traces for every scenario.
# Usage: sh tests/builds.sh QSIM_A QSIM_B
set -u
a=$1; b=$2
tmp=$(mktemp -d)
pass=0; fail=0
for f in $(find scenarios -name '*.json' | sort); do
    for q in a b; do
        bin=$a; [ "$q" = b ] && bin=$b
        rm -rf "${tmp:?}/$q" && mkdir -p "$tmp/$q" # a folder per scenario: another one is refused
        # 0.05 days caps the busy scenarios; every output, trace included, is compared
        "$bin" run "$f" --days 0.05 --out "$tmp/$q" --trace "$tmp/$q/trace.jsonl" -q >/dev/null 2>"$tmp/$q.err"
        echo "exit $?" >> "$tmp/$q.err"
    done
    # manifest.json holds wall-clock times and the binary's command line
    if diff -r -x manifest.json "$tmp/a" "$tmp/b" >/dev/null && [ "$(tail -1 "$tmp/a.err")" = "$(tail -1 "$tmp/b.err")" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "builds: $f differs between $a and $b" >&2
        diff -rq -x manifest.json "$tmp/a" "$tmp/b" >&2
    fi
    rm -rf "$tmp/a" "$tmp/b"
done
rm -rf "$tmp"
echo "builds: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
