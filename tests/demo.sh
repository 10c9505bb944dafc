#!/bin/bash
# `make demo`: boot a VM with two emulators as the boards and show the main
# jobs end to end:
# 1. the boards: attach both, list them, read a firmware version and random
#    bytes, set each board's PINs from the factory wheel PIN;
# 2. an operator's day (hsmctl): a KSK (RSA-2048) and a ZSK (ECDSA P-256) on
#    the first board with their DNSKEY and DS records, a signature checked
#    by openssl, both keys backed up to the second board, signatures made
#    by the copies checked with the originals' public keys;
# 3. DNSSEC: a zone signed with Knot DNS through the PKCS#11 module (keys
#    generated on the board by keymgr, the zone signed by kzonesign) and
#    validated with ldns-verify-zone.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
exec tests/vm/run --boards 2 --timeout 1200 -- sh -c '
set -e
say() { printf "\n\$ %s\n" "$*"; "$@"; }
# say_to FILE CMD...: show and run CMD with its output into FILE.
say_to() { f=$1; shift; printf "\n\$ %s > %s\n" "$*" "$f"; "$@" >"$f"; }
HSMCTL=hsmctl/hsmctl
MODULE=$PWD/pkcs11/libhsm-pkcs11.so
PIN=demo-user-pin
W=$(mktemp -d /tmp/demo.XXXXXX)

echo "## 1. The boards"
say $HSMCTL attach /dev/ttyUSB0
say $HSMCTL attach /dev/ttyUSB1
say $HSMCTL list
say $HSMCTL info hsm0
say $HSMCTL random 32 hsm0
say $HSMCTL --json info hsm1

# New boards: their PINs, from the factory "last gasp" wheel PIN.
printf "%s\n" YouReallyNeedToChangeThisPINRightNowWeAreNotKidding >"$W/last-gasp"
printf "%s\n" demo-wheel-pin >"$W/wheel"
printf "%s\n" demo-so-pin >"$W/so"
printf "%s" "$PIN" >"$W/user"
for dev in hsm0 hsm1; do
	say $HSMCTL -d $dev set-pin --user wheel --pin-file "$W/last-gasp" --new-pin-file "$W/wheel"
	say $HSMCTL -d $dev set-pin --user so --pin-file "$W/wheel" --new-pin-file "$W/so"
	say $HSMCTL -d $dev set-pin --user user --pin-file "$W/wheel" --new-pin-file "$W/user"
done

echo
echo "## 2. An operator: keys, records, signatures, a backup"
U="--pin-file $W/user"
say $HSMCTL -d hsm0 key generate rsa 2048 --token --exportable --label ksk-demo $U
say $HSMCTL -d hsm0 key generate ec p256 --token --exportable --label zsk-demo $U
say $HSMCTL -d hsm0 key dnskey label:ksk-demo --zone example.test --ksk $U
say $HSMCTL -d hsm0 key dnskey label:ksk-demo --zone example.test --ksk --ds $U
say $HSMCTL -d hsm0 key dnskey label:zsk-demo --zone example.test $U
say_to "$W/ksk.pem" $HSMCTL -d hsm0 key pubkey label:ksk-demo $U
say_to "$W/zsk.pem" $HSMCTL -d hsm0 key pubkey label:zsk-demo $U
printf "example.test. 3600 IN A 192.0.2.1\n" >"$W/data"
say_to "$W/zsk-hsm0.sig" $HSMCTL -d hsm0 key sign label:zsk-demo --in "$W/data" --format der --raw $U
say openssl dgst -sha256 -verify "$W/zsk.pem" -signature "$W/zsk-hsm0.sig" "$W/data"
say $HSMCTL -d hsm0 key verify label:zsk-demo --sig "$W/zsk-hsm0.sig" --in "$W/data" $U

# The backup: every exportable key of hsm0 to hsm1, wrapped for a key
# only hsm1 holds, with its label and id.
say $HSMCTL backup --from hsm0 --to hsm1 $U
say $HSMCTL -d hsm1 key list --token $U
# The copies sign; the originals public keys verify.
for k in ksk zsk; do
	say_to "$W/$k-hsm1.sig" $HSMCTL -d hsm1 key sign label:$k-demo --in "$W/data" --format der --raw $U
	say openssl dgst -sha256 -verify "$W/$k.pem" -signature "$W/$k-hsm1.sig" "$W/data"
	say $HSMCTL key verify --pubkey "$W/$k.pem" --sig "$W/$k-hsm1.sig" --in "$W/data"
done

echo
echo "## 3. DNSSEC: Knot DNS signs a zone through the PKCS#11 module"
# The boards as PKCS#11 tokens; their labels come from the board identities.
say pkcs11-tool --module "$MODULE" -L
TOKEN=$(pkcs11-tool --module "$MODULE" -L | sed -n "s/^ *token label *: \(cryptech-[^ ]*\) *$/\1/p" | head -1)

# Knot DNS: keymgr makes a KSK and a ZSK on the board, kzonesign signs.
ip link set lo up 2>/dev/null || true
say env P11_MODULE="$MODULE" P11_TOKEN="$TOKEN" P11_PIN="$PIN" \
	ALGS=ECDSAP256SHA256 NRECORDS=20 KEEP_KEYS=1 KEEP_WORKDIR=1 WORKDIR="$W/knot" \
	sh tests/dnssec/sign-knot.sh
ZONEFILE=$(find "$W/knot" -name example.test.zone -path "*/out/*" | head -1)
echo
echo "\$ grep -E \"DNSKEY|RRSIG\" $ZONEFILE | head -4"
grep -E "DNSKEY|RRSIG" "$ZONEFILE" | head -4
say $HSMCTL -d hsm0 key list $U
say $HSMCTL detach hsm1
say $HSMCTL detach hsm0
say ldns-verify-zone "$ZONEFILE"
'
