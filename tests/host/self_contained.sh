#!/bin/bash
# The repository tests itself with nothing beside it (issue 7, point 5):
# nothing reads files from ../shared, the protocol vectors and spec are in
# the tree, and every repository path the docs cite exists. Run after the
# build (cited build products such as emulator/cryptech-emu must exist).
# TAP on stdout.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
# shellcheck source=tap.sh
. tests/host/tap.sh

echo "TAP version 13"
echo "1..5"

# 1. No source, script, makefile or doc names a path beside the clone.
pat='\.\./(\.\./)?shar''ed/|/work/shar''ed'
hits=$(grep -rIlE "$pat" . --exclude-dir=.git --exclude-dir=build \
	--exclude-dir=obj --exclude-dir=bin 2>/dev/null || true)
result "$([ -z "$hits" ] && echo 1)" "no file refers to ../shared" $hits

# 2. The vectors are in the tree, every one the emulator replays.
missing=""
for v in $(sed -n '/^static const char \*const order\[\]/,/};/p' \
		emulator/tests/test_vectors.c | grep -oE '"[a-z0-9_]+"' | tr -d '"'); do
	[ -f "tests/vectors/$v.txt" ] || missing="$missing $v"
done
count=$(ls tests/vectors/*.txt 2>/dev/null | wc -l)
result "$([ -z "$missing" ] && [ "$count" -ge 28 ] && echo 1)" \
	"tests/vectors holds the protocol vectors ($count files)" \
	"missing:$missing"

# 3. The protocol authority is in the tree.
result "$([ -s Documentation/protocol/cryptech-rpc.md ] && echo 1)" \
	"Documentation/protocol/cryptech-rpc.md is in the tree"

# 4. Every repository path the README and the docs cite exists.
bad=""
for t in $(grep -ohE '`{1,2}[A-Za-z0-9_./-]+`{1,2}' README.md \
		$(find Documentation -name '*.rst' -o -name '*.md' | grep -v protocol/) |
		tr -d '`' | sort -u); do
	case "$t" in
	Documentation/*|driver/*|uapi/*|libhsm/*|hsmctl/*|emulator/*|tests/*|scripts/*|.ci/*) ;;
	*) continue ;;
	esac
	# Placeholders (KVER, UUID, N) are not paths.
	case "$t" in *[A-Z][A-Z][A-Z]*-*|*VERSION*|*/N|*KVER*) continue ;; esac
	[ -e "$t" ] || bad="$bad $t"
done
result "$([ -z "$bad" ] && echo 1)" "every repository path the docs cite exists" \
	"missing:$bad"

# 5. The compiled tests do not carry a path outside the tree.
bins="tests/host/codec_test emulator/build/tests/test_vectors"
leak=""
for b in $bins; do
	if [ ! -x "$b" ]; then
		leak="$leak $b(not built: run make first)"
	elif strings "$b" | grep -qE "$pat"; then
		leak="$leak $b"
	fi
done
result "$([ -z "$leak" ] && echo 1)" "the vector tests read tests/vectors" \
	"bad:$leak"

[ "$fails" -eq 0 ]
