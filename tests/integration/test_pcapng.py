#!/usr/bin/env python3
"""pcapng files with interfaces of different link types (which libpcap 1.10
refuses) read whole by our own reader: the counts equal tshark's, on our
generated sample and on a capture mergecap builds from samples of four link
types; a torn file gives the events before the tear, one line naming the file
and the offset, and exit 1; -f, stdin and bogus lengths.
usage: test_pcapng.py PATH-TO-SIPSLEUTH"""
import collections
import glob
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sipcount import SAMPLES, report, sipsleuth_counts, tshark_counts  # noqa: E402

MIXED = os.path.join(SAMPLES, "linktype-mixed.pcapng")
MERGED_FROM = ["basic-call.pcap", "linktype-sll.pcap", "linktype-raw.pcap",
               "linktype-null-le.pcap"]


def run(binary, args, stdin=None):
    return subprocess.run([binary, "--events", "sip,stats"] + args, capture_output=True,
                          input=stdin, timeout=60)


def events(stdout, kind):
    return [e for e in map(json.loads, stdout.splitlines()) if e["event_type"] == kind]


def blocks(data):
    """(offset, type, length) of each block, in each section's byte order."""
    out, at, order = [], 0, "<"
    while at + 12 <= len(data):
        if data[at:at + 4] == b"\x0a\x0d\x0d\x0a":
            order = "<" if data[at + 8:at + 12] == b"\x4d\x3c\x2b\x1a" else ">"
        btype, length = struct.unpack(order + "II", data[at:at + 8])
        out.append((at, btype, length))
        at += length
    return out


def main():
    b = sys.argv[1]
    checks = []

    def check(name, cond, detail=""):
        checks.append(bool(cond))
        print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)))

    ours, theirs = sipsleuth_counts(b, MIXED), tshark_counts(MIXED)
    check("linktype-mixed: 13 messages, as tshark counts them",
          ours == theirs and sum(ours.values()) == 13, (ours, theirs))
    r = run(b, ["-r", MIXED])
    stats = events(r.stdout, "stats")[-1]["stats"]
    check("the 802.11 frame is counted as skipped, not decoded",
          r.returncode == 0 and stats["packets"] == 14 and stats["skipped_packets"] == 1, stats)

    with tempfile.TemporaryDirectory() as d:
        merged = os.path.join(d, "merged.pcapng")
        if not shutil.which("mergecap"):
            raise RuntimeError("mergecap is not installed: run scripts/setup")
        subprocess.run(["mergecap", "-F", "pcapng", "-w", merged] +
                       [os.path.join(SAMPLES, f) for f in MERGED_FROM], check=True)
        alone = collections.Counter()
        for f in MERGED_FROM:
            alone += sipsleuth_counts(b, os.path.join(SAMPLES, f))
        ours = sipsleuth_counts(b, merged)
        check("mergecap's pcapng of Ethernet, SLL, raw and NULL samples: the samples' counts, "
              "and tshark's", ours == alone == tshark_counts(merged) and
              sum(ours.values()) == 13, (ours, alone))

        with open(MIXED, "rb") as f:
            data = f.read()
        packets = [blk for blk in blocks(data) if blk[1] in (2, 3, 6)]
        at, _, length = packets[8]  # the 180 after the INVITE, in the big-endian section
        torn = os.path.join(d, "torn.pcapng")
        with open(torn, "wb") as f:
            f.write(data[:at + length // 2])
        r = run(b, ["-r", torn])
        err = r.stderr.decode().strip()
        check("a torn block: the 7 messages before it, exit 1, one line naming file and offset",
              r.returncode == 1 and len(events(r.stdout, "sip")) == 7 and
              len(err.splitlines()) == 1 and torn in err and "offset %d" % at in err,
              (r.returncode, err))

        bogus = bytearray(data)
        struct.pack_into("<I", bogus, packets[1][0] + 4, 0x7FFFFFF0)
        path = os.path.join(d, "bogus.pcapng")
        with open(path, "wb") as f:
            f.write(bogus)
        r = run(b, ["-r", path])
        check("a 2 GiB block length is refused without reading it, after the message before it",
              r.returncode == 1 and len(events(r.stdout, "sip")) == 1 and
              b"the limit is 16777216" in r.stderr, r.stderr)

        v2 = bytearray(data)
        struct.pack_into("<HH", v2, 12, 2, 0)
        with open(path, "wb") as f:
            f.write(v2)
        r = run(b, ["-r", path])
        check("pcapng version 2.0 is refused, saying so",
              r.returncode == 1 and b"version 2.0 (only 1.0" in r.stderr, r.stderr)

    # Every classic sample, converted to pcapng by editcap, gives the same events.
    with tempfile.TemporaryDirectory() as d:
        differ = []
        samples = sorted(glob.glob(os.path.join(SAMPLES, "*.pcap")))
        for pcap in samples:
            ng = os.path.join(d, os.path.basename(pcap) + "ng")
            subprocess.run(["editcap", "-F", "pcapng", pcap, ng], check=True)
            a = subprocess.run([b, "--events", "all", "-r", pcap], capture_output=True)
            n = subprocess.run([b, "--events", "all", "-r", ng], capture_output=True)
            if (a.returncode, a.stdout, a.stderr) != (n.returncode, n.stdout, n.stderr):
                differ.append(os.path.basename(pcap))
        check("%d samples as pcapng (editcap): the same events as through libpcap" % len(samples),
              samples and not differ, differ)

    r = run(b, ["-f", "udp port 5060 and ip6", "-r", MIXED])
    check("-f is applied per link type (the MESSAGE pair over raw IPv6)",
          r.returncode == 0 and len(events(r.stdout, "sip")) == 2, r.stderr)
    r = run(b, ["-f", "not a filter", "-r", MIXED])
    check("a bad filter on a pcapng file is bad usage: exits 2 naming it",
          r.returncode == 2 and b"not a filter" in r.stderr, r.stderr)
    with open(MIXED, "rb") as f:
        r = run(b, ["-r", "-"], stdin=f.read())
    check("pcapng on standard input", r.returncode == 0 and len(events(r.stdout, "sip")) == 13,
          r.stderr)
    with open(os.path.join(SAMPLES, "basic-call.pcap"), "rb") as f:
        r = run(b, ["-r", "-"], stdin=f.read())
    check("classic pcap on standard input still reaches libpcap",
          r.returncode == 0 and len(events(r.stdout, "sip")) == 7, r.stderr)
    with tempfile.TemporaryDirectory() as d:
        for name, want in (("basic-call.pcap", 7), ("linktype-mixed.pcapng", 13)):
            fifo = os.path.join(d, name)
            os.mkfifo(fifo)

            def feed(path=os.path.join(SAMPLES, name), fifo=fifo):
                with open(path, "rb") as src, open(fifo, "wb") as dst:
                    dst.write(src.read())
            writer = threading.Thread(target=feed)
            writer.start()
            r = run(b, ["-r", fifo])
            writer.join()
            check("a named pipe of %s (its first bytes are read once, to tell the format)" % name,
                  r.returncode == 0 and len(events(r.stdout, "sip")) == want, r.stderr)
    # SIGTERM while our reader waits on a pipe that stays open: a clean stop
    p = subprocess.Popen([b, "--events", "sip,stats", "-r", "-"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with open(MIXED, "rb") as f:
        p.stdin.write(f.read())
    p.stdin.flush()
    time.sleep(1.5)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=10)
    check("SIGTERM during a blocked read of a pcapng pipe stops cleanly",
          p.returncode == 0 and not err and len(events(out, "sip")) == 13 and
          json.loads(out.splitlines()[-1])["stats"]["final"] is True, (p.returncode, err))
    r = run(b, ["-r", MIXED, "-r", os.path.join(SAMPLES, "basic-call.pcap")])
    check("pcapng then pcap: one stream", r.returncode == 0 and
          events(r.stdout, "stats")[-1]["stats"]["sip_messages"] == 20, r.stderr)
    return report(sum(checks), len(checks) - sum(checks))


if __name__ == "__main__":
    sys.exit(main())
