#include "sipsleuth/layers.h"
#include "sipsleuth/reader.h"

sl_status sl_mpls_decode(sl_slice *data, uint16_t *type, sl_packet *pkt, sl_anomaly *an)
{
    sl_reader r = sl_reader_make(data->ptr, data->len);
    uint32_t entry;
    /* Each entry consumes 4 bytes, so the loop ends with the data. */
    do {
        size_t at = r.off;
        if (!sl_rd_be32(&r, &entry)) {
            sl_anomaly_set(an, SL_ANOM_MPLS_TRUNCATED, at);
            return SL_TRUNCATED;
        }
        if (pkt->n_mpls < SL_MAX_MPLS)
            pkt->mpls[pkt->n_mpls++] = entry >> 12;
    } while (!(entry & 0x100));
    *data = sl_rd_rest(&r);
    if (data->len == 0) {
        sl_anomaly_set(an, SL_ANOM_MPLS_TRUNCATED, r.off);
        return SL_TRUNCATED;
    }
    /* No protocol field: IP is told apart from pseudowires by its first nibble. */
    *type = sl_guess_ip(*data);
    return SL_OK;
}
