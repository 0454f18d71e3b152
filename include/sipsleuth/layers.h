/* Per-layer dissectors: the internal interface between decode.c and
 * dissectors/. Each one reads its header from the front of *data through an
 * sl_reader, records what the user may want to see in pkt, and on SL_OK
 * leaves *data at what follows. Any other status means the header is cut
 * (SL_TRUNCATED) or broken (SL_INVALID) and `an` names it. Where a layer
 * says what comes next it does so as an EtherType; 0 means "nothing we
 * decode", which decode.c turns into SL_DECODE_SKIP. */
#ifndef SIPSLEUTH_LAYERS_H
#define SIPSLEUTH_LAYERS_H

#include "sipsleuth/anomaly.h"
#include "sipsleuth/packet.h"
#include "sipsleuth/status.h"

enum {
    SL_ETH_IPV4 = 0x0800,
    SL_ETH_IPV6 = 0x86dd,
    SL_ETH_VLAN = 0x8100,     /* 802.1Q */
    SL_ETH_QINQ = 0x88a8,     /* 802.1ad */
    SL_ETH_QINQ_OLD = 0x9100, /* pre-standard QinQ */
    SL_ETH_MPLS = 0x8847,
    SL_ETH_MPLS_MC = 0x8848,
    SL_ETH_TEB = 0x6558, /* transparent Ethernet bridging (in GRE, VXLAN) */
    SL_ETH_ERSPAN2 = 0x88be,
    SL_ETH_ERSPAN3 = 0x22eb,
    SL_ETH_PPP = 0x880b,   /* PPP in enhanced GRE (PPTP) */
    SL_ETH_PPPOE = 0x8864, /* PPPoE session stage */
};

enum { SL_IPPROTO_IPIP = 4, SL_IPPROTO_IPV6 = 41, SL_IPPROTO_GRE = 47 };

enum { SL_VXLAN_PORT = 4789, SL_GTPU_PORT = 2152, SL_GTPC_PORT = 2123, SL_HEP_PORT = 9060 };

static inline bool sl_ethertype_is_vlan(uint16_t t)
{
    return t == SL_ETH_VLAN || t == SL_ETH_QINQ || t == SL_ETH_QINQ_OLD;
}

/* The EtherType of an IP packet by its version nibble; 0 when empty or neither. */
static inline uint16_t sl_guess_ip(sl_slice data)
{
    if (data.len == 0)
        return 0;
    switch (data.ptr[0] >> 4) {
    case 4: return SL_ETH_IPV4;
    case 6: return SL_ETH_IPV6;
    default: return 0;
    }
}

/* Ethernet II; an 802.3 length field instead of a type gives type 0. */
sl_status sl_eth_decode(sl_slice *data, uint16_t *type, sl_anomaly *an);

/* All VLAN tags in a row (the outer TPID was already read); ids go to pkt->vlan
 * up to SL_MAX_VLAN, further tags are decoded but not recorded. */
sl_status sl_vlan_decode(sl_slice *data, uint16_t *type, sl_packet *pkt, sl_anomaly *an);

/* Linux cooked capture v1 (DLT_LINUX_SLL) and v2 (DLT_LINUX_SLL2). */
sl_status sl_sll_decode(sl_slice *data, uint16_t *type, sl_anomaly *an);
sl_status sl_sll2_decode(sl_slice *data, uint16_t *type, sl_anomaly *an);

/* BSD loopback (DLT_NULL, DLT_LOOP): a 4-byte address family in either byte order. */
sl_status sl_null_decode(sl_slice *data, uint16_t *type, sl_anomaly *an);

/* MPLS label stack down to bottom-of-stack, labels into pkt->mpls; the payload
 * is guessed to be IPv4 or IPv6 by its version nibble. */
sl_status sl_mpls_decode(sl_slice *data, uint16_t *type, sl_packet *pkt, sl_anomaly *an);

/* IPv4 / IPv6 header (IPv6 with its extension headers): sets pkt's addresses,
 * ip_proto, ip_payload and, for a fragment, pkt->frag; sets pkt->truncated when
 * the capture is shorter than the stated length. *data becomes ip_payload and
 * *stated the payload length the header claims (>= data->len). */
sl_status sl_ipv4_decode(sl_slice *data, size_t *stated, sl_packet *pkt, sl_anomaly *an);
sl_status sl_ipv6_decode(sl_slice *data, size_t *stated, sl_packet *pkt, sl_anomaly *an);

/* True for the IPv6 extension headers sl_ipv6_ext_walk() steps over. */
bool sl_ipv6_is_ext(uint8_t proto);

/* Walks IPv6 extension headers starting with *proto at the front of *data
 * (`off` is where *data starts within the IPv6 layer, for anomaly offsets).
 * Stops at the first upper-layer protocol, or after a fragment header, which
 * fills *frag; an atomic fragment (offset 0, no more) is stepped over. */
sl_status sl_ipv6_ext_walk(uint8_t *proto, sl_slice *data, size_t *stated, size_t off,
                           sl_ip_frag *frag, sl_anomaly *an);

/* UDP / TCP: ports, payload (and TCP seq/ack/flags) into pkt. `stated` is the
 * L4 length the IP header claims; *data holds what was captured of it. */
sl_status sl_udp_decode(sl_slice data, size_t stated, sl_packet *pkt, sl_anomaly *an);
sl_status sl_tcp_decode(sl_slice data, size_t stated, sl_packet *pkt, sl_anomaly *an);
/* SCTP common header (dissectors/sctp.c): ports into pkt, pkt->payload the
 * chunks (walk them with sctp.h). `stated` SIZE_MAX: unknown (incomplete datagram). */
sl_status sl_sctp_decode(sl_slice data, size_t stated, sl_packet *pkt, sl_anomaly *an);

typedef struct sl_gre {
    uint16_t proto; /* EtherType of the payload, 0 for GRE we do not decode */
    bool has_key, has_seq;
    uint32_t key;
} sl_gre;

/* GRE (RFC 2784 with RFC 2890 key and sequence number; version 1, PPTP's
 * enhanced GRE of RFC 2637, with proto SL_ETH_PPP and the call id as key). */
sl_status sl_gre_decode(sl_slice *data, sl_gre *gre, sl_anomaly *an);

/* A PPP header (RFC 1661; address/control and protocol-field compression
 * accepted); *type is the EtherType of IPv4/IPv6 inside, 0 for anything else. */
sl_status sl_ppp_decode(sl_slice *data, uint16_t *type, sl_anomaly *an);

/* Cisco HDLC (DLT_C_HDLC): address, control, then an EtherType in *type
 * (0 for an unknown address byte). */
sl_status sl_chdlc_decode(sl_slice *data, uint16_t *type, sl_anomaly *an);

/* A PPPoE session header and the PPP header after it (RFC 2516); *type as
 * for sl_ppp_decode; discovery packets give 0. */
sl_status sl_pppoe_decode(sl_slice *data, uint16_t *type, sl_anomaly *an);

/* ERSPAN type II and III headers (III with its optional platform subheader);
 * *type is what follows: Ethernet (SL_ETH_TEB) or, for III, IPv4/IPv6. */
sl_status sl_erspan2_decode(sl_slice *data, uint32_t *session, uint16_t *type, sl_anomaly *an);
sl_status sl_erspan3_decode(sl_slice *data, uint32_t *session, uint16_t *type, sl_anomaly *an);

/* True when data starts with a valid VXLAN header (I flag set, reserved bits
 * clear); then *data is the inner Ethernet frame. No anomaly: a UDP payload on
 * port 4789 that is not VXLAN is just UDP. */
bool sl_vxlan_decode(sl_slice *data, uint32_t *vni);

/* GTPv1 extension headers one G-PDU may chain; more is "gtpu_too_many_ext". */
#define SL_GTPU_MAX_EXT 16

enum { SL_GTP_GPDU = 255 };

typedef struct sl_gtpu {
    uint8_t msg_type; /* 255: G-PDU (a T-PDU follows) */
    uint32_t teid;
    bool has_seq;
    uint16_t seq;
    unsigned n_ext; /* extension headers walked */
    bool cut;       /* the stated length runs past the bytes given (a snaplen cut?) */
} sl_gtpu;

/* True when data starts like a GTPv1 header (3GPP TS 29.281 / 29.060):
 * version 1, protocol type 1 (not GTP'), the reserved bit clear, 8 bytes. */
bool sl_gtpv1_probe(sl_slice data);

/* True when data is a whole GTPv2-C message (TS 29.274): version 2, spare
 * bits clear, the length field equal to what follows its first 4 bytes. */
bool sl_gtpv2c_probe(sl_slice data);

/* A GTPv1-U header: the mandatory 8 bytes, the optional sequence number,
 * N-PDU number and next-extension type (when any of E, S, PN is set), then
 * the extension header chain (lengths in units of 4 octets, at most
 * SL_GTPU_MAX_EXT headers). On SL_OK *data is the message body within the
 * stated length (for a G-PDU, the T-PDU: an IP packet), bounded by the bytes
 * given; g->cut says the stated length is longer than those. */
sl_status sl_gtpu_decode(sl_slice *data, sl_gtpu *g, sl_anomaly *an);

/* HEP (HOMER Encapsulation Protocol) payload types. */
enum { SL_HEP_PROTO_SIP = 1 };

typedef struct sl_hep {
    uint8_t version;    /* 2 or 3 */
    uint8_t ip_proto;   /* of the original packet: 17 UDP, 6 TCP (others given as is) */
    uint8_t proto_type; /* 1 SIP, 5 RTCP, 100 log, ...; HEPv2 carries SIP only: 1 */
    sl_addr src, dst;   /* the original packet's addresses */
    uint16_t sport, dport;
    bool has_time;
    uint32_t ts_sec, ts_usec; /* the agent's capture time */
    uint32_t capture_id;
    bool compressed;  /* the payload is a compressed-payload chunk (0x0010) */
    sl_slice payload; /* the captured message */
} sl_hep;

/* True when data starts with the HEPv3 magic "HEP3" (a strong probe on any port). */
bool sl_hep3_probe(sl_slice data);

/* True when data starts like a HEPv1/v2 header: version 1 or 2 and a header
 * length that matches the address family. Weak: used on the HEP port only. */
bool sl_hep2_probe(sl_slice data);

/* A HEPv3 packet (its chunks: vendor, type, length >= 6, each checked; vendor
 * chunks and unknown types are skipped) or a HEPv1/v2 one (fixed header, then
 * the payload). SL_OK when the family, both addresses of that family and a
 * payload (plain or compressed) are present (absent ports are 0); SL_TRUNCATED
 * when the data ends before the stated length; SL_INVALID otherwise. */
sl_status sl_hep_decode(sl_slice data, sl_hep *h, sl_anomaly *an);

#endif
