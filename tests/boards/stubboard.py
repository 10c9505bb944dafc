# SPDX-License-Identifier: GPL-2.0
"""Shared code of the stub boards: SLIP framing, XDR helpers and a Unix-socket
server that talks to one peer at a time, like a serial line.

The stub boards are test doubles for the VM runner (tests/vm/run) and for fault
tests; the faithful board is emulator/cryptech-emu. Standard library only.
See cryptech-rpc.md section 2.2 (SLIP), section 4 (message layout).
"""

import argparse
import os
import signal
import socket
import stat
import struct
import sys

END = 0xC0
ESC = 0xDB
ESC_END = 0xDC
ESC_ESC = 0xDD

MAX_PKT = 16384         # HAL_RPC_MAX_PKT_SIZE, decoded payload, each direction
MAX_OPAQUE = 16368      # largest single opaque<> result

OP_GET_VERSION = 0
OP_GET_RANDOM = 1
RPC_VERSION = 0x01010100

HAL_OK = 0
HAL_ERROR_RPC_PACKET_OVERFLOW = 29
HAL_ERROR_XDR_BUFFER_OVERFLOW = 27
HAL_ERROR_RPC_BAD_FUNCTION = 30


def slip_encode(payload):
    """One frame: END, escaped payload, END."""
    out = bytearray([END])
    for b in payload:
        if b == END:
            out += bytes([ESC, ESC_END])
        elif b == ESC:
            out += bytes([ESC, ESC_ESC])
        else:
            out.append(b)
    out.append(END)
    return bytes(out)


class SlipDecoder:
    """Incremental decoder with the firmware's rules: empty frames are
    discarded, ESC + other byte yields that byte, input beyond MAX_PKT decoded
    bytes is dropped (the frame is still completed, truncated)."""

    def __init__(self, limit=MAX_PKT):
        self.buf = bytearray()
        self.esc = False
        self.limit = limit

    def feed(self, data):
        frames = []
        for b in data:
            if b == END:
                if self.buf:
                    frames.append(bytes(self.buf))
                    self.buf.clear()
                continue
            if self.esc:
                self.esc = False
                if b == ESC_END:
                    b = END
                elif b == ESC_ESC:
                    b = ESC
            elif b == ESC:
                self.esc = True
                continue
            if len(self.buf) < self.limit:
                self.buf.append(b)
        return frames


def u32(v):
    return struct.pack(">I", v & 0xFFFFFFFF)


def opaque(data):
    pad = (4 - len(data) % 4) % 4
    return u32(len(data)) + data + b"\0" * pad


def reply(opcode, client, status, results=b""):
    """Reply payload: opcode, client handle, status, results (only if OK)."""
    if status != HAL_OK:
        results = b""
    return u32(opcode) + u32(client) + u32(status) + results


def header(frame):
    """(opcode, client) of a request of at least 8 bytes."""
    return struct.unpack(">II", frame[:8])


def random_bytes(n):
    """GET_RANDOM data: never all zeros (the board would report
    CSPRNG_BROKEN; a stub has no reason to)."""
    while True:
        data = os.urandom(n)
        if any(data):
            return data


def standard_reply(frame):
    """The correct reply to a request of at least 8 bytes, as the minimal
    board gives it: GET_VERSION, GET_RANDOM, else RPC_BAD_FUNCTION."""
    opcode, client = header(frame)
    if opcode == OP_GET_VERSION:
        return reply(opcode, client, HAL_OK, u32(RPC_VERSION))
    if opcode == OP_GET_RANDOM:
        if len(frame) < 12:
            return reply(opcode, client, HAL_ERROR_XDR_BUFFER_OVERFLOW)
        (length,) = struct.unpack(">I", frame[8:12])
        if length == 0 or length > MAX_OPAQUE:
            return reply(opcode, client, HAL_ERROR_RPC_PACKET_OVERFLOW)
        return reply(opcode, client, HAL_OK, opaque(random_bytes(length)))
    return reply(opcode, client, HAL_ERROR_RPC_BAD_FUNCTION)


class Stop(Exception):
    pass


def _on_signal(signum, frame):
    raise Stop()


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def serve(path, handle_frame=None, verbose=False, name="board"):
    """Listen on the Unix socket PATH; one peer at a time; decode SLIP frames
    and call handle_frame(frame) -> iterable of raw byte strings to send
    (already framed). handle_frame None: read and discard forever.
    Back to accept() when the peer disconnects; exit 0 on SIGTERM/SIGINT."""
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    try:
        if stat.S_ISSOCK(os.lstat(path).st_mode):
            os.unlink(path)        # a stale socket of ours; never a file
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn = None
    try:
        srv.bind(path)
        srv.listen(4)
        if verbose:
            log(f"{name}: listening on {path}")
        while True:
            conn, _ = srv.accept()
            if verbose:
                log(f"{name}: peer connected")
            dec = SlipDecoder()
            while True:
                try:
                    data = conn.recv(65536)
                except ConnectionResetError:
                    data = b""
                if not data:
                    break
                if handle_frame is None:
                    continue
                for frame in dec.feed(data):
                    if verbose:
                        log(f"{name}: request {frame[:16].hex()}"
                            f"{'...' if len(frame) > 16 else ''}"
                            f" ({len(frame)} bytes)")
                    for chunk in handle_frame(frame):
                        try:
                            conn.sendall(chunk)
                        except (BrokenPipeError, ConnectionResetError):
                            break
            conn.close()
            conn = None
            if verbose:
                log(f"{name}: peer disconnected")
    except Stop:
        pass
    finally:
        if conn is not None:
            conn.close()
        srv.close()
        try:
            os.unlink(path)
        except OSError:
            pass
    return 0


def arg_parser(description):
    p = argparse.ArgumentParser(
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--socket", required=True,
                   help="Unix socket path to listen on")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="log connections and requests to stderr")
    return p
