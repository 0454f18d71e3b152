#!/usr/bin/env python3
"""Smoke test of scripts/bench: `--quick` on this build's binary completes,
and sipsleuth's message and call counts on every bench capture equal what the
generator wrote (issue 11, acceptance 3; the busy trunk of ../shared/bench,
over UDP, TCP and with RTP, issue 21). Times are not asserted: the machine
running the tests may be busy."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sipcount import ROOT, report  # noqa: E402


def main():
    binary = os.path.abspath(sys.argv[1])
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [os.path.join(ROOT, "scripts", "bench"), "--quick", "--runs", "1", "--no-external",
               "--sipsleuth", binary, "--report-dir", tmp]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if out.returncode != 0:
            print("FAIL bench exited %d\n%s\n%s" % (out.returncode, out.stdout, out.stderr[-3000:]))
            return report(passed, failed + 1)
        passed += 1
        with open(os.path.join(tmp, "bench-latest.json")) as f:
            doc = json.load(f)
    checks = doc["count_checks"]
    for case in ("udp ×1", "udp ×2", "udp ×4", "tcp"):
        if checks.get(case) == "ok":
            passed += 1
        else:
            failed += 1
            print("FAIL count check %s: %s" % (case, checks.get(case)))
    # signed needs python3-cryptography; the trunk cases need ../shared/bench
    for case in ("signed", "trunk", "trunk tcp", "trunk + rtp"):
        if checks.get(case) in ("ok", "not available"):
            passed += 1
        else:
            failed += 1
            print("FAIL count check %s: %s" % (case, checks.get(case)))
    measured = {(r["case"], r["contender"]) for r in doc["results"] if not r.get("skipped")}
    for case in ("udp ×1", "udp ×2", "udp ×4", "tcp"):
        for who in ("bare libpcap loop", "sipsleuth (default events)", "sipsleuth --events all"):
            if (case, who) in measured:
                passed += 1
            else:
                failed += 1
                print("FAIL no measurement of %s on %s" % (who, case))
    if checks.get("trunk") == "ok":  # the cost of SDP (issue 19) is measured in the same run
        sdp = [t for t in doc["targets"] if t["target"].startswith("trunk: default events, SDP")]
        if sdp and sdp[0]["measured"]:
            passed += 1
        else:
            failed += 1
            print("FAIL no SDP cost target: %s" % sdp)
    bad_exit = [(r["case"], r["contender"], r["exit"]) for r in doc["results"]
                if not r.get("skipped") and r["contender"].startswith("sipsleuth") and any(r["exit"])]
    if bad_exit:
        failed += 1
        print("FAIL sipsleuth exited non-zero: %s" % bad_exit)
    else:
        passed += 1
    return report(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
