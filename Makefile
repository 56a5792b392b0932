# SPDX-License-Identifier: GPL-2.0
#
# rvnet: a Rust virtio-net driver for the virtio-mmio transport.
#
#   make             build rvnet.ko against KDIR (default: the cached test kernel)
#   make deps        install the pinned toolchain (Debian packages, bindgen from crates.io)
#   make kernel      build the test kernel (cached outside the clone)
#   make run         build, boot QEMU microvm, insmod, show /proc/driver/network_stats
#   make test        host unit tests + QEMU boot tests; ends with "N passed, M failed"
#   make check       rustfmt --check, clippy (CLIPPY=1) and the host tests
#   make audit       soundness report: unsafe outside kernel_ext, SAFETY comments, unwrap, clippy
#   make fuzz-host   the simulated hostile device, 10^7 steps against the ring code and
#                    10^7 headers against the receive header checks
#   make fuzz        the same invariants under libFuzzer (cargo fuzz, nightly), 10^7 runs
#   make soak        CYCLES (default 1000) rounds of rebinding, flaps and rmmod under traffic
#   make bench       rvnet against the in-tree C driver, same device, alternating rounds:
#                    timed (BACKEND=hub, tap) and counted by a QEMU plugin (BACKEND=cost)
#   make kselftest   the kernel's drivers/net selftests on the NICs: in-tree driver (self-check),
#                    rvnet + in-tree, rvnet + rvnet; TESTS="ping stats" RUNS="selfcheck rvnet-c"
#   make install     rvnet.ko to /lib/modules/<KDIR's release>/extra (INSTALL_MOD_PATH honoured),
#                    depmod, and dist/modprobe/rvnet.conf (rvnet binds the NICs before
#                    virtio_mmio does) to $(INSTALL_MOD_PATH)/etc/modprobe.d
#   make firecracker rvnet against a Firecracker-shaped kernel (virtio_mmio built in, devices
#                    on the command line, no ACPI), built for real (6 minutes the first time)
#                    and booted: rvnet takes the NICs over and carries traffic
#   make rust-analyzer   write rust-project.json
#   make -s print-kdir / print-bzimage   where the test kernel is
#   make help        this list
#
# Against another kernel: make KDIR=/path/to/a/rust-enabled/7.x/build LLVM=1 (checked first)

SCRIPTS := $(CURDIR)/scripts
# The test kernel is built with LLVM 19 from Debian; its tools must come first in PATH.
export PATH := /usr/lib/llvm-19/bin:$(PATH)
LIB := . $(SCRIPTS)/lib.sh
TEST_KDIR := $(shell bash -c '$(LIB) && kbuild_dir test')
KDIR ?= $(TEST_KDIR)
LLVM ?= 1
RUSTC ?= /usr/bin/rustc
ifeq ($(origin BINDGEN),undefined)
BINDGEN := $(shell bash -c '$(LIB) && echo $$BINDGEN')
endif
KMAKE = $(MAKE) -C $(KDIR) M=$(CURDIR) LLVM=$(LLVM) RUSTC=$(RUSTC) BINDGEN=$(BINDGEN)

.PHONY: all modules deps kernel run test check clean rust-analyzer print-kdir print-bzimage \
	host-test fmt-check audit fuzz-host fuzz soak bench kselftest help install firecracker

all: modules

# The cached test kernel: built first if need be, and pointed at itself if it was copied here
# (kbuild_relocate in scripts/lib.sh).
# Any other tree is checked first: Rust, the options rvnet needs, the tree's own compilers.
modules:
	@if [ "$(KDIR)" = "$(TEST_KDIR)" ]; then \
		if [ ! -f "$(KDIR)/.rvnet-done" ]; then $(MAKE) -s kernel; \
		else bash -c '$(LIB) && kbuild_relocate "$(KDIR)"'; fi; \
	else RUSTC="$(RUSTC)" LLVM="$(LLVM)" bash $(SCRIPTS)/kdir-check.sh "$(KDIR)"; fi
	$(KMAKE) modules

# The kernel's modules_install puts rvnet.ko under extra/ and runs depmod for KDIR's release.
install: modules
	$(KMAKE) INSTALL_MOD_DIR=extra modules_install
	install -D -m 644 dist/modprobe/rvnet.conf $(INSTALL_MOD_PATH)/etc/modprobe.d/rvnet.conf

deps:
	@bash $(SCRIPTS)/deps.sh

kernel:
	@bash $(SCRIPTS)/deps.sh
	@bash $(SCRIPTS)/kernel.sh test

run:
	@bash $(SCRIPTS)/run.sh

test:
	@bash $(SCRIPTS)/test.sh

soak:
	@bash $(SCRIPTS)/soak.sh

firecracker:
	@bash $(SCRIPTS)/firecracker.sh

bench:
	@bash $(SCRIPTS)/bench.sh

kselftest:
	@bash $(SCRIPTS)/kselftest.sh

host-test:
	cd host-tests && cargo test --quiet

fmt-check:
	@rustfmt --check $$(find src host-tests/src fuzz/fuzz_targets -name "*.rs")

audit:
	@bash $(SCRIPTS)/audit.sh

fuzz-host:
	cd host-tests && RVNET_HOSTILE_STEPS=$${STEPS:-10000000} cargo test --release --quiet \
		-- --nocapture hostile_device hostile_headers

fuzz:
	@bash $(SCRIPTS)/fuzz.sh

check: fmt-check host-test
	$(MAKE) CLIPPY=1 modules

rust-analyzer:
	$(KMAKE) rust-analyzer

# The targets, from the comment at the top of this file.
help:
	@sed -n '3,/^# Against another kernel/s/^# \{0,1\}//p' $(firstword $(MAKEFILE_LIST))

print-kdir:
	@echo $(KDIR)

print-bzimage:
	@echo $(KDIR)/arch/x86/boot/bzImage

clean:
	-$(KMAKE) clean
	rm -rf host-tests/target rust-project.json
