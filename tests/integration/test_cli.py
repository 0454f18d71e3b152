#!/usr/bin/env python3
"""The command line contract: exit statuses 0/1/2, one-line errors naming the
thing and the reason, stdin input, several -r files, -o.
usage: test_cli.py PATH-TO-SIPSLEUTH"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sipcount import SAMPLES, report  # noqa: E402

BASIC = os.path.join(SAMPLES, "basic-call.pcap")
SDP_MEDIA = os.path.join(SAMPLES, "sdp-media.pcap")
REGISTRATIONS = os.path.join(SAMPLES, "registrations.pcap")
REG = os.path.join(SAMPLES, "register-options.pcapng")


def run(binary, args, stdin=None):
    return subprocess.run([binary] + args, capture_output=True, input=stdin)


def sip_events(stdout):
    return [json.loads(l) for l in stdout.splitlines() if b'"event_type":"sip"' in l]


def main():
    b = sys.argv[1]
    checks = []

    def check(name, cond, detail=""):
        checks.append(cond)
        print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)))

    r = run(b, ["--help"])
    check("--help exits 0 and prints usage", r.returncode == 0 and b"usage:" in r.stdout)
    help_text = r.stdout.decode()
    caps = ("message-bytes", "headers", "contacts", "vias", "tcp-streams", "tcp-bytes",
            "frag-trains", "frag-bytes", "dialogs", "dialog-bytes", "routes", "identity-checks",
            "certs", "registrations", "registration-bytes", "watched-sources")
    missing = [c for c in caps if "--max-" + c + " " not in help_text]
    check("--help lists every resource limit with its default",
          not missing and help_text.count("(default") >= len(caps), missing)
    r = run(b, ["--events", "stats", "--max-tcp-bytes", "64K", "--max-dialog-bytes", "2m",
                "--max-message-bytes", "1G", "--max-headers=16", "-r", BASIC])
    check("limits take K/M/G sizes and --opt=value",
          r.returncode == 0 and json.loads(r.stdout)["stats"]["sip_messages"] == 7, r.stderr)
    r = run(b, ["--version"])
    check("--version exits 0", r.returncode == 0 and r.stdout.startswith(b"sipsleuth "))
    for args, what in ((["--bogus"], "unknown option"), ([], "no input"),
                       (["-r", BASIC, "-i", "lo"], "both -r and -i"),
                       (["--events", "sip,nope", "-r", BASIC], "bad event type"),
                       (["--max-headers", "x", "-r", BASIC], "bad number"),
                       (["--max-contacts", "0", "-r", BASIC], "a cap below its range"),
                       (["--max-headers", "65536", "-r", BASIC], "a cap above its range"),
                       (["--max-tcp-bytes", "64X", "-r", BASIC], "a size with a bad suffix"),
                       (["--max-tcp-bytes", "1K", "-r", BASIC], "a size below its range"),
                       (["--max-frag-bytes", "-1M", "-r", BASIC], "a negative size"),
                       (["--auth-fail-threshold", "0", "-r", BASIC], "a threshold of 0"),
                       (["--auth-fail-window", "x", "-r", BASIC], "a window not a number"),
                       (["--scanner-window", "0", "-r", BASIC], "a window of 0"),
                       (["-r"], "missing value"),
                       (["--json", "-r", BASIC], "--json without --summary")):
        r = run(b, args)
        lines = r.stderr.decode().strip().splitlines()
        check("usage error exits 2: " + what, r.returncode == 2 and len(lines) == 1,
              "rc=%d stderr=%r" % (r.returncode, r.stderr))
    check("--help names --json", "--json " in help_text)
    r = run(b, ["--summary", "--json", "--events", "none", "-r", BASIC])
    check("--summary --json --events none: one JSON object on stdout",
          r.returncode == 0 and r.stdout.count(b"\n") == 1 and
          json.loads(r.stdout)["sip"]["messages"] == 7 and not r.stderr, (r.returncode, r.stderr))
    r = run(b, ["-r", "/nonexistent.pcap"])
    err = r.stderr.decode().strip()
    check("missing file exits 1 with one line naming it",
          r.returncode == 1 and len(err.splitlines()) == 1 and "/nonexistent.pcap" in err, err)
    check("a start that read nothing writes no stats event (none stamped 1970)",
          r.stdout == b"", r.stdout[:200])
    r = run(b, ["--routes", "/nonexistent-dir/routes.json", "-r", BASIC])
    check("--routes where it cannot be saved fails at the start: exit 1, one line, no events",
          r.returncode == 1 and r.stdout == b"" and len(r.stderr.splitlines()) == 1 and
          b"/nonexistent-dir" in r.stderr, (r.returncode, r.stderr))
    if os.geteuid() == 0:
        # -o is opened as root; after --user the directory must still take the
        # new file a SIGHUP reopen creates
        with tempfile.TemporaryDirectory() as d:
            os.chmod(d, 0o755)
            r = run(b, ["--user", "nobody", "-o", os.path.join(d, "ev.ndjson"), "-r", BASIC])
            check("-o in a directory --user cannot write: exit 1 at the start, naming it",
                  r.returncode == 1 and b"cannot write in" in r.stderr and
                  os.path.getsize(os.path.join(d, "ev.ndjson")) == 0, (r.returncode, r.stderr))
        # --cert-dir is read when a signature names a certificate: a directory
        # the --user account cannot read is refused before any packet
        with tempfile.TemporaryDirectory() as d:
            os.chmod(d, 0o700)
            r = run(b, ["--user", "nobody", "--cert-dir", d, "-r", BASIC])
            check("--cert-dir that --user cannot read: exit 1 at the start, naming it",
                  r.returncode == 1 and b"--cert-dir" in r.stderr and r.stdout == b"",
                  (r.returncode, r.stderr, r.stdout[:200]))
    else:
        print("skip --user check: needs root to switch users")
    with tempfile.NamedTemporaryFile(suffix=".pcap") as junk:
        junk.write(b"this is not a capture file at all")
        junk.flush()
        r = run(b, ["-r", junk.name])
        check("non-capture file exits 1", r.returncode == 1 and junk.name.encode() in r.stderr)

    expected = len(sip_events(run(b, ["--events", "sip", "-r", BASIC]).stdout))
    check("basic-call has 7 messages", expected == 7, str(expected))
    with open(BASIC, "rb") as f:
        r = run(b, ["--events", "sip", "-r", "-"], stdin=f.read())
    check("-r - reads stdin", r.returncode == 0 and len(sip_events(r.stdout)) == expected)

    # SIGTERM while blocked reading a pipe: a clean stop, exit 0, final stats last
    p = subprocess.Popen([b, "--events", "sip,stats", "-r", "-"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with open(BASIC, "rb") as f:
        p.stdin.write(f.read())
    p.stdin.flush()  # the pipe stays open: sipsleuth now waits for more
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not os.path.exists("/proc/%d" % p.pid):
        time.sleep(0.05)
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=10)
    lines = out.splitlines()
    check("SIGTERM during a blocking read of stdin stops cleanly",
          p.returncode == 0 and not err and len(sip_events(out)) == expected and
          json.loads(lines[-1])["stats"]["final"] is True, (p.returncode, err))

    r = run(b, ["--events", "sip,stats", "-r", BASIC, "-r", REG])
    evs = [json.loads(l) for l in r.stdout.splitlines()]
    stats = [e for e in evs if e["event_type"] == "stats"]
    check("several -r files are one stream with one final stats",
          len(stats) == 1 and stats[0]["stats"]["sip_messages"] == 13 and
          len([e for e in evs if e["event_type"] == "sip"]) == 13)

    r = run(b, ["--events", "sip", "-f", "udp port 5080", "-r", REG, "-r", BASIC])
    check("-f applies a BPF filter to files", r.returncode == 0 and len(sip_events(r.stdout)) == 6,
          len(sip_events(r.stdout)))
    r = run(b, ["-f", "this is not bpf", "-r", BASIC])
    check("a bad filter is bad usage: exits 2 naming it, writes no event",
          r.returncode == 2 and b"this is not bpf" in r.stderr and r.stdout == b"",
          (r.returncode, r.stderr, r.stdout[:200]))

    r = run(b, ["-r", BASIC])
    types = {json.loads(l)["event_type"] for l in r.stdout.splitlines()}
    check("default events leave out sip", "sip" not in types and "stats" in types, str(types))
    for opt in ("--auth-fail-threshold", "--auth-fail-window", "--scanner-window"):
        check("--help names " + opt, opt + " " in help_text)
    r = run(b, ["--events", "registration", "--auth-fail-threshold", "3", "--auth-fail-window",
                "5", "--scanner-window", "5", "-r", REGISTRATIONS])
    types = {json.loads(l)["event_type"] for l in r.stdout.splitlines()}
    check("--events registration and the watch options are accepted",
          r.returncode == 0 and types == {"registration"}, (r.returncode, types, r.stderr))
    check("--help names --no-sdp", "--no-sdp " in help_text)
    with_sdp = run(b, ["--events", "sip,dialog", "-r", SDP_MEDIA])
    r = run(b, ["--events", "sip,dialog", "--no-sdp", "-r", SDP_MEDIA])
    evs = [json.loads(l) for l in r.stdout.splitlines()]
    dialogs = [e["dialog"] for e in evs if e["event_type"] == "dialog"]
    check("--no-sdp: the same events, none with media, no holds counted",
          r.returncode == 0 and len(evs) == len(with_sdp.stdout.splitlines())
          and b'"media"' in with_sdp.stdout and b'"media"' not in r.stdout
          and dialogs and all(d["holds"] == 0 for d in dialogs), (r.returncode, len(evs)))
    r = run(b, ["--events", "-stats", "-r", BASIC])
    types = {json.loads(l)["event_type"] for l in r.stdout.splitlines()}
    check("--events -stats alone is the default without stats", types == {"dialog"}, str(types))

    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "events.ndjson")
        r = run(b, ["--events", "sip", "-o", out, "-r", BASIC])
        with open(out, "rb") as f:
            n = len(sip_events(f.read()))
        check("-o FILE writes the events there", r.returncode == 0 and not r.stdout and n == 7)
        r = run(b, ["-o", os.path.join(d, "no/such/dir/x"), "-r", BASIC])
        check("unwritable -o exits 1", r.returncode == 1 and b"cannot open output" in r.stderr)
    for args, what in ((["--extract", "x", "-r", BASIC], "--extract without -w"),
                       (["-w", "/tmp/x.pcap", "-r", BASIC], "-w without --extract"),
                       (["--extract", "x", "-w", "/tmp/x.pcap", "--extract-dir", "/tmp/xd",
                         "-r", BASIC], "both -w and --extract-dir"),
                       (["--extract", "x", "-w", "/tmp/x.pcap", "-i", "lo"], "--extract live"),
                       (["--extract-dir", "/tmp/xd", "-r", "-"], "--extract-dir from stdin"),
                       (["--extract", "", "-w", "/tmp/x.pcap", "-r", BASIC], "an empty Call-ID"),
                       (["--extract", "x", "-r", BASIC, "-w"], "-w without its value")):
        r = run(b, args)
        lines = r.stderr.decode().strip().splitlines()
        check("usage error exits 2: " + what, r.returncode == 2 and len(lines) == 1 and
              not os.path.exists("/tmp/xd"), "rc=%d stderr=%r" % (r.returncode, r.stderr))
    with tempfile.TemporaryDirectory() as d:
        r = run(b, ["--extract", "x", "-w", os.path.join(d, "no/such/x.pcap"), "-r", BASIC])
        check("--extract with an unwritable -w exits 1 before reading, naming it",
              r.returncode == 1 and b"no/such/x.pcap" in r.stderr and r.stdout == b"",
              (r.returncode, r.stderr, r.stdout[:100]))
        open(os.path.join(d, "file"), "w").close()
        r = run(b, ["--extract-dir", os.path.join(d, "file"), "-r", BASIC])
        check("--extract-dir on a file exits 1 before reading",
              r.returncode == 1 and b"--extract-dir" in r.stderr and r.stdout == b"", r.stderr)
        out = os.path.join(d, "call.pcap")
        r = run(b, ["--extract", "a84b4c76e66710@pc33.example.com", "-w", out, "-r", BASIC])
        with open(out, "rb") as f:
            head = f.read(24)
        check("--extract -w writes a pcap of the input's link type, events as asked",
              r.returncode == 0 and head[:4] == bytes.fromhex("4d3cb2a1") and head[20] == 1
              and b'"event_type":"dialog"' in r.stdout, (r.returncode, r.stderr, head))
    check("--help names --extract, -w and --extract-dir",
          all(o in help_text for o in ("--extract CALL_ID", "-w FILE", "--extract-dir DIR")))
    r = run(b, ["--events", "all", "-o", "/dev/full", "-r", BASIC])
    check("-o /dev/full exits 1 with a clear message",
          r.returncode == 1 and b"/dev/full" in r.stderr and b"No space" in r.stderr,
          r.stderr.decode())
    return report(sum(checks), len(checks) - sum(checks))


if __name__ == "__main__":
    sys.exit(main())
