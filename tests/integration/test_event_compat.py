#!/usr/bin/env python3
"""The typed event boundary (issue 18) changed no event: the last commit before
it, built from git, and this build write the same lines on the bundled samples,
the shared corpus, the bench captures scripts/bench made (when present) and the
option sets that reach the rarer writers (--sip-raw, --cert, --tls-keylog,
--routes, --dedup), once the renames listed in docs/changelog.md are applied to
the old output. The renames are applied to the raw text, so the comparison is
byte for byte; only stats' memory_bytes figures (struct sizes) and the offsets
the changelog says were always 0 before are masked, and the members added
since (the changelog's) are taken out of the new output.

usage: test_event_compat.py PATH/TO/sipsleuth   (run from the repository root)
"""
import fcntl
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from livecap import sanitized  # noqa: E402
from sipcount import ROOT, report  # noqa: E402

# The last commit before the typed event boundary: its output is the reference.
BASELINE = "7a8c748"
CACHE = os.path.join(ROOT, "build-compat", BASELINE)
SAMPLES = os.path.join(ROOT, "samples")

# docs/changelog.md, "Field renames": (event type, old key, new key). Each old
# key occurs once in its event type's lines, as a key, so a textual rename of
# `"old":` after `{` or `,` is exact.
RENAMES = [
    ("sip", "uri", "request_uri"),
    ("sip", "reason", "reason_phrase"),
    ("redirect", "reason", "reason_phrase"),
    ("dialog", "final_status", "status_code"),
    ("route", "server", "server_ip"),
]
# docs/changelog.md: members added since, left out of the new output before
# comparing: (event type, key).
ADDED = [(t, k) for t in ("sip", "dialog") for k in (
    "ruri_user", "from_user", "to_user", "from_display", "to_display", "asserted_identity",
    "preferred_identity", "remote_party_id", "diversion", "history_info")] + [
    ("sip", "reason_headers"),
    ("dialog", "end_reason"),
    ("sip", "media"),
    ("dialog", "holds"),
    ("dialog", "media"),
]
# docs/changelog.md: event types and anomaly kinds added since, taken out of
# the new output (the stats counts of those kinds too) before comparing.
ADDED_TYPES = {b"registration"}
ADDED_KINDS = ("registration_evicted", "auth_failures", "scanner", "watch_evicted",
               "sdp_malformed", "sdp_too_many_media")
ADDED_KIND = re.compile(rb'"anomaly":\{"kind":"(?:%s)"' % "|".join(ADDED_KINDS).encode())
ADDED_KIND_COUNT = re.compile(rb',?"(?:%s)":(\d+)' % "|".join(ADDED_KINDS).encode())
EVENT_TYPE = re.compile(rb'"event_type":"(\w+)"')
MEMORY = re.compile(rb'"memory_bytes":\d+')
# docs/changelog.md, "Anomaly registry": the SIP parser's non-fatal findings
# now say where they are; their offset was always 0 before.
FLAG_OFFSET = re.compile(rb'("kind":"sip_(?:header_no_colon|bad_content_length|dup_content_length|'
                         rb'headers_dropped|lone_cr|no_content_length|body_short|no_blank_line)",'
                         rb'"layer":"sip","offset":)\d+')


def build_baseline():
    """The baseline's binary, built once into build-compat/ (None: no git history)."""
    binary = os.path.join(CACHE, "build", "sipsleuth")
    os.makedirs(CACHE, exist_ok=True)
    with open(os.path.join(CACHE, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(binary):
            return binary
        have = subprocess.run(["git", "-C", ROOT, "cat-file", "-e", BASELINE + "^{commit}"],
                              capture_output=True)
        if have.returncode != 0:
            return None
        src = os.path.join(CACHE, "src")
        shutil.rmtree(src, ignore_errors=True)
        os.makedirs(src)
        archive = subprocess.Popen(["git", "-C", ROOT, "archive", BASELINE], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", src], stdin=archive.stdout, check=True)
        archive.wait()
        build = os.path.join(CACHE, "build")
        subprocess.run(["cmake", "-S", src, "-B", build, "-DCMAKE_BUILD_TYPE=RelWithDebInfo"],
                       check=True, capture_output=True)
        subprocess.run(["cmake", "--build", build, "--target", "sipsleuth", "-j",
                        str(os.cpu_count() or 2)], check=True, capture_output=True)
        return binary


def renamed(line):
    m = EVENT_TYPE.search(line)
    if m:
        etype = m.group(1).decode()
        for t, old, new in RENAMES:
            if t == etype:
                line = re.sub(rb'([{,])"%s":' % old.encode(), rb'\1"%s":' % new.encode(), line,
                              count=1)
    return masked(line)


def value_end(line, i):
    """The index just past the JSON value that starts at line[i]."""
    depth, quoted, escaped = 0, False, False
    for j in range(i, len(line)):
        c = line[j:j + 1]
        if quoted:
            if escaped:
                escaped = False
            elif c == b"\\":
                escaped = True
            elif c == b'"':
                quoted = False
                if depth == 0:
                    return j + 1
        elif c == b'"':
            quoted = True
        elif c in (b"{", b"["):
            depth += 1
        elif c in (b"}", b"]"):
            if depth == 0:
                return j
            depth -= 1
            if depth == 0:
                return j + 1
        elif c == b"," and depth == 0:
            return j
    return len(line)


def without_added(line):
    m = EVENT_TYPE.search(line)
    for etype, key in ADDED:
        if m and m.group(1).decode() == etype:
            k = line.find(b',"%s":' % key.encode())
            if k >= 0:
                start = k + len(key) + 4
                line = line[:k] + line[value_end(line, start):]
    return line


def added_event(line):
    """An event of a type or an anomaly kind the baseline did not have."""
    m = EVENT_TYPE.search(line)
    return bool(m and m.group(1) in ADDED_TYPES) or bool(ADDED_KIND.search(line))


def without_added_kinds(line):
    """A stats line without the added kinds' counts, its total reduced by them."""
    if b'"event_type":"stats"' not in line:
        return line
    k = line.find(b'"anomalies_by_kind":{')
    if k < 0:
        return line
    end = value_end(line, k + len(b'"anomalies_by_kind":'))
    by_kind = line[k:end]
    removed = sum(int(n) for n in ADDED_KIND_COUNT.findall(by_kind))
    if not removed:
        return line
    by_kind = ADDED_KIND_COUNT.sub(b"", by_kind).replace(b"{,", b"{")
    line = line[:k] + by_kind + line[end:]
    return re.sub(rb'"anomalies":(\d+)', lambda m: b'"anomalies":%d' % (int(m.group(1)) - removed),
                  line, count=1)


def masked(line):
    return FLAG_OFFSET.sub(rb"\1_", MEMORY.sub(b'"memory_bytes":_', line))


def run(binary, pcap, args, workdir):
    """stdout and stderr of one run, in workdir (a --routes file is relative to it)."""
    p = subprocess.run([binary, *args, "-r", pcap], capture_output=True, cwd=workdir, timeout=900)
    return p.stdout, p.stderr, p.returncode


def old_output(old, pcap, args):
    """The baseline's output, cached by capture and arguments (it never changes)."""
    st = os.stat(pcap)
    key = hashlib.sha256(json.dumps([os.path.abspath(pcap), st.st_size, st.st_mtime_ns, args])
                         .encode()).hexdigest()[:24]
    path = os.path.join(CACHE, "out", key)
    if os.path.exists(path):
        with open(path, "rb") as f:
            doc = json.loads(f.read())
        return doc["out"].encode("latin-1"), doc["err"].encode("latin-1"), doc["rc"]
    with tempfile.TemporaryDirectory() as wd:
        out, err, rc = run(old, pcap, args, wd)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump({"out": out.decode("latin-1"), "err": err.decode("latin-1"), "rc": rc}, f)
    os.replace(path + ".tmp", path)
    return out, err, rc


def baseline_samples():
    """The samples the baseline had: one added since shows what it could not do."""
    out = subprocess.run(["git", "-C", ROOT, "ls-tree", "--name-only", BASELINE, "samples/"],
                         capture_output=True, text=True, check=True).stdout
    return {os.path.join(ROOT, line) for line in out.split()}


def cases():
    """(capture, arguments) pairs: every capture with all events, and the option
    sets of the writers that plain runs do not reach."""
    old_samples = baseline_samples()
    caps = sorted([c for c in glob.glob(os.path.join(SAMPLES, "*.pcap*")) if c in old_samples] +
                  glob.glob(os.path.join(ROOT, "..", "shared", "corpus", "*", "*.pcap*")) +
                  glob.glob(os.path.join(ROOT, "build-bench", "captures", "*-q-*.pcap")) +
                  glob.glob(os.path.join(ROOT, "build-bench", "captures", "udp-2200-*.pcap")) +
                  glob.glob(os.path.join(ROOT, "build-bench", "captures", "tcp-1100-*.pcap")))
    for cap in caps:
        yield cap, ["--events", "all"]
    for name in ("basic-call.pcap", "syntax-variety.pcap", "tcp-multi-per-segment.pcap",
                 "hostile.pcap"):
        yield os.path.join(SAMPLES, name), ["--events", "all", "--sip-raw", "--max-contacts", "2"]
    yield os.path.join(SAMPLES, "span-duplicates.pcap"), ["--events", "all", "--dedup"]
    with open(os.path.join(SAMPLES, "identity-438.json")) as f:
        x5u = json.load(f)["x5u"]
    yield os.path.join(SAMPLES, "identity-438.pcap"), [
        "--events", "all", "--cert", "%s=%s" % (x5u, os.path.join(SAMPLES, "identity-sp.pem"))]
    for keys in sorted(glob.glob(os.path.join(SAMPLES, "tls*.keys"))):
        yield keys[:-5] + ".pcap", ["--events", "all", "--tls-keylog", keys]
    for name in ("redirect-learn.pcap", "redirect-chain.pcap", "redirect-expiry.pcap"):
        yield os.path.join(SAMPLES, name), ["--events", "all", "--routes", "routes.json"]


def main():
    new = os.path.abspath(sys.argv[1])
    if sanitized(new):
        # The comparison is of output, which sanitizers do not change; the
        # release run of the suite makes it, this run looks for memory errors.
        print("SKIP: sanitizer build; the release build's run compares the output")
        return 0
    old = build_baseline()
    if old is None:
        print("FAIL: commit %s is not in this clone's history (a shallow clone?): "
              "nothing to compare with" % BASELINE)
        return 1
    passed = failed = 0
    for cap, args in cases():
        if not os.path.exists(cap):
            continue
        o_out, o_err, o_rc = old_output(old, cap, args)
        with tempfile.TemporaryDirectory() as wd:
            n_out, n_err, n_rc = run(new, cap, args, wd)
        want = [renamed(line) for line in o_out.split(b"\n")]
        got = [masked(without_added_kinds(without_added(line))) for line in n_out.split(b"\n")
               if not added_event(line)]
        name = "%s %s" % (os.path.relpath(cap, ROOT), " ".join(args[2:]))
        if want == got and o_err == n_err and o_rc == n_rc:
            passed += 1
            continue
        failed += 1
        first = next((i for i, (a, b) in enumerate(zip(want, got)) if a != b),
                     min(len(want), len(got)))
        print("FAIL %s: line %d differs (%d vs %d lines, exit %d vs %d)\n  old: %s\n  new: %s" % (
            name, first + 1, len(want), len(got), o_rc, n_rc,
            want[first][:300] if first < len(want) else b"(none)",
            got[first][:300] if first < len(got) else b"(none)"))
        if o_err != n_err:
            print("  stderr differs: %r / %r" % (o_err[:200], n_err[:200]))
    print("compared %d runs against %s" % (passed + failed, BASELINE))
    return report(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
