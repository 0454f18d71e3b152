#include "sipsleuth/layers.h"
#include "sipsleuth/reader.h"

static void set_v4(sl_addr *a, const uint8_t *p)
{
    a->family = 4;
    memcpy(a->bytes, p, 4);
    memset(a->bytes + 4, 0, 12); /* an outer IPv6 address may have been there */
}

sl_status sl_ipv4_decode(sl_slice *data, size_t *stated, sl_packet *pkt, sl_anomaly *an)
{
    sl_reader r = sl_reader_make(data->ptr, data->len);
    uint8_t vihl, proto;
    uint16_t total, id, frag;
    sl_slice addrs;
    if (!sl_rd_u8(&r, &vihl))
        goto truncated;
    if (vihl >> 4 != 4) {
        sl_anomaly_set(an, SL_ANOM_IPV4_BAD_VERSION, 0);
        return SL_INVALID;
    }
    size_t hlen = (size_t)(vihl & 0x0f) * 4;
    if (hlen < 20) {
        sl_anomaly_set(an, SL_ANOM_IPV4_BAD_IHL, 0);
        return SL_INVALID;
    }
    if (!sl_rd_skip(&r, 1) || !sl_rd_be16(&r, &total) || !sl_rd_be16(&r, &id) ||
        !sl_rd_be16(&r, &frag) || !sl_rd_skip(&r, 1) || !sl_rd_u8(&r, &proto) ||
        !sl_rd_skip(&r, 2) || !sl_rd_slice(&r, 8, &addrs) || !sl_rd_skip(&r, hlen - 20))
        goto truncated;
    if (total < hlen) {
        sl_anomaly_set(an, SL_ANOM_IPV4_TOTAL_LENGTH_SHORT, 2);
        return SL_INVALID;
    }
    /* The checksum is not verified: offloading NICs leave it unset in captures. */
    set_v4(&pkt->src, addrs.ptr);
    set_v4(&pkt->dst, addrs.ptr + 4);
    pkt->ip_proto = proto;

    size_t plen = total - hlen;
    sl_slice rest = sl_rd_rest(&r);
    if (rest.len < plen)
        pkt->truncated = true;
    else
        rest.len = plen; /* drops Ethernet padding */
    pkt->ip_payload = rest;
    *data = rest;
    *stated = plen;

    uint32_t offset = (uint32_t)(frag & 0x1fff) * 8;
    if ((frag & 0x2000) || offset) {
        pkt->frag.is_fragment = true;
        pkt->frag.more = (frag & 0x2000) != 0;
        pkt->frag.id = id;
        pkt->frag.offset = offset;
    }
    return SL_OK;

truncated:
    sl_anomaly_set(an, SL_ANOM_IPV4_TRUNCATED, r.off);
    return SL_TRUNCATED;
}
