"""Shared helpers for the integration tests: run sipsleuth and tshark on a
capture and count SIP requests per method and responses per status code."""
import collections
import json
import os
import subprocess

from tshark_cache import tshark

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLES = os.path.join(ROOT, "samples")
CORPUS = os.path.join(ROOT, "..", "shared", "corpus")


def keylog_of(path):
    """The TLS key log of a capture: X.keys beside X.pcap (samples/tls-*), or None."""
    k = os.path.splitext(path)[0] + ".keys"
    return k if os.path.exists(k) else None


def sipsleuth_keylog_args(path):
    k = keylog_of(path)
    return ["--tls-keylog", k] if k else []


def run_sipsleuth(binary, files, events="sip", extra=()):
    """Returns the list of events (parsed JSON) for the given capture files."""
    cmd = [binary, "--events", events] + list(extra)
    for f in files:
        cmd += ["-r", f]
    out = subprocess.run(cmd, capture_output=True, check=False)
    if out.returncode not in (0,):
        raise RuntimeError("%s exited %d: %s" % (cmd, out.returncode, out.stderr.decode(errors="replace")))
    events = []
    for n, line in enumerate(out.stdout.split(b"\n")):
        if not line:
            continue
        try:
            events.append(json.loads(line))
        except ValueError as e:
            raise RuntimeError("line %d is not JSON (%s): %r" % (n + 1, e, line[:200]))
    return events


def sipsleuth_counts(binary, path):
    counts = collections.Counter()
    for ev in run_sipsleuth(binary, [path], extra=sipsleuth_keylog_args(path)):
        if ev["event_type"] != "sip":
            continue
        s = ev["sip"]
        if "status_code" in s:
            counts[("response", str(s["status_code"]))] += 1
        else:
            counts[("request", s["method"])] += 1
    return counts


def tshark_counts(path, extra_args=()):
    """What tshark -Y sip reports; several messages in one frame are comma-separated.
    A capture with a key log (keylog_of) is decrypted with it."""
    out = tshark(
        ["-n", "-r", path, "-Y", "sip", "-o", "tcp.reassemble_out_of_order:TRUE"] +
        (["-o", "tls.keylog_file:" + keylog_of(path)] if keylog_of(path) else []) +
        list(extra_args) + [
         "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,",
         "-e", "sip.Method", "-e", "sip.Status-Code"])
    counts = collections.Counter()
    for line in out.decode(errors="replace").splitlines():
        methods, _, codes = line.partition("\t")
        for m in filter(None, methods.split(",")):
            counts[("request", m)] += 1
        for c in filter(None, codes.split(",")):
            counts[("response", c)] += 1
    return counts


def report(passed, failed):
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0
