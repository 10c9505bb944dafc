#!/bin/bash
# `make bench`: benchmarks print figures as ratios against a baseline measured
# in the same run, never absolute pass/fail timings.
#
# Knobs (environment): BENCH_ONLY=emulator|driver|dnssec|kernel-users|group runs
# one part; BENCH_NAMES (10000) the DNSSEC zone's names, BENCH_SESSIONS (1)
# its concurrent sessions, BENCH_SIGN_MS (10) the board's PKEY_SIGN service
# time there and in kernel-users, BENCH_SECONDS (5) each libhsm measurement
# and each kernel-users one, BENCH_SOFTHSM=0 skips SoftHSM2, BENCH_TIMEOUT
# (7200) the DNSSEC VM's time limit in seconds, BENCH_AKC_EC and
# BENCH_AKC_RSA the algorithms kernel-users signs with through akcipher
# (tests/bench/kernel-users-bench.sh). BENCH_GROUP_SIGN_MS (50) the two
# boards' PKEY_SIGN service time in the group benchmark, BENCH_THREADS (8)
# its signing threads (tests/bench/group-bench.sh).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
only=${BENCH_ONLY:-}
part() { [ -z "$only" ] || [ "$only" = "$1" ]; }

part emulator && make -s -C emulator bench

# Sign rate through the driver (issue 4 point 8): 1, 4 and 16 sessions
# against an emulator with a fixed service time and 4 workers, as a ratio of
# the board's ideal rate, and the latency the driver adds (p50, p99).
make -s -C tests/bench
if part driver; then
	service_ms=20
	tests/vm/run --boards 1 --timeout 600 \
		--board-cmd "{tree}/emulator/cryptech-emu --state {state} --unix {socket} --control {control} --workers 4 --set service_ms.PKEY_SIGN=$service_ms" \
		-- build/bench/sign_bench --service-ms "$service_ms" --workers 4 --seconds 5
fi

# DNSSEC (issue 8 point 8): Knot's kzonesign through the PKCS#11 module
# against what the same board signs through libhsm with as many sessions,
# where the rest of the time goes, and SoftHSM2 for reference
# (tests/bench/dnssec-bench.sh; Documentation/pkcs11.rst, "Benchmark").
if part dnssec; then
	sign_ms=${BENCH_SIGN_MS:-10}
	tests/vm/run --boards 1 --timeout "${BENCH_TIMEOUT:-7200}" \
		--board-cmd "{tree}/emulator/cryptech-emu --state {state} --unix {socket} --control {control} --workers 4 --set service_ms.PKEY_SIGN=$sign_ms" \
		--env "BENCH_NAMES=${BENCH_NAMES:-10000}" --env "BENCH_SESSIONS=${BENCH_SESSIONS:-1}" \
		--env "BENCH_SECONDS=${BENCH_SECONDS:-5}" --env "BENCH_SIGN_MS=$sign_ms" \
		--env "BENCH_SOFTHSM=${BENCH_SOFTHSM:-1}" \
		-- tests/bench/dnssec-bench.sh
fi

# In-kernel users (issue 10 point 9): ECDSA P-256 and RSA-2048 sign rates
# through keyctl pkey_sign (a board key in the keyrings) and through the
# crypto API's akcipher (tests/kmod/cryptech_akc_bench.ko, built by `make
# module`), 1 and 4 callers, as ratios of the ioctl path's rate (libhsm) in
# the same run (tests/bench/kernel-users-bench.sh).
if part kernel-users; then
	sign_ms=${BENCH_SIGN_MS:-10}
	tests/vm/run --boards 1 --timeout 900 \
		--board-cmd "{tree}/emulator/cryptech-emu --state {state} --unix {socket} --control {control} --workers 4 --set service_ms.PKEY_SIGN=$sign_ms" \
		--env "BENCH_SECONDS=${BENCH_SECONDS:-5}" --env "BENCH_SIGN_MS=$sign_ms" \
		--env "BENCH_AKC_EC=${BENCH_AKC_EC:-}" --env "BENCH_AKC_RSA=${BENCH_AKC_RSA:-}" \
		-- tests/bench/kernel-users-bench.sh
fi

# Redundancy groups (issue 13 point 6): two boards of equal speed behind
# one token against one board alone, through the PKCS#11 module, and the
# failover pause a signer sees when a board goes away
# (tests/bench/group-bench.sh; Documentation/admin-guide/groups.rst). The
# service time is a real board's order of magnitude, so that the boards,
# not the guest's emulated CPU, set the pace.
if part group; then
	sign_ms=${BENCH_GROUP_SIGN_MS:-50}
	tests/vm/run --boards 2 --timeout 900 \
		--board-cmd "{tree}/emulator/cryptech-emu --state {state} --unix {socket} --control {control} --workers 4 --set service_ms.PKEY_SIGN=$sign_ms" \
		--env "BENCH_SECONDS=${BENCH_SECONDS:-5}" --env "BENCH_SIGN_MS=$sign_ms" \
		--env "BENCH_THREADS=${BENCH_THREADS:-8}" \
		-- tests/bench/group-bench.sh
fi
