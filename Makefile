# SPDX-License-Identifier: GPL-2.0
#
# Top-level build: the kernel module (out-of-tree kbuild), the userspace
# library, CLI and emulator, and the tests.
#
#   make            build everything
#   make deps       install the Debian packages everything needs
#   make check      host tests, then the VM tests; ends with "N passed, N failed"
#   make demo       boot a VM with an emulated board and show the main job
#   make bench      benchmarks (figures as ratios against a same-run baseline)
#   make lint       checkpatch --strict and sparse on driver/ and uapi/
#   make debug-kernel  build (once, cached) the checker kernel: KASAN, lockdep...
#   make check-debug   the VM tests, fuzzers and fault storms under it
#                      (FULL=1: the full fuzz and storm counts)

KVER ?= $(shell scripts/kver.sh)
KDIR ?= /lib/modules/$(KVER)/build
BUILD := $(CURDIR)/build
KSRC_TAR ?= $(firstword $(wildcard /usr/src/linux-source-6.1.tar.xz))
KSELFTEST := $(BUILD)/kselftest

CFLAGS_USER := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror
export CFLAGS_USER KSELFTEST

USER_DIRS := emulator libhsm hsmctl tests

.PHONY: all module userspace deps check check-host check-vm demo bench lint \
	clean kselftest-headers $(USER_DIRS) debug-kernel check-debug

all: module userspace

deps:
	@scripts/deps.sh

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 CONFIG_DEBUG_INFO_BTF_MODULES= modules

userspace: $(USER_DIRS)

libhsm hsmctl tests emulator: kselftest-headers

hsmctl tests: libhsm

$(USER_DIRS):
	$(MAKE) -C $@

# The kselftest harness is taken from Debian's linux-source-6.1 at build time,
# never copied into this repository.
kselftest-headers: $(KSELFTEST)/kselftest_harness.h

$(KSELFTEST)/kselftest_harness.h:
	@test -n "$(KSRC_TAR)" || { echo "no /usr/src/linux-source-6.1.tar.xz: run 'make deps'" >&2; exit 1; }
	@mkdir -p $(BUILD)/ksrc $(KSELFTEST)
	tar -xJf $(KSRC_TAR) -C $(BUILD)/ksrc --strip-components=1 --wildcards \
		'linux-source-6.1/tools/testing/selftests/kselftest*.h' \
		'linux-source-6.1/scripts/checkpatch.pl' \
		'linux-source-6.1/scripts/spelling.txt' \
		'linux-source-6.1/scripts/const_structs.checkpatch' \
		'linux-source-6.1/scripts/kernel-doc'
	cp $(BUILD)/ksrc/tools/testing/selftests/kselftest.h \
	   $(BUILD)/ksrc/tools/testing/selftests/kselftest_harness.h $(KSELFTEST)/

check: all
	@tests/check.sh

check-host: userspace
	@tests/check.sh --host-only

check-vm: all
	@tests/check.sh --vm-only

# The checker kernel (Documentation/testing-debug-kernel.rst): built once from
# linux-source-6.1 and debug-kernel/config, cached outside the clone.
debug-kernel:
	@scripts/debug-kernel.sh

check-debug: debug-kernel userspace
	@tests/check.sh --debug-kernel $(if $(FULL),--full)

demo: deps all
	@tests/demo.sh

bench: all
	@tests/bench.sh

lint: kselftest-headers
	@scripts/lint.sh

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean || true
	for d in $(USER_DIRS); do $(MAKE) -C $$d clean; done
	rm -rf $(BUILD)
