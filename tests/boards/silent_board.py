#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A stub board that accepts a connection and reads forever, never answering
(a hung board, for timeout tests).

    silent_board.py --socket PATH [--verbose]
"""

import sys

import stubboard as sb


def main():
    args = sb.arg_parser(__doc__).parse_args()
    return sb.serve(args.socket, None, args.verbose, "silent_board")


if __name__ == "__main__":
    sys.exit(main())
