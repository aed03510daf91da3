#!/usr/bin/env bash
# tests/pkg/deb.sh [--if-possible] - the Debian package (issue 13 item 11):
# build it, lintian it, install it, run it, purge it.
#
#   * `dpkg-buildpackage -b -us -uc` in a copy of the tree under /tmp (its
#     .deb lands beside the copy, never in the repository; `git status` is
#     the same after the test as before);
#   * lintian: no error (warnings are printed);
#   * the .deb holds the binary, the policies, the config as a conffile, the
#     man pages compressed, the unit, the sysusers.d file and the logrotate
#     snippet; the config names the installed policy;
#   * `dpkg -i`: the memcoord user (no home, no shell, in group libvirt);
#     the installed daemon started by hand as that user (no systemd here)
#     against test:///default answers `memcoord status` on a socket of its
#     own, and SIGTERM ends it with status 0;
#   * `dpkg --purge`: binary, config, unit, snippet, /var/log/memcoord and
#     /var/lib/memcoord gone; the user stays (Debian leaves system users).
#
# Root only (it installs a package on this host), serialized with other runs
# by flock /tmp/memcoord-deb.lock.  Skipped, with a reason, when not root,
# when the build tools are missing and scripts/deps.sh cannot install them,
# or when a memcoord package is already installed (that one is the
# operator's).  Without --if-possible (make deb-check) those are failures.
# About 15 s (build 6 s with -j2, lintian 2 s).
set -euo pipefail
cd "$(dirname "$0")/../.."
LOCK=/tmp/memcoord-deb.lock

IF_POSSIBLE=0
case "${1:-}" in
--if-possible) IF_POSSIBLE=1 ;;
"") ;;
*) echo "usage: deb.sh [--if-possible]" >&2; exit 2 ;;
esac
skip() {
	[ "$IF_POSSIBLE" = 1 ] || { echo "deb: FAIL: $*" >&2; exit 1; }
	echo "deb: SKIPPED ($*)"
	exit 0
}

[ "$(id -u)" = 0 ] || skip "not root: installs a package"
git rev-parse --git-dir >/dev/null 2>&1 || skip "not a git checkout: the build copies git's files"
tools_ok() { command -v dpkg-buildpackage && command -v dh && command -v lintian; } >/dev/null
tools_ok || scripts/deps.sh >/dev/null 2>&1 || true
tools_ok || skip "no dpkg-buildpackage, debhelper or lintian, and scripts/deps.sh could not install them"
[ -z "${MC_DEB_LOCKED:-}" ] && MC_DEB_LOCKED=1 exec flock "$LOCK" "$0" "$@"
if dpkg-query -W -f='${Status}' memcoord 2>/dev/null | grep -q "ok installed"; then
	skip "a memcoord package is installed already: not replaced by a test"
fi

version=$(dpkg-parsechangelog -l debian/changelog -S Version)
tmp=$(mktemp -d /tmp/mcdeb.XXXXXX)
pid=
installed=0
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	[ "$installed" = 1 ] && dpkg --purge memcoord >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
fails=0
ok()  { echo "PASS $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

# ---- build, from a copy: the tracked files and the new ones git would add
before=$(git status --porcelain)
src=$tmp/memcoord-$version
mkdir "$src"
git ls-files -z -co --exclude-standard | xargs -0 cp --parents -t "$src" 2>/dev/null ||
	{ echo "deb: FAIL: cannot copy the tree" >&2; exit 1; }
rm -rf "$src/build" "$src/memcoord"
start=$(date +%s)
if ! (cd "$src" && DEB_BUILD_OPTIONS="parallel=2 nocheck" dpkg-buildpackage -b -us -uc) >"$tmp/build.log" 2>&1; then
	tail -30 "$tmp/build.log"
	echo "deb: FAIL: dpkg-buildpackage" >&2
	exit 1
fi
deb=$(ls "$tmp"/memcoord_"$version"_*.deb)
ok "dpkg-buildpackage -b -us -uc built $(basename "$deb") in $(( $(date +%s) - start )) s"
check "the repository is untouched (git status)" test "$(git status --porcelain)" = "$before"

lintian --allow-root "$deb" >"$tmp/lintian" 2>&1 || true
grep '^W:' "$tmp/lintian" || true
check "lintian: no errors" bash -c "! grep -q '^E:' '$tmp/lintian'"
grep '^E:' "$tmp/lintian" || true

# ---- contents
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$tmp/files"
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
for f in /usr/sbin/memcoord /usr/share/memcoord/policies/balance_unused.lua \
	 /etc/memcoord/memcoord.ini /usr/share/man/man8/memcoord.8.gz \
	 /usr/share/man/man5/memcoord.ini.5.gz "$unitdir/memcoord.service" \
	 /usr/lib/sysusers.d/memcoord.conf /etc/logrotate.d/memcoord; do
	check "the .deb holds $f" grep -qx "$f" "$tmp/files"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles >"$tmp/conffiles"
check "the config and the logrotate snippet are conffiles" \
	bash -c "grep -qx /etc/memcoord/memcoord.ini '$tmp/conffiles' && grep -qx /etc/logrotate.d/memcoord '$tmp/conffiles'"

# ---- install
dpkg -i "$deb" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; bad "dpkg -i"; exit 1; }
installed=1
ok "dpkg -i"
check "user memcoord: no home, no shell" \
	bash -c "getent passwd memcoord | awk -F: '\$6 == \"/nonexistent\" && \$7 ~ /nologin\$/' | grep -q ."
check "user memcoord is in group libvirt" bash -c "id -nG memcoord | grep -qw libvirt"
check "the config names the installed policy" \
	bash -c "grep -qx 'policy = /usr/share/memcoord/policies/balance_unused.lua' /etc/memcoord/memcoord.ini &&
	test -s /usr/share/memcoord/policies/balance_unused.lua"
check "man finds the installed pages" bash -c "man -w memcoord.ini | grep -q '^/usr/share/man/man5/memcoord.ini.5.gz$'"

# ---- run the installed daemon by hand, as its user (what User= does)
run=$tmp/run
install -d -o memcoord -g memcoord -m 0700 "$run"
chmod 0755 "$tmp"
{ cat /etc/memcoord/memcoord.ini; printf '[output]\ncontrol = %s/control.sock\n' "$run"; } >"$tmp/run.ini"
chmod 0644 "$tmp/run.ini"
(cd / && exec setpriv --reuid memcoord --regid memcoord --init-groups -- \
	/usr/sbin/memcoord -c "$tmp/run.ini" -u test:///default) >"$tmp/daemon.log" 2>&1 &
pid=$!
as_memcoord() { setpriv --reuid memcoord --regid memcoord --init-groups -- "$@"; }
# Until its first sample has named the test driver's domain.
for _ in $(seq 50); do
	as_memcoord /usr/sbin/memcoord status -s "$run/control.sock" >"$tmp/status" 2>/dev/null &&
		grep -q '^test ' "$tmp/status" && break
	sleep 0.1
done
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
check "the installed daemon runs as memcoord" test "$uid" = "$(id -u memcoord)"
check "... and answers memcoord status" grep -q '^test ' "$tmp/status"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
check "SIGTERM: exit 0" test "$rc" = 0
[ "$rc" = 0 ] || cat "$tmp/daemon.log"

# ---- purge: what the service wrote goes too (LogsDirectory, StateDirectory)
install -d -o memcoord -g memcoord /var/log/memcoord /var/lib/memcoord
touch /var/log/memcoord/events.jsonl /var/lib/memcoord/memcoord.prom
dpkg --purge memcoord >"$tmp/purge.log" 2>&1 || { cat "$tmp/purge.log"; bad "dpkg --purge"; }
installed=0
for f in /usr/sbin/memcoord /etc/memcoord /etc/logrotate.d/memcoord "$unitdir/memcoord.service" \
	 /usr/share/memcoord /var/log/memcoord /var/lib/memcoord; do
	check "purge removes $f" test ! -e "$f"
done
check "purge leaves the memcoord user (Debian keeps system users)" bash -c "getent passwd memcoord >/dev/null"

echo "deb: $fails failure(s)"
[ "$fails" = 0 ]
