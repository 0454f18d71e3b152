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
    uint64_t tail = 0;
    for (size_t i = 0; i < n; i++)
        tail |= (uint64_t)p[i] << (8 * i);
    return sl_mix64(h ^ tail);
}

#endif
