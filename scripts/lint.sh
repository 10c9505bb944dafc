#!/bin/sh
# checkpatch --strict, kernel-doc, sparse and the user-memory rule over the
# kernel code (driver/, uapi/, the test modules of tests/kmod/).
# checkpatch comes from Debian's linux-source-6.1 tarball, extracted by
# `make kselftest-headers` into build/ksrc.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
cp="build/ksrc/scripts/checkpatch.pl"
[ -x "$cp" ] || { echo "lint: $cp missing: run 'make kselftest-headers'" >&2; exit 1; }
command -v sparse >/dev/null || { echo "lint: sparse missing: run 'make deps'" >&2; exit 1; }

fail=0
files=$(ls driver/*.c driver/*.h uapi/linux/*.h tests/kmod/*.c | grep -v '\.mod\.c$')
# --no-tree: we are not in a kernel tree; file mode: whole files, not patches.
if ! "$cp" --no-tree --strict --terse --show-types -f $files \
	--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG; then
	fail=1
fi
# kernel-doc: every documented function, struct and op must parse, with
# every parameter and member described.
kd="build/ksrc/scripts/kernel-doc"
[ -x "$kd" ] || { echo "lint: $kd missing: run 'make kselftest-headers'" >&2; exit 1; }
kdout=$(perl "$kd" -none $files 2>&1 | grep -Ei "warning|error" || true)
if [ -n "$kdout" ]; then
	echo "$kdout"
	echo "lint: kernel-doc reported problems" >&2
	fail=1
fi

# The board operations work on kernel buffers so that in-kernel users
# (crypto API, key type, hwrng) call the same code as the ioctls: only the
# ioctl layer may touch user memory.
um=$(grep -nE '__user|copy_(from|to)_user|copy_struct_from_user|memdup_user|u64_to_user_ptr|[^_]get_user|[^_]put_user' \
	driver/*.c driver/*.h | grep -vE '^driver/(ioctl|testhooks)\.c:' || true)
if [ -n "$um" ]; then
	echo "$um"
	echo "lint: user memory touched outside driver/ioctl.c (board operations take kernel buffers; the test-only debugfs of testhooks.c is exempt)" >&2
	fail=1
fi

KVER=$(scripts/kver.sh)
out=$( (make -s -C "/lib/modules/$KVER/build" M="$top" C=2 \
	CONFIG_DEBUG_INFO_BTF_MODULES= modules 2>&1
	make -s -C "/lib/modules/$KVER/build" M="$top/tests/kmod" C=2 \
	CONFIG_DEBUG_INFO_BTF_MODULES= modules 2>&1) |
	grep -E 'warning|error' | grep -v 'tty_ldisc.h' || true)
if [ -n "$out" ]; then
	echo "$out"
	echo "lint: sparse reported problems" >&2
	fail=1
fi
[ $fail -eq 0 ] && echo "lint: checkpatch --strict, kernel-doc, sparse and user-memory rule clean"
exit $fail
