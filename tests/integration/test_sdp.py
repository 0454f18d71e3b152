#!/usr/bin/env python3
"""SDP on sip and dialog events (issue 19, item 3).

1. samples/sdp-media.pcap, regenerated here by scripts/gen/gen_sdp.py, whose
   EXPECTED is the ground truth: the `media` of every sip event, each call's
   last offer and answer and its holds (re-INVITEs to hold and back, a late
   offer, SDP in multipart/mixed), and the sdp_malformed anomaly of a broken
   body at its offset.
2. The corpus captures that carry SDP, against tshark's fields on the same
   frames (sdp.media, sdp.connection_info.address, sdp.media_attr,
   sdp.session_attr): each m= line's media, port, proto and formats, the
   connection addresses, each rtpmap, and for a single m= line its direction
   and ptime. The values are parsed here from tshark's text.

usage: test_sdp.py PATH/TO/sipsleuth   (run from the repository root)
"""
import collections
import filecmp
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sipcount import CORPUS, ROOT, SAMPLES, report, run_sipsleuth  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "scripts", "gen"))
import gen_sdp  # noqa: E402

# The corpus captures where `tshark -Y sdp` finds SDP in SIP.
CORPUS_FILES = ["ntop-nDPI/sip.pcap", "ntop-nDPI/FAX-Call-t38-CA-TDM-SIP-FB-1.pcap",
                "irontec-sngrep/aaa.pcap", "irontec-sngrep/ipip.pcap",
                "initconf-sip-attacks/SIP-3700-unauthorized-401.pcap",
                "OISF-suricata-verify/sip-sdp.pcap", "OISF-suricata-verify/sip-body-frames.pcap"]
# RFC 3551 table 4: the static payload types a stream may list without rtpmap.
STATIC = {0: ("PCMU", 8000), 3: ("GSM", 8000), 4: ("G723", 8000), 8: ("PCMA", 8000),
          9: ("G722", 8000), 13: ("CN", 8000), 15: ("G728", 8000), 18: ("G729", 8000),
          34: ("H263", 90000)}
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
SEP = "\x1f"


def what(ev):
    s = ev["sip"]
    return s["status_code"] if "status_code" in s else s["method"]


def generated(binary, checks):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "sdp-media.pcap")
        gen_sdp.main(path)
        checks("sample is what gen_sdp.py writes",
               filecmp.cmp(path, os.path.join(SAMPLES, "sdp-media.pcap"), shallow=False), "")
        events = run_sipsleuth(binary, [path], events="sip,dialog,anomaly")
    sips = collections.defaultdict(list)
    dialogs = {}
    anomalies = []
    for ev in events:
        if ev["event_type"] == "sip":
            sips[ev["call_id"]].append((what(ev), ev["sip"].get("media")))
        elif ev["event_type"] == "dialog":
            dialogs[ev["call_id"]] = ev["dialog"]
        elif ev["anomaly"]["kind"].startswith("sdp_"):
            anomalies.append((ev["call_id"], ev["anomaly"]["kind"], ev["anomaly"]["offset"]))
    for call_id, want in sorted(gen_sdp.EXPECTED.items()):
        d = dialogs.get(call_id, {})
        media = d.get("media", {})
        checks(call_id + " sip media", sips[call_id] == want["sip"],
               "want %s\n got %s" % (want["sip"], sips[call_id]))
        checks(call_id + " offer", media.get("offer") == want["offer"],
               "want %s\n got %s" % (want["offer"], media.get("offer")))
        checks(call_id + " answer", media.get("answer") == want["answer"],
               "want %s\n got %s" % (want["answer"], media.get("answer")))
        checks(call_id + " holds", d.get("holds") == want["holds"],
               "want %s got %s" % (want["holds"], d.get("holds")))
    checks("sdp anomalies", sorted(anomalies) == sorted(gen_sdp.ANOMALIES),
           "want %s got %s" % (gen_sdp.ANOMALIES, anomalies))


def tshark_sdps(path):
    """{(call_id, cseq, method or status): [summary]} of each frame holding one
    SIP message with SDP."""
    out = subprocess.run(
        ["tshark", "-n", "-r", path, "-Y", "sip && sdp", "-T", "fields", "-E", "occurrence=a",
         "-E", "aggregator=" + SEP, "-e", "sip.Call-ID", "-e", "sip.CSeq", "-e", "sip.Method",
         "-e", "sip.Status-Code", "-e", "sdp.media", "-e", "sdp.connection_info.address",
         "-e", "sdp.media_attr", "-e", "sdp.session_attr"],
        capture_output=True, text=True, errors="replace", check=True).stdout
    found = collections.Counter()
    for line in out.splitlines():
        f = line.split("\t")
        call_ids = f[0].split(SEP)
        if len(call_ids) != 1 or not call_ids[0]:
            continue  # several messages in one frame, or SDP outside SIP
        key = (call_ids[0], f[1], f[3] or f[2])
        streams = []
        for m in filter(None, f[4].split(SEP)):
            toks = m.split()
            port, _, count = toks[1].partition("/")
            streams.append((toks[0], int(port), int(count or 0), toks[2], tuple(toks[3:])))
        maps = {}
        attrs = [a for a in f[6].split(SEP) if a]
        for a in attrs:
            if a.startswith("rtpmap:"):
                pt, enc = a[7:].split(None, 1)
                parts = enc.split("/")
                maps[int(pt)] = (parts[0], int(parts[1]))
        codecs = []
        for s in streams:
            for fmt in s[4]:
                if fmt.isdigit() and int(fmt) <= 127:
                    c = maps.get(int(fmt)) or STATIC.get(int(fmt))
                    if c:
                        codecs.append((int(fmt),) + c)
        extra = ()
        if len(streams) == 1:
            session = [a for a in f[7].split(SEP) if a in DIRECTIONS]
            own = [a for a in attrs if a in DIRECTIONS]
            ptime = [int(a[6:].split(".")[0]) for a in attrs if a.startswith("ptime:")]
            extra = ((own or session or ["sendrecv"])[-1], ptime[-1] if ptime else None)
        addrs = frozenset(a.split("/")[0] for a in f[5].split(SEP) if a)
        found[(key, tuple(streams), addrs, tuple(codecs), extra)] += 1
    return found


def sipsleuth_sdps(binary, path):
    found = collections.Counter()
    for ev in run_sipsleuth(binary, [path], events="sip"):
        media = ev["sip"].get("media")
        if media is None:
            continue
        s = ev["sip"]
        key = (ev["call_id"], s.get("cseq", ""), str(what(ev)))
        streams = tuple((m["media"], m["port"], m.get("port_count", 0), m["proto"],
                         tuple(m["formats"])) for m in media["streams"])
        addrs = frozenset([media["connection_ip"]] + [m["connection_ip"] for m in media["streams"]])
        codecs = tuple((c["pt"], c["name"], c["rate"]) for m in media["streams"]
                       for c in m["codecs"])
        extra = ()
        if len(media["streams"]) == 1:
            m = media["streams"][0]
            extra = (m["direction"], m.get("ptime"))
        found[(key, streams, addrs - {None}, codecs, extra)] += 1
    return found


def corpus(binary, checks):
    for rel in CORPUS_FILES:
        path = os.path.join(CORPUS, rel)
        if not os.path.exists(path):
            checks(rel + " (corpus capture missing: /work/shared/corpus not mounted?)", False, path)
            continue
        want = tshark_sdps(path)
        got = sipsleuth_sdps(binary, path)
        checks("%s: %d SDP bodies as tshark reads them" % (rel, sum(want.values())),
               want == got and want,
               "tshark only: %s\n  sipsleuth only: %s" % (list((want - got).items())[:3],
                                                          list((got - want).items())[:3]))


def main():
    binary = sys.argv[1]
    passed = failed = 0

    def checks(name, cond, detail):
        nonlocal passed, failed
        if cond:
            passed += 1
            print("ok   " + name)
        else:
            failed += 1
            print("FAIL %s: %s" % (name, str(detail)[:3000]))

    generated(binary, checks)
    corpus(binary, checks)
    return report(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
