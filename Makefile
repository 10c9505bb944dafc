# SPDX-License-Identifier: GPL-2.0
#
# Top-level build: the kernel module (out-of-tree kbuild), the userspace
# library, CLI and emulator, and the tests.
#
#   make            build everything
#   make deps       install the Debian packages everything needs
#   make check      host tests, then the VM tests; ends with "N passed, N failed"
#                   (ONLY='SUITE...': only those suites)
#   make demo       boot a VM with an emulated board and show the main job
#   make bench      benchmarks (figures as ratios against a same-run baseline;
#                   BENCH_ONLY, BENCH_NAMES...: tests/bench.sh)
#   make lint       checkpatch --strict and sparse on driver/ and uapi/
#   make install    install (DESTDIR, PREFIX; see below)
#   make deb        the Debian packages into build/deb/, then lintian
#   make check-packages  the packages installed and used in a VM (slow)
#   make debug-kernel  build (once, cached) the checker kernel: KASAN, lockdep...
#   make check-debug   the VM tests, fuzzers and fault storms under it
#                      (FULL=1: the full fuzz and storm counts; ONLY='SUITE...':
#                      only those suites)
#   make check-bind    BIND 9.18 signs zones through the PKCS#11 module, in a
#                      VM (builds BIND with its ENGINE code once, cached)

KVER ?= $(shell scripts/kver.sh)
KDIR ?= /lib/modules/$(KVER)/build
BUILD := $(CURDIR)/build
KSRC_TAR ?= $(firstword $(wildcard /usr/src/linux-source-6.1.tar.xz))
KSELFTEST := $(BUILD)/kselftest

CFLAGS_USER := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror
export CFLAGS_USER KSELFTEST

USER_DIRS := emulator libhsm hsmctl tests pkcs11

.PHONY: all module userspace deps check check-host check-vm demo bench lint \
	clean kselftest-headers $(USER_DIRS) debug-kernel check-debug check-bind

all: module userspace

deps:
	@scripts/deps.sh

# The driver, then the test-only modules of tests/kmod (in-kernel users of
# its algorithms, loaded by the VM tests; never installed).
module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 CONFIG_DEBUG_INFO_BTF_MODULES= modules
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/kmod W=1 CONFIG_DEBUG_INFO_BTF_MODULES= modules

userspace: $(USER_DIRS)

libhsm hsmctl tests emulator: kselftest-headers

hsmctl tests pkcs11: libhsm

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

# The PKCS#11 module and its p11-kit registration (DESTDIR, PREFIX honoured).
install:: pkcs11
	$(MAKE) -C pkcs11 install

# The test and demo targets install what they need first (as the README
# says), then build: deps must be complete before anything is built, even
# with -j, so the build is a sub-make.
check: deps
	@$(MAKE) --no-print-directory all
	@tests/check.sh $(if $(ONLY),--only '$(ONLY)')

check-host: deps
	@$(MAKE) --no-print-directory userspace
	@tests/check.sh --host-only

check-vm: deps
	@$(MAKE) --no-print-directory all
	@tests/check.sh --vm-only

# The checker kernel (Documentation/testing-debug-kernel.rst): built once from
# linux-source-6.1 and debug-kernel/config, cached outside the clone.
debug-kernel:
	@scripts/debug-kernel.sh

check-debug: deps debug-kernel
	@$(MAKE) --no-print-directory userspace
	@tests/check.sh --debug-kernel $(if $(FULL),--full) $(if $(DEBUG_ONLY),--debug-only) \
		$(if $(ONLY),--only '$(ONLY)')

# Debian 12's BIND cannot use a PKCS#11 token as packaged: one with its
# ENGINE code, built once from Debian's source and cached outside the clone.
check-bind: deps
	@$(MAKE) --no-print-directory all
	@scripts/bind9-pkcs11.sh
	@tests/check.sh --bind

demo: deps
	@$(MAKE) --no-print-directory all
	@tests/demo.sh

bench: all
	@tests/bench.sh

lint: kselftest-headers
	@scripts/lint.sh

# ---------------------------------------------------------------- install
#
# make install [DESTDIR=...] [PREFIX=/usr/local] [LIBDIR=...]: the library,
# hsmctl, the emulator, the module's source for DKMS, the udev rules, the
# auto-attach helper, its configuration and the systemd unit. debian/rules
# drives this with PREFIX=/usr. Double-colon rules: other parts of the tree
# add their own "install::" rules (e.g. the PKCS#11 module).
VERSION := $(shell sed -n 's/^\#define HSM_VERSION_STRING[[:space:]]*"\(.*\)"/\1/p' libhsm/include/hsm/hsm.h)
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
LIBEXECDIR ?= $(PREFIX)/libexec
SYSCONFDIR ?= /etc
UDEVRULESDIR ?= $(shell pkg-config --variable=udevdir udev 2>/dev/null || echo /lib/udev)/rules.d
SYSTEMDUNITDIR ?= $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
DKMSSRCDIR ?= /usr/src/cryptech-hsm-$(VERSION)
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
INSTALL ?= install
NL_LIBS_PC := $(shell pkg-config --libs libnl-genl-3.0 2>/dev/null)

.PHONY: install install-build deb check-packages

# What install needs built (no tests, no kselftest headers, no module: DKMS
# builds the module on the target for each kernel).
install-build:
	$(MAKE) -C libhsm libhsm.a libhsm.so
	$(MAKE) -C hsmctl hsmctl
	$(MAKE) -C emulator cryptech-emu

install:: install-build
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCLUDEDIR)/hsm
	$(INSTALL) -m 755 hsmctl/hsmctl emulator/cryptech-emu $(DESTDIR)$(BINDIR)/
	$(INSTALL) -d $(DESTDIR)$(MANDIR)/man1
	$(INSTALL) -m 644 packaging/man/hsmctl.1 packaging/man/cryptech-emu.1 \
		$(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -d $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(BASHCOMPDIR)
	$(INSTALL) -m 644 packaging/man/libhsm.3 $(DESTDIR)$(MANDIR)/man3/
	$(INSTALL) -m 644 packaging/bash-completion/hsmctl $(DESTDIR)$(BASHCOMPDIR)/
	$(INSTALL) -m 644 libhsm/libhsm.so.1 $(DESTDIR)$(LIBDIR)/
	ln -sf libhsm.so.1 $(DESTDIR)$(LIBDIR)/libhsm.so
	$(INSTALL) -m 644 libhsm/libhsm.a $(DESTDIR)$(LIBDIR)/
	$(INSTALL) -m 644 libhsm/include/hsm/*.h $(DESTDIR)$(INCLUDEDIR)/hsm/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@NL_LIBS@|$(NL_LIBS_PC)|' packaging/libhsm.pc.in \
		> $(DESTDIR)$(LIBDIR)/pkgconfig/libhsm.pc
	chmod 644 $(DESTDIR)$(LIBDIR)/pkgconfig/libhsm.pc

# The system integration: /dev/hsm* permissions, auto-attach on plug-in.
install::
	$(INSTALL) -d $(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(LIBEXECDIR)/cryptech-hsm $(DESTDIR)$(SYSCONFDIR)/cryptech-hsm
	$(INSTALL) -m 644 packaging/60-cryptech-hsm.rules $(DESTDIR)$(UDEVRULESDIR)/
	sed 's|/usr/libexec/cryptech-hsm/|$(LIBEXECDIR)/cryptech-hsm/|' \
		packaging/70-cryptech-hsm-auto-attach.rules \
		> $(DESTDIR)$(UDEVRULESDIR)/70-cryptech-hsm-auto-attach.rules
	sed 's|/usr/bin/hsmctl|$(BINDIR)/hsmctl|' packaging/cryptech-hsm-attach@.service \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/cryptech-hsm-attach@.service
	chmod 644 $(DESTDIR)$(UDEVRULESDIR)/70-cryptech-hsm-auto-attach.rules \
		$(DESTDIR)$(SYSTEMDUNITDIR)/cryptech-hsm-attach@.service
	$(INSTALL) -m 755 packaging/auto-attach-match $(DESTDIR)$(LIBEXECDIR)/cryptech-hsm/
	$(INSTALL) -m 644 packaging/auto-attach.conf $(DESTDIR)$(SYSCONFDIR)/cryptech-hsm/

# The module's source and dkms.conf: "dkms install cryptech-hsm/$(VERSION)".
install::
	$(INSTALL) -d $(DESTDIR)$(DKMSSRCDIR)/driver $(DESTDIR)$(DKMSSRCDIR)/uapi/linux
	$(INSTALL) -m 644 Kbuild $(DESTDIR)$(DKMSSRCDIR)/
	$(INSTALL) -m 644 driver/*.c driver/*.h $(DESTDIR)$(DKMSSRCDIR)/driver/
	$(INSTALL) -m 644 uapi/linux/cryptech_hsm.h $(DESTDIR)$(DKMSSRCDIR)/uapi/linux/
	sed 's/#MODULE_VERSION#/$(VERSION)/' packaging/dkms.conf > $(DESTDIR)$(DKMSSRCDIR)/dkms.conf
	chmod 644 $(DESTDIR)$(DKMSSRCDIR)/dkms.conf

# ---------------------------------------------------------------- packages
#
# make deb: dpkg-buildpackage -us -uc -b on a copy of the tree's source
# files (tracked and new, not ignored: no build products) in build/deb/,
# so the packages land in build/deb/ and not next to the tree. Then lintian,
# which fails the target on any error or warning.
DEB_SRC := $(BUILD)/deb/cryptech-hsm-$(VERSION)

# The packages built, installed in a VM and used (DKMS, udev, auto-attach,
# permissions). Not part of "make check": the DKMS build under TCG alone
# takes about 15 minutes (Documentation/admin-guide/install.rst).
check-packages: deps
	@tests/pkg/run

# The packages' source: a clone's files (not its build products); outside
# git, the whole tree, which dpkg-buildpackage's clean step then cleans.
deb:
	rm -rf $(BUILD)/deb
	mkdir -p $(DEB_SRC)
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		git ls-files -z --cached --others --exclude-standard | \
			tar --null -T - --ignore-failed-read -cf - 2>/dev/null; \
	else \
		tar --exclude=./build --exclude-vcs -cf - .; \
	fi | tar -xf - -C $(DEB_SRC)
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b
	lintian --fail-on error,warning --info $(BUILD)/deb/cryptech-hsm_$(VERSION)_*.changes

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean || true
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/kmod clean || true
	for d in $(USER_DIRS); do $(MAKE) -C $$d clean; done
	rm -rf $(BUILD)
