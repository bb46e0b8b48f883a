#!/bin/sh
# deps.sh - make sure the Debian packages qsim builds and runs with are here.
#   sh tools/deps.sh          what `make run` needs (build, run, charts, report.html)
#   sh tools/deps.sh test     that plus what `make test` needs (valgrind, clang
#                             and libFuzzer, chromium for the report screenshot
#                             test, Node.js for the Worker host, GNU parallel,
#                             Slurm and munge for the cluster tests)
#   sh tools/deps.sh cluster  the run packages plus GNU parallel, Slurm, munge
# As root it installs what is missing (apt-get update first); otherwise it
# prints the exact command to run and fails, so nothing happens behind the
# user's back.
set -eu
PKGS="build-essential pkg-config libgsl-dev libcjson-dev libcmocka-dev gnuplot-nox cmark-gfm"
case "${1:-run}" in
run) ;;
test) PKGS="$PKGS valgrind clang libclang-rt-dev chromium nodejs parallel slurm-wlm munge" ;;
cluster) PKGS="$PKGS parallel slurm-wlm munge" ;;
*) echo "usage: sh tools/deps.sh [run|test|cluster]" >&2; exit 2 ;;
esac
missing=""
for p in $PKGS; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    echo "deps: installing$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >&2
else
    echo "deps: missing Debian packages:$missing" >&2
    echo "deps: run:  sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi
