#!/usr/bin/env python3
"""Generates the redirect samples samples/redirect-*.pcap (see
samples/README.md): 3xx responses, the routes they teach and the requests
that still use moved URIs. tests/integration/test_redirects.py and
test_routes_persistence.py assert their exact `redirect` and `route` events.
Deterministic: the same bytes every run.

Also importable: redirect_flood() writes a capture of many distinct 301s,
which the SIGKILL-during-save test uses."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as pg  # noqa: E402
from sipmsg import message  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "samples")
T0 = 1772359200 * 10**9  # 2026-03-01T10:00:00Z
MS = 10**6

A = "192.0.2.10"      # a client
C = "10.0.3.2"        # a second client
D = "10.0.4.7"        # a third client (the second persistence capture)
S = "198.51.100.9"    # the redirect server
N = "198.51.100.20"   # the new location


class Txn:
    """One request and its responses, with the headers a UA sets."""

    def __init__(self, call_id, client, ruri, to_uri=None, cseq=1, method="INVITE",
                 branch=None):
        self.call_id, self.client, self.ruri = call_id, client, ruri
        self.to_uri = to_uri or ruri.split(";")[0]
        self.cseq, self.method = cseq, method
        self.branch = branch or "z9hG4bK-%s-%d" % (call_id.split("@")[0], cseq)

    def _hdrs(self, to_tag=None, method=None):
        return [("Via", "SIP/2.0/UDP %s:5060;branch=%s" % (self.client, self.branch)),
                ("From", "<sip:caller@%s>;tag=ft-%s" % (self.client, self.call_id[:6])),
                ("To", "<%s>" % self.to_uri + (";tag=%s" % to_tag if to_tag else "")),
                ("Call-ID", self.call_id),
                ("CSeq", "%d %s" % (self.cseq, method or self.method))]

    def request(self):
        hdrs = self._hdrs()[:1] + [("Max-Forwards", "70")] + self._hdrs()[1:] + \
            [("Contact", "<sip:caller@%s>" % self.client)]
        return message("%s %s SIP/2.0" % (self.method, self.ruri), hdrs)

    def response(self, code, reason, extra=(), to_tag="rt1"):
        return message("SIP/2.0 %d %s" % (code, reason),
                       self._hdrs(to_tag if code > 100 else None) + list(extra))

    def ack(self, to_tag="rt1"):
        """The ACK of a non-2xx final: same branch, CSeq method ACK."""
        hdrs = self._hdrs(to_tag, "ACK")
        return message("ACK %s SIP/2.0" % self.ruri, hdrs[:1] + [("Max-Forwards", "70")] +
                       hdrs[1:])


class Capture:
    def __init__(self, name, t0=T0, directory=OUT):
        self.w = pg.Writer(os.path.join(directory, name))
        self.t0 = t0

    def udp(self, ms, src, dst, msg):
        self.w.write(self.t0 + int(ms * MS), pg.udp_frame(msg, src, dst))

    def redirect(self, ms, t, code, reason, contacts, server=S, extra=(), with_request=True):
        """Request (unless not captured), the 3xx, and the ACK."""
        if with_request:
            self.udp(ms, t.client, server, t.request())
        self.udp(ms + 50, server, t.client,
                 t.response(code, reason, [("Contact", c) for c in contacts] + list(extra)))
        self.udp(ms + 60, t.client, server, t.ack())

    def close(self):
        self.w.close()


def learn():
    """learned → (follow-up call) → stale use by a second client + refreshed →
    stale use + changed → a 302 (reported, not learned) and a request after it."""
    c = Capture("redirect-learn.pcap")
    t1 = Txn("rl-1@a.example", A, "sip:alice@Old.Example.COM;transport=udp",
             to_uri="sip:alice@old.example.com")
    c.udp(0, A, S, t1.request())
    c.udp(50, S, A, t1.response(301, "Moved Permanently",
                                [("Contact", "<sip:alice@new.example.com>")]))
    c.udp(55, S, A, t1.response(301, "Moved Permanently",
                                [("Contact", "<sip:alice@new.example.com>")]))  # retransmission
    c.udp(60, A, S, t1.ack())
    # the client follows the redirect: same Call-ID, a new INVITE to the Contact
    f = Txn("rl-1@a.example", A, "sip:alice@new.example.com", to_uri="sip:alice@old.example.com",
            cseq=2)
    c.udp(200, A, N, f.request())
    c.udp(400, N, A, f.response(200, "OK", [("Contact", "<sip:alice@%s>" % N)], to_tag="nt"))
    ack = Txn("rl-1@a.example", A, "sip:alice@%s" % N, to_uri="sip:alice@old.example.com",
              cseq=2, method="ACK", branch="z9hG4bK-rl-ack")
    c.udp(410, A, N, message("ACK sip:alice@%s SIP/2.0" % N, ack._hdrs("nt")))
    bye = Txn("rl-1@a.example", A, "sip:alice@%s" % N, to_uri="sip:alice@old.example.com",
              cseq=3, method="BYE")
    c.udp(10410, A, N, message("BYE sip:alice@%s SIP/2.0" % N, bye._hdrs("nt")))
    c.udp(10450, N, A, message("SIP/2.0 200 OK", bye._hdrs("nt")))
    # a second client still dials the old URI; the server answers 301 again
    c.redirect(20000, Txn("rl-2@c.example", C, "sip:alice@old.example.com"), 301,
               "Moved Permanently", ["<sip:alice@new.example.com>"])
    # later the user moves again
    c.redirect(30000, Txn("rl-3@a.example", A, "sip:alice@old.example.com"), 301,
               "Moved Permanently", ["<sip:alice@newer.example.com>;expires=7200"])
    # a 302 is reported but never learned
    c.redirect(40000, Txn("rl-4@a.example", A, "sip:bob@temp.example.com"), 302,
               "Moved Temporarily", ["<sip:bob@away.example.com>"])
    t5 = Txn("rl-5@a.example", A, "sip:bob@temp.example.com")
    c.udp(40500, A, S, t5.request())
    c.udp(40550, S, A, t5.response(486, "Busy Here"))
    c.udp(40560, A, S, t5.ack())
    c.close()


def expiry():
    """Lifetimes from the Contact's expires, from the Expires header, and none."""
    c = Capture("redirect-expiry.pcap")
    c.redirect(0, Txn("re-1@a.example", A, "sip:dave@old.example.com"), 301, "Moved Permanently",
               ["<sip:dave@new.example.com>;expires=60"], extra=[("Expires", "3600")])
    c.redirect(1000, Txn("re-2@a.example", A, "sip:erin@old.example.com"), 301,
               "Moved Permanently", ["<sip:erin@new.example.com>"], extra=[("Expires", "30")])
    c.redirect(1100, Txn("re-3@a.example", A, "sip:frank@old.example.com"), 301,
               "Moved Permanently", ["<sip:frank@new.example.com>"])
    o = Txn("re-4@a.example", A, "sip:%s" % S, method="OPTIONS")
    c.udp(40000, A, S, o.request())
    c.udp(40010, S, A, o.response(200, "OK"))
    # dave's route expired at 60.05 s: this is no stale use
    t = Txn("re-5@a.example", A, "sip:dave@old.example.com")
    c.udp(70000, A, S, t.request())
    c.udp(70050, S, A, t.response(404, "Not Found"))
    c.udp(70060, A, S, t.ack())
    # frank's never expires
    t = Txn("re-6@a.example", C, "sip:frank@old.example.com")
    c.udp(71000, C, S, t.request())
    c.udp(71050, S, C, t.response(404, "Not Found"))
    c.udp(71060, C, S, t.ack())
    c.close()


def chain():
    """A→B, B→C: a use of A resolves to C; then C→A closes a loop."""
    c = Capture("redirect-chain.pcap")
    c.redirect(0, Txn("rc-1@a.example", A, "sip:a@x.example"), 301, "Moved Permanently",
               ["<sip:b@x.example>"])
    c.redirect(1000, Txn("rc-2@a.example", A, "sip:b@x.example"), 301, "Moved Permanently",
               ["<sip:c@x.example>"])
    t = Txn("rc-3@c.example", C, "sip:a@x.example")
    c.udp(2000, C, S, t.request())
    c.udp(2050, S, C, t.response(404, "Not Found"))
    c.udp(2060, C, S, t.ack())
    c.redirect(3000, Txn("rc-4@a.example", A, "sip:c@x.example"), 301, "Moved Permanently",
               ["<sip:a@x.example>"])
    c.close()


def contacts():
    """Several Contacts with q (the highest wins, the first on ties) and a 301
    whose request was not captured (the To URI stands in)."""
    c = Capture("redirect-contacts.pcap")
    t = Txn("rq-1@a.example", A, "sip:gina@old.example.com")
    c.udp(0, A, S, t.request())
    c.udp(50, S, A, t.response(301, "Moved Permanently", [
        ("Contact", "<sip:gina@one.example.com>;q=0.3, <sip:gina@two.example.com>;q=0.9"),
        ("Contact", "\"Gina\" <sip:gina@three.example.com;transport=tcp>;q=0.9;expires=120"),
        ("Expires", "600")]))
    c.udp(60, A, S, t.ack())
    c.redirect(1000, Txn("rq-2@a.example", A, "sip:hank@old.example.com"), 301,
               "Moved Permanently", ["<sip:hank@new.example.com>"], with_request=False)
    c.close()


def persistence():
    """Two captures an hour apart: the first teaches a route, the second
    (another client) still uses it."""
    c = Capture("redirect-persist-1.pcap")
    c.redirect(0, Txn("rp-1@a.example", A, "sip:carol@old.example.com"), 301,
               "Moved Permanently", ["<sip:carol@new.example.com>"])
    c.close()
    c = Capture("redirect-persist-2.pcap", t0=T0 + 3600 * 10**9)
    t = Txn("rp-2@d.example", D, "sip:carol@old.example.com")
    c.udp(0, D, S, t.request())
    c.udp(50, S, D, t.response(404, "Not Found"))
    c.udp(60, D, S, t.ack())
    c.close()


def redirect_flood(path, n, step_ms=1000):
    """n distinct 301s (user<i>@old.example → user<i>@new.example), one per
    step_ms of capture time."""
    c = Capture(os.path.basename(path), directory=os.path.dirname(path) or ".")
    for i in range(n):
        t = Txn("fl-%d@a.example" % i, A, "sip:user%d@old.example" % i)
        c.udp(i * step_ms, A, S, t.request())
        c.udp(i * step_ms + 50, S, A, t.response(
            301, "Moved Permanently", [("Contact", "<sip:user%d@new.example>" % i)]))
    c.close()


def main():
    os.makedirs(OUT, exist_ok=True)
    for gen in (learn, expiry, chain, contacts, persistence):
        gen()


if __name__ == "__main__":
    main()
