#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A minimal stub board: GET_VERSION and GET_RANDOM; every other opcode gets
status 30 (RPC_BAD_FUNCTION); requests shorter than 8 bytes get no reply.

    minimal_board.py --socket PATH [--verbose]
"""

import sys

import stubboard as sb


def handle(frame):
    if len(frame) < 8:
        return []           # as the firmware: no reply at all
    return [sb.slip_encode(sb.standard_reply(frame))]


def main():
    args = sb.arg_parser(__doc__).parse_args()
    return sb.serve(args.socket, handle, args.verbose, "minimal_board")


if __name__ == "__main__":
    sys.exit(main())
