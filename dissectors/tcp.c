#include "sipsleuth/layers.h"
#include "sipsleuth/reader.h"

sl_status sl_tcp_decode(sl_slice data, size_t stated, sl_packet *pkt, sl_anomaly *an)
{
    sl_reader r = sl_reader_make(data.ptr, data.len);
    uint8_t doff;
    if (stated < 20) {
        sl_anomaly_set(an, SL_ANOM_TCP_TOO_SHORT, 0);
        return SL_INVALID;
    }
    if (!sl_rd_be16(&r, &pkt->sport) || !sl_rd_be16(&r, &pkt->dport) ||
        !sl_rd_be32(&r, &pkt->tcp.seq) || !sl_rd_be32(&r, &pkt->tcp.ack) || !sl_rd_u8(&r, &doff) ||
        !sl_rd_u8(&r, &pkt->tcp.flags) || !sl_rd_skip(&r, 6)) {
        sl_anomaly_set(an, SL_ANOM_TCP_TRUNCATED, r.off);
        return SL_TRUNCATED;
    }
    size_t hlen = (size_t)(doff >> 4) * 4;
    if (hlen < 20 || hlen > stated) {
        sl_anomaly_set(an, SL_ANOM_TCP_BAD_DATA_OFFSET, 12);
        return SL_INVALID;
    }
    if (!sl_rd_skip(&r, hlen - 20)) { /* options are not needed */
        sl_anomaly_set(an, SL_ANOM_TCP_TRUNCATED, r.off);
        return SL_TRUNCATED;
    }
    pkt->payload = sl_rd_rest(&r);
    /* stated is IP's length unless IP itself was incomplete (SIZE_MAX) */
    if (stated != SIZE_MAX && stated - hlen > pkt->payload.len && stated - hlen <= UINT32_MAX)
        pkt->tcp.cut = (uint32_t)(stated - hlen - pkt->payload.len);
    return SL_OK;
}
