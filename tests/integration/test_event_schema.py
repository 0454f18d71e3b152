#!/usr/bin/env python3
"""Every output line, for every sample and corpus capture, is strict UTF-8 JSON
with the contract's common fields and types; `sip` events carry their fields;
every event validates against docs/events.schema.json (the event reference,
docs/events.md); the last line is the final `stats` event.
usage: test_event_schema.py PATH-TO-SIPSLEUTH"""
import glob
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from events_schema import schema_problems  # noqa: E402
from sipcount import CORPUS, SAMPLES, report, sipsleuth_keylog_args  # noqa: E402

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
COMMUNITY_ID = re.compile(r"^1:[A-Za-z0-9+/]{27}=$")
TYPES = {"sip", "dialog", "redirect", "route", "identity", "rejection", "registration", "anomaly",
         "stats"}
SIP_ALWAYS = {"method", "from", "from_tag", "to", "to_tag", "contacts", "retransmission"}


def check_event(ev):
    problems = []
    if not TIMESTAMP.match(ev.get("timestamp", "")):
        problems.append("bad timestamp %r" % ev.get("timestamp"))
    t = ev.get("event_type")
    if t not in TYPES:
        return problems + ["bad event_type %r" % t]
    if not isinstance(ev.get(t), dict):
        problems.append("no %r object" % t)
    if "src_ip" in ev:
        for k, typ in (("src_port", int), ("dest_port", int), ("dest_ip", str), ("proto", str)):
            if not isinstance(ev.get(k), typ):
                problems.append("%s is %r" % (k, ev.get(k)))
        if ev.get("proto") not in ("UDP", "TCP", "TLS", "SCTP"):
            problems.append("proto %r" % ev.get("proto"))
        if not COMMUNITY_ID.match(ev.get("community_id", "")):
            problems.append("community_id %r" % ev.get("community_id"))
    if t == "sip":
        s = ev["sip"]
        missing = SIP_ALWAYS - set(s)
        if missing:
            problems.append("sip lacks %s" % sorted(missing))
        if "status_code" in s:
            if not isinstance(s["status_code"], int) or "reason_phrase" not in s:
                problems.append("bad response fields")
        elif not isinstance(s.get("method"), str) or "request_uri" not in s:
            problems.append("bad request fields")
        if not isinstance(s.get("contacts"), list):
            problems.append("contacts not a list")
        if "call_id" not in ev or not isinstance(ev["call_id"], (str, type(None))):
            problems.append("sip event without call_id")
    return problems


def check_file(binary, path):
    out = subprocess.run([binary, "--events", "all", "-r", path] + sipsleuth_keylog_args(path),
                         capture_output=True)
    if out.returncode != 0:
        return ["exit %d: %s" % (out.returncode, out.stderr.decode(errors="replace").strip())]
    lines = out.stdout.split(b"\n")
    if lines[-1] != b"":
        return ["output does not end with a newline"]
    problems, last = [], None
    for n, raw in enumerate(lines[:-1], 1):
        try:
            ev = json.loads(raw.decode("utf-8", errors="strict"))
        except ValueError as e:
            problems.append("line %d: not strict UTF-8 JSON: %s" % (n, e))
            continue
        problems += ["line %d: %s" % (n, p) for p in check_event(ev) + schema_problems(ev)]
        last = ev
    if not last or last["event_type"] != "stats" or last["stats"].get("final") is not True:
        problems.append("last line is not the final stats event")
    return problems


def main():
    binary = sys.argv[1]
    files = sorted(glob.glob(os.path.join(SAMPLES, "*.pcap*")) +
                   glob.glob(os.path.join(CORPUS, "*", "*.pcap*")))
    passed = failed = 0
    for path in files:
        problems = check_file(binary, path)
        name = os.path.basename(path)
        if problems:
            failed += 1
            print("FAIL %s" % name)
            for p in problems[:10]:
                print("     " + p)
        else:
            passed += 1
            print("ok   %s" % name)
    return report(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
