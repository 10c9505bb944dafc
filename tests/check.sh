#!/bin/bash
# The whole test suite: host tests first, then the VM tests (one VM boot per
# group). Every suite prints TAP; this script passes it through and ends with
# the line "N passed, N failed". A skipped test counts as failed (a test that
# cannot run must say why, not pass), and so does a suite that exits non-zero
# without reporting a failure, or that runs no test at all.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

mode=all
debug=0
full=0
debug_only=0
only=""
while [ $# -gt 0 ]; do
	case "$1" in
	--host-only) mode=host ;;
	--vm-only) mode=vm ;;
	# The VM groups under the checker kernel, then the groups that only
	# make sense there (Documentation/testing-debug-kernel.rst).
	--debug-kernel) mode=vm; debug=1 ;;
	--full) full=1 ;;
	# With --debug-kernel: only the groups that make sense under the
	# checker kernel alone (fuzzers, windows, storms), not every VM group
	--debug-only) debug_only=1 ;;
	# BIND 9.18 through the PKCS#11 module (make check-bind): opt-in,
	# since it needs a BIND rebuilt with its ENGINE code (cached)
	--bind) mode=bind ;;
	# Only the suites named (as in "# ===== suite: NAME"; spaces or commas
	# between them): one group again, or a long FULL=1 run in parts.
	--only)
		only=" $(printf '%s' "${2:-}" | tr ',' ' ') "
		if [ -z "${only// /}" ]; then
			echo "$0: --only needs suite names" >&2
			exit 2
		fi
		shift ;;
	*) echo "usage: $0 [--host-only|--vm-only|--debug-kernel [--full] [--debug-only]|--bind] [--only SUITES]" >&2; exit 2 ;;
	esac
	shift
done
if [ "$debug_only" = 1 ]; then
	if [ "$debug" = 0 ]; then
		echo "$0: --debug-only goes with --debug-kernel" >&2
		exit 2
	fi
	mode=debug-only
fi
if [ "$debug" = 1 ]; then
	# the checker kernel's VM settings (also for a replay by hand)
	# shellcheck source=tests/debug-vm-env.sh
	. tests/debug-vm-env.sh || exit 1
	echo "# checker kernel: $(cat "$cryptech_debug_dir/complete")"
	start_debug=$(date +%s)
fi

# (CHECK_LOGDIR: elsewhere, for the test of this script itself)
logdir="${CHECK_LOGDIR:-$top/build/check}"
mkdir -p "$logdir"
passed=0
failed=0
failed_suites=()
qemu_crashes=()
suites_run=" "

# run_suite NAME CMD...: run, show output, count top-level TAP results.
run_suite() {
	local name=$1 log="$logdir/$1.log" rc p f s
	shift
	if [ -n "$only" ] && [ "${only#* "$name" }" = "$only" ]; then
		return 0
	fi
	suites_run+="$name "
	echo "# ===== suite: $name"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	# QEMU itself crashed (tests/vm/run status 126): not a result of the
	# guest. The runner's board links remove the known cause (see
	# Documentation/testing-vm.rst), so a crash is news: run the group once
	# more as a safety net, and say so where nobody can miss it.
	if [ "$rc" -eq 126 ]; then
		echo "# ===== suite: $name: QEMU CRASHED (see above; log kept as $log.qemu-crash); running it once more"
		qemu_crashes+=("$name")
		cp "$log" "$log.qemu-crash"
		"$@" 2>&1 | tee "$log"
		rc=${PIPESTATUS[0]}
	fi
	# Guest output carries the VM runner's "[vm] " prefix.
	p=$(grep -Ec '^(\[vm\] )?ok [0-9]+' "$log" | head -1)
	s=$(grep -Ec '^(\[vm\] )?ok [0-9]+.*# *SKIP' "$log" | head -1)
	f=$(grep -Ec '^(\[vm\] )?not ok [0-9]+' "$log" | head -1)
	p=$((p - s))
	f=$((f + s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name: exited with status $rc without a failing test (see $log)"
		f=1
	fi
	if [ $((p + f)) -eq 0 ]; then
		echo "not ok - $name: ran no test (see $log)"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" -eq 0 ] || failed_suites+=("$name")
	echo "# ===== suite: $name: $p passed, $f failed"
}

if [ "$mode" = all ] || [ "$mode" = host ]; then
	run_suite codec tests/host/codec_test
	run_suite uapi-layout tests/host/uapi_layout_test
	run_suite emulator make -s -C emulator check
	run_suite self-contained tests/host/self_contained.sh
	run_suite libhsm make -s -C libhsm check
	run_suite hsmctl make -s -C hsmctl check
	run_suite sanitized tests/host/sanitized.sh
	run_suite completion tests/host/completion_test.sh
	run_suite check-only tests/host/check_only_test.sh
	run_suite harness-select tests/host/harness_select_test.sh
	run_suite manpages tests/host/manpages_test.sh
	run_suite pkcs11 make -s -C pkcs11 check
	run_suite vm-runner tests/vm/selftest
	run_suite pkg-helper tests/pkg/helper_test
fi

if [ "$mode" = all ] || [ "$mode" = vm ]; then
	# The VM tests need the module's test-only delay points (debugfs,
	# Documentation/test-hooks.rst): build it so.
	if ! make -s module CRYPTECH_HSM_TEST_HOOKS=1 >"$logdir/module-test-hooks.log" 2>&1; then
		cat "$logdir/module-test-hooks.log"
		echo "not ok - building the module with CRYPTECH_HSM_TEST_HOOKS=1"
		failed=$((failed + 1))
		failed_suites+=(module-test-hooks)
	fi
	# Group 1: the emulator as the board; everything a healthy board allows.
	run_suite vm-main tests/vm/run --boards 2 --timeout 900 -- \
		tests/kernel/run-group main
	# Group 2: misbehaving boards, one kind per boot.
	run_suite vm-silent-board tests/vm/run --timeout 300 \
		--board-cmd "python3 $top/tests/boards/silent_board.py --socket {socket}" -- \
		tests/kernel/run-group silent
	for mode_ in oversize garbage wrong-handle stall truncated; do
		run_suite "vm-faulty-board-$mode_" tests/vm/run --timeout 300 \
			--board-cmd "python3 $top/tests/boards/faulty_board.py --socket {socket} --mode $mode_" -- \
			tests/kernel/run-group "faulty-$mode_"
	done
	# Groups 3-6: the session and key ioctl ABI, board faults and races
	# (issue 4). The emulator with a short wrong-PIN delay: the tests that
	# need a long one set it through the control socket.
	emu="{tree}/emulator/cryptech-emu --state {state} --unix {socket} --control {control}"
	for group_ in session keys faults; do
		run_suite "vm-$group_" tests/vm/run --timeout 600 \
			--board-cmd "$emu --bad-pin-delay 300" -- \
			tests/kernel/run-group "$group_"
	done
	# A board as it leaves the factory (no master key until the console
	# sets one) and both firmware generations (issue 7).
	run_suite vm-masterkey tests/vm/run --timeout 600 \
		--board-cmd "$emu --bad-pin-delay 300 --no-masterkey" -- \
		tests/kernel/run-group masterkey
	run_suite vm-races tests/vm/run --timeout 900 \
		--board-cmd "$emu --bad-pin-delay 300" -- \
		tests/kernel/run-group races
	# Groups 7-9 (issue 7): attach/teardown races with the delay points,
	# clean-up and DETACH; netlink, parameters and ioctl sizes; the stable
	# board identity (two boards, replugged in the other order).
	# teardown replugs board 0 100 times: about 4 min on an idle host, up
	# to 20 under load.
	# With slab poisoning (slub_debug=P), so that a use of a freed tty
	# (hangup_after_set_ldisc) is an oops on Debian's kernel too: freed
	# memory reads as 0x6b bytes, a non-canonical pointer.
	run_suite vm-teardown env \
		CRYPTECH_VM_KERNEL_ARGS="${CRYPTECH_VM_KERNEL_ARGS:-} slub_debug=P" \
		tests/vm/run --timeout 3600 \
		--board-cmd "$emu --bad-pin-delay 300" -- \
		tests/kernel/run-group teardown
	run_suite vm-netlink tests/vm/run --timeout 600 \
		--board-cmd "$emu --bad-pin-delay 300" -- \
		tests/kernel/run-group netlink
	run_suite vm-identity tests/vm/run --boards 2 --timeout 600 \
		--board-cmd "$emu --bad-pin-delay 300" -- \
		tests/kernel/run-group identity
	# hsmctl backup and key export/import between two boards (issue 11).
	run_suite vm-backup tests/vm/run --boards 2 --timeout 900 \
		--board-cmd "$emu --bad-pin-delay 300" -- \
		tests/kernel/run-group backup
	# Its fallbacks: an adapter without a USB serial, a tty without USB.
	run_suite vm-identity-fallback tests/vm/run --usb-serial 0= \
		--timeout 600 --board-cmd "$emu --bad-pin-delay 300" -- \
		tests/kernel/run-group identity-fallback
	# The board as a hwrng (issue 10): /dev/hwrng reads, unplug under a
	# reader of it.
	run_suite vm-hwrng tests/vm/run --timeout 600 \
		--board-cmd "$emu --bad-pin-delay 300" -- \
		tests/kernel/run-group hwrng
	# The kernel session (issue 10): kernel-login/-logout, its state, its
	# login slot, detach; private-key use refused without it.
	run_suite vm-kernel-session tests/vm/run --timeout 600 \
		--board-cmd "$emu --bad-pin-delay 300" -- \
		tests/kernel/run-group kernel-session
	# ECDSA verification on the boards for in-kernel users (issue 10):
	# /proc/crypto, shared registration, keyctl and X.509.
	run_suite vm-akcipher tests/vm/run --boards 2 --timeout 600 \
		--board-cmd "$emu --bad-pin-delay 300" -- \
		tests/kernel/run-group akcipher
	# Board keys in the kernel's keyrings (issue 10): keyctl padd,
	# pkey_query/sign/verify, failure paths, unplug and re-attach.
	run_suite vm-keyring tests/vm/run --timeout 600 \
		--board-cmd "$emu --bad-pin-delay 300" -- \
		tests/kernel/run-group keyring
	# hsmctl monitor and slow key generation (issue 11): events as lines
	# and JSON, signals, a reader going away; --timeout and Ctrl-C.
	run_suite vm-monitor tests/vm/run --timeout 600 \
		--board-cmd "$emu --bad-pin-delay 300" -- \
		tests/kernel/run-group monitor
	# The PKCS#11 module against the driver (issue 8): pkcs11-tool,
	# p11tool and p11-kit, Knot (kzonesign, knotd, a ZSK rollover) and
	# ldns-signzone, each zone validated; unplug and replug.
	# Its slot-events client is built here: "make all" builds only the
	# module, and --vm-only skips the host suites that build the rest.
	if ! make -s -C pkcs11/tests bin/vm_slot_events >"$logdir/pkcs11-vm-tools.log" 2>&1; then
		cat "$logdir/pkcs11-vm-tools.log"
		echo "not ok - building pkcs11/tests/bin/vm_slot_events"
		failed=$((failed + 1))
		failed_suites+=(pkcs11-vm-tools)
	fi
	run_suite vm-pkcs11 tests/vm/run --timeout 2400 -- \
		tests/dnssec/vm-pkcs11.sh
	# Its signing client (tests/bench/p11_sign_rate.c) is built here:
	# "make all" does not build the benchmarks.
	if ! make -s -C tests/bench "$top/build/bench/p11_sign_rate" \
	     >"$logdir/group-vm-tools.log" 2>&1; then
		cat "$logdir/group-vm-tools.log"
		echo "not ok - building build/bench/p11_sign_rate"
		failed=$((failed + 1))
		failed_suites+=(group-vm-tools)
	fi
	# Two boards as one token (issue 13): Knot signs through the group
	# while a board is unplugged mid-signing; keys copied at keygen and by
	# hsmctl group sync, deleted everywhere; a single-homed key's board gone.
	run_suite vm-group tests/vm/run --boards 2 --timeout 1800 \
		--board-cmd "$emu --set service_ms.PKEY_SIGN=5" -- \
		tests/dnssec/vm-group.sh
	# The Debian packages (issue 12): make deb (lintian clean), then in a
	# VM of the stock kernel: dpkg -i with the DKMS build, udev,
	# auto-attach, group hsm. Not under the checker kernel, which has no
	# headers for DKMS to build against.
	if [ "$debug" = 0 ]; then
		run_suite vm-packages tests/pkg/run
	fi
fi

if [ "$debug" = 1 ]; then
	# Only under the checker kernel (issue 9): fuzzers, widened windows,
	# fault storms. FULL=1 (--full) runs the full counts.
	if [ "$mode" = debug-only ] &&
	   ! make -s module CRYPTECH_HSM_TEST_HOOKS=1 >"$logdir/module-test-hooks.log" 2>&1; then
		cat "$logdir/module-test-hooks.log"
		echo "not ok - building the module with CRYPTECH_HSM_TEST_HOOKS=1"
		failed=$((failed + 1))
		failed_suites+=(module-test-hooks)
	fi
	debug_env=(--env "HSM_FULL=$full")
	# Each group's limit (before the runner's time scale): the full counts
	# run for hours (Documentation/testing-debug-kernel.rst has the times).
	if [ "$full" = 1 ]; then
		t_ioctl=4800 t_hostile=3600 t_failslab=3600 t_windows=4800 t_storms=9600
	else
		t_ioctl=1200 t_hostile=1200 t_failslab=1200 t_windows=1500 t_storms=1500
	fi
	emu="{tree}/emulator/cryptech-emu --state {state} --unix {socket} --control {control}"
	run_suite vm-debug-ioctl-fuzz tests/vm/run --boards 2 --timeout "$t_ioctl" \
		"${debug_env[@]}" --board-cmd "$emu --bad-pin-delay 300" -- \
		tests/kernel/run-group debug-ioctl-fuzz
	run_suite vm-debug-hostile-board tests/vm/run --boards 1 --timeout "$t_hostile" \
		"${debug_env[@]}" \
		--board-cmd "python3 $top/tests/boards/hostile_board.py --socket {socket} --control {control}${HSM_HOSTILE_SEED:+ --seed $HSM_HOSTILE_SEED}" -- \
		tests/kernel/run-group debug-hostile
	run_suite vm-debug-failslab tests/vm/run --timeout "$t_failslab" \
		"${debug_env[@]}" --board-cmd "$emu --bad-pin-delay 300" -- \
		tests/kernel/run-group debug-failslab
	run_suite vm-debug-windows tests/vm/run --timeout "$t_windows" \
		"${debug_env[@]}" --board-cmd "$emu --bad-pin-delay 300" -- \
		tests/kernel/run-group debug-windows
	run_suite vm-debug-storms tests/vm/run --timeout "$t_storms" \
		"${debug_env[@]}" --board-cmd "$emu --bad-pin-delay 300" -- \
		tests/kernel/run-group debug-storms
	echo "# check-debug: $(( $(date +%s) - start_debug )) s"
fi

if [ "$mode" = bind ]; then
	# BIND 9.18 (issue 8): dnssec-keyfromlabel and dnssec-signzone through
	# libp11's engine and the module, RSASHA256 and ECDSAP256SHA256, each
	# zone validated. scripts/bind9-pkcs11.sh built it (make check-bind).
	if bind=$(scripts/bind9-pkcs11.sh --print-dir); then
		run_suite vm-bind tests/vm/run --timeout 1500 --expose "$bind" \
			--env "BIND_BINDIR=$bind/bin" -- \
			tests/dnssec/vm-bind.sh
	else
		echo "not ok - BIND 9.18 with ENGINE support is not built: run 'make check-bind'"
		failed=$((failed + 1))
		failed_suites+=(vm-bind)
	fi
fi

# A name in --only that no suite of this mode has is a typo, not a pass.
for name_ in $only; do
	if [ "${suites_run#* "$name_" }" = "$suites_run" ]; then
		echo "not ok - --only: no suite '$name_' in this run (names as in '# ===== suite: NAME')"
		failed=$((failed + 1))
		failed_suites+=("$name_")
	fi
done
if [ ${#qemu_crashes[@]} -gt 0 ]; then
	echo "# QEMU CRASHED in: ${qemu_crashes[*]} (rerun once each; report it: the runner's links should prevent this)"
fi
if [ ${#failed_suites[@]} -gt 0 ]; then
	echo "# failed suites: ${failed_suites[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
