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
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

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


# ---------------------------------------------------------------- OpenSSL engine
find_engine() {
    if [ -n "${P11_ENGINE_SO:-}" ]; then echo "$P11_ENGINE_SO"; return; fi
    ed=$(openssl version -e | sed -n 's/^ENGINESDIR: "\(.*\)"$/\1/p')
    for e in "$ed/pkcs11.so" "$ed/libpkcs11.so"; do [ -r "$e" ] && { echo "$e"; return; }; done
    die "libp11 engine pkcs11.so not found in '$ed' (apt-get install libengine-pkcs11-openssl)"
}
ENGINE_SO=$(find_engine)

# write_openssl_cnf FILE: private OpenSSL config that loads libp11's engine
# with our module.  init = 0 defers engine initialisation to the application.
# (Values are taken literally; the module path must not contain '"' or '$'.)
write_openssl_cnf() {
    cat >"$1" <<EOF
openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
dynamic_path = "$ENGINE_SO"
MODULE_PATH = "$MODULE"
init = 0
EOF
}

rand_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
hex_pct() { printf '%s' "$1" | sed 's/\(..\)/%\1/g'; }

# p11tool ARGS...: pkcs11-tool on our token, logged in as the user
p11tool() {
    pkcs11-tool --module "$MODULE" --token-label "$P11_TOKEN" --login --pin "$P11_PIN" "$@"
}

# gen_keypair ID LABEL: key pair inside the token, sign/verify usage only
gen_keypair() {
    case $ALG in
        RSASHA256) kt=rsa:$RSA_BITS ;;
        ECDSAP256SHA256) kt=EC:prime256v1 ;;
    esac
    p11tool --keypairgen --key-type "$kt" --usage-sign --id "$1" --label "$2" >"$D/keygen-$1.log" 2>&1 ||
        { cat "$D/keygen-$1.log" >&2; die "pkcs11-tool --keypairgen failed"; }
}

del_keypair() {
    for t in privkey pubkey; do
        p11tool --delete-object --type $t --id "$1" >/dev/null 2>&1 || log "could not delete $t id $1"
    done
}

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
    write_openssl_cnf "$D/openssl.cnf"
    OPENSSL_CONF=$D/openssl.cnf
    export OPENSSL_CONF
    (umask 077; printf '%s' "$P11_PIN" >"$D/pin")

    # Unique CKA_ID per key: libp11 looks keys up by id, and an id that is
    # shared by several keys makes it pick the wrong one.
    KSK_ID=$(rand_hex 8)
    ZSK_ID=$(rand_hex 8)
    KEYIDS=
    alg_cleanup() {
        arc=$?
        if [ "$KEEP_KEYS" != 1 ] && [ -n "$KEYIDS" ]; then
            spy_phase cleanup
            for k in $KEYIDS; do del_keypair "$k"; done
        fi
        exit $arc
    }
    trap alg_cleanup EXIT

    log "[$ALG] generating KSK ($KSK_ID) and ZSK ($ZSK_ID) in token '$P11_TOKEN' with pkcs11-tool"
    spy_phase keygen
    t0=$(now)
    KEYIDS=$KSK_ID
    gen_keypair "$KSK_ID" "$ZONE-ksk-$ALG-$KSK_ID"
    KEYIDS="$KSK_ID $ZSK_ID"
    gen_keypair "$ZSK_ID" "$ZONE-zsk-$ALG-$ZSK_ID"
    t1=$(now)
    KEYGEN_S=$(elapsed "$t0" "$t1")

    # RFC 7512 URIs handed to the engine; the PIN comes from a file.
    BASE="pkcs11:token=$(pct "$P11_TOKEN")"
    KSK_URI="$BASE;id=$(hex_pct "$KSK_ID");pin-source=file:$D/pin"
    ZSK_URI="$BASE;id=$(hex_pct "$ZSK_ID");pin-source=file:$D/pin"

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

STATUS=0
for ALG in $ALGS; do
    set +e
    (set -e; run_alg)
    rc=$?
    set -e
    [ $rc -eq 0 ] || { log "[$ALG] FAILED (rc=$rc)"; STATUS=1; }
done
exit $STATUS
