#!/usr/bin/env python3
"""Generates the encapsulation samples: one REGISTER/200 transaction inside
each wrapper a span or mirror port delivers (MPLS, GRE, ERSPAN II/III, VXLAN,
IP-in-IP, IPv6-in-IPv4), and a call whose every packet the span port sent
twice. Deterministic."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as pg  # noqa: E402
from sipmsg import Dialog  # noqa: E402
from gen_samples import OUT, T0, MS, A4, B4, A6, B6, call_messages  # noqa: E402

O1, O2 = "203.0.113.1", "203.0.113.2"  # tunnel endpoints / mirror source and collector


def transaction(src_host, tag):
    d = Dialog("encap-%s@example" % tag, "sip:ivy@example.com", "sip:ivy@example.com",
               src_host, "registrar.example.com", from_tag=tag)
    return (d.request("REGISTER", 1, tag, uri="sip:example.com", extra=[("Expires", "600")]),
            d.response(200, "OK", "REGISTER", 1, tag, extra=[("Expires", "600")]))


def inner_ip(msg, src, dst):
    return pg.ip_packet(pg.udp(msg, src, dst, 5060, 5060), src, dst, 17)


def inner_eth(msg, src, dst):
    ip = inner_ip(msg, src, dst)
    return pg.ethernet(ip, pg.ethertype_of(ip))


def outer_ipv4(payload, proto):
    return pg.ethernet(pg.ipv4(payload, O1, O2, proto), 0x0800)


WRAPPERS = {
    "encap-mpls.pcap": lambda m, s, d: pg.ethernet(pg.mpls(inner_ip(m, s, d), [100, 200]), 0x8847),
    "encap-gre.pcap": lambda m, s, d: outer_ipv4(pg.gre(inner_ip(m, s, d), 0x0800, key=42), 47),
    "encap-erspan2.pcap": lambda m, s, d: outer_ipv4(
        pg.gre(pg.erspan2(inner_eth(m, s, d), 300), 0x88BE, seq=1), 47),
    "encap-erspan3.pcap": lambda m, s, d: outer_ipv4(
        pg.gre(pg.erspan3(inner_eth(m, s, d), 301), 0x22EB, seq=2), 47),
    "encap-vxlan.pcap": lambda m, s, d: outer_ipv4(
        pg.udp(pg.vxlan(inner_eth(m, s, d), 5000), O1, O2, 49152, 4789), 17),
    "encap-ipip.pcap": lambda m, s, d: outer_ipv4(inner_ip(m, s, d), 4),
    "encap-6in4.pcap": lambda m, s, d: outer_ipv4(inner_ip(m, s, d), 41),
}


def main():
    for name, wrap in WRAPPERS.items():
        src, dst = (A6, B6) if name == "encap-6in4.pcap" else (A4, B4)
        req, resp = transaction("%s:5060" % (("[%s]" % src) if ":" in src else src), name[6:-5])
        with pg.Writer(os.path.join(OUT, name)) as w:
            w.write(T0, wrap(req, src, dst))
            w.write(T0 + 3 * MS, wrap(resp, dst, src))

    # A span port that copies each packet on ingress and on egress: the second
    # copy 30 µs later, one router hop further (TTL - 1, other MACs).
    d = Dialog("span-dup-1@example", "sip:alice@atlanta.example.com",
               "sip:bob@biloxi.example.com", A4 + ":5060", B4 + ":5060")
    with pg.Writer(os.path.join(OUT, "span-duplicates.pcap")) as w:
        for ms, fwd, msg in call_messages(d):
            s, t = (A4, B4) if fwd else (B4, A4)
            u = pg.udp(msg, s, t, 5060, 5060)
            w.write(T0 + ms * MS, pg.ethernet(pg.ipv4(u, s, t, 17, ident=ms & 0xFFFF), 0x0800))
            w.write(T0 + ms * MS + 30_000, pg.ethernet(
                pg.ipv4(u, s, t, 17, ident=ms & 0xFFFF, ttl=63), 0x0800,
                src=bytes.fromhex("020000000003"), dst=bytes.fromhex("020000000004")))


if __name__ == "__main__":
    main()
