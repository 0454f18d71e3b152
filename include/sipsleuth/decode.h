/* Frame decoding: link layer → (tunnels) → innermost IP → UDP/TCP/SCTP.
 * Pure: no allocation, no I/O, no state between calls. */
#ifndef SIPSLEUTH_DECODE_H
#define SIPSLEUTH_DECODE_H

#include "sipsleuth/anomaly.h"
#include "sipsleuth/packet.h"

typedef enum sl_decode_result {
    SL_DECODE_SKIP,     /* not IP, or an IP protocol we do not analyse */
    SL_DECODE_UDP,      /* pkt->payload is a UDP payload */
    SL_DECODE_TCP,      /* pkt->payload is a TCP segment's payload, pkt->tcp set */
    SL_DECODE_SCTP,     /* pkt->payload is an SCTP packet's chunks (sipsleuth/sctp.h) */
    SL_DECODE_FRAGMENT, /* pkt->frag and pkt->ip_payload describe an IP fragment */
    SL_DECODE_ERROR,    /* malformed; the anomaly says what and where */
} sl_decode_result;

/* True when sipsleuth can decode this libpcap DLT_ value. */
bool sl_decode_link_supported(int dlt);

/* Decodes one frame of link type `dlt` (a libpcap DLT_ value). `caplen` bytes
 * are present. On SL_DECODE_ERROR `an` names the problem; on success `an` may
 * still name a finding the decoder worked around (e.g. a UDP length beyond
 * the IP datagram: the payload is then bounded by IP). pkt is zeroed first. */
sl_decode_result sl_decode_frame(int dlt, const uint8_t *frame, size_t caplen, sl_packet *pkt,
                                 sl_anomaly *an);

/* Decodes what follows an IP header whose protocol is `ip_proto`: used for a
 * datagram rebuilt from fragments. Keeps pkt's outer layers and addresses. */
sl_decode_result sl_decode_ip_payload(uint8_t ip_proto, sl_slice data, bool truncated,
                                      sl_packet *pkt, sl_anomaly *an);

/* Decodes a HEP packet that a TCP stream carried from pkt->src (the agent) to
 * pkt->dst (the collector), as a HEP datagram is: SL_DECODE_UDP with the
 * original flow, SL_DECODE_SKIP (pkt->note) or SL_DECODE_ERROR. Keeps pkt's
 * outer layers. */
sl_decode_result sl_decode_hep(sl_slice data, sl_packet *pkt, sl_anomaly *an);

#endif
