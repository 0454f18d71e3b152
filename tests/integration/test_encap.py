#!/usr/bin/env python3
"""Encapsulations seen on span/mirror ports: the SIP inside each wrapper is
found, its 5-tuple is the inner one, and the outer layers are recorded.
Span-port duplicates: dropped with --dedup, flagged as retransmissions without.
usage: test_encap.py PATH-TO-SIPSLEUTH"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts", "gen"))
from sipcount import SAMPLES, report, run_sipsleuth  # noqa: E402
from gen_encap import transaction  # noqa: E402

OUTER = {"src_ip": "203.0.113.1", "dest_ip": "203.0.113.2"}
CASES = {
    "encap-mpls.pcap": ("mpls", [100, 200]),
    "encap-gre.pcap": ("tunnel", dict(OUTER, type="gre", id=42)),
    "encap-erspan2.pcap": ("tunnel", dict(OUTER, type="erspan2", id=300)),
    "encap-erspan3.pcap": ("tunnel", dict(OUTER, type="erspan3", id=301)),
    "encap-vxlan.pcap": ("tunnel", dict(OUTER, type="vxlan", id=5000)),
    "encap-ipip.pcap": ("tunnel", dict(OUTER, type="ipip")),
    "encap-6in4.pcap": ("tunnel", dict(OUTER, type="ipip")),
}


def main():
    b = sys.argv[1]
    results = []

    def check(name, cond, detail=""):
        results.append(cond)
        print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)))

    for name, (key, want) in CASES.items():
        evs = [e for e in run_sipsleuth(b, [os.path.join(SAMPLES, name)], extra=["--sip-raw"])
               if e["event_type"] == "sip"]
        check(name + ": two messages", len(evs) == 2, len(evs))
        if len(evs) != 2:
            continue
        req, resp = evs
        inner_src = "2001:db8::10" if "6in4" in name else "192.0.2.10"
        check(name + ": inner 5-tuple", req["src_ip"] == inner_src and req["dest_port"] == 5060 and
              req["proto"] == "UDP", req)
        check(name + ": outer layer recorded", req.get(key) == want and resp.get(key) == want,
              req.get(key))
        tag = name[6:-5]
        check(name + ": message content", req["call_id"] == "encap-%s@example" % tag and
              req["sip"]["method"] == "REGISTER" and req["sip"]["request_uri"] == "sip:example.com" and
              req["sip"]["from_tag"] == tag and resp["sip"]["status_code"] == 200, req["sip"])
        host = "[%s]:5060" % inner_src if ":" in inner_src else inner_src + ":5060"
        want_req, want_resp = transaction(host, tag)
        check(name + ": decapsulated bytes equal the generator's",
              req["sip"]["raw"].encode() == want_req and resp["sip"]["raw"].encode() == want_resp)

    qinq = [e for e in run_sipsleuth(b, [os.path.join(SAMPLES, "vlan-qinq.pcap")])
            if e["event_type"] == "sip"]
    check("vlan-qinq.pcap: QinQ and three-tag stacks recorded outermost first",
          [e.get("vlan") for e in qinq] == [[100, 200], [100, 200], [10, 20, 30]],
          [e.get("vlan") for e in qinq])

    dup = os.path.join(SAMPLES, "span-duplicates.pcap")
    evs = run_sipsleuth(b, [dup], events="sip,dialog,stats")
    sips = [e for e in evs if e["event_type"] == "sip"]
    check("duplicates kept without --dedup, flagged as retransmissions",
          len(sips) == 14 and sum(e["sip"]["retransmission"] for e in sips) == 7)
    evs = run_sipsleuth(b, [dup], events="sip,dialog,stats", extra=["--dedup"])
    sips = [e for e in evs if e["event_type"] == "sip"]
    stats = evs[-1]["stats"]
    dialogs = [e["dialog"] for e in evs if e["event_type"] == "dialog"]
    check("--dedup drops the second copies", len(sips) == 7 and
          not any(e["sip"]["retransmission"] for e in sips) and stats["dedup"]["duplicates"] == 7,
          stats.get("dedup"))
    check("--dedup: the call is one completed dialog without retransmissions",
          len(dialogs) == 1 and dialogs[0]["state"] == "completed" and
          dialogs[0]["retransmissions"] == 0, dialogs)
    return report(sum(results), len(results) - sum(results))


if __name__ == "__main__":
    sys.exit(main())
