# lib.sh - what the shell suites share; each sets `name` and sources this:
#   name=test_x; . "$(dirname "$0")/lib.sh"
# It sets QSIM (default ./qsim) and a temporary folder $tmp, removed on exit
# together with a background job whose pid the suite keeps in $bgpid (killed
# with -9 and reaped); ok and fail count checks (fail prints why on stderr);
# t_done prints "$name: N passed, M failed" and fails when any check did.
QSIM=${QSIM:-./qsim}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qsim-$name.XXXXXX") || exit 1
bgpid=""
t_cleanup() {
    if [ -n "$bgpid" ]; then kill -9 "$bgpid" 2>/dev/null; wait "$bgpid" 2>/dev/null; fi
    rm -rf "$tmp"
}
trap t_cleanup EXIT
trap 'exit 130' HUP INT TERM
npass=0
nfail=0
ok() { npass=$((npass + 1)); }
fail() { nfail=$((nfail + 1)); echo "$name: FAIL: $*" >&2; }
t_done() {
    echo "$name: $npass passed, $nfail failed"
    [ "$nfail" -eq 0 ]
}
