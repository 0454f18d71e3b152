/* Community ID v1: base64(SHA-1(seed . saddr . daddr . proto . 0 . sport .
 * dport)) with the endpoints in a canonical order, so both directions of a
 * flow get the same ID. Protocols without ports hash no ports; for ICMP the
 * caller passes the type/code mapping the spec takes from Zeek. */
#include "sipsleuth/community_id.h"

#include <openssl/evp.h>

/* SHA-1 of a message under 56 bytes (one block): the input here is at most
 * 40. OpenSSL 3's SHA1()/EVP_Digest() fetch the algorithm on every call and
 * cost ~6 000 instructions an ID; this costs ~1 100 (callgrind). */
static uint32_t rol(uint32_t x, int n)
{
    return (x << n) | (x >> (32 - n));
}

static void sha1_short(const uint8_t *msg, size_t n, uint8_t out[20])
{
    uint8_t block[64] = {0};
    memcpy(block, msg, n);
    block[n] = 0x80;
    uint64_t bits = (uint64_t)n * 8;
    for (int i = 0; i < 8; i++)
        block[63 - i] = (uint8_t)(bits >> (8 * i));
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)block[4 * i] << 24 | (uint32_t)block[4 * i + 1] << 16 |
               (uint32_t)block[4 * i + 2] << 8 | block[4 * i + 3];
    for (int i = 16; i < 80; i++)
        w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) {
            f = (b & c) | (~b & d);
            k = 0x5A827999;
        } else if (i < 40) {
            f = b ^ c ^ d;
            k = 0x6ED9EBA1;
        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8F1BBCDC;
        } else {
            f = b ^ c ^ d;
            k = 0xCA62C1D6;
        }
        uint32_t t = rol(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = rol(b, 30);
        b = a;
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    for (int i = 0; i < 5; i++) {
        out[4 * i] = (uint8_t)(h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(h[i] >> 8);
        out[4 * i + 3] = (uint8_t)h[i];
    }
}

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
    _Static_assert(sizeof buf < 56, "one SHA-1 block");
    sha1_short(buf, n, md);
    out[0] = '1';
    out[1] = ':';
    /* 20 bytes → 28 base64 characters plus the NUL EVP_EncodeBlock writes. */
    EVP_EncodeBlock((unsigned char *)out + 2, md, 20);
    return true;
}
