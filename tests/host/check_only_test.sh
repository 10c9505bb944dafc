#!/bin/bash
# tests/check.sh --only (make check ONLY=..., make check-debug ONLY=...):
# only the suites named run, a name that matches no suite fails the run,
# and the option without names is a usage error. Runs the two cheapest
# host suites (codec, uapi-layout) into a scratch log directory. TAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/host/tap.sh
. "$top/tests/host/tap.sh"
echo "TAP version 13"
echo "1..5"

check() {
	CHECK_LOGDIR="$tmp/logs" "$top/tests/check.sh" --host-only "$@" >"$tmp/out" 2>&1
}

check --only codec,uapi-layout
rc=$?
suites=$(sed -n 's/^# ===== suite: \([^:]*\)$/\1/p' "$tmp/out" | tr '\n' ' ')
result "$([ "$suites" = "codec uapi-layout " ] && echo 1)" \
	"--only codec,uapi-layout runs those two suites and no other" \
	"suites run: $suites"
last=$(tail -n 1 "$tmp/out")
result "$([ "$rc" = 0 ] && [[ "$last" =~ ^[1-9][0-9]*\ passed,\ 0\ failed$ ]] && echo 1)" \
	"and ends with their total, exit 0" "exit $rc, last line: $last"

check --only "codec no-such-suite"
rc=$?
result "$([ "$rc" != 0 ] && grep -q "^not ok - --only: no suite 'no-such-suite'" "$tmp/out" && echo 1)" \
	"a name no suite has fails the run and is named" \
	"exit $rc" "$(tail -n 3 "$tmp/out")"
result "$(tail -n 1 "$tmp/out" | grep -Eq '^[1-9][0-9]* passed, 1 failed$' && echo 1)" \
	"the suite that exists still ran" "$(tail -n 1 "$tmp/out")"

"$top/tests/check.sh" --only >"$tmp/out" 2>&1
rc=$?
"$top/tests/check.sh" --only ' , ' >"$tmp/out2" 2>&1
rc2=$?
result "$([ "$rc" = 2 ] && [ "$rc2" = 2 ] && grep -q -- "--only needs suite names" "$tmp/out" &&
	  grep -q -- "--only needs suite names" "$tmp/out2" && echo 1)" \
	"--only without names, or with only separators, is a usage error (exit 2)" \
	"exit $rc: $(cat "$tmp/out")" "exit $rc2: $(cat "$tmp/out2")"
[ "$fails" = 0 ]
