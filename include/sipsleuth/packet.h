/* What the decoders learn about one captured frame: the outer layers a user
 * may want to see (VLANs, tunnels), the innermost IP header, and the L4
 * payload. Slices point into the frame and live as long as it does. */
#ifndef SIPSLEUTH_PACKET_H
#define SIPSLEUTH_PACKET_H

#include "sipsleuth/slice.h"

#define SL_MAX_VLAN 8
#define SL_MAX_MPLS 8
#define SL_MAX_TUNNELS 4

enum { SL_IPPROTO_TCP = 6, SL_IPPROTO_UDP = 17, SL_IPPROTO_SCTP = 132 };

typedef struct sl_addr {
    uint8_t family; /* 4, 6, or 0 when unset */
    uint8_t bytes[16];
} sl_addr;

typedef enum sl_tunnel_kind {
    SL_TUNNEL_IPIP, /* IPv4 or IPv6 carried directly in IPv4/IPv6 */
    SL_TUNNEL_GRE,
    SL_TUNNEL_ERSPAN2,
    SL_TUNNEL_ERSPAN3,
    SL_TUNNEL_VXLAN,
    /* Encapsulations recorded as the event's `encap` object, not as `tunnel`: */
    SL_TUNNEL_GTPU, /* GTPv1-U G-PDU; id is the TEID */
    SL_TUNNEL_HEP,  /* HEP v2/v3 (HOMER); id is the capture agent id */
} sl_tunnel_kind;

typedef struct sl_tunnel {
    sl_tunnel_kind kind;
    sl_addr outer_src, outer_dst;
    uint32_t id;     /* GRE key, ERSPAN session id, VXLAN VNI, GTP TEID, HEP capture id; or 0 */
    uint8_t version; /* HEP: 2 or 3; 0 for the others */
} sl_tunnel;

/* Why a frame that decoded without error was not analysed, where a counter
 * rather than an anomaly says so (the pipeline counts these in stats.encap). */
typedef enum sl_decode_note {
    SL_NOTE_NONE,
    SL_NOTE_GTP_OTHER,      /* GTPv1 other than a G-PDU carrying IP (echo, end marker, GTPv1-C) */
    SL_NOTE_GTPV2C,         /* GTPv2-C on port 2123 */
    SL_NOTE_HEP_NOT_SIP,    /* HEP whose protocol type is not SIP (RTCP, logs, ...) */
    SL_NOTE_HEP_COMPRESSED, /* HEP with a compressed payload chunk: not supported */
} sl_decode_note;

typedef struct sl_ip_frag {
    bool is_fragment;
    bool more;       /* more fragments follow */
    uint32_t id;     /* IPv4 identification or IPv6 fragment id */
    uint32_t offset; /* in bytes */
} sl_ip_frag;

enum {
    SL_TCP_FIN = 0x01,
    SL_TCP_SYN = 0x02,
    SL_TCP_RST = 0x04,
    SL_TCP_PSH = 0x08,
    SL_TCP_ACK = 0x10
};

typedef struct sl_tcp_info {
    uint32_t seq, ack;
    uint8_t flags;
    uint32_t cut; /* payload bytes sent after the captured ones, cut by the snap length */
} sl_tcp_info;

typedef struct sl_packet {
    uint16_t vlan[SL_MAX_VLAN]; /* VLAN ids, outermost first */
    uint8_t n_vlan;
    uint32_t mpls[SL_MAX_MPLS]; /* MPLS labels, outermost first */
    uint8_t n_mpls;
    sl_tunnel tunnels[SL_MAX_TUNNELS]; /* outermost first */
    uint8_t n_tunnels;

    /* innermost IP header */
    sl_addr src, dst;
    uint8_t ip_proto;
    sl_ip_frag frag;
    sl_slice ip_payload; /* everything after the IP header(s), up to the IP length */

    /* L4 (UDP, TCP or SCTP) */
    uint16_t sport, dport;
    sl_tcp_info tcp;
    sl_slice payload; /* the UDP or TCP payload; SCTP: the chunks after the common header */
    bool truncated;   /* the capture cut the payload short of its stated length */

    /* HEP: the addresses, ports and payload above are the HEP chunks'; this is
     * the agent's capture time of the message (ns since the epoch), 0 if none. */
    bool from_hep;
    int64_t origin_ts;
    uint8_t note;   /* sl_decode_note */
    uint64_t frame; /* the pipeline's frame number (for --extract); 0: unknown */
} sl_packet;

#endif
