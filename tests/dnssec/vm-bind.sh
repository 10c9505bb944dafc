#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# BIND 9.18 signing zones with keys on the board, in the VM against the real
# driver and an emulated board (make check-bind; run from the project tree
# on the host):
#
#   tests/vm/run --timeout 1500 --env BIND_BINDIR=DIR -- tests/dnssec/vm-bind.sh
#
# DIR is the bin/ directory of the BIND that scripts/bind9-pkcs11.sh builds
# (Debian 12's cannot use a PKCS#11 token). In the guest: attach board 0,
# bring its PINs up with hsmctl, then tests/dnssec/sign-bind.sh for
# RSASHA256 (2048) and ECDSAP256SHA256: keys generated on the board with
# pkcs11-tool, linked with dnssec-keyfromlabel -E pkcs11 through libp11's
# engine, the zone signed with dnssec-signzone and checked by
# ldns-verify-zone, kzonecheck and dnssec-verify, the keys deleted from the
# board afterwards. Prints TAP. A missing tool fails, saying so.
set -u

TREE=$(cd "$(dirname "$0")/../.." && pwd)
MODULE=$TREE/pkcs11/libhsm-pkcs11.so
HSMCTL=$TREE/hsmctl/hsmctl
PIN=user-pin-1234
NRECORDS=${NRECORDS:-1000}
ALGS="RSASHA256 ECDSAP256SHA256"
TOTAL=6

WORK=$(mktemp -d /tmp/vm-bind.XXXXXX)
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }

echo "TAP version 13"
echo "1..$TOTAL"
missing=
for t in pkcs11-tool ldns-verify-zone ldns-read-zone kzonecheck openssl; do
	command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
for t in dnssec-keyfromlabel dnssec-signzone dnssec-verify; do
	[ -x "${BIND_BINDIR:-/nonexistent}/$t" ] || missing="$missing ${BIND_BINDIR:-\$BIND_BINDIR}/$t"
done
if [ -n "$missing" ] || [ ! -x "$HSMCTL" ] || [ ! -r "$MODULE" ]; then
	echo "# cannot run: missing$missing (make check-bind builds BIND and installs the rest), or $HSMCTL / $MODULE (make)"
	while [ $n -lt $TOTAL ]; do notok "prerequisites"; done
	exit 1
fi

. "$TREE/tests/dnssec/vm-board.sh"
if vm_board_attach >"$WORK/out" 2>&1 && vm_board_pins >>"$WORK/out" 2>&1; then
	ok "board 0 attached, PINs set with hsmctl"
else
	notok "board 0 attached, PINs set with hsmctl"
fi
sed 's/^/# /' "$WORK/out"
TOKEN=$(vm_token_label)
if [ -n "$TOKEN" ]; then ok "the module shows the token ($TOKEN)"; else notok "the module shows the token"; fi

for alg in $ALGS; do
	if P11_MODULE=$MODULE P11_TOKEN=$TOKEN P11_PIN=$PIN ALGS=$alg NRECORDS=$NRECORDS \
	   WORKDIR=$WORK/$alg sh "$TREE/tests/dnssec/sign-bind.sh" >"$WORK/out" 2>&1; then
		ok "BIND signs with $alg keys on the board; the zone validates"
	else
		notok "BIND signs with $alg keys on the board; the zone validates"
	fi
	sed 's/^/# /' "$WORK/out"
	# the recipe deletes its keys: nothing of this run stays on the board
	if pkcs11-tool --module "$MODULE" --token-label "$TOKEN" --login --pin "$PIN" \
	   --list-objects >"$WORK/objects" 2>&1; then
		left=$(grep -c "label: *example\.test-[kz]sk-$alg-" "$WORK/objects")
		if [ "$left" = 0 ]; then
			ok "$alg: the recipe's keys are gone from the board"
		else
			notok "$alg: $left objects of the recipe's keys are still on the board"
		fi
	else
		notok "$alg: pkcs11-tool --list-objects failed"
		sed 's/^/# /' "$WORK/objects"
	fi
done

rm -rf "$WORK"
"$HSMCTL" detach hsm0 >/dev/null 2>&1
[ $fails -eq 0 ]
