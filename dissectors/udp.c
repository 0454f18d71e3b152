#include "sipsleuth/layers.h"
#include "sipsleuth/reader.h"

sl_status sl_udp_decode(sl_slice data, size_t stated, sl_packet *pkt, sl_anomaly *an)
{
    sl_reader r = sl_reader_make(data.ptr, data.len);
    uint16_t len;
    if (stated < 8) {
        sl_anomaly_set(an, SL_ANOM_UDP_TOO_SHORT, 0);
        return SL_INVALID;
    }
    if (!sl_rd_be16(&r, &pkt->sport) || !sl_rd_be16(&r, &pkt->dport) || !sl_rd_be16(&r, &len) ||
        !sl_rd_skip(&r, 2)) {
        sl_anomaly_set(an, SL_ANOM_UDP_TRUNCATED, r.off);
        return SL_TRUNCATED;
    }
    if (len < 8) {
        sl_anomaly_set(an, SL_ANOM_UDP_BAD_LENGTH, 4);
        return SL_INVALID;
    }
    sl_slice rest = sl_rd_rest(&r);
    if (len > stated) {
        /* A finding, not a failure: the bytes IP carries are still worth
         * dissecting (as tshark does); the datagram is bounded by IP. */
        sl_anomaly_set(an, SL_ANOM_UDP_LENGTH_EXCEEDS_IP, 4);
        len = (uint16_t)stated;
    }
    if (rest.len < (size_t)len - 8)
        pkt->truncated = true;
    else
        rest.len = (size_t)len - 8; /* IP may carry bytes after the datagram */
    pkt->payload = rest;
    return SL_OK;
}
