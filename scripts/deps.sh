#!/bin/sh
# Install every Debian package the build, the tests and the demo need.
# Idempotent: installs only what is missing. As root it runs apt-get; otherwise
# it prints the exact command and fails, so nothing half-works later.
set -eu

PKGS="build-essential pkg-config libssl-dev openssl libnl-3-dev libnl-genl-3-dev
linux-headers-amd64 linux-image-amd64 linux-source-6.1 qemu-system-x86
busybox-static sparse kmod cpio xz-utils python3 valgrind libjson-c-dev"
# The manual pages' test renders them (tests/host/manpages_test.sh).
PKGS="$PKGS groff-base"
# The PKCS#11 module: p11-kit's pkcs11.h and module registry, and the tools
# its tests and DNSSEC recipes run (p11tool, pkcs11-tool, Knot, ldns and
# libp11's OpenSSL engine for ldns-signzone -E pkcs11).
PKGS="$PKGS libp11-kit-dev p11-kit gnutls-bin opensc opensc-pkcs11 softhsm2 knot knot-dnssecutils ldnsutils libengine-pkcs11-openssl"
# OpenDNSSEC's enforcer and signer (tests/dnssec/sign-opendnssec.sh; sqlite3
# makes the enforcer's database).
PKGS="$PKGS opendnssec-enforcer-sqlite3 opendnssec-signer sqlite3"
# keyctl, for the kernel's X.509 path in the akcipher VM tests (issue 10).
PKGS="$PKGS keyutils"
# Debian packages (make deb) and their test in the VM (tests/pkg): issue 12
PKGS="$PKGS debhelper dh-dkms dkms lintian dpkg-dev fakeroot udev systemd adduser"
# the checker kernel (make debug-kernel; CI builds it beside make check,
# so nothing may need apt-get while make check runs)
PKGS="$PKGS flex bison bc libelf-dev"

# shellcheck disable=SC2086
exec "$(dirname "$0")/need-packages.sh" deps $PKGS
