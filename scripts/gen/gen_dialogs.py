#!/usr/bin/env python3
"""Generates the dialog-tracker samples samples/dialog-*.pcap (see
samples/README.md). Each capture is a timeline with known ground truth:
tests/integration/test_dialogs.py asserts the exact outcome, timings and
counts of every call attempt. Deterministic: the same bytes every run."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as pg  # noqa: E402
from sipmsg import message, sdp  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "samples")
T0 = 1772359200 * 10**9  # 2026-03-01T10:00:00Z
MS = 10**6

A, P, B = "192.0.2.10", "203.0.113.1", "198.51.100.7"
ALICE, BOB = "sip:alice@a.example", "sip:bob@b.example"


class Call:
    """The SIP text of one call leg: requests from either side and their
    responses, with Via, tags and CSeq as a compliant UA would set them."""

    def __init__(self, call_id, caller_host, callee_host, from_tag="fa", transport="UDP",
                 ruri=BOB):
        self.call_id, self.transport, self.ruri = call_id, transport, ruri
        self.caller_host, self.callee_host = caller_host, callee_host
        self.from_tag = from_tag

    def _via(self, host, branch):
        return ("Via", "SIP/2.0/%s %s;branch=z9hG4bK%s" % (self.transport, host, branch))

    def _parties(self, to_tag, from_callee):
        caller = "<%s>;tag=%s" % (ALICE, self.from_tag)
        callee = "<%s>" % BOB + (";tag=%s" % to_tag if to_tag else "")
        return (callee, caller) if from_callee else (caller, callee)

    def req(self, method, cseq, branch, to_tag=None, from_callee=False, ruri=None, body=b""):
        frm, to = self._parties(to_tag, from_callee)
        host = self.callee_host if from_callee else self.caller_host
        hdrs = [self._via(host, branch), ("Max-Forwards", "70"), ("From", frm), ("To", to),
                ("Call-ID", self.call_id), ("CSeq", "%d %s" % (cseq, method)),
                ("Contact", "<sip:%s>" % host)]
        if body:
            hdrs.append(("Content-Type", "application/sdp"))
        uri = ruri or (("sip:alice@%s" % self.caller_host) if from_callee else self.ruri)
        return message("%s %s SIP/2.0" % (method, uri), hdrs, body)

    def resp(self, code, reason, method, cseq, branch, to_tag=None, from_callee=False,
             extra=(), body=b""):
        """A response to a request (from_callee: to a request the callee sent)."""
        frm, to = self._parties(to_tag, from_callee)
        host = self.callee_host if from_callee else self.caller_host
        hdrs = [self._via(host, branch), ("From", frm), ("To", to), ("Call-ID", self.call_id),
                ("CSeq", "%d %s" % (cseq, method))] + list(extra)
        if body:
            hdrs.append(("Content-Type", "application/sdp"))
        return message("SIP/2.0 %d %s" % (code, reason), hdrs, body)


class Capture:
    """Frames on a timeline: UDP, or TCP with one connection per direction
    pair (handshake first, sequence numbers tracked)."""

    def __init__(self, name):
        self.w = pg.Writer(os.path.join(OUT, name))
        self.tcp = {}

    def udp(self, ms, src, dst, msg):
        self.w.write(T0 + int(ms * MS), pg.udp_frame(msg, src, dst))

    def tcp_msg(self, ms, src, dst, sport, dport, msg):
        key = (src, dst, sport, dport)
        rkey = (dst, src, dport, sport)
        if key not in self.tcp and rkey not in self.tcp:
            t = T0 + int(ms * MS) - 1000
            self.w.write(t, pg.tcp_frame(b"", src, dst, sport, dport, 1000, 0, pg.TCP_SYN))
            self.w.write(t + 100, pg.tcp_frame(b"", dst, src, dport, sport, 5000, 1001,
                                               pg.TCP_SYN | pg.TCP_ACK))
            self.w.write(t + 200, pg.tcp_frame(b"", src, dst, sport, dport, 1001, 5001))
            self.tcp[key], self.tcp[rkey] = 1001, 5001
        seq, ack = self.tcp[key], self.tcp[rkey]
        self.w.write(T0 + int(ms * MS), pg.tcp_frame(msg, src, dst, sport, dport, seq, ack))
        self.tcp[key] = seq + len(msg)

    def close(self):
        self.w.close()


def completed():
    """Call 1 (UDP): answered, caller hangs up. Call 2 (TCP): callee hangs up."""
    c = Capture("dialog-completed.pcap")
    d = Call("done-1@a.example", A, B)
    c.udp(0, A, B, d.req("INVITE", 1, "i1", body=sdp(A)))
    c.udp(30, B, A, d.resp(100, "Trying", "INVITE", 1, "i1"))
    c.udp(800, B, A, d.resp(180, "Ringing", "INVITE", 1, "i1", "tb"))
    c.udp(4200, B, A, d.resp(200, "OK", "INVITE", 1, "i1", "tb"))
    c.udp(4230, A, B, d.req("ACK", 1, "a1", "tb"))
    c.udp(64200, A, B, d.req("BYE", 2, "b1", "tb"))
    c.udp(64250, B, A, d.resp(200, "OK", "BYE", 2, "b1", "tb"))

    d = Call("done-2@a.example", A, B, transport="TCP")
    sp, dp = 40100, 5060
    c.tcp_msg(100000, A, B, sp, dp, d.req("INVITE", 1, "i2", body=sdp(A)))
    c.tcp_msg(100050, B, A, dp, sp, d.resp(100, "Trying", "INVITE", 1, "i2"))
    c.tcp_msg(101000, B, A, dp, sp, d.resp(183, "Session Progress", "INVITE", 1, "i2", "tc"))
    c.tcp_msg(102500, B, A, dp, sp, d.resp(200, "OK", "INVITE", 1, "i2", "tc"))
    c.tcp_msg(102550, A, B, sp, dp, d.req("ACK", 1, "a2", "tc"))
    c.tcp_msg(132500, B, A, dp, sp, d.req("BYE", 1, "b2", "tc", from_callee=True))
    c.tcp_msg(132540, A, B, sp, dp, d.resp(200, "OK", "BYE", 1, "b2", "tc", from_callee=True))
    c.close()


def failed():
    """Busy (486) and not found (404), each ACKed."""
    c = Capture("dialog-failed.pcap")
    for i, (code, reason) in enumerate(((486, "Busy Here"), (404, "Not Found"))):
        d = Call("fail-%d@a.example" % (i + 1), A, B)
        t = i * 10000
        c.udp(t, A, B, d.req("INVITE", 1, "f%d" % i))
        c.udp(t + 40, B, A, d.resp(100, "Trying", "INVITE", 1, "f%d" % i))
        c.udp(t + 1500, B, A, d.resp(code, reason, "INVITE", 1, "f%d" % i, "tf"))
        c.udp(t + 1520, A, B, d.req("ACK", 1, "f%d" % i, "tf"))
    c.close()


def cancelled():
    c = Capture("dialog-cancelled.pcap")
    d = Call("cancel-1@a.example", A, B)
    c.udp(0, A, B, d.req("INVITE", 1, "c1"))
    c.udp(50, B, A, d.resp(100, "Trying", "INVITE", 1, "c1"))
    c.udp(700, B, A, d.resp(180, "Ringing", "INVITE", 1, "c1", "tx"))
    c.udp(9000, A, B, d.req("CANCEL", 1, "c1"))
    c.udp(9020, B, A, d.resp(200, "OK", "CANCEL", 1, "c1", "tx"))
    c.udp(9040, B, A, d.resp(487, "Request Terminated", "INVITE", 1, "c1", "tx"))
    c.udp(9060, A, B, d.req("ACK", 1, "c1", "tx"))
    c.close()


def retransmissions():
    """INVITE sent three times (Timer A: 0, 500, 1500 ms); the 200 is
    retransmitted once (the first ACK was lost) and ACKed again."""
    c = Capture("dialog-retransmissions.pcap")
    d = Call("retx-1@a.example", A, B)
    for t in (0, 500, 1500):
        c.udp(t, A, B, d.req("INVITE", 1, "r1"))
    c.udp(1600, B, A, d.resp(100, "Trying", "INVITE", 1, "r1"))
    c.udp(2000, B, A, d.resp(180, "Ringing", "INVITE", 1, "r1", "tr"))
    c.udp(5000, B, A, d.resp(200, "OK", "INVITE", 1, "r1", "tr"))
    c.udp(5500, B, A, d.resp(200, "OK", "INVITE", 1, "r1", "tr"))
    c.udp(5510, A, B, d.req("ACK", 1, "ra", "tr"))
    c.udp(20000, A, B, d.req("BYE", 2, "rb", "tr"))
    c.udp(20030, B, A, d.resp(200, "OK", "BYE", 2, "rb", "tr"))
    c.close()


def timeout():
    """Call 1: only a 100 Trying, then nothing: times out 180 s after the 100
    (proceeding_timeout). Call 2: no answer at all: 32 s (Timer B). OPTIONS
    pings keep capture time moving past both deadlines."""
    c = Capture("dialog-timeout.pcap")
    d = Call("tmo-1@a.example", A, B)
    c.udp(0, A, B, d.req("INVITE", 1, "t1"))
    c.udp(100, B, A, d.resp(100, "Trying", "INVITE", 1, "t1"))
    d2 = Call("tmo-2@a.example", A, B)
    c.udp(1000, A, B, d2.req("INVITE", 1, "t2"))
    o = Call("ping@a.example", A, B)
    for i in range(1, 8):
        t = i * 30000
        c.udp(t, A, B, o.req("OPTIONS", i, "o%d" % i))
        c.udp(t + 10, B, A, o.resp(200, "OK", "OPTIONS", i, "o%d" % i, "to"))
    c.close()


def forked():
    """A forking proxy's two branches ring (To tags t1, t2); t2 answers."""
    c = Capture("dialog-forked.pcap")
    d = Call("fork-1@a.example", A, P)
    c.udp(0, A, P, d.req("INVITE", 1, "k1"))
    c.udp(20, P, A, d.resp(100, "Trying", "INVITE", 1, "k1"))
    c.udp(400, P, A, d.resp(180, "Ringing", "INVITE", 1, "k1", "t1"))
    c.udp(650, P, A, d.resp(183, "Session Progress", "INVITE", 1, "k1", "t2"))
    c.udp(3000, P, A, d.resp(200, "OK", "INVITE", 1, "k1", "t2"))
    c.udp(3020, A, P, d.req("ACK", 1, "ka", "t2"))
    c.udp(45000, A, P, d.req("BYE", 2, "kb", "t2"))
    c.udp(45030, P, A, d.resp(200, "OK", "BYE", 2, "kb", "t2"))
    c.close()


def reinvite():
    """An answered call put on hold by a re-INVITE (and its 200 and ACK), then
    hung up by the callee: one call attempt."""
    c = Capture("dialog-reinvite.pcap")
    d = Call("reinv-1@a.example", A, B)
    c.udp(0, A, B, d.req("INVITE", 1, "v1", body=sdp(A)))
    c.udp(1000, B, A, d.resp(200, "OK", "INVITE", 1, "v1", "tv"))
    c.udp(1010, A, B, d.req("ACK", 1, "va", "tv"))
    c.udp(20000, A, B, d.req("INVITE", 2, "v2", "tv", body=sdp("0.0.0.0")))
    c.udp(20100, B, A, d.resp(200, "OK", "INVITE", 2, "v2", "tv"))
    c.udp(20110, A, B, d.req("ACK", 2, "vb", "tv"))
    c.udp(31000, B, A, d.req("BYE", 1, "vc", "tv", from_callee=True))
    c.udp(31020, A, B, d.resp(200, "OK", "BYE", 1, "vc", "tv", from_callee=True))
    c.close()


def redirect():
    """302 to a new Contact, then a new INVITE (same Call-ID, CSeq 2) to it:
    two call attempts, redirected then completed."""
    c = Capture("dialog-redirect.pcap")
    d = Call("redir-1@a.example", A, B, ruri="sip:bob@old.example")
    c.udp(0, A, B, d.req("INVITE", 1, "d1"))
    c.udp(60, B, A, d.resp(302, "Moved Temporarily", "INVITE", 1, "d1", "tr",
                           extra=[("Contact", "<sip:bob@new.example>")]))
    c.udp(80, A, B, d.req("ACK", 1, "d1", "tr"))
    c.udp(200, A, B, d.req("INVITE", 2, "d2", ruri="sip:bob@new.example"))
    c.udp(900, B, A, d.resp(180, "Ringing", "INVITE", 2, "d2", "tn"))
    c.udp(2200, B, A, d.resp(200, "OK", "INVITE", 2, "d2", "tn"))
    c.udp(2220, A, B, d.req("ACK", 2, "d3", "tn"))
    c.udp(12200, A, B, d.req("BYE", 3, "d4", "tn"))
    c.udp(12230, B, A, d.resp(200, "OK", "BYE", 3, "d4", "tn"))
    c.close()


def proxy():
    """A -> proxy P -> B, the span port sees both legs. The proxy keeps the
    Call-ID and tags and adds its own Via branch; B's 180/200 and A's BYE
    cross it. The INVITE is retransmitted on the second leg only."""
    c = Capture("dialog-proxy.pcap")
    a = Call("px-1@a.example", A, P)
    b = Call("px-1@a.example", P, B)
    c.udp(0, A, P, a.req("INVITE", 1, "pa1"))
    c.udp(10, P, A, a.resp(100, "Trying", "INVITE", 1, "pa1"))
    c.udp(15, P, B, b.req("INVITE", 1, "pb1"))
    c.udp(515, P, B, b.req("INVITE", 1, "pb1"))
    c.udp(600, B, P, b.resp(180, "Ringing", "INVITE", 1, "pb1", "tp"))
    c.udp(605, P, A, a.resp(180, "Ringing", "INVITE", 1, "pa1", "tp"))
    c.udp(5000, B, P, b.resp(200, "OK", "INVITE", 1, "pb1", "tp"))
    c.udp(5006, P, A, a.resp(200, "OK", "INVITE", 1, "pa1", "tp"))
    c.udp(5020, A, P, a.req("ACK", 1, "pa2", "tp"))
    c.udp(5025, P, B, b.req("ACK", 1, "pb2", "tp"))
    c.udp(65020, A, P, a.req("BYE", 2, "pa3", "tp"))
    c.udp(65025, P, B, b.req("BYE", 2, "pb3", "tp"))
    c.udp(65060, B, P, b.resp(200, "OK", "BYE", 2, "pb3", "tp"))
    c.udp(65065, P, A, a.resp(200, "OK", "BYE", 2, "pa3", "tp"))
    c.close()


def auth():
    """Authentication challenges. Call 1: 407, ACK, the INVITE with
    credentials (CSeq 2, new branch) 20 ms later is answered and hung up.
    Call 2: 401, the retry comes 45 s later (a person typed a password) and
    gets 403. Call 3: 407 that nobody answers before the capture ends."""
    c = Capture("dialog-auth.pcap")
    d = Call("auth-1@a.example", A, B)
    c.udp(0, A, B, d.req("INVITE", 1, "u1", body=sdp(A)))
    c.udp(30, B, A, d.resp(407, "Proxy Authentication Required", "INVITE", 1, "u1", "tu1"))
    c.udp(40, A, B, d.req("ACK", 1, "u1", "tu1"))
    c.udp(60, A, B, d.req("INVITE", 2, "u2", body=sdp(A)))
    c.udp(90, B, A, d.resp(100, "Trying", "INVITE", 2, "u2"))
    c.udp(600, B, A, d.resp(180, "Ringing", "INVITE", 2, "u2", "tu2"))
    c.udp(3060, B, A, d.resp(200, "OK", "INVITE", 2, "u2", "tu2", body=sdp(B)))
    c.udp(3080, A, B, d.req("ACK", 2, "u3", "tu2"))
    c.udp(13080, A, B, d.req("BYE", 3, "u4", "tu2"))
    c.udp(13100, B, A, d.resp(200, "OK", "BYE", 3, "u4", "tu2"))

    d = Call("auth-2@a.example", A, B)
    c.udp(20000, A, B, d.req("INVITE", 1, "v1"))
    c.udp(20040, B, A, d.resp(401, "Unauthorized", "INVITE", 1, "v1", "tv1"))
    c.udp(20050, A, B, d.req("ACK", 1, "v1", "tv1"))
    c.udp(65050, A, B, d.req("INVITE", 2, "v2"))
    c.udp(65100, B, A, d.resp(403, "Forbidden", "INVITE", 2, "v2", "tv2"))
    c.udp(65110, A, B, d.req("ACK", 2, "v2", "tv2"))

    d = Call("auth-3@a.example", A, B)
    c.udp(70000, A, B, d.req("INVITE", 1, "w1"))
    c.udp(70030, B, A, d.resp(407, "Proxy Authentication Required", "INVITE", 1, "w1", "tw1"))
    c.udp(70040, A, B, d.req("ACK", 1, "w1", "tw1"))
    c.close()


def unfinished():
    """The capture ends while calls are still being set up: one rang and
    plays early media (183 with SDP), one got no answer at all yet. Neither
    reached a timer: both are unfinished, not timed out."""
    c = Capture("dialog-unfinished.pcap")
    d = Call("open-1@a.example", A, B)
    c.udp(0, A, B, d.req("INVITE", 1, "n1", body=sdp(A)))
    c.udp(40, B, A, d.resp(100, "Trying", "INVITE", 1, "n1"))
    c.udp(900, B, A, d.resp(180, "Ringing", "INVITE", 1, "n1", "tn"))
    c.udp(1500, B, A, d.resp(183, "Session Progress", "INVITE", 1, "n1", "tn", body=sdp(B)))
    d = Call("open-2@a.example", A, B)
    c.udp(5000, A, B, d.req("INVITE", 1, "n2"))
    c.close()


def reliable_provisionals():
    """100rel (RFC 3262): 183 RSeq 1 with SDP, sent twice (the PRACK was
    late), PRACK and its 200; a new 183, RSeq 2 (new SDP), PRACK and its 200;
    the 200 to the INVITE, ACK, BYE. One retransmission (the second 183 RSeq 1)."""
    c = Capture("dialog-100rel.pcap")
    d = Call("rel-1@a.example", A, B)
    rseq = lambda n: [("Require", "100rel"), ("RSeq", str(n))]  # noqa: E731
    c.udp(0, A, B, d.req("INVITE", 1, "p1", body=sdp(A)))
    c.udp(30, B, A, d.resp(100, "Trying", "INVITE", 1, "p1"))
    c.udp(500, B, A, d.resp(183, "Session Progress", "INVITE", 1, "p1", "tp", extra=rseq(1),
                            body=sdp(B)))
    c.udp(1000, B, A, d.resp(183, "Session Progress", "INVITE", 1, "p1", "tp", extra=rseq(1),
                             body=sdp(B)))
    c.udp(1010, A, B, d.req("PRACK", 2, "p2", "tp"))
    c.udp(1030, B, A, d.resp(200, "OK", "PRACK", 2, "p2", "tp"))
    c.udp(2000, B, A, d.resp(183, "Session Progress", "INVITE", 1, "p1", "tp", extra=rseq(2),
                             body=sdp(B, 4002)))
    c.udp(2010, A, B, d.req("PRACK", 3, "p3", "tp"))
    c.udp(2030, B, A, d.resp(200, "OK", "PRACK", 3, "p3", "tp"))
    c.udp(4000, B, A, d.resp(200, "OK", "INVITE", 1, "p1", "tp", body=sdp(B)))
    c.udp(4020, A, B, d.req("ACK", 1, "p4", "tp"))
    c.udp(9020, A, B, d.req("BYE", 4, "p5", "tp"))
    c.udp(9040, B, A, d.resp(200, "OK", "BYE", 4, "p5", "tp"))
    c.close()


def reuse():
    """One Call-ID, three attempts from the same phone (CSeq 1, 2, 3), minutes apart (long
    after the first attempts' records are gone), and a fourth on another leg
    (through a proxy). Then a 408 to a CANCEL whose request the capture
    missed, sent three times: the repeats are retransmissions."""
    c = Capture("dialog-reuse.pcap")
    d = Call("same@a.example", A, B)
    for i in range(3):
        t = i * 300000
        c.udp(t, A, B, d.req("INVITE", i + 1, "s%d" % i))
        c.udp(t + 50, B, A, d.resp(486, "Busy Here", "INVITE", i + 1, "s%d" % i, "ts%d" % i))
        c.udp(t + 60, A, B, d.req("ACK", i + 1, "s%d" % i, "ts%d" % i))
    p = Call("same@a.example", P, B)
    c.udp(900000, P, B, p.req("INVITE", 1, "sp"))
    c.udp(900050, B, P, p.resp(486, "Busy Here", "INVITE", 1, "sp", "tsp"))
    c.udp(900060, P, B, p.req("ACK", 1, "sp", "tsp"))
    x = Call("lost-cancel@a.example", A, B)
    for t in (910000, 914000, 918000):
        c.udp(t, B, A, x.resp(408, "Request Timeout", "CANCEL", 1, "lc", "tl"))
    c.close()


def main():
    os.makedirs(OUT, exist_ok=True)
    for gen in (completed, failed, cancelled, retransmissions, timeout, forked, reinvite,
                redirect, proxy, auth, unfinished, reliable_provisionals, reuse):
        gen()


if __name__ == "__main__":
    main()
