#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Guest side of tests/vm/selftest (runs inside the VM; stdlib only).

    selftest-guest.py version DEV       GET_VERSION round trip on DEV
    selftest-guest.py random DEV N      GET_RANDOM of N bytes on DEV
    selftest-guest.py gone DEV [SEC]    wait until DEV disappears
    selftest-guest.py present DEV [SEC] wait until DEV exists
    selftest-guest.py flood DEV STOP    GET_RANDOM(3000) on DEV over and over,
                                        riding out unplugs, until file STOP
                                        exists; prints how many succeeded

Prints one line per check; exit status 0 on success.
"""

import os
import select
import struct
import subprocess
import sys
import time

END, ESC = 0xC0, 0xDB


def slip(payload):
    out = bytearray([END])
    for b in payload:
        out += {END: b"\xdb\xdc", ESC: b"\xdb\xdd"}.get(b, bytes([b]))
    out.append(END)
    return bytes(out)


def unslip(frame):
    return frame.replace(b"\xdb\xdc", b"\xc0").replace(b"\xdb\xdd", b"\xdb")


def transact(dev, payload, timeout=10.0):
    subprocess.run(["stty", "-F", dev, "raw", "-echo", "921600"], check=True)
    fd = os.open(dev, os.O_RDWR | os.O_NOCTTY)
    try:
        os.write(fd, slip(payload))
        buf = b""
        deadline = time.monotonic() + timeout
        while True:
            frames = [f for f in buf.split(b"\xc0")[1:-1] if f]
            if frames:
                return unslip(frames[0])
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no reply on {dev} in {timeout} s")
            r, _, _ = select.select([fd], [], [], left)
            if r:
                data = os.read(fd, 4096)
                if not data:
                    # hung up (unplugged): close now, so the tty's number is
                    # free again when the adapter comes back
                    raise OSError(f"{dev} hung up")
                buf += data
    finally:
        os.close(fd)


def wait(dev, present, timeout):
    deadline = time.monotonic() + timeout
    while os.path.exists(dev) != present:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def main(argv):
    what, dev = argv[0], argv[1]
    client = 0x6559C0DB        # contains both SLIP specials
    if what == "version":
        rep = transact(dev, struct.pack(">II", 0, client))
        ok = rep == struct.pack(">IIII", 0, client, 0, 0x01010100)
        print(f"{dev} GET_VERSION reply {rep.hex()}: {'ok' if ok else 'BAD'}")
        return 0 if ok else 1
    if what == "random":
        n = int(argv[2])
        rep = transact(dev, struct.pack(">III", 1, client, n))
        ok = (rep[:16] == struct.pack(">IIII", 1, client, 0, n)
              and len(rep) == 16 + n + (4 - n % 4) % 4)
        print(f"{dev} GET_RANDOM({n}) reply of {len(rep)} bytes: "
              f"{'ok' if ok else 'BAD'}")
        return 0 if ok else 1
    if what == "flood":
        # Keeps the board sending while the test unplugs it: the window in
        # which QEMU 7.2's usb-serial crashes if bytes still reach it.
        stop, done, failed = argv[2], 0, 0
        while not os.path.exists(stop):
            try:
                rep = transact(dev, struct.pack(">III", 1, client, 3000), 2.0)
                done += rep[:4] == struct.pack(">I", 1)
            except (OSError, TimeoutError, subprocess.CalledProcessError):
                failed += 1
                wait(dev, True, 0.2)    # unplugged: until it is back
        print(f"{dev} flood: {done} replies, {failed} failed attempts")
        return 0 if done else 1
    if what in ("gone", "present"):
        ok = wait(dev, what == "present", float(argv[2]) if len(argv) > 2
                  else 20)
        print(f"{dev} {what}: {'ok' if ok else 'TIMEOUT'}")
        return 0 if ok else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
