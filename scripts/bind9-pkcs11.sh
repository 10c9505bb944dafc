#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# BIND 9.18 with its OpenSSL ENGINE code compiled in, for `make check-bind`
# (Documentation/admin-guide/dnssec.rst, "BIND 9.18"). Built once from
# Debian 12's bind9 source package and cached outside the clone:
#
#   $CRYPTECH_BIND_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/cryptech-hsm/bind9-pkcs11)/<key>/
#
# Why a rebuild: Debian builds bind9 against OpenSSL 3 at its default API
# level, and BIND 9.18 leaves out all its ENGINE code at that level, so the
# packaged dnssec-keyfromlabel cannot reach any PKCS#11 token (it says "no
# engine"). BIND 9.18 has no OpenSSL provider support instead, and Debian 12
# has no pkcs11-provider. Building the same source with
# -DOPENSSL_API_COMPAT=10100 brings the ENGINE path back; libp11's "pkcs11"
# engine then loads our module.
#
# The source comes through a private apt list of deb-src entries kept in the
# cache (no root, nothing changed in /etc/apt): this needs the network once.
# <key> hashes a format number, the OpenSSL and compiler versions; a finished
# build has a "complete" stamp written last by an atomic rename, and callers
# serialise on a lock file, as scripts/debug-kernel.sh does.
#
# usage: scripts/bind9-pkcs11.sh [--print-dir]
#   (no option)   build if needed; print where it is
#   --print-dir   print the install prefix (holding bin/) if built, else fail
set -euo pipefail

{

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${CRYPTECH_BIND_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cryptech-hsm/bind9-pkcs11}
jobs=${BIND_JOBS:-$(nproc)}
mirror=${BIND_DEBIAN_MIRROR:-http://deb.debian.org/debian}

die() {
	echo "bind9-pkcs11: $*" >&2
	exit 1
}

key() {
	{
		# bump when the build steps below change what they produce
		echo "format 1"
		openssl version
		${CC:-gcc} --version | head -1
	} | sha256sum | cut -c1-16
}

k=$(key)
dir=$cache/$k
prefix=$dir/bind

case "${1:-}" in
--print-dir)
	[ -e "$dir/complete" ] || die "not built (key $k): run 'make check-bind'"
	echo "$prefix"
	exit 0
	;;
"") ;;
*)
	die "usage: $0 [--print-dir]"
	;;
esac

if [ -e "$dir/complete" ]; then
	echo "bind9-pkcs11: cached: $prefix ($(cat "$dir/complete"))"
	exit 0
fi

# BIND's build needs these beyond what "make deps" installs
"$top/scripts/need-packages.sh" bind9-pkcs11 autoconf automake libtool \
	libuv1-dev zlib1g-dev

mkdir -p "$cache"
exec 9>"$cache/.lock-$k"
if ! flock -n 9; then
	echo "bind9-pkcs11: another build of $k is running; waiting for it"
	flock 9
fi
if [ -e "$dir/complete" ]; then
	echo "bind9-pkcs11: cached: $prefix ($(cat "$dir/complete"))"
	exit 0
fi

start=$(date +%s)
rm -rf "$dir"
mkdir -p "$dir/apt/lists/partial" "$dir/apt/archives/partial" "$dir/src"
log=$dir/build.log
: >"$log"

# ------------------------------------------------------------- the source
# Debian's bind9 source package for the installed release (bookworm and its
# security updates), through apt with a list of our own.
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
cat >"$dir/apt/sources.list" <<EOF
deb-src $mirror $codename main
deb-src $mirror-security $codename-security main
deb-src $mirror $codename-updates main
EOF
apt_opts=(-o "Dir::Etc::SourceList=$dir/apt/sources.list"
	-o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$dir/apt/lists"
	-o "Dir::Cache=$dir/apt"
	-o Debug::NoLocking=1 -o APT::Sandbox::User=root)
echo "bind9-pkcs11: fetching Debian's bind9 source list ($mirror, $codename)"
apt-get "${apt_opts[@]}" update >>"$log" 2>&1 ||
	{ tail -n 20 "$log" >&2; die "apt-get update of the deb-src list failed (network?)"; }
versions=$(apt-cache "${apt_opts[@]}" showsrc bind9 2>/dev/null |
	sed -n 's/^Version: //p' | sort -Vru)
[ -n "$versions" ] || die "no bind9 source package in $mirror for $codename"
# the newest that downloads: a mirror may list a version it no longer has
version=
for v in $versions; do
	case "$v" in
	*:9.18.*) ;;
	*) continue ;;
	esac
	echo "bind9-pkcs11: downloading bind9 $v"
	if (cd "$dir/src" && apt-get "${apt_opts[@]}" source --download-only "bind9=$v") >>"$log" 2>&1; then
		version=$v
		break
	fi
	rm -f "$dir"/src/bind9_*
done
[ -n "$version" ] || { tail -n 20 "$log" >&2; die "could not download any BIND 9.18 source of: $versions"; }
dsc=$(ls "$dir"/src/bind9_*.dsc)
# signatures are checked against the Debian keyring when it is there
dpkg-source -x "$dsc" "$dir/src/bind9" >>"$log" 2>&1 ||
	{ tail -n 20 "$log" >&2; die "dpkg-source -x $dsc failed"; }

# ------------------------------------------------------------- the build
cd "$dir/src/bind9"
echo "bind9-pkcs11: configuring (Debian's patches applied, so autoreconf first)"
autoreconf -fi >>"$log" 2>&1 || { tail -n 30 "$log" >&2; die "autoreconf failed"; }
# Only what dnssec-keyfromlabel, dnssec-signzone and dnssec-verify need.
./configure --prefix="$prefix" --with-openssl=/usr \
	--disable-doh --without-lmdb --without-json-c --without-libxml2 \
	--disable-geoip --without-gssapi --without-libidn2 --disable-dnstap \
	--disable-linux-caps --without-cmocka --without-jemalloc \
	CFLAGS="-O2 -g -DOPENSSL_API_COMPAT=10100" >>"$log" 2>&1 ||
	{ tail -n 30 "$log" >&2; die "configure failed (log: $log)"; }
echo "bind9-pkcs11: building with $jobs jobs under nice -n 10 (a few minutes)"
nice -n 10 make -j"$jobs" >>"$log" 2>&1 || { tail -n 40 "$log" >&2; die "make failed (log: $log)"; }
make install >>"$log" 2>&1 || { tail -n 40 "$log" >&2; die "make install failed (log: $log)"; }

# the point of the rebuild: libdns must call OpenSSL's ENGINE API
lib=$(ls "$prefix"/lib/libdns-9.18*.so 2>/dev/null | head -n 1)
[ -n "$lib" ] || die "no libdns under $prefix/lib"
# (not "nm | grep -q": grep's early exit would fail nm under pipefail)
engine=$(nm -D "$lib" | grep -c ' U ENGINE_load_private_key@' || true)
[ "$engine" -gt 0 ] ||
	die "$lib does not use ENGINE_load_private_key: the API level did not take"
rm -rf "$dir/src" "$dir/apt"
end=$(date +%s)
summary="bind9 $version, built in $((end - start)) s with $jobs jobs, $(date -u +%FT%TZ)"
echo "$summary" >"$dir/complete.tmp"
mv "$dir/complete.tmp" "$dir/complete"
echo "bind9-pkcs11: built: $prefix"
echo "bind9-pkcs11: $summary"
exit
}
