#!/bin/sh
# echo_node.sh - QSIM_NODE for bench/bench_worker.sh's floor case: runs
# bench/echo_host.js instead of the host script qsim passes (-e ...).
exec node "$(dirname "$0")/echo_host.js"
