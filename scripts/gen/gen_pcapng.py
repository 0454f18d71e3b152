#!/usr/bin/env python3
"""Generates samples/linktype-mixed.pcapng (see samples/README.md) and the seed
corpus of tests/fuzz/fuzz_pcapng.c. Deterministic: the same bytes every run."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as pg  # noqa: E402
from sipmsg import Dialog, sdp  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SAMPLES = os.path.join(ROOT, "samples")
SEEDS = os.path.join(ROOT, "tests", "fuzz", "corpus", "pcapng")
T0_S = 1772359200  # 2026-03-01T10:00:00Z
T0 = T0_S * 10**9
MS = 10**6
A4, B4 = "192.0.2.10", "198.51.100.7"
A6, B6 = "2001:db8::10", "2001:db8::7"
LINKTYPE_IEEE802_11 = 105  # a link type sipsleuth does not decode


def udp_ip(msg, src, dst):
    return pg.ip_packet(pg.udp(msg, src, dst, 5060, 5060), src, dst, 17)


def mixed(path):
    """Two sections (little-, then big-endian), seven interfaces of five link
    types with four timestamp resolutions, every packet block type, and the
    blocks a reader skips; 13 SIP messages."""
    reg = Dialog("mixed-reg@a.example", "sip:alice@example.com", "sip:alice@example.com",
                 A4 + ":5060", B4 + ":5060", from_tag="mr")
    opt = Dialog("mixed-opt@a.example", "sip:alice@example.com", "sip:bob@example.com",
                 A4 + ":5060", B4 + ":5060", from_tag="mo")
    msg = Dialog("mixed-msg@a.example", "sip:dave@example.com", "sip:erin@example.com",
                 "[2001:db8::10]:5060", "[2001:db8::7]:5060", from_tag="mm")
    call = Dialog("mixed-call@a.example", "sip:carol@example.com", "sip:dan@example.com",
                  A4 + ":5060", B4 + ":5060", from_tag="mc")
    with pg.PcapngWriter(path) as w:
        w.section()
        eth = w.interface(pg.LINKTYPE_ETHERNET, name="eth0")  # microseconds
        sll = w.interface(pg.LINKTYPE_LINUX_SLL, tsresol=9, name="any")  # nanoseconds
        raw = w.interface(pg.LINKTYPE_RAW, tsresol=0x80 | 20, name="tun0")  # 2^-20 s
        wifi = w.interface(LINKTYPE_IEEE802_11, name="wlan0")
        w.custom(32473, b"a custom block to skip")
        w.name_resolution(B4, "registrar.example.com")
        w.packet(eth, T0, pg.udp_frame(reg.request("REGISTER", 1, "r1", uri="sip:example.com",
                                                   extra=[("Expires", "3600")]), A4, B4))
        w.packet(eth, T0 + 10 * MS, pg.udp_frame(reg.response(200, "OK", "REGISTER", 1, "r1"),
                                                 B4, A4))
        w.packet(sll, T0 + 20 * MS + 7, pg.linux_sll(udp_ip(opt.request("OPTIONS", 1, "o1"), A4,
                                                            B4)))
        w.packet(sll, T0 + 30 * MS + 7, pg.linux_sll(udp_ip(opt.response(200, "OK", "OPTIONS", 1,
                                                                          "o1"), B4, A4), 4))
        w.packet(wifi, T0 + 35 * MS, bytes(range(48)))  # counted, not decoded
        w.packet(raw, T0 + 40 * MS, udp_ip(msg.request("MESSAGE", 1, "m1",
                                                       extra=[("Content-Type", "text/plain")]),
                                           A6, B6))
        w.packet(raw, T0 + 50 * MS, udp_ip(msg.response(200, "OK", "MESSAGE", 1, "m1"), B6, A6),
                 obsolete=True)
        w.interface_statistics(eth, T0 + 60 * MS, 2, 0)

        w.section(big_endian=True)
        null = w.interface(pg.LINKTYPE_NULL, tsoffset=T0_S, name="lo0")  # stamps from T0
        eth = w.interface(pg.LINKTYPE_ETHERNET, tsresol=3, name="en0")  # milliseconds
        t = T0 + 100 * MS
        call.to_tag = None
        w.packet(null, t, pg.bsd_null(udp_ip(call.request("INVITE", 1, "i1", body=sdp(A4)), A4,
                                             B4), True))
        call.to_tag = "mct"
        w.packet(null, t + 50 * MS, pg.bsd_null(udp_ip(call.response(180, "Ringing", "INVITE", 1,
                                                                     "i1"), B4, A4), True))
        w.packet(null, t + 900 * MS, pg.bsd_null(udp_ip(call.response(200, "OK", "INVITE", 1, "i1",
                                                                      body=sdp(B4, 5000)), B4, A4),
                                                 True))
        w.packet(null, t + 950 * MS, pg.bsd_null(udp_ip(call.request("ACK", 1, "a1"), A4, B4), True))
        w.packet(eth, t + 5000 * MS, pg.udp_frame(call.request("BYE", 2, "b1"), A4, B4))
        w.packet(eth, t + 5020 * MS, pg.udp_frame(call.response(200, "OK", "BYE", 2, "b1"), B4, A4))
        # no timestamp: it takes the time of the packet before it
        w.simple_packet(pg.bsd_null(udp_ip(opt.request("OPTIONS", 2, "o2"), A4, B4), True))
        w.custom(32473, b"not to be copied", copyable=False)


def seed(name, build):
    with pg.PcapngWriter(os.path.join(SEEDS, name)) as w:
        build(w)


def seeds():
    """Small files that reach each kind of block and option."""
    os.makedirs(SEEDS, exist_ok=True)
    frame = pg.udp_frame(b"OPTIONS sip:a@b SIP/2.0\r\n\r\n", A4, B4)

    def two_sections(w):
        for be in (False, True):
            w.section(big_endian=be)
            w.interface(pg.LINKTYPE_ETHERNET, tsresol=9, tsoffset=5, name="e")
            w.interface(pg.LINKTYPE_RAW, tsresol=0x80 | 32, snaplen=16)
            w.packet(0, T0, frame)
            w.packet(1, T0, frame[14:], obsolete=True)
            w.simple_packet(frame)
            w.name_resolution(A4, "a.example")
            w.interface_statistics(0, T0, 1, 0)
            w.custom(1, b"x")

    def truncated(w):
        w.section()
        w.interface(pg.LINKTYPE_LINUX_SLL)
        w.packet(0, T0, pg.linux_sll(frame[14:]))
        w.f.write(b"\x06\x00\x00\x00\x40\x00\x00\x00partial")

    def no_interface(w):
        w.section(big_endian=True)
        w.simple_packet(frame)

    def bad_version(w):
        w.block(0x0A0D0D0A, b"\x4d\x3c\x2b\x1a\x02\x00\x00\x00" + b"\xff" * 8)

    seed("two-sections", two_sections)
    seed("truncated-last-block", truncated)
    seed("packet-without-interface", no_interface)
    seed("version-2", bad_version)


def main():
    mixed(os.path.join(SAMPLES, "linktype-mixed.pcapng"))
    seeds()
    mixed(os.path.join(SEEDS, "linktype-mixed"))


if __name__ == "__main__":
    main()
