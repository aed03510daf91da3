#!/usr/bin/env bash
# tests/e2e/reconnect.sh - libvirtd restarted under a running memcoord: it
# must notice, re-open the connection with back-off, log and record the
# reconnect, and carry on; it must not exit or crash.
#
# Run by run.sh after the course tests (guests may be running: a libvirtd
# restart leaves them running).  Only a libvirtd that setup-host.sh started
# (listed in $MC_E2E_RUN/started) is ever restarted; otherwise it skips.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
RUN_DIR=${MC_E2E_RUN:-/run/memcoord-e2e}
URI=${MC_E2E_URI:-qemu:///system}
PIDF=/run/libvirtd.pid
tmp=$(mktemp -d /tmp/mcreconnect.XXXXXX)
mc=
cleanup() {
	[ -n "$mc" ] && kill "$mc" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

pid=$(cat "$PIDF" 2>/dev/null || true)
if [ -z "$pid" ] || ! grep -qx "libvirtd $pid" "$RUN_DIR/started" 2>/dev/null; then
	echo "SKIP reconnect: libvirtd was not started by this suite"
	exit 0
fi
wait_for() {	# wait_for SECONDS PATTERN FILE
	for _ in $(seq $(($1 * 10))); do grep -q -- "$2" "$3" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
printf '[coordinator]\nperiod = 1\nsample = 1\n[output]\nevents = %s/events.jsonl\n' "$tmp" >"$tmp/mc.ini"
t0=$(date +%s)
"$TOP/memcoord" -c "$tmp/mc.ini" -u "$URI" -n -p "$TOP/policies/balance_unused.lua" \
	>/dev/null 2>"$tmp/log" &
mc=$!
wait_for 20 "policy_load" "$tmp/events.jsonl" || { echo "FAIL reconnect: memcoord did not start"; cat "$tmp/log"; exit 1; }
sleep 2

kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
wait_for 20 "cannot read domain stats\|cannot reach" "$tmp/log" ||
	{ echo "FAIL reconnect: the lost connection went unnoticed"; cat "$tmp/log"; exit 1; }
kill -0 "$mc" || { echo "FAIL reconnect: memcoord exited when libvirtd went away"; cat "$tmp/log"; exit 1; }
sleep 3	# a few failed attempts: the back-off grows

"$HERE/setup-host.sh" >/dev/null	# starts libvirtd again and records it
wait_for 60 "reconnected to $URI" "$tmp/log" ||
	{ echo "FAIL reconnect: no reconnect within 60 s of libvirtd's return"; cat "$tmp/log"; exit 1; }
wait_for 10 '"event":"reconnect"' "$tmp/events.jsonl" ||
	{ echo "FAIL reconnect: no reconnect event"; exit 1; }
kill -0 "$mc" || { echo "FAIL reconnect: memcoord died"; exit 1; }
kill -TERM "$mc"; set +e; wait "$mc"; rc=$?; set -e; mc=
[ "$rc" = 0 ] || { echo "FAIL reconnect: memcoord exited $rc on SIGTERM"; exit 1; }
tries=$(grep -c "cannot reach" "$tmp/log" || true)
echo "PASS reconnect: libvirtd restarted, memcoord reconnected after $tries failed attempt(s) with back-off, kept running, exit 0; $(( $(date +%s) - t0 )) s"
