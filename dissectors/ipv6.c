#include "sipsleuth/layers.h"
#include "sipsleuth/reader.h"

enum {
    IP6_HOPOPTS = 0,
    IP6_ROUTING = 43,
    IP6_FRAGMENT = 44,
    IP6_AH = 51,
    IP6_DSTOPTS = 60,
    IP6_MOBILITY = 135,
    IP6_HIP = 139,
    IP6_SHIM6 = 140,
};

/* Legitimate packets carry a handful; more is an attack on the decoder. */
enum { MAX_EXT_HEADERS = 16 };

bool sl_ipv6_is_ext(uint8_t proto)
{
    switch (proto) {
    case IP6_HOPOPTS:
    case IP6_ROUTING:
    case IP6_FRAGMENT:
    case IP6_AH:
    case IP6_DSTOPTS:
    case IP6_MOBILITY:
    case IP6_HIP:
    case IP6_SHIM6: return true;
    default: return false;
    }
}

sl_status sl_ipv6_ext_walk(uint8_t *proto, sl_slice *data, size_t *stated, size_t off,
                           sl_ip_frag *frag, sl_anomaly *an)
{
    sl_reader r = sl_reader_make(data->ptr, data->len);
    size_t left = *stated; /* bytes the IPv6 header says are still to come */
    unsigned n = 0;
    while (sl_ipv6_is_ext(*proto)) {
        size_t at = off + r.off;
        if (++n > MAX_EXT_HEADERS) {
            sl_anomaly_set(an, SL_ANOM_IPV6_TOO_MANY_EXT_HEADERS, at);
            return SL_INVALID;
        }
        size_t start = r.off;
        uint8_t next, len8;
        if (left < 8) {
            sl_anomaly_set(an, SL_ANOM_IPV6_EXT_OVERRUN, at);
            return SL_INVALID;
        }
        if (!sl_rd_u8(&r, &next) || !sl_rd_u8(&r, &len8))
            goto truncated;
        size_t hlen = *proto == IP6_FRAGMENT ? 8
                      : *proto == IP6_AH     ? ((size_t)len8 + 2) * 4
                                             : ((size_t)len8 + 1) * 8;
        if (hlen > left) {
            sl_anomaly_set(an, SL_ANOM_IPV6_EXT_OVERRUN, at + 1);
            return SL_INVALID;
        }
        if (*proto == IP6_FRAGMENT) {
            uint16_t offflags;
            uint32_t id;
            if (!sl_rd_be16(&r, &offflags) || !sl_rd_be32(&r, &id))
                goto truncated;
            left -= hlen;
            *proto = next;
            if (offflags & 0xfff9) { /* not an atomic fragment (RFC 6946) */
                frag->is_fragment = true;
                frag->more = (offflags & 1) != 0;
                frag->id = id;
                frag->offset = offflags & 0xfff8;
                break;
            }
            continue;
        }
        if (!sl_rd_skip(&r, hlen - (r.off - start)))
            goto truncated;
        left -= hlen;
        *proto = next;
    }
    *data = sl_rd_rest(&r);
    *stated = left;
    return SL_OK;

truncated:
    sl_anomaly_set(an, SL_ANOM_IPV6_EXT_TRUNCATED, off + r.off);
    return SL_TRUNCATED;
}

static void set_v6(sl_addr *a, const uint8_t *p)
{
    a->family = 6;
    memcpy(a->bytes, p, 16);
}

sl_status sl_ipv6_decode(sl_slice *data, size_t *stated, sl_packet *pkt, sl_anomaly *an)
{
    sl_reader r = sl_reader_make(data->ptr, data->len);
    uint8_t vtc, next;
    uint16_t plen;
    sl_slice addrs;
    if (!sl_rd_u8(&r, &vtc)) {
        sl_anomaly_set(an, SL_ANOM_IPV6_TRUNCATED, 0);
        return SL_TRUNCATED;
    }
    if (vtc >> 4 != 6) {
        sl_anomaly_set(an, SL_ANOM_IPV6_BAD_VERSION, 0);
        return SL_INVALID;
    }
    if (!sl_rd_skip(&r, 3) || !sl_rd_be16(&r, &plen) || !sl_rd_u8(&r, &next) ||
        !sl_rd_skip(&r, 1) || !sl_rd_slice(&r, 32, &addrs)) {
        sl_anomaly_set(an, SL_ANOM_IPV6_TRUNCATED, r.off);
        return SL_TRUNCATED;
    }
    set_v6(&pkt->src, addrs.ptr);
    set_v6(&pkt->dst, addrs.ptr + 16);

    sl_slice rest = sl_rd_rest(&r);
    if (rest.len < plen)
        pkt->truncated = true;
    else
        rest.len = plen; /* drops Ethernet padding */
    size_t left = plen;
    sl_status st = sl_ipv6_ext_walk(&next, &rest, &left, r.off, &pkt->frag, an);
    if (st != SL_OK)
        return st;
    pkt->ip_proto = next;
    pkt->ip_payload = rest;
    *data = rest;
    *stated = left;
    return SL_OK;
}
