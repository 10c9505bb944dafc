# Shared by the signing recipes (sign-knot.sh, sign-ldns.sh, sign-bind.sh,
# sign-opendnssec.sh, rollover-knot.sh), which source it after setting ME,
# ZONE, NRECORDS, P11_MODULE, KEEP_WORKDIR and defining die() and log():
# timing, the loop over algorithms, the run directory and its clean-up, the
# optional pkcs11-spy wrapper, the test zone and the validators every
# signed zone must pass.
# shellcheck shell=sh
# MODULE, set here, is the module the recipes load:
# shellcheck disable=SC2034
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# run_algs: the recipe's run_alg for each algorithm of ALGS, each in a
# subshell of its own (set -e, its own EXIT trap); STATUS is 1 if any failed.
run_algs() {
    STATUS=0
    for ALG in $ALGS; do
        set +e
        (set -e; run_alg)
        rc=$?
        set -e
        [ $rc -eq 0 ] || { log "[$ALG] FAILED (rc=$rc)"; STATUS=1; }
    done
}

# ---------------------------------------------------------------- workdir
CREATED_WORKDIR=
if [ -z "${WORKDIR:-}" ]; then
    WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/dnssec-p11.XXXXXX")
    CREATED_WORKDIR=$WORKDIR
fi
mkdir -p "$WORKDIR"
WORKDIR=$(cd "$WORKDIR" && pwd)
RUN=$(mktemp -d "$WORKDIR/$ME.XXXXXX")

cleanup_all() {
    rc=$?
    if [ "$KEEP_WORKDIR" = 1 ]; then
        log "kept run directory $RUN"
    else
        rm -rf "$RUN"
        [ -n "$CREATED_WORKDIR" ] && rmdir "$CREATED_WORKDIR" 2>/dev/null || true
    fi
    exit $rc
}
trap cleanup_all EXIT
trap 'exit 130' INT TERM HUP

# ---------------------------------------------------------------- PKCS#11 spy
MODULE=$P11_MODULE
if [ -n "${P11_SPY_DIR:-}" ]; then
    SPY=${P11_SPY_MODULE:-}
    if [ -z "$SPY" ]; then
        for s in /usr/lib/*/pkcs11/pkcs11-spy.so /usr/lib/pkcs11/pkcs11-spy.so; do
            [ -r "$s" ] && { SPY=$s; break; }
        done
    fi
    [ -n "$SPY" ] && [ -r "$SPY" ] || die "pkcs11-spy.so not found (apt-get install opensc-pkcs11)"
    mkdir -p "$P11_SPY_DIR"
    P11_SPY_DIR=$(cd "$P11_SPY_DIR" && pwd)
    PKCS11SPY=$P11_MODULE
    export PKCS11SPY
    MODULE=$SPY
fi
# spy_phase NAME: following commands log into $P11_SPY_DIR/<signer>-<alg>-NAME.log
spy_phase() {
    if [ -n "${P11_SPY_DIR:-}" ]; then
        PKCS11SPY_OUTPUT=$P11_SPY_DIR/$SIGNER-$ALG-$1.log
        export PKCS11SPY_OUTPUT
    fi
}

# RFC 3986 percent-encoding of everything but unreserved characters, as
# needed for values inside a PKCS#11 URI (RFC 7512).
pct() {
    printf '%s' "$1" | od -An -v -tx1 | awk '
        BEGIN { u = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
                for (i = 32; i < 127; i++) { c = sprintf("%c", i)
                    if (index(u, c)) ok[sprintf("%02x", i)] = c } }
        { for (i = 1; i <= NF; i++) o = o (($i in ok) ? ok[$i] : "%" toupper($i)) }
        END { printf "%s", o }'
}

make_zone() {
    {
        printf '$ORIGIN %s.\n$TTL 3600\n' "$ZONE"
        printf '@ IN SOA ns1 hostmaster %s 3600 900 1209600 300\n' "$(date +%s)"
        printf '@ IN NS ns1\n@ IN NS ns2\n'
        printf '@ IN A 192.0.2.1\n@ IN AAAA 2001:db8::1\n'
        printf 'ns1 IN A 192.0.2.53\nns1 IN AAAA 2001:db8::53\nns2 IN A 198.51.100.53\n'
        printf '@ IN MX 10 mail\nmail IN A 192.0.2.25\nmail IN AAAA 2001:db8::25\n'
        printf '@ IN TXT "v=spf1 -all"\n'
        awk -v n="$NRECORDS" 'BEGIN { for (i = 1; i <= n; i++)
            printf "host%d IN A 10.%d.%d.%d\n", i, int(i / 65536) % 256, int(i / 256) % 256, i % 256 }'
    } >"$1"
}

# verify_zone FILE ALGNUM: independent validators; all installed ones must pass
verify_zone() {
    vf=$1; an=$2; ok=0
    ldns-verify-zone "$vf" >"$vf.ldns-verify.log" 2>&1 || { cat "$vf.ldns-verify.log" >&2; log "ldns-verify-zone FAILED"; ok=1; }
    if command -v dnssec-verify >/dev/null 2>&1; then
        dnssec-verify -q -o "$ZONE" "$vf" >"$vf.dnssec-verify.log" 2>&1 ||
            { cat "$vf.dnssec-verify.log" >&2; log "dnssec-verify FAILED"; ok=1; }
    fi
    kzonecheck -o "$ZONE" -d on "$vf" >"$vf.kzonecheck.log" 2>&1 ||
        { cat "$vf.kzonecheck.log" >&2; log "kzonecheck FAILED"; ok=1; }
    # exactly one KSK (257) and one ZSK (256) of the expected algorithm
    ldns-read-zone -E DNSKEY "$vf" 2>/dev/null | awk -v a="$an" '
        $5 == 257 && $7 == a { k++ } $5 == 256 && $7 == a { z++ }
        END { if (k != 1 || z != 1) { print "unexpected DNSKEY set: KSK=" k+0 " ZSK=" z+0 > "/dev/stderr"; exit 1 } }' || ok=1
    # every RRSIG made with the expected algorithm
    ldns-read-zone -E RRSIG "$vf" 2>/dev/null | awk -v a="$an" '$6 != a { bad++ }
        END { if (bad) { print bad " RRSIGs with another algorithm" > "/dev/stderr"; exit 1 } }' || ok=1
    return $ok
}

rrsig_count() { ldns-read-zone -E RRSIG "$1" 2>/dev/null | wc -l | tr -d ' '; }
