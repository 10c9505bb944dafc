#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# DNSSEC zone signing with OpenDNSSEC 2.1 (ods-enforcerd + ods-signerd) with
# keys generated and used inside a PKCS#11 token.  Both daemons are started by
# hand in the foreground (no systemd) with their own conf.xml/kasp.xml in the
# run directory and stopped by PID at the end.  See
# Documentation/admin-guide/dnssec.rst.  (The team's recipe, kept here so that
# the repository's tests read nothing outside it.)
#
# Required environment:
#   P11_MODULE   path to the PKCS#11 module (.so)
#   P11_TOKEN    token label
#   P11_PIN      user PIN
# Optional:
#   WORKDIR      scratch directory (default: a new mktemp -d directory, removed
#                at the end); the run uses WORKDIR/sign-opendnssec.XXXXXX
#   ALGS         "RSASHA256 ECDSAP256SHA256" (default: both)
#   RSA_BITS     2048;  ZONE  example.test;  NRECORDS  1000
#   ODS_SKIP_PUBLIC_KEY=1  add <SkipPublicKey/> to the Repository (public key
#                objects are then created as session objects only)
#   ODS_PORT     loopback port of the signer's DNS listener (default 53532)
#   P11_SPY_DIR  if set, route every PKCS#11 call through OpenSC's
#                pkcs11-spy.so and write one log per daemon into this dir
#   KEEP_KEYS=1  do not delete the generated keys from the token
#   KEEP_WORKDIR=1  keep the run directory (configs, zones, logs)
#   ODS_ONE_AT_A_TIME=1  stop the enforcer before the signer starts, so that
#                only one process uses the token at a time (the test seam's
#                emulated board belongs to one process at a time)
#
# Limitation of OpenDNSSEC 2.1.12 as packaged in Debian 12: conf.rng (which the
# daemons enforce) has no Signer/SocketFile or Signer/PidFile, so the signer
# always uses /run/opendnssec/engine.sock and /run/opendnssec/signerd.pid; this
# script refuses to run while another ods-signerd is using them.  Likewise
# ods-enforcer-db-setup only reads /etc/opendnssec/conf.xml, so the enforcer
# database is created here with sqlite3 from /usr/share/opendnssec/schema.sqlite.
#
# Exit status 0 only if every algorithm was signed and the signed zone passed
# ldns-verify-zone and dnssec-verify (and kzonecheck when installed).
set -eu

ME=sign-opendnssec
SIGNER=opendnssec
die() { echo "$ME: ERROR: $*" >&2; exit 1; }
log() { echo "$ME: $*" >&2; }

: "${P11_MODULE:?set P11_MODULE to the path of the PKCS#11 module}"
: "${P11_TOKEN:?set P11_TOKEN to the token label}"
: "${P11_PIN:?set P11_PIN to the user PIN}"
ALGS=${ALGS:-"RSASHA256 ECDSAP256SHA256"}
RSA_BITS=${RSA_BITS:-2048}
ZONE=${ZONE:-example.test}
NRECORDS=${NRECORDS:-1000}
ODS_SKIP_PUBLIC_KEY=${ODS_SKIP_PUBLIC_KEY:-0}
ODS_PORT=${ODS_PORT:-53532}
KEEP_KEYS=${KEEP_KEYS:-0}
KEEP_WORKDIR=${KEEP_WORKDIR:-0}
ODS_ONE_AT_A_TIME=${ODS_ONE_AT_A_TIME:-0}
SCHEMA=/usr/share/opendnssec/schema.sqlite
ODS_RUNDIR=/run/opendnssec

[ -r "$P11_MODULE" ] || die "P11_MODULE '$P11_MODULE' is not readable"
for c in ods-enforcerd ods-enforcer ods-signerd ods-signer sqlite3 pkcs11-tool ldns-verify-zone ldns-read-zone; do
    command -v "$c" >/dev/null 2>&1 || die "$c not found (make deps installs it)"
done
[ -r "$SCHEMA" ] || die "$SCHEMA missing (package opendnssec-enforcer-sqlite3)"
if [ -f "$ODS_RUNDIR/signerd.pid" ] && kill -0 "$(cat "$ODS_RUNDIR/signerd.pid")" 2>/dev/null; then
    die "another ods-signerd (pid $(cat "$ODS_RUNDIR/signerd.pid")) owns $ODS_RUNDIR/engine.sock; stop it first"
fi
CREATED_ODS_RUNDIR=
if [ ! -d "$ODS_RUNDIR" ]; then mkdir -p "$ODS_RUNDIR"; CREATED_ODS_RUNDIR=1; fi

# ---------------------------------------------------------------- shared
# workdir, clean-up, pkcs11-spy, the zone and its validators
. "$(dirname "$0")/recipe-lib.sh"


xml_esc() { printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'; }

p11tool() {
    pkcs11-tool --module "$MODULE" --token-label "$P11_TOKEN" --login --pin "$P11_PIN" "$@"
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s
wait_for() {
    wf_n=$(awk -v s="$1" 'BEGIN { print int(s * 10) }'); shift
    while ! "$@" >/dev/null 2>&1; do
        wf_n=$((wf_n - 1)); [ $wf_n -gt 0 ] || return 1
        sleep 0.1
    done
}

# alive PID: process exists and is not a zombie (Linux /proc)
alive() {
    al_s=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ -n "$al_s" ] && [ "$al_s" != Z ]
}
# stop_daemon PID CMD...: ask politely with CMD (given 20 s), then SIGTERM,
# then SIGKILL; always reaps the child.  (ods-enforcerd 2.1.12 may crash and
# hang in its stop path, and its client then waits for an answer forever,
# hence the escalation.)
stop_daemon() {
    sd_pid=$1; shift
    timeout 20 "$@" >/dev/null 2>&1 || true
    sd_n=0
    while alive "$sd_pid" && [ $sd_n -lt 150 ]; do sleep 0.1; sd_n=$((sd_n + 1)); done
    if alive "$sd_pid"; then kill "$sd_pid" 2>/dev/null || true; sleep 2; fi
    if alive "$sd_pid"; then log "pid $sd_pid still running, SIGKILL"; kill -9 "$sd_pid" 2>/dev/null || true; fi
    wait "$sd_pid" 2>/dev/null || true
}

# ---------------------------------------------------------------- one algorithm
run_alg() {
    case $ALG in
        RSASHA256) ANUM=8; BITS=$RSA_BITS ;;
        ECDSAP256SHA256) ANUM=13; BITS=256 ;;
        *) die "unsupported algorithm $ALG" ;;
    esac
    D=$RUN/$ALG
    mkdir -p "$D/unsigned" "$D/signed" "$D/signconf" "$D/enforcer" "$D/signer"
    make_zone "$D/unsigned/$ZONE"
    SKIP=
    [ "$ODS_SKIP_PUBLIC_KEY" = 1 ] && SKIP="<SkipPublicKey/>"

    cat >"$D/conf.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<Configuration>
  <RepositoryList>
    <Repository name="hsm">
      <Module>$(xml_esc "$MODULE")</Module>
      <TokenLabel>$(xml_esc "$P11_TOKEN")</TokenLabel>
      <PIN>$(xml_esc "$P11_PIN")</PIN>
      $SKIP
    </Repository>
  </RepositoryList>
  <Common>
    <Logging><Verbosity>3</Verbosity></Logging>
    <PolicyFile>$D/kasp.xml</PolicyFile>
    <ZoneListFile>$D/zonelist.xml</ZoneListFile>
  </Common>
  <Enforcer>
    <Datastore><SQLite>$D/kasp.db</SQLite></Datastore>
    <ManualKeyGeneration/>
    <PidFile>$D/enforcerd.pid</PidFile>
    <SocketFile>$D/enforcer.sock</SocketFile>
    <WorkingDirectory>$D/enforcer</WorkingDirectory>
    <WorkerThreads>1</WorkerThreads>
  </Enforcer>
  <Signer>
    <WorkingDirectory>$D/signer</WorkingDirectory>
    <WorkerThreads>2</WorkerThreads>
    <SignerThreads>2</SignerThreads>
    <Listener>
      <Interface><Address>127.0.0.1</Address><Port>$ODS_PORT</Port></Interface>
    </Listener>
  </Signer>
</Configuration>
EOF
    chmod 600 "$D/conf.xml"
    cat >"$D/kasp.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<KASP>
  <Policy name="hsm">
    <Description>PKCS#11 test policy</Description>
    <Signatures>
      <Resign>PT2H</Resign>
      <Refresh>P3D</Refresh>
      <Validity><Default>P14D</Default><Denial>P14D</Denial></Validity>
      <Jitter>PT12H</Jitter>
      <InceptionOffset>PT3600S</InceptionOffset>
      <MaxZoneTTL>P1D</MaxZoneTTL>
    </Signatures>
    <Denial><NSEC/></Denial>
    <Keys>
      <TTL>PT3600S</TTL>
      <RetireSafety>PT3600S</RetireSafety>
      <PublishSafety>PT3600S</PublishSafety>
      <Purge>P14D</Purge>
      <KSK>
        <Algorithm length="$BITS">$ANUM</Algorithm>
        <Lifetime>P365D</Lifetime>
        <Repository>hsm</Repository>
      </KSK>
      <ZSK>
        <Algorithm length="$BITS">$ANUM</Algorithm>
        <Lifetime>P365D</Lifetime>
        <Repository>hsm</Repository>
      </ZSK>
    </Keys>
    <Zone>
      <PropagationDelay>PT300S</PropagationDelay>
      <SOA><TTL>PT3600S</TTL><Minimum>PT300S</Minimum><Serial>unixtime</Serial></SOA>
    </Zone>
    <Parent>
      <PropagationDelay>PT3600S</PropagationDelay>
      <DS><TTL>PT3600S</TTL></DS>
      <SOA><TTL>PT3600S</TTL><Minimum>PT300S</Minimum></SOA>
    </Parent>
  </Policy>
</KASP>
EOF
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<ZoneList>\n</ZoneList>\n' >"$D/zonelist.xml"
    if command -v xmllint >/dev/null 2>&1; then
        for f in conf kasp zonelist; do
            xmllint --noout --relaxng "/usr/share/opendnssec/$f.rng" "$D/$f.xml" 2>&1 >/dev/null | grep -v validates >&2 || true
        done
    fi
    # What ods-enforcer-db-setup does, but for our own database path.
    sqlite3 "$D/kasp.db" <"$SCHEMA"
    sqlite3 "$D/kasp.db" "INSERT INTO databaseVersion (version) VALUES (1);"

    ENF_PID=
    SIG_PID=
    LOCATORS=
    E() { ods-enforcer -s "$D/enforcer.sock" "$@"; }
    ESTOP="ods-enforcer -s $D/enforcer.sock stop"
    alg_cleanup() {
        arc=$?
        [ -z "$SIG_PID" ] || stop_daemon "$SIG_PID" ods-signer stop
        [ -z "$ENF_PID" ] || stop_daemon "$ENF_PID" $ESTOP
        if [ "$KEEP_KEYS" != 1 ]; then
            LOCATORS=$(sqlite3 "$D/kasp.db" "SELECT locator FROM hsmKey;" 2>/dev/null || true)
            if [ -n "$LOCATORS" ]; then
                spy_phase cleanup
                for k in $LOCATORS; do
                    for t in privkey pubkey; do
                        p11tool --delete-object --type $t --id "$k" >/dev/null 2>&1 ||
                            { [ $t = pubkey ] && [ "$ODS_SKIP_PUBLIC_KEY" = 1 ]; } ||
                            log "could not delete $t id $k"
                    done
                done
            fi
        fi
        exit $arc
    }
    trap alg_cleanup EXIT

    log "[$ALG] starting ods-enforcerd"
    spy_phase enforcerd
    ods-enforcerd -c "$D/conf.xml" -d >"$D/enforcerd.log" 2>&1 &
    ENF_PID=$!
    unset PKCS11SPY_OUTPUT
    wait_for 30 E running || { cat "$D/enforcerd.log" >&2; die "ods-enforcerd did not come up"; }
    E policy import >&2
    E zone add -z "$ZONE" -p hsm -s "$D/signconf/$ZONE.xml" \
        -i "$D/unsigned/$ZONE" -o "$D/signed/$ZONE" >&2

    log "[$ALG] key generation by the enforcer (ods-enforcer key generate)"
    has_keys() {
        E key list -v -z "$ZONE" 2>/dev/null >"$D/keylist.txt"
        grep -q " KSK " "$D/keylist.txt" && grep -q " ZSK " "$D/keylist.txt" && [ -s "$D/signconf/$ZONE.xml" ]
    }
    t0=$(now)
    E key generate -p hsm -d P365D >&2
    wait_for 120 has_keys || { cat "$D/enforcerd.log" >&2; die "enforcer did not generate/assign keys"; }
    t1=$(now)
    KEYGEN_S=$(elapsed "$t0" "$t1")
    NKEYS=$(sqlite3 "$D/kasp.db" "SELECT count(*) FROM hsmKey;")
    cat "$D/keylist.txt" >&2
    log "[$ALG] $NKEYS key(s) generated in the token (CKA_ID/CKA_LABEL = hex locator)"

    if [ "$ODS_ONE_AT_A_TIME" = 1 ]; then
        stop_daemon "$ENF_PID" $ESTOP
        ENF_PID=
    fi
    log "[$ALG] starting ods-signerd (signs on start-up)"
    spy_phase signerd
    rm -f "$D/signed/$ZONE"
    t0=$(now)
    ods-signerd -c "$D/conf.xml" -d >"$D/signerd.log" 2>&1 &
    SIG_PID=$!
    unset PKCS11SPY_OUTPUT
    signed_ready() { [ -s "$D/signed/$ZONE" ]; }
    wait_for 600 signed_ready || {
        cat "$D/signerd.log" >&2
        alive "$SIG_PID" || die "ods-signerd died"
        die "ods-signerd did not write $D/signed/$ZONE"
    }
    t1=$(now)
    SIGN_S=$(elapsed "$t0" "$t1")
    ods-signer queue >&2 || true

    # stop both daemons (by their PIDs) before verifying
    stop_daemon "$SIG_PID" ods-signer stop
    SIG_PID=
    [ -z "$ENF_PID" ] || stop_daemon "$ENF_PID" $ESTOP
    ENF_PID=

    SIGNED=$D/signed/$ZONE
    RRSIGS=$(rrsig_count "$SIGNED")
    log "[$ALG] verifying $SIGNED"
    if verify_zone "$SIGNED" "$ANUM"; then VERIFY=pass; else VERIFY=FAIL; fi
    echo "RESULT signer=opendnssec alg=$ALG keygen_s=$KEYGEN_S sign_s=$SIGN_S rrsig=$RRSIGS keys=$NKEYS verify=$VERIFY"
    [ "$VERIFY" = pass ]
}

run_algs
[ -n "$CREATED_ODS_RUNDIR" ] && rmdir "$ODS_RUNDIR" 2>/dev/null || true
exit $STATUS
