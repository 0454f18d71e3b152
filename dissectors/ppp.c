#include "sipsleuth/layers.h"
#include "sipsleuth/reader.h"

enum { PPP_IPV4 = 0x0021, PPP_IPV6 = 0x0057 };

sl_status sl_ppp_decode(sl_slice *data, uint16_t *type, sl_anomaly *an)
{
    sl_reader r = sl_reader_make(data->ptr, data->len);
    uint8_t hi, lo;
    if (!sl_rd_u8(&r, &hi))
        goto truncated;
    /* The address/control bytes FF 03 may be left out (ACFC); FF starts no
     * protocol number, so it always announces them. */
    if (hi == 0xff) {
        if (!sl_rd_u8(&r, &lo))
            goto truncated;
        if (lo != 0x03) {
            *type = 0;
            return SL_OK;
        }
        if (!sl_rd_u8(&r, &hi))
            goto truncated;
    }
    uint16_t proto = hi;
    /* A protocol number is odd in its low byte: an odd first byte is a
     * compressed one-byte protocol field (PFC). */
    if (!(hi & 1)) {
        if (!sl_rd_u8(&r, &lo))
            goto truncated;
        proto = (uint16_t)(hi << 8 | lo);
    }
    *type = proto == PPP_IPV4 ? SL_ETH_IPV4 : proto == PPP_IPV6 ? SL_ETH_IPV6 : 0;
    *data = sl_rd_rest(&r);
    return SL_OK;

truncated:
    sl_anomaly_set(an, SL_ANOM_PPP_TRUNCATED, r.off);
    return SL_TRUNCATED;
}
