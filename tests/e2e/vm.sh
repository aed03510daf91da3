#!/usr/bin/env bash
# vm.sh - start, watch and stop memcoord e2e guests (transient libvirt domains).
#
#   vm.sh start NAME SCRIPT [KARG...]  create guest NAME running workload SCRIPT
#                                      (the mcwl= value, see workload.c);
#                                      KARGs are extra kernel words, e.g.
#                                      mczram=256
#   vm.sh start-disk NAME [KARG...]    create guest NAME with a small workload
#                                      disk ($MC_E2E_DIR/NAME.disk, /dev/vda in
#                                      the guest); it runs what `feed` writes
#   vm.sh feed NAME GEN SCRIPT         hand workload SCRIPT as generation GEN
#                                      (a number, new each time) to a guest
#                                      made by start-disk; it starts within ~0.5 s
#   vm.sh stop NAME                    destroy guest NAME (only if it is ours)
#   vm.sh stopall                      destroy every running e2e guest
#   vm.sh list                         names of running e2e guests
#   vm.sh console NAME                 print the console file's path
#   vm.sh actual NAME                  balloon actual size now, KiB
#   vm.sh wait-actual NAME [MIB] [S]   wait until balloon actual <= MIB
#                                      (default: start size) for at most S s
#                                      (default 300); prints seconds waited
#   vm.sh wait-console NAME REGEX [S]  wait until the console matches REGEX
#                                      (grep -E) for at most S s (default 300)
#   vm.sh wait-ready NAME [S]          = wait-console NAME '^mcinit ready'
#
# Guests are transient (`virsh create`): nothing is defined or persists, and a
# destroyed guest is gone. Each is titled "memcoord-e2e"; stop/stopall act on
# such domains only, so a host's other guests are never touched.
#
# Environment:
#   MC_E2E_DIR      work dir (default /var/lib/memcoord-e2e); consoles are
#                   $MC_E2E_DIR/NAME.console
#   MC_E2E_GUEST    guest build dir (default $MC_E2E_DIR/guest, made by
#                   build-guest.sh)
#   MC_E2E_MEM_MIB  <memory>, the balloon ceiling (default 2048)
#   MC_E2E_CUR_MIB  <currentMemory>, the start size (default 512)
#   MC_E2E_URI      libvirt URI (default qemu:///system)
#   MC_E2E_TEMPLATE the domain template (default domain.xml.in; the
#                   virtio-mem guest: domain-vmem.xml.in)
set -euo pipefail
# bash 5.2 would expand '&' in ${var//pat/repl}; XML escapes contain '&'.
shopt -u patsub_replacement 2>/dev/null || true

HERE=$(cd "$(dirname "$0")" && pwd)
WORK_DIR=${MC_E2E_DIR:-/var/lib/memcoord-e2e}
GUEST_DIR=${MC_E2E_GUEST:-$WORK_DIR/guest}
MEM_MIB=${MC_E2E_MEM_MIB:-2048}
CUR_MIB=${MC_E2E_CUR_MIB:-512}
URI=${MC_E2E_URI:-qemu:///system}
TITLE=memcoord-e2e

die() { echo "vm.sh: ERROR: $*" >&2; exit 1; }
v() { virsh -q -c "$URI" "$@"; }

xml_escape() {
    local s=$1
    s=${s//&/&amp;}; s=${s//</&lt;}; s=${s//>/&gt;}; s=${s//\'/&apos;}; s=${s//\"/&quot;}
    printf '%s' "$s"
}

check_name() {
    [[ $1 =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad guest name '$1'"
}

# Running domains titled $TITLE. (Asked one by one: parsing `virsh list
# --title` columns breaks on states like "in shutdown".)
ours() {
    local n
    for n in $(v list --name); do
        [ "$(v desc "$n" --title 2>/dev/null)" = "$TITLE" ] && echo "$n"
    done
    return 0
}

# (Not `ours | grep -q`: with pipefail, grep -q quitting early kills `ours`
# with SIGPIPE and the pipeline "fails" for every name but the last.)
is_ours() { local l; l=$(ours); grep -qx -- "$1" <<<"$l"; }

console_path() { echo "$WORK_DIR/$1.console"; }

disk_path() { echo "$WORK_DIR/$1.disk"; }

# cmd_start NAME SCRIPT [KARG...]; SCRIPT "-" = no mcwl=, a workload disk instead
cmd_start() {
    local name=$1 script=$2; shift 2
    check_name "$name"
    if [ ! -f "$GUEST_DIR/vmlinuz" ] || [ ! -f "$GUEST_DIR/initrd.img" ]; then
        die "no guest in $GUEST_DIR; run build-guest.sh $GUEST_DIR first"
    fi
    [ "$script" = - ] || [[ $script =~ ^[a-z0-9.:,]+$ ]] || die "bad workload script '$script'"
    if v domstate "$name" >/dev/null 2>&1; then
        die "a domain named $name already exists"
    fi
    mkdir -p "$WORK_DIR"
    local console; console=$(console_path "$name")
    rm -f "$console"
    local wl="mcwl=$script" disk_xml=""
    if [ "$script" = - ]; then
        local disk; disk=$(disk_path "$name")
        rm -f "$disk"
        truncate -s 1M "$disk" && chmod 0644 "$disk" || die "cannot create $disk"
        wl="mcdisk=/dev/vda"
        disk_xml="    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='$(xml_escape "$disk")'/>
      <target dev='vda' bus='virtio'/>
      <readonly/>
    </disk>"
    fi
    # console=ttyS0: everything to the serial file. loglevel=4 keeps boot
    # chatter out but lets errors (e.g. the OOM killer's report) through.
    local cmdline="console=ttyS0 loglevel=4 mcstart=$CUR_MIB $wl${*:+ $*}"
    local tpl; tpl=$(<"${MC_E2E_TEMPLATE:-$HERE/domain.xml.in}")
    tpl=${tpl//@NAME@/$(xml_escape "$name")}
    tpl=${tpl//@MEM_MIB@/$MEM_MIB}
    tpl=${tpl//@CUR_MIB@/$CUR_MIB}
    tpl=${tpl//@VMEM_MIB@/$((MEM_MIB - CUR_MIB))}
    tpl=${tpl//@KERNEL@/$(xml_escape "$GUEST_DIR/vmlinuz")}
    tpl=${tpl//@INITRD@/$(xml_escape "$GUEST_DIR/initrd.img")}
    tpl=${tpl//@CMDLINE@/$(xml_escape "$cmdline")}
    tpl=${tpl//@CONSOLE@/$(xml_escape "$console")}
    tpl=${tpl//@DISK@/$disk_xml}
    # virsh create reads a file; feed it through a pipe so no temp file is left.
    v create /dev/stdin <<<"$tpl" >/dev/null || die "virsh create $name failed"
    echo "vm.sh: started $name ($MEM_MIB MiB max, $CUR_MIB MiB start) $wl"
}

# One sector "MCWL GEN SCRIPT END\n", zero padded to 4 KiB (see workload.c).
cmd_feed() {
    local name=$1 gen=$2 script=$3 disk
    check_name "$name"
    disk=$(disk_path "$name")
    [ -f "$disk" ] || die "$name has no workload disk ($disk); use start-disk"
    [[ $gen =~ ^[1-9][0-9]*$ ]] || die "bad generation '$gen'"
    [[ $script =~ ^[a-z0-9.:,]+$ ]] || die "bad workload script '$script'"
    [ $(( ${#script} + ${#gen} + 12 )) -le 1000 ] || die "script too long"
    printf 'MCWL %s %s END\n' "$gen" "$script" \
        | dd of="$disk" bs=4096 count=1 conv=sync,notrunc status=none \
        || die "cannot write $disk"
}

cmd_stop() {
    check_name "$1"
    if is_ours "$1"; then
        v destroy "$1" >/dev/null
        rm -f "$(disk_path "$1")"
        echo "vm.sh: destroyed $1"
    elif v domstate "$1" >/dev/null 2>&1; then
        die "$1 exists but is not an e2e guest (title != $TITLE); not touching it"
    fi
}

cmd_stopall() {
    local n
    for n in $(ours); do
        v destroy "$n" >/dev/null && rm -f "$(disk_path "$n")" && echo "vm.sh: destroyed $n"
    done
}

cmd_actual() {
    v domstats --balloon "$1" | sed -n 's/^ *balloon\.current=//p'
}

cmd_wait_actual() {
    local name=$1 mib=${2:-$CUR_MIB} tmo=${3:-300} start a
    start=$(date +%s.%N)
    while :; do
        a=$(cmd_actual "$name" 2>/dev/null || true)
        if [ -n "$a" ] && [ "$a" -le $((mib * 1024)) ]; then
            echo "$(date +%s.%N) $start" | awk '{ printf "%.1f\n", $1 - $2 }'
            return 0
        fi
        if [ "$(echo "$(date +%s.%N) $start $tmo" | awk '{ print ($1 - $2 > $3) }')" = 1 ]; then
            echo "vm.sh: $name: balloon actual ${a:-?} KiB still above $mib MiB after $tmo s" >&2
            return 1
        fi
        sleep 0.5
    done
}

cmd_wait_console() {
    local name=$1 re=$2 tmo=${3:-300} i c
    c=$(console_path "$name")
    for ((i = 0; i < tmo * 2; i++)); do
        grep -Eq -- "$re" "$c" 2>/dev/null && return 0
        sleep 0.5
    done
    echo "vm.sh: $name: console did not match '$re' within $tmo s" >&2
    return 1
}

[ $# -ge 1 ] || die "usage: vm.sh start|start-disk|feed|stop|stopall|list|console|actual|wait-actual|wait-console|wait-ready ..."
cmd=$1; shift
case $cmd in
    start)        [ $# -ge 2 ] || die "usage: vm.sh start NAME SCRIPT [KARG...]"; cmd_start "$@" ;;
    start-disk)   [ $# -ge 1 ] || die "usage: vm.sh start-disk NAME [KARG...]"; n=$1; shift; cmd_start "$n" - "$@" ;;
    feed)         [ $# -eq 3 ] || die "usage: vm.sh feed NAME GEN SCRIPT"; cmd_feed "$@" ;;
    stop)         [ $# -eq 1 ] || die "usage: vm.sh stop NAME"; cmd_stop "$1" ;;
    stopall)      cmd_stopall ;;
    list)         ours ;;
    console)      [ $# -eq 1 ] || die "usage: vm.sh console NAME"; console_path "$1" ;;
    actual)       [ $# -eq 1 ] || die "usage: vm.sh actual NAME"; cmd_actual "$1" ;;
    wait-actual)  [ $# -ge 1 ] || die "usage: vm.sh wait-actual NAME [MIB] [S]"; cmd_wait_actual "$@" ;;
    wait-console) [ $# -ge 2 ] || die "usage: vm.sh wait-console NAME REGEX [S]"; cmd_wait_console "$@" ;;
    wait-ready)   [ $# -ge 1 ] || die "usage: vm.sh wait-ready NAME [S]"; cmd_wait_console "$1" '^mcinit ready' "${2:-300}" ;;
    *)            die "unknown command '$cmd'" ;;
esac
