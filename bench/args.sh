# args.sh - the full-model benches' common arguments, sourced by each:
# [--quick] [--json FILE]; sets quick (0/1) and json (default /dev/null).
quick=0; json=/dev/null
while [ $# -gt 0 ]; do
    case $1 in
    --quick) quick=1 ;;
    --json) json=$2; shift ;;
    *) echo "usage: $(basename "$0") [--quick] [--json FILE]" >&2; exit 2 ;;
    esac
    shift
done
