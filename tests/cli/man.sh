#!/usr/bin/env bash
# tests/cli/man.sh - the man pages format without a single warning, and
# document every option of the binary and every key of the config parser
# (src/config.c is the truth: a key added there without a man entry fails).
set -euo pipefail
cd "$(dirname "$0")/../.."
fails=0
ok()  { echo "PASS $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
command -v man >/dev/null || { echo "man.sh: SKIPPED (no man; scripts/deps.sh installs man-db)"; exit 0; }

for page in dist/memcoord.8 dist/memcoord.ini.5; do
	warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null || echo "man failed")
	if [ -z "$warnings" ]; then ok "$page formats without warnings"; else bad "$page: $warnings"; fi
done

# Options: every long option in config.c's table, as the page prints it.
text8=$(MANWIDTH=200 man -l dist/memcoord.8 2>/dev/null | col -b)
for opt in $(sed -n 's/^\t{ "\([a-z-]*\)", .*/\1/p' src/config.c); do
	grep -q -- "--$opt" <<<"$text8" || bad "memcoord.8 lacks --$opt"
done
[ "$fails" != 0 ] || ok "memcoord.8 covers config.c's options"

# Keys: every strcmp(key, "...") and limit key in config.c, each the tag
# of a .TP entry in the source.
tags=$(grep -A1 '^\.TP' dist/memcoord.ini.5 | sed -n 's/^\.B \([a-z_]*\)$/\1/p')
keys=$(grep -o 'strcmp(key, "[a-z_]*")' src/config.c | sed 's/.*"\(.*\)".*/\1/'
       sed -n 's/^\t{ "\([a-z_]*_mib\)", offsetof.*/\1/p' src/config.c
       sed -n 's/^\tX([a-z_]*, *"\([a-z_]*\)".*/\1/p' include/vmset.h)
[ -n "$keys" ] || bad "found no keys in src/config.c"
for key in $keys; do
	grep -qx "$key" <<<"$tags" || bad "memcoord.ini.5 has no entry for $key"
done
[ "$fails" != 0 ] || ok "memcoord.ini.5 covers config.c's keys"

# Dates: .TH's third field a real YYYY-MM-DD.
for page in dist/memcoord.8 dist/memcoord.ini.5; do
	date=$(awk '/^\.TH/ { print $4; exit }' "$page")
	if [[ $date =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] && date -d "$date" >/dev/null 2>&1; then
		ok "$page dated $date"
	else
		bad "$page: .TH date '$date' is not a YYYY-MM-DD date"
	fi
done

# ENVIRONMENT: every variable the code reads (getenv in src/), and the URI
# libvirt reads for it.
envsec=$(sed -n '/^\.SH ENVIRONMENT/,/^\.SH /p' dist/memcoord.8)
vars=$(grep -oh 'getenv("[A-Z_]*")' src/*.c | sed 's/getenv("\(.*\)")/\1/' | sort -u)
for var in $vars LIBVIRT_DEFAULT_URI; do
	grep -q "^\.BR* .*$var" <<<"$envsec" || bad "memcoord.8 ENVIRONMENT lacks $var"
done
[ "$fails" != 0 ] || ok "memcoord.8 ENVIRONMENT names ${vars//$'\n'/ } LIBVIRT_DEFAULT_URI"

# SEE ALSO: the daemons it talks to and the rotation of its files.
for page in dist/memcoord.8 dist/memcoord.ini.5; do
	for ref in libvirtd virtqemud logrotate; do
		sed -n '/^\.SH SEE ALSO/,$p' "$page" | grep -q "^\.BR $ref (8)" ||
			bad "$page: SEE ALSO lacks $ref(8)"
	done
done
[ "$fails" != 0 ] || ok "SEE ALSO names libvirtd(8), virtqemud(8), logrotate(8)"

echo "man: $fails failure(s)"
[ "$fails" = 0 ]
