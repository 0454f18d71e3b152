#!/usr/bin/env python3
"""Generates the reassembly samples samples/tcp-*.pcap, samples/frag-*.pcap and
samples/ws-*.pcap (see samples/README.md), and the seed corpora of the
reassembly fuzz targets in tests/fuzz/corpus/{defrag,tcp_stream,websocket}/.
Each capture has a known outcome: which SIP messages come out, in which order,
and which anomalies. Deterministic: the same bytes every run."""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as pg  # noqa: E402
from sipmsg import Dialog, message, sdp  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "samples")
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")
T0 = 1772359200 * 10**9  # 2026-03-01T10:00:00Z
MS = 10**6
A, B = "192.0.2.10", "198.51.100.7"
A6, B6 = "2001:db8::10", "2001:db8::7"


def call(n, transport="TCP", body_pad=0):
    """INVITE (with SDP), 200 OK and BYE of call n."""
    d = Dialog("reasm-%d@a.example" % n, "sip:alice@a.example", "sip:bob@b.example",
               "a.example", "b.example", from_tag="f%d" % n, transport=transport)
    body = sdp(A) + "a=x-pad:%s\r\n" % ("p" * body_pad) if body_pad else sdp(A)
    inv = d.request("INVITE", 1, "inv%d" % n, body=body)
    d.to_tag = "t%d" % n
    ok = d.response(200, "OK", "INVITE", 1, "inv%d" % n)
    bye = d.request("BYE", 2, "bye%d" % n)
    return inv, ok, bye


class Tcp:
    """One TCP connection written to a capture: sequence numbers tracked per
    direction; `at` moves on by 1 ms per segment."""

    def __init__(self, w, at, cport, isn_c=1000, isn_s=5000, client=A, server=B, sport=5060):
        self.w, self.at = w, at
        self.ends = [(client, cport), (server, sport)]
        self.next = [isn_c, isn_s]

    def seg(self, d, data=b"", flags=pg.TCP_ACK | pg.TCP_PSH, seq=None, advance=True):
        (src, sp), (dst, dp) = self.ends[d], self.ends[1 - d]
        s = self.next[d] if seq is None else seq
        self.w.write(self.at, pg.tcp_frame(data, src, dst, sp, dp, s, self.next[1 - d], flags))
        self.at += MS
        if advance and seq is None:
            self.next[d] = (s + len(data) + (1 if flags & (pg.TCP_SYN | pg.TCP_FIN) else 0)) \
                & 0xFFFFFFFF
        return s

    def handshake(self):
        self.seg(0, flags=pg.TCP_SYN)
        self.seg(1, flags=pg.TCP_SYN | pg.TCP_ACK)
        self.seg(0, flags=pg.TCP_ACK)

    def close(self):
        self.seg(0, flags=pg.TCP_FIN | pg.TCP_ACK)
        self.seg(1, flags=pg.TCP_FIN | pg.TCP_ACK)
        self.seg(0, flags=pg.TCP_ACK)


def path(name):
    return os.path.join(OUT, name)


def split_classes(msg):
    """Cut points of msg, one per byte-boundary class."""
    first_crlf = msg.index(b"\r\n")
    via = msg.index(b"\r\nVia:") + 2
    blank = msg.index(b"\r\n\r\n")
    return [
        ("inside the start line", 10),
        ("after the start line", first_crlf + 2),
        ("inside a header name", via + 2),
        ("inside a header value", via + 12),
        ("between CR and LF", first_crlf + 1),
        ("inside the blank line", blank + 3),
        ("before the body", blank + 4),
        ("inside the body", blank + 20),
    ]


def tcp_split_boundaries():
    inv, ok, _ = call(1)
    with pg.Writer(path("tcp-split-boundaries.pcap")) as w:
        at = T0
        for i, (_, cut) in enumerate(split_classes(inv)):
            c = Tcp(w, at, 40000 + i)
            c.handshake()
            c.seg(0, inv[:cut])
            c.seg(0, inv[cut:])
            c.seg(1, ok)
            c.close()
            at = c.at + 10 * MS


def tcp_multi_per_segment():
    inv, ok, bye = call(2)
    with pg.Writer(path("tcp-multi-per-segment.pcap")) as w:
        c = Tcp(w, T0, 40100)
        c.handshake()
        c.seg(0, inv + b"\r\n\r\n" + bye)  # two messages and a keep-alive between
        c.seg(1, ok + ok + ok)              # three in one segment
        big, _, _ = call(3, body_pad=3000)  # one message over four segments
        for i in range(4):
            q = (len(big) + 3) // 4
            c.seg(0, big[i * q:(i + 1) * q])
        c.close()


def tcp_reorder_retrans_overlap():
    inv, ok, bye = call(4)
    data = inv + bye
    with pg.Writer(path("tcp-reorder-retrans-overlap.pcap")) as w:
        c = Tcp(w, T0, 40200)
        c.handshake()
        base = c.next[0]
        cuts = [0, 200, 400, len(data)]
        # third piece first, then the first, then the second: reordered
        c.seg(0, data[cuts[2]:cuts[3]], seq=base + cuts[2])
        c.seg(0, data[cuts[0]:cuts[1]], seq=base + cuts[0])
        c.seg(0, data[cuts[0]:cuts[1]], seq=base + cuts[0])  # retransmission
        # overlapping [150, 450): its new bytes fill [200, 400); the rest is ignored
        c.seg(0, data[150:450], seq=base + 150)
        c.seg(0, data[cuts[1]:cuts[2]], seq=base + cuts[1])  # late, all old by now
        c.next[0] = base + len(data)
        c.seg(1, ok)
        c.close()


def tcp_wraparound():
    inv, ok, bye = call(5)
    with pg.Writer(path("tcp-wraparound.pcap")) as w:
        c = Tcp(w, T0, 40300, isn_c=0xFFFFFFF0, isn_s=0xFFFFFF00)
        c.handshake()
        c.seg(0, inv[:100])  # crosses 2^32 inside the INVITE's start
        c.seg(0, inv[100:] + bye[:50])
        c.seg(1, ok)  # the server side crosses 2^32 too
        c.seg(0, bye[50:])
        c.close()


def tcp_midstream():
    inv, ok, bye = call(6)
    prev, _, _ = call(7)
    with pg.Writer(path("tcp-midstream.pcap")) as w:
        c = Tcp(w, T0, 40400, isn_c=777777, isn_s=888888)
        # no handshake: the capture starts inside the body of an earlier INVITE
        c.seg(0, prev[-60:] + inv[:90])
        c.seg(1, ok[40:])  # and inside a response the other way
        c.seg(0, inv[90:])
        c.seg(1, ok)
        c.seg(0, bye)


def tcp_gap_resync():
    inv, ok, bye = call(8)
    with pg.Writer(path("tcp-gap-resync.pcap")) as w:
        c = Tcp(w, T0, 40500)
        c.handshake()
        c.seg(0, inv[:300])
        c.next[0] = (c.next[0] + len(inv) - 300) & 0xFFFFFFFF  # the rest is never captured
        c.seg(1, ok)
        c.seg(0, bye)  # held: the hole before it is open
        # the server's ACK covers the hole: the data was sent, the capture missed it
        c.close()


def tcp_not_sip():
    with pg.Writer(path("tcp-not-sip.pcap")) as w:
        c = Tcp(w, T0, 40600)
        c.handshake()
        c.seg(0, b"GET /status HTTP/1.1\r\nHost: pbx.example:5060\r\n\r\n")
        c.seg(1, b"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n")
        for i in range(4):
            c.seg(1, (b"<p>%d</p>\n" % i) * 50)
        c.close()
        # a binary protocol on 5060, no SIP line anywhere
        c = Tcp(w, c.at, 40601)
        c.handshake()
        for i in range(8):
            c.seg(0, bytes((j * 7 + i) % 256 for j in range(1400)))
        c.close()


# ---- losses that must stay visible (issue 17.8); each writes its capture
# into `out` and returns its ground truth: the sip events in order as (method
# or status, truncated, Call-ID or None), and the stream-level anomaly kinds
# (tcp_*, truncated_message) ----

SNAP_PAYLOAD = 400  # TCP payload bytes kept per frame in tcp-snaplen.pcap
SNAP = 14 + 20 + 20 + SNAP_PAYLOAD


def tcp_snaplen(out=OUT):
    """A capture cut at SNAP bytes a frame: each segment keeps its first 400
    payload bytes, and states how long it was."""
    inv, ok, bye = call(30, body_pad=1000)
    head = inv.index(b"\r\n\r\n") + 4
    assert head < SNAP_PAYLOAD < 1000 and len(ok) <= SNAP_PAYLOAD and len(bye) <= SNAP_PAYLOAD
    d = Dialog("reasm-31@a.example", "sip:alice@a.example", "sip:bob@b.example", "a.example",
               "b.example", from_tag="f31", transport="TCP")
    long_uri = "sip:" + "u" * 500 + "@b.example"
    msg = d.request("MESSAGE", 1, "msg31", body="hi", uri=long_uri)  # start line cut
    opts = d.request("OPTIONS", 2, "opt31")
    info = d.request("INFO", 3, "info31", body="Signal=1\r\n")
    # INFO's start line is kept, its Call-ID is not
    assert len(opts) + info.index(b"\r\n") + 2 <= SNAP_PAYLOAD < len(opts) + info.index(b"Call-ID")
    with pg.Writer(os.path.join(out, "tcp-snaplen.pcap"), snaplen=SNAP) as w:
        c = Tcp(w, T0, 40800)
        c.handshake()
        c.seg(0, inv[:1000])  # head and part of the body kept, the rest cut
        c.seg(0, inv[1000:])  # the body's end: kept in part, cut, no message begins here
        c.seg(1, ok)
        c.seg(0, bye)  # found in step: the INVITE's Content-Length was read
        c.seg(0, msg)
        c.seg(0, opts + info)
        c.seg(1, d.response(200, "OK", "OPTIONS", 2, "opt31"))
        c.close()
    sips = [("INVITE", True, "reasm-30@a.example"), (200, False, "reasm-30@a.example"),
            ("BYE", False, "reasm-30@a.example"), ("OPTIONS", False, "reasm-31@a.example"),
            ("INFO", True, None), (200, False, "reasm-31@a.example")]
    return sips, ["truncated_message"]


OVERSIZED_CAP = 4096  # tcp-oversized.pcap is read with --max-message-bytes 4096


def tcp_oversized(out=OUT):
    """Two messages over the cap on one connection: one whose Content-Length
    lies (a short body, then an INVITE on the next line), one whose length is
    true (6000 bytes over five segments, a BYE right after its last byte)."""
    inv, ok, bye = call(33)
    d = Dialog("big-33@a.example", "sip:alice@a.example", "sip:bob@b.example", "a.example",
               "b.example", from_tag="f33", transport="TCP")
    lie = message("MESSAGE sip:bob@b.example SIP/2.0",
                  [("Via", "SIP/2.0/TCP a.example;branch=z9hG4bKlie33"),
                   ("From", "<sip:alice@a.example>;tag=f33"), ("To", "<sip:bob@b.example>"),
                   ("Call-ID", "big-33@a.example"), ("CSeq", "1 MESSAGE"),
                   ("Content-Length", "400000")], body=b"hello\r\n", content_length=False)
    honest = d.request("MESSAGE", 2, "big33", body=b"x" * 6000)
    assert len(honest) > OVERSIZED_CAP
    with pg.Writer(os.path.join(out, "tcp-oversized.pcap")) as w:
        c = Tcp(w, T0, 40900)
        c.handshake()
        c.seg(0, lie + inv)
        c.seg(1, ok)
        q = (len(honest) + 4) // 5
        for i in range(4):
            c.seg(0, honest[i * q:(i + 1) * q])
        c.seg(0, honest[4 * q:] + bye)
        c.seg(1, ok.replace(b"1 INVITE", b"2 BYE"))
        c.close()
    cid = "reasm-33@a.example"
    sips = [("INVITE", False, cid), (200, False, cid), ("BYE", False, cid), (200, False, cid)]
    return sips, ["tcp_message_too_large", "tcp_message_too_large"]


def tcp_late_after_ack(out=OUT):
    """A span port's reordering: the middle of the client's data arrives after
    the data past it, and after the server's ACK of all of it."""
    inv, ok, bye = call(34)
    data = inv + bye
    with pg.Writer(os.path.join(out, "tcp-late-after-ack.pcap")) as w:
        c = Tcp(w, T0, 41000)
        c.handshake()
        base = c.next[0]
        c.seg(0, data[:200])
        c.seg(0, data[400:], seq=base + 400)
        c.next[0] = base + len(data)
        c.seg(1, flags=pg.TCP_ACK)  # acknowledges past the hole
        c.seg(0, data[200:400], seq=base + 200)  # the late segment
        c.seg(1, ok)
        c.close()
    cid = "reasm-34@a.example"
    return [("INVITE", False, cid), ("BYE", False, cid), (200, False, cid)], []


LOSSES = {"tcp-snaplen.pcap": tcp_snaplen, "tcp-oversized.pcap": tcp_oversized,
          "tcp-late-after-ack.pcap": tcp_late_after_ack}


def frag_ipv4_reverse():
    inv, _, _ = call(9, transport="UDP", body_pad=2500)
    dgram = pg.udp(inv, A, B, 5060, 5060)
    frags = pg.ipv4_fragments(dgram, A, B, 17, 1480, ident=0x4242)
    with pg.Writer(path("frag-ipv4-reverse.pcap")) as w:
        for i, f in enumerate(reversed(frags)):
            w.write(T0 + i * MS, pg.ethernet(f, 0x0800))
        # a second datagram whose first fragment is sent twice and overlaps
        inv2, _, _ = call(10, transport="UDP", body_pad=1200)
        d2 = pg.udp(inv2, A, B, 5060, 5060)
        f2 = pg.ipv4_fragments(d2, A, B, 17, 1024, ident=0x4243)
        order = [f2[0], f2[0], f2[1]]
        for i, f in enumerate(order):
            w.write(T0 + (10 + i) * MS, pg.ethernet(f, 0x0800))


def frag_ipv6():
    inv, _, _ = call(11, transport="UDP", body_pad=2500)
    dgram = pg.udp(inv, A6, B6, 5060, 5060)
    frags = pg.ipv6_fragments(dgram, A6, B6, 17, 1232, ident=0xC0FFEE)
    with pg.Writer(path("frag-ipv6.pcap")) as w:
        order = [1, 0] + list(range(2, len(frags)))
        for i, k in enumerate(order):
            w.write(T0 + i * MS, pg.ethernet(frags[k], 0x86DD))


def ws_frame(payload, opcode=1, fin=True, mask=None):
    hdr = bytes([(0x80 if fin else 0) | opcode])
    m = 0x80 if mask else 0
    if len(payload) < 126:
        hdr += bytes([m | len(payload)])
    elif len(payload) < 65536:
        hdr += bytes([m | 126]) + struct.pack("!H", len(payload))
    else:
        hdr += bytes([m | 127]) + struct.pack("!Q", len(payload))
    if mask:
        hdr += mask
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return hdr + payload


WS_REQ = (b"GET /sip HTTP/1.1\r\nHost: ws.b.example\r\nUpgrade: websocket\r\n"
          b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
          b"Origin: https://a.example\r\nSec-WebSocket-Protocol: sip\r\n"
          b"Sec-WebSocket-Version: 13\r\n\r\n")
WS_RESP = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
           b"Sec-WebSocket-Protocol: sip\r\n\r\n")


def ws_messages():
    inv, ok, bye = call(12, transport="WS")
    m1, m2 = b"\x11\x22\x33\x44", b"\xa0\xb1\xc2\xd3"
    client = (ws_frame(inv, mask=m1) +
              ws_frame(bye[:40], fin=False, mask=m2) +
              ws_frame(b"ka", opcode=9, mask=m1) +  # a ping between the fragments
              ws_frame(bye[40:], opcode=0, mask=m2))
    server = ws_frame(ok, opcode=2)
    return inv, ok, bye, client, server


def ws_sip():
    _, _, _, client, server = ws_messages()
    with pg.Writer(path("ws-sip.pcap")) as w:
        c = Tcp(w, T0, 40700, sport=80)
        c.handshake()
        c.seg(0, WS_REQ)
        c.seg(1, WS_RESP)
        c.seg(0, client[:300])  # the INVITE frame over two segments
        c.seg(0, client[300:])
        c.seg(1, server)
        c.close()


# ---- fuzz seeds: the same scenarios in the fuzz targets' record formats ----

def defrag_rec(payload, off, more, v6=False, ident=0, time_steps=0):
    flags = (1 if more else 0) | (2 if v6 else 0) | (ident << 3) | (time_steps << 5)
    return struct.pack("!BHHB", flags, off // 8, len(payload), 0) + payload


def tcp_rec(data, d=0, conn=0, delta=0, syn=False, fin=False, rst=False, time_steps=0, cut=0):
    flags = d | (conn << 1) | (8 if syn else 0) | (16 if fin else 0) | (32 if rst else 0) | \
        (time_steps << 6)
    return struct.pack("!BhHB", flags, delta, len(data), cut) + data


def write_seed(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data)


def fuzz_seeds():
    body = bytes(range(256)) * 4
    write_seed("defrag", "reverse-v4", defrag_rec(body[800:], 800, False) +
               defrag_rec(body[400:800], 400, True) + defrag_rec(body[:400], 0, True))
    write_seed("defrag", "v6-overlap-dup", defrag_rec(body[:64], 0, True, v6=True) +
               defrag_rec(body[:64], 0, True, v6=True) +
               defrag_rec(b"X" * 64, 32, True, v6=True) + defrag_rec(body[96:200], 96, False, v6=True))
    write_seed("defrag", "timeout-and-trains", defrag_rec(body[:8], 0, True, ident=1) +
               defrag_rec(body[:8], 0, True, ident=2) + defrag_rec(body[:8], 8, False, ident=3) +
               defrag_rec(body[:8], 8, False, ident=1, time_steps=7) +
               defrag_rec(body[:16], 0, True, ident=0))

    inv, ok, bye = call(20)
    both = inv + ok
    write_seed("tcp_stream", "split", tcp_rec(both[:77]) + tcp_rec(both[77:]))
    write_seed("tcp_stream", "syn-reverse", tcp_rec(b"", syn=True) +
               tcp_rec(both[200:], delta=200) + tcp_rec(both[:200], delta=-len(both)) +
               tcp_rec(bye, d=1) + tcp_rec(b"", fin=True))
    write_seed("tcp_stream", "gap-keepalive", tcp_rec(b"\r\n\r\n" + inv[:100]) +
               tcp_rec(inv[150:] + bye, delta=50) + tcp_rec(ok, conn=1) +
               tcp_rec(b"", conn=1, rst=True))
    write_seed("tcp_stream", "midstream-junk", tcp_rec(b"a=rtpmap:0 PCMU\r\n" + bye, conn=2) +
               tcp_rec(b"GET / HTTP/1.1\r\n\r\n", d=1, conn=3))
    write_seed("tcp_stream", "snaplen-cut", tcp_rec(inv[:200], cut=len(inv) - 200) +
               tcp_rec(ok[:20], d=1, cut=len(ok) - 20) + tcp_rec(bye) +
               tcp_rec(inv[40:60], delta=40, cut=200) + tcp_rec(inv[:40], delta=-(60 + 200)))
    _, _, _, client, server = ws_messages()
    write_seed("tcp_stream", "websocket", tcp_rec(WS_REQ) + tcp_rec(WS_RESP, d=1) +
               tcp_rec(client[:50]) + tcp_rec(client[50:]) + tcp_rec(server, d=1))

    write_seed("websocket", "request", WS_REQ)
    write_seed("websocket", "response", WS_RESP)
    write_seed("websocket", "frames", client + server +
               ws_frame(b"y" * 300, opcode=2) + ws_frame(b"z" * 70000, opcode=2)[:20])


def main():
    os.makedirs(OUT, exist_ok=True)
    tcp_split_boundaries()
    tcp_multi_per_segment()
    tcp_reorder_retrans_overlap()
    tcp_wraparound()
    tcp_midstream()
    tcp_gap_resync()
    tcp_not_sip()
    for gen in LOSSES.values():
        gen()
    frag_ipv4_reverse()
    frag_ipv6()
    ws_sip()
    fuzz_seeds()


if __name__ == "__main__":
    main()
