#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The redundancy-group benchmark of `make bench` (issue 13 point 6), run in
# the test VM by tests/bench.sh against two emulated boards of equal speed:
#
#   tests/vm/run --boards 2 --board-cmd '... --workers 4 --set service_ms.PKEY_SIGN=MS' \
#       -- tests/bench/group-bench.sh
#
# Both boards get the same PINs and form the group "bench"; an ECDSA P-256
# key made through the group's token is on both. Then, through the PKCS#11
# module, with BENCH_THREADS signing threads (each its own PKCS#11 session)
# for BENCH_SECONDS each:
#   1. one board: the module without the groups file, board 0's own token
#      (the baseline);
#   2. the group: both boards behind the group's token;
#   3. the failover pause: one thread signing through the group, board 1
#      unplugged half-way; the longest a signature took from the unplug on,
#      against the same run with a command that unplugs nothing.
# Prints the group's rate as a ratio of one board's (target >= 1.8) and the
# pauses. Exit status 0 when every run worked, whatever the figures.
set -u

TREE=$(cd "$(dirname "$0")/../.." && pwd)
MODULE=$TREE/pkcs11/libhsm-pkcs11.so
HSMCTL=$TREE/hsmctl/hsmctl
RATE=$TREE/build/bench/p11_sign_rate
PIN=user-pin-1234
THREADS=${BENCH_THREADS:-8}
SECONDS_=${BENCH_SECONDS:-5}
WORK=$(mktemp -d /tmp/group-bench.XXXXXX)
fails=0
fail() { echo "group-bench: $*" >&2; fails=$((fails + 1)); }

[ -x "$RATE" ] || { echo "group-bench: $RATE missing (make -C tests/bench)" >&2; exit 1; }
command -v pkcs11-tool >/dev/null 2>&1 || { echo "group-bench: pkcs11-tool missing (make deps)" >&2; exit 1; }

. "$TREE/tests/dnssec/vm-board.sh"
if ! { "$HSMCTL" attach /dev/ttyUSB0 && "$HSMCTL" attach /dev/ttyUSB1 &&
       vm_board_pins hsm0 && vm_board_pins hsm1; } >"$WORK/out" 2>&1; then
	cat "$WORK/out" >&2
	echo "group-bench: board set-up failed" >&2
	exit 1
fi
ID0=$("$HSMCTL" list | awk '$1 == "hsm0" { print $2 }')
ID1=$("$HSMCTL" list | awk '$1 == "hsm1" { print $2 }')
printf '[group bench]\nboards = %s %s\n' "$ID0" "$ID1" >"$WORK/groups.conf"
: >"$WORK/none.conf"
# The module's pool at its largest: 4 sessions per board, the board's workers.
HSM_PKCS11_POOL=4
export HSM_PKCS11_POOL

if ! HSM_GROUPS_CONF=$WORK/groups.conf pkcs11-tool --module "$MODULE" \
     --token-label cryptech-grp-bench --login --pin "$PIN" --keypairgen \
     --key-type EC:prime256v1 --label bench --id 6265 --usage-sign >"$WORK/out" 2>&1; then
	cat "$WORK/out" >&2
	echo "group-bench: key generation through the group failed" >&2
	exit 1
fi

# rate FILE CONF TOKEN ARGS...: p11_sign_rate's line into FILE
rate() {
	out=$1 conf=$2 token=$3
	shift 3
	HSM_GROUPS_CONF=$conf "$RATE" --module "$MODULE" --token "$token" \
		--pin-file "$WORK/user" --key bench "$@" >"$out" 2>"$out.err" ||
		{ cat "$out.err" >&2; return 1; }
}
# Board 0's own token, as the module shows it without the groups file.
label0=$(HSM_GROUPS_CONF=$WORK/none.conf pkcs11-tool --module "$MODULE" -L 2>/dev/null |
	sed -n "s/^ *token label *: \(cryptech-[^ ]*$ID0[^ ]*\) *\$/\1/p" | head -1)

rate "$WORK/one" "$WORK/none.conf" "$label0" --threads "$THREADS" --seconds "$SECONDS_" ||
	fail "one board ($label0) failed"
rate "$WORK/group" "$WORK/groups.conf" cryptech-grp-bench --threads "$THREADS" \
	--seconds "$SECONDS_" || fail "the group failed"
rate "$WORK/calm" "$WORK/groups.conf" cryptech-grp-bench --threads 1 --seconds 6 \
	--unplug-after 3 --unplug-cmd true || fail "the group, no unplug, failed"
rate "$WORK/unplug" "$WORK/groups.conf" cryptech-grp-bench --threads 1 --seconds 6 \
	--unplug-after 3 --unplug-cmd "$TREE/tests/vm/vmctl unplug 1" ||
	fail "the group with board 1 unplugged failed (a signature failed)"

python3 - "$WORK" "$THREADS" "${BENCH_SIGN_MS:-?}" <<'PY' || fail "no figures"
import sys
d, threads, ms = sys.argv[1:]
def line(name):
    try:
        w = open(d + "/" + name).read().split()
    except OSError:
        return {}
    return {w[i]: w[i + 1] for i in range(0, len(w) - 1, 2)}
one, grp, calm, unplug = (line(n) for n in ("one", "group", "calm", "unplug"))
print("Redundancy group: two emulated boards, 4 workers each, PKEY_SIGN %s ms;"
      " ECDSA P-256 through the PKCS#11 module, %s threads" % (ms, threads))
if one and grp:
    r1, rg = float(one["rate"]), float(grp["rate"])
    print("  %-46s %9.1f/s  (1.00)" % ("one board, its own token (the baseline)", r1))
    print("  %-46s %9.1f/s  (%.2f)  target >= 1.80" % ("the group of two boards", rg, rg / r1))
if calm and unplug:
    print("  failover pause, one signing thread (the longest signature from the command on):")
    print("    %-44s %9s ms" % ("no unplug (the command is 'true')", calm["pause_ms"]))
    print("    %-44s %9s ms  (%s failed signatures)" % ("board 1 unplugged", unplug["pause_ms"],
          unplug["failures"]))
PY
rm -rf "$WORK"
"$HSMCTL" detach hsm0 >/dev/null 2>&1
[ $fails -eq 0 ]
