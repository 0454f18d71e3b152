#!/usr/bin/env python3
"""Dialog events on the generated samples (scripts/gen/gen_dialogs.py) match
their ground truth exactly: outcome, final status, timings, hang-up side and
message/retransmission counts of every call attempt, in order.

usage: test_dialogs.py PATH/TO/sipsleuth   (run from the repository root)
"""
import json
import os
import signal
import subprocess
import sys
import time

SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "samples")
A, P, B = "192.0.2.10", "203.0.113.1", "198.51.100.7"


def dlg(ts, call_id, src, dst, proto="UDP", **fields):
    """An expected event: top-level fields and dialog.* fields (None = null)."""
    return {"top": {"timestamp": "2026-03-01T10:%s" % ts, "call_id": call_id, "src_ip": src,
                    "dest_ip": dst, "proto": proto}, "dialog": fields}


EXPECTED = {
    "dialog-completed.pcap": [
        dlg("01:04.200000Z", "done-1@a.example", A, B, state="completed", status_code=200,
            start="2026-03-01T10:00:00.000000Z", setup_ms=4200.0, pdd_ms=800.0,
            duration_ms=60000.0, ended_by="caller", messages=6, retransmissions=0,
            request_uri="sip:bob@b.example", **{"from": "sip:alice@a.example"},
            to="sip:bob@b.example"),
        dlg("02:12.500000Z", "done-2@a.example", A, B, "TCP", state="completed",
            status_code=200, start="2026-03-01T10:01:40.000000Z", setup_ms=2500.0,
            pdd_ms=1000.0, duration_ms=30000.0, ended_by="callee", messages=6,
            retransmissions=0),
    ],
    "dialog-failed.pcap": [
        dlg("00:01.500000Z", "fail-1@a.example", A, B, state="failed", status_code=486,
            setup_ms=None, final_ms=1500.0, pdd_ms=None, duration_ms=None, ended_by=None, messages=3,
            retransmissions=0),
        dlg("00:11.500000Z", "fail-2@a.example", A, B, state="failed", status_code=404,
            setup_ms=None, final_ms=1500.0, pdd_ms=None, duration_ms=None, ended_by=None, messages=3,
            retransmissions=0),
    ],
    "dialog-cancelled.pcap": [
        dlg("00:09.040000Z", "cancel-1@a.example", A, B, state="cancelled", status_code=487,
            setup_ms=None, final_ms=9040.0, pdd_ms=700.0, duration_ms=None, ended_by=None, messages=6,
            retransmissions=0),
    ],
    "dialog-retransmissions.pcap": [
        dlg("00:20.000000Z", "retx-1@a.example", A, B, state="completed", status_code=200,
            setup_ms=5000.0, pdd_ms=2000.0, duration_ms=15000.0, ended_by="caller",
            messages=9, retransmissions=3),
    ],
    "dialog-timeout.pcap": [
        dlg("00:33.000000Z", "tmo-2@a.example", A, B, state="timeout", status_code=None,
            setup_ms=None, pdd_ms=None, duration_ms=None, ended_by=None, messages=1,
            retransmissions=0),
        dlg("03:00.100000Z", "tmo-1@a.example", A, B, state="timeout", status_code=None,
            setup_ms=None, messages=2, retransmissions=0),
    ],
    "dialog-forked.pcap": [
        dlg("00:45.000000Z", "fork-1@a.example", A, P, state="completed", status_code=200,
            setup_ms=3000.0, pdd_ms=400.0, duration_ms=42000.0, ended_by="caller",
            messages=7, retransmissions=0, early_dialogs=2, to_tag="t2"),
    ],
    "dialog-reinvite.pcap": [
        dlg("00:31.000000Z", "reinv-1@a.example", A, B, state="completed", status_code=200,
            setup_ms=1000.0, pdd_ms=None, duration_ms=30000.0, ended_by="callee", messages=7,
            retransmissions=0, reinvites=1),
    ],
    "dialog-redirect.pcap": [
        dlg("00:00.060000Z", "redir-1@a.example", A, B, state="redirected", status_code=302,
            request_uri="sip:bob@old.example", setup_ms=None, final_ms=60.0, messages=2, attempt=1),
        dlg("00:12.200000Z", "redir-1@a.example", A, B, state="completed", status_code=200,
            request_uri="sip:bob@new.example", start="2026-03-01T10:00:00.200000Z",
            setup_ms=2000.0, pdd_ms=700.0, duration_ms=10000.0, ended_by="caller",
            messages=5, attempt=2),
    ],
    "dialog-proxy.pcap": [
        dlg("01:05.020000Z", "px-1@a.example", A, P, state="completed", status_code=200,
            setup_ms=5006.0, pdd_ms=605.0, duration_ms=60014.0, ended_by="caller",
            messages=6, retransmissions=0, leg=0),
        dlg("01:05.025000Z", "px-1@a.example", P, B, state="completed", status_code=200,
            start="2026-03-01T10:00:00.015000Z", setup_ms=4985.0, pdd_ms=585.0,
            duration_ms=60025.0, ended_by="caller", messages=6, retransmissions=1, leg=1),
    ],
    # A challenge answered with credentials continues the attempt; timings run
    # from the first INVITE; one never answered stays a failure with its code.
    "dialog-auth.pcap": [
        dlg("00:13.080000Z", "auth-1@a.example", A, B, state="completed", status_code=200,
            start="2026-03-01T10:00:00.000000Z", setup_ms=3060.0, final_ms=3060.0,
            pdd_ms=600.0, duration_ms=10020.0, auth_challenges=1, challenge_codes=[407],
            messages=9, retransmissions=0, leg=0, attempt=1, ringing=True, closed="message"),
        dlg("01:05.100000Z", "auth-2@a.example", A, B, state="failed", status_code=403,
            setup_ms=None, final_ms=45100.0, auth_challenges=1, challenge_codes=[401],
            messages=5, attempt=1, closed="message"),
        dlg("01:10.040000Z", "auth-3@a.example", A, B, state="failed", status_code=407,
            setup_ms=None, final_ms=30.0, auth_challenges=1, challenge_codes=[407],
            messages=3, attempt=1, closed="end_of_input"),
    ],
    "dialog-unfinished.pcap": [
        dlg("00:05.000000Z", "open-1@a.example", A, B, state="unfinished", status_code=None,
            setup_ms=None, final_ms=None, pdd_ms=900.0, ringing=True, early_media=True,
            messages=4, closed="end_of_input"),
        dlg("00:05.000000Z", "open-2@a.example", A, B, state="unfinished", status_code=None,
            setup_ms=None, final_ms=None, pdd_ms=None, ringing=False, early_media=False,
            messages=1, closed="end_of_input"),
    ],
    "dialog-100rel.pcap": [
        dlg("00:09.020000Z", "rel-1@a.example", A, B, state="completed", status_code=200,
            setup_ms=4000.0, final_ms=4000.0, pdd_ms=500.0, duration_ms=5020.0,
            messages=12, retransmissions=1, ringing=False, early_media=True),
    ],
    "dialog-reuse.pcap": [
        dlg("00:00.050000Z", "same@a.example", A, B, state="failed", status_code=486,
            leg=0, attempt=1),
        dlg("05:00.050000Z", "same@a.example", A, B, state="failed", status_code=486,
            leg=0, attempt=2),
        dlg("10:00.050000Z", "same@a.example", A, B, state="failed", status_code=486,
            leg=0, attempt=3),
        dlg("15:00.050000Z", "same@a.example", P, B, state="failed", status_code=486,
            leg=1, attempt=1),
    ],
}

# The `sip` events' retransmission flags, in capture order, where the
# generator sent something twice: a reliable provisional repeated with the
# same RSeq (a new RSeq is a new response), PRACKs matched as transactions,
# and a final response repeated whose request was never captured.
RETRANSMISSIONS = {
    # INVITE 100 183 183(again) PRACK 200 183(RSeq 2) PRACK 200 200 ACK BYE 200
    "dialog-100rel.pcap": [False, False, False, True, False, False, False, False, False, False,
                           False, False, False],
    # 3 x (INVITE 486 ACK), INVITE 486 ACK on the second leg, 408 three times
    "dialog-reuse.pcap": [False] * 12 + [False, True, True],
}


def same(got, want):
    if isinstance(want, float):
        return isinstance(got, (int, float)) and abs(got - want) < 0.05
    return got == want and type(got) is type(want)


def check(binary, name, expected):
    path = os.path.join(SAMPLES, name)
    res = subprocess.run([binary, "--events", "dialog", "-r", path], capture_output=True,
                         text=True, timeout=120)
    if res.returncode != 0:
        return ["exit %d: %s" % (res.returncode, res.stderr.strip())]
    events = [json.loads(line) for line in res.stdout.splitlines() if line.strip()]
    events = [e for e in events if e.get("event_type") == "dialog"]
    errors = []
    if len(events) != len(expected):
        errors.append("%d dialog events, want %d" % (len(events), len(expected)))
    for i, (ev, want) in enumerate(zip(events, expected)):
        for k, v in want["top"].items():
            if not same(ev.get(k), v):
                errors.append("event %d: %s = %r, want %r" % (i, k, ev.get(k), v))
        d = ev.get("dialog", {})
        for k, v in want["dialog"].items():
            if k not in d or not same(d[k], v):
                errors.append("event %d: dialog.%s = %r, want %r" % (i, k, d.get(k, "<missing>"), v))
    return errors


def check_retransmissions(binary, name, expected):
    path = os.path.join(SAMPLES, name)
    res = subprocess.run([binary, "--events", "sip", "-r", path], capture_output=True,
                         text=True, timeout=120)
    if res.returncode != 0:
        return ["exit %d: %s" % (res.returncode, res.stderr.strip())]
    got = [json.loads(line)["sip"]["retransmission"] for line in res.stdout.splitlines()]
    if got != expected:
        return ["sip retransmission flags %s, want %s" % (got, expected)]
    return []


def check_signal_stop(binary, sig):
    """Attempts still open when SIGINT/SIGTERM stops a read are unfinished, as
    at the end of a file: the capture arrives on a pipe that stays open."""
    with open(os.path.join(SAMPLES, "dialog-unfinished.pcap"), "rb") as f:
        data = f.read()
    proc = subprocess.Popen([binary, "--events", "dialog", "-r", "-"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdin.write(data)
    proc.stdin.flush()
    time.sleep(1.0)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    events = [json.loads(line) for line in out.decode().splitlines()]
    states = [(e["call_id"], e["dialog"]["state"], e["dialog"]["closed"]) for e in events]
    want = [("open-1@a.example", "unfinished", "end_of_input"),
            ("open-2@a.example", "unfinished", "end_of_input")]
    errors = []
    if proc.returncode != 0:
        errors.append("exit %d: %s" % (proc.returncode, err.decode().strip()))
    if states != want:
        errors.append("dialogs %s, want %s" % (states, want))
    return errors


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    passed = failed = 0
    cases = [(n, check, e) for n, e in EXPECTED.items()]
    cases += [(n + " (sip)", check_retransmissions, e) for n, e in RETRANSMISSIONS.items()]
    cases += [("SIGTERM on a pipe", lambda b, n, e: check_signal_stop(b, signal.SIGTERM), None),
              ("SIGINT on a pipe", lambda b, n, e: check_signal_stop(b, signal.SIGINT), None)]
    for name, checker, expected in cases:
        errors = checker(sys.argv[1], name.split(" ")[0], expected)
        if errors:
            failed += 1
            print("FAIL %s" % name)
            for e in errors:
                print("  " + e)
        else:
            passed += 1
            print("ok   %s" % name)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
