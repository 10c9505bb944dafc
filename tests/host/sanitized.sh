#!/bin/bash
# The unit tests of libhsm and hsmctl built with AddressSanitizer and UBSan
# (issue 11, point 7), in a copy of their sources under build/sanitized, so
# that the tree's own objects and the hsmctl binary the VM tests run stay
# the plain build. The PKCS#11 module's suite has its own sanitized run
# (pkcs11/Makefile). TAP on stdout, as the suites' own.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/sanitized
mkdir -p "$out"
# The emulator and the PKCS#11 suite's seam: libhsm's replicate test and
# hsmctl's group test run against emulated boards through it.
for d in libhsm hsmctl uapi emulator pkcs11; do
	# Sources only: objects and binaries are rebuilt with the sanitizers.
	rm -rf "${out:?}/$d"
	(cd "$top" && tar -cf - --exclude=obj --exclude=obj-san --exclude=obj-emu \
		--exclude=bin --exclude='*.a' --exclude='*.so' --exclude='*.so.*' \
		--exclude=hsmctl/hsmctl --exclude=emulator/build \
		--exclude=emulator/build-san --exclude=emulator/build-tsan "$d") |
		tar -xf - -C "$out"
done
# The emulator's sources include the driver's protocol header (read only).
ln -sfn "$top/driver" "$out/driver"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fail=0
for d in libhsm hsmctl; do
	make -s -C "$out/$d" check SANITIZE=1 KSELFTEST="$top/build/kselftest" \
		>"$out/$d.log" 2>&1 || fail=1
	# The TAP lines, so that the suite's counts are those of the tests.
	grep -E '^(not )?ok |^#' "$out/$d.log" || true
	if [ "$fail" = 1 ]; then
		echo "# $d under ASan+UBSan failed: see $out/$d.log" >&2
		tail -20 "$out/$d.log" >&2
	fi
done
exit $fail
