# Shared by the recipes whose signer reaches the token through libp11's
# OpenSSL ENGINE "pkcs11" and cannot create keys itself (sign-ldns.sh,
# sign-bind.sh): the engine's configuration, the key pairs made with OpenSC's
# pkcs11-tool and deleted afterwards, and their RFC 7512 URIs. Sourced after
# recipe-lib.sh, with ALG, RSA_BITS, ZONE, P11_TOKEN, P11_PIN and KEEP_KEYS
# set.
# shellcheck shell=sh

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
    cat >"$1" <<EOC
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
EOC
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

# the EXIT trap of one algorithm's subshell: its keys leave the token
engine_keys_cleanup() {
    arc=$?
    if [ "$KEEP_KEYS" != 1 ] && [ -n "$KEYIDS" ]; then
        spy_phase cleanup
        for k in $KEYIDS; do del_keypair "$k"; done
    fi
    exit $arc
}

# engine_keys: in the run directory D, the engine's configuration (exported
# as OPENSSL_CONF) and a PIN file; a KSK and a ZSK generated in the token,
# deleted when the calling subshell exits; sets KEYGEN_S and the URIs
# KSK_URI and ZSK_URI the engine accepts (the PIN read from the file).
engine_keys() {
    write_openssl_cnf "$D/openssl.cnf"
    OPENSSL_CONF=$D/openssl.cnf
    export OPENSSL_CONF
    (umask 077; printf '%s' "$P11_PIN" >"$D/pin")

    # Unique CKA_ID per key: libp11 looks keys up by id, and an id that is
    # shared by several keys makes it pick the wrong one.
    KSK_ID=$(rand_hex 8)
    ZSK_ID=$(rand_hex 8)
    KEYIDS=
    trap engine_keys_cleanup EXIT

    log "[$ALG] generating KSK ($KSK_ID) and ZSK ($ZSK_ID) in token '$P11_TOKEN' with pkcs11-tool"
    spy_phase keygen
    t0=$(now)
    KEYIDS=$KSK_ID
    gen_keypair "$KSK_ID" "$ZONE-ksk-$ALG-$KSK_ID"
    KEYIDS="$KSK_ID $ZSK_ID"
    gen_keypair "$ZSK_ID" "$ZONE-zsk-$ALG-$ZSK_ID"
    t1=$(now)
    KEYGEN_S=$(elapsed "$t0" "$t1")

    base="pkcs11:token=$(pct "$P11_TOKEN")"
    KSK_URI="$base;id=$(hex_pct "$KSK_ID");pin-source=file:$D/pin"
    ZSK_URI="$base;id=$(hex_pct "$ZSK_ID");pin-source=file:$D/pin"
}
