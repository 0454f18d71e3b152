#!/usr/bin/env python3
"""docs/pipelines/elasticsearch-template.json against real events: every
member of every event sipsleuth writes for samples/ (and the contract's
identity and rejection examples) is mapped, explicitly or by a dynamic
template, to a type that accepts its JSON value: strings to keyword/text/ip/
date, numbers to numeric types, booleans to boolean, IPs to ip. Elasticsearch
itself is not run here (it is not a Debian package).
usage: test_es_template.py PATH-TO-SIPSLEUTH"""
import glob
import ipaddress
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sipcount import ROOT, SAMPLES, report, run_sipsleuth  # noqa: E402
from test_clickhouse import CONTRACT_EXAMPLES  # noqa: E402

TEMPLATE = os.path.join(ROOT, "docs", "pipelines", "elasticsearch-template.json")
NUMERIC = {"long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float"}
INTEGRAL = {"long", "integer", "short", "byte"}
LIMITS = {"short": 2 ** 15, "integer": 2 ** 31, "byte": 2 ** 7}


def main():
    b = sys.argv[1]
    checks = []
    problems = []

    def check(name, cond, detail=""):
        checks.append(bool(cond))
        print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)[:3000]))

    with open(TEMPLATE) as f:
        tpl = json.load(f)
    mappings = tpl["template"]["mappings"]

    def mapping_for(path, props):
        """The explicit mapping of a dotted path, or None when dynamic."""
        node = {"properties": props}
        for part in path:
            if node.get("type") == "flattened":
                return node
            child = node.get("properties", {}).get(part)
            if child is None:
                return None
            node = child
        return node

    def check_value(path, value, props):
        m = mapping_for(path, props)
        name = ".".join(path)
        if m is not None and m.get("type") == "flattened":
            return
        if isinstance(value, dict):
            if m is not None and m.get("type") not in (None, "object", "nested"):
                problems.append("%s: object into %s" % (name, m.get("type")))
            for k, v in value.items():
                check_value(path + [k], v, props)
            return
        if isinstance(value, list):
            for v in value:
                check_value(path, v, props)
            return
        if value is None:
            return
        if m is None:
            # Dynamic: strings become keywords, numbers longs, under a
            # parent that allows it (every object in the template does).
            if isinstance(value, float) and path[0] != "stats":
                problems.append("%s: float left to dynamic mapping" % name)
            return
        t = m.get("type")
        if isinstance(value, bool):
            ok = t == "boolean"
        elif isinstance(value, int):
            ok = t in NUMERIC or (t == "date" and "epoch" in m.get("format", ""))
            if t in LIMITS:
                ok = ok and -LIMITS[t] <= value < LIMITS[t]
        elif isinstance(value, float):
            ok = t in NUMERIC - INTEGRAL
        else:
            if t == "ip":
                try:
                    ipaddress.ip_address(value)
                    ok = True
                except ValueError:
                    ok = False
            else:
                ok = t in ("keyword", "text", "date_nanos", "date", "wildcard")
                if t == "keyword" and len(value.encode()) > m.get("ignore_above", 1 << 30):
                    ok = True  # kept in _source, not indexed: accepted
        if not ok:
            problems.append("%s: %r into %s" % (name, value, t))

    files = sorted(glob.glob(os.path.join(SAMPLES, "*.pcap")) +
                   glob.glob(os.path.join(SAMPLES, "*.pcapng")))
    events = run_sipsleuth(b, files, events="all") + CONTRACT_EXAMPLES
    for e in events:
        check_value([], e, mappings["properties"])
    seen = sorted({e["event_type"] for e in events})
    check("every event type the samples give is covered: %s" % ", ".join(seen),
          {"sip", "dialog", "redirect", "route", "anomaly", "stats", "identity",
           "rejection"} <= set(seen), seen)
    uniq = sorted(set(problems))
    check("each of %d events' members fits its mapped type" % len(events), not uniq, uniq[:20])
    check("the template is composable and matches sipsleuth-*",
          tpl.get("index_patterns") == ["sipsleuth-*"] and "mappings" in tpl["template"])
    return report(sum(checks), len(checks) - sum(checks))


if __name__ == "__main__":
    sys.exit(main())
