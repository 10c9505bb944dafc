#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A ZSK rollover with Knot DNS and keys in a PKCS#11 token: sign with
# KSK+ZSK1, generate ZSK2 in the token, retire and remove ZSK1, sign again,
# and check that the new zone is valid (ldns-verify-zone, kzonecheck), has
# exactly KSK and ZSK2 as DNSKEYs, is signed by ZSK2 and no longer by ZSK1;
# then delete ZSK1 from the token with keymgr and check that its objects are
# gone (pkcs11-tool).
#
# Environment: P11_MODULE, P11_TOKEN, P11_PIN (as sign-knot.sh);
# ALG (default ECDSAP256SHA256), NRECORDS (default 200), WORKDIR.
set -eu

ME=rollover-knot
die() { echo "$ME: ERROR: $*" >&2; exit 1; }
log() { echo "$ME: $*" >&2; }

: "${P11_MODULE:?}" "${P11_TOKEN:?}" "${P11_PIN:?}"
ALG=${ALG:-ECDSAP256SHA256}
NRECORDS=${NRECORDS:-200}
ZONE=example.test
for c in keymgr kzonesign kzonecheck ldns-verify-zone ldns-read-zone ldns-key2ds pkcs11-tool; do
	command -v "$c" >/dev/null 2>&1 || die "$c not found"
done
case $ALG in
ECDSAP256SHA256) KALG=ecdsap256sha256 KSIZE=256 ;;
RSASHA256) KALG=rsasha256 KSIZE=2048 ;;
*) die "unsupported algorithm $ALG" ;;
esac

KEEP_WORKDIR=${KEEP_WORKDIR:-0}
# the run directory and its clean-up, pct, the zone (recipe-lib.sh)
. "$(dirname "$0")/recipe-lib.sh"
D=$RUN
mkdir -p "$D/zones" "$D/out" "$D/kasp" "$D/db" "$D/run"
make_zone "$D/zones/$ZONE.zone"

cat >"$D/knot.conf" <<EOF
server:
    rundir: "$D/run"
database:
    storage: "$D/db"
    kasp-db: "$D/kasp"
keystore:
  - id: hsm
    backend: pkcs11
    config: "pkcs11:token=$(pct "$P11_TOKEN");pin-value=$(pct "$P11_PIN") $P11_MODULE"
policy:
  - id: hsm
    keystore: hsm
    manual: on
    algorithm: $KALG
    ksk-size: $KSIZE
    zsk-size: $KSIZE
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
K() { keymgr -c "$D/knot.conf" "$ZONE" "$@"; }

# sign OUT: kzonesign into OUT, and the zone's validity
sign() {
	rm -rf "$D/out" && mkdir -p "$D/out"
	kzonesign -c "$D/knot.conf" -o "$D/out" "$ZONE" >"$D/kzonesign.log" 2>&1 ||
		{ cat "$D/kzonesign.log" >&2; die "kzonesign failed"; }
	cp "$D/out/$ZONE.zone" "$1"
	ldns-verify-zone "$1" >&2 || die "ldns-verify-zone rejects $1"
	kzonecheck -o "$ZONE" -d on "$1" >&2 || die "kzonecheck rejects $1"
}
# the key tags of the zone's DNSKEYs with flags $2, and of its RRSIGs
dnskey_tags() {
	ldns-read-zone -E DNSKEY "$1" | awk -v f="$2" '$5 == f' >"$D/k.txt"
	while read -r line; do
		printf '%s\n' "$line" >"$D/one.key"
		ldns-key2ds -f -n "$D/one.key" 2>/dev/null | awk '{ print $5 }'
	done <"$D/k.txt" | sort -u
}
rrsig_tags() { ldns-read-zone -E RRSIG "$1" | awk '$5 != "DNSKEY" { print $11 }' | sort -u; }
objects() {
	pkcs11-tool --module "$P11_MODULE" --token-label "$P11_TOKEN" --login \
		--pin "$P11_PIN" -O 2>/dev/null | grep -c "^Private Key Object" || true
}

KSK=$(K generate algorithm="$KALG" size="$KSIZE" ksk=yes zsk=no)
ZSK1=$(K generate algorithm="$KALG" size="$KSIZE" ksk=no zsk=yes)
log "KSK $KSK, ZSK1 $ZSK1"
sign "$D/before.zone"
TAG1=$(rrsig_tags "$D/before.zone")
log "signed by ZSK tag $TAG1"
[ "$(echo "$TAG1" | wc -l)" -eq 1 ] || die "expected one ZSK tag, got: $TAG1"
PRIV_BEFORE=$(objects)

ZSK2=$(K generate algorithm="$KALG" size="$KSIZE" ksk=no zsk=yes)
log "ZSK2 $ZSK2 generated in the token; ZSK1 retired and removed"
K set "$ZSK1" retire=+0 remove=+0 >&2
sign "$D/after.zone"
TAG2=$(rrsig_tags "$D/after.zone")
log "signed by ZSK tag $TAG2"
[ "$(echo "$TAG2" | wc -l)" -eq 1 ] || die "expected one ZSK tag after the roll, got: $TAG2"
[ "$TAG2" != "$TAG1" ] || die "still signed by the old ZSK"
ZTAGS=$(dnskey_tags "$D/after.zone" 256)
[ "$ZTAGS" = "$TAG2" ] || die "DNSKEY 256 set is '$ZTAGS', expected only $TAG2"

# The old key goes from the token too.
K delete "$ZSK1" >&2 || die "keymgr delete $ZSK1 failed"
PRIV_AFTER=$(objects)
log "private keys in the token: $PRIV_BEFORE before the roll, $PRIV_AFTER after it"
[ "$PRIV_AFTER" -eq "$PRIV_BEFORE" ] || die "ZSK1 was not deleted from the token"
K delete "$ZSK2" >/dev/null 2>&1 || true
K delete "$KSK" >/dev/null 2>&1 || true
echo "RESULT signer=knot rollover alg=$ALG old_zsk_tag=$TAG1 new_zsk_tag=$TAG2 verify=pass"
