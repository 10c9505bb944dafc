#!/bin/bash
# `make demo`: boot a VM with the emulator as the board and show the main job:
# attach the board, list it, read its firmware protocol version, get random
# bytes from it, detach.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
exec tests/vm/run --boards 1 --timeout 300 -- sh -c '
set -e
say() { printf "\n\$ %s\n" "$*"; "$@"; }
say hsmctl/hsmctl attach /dev/ttyUSB0
say hsmctl/hsmctl list
say hsmctl/hsmctl info
say hsmctl/hsmctl random 32
say hsmctl/hsmctl --json list
say hsmctl/hsmctl detach
'
