/* Community ID v1: base64(SHA-1(seed . saddr . daddr . proto . 0 . sport .
 * dport)) with the endpoints in a canonical order, so both directions of a
 * flow get the same ID. Protocols without ports hash no ports; for ICMP the
 * caller passes the type/code mapping the spec takes from Zeek. */
#include "sipsleuth/community_id.h"

/* SHA-1 of a message under 56 bytes (one block): the input here is at most
 * 40. OpenSSL 3's SHA1()/EVP_Digest() fetch the algorithm on every call and
 * cost ~6 000 instructions an ID; this (with base64_20) ~2 400 (callgrind). */
static uint32_t rol(uint32_t x, int n)
{
    return (x << n) | (x >> (32 - n));
}

/* One SHA-1 round; fkw is the round's function of b, c, d plus its
 * constant and message word. */
static inline void round_(uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d, uint32_t *e,
                          uint32_t fkw)
{
    uint32_t t = rol(*a, 5) + fkw + *e;
    *e = *d;
    *d = *c;
    *c = rol(*b, 30);
    *b = *a;
    *a = t;
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
    for (size_t i = 0; i < 16; i++)
        w[i] = (uint32_t)block[4 * i] << 24 | (uint32_t)block[4 * i + 1] << 16 |
               (uint32_t)block[4 * i + 2] << 8 | block[4 * i + 3];
    for (int i = 16; i < 80; i++)
        w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    /* the four kinds of rounds in their own loops: no choice per round */
    int i = 0;
    for (; i < 20; i++)
        round_(&a, &b, &c, &d, &e, ((b & c) | (~b & d)) + 0x5A827999 + w[i]);
    for (; i < 40; i++)
        round_(&a, &b, &c, &d, &e, (b ^ c ^ d) + 0x6ED9EBA1 + w[i]);
    for (; i < 60; i++)
        round_(&a, &b, &c, &d, &e, ((b & c) | (b & d) | (c & d)) + 0x8F1BBCDC + w[i]);
    for (; i < 80; i++)
        round_(&a, &b, &c, &d, &e, (b ^ c ^ d) + 0xCA62C1D6 + w[i]);
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    for (size_t k = 0; k < 5; k++) {
        out[4 * k] = (uint8_t)(h[k] >> 24);
        out[4 * k + 1] = (uint8_t)(h[k] >> 16);
        out[4 * k + 2] = (uint8_t)(h[k] >> 8);
        out[4 * k + 3] = (uint8_t)h[k];
    }
}

/* The 20 bytes of a SHA-1 as 28 base64 characters (the last one '=') and a
 * NUL, without EVP_EncodeBlock's call into libcrypto (~230 instructions). */
static void base64_20(const uint8_t md[20], char *out)
{
    static const char digit[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 18; i += 3, out += 4) {
        uint32_t v = (uint32_t)md[i] << 16 | (uint32_t)md[i + 1] << 8 | md[i + 2];
        out[0] = digit[v >> 18];
        out[1] = digit[(v >> 12) & 63];
        out[2] = digit[(v >> 6) & 63];
        out[3] = digit[v & 63];
    }
    uint32_t v = (uint32_t)md[18] << 16 | (uint32_t)md[19] << 8;
    out[0] = digit[v >> 18];
    out[1] = digit[(v >> 12) & 63];
    out[2] = digit[(v >> 6) & 63];
    out[3] = '=';
    out[4] = '\0';
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
    base64_20(md, out + 2);
    return true;
}
