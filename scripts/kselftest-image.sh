#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the guest initramfs of `make kselftest`: a Debian trixie userland that runs the kernel's
# own netdev driver selftests (tools/testing/selftests/drivers/net) in a QEMU microvm.
#
# The image is two or three gzip cpio archives, concatenated (the kernel unpacks one after the
# other):
#
# 1. The base, cached in $RVNET_CACHE/kselftest/base-HASH.cpio.gz, HASH covering every input
#    (this script, the package list, the kernel source version and the test files copied
#    from it): rebuilt only when one of them changes.
#    - /usr, /etc: python3, python3-yaml, iproute2, ethtool, socat, iputils-ping, bash, dash,
#      kmod, coreutils, procps, util-linux, mount, iperf3, bpftool, ... and their dependency closure,
#      from trixie. apt runs on a private tree ($RVNET_CACHE/kselftest/apt: its own sources
#      with the mirror the machine uses for bookworm, an empty dpkg status, its own lists
#      and archives, none of the host's apt hooks); the host's apt configuration and package
#      state are left alone. Unpacked with dpkg-deb -x
#      (no maintainer scripts), merged /usr, docs and locales pruned, /bin/sh is dash.
#    - /ksrc: the kernel's test files in the source-tree layout the Python library expects
#      (tools/testing/selftests/{drivers/net,net/lib,kselftest*}, of drivers/net/hw only
#      irq.py, csum.py, xsk_reconfig.py, uso.py, tso.py, pp_alloc_fail.py and their lib,
#      tools/net/ynl/pyynl,
#      Documentation/netlink/specs; no kselftest-list.txt), plus the helpers the tests run,
#      built here: napi_id_helper and so_txtime (drivers/net), xdp_helper, gro and csum
#      (net/lib), static against the kernel's UAPI headers, net/lib/xdp_dummy.bpf.o and
#      net/lib/xdp_native.bpf.o (clang --target=bpf, bpf_helpers.h from tools/lib/bpf;
#      xdp_native's bpf_xdp_pull_data() and bpf_printk() stubbed: see below).
#    - Every .py byte-compiled by the trixie python3 itself (run through its own ld.so), so
#      no guest run compiles anything.
# 2. With --netpoll only, the netpoll layer: what netpoll_basic.py needs beyond the base
#    (bpftrace with LLVM and clang, 190 MB unpacked; forky's ethtool), cached in
#    $RVNET_CACHE/kselftest/netpoll-HASH.cpio.gz.
# 3. The overlay, rebuilt on every call (seconds): /init (qemu/kselftest/init), the guest
#    scripts (/kselftest/*.sh and *.py from qemu/kselftest/, and /rvnet/lib.sh, the helpers
#    of the other guest scripts, from qemu/guest/lib.sh), rvnet_xdp.sh's XDP programs (built
#    from qemu/kselftest/rvnet_xdp.bpf.c, one object per verdict), /dev/console, and the modules in
#    /kselftest/modules: virtio, virtio_ring, virtio_mmio, virtio_net and their
#    dependencies from the test kernel, and the current rvnet.ko of this clone.
#
# Usage: scripts/kselftest-image.sh [--netpoll] [OUT.cpio.gz]
#        (default OUT: build/kselftest-initramfs.cpio.gz)
# Prints the path of the image on stdout; everything else goes to stderr.
# KDIR=... overrides the test kernel tree, RVNET_KO=FILE the module (RVNET_KO= none: the image of a
# self-check, which runs the in-tree driver only).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

WITH_NETPOLL=0
[ "${1:-}" = --netpoll ] && { WITH_NETPOLL=1; shift; }
OUT=${1:-$RVNET_ROOT/build/kselftest-initramfs.cpio.gz}
KDIR=${KDIR:-$(kbuild_dir test)}
KST=$RVNET_CACHE/kselftest
APT_DIR=$KST/apt
SUITE=trixie

# The guest's packages. The closure also pulls in what only dpkg's maintainer scripts, a login
# or programs the tests never run need (sqlite and Berkeley DB for Python's _sqlite3 and _dbm
# and iproute2's arpd, lastlog2); those are not unpacked (SKIP_PKGS).
PKGS=(python3 python3-yaml iproute2 ethtool socat iputils-ping bash dash kmod coreutils procps
	util-linux mount iperf3 sed grep mawk findutils netbase bpftool)
SKIP_PKGS=(adduser debconf dpkg init-system-helpers passwd tar login.defs libpam-modules
	libpam-modules-bin libpam-runtime libsemanage-common libsemanage2 libdebconfclient0
	tzdata openssl-provider-legacy base-passwd liblastlog2-2 libsqlite3-0 libdb5.3t64)
# The test files, relative to the kernel source: copied into /ksrc as they are.
KSRC_FILES=(tools/testing/selftests/drivers/net tools/testing/selftests/net/lib
	tools/testing/selftests/kselftest.h tools/testing/selftests/kselftest
	tools/testing/selftests/kselftest_harness.h tools/net/ynl/pyynl
	Documentation/netlink/specs)
# The directories of drivers/net the tests do not use (other drivers' tests, hw-only).
DRV_NET_SKIP=(bonding dsa microchip mlxsw netconsole netdevsim ocelot team virtio_net)
# Of drivers/net/hw (tests for real NICs), what make kselftest runs; the rest is not copied.
DRV_NET_HW_KEEP=(irq.py csum.py xsk_reconfig.py uso.py tso.py pp_alloc_fail.py lib)
# The helper programs the tests run, relative to tools/testing/selftests (built from NAME.c).
HELPERS=(drivers/net/napi_id_helper drivers/net/so_txtime net/lib/xdp_helper net/lib/gro
	net/lib/csum)
# Modules of the overlay: what insmod needs for the in-tree C driver pair.
MODULES=(virtio virtio_ring virtio_mmio virtio_net)

[ -f "$KSRC_DIR/Makefile" ] || die "no kernel source in $KSRC_DIR: run scripts/kernel.sh test"
mkdir -p "$KST" "$(dirname "$OUT")"

# --- the base ----------------------------------------------------------------------------

ksrc_ver=$(dpkg-query -W -f '${Version}' "$KSRC_PKG" 2>/dev/null || echo unknown)
base_hash=$({
	sed '/^# --- the netpoll layer/q' "$0"
	echo "${PKGS[*]} / ${SKIP_PKGS[*]} / $ksrc_ver"
	(cd "$KSRC_DIR" && find "${KSRC_FILES[@]}" -type f -print0 | LC_ALL=C sort -z |
		xargs -0 sha256sum)
} | sha256sum | cut -c1-16)
BASE=$KST/base-$base_hash.cpio.gz

# apt_private ARGS...: apt-get on the private tree (lib.sh's private_apt_tree, made by
# fetch_packages).
apt_private() {
	apt-get -c "$APT_DIR/etc/apt.conf" "$@"
}

# apt_prepare [DIR SUITE]: the private tree DIR (default $APT_DIR) on SUITE alone (default
# $SUITE), with its lists brought up to date.
apt_prepare() {
	local uri dir=${1:-$APT_DIR} suite=${2:-$SUITE}
	uri=$(bookworm_mirror)
	private_apt_tree "$dir" "for the guest of make kselftest"
	cat >"$dir/etc/sources.list.d/$suite.sources" <<SRC
# Written by rvnet's scripts/kselftest-image.sh: the guest userland of make kselftest.
Types: deb
URIs: $uri
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	log "kselftest image: apt-get update ($suite from $uri, private tree $dir)"
	apt-get -c "$dir/etc/apt.conf" -qq update >&2 ||
		die "apt-get update of the private $suite tree failed"
}

# fetch_packages PKG...: downloads the packages and their closure into $APT_DIR/archives (after
# apt_prepare); prints the .deb files of this resolution (the archive directory may hold
# older versions too).
fetch_packages() {
	log "kselftest image: downloading $* and their dependencies"
	apt_private -qq install --download-only --no-install-recommends -y "$@" >&2 ||
		die "apt-get install --download-only failed"
	# The resolution, as apt prints it: "Inst PKG (VERSION ...)".
	apt_private -q install --simulate --no-install-recommends -y "$@" |
		awk '$1 == "Inst" { v = $3; sub(/^\(/, "", v); print $2, v }' |
		while read -r pkg ver; do
			ver=${ver//:/%3a}
			ls "$APT_DIR/archives/${pkg}_${ver}_"*.deb 2>/dev/null ||
				die "no .deb for $pkg $ver in $APT_DIR/archives"
		done
}

# The kernel's UAPI headers (make headers, into a scratch tree: no kernel build, and unlike
# headers_install no rsync), once per kernel source version.
uapi_headers() {
	local dir=$KST/uapi-$ksrc_ver
	if [ ! -f "$dir/.done" ]; then
		log "kselftest image: make headers (the kernel's UAPI headers) in $dir"
		rm -rf "$dir"
		make -s -C "$KSRC_DIR" O="$dir" ARCH=x86_64 headers >&2 || die "make headers failed"
		touch "$dir/.done"
	fi
	echo "$dir/usr/include"
}

build_base() {
	local root=$KST/root work=$KST/work debs deb name hdr py pyver ldso
	rm -rf "$root" "$work"
	mkdir -p "$root" "$work"

	apt_prepare
	debs=$(fetch_packages "${PKGS[@]}")
	log "kselftest image: unpacking $(echo "$debs" | wc -l) packages into $root"
	for deb in $debs; do
		name=$(basename "$deb")
		name=${name%%_*}
		[[ " ${SKIP_PKGS[*]} " == *" $name "* ]] && continue
		dpkg-deb -x "$deb" "$root" || die "dpkg-deb -x $deb failed"
	done

	# Merged /usr: trixie's packages ship (almost) everything under usr/ already.
	for d in bin sbin lib lib64; do
		if [ -d "$root/$d" ] && [ ! -L "$root/$d" ]; then
			mkdir -p "$root/usr/$d"
			cp -a "$root/$d/." "$root/usr/$d/"
			rm -rf "${root:?}/$d"
		fi
		mkdir -p "$root/usr/$d"
		[ -L "$root/$d" ] || ln -s "usr/$d" "$root/$d"
	done
	# /bin/sh is dash (the tests' cmd(shell=True) and the stats loops run through it), and
	# the links update-alternatives would have made.
	ln -sf dash "$root/usr/bin/sh"
	ln -sf mawk "$root/usr/bin/awk"
	ln -sf which.debianutils "$root/usr/bin/which"
	[ -x "$root/usr/bin/bash" ] && [ -x "$root/usr/bin/dash" ] || die "no bash or dash in $root"
	[ -x "$root/usr/bin/ip" ] || [ -x "$root/usr/sbin/ip" ] || die "no ip in $root"

	# What nothing here reads: documentation, translations, and the parts of Python's
	# standard library that neither the test library nor what it imports uses (test suites,
	# GUI, REPL, asyncio, XML, HTTP, databases, C-API test modules).
	local pylib
	pylib=$(echo "$root"/usr/lib/python3.[0-9]*)
	rm -rf "$root"/usr/share/{doc,man,info,locale,lintian,bug,bash-completion,zsh,menu} \
		"$root"/usr/share/{common-licenses,doc-base,pixmaps,applications,debconf,fish} \
		"$root"/usr/lib/x86_64-linux-gnu/gconv "$root"/var/cache/* "$root"/var/lib/dpkg \
		"$pylib"/{test,idlelib,tkinter,turtledemo,ensurepip,lib2to3,pydoc_data,__phello__} \
		"$pylib"/{_pyrepl,asyncio,xml,xmlrpc,wsgiref,http,html,unittest,sqlite3,dbm,curses} \
		"$pylib"/{venv,turtle.py,_pydecimal.py} \
		"$pylib"/lib-dynload/{_test,xx,_ctypes_test,_curses,_dbm,_sqlite3,_asyncio}*
	# Every program and Python extension must find its libraries; a few that only need a
	# skipped package are not worth keeping.
	rm -f "$root"/usr/sbin/arpd "$root"/usr/bin/{lastlog2,lslogins}
	local f lib bad=0
	while IFS= read -r f; do
		for lib in $(readelf -d "$f" 2>/dev/null |
			sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
			[ -e "$root/usr/lib/x86_64-linux-gnu/$lib" ] || [ -e "$root/usr/lib/$lib" ] ||
				{ log "  ${f#"$root"} needs $lib, which is not in the image"; bad=1; }
		done
	done < <(find "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib" -type f \
		\( -perm -u+x -o -name '*.so*' \) -size +1k)
	[ $bad = 0 ] || die "the image lacks shared libraries (above): adjust SKIP_PKGS"

	# The files packages' maintainer scripts would have made.
	mkdir -p "$root"/{etc,dev,proc,sys,tmp,run,root,var/tmp,mnt}
	ln -sfn /run "$root/var/run"
	echo 'root:x:0:0:root:/root:/bin/bash' >"$root/etc/passwd"
	echo 'root:x:0:' >"$root/etc/group"
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
		>"$root/etc/hosts"
	printf 'passwd: files\ngroup: files\nhosts: files\nnetworks: files\nprotocols: files\nservices: files\n' \
		>"$root/etc/nsswitch.conf"
	echo kselftest >"$root/etc/hostname"

	# The kernel's test files, in the source-tree layout.
	local ksrc=$root/ksrc d
	for d in "${KSRC_FILES[@]}"; do
		mkdir -p "$ksrc/$(dirname "$d")"
		cp -a "$KSRC_DIR/$d" "$ksrc/$d"
	done
	for d in "${DRV_NET_SKIP[@]}"; do
		rm -rf "$ksrc/tools/testing/selftests/drivers/net/$d"
	done
	for d in "$ksrc/tools/testing/selftests/drivers/net/hw"/*; do
		[[ " ${DRV_NET_HW_KEEP[*]} " == *" ${d##*/} "* ]] || rm -rf "$d"
	done
	rm -f "$ksrc/tools/testing/selftests/kselftest-list.txt"
	# hw/pp_alloc_fail.py wants traffic to flow at 4,000 received packets a second, before,
	# while it injects failures and after its ethtool -G: a small fraction of what a real
	# NIC receives. This TCG guest receives some 1,500 (iperf3 -P 16 from B, tap backend),
	# and about half that in the second after a ring resize's device reset. The floor
	# becomes 300, a fifth of the steady rate; the rest of the test is as it is.
	local ppaf=$ksrc/tools/testing/selftests/drivers/net/hw/pp_alloc_fail.py
	sed -i "s/if stat2\['rx-packets'\] - stat1\['rx-packets'\] < 4000:/if stat2['rx-packets'] - stat1['rx-packets'] < 300:/" "$ppaf"
	grep -q "stat1\['rx-packets'\] < 300:" "$ppaf" ||
		die "pp_alloc_fail.py: the packet rate floor to lower is not there"

	# The helpers: static, so the host's bookworm glibc never meets the guest's trixie one.
	hdr=$(uapi_headers)
	# (glibc warns that a static getaddrinfo needs the NSS modules of its own version at run
	# time: napi_id_helper only resolves numeric addresses, which need none.)
	local st=$KSRC_DIR/tools/testing/selftests h cflags=(-static -O2 -Wall -isystem "$hdr"
		-I "$KSRC_DIR/tools/testing/selftests")
	for h in "${HELPERS[@]}"; do
		log "kselftest image: building $h (static)"
		gcc "${cflags[@]}" -I "$st/$(dirname "$h")" -o "$ksrc/tools/testing/selftests/$h" \
			"$st/$h.c" >&2 || die "building $h failed"
	done
	# xdp_dummy.bpf.o: libbpf's bpf_helpers.h from the source tree, with the helper
	# declarations it includes generated the way tools/lib/bpf/Makefile does.
	mkdir -p "$work/bpf/bpf"
	cp "$KSRC_DIR/tools/lib/bpf/bpf_helpers.h" "$work/bpf/bpf/"
	python3 "$KSRC_DIR/scripts/bpf_doc.py" --header \
		--file "$KSRC_DIR/include/uapi/linux/bpf.h" >"$work/bpf/bpf/bpf_helper_defs.h" ||
		die "generating bpf_helper_defs.h failed"
	# bpf_obj SRC NAME: net/lib/NAME.bpf.o of the image, from SRC.
	bpf_obj() {
		log "kselftest image: building net/lib/$2.bpf.o (clang-$LLVM_VER --target=bpf)"
		"clang-$LLVM_VER" --target=bpf -O2 -g -isystem "$hdr" -I "$work/bpf" -c "$1" \
			-o "$ksrc/tools/testing/selftests/net/lib/$2.bpf.o" >&2 ||
			die "building $2.bpf.o failed"
	}
	bpf_obj "$st/net/lib/xdp_dummy.bpf.c" xdp_dummy
	# xdp_native.bpf.o (xdp.py), with two changes the test kernel needs:
	# - it calls the kfunc bpf_xdp_pull_data(), and a kfunc needs the kernel's BTF, which the
	#   test kernel does not carry (no DEBUG_INFO: its build would take far longer). That one
	#   declaration becomes a stub that pulls nothing and succeeds. Both drivers hand XDP the
	#   packet's headers in the first buffer, so the bounds checks that follow every pull
	#   still pass; a driver that did not would fail those checks, not pass by the stub.
	# - bpf_printk() (on an adjustment offset the test never sets) needs bpf_trace_printk(),
	#   which needs BPF_EVENTS (ftrace, kprobe events): it prints nothing here.
	cp "$KSRC_DIR/tools/lib/bpf/bpf_endian.h" "$work/bpf/bpf/"
	sed -e 's/^extern int bpf_xdp_pull_data(struct xdp_md \*xdp, __u32 len) __ksym __weak;$/static __always_inline int bpf_xdp_pull_data(struct xdp_md *xdp, __u32 len) { return 0; }\n#undef bpf_printk\n#define bpf_printk(fmt, ...) ((void)0)/' \
		"$st/net/lib/xdp_native.bpf.c" >"$work/bpf/xdp_native.bpf.c"
	grep -q '^static __always_inline int bpf_xdp_pull_data' "$work/bpf/xdp_native.bpf.c" ||
		die "xdp_native.bpf.c: the bpf_xdp_pull_data() declaration to stub is not there"
	bpf_obj "$work/bpf/xdp_native.bpf.c" xdp_native

	# Byte-compile every .py with the guest's own python3, run through its own ld.so on the
	# host (one process: a worker would be started without that ld.so). unchecked-hash: the
	# .pyc files are used as they are, whatever the sources' mtimes.
	py=$(cd "$root/usr/bin" && ls python3.[0-9]* | grep -E '^python3\.[0-9]+$' | head -n1)
	[ -n "$py" ] || die "no python3.X in $root/usr/bin"
	ldso=$root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
	log "kselftest image: byte-compiling with the guest's $py"
	PYTHONHOME=$root/usr PYTHONDONTWRITEBYTECODE=1 "$ldso" \
		--library-path "$root/usr/lib/x86_64-linux-gnu" "$root/usr/bin/$py" \
		-m compileall -q --invalidation-mode unchecked-hash \
		-s "$root" -p / "$root/usr/lib/$py" "$root/usr/lib/python3" "$root/ksrc" >&2 ||
		die "byte-compiling failed"
	pyver=$(PYTHONHOME=$root/usr "$ldso" --library-path "$root/usr/lib/x86_64-linux-gnu" \
		"$root/usr/bin/$py" -c 'import sys, yaml; print(sys.version.split()[0], yaml.__version__)')
	log "kselftest image: python $pyver (python, yaml)"

	log "kselftest image: writing $BASE"
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -n -6 >"$BASE.tmp"
	mv "$BASE.tmp" "$BASE"
	# Older bases are of no use any more.
	find "$KST" -maxdepth 1 -name 'base-*.cpio.gz' ! -name "$(basename "$BASE")" -delete
	rm -rf "$root" "$work"
}

# build_once WHAT FILE FUNCTION: FILE as cached, or built by FUNCTION (timed) if it is missing.
build_once() {
	local start
	if [ -f "$2" ]; then
		log "kselftest image: $1 up to date ($2)"
	else
		start=$(date +%s)
		"$3"
		log "kselftest image: $1 built in $(( $(date +%s) - start ))s ($(du -k "$2" | cut -f1) KiB)"
	fi
}

# One build at a time: a second caller waits for the first and then finds the base built.
exec 9>"$KST/.lock"
flock 9
build_once base "$BASE" build_base

# --- the netpoll layer --------------------------------------------------------------------

# What netpoll_basic.py needs beyond the base, cached like it in
# $RVNET_CACHE/kselftest/netpoll-HASH.cpio.gz (HASH: this section and the base's hash), and
# only in the images of runs that run that test (--netpoll):
# - bpftrace, which counts the calls of netpoll_poll_dev() (a kprobe). It links LLVM and
#   clang: some 190 MB unpacked, more than twice the base. Of the packages the base lacks,
#   only the files it needs are kept, found by following DT_NEEDED entries (libclang-cpp,
#   libbcc and bpftrace's own scripts stay out).
# - ethtool 7.2 from forky, in /opt/forky/sbin: the test reads the channel counts with
#   `ethtool --json -l`, and trixie's ethtool (6.14) has no JSON output for -l. run.sh puts
#   it first in PATH for netpoll_basic only: every other test keeps trixie's ethtool, which
#   its results were taken with. Its libraries (libmnl, glibc 2.34 or later) are the base's.
LAYER_PKGS=(bpftrace)
LAYER_FORKY_PKGS=(ethtool)
LAYER_PROGS=(usr/bin/bpftrace opt/forky/sbin/ethtool)
FORKY_APT_DIR=$KST/apt-forky
LAYER=$KST/netpoll-$({ sed -n '/^# --- the netpoll layer/,/^# --- the overlay/p' "$0"
	echo "$base_hash"; } | sha256sum | cut -c1-16).cpio.gz

build_layer() {
	local root=$KST/layer-root base_debs all_debs deb f lib real
	local -a todo keep=()
	local -A seen=() in_base=()
	rm -rf "$root" "$root.forky"
	mkdir -p "$root" "$root.forky"
	apt_prepare
	base_debs=$(fetch_packages "${PKGS[@]}")
	all_debs=$(fetch_packages "${PKGS[@]}" "${LAYER_PKGS[@]}")
	for deb in $(comm -13 <(sort <<<"$base_debs") <(sort <<<"$all_debs")); do
		dpkg-deb -x "$deb" "$root" || die "dpkg-deb -x $deb failed"
	done
	# The forky packages alone, without their dependencies: the closure below checks that
	# the base has the libraries they need.
	apt_prepare "$FORKY_APT_DIR" forky
	log "kselftest image: downloading ${LAYER_FORKY_PKGS[*]} (forky)"
	(cd "$root.forky" && apt-get -c "$FORKY_APT_DIR/etc/apt.conf" -qq download \
		"${LAYER_FORKY_PKGS[@]}" >&2) ||
		die "apt-get download ${LAYER_FORKY_PKGS[*]} (forky) failed"
	for deb in "$root.forky"/*.deb; do
		dpkg-deb -x "$deb" "$root.forky/root" || die "dpkg-deb -x $deb failed"
	done
	mkdir -p "$root/opt/forky"
	cp -a "$root.forky/root/usr/sbin" "$root/opt/forky/"
	while IFS= read -r f; do in_base[${f#./}]=1; done < <(zcat "$BASE" | cpio --quiet -t)
	# The closure: each program or library kept brings the libraries it needs that the base
	# does not have (a symlink brings its target).
	todo=("${LAYER_PROGS[@]}")
	while [ ${#todo[@]} -gt 0 ]; do
		f=${todo[0]}
		todo=("${todo[@]:1}")
		[ -n "${seen[$f]:-}" ] && continue
		seen[$f]=1
		[ -e "$root/$f" ] || die "netpoll layer: no $f in its packages"
		keep+=("$f")
		real=$(realpath --relative-base="$root" "$root/$f")
		case $real in /*) die "netpoll layer: $f points outside the layer ($real)" ;; esac
		[ "$real" = "$f" ] || { todo+=("$real"); continue; }
		for lib in $(readelf -d "$root/$f" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
			if [ -e "$root/usr/lib/x86_64-linux-gnu/$lib" ]; then
				todo+=("usr/lib/x86_64-linux-gnu/$lib")
			elif [ -z "${in_base[usr/lib/x86_64-linux-gnu/$lib]:-}" ] &&
				[ -z "${in_base[usr/lib/$lib]:-}" ]; then
				die "netpoll layer: $f needs $lib, in neither the base nor the layer"
			fi
		done
	done
	log "kselftest image: netpoll layer of ${#keep[@]} files: ${keep[*]}"
	# Each kept file with the directories above it (unpacking over the base's is harmless).
	(cd "$root" && for f in "${keep[@]}"; do
		d=$(dirname "$f")
		while [ "$d" != . ]; do echo "$d"; d=$(dirname "$d"); done
		echo "$f"
	done | LC_ALL=C sort -u | cpio --quiet -o -H newc -R 0:0 --reproducible) |
		gzip -n -6 >"$LAYER.tmp"
	mv "$LAYER.tmp" "$LAYER"
	find "$KST" -maxdepth 1 -name 'netpoll-*.cpio.gz' ! -name "$(basename "$LAYER")" -delete
	rm -rf "$root" "$root.forky"
}

layers=("$BASE")
if [ "$WITH_NETPOLL" = 1 ]; then
	build_once "netpoll layer" "$LAYER" build_layer
	layers+=("$LAYER")
fi

# --- the overlay --------------------------------------------------------------------------

[ -x "$KDIR/usr/gen_init_cpio" ] && [ -f "$KDIR/.rvnet-done" ] ||
	die "no finished test kernel in $KDIR: build it first (make kernel)"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

collect_modules "$WORK/modules.dep" "${MODULES[@]}"

# rvnet_xdp.sh's programs: one object per verdict (qemu/kselftest/rvnet_xdp.bpf.c).
# Built in the clone, with paths relative to it, so that the image does not depend on where
# the clone is or on the caller's directory (a self-check's image is the key of its result:
# scripts/kselftest.sh).
for prog in drop aborted redirect_none redirect redirect_map tx edit tx_frags edit_frags \
	redirect_frags; do
	defs=(-D"RVNET_XDP_$(echo "${prog%_frags}" | tr a-z A-Z)")
	[ "$prog" = "${prog%_frags}" ] || defs+=(-DRVNET_FRAGS)
	(cd "$RVNET_ROOT" && "clang-$LLVM_VER" --target=bpf -O2 -g -ffile-prefix-map="$RVNET_ROOT"=. \
		-isystem "$(uapi_headers)" "${defs[@]}" -c qemu/kselftest/rvnet_xdp.bpf.c \
		-o "$WORK/rvnet_xdp_$prog.bpf.o") >&2 || die "building rvnet_xdp_$prog.bpf.o failed"
done
[ -n "${ko_added[rvnet]:-}" ] || [ "${RVNET_KO-unset}" = "" ] ||
	log "kselftest image: no ${RVNET_KO:-$RVNET_ROOT/rvnet.ko}: the guest cannot run rvnet"

{
	echo "dir /dev 0755 0 0"
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "dir /kselftest 0755 0 0"
	echo "dir /kselftest/modules 0755 0 0"
	echo "file /init $RVNET_ROOT/qemu/kselftest/init 0755 0 0"
	echo "dir /rvnet 0755 0 0"
	echo "file /rvnet/lib.sh $RVNET_ROOT/qemu/guest/lib.sh 0644 0 0"
	for f in "$RVNET_ROOT"/qemu/kselftest/*.sh "$RVNET_ROOT"/qemu/kselftest/*.py \
		"$WORK"/*.bpf.o; do
		echo "file /kselftest/$(basename "$f") $f 0755 0 0"
	done
	for name in $(printf '%s\n' "${!ko_added[@]}" | LC_ALL=C sort); do
		echo "file /kselftest/modules/$name.ko ${ko_added[$name]} 0644 0 0"
	done
	echo "file /kselftest/modules/modules.dep $WORK/modules.dep 0644 0 0"
} >"$WORK/cpio.list"
"$KDIR/usr/gen_init_cpio" -t 0 "$WORK/cpio.list" | gzip -n -9 >"$WORK/overlay.cpio.gz"

cat "${layers[@]}" "$WORK/overlay.cpio.gz" >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
log "kselftest image: $OUT ($(du -k "$OUT" | cut -f1) KiB; modules: $(printf '%s\n' "${!ko_added[@]}" | LC_ALL=C sort | xargs))"
echo "$OUT"
