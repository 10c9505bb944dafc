# shellcheck shell=bash
# Source from the top of the tree: what every tests/vm/run of the checker
# kernel needs (make check-debug, and a replay by hand; see
# Documentation/testing-debug-kernel.rst). Returns non-zero if the kernel
# is not built (make debug-kernel).
#
#   . tests/debug-vm-env.sh && make module CRYPTECH_HSM_TEST_HOOKS=1 && tests/vm/run ...
cryptech_debug_dir=$(scripts/debug-kernel.sh --print-dir) || return 1
# the module is built against it, every VM boots it
export KDIR="$cryptech_debug_dir/linux"
export CRYPTECH_VM_KERNEL_IMAGE="$cryptech_debug_dir/linux/arch/x86/boot/bzImage"
# KASAN and lockdep under TCG: every run's time limit, scaled
export CRYPTECH_VM_TIMEOUT_SCALE="${CRYPTECH_VM_TIMEOUT_SCALE:-3}"
# Under TCG, KASAN and lockdep make the pc machine's ACPI _PRT loop hit
# ACPICA's 30 s loop timeout once per PCI device: boot q35, whose table is
# static (25 s a boot instead of 2.5 min; tests/vm/run).
export CRYPTECH_VM_MACHINE="${CRYPTECH_VM_MACHINE:-q35}"
# A slow emulated CPU still needs room before the soft-lockup and RCU-stall
# detectors speak (soft lockup after 120 s, RCU stall after 300 s). Hung
# tasks: 120 s, as configured.
export CRYPTECH_VM_KERNEL_ARGS="${CRYPTECH_VM_KERNEL_ARGS:-watchdog_thresh=60 rcupdate.rcu_cpu_stall_timeout=300}"
# and the driver's two short deadlines (the tests read the parameters, so
# they follow them): the handshake, 2 s by default, and a DETACH's, 5 s,
# which must cover waiting for the requests in flight and closing every
# session's keys. A DETACH past its deadline leaves key handles on the
# board (documented, and logged); under KASAN and lockdep in TCG with the
# fuzzers' load, 5 s did not always cover the clean-up.
export CRYPTECH_VM_MODULE_PARAMS="${CRYPTECH_VM_MODULE_PARAMS:-handshake_timeout_ms=10000 detach_timeout_ms=30000}"
