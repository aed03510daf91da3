#!/usr/bin/env bash
# tests/cli/vmhost.sh - issue 13 items 4 and 6 as a user sees them, on
# libvirt's test driver: the settings in a VM's metadata and the balloon's
# deflate-on-oom read from a test-driver host file (tests/cli/vmhost.xml),
# and on_exit = restore on SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/cli/lib.sh vmh
pol=policies/balance_unused.lua

# --- item 6 and the autodeflate warning: what is read at first sight ---
set +e
out=$(timeout 10 $MC -u "test://$PWD/tests/cli/vmhost.xml" --once -n -p $pol 2>&1 >/dev/null)
set -e
check "metadata: a VM's settings are read and said" \
	grep -qx 'memcoord: info: meta: settings from its metadata: min_mib=600 max_mib=1500 weight=5' <<<"$out"
check "metadata: a hostile value is refused, naming the domain, on one escaped line" \
	grep -qxF "memcoord: warning: bad: memcoord metadata refused, its [domain] settings and the defaults apply: weight: '1\\nmemcoord: error: forged' is not a weight (0..1000000)" <<<"$out"
check "metadata: ... and the forged line is not a line of its own" \
	bash -c '! grep -q "^memcoord: error: forged" <<<"$1"' _ "$out"
check "metadata: min above max is refused" \
	grep -q '^memcoord: warning: inverted: memcoord metadata refused, .*: min_mib 900 is above max_mib 800$' <<<"$out"
check "autodeflate: the guest without it is warned about" \
	grep -q "^memcoord: warning: plain: balloon without deflate-on-oom (<memballoon autodeflate='on'>)" <<<"$out"
check "autodeflate: guests with it are not" \
	bash -c '! grep -q "\(meta\|bad\): balloon without" <<<"$1"' _ "$out"

# --- item 4: on_exit = restore on SIGTERM, through the clamps ---
# The policy shrinks "test" (2048 MiB) to 1536; SIGTERM grows it back as
# far as the test driver's host can give: its free memory is 3 MiB, so the
# budget holds the restore to +3 MiB (host_reserve_mib = 0).
printf 'function decide(d, h, ctx) return { test = 1536 * 1024 } end\n' > "$tmp/shrink.lua"
run_and_stop() {	# run_and_stop NAME EXTRA-INI [FLAGS]: a daemon, stopped by SIGTERM
	local name=$1 extra=$2; shift 2
	printf '[coordinator]\nperiod = 0.2\nsample = 0.1\n%s\n[limits]\nhost_reserve_mib = 0\ndeadband_mib = 0\nmax_shrink_mib = 0\n[output]\ncontrol = %s\nevents = %s\n' \
		"$extra" "$tmp/$name.sock" "$tmp/$name.jsonl" > "$tmp/$name.ini"
	$MC -c "$tmp/$name.ini" -u test:///default -p "$tmp/shrink.lua" "$@" \
		>/dev/null 2>"$tmp/$name.log" &
	pid=$!
	for _ in $(seq 100); do grep -qs '"reason":"period"' "$tmp/$name.jsonl" && break; sleep 0.05; done
	kill -TERM "$pid"; set +e; wait "$pid"; rc=$?; set -e; pid=
}
restore_event() { jq -c 'select(.event == "resize" and .reason == "restore")' "$1"; }

run_and_stop restore ''
ev=$(restore_event "$tmp/restore.jsonl")
check "restore: SIGTERM exits 0" test "$rc" = 0
grown_back() {	# the one restore event: 1536 -> 1539 MiB, asked 2048, held by the budget
	jq -e 'select(.domain == "test" and .before_kib == 1572864 and .after_kib == 1575936 and
		      .proposed_kib == 2097152 and .clamps == ["budget"] and .outcome == "resized")' \
		<<<"$ev" >/dev/null && [ -n "$ev" ] && [ "$(wc -l <<<"$ev")" = 1 ]
}
check "restore: the shrunk guest is grown back, held by the host budget (event)" grown_back
check "restore: ... and logged" \
	grep -q '^memcoord: info: test: restored 1536 -> 1539 MiB (2048 MiB when first seen; held by budget)$' "$tmp/restore.log"
run_and_stop keep 'on_exit = keep'
check "keep: nothing is restored" bash -c "[ $rc = 0 ] && [ -z \"\$(jq -c 'select(.reason == \"restore\")' '$tmp/keep.jsonl')\" ] &&
	! grep -q restored '$tmp/keep.log'"
run_and_stop dry '' -n
check "dry run: nothing is restored" bash -c "[ $rc = 0 ] && ! grep -q '\"reason\":\"restore\"' '$tmp/dry.jsonl' &&
	! grep -q restored '$tmp/dry.log'"
printf '[coordinator]\non_exit = later\n' > "$tmp/bad.ini"
set +e; out=$($MC -c "$tmp/bad.ini" -p $pol 2>&1); rc=$?; set -e
check "on_exit = later exits 2" test "$rc" = 2
check "on_exit = later is refused with file:line" \
	grep -q "bad.ini:2: \[coordinator\] on_exit: 'later' is not keep or restore" <<<"$out"

echo "vmhost: $fails failure(s)"
[ "$fails" = 0 ]
