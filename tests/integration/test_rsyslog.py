#!/usr/bin/env python3
"""A real log shipper: a private rsyslogd (docs/pipelines/rsyslog.conf, with
its paths filled in) follows sipsleuth's -o file with imfile and parses each
line with mmjsonparse, while sipsleuth, fed a capture gradually through a
pipe (-r -), has its output renamed and reopened on SIGHUP twice mid-stream,
as logrotate does. Every event must reach rsyslog's output exactly once,
parsed, equal to what sipsleuth wrote, none split or merged; the rotated files
together hold every event too.
usage: test_rsyslog.py PATH-TO-SIPSLEUTH"""
import collections
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sipcount import ROOT, report  # noqa: E402

CONF_TEMPLATE = os.path.join(ROOT, "docs", "pipelines", "rsyslog.conf")
CALLS = 600       # OPTIONS + 200 each: 1200 sip events
BATCH = 20        # transactions written to the pipe at a time
PAUSE = 0.01      # seconds between batches: about 0.3 s of feeding per 10 % of the input
ROTATE_AT = (200, 400)


def find_tool(name):
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if not path:
        raise SystemExit("%s is not installed: run scripts/setup" % name)
    return path


def frame(ts_us, src, dst, payload):
    """A pcap record: Ethernet / IPv4 / UDP 5060 -> 5060 (checksums left 0)."""
    udp = struct.pack("!HHHH", 5060, 5060, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     bytes(src), bytes(dst)) + udp
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + ip
    return struct.pack("<IIII", ts_us // 1000000, ts_us % 1000000, len(eth), len(eth)) + eth


def transaction(i):
    a, b = (192, 0, 2, 10), (198, 51, 100, 7)
    cid = "rot-%d@test.example" % i
    common = ("Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-rot%d\r\n"
              "From: <sip:a@test.example>;tag=f%d\r\nTo: <sip:b@test.example>%s\r\n"
              "Call-ID: %s\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
    req = ("OPTIONS sip:b@test.example SIP/2.0\r\n" + common % (i, i, "", cid)).encode()
    resp = ("SIP/2.0 200 OK\r\n" + common % (i, i, ";tag=t%d" % i, cid)).encode()
    t = 1772359200 * 1000000 + i * 10000
    return frame(t, a, b, req) + frame(t + 1000, b, a, resp), cid


def write_conf(workdir, events):
    with open(CONF_TEMPLATE) as f:
        conf = f.read()
    # The shipped example names /var paths; the test runs it on its own files.
    conf = conf.replace("/var/log/sipsleuth/events.ndjson", events)
    conf = conf.replace("/var/lib/rsyslog", os.path.join(workdir, "state"))
    conf = conf.replace("/var/log/sipsleuth/shipped.ndjson", os.path.join(workdir, "shipped.ndjson"))
    conf = conf.replace("/var/log/sipsleuth/unparsed.log", os.path.join(workdir, "unparsed.log"))
    os.makedirs(os.path.join(workdir, "state"))
    path = os.path.join(workdir, "rsyslog.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        return f.read().split(b"\n")[:-1]


def feed(sip, events, expected):
    """Writes the capture to sipsleuth's stdin in batches, rotating its output
    file twice on the way; counts the events it must write."""
    rotations = 0
    for i in range(CALLS):
        if i in ROTATE_AT:
            # logrotate's way: move the file aside, then ask for a reopen.
            time.sleep(0.3)
            if rotations:
                os.rename(events + ".1", events + ".2")
            os.rename(events, events + ".1")
            sip.send_signal(signal.SIGHUP)
            rotations += 1
        data, cid = transaction(i)
        sip.stdin.write(data)
        expected[(cid, "OPTIONS", None)] += 1
        expected[(cid, "OPTIONS", 200)] += 1
        if i % BATCH == BATCH - 1:
            sip.stdin.flush()
            time.sleep(PAUSE)
    sip.stdin.close()


def main():
    b = sys.argv[1]
    checks = []

    def check(name, cond, detail=""):
        checks.append(cond)
        print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)[:2000]))

    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="sipsleuth-rsyslog-")
    events = os.path.join(workdir, "events.ndjson")
    shipped = os.path.join(workdir, "shipped.ndjson")
    conf = write_conf(workdir, events)
    r = subprocess.run([find_tool("rsyslogd"), "-N1", "-f", conf], capture_output=True)
    check("rsyslog.conf validates (rsyslogd -N1)", r.returncode == 0,
          r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace"))
    rlog = open(os.path.join(workdir, "rsyslogd.log"), "wb")
    rsyslogd = subprocess.Popen([find_tool("rsyslogd"), "-n", "-f", conf,
                                 "-i", os.path.join(workdir, "rsyslogd.pid")],
                                stdout=rlog, stderr=subprocess.STDOUT)
    sip = None
    try:
        sip = subprocess.Popen([b, "--events", "sip", "-o", events, "-r", "-"],
                               stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        sip.stdin.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        expected = collections.Counter()
        try:
            feed(sip, events, expected)
        except BrokenPipeError:
            pass  # sipsleuth stopped early: its exit status and stderr say why
        err = sip.stderr.read().decode(errors="replace")
        rc = sip.wait()
        check("sipsleuth -r - -o FILE exits 0 after two rotations", rc == 0 and not err,
              "rc=%d %s" % (rc, err))

        files = [events + ".2", events + ".1", events]
        written = [read_lines(f) for f in files]
        check("each of the three files got events (rotation happened mid-stream)",
              all(written), [len(w) for w in written])
        ondisk = collections.Counter()
        for line in (l for w in written for l in w):
            e = json.loads(line)
            ondisk[(e["call_id"], e["sip"]["method"], e["sip"].get("status_code"))] += 1
        check("the rotated files together hold every event once (%d)" % sum(expected.values()),
              ondisk == expected, "missing %s, extra %s" % (expected - ondisk, ondisk - expected))

        # rsyslog reads at its own pace: wait for it to catch up.
        total = sum(expected.values())
        deadline = time.monotonic() + 20
        while len(read_lines(shipped)) < total and time.monotonic() < deadline:
            if rsyslogd.poll() is not None:
                break
            time.sleep(0.2)
        time.sleep(0.5)  # anything beyond the expected count shows up too
        out = read_lines(shipped)
        bad, got, mismatched = [], collections.Counter(), []
        originals = {}
        for line in (l for w in written for l in w):
            e = json.loads(line)
            originals[(e["call_id"], e["sip"].get("status_code"))] = e
        for line in out:
            try:
                e = json.loads(line)
                key = (e["call_id"], e["sip"]["method"], e["sip"].get("status_code"))
            except (ValueError, KeyError, TypeError):
                bad.append(line)
                continue
            got[key] += 1
            if e != originals.get((key[0], key[2])):
                mismatched.append(line)
        check("every line rsyslog wrote is a whole parsed event", not bad, bad[:3])
        check("rsyslog shipped every event exactly once (%d)" % total, got == expected,
              "missing %d, duplicated/extra %d: %s" % (
                  sum((expected - got).values()), sum((got - expected).values()),
                  list((expected - got).items())[:5] + list((got - expected).items())[:5]))
        check("shipped events equal what sipsleuth wrote, field for field", not mismatched,
              mismatched[:2])
        unparsed = read_lines(os.path.join(workdir, "unparsed.log"))
        check("mmjsonparse rejected nothing", not unparsed, unparsed[:3])
    finally:
        if sip and sip.poll() is None:
            sip.kill()
            sip.wait()
        if rsyslogd.poll() is None:
            rsyslogd.send_signal(signal.SIGTERM)
            try:
                rsyslogd.wait(timeout=10)
            except subprocess.TimeoutExpired:
                rsyslogd.kill()
                rsyslogd.wait()
        rlog.close()
        if checks and not all(checks):
            with open(os.path.join(workdir, "rsyslogd.log"), errors="replace") as f:
                print("--- rsyslogd output\n" + f.read()[-3000:])
        shutil.rmtree(workdir, ignore_errors=True)
    print("     %.1f s" % (time.monotonic() - started))
    return report(sum(checks), len(checks) - sum(checks))


if __name__ == "__main__":
    sys.exit(main())
