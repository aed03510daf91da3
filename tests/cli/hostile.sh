#!/usr/bin/env bash
# tests/cli/hostile.sh - the daemon against policies that try to stop it:
# loops pcall cannot end, C functions that never return, a finalizer that
# loops when the state is closed, a policy file swapped for a FIFO.  The
# daemon must keep sampling, refuse hot swaps it cannot trust (the old
# policy keeps serving), fall back to growing guests under pressure while
# its policy hangs, and exit on SIGTERM within a couple of seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/cli/lib.sh hostile
wait_for() {	# wait_for FILE PATTERN: up to 5 s
	for _ in $(seq 50); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
count() { grep -c -- "$2" "$1" 2>/dev/null || true; }
swap() {	# swap SOURCE: replace the policy the way editors do (rename)
	printf '%s\n' "$1" > "$tmp/.policy.new"; mv "$tmp/.policy.new" "$tmp/policy.lua"
}
samples() { sed -n 's/^memcoord_samples_total \([0-9]*\)$/\1/p' "$tmp/metrics.prom"; }
SWALLOW='while true do pcall(function() while true do end end) end'

# test:///default's one domain has 1024 MiB free: pressure_unused_mib above
# that keeps it under pressure, so the fallback has a guest to serve.
cat > "$tmp/fast.ini" <<INI
[coordinator]
period = 0.5
sample = 0.25
policy_timeout = 0.3
pressure_unused_mib = 4096
[output]
events = $tmp/events.jsonl
metrics = $tmp/metrics.prom
INI
# ---- a policy that hangs every call, from the start ----
# (first, while test:///default's stats are fresh: they stop moving, and
# after 5 s the domain counts as reporting none, so nothing is "under
# pressure" any more)
swap "function decide(d, h, ctx) $SWALLOW end"
$MC -c "$tmp/fast.ini" -u test:///default -n -v -p "$tmp/policy.lua" 2>"$tmp/log" >/dev/null &
pid=$!
check "late decide() killed at the deadline" wait_for "$tmp/log" "failed: .*did not answer within 0.3 s"
check "fallback said in the log" wait_for "$tmp/log" "grown by the built-in fallback"
check "fallback event" wait_for "$tmp/events.jsonl" '"event":"policy_fallback"'
check "fallback counted" wait_for "$tmp/metrics.prom" '^memcoord_policy_fallback_total [1-9]'
check "worker restarted (backed off)" \
	wait_for "$tmp/metrics.prom" '^memcoord_policy_worker_restarts_total [1-9]'
check "fallback said once" bash -c "sleep 1; [ \$(grep -c 'built-in fallback' '$tmp/log') = 1 ]"
s1=$(samples); sleep 1; s2=$(samples)
check "still sampling while the policy hangs ($s1 -> $s2)" test "$s2" -gt "$s1"
check "no zombie workers" bash -c "! ps --ppid $pid -o stat= | grep -q Z"

# v1 holds an object whose finalizer loops: closing its state would hang.
swap 'keep = setmetatable({}, { __gc = function() while true do end end })
function decide(d, h, ctx) print("v1 alive", ctx.tick) return {} end'
check "good policy swapped in" wait_for "$tmp/log" "v1 alive"
# ---- hot swaps that must be refused, each within the deadline ----
refused=0
try_refused() {	# try_refused NAME SOURCE
	swap "$2"
	refused=$((refused + 1))
	check "refused: $1" bash -c "for _ in \$(seq 50); do
		[ \$(grep -c 'new policy refused' '$tmp/log') -ge $refused ] && exit 0; sleep 0.1; done; exit 1"
}
try_refused "pcall loop at load" "$SWALLOW
function decide() return {} end"
try_refused "pcall loop in init" "function init(c) $SWALLOW end
function decide() return {} end"
try_refused "xpcall handler loop in the trial" "function decide() xpcall(error, function() $SWALLOW end) end"
try_refused "metamethod loop in the trial" "function decide()
  return setmetatable({}, { __index = function() $SWALLOW end }).x end"
try_refused "backtracking pattern in the trial" \
	"function decide() string.find(('a'):rep(40), ('a*'):rep(40) .. 'b') end"
try_refused "huge table.move in the trial" "function decide() table.move({}, 1, 1e15, 1, {}) end"
try_refused "looping comparator in the trial" "function decide()
  local t = {} for i = 1, 50 do t[i] = i end table.sort(t, function() $SWALLOW end) end"
try_refused "memory bomb, errors swallowed" "function decide()
  while true do pcall(function() local t = {} for i = 1, 1e9 do t[i] = {} end end) end end"
mkfifo "$tmp/.fifo"; mv "$tmp/.fifo" "$tmp/policy.lua"
refused=$((refused + 1))
check "refused: a FIFO as the policy file" wait_for "$tmp/log" "refused.*not a regular file"
check "refusals name the deadline" grep -q "refused.*did not answer within 0.3 s" "$tmp/log"
n=$(count "$tmp/log" "v1 alive")
check "old policy still serving after every refusal" \
	bash -c "sleep 1; [ \$(grep -c 'v1 alive' '$tmp/log') -gt $n ]"

# ---- swapping v1 out: its worker is killed, its finalizer never runs ----
swap "function decide(d, h, ctx)
  if ctx.reason == 'trial' then return {} end
  $SWALLOW
end"
check "v1 swapped out without hanging" bash -c "for _ in \$(seq 50); do
	[ \$(grep -c 'policy $tmp/policy.lua loaded' '$tmp/log') -ge 2 ] && exit 0; sleep 0.1; done; exit 1"
check "daemon alive after all of it" kill -0 "$pid"

# ---- SIGTERM while a call is in flight: at worst one deadline late ----
sleep 0.1
workers=$(ps --ppid "$pid" -o pid= | tr '\n' ' ')
start=$(date +%s.%N)
kill -TERM "$pid"; set +e; wait "$pid"; rc=$?; set -e; pid=
took=$(echo "$(date +%s.%N) - $start" | bc)
check "SIGTERM exits 0 (rc $rc)" test "$rc" = 0
check "SIGTERM obeyed within 2 s (${took} s)" test "$(echo "$took < 2" | bc)" = 1
check "no worker left behind" bash -c "for w in $workers; do ! kill -0 \$w 2>/dev/null || exit 1; done"

# ---- a long policy_timeout must not delay a stop ----
# The deadline is 30 s; SIGTERM must end the wait for the worker at once,
# whether the hung call is a decide() or the trial call of a reload.
stop_within() {	# stop_within SECONDS NAME: SIGTERM the daemon, time its exit
	local start took rc
	start=$(date +%s.%N)
	kill -TERM "$pid"; set +e; wait "$pid"; rc=$?; set -e; pid=
	took=$(echo "$(date +%s.%N) - $start" | bc)
	check "$2: exits 0 (rc $rc)" test "$rc" = 0
	check "$2: within $1 s of SIGTERM (${took} s)" test "$(echo "$took < $1" | bc)" = 1
}
printf '[coordinator]\nperiod = 60\nsample = 1\npolicy_timeout = 30\n' > "$tmp/slow.ini"
swap "function decide(d, h, ctx) $SWALLOW end"
$MC -c "$tmp/slow.ini" -u test:///default -n -v -p "$tmp/policy.lua" 2>"$tmp/log" >/dev/null &
pid=$!
sleep 1.5
stop_within 2 "SIGTERM during a hung decide() with a 30 s deadline"
swap 'function decide(d, h, ctx) return {} end'
$MC -c "$tmp/slow.ini" -u test:///default -n -v -p "$tmp/policy.lua" 2>"$tmp/log" >/dev/null &
pid=$!
check "started with a good policy" wait_for "$tmp/log" "policy .* loaded\|sample\|^domain"
sleep 1
swap "function decide(d, h, ctx) if ctx.reason == 'trial' then $SWALLOW end return {} end"
sleep 1.5
stop_within 2 "SIGTERM during a hung reload trial with a 30 s deadline"

echo "hostile: $fails failure(s)"
[ "$fails" = 0 ]
