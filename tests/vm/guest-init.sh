#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the VM test runner's initramfs. tests/vm/run puts this file, a
# static busybox and the virtio/9p modules into build/vm/initramfs-*.cpio and
# rebuilds that whenever this file, the kernel or busybox change.
#
# Runs as PID 1 under busybox ash. The kernel command line carries
# cryptech_run=DIR (the runner's per-run directory on the host, holding
# "params" and "job") and cryptech_boot=HEX (a per-run nonce for the ERROR
# markers of failures before "params" is read). "params" holds NONCE, a
# per-run secret that authenticates the other markers; the test cannot read
# it (it is neither on the kernel command line nor in the test's file
# system). Output contract with the runner, one marker per line (see
# tests/vm/run):
#   @@CRYPTECH-VM-PARAMS <nonce>@@                 secret nonce known
#   @@CRYPTECH-VM-ERROR <nonce> <text>@@          setup failed, test not run
#   @@CRYPTECH-VM-INSMOD-FAILED <nonce> <text>@@  the module did not load
#   @@CRYPTECH-VM-RUN <nonce>@@                    the test command starts
#   @@CRYPTECH-VM-DMESG-BEGIN <nonce>@@ ... @@CRYPTECH-VM-DMESG-END <nonce>@@
#   @@CRYPTECH-VM-TAINT <nonce> <before-module> <after-test>@@
#   @@CRYPTECH-VM-EXIT <nonce> <status>@@         always last
export PATH=/bin
nonce=$cryptech_boot
rundir=$cryptech_run
unset cryptech_boot cryptech_run
status=
taint0=-

# Virtio PCI and 9p are modules in Debian's kernel; this order satisfies
# their dependencies.
MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev \
virtio_pci netfs fscache 9pnet 9pnet_virtio 9p"

mark() {
	printf '\n@@CRYPTECH-VM-%s %s%s@@\n' "$1" "$nonce" "${2:+ $2}"
}

finish() {
	if [ -r /proc/sys/kernel/tainted ]; then
		mark DMESG-BEGIN
		dmesg
		# a kernel with kmemleak: scan now, report as part of the log
		kml=/mnt/sys/kernel/debug/kmemleak
		if [ -e "$kml" ]; then
			echo scan >"$kml" || echo "kmemleak: scan error"
			cat "$kml"
		fi
		mark DMESG-END
		mark TAINT "$taint0 $(cat /proc/sys/kernel/tainted)"
	fi
	mark EXIT "${status:-125}"
	poweroff -f
	# not reached; never let PID 1 exit (that would panic the kernel)
	while :; do sleep 1000; done
}

fail() {
	echo "vm-init: $*"
	mark ERROR "$*"
	finish
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

# A kernel with them built in (tests/vm/run --kernel-image) gets an
# initramfs with no module and a /builtin marker.
[ -e /builtin ] && MODULES=
for m in $MODULES; do
	insmod "/modules/$m.ko" || fail "insmod $m failed"
done

# The host root, read-only, stays visible at /host; /mnt is the test's root.
mkdir -p /host /mnt
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 \
	hostroot /host || fail "cannot mount the host root (9p)"
[ -r "/host$rundir/params" ] || fail "no $rundir/params on the host root"
. "/host$rundir/params"     # sets NONCE, TREE, MODULE, MODULE_PARAMS, BOARDS,
				# USB_WAIT, EXPOSE
nonce=$NONCE
unset NONCE
mark PARAMS     # from here on the runner accepts only the secret nonce
mount --bind /host /mnt || fail "cannot bind-mount the host root on /mnt"

mount -t proc proc /mnt/proc
mount -t sysfs sysfs /mnt/sys
mount -t debugfs debugfs /mnt/sys/kernel/debug 2>/dev/null
mount -t devtmpfs devtmpfs /mnt/dev
mkdir -p /mnt/dev/pts /mnt/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /mnt/dev/pts
mount -t tmpfs -o mode=1777 tmpfs /mnt/dev/shm
ln -sf /proc/self/fd /mnt/dev/fd
ln -sf /proc/self/fd/0 /mnt/dev/stdin
ln -sf /proc/self/fd/1 /mnt/dev/stdout
ln -sf /proc/self/fd/2 /mnt/dev/stderr
for d in tmp var/tmp; do
	mount -t tmpfs -o mode=1777 tmpfs "/mnt/$d" || fail "cannot mount tmpfs on /$d"
done
mount -t tmpfs -o mode=755 tmpfs /mnt/run || fail "cannot mount tmpfs on /run"
mount -t tmpfs -o mode=700 tmpfs /mnt/root || fail "cannot mount tmpfs on /root"
mkdir -p /mnt/run/lock /mnt/run/cryptech-vm
chmod 1777 /mnt/run/lock

# The tree, and the directories of --expose (EXPOSE, space-separated), below
# a directory that the tmpfs mounts hide are bound back from the host view.
for p in $TREE $EXPOSE; do
	for d in /tmp /var/tmp /run /root; do
		case "$p" in
		"$d"/*)
			mkdir -p "/mnt$p" &&
			mount --bind "/host$p" "/mnt$p" ||
			fail "cannot bind $p into the guest"
			;;
		esac
	done
done

cp "/host$rundir/job" /mnt/run/cryptech-vm/job.sh || fail "cannot copy the job"
# the run directory (with the secret) stays out of the test's sight
if [ -d "/mnt$rundir" ]; then
	mount -t tmpfs -o mode=700,size=4k tmpfs "/mnt$rundir" ||
		fail "cannot hide $rundir"
fi

read -r taint0 < /proc/sys/kernel/tainted

# The guest's hwrng (virtio-rng, see tests/vm/run), before the module's.
# A kernel of its own (--kernel-image) may not have one: the board's hwrng
# is then the current one there.
[ -e /builtin ] || chroot /mnt /sbin/modprobe virtio_rng ||
	fail "modprobe virtio_rng failed"

if [ -n "$MODULE" ]; then
	ko="/run/cryptech-vm/${MODULE##*/}"
	cp "/host$MODULE" "/mnt$ko" || fail "cannot copy $MODULE"
	# MODULE_PARAMS: name=value words, checked by tests/vm/run
	# shellcheck disable=SC2086
	if ! out=$(chroot /mnt /sbin/insmod "$ko" $MODULE_PARAMS 2>&1); then
		echo "$out"
		mark INSMOD-FAILED "insmod $MODULE: $(echo "$out" | tr '\n' ' ')"
		status=1
		finish
	fi
fi

if [ "$BOARDS" -gt 0 ]; then
	[ -e /builtin ] || chroot /mnt /sbin/modprobe -a xhci_pci ftdi_sio ||
		fail "modprobe xhci_pci ftdi_sio failed"
	deadline=$(( $(date +%s) + USB_WAIT ))
	while :; do
		missing=
		i=0
		while [ "$i" -lt "$BOARDS" ]; do
			[ -e "/mnt/dev/ttyUSB$i" ] || missing="$missing ttyUSB$i"
			i=$((i + 1))
		done
		[ -z "$missing" ] && break
		[ "$(date +%s)" -ge "$deadline" ] &&
			fail "no$missing after ${USB_WAIT}s"
		sleep 0.05
	done
fi

mark RUN
chroot /mnt /usr/bin/env -i /bin/sh /run/cryptech-vm/job.sh </dev/null
status=$?
finish
