#!/usr/bin/env python3
"""Deterministic, fast capture generator for scripts/bench.

Writes a classic pcap (Ethernet, IPv4, µs stamps) of SIP traffic from a busy
SBC and a manifest (JSON) of what it wrote: packets, SIP messages per method
and status, calls (INVITE attempts) per outcome. The bench checks sipsleuth's
counts against the manifest, so a broken run is never measured as a fast one.

Speed: every message is a %-template filled with a few ids, every frame a
precomputed Ethernet header + a packed IPv4 header + the payload; packets are
merged in time order through one heap. About 4 µs a packet on this machine.

Kinds:
  udp     calls over UDP between user agents and the SBC, with REGISTER,
          OPTIONS and retransmissions
  tcp     the same calls over long-lived TCP connections: segments carry
          several messages and cut messages in two
  signed  udp, and every INVITE carries a distinct SHAKEN Identity (ES256),
          retransmitted INVITEs the same one (needs --key and --x5u)

Usage: bench_gen.py --kind udp --calls 110000 --seed 1 --out f.pcap --manifest f.json
"""
import argparse
import base64
import collections
import heapq
import json
import os
import random
import struct
import sys

# Bumped when a kind's output changes: scripts/bench caches captures by it.
VERSIONS = {"udp": 1, "tcp": 2, "signed": 2}

ETH = bytes.fromhex("020000000002" "020000000001" "0800")
SBC_IP = "10.0.0.1"
CORE = ("10.0.0.2", 5060)  # signed: a core server behind the SBC
RATE = {"udp": 100.0, "signed": 100.0, "tcp": 1000.0}  # calls per second of capture time

# ---------------------------------------------------------------- messages
# One template per message kind; %(name)s slots filled per call.
COMMON_REQ = ("Via: SIP/2.0/%(tr)s %(via)s;branch=z9hG4bK%(br)s;rport\r\n"
              "Max-Forwards: 70\r\n"
              "From: %(fdisp)s<sip:%(fuser)s@%(fdom)s>;tag=%(ftag)s\r\n"
              "To: <sip:%(tuser)s@%(tdom)s>%(ttag)s\r\n"
              "Call-ID: %(cid)s\r\n"
              "CSeq: %(cseq)d %(cmeth)s\r\n")
COMMON_RSP = ("Via: SIP/2.0/%(tr)s %(via)s;branch=z9hG4bK%(br)s;rport=%(vport)d;received=%(vip)s\r\n"
              "From: %(fdisp)s<sip:%(fuser)s@%(fdom)s>;tag=%(ftag)s\r\n"
              "To: <sip:%(tuser)s@%(tdom)s>%(ttag)s\r\n"
              "Call-ID: %(cid)s\r\n"
              "CSeq: %(cseq)d %(cmeth)s\r\n")
UA = "User-Agent: Acme-Phone/7.2.1 (build 4412)\r\n"
SRV = "Server: sbc-edge/5.4.0\r\n"
ALLOW = "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, UPDATE, PRACK, REFER, NOTIFY\r\n"
SDP = ("v=0\r\no=- %(sess)d %(sess)d IN IP4 %(mip)s\r\ns=-\r\nc=IN IP4 %(mip)s\r\nt=0 0\r\n"
       "m=audio %(mport)d RTP/AVP 0 8 18 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
       "a=rtpmap:18 G729/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"
       "a=ptime:20\r\na=sendrecv\r\n")


def req_tpl(method, extra="", body=False):
    head = "%s %%(ruri)s SIP/2.0\r\n" % method + COMMON_REQ + extra
    return head, body


def rsp_tpl(status, extra="", body=False):
    head = "SIP/2.0 %s\r\n" % status + COMMON_RSP + extra
    return head, body


T = {
    "INVITE": req_tpl("INVITE", "Contact: <sip:%(fuser)s@%(via)s;transport=%(trl)s>\r\n" + UA + ALLOW +
                      "Supported: replaces, timer, 100rel\r\nSession-Expires: 1800\r\n"
                      "P-Asserted-Identity: <sip:+1%(fnum)s@%(fdom)s;user=phone>\r\n%(identity)s"
                      "Content-Type: application/sdp\r\n", True),
    "ACK": req_tpl("ACK", UA),
    "BYE": req_tpl("BYE", UA + "Reason: Q.850;cause=16;text=\"Normal call clearing\"\r\n"),
    "CANCEL": req_tpl("CANCEL", UA + "Reason: SIP;cause=487;text=\"Request Terminated\"\r\n"),
    "REGISTER": req_tpl("REGISTER", "Contact: <sip:%(fuser)s@%(via)s;transport=%(trl)s>;expires=3600\r\n" +
                        UA + ALLOW + "%(auth)s"),
    "OPTIONS": req_tpl("OPTIONS", UA + "Accept: application/sdp\r\n"),
    "100": rsp_tpl("100 Trying", SRV),
    "180": rsp_tpl("180 Ringing", "Contact: <sip:%(tuser)s@%(cip)s:5060>\r\n" + SRV),
    "200sdp": rsp_tpl("200 OK", "Contact: <sip:%(tuser)s@%(cip)s:5060>\r\n" + SRV + ALLOW +
                      "Supported: timer\r\nSession-Expires: 1800;refresher=uac\r\n"
                      "Content-Type: application/sdp\r\n", True),
    "200": rsp_tpl("200 OK", SRV),
    "200reg": rsp_tpl("200 OK", "Contact: <sip:%(fuser)s@%(via)s;transport=%(trl)s>;expires=3600\r\n" + SRV),
    "401": rsp_tpl("401 Unauthorized", SRV +
                   "WWW-Authenticate: Digest realm=\"%(fdom)s\", nonce=\"%(nonce)s\", algorithm=MD5, qop=\"auth\"\r\n"),
    "404": rsp_tpl("404 Not Found", SRV),
    "486": rsp_tpl("486 Busy Here", SRV),
    "487": rsp_tpl("487 Request Terminated", SRV),
}
# status code of each response template
STATUS = {"100": 100, "180": 180, "200sdp": 200, "200": 200, "200reg": 200, "401": 401,
          "404": 404, "486": 486, "487": 487}


def render(kind, v):
    head, body = T[kind]
    text = head % v
    b = (SDP % v) if body else ""
    return ("%sContent-Length: %d\r\n\r\n%s" % (text, len(b), b)).encode()


# ---------------------------------------------------------------- frames
def ipcsum(hdr):
    s = sum(struct.unpack("!10H", hdr))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


_ipcache = {}


def ip4(a):
    b = _ipcache.get(a)
    if b is None:
        b = _ipcache[a] = bytes(int(x) for x in a.split("."))
    return b


def ipv4(payload_len, src, dst, proto, ident):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, ident & 0xFFFF, 0x4000, 64,
                      proto, 0, src, dst)
    return hdr[:10] + struct.pack("!H", ipcsum(hdr)) + hdr[12:]


class Writer:
    def __init__(self, path):
        self.f = open(path, "wb", buffering=1 << 22)
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.packets = 0
        self.bytes = 0
        self.ident = 0

    def frame(self, ts_us, l3):
        n = 14 + len(l3)
        self.f.write(struct.pack("<IIII", ts_us // 1000000, ts_us % 1000000, n, n) + ETH + l3)
        self.packets += 1
        self.bytes += n

    def udp(self, ts_us, src, sport, dst, dport, payload):
        self.ident += 1
        udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
        self.frame(ts_us, ipv4(8 + len(payload), src, dst, 17, self.ident) + udp + payload)

    def tcp(self, ts_us, src, sport, dst, dport, seq, ack, flags, payload=b""):
        self.ident += 1
        hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4,
                          flags, 65535, 0, 0)
        self.frame(ts_us, ipv4(20 + len(payload), src, dst, 6, self.ident) + hdr + payload)

    def close(self):
        self.f.close()


# ---------------------------------------------------------------- TCP side
SYN, FIN, PSH, ACK = 0x02, 0x01, 0x08, 0x10


class TcpConn:
    """One long-lived connection UA ↔ SBC. Each direction buffers messages and
    sends them in segments of random size: several messages per segment, and
    messages cut across segment boundaries."""

    def __init__(self, w, rng, ua_ip, ua_port):
        self.w, self.rng = w, rng
        self.ua, self.port = ip4(ua_ip), ua_port
        self.sbc = ip4(SBC_IP)
        self.seq = [rng.getrandbits(32), rng.getrandbits(32)]  # 0: UA→SBC, 1: SBC→UA
        self.buf = [bytearray(), bytearray()]
        self.target = [self._target(), self._target()]
        self.open = False
        self.segments = 0
        self.keys = [set(), set()]  # calls with bytes in each buffer
        self.first = [0, 0]  # when the oldest buffered byte was queued

    def _target(self):
        return self.rng.randint(1500, 12000)

    def _send(self, ts, d, data, flags=PSH | ACK):
        if d == 0:
            self.w.tcp(ts, self.ua, self.port, self.sbc, 5060, self.seq[0], self.seq[1], flags, data)
        else:
            self.w.tcp(ts, self.sbc, 5060, self.ua, self.port, self.seq[1], self.seq[0], flags, data)
        self.seq[d] += len(data) + (1 if flags & (SYN | FIN) else 0)
        if data:
            self.segments += 1

    def handshake(self, ts):
        self._send(ts, 0, b"", SYN)
        self._send(ts + 50, 1, b"", SYN | ACK)
        self._send(ts + 100, 0, b"", ACK)
        self.open = True

    def message(self, ts, d, payload, key):
        if not self.open:
            self.handshake(ts - 200)
        # What the other side buffered for the same call goes first (a
        # response never leaves before its request); nothing waits > 100 ms.
        if key in self.keys[1 - d] or (self.buf[1 - d] and ts - self.first[1 - d] > 100000):
            self._drain(ts, 1 - d)
        if self.buf[d] and ts - self.first[d] > 100000:
            self._drain(ts, d)
        if not self.buf[d]:
            self.first[d] = ts
        self.keys[d].add(key)
        b = self.buf[d]
        b += payload
        while len(b) >= self.target[d]:
            cut = self.rng.randint(600, 9000)
            cut = min(cut, len(b))
            self._send(ts, d, bytes(b[:cut]))
            del b[:cut]
            self.target[d] = self._target()

    def _drain(self, ts, d):
        self.keys[d].clear()
        b = self.buf[d]
        while b:
            cut = min(len(b), self.rng.randint(600, 9000))
            self._send(ts, d, bytes(b[:cut]))
            del b[:cut]

    def flush(self, ts):
        for d in (0, 1):
            self._drain(ts, d)
        if self.open:
            self._send(ts, 0, b"", FIN | ACK)
            self._send(ts + 50, 1, b"", FIN | ACK)
            self._send(ts + 100, 0, b"", ACK)


# ---------------------------------------------------------------- identity
def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Signer:
    def __init__(self, key_path, x5u):
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec, utils
        with open(key_path, "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), None)
        self.ec, self.hashes, self.utils = ec, hashes, utils
        self.x5u = x5u
        self.hdr = b64u(json.dumps({"alg": "ES256", "ppt": "shaken", "typ": "passport", "x5u": x5u},
                                   separators=(",", ":"), sort_keys=True).encode())

    def identity(self, orig, dest, iat, origid):
        payload = b64u(json.dumps({"attest": "A", "dest": {"tn": [dest]}, "iat": iat,
                                   "orig": {"tn": orig}, "origid": origid},
                                  separators=(",", ":"), sort_keys=True).encode())
        signing = ("%s.%s" % (self.hdr, payload)).encode()
        der = self.key.sign(signing, self.ec.ECDSA(self.hashes.SHA256()))
        r, s = self.utils.decode_dss_signature(der)
        sig = b64u(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
        return "Identity: %s.%s;info=<%s>;alg=ES256;ppt=shaken\r\n" % (signing.decode(), sig, self.x5u)


# ---------------------------------------------------------------- calls
class Gen:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.w = Writer(args.out)
        self.tcp = args.kind == "tcp"
        self.tr = "TCP" if self.tcp else "UDP"
        self.heap = []
        self.n = 0
        self.req = collections.Counter()
        self.rsp = collections.Counter()
        self.calls = collections.Counter()
        self.identities = 0
        self.extra_legs = 0
        self.conns = {}
        self.signer = Signer(args.key, args.x5u) if args.kind == "signed" else None
        # user agents: 2000 hosts over UDP; over TCP, 16 trunks (one
        # long-lived connection each) so that segments carry several messages
        self.uas = []
        for i in range(16 if self.tcp else 2000):
            self.uas.append(("10.%d.%d.%d" % (1 + i // 60000, (i // 250) % 240, 1 + i % 250),
                             5060 if not self.tcp else 40000 + i))

    def push(self, ts_us, ua, to_sbc, kind, v):
        payload = render(kind, v)
        if kind in STATUS:
            self.rsp[str(STATUS[kind])] += 1
        else:
            self.req[v["cmeth"] if kind != "ACK" else "ACK"] += 1
        self.n += 1
        heapq.heappush(self.heap, (ts_us, self.n, ua, to_sbc, payload, v["cid"]))

    def emit_until(self, ts_us):
        heap, w = self.heap, self.w
        sbc = ip4(SBC_IP)
        while heap and heap[0][0] <= ts_us:
            t, _, ua, to_sbc, payload, cid = heapq.heappop(heap)
            if self.tcp:
                conn = self.conns.get(ua)
                if conn is None:
                    conn = self.conns[ua] = TcpConn(w, self.rng, ua[0], ua[1])
                conn.message(t, 0 if to_sbc else 1, payload, cid)
            elif to_sbc:
                w.udp(t, ip4(ua[0]), ua[1], sbc, 5060, payload)
            else:
                w.udp(t, sbc, 5060, ip4(ua[0]), ua[1], payload)

    def call(self, i, t0):
        rng = self.rng
        ua = self.uas[rng.randrange(len(self.uas))]
        fnum = "%09d" % rng.randrange(10 ** 9)
        tnum = "%09d" % rng.randrange(10 ** 9)
        retrans = not self.tcp
        v = {"tr": self.tr, "trl": self.tr.lower(), "via": "%s:%d" % ua, "vip": ua[0], "vport": ua[1],
             "fdisp": "\"Caller %s\" " % fnum[-4:], "fuser": "+1" + fnum, "fdom": "pbx%d.example.com" % (i % 7),
             "fnum": fnum, "tuser": "+1" + tnum, "tdom": "carrier.example.net",
             "ftag": "%08x%04x" % (rng.getrandbits(32), i & 0xFFFF), "ttag": "",
             "cid": "%016x-%d@%s" % (rng.getrandbits(64), i, ua[0]), "cip": SBC_IP,
             "ruri": "sip:+1%s@carrier.example.net" % tnum, "sess": 1000 + i, "mip": ua[0],
             "mport": 10000 + 2 * (i % 20000), "identity": "", "auth": "", "nonce": ""}
        r = rng.random()
        outcome = ("completed" if r < 0.72 else "busy" if r < 0.84 else "notfound" if r < 0.90
                   else "cancelled")
        inv_br = "%x%05d" % (rng.getrandbits(40), i % 100000)
        v.update(br=inv_br, cseq=1, cmeth="INVITE")
        if self.signer:
            iat = t0 // 1000000
            v["identity"] = self.signer.identity("1" + fnum, "1" + tnum, iat,
                                                 "%08x-0000-4000-8000-%012x" % (i, i))
            self.identities += 1
        t = t0
        self.push(t, ua, True, "INVITE", v)
        if self.signer and rng.random() < 0.25:
            # A second leg: the SBC also forks the INVITE, Identity unchanged,
            # to a core server that refuses it. The verifier should see the
            # same Identity again and take it from its cache.
            vl = dict(v, br="%x%05d" % (rng.getrandbits(40), i % 100000), via="%s:5060" % SBC_IP,
                      vip=SBC_IP, vport=5060, ttag=";tag=%08x" % rng.getrandbits(32))
            tl = t + rng.randint(1000, 5000)
            self.push(tl, CORE, False, "INVITE", dict(vl, ttag=""))
            self.push(tl + 3000, CORE, True, "100", dict(vl, ttag=""))
            self.push(tl + 9000, CORE, True, "486", vl)
            self.push(tl + 12000, CORE, False, "ACK", dict(vl, cmeth="ACK"))
            self.calls["failed"] += 1
            self.extra_legs += 1
        if retrans and rng.random() < 0.08:
            self.push(t + 500000, ua, True, "INVITE", v)  # timer A fired before the 100
            t += 500000
        t += rng.randint(5000, 40000)
        self.push(t, ua, False, "100", v)
        ttag = "%08x" % rng.getrandbits(32)
        if outcome in ("busy", "notfound"):
            v["ttag"] = ";tag=" + ttag
            t += rng.randint(50000, 3000000)
            self.push(t, ua, False, "486" if outcome == "busy" else "404", v)
            v["cmeth"] = "ACK"
            t += rng.randint(1000, 30000)
            self.push(t, ua, True, "ACK", v)
            self.calls["failed"] += 1
            return
        v["ttag"] = ";tag=" + ttag
        t += rng.randint(50000, 400000)
        self.push(t, ua, False, "180", v)
        if outcome == "cancelled":
            t += rng.randint(1000000, 15000000)
            vc = dict(v, ttag="", cmeth="CANCEL")
            self.push(t, ua, True, "CANCEL", vc)
            self.push(t + rng.randint(5000, 30000), ua, False, "200", vc)
            t += rng.randint(30000, 60000)
            self.push(t, ua, False, "487", v)
            v["cmeth"] = "ACK"
            self.push(t + rng.randint(1000, 30000), ua, True, "ACK", v)
            self.calls["cancelled"] += 1
            return
        t += rng.randint(1000000, 12000000)
        self.push(t, ua, False, "200sdp", v)
        if retrans and rng.random() < 0.05:
            self.push(t + 500000, ua, False, "200sdp", v)  # 2xx retransmitted, ACK was slow
            t += 500000
        t += rng.randint(5000, 40000)
        va = dict(v, cmeth="ACK", br="%x%05d" % (rng.getrandbits(40), i % 100000))
        self.push(t, ua, True, "ACK", va)
        t += rng.randint(5000000, 90000000)  # talk time
        vb = dict(v, cseq=2, cmeth="BYE", br="%x%05d" % (rng.getrandbits(40), i % 100000))
        self.push(t, ua, True, "BYE", vb)
        self.push(t + rng.randint(5000, 40000), ua, False, "200", vb)
        self.calls["completed"] += 1

    def register(self, i, t0):
        rng = self.rng
        ua = self.uas[rng.randrange(len(self.uas))]
        user = "+1%09d" % rng.randrange(10 ** 9)
        v = {"tr": self.tr, "trl": self.tr.lower(), "via": "%s:%d" % ua, "vip": ua[0], "vport": ua[1],
             "fdisp": "", "fuser": user, "fdom": "pbx%d.example.com" % (i % 7), "tuser": user,
             "tdom": "pbx%d.example.com" % (i % 7), "ftag": "%08x" % rng.getrandbits(32), "ttag": "",
             "cid": "reg-%012x-%d" % (rng.getrandbits(48), i), "cip": SBC_IP,
             "ruri": "sip:pbx%d.example.com" % (i % 7), "br": "%x" % rng.getrandbits(48), "cseq": 1,
             "cmeth": "REGISTER", "auth": "", "nonce": "%016x" % rng.getrandbits(64)}
        self.push(t0, ua, True, "REGISTER", v)
        t = t0 + rng.randint(2000, 20000)
        v2 = dict(v, ttag=";tag=%08x" % rng.getrandbits(32))
        self.push(t, ua, False, "401", v2)
        v = dict(v, cseq=2, br="%x" % rng.getrandbits(48),
                 auth="Authorization: Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
                      "uri=\"%s\", response=\"%032x\", algorithm=MD5\r\n"
                 % (v["fuser"], v["fdom"], v["nonce"], v["ruri"], rng.getrandbits(128)))
        t += rng.randint(2000, 20000)
        self.push(t, ua, True, "REGISTER", v)
        v2 = dict(v, ttag=";tag=%08x" % rng.getrandbits(32))
        self.push(t + rng.randint(2000, 20000), ua, False, "200reg", v2)

    def options(self, i, t0):
        rng = self.rng
        ua = self.uas[rng.randrange(len(self.uas))]
        v = {"tr": self.tr, "trl": self.tr.lower(), "via": "%s:5060" % SBC_IP, "vip": SBC_IP,
             "vport": 5060, "fdisp": "", "fuser": "ping", "fdom": "sbc.example.net", "tuser": "ping",
             "tdom": ua[0], "ftag": "%08x" % rng.getrandbits(32), "ttag": "",
             "cid": "opt-%012x-%d" % (rng.getrandbits(48), i), "ruri": "sip:%s:%d" % ua,
             "br": "%x" % rng.getrandbits(48), "cseq": 1, "cmeth": "OPTIONS"}
        self.push(t0, ua, False, "OPTIONS", v)
        v2 = dict(v, ttag=";tag=%08x" % rng.getrandbits(32))
        self.push(t0 + rng.randint(1000, 20000), ua, True, "200", v2)

    def run(self):
        rng = self.rng
        # Signed captures are dated after the certificates the bench makes
        # today (they are valid at iat from now on); the others stay put.
        t = (1800000000 if self.signer else 1700000000) * 1000000
        for i in range(self.args.calls):
            t += int(rng.expovariate(RATE[self.args.kind]) * 1e6) + 1
            self.emit_until(t)
            self.call(i, t)
            if rng.random() < 0.5:
                self.register(i, t + rng.randint(1, 9000))
            if rng.random() < 0.5:
                self.options(i, t + rng.randint(1, 9000))
        self.emit_until(1 << 62)
        end = t + 200 * 1000000
        segments = 0
        for conn in self.conns.values():
            conn.flush(end)
            segments += conn.segments
        self.w.close()
        m = {"kind": self.args.kind, "seed": self.args.seed, "calls": self.args.calls,
             "packets": self.w.packets, "bytes": self.w.bytes,
             "sip_messages": sum(self.req.values()) + sum(self.rsp.values()),
             "requests_by_method": dict(sorted(self.req.items())),
             "responses_by_status": dict(sorted(self.rsp.items())),
             "dialogs": sum(self.calls.values()),
             "dialogs_by_state": dict(sorted(self.calls.items())),
             "identities": self.identities, "extra_legs": self.extra_legs,
             "signed_invites": self.req["INVITE"] if self.signer else 0, "tcp_connections": len(self.conns),
             "tcp_data_segments": segments}
        return m


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kind", choices=("udp", "tcp", "signed"), default="udp")
    ap.add_argument("--calls", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--key", help="signed: PEM private key (P-256)")
    ap.add_argument("--x5u", help="signed: certificate URL")
    args = ap.parse_args()
    if args.kind == "signed" and not (args.key and args.x5u):
        ap.error("--kind signed needs --key and --x5u")
    m = Gen(args).run()
    tmp = args.manifest + ".tmp"
    with open(tmp, "w") as f:
        json.dump(m, f, indent=1, sort_keys=True)
    os.replace(tmp, args.manifest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
