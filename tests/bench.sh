#!/bin/bash
# `make bench`: benchmarks print figures as ratios against a baseline measured
# in the same run, never absolute pass/fail timings.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
make -s -C emulator bench
