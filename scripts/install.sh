#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make install` and `make uninstall`: the layout of upstream's Linux tarball
# for systemd hosts.
#
#   $BINDIR/tetragon, $BINDIR/tetra                   (default /usr/local/bin)
#   $UNITDIR/tetragon.service                         (default /usr/lib/systemd/system)
#   $PREFIX/lib/tetragon/tetragon.conf.d/FLAG         the package's defaults
#   /etc/tetragon/tetragon.conf.d/, tetragon.tp.d/    empty, for the admin
#
# Everything under $DESTDIR when set (staging, packaging). Files are root's
# when run as root, directories 0755 and files 0644/0755 whatever the umask:
# the agent refuses configuration another user can write.
#
# Usage: DESTDIR= PREFIX= BINDIR= UNITDIR= BIN=build/bin scripts/install.sh install|uninstall
set -euo pipefail
umask 022

action=${1:-}
DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}
BINDIR=${BINDIR:-$PREFIX/bin}
UNITDIR=${UNITDIR:-/usr/lib/systemd/system}
BIN=${BIN:-build/bin}
SRC=$(cd "$(dirname "$0")/.." && pwd)/install
PKGCONFDIR=$PREFIX/lib/tetragon/tetragon.conf.d
ETCDIR=/etc/tetragon
# the package drop-in directories the agent reads (src/agent/config.c)
AGENT_PKGCONFDIRS="/usr/lib/tetragon/tetragon.conf.d /usr/local/lib/tetragon/tetragon.conf.d"

die() {
	echo "$action: $*" >&2
	exit 1
}
for v in PREFIX BINDIR UNITDIR; do
	case ${!v} in
	/*) ;;
	*) die "$v=${!v}: must be an absolute path" ;;
	esac
done
[ -z "$DESTDIR" ] || case $DESTDIR in /*) ;; *) die "DESTDIR=$DESTDIR: must be an absolute path" ;; esac

OWNER=()
[ "$(id -u)" -eq 0 ] && OWNER=(-o 0 -g 0)
D=$DESTDIR
# systemd runs here: tell it about the unit (not in a staging root)
systemd_live() { [ -z "$DESTDIR" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; }

# A directory of ours: created, or made root's and 0755 if it exists.
own_dir() { install -d -m 0755 "${OWNER[@]}" "$1"; }
# A directory others may share (/usr/local/bin): created if missing, else left as it is.
shared_dir() { [ -d "$1" ] || install -d -m 0755 "${OWNER[@]}" "$1"; }

do_install() {
	local f
	for f in tetragon tetra; do
		[ -x "$BIN/$f" ] || die "$BIN/$f is not built (run make)"
	done
	shared_dir "$D$BINDIR"
	install -m 0755 "${OWNER[@]}" "$BIN/tetragon" "$D$BINDIR/tetragon"
	install -m 0755 "${OWNER[@]}" "$BIN/tetra" "$D$BINDIR/tetra"
	echo "  INSTALL  $D$BINDIR/tetragon $D$BINDIR/tetra"

	shared_dir "$D$UNITDIR"
	sed -e "s|@BINDIR@|$BINDIR|g" -e "s|@PKGCONFDIR@|$PKGCONFDIR|g" "$SRC/tetragon.service.in" >"$D$UNITDIR/tetragon.service.tmp"
	chmod 0644 "$D$UNITDIR/tetragon.service.tmp"
	mv -f "$D$UNITDIR/tetragon.service.tmp" "$D$UNITDIR/tetragon.service"
	echo "  INSTALL  $D$UNITDIR/tetragon.service"

	# the package's defaults: replaced on every install; yours go in /etc
	shared_dir "$D$PREFIX/lib"
	own_dir "$D$PREFIX/lib/tetragon"
	own_dir "$D$PKGCONFDIR"
	for f in "$SRC"/tetragon.conf.d/*; do
		install -m 0644 "${OWNER[@]}" "$f" "$D$PKGCONFDIR/$(basename "$f")"
	done
	echo "  INSTALL  $D$PKGCONFDIR/ ($(cd "$SRC/tetragon.conf.d" && echo *))"

	shared_dir "$D/etc"
	own_dir "$D$ETCDIR"
	own_dir "$D$ETCDIR/tetragon.conf.d"
	own_dir "$D$ETCDIR/tetragon.tp.d"
	echo "  INSTALL  $D$ETCDIR/tetragon.conf.d/ $D$ETCDIR/tetragon.tp.d/"

	case " $AGENT_PKGCONFDIRS " in
	*" $PKGCONFDIR "*) ;;
	*) echo "warning: the agent reads package defaults only from $AGENT_PKGCONFDIRS;" \
		"with PREFIX=$PREFIX it will not read $PKGCONFDIR (copy what you need to $ETCDIR/tetragon.conf.d)" >&2 ;;
	esac
	[ -n "$DESTDIR" ] && return 0
	# the configuration the service will read: refused now rather than at boot
	local err
	if ! err=$("$BINDIR/tetragon" --version 2>&1 >/dev/null); then
		echo "$err" >&2
		die "the installed agent refuses this host's configuration (above); fix it before starting the service"
	fi
	[ -z "$err" ] || echo "$err" >&2	# warnings (upstream flags not built yet)
	if systemd_live; then
		systemctl daemon-reload
		echo "Installed. Start the agent with: systemctl enable --now tetragon"
	fi
}

# Removes FILE; a directory when empty, else says what is kept.
rm_file() { [ -e "$1" ] || [ -L "$1" ] && rm -f "$1" && echo "  REMOVE   $1" || true; }
rm_dir() {
	[ -d "$1" ] || return 0
	if rmdir "$1" 2>/dev/null; then
		echo "  REMOVE   $1/"
	else
		echo "  KEEP     $1/ (not empty: your files)"
	fi
}

do_uninstall() {
	local f
	if systemd_live && systemctl is-enabled --quiet tetragon 2>/dev/null; then
		systemctl disable --now tetragon || true
	elif systemd_live && systemctl is-active --quiet tetragon 2>/dev/null; then
		systemctl stop tetragon || true
	fi
	rm_file "$D$BINDIR/tetragon"
	rm_file "$D$BINDIR/tetra"
	rm_file "$D$UNITDIR/tetragon.service"
	# only the defaults we installed; anything else there is someone's
	for f in "$SRC"/tetragon.conf.d/*; do
		rm_file "$D$PKGCONFDIR/$(basename "$f")"
	done
	rm_dir "$D$PKGCONFDIR"
	rm_dir "$D$PREFIX/lib/tetragon"
	# /etc/tetragon: removed when empty, kept with your configuration and policies
	rm_dir "$D$ETCDIR/tetragon.conf.d"
	rm_dir "$D$ETCDIR/tetragon.tp.d"
	rm_dir "$D$ETCDIR"
	if systemd_live; then
		systemctl daemon-reload || true
	fi
}

case $action in
install) do_install ;;
uninstall) do_uninstall ;;
*)
	echo "usage: $0 install|uninstall" >&2
	exit 2
	;;
esac
