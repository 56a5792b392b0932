# SPDX-License-Identifier: GPL-2.0
# Shared settings for rvnet's scripts: where things are cached, which kernel, which tools.
# Sourced, never run.

# Everything built or installed outside the git clone lives here, so a fresh clone on the
# same machine (CI) reuses it.
RVNET_CACHE=${RVNET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rvnet}
RVNET_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The pinned kernel and toolchain.
KVER_SERIES=7.3
KSRC_PKG=linux-source-$KVER_SERIES
KSRC_TARBALL=/usr/src/linux-source-$KVER_SERIES.tar.xz
LLVM_VER=19
BINDGEN_VER=0.72.1
RUST_TOOLCHAIN_NAME=rvnet-debian
RUSTC=/usr/bin/rustc
BINDGEN=$RVNET_CACHE/cargo/bin/bindgen
export LIBCLANG_PATH=/usr/lib/llvm-$LLVM_VER/lib
export PATH=/usr/lib/llvm-$LLVM_VER/bin:$PATH

# The unpacked kernel source, and one build tree per (kernel, fragment) pair.
KSRC_DIR=$RVNET_CACHE/src/linux-source-$KVER_SERIES

log() { printf '[rvnet] %s\n' "$*" >&2; }
die() { printf '[rvnet] error: %s\n' "$*" >&2; exit 1; }

# kbuild_dir FLAVOUR: the build tree for the fragment qemu/FLAVOUR.config, keyed by the
# kernel source version and the hash of the fragments that make it.
kbuild_dir() {
	local flavour=${1:-test} ksrc_ver frag_hash
	ksrc_ver=$(dpkg-query -W -f '${Version}' "$KSRC_PKG" 2>/dev/null || echo unknown)
	frag_hash=$(cat "$RVNET_ROOT/qemu/base.config" "$RVNET_ROOT/qemu/$flavour.config" |
		sha256sum | cut -c1-12)
	echo "$RVNET_CACHE/kbuild/$KVER_SERIES-$ksrc_ver-$flavour-$frag_hash"
}

# The Debian mirror URI this machine uses for bookworm (deb822 or one-line sources): deps.sh adds
# the backports suites with it, scripts/kselftest-image.sh fetches the trixie guest userland
# from it. No registry host is written down anywhere else.
bookworm_mirror() {
	local f uri=""
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk 'BEGIN { RS = "" }
			/(^|\n)Suites:[^\n]*[ \t]bookworm([ \t]|\n|$)/ &&
			!/(^|\n)Enabled:[ \t]*no/ {
				for (i = 1; i <= NF; i++) if ($i == "URIs:") { print $(i + 1); exit }
			}' "$f")
		[ -n "$uri" ] && break
	done
	if [ -z "$uri" ]; then
		uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }')
	fi
	[ -n "$uri" ] || die "no bookworm entry in the apt sources: cannot tell which mirror to use"
	echo "$uri"
}

# collect_modules DEPFILE NAME...: the modules NAME of the kernel tree $KDIR, every module they
# depend on, and rvnet.ko ($RVNET_KO, default the repository's) if it is built, into the
# global map ko_added (module name -> file); their "NAME: DEP..." lines, sorted, go to
# DEPFILE, which load_module in qemu/guest/lib.sh reads (the guests insmod, not modprobe).
collect_modules() {
	local depfile=$1 ko name
	shift
	declare -gA ko_added=()
	# Every module of the kernel tree, by module name (which has '_' where a file name may
	# have '-').
	declare -A ko_path=()
	while IFS= read -r ko; do
		name=$(basename "$ko" .ko)
		ko_path[${name//-/_}]=$ko
	done < <(find "$KDIR" -name '*.ko')
	: >"$depfile"
	# _collect_add NAME FILE: FILE as NAME.ko, then whatever it depends on.
	_collect_add() {
		local name=$1 file=$2 deps dep
		[ -n "${ko_added[$name]:-}" ] && return
		ko_added[$name]=$file
		deps=$(modinfo -F depends "$file")
		echo "$name: ${deps//,/ }" >>"$depfile"
		for dep in ${deps//,/ }; do
			[ -n "${ko_path[$dep]:-}" ] || die "$name needs $dep, which $KDIR did not build"
			_collect_add "$dep" "${ko_path[$dep]}"
		done
	}
	for name in "$@"; do
		[ -n "${ko_path[$name]:-}" ] || die "no $name.ko in $KDIR (is CONFIG_${name^^}=m?)"
		_collect_add "$name" "${ko_path[$name]}"
	done
	ko=${RVNET_KO:-$RVNET_ROOT/rvnet.ko}
	if [ -f "$ko" ]; then _collect_add rvnet "$ko"; fi
	unset -f _collect_add
	LC_ALL=C sort -o "$depfile" "$depfile"
}
