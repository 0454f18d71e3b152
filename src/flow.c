#include "sipsleuth/flow.h"

sl_flow sl_flow_from_packet(const sl_packet *pkt, uint8_t proto)
{
    sl_flow f = {.src = pkt->src,
                 .dst = pkt->dst,
                 .sport = pkt->sport,
                 .dport = pkt->dport,
                 .proto = proto,
                 .outer = pkt};
    return f;
}
