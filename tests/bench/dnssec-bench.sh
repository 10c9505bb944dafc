#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The DNSSEC benchmark of `make bench` (issue 8 point 8), run in the test VM
# by tests/bench.sh against one emulated board:
#
#   tests/vm/run --board-cmd '... --workers 4 --set service_ms.PKEY_SIGN=MS' \
#       --env BENCH_NAMES=10000 ... -- tests/bench/dnssec-bench.sh
#
# For ECDSAP256SHA256 and RSASHA256: what the board signs per second driven
# directly through libhsm with BENCH_SESSIONS sessions (the baseline), then
# Knot's kzonesign signing the recipes' zone scaled to BENCH_NAMES names
# through the PKCS#11 module with as many signing threads and pool sessions
# (tests/dnssec/sign-knot.sh, the zone validated), what the board gives 4
# sessions (its capacity, for reference), the board's requests by
# function during kzonesign (the emulator's stats, through vmctl), and the
# same Knot signing with SoftHSM2 as the token, for reference. Prints the
# figures as ratios against the baseline; Documentation/pkcs11.rst says how
# to read them. Exit status 0 when every run worked, whatever the figures.
#
# Environment: BENCH_NAMES (10000), BENCH_SESSIONS (1), BENCH_SECONDS (5,
# each libhsm measurement), BENCH_ALGS ("ECDSAP256SHA256 RSASHA256"),
# BENCH_SIGN_MS (the board's PKEY_SIGN service time, for the header only),
# BENCH_SOFTHSM (1; 0 skips SoftHSM2).
set -u

# SIGN_HOOK of sign-knot.sh: the board's stats just before and after kzonesign.
if [ "${1:-}" = --hook ]; then
	exec "$(dirname "$0")/../vm/vmctl" board 0 stats >"$2/$3.json"
fi

TREE=$(cd "$(dirname "$0")/../.." && pwd)
MODULE=$TREE/pkcs11/libhsm-pkcs11.so
HSMCTL=$TREE/hsmctl/hsmctl
RATE=$TREE/build/bench/libhsm_sign_rate
TIMING=$TREE/build/bench/p11_timing.so
SOFTHSM=/usr/lib/softhsm/libsofthsm2.so
PIN=user-pin-1234
NAMES=${BENCH_NAMES:-10000}
SESSIONS=${BENCH_SESSIONS:-1}
SECONDS_=${BENCH_SECONDS:-5}
ALGS=${BENCH_ALGS:-"ECDSAP256SHA256 RSASHA256"}
WORK=$(mktemp -d /tmp/dnssec-bench.XXXXXX)
fails=0
fail() { echo "dnssec-bench: $*" >&2; fails=$((fails + 1)); }

for t in keymgr kzonesign kzonecheck ldns-verify-zone pkcs11-tool python3; do
	command -v "$t" >/dev/null 2>&1 || { echo "dnssec-bench: $t missing (make deps)" >&2; exit 1; }
done
for f in "$RATE" "$TIMING"; do
	[ -r "$f" ] || { echo "dnssec-bench: $f missing (make -C tests/bench)" >&2; exit 1; }
done

. "$TREE/tests/dnssec/vm-board.sh"
if ! vm_board_attach >"$WORK/out" 2>&1 || ! vm_board_pins >>"$WORK/out" 2>&1; then
	cat "$WORK/out" >&2
	echo "dnssec-bench: board set-up failed" >&2
	exit 1
fi
TOKEN=$(vm_token_label)
[ -n "$TOKEN" ] || { echo "dnssec-bench: the module shows no token" >&2; exit 1; }

if [ "${BENCH_SOFTHSM:-1}" = 1 ] && [ -r "$SOFTHSM" ] && command -v softhsm2-util >/dev/null 2>&1; then
	mkdir -p "$WORK/softhsm/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$WORK/softhsm/tokens" >"$WORK/softhsm/softhsm2.conf"
	SOFTHSM2_CONF=$WORK/softhsm/softhsm2.conf
	export SOFTHSM2_CONF
	softhsm2-util --init-token --free --label bench-soft --pin "$PIN" --so-pin so-pin-5678 \
		>"$WORK/out" 2>&1 || { cat "$WORK/out" >&2; fail "softhsm2-util --init-token failed"; SOFTHSM=; }
else
	SOFTHSM=
fi

# result FILE KEY: KEY's value in sign-knot.sh's RESULT line
result() { sed -n "s/^RESULT .* $2=\([^ ]*\).*/\1/p" "$1" | head -1; }

echo "DNSSEC signing: the recipes' zone with $NAMES names, Knot $(kzonesign -V 2>/dev/null | sed 's/.*version //')"
echo "$SESSIONS sessions: Knot signing-threads, the module's pool (HSM_PKCS11_POOL) and libhsm's;" \
     "board: 4 workers, PKEY_SIGN service time ${BENCH_SIGN_MS:-?} ms"
for alg in $ALGS; do
	case $alg in
	ECDSAP256SHA256) a=ec ;;
	RSASHA256) a=rsa ;;
	*) fail "unknown algorithm $alg"; continue ;;
	esac
	D=$WORK/$alg
	mkdir -p "$D"

	# The baseline: the same board through libhsm, same number of sessions.
	if ! "$RATE" --device /dev/hsm0 --pin-file "$WORK/user" --alg "$a" \
	     --sessions "$SESSIONS" --seconds "$SECONDS_" >"$D/libhsm" 2>&1; then
		cat "$D/libhsm" >&2
		fail "$alg: libhsm baseline failed"
		continue
	fi

	# Knot's start-up: the same signing of the zone without its host names
	# (the apex records only): loading, C_Initialize, login, key searches.
	if ! HSM_PKCS11_POOL=$SESSIONS KNOT_SIGNING_THREADS=$SESSIONS \
	     P11_MODULE=$MODULE P11_TOKEN=$TOKEN P11_PIN=$PIN ALGS=$alg NRECORDS=0 \
	     WORKDIR=$D/empty sh "$TREE/tests/dnssec/sign-knot.sh" >"$D/empty.out" 2>"$D/empty.err"; then
		grep -v '^;' "$D/empty.err" | tail -20 >&2
		fail "$alg: Knot through the module, empty zone, failed"
		continue
	fi

	# Knot through the module; the hook reads the board's stats around
	# kzonesign, and p11_timing.so (between Knot and the module) adds up
	# the time Knot spends inside the module's functions.
	if ! HSM_PKCS11_POOL=$SESSIONS KNOT_SIGNING_THREADS=$SESSIONS \
	     SIGN_HOOK="sh $TREE/tests/bench/dnssec-bench.sh --hook $D" \
	     P11_TIMING_MODULE=$MODULE P11_TIMING_OUT=$D/timing \
	     P11_MODULE=$TIMING P11_TOKEN=$TOKEN P11_PIN=$PIN ALGS=$alg NRECORDS=$NAMES \
	     WORKDIR=$D/knot sh "$TREE/tests/dnssec/sign-knot.sh" >"$D/knot.out" 2>"$D/knot.err"; then
		grep -v '^;' "$D/knot.err" | tail -20 >&2
		fail "$alg: Knot through the module failed"
		continue
	fi
	grep -q ' comm=kzonesign ' "$D/timing" 2>/dev/null ||
		fail "$alg: p11_timing.so wrote no figures for kzonesign ($D/timing)"

	# The baseline again with as many sessions as Knot used: the module's
	# pool logs in one more while all its sessions are busy.
	used=$(python3 -c 'import json, sys
a, b = (json.load(open(f))["by_function"].get("LOGIN", {}).get("requests", 0) for f in sys.argv[1:])
print(b - a)' "$D/start.json" "$D/end.json" 2>/dev/null)
	: >"$D/libhsm-used"
	if [ -n "$used" ] && [ "$used" -ge 1 ] && [ "$used" -ne "$SESSIONS" ] &&
	   ! "$RATE" --device /dev/hsm0 --pin-file "$WORK/user" --alg "$a" \
	     --sessions "$used" --seconds "$SECONDS_" >"$D/libhsm-used" 2>&1; then
		cat "$D/libhsm-used" >&2
		: >"$D/libhsm-used"
		fail "$alg: libhsm with $used sessions failed"
	fi

	# The baseline in lock-step, one signature at a time (when Knot had
	# more threads): GnuTLS, under Knot, holds a lock per private key
	# across C_SignInit and C_Sign, so Knot's threads sign with one key one
	# after another.
	: >"$D/libhsm-one"
	if [ "$SESSIONS" -ne 1 ] &&
	   ! "$RATE" --device /dev/hsm0 --pin-file "$WORK/user" --alg "$a" \
	     --sessions 1 --seconds "$SECONDS_" >"$D/libhsm-one" 2>&1; then
		cat "$D/libhsm-one" >&2
		: >"$D/libhsm-one"
		fail "$alg: libhsm with 1 session failed"
	fi

	# The board's capacity, for reference: 4 sessions keep its 4 workers
	# busy, as a signer with several keys in flight would.
	: >"$D/libhsm-full"
	if [ "$SESSIONS" -ne 4 ] &&
	   ! "$RATE" --device /dev/hsm0 --pin-file "$WORK/user" --alg "$a" \
	     --sessions 4 --seconds "$SECONDS_" >"$D/libhsm-full" 2>&1; then
		cat "$D/libhsm-full" >&2
		: >"$D/libhsm-full"
		fail "$alg: libhsm with 4 sessions failed"
	fi

	# SoftHSM2, the same signing, for reference.
	: >"$D/soft.out"
	if [ -n "$SOFTHSM" ] &&
	   ! KNOT_SIGNING_THREADS=$SESSIONS P11_MODULE=$SOFTHSM P11_TOKEN=bench-soft P11_PIN=$PIN \
	     ALGS=$alg NRECORDS=$NAMES WORKDIR=$D/soft.d sh "$TREE/tests/dnssec/sign-knot.sh" \
	     >"$D/soft.out" 2>"$D/soft.err"; then
		grep -v '^;' "$D/soft.err" | tail -20 >&2
		fail "$alg: Knot with SoftHSM2 failed"
	fi

	python3 - "$alg" "$D" "$(result "$D/knot.out" sign_s)" "$(result "$D/knot.out" rrsig)" \
		"$(result "$D/knot.out" verify)" "$(result "$D/soft.out" sign_s)" "$(result "$D/soft.out" rrsig)" \
		"$(cat "$D/libhsm")" "$(result "$D/empty.out" sign_s)" "$(result "$D/empty.out" rrsig)" \
		"$SESSIONS" "$(cat "$D/libhsm-used")" "$(cat "$D/libhsm-one")" "$(cat "$D/libhsm-full")" \
		"$(grep ' comm=kzonesign ' "$D/timing" 2>/dev/null | tail -1)" <<'PY' || fail "$alg: no figures"
import json, sys
alg, d, sign_s, rrsig, verify, soft_s, soft_rrsig, lib, t0, n0, sessions, used, one, full, timing = sys.argv[1:]
t0, n0 = float(t0), int(n0)
lib = lib.split()
lib_rate = float(lib[lib.index("rate") + 1])
a = json.load(open(d + "/start.json"))["by_function"]
b = json.load(open(d + "/end.json"))["by_function"]
delta = {f: b[f]["requests"] - a.get(f, {}).get("requests", 0) for f in b}
delta = {f: n for f, n in delta.items() if n > 0}
sign_s, rrsig = float(sign_s), int(rrsig)
signs = delta.get("PKEY_SIGN", 0)
knot_rate = signs / sign_s
print("\n%s: %d RRSIGs, the signed zone validated: %s" % (alg, rrsig, verify))
print("  %-44s %10.1f  (1.00)" % ("libhsm, signatures/s (the baseline)", lib_rate))
print("  %-44s %10.1f  (%.2f)  target >= 0.90" % ("Knot kzonesign through the module", knot_rate,
      knot_rate / lib_rate))
steady = (signs - n0) / (sign_s - t0) if sign_s > t0 and signs > n0 else 0
print("  %-44s %10.1f  (%.2f)" % ("  the same without Knot's start-up", steady, steady / lib_rate))
if used:
    used = used.split()
    ur = float(used[used.index("rate") + 1])
    print("  %-44s %10.1f  (%.2f)" % ("libhsm with %s sessions, as many as Knot used"
          % used[used.index("sessions") + 1], ur, ur / lib_rate))
    print("    Knot against it: %.2f, without its start-up %.2f" % (knot_rate / ur, steady / ur))
if one:
    one = one.split()
    r1 = float(one[one.index("rate") + 1])
    print("  %-44s %10.1f  (%.2f)" % ("libhsm with 1 session, one at a time", r1, r1 / lib_rate))
    print("    Knot against it: %.2f, without its start-up %.2f" % (knot_rate / r1, steady / r1))
if full:
    full = full.split()
    rf = float(full[full.index("rate") + 1])
    print("  %-44s %10.1f  (%.2f)" % ("libhsm with 4 sessions (the board's capacity)", rf,
          rf / lib_rate))
if soft_s:
    sr = int(soft_rrsig) / float(soft_s)
    print("  %-44s %10.1f  (%.2f)" % ("Knot kzonesign with SoftHSM2 (reference)", sr, sr / lib_rate))
board = signs / lib_rate
start = max(t0 - n0 / lib_rate, 0)
# Time inside the module's functions, from p11_timing.so: "C_Sign=CALLS:NS".
t = {k: tuple(int(x) for x in v.split(":")) for k, v in
     (w.split("=", 1) for w in timing.split()[3:])} if timing else {}
def inside(*names):
    return sum(t.get(n, (0, 0))[1] for n in names) / 1e9, sum(t.get(n, (0, 0))[0] for n in names)
row = "    %-52s %8.2f s  (%.2f)"
print("  where kzonesign's %.2f s go (fractions of it%s):" % (sign_s,
      "; inside the module: time summed over Knot's threads" if int(sessions) > 1 else ""))
if t:
    sig_s, sig_n = inside("C_SignInit", "C_Sign", "C_SignUpdate", "C_SignFinal")
    look_s, look_n = inside("C_FindObjectsInit", "C_FindObjects", "C_FindObjectsFinal",
                            "C_GetAttributeValue")
    ses_s, ses_n = inside("C_Initialize", "C_GetSlotList", "C_GetTokenInfo", "C_OpenSession",
                          "C_CloseSession", "C_Login", "C_Logout")
    print(row % ("inside the module, signing (%d calls)" % sig_n, sig_s, sig_s / sign_s))
    print(row % ("  %d board round trips at the baseline rate" % signs, board, board / sign_s))
    extra = sig_s - board
    print(row % ("  the rest: module and driver, %.3f ms a signature" % (1e3 * extra / max(signs, 1)),
                 extra, extra / sign_s))
    print(row % ("inside the module, object look-ups (%d calls)" % look_n, look_s, look_s / sign_s))
    print(row % ("inside the module, init, sessions, login (%d calls)" % ses_n, ses_s,
                 ses_s / sign_s))
    out = sign_s - sig_s - look_s - ses_s
    print(row % ("Knot outside the module (load, hash, NSEC, write)", out, out / sign_s))
    print(row % ("  of which Knot's start-up (the zone without names)",
                 start, start / sign_s))
else:
    print("    (no timing from p11_timing.so: the split below is estimated)")
    print(row % ("%d signatures at the baseline rate" % signs, board, board / sign_s))
    print(row % ("start-up (no names: %.2f s, %d signatures)" % (t0, n0), start, start / sign_s))
    rest = sign_s - board - start
    print(row % ("the rest: Knot per RRset, module, driver", rest, rest / sign_s))
print("  the module logged in %d board sessions during kzonesign (pool and threads: %s)"
      % (delta.get("LOGIN", 0), sessions))
total = sum(delta.values())
print("  board requests during kzonesign: %d, %.3f per signature" % (total, total / max(signs, 1)))
for f, n in sorted(delta.items(), key=lambda x: -x[1]):
    print("    %-24s %8d  %.3f per signature" % (f, n, n / max(signs, 1)))
PY
done
rm -rf "$WORK"
"$HSMCTL" detach hsm0 >/dev/null 2>&1
[ $fails -eq 0 ]
