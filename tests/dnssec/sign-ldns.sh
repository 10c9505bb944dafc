#!/bin/sh
# DNSSEC zone signing with ldns-signzone (ldnsutils) using keys kept in a
# PKCS#11 token, reached through the OpenSSL 3 ENGINE "pkcs11" (libp11,
# package libengine-pkcs11-openssl).  ldns cannot create keys in a token, so
# the KSK and ZSK are generated with pkcs11-tool (OpenSC).  See Documentation/admin-guide/dnssec.rst.
# (The team's recipe, kept here so that the repository's tests read nothing
# outside it; kzonecheck is required.)
#
# Required environment:
#   P11_MODULE   path to the PKCS#11 module (.so)
#   P11_TOKEN    token label
#   P11_PIN      user PIN
# Optional:
#   WORKDIR      scratch directory (default: a new mktemp -d directory, removed
#                at the end); the run uses WORKDIR/sign-ldns.XXXXXX
#   ALGS         "RSASHA256 ECDSAP256SHA256" (default: both)
#   RSA_BITS     2048;  ZONE  example.test;  NRECORDS  1000
#   P11_ENGINE_SO  path of libp11's engine (default: <ENGINESDIR>/pkcs11.so)
#   P11_SPY_DIR  if set, route every PKCS#11 call through OpenSC's
#                pkcs11-spy.so and write one log per phase into this dir
#   KEEP_KEYS=1  do not delete the generated keys from the token
#   KEEP_WORKDIR=1  keep the run directory (configs, zones, logs)
#
# Exit status 0 only if every algorithm was signed and the signed zone passed
# ldns-verify-zone and dnssec-verify (and kzonecheck when installed).
set -eu

ME=sign-ldns
SIGNER=ldns
die() { echo "$ME: ERROR: $*" >&2; exit 1; }
log() { echo "$ME: $*" >&2; }

: "${P11_MODULE:?set P11_MODULE to the path of the PKCS#11 module}"
: "${P11_TOKEN:?set P11_TOKEN to the token label}"
: "${P11_PIN:?set P11_PIN to the user PIN}"
ALGS=${ALGS:-"RSASHA256 ECDSAP256SHA256"}
RSA_BITS=${RSA_BITS:-2048}
ZONE=${ZONE:-example.test}
NRECORDS=${NRECORDS:-1000}
KEEP_KEYS=${KEEP_KEYS:-0}
KEEP_WORKDIR=${KEEP_WORKDIR:-0}

[ -r "$P11_MODULE" ] || die "P11_MODULE '$P11_MODULE' is not readable"
for c in ldns-signzone ldns-verify-zone ldns-read-zone kzonecheck pkcs11-tool openssl od; do
    command -v "$c" >/dev/null 2>&1 || die "$c not found (make deps installs it)"
done

# ---------------------------------------------------------------- shared
# workdir, clean-up, pkcs11-spy, the zone and its validators
. "$(dirname "$0")/recipe-lib.sh"
# the engine, the keys made with pkcs11-tool and their URIs
. "$(dirname "$0")/engine-lib.sh"


# ---------------------------------------------------------------- one algorithm
run_alg() {
    case $ALG in
        RSASHA256) ANUM=8 ;;
        ECDSAP256SHA256) ANUM=13 ;;
        *) die "unsupported algorithm $ALG" ;;
    esac
    D=$RUN/$ALG
    mkdir -p "$D"
    make_zone "$D/$ZONE.zone"
    engine_keys

    log "[$ALG] signing with ldns-signzone -E pkcs11"
    spy_phase sign
    t0=$(now)
    ldns-signzone -E pkcs11 -K "$ANUM,$KSK_URI" -k "$ANUM,$ZSK_URI" \
        -f "$D/$ZONE.signed" -o "$ZONE" "$D/$ZONE.zone" >"$D/ldns-signzone.log" 2>&1 ||
        { cat "$D/ldns-signzone.log" >&2; die "ldns-signzone failed"; }
    t1=$(now)
    SIGN_S=$(elapsed "$t0" "$t1")
    unset PKCS11SPY_OUTPUT OPENSSL_CONF
    SIGNED=$D/$ZONE.signed
    [ -s "$SIGNED" ] || die "no signed zone written"
    RRSIGS=$(rrsig_count "$SIGNED")
    log "[$ALG] verifying $SIGNED"
    if verify_zone "$SIGNED" "$ANUM"; then VERIFY=pass; else VERIFY=FAIL; fi
    echo "RESULT signer=ldns alg=$ALG keygen_s=$KEYGEN_S sign_s=$SIGN_S rrsig=$RRSIGS verify=$VERIFY"
    [ "$VERIFY" = pass ]
}

run_algs
exit $STATUS
