#!/bin/bash
# HSM_TEST_HARNESS_MAIN's -t and -l (tests/kernel/hsm_test.h): 6.1's
# kselftest harness ignores its arguments, so the VM test programs take
# them there. Runs tests/host/harness_select_test (three tests, each
# printing "# ran NAME"). TAP on stdout.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
prog=$top/tests/host/harness_select_test
# shellcheck source=tests/host/tap.sh
. "$top/tests/host/tap.sh"
echo "TAP version 13"
echo "1..6"

# ran ARGS...: the names of the tests that ran, in order, one line
ran() {
	"$prog" "$@" 2>&1 | sed -n 's/^# ran //p' | tr '\n' ' '
}

got=$(ran)
result "$([ "$got" = "alpha beta gamma " ] && echo 1)" \
	"no arguments: every test runs" "ran: $got"
got=$(ran -t beta)
result "$([ "$got" = "beta " ] && echo 1)" "-t NAME: only that test" "ran: $got"
got=$(ran -t pair.gamma -t alpha)
result "$([ "$got" = "alpha gamma " ] && echo 1)" \
	"-t FIXTURE.NAME, twice: those two, in the program's order" "ran: $got"
out=$("$prog" -t pair.gamma 2>&1)
result "$(printf '%s\n' "$out" | grep -qx '1\.\.1' && printf '%s\n' "$out" | grep -qx 'ok 1 pair.gamma' && echo 1)" \
	"the plan counts only the tests that run" "$out"
out=$("$prog" -l 2>&1)
result "$([ "$out" = "$(printf 'global.alpha\npair.beta\npair.gamma')" ] && echo 1)" \
	"-l lists FIXTURE.NAME, runs none" "$out"
out=$("$prog" -t nosuch 2>&1)
rc=$?
result "$([ "$rc" = 2 ] && [[ "$out" == *"no test 'nosuch' (-l lists them)"* ]] && ! [[ "$out" == *"# ran"* ]] && echo 1)" \
	"a name no test has: exit 2, named, nothing runs" "exit $rc: $out"
[ "$fails" = 0 ]
