#!/usr/bin/env python3
"""Offline Identity re-verification end to end, on vectors made now with
openssl and secsipidx (scripts/gen/gen_identity.py): the identity verdict and
reasons of every case, the rejection cause of every 4xx (modified_by on the
two-leg calls, whose 438 relayed upstream means the downstream finding in
either capture order), 300-byte Call-IDs matched in full, --cert-dir with
secsipid's cache naming, the run without --trust, the run without any
certificate (the other checks still decide; the explanation says which
certificate to supply), unsigned calls that cost no identity record under a
small --max-identity-checks (busy.pcap), signed ones forgotten past it
(overflow.pcap), the verification cache, and agreement with secsipidx's own
verdicts on the vectors it judges.

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
sys.path.insert(0, HERE)
from events_schema import schema_problems  # noqa: E402

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
    events = [json.loads(line) for line in out.splitlines()]
    # the samples hold no signed calls: the schema's identity and rejection
    # objects are checked here
    problems = [p for ev in events for p in schema_problems(ev)]
    check(not problems, "events of %s %s fit docs/events.schema.json %s" % (
        os.path.basename(pcap), " ".join(sorted({a for a in args if a.startswith("--")})),
        problems[:3]))
    return events


def check_rejections(c, r, cause_key="cause"):
    """The rejections of case c: one per leg (c["rejections"]) or one."""
    got = [(x["status_code"], x["cause"], x["modified_by"]) for x in r]
    if "rejections" not in c or cause_key != "cause":
        cause = c[cause_key] if cause_key == "cause" else c["nocert"][1]
        n = len(c.get("rejections", [None]))
        ok = len(r) == n and all(x["cause"] == cause and x["status_code"] == c["status"]
                                 for x in r)
        if cause_key == "cause":
            ok = ok and all(x["modified_by"] == c["modified_by"] for x in r)
        check(ok, "%s: %d rejection(s) %d cause %s (got %s)" % (c["name"], n, c["status"],
                                                                 cause, got))
        return
    for want in c["rejections"]:
        mine = [x for x in r if x["_src_ip"] == want["src_ip"]]
        ok = len(mine) == 1 and mine[0]["status_code"] == want["status"] and \
            mine[0]["cause"] == want["cause"] and mine[0]["modified_by"] == want["modified_by"] \
            and all(mine[0]["evidence"].get(k) == v for k, v in want["evidence"].items())
        check(ok, "%s: the 438 sent by %s: cause %s, modified_by %s, evidence %s (got %s)" % (
            c["name"], want["src_ip"], want["cause"], want["modified_by"], want["evidence"],
            [(x["cause"], x["modified_by"], x["evidence"]) for x in mine]))
    check(len(r) == len(c["rejections"]) and
          all(x["evidence"] == r[0]["evidence"] for x in r),
          "%s: every leg's rejection carries the same evidence" % c["name"])


def by_call(events, kind):
    out = {}
    for e in events:
        if e["event_type"] == kind:
            out.setdefault(e["call_id"], []).append(dict(e[kind], _src_ip=e.get("src_ip")))
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
            check_rejections(c, r)
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

        relayed = [x["explanation"] for x in rejs["idt-two-leg@a.example"]
                   if x["_src_ip"] == gen_identity.LEG_P]
        check(len(relayed) == 1 and "downstream leg to %s" % gen_identity.LEG_B in relayed[0],
              "relayed 438: the explanation names the downstream leg")
        check(len([c for c in m["cases"] if len(c["call_id"]) == 300]) == 3,
              "three cases with 300-byte Call-IDs")

        # No certificate at all: every check that needs none still decides.
        events = run(binary, pcap, [])
        idents, rejs = by_call(events, "identity"), by_call(events, "rejection")
        for c in m["cases"]:
            got = [(i["verdict"], sorted(i["reasons"])) for i in idents.get(c["call_id"], [])]
            want = [(v, sorted(r)) for v, r in c["nocert"][0]]
            check(got == want, "no cert, %s: identity %s (got %s)" % (c["name"], want, got))
            r = rejs.get(c["call_id"], [])
            if c["nocert"][1] is None:
                check(r == [], "no cert, %s: no rejection" % c["name"])
                continue
            check_rejections(c, r, "nocert")
            for x in r:
                if x["cause"] != "cert_unavailable":
                    continue
                url = x["evidence"]["x5u"]
                check("--cert %s=FILE" % url in x["explanation"] and "--cert-dir DIR" in
                      x["explanation"] and url.startswith(gen_identity.BASE),
                      "no cert, %s: the explanation names %s and how to supply it" % (
                          c["name"], url))

        # Thousands of unsigned calls, a small cap: none is forgotten.
        busy = m["busy"]
        events = run(binary, busy["pcap"], m["args"] + ["--max-identity-checks",
                                                         str(busy["cap"])])
        rejs = by_call(events, "rejection")
        evicted = [e for e in events if e["event_type"] == "anomaly" and
                   e["anomaly"]["kind"] == "identity_pending_evicted"]
        check(evicted == [], "busy: no identity_pending_evicted with --max-identity-checks %d "
              "(got %d)" % (busy["cap"], len(evicted)))
        for cid, (code, cause) in busy["rejections"].items():
            r = rejs.get(cid, [])
            check(len(r) == 1 and r[0]["status_code"] == code and r[0]["cause"] == cause,
                  "busy: %s %d cause %s (got %s)" % (cid, code, cause,
                                                     [(x["status_code"], x["cause"]) for x in r]))
        # More signed requests than the cap: the forgotten one is not
        # mistaken for an unsigned one.
        over = m["overflow"]
        events = run(binary, over["pcap"], m["args"] + ["--max-identity-checks",
                                                         str(over["cap"])])
        rejs = by_call(events, "rejection")
        evicted = [e for e in events if e["event_type"] == "anomaly" and
                   e["anomaly"]["kind"] == "identity_pending_evicted"]
        check(len(evicted) == over["evicted"], "overflow: %d signed requests forgotten (got %d)"
              % (over["evicted"], len(evicted)))
        for cid, cause in over["rejections"].items():
            r = rejs.get(cid, [])
            check(len(r) == 1 and r[0]["cause"] == cause and
                  (cause or "--max-identity-checks" in r[0]["explanation"]),
                  "overflow: %s cause %s (got %s)" % (cid, cause, [x["cause"] for x in r]))

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
