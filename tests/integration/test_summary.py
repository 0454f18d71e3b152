#!/usr/bin/env python3
"""--summary: the report for every capture in samples/ equals its golden file
in tests/golden/summary/ byte for byte (scripts/golden-refresh rewrites them
after a reviewed change); it goes to stderr without changing the events, or
to the output with --events none; lines fit in 100 columns. The identity
captures are made at test time (scripts/gen/gen_identity.py, signed now), so
their report is checked against their own events instead of a golden file.
The call attempts by outcome equal the `dialog` events by dialog.state (and the
final stats' dialogs.by_state) on every sample and corpus capture, whatever
states the tracker has; a failed write of the report exits 1 with a line
naming where and why.
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
from sipcount import CORPUS, ROOT, SAMPLES, report, sipsleuth_keylog_args  # noqa: E402

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
    check_attempts(b, check, samples)
    check_write_errors(b, check, basic)
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


def attempt_rows(text):
    """{outcome: attempts} of the report's "Call attempts by outcome" table,
    and its "all" row (None when the table says none)."""
    rows = section_rows(text, "Call attempts by outcome")
    return rows, rows.pop("all", None)


def check_attempts(b, check, samples):
    """The report counts the attempts the `dialog` events report, by the same
    state names, for every state the tracker has (the rows are compared as
    they come, so a state added to the tracker needs no change here)."""
    corpus = sorted(glob.glob(os.path.join(CORPUS, "*", "*.pcap*")))
    if not corpus:
        print("note: no corpus at %s: the samples only" % CORPUS)
    runs = [[p] for p in samples + corpus]
    # All of them in one run, and again with a record cap that evicts attempts.
    runs += [samples + corpus, ["--max-dialogs", "2"] + samples + corpus]
    bad = []
    for files in runs:
        cmd = [b, "--summary", "--events", "all"]
        for f in files:
            cmd += [f] if f.startswith("--") or f.isdigit() else ["-r", f]
        r = subprocess.run(cmd, capture_output=True)
        events = [json.loads(line) for line in r.stdout.splitlines()]
        by_event = collections.Counter(e["dialog"]["state"] for e in events
                                       if e["event_type"] == "dialog")
        stats = [e["stats"] for e in events if e["event_type"] == "stats"]
        by_stats = {k: v for k, v in stats[-1]["dialogs"]["by_state"].items() if v} if stats else None
        text = r.stderr.decode(errors="replace")
        try:
            rows, total = attempt_rows(text)
        except IndexError:
            rows, total = None, None
        counted = {k: v for k, v in (rows or {}).items() if v}
        ok = (r.returncode == 0 and counted == dict(by_event) == by_stats and
              (total or 0) == sum(by_event.values()) and
              (rows is not None and set(by_event) <= set(rows) or not by_event))
        if not ok:
            bad.append("%s: rc=%d report %s (all %s), dialog events %s, stats %s" % (
                " ".join(os.path.basename(f) for f in files)[:120], r.returncode, rows, total,
                dict(by_event), by_stats))
    check("attempts by outcome equal the dialog events by state, and the stats' by_state "
          "(%d runs)" % len(runs), not bad, "\n".join(bad))


def check_write_errors(b, check, basic):
    """Any failed write of the output, report or events, exits 1 with one line
    on stderr naming where it went and why."""
    def run(args, **kw):
        with open("/dev/full", "wb") as full:
            kw.setdefault("stdout", full)
            return subprocess.run([b] + args + ["-r", basic], stderr=subprocess.PIPE, **kw)

    cases = [
        ("--summary -o /dev/full", ["--summary", "-o", "/dev/full"], "/dev/full"),
        ("--summary --events none -o /dev/full", ["--summary", "--events", "none", "-o",
                                                  "/dev/full"], "/dev/full"),
        ("--events all -o /dev/full", ["--events", "all", "-o", "/dev/full"], "/dev/full"),
        ("--events all, stdout /dev/full", ["--events", "all"], "standard output"),
        ("--summary --events none, stdout /dev/full", ["--summary", "--events", "none"],
         "standard output"),
    ]
    for name, args, where in cases:
        r = run(args)
        err = r.stderr.decode(errors="replace")
        lines = [l for l in err.splitlines() if l.startswith("sipsleuth: ")]
        check("%s: exit 1, one line naming %s and the reason" % (name, where),
              r.returncode == 1 and len(lines) == 1 and where in lines[0] and
              "No space left on device" in lines[0], "rc=%d stderr=%r" % (r.returncode, err[-600:]))
    # The report on stderr, and stderr is what failed: the line cannot be read, the status can.
    with open("/dev/full", "wb") as full:
        r = subprocess.run([b, "--summary", "-r", basic], stdout=subprocess.DEVNULL, stderr=full)
    check("--summary, stderr /dev/full: exit 1", r.returncode == 1, "rc=%d" % r.returncode)


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
