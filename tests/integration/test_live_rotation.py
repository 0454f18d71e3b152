#!/usr/bin/env python3
"""Log rotation under traffic (issue 8, acceptance 3).

sipsleuth -i lo --sip-ports 5090 writes `sip` events to a file while SIP
OPTIONS requests, each with its own Call-ID, stream over loopback. Twice during
the stream the file is renamed (as logrotate does) and sipsleuth gets SIGHUP.
Asserts: every line of every file is complete JSON, every request appears
exactly once across the files (none lost, none doubled), each file received
events, and the final stats event ends the newest file. Also: live output to
/dev/full stops with exit status 1 and one clear line on stderr.

Needs root: without it the test is skipped, except under CI (env CI set),
where that is a failure.
usage: test_live_rotation.py PATH-TO-SIPSLEUTH"""
import collections
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livecap  # noqa: E402
from sipcount import report  # noqa: E402

PORT = 5090
MESSAGES = 3000
PER_SECOND = 500


def options(n):
    return ("OPTIONS sip:probe@127.0.0.1:%d SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-rot-%d\r\n"
            "From: <sip:rotation@127.0.0.1>;tag=r%d\r\n"
            "To: <sip:probe@127.0.0.1>\r\n"
            "Call-ID: rot-%d@rotation.test\r\n"
            "CSeq: 1 OPTIONS\r\n"
            "Max-Forwards: 70\r\n"
            "Content-Length: 0\r\n\r\n" % (PORT, PORT + 1, n, n, n)).encode()


def main():
    binary = os.path.abspath(sys.argv[1])
    reason = livecap.prerequisites([])
    if reason:
        livecap.skip_or_fail(reason)
    checks = []

    def check(name, cond, detail=""):
        checks.append(cond)
        print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail))

    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "events.ndjson")
        sl = livecap.start([binary, "-i", "lo", "--sip-ports", str(PORT), "--events", "sip,stats",
                            "--stats-interval", "1", "-o", out], os.path.join(d, "stderr"))
        try:
            if not livecap.wait_for(lambda: livecap.count_type(out, "stats") >= 1, 10):
                check("sipsleuth -i lo started", False, open(os.path.join(d, "stderr")).read())
                return report(sum(checks), len(checks) - sum(checks))
            # A receiver, so the kernel answers no ICMP port-unreachable.
            rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            rx.bind(("127.0.0.1", PORT))
            rx.setblocking(False)
            tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            tx.bind(("127.0.0.1", PORT + 1))
            rotated = []
            start = time.monotonic()
            for n in range(MESSAGES):
                if n in (MESSAGES // 3, 2 * MESSAGES // 3):
                    rotated.append(out + ".%d" % (len(rotated) + 1))
                    os.rename(out, rotated[-1])
                    sl.send_signal(signal.SIGHUP)
                tx.sendto(options(n), ("127.0.0.1", PORT))
                try:
                    while rx.recv(65536):
                        pass
                except BlockingIOError:
                    pass
                # Paced: the stream goes on while sipsleuth reopens.
                delay = start + (n + 1) / PER_SECOND - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            files = rotated + [out]

            def seen():
                return sum(livecap.count_type(f, "sip") for f in files)

            livecap.wait_for(lambda: seen() >= MESSAGES, 10)
            rc = livecap.stop(sl)
            with open(os.path.join(d, "stderr")) as f:
                err = f.read()
            check("SIGTERM: exit status 0, nothing on stderr", rc == 0 and not err,
                  "rc=%s stderr=%r" % (rc, err))
            ids = collections.Counter()
            per_file = []
            complete = True
            for f in files:
                try:
                    evs = livecap.read_events(f)
                except ValueError as e:
                    complete = False
                    print("     %s: %s" % (os.path.basename(f), e))
                    continue
                sips = [e for e in evs if e["event_type"] == "sip"]
                per_file.append(len(sips))
                ids.update(e["call_id"] for e in sips)
            check("every line of every file is complete JSON", complete)
            expected = {"rot-%d@rotation.test" % n for n in range(MESSAGES)}
            lost = expected - set(ids)
            doubled = [k for k, v in ids.items() if v > 1]
            print("     sip events per file (oldest first): %s" % per_file)
            check("every request exactly once across the files (%d)" % MESSAGES,
                  not lost and not doubled and set(ids) == expected,
                  "%d lost, %d doubled, %d foreign" % (len(lost), len(doubled),
                                                        len(set(ids) - expected)))
            check("each file received events (SIGHUP reopened it)",
                  len(per_file) == 3 and all(per_file), str(per_file))
            newest = livecap.read_events(out) if os.path.exists(out) else []
            check("the final stats event ends the newest file",
                  livecap.final_stats(newest) is not None)
        finally:
            if sl.poll() is None:
                sl.kill()
                sl.wait()
    # A full disk while live: the first periodic stats event cannot be written.
    try:
        r = subprocess.run([binary, "-i", "lo", "--sip-ports", str(PORT), "--stats-interval", "1",
                            "-o", "/dev/full"], capture_output=True, timeout=20)
        err = r.stderr.decode().strip()
        check("live -o /dev/full: exit status 1, one line naming it and the reason",
              r.returncode == 1 and len(err.splitlines()) == 1 and "/dev/full" in err and
              "No space" in err, "rc=%d stderr=%r" % (r.returncode, err))
    except subprocess.TimeoutExpired:
        check("live -o /dev/full stops by itself", False, "still running after 20 s")
    return report(sum(checks), len(checks) - sum(checks))


if __name__ == "__main__":
    sys.exit(main())
