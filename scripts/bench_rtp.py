#!/usr/bin/env python3
"""Adds the media of a span port to a SIP capture: G.711 RTP (PCMU, 20 ms,
160-byte payloads) in both directions of every answered call, between the
addresses and ports of its SDP offer and answer, from the 200 OK to the BYE
(or the end of the capture), and an RTCP sender report every 5 s per
direction on the port above. The SIP frames are kept as they are; RTP and
RTCP are merged in by time.

usage: bench_rtp.py IN.pcap OUT.pcap [--max-ratio R]

IN is a classic pcap of Ethernet/IPv4/UDP frames (what ../shared/bench/perfgen.py
writes). OUT.pcap.json: IN.pcap.json's ground truth (when it exists) with
`packets` and `bytes` updated and `rtp_packets`, `rtcp_packets`,
`rtp_per_sip` added. --max-ratio stops adding media once there are R RTP
packets per SIP message (default: no limit), to bound the file's size.
Deterministic: the same input gives the same bytes.
"""
import argparse
import heapq
import json
import re
import struct

REC = struct.Struct("<IIII")
ETH = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00"
IPH = struct.Struct("!BBHHHBBH4s4s")
UDPH = struct.Struct("!HHHH")
RTP_PERIOD_US = 20000
RTCP_PERIOD_US = 5000000
CALL_ID = re.compile(rb"^(?:Call-ID|i)[ \t]*:[ \t]*(\S+)", re.I | re.M)
CSEQ = re.compile(rb"^CSeq[ \t]*:[ \t]*\d+[ \t]+(\w+)", re.I | re.M)
CONN = re.compile(rb"^c=IN IP4 ([0-9.]+)", re.M)
MEDIA = re.compile(rb"^m=audio (\d+) ", re.M)


def ip_checksum(hdr):
    s = sum(struct.unpack("!10H", hdr))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return 0xFFFF ^ s


def udp_frame(ts_us, src, dst, sport, dport, payload, ident):
    iplen = 28 + len(payload)
    hdr = IPH.pack(0x45, 0xB8, iplen, ident & 0xFFFF, 0x4000, 64, 17, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", ip_checksum(hdr)) + hdr[12:]
    udp = UDPH.pack(sport, dport, 8 + len(payload), 0)  # checksum 0: not computed (IPv4)
    frame = ETH + hdr + udp + payload
    sec, usec = divmod(ts_us, 1000000)
    return REC.pack(sec, usec, len(frame), len(frame)) + frame


def read_pcap(path):
    with open(path, "rb") as f:
        ghdr = f.read(24)
        if struct.unpack("<I", ghdr[:4])[0] != 0xA1B2C3D4:
            raise SystemExit("%s: not a little-endian microsecond pcap" % path)
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            sec, usec, incl, _ = REC.unpack(rec)
            yield sec * 1000000 + usec, rec + f.read(incl)


def sip_of(rec):
    """(src, dst, sport, dport, payload) of an Ethernet/IPv4/UDP frame, or None."""
    frame = rec[16:]
    if len(frame) < 42 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
        return None
    ihl = (frame[14] & 15) * 4
    u = 14 + ihl
    return frame[26:30], frame[30:34], *struct.unpack("!HH", frame[u:u + 4]), frame[u + 8:]


class Media:
    """The RTP of one direction of one call."""

    def __init__(self, key, src, dst, start, end):
        self.src, self.dst, self.end = src, dst, end
        self.seq = key & 0xFFFF
        self.ts = (key * 2654435761) & 0xFFFFFFFF
        self.ssrc = (key * 40503 + 1) & 0xFFFFFFFF
        self.next_rtcp = start + RTCP_PERIOD_US
        self.sent = 0


def media_events(calls, last_ts):
    """Heap entries (time, order, Media) of every answered call's first packet."""
    heap = []
    for n, c in enumerate(calls):
        if c.get("answer") is None or not c.get("a_media") or not c.get("b_media"):
            continue
        end = c.get("bye", last_ts)
        for d, (src, dst) in enumerate(((c["a_media"], c["b_media"]),
                                        (c["b_media"], c["a_media"]))):
            m = Media(2 * n + d + 1, src, dst, c["answer"], end)
            heapq.heappush(heap, (c["answer"] + 1000 * d, 2 * n + d, m))
    return heap


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("--max-ratio", type=float, default=0.0)
    args = ap.parse_args()

    calls, by_id, sip_n, last_ts = [], {}, 0, 0
    for ts, rec in read_pcap(args.inp):
        last_ts = ts
        p = sip_of(rec)
        if not p:
            continue
        src, dst, sport, dport, payload = p
        sip_n += 1
        cid, cseq = CALL_ID.search(payload), CSEQ.search(payload)
        if not cid or not cseq or cseq.group(1) != b"INVITE" and cseq.group(1) != b"BYE":
            continue
        c = by_id.get(cid.group(1))
        conn, media = CONN.search(payload), MEDIA.search(payload)
        sdp = (bytes(int(x) for x in conn.group(1).split(b".")), int(media.group(1))) \
            if conn and media else None
        if payload.startswith(b"INVITE ") and c is None and sdp:
            c = by_id[cid.group(1)] = {"a_media": sdp}
            calls.append(c)
        elif c is not None and payload.startswith(b"SIP/2.0 200") and \
                cseq.group(1) == b"INVITE" and "answer" not in c and sdp:
            c["answer"], c["b_media"] = ts, sdp
        elif c is not None and payload.startswith(b"BYE "):
            c.setdefault("bye", ts)

    heap = media_events(calls, last_ts)
    limit = args.max_ratio * sip_n if args.max_ratio else float("inf")
    rtp_n = rtcp_n = out_bytes = packets = 0
    with open(args.out, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        buf = []

        def emit(rec):
            nonlocal out_bytes, packets
            buf.append(rec)
            out_bytes += len(rec)
            packets += 1
            if len(buf) >= 4096:
                out.write(b"".join(buf))
                buf.clear()

        for ts, rec in read_pcap(args.inp):
            while heap and heap[0][0] < ts:
                t, order, m = heapq.heappop(heap)
                (ip_s, port_s), (ip_d, port_d) = m.src, m.dst
                if rtp_n < limit:
                    rtp = struct.pack("!BBHII", 0x80, 0, m.seq & 0xFFFF, m.ts, m.ssrc) + \
                        bytes([0xFF - (m.seq & 0x3F)]) * 160
                    emit(udp_frame(t, ip_s, ip_d, port_s, port_d, rtp, m.seq))
                    rtp_n += 1
                    m.seq, m.ts, m.sent = m.seq + 1, (m.ts + 160) & 0xFFFFFFFF, m.sent + 1
                    if t >= m.next_rtcp:
                        sr = struct.pack("!BBHIIIIII", 0x80, 200, 6, m.ssrc, t // 1000000,
                                         (t % 1000000) << 12, m.ts, m.sent, m.sent * 160)
                        emit(udp_frame(t, ip_s, ip_d, port_s + 1, port_d + 1, sr, m.seq))
                        rtcp_n += 1
                        m.next_rtcp += RTCP_PERIOD_US
                if t + RTP_PERIOD_US < m.end and rtp_n < limit:
                    heapq.heappush(heap, (t + RTP_PERIOD_US, order, m))
            emit(rec)
        out.write(b"".join(buf))

    man = {}
    try:
        with open(args.inp + ".json") as f:
            man = json.load(f)
    except FileNotFoundError:
        pass
    man.update({"packets": packets, "bytes": out_bytes + 24, "rtp_packets": rtp_n,
                "rtcp_packets": rtcp_n, "sip_messages": man.get("sip_messages", sip_n),
                "rtp_per_sip": round(rtp_n / max(sip_n, 1), 2), "media_generator": "bench_rtp.py"})
    with open(args.out + ".json", "w") as f:
        json.dump(man, f, indent=1)
    print("bench_rtp: %d SIP, %d RTP, %d RTCP packets (%.1f RTP per SIP message)" %
          (sip_n, rtp_n, rtcp_n, rtp_n / max(sip_n, 1)))


if __name__ == "__main__":
    main()
