#!/usr/bin/env bash
# tests/cli/install.sh - `make install` and `make uninstall` into a DESTDIR:
# every file where the man page says, the installed config pointing at the
# installed policy and never overwritten, the unit valid and pointing at
# the installed binary, and uninstall leaving only the config.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d /tmp/mcinstall.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
fails=0
ok()  { echo "PASS $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

# Where systemd looks for units and sysusers.d files (the Makefile asks the same).
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
unitdir=${unitdir#/}
sysusersdir=$(pkg-config --variable=sysusersdir systemd 2>/dev/null || echo /usr/lib/sysusers.d)
sysusersdir=${sysusersdir#/}
d=$tmp/root
make -s install DESTDIR="$d" >/dev/null
for f in usr/local/sbin/memcoord usr/local/share/memcoord/policies/balance_unused.lua \
	 usr/local/share/man/man8/memcoord.8 usr/local/share/man/man5/memcoord.ini.5 \
	 "$unitdir/memcoord.service" etc/memcoord/memcoord.ini "$sysusersdir/memcoord.conf" \
	 etc/logrotate.d/memcoord usr/local/share/memcoord/prometheus-alerts.yml; do
	check "installs /$f" test -s "$d/$f"
done
check "binary is executable" test -x "$d/usr/local/sbin/memcoord"
check "config points at the installed policy" \
	grep -qx 'policy = /usr/local/share/memcoord/policies/balance_unused.lua' "$d/etc/memcoord/memcoord.ini"
# One dry-run period with the installed config and policy (moved into
# DESTDIR), against libvirt's mock host.
sed "s|= /usr/local|= $d/usr/local|" "$d/etc/memcoord/memcoord.ini" > "$tmp/run.ini"
check "installed config and policy run" \
	"$d/usr/local/sbin/memcoord" -c "$tmp/run.ini" -u test:///default --once -n -q
check "unit runs the installed binary" \
	grep -qx 'ExecStart=/usr/local/sbin/memcoord --foreground -c /etc/memcoord/memcoord.ini' \
	"$d/$unitdir/memcoord.service"

echo "; mine" >> "$d/etc/memcoord/memcoord.ini"
make -s install DESTDIR="$d" >/dev/null
check "reinstall keeps an existing config" grep -qx '; mine' "$d/etc/memcoord/memcoord.ini"

if command -v systemd-analyze >/dev/null; then
	# Verified where the binary and man pages really are: in DESTDIR.
	sed "s|ExecStart=/usr/local|ExecStart=$d/usr/local|" \
		"$d/$unitdir/memcoord.service" > "$tmp/memcoord.service"
	out=$(MANPATH="$d/usr/local/share/man" systemd-analyze verify "$tmp/memcoord.service" 2>&1) || true
	check "systemd-analyze verify is silent" test -z "$out"
	[ -z "$out" ] || echo "$out"
else
	echo "SKIP systemd-analyze verify (no systemd-analyze)"
fi
# Least privilege (issue 13 item 10): its own user in libvirt's group, and
# an exposure no worse than the 2.2 of the root unit before it.
check "unit runs as memcoord in the libvirt group" bash -c "grep -qx 'User=memcoord' '$d/$unitdir/memcoord.service' &&
	grep -qx 'SupplementaryGroups=libvirt' '$d/$unitdir/memcoord.service'"
check "sysusers.d makes memcoord a member of libvirt" \
	grep -qx 'm memcoord libvirt' "$d/$sysusersdir/memcoord.conf"
score=$(timeout 60 systemd-analyze security --offline=true "$tmp/memcoord.service" 2>/dev/null |
	sed -n 's/.*Overall exposure level for memcoord.service: \([0-9.]*\).*/\1/p') || true
if [ -n "$score" ]; then
	check "systemd-analyze security: exposure $score <= 2.2" awk -v s="$score" 'BEGIN { exit !(s <= 2.2) }'
else
	echo "SKIP systemd-analyze security --offline (needs systemd >= 250)"
fi

if command -v logrotate >/dev/null; then
	out=$(logrotate -d "$d/etc/logrotate.d/memcoord" 2>&1) &&
		check "logrotate accepts the snippet" true || { bad "logrotate accepts the snippet"; echo "$out"; }
else
	echo "SKIP logrotate -d (no logrotate)"
fi
if command -v promtool >/dev/null; then
	check "promtool accepts the alert rules" \
		promtool check rules "$d/usr/local/share/memcoord/prometheus-alerts.yml"
else
	echo "SKIP promtool check rules (no promtool)"
fi

make -s uninstall DESTDIR="$d" >/dev/null
left=$(cd "$d" && find . -type f | sort)
check "uninstall leaves only the config" test "$left" = "./etc/memcoord/memcoord.ini"

d=$tmp/usr
make -s install DESTDIR="$d" PREFIX=/usr >/dev/null
check "PREFIX=/usr: binary in /usr/sbin" test -x "$d/usr/sbin/memcoord"
check "PREFIX=/usr: unit runs /usr/sbin/memcoord" \
	grep -q '^ExecStart=/usr/sbin/memcoord ' "$d/$unitdir/memcoord.service"
check "PREFIX=/usr: man pages name /usr paths, not /usr/local" \
	bash -c "! grep -q /usr/local '$d/usr/share/man/man8/memcoord.8' '$d/usr/share/man/man5/memcoord.ini.5' &&
	grep -q '^\.I /usr/share/memcoord/policies/' '$d/usr/share/man/man8/memcoord.8'"
check "PREFIX=/usr: config points at /usr/share" \
	grep -qx 'policy = /usr/share/memcoord/policies/balance_unused.lua' "$d/etc/memcoord/memcoord.ini"

echo "install: $fails failure(s)"
[ "$fails" = 0 ]
