/* The 5-tuple an event is about, and the outer layers it came in. */
#ifndef SIPSLEUTH_FLOW_H
#define SIPSLEUTH_FLOW_H

#include "sipsleuth/packet.h"

#include <stdbool.h>

/* Events about long-lived state (a dialog) copy the 5-tuple and leave
 * `outer` NULL. */
typedef struct sl_flow {
    sl_addr src, dst;
    uint16_t sport, dport;
    uint8_t proto;          /* SL_IPPROTO_UDP / _TCP / _SCTP; 0 = no flow */
    bool tls;               /* TCP carrying TLS: written as proto "TLS"; hashed as TCP */
    const sl_packet *outer; /* VLAN / MPLS / tunnel layers to record, or NULL */
} sl_flow;

sl_flow sl_flow_from_packet(const sl_packet *pkt, uint8_t proto);

#endif
