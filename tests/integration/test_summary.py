#!/usr/bin/env python3
"""--summary: the report for every capture in samples/ equals its golden file
in tests/golden/summary/ byte for byte (scripts/golden-refresh rewrites them
after a reviewed change); it goes to stderr without changing the events, or
to the output with --events none; lines fit in 100 columns.
usage: test_summary.py PATH-TO-SIPSLEUTH"""
import difflib
import glob
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sipcount import ROOT, SAMPLES, report  # noqa: E402

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
        r = subprocess.run([b, "--summary", "--events", "none", "-r", path], capture_output=True)
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
    return report(sum(checks), len(checks) - sum(checks))


if __name__ == "__main__":
    sys.exit(main())
