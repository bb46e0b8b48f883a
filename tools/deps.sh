#!/bin/sh
# deps.sh - make sure the Debian packages qsim builds and runs with are here.
# As root it installs what is missing (apt-get update first); otherwise it
# prints the exact command to run and fails, so nothing happens behind the
# user's back.
#
#   sh tools/deps.sh            what make run and make test-unit need
#   sh tools/deps.sh cluster    also GNU parallel, Slurm and munge, for the
#                               cluster tests (make test-parallel, test-slurm)
set -eu
PKGS="build-essential pkg-config libgsl-dev libcjson-dev libcmocka-dev gnuplot-nox valgrind clang libclang-rt-dev"
case "${1:-}" in
"") ;;
cluster) PKGS="$PKGS parallel slurm-wlm munge" ;;
*) echo "usage: sh tools/deps.sh [cluster]" >&2; exit 2 ;;
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
