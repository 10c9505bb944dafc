#!/bin/bash
# hsmctl's bash completion (packaging/bash-completion/hsmctl, issue 11,
# point 8) against the built hsmctl: commands, subcommands and options
# come from its help; key names only when $HSMCTL_PIN is set (a fake
# hsmctl answers "key list" and records what it was asked). TAP on stdout.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
real=$top/hsmctl/hsmctl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fails=0

# A stand-in for hsmctl: logs its arguments, answers "key list" itself.
cat >"$tmp/hsmctl" <<FAKE
#!/bin/sh
echo "\$*" >>"$tmp/calls"
case "\$*" in
*"key list"*) echo '{"keys":[{"uuid":"6ba7b810-9dad-41d1-80b4-00c04fd430c8","label":"zsk-2026"}]}' ;;
*) exec "$real" "\$@" ;;
esac
FAKE
chmod +x "$tmp/hsmctl"

# shellcheck source=/dev/null
. "$top/packaging/bash-completion/hsmctl"

# complete WORD... : COMPREPLY for the command line WORDS, the last being
# the word under the cursor, one per line, sorted.
complete_line() {
	COMP_WORDS=("$tmp/hsmctl" "$@")
	COMP_CWORD=$(($# ))
	COMPREPLY=()
	_hsmctl
	printf '%s\n' "${COMPREPLY[@]}" | sort
}

# check DESC WANTED GOT: every line of WANTED is in GOT.
check() {
	local missing
	n=$((n + 1))
	missing=$(comm -23 <(printf '%s\n' "$2" | sort -u) <(printf '%s\n' "$3" | sort -u))
	if [ -z "$missing" ] && [ -n "$2" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		echo "#   missing: $(echo $missing)"
		echo "#   got: $(echo $3)"
		fails=$((fails + 1))
	fi
}

# refute DESC UNWANTED GOT: no line of UNWANTED is in GOT.
refute() {
	local extra
	n=$((n + 1))
	extra=$(comm -12 <(printf '%s\n' "$2" | sort -u) <(printf '%s\n' "$3" | sort -u))
	if [ -z "$extra" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		echo "#   unexpected: $(echo $extra)"
		fails=$((fails + 1))
	fi
}

echo "TAP version 13"
echo "1..10"

cmds=$("$real" help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\).*/\1/p')
check "every command of 'hsmctl help' completes" "$cmds" "$(complete_line '')"
check "help completes the commands" "$cmds" "$(complete_line help '')"
subs=$("$real" help key | sed -n 's/^  key \([a-z][a-z-]*\).*/\1/p')
check "every key subcommand completes" "$subs" "$(complete_line key '')"
check "key generate's options" "--token
--exportable
--label
--id
--json" "$(complete_line key generate --)"
refute "key generate does not offer other subcommands' options" "--zone
--sig" "$(complete_line key generate --)"
check "key sign's options" "--digest
--in
--hash
--format" "$(complete_line key sign --)"
check "--user offers the board's users" "user
so
wheel" "$(complete_line set-pin --user '')"
rm -f "$tmp/calls"
got=$(env -u HSMCTL_PIN bash -c '. "$1"; COMP_WORDS=("$2" key info ""); COMP_CWORD=3; _hsmctl; printf "%s\n" "${COMPREPLY[@]}"' _ \
	"$top/packaging/bash-completion/hsmctl" "$tmp/hsmctl")
n=$((n + 1))
if [ -z "$got" ] && ! grep -q "key list" "$tmp/calls" 2>/dev/null; then
	echo "ok $n - without HSMCTL_PIN no key is listed (no login, no prompt)"
else
	echo "not ok $n - without HSMCTL_PIN no key is listed (no login, no prompt)"
	echo "#   got: $got; calls: $(cat "$tmp/calls" 2>/dev/null)"
	fails=$((fails + 1))
fi
export HSMCTL_PIN=not-a-real-pin
check "with HSMCTL_PIN, key names complete" "label:zsk-2026
6ba7b810-9dad-41d1-80b4-00c04fd430c8" "$(complete_line key sign '')"
check "a file completes after --pin-file" "$tmp/hsmctl" "$(complete_line key list --pin-file "$tmp/hs")"
exit $((fails > 0))
