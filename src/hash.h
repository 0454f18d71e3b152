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

/* The last n < 8 bytes as one word. Since the length is hashed too, two
 * overlapping loads (4 to 7 bytes) or the first, middle and last byte (1 to
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

/* Folds n bytes into h, 8 at a time (memcpy: no unaligned loads). */
static inline uint64_t sl_hash_bytes(uint64_t h, const uint8_t *p, size_t n)
{
    h ^= (uint64_t)n * UINT64_C(0x9e3779b97f4a7c15);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = sl_mix64(h ^ w) + UINT64_C(0x9e3779b97f4a7c15);
        p += 8;
        n -= 8;
    }
    return sl_mix64(h ^ sl_hash_tail(p, n));
}

#endif
