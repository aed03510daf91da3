#!/bin/sh
# scripts/deps.sh - install what memcoord needs to build and test, with
# Debian's apt-get; quiet and quick when everything is already there.
# `make fuzz` asks for clang the same way.  The real-VM suite (tests/e2e) installs its own, larger set.
set -eu

PKGS="build-essential pkg-config libvirt-dev liblua5.4-dev libxml2-dev
libcmocka-dev gnuplot-nox valgrind jq man-db groff-base"
# `deps.sh fuzz`: libFuzzer's compiler and runtime instead.
[ "${1:-}" = fuzz ] && PKGS="clang libclang-rt-14-dev"

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
SUDO=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "deps: need root (or sudo) to install:$missing" >&2; exit 1; }
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# Update the package lists only when a first try finds them stale.
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 || {
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends $missing
}
