#!/usr/bin/env bash
# unprivileged.sh [--if-possible] - memcoord as its own system user against a
# real libvirtd (issue 13 item 10: least privilege).
#
#   setup-host.sh (libvirtd with its read-write socket root:libvirt 0770, the
#   polkit-less stand-in for Debian's 60-libvirt.rules) -> the memcoord user
#   made from dist/memcoord.sysusers (systemd-sysusers; adduser without it),
#   so it is in the libvirt group -> one guest at 512 MiB -> checks:
#     * memcoord run as memcoord (setpriv, as systemd's User=) with a policy that asks 400 MiB
#       for every guest: `virsh dominfo` shows the guest resized; the daemon
#       ran as memcoord, its policy worker too, with no_new_privs and its
#       seccomp filter; its control socket is 0600 and owned by memcoord, and
#       `memcoord status` works as that user; SIGTERM ends it with status 0
#     * the same as `nobody` (not in the libvirt group): refused at start-up
#       with a non-zero status and an error naming the socket, the denial
#       and the libvirt group; the guest is not touched
#
# Everything that touches libvirtd runs under `flock /tmp/memcoord-libvirt.lock`
# (the suite's lock; taken here unless a parent process already holds it).
# --if-possible (make check): not root, setup failed, libvirtd running
# without that socket configuration, or foreign domains running -> print
# "unprivileged: SKIPPED (reason)", exit 0.  Cleanup on EXIT/INT/TERM:
# memcoord (by pid), the guest, teardown-host.sh (MC_E2E_KEEP_HOST=1 keeps
# libvirtd), the temporary directory.  The memcoord user is left in place,
# as a package would leave it.  About 40 s, most of it the guest's boot.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export E2E_NAME=unprivileged
# shellcheck source=lib.sh
. "$HERE/lib.sh"

LOCK=/tmp/memcoord-libvirt.lock
URI=qemu:///system
SOCK=/run/libvirt/libvirt-sock
VM=mcpriv_vm
TARGET_MIB=400

IF_POSSIBLE=0
case "${1:-}" in
    --if-possible) IF_POSSIBLE=1 ;;
    "") ;;
    *) echo "usage: unprivileged.sh [--if-possible]" >&2; exit 2 ;;
esac

skip() {
    [ "$IF_POSSIBLE" = 1 ] || fail "$*"
    echo "unprivileged: SKIPPED ($*)"
    exit 0
}

[ "$(id -u)" -eq 0 ] || skip "not root"
[ -x "$ROOT/memcoord" ] || fail "build first (make)"

# held_by_ancestor: does a process above us hold the lock (flock LOCK make
# check ...)?  Taking it again from here would wait for ourselves forever.
held_by_ancestor() {
    local ino pid p
    [ -e "$LOCK" ] || return 1
    ino=$(stat -c %i "$LOCK")
    for pid in $(awk -v i=":$ino" '$2 == "FLOCK" && substr($6, length($6) - length(i) + 1) == i { print $5 }' /proc/locks); do
        p=$$
        while [ "$p" -gt 1 ]; do
            [ "$p" = "$pid" ] && return 0
            p=$(awk '{ print $4 }' "/proc/$p/stat" 2>/dev/null || echo 1)
        done
    done
    return 1
}
if [ -z "${MC_E2E_LOCKED:-}" ] && ! held_by_ancestor; then
    MC_E2E_LOCKED=1 exec flock "$LOCK" "$0" "$@"
fi

tmp=$(mktemp -d /tmp/mcpriv.XXXXXX)
mcpid=
started_vm=0
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    [ -n "$mcpid" ] && kill -KILL "$mcpid" 2>/dev/null
    [ "$started_vm" = 1 ] && "$HERE/vm.sh" stop "$VM" >/dev/null 2>&1
    rm -f "$E2E_DIR/$VM.console"
    if [ "${MC_E2E_KEEP_HOST:-0}" != 1 ]; then "$HERE/teardown-host.sh" >/dev/null; fi
    if [ "$rc" != 0 ] && [ -f "$tmp/log" ]; then sed 's/^/  memcoord: /' "$tmp/log" >&2; fi
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$HERE/setup-host.sh" >"$tmp/setup.log" 2>&1 || { cat "$tmp/setup.log" >&2; skip "setup-host.sh failed"; }
mode=$(stat -c '%G %a' "$SOCK")
[ "$mode" = "libvirt 770" ] ||
    skip "$SOCK is '$mode', not 'libvirt 770': a libvirtd not started by setup-host.sh runs (stop it, or run teardown-host.sh)"
others=$(virsh -q -c "$URI" list --name | grep -v "^$VM\$" | grep . || true)
[ -z "$others" ] || skip "other domains running (memcoord would manage them): ${others//$'\n'/ }"
"$HERE/build-guest.sh" "$E2E_GUEST" >/dev/null

# The user, as the package or systemd-sysusers makes it.
if command -v systemd-sysusers >/dev/null; then
    systemd-sysusers - <"$ROOT/dist/memcoord.sysusers"
else
    getent group libvirt >/dev/null || addgroup --system --quiet libvirt
    getent passwd memcoord >/dev/null ||
        adduser --system --group --quiet --home /nonexistent --no-create-home memcoord
    adduser --quiet memcoord libvirt
fi
id -nG memcoord | grep -qw libvirt || fail "memcoord is not in the libvirt group"
id -nG nobody | grep -qw libvirt && fail "nobody is in the libvirt group: cannot test a refusal"

# as_user USER CMD...: CMD as USER with USER's groups, exec'd (no fork, so
# a pid taken of it is CMD's), as systemd's User= runs it.
as_user() {
    local user=$1; shift
    setpriv --reuid "$user" --regid "$(id -g "$user")" --init-groups -- "$@"
}

# Binary, policy and config where both users can read them; the run
# directory (control socket, trace) the daemon's own, as RuntimeDirectory=.
install -m 0755 "$ROOT/memcoord" "$tmp/memcoord"
cat >"$tmp/shrink.lua" <<LUA
-- Every guest to $TARGET_MIB MiB.
function decide(domains)
  local t = {}
  for _, d in ipairs(domains) do t[d.name] = $TARGET_MIB * mc.MiB end
  return t
end
LUA
install -d -o memcoord -g memcoord -m 0700 "$tmp/run"
cat >"$tmp/priv.ini" <<INI
[libvirt]
uri = $URI
[coordinator]
policy = shrink.lua
period = 1
sample = 1
[output]
control = $tmp/run/control.sock
trace = $tmp/run/trace.csv
INI
chmod 0755 "$tmp"
chmod 0644 "$tmp/shrink.lua" "$tmp/priv.ini"

"$HERE/vm.sh" stop "$VM" >/dev/null 2>&1 || true
"$HERE/vm.sh" start "$VM" 'idle:600' >/dev/null
started_vm=1
wait_console_t "$VM" '^mcinit ready' 180 || fail "guest not ready within 180 s"
wait_actual "$VM" 512 120 || fail "balloon did not reach 512 MiB"
say "guest $VM up at 512 MiB"

# ---------------------------------------------------------------- refused
set +e
out=$(cd / && as_user nobody "$tmp/memcoord" -c "$tmp/priv.ini" --once 2>&1)
rc=$?
set -e
[ "$rc" != 0 ] || fail "nobody (not in the libvirt group) was not refused: $out"
if ! grep -q "libvirt-sock.*Permission denied" <<<"$out" || ! grep -q "libvirt group" <<<"$out"; then
    fail "the refusal does not say why (socket, denied, libvirt group): $out"
fi
[ "$(balloon_field "$VM" current)" = $((512 * 1024)) ] || fail "a refused daemon changed the guest"
say "PASS nobody refused (exit $rc): $(grep -m1 'libvirt group' <<<"$out")"

# ---------------------------------------------------------------- allowed
(cd / && exec setpriv --reuid memcoord --regid memcoord --init-groups -- \
    "$tmp/memcoord" -c "$tmp/priv.ini") >"$tmp/log" 2>&1 &
mcpid=$!
# dominfo's "Used memory" is the balloon's size: wait for the shrink.
used_kib() { virsh -c "$URI" dominfo "$VM" | awk '/^Used memory:/ { print $3 }'; }
for _ in $(seq 60); do
    [ "$(used_kib)" -le $((TARGET_MIB * 1024)) ] && break
    kill -0 "$mcpid" 2>/dev/null || fail "memcoord as memcoord exited early"
    sleep 0.5
done
[ "$(used_kib)" -le $((TARGET_MIB * 1024)) ] || fail "guest not resized within 30 s: Used memory $(used_kib) KiB"
say "PASS resized by the memcoord user: dominfo Used memory $(used_kib) KiB"

# setpriv execs: $mcpid is the daemon itself.
uid=$(id -u memcoord)
status_of() { cat "/proc/$1/status"; }
daemon=$mcpid
worker=$(pgrep -P "$daemon" | head -1)
[ -n "$worker" ] || fail "no policy worker under the daemon"
status_of "$daemon" | grep -qP "^Uid:\t$uid\t" || fail "the daemon does not run as memcoord"
status_of "$worker" | grep -qP "^Uid:\t$uid\t" || fail "the worker does not run as memcoord"
status_of "$worker" | grep -qP "^NoNewPrivs:\t1" || fail "the worker has no no_new_privs"
status_of "$worker" | grep -qP "^Seccomp:\t2" || fail "the worker has no seccomp filter"
say "PASS daemon and worker run as memcoord; worker: no_new_privs, seccomp"

[ "$(stat -c '%U %a' "$tmp/run/control.sock")" = "memcoord 600" ] ||
    fail "control socket is $(stat -c '%U %a' "$tmp/run/control.sock"), not memcoord 600"
as_user memcoord "$tmp/memcoord" status -s "$tmp/run/control.sock" | grep -q "$VM" ||
    fail "memcoord status as memcoord does not show $VM"
set +e; as_user nobody "$tmp/memcoord" status -s "$tmp/run/control.sock" >/dev/null 2>&1; rc=$?; set -e
[ "$rc" != 0 ] || fail "nobody could read the status"
say "PASS control socket memcoord 0600; status answers memcoord, not nobody"

kill -TERM "$mcpid"
set +e; wait "$mcpid"; rc=$?; set -e
mcpid=
[ "$rc" = 0 ] || fail "memcoord exited $rc on SIGTERM"
grep -q "$VM" "$tmp/run/trace.csv" || fail "no trace rows for $VM"
say "PASS SIGTERM: exit 0"
say "PASS"
