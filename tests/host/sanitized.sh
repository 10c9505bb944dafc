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
for d in libhsm hsmctl uapi; do
	# Sources only: objects and binaries are rebuilt with the sanitizers.
	rm -rf "${out:?}/$d"
	(cd "$top" && tar -cf - --exclude=obj --exclude=bin --exclude='*.a' \
		--exclude='*.so' --exclude='*.so.*' --exclude=hsmctl/hsmctl "$d") |
		tar -xf - -C "$out"
done
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
