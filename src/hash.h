/* Small non-cryptographic hashing shared by the reassembly tables (defrag,
 * TCP streams, dedup). Internal to src/. Each table mixes in its own seed so
 * that a caller can randomise bucket placement against collision floods. */
#ifndef SIPSLEUTH_SRC_HASH_H
#define SIPSLEUTH_SRC_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The splitmix64 finaliser: every input bit affects every output bit. */
static inline uint64_t sl_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

/* The last n <= 8 bytes as one word. Since the length is hashed too, two
 * overlapping loads (4 to 8 bytes) or the first, middle and last byte (1 to
 * 3) still tell every input apart, without a loop over the bytes (most
 * strings hashed per message end in such a tail). */
static inline uint64_t sl_hash_tail(const uint8_t *p, size_t n)
{
    if (n >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + n - 4, 4);
        return (uint64_t)hi << 32 | lo;
    }
    if (n == 0)
        return 0;
    return (uint64_t)p[0] << 16 | (uint64_t)p[n / 2] << 8 | p[n - 1];
}

#ifdef __SIZEOF_INT128__
/* The 128-bit product of a and b, its two halves folded together. */
static inline uint64_t sl_mum(uint64_t a, uint64_t b)
{
    __extension__ typedef unsigned __int128 u128;
    u128 r = (u128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* 16 bytes folded into h in one multiply, h in both operands (no 16 bytes
 * chosen without knowing the seed zero the product). */
static inline uint64_t sl_hash_16(uint64_t h, uint64_t a, uint64_t b)
{
    return sl_mum(a ^ h ^ UINT64_C(0xa0761d6478bd642f), b ^ h ^ UINT64_C(0xe7037ed1a0b428db));
}
#endif

static inline uint64_t sl_load64(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, 8); /* memcpy: no unaligned loads */
    return w;
}

/* Folds n bytes into h. With a 128-bit multiply, 16 bytes a step and a last
 * 9 to 16 as two overlapping words; else 8 a step through sl_mix64. Then the
 * tail and sl_mix64. */
static inline uint64_t sl_hash_bytes(uint64_t h, const uint8_t *p, size_t n)
{
    h ^= (uint64_t)n * UINT64_C(0x9e3779b97f4a7c15);
#ifdef __SIZEOF_INT128__
    for (; n > 16; p += 16, n -= 16)
        h = sl_hash_16(h, sl_load64(p), sl_load64(p + 8));
    if (n > 8)
        return sl_mix64(sl_hash_16(h, sl_load64(p), sl_load64(p + n - 8)));
#else
    for (; n > 8; p += 8, n -= 8)
        h = sl_mix64(h ^ sl_load64(p)) + UINT64_C(0x9e3779b97f4a7c15);
#endif
    return sl_mix64(h ^ sl_hash_tail(p, n));
}

#endif
