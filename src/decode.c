/* Frame decoding: a dispatch over link types, then over EtherTypes and IP
 * protocols into the per-layer dissectors. Tunnels recurse; each tunnel
 * counts towards MAX_DEPTH, which bounds the recursion. */
#include "sipsleuth/decode.h"

#include "sipsleuth/layers.h"

/* libpcap DLT_ values, spelled out because <pcap/dlt.h> defines DLT_RAW
 * differently per OS and we accept both. */
enum {
    LINK_NULL = 0,
    LINK_EN10MB = 1,
    LINK_PPP = 9,
    LINK_PPP_SERIAL = 50, /* PPP in HDLC-like framing */
    LINK_C_HDLC = 104,    /* Cisco HDLC */
    LINK_RAW = 12,
    LINK_RAW_OPENBSD = 14,
    LINK_RAW_PCAP = 101, /* LINKTYPE_RAW, as stored in files */
    LINK_LOOP = 108,
    LINK_LINUX_SLL = 113,
    LINK_IPV4 = 228,
    LINK_IPV6 = 229,
    LINK_LINUX_SLL2 = 276,
};

/* Tunnels one frame may nest; more is reported as "decode_too_deep". */
enum { MAX_DEPTH = 8 };

typedef struct dec {
    sl_packet *pkt;
    sl_anomaly *an;
    unsigned depth;
} dec;

static sl_decode_result decode_ip(dec *d, uint16_t type, sl_slice data);

bool sl_decode_link_supported(int dlt)
{
    switch (dlt) {
    case LINK_NULL:
    case LINK_EN10MB:
    case LINK_PPP:
    case LINK_PPP_SERIAL:
    case LINK_C_HDLC:
    case LINK_RAW:
    case LINK_RAW_OPENBSD:
    case LINK_RAW_PCAP:
    case LINK_LOOP:
    case LINK_LINUX_SLL:
    case LINK_IPV4:
    case LINK_IPV6:
    case LINK_LINUX_SLL2: return true;
    default: return false;
    }
}

/* Records a tunnel whose outer addresses are the IP header decoded last. */
static bool enter_tunnel(dec *d, sl_tunnel_kind kind, uint32_t id, uint8_t version)
{
    if (++d->depth > MAX_DEPTH) {
        sl_anomaly_set(d->an, SL_ANOM_DECODE_TOO_DEEP, 0);
        return false;
    }
    sl_packet *p = d->pkt;
    if (p->n_tunnels < SL_MAX_TUNNELS) {
        sl_tunnel *t = &p->tunnels[p->n_tunnels++];
        t->kind = kind;
        t->outer_src = p->src;
        t->outer_dst = p->dst;
        t->id = id;
        t->version = version;
    }
    return true;
}

/* NOLINTBEGIN(misc-no-recursion): every tunnel goes through enter_tunnel(), which stops at
 * MAX_DEPTH, so the recursion is bounded. */
/* Optional VLAN tags, an optional PPPoE session, an optional MPLS stack,
 * then IP. None can lead back to an earlier one, so this runs straight through. */
static sl_decode_result decode_ethertype(dec *d, uint16_t type, sl_slice data)
{
    if (sl_ethertype_is_vlan(type) && sl_vlan_decode(&data, &type, d->pkt, d->an) != SL_OK)
        return SL_DECODE_ERROR;
    if (type == SL_ETH_PPPOE && sl_pppoe_decode(&data, &type, d->an) != SL_OK)
        return SL_DECODE_ERROR;
    if ((type == SL_ETH_MPLS || type == SL_ETH_MPLS_MC) &&
        sl_mpls_decode(&data, &type, d->pkt, d->an) != SL_OK)
        return SL_DECODE_ERROR;
    if (type == SL_ETH_IPV4 || type == SL_ETH_IPV6)
        return decode_ip(d, type, data);
    return SL_DECODE_SKIP;
}

/* What a tunnel carries: an Ethernet frame (SL_ETH_TEB) or an EtherType payload. */
static sl_decode_result decode_tunneled(dec *d, uint16_t type, sl_slice data)
{
    if (type == SL_ETH_TEB && sl_eth_decode(&data, &type, d->an) != SL_OK)
        return SL_DECODE_ERROR;
    return decode_ethertype(d, type, data);
}

static sl_decode_result decode_gre(dec *d, sl_slice data)
{
    sl_gre gre;
    if (sl_gre_decode(&data, &gre, d->an) != SL_OK)
        return SL_DECODE_ERROR;
    sl_tunnel_kind kind = SL_TUNNEL_GRE;
    uint32_t id = gre.key;
    uint16_t type = gre.proto;
    sl_status st = SL_OK;
    switch (gre.proto) {
    case SL_ETH_ERSPAN2:
        /* Without a GRE sequence number it is ERSPAN type I, which has no
         * header to tell it from junk; not decoded. */
        if (!gre.has_seq)
            return SL_DECODE_SKIP;
        kind = SL_TUNNEL_ERSPAN2;
        st = sl_erspan2_decode(&data, &id, &type, d->an);
        break;
    case SL_ETH_ERSPAN3:
        kind = SL_TUNNEL_ERSPAN3;
        st = sl_erspan3_decode(&data, &id, &type, d->an);
        break;
    case SL_ETH_PPP: st = sl_ppp_decode(&data, &type, d->an); break;
    default: break;
    }
    if (st != SL_OK || !enter_tunnel(d, kind, id, 0))
        return SL_DECODE_ERROR;
    return decode_tunneled(d, type, data);
}

/* A tunnel over UDP: the inner packet of EtherType `type` is decoded; when
 * that fails and `fallback` is set, the datagram stays plain UDP (SIP may use
 * any port) and the inner decoder's finding is dropped. */
static sl_decode_result udp_tunnel(dec *d, sl_tunnel_kind kind, uint32_t id, uint16_t type,
                                   sl_slice inner, bool fallback)
{
    sl_packet *pkt = d->pkt;
    sl_packet saved = *pkt;
    unsigned depth = d->depth;
    if (enter_tunnel(d, kind, id, 0)) {
        sl_decode_result r = decode_tunneled(d, type, inner);
        if (r != SL_DECODE_ERROR || !fallback)
            return r;
    } else if (!fallback) {
        return SL_DECODE_ERROR;
    }
    *pkt = saved;
    d->depth = depth;
    if (d->an)
        *d->an = (sl_anomaly){0};
    return SL_DECODE_UDP;
}

static bool on_port(const sl_packet *pkt, uint16_t port)
{
    return pkt->sport == port || pkt->dport == port;
}

/* GTPv1-U. On its port every GTPv1 message is taken: a G-PDU's inner IP
 * packet is decoded, other messages are counted (pkt->note). On other ports
 * only what cannot be SIP or RTP text: a G-PDU whose length is exactly the
 * datagram's, whose header parses and whose inner IP packet decodes. */
static sl_decode_result decode_gtpu(dec *d, sl_slice data)
{
    sl_packet *pkt = d->pkt;
    bool port = on_port(pkt, SL_GTPU_PORT);
    if (!port && (pkt->truncated || data.len < 8 || data.ptr[1] != SL_GTP_GPDU ||
                  ((size_t)data.ptr[2] << 8 | data.ptr[3]) + 8 != data.len))
        return SL_DECODE_UDP;
    sl_gtpu g;
    sl_anomaly an = {0};
    sl_status st = sl_gtpu_decode(&data, &g, &an);
    if (st == SL_OK && g.cut && !pkt->truncated) {
        st = SL_INVALID; /* longer than the UDP datagram that carries it */
        sl_anomaly_set(&an, SL_ANOM_GTPU_BAD_LENGTH, 2);
    }
    uint16_t type = st == SL_OK ? sl_guess_ip(data) : 0;
    if (!port && type == 0)
        return SL_DECODE_UDP;
    if (g.msg_type != SL_GTP_GPDU) {
        pkt->note = SL_NOTE_GTP_OTHER;
        return SL_DECODE_SKIP;
    }
    if (st != SL_OK) {
        if (d->an && !d->an->kind)
            *d->an = an;
        return SL_DECODE_ERROR;
    }
    if (type == 0 && g.cut && data.len == 0) { /* the capture ends at the T-PDU */
        sl_anomaly_set(d->an, SL_ANOM_GTPU_TRUNCATED, 8);
        return SL_DECODE_ERROR;
    }
    if (type == 0) { /* no T-PDU, or an Ethernet / unstructured PDU session */
        pkt->note = SL_NOTE_GTP_OTHER;
        return SL_DECODE_SKIP;
    }
    return udp_tunnel(d, SL_TUNNEL_GTPU, g.teid, type, data, !port);
}

/* HEP: the original packet's addresses, ports, payload and time replace the
 * datagram's; the datagram's addresses (agent, collector) are the `encap`. */
static sl_decode_result decode_hep(dec *d, sl_slice data)
{
    sl_packet *pkt = d->pkt;
    sl_hep h;
    if (sl_hep_decode(data, &h, d->an) != SL_OK)
        return SL_DECODE_ERROR;
    if (h.compressed || h.proto_type != SL_HEP_PROTO_SIP) {
        pkt->note = h.compressed ? SL_NOTE_HEP_COMPRESSED : SL_NOTE_HEP_NOT_SIP;
        return SL_DECODE_SKIP;
    }
    if (!enter_tunnel(d, SL_TUNNEL_HEP, h.capture_id, h.version))
        return SL_DECODE_ERROR;
    pkt->from_hep = true;
    pkt->src = h.src;
    pkt->dst = h.dst;
    pkt->sport = h.sport;
    pkt->dport = h.dport;
    /* The flow is UDP or TCP (what sipsleuth analyses): SCTP and the rest count as UDP. */
    pkt->ip_proto = h.ip_proto == SL_IPPROTO_TCP ? SL_IPPROTO_TCP : SL_IPPROTO_UDP;
    pkt->payload = h.payload;
    pkt->origin_ts = h.has_time ? (int64_t)h.ts_sec * 1000000000 + (int64_t)h.ts_usec * 1000 : 0;
    return SL_DECODE_UDP;
}

/* Tunnels over UDP are taken only when their header is valid (VXLAN, GTP-U
 * off its port: and the inner frame decodes); otherwise the datagram stays
 * plain UDP, as SIP may use any port. */
static sl_decode_result decode_udp(dec *d, sl_slice data, size_t stated)
{
    sl_packet *pkt = d->pkt;
    if (sl_udp_decode(data, stated, pkt, d->an) != SL_OK)
        return SL_DECODE_ERROR;
    sl_slice inner = pkt->payload;
    uint32_t vni;
    if (pkt->dport == SL_VXLAN_PORT && sl_vxlan_decode(&inner, &vni))
        return udp_tunnel(d, SL_TUNNEL_VXLAN, vni, SL_ETH_TEB, inner, true);
    if (sl_gtpv1_probe(inner)) {
        if (on_port(pkt, SL_GTPC_PORT) &&
            ((size_t)inner.ptr[2] << 8 | inner.ptr[3]) + 8 == inner.len) {
            pkt->note = SL_NOTE_GTP_OTHER; /* GTPv1-C */
            return SL_DECODE_SKIP;
        }
        return decode_gtpu(d, inner);
    }
    if (on_port(pkt, SL_GTPC_PORT) && sl_gtpv2c_probe(inner)) {
        pkt->note = SL_NOTE_GTPV2C;
        return SL_DECODE_SKIP;
    }
    if (sl_hep3_probe(inner) || (on_port(pkt, SL_HEP_PORT) && sl_hep2_probe(inner)))
        return decode_hep(d, inner);
    return SL_DECODE_UDP;
}

static sl_decode_result decode_ip_proto(dec *d, uint8_t proto, sl_slice data, size_t stated)
{
    switch (proto) {
    case SL_IPPROTO_UDP: return decode_udp(d, data, stated);
    case SL_IPPROTO_TCP:
        return sl_tcp_decode(data, stated, d->pkt, d->an) == SL_OK ? SL_DECODE_TCP
                                                                   : SL_DECODE_ERROR;
    case SL_IPPROTO_SCTP:
        return sl_sctp_decode(data, stated, d->pkt, d->an) == SL_OK ? SL_DECODE_SCTP
                                                                    : SL_DECODE_ERROR;
    case SL_IPPROTO_IPIP:
    case SL_IPPROTO_IPV6:
        if (!enter_tunnel(d, SL_TUNNEL_IPIP, 0, 0))
            return SL_DECODE_ERROR;
        return decode_ip(d, proto == SL_IPPROTO_IPIP ? SL_ETH_IPV4 : SL_ETH_IPV6, data);
    case SL_IPPROTO_GRE: return decode_gre(d, data);
    default: return SL_DECODE_SKIP;
    }
}

static sl_decode_result decode_ip(dec *d, uint16_t type, sl_slice data)
{
    size_t stated;
    sl_status st = type == SL_ETH_IPV4 ? sl_ipv4_decode(&data, &stated, d->pkt, d->an)
                                       : sl_ipv6_decode(&data, &stated, d->pkt, d->an);
    if (st != SL_OK)
        return SL_DECODE_ERROR;
    if (d->pkt->frag.is_fragment)
        return SL_DECODE_FRAGMENT;
    return decode_ip_proto(d, d->pkt->ip_proto, data, stated);
}
/* NOLINTEND(misc-no-recursion) */

sl_decode_result sl_decode_frame(int dlt, const uint8_t *frame, size_t caplen, sl_packet *pkt,
                                 sl_anomaly *an)
{
    memset(pkt, 0, sizeof *pkt);
    if (an)
        *an = (sl_anomaly){0};
    dec d = {pkt, an, 0};
    sl_slice data = sl_slice_make(frame, caplen);
    uint16_t type;
    sl_status st;
    switch (dlt) {
    case LINK_EN10MB: st = sl_eth_decode(&data, &type, an); break;
    case LINK_NULL:
    case LINK_LOOP: st = sl_null_decode(&data, &type, an); break;
    case LINK_LINUX_SLL: st = sl_sll_decode(&data, &type, an); break;
    case LINK_LINUX_SLL2: st = sl_sll2_decode(&data, &type, an); break;
    case LINK_PPP:
    case LINK_PPP_SERIAL: st = sl_ppp_decode(&data, &type, an); break;
    case LINK_C_HDLC: st = sl_chdlc_decode(&data, &type, an); break;
    case LINK_RAW:
    case LINK_RAW_OPENBSD:
    case LINK_RAW_PCAP:
        type = sl_guess_ip(data);
        if (type == 0) {
            sl_anomaly_set(an, caplen ? SL_ANOM_RAW_BAD_VERSION : SL_ANOM_RAW_TRUNCATED, 0);
            return SL_DECODE_ERROR;
        }
        return decode_ip(&d, type, data);
    case LINK_IPV4: return decode_ip(&d, SL_ETH_IPV4, data);
    case LINK_IPV6: return decode_ip(&d, SL_ETH_IPV6, data);
    default: return SL_DECODE_SKIP;
    }
    if (st != SL_OK)
        return SL_DECODE_ERROR;
    return decode_ethertype(&d, type, data);
}

sl_decode_result sl_decode_ip_payload(uint8_t ip_proto, sl_slice data, bool truncated,
                                      sl_packet *pkt, sl_anomaly *an)
{
    if (an)
        *an = (sl_anomaly){0};
    dec d = {pkt, an, pkt->n_tunnels};
    pkt->frag = (sl_ip_frag){0};
    pkt->sport = pkt->dport = 0;
    pkt->tcp = (sl_tcp_info){0};
    pkt->payload = sl_slice_make(NULL, 0);
    pkt->truncated = truncated;
    /* When the datagram is incomplete its full length is unknown, so the L4
     * length checks against it are skipped. */
    size_t stated = truncated ? SIZE_MAX : data.len;
    if (pkt->src.family == 6 && sl_ipv6_is_ext(ip_proto)) {
        if (sl_ipv6_ext_walk(&ip_proto, &data, &stated, 0, &pkt->frag, an) != SL_OK)
            return SL_DECODE_ERROR;
    }
    pkt->ip_proto = ip_proto;
    pkt->ip_payload = data;
    if (pkt->frag.is_fragment)
        return SL_DECODE_FRAGMENT;
    return decode_ip_proto(&d, ip_proto, data, stated);
}

sl_decode_result sl_decode_hep(sl_slice data, sl_packet *pkt, sl_anomaly *an)
{
    if (an)
        *an = (sl_anomaly){0};
    dec d = {pkt, an, pkt->n_tunnels};
    pkt->frag = (sl_ip_frag){0};
    pkt->tcp = (sl_tcp_info){0};
    pkt->truncated = false;
    pkt->note = SL_NOTE_NONE;
    return decode_hep(&d, data);
}
