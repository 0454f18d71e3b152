#!/usr/bin/env python3
"""Generates samples/sctp-sip.pcap (SIP over SCTP, RFC 4168; see
samples/README.md) and the seed corpus of tests/fuzz/fuzz_sctp.c in
tests/fuzz/corpus/sctp/. Deterministic: the same bytes every run.

One call over an SCTP association on IPv4 (INIT, INIT ACK, COOKIE ECHO,
COOKIE ACK; DATA with two chunks bundled in one packet, a SACK bundled with
DATA, a MESSAGE fragmented over three DATA chunks, a DATA chunk sent again
with the same TSN, SHUTDOWN...), and a second association on IPv6 whose
OPTIONS travels in I-DATA chunks (RFC 8260), fragmented, interleaved with
a whole one."""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as pg  # noqa: E402
from sipmsg import Dialog, message, sdp  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "samples")
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus", "sctp")
T0 = 1772359200 * 10**9  # 2026-03-01T10:00:00Z
MS = 10**6
A, B = "192.0.2.10", "198.51.100.7"
A6, B6 = "2001:db8::10", "2001:db8::7"

# chunk types and DATA flags
DATA, INIT, INIT_ACK, SACK, HEARTBEAT, ABORT = 0, 1, 2, 3, 4, 6
SHUTDOWN, SHUTDOWN_ACK, COOKIE_ECHO, COOKIE_ACK, SHUTDOWN_COMPLETE = 7, 8, 10, 11, 14
IDATA = 64
E, B_, U = 1, 2, 4


def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC_TABLE = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def chunk(ctype, flags, value):
    """A chunk with its padding to 4 bytes (the length field excludes it)."""
    length = 4 + len(value)
    return struct.pack("!BBH", ctype, flags, length) + value + b"\0" * (-length % 4)


def data_chunk(tsn, sid, ssn, payload, flags=B_ | E, ppid=0):
    return chunk(DATA, flags, struct.pack("!IHHI", tsn, sid, ssn, ppid) + payload)


def idata_chunk(tsn, sid, mid, payload, flags, fsn=0, ppid=0):
    # the fifth word is the PPID on a first fragment (B), else the FSN
    return chunk(IDATA, flags, struct.pack("!IHHII", tsn, sid, 0, mid,
                                           ppid if flags & B_ else fsn) + payload)


def init_chunk(ctype, tag, itsn, cookie=None):
    value = struct.pack("!IIHHI", tag, 65536, 10, 10, itsn)
    # Supported Extensions (0x8008): I-DATA, so that the peer may use it
    value += struct.pack("!HHB", 0x8008, 5, IDATA) + b"\0" * 3
    if cookie is not None:
        value += struct.pack("!HH", 7, 4 + len(cookie)) + cookie  # State Cookie
    return chunk(ctype, 0, value)


def sack_chunk(cum_tsn):
    return chunk(SACK, 0, struct.pack("!IIHH", cum_tsn, 65536, 0, 0))


def sctp(sport, dport, vtag, chunks):
    hdr = struct.pack("!HHII", sport, dport, vtag, 0)
    c = crc32c(hdr + chunks)
    return hdr[:8] + struct.pack("<I", c) + chunks


class Assoc:
    """One association: records (time, direction, SCTP packet); `at` moves on
    by 1 ms per packet."""

    def __init__(self, at, ends, tags):
        self.at, self.ends, self.tags = at, ends, tags
        self.packets = []

    def send(self, d, *chunks):
        (src, sp), (dst, dp) = self.ends[d], self.ends[1 - d]
        # each side writes the peer's tag into its packets
        self.packets.append((self.at, src, dst, sctp(sp, dp, self.tags[1 - d], b"".join(chunks))))
        self.at += MS

    def write(self, w):
        for at, src, dst, pkt in self.packets:
            w.write(at, pg.ethernet(pg.ip_packet(pkt, src, dst, 132),
                                    pg.ethertype_of(pg.ip_packet(b"", src, dst, 132))))


def ipv4_call():
    """INVITE/100/180/200/ACK, a fragmented MESSAGE and its 200, BYE/200."""
    s = Assoc(T0, [(A, 5060), (B, 5060)], [0x1A2B3C4D, 0x5E6F7081])
    d = Dialog("sctp-1@a.example", "sip:alice@a.example", "sip:bob@b.example", "a.example",
               "b.example", from_tag="fs1", transport="SCTP")
    s.send(0, init_chunk(INIT, s.tags[0], 1000))
    s.send(1, init_chunk(INIT_ACK, s.tags[1], 5000, cookie=b"cookie-bytes-16."))
    s.send(0, chunk(COOKIE_ECHO, 0, b"cookie-bytes-16."))
    s.send(1, chunk(COOKIE_ACK, 0, b""))
    inv = d.request("INVITE", 1, "sc1", body=sdp(A))
    s.send(0, data_chunk(1000, 0, 0, inv))
    trying = d.response(100, "Trying", "INVITE", 1, "sc1", to_tag=False)
    s.send(1, sack_chunk(1000), data_chunk(5000, 0, 0, trying))  # SACK bundled with DATA
    d.to_tag = "ts1"
    ringing = d.response(180, "Ringing", "INVITE", 1, "sc1")
    ok = d.response(200, "OK", "INVITE", 1, "sc1", body=sdp(B))
    s.send(1, data_chunk(5001, 0, 1, ringing), data_chunk(5002, 0, 2, ok))  # two bundled
    s.send(0, sack_chunk(5002), data_chunk(1001, 0, 1, d.request("ACK", 1, "sc2")))
    # a MESSAGE of ~3 KB in three DATA chunks: B, middle, E; the middle one is
    # lost on the first try and the last one is sent again (same TSN)
    body = "".join("line %04d of a long instant message over SCTP\r\n" % i for i in range(60))
    msg = d.request("MESSAGE", 2, "sc3", body=b"", extra=[("Content-Type", "text/plain")])
    msg = message(msg.split(b"\r\n", 1)[0].decode(),
                  [line for line in msg.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]
                   if not line.startswith(b"Content-Length")], body)
    third = len(msg) // 3
    parts = [msg[:third], msg[third:2 * third], msg[2 * third:]]
    s.send(0, data_chunk(1002, 1, 0, parts[0], flags=B_))
    s.send(0, data_chunk(1004, 1, 0, parts[2], flags=E))  # arrives before the middle
    s.send(1, sack_chunk(1002))
    s.send(0, data_chunk(1003, 1, 0, parts[1], flags=0))
    s.send(0, data_chunk(1004, 1, 0, parts[2], flags=E))  # retransmitted TSN
    s.send(1, sack_chunk(1004), data_chunk(5003, 1, 0, d.response(200, "OK", "MESSAGE", 2, "sc3")))
    s.send(0, chunk(HEARTBEAT, 0, struct.pack("!HH", 1, 12) + b"hb-info!"))
    s.send(0, sack_chunk(5003), data_chunk(1005, 0, 2, d.request("BYE", 3, "sc4")))
    s.send(1, data_chunk(5003, 1, 0, d.response(200, "OK", "MESSAGE", 2, "sc3")))  # again
    s.send(1, sack_chunk(1005), data_chunk(5004, 0, 3, d.response(200, "OK", "BYE", 3, "sc4")))
    s.send(0, chunk(SHUTDOWN, 0, struct.pack("!I", 5004)))
    s.send(1, chunk(SHUTDOWN_ACK, 0, b""))
    s.send(0, chunk(SHUTDOWN_COMPLETE, 0, b""))
    return s


def ipv6_idata():
    """OPTIONS in three I-DATA fragments with a whole NOTIFY between them, and the 200s."""
    s = Assoc(T0 + 2000 * MS, [(A6, 5060), (B6, 5060)], [0x01020304, 0x05060708])
    d = Dialog("sctp-2@a.example", "sip:alice@a.example", "sip:bob@b.example", "a.example",
               "b.example", from_tag="fs2", transport="SCTP")
    s.send(0, init_chunk(INIT, s.tags[0], 77))
    s.send(1, init_chunk(INIT_ACK, s.tags[1], 9000, cookie=b"cookie-two-16..."))
    s.send(0, chunk(COOKIE_ECHO, 0, b"cookie-two-16..."))
    s.send(1, chunk(COOKIE_ACK, 0, b""))
    opt = d.request("OPTIONS", 1, "sd1", extra=[("Accept", "application/sdp")] +
                    [("X-Filler-%d" % i, "x" * 60) for i in range(12)])
    notify = d.request("NOTIFY", 2, "sd2", extra=[("Event", "keep-alive")])
    third = len(opt) // 3
    s.send(0, idata_chunk(77, 0, 0, opt[:third], flags=B_),
           idata_chunk(78, 1, 0, notify, flags=B_ | E))  # interleaved: another stream
    s.send(0, idata_chunk(79, 0, 0, opt[third:2 * third], flags=0, fsn=1))
    s.send(0, idata_chunk(80, 0, 0, opt[2 * third:], flags=E, fsn=2))
    d.to_tag = "ts2"
    s.send(1, sack_chunk(80), idata_chunk(9000, 1, 0, d.response(200, "OK", "NOTIFY", 2, "sd2"),
                                          flags=B_ | E | U))
    s.send(1, idata_chunk(9001, 0, 0, d.response(200, "OK", "OPTIONS", 1, "sd1"), flags=B_ | E))
    s.send(0, chunk(ABORT, 0, b""))
    return s


def corpus(assocs):
    """Seed inputs for fuzz_sctp: records of flags (bit 0 direction, bits 1-2
    association), a 16-bit length, then the SCTP packet."""
    os.makedirs(CORPUS, exist_ok=True)
    for n, s in enumerate(assocs):
        out = b""
        first_src = s.packets[0][1]
        for _, src, _, pkt in s.packets:
            out += struct.pack("!BH", (0 if src == first_src else 1) | (n << 1), len(pkt)) + pkt
        with open(os.path.join(CORPUS, "seed-%d" % n), "wb") as f:
            f.write(out)
    # malformed chunk lengths, an empty DATA chunk, a cut chunk
    bad = [sctp(5060, 5060, 1, struct.pack("!BBH", DATA, 3, 2)),
           sctp(5060, 5060, 1, struct.pack("!BBH", DATA, 3, 400) + b"x" * 20),
           sctp(5060, 5060, 1, chunk(DATA, 3, struct.pack("!IHHI", 1, 0, 0, 0))),
           sctp(5060, 5060, 1, chunk(SACK, 0, b"") + b"\0\0")]
    with open(os.path.join(CORPUS, "seed-bad"), "wb") as f:
        f.write(b"".join(struct.pack("!BH", 0, len(p)) + p for p in bad))


def main():
    calls = [ipv4_call(), ipv6_idata()]
    with pg.Writer(os.path.join(OUT, "sctp-sip.pcap")) as w:
        for s in calls:
            s.write(w)
    corpus(calls)


if __name__ == "__main__":
    main()
