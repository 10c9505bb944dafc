#!/bin/sh
# Print the version of the installed Debian kernel that has both an image
# (for the test VM) and headers (for the module build). Never `uname -r`: the
# build machine's running kernel is not the one we build for.
set -eu
best=""
for d in /lib/modules/*/; do
	v=$(basename "$d")
	[ -e "/lib/modules/$v/build/Makefile" ] || continue
	[ -e "/boot/vmlinuz-$v" ] || continue
	best="$v"
done
if [ -z "$best" ]; then
	echo "kver: no kernel with both /boot/vmlinuz-V and /lib/modules/V/build;" \
	     "run 'make deps' (linux-image-amd64, linux-headers-amd64)" >&2
	exit 1
fi
echo "$best"
