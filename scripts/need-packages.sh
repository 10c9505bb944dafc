#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# usage: scripts/need-packages.sh WHO PACKAGE...
#
# Installs the Debian packages of the list that are missing: with apt-get as
# root, otherwise it prints the exact command to run and fails, so that
# nothing half-works later. WHO prefixes its messages. Used by make deps
# (scripts/deps.sh) and by the builds that need more (the checker kernel,
# BIND).
set -eu

who=$1
shift
missing=""
for p in "$@"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "$who: missing Debian packages:$missing" >&2
	echo "$who: run: sudo apt-get install -y$missing" >&2
	exit 1
fi

echo "$who: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
