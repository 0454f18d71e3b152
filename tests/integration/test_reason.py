#!/usr/bin/env python3
"""Why a call ended (issue 19, item 2): every Reason header value sipsleuth
reports in `sip.reason_headers`, and the `dialog.end_reason` of each attempt,
against tshark's `sip.Reason` on the same files (the corpus captures that carry
Reason headers, and the samples). The values are parsed here from tshark's
text, independently of sipsleuth's parser.

usage: test_reason.py PATH/TO/sipsleuth   (run from the repository root)
"""
import collections
import glob
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sipcount import CORPUS, ROOT, report, run_sipsleuth  # noqa: E402
from tshark_cache import tshark  # noqa: E402

SEP = "\x1f"


def split_values(text):
    """Comma-separated values, commas inside quotes kept."""
    out, cur, quoted = [], "", False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [v.strip() for v in out if v.strip()]


def parse_value(v):
    """(protocol, cause or None, text or None) of one reason-value."""
    m = re.match(r"([A-Za-z0-9.!%*_+`'~-]+)", v)
    if not m:
        return None
    proto = m.group(1)
    proto = {"sip": "SIP", "q.850": "Q.850", "stir": "STIR"}.get(proto.lower(), proto)
    cause = re.search(r";\s*cause\s*=\s*([0-9]+)", v, re.I)
    text = re.search(r';\s*text\s*=\s*"((?:[^"\\]|\\.)*)"', v, re.I)
    c = int(cause.group(1)) if cause and int(cause.group(1)) < 65536 else None
    return proto, c, text.group(1) if text and text.group(1) else None


def tshark_messages(path):
    """(call_id, method, status, [values]) of each frame holding one SIP message with Reason."""
    out = tshark(
        ["-n", "-r", path, "-Y", "sip.Reason", "-T", "fields", "-E", "occurrence=a",
         "-E", "aggregator=" + SEP, "-e", "sip.Call-ID", "-e", "sip.Method", "-e",
         "sip.Status-Code", "-e", "sip.CSeq.method", "-e", "sip.Reason"]).decode(errors="replace")
    msgs, skipped = [], 0
    for line in out.splitlines():
        call_id, method, status, cseq_method, reason = (line.split("\t") + [""] * 5)[:5]
        if SEP in call_id or SEP in cseq_method:
            skipped += 1  # several messages in one frame: their headers cannot be told apart
            continue
        values = [p for part in reason.split(SEP) for p in map(parse_value, split_values(part)) if p]
        msgs.append((call_id, method, int(status) if status else None, cseq_method, values))
    return msgs, skipped


def reported(ev):
    return [(r["protocol"], r.get("cause"), r.get("text")) for r in ev["sip"]["reason_headers"]]


def ending_reason(values):
    """What dialog.end_reason keeps of one message: its Q.850 value, else its first."""
    q850 = [v for v in values if v[0] == "Q.850"]
    return (q850 or values)[0]


def main():
    binary = os.path.abspath(sys.argv[1])
    caps = sorted(glob.glob(os.path.join(CORPUS, "*", "*.pcap*")) +
                  glob.glob(os.path.join(ROOT, "samples", "*.pcap*")))
    passed = failed = seen = 0
    for path in caps:
        with open(path, "rb") as f:
            if b"reason" not in f.read().lower():
                continue  # no Reason header anywhere in it: tshark would find none
        msgs, skipped = tshark_messages(path)
        if not msgs:
            continue
        seen += 1
        name = os.path.relpath(path, ROOT)
        events = run_sipsleuth(binary, [path], events="sip,dialog")
        want = collections.Counter((c, m or cm, s, tuple(v)) for c, m, s, cm, v in msgs if v)
        got = collections.Counter(
            (e["call_id"], e["sip"]["method"], e["sip"].get("status_code"), tuple(reported(e)))
            for e in events if e["event_type"] == "sip" and "reason_headers" in e["sip"])
        if want == got:
            passed += 1
        else:
            failed += 1
            print("FAIL %s reason_headers: tshark %s, sipsleuth %s" % (name, dict(want), dict(got)))
        # dialog.end_reason: the Reason of the BYE, CANCEL or >=300 INVITE final of each call
        ending = {(c, ending_reason(v)[:2]) for c, m, s, cm, v in msgs if v and (
            m in ("BYE", "CANCEL") or (s is not None and s >= 300 and cm == "INVITE"))}
        dialogs = {(e["call_id"], (e["dialog"]["end_reason"]["protocol"],
                                   e["dialog"]["end_reason"].get("cause")))
                   for e in events if e["event_type"] == "dialog" and "end_reason" in e["dialog"]}
        with_dialog = {e["call_id"] for e in events if e["event_type"] == "dialog"}
        if dialogs <= ending and {c for c, _ in ending if c in with_dialog} <= {c for c, _ in dialogs}:
            passed += 1
        else:
            failed += 1
            print("FAIL %s end_reason: from tshark's ending messages %s, sipsleuth %s" % (
                name, sorted(ending), sorted(dialogs)))
        if skipped:
            print("note %s: %d frames with several SIP messages not compared" % (name, skipped))
    if seen < 3:
        failed += 1
        print("FAIL only %d captures with Reason headers found (the corpus has 4)" % seen)
    return report(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
