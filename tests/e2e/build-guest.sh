#!/usr/bin/env bash
# build-guest.sh OUTDIR - build the e2e guest: a kernel and a tiny initramfs.
#
# OUTDIR/vmlinuz     the host's Debian kernel (/boot/vmlinuz-<ver>), copied
# OUTDIR/initrd.img  gzip'd newc cpio: busybox (static), the virtio modules of
#                    that same kernel, the static workload, and /init
# OUTDIR/workload    the workload binary (also inside the initramfs)
# OUTDIR/stamp       what the build was made from; if it still matches, the
#                    script exits at once (idempotent and fast)
#
# Guest boot (see the /init written below):
#   mount proc/sys/dev -> insmod virtio modules (those not built in) ->
#   optional zram swap (mczram=MIB) -> wait until MemTotal <= mcstart MiB,
#   i.e. the balloon has inflated to the start size (QEMU boots the guest with
#   its full <memory>; a test's clock must start only at the start size) ->
#   run /bin/workload (reads mcwl= from /proc/cmdline) -> sleep forever.
# Every /init line on the console starts with "mcinit ", e.g.
#   mcinit ready t=41.2 memtotal_kib=462000      (workload starts now)
#   mcinit workload-exit t=.. rc=N               (137 = killed, e.g. OOM)
#
# Kernel command-line words read by /init (vm.sh sets them):
#   mcstart=MIB   start size to wait for (default 512)
#   mcwait=S      give up waiting after S s and start anyway (default 600)
#   mczram=MIB    add a zram swap device of MIB MiB (default 0 = none)
#   mcwl=SCRIPT   the workload script (see workload.c)
#   mcdisk=DEV    instead of one mcwl= script: run workloads fed through the
#                 disk DEV (e.g. /dev/vda; vm.sh start-disk / vm.sh feed),
#                 forever: `workload -d DEV` waits for a new generation, runs
#                 it, exits; /init starts it again (also after an OOM kill).
#                 Console: "mcwl gen=N start script=..." ... "mcinit
#                 workload-exit rc=N" per generation.
#
# Needs: setup-host.sh done (linux-image-amd64, busybox-static, cpio, gcc).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:?usage: build-guest.sh OUTDIR}

die() { echo "build-guest: ERROR: $*" >&2; exit 1; }
say() { echo "build-guest: $*"; }

# The newest installed kernel that has modules (there is normally just one).
KVER=
for k in $(for f in /boot/vmlinuz-*; do [ -e "$f" ] && echo "${f#/boot/vmlinuz-}"; done | sort -V -r); do
    [ -f "/lib/modules/$k/modules.dep" ] && { KVER=$k; break; }
done
[ -n "$KVER" ] || die "no /boot/vmlinuz-<ver> with /lib/modules/<ver>/modules.dep; run setup-host.sh"
KERNEL=/boot/vmlinuz-$KVER
MODDIR=/lib/modules/$KVER
BUSYBOX=$(command -v busybox) || die "busybox not found; run setup-host.sh"
file_is_static() { ! ldd "$1" >/dev/null 2>&1; }
file_is_static "$BUSYBOX" || die "$BUSYBOX is not static (need busybox-static)"
command -v cpio >/dev/null || die "cpio not found; run setup-host.sh"

# Modules the guest needs, dependencies first. virtio_balloon is the point of
# the exercise; zram (+zsmalloc) only for the optional swap.
# virtio_blk: the small workload disk of run.sh (mcdisk=, see below).
# virtio_mem: the virtio-mem guest (domain-vmem.xml.in, virtio-mem.sh).
WANT=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
      virtio_balloon virtio_blk zsmalloc zram virtio_mem)

# ---------------------------------------------------------------- up to date?
stamp=$( {
    echo "kernel $KVER $(stat -c '%s %Y' "$KERNEL")"
    sha256sum "$BUSYBOX" "$HERE/workload.c" "$0" | cut -d' ' -f1
    echo "modules ${WANT[*]}"
} | sha256sum | cut -d' ' -f1)
if [ -f "$OUT/stamp" ] && [ "$(cat "$OUT/stamp")" = "$stamp" ] \
   && [ -f "$OUT/vmlinuz" ] && [ -f "$OUT/initrd.img" ]; then
    say "up to date: $OUT (kernel $KVER)"
    exit 0
fi

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
STAGE=$(mktemp -d "$OUT/.build.XXXXXX")
# never leave a half-built staging dir behind, whatever happens
trap 'rm -rf "$STAGE"' EXIT INT TERM
ROOT=$STAGE/root
mkdir -p "$ROOT"/{bin,dev,proc,sys,tmp,lib/modules}
# The kernel opens /dev/console for init's stdio before /init can mount
# devtmpfs; without this node early output (and errors) would be lost.
mknod -m 0600 "$ROOT/dev/console" c 5 1 || die "mknod /dev/console failed (need root)"

# ---------------------------------------------------------------- workload
gcc -static -O2 -Wall -Wextra -Werror -o "$STAGE/workload" "$HERE/workload.c" \
    || die "workload.c does not build"
cp "$STAGE/workload" "$ROOT/bin/workload"

# ---------------------------------------------------------------- busybox
cp "$BUSYBOX" "$ROOT/bin/busybox"
ln -s busybox "$ROOT/bin/sh"

# ---------------------------------------------------------------- modules
# Resolve each wanted module through modules.dep (deps first, each once);
# skip those built into the kernel (listed in modules.builtin). Modules are
# stored uncompressed and flat as /lib/modules/NAME.ko because busybox insmod
# may not read .ko.xz/.ko.zst.
declare -A seen=()
order=()
modpath() { # NAME -> relative path in modules.dep, or empty
    awk -F: -v n="$1" '{ p=$1; b=p; sub(/.*\//,"",b); sub(/\.ko(\.(xz|zst|gz))?$/,"",b);
        gsub(/-/,"_",b); if (b==n) { print p; exit } }' "$MODDIR/modules.dep"
}
add_mod() {
    local name=${1//-/_} path dep
    [ -n "${seen[$name]:-}" ] && return 0
    seen[$name]=1
    if grep -Eq "/${name//_/[_-]}\.ko(\.(xz|zst|gz))?$" "$MODDIR/modules.builtin" 2>/dev/null; then
        say "module $name: built into $KVER"
        return 0
    fi
    path=$(modpath "$name")
    [ -n "$path" ] || die "module $name not found in $MODDIR (neither module nor built-in)"
    # shellcheck disable=SC2013  # module paths contain no spaces
    for dep in $(awk -F: -v p="$path" '$1==p { print $2 }' "$MODDIR/modules.dep"); do
        dep=${dep##*/}; dep=${dep%%.ko*}
        add_mod "$dep"
    done
    case $path in
        *.ko)     cp "$MODDIR/$path" "$ROOT/lib/modules/$name.ko" ;;
        *.ko.xz)  xz -dc "$MODDIR/$path" >"$ROOT/lib/modules/$name.ko" ;;
        *.ko.zst) zstd -qdc "$MODDIR/$path" >"$ROOT/lib/modules/$name.ko" ;;
        *.ko.gz)  gzip -dc "$MODDIR/$path" >"$ROOT/lib/modules/$name.ko" ;;
        *) die "unknown module file $path" ;;
    esac
    order+=("$name")
}
for m in "${WANT[@]}"; do add_mod "$m"; done
printf '%s\n' "${order[@]}" >"$ROOT/lib/modules/load.order"
say "modules to load: ${order[*]:-(none, all built in)}"

# ---------------------------------------------------------------- /init
cat >"$ROOT/init" <<'INIT'
#!/bin/sh
# memcoord e2e guest init (generated by tests/e2e/build-guest.sh)
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1

up() { cut -d' ' -f1 /proc/uptime; }
log() { echo "mcinit $* t=$(up)"; }
arg() { # arg NAME DEFAULT: value of NAME= on the kernel command line
    v=$(tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n 1)
    echo "${v:-$2}"
}
memtotal() { sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo; }

log "boot kernel=$(uname -r)"
while read -r m; do
    [ -n "$m" ] || continue
    case $m in zram|zsmalloc) continue ;; esac   # only with mczram=, below
    if [ -d "/sys/module/$m" ]; then continue; fi   # built in or loaded
    insmod "/lib/modules/$m.ko" || log "module-failed name=$m"
done </lib/modules/load.order
[ -d /sys/module/virtio_balloon ] || log "WARNING no-virtio-balloon"

START_MIB=$(arg mcstart 512)
WAIT_S=$(arg mcwait 600)
ZRAM_MIB=$(arg mczram 0)

if [ "$ZRAM_MIB" -gt 0 ] 2>/dev/null; then
    for m in zsmalloc zram; do
        [ -d "/sys/module/$m" ] || insmod "/lib/modules/$m.ko" || log "module-failed name=$m"
    done
    if [ -e /sys/block/zram0 ] && echo "${ZRAM_MIB}M" >/sys/block/zram0/disksize \
       && mkswap /dev/zram0 >/dev/null && swapon /dev/zram0; then
        log "zram-swap mib=$ZRAM_MIB"
    else
        log "WARNING zram-failed"
    fi
fi

# The balloon inflates from the full <memory> down to <currentMemory> after
# boot; MemTotal follows it. Start the workload only at the start size, once
# MemTotal has also stopped moving (stable across 1 s).
limit=$((START_MIB * 1024))
log "waiting-balloon start_mib=$START_MIB memtotal_kib=$(memtotal)"
t_begin=$(up); t_begin=${t_begin%.*}; last_print=$t_begin
prev=-1
while :; do
    cur=$(memtotal)
    now=$(up); now=${now%.*}
    if [ "$cur" -le "$limit" ] && [ "$cur" = "$prev" ]; then break; fi
    if [ $((now - t_begin)) -ge "$WAIT_S" ]; then
        log "WARNING balloon-timeout memtotal_kib=$cur"; break
    fi
    if [ $((now - last_print)) -ge 5 ]; then
        log "waiting-balloon memtotal_kib=$cur"; last_print=$now
    fi
    prev=$cur
    sleep 1
done
log "ready memtotal_kib=$(memtotal)"
DISK=$(arg mcdisk '')
if [ -n "$DISK" ]; then
    log "runner disk=$DISK"
    while :; do
        /bin/workload -d "$DISK"
        log "workload-exit rc=$?"
        sleep 0.2
    done
fi
/bin/workload
log "workload-exit rc=$?"
while :; do sleep 3600; done
INIT
chmod 0755 "$ROOT/init"

# ---------------------------------------------------------------- pack
( cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet ) \
    | gzip -6 >"$STAGE/initrd.img"
cp "$KERNEL" "$STAGE/vmlinuz"
# QEMU runs as libvirt-qemu: the files must be world-readable.
chmod 0644 "$STAGE/vmlinuz" "$STAGE/initrd.img"
chmod 0755 "$STAGE/workload" "$OUT"
for f in vmlinuz initrd.img workload; do mv -f "$STAGE/$f" "$OUT/$f"; done
echo "$stamp" >"$OUT/stamp"
say "built $OUT: kernel $KVER, initrd $(du -k "$OUT/initrd.img" | cut -f1) KiB"
