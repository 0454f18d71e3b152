#!/usr/bin/env python3
"""Differential test: for every sample and every corpus capture, the SIP
requests per method and responses per status code that sipsleuth reports
equal what `tshark -Y sip` reports on the same file.
usage: test_tshark_counts.py PATH-TO-SIPSLEUTH"""
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sipcount import CORPUS, SAMPLES, report, sipsleuth_counts, tshark_counts  # noqa: E402

# Where tshark misses messages that are wholly in the capture: file ->
# (what sipsleuth must report on top of tshark's counts, one-line reason).
# The counts stay exact: tshark's plus this correction.
TSHARK_WRONG = {
    "samples/tcp-multi-per-segment.pcap": (
        {("request", "BYE"): 1},
        "tshark stops at a CRLFCRLF keep-alive (RFC 5626) between two messages in one segment"),
    "samples/tcp-gap-resync.pcap": (
        {("request", "BYE"): 1},
        "tshark does not re-synchronise a TCP stream after a segment that was never captured"),
    "samples/tcp-midstream.pcap": (
        {("request", "INVITE"): 1},
        "tshark does not find a start line that begins mid-segment after a cut message's tail"),
    "samples/tcp-oversized.pcap": (
        {("request", "INVITE"): 1, ("request", "MESSAGE"): 1, ("request", "BYE"): 1},
        "tshark waits for the 400 000 bytes a lying Content-Length announces: nothing after it"),
    "samples/tcp-snaplen.pcap": (
        {("request", "BYE"): 1, ("request", "INFO"): 1},
        "tshark does not go on after a message the snap length cut (the BYE), nor dissect a "
        "second message whose start line a cut frame holds (the INFO, sipsleuth's is truncated)"),
}

# Where tshark is wrong but can be corrected: file -> (tshark arguments, reason).
HEP_LUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hep.lua")
TSHARK_CORRECTED = {
    "samples/hep3.pcap": (
        ["-X", "lua_script:" + HEP_LUA],
        "tshark 4.0 has no HEP dissector: hep.lua (written from the HEP spec) hands it the payloads"),
    "samples/hep3-tcp.pcap": (
        ["-X", "lua_script:" + HEP_LUA],
        "tshark 4.0 has no HEP dissector: hep.lua frames HEP3 on TCP by its length (port 9060, "
        "elsewhere by content) and hands it the payloads"),
    "sipcapture-hep-wireshark/hep.pcap": (
        ["-X", "lua_script:" + HEP_LUA], "tshark 4.0 has no HEP dissector: hep.lua hands it the payloads"),
    "sipcapture-hep-wireshark/hep3_compressed.pcapng": (
        ["-X", "lua_script:" + HEP_LUA], "tshark 4.0 has no HEP dissector: hep.lua hands it the payloads"),
    "initconf-sip-attacks/SIP-Bruteforce-Single-IP.pcap": (
        ["-d", "udp.port==1293,sip"],
        "tshark decodes UDP port 1293 as PacketCable (PKTC) by port, hiding 6 SIP messages"),
}


# Real captures kept in the repository (tests/captures/README.md).
CAPTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "captures")


def captures():
    files = sorted(glob.glob(os.path.join(SAMPLES, "*.pcap*")))
    files += sorted(glob.glob(os.path.join(CORPUS, "*", "*.pcap*")))
    files += sorted(glob.glob(os.path.join(CAPTURES, "*", "*.pcap*")))
    return files


def main():
    binary = sys.argv[1]
    passed = failed = 0
    for path in captures():
        name = os.path.relpath(path, os.path.dirname(SAMPLES)) if path.startswith(SAMPLES) else \
            os.path.relpath(path, CAPTURES) if path.startswith(CAPTURES) else \
            os.path.relpath(path, CORPUS)
        tshark_args, why = TSHARK_CORRECTED.get(name, ((), None))
        if why:
            print("note %s: tshark corrected with %s: %s" % (name, " ".join(tshark_args), why))
        ours, theirs = sipsleuth_counts(binary, path), tshark_counts(path, tshark_args)
        if name in TSHARK_WRONG:
            extra, why = TSHARK_WRONG[name]
            print("note %s: expecting tshark's counts plus %s: %s" % (name, dict(extra), why))
            theirs.update(extra)
        if ours == theirs:
            passed += 1
            print("ok   %s (%d messages)" % (name, sum(ours.values())))
            continue
        failed += 1
        print("FAIL %s" % name)
        for key in sorted(set(ours) | set(theirs)):
            if ours[key] != theirs[key]:
                print("     %s %s: sipsleuth %d, tshark %d" % (key[0], key[1], ours[key], theirs[key]))
    return report(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
