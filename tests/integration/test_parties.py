#!/usr/bin/env python3
"""Who called whom (issue 19, item 1): the user parts (from_user, to_user,
ruri_user), display names and asserted identity of every `sip` event against
tshark's sip.from.user, sip.to.user, sip.r-uri.user, sip.from.display.info,
sip.to.display.info and sip.pai.user on the same files (the shared corpus and
the samples), frame by frame for frames that hold one SIP message. tshark
shows user parts as written; they are %-decoded here (RFC 3261 19.1.2), as
sipsleuth writes them. The dialog events' parties (user parts, display names,
asserted identities, Diversion, History-Info) are checked against an INVITE's.

usage: test_parties.py PATH/TO/sipsleuth   (run from the repository root)
"""
import glob
import os
import sys
import tempfile
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


# On dialog events as on the sip event of the INVITE that began the attempt.
DIALOG_PARTIES = ["from_user", "to_user", "ruri_user", "from_display", "to_display",
                  "asserted_identity", "preferred_identity", "remote_party_id", "diversion",
                  "history_info"]


def parties(event, kind):
    d = event[kind]
    return (event["call_id"],) + tuple(
        None if d.get(k) is None else repr(d[k]) for k in DIALOG_PARTIES)


# A forwarded call with every party header, and what each event must say.
FORWARDED = {
    "from_user": "+15551230001", "to_user": "+15559870002", "ruri_user": "carol c",
    "from_display": "Alice Example", "to_display": "Bob",
    "asserted_identity": "sip:+15551230001@pai.example",
    "preferred_identity": "tel:+15551230001",
    "remote_party_id": "sip:alice@rpid.example",
    "diversion": {"first": "sip:+15559870002@b.example", "last": "sip:bob-desk@b.example"},
    "history_info": {"first": "sip:bob@b.example", "last": "sip:carol@c.example"},
}


def forwarded_call(path):
    """INVITE (every party header, Diversion and History-Info in two headers
    each), 200, ACK, BYE, 200 over UDP; returns the capture's path."""
    sys.path.insert(0, os.path.join(ROOT, "scripts", "gen"))
    import pcapgen as pg
    from sipmsg import message
    a, b = "192.0.2.10", "198.51.100.7"
    common = [("Call-ID", "fwd-1@a.example"),
              ("From", '"Alice Example" <sip:+15551230001@a.example>;tag=fa'),
              ("To", "Bob <sip:+15559870002@b.example>")]
    invite = message("INVITE sip:carol%20c@c.example SIP/2.0", [
        ("Via", "SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKfwd1")] + common + [
        ("CSeq", "1 INVITE"), ("Contact", "<sip:alice@192.0.2.10>"),
        ("P-Asserted-Identity", '"Alice" <sip:+15551230001@pai.example>, <tel:+15551230001>'),
        ("P-Preferred-Identity", "<tel:+15551230001>"),
        ("Remote-Party-ID", '"Alice" <sip:alice@rpid.example>;party=calling'),
        ("Diversion", "<sip:+15559870002@b.example>;reason=no-answer;counter=1"),
        ("Diversion", "<sip:bob-desk@b.example>;reason=unconditional"),
        ("History-Info", "<sip:bob@b.example>;index=1, <sip:bob-desk@b.example>;index=1.1"),
        ("History-Info", "<sip:carol@c.example>;index=1.1.1")])
    ok = message("SIP/2.0 200 OK", [("Via", "SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKfwd1")] +
                 common[:2] + [("To", "Bob <sip:+15559870002@b.example>;tag=tb"),
                               ("CSeq", "1 INVITE"), ("Contact", "<sip:carol@198.51.100.7>")])
    to_tagged = [("To", "Bob <sip:+15559870002@b.example>;tag=tb")]
    ack = message("ACK sip:carol@198.51.100.7 SIP/2.0", [
        ("Via", "SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKfwd2")] + common[:2] + to_tagged +
        [("CSeq", "1 ACK")])
    bye = message("BYE sip:carol@198.51.100.7 SIP/2.0", [
        ("Via", "SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKfwd3")] + common[:2] + to_tagged +
        [("CSeq", "2 BYE")])
    bye_ok = message("SIP/2.0 200 OK", [("Via", "SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKfwd3")] +
                     common[:2] + to_tagged + [("CSeq", "2 BYE")])
    t0, ms = 1772359200 * 10**9, 10**6
    with pg.Writer(path) as w:
        for i, (msg, src, dst) in enumerate(((invite, a, b), (ok, b, a), (ack, a, b),
                                             (bye, a, b), (bye_ok, b, a))):
            w.write(t0 + i * 100 * ms, pg.udp_frame(msg, src, dst))
    return path


def check_forwarded(binary, path):
    """The generator's values on the INVITE's sip event and on the dialog."""
    events = run_sipsleuth(binary, [path], events="sip,dialog")
    want = FORWARDED
    invite = [e["sip"] for e in events if e["event_type"] == "sip" and
              e["sip"]["method"] == "INVITE" and "status_code" not in e["sip"]]
    dialog = [e["dialog"] for e in events if e["event_type"] == "dialog"]
    bad = [(kind, k, got.get(k), v) for kind, got in (("sip", invite[0] if invite else {}),
                                                       ("dialog", dialog[0] if dialog else {}))
           for k, v in want.items() if got.get(k) != v]
    if len(invite) == 1 and len(dialog) == 1 and not bad:
        return True
    print("FAIL generated forwarded call: %d INVITE, %d dialog events; %s" % (
        len(invite), len(dialog), bad[:4]))
    return False


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
    tmp = tempfile.TemporaryDirectory()
    generated = forwarded_call(os.path.join(tmp.name, "forwarded.pcap"))
    caps = sorted(glob.glob(os.path.join(CORPUS, "*", "*.pcap*"))) + [
        os.path.join(ROOT, "samples", n) for n in SAMPLES] + [generated]
    passed = failed = compared = dialog_values = 0
    if check_forwarded(binary, generated):
        passed += 1
    else:
        failed += 1
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
        invites = {parties(e, "sip") for e in events if e["event_type"] == "sip" and
                   e["sip"]["method"] == "INVITE" and "status_code" not in e["sip"]}
        dialogs = {parties(e, "dialog") for e in events if e["event_type"] == "dialog"}
        dialog_values += sum(v is not None for d in dialogs for v in d[1:])
        if dialogs <= invites:
            passed += 1
        else:
            failed += 1
            print("FAIL %s: dialog parties not those of an INVITE: %s" % (
                name, sorted(dialogs - invites, key=str)[:3]))
    print("%d values compared with tshark, %d dialog values with their INVITE's" % (
        compared, dialog_values))
    if compared < 1000:
        failed += 1
        print("FAIL too few values compared")
    return report(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
