#!/usr/bin/env bash
# ksm.sh - KSM on real guests (issue 14 item 2): 4 TCG guests booted from
# the same image, each holding the same 192 MiB workload, share pages once
# the policy turns KSM on, and memcoord's metrics show the saving rise.
#
#   flock /tmp/memcoord-libvirt.lock tests/e2e/ksm.sh
#
# It needs libvirtd and VMs, so it runs only under that lock (the big e2e
# suite, run.sh, holds the same one); it refuses to start without it.
# Steps: setup-host.sh, build-guest.sh, aos_vm1..4 (512 MiB start) with
# `grow:0:192,idle:900` (the workload writes the same bytes in every guest:
# see workload.c grow_chunk; idle leaves them still, so KSM can merge them)
# -> QEMU's guest RAM is checked to be mergeable (MADV_MERGEABLE, "mg" in
# smaps: QEMU's default mem-merge=on) -> memcoord with the default policy
# and [host] ksm = on, [policy] ksm_free_percent = 0.99 (so oVirt MOM's
# rule sees the host short of memory and starts ksmd) -> the metrics'
# memcoord_host_ksm_pages_sharing rises past 4 x 64 MiB of pages -> the
# threshold back to MOM's 0.20 (SIGHUP): the policy stops ksmd -> guests
# destroyed, KSM's settings put back as they were, whatever happened.
# Prints the saving; about 2-3 minutes, most of it booting.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
E2E_NAME=ksm
# shellcheck source=lib.sh
. "$HERE/lib.sh"
K=/sys/kernel/mm/ksm
LOCK=/tmp/memcoord-libvirt.lock
VMS=(aos_vm1 aos_vm2 aos_vm3 aos_vm4)
SCRIPT=grow:0:192,idle:900
PAGE_KIB=$(( $(getconf PAGESIZE) / 1024 ))

[ "$(id -u)" -eq 0 ] || fail "must run as root"
[ -w $K/run ] || fail "no writable $K (CONFIG_KSM)"
if flock -n "$LOCK" true 2>/dev/null; then
    fail "run me under the libvirt lock: flock $LOCK $0"
fi
[ -x "$ROOT/memcoord" ] || fail "build memcoord first (make)"

tmp=$(mktemp -d /tmp/mcksm-e2e.XXXXXX)
orig_run=$(cat $K/run) orig_pages=$(cat $K/pages_to_scan) orig_sleep=$(cat $K/sleep_millisecs)
mc_pid=
started=()
cleanup() {
    local rc=$? n
    trap - EXIT INT TERM
    set +e
    [ -n "$mc_pid" ] && kill -TERM "$mc_pid" 2>/dev/null && wait "$mc_pid"
    for n in "${started[@]}"; do "$HERE/vm.sh" stop "$n" >/dev/null 2>&1; done
    echo "$orig_pages" > $K/pages_to_scan
    echo "$orig_sleep" > $K/sleep_millisecs
    echo "$orig_run" > $K/run
    e2e_finish "$rc" "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

metric() { sed -n "s/^$1 //p" "$tmp/m.prom" 2>/dev/null; }
config() {	# ksm_free_percent
    cat > "$tmp/c.ini" <<-INI
	[coordinator]
	period = 1
	sample = 1
	[host]
	ksm = on
	[policy]
	ksm_free_percent = $1
	[output]
	control = $tmp/ctl.sock
	metrics = $tmp/m.prom
	events = $tmp/ev.jsonl
	INI
}

"$HERE/setup-host.sh" >/dev/null
"$HERE/build-guest.sh" "$E2E_GUEST" >/dev/null
[ -z "$("$HERE/vm.sh" list)" ] || fail "e2e guests are running already (run.sh?)"
echo 0 > $K/run
t0=$(now)
for n in "${VMS[@]}"; do
    "$HERE/vm.sh" start "$n" "$SCRIPT" >/dev/null
    started+=("$n")
done
for n in "${VMS[@]}"; do
    wait_console_t "$n" '^mcwl done|phase=idle' 300 || fail "$n: workload did not reach idle"
done
say "4 guests booted and holding 192 MiB each after $(since "$t0") s"

# QEMU marks guest RAM mergeable unless told not to (<nosharepages/>).
pid=$(pgrep -f 'guest=aos_vm1,' | head -1)
awk '/^[0-9a-f]+-/ { big = 0 } /^Size:/ { big = $2 >= 1048576 }
     /^VmFlags:/ && big && / mg/ { found = 1 } END { exit !found }' "/proc/$pid/smaps" \
    || fail "aos_vm1's guest RAM is not marked mergeable (no 'mg' in smaps)"
before=$(cat $K/pages_sharing)

config 0.99
"$ROOT/memcoord" -c "$tmp/c.ini" -u qemu:///system -p "$ROOT/policies/balance_unused.lua" \
    >"$tmp/out" 2>"$tmp/log" &
mc_pid=$!
t1=$(now)
want=$(( 4 * 64 * 1024 / PAGE_KIB ))
for _ in $(seq 240); do
    [ "$(metric memcoord_host_ksm_pages_sharing)" -ge "$want" ] 2>/dev/null && break
    sleep 0.5
done
got=$(metric memcoord_host_ksm_pages_sharing)
[ "$(cat $K/run)" = 1 ] || fail "the policy did not start ksmd (run $(cat $K/run))"
[ "${got:-0}" -ge "$want" ] || fail "pages_sharing ${got:-none} < $want after $(since "$t1") s"
say "ksmd on: pages_sharing $before -> $got ($(( got * PAGE_KIB / 1024 )) MiB saved) $(since "$t1") s after memcoord started"
grep -q '"event":"ksm","setting":"run","outcome":"resized","before":0,"after":1' "$tmp/ev.jsonl" \
    || fail "no ksm event for run 0 -> 1"
sleep 3
later=$(metric memcoord_host_ksm_pages_sharing)
say "3 s later: pages_sharing $later"

config 0.20
kill -HUP "$mc_pid"
for _ in $(seq 40); do [ "$(cat $K/run)" = 0 ] && break; sleep 0.25; done
[ "$(cat $K/run)" = 0 ] || fail "the policy did not stop ksmd after the reload"
say "MOM's threshold back at 0.20: the policy stopped ksmd; $(metric memcoord_ksm_writes_total) KSM writes"
grep -q 'Out of memory' "$E2E_DIR"/aos_vm?.console && fail "a guest OOM-killed its workload"
exit 0
