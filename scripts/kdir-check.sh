#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# kdir-check.sh KDIR: can rvnet be built against the kernel build tree KDIR? `make KDIR=...`
# runs it first for any tree but the cached test kernel. Checks, each with a message naming
# what is missing:
#
# - KDIR is a configured, prepared build tree (.config, include/config/kernel.release);
# - CONFIG_RUST=y, and the options rvnet needs (README: "Using rvnet in your own guest");
# - the compilers the tree was built with are the ones this build will use: RUSTC (default
#   Debian's /usr/bin/rustc) prints the tree's CONFIG_RUSTC_VERSION_TEXT, and the C compiler
#   (clang with LLVM=1, clang-NN with LLVM=-NN, gcc otherwise) its CONFIG_CC_VERSION_TEXT.
#
# Prints "kdir: ok (...)" and exits 0, or "kdir: ..." lines and exits 1.
set -uo pipefail

KDIR=${1:?usage: kdir-check.sh KDIR}
RUSTC=${RUSTC:-/usr/bin/rustc}
LLVM=${LLVM:-}
config=$KDIR/.config
bad=0
problem() { echo "kdir: $*" >&2; bad=1; }

if [ ! -f "$config" ]; then
	echo "kdir: $KDIR has no .config: not a configured kernel build tree (make O=... olddefconfig, then build it)" >&2
	exit 1
fi
[ -f "$KDIR/include/config/kernel.release" ] ||
	problem "$KDIR is configured but not prepared or built (no include/config/kernel.release): build the kernel first"
value() { sed -n "s/^$1=//p" "$config" | sed 's/^"\(.*\)"$/\1/'; }

# What rvnet needs. One of ACPI or OF to find devices itself; with neither, only device= entries.
for opt in RUST MODULES NET PAGE_POOL PROC_FS; do
	case "$(value CONFIG_$opt)" in
	y) ;;
	*) problem "CONFIG_$opt is not set in $config: rvnet needs it" ;;
	esac
done
[ "$(value CONFIG_ACPI)" = y ] || [ "$(value CONFIG_OF)" = y ] ||
	echo "kdir: neither CONFIG_ACPI nor CONFIG_OF: rvnet will find devices only from device= entries" >&2

# The Rust compiler: the very one the tree was built with.
want=$(value CONFIG_RUSTC_VERSION_TEXT)
if [ "$(value CONFIG_RUST)" = y ]; then
	got=$("$RUSTC" --version 2>/dev/null | head -n 1 || true)
	if [ -z "$got" ]; then
		problem "the tree was built with '$want'; RUSTC=$RUSTC does not run: name that compiler with RUSTC=..."
	elif [ "$got" != "$want" ]; then
		problem "the tree was built with '$want', RUSTC=$RUSTC is '$got': name the tree's compiler with RUSTC=..."
	fi
fi

# The C compiler, as the kernel's build picks it: clang for LLVM=1, clang-NN for LLVM=-NN,
# clang from a prefix for LLVM=/path/, gcc otherwise.
cc_want=$(value CONFIG_CC_VERSION_TEXT)
case "$LLVM" in
1) cc=clang ;;
-*) cc=clang$LLVM ;;
*/) cc=${LLVM}clang ;;
*) cc=gcc ;;
esac
cc_got=$("$cc" --version 2>/dev/null | head -n 1 || true)
if [ "$cc_got" != "$cc_want" ]; then
	if [ "$(value CONFIG_CC_IS_CLANG)" = y ]; then
		hint="build with LLVM=1 (or LLVM=-NN) and that clang first in PATH"
	else
		hint="build without LLVM=, with that gcc first in PATH"
	fi
	problem "the tree was built with '$cc_want', this build would use $cc: '${cc_got:-not found}': $hint"
fi

[ $bad = 0 ] || exit 1
echo "kdir: ok ($KDIR: $(cat "$KDIR/include/config/kernel.release"), $want, $cc_want)"
