#include "sipsleuth/layers.h"
#include "sipsleuth/reader.h"

enum {
    GRE_CSUM = 0x8000,
    GRE_ROUTING = 0x4000, /* RFC 1701 source routing */
    GRE_KEY = 0x2000,
    GRE_SEQ = 0x1000,
    GRE_STRICT = 0x0800, /* RFC 1701 strict source route */
    GRE_ACK = 0x0080,    /* enhanced GRE (version 1): acknowledgment number present */
    GRE_VERSION = 0x0007,
};

sl_status sl_gre_decode(sl_slice *data, sl_gre *gre, sl_anomaly *an)
{
    sl_reader r = sl_reader_make(data->ptr, data->len);
    uint16_t flags;
    if (!sl_rd_be16(&r, &flags) || !sl_rd_be16(&r, &gre->proto))
        goto truncated;
    gre->has_key = (flags & GRE_KEY) != 0;
    gre->has_seq = (flags & GRE_SEQ) != 0;
    gre->key = 0;
    if ((flags & GRE_CSUM) && !sl_rd_skip(&r, 4)) /* checksum + reserved1 */
        goto truncated;
    if (gre->has_key && !sl_rd_be32(&r, &gre->key))
        goto truncated;
    if (gre->has_seq && !sl_rd_skip(&r, 4))
        goto truncated;
    unsigned version = flags & GRE_VERSION;
    if (version == 1) {
        /* PPTP's enhanced GRE (RFC 2637): the key holds payload length and
         * call id; an acknowledgment number may follow; PPP inside. */
        if ((flags & GRE_ACK) && !sl_rd_skip(&r, 4))
            goto truncated;
        gre->key &= 0xffff; /* the call id */
        if (gre->proto != SL_ETH_PPP)
            gre->proto = 0;
    }
    /* Source routing is obsolete, later versions unknown: RFC 2784 says discard. */
    if (version > 1 || (flags & (GRE_ROUTING | GRE_STRICT)) != 0)
        gre->proto = 0;
    *data = sl_rd_rest(&r);
    return SL_OK;

truncated:
    sl_anomaly_set(an, SL_ANOM_GRE_TRUNCATED, r.off);
    return SL_TRUNCATED;
}
