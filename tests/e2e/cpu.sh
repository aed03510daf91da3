#!/usr/bin/env bash
# cpu.sh [--if-possible] [--reuse VM...] [TEST...] - the course's vCPU
# Tests 1-5 on real guests (issue 12), scaled to this host's pCPUs.
#
# Four 1-vCPU TCG guests run the workload's time-based duty-cycle spinner
# (spin:PCT:S in workload.c: busy PCT% of the wall-clock time whatever the
# TCG speed, so a crowded pCPU gives it less, as the course's busy loop).
# For each test the guests get their starting pins (virsh vcpupin --live),
# a spin script (vm.sh feed), and then
#     memcoord -u qemu:///system --cpu-policy policies/cpu_balance.lua
# runs for RUN_S seconds (period 1 s).  Meanwhile an independent harness,
# the course's, samples `virsh domstats --vcpu` (vcpu.0.time) and `virsh
# vcpuinfo` (the pCPU last run on) every second, adds each vCPU's time delta
# to that pCPU, and computes the standard deviation of the pCPUs' load.
#
# The course's tests are for 8 guests on 4 pCPUs; this host has 2, so each
# is scaled to 4 guests on the first 2 pCPUs, keeping what each test is
# about (a pCPU crowded while another idles; already balanced; free):
#   test1  all 4 pinned to pCPU0 (balanced = 2 + 2)
#   test2  "4 on the first, 4 on the last pCPU": on 2 pCPUs that would be
#          already balanced, so 3 on pCPU0 and 1 on pCPU1 (crowded vs
#          spare, the nearest meaningful version)
#   test3  2 on pCPU0, 2 on pCPU1: already balanced, NO PIN MAY CHANGE
#   test4  all free (affinity 0-1): the kernel balances, memcoord may too
#   test5  as test4, 2 heavy (70%) and 2 light (10%) spinners
# The rest spin at 40%: 160% of 2 pCPUs, so a balanced host runs both at
# ~80%, and all on one pCPU saturates it (stddev ~40 points).
#
# Asserted (coord runs): the harness's stddev averaged over the last
# TAIL_S samples <= THRESH points; balanced within 20 s (from some sample
# on, every 3-sample mean stays <= THRESH); no re-pin after that (memcoord's
# pin events that move a vCPU already pinned to one pCPU); test3: no pin
# event at all and `virsh vcpupin` unchanged.
# Cross-checks: memcoord's last pins ([cpu] trace) equal `virsh vcpupin`;
# memcoord's vCPU utilization over the run agrees with the harness's (from
# virsh domstats) within XCHECK points.  THRESH is 10 points, not the
# course's 5: on this shared 2-core host other work takes whole slices of
# one core and the harness sees that as imbalance (calibration: the vCPU
# section of tests/e2e/README.md).  Then test1 and test2 run with NO scheduler (memcoord
# not started) and must fail the balance assertions.
#
# --reuse VM...: use these already booted guests with workload disks and
# waiting runners (run.sh's aos_vm1..4); otherwise cpu.sh boots cpu_vm1..4
# (256 MiB, nothing to balloon) and destroys them at the end.  Any VM use
# must hold /tmp/memcoord-libvirt.lock (run.sh's caller does, or run this
# as `flock /tmp/memcoord-libvirt.lock tests/e2e/cpu.sh`).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
E2E_NAME=cpu
# shellcheck source=lib.sh
. "$HERE/lib.sh"

URI=${MC_E2E_URI:-qemu:///system}
MEMCOORD=$ROOT/memcoord
POLICY=$ROOT/policies/cpu_balance.lua
RUN_S=${MC_CPU_RUN_S:-22}	# memcoord runs this long per test
TAIL_S=6			# the final stddev: mean of the last samples
THRESH=${MC_CPU_THRESH:-10}	# points
BALANCE_BY=20			# s
XCHECK=15			# points, memcoord's util vs the harness's
GEN=1000			# workload generations (run.sh's are below)

IF_POSSIBLE=0 REUSE=0
VMS=()
TESTS=()
while [ $# -gt 0 ]; do
	case $1 in
	--if-possible) IF_POSSIBLE=1 ;;
	--reuse) REUSE=1; shift; while [ $# -gt 0 ] && [ "${1#-}" = "$1" ] && [ "${1#test}" = "$1" ]; do VMS+=("$1"); shift; done; continue ;;
	test[1-5]|none1|none2) TESTS+=("$1") ;;
	*) echo "usage: cpu.sh [--if-possible] [--reuse VM VM VM VM] [test1..test5 none1 none2]" >&2; exit 2 ;;
	esac
	shift
done
[ ${#TESTS[@]} -gt 0 ] || TESTS=(test1 test2 test3 test4 test5 none1 none2)
[ ${#VMS[@]} -gt 0 ] || VMS=(cpu_vm1 cpu_vm2 cpu_vm3 cpu_vm4)
[ ${#VMS[@]} -eq 4 ] || { echo "cpu.sh: --reuse wants 4 guests" >&2; exit 2; }

RES="" MC_PID="" booted=0 failed=0 setup_ran=0
T_SUITE=$(now)

skip() {
	if [ "$IF_POSSIBLE" = 1 ]; then echo "cpu: SKIPPED ($*)"; exit 0; fi
	fail "$*"
}

stop_memcoord() {
	local pid=$MC_PID
	MC_PID=""
	stop_pid "$pid"
}

cleanup() {
	local rc=$? vm
	trap - EXIT INT TERM
	set +e
	stop_memcoord
	if [ "$booted" = 1 ]; then
		for vm in "${VMS[@]}"; do "$HERE/vm.sh" stop "$vm" >/dev/null 2>&1; rm -f "$E2E_DIR/$vm.console"; done
	elif [ "$REUSE" = 1 ]; then	# give run.sh its guests back unpinned
		for vm in "${VMS[@]}"; do virsh -q -c "$URI" vcpupin "$vm" 0 "0-$((NP - 1))" --live >/dev/null 2>&1; done
	fi
	if [ "$setup_ran" = 1 ] && [ "${MC_E2E_KEEP_HOST:-0}" != 1 ]; then
		"$HERE/teardown-host.sh" >/dev/null 2>&1 || say "warning: teardown-host.sh failed"
	fi
	if [ -n "$RES" ]; then
		if [ "$rc" -ne 0 ]; then say "traces, logs and harness samples kept in $RES"; else rm -rf "$RES"; fi
	fi
	[ "$rc" -eq 0 ] && say "done in $(since "$T_SUITE") s"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- can we?
[ "$(id -u)" -eq 0 ] || skip "not root"
[ -x "$MEMCOORD" ] || fail "$MEMCOORD not built"
if [ "$REUSE" = 0 ]; then
	setup_ran=1	# it may start a daemon before it fails: tear down
	out=$("$HERE/setup-host.sh" 2>&1) || skip "setup-host.sh failed: $(tail -n 1 <<<"$out")"
	for d in $(virsh -q -c "$URI" list --name); do
		case " ${VMS[*]} " in *" $d "*) ;; *) skip "other domains are running ($d)" ;; esac
	done
fi
virsh -q -c "$URI" version >/dev/null 2>&1 || skip "libvirt at $URI is not running"
NP=$(virsh -q -c "$URI" nodeinfo | awk '/^CPU\(s\)/ { print $2 }')
[ "${NP:-0}" -ge 2 ] || skip "the host has fewer than 2 pCPUs"
RES=$(mktemp -d /tmp/memcoord-e2e-cpu.XXXXXX)
if [ "$REUSE" = 0 ]; then
	"$HERE/build-guest.sh" "$E2E_GUEST" >/dev/null || fail "build-guest.sh failed"
	t_boot=$(now)
	booted=1
	for vm in "${VMS[@]}"; do
		"$HERE/vm.sh" stop "$vm" >/dev/null 2>&1 || true
		MC_E2E_MEM_MIB=256 MC_E2E_CUR_MIB=256 "$HERE/vm.sh" start-disk "$vm" >/dev/null \
			|| fail "cannot start $vm"
	done
	for vm in "${VMS[@]}"; do
		wait_console_t "$vm" '^mcinit runner' 120 || fail "$vm: workload runner did not start"
	done
	say "4 guests booted, runners waiting: $(since "$t_boot") s"
fi

# ---------------------------------------------------------------- harness
# One line per guest: "NAME TIME_NS PCPU", from one domstats call and
# one vcpuinfo each, at one moment (the line's host time first).
harness_sample() {
	local t vm
	t=$(now)
	virsh -q -c "$URI" domstats --vcpu "${VMS[@]}" 2>/dev/null | awk -v t="$t" '
		/^Domain:/ { gsub(/\x27/, "", $2); d = $2 }
		/vcpu\.0\.time=/ { split($0, a, "="); print t, d, a[2] }' >"$RES/s.tmp"
	for vm in "${VMS[@]}"; do
		printf '%s %s\n' "$vm" "$(virsh -q -c "$URI" vcpuinfo "$vm" 2>/dev/null | awk '/^CPU:/ { print $2 }')"
	done | awk 'NR == FNR { p[$1] = $2; next } { print $1, $2, $3, p[$2] }' - "$RES/s.tmp"
}

# samples file -> one "T STDDEV UTIL0 UTIL1 ..." line per interval
harness_stddev() {
	awk -v np="$NP" '
		{ t = $1; if (t != last && last != "") flush(); last = t
		  if ($2 in pt) { u[$4] += ($3 - pt[$2]) / 1e9 / (t - ptt[$2]) * 100; have = 1 }
		  pt[$2] = $3; ptt[$2] = t }
		function flush(   i, s, q, m) {
			if (have) {
				s = q = 0
				for (i = 0; i < np; i++) { s += u[i]; q += u[i] * u[i] }
				m = s / np
				printf "%.1f %.2f", last - t0, sqrt(q / np - m * m > 0 ? q / np - m * m : 0)
				for (i = 0; i < np; i++) printf " %.1f", u[i]
				printf "\n"
			}
			if (t0 == "") t0 = last
			delete u; have = 0
		}
		END { flush() }' "$1"
}

# ---------------------------------------------------------------- one test
pin_all() {	# LIST...: vcpu 0 of VMS[i] to LIST[i]
	local i=0 l
	for l in "$@"; do
		virsh -q -c "$URI" vcpupin "${VMS[$i]}" 0 "$l" --live >/dev/null || fail "vcpupin ${VMS[$i]} $l"
		i=$((i + 1))
	done
}

feed_all() {	# PCT...: a spin script each, long enough for the run
	local i=0 p
	GEN=$((GEN + 1))
	for p in "$@"; do
		# just past the run: the next test's generation starts when it ends
		"$HERE/vm.sh" feed "${VMS[$i]}" "$GEN" "spin:$p:$((RUN_S + 4))" >/dev/null
		i=$((i + 1))
	done
	for i in 0 1 2 3; do
		wait_console_t "${VMS[$i]}" "^mcwl gen=$GEN start" 20 || fail "${VMS[$i]}: generation $GEN did not start"
	done
}

start_memcoord() {	# TAG
	local conf=$RES/$1.ini vm
	{
		printf '[coordinator]\nperiod = 1\nsample = 1\n'
		printf '[cpu]\npolicy = %s\ntrace = %s\n' "$POLICY" "$RES/$1.csv"
		printf '[output]\nevents = %s\ncontrol = %s\n' "$RES/$1.jsonl" "$RES/$1.sock"
		for vm in "${VMS[@]}"; do printf '[domain "%s"]\ncpu_exclude = no\n' "$vm"; done
		printf '[domain "*"]\ncpu_exclude = yes\n'	# never another's guest
	} >"$conf"
	"$MEMCOORD" -c "$conf" -u "$URI" >"$RES/$1.log" 2>&1 &
	MC_PID=$!
}

# The last pins memcoord saw, "vm:list" per guest, vs `virsh vcpupin`.
pins_agree() {	# TAG
	local vm mine theirs bad=""
	for vm in "${VMS[@]}"; do
		mine=$("$ROOT/tests/trace-awk" -v d="$vm" 'FNR > 1 && f("domain") == d { a = f("affinity") }
			END { print a }' "$RES/$1.csv")
		theirs=$(virsh -q -c "$URI" vcpupin "$vm" 2>/dev/null | awk '$1 == "0" { print $2 }')
		[ "$mine" = "$theirs" ] || bad="$bad $vm:memcoord=$mine,virsh=$theirs"
	done
	echo "$bad"
}

# Mean vCPU utilization per guest over the run: memcoord's ([cpu] trace)
# and the harness's (virsh domstats); the largest difference, in points.
util_agree() {	# TAG
	"$ROOT/tests/trace-awk" 'FNR > 1 && f("util") != "" { s[f("domain")] += f("util"); n[f("domain")]++ }
		END { for (d in s) print d, s[d] / n[d] }' "$RES/$1.csv" >"$RES/$1.mine"
	awk '{ if ($2 in pt && $1 > ptt[$2]) { s[$2] += ($3 - pt[$2]) / 1e9 / ($1 - ptt[$2]) * 100; n[$2]++ }
		pt[$2] = $3; ptt[$2] = $1 }
		END { for (d in s) print d, s[d] / n[d] }' "$RES/$1.samples" >"$RES/$1.theirs"
	awk 'NR == FNR { m[$1] = $2; next } ($1 in m) { d = m[$1] - $2; d = d < 0 ? -d : d; if (d > w) w = d }
		END { printf "%.1f", w }' "$RES/$1.mine" "$RES/$1.theirs"
}

run_test() {	# ID MODE PIN0..PIN3 PCT0..PCT3
	local id=$1 mode=$2 tag t0 el final bal pins after pa ua line
	local -a fails=()
	shift 2
	tag="$id-$mode"
	t0=$(now)
	pin_all "$1" "$2" "$3" "$4"
	feed_all "$5" "$6" "$7" "$8"
	sleep 2		# the spinners are up; the first sample is clean
	[ "$mode" = coord ] && start_memcoord "$tag"
	: >"$RES/$tag.samples"
	local start; start=$(now)
	while awk -v s="$start" -v n="$(now)" -v r="$RUN_S" 'BEGIN { exit !(n - s < r) }'; do
		harness_sample >>"$RES/$tag.samples"
		[ -z "$MC_PID" ] || kill -0 "$MC_PID" 2>/dev/null || fails+=("memcoord died: $(tail -n 2 "$RES/$tag.log" | tr '\n' ' ')")
		sleep 0.8
	done
	harness_stddev "$RES/$tag.samples" >"$RES/$tag.sd"
	final=$(tail -n "$TAIL_S" "$RES/$tag.sd" | awk '{ s += $2 } END { printf "%.1f", s / NR }')
	# balanced from: the first sample after which every 3-sample mean stays <= THRESH
	bal=$(awk -v th="$THRESH" '{ t[NR] = $1; s[NR] = $2 } END {
		b = ""; for (i = NR; i >= 3; i--) { if ((s[i] + s[i-1] + s[i-2]) / 3 > th) break; b = t[i-2] }
		print b }' "$RES/$tag.sd")
	if [ "$mode" = coord ]; then
		stop_memcoord
		pins=$(grep -c '"event":"pin","' "$RES/$tag.jsonl" 2>/dev/null || true)
		after=$(pins_after "$tag" "${bal:-}")
		pa=$(pins_agree "$tag")
		ua=$(util_agree "$tag")
		[ -z "$pa" ] || fails+=("memcoord's pins differ from virsh vcpupin:$pa")
		awk -v u="$ua" -v x="$XCHECK" 'BEGIN { exit !(u > x) }' && fails+=("memcoord's vCPU util differs from virsh domstats' by $ua points")
		[ "$id" != test3 ] || [ "$pins" -eq 0 ] || fails+=("test3: $pins pins changed on a balanced host")
		[ "$id" != test3 ] || [ -z "$(pins_moved "$1" "$2" "$3" "$4")" ] || fails+=("test3: virsh vcpupin changed:$(pins_moved "$1" "$2" "$3" "$4")")
		[ "${after:-0}" -eq 0 ] || fails+=("$after re-pins after balance")
	fi
	awk -v f="$final" -v th="$THRESH" 'BEGIN { exit !(f > th) }' && fails+=("final stddev $final > $THRESH")
	if [ -z "$bal" ]; then
		fails+=("never balanced")
	else
		awk -v b="$bal" -v by="$BALANCE_BY" 'BEGIN { exit !(b > by) }' && fails+=("balanced only at $bal s (> $BALANCE_BY)")
	fi
	el=$(since "$t0")
	line="final stddev $final, balanced at ${bal:-never} s, pCPU load $(tail -n 1 "$RES/$tag.sd" | cut -d' ' -f3-)"
	if [ "$mode" = coord ]; then
		line="$line, $pins pins (${after:-0} re-pins after balance), util cross-check ${ua} points"
		if [ ${#fails[@]} -eq 0 ]; then
			echo "PASS cpu $id: $line; $el s"
		else
			echo "FAIL cpu $id: $line; $el s"
			printf '    - %s\n' "${fails[@]}"
			failed=1
		fi
	elif [ ${#fails[@]} -gt 0 ]; then
		echo "no-scheduler cpu $id: FAILED as expected (${fails[0]}); $line; $el s"
	else
		echo "no-scheduler cpu $id: PASSED - the assertions cannot fail: $line; $el s"
		failed=1
	fi
}

# Re-pins later than the balance time (memcoord's events, host clock): a
# pin that moves a vCPU already pinned to one pCPU.  A free vCPU's first
# pin is not one: with free vCPUs (tests 4, 5) the harness's pCPU is where
# each ran last, one instant's, and may show a balance the pins then keep.
pins_after() {	# TAG BALANCED_AT
	[ -n "$2" ] || { echo 0; return; }
	local s; s=$(head -n 1 "$RES/$1.samples" | cut -d' ' -f1)
	{ grep '"event":"pin"' "$RES/$1.jsonl" 2>/dev/null | grep '"before":"[0-9]*"' || true; } |
		sed 's/.*"ts":"\([^"]*\)".*/\1/' |
		while read -r ts; do date -d "$ts" +%s.%N; done |
		awk -v s="$s" -v b="$2" '$1 - s > b + 0.5 { n++ } END { print n + 0 }'
}

pins_moved() {	# PIN0..PIN3: guests whose pins are not what the test set
	local i=0 l got bad=""
	for l in "$@"; do
		got=$(virsh -q -c "$URI" vcpupin "${VMS[$i]}" 2>/dev/null | awk '$1 == "0" { print $2 }')
		[ "$got" = "$l" ] || bad="$bad ${VMS[$i]}:$got"
		i=$((i + 1))
	done
	echo "$bad"
}

ALL="0-$((NP - 1))"
for t in "${TESTS[@]}"; do
	case $t in
	test1) run_test test1 coord 0 0 0 0 40 40 40 40 ;;
	test2) run_test test2 coord 0 0 0 1 40 40 40 40 ;;
	test3) run_test test3 coord 0 0 1 1 40 40 40 40 ;;
	test4) run_test test4 coord "$ALL" "$ALL" "$ALL" "$ALL" 40 40 40 40 ;;
	test5) run_test test5 coord "$ALL" "$ALL" "$ALL" "$ALL" 70 70 10 10 ;;
	none1) run_test test1 none 0 0 0 0 40 40 40 40 ;;
	none2) run_test test2 none 0 0 0 1 40 40 40 40 ;;
	esac
done
[ "$failed" = 0 ]
