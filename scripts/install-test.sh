#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make test's install checks, against the cached test kernel and into temporary trees only
# (nothing of the host's /lib/modules, /usr/src or /var/lib/dkms is touched):
#
# - `make install INSTALL_MOD_PATH=T`: T/lib/modules/<release>/extra/rvnet.ko, depmod's files
#   naming rvnet's aliases, and T/etc/modprobe.d/rvnet.conf;
# - DKMS (Debian's dkms, when installed): `dkms add`, `build` and `install` of a copy of this
#   tree with its dkms.conf, against the cached kernel tree, with DKMS's trees in T (depmod run
#   on T, since DKMS's own runs on /lib/modules);
# - `modinfo` describes every module parameter;
# - `make KDIR=...`'s check of a tree (scripts/kdir-check.sh): a copy of the test kernel's
#   configuration passes, copies without each requirement fail with their own message.
#
# Prints one "PASS: NAME" / "FAIL: NAME: WHY" / "SKIP: NAME: WHY" line per check.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

KDIR=${KDIR:-$(kbuild_dir test)}
release=$(cat "$KDIR/include/config/kernel.release" 2>/dev/null) ||
	die "no kernel release in $KDIR: build it with make kernel"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }

# make install.
if make -s -C "$RVNET_ROOT" install INSTALL_MOD_PATH="$t/inst" >"$t/install.out" 2>&1 &&
	[ -f "$t/inst/lib/modules/$release/extra/rvnet.ko" ] &&
	grep -q '^alias acpi\*:LNRO0005:\* rvnet$' "$t/inst/lib/modules/$release/modules.alias" &&
	grep -q '^extra/rvnet.ko:' "$t/inst/lib/modules/$release/modules.dep" &&
	cmp -s "$RVNET_ROOT/dist/modprobe/rvnet.conf" "$t/inst/etc/modprobe.d/rvnet.conf"; then
	pass "make install: extra/rvnet.ko, depmod's alias and dependency lists, modprobe.d/rvnet.conf"
else
	fail "make install: extra/rvnet.ko, depmod's alias and dependency lists, modprobe.d/rvnet.conf" \
		"$(tail -n 5 "$t/install.out" | tr '\n' ' ')"
fi

# modinfo: every parameter the module declares (module_param_cb in shim.c) has a description.
declared=$(grep -c '^module_param' "$RVNET_ROOT/src/kernel_ext/shim.c" || true)
described=$(modinfo -F parm "$RVNET_ROOT/rvnet.ko" 2>/dev/null | grep -c '^[a-z_]*:.' || true)
if [ "${declared:-0}" -ge 1 ] && [ "$declared" = "$described" ]; then
	pass "modinfo: every parameter described ($described)"
else
	fail "modinfo: every parameter described" "$declared declared, $described described"
fi

# make KDIR=...: the tree is checked first (scripts/kdir-check.sh). A copy of the test kernel's
# configuration passes; each copy with one requirement broken fails with its own message.
kdir_case() { # kdir_case NAME WANT-IN-MESSAGE [VAR=VALUE...] -- EDIT...: run the check on a copy
	local name=$1 want=$2 k=$t/kdir-$RANDOM out st
	shift 2
	local envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	mkdir -p "$k/include/config"
	cp "$KDIR/.config" "$k/.config"
	cp "$KDIR/include/config/kernel.release" "$k/include/config/"
	[ $# = 0 ] || "$@" "$k"
	out=$(env PATH="/usr/lib/llvm-$LLVM_VER/bin:$PATH" LLVM=1 "${envs[@]}" \
		bash "$RVNET_ROOT/scripts/kdir-check.sh" "$k" 2>&1)
	st=$?
	if [ -z "$want" ]; then
		[ $st = 0 ] && pass "kdir check: $name" || fail "kdir check: $name" "$out"
	elif [ $st != 0 ] && printf '%s' "$out" | grep -qF -- "$want"; then
		pass "kdir check: $name"
	else
		fail "kdir check: $name" "status $st, wanted '$want', got: $out"
	fi
}
unset_opt() { sed -i "s/^CONFIG_$1=y/# CONFIG_$1 is not set/" "$2/.config"; }
no_config() { rm "$1/.config"; }
no_rust() { unset_opt RUST "$1"; }
no_page_pool() { unset_opt PAGE_POOL "$1"; }
printf '#!/bin/sh\necho "rustc 1.95.0 (00000000 2026-01-01)"\n' >"$t/old-rustc"
chmod +x "$t/old-rustc"
kdir_case "the test kernel's configuration passes" ""  --
kdir_case "no .config: not a configured tree" "not a configured kernel build tree" --  no_config
kdir_case "without CONFIG_RUST: refused" "CONFIG_RUST is not set" -- no_rust
kdir_case "without CONFIG_PAGE_POOL: refused" "CONFIG_PAGE_POOL is not set" -- no_page_pool
kdir_case "another rustc than the tree's: refused" "name the tree's compiler with RUSTC=" \
	RUSTC="$t/old-rustc" --
kdir_case "gcc for a clang-built tree: refused" "this build would use gcc" LLVM= --

# DKMS.
if ! command -v dkms >/dev/null; then
	echo "SKIP: dkms add, build and install against the cached kernel: dkms is not installed (make deps installs it)"
	exit 0
fi
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$RVNET_ROOT/dkms.conf")
src=$t/src/rvnet-$version
mkdir -p "$src" "$t/dkms" "$t/lib/modules/$release"
# What an installed kernel has beside its modules, for depmod.
for f in modules.builtin modules.builtin.modinfo modules.order; do
	[ ! -f "$KDIR/$f" ] || cp "$KDIR/$f" "$t/lib/modules/$release/"
done
copy_tracked "$src"
trees=(--dkmstree "$t/dkms" --sourcetree "$t/src" --installtree "$t/lib/modules")
if dkms "${trees[@]}" add -m rvnet -v "$version" >"$t/dkms.out" 2>&1 &&
	dkms "${trees[@]}" build -m rvnet -v "$version" -k "$release" --kernelsourcedir "$KDIR" \
		>>"$t/dkms.out" 2>&1 &&
	dkms "${trees[@]}" install -m rvnet -v "$version" -k "$release" --kernelsourcedir "$KDIR" \
		--no-depmod >>"$t/dkms.out" 2>&1 &&
	depmod -b "$t" -a "$release" >>"$t/dkms.out" 2>&1 &&
	grep -q '/rvnet.ko:' "$t/lib/modules/$release/modules.dep" &&
	dkms "${trees[@]}" status | grep -q "rvnet/$version, $release, .*: installed"; then
	pass "dkms add, build and install against the cached kernel ($release)"
else
	fail "dkms add, build and install against the cached kernel ($release)" \
		"$(grep -iE 'error|fail' "$t/dkms.out" | head -n 3 | tr '\n' ' ')"
	sed 's/^/    | /' "$t/dkms.out" | tail -n 20
fi
