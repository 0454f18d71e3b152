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

enum { SL_VXLAN_PORT = 4789 };

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

#endif
