#!/usr/bin/env python3
"""`redirect` and `route` events on the generated samples
(scripts/gen/gen_redirects.py) match their ground truth exactly, in order:
learned / refreshed / changed with previous / expiry by the Contact's expires
and by the Expires header / stale use naming the client / chain resolution /
loop / 302 not learned / highest-q Contact / a 301 whose request was not
captured / no event for a retransmitted 3xx / the follow-up dialog.

usage: test_redirects.py PATH/TO/sipsleuth   (run from the repository root)
"""
import json
import os
import subprocess
import sys

SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "samples")
A, C, S = "192.0.2.10", "10.0.3.2", "198.51.100.9"
failures = []
passed = 0


def ts(t):
    return "2026-03-01T10:%sZ" % t


def redirect(t, status, ruri, contacts, src="request", **top):
    return ("redirect", ts(t), top, {
        "status_code": status, "permanent": status == 301, "request_uri": ruri,
        "request_uri_from": src, "server_ip": S,
        "contacts": [{"uri": u, "q": q, "expires": e} for u, q, e in contacts]})


def route(t, action, uri, target, src_ip=None, **fields):
    top = {"src_ip": src_ip} if src_ip else {}
    return ("route", ts(t), top, dict(action=action, uri=uri, target=target, **fields))


ALICE_OLD, ALICE_NEW = "sip:alice@old.example.com", "sip:alice@new.example.com"
EXPECTED = {
    "redirect-learn.pcap": [
        redirect("00:00.050000", 301, "sip:alice@Old.Example.COM;transport=udp",
                 [(ALICE_NEW, None, None)]),
        route("00:00.050000", "learned", ALICE_OLD, ALICE_NEW, times_seen=1, server_ip=S),
        route("00:20.000000", "stale_use", ALICE_OLD, ALICE_NEW, src_ip=C, method="INVITE"),
        redirect("00:20.050000", 301, ALICE_OLD, [(ALICE_NEW, None, None)]),
        route("00:20.050000", "refreshed", ALICE_OLD, ALICE_NEW, times_seen=2),
        route("00:30.000000", "stale_use", ALICE_OLD, ALICE_NEW, src_ip=A),
        redirect("00:30.050000", 301, ALICE_OLD, [("sip:alice@newer.example.com", None, 7200)]),
        route("00:30.050000", "changed", ALICE_OLD, "sip:alice@newer.example.com",
              previous=ALICE_NEW, expires=7200, times_seen=3),
        redirect("00:40.050000", 302, "sip:bob@temp.example.com",
                 [("sip:bob@away.example.com", None, None)]),
    ],
    "redirect-expiry.pcap": [
        redirect("00:00.050000", 301, "sip:dave@old.example.com",
                 [("sip:dave@new.example.com", None, 60)]),
        route("00:00.050000", "learned", "sip:dave@old.example.com", "sip:dave@new.example.com",
              expires=60),
        redirect("00:01.050000", 301, "sip:erin@old.example.com",
                 [("sip:erin@new.example.com", None, 30)]),
        route("00:01.050000", "learned", "sip:erin@old.example.com", "sip:erin@new.example.com",
              expires=30),
        redirect("00:01.150000", 301, "sip:frank@old.example.com",
                 [("sip:frank@new.example.com", None, None)]),
        route("00:01.150000", "learned", "sip:frank@old.example.com",
              "sip:frank@new.example.com", expires=None),
        route("00:31.050000", "expired", "sip:erin@old.example.com", "sip:erin@new.example.com"),
        route("01:00.050000", "expired", "sip:dave@old.example.com", "sip:dave@new.example.com"),
        route("01:11.000000", "stale_use", "sip:frank@old.example.com",
              "sip:frank@new.example.com", src_ip=C),
    ],
    "redirect-chain.pcap": [
        redirect("00:00.050000", 301, "sip:a@x.example", [("sip:b@x.example", None, None)]),
        route("00:00.050000", "learned", "sip:a@x.example", "sip:b@x.example"),
        redirect("00:01.050000", 301, "sip:b@x.example", [("sip:c@x.example", None, None)]),
        route("00:01.050000", "learned", "sip:b@x.example", "sip:c@x.example"),
        route("00:02.000000", "stale_use", "sip:a@x.example", "sip:c@x.example", src_ip=C,
              hops=2, loop=False),
        redirect("00:03.050000", 301, "sip:c@x.example", [("sip:a@x.example", None, None)]),
        route("00:03.050000", "learned", "sip:c@x.example", "sip:a@x.example", loop=True),
        route("00:03.050000", "loop", "sip:c@x.example", "sip:a@x.example",
              path=["sip:c@x.example", "sip:a@x.example", "sip:b@x.example", "sip:c@x.example"]),
    ],
    "redirect-contacts.pcap": [
        redirect("00:00.050000", 301, "sip:gina@old.example.com", [
            ("sip:gina@one.example.com", 0.3, 600), ("sip:gina@two.example.com", 0.9, 600),
            ("sip:gina@three.example.com;transport=tcp", 0.9, 120)]),
        route("00:00.050000", "learned", "sip:gina@old.example.com", "sip:gina@two.example.com",
              q=0.9, expires=600),
        redirect("00:01.050000", 301, "sip:hank@old.example.com",
                 [("sip:hank@new.example.com", None, None)], src="to"),
        route("00:01.050000", "learned", "sip:hank@old.example.com", "sip:hank@new.example.com"),
    ],
}


def same(got, want):
    if isinstance(want, float):
        return isinstance(got, (int, float)) and abs(got - want) < 1e-6
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and \
            all(same(g, w) for g, w in zip(got, want))
    if isinstance(want, dict):
        return isinstance(got, dict) and all(same(got.get(k, "<missing>"), v)
                                             for k, v in want.items())
    return got == want and type(got) is type(want)


def expect(cond, what):
    global passed
    if cond:
        passed += 1
    else:
        failures.append(what)


def run(binary, name, events="redirect,route"):
    out = subprocess.run([binary, "--events", events, "-r", os.path.join(SAMPLES, name)],
                         capture_output=True, text=True, check=False)
    expect(out.returncode == 0, "%s: exit %d: %s" % (name, out.returncode, out.stderr))
    return [json.loads(line) for line in out.stdout.splitlines()]


def check_events(binary, name, expected):
    got = run(binary, name)
    expect(len(got) == len(expected), "%s: %d events, want %d:\n  %s" % (
        name, len(got), len(expected), "\n  ".join(json.dumps(g) for g in got)))
    for i, (ev, (etype, t, top, detail)) in enumerate(zip(got, expected)):
        ok = ev["event_type"] == etype and ev["timestamp"] == t and same(ev, top) and \
            same(ev.get(etype), detail)
        expect(ok, "%s event %d: got %s\n  want %s %s %s %s" % (
            name, i, json.dumps(ev), etype, t, top, detail))
    # q is null rather than missing, on every redirect Contact and route event
    for ev in got:
        if ev["event_type"] == "route":
            expect("q" in ev["route"], "%s: route event without q" % name)


def check_follow_up(binary):
    """The follow-up INVITE to the Contact records the redirect it followed."""
    dialogs = run(binary, "redirect-learn.pcap", "dialog")
    rl1 = [d for d in dialogs if d["call_id"] == "rl-1@a.example"]
    expect(len(rl1) == 2, "redirect-learn: %d dialogs for rl-1, want 2" % len(rl1))
    if len(rl1) == 2:
        expect(rl1[0]["dialog"]["state"] == "redirected" and
               "follows_redirect" not in rl1[0]["dialog"], "rl-1 attempt 1: %s" % rl1[0])
        fr = rl1[1]["dialog"].get("follows_redirect")
        expect(rl1[1]["dialog"]["state"] == "completed" and fr is not None and same(fr, {
            "status_code": 301, "request_uri": ALICE_OLD, "target": ALICE_NEW,
            "same_call_id": True, "attempt": 1}), "rl-1 follow-up: %s" % rl1[1])
    others = [d for d in dialogs if d["call_id"] != "rl-1@a.example"]
    expect(all("follows_redirect" not in d["dialog"] for d in others),
           "only the follow-up carries follows_redirect")


def check_stats(binary):
    stats = run(binary, "redirect-learn.pcap", "stats")[-1]["stats"]
    expect(same(stats.get("redirects"), {"total": 4, "moved_permanently_301": 3,
                                         "moved_temporarily_302": 1}),
           "redirect stats: %s" % stats.get("redirects"))
    expect(same(stats.get("routes"), {"entries": 1, "learned": 1, "refreshed": 1, "changed": 1,
                                      "stale_use": 2, "evicted": 0}),
           "route stats: %s" % stats.get("routes"))


def check_cap(binary):
    """--max-routes 1 on the chain sample: each new route evicts the one
    before it, and each eviction is reported."""
    out = subprocess.run([binary, "--max-routes", "1", "--events", "route,anomaly", "-r",
                          os.path.join(SAMPLES, "redirect-chain.pcap")],
                         capture_output=True, text=True, check=False)
    evs = [json.loads(line) for line in out.stdout.splitlines()]
    ev = [e["anomaly"] for e in evs if e["event_type"] == "anomaly"]
    expect([e.get("kind") for e in ev] == ["route_evicted", "route_evicted"] and
           ev[0].get("uri") == "sip:a@x.example" and ev[1].get("uri") == "sip:b@x.example",
           "--max-routes 1: evictions %s" % ev)


def main():
    binary = sys.argv[1]
    for name, expected in EXPECTED.items():
        check_events(binary, name, expected)
    check_follow_up(binary)
    check_stats(binary)
    check_cap(binary)
    for f in failures:
        print("FAIL:", f)
    print("%d passed, %d failed" % (passed, len(failures)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
