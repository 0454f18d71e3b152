#!/usr/bin/env python3
"""`registration` events and the `auth_failures` / `scanner` anomalies.

On samples/registrations.pcap against its generator's ground truth
(scripts/gen/gen_registrations.py TRUTH): a challenge answered then 200 with
the granted expires, an unanswered challenge closed by the timer, expires 0
and Contact * un-registrations, a 403, no response at all, a brute-forcing
source (exactly one auth_failures anomaly, a retransmitted 401 counted once),
scanners by User-Agent and by From display name (one anomaly per source and
window, not per message), and --auth-fail-threshold / --auth-fail-window /
--scanner-window.

On the initconf-sip-attacks corpus captures against tshark's fields: the
auth_failures and scanner anomalies per source and window, and per Call-ID the
registrations' outcomes, Expires and User-Agent.

usage: test_registrations.py PATH/TO/sipsleuth   (run from the repository root)
"""
import collections
import datetime
import glob
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts", "gen"))
import gen_registrations as gen  # noqa: E402
from sipcount import CORPUS, SAMPLES, report, run_sipsleuth  # noqa: E402
from tshark_cache import tshark  # noqa: E402

SAMPLE = os.path.join(SAMPLES, "registrations.pcap")
ATTACKS = os.path.join(CORPUS, "initconf-sip-attacks")
# The documented list (README, "Registrations and scanners").
SCANNER_UAS = ("friendly-scanner", "sipvicious", "sipcli", "sip-scan", "sipscan", "sundayddr",
               "iwar", "vaxsipuseragent", "pplsip")
checks = []


def check(name, cond, detail=""):
    checks.append(bool(cond))
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)[:2000]))


def ts_ms(ms):
    """The sample's time T0 + ms as sipsleuth writes it."""
    t = datetime.datetime.fromtimestamp(gen.T0 / 1e9 + ms / 1000.0, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ts_epoch(sec):
    """A tshark frame.time_epoch (text) as sipsleuth writes times."""
    whole, _, frac = sec.partition(".")
    t = datetime.datetime.fromtimestamp(int(whole), datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + (frac + "000000")[:6] + "Z"


def windows(times_by_source, window, threshold):
    """The fixed windows each source's times open (a window opens at its first
    time and takes every time before first + window): (source, count, first,
    last) of those with at least threshold times."""
    out = set()
    for src, times in times_by_source.items():
        groups = []
        for t in sorted(times):
            if not groups or t >= groups[-1][0] + window:
                groups.append([])
            groups[-1].append(t)
        out |= {(src, len(g), g[0], g[-1]) for g in groups if len(g) >= threshold}
    return out


def anomalies(events, kind):
    return [e["anomaly"] for e in events
            if e["event_type"] == "anomaly" and e["anomaly"]["kind"] == kind]


def found(events, kind):
    return {(a["source_ip"], a["count"], a["first_seen"], a["last_seen"])
            for a in anomalies(events, kind)}


# ---- the generated sample ----

def sample_registrations(b):
    events = run_sipsleuth(b, [SAMPLE], events="registration,anomaly")
    regs = {e["registration"]["aor_user"]: e for e in events if e["event_type"] == "registration"}
    truth = gen.TRUTH["registrations"]
    for user, t in sorted(truth.items()):
        e = regs.get(user)
        if not e:
            check("%s: a registration event" % user, False, sorted(regs))
            continue
        r = e["registration"]
        want = {k: t[k] for k in ("outcome", "auth_challenges", "challenge_answered", "requests",
                                  "status_code", "expires_requested", "expires_granted",
                                  "unregister", "closed")}
        got = {k: r.get(k) for k in want}
        check("%s: %s" % (user, want), got == want, got)
        check("%s: contacts %s" % (user, t["contacts"]),
              [(c["uri"], c["expires"]) for c in r["contacts"]] == t["contacts"], r["contacts"])
        check("%s: Contact * marked" % user, r.get("contact_star", False) == t.get("contact_star", False), r)
        when = t["final"] if t["final"] is not None else t["closed_at"]
        check("%s: start, final_ms and timestamp" % user,
              (r["start"], r["final_ms"], e["timestamp"]) ==
              (ts_ms(t["start"]), None if t["final"] is None else float(t["final"] - t["start"]),
               ts_ms(when)), (r["start"], r["final_ms"], e["timestamp"]))
        client = getattr(gen, user.upper())
        check("%s: from the client to the registrar" % user,
              (e["src_ip"], e["dest_ip"], r["aor"], e["call_id"]) ==
              (client, gen.R, "sip:%s@%s" % (user, gen.DOMAIN), "reg-%s@%s" % (user, client)),
              (e["src_ip"], e["dest_ip"], r["aor"], e["call_id"]))
    brute = [e for e in events if e["event_type"] == "registration" and e["src_ip"] == gen.BRUTE]
    by = collections.Counter(e["registration"]["outcome"] for e in brute)
    check("the brute-forcer's %d attempts: 9 challenged twice, 3 failed" % gen.N_BRUTE,
          by == {"challenged": gen.N_BRUTE - 3, "failed": 3} and
          all(e["registration"]["auth_challenges"] == (2 if e["registration"]["outcome"] ==
                                                         "challenged" else 1) and
              e["registration"]["challenge_answered"] and e["registration"]["requests"] == 2
              for e in brute), by)
    n = sum(e["event_type"] == "registration" for e in events)
    check("one registration event per attempt the generator wrote (%d)" % n,
          n == len(truth) + gen.N_BRUTE, sorted(regs))
    return events


def sample_anomalies(b, events):
    want = {(src, a["count"], ts_ms(a["first"]), ts_ms(a["last"]))
            for src, a in gen.TRUTH["auth_failures"].items()}
    check("exactly one auth_failures anomaly, for the brute-forcer: %s" % want,
          found(events, "auth_failures") == want and len(anomalies(events, "auth_failures")) == 1,
          anomalies(events, "auth_failures"))
    af = anomalies(events, "auth_failures")
    check("auth_failures: layer and window", af and af[0].get("layer") == "registration" and
          af[0].get("window_ms") == 60000 and "user_agent" not in af[0], af)
    want = [(src, a["count"], ts_ms(a["first"]), ts_ms(a["last"]), a["user_agent"])
            for src, a in gen.TRUTH["scanner"]]
    got = [(a["source_ip"], a["count"], a["first_seen"], a["last_seen"], a.get("user_agent"))
           for a in anomalies(events, "scanner")]
    check("one scanner anomaly per source and window (%d messages in 3)" %
          sum(w[1] for w in want), got == want, got)
    check("the Asterisk PBX User-Agent is no scanner",
          gen.LEGIT not in {a["source_ip"] for a in anomalies(events, "scanner")})
    check("nothing evicted", not anomalies(events, "watch_evicted") and
          not anomalies(events, "registration_evicted"))

    times = gen.TRUTH["auth_failure_times"]
    for thr, win in ((13, 60), (3, 5), (2, 2)):
        ev = run_sipsleuth(b, [SAMPLE], events="anomaly",
                           extra=["--auth-fail-threshold", str(thr), "--auth-fail-window", str(win)])
        want = {(gen.BRUTE, n, ts_ms(f), ts_ms(l))
                for _, n, f, l in windows({0: times}, win * 1000, thr)}
        check("--auth-fail-threshold %d --auth-fail-window %d: %d anomalies" % (thr, win, len(want)),
              found(ev, "auth_failures") == want, sorted(found(ev, "auth_failures")))
    ev = run_sipsleuth(b, [SAMPLE], events="anomaly", extra=["--scanner-window", "200"])
    got = sorted((a["source_ip"], a["count"]) for a in anomalies(ev, "scanner"))
    check("--scanner-window 200: SCAN1's two bursts in one window",
          got == sorted([(gen.SCAN1, 25), (gen.SCAN2, 3)]), got)
    ev = run_sipsleuth(b, [SAMPLE], events="registration,anomaly",
                       extra=["--max-registrations", "1", "--max-watched-sources", "1"])
    regs = [e for e in ev if e["event_type"] == "registration"]
    check("--max-registrations 1: bob's challenge closed when frank registers, evicted",
          any(e["registration"]["aor_user"] == "bob" and e["registration"]["closed"] == "evicted"
              for e in regs) and anomalies(ev, "registration_evicted"),
          [(e["registration"]["aor_user"], e["registration"]["closed"]) for e in regs])
    check("--max-watched-sources 1: SCAN1's window closed early for SCAN2",
          any(a["source_ip"] == gen.SCAN1 for a in anomalies(ev, "watch_evicted")),
          anomalies(ev, "watch_evicted"))
    ev = run_sipsleuth(b, [SAMPLE], events="default")
    check("registration events are in the default set",
          any(e["event_type"] == "registration" for e in ev))


# ---- the corpus ----

FIELDS = ["frame.time_epoch", "ip.src", "ip.dst", "sip.Method", "sip.Status-Code",
          "sip.CSeq.seq", "sip.CSeq.method", "sip.Call-ID", "sip.User-Agent", "sip.Expires",
          "sip.from.display.info", "sip.Authorization", "sip.Proxy-Authorization"]


# As in test_tshark_counts.py: tshark decodes UDP port 1293 as PacketCable by
# port, hiding 6 SIP messages (3 of them 401s) of this capture.
DECODE_AS = {"SIP-Bruteforce-Single-IP.pcap": ["-d", "udp.port==1293,sip"]}


def tshark_rows(path):
    out = tshark(["-n", "-r", path, "-Y", "sip"] + DECODE_AS.get(os.path.basename(path), []) +
                 ["-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"] +
                 sum([["-e", f] for f in FIELDS], [])).decode(errors="replace")
    return [dict(zip(FIELDS, line.split("\t"))) for line in out.splitlines()]


def corpus_capture(b, path):
    name = os.path.basename(path)
    rows = tshark_rows(path)
    # Retransmissions count once: a response by Call-ID, CSeq and status and
    # direction; a request by Call-ID, CSeq and direction.
    # A failure: a 403 to a REGISTER or INVITE, or a 401/407 to one captured
    # before it with credentials (README, "Registrations and scanners").
    fails, scans, seen = collections.defaultdict(list), collections.defaultdict(list), set()
    credentialed = set()
    for r in rows:
        if r["sip.Method"] and (r["sip.Authorization"] or r["sip.Proxy-Authorization"]):
            credentialed.add((r["sip.Call-ID"], r["sip.CSeq.seq"], r["sip.CSeq.method"]))
        key = (r["sip.Call-ID"], r["sip.CSeq.seq"], r["sip.CSeq.method"], r["sip.Status-Code"],
               r["ip.src"], r["ip.dst"])
        if key in seen:
            continue
        seen.add(key)
        t = ts_epoch(r["frame.time_epoch"])
        status, method = r["sip.Status-Code"], r["sip.CSeq.method"]
        if method in ("REGISTER", "INVITE") and (status == "403" or (
                status in ("401", "407") and (r["sip.Call-ID"], r["sip.CSeq.seq"], method)
                in credentialed)):
            fails[r["ip.dst"]].append(t)
        ua = r["sip.User-Agent"].lower()
        if r["sip.Method"] and (any(s in ua for s in SCANNER_UAS) or
                                "sipvicious" in r["sip.from.display.info"].lower()):
            scans[r["ip.src"]].append(t)
    events = run_sipsleuth(b, [path], events="registration,anomaly")
    # Times as text sort as times do (same format, same length).
    for kind, times, thr in (("auth_failures", fails, 10), ("scanner", scans, 1)):
        want = set()
        for src, ts in times.items():
            want |= {(src, n, f, l) for _, n, f, l in window_text(src, ts, thr)}
        got = found(events, kind)
        check("%s: %d %s anomalies (tshark: %d messages from %d sources)" %
              (name, len(want), kind, sum(len(v) for v in times.values()), len(times)),
              got == want, sorted(got ^ want)[:6])
    regs = [e for e in events if e["event_type"] == "registration"]
    finals = collections.Counter()
    expires, agents = collections.defaultdict(set), {}
    for r in rows:
        if r["sip.Method"] == "REGISTER":
            expires[r["sip.Call-ID"]].add(int(r["sip.Expires"]) if r["sip.Expires"] else None)
            agents[r["sip.Call-ID"]] = r["sip.User-Agent"] or None
    # A final decides an attempt when its REGISTER was captured before it or
    # at most 2 s after it (this capture has responses stamped before their
    # requests: README, "Registrations and scanners").
    asked, done = {}, set()
    for r in rows:
        if r["sip.Method"] == "REGISTER":
            asked.setdefault((r["sip.Call-ID"], r["sip.CSeq.seq"]), float(r["frame.time_epoch"]))
    for r in rows:
        key = (r["sip.Call-ID"], r["sip.CSeq.seq"])
        status = r["sip.Status-Code"]
        if (r["sip.CSeq.method"] == "REGISTER" and status and int(status) >= 200 and
                status not in ("401", "407") and key not in done and
                asked.get(key, 1e18) <= float(r["frame.time_epoch"]) + 2):
            done.add(key)
            finals["ok" if int(status) < 300 else "failed"] += 1
    got = collections.Counter(e["registration"]["outcome"] for e in regs)
    check("%s: registrations decided by a final response, by outcome: %s" % (name, dict(finals)),
          {k: got[k] for k in ("ok", "failed")} == {k: finals[k] for k in ("ok", "failed")}, got)
    bad = [e["call_id"] for e in regs
           if e["registration"]["expires_requested"] not in expires.get(e["call_id"], ())
           or e["registration"]["user_agent"] != agents.get(e["call_id"])]
    check("%s: each registration's Expires and User-Agent are its REGISTER's (%d)" %
          (name, len(regs)), not bad and len({e["call_id"] for e in regs}) == len(agents), bad[:5])


def window_text(src, times, threshold, window=60):
    """windows() on tshark's times: epoch seconds as written by ts_epoch."""
    def secs(t):
        d = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc)
        return round(d.timestamp() * 1e6)
    by_us = {secs(t): t for t in times}
    us = sorted(secs(t) for t in times)
    return {(s, n, by_us[f], by_us[l]) for s, n, f, l in windows({src: us}, window * 10**6,
                                                                  threshold)}


def main():
    b = sys.argv[1]
    events = sample_registrations(b)
    sample_anomalies(b, events)
    caps = sorted(glob.glob(os.path.join(ATTACKS, "*.pcap")))
    if not caps:
        print("SKIP corpus part: no captures in %s (the shared corpus is not here)" % ATTACKS)
    for path in caps:
        corpus_capture(b, path)
    return report(sum(checks), len(checks) - sum(checks))


if __name__ == "__main__":
    sys.exit(main())
