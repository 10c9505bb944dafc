#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Two boards as one token (issue 13), in the VM against the real driver and
# two emulated boards (run from the project tree on the host):
#
#   tests/vm/run --boards 2 --timeout 1800 --board-cmd \
#       '{tree}/emulator/cryptech-emu --state {state} --unix {socket} --control {control} --set service_ms.PKEY_SIGN=5' \
#       -- tests/dnssec/vm-group.sh
#
# (A signature taking the boards 5 ms keeps Knot's signing long enough for
# the unplug to land in its middle.)
#
# In the guest: attach both boards with the same PINs, name them a group in
# a groups file (HSM_GROUPS_CONF), then through the group's token:
#   - Knot's keymgr makes a KSK and a ZSK: each is on both boards (the same
#     public key, the same attributes);
#   - kzonesign signs a zone while board 0 is unplugged in the middle of
#     the signing: Knot sees no error, the zone validates, and both boards
#     signed part of it;
#   - board 0 comes back and signs again without Knot restarting anything;
#   - a key made while board 1 was away is copied to it by `hsmctl group
#     sync`; deleting it through the token removes both copies;
#   - a key only board 0 holds gives CKR_DEVICE_REMOVED once board 0 is
#     gone, while the group's other keys still sign.
# Prints TAP. A missing tool fails, saying so.
set -u

TREE=$(cd "$(dirname "$0")/../.." && pwd)
MODULE=$TREE/pkcs11/libhsm-pkcs11.so
HSMCTL=$TREE/hsmctl/hsmctl
VMCTL=$TREE/tests/vm/vmctl
PIN=user-pin-1234
GROUP=dnssec
TOKEN=cryptech-grp-$GROUP
NRECORDS=${NRECORDS:-1000}
TOTAL=16

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
# wait_for SECONDS CMD...: CMD succeeds within SECONDS (polled, 0.1 s)
wait_for() {
	w=$(($1 * 10))
	shift
	while ! "$@" >/dev/null 2>&1; do
		w=$((w - 1))
		[ $w -gt 0 ] || return 1
		sleep 0.1
	done
}

# signs N: board N's PKEY_SIGN count (the emulator's, through the runner)
signs() {
	"$VMCTL" board "$1" stats | sed -n 's/.*"PKEY_SIGN":{"requests":\([0-9]*\).*/\1/p'
}

# The SIGN_HOOK of sign-knot.sh: at "start", a background job waits until
# the boards have made 200 of kzonesign's signatures, then unplugs board 0
# (requests in flight on it fail with ENODEV) and notes both counts; at
# "end", it must have done so.
if [ "${1:-}" = --hook ]; then
	D=$2
	case $3 in
	start)
		signs 0 >"$D/start0"; signs 1 >"$D/start1"
		(
			base=$(($(cat "$D/start0") + $(cat "$D/start1")))
			w=600
			while [ $(($(signs 0) + $(signs 1))) -lt $((base + 200)) ]; do
				w=$((w - 1))
				[ $w -gt 0 ] || { echo timeout >"$D/unplugged"; exit 1; }
				sleep 0.1
			done
			"$VMCTL" unplug 0 && { signs 1 >"$D/at1"; echo yes >"$D/unplugged"; } ||
				echo "unplug failed" >"$D/unplugged"
		) >"$D/unplugger.log" 2>&1 &
		;;
	end)
		wait_for 60 test -s "$D/unplugged"
		signs 1 >"$D/end1"
		;;
	esac
	exit 0
fi

WORK=$(mktemp -d /tmp/vm-group.XXXXXX)
echo "TAP version 13"
echo "1..$TOTAL"
missing=
for t in pkcs11-tool keymgr kzonesign kzonecheck ldns-verify-zone python3 openssl; do
	command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
RATE=$TREE/build/bench/p11_sign_rate
if [ -n "$missing" ] || [ ! -x "$HSMCTL" ] || [ ! -r "$MODULE" ] || [ ! -x "$RATE" ]; then
	echo "# cannot run: missing$missing (make deps), or $HSMCTL / $MODULE (make) / $RATE (make -C tests/bench)"
	while [ $n -lt $TOTAL ]; do notok "prerequisites"; done
	exit 1
fi

# ---- Two boards, the same PINs, one group ---------------------------------

. "$TREE/tests/dnssec/vm-board.sh"
board_setup() {
	"$HSMCTL" attach /dev/ttyUSB0 && "$HSMCTL" attach /dev/ttyUSB1 &&
	vm_board_pins hsm0 && vm_board_pins hsm1
}
check "both boards attached, the same PINs on both" board_setup
# The boards' stable identities, in board order (hsm0 is board 0).
ID0=$("$HSMCTL" list | awk '$1 == "hsm0" { print $2 }')
ID1=$("$HSMCTL" list | awk '$1 == "hsm1" { print $2 }')
echo "# board 0: $ID0, board 1: $ID1"
printf '# the test group\n[group %s]\nboards = %s %s\n' "$GROUP" "$ID0" "$ID1" >"$WORK/groups.conf"
: >"$WORK/none.conf"
HSM_GROUPS_CONF=$WORK/groups.conf
# hsmctl's commands below log in as the user with this PIN.
HSMCTL_PIN=$PIN
export HSM_GROUPS_CONF HSMCTL_PIN

pkcs11-tool --module "$MODULE" -L >"$WORK/out" 2>&1
sed 's/^/# /' "$WORK/out"
if [ "$(grep -c 'token label' "$WORK/out")" = 1 ] &&
   grep -q "token label *: $TOKEN *\$" "$WORK/out"
then ok "the module shows one token, $TOKEN, for the two boards"
else notok "the module shows one token, $TOKEN, for the two boards"; fi

# ---- Knot: keys made through the group are on both boards ------------------

mkdir -p "$WORK/hook"
KEEP_KEYS=1 P11_MODULE=$MODULE P11_TOKEN=$TOKEN P11_PIN=$PIN ALGS=ECDSAP256SHA256 \
	NRECORDS=$NRECORDS WORKDIR=$WORK/knot \
	SIGN_HOOK="sh $0 --hook $WORK/hook" \
	sh "$TREE/tests/dnssec/sign-knot.sh" >"$WORK/knot.out" 2>"$WORK/knot.err"
knot=$?
grep -v '^;' "$WORK/knot.err" | tail -40 | sed 's/^/# /'
if [ $knot = 0 ] && [ "$(cat "$WORK/hook/unplugged" 2>/dev/null)" = yes ]
then ok "Knot signs the zone through the group with board 0 unplugged mid-signing (validated)"
else notok "Knot signs the zone through the group with board 0 unplugged mid-signing (validated; unplugged: $(cat "$WORK/hook/unplugged" 2>/dev/null))"; fi
s0=$(($(cat "$WORK/hook/at1" 2>/dev/null || echo 0) - $(cat "$WORK/hook/start1" 2>/dev/null || echo 0)))
s1=$(($(cat "$WORK/hook/end1" 2>/dev/null || echo 0) - $(cat "$WORK/hook/at1" 2>/dev/null || echo 0)))
echo "# board 1 signed $s0 before the unplug and $s1 after it"
if [ "$s0" -gt 0 ] && [ "$s1" -gt 0 ]
then ok "both boards signed: board 1 before the unplug (load sharing) and after it (failover)"
else notok "both boards signed: board 1 before the unplug (load sharing) and after it (failover)"; fi

# Board 0 comes back while a signer runs: it serves that signer again,
# without a restart (the module looks for absent boards once a second).
# The signer goes on 4 s after the replug and attach return, times the
# run's time scale: under the checker kernel they alone take about 14 s,
# longer than the whole run.
# rate_of KEY ARGS...: p11_sign_rate through the group with KEY, which is
# "--key LABEL" or "--key-id HEX" (one word, split here)
rate_of() {
	k=$1
	shift
	"$RATE" --module "$MODULE" --token "$TOKEN" --pin-file "$WORK/user" $k "$@"
}
# Knot's ZSK, by its id (its CKA_ID), as sign-knot.sh reports it
zsk=$(sed -n 's/.* ZSK id \([0-9a-f]*\) .*/\1/p' "$WORK/knot.err" | head -1)
echo "# ZSK id $zsk"
printf '%s\n' "$VMCTL plug 0 && n=0 && while [ ! -e /dev/ttyUSB0 ] && [ \$n -lt 300 ]; do sleep 0.1; n=\$((n + 1)); done && $HSMCTL attach /dev/ttyUSB0" >"$WORK/replug0"
before0=$(signs 0)
after=$(awk -v s="${HSM_TIMEOUT_SCALE:-1}" 'BEGIN { print 4 * (s > 1 ? s : 1) }')
rate_of "--key-id $zsk" --threads 1 --seconds 6 --unplug-after 1 --unplug-cmd "sh $WORK/replug0" \
	--after-cmd "$after" >"$WORK/out" 2>&1
rc=$?
after0=$(signs 0)
sed 's/^/# /' "$WORK/out"
echo "# board 0 signed $((after0 - before0)) after its return"
if [ $rc = 0 ] && [ -e /dev/hsm0 ] && [ "$after0" -gt "$before0" ]
then ok "board 0 back under a running signer: it serves it again, no restart, no failed signature"
else notok "board 0 back under a running signer: it serves it again, no restart, no failed signature"; fi

# keys DEV: "label uuid" of each private key on board DEV
keys() {
	"$HSMCTL" -d "$1" --json key list --token >"$WORK/keys.json" || return 1
	python3 - "$WORK/keys.json" <<'PY' | sort
import json, sys
for k in json.load(open(sys.argv[1])):
    # the boards' own KEKEKs (made for the copies) are no group keys
    if k.get("type", "").endswith("private") and "keyenc" not in k.get("flags", []):
        print(k.get("label") or "-", k.get("uuid"))
PY
}
# pub DEV UUID: the SHA-256 of the key's SubjectPublicKeyInfo
pub() {
	"$HSMCTL" -d "$1" key pubkey "$2" --der | openssl dgst -sha256 -r | cut -c1-64
}
# same_keys: the labels and public keys of the private keys on both boards
same_keys() {
	keys "$ID0" >"$WORK/k0" && keys "$ID1" >"$WORK/k1" || return 1
	: >"$WORK/p0"; : >"$WORK/p1"
	while read -r label uuid; do echo "$label $(pub "$ID0" "$uuid")" >>"$WORK/p0"; done <"$WORK/k0"
	while read -r label uuid; do echo "$label $(pub "$ID1" "$uuid")" >>"$WORK/p1"; done <"$WORK/k1"
	sort -o "$WORK/p0" "$WORK/p0"; sort -o "$WORK/p1" "$WORK/p1"
	cat "$WORK/p0"
	[ -s "$WORK/p0" ] && cmp "$WORK/p0" "$WORK/p1"
}
# attrs ID: the EC key objects of board ID's own token (the module without
# the groups file), with their PKCS#11 attributes as pkcs11-tool prints
# them, sorted (a board's KEKEK, made for the copies, is RSA)
attrs() {
	HSM_GROUPS_CONF=$WORK/none.conf pkcs11-tool --module "$MODULE" \
		--token-label "cryptech-$1" --login --pin "$PIN" -O 2>/dev/null | python3 -c '
import sys
blocks, cur = [], []
for line in sys.stdin:
    line = line.rstrip()
    if line and not line[0].isspace():
        if cur:
            blocks.append(cur)
        cur = [line]
    elif cur:
        cur.append(line)
if cur:
    blocks.append(cur)
print("\n".join(sorted("\n".join(b) for b in blocks if "; EC" in b[0])))'
}
same_attrs() {
	attrs "$ID0" >"$WORK/a0" && attrs "$ID1" >"$WORK/a1" || return 1
	cat "$WORK/a0"
	[ -s "$WORK/a0" ] && diff "$WORK/a0" "$WORK/a1"
}
check "Knot's KSK and ZSK are on both boards: same labels, same public keys" same_keys
check "their PKCS#11 attributes are the same on both boards (each board's own token)" same_attrs
if [ "$(wc -l <"$WORK/p0")" -ge 2 ]; then ok "at least the KSK and the ZSK"; else notok "at least the KSK and the ZSK"; fi

echo "payload" >"$WORK/data"
# sign_id HEX: one ECDSA signature through the group token, key CKA_ID HEX
sign_id() {
	pkcs11-tool --module "$MODULE" --token-label "$TOKEN" --login --pin "$PIN" \
		--sign -m ECDSA-SHA256 --id "$1" --input-file "$WORK/data" \
		--output-file "$WORK/sig"
}

# ---- A board that was away: group sync -------------------------------------

check "board 1 unplugged" "$VMCTL" unplug 1
check "a key made through the group while board 1 is away" \
	pkcs11-tool --module "$MODULE" --token-label "$TOKEN" --login --pin "$PIN" \
	--keypairgen --key-type EC:prime256v1 --label late --id 4c41 --usage-sign
replug1() {
	"$VMCTL" plug 1 && wait_for 30 test -e /dev/ttyUSB1 && "$HSMCTL" attach /dev/ttyUSB1
}
sync1() {
	replug1 && "$HSMCTL" group sync "$GROUP"
}
check "board 1 back; hsmctl group sync copies the key to it" sync1
check "after group sync, the boards hold the same keys" same_keys
check "after group sync, the same PKCS#11 attributes on both boards" same_attrs

# ---- Deletion removes every copy -------------------------------------------

del() {
	pkcs11-tool --module "$MODULE" --token-label "$TOKEN" --login --pin "$PIN" \
		--delete-object --type privkey --label late &&
	pkcs11-tool --module "$MODULE" --token-label "$TOKEN" --login --pin "$PIN" \
		--delete-object --type pubkey --label late &&
	! keys "$ID0" | grep -q '^late ' && ! keys "$ID1" | grep -q '^late '
}
check "C_DestroyObject through the group deletes the key on both boards" del

# ---- A key on one board only -----------------------------------------------

# A signer that found the key signs with it, then board 0 goes: its
# signatures fail with CKR_DEVICE_REMOVED (0x32), and only then.
solo() {
	"$HSMCTL" -d "$ID0" key generate ec p256 --token --label solo &&
	! rate_of "--key solo" --threads 1 --seconds 4 --unplug-after 2 \
		--unplug-cmd "$VMCTL unplug 0" >"$WORK/solo.out" 2>"$WORK/solo.err"
	cat "$WORK/solo.out" "$WORK/solo.err"
	grep -q 'failures [1-9]' "$WORK/solo.out" && grep -q 'signatures [1-9]' "$WORK/solo.out" &&
		! grep -v 'CKR 0x32$' "$WORK/solo.err" | grep -q 'C_Sign'
}
check "a key only board 0 holds: CKR_DEVICE_REMOVED once board 0 is gone" solo
check "the group's other keys still sign on board 1" sign_id "$zsk"

rm -rf "$WORK"
[ $fails -eq 0 ]
