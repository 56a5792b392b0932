#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds qemu/plugin/cost.c, rvnet's counting TCG plugin, against the plugin API header of the
# QEMU in use, and prints the path of the plugin.
#
# The header comes from Debian's source package of the installed qemu-system-x86, fetched with
# apt-get source through a private apt tree (its own sources, lists and cache under
# $RVNET_CACHE/qemu-src; the host's apt state is neither read nor changed). Only the upstream
# tarball is needed, and only its include/qemu/qemu-plugin.h is unpacked; the Debian diff of
# a backport may be missing from the mirror, so the tarball alone is checked, by the SHA-256
# the source index gives for it. Nothing of QEMU's is copied into the clone.
#
# Usage: scripts/cost-plugin.sh        (prints the .so path; cached per QEMU version)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ver=$(dpkg-query -W -f '${Version}' qemu-system-x86 2>/dev/null) ||
	die "cost plugin: qemu-system-x86 is not installed (make deps)"
src_pkg=$(dpkg-query -W -f '${source:Package}' qemu-system-x86)
# The suite the installed QEMU came from: deps.sh takes it from bookworm-backports.
suite=bookworm-backports
dir=$RVNET_CACHE/qemu-src
apt_dir=$dir/apt
hdr_dir=$dir/include-${ver//[:~+]/_}
header=$hdr_dir/qemu-plugin.h
command -v pkg-config >/dev/null && pkg-config --exists glib-2.0 ||
	die "cost plugin: glib's headers are missing" \
		"(make deps, or apt-get install libglib2.0-dev pkg-config)"

mkdir -p "$dir"
exec 9>"$dir.lock"
flock 9

if [ ! -f "$header" ]; then
	uri=$(bookworm_mirror)
	private_apt_tree "$apt_dir" "for the source of the installed QEMU"
	mkdir -p "$dir/dl"
	cat >"$apt_dir/etc/sources.list.d/$suite-src.sources" <<SRC
# Written by rvnet's scripts/cost-plugin.sh: the source of the installed QEMU.
Types: deb-src
URIs: $uri
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	log "cost plugin: apt-get update ($suite sources from $uri, private tree $apt_dir)"
	apt-get -c "$apt_dir/etc/apt.conf" -qq update >&2 ||
		die "cost plugin: apt-get update of the private source tree failed (no network to the packages?)"
	# The upstream tarball: its name and SHA-256 from the source index.
	read -r orig sum < <(apt-get -c "$apt_dir/etc/apt.conf" -qq source --print-uris \
		"$src_pkg=$ver" | awk '$2 ~ /\.orig\.tar\.[a-z0-9]+$/ {
			for (i = 4; i <= NF; i++) if ($i ~ /^SHA256:/) { sub(/^SHA256:/, "", $i); print $2, $i } }') ||
		true
	[ -n "${orig:-}" ] || die "cost plugin: no source package $src_pkg $ver in $suite"
	if [ ! -f "$dir/dl/$orig" ] ||
		! echo "$sum  $dir/dl/$orig" | sha256sum -c --quiet 2>/dev/null; then
		log "cost plugin: apt-get source --download-only $src_pkg=$ver (the upstream tarball is enough)"
		(cd "$dir/dl" && apt-get -c "$apt_dir/etc/apt.conf" -qq source --download-only \
			"$src_pkg=$ver" >&2 2>/dev/null) || true
	fi
	[ -f "$dir/dl/$orig" ] || die "cost plugin: could not download $orig"
	echo "$sum  $dir/dl/$orig" | sha256sum -c --quiet ||
		die "cost plugin: $orig does not match its SHA-256 in the source index"
	rm -rf "$hdr_dir.tmp"
	mkdir -p "$hdr_dir.tmp"
	tar -C "$hdr_dir.tmp" -xf "$dir/dl/$orig" --wildcards --strip-components=3 \
		'*/include/qemu/qemu-plugin.h' ||
		die "cost plugin: $orig has no include/qemu/qemu-plugin.h"
	rm -rf "$hdr_dir"
	mv "$hdr_dir.tmp" "$hdr_dir"
	rm -f "$dir/dl/$orig"
fi

out=$RVNET_ROOT/build/cost
so=$out/rvnet-cost.so
mkdir -p "$out"
if [ ! -f "$so" ] || [ "$RVNET_ROOT/qemu/plugin/cost.c" -nt "$so" ] || [ "$header" -nt "$so" ]; then
	log "cost plugin: building $so (QEMU $ver's plugin API)"
	# shellcheck disable=SC2046 # pkg-config's flags are words
	gcc -O2 -g -Wall -Wextra -Wno-unused-parameter -Werror -shared -fPIC -std=gnu11 \
		-I "$hdr_dir" $(pkg-config --cflags glib-2.0) -o "$so.tmp" \
		"$RVNET_ROOT/qemu/plugin/cost.c" $(pkg-config --libs glib-2.0) ||
		die "cost plugin: building qemu/plugin/cost.c failed"
	mv "$so.tmp" "$so"
fi
echo "$so"
