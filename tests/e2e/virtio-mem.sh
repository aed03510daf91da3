#!/usr/bin/env bash
# virtio-mem.sh - a real TCG guest resized by a virtio-mem device (issue 14
# item 1), under the course-shaped workload:
#
#   flock /tmp/memcoord-libvirt.lock tests/e2e/virtio-mem.sh
#
# aos_vm1 from domain-vmem.xml.in: 512 MiB of boot memory and a 1536 MiB
# virtio-mem device in 2 MiB blocks, nothing plugged at boot; the guest
# loads virtio_mem and onlines hot-plugged memory as movable
# (memhp_default_state=online_movable) so it can unplug it again.  Its
# workload grows to 700 MiB at 25 MiB/s (past what 512 MiB holds), holds,
# frees, idles.  memcoord (tests/e2e/e2e.ini, the default policy) must
# grow it through the device and give the memory back after the free:
# no OOM kill, every size memcoord saw on the 512 MiB + 2 MiB grid, and at
# the end libvirt's <current> equal to what memcoord last saw.  Needs the
# libvirt lock (refuses without it); about 2 minutes.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
E2E_NAME=virtio-mem
# shellcheck source=lib.sh
. "$HERE/lib.sh"
LOCK=/tmp/memcoord-libvirt.lock
VM=aos_vm1
SCRIPT=idle:5,grow:25:700,hold:10,free:40:0,idle:30
export MC_E2E_GUEST=$E2E_DIR/guest-vmem MC_E2E_TEMPLATE=$HERE/domain-vmem.xml.in
export MC_E2E_MEM_MIB=2048 MC_E2E_CUR_MIB=512
URI=qemu:///system

[ "$(id -u)" -eq 0 ] || fail "must run as root"
if flock -n "$LOCK" true 2>/dev/null; then
    fail "run me under the libvirt lock: flock $LOCK $0"
fi
[ -x "$ROOT/memcoord" ] || fail "build memcoord first (make)"
tmp=$(mktemp -d /tmp/mcvmem-e2e.XXXXXX)
mc_pid=
started=0
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    [ -n "$mc_pid" ] && kill -TERM "$mc_pid" 2>/dev/null && wait "$mc_pid"
    [ "$started" = 1 ] && "$HERE/vm.sh" stop "$VM" >/dev/null 2>&1
    [ "$rc" = 0 ] || cp "$E2E_DIR/$VM.console" "$tmp/" 2>/dev/null
    e2e_finish "$rc" "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$HERE/setup-host.sh" >/dev/null
"$HERE/build-guest.sh" "$MC_E2E_GUEST" >/dev/null
[ -z "$("$HERE/vm.sh" list)" ] || fail "e2e guests are running already (run.sh?)"
t0=$(now)
"$HERE/vm.sh" start "$VM" "$SCRIPT" memhp_default_state=online_movable >/dev/null
started=1
wait_console_t "$VM" '^mcinit ready' 300 || fail "$VM did not boot"
! grep -aq 'module-failed name=virtio_mem' "$E2E_DIR/$VM.console" \
    || fail "the guest could not load virtio_mem"
say "booted in $(since "$t0") s"

printf '[output]\ncontrol = %s\n' "$tmp/ctl.sock" > "$tmp/out.ini"
cat "$HERE/e2e.ini" "$tmp/out.ini" > "$tmp/c.ini"
"$ROOT/memcoord" -c "$tmp/c.ini" -u "$URI" -p "$ROOT/policies/balance_unused.lua" \
    --trace "$tmp/trace.csv" >"$tmp/out" 2>"$tmp/log" &
mc_pid=$!
wait_console_t "$VM" '^mcwl done' 200 || fail "the workload did not finish (OOM?)"
sleep 5
kill -TERM "$mc_pid"; wait "$mc_pid" || true; mc_pid=

! grep -aq 'Out of memory' "$E2E_DIR/$VM.console" || fail "the guest OOM-killed its workload"
read -r peak last off <<<"$("$ROOT/tests/trace-awk" -v d="$VM" 'FNR > 1 && f("domain") == d {
        a = f("actual_kib") / 1024; if (a > p) p = a; l = a; if ((a - 512) % 2) o++ }
    END { printf "%d %d %d\n", p, l, o + 0 }' "$tmp/trace.csv")"
say "memcoord saw $VM peak ${peak} MiB, last ${last} MiB, $off sizes off the 2 MiB grid"
[ "$off" = 0 ] || fail "$off sizes off the grid: not moved by virtio-mem?"
# 512 MiB alone OOM-kills the workload near 345 MiB: holding 700 needs
# some 400 MiB plugged (seen: peak 1072 MiB).
[ "$peak" -ge 900 ] || fail "peak $peak MiB: the device did not grow the guest with its workload"
[ "$last" -le $((peak - 300)) ] || fail "last $last MiB: memory not given back after the free"
cur=$(virsh -q -c "$URI" dumpxml "$VM" | sed -n "s|.*<current unit='KiB'>\([0-9]*\)</current>.*|\1|p")
[ -n "$cur" ] || fail "libvirt shows no <current>"
[ $((512 + cur / 1024)) = "$last" ] \
    || fail "libvirt's <current> $((cur / 1024)) MiB + 512 != memcoord's last $last MiB"
say "libvirt's <current> $((cur / 1024)) MiB + 512 MiB boot = memcoord's view"
exit 0
