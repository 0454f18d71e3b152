#!/usr/bin/env python3
"""Differential test of the dialog tracker against tshark on the real
captures of ../shared/corpus/: the INVITE call attempts sipsleuth reports
(one `dialog` event each), their final status codes and auth challenge counts
must be those derived here from tshark's fields. An INVITE transaction is an
INVITE without a To tag that tshark does not mark as a retransmission,
identified by (Call-ID, IP pair, CSeq number); its final status is the first
final response with that Call-ID, pair and CSeq. A transaction whose final is
401 or 407, followed on the same pair by an INVITE with the same From tag and
a higher CSeq, is continued by it (RFC 3261 22.2): one attempt, whose final
status is the last transaction's; its challenges are its 401/407 finals
(answered by a retry or not). Each file's numbering is checked too: every
(Call-ID, leg, attempt) once, legs and attempts numbered in the order their
INVITEs were seen, and the same events from a second run.

usage: test_dialog_corpus.py PATH/TO/sipsleuth   (run from the repository root)
Skips (exit 0) when tshark is not installed.
"""
import collections
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tshark_cache import tshark  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
CORPUS = os.path.join(ROOT, "..", "shared", "corpus")
SAMPLES = os.path.join(ROOT, "samples")

FIELDS = ["ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "sip.Method", "sip.Status-Code",
          "sip.Call-ID", "sip.CSeq.seq", "sip.CSeq.method", "sip.to.tag", "sip.resend",
          "sip.from.tag"]


def last(v):
    """The innermost of repeated values (tunnels: outer, then inner)."""
    return v.split("|")[-1] if v else ""


def tshark_attempts(path):
    cmd = ["-n", "-r", path, "-o", "tcp.reassemble_out_of_order:TRUE", "-Y", "sip",
           "-T", "fields", "-E", "aggregator=|", "-E", "occurrence=a"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = tshark(cmd, timeout=300).decode(errors="replace")
    txns = collections.OrderedDict()  # (call_id, pair, cseq) -> [final, from_tag]
    for line in out.splitlines():
        cols = (line.split("\t") + [""] * len(FIELDS))[:len(FIELDS)]
        v = dict(zip(FIELDS, cols))
        src = last(v["ip.src"]) or last(v["ipv6.src"])
        dst = last(v["ip.dst"]) or last(v["ipv6.dst"])
        # one frame may carry several SIP messages: their fields line up
        per = [v[f].split("|") for f in ("sip.Method", "sip.Status-Code", "sip.Call-ID",
                                         "sip.CSeq.seq", "sip.CSeq.method", "sip.to.tag",
                                         "sip.resend", "sip.from.tag")]
        n = max(len(p) for p in per)
        for i in range(n):
            method, status, call_id, cseq, cmethod, to_tag, resend, from_tag = (
                p[i] if i < len(p) else "" for p in per)
            if not call_id:
                # tshark is not the truth here: an INVITE without a Call-ID
                # (fuzzed captures) cannot be told apart from any other
                continue
            key = (call_id, frozenset((src, dst)), cseq)
            if method == "INVITE" and not to_tag and resend != "1":
                txns.setdefault(key, [None, from_tag])
            elif status and cmethod == "INVITE" and int(status) >= 200:
                if key in txns and txns[key][0] is None:
                    txns[key][0] = int(status)
    # Merge each challenged transaction with the retry that answers it.
    attempts = []  # [call_id, pair, from_tag, last cseq, final, challenges]
    for (call_id, pair, cseq), (final, from_tag) in txns.items():
        cseq = int(cseq or 0)
        for a in reversed(attempts):
            if (a[0], a[1], a[2]) == (call_id, pair, from_tag) and a[4] in (401, 407) \
                    and cseq > a[3]:
                a[3], a[4], a[5] = cseq, final, a[5] + (final in (401, 407))
                break
        else:
            attempts.append([call_id, pair, from_tag, cseq, final, int(final in (401, 407))])
    return collections.Counter((a[0], a[1], a[4], a[5]) for a in attempts)


def sipsleuth_attempts(binary, path):
    res = subprocess.run([binary, "--events", "dialog", "-r", path], capture_output=True,
                         text=True, timeout=300)
    if res.returncode != 0:
        raise RuntimeError("exit %d: %s" % (res.returncode, res.stderr.strip()))
    got = collections.Counter()
    dialogs = []
    for line in res.stdout.splitlines():
        ev = json.loads(line)
        if ev.get("event_type") != "dialog":
            continue
        pair = frozenset((ev.get("src_ip"), ev.get("dest_ip")))
        d = ev["dialog"]
        got[(ev.get("call_id"), pair, d["status_code"], d["auth_challenges"])] += 1
        dialogs.append(ev)
    errors = numbering_errors(dialogs)
    # the same numbers on every run: each run hashes with another random seed
    again = subprocess.run([binary, "--events", "dialog", "-r", path], capture_output=True,
                           text=True, timeout=300).stdout
    if again != res.stdout:
        errors.append("a second run wrote other dialog events")
    if errors:
        raise RuntimeError("; ".join(errors))
    return got


def numbering_errors(dialogs):
    """(call_id, leg, attempt) unique; per Call-ID, legs 0, 1, ... in the order
    of their first INVITE; per leg, attempts 1, 2, ... in the order of theirs."""
    errors = []
    seen = collections.Counter((e["call_id"], e["dialog"]["leg"], e["dialog"]["attempt"])
                               for e in dialogs)
    errors += ["%s leg %d attempt %d written %d times" % (k + (n,)) for k, n in seen.items()
               if n > 1]
    by_call = collections.defaultdict(list)
    for e in dialogs:
        by_call[e["call_id"]].append((e["dialog"]["start"], e["dialog"]["leg"],
                                      e["dialog"]["attempt"]))
    for call_id, attempts in by_call.items():
        attempts.sort()
        first_leg_order = []
        for _, leg, _ in attempts:
            if leg not in first_leg_order:
                first_leg_order.append(leg)
        if first_leg_order != list(range(len(first_leg_order))):
            errors.append("%s: legs in order of their first INVITE are %s" %
                          (call_id, first_leg_order))
        for leg in first_leg_order:
            numbers = [a for _, lg, a in attempts if lg == leg]
            if numbers != list(range(1, len(numbers) + 1)):
                errors.append("%s leg %d: attempts in start order are %s" %
                              (call_id, leg, numbers))
    return errors


def show(counter):
    return sorted("%s %s -> %s (%d challenges) x%d" % (c, "/".join(sorted(p)), s, ch, n)
                  for (c, p, s, ch), n in counter.items())


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    if not shutil.which("tshark"):
        print("tshark not installed: skipped\n0 passed, 0 failed")
        return 0
    if not os.path.isdir(CORPUS):
        print("no corpus at %s: skipped\n0 passed, 0 failed" % CORPUS)
        return 0
    passed = failed = 0
    # The corpus, and the generated dialog samples (their challenges, retries
    # and reused Call-IDs) judged by tshark too.
    places = sorted(os.walk(CORPUS)) + [(SAMPLES, [], sorted(
        f for f in os.listdir(SAMPLES) if f.startswith("dialog-")))]
    for dirpath, _, files in places:
        for name in sorted(files):
            if not name.endswith((".pcap", ".pcapng")):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, ROOT if dirpath == SAMPLES else CORPUS)
            want = tshark_attempts(path)
            try:
                got = sipsleuth_attempts(sys.argv[1], path)
            except RuntimeError as e:
                failed += 1
                print("FAIL %s: %s" % (rel, e))
                continue
            if got == want:
                passed += 1
                print("ok   %s (%d attempts)" % (rel, sum(want.values())))
                continue
            failed += 1
            print("FAIL %s" % rel)
            for s in show(want - got):
                print("  tshark only:    " + s)
            for s in show(got - want):
                print("  sipsleuth only: " + s)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
