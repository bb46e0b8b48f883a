#!/bin/sh
# bench_worker.sh - JS mode's speed (make bench): the incident under
# --worker tests/worker/seed-worker.js, Option 0 (5 KV ops a poll), and a
# minimal module doing the same 5 gets per poll with tiny values (the
# host's own cost per KV round trip), and the protocol's floor (no module:
# bench/echo_host.js). Reports simulated KV ops per second
# of wall time and of CPU time (qsim + node: on a shared machine wall time
# includes waiting for a core), and CPU microseconds per KV operation
# (start-up included: about 0.3 s of a run; a poll is 6 round trips for
# its 5 operations, docs/worker-host.md "Conformance and speed"). The module cases run under both transports
# (docs/worker-host.md, "Transports"): pipe, and inproc when the addon
# (build/qsim.node, make addon) is beside qsim; the floor is the pipes'.
# Same protocol: [--quick] --json FILE.
set -eu
QSIM=${QSIM:-./qsim}
. "$(dirname "$0")/args.sh"
: > "$json"
if ! command -v "${QSIM_NODE:-node}" > /dev/null 2>&1; then
    echo "bench_worker: skipped: node not found"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
days=1; [ "$quick" = 1 ] && days=0.02
cat > "$tmp/tiny.js" <<'JS'
export default { async fetch(req, env) {
  if (new URL(req.url).pathname !== '/api/queue/pending') return new Response('', { status: 404 });
  for (let i = 0; i < 5; i++) await env.COMMENTS_KV.get('comment:1761922126074-d9ostp8tt');
  return Response.json({ pending: [], kvStats: { reads: 5, writes: 0 } }); } };
JS
printf '%-38s %10s %8s %8s %12s %12s %10s\n' case kv_ops wall_s cpu_s ops/s_wall ops/s_cpu cpu_us/op
# floor: bench/echo_host.js answers as tiny.js would without running any
# JavaScript of a module (qsim + pipes + process switches only)
dir=$(dirname "$(command -v "$QSIM")")
inproc=0
[ -n "${QSIM_ADDON:-}" ] || [ -f "$dir/qsim.node" ] || [ -f "$dir/build/qsim.node" ] && inproc=1
[ $inproc = 1 ] || echo "bench_worker: no addon beside $QSIM (make addon): the pipe transport only"
cases="seed-worker-pipe tiny-pipe floor-pipe"
[ $inproc = 1 ] && cases="seed-worker-inproc seed-worker-pipe tiny-inproc tiny-pipe floor-pipe"
for c in $cases; do
    m=tests/worker/seed-worker.js
    case $c in tiny-* | floor-*) m=$tmp/tiny.js ;; esac
    node=${QSIM_NODE:-node}; [ $c = floor-pipe ] && node=bench/echo_node.sh
    QSIM_JS_TRANSPORT=${c##*-} QSIM_NODE=$node /usr/bin/time -f '%e %U %S' -o "$tmp/t" "$QSIM" run scenarios/incident-164.json -o 0 --days "$days" \
        --worker "$m" --no-polls-csv -q --force --out "$tmp/o" 2> "$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
    ops=$(sed -n 's/.*"kv.reads": *\([0-9]*\).*/\1/p' "$tmp/o/results.json" | head -n 1)
    [ -n "$ops" ] || ops=$(awk "BEGIN { print int($days * 28800 * 5) }")
    read wall u s < "$tmp/t"
    awk -v c="incident-$days""d-js-$c" -v o="$ops" -v w="$wall" -v u="$u" -v s="$s" -v j="$json" 'BEGIN {
        cpu = u + s; printf "%-38s %10d %8.2f %8.2f %12.0f %12.0f %10.2f\n", c, o, w, cpu, o / w, (cpu > 0 ? o / cpu : 0), (o > 0 ? cpu * 1e6 / o : 0)
        printf "{\"bench\":\"%s\",\"kv_ops\":%d,\"wall_s\":%.3f,\"cpu_s\":%.3f,\"ops_per_s_wall\":%.0f}\n", c, o, w, cpu, o / w >> j }'
done
