#!/usr/bin/env bash
# tests/cli/run.sh - memcoord as a user runs it, against libvirt's test
# driver: exit statuses, the table, and hot swap of broken policies while
# the daemon keeps running.
set -euo pipefail
cd "$(dirname "$0")/../.."
MC=./memcoord
tmp=$(mktemp -d /tmp/mccli.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
fails=0
ok()   { echo "PASS $1"; }
bad()  { echo "FAIL $1"; fails=$((fails + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

# --- exit statuses and messages ---
check "--help exits 0" $MC --help >/dev/null
check "--version" bash -c "$MC --version | grep -q '^memcoord [0-9]'"
printf '[limits]\nmax_grow_mib = 10\nmax_shrink_mib = lots\n' > "$tmp/bad.ini"
set +e; out=$($MC -c "$tmp/bad.ini" -p policies/balance_unused.lua 2>&1); rc=$?; set -e
check "bad config exits 2" test "$rc" = 2
check "bad config names file:line and key" grep -q "$tmp/bad.ini:3: \[limits\] max_shrink_mib" <<<"$out"
set +e; $MC -p /no/such.lua -u test:///default --once >/dev/null 2>&1; rc=$?; set -e
check "missing policy exits 2" test "$rc" = 2
printf 'function decide(\n' > "$tmp/syntax.lua"
set +e; out=$($MC -p "$tmp/syntax.lua" -u test:///default --once 2>&1); rc=$?; set -e
check "broken policy at start-up exits 2 with file:line" \
	bash -c "[ $rc = 2 ] && grep -q 'syntax.lua:[0-9]*:' <<<'$out'"

# --- one dry-run period prints the table ---
out=$($MC -u test:///default --once -n -p policies/balance_unused.lua 2>/dev/null)
check "--once -n prints the table" bash -c "grep -q '^domain .*actual .*unused .*target' <<<'$out' &&
	grep -q '^test ' <<<'$out' && grep -q '^host: total' <<<'$out'"

# --- hot swap: the daemon outlives every broken policy ---
cat > "$tmp/policy.lua" <<'LUA'
function decide(d, h, ctx) ctx.log("v1 alive") return {} end
LUA
printf '[coordinator]\nperiod = 0.2\nsample = 0.1\n' > "$tmp/fast.ini"
# -v: print and ctx.log lines are debug-level.
$MC -c "$tmp/fast.ini" -u test:///default -n -v -p "$tmp/policy.lua" 2>"$tmp/log" >/dev/null &
pid=$!
wait_log() {	# wait_log PATTERN: up to 5 s for PATTERN in the log
	for _ in $(seq 50); do grep -q -- "$1" "$tmp/log" && return 0; sleep 0.1; done
	return 1
}
swap() {	# swap SOURCE: replace the policy the way editors do (rename)
	printf '%s\n' "$1" > "$tmp/.policy.new"; mv "$tmp/.policy.new" "$tmp/policy.lua"
}
check "daemon starts" wait_log "v1 alive"
swap 'function decide(d, h, ctx) return { oops'
check "syntax error refused with file:line" wait_log "refused (file changed).*policy.lua:[0-9]*:"
swap 'function decide(d, h, ctx) error("raised in decide") end'
check "raising policy refused" wait_log "refused.*raised in decide"
swap 'function decide(d, h, ctx) while true do end end'
# The budget or, on a slow machine, the deadline (0.2 s: one period).
check "looping policy refused" wait_log "refused.*\(instruction budget\|did not answer\)"
check "old policy still running" bash -c "sleep 0.5; tail -n 3 '$tmp/log' | grep -q 'v1 alive'"
swap 'n = 0
function decide(d, h, ctx) n = n + 1 if n > 2 then error("later failure") end ctx.log("v2 alive") return {} end'
check "good policy swapped in" wait_log "v2 alive"
check "runtime failure contained" wait_log "failed: .*later failure"
sleep 1
check "a failure is logged once, not every period" \
	test "$(grep -c 'later failure' "$tmp/log")" = 1
printf '[coordinator]\nperiod = nope\n' > "$tmp/fast.ini"
kill -HUP "$pid"
check "SIGHUP with a broken config keeps the running one" wait_log "config refused.*fast.ini:2"
check "daemon alive after all of it" kill -0 "$pid"
kill -TERM "$pid"; set +e; wait "$pid"; rc=$?; set -e; pid=
check "SIGTERM exits 0" test "$rc" = 0

# --- the man pages and make install/uninstall have their own scripts ---
check "hostile policies (tests/cli/hostile.sh)" tests/cli/hostile.sh
check "man pages (tests/cli/man.sh)" tests/cli/man.sh
check "install (tests/cli/install.sh)" tests/cli/install.sh

echo "cli: $fails failure(s)"
[ "$fails" = 0 ]
