"""Deterministic capture writing for sipsleuth's samples and tests.

Builds frames byte by byte (Ethernet, 802.1Q/QinQ, MPLS, IPv4, IPv6, UDP,
TCP, GRE, ERSPAN, VXLAN, Linux SLL, BSD null) and writes classic pcap (micro-
or nanosecond) or pcapng. Python standard library only, so the captures can be
regenerated anywhere and reviewed as code.
"""
import ipaddress
import struct

# libpcap LINKTYPE_ values
LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_PPP = 9
LINKTYPE_C_HDLC = 104
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276

MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")


def _csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def _ip(addr):
    return ipaddress.ip_address(addr)


def ethernet(payload, ethertype, src=MAC_A, dst=MAC_B, vlans=()):
    """Ethernet II; vlans is a list of (tpid, vid) outermost first."""
    hdr = dst + src
    for tpid, vid in vlans:
        hdr += struct.pack("!HH", tpid, vid & 0x0FFF)
    return hdr + struct.pack("!H", ethertype) + payload


def ipv4(payload, src, dst, proto, ident=1, ttl=64, frag_offset=0, more_fragments=False,
         options=b"", total_length=None):
    ihl = 5 + len(options) // 4
    flags_off = (0x2000 if more_fragments else 0) | (frag_offset // 8)
    length = total_length if total_length is not None else ihl * 4 + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, length, ident, flags_off, ttl, proto, 0,
                      _ip(src).packed, _ip(dst).packed) + options
    hdr = hdr[:10] + struct.pack("!H", _csum(hdr)) + hdr[12:]
    return hdr + payload


def ipv6(payload, src, dst, next_header, hop_limit=64, ext=b""):
    """ext: already-built extension headers; next_header names the first of them."""
    body = ext + payload
    return struct.pack("!IHBB16s16s", 0x60000000, len(body), next_header, hop_limit,
                       _ip(src).packed, _ip(dst).packed) + body


def ipv6_fragment_header(next_header, offset, more, ident):
    return struct.pack("!BBHI", next_header, 0, (offset & 0xFFF8) | (1 if more else 0), ident)


def _pseudo(src, dst, proto, length):
    s, d = _ip(src), _ip(dst)
    if s.version == 4:
        return s.packed + d.packed + struct.pack("!BBH", 0, proto, length)
    return s.packed + d.packed + struct.pack("!IxxxB", length, proto)


def udp(payload, src, dst, sport, dport):
    length = 8 + len(payload)
    hdr = struct.pack("!HHHH", sport, dport, length, 0)
    c = _csum(_pseudo(src, dst, 17, length) + hdr + payload) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, length, c) + payload


TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def tcp(payload, src, dst, sport, dport, seq, ack=0, flags=TCP_ACK | TCP_PSH, window=65535):
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4,
                      flags, window, 0, 0)
    c = _csum(_pseudo(src, dst, 6, len(hdr) + len(payload)) + hdr + payload)
    return hdr[:16] + struct.pack("!H", c) + hdr[18:] + payload


def ip_packet(payload, src, dst, proto, **kw):
    """IPv4 or IPv6 by the address family of src."""
    if _ip(src).version == 4:
        return ipv4(payload, src, dst, proto, **kw)
    return ipv6(payload, src, dst, proto, **kw)


def ethertype_of(ip_bytes):
    return 0x0800 if ip_bytes[0] >> 4 == 4 else 0x86DD


def udp_frame(payload, src, dst, sport=5060, dport=5060, vlans=()):
    """Ethernet + IP + UDP carrying payload."""
    ip = ip_packet(udp(payload, src, dst, sport, dport), src, dst, 17)
    return ethernet(ip, ethertype_of(ip), vlans=vlans)


def tcp_frame(payload, src, dst, sport, dport, seq, ack=0, flags=TCP_ACK | TCP_PSH, vlans=()):
    ip = ip_packet(tcp(payload, src, dst, sport, dport, seq, ack, flags), src, dst, 6)
    return ethernet(ip, ethertype_of(ip), vlans=vlans)


def ipv4_fragments(ip_payload, src, dst, proto, mtu_payload, ident):
    """Splits an IPv4 payload into fragments carrying at most mtu_payload bytes
    (rounded down to a multiple of 8); returns the IP packets in order."""
    step = max(8, mtu_payload - mtu_payload % 8)
    out = []
    for off in range(0, len(ip_payload), step):
        chunk = ip_payload[off:off + step]
        more = off + step < len(ip_payload)
        out.append(ipv4(chunk, src, dst, proto, ident=ident, frag_offset=off, more_fragments=more))
    return out


def ipv6_fragments(ip_payload, src, dst, proto, mtu_payload, ident):
    step = max(8, mtu_payload - mtu_payload % 8)
    out = []
    for off in range(0, len(ip_payload), step):
        chunk = ip_payload[off:off + step]
        more = off + step < len(ip_payload)
        out.append(ipv6(chunk, src, dst, 44, ext=ipv6_fragment_header(proto, off, more, ident)))
    return out


def mpls(payload, labels):
    out = b""
    for i, label in enumerate(labels):
        bos = 1 if i == len(labels) - 1 else 0
        out += struct.pack("!I", (label << 12) | (bos << 8) | 64)
    return out + payload


def gre(payload, proto, key=None, seq=None):
    flags = (0x2000 if key is not None else 0) | (0x1000 if seq is not None else 0)
    hdr = struct.pack("!HH", flags, proto)
    if key is not None:
        hdr += struct.pack("!I", key)
    if seq is not None:
        hdr += struct.pack("!I", seq)
    return hdr + payload


def erspan2(inner_frame, session_id, vlan=0):
    # ver=1, vlan, cos/en/t, session id; then reserved + index
    return struct.pack("!HHI", (1 << 12) | (vlan & 0xFFF), session_id & 0x3FF, 0) + inner_frame


def erspan3(inner_frame, session_id, vlan=0, timestamp=0):
    return (struct.pack("!HHI", (2 << 12) | (vlan & 0xFFF), session_id & 0x3FF, timestamp) +
            struct.pack("!HH", 0, 0) + inner_frame)


def vxlan(inner_frame, vni):
    return struct.pack("!II", 0x08000000, vni << 8) + inner_frame


def linux_sll(ip_bytes, pkttype=0):
    return struct.pack("!HHH8sH", pkttype, 1, 6, MAC_A + b"\0\0", ethertype_of(ip_bytes)) + ip_bytes


def linux_sll2(ip_bytes, ifindex=2):
    return struct.pack("!HHIHBB8s", ethertype_of(ip_bytes), 0, ifindex, 1, 0, 6,
                       MAC_A + b"\0\0") + ip_bytes


def ppp(ip_bytes):
    """PPP with address/control bytes (LINKTYPE_PPP)."""
    return b"\xff\x03" + struct.pack("!H", 0x21 if ip_bytes[0] >> 4 == 4 else 0x57) + ip_bytes


def cisco_hdlc(ip_bytes):
    return struct.pack("!BBH", 0x0F, 0, ethertype_of(ip_bytes)) + ip_bytes


def pppoe_session(ip_bytes, session=0x1234):
    """PPPoE session header + PPP protocol; wrap it in ethernet(..., 0x8864)."""
    proto = 0x21 if ip_bytes[0] >> 4 == 4 else 0x57
    return struct.pack("!BBHHH", 0x11, 0, session, 2 + len(ip_bytes), proto) + ip_bytes


def bsd_null(ip_bytes, big_endian=False):
    af = 2 if ip_bytes[0] >> 4 == 4 else 30
    return struct.pack(">I" if big_endian else "<I", af) + ip_bytes


class Writer:
    """Writes (timestamp_ns, frame) records as classic pcap or pcapng."""

    def __init__(self, path, linktype=LINKTYPE_ETHERNET, nanosecond=False, pcapng=False,
                 snaplen=262144):
        self.f = open(path, "wb")
        self.linktype, self.nano, self.ng, self.snaplen = linktype, nanosecond, pcapng, snaplen
        if pcapng:
            shb_body = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
            self._block(0x0A0D0D0A, shb_body)
            # one interface; if_tsresol option 9 (nanoseconds) when asked
            opts = b""
            if nanosecond:
                opts = struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0)
            self._block(0x00000001, struct.pack("<HHI", linktype, 0, snaplen) + opts)
        else:
            magic = 0xA1B23C4D if nanosecond else 0xA1B2C3D4
            self.f.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))

    def _block(self, btype, body):
        body += b"\0" * (-len(body) % 4)
        total = 12 + len(body)
        self.f.write(struct.pack("<II", btype, total) + body + struct.pack("<I", total))

    def add_interface(self, linktype, snaplen=262144):
        """pcapng only: another interface; returns its index."""
        assert self.ng
        self._block(0x00000001, struct.pack("<HHI", linktype, 0, snaplen))
        self._ifaces = getattr(self, "_ifaces", 1) + 1
        return self._ifaces - 1

    def write(self, ts_ns, frame, orig_len=None, interface=0):
        caplen = min(len(frame), self.snaplen)
        data = frame[:caplen]
        wire = orig_len if orig_len is not None else len(frame)
        if self.ng:
            units = ts_ns if self.nano else ts_ns // 1000
            body = struct.pack("<IIIII", interface, units >> 32, units & 0xFFFFFFFF, caplen, wire)
            self._block(0x00000006, body + data)
        else:
            sub = ts_ns % 1_000_000_000 if self.nano else (ts_ns % 1_000_000_000) // 1000
            self.f.write(struct.pack("<IIII", ts_ns // 1_000_000_000, sub, caplen, wire) + data)

    def close(self):
        self.f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class PcapngWriter:
    """pcapng with everything the format allows that readers trip on: several
    sections of either byte order, interfaces of different link types with
    their own if_tsresol (10^-n, or 2^-n as 0x80 | n) and if_tsoffset, Enhanced,
    Simple and obsolete Packet Blocks, and blocks a reader must skip."""

    def __init__(self, path):
        self.f = open(path, "wb")
        self.order = "<"
        self.ifaces = []  # (tsresol, tsoffset, snaplen) of the current section

    def block(self, btype, body):
        body += b"\0" * (-len(body) % 4)
        total = 12 + len(body)
        self.f.write(struct.pack(self.order + "II", btype, total) + body +
                     struct.pack(self.order + "I", total))

    def section(self, big_endian=False):
        """A Section Header Block: a new section, with no interfaces yet."""
        self.order = ">" if big_endian else "<"
        self.ifaces = []
        self.block(0x0A0D0D0A, struct.pack(self.order + "IHHq", 0x1A2B3C4D, 1, 0, -1))

    def interface(self, linktype, tsresol=6, tsoffset=0, snaplen=262144, name=None):
        """An Interface Description Block; returns the interface's index."""
        opts = b""
        if name:
            raw = name.encode()
            opts += struct.pack(self.order + "HH", 2, len(raw)) + raw + b"\0" * (-len(raw) % 4)
        if tsresol != 6:
            opts += struct.pack(self.order + "HHB3x", 9, 1, tsresol)
        if tsoffset:
            opts += struct.pack(self.order + "HHq", 14, 8, tsoffset)
        if opts:
            opts += struct.pack(self.order + "HH", 0, 0)
        self.block(0x00000001, struct.pack(self.order + "HHI", linktype, 0, snaplen) + opts)
        self.ifaces.append((tsresol, tsoffset, snaplen))
        return len(self.ifaces) - 1

    def _units(self, interface, ts_ns):
        tsresol, tsoffset, _ = self.ifaces[interface]
        ns = ts_ns - tsoffset * 10**9
        if tsresol & 0x80:
            return (ns << (tsresol & 0x7F)) // 10**9
        return ns * 10**tsresol // 10**9

    def packet(self, interface, ts_ns, frame, orig_len=None, obsolete=False):
        """An Enhanced Packet Block (or the obsolete Packet Block, type 2)."""
        units = self._units(interface, ts_ns)
        wire = orig_len if orig_len is not None else len(frame)
        if obsolete:
            head = struct.pack(self.order + "HHIIII", interface, 0, units >> 32,
                               units & 0xFFFFFFFF, len(frame), wire)
            self.block(0x00000002, head + frame)
        else:
            head = struct.pack(self.order + "IIIII", interface, units >> 32, units & 0xFFFFFFFF,
                               len(frame), wire)
            self.block(0x00000006, head + frame)

    def simple_packet(self, frame):
        """A Simple Packet Block: interface 0, no timestamp."""
        self.block(0x00000003, struct.pack(self.order + "I", len(frame)) + frame)

    def name_resolution(self, ipv4, name):
        record = _ip(ipv4).packed + name.encode() + b"\0"
        body = struct.pack(self.order + "HH", 1, len(record)) + record + b"\0" * (-len(record) % 4)
        self.block(0x00000004, body + struct.pack(self.order + "HH", 0, 0))

    def interface_statistics(self, interface, ts_ns, received, dropped):
        units = self._units(interface, ts_ns)
        opts = struct.pack(self.order + "HHQHHQHH", 4, 8, received, 5, 8, dropped, 0, 0)
        self.block(0x00000005, struct.pack(self.order + "III", interface, units >> 32,
                                           units & 0xFFFFFFFF) + opts)

    def custom(self, pen, data, copyable=True):
        self.block(0x00000BAD if copyable else 0x40000BAD, struct.pack(self.order + "I", pen) + data)

    def close(self):
        self.f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
