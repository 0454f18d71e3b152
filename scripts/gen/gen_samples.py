#!/usr/bin/env python3
"""Generates the foundation samples in samples/ (see samples/README.md).
Deterministic: the same bytes every run, so a diff shows any change."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as pg  # noqa: E402
from sipmsg import Dialog, message, sdp  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "samples")
T0 = 1772359200 * 10**9  # 2026-03-01T10:00:00Z
MS = 10**6

A4, B4 = "192.0.2.10", "198.51.100.7"
A6, B6 = "2001:db8::10", "2001:db8::7"


def call_messages(d):
    """A complete call: (ms offset, from caller?, bytes)."""
    body = sdp(A4)
    d.to_tag = None
    inv = d.request("INVITE", 1, "inv1", body=body)
    r100 = d.response(100, "Trying", "INVITE", 1, "inv1", to_tag=False)
    d.to_tag = "tt1"
    r180 = d.response(180, "Ringing", "INVITE", 1, "inv1")
    r200 = d.response(200, "OK", "INVITE", 1, "inv1", body=sdp(B4, 5000))
    ack = d.request("ACK", 1, "ack1")
    bye = d.request("BYE", 2, "bye1")
    r200b = d.response(200, "OK", "BYE", 2, "bye1")
    return [(0, True, inv), (20, False, r100), (60, False, r180), (2100, False, r200),
            (2110, True, ack), (60000, True, bye), (60020, False, r200b)]


def write_udp_call(path, d, src, dst, **writer_kw):
    with pg.Writer(path, **writer_kw) as w:
        for ms, fwd, msg in call_messages(d):
            s, t = (src, dst) if fwd else (dst, src)
            w.write(T0 + ms * MS, pg.udp_frame(msg, s, t))


def basic_call():
    d = Dialog("a84b4c76e66710@pc33.example.com", "sip:alice@atlanta.example.com",
               "sip:bob@biloxi.example.com", A4 + ":5060", B4 + ":5060")
    write_udp_call(os.path.join(OUT, "basic-call.pcap"), d, A4, B4)


def register_options_pcapng():
    """pcapng, nanosecond stamps, SIP on port 5080 and an ephemeral port."""
    d = Dialog("reg-1@client.example", "sip:carol@example.com", "sip:carol@example.com",
               A4 + ":40000", "registrar.example.com", from_tag="r1")
    auth = ('Digest username="carol", realm="example.com", nonce="abc", '
            'uri="sip:example.com", response="0123456789abcdef0123456789abcdef"')
    msgs = [
        (True, d.request("REGISTER", 1, "reg1", uri="sip:example.com", extra=[("Expires", "3600")])),
        (False, d.response(401, "Unauthorized", "REGISTER", 1, "reg1",
                           extra=[("WWW-Authenticate", 'Digest realm="example.com", nonce="abc"')])),
        (True, d.request("REGISTER", 2, "reg2", uri="sip:example.com",
                         extra=[("Expires", "3600"), ("Authorization", auth)])),
        (False, d.response(200, "OK", "REGISTER", 2, "reg2", extra=[("Expires", "3600")])),
        (True, d.request("OPTIONS", 3, "opt1", uri="sip:example.com")),
        (False, d.response(200, "OK", "OPTIONS", 3, "opt1")),
    ]
    with pg.Writer(os.path.join(OUT, "register-options.pcapng"), pcapng=True, nanosecond=True) as w:
        for i, (fwd, msg) in enumerate(msgs):
            s, t, sp, dp = (A4, B4, 40000, 5080) if fwd else (B4, A4, 5080, 40000)
            w.write(T0 + i * 15 * MS + 123, pg.udp_frame(msg, s, t, sp, dp))


def link_types():
    """The same MESSAGE transaction over each link type sipsleuth decodes."""
    d = Dialog("msg-1@host.example", "sip:dave@example.com", "sip:erin@example.com",
               "[2001:db8::10]:5060", "[2001:db8::7]:5060", from_tag="m1")
    req = d.request("MESSAGE", 1, "msg1", extra=[("Content-Type", "text/plain")])
    resp = d.response(200, "OK", "MESSAGE", 1, "msg1")

    def ipb(msg, src, dst, ext=False):
        u = pg.udp(msg, src, dst, 5060, 5060)
        if ":" in src and ext:
            # hop-by-hop options (PadN) then destination options (PadN) before UDP
            hbh = bytes([60, 0, 1, 4, 0, 0, 0, 0])
            dopt = bytes([17, 0, 1, 4, 0, 0, 0, 0])
            return pg.ipv6(hbh + dopt + u, src, dst, 0)
        return pg.ip_packet(u, src, dst, 17)

    cases = [
        ("linktype-sll.pcap", pg.LINKTYPE_LINUX_SLL, lambda ip: pg.linux_sll(ip), A4, B4, False),
        ("linktype-sll2-ipv6.pcap", pg.LINKTYPE_LINUX_SLL2, lambda ip: pg.linux_sll2(ip), A6, B6, True),
        ("linktype-null-le.pcap", pg.LINKTYPE_NULL, lambda ip: pg.bsd_null(ip), A4, B4, False),
        ("linktype-null-be-ipv6.pcap", pg.LINKTYPE_NULL, lambda ip: pg.bsd_null(ip, True), A6, B6, False),
        ("linktype-raw.pcap", pg.LINKTYPE_RAW, lambda ip: ip, A4, B4, False),
        ("linktype-ppp.pcap", pg.LINKTYPE_PPP, pg.ppp, A4, B4, False),
        ("linktype-chdlc-ipv6.pcap", pg.LINKTYPE_C_HDLC, pg.cisco_hdlc, A6, B6, False),
        ("pppoe.pcap", pg.LINKTYPE_ETHERNET,
         lambda ip: pg.ethernet(pg.pppoe_session(ip), 0x8864), A4, B4, False),
    ]
    for name, lt, wrap, src, dst, ext in cases:
        with pg.Writer(os.path.join(OUT, name), linktype=lt) as w:
            w.write(T0, wrap(ipb(req, src, dst, ext)))
            w.write(T0 + 5 * MS, wrap(ipb(resp, dst, src, ext)))


def vlans():
    """802.1ad + 802.1Q (QinQ) and a three-tag stack."""
    d = Dialog("vlan-1@example", "sip:frank@example.com", "sip:grace@example.com",
               A4 + ":5060", B4 + ":5060", from_tag="v1")
    req = d.request("OPTIONS", 1, "v1")
    resp = d.response(200, "OK", "OPTIONS", 1, "v1")
    with pg.Writer(os.path.join(OUT, "vlan-qinq.pcap")) as w:
        w.write(T0, pg.udp_frame(req, A4, B4, vlans=[(0x88A8, 100), (0x8100, 200)]))
        w.write(T0 + MS, pg.udp_frame(resp, B4, A4, vlans=[(0x88A8, 100), (0x8100, 200)]))
        w.write(T0 + 2 * MS, pg.udp_frame(req, A4, B4,
                                          vlans=[(0x9100, 10), (0x88A8, 20), (0x8100, 30)]))


def syntax_variety():
    """Compact forms, folded lines, multi-value headers, tel/sips URIs, quoting."""
    compact = message("INVITE sip:+12125551212@gw.example.com;user=phone SIP/2.0", [
        ("v", "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKc1, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKc0"),
        ("f", '"Smith, John \\"JS\\"" <sip:john@example.com>;tag=cf1'),
        ("t", "<tel:+1-212-555-1212>"), ("i", "compact-1@example.com"), ("CSeq", "7 INVITE"),
        ("m", "<sip:john@192.0.2.10>;q=0.7, <sips:john@secure.example.com>;q=1.0"),
        ("k", "timer"), ("s", "compact"), ("o", "presence"), ("u", "presence"),
        ("r", "<sip:x@example.com>"), ("b", "<sip:y@example.com>"), ("x", "1800"),
        ("a", "*;audio"), ("j", "*;video"), ("d", "proxy"), ("e", "identity"),
        ("y", "e30.e30.c2ln"), ("n", "<https://cert.example/c.pem>"),
        ("c", "application/sdp"),
    ], body=sdp(A4))
    folded = message("SUBSCRIBE sips:alice@[2001:db8::1]:5061;transport=tcp SIP/2.0", [
        ("Via", "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKf1"),
        b"From: Alice\r\n   <sip:alice@example.com>\r\n\t;tag=fold1",
        ("To", "sip:alice@example.com"), ("Call-ID", "folded-1@example.com"),
        ("CSeq", "1 SUBSCRIBE"), ("Event", "presence"),
        b"User-Agent: Very\r\n Long\r\n  Agent/2.0",
        ("Contact", "sip:alice@192.0.2.10;expires=60"),
        ("contact", "<sip:alice@192.0.2.11>"),
    ])
    reply = message("SIP/2.0 202 Accepted", [
        ("Via", "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKf1"),
        ("From", "Alice <sip:alice@example.com>;tag=fold1"),
        ("To", "sip:alice@example.com;tag=srv9"), ("Call-ID", "folded-1@example.com"),
        ("CSeq", "1 SUBSCRIBE"), ("Expires", "60"), ("Server", "pcapgen-server/1.0"),
    ])
    keepalive = b"\r\n\r\n"
    with pg.Writer(os.path.join(OUT, "syntax-variety.pcap")) as w:
        w.write(T0, pg.udp_frame(compact, A4, B4, 5060, 5070))
        w.write(T0 + MS, pg.udp_frame(folded, A4, B4))
        w.write(T0 + 2 * MS, pg.udp_frame(reply, B4, A4))
        w.write(T0 + 3 * MS, pg.udp_frame(keepalive, A4, B4))


def hostile():
    """Malformed and hostile SIP: each must give an anomaly or be handled, never a crash."""
    ok_hdrs = [("Via", "SIP/2.0/UDP 192.0.2.66;branch=z9hG4bKh"), ("From", "<sip:a@x>;tag=1"),
               ("To", "<sip:b@y>"), ("Call-ID", "hostile-%d"), ("CSeq", "1 OPTIONS")]

    def hdrs(n, extra=()):
        return [(k, v % n if "%d" in v else v) for k, v in ok_hdrs] + list(extra)

    msgs = [
        # control characters, NUL and invalid UTF-8 inside header values
        message("OPTIONS sip:b@y SIP/2.0", hdrs(1, [
            ("User-Agent", b"evil\x00agent\x01\x1b[31m\xff\xfe\xc0\x80 \xed\xa0\x80"),
            ("Subject", b"caf\xc3\xa9 \"quoted\" back\\slash")])),
        # a header line without a colon
        message("OPTIONS sip:b@y SIP/2.0", hdrs(2, [b"ThisLineHasNoColon"])),
        # huge and negative Content-Length
        message("OPTIONS sip:b@y SIP/2.0", hdrs(3, [("Content-Length", "99999999999999999999")]),
                content_length=False),
        message("OPTIONS sip:b@y SIP/2.0", hdrs(4, [("Content-Length", "-5")]), content_length=False),
        # Content-Length larger than the datagram
        message("OPTIONS sip:b@y SIP/2.0", hdrs(5, [("Content-Length", "500")]),
                content_length=False) + b"short body",
        # 10 000 headers in one datagram
        message("OPTIONS sip:b@y SIP/2.0", hdrs(6, [b"X: y"] * 10000)),
        # no blank line at all
        b"OPTIONS sip:b@y SIP/2.0\r\nCall-ID: hostile-7\r\nCSeq: 1 OPTIONS",
        # oversized Call-ID
        message("OPTIONS sip:b@y SIP/2.0", [(k, v) for k, v in hdrs(8) if k != "Call-ID"] +
                [("Call-ID", "c" * 3000)]),
    ]
    not_sip = [
        b"\x00\x01\x02\x03 random binary on the SIP port",
        b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
        b"SIP/2.0\r\n",  # a status line without a code
        b"INVITE sip:b@y SIP/3.0\r\nCall-ID: x\r\n\r\n",  # not SIP/2.0
    ]
    with pg.Writer(os.path.join(OUT, "hostile.pcap")) as w:
        t = T0
        for m in msgs + not_sip:
            w.write(t, pg.udp_frame(m, "203.0.113.66", B4, 5060, 5060))
            t += MS
        # an INVITE cut by a 200-byte snaplen
        d = Dialog("snap-1@example", "sip:a@x", "sip:b@y", "203.0.113.66:5060", B4 + ":5060")
        full = pg.udp_frame(d.request("INVITE", 1, "s1", body=sdp(A4)), "203.0.113.66", B4)
        w.write(t, full[:200], orig_len=len(full))


def main():
    os.makedirs(OUT, exist_ok=True)
    basic_call()
    register_options_pcapng()
    link_types()
    vlans()
    syntax_variety()
    hostile()


if __name__ == "__main__":
    main()
