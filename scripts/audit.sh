#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make audit: the soundness report.
#
# - Lists every `unsafe` outside src/kernel_ext/ (only by-contract calls belong there).
# - Fails when an `unsafe` block or impl anywhere in src/ has no `// SAFETY:` comment in the
#   comment lines right above it (or on the same line), or an `unsafe fn` no `# Safety` section.
# - Fails on `unwrap()`/`expect()` in driver code (test modules excepted).
# - Fails when clippy, with the kernel's lint set (make CLIPPY=1), warns, or rustfmt would
#   change a file.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$RVNET_ROOT"

bad=0
report=$(mktemp)
trap 'rm -f "$report"' EXIT

# Driver code of a file: everything before its `#[cfg(test)]` module.
code_of() { awk '/^#\[cfg\(test\)\]/ { exit } { print }' "$1"; }

for f in $(find src -name '*.rs' | sort); do
	code_of "$f" | awk -v file="$f" '
		# The comment block right above the current line (attributes do not end it).
		/^[ \t]*\/\// { block = block "\n" $0; next }
		/^[ \t]*#\[/ { next }
		{
			line = $0
			is_fn = line ~ /^[ \t]*(pub(\([a-z]+\))? )?unsafe (extern "C" )?fn /
			is_block = line ~ /unsafe \{/ || line ~ /^[ \t]*unsafe impl/
			if (is_fn || is_block) {
				ok = is_fn ? (block ~ /# Safety/) : (block ~ /SAFETY:/ || line ~ /SAFETY:/)
				printf "%s\t%s:%d\t%s\n", (ok ? "ok" : "MISSING"), file, NR, line
			}
			block = ""
		}' >>"$report"
done

echo "== unsafe outside src/kernel_ext/ (by-contract calls only)"
grep -v $'\tsrc/kernel_ext/' "$report" | awk -F'\t' '{ gsub(/^[ \t]+/, "", $3); printf "  %s  %s\n", $2, $3 }'
echo "== unsafe in src/kernel_ext/: $(grep -c $'\tsrc/kernel_ext/' "$report") sites"
if grep -q '^MISSING' "$report"; then
	echo "== unsafe without a SAFETY comment (or # Safety section):"
	grep '^MISSING' "$report" | awk -F'\t' '{ gsub(/^[ \t]+/, "", $3); printf "  %s  %s\n", $2, $3 }'
	bad=1
else
	echo "== every unsafe block and impl has a SAFETY comment, every unsafe fn a # Safety section"
fi

unwraps=$(for f in $(find src -name '*.rs'); do
	code_of "$f" | grep -nE '\.(unwrap|expect)\(' | sed "s|^|$f:|"
done || true)
if [ -n "$unwraps" ]; then
	echo "== unwrap()/expect() in driver code:"
	echo "$unwraps" | sed 's/^/  /'
	bad=1
else
	echo "== no unwrap()/expect() in driver code"
fi

echo "== rustfmt --check"
if rustfmt --check $(find src host-tests/src fuzz/fuzz_targets -name '*.rs') >/dev/null 2>&1; then
	echo "  clean"
else
	echo "  rustfmt would change: $(rustfmt --check -l $(find src host-tests/src fuzz/fuzz_targets -name '*.rs') 2>/dev/null | xargs)"
	bad=1
fi

echo "== clippy with the kernel's lints (make CLIPPY=1)"
touch src/rvnet.rs
# The build's own status counts, not only what grep finds in its output: a build that fails
# without a line starting "warning"/"error" (a linker or modpost error) is not clean either.
clippy_log=$(mktemp)
clippy_st=0
make -s CLIPPY=1 modules >"$clippy_log" 2>&1 || clippy_st=$?
if [ "$clippy_st" != 0 ]; then
	grep -E -A8 '^(warning|error)|ERROR' "$clippy_log" | head -n 60 || tail -n 30 "$clippy_log"
	echo "  the clippy build failed (status $clippy_st)"
	bad=1
elif grep -E -A8 '^(warning|error)' "$clippy_log"; then
	bad=1
else
	echo "  clean"
fi
rm -f "$clippy_log"

# faults.sh waits for an injected failure in each probe step it lists: a step the driver no
# longer has would only show as a guest timeout.
echo "== probe steps named by qemu/guest/faults.sh exist in the driver"
missing=0
while IFS= read -r step; do
	grep -rqF "\"$step\"" src || { echo "  no step \"$step\" in src/"; missing=1; bad=1; }
done < <(sed -n '/^ALLOCATING_STEPS="/,/"$/p' qemu/guest/faults.sh | sed 's/^ALLOCATING_STEPS="//; s/"$//')
[ $missing = 0 ] && echo "  all $(sed -n '/^ALLOCATING_STEPS="/,/"$/p' qemu/guest/faults.sh | wc -l) found"
# ... in the order probe takes them: faults.sh sweeps a missed step's window between the steps
# listed before and after it.
echo "== faults.sh lists the probe steps of src/driver.rs in probe order"
prev=0 prev_step= misordered=0
while IFS= read -r step; do
	line=$(grep -nF "\"$step\"" src/driver.rs | head -n1 | cut -d: -f1 || true)
	[ -n "$line" ] || continue
	if [ "$line" -lt "$prev" ]; then
		echo "  \"$step\" (line $line) is listed after \"$prev_step\" (line $prev)"
		misordered=1 bad=1
	fi
	prev=$line prev_step=$step
done < <(sed -n '/^ALLOCATING_STEPS="/,/"$/p' qemu/guest/faults.sh | sed 's/^ALLOCATING_STEPS="//; s/"$//')
[ $misordered = 0 ] && echo "  in order"

# The bench kernel measures the drivers on the test kernel's networking features, checkers
# and test tools aside: every option of test.config's networking block (the paragraph that
# starts with its heading, up to the first blank line) must be in bench.config too.
echo "== the bench kernel has the test kernel's networking options"
net_opts=$(sed -n '/^# The kernel.s own netdev driver selftests/,/^$/p' qemu/test.config |
	grep '^CONFIG_')
missing_opts=$(echo "$net_opts" | while read -r opt; do grep -qx "$opt" qemu/bench.config || echo "$opt"; done)
if [ -z "$net_opts" ]; then
	echo "  no networking block found in qemu/test.config"
	bad=1
elif [ -n "$missing_opts" ]; then
	echo "  missing from qemu/bench.config: $(echo $missing_opts)"
	bad=1
else
	echo "  all $(echo "$net_opts" | wc -l) present"
fi

[ $bad = 0 ] && echo "audit: passed" || { echo "audit: FAILED"; exit 1; }
