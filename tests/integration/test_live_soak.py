#!/usr/bin/env python3
"""A one-minute soak of live capture (issue 8, acceptance 2).

sipp drives calls UAC -> UAS over loopback (127.0.0.1:5071 -> :5070) at a fixed
rate while sipsleuth -i lo --sip-ports 5070 captures. Asserts: sipsleuth
reports every call sipp completed as one `completed` dialog, the kernel drops
nothing, and its resident memory at the end is within 10 % of what it was 10 s
into the run (steady state: no leak, no unbounded growth). The memory check is
skipped for sanitizer builds, whose allocator says nothing about ours; their
soak lasts 20 s (the live path under ASan/UBSan; the minute is the release
build's).

Needs root and sipp: without them the test is skipped, except under CI (env CI
set), where that is a failure.
usage: test_live_soak.py PATH-TO-SIPSLEUTH"""
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livecap  # noqa: E402
from sipcount import report  # noqa: E402

RATE = 20          # calls per second
SECONDS = 65       # of traffic; 20 for a sanitizer build, whose memory is not checked:
                   # there the soak is the live path under ASan/UBSan, the minute is the release's
HOLD_MS = 500      # each call is up for this long before the BYE
UAS_PORT, UAC_PORT = 5070, 5071


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M).group(1))


def main():
    binary = os.path.abspath(sys.argv[1])
    seconds = 20 if livecap.sanitized(binary) else SECONDS
    calls = RATE * seconds
    reason = livecap.prerequisites(["sipp"])
    if reason:
        livecap.skip_or_fail(reason)
    checks = []

    def check(name, cond, detail=""):
        checks.append(cond)
        print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail))

    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "soak.ndjson")
        procs = []
        try:
            sl = livecap.start([binary, "-i", "lo", "--sip-ports", str(UAS_PORT),
                                "--stats-interval", "1", "-o", out], os.path.join(d, "stderr"))
            procs.append(sl)
            if not livecap.wait_for(lambda: livecap.count_type(out, "stats") >= 1, 10):
                check("sipsleuth -i lo started", False, open(os.path.join(d, "stderr")).read())
                return report(sum(checks), len(checks) - sum(checks))
            uas = subprocess.Popen(["sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(UAS_PORT),
                                    "-nostdin"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, cwd=d)
            procs.append(uas)
            time.sleep(0.5)
            start = time.monotonic()
            uac = subprocess.Popen(["sipp", "-sn", "uac", "127.0.0.1:%d" % UAS_PORT,
                                    "-i", "127.0.0.1", "-p", str(UAC_PORT), "-nostdin",
                                    "-r", str(RATE), "-m", str(calls), "-d", str(HOLD_MS),
                                    "-timeout", "120s"],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, cwd=d, text=True)
            procs.append(uac)
            time.sleep(10)
            rss_10s = rss_kb(sl.pid)
            uac_out, _ = uac.communicate(timeout=180)
            elapsed = time.monotonic() - start
            rss_end = rss_kb(sl.pid)
            m = re.findall(r"Successful call\s+\|\s+\d+\s+\|\s+(\d+)", uac_out)
            made = int(m[-1]) if m else -1
            check("sipp made %d calls in %.0f s, all successful" % (calls, elapsed),
                  uac.returncode == 0 and made == calls and elapsed >= seconds - 5,
                  "rc=%d successful=%d elapsed=%.1f" % (uac.returncode, made, elapsed))
            # The last BYE/200 are flushed within a second.
            livecap.wait_for(lambda: livecap.count_type(out, "dialog") >= calls, 10)
            rc = livecap.stop(sl)
            check("SIGTERM: exit status 0", rc == 0, "rc=%s" % rc)
            events = livecap.read_events(out)
            dialogs = [e["dialog"] for e in events if e["event_type"] == "dialog"]
            completed = sum(1 for dl in dialogs if dl["state"] == "completed")
            check("every call reported as a completed dialog: %d of %d" % (completed, made),
                  completed == made and len(dialogs) == made,
                  "%d dialog events, %d completed" % (len(dialogs), completed))
            fs = livecap.final_stats(events)
            check("the last line is the final stats event", fs is not None)
            fs = fs or {}
            print("     pcap_received=%s kernel_dropped=%s interface_dropped=%s memory_bytes=%s"
                  % (fs.get("pcap_received"), fs.get("kernel_dropped"),
                     fs.get("interface_dropped"), fs.get("memory_bytes")))
            check("the kernel dropped nothing",
                  fs.get("kernel_dropped") == 0 and fs.get("pcap_received", 0) > 0)
            print("     VmRSS after 10 s: %d kB, at the end: %d kB (%+.1f %%)"
                  % (rss_10s, rss_end, 100.0 * (rss_end - rss_10s) / rss_10s))
            if livecap.sanitized(binary):
                print("     (memory check skipped: sanitizer build)")
            else:
                check("RSS at the end within 10 % of RSS after 10 s",
                      abs(rss_end - rss_10s) <= 0.10 * rss_10s,
                      "%d kB -> %d kB" % (rss_10s, rss_end))
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
    return report(sum(checks), len(checks) - sum(checks))


if __name__ == "__main__":
    sys.exit(main())
