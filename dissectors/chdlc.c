#include "sipsleuth/layers.h"
#include "sipsleuth/reader.h"

sl_status sl_chdlc_decode(sl_slice *data, uint16_t *type, sl_anomaly *an)
{
    sl_reader r = sl_reader_make(data->ptr, data->len);
    uint8_t address, control;
    if (!sl_rd_u8(&r, &address) || !sl_rd_u8(&r, &control) || !sl_rd_be16(&r, type)) {
        sl_anomaly_set(an, SL_ANOM_CHDLC_TRUNCATED, r.off);
        return SL_TRUNCATED;
    }
    /* 0x0f unicast, 0x8f broadcast; the protocol field is an EtherType */
    if (address != 0x0f && address != 0x8f)
        *type = 0;
    *data = sl_rd_rest(&r);
    return SL_OK;
}
