#include "sipsleuth/layers.h"
#include "sipsleuth/reader.h"

/* Both types start with version(4) VLAN(12), then COS(3) BSO/EN(2) T(1)
 * session id(10). Type II (version 1) then has reserved(12) index(20): 8
 * bytes. Type III (version 2) has a 32-bit timestamp, then SGT(16) P(1)
 * FT(5) HW id(6) D(1) Gra(2) O(1): 12 bytes, plus an 8-byte platform
 * subheader when O is set. */
static sl_status erspan_header(sl_reader *r, unsigned version, uint32_t *session, sl_anomaly *an)
{
    uint16_t ver_vlan, sess;
    if (!sl_rd_be16(r, &ver_vlan) || !sl_rd_be16(r, &sess) || !sl_rd_skip(r, 4)) {
        sl_anomaly_set(an, SL_ANOM_ERSPAN_TRUNCATED, r->off);
        return SL_TRUNCATED;
    }
    if (ver_vlan >> 12 != version) {
        sl_anomaly_set(an, SL_ANOM_ERSPAN_BAD_VERSION, 0);
        return SL_INVALID;
    }
    *session = sess & 0x03ff;
    return SL_OK;
}

sl_status sl_erspan2_decode(sl_slice *data, uint32_t *session, uint16_t *type, sl_anomaly *an)
{
    sl_reader r = sl_reader_make(data->ptr, data->len);
    sl_status st = erspan_header(&r, 1, session, an);
    if (st != SL_OK)
        return st;
    *type = SL_ETH_TEB;
    *data = sl_rd_rest(&r);
    return SL_OK;
}

sl_status sl_erspan3_decode(sl_slice *data, uint32_t *session, uint16_t *type, sl_anomaly *an)
{
    sl_reader r = sl_reader_make(data->ptr, data->len);
    sl_status st = erspan_header(&r, 2, session, an);
    if (st != SL_OK)
        return st;
    uint16_t bits;
    if (!sl_rd_skip(&r, 2) || !sl_rd_be16(&r, &bits) || ((bits & 1) && !sl_rd_skip(&r, 8)))
        goto truncated;
    *data = sl_rd_rest(&r);
    switch ((bits >> 10) & 0x1f) { /* frame type */
    case 0: *type = SL_ETH_TEB; break;
    case 2:
        if (data->len == 0) /* nothing to tell IPv4 from IPv6 by */
            goto truncated;
        *type = sl_guess_ip(*data);
        break;
    default: *type = 0; break;
    }
    return SL_OK;

truncated:
    sl_anomaly_set(an, SL_ANOM_ERSPAN_TRUNCATED, r.off);
    return SL_TRUNCATED;
}
