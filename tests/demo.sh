#!/bin/bash
# `make demo`: boot a VM with the emulator as the board and show the main job:
# attach the board, list it, read its firmware protocol version, get random
# bytes from it; set its PINs, then sign a zone with Knot DNS through the
# PKCS#11 module (keys generated on the board by keymgr, the zone signed by
# kzonesign) and validate it with ldns-verify-zone; list the keys, detach.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
exec tests/vm/run --boards 1 --timeout 900 -- sh -c '
set -e
say() { printf "\n\$ %s\n" "$*"; "$@"; }
MODULE=$PWD/pkcs11/libhsm-pkcs11.so
PIN=demo-user-pin
W=$(mktemp -d /tmp/demo.XXXXXX)
say hsmctl/hsmctl attach /dev/ttyUSB0
say hsmctl/hsmctl list
say hsmctl/hsmctl info
say hsmctl/hsmctl random 32
say hsmctl/hsmctl --json list

# A new board: its PINs, from the factory "last gasp" wheel PIN.
printf "%s\n" YouReallyNeedToChangeThisPINRightNowWeAreNotKidding >"$W/last-gasp"
printf "%s\n" demo-wheel-pin >"$W/wheel"
printf "%s\n" demo-so-pin >"$W/so"
printf "%s" "$PIN" >"$W/user"
say hsmctl/hsmctl set-pin --user wheel --pin-file "$W/last-gasp" --new-pin-file "$W/wheel"
say hsmctl/hsmctl set-pin --user so --pin-file "$W/wheel" --new-pin-file "$W/so"
say hsmctl/hsmctl set-pin --user user --pin-file "$W/wheel" --new-pin-file "$W/user"

# The board as a PKCS#11 token; its label comes from the board identity.
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
say ldns-verify-zone "$ZONEFILE"
say env HSMCTL_PIN="$PIN" hsmctl/hsmctl key list
say hsmctl/hsmctl detach
'
