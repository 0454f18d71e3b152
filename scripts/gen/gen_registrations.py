#!/usr/bin/env python3
"""Generates samples/registrations.pcap (see samples/README.md): REGISTER
attempts with every outcome, a brute-forcing source and two scanners.
tests/integration/test_registrations.py asserts its `registration` events and
`auth_failures` / `scanner` anomalies against TRUTH below, which describes
what this script writes (never sipsleuth's output). Deterministic."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as pg  # noqa: E402
from sipmsg import message  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "samples")
T0 = 1772359200 * 10**9  # 2026-03-01T10:00:00Z
MS = 10**6
R = "198.51.100.5"  # the registrar
DOMAIN = "example.com"
ALICE, BOB, CAROL, DAVE, ERIN, FRANK, GINA = ("192.0.2.%d" % i for i in range(21, 28))
BRUTE = "203.0.113.66"  # one source guessing passwords
SCAN1, SCAN2 = "203.0.113.99", "203.0.113.98"
LEGIT = "192.0.2.40"  # an Asterisk that is no scanner
N_BRUTE = 12


class Reg:
    """A REGISTER's headers for one user from one client."""

    def __init__(self, user, client, call_id, contact_params="", expires=None, contact=None,
                 ua="regtest/1.0"):
        self.user, self.client, self.call_id = user, client, call_id
        self.contact = contact or "<sip:%s@%s:5060>%s" % (user, client, contact_params)
        self.expires, self.ua = expires, ua

    def hdrs(self, cseq, branch, to_tag=None):
        return [("Via", "SIP/2.0/UDP %s:5060;branch=z9hG4bK-%s" % (self.client, branch)),
                ("From", "<sip:%s@%s>;tag=f-%s" % (self.user, DOMAIN, self.user)),
                ("To", "<sip:%s@%s>" % (self.user, DOMAIN) + (";tag=%s" % to_tag if to_tag else "")),
                ("Call-ID", self.call_id), ("CSeq", "%d REGISTER" % cseq)]

    def request(self, cseq, branch, auth=False):
        h = self.hdrs(cseq, branch)
        h = h[:1] + [("Max-Forwards", "70")] + h[1:] + [("Contact", self.contact)]
        if self.expires is not None:
            h.append(("Expires", str(self.expires)))
        if auth:
            h.append(("Authorization", 'Digest username="%s", realm="%s", nonce="n1", '
                      'uri="sip:%s", response="0123456789abcdef0123456789abcdef"'
                      % (self.user, DOMAIN, DOMAIN)))
        if self.ua:
            h.append(("User-Agent", self.ua))
        return message("REGISTER sip:%s SIP/2.0" % DOMAIN, h)

    def response(self, code, reason, cseq, branch, extra=()):
        h = self.hdrs(cseq, branch, to_tag="r-%s" % self.user) + list(extra)
        if code == 401:
            h.append(("WWW-Authenticate", 'Digest realm="%s", nonce="n1"' % DOMAIN))
        return message("SIP/2.0 %d %s" % (code, reason), h)


def options(client, n, ua, display=None):
    frm = ('"%s" ' % display if display else "") + "<sip:100@%s>;tag=s%d" % (client, n)
    return message("OPTIONS sip:100@%s SIP/2.0" % R, [
        ("Via", "SIP/2.0/UDP %s:5070;branch=z9hG4bK-scan-%d" % (client, n)),
        ("Max-Forwards", "70"), ("From", frm), ("To", "<sip:100@%s>" % R),
        ("Call-ID", "scan-%s-%d" % (client, n)), ("CSeq", "1 OPTIONS"), ("User-Agent", ua)])


# Ground truth: what the capture holds, by AoR user (times in ms after T0).
TRUTH = {
    "registrations": {
        # REGISTER (and its retransmission) → 401 → REGISTER with credentials → 200
        "alice": dict(outcome="ok", start=0, final=120, auth_challenges=1,
                      challenge_answered=True, requests=2, status_code=200,
                      expires_requested=3600, expires_granted=1800, unregister=False,
                      closed="message", contacts=[("sip:alice@192.0.2.21:5060", 3600)]),
        # REGISTER → 401, never answered: closed by the 32 s timer
        "bob": dict(outcome="challenged", start=1000, final=None, auth_challenges=1,
                    challenge_answered=False, requests=1, status_code=401,
                    expires_requested=3600, expires_granted=None, unregister=False,
                    closed="timer", closed_at=1010 + 32000,
                    contacts=[("sip:bob@192.0.2.22:5060", None)]),
        # expires 0: an un-registration
        "carol": dict(outcome="ok", start=2000, final=2030, auth_challenges=0,
                      challenge_answered=False, requests=1, status_code=200,
                      expires_requested=0, expires_granted=None, unregister=True,
                      closed="message", contacts=[("sip:carol@192.0.2.23:5060", None)]),
        # Contact: * with Expires: 0
        "dave": dict(outcome="ok", start=3000, final=3040, auth_challenges=0,
                     challenge_answered=False, requests=1, status_code=200,
                     expires_requested=0, expires_granted=None, unregister=True,
                     closed="message", contacts=[], contact_star=True),
        # 403 without a challenge
        "erin": dict(outcome="failed", start=4000, final=4025, auth_challenges=0,
                     challenge_answered=False, requests=1, status_code=403,
                     expires_requested=600, expires_granted=None, unregister=False,
                     closed="message", contacts=[("sip:erin@192.0.2.25:5060", 600)]),
        # no response at all
        "frank": dict(outcome="no_response", start=5000, final=None, auth_challenges=0,
                      challenge_answered=False, requests=1, status_code=None,
                      expires_requested=None, expires_granted=None, unregister=False,
                      closed="timer", closed_at=5000 + 32000,
                      contacts=[("sip:frank@192.0.2.26:5060", None)]),
        # each response stamped before its REGISTER (as a span port may): 401
        # 5 ms before REGISTER 1, 200 10 ms before REGISTER 2; decided at it
        "gina": dict(outcome="ok", start=45005, final=45110, auth_challenges=1,
                     challenge_answered=True, requests=2, status_code=200,
                     expires_requested=None, expires_granted=300, unregister=False,
                     closed="message", contacts=[("sip:gina@192.0.2.27:5060", None)]),
    },
    # BRUTE: each of its N_BRUTE attempts draws a 401 without credentials (the
    # handshake, not counted), then a failure for its guess: a 401 (the first
    # one retransmitted) or, for the last 3, a 403; within 11.2 s: one window
    # of 60 s. The failures' times, for other windows:
    "auth_failure_times": sorted([6310 + i * 1000 for i in range(N_BRUTE - 3)] +
                                 [6500 + i * 1000 for i in range(N_BRUTE - 3, N_BRUTE)]),
    "auth_failures": {BRUTE: dict(count=N_BRUTE, first=6310, last=6500 + (N_BRUTE - 1) * 1000)},
    # SCAN1: 20 OPTIONS from friendly-scanner in 9.5 s, then 5 more 100 s
    # later (a second window); SCAN2: SIPVicious in the From display name
    # only (no user_agent), 3 OPTIONS
    "scanner": [(SCAN1, dict(count=20, first=30000, last=39500, user_agent="friendly-scanner")),
                (SCAN2, dict(count=3, first=41000, last=41200, user_agent=None)),
                (SCAN1, dict(count=5, first=130000, last=130400,
                             user_agent="friendly-scanner"))],
}


def main(path=os.path.join(OUT, "registrations.pcap")):
    frames = []

    def udp(ms, src, dst, msg, sport=5060):
        frames.append((T0 + int(ms * MS), pg.udp_frame(msg, src, dst, sport=sport)))

    a = Reg("alice", ALICE, "reg-alice@192.0.2.21", ";expires=3600", expires=3600)
    udp(0, ALICE, R, a.request(1, "a1"))
    udp(40, ALICE, R, a.request(1, "a1"))  # retransmission
    udp(50, R, ALICE, a.response(401, "Unauthorized", 1, "a1"))
    udp(100, ALICE, R, a.request(2, "a2", auth=True))
    udp(120, R, ALICE, a.response(200, "OK", 2, "a2", [
        ("Contact", "<sip:alice@192.0.2.21:5060>;expires=1800"),
        ("Contact", "<sip:alice@192.0.2.121:5060>;expires=90")]))
    b = Reg("bob", BOB, "reg-bob@192.0.2.22", expires=3600)
    udp(1000, BOB, R, b.request(1, "b1"))
    udp(1010, R, BOB, b.response(401, "Unauthorized", 1, "b1"))
    c = Reg("carol", CAROL, "reg-carol@192.0.2.23", expires=0)
    udp(2000, CAROL, R, c.request(7, "c7", auth=True))
    udp(2030, R, CAROL, c.response(200, "OK", 7, "c7"))
    d = Reg("dave", DAVE, "reg-dave@192.0.2.24", expires=0, contact="*")
    udp(3000, DAVE, R, d.request(3, "d3", auth=True))
    udp(3040, R, DAVE, d.response(200, "OK", 3, "d3"))
    e = Reg("erin", ERIN, "reg-erin@192.0.2.25", ";expires=600")
    udp(4000, ERIN, R, e.request(1, "e1"))
    udp(4025, R, ERIN, e.response(403, "Forbidden", 1, "e1"))
    f = Reg("frank", FRANK, "reg-frank@192.0.2.26")
    udp(5000, FRANK, R, f.request(1, "f1"))
    for i in range(N_BRUTE):
        g = Reg("%d" % (100 + i), BRUTE, "brute-%d@203.0.113.66" % i, expires=3600,
                ua="Cisco v11.0.0")
        t = 6000 + i * 1000
        udp(t, BRUTE, R, g.request(1, "g%d" % i))
        udp(t + 10, R, BRUTE, g.response(401, "Unauthorized", 1, "g%d" % i))
        udp(t + 300, BRUTE, R, g.request(2, "h%d" % i, auth=True))  # a wrong guess
        if i < N_BRUTE - 3:
            udp(t + 310, R, BRUTE, g.response(401, "Unauthorized", 2, "h%d" % i))
            if i == 0:
                udp(t + 320, R, BRUTE, g.response(401, "Unauthorized", 2, "h0"))  # retransmission
        else:
            udp(t + 500, R, BRUTE, g.response(403, "Forbidden", 2, "h%d" % i))
    for n in range(20):
        udp(30000 + n * 500, SCAN1, R, options(SCAN1, n, "friendly-scanner"), sport=5070)
    for n in range(3):
        udp(41000 + n * 100, SCAN2, R, options(SCAN2, n, "pplx/1.0", display="sipvicious"),
            sport=5070)
    udp(42000, LEGIT, R, options(LEGIT, 0, "Asterisk PBX 18.0"))
    gi = Reg("gina", GINA, "reg-gina@192.0.2.27")
    udp(45000, R, GINA, gi.response(401, "Unauthorized", 1, "i1"))
    udp(45005, GINA, R, gi.request(1, "i1"))
    udp(45100, R, GINA, gi.response(200, "OK", 2, "i2", [
        ("Contact", "<sip:gina@192.0.2.27:5060>;expires=300")]))
    udp(45110, GINA, R, gi.request(2, "i2", auth=True))
    for n in range(5):
        udp(130000 + n * 100, SCAN1, R, options(SCAN1, 100 + n, "friendly-scanner"), sport=5070)
    frames.sort(key=lambda f: f[0])  # stable: equal stamps keep their order
    with pg.Writer(path) as w:
        for ts, frame in frames:
            w.write(ts, frame)


if __name__ == "__main__":
    main()
