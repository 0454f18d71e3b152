/* The first of up to three delimiter bytes in a short header value: one pass
 * 16 bytes at a time (SSE2) instead of one memchr call per delimiter. */
#ifndef SIPSLEUTH_BYTE_SCAN_H
#define SIPSLEUTH_BYTE_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* The bytes of x equal to c, as their high bits. Exact for the lowest one
 * (a borrow can only flag a byte above a true match), all that is used. */
static inline uint64_t sl_swar_eq(uint64_t x, uint8_t c)
{
    uint64_t y = x ^ (0x0101010101010101u * c);
    return (y - 0x0101010101010101u) & ~y & 0x8080808080808080u;
}

/* Index of the first byte of p[0..n) equal to a or b, n when none is, for
 * 8 <= n < 16 (a parameter value: tags, short branches): two overlapping
 * 8-byte words instead of a byte loop. */
static inline size_t sl_scan2_8to16(const uint8_t *p, size_t n, uint8_t a, uint8_t b)
{
    uint64_t x;
    memcpy(&x, p, 8);
    uint64_t m = sl_swar_eq(x, a) | sl_swar_eq(x, b);
    if (m)
        return (size_t)__builtin_ctzll(m) / 8;
    memcpy(&x, p + n - 8, 8);
    m = sl_swar_eq(x, a) | sl_swar_eq(x, b);
    return m ? n - 8 + (size_t)__builtin_ctzll(m) / 8 : n;
}

/* Index of the first byte of p[0..n) equal to a, b or c; n when none is.
 * Reads only p[0..n): the last block overlaps the one before it. */
static inline size_t sl_scan_any3(const uint8_t *p, size_t n, uint8_t a, uint8_t b, uint8_t c)
{
#ifdef __SSE2__
    if (n >= 16) {
        const __m128i va = _mm_set1_epi8((char)a), vb = _mm_set1_epi8((char)b),
                      vc = _mm_set1_epi8((char)c);
        for (size_t i = 0; i < n; i += 16) {
            size_t at = i + 16 <= n ? i : n - 16;
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + at));
            __m128i eq = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)),
                                      _mm_cmpeq_epi8(x, vc));
            unsigned hits = (unsigned)_mm_movemask_epi8(eq) >> (i - at) << (i - at);
            if (hits)
                return at + (size_t)__builtin_ctz(hits);
        }
        return n;
    }
#endif
    for (size_t i = 0; i < n; i++)
        if (p[i] == a || p[i] == b || p[i] == c)
            return i;
    return n;
}

/* Index of the first byte of p[0..n) that is a control byte, a space or DEL
 * (<= 0x20 or 0x7f); n when none is. Bytes from 0x80 up pass (UTF-8). */
static inline size_t sl_scan_ctl_or_space(const uint8_t *p, size_t n)
{
#ifdef __SSE2__
    if (n >= 16) {
        const __m128i min_ok = _mm_set1_epi8(0x21), del = _mm_set1_epi8(0x7f);
        for (size_t i = 0; i < n; i += 16) {
            size_t at = i + 16 <= n ? i : n - 16;
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + at));
            __m128i ok = _mm_andnot_si128(_mm_cmpeq_epi8(x, del),
                                          _mm_cmpeq_epi8(_mm_max_epu8(x, min_ok), x));
            unsigned bad = (~(unsigned)_mm_movemask_epi8(ok) & 0xffffu) >> (i - at) << (i - at);
            if (bad)
                return at + (size_t)__builtin_ctz(bad);
        }
        return n;
    }
#endif
    for (size_t i = 0; i < n; i++)
        if (p[i] <= ' ' || p[i] == 0x7f)
            return i;
    return n;
}

#endif
