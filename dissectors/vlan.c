#include "sipsleuth/layers.h"
#include "sipsleuth/reader.h"

sl_status sl_vlan_decode(sl_slice *data, uint16_t *type, sl_packet *pkt, sl_anomaly *an)
{
    sl_reader r = sl_reader_make(data->ptr, data->len);
    uint16_t tci, t;
    /* Each tag consumes 4 bytes, so the loop ends with the data. */
    do {
        size_t at = r.off;
        if (!sl_rd_be16(&r, &tci) || !sl_rd_be16(&r, &t)) {
            sl_anomaly_set(an, SL_ANOM_VLAN_TRUNCATED, at);
            return SL_TRUNCATED;
        }
        if (pkt->n_vlan < SL_MAX_VLAN)
            pkt->vlan[pkt->n_vlan++] = tci & 0x0fff;
    } while (sl_ethertype_is_vlan(t));
    *type = t >= 0x0600 ? t : 0;
    *data = sl_rd_rest(&r);
    return SL_OK;
}
