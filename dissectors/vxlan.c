#include "sipsleuth/layers.h"
#include "sipsleuth/reader.h"

bool sl_vxlan_decode(sl_slice *data, uint32_t *vni)
{
    sl_reader r = sl_reader_make(data->ptr, data->len);
    uint32_t w0, w1;
    if (!sl_rd_be32(&r, &w0) || !sl_rd_be32(&r, &w1))
        return false;
    /* Flags R R R R I R R R then 24 reserved bits (RFC 7348), except that the
     * Group Policy extension sets the top flag bit and uses those 24 bits.
     * The strictness keeps text (a SIP message on port 4789) from passing. */
    uint32_t flags = w0 >> 24;
    if (!(flags == 0x08 && (w0 & 0x00ffffff) == 0) && flags != 0x88)
        return false;
    if ((w1 & 0xff) != 0)
        return false;
    *vni = w1 >> 8;
    *data = sl_rd_rest(&r);
    return true;
}
