#!/usr/bin/env python3
"""Offline Identity re-verification end to end, on vectors made now with
openssl and secsipidx (scripts/gen/gen_identity.py): the identity verdict and
reasons of every case, the rejection cause of every 4xx (modified_by on the
two-leg call), --cert-dir with secsipid's cache naming, the run without
--trust, the verification cache, and agreement with secsipidx's own verdicts
on the vectors it judges.

usage: test_identity.py PATH/TO/sipsleuth   (run from the repository root)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts", "gen"))
import gen_identity  # noqa: E402

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
        print("ok   " + what)
    else:
        failed += 1
        print("FAIL " + what)


def run(binary, pcap, args):
    out = subprocess.run([binary, "-r", pcap, "--events", "identity,rejection,anomaly,stats"] +
                         args, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def by_call(events, kind):
    out = {}
    for e in events:
        if e["event_type"] == kind:
            out.setdefault(e["call_id"], []).append(e[kind])
    return out


def main():
    binary = sys.argv[1]
    if not shutil.which("secsipidx"):
        print("secsipidx is missing: run scripts/setup")
        print("0 passed, 1 failed")
        return 1
    d = tempfile.mkdtemp(prefix="sipsleuth-identity-")
    try:
        m = gen_identity.build(d)
        pcap = os.path.join(d, "identity.pcap")
        events = run(binary, pcap, m["args"])
        idents, rejs = by_call(events, "identity"), by_call(events, "rejection")
        anomalies = by_call(events, "anomaly")
        verdicts = {}
        for c in m["cases"]:
            got = [(i["verdict"], i["reasons"]) for i in idents.get(c["call_id"], [])]
            want = [(v, r) for v, r in c["identity"]]
            check(got == want, "%s: identity %s (got %s)" % (c["name"], want, got))
            verdicts[c["name"]] = got[0] if got else None
            r = rejs.get(c["call_id"], [])
            if c["cause"] is None:
                check(r == [], "%s: no rejection" % c["name"])
                continue
            ok = len(r) == 1 and r[0]["cause"] == c["cause"] and \
                r[0]["status_code"] == c["status"] and r[0]["modified_by"] == c["modified_by"]
            check(ok, "%s: one rejection %d cause %s modified_by %s (got %s)" % (
                c["name"], c["status"], c["cause"], c["modified_by"],
                [(x["status_code"], x["cause"], x["modified_by"]) for x in r]))
            if r:
                check(r[0]["explanation"].endswith(".") and
                      r[0]["reason_header"].startswith("STIR;cause=%d" % c["status"]),
                      "%s: explanation sentence and Reason header" % c["name"])
        forms = {c["name"]: idents.get(c["call_id"], [{}])[0].get("form") for c in m["cases"]}
        check(forms["compact_valid"] == "compact" and forms["rfc4474_valid"] == "rfc4474" and
              forms["valid"] == "full", "forms: full, compact, rfc4474")
        der = idents["idt-der-signature@a.example"][0]["detail"] or ""
        check("der_signature" in der, "DER signature is named in identity.detail")
        canon = idents["idt-canon-only@a.example"][0]
        check("orig matches only after canonicalization" in (canon["detail"] or "") and
              canon["seen_orig_tn"] == "12155550101",
              "From +1-215-555-0101 matches 12155550101 only after canonicalization: said so")
        orig = rejs["idt-orig-changed@a.example"][0]["evidence"]
        check(orig.get("signed_orig_tn") == "12155550101" and
              orig.get("seen_from_tn") == "12155550000", "orig_mismatch evidence: signed vs From")
        check([a["kind"] for a in anomalies.get("idt-missing-semicolon@a.example", [])] ==
              ["identity_missing_semicolon"], "missing ';' before alg: tolerated, an anomaly")
        stats = [e["stats"]["identity"] for e in events if e["event_type"] == "stats"][-1]
        check(stats["cache_hits"] > 0 and stats["signatures_checked"] < stats["signed_requests"],
              "verification cache: %d checks for %d signed requests (%d hits)" % (
                  stats["signatures_checked"], stats["signed_requests"], stats["cache_hits"]))

        # --cert-dir laid out as secsipid's cache names files.
        cache = os.path.join(d, "cache")
        os.mkdir(cache)
        shutil.copy(os.path.join(d, "good.pem"), os.path.join(cache,
                    "https_certs.example.org_sp.pem"))
        ev = by_call(run(binary, pcap, ["--cert-dir", cache, "--trust",
                                        os.path.join(d, "ca.pem")]), "identity")
        v = ev["idt-valid@a.example"][0]
        check(v["verdict"] == "valid" and v["chain_checked"], "--cert-dir: valid, chain checked")
        u = ev["idt-expired-cert@a.example"][0]
        check(u["reasons"] == ["cert_unavailable"], "--cert-dir: a URL not in it is unavailable")

        # Without --trust chains are not checked: the untrusted leaf passes.
        ev = by_call(run(binary, pcap, [a for a in m["args"] if not a.endswith("ca.pem") and
                                        a != "--trust"]), "identity")
        u = ev["idt-untrusted-cert@a.example"][0]
        check(u["verdict"] == "valid" and u["chain_checked"] is False,
              "no --trust: chain_checked false, no cert_untrusted")

        # secsipidx's verdicts on the same tokens.
        print("secsipidx agreement:")
        print("  %-18s %-9s %-28s %s" % ("case", "secsipidx", "sipsleuth", "agree"))
        for vec in m["vectors"]:
            cmd = ["secsipidx", "-c", "-fidentity", vec["file"], "-p", vec["cert"],
                   "-expire", "60"]
            if vec["case"] in ("expired_cert", "untrusted_cert"):
                cmd += ["-cert-verify", "5", "-ca-file", os.path.join(d, "ca.pem")]
            rc = subprocess.run(cmd, capture_output=True).returncode
            mine = verdicts[vec["case"]]
            agree = (rc == 0) == (mine[0] == "valid") and rc == vec["expect_rc"]
            print("  %-18s %-9d %-28s %s" % (vec["case"], rc, "%s %s" % (mine[0], ",".join(
                mine[1])), "yes" if agree else "NO"))
            check(agree, "secsipidx agrees on %s (exit %d, expected %d)" % (
                vec["case"], rc, vec["expect_rc"]))
    finally:
        shutil.rmtree(d, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
