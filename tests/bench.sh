#!/bin/bash
# `make bench`: benchmarks print figures as ratios against a baseline measured
# in the same run, never absolute pass/fail timings.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
make -s -C emulator bench

# Sign rate through the driver (issue 4 point 8): 1, 4 and 16 sessions
# against an emulator with a fixed service time and 4 workers, as a ratio of
# the board's ideal rate, and the latency the driver adds (p50, p99).
service_ms=20
make -s -C tests/bench
tests/vm/run --boards 1 --timeout 600 \
	--board-cmd "{tree}/emulator/cryptech-emu --state {state} --unix {socket} --control {control} --workers 4 --set service_ms.PKEY_SIGN=$service_ms" \
	-- build/bench/sign_bench --service-ms "$service_ms" --workers 4 --seconds 5
