"""Shared helpers for the live-capture tests: prerequisites (root, tools),
starting sipsleuth -i and reading its NDJSON output."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time


def prerequisites(tools):
    """None when the test can run, else the reason it cannot."""
    if os.geteuid() != 0:
        return "needs root (live capture, network namespaces)"
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        return "missing %s: run scripts/setup" % ", ".join(missing)
    return None


def skip_or_fail(reason):
    """Outside CI a missing prerequisite skips the test; in CI it fails it."""
    if os.environ.get("CI"):
        print("FAIL prerequisites: " + reason)
        print("0 passed, 1 failed")
        sys.exit(1)
    print("SKIP: " + reason)
    print("0 passed, 0 failed, 1 skipped")
    sys.exit(0)


def sanitized(binary):
    """True for an AddressSanitizer build, whose memory use says nothing about ours."""
    out = subprocess.run(["nm", "-D", binary], capture_output=True, text=True)
    return "__asan_init" in out.stdout


def read_events(path):
    """The events in path; raises if a line is not complete JSON."""
    with open(path, "rb") as f:
        data = f.read()
    if data and not data.endswith(b"\n"):
        raise ValueError("%s: the last line is cut short: %r" % (path, data[-80:]))
    return [json.loads(l) for l in data.split(b"\n") if l]


def wait_for(cond, timeout, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()


def count_type(path, event_type):
    try:
        return sum(1 for e in read_events(path) if e["event_type"] == event_type)
    except (OSError, ValueError):
        return 0  # not there yet, or a line still being written


def packets_seen(path):
    """packets in the latest stats event of path (0 before any)."""
    try:
        stats = [e for e in read_events(path) if e["event_type"] == "stats"]
    except (OSError, ValueError):
        return 0
    return stats[-1]["stats"]["packets"] if stats else 0


def start(cmd, stderr_path):
    """Starts sipsleuth (cmd may be prefixed, e.g. by ip netns exec)."""
    err = open(stderr_path, "wb")
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL)


def stop(proc, timeout=30):
    """SIGTERM, then the exit status (None if it had to be killed)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


def final_stats(events):
    """The last event when it is the final stats, else None."""
    if events and events[-1]["event_type"] == "stats" and events[-1]["stats"].get("final"):
        return events[-1]["stats"]
    return None
