#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A hostile board (issue 9 point 3b): the real emulator behind a relay that
attacks the driver's receive path while sessions work.

    hostile_board.py --socket PATH --control PATH [--seed N] [--state DIR]
                     [--emu PATH] [--rate N]

It starts emulator/cryptech-emu on a private socket and relays the driver's
requests to it unchanged (every request reaches the board, so clean-up
requests always land). On the way back, while hostile mode is on, each reply
may be passed, duplicated, mutated (bit flips, cut short, lengthened,
another opcode or status), sent for another client handle in flight, held
back for a while (a stall; later replies overtake it), or replaced by a
mutated copy; and a flood thread sends random frames, mutated copies of
recent replies and stale replies for recent client handles, in bursts with
stalls in between, --rate frames a second on average.

Control socket (one command per line, one answer line):
  stats              the emulator's stats JSON (forwarded)
  hostile            this relay's counters: {"seed":..,"hostile_frames":..,...};
                     "bytes_out" is every byte written towards the driver,
                     "pending" the writes in progress and held-back replies
                     not yet written: calm, with "pending" 0, the line is
                     drained once the driver's bytes_in has grown by as
                     much as "bytes_out" (noise queued in the socket
                     buffers reaches the driver long after "set hostile 0")
  set hostile 0|1    start or stop the attack (it starts off: a flood while
                     the guest boots, before the driver attaches, would
                     only queue noise ahead of the test's set-up)
  set rate N         flood frames per second
  anything else      forwarded to the emulator's control socket

The seed (--seed, default random) is in the "hostile" answer and printed at
start: --seed N replays the relay's choices (the timing of the driver's
requests, and so the interleaving, does not replay exactly).
Standard library only.
"""

import argparse
import json
import os
import random
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.realpath(__file__))
TREE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import stubboard as sb  # noqa: E402


def log(msg):
    print(f"hostile: {msg}", file=sys.stderr, flush=True)


class Relay:
    def __init__(self, args):
        self.args = args
        self.seed = args.seed if args.seed is not None else \
            random.SystemRandom().randrange(1 << 63)
        self.rng = random.Random(self.seed)
        self.rng_lock = threading.Lock()
        self.hostile = False            # until "set hostile 1"
        self.rate = args.rate
        self.peer = None                # the driver's side (the runner link)
        self.peer_lock = threading.Lock()
        self.emu = None                 # socket to the emulator
        self.recent_replies = []        # last replies, for mutated copies
        self.recent_clients = []        # client handles seen in requests
        self.counts = {"requests": 0, "replies": 0, "passed": 0,
                       "hostile_frames": 0, "duplicated": 0, "mutated": 0,
                       "wrong_client": 0, "stalled": 0, "replaced": 0,
                       "flood_random": 0, "flood_mutated": 0,
                       "flood_stale": 0, "stall_pauses": 0, "bytes_out": 0}
        self.pending = 0                # under count_lock: see "hostile"
        self.count_lock = threading.Lock()
        self.stop = threading.Event()

    # -- helpers ---------------------------------------------------------
    def r(self):
        with self.rng_lock:
            return self.rng.random()

    def randint(self, a, b):
        with self.rng_lock:
            return self.rng.randint(a, b)

    def randbytes(self, n):
        with self.rng_lock:
            return bytes(self.rng.getrandbits(8) for _ in range(n))

    def count(self, key, n=1, hostile=True):
        with self.count_lock:
            self.counts[key] += n
            if hostile:
                self.counts["hostile_frames"] += n

    def send(self, data):
        with self.count_lock:
            self.pending += 1
        try:
            with self.peer_lock:
                if self.peer is None:
                    return
                try:
                    self.peer.sendall(data)
                except OSError:
                    return
                self.count("bytes_out", len(data), hostile=False)
        finally:
            with self.count_lock:
                self.pending -= 1

    def send_held(self, data):
        """A held-back reply's timer: it was pending since it was held."""
        try:
            self.send(data)
        finally:
            with self.count_lock:
                self.pending -= 1

    def mutate(self, frame):
        f = bytearray(frame)
        kind = self.randint(0, 6)
        if kind == 0 and f:                     # bit flips
            for _ in range(self.randint(1, 4)):
                f[self.randint(0, len(f) - 1)] ^= 1 << self.randint(0, 7)
        elif kind == 1 and len(f) > 1:          # cut short
            f = f[:self.randint(0, len(f) - 1)]
        elif kind == 2:                         # lengthened
            f += self.randbytes(self.randint(1, 64))
        elif kind == 3 and len(f) >= 4:         # another opcode
            f[0:4] = struct.pack(">I", self.randint(0, 80))
        elif kind == 4 and len(f) >= 12:        # another status
            f[8:12] = struct.pack(">I", self.randint(0, 60))
        elif kind == 5 and len(f) >= 16:        # a length word gone wild
            off = 12 + 4 * self.randint(0, (len(f) - 16) // 4)
            wild = [0, 1, 0x7fffffff, 0xffffffff, len(f), len(f) + 4,
                    16368, 16369, 65536]
            f[off:off + 4] = struct.pack(">I", wild[self.randint(0, 8)])
        else:                                   # random bytes in place
            for _ in range(self.randint(1, 8)):
                if f:
                    f[self.randint(0, len(f) - 1)] = self.randint(0, 255)
        return bytes(f)

    # -- the two directions ------------------------------------------------
    def on_request(self, frame):
        with self.count_lock:
            self.counts["requests"] += 1
        if len(frame) >= 8:
            client = struct.unpack(">I", frame[4:8])[0]
            with self.rng_lock:
                self.recent_clients = (self.recent_clients + [client])[-32:]

    def on_reply(self, frame):
        # pending from the decision on: once "set hostile 0" has returned,
        # "pending" 0 means no attack is on its way
        with self.count_lock:
            self.counts["replies"] += 1
            hostile = self.hostile
            self.pending += 1
        try:
            self.relay_reply(frame, hostile)
        finally:
            with self.count_lock:
                self.pending -= 1

    def relay_reply(self, frame, hostile):
        with self.rng_lock:
            self.recent_replies = (self.recent_replies + [frame])[-32:]
        if not hostile:
            self.count("passed", hostile=False)
            self.send(sb.slip_encode(frame))
            return
        x = self.r()
        if x < 0.55:
            self.count("passed", hostile=False)
            self.send(sb.slip_encode(frame))
        elif x < 0.65:
            self.count("duplicated")
            self.send(sb.slip_encode(frame) * 2)
        elif x < 0.77:
            self.count("mutated")
            self.send(sb.slip_encode(self.mutate(frame)) +
                      sb.slip_encode(frame))
        elif x < 0.85 and len(frame) >= 8:
            with self.rng_lock:
                other = self.rng.choice(self.recent_clients or [0])
            bad = frame[:4] + struct.pack(">I", other) + frame[8:]
            self.count("wrong_client")
            self.send(sb.slip_encode(bad) + sb.slip_encode(frame))
        elif x < 0.93:
            # held back: later replies overtake it
            delay = self.r() * 1.5
            self.count("stalled")
            with self.count_lock:
                self.pending += 1
            t = threading.Timer(delay, self.send_held, [sb.slip_encode(frame)])
            t.daemon = True
            t.start()
        else:
            # the real reply is lost, a mutated one comes instead: the
            # request times out or fails
            self.count("replaced")
            self.send(sb.slip_encode(self.mutate(frame)))

    def flood(self):
        while not self.stop.is_set():
            with self.count_lock:       # as in on_reply
                go = self.hostile and self.peer is not None and self.rate > 0
                if go:
                    self.pending += 1
            if not go:
                self.stop.wait(0.05)
                continue
            try:
                burst = self.flood_burst()
            finally:
                with self.count_lock:
                    self.pending -= 1
            # a stall between bursts: the line goes quiet
            pause = burst / self.rate
            if self.r() < 0.05:
                pause += self.r() * 2
                self.count("stall_pauses", hostile=False)
            self.stop.wait(pause)

    def flood_burst(self):
        """Send one burst of noise; return its length in frames."""
        burst = self.randint(1, 200)
        out = bytearray()
        for _ in range(burst):
            x = self.r()
            with self.rng_lock:
                recent = list(self.recent_replies)
                clients = list(self.recent_clients)
            if x < 0.4 or not recent:
                body = self.randbytes(self.randint(1, 96))
                self.count("flood_random")
            elif x < 0.75:
                body = self.mutate(recent[self.randint(0, len(recent) - 1)])
                self.count("flood_mutated")
            else:
                base = recent[self.randint(0, len(recent) - 1)]
                c = clients[self.randint(0, len(clients) - 1)] if clients else 0
                body = base[:4] + struct.pack(">I", c) + base[8:]
                self.count("flood_stale")
            # raw random bytes may hold END/ESC: unframed noise too
            out += sb.slip_encode(body) if self.r() < 0.9 else body
        self.send(bytes(out))
        return burst

    def pump_requests(self, peer):
        dec = sb.SlipDecoder()
        while not self.stop.is_set():
            try:
                data = peer.recv(65536)
            except OSError:
                data = b""
            if not data:
                return
            for frame in dec.feed(data):
                self.on_request(frame)
            try:
                self.emu.sendall(data)
            except OSError:
                return

    def pump_replies(self):
        dec = sb.SlipDecoder(limit=1 << 20)
        while not self.stop.is_set():
            try:
                data = self.emu.recv(65536)
            except OSError:
                data = b""
            if not data:
                log("the emulator closed its connection")
                self.stop.set()
                return
            for frame in dec.feed(data):
                self.on_reply(frame)

    # -- control -------------------------------------------------------------
    def emu_control(self, line):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.settimeout(30)
            s.connect(self.emu_ctl)
            s.sendall(line.encode() + b"\n")
            buf = b""
            while b"\n" not in buf:
                d = s.recv(65536)
                if not d:
                    break
                buf += d
            return buf.split(b"\n", 1)[0].decode("utf-8", "replace")
        except OSError as e:
            return f"error emulator control: {e}"
        finally:
            s.close()

    def control_command(self, line):
        words = line.split()
        if words == ["hostile"]:
            with self.count_lock:
                c = dict(self.counts)
                c["pending"] = self.pending
            c.update(seed=self.seed, hostile=int(self.hostile), rate=self.rate)
            return "ok " + json.dumps(c, separators=(",", ":"))
        if len(words) == 3 and words[:2] == ["set", "hostile"]:
            with self.count_lock:       # see on_reply
                self.hostile = words[2] == "1"
            return "ok"
        if len(words) == 3 and words[:2] == ["set", "rate"]:
            self.rate = int(words[2])
            return "ok"
        return self.emu_control(line)

    def serve_control(self, srv):
        while not self.stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            with conn:
                buf = b""
                try:
                    conn.settimeout(30)
                    while True:
                        while b"\n" not in buf:
                            d = conn.recv(4096)
                            if not d:
                                raise EOFError
                            buf += d
                        line, buf = buf.split(b"\n", 1)
                        ans = self.control_command(line.decode().strip())
                        conn.sendall(ans.encode() + b"\n")
                except (EOFError, OSError):
                    pass

    # -- main ------------------------------------------------------------------
    def run(self):
        a = self.args
        tmp = tempfile.mkdtemp(prefix="hostile-")
        emu_sock = os.path.join(tmp, "emu.sock")
        self.emu_ctl = os.path.join(tmp, "emu-ctl.sock")
        state = a.state or os.path.join(tmp, "state")
        os.makedirs(state, exist_ok=True)
        proc = subprocess.Popen([a.emu, "--state", state, "--unix", emu_sock,
                                 "--control", self.emu_ctl,
                                 "--bad-pin-delay", "300"])
        try:
            deadline = time.monotonic() + 20
            while True:
                self.emu = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    self.emu.connect(emu_sock)
                    break
                except OSError:
                    self.emu.close()
                    if time.monotonic() > deadline or proc.poll() is not None:
                        log("the emulator did not start")
                        return 1
                    time.sleep(0.05)
            for p in (a.socket, a.control):
                if p and os.path.exists(p):
                    os.unlink(p)
            srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            srv.bind(a.socket)
            srv.listen(4)
            if a.control:
                ctl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                ctl.bind(a.control)
                ctl.listen(4)
                threading.Thread(target=self.serve_control, args=(ctl,),
                                 daemon=True).start()
            threading.Thread(target=self.pump_replies, daemon=True).start()
            threading.Thread(target=self.flood, daemon=True).start()
            log(f"seed {self.seed}; relaying {a.socket} to the emulator")
            while not self.stop.is_set():
                r, _, _ = select.select([srv], [], [], 0.5)
                if not r:
                    continue
                peer, _ = srv.accept()
                with self.peer_lock:
                    self.peer = peer
                self.pump_requests(peer)
                with self.peer_lock:
                    self.peer = None
                peer.close()
            return 0
        finally:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--socket", required=True)
    p.add_argument("--control")
    p.add_argument("--seed", type=int)
    p.add_argument("--state")
    p.add_argument("--rate", type=int, default=4000)
    p.add_argument("--emu", default=os.path.join(TREE, "emulator",
                                                 "cryptech-emu"))
    args = p.parse_args()
    relay = Relay(args)
    signal.signal(signal.SIGTERM, lambda *_: relay.stop.set())
    signal.signal(signal.SIGINT, lambda *_: relay.stop.set())
    return relay.run()


if __name__ == "__main__":
    sys.exit(main())
