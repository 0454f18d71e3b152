#!/usr/bin/env python3
"""GTP-U and HEP (issue 20): the SIP inside a G-PDU or a HEP packet (in a
datagram, or framed on an agent's TCP connection) is analysed on its inner
flow, with the tunnel or agent as the event's `encap` object; GTP signalling
and non-SIP HEP are counted in stats.encap; the counts equal the generator's
ground truth (tshark's: test_tshark_counts.py).
usage: test_gtp_hep.py PATH-TO-SIPSLEUTH"""
import collections
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts", "gen"))
from sipcount import SAMPLES, report, run_sipsleuth  # noqa: E402
import gen_gtp_hep as gen  # noqa: E402
from gen_samples import T0, MS  # noqa: E402


def iso(ns):
    import datetime
    t = datetime.datetime.fromtimestamp(ns // 10**9, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (ns % 10**9 // 1000)


def main():
    b = sys.argv[1]
    results = []

    def check(name, cond, detail=""):
        results.append(bool(cond))
        print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)))

    for name, truth in gen.GROUND_TRUTH.items():
        evs = run_sipsleuth(b, [os.path.join(SAMPLES, name)], events="sip,dialog,anomaly,stats")
        sips = [e for e in evs if e["event_type"] == "sip"]
        stats = evs[-1]["stats"]
        req = collections.Counter(e["sip"]["method"] for e in sips if "status_code" not in e["sip"])
        resp = collections.Counter(str(e["sip"]["status_code"]) for e in sips
                                   if "status_code" in e["sip"])
        check(name + ": requests by method", dict(req) == truth["requests"], dict(req))
        check(name + ": responses by status", dict(resp) == truth["responses"], dict(resp))
        got = {k: stats["encap"][k] for k in truth["stats"]}
        check(name + ": stats.encap", got == truth["stats"], stats["encap"])
        check(name + ": no anomalies", stats["anomalies"] == 0 and
              not [e for e in evs if e["event_type"] == "anomaly"], stats["anomalies_by_kind"])
        dialogs = [e["dialog"] for e in evs if e["event_type"] == "dialog"]
        check(name + ": the call is one completed dialog", len(dialogs) == 1 and
              dialogs[0]["state"] == "completed", dialogs)

        if name == "encap-gtpu.pcap":
            inv = [e for e in sips if e["sip"].get("method") == "INVITE" and
                   "status_code" not in e["sip"]]
            check("gtpu: the INVITE (two inner fragments) on the inner flow, uplink TEID",
                  len(inv) == 1 and inv[0]["src_ip"] == "192.0.2.10" and
                  inv[0]["dest_ip"] == "198.51.100.7" and inv[0]["proto"] == "UDP" and
                  inv[0]["encap"] == {"type": "gtp-u", "teid": gen.TEID_UP,
                                      "src_ip": gen.ENB, "dest_ip": gen.SGW}, inv)
            down = [e for e in sips if e["sip"].get("status_code") == 180]
            check("gtpu: a downlink response carries the downlink TEID and outer direction",
                  down and down[0]["encap"] == {"type": "gtp-u", "teid": gen.TEID_DOWN,
                                                "src_ip": gen.SGW, "dest_ip": gen.ENB}, down)
            v6 = [e for e in sips if e["call_id"] == "gtpu-reg-6@ue.example"]
            check("gtpu: inner IPv6", len(v6) == 2 and v6[0]["src_ip"] == "2001:db8::10" and
                  v6[0]["encap"]["teid"] == gen.TEID_V6, v6)
            check("gtpu: no tunnel object", not any("tunnel" in e for e in sips))
        else:
            inv = [e for e in sips if e["sip"].get("method") == "INVITE" and
                   "status_code" not in e["sip"]]
            check("hep: the INVITE on the original flow, agent and collector in encap",
                  len(inv) == 1 and inv[0]["src_ip"] == "192.0.2.10" and
                  inv[0]["src_port"] == 5060 and inv[0]["dest_ip"] == "198.51.100.7" and
                  inv[0]["encap"] == {"type": "hep", "version": 3, "capture_id": gen.CAPTURE_ID,
                                      "src_ip": gen.AGENT, "dest_ip": gen.HOMER}, inv)
            check("hep: sip events carry the agent's time (the HEP timestamp chunks)",
                  inv and inv[0]["timestamp"] == iso(T0), inv and inv[0]["timestamp"])
            bye = [e for e in sips if e["sip"].get("method") == "BYE" and
                   "status_code" not in e["sip"]]
            check("hep: ... for every message", bye and bye[0]["timestamp"] == iso(T0 + 60000 * MS))
            v6 = [e for e in sips if e["call_id"] == "hep-options-6@pbx.example"]
            check("hep: IPv6 original addresses and ports", len(v6) == 2 and
                  v6[0]["src_ip"] == "2001:db8::10" and v6[0]["src_port"] == 5062, v6)
            if name == "hep3.pcap":
                v2 = [e for e in sips if e["call_id"] == "hep-reg-2@pbx.example"]
                check("hep: HEPv2 with its little-endian time and capture id", len(v2) == 1 and
                      v2[0]["encap"]["version"] == 2 and v2[0]["encap"]["capture_id"] == 2 and
                      v2[0]["timestamp"] == iso(T0 + 7000 * MS) and v2[0]["src_port"] == 5070,
                      v2)
            else:
                check("hep/tcp: the transport the agent captured on (IP protocol chunk 6)",
                      [e["proto"] for e in v6] == ["TCP", "TCP"] and
                      all(e["proto"] == "UDP" for e in sips if e not in v6), v6)
                check("hep/tcp: both connections (9060, 19060 by content) framed, nothing lost",
                      stats["tcp"]["streams"] == 2 and stats["tcp"]["not_sip_streams"] == 0 and
                      stats["tcp"]["invalid"] == 0, stats["tcp"])
            dlg = dialogs[0] if dialogs else {}
            # the agent saw INVITE to 200 in 2100 ms; the collector got the 200 3 ms later
            check("hep: dialogs run on the collector's capture time",
                  dlg.get("setup_ms") == 2103.0, dlg)
    return report(sum(results), len(results) - sum(results))


if __name__ == "__main__":
    sys.exit(main())
