#!/usr/bin/env python3
"""Differential test of the dialog tracker against tshark on the real
captures of ../shared/corpus/: the INVITE call attempts sipsleuth reports
(one `dialog` event each) and their final status codes must be those tshark
sees. An attempt is an INVITE without a To tag that tshark does not mark as a
retransmission, identified by (Call-ID, IP pair, CSeq number); its final
status is the first final response with that Call-ID, pair and CSeq.

usage: test_dialog_corpus.py PATH/TO/sipsleuth   (run from the repository root)
Skips (exit 0) when tshark is not installed.
"""
import collections
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
CORPUS = os.path.join(ROOT, "..", "shared", "corpus")

FIELDS = ["ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "sip.Method", "sip.Status-Code",
          "sip.Call-ID", "sip.CSeq.seq", "sip.CSeq.method", "sip.to.tag", "sip.resend"]


def last(v):
    """The innermost of repeated values (tunnels: outer, then inner)."""
    return v.split("|")[-1] if v else ""


def tshark_attempts(path):
    cmd = ["tshark", "-n", "-r", path, "-o", "tcp.reassemble_out_of_order:TRUE", "-Y", "sip",
           "-T", "fields", "-E", "aggregator=|", "-E", "occurrence=a"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300).stdout
    attempts = collections.OrderedDict()
    for line in out.splitlines():
        cols = (line.split("\t") + [""] * len(FIELDS))[:len(FIELDS)]
        v = dict(zip(FIELDS, cols))
        src = last(v["ip.src"]) or last(v["ipv6.src"])
        dst = last(v["ip.dst"]) or last(v["ipv6.dst"])
        # one frame may carry several SIP messages: their fields line up
        per = [v[f].split("|") for f in ("sip.Method", "sip.Status-Code", "sip.Call-ID",
                                         "sip.CSeq.seq", "sip.CSeq.method", "sip.to.tag",
                                         "sip.resend")]
        n = max(len(p) for p in per)
        for i in range(n):
            method, status, call_id, cseq, cmethod, to_tag, resend = (
                p[i] if i < len(p) else "" for p in per)
            if not call_id:
                # tshark is not the truth here: an INVITE without a Call-ID
                # (fuzzed captures) cannot be told apart from any other
                continue
            key = (call_id, frozenset((src, dst)), cseq)
            if method == "INVITE" and not to_tag and resend != "1":
                attempts.setdefault(key, None)
            elif status and cmethod == "INVITE" and int(status) >= 200:
                if key in attempts and attempts[key] is None:
                    attempts[key] = int(status)
    return collections.Counter((k[0], k[1], s) for k, s in attempts.items())


def sipsleuth_attempts(binary, path):
    res = subprocess.run([binary, "--events", "dialog", "-r", path], capture_output=True,
                         text=True, timeout=300)
    if res.returncode != 0:
        raise RuntimeError("exit %d: %s" % (res.returncode, res.stderr.strip()))
    got = collections.Counter()
    for line in res.stdout.splitlines():
        ev = json.loads(line)
        if ev.get("event_type") != "dialog":
            continue
        pair = frozenset((ev.get("src_ip"), ev.get("dest_ip")))
        got[(ev.get("call_id"), pair, ev["dialog"]["final_status"])] += 1
    return got


def show(counter):
    return sorted("%s %s -> %s x%d" % (c, "/".join(sorted(p)), s, n)
                  for (c, p, s), n in counter.items())


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
    for dirpath, _, files in sorted(os.walk(CORPUS)):
        for name in sorted(files):
            if not name.endswith((".pcap", ".pcapng")):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, CORPUS)
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
