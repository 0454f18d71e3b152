#!/usr/bin/env python3
"""--workers 2 (issue 21) writes exactly what --workers 1 writes: the same
events in the same order, stats and summary included, byte for byte, on
every bundled sample, every shared corpus capture and the bench captures of
scripts/bench (busy trunk over UDP, over TCP, with RTP) when present, with
the option sets that reach the rest of the pipeline (periodic stats, SIP
raw text, dedup, TLS keys, certificates, routes file, --extract). The
reference is the one-thread run of the same build: the parse and the
analysis are the same code, only the handoff between them differs.

usage: test_workers.py PATH/TO/sipsleuth   (run from the repository root)
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from livecap import sanitized  # noqa: E402
from sipcount import CORPUS, ROOT, SAMPLES, report  # noqa: E402


def captures(with_bench):
    caps = sorted(glob.glob(os.path.join(SAMPLES, "*.pcap*")) +
                  glob.glob(os.path.join(CORPUS, "*", "*.pcap*")) +
                  glob.glob(os.path.join(CORPUS, "*", "*.cap")))
    if with_bench:
        caps += sorted(glob.glob(os.path.join(ROOT, "build-bench", "captures", "perfgen-q-*.pcap")))
    return caps


def cases(full):
    """(captures, arguments) pairs; not full: without the bench captures and
    the default-events runs, whose paths the other runs take too."""
    for cap in captures(full):
        yield [cap], ["--events", "all", "--stats-interval", "1", "--summary"]
        if full:
            yield [cap], []
    for name in ("basic-call.pcap", "syntax-variety.pcap", "tcp-multi-per-segment.pcap",
                 "hostile.pcap"):
        yield [os.path.join(SAMPLES, name)], ["--events", "all", "--sip-raw", "--max-contacts", "2"]
    yield [os.path.join(SAMPLES, "span-duplicates.pcap")], ["--events", "all", "--dedup"]
    with open(os.path.join(SAMPLES, "identity-438.json")) as f:
        x5u = json.load(f)["x5u"]
    yield [os.path.join(SAMPLES, "identity-438.pcap")], [
        "--events", "all", "--cert", "%s=%s" % (x5u, os.path.join(SAMPLES, "identity-sp.pem"))]
    for keys in sorted(glob.glob(os.path.join(SAMPLES, "tls*.keys"))):
        yield [keys[:-5] + ".pcap"], ["--events", "all", "--tls-keylog", keys]
    # Several files read as one stream; the routes file written at the end.
    yield [os.path.join(SAMPLES, n) for n in ("redirect-learn.pcap", "redirect-chain.pcap",
                                               "redirect-expiry.pcap")], [
        "--events", "all", "--routes", "routes.json"]
    yield [os.path.join(SAMPLES, "dialog-forked.pcap"), os.path.join(SAMPLES, "dialog-auth.pcap")], [
        "--extract-dir", "calls", "--events", "dialog"]


def run(binary, files, args, workers):
    """Everything the run wrote: stdout, stderr, exit status and the files it made."""
    with tempfile.TemporaryDirectory() as wd:
        cmd = [binary, "--workers", str(workers), *args]
        for f in files:
            cmd += ["-r", f]
        p = subprocess.run(cmd, capture_output=True, cwd=wd, timeout=900)
        made = {}
        for top, _, names in os.walk(wd):
            for name in names:
                with open(os.path.join(top, name), "rb") as f:
                    made[os.path.relpath(os.path.join(top, name), wd)] = f.read()
    return p.stdout, p.stderr, p.returncode, made


def cli_checks(binary):
    """--workers takes 1 or 2; anything else is a usage error (exit 2) naming the option."""
    passed = failed = 0
    for bad in ("0", "3", "two", "-1", ""):
        p = subprocess.run([binary, "--workers", bad, "-r", os.path.join(SAMPLES, "basic-call.pcap")],
                           capture_output=True, text=True)
        if p.returncode == 2 and "--workers" in p.stderr and not p.stdout:
            passed += 1
        else:
            failed += 1
            print("FAIL --workers %r: exit %d, stderr %r" % (bad, p.returncode, p.stderr))
    return passed, failed


def main():
    binary = os.path.abspath(sys.argv[1])
    # Under sanitizers the whole set takes minutes: the release run of the
    # suite compares it, the sanitizer run looks for memory errors in a part.
    full = not sanitized(binary)
    passed, failed = cli_checks(binary)
    for files, args in cases(full):
        if not all(os.path.exists(f) for f in files):
            continue
        one = run(binary, files, args, 1)
        two = run(binary, files, args, 2)
        name = "%s %s" % (" ".join(os.path.relpath(f, ROOT) for f in files), " ".join(args))
        if one[2] != 0 or not (one[0] or one[3]):
            failed += 1
            print("FAIL %s: the one-thread run exited %d with nothing written" % (name, one[2]))
        elif one == two:
            passed += 1
        else:
            failed += 1
            a, b = one[0].split(b"\n"), two[0].split(b"\n")
            first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            print("FAIL %s: --workers 2 differs (stdout line %d; lines %d vs %d; exit %d vs %d; "
                  "files %s vs %s)" % (name, first + 1, len(a), len(b), one[2], two[2],
                                       sorted(one[3]), sorted(two[3])))
    return report(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
