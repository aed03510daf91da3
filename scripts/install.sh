#!/bin/sh
# scripts/install.sh - `make install` / `make uninstall`.
#
#   scripts/install.sh install|uninstall      (PREFIX, DESTDIR from the environment)
#
# PREFIX (default /usr/local) holds the binary, policies and man pages; the
# systemd unit and the sysusers.d file go where systemd looks for them
# (SYSTEMDUNITDIR, SYSUSERSDIR: the Makefile asks pkg-config systemd); the
# config is always /etc/memcoord/memcoord.ini, because that is where the
# unit and the man page say it is.  DESTDIR is prepended to every path
# (packaging).  An existing config is never overwritten, and uninstall
# leaves it in place: it is the operator's file.
set -eu

PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
SBINDIR=$PREFIX/sbin
DATADIR=$PREFIX/share/memcoord
POLICYDIR=$DATADIR/policies
MANDIR=$PREFIX/share/man
UNITDIR=${SYSTEMDUNITDIR:-/lib/systemd/system}
SYSUSERSDIR=${SYSUSERSDIR:-/usr/lib/sysusers.d}
CONFDIR=/etc/memcoord
LOGROTATEDIR=/etc/logrotate.d

cd "$(dirname "$0")/.."

# The example config, with its policy key pointing at the installed policy.
example_config() {
	sed "s|^policy = \\.\\./policies/|policy = $POLICYDIR/|" conf/memcoord.ini
}

# The pages as written name the /usr/local paths; these are PREFIX's.
man_page() {
	sed -e "s|/usr/local/share/memcoord|$DATADIR|g" -e "s|/usr/local/sbin|$SBINDIR|g" \
	    -e "s|/lib/systemd/system/memcoord|$UNITDIR/memcoord|g" \
	    -e "s|/usr/lib/sysusers.d|$SYSUSERSDIR|g" "$1" > "$2"
	chmod 0644 "$2"
}

do_install() {
	[ -x memcoord ] || { echo "install: build first (make)" >&2; exit 1; }
	install -d "$DESTDIR$SBINDIR" "$DESTDIR$POLICYDIR" "$DESTDIR$MANDIR/man8" \
		"$DESTDIR$MANDIR/man5" "$DESTDIR$UNITDIR" "$DESTDIR$CONFDIR" \
		"$DESTDIR$LOGROTATEDIR" "$DESTDIR$SYSUSERSDIR"
	install -m 0755 memcoord "$DESTDIR$SBINDIR/memcoord"
	install -m 0644 policies/*.lua "$DESTDIR$POLICYDIR/"
	man_page dist/memcoord.8 "$DESTDIR$MANDIR/man8/memcoord.8"
	man_page dist/memcoord.ini.5 "$DESTDIR$MANDIR/man5/memcoord.ini.5"
	install -m 0644 dist/memcoord.sysusers "$DESTDIR$SYSUSERSDIR/memcoord.conf"
	sed "s|/usr/local/sbin/memcoord|$SBINDIR/memcoord|" dist/memcoord.service \
		> "$DESTDIR$UNITDIR/memcoord.service"
	chmod 0644 "$DESTDIR$UNITDIR/memcoord.service"
	# Always refreshed, so an upgrade can be diffed against the live config.
	example_config > "$DESTDIR$DATADIR/memcoord.ini.example"
	install -m 0644 dist/prometheus-alerts.yml "$DESTDIR$DATADIR/prometheus-alerts.yml"
	# Like the config: an operator's edits (rotate count) are kept.
	if [ ! -e "$DESTDIR$LOGROTATEDIR/memcoord" ]; then
		install -m 0644 dist/memcoord.logrotate "$DESTDIR$LOGROTATEDIR/memcoord"
	fi
	if [ -e "$DESTDIR$CONFDIR/memcoord.ini" ]; then
		echo "install: kept $DESTDIR$CONFDIR/memcoord.ini (new example: $DESTDIR$DATADIR/memcoord.ini.example)"
	else
		example_config > "$DESTDIR$CONFDIR/memcoord.ini"
		chmod 0644 "$DESTDIR$CONFDIR/memcoord.ini"
	fi
	echo "install: done; then: systemd-sysusers (the memcoord user), systemctl daemon-reload && systemctl enable --now memcoord"
}

do_uninstall() {
	rm -f "$DESTDIR$SBINDIR/memcoord" "$DESTDIR$MANDIR/man8/memcoord.8" \
		"$DESTDIR$MANDIR/man5/memcoord.ini.5" "$DESTDIR$UNITDIR/memcoord.service" \
		"$DESTDIR$DATADIR/memcoord.ini.example" "$DESTDIR$DATADIR/prometheus-alerts.yml" \
		"$DESTDIR$SYSUSERSDIR/memcoord.conf"
	# Ours only while unchanged: an edited one is the operator's, like the config.
	if cmp -s dist/memcoord.logrotate "$DESTDIR$LOGROTATEDIR/memcoord"; then
		rm -f "$DESTDIR$LOGROTATEDIR/memcoord"
	fi
	for p in policies/*.lua; do
		rm -f "$DESTDIR$POLICYDIR/$(basename "$p")"
	done
	# Only if empty: an operator's own policies stay.
	rmdir "$DESTDIR$POLICYDIR" "$DESTDIR$DATADIR" 2>/dev/null || true
	echo "uninstall: done; $DESTDIR$CONFDIR/memcoord.ini left in place (remove it by hand)"
}

case "${1:-}" in
install) do_install ;;
uninstall) do_uninstall ;;
*) echo "usage: $0 install|uninstall" >&2; exit 2 ;;
esac
