#!/usr/bin/env python3
"""--summary: the report for every capture in samples/ equals its golden file
in tests/golden/summary/ byte for byte (scripts/golden-refresh rewrites them
after a reviewed change); it goes to stderr without changing the events, or
to the output with --events none; lines fit in 100 columns. The identity
captures are made at test time (scripts/gen/gen_identity.py, signed now), so
their report is checked against their own events instead of a golden file.
usage: test_summary.py PATH-TO-SIPSLEUTH"""
import collections
import difflib
import glob
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sipcount import ROOT, SAMPLES, report, sipsleuth_keylog_args  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "scripts", "gen"))
import gen_identity  # noqa: E402

GOLDEN = os.path.join(ROOT, "tests", "golden", "summary")


def main():
    b = sys.argv[1]
    checks = []

    def check(name, cond, detail=""):
        checks.append(bool(cond))
        print(("ok   " if cond else "FAIL ") + name + ("" if cond else ":\n" + str(detail)))

    samples = sorted(glob.glob(os.path.join(SAMPLES, "*.pcap")) +
                     glob.glob(os.path.join(SAMPLES, "*.pcapng")))
    for path in samples:
        name = os.path.splitext(os.path.basename(path))[0]
        golden = os.path.join(GOLDEN, name + ".txt")
        r = subprocess.run([b, "--summary", "--events", "none", "-r", path] +
                           sipsleuth_keylog_args(path), capture_output=True)
        if not os.path.exists(golden):
            check(name + ": has a golden file", False, "run scripts/golden-refresh and review it")
            continue
        with open(golden, "rb") as f:
            want = f.read()
        diff = "".join(difflib.unified_diff(
            want.decode(errors="replace").splitlines(True),
            r.stdout.decode(errors="replace").splitlines(True), "golden", "now"))
        check(name + ": summary equals the golden file",
              r.returncode == 0 and r.stdout == want and not r.stderr,
              "rc=%d stderr=%r\n%s" % (r.returncode, r.stderr, diff))
        wide = [l for l in want.decode().splitlines() if len(l) > 100]
        check(name + ": lines fit in 100 columns", not wide, wide)
    stale = sorted(set(os.listdir(GOLDEN)) -
                   {os.path.splitext(os.path.basename(p))[0] + ".txt" for p in samples})
    check("no golden file without its sample", not stale, stale)

    basic = os.path.join(SAMPLES, "basic-call.pcap")
    with open(os.path.join(GOLDEN, "basic-call.txt"), "rb") as f:
        want = f.read()
    plain = subprocess.run([b, "-r", basic], capture_output=True)
    r = subprocess.run([b, "--summary", "-r", basic], capture_output=True)
    check("with events on, the report goes to stderr and the events are unchanged",
          r.returncode == 0 and r.stderr == want and r.stdout == plain.stdout and r.stdout,
          r.stderr.decode(errors="replace"))
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "report.txt")
        r = subprocess.run([b, "--summary", "--events", "none", "-o", out, "-r", basic],
                           capture_output=True)
        with open(out, "rb") as f:
            got = f.read()
        check("--events none -o FILE: the report goes to FILE",
              r.returncode == 0 and got == want and not r.stdout and not r.stderr, got)
    check_identity(b, check)
    return report(sum(checks), len(checks) - sum(checks))


def section_rows(text, title):
    """(name, count) of the lines of a report section, up to its blank line."""
    lines = text.split("\n\n" + title + "\n", 1)[1].split("\n\n", 1)[0].splitlines()
    rows = {}
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit():
            rows[parts[0]] = int(parts[1])
    return rows


def check_identity(b, check):
    with tempfile.TemporaryDirectory() as d:
        m = gen_identity.build(d)
        r = subprocess.run([b, "--summary", "--events", "identity,rejection",
                            "-r", os.path.join(d, "identity.pcap")] + m["args"],
                           capture_output=True)
    events = [json.loads(line) for line in r.stdout.splitlines()]
    text = r.stderr.decode()
    ids = [e["identity"] for e in events if e["event_type"] == "identity"]
    v = collections.Counter(i["verdict"] for i in ids)
    line = "Identity headers %d: valid %d, invalid %d, unverifiable %d" % (
        len(ids), v["valid"], v["invalid"], v["unverifiable"])
    check("identity: verdicts as the events give them (%s)" % line,
          r.returncode == 0 and len(ids) > 0 and (", " + line + "\n") in text, text)
    want = collections.Counter(reason for i in ids for reason in i["reasons"])
    got = section_rows(text, "Identity (STIR/SHAKEN, RFC 8224)")
    check("identity: reasons as the events give them", got == dict(want),
          "%s != %s" % (got, dict(want)))
    want = collections.Counter(e["rejection"]["cause"] or "(unknown)" for e in events
                               if e["event_type"] == "rejection")
    got = section_rows(text, "Rejections (428/436/437/438) by cause")
    check("identity: rejections by cause, each with what it means",
          got == dict(want) and len(want) >= 5, "%s != %s" % (got, dict(want)))


if __name__ == "__main__":
    sys.exit(main())
