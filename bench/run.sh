#!/bin/sh
# run.sh - runs each benchmark binary given (make bench), showing its table,
# and gathers their JSON lines into bench/results.json (temp file, then mv).
# QUICK=1 passes --quick (a smoke test); BENCH_OUT overrides the output path.
set -eu
if [ $# -eq 0 ]; then
    echo "usage: sh bench/run.sh BENCH_BINARY..." >&2
    exit 2
fi
out=${BENCH_OUT:-bench/results.json}
quick=""
[ "${QUICK:-0}" = 1 ] && quick=--quick
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM

for b in "$@"; do
    echo "== $b $quick"
    case $b in
    *.sh) sh "$b" $quick --json "$dir/part.jsonl" ;;
    *) "$b" $quick --json "$dir/part.jsonl" ;;
    esac
    cat "$dir/part.jsonl" >> "$dir/all.jsonl"
done

# Descriptive strings only; tr keeps them valid JSON.
clean() { tr -d '"\\' | tr -s ' \t' ' '; }
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1 | clean)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
cc_version=$(${CC:-cc} --version 2>/dev/null | head -n 1 | clean)
{
    printf '{\n  "generated_utc": "%s",\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf '  "commit": "%s",\n  "quick": %s,\n' "$commit" "$([ -n "$quick" ] && echo true || echo false)"
    printf '  "host": {"cpu": "%s", "cpus": %s, "kernel": "%s", "cc": "%s"},\n' \
        "${cpu:-unknown}" "$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 0)" \
        "$(uname -sr | clean)" "${cc_version:-unknown}"
    printf '  "results": [\n'
    sed -e 's/^/    /' -e '$!s/$/,/' "$dir/all.jsonl"
    printf '  ]\n}\n'
} > "$dir/results.json"
mkdir -p "$(dirname "$out")"
mv "$dir/results.json" "$out.tmp.$$"
mv "$out.tmp.$$" "$out"
echo "bench: wrote $out"
