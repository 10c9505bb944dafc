#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The in-kernel users benchmark of `make bench` (issue 10 point 9), run in
# the test VM by tests/bench.sh against one emulated board with a fixed
# PKEY_SIGN service time:
#
#   tests/vm/run --board-cmd '... --workers 4 --set service_ms.PKEY_SIGN=MS' \
#       --env BENCH_SECONDS=5 -- tests/bench/kernel-users-bench.sh
#
# For ECDSA P-256 (a SHA-256 digest) and RSA-2048 (PKCS#1 v1.5, SHA-256),
# with 1 and with 4 concurrent callers, three sign rates of the same board:
#   ioctl     libhsm through /dev/hsm0 (build/bench/libhsm_sign_rate), one
#             session per caller, each with its own volatile key: the baseline;
#   keyctl    KEYCTL_PKEY_SIGN of one board token key padd'ed into the user
#             keyring (build/bench/keyctl_sign_rate), the callers threads
#             signing with the same key serial;
#   akcipher  crypto_akcipher_sign() from kernel threads sharing one
#             transform, with a private key openssl made here
#             (tests/kmod/cryptech_akc_bench.ko, loaded once per figure).
# Prints each rate and the ratios keyctl/ioctl and akcipher/ioctl. A path
# the kernel does not offer (no such akcipher algorithm, or one that is not
# the board's) gets a "not available: <why>" row, not a failure. Exit
# status 0 when every available path measured, whatever the figures.
#
# Environment: BENCH_SECONDS (5, each measurement), BENCH_CALLERS ("1 4"),
# BENCH_ALGS ("ec rsa"), BENCH_SIGN_MS (the board's PKEY_SIGN service time,
# for the header only), BENCH_AKC_EC ("cryptech-ecdsa-nist-p256") and
# BENCH_AKC_RSA ("cryptech-pkcs1pad-rsa-sha256"), the crypto API names the
# module allocates: the boards' driver names, since by name the kernel's
# software algorithms (priority 100, the boards' 50) would win.
set -u

TREE=$(cd "$(dirname "$0")/../.." && pwd)
HSMCTL=$TREE/hsmctl/hsmctl
RATE=$TREE/build/bench/libhsm_sign_rate
KRATE=$TREE/build/bench/keyctl_sign_rate
KMOD=$TREE/tests/kmod/cryptech_akc_bench.ko
# shellcheck disable=SC2034 # vm_board_pins (vm-board.sh) reads it
PIN=user-pin-1234
SECONDS_=${BENCH_SECONDS:-5}
CALLERS=${BENCH_CALLERS:-"1 4"}
ALGS=${BENCH_ALGS:-"ec rsa"}
WORK=$(mktemp -d /tmp/kernel-users-bench.XXXXXX)
fails=0
fail() { echo "kernel-users-bench: $*" >&2; fails=$((fails + 1)); }
die() { echo "kernel-users-bench: $*" >&2; rm -rf "$WORK"; exit 1; }

for t in keyctl openssl python3 insmod rmmod dmesg; do
	command -v "$t" >/dev/null 2>&1 || die "$t missing (make deps)"
done
for f in "$RATE" "$KRATE"; do
	[ -x "$f" ] || die "$f missing (make -C tests/bench)"
done
[ -r "$KMOD" ] || die "$KMOD missing (make module)"

# shellcheck source=tests/dnssec/vm-board.sh
. "$TREE/tests/dnssec/vm-board.sh"
if ! vm_board_attach >"$WORK/out" 2>&1 || ! vm_board_pins >>"$WORK/out" 2>&1 ||
   ! "$HSMCTL" kernel-login --pin-file "$WORK/user" >>"$WORK/out" 2>&1; then
	cat "$WORK/out" >&2
	die "board set-up (attach, PINs, kernel-login) failed"
fi
BOARD_ID=$("$HSMCTL" --json info hsm0 | python3 -c 'import json, sys; print(json.load(sys.stdin)["board_id"] or "")')
[ -n "$BOARD_ID" ] || die "hsm0 reports no board id: keyring payloads need one"

# key_serial ALG: a token key generated on the board, padd'ed into the user
# keyring with the documented payload; prints the key's serial.
key_serial() {
	case $1 in
	ec) spec="ec p256" ;;
	rsa) spec="rsa 2048" ;;
	esac
	# shellcheck disable=SC2086 # $spec is two words on purpose
	uuid=$("$HSMCTL" --json key generate $spec --token --label "kernel-users-bench-$1" \
		--allow-duplicate-label --pin-file "$WORK/user" 2>"$WORK/gen.err" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["uuid"])') ||
		{ cat "$WORK/gen.err" >&2; return 1; }
	echo "$uuid" >>"$WORK/uuids"
	printf 'cryptech-hsm:v1 board=%s key=%s' "$BOARD_ID" "$uuid" | keyctl padd asymmetric '' @u
}

# akc_key ALG: the hex of a new private key's DER as set_priv_key takes it:
# RFC 5915 ECPrivateKey, PKCS#1 RSAPrivateKey.
akc_key() {
	case $1 in
	ec) openssl ecparam -name prime256v1 -genkey -noout -outform DER ;;
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null |
		openssl rsa -traditional -outform DER 2>/dev/null ;;
	esac | od -An -v -tx1 | tr -d ' \n'
}

# akc_rate NAME HEX THREADS: the module's figure line, or "not available:
# ..." (status 0), or nothing and status 1 when it failed.
tag=$$
akc_rate() {
	tag=$((tag + 1))
	insmod "$KMOD" alg="$1" key="$2" threads="$3" seconds="$SECONDS_" tag="$tag" \
		>"$WORK/insmod" 2>&1
	st=$?
	grep -q '^cryptech_akc_bench ' /proc/modules && rmmod cryptech_akc_bench
	line=$(dmesg | sed -n "s/.*cryptech_akc_bench: tag $tag //p" | tail -1)
	case $line in
	"not available:"*) echo "$line"; return 0 ;;
	rate*) [ $st -eq 0 ] && { echo "$line"; return 0; } ;;
	esac
	cat "$WORK/insmod" >&2
	dmesg | grep "cryptech_akc_bench: tag $tag " >&2
	return 1
}

echo "In-kernel users: sign rates of one board, as ratios of the ioctl path's (libhsm) in this run"
echo "board: 4 workers, PKEY_SIGN service time ${BENCH_SIGN_MS:-?} ms; ${SECONDS_} s each measurement"
printf '\n%-12s %-7s %10s %10s %10s %8s %8s\n' algorithm callers ioctl/s keyctl/s akcipher/s \
	keyctl akcipher
for alg in $ALGS; do
	case $alg in
	ec) name="ECDSA P-256"; akc=${BENCH_AKC_EC:-cryptech-ecdsa-nist-p256} ;;
	rsa) name="RSA-2048"; akc=${BENCH_AKC_RSA:-cryptech-pkcs1pad-rsa-sha256} ;;
	*) fail "unknown algorithm $alg"; continue ;;
	esac
	serial=$(key_serial "$alg") || { fail "$name: making the keyring key failed"; continue; }
	hex=$(akc_key "$alg")
	[ -n "$hex" ] || { fail "$name: openssl made no key"; continue; }
	for n in $CALLERS; do
		D=$WORK/$alg-$n
		mkdir -p "$D"
		if ! "$RATE" --device /dev/hsm0 --pin-file "$WORK/user" --alg "$alg" \
		     --sessions "$n" --seconds "$SECONDS_" >"$D/ioctl" 2>&1; then
			cat "$D/ioctl" >&2
			fail "$name, $n callers: the ioctl baseline failed"
			continue
		fi
		if ! "$KRATE" --key "$serial" --alg "$alg" --threads "$n" \
		     --seconds "$SECONDS_" >"$D/keyctl" 2>&1; then
			cat "$D/keyctl" >&2
			fail "$name, $n callers: keyctl pkey_sign failed"
			: >"$D/keyctl"
		fi
		if ! akc_rate "$akc" "$hex" "$n" >"$D/akc"; then
			fail "$name, $n callers: akcipher $akc failed"
			: >"$D/akc"
		fi
		python3 - "$name" "$n" "$D" <<'PY' || fail "$name, $n callers: no figures"
import sys
name, n, d = sys.argv[1:]
def rate(f):
    w = open(d + "/" + f).read().split()
    return float(w[w.index("rate") + 1]) if "rate" in w else None
base, kc = rate("ioctl"), rate("keyctl")
akc_line = open(d + "/akc").read().strip()
akc = rate("akc")
cell = lambda r: "%10.1f" % r if r is not None else "%10s" % "failed"
ratio = lambda r: "%8.2f" % (r / base) if r is not None else "%8s" % "-"
if akc is None and akc_line.startswith("not available"):
    akc_cell, akc_ratio = "%10s" % "n/a", "%8s" % "-"
else:
    akc_cell, akc_ratio = cell(akc), ratio(akc)
print("%-12s %-7s %10.1f %s %s %s %s" % (name if n == "1" else "", n, base, cell(kc),
      akc_cell, ratio(kc), akc_ratio))
if akc is None and akc_line:
    print("%-20s akcipher %s" % ("", akc_line))
elif akc is not None:
    w = akc_line.split()
    print("%-20s akcipher driver: %s" % ("", w[w.index("driver") + 1]))
PY
	done
	keyctl unlink "$serial" @u >/dev/null 2>&1
done
echo
echo "ioctl: one PKEY_SIGN per signature on a key its session holds open, one session per"
echo "caller. keyctl: the kernel session opens the key, signs and closes it (driver/keyring.c),"
echo "three requests. keyctl and akcipher share the board's one kernel session, whose requests"
echo "go one at a time (struct hsm_session's lock): more callers do not sign more in parallel."

# The token keys go again; the session ends with the detach.
if [ -s "$WORK/uuids" ]; then
	while read -r uuid; do
		"$HSMCTL" key delete "$uuid" --pin-file "$WORK/user" >/dev/null 2>&1 ||
			fail "deleting the token key $uuid failed"
	done <"$WORK/uuids"
fi
rm -rf "$WORK"
"$HSMCTL" detach hsm0 >/dev/null 2>&1
[ $fails -eq 0 ]
