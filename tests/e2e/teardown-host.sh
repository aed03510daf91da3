#!/usr/bin/env bash
# teardown-host.sh - undo what setup-host.sh started, and nothing else.
#
# 1. Destroys every running e2e guest (domains titled "memcoord-e2e", see
#    vm.sh stopall) while libvirtd is still there to do it.
# 2. Stops the daemons listed in $MC_E2E_RUN/started, i.e. only those
#    setup-host.sh itself started; a libvirtd that was already running before
#    setup (someone else's) is left alone.
# Packages, users and directories are left in place (cheap to keep, slow to
# reinstall). Idempotent: running it twice is harmless.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
RUN_DIR=${MC_E2E_RUN:-/run/memcoord-e2e}
STATE=$RUN_DIR/started

say() { echo "teardown-host: $*"; }

[ "$(id -u)" -eq 0 ] || { echo "teardown-host: must run as root" >&2; exit 1; }

# Guests first: stopping libvirtd under them would leave orphan QEMUs.
if [ -S /run/libvirt/libvirt-sock ]; then
    "$HERE/vm.sh" stopall || say "warning: vm.sh stopall failed"
fi

[ -f "$STATE" ] || { say "nothing was started by setup-host.sh"; exit 0; }

# stop NAME PID: TERM, wait up to 10 s, then KILL; only if PID is still NAME
# (a recycled pid must never be killed).
stop() {
    local name=$1 pid=$2 _
    if [ ! -r "/proc/$pid/comm" ] || [ "$(cat "/proc/$pid/comm")" != "$name" ]; then
        say "$name ($pid) already gone"
        return 0
    fi
    say "stopping $name ($pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        [ -d "/proc/$pid" ] || return 0
        sleep 0.1
    done
    say "$name ($pid) ignored TERM; killing"
    kill -KILL "$pid" 2>/dev/null || true
}

# libvirtd before virtlogd (reverse start order): libvirtd talks to virtlogd.
for name in libvirtd virtlogd; do
    line=$(grep "^$name " "$STATE" || true)
    [ -n "$line" ] || continue
    stop "$name" "${line#* }"
done
rm -f "$STATE"
rmdir "$RUN_DIR" 2>/dev/null || true
say "done"
