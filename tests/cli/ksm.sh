#!/usr/bin/env bash
# tests/cli/ksm.sh - KSM control (issue 14 item 2) against this machine's
# real /sys/kernel/mm/ksm, through the daemon on libvirt's test driver (a
# local URI: the host files are this machine's).  With [host] ksm = on
# the policy turns ksmd on, then off, and its pages_to_scan is held to the
# [host] bound; with ksm = off, or a dry run, nothing is written.  Every
# value is put back afterwards, however the suite ends.  Needs root and a
# kernel with KSM; says SKIP otherwise.
set -euo pipefail
cd "$(dirname "$0")/../.."
K=/sys/kernel/mm/ksm
if [ "$(id -u)" != 0 ] || [ ! -w $K/run ]; then
	echo "SKIP ksm: needs root and a writable $K (CONFIG_KSM)"
	exit 0
fi
. tests/cli/lib.sh ksm
# One KSM user at a time; the originals back whatever happens.
exec 9>/tmp/memcoord-ksm.lock
flock 9
orig_run=$(cat $K/run) orig_pages=$(cat $K/pages_to_scan) orig_sleep=$(cat $K/sleep_millisecs)
restore() {
	echo "$orig_pages" > $K/pages_to_scan || true
	echo "$orig_sleep" > $K/sleep_millisecs || true
	# Back to the original state; 2 (unmerge) is never written by us.
	echo "$orig_run" > $K/run || true
	cleanup
}
trap restore EXIT INT TERM
echo 0 > $K/run

# want_run and want_pages reach the policy as ctx.params.
policy() {
	printf 'function decide(d, h, ctx)\n  return {}, { ksm = { run = mc.param(ctx, "want_run", 0),\n    pages_to_scan = mc.param(ctx, "want_pages", %s) } }\nend\n' "$orig_pages" > "$tmp/.p"
	mv "$tmp/.p" "$tmp/p.lua"
}
config() {	# ksm, want_run, want_pages
	cat > "$tmp/c.ini" <<-INI
	[coordinator]
	sample = 0.2
	period = 0.4
	[host]
	ksm = $1
	; a low bound: ksmd runs a few seconds here, on a machine others share
	ksm_pages_to_scan_max = 200
	[policy]
	want_run = $2
	want_pages = $3
	[output]
	control = $tmp/ctl.sock
	events = $tmp/ev.jsonl
	metrics = $tmp/m.prom
	INI
}
wait_file() { for _ in $(seq 50); do [ "$(cat "$1")" = "$2" ] && return 0; sleep 0.1; done; return 1; }
policy

# ksm = off: the policy asks run = 1; nothing is written.
config off 1 "$orig_pages"
$MC -c "$tmp/c.ini" -u test:///default --once -p "$tmp/p.lua" >/dev/null 2>"$tmp/log0" || true
check "ksm = off: run stays 0" test "$(cat $K/run)" = 0
check "ksm = off: no KSM event" bash -c "! grep -q '\"event\":\"ksm\"' '$tmp/ev.jsonl'"

# A dry run with ksm = on: says what it would write, writes nothing.
config on 1 "$orig_pages"
$MC -c "$tmp/c.ini" -u test:///default --once -n -p "$tmp/p.lua" >/dev/null 2>"$tmp/log1" || true
check "dry run: run stays 0" test "$(cat $K/run)" = 0
check "dry run: the event says dry_run" grep -q '"event":"ksm","setting":"run","outcome":"dry_run"' "$tmp/ev.jsonl"

# The daemon, ksm = on: on, pages held to the bound, then off on reload.
: > "$tmp/ev.jsonl"
config on 1 99999
$MC -c "$tmp/c.ini" -u test:///default -p "$tmp/p.lua" >/dev/null 2>"$tmp/log2" &
pid=$!
check "ksm = on: the policy starts ksmd (run 1)" wait_file $K/run 1
check "pages_to_scan held to ksm_pages_to_scan_max (200)" wait_file $K/pages_to_scan 200
check "the event log has the write, before, after and the clamp" \
	grep -q '"setting":"pages_to_scan","outcome":"resized","before":'"$orig_pages"',"after":200,"proposed":99999,"clamps":\["range"\]' "$tmp/ev.jsonl"
check "the log says what was written" grep -q "info: ksm: run 0 -> 1" "$tmp/log2"
sleep 0.5
check "metrics: run 1, 2 writes counted" \
	bash -c "grep -q '^memcoord_host_ksm_run 1\$' '$tmp/m.prom' && grep -q '^memcoord_ksm_writes_total 2\$' '$tmp/m.prom'"
config on 0 200
kill -HUP "$pid"
check "after a reload the policy stops ksmd (run 0)" wait_file $K/run 0
sleep 0.5
check "each value written once: 3 writes in all" grep -q '^memcoord_ksm_writes_total 3$' "$tmp/m.prom"
kill -TERM "$pid"; set +e; wait "$pid"; rc=$?; set -e; pid=
check "the daemon exits 0" test "$rc" = 0
echo "ksm: $fails failure(s)"
[ "$fails" = 0 ]
