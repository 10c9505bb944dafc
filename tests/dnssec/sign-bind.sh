#!/bin/sh
# DNSSEC zone signing with BIND 9.18 (dnssec-keyfromlabel + dnssec-signzone)
# using keys kept in a PKCS#11 token, reached through the OpenSSL ENGINE
# "pkcs11" (libp11, package libengine-pkcs11-openssl) and RFC 7512 URIs.
# BIND 9.18 cannot create keys in a token, so the KSK and ZSK are generated
# with pkcs11-tool (OpenSC) and then linked into K*.key/K*.private files with
# dnssec-keyfromlabel. See Documentation/admin-guide/dnssec.rst.
# (The team's recipe, kept here so that the repository's tests read nothing
# outside it; kzonecheck is required.)
#
# Debian 12's bind9 cannot do this as packaged (its ENGINE code is compiled
# out): scripts/bind9-pkcs11.sh builds one that can (make check-bind), and
# BIND_BINDIR names its bin/ directory.
#
# Required environment:
#   P11_MODULE   path to the PKCS#11 module (.so)
#   P11_TOKEN    token label
#   P11_PIN      user PIN
# Optional:
#   BIND_BINDIR  directory holding dnssec-keyfromlabel and dnssec-signzone
#                built with engine support (default: the ones in PATH)
#   WORKDIR      scratch directory (default: a new mktemp -d directory, removed
#                at the end); the run uses WORKDIR/sign-bind.XXXXXX
#   ALGS         "RSASHA256 ECDSAP256SHA256" (default: both)
#   RSA_BITS     2048;  ZONE  example.test;  NRECORDS  1000
#   BIND_SIGN_THREADS  dnssec-signzone -n (default: BIND's, one worker per
#                CPU; 1 gives readable pkcs11-spy logs)
#   P11_ENGINE_SO  path of libp11's engine (default: <ENGINESDIR>/pkcs11.so)
#   P11_SPY_DIR  if set, route every PKCS#11 call through OpenSC's
#                pkcs11-spy.so and write one log per phase into this dir
#   KEEP_KEYS=1  do not delete the generated keys from the token
#   KEEP_WORKDIR=1  keep the run directory (configs, zones, logs)
#
# Exit status 0 only if every algorithm was signed and the signed zone passed
# ldns-verify-zone, kzonecheck and dnssec-verify.
set -eu

ME=sign-bind
SIGNER=bind
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
for c in ldns-verify-zone ldns-read-zone kzonecheck pkcs11-tool openssl od; do
    command -v "$c" >/dev/null 2>&1 || die "$c not found (make deps installs it)"
done
if [ -n "${BIND_BINDIR:-}" ]; then
    KEYFROMLABEL=$BIND_BINDIR/dnssec-keyfromlabel
    SIGNZONE=$BIND_BINDIR/dnssec-signzone
    # its dnssec-verify is one of the validators (recipe-lib.sh)
    PATH=$BIND_BINDIR:$PATH
else
    KEYFROMLABEL=$(command -v dnssec-keyfromlabel) || die "dnssec-keyfromlabel not found: set BIND_BINDIR (make check-bind)"
    SIGNZONE=$(command -v dnssec-signzone) || die "dnssec-signzone not found: set BIND_BINDIR (make check-bind)"
fi
[ -x "$KEYFROMLABEL" ] && [ -x "$SIGNZONE" ] || die "no dnssec-keyfromlabel/dnssec-signzone in '${BIND_BINDIR:-PATH}'"
command -v dnssec-verify >/dev/null 2>&1 || die "dnssec-verify not found beside $SIGNZONE"

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

    # BIND stores the URI as the key's "label" in K*.private and hands it
    # to ENGINE_load_private_key and ENGINE_load_public_key.
    log "[$ALG] linking the token keys with dnssec-keyfromlabel -E pkcs11"
    mkdir -p "$D/keys"
    spy_phase import
    t0=$(now)
    for role in KSK ZSK; do
        if [ $role = KSK ]; then uri=$KSK_URI; fl="-f KSK"; else uri=$ZSK_URI; fl=; fi
        # shellcheck disable=SC2086
        "$KEYFROMLABEL" -E pkcs11 -a "$ALG" $fl -K "$D/keys" -l "$uri" "$ZONE" \
            >"$D/keyfromlabel-$role.log" 2>&1 || {
            cat "$D/keyfromlabel-$role.log" >&2
            if grep -q 'no engine\|could not initialize dst' "$D/keyfromlabel-$role.log"; then
                log "this BIND was built without OpenSSL ENGINE support (Debian 12's is);"
                log "scripts/bind9-pkcs11.sh builds one (make check-bind): set BIND_BINDIR"
            fi
            die "dnssec-keyfromlabel ($role) failed"
        }
    done
    t1=$(now)
    IMPORT_S=$(elapsed "$t0" "$t1")

    log "[$ALG] signing with dnssec-signzone -E pkcs11"
    spy_phase sign
    t0=$(now)
    # shellcheck disable=SC2086
    "$SIGNZONE" -E pkcs11 ${BIND_SIGN_THREADS:+-n "$BIND_SIGN_THREADS"} -S -K "$D/keys" -d "$D" \
        -o "$ZONE" -f "$D/$ZONE.signed" "$D/$ZONE.zone" >"$D/signzone.log" 2>&1 ||
        { cat "$D/signzone.log" >&2; die "dnssec-signzone failed"; }
    t1=$(now)
    SIGN_S=$(elapsed "$t0" "$t1")
    unset PKCS11SPY_OUTPUT OPENSSL_CONF
    SIGNED=$D/$ZONE.signed
    [ -s "$SIGNED" ] || die "no signed zone written"
    RRSIGS=$(rrsig_count "$SIGNED")
    log "[$ALG] verifying $SIGNED"
    if verify_zone "$SIGNED" "$ANUM"; then VERIFY=pass; else VERIFY=FAIL; fi
    echo "RESULT signer=bind alg=$ALG keygen_s=$KEYGEN_S import_s=$IMPORT_S sign_s=$SIGN_S rrsig=$RRSIGS verify=$VERIFY"
    [ "$VERIFY" = pass ]
}

run_algs
exit $STATUS
