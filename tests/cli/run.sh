#!/usr/bin/env bash
# tests/cli/run.sh - memcoord as a user runs it, against libvirt's test
# driver: exit statuses, the table, and hot swap of broken policies while
# the daemon keeps running.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/cli/lib.sh cli

# --- exit statuses and messages ---
check "--help exits 0" $MC --help >/dev/null
check "--version" bash -c "$MC --version | grep -q '^memcoord [0-9]'"
printf '[limits]\nmax_grow_mib = 10\nmax_shrink_mib = lots\n' > "$tmp/bad.ini"
set +e; out=$($MC -c "$tmp/bad.ini" -p policies/balance_unused.lua 2>&1); rc=$?; set -e
check "bad config exits 2" test "$rc" = 2
check "bad config names file:line and key" grep -q "$tmp/bad.ini:3: \[limits\] max_shrink_mib" <<<"$out"
set +e; $MC -p /no/such.lua -u test:///default --once >/dev/null 2>&1; rc=$?; set -e
check "missing policy exits 2" test "$rc" = 2
printf 'function decide(\n' > "$tmp/syntax.lua"
set +e; out=$($MC -p "$tmp/syntax.lua" -u test:///default --once 2>&1); rc=$?; set -e
check "broken policy at start-up exits 2 with file:line" \
	bash -c "[ $rc = 2 ] && grep -q 'syntax.lua:[0-9]*:' <<<'$out'"

# --- one dry-run period prints the table ---
out=$($MC -u test:///default --once -n -p policies/balance_unused.lua 2>/dev/null)
check "--once -n prints the table" bash -c "grep -q '^domain .*actual .*unused .*target' <<<'$out' &&
	grep -q '^test ' <<<'$out' && grep -q '^host: total' <<<'$out'"

# --- hot swap: the daemon outlives every broken policy ---
cat > "$tmp/policy.lua" <<'LUA'
function decide(d, h, ctx) ctx.log("v1 alive") return {} end
LUA
printf '[coordinator]\nperiod = 0.2\nsample = 0.1\n' > "$tmp/fast.ini"
# -v: print and ctx.log lines are debug-level.
$MC -c "$tmp/fast.ini" -u test:///default -n -v -p "$tmp/policy.lua" 2>"$tmp/log" >/dev/null &
pid=$!
wait_log() {	# wait_log PATTERN: up to 5 s for PATTERN in the log
	for _ in $(seq 50); do grep -q -- "$1" "$tmp/log" && return 0; sleep 0.1; done
	return 1
}
swap() {	# swap SOURCE: replace the policy the way editors do (rename)
	printf '%s\n' "$1" > "$tmp/.policy.new"; mv "$tmp/.policy.new" "$tmp/policy.lua"
}
check "daemon starts" wait_log "v1 alive"
swap 'function decide(d, h, ctx) return { oops'
check "syntax error refused with file:line" wait_log "refused (file changed).*policy.lua:[0-9]*:"
swap 'function decide(d, h, ctx) error("raised in decide") end'
check "raising policy refused" wait_log "refused.*raised in decide"
swap 'function decide(d, h, ctx) while true do end end'
# The budget or, on a slow machine, the deadline (0.2 s: one period).
check "looping policy refused" wait_log "refused.*\(instruction budget\|did not answer\)"
check "old policy still running" bash -c "sleep 0.5; tail -n 3 '$tmp/log' | grep -q 'v1 alive'"
swap 'n = 0
function decide(d, h, ctx) n = n + 1 if n > 2 then error("later failure") end ctx.log("v2 alive") return {} end'
check "good policy swapped in" wait_log "v2 alive"
check "runtime failure contained" wait_log "failed: .*later failure"
sleep 1
check "a failure is logged once, not every period" \
	test "$(grep -c 'later failure' "$tmp/log")" = 1
printf '[coordinator]\nperiod = nope\n' > "$tmp/fast.ini"
kill -HUP "$pid"
check "SIGHUP with a broken config keeps the running one" wait_log "config refused.*fast.ini:2"
check "daemon alive after all of it" kill -0 "$pid"
kill -TERM "$pid"; set +e; wait "$pid"; rc=$?; set -e; pid=
check "SIGTERM exits 0" test "$rc" = 0

# --- hostile inputs (issue 15 items 9-11, 14): long lines, NUL bytes, files
# that never end, long names, conflicting flags, raw bytes in errors ---
pol=policies/balance_unused.lua
refused2() {	# refused2 PATTERN ARGS...: exit 2 within 5 s, PATTERN in stderr
	local pat=$1 rc; shift
	set +e; out=$(timeout 5 $MC "$@" 2>&1 >/dev/null); rc=$?; set -e
	[ "$rc" = 2 ] && grep -q -- "$pat" <<<"$out"
}
long_comment() {	# long_comment N FILE: ";", N-1 bytes, "host_reserve_mib = 0"
	{ printf '[limits]\n;'; head -c $(($1 - 1)) /dev/zero | tr '\0' c
	  printf 'host_reserve_mib = 0\n'; } > "$2"
}
long_comment 199 "$tmp/comment.ini"
check "a long comment's tail is not a key (reserve stays 1024)" bash -c \
	"$MC -c '$tmp/comment.ini' -u test:///default --once -n -p $pol 2>/dev/null |
	 grep -q 'reserve 1024.0'"
long_comment 5000 "$tmp/toolong.ini"
check "a line over 4096 bytes refused with file:line" \
	refused2 "toolong.ini:2: line longer than 4096 bytes" -c "$tmp/toolong.ini" -p $pol
head -c 4096 /dev/zero > "$tmp/zero.ini"
check "a zero-filled config refused" refused2 "zero.ini:1: NUL byte" -c "$tmp/zero.ini" -p $pol
printf '[limits]\ndeadband_mib = 4\0\nhost_reserve_mib = 0\n' > "$tmp/nul.ini"
check "a NUL inside a config refused" refused2 "nul.ini:2: NUL byte" -c "$tmp/nul.ini" -p $pol
mkfifo "$tmp/fifo"
check "-c /dev/zero refused quickly" refused2 "not a regular file" -c /dev/zero -p $pol
check "-c FIFO refused quickly" refused2 "not a regular file" -c "$tmp/fifo" -p $pol
check "--simulate /dev/zero refused quickly" refused2 "not a regular file" --simulate /dev/zero -p $pol
check "--simulate FIFO refused quickly" refused2 "not a regular file" --simulate "$tmp/fifo" -p $pol
check "--report without --simulate exits 2" refused2 "--report needs --simulate" \
	--report "$tmp/r.json" -u test:///default -p $pol
check "--duration 1e9 refused" refused2 "--duration: '1e9'" \
	--simulate conf/scenarios/burst.ini --duration 1e9 -p $pol
escaped() {	# escaped TEXT WANT: WANT in TEXT, and no raw control or 8-bit byte
	grep -qF -- "$2" <<<"$1" && ! LC_ALL=C grep -qP '[\x00-\x08\x0b-\x1f\x7f-\xff]' <<<"$1"
}
printf '[limits]\n\xc2\x9b2J\xff\xfe = 1\n[\xe2\x80\xae\xc0]\n' > "$tmp/garbage.ini"
set +e; out=$($MC -c "$tmp/garbage.ini" -p $pol 2>&1); set -e
check "binary garbage in a config: the error quotes it escaped" \
	escaped "$out" 'garbage.ini:2: [limits] \xc2\x9b2J\xff\xfe: unknown key'
set +e; out=$($MC -i $'\e]0;x\a' -p $pol 2>&1); set -e
check "a flag's raw bytes are escaped" escaped "$out" "-i: '\\x1b]0;x\\x07'"
a=$(head -c 300 /dev/zero | tr '\0' v); b="${a:0:299}w"
printf '[host]\ntotal_mib = 4096\nduration = 20\n[vm "%s"]\nphase = grow 20 600\n[vm "%s"]\nphase = grow 20 600\n' \
	"$a" "$b" > "$tmp/long.ini"
$MC -q --simulate "$tmp/long.ini" -p $pol --trace "$tmp/long.csv" >/dev/null 2>&1 || true
check "two VMs with 300-byte names sharing 255 bytes: each its own decisions" bash -c \
	"[ \$(tests/trace-awk 'FNR > 1 && f(\"target_kib\") != \"\" { print f(\"domain\") }' '$tmp/long.csv' | sort -u | wc -l) = 2 ] &&
	 grep -q ',$a,' '$tmp/long.csv' && grep -q ',$b,' '$tmp/long.csv'"
printf '[vm "a"]\nstart_mib = 512\n[vm "a"]\nstart_mib = 600\n' > "$tmp/dup.ini"
check "a VM name used twice refused" refused2 "dup.ini:3: VM name \"a\" is taken" \
	--simulate "$tmp/dup.ini" -p $pol
printf '[vm "a"]\n[vm "b"]\nstart_mib = 600\n' > "$tmp/keyless.ini"
check "a [vm] section without keys refused" refused2 "keyless.ini:1: \[vm \"a\"\]: no keys" \
	--simulate "$tmp/keyless.ini" -p $pol

# --- the man pages and make install/uninstall have their own scripts ---
check "hostile policies (tests/cli/hostile.sh)" tests/cli/hostile.sh
check "control socket, status, reload, -t (tests/cli/control.sh)" tests/cli/control.sh
check "trace and event log as tools read them (tests/cli/trace.sh)" tests/cli/trace.sh
check "KSM on the real /sys/kernel/mm/ksm (tests/cli/ksm.sh)" tests/cli/ksm.sh
check "man pages (tests/cli/man.sh)" tests/cli/man.sh
check "install (tests/cli/install.sh)" tests/cli/install.sh
check "VM metadata, autodeflate, on_exit (tests/cli/vmhost.sh)" tests/cli/vmhost.sh

# --- outputs (issue 15): no link followed, no FIFO or device written, ---
# --- an output failure logged once and its recovery once, one-line logs ---
o="$tmp/out"; mkdir "$o"
printf 'precious\n' > "$o/victim"
once() {	# once FLAG...: one dry-run period on the test driver, 5 s at most
	set +e; out=$(timeout 5 $MC -u test:///default --once -n \
		-p policies/balance_unused.lua "$@" 2>&1); rc=$?; set -e
}
output_ini() { printf '[output]\n%s = %s\n' "$1" "$2" > "$o/out.ini"; }
refused() {	# refused PATTERN: start-up failed at once, saying PATTERN
	[ "$rc" != 0 ] && [ "$rc" != 124 ] && grep -q -- "$1" <<<"$out"
}
victim_intact() { [ "$(cat "$o/victim")" = precious ]; }
for key in metrics events trace; do
	ln -s "$o/victim" "$o/$key.link"
	output_ini "$key" "$o/$key.link"; once -c "$o/out.ini"
	check "[output] $key: a symlink is refused" refused "$key.link: .*symbolic link"
	check "[output] $key: the link's target is untouched" victim_intact
	mkfifo "$o/$key.fifo"
	output_ini "$key" "$o/$key.fifo"; once -c "$o/out.ini"
	check "[output] $key: a FIFO is refused at once, never blocks" refused "$key.fifo: is a FIFO"
done
# A private copy of /dev/null (same device numbers): were the check ever
# broken, a run must not replace the host's own /dev/null with a file.
if mknod -m 666 "$o/null" c 1 3 2>/dev/null; then
	output_ini metrics "$o/null"; once -c "$o/out.ini"
	check "metrics = a /dev/null node is refused" refused "$o/null: is a character device"
	check "... and is still the device" test -c "$o/null"
else
	echo "SKIP metrics = /dev/null (mknod not permitted here)"
fi
ln -s "$o/victim" "$o/m.prom.tmp"	# the temporary name it used to have
output_ini metrics "$o/m.prom"; once -c "$o/out.ini"
check "metrics: a link at the old temporary name is not followed" victim_intact
check "metrics: the file is written" grep -q '^memcoord_samples_total 1$' "$o/m.prom"

# A file size limit stands in for a full disk; the log goes to a pipe, so
# it is not limited.  prlimit lifts the limit while the daemon runs.
printf '[coordinator]\nperiod = 0.2\nsample = 0.1\n' > "$o/fast.ini"
(trap '' XFSZ; ulimit -S -f 1; exec $MC -c "$o/fast.ini" -u test:///default -n \
	-p policies/balance_unused.lua --trace "$o/t.csv") 2> >(cat > "$o/log") >/dev/null &
pid=$!
wait_for() {	# wait_for PATTERN: up to 10 s for PATTERN in the daemon's log
	for _ in $(seq 100); do grep -qs -- "$1" "$o/log" && return 0; sleep 0.1; done
	return 1
}
check "trace: a full disk is logged" wait_for "trace: cannot write $o/t.csv: File too large"
sleep 1
check "trace: ... once, not every sample" test "$(grep -c 'trace: cannot' "$o/log")" = 1
prlimit --pid "$pid" --fsize=unlimited
check "trace: the recovery is logged" wait_for "trace: writing $o/t.csv again"
check "trace: the daemon kept running" kill -0 "$pid"
kill -TERM "$pid"; set +e; wait "$pid"; set -e; pid=
check "trace: only whole rows" bash -c "head -1 '$o/t.csv' | grep -q ^time, &&
	tests/trace-awk 'NF_CSV != ncol { exit 1 }' '$o/t.csv'"

printf 'function decide(d, h, ctx)\n  ctx.log("x\\nmemcoord: error: forged\\27[31m")\n  return {}\nend\n' > "$o/log.lua"
set +e; out=$(timeout 5 $MC -u test:///default --once -n -v -p "$o/log.lua" 2>&1 >/dev/null); set -e
check "log: a newline and an ESC stay on one escaped line" bash -c \
	'[ "$(grep -c forged <<<"$1")" = 1 ] && grep -qF "x\\nmemcoord: error: forged\\x1b[31m" <<<"$1" &&
	! grep -q "$(printf "\\033")" <<<"$1"' _ "$out"

printf 'function decide(d) local t = {} for _, x in ipairs(d) do t[x.name] = 1e300 end return t end\n' > "$o/huge.lua"
output_ini events "$o/ev.jsonl"
set +e; out=$($MC --simulate conf/scenarios/course_test1.ini -p "$o/huge.lua" -q -c "$o/out.ini" 2>&1); set -e
check "events: a proposal of 1e300 KiB is in the event log" \
	jq -se 'map(select(.event == "resize" and .proposed_kib >= 1e299)) | length > 0' "$o/ev.jsonl" >/dev/null
check "events: none lost to 'out of memory'" bash -c '! grep -q "out of memory" <<<"$1"' _ "$out"

printf '[host]\ntotal_mib = 4096\nduration = 5\n[defaults]\nstart_mib = 512\nmax_mib = 1024\n[vm "caf\xe9"]\nphase = idle\n' > "$o/latin1.ini"
set +e; $MC --simulate "$o/latin1.ini" -p policies/balance_unused.lua -q --report "$o/r.json" >/dev/null 2>&1; rc=$?; set -e
# jq alone would accept it: it repairs bad UTF-8 silently; iconv does not.
check "--report: a non-UTF-8 VM name still makes valid JSON" bash -c "[ $rc = 0 ] &&
	jq -e . '$o/r.json' >/dev/null && iconv -f UTF-8 -t UTF-8 '$o/r.json' >/dev/null"
ln -s "$o/victim" "$o/r.link"
$MC --simulate "$o/latin1.ini" -p policies/balance_unused.lua -q --report "$o/r.link" >/dev/null 2>&1 || true
check "--report: a symlink's target is untouched" victim_intact
# --- issue 15 (core): reload without a [domain] section, signals during
# start-up, a symlinked policy, --once status ---
h4log="$tmp/h4.log"
printf '[coordinator]\nperiod = 0.2\nsample = 0.1\n' > "$tmp/h4fast.ini"
h4_wait() {	# h4_wait PATTERN [SECONDS]: up to 5 s (or SECONDS) for PATTERN in $h4log
	for _ in $(seq $((${2:-5} * 50))); do grep -q -- "$1" "$h4log" && return 0; sleep 0.02; done
	return 1
}
h4_stop() {	# SIGTERM the daemon and reap it
	kill -TERM "$pid" 2>/dev/null || true; set +e; wait "$pid"; set -e; pid=
}
cat > "$tmp/params.lua" <<'LUA'
function decide(ds, h, ctx)
  local n = 0
  for _, d in ipairs(ds) do for k, v in pairs(d.params) do n = n + #k + #tostring(v) end end
  ctx.log("params %d max %d", n, ds[1].max // 1024) return {}
end
LUA
printf '[coordinator]\nperiod = 0.2\nsample = 0.1\n[domain "test"]\nmax_mib = 1024\nweight = 3\nnote = %s\n' \
	"$(printf 'x%.0s' $(seq 100))" > "$tmp/dom.ini"
# Freed memory is scribbled on, so a read of the old config cannot pass.
MALLOC_PERTURB_=165 $MC -c "$tmp/dom.ini" -u test:///default -n -v -p "$tmp/params.lua" \
	2>"$h4log" >/dev/null &
pid=$!
check "[domain] params and max_mib reach the policy" h4_wait "params [1-9][0-9]* max 1024$"
printf '[coordinator]\nperiod = 0.2\nsample = 0.1\n' > "$tmp/dom.ini"
kill -HUP "$pid"
check "SIGHUP dropping the [domain] section: defaults and hypervisor max back" \
	h4_wait "params 0 max 8192$"
check "daemon alive after the section is gone" kill -0 "$pid"
h4_stop

cat > "$tmp/slow.lua" <<'LUA'
function init(ctx)
  ctx.log("init start")
  string.rep("a", 200):find(string.rep("a-", 3) .. "b")	-- ~0.3 s of C
end
function decide(d, h, ctx) ctx.log("slow alive") return {} end
LUA
# A period long enough for the slow init() to fit the policy's deadline.
printf '[coordinator]\nperiod = 3\nsample = 0.1\n' > "$tmp/h4slow.ini"
$MC -c "$tmp/h4slow.ini" -u test:///default -n -v -p "$tmp/slow.lua" 2>"$h4log" >/dev/null &
pid=$!
h4_wait "init start" && kill -HUP "$pid" || true
# init() runs again on the reload: on a busy machine each can take seconds.
check "SIGHUP during start-up: the daemon survives and serves" h4_wait "slow alive" 30
check "SIGHUP during start-up is handled once the loop runs" h4_wait "SIGHUP: config"
h4_stop
$MC -c "$tmp/h4slow.ini" -u test:///default -n -v -p "$tmp/slow.lua" 2>"$h4log" >/dev/null &
pid=$!
h4_wait "init start" && kill -TERM "$pid" || true
set +e; wait "$pid"; rc=$?; set -e; pid=
check "SIGTERM during start-up exits 0 (at once, or once the loop runs)" \
	bash -c "[ $rc = 0 ] && grep -q 'signal 15: exiting\|stopped during start-up' '$h4log'"

mkdir "$tmp/real"
printf 'function decide(d, h, ctx) ctx.log("link v1") return {} end\n' > "$tmp/real/v1.lua"
ln -s real/v1.lua "$tmp/link.lua"
$MC -c "$tmp/h4fast.ini" -u test:///default -n -v -p "$tmp/link.lua" 2>"$h4log" >/dev/null &
pid=$!
check "symlinked policy runs" h4_wait "link v1"
printf 'function decide(d, h, ctx) ctx.log("link v2") return {} end\n' > "$tmp/real/v1.lua"
check "editing a symlinked policy's target reloads it" h4_wait "link v2"
printf 'function decide(d, h, ctx) ctx.log("link v3") return {} end\n' > "$tmp/real/v3.lua"
ln -sfn real/v3.lua "$tmp/link.lua"
check "repointing the symlink reloads it" h4_wait "link v3"
printf 'function decide(d, h, ctx) ctx.log("link v4") return {} end\n' > "$tmp/real/v3.lua"
check "editing the new target reloads it" h4_wait "link v4"
h4_stop

printf 'function decide(d, h, ctx) error("no answer") end\n' > "$tmp/fails.lua"
set +e; $MC -u test:///default --once -n -p "$tmp/fails.lua" >/dev/null 2>&1; rc=$?; set -e
check "--once exits 1 when decide() failed" test "$rc" = 1
set +e; $MC -u test:///default --once -n -p "$tmp/params.lua" >/dev/null 2>&1; rc=$?; set -e
check "--once exits 0 when decide() worked" test "$rc" = 0

# --- issue 13 items 5 and 9 (G3): a dry run is a read-only look; no uri
# lets libvirt choose (LIBVIRT_DEFAULT_URI first, as virsh); a relative
# policy in a config file is found beside the file from any directory.
out=$(LIBVIRT_DEFAULT_URI=test:///default $MC --once -n -p policies/balance_unused.lua 2>&1)
check "no -u and no uri: LIBVIRT_DEFAULT_URI chooses the test driver" \
	grep -q '^test  ' <<<"$out"
check "a dry run connects read-only" grep -q 'connected to test:///default (read-only)' <<<"$out"
out=$($MC -u test:///default --once -p policies/balance_unused.lua 2>&1)
check "a real run connects read-write" grep -q 'connected to test:///default$' <<<"$out"
mkdir "$tmp/g3conf"
printf 'function decide(d, h, ctx) ctx.log("beside the file") return {} end\n' > "$tmp/g3conf/p.lua"
printf '[coordinator]\npolicy = p.lua\n' > "$tmp/g3conf/mc.ini"
out=$(cd / && "$OLDPWD/$MC" -c "$tmp/g3conf/mc.ini" -u test:///default --once -n -v 2>&1)
check "policy = p.lua loads the config file's neighbour from /" grep -q 'beside the file' <<<"$out"
# --- metrics health, and a trace that survives restarts and rotation ---
g4=$tmp/g4; mkdir "$g4"
printf '[coordinator]\nperiod = 0.2\nsample = 0.1\n[output]\nmetrics = %s\n' \
	"$g4/m.prom" > "$g4/m.ini"
printf 'function decide(d, h, ctx) return {} end\n' > "$g4/p.lua"
g4_until() {	# g4_until COMMAND: up to 10 s for COMMAND to succeed
	for _ in $(seq 100); do bash -c "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
fnv=$(python3 -c 'import sys
h = 14695981039346656037
for b in open(sys.argv[1], "rb").read(): h = ((h ^ b) * 1099511628211) % 2**64
print("%016x" % h)' "$g4/p.lua")
$MC -c "$g4/m.ini" -u test:///default -n -p "$g4/p.lua" --trace "$g4/t.csv" \
	2>"$g4/log" >/dev/null &
pid=$!
check "metrics: connected, dry run, the policy's path and text hash" g4_until \
	"grep -qx 'memcoord_libvirt_connected 1' '$g4/m.prom' &&
	 grep -qx 'memcoord_dry_run 1' '$g4/m.prom' &&
	 grep -qxF 'memcoord_policy_info{path=\"$g4/p.lua\",hash=\"$fnv\"} 1' '$g4/m.prom'"
check "metrics: a uuid label beside domain" grep -Eq \
	'^memcoord_domain_actual_bytes\{domain="test",uuid="[0-9a-f-]{36}"\} [0-9]+$' "$g4/m.prom"
printf 'function decide(d, h, ctx) return { oops\n' > "$g4/.new"; mv "$g4/.new" "$g4/p.lua"
check "metrics: a refused reload is counted and stamped" g4_until \
	"grep -qx 'memcoord_policy_refusals_total 1' '$g4/m.prom' &&
	 grep -Eq '^memcoord_policy_last_refusal_timestamp_seconds [1-9][0-9.]+$' '$g4/m.prom'"
g4_until "[ \$(wc -l < '$g4/t.csv') -ge 3 ]"
truncate -s 0 "$g4/t.csv"	# logrotate's copytruncate
check "trace: after copytruncate, a header and rows, no NUL hole" g4_until \
	"[ \$(wc -l < '$g4/t.csv') -ge 3 ] && [ \$(tr -dc '\\000' < '$g4/t.csv' | wc -c) = 0 ] &&
	 head -1 '$g4/t.csv' | grep -q '^time,unix_time,domain,'"
mv "$g4/t.csv" "$g4/t.csv.1"	# logrotate's create mode, then its postrotate
kill -HUP "$pid"
check "trace: SIGHUP re-opens it at its path, header first" g4_until \
	"[ \$(wc -l < '$g4/t.csv') -ge 2 ] && head -1 '$g4/t.csv' | grep -q '^time,unix_time,domain,'"
kill -TERM "$pid"; set +e; wait "$pid"; rc=$?; set -e; pid=
check "metrics: the file is removed on a clean exit" bash -c "[ $rc = 0 ] && [ ! -e '$g4/m.prom' ]"
printf 'function decide(d, h, ctx) return {} end\n' > "$g4/p.lua"
for _ in 1 2; do
	$MC -u test:///default --once -n -p "$g4/p.lua" --trace "$g4/o.csv" >/dev/null 2>&1
done
check "trace: a restart appends, one header" bash -c \
	"[ \$(grep -c '^time,unix_time,domain,' '$g4/o.csv') = 1 ] && [ \$(grep -c '^[0-9]' '$g4/o.csv') = 2 ]"
# --- issue 13 items 1-2: journald priorities, systemd notify, the table ---
# A listener stands in for systemd's NOTIFY_SOCKET: one line per datagram
# (newlines as '|') with the trace's line count when it arrived, so READY=1
# can be seen to come after the first sample.  JOURNAL_STREAM names the log
# file's dev:ino, as systemd names the journal's stream.
g1=$tmp/g1; mkdir "$g1"
printf 'function decide(d, h, ctx) return {} end\n' > "$g1/p.lua"
printf '[coordinator]\nperiod = 0.2\nsample = 0.1\n' > "$g1/fast.ini"
timeout 60 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
while True:
    d = s.recv(4096).decode(errors="replace").replace("\n", "|")
    try: n = sum(1 for _ in open(sys.argv[3]))
    except OSError: n = 0
    out.write("%s rows=%d\n" % (d, n))
' "$g1/sock" "$g1/notes" "$g1/trace.csv" & g1_listener=$!
for _ in $(seq 50); do [ -S "$g1/sock" ] && break; sleep 0.1; done
: > "$g1/log"
NOTIFY_SOCKET=$g1/sock WATCHDOG_USEC=150000 JOURNAL_STREAM=$(stat -L -c '%d:%i' "$g1/log") \
	$MC -c "$g1/fast.ini" -u test:///default -n -p "$g1/p.lua" --trace "$g1/trace.csv" \
	2>"$g1/log" >"$g1/table" &
pid=$!
g1_wait() {	# g1_wait FILE PATTERN: up to 5 s for PATTERN in FILE
	for _ in $(seq 50); do grep -q -- "$2" "$1" && return 0; sleep 0.1; done
	return 1
}
check "notify: READY=1 arrives" g1_wait "$g1/notes" '^READY=1'
check "notify: READY=1 only after the first sample (trace has rows)" \
	bash -c "grep -m1 '^READY=1' '$g1/notes' | grep -qv 'rows=[01]\$'"
check "notify: STATUS= names the policy and domains" g1_wait "$g1/notes" "^STATUS=policy $g1/p.lua, [0-9]* domain"
check "notify: WATCHDOG=1 with WATCHDOG_USEC set" g1_wait "$g1/notes" '^WATCHDOG=1'
check "journald: a warning line starts with <4>" grep -q '^<4>memcoord: warning: sample = ' "$g1/log"
check "journald: an info line starts with <6>" grep -q '^<6>memcoord: info: policy ' "$g1/log"
kill -HUP "$pid"
check "notify: RELOADING=1 with MONOTONIC_USEC on SIGHUP" g1_wait "$g1/notes" '^RELOADING=1|MONOTONIC_USEC=[0-9]'
g1_ready_after_reload() {
	for _ in $(seq 50); do
		sed -n '/^RELOADING=1/,$p' "$g1/notes" | grep -q '^READY=1' && return 0
		sleep 0.1
	done
	return 1
}
check "notify: READY=1 again after the reload" g1_ready_after_reload
printf 'function decide(d, h, ctx) return { oops\n' > "$g1/.new"; mv "$g1/.new" "$g1/p.lua"
check "notify: a refused reload shows in STATUS=" g1_wait "$g1/notes" '^STATUS=policy .*; new policy refused (file changed): '
sleep 0.5
check "table: steady state prints the first table only (stdout not a tty, no -v)" \
	bash -c "[ \$(grep -c '^--- t=' '$g1/table') = 1 ] && [ \$(grep -c ',period,' '$g1/trace.csv') -ge 3 ]"
kill -TERM "$pid"; set +e; wait "$pid"; set -e; pid=
check "notify: STOPPING=1 on SIGTERM" g1_wait "$g1/notes" '^STOPPING=1'
kill "$g1_listener" 2>/dev/null || true; wait "$g1_listener" 2>/dev/null || true
JOURNAL_STREAM=1:1 $MC -u test:///default --once -n -p policies/balance_unused.lua 2>"$g1/log2" >/dev/null || true
check "journald: no prefixes when JOURNAL_STREAM is not stderr" \
	bash -c "grep -q '^memcoord: info: ' '$g1/log2' && ! grep -q '^<' '$g1/log2'"

echo "cli: $fails failure(s)"
[ "$fails" = 0 ]
