#!/usr/bin/env python3
"""--summary and --summary --json, against independent numbers.

1. Every corpus capture (/work/shared/corpus/*/*.pcap*): the SIP requests by
   method, responses by status and the message total of the summary equal
   what `tshark -q -z sip,stat -r F` prints (its text is parsed here; tshark is
   corrected as in test_tshark_counts.py where it lacks a dissector or decodes
   by port). Excluded, with the reason:
   - ntop-nDPI/fuzz-2006-06-26-2594.pcap: a fuzzed capture. sip,stat counts
     28 of the 52 messages that `-Y sip` shows (test_tshark_counts.py checks
     those); tshark marks 28 of its SIP frames malformed. Here sip,stat's
     counts must be a part of ours, key by key.
   tshark's "resent" count is not compared: it is tshark's own notion of a
   resent message, not the transaction tracker's retransmission verdict.
2. A capture generated here with known values: message counts (and tshark's),
   setup time and PDD percentiles (nearest rank, computed here from the
   generator's delays), answered calls without an 18x, failure codes with the
   most common reason phrase and the Q.850 causes, registrations.
3. The JSON object validates against docs/summary.schema.json (and the
   schema rejects a wrong one), the text shows the same numbers, --json goes
   where the text goes, and --json without --summary is bad usage.
usage: test_summary_sipstat.py PATH-TO-SIPSLEUTH"""
import collections
import concurrent.futures
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import jsonschema

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sipcount import CORPUS, ROOT, keylog_of, report, sipsleuth_keylog_args  # noqa: E402
from test_tshark_counts import TSHARK_CORRECTED  # noqa: E402
from tshark_cache import tshark  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "scripts", "gen"))
import pcapgen as pg  # noqa: E402
from gen_dialogs import Call  # noqa: E402
from sipmsg import message  # noqa: E402

SUBSET_ONLY = {
    "ntop-nDPI/fuzz-2006-06-26-2594.pcap":
        "fuzzed bytes: sip,stat counts 28 of the 52 messages tshark -Y sip shows",
}

with open(os.path.join(ROOT, "docs", "summary.schema.json")) as f:
    VALIDATOR = jsonschema.Draft202012Validator(json.load(f))


def sipstat(path, extra=()):
    """(messages, Counter of (kind, value)) from `tshark -q -z sip,stat`."""
    args = ["-n", "-q", "-z", "sip,stat", "-r", path,
            "-o", "tcp.reassemble_out_of_order:TRUE"] + list(extra)
    if keylog_of(path):
        args += ["-o", "tls.keylog_file:" + keylog_of(path)]
    out = tshark(args).decode(errors="replace")
    counts, total, section = collections.Counter(), None, None
    for line in out.splitlines():
        m = re.match(r"Number of SIP messages: (\d+)$", line)
        if m:
            total = int(m.group(1))
        if line.startswith("*"):
            section = ("response" if "Status Codes" in line else
                       "request" if "Request methods" in line else None)
            continue
        m = re.match(r"\s+SIP (\d{3}) .*:\s*(\d+) Packets$", line)
        if section == "response" and m:
            counts[("response", m.group(1))] += int(m.group(2))
        m = re.match(r"\s+(\S+)\s*:\s*(\d+) Packets$", line)
        if section == "request" and m:
            counts[("request", m.group(1))] += int(m.group(2))
    if total is None:
        raise RuntimeError("no sip,stat report from tshark on %s:\n%s" % (path, out))
    return total, counts


def summary(b, path, extra=()):
    """(JSON summary, text summary) of one capture."""
    args = [b, "--summary", "--events", "none", "-r", path] + sipsleuth_keylog_args(path)
    j = subprocess.run(args + ["--json"] + list(extra), capture_output=True, check=True)
    t = subprocess.run(args + list(extra), capture_output=True, check=True)
    return json.loads(j.stdout), t.stdout.decode()


def ours(j):
    c = collections.Counter()
    for k, v in j["sip"]["requests_by_method"].items():
        c[("request", k)] += v
    for k, v in j["sip"]["responses_by_status"].items():
        c[("response", k)] += v
    return c


def text_counts(text):
    """The method and status lines of the text report, as ours() counts them."""
    c, section = collections.Counter(), None
    for line in text.splitlines():
        if not line.startswith(" "):
            section = ("request" if line.startswith("SIP requests") else
                       "response" if line.startswith("SIP responses") else None)
            continue
        m = re.match(r"  (\S+)\s.*?(\d+)$", line)
        if section and m and not line.startswith("  ("):
            c[(section, m.group(1))] += int(m.group(2))
    return c


def check_corpus(b, check):
    files = sorted(glob.glob(os.path.join(CORPUS, "*", "*.pcap*")))
    check("the corpus is there", files, CORPUS)

    def one(path):
        name = os.path.relpath(path, CORPUS)
        extra = TSHARK_CORRECTED.get(name, ((), None))[0]
        return name, sipstat(path, extra), summary(b, path)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        for name, (total, theirs), (j, text) in pool.map(one, files):
            mine = ours(j)
            problems = list(VALIDATOR.iter_errors(j))
            check(name + ": the JSON summary fits the schema", not problems,
                  problems[:1] and problems[0].message)
            check(name + ": the text shows the JSON's counts", text_counts(text) == mine,
                  (text_counts(text), mine))
            if name in SUBSET_ONLY:
                print("note %s: sip,stat's counts must be part of ours: %s" %
                      (name, SUBSET_ONLY[name]))
                check(name + ": tshark's sip,stat counts are part of ours",
                      all(mine[k] >= v for k, v in theirs.items()) and
                      j["sip"]["messages"] >= total, (mine, theirs))
                continue
            diff = {k: (mine[k], theirs[k]) for k in set(mine) | set(theirs) if mine[k] != theirs[k]}
            check("%s: methods and statuses equal tshark's sip,stat (%d messages)" % (name, total),
                  not diff and j["sip"]["messages"] == total,
                  "ours, tshark's: %r; messages %d, %d" % (diff, j["sip"]["messages"], total))


# ---- a capture with known values ----

T0 = 1772359200 * 10**9
MS = 10**6
A, B, R = "192.0.2.10", "198.51.100.7", "203.0.113.5"
# Answered calls: (PDD ms or None when no 18x, setup ms).
ANSWERED = [(120, 900), (80, 1500), (300, 2200), (95, 700), (410, 3100), (150, 1250),
            (60, 640), (220, 1800), (130, 990), (500, 5200), (None, 400), (None, 650)]
# Failed calls: (code, phrase, Q.850 cause or None).
FAILED = [(486, "Busy Here", 17), (486, "Busy Here", 17), (486, "Busy Here", 17),
          (486, "Busy Here", None), (503, "Overloaded", 34), (503, "Overloaded", None),
          (503, "Service Unavailable", None), (404, "Not Found", 1)]
# REGISTER attempts: the responses in order; a 401 followed by more is
# answered by a REGISTER with credentials (same Call-ID, next CSeq).
REGISTERS = [(200,), (200,), (401,), (403,), (401, 200)]
SCANNER, SCANS = "203.0.113.66", 3  # OPTIONS with a sipvicious User-Agent


def nearest_rank(values, p):
    v = sorted(values)
    return v[max(0, -(-p * len(v) // 100) - 1)]


def generate(path):
    """Writes the capture; returns the messages it holds as a Counter."""
    sent = collections.Counter()
    w = pg.Writer(path)

    def udp(ms, src, dst, msg):
        first = msg.split(b" ", 1)[0].decode()
        key = ("response", msg.split(b" ", 2)[1].decode()) if first == "SIP/2.0" else \
            ("request", first)
        sent[key] += 1
        w.write(T0 + int(ms * MS), pg.udp_frame(msg, src, dst))

    t = 0
    for i, (pdd, setup) in enumerate(ANSWERED):
        d, br = Call("ok-%d@a.example" % i, A, B), "ok%d" % i
        udp(t, A, B, d.req("INVITE", 1, br))
        udp(t + 10, B, A, d.resp(100, "Trying", "INVITE", 1, br))
        if pdd is not None:
            udp(t + pdd, B, A, d.resp(180, "Ringing", "INVITE", 1, br, "tb"))
        udp(t + setup, B, A, d.resp(200, "OK", "INVITE", 1, br, "tb"))
        udp(t + setup + 5, A, B, d.req("ACK", 1, br + "a", "tb"))
        udp(t + setup + 9000, A, B, d.req("BYE", 2, br + "b", "tb"))
        udp(t + setup + 9010, B, A, d.resp(200, "OK", "BYE", 2, br + "b", "tb"))
        t += 20000
    for i, (code, phrase, cause) in enumerate(FAILED):
        d, br = Call("fail-%d@a.example" % i, A, B), "f%d" % i
        extra = [("Reason", "Q.850;cause=%d;text=\"x\"" % cause)] if cause else []
        udp(t, A, B, d.req("INVITE", 1, br))
        udp(t + 700, B, A, d.resp(code, phrase, "INVITE", 1, br, "tf", extra=extra))
        udp(t + 710, A, B, d.req("ACK", 1, br, "tf"))
        t += 20000
    for i, codes in enumerate(REGISTERS):
        for n, code in enumerate(codes, 1):
            br, cid = "r%d-%d" % (i, n), "reg-%d@a.example" % i
            hdrs = [("Via", "SIP/2.0/UDP %s;branch=z9hG4bK%s" % (A, br)), ("Max-Forwards", "70"),
                    ("From", "<sip:alice@a.example>;tag=ra"), ("To", "<sip:alice@a.example>"),
                    ("Call-ID", cid), ("CSeq", "%d REGISTER" % n),
                    ("Contact", "<sip:alice@%s>" % A)]
            auth = [("Authorization", 'Digest username="alice", realm="a.example", '
                     'nonce="n%d", uri="sip:a.example", response="0123"' % i)] if n > 1 else []
            udp(t, A, R, message("REGISTER sip:a.example SIP/2.0", hdrs + auth, b""))
            resp = hdrs[:1] + hdrs[2:4] + hdrs[4:6]
            phrase = {200: "OK", 401: "Unauthorized", 403: "Forbidden"}[code]
            udp(t + 30, R, A, message("SIP/2.0 %d %s" % (code, phrase), resp, b""))
            t += 1000
    for i in range(SCANS):
        udp(t, SCANNER, R, message("OPTIONS sip:100@a.example SIP/2.0", [
            ("Via", "SIP/2.0/UDP %s;branch=z9hG4bKscan%d" % (SCANNER, i)),
            ("From", '"sipvicious" <sip:100@1.1.1.1>;tag=s%d' % i), ("To", "<sip:100@a.example>"),
            ("Call-ID", "scan-%d" % i), ("CSeq", "1 OPTIONS"), ("User-Agent", "friendly-scanner")]))
        t += 200
    w.close()
    return sent


def times(values):
    return {"n": len(values), "p50": nearest_rank(values, 50), "p90": nearest_rank(values, 90),
            "p99": nearest_rank(values, 99), "max": max(values)}


def check_generated(b, check, d):
    path = os.path.join(d, "known.pcap")
    sent = generate(path)
    j, text = summary(b, path)
    total, theirs = sipstat(path)
    check("generated: methods and statuses equal the generator's", ours(j) == sent,
          (ours(j), sent))
    check("generated: tshark's sip,stat agrees", theirs == sent and total == sum(sent.values()),
          (theirs, sent))
    check("generated: the text shows the same counts", text_counts(text) == sent, text)
    a = j["answered"]
    pdds = [p for p, _ in ANSWERED if p is not None]
    check("generated: answered calls and those without an 18x",
          a["calls"] == len(ANSWERED) and a["without_18x"] == len(ANSWERED) - len(pdds), a)
    check("generated: setup percentiles (INVITE -> 200)",
          a["setup_ms"] == times([s for _, s in ANSWERED]), (a["setup_ms"], ANSWERED))
    check("generated: PDD percentiles (INVITE -> 180)", a["pdd_ms"] == times(pdds), a["pdd_ms"])
    want = []
    by_code = collections.OrderedDict()
    for code, phrase, cause in FAILED:
        by_code.setdefault(code, []).append((phrase, cause))
    for code, calls in by_code.items():
        phrases = collections.Counter(p for p, _ in calls)
        causes = collections.Counter(c for _, c in calls if c)
        names = {17: "user_busy", 34: "no_circuit_available", 1: "unallocated_number"}
        want.append({"code": code, "phrase": phrases.most_common(1)[0][0], "count": len(calls),
                     "q850": [{"cause": c, "name": names[c], "count": n}
                              for c, n in sorted(causes.items(), key=lambda x: (-x[1], x[0]))],
                     "without_q850": len(calls) - sum(causes.values())})
    want.sort(key=lambda f: (-f["count"], f["code"]))
    check("generated: failure codes, phrases and Q.850 causes", j["failures"] == want,
          (j["failures"], want))
    check("generated: the text lists them",
          all(re.search(r"\n  %d %s +%d\n" % (f["code"], re.escape(f["phrase"]), f["count"]), text)
              for f in want) and "      cause  17 user_busy" in text, text)
    last = [codes[-1] for codes in REGISTERS]
    check("generated: registrations (attempts by outcome)", j["registrations"] ==
          {"ok": last.count(200), "failed": last.count(403), "challenged_only": last.count(401),
           "no_response": 0}, j["registrations"])
    check("generated: the scanning source and its requests",
          j["scanners"] == {"sources": 1, "top": [{"source": SCANNER, "count": SCANS}]},
          j["scanners"])
    check("generated: the text lists it", re.search(r"\n  %s +%d\n" % (re.escape(SCANNER), SCANS),
                                                    text), text)
    check("generated: outcomes", j["calls"]["by_outcome"]["completed"] == len(ANSWERED) and
          j["calls"]["by_outcome"]["failed"] == len(FAILED), j["calls"])
    return path


def check_cli(b, check, path):
    r = subprocess.run([b, "--json", "-r", path], capture_output=True)
    check("--json without --summary is bad usage", r.returncode == 2 and b"--summary" in r.stderr,
          r)
    plain = subprocess.run([b, "-r", path], capture_output=True)
    r = subprocess.run([b, "--summary", "--json", "-r", path], capture_output=True)
    lines = r.stderr.decode().splitlines()
    check("with events on, the JSON summary is one line on stderr, the events unchanged",
          r.returncode == 0 and r.stdout == plain.stdout and len(lines) == 1 and
          json.loads(lines[0])["sip"]["messages"] > 0, r.stderr[:300])
    bad = json.loads(lines[0]) if lines else {}
    bad["sip"] = dict(bad.get("sip", {}), messages=-1)
    check("the schema rejects a wrong summary", list(VALIDATOR.iter_errors(bad)))


def main():
    b = sys.argv[1]
    checks = []

    def check(name, cond, detail=""):
        checks.append(bool(cond))
        print(("ok   " if cond else "FAIL ") + name + ("" if cond else ":\n" + str(detail)))

    with tempfile.TemporaryDirectory() as d:
        path = check_generated(b, check, d)
        check_cli(b, check, path)
    check_corpus(b, check)
    return report(checks.count(True), checks.count(False))


if __name__ == "__main__":
    sys.exit(main())
