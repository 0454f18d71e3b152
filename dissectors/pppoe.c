#include "sipsleuth/layers.h"
#include "sipsleuth/reader.h"

sl_status sl_pppoe_decode(sl_slice *data, uint16_t *type, sl_anomaly *an)
{
    sl_reader r = sl_reader_make(data->ptr, data->len);
    uint8_t ver_type, code;
    uint16_t session, length;
    if (!sl_rd_u8(&r, &ver_type) || !sl_rd_u8(&r, &code) || !sl_rd_be16(&r, &session) ||
        !sl_rd_be16(&r, &length)) {
        sl_anomaly_set(an, SL_ANOM_PPPOE_TRUNCATED, r.off);
        return SL_TRUNCATED;
    }
    (void)session;
    if (ver_type != 0x11 || code != 0x00) { /* only session data carries IP */
        *type = 0;
        return SL_OK;
    }
    sl_slice ppp = sl_rd_rest(&r);
    if (length < ppp.len)
        ppp.len = length; /* trims Ethernet padding; a shorter capture is truncation */
    sl_status st = sl_ppp_decode(&ppp, type, an);
    if (st == SL_OK)
        *data = ppp;
    return st;
}
