#!/usr/bin/env python3
"""Generates the TLS samples samples/tls-*.pcap with their key logs
samples/tls-*.keys (NSS key log format): `openssl s_server` and `openssl
s_client` on 127.0.0.1:5061 with -keylogfile, SIP over them each way (the
client's stdin goes to the server, the server's stdin to the client),
captured on lo by dumpcap. Needs root (or dumpcap's capabilities), openssl
and tshark. Not deterministic (fresh keys and randoms every run): the SIP
counts are checked against tshark -o tls.keylog_file:FILE instead of bytes.

usage: gen_tls.py [NAME ...]   (default: every session below)
       gen_tls.py --corpus      the seed corpus of tests/fuzz/fuzz_tls.c from the
                                samples whose secrets that target holds"""
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sipmsg import Dialog, sdp  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "samples")
PORT = 5061

# name -> (version options, cipher options). Both ends get the same.
SESSIONS = {
    "tls12-aes128gcm": (["-tls1_2"], ["-cipher", "ECDHE-RSA-AES128-GCM-SHA256"]),
    "tls12-aes256gcm": (["-tls1_2"], ["-cipher", "ECDHE-RSA-AES256-GCM-SHA384"]),
    "tls12-chacha20": (["-tls1_2"], ["-cipher", "ECDHE-RSA-CHACHA20-POLY1305"]),
    "tls13-aes128gcm": (["-tls1_3"], ["-ciphersuites", "TLS_AES_128_GCM_SHA256"]),
    "tls13-aes256gcm": (["-tls1_3"], ["-ciphersuites", "TLS_AES_256_GCM_SHA384"]),
    "tls13-chacha20": (["-tls1_3"], ["-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"]),
    "tls13-aes128ccm": (["-tls1_3"], ["-ciphersuites", "TLS_AES_128_CCM_SHA256"]),
    "tls13-aes128ccm8": (["-tls1_3"], ["-ciphersuites", "TLS_AES_128_CCM_8_SHA256"]),
    # s_client's "K" command mid-call: a KeyUpdate that asks the peer to update too,
    # so both directions change keys (RFC 8446 4.6.3)
    "tls13-keyupdate": (["-tls1_3"], ["-ciphersuites", "TLS_AES_128_GCM_SHA256"]),
}
KEY_UPDATE = {"tls13-keyupdate"}


def sip_exchange(n, key_update=False):
    """(direction, bytes) steps: 0 client -> server, 1 server -> client. A call,
    a MESSAGE larger than one TLS record (16 KiB), several messages in one
    write, and an OPTIONS from the server's side."""
    d = Dialog("tls-%d@client.example" % n, "sips:alice@client.example", "sips:bob@server.example",
               "client.example", "server.example", from_tag="f%d" % n, transport="TLS")
    inv = d.request("INVITE", 1, "inv%d" % n, body=sdp("127.0.0.1"))
    trying = d.response(100, "Trying", "INVITE", 1, "inv%d" % n, to_tag=False)
    d.to_tag = "t%d" % n
    ringing = d.response(180, "Ringing", "INVITE", 1, "inv%d" % n)
    ok = d.response(200, "OK", "INVITE", 1, "inv%d" % n, body=sdp("127.0.0.1", 4002))
    ack = d.request("ACK", 1, "ack%d" % n)
    big = d.request("MESSAGE", 2, "msg%d" % n, body=b"x" * 20000)
    big_ok = d.response(200, "OK", "MESSAGE", 2, "msg%d" % n)
    opt = d.request("OPTIONS", 3, "opt%d" % n, from_callee=True)
    opt_ok = d.response(200, "OK", "OPTIONS", 3, "opt%d" % n, from_callee_request=True)
    bye = d.request("BYE", 4, "bye%d" % n)
    bye_ok = d.response(200, "OK", "BYE", 4, "bye%d" % n)
    steps = [(0, inv), (1, trying + ringing), (1, ok), (0, ack), (0, big), (1, big_ok),
             (1, opt), (0, opt_ok), (0, bye), (1, bye_ok)]
    if key_update:
        steps.insert(6, (0, b"K\n"))  # an s_client command, not sent as data
    return steps


def run(name, version, ciphers, cert, key, tmp):
    pcap = os.path.join(OUT, name + ".pcap")
    keys = os.path.join(OUT, name + ".keys")
    for f in (pcap, keys):
        if os.path.exists(f):
            os.unlink(f)
    raw = os.path.join(tmp, name + ".pcap")
    cap = subprocess.Popen(["dumpcap", "-q", "-P", "-i", "lo", "-f", "tcp port %d" % PORT,
                            "-w", raw], stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    srv = subprocess.Popen(["openssl", "s_server", "-quiet", "-naccept", "1",
                            "-accept", "127.0.0.1:%d" % PORT, "-cert", cert, "-key", key,
                            "-keylogfile", keys] + version + ciphers,
                           stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    # command letters only for the key update: "-no_ign_eof" after "-quiet" turns them on
    commands = ["-no_ign_eof"] if name in KEY_UPDATE else ["-nocommands"]
    cli = subprocess.Popen(["openssl", "s_client", "-quiet"] + commands + ["-noservername",
                            "-connect", "127.0.0.1:%d" % PORT, "-keylogfile", keys] +
                           version + ciphers,
                           stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    for d, data in sip_exchange(1, name in KEY_UPDATE):
        p = cli if d == 0 else srv
        p.stdin.write(data)
        p.stdin.flush()
        time.sleep(0.15)
    time.sleep(0.3)
    cli.send_signal(signal.SIGTERM)
    cli.wait(timeout=5)
    srv.stdin.close()
    try:
        srv.wait(timeout=5)
    except subprocess.TimeoutExpired:
        srv.kill()
        srv.wait()
    time.sleep(1)
    cap.send_signal(signal.SIGINT)
    cap.wait(timeout=10)
    os.replace(raw, pcap)
    os.chmod(pcap, 0o644)
    print("wrote %s, %s" % (pcap, keys))


# The sessions whose secrets tests/fuzz/fuzz_tls.c holds.
CORPUS_SAMPLES = ["tls13-aes128gcm", "tls12-aes128gcm", "tls13-chacha20", "tls13-aes128ccm8",
                  "tls12-aes256gcm", "tls13-keyupdate"]


def tcp_payloads(path):
    """(direction, payload) of each TCP segment with data in a classic
    Ethernet pcap; direction 0 is the client (the port that is not PORT)."""
    with open(path, "rb") as f:
        data = f.read()
    assert struct.unpack("<I", data[:4])[0] == 0xA1B2C3D4, "little-endian pcap expected"
    off, out = 24, []
    while off + 16 <= len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        if ip[9] != 6:
            continue
        tcp = ip[ihl:total]
        sport = struct.unpack("!H", tcp[:2])[0]
        payload = tcp[(tcp[12] >> 4) * 4:]
        if payload:
            out.append((1 if sport == PORT else 0, payload))
    return out


def corpus():
    """Each sample as the fuzz target's input: 6-byte headers (flags =
    direction, delta 0, length) before each segment's payload; and once more
    cut into 700-byte segments, so that records span segments."""
    outdir = os.path.join(ROOT, "tests", "fuzz", "corpus", "tls")
    os.makedirs(outdir, exist_ok=True)
    for name in CORPUS_SAMPLES:
        segs = tcp_payloads(os.path.join(OUT, name + ".pcap"))
        for suffix, size in (("", 65535), ("-split", 700)):
            blob = b""
            for d, payload in segs:
                for i in range(0, len(payload), size):
                    part = payload[i:i + size]
                    blob += struct.pack("!BhHB", d, 0, len(part), 0) + part
            with open(os.path.join(outdir, name + suffix), "wb") as f:
                f.write(blob)
            print("wrote corpus/tls/%s%s (%d bytes)" % (name, suffix, len(blob)))


def main():
    if sys.argv[1:] == ["--corpus"]:
        corpus()
        return
    names = sys.argv[1:] or list(SESSIONS)
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
                        "-subj", "/CN=server.example", "-keyout", key, "-out", cert],
                       check=True, capture_output=True)
        os.chmod(tmp, 0o755)
        for name in names:
            version, ciphers = SESSIONS[name]
            run(name, version, ciphers, cert, key, tmp)


if __name__ == "__main__":
    main()
