#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Real PKCS#11 applications on the host against the emulator's board, with
# the test seam preloaded (bin/seam-preload.so): OpenSC's pkcs11-tool
# (including --test), GnuTLS's p11tool, Knot's keymgr + kzonesign, knotd,
# ldns-signzone and OpenDNSSEC's enforcer + signer signing zones that
# ldns-verify-zone and kzonecheck validate. Prints TAP.
# A tool that is missing is a failure that says so, never a skip.
#
# Usage: host-tools.sh [MODULE]   (default: ../libhsm-pkcs11.so)
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TREE=$(cd "$HERE/../.." && pwd)
MODULE=${1:-$HERE/../libhsm-pkcs11.so}
MODULE=$(cd "$(dirname "$MODULE")" && pwd)/$(basename "$MODULE")
SEAM=$HERE/bin/seam-preload.so
PIN=user-pin-1234
TOKEN=cryptech-EMU00000

WORK=$(mktemp -d "${TMPDIR:-/tmp}/p11-host-tools.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM
mkdir -p "$WORK/b0"

# Every program below sees the board; only those that use it load it.
SEAM_BOARDS=$WORK/b0:EMU00000
HSM_PKCS11_DEVICES=$WORK/b0/dev
export SEAM_BOARDS HSM_PKCS11_DEVICES

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
# check NAME CMD...: run CMD with the seam, its output as TAP comments
check() {
	name=$1
	shift
	if LD_PRELOAD=$SEAM "$@" >"$WORK/out" 2>&1; then ok "$name"; else notok "$name"; fi
	sed 's/^/# /' "$WORK/out"
}
# expect NAME PATTERN: the last command's output has PATTERN
expect() {
	if grep -q -- "$2" "$WORK/out"; then ok "$1"; else notok "$1 (no '$2' in the output)"; fi
}

echo "TAP version 13"
echo "1..23"
missing=
for t in pkcs11-tool p11tool keymgr kzonesign knotd knotc kzonecheck ldns-verify-zone ldns-key2ds ldns-signzone \
	 ods-enforcerd ods-enforcer ods-signerd ods-signer sqlite3; do
	command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
if [ -n "$missing" ] || [ ! -r "$SEAM" ] || [ ! -r "$MODULE" ]; then
	echo "# cannot run: missing$missing (make deps) or $SEAM / $MODULE (make -C pkcs11/tests)"
	i=0
	while [ $i -lt 23 ]; do notok "prerequisites"; i=$((i + 1)); done
	exit 1
fi

check "pkcs11-tool lists the token" pkcs11-tool --module "$MODULE" -L
expect "token label from the board identity" "token label *: $TOKEN\$"
check "pkcs11-tool generates an EC P-256 key pair" pkcs11-tool --module "$MODULE" \
	--login --pin $PIN --keypairgen --key-type EC:prime256v1 --id 01 --label zsk
check "pkcs11-tool generates an RSA-2048 key pair" pkcs11-tool --module "$MODULE" \
	--login --pin $PIN --keypairgen --key-type rsa:2048 --id 02 --label ksk
check "pkcs11-tool --test --login" pkcs11-tool --module "$MODULE" --test --login --pin $PIN
expect "pkcs11-tool --test ends with No errors" "^No errors"
check "p11tool --list-tokens" p11tool --provider "$MODULE" --list-tokens
expect "token URI needs no percent-encoding" "token=$TOKEN"
GNUTLS_PIN=$PIN
export GNUTLS_PIN
check "p11tool --list-all --login" p11tool --provider "$MODULE" --login --list-all "pkcs11:token=$TOKEN"
expect "p11tool sees the private keys" "type=private"
check "p11tool --test-sign ECDSA" p11tool --provider "$MODULE" --login --test-sign \
	"pkcs11:token=$TOKEN;object=zsk;type=private"
check "p11tool --test-sign RSA" p11tool --provider "$MODULE" --login --test-sign \
	"pkcs11:token=$TOKEN;object=ksk;type=private"
# Knot: the recipe preloads nothing itself; every program inherits it.
for alg in ECDSAP256SHA256 RSASHA256; do
	if LD_PRELOAD=$SEAM P11_MODULE=$MODULE P11_TOKEN=$TOKEN P11_PIN=$PIN \
	   ALGS=$alg NRECORDS=200 WORKDIR=$WORK/knot \
	   sh "$TREE/tests/dnssec/sign-knot.sh" >"$WORK/out" 2>"$WORK/err"; then
		ok "Knot keymgr+kzonesign $alg, validated"
	else
		notok "Knot keymgr+kzonesign $alg, validated"
	fi
	sed 's/^/# /' "$WORK/err" "$WORK/out"
done
# knotd: a multi-threaded signer through the module's pool.
if LD_PRELOAD=$SEAM KNOT_MODE=knotd KNOT_PORT=${KNOT_PORT:-53541} P11_MODULE=$MODULE \
   P11_TOKEN=$TOKEN P11_PIN=$PIN ALGS=ECDSAP256SHA256 NRECORDS=200 WORKDIR=$WORK/knot \
   sh "$TREE/tests/dnssec/sign-knot.sh" >"$WORK/out" 2>"$WORK/err"; then
	ok "knotd ECDSAP256SHA256, validated"
else
	notok "knotd ECDSAP256SHA256, validated"
fi
sed 's/^/# /' "$WORK/err" "$WORK/out"
for alg in ECDSAP256SHA256 RSASHA256; do
	if LD_PRELOAD=$SEAM P11_MODULE=$MODULE P11_TOKEN=$TOKEN P11_PIN=$PIN ALG=$alg \
	   WORKDIR=$WORK/knot sh "$TREE/tests/dnssec/rollover-knot.sh" >"$WORK/out" 2>"$WORK/err"; then
		ok "Knot ZSK rollover $alg, the old key deleted from the token"
	else
		notok "Knot ZSK rollover $alg, the old key deleted from the token"
	fi
	grep -v '^;' "$WORK/err" | sed 's/^/# /'
	sed 's/^/# /' "$WORK/out"
done
# ldns-signzone through libp11's OpenSSL engine (keys by pkcs11-tool).
for alg in ECDSAP256SHA256 RSASHA256; do
	if LD_PRELOAD=$SEAM P11_MODULE=$MODULE P11_TOKEN=$TOKEN P11_PIN=$PIN ALGS=$alg \
	   NRECORDS=200 WORKDIR=$WORK/ldns sh "$TREE/tests/dnssec/sign-ldns.sh" \
	   >"$WORK/out" 2>"$WORK/err"; then
		ok "ldns-signzone -E pkcs11 $alg, validated"
	else
		notok "ldns-signzone -E pkcs11 $alg, validated"
	fi
	grep -v '^;' "$WORK/err" | sed 's/^/# /'
	sed 's/^/# /' "$WORK/out"
done
# OpenDNSSEC: the enforcer generates the keys, then the signer signs (one
# process at a time: each loads the emulated board), both algorithms.
if LD_PRELOAD=$SEAM P11_MODULE=$MODULE P11_TOKEN=$TOKEN P11_PIN=$PIN \
   ALGS="RSASHA256 ECDSAP256SHA256" NRECORDS=200 ODS_ONE_AT_A_TIME=1 \
   ODS_PORT=${ODS_PORT:-53542} WORKDIR=$WORK/ods \
   sh "$TREE/tests/dnssec/sign-opendnssec.sh" >"$WORK/out" 2>"$WORK/err"; then
	ok "OpenDNSSEC enforcer + signer RSASHA256 and ECDSAP256SHA256, validated"
else
	notok "OpenDNSSEC enforcer + signer RSASHA256 and ECDSAP256SHA256, validated"
fi
grep -v '^;' "$WORK/err" | sed 's/^/# /'
sed 's/^/# /' "$WORK/out"
# A redundancy group of two boards (Documentation/admin-guide/groups.rst):
# Knot generates its keys on the group token, which copies each pair to
# both boards, and signs through it; then each board, seen alone (no
# groups file), holds both keys.
mkdir -p "$WORK/g0" "$WORK/g1"
printf '[group dnssec]\nboards = GRP00000 GRP00001\n' >"$WORK/groups.conf"
if LD_PRELOAD=$SEAM SEAM_BOARDS=$WORK/g0:GRP00000,$WORK/g1:GRP00001 \
   HSM_PKCS11_DEVICES=$WORK/g0/dev,$WORK/g1/dev HSM_GROUPS_CONF=$WORK/groups.conf \
   P11_MODULE=$MODULE P11_TOKEN=cryptech-grp-dnssec P11_PIN=$PIN KEEP_KEYS=1 \
   ALGS=ECDSAP256SHA256 NRECORDS=200 WORKDIR=$WORK/knot-group \
   sh "$TREE/tests/dnssec/sign-knot.sh" >"$WORK/out" 2>"$WORK/err"; then
	ok "Knot keymgr+kzonesign ECDSAP256SHA256 on a group token of two boards, validated"
else
	notok "Knot keymgr+kzonesign ECDSAP256SHA256 on a group token of two boards, validated"
fi
sed 's/^/# /' "$WORK/err" "$WORK/out"
copies=
for b in GRP00000 GRP00001; do
	c=$(LD_PRELOAD=$SEAM SEAM_BOARDS=$WORK/g0:GRP00000,$WORK/g1:GRP00001 \
	    HSM_PKCS11_DEVICES=$WORK/g0/dev,$WORK/g1/dev HSM_GROUPS_CONF=/dev/null \
	    pkcs11-tool --module "$MODULE" --token-label "cryptech-$b" --login --pin $PIN \
	    --list-objects --type privkey 2>/dev/null | grep -c "^Private Key Object; EC")
	copies="$copies $c"
done
echo "# EC private keys on each board:$copies"
if [ "$copies" = " 2 2" ]; then
	ok "the group token copied Knot's KSK and ZSK to both boards"
else
	notok "the group token copied Knot's KSK and ZSK to both boards"
fi
make -s -C "$HERE/.." install DESTDIR="$WORK/root" >"$WORK/out" 2>&1
if [ -f "$WORK/root$(pkg-config --variable=p11_module_configs p11-kit-1)/cryptech-hsm.module" ] &&
   [ -f "$WORK/root$(pkg-config --variable=p11_module_path p11-kit-1)/libhsm-pkcs11.so" ]; then
	ok "make install: the module and its p11-kit module file"
else
	notok "make install: the module and its p11-kit module file"
fi
sed 's/^/# /' "$WORK/out"
[ $fails -eq 0 ]
