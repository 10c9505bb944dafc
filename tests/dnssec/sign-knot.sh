#!/bin/sh
# DNSSEC zone signing with Knot DNS (keymgr + kzonesign) and keys kept in a
# PKCS#11 token.  See Documentation/admin-guide/dnssec.rst.  (The team's recipe, kept here so that the
# repository's tests read nothing outside it; kzonecheck is required.)
#
# Required environment:
#   P11_MODULE   path to the PKCS#11 module (.so)
#   P11_TOKEN    token label
#   P11_PIN      user PIN
# Optional:
#   WORKDIR      scratch directory (default: a new mktemp -d directory, removed
#                at the end); the run uses WORKDIR/sign-knot.XXXXXX
#   ALGS         "RSASHA256 ECDSAP256SHA256" (default: both)
#   RSA_BITS     2048;  ZONE  example.test;  NRECORDS  1000
#   KNOT_MODE    kzonesign (default: offline signer, no daemon) or knotd
#                (knotd signs, listening on 127.0.0.1 only, then flushes)
#   KNOT_PORT    loopback port for knotd mode (default 53531)
#   KNOT_SIGNING_THREADS  the policy's signing-threads (default: Knot's, 1)
#   SIGN_HOOK    a command run with argument "start" just before signing and
#                "end" just after (tests/bench/dnssec-bench.sh reads the
#                board's request counts there)
#   P11_SPY_DIR  if set, route every PKCS#11 call through OpenSC's
#                pkcs11-spy.so and write one log per phase into this dir
#   KEEP_KEYS=1  do not delete the generated keys from the token
#   KEEP_WORKDIR=1  keep the run directory (configs, zones, logs)
#
# Exit status 0 only if every algorithm was signed and the signed zone passed
# ldns-verify-zone and dnssec-verify (and kzonecheck).
set -eu

ME=sign-knot
SIGNER=knot
die() { echo "$ME: ERROR: $*" >&2; exit 1; }
log() { echo "$ME: $*" >&2; }

: "${P11_MODULE:?set P11_MODULE to the path of the PKCS#11 module}"
: "${P11_TOKEN:?set P11_TOKEN to the token label}"
: "${P11_PIN:?set P11_PIN to the user PIN}"
ALGS=${ALGS:-"RSASHA256 ECDSAP256SHA256"}
RSA_BITS=${RSA_BITS:-2048}
ZONE=${ZONE:-example.test}
NRECORDS=${NRECORDS:-1000}
KNOT_MODE=${KNOT_MODE:-kzonesign}
KNOT_PORT=${KNOT_PORT:-53531}
KNOT_SIGNING_THREADS=${KNOT_SIGNING_THREADS:-}
SIGN_HOOK=${SIGN_HOOK:-}
KEEP_KEYS=${KEEP_KEYS:-0}
KEEP_WORKDIR=${KEEP_WORKDIR:-0}

[ -r "$P11_MODULE" ] || die "P11_MODULE '$P11_MODULE' is not readable"
for c in keymgr kzonesign kzonecheck ldns-verify-zone ldns-read-zone; do
    command -v "$c" >/dev/null 2>&1 || die "$c not found (make deps installs it)"
done
[ "$KNOT_MODE" = kzonesign ] || [ "$KNOT_MODE" = knotd ] || die "KNOT_MODE must be kzonesign or knotd"
if [ "$KNOT_MODE" = knotd ]; then
    for c in knotd knotc; do command -v "$c" >/dev/null 2>&1 || die "$c not found"; done
fi

# ---------------------------------------------------------------- shared
# workdir, clean-up, pkcs11-spy, the zone and its validators
. "$(dirname "$0")/recipe-lib.sh"

# alive PID: process exists and is not a zombie (Linux /proc)
alive() {
    al_s=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ -n "$al_s" ] && [ "$al_s" != Z ]
}
# stop_daemon PID CMD...: ask politely with CMD, then SIGTERM, then SIGKILL;
# always reaps the child.  (ods-enforcerd 2.1.12 may crash and hang in its
# SIGTERM path, hence the escalation.)
stop_daemon() {
    sd_pid=$1; shift
    "$@" >/dev/null 2>&1 || true
    sd_n=0
    while alive "$sd_pid" && [ $sd_n -lt 150 ]; do sleep 0.1; sd_n=$((sd_n + 1)); done
    if alive "$sd_pid"; then kill "$sd_pid" 2>/dev/null || true; sleep 2; fi
    if alive "$sd_pid"; then log "pid $sd_pid still running, SIGKILL"; kill -9 "$sd_pid" 2>/dev/null || true; fi
    wait "$sd_pid" 2>/dev/null || true
}

# ---------------------------------------------------------------- one algorithm
run_alg() {
    case $ALG in
        RSASHA256) KALG=rsasha256; ANUM=8; KSIZE=$RSA_BITS ;;
        ECDSAP256SHA256) KALG=ecdsap256sha256; ANUM=13; KSIZE=256 ;;
        *) die "unsupported algorithm $ALG" ;;
    esac
    D=$RUN/$ALG
    mkdir -p "$D/zones" "$D/out" "$D/kasp" "$D/db" "$D/run"
    make_zone "$D/zones/$ZONE.zone"

    # The keystore "config" is '<PKCS#11 URI> <module path>'; the token label
    # and PIN are percent-encoded inside the URI.
    URI="pkcs11:token=$(pct "$P11_TOKEN");pin-value=$(pct "$P11_PIN")"
    cat >"$D/knot.conf" <<EOF
server:
    rundir: "$D/run"
    listen: 127.0.0.1@$KNOT_PORT
log:
  - target: stderr
    any: info
database:
    storage: "$D/db"
    kasp-db: "$D/kasp"
keystore:
  - id: hsm
    backend: pkcs11
    config: "$URI $MODULE"
policy:
  - id: hsm
    keystore: hsm
    manual: on
    algorithm: $KALG
    ksk-size: $KSIZE
    zsk-size: $KSIZE
    single-type-signing: off
    nsec3: off
    rrsig-lifetime: 14d
    rrsig-refresh: 7d
${KNOT_SIGNING_THREADS:+    signing-threads: $KNOT_SIGNING_THREADS}
zone:
  - domain: $ZONE
    storage: "$D/zones"
    file: "$ZONE.zone"
    dnssec-signing: on
    dnssec-policy: hsm
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
EOF
    chmod 600 "$D/knot.conf"
    KNOTD_PID=
    KEYIDS=
    alg_cleanup() {
        arc=$?
        [ -z "$KNOTD_PID" ] || stop_daemon "$KNOTD_PID" knotc -c "$D/knot.conf" stop
        if [ "$KEEP_KEYS" != 1 ] && [ -n "$KEYIDS" ]; then
            spy_phase cleanup
            for k in $KEYIDS; do
                keymgr -c "$D/knot.conf" "$ZONE" delete "$k" >/dev/null 2>&1 || log "could not delete key $k"
            done
        fi
        exit $arc
    }
    trap alg_cleanup EXIT

    log "[$ALG] generating KSK and ZSK in token '$P11_TOKEN' with keymgr"
    spy_phase keygen
    t0=$(now)
    KSK=$(keymgr -c "$D/knot.conf" "$ZONE" generate algorithm="$KALG" size="$KSIZE" ksk=yes zsk=no) ||
        die "keymgr generate (KSK) failed"
    KEYIDS=$KSK
    ZSK=$(keymgr -c "$D/knot.conf" "$ZONE" generate algorithm="$KALG" size="$KSIZE" ksk=no zsk=yes) ||
        die "keymgr generate (ZSK) failed"
    KEYIDS="$KSK $ZSK"
    t1=$(now)
    KEYGEN_S=$(elapsed "$t0" "$t1")
    log "[$ALG] KSK id $KSK, ZSK id $ZSK (CKA_ID = these ids) in ${KEYGEN_S}s"
    keymgr -c "$D/knot.conf" "$ZONE" list >&2

    spy_phase sign
    if [ "$KNOT_MODE" = kzonesign ]; then
        log "[$ALG] signing with kzonesign"
        [ -z "$SIGN_HOOK" ] || $SIGN_HOOK start
        t0=$(now)
        kzonesign -c "$D/knot.conf" -o "$D/out" "$ZONE" >"$D/kzonesign.log" 2>&1 ||
            { cat "$D/kzonesign.log" >&2; die "kzonesign failed"; }
        t1=$(now)
        [ -z "$SIGN_HOOK" ] || $SIGN_HOOK end
        SIGNED=$D/out/$ZONE.zone
    else
        log "[$ALG] signing with knotd on 127.0.0.1@$KNOT_PORT"
        t0=$(now)
        knotd -c "$D/knot.conf" >"$D/knotd.log" 2>&1 &
        KNOTD_PID=$!
        n=0
        until knotc -c "$D/knot.conf" -t 5 zone-status "$ZONE" 2>/dev/null | grep -q 'serial: [0-9]'; do
            alive "$KNOTD_PID" || { cat "$D/knotd.log" >&2; die "knotd died"; }
            n=$((n + 1)); [ $n -lt 600 ] || die "knotd did not load the zone"
            sleep 0.1
        done
        n=0
        until grep -q "\[$ZONE\.\] DNSSEC, next signing" "$D/knotd.log"; do
            grep -q "\[$ZONE\.\] DNSSEC, failed\|zone event 'DNSSEC re-sign' failed" "$D/knotd.log" &&
                { cat "$D/knotd.log" >&2; die "knotd signing failed"; }
            n=$((n + 1)); [ $n -lt 1200 ] || { cat "$D/knotd.log" >&2; die "knotd did not sign the zone"; }
            sleep 0.1
        done
        t1=$(now)
        # write the signed zone to a separate file
        knotc -c "$D/knot.conf" zone-flush "$ZONE" +outdir "$D/out" >/dev/null ||
            die "knotc zone-flush failed"
        n=0
        SIGNED=
        while [ -z "$SIGNED" ]; do
            for f in "$D/out"/*; do [ -s "$f" ] && SIGNED=$f; done
            n=$((n + 1)); [ $n -lt 100 ] || die "no flushed zone"; sleep 0.1
        done
        stop_daemon "$KNOTD_PID" knotc -c "$D/knot.conf" stop
        KNOTD_PID=
        grep -E 'DNSSEC|PKCS|error' "$D/knotd.log" >&2 || true
    fi
    SIGN_S=$(elapsed "$t0" "$t1")
    [ -s "$SIGNED" ] || die "no signed zone written"
    RRSIGS=$(rrsig_count "$SIGNED")
    unset PKCS11SPY_OUTPUT
    log "[$ALG] verifying $SIGNED"
    if verify_zone "$SIGNED" "$ANUM"; then VERIFY=pass; else VERIFY=FAIL; fi
    echo "RESULT signer=knot mode=$KNOT_MODE alg=$ALG keygen_s=$KEYGEN_S sign_s=$SIGN_S rrsig=$RRSIGS verify=$VERIFY"
    [ "$VERIFY" = pass ]
}

run_algs
exit $STATUS
