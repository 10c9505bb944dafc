#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the checker kernel (KASAN, lockdep, kmemleak, UBSAN, fault injection,
# hung-task detection) from Debian's linux-source-6.1 with the configuration
# in debug-kernel/config, once, and cache it outside the clone:
#
#   $CRYPTECH_DEBUG_KERNEL_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/cryptech-hsm/debug-kernel)/<key>/
#
# <key> hashes the configuration's lines (not its comments), a format number
# below, the source package's version and the compiler, so a change to any of them builds a new kernel and an unchanged
# one is reused (CI included, on the same machine). A finished build has a
# "complete" stamp, written last by an atomic rename; a directory without it
# is a build that was interrupted and is started again. Concurrent callers
# serialise on a lock file.
#
# usage: scripts/debug-kernel.sh [--print-dir|--print-key]
#   (no option)   build if needed; print where it is and how long it took
#   --print-dir   print the kernel's directory if built, else fail (no build)
#   --print-key   print the cache key
#
# The directory holds linux/ (the built tree: arch/x86/boot/bzImage, and what
# "make -C DIR/linux M=..." needs for the module) and "complete".
set -euo pipefail

# All of it in one block, read by bash before it runs: editing this file
# during a build (which takes a while) does not derail the build.
{

top=$(cd "$(dirname "$0")/.." && pwd)
fragment=$top/debug-kernel/config
tarball=${KSRC_TAR:-/usr/src/linux-source-6.1.tar.xz}
cache=${CRYPTECH_DEBUG_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cryptech-hsm/debug-kernel}
jobs=${DEBUG_KERNEL_JOBS:-$(nproc)}

die() {
	echo "debug-kernel: $*" >&2
	exit 1
}

[ -r "$fragment" ] || die "no $fragment"
[ -r "$tarball" ] || die "no $tarball: install linux-source-6.1 (make deps)"

key() {
	{
		# bump when the build steps below change what they produce
		echo "format 1"
		# the configuration's lines, not its comments
		grep -Ev '^[[:space:]]*(#|$)' "$fragment"
		# the tarball's package version and size: cheaper than hashing it
		dpkg-query -W -f='${Version}\n' linux-source-6.1 2>/dev/null || true
		stat -c '%s %Y' "$tarball"
		${CC:-gcc} --version | head -1
	} | sha256sum | cut -c1-16
}

k=$(key)
dir=$cache/$k

case "${1:-}" in
--print-key)
	echo "$k"
	exit 0
	;;
--print-dir)
	[ -e "$dir/complete" ] || die "not built (key $k): run 'make debug-kernel'"
	echo "$dir"
	exit 0
	;;
"") ;;
*)
	die "usage: $0 [--print-dir|--print-key]"
	;;
esac

if [ -e "$dir/complete" ]; then
	echo "debug-kernel: cached: $dir ($(cat "$dir/complete"))"
	exit 0
fi

# the kernel build's own tools, beyond what "make deps" installs
"$top/scripts/need-packages.sh" debug-kernel flex bison bc libelf-dev

mkdir -p "$cache"
exec 9>"$cache/.lock-$k"
if ! flock -n 9; then
	echo "debug-kernel: another build of $k is running; waiting for it"
	flock 9
fi
if [ -e "$dir/complete" ]; then
	echo "debug-kernel: cached: $dir ($(cat "$dir/complete"))"
	exit 0
fi

start=$(date +%s)
src=$dir/linux
if [ -e "$dir/extracted" ]; then
	# an interrupted build of this key: kbuild picks up where it stopped
	echo "debug-kernel: resuming the interrupted build in $dir"
else
	rm -rf "$dir"
	mkdir -p "$dir"
	echo "debug-kernel: extracting $tarball into $dir"
	tar -xJf "$tarball" -C "$dir"
	mv "$dir/linux-source-6.1" "$src"
	touch "$dir/extracted"
fi

echo "debug-kernel: configuring (allnoconfig + $fragment)"
make -s -C "$src" KCONFIG_ALLCONFIG="$fragment" allnoconfig
# every line of the fragment must have survived: a symbol whose
# dependencies are missing would otherwise silently be off
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=n)
		sym=${line%=n}
		if grep -q "^$sym=" "$src/.config"; then
			echo "debug-kernel: $sym is set, wanted off" >&2
			bad=1
		fi
		;;
	CONFIG_*=*)
		if ! grep -qxF "$line" "$src/.config"; then
			echo "debug-kernel: wanted '$line', got '$(grep "^${line%%=*}=" "$src/.config" || echo "${line%%=*} off")'" >&2
			bad=1
		fi
		;;
	esac
done <"$fragment"
[ "$bad" -eq 0 ] || die "the configuration does not hold (see above)"

echo "debug-kernel: building with $jobs jobs under nice -n ${DEBUG_KERNEL_NICE:-10} (this takes a while)"
nice -n "${DEBUG_KERNEL_NICE:-10}" make -s -C "$src" -j"$jobs" bzImage modules
end=$(date +%s)
release=$(cat "$src/include/config/kernel.release")
summary="kernel $release, built in $((end - start)) s with $jobs jobs on $(nproc) CPUs, $(date -u +%FT%TZ)"
echo "$summary" >"$dir/complete.tmp"
mv "$dir/complete.tmp" "$dir/complete"
echo "debug-kernel: built: $dir"
echo "debug-kernel: $summary"
exit
}
