#!/usr/bin/env python3
"""The anomaly registry against its documentation: `sipsleuth --list-anomalies`
(one line per kind: name, layer, description, tab-separated) is exactly the
table under "Anomaly kinds" in docs/events.md, row for row and in order; the
kinds the README's resource-limit table names and the kinds sipsleuth writes
on the samples are all listed; every name fits the schema's anomaly.kind.
usage: test_anomaly_registry.py PATH-TO-SIPSLEUTH"""
import glob
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sipcount import ROOT, SAMPLES, report, run_sipsleuth, sipsleuth_keylog_args  # noqa: E402

passed = failed = 0


def check(cond, what, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok   " + what)
    else:
        failed += 1
        print("FAIL %s %s" % (what, str(detail)[:2000]))


def docs_table():
    """The rows of the table under '### Anomaly kinds' in docs/events.md."""
    with open(os.path.join(ROOT, "docs", "events.md")) as f:
        text = f.read()
    section = text.split("\n### Anomaly kinds\n", 1)[1].split("\n#", 1)[0]
    rows = []
    for line in section.splitlines():
        m = re.fullmatch(r"\| `([a-z0-9_]+)` \| ([a-z0-9]+) \| (.+) \|", line)
        if m:
            rows.append(m.groups())
    return rows


def main():
    b = sys.argv[1]
    r = subprocess.run([b, "--list-anomalies"], capture_output=True, text=True)
    check(r.returncode == 0 and not r.stderr, "--list-anomalies exits 0, silently", r.stderr)
    listed = [tuple(line.split("\t")) for line in r.stdout.splitlines()]
    check(listed and all(len(t) == 3 and all(t) for t in listed),
          "each line is name, layer, description", [t for t in listed if len(t) != 3])
    names = [t[0] for t in listed]
    check(len(names) == len(set(names)), "no kind is listed twice")
    again = subprocess.run([b, "--list-anomalies"], capture_output=True, text=True).stdout
    check(again == r.stdout, "the order is stable")

    documented = docs_table()
    docs_names = [t[0] for t in documented]
    check(sorted(set(names) - set(docs_names)) == [],
          "every listed kind is in docs/events.md", sorted(set(names) - set(docs_names)))
    check(sorted(set(docs_names) - set(names)) == [],
          "every kind in docs/events.md is listed", sorted(set(docs_names) - set(names)))
    differ = [(d, l) for d, l in zip(documented, listed) if d != l]
    check(documented == listed, "docs/events.md has the same layers, descriptions and order",
          differ[:3])

    with open(os.path.join(ROOT, "docs", "events.schema.json")) as f:
        kind = json.load(f)["$defs"]["anomaly"]["properties"]["kind"]
    bad = [n for n in names if not re.fullmatch(kind["pattern"], n)]
    bad += [n for n in kind.get("enum", names) if n not in names]
    check(not bad, "the schema's anomaly.kind accepts the listed kinds, and only them", bad)

    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    limits = readme.split("### Resource limits", 1)[1].split("\n\n", 3)[2]
    in_readme = {k for line in limits.splitlines() if line.startswith("| `--")
                 for k in re.findall(r"`([a-z0-9_]+)`", line.split(" | ")[3])}
    check(in_readme and in_readme <= set(names), "the README's resource limits name listed kinds",
          sorted(in_readme - set(names)))

    seen = set()
    for cap in sorted(glob.glob(os.path.join(SAMPLES, "*.pcap*"))):
        for ev in run_sipsleuth(b, [cap], "anomaly", sipsleuth_keylog_args(cap)):
            seen.add(ev["anomaly"]["kind"])
    check(seen and seen <= set(names), "the samples' %d kinds are listed" % len(seen),
          sorted(seen - set(names)))
    return report(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
