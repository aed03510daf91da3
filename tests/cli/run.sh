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
$MC -c "$tmp/fast.ini" -u test:///default -n -p "$tmp/policy.lua" 2>"$tmp/log" >/dev/null &
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
check "looping policy refused" wait_log "refused.*instruction budget"
check "old policy still running" bash -c "sleep 0.5; tail -n 3 '$tmp/log' | grep -q 'v1 alive'"
swap 'n = 0
function decide(d, h, ctx) n = n + 1 if n > 2 then error("later failure") end ctx.log("v2 alive") return {} end'
check "good policy swapped in" wait_log "v2 alive"
check "runtime failure contained" wait_log "failed, nothing resized.*later failure"
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
check "man pages (tests/cli/man.sh)" tests/cli/man.sh
check "install (tests/cli/install.sh)" tests/cli/install.sh

# --- issue 15 (core): reload without a [domain] section, signals during
# start-up, a symlinked policy, --once status ---
h4log="$tmp/h4.log"
printf '[coordinator]\nperiod = 0.2\nsample = 0.1\n' > "$tmp/h4fast.ini"
h4_wait() {	# h4_wait PATTERN [SECONDS]: up to 5 s (or SECONDS) for PATTERN in $h4log
	for _ in $(seq $((${2:-5} * 50))); do grep -q -- "$1" "$h4log" && return 0; sleep 0.02; done
	return 1
}
h4_stop() {	# SIGTERM the daemon and reap it
	kill -TERM "$pid" 2>/dev/null || true; set +e; wait "$pid"; set -e; pid=
}
cat > "$tmp/params.lua" <<'LUA'
function decide(ds, h, ctx)
  local n = 0
  for _, d in ipairs(ds) do for k, v in pairs(d.params) do n = n + #k + #tostring(v) end end
  ctx.log("params %d max %d", n, ds[1].max // 1024) return {}
end
LUA
printf '[coordinator]\nperiod = 0.2\nsample = 0.1\n[domain "test"]\nmax_mib = 1024\nweight = 3\nnote = %s\n' \
	"$(printf 'x%.0s' $(seq 100))" > "$tmp/dom.ini"
# Freed memory is scribbled on, so a read of the old config cannot pass.
MALLOC_PERTURB_=165 $MC -c "$tmp/dom.ini" -u test:///default -n -p "$tmp/params.lua" \
	2>"$h4log" >/dev/null &
pid=$!
check "[domain] params and max_mib reach the policy" h4_wait "params [1-9][0-9]* max 1024$"
printf '[coordinator]\nperiod = 0.2\nsample = 0.1\n' > "$tmp/dom.ini"
kill -HUP "$pid"
check "SIGHUP dropping the [domain] section: defaults and hypervisor max back" \
	h4_wait "params 0 max 8192$"
check "daemon alive after the section is gone" kill -0 "$pid"
h4_stop

cat > "$tmp/slow.lua" <<'LUA'
function init(ctx)
  ctx.log("init start")
  string.rep("a", 200):find(string.rep("a-", 3) .. "b")	-- ~0.3 s of C
end
function decide(d, h, ctx) ctx.log("slow alive") return {} end
LUA
$MC -c "$tmp/h4fast.ini" -u test:///default -n -p "$tmp/slow.lua" 2>"$h4log" >/dev/null &
pid=$!
h4_wait "init start" && kill -HUP "$pid" || true
# init() runs again on the reload: on a busy machine each can take seconds.
check "SIGHUP during start-up: the daemon survives and serves" h4_wait "slow alive" 30
check "SIGHUP during start-up is handled once the loop runs" h4_wait "SIGHUP: config"
h4_stop
$MC -c "$tmp/h4fast.ini" -u test:///default -n -p "$tmp/slow.lua" 2>"$h4log" >/dev/null &
pid=$!
h4_wait "init start" && kill -TERM "$pid" || true
set +e; wait "$pid"; rc=$?; set -e; pid=
check "SIGTERM during start-up exits 0 once the loop runs" \
	bash -c "[ $rc = 0 ] && grep -q 'signal 15: exiting' '$h4log'"

mkdir "$tmp/real"
printf 'function decide(d, h, ctx) ctx.log("link v1") return {} end\n' > "$tmp/real/v1.lua"
ln -s real/v1.lua "$tmp/link.lua"
$MC -c "$tmp/h4fast.ini" -u test:///default -n -p "$tmp/link.lua" 2>"$h4log" >/dev/null &
pid=$!
check "symlinked policy runs" h4_wait "link v1"
printf 'function decide(d, h, ctx) ctx.log("link v2") return {} end\n' > "$tmp/real/v1.lua"
check "editing a symlinked policy's target reloads it" h4_wait "link v2"
printf 'function decide(d, h, ctx) ctx.log("link v3") return {} end\n' > "$tmp/real/v3.lua"
ln -sfn real/v3.lua "$tmp/link.lua"
check "repointing the symlink reloads it" h4_wait "link v3"
printf 'function decide(d, h, ctx) ctx.log("link v4") return {} end\n' > "$tmp/real/v3.lua"
check "editing the new target reloads it" h4_wait "link v4"
h4_stop

printf 'function decide(d, h, ctx) error("no answer") end\n' > "$tmp/fails.lua"
set +e; $MC -u test:///default --once -n -p "$tmp/fails.lua" >/dev/null 2>&1; rc=$?; set -e
check "--once exits 1 when decide() failed" test "$rc" = 1
set +e; $MC -u test:///default --once -n -p "$tmp/params.lua" >/dev/null 2>&1; rc=$?; set -e
check "--once exits 0 when decide() worked" test "$rc" = 0

echo "cli: $fails failure(s)"
[ "$fails" = 0 ]
