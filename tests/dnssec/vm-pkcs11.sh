#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The PKCS#11 module in the VM, against the real driver and an emulated
# board (run from the project tree on the host):
#
#   tests/vm/run --timeout 1500 -- tests/dnssec/vm-pkcs11.sh
#
# In the guest: attach board 0, bring its PINs up with hsmctl, register the
# module with p11-kit (the user's module config, as make install would the
# system's), then OpenSC's pkcs11-tool --test --login, GnuTLS's p11tool
# (--list-tokens without --provider, --list-all, --test-sign, also with the
# URI hsmctl prints), and Knot's keymgr + kzonesign for ECDSAP256SHA256 and
# RSASHA256 with the zones validated by ldns-verify-zone and kzonecheck,
# knotd, a Knot ZSK rollover, ldns-signzone, and OpenDNSSEC's enforcer and
# signer (both daemons running at once, each with its own sessions).
# Prints TAP. A missing tool fails, saying so.
set -u

TREE=$(cd "$(dirname "$0")/../.." && pwd)
MODULE=$TREE/pkcs11/libhsm-pkcs11.so
HSMCTL=$TREE/hsmctl/hsmctl
PIN=user-pin-1234
NRECORDS=${NRECORDS:-1000}
TOTAL=25

WORK=$(mktemp -d /tmp/vm-pkcs11.XXXXXX)
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
# check NAME CMD...: CMD's success, its output as TAP comments
check() {
	name=$1
	shift
	if "$@" >"$WORK/out" 2>&1; then ok "$name"; else notok "$name"; fi
	sed 's/^/# /' "$WORK/out"
}
expect() {
	if grep -q -- "$2" "$WORK/out"; then ok "$1"; else notok "$1 (no '$2' in the output)"; fi
}

echo "TAP version 13"
echo "1..$TOTAL"
missing=
for t in pkcs11-tool p11tool p11-kit keymgr kzonesign knotd knotc kzonecheck ldns-verify-zone ldns-key2ds ldns-signzone \
	 ods-enforcerd ods-enforcer ods-signerd ods-signer sqlite3; do
	command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
if [ -n "$missing" ] || [ ! -x "$HSMCTL" ] || [ ! -r "$MODULE" ]; then
	echo "# cannot run: missing$missing (make deps), or $HSMCTL / $MODULE (make)"
	while [ $n -lt $TOTAL ]; do notok "prerequisites"; done
	exit 1
fi

. "$TREE/tests/dnssec/vm-board.sh"
check "hsmctl attaches board 0" vm_board_attach
if vm_board_pins
then ok "board PINs set with hsmctl"; else notok "board PINs set with hsmctl"; fi >"$WORK/out2" 2>&1
cat "$WORK/out2" | sed '/^ok\|^not ok/!s/^/# /'

# Installed as "make install" does, into a copy of p11-kit's two
# directories mounted over the (read-only) originals: the registry, not a
# module path, is what GnuTLS finds it by. (p11-kit ignores a user's module
# config in programs running as root, as guest commands do.)
CONF=$(pkg-config --variable=p11_module_configs p11-kit-1)
MODDIR=$(pkg-config --variable=p11_module_path p11-kit-1)
DEST=$WORK/root
if make -s -C "$TREE/pkcs11" install DESTDIR="$DEST" >"$WORK/out" 2>&1 &&
   cp -an "$CONF/." "$DEST$CONF/" && cp -an "$MODDIR/." "$DEST$MODDIR/" &&
   mount --bind "$DEST$CONF" "$CONF" && mount --bind "$DEST$MODDIR" "$MODDIR"
then ok "make install, p11-kit directories mounted"; else notok "make install, p11-kit directories mounted"; fi
sed 's/^/# /' "$WORK/out"
check "p11-kit list-modules" p11-kit list-modules
expect "p11-kit lists the module" "^cryptech-hsm: libhsm-pkcs11.so"
check "p11tool --list-tokens (no --provider: the registry)" p11tool --list-tokens
TOKEN=$(sed -n 's/^[[:space:]]*Label: \(cryptech-[^[:space:]]*\)$/\1/p' "$WORK/out" | head -1)
if [ -n "$TOKEN" ]; then ok "GnuTLS finds the token ($TOKEN)"; else notok "GnuTLS finds the token"; fi
[ -n "$TOKEN" ] || TOKEN=$(vm_token_label)
echo "# token: $TOKEN"

check "pkcs11-tool: EC P-256 key pair" pkcs11-tool --module "$MODULE" --login --pin "$PIN" \
	--keypairgen --key-type EC:prime256v1 --id 01 --label zsk
check "pkcs11-tool: RSA-2048 key pair" pkcs11-tool --module "$MODULE" --login --pin "$PIN" \
	--keypairgen --key-type rsa:2048 --id 02 --label ksk
check "pkcs11-tool --test --login" pkcs11-tool --module "$MODULE" --test --login --pin "$PIN"
expect "pkcs11-tool --test: No errors" "^No errors"
GNUTLS_PIN=$PIN
export GNUTLS_PIN
check "p11tool --list-all" p11tool --provider "$MODULE" --login --list-all "pkcs11:token=$TOKEN"
check "p11tool --test-sign ECDSA" p11tool --provider "$MODULE" --login --test-sign \
	"pkcs11:token=$TOKEN;object=zsk;type=private"
check "p11tool --test-sign RSA" p11tool --provider "$MODULE" --login --test-sign \
	"pkcs11:token=$TOKEN;object=ksk;type=private"

# The URI hsmctl prints for its key is one GnuTLS and the module accept.
HSMCTL_PIN=$PIN "$HSMCTL" key generate ec p256 --token --label hk --id 0a0b >"$WORK/out" 2>&1
URI=$(HSMCTL_PIN=$PIN "$HSMCTL" --json key list 2>/dev/null | sed -n 's/.*"uri": *"\(pkcs11:[^"]*object=hk[^"]*\)".*/\1/p' | head -1)
echo "# hsmctl's URI: $URI"
check "p11tool --test-sign with hsmctl's URI" p11tool --provider "$MODULE" --login --test-sign "$URI"

for alg in ECDSAP256SHA256 RSASHA256; do
	if P11_MODULE=$MODULE P11_TOKEN=$TOKEN P11_PIN=$PIN ALGS=$alg NRECORDS=$NRECORDS \
	   WORKDIR=$WORK/knot sh "$TREE/tests/dnssec/sign-knot.sh" >"$WORK/out" 2>"$WORK/err"; then
		ok "Knot keymgr+kzonesign $alg, validated by ldns-verify-zone and kzonecheck"
	else
		notok "Knot keymgr+kzonesign $alg, validated by ldns-verify-zone and kzonecheck"
	fi
	sed 's/^/# /' "$WORK/err" "$WORK/out"
done
# knotd (threads signing through the pool) listens on the loopback.
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up 2>/dev/null || true
if KNOT_MODE=knotd P11_MODULE=$MODULE P11_TOKEN=$TOKEN P11_PIN=$PIN ALGS=ECDSAP256SHA256 \
   NRECORDS=$NRECORDS WORKDIR=$WORK/knot sh "$TREE/tests/dnssec/sign-knot.sh" \
   >"$WORK/out" 2>"$WORK/err"; then
	ok "knotd ECDSAP256SHA256, validated"
else
	notok "knotd ECDSAP256SHA256, validated"
fi
sed 's/^/# /' "$WORK/err" "$WORK/out"
# OpenDNSSEC: the enforcer generates the keys and stays up while the
# signer signs; both algorithms.
if P11_MODULE=$MODULE P11_TOKEN=$TOKEN P11_PIN=$PIN ALGS="RSASHA256 ECDSAP256SHA256" \
   NRECORDS=$NRECORDS WORKDIR=$WORK/ods sh "$TREE/tests/dnssec/sign-opendnssec.sh" \
   >"$WORK/out" 2>"$WORK/err"; then
	ok "OpenDNSSEC enforcer + signer RSASHA256 and ECDSAP256SHA256, validated"
else
	notok "OpenDNSSEC enforcer + signer RSASHA256 and ECDSAP256SHA256, validated"
fi
grep -v '^;' "$WORK/err" | sed 's/^/# /'
sed 's/^/# /' "$WORK/out"
for alg in ECDSAP256SHA256 RSASHA256; do
	if P11_MODULE=$MODULE P11_TOKEN=$TOKEN P11_PIN=$PIN ALG=$alg WORKDIR=$WORK/knot \
	   sh "$TREE/tests/dnssec/rollover-knot.sh" >"$WORK/out" 2>"$WORK/err"; then
		ok "Knot ZSK rollover $alg, the old key deleted from the token"
	else
		notok "Knot ZSK rollover $alg, the old key deleted from the token"
	fi
	grep -v '^;' "$WORK/err" | sed 's/^/# /'
	sed 's/^/# /' "$WORK/out"
done
for alg in ECDSAP256SHA256 RSASHA256; do
	if P11_MODULE=$MODULE P11_TOKEN=$TOKEN P11_PIN=$PIN ALGS=$alg NRECORDS=$NRECORDS \
	   WORKDIR=$WORK/ldns sh "$TREE/tests/dnssec/sign-ldns.sh" >"$WORK/out" 2>"$WORK/err"
	then ok "ldns-signzone -E pkcs11 $alg, validated"
	else notok "ldns-signzone -E pkcs11 $alg, validated"; fi
	grep -v '^;' "$WORK/err" | sed 's/^/# /'
	sed 's/^/# /' "$WORK/out"
done

# A daemon that drops its privileges after C_Initialize (its own TAP).
if "$TREE/pkcs11/tests/bin/vm_privdrop" "$MODULE" "$PIN" >"$WORK/out" 2>&1
then ok "privileges dropped after C_Initialize: signing, key generation go on"
else notok "privileges dropped after C_Initialize: signing, key generation go on"; fi
sed 's/^/# /' "$WORK/out"
# Unplug and re-attach, with C_WaitForSlotEvent (its own TAP, as comments).
if "$TREE/pkcs11/tests/bin/vm_slot_events" "$MODULE" "$HSMCTL" "$PIN" >"$WORK/out" 2>&1
then ok "unplug and re-attach: slot events, DEVICE_REMOVED, same token"
else notok "unplug and re-attach: slot events, DEVICE_REMOVED, same token"; fi
sed 's/^/# /' "$WORK/out"
umount "$MODDIR" "$CONF" 2>/dev/null
"$HSMCTL" detach hsm0 >/dev/null 2>&1
[ $n -eq $TOTAL ] || echo "# planned $TOTAL tests, ran $n"
[ $fails -eq 0 ] && [ $n -eq $TOTAL ]
