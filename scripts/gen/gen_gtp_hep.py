#!/usr/bin/env python3
"""Generates the GTP-U and HEP samples. Deterministic; standard library only.

samples/encap-gtpu.pcap: a mobile core's S1-U/N3 link. A call whose INVITE's
inner IPv4 datagram is fragmented (two G-PDUs) and whose uplink G-PDUs carry
a sequence number and an extension header chain (PDU session container 0x85
of two 4-octet units, then a UDP port extension 0x40 of one); a REGISTER/200
with inner IPv6 and only a sequence number; and GTP messages that are not
G-PDUs (echo request, end marker, a GTPv2-C echo on 2123), which are counted.

samples/hep3.pcap: what a HEP agent (heplify, Kamailio siptrace, OpenSIPS
proto_hep) sends to a HOMER server on UDP 9060: a call in HEPv3 with the
original addresses, ports and capture times (2 ms before the collector
captured each, 5 ms for the 200 OK to the INVITE), an OPTIONS/200 over IPv6, a REGISTER in HEPv2, and a HEPv3
RTCP report (protocol type 5), which is counted and not analysed.

samples/hep3-tcp.pcap: the same HEPv3 packets (but the HEPv2 one: it states
no length, so it cannot be framed on a stream) as an agent sends them over
TCP: a connection to port 9060 whose segments carry two packets at once, a
packet split in its payload, a packet split in its header after another one;
and a connection to port 19060 that the capture joined after its handshake,
HEP found by content only, carrying an OPTIONS/200 the agent captured on
TCP (IP protocol chunk 6).

GROUND_TRUTH below is what sipsleuth must report (test_gtp_hep.py)."""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as pg  # noqa: E402
from sipmsg import Dialog  # noqa: E402
from gen_samples import OUT, T0, MS, A4, B4, A6, B6, call_messages  # noqa: E402

ENB, SGW = "203.0.113.21", "203.0.113.22"  # GTP-U tunnel endpoints
AGENT, HOMER = "203.0.113.5", "203.0.113.9"  # HEP agent and collector
TEID_UP, TEID_DOWN, TEID_V6 = 0x1001, 0x2002, 0x3003
CAPTURE_ID = 2001
HEP_DELAY_MS = 2  # the collector captures each HEP packet this long after the agent did,
HEP_SLOW = {2100: 5}  # except these (agent ms -> delay): the 200 OK to the INVITE came late


# ---- GTP-U (3GPP TS 29.281) ----

def gtp_ext(ext_type, content):
    """One extension header: (ext_type, content) whose length with the length
    and next-type octets is a multiple of 4."""
    assert (len(content) + 2) % 4 == 0
    return ext_type, content


def gtpv1(msg_type, teid, body, seq=None, exts=()):
    """GTPv1-U header. seq/exts set S/E and add the optional fields."""
    flags = 0x30  # version 1, PT 1
    opt = b""
    if seq is not None or exts:
        if seq is not None:
            flags |= 0x02
        if exts:
            flags |= 0x04
        opt = struct.pack("!HBB", seq or 0, 0, exts[0][0] if exts else 0)
        for i, (_, content) in enumerate(exts):
            nxt = exts[i + 1][0] if i + 1 < len(exts) else 0
            opt += bytes([(len(content) + 2) // 4]) + content + bytes([nxt])
    return struct.pack("!BBHI", flags, msg_type, len(opt) + len(body), teid) + opt + body


UPLINK_EXTS = (
    gtp_ext(0x85, bytes([0x10, 0x05, 0, 0, 0, 0])),  # PDU session container: UL, QFI 5
    gtp_ext(0x40, struct.pack("!H", 2152)),           # UDP port
)


def gtp_frame(gtp, up=True, sport=2152, dport=2152):
    s, d = (ENB, SGW) if up else (SGW, ENB)
    return pg.ethernet(pg.ipv4(pg.udp(gtp, s, d, sport, dport), s, d, 17), 0x0800)


def gtpu_sample():
    d = Dialog("gtpu-call-1@ue.example", "sip:alice@ims.example", "sip:bob@ims.example",
               A4 + ":5060", B4 + ":5060")
    frames = [(0, gtp_frame(gtpv1(1, 0, b"", seq=1)))]  # echo request
    seq = 100
    for ms, fwd, msg in call_messages(d):
        s, t = (A4, B4) if fwd else (B4, A4)
        udp = pg.udp(msg, s, t, 5060, 5060)
        if fwd:
            seq += 1
        if ms == 0:  # the INVITE: two inner fragments, each in its own G-PDU
            for i, ip in enumerate(pg.ipv4_fragments(udp, s, t, 17, 400, 0x4242)):
                frames.append((ms + i, gtp_frame(gtpv1(255, TEID_UP, ip, seq=seq + i,
                                                       exts=UPLINK_EXTS))))
            seq += 1
            continue
        ip = pg.ipv4(udp, s, t, 17)
        if fwd:
            g = gtpv1(255, TEID_UP, ip, seq=seq, exts=UPLINK_EXTS)
        else:
            g = gtpv1(255, TEID_DOWN, ip)
        frames.append((ms, gtp_frame(g, up=fwd)))
    r = Dialog("gtpu-reg-6@ue.example", "sip:carol@ims.example", "sip:carol@ims.example",
               "[%s]:5060" % A6, "ims.example", from_tag="g6")
    reg = r.request("REGISTER", 1, "g6r", uri="sip:ims.example", extra=[("Expires", "600")])
    ok = r.response(200, "OK", "REGISTER", 1, "g6r", extra=[("Expires", "600")])
    frames.append((70000, gtp_frame(gtpv1(255, TEID_V6, pg.ipv6(
        pg.udp(reg, A6, B6, 5060, 5060), A6, B6, 17), seq=7))))
    frames.append((70040, gtp_frame(gtpv1(255, TEID_V6, pg.ipv6(
        pg.udp(ok, B6, A6, 5060, 5060), B6, A6, 17), seq=8), up=False)))
    frames.append((70100, gtp_frame(gtpv1(254, TEID_DOWN, b""), up=False)))  # end marker
    # GTPv2-C Echo Request (TS 29.274): version 2, no TEID, Recovery IE.
    v2 = struct.pack("!BBH", 0x40, 1, 9) + struct.pack("!I", 0x000001 << 8) + \
        bytes([3, 0, 1, 0, 7])
    frames.append((70200, gtp_frame(v2, sport=2123, dport=2123)))
    with pg.Writer(os.path.join(OUT, "encap-gtpu.pcap")) as w:
        for ms, f in frames:
            w.write(T0 + ms * MS, f)
    # fuzz seeds: the GTP messages, to port 2152 (first byte odd) and to another
    seeds = [f[14 + 20 + 8:] for _, f in frames]
    write_seeds("gtpu", [b"\x01" + g for g in seeds] + [b"\x00" + g for g in seeds[1:3]])
    # and whole frames for fuzz_decode (first byte 1: Ethernet)
    write_seeds("decode", [b"\x01" + f for _, f in frames[1:3]], "gtpu-frame")


# ---- HEP (HOMER Encapsulation Protocol) ----

def hep_chunk(ctype, value, vendor=0):
    return struct.pack("!HHH", vendor, ctype, 6 + len(value)) + value


def hep3(payload, src, dst, sport, dport, ts_ns, proto_type=1, ip_proto=17,
         capture_id=CAPTURE_ID, extra=b""):
    v6 = ":" in src
    chunks = hep_chunk(1, bytes([10 if v6 else 2])) + hep_chunk(2, bytes([ip_proto]))
    chunks += hep_chunk(5 if v6 else 3, pg._ip(src).packed)
    chunks += hep_chunk(6 if v6 else 4, pg._ip(dst).packed)
    chunks += hep_chunk(7, struct.pack("!H", sport)) + hep_chunk(8, struct.pack("!H", dport))
    chunks += hep_chunk(9, struct.pack("!I", ts_ns // 10**9))
    chunks += hep_chunk(10, struct.pack("!I", ts_ns % 10**9 // 1000))
    chunks += hep_chunk(11, bytes([proto_type])) + hep_chunk(12, struct.pack("!I", capture_id))
    chunks += extra + hep_chunk(15, payload)
    return b"HEP3" + struct.pack("!H", 6 + len(chunks)) + chunks


def hep2(payload, src, dst, sport, dport, ts_ns, capture_id):
    """HEPv2 (IPv4): ports in network order, time and capture id as agents
    write them: in host (little-endian) order."""
    hdr = struct.pack("!BBBBHH", 2, 28, 2, 17, sport, dport)
    hdr += pg._ip(src).packed + pg._ip(dst).packed
    hdr += struct.pack("<IIHH", ts_ns // 10**9, ts_ns % 10**9 // 1000, capture_id, 0)
    return hdr + payload


def hep_frame(hep):
    return pg.ethernet(pg.ipv4(pg.udp(hep, AGENT, HOMER, 47000, 9060), AGENT, HOMER, 17), 0x0800)


def hep_sample():
    d = Dialog("hep-call-1@pbx.example", "sip:alice@atlanta.example.com",
               "sip:bob@biloxi.example.com", A4 + ":5060", B4 + ":5060")
    frames = []
    for ms, fwd, msg in call_messages(d):
        s, t = (A4, B4) if fwd else (B4, A4)
        # an auth key and a vendor chunk in the INVITE's packet: both skipped
        extra = hep_chunk(14, b"secret") + hep_chunk(1, b"\x01\x02", vendor=0x0003) \
            if ms == 0 else b""
        frames.append((ms, hep3(msg, s, t, 5060, 5060, T0 + ms * MS, extra=extra)))
    o = Dialog("hep-options-6@pbx.example", "sip:probe@example.com", "sip:pbx@example.com",
               "[%s]:5062" % A6, "[%s]:5060" % B6, from_tag="o6")
    frames.append((5000, hep3(o.request("OPTIONS", 1, "o6"), A6, B6, 5062, 5060,
                              T0 + 5000 * MS)))
    frames.append((5003, hep3(o.response(200, "OK", "OPTIONS", 1, "o6"), B6, A6, 5060, 5062,
                              T0 + 5003 * MS)))
    r = Dialog("hep-reg-2@pbx.example", "sip:dave@example.com", "sip:dave@example.com",
               A4 + ":5070", "registrar.example.com", from_tag="h2")
    frames.append((7000, hep2(r.request("REGISTER", 1, "h2r", uri="sip:example.com"),
                              A4, B4, 5070, 5060, T0 + 7000 * MS, 2)))
    # RTCP (protocol type 5): an SR header only; not SIP, counted
    rtcp = struct.pack("!BBHI", 0x80, 200, 6, 0x12345678) + bytes(20)
    frames.append((8000, hep3(rtcp, A4, B4, 4001, 5001, T0 + 8000 * MS, proto_type=5)))
    with pg.Writer(os.path.join(OUT, "hep3.pcap")) as w:
        for ms, hep in sorted(frames, key=lambda f: f[0]):
            w.write(T0 + (ms + HEP_SLOW.get(ms, HEP_DELAY_MS)) * MS, hep_frame(hep))
    write_seeds("hep", [b"\x01" + h for _, h in frames] + [b"\x00" + frames[0][1]])
    write_seeds("decode", [b"\x01" + hep_frame(frames[0][1])], "hep-frame")


class HepTcp:
    """One agent-to-collector TCP connection; the collector only acknowledges."""

    def __init__(self, w, sport, dport, handshake):
        self.w, self.sport, self.dport = w, sport, dport
        self.seq, self.ack = 1000, 5000
        self.segments = []  # payloads, for the fuzz seeds
        if handshake:
            self.frame(T0, b"", pg.TCP_SYN, up=True)
            self.frame(T0, b"", pg.TCP_SYN | pg.TCP_ACK, up=False)
            self.frame(T0, b"", pg.TCP_ACK, up=True)

    def frame(self, ts, data, flags, up=True):
        if up:
            f = pg.tcp_frame(data, AGENT, HOMER, self.sport, self.dport, self.seq, self.ack, flags)
            self.seq += len(data) + (1 if flags & (pg.TCP_SYN | pg.TCP_FIN) else 0)
        else:
            f = pg.tcp_frame(data, HOMER, AGENT, self.dport, self.sport, self.ack, self.seq, flags)
            self.ack += 1 if flags & (pg.TCP_SYN | pg.TCP_FIN) else 0
        self.w.write(ts, f)

    def send(self, ts, data):
        self.segments.append(data)
        self.frame(ts, data, pg.TCP_ACK | pg.TCP_PSH)
        self.frame(ts + MS // 10, b"", pg.TCP_ACK, up=False)


def hep_tcp_sample():
    d = Dialog("hep-call-1@pbx.example", "sip:alice@atlanta.example.com",
               "sip:bob@biloxi.example.com", A4 + ":5060", B4 + ":5060")
    call = {}
    for ms, fwd, msg in call_messages(d):
        s, t = (A4, B4) if fwd else (B4, A4)
        call[ms] = hep3(msg, s, t, 5060, 5060, T0 + ms * MS)
    rtcp = struct.pack("!BBHI", 0x80, 200, 6, 0x12345678) + bytes(20)
    o = Dialog("hep-options-6@pbx.example", "sip:probe@example.com", "sip:pbx@example.com",
               "[%s]:5062" % A6, "[%s]:5060" % B6, from_tag="o6")
    opt = hep3(o.request("OPTIONS", 1, "o6"), A6, B6, 5062, 5060,
               T0 + 5000 * MS, ip_proto=6)
    ok = hep3(o.response(200, "OK", "OPTIONS", 1, "o6"), B6, A6, 5060, 5062,
              T0 + 5003 * MS, ip_proto=6)

    def at(ms):  # the collector's capture time of what the agent captured at ms
        return T0 + (ms + HEP_SLOW.get(ms, HEP_DELAY_MS)) * MS

    with pg.Writer(os.path.join(OUT, "hep3-tcp.pcap")) as w:
        a = HepTcp(w, 47001, 9060, handshake=True)
        b = HepTcp(w, 47002, 19060, handshake=False)
        a.send(at(0), call[0])
        a.send(at(60), call[20] + call[60])  # two packets in one segment
        ok200 = call[2100]
        a.send(at(2100) - MS, ok200[:200])  # split in the payload chunk
        a.send(at(2100), ok200[200:])
        a.send(at(2110), call[2110])
        b.send(at(5000), opt[:3])  # split in the magic
        b.send(at(5000) + MS // 2, opt[3:] + ok[:5])  # and in the length
        b.send(at(5003), ok[5:])
        a.send(at(8000), hep3(rtcp, A4, B4, 4001, 5001, T0 + 8000 * MS, proto_type=5))
        a.send(at(60000), call[60000] + call[60020][:4])  # the next split after its magic
        a.send(at(60020), call[60020][4:])
        a.frame(at(60020) + MS, b"", pg.TCP_FIN | pg.TCP_ACK)
    # fuzz_tcp_stream seeds: its records (direction 0 of connection `conn`)
    def rec(data, conn=0, delta=0, cut=0):
        return struct.pack("!BhHB", conn << 1, delta, len(data), cut) + data

    seeds = [b"".join(rec(x, conn) for x in c.segments) for conn, c in enumerate((a, b))]
    # a packet over the fuzzer's 4096-byte cap, junk, a hole, a cut packet
    big = b"HEP3" + struct.pack("!H", 5000) + bytes(4994)
    seeds.append(rec(call[0]) + rec(big) + rec(b"junk" + call[20]) + rec(call[60], delta=100) +
                 rec(call[2100][:300], cut=20) + rec(call[2100][320:] + call[2110]))
    write_seeds("tcp_stream", seeds, "hep")


def write_seeds(target, inputs, prefix="seed"):
    d = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fuzz",
                     "corpus", target)
    os.makedirs(d, exist_ok=True)
    for i, data in enumerate(inputs):
        with open(os.path.join(d, "%s-%02d" % (prefix, i)), "wb") as f:
            f.write(data)


# What sipsleuth reports on each sample (test_gtp_hep.py checks it).
GROUND_TRUTH = {
    "encap-gtpu.pcap": {
        "requests": {"INVITE": 1, "ACK": 1, "BYE": 1, "REGISTER": 1},
        "responses": {"100": 1, "180": 1, "200": 3},
        "stats": {"gtpu_packets": 9, "gtp_other": 2, "gtpv2c": 1},
    },
    "hep3.pcap": {
        "requests": {"INVITE": 1, "ACK": 1, "BYE": 1, "OPTIONS": 1, "REGISTER": 1},
        "responses": {"100": 1, "180": 1, "200": 3},
        "stats": {"hep_packets": 10, "hep_not_sip": 1},
    },
    "hep3-tcp.pcap": {
        "requests": {"INVITE": 1, "ACK": 1, "BYE": 1, "OPTIONS": 1},
        "responses": {"100": 1, "180": 1, "200": 3},
        "stats": {"hep_packets": 9, "hep_not_sip": 1},
    },
}


def main():
    gtpu_sample()
    hep_sample()
    hep_tcp_sample()


if __name__ == "__main__":
    main()
