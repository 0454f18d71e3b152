#!/usr/bin/env python3
"""A real analytics store: a private ClickHouse server (own config, data dir and
loopback port; stopped at the end) gets scripts/clickhouse/schema.sql, then
sipsleuth's output for every sample is piped into scripts/clickhouse/load
(clickhouse-client ... FORMAT JSONEachRow), and so is its output for the
identity captures (made at test time by scripts/gen/gen_identity.py). The store must then answer the
questions a user asks with the same numbers as the NDJSON itself: events per
type, calls per outcome and final status, rejections per cause, learned
routes, anomalies per kind; untrusted bytes must arrive intact.
usage: test_clickhouse.py PATH-TO-SIPSLEUTH"""
import collections
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sipcount import ROOT, SAMPLES, report  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "scripts", "gen"))
import gen_identity  # noqa: E402

CH_DIR = os.path.join(ROOT, "scripts", "clickhouse")

CONFIG = """<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>{d}/server.log</log><errorlog>{d}/error.log</errorlog></logger>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>{port}</tcp_port>
    <path>{d}/data/</path>
    <tmp_path>{d}/data/tmp/</tmp_path>
    <user_files_path>{d}/data/user_files/</user_files_path>
    <format_schema_path>{d}/data/format_schemas/</format_schema_path>
    <mark_cache_size>67108864</mark_cache_size>
    <uncompressed_cache_size>67108864</uncompressed_cache_size>
    <users_config>users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
</yandex>
"""
USERS = """<?xml version="1.0"?>
<yandex>
    <profiles><default></default></profiles>
    <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
        <profile>default</profile><quota>default</quota></default></users>
    <quotas><default></default></quotas>
</yandex>
"""

# The contract's identity and rejection examples: until the samples hold signed
# calls these are what shows that the schema takes those event types.
CONTRACT_EXAMPLES = [
    {"timestamp": "2026-03-01T12:00:00.000200Z", "event_type": "identity",
     "call_id": "idt-2@carrier.example", "src_ip": "203.0.113.5", "src_port": 5060,
     "dest_ip": "198.51.100.1", "dest_port": 5060, "proto": "UDP",
     "identity": {"verdict": "invalid", "reasons": ["orig_mismatch"], "form": "full",
                  "alg": "ES256", "ppt": "shaken", "attest": "A", "orig_tn": "12155550101",
                  "dest_tn": ["12155550199"], "iat": 1772366400,
                  "x5u": "https://certs.example.org/sp.pem"}},
    {"timestamp": "2026-03-01T12:00:00.090000Z", "event_type": "rejection",
     "call_id": "idt-2@carrier.example", "src_ip": "198.51.100.1", "src_port": 5060,
     "dest_ip": "203.0.113.5", "dest_port": 5060, "proto": "UDP",
     "rejection": {"status_code": 438, "cause": "orig_mismatch",
                   "explanation": "The PASSporT was signed for caller 12155550101 but the "
                                  "INVITE's From carries 12155550000.",
                   "evidence": {"signed_orig_tn": "12155550101", "seen_from_tn": "12155550000"},
                   "reason_header": "STIR;cause=438;text=\"Invalid Identity Header\"",
                   "modified_by": None}},
]


def find_tool(name):
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if not path:
        raise SystemExit("%s is not installed: run scripts/setup" % name)
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, workdir):
        self.dir = workdir
        self.port = free_port()
        self.client = find_tool("clickhouse-client")
        with open(os.path.join(workdir, "config.xml"), "w") as f:
            f.write(CONFIG.format(d=workdir, port=self.port))
        with open(os.path.join(workdir, "users.xml"), "w") as f:
            f.write(USERS)
        self.log = open(os.path.join(workdir, "console.log"), "wb")
        self.proc = subprocess.Popen(
            [find_tool("clickhouse-server"), "--config-file=" + os.path.join(workdir, "config.xml")],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=workdir)

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            r = subprocess.run(self.cmd(["--query", "SELECT 1"]), capture_output=True)
            if r.returncode == 0:
                return True
            time.sleep(0.2)
        return False

    def cmd(self, args):
        return [self.client, "--host", "127.0.0.1", "--port", str(self.port)] + args

    def query(self, sql):
        """Rows of a query as lists of strings (TabSeparated)."""
        r = subprocess.run(self.cmd(["--query", sql]), capture_output=True, check=True)
        return [line.split("\t") for line in r.stdout.decode().splitlines()]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def diagnostics(self):
        for name in ("console.log", "error.log"):
            path = os.path.join(self.dir, name)
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    tail = f.read()[-2000:]
                if tail.strip():
                    print("--- %s\n%s" % (name, tail))


def pipe_into_clickhouse(binary, files, server, extra=()):
    """sipsleuth stdout -> scripts/clickhouse/load stdin, keeping a copy of the bytes."""
    cmd = [binary, "--events", "all"] + list(extra)
    for f in files:
        cmd += ["-r", f]
    producer = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    loader = subprocess.Popen([os.path.join(CH_DIR, "load"), "--host", "127.0.0.1",
                               "--port", str(server.port)],
                              stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    copy = bytearray()
    while True:
        chunk = producer.stdout.read(65536)
        if not chunk:
            break
        copy += chunk
        loader.stdin.write(chunk)
    loader.stdin.close()
    err = loader.stderr.read().decode(errors="replace")
    return producer.wait(), loader.wait(), err, bytes(copy)


def main():
    b = sys.argv[1]
    checks = []

    def check(name, cond, detail=""):
        checks.append(cond)
        print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)))

    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="sipsleuth-ch-")
    server = Server(workdir)
    try:
        ready = server.wait_ready()
        check("private clickhouse-server answers on 127.0.0.1:%d" % server.port, ready)
        if not ready:
            return report(sum(checks), len(checks) - sum(checks))
        version = server.query("SELECT version()")[0][0]
        print("     clickhouse %s, up in %.1f s" % (version, time.monotonic() - started))

        with open(os.path.join(CH_DIR, "schema.sql"), "rb") as f:
            r = subprocess.run(server.cmd(["--multiquery"]), input=f.read(), capture_output=True)
        check("schema.sql loads", r.returncode == 0, r.stderr.decode(errors="replace"))

        files = sorted(glob.glob(os.path.join(SAMPLES, "*.pcap")) +
                       glob.glob(os.path.join(SAMPLES, "*.pcapng")))
        rc, load_rc, load_err, raw = pipe_into_clickhouse(b, files, server)
        check("sipsleuth -r samples/* exits 0", rc == 0, rc)
        check("clickhouse-client INSERT ... FORMAT JSONEachRow accepts every line",
              load_rc == 0, load_err)
        events = [json.loads(line) for line in raw.decode("utf-8").splitlines()]
        idir = os.path.join(workdir, "identity")
        os.makedirs(idir)
        m = gen_identity.build(idir)
        rc, load_rc, load_err, raw = pipe_into_clickhouse(
            b, [os.path.join(idir, "identity.pcap")], server, m["args"])
        check("the identity captures load too", rc == 0 and load_rc == 0, load_err)
        events += [json.loads(line) for line in raw.decode("utf-8").splitlines()]

        def ev(kind):
            return [e for e in events if e["event_type"] == kind]

        want = collections.Counter(e["event_type"] for e in events)
        got = {t: int(n) for t, n in server.query(
            "SELECT event_type, count() FROM sipsleuth.events GROUP BY event_type")}
        check("rows per event type equal the NDJSON lines (%d in all)" % len(events),
              got == dict(want), "%s != %s" % (got, dict(want)))

        want = collections.Counter((d["dialog"]["state"], d["dialog"]["status_code"])
                                   for d in ev("dialog"))
        got = {(s, None if c == "\\N" else int(c)): int(n) for s, c, n in server.query(
            "SELECT `dialog.state`, `dialog.status_code`, count() FROM sipsleuth.events "
            "WHERE event_type = 'dialog' GROUP BY `dialog.state`, `dialog.status_code`")}
        check("calls per outcome and final status", got == dict(want) and len(want) >= 5,
              "%s != %s" % (got, dict(want)))

        want = sorted(d["dialog"]["setup_ms"] for d in ev("dialog")
                      if d["dialog"]["setup_ms"] is not None)
        got = sorted(float(x) for x, in server.query(
            "SELECT `dialog.setup_ms` FROM sipsleuth.events "
            "WHERE event_type = 'dialog' AND `dialog.setup_ms` IS NOT NULL"))
        check("setup times", got == want, "%s != %s" % (got, want))

        want = collections.Counter(r["rejection"]["cause"] for r in ev("rejection"))
        got = {None if c == "\\N" else c: int(n) for c, n in server.query(
            "SELECT `rejection.cause`, count() FROM sipsleuth.events "
            "WHERE event_type = 'rejection' GROUP BY `rejection.cause`")}
        check("rejections per cause (%d)" % sum(want.values()),
              got == dict(want) and len(want) >= 5,
              "%s != %s" % (got, dict(want)))

        want = sorted((r["route"]["uri"], r["route"]["target"]) for r in ev("route")
                      if r["route"]["action"] == "learned")
        got = sorted(tuple(row) for row in server.query(
            "SELECT `route.uri`, `route.target` FROM sipsleuth.events "
            "WHERE event_type = 'route' AND `route.action` = 'learned'"))
        check("learned routes (%d)" % len(want), got == want and len(want) > 0,
              "%s != %s" % (got, want))

        want = collections.Counter(r["route"]["uri"] for r in ev("route")
                                   if r["route"]["action"] == "stale_use")
        got = {u: int(n) for u, n in server.query(
            "SELECT `route.uri`, count() FROM sipsleuth.events "
            "WHERE `route.action` = 'stale_use' GROUP BY `route.uri`")}
        check("stale uses of moved URIs", got == dict(want) and len(want) > 0,
              "%s != %s" % (got, dict(want)))

        want = collections.Counter(a["anomaly"]["kind"] for a in ev("anomaly"))
        got = {k: int(n) for k, n in server.query(
            "SELECT `anomaly.kind`, count() FROM sipsleuth.events "
            "WHERE event_type = 'anomaly' GROUP BY `anomaly.kind`")}
        check("anomalies per kind", got == dict(want), "%s != %s" % (got, dict(want)))

        # Control bytes, NUL and U+FFFD from hostile.pcap: byte-exact round trip.
        want = sorted(e["sip"]["user_agent"].encode("utf-8").hex().upper() for e in ev("sip")
                      if e["call_id"] and e["call_id"].startswith("hostile-")
                      and e["sip"].get("user_agent"))
        got = sorted(h for h, in server.query(
            "SELECT hex(`sip.user_agent`) FROM sipsleuth.events WHERE event_type = 'sip' "
            "AND startsWith(ifNull(call_id, ''), 'hostile-') AND `sip.user_agent` != ''"))
        check("hostile bytes arrive as the NDJSON escaped them", got == want and len(want) > 0,
              "%s != %s" % (got, want))

        lines = "".join(json.dumps(dict(e, sensor="contract")) + "\n" for e in CONTRACT_EXAMPLES)
        r = subprocess.run([os.path.join(CH_DIR, "load"), "--host", "127.0.0.1",
                            "--port", str(server.port)], input=lines.encode(), capture_output=True)
        rows = server.query(
            "SELECT `identity.verdict`, `identity.reasons`, `identity.orig_tn`, "
            "`rejection.cause`, `rejection.modified_by` FROM sipsleuth.events "
            "WHERE sensor = 'contract' ORDER BY timestamp")
        check("the contract's identity and rejection examples fit the schema",
              r.returncode == 0 and rows == [
                  ["invalid", "['orig_mismatch']", "12155550101", "\\N", "\\N"],
                  ["\\N", "[]", "\\N", "orig_mismatch", "\\N"]],
              r.stderr.decode(errors="replace") + str(rows))
    finally:
        if checks and not all(checks):
            server.diagnostics()
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    check("server stopped", server.proc.returncode is not None)
    print("     %.1f s" % (time.monotonic() - started))
    return report(sum(checks), len(checks) - sum(checks))


if __name__ == "__main__":
    sys.exit(main())
