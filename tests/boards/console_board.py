#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A stub of a CrypTech board's console port (the "CTY"/"MGMT" USB serial
port, cryptech-rpc.md section 2.1): a text CLI at the "cryptech>" prompt, for
the auto-attach test, where it must be probed and left alone.

    console_board.py --socket PATH [--control PATH] [--verbose]

What it does with the bytes it reads, as a line-editing CLI would: printable
characters are echoed and typed into the line; Ctrl-U (0x15) erases the
line; CR ends it and answers with a new prompt ("\\r\\ncryptech> ", after
"unknown command" if the line was not empty); everything else is ignored.
So the probe of section 2.7.4 gets a prompt and never anything that looks
like a SLIP frame.

--control PATH: a Unix socket taking one command line per connection:
  stats   -> "ok received=HEX lines=N erases=N pending=HEX"
             (every byte received since start, in hex; lines ended with CR;
             Ctrl-U seen; the line typed but not ended)
  reset   -> "ok" (forget the above)
Standard library only; exits 0 on SIGTERM and removes its sockets.
"""

import argparse
import os
import selectors
import signal
import socket
import stat
import sys

PROMPT = b"\r\ncryptech> "
CTRL_U = 0x15
CR = 0x0D


class Console:
    def __init__(self):
        self.reset()

    def reset(self):
        self.received = bytearray()
        self.line = bytearray()
        self.lines = 0
        self.erases = 0

    def feed(self, data):
        """Bytes typed by the host; returns what the console prints."""
        out = bytearray()
        self.received += data
        for b in data:
            if b == CTRL_U:
                self.erases += 1
                self.line.clear()
            elif b == CR:
                self.lines += 1
                if self.line.strip():
                    out += b"\r\nunknown command: " + bytes(self.line)
                self.line.clear()
                out += PROMPT
            elif 0x20 <= b < 0x7F:
                self.line.append(b)
                out.append(b)
        return bytes(out)

    def stats(self):
        return (f"ok received={self.received.hex() or '-'} lines={self.lines} "
                f"erases={self.erases} pending={self.line.hex() or '-'}")


class Stop(Exception):
    pass


def on_signal(signum, frame):
    raise Stop()


def listen(path):
    try:
        if stat.S_ISSOCK(os.lstat(path).st_mode):
            os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(4)
    return s


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--socket", required=True)
    p.add_argument("--control")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)

    def log(msg):
        if args.verbose:
            print(f"console_board: {msg}", file=sys.stderr, flush=True)

    con = Console()
    sel = selectors.DefaultSelector()
    data = listen(args.socket)
    sel.register(data, selectors.EVENT_READ, "accept")
    ctl = None
    if args.control:
        ctl = listen(args.control)
        sel.register(ctl, selectors.EVENT_READ, "control")
    peer = None
    try:
        while True:
            for key, _ in sel.select():
                what = key.data
                if what == "accept":
                    conn, _ = data.accept()
                    if peer is not None:     # one peer at a time, the newest
                        sel.unregister(peer)
                        peer.close()
                    peer = conn
                    sel.register(peer, selectors.EVENT_READ, "peer")
                    log("peer connected")
                elif what == "peer":
                    chunk = peer.recv(4096)
                    if not chunk:
                        sel.unregister(peer)
                        peer.close()
                        peer = None
                        log("peer gone")
                        continue
                    log(f"got {chunk.hex()}")
                    out = con.feed(chunk)
                    if out:
                        peer.sendall(out)
                elif what == "control":
                    c, _ = ctl.accept()
                    c.settimeout(10)
                    line = b""
                    while not line.endswith(b"\n"):
                        part = c.recv(1024)
                        if not part:
                            break
                        line += part
                    cmd = line.decode("utf-8", "replace").split()
                    if cmd == ["stats"]:
                        answer = con.stats()
                    elif cmd == ["reset"]:
                        con.reset()
                        answer = "ok"
                    else:
                        answer = f"error unknown command {' '.join(cmd)!r}"
                    c.sendall(answer.encode() + b"\n")
                    c.close()
    except Stop:
        pass
    finally:
        for path in (args.socket, args.control):
            if path:
                try:
                    os.unlink(path)
                except OSError:
                    pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
