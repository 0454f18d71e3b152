#!/usr/bin/env python3
"""Identity test vectors and captures, made at test time into a directory.

Certificates come from openssl (a P-256 CA, a SHAKEN leaf with TNAuthList,
an expired leaf, a leaf of an untrusted CA, an RSA leaf for RFC 4474);
PASSporTs are signed by Debian's secsipidx where it can (the independent
implementation), by openssl where a token must be malformed on purpose (DER
signature, iat as a string, compact form). Every case is one call in
identity.pcap (plus two-leg calls whose 438 is relayed upstream, and calls
with 300-byte Call-IDs), answered as a verifier would answer it. Each case
also says what a run without any certificate must find (`nocert`): the
checks that need no certificate still decide, the signature and the
certificate's own checks become cert_unavailable.

busy.pcap: thousands of unsigned calls around a few signed ones, for a run
with a small --max-identity-checks (unsigned requests must cost no identity
record); overflow.pcap: more signed requests than that cap holds.

usage: gen_identity.py OUTDIR      writes OUTDIR/identity.pcap, busy.pcap,
                                   overflow.pcap, certs, and
                                   OUTDIR/manifest.json (cases and vectors)
"""
import base64
import email.utils
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as pg  # noqa: E402
from sipmsg import message  # noqa: E402

BASE = "https://certs.example.org/"
URL = {"good": BASE + "sp.pem", "expired": BASE + "expired.pem",
       "untrusted": BASE + "untrusted.pem", "rsa": BASE + "rfc4474.cer",
       "unknown": BASE + "unknown.pem"}
ORIG, DEST = "12155550101", "12155550199"
ORIGID = "123e4567-e89b-12d3-a456-426614174000"
A, B = "192.0.2.10", "198.51.100.7"
LEG_A, LEG_P, LEG_B = "10.0.1.1", "10.0.6.2", "198.51.100.1"

CA_CNF = """[ca]
default_ca = d
[d]
dir = .
database = index.txt
serial = serial
new_certs_dir = .
default_md = sha256
policy = p
unique_subject = no
[p]
commonName = supplied
[v3_sti]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
1.3.6.1.5.5.7.1.26 = ASN1:SEQUENCE:tnauthlist
[tnauthlist]
spc = EXPLICIT:0,IA5STRING:1234
"""


def run(args, cwd, data=None):
    return subprocess.run(args, cwd=cwd, input=data, check=True, capture_output=True).stdout


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_ca(d, name):
    run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
         name + ".key"], d)
    run(["openssl", "req", "-new", "-x509", "-key", name + ".key", "-sha256", "-days", "3650",
         "-subj", "/CN=sipsleuth test " + name, "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", name + ".pem"], d)


def make_leaf(d, name, ca, start, end, rsa=False):
    if rsa:
        run(["openssl", "genrsa", "-out", name + ".key", "2048"], d)
    else:
        run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
             name + ".key"], d)
    run(["openssl", "req", "-new", "-key", name + ".key", "-subj", "/CN=" + name, "-out",
         name + ".csr"], d)
    run(["openssl", "ca", "-batch", "-config", "ca.cnf", "-cert", ca + ".pem", "-keyfile",
         ca + ".key", "-in", name + ".csr", "-out", name + ".pem", "-startdate", start,
         "-enddate", end, "-extensions", "v3_sti", "-notext"], d)


def make_certs(d):
    with open(os.path.join(d, "ca.cnf"), "w") as f:
        f.write(CA_CNF)
    open(os.path.join(d, "index.txt"), "w").close()
    with open(os.path.join(d, "serial"), "w") as f:
        f.write("01\n")
    make_ca(d, "ca")
    make_ca(d, "otherca")
    make_leaf(d, "good", "ca", "20200101000000Z", "20400101000000Z")
    make_leaf(d, "expired", "ca", "20200101000000Z", "20200201000000Z")
    make_leaf(d, "untrusted", "otherca", "20200101000000Z", "20400101000000Z")
    make_leaf(d, "rsa", "ca", "20200101000000Z", "20400101000000Z", rsa=True)


def secsipidx_sign(d, key, iat, orig=ORIG, dest=DEST, x5u=URL["good"]):
    return run(["secsipidx", "-s", "-k", key, "-o", orig, "-d", dest, "-a", "A", "-orig-id",
                ORIGID, "-x5u", x5u, "-iat", str(iat)], d).decode().strip()


def der_sign(d, key, data, digest="-sha256"):
    return run(["openssl", "dgst", digest, "-sign", key], d, data)


def raw_rs(der):
    """ECDSA-Sig-Value DER -> the 64-byte r||s of JWS."""
    assert der[0] == 0x30
    i = 2
    out = b""
    for _ in range(2):
        assert der[i] == 0x02
        n = der[i + 1]
        out += der[i + 2:i + 2 + n].lstrip(b"\0").rjust(32, b"\0")
        i += 2 + n
    return out


def jws(d, key, header, payload, der=False):
    si = b64url(json.dumps(header, separators=(",", ":"), sort_keys=True).encode()) + "." + \
        b64url(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    sig = der_sign(d, key, si.encode())
    return si + "." + b64url(sig if der else raw_rs(sig))


def shaken_claims(iat, x5u=URL["good"]):
    return ({"alg": "ES256", "ppt": "shaken", "typ": "passport", "x5u": x5u},
            {"attest": "A", "dest": {"tn": [DEST]}, "iat": iat, "orig": {"tn": ORIG},
             "origid": ORIGID})


def params(url=URL["good"], ppt="shaken"):
    return ";info=<%s>;alg=ES256" % url + (";ppt=%s" % ppt if ppt else "")


def invite(call_id, src, dst, date, identities=(), orig=ORIG, dest=DEST, contact=None,
           extra=(), branch=None, body=b""):
    hdrs = [("Via", "SIP/2.0/UDP %s;branch=z9hG4bK%s" % (src, branch or call_id.split("@")[0])),
            ("Max-Forwards", "70"), ("From", "<sip:%s@a.example;user=phone>;tag=f1" % orig),
            ("To", "<sip:%s@b.example;user=phone>" % dest), ("Call-ID", call_id),
            ("CSeq", "1 INVITE"), ("Contact", "<%s>" % (contact or "sip:%s@%s" % (orig, src))),
            ("Date", date)]
    hdrs += [("Identity", v) for v in identities]
    hdrs += list(extra)
    return message("INVITE sip:%s@b.example SIP/2.0" % dest, hdrs, body)


REASONS = {428: "Use Identity Header", 436: "Bad Identity Info", 437: "Unsupported Credential",
           438: "Invalid Identity Header", 200: "OK"}


def response(code, call_id, src, orig=ORIG, dest=DEST, branch=None, stir=True):
    hdrs = [("Via", "SIP/2.0/UDP %s;branch=z9hG4bK%s" % (src, branch or call_id.split("@")[0])),
            ("From", "<sip:%s@a.example;user=phone>;tag=f1" % orig),
            ("To", "<sip:%s@b.example;user=phone>;tag=t1" % dest), ("Call-ID", call_id),
            ("CSeq", "1 INVITE")]
    if stir and code != 200:
        hdrs.append(("Reason", 'STIR;cause=%d;text="%s"' % (code, REASONS[code])))
    return message("SIP/2.0 %d %s" % (code, REASONS[code]), hdrs)


def rfc4474(d, call_id, date, signed_contact, sent_contact):
    """An RFC 4474 INVITE: signature over the digest string with signed_contact."""
    body = b""
    ds = "sip:%s@a.example;user=phone|sip:%s@b.example;user=phone|%s|1 INVITE|%s|%s|" % (
        ORIG, DEST, call_id, date, signed_contact)
    sig = base64.b64encode(der_sign(d, "rsa.key", ds.encode() + body, "-sha1")).decode()
    return invite(call_id, A, B, date, ['"%s"' % sig], contact=sent_contact,
                  extra=[("Identity-Info", "<%s>;alg=rsa-sha1" % URL["rsa"])])


def build(d):
    make_certs(d)
    now = int(time.time())
    date = email.utils.formatdate(now, usegmt=True)
    good = secsipidx_sign(d, "good.key", now)
    flipped_sig = bytearray(base64.urlsafe_b64decode(good.split(".")[2] + "=="))
    flipped_sig[10] ^= 0x01
    flipped = ".".join(good.split(".")[:2] + [b64url(bytes(flipped_sig))])
    hdr, pay = shaken_claims(now)
    pay_str = dict(pay, iat=str(now))
    compact_hdr = {"alg": "ES256", "typ": "passport", "x5u": URL["good"]}
    compact_pay = {"dest": {"tn": [DEST]}, "iat": now, "orig": {"tn": ORIG}}
    compact = ".." + jws(d, "good.key", compact_hdr, compact_pay).split(".")[2]
    tokens = {
        "valid": good + params(),
        "no_fault": good + params(),
        "orig_changed": good + params(),
        "dest_changed": good + params(),
        "stale_iat": secsipidx_sign(d, "good.key", now - 300) + params(),
        "future_iat": secsipidx_sign(d, "good.key", now + 300) + params(),
        "flipped_signature": flipped + params(),
        "der_signature": jws(d, "good.key", hdr, pay, der=True) + params(),
        "x5u_not_info": good + params(url=BASE + "other.pem"),
        "unknown_url": secsipidx_sign(d, "good.key", now, x5u=URL["unknown"]) +
        params(URL["unknown"]),
        "expired_cert": secsipidx_sign(d, "expired.key", now, x5u=URL["expired"]) +
        params(URL["expired"]),
        "untrusted_cert": secsipidx_sign(d, "untrusted.key", now, x5u=URL["untrusted"]) +
        params(URL["untrusted"]),
        "wrong_ppt": good + params(ppt="div"),
        "iat_string": jws(d, "good.key", hdr, pay_str) + params(),
        "canon_only": good + params(),
        "missing_semicolon": good + ";info=<%s>alg=ES256;ppt=shaken" % URL["good"],
        "compact_valid": compact + params(ppt=None),
        "compact_shaken": ".." + good.split(".")[2] + params(),
    }
    # case: (response code or None, expected identity events, expected rejection cause)
    cases = [
        ("valid", 200, [("valid", [])], None),
        ("no_fault", 438, [("valid", [])], "no_fault_found"),
        ("orig_changed", 438, [("invalid", ["orig_mismatch"])], "orig_mismatch"),
        ("dest_changed", 438, [("invalid", ["dest_mismatch"])], "dest_mismatch"),
        ("stale_iat", 438, [("invalid", ["iat_stale"])], "iat_stale"),
        ("future_iat", 438, [("invalid", ["iat_stale"])], "iat_stale"),
        ("flipped_signature", 438, [("invalid", ["signature_invalid"])], "signature_invalid"),
        ("der_signature", 438, [("invalid", ["signature_invalid"])], "signature_invalid"),
        ("x5u_not_info", 438, [("invalid", ["alg_mismatch"])], "alg_mismatch"),
        ("unknown_url", 436, [("unverifiable", ["cert_unavailable"])], "cert_unavailable"),
        ("expired_cert", 437, [("invalid", ["cert_expired"])], "cert_expired"),
        ("untrusted_cert", 437, [("invalid", ["cert_untrusted"])], "cert_untrusted"),
        ("wrong_ppt", 438, [("invalid", ["ppt_mismatch"])], "ppt_mismatch"),
        ("iat_string", 438, [("invalid", ["malformed"])], "malformed"),
        ("canon_only", 200, [("valid", [])], None),
        ("missing_semicolon", 200, [("valid", [])], None),
        ("compact_valid", 200, [("valid", [])], None),
        ("compact_shaken", 438, [("unverifiable", ["malformed"])], "malformed"),
        ("two_headers", 200, [("valid", []), ("invalid", ["malformed"])], None),
        ("unsigned", 428, [], "identity_missing"),
        ("rfc4474_valid", 200, [("valid", [])], None),
        ("rfc4474_contact_changed", 438, [("invalid", ["signature_invalid"])],
         "signature_invalid"),
    ]
    # Without any certificate: what each case's fault becomes. Faults that
    # need the key or the certificate (a well-shaped signature that does not
    # verify, an expired or untrusted certificate) cannot be seen; every
    # decodable token then also lacks its certificate. A DER signature is
    # wrong whatever the key.
    cu = ["cert_unavailable"]
    nocert = {
        "valid": ([("unverifiable", cu)], None),
        "no_fault": ([("unverifiable", cu)], "cert_unavailable"),
        "orig_changed": ([("invalid", ["orig_mismatch"] + cu)], "orig_mismatch"),
        "dest_changed": ([("invalid", ["dest_mismatch"] + cu)], "dest_mismatch"),
        "stale_iat": ([("invalid", ["iat_stale"] + cu)], "iat_stale"),
        "future_iat": ([("invalid", ["iat_stale"] + cu)], "iat_stale"),
        "flipped_signature": ([("unverifiable", cu)], "cert_unavailable"),
        "der_signature": ([("invalid", ["signature_invalid"] + cu)], "signature_invalid"),
        "x5u_not_info": ([("invalid", ["alg_mismatch"] + cu)], "alg_mismatch"),
        "unknown_url": ([("unverifiable", cu)], "cert_unavailable"),
        "expired_cert": ([("unverifiable", cu)], "cert_unavailable"),
        "untrusted_cert": ([("unverifiable", cu)], "cert_unavailable"),
        "wrong_ppt": ([("invalid", ["ppt_mismatch"] + cu)], "ppt_mismatch"),
        "iat_string": ([("invalid", ["malformed"])], "malformed"),
        "canon_only": ([("unverifiable", cu)], None),
        "missing_semicolon": ([("unverifiable", cu)], None),
        "compact_valid": ([("unverifiable", cu)], None),
        "compact_shaken": ([("unverifiable", ["malformed"])], "malformed"),
        "two_headers": ([("unverifiable", cu), ("invalid", ["malformed"])], None),
        "unsigned": ([], "identity_missing"),
        "rfc4474_valid": ([("unverifiable", cu)], None),
        "rfc4474_contact_changed": ([("unverifiable", cu)], "cert_unavailable"),
    }
    w = pg.Writer(os.path.join(d, "identity.pcap"))
    t = now * 10**9
    manifest = {"now": now, "cases": [], "vectors": []}
    # First, a call captured in January 2020, signed then with the leaf that
    # expired in February 2020: valid at iat, which is what counts, though
    # expired today.
    cid = "idt-signed-2020@a.example"
    iat2020 = 1579046400  # 2020-01-15T00:00:00Z
    old = secsipidx_sign(d, "expired.key", iat2020, x5u=URL["expired"]) + params(URL["expired"])
    msg = invite(cid, A, B, email.utils.formatdate(iat2020, usegmt=True), [old])
    w.write(iat2020 * 10**9 + 10**9, pg.udp_frame(msg, A, B))
    w.write(iat2020 * 10**9 + 11 * 10**8, pg.udp_frame(response(200, cid, A), B, A))
    manifest["cases"].append({"name": "signed_2020", "call_id": cid, "status": 200,
                              "identity": [("valid", [])], "cause": None, "modified_by": None,
                              "nocert": ([("unverifiable", cu)], None)})
    for i, (name, code, idents, cause) in enumerate(cases):
        cid = "idt-%s@a.example" % name.replace("_", "-")
        if name in tokens:
            kw = {"orig": "12155550000"} if name == "orig_changed" else \
                {"dest": "12155550100"} if name == "dest_changed" else \
                {"orig": "+1-215-555-0101"} if name == "canon_only" else {}
            msg = invite(cid, A, B, date, [tokens[name]], **kw)
        elif name == "two_headers":
            msg = invite(cid, A, B, date, [tokens["valid"], "abc.def.ghi" + params()])
        elif name == "unsigned":
            msg = invite(cid, A, B, date)
        elif name == "rfc4474_valid":
            msg = rfc4474(d, cid, date, "sip:%s@%s" % (ORIG, A), "sip:%s@%s" % (ORIG, A))
        else:
            msg = rfc4474(d, cid, date, "sip:%s@%s" % (ORIG, A), "sip:%s@203.0.113.66" % ORIG)
        w.write(t, pg.udp_frame(msg, A, B))
        if name == "valid":  # a retransmission: no second identity event
            w.write(t + 500 * 10**6, pg.udp_frame(msg, A, B))
        kw = {"orig": "12155550000"} if name == "orig_changed" else \
            {"dest": "12155550100"} if name == "dest_changed" else {}
        w.write(t + 10**9, pg.udp_frame(response(code, cid, A, **kw), B, A))
        t += 2 * 10**9
        manifest["cases"].append({"name": name, "call_id": cid, "status": code,
                                  "identity": idents, "cause": cause, "modified_by": None,
                                  "nocert": nocert[name]})
    # Two legs: A -> P keeps the signed From; P -> B rewrote it; B answers
    # 438 and P relays it to A. Both 438s mean B's finding: P changed From.
    # In the second call the relayed 438 is captured first (another tap).
    finding = {"signed_orig_tn": ORIG, "seen_from_tn": "12155550000"}
    for name, relay_first in (("two_leg", False), ("two_leg_relay_first", True)):
        cid = "idt-%s@a.example" % name.replace("_", "-")
        w.write(t, pg.udp_frame(invite(cid, LEG_A, LEG_P, date, [tokens["valid"]],
                                       branch="leg1"), LEG_A, LEG_P))
        w.write(t + 10**8, pg.udp_frame(invite(cid, LEG_P, LEG_B, date, [tokens["valid"]],
                                               orig="12155550000", branch="leg2"), LEG_P, LEG_B))
        down = pg.udp_frame(response(438, cid, LEG_P, orig="12155550000", branch="leg2"),
                            LEG_B, LEG_P)
        up = pg.udp_frame(response(438, cid, LEG_A, branch="leg1"), LEG_P, LEG_A)
        for k, frame in enumerate((up, down) if relay_first else (down, up)):
            w.write(t + (2 + k) * 10**8, frame)
        t += 2 * 10**9
        legs = [{"src_ip": LEG_B, "status": 438, "cause": "orig_mismatch", "modified_by": LEG_P,
                 "evidence": finding},
                {"src_ip": LEG_P, "status": 438, "cause": "orig_mismatch", "modified_by": LEG_P,
                 "evidence": finding}]
        manifest["cases"].append({
            "name": name, "call_id": cid, "status": 438,
            "identity": [("valid", []), ("invalid", ["orig_mismatch"])],
            "cause": "orig_mismatch", "modified_by": LEG_P, "rejections": legs,
            "nocert": ([("unverifiable", cu), ("invalid", ["orig_mismatch"] + cu)],
                       "orig_mismatch")})
    # Call-IDs of 300 bytes that share their first 291: each response must
    # find its own request. One was rewritten after signing, one is intact,
    # one is unsigned; the three requests come before any response.
    stem = "L" * 291
    longs = [("long_orig_changed", "orig-chgd", [tokens["valid"]], {"orig": "12155550000"},
              438, [("invalid", ["orig_mismatch"])], "orig_mismatch",
              ([("invalid", ["orig_mismatch"] + cu)], "orig_mismatch")),
             ("long_no_fault", "no-fault0", [tokens["valid"]], {}, 438, [("valid", [])],
              "no_fault_found", ([("unverifiable", cu)], "cert_unavailable")),
             ("long_unsigned", "unsigned0", [], {}, 428, [], "identity_missing",
              ([], "identity_missing"))]
    for k, (name, tail, idents, kw, code, want, cause, nc) in enumerate(longs):
        cid = stem + tail
        assert len(cid) == 300
        w.write(t + k * 10**8, pg.udp_frame(invite(cid, A, B, date, idents, branch="long%d" % k,
                                                   **kw), A, B))
        w.write(t + 10**9 + k * 10**8,
                pg.udp_frame(response(code, cid, A, branch="long%d" % k, **kw), B, A))
        manifest["cases"].append({"name": name, "call_id": cid, "status": code,
                                  "identity": want, "cause": cause, "modified_by": None,
                                  "nocert": nc})
    t += 2 * 10**9
    w.close()
    build_busy(d, tokens, date, t, manifest)
    # Vectors for secsipidx: (case, key cert, extra verify args, its expected exit status).
    judged = {"valid": 0, "stale_iat": 24, "flipped_signature": 5, "der_signature": 3,
              "x5u_not_info": 51, "wrong_ppt": 209, "expired_cert": 153,
              "untrusted_cert": 155}
    certs = {"expired_cert": "expired.pem", "untrusted_cert": "untrusted.pem"}
    for name, rc in judged.items():
        path = os.path.join(d, "identity-%s.txt" % name)
        with open(path, "w") as f:
            f.write(tokens[name])
        manifest["vectors"].append({"case": name, "file": path,
                                    "cert": os.path.join(d, certs.get(name, "good.pem")),
                                    "expect_rc": rc})
    manifest["args"] = ["--cert", "%s=%s" % (URL["good"], os.path.join(d, "good.pem")),
                        "--cert", "%s=%s" % (URL["expired"], os.path.join(d, "expired.pem")),
                        "--cert", "%s=%s" % (URL["untrusted"],
                                             os.path.join(d, "untrusted.pem")),
                        "--cert", "%s=%s" % (URL["rsa"], os.path.join(d, "rsa.pem")),
                        "--trust", os.path.join(d, "ca.pem")]
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    return manifest


def build_busy(d, tokens, date, t, manifest, unsigned=3000, signed_cap=16):
    """busy.pcap: 3 signed INVITEs (one rewritten after signing), then
    `unsigned` unsigned INVITEs, then the answers: 438 to the signed ones, 428
    to every 500th unsigned one (the oldest first). With --max-identity-checks
    `signed_cap` nothing may be forgotten: only 3 requests are signed.
    overflow.pcap: signed_cap + 24 signed INVITEs, then a 438 to the first
    (forgotten: cause null, not identity_missing) and to the last (held)."""
    w = pg.Writer(os.path.join(d, "busy.pcap"))
    calls = []
    for i in range(3):
        cid = "busy-signed-%d@a.example" % i
        kw = {"orig": "12155550000"} if i == 1 else {}
        w.write(t, pg.udp_frame(invite(cid, A, B, date, [tokens["valid"]], **kw), A, B))
        calls.append((cid, 438, "orig_mismatch" if i == 1 else "no_fault_found", kw))
        t += 10**6
    for i in range(unsigned):
        cid = "busy-unsigned-%d@a.example" % i
        w.write(t, pg.udp_frame(invite(cid, A, B, date), A, B))
        if i % 500 == 0:
            calls.append((cid, 428, "identity_missing", {}))
        t += 10**6
    for cid, code, _, kw in calls:
        w.write(t, pg.udp_frame(response(code, cid, A, **kw), B, A))
        t += 10**6
    w.close()
    manifest["busy"] = {"pcap": os.path.join(d, "busy.pcap"), "cap": signed_cap,
                        "rejections": {cid: [code, cause] for cid, code, cause, _ in calls}}
    w = pg.Writer(os.path.join(d, "overflow.pcap"))
    n = signed_cap + 24
    for i in range(n):
        cid = "overflow-%d@a.example" % i
        w.write(t, pg.udp_frame(invite(cid, A, B, date, [tokens["valid"]]), A, B))
        t += 10**6
    for i in (0, n - 1):
        w.write(t, pg.udp_frame(response(438, "overflow-%d@a.example" % i, A), B, A))
        t += 10**6
    w.close()
    manifest["overflow"] = {"pcap": os.path.join(d, "overflow.pcap"), "cap": signed_cap,
                            "evicted": n - signed_cap,
                            "rejections": {"overflow-0@a.example": None,
                                           "overflow-%d@a.example" % (n - 1): "no_fault_found"}}


if __name__ == "__main__":
    os.makedirs(sys.argv[1], exist_ok=True)
    build(sys.argv[1])
