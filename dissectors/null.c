#include "sipsleuth/layers.h"
#include "sipsleuth/reader.h"

sl_status sl_null_decode(sl_slice *data, uint16_t *type, sl_anomaly *an)
{
    sl_reader r = sl_reader_make(data->ptr, data->len);
    uint32_t af;
    if (!sl_rd_be32(&r, &af)) {
        sl_anomaly_set(an, SL_ANOM_NULL_TRUNCATED, 0);
        return SL_TRUNCATED;
    }
    /* DLT_NULL is in the capturing host's byte order, DLT_LOOP in network
     * order. Address families are small, so a value with the low 16 bits
     * clear was written little-endian. */
    if ((af & 0xffff) == 0)
        af = ((af >> 24) & 0xff) | ((af >> 8) & 0xff00);
    switch (af) {
    case 2: *type = SL_ETH_IPV4; break;
    /* AF_INET6 differs by OS: Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, macOS 30 */
    case 10:
    case 24:
    case 28:
    case 30: *type = SL_ETH_IPV6; break;
    default: *type = 0; break;
    }
    *data = sl_rd_rest(&r);
    return SL_OK;
}
