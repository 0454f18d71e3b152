#include "sipsleuth/layers.h"
#include "sipsleuth/reader.h"

enum { ARPHRD_NETLINK = 824 };

/* The protocol field holds an EtherType except for netlink captures and the
 * small values Linux uses for 802.3/802.2 frames without one. */
static uint16_t sll_type(uint16_t hatype, uint16_t proto)
{
    return (hatype != ARPHRD_NETLINK && proto >= 0x0600) ? proto : 0;
}

sl_status sl_sll_decode(sl_slice *data, uint16_t *type, sl_anomaly *an)
{
    /* packet type, ARPHRD type, address length, 8 address bytes, protocol */
    sl_reader r = sl_reader_make(data->ptr, data->len);
    uint16_t hatype, proto;
    if (!sl_rd_skip(&r, 2) || !sl_rd_be16(&r, &hatype) || !sl_rd_skip(&r, 10) ||
        !sl_rd_be16(&r, &proto)) {
        sl_anomaly_set(an, SL_ANOM_SLL_TRUNCATED, 0);
        return SL_TRUNCATED;
    }
    *type = sll_type(hatype, proto);
    *data = sl_rd_rest(&r);
    return SL_OK;
}

sl_status sl_sll2_decode(sl_slice *data, uint16_t *type, sl_anomaly *an)
{
    /* protocol, reserved, interface index, ARPHRD type, packet type,
     * address length, 8 address bytes */
    sl_reader r = sl_reader_make(data->ptr, data->len);
    uint16_t proto, hatype;
    if (!sl_rd_be16(&r, &proto) || !sl_rd_skip(&r, 6) || !sl_rd_be16(&r, &hatype) ||
        !sl_rd_skip(&r, 10)) {
        sl_anomaly_set(an, SL_ANOM_SLL2_TRUNCATED, 0);
        return SL_TRUNCATED;
    }
    *type = sll_type(hatype, proto);
    *data = sl_rd_rest(&r);
    return SL_OK;
}
