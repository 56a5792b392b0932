#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make deps: install rvnet's pinned toolchain, from package registries only.
#
# - Debian bookworm: rustc-web, rust-web-src (+ cargo, clippy, rustfmt of the same release),
#   clang/lld/llvm 19, kernel build packages (pahole from dwarves: the test kernel's BTF),
#   busybox-static, dkms (make test builds rvnet with it); with the argument "bench",
#   python3-matplotlib too (make bench draws its chart with it), and libglib2.0-dev with
#   pkg-config (make bench BACKEND=cost builds its QEMU plugin against them).
# - bookworm-backports: qemu-system-x86 (microvm with virtio-mmio v2 and ACPI enumeration).
# - trixie-backports: linux-source-7.3 (an arch-all tarball).
# - crates.io: bindgen-cli, into the cache directory.
#
# The two backports suites are added with the mirror URI the machine already uses for bookworm,
# pinned so that nothing is ever taken from them unless asked for by explicit suite; the base
# system is never upgraded. Idempotent: with everything present it only checks, in seconds.
# Root is needed only to install packages: every other step writes to the caller's cache.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

BASE_PKGS=(rustc-web rust-web-src cargo-web rust-web-clippy rustfmt-web
	"clang-$LLVM_VER" "lld-$LLVM_VER" "llvm-$LLVM_VER" "libclang-$LLVM_VER-dev"
	bc bison flex libelf-dev libssl-dev cpio kmod make gcc libc6-dev python3 xz-utils
	busybox-static dkms dwarves)
[ "${1:-}" = bench ] && BASE_PKGS+=(python3-matplotlib libglib2.0-dev pkg-config)
BPO_PKGS=(qemu-system-x86)
KSRC_PKGS=("$KSRC_PKG")
SOURCES=/etc/apt/sources.list.d/rvnet-backports.sources
PREFS=/etc/apt/preferences.d/rvnet-backports

# The host: what rvnet is made for, and room for it.
host_checks() {
	local id= version= arch avail
	[ -r /etc/os-release ] && . /etc/os-release && id=${ID:-} version=${VERSION_ID:-}
	arch=$(uname -m)
	if [ "$id" != debian ] || [ "$version" != 12 ] || [ "$arch" != x86_64 ]; then
		die "this host is ${PRETTY_NAME:-$id $version} on $arch; rvnet's scripts need Debian 12" \
			"(bookworm) on x86_64: its package suites, and the host's busybox and static tools" \
			"copied into an x86_64 guest. Use a Debian 12 x86_64 machine, VM or container," \
			"or build against your own kernel: make KDIR=... (docs/deploying.md)"
	fi
	mkdir -p "$RVNET_CACHE"
	avail=$(df -Pk "$RVNET_CACHE" | awk 'NR == 2 { print int($4 / 1048576) }')
	if [ ! -d "$KSRC_DIR" ] && [ "${avail:-0}" -lt 4 ]; then
		die "only ${avail} GB free for $RVNET_CACHE: the kernel source and build trees take" \
			"about 4 GB there (set RVNET_CACHE to a larger disk)"
	fi
}
host_checks

# Packages of LIST not installed yet.
missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q '^install ok installed' ||
			echo "$p"
	done
}

add_suites() {
	local uri
	uri=$(bookworm_mirror)
	log "adding apt suites bookworm-backports and trixie-backports from $uri"
	cat >"$SOURCES" <<SRC
# Added by rvnet's scripts/deps.sh. Only packages named by suite are taken from here.
Types: deb
URIs: $uri
Suites: bookworm-backports trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	# Never let these suites replace a base package: priority 1 means "only when asked".
	cat >"$PREFS" <<PREF
Package: *
Pin: release n=trixie-backports
Pin-Priority: 1

Package: *
Pin: release n=bookworm-backports
Pin-Priority: 100
PREF
	apt-get update -qq || die "apt-get update failed (suites added from $uri)"
}

# apt_install MODE SUITE PKG...: MODE "-t" takes the packages and the dependencies that suite
# has from it (right for bookworm-backports, built for this base); MODE "/" takes only the named
# packages from SUITE (right for trixie-backports: "-t" there would upgrade base packages
# such as linux-libc-dev).
apt_install() {
	local mode=$1 suite=$2 p args=()
	shift 2
	[ $# -gt 0 ] || return 0
	log "installing${suite:+ from $suite}: $*"
	case "$mode" in
	-t) args=(-t "$suite" "$@") ;;
	/) for p in "$@"; do args+=("$p/$suite"); done ;;
	*) args=("$@") ;;
	esac
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${args[@]}" >/dev/null ||
		die "apt-get install${suite:+ from $suite} failed for: $*"
}

did=0
mapfile -t need_base < <(missing "${BASE_PKGS[@]}")
mapfile -t need_bpo < <(missing "${BPO_PKGS[@]}")
mapfile -t need_ksrc < <(missing "${KSRC_PKGS[@]}")

if [ ${#need_base[@]} -gt 0 ] || [ ${#need_bpo[@]} -gt 0 ] || [ ${#need_ksrc[@]} -gt 0 ]; then
	# Only installing packages needs root; everything else (bindgen, the kernel, the module,
	# the guests) goes into the caller's own cache.
	[ "$(id -u)" = 0 ] ||
		die "packages missing: ${need_base[*]} ${need_bpo[*]} ${need_ksrc[*]}; install them as root" \
			"(sudo make deps), then run make as yourself"
	did=1
	if [ ! -f "$SOURCES" ]; then
		add_suites
	else
		apt-get update -qq || die "apt-get update failed"
	fi
	apt_install "" "" "${need_base[@]}"
	apt_install -t bookworm-backports "${need_bpo[@]}"
	apt_install / trixie-backports "${need_ksrc[@]}"
fi

# Debian's rustc as a rustup toolchain, so rust-toolchain.toml can name it.
if command -v rustup >/dev/null 2>&1; then
	if ! rustup toolchain list 2>/dev/null | grep -q "^$RUST_TOOLCHAIN_NAME"; then
		did=1
		log "linking Debian's rustc as rustup toolchain $RUST_TOOLCHAIN_NAME"
		rustup toolchain link "$RUST_TOOLCHAIN_NAME" /usr ||
			die "rustup toolchain link $RUST_TOOLCHAIN_NAME /usr failed"
	fi
fi

# bindgen-cli, pinned, built with Debian's cargo into the cache.
if ! "$BINDGEN" --version 2>/dev/null | grep -q " $BINDGEN_VER\$"; then
	did=1
	log "installing bindgen-cli $BINDGEN_VER into $RVNET_CACHE/cargo"
	mkdir -p "$RVNET_CACHE/cargo"
	/usr/bin/cargo install --locked --quiet --root "$RVNET_CACHE/cargo" \
		bindgen-cli --version "$BINDGEN_VER" ||
		die "cargo install bindgen-cli $BINDGEN_VER failed"
fi

# Sanity: the versions the kernel needs.
"$RUSTC" --version | grep -q '^rustc 1\.' || die "$RUSTC does not run"
[ -d "$("$RUSTC" --print sysroot)/lib/rustlib/src/rust/library/core" ] ||
	die "rust-web-src did not provide core's sources under $("$RUSTC" --print sysroot)"
[ -f "$KSRC_TARBALL" ] || die "$KSRC_PKG did not provide $KSRC_TARBALL"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing"

if [ $did = 0 ]; then
	log "deps: everything present ($("$RUSTC" --version | cut -d' ' -f2), bindgen $BINDGEN_VER, clang $LLVM_VER, $(qemu-system-x86_64 --version | head -1 | cut -d' ' -f4), $KSRC_PKG)"
else
	log "deps: installed ($("$RUSTC" --version | cut -d' ' -f2), bindgen $BINDGEN_VER, clang $LLVM_VER, $(qemu-system-x86_64 --version | head -1 | cut -d' ' -f4), $KSRC_PKG)"
fi
