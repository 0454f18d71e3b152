#!/usr/bin/env python3
"""Reassembly end to end: the generated samples (scripts/gen/gen_reassembly.py)
yield exactly the SIP messages and anomalies listed in samples/README.md; and
a flood of unfinished fragment trains, half-open TCP connections and one
never-ending message (issue acceptance 3) keeps the process under its memory
caps, with the evictions counted.

usage: test_reassembly.py PATH/TO/sipsleuth   (run from the repository root)
"""
import json
import os
import resource
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, "..", "..", "samples")
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts", "gen"))
import pcapgen as pg  # noqa: E402
import gen_reassembly as gr  # noqa: E402
from gen_reassembly import call  # noqa: E402

INV, OK, BYE = "INVITE", 200, "BYE"

# per sample: the sequence of (proto, method or status) and the anomaly kinds
EXPECTED = {
    "tcp-split-boundaries.pcap": ([("TCP", INV), ("TCP", OK)] * 8, []),
    "tcp-multi-per-segment.pcap": ([("TCP", INV), ("TCP", BYE)] + [("TCP", OK)] * 3 +
                                   [("TCP", INV)], []),
    "tcp-reorder-retrans-overlap.pcap": ([("TCP", INV), ("TCP", BYE), ("TCP", OK)], []),
    "tcp-wraparound.pcap": ([("TCP", INV), ("TCP", OK), ("TCP", BYE)], []),
    "tcp-midstream.pcap": ([("TCP", INV), ("TCP", OK), ("TCP", BYE)], []),
    "tcp-gap-resync.pcap": ([("TCP", OK), ("TCP", BYE)], ["tcp_gap"]),
    "tcp-not-sip.pcap": ([], []),
    "frag-ipv4-reverse.pcap": ([("UDP", INV), ("UDP", INV)], []),
    "frag-ipv6.pcap": ([("UDP", INV)], []),
    "ws-sip.pcap": ([("TCP", INV), ("TCP", BYE), ("TCP", OK)], []),
}


def run(binary, pcap, *extra):
    out = subprocess.run([binary, "--events", "all", "-r", pcap, *extra], check=True,
                         stdout=subprocess.PIPE).stdout
    return [json.loads(line) for line in out.splitlines()]


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check_samples(binary):
    for name, (want_msgs, want_anomalies) in EXPECTED.items():
        events = run(binary, os.path.join(SAMPLES, name))
        msgs = [(e["proto"], e["sip"].get("status_code") or e["sip"]["method"])
                for e in events if e["event_type"] == "sip"]
        kinds = [e["anomaly"]["kind"] for e in events if e["event_type"] == "anomaly"]
        if msgs != want_msgs:
            fail("%s: messages %s, expected %s" % (name, msgs, want_msgs))
        if kinds != want_anomalies:
            fail("%s: anomalies %s, expected %s" % (name, kinds, want_anomalies))
        print("ok %s" % name)


# Messages whose reassembled bytes must equal what the generator wrote:
# sample -> [(index among its sip events, expected bytes)]
BYTES = {
    "tcp-split-boundaries.pcap": [(2 * i, call(1)[0]) for i in range(8)],  # INVITE cut 8 ways
    "tcp-multi-per-segment.pcap": [(1, call(2)[2]), (5, call(3, body_pad=3000)[0])],
    "tcp-wraparound.pcap": [(0, call(5)[0])],
    "frag-ipv4-reverse.pcap": [(0, call(9, transport="UDP", body_pad=2500)[0]),
                               (1, call(10, transport="UDP", body_pad=1200)[0])],
    "frag-ipv6.pcap": [(0, call(11, transport="UDP", body_pad=2500)[0])],
}


def check_bytes(binary):
    for name, wanted in BYTES.items():
        raws = [e["sip"]["raw"].encode("utf-8") for e in run(binary, os.path.join(SAMPLES, name),
                                                             "--sip-raw")
                if e["event_type"] == "sip"]
        for index, want in wanted:
            if index >= len(raws) or raws[index] != want:
                fail("%s: message %d is not the %d bytes the generator wrote" %
                     (name, index, len(want)))
        print("ok %s: reassembled bytes" % name)


def check_losses(binary):
    """Issue 17.8: a snap-length cut, a Content-Length over the cap and a
    segment that comes after its ACK are reported or used, never lost
    silently. Expected values are the generator's ground truth."""
    extra = {"tcp-oversized.pcap": ["--max-message-bytes", str(gr.OVERSIZED_CAP)]}
    with tempfile.TemporaryDirectory() as tmp:
        for name, gen in gr.LOSSES.items():
            want_sips, want_kinds = gen(tmp)
            with open(os.path.join(tmp, name), "rb") as a, \
                    open(os.path.join(SAMPLES, name), "rb") as b:
                if a.read() != b.read():
                    fail("%s: samples/ differs from what the generator writes" % name)
            events = run(binary, os.path.join(tmp, name), *extra.get(name, []))
            sips = [(e["sip"].get("status_code") or e["sip"]["method"],
                     e["sip"].get("truncated", False), e.get("call_id"))
                    for e in events if e["event_type"] == "sip"]
            kinds = [e["anomaly"]["kind"] for e in events if e["event_type"] == "anomaly"
                     and not e["anomaly"]["kind"].startswith("sip_")]
            if sips != want_sips:
                fail("%s: sip events %s, expected %s" % (name, sips, want_sips))
            if kinds != want_kinds:
                fail("%s: anomalies %s, expected %s" % (name, kinds, want_kinds))
            tcp = [e["stats"] for e in events if e["event_type"] == "stats"][-1]["tcp"]
            if tcp["gaps"] != 0 or tcp["too_large"] != want_kinds.count("tcp_message_too_large"):
                fail("%s: stats %s" % (name, tcp))
            if tcp["truncated"] != sum(1 for s in want_sips if s[1]) + \
                    want_kinds.count("truncated_message"):
                fail("%s: tcp.truncated %d" % (name, tcp["truncated"]))
            print("ok %s" % name)


def write_flood(path):
    """30 000 unfinished fragment trains of 1.2 KB (36 MB, over the 32 MiB
    defrag cap), 20 000 half-open connections each holding an unfinished
    message (over the 16 384 stream cap), one header line that never ends
    (4 MB, over the 256 KiB message cap)."""
    t = 1772359200 * 10**9
    chunk = b"x" * 1200
    line = b"OPTIONS sip:flood@b.example SIP/2.0\r\nX-Endless: "
    with pg.Writer(path) as w:
        for i in range(30000):
            src = "10.%d.%d.1" % (i >> 8 & 255, i & 255)
            frag = pg.ipv4(chunk, src, "198.51.100.7", 17, ident=i, frag_offset=1200,
                           more_fragments=True)
            w.write(t, pg.ethernet(frag, 0x0800))
            t += 10**4
            if i < 20000:
                w.write(t, pg.tcp_frame(b"INVITE sip:b@b.example SIP/2.0\r\nVia: " + b"v" * 900,
                                        src, "198.51.100.7", 40000 + i % 20000, 5060, 1))
            if i < 3000:
                data = line if i == 0 else b"y" * 1400
                seq = 1 if i == 0 else 1 + len(line) + (i - 1) * 1400
                w.write(t, pg.tcp_frame(data, "192.0.2.99", "198.51.100.7", 39999, 5060, seq))


def asan_build(binary):
    with open(binary, "rb") as f:
        return b"__asan_init" in f.read()


def check_flood(binary):
    with tempfile.TemporaryDirectory() as tmp:
        pcap = os.path.join(tmp, "flood.pcap")
        write_flood(pcap)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        events = run(binary, pcap)
        rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    stats = [e["stats"] for e in events if e["event_type"] == "stats"][-1]
    if stats["defrag"]["evictions"] < 1000 or stats["tcp"]["evictions"] < 1000:
        fail("flood: too few evictions: %s %s" % (stats["defrag"], stats["tcp"]))
    if stats["tcp"]["too_large"] < 1:
        fail("flood: the endless message was not dropped: %s" % stats["tcp"])
    # the caps: defrag 32 MiB + TCP 64 MiB, plus the program and its other state
    limit = 32 + 64 + 48
    print("flood: peak RSS %.1f MB (earlier children %.1f MB), limit %d MB%s"
          % (rss_mb, before / 1024, limit, " (ASan build: not checked)" if asan_build(binary)
             else ""))
    if not asan_build(binary) and rss_mb > limit:
        fail("flood: peak RSS %.1f MB over %d MB" % (rss_mb, limit))


def main():
    binary = sys.argv[1]
    check_samples(binary)
    check_bytes(binary)
    check_losses(binary)
    check_flood(binary)
    print("%d passed, 0 failed" % (len(EXPECTED) + len(BYTES) + len(gr.LOSSES) + 1))


if __name__ == "__main__":
    main()
