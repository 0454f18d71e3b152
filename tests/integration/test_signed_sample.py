#!/usr/bin/env python3
"""The bundled signed-call sample (scripts/gen/gen_signed_sample.py) is
explained out of the box with its certificate, as the README shows: the
identity verdict of each leg and both 438s (the verifier's and the one the
proxy relayed) with cause and modified_by as the generator's ground truth
(samples/identity-438.json) says.

usage: test_signed_sample.py PATH/TO/sipsleuth   (run from the repository root)
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sipcount import SAMPLES, report  # noqa: E402


def main():
    with open(os.path.join(SAMPLES, "identity-438.json")) as f:
        truth = json.load(f)
    cmd = [sys.argv[1], "--cert", "%s=%s" % (truth["x5u"], os.path.join(SAMPLES, "identity-sp.pem")),
           "--trust", os.path.join(SAMPLES, "identity-ca.pem"), "--events", "identity,rejection",
           "-r", os.path.join(SAMPLES, "identity-438.pcap")]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    events = [json.loads(line) for line in out.splitlines()]
    ids = [{"src_ip": e["src_ip"], "verdict": e["identity"]["verdict"],
            "reasons": e["identity"]["reasons"]} for e in events if e["event_type"] == "identity"]
    rej = [{"src_ip": e["src_ip"], "status_code": e["rejection"]["status_code"],
            "cause": e["rejection"]["cause"], "modified_by": e["rejection"]["modified_by"]}
           for e in events if e["event_type"] == "rejection"]
    evidence = [e["rejection"]["evidence"] for e in events if e["event_type"] == "rejection"]
    passed = failed = 0
    for ok, what in (
            (ids == truth["identity"], "identity verdicts per leg: %s" % ids),
            (rej == truth["rejections"], "both 438s explained: %s" % rej),
            (all(ev.get("signed_orig_tn") == truth["signed_orig_tn"] and
                 ev.get("seen_from_tn") == truth["seen_from_tn"] for ev in evidence),
             "evidence: signed vs seen calling number")):
        print(("ok   " if ok else "FAIL ") + what)
        passed += ok
        failed += not ok
    return report(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
