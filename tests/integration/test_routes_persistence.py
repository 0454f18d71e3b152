#!/usr/bin/env python3
"""The --routes file across runs and crashes:

- two runs on two captures with one file: the second reports `stale_use`
  (naming its client) for the route the first learned, and saves it back;
- a corrupt or unreadable file is an error (exit 1) that leaves it untouched;
- SIGTERM mid-run still saves;
- SIGKILL, repeatedly, while a run saves a growing table after every 301:
  the file is always a complete table (the old or a new one), never a torn
  one, and what was saved is never lost.

usage: test_routes_persistence.py PATH/TO/sipsleuth   (run from the repository root)
"""
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SAMPLES = os.path.join(ROOT, "samples")
sys.path.insert(0, os.path.join(ROOT, "scripts", "gen"))
import gen_redirects  # noqa: E402

failures = []
passed = 0


def expect(cond, what):
    global passed
    if cond:
        passed += 1
    else:
        failures.append(what)


def run(binary, args):
    return subprocess.run([binary] + args, capture_output=True, text=True, check=False)


def events(out, etype):
    return [json.loads(line) for line in out.stdout.splitlines()
            if json.loads(line)["event_type"] == etype]


def two_runs(binary, tmp):
    path = os.path.join(tmp, "routes.json")
    r1 = run(binary, ["--routes", path, "--events", "route", "-r",
                      os.path.join(SAMPLES, "redirect-persist-1.pcap")])
    expect(r1.returncode == 0, "run 1: exit %d %s" % (r1.returncode, r1.stderr))
    learned = [e["route"]["action"] for e in events(r1, "route")]
    expect(learned == ["learned"], "run 1 routes: %s" % learned)
    with open(path) as f:
        doc = json.load(f)
    expect(doc.get("version") == 1 and len(doc.get("routes", [])) == 1, "run 1 file: %s" % doc)
    entry = doc["routes"][0]
    expect(entry["uri"] == "sip:carol@old.example.com" and
           entry["target"] == "sip:carol@new.example.com" and entry["q"] is None and
           entry["expires"] is None and entry["times_seen"] == 1 and
           entry["server"] == gen_redirects.S and
           entry["first_seen"] == entry["last_seen"] == "2026-03-01T10:00:00.050000Z",
           "run 1 entry: %s" % entry)

    r2 = run(binary, ["--routes", path, "--events", "route", "-r",
                      os.path.join(SAMPLES, "redirect-persist-2.pcap")])
    expect(r2.returncode == 0, "run 2: exit %d %s" % (r2.returncode, r2.stderr))
    ev = events(r2, "route")
    expect(len(ev) == 1 and ev[0]["route"]["action"] == "stale_use" and
           ev[0]["route"]["uri"] == "sip:carol@old.example.com" and
           ev[0]["route"]["target"] == "sip:carol@new.example.com" and
           ev[0]["src_ip"] == gen_redirects.D and
           ev[0]["timestamp"] == "2026-03-01T11:00:00.000000Z", "run 2 routes: %s" % ev)
    with open(path) as f:
        entry = json.load(f)["routes"][0]
    expect(entry["last_used"] == "2026-03-01T11:00:00.000000Z" and entry["times_seen"] == 1,
           "run 2 saved the use: %s" % entry)


def bad_files(binary, tmp):
    sample = os.path.join(SAMPLES, "redirect-persist-1.pcap")
    for name, content in (("garbage", b"{\"version\": 1, \"routes\": [{\"uri\""),
                          ("wrong-version", b"{\"version\": 2, \"routes\": []}"),
                          ("bad-uri", json.dumps({"version": 1, "routes": [{
                              "uri": "sip:Carol@OLD.example.com", "target": "sip:c@x",
                              "q": None, "expires": None,
                              "first_seen": "2026-03-01T10:00:00Z",
                              "last_seen": "2026-03-01T10:00:00Z", "times_seen": 1,
                              "server": ""}]}).encode())):
        path = os.path.join(tmp, name + ".json")
        with open(path, "wb") as f:
            f.write(content)
        r = run(binary, ["--routes", path, "-r", sample])
        with open(path, "rb") as f:
            after = f.read()
        expect(r.returncode == 1 and path in r.stderr and r.stderr.count("\n") == 1 and
               r.stdout == "", "%s: exit %d, stderr %r" % (name, r.returncode, r.stderr))
        expect(after == content, "%s: the file was changed" % name)
        expect(not os.path.exists(path + ".tmp"), "%s: a temp file was written" % name)
    r = run(binary, ["--routes", tmp, "-r", sample])  # a directory: unreadable as a table
    expect(r.returncode == 1 and tmp in r.stderr, "directory: exit %d %r" % (r.returncode,
                                                                            r.stderr))


def sigterm_saves(binary, tmp):
    """Input from a pipe left open; SIGTERM mid-run: the table is saved."""
    cap = os.path.join(tmp, "term.pcap")
    gen_redirects.redirect_flood(cap, 3)
    path = os.path.join(tmp, "term.json")
    with open(cap, "rb") as f:
        data = f.read()
    p = subprocess.Popen([binary, "--routes", path, "--routes-save-interval", "0",
                          "--events", "route", "-r", "-"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdin.write(data)
    p.stdin.flush()
    time.sleep(1.5)  # the pipe stays open: sipsleuth waits for more input
    p.send_signal(signal.SIGTERM)
    try:
        _, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    # The capture layer reports the interrupted read of stdin (exit 1): the
    # point here is that the table was saved on the way out.
    expect(p.returncode in (0, 1), "SIGTERM: exit %s %r" % (p.returncode, err))
    try:
        with open(path) as f:
            n = len(json.load(f)["routes"])
    except (OSError, ValueError, KeyError) as e:
        n = "unreadable: %s" % e
    expect(n == 3, "SIGTERM: saved %s routes, want 3" % n)


def check_table(binary, path, n_max):
    """The file is a complete table: routes user0..user(k-1), each intact.
    Returns k, or None."""
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        failures.append("torn or missing file: %s" % e)
        return None
    routes = doc.get("routes", [])
    uris = {r["uri"] for r in routes}
    k = len(routes)
    ok = doc.get("version") == 1 and k <= n_max and len(uris) == k and \
        uris == {"sip:user%d@old.example" % i for i in range(k)} and \
        all(r["target"] == r["uri"].replace("@old.", "@new.") for r in routes)
    expect(ok, "the file is not a complete table (%d routes)" % k)
    listed = run(binary, ["routes", "--routes", path, "list"])
    expect(listed.returncode == 0 and listed.stdout.count("\n") == k + 1,
           "routes list on the file: exit %d %r" % (listed.returncode, listed.stderr))
    return k if ok else None


def sigkill_during_saves(binary, tmp):
    n = 3000
    cap = os.path.join(tmp, "flood.pcap")
    gen_redirects.redirect_flood(cap, n)
    path = os.path.join(tmp, "kill.json")
    rng = random.Random(6)
    last_k, seen_k, torn_tmp = 0, set(), 0
    for i in range(25):
        p = subprocess.Popen([binary, "--routes", path, "--routes-save-interval", "1",
                              "--events", "stats", "-r", cap],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 0.5) * (1 + i % 3))
        p.send_signal(signal.SIGKILL)
        p.wait()
        if os.path.exists(path + ".tmp"):
            torn_tmp += 1
        if not os.path.exists(path):
            continue  # killed before the first save: nothing was promised yet
        k = check_table(binary, path, n)
        if k is None:
            continue
        expect(k >= last_k, "kill %d: the table shrank from %d to %d routes" % (i, last_k, k))
        last_k = k
        seen_k.add(k)
    expect(len(seen_k) >= 2, "the kills never landed between two different saves: %s" % seen_k)
    print("SIGKILL: %d kills, tables of %s routes seen, %d left a temp file behind" % (
        25, sorted(seen_k), torn_tmp))
    # an uninterrupted run completes the table
    r = run(binary, ["--routes", path, "--routes-save-interval", "0", "--events", "route", "-r",
                     cap])
    expect(r.returncode == 0, "final run: exit %d %r" % (r.returncode, r.stderr))
    expect(check_table(binary, path, n) == n, "final run: the table is not complete")


def same_capture_again(binary, tmp):
    """The capture analysed again with the routes file it produced: the
    request the 301 answered (before the route was learned) is no stale use."""
    path = os.path.join(tmp, "again.json")
    pcap = os.path.join(SAMPLES, "redirect-persist-1.pcap")
    for n in (1, 2):
        r = run(binary, ["--routes", path, "--events", "route", "-r", pcap])
        actions = [e["route"]["action"] for e in events(r, "route")]
        want = ["learned"] if n == 1 else ["refreshed"]
        expect(r.returncode == 0 and actions == want,
               "run %d on the same capture: %s, want %s" % (n, actions, want))


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        two_runs(binary, tmp)
        same_capture_again(binary, tmp)
        bad_files(binary, tmp)
        sigterm_saves(binary, tmp)
        sigkill_during_saves(binary, tmp)
    for f in failures:
        print("FAIL:", f)
    print("%d passed, %d failed" % (passed, len(failures)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
