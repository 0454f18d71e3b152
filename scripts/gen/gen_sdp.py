#!/usr/bin/env python3
"""Generates samples/sdp-media.pcap (see samples/README.md): calls whose SDP
offers and answers are known, for tests/integration/test_sdp.py, which takes
its expected values from EXPECTED here (the ground truth the capture is built
from). Deterministic: the same bytes every run."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_dialogs import A, B, Call, Capture  # noqa: E402

RTPMAP = {0: ("PCMU", 8000), 8: ("PCMA", 8000), 9: ("G722", 8000), 18: ("G729", 8000),
          96: ("opus", 48000, 2), 101: ("telephone-event", 8000)}


def sdp(ip, port, pts, direction=None, ptime=None, video=None):
    """An SDP body and what it says (the expected `media` object)."""
    lines = ["v=0", "o=- 7 7 IN IP4 %s" % ip, "s=-", "c=IN IP4 %s" % ip, "t=0 0",
             "m=audio %d RTP/AVP %s" % (port, " ".join(map(str, pts)))]
    codecs = []
    for pt in pts:
        m = RTPMAP[pt]
        if pt >= 96 or pt == 18:  # 18 with an rtpmap, the others static
            lines.append("a=rtpmap:%d %s/%d" % (pt, m[0], m[1]) + ("/%d" % m[2] if len(m) > 2 else ""))
        c = {"pt": pt, "name": m[0], "rate": m[1]}
        if len(m) > 2:
            c["channels"] = m[2]
        codecs.append(c)
    if ptime:
        lines.append("a=ptime:%d" % ptime)
    if direction:
        lines.append("a=" + direction)
    stream = {"media": "audio", "port": port, "proto": "RTP/AVP", "connection_ip": ip,
              "formats": [str(p) for p in pts], "codecs": codecs,
              "direction": direction or "sendrecv"}
    if ptime:
        stream["ptime"] = ptime
    streams = [stream]
    if video:
        lines += ["m=video %d RTP/AVP 34" % video, "c=IN IP4 192.0.2.99"]
        streams.append({"media": "video", "port": video, "proto": "RTP/AVP",
                        "connection_ip": "192.0.2.99", "formats": ["34"],
                        "codecs": [{"pt": 34, "name": "H263", "rate": 90000}],
                        "direction": direction or "sendrecv"})
    hold = direction in ("sendonly", "inactive") or ip == "0.0.0.0"
    return ("\r\n".join(lines) + "\r\n").encode(), {"connection_ip": ip, "hold": hold,
                                                    "streams": streams}


def multipart(sdp_body):
    return (b"--unique-boundary-1\r\nContent-Type: application/isup;version=itu-t92+\r\n"
            b"Content-Disposition: signal;handling=optional\r\n\r\n\x01\x00\x49\x00\r\n"
            b"--unique-boundary-1\r\nContent-Type: application/sdp\r\n\r\n" + sdp_body +
            b"\r\n--unique-boundary-1--\r\n")


# Call-ID -> {offer, answer, holds, sip: [(method or status, media)]} and the
# anomalies (call_id, kind, offset in the message).
EXPECTED = {}
ANOMALIES = []


def hold_call(c):
    """Offer/answer, then re-INVITEs: hold (sendonly), resume, hold (0.0.0.0)."""
    d = Call("hold-1@a.example", A, B)
    sip = []

    def send(ms, src, dst, msg, what, media):
        c.udp(ms, src, dst, msg)
        sip.append((what, media))

    o1, e1 = sdp(A, 4000, [0, 8, 101], ptime=20, video=5000)
    a1, f1 = sdp(B, 6000, [8, 101], direction="sendrecv")
    send(0, A, B, d.req("INVITE", 1, "h1", body=o1), "INVITE", e1)
    send(500, B, A, d.resp(180, "Ringing", "INVITE", 1, "h1", "th"), 180, None)
    send(2000, B, A, d.resp(200, "OK", "INVITE", 1, "h1", "th", body=a1), 200, f1)
    send(2010, A, B, d.req("ACK", 1, "h1a", "th"), "ACK", None)
    o2, e2 = sdp(A, 4000, [8, 101], direction="sendonly")
    a2, f2 = sdp(B, 6000, [8, 101], direction="recvonly")
    send(10000, A, B, d.req("INVITE", 2, "h2", "th", body=o2), "INVITE", e2)
    send(10100, B, A, d.resp(200, "OK", "INVITE", 2, "h2", "th", body=a2), 200, f2)
    send(10110, A, B, d.req("ACK", 2, "h2a", "th"), "ACK", None)
    o3, e3 = sdp(A, 4000, [8, 101])
    send(20000, A, B, d.req("INVITE", 3, "h3", "th", body=o3), "INVITE", e3)
    send(20100, B, A, d.resp(200, "OK", "INVITE", 3, "h3", "th", body=a1), 200, f1)
    send(20110, A, B, d.req("ACK", 3, "h3a", "th"), "ACK", None)
    o4, e4 = sdp("0.0.0.0", 4000, [8])
    a4, f4 = sdp(B, 6000, [8])
    send(30000, A, B, d.req("INVITE", 4, "h4", "th", body=o4), "INVITE", e4)
    send(30100, B, A, d.resp(200, "OK", "INVITE", 4, "h4", "th", body=a4), 200, f4)
    send(30110, A, B, d.req("ACK", 4, "h4a", "th"), "ACK", None)
    send(40000, A, B, d.req("BYE", 5, "h5", "th"), "BYE", None)
    send(40050, B, A, d.resp(200, "OK", "BYE", 5, "h5", "th"), 200, None)
    EXPECTED[d.call_id] = {"offer": e4, "answer": f4, "holds": 2, "sip": sip}


def late_offer(c):
    """An INVITE without SDP: the 200 offers, the ACK answers."""
    d = Call("late-1@a.example", A, B)
    o, e = sdp(B, 7000, [9, 0])
    a, f = sdp(A, 4100, [9])
    c.udp(50000, A, B, d.req("INVITE", 1, "l1"))
    c.udp(51000, B, A, d.resp(200, "OK", "INVITE", 1, "l1", "tl", body=o))
    c.udp(51010, A, B, d.req("ACK", 1, "l1a", "tl", body=a))
    EXPECTED[d.call_id] = {"offer": e, "answer": f, "holds": 0,
                           "sip": [("INVITE", None), (200, e), ("ACK", f)]}


def reliable_offer(c):
    """100rel (RFC 3262) without SDP in the INVITE: the reliable 183 offers,
    the PRACK answers, the 200 repeats the 183's SDP (not a new offer)."""
    d = Call("rel-1@a.example", A, B)
    o, e = sdp(B, 7200, [0, 101], ptime=20)
    a, f = sdp(A, 4400, [0, 101], direction="sendrecv")
    rel = [("Require", "100rel"), ("RSeq", "1")]
    c.udp(80000, A, B, d.req("INVITE", 1, "r1"))
    c.udp(80200, B, A, d.resp(183, "Session Progress", "INVITE", 1, "r1", "tr", extra=rel,
                              body=o))
    c.udp(80300, A, B, d.req("PRACK", 2, "r2", "tr", body=a))
    c.udp(80400, B, A, d.resp(200, "OK", "PRACK", 2, "r2", "tr"))
    c.udp(83000, B, A, d.resp(200, "OK", "INVITE", 1, "r1", "tr", body=o))
    c.udp(83010, A, B, d.req("ACK", 1, "r1a", "tr"))
    EXPECTED[d.call_id] = {"offer": e, "answer": f, "holds": 0,
                           "sip": [("INVITE", None), (183, e), ("PRACK", f), (200, None),
                                   (200, e), ("ACK", None)]}


def multipart_call(c):
    """SIP-I: the INVITE's SDP in a multipart/mixed body beside ISUP; a 183
    answers (early media), the 200 repeats the answer."""
    d = Call("mp-1@a.example", A, B)
    o, e = sdp(A, 4200, [18, 101], ptime=30)
    a, f = sdp(B, 6200, [18, 101], ptime=30)
    inv = d.req("INVITE", 1, "m1", body=multipart(o)).replace(
        b"Content-Type: application/sdp",
        b'Content-Type: multipart/mixed;boundary="unique-boundary-1"', 1)
    c.udp(60000, A, B, inv)
    c.udp(60500, B, A, d.resp(183, "Session Progress", "INVITE", 1, "m1", "tm", body=a))
    c.udp(62000, B, A, d.resp(200, "OK", "INVITE", 1, "m1", "tm", body=a))
    c.udp(62010, A, B, d.req("ACK", 1, "m1a", "tm"))
    EXPECTED[d.call_id] = {"offer": e, "answer": f, "holds": 0,
                           "sip": [("INVITE", e), (183, f), (200, f), ("ACK", None)]}


def malformed(c):
    """An INVITE whose SDP has a line that is not type=value: an anomaly at
    that line; the lines around it still count."""
    d = Call("bad-1@a.example", A, B)
    body = (b"v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
            b"m=audio 4300 RTP/AVP 0\r\nthis line is junk\r\na=sendonly\r\n")
    inv = d.req("INVITE", 1, "x1", body=body)
    c.udp(70000, A, B, inv)
    c.udp(70100, B, A, d.resp(486, "Busy Here", "INVITE", 1, "x1", "tx"))
    c.udp(70110, A, B, d.req("ACK", 1, "x1", "tx"))
    ANOMALIES.append((d.call_id, "sdp_malformed", inv.index(b"this line is junk")))
    e = {"connection_ip": "192.0.2.10", "hold": True,
         "streams": [{"media": "audio", "port": 4300, "proto": "RTP/AVP",
                      "connection_ip": "192.0.2.10", "formats": ["0"],
                      "codecs": [{"pt": 0, "name": "PCMU", "rate": 8000}],
                      "direction": "sendonly"}]}
    EXPECTED[d.call_id] = {"offer": e, "answer": None, "holds": 0,
                           "sip": [("INVITE", e), (486, None), ("ACK", None)]}


def main(name="sdp-media.pcap"):
    EXPECTED.clear()
    del ANOMALIES[:]
    c = Capture(name)
    for gen in (hold_call, late_offer, reliable_offer, multipart_call, malformed):
        gen(c)
    c.close()


if __name__ == "__main__":
    main()
