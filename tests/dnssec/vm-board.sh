# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Sourced by the guest scripts that drive the PKCS#11 module in the test VM
# (tests/dnssec/vm-pkcs11.sh, tests/bench/dnssec-bench.sh): board 0
# attached and its PINs brought up with hsmctl, and the token's label.
# The caller sets HSMCTL, MODULE, PIN (the user PIN) and WORK (a scratch
# directory); each function prints what the tools say and returns their
# status.

# vm_board_attach: hsmctl attaches /dev/ttyUSB0 (board 0).
vm_board_attach() {
	"$HSMCTL" attach /dev/ttyUSB0
}

# vm_board_pins [DEV]: from the emulator's factory wheel PIN, set the wheel,
# SO and user PINs (the user's is $PIN, also left in $WORK/user) of board
# DEV (hsmctl's -d; default: the only attached board).
vm_board_pins() {
	set -- ${1:+-d "$1"}
	printf '%s\n' YouReallyNeedToChangeThisPINRightNowWeAreNotKidding >"$WORK/last-gasp"
	printf '%s\n' wheel-pin-1234 >"$WORK/wheel"
	printf '%s' "$PIN" >"$WORK/user"
	"$HSMCTL" "$@" set-pin --user wheel --pin-file "$WORK/last-gasp" --new-pin-file "$WORK/wheel" &&
	HSMCTL_NEW_PIN=so-pin-5678 "$HSMCTL" "$@" set-pin --user so --pin-file "$WORK/wheel" &&
	"$HSMCTL" "$@" set-pin --user user --pin-file "$WORK/wheel" --new-pin-file "$WORK/user"
}

# vm_token_label: the board's token label, as the module reports it.
vm_token_label() {
	pkcs11-tool --module "$MODULE" -L 2>/dev/null |
		sed -n 's/^ *token label *: \(cryptech-[^ ]*\) *$/\1/p' | head -1
}
