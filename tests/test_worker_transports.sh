#!/bin/sh
# test_worker_transports.sh - JS mode's two transports (docs/worker-host.md,
# "Transports") give the same run: the pipes (one node process per run of
# an option) and in-process (qsim's main on the addon's coroutine inside
# node, build/qsim.node) must write byte-identical traces, outputs (the
# manifest's clock times aside), exit codes and error messages: the
# incident under both options, fault scenarios with the seed's module, a
# module with state of its own across two options, a user's worker, a host
# that dies and a module that does not load. Also that in-process runs in
# the process qsim was started as (no child node).
# Skipped, and says so, when node is absent or no addon is beside $QSIM
# (the asan pass: its qsim has none; it runs the pipes only).
set -u
QSIM=${QSIM:-./qsim}
if ! command -v "${QSIM_NODE:-node}" > /dev/null 2>&1; then
    echo "worker transports: skipped: node not found (sh tools/deps.sh installs Node.js)"
    exit 0
fi
dir=$(dirname "$(command -v "$QSIM")")
if [ -z "${QSIM_ADDON:-}" ] && [ ! -f "$dir/qsim.node" ] && [ ! -f "$dir/build/qsim.node" ]; then
    echo "worker transports: skipped: no addon beside $QSIM (make addon); JS mode runs the pipe transport only here"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

# same NAME ARGS...: the run under each transport; everything compared
same() {
    name=$1; shift
    for t in pipe inproc; do
        rm -rf "$tmp/o"
        QSIM_JS_TRANSPORT=$t "$QSIM" run "$@" -q --out "$tmp/o" --trace "$tmp/t.jsonl" > "$tmp/$t.out" 2> "$tmp/$t.err"
        echo $? > "$tmp/$t.rc"
        rm -rf "$tmp/$t"; mkdir "$tmp/$t"
        [ -d "$tmp/o" ] && cp -R "$tmp/o" "$tmp/$t/o"
        for f in "$tmp"/t*.jsonl; do [ -e "$f" ] && mv "$f" "$tmp/$t/"; done
        [ -f "$tmp/$t/o/manifest.json" ] && grep -v '"started"\|"finished"' "$tmp/$t/o/manifest.json" > "$tmp/$t/m" &&
            rm "$tmp/$t/o/manifest.json"
    done
    if ! cmp -s "$tmp/pipe.rc" "$tmp/inproc.rc"; then
        bad "$name: exit codes $(cat "$tmp/pipe.rc") (pipe) and $(cat "$tmp/inproc.rc") (inproc)"; return
    fi
    # the closing line's wall time and peak RSS (node's, in-process) are not the run's
    for t in pipe inproc; do sed -i 's/ events in [0-9.]* s (.*), peak RSS [0-9.]* MiB;/ events;/' "$tmp/$t.err"; done
    if ! cmp -s "$tmp/pipe.out" "$tmp/inproc.out" || ! cmp -s "$tmp/pipe.err" "$tmp/inproc.err"; then
        bad "$name: stdout or stderr differ"; diff "$tmp/pipe.err" "$tmp/inproc.err" | head -5; return
    fi
    if ! diff -r "$tmp/pipe" "$tmp/inproc" > "$tmp/diff"; then
        bad "$name: outputs or traces differ"; head -5 "$tmp/diff"; return
    fi
    ntr=$(cat "$tmp"/pipe/t*.jsonl 2>/dev/null | wc -l)
    [ "$ntr" -gt 0 ] || [ "$(cat "$tmp/pipe.rc")" != 0 ] || { bad "$name: no trace lines"; return; }
    lines=$((lines + ntr))
    ok
}
lines=0
SEED=tests/worker/seed-worker.js
same "incident, both options" scenarios/incident-164.json --days 0.03 --worker "$SEED"
same "kv failures" scenarios/faults/kv-failures.json --days 0.02 --worker "$SEED"
same "hot key 429s" scenarios/faults/hot-key-429.json --days 0.005 --worker "$SEED"
same "user worker, stale reads" scenarios/faults/stale-read.json --worker tests/worker/user-worker.js

# a module with state of its own, under two options in one run
INC=$tmp/poll.json
cat > "$INC" <<'JSON'
{ "name": "poll", "seed": 5, "duration": "20s", "options": ["0", "1"],
  "kv": { "latency": { "get_hit": "20ms", "get_miss": "20ms", "put": "30ms" } },
  "bots": [ { "name": "bot-1", "poll_every": "3s", "first_poll": "0s", "generation": "1s" } ],
  "initial": { "plain": { "count": 3, "bytes": 400 } } }
JSON
W=$(pwd)/tests/worker/state-worker.js
sed "s|^{|{ \"worker\": { \"module\": \"$W\" },|" "$INC" > "$tmp/state.json"
same "module state across options" "$tmp/state.json"
# each option's run starts the module afresh (calls=1), as one node per run does
for o in 0 1; do
    first=$(grep -m1 '"type":"log"' "$tmp/inproc/t-$o.jsonl" 2> /dev/null)
    case $first in *'calls=1 before=null opt='$o' '*) ok ;; *) echo "first log: $first"; bad "option $o starts the module afresh" ;; esac
done

# in-process: the host is the process qsim was started as (exec), not a child
sed "s|^{|{ \"worker\": { \"module\": \"$W\", \"vars\": { \"PID_FILE\": \"$tmp/pid\" } },|" "$INC" > "$tmp/pid.json"
QSIM_JS_TRANSPORT=inproc "$QSIM" run "$tmp/pid.json" -q --force --out "$tmp/p" 2> "$tmp/err" &
qpid=$!
wait $qpid
[ "$(cat "$tmp/pid.0" 2> /dev/null)" = "$qpid" ] && [ "$(cat "$tmp/pid.1" 2> /dev/null)" = "$qpid" ] && ok ||
    { cat "$tmp/err"; bad "in-process: node runs in qsim's own process ($qpid; host: $(cat "$tmp/pid.0" 2> /dev/null))"; }
rm -f "$tmp/pid.0" "$tmp/pid.1"
QSIM_JS_TRANSPORT=pipe "$QSIM" run "$tmp/pid.json" -q --force --out "$tmp/p" 2> "$tmp/err" &
qpid=$!
wait $qpid
[ -s "$tmp/pid.0" ] && [ "$(cat "$tmp/pid.0")" != "$qpid" ] && ok || bad "pipes: node is a child process"

# failures: the same exit code and message
C=$(pwd)/tests/worker/clock-worker.js
sed "s|^{|{ \"worker\": { \"module\": \"$C\", \"vars\": { \"CRASH_AT\": \"3\" } },|" "$INC" > "$tmp/crash.json"
same "the host dies mid-run" "$tmp/crash.json" -o 0
grep -q "exited (status 9)" "$tmp/inproc.err" && [ "$(cat "$tmp/inproc.rc")" = 1 ] && ok || bad "in-process crash reported"
printf 'export default { fetch( {\n' > "$tmp/syntax.js"
same "a module that does not load" "$INC" --worker "$tmp/syntax.js"
grep -q "cannot load" "$tmp/inproc.err" && ok || bad "in-process load error reported"

# QSIM_JS_TRANSPORT=inproc without a usable addon: a clear error, exit 1
QSIM_ADDON=$tmp/none.node QSIM_JS_TRANSPORT=inproc "$QSIM" run "$INC" --worker "$W" -q --out "$tmp/n" 2> "$tmp/err"
rc=$?
[ $rc = 1 ] && grep -q "QSIM_JS_TRANSPORT=inproc: no addon" "$tmp/err" && ok || { cat "$tmp/err"; bad "inproc without an addon (rc=$rc)"; }
echo "worker transports: $pass passed, $fail failed ($lines trace lines compared)"
[ "$fail" -eq 0 ]
