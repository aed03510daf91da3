#!/usr/bin/env bash
# tests/cli/trace.sh - the trace and the event log as other programs read
# them (issue 13 item 8): RFC 4180 fields a CSV parser takes back whole (a
# guest named a,"b), the unix_time column (the wall clock in a live run,
# the simulated one under --simulate), a simulation's trace and events the
# same byte for byte run to run, the events stamped with simulated time
# that lines up with the trace, a replay and the e2e suite's awk queries
# (tests/trace-awk) reading the quoted names.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/cli/lib.sh trace
pol=policies/balance_unused.lua

# A guest whose name holds a comma and a quote, one that grows, a plain one.
cat > "$tmp/hostile.ini" <<'INI'
[host]
total_mib = 4096
duration = 30
[vm "a,"b"]
start_mib = 512
phase = grow 20 400
phase = hold
[vm "plain"]
start_mib = 512
INI
run_sim() {	# run_sim N: trace N.csv, events N.json
	printf '[output]\nevents = %s\ncontrol = %s\n' "$tmp/$1.json" "$tmp/ctl.sock" > "$tmp/$1.ini"
	$MC -q -c "$tmp/$1.ini" --simulate "$tmp/hostile.ini" -p $pol --trace "$tmp/$1.csv" >/dev/null
}
run_sim one
run_sim two

# Every row has the header's columns; the names come back whole.
check "a name with a comma and a quote: RFC 4180 round trip" python3 - "$tmp/one.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
head = rows[0]
assert head[:3] == ["time", "unix_time", "domain"], head
assert all(len(r) == len(head) for r in rows), "a row with another column count"
assert {r[2] for r in rows[1:]} == {'a,"b', "plain"}, {r[2] for r in rows[1:]}
assert any(r[5] for r in rows[1:] if r[2] == 'a,"b'), "never decided"
PY
check "--simulate: two runs, the same trace byte for byte" cmp -s "$tmp/one.csv" "$tmp/two.csv"
check "--simulate: two runs, the same event log byte for byte" cmp -s "$tmp/one.json" "$tmp/two.json"
check "--simulate: unix_time is the simulated clock, events stamped with it" \
	python3 - "$tmp/one.csv" "$tmp/one.json" <<'PY'
import csv, datetime, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert all(r["unix_time"] == r["time"] for r in rows), "unix_time is not epoch + simulated s"
times = {float(r["unix_time"]) for r in rows}
events = [json.loads(l) for l in open(sys.argv[2])]
resizes = [e for e in events if e["event"] == "resize"]
assert resizes, "no resize events"
for e in events:
    ts = datetime.datetime.fromisoformat(e["ts"])
    assert ts.utcoffset() == datetime.timedelta(0), e["ts"]
    assert ts.timestamp() in times, e["ts"] + ": at no sample of the trace"
# each resize event has its row: same time, same domain, that target
for e in resizes:
    t = datetime.datetime.fromisoformat(e["ts"]).timestamp()
    assert any(float(r["unix_time"]) == t and r["domain"] == e["domain"] and
               r["target_kib"] == str(e["after_kib"]) for r in rows), e
PY

# The e2e suite's trace queries (tests/e2e/run.sh), taken from it as they
# are, against the answers of python's csv module.
eval "$(sed -n '/^tr_at() {/,/^}/p; /^tr_max() {/,/^}/p; /^tr_last() {/,/^}/p;
	/^tr_first() {/,/^}/p; /^tr_end() {/p' tests/e2e/run.sh)"
TRACE_AWK=tests/trace-awk TR=$tmp/one.csv
want=$(python3 - "$TR" <<'PY'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1], newline="")) if r["domain"] == 'a,"b']
act = [int(r["actual_kib"]) for r in rows]
at10 = [int(r["actual_kib"]) for r in rows if float(r["time"]) <= 10][-1]
mid = max(int(r["actual_kib"]) for r in rows if 5 <= float(r["time"]) <= 20)
print(at10, mid, act[-1], act[0], rows[-1]["time"])
PY
)
got="$(tr_at 'a,"b' 10) $(tr_max 'a,"b' 5 20) $(tr_last 'a,"b') $(tr_first 'a,"b') $(tr_end)"
check "e2e trace queries read a quoted name by column name ($got)" \
	test "$(awk '{ $5 += 0; print }' <<<"$got")" = "$(awk '{ $5 += 0; print }' <<<"$want")"

# A replay reads the quoted name back (csv.c).
cat > "$tmp/replay.ini" <<'INI'
[host]
total_mib = 4096
duration = 20
[vm "again"]
replay = one.csv
replay_domain = a,"b
INI
check "replay: a trace row of a,\"b read back" \
	$MC -q --simulate "$tmp/replay.ini" -p $pol --report "$tmp/replay.json"
check "replay: the replayed guest grows as a,\"b did" \
	jq -e '.vms[] | select(.name == "again") | .peak_mib > 700' "$tmp/replay.json" >/dev/null
printf 'time,domain,actual_kib,unused_kib\n0,"x,1,2\n' > "$tmp/bad.csv"
sed 's/one.csv/bad.csv/; s/a,"b/x/' "$tmp/replay.ini" > "$tmp/badreplay.ini"
set +e; out=$($MC -q --simulate "$tmp/badreplay.ini" -p $pol 2>&1); rc=$?; set -e
check "replay: a quoted field never closed is refused with its record" \
	bash -c "[ $rc = 2 ] && grep -q 'bad.csv: record 2: not a trace row' <<<'$out'"

# A live run: unix_time is the wall clock, monotonic here, beside time.
printf '[coordinator]\nperiod = 0.2\nsample = 0.1\n[output]\ncontrol = %s\n' \
	"$tmp/ctl.sock" > "$tmp/live.ini"
before=$(date +%s.%N)
timeout -s TERM 1.5 $MC -c "$tmp/live.ini" -u test:///default -n -q -p $pol \
	--trace "$tmp/live.csv" >/dev/null 2>&1 || true
after=$(date +%s.%N)
check "live: unix_time present, monotonic, within the run's wall clock" \
	python3 - "$tmp/live.csv" "$before" "$after" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
before, after = float(sys.argv[2]), float(sys.argv[3])
assert len(rows) >= 5, len(rows)
wall = [float(r["unix_time"]) for r in rows]
rel = [float(r["time"]) for r in rows]
assert wall == sorted(wall), "unix_time went back"
assert before - 0.01 <= wall[0] and wall[-1] <= after + 0.01, (before, wall[0], wall[-1], after)
# the two clocks advance together (no NTP step in 1.5 s)
assert abs((wall[-1] - wall[0]) - (rel[-1] - rel[0])) < 0.05
PY
echo "trace: $fails failed"
[ "$fails" = 0 ]
