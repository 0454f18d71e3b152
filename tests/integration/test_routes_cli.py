#!/usr/bin/env python3
"""`sipsleuth routes`: list, lookup (chains resolved, loops reported, URIs
normalised), export --format json|csv, and its errors (exit 2 for usage,
exit 1 for a missing or invalid file).

usage: test_routes_cli.py PATH/TO/sipsleuth   (run from the repository root)
"""
import csv
import io
import json
import os
import subprocess
import sys
import tempfile

SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "samples")
failures = []
passed = 0


def expect(cond, what):
    global passed
    if cond:
        passed += 1
    else:
        failures.append(what)


def run(binary, *args):
    return subprocess.run([binary] + list(args), capture_output=True, text=True, check=False)


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        table = os.path.join(tmp, "routes.json")
        # chain a→b→c, and c→a closing a loop; plus gina (q, expires) and hank
        for sample in ("redirect-contacts.pcap", "redirect-chain.pcap"):
            r = run(binary, "--routes", table, "--events", "stats", "-r",
                    os.path.join(SAMPLES, sample))
            expect(r.returncode == 0, "learning from %s: %r" % (sample, r.stderr))

        r = run(binary, "routes", "--routes", table, "list")
        lines = r.stdout.splitlines()
        expect(r.returncode == 0 and len(lines) == 6 and lines[0].startswith("uri\ttarget"),
               "list: %r" % r.stdout)
        gina = [ln.split("\t") for ln in lines if ln.startswith("sip:gina@")]
        expect(gina and gina[0][1:4] == ["sip:gina@two.example.com", "0.900", "600"],
               "list gina: %s" % gina)
        expect(run(binary, "routes", "--routes", table).stdout == r.stdout,
               "list is the default action")

        def lookup(uri):
            r = run(binary, "routes", "--routes", table, "lookup", uri)
            expect(r.returncode == 0, "lookup %s: exit %d %r" % (uri, r.returncode, r.stderr))
            return json.loads(r.stdout) if r.returncode == 0 else {}

        got = lookup("sip:hank@OLD.example.com;transport=tcp")
        expect(got == {"uri": "sip:hank@old.example.com", "moved": True,
                       "target": "sip:hank@new.example.com", "hops": 1, "loop": False,
                       "too_long": False,
                       "path": ["sip:hank@old.example.com", "sip:hank@new.example.com"]},
               "lookup hank: %s" % got)
        got = lookup("sip:a@x.example")
        expect(got.get("loop") is True and got.get("path") == [
            "sip:a@x.example", "sip:b@x.example", "sip:c@x.example", "sip:a@x.example"],
            "lookup a (loop): %s" % got)
        got = lookup("sip:nobody@x.example")
        expect(got == {"uri": "sip:nobody@x.example", "moved": False,
                       "target": "sip:nobody@x.example", "hops": 0, "loop": False,
                       "too_long": False, "path": ["sip:nobody@x.example"]},
               "lookup not moved: the same members as a moved URI: %s" % got)

        r = run(binary, "routes", "--routes", table, "export", "--format", "json")
        rows = json.loads(r.stdout) if r.returncode == 0 else []
        by_uri = {row["uri"]: row for row in rows}
        expect(len(rows) == 5 and by_uri.get("sip:gina@old.example.com", {}).get("q") == 0.9 and
               by_uri.get("sip:hank@old.example.com", {}).get("q") is None,
               "export json: %s" % r.stdout)
        b = by_uri.get("sip:b@x.example", {})
        expect(b.get("target") == "sip:c@x.example" and b.get("loop") is True,
               "export json b: %s" % b)

        r = run(binary, "routes", "--routes", table, "export", "--format=csv")
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        expect(r.returncode == 0 and len(rows) == 5 and
               list(rows[0].keys()) == ["uri", "target", "resolved", "hops", "loop", "q",
                                        "expires", "first_seen", "last_seen", "times_seen",
                                        "server"], "export csv: %r" % r.stdout)
        hank = [row for row in rows if row["uri"] == "sip:hank@old.example.com"]
        expect(hank and hank[0]["q"] == "" and hank[0]["resolved"] == "sip:hank@new.example.com"
               and hank[0]["server"] == "198.51.100.9", "export csv hank: %s" % hank)

        # usage errors: exit 2, one message, nothing on stdout
        for args in (["routes"], ["routes", "--routes", table, "frobnicate"],
                     ["routes", "--routes", table, "lookup"],
                     ["routes", "--routes", table, "lookup", "http://x/"],
                     ["routes", "--routes", table, "export"],
                     ["routes", "--routes", table, "export", "--format", "xml"],
                     ["routes", "--routes", table, "list", "--bogus"]):
            r = run(binary, *args)
            expect(r.returncode == 2 and r.stdout == "" and r.stderr,
                   "%s: exit %d %r" % (args, r.returncode, r.stderr))
        # file errors: exit 1, naming the file
        missing = os.path.join(tmp, "missing.json")
        r = run(binary, "routes", "--routes", missing, "list")
        expect(r.returncode == 1 and missing in r.stderr, "missing: %r" % r.stderr)
        bad = os.path.join(tmp, "bad.json")
        with open(bad, "w") as f:
            f.write('{"version": 1, "routes": [{"uri": "sip:a@b"}]}')
        r = run(binary, "routes", "--routes", bad, "export", "--format", "csv")
        expect(r.returncode == 1 and bad in r.stderr and "route 0" in r.stderr and
               r.stdout == "", "invalid: %r" % r.stderr)
    for f in failures:
        print("FAIL:", f)
    print("%d passed, %d failed" % (passed, len(failures)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
