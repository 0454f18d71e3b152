#include "sipsleuth/layers.h"
#include "sipsleuth/reader.h"

sl_status sl_eth_decode(sl_slice *data, uint16_t *type, sl_anomaly *an)
{
    sl_reader r = sl_reader_make(data->ptr, data->len);
    uint16_t t;
    if (!sl_rd_skip(&r, 12) || !sl_rd_be16(&r, &t)) {
        sl_anomaly_set(an, SL_ANOM_ETH_TRUNCATED, 0);
        return SL_TRUNCATED;
    }
    /* Values up to 1500 are an 802.3 length (LLC follows); 1501-1535 are undefined. */
    *type = t >= 0x0600 ? t : 0;
    *data = sl_rd_rest(&r);
    return SL_OK;
}
