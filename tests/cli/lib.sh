# tests/cli/lib.sh - what every CLI suite that runs the daemon starts with:
# the binary, a private temporary directory, the daemon under test killed
# and the directory removed however the suite ends, and PASS/FAIL counting.
#   . tests/cli/lib.sh NAME     (from the project's root; NAME names $tmp)
set -euo pipefail
MC=./memcoord
tmp=$(mktemp -d "/tmp/mc$1.XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
fails=0
ok()   { echo "PASS $1"; }
bad()  { echo "FAIL $1"; fails=$((fails + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
