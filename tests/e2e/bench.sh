#!/usr/bin/env bash
# bench.sh [OUTDIR] - the course-shaped tests on real guests, per policy and
# period, scored with the simulator's definitions (make bench-e2e).
#
# The course's test program allocates one page at a time as fast as the
# guest goes until allocation fails, then frees everything at once. Here:
#   t1  vm1 grows to 1600 MiB page by page, holds, frees all, idles; the
#       others idle all along
#   t2  all four do what vm1 does in t1
#   t3  all grow to 600 MiB; then vm1, vm2 free all while vm3, vm4 go on
#       to 1600 MiB, hold and free all
#   t1fast  t1 as fast as the guest goes
# Every (policy, period) pair runs t1..t3 on the same four booted guests
# (aos_vm1..4, 512 MiB start, 2048 MiB max); each run leaves in OUTDIR
# (default /var/lib/memcoord-e2e/bench) its trace, the guests' consoles and
# a phase file (when each workload step started and ended, in trace time),
# and tests/e2e/score.sh turns them into docs/e2e-scorecard.md.
#
# Environment: MC_BENCH_POLICIES (default: balance_unused target_unused
# nothing), MC_BENCH_PERIODS (default: 1 2), MC_BENCH_TESTS (default: t1 t2
# t3 t1fast), MC_BENCH_MEMCOORD (default: ./memcoord).
# Run it under `flock /tmp/memcoord-libvirt.lock` when others share libvirtd.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
E2E_NAME=bench-e2e
# shellcheck source=lib.sh
. "$HERE/lib.sh"

OUT=${1:-$E2E_DIR/bench}
URI=${MC_E2E_URI:-qemu:///system}
MEMCOORD=${MC_BENCH_MEMCOORD:-$ROOT/memcoord}
VMS=(aos_vm1 aos_vm2 aos_vm3 aos_vm4)
START_MIB=512
read -r -a POLICIES <<<"${MC_BENCH_POLICIES:-balance_unused target_unused nothing}"
read -r -a PERIODS <<<"${MC_BENCH_PERIODS:-1 2}"
read -r -a TESTS <<<"${MC_BENCH_TESTS:-t1 t2 t3 t1fast}"
TEST_TIMEOUT=240

# The course-shaped workloads (workload.c syntax): fill = page by page, one
# realloc() per 4 KiB page as the course's test program allocates, at
# 40 MiB/s (the fastest the course's guests went; its program sleeps 500 us
# a page); free:all = everything at once. t1fast is t1 with no pace at all
# (~160 MiB/s for one TCG guest here): a stress row, see the scorecard.
GROW_FREE=fill:40:1600,hold:10,free:all,idle:30
FAST_FREE=fill:0:1600,hold:10,free:all,idle:30
declare -A WL=(
    [t1.aos_vm1]=$GROW_FREE [t1.aos_vm2]=idle:1 [t1.aos_vm3]=idle:1 [t1.aos_vm4]=idle:1
    [t2.aos_vm1]=$GROW_FREE [t2.aos_vm2]=$GROW_FREE [t2.aos_vm3]=$GROW_FREE [t2.aos_vm4]=$GROW_FREE
    [t3.aos_vm1]=fill:40:600,hold:6,free:all,idle:36
    [t3.aos_vm2]=fill:40:600,hold:6,free:all,idle:36
    [t3.aos_vm3]=fill:40:600,hold:6,fill:40:1600,hold:10,free:all,idle:30
    [t3.aos_vm4]=fill:40:600,hold:6,fill:40:1600,hold:10,free:all,idle:30
    [t1fast.aos_vm1]=$FAST_FREE [t1fast.aos_vm2]=idle:1 [t1fast.aos_vm3]=idle:1 [t1fast.aos_vm4]=idle:1
)

MC_PID="" booted=0 setup_ran=0
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    [ -n "$MC_PID" ] && { kill -TERM "$MC_PID"; wait "$MC_PID"; }
    [ "$booted" = 1 ] && "$HERE/vm.sh" stopall >/dev/null 2>&1
    [ "$setup_ran" = 1 ] && [ "${MC_E2E_KEEP_HOST:-0}" != 1 ] && "$HERE/teardown-host.sh" >/dev/null 2>&1
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ "$(id -u)" -eq 0 ] || fail "must run as root (libvirt's system URI, guests)"
[ -x "$MEMCOORD" ] || fail "$MEMCOORD not built"
setup_ran=1
"$HERE/setup-host.sh" >/dev/null
"$HERE/build-guest.sh" "$E2E_GUEST" >/dev/null
mkdir -p "$OUT"

booted=1
boot_runners "$START_MIB" "${VMS[@]}"
say "4 guests booted"

reset_guests() {
    local vm end
    for vm in "${VMS[@]}"; do
        virsh -q -c "$URI" setmem "$vm" "${START_MIB}M" --live >/dev/null
    done
    end=$(( $(date +%s) + 90 ))
    for vm in "${VMS[@]}"; do
        until [ "$(balloon_field "$vm" current)" = $((START_MIB * 1024)) ]; do
            [ "$(date +%s)" -lt "$end" ] || fail "$vm not back at $START_MIB MiB"
            sleep 0.25
        done
    done
    sleep 3    # the guests' stats catch up with the new size
}

# config PERIOD -> a copy of e2e.ini with that period
config() {
    local f=$OUT/e2e-p$1.ini
    sed "s/^period = .*/period = $1/" "$HERE/e2e.ini" >"$f"
    printf "[output]\nevents = %s\ncontrol = %s\n" "$OUT/events.jsonl" "$OUT/control.sock" >>"$f"
    echo "$f"
}

policy_file() {
    case $1 in
        nothing) echo "$ROOT/tests/sim/policies/nothing.lua" ;;
        *) echo "$ROOT/policies/$1.lua" ;;
    esac
}

GEN=0
run_one() {   # run_one POLICY PERIOD TEST
    local pol=$1 per=$2 t=$3 run vm tr t0=0 i all ts
    run=$OUT/$pol.p$per.$t
    rm -f "$run".*
    reset_guests
    declare -A off=() start=() done_=()
    for vm in "${VMS[@]}"; do off[$vm]=$(stat -c %s "$E2E_DIR/$vm.console"); done
    tr=$run.csv
    "$MEMCOORD" -c "$(config "$per")" -p "$(policy_file "$pol")" -u "$URI" \
        --trace "$tr" >"$run.log" 2>&1 &
    MC_PID=$!
    for i in $(seq 1 400); do
        [ -f "$tr" ] && [ "$(wc -l <"$tr")" -ge 5 ] && { t0=$(now); break; }
        kill -0 "$MC_PID" 2>/dev/null || fail "memcoord exited: $(tail -n 2 "$run.log")"
        sleep 0.05
    done
    GEN=$((GEN + 1))
    for vm in "${VMS[@]}"; do "$HERE/vm.sh" feed "$vm" "$GEN" "${WL[$t.$vm]}"; done
    ts=$(now)
    while :; do
        all=1
        for vm in "${VMS[@]}"; do
            [ -n "${done_[$vm]:-}" ] && continue
            all=0
            local c; c=$(tail -c +$(( off[$vm] + 1 )) "$E2E_DIR/$vm.console" | tr -d '\r')
            [ -n "${start[$vm]:-}" ] || { grep -aq "^mcwl gen=$GEN start" <<<"$c" && start[$vm]=$(now); }
            [ -n "${start[$vm]:-}" ] && grep -aq '^mcinit workload-exit' <<<"$c" && done_[$vm]=1
        done
        [ "$all" = 1 ] && break
        awk -v e="$(since "$ts")" -v m=$TEST_TIMEOUT 'BEGIN { exit !(e > m) }' && { say "$run: timeout"; break; }
        sleep 0.2
    done
    sleep 1
    kill -TERM "$MC_PID"; wait "$MC_PID" || true; MC_PID=""
    : >"$run.phases"
    for vm in "${VMS[@]}"; do
        tail -c +$(( off[$vm] + 1 )) "$E2E_DIR/$vm.console" | tr -d '\r' >"$run.$vm.console"
        e2e_phases "$run.$vm.console" "$vm" "$t0" "${start[$vm]:-$t0}" >>"$run.phases"
    done
    say "$pol period $per $t: $(since "$ts") s, $(cat "$run".*.console | grep -ac "Out of memory: Killed") OOM"
}

for pol in "${POLICIES[@]}"; do
    for per in "${PERIODS[@]}"; do
        for t in "${TESTS[@]}"; do run_one "$pol" "$per" "$t"; done
    done
done
say "done: $OUT"
