/* Community ID v1: base64(SHA-1(seed . saddr . daddr . proto . 0 . sport .
 * dport)) with the endpoints in a canonical order, so both directions of a
 * flow get the same ID. Protocols without ports hash no ports; for ICMP the
 * caller passes the type/code mapping the spec takes from Zeek. */
#include "sipsleuth/community_id.h"

#include <openssl/evp.h>

bool sl_community_id(const sl_addr *src, const sl_addr *dst, uint8_t proto, uint16_t sport,
                     uint16_t dport, uint16_t seed, char out[SL_COMMUNITY_ID_LEN])
{
    if (src->family != dst->family || (src->family != 4 && src->family != 6))
        return false;
    size_t alen = src->family == 4 ? 4 : 16;
    bool ports = proto == 1 || proto == 6 || proto == 17 || proto == 58 || proto == 132;
    if (!ports)
        sport = dport = 0;
    /* The smaller address goes first; on equal addresses, the smaller port. */
    int cmp = memcmp(src->bytes, dst->bytes, alen);
    if (cmp > 0 || (cmp == 0 && sport > dport)) {
        const sl_addr *ta = src;
        src = dst;
        dst = ta;
        uint16_t tp = sport;
        sport = dport;
        dport = tp;
    }
    uint8_t buf[2 + 16 + 16 + 2 + 4];
    size_t n = 0;
    buf[n++] = (uint8_t)(seed >> 8);
    buf[n++] = (uint8_t)seed;
    memcpy(buf + n, src->bytes, alen);
    n += alen;
    memcpy(buf + n, dst->bytes, alen);
    n += alen;
    buf[n++] = proto;
    buf[n++] = 0;
    if (ports) {
        buf[n++] = (uint8_t)(sport >> 8);
        buf[n++] = (uint8_t)sport;
        buf[n++] = (uint8_t)(dport >> 8);
        buf[n++] = (uint8_t)dport;
    }

    unsigned char md[20];
    if (EVP_Digest(buf, n, md, NULL, EVP_sha1(), NULL) != 1)
        return false;
    out[0] = '1';
    out[1] = ':';
    /* 20 bytes -> 28 base64 characters and a NUL */
    return EVP_EncodeBlock((unsigned char *)out + 2, md, sizeof md) == 28;
}
