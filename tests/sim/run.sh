#!/bin/sh
# tests/sim/run.sh - the simulator scenarios, asserted in numbers.
#
# Each course scenario (seed 001, Tests 1-3) runs through ./memcoord
# --simulate with policies/balance_unused.lua and the outcome the course
# expects is checked in the --report JSON (jq); the other scenarios check
# the safety properties.  The same course scenarios with a do-nothing policy
# must fail those checks (guests are OOM-killed), proving the checks bite.
# Prints PASS/FAIL per check; exits 1 if any check failed.
#
#   tests/sim/run.sh                 all of it
#   POLICY=policies/x.lua tests/sim/run.sh
set -u
cd "$(dirname "$0")/../.." || exit 2

BIN=./memcoord
POLICY=${POLICY:-policies/balance_unused.lua}
NOTHING=tests/sim/policies/nothing.lua
SCN=conf/scenarios
OUT=$(mktemp -d /tmp/memcoord-simtest.XXXXXX) || exit 2
trap 'rm -rf "$OUT"' EXIT INT TERM

command -v jq >/dev/null || { echo "FAIL: jq is needed (apt-get install jq)"; exit 2; }
[ -x "$BIN" ] || { echo "FAIL: $BIN not built (make)"; exit 2; }
[ -r "$POLICY" ] || { echo "FAIL: no policy $POLICY"; exit 2; }

fails=0
negfails=0	# failed checks while expecting failure (do-nothing runs)
mode=pos

# check NAME JSON JQ-CONDITION JQ-SHOW: one assertion on a report.
check() {
	if jq -e "$3" "$2" >/dev/null 2>&1; then
		[ "$mode" = pos ] && echo "PASS: $1"
	else
		if [ "$mode" = pos ]; then
			echo "FAIL: $1   got: $(jq -c "$4" "$2" 2>&1)"
			fails=$((fails + 1))
		else
			negfails=$((negfails + 1))
		fi
	fi
}

# sim SCENARIO POLICY JSON [more flags]
sim() {
	s=$1 p=$2 j=$3
	shift 3
	if ! "$BIN" -q --simulate "$s" -p "$p" --report "$j" "$@" >"$j.out" 2>&1; then
		echo "FAIL: $BIN --simulate $s -p $p exited non-zero:"
		sed 's/^/    /' "$j.out"
		fails=$((fails + 1))
		return 1
	fi
}

vm() { echo ".vms[] | select(.name == \"$1\")"; }

safety() {	# JSON LABEL
	check "$2: no OOM kills" "$1" '.oom_kills == 0' '.oom_kills'
	check "$2: host reserve never violated" "$1" '.reserve_violations == 0' \
		'{reserve_violations, min_host_free_mib}'
}

# ---- the course's expected outcomes ----

course1() {	# JSON
	j=$1
	safety "$j" "test1"
	check "test1: vm1 grows past what it uses (>= 1682 MiB)" "$j" \
		"$(vm aos_vm1) | .peak_mib >= 1682" "$(vm aos_vm1) | .peak_mib"
	for v in aos_vm2 aos_vm3 aos_vm4; do
		check "test1: idle $v gives memory (low <= 480 MiB)" "$j" \
			"$(vm $v) | .low_mib <= 480" "$(vm $v) | .low_mib"
	done
	check "test1: vm1 gives it back after freeing (final <= peak - 1000 MiB)" "$j" \
		"$(vm aos_vm1) | .final_mib <= .peak_mib - 1000" \
		"$(vm aos_vm1) | {peak_mib, final_mib}"
	check "test1: give-back done within 10 s" "$j" \
		'.giveback_never == 0 and .givebacks >= 1 and .giveback_max_s <= 10' \
		'{givebacks, giveback_never, giveback_max_s}'
}

course2() {
	j=$1
	safety "$j" "test2"
	check "test2: all grow past what they use (>= 882 MiB)" "$j" \
		'[.vms[] | .peak_mib >= 882] | all' '[.vms[] | .peak_mib]'
	check "test2: all end the consuming stage within 10% of each other" "$j" \
		'[.vms[] | .phase_ends[2].actual_mib] | (max - min) <= 0.10 * max' \
		'[.vms[] | .phase_ends[2].actual_mib]'
	check "test2: all shrink after freeing (final <= peak - 400 MiB)" "$j" \
		'[.vms[] | .final_mib <= .peak_mib - 400] | all' \
		'[.vms[] | {name, peak_mib, final_mib}]'
}

course3() {
	j=$1
	safety "$j" "test3"
	for v in aos_vm1 aos_vm2; do
		check "test3: $v (A/B) gives memory back (final <= peak - 300 MiB)" "$j" \
			"$(vm $v) | .final_mib <= .peak_mib - 300" \
			"$(vm $v) | {peak_mib, final_mib}"
	done
	for v in aos_vm3 aos_vm4; do
		check "test3: $v (C/D) grows on (+800 MiB after A/B free, >= 1782)" "$j" \
			"$(vm $v) | .final_mib >= 1782 and .final_mib >= .phase_ends[2].actual_mib + 800" \
			"$(vm $v) | {hold_end: .phase_ends[2].actual_mib, final_mib}"
	done
	# The host alone cannot feed C and D: guests may hold 4864 MiB.
	check "test3: C+D hold more than the host could give without A+B" "$j" \
		"([.vms[] | .final_mib] | add) <= 4864 and
		 ([($(vm aos_vm3)), ($(vm aos_vm4)) | .final_mib] | add) + 2 * 842 > 4864" \
		'[.vms[] | {name, final_mib}]'
}

echo "== course scenarios with $POLICY"
for t in 1 2 3; do
	sim "$SCN/course_test$t.ini" "$POLICY" "$OUT/t$t.json" && course$t "$OUT/t$t.json"
done

echo "== course scenarios with the do-nothing policy (must fail)"
for t in 1 2 3; do
	sim "$SCN/course_test$t.ini" "$NOTHING" "$OUT/n$t.json" || continue
	negfails=0
	mode=neg
	course$t "$OUT/n$t.json"
	mode=pos
	check "test$t without a coordinator: guests are OOM-killed" "$OUT/n$t.json" \
		'.oom_kills >= 1' '.oom_kills'
	if [ "$negfails" -gt 0 ]; then
		echo "PASS: test$t checks fail without a coordinator ($negfails failed)"
	else
		echo "FAIL: test$t checks pass even with the do-nothing policy"
		fails=$((fails + 1))
	fi
done

echo "== other scenarios with $POLICY"
j=$OUT/overcommit.json
if sim "$SCN/overcommit.ini" "$POLICY" "$j"; then
	safety "$j" "overcommit"
	check "overcommit: host free never below the reserve" "$j" \
		'.min_host_free_mib >= 1024 - 0.001' '.min_host_free_mib'
	check "overcommit: the shortage is shared (sizes within 10%)" "$j" \
		'[.vms[] | .final_mib] | (max - min) <= 0.10 * max' '[.vms[] | .final_mib]'
fi

j=$OUT/burst.json
if sim "$SCN/burst.ini" "$POLICY" "$j"; then
	safety "$j" "burst"
	check "burst: both bursts given back" "$j" \
		'.givebacks >= 2 and .giveback_never == 0' '{givebacks, giveback_never}'
fi

j=$OUT/no_balloon.json
if sim "$SCN/no_balloon.ini" "$POLICY" "$j" --trace "$OUT/no_balloon.csv"; then
	safety "$j" "no_balloon"
	check "no_balloon: a guest without stats is never resized" "$j" \
		"$(vm legacy) | .resizes == 0 and .final_mib == 512" \
		"$(vm legacy) | {resizes, final_mib}"
	sizes=$(tests/trace-awk 'FNR > 1 && f("domain") == "frozen" && f("time") + 0 >= 26 { print f("actual_kib") }' \
		"$OUT/no_balloon.csv" | sort -u | wc -l)
	if [ "$sizes" -eq 1 ]; then
		echo "PASS: no_balloon: a guest whose stats froze is left alone"
	else
		echo "FAIL: no_balloon: frozen guest changed size after its stats went stale ($sizes sizes)"
		fails=$((fails + 1))
	fi
	check "no_balloon: the busy guest is still served" "$j" \
		"$(vm busy) | .peak_mib >= 1100" "$(vm busy) | .peak_mib"
fi

j=$OUT/churn.json
if sim "$SCN/churn.ini" "$POLICY" "$j"; then
	safety "$j" "churn"
	check "churn: no failed resizes" "$j" '.resize_failures == 0' '.resize_failures'
	check "churn: stopped domains are gone, the rest run" "$j" \
		'([.vms[] | select(.alive)] | map(.name) | sort) == ["base", "late"]' \
		'[.vms[] | {name, alive}]'
	check "churn: the late guest got memory" "$j" \
		"$(vm late) | .peak_mib >= 982" "$(vm late) | .peak_mib"
fi

echo "== virtio-mem: Test 1 with vm1 on a virtio-mem device (issue 14)"
j=$OUT/virtio_mem.json
if sim "$SCN/virtio_mem.ini" "$POLICY" "$j" --trace "$OUT/virtio_mem.csv"; then
	safety "$j" "virtio_mem"
	check "virtio_mem: vm1 grows with its workload (>= 1536 MiB)" "$j" \
		"$(vm aos_vm1) | .peak_mib >= 1536" "$(vm aos_vm1) | .peak_mib"
	check "virtio_mem: vm1 gives it back after freeing (final <= 640 MiB)" "$j" \
		"$(vm aos_vm1) | .final_mib <= 640" "$(vm aos_vm1) | .final_mib"
	off=$(tests/trace-awk 'FNR > 1 && f("domain") == "aos_vm1" && (f("actual_kib") / 1024 - 256) % 128 { n++ }
		END { print n + 0 }' \
		"$OUT/virtio_mem.csv")
	if [ "$off" = 0 ]; then
		echo "PASS: virtio_mem: every vm1 size is 256 MiB + whole 128 MiB blocks"
	else
		echo "FAIL: virtio_mem: $off vm1 samples off the block grid"
		fails=$((fails + 1))
	fi
fi
if sim "$SCN/virtio_mem.ini" "$NOTHING" "$OUT/virtio_mem0.json" &&
   jq -e '.oom_kills > 0' "$OUT/virtio_mem0.json" >/dev/null; then
	echo "PASS: virtio_mem without a coordinator OOM-kills vm1 (the checks bite)"
else
	echo "FAIL: virtio_mem without a coordinator did not OOM-kill"
	fails=$((fails + 1))
fi

echo "== replay: course Test 1's trace as a workload"
if sim "$SCN/course_test1.ini" "$POLICY" "$OUT/rec.json" --trace "$OUT/rec.csv"; then
	cat >"$OUT/replay.ini" <<-INI
	[host]
	total_mib = 6144
	overhead_mib = 256
	duration = 150
	[vm "again"]
	replay = rec.csv
	replay_domain = aos_vm1
	INI
	if sim "$OUT/replay.ini" "$POLICY" "$OUT/replay.json" &&
	   sim "$OUT/replay.ini" "$NOTHING" "$OUT/replay0.json"; then
		check "replay: the replayed guest grows like the original" "$OUT/replay.json" \
			"($(vm again) | .peak_mib) >= 0.9 * ($(jq "$(vm aos_vm1) | .peak_mib" "$OUT/rec.json"))" \
			"$(vm again) | .peak_mib"
		check "replay: no OOM with the policy" "$OUT/replay.json" '.oom_kills == 0' '.oom_kills'
		check "replay: OOM without a coordinator" "$OUT/replay0.json" '.oom_kills >= 1' '.oom_kills'
	fi
fi

echo "== bad scenarios are refused"
printf '[host]\ntotal_mib = lots\n' >"$OUT/bad.ini"
"$BIN" -q --simulate "$OUT/bad.ini" -p "$NOTHING" >"$OUT/bad.out" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q 'bad.ini:2' "$OUT/bad.out"; then
	echo "PASS: bad scenario: exit 2 with file:line"
else
	echo "FAIL: bad scenario: exit $rc, said: $(cat "$OUT/bad.out")"
	fails=$((fails + 1))
fi

# ---- the default against every other shipped policy (issue 5) ----
# On every course scenario the default is at least as good as each policy
# on OOM kills, MiB swapped and reaction time (the slowest answer to
# pressure; a policy never under pressure scores 0), and across all
# scenarios it is better than each on at least one of the three.
if [ "$POLICY" = policies/balance_unused.lua ]; then
	echo "== balance_unused against every shipped policy"
	# score POLICY SCENARIO -> "oom swap reaction"
	score() {
		j="$OUT/cmp.$(basename "$1" .lua).$(basename "$2" .ini).json"
		[ -s "$j" ] || "$BIN" -q --simulate "$2" -p "$1" --report "$j" >/dev/null 2>&1
		jq -r '"\(.oom_kills) \(.swapped_mib) \(if .reactions > 0 then .reaction_max_s else 0 end)"' "$j"
	}
	for other in policies/*.lua; do
		[ "$other" = "$POLICY" ] && continue
		case $(basename "$other") in cpu_*) continue ;; esac	# place(), below
		name=$(basename "$other" .lua)
		worse="" better=""
		for scn in "$SCN"/*.ini; do
			set -- $(score "$POLICY" "$scn") $(score "$other" "$scn")
			case $(basename "$scn") in
			course_*)
				awk -v a="$1" -v b="$4" 'BEGIN { exit !(a > b) }' && worse="$worse $(basename "$scn" .ini):oom"
				awk -v a="$2" -v b="$5" 'BEGIN { exit !(a > b) }' && worse="$worse $(basename "$scn" .ini):swap"
				awk -v a="$3" -v b="$6" 'BEGIN { exit !(a > b) }' && worse="$worse $(basename "$scn" .ini):reaction"
				;;
			esac
			awk -v a="$1" -v b="$4" 'BEGIN { exit !(a < b) }' && better="$better $(basename "$scn" .ini):oom"
			awk -v a="$2" -v b="$5" 'BEGIN { exit !(a < b) }' && better="$better $(basename "$scn" .ini):swap"
			awk -v a="$3" -v b="$6" 'BEGIN { exit !(a < b) }' && better="$better $(basename "$scn" .ini):reaction"
		done
		if [ -z "$worse" ] && [ -n "$better" ]; then
			echo "PASS: default vs $name: never worse on the course scenarios; better on$better"
		else
			echo "FAIL: default vs $name: worse on${worse:- nothing}; better on${better:- nothing}"
			fails=$((fails + 1))
		fi
	done
fi

# ---- issue 15 (core): the clamps hold whatever the policy does ----
echo "== grows in flight count against the host reserve"
for p in policies/*.lua tests/sim/policies/grow_all.lua; do
	case $(basename "$p") in cpu_*) continue ;; esac	# CPU policies
	j="$OUT/inflight.$(basename "$p" .lua).json"
	sim tests/sim/inflight.ini "$p" "$j" &&
		check "inflight with $(basename "$p"): host reserve never violated" "$j" \
			'.reserve_violations == 0 and .min_host_free_mib >= 1024 - 0.001' \
			'{reserve_violations, reserve_violation_s, min_host_free_mib}'
done

echo "== max_mib holds with a policy that proposes nothing"
j=$OUT/over_max.json
if sim tests/sim/over_max.ini "$NOTHING" "$j" -c tests/sim/over_max.conf; then
	check "over_max: an idle guest above its max_mib is brought down to it" "$j" \
		"$(vm idle) | .final_mib == 1024" "$(vm idle) | .final_mib"
	check "over_max: a busy one only down to what it uses + guest reserve" "$j" \
		"$(vm busy) | .final_mib < 2048 and .final_mib >= 1182 + 64 and .oom_kills == 0" \
		"$(vm busy) | {final_mib, oom_kills}"
fi

echo "== --plot with hostile names runs nothing"
# evil TAG: a name that runs "touch pwned-TAG" if pasted into a gnuplot
# script or a shell (the commands run in this directory, the test's cwd).
evil() { printf '%s' "x'; system(\"touch pwned-$1\"); '\$(touch pwned-$1-sh)\`touch pwned-$1-bt\`"; }
edir="$OUT/$(evil dir)"
mkdir -p "$edir"
escn="$edir/$(evil scn).ini" epol="$edir/$(evil pol).lua" png="$edir/$(evil png).png"
# (inih keeps section names to 50 characters: the VM names are short)
printf '[host]\ntotal_mib = 4096\nduration = 5\n[vm "%s"]\nphase = idle\n[vm "%s"]\nphase = idle\n' \
	"x'; system(\"touch pwned-vm\"); '" 'y"z#w$(touch pwned-vm-sh)' >"$escn"
cp "$NOTHING" "$epol"
rm -f pwned-*
sim "$escn" "$epol" "$OUT/evil.json" --plot "$png"
if ls pwned-* >/dev/null 2>&1; then
	echo "FAIL: --plot ran a command from a name: $(ls pwned-* | tr '\n' ' ')"
	fails=$((fails + 1))
	rm -f pwned-*
else
	echo "PASS: --plot: no command from a VM name, scenario, policy or plot path"
fi
if [ "$(head -c 8 "$png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
	echo "PASS: --plot: the plot is drawn all the same"
else
	echo "FAIL: --plot: no PNG at the hostile path"
	fails=$((fails + 1))
fi
ln -s "$OUT/victim" "$OUT/link.png"
"$BIN" -q --simulate "$SCN/burst.ini" -p "$NOTHING" --duration 5 --plot "$OUT/link.png" \
	>"$OUT/link.out" 2>&1
if [ ! -e "$OUT/victim" ] && grep -q 'link.png' "$OUT/link.out"; then
	echo "PASS: --plot never writes through a symlink"
else
	echo "FAIL: --plot wrote through a symlink (or said nothing)"
	fails=$((fails + 1))
fi
printf 'precious\n' > "$OUT/hardvictim"
ln "$OUT/hardvictim" "$OUT/hard.png"
"$BIN" -q --simulate "$SCN/burst.ini" -p "$NOTHING" --duration 5 --plot "$OUT/hard.png" \
	>"$OUT/hard.out" 2>&1
if [ "$(cat "$OUT/hardvictim")" = precious ]; then
	echo "PASS: --plot never writes through a hard link"
else
	echo "FAIL: --plot wrote through a hard link into another file"
	fails=$((fails + 1))
fi

echo "== a stop signal ends a simulation cleanly"
"$BIN" -q --simulate "$SCN/course_test1.ini" -p "$POLICY" --realtime --duration 60 \
	--report "$OUT/sig.json" --trace "$OUT/sig.csv" --plot "$OUT/sig.png" \
	>"$OUT/sig.out" 2>&1 &
spid=$!
tmpd=
for _ in $(seq 50); do	# its private plot directory, once it is there
	tmpd=$(ls -l /proc/$spid/fd 2>/dev/null | sed -n 's|.* -> \(/tmp/memcoord-sim\.[^/]*\)/.*|\1|p' | head -1)
	[ -n "$tmpd" ] && break
	sleep 0.1
done
sleep 1
kill -TERM "$spid"
wait "$spid"
rc=$?
if [ "$rc" -eq 0 ] && [ -n "$tmpd" ] && [ ! -e "$tmpd" ] && [ -s "$OUT/sig.csv" ] &&
   [ -s "$OUT/sig.png" ] && grep -q 'signal 15: stopped at' "$OUT/sig.out" &&
   jq -e '.duration_s > 0 and .duration_s < 60' "$OUT/sig.json" >/dev/null 2>&1; then
	echo "PASS: SIGTERM: exit 0, report, trace and plot so far, temp dir removed"
else
	echo "FAIL: SIGTERM: exit $rc, tmpdir '$tmpd' $([ -e "$tmpd" ] && echo left), said: $(cat "$OUT/sig.out")"
	fails=$((fails + 1))
fi

if command -v valgrind >/dev/null; then
	echo "== valgrind"
	# 10000 ticks of domain churn: leaks would pile up per tick.
	if valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		"$BIN" -q --simulate "$SCN/churn.ini" -p "$POLICY" --duration 10000 \
		--report "$OUT/vg.json" >"$OUT/vg.out" 2>&1 &&
		[ "$(jq .ticks "$OUT/vg.json")" -ge 10000 ]; then
		echo "PASS: valgrind: 10000 ticks of churn, no leak, no error"
	else
		echo "FAIL: valgrind: churn scenario"; sed 's/^/    /' "$OUT/vg.out" | head -30
		fails=$((fails + 1))
	fi
fi

echo "== hostile VM names on the console"
# A C1 CSI (0x9b), a bidi override (U+202E) and an invalid byte in a VM's
# name: the per-tick table and the scorecard show them escaped, never raw.
printf '[host]\ntotal_mib = 4096\nduration = 3\n\n[vm "x\302\2332J\342\200\256y\377"]\nphase = idle\n' \
	>"$OUT/evil.ini"
"$BIN" --simulate "$OUT/evil.ini" -p "$POLICY" >"$OUT/evil.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -qF 'x\xc2\x9b2J\xe2\x80' "$OUT/evil.out" &&
   ! LC_ALL=C grep -qaP '[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]|[\xc0\xc1\xf5-\xff]' \
	"$OUT/evil.out"; then
	echo "PASS: hostile VM names: escaped in the table and the scorecard"
else
	echo "FAIL: hostile VM names: exit $rc or raw control bytes on the console"
	fails=$((fails + 1))
fi

echo "== vCPU placement: the course's five tests (seed 001)"
CPU_POLICY=${CPU_POLICY:-policies/cpu_balance.lua}
# cpu_check N JSON: the course's outcome for Test N, from the "cpu" rows.
cpu_check() {
	check "cpu test$1: balanced at the end (stddev <= 5)" "$2" \
		'.cpu.balanced and .cpu.final_stddev <= 5' '.cpu'
	check "cpu test$1: balanced within 20 s" "$2" \
		'.cpu.time_to_balance_s != null and .cpu.time_to_balance_s <= 20' '.cpu'
	check "cpu test$1: no re-pin after balance, no flap" "$2" \
		'.cpu.pins_after_balance == 0 and .cpu.flaps == 0' '.cpu'
}
for t in 1 2 3 4 5; do
	if sim "$SCN/cpu_test$t.ini" "$NOTHING" "$OUT/cpu$t.json" --cpu-policy "$CPU_POLICY"; then
		cpu_check "$t" "$OUT/cpu$t.json"
	fi
done
check "cpu test3: already balanced: no pin changes at all" "$OUT/cpu3.json" \
	'.cpu.pins == 0' '.cpu'
# A policy that moves every vCPU every period: the deadband must hold it on
# the balanced host, and without the deadband the same run must re-pin.
sim "$SCN/cpu_test3.ini" "$NOTHING" "$OUT/rot.json" --cpu-policy tests/sim/policies/cpu_rotate.lua &&
	check "cpu test3: a restless policy is held by the deadband (0 pins)" "$OUT/rot.json" \
		'.cpu.pins == 0' '.cpu'
printf '[cpu]\ndeadband = 0\n' >"$OUT/nodeadband.ini"
sim "$SCN/cpu_test3.ini" "$NOTHING" "$OUT/rot0.json" -c "$OUT/nodeadband.ini" \
	--cpu-policy tests/sim/policies/cpu_rotate.lua &&
	check "cpu test3: the same with deadband = 0 re-pins (the check bites)" "$OUT/rot0.json" \
		'.cpu.pins > 0' '.cpu'
# Leave it to the kernel: Tests 1 and 2 start pinned and stay unbalanced.
for t in 1 2; do
	sim "$SCN/cpu_test$t.ini" "$NOTHING" "$OUT/k$t.json" --cpu-policy policies/cpu_kernel.lua &&
		check "cpu test$t: cpu_kernel.lua fails it (never balanced)" "$OUT/k$t.json" \
			'.cpu.balanced == false and .cpu.time_to_balance_s == null and .cpu.final_stddev > 5' '.cpu'
done
# The CPU side's outputs: trace rows, metrics, pin events, hostile names.
printf '[cpu]\ntrace = %s\n[output]\nmetrics = %s\nevents = %s\n' \
	"$OUT/cpu.csv" "$OUT/cpu.prom" "$OUT/cpu.jsonl" >"$OUT/cpuout.ini"
if sim "$SCN/cpu_test1.ini" "$NOTHING" "$OUT/cpuout.json" -c "$OUT/cpuout.ini" --duration 6 \
	--cpu-policy "$CPU_POLICY"; then
	rows=$(($(wc -l <"$OUT/cpu.csv") - 1))
	pins=$(jq -s '[.[] | select(.event == "pin" and .outcome == "pinned")] | length' "$OUT/cpu.jsonl")
	if [ "$rows" -eq $((8 * 7)) ] && [ "$pins" -gt 0 ] &&
	   [ "$pins" -eq "$(jq .cpu.pins "$OUT/cpuout.json")" ] &&
	   grep -qx "memcoord_cpu_pins_total $pins" "$OUT/cpu.prom" &&
	   grep -q '^memcoord_cpu_clamps_total{rule="deadband"}' "$OUT/cpu.prom" &&
	   grep -q '^memcoord_cpu_pcpu_util_percent{pcpu="3"}' "$OUT/cpu.prom"; then
		echo "PASS: cpu outputs: a trace row per vCPU per sample, one event per re-pin, metrics agree"
	else
		echo "FAIL: cpu outputs: $rows trace rows, $pins pin events, metrics:"
		grep memcoord_cpu_pins "$OUT/cpu.prom" | sed 's/^/    /'
		fails=$((fails + 1))
	fi
fi
printf '[host]\nduration = 4\n[cpu]\npcpus = 2\n[vm "x,\\"y\302\233z"]\nphase = idle\n[vcpu "x,\\"y\302\233z"]\nduty = 0.5\n' \
	>"$OUT/cpuevil.ini"
printf '[cpu]\ntrace = %s\n' "$OUT/evil.csv" >"$OUT/cpuevil.conf"
if sim "$OUT/cpuevil.ini" "$NOTHING" "$OUT/cpuevil.json" -c "$OUT/cpuevil.conf" \
	--cpu-policy "$CPU_POLICY"; then
	# One row per sample (the name's comma and quote inside one quoted
	# field, its C1 control escaped), 4 s + the first sample.
	if [ "$(wc -l <"$OUT/evil.csv")" -eq 6 ] &&
	   [ "$(grep -cF ',"x,\""y\xc2\x9bz",0,' "$OUT/evil.csv")" -eq 5 ] &&
	   ! LC_ALL=C grep -qaP '\xc2[\x80-\x9f]' "$OUT/evil.csv"; then
		echo "PASS: cpu trace: a hostile name is one quoted, escaped field"
	else
		echo "FAIL: cpu trace: a hostile name broke the rows:"; sed 's/^/    /' "$OUT/evil.csv" | head -3
		fails=$((fails + 1))
	fi
fi
if command -v valgrind >/dev/null; then
	if valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		"$BIN" -q --simulate "$SCN/cpu_test1.ini" -p "$NOTHING" --cpu-policy "$CPU_POLICY" \
		--duration 600 >"$OUT/cpuvg.out" 2>&1; then
		echo "PASS: valgrind: 600 s of cpu_test1 with $CPU_POLICY, no leak, no error"
	else
		echo "FAIL: valgrind: cpu_test1"; sed 's/^/    /' "$OUT/cpuvg.out" | head -30
		fails=$((fails + 1))
	fi
fi

echo "== sim: $fails failed"
[ "$fails" -eq 0 ]
