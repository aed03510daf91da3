#!/usr/bin/env bash
# tests/cli/control.sh - the control socket (issue 13 item 3) against
# libvirt's test driver: `memcoord status [--json]`, `memcoord reload`,
# a silent client that must not stop sampling, a second daemon refused,
# the socket's mode, and `memcoord -t`.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/cli/lib.sh ctl
sock=$tmp/run/ctl.sock		# its directory does not exist yet
samples() { timeout 2 $MC status --json -s "$sock" | jq .samples || true; }	# a blocked daemon: no number
wait_sock() { for _ in $(seq 50); do [ -S "$sock" ] && $MC status -s "$sock" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

printf '[coordinator]\nsample = 0.2\nperiod = 0.4\n[output]\ncontrol = %s\nevents = %s\nmetrics = %s\n' \
	"$sock" "$tmp/events.jsonl" "$tmp/metrics.prom" > "$tmp/c.ini"
cp policies/balance_unused.lua "$tmp/policy.lua"
$MC -c "$tmp/c.ini" -u test:///default -n -q -p "$tmp/policy.lua" >/dev/null 2>"$tmp/log" &
pid=$!
check "the daemon answers on its control socket" wait_sock
check "the socket is 0600, its new directory 0700" \
	bash -c "[ \$(stat -c %a '$sock') = 600 ] && [ \$(stat -c %a '$tmp/run') = 700 ]"

for _ in $(seq 50); do [ "$(samples)" -ge 2 ] && break; sleep 0.1; done
out=$($MC status -c "$tmp/c.ini" 2>&1) || true
hash=$(printf 'fnv1a64:%s' "$(python3 -c '
import sys
h = 0xcbf29ce484222325
for b in open(sys.argv[1], "rb").read():
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
print("%016x" % h)' "$tmp/policy.lua")")
check "status names the policy, its hash and the domain" \
	bash -c "grep -q '^policy  *$tmp/policy.lua\$' <<<'$out' && grep -q '^hash  *$hash\$' <<<'$out' &&
		 grep -q '^test  *[0-9a-f-]\{36\} ' <<<'$out' && grep -q 'connected' <<<'$out'"
# (the default policy shrinks a guest only once it has seen it quiet for
# a few seconds: poll for the first decision)
check "status --json is JSON with the domain's last decision" \
	bash -c "for _ in \$(seq 80); do $MC status --json -s '$sock' | jq -e '.policy.hash == \"$hash\" and .libvirt.connected and
		 (.domains[] | select(.name == \"test\") | .decision.target_kib > 0)' >/dev/null && exit 0; sleep 0.1; done; exit 1"

# A client that connects and says nothing: sampling goes on, others are served.
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(4)' "$sock" &
silent=$!
sleep 0.3
before=$(samples)
sleep 1
after=$(samples)
check "a silent client does not stop sampling ($before -> $after samples)" \
	bash -c "[ -n '$before' ] && [ -n '$after' ] && [ '$after' -gt '$before' ]"
kill "$silent" 2>/dev/null || true; wait "$silent" 2>/dev/null || true
# Silent clients filling every slot are dropped after their timeout (2 s).
python3 -c 'import socket, sys, time
c = [socket.socket(socket.AF_UNIX) for _ in range(9)]
[s.connect(sys.argv[1]) for s in c]; time.sleep(6)' "$sock" &
silent=$!
sleep 2.5
check "silent clients in every slot are dropped after their timeout" \
	bash -c "timeout 3 $MC status -s '$sock' >/dev/null 2>&1"
kill "$silent" 2>/dev/null || true; wait "$silent" 2>/dev/null || true

# Clients that leave before their reply (the request ends at their EOF):
# no SIGPIPE.  One asks too much, one asks without a newline.
python3 -c 'import socket, sys
for req in (b"a" * 500, b"status"):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(req); s.close()' "$sock"
sleep 0.3
check "a client gone before its reply does not kill the daemon" \
	bash -c "kill -0 $pid && timeout 3 $MC status -s '$sock' >/dev/null"

# reload: refused (exit 1, why, the old policy stays), then accepted (exit 0).
printf 'function decide(d, h, ctx)\n  return {\nend\n' > "$tmp/broken.lua"
cp "$tmp/broken.lua" "$tmp/policy.lua"
set +e; out=$($MC reload -s "$sock" 2>&1); rc=$?; set -e
check "reload of a broken policy exits 1 and says where" \
	bash -c "[ $rc = 1 ] && grep -q 'policy.lua:3' <<<'$out'"
check "... and the old policy keeps running" \
	bash -c "$MC status --json -s '$sock' | jq -e '.policy.hash == \"$hash\" and .policy.refusals == 1' >/dev/null"
cp policies/balance_unused.lua "$tmp/policy.lua"; echo '-- v2' >> "$tmp/policy.lua"
set +e; $MC reload -s "$sock" >/dev/null 2>&1; rc=$?; set -e
check "reload of a good policy exits 0 and the hash changes" \
	bash -c "[ $rc = 0 ] && $MC status --json -s '$sock' | jq -e '.policy.hash != \"$hash\" and .policy.reloads >= 1' >/dev/null"
# a config that no longer loads: refused, seen in the reply, the event log
# and the metrics; the running config stays
cp "$tmp/c.ini" "$tmp/c.good"; echo 'no_such_key = 1' >> "$tmp/c.ini"
set +e; out=$($MC reload -s "$sock" 2>&1); rc=$?; set -e
check "reload of a broken config exits 1 and says file:line" \
	bash -c "[ $rc = 1 ] && grep -q 'config refused' <<<'$out' && grep -q 'c.ini:[0-9]' <<<'$out'"
check "... with a config_refused event and the metrics counting it" \
	bash -c "jq -e 'select(.event == \"config_refused\") | .why | test(\"no_such_key\")' '$tmp/events.jsonl' >/dev/null &&
		 for _ in \$(seq 30); do grep -q '^memcoord_config_refusals_total 1\$' '$tmp/metrics.prom' && exit 0; sleep 0.1; done; exit 1"
cp "$tmp/c.good" "$tmp/c.ini"
check "an unknown request is refused" \
	bash -c "python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b\"shutdown\\n\")
print(s.makefile().read())' '$sock' | grep '^error: unknown request' >/dev/null"

# A second daemon on the same path stops before it opens anything.
set +e; out=$(timeout 5 $MC -c "$tmp/c.ini" -u test:///default -n -q -p "$tmp/policy.lua" \
	--trace "$tmp/second.csv" 2>&1 >/dev/null); rc=$?; set -e
check "a second daemon on the same socket refuses to start" \
	bash -c "[ $rc != 0 ] && grep -q 'another memcoord answers there' <<<'$out' && [ ! -e '$tmp/second.csv' ]"
check "... and the first one still answers" bash -c "$MC status -s '$sock' >/dev/null"

kill -TERM "$pid"; set +e; wait "$pid"; set -e; pid=
check "the socket is removed on exit" test ! -e "$sock"
set +e; $MC status -s "$sock" >/dev/null 2>&1; rc=$?; set -e
check "status without a daemon exits 2" test "$rc" = 2

# A stale socket (a daemon killed) is replaced; a file that is not a socket is not.
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$sock"
$MC -c "$tmp/c.ini" -u test:///default -n -q -p "$tmp/policy.lua" >/dev/null 2>"$tmp/log" &
pid=$!
check "a stale socket is replaced" wait_sock
kill -TERM "$pid"; set +e; wait "$pid"; set -e; pid=
echo keep > "$sock"
set +e; out=$(timeout 5 $MC -c "$tmp/c.ini" -u test:///default -n -q -p "$tmp/policy.lua" 2>&1 >/dev/null); rc=$?; set -e
check "a path that is not a socket is refused and left alone" \
	bash -c "[ $rc != 0 ] && grep -q 'exists and is not a socket' <<<'$out' && [ \"\$(cat '$sock')\" = keep ]"

# -t: exit 0 when good, 2 with file:line when the policy is bad.
set +e; out=$($MC -t -c "$tmp/c.ini" -p policies/balance_unused.lua 2>&1); rc=$?; set -e
check "-t on a good config exits 0" bash -c "[ $rc = 0 ] && grep -q 'test is successful' <<<'$out'"
set +e; out=$($MC --test-config -c "$tmp/c.ini" -p "$tmp/broken.lua" 2>&1); rc=$?; set -e
check "-t on a bad policy exits 2 with file:line" \
	bash -c "[ $rc = 2 ] && grep -q 'broken.lua:3' <<<'$out'"
printf '[coordinator]\nperiod = soon\n' > "$tmp/bad.ini"
set +e; out=$($MC -t -c "$tmp/bad.ini" -p policies/balance_unused.lua 2>&1); rc=$?; set -e
check "-t on a bad config exits 2 with file:line" \
	bash -c "[ $rc = 2 ] && grep -q 'bad.ini:2' <<<'$out'"

[ "$fails" = 0 ] || { echo "$fails control test(s) failed"; exit 1; }
