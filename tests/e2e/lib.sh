# shellcheck shell=bash
# lib.sh - small helpers shared by the e2e driver scripts (sourced, not run).
# Callers set E2E_NAME (prefix for messages) and HERE (this directory).

E2E_DIR=${MC_E2E_DIR:-/var/lib/memcoord-e2e}
E2E_GUEST=${MC_E2E_GUEST:-$E2E_DIR/guest}
export MC_E2E_DIR=$E2E_DIR MC_E2E_GUEST=$E2E_GUEST

now() { date +%s.%N; }
# since T0 [T1]: seconds from T0 to T1 (default: now), one decimal
since() { awk -v a="$1" -v b="${2:-$(now)}" 'BEGIN { printf "%.1f", b - a }'; }
say() { echo "${E2E_NAME:-e2e}: $*"; }
fail() { echo "${E2E_NAME:-e2e}: FAIL: $*" >&2; exit 1; }

# balloon_field NAME FIELD: one balloon.* value from virsh domstats (empty if none)
balloon_field() {
    virsh -q -c "${MC_E2E_URI:-qemu:///system}" domstats --balloon "$1" 2>/dev/null \
        | sed -n "s/^ *balloon\.$2=//p"
}

# wait_console_t NAME REGEX TIMEOUT: wait for a console line; poll every 0.1 s
# so the host-side time at which it appeared is accurate to ~0.1 s.
wait_console_t() {
    local c="$E2E_DIR/$1.console" end
    end=$(awk -v n="$(now)" -v t="$3" 'BEGIN { printf "%.0f", n + t }')
    while ! grep -Eq -- "$2" "$c" 2>/dev/null; do
        [ "$(date +%s)" -lt "$end" ] || return 1
        sleep 0.1
    done
}

# wait_actual NAME MIB TIMEOUT: wait until balloon actual <= MIB MiB.
# (In-process rather than `vm.sh wait-actual`, so a TERM/INT sent to the
# calling script is acted on within one poll, not after a child's timeout.)
wait_actual() {
    local end a
    end=$(( $(date +%s) + $3 ))
    while :; do
        a=$(balloon_field "$1" current)
        [ -n "$a" ] && [ "$a" -le $(( $2 * 1024 )) ] && return 0
        [ "$(date +%s)" -lt "$end" ] || return 1
        sleep 0.25
    done
}

# stop_pid PID: SIGTERM, up to 5 s to exit, then SIGKILL; reaped either
# way (PID a child of this shell).  An empty PID does nothing.
stop_pid() {
    [ -n "$1" ] || return 0
    if kill -0 "$1" 2>/dev/null; then
        kill -TERM "$1" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$1" 2>/dev/null && kill -KILL "$1" 2>/dev/null
    fi
    wait "$1" 2>/dev/null || true
}

# boot_runners MIB VM...: boots each guest with its workload disk (a
# leftover of a crashed run is stopped first), then waits until every
# balloon is at MIB and every workload runner waits for its first script.
boot_runners() {
    local mib=$1 vm
    shift
    for vm in "$@"; do
        "$HERE/vm.sh" stop "$vm" >/dev/null 2>&1 || true
        "$HERE/vm.sh" start-disk "$vm" >/dev/null || fail "cannot start $vm"
    done
    for vm in "$@"; do
        wait_actual "$vm" "$mib" 300 || fail "$vm: balloon not at $mib MiB after 300 s"
        wait_console_t "$vm" '^mcinit runner' 120 || fail "$vm: workload runner did not start"
    done
}

# num_cmp A OP B: 1 when A is a finite number and A OP B holds, else 0
# (e2e_score writes "nan" for no value and "inf" for never).
num_cmp() {
    awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN {
        ok = a ~ /^-?[0-9]+(\.[0-9]+)?$/
        if (ok) ok = (op == ">=") ? a + 0 >= b + 0 : (op == "<=") ? a + 0 <= b + 0 : 0
        print ok ? 1 : 0 }'
}

# e2e_phases CONSOLE VM T0 TSTART: one line per workload step of the run
# whose console excerpt is CONSOLE, in trace time (T0: host time of the
# trace's t=0; TSTART: host time the workload started), for e2e_score:
#   VM STEP OP START END MOVED_MIB   (END, MOVED "-" when it never ended)
e2e_phases() {
    awk -v vm="$2" -v t0="$3" -v ts="$4" '
        $1 == "mcwl" && $2 ~ /^t=/ && $3 ~ /^phase=/ {
            t = substr($2, 3) + ts - t0; op = substr($3, 7); k = substr($4, 6)
            if (!(k in start)) { start[k] = t; opk[k] = op; order[++n] = k }
            if ($6 == "end") { stop[k] = t; moved[k] = substr($7, 11) }
        }
        END { for (i = 1; i <= n; i++) { k = order[i]
                  printf "%s %s %s %.2f %s %s\n", vm, k, opk[k], start[k],
                         (k in stop) ? sprintf("%.2f", stop[k]) : "-", (k in moved) ? moved[k] : "-" } }
    ' "$1"
}

# e2e_finish RC TMP: how a driver's EXIT trap ends: TMP removed on success
# (kept, and named, otherwise), the daemons setup-host.sh started stopped
# unless MC_E2E_KEEP_HOST=1, PASS or FAILED, exit RC.
e2e_finish() {
    if [ "$1" = 0 ]; then rm -rf "$2"; else say "logs kept in $2"; fi
    if [ "${MC_E2E_KEEP_HOST:-0}" != 1 ]; then "$HERE/teardown-host.sh" >/dev/null; fi
    if [ "$1" = 0 ]; then say "PASS"; else say "FAILED (exit $1)"; fi
    exit "$1"
}
