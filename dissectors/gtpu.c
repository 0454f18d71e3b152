/* GTPv1-U (3GPP TS 29.281) and the GTPv2-C probe (TS 29.274). */
#include "sipsleuth/layers.h"
#include "sipsleuth/reader.h"

enum {
    GTP_VERSION_SHIFT = 5,
    GTP_PT = 0x10,       /* protocol type: 1 GTP, 0 GTP' */
    GTP_RESERVED = 0x08, /* spare, sent as 0 */
    GTP_E = 0x04,        /* an extension header follows */
    GTP_S = 0x02,        /* sequence number present */
    GTP_PN = 0x01,       /* N-PDU number present */
    GTP_HEADER = 8,      /* the mandatory part; the length field counts what follows it */
};

bool sl_gtpv1_probe(sl_slice data)
{
    if (data.len < GTP_HEADER)
        return false;
    uint8_t f = data.ptr[0];
    return (f >> GTP_VERSION_SHIFT) == 1 && (f & GTP_PT) && !(f & GTP_RESERVED);
}

bool sl_gtpv2c_probe(sl_slice data)
{
    if (data.len < 8)
        return false;
    uint8_t f = data.ptr[0];
    /* Version, P (piggyback), T (TEID present), MP, two spare bits. */
    if ((f >> GTP_VERSION_SHIFT) != 2 || (f & 0x03) != 0)
        return false;
    size_t len = (size_t)data.ptr[2] << 8 | data.ptr[3];
    return len + 4 == data.len;
}

sl_status sl_gtpu_decode(sl_slice *data, sl_gtpu *g, sl_anomaly *an)
{
    *g = (sl_gtpu){0};
    sl_reader r = sl_reader_make(data->ptr, data->len);
    uint8_t flags;
    uint16_t len;
    if (!sl_rd_u8(&r, &flags) || !sl_rd_u8(&r, &g->msg_type) || !sl_rd_be16(&r, &len) ||
        !sl_rd_be32(&r, &g->teid))
        goto truncated;
    if ((flags >> GTP_VERSION_SHIFT) != 1 || !(flags & GTP_PT)) {
        sl_anomaly_set(an, SL_ANOM_GTPU_BAD_VERSION, 0);
        return SL_INVALID;
    }
    /* Everything after the mandatory header lies within `len`: the reader is
     * cut to it, or to what was captured when that is shorter. */
    size_t avail = sl_rd_left(&r);
    g->cut = len > avail;
    r = sl_reader_make(data->ptr, GTP_HEADER + (g->cut ? avail : len));
    r.off = GTP_HEADER;
    if (flags & (GTP_E | GTP_S | GTP_PN)) {
        uint16_t seq;
        uint8_t npdu, next;
        if (!sl_rd_be16(&r, &seq) || !sl_rd_u8(&r, &npdu) || !sl_rd_u8(&r, &next))
            goto short_or_cut;
        g->has_seq = (flags & GTP_S) != 0;
        g->seq = seq;
        /* The next-extension-type octet is meaningful only with E set. */
        if (!(flags & GTP_E))
            next = 0;
        while (next != 0) {
            if (g->n_ext == SL_GTPU_MAX_EXT) {
                sl_anomaly_set(an, SL_ANOM_GTPU_TOO_MANY_EXT, r.off);
                return SL_INVALID;
            }
            size_t at = r.off;
            uint8_t units;
            if (!sl_rd_u8(&r, &units))
                goto short_or_cut;
            if (units == 0) { /* 4-octet units including this octet: 0 cannot be */
                sl_anomaly_set(an, SL_ANOM_GTPU_BAD_EXT, at);
                return SL_INVALID;
            }
            /* contents, then the next type in the header's last octet */
            if (!sl_rd_skip(&r, (size_t)units * 4 - 2) || !sl_rd_u8(&r, &next))
                goto short_or_cut;
            g->n_ext++;
        }
    }
    *data = sl_rd_rest(&r);
    return SL_OK;

short_or_cut:
    /* Optional fields past the stated length: the header lies; past the
     * captured bytes within it: the capture was cut. */
    if (!g->cut) {
        sl_anomaly_set(an, SL_ANOM_GTPU_BAD_LENGTH, r.off);
        return SL_INVALID;
    }
truncated:
    sl_anomaly_set(an, SL_ANOM_GTPU_TRUNCATED, r.off);
    return SL_TRUNCATED;
}
