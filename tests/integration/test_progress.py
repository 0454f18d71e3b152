#!/usr/bin/env python3
"""The progress line: with stderr on a pseudo-terminal, reading a file shows
"bytes of total (percent), packets, packets/s, ETA", redrawn in place at most
4 times a second and erased at the end; reading stdin shows bytes read
without a total or ETA; --quiet, or stderr on a pipe, shows nothing.
sipsleuth is slowed down by reading its events slowly (it blocks writing
them), so the run lasts a few seconds whatever the build.
usage: test_progress.py PATH-TO-SIPSLEUTH"""
import os
import pty
import re
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sipcount import report  # noqa: E402

PACKETS = 8000
READ_CHUNK = 65536
READ_PAUSE = 0.04  # about 1.6 MB/s of events: a run of 2-3 s
LINE = re.compile(rb"\rsipsleuth: ([^\r]*?)\x1b\[K")


def capture_file(path):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(PACKETS):
            sip = ("OPTIONS sip:b@p.example SIP/2.0\r\n"
                   "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-p%d\r\n"
                   "From: <sip:a@p.example>;tag=%d\r\nTo: <sip:b@p.example>\r\n"
                   "Call-ID: prog-%d@p.example\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
                   % (i, i, i)).encode()
            udp = struct.pack("!HHHH", 5060, 5060, 8 + len(sip), 0) + sip
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                             bytes((192, 0, 2, 10)), bytes((198, 51, 100, 7))) + udp
            eth = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip
            t = 1772359200 * 1000000 + i * 1000
            f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(eth), len(eth)) + eth)


def run(binary, args, tty, stdin_file=None):
    """Runs sipsleuth --events sip, reading its stdout slowly. Returns
    (exit status, stderr bytes, seconds, events)."""
    if tty:
        master, slave = pty.openpty()
        err_target = slave
    else:
        err_target = subprocess.PIPE
    proc = subprocess.Popen([binary, "--events", "sip"] + args,
                            stdin=subprocess.PIPE if stdin_file else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=err_target)
    err = bytearray()

    def drain_tty():
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO once the last writer closed the terminal
                return
            if not data:
                return
            err.extend(data)

    def drain_pipe():
        err.extend(proc.stderr.read())

    def feed():
        with open(stdin_file, "rb") as f:
            while True:
                chunk = f.read(32768)
                if not chunk:
                    break
                proc.stdin.write(chunk)
                proc.stdin.flush()
                time.sleep(0.02)
        proc.stdin.close()

    if tty:
        os.close(slave)
    threads = [threading.Thread(target=drain_tty if tty else drain_pipe)]
    if stdin_file:
        threads.append(threading.Thread(target=feed))
    for t in threads:
        t.start()
    started = time.monotonic()
    events = 0
    while True:
        chunk = proc.stdout.read1(READ_CHUNK)
        if not chunk:
            break
        events += chunk.count(b"\n")
        time.sleep(READ_PAUSE)
    rc = proc.wait()
    elapsed = time.monotonic() - started
    for t in threads:
        t.join()
    if tty:
        os.close(master)
    return rc, bytes(err), elapsed, events


def main():
    b = sys.argv[1]
    checks = []

    def check(name, cond, detail=""):
        checks.append(bool(cond))
        print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)[:1500]))

    with tempfile.TemporaryDirectory() as d:
        cap = os.path.join(d, "options.pcap")
        capture_file(cap)
        size = os.path.getsize(cap)

        rc, err, secs, events = run(b, ["-r", cap], tty=True)
        lines = LINE.findall(err)
        print("     file: %d redraws in %.1f s" % (len(lines), secs))
        check("file at a terminal: exits 0 with every event", rc == 0 and events == PACKETS,
              (rc, events))
        check("progress lines appear", len(lines) >= 2, err[:300])
        pat = re.compile(rb"^([\d.]+ [kMG]?B) of ([\d.]+ [kMG]?B) \((\d+)%\), (\d+) packets, "
                         rb"(\d+) packets/s, ETA (\d+):(\d\d)$")
        parsed = [pat.match(l) for l in lines]
        check("each says bytes of total (percent), packets, packets/s, ETA",
              lines and all(parsed), [l for l, m in zip(lines, parsed) if not m][:3])
        if lines and all(parsed):
            total = parsed[0].group(2).decode()
            want_total = "%.1f MB" % (size / 1e6)
            check("the total is the file's size (%s)" % want_total,
                  all(m.group(2).decode() == want_total for m in parsed), total)
            pct = [int(m.group(3)) for m in parsed]
            pkts = [int(m.group(4)) for m in parsed]
            check("percent and packets only grow", pct == sorted(pct) and pkts == sorted(pkts),
                  (pct, pkts))
            check("percent follows packets read (within 5 points)",
                  all(abs(p - 100 * n / PACKETS) <= 5 for p, n in zip(pct, pkts)),
                  list(zip(pct, pkts)))
        check("at most 4 redraws a second", len(lines) <= 4 * secs + 1, (len(lines), secs))
        check("drawn in place: no newline, erased at the end",
              b"\n" not in err and err.endswith(b"\r\x1b[K"), err[-80:])
        widest = max((len(l) + len("sipsleuth: ") for l in lines), default=0)
        check("fits in 100 columns", widest <= 100, widest)

        rc, err, secs, events = run(b, ["-r", "-"], tty=True, stdin_file=cap)
        lines = LINE.findall(err)
        check("stdin at a terminal: bytes read and rate, no total or ETA",
              rc == 0 and events == PACKETS and lines and all(
                  re.match(rb"^[\d.]+ [kMG]?B read, \d+ packets, \d+ packets/s$", l)
                  for l in lines), (rc, events, lines[:3]))

        rc, err, secs, events = run(b, ["--quiet", "-r", cap], tty=True)
        check("--quiet: nothing on the terminal", rc == 0 and events == PACKETS and err == b"",
              err[:200])
        rc, err, secs, events = run(b, ["-r", cap], tty=False)
        check("stderr on a pipe: no progress line", rc == 0 and events == PACKETS and err == b"",
              err[:200])
    return report(sum(checks), len(checks) - sum(checks))


if __name__ == "__main__":
    sys.exit(main())
