#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make kernel: unpack Debian's linux-source and build a test kernel out of tree from
# tinyconfig + qemu/base.config + qemu/$FLAVOUR.config, in a cache directory keyed by kernel
# version and fragment hash. A finished build is reused; an interrupted one resumes.
#
# Usage: scripts/kernel.sh [FLAVOUR]      (default: test)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Called from make (e.g. `make CLIPPY=1` on a missing kernel): the caller's variables must not
# leak into the kernel build, which is always a plain build with the pinned tools.
unset MAKEFLAGS MFLAGS MAKELEVEL CLIPPY KBUILD_EXTMOD
FLAVOUR=${1:-test}
[ -f "$RVNET_ROOT/qemu/$FLAVOUR.config" ] || die "no fragment qemu/$FLAVOUR.config"
B=$(kbuild_dir "$FLAVOUR")
KMAKE=(make -C "$KSRC_DIR" O="$B" ARCH=x86_64 LLVM=1 RUSTC="$RUSTC" BINDGEN="$BINDGEN")

# One build per tree at a time: a second caller waits for the first and then finds it done.
mkdir -p "$(dirname "$B")"
exec 9>"$B.lock"
if ! flock -n 9; then
	log "kernel ($FLAVOUR): another build of $B holds its lock ($B.lock); waiting for it to finish"
	flock 9
fi

if [ -f "$B/.rvnet-done" ] && [ -f "$B/arch/x86/boot/bzImage" ]; then
	kbuild_relocate "$B"
	log "kernel ($FLAVOUR): up to date in $B"
	exit 0
fi

if [ ! -f "$KSRC_DIR/Makefile" ]; then
	log "unpacking $KSRC_TARBALL into $KSRC_DIR"
	mkdir -p "$(dirname "$KSRC_DIR")"
	rm -rf "$KSRC_DIR.tmp"
	mkdir -p "$KSRC_DIR.tmp"
	tar -C "$KSRC_DIR.tmp" --strip-components=1 -xf "$KSRC_TARBALL"
	mv "$KSRC_DIR.tmp" "$KSRC_DIR"
fi

mkdir -p "$B"
if [ ! -f "$B/.rvnet-configured" ]; then
	log "kernel ($FLAVOUR): configuring in $B (tinyconfig + base.config + $FLAVOUR.config)"
	"${KMAKE[@]}" -s rustavailable >/dev/null ||
		die "the kernel does not accept the Rust toolchain: run '${KMAKE[*]} rustavailable'"
	"${KMAKE[@]}" -s tinyconfig >/dev/null
	cat "$RVNET_ROOT/qemu/base.config" "$RVNET_ROOT/qemu/$FLAVOUR.config" >"$B/rvnet.fragment"
	(cd "$B" && KCONFIG_CONFIG=.config "$KSRC_DIR/scripts/kconfig/merge_config.sh" -m -O "$B" \
		.config rvnet.fragment >/dev/null)
	"${KMAKE[@]}" -s olddefconfig >/dev/null
	# Every option asked for must have survived olddefconfig (a dependency missing from the
	# fragment silently drops it otherwise).
	bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=n) sym=${line%%=*}
			grep -q "^$sym=" "$B/.config" && { log "  $sym should be unset"; bad=1; } ;;
		CONFIG_*) grep -qx "$line" "$B/.config" ||
			{ log "  $line did not stick: $(grep "^${line%%=*}=" "$B/.config" || echo unset)"; bad=1; } ;;
		esac
	# A later fragment overrides an earlier one's line for the same symbol: the last counts.
	done < <(grep -v '^#' "$B/rvnet.fragment" | grep . |
		awk -F= '{ last[$1] = $0; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
			END { for (i = 1; i <= n; i++) print last[order[i]] }')
	[ $bad = 0 ] || die "kernel config: the fragment did not apply (see above)"
	touch "$B/.rvnet-configured"
fi

# Measured on machines of this project's kind (2 cores): the test kernel (KASAN, lockdep,
# kmemleak) took 10 to 21 minutes, the bench kernel about 23, the firecracker one 5.5.
case $FLAVOUR in
test) eta="10-21 minutes" ;;
bench) eta="about 23 minutes" ;;
firecracker) eta="about 6 minutes" ;;
*) eta="20 minutes or more" ;;
esac
log "kernel ($FLAVOUR): building bzImage and modules in $B ($eta on 2 cores, once)"
start=$(date +%s)
"${KMAKE[@]}" -j"$(nproc)" bzImage modules >"$B/build.log" 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
	sleep 30
	kill -0 "$pid" 2>/dev/null &&
		log "  ... $(( $(date +%s) - start ))s, $(wc -l <"$B/build.log") build steps, last: $(tail -n1 "$B/build.log" | cut -c1-70)"
done
if ! wait "$pid"; then
	grep -E -B2 -A6 'error|Error' "$B/build.log" | tail -n 40 >&2
	die "kernel build failed: full log in $B/build.log"
fi
[ -f "$B/arch/x86/boot/bzImage" ] || die "kernel build produced no bzImage"
touch "$B/.rvnet-done"
log "kernel ($FLAVOUR): built in $(( $(date +%s) - start ))s: $B/arch/x86/boot/bzImage"
