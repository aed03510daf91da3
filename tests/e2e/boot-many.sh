#!/usr/bin/env bash
# boot-many.sh [N] [SCRIPT] - measure N guests (aos_vm1..aos_vmN) booted at once.
#
# Calibration, not a pass/fail test of memcoord: it tells a test author how
# long the balloons of N simultaneous guests take to inflate to the 512 MiB
# start size on this host, and how fast the guest workload grows when N
# guests share the host's cores (TCG). Defaults: N=4, SCRIPT=grow:0:250,free:all
# (grow as fast as possible to 250 MiB, well under the ~345 MiB OOM point).
#
# Prints one line per guest and a summary; exits non-zero if a guest does not
# get to its start size or its workload does not finish. Same cleanup as
# smoke.sh (guests destroyed, setup's daemons stopped unless
# MC_E2E_KEEP_HOST=1, consoles removed on success).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
E2E_NAME=boot-many
# shellcheck source=lib.sh
. "$HERE/lib.sh"

N=${1:-4}
SCRIPT=${2:-grow:0:250,free:all}
[[ $N =~ ^[1-9][0-9]*$ ]] || fail "N must be a positive integer"
started=()

cleanup() {
    local rc=$? n
    trap - EXIT INT TERM
    set +e
    for n in "${started[@]}"; do
        "$HERE/vm.sh" stop "$n" >/dev/null 2>&1
        case $rc in 0|130|143) rm -f "$E2E_DIR/$n.console" ;; esac
    done
    case $rc in 0|130|143) ;; *) say "consoles kept in $E2E_DIR" ;; esac
    if [ "${MC_E2E_KEEP_HOST:-0}" != 1 ]; then "$HERE/teardown-host.sh"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$HERE/setup-host.sh"
"$HERE/build-guest.sh" "$E2E_GUEST"

declare -A t_init=() t_512=() t_ready=() rate=()
t0=$(now)
for i in $(seq 1 "$N"); do
    "$HERE/vm.sh" start "aos_vm$i" "$SCRIPT"
    started+=("aos_vm$i")
done
say "all $N created after $(since "$t0") s"

# One poll loop over all guests so each event is timed to ~0.25 s.
left=$N
deadline=$(( $(date +%s) + 600 ))
while [ "$left" -gt 0 ]; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "not all guests finished within 600 s"
    left=0
    for n in "${started[@]}"; do
        c=$E2E_DIR/$n.console
        if [ -z "${t_init[$n]:-}" ] && grep -aq '^mcinit boot' "$c" 2>/dev/null; then
            t_init[$n]=$(since "$t0")
        fi
        if [ -z "${t_512[$n]:-}" ]; then
            a=$(balloon_field "$n" current)
            if [ -n "$a" ] && [ "$a" -le $((512 * 1024)) ]; then t_512[$n]=$(since "$t0"); fi
        fi
        if [ -z "${t_ready[$n]:-}" ] && grep -aq '^mcinit ready' "$c" 2>/dev/null; then
            t_ready[$n]=$(since "$t0")
        fi
        if [ -z "${rate[$n]:-}" ] && grep -aq '^mcinit workload-exit' "$c" 2>/dev/null; then
            rate[$n]=$(grep -a -m 1 'phase=grow .* end ' "$c" \
                       | sed -n 's/.*rate_mib_s=\([0-9.]*\).*/\1/p')
            rate[$n]=${rate[$n]:-none}
        fi
        [ -n "${rate[$n]:-}" ] && [ -n "${t_512[$n]:-}" ] || left=$((left + 1))
    done
    sleep 0.25
done

for n in "${started[@]}"; do
    say "$n: /init ${t_init[$n]:-?} s, actual 512 MiB ${t_512[$n]} s," \
        "ready ${t_ready[$n]:-?} s, grow ${rate[$n]} MiB/s" \
        "($(grep -a '^mcinit workload-exit' "$E2E_DIR/$n.console" | tr -d '\r'))"
    grep -aq '^mcinit workload-exit rc=0' "$E2E_DIR/$n.console" || fail "$n: workload did not exit 0"
done
all512=$(printf '%s\n' "${t_512[@]}" | sort -g | tail -n 1)
say "SUMMARY n=$N all_at_512_s=$all512 script=$SCRIPT"
