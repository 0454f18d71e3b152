#!/usr/bin/env python3
"""Who called whom (issue 19, item 1): the user parts (from_user, to_user,
ruri_user), display names and asserted identity of every `sip` event against
tshark's sip.from.user, sip.to.user, sip.r-uri.user, sip.from.display.info,
sip.to.display.info and sip.pai.user on the same files (the shared corpus and
the samples), frame by frame for frames that hold one SIP message. tshark
shows user parts as written; they are %-decoded here (RFC 3261 19.1.2), as
sipsleuth writes them. The dialog events' user parts are checked against the
INVITE's.

usage: test_parties.py PATH/TO/sipsleuth   (run from the repository root)
"""
import glob
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from livecap import sanitized  # noqa: E402
from sipcount import CORPUS, ROOT, report, run_sipsleuth, sipsleuth_keylog_args  # noqa: E402
from tshark_cache import tshark  # noqa: E402

SEP = "\x1f"
FIELDS = ["sip.Call-ID", "sip.CSeq", "sip.Status-Code", "sip.r-uri.user", "sip.from.user",
          "sip.to.user", "sip.from.display.info", "sip.to.display.info", "sip.pai.user"]
# (our member, how tshark's text becomes ours)
OURS = ["ruri_user", "from_user", "to_user", "from_display", "to_display", "asserted_identity"]


SAMPLES = ["syntax-variety.pcap", "identity-438.pcap", "hostile.pcap", "basic-call.pcap",
           "register-options.pcapng", "sctp-sip.pcap", "ws-sip.pcap", "tcp-multi-per-segment.pcap",
           "encap-gtpu.pcap"]


def user(raw):
    return urllib.parse.unquote_to_bytes(raw).decode("utf-8", "replace")


def display(raw):
    raw = raw.strip()
    return raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] == '"' else raw


def uri_user(uri):
    """The user part of a sip:/sips: URI (what tshark's sip.pai.user is)."""
    rest = uri.split(":", 1)[1] if ":" in uri else uri
    return user(rest.split("@", 1)[0]) if "@" in rest else None


def tshark_messages(path):
    """{(call_id, cseq, status): [field values]} of frames holding one SIP message;
    a field tshark repeats (two To headers) or leaves empty is None: not compared."""
    cmd = ["-n", "-r", path, "-Y", "sip", "-o", "tcp.reassemble_out_of_order:TRUE",
           "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=" + SEP]
    for f in FIELDS:
        cmd += ["-e", f]
    out = tshark(cmd).decode(errors="replace")
    msgs, clash = {}, set()
    conv = [user, user, user, display, display, user]
    for line in out.splitlines():
        v = (line.split("\t") + [""] * len(FIELDS))[:len(FIELDS)]
        if not v[0] or any(SEP in x for x in v[:3]):
            continue  # several messages in one frame (or no Call-ID): not told apart
        key = (v[0], v[1], v[2])
        # tshark does not unfold a folded header (it prints its CR LF as \r\n):
        # such a value is not compared
        vals = [None if (not x or SEP in x or "\\r" in x or "\\n" in x) else c(x)
                for x, c in zip(v[3:], conv)]
        if key in msgs and msgs[key] != vals:
            clash.add(key)  # the same message on two legs, changed by a hop
        msgs[key] = vals
    for key in clash:
        del msgs[key]
    return msgs


def our_messages(events):
    msgs = {}
    for e in events:
        if e["event_type"] != "sip" or not e.get("call_id"):
            continue
        s = e["sip"]
        key = (e["call_id"], s.get("cseq", ""), str(s.get("status_code", "")))
        vals = [s.get(k) for k in OURS]
        vals[5] = uri_user(vals[5]) if vals[5] else None
        msgs.setdefault(key, vals)
    return msgs


def main():
    binary = os.path.abspath(sys.argv[1])
    if sanitized(binary):
        # Values, which sanitizers do not change, are compared by the release
        # run; the sanitizer run writes these members on every capture in
        # test_event_schema.
        print("SKIP: sanitizer build; the release build's run compares the values")
        return 0
    # the corpus (other tools' traffic) and the samples whose parties vary
    caps = sorted(glob.glob(os.path.join(CORPUS, "*", "*.pcap*"))) + [
        os.path.join(ROOT, "samples", n) for n in SAMPLES]
    passed = failed = compared = 0
    for path in caps:
        name = os.path.relpath(path, ROOT)
        if os.path.basename(path).startswith("fuzz-"):
            # deliberately broken URIs: tshark reads a user part out of text
            # that sipsleuth's URI parser rejects (a space in it, no valid host)
            print("SKIP %s: fuzzed capture" % name)
            continue
        want = tshark_messages(path)
        if not want:
            continue
        events = run_sipsleuth(binary, [path], events="sip,dialog",
                               extra=sipsleuth_keylog_args(path))
        got = our_messages(events)
        bad = []
        for key in want.keys() & got.keys():
            for field, w, g in zip(OURS, want[key], got[key]):
                if w is None:
                    continue  # tshark has no (single) value for it
                compared += 1
                if w != g:
                    bad.append((key[0][:40], key[1], field, w, g))
        if bad:
            failed += 1
            print("FAIL %s: %d values differ, e.g. %s" % (name, len(bad), bad[:3]))
        else:
            passed += 1
        invites = {(e["call_id"], e["sip"].get("from_user"), e["sip"].get("to_user"))
                   for e in events if e["event_type"] == "sip" and e["sip"]["method"] == "INVITE"
                   and "status_code" not in e["sip"]}
        dialogs = {(e["call_id"], e["dialog"].get("from_user"), e["dialog"].get("to_user"))
                   for e in events if e["event_type"] == "dialog"}
        if dialogs <= invites:
            passed += 1
        else:
            failed += 1
            print("FAIL %s: dialog user parts not those of an INVITE: %s" % (
                name, sorted(dialogs - invites, key=str)[:3]))
    print("%d values compared with tshark" % compared)
    if compared < 1000:
        failed += 1
        print("FAIL too few values compared")
    return report(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
