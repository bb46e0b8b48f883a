#!/bin/sh
# deps.sh - make sure the Debian packages qsim needs are here.
#
#   sh tools/deps.sh run      what building and running need (make run):
#                             build tools, GSL, cJSON, gnuplot, cmark-gfm
#   sh tools/deps.sh test     that, plus what the tests need (make test):
#                             cmocka, valgrind, clang and the libFuzzer runtime,
#                             chromium (report screenshot), Node.js (the Worker
#                             host), GNU parallel, Slurm and munge (cluster tests),
#                             and Miniflare from npm (npm ci in tests/worker/miniflare)
#   sh tools/deps.sh cluster  the run packages plus GNU parallel, Slurm, munge
#
# As root it installs what is missing (apt-get update first); otherwise it
# prints the exact command to run and fails, so nothing happens behind the
# user's back. For tests of this script: QSIM_DEPS_ABSENT="pkg ..." counts
# those packages as missing, and QSIM_DEPS_DRY=1 reports without installing.
set -eu
RUN_PKGS="build-essential pkg-config libgsl-dev libcjson-dev gnuplot-nox cmark-gfm"
TEST_PKGS="libcmocka-dev valgrind clang libclang-rt-dev chromium nodejs parallel slurm-wlm munge"
case "${1:-test}" in
run) PKGS=$RUN_PKGS ;;
test) PKGS="$RUN_PKGS $TEST_PKGS" ;;
cluster) PKGS="$RUN_PKGS parallel slurm-wlm munge" ;;
*) echo "deps: usage: sh tools/deps.sh run|test|cluster" >&2; exit 2 ;;
esac
missing=""
for p in $PKGS; do
    case " ${QSIM_DEPS_ABSENT:-} " in
    *" $p "*) missing="$missing $p"; continue ;;
    esac
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
    esac
done
# Miniflare (workerd) for tests/test_worker_miniflare.sh: npm packages
# pinned by tests/worker/miniflare/package-lock.json, installed into its
# node_modules/ (git-ignored) by npm ci when absent or older than the lock.
miniflare() {
    d=$(cd "$(dirname "$0")/.." && pwd)/tests/worker/miniflare
    if [ -f "$d/node_modules/miniflare/package.json" ] && [ "$d/node_modules/.package-lock.json" -nt "$d/package-lock.json" ]; then
        return 0
    fi
    if [ -n "${QSIM_DEPS_DRY:-}" ]; then
        echo "deps: Miniflare missing: would run  cd $d && npm ci" >&2
        return 0
    fi
    if ! command -v npm > /dev/null 2>&1; then
        echo "deps: npm not found (it comes with Node.js; Debian: apt-get install npm); then: cd $d && npm ci" >&2
        return 1
    fi
    echo "deps: npm ci in $d (Miniflare, workerd)" >&2
    (cd "$d" && npm ci --no-audit --no-fund --loglevel=error >&2)
}
if [ -n "$missing" ]; then
    if [ "$(id -u)" -eq 0 ] && [ -z "${QSIM_DEPS_DRY:-}" ]; then
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
fi
if [ "${1:-test}" = test ]; then
    miniflare
fi
