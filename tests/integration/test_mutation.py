#!/usr/bin/env python3
"""Mutation test: the sample captures with seeded random damage — bit flips,
truncated records, oversized length fields, header bombs, torn files — must
never crash sipsleuth, trip a sanitizer, hang, or produce a line that is not
JSON. Run under the ASan/UBSan build too (scripts/test does both).
usage: test_mutation.py PATH-TO-SIPSLEUTH [CASES]"""
import glob
import json
import os
import random
import re
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sipcount import SAMPLES, report  # noqa: E402

SEED = 20261125
TIMEOUT = 20  # seconds per run; a hang is a failure


def read_pcap(path):
    """(header bytes, [(record header, data)]) of a classic pcap file."""
    with open(path, "rb") as f:
        blob = f.read()
    hdr, recs, off = blob[:24], [], 24
    while off + 16 <= len(blob):
        ts, sub, caplen, wire = struct.unpack("<IIII", blob[off:off + 16])
        recs.append([ts, sub, blob[off + 16:off + 16 + caplen], wire])
        off += 16 + caplen
    return hdr, recs


def write_pcap(path, hdr, recs, tail=b""):
    with open(path, "wb") as f:
        f.write(hdr)
        for ts, sub, data, wire in recs:
            f.write(struct.pack("<IIII", ts, sub, len(data), max(wire, len(data))) + data)
        f.write(tail)


def flip_bits(rng, recs):
    r = rng.choice(recs)
    data = bytearray(r[2])
    for _ in range(rng.randint(1, 20)):
        if data:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    r[2] = bytes(data)


def truncate_record(rng, recs):
    r = rng.choice(recs)
    r[2] = r[2][:rng.randrange(len(r[2]) + 1)]


def oversize_lengths(rng, recs):
    """Huge values in the IP/UDP length fields or the Content-Length header."""
    r = rng.choice(recs)
    data = bytearray(r[2])
    choice = rng.randrange(3)
    if choice == 0 and len(data) > 18:
        data[16:18] = b"\xff\xff"  # IPv4 total length behind an Ethernet header
    elif choice == 1 and len(data) > 40:
        data[38:40] = rng.choice([b"\xff\xff", b"\x00\x00", b"\x00\x07"])  # UDP length
    else:
        data = bytearray(re.sub(rb"(?i)(content-length|\nl): *\d+",
                                lambda m: m.group(1) + rng.choice(
                                    [b": 4294967296", b": -1", b": 99999999999999999999999",
                                     b": 1e9", b": 0x10"]), bytes(data)))
    r[2] = bytes(data)


def header_bomb(rng, recs):
    """A SIP message with thousands of headers, a huge header, or endless folds."""
    r = rng.choice(recs)
    data = r[2]
    at = data.find(b"\r\n")
    if at < 0:
        return
    kind = rng.randrange(3)
    if kind == 0:
        bomb = b"".join(b"X-B%d: v\r\n" % i for i in range(rng.randint(1000, 6000)))
    elif kind == 1:
        bomb = b"Via: " + b"SIP/2.0/UDP h;branch=z9hG4bK" + b"a" * rng.randint(10000, 60000) + b"\r\n"
    else:
        bomb = b"Subject: x\r\n" + b" \t\r\n" * rng.randint(1000, 10000)
    r[2] = (data[:at + 2] + bomb + data[at + 2:])[:65000]


MUTATIONS = [flip_bits, truncate_record, oversize_lengths, header_bomb]


def run_case(binary, path):
    try:
        out = subprocess.run([binary, "--events", "all", "--sip-raw", "-r", path],
                             capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return "hang (over %d s)" % TIMEOUT
    err = out.stderr.decode(errors="replace")
    if out.returncode not in (0, 1) or "Sanitizer" in err or "runtime error" in err:
        return "exit %d: %s" % (out.returncode, err[-2000:])
    for n, line in enumerate(out.stdout.split(b"\n")[:-1], 1):
        try:
            json.loads(line.decode("utf-8", errors="strict"))
        except ValueError as e:
            return "line %d not JSON: %s" % (n, e)
    return None


def main():
    binary = sys.argv[1]
    cases = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    rng = random.Random(SEED)
    sources = [p for p in sorted(glob.glob(os.path.join(SAMPLES, "*.pcap")))
               if open(p, "rb").read(4) == b"\xd4\xc3\xb2\xa1"]  # classic µs pcap
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(cases):
            src = rng.choice(sources)
            hdr, recs = read_pcap(src)
            if not recs:
                continue
            steps = [rng.choice(MUTATIONS) for _ in range(rng.randint(1, 3))]
            for m in steps:
                m(rng, recs)
            tail = b""
            if rng.random() < 0.1:  # a torn last record: header promising more than follows
                tail = struct.pack("<IIII", 0, 0, 1000, 1000) + b"partial"
            path = os.path.join(tmp, "case-%d.pcap" % i)
            write_pcap(path, hdr, recs, tail)
            problem = run_case(binary, path)
            if problem:
                failed += 1
                keep = os.path.join(tempfile.gettempdir(), "sipsleuth-mutation-%d.pcap" % i)
                os.replace(path, keep)
                print("FAIL case %d (%s, %s): %s — kept as %s" %
                      (i, os.path.basename(src), [m.__name__ for m in steps], problem, keep))
            else:
                passed += 1
                os.remove(path)
    print("mutation cases: seed %d" % SEED)
    return report(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
