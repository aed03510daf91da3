#!/usr/bin/env bash
# setup-host.sh - prepare this host to run real libvirt/QEMU guests for the
# memcoord end-to-end tests.
#
# Idempotent and non-interactive. Safe to run again and again: it installs only
# missing packages, creates only missing users/dirs, and starts virtlogd and
# libvirtd only when they are not already running.
#
# The machines this project runs on have no systemd, so the daemons are
# started by hand (`virtlogd -d`, `libvirtd -d`). What THIS script started is
# recorded in $MC_E2E_RUN/started (one "name pid" line each), so that
# teardown-host.sh stops exactly those and never a daemon someone else runs.
#
# Environment:
#   MC_E2E_RUN   state dir (default /run/memcoord-e2e)
#   MC_E2E_DIR   work dir for guest images and consoles (default /var/lib/memcoord-e2e)
#
# Exit status: 0 ready; non-zero with a message on stderr otherwise.
set -euo pipefail

RUN_DIR=${MC_E2E_RUN:-/run/memcoord-e2e}
WORK_DIR=${MC_E2E_DIR:-/var/lib/memcoord-e2e}
STATE=$RUN_DIR/started
SOCK=/run/libvirt/libvirt-sock
LOG_DIR=/var/log/libvirt

die() { echo "setup-host: ERROR: $*" >&2; exit 1; }
say() { echo "setup-host: $*"; }

[ "$(id -u)" -eq 0 ] || die "must run as root (installs packages, starts libvirtd)"

# ---------------------------------------------------------------- packages
# qemu/libvirt: the hypervisor; linux-image-amd64: a guest kernel + its virtio
# modules; busybox-static/cpio/gzip/kmod: to build the guest initramfs;
# gcc/libc6-dev: the static guest workload; xz-utils/zstd: in case modules are
# shipped compressed.
PKGS=(qemu-system-x86 libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
      linux-image-amd64 busybox-static cpio gzip kmod gcc libc6-dev
      xz-utils zstd)
missing=()
for p in "${PKGS[@]}"; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$st" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # INITRD=No: the kernel package would otherwise build a host initramfs we
    # never use (we build our own tiny one); that is slow and pointless here.
    export INITRD=No
    apt-get update -qq || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || die "apt-get install failed for: ${missing[*]}"
fi
for b in qemu-system-x86_64 virsh libvirtd virtlogd busybox cpio gzip gcc; do
    command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || [ -x "/bin/$b" ] \
        || die "$b not found after install"
done
ls /boot/vmlinuz-* >/dev/null 2>&1 || die "no /boot/vmlinuz-* (linux-image-amd64 not installed?)"

# ---------------------------------------------------------------- users, dirs
# Debian's libvirt runs QEMU as libvirt-qemu:kvm; without them libvirtd
# refuses to start guests. Normally the package's postinst (or systemd-sysusers)
# makes them; on a stripped image they may be absent.
getent group kvm >/dev/null || groupadd --system kvm || die "cannot create group kvm"
getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu \
    || die "cannot create group libvirt-qemu"
if ! getent passwd libvirt-qemu >/dev/null; then
    useradd --system --gid kvm --home-dir /var/lib/libvirt --no-create-home \
        --shell /usr/sbin/nologin libvirt-qemu || die "cannot create user libvirt-qemu"
fi
# libvirt's group: members manage domains (see libvirtd.conf below), as
# memcoord's user is (tests/e2e/unprivileged.sh).
getent group libvirt >/dev/null || groupadd --system libvirt || die "cannot create group libvirt"
mkdir -p "$LOG_DIR" "$LOG_DIR/qemu" /var/lib/libvirt/qemu /var/cache/libvirt \
         /run/libvirt "$RUN_DIR" "$WORK_DIR"
# QEMU (as libvirt-qemu) must reach the kernel/initramfs and may need to
# traverse the work dir; consoles are written via virtlogd (root).
chmod 0755 "$WORK_DIR"

# ---------------------------------------------------------------- daemons
# alive PIDFILE NAME: true if PIDFILE names a live process called NAME.
alive() {
    local pid
    [ -r "$1" ] || return 1
    pid=$(cat "$1" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$2" ]
}
# running NAME PIDFILE: is a daemon of that name running at all (ours or not)?
running() { alive "$2" "$1" || pgrep -x "$1" >/dev/null 2>&1; }

record() { # record NAME PIDFILE: remember that we started it
    local pid; pid=$(cat "$2")
    grep -qs "^$1 " "$STATE" && sed -i "/^$1 /d" "$STATE"
    echo "$1 $pid" >>"$STATE"
}

# start_daemon NAME PIDFILE CMD...: start it unless running; wait for pidfile.
start_daemon() {
    local name=$1 pidf=$2; shift 2
    if running "$name" "$pidf"; then
        say "$name already running (left alone)"
        return 0
    fi
    say "starting $name"
    # The -d daemons log to syslog by default, which does not exist here:
    # send their logs to files for post-mortems instead.
    LIBVIRT_LOG_OUTPUTS="3:file:$LOG_DIR/$name.log" "$@" \
        || die "$name failed to start (see $LOG_DIR/$name.log)"
    local i
    for i in $(seq 1 100); do
        alive "$pidf" "$name" && { record "$name" "$pidf"; return 0; }
        sleep 0.1
    done
    die "$name did not come up (no live pid in $pidf; see $LOG_DIR/$name.log)"
}

# Who may use the read-write socket.  On a Debian host libvirt-daemon-system
# grants it to the libvirt group through polkit (60-libvirt.rules); this
# host runs no polkit (nor dbus, nor systemd), so the group gets it the
# polkit-less way instead: the socket owned by group libvirt, mode 0770, no
# further auth.  Root still connects as before; anyone else not in the
# group is refused by the socket's mode.
LIBVIRTD_CONF=$RUN_DIR/libvirtd.conf
cat >"$LIBVIRTD_CONF" <<'CONF'
unix_sock_group = "libvirt"
unix_sock_ro_perms = "0777"
unix_sock_rw_perms = "0770"
auth_unix_ro = "none"
auth_unix_rw = "none"
CONF

# virtlogd must be up first: libvirtd hands guest console/log files to it.
start_daemon virtlogd /run/virtlogd.pid /usr/sbin/virtlogd -d
start_daemon libvirtd /run/libvirtd.pid /usr/sbin/libvirtd -d -f "$LIBVIRTD_CONF"

# libvirtd probes QEMU's capabilities before it opens its socket; under TCG
# this can take several seconds on the first start (then it is cached).
for i in $(seq 1 600); do
    [ -S "$SOCK" ] && virsh -q -c qemu:///system version >/dev/null 2>&1 && break
    [ "$i" -eq 600 ] && die "libvirtd socket $SOCK not answering after 60 s (see $LOG_DIR/libvirtd.log)"
    sleep 0.1
done
say "ready ($(virsh -c qemu:///system version 2>/dev/null | grep -i 'running hypervisor' || echo libvirt up))"
