#!/usr/bin/env python3
"""SIP over TLS with --tls-keylog, on the samples/tls*.pcap sessions (openssl
s_server/s_client, scripts/gen/gen_tls.py) and captures rewritten from them:
every suite decrypts to the same 11 messages with proto TLS and the TCP
Community ID; without the key, one tls_no_key per connection and nothing
else; a tampered record stops its direction only; records split over tiny
and reordered segments on another port; a key log that grows while sipsleuth
runs; malformed lines; the key table's cap; no secret ever in the output.
usage: test_tls.py PATH-TO-SIPSLEUTH"""
import base64
import glob
import hashlib
import ipaddress
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts", "gen"))
import pcapgen as pg  # noqa: E402
from gen_tls import tcp_payloads  # noqa: E402
from sipcount import SAMPLES, report  # noqa: E402

MESSAGES = 11  # each session: see gen_tls.sip_exchange
checks = []


def check(name, cond, detail=""):
    checks.append(bool(cond))
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ":\n     " + str(detail)[:2000]))


def run(b, args, stdin=None):
    r = subprocess.run([b, "--events", "all"] + args, capture_output=True, input=stdin)
    events = [json.loads(l) for l in r.stdout.splitlines() if l]
    return r, events


def sips(events):
    return [e for e in events if e["event_type"] == "sip"]


def anomalies(events, prefix="tls_"):
    return [e["anomaly"]["kind"] for e in events
            if e["event_type"] == "anomaly" and e["anomaly"]["kind"].startswith(prefix)]


def stats(events):
    return [e for e in events if e["event_type"] == "stats"][-1]["stats"]


def community_id(src, dst, sport, dport, proto=6):
    a, b = ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed
    if (a, sport) > (b, dport):
        a, b, sport, dport = b, a, dport, sport
    h = hashlib.sha1(struct.pack("!H", 0) + a + b + bytes([proto, 0]) +
                     struct.pack("!HH", sport, dport)).digest()
    return "1:" + base64.b64encode(h).decode()


def rewrite(sample, out, size, swap=False, port=5061, midstream=False):
    """The sample's streams as a new capture: handshake, each direction's
    payloads cut into `size`-byte segments (every other pair swapped when
    `swap`), server on `port`; `midstream`: without the TLS handshake (each
    direction starts at its first application data record after it)."""
    segs = tcp_payloads(sample)
    if midstream:
        started = [False, False]
        kept = []
        for d, payload in segs:
            started[d] = started[d] or payload[0] == 0x17
            if started[d]:
                kept.append((d, payload))
        segs = kept
    c, s = ("192.0.2.10", 40000), ("198.51.100.7", port)
    nxt = [1000, 9000]
    frames = [(c, s, 999, 0, pg.TCP_SYN), (s, c, 8999, 1000, pg.TCP_SYN | pg.TCP_ACK),
              (c, s, 1000, 9000, pg.TCP_ACK)]
    for d, payload in segs:
        src, dst = (c, s) if d == 0 else (s, c)
        parts = []
        for i in range(0, len(payload), size):
            parts.append((src, dst, nxt[d], nxt[1 - d], pg.TCP_ACK | pg.TCP_PSH,
                          payload[i:i + size]))
            nxt[d] = (nxt[d] + len(payload[i:i + size])) & 0xFFFFFFFF
        if swap:
            for i in range(0, len(parts) - 1, 4):
                parts[i], parts[i + 1] = parts[i + 1], parts[i]
        frames += parts
    frames += [(c, s, nxt[0], nxt[1], pg.TCP_FIN | pg.TCP_ACK), (s, c, nxt[1], nxt[0] + 1,
                                                                   pg.TCP_FIN | pg.TCP_ACK)]
    with pg.Writer(out) as w:
        for n, f in enumerate(frames):
            (sa, sp), (da, dp), seq, ack, flags = f[:5]
            data = f[5] if len(f) > 5 else b""
            w.write(1772359200 * 10**9 + n * 10**6, pg.tcp_frame(data, sa, da, sp, dp, seq, ack,
                                                                 flags))


def main():
    b = sys.argv[1]
    samples = sorted(glob.glob(os.path.join(SAMPLES, "tls*.pcap")))
    check("the TLS samples are there", len(samples) >= 9, samples)
    secrets = set()
    for path in samples:
        name = os.path.basename(path)
        keys = path[:-5] + ".keys"
        for line in open(keys):
            f = line.split()
            if len(f) == 3 and not line.startswith("#"):
                secrets.add(f[2].lower())
        r, ev = run(b, ["--tls-keylog", keys, "-r", path])
        sip = sips(ev)
        st = stats(ev)
        cids = {community_id(e["src_ip"], e["dest_ip"], e["src_port"], e["dest_port"])
                for e in sip}
        check("%s: %d SIP messages, all proto TLS, the TCP flow's community_id" % (name, MESSAGES),
              r.returncode == 0 and len(sip) == MESSAGES and
              all(e["proto"] == "TLS" for e in sip) and
              all(e["community_id"] in cids for e in sip) and len(cids) == 1,
              (r.returncode, len(sip), r.stderr))
        check("%s: decrypted, no TLS anomaly" % name,
              st["tls"]["decrypted"] == 1 and st["tls"]["connections"] == 1 and
              not anomalies(ev) and st["tls"]["dropped_bytes"] == 0, (st["tls"], anomalies(ev)))
        if "keyupdate" in name:
            check("%s: both directions' KeyUpdates followed" % name,
                  st["tls"]["key_updates"] == 2, st["tls"])

    gcm13 = os.path.join(SAMPLES, "tls13-aes128gcm.pcap")
    gcm12 = os.path.join(SAMPLES, "tls12-aes128gcm.pcap")
    r, ev = run(b, ["-r", gcm13])
    check("without --tls-keylog: no SIP, one tls_no_key, bytes dropped and counted",
          not sips(ev) and anomalies(ev) == ["tls_no_key"] and
          stats(ev)["tls"]["no_key"] == 1 and stats(ev)["tls"]["dropped_bytes"] > 20000 and
          stats(ev)["tcp"]["not_sip_streams"] == 0,
          (anomalies(ev), stats(ev)["tls"]))
    no_key = [e for e in ev if e["event_type"] == "anomaly"][0]
    check("tls_no_key carries the connection's flow as TLS and says why",
          no_key["proto"] == "TLS" and "no --tls-keylog" in no_key["anomaly"]["detail"],
          no_key)
    r, ev = run(b, ["--tls-keylog", gcm12[:-5] + ".keys", "-r", gcm13])
    check("another session's key log: tls_no_key, not in the key log",
          not sips(ev) and anomalies(ev) == ["tls_no_key"] and
          "not in the key log" in [e for e in ev if e["event_type"] == "anomaly"][0]
          ["anomaly"]["detail"], anomalies(ev))

    with tempfile.TemporaryDirectory() as tmp:
        keys13 = gcm13[:-5] + ".keys"
        # tamper with the client's last record: that direction stops there
        with open(gcm13, "rb") as f:
            raw = bytearray(f.read())
        last = [p for d, p in tcp_payloads(gcm13) if d == 0][-1]
        at = bytes(raw).rfind(last)
        raw[at + len(last) - 1] ^= 0x01
        bad = os.path.join(tmp, "tampered.pcap")
        with open(bad, "wb") as f:
            f.write(raw)
        r, ev = run(b, ["--tls-keylog", keys13, "-r", bad])
        sip = sips(ev)
        from_server = [e for e in sip if e["src_port"] == 5061]
        check("a record failing authentication: tls_decrypt_failed, its direction stops, "
              "the other goes on",
              anomalies(ev) == ["tls_decrypt_failed"] and len(from_server) == 6 and
              len(sip) < MESSAGES and stats(ev)["tls"]["decrypt_failed"] == 1,
              (anomalies(ev), len(sip), len(from_server)))

        for size, swap in ((7, False), (100, True), (1, False)):
            path = os.path.join(tmp, "split-%d.pcap" % size)
            rewrite(gcm13, path, size, swap=swap, port=8443)
            r, ev = run(b, ["--tls-keylog", keys13, "-r", path])
            check("records over %d-byte segments%s, port 8443: the same %d messages" %
                  (size, ", reordered" if swap else "", MESSAGES),
                  len(sips(ev)) == MESSAGES and not anomalies(ev) and
                  all(e["proto"] == "TLS" for e in sips(ev)),
                  (len(sips(ev)), anomalies(ev), anomalies(ev, "tcp_")))

        path = os.path.join(tmp, "midstream.pcap")
        rewrite(gcm13, path, 65535, midstream=True)
        r, ev = run(b, ["--tls-keylog", keys13, "-r", path])
        an = [e for e in ev if e["event_type"] == "anomaly"]
        check("a capture that began after the handshake: TLS all the same, one tls_no_key",
              not sips(ev) and anomalies(ev) == ["tls_no_key"] and
              "ClientHello not captured" in an[0]["anomaly"]["detail"] and
              an[0]["proto"] == "TLS" and stats(ev)["tcp"]["not_sip_streams"] == 0,
              (anomalies(ev), [e["anomaly"] for e in an]))

        # a key log that grows after sipsleuth started (a live endpoint's)
        live = os.path.join(tmp, "live.keys")
        with open(live, "w") as f:
            f.write("# SSL/TLS secrets log file\n")
        p = subprocess.Popen([b, "--events", "all", "--tls-keylog", live, "-r", "-"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        time.sleep(0.5)
        with open(live, "a") as f, open(keys13) as k:
            f.write(k.read())
        with open(gcm13, "rb") as f:
            out, err = p.communicate(f.read(), timeout=60)
        ev = [json.loads(l) for l in out.splitlines() if l]
        check("a key log that grew after the start is read on",
              len(sips(ev)) == MESSAGES and stats(ev)["tls"]["keylog"]["reads"] == 2,
              (len(sips(ev)), stats(ev)["tls"], err))

        # malformed lines are skipped and counted
        messy = os.path.join(tmp, "messy.keys")
        with open(messy, "w") as f, open(keys13) as k:
            f.write("garbage\nCLIENT_RANDOM 00 11\n" + k.read() + "CLIENT_RANDOM zz zz\n")
        r, ev = run(b, ["--tls-keylog", messy, "-r", gcm13])
        check("malformed key log lines skipped and counted",
              len(sips(ev)) == MESSAGES and stats(ev)["tls"]["keylog"]["malformed"] == 3,
              stats(ev)["tls"])

        # the key table's cap: two sessions, room for one client random
        both = os.path.join(tmp, "both.pcap")
        with pg.Writer(both) as w:
            t = 0
            for src in (gcm12, gcm13):
                with open(src, "rb") as f:
                    data = f.read()
                off = 24
                while off + 16 <= len(data):
                    incl = struct.unpack("<I", data[off + 8:off + 12])[0]
                    w.write(1772359200 * 10**9 + t * 10**6, data[off + 16:off + 16 + incl])
                    t += 1
                    off += 16 + incl
        both_keys = os.path.join(tmp, "both.keys")
        with open(both_keys, "w") as f:
            for k in (gcm12[:-5] + ".keys", keys13):
                f.write(open(k).read())
        r, ev = run(b, ["--tls-keylog", both_keys, "--max-tls-keys", "1", "-r", both])
        st = stats(ev)["tls"]
        check("--max-tls-keys 1: the older session's key evicted (tls_no_key), the newer decrypted",
              len(sips(ev)) == MESSAGES and anomalies(ev) == ["tls_no_key"] and
              st["keylog"]["evicted"] == 1 and st["keylog"]["entries"] == 1, st)
        r, ev = run(b, ["--tls-keylog", both_keys, "-r", both])
        check("both sessions decrypted with room for both",
              len(sips(ev)) == 2 * MESSAGES and not anomalies(ev), anomalies(ev))

    r = subprocess.run([b, "--tls-keylog", "/nonexistent/keys", "-r", gcm13], capture_output=True)
    check("--tls-keylog that cannot be opened: exit 1, one line",
          r.returncode == 1 and r.stderr.count(b"\n") == 1 and b"/nonexistent/keys" in r.stderr,
          (r.returncode, r.stderr))

    # secrets never appear: events (raw messages too), the summary, stats, errors
    seen = b""
    for path in samples:
        r = subprocess.run([b, "--events", "all", "--sip-raw", "--summary", "--tls-keylog",
                            path[:-5] + ".keys", "-r", path], capture_output=True)
        seen += r.stdout + r.stderr
        r = subprocess.run([b, "--events", "all", "-r", path], capture_output=True)
        seen += r.stdout + r.stderr
    low = seen.lower()
    leaked = [s for s in secrets if s.encode() in low or s[:32].encode() in low]
    check("no secret of %d appears in any output" % len(secrets), secrets and not leaked,
          leaked[:3])
    return report(sum(checks), len(checks) - sum(checks))


if __name__ == "__main__":
    sys.exit(main())
