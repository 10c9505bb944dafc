#!/bin/bash
# The manual pages (packaging/man, issue 11, point 8): they render without
# groff warnings, hsmctl(1) has an entry for every command and key
# subcommand of 'hsmctl help' and every exit code, and libhsm(3) names
# every function the library exports (libhsm/libhsm.map). TAP on stdout.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
# shellcheck source=tap.sh
. tests/host/tap.sh

echo "TAP version 13"
echo "1..5"

warn=""
for page in packaging/man/*.[1-8]; do
	w=$(groff -man -ww -z "$page" 2>&1)
	[ -z "$w" ] || warn="$warn $page: $w"
done
result "$([ -z "$warn" ] && echo 1)" "every page renders without groff warnings" "$warn"

# The pages' commands with groff's escaped hyphens plain.
page=$(sed 's/\\-/-/g' packaging/man/hsmctl.1)
missing=""
for cmd in $(hsmctl/hsmctl help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\).*/\1/p'); do
	printf '%s\n' "$page" | grep -qE "^\.B[IR]? \"?$cmd( |\"|$)" || missing="$missing $cmd"
done
result "$([ -z "$missing" ] && echo 1)" "hsmctl(1) has an entry for every command" "missing:$missing"

missing=""
for sub in $(hsmctl/hsmctl help key | sed -n 's/^  key \([a-z][a-z-]*\).*/\1/p' | sort -u); do
	printf '%s\n' "$page" | grep -qE "^\.B[IR]? \"?key $sub( |\"|$)" || missing="$missing $sub"
done
result "$([ -z "$missing" ] && echo 1)" "hsmctl(1) has an entry for every key subcommand" "missing:$missing"

missing=""
# (SIGNAL_BASE is not a status itself: 128 + a signal's number.)
for code in $(sed -n '/SIGNAL_BASE/d; s/^\tHSMCTL_EXIT_[A-Z_]* = \([0-9]*\),.*/\1/p' hsmctl/src/exitcodes.h); do
	printf '%s\n' "$page" | grep -qx "\.B $code" || missing="$missing $code"
done
result "$([ -z "$missing" ] && echo 1)" "hsmctl(1) lists every exit code" "missing:$missing"

missing=""
for fn in $(sed -n 's/^\t\(hsm_[a-z0-9_]*\);$/\1/p' libhsm/libhsm.map); do
	grep -q "^\.BR $fn ()" packaging/man/libhsm.3 || missing="$missing $fn"
done
result "$([ -z "$missing" ] && echo 1)" "libhsm(3) names every exported function" "missing:$missing"
exit $((fails > 0))
