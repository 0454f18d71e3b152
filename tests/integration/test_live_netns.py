#!/usr/bin/env python3
"""Live capture equals offline analysis (issue 8, acceptance 1).

In a private network namespace with a veth pair, sipsleuth -i captures on one
end while tcpreplay sends the bundled Ethernet samples into the other. After
SIGTERM its events must be those of an offline run on the same files (stats
aside, and with capture times removed: live packets are stamped on arrival),
kernel drops must be zero, and the last line must be a complete final stats
event. On the idle line before the replay, periodic stats must already come
(timers run without packets).

Needs root, ip and tcpreplay: without them the test is skipped, except under CI
(env CI set), where that is a failure.
usage: test_live_netns.py PATH-TO-SIPSLEUTH"""
import collections
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livecap  # noqa: E402
from sipcount import SAMPLES, report  # noqa: E402

# Ethernet samples (tcpreplay sends frames as they are) whose outcome does not
# depend on capture-time gaps: replayed at top speed, a gap of minutes becomes
# microseconds, so dialog-timeout.pcap (timers fired by 3 minutes of pings)
# is left out. Order matters once: dialog-completed.pcap leaves a TCP
# connection open (no FIN) on the tuple that tcp-multi-per-segment.pcap opens
# anew, and a live stream carries state from one file into the next, so the
# tcp-* files come first.
SAMPLES_REPLAYED = [
    "tcp-split-boundaries.pcap", "tcp-multi-per-segment.pcap",
    "tcp-reorder-retrans-overlap.pcap", "tcp-wraparound.pcap", "tcp-midstream.pcap",
    "tcp-gap-resync.pcap", "tcp-not-sip.pcap", "ws-sip.pcap",
    "basic-call.pcap", "register-options.pcapng", "syntax-variety.pcap", "hostile.pcap",
    "vlan-qinq.pcap", "span-duplicates.pcap",
    "dialog-completed.pcap", "dialog-failed.pcap", "dialog-cancelled.pcap",
    "dialog-retransmissions.pcap", "dialog-forked.pcap", "dialog-reinvite.pcap",
    "dialog-redirect.pcap", "dialog-proxy.pcap",
    "encap-6in4.pcap", "encap-erspan2.pcap", "encap-erspan3.pcap", "encap-gre.pcap",
    "encap-ipip.pcap", "encap-mpls.pcap", "encap-vxlan.pcap",
    "frag-ipv4-reverse.pcap", "frag-ipv6.pcap",
]

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
# Fields computed from capture times, which differ between a file and a replay.
TIME_FIELDS = {"setup_ms", "final_ms", "pdd_ms", "duration_ms"}


# A hole in a TCP stream is skipped when its data can no longer come: 1 s of
# capture time after the peer acknowledged it, or at the end of the input,
# whichever comes first. A replay paces the packets in real time, a file run
# reads them at once, so the reason given in the detail may differ.
GAP_REASON = re.compile(r" \((end of input|acknowledged but not captured)\)")


def normalize(value):
    if isinstance(value, dict):
        return {k: normalize(GAP_REASON.sub("", v) if k == "detail" else v)
                for k, v in value.items()
                if k not in TIME_FIELDS and not (isinstance(v, str) and RFC3339.match(v))}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return value


def comparable(events):
    return collections.Counter(json.dumps(normalize(e), sort_keys=True)
                               for e in events if e["event_type"] != "stats")


def ip(*args):
    subprocess.run(["ip"] + list(args), check=True, capture_output=True)


def live_run(binary, workers, files, expected, frames, check):
    """Replays files on a veth pair in a namespace of its own while sipsleuth
    captures them with --workers N; its events are checked against expected."""
    total = sum(expected.values())
    ns = "sipsleuth-test-%d-%d" % (os.getpid(), workers)
    try:
        ip("netns", "add", ns)
    except subprocess.CalledProcessError as e:
        livecap.skip_or_fail("cannot create a network namespace: %s" % e.stderr.decode().strip())
    proc = None
    with tempfile.TemporaryDirectory() as d:
        try:
            netns = ["ip", "netns", "exec", ns]
            # No IPv6 on the pair: the kernel's own solicitations would be captured.
            subprocess.run(netns + ["sh", "-c", "for k in all default; do "
                                    "f=/proc/sys/net/ipv6/conf/$k/disable_ipv6; "
                                    "[ ! -e $f ] || echo 1 > $f; done"], check=True)
            ip("-n", ns, "link", "add", "tx0", "type", "veth", "peer", "name", "rx0")
            # The largest MTU, so that hostile.pcap's 60 KB frame passes.
            for dev in ("tx0", "rx0"):
                ip("-n", ns, "link", "set", dev, "mtu", "65535", "up")
            out = os.path.join(d, "live.ndjson")
            proc = livecap.start(netns + [binary, "-i", "rx0", "--events", "all", "--workers",
                                          str(workers), "--stats-interval", "1", "-o", out],
                                 os.path.join(d, "stderr"))
            idle_stats = livecap.wait_for(lambda: livecap.count_type(out, "stats") >= 2, 10)
            check("periodic stats on an idle line (timers run without packets)", idle_stats)
            replay = subprocess.run(netns + ["tcpreplay", "-q", "--topspeed", "-i", "tx0"] + files,
                                    capture_output=True, text=True)
            check("tcpreplay sent every file", replay.returncode == 0,
                  replay.stdout + replay.stderr)
            # Stop once a periodic stats event shows every frame processed.
            livecap.wait_for(lambda: livecap.packets_seen(out) >= frames, 15)
            rc = livecap.stop(proc)
            with open(os.path.join(d, "stderr")) as f:
                err = f.read()
            check("SIGTERM: exit status 0, nothing on stderr", rc == 0 and not err,
                  "rc=%s stderr=%r" % (rc, err))
            events = livecap.read_events(out)
            got = comparable(events)
            missing, extra = expected - got, got - expected
            check("live events equal the offline run's (%d events)" % total,
                  not missing and not extra,
                  "\n  missing %s\n  extra %s" % ("\n  ".join(missing), "\n  ".join(extra)))
            fs = livecap.final_stats(events)
            check("the last line is the final stats event", fs is not None,
                  json.dumps(events[-1])[:300] if events else "no events")
            if fs:
                check("final stats: the kernel dropped nothing",
                      fs.get("kernel_dropped") == 0 and fs.get("interface_dropped") == 0,
                      str({k: fs.get(k) for k in ("pcap_received", "kernel_dropped",
                                                    "interface_dropped")}))
                check("final stats: memory_bytes present", fs.get("memory_bytes", 0) > 0)
                print("     pcap_received=%s packets=%s kernel_dropped=%s" %
                      (fs.get("pcap_received"), fs.get("packets"), fs.get("kernel_dropped")))
            periodic = [e for e in events[:-1] if e["event_type"] == "stats"]
            check("periodic stats carry the kernel's counters",
                  periodic and all("kernel_dropped" in e["stats"] and "pcap_received" in e["stats"]
                                   for e in periodic))
        finally:
            if proc and proc.poll() is None:
                proc.kill()
                proc.wait()
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def main():
    binary = os.path.abspath(sys.argv[1])
    reason = livecap.prerequisites(["ip", "tcpreplay"])
    if reason:
        livecap.skip_or_fail(reason)
    files = [os.path.join(SAMPLES, f) for f in SAMPLES_REPLAYED]
    checks = []

    def check(name, cond, detail=""):
        checks.append(cond)
        print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail))

    # Each file on its own: as one offline stream, the files' clocks (all from
    # 10:00:00) would fire the timers of one file's calls in another's minutes.
    expected, frames = collections.Counter(), 0
    for f in files:
        run = subprocess.run([binary, "--events", "all", "-r", f], capture_output=True, check=True)
        offline_events = [json.loads(l) for l in run.stdout.splitlines()]
        expected += comparable(offline_events)
        frames += livecap.final_stats(offline_events)["packets"]

    # One thread, then two (issue 21): the same events either way.
    for workers in (1, 2):
        live_run(binary, workers, files, expected, frames,
                 lambda name, cond, detail="": check("[--workers %d] %s" % (workers, name), cond,
                                                     detail))
    return report(sum(checks), len(checks) - sum(checks))


if __name__ == "__main__":
    sys.exit(main())
