#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A stub board that answers GET_VERSION normally and misbehaves on every
GET_RANDOM: junk before the correct reply, or no reply at all.

    faulty_board.py --socket PATH --mode MODE [--verbose]

MODE:
  oversize      first a frame whose decoded payload is 20000 bytes (more than
                the protocol's 16384-byte maximum; it carries the request's
                opcode and client handle, status 0 and an opaque<> of 19984
                bytes), then the correct reply
  garbage       first junk: a 3-byte frame, an 11-byte frame (both shorter
                than a reply header), a well-formed reply for an unknown client
                handle, 40 random bytes with an END among them (so two frames
                of random bytes, which may hold invalid escapes), closed by
                END, then the correct reply
  wrong-handle  first the reply with client handle XOR 1, then the correct
                reply
  stall         no reply at all (a board that stopped answering after the
                attach handshake)
  truncated     the reply only: status 0 and an opaque<> length word for
                the bytes asked, followed by fewer bytes (a frame cut short)
Other opcodes are answered as by minimal_board.py.
"""

import os
import struct
import sys

import stubboard as sb

MODES = ("oversize", "garbage", "wrong-handle", "stall", "truncated")


def junk_frames(frame):
    opcode, client = sb.header(frame)
    out = [sb.slip_encode(os.urandom(3)), sb.slip_encode(os.urandom(11))]
    stranger = client ^ 0x5A5A0001
    out.append(sb.slip_encode(sb.reply(opcode, stranger, sb.HAL_OK,
                                       sb.opaque(os.urandom(16)))))
    while True:
        noise = bytearray(os.urandom(40))
        noise[5] = sb.END       # make sure there is a delimiter inside
        # no ESC right before an END: its escape would carry over into the
        # next frame (cryptech-rpc.md 2.2) and could spoil the good reply
        for i in (4, 39):
            if noise[i] == sb.ESC:
                noise[i] = 0
        if noise[:8] != frame[:8]:
            break
    out.append(bytes(noise) + bytes([sb.END]))
    return out


def make_handler(mode):
    def handle(frame):
        if len(frame) < 8:
            return []
        opcode, client = sb.header(frame)
        good = sb.slip_encode(sb.standard_reply(frame))
        if opcode != sb.OP_GET_RANDOM:
            return [good]
        if mode == "oversize":
            body = sb.u32(opcode) + sb.u32(client) + sb.u32(sb.HAL_OK)
            body += sb.opaque(os.urandom(20000 - len(body) - 4))
            assert len(body) == 20000
            return [sb.slip_encode(body), good]
        if mode == "garbage":
            return junk_frames(frame) + [good]
        if mode == "stall":
            return []
        if mode == "truncated":
            whole = sb.standard_reply(frame)
            return [sb.slip_encode(whole[:len(whole) // 2])]
        # wrong-handle
        bad = bytearray(sb.standard_reply(frame))
        bad[4:8] = struct.pack(">I", client ^ 1)
        return [sb.slip_encode(bytes(bad)), good]
    return handle


def main():
    p = sb.arg_parser(__doc__)
    p.add_argument("--mode", required=True, choices=MODES)
    args = p.parse_args()
    return sb.serve(args.socket, make_handler(args.mode), args.verbose,
                    f"faulty_board[{args.mode}]")


if __name__ == "__main__":
    sys.exit(main())
