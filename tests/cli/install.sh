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

d=$tmp/root
make -s install DESTDIR="$d" >/dev/null
for f in usr/local/sbin/memcoord usr/local/share/memcoord/policies/balance_unused.lua \
	 usr/local/share/man/man8/memcoord.8 usr/local/share/man/man5/memcoord.ini.5 \
	 usr/local/lib/systemd/system/memcoord.service etc/memcoord/memcoord.ini \
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
	"$d/usr/local/lib/systemd/system/memcoord.service"

echo "; mine" >> "$d/etc/memcoord/memcoord.ini"
make -s install DESTDIR="$d" >/dev/null
check "reinstall keeps an existing config" grep -qx '; mine' "$d/etc/memcoord/memcoord.ini"

if command -v systemd-analyze >/dev/null; then
	# Verified where the binary and man pages really are: in DESTDIR.
	sed "s|ExecStart=/usr/local|ExecStart=$d/usr/local|" \
		"$d/usr/local/lib/systemd/system/memcoord.service" > "$tmp/memcoord.service"
	out=$(MANPATH="$d/usr/local/share/man" systemd-analyze verify "$tmp/memcoord.service" 2>&1) || true
	check "systemd-analyze verify is silent" test -z "$out"
	[ -z "$out" ] || echo "$out"
else
	echo "SKIP systemd-analyze verify (no systemd-analyze)"
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
check "PREFIX=/usr: unit in /lib/systemd/system" test -s "$d/lib/systemd/system/memcoord.service"
check "PREFIX=/usr: binary in /usr/sbin" test -x "$d/usr/sbin/memcoord"
check "PREFIX=/usr: unit runs /usr/sbin/memcoord" \
	grep -q '^ExecStart=/usr/sbin/memcoord ' "$d/lib/systemd/system/memcoord.service"
check "PREFIX=/usr: config points at /usr/share" \
	grep -qx 'policy = /usr/share/memcoord/policies/balance_unused.lua' "$d/etc/memcoord/memcoord.ini"

echo "install: $fails failure(s)"
[ "$fails" = 0 ]
