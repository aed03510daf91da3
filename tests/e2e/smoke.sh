#!/usr/bin/env bash
# smoke.sh - prove the real-VM e2e machinery works on this host, end to end.
#
#   setup-host.sh -> build-guest.sh -> one guest (aos_vm1) running
#   `idle:5,grow:20:100,hold:5,free:all` -> checks:
#     * the guest boots and its balloon inflates to the 512 MiB start size
#     * virsh domstats --balloon reports unused/available/usable, and
#       last-update advances (stats period 1 s)
#     * the workload runs: progress lines on the console, grows 100 MiB at
#       ~20 MiB/s (guest clock compared with the host's), ends with "mcwl done"
#     * a live `virsh setmem 600M` moves actual, and the guest sees it;
#       a shrink back to 512M works too
#   -> destroys the guest and tears down what setup started.
#
# Cleanup runs on EXIT/INT/TERM whatever happened: the guest is destroyed,
# daemons started by setup-host.sh are stopped (set MC_E2E_KEEP_HOST=1 to
# keep libvirtd for a following run), and the console file is removed on
# success (kept, and its path printed, on failure).
# Exit 0 = pass. Prints timings: boot, balloon inflate, grow rate.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
E2E_NAME=smoke
# shellcheck source=lib.sh
. "$HERE/lib.sh"

VM=aos_vm1
SCRIPT='idle:5,grow:20:100,hold:5,free:all'
CONSOLE=$E2E_DIR/$VM.console
started_vm=0

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    if [ "$started_vm" = 1 ]; then "$HERE/vm.sh" stop "$VM" >/dev/null 2>&1; fi
    if [ "$rc" -eq 0 ] || [ "$rc" -eq 130 ] || [ "$rc" -eq 143 ]; then
        rm -f "$CONSOLE"    # passed or interrupted: leave nothing behind
    elif [ -f "$CONSOLE" ]; then
        say "console kept for inspection: $CONSOLE"
    fi
    if [ "${MC_E2E_KEEP_HOST:-0}" != 1 ]; then
        "$HERE/teardown-host.sh"
    else
        say "MC_E2E_KEEP_HOST=1: host daemons left running"
    fi
    if [ "$rc" -eq 0 ]; then say "PASS"; else say "FAILED (exit $rc)"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$HERE/setup-host.sh"
"$HERE/build-guest.sh" "$E2E_GUEST"
"$HERE/vm.sh" stop "$VM" 2>/dev/null || true   # a leftover of ours from a crashed run

# ---------------------------------------------------------------- boot
t0=$(now)
"$HERE/vm.sh" start "$VM" "$SCRIPT"
started_vm=1
t_created=$(since "$t0")
wait_console_t "$VM" '^mcinit boot' 120 || fail "guest did not reach /init within 120 s"
t_boot=$(since "$t0")
say "guest at /init after $t_boot s (virsh create took $t_created s)"

wait_actual "$VM" 512 300 || fail "balloon did not reach 512 MiB"
t_inflate=$(since "$t0")
say "balloon actual at 512 MiB after $t_inflate s"
wait_console_t "$VM" '^mcinit ready' 120 || fail "guest init never saw MemTotal at the start size"
t_ready=$(since "$t0")
say "guest ready (workload starting) after $t_ready s: $(grep -a '^mcinit ready' "$CONSOLE" | tr -d '\r')"

# ---------------------------------------------------------------- stats
for f in unused available usable last-update; do
    val=$(balloon_field "$VM" "$f")
    [[ $val =~ ^[0-9]+$ ]] || fail "domstats --balloon has no numeric balloon.$f (got '$val')"
done
avail=$(balloon_field "$VM" available)
[ "$avail" -le $((512 * 1024)) ] || fail "guest MemTotal ($avail KiB) above 512 MiB at start size"
lu1=$(balloon_field "$VM" last-update)
sleep 2.5
lu2=$(balloon_field "$VM" last-update)
[ "$lu2" -gt "$lu1" ] || fail "balloon.last-update did not advance in 2.5 s ($lu1 -> $lu2)"
say "domstats: actual=$(balloon_field "$VM" current) unused=$(balloon_field "$VM" unused)" \
    "available=$avail usable=$(balloon_field "$VM" usable) last-update $lu1 -> $lu2 (KiB)"

# ---------------------------------------------------------------- workload
wait_console_t "$VM" 'phase=grow step=2 held_mib=0' 60 || fail "workload never started growing"
h_grow0=$(now)
wait_console_t "$VM" 'phase=grow step=2 .* end ' 120 || fail "grow step did not finish"
h_grow=$(since "$h_grow0")
endline=$(grep -a 'phase=grow step=2 .* end ' "$CONSOLE" | tr -d '\r')
moved=$(sed -n 's/.*moved_mib=\([0-9]*\).*/\1/p' <<<"$endline")
g_secs=$(sed -n 's/.* secs=\([0-9.]*\).*/\1/p' <<<"$endline")
g_rate=$(sed -n 's/.*rate_mib_s=\([0-9.]*\).*/\1/p' <<<"$endline")
[ "$moved" = 100 ] || fail "workload grew $moved MiB, wanted 100: $endline"
say "grow: 100 MiB in $g_secs s guest time ($g_rate MiB/s), $h_grow s host time"
awk -v r="$g_rate" 'BEGIN { exit !(r >= 15 && r <= 25) }' \
    || fail "grow rate $g_rate MiB/s is not ~20 MiB/s"
awk -v g="$g_secs" -v h="$h_grow" 'BEGIN { exit !(h > g * 0.7 - 0.5 && h < g * 1.3 + 0.5) }' \
    || fail "guest clock ($g_secs s) and host clock ($h_grow s) disagree"

wait_console_t "$VM" '^mcwl done' 60 || fail "workload did not finish"
wait_console_t "$VM" '^mcinit workload-exit rc=0' 10 || fail "workload did not exit 0"
nprog=$(grep -ac '^mcwl t=' "$CONSOLE")
[ "$nprog" -ge 10 ] || fail "only $nprog progress lines on the console"
say "console: $nprog mcwl progress lines, workload done, exit 0"

# ---------------------------------------------------------------- live resize
av_before=$(balloon_field "$VM" available)
t1=$(now)
virsh -q -c "${MC_E2E_URI:-qemu:///system}" setmem "$VM" 600M --live
for _ in $(seq 1 60); do
    [ "$(balloon_field "$VM" current)" = $((600 * 1024)) ] && break
    sleep 0.25
done
[ "$(balloon_field "$VM" current)" = $((600 * 1024)) ] \
    || fail "actual did not reach 600 MiB in 15 s (is $(balloon_field "$VM" current))"
t_grow=$(since "$t1")
for _ in $(seq 1 20); do   # stats lag the balloon by up to one period
    av_after=$(balloon_field "$VM" available)
    [ "$av_after" -ge $((av_before + 80 * 1024)) ] && break
    sleep 0.25
done
[ "$av_after" -ge $((av_before + 80 * 1024)) ] \
    || fail "guest MemTotal did not follow the grow ($av_before -> $av_after KiB)"
say "setmem 600M: actual 512 -> 600 MiB in $t_grow s; guest available $av_before -> $av_after KiB"

t1=$(now)
virsh -q -c "${MC_E2E_URI:-qemu:///system}" setmem "$VM" 512M --live
wait_actual "$VM" 512 30 || fail "shrink back to 512 MiB did not happen"
say "setmem 512M: actual back to 512 MiB in $(since "$t1") s"

echo
say "SUMMARY boot_to_init_s=$t_boot balloon_512_s=$t_inflate ready_s=$t_ready" \
    "grow_rate_mib_s=$g_rate (asked 20) setmem_up_s=$t_grow"
